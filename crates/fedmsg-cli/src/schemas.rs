//! `--schemas DIR`: a schema repo read at run time as a [`Typing`], so that `zmq-to-amqp` sends
//! typed messages without generated code. The type of a topic is the one a generated
//! `Registry` would find: newest schema name first, the first whose schema accepts the body; the
//! filter headers come from the manifest's accessors, evaluated by the same functions generated
//! code calls.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use fedmsg::bridge::typing::{Typed, Typing};
use fedora_messaging::accessor;
use fedora_messaging::schema::{CompiledSchema, Part};
use fedora_messaging::Severity;
use fedora_messaging_build::repo::{Accessors, Severity as RepoSeverity, Topic};
use fedora_messaging_build::Repo;
use serde_json::Value;

struct Entry {
    schema_name: String,
    package: Option<String>,
    severity: Severity,
    /// The fixed topic, or the template rendered from the body.
    topic: Topic,
    schema: CompiledSchema,
    accessors: Accessors,
}

/// The messages of a schema repo, typed by topic.
pub(crate) struct RepoTyping {
    /// Newest schema name first, as the registry looks them up.
    entries: Vec<Entry>,
    /// Fixed topic → indexes into `entries`.
    fixed: BTreeMap<String, Vec<usize>>,
}

impl std::fmt::Debug for RepoTyping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RepoTyping")
            .field("messages", &self.entries.len())
            .finish()
    }
}

impl RepoTyping {
    /// Loads `dir` and compiles every schema (a schema that does not compile is an error naming it).
    pub(crate) fn load(dir: &Path) -> anyhow::Result<Self> {
        let repo = Repo::load(dir)
            .with_context(|| format!("reading the schema repo {}", dir.display()))?;
        let mut entries = Vec::new();
        for (app, m) in repo.messages() {
            let schema = CompiledSchema::compile(&m.schema).with_context(|| {
                format!(
                    "compiling the schema {} ({})",
                    m.schema_name,
                    m.file.display()
                )
            })?;
            entries.push(Entry {
                schema_name: m.schema_name.clone(),
                package: app.schema_package(),
                severity: match m.severity {
                    RepoSeverity::Debug => Severity::Debug,
                    RepoSeverity::Warning => Severity::Warning,
                    RepoSeverity::Error => Severity::Error,
                    _ => Severity::Info,
                },
                topic: m.topic.clone(),
                schema,
                accessors: m.accessors.clone(),
            });
        }
        entries.sort_by(|a, b| b.schema_name.cmp(&a.schema_name));
        let mut fixed: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (n, e) in entries.iter().enumerate() {
            if let Topic::Fixed(t) = &e.topic {
                fixed.entry(t.clone()).or_default().push(n);
            }
        }
        Ok(Self { entries, fixed })
    }

    /// How many message types the repo has.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

impl Typing for RepoTyping {
    fn type_of(&self, topic: &str, body: &Value) -> Result<Option<Typed>, String> {
        let fixed = self.fixed.get(topic).into_iter().flatten().copied();
        let templated = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(n, e)| match &e.topic {
                Topic::Template(t) if accessor::render(body, t).as_deref() == Some(topic) => {
                    Some(n)
                }
                _ => None,
            });
        let mut candidates: Vec<usize> = fixed.chain(templated).collect();
        candidates.sort_unstable();
        candidates.dedup();
        let mut first_error = None;
        for n in candidates {
            let e = &self.entries[n];
            if let Err(err) = e.schema.check(body, &e.schema_name, Part::Body) {
                first_error.get_or_insert(err.to_string());
                continue;
            }
            let lists = |pointers: &Vec<String>| {
                accessor::collect(
                    body,
                    &pointers.iter().map(String::as_str).collect::<Vec<_>>(),
                )
            };
            let a = &e.accessors;
            return Ok(Some(Typed {
                schema_name: e.schema_name.clone(),
                schema_package: e.package.clone(),
                severity: e.severity,
                filters: [
                    lists(&a.usernames),
                    lists(&a.groups),
                    lists(&a.packages),
                    lists(&a.containers),
                    lists(&a.modules),
                    lists(&a.flatpaks),
                ],
            }));
        }
        first_error.map_or(Ok(None), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn repo() -> RepoTyping {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas");
        RepoTyping::load(&root).unwrap()
    }

    #[test]
    fn the_project_repo_types_its_fixed_topics_and_refuses_bodies_that_do_not_fit() {
        let r = repo();
        assert!(r.len() > 3);
        let repo = Repo::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas")).unwrap();
        // Every fixed-topic message of the repo: its own sample body is not needed to find that
        // the topic is known — an empty object either fits or is refused with a reason.
        let mut fixed_topics = 0;
        for (_, m) in repo.messages() {
            if let Topic::Fixed(t) = &m.topic {
                fixed_topics += 1;
                match r.type_of(t, &json!({})) {
                    Ok(Some(typed)) => assert!(typed.schema_name.contains('.'), "{typed:?}"),
                    Ok(None) => panic!("{t} is a known topic"),
                    Err(why) => assert!(!why.is_empty()),
                }
            }
        }
        assert!(fixed_topics > 0);
        assert_eq!(r.type_of("no.such.topic", &json!({})).unwrap(), None);
    }

    #[test]
    fn a_fitting_body_gets_its_schema_severity_and_filter_items() {
        let body = json!({"owner": "alice", "package": "rpm", "status": "succeeded"});
        let t = repo()
            .type_of("demo.build.complete", &body)
            .unwrap()
            .unwrap();
        assert_eq!(t.schema_name, "demo.build.complete.v1");
        assert_eq!(t.severity, Severity::Info);
        assert_eq!(t.filters[0], ["alice"]);
        assert_eq!(t.filters[2], ["rpm"]);
        let err = repo()
            .type_of("demo.build.complete", &json!({"owner": 1}))
            .unwrap_err();
        assert!(err.contains("demo.build.complete.v1"), "{err}");
    }
}
