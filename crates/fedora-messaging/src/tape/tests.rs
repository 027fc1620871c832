//! A tape must be the `Value` it replaces: the same document, the same body bytes, the same
//! verdict and violations from the same schema.

use std::collections::BTreeMap;

use jsonschema::Draft;
use proptest::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};

use super::{Tape, TapeJson};
use crate::pyjson::{self, Style};

/// Any JSON document, keys and strings with non-ASCII, escapes and astral characters among them.
fn any_value() -> impl Strategy<Value = Value> {
    let text = prop_oneof![
        "[a-z]{0,6}",
        "\\PC{0,8}",
        Just("é\"\\\n\u{1F600}".to_owned())
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text.clone().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((text.clone(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

fn validators(
    schema: &Value,
    draft: Draft,
) -> (jsonschema::Validator, jsonschema::Validator<TapeJson>) {
    let value = jsonschema::options()
        .with_draft(draft)
        .should_validate_formats(false)
        .build(schema)
        .unwrap();
    let tape = jsonschema::options_for::<TapeJson>()
        .with_draft(draft)
        .should_validate_formats(false)
        .build(schema)
        .unwrap();
    (value, tape)
}

/// Each violation as the crate reports it: where, by which keyword, and the message.
fn violations_of_value(v: &jsonschema::Validator, instance: &Value) -> Vec<[String; 3]> {
    v.iter_errors(instance)
        .map(|e| {
            [
                e.instance_path().as_str().to_owned(),
                e.schema_path().as_str().to_owned(),
                e.to_string(),
            ]
        })
        .collect()
}

fn violations_of_tape(v: &jsonschema::Validator<TapeJson>, tape: &Tape) -> Vec<[String; 3]> {
    v.iter_errors(tape.root())
        .map(|e| {
            [
                e.instance_path().as_str().to_owned(),
                e.schema_path().as_str().to_owned(),
                e.to_string(),
            ]
        })
        .collect()
}

fn assert_same_verdict(schema: &Value, draft: Draft, instance: &Value) {
    let (by_value, by_tape) = validators(schema, draft);
    let tape = Tape::from_serialize(instance).unwrap();
    assert_eq!(
        by_tape.is_valid(tape.root()),
        by_value.is_valid(instance),
        "{instance}"
    );
    assert_eq!(
        violations_of_tape(&by_tape, &tape),
        violations_of_value(&by_value, instance),
        "{instance}"
    );
}

proptest! {
    #[test]
    fn a_tape_is_the_value_and_writes_its_bytes(value in any_value()) {
        let tape = Tape::from_serialize(&value).unwrap();
        prop_assert_eq!(tape.to_value(), value.clone());
        prop_assert_eq!(
            String::from_utf8(tape.body_bytes()).unwrap(),
            pyjson::to_string(&value, Style::BODY)
        );
    }

    #[test]
    fn validation_by_tape_is_validation_by_value(value in any_value()) {
        // A schema touching every kind of keyword the representation serves.
        let schema = json!({
            "type": "object",
            "properties": {
                "a": {"type": "integer", "minimum": 0},
                "b": {"type": "string", "maxLength": 3, "pattern": "^[a-z]"},
                "c": {"type": "array", "items": {"type": ["number", "null"]}, "uniqueItems": true}
            },
            "patternProperties": {"^[A-Z]": {"enum": [1, "x", null, [1], {"k": 1.0}]}},
            "additionalProperties": {"not": {"const": true}},
            "propertyNames": {"maxLength": 5},
            "required": ["a"],
            "minProperties": 1
        });
        assert_same_verdict(&schema, Draft::Draft202012, &value);
        assert_same_verdict(&json!({"type": ["integer", "object"], "multipleOf": 2}), Draft::Draft4, &value);
    }
}

/// Serialized with `serialize_bytes`, as `serde_bytes` does.
struct RawBytes(&'static [u8]);

impl Serialize for RawBytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

/// Every kind of serde data serializes as `serde_json::to_value` makes it.
#[test]
fn serde_data_model_as_to_value() {
    #[derive(Serialize)]
    enum Kind {
        Unit,
        Newtype(u8),
        Tuple(i32, String),
        Struct { a: Option<bool>, b: () },
    }
    #[derive(Serialize)]
    struct Unit;
    #[derive(Serialize)]
    struct Wrapper(char);
    #[derive(Serialize)]
    struct All<'a> {
        kinds: Vec<Kind>,
        big: i128,
        bigger: u128,
        negative: i8,
        float: f32,
        nan: f64,
        bytes: RawBytes,
        unit: Unit,
        wrapper: Wrapper,
        tuple: (u16, &'a str),
        int_keys: BTreeMap<i64, u8>,
        bool_keys: BTreeMap<bool, u8>,
        char_keys: BTreeMap<char, u8>,
        unit_variant_keys: BTreeMap<&'a str, Kind>,
    }
    let all = All {
        kinds: vec![
            Kind::Unit,
            Kind::Newtype(7),
            Kind::Tuple(-3, "t".into()),
            Kind::Struct { a: None, b: () },
        ],
        big: -(1 << 62),
        bigger: 1 << 63,
        negative: -8,
        float: 0.5,
        nan: f64::NAN,
        bytes: RawBytes(b"ab"),
        unit: Unit,
        wrapper: Wrapper('ß'),
        tuple: (1, "x"),
        int_keys: BTreeMap::from([(-1, 1), (2, 2)]),
        bool_keys: BTreeMap::from([(false, 0), (true, 1)]),
        char_keys: BTreeMap::from([('k', 1)]),
        unit_variant_keys: BTreeMap::from([("u", Kind::Unit)]),
    };
    let tape = Tape::from_serialize(&all).unwrap();
    assert_eq!(tape.to_value(), serde_json::to_value(&all).unwrap());
    assert_eq!(
        String::from_utf8(tape.body_bytes()).unwrap(),
        pyjson::to_string(&serde_json::to_value(&all).unwrap(), Style::BODY)
    );
}

#[test]
fn refused_as_to_value_refuses() {
    let tuple_keys = BTreeMap::from([((1, 2), 3)]);
    assert!(serde_json::to_value(&tuple_keys).is_err());
    let err = Tape::from_serialize(&tuple_keys).unwrap_err();
    assert_eq!(err.to_string(), "key must be a string");
    let out_of_range = u128::MAX;
    assert!(serde_json::to_value(out_of_range).is_err());
    assert!(Tape::from_serialize(&out_of_range).is_err());
}

/// The real schemas of `schemas/` (from the schema packages), each against an instance of every
/// kind: the same violations either way.
#[test]
fn real_schemas_judge_a_tape_as_a_value() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas");
    let mut seen = 0;
    for app in std::fs::read_dir(&dir).unwrap() {
        let app = app.unwrap().path();
        if !app.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&app).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let schema: Value =
                serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            let draft = crate::schema::CompiledSchema::compile(&schema)
                .unwrap()
                .draft();
            for instance in [
                json!({}),
                json!({"msg": {"owner": "x", "build_id": 1}, "user": {"name": 5}}),
                json!([1, "two"]),
                json!("text"),
                json!({"agent": null, "user": {"name": "alice"}, "tag": "f41", "owner": 3}),
            ] {
                assert_same_verdict(&schema, draft, &instance);
            }
            seen += 1;
        }
    }
    assert!(seen >= 5, "only {seen} schemas found in {}", dir.display());
}

/// Draft 4 takes a float written `2.0` for no integer; later drafts do. Integers past `i64`, and
/// negative ones, keep their sign and size.
#[test]
fn numbers_judged_as_written() {
    for instance in [
        json!(2.0),
        json!(2.5),
        json!(-4),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(0),
    ] {
        for draft in [Draft::Draft4, Draft::Draft7, Draft::Draft202012] {
            assert_same_verdict(
                &json!({"type": "integer", "minimum": -5, "multipleOf": 2}),
                draft,
                &instance,
            );
            assert_same_verdict(&json!({"enum": [2, -4, 0.0]}), draft, &instance);
        }
    }
}
