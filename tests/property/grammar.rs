//! A grammar of the JSON Schemas real Fedora schema packages use, as proptest strategies, and
//! instances drawn for each: valid ones (to decode and re-encode unchanged) and mutated ones (whose
//! validation verdict must equal Python's).

use proptest::prelude::*;
use proptest::test_runner::TestRng;
use serde_json::{json, Map, Value};

/// A schema's shape; rendered to JSON Schema by [`render`].
#[derive(Debug, Clone)]
pub(crate) enum Shape {
    Str,
    Int,
    Num,
    Bool,
    /// `"type": ["integer", "string"]`.
    IntOrStr,
    /// `"type": [T, "null"]` (or `anyOf` with null when the inner shape has no `type`).
    Nullable(Box<Shape>),
    Array(Box<Shape>),
    Object(Vec<Prop>, Extra),
    /// `additionalProperties` with a schema, no `properties`.
    Map(Box<Shape>),
    /// `patternProperties`.
    Pattern(Box<Shape>),
    /// An enum of strings, maybe with `null`.
    EnumStr(Vec<String>, bool),
    EnumInt(Vec<i64>),
    /// `oneOf` (or `anyOf`) of the shape and `{"type": "null"}`.
    Choice(Box<Shape>, bool),
    /// `allOf` of objects with disjoint properties.
    AllOf(Vec<Vec<Prop>>),
    /// `$ref` to definition `i`.
    Ref(usize),
}

#[derive(Debug, Clone)]
pub(crate) struct Prop {
    pub(crate) name: String,
    pub(crate) shape: Shape,
    pub(crate) required: bool,
}

/// `additionalProperties` of an object with properties.
#[derive(Debug, Clone)]
pub(crate) enum Extra {
    /// Absent: anything goes.
    Open,
    /// `false`.
    Closed,
    /// A schema.
    Typed(Box<Shape>),
}

/// A definition: an object, maybe nullable, maybe referring to itself.
#[derive(Debug, Clone)]
pub(crate) struct Def {
    pub(crate) props: Vec<Prop>,
    pub(crate) nullable: bool,
    pub(crate) recursive: bool,
}

/// One drawn message schema.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub(crate) draft: usize,
    pub(crate) defs: Vec<Def>,
    pub(crate) root: Vec<Prop>,
    pub(crate) extra: Extra,
}

pub(crate) const DRAFTS: [&str; 5] = [
    "http://json-schema.org/draft-04/schema#",
    "http://json-schema.org/draft-06/schema#",
    "http://json-schema.org/draft-07/schema#",
    "https://json-schema.org/draft/2019-09/schema",
    "https://json-schema.org/draft/2020-12/schema",
];

/// Property names: keywords, names that are no identifier, names the generated code uses itself.
const NAMES: &[&str] = &[
    "id",
    "name",
    "type",
    "self",
    "match",
    "async",
    "a-b",
    "a.b",
    "1st",
    "x y",
    "ünï",
    "Value",
    "extra",
    "extra_fields",
    "CamelCase",
    "camel_case",
    "_",
    "",
];

impl Shape {
    /// Whether `null` is a valid instance.
    fn accepts_null(&self, defs: &[Def]) -> bool {
        match self {
            Self::Nullable(_) | Self::Choice(..) => true,
            Self::EnumStr(_, null) => *null,
            Self::Ref(i) => defs[*i].nullable,
            _ => false,
        }
    }
}

fn props(inner: BoxedStrategy<Shape>, prefix: &'static str) -> impl Strategy<Value = Vec<Prop>> {
    proptest::sample::subsequence(NAMES, 1..5).prop_flat_map(move |names| {
        let n = names.len();
        (
            proptest::collection::vec(inner.clone(), n),
            proptest::collection::vec(any::<bool>(), n),
        )
            .prop_map(move |(shapes, required)| {
                names
                    .iter()
                    .zip(shapes)
                    .zip(required)
                    .map(|((name, shape), required)| Prop {
                        name: format!("{prefix}{name}"),
                        shape,
                        required,
                    })
                    .collect()
            })
    })
}

fn extra(inner: BoxedStrategy<Shape>) -> impl Strategy<Value = Extra> {
    prop_oneof![
        2 => Just(Extra::Open),
        1 => Just(Extra::Closed),
        1 => inner.prop_map(|s| Extra::Typed(Box::new(s))),
    ]
}

/// Any shape, with references to `n_defs` definitions.
pub(crate) fn shape(n_defs: usize) -> BoxedStrategy<Shape> {
    let enum_str = (
        proptest::sample::subsequence(&["open", "closed", "a b", "Ünï", "1", "self"][..], 1..4),
        any::<bool>(),
    )
        .prop_map(|(v, null)| Shape::EnumStr(v.into_iter().map(str::to_owned).collect(), null));
    let enum_int = proptest::sample::subsequence(&[-1i64, 0, 1, 7, 1 << 40][..], 1..4)
        .prop_map(Shape::EnumInt);
    let mut leaves: Vec<BoxedStrategy<Shape>> = vec![
        Just(Shape::Str).boxed(),
        Just(Shape::Int).boxed(),
        Just(Shape::Num).boxed(),
        Just(Shape::Bool).boxed(),
        Just(Shape::IntOrStr).boxed(),
        enum_str.boxed(),
        enum_int.boxed(),
    ];
    if n_defs > 0 {
        leaves.push((0..n_defs).prop_map(Shape::Ref).boxed());
    }
    let leaf = proptest::strategy::Union::new(leaves).boxed();
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|s| Shape::Nullable(Box::new(s))),
            inner.clone().prop_map(|s| Shape::Array(Box::new(s))),
            (props(inner.clone(), ""), extra(inner.clone())).prop_map(|(p, e)| Shape::Object(p, e)),
            inner.clone().prop_map(|s| Shape::Map(Box::new(s))),
            inner.clone().prop_map(|s| Shape::Pattern(Box::new(s))),
            (inner.clone(), any::<bool>()).prop_map(|(s, one)| Shape::Choice(Box::new(s), one)),
            (props(inner.clone(), "g1_"), props(inner, "g2_"))
                .prop_map(|(a, b)| Shape::AllOf(vec![a, b])),
        ]
    })
    .boxed()
}

/// A whole message schema.
pub(crate) fn case() -> impl Strategy<Value = Case> {
    (0..5usize, 0..3usize).prop_flat_map(|(draft, n_defs)| {
        let def = (props(shape(0), ""), any::<bool>(), any::<bool>()).prop_map(
            |(props, nullable, recursive)| Def {
                props,
                nullable,
                recursive,
            },
        );
        (
            Just(draft),
            proptest::collection::vec(def, n_defs),
            props(shape(n_defs), ""),
            extra(shape(n_defs)),
        )
            .prop_map(|(draft, defs, root, extra)| Case {
                draft,
                defs,
                root,
                extra,
            })
    })
}

fn defs_key(draft: usize) -> &'static str {
    if draft >= 3 {
        "$defs"
    } else {
        "definitions"
    }
}

fn object_schema(props: &[Prop], extra: &Extra, c: &Case) -> Value {
    let mut properties = Map::new();
    for p in props {
        properties.insert(p.name.clone(), render(&p.shape, c));
    }
    let required: Vec<&str> = props
        .iter()
        .filter(|p| p.required)
        .map(|p| p.name.as_str())
        .collect();
    let mut o = json!({"type": "object", "properties": properties});
    if !required.is_empty() {
        o["required"] = json!(required);
    }
    match extra {
        Extra::Open => {}
        Extra::Closed => o["additionalProperties"] = json!(false),
        Extra::Typed(s) => o["additionalProperties"] = render(s, c),
    }
    o
}

/// `shape` as JSON Schema.
pub(crate) fn render(shape: &Shape, c: &Case) -> Value {
    match shape {
        Shape::Str => json!({"type": "string"}),
        Shape::Int => json!({"type": "integer"}),
        Shape::Num => json!({"type": "number"}),
        Shape::Bool => json!({"type": "boolean"}),
        Shape::IntOrStr => json!({"type": ["integer", "string"]}),
        Shape::Nullable(inner) => {
            let mut s = render(inner, c);
            match s.get("type").and_then(Value::as_str).map(str::to_owned) {
                Some(t) if s.get("enum").is_none() => {
                    s["type"] = json!([t, "null"]);
                    s
                }
                _ if inner.accepts_null(&c.defs) => s,
                _ => json!({"anyOf": [s, {"type": "null"}]}),
            }
        }
        Shape::Array(items) => json!({"type": "array", "items": render(items, c)}),
        Shape::Object(props, extra) => object_schema(props, extra, c),
        Shape::Map(v) => json!({"type": "object", "additionalProperties": render(v, c)}),
        Shape::Pattern(v) => json!({"type": "object", "patternProperties": {"^p_": render(v, c)}}),
        Shape::EnumStr(values, null) => {
            let mut e: Vec<Value> = values.iter().map(|v| json!(v)).collect();
            if *null {
                e.push(Value::Null);
            }
            json!({ "enum": e })
        }
        Shape::EnumInt(values) => json!({ "enum": values }),
        Shape::Choice(inner, one_of) => {
            // oneOf with a member that also takes null would reject null: anyOf then.
            let key = if *one_of && !inner.accepts_null(&c.defs) {
                "oneOf"
            } else {
                "anyOf"
            };
            json!({ key: [render(inner, c), {"type": "null"}] })
        }
        Shape::AllOf(groups) => {
            let members: Vec<Value> = groups
                .iter()
                .map(|g| object_schema(g, &Extra::Open, c))
                .collect();
            json!({ "allOf": members })
        }
        Shape::Ref(i) => json!({"$ref": format!("#/{}/d{i}", defs_key(c.draft))}),
    }
}

/// The message's body schema.
pub(crate) fn schema(c: &Case) -> Value {
    let mut root = object_schema(&c.root, &c.extra, c);
    let mut defs = Map::new();
    for (i, d) in c.defs.iter().enumerate() {
        let mut o = object_schema(&d.props, &Extra::Open, c);
        if d.recursive {
            let me = json!({"$ref": format!("#/{}/d{i}", defs_key(c.draft))});
            o["properties"]["next"] = json!({"anyOf": [me, {"type": "null"}]});
            o["properties"]["kids"] = json!({"type": "array", "items": me});
        }
        if d.nullable {
            o["type"] = json!(["object", "null"]);
        }
        defs.insert(format!("d{i}"), o);
    }
    let mut out = Map::new();
    out.insert("$schema".into(), json!(DRAFTS[c.draft]));
    if !defs.is_empty() {
        out.insert(defs_key(c.draft).into(), Value::Object(defs));
    }
    out.extend(std::mem::take(
        root.as_object_mut().unwrap_or(&mut Map::new()),
    ));
    Value::Object(out)
}

fn below(rng: &mut TestRng, n: usize) -> usize {
    (rng.next_u64() % n.max(1) as u64) as usize
}

fn coin(rng: &mut TestRng) -> bool {
    rng.next_u32() & 1 == 1
}

fn int(rng: &mut TestRng, c: &Case) -> Value {
    let n = [0i64, 1, -7, 42, i64::MAX][below(rng, 5)];
    // From draft-06 on, 1.0 is an integer: written so, it must stay so.
    if c.draft >= 1 && n.abs() < 1 << 50 && coin(rng) {
        json!(n as f64)
    } else {
        json!(n)
    }
}

fn object_instance(
    props: &[Prop],
    extra: &Extra,
    c: &Case,
    rng: &mut TestRng,
    depth: usize,
) -> Value {
    let mut o = Map::new();
    for p in props {
        if p.required || (depth < 4 && coin(rng)) {
            o.insert(p.name.clone(), instance(&p.shape, c, rng, depth + 1));
        }
    }
    let free = |name: &str| !o.contains_key(name);
    match extra {
        Extra::Open if coin(rng) && free("zz_unknown") => {
            o.insert("zz_unknown".into(), json!([1, "two", null, {"3": 4.5}]));
        }
        Extra::Typed(s) if coin(rng) && free("zz_typed") => {
            let v = instance(s, c, rng, depth + 1);
            o.insert("zz_typed".into(), v);
        }
        _ => {}
    }
    Value::Object(o)
}

/// A valid instance of `shape`.
pub(crate) fn instance(shape: &Shape, c: &Case, rng: &mut TestRng, depth: usize) -> Value {
    match shape {
        Shape::Str => json!(["", "a", "ünï", "x\ny", "\u{1F600}", "1.0"][below(rng, 6)]),
        Shape::Int => int(rng, c),
        Shape::Num => [
            json!(1),
            json!(1.5),
            json!(-2),
            json!(1e100),
            json!(1.0),
            json!(1e-7),
        ][below(rng, 6)]
        .clone(),
        Shape::Bool => json!(coin(rng)),
        Shape::IntOrStr => {
            if coin(rng) {
                int(rng, c)
            } else {
                json!("s")
            }
        }
        Shape::Nullable(inner) | Shape::Choice(inner, _) => {
            if coin(rng) {
                Value::Null
            } else {
                instance(inner, c, rng, depth)
            }
        }
        Shape::Array(items) => {
            let n = if depth < 4 { below(rng, 3) } else { 0 };
            Value::Array((0..n).map(|_| instance(items, c, rng, depth + 1)).collect())
        }
        Shape::Object(props, extra) => object_instance(props, extra, c, rng, depth),
        Shape::Map(v) => {
            let n = if depth < 4 { below(rng, 3) } else { 0 };
            Value::Object(
                (0..n)
                    .map(|i| (format!("k{i}"), instance(v, c, rng, depth + 1)))
                    .collect(),
            )
        }
        Shape::Pattern(v) => {
            let n = if depth < 4 { below(rng, 3) } else { 0 };
            Value::Object(
                (0..n)
                    .map(|i| (format!("p_{i}"), instance(v, c, rng, depth + 1)))
                    .collect(),
            )
        }
        Shape::EnumStr(values, null) => {
            if *null && coin(rng) {
                Value::Null
            } else {
                json!(values[below(rng, values.len())])
            }
        }
        Shape::EnumInt(values) => json!(values[below(rng, values.len())]),
        Shape::AllOf(groups) => {
            let mut o = Map::new();
            for g in groups {
                if let Value::Object(m) = object_instance(g, &Extra::Open, c, rng, depth) {
                    o.extend(m.into_iter().filter(|(k, _)| k != "zz_unknown"));
                }
            }
            Value::Object(o)
        }
        Shape::Ref(i) => {
            let d = &c.defs[*i];
            if d.nullable && (depth > 5 || coin(rng)) {
                return Value::Null;
            }
            let mut o = object_instance(&d.props, &Extra::Open, c, rng, depth + 1);
            if d.recursive && depth < 5 {
                if coin(rng) {
                    o["next"] = instance(&Shape::Ref(*i), c, rng, depth + 1);
                }
                if coin(rng) {
                    o["kids"] = json!([instance(&Shape::Ref(*i), c, rng, depth + 2)]);
                }
            }
            o
        }
    }
}

/// The body of a valid message.
pub(crate) fn body(c: &Case, rng: &mut TestRng) -> Value {
    object_instance(&c.root, &c.extra, c, rng, 0)
}

/// `body` with one thing changed, valid or not: the verdicts of both sides must agree.
pub(crate) fn mutate(body: &Value, rng: &mut TestRng) -> Value {
    let mut b = body.clone();
    let Value::Object(o) = &mut b else {
        return b;
    };
    let keys: Vec<String> = o.keys().cloned().collect();
    let wrong = [
        json!("str"),
        json!(1.5),
        json!(1),
        json!(1.0),
        json!([]),
        json!({}),
        Value::Null,
        json!(true),
    ];
    match below(rng, 3) {
        0 if !keys.is_empty() => {
            let k = &keys[below(rng, keys.len())];
            o.remove(k);
        }
        1 => {
            o.insert("zz_added".into(), wrong[below(rng, wrong.len())].clone());
        }
        _ if !keys.is_empty() => {
            let k = keys[below(rng, keys.len())].clone();
            o.insert(k, wrong[below(rng, wrong.len())].clone());
        }
        _ => {
            o.insert("zz_added".into(), Value::Null);
        }
    }
    b
}
