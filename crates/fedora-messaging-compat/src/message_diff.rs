//! The message half of the check: schema name, topic, severity, deprecation and Rust type name of
//! each message, matched between two versions of a repo.

use std::collections::BTreeMap;

use fedora_messaging_build::repo::Topic;
use fedora_messaging_build::Repo;
use serde_json::Value;

use crate::finding::{Effect, Effects, Finding};
use crate::schema_diff;

use Effect::{Breaking as B, Info as I, Ok as O};

/// One message of one version, as the checker sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageVersion {
    /// The `fedora_messaging_schema` name.
    pub schema_name: String,
    /// The topic: fixed, or a template over the body; empty when each message has its own.
    pub topic: String,
    /// The body schema.
    pub schema: Value,
    /// `debug`, `info`, `warning` or `error`.
    pub severity: String,
    /// Whether it is deprecated.
    pub deprecated: bool,
    /// The Rust type the generator makes for it.
    pub type_name: String,
    /// The Python distribution named in `fedora_messaging_schema_package`, if any.
    pub package: Option<String>,
    /// The schema file, relative to the repo (`app/file.json`).
    pub file: String,
}

impl MessageVersion {
    /// Every message of a loaded schema repo.
    pub fn all(repo: &Repo) -> Vec<Self> {
        repo.messages()
            .map(|(app, m)| Self {
                schema_name: m.schema_name.clone(),
                topic: match &m.topic {
                    Topic::Fixed(t) | Topic::Template(t) => t.clone(),
                    _ => String::new(),
                },
                schema: m.schema.clone(),
                severity: format!("{:?}", m.severity).to_lowercase(),
                deprecated: m.deprecated,
                type_name: m.type_name.clone(),
                package: app.package.clone(),
                file: m
                    .file
                    .strip_prefix(&repo.root)
                    .unwrap_or(&m.file)
                    .to_string_lossy()
                    .replace('\\', "/"),
            })
            .collect()
    }
}

fn finding(
    rule: &'static str,
    at: &MessageVersion,
    pointer: &str,
    explanation: String,
    effects: Effects,
) -> Finding {
    Finding {
        rule,
        schema: at.schema_name.clone(),
        file: at.file.clone(),
        pointer: pointer.to_owned(),
        explanation,
        effects,
    }
}

/// Every change from `old` to `new`, taken as two versions of the same message.
pub fn compare_messages(old: &MessageVersion, new: &MessageVersion) -> Vec<Finding> {
    let mut out = Vec::new();
    if old.schema_name != new.schema_name {
        out.push(finding(
            "SCHEMA_NAME_CHANGED",
            new,
            "",
            format!(
                "schema name {:?} became {:?}: consumers that know only one of them fall back to the base schema",
                old.schema_name, new.schema_name
            ),
            Effects::new(B, B, B),
        ));
    }
    if old.topic != new.topic {
        out.push(finding(
            "TOPIC_CHANGED",
            new,
            "",
            format!(
                "topic {:?} became {:?}: bindings to the old topic stop matching",
                old.topic, new.topic
            ),
            Effects::new(B, B, B),
        ));
    }
    if old.type_name != new.type_name {
        out.push(finding(
            "RUST_TYPE_RENAMED",
            new,
            "",
            format!(
                "the generated type {} is now {}",
                old.type_name, new.type_name
            ),
            Effects::new(O, O, B),
        ));
    }
    if old.severity != new.severity {
        out.push(finding(
            "SEVERITY_CHANGED",
            new,
            "",
            format!("severity {} became {}", old.severity, new.severity),
            Effects::new(I, I, O),
        ));
    }
    if old.deprecated != new.deprecated {
        let text = if new.deprecated {
            "the message is now deprecated: consumers log a warning asking to upgrade"
        } else {
            "the message is no longer deprecated"
        };
        out.push(finding(
            "DEPRECATION_CHANGED",
            new,
            "",
            text.into(),
            Effects::new(I, I, O),
        ));
    }
    if old.package != new.package {
        out.push(finding(
            "PACKAGE_CHANGED",
            new,
            "",
            format!(
                "the schema package {:?} became {:?} (a hint consumers get about what to install)",
                old.package, new.package
            ),
            Effects::new(I, I, O),
        ));
    }
    for change in schema_diff::diff(&old.schema, &new.schema) {
        out.push(finding(
            change.rule,
            new,
            &change.pointer,
            change.explanation,
            change.effects,
        ));
    }
    out
}

/// Every change from one version of a repo to another. Messages are matched by schema name; a
/// message whose name is gone is matched to a new one by topic, then by file, as a rename.
pub fn compare_versions(old: &[MessageVersion], new: &[MessageVersion]) -> Vec<Finding> {
    let by_name = |v: &[MessageVersion]| -> BTreeMap<String, MessageVersion> {
        v.iter()
            .map(|m| (m.schema_name.clone(), m.clone()))
            .collect()
    };
    let (olds, news) = (by_name(old), by_name(new));
    let mut unmatched_new: Vec<&MessageVersion> = news
        .values()
        .filter(|m| !olds.contains_key(&m.schema_name))
        .collect();
    let mut out = Vec::new();
    for before in olds.values() {
        if let Some(after) = news.get(&before.schema_name) {
            out.extend(compare_messages(before, after));
            continue;
        }
        let renamed = unmatched_new
            .iter()
            .position(|m| !before.topic.is_empty() && m.topic == before.topic)
            .or_else(|| unmatched_new.iter().position(|m| m.file == before.file));
        match renamed {
            Some(i) => {
                let after = unmatched_new.remove(i);
                out.extend(compare_messages(before, after));
            }
            None => out.push(finding(
                "MESSAGE_REMOVED",
                before,
                "",
                "the message is gone: upgraded consumers no longer decode it (archives keep it)"
                    .into(),
                Effects::new(O, B, B),
            )),
        }
    }
    for added in unmatched_new {
        out.push(finding(
            "MESSAGE_ADDED",
            added,
            "",
            "a new message".into(),
            Effects::new(O, O, O),
        ));
    }
    out
}
