//! Accessors: where a schema repo's `messages.toml` finds the values of a message's `summary`,
//! `url`, `agent_name` and filter lists (`usernames`, `packages`, …) in its body — JSON pointers
//! with `*` for every element and optional filters (`| nvr-name`, `| mentions`). Generated types
//! call these; tools that read a schema repo at run time (a bridge stamping filter headers) use
//! the same functions, so both derive the same values. Nothing here panics.

use std::borrow::Cow;

use serde_json::Value;

use jsonschema::json::{Array as _, Json, JsonNumber as _, Node, Object as _, SerdeJson};

/// Every value at `pointer`, where a `*` segment stands for each element of an array (or each
/// value of an object).
pub fn values<'a>(body: &'a Value, pointer: &str) -> Vec<&'a Value> {
    nodes::<SerdeJson>(body, pointer)
}

/// [`values`] in any JSON representation jsonschema reads: a `Value`, or the tokens of a body
/// serialized here, which are read where they lie.
pub(crate) fn nodes<'a, F: Json>(body: F::Node<'a>, pointer: &str) -> Vec<F::Node<'a>> {
    let mut out = Vec::new();
    // A pointer is "" (the whole body) or starts with "/"; the first split part is what precedes it.
    let mut segments = pointer.split('/');
    segments.next();
    descend::<F>(body, segments, &mut out);
    out
}

/// Pushes onto `out` every value the remaining `segments` reach from `v`. Recursion goes one level
/// per segment of the pointer (written in `messages.toml`), never deeper than the pointer.
fn descend<'a, 'p, F: Json>(
    v: F::Node<'a>,
    mut segments: impl Iterator<Item = &'p str> + Clone,
    out: &mut Vec<F::Node<'a>>,
) {
    let Some(seg) = segments.next() else {
        out.push(v);
        return;
    };
    // Most segments have no escapes: unescaping them would only copy them.
    let seg: Cow<'_, str> = if seg.contains('~') {
        Cow::Owned(seg.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(seg)
    };
    if let Some(a) = v.as_array() {
        if seg == "*" {
            a.elements()
                .for_each(|c| descend::<F>(c, segments.clone(), out));
        } else if let Some(c) = seg.parse::<usize>().ok().and_then(|i| a.elements().nth(i)) {
            descend::<F>(c, segments, out);
        }
    } else if let Some(o) = v.as_object() {
        if seg == "*" {
            o.members()
                .for_each(|(_, c)| descend::<F>(c, segments.clone(), out));
        } else if let Some((_, c)) = o.members().find(|(k, _)| k.as_ref() == seg) {
            descend::<F>(c, segments, out);
        }
    }
}

/// A value as text: strings as they are, numbers and booleans as JSON writes them; `None` for
/// null, arrays and objects.
fn text<'a, F: Json>(v: &F::Node<'a>) -> Option<String> {
    if let Some(s) = v.as_string() {
        Some(s.into_owned())
    } else if let Some(n) = v.as_number() {
        Some(n.to_number().to_string())
    } else {
        v.as_boolean().map(|b| b.to_string())
    }
}

/// The filters an accessor may end with, after a `|`: `"/update/builds/*/nvr | nvr-name"`.
///
/// - `nvr-name`: the name part of a `name-version-release` text (`python-requests-2.32-1.fc41`
///   gives `python-requests`), as Fedora's schema packages derive package names from builds;
/// - `mentions`: every `@user` that starts a word of the text (`"thanks @bob, @eve!"` gives
///   `bob` and `eve`), as bodhi derives the users a comment concerns.
pub const FILTERS: &[&str] = &["nvr-name", "mentions"];

/// The texts an accessor names: the text values at its pointer, then through its filters.
///
/// ```
/// use serde_json::json;
/// use fedora_messaging::accessor::texts;
///
/// let body = json!({"builds": [{"nvr": "python-requests-2.32-1.fc41"}], "text": "ok @bob, @eve!"});
/// assert_eq!(texts(&body, "/builds/*/nvr | nvr-name"), ["python-requests"]);
/// assert_eq!(texts(&body, "/text | mentions"), ["bob", "eve"]);
/// ```
pub fn texts(body: &Value, accessor: &str) -> Vec<String> {
    texts_in::<SerdeJson>(body, accessor)
}

/// [`texts`] in any JSON representation jsonschema reads.
pub(crate) fn texts_in<'a, F: Json>(body: F::Node<'a>, accessor: &str) -> Vec<String> {
    let mut parts = accessor.split('|');
    let pointer = parts.next().unwrap_or_default().trim();
    let mut out: Vec<String> = nodes::<F>(body, pointer)
        .iter()
        .filter_map(text::<F>)
        .collect();
    for filter in parts {
        out = match filter.trim() {
            "nvr-name" => out.iter().map(|t| nvr_name(t).to_owned()).collect(),
            "mentions" => out.iter().flat_map(|t| mentions(t)).collect(),
            // The generator refuses unknown filters; one here yields nothing rather than a guess.
            _ => Vec::new(),
        };
    }
    out
}

/// The name of a `name-version-release`: everything before the last two dashes.
fn nvr_name(nvr: &str) -> &str {
    nvr.rsplitn(3, '-').last().unwrap_or(nvr)
}

/// The `@word`s of `text` that start at its beginning or after whitespace, without the `@`.
fn mentions(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter_map(|word| word.strip_prefix('@'))
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// The first text an accessor names.
pub fn first(body: &Value, accessor: &str) -> Option<String> {
    texts(body, accessor).into_iter().next()
}

/// Every text the `accessors` name, sorted and without duplicates.
pub fn collect(body: &Value, accessors: &[&str]) -> Vec<String> {
    collect_in::<SerdeJson>(body, accessors)
}

/// [`collect`] in any JSON representation jsonschema reads.
pub(crate) fn collect_in<'a, F: Json>(body: F::Node<'a>, accessors: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = accessors
        .iter()
        .flat_map(|p| texts_in::<F>(body.clone(), p))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// `template` with each `{/pointer}` (filters allowed: `{/nvr | nvr-name}`) replaced by the text
/// found there (several values are joined with `, `); `None` when one of them has no value, so callers fall back to their default.
///
/// ```
/// use serde_json::json;
/// use fedora_messaging::accessor::render;
///
/// let body = json!({"user": {"name": "alice"}, "builds": [{"nvr": "a-1"}, {"nvr": "b-2"}]});
/// assert_eq!(render(&body, "{/user/name} built {/builds/*/nvr}").as_deref(), Some("alice built a-1, b-2"));
/// assert_eq!(render(&body, "{/nobody}"), None);
/// ```
pub fn render(body: &Value, template: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{/") {
        let len = rest[start..].find('}')?;
        out.push_str(&rest[..start]);
        let found = texts(body, &rest[start + 1..start + len]);
        if found.is_empty() {
            return None;
        }
        out.push_str(&found.join(", "));
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_walk_arrays_and_escapes() {
        let body = json!({"a/b": [{"u": "x"}, {"u": "y"}, {"u": "x"}, {"u": null}], "n": 3});
        assert_eq!(collect(&body, &["/a~1b/*/u"]), ["x", "y"]);
        assert_eq!(first(&body, "/a~1b/1/u").as_deref(), Some("y"));
        assert_eq!(first(&body, "/n").as_deref(), Some("3"));
        assert_eq!(first(&body, "/missing"), None);
        assert_eq!(
            render(&body, "n={/n}, no brace {").as_deref(),
            Some("n=3, no brace {")
        );
    }

    #[test]
    fn filters_derive_names_as_fedora_schema_packages_do() {
        let body = json!({
            "builds": [{"nvr": "kernel-6.1-1.fc41"}, {"nvr": "odd"}, {"nvr": "a-b-c-1-2"}],
            "text": "@alice: see @bob's note; mail@example.org, (@eve) @ @_x @ünï",
        });
        assert_eq!(
            collect(&body, &["/builds/*/nvr | nvr-name"]),
            ["a-b-c", "kernel", "odd"]
        );
        // Like bodhi's `(?<!\S)(@\w+)`: a word must start with the `@`.
        assert_eq!(
            texts(&body, "/text|mentions"),
            ["alice", "bob", "_x", "ünï"]
        );
        assert_eq!(texts(&body, "/text | no-such-filter"), Vec::<String>::new());
        assert_eq!(
            render(&body, "{/builds/0/nvr | nvr-name}!").as_deref(),
            Some("kernel!")
        );
    }
}
