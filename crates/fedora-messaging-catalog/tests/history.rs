//! A schema repo in git: each message page shows the versions of its schema file, each checked
//! against the one before with the compat checker's rule ids and verdict.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use fedora_messaging_build::Repo;
use fedora_messaging_catalog::{catalog, CatalogOptions};

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.org"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn schema(dir: &Path, properties: &str, required: &str) {
    std::fs::write(
        dir.join("app/thing.v1.json"),
        format!(
            r#"{{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                "required": [{required}], "properties": {{{properties}}}}}"#
        ),
    )
    .unwrap();
}

#[test]
fn each_version_has_its_verdict() {
    let dir = std::env::temp_dir().join(format!("catalog-history-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("app")).unwrap();
    std::fs::write(
        dir.join("app/messages.toml"),
        "[[message]]\nschema = \"app.thing.v1\"\nfile = \"thing.v1.json\"\ntopic = \"app.thing\"\n",
    )
    .unwrap();
    git(&dir, &["init", "-q"]);
    schema(&dir, r#""id": {"type": "integer"}"#, r#""id""#);
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-qm", "First"]);
    schema(
        &dir,
        r#""id": {"type": "integer"}, "note": {"type": "string"}"#,
        r#""id""#,
    );
    git(&dir, &["commit", "-qam", "Add an optional note"]);
    schema(
        &dir,
        r#""id": {"type": "integer"}, "note": {"type": "string"}, "owner": {"type": "string"}"#,
        r#""id", "owner""#,
    );
    git(&dir, &["commit", "-qam", "Require an owner"]);

    let repo = Repo::load(&dir).unwrap();
    let site = catalog(&repo, &CatalogOptions::default());
    let page = &site
        .files
        .iter()
        .find(|(p, _)| p == "messages/app_thing_v1.html")
        .unwrap()
        .1;
    let history = &page[page.find("<h2 id=\"history\">").unwrap()..];
    let history = &history[..history.find("</table>").unwrap()];
    let rows: Vec<&str> = history.split("<tr>").skip(2).collect();
    assert_eq!(rows.len(), 3, "{history}");
    assert!(rows[0].contains("First") && rows[0].contains("first version"));
    assert!(
        rows[1].contains("Add an optional note") && rows[1].contains(">compatible<"),
        "{}",
        rows[1]
    );
    assert!(rows[1].contains("PROPERTY_ADDED_OPTIONAL"), "{}", rows[1]);
    assert!(
        rows[2].contains("Require an owner") && rows[2].contains(">breaking<"),
        "{}",
        rows[2]
    );
    assert!(rows[2].contains("PROPERTY_ADDED_REQUIRED"), "{}", rows[2]);

    // Without history, no section.
    let quiet = catalog(
        &repo,
        &CatalogOptions {
            history: false,
            ..CatalogOptions::default()
        },
    );
    assert!(!quiet
        .files
        .iter()
        .any(|(_, t)| t.contains("id=\"history\"")));
    let _ = std::fs::remove_dir_all(&dir);
}
