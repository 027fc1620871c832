//! The schema files' versions in git, each compared with the one before by the compat checker.
//!
//! Two git processes for the whole repo, whatever its size: one `git log` over its folder, one
//! `git cat-file --batch` for the files' contents at each commit.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use fedora_messaging_compat::{compare_messages, Finding, MessageVersion, Mode, Policy};
use serde_json::Value;

/// One version of a message's schema file, as committed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Version {
    /// The commit (abbreviated).
    pub commit: String,
    /// The commit date (`YYYY-MM-DD`).
    pub date: String,
    /// The commit's subject line.
    pub subject: String,
    /// What changed since the version before (none for the first).
    pub findings: Vec<Finding>,
    /// Whether a change breaks readers (full mode: old or new consumers).
    pub breaking: bool,
}

/// A commit that touched a file.
#[derive(Debug, Clone)]
struct Commit {
    hash: String,
    date: String,
    subject: String,
}

/// What git knows of a schema repo's files.
pub(crate) struct Git {
    top: PathBuf,
    /// File (relative to `top`) → the commits that touched it, oldest first.
    commits: HashMap<String, Vec<Commit>>,
    /// (commit, file) → the file's text then.
    texts: HashMap<(String, String), String>,
}

impl Git {
    /// The history of every file under `root`; `None` when `root` is not in a git work tree (or
    /// git is not there).
    pub(crate) fn read(root: &Path, files: &[PathBuf]) -> Option<Self> {
        let top = PathBuf::from(git(root, &["rev-parse", "--show-toplevel"], None)?.trim());
        let top = top.canonicalize().ok()?;
        let log = git(
            root,
            &[
                "log",
                "--format=%x01%h%x09%cs%x09%s",
                "--name-only",
                "--",
                ".",
            ],
            None,
        )?;
        let mut commits: HashMap<String, Vec<Commit>> = HashMap::new();
        // git lists newest first; each record is a header line, then its files.
        for record in log.split('\u{1}').skip(1) {
            let mut lines = record.lines();
            let mut head = lines.next().unwrap_or_default().splitn(3, '\t');
            let commit = Commit {
                hash: head.next().unwrap_or_default().to_owned(),
                date: head.next().unwrap_or_default().to_owned(),
                subject: head.next().unwrap_or_default().to_owned(),
            };
            for file in lines.filter(|l| !l.trim().is_empty()) {
                commits
                    .entry(file.to_owned())
                    .or_default()
                    .insert(0, commit.clone());
            }
        }
        let mut wanted = Vec::new();
        for f in files {
            if let Some(rel) = relative(&top, f) {
                for c in commits.get(&rel).into_iter().flatten() {
                    wanted.push((c.hash.clone(), rel.clone()));
                }
            }
        }
        let texts = contents(&top, &wanted);
        Some(Self {
            top,
            commits,
            texts,
        })
    }

    /// The versions of `file` (oldest first), each with its findings against the one before.
    pub(crate) fn history(&self, file: &Path, current: &MessageVersion) -> Vec<Version> {
        let Some(rel) = relative(&self.top, file) else {
            return Vec::new();
        };
        let policy = Policy {
            mode: Mode::Full,
            strict: false,
            rust_api: false,
        };
        let mut versions = Vec::new();
        let mut before: Option<MessageVersion> = None;
        for c in self.commits.get(&rel).into_iter().flatten() {
            // A commit that deleted the file has no text for it.
            let Some(text) = self.texts.get(&(c.hash.clone(), rel.clone())) else {
                continue;
            };
            let Ok(schema) = serde_json::from_str::<Value>(text) else {
                continue;
            };
            let this = MessageVersion {
                schema,
                ..current.clone()
            };
            let findings = before
                .as_ref()
                .map(|b| compare_messages(b, &this))
                .unwrap_or_default();
            versions.push(Version {
                commit: c.hash.clone(),
                date: c.date.clone(),
                subject: c.subject.clone(),
                breaking: findings.iter().any(|f| policy.fails(f)),
                findings,
            });
            before = Some(this);
        }
        versions
    }
}

fn relative(top: &Path, file: &Path) -> Option<String> {
    let file = file.canonicalize().ok()?;
    Some(file.strip_prefix(top).ok()?.to_string_lossy().into_owned())
}

/// The texts of `(commit, file)` pairs, read by one `git cat-file --batch`.
fn contents(top: &Path, wanted: &[(String, String)]) -> HashMap<(String, String), String> {
    let mut out = HashMap::new();
    if wanted.is_empty() {
        return out;
    }
    let input: String = wanted.iter().map(|(c, f)| format!("{c}:{f}\n")).collect();
    let Some(raw) = git(top, &["cat-file", "--batch"], Some(&input)) else {
        return out;
    };
    let mut rest = raw.as_str();
    for key in wanted {
        let Some((header, after)) = rest.split_once('\n') else {
            break;
        };
        // `<sha> blob <size>`, or `<name> missing`.
        let size = header
            .rsplit(' ')
            .next()
            .and_then(|s| s.parse::<usize>().ok())
            .filter(|_| header.contains(" blob "));
        match size {
            Some(n) if after.len() >= n => {
                out.insert(key.clone(), after[..n].to_owned());
                rest = after[n..].strip_prefix('\n').unwrap_or(&after[n..]);
            }
            _ => rest = after,
        }
    }
    out
}

fn git(dir: &Path, args: &[&str], input: Option<&str>) -> Option<String> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        // Written from a thread: git answers while it reads, and a full pipe would block both.
        let text = text.to_owned();
        std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    }
    let out = child.wait_with_output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}
