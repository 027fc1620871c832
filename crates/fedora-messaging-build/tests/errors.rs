//! Bad schema repos: each gets an error naming the file and the JSON pointer, never a panic and
//! never code that compiles but is wrong.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use fedora_messaging_build::{generate, ErrorKind, Repo};

/// A scratch repo with one app folder `app/` holding `files`.
fn repo(test: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fmb-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("app")).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join("app").join(name), text).unwrap();
    }
    dir
}

const ONE: &str =
    "[[message]]\nschema = \"app.thing\"\nfile = \"thing.json\"\ntopic = \"app.thing\"\n";

/// Loads and generates; the error's text.
fn error_of(dir: &Path) -> (ErrorKind, String) {
    let err = match Repo::load(dir) {
        Err(e) => e,
        Ok(repo) => generate(&repo).expect_err("generation should fail"),
    };
    let text = err.to_string();
    (err.kind, text)
}

#[test]
fn invalid_json_names_the_file() {
    let dir = repo(
        "json",
        &[("messages.toml", ONE), ("thing.json", "{\"type\": ")],
    );
    let (kind, text) = error_of(&dir);
    assert!(matches!(kind, ErrorKind::Json(_)), "{kind:?}");
    assert!(text.contains("app/thing.json#: not valid JSON"), "{text}");
}

#[test]
fn unresolvable_ref_names_the_pointer() {
    let schema = r##"{"type": "object", "properties": {"a": {"type": "object", "properties": {"b": {"$ref": "#/definitions/missing"}}}}}"##;
    let dir = repo("ref", &[("messages.toml", ONE), ("thing.json", schema)]);
    let (kind, text) = error_of(&dir);
    assert!(matches!(kind, ErrorKind::UnresolvableRef(..)), "{kind:?}");
    assert!(
        text.contains("thing.json#/properties/a/properties/b/$ref: unresolvable $ref \"#/definitions/missing\": nothing at that pointer"),
        "{text}"
    );
}

#[test]
fn other_files_and_unknown_anchors_are_unresolvable() {
    let schema = r##"{"type": "object", "properties": {"a": {"$ref": "common.json#/x"}, "b": {"$ref": "#nope"}}}"##;
    let dir = repo("extref", &[("messages.toml", ONE), ("thing.json", schema)]);
    let (_, text) = error_of(&dir);
    assert!(text.contains("#/properties/a/$ref"), "{text}");
    assert!(
        text.contains("only references inside the same file"),
        "{text}"
    );
}

#[test]
fn a_schema_name_used_twice_is_refused() {
    let manifest = format!("{ONE}\n[[message]]\nschema = \"app.thing\"\nfile = \"other.json\"\ntopic = \"app.other\"\ntype = \"Other\"\n");
    let dir = repo(
        "dup",
        &[
            ("messages.toml", &manifest),
            ("thing.json", "{}"),
            ("other.json", "{}"),
        ],
    );
    // Across applications too: a second folder declaring the same name.
    std::fs::create_dir_all(dir.join("zzz")).unwrap();
    std::fs::write(dir.join("zzz/messages.toml"), ONE).unwrap();
    std::fs::write(dir.join("zzz/thing.json"), "{}").unwrap();
    std::fs::write(dir.join("app/messages.toml"), ONE).unwrap();
    std::fs::remove_file(dir.join("app/other.json")).unwrap();
    let (kind, text) = error_of(&dir);
    assert!(
        matches!(kind, ErrorKind::DuplicateSchemaName { .. }),
        "{kind:?}"
    );
    assert!(
        text.contains("zzz/messages.toml#: schema name \"app.thing\" is already used by"),
        "{text}"
    );
    assert!(text.contains("app/thing.json"), "{text}");
}

#[test]
fn a_missing_topic_names_the_entry() {
    let manifest = "[[message]]\nschema = \"app.thing\"\nfile = \"thing.json\"\n";
    let dir = repo(
        "topic",
        &[("messages.toml", manifest), ("thing.json", "{}")],
    );
    let (kind, text) = error_of(&dir);
    assert!(matches!(kind, ErrorKind::Missing("topic")), "{kind:?}");
    assert!(
        text.contains("app/messages.toml#/message/0/topic: missing `topic`"),
        "{text}"
    );
}

#[test]
fn manifest_mistakes_are_named() {
    for (manifest, expected) in [
        (
            format!("{ONE}severity = \"loud\"\n"),
            "#/message/0/severity: unknown severity \"loud\"",
        ),
        (
            format!("{ONE}type = \"not_pascal\"\n"),
            "#/message/0/type: \"not_pascal\" is not a PascalCase",
        ),
        (
            format!("{ONE}agent = \"user/name\"\n"),
            "#/message/0/agent: \"user/name\" is not a JSON pointer",
        ),
        (
            format!("{ONE}packages = [\"/builds/*/nvr | nvr-version\"]\n"),
            "#/message/0/packages: unknown filter \"nvr-version\" in \"/builds/*/nvr | nvr-version\" (known: nvr-name, mentions)",
        ),
        (
            format!("{ONE}colour = \"red\"\n"),
            "messages.toml#: invalid manifest: line 5: unknown field `colour`",
        ),
        (
            ONE.replace("thing.json", "../thing.json"),
            "#/message/0/file: \"../thing.json\" must be a file name",
        ),
    ] {
        let dir = repo(
            "manifest",
            &[("messages.toml", &manifest), ("thing.json", "{}")],
        );
        let (_, text) = error_of(&dir);
        assert!(text.contains(expected), "{manifest}\n=> {text}");
    }
}

#[test]
fn an_unlisted_schema_file_is_refused() {
    let dir = repo(
        "unlisted",
        &[
            ("messages.toml", ONE),
            ("thing.json", "{}"),
            ("forgotten.json", "{}"),
        ],
    );
    let (_, text) = error_of(&dir);
    assert!(
        text.contains("app/forgotten.json#: not listed in messages.toml"),
        "{text}"
    );
}

#[test]
fn a_value_that_is_not_a_schema_is_refused() {
    let schema = r#"{"type": "object", "properties": {"n": 3}}"#;
    let dir = repo(
        "notschema",
        &[("messages.toml", ONE), ("thing.json", schema)],
    );
    let (kind, text) = error_of(&dir);
    assert!(matches!(kind, ErrorKind::NotASchema(_)), "{kind:?}");
    assert!(
        text.contains("thing.json#/properties/n: not a JSON Schema"),
        "{text}"
    );
}

#[test]
fn hostile_names_stay_inside_string_literals() {
    let schema = r##"{"type": "object", "description": "*/ } fn evil() {} /*\n\"#]",
        "properties": {"\"); std::process::abort(); (\"": {"type": "string", "description": "\"]\n#![x]"},
                       "r#type": {"enum": ["\")", "}", "a\u0000b"]}}}"##;
    let manifest = "[[message]]\nschema = \"app.\\\"evil\\\"\"\nfile = \"thing.json\"\ntopic = \"t\\\"; panic!()\"\nsummary = \"{/x}\\\"\"\n";
    let dir = repo(
        "hostile",
        &[("messages.toml", manifest), ("thing.json", schema)],
    );
    let code = generate(&Repo::load(&dir).unwrap()).unwrap();
    // The code parses, and the hostile text appears only inside literals: no function `evil`,
    // no call to abort, no inner attribute.
    let file = syn::parse_file(&code).unwrap();
    let idents: Vec<String> = code_idents(&quote::quote!(#file));
    for bad in ["abort", "panic", "x"] {
        assert!(
            !idents.iter().any(|i| i == bad),
            "identifier {bad} leaked into the code"
        );
    }
    assert!(
        !idents.windows(2).any(|w| w[0] == "fn" && w[1] == "evil"),
        "a function from the description leaked into the code"
    );
    assert!(code.contains("pub struct Evil"), "{code}");
}

fn code_idents(tokens: &proc_macro2::TokenStream) -> Vec<String> {
    let mut out = Vec::new();
    for t in tokens.clone() {
        match t {
            proc_macro2::TokenTree::Ident(i) => out.push(i.to_string()),
            proc_macro2::TokenTree::Group(g) => out.extend(code_idents(&g.stream())),
            _ => {}
        }
    }
    out
}

#[test]
fn absurdly_deep_schemas_are_refused_not_a_stack_overflow() {
    // Found by the `generate` fuzz target: chains of references and nesting deep enough to
    // exhaust the stack. Refused with the pointer where the limit was reached.
    let mut schema = String::from(r#"{"type": "string"}"#);
    for _ in 0..40 {
        schema = format!(r#"{{"type": "array", "items": {schema}}}"#);
    }
    let dir = repo("deep", &[("messages.toml", ONE), ("thing.json", &schema)]);
    let (_, text) = error_of(&dir);
    assert!(text.contains("nested more than 32 schemas deep"), "{text}");
    assert!(text.contains("thing.json#/items/items/"), "{text}");
}
