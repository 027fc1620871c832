//! The body-schema half of the check: both versions of a schema walked side by side, each
//! difference classified by who it breaks.
//!
//! "Widening" (the new schema accepts something the old one rejected) breaks consumers still on
//! the old schema; "narrowing" (the new schema rejects something the old one accepted) breaks
//! upgraded consumers reading old messages. A change this module cannot classify is reported as
//! breaking both ways, never ignored.

use std::collections::{BTreeSet, HashSet};

use fedora_messaging_build::keywords;
use fedora_messaging_build::refs::{escape, has_ref, Refs};
use serde_json::{Map, Value};

use crate::finding::{Effect, Effects};

use Effect::{Breaking as B, Info as I, Ok as O, Warning as W};

/// One difference inside a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    pub(crate) rule: &'static str,
    pub(crate) pointer: String,
    pub(crate) explanation: String,
    pub(crate) effects: Effects,
}

/// Validation keywords this module does not reason about: any change to one is reported as
/// unproven (breaking both ways). Keys that are no keyword at all assert nothing and are ignored.
const UNHANDLED: &[&str] = &[
    "not",
    "if",
    "then",
    "else",
    "dependencies",
    "dependentRequired",
    "dependentSchemas",
    "patternProperties",
    "propertyNames",
    "contains",
    "minContains",
    "maxContains",
    "additionalItems",
    "unevaluatedProperties",
    "unevaluatedItems",
    "$dynamicRef",
    "$recursiveRef",
];

/// How deep the walk goes: real schemas nest a handful of levels; a cycle is cut by `$ref` pairs.
const MAX_DEPTH: usize = 64;

/// Every difference between two body schemas.
pub(crate) fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut walk = Walk {
        old_refs: Refs::new(old),
        new_refs: Refs::new(new),
        out: Vec::new(),
        refs_seen: HashSet::new(),
    };
    walk.draft(old, new);
    walk.node(old, new, String::new(), 0);
    walk.out
}

struct Walk<'a> {
    old_refs: Refs<'a>,
    new_refs: Refs<'a>,
    out: Vec<Change>,
    refs_seen: HashSet<(String, String)>,
}

/// `true` is the empty schema; `false` rejects everything.
fn as_object(v: &Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m.clone(),
        Value::Bool(false) => Map::from_iter([("not".to_owned(), Value::Object(Map::new()))]),
        _ => Map::new(),
    }
}

fn list(v: &Value) -> String {
    match v {
        Value::Array(a) => a
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// A keyword's value as the explanations show it.
fn shown(v: Option<&Value>) -> String {
    v.map_or("none".to_owned(), Value::to_string)
}

/// The types a schema allows; `None` when it does not say (any type).
fn types(m: &Map<String, Value>) -> Option<BTreeSet<String>> {
    keywords::type_list(m).map(|t| t.into_iter().collect())
}

/// Whether a type list accepts values of type `t` (`number` covers `integer`).
fn accepts(set: &BTreeSet<String>, t: &str) -> bool {
    set.contains(t) || (t == "integer" && set.contains("number"))
}

/// An object's policy for keys its `properties` do not name.
#[derive(Debug, PartialEq)]
enum Extra<'v> {
    Open,
    Closed,
    Schema(&'v Value),
}

fn extra(m: &Map<String, Value>) -> Extra<'_> {
    match m.get("additionalProperties") {
        None | Some(Value::Bool(true)) => Extra::Open,
        Some(Value::Bool(false)) => Extra::Closed,
        Some(schema) => Extra::Schema(schema),
    }
}

fn required(m: &Map<String, Value>) -> BTreeSet<String> {
    m.get("required")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

impl Walk<'_> {
    fn push(&mut self, rule: &'static str, pointer: &str, explanation: String, effects: Effects) {
        self.out.push(Change {
            rule,
            pointer: pointer.to_owned(),
            explanation,
            effects,
        });
    }

    fn draft(&mut self, old: &Value, new: &Value) {
        let norm = |v: &Value| {
            v.get("$schema")
                .and_then(Value::as_str)
                .map(|s| s.trim_end_matches('#').replace("https://", "http://"))
        };
        let (o, n) = (norm(old), norm(new));
        if o != n {
            let show = |d: Option<String>| {
                d.unwrap_or_else(|| "none (2020-12 in fedora-messaging)".into())
            };
            self.push(
                "DRAFT_CHANGED",
                "/$schema",
                format!(
                    "the schema's draft changed from {} to {}: boolean exclusiveMinimum, integer 1.0 and other keywords change meaning",
                    show(o),
                    show(n)
                ),
                Effects::new(B, B, O),
            );
        }
    }

    fn node(&mut self, old: &Value, new: &Value, ptr: String, depth: usize) {
        // Equal text is the same schema only when no `$ref` inside points at a definition that
        // may itself have changed.
        if depth > MAX_DEPTH || (old == new && !has_ref(old)) {
            return;
        }
        let (mut o, mut n) = (as_object(old), as_object(new));
        // Follow references on both sides; the same pair twice is a cycle already being compared.
        let o_ref = o.get("$ref").and_then(Value::as_str).map(str::to_owned);
        let n_ref = n.get("$ref").and_then(Value::as_str).map(str::to_owned);
        if o_ref.is_some() || n_ref.is_some() {
            let key = (
                o_ref.clone().unwrap_or_default(),
                n_ref.clone().unwrap_or_default(),
            );
            if !self.refs_seen.insert(key) {
                return;
            }
            let target = |refs: &Refs<'_>, r: &Option<String>, m: &Map<String, Value>| {
                r.as_deref()
                    .and_then(|r| refs.target(r).ok())
                    .map(as_object)
                    .unwrap_or_else(|| m.clone())
            };
            let (ro, rn) = (
                target(&self.old_refs, &o_ref, &o),
                target(&self.new_refs, &n_ref, &n),
            );
            if let (Some(a), Some(b)) = (&o_ref, &n_ref) {
                if a != b && ro == rn {
                    self.push(
                        "REF_RETARGETED",
                        &format!("{ptr}/$ref"),
                        format!("$ref {a:?} became {b:?} with the same schema: generated type names change"),
                        Effects::new(O, O, B),
                    );
                }
            }
            o = ro;
            n = rn;
            if o == n && !o.values().any(has_ref) {
                return;
            }
        }
        self.types(&o, &n, &ptr);
        self.values(&o, &n, &ptr);
        self.constraints(&o, &n, &ptr);
        self.object(&o, &n, &ptr, depth);
        self.array(&o, &n, &ptr, depth);
        self.branches(&o, &n, &ptr, depth);
        for key in UNHANDLED {
            if o.get(*key) != n.get(*key) {
                self.push(
                    "UNANALYZED_CHANGE",
                    &format!("{ptr}/{key}"),
                    format!("{key:?} changed, and this checker cannot prove the change safe"),
                    Effects::new(B, B, O),
                );
            }
        }
    }

    fn types(&mut self, o: &Map<String, Value>, n: &Map<String, Value>, ptr: &str) {
        let here = format!("{ptr}/type");
        match (types(o), types(n)) {
            (None, None) => {}
            (None, Some(t)) => self.push(
                "TYPE_NARROWED",
                &here,
                format!(
                    "any type was allowed; now only {}",
                    t.into_iter().collect::<Vec<_>>().join(", ")
                ),
                Effects::new(O, B, B),
            ),
            (Some(t), None) => self.push(
                "TYPE_WIDENED",
                &here,
                format!(
                    "only {} was allowed; now any type",
                    t.into_iter().collect::<Vec<_>>().join(", ")
                ),
                Effects::new(B, O, B),
            ),
            (Some(a), Some(b)) => {
                let added: Vec<&str> = b
                    .iter()
                    .filter(|t| !accepts(&a, t))
                    .map(String::as_str)
                    .collect();
                let removed: Vec<&str> = a
                    .iter()
                    .filter(|t| !accepts(&b, t))
                    .map(String::as_str)
                    .collect();
                let what = |v: &[&str]| v.join(", ");
                match (added.is_empty(), removed.is_empty()) {
                    (true, true) => {}
                    (false, true) => self.push(
                        "TYPE_WIDENED",
                        &here,
                        format!("now also allows {}", what(&added)),
                        Effects::new(B, O, B),
                    ),
                    (true, false) => self.push(
                        "TYPE_NARROWED",
                        &here,
                        format!("no longer allows {}", what(&removed)),
                        Effects::new(O, B, B),
                    ),
                    (false, false) => self.push(
                        "TYPE_CHANGED",
                        &here,
                        format!("type {} became {}", what(&removed), what(&added)),
                        Effects::new(B, B, B),
                    ),
                }
            }
        }
    }

    fn values(&mut self, o: &Map<String, Value>, n: &Map<String, Value>, ptr: &str) {
        let here = format!("{ptr}/enum");
        match (
            o.get("enum").and_then(Value::as_array),
            n.get("enum").and_then(Value::as_array),
        ) {
            (Some(a), Some(b)) => {
                let added: Vec<Value> = b.iter().filter(|v| !a.contains(v)).cloned().collect();
                let removed: Vec<Value> = a.iter().filter(|v| !b.contains(v)).cloned().collect();
                if !added.is_empty() {
                    self.push(
                        "ENUM_VALUE_ADDED",
                        &here,
                        format!("new allowed value {}", list(&Value::Array(added))),
                        Effects::new(B, O, B),
                    );
                }
                if !removed.is_empty() {
                    self.push(
                        "ENUM_VALUE_REMOVED",
                        &here,
                        format!(
                            "value {} is no longer allowed",
                            list(&Value::Array(removed))
                        ),
                        Effects::new(O, B, B),
                    );
                }
            }
            (None, Some(b)) => self.push(
                "ENUM_ADDED",
                &here,
                format!(
                    "values are now limited to {}",
                    list(&Value::Array(b.clone()))
                ),
                Effects::new(O, B, B),
            ),
            (Some(_), None) => self.push(
                "ENUM_REMOVED",
                &here,
                "values are no longer limited to a list".into(),
                Effects::new(B, O, B),
            ),
            (None, None) => {}
        }
        let here = format!("{ptr}/const");
        match (o.get("const"), n.get("const")) {
            (None, Some(v)) => self.push(
                "CONST_ADDED",
                &here,
                format!("the value must now be {v}"),
                Effects::new(O, B, O),
            ),
            (Some(v), None) => self.push(
                "CONST_REMOVED",
                &here,
                format!("the value no longer has to be {v}"),
                Effects::new(B, O, O),
            ),
            (Some(a), Some(b)) if a != b => self.push(
                "CONST_CHANGED",
                &here,
                format!("the value must now be {b}, not {a}"),
                Effects::new(B, B, O),
            ),
            _ => {}
        }
        if o.get("format") != n.get("format") {
            self.push(
                "FORMAT_CHANGED",
                &format!("{ptr}/format"),
                format!(
                    "format {} became {}; fedora-messaging does not assert formats, consumers that do may differ",
                    shown(o.get("format")),
                    shown(n.get("format"))
                ),
                Effects::new(I, I, O),
            );
        }
    }

    fn constraints(&mut self, o: &Map<String, Value>, n: &Map<String, Value>, ptr: &str) {
        // Lower bounds tighten upwards, upper bounds downwards.
        const LOWER: &[&str] = &[
            "minimum",
            "exclusiveMinimum",
            "minLength",
            "minItems",
            "minProperties",
        ];
        const UPPER: &[&str] = &[
            "maximum",
            "exclusiveMaximum",
            "maxLength",
            "maxItems",
            "maxProperties",
        ];
        for key in LOWER.iter().chain(UPPER) {
            let (a, b) = (o.get(*key), n.get(*key));
            if a == b {
                continue;
            }
            let here = format!("{ptr}/{key}");
            let lower = LOWER.contains(key);
            let tighter = match (a.and_then(Value::as_f64), b.and_then(Value::as_f64)) {
                (None, Some(_)) if a.is_none() => Some(true),
                (Some(_), None) if b.is_none() => Some(false),
                (Some(x), Some(y)) => Some(if lower { y > x } else { y < x }),
                // Draft-04 boolean exclusive bounds, or a bound that changed its kind.
                _ => None,
            };
            let text = format!("{key} {} became {}", shown(a), shown(b));
            match tighter {
                Some(true) => self.push("CONSTRAINT_TIGHTENED", &here, text, Effects::new(O, B, O)),
                Some(false) => self.push("CONSTRAINT_LOOSENED", &here, text, Effects::new(B, O, O)),
                None => self.push("CONSTRAINT_CHANGED", &here, text, Effects::new(B, B, O)),
            }
        }
        for key in ["pattern", "multipleOf", "uniqueItems"] {
            let (a, b) = (o.get(key), n.get(key));
            if a == b {
                continue;
            }
            let here = format!("{ptr}/{key}");
            let text = format!("{key} {} became {}", shown(a), shown(b));
            let off = |v: Option<&Value>| v.is_none() || v == Some(&Value::Bool(false));
            if off(a) {
                self.push("CONSTRAINT_TIGHTENED", &here, text, Effects::new(O, B, O));
            } else if off(b) {
                self.push("CONSTRAINT_LOOSENED", &here, text, Effects::new(B, O, O));
            } else {
                self.push("CONSTRAINT_CHANGED", &here, text, Effects::new(B, B, O));
            }
        }
    }

    fn object(&mut self, o: &Map<String, Value>, n: &Map<String, Value>, ptr: &str, depth: usize) {
        let is_object = |m: &Map<String, Value>| {
            ["properties", "required", "additionalProperties"]
                .iter()
                .any(|k| m.contains_key(*k))
        };
        if !is_object(o) && !is_object(n) {
            return;
        }
        let empty = Map::new();
        let props = |m: &Map<String, Value>| {
            m.get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_else(|| empty.clone())
        };
        let (po, pn) = (props(o), props(n));
        let (ro, rn) = (required(o), required(n));
        let (eo, en) = (extra(o), extra(n));
        let (closed_o, closed_n) = (eo == Extra::Closed, en == Extra::Closed);
        let gone: Vec<&String> = po.keys().filter(|k| !pn.contains_key(*k)).collect();
        let added: Vec<&String> = pn.keys().filter(|k| !po.contains_key(*k)).collect();
        // One property gone and one added with the same schema: a rename.
        if let ([was], [now]) = (gone.as_slice(), added.as_slice()) {
            if po[*was] == pn[*now] {
                self.push(
                    "PROPERTY_RENAMED",
                    &format!("{ptr}/properties/{}", escape(now)),
                    format!("property {was:?} was renamed {now:?}"),
                    Effects::new(B, B, B),
                );
                return;
            }
        }
        for name in &added {
            let here = format!("{ptr}/properties/{}", escape(name));
            if rn.contains(*name) {
                self.push(
                    "PROPERTY_ADDED_REQUIRED",
                    &here,
                    format!("new required property {name:?}: messages written before lack it"),
                    Effects::new(if closed_o { B } else { O }, B, B),
                );
            } else if closed_o {
                self.push(
                    "PROPERTY_ADDED_OPTIONAL",
                    &here,
                    format!("new optional property {name:?} on a closed object: old consumers reject it"),
                    Effects::new(B, O, B),
                );
            } else {
                self.push(
                    "PROPERTY_ADDED_OPTIONAL",
                    &here,
                    format!("new optional property {name:?} on an open object: old messages may carry that name with another meaning"),
                    Effects::new(O, W, B),
                );
            }
        }
        for name in &gone {
            let here = format!("{ptr}/properties/{}", escape(name));
            if ro.contains(*name) {
                self.push(
                    "PROPERTY_REMOVED_REQUIRED",
                    &here,
                    format!("required property {name:?} was removed: old consumers require it"),
                    Effects::new(B, if closed_n { B } else { O }, B),
                );
            } else if closed_n {
                self.push(
                    "PROPERTY_REMOVED_OPTIONAL",
                    &here,
                    format!("optional property {name:?} was removed from a closed object: old messages carrying it are rejected"),
                    Effects::new(O, B, B),
                );
            } else {
                self.push(
                    "PROPERTY_REMOVED_OPTIONAL",
                    &here,
                    format!("optional property {name:?} was removed from an open object: new messages may carry it unconstrained"),
                    Effects::new(W, O, B),
                );
            }
        }
        for (name, schema) in &pn {
            if let Some(before) = po.get(name) {
                self.node(
                    before,
                    schema,
                    format!("{ptr}/properties/{}", escape(name)),
                    depth + 1,
                );
            }
        }
        for name in rn.difference(&ro).filter(|n| !added.contains(n)) {
            self.push(
                "PROPERTY_MADE_REQUIRED",
                &format!("{ptr}/required"),
                format!("property {name:?} is now required: messages written before may lack it"),
                Effects::new(O, B, B),
            );
        }
        for name in ro.difference(&rn).filter(|n| !gone.contains(n)) {
            self.push(
                "PROPERTY_MADE_OPTIONAL",
                &format!("{ptr}/required"),
                format!("property {name:?} is no longer required: old consumers expect it"),
                Effects::new(B, O, B),
            );
        }
        let here = format!("{ptr}/additionalProperties");
        match (eo, en) {
            (Extra::Open, Extra::Closed) | (Extra::Schema(_), Extra::Closed) => self.push(
                "ADDITIONAL_PROPERTIES_CLOSED",
                &here,
                "keys not listed in properties are now rejected".into(),
                Effects::new(O, B, B),
            ),
            (Extra::Closed, Extra::Open) | (Extra::Closed, Extra::Schema(_)) => self.push(
                "ADDITIONAL_PROPERTIES_OPENED",
                &here,
                "keys not listed in properties are now allowed".into(),
                Effects::new(B, O, B),
            ),
            (Extra::Open, Extra::Schema(_)) => self.push(
                "ADDITIONAL_PROPERTIES_NARROWED",
                &here,
                "keys not listed in properties must now match a schema".into(),
                Effects::new(O, B, B),
            ),
            (Extra::Schema(_), Extra::Open) => self.push(
                "ADDITIONAL_PROPERTIES_WIDENED",
                &here,
                "keys not listed in properties no longer have to match a schema".into(),
                Effects::new(B, O, B),
            ),
            (Extra::Schema(a), Extra::Schema(b)) => self.node(a, b, here, depth + 1),
            (Extra::Open, Extra::Open) | (Extra::Closed, Extra::Closed) => {}
        }
    }

    fn array(&mut self, o: &Map<String, Value>, n: &Map<String, Value>, ptr: &str, depth: usize) {
        let any = Value::Object(Map::new());
        for key in ["items", "prefixItems"] {
            let (a, b) = (o.get(key), n.get(key));
            if a == b {
                continue;
            }
            let here = format!("{ptr}/{key}");
            match (a.unwrap_or(&any), b.unwrap_or(&any)) {
                (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
                    for (i, (p, q)) in x.iter().zip(y).enumerate() {
                        self.node(p, q, format!("{here}/{i}"), depth + 1);
                    }
                }
                (Value::Array(_), _) | (_, Value::Array(_)) => self.push(
                    "TUPLE_CHANGED",
                    &here,
                    "the positions of the array's items changed".into(),
                    Effects::new(B, B, B),
                ),
                (p, q) => self.node(p, q, here, depth + 1),
            }
        }
    }

    fn branches(
        &mut self,
        o: &Map<String, Value>,
        n: &Map<String, Value>,
        ptr: &str,
        depth: usize,
    ) {
        for key in ["oneOf", "anyOf", "allOf"] {
            let (a, b) = (
                o.get(key).and_then(Value::as_array),
                n.get(key).and_then(Value::as_array),
            );
            if a == b {
                continue;
            }
            let here = format!("{ptr}/{key}");
            match (a, b) {
                (Some(x), Some(y)) if x.len() == y.len() => {
                    for (i, (p, q)) in x.iter().zip(y).enumerate() {
                        self.node(p, q, format!("{here}/{i}"), depth + 1);
                    }
                }
                (Some(x), Some(y)) if key != "allOf" => {
                    let added = y.iter().filter(|v| !x.contains(v)).count();
                    let removed = x.iter().filter(|v| !y.contains(v)).count();
                    if added > 0 {
                        self.push(
                            "BRANCH_ADDED",
                            &here,
                            format!("{added} new {key} alternative(s): more shapes are allowed"),
                            Effects::new(B, O, B),
                        );
                    }
                    if removed > 0 {
                        self.push(
                            "BRANCH_REMOVED",
                            &here,
                            format!(
                                "{removed} {key} alternative(s) removed: fewer shapes are allowed"
                            ),
                            Effects::new(O, B, B),
                        );
                    }
                }
                (None, Some(_)) => self.push(
                    "COMPOSITION_ADDED",
                    &here,
                    format!("values must now also match {key}"),
                    Effects::new(O, B, B),
                ),
                (Some(_), None) => self.push(
                    "COMPOSITION_REMOVED",
                    &here,
                    format!("values no longer have to match {key}"),
                    Effects::new(B, O, B),
                ),
                _ => self.push(
                    "UNANALYZED_CHANGE",
                    &here,
                    format!("{key} changed, and this checker cannot prove the change safe"),
                    Effects::new(B, B, B),
                ),
            }
        }
    }
}
