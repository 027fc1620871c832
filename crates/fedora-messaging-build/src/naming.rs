//! Rust identifiers from arbitrary schema text: property names that are keywords, contain dashes
//! or dots, start with a digit, or are not ASCII. Generated code never contains schema text
//! outside string literals, so an identifier is built from `[A-Za-z0-9_]` only.

/// Keywords (strict and reserved, all editions) that cannot be plain identifiers.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe",
    "use", "where", "while", "abstract", "become", "box", "do", "final", "macro", "override",
    "priv", "try", "typeof", "unsized", "virtual", "yield", "union",
];

/// Type names generated code refers to by their short name; a schema type may not shadow them.
const RESERVED_TYPES: &[&str] = &[
    "Self", "Option", "Some", "None", "Result", "Ok", "Err", "Vec", "String", "Box", "Value",
    "Map", "Number", "BTreeMap", "Message", "Severity",
];

/// Whether generated code uses `name` for a type of its own (so a schema type may not take it).
pub(crate) fn is_reserved_type(name: &str) -> bool {
    RESERVED_TYPES.contains(&name)
}

/// Splits text into lowercase ASCII words: on non-alphanumerics and on lower→upper case changes.
fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            cur.push(c.to_ascii_lowercase());
        } else {
            prev_lower = false;
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `snake_case` field or module name; never a keyword, never empty, never starting with a digit.
pub(crate) fn snake(text: &str) -> String {
    let mut s = words(text).join("_");
    if s.is_empty() {
        s = "field".into();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    if KEYWORDS.contains(&s.as_str()) {
        s.push('_');
    }
    s
}

/// `PascalCase` type or variant name; never reserved, never empty, never starting with a digit.
pub(crate) fn pascal(text: &str) -> String {
    let mut s: String = words(text)
        .iter()
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + cs.as_str(),
                None => String::new(),
            }
        })
        .collect();
    if s.is_empty() {
        s = "Empty".into();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'N');
    }
    if RESERVED_TYPES.contains(&s.as_str()) {
        s.push_str("Type");
    }
    s
}

/// A distribution name as fedora-messaging sends it in `fedora_messaging_schema_package`: PEP 503
/// normalized, with dashes made underscores (`bodhi-messages` gives `bodhi_messages`).
pub(crate) fn schema_package(distribution: &str) -> String {
    let mut out = String::with_capacity(distribution.len());
    let mut in_separator = false;
    for c in distribution.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator {
                out.push('_');
            }
            in_separator = true;
        } else {
            out.extend(c.to_lowercase());
            in_separator = false;
        }
    }
    out
}

/// `base`, or `base` with the smallest numeric suffix that `taken` does not hold yet.
#[cfg_attr(not(feature = "codegen"), allow(dead_code))] // used by the generator only
pub(crate) fn unique(base: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(base) {
        return base.to_owned();
    }
    (2..)
        .map(|n| format!("{base}{n}"))
        .find(|c| !taken(c))
        .unwrap_or_else(|| base.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_safe() {
        assert_eq!(snake("type"), "type_");
        assert_eq!(snake("self"), "self_");
        assert_eq!(snake("full-url"), "full_url");
        assert_eq!(snake("dateCreated"), "date_created");
        assert_eq!(snake("1st"), "_1st");
        assert_eq!(snake("été"), "t");
        assert_eq!(snake(""), "field");
        assert_eq!(
            snake("\"); std::process::exit(1); //"),
            "std_process_exit_1"
        );
        assert_eq!(pascal("bodhi.update.comment.v1"), "BodhiUpdateCommentV1");
        assert_eq!(pascal("pull-request"), "PullRequest");
        assert_eq!(pascal("value"), "ValueType");
        assert_eq!(pascal("2fa"), "N2fa");
        assert_eq!(pascal("***"), "Empty");
        assert_eq!(unique("a", |c| c == "a" || c == "a2"), "a3");
    }

    #[test]
    fn schema_packages_are_named_as_python_sends_them() {
        assert_eq!(schema_package("bodhi-messages"), "bodhi_messages");
        assert_eq!(
            schema_package("Koji_FedoraMessaging.-Messages"),
            "koji_fedoramessaging_messages"
        );
    }
}
