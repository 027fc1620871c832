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
fn a_schema_name_used_twice_with_different_schemas_names_both_files() {
    let dir = repo("dup", &[("messages.toml", ONE), ("thing.json", "{}")]);
    // Another application declares the same name with another schema.
    std::fs::create_dir_all(dir.join("zzz")).unwrap();
    std::fs::write(dir.join("zzz/messages.toml"), ONE).unwrap();
    std::fs::write(dir.join("zzz/thing.json"), r#"{"type": "object"}"#).unwrap();
    let (kind, text) = error_of(&dir);
    assert!(
        matches!(kind, ErrorKind::DuplicateSchemaName { .. }),
        "{kind:?}"
    );
    assert!(
        text.contains("zzz/thing.json#: schema name \"app.thing\" is also declared by")
            && text.contains("app/thing.json, with a different schema"),
        "{text}"
    );
    // The same schema under the same name (a package vendoring another's) is one message.
    std::fs::write(dir.join("zzz/thing.json"), "{}").unwrap();
    let repo = Repo::load(&dir).unwrap();
    assert_eq!(repo.messages().count(), 1);
    generate(&repo).unwrap();
}

#[test]
fn every_problem_of_a_repo_is_reported_in_one_run() {
    let manifest = format!(
        "{ONE}severity = \"loud\"\n\n\
         [[message]]\nschema = \"app.two\"\nfile = \"two.json\"\ntopic = \"app.two\"\ntype = \"Message\"\n\n\
         [[message]]\nschema = \"app.three\"\nfile = \"three.json\"\ntopic = \"app.three\"\n\n\
         [[message]]\nschema = \"app.four\"\nfile = \"four.json\"\ntopic = \"app.four\"\n"
    );
    let dir = repo(
        "several",
        &[
            ("messages.toml", &manifest),
            ("thing.json", "{}"),
            ("two.json", "{}"),
            (
                "three.json",
                r##"{"properties": {"a": {"$ref": "#/nowhere"}}}"##,
            ),
            ("four.json", "{}"),
            ("stray.json", "{}"),
        ],
    );
    // The manifest's problems first (loading), then the schemas' (generating).
    let err = Repo::load(&dir).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err.kind, ErrorKind::Several(_)), "{text}");
    let problems = err.problems();
    assert_eq!(problems.len(), 3, "{text}");
    assert!(
        text.contains("#/message/0/severity: unknown severity \"loud\""),
        "{text}"
    );
    assert!(
        text.contains("#/message/1/type: type name \"Message\" is reserved"),
        "{text}"
    );
    assert!(
        text.contains("stray.json#: not listed in messages.toml"),
        "{text}"
    );

    std::fs::remove_file(dir.join("app/stray.json")).unwrap();
    let fixed = manifest
        .replace("severity = \"loud\"\n", "")
        .replace("type = \"Message\"\n", "type = \"MessageTwo\"\n");
    std::fs::write(dir.join("app/messages.toml"), &fixed).unwrap();
    std::fs::write(dir.join("app/four.json"), "3").unwrap();
    let repo = Repo::load(&dir).unwrap();
    let err = generate(&repo).unwrap_err();
    let text = err.to_string();
    assert_eq!(err.problems().len(), 2, "{text}");
    assert!(
        text.contains("three.json#/properties/a/$ref: unresolvable"),
        "{text}"
    );
    assert!(text.contains("four.json#: not a JSON Schema"), "{text}");
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
