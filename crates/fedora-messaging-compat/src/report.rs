//! Verdicts by mode, and the three output formats: text, JSON, GitHub annotations.

use serde::Serialize;

use crate::finding::{Effect, Finding};

/// Which readers must keep working (the vocabulary of schema registries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Upgraded consumers read messages written with the old schema (consumers upgrade first).
    Backward,
    /// Consumers on the old schema read messages of the new one (producers upgrade first).
    Forward,
    /// Both.
    Full,
}

/// How strict a check is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// The readers that must keep working.
    pub mode: Mode,
    /// Warnings (changes breaking only in the strict sense) fail too.
    pub strict: bool,
    /// A change that breaks Rust code using the generated types fails too.
    pub rust_api: bool,
}

impl Policy {
    /// Whether `finding` fails the check.
    pub fn fails(&self, finding: &Finding) -> bool {
        let bad = |e: Effect| e == Effect::Breaking || (self.strict && e == Effect::Warning);
        let e = &finding.effects;
        let readers = match self.mode {
            Mode::Backward => bad(e.new_consumers),
            Mode::Forward => bad(e.old_consumers),
            Mode::Full => bad(e.new_consumers) || bad(e.old_consumers),
        };
        readers || (self.rust_api && bad(e.rust_api))
    }
}

/// The findings of one comparison (one older version against the new one).
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// What the older version is (a folder, or `REV:PATH`).
    pub old: String,
    /// What the newer version is.
    pub new: String,
    /// Every change found.
    pub findings: Vec<Finding>,
}

/// The outcome of a check: every comparison made and whether the policy holds.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The policy applied.
    pub policy: Policy,
    /// One per older version compared.
    pub comparisons: Vec<Comparison>,
}

impl Report {
    /// The findings that fail the policy.
    pub fn failures(&self) -> impl Iterator<Item = (&Comparison, &Finding)> {
        self.comparisons
            .iter()
            .flat_map(|c| c.findings.iter().map(move |f| (c, f)))
            .filter(|(_, f)| self.policy.fails(f))
    }

    /// Whether every comparison passes the policy.
    pub fn is_compatible(&self) -> bool {
        self.failures().next().is_none()
    }

    /// One line per finding, failing ones marked, then a verdict.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for c in &self.comparisons {
            out.push_str(&format!(
                "{} -> {}: {} change(s)\n",
                c.old,
                c.new,
                c.findings.len()
            ));
            for f in &c.findings {
                let mark = if self.policy.fails(f) { "FAIL" } else { "    " };
                out.push_str(&format!("  {mark} {f}\n"));
            }
        }
        let failing = self.failures().count();
        out.push_str(&if failing == 0 {
            format!("compatible ({:?} mode)\n", self.policy.mode).to_lowercase()
        } else {
            format!(
                "{failing} breaking change(s) ({:?} mode)\n",
                self.policy.mode
            )
            .to_lowercase()
        });
        out
    }

    /// The whole report as JSON, with `compatible` and each finding's `fails`.
    pub fn to_json(&self) -> serde_json::Value {
        let comparisons: Vec<serde_json::Value> = self
            .comparisons
            .iter()
            .map(|c| {
                let findings: Vec<serde_json::Value> = c
                    .findings
                    .iter()
                    .map(|f| {
                        let mut v = serde_json::to_value(f).unwrap_or_default();
                        v["fails"] = self.policy.fails(f).into();
                        v
                    })
                    .collect();
                serde_json::json!({"old": c.old, "new": c.new, "findings": findings})
            })
            .collect();
        serde_json::json!({
            "compatible": self.is_compatible(),
            "policy": self.policy,
            "comparisons": comparisons,
        })
    }

    /// GitHub Actions workflow commands: an `::error` per failing finding, a `::warning` per
    /// other breaking or warning one, with the schema file (under `repo_path`) as location.
    pub fn to_github(&self, repo_path: &str) -> String {
        let mut out = String::new();
        for c in &self.comparisons {
            for f in &c.findings {
                let level = if self.policy.fails(f) {
                    "error"
                } else if [
                    f.effects.old_consumers,
                    f.effects.new_consumers,
                    f.effects.rust_api,
                ]
                .iter()
                .any(|e| matches!(e, Effect::Breaking | Effect::Warning))
                {
                    "warning"
                } else {
                    "notice"
                };
                let path = format!("{}/{}", repo_path.trim_end_matches('/'), f.file);
                let message = format!(
                    "{} {}#{}: {} (against {}; old consumers: {}, new consumers: {}, Rust API: {})",
                    f.schema,
                    f.file,
                    f.pointer,
                    f.explanation,
                    c.old,
                    f.effects.old_consumers,
                    f.effects.new_consumers,
                    f.effects.rust_api
                );
                out.push_str(&format!(
                    "::{level} file={},title={}::{}\n",
                    escape_property(&path),
                    escape_property(f.rule),
                    escape_data(&message)
                ));
            }
        }
        out
    }
}

// GitHub's workflow-command escaping.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}
