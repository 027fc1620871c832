//! The catalog site: what it shows of each message, and the files it is made of.

mod assets;
mod html;

use std::path::Path;

use fedora_messaging_build::repo::{App, MessageSpec, Topic};
use fedora_messaging_build::Repo;
use fedora_messaging_compat::MessageVersion;
use serde_json::Value;

use crate::asyncapi::component_id;
use crate::example::{example, Source};
use crate::history::{Git, Version};
use crate::schema_walk::{fields, Field};
use crate::{severity_of, summary_of};

/// How the catalog is made.
#[derive(Debug, Clone)]
#[must_use]
pub struct CatalogOptions {
    /// The site's title.
    pub title: String,
    /// Read each schema file's history from git (when the repo is in a git work tree).
    pub history: bool,
}

impl Default for CatalogOptions {
    fn default() -> Self {
        Self {
            title: "Fedora message catalog".into(),
            history: true,
        }
    }
}

/// A generated site: relative paths and their contents.
#[derive(Debug, Clone)]
pub struct Site {
    /// Every file, `index.html` first.
    pub files: Vec<(String, String)>,
}

impl Site {
    /// Writes every file under `dir` (made if missing).
    ///
    /// # Errors
    /// The first file or folder that cannot be written.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<()> {
        for (path, text) in &self.files {
            let target = dir.join(path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(target, text)?;
        }
        Ok(())
    }
}

/// What a page shows of one message.
pub(crate) struct Entry<'a> {
    pub(crate) app: &'a App,
    pub(crate) spec: &'a MessageSpec,
    /// The page's file name stem.
    pub(crate) id: String,
    pub(crate) topic: String,
    pub(crate) summary: Option<String>,
    pub(crate) fields: Vec<Field>,
    pub(crate) example: Option<(Value, Source)>,
    pub(crate) history: Vec<Version>,
}

/// The catalog of `repo`.
pub fn catalog(repo: &Repo, options: &CatalogOptions) -> Site {
    let versions = MessageVersion::all(repo);
    let files: Vec<std::path::PathBuf> = repo.messages().map(|(_, m)| m.file.clone()).collect();
    let git = if options.history {
        Git::read(&repo.root, &files)
    } else {
        None
    };
    let mut used = std::collections::HashSet::new();
    let entries: Vec<Entry<'_>> = repo
        .messages()
        .map(|(app, spec)| {
            let mut id = component_id(&spec.schema_name);
            while !used.insert(id.clone()) {
                id.push('_');
            }
            let topic = match &spec.topic {
                Topic::Fixed(t) | Topic::Template(t) => t.clone(),
                _ => String::new(),
            };
            let history = git
                .as_ref()
                .and_then(|g| {
                    versions
                        .iter()
                        .find(|v| v.schema_name == spec.schema_name)
                        .map(|v| g.history(&spec.file, v))
                })
                .unwrap_or_default();
            Entry {
                app,
                spec,
                id,
                topic,
                summary: summary_of(spec),
                fields: fields(&spec.schema),
                example: example(&spec.schema),
                history,
            }
        })
        .collect();
    let mut files = vec![
        (
            "index.html".to_owned(),
            html::index(&options.title, &entries),
        ),
        ("catalog.css".to_owned(), assets::CSS.to_owned()),
        ("catalog.js".to_owned(), assets::JS.to_owned()),
    ];
    for e in &entries {
        files.push((
            format!("messages/{}.html", e.id),
            html::message(&options.title, e, &entries),
        ));
    }
    Site { files }
}

/// The severity's name and number, as the pages show it.
pub(crate) fn severity_text(e: &Entry<'_>) -> String {
    let s = severity_of(e.spec.severity);
    format!("{} ({})", s.name(), s.value())
}
