//! `compat`: schema-repo versions compared with `fedora-messaging-compat`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use fedora_messaging_build::Repo;
use fedora_messaging_compat::{check, Mode, Policy};

use crate::args::{CompatArgs, CompatFormat, CompatMode};

/// Exit codes of `compat`.
const BREAKING: i32 = 1;
const UNREADABLE: i32 = 2;

pub(crate) fn compat(args: &CompatArgs) -> i32 {
    let scratch =
        std::env::temp_dir().join(format!("fedora-messaging-compat-{}", std::process::id()));
    let result = run(args, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Error: {e:#}");
            UNREADABLE
        }
    }
}

fn run(args: &CompatArgs, scratch: &Path) -> Result<i32> {
    let mut versions = Vec::new();
    for (i, spec) in args.versions.iter().enumerate() {
        let dir = materialize(spec, &scratch.join(i.to_string()))?;
        let repo = Repo::load(&dir).with_context(|| format!("version {spec}"))?;
        versions.push((spec.clone(), repo));
    }
    let Some(new) = versions.pop() else {
        bail!("give at least two versions");
    };
    let (mode, transitive) = match args.mode {
        CompatMode::Backward => (Mode::Backward, false),
        CompatMode::Forward => (Mode::Forward, false),
        CompatMode::Full => (Mode::Full, false),
        CompatMode::BackwardTransitive => (Mode::Backward, true),
        CompatMode::ForwardTransitive => (Mode::Forward, true),
        CompatMode::FullTransitive => (Mode::Full, true),
    };
    let policy = Policy {
        mode,
        strict: args.strict,
        rust_api: args.rust_api,
    };
    let report = check(&versions, &new, policy, transitive);
    match args.format {
        CompatFormat::Text => print!("{}", report.to_text()),
        CompatFormat::Json => println!("{:#}", report.to_json()),
        CompatFormat::Github => {
            // Annotations point at the new version's files, as the repository holds them.
            let path = new.0.rsplit_once(':').map_or(new.0.as_str(), |(_, p)| p);
            print!("{}", report.to_github(path));
        }
    }
    Ok(if report.is_compatible() { 0 } else { BREAKING })
}

/// The folder holding version `spec`: the folder itself, or `REV:PATH` written out of git into
/// `scratch`.
fn materialize(spec: &str, scratch: &Path) -> Result<PathBuf> {
    let path = Path::new(spec);
    if path.is_dir() {
        return Ok(path.to_path_buf());
    }
    let Some((rev, dir)) = spec.split_once(':') else {
        bail!("{spec}: no such folder (a git version is written REV:PATH)");
    };
    let dir = dir.trim_end_matches('/');
    let files = git(&["ls-tree", "-r", "--name-only", rev, "--", dir])
        .with_context(|| format!("{spec}: cannot list it in git"))?;
    if files.trim().is_empty() {
        bail!("{spec}: git has no files under {dir:?} at {rev}");
    }
    for file in files.lines() {
        let text = git(&["show", &format!("{rev}:{file}")])
            .with_context(|| format!("{spec}: cannot read {file}"))?;
        let rel = Path::new(file).strip_prefix(dir).unwrap_or(Path::new(file));
        let dest = scratch.join(rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&dest, text)?;
    }
    Ok(scratch.to_path_buf())
}

fn git(args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .args(args)
        .output()
        .context("cannot run git")?;
    if !out.status.success() {
        bail!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    String::from_utf8(out.stdout).context("git printed something that is not UTF-8")
}
