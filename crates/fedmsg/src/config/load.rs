//! Where the configuration comes from, and how its files are read and merged.
//!
//! fedmsg's configuration is Python: every `*.py` file of `/etc/fedmsg.d/`, `~/.fedmsg.d/`,
//! `./fedmsg.d/` and `$VIRTUAL_ENV/etc/fedmsg.d/` (each folder's files in name order), then
//! `/etc/fedmsg-config.py`, `~/.fedmsg-config.py` and `./fedmsg-config.py`, each defining
//! `config = dict(...)`; a later file's keys win, merging tables recursively. The Rust tools read
//! those same files, as they are: `python3` evaluates them once (the interpreter named by
//! `FEDMSG_PYTHON`, else `python3` on the `PATH`), and nothing else of Python is needed.
//! The Python-free form is the same keys in `*.toml` files, read from the same folders beside the
//! `*.py` files (in the same name order), or given by path.
//!
//! `FEDMSG_CONFIG` (a file or a folder, as fedmsg's newer `FedmsgConfig` reads it) or a
//! `--config` path replaces the search.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

use super::ConfigError;

/// Where to read the configuration from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigSource {
    /// `FEDMSG_CONFIG` when set, else fedmsg's search (see the [module](self) documentation).
    Search,
    /// One file (`.py` or `.toml`) or one folder of them.
    Path(PathBuf),
}

/// The files a source stands for, in the order they are merged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    /// The files, first read first (a later one's keys win).
    pub files: Vec<PathBuf>,
}

impl Sources {
    /// The files of `source` that exist, in merge order.
    pub fn find(source: &ConfigSource) -> Result<Self, ConfigError> {
        match source {
            ConfigSource::Path(p) => Self::at(p),
            ConfigSource::Search => match std::env::var_os("FEDMSG_CONFIG") {
                Some(p) if !p.is_empty() => Self::at(Path::new(&p)),
                _ => Ok(Self::search()),
            },
        }
    }

    fn at(path: &Path) -> Result<Self, ConfigError> {
        if path.is_dir() {
            Ok(Self {
                files: config_files_in(path),
            })
        } else if path.is_file() {
            Ok(Self {
                files: vec![path.to_owned()],
            })
        } else {
            Err(ConfigError::File {
                file: path.to_owned(),
                problem: "no such file or folder".into(),
                source: None,
            })
        }
    }

    fn search() -> Self {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let mut folders = vec![PathBuf::from("/etc/fedmsg.d")];
        folders.extend(home.iter().map(|h| h.join(".fedmsg.d")));
        folders.push(cwd.join("fedmsg.d"));
        if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
            folders.push(PathBuf::from(venv).join("etc/fedmsg.d"));
        }
        let mut files: Vec<PathBuf> = folders.iter().flat_map(|f| config_files_in(f)).collect();
        let mut singles = vec![PathBuf::from("/etc/fedmsg-config.py")];
        singles.extend(home.iter().map(|h| h.join(".fedmsg-config.py")));
        singles.push(cwd.join("fedmsg-config.py"));
        files.extend(singles.into_iter().filter(|p| p.is_file()));
        Self { files }
    }
}

/// The `*.py` and `*.toml` files of a folder, by name.
fn config_files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("py" | "toml"))
        })
        .collect();
    files.sort();
    files
}

/// The merged keys of a source, and which file set each top-level key.
#[derive(Debug, Clone, Default)]
pub struct Merged {
    /// The keys.
    pub map: Map<String, Value>,
    /// The files read, in order.
    pub files: Vec<PathBuf>,
    /// The file that last set each top-level key.
    pub origins: BTreeMap<String, PathBuf>,
}

/// Reads and merges every file of `source`.
pub fn read(source: &ConfigSource) -> Result<Merged, ConfigError> {
    let sources = Sources::find(source)?;
    let python: Vec<&PathBuf> = sources.files.iter().filter(|f| is_python(f)).collect();
    let mut evaluated = if python.is_empty() {
        BTreeMap::new()
    } else {
        evaluate_python(&python)?
    };
    let mut merged = Merged {
        files: sources.files.clone(),
        ..Merged::default()
    };
    for file in &sources.files {
        let map = if is_python(file) {
            evaluated.remove(file).unwrap_or_default()
        } else {
            let text = std::fs::read_to_string(file).map_err(|e| ConfigError::File {
                file: file.clone(),
                problem: format!("cannot read it: {e}"),
                source: Some(Box::new(e)),
            })?;
            parse_toml(&text, file)?
        };
        for key in map.keys() {
            merged.origins.insert(key.clone(), file.clone());
        }
        recursive_update(&mut merged.map, map);
    }
    Ok(merged)
}

fn is_python(file: &Path) -> bool {
    file.extension().and_then(|e| e.to_str()) != Some("toml")
}

/// fedmsg's `_recursive_update`: tables merge key by key, anything else is replaced.
pub fn recursive_update(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (k, v) in from {
        match (into.get_mut(&k), v) {
            (Some(Value::Object(old)), Value::Object(new)) => recursive_update(old, new),
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

/// Parses TOML text into the same JSON keys a Python file yields.
pub fn parse_toml(text: &str, file: &Path) -> Result<Map<String, Value>, ConfigError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| ConfigError::File {
        file: file.to_owned(),
        problem: format!("not valid TOML: {}", e.message()),
        source: Some(Box::new(e)),
    })?;
    match serde_json::to_value(table) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Ok(Map::new()),
        Err(e) => Err(ConfigError::File {
            file: file.to_owned(),
            problem: format!("a value has no JSON form: {e}"),
            source: Some(Box::new(e)),
        }),
    }
}

/// A JSON value as TOML (`None` for `null`, which TOML lacks).
pub(crate) fn json_to_toml(v: &Value) -> Option<toml::Value> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => toml::Value::Integer(i),
            None => toml::Value::Float(n.as_f64()?),
        },
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Array(items) => toml::Value::Array(items.iter().filter_map(json_to_toml).collect()),
        Value::Object(map) => toml::Value::Table(
            map.iter()
                .filter_map(|(k, v)| json_to_toml(v).map(|v| (k.clone(), v)))
                .collect(),
        ),
    })
}

/// Evaluates each file as fedmsg does (`exec`, then its `config` dict) in one `python3`, and
/// returns each file's keys. Values with no JSON form (a set, an object) are an error naming the
/// file and the key.
const EVALUATE_PY: &str = r#"
import json, sys, traceback

def plain(value, path):
    if isinstance(value, dict):
        return {str(k): plain(v, path + [str(k)]) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, path + [str(i)]) for i, v in enumerate(value)]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError("key `%s`: a %s has no JSON form" % (".".join(path), type(value).__name__))

out = []
for name in sys.argv[1:]:
    try:
        variables = {}
        with open(name) as f:
            exec(compile(f.read(), name, "exec"), variables)
        if "config" not in variables:
            out.append({"file": name, "error": "defines no `config` dict"})
        elif not isinstance(variables["config"], dict):
            out.append({"file": name, "error": "its `config` is a %s, not a dict" % type(variables["config"]).__name__})
        else:
            out.append({"file": name, "config": plain(variables["config"], [])})
    except Exception as e:
        out.append({"file": name, "error": "".join(traceback.format_exception_only(type(e), e)).strip()})
json.dump(out, sys.stdout)
"#;

fn evaluate_python(
    files: &[&PathBuf],
) -> Result<BTreeMap<PathBuf, Map<String, Value>>, ConfigError> {
    let python = std::env::var_os("FEDMSG_PYTHON").unwrap_or_else(|| "python3".into());
    let first = files.first().map_or_else(PathBuf::new, |f| (*f).clone());
    let output = Command::new(&python)
        .arg("-c")
        .arg(EVALUATE_PY)
        .args(files)
        .output()
        .map_err(|e| ConfigError::File {
            file: first.clone(),
            problem: format!(
                "a Python configuration file, and {} could not run to read it ({e}); install python3, \
                 or write the same keys as TOML (`fedmsg config`, run where python3 is, prints them)",
                Path::new(&python).display()
            ),
            source: Some(Box::new(e)),
        })?;
    if !output.status.success() {
        return Err(ConfigError::File {
            file: first,
            problem: format!(
                "python3 failed while reading the configuration: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ),
            source: None,
        });
    }
    let results: Vec<Value> =
        serde_json::from_slice(&output.stdout).map_err(|e| ConfigError::File {
            file: first.clone(),
            problem: format!("python3 printed no configuration: {e}"),
            source: Some(Box::new(e)),
        })?;
    let mut out = BTreeMap::new();
    for r in results {
        let file = PathBuf::from(r["file"].as_str().unwrap_or_default());
        if let Some(problem) = r["error"].as_str() {
            return Err(ConfigError::File {
                file,
                problem: problem.to_owned(),
                source: None,
            });
        }
        if let Some(Value::Object(map)) = r.get("config") {
            out.insert(file, map.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_is_recursive_for_tables_only() {
        let mut a = json!({"endpoints": {"a": ["1"], "b": ["2"]}, "x": [1]})
            .as_object()
            .cloned()
            .unwrap();
        let b = json!({"endpoints": {"b": ["3"]}, "x": [2]})
            .as_object()
            .cloned()
            .unwrap();
        recursive_update(&mut a, b);
        assert_eq!(
            Value::Object(a),
            json!({"endpoints": {"a": ["1"], "b": ["3"]}, "x": [2]})
        );
    }

    #[test]
    fn toml_errors_name_the_file() {
        let err = parse_toml("a = ", Path::new("x/fedmsg.toml")).unwrap_err();
        assert!(
            err.to_string().starts_with("x/fedmsg.toml: not valid TOML"),
            "{err}"
        );
    }
}
