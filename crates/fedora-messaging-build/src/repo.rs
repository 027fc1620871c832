//! The schema-repo convention: one folder per application, holding its JSON Schema files
//! unchanged and a `messages.toml` that says, for each file, which message it describes.
//!
//! ```toml
//! package = "bodhi-messages"      # the Python distribution, sent as a hint to consumers
//! app_name = "bodhi"
//! app_icon = "https://apps.fedoraproject.org/img/icons/bodhi.png"
//!
//! [[message]]
//! schema = "bodhi.update.comment.v1"   # the `fedora_messaging_schema` header value
//! file = "update.comment.v1.json"
//! topic = "bodhi.update.comment"
//! type = "UpdateCommentV1"             # optional: the Rust type name
//! severity = "info"                    # optional: debug, info (default), warning, error
//! summary = "{/comment/user/name} commented on {/comment/update/alias}"
//! url = "https://bodhi.fedoraproject.org/updates/{/comment/update/alias}"
//! agent = "/comment/user/name"
//! usernames = ["/comment/user/name", "/comment/update/user/name"]
//! packages = ["/comment/update/builds/*/nvr"]
//! ```
//!
//! `topic` is the topic every message of the type has; a topic with `{/pointer}`s is a template
//! over the body (`copr.build.{/status}`); without `topic` (or with `topic = ""`) each message has
//! its own, given by the sender (`fedora_messaging::WithTopic`), and any topic is accepted on
//! receive, as Python classes that set their topic per message do.
//!
//! Accessors are JSON pointers into the body; a `*` segment walks every element of an array. A
//! pointer may end with filters after a `|`: `nvr-name` (the name of a name-version-release) and
//! `mentions` (the `@user`s of a text), e.g. `packages = ["/update/builds/*/nvr | nvr-name"]`.
//! Templates replace each `{/pointer}` with the value found there.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, ErrorKind};
use crate::naming;

/// The manifest file name in each application folder.
pub const MANIFEST: &str = "messages.toml";

/// A schema repo, loaded and checked.
#[derive(Debug, Clone)]
pub struct Repo {
    /// The folder it was loaded from.
    pub root: PathBuf,
    /// Its applications, sorted by folder name.
    pub apps: Vec<App>,
    /// Every file and folder read, for `cargo:rerun-if-changed`.
    pub inputs: Vec<PathBuf>,
}

/// One application folder.
#[derive(Debug, Clone)]
pub struct App {
    /// The folder.
    pub dir: PathBuf,
    /// The Rust module name for it.
    pub module: String,
    /// The Python distribution that defines these messages, if any.
    pub package: Option<String>,
    /// `Message::app_name`.
    pub app_name: Option<String>,
    /// `Message::app_icon`.
    pub app_icon: Option<String>,
    /// Its messages, in manifest order.
    pub messages: Vec<MessageSpec>,
}

impl App {
    /// The `fedora_messaging_schema_package` header its messages carry: `package` as Python sends
    /// it (PEP 503 normalized, dashes made underscores: `bodhi-messages` gives `bodhi_messages`).
    pub fn schema_package(&self) -> Option<String> {
        self.package.as_deref().map(crate::naming::schema_package)
    }
}

/// One message: a schema file and what the manifest says about it.
#[derive(Debug, Clone)]
pub struct MessageSpec {
    /// The `fedora_messaging_schema` name.
    pub schema_name: String,
    /// The schema file.
    pub file: PathBuf,
    /// The body schema as written in the file.
    pub schema: Value,
    /// The file's text, embedded as written.
    pub schema_text: String,
    /// Where the topic comes from.
    pub topic: Topic,
    /// The Rust type name.
    pub type_name: String,
    /// `debug`, `info`, `warning` or `error`.
    pub severity: Severity,
    /// Whether the schema is deprecated.
    pub deprecated: bool,
    /// The accessor mappings.
    pub accessors: Accessors,
}

/// Where a message's topic comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Topic {
    /// Every message of the type has this topic.
    Fixed(String),
    /// Built from the body: each `{/pointer}` replaced by the value there.
    Template(String),
    /// Each message has its own, given by the sender; any topic is accepted on receive.
    PerMessage,
}

impl Topic {
    /// How the manifest's `topic` reads: absent or empty is per message, `{/` makes a template.
    fn from_manifest(topic: Option<String>) -> Self {
        match topic {
            None => Self::PerMessage,
            Some(t) if t.trim().is_empty() => Self::PerMessage,
            Some(t) if t.contains("{/") => Self::Template(t),
            Some(t) => Self::Fixed(t),
        }
    }
}

impl std::fmt::Display for Topic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Fixed(t) => write!(f, "`{t}`"),
            Self::Template(t) => write!(f, "`{t}` (from the body)"),
            Self::PerMessage => f.write_str("given per message"),
        }
    }
}

/// A message severity, as the manifest names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[allow(missing_docs)]
pub enum Severity {
    Debug,
    #[default]
    Info,
    Warning,
    Error,
}

/// Where the user-facing accessors find their values in a body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accessors {
    /// Template for `summary()`.
    pub summary: Option<String>,
    /// Template for `url()`.
    pub url: Option<String>,
    /// Pointer for `agent_name()`.
    pub agent: Option<String>,
    /// Pointers for `usernames()`.
    pub usernames: Vec<String>,
    /// Pointers for `groups()`.
    pub groups: Vec<String>,
    /// Pointers for `packages()`.
    pub packages: Vec<String>,
    /// Pointers for `containers()`.
    pub containers: Vec<String>,
    /// Pointers for `modules()`.
    pub modules: Vec<String>,
    /// Pointers for `flatpaks()`.
    pub flatpaks: Vec<String>,
}

impl Accessors {
    /// The list accessors, each with the name of its `Message` method (and manifest key).
    pub fn lists(&self) -> [(&'static str, &Vec<String>); 6] {
        [
            ("usernames", &self.usernames),
            ("groups", &self.groups),
            ("packages", &self.packages),
            ("containers", &self.containers),
            ("modules", &self.modules),
            ("flatpaks", &self.flatpaks),
        ]
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    package: Option<String>,
    app_name: Option<String>,
    app_icon: Option<String>,
    #[serde(default)]
    message: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    schema: Option<String>,
    file: Option<String>,
    topic: Option<String>,
    #[serde(rename = "type")]
    type_name: Option<String>,
    severity: Option<String>,
    #[serde(default)]
    deprecated: bool,
    // Listed here, not flattened: serde cannot deny unknown keys through a flattened struct.
    summary: Option<String>,
    url: Option<String>,
    agent: Option<String>,
    #[serde(default)]
    usernames: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    packages: Vec<String>,
    #[serde(default)]
    containers: Vec<String>,
    #[serde(default)]
    modules: Vec<String>,
    #[serde(default)]
    flatpaks: Vec<String>,
}

impl Repo {
    /// Loads and checks the repo under `root`: every folder with a `messages.toml` is an
    /// application; every `*.json` file in it must be listed there.
    pub fn load(root: impl AsRef<Path>) -> Result<Self, Error> {
        let root = root.as_ref().to_path_buf();
        let io = |p: &Path, e| Error::new(p, "", ErrorKind::Io(e));
        let mut inputs = vec![root.clone()];
        let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
            .map_err(|e| io(&root, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        // Every problem is collected, so one run reports them all.
        let mut problems = Vec::new();
        let mut apps = Vec::new();
        // Schema name → (file, schema) of the message that declared it first.
        let mut names: BTreeMap<String, (PathBuf, Value)> = BTreeMap::new();
        for dir in dirs {
            let manifest = dir.join(MANIFEST);
            if !manifest.is_file() {
                continue;
            }
            inputs.push(dir.clone());
            inputs.push(manifest.clone());
            let Some(mut app) = load_app(&dir, &manifest, &mut inputs, &mut problems) else {
                continue;
            };
            app.messages.retain(|m| match names.get(&m.schema_name) {
                None => {
                    names.insert(m.schema_name.clone(), (m.file.clone(), m.schema.clone()));
                    true
                }
                // One package vendoring another's message: the same schema under the same name
                // is one message, kept where it was declared first.
                Some((_, schema)) if *schema == m.schema => false,
                Some((other, _)) => {
                    problems.push(Error::new(
                        &m.file,
                        "",
                        ErrorKind::DuplicateSchemaName {
                            name: m.schema_name.clone(),
                            other: other.display().to_string(),
                        },
                    ));
                    false
                }
            });
            apps.push(app);
        }
        let mut modules: BTreeMap<String, PathBuf> = BTreeMap::new();
        for app in &apps {
            if let Some(other) = modules.insert(app.module.clone(), app.dir.clone()) {
                problems.push(Error::new(
                    &app.dir,
                    "",
                    ErrorKind::Invalid(format!(
                        "module name {:?} is also the name of {}",
                        app.module,
                        other.display()
                    )),
                ));
            }
        }
        match Error::collect(&root, problems) {
            Some(e) => Err(e),
            None => Ok(Self { root, apps, inputs }),
        }
    }

    /// Every message of every application.
    pub fn messages(&self) -> impl Iterator<Item = (&App, &MessageSpec)> {
        self.apps
            .iter()
            .flat_map(|a| a.messages.iter().map(move |m| (a, m)))
    }
}

/// One application; `None` when its manifest cannot be read at all. Problems with single messages
/// go to `problems` and leave the message out; the others load.
fn load_app(
    dir: &Path,
    manifest: &Path,
    inputs: &mut Vec<PathBuf>,
    problems: &mut Vec<Error>,
) -> Option<App> {
    let text = match fs::read_to_string(manifest) {
        Ok(t) => t,
        Err(e) => {
            problems.push(Error::new(manifest, "", ErrorKind::Io(e)));
            return None;
        }
    };
    let parsed: Result<Manifest, Error> = toml::from_str(&text).map_err(|e| {
        // One line, with the line number, rather than toml's multi-line drawing.
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
            .map(|l| format!("line {l}: "))
            .unwrap_or_default();
        Error::new(
            manifest,
            "",
            ErrorKind::Manifest(format!("{line}{}", e.message().trim())),
        )
    });
    let parsed = match parsed {
        Ok(p) => p,
        Err(e) => {
            problems.push(e);
            return None;
        }
    };
    let folder = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut listed = Vec::new();
    let mut messages: Vec<MessageSpec> = Vec::new();
    for (i, entry) in parsed.message.into_iter().enumerate() {
        if let Some(file) = entry.file.clone() {
            // Listed, even when the entry is broken: "not listed" would only add noise.
            listed.push(file);
        }
        match load_message(dir, manifest, &folder, i, entry, &messages, inputs) {
            Ok(m) => messages.push(m),
            Err(e) => problems.push(e),
        }
    }
    let mut unlisted: Vec<String> = match fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json") && !listed.contains(n))
            .collect(),
        Err(e) => {
            problems.push(Error::new(dir, "", ErrorKind::Io(e)));
            Vec::new()
        }
    };
    unlisted.sort();
    for name in unlisted {
        problems.push(Error::new(
            dir.join(name),
            "",
            ErrorKind::Invalid(format!(
                "not listed in {MANIFEST}: add a [[message]] for it"
            )),
        ));
    }
    Some(App {
        dir: dir.to_path_buf(),
        module: naming::snake(&folder),
        package: parsed.package,
        app_name: parsed.app_name,
        app_icon: parsed.app_icon,
        messages,
    })
}

/// One `[[message]]` entry, number `i` of the manifest.
fn load_message(
    dir: &Path,
    manifest: &Path,
    folder: &str,
    i: usize,
    entry: Entry,
    earlier: &[MessageSpec],
    inputs: &mut Vec<PathBuf>,
) -> Result<MessageSpec, Error> {
    {
        let at = |key: &str| format!("/message/{i}/{key}");
        let missing = |key: &'static str| Error::new(manifest, at(key), ErrorKind::Missing(key));
        let invalid =
            |key: &str, why: String| Error::new(manifest, at(key), ErrorKind::Invalid(why));
        let schema_name = entry.schema.ok_or_else(|| missing("schema"))?;
        let file_name = entry.file.ok_or_else(|| missing("file"))?;
        let topic = Topic::from_manifest(entry.topic);
        let severity = match entry.severity.as_deref() {
            None | Some("info") => Severity::Info,
            Some("debug") => Severity::Debug,
            Some("warning") => Severity::Warning,
            Some("error") => Severity::Error,
            Some(other) => {
                return Err(invalid(
                    "severity",
                    format!("unknown severity {other:?} (debug, info, warning or error)"),
                ))
            }
        };
        let type_name = match entry.type_name {
            Some(t) => {
                if naming::is_reserved_type(&t) {
                    return Err(Error::new(
                        manifest,
                        at("type"),
                        ErrorKind::ReservedTypeName(t),
                    ));
                }
                if naming::pascal(&t) != t {
                    return Err(invalid(
                        "type",
                        format!("{t:?} is not a PascalCase Rust type name"),
                    ));
                }
                t
            }
            None => naming::pascal(&default_type_name(&schema_name, folder)),
        };
        if let Some(other) = earlier.iter().find(|m| m.type_name == type_name) {
            return Err(Error::new(
                manifest,
                at("type"),
                ErrorKind::DuplicateTypeName {
                    name: type_name,
                    other: other.schema_name.clone(),
                },
            ));
        }
        let accessors = Accessors {
            summary: entry.summary,
            url: entry.url,
            agent: entry.agent,
            usernames: entry.usernames,
            groups: entry.groups,
            packages: entry.packages,
            containers: entry.containers,
            modules: entry.modules,
            flatpaks: entry.flatpaks,
        };
        for (key, p) in pointers(&accessors) {
            check_pointer(p).map_err(|why| invalid(key, why))?;
        }
        if file_name.contains('/') || file_name.contains('\\') || file_name.starts_with('.') {
            return Err(invalid(
                "file",
                format!("{file_name:?} must be a file name in {folder}"),
            ));
        }
        let file = dir.join(&file_name);
        let schema_text =
            fs::read_to_string(&file).map_err(|e| Error::new(&file, "", ErrorKind::Io(e)))?;
        let schema: Value = serde_json::from_str(&schema_text)
            .map_err(|e| Error::new(&file, "", ErrorKind::Json(e)))?;
        inputs.push(file.clone());
        Ok(MessageSpec {
            schema_name,
            file,
            schema,
            schema_text,
            topic,
            type_name,
            severity,
            deprecated: entry.deprecated,
            accessors,
        })
    }
}

/// The schema name without the application's own prefix: `bodhi.update.comment.v1` in `bodhi/`
/// becomes `update.comment.v1`.
fn default_type_name(schema_name: &str, folder: &str) -> String {
    schema_name
        .strip_prefix(folder)
        .and_then(|s| s.strip_prefix('.'))
        .filter(|s| !s.is_empty())
        .unwrap_or(schema_name)
        .to_owned()
}

fn pointers(a: &Accessors) -> Vec<(&'static str, &str)> {
    let mut out = Vec::new();
    for (key, t) in [("summary", &a.summary), ("url", &a.url)] {
        if let Some(t) = t {
            for p in template_pointers(t) {
                out.push((key, p));
            }
        }
    }
    if let Some(p) = &a.agent {
        out.push(("agent", p.as_str()));
    }
    for (key, list) in a.lists() {
        out.extend(list.iter().map(|p| (key, p.as_str())));
    }
    out
}

/// The `{/pointer}` parts of a template.
pub(crate) fn template_pointers(t: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(start) = rest.find("{/") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push(&rest[start + 1..start + len]);
        rest = &rest[start + len + 1..];
    }
    out
}

/// The filters an accessor may end with (`fedora_messaging::accessor::FILTERS`).
const FILTERS: &[&str] = &["nvr-name", "mentions"];

fn check_pointer(accessor: &str) -> Result<(), String> {
    let mut parts = accessor.split('|');
    let p = parts.next().unwrap_or_default().trim();
    if !p.starts_with('/') {
        return Err(format!(
            "{p:?} is not a JSON pointer (it must start with '/')"
        ));
    }
    for filter in parts.map(str::trim) {
        if !FILTERS.contains(&filter) {
            return Err(format!(
                "unknown filter {filter:?} in {accessor:?} (known: {})",
                FILTERS.join(", ")
            ));
        }
    }
    Ok(())
}
