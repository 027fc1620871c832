//! `generate`: the build.rs generator, from the command line.

use std::path::Path;

use fedora_messaging_build::{generate as generate_code, Repo};

use crate::args::GenerateArgs;

/// Exit codes of `generate`.
const OUT_OF_DATE: i32 = 1;
const BAD_REPO: i32 = 2;

pub(crate) fn generate(args: &GenerateArgs) -> i32 {
    let code = match Repo::load(&args.schemas).and_then(|repo| generate_code(&repo)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Error: {e}");
            return BAD_REPO;
        }
    };
    match &args.output {
        None => {
            print!("{code}");
            0
        }
        Some(path) if args.check => check(path, &code),
        Some(path) => match std::fs::write(path, &code) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("Error: cannot write {}: {e}", path.display());
                BAD_REPO
            }
        },
    }
}

fn check(path: &Path, code: &str) -> i32 {
    match std::fs::read_to_string(path) {
        Ok(existing) if existing == code => 0,
        Ok(_) => {
            eprintln!(
                "{} is out of date: run `fedora-messaging generate` again without --check",
                path.display()
            );
            OUT_OF_DATE
        }
        Err(e) => {
            eprintln!(
                "{}: {e}: run `fedora-messaging generate` without --check",
                path.display()
            );
            OUT_OF_DATE
        }
    }
}
