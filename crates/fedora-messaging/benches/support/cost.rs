//! The client's cost of a piece of work, read from `/proc` for every thread of the process.

// Each bench takes the part it needs.
#![allow(dead_code)]

/// What this process's threads (tokio's workers, lapin's I/O thread) have used so far: CPU time
/// (`/proc/self/task/*/schedstat`, nanoseconds) and context switches (`voluntary_` and
/// `nonvoluntary_ctxt_switches` of each thread's `status`); and the CPU time of the local
/// RabbitMQ (every thread of its `beam.smp`). Differences of two readings are the cost of the work
/// between them, the client's apart from the broker's. (Threads that ended between two readings
/// drop out: none does during a measure here.)
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Cost {
    pub(crate) cpu_us: f64,
    pub(crate) switches: f64,
    pub(crate) broker_cpu_us: f64,
}

impl Cost {
    pub(crate) fn now() -> Self {
        let (cpu_us, switches) = threads("/proc/self/task", true);
        let broker_cpu_us = broker_pid()
            .map(|pid| threads(&format!("/proc/{pid}/task"), false).0)
            .unwrap_or(0.0);
        Self {
            cpu_us,
            switches,
            broker_cpu_us,
        }
    }

    pub(crate) fn since(self, before: Self) -> Self {
        Self {
            cpu_us: self.cpu_us - before.cpu_us,
            switches: self.switches - before.switches,
            broker_cpu_us: self.broker_cpu_us - before.broker_cpu_us,
        }
    }

    pub(crate) fn add(self, other: Self) -> Self {
        Self {
            cpu_us: self.cpu_us + other.cpu_us,
            switches: self.switches + other.switches,
            broker_cpu_us: self.broker_cpu_us + other.broker_cpu_us,
        }
    }
}

impl Cost {
    /// This cost spread over `n` messages, as the JSON fields every measure carries.
    pub(crate) fn per_message(self, n: usize) -> serde_json::Map<String, serde_json::Value> {
        let n = n as f64;
        let mut fields = serde_json::Map::new();
        fields.insert("cpu_us_per_msg".into(), (self.cpu_us / n).into());
        fields.insert("switches_per_msg".into(), (self.switches / n).into());
        fields.insert(
            "broker_cpu_us_per_msg".into(),
            (self.broker_cpu_us / n).into(),
        );
        fields
    }
}

/// CPU microseconds and (when `switches`) context switches of every thread under `tasks`.
fn threads(tasks: &str, switches: bool) -> (f64, f64) {
    let (mut cpu_us, mut count) = (0.0, 0.0);
    for task in std::fs::read_dir(tasks).into_iter().flatten().flatten() {
        let path = task.path();
        if let Ok(stat) = std::fs::read_to_string(path.join("schedstat")) {
            let ns: f64 = stat
                .split_whitespace()
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0);
            cpu_us += ns / 1000.0;
        }
        if !switches {
            continue;
        }
        if let Ok(status) = std::fs::read_to_string(path.join("status")) {
            for line in status.lines() {
                if line.starts_with("voluntary_ctxt_switches")
                    || line.starts_with("nonvoluntary_ctxt_switches")
                {
                    count += line
                        .split_whitespace()
                        .nth(1)
                        .and_then(|v| v.parse::<f64>().ok())
                        .unwrap_or(0.0);
                }
            }
        }
    }
    (cpu_us, count)
}

/// The local RabbitMQ's Erlang VM (the first `beam.smp` found), looked up once.
fn broker_pid() -> Option<u32> {
    static PID: std::sync::OnceLock<Option<u32>> = std::sync::OnceLock::new();
    *PID.get_or_init(|| {
        std::fs::read_dir("/proc")
            .ok()?
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .find(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|c| c.trim() == "beam.smp")
            })
    })
}

/// Peak resident memory of this process, from `/proc/self/status`, in KiB.
pub(crate) fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
