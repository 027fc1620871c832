//! `validate`: message lines checked against the schemas they name, every problem reported with
//! its line, schema and JSON pointer.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};

use fedora_messaging::lines::parse_line;
use fedora_messaging::schema::{CompiledSchema, ValidationError};
use fedora_messaging_build::Repo;
use serde_json::Value;

use crate::args::ValidateArgs;

const INVALID: i32 = 1;
const UNREADABLE: i32 = 2;

/// The body schemas of a repo by schema name, compiled on first use.
struct Schemas {
    raw: HashMap<String, Value>,
    compiled: HashMap<String, Result<CompiledSchema, String>>,
}

impl Schemas {
    fn load(dir: Option<&std::path::Path>) -> Result<Self, String> {
        let mut raw = HashMap::new();
        if let Some(dir) = dir {
            let repo = Repo::load(dir).map_err(|e| e.to_string())?;
            for (_, m) in repo.messages() {
                raw.insert(m.schema_name.clone(), m.schema.clone());
            }
        }
        Ok(Self {
            raw,
            compiled: HashMap::new(),
        })
    }

    fn get(&mut self, name: &str) -> Option<&Result<CompiledSchema, String>> {
        if !self.compiled.contains_key(name) {
            let schema = self.raw.get(name)?;
            let compiled = CompiledSchema::compile(schema).map_err(|e| e.to_string());
            self.compiled.insert(name.to_owned(), compiled);
        }
        self.compiled.get(name)
    }
}

pub(crate) fn validate(args: &ValidateArgs) -> i32 {
    let mut schemas = match Schemas::load(args.schemas.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("Error: {e}");
            return UNREADABLE;
        }
    };
    let shown = args.file.display().to_string();
    let input: Box<dyn Read> = if shown == "-" {
        Box::new(std::io::stdin())
    } else {
        match std::fs::File::open(&args.file) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("Error: cannot read {shown}: {e}");
                return UNREADABLE;
            }
        }
    };
    let (mut total, mut invalid) = (0usize, 0usize);
    for (i, line) in BufReader::new(input).lines().enumerate() {
        let line_no = i + 1;
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("Error: cannot read {shown} at line {line_no}: {e}");
                return UNREADABLE;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        total += 1;
        let problems = check_line(&line, line_no, &mut schemas, args.schemas.is_some(), &shown);
        if !problems.is_empty() {
            invalid += 1;
        }
        for p in problems {
            println!("{shown}:{line_no}: {p}");
        }
    }
    eprintln!(
        "{total} messages: {} valid, {invalid} invalid",
        total - invalid
    );
    if invalid > 0 {
        INVALID
    } else {
        0
    }
}

/// Every problem of one line, as `SCHEMA: PART/POINTER: message` texts.
fn check_line(
    line: &str,
    line_no: usize,
    schemas: &mut Schemas,
    have_repo: bool,
    shown: &str,
) -> Vec<String> {
    let env = match parse_line(line, line_no) {
        Ok(env) => env,
        Err(e) => {
            // The error names the line already; the report's prefix does too.
            let text = e.to_string();
            let text = text
                .strip_prefix(&format!("line {line_no}: "))
                .unwrap_or(&text);
            return vec![format!("not a message: {text}")];
        }
    };
    let name = env.schema_name().unwrap_or("base.message").to_owned();
    let mut out = Vec::new();
    if let Err(e) = env.validate_base() {
        out.extend(violations(&name, &e));
    }
    match schemas.get(&name) {
        Some(Ok(schema)) => {
            for v in schema.violations(&env.body) {
                let at = if v.instance_path.is_empty() { "/" } else { &v.instance_path };
                out.push(format!("{name}: body{at}: {}", v.message));
            }
        }
        Some(Err(e)) => out.push(format!("{name}: the schema does not compile: {e}")),
        None if name == "base.message" => {}
        None if have_repo => eprintln!(
            "{shown}:{line_no}: note: schema {name} is not in the schema repo: checked against the base schemas only"
        ),
        None => {}
    }
    out
}

fn violations(name: &str, e: &ValidationError) -> Vec<String> {
    e.violations
        .iter()
        .map(|v| {
            let at = if v.instance_path.is_empty() {
                "/"
            } else {
                &v.instance_path
            };
            format!("{name}: {}{at}: {}", e.part, v.message)
        })
        .collect()
}
