//! The catalog and the AsyncAPI export of `schemas/` and of five real schema packages from PyPI
//! (bodhi, pagure, anitya, copr, noggin: 95 schemas, imported with
//! `scripts/import-schema-package`):
//!
//! - each AsyncAPI document, as YAML and as JSON, parses with the official parser
//!   (`@asyncapi/parser` from npm) with zero errors;
//! - each catalog, opened in the system's Chromium (driven by playwright-core): every page loads
//!   with no console error and no WCAG 2.1 A/AA violation found by axe-core, every link
//!   resolves, typing in the filter box narrows the index; a
//!   screenshot of the index and of a message page lands in `target/catalog/screenshots/`;
//! - every example body the pages show validates against its schema.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::python::{root, run, venv};
use fedora_messaging::schema::CompiledSchema;
use fedora_messaging_build::Repo;
use fedora_messaging_catalog::{asyncapi, catalog, to_yaml, AsyncApiOptions, CatalogOptions};
use serde_json::Value;

const FIVE: [&str; 5] = [
    "bodhi-messages",
    "pagure-messages",
    "anitya-schema",
    "copr-messaging",
    "noggin-messages",
];

fn work() -> PathBuf {
    let dir = root().join("target/catalog");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The five packages as a schema repo (the same versions the conformance test pins).
fn imported() -> PathBuf {
    let out = work().join("repo5");
    let _ = std::fs::remove_dir_all(&out);
    let mut import = Command::new(venv());
    import
        .arg(root().join("scripts/import-schema-package"))
        .arg("--out")
        .arg(&out)
        .args(FIVE);
    run(&mut import);
    out
}

/// `node_modules` with the parser and playwright-core at the versions of
/// `tests/catalog/package-lock.json`, installed with `npm ci` when they change.
fn node_modules() -> PathBuf {
    let dir = work().join("npm");
    std::fs::create_dir_all(&dir).unwrap();
    let source = root().join("tests/catalog");
    let lock = std::fs::read_to_string(source.join("package-lock.json")).unwrap();
    for f in [
        "package.json",
        "package-lock.json",
        "validate-asyncapi.mjs",
        "browse.mjs",
    ] {
        std::fs::copy(source.join(f), dir.join(f)).unwrap();
    }
    let marker = dir.join("installed");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(lock.as_str()) {
        run(Command::new("npm")
            .args(["ci", "--silent", "--no-audit", "--no-fund"])
            .current_dir(&dir));
        std::fs::write(&marker, lock).unwrap();
    }
    dir
}

fn node(dir: &Path, script: &str, args: &[&str]) -> String {
    run(Command::new("node").arg(script).args(args).current_dir(dir))
}

#[test]
fn asyncapi_catalog_and_browser() {
    let npm = node_modules();
    assert!(
        Path::new("/usr/bin/chromium").exists() || std::env::var_os("CHROMIUM").is_some(),
        "Chromium is needed (scripts/system-packages installs Debian's chromium)"
    );
    let repos = [
        (
            "schemas",
            root().join("schemas"),
            "forum",
            "messages/forum_post_created_v2.html",
        ),
        (
            "imported",
            imported(),
            "bodhi update",
            "messages/bodhi_update_comment_v1.html",
        ),
    ];
    for (name, dir, filter, message_page) in repos {
        let repo = Repo::load(&dir).unwrap_or_else(|e| panic!("{e}"));
        let count = repo.messages().count();
        if name == "imported" {
            assert_eq!(count, 95);
        }
        check_asyncapi(&npm, name, &repo, count);
        check_catalog(&npm, name, &repo, count, filter, message_page);
    }
}

fn check_asyncapi(npm: &Path, name: &str, repo: &Repo, count: usize) {
    let doc = asyncapi(repo, &AsyncApiOptions::default());
    let yaml = work().join(format!("{name}.asyncapi.yaml"));
    let json = work().join(format!("{name}.asyncapi.json"));
    std::fs::write(&yaml, to_yaml(&doc)).unwrap();
    std::fs::write(&json, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let out = node(
        npm,
        "validate-asyncapi.mjs",
        &[yaml.to_str().unwrap(), json.to_str().unwrap()],
    );
    for line in out.lines() {
        let r: Value = serde_json::from_str(line).unwrap();
        assert_eq!(r["parsed"], true, "{r}");
        assert_eq!(r["errors"], 0, "{r}");
        assert_eq!(r["messages"], count, "{r}");
    }
    assert_eq!(out.lines().count(), 2);
}

fn check_catalog(
    npm: &Path,
    name: &str,
    repo: &Repo,
    count: usize,
    filter: &str,
    message_page: &str,
) {
    let site_dir = work().join(format!("site-{name}"));
    let _ = std::fs::remove_dir_all(&site_dir);
    let site = catalog(repo, &CatalogOptions::default());
    site.write_to(&site_dir).unwrap();

    // Every example shown validates against the schema of the page's message.
    let mut examples = 0;
    for (path, text) in &site.files {
        if !path.starts_with("messages/") {
            continue;
        }
        let schema_name = between(text, "<h1>", "</h1>").unwrap();
        let (_, spec) = repo
            .messages()
            .find(|(_, m)| m.schema_name == unescape(schema_name))
            .unwrap();
        let Some(shown) = between(
            text,
            "<pre class=\"example\" tabindex=\"0\"><code>",
            "</code>",
        ) else {
            continue;
        };
        let body: Value = serde_json::from_str(&unescape(shown)).unwrap();
        let schema = CompiledSchema::compile(&spec.schema).unwrap();
        assert!(
            schema.is_valid(&body),
            "{path}: {:?}",
            schema.violations(&body)
        );
        examples += 1;
    }
    assert_eq!(examples, count, "every page of {name} shows an example");

    // The browser.
    let shots = work().join("screenshots").join(name);
    std::fs::create_dir_all(&shots).unwrap();
    let index = &site.files[0].1;
    let words: Vec<String> = filter.split_whitespace().map(str::to_lowercase).collect();
    let expected = index
        .split("<tr data-search=\"")
        .skip(1)
        .filter(|row| {
            let text = &row[..row.find('"').unwrap()];
            words.iter().all(|w| text.contains(w.as_str()))
        })
        .count();
    assert!(expected > 0 && expected < count, "{filter}: {expected}");
    let out = node(
        npm,
        "browse.mjs",
        &[
            site_dir.to_str().unwrap(),
            shots.to_str().unwrap(),
            filter,
            message_page,
        ],
    );
    let r: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(r["problems"], serde_json::json!([]), "{r}");
    assert_eq!(r["accessibility"], serde_json::json!([]), "{r}");
    assert_eq!(r["pages"], count + 1, "{r}");
    assert_eq!(r["filter"]["before"], count, "{r}");
    assert_eq!(r["filter"]["after"], expected, "{r}");
    assert_eq!(
        r["filter"]["shown"],
        format!("{expected} messages shown"),
        "{r}"
    );
    for shot in ["catalog-index.png", "catalog-message.png"] {
        let len = std::fs::metadata(shots.join(shot)).unwrap().len();
        assert!(len > 10_000, "{shot}: {len} bytes");
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(&text[from..to])
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}
