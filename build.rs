//! Turns the project's schema repo (`schemas/`) into the root crate's typed bindings (with
//! `fedora-messaging-build`, as any application would), and embeds the raw files for the tests.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    // ANCHOR: generate
    if let Err(e) = fedora_messaging_build::Builder::new("schemas").compile() {
        // The error names the file and the JSON pointer; make it the build's only message.
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    // ANCHOR_END: generate
    let root =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dir = root.join("schemas");
    let mut files = Vec::new();
    collect(&dir, &mut files);
    files.sort();

    let mut out =
        String::from("/// Every schema file under `schemas/`: (path relative to it, contents).\n");
    out.push_str("pub const SCHEMA_FILES: &[(&str, &str)] = &[\n");
    for path in &files {
        let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Err(e) = serde_json::from_str::<serde_json::Value>(&text) {
            panic!("{}: not valid JSON: {e}", path.display());
        }
        let rel = path.strip_prefix(&dir).expect("under schemas/");
        let rel = rel.to_string_lossy().replace('\\', "/");
        let _ = writeln!(
            out,
            "    ({rel:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    out.push_str("];\n");
    let dest = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("schemas.rs");
    fs::write(&dest, out).unwrap_or_else(|e| panic!("{}: {e}", dest.display()));
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    // Folders too: a schema added to one must trigger a rebuild.
    println!("cargo:rerun-if-changed={}", dir.display());
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "json") {
            println!("cargo:rerun-if-changed={}", path.display());
            files.push(path);
        }
    }
}
