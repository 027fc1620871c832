//! The client's cost of a piece of work, read from `/proc` for every thread of the process.

// Each bench takes the part it needs.
#![allow(dead_code)]

/// What this process's threads (tokio's workers, lapin's I/O thread) have used so far: CPU time
/// (`/proc/self/task/*/schedstat`, nanoseconds) and context switches (`voluntary_` and
/// `nonvoluntary_ctxt_switches` of each thread's `status`). Differences of two readings are the
/// client's cost of the work between them; the broker's is not in it. (Threads that ended between
/// two readings drop out: none does during a measure here.)
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Cost {
    pub(crate) cpu_us: f64,
    pub(crate) switches: f64,
}

impl Cost {
    pub(crate) fn now() -> Self {
        let mut total = Self::default();
        for task in std::fs::read_dir("/proc/self/task")
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = task.path();
            if let Ok(stat) = std::fs::read_to_string(path.join("schedstat")) {
                let ns: f64 = stat
                    .split_whitespace()
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0.0);
                total.cpu_us += ns / 1000.0;
            }
            if let Ok(status) = std::fs::read_to_string(path.join("status")) {
                for line in status.lines() {
                    if line.starts_with("voluntary_ctxt_switches")
                        || line.starts_with("nonvoluntary_ctxt_switches")
                    {
                        total.switches += line
                            .split_whitespace()
                            .nth(1)
                            .and_then(|v| v.parse::<f64>().ok())
                            .unwrap_or(0.0);
                    }
                }
            }
        }
        total
    }

    pub(crate) fn since(self, before: Self) -> Self {
        Self {
            cpu_us: self.cpu_us - before.cpu_us,
            switches: self.switches - before.switches,
        }
    }

    pub(crate) fn add(self, other: Self) -> Self {
        Self {
            cpu_us: self.cpu_us + other.cpu_us,
            switches: self.switches + other.switches,
        }
    }
}

/// Peak resident memory of this process, from `/proc/self/status`, in KiB.
pub(crate) fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
