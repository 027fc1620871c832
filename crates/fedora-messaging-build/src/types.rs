//! JSON Schema → an intermediate model of Rust types, one message at a time.
//!
//! The rule that shapes every choice here: **every body the schema accepts must decode, and
//! re-encode to the same JSON.** Validation is the runtime's job (it checks the embedded schema
//! with the schema's own draft); the types only need to be a lossless superset. So:
//! - objects keep unknown keys in a flattened `extra` map;
//! - a field that is not required is `Option<T>` that is skipped when absent, and a nullable one
//!   that is not required is `Option<Option<T>>`, so absent and `null` stay different;
//! - `number` is `serde_json::Number`, so `1` and `1.0` stay as written;
//! - whatever cannot be typed without losing something is `serde_json::Value`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind};
use crate::keywords;
use crate::naming;
use crate::refs::{escape, unescape, RefError, Refs};

/// A Rust type expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Ty {
    Value,
    String,
    Integer,
    Number,
    Bool,
    Unit,
    Vec(Box<Ty>),
    Map(Box<Ty>),
    Option(Box<Ty>),
    Boxed(Box<Ty>),
    Named(usize),
}

/// A named type of one message.
#[derive(Debug, Clone)]
pub(crate) struct Def {
    pub(crate) name: String,
    pub(crate) doc: String,
    pub(crate) kind: DefKind,
}

#[derive(Debug, Clone)]
pub(crate) enum DefKind {
    /// Reserved for a `$ref` target being converted.
    Pending,
    Struct {
        fields: Vec<Field>,
        extra: String,
    },
    /// String values, each `(variant, json)`.
    Enum(Vec<(String, String)>),
    /// One of several shapes, tried in order.
    Union(Vec<(String, Ty)>),
    /// A named non-object type; a newtype when `newtype`.
    Alias {
        ty: Ty,
        newtype: bool,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub(crate) ident: String,
    pub(crate) json: String,
    pub(crate) ty: Ty,
    pub(crate) required: bool,
    pub(crate) doc: String,
}

/// The types of one message: `defs[root]` is the message type.
#[derive(Debug)]
pub(crate) struct Model {
    pub(crate) defs: Vec<Def>,
    pub(crate) root: usize,
}

struct Converter<'a> {
    file: &'a Path,
    doc: &'a Value,
    defs: Vec<Def>,
    /// `$ref` target pointer → its def.
    by_pointer: HashMap<String, usize>,
    /// (name hint, schema text) → def, so a shape repeated under one name is one type.
    by_shape: HashMap<(String, String), usize>,
    /// The document's references: its base URI and anchors.
    refs: Refs<'a>,
    /// How deep [`Converter::ty`] is nested, through subschemas and references.
    depth: usize,
    /// Named types that a `$ref` to them must wrap in `Option`: the schema at the target allows
    /// `null` besides its shape (`"type": ["object", "null"]`, an enum with `null`, a `oneOf`
    /// with a null member). The def itself is the non-null shape.
    nullable: HashSet<usize>,
}

/// Deeper than this, a schema is refused rather than risking the generator's stack (and nobody
/// wants a type nested this deep).
const MAX_DEPTH: usize = 32;

/// Converts the schema `doc` of the message `root_name` into a model.
pub(crate) fn convert(file: &Path, doc: &Value, root_name: &str) -> Result<Model, Error> {
    let mut c = Converter {
        file,
        doc,
        defs: Vec::new(),
        by_pointer: HashMap::new(),
        by_shape: HashMap::new(),
        refs: Refs::new(doc),
        depth: 0,
        nullable: HashSet::new(),
    };
    // Every reference must resolve, also where the types do not look (untyped subschemas).
    c.check_refs(doc, "")?;
    let root = c.named_at("", root_name)?;
    if let DefKind::Alias { newtype, .. } = &mut c.defs[root].kind {
        // The message type must be a struct to carry the trait impl.
        *newtype = true;
    }
    c.box_cycles();
    Ok(Model { defs: c.defs, root })
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Converter<'_> {
    fn check_refs(&self, v: &Value, ptr: &str) -> Result<(), Error> {
        match v {
            Value::Object(m) => {
                for (k, sub) in m {
                    let at = format!("{ptr}/{}", escape(k));
                    match (k.as_str(), sub) {
                        ("$ref", Value::String(r)) => {
                            self.resolve(r, &at)?;
                        }
                        // Data, not schemas.
                        (k, _) if keywords::holds_data(k) => {}
                        _ => self.check_refs(sub, &at)?,
                    }
                }
            }
            Value::Array(a) => {
                for (i, sub) in a.iter().enumerate() {
                    self.check_refs(sub, &format!("{ptr}/{i}"))?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn err(&self, ptr: &str, kind: ErrorKind) -> Error {
        Error::new(self.file, ptr, kind)
    }

    /// The pointer a `$ref` names, checked to exist.
    fn resolve(&self, reference: &str, at: &str) -> Result<String, Error> {
        self.refs
            .pointer(reference)
            .map_err(|why| self.err(at, ErrorKind::UnresolvableRef(reference.to_owned(), why)))
    }

    /// The named type for the schema at `ptr` (a `$ref` target, or the root).
    fn named_at(&mut self, ptr: &str, name_hint: &str) -> Result<usize, Error> {
        if let Some(&i) = self.by_pointer.get(ptr) {
            return Ok(i);
        }
        let name = self.fresh_name(&naming::pascal(name_hint), "");
        let slot = self.defs.len();
        self.defs.push(Def {
            name,
            doc: String::new(),
            kind: DefKind::Pending,
        });
        self.by_pointer.insert(ptr.to_owned(), slot);
        let schema = self.doc.pointer(ptr).cloned().unwrap_or(Value::Bool(true));
        // Known before descending, so that references to it from inside itself agree.
        if allows_null(&schema) {
            self.nullable.insert(slot);
        }
        let ty = self.ty(&schema, ptr, name_hint, Some(slot))?;
        let only_itself = ty == Ty::Named(slot) || ty == Ty::Option(Box::new(Ty::Named(slot)));
        if only_itself && matches!(self.defs[slot].kind, DefKind::Pending) {
            // Nothing but references to itself (`{"$ref": "#"}`, or that or null): no shape to
            // type. Any JSON it is.
            self.nullable.remove(&slot);
            self.defs[slot].kind = DefKind::Alias {
                ty: Ty::Value,
                newtype: true,
            };
            self.defs[slot].doc = doc_of(&schema, ptr);
            return Ok(slot);
        }
        match ty {
            // The shape went into the slot.
            Ty::Named(i) if i == slot => {
                self.nullable.remove(&slot);
            }
            // The shape went into the slot and `null` is allowed besides it: the def is the shape,
            // and references to it are `Option`s (the slot must never become `Option<Self>`).
            Ty::Option(ref inner) if **inner == Ty::Named(slot) => {}
            ty => {
                self.nullable.remove(&slot);
                let newtype = contains_named(&ty);
                self.defs[slot].kind = DefKind::Alias { ty, newtype };
                self.defs[slot].doc = doc_of(&schema, ptr);
            }
        }
        Ok(slot)
    }

    /// The type of a reference to the named type `i`.
    fn reference(&self, i: usize) -> Ty {
        nullable_of(Ty::Named(i), self.nullable.contains(&i))
    }

    fn fresh_name(&self, base: &str, parent: &str) -> String {
        let taken = |n: &str| self.defs.iter().any(|d| d.name == n);
        if !taken(base) || parent.is_empty() {
            return naming::unique(base, taken);
        }
        naming::unique(&format!("{parent}{base}"), taken)
    }

    /// Stores `kind` as a named type: in `slot` when given, else under a name from `hint`, shared
    /// with an earlier identical schema of the same name.
    fn define(
        &mut self,
        schema: &Value,
        ptr: &str,
        hint: &str,
        parent: &str,
        slot: Option<usize>,
        kind: DefKind,
    ) -> Ty {
        let doc = doc_of(schema, ptr);
        if let Some(slot) = slot {
            self.defs[slot].kind = kind;
            self.defs[slot].doc = doc;
            return Ty::Named(slot);
        }
        let base = naming::pascal(hint);
        let key = (base.clone(), schema.to_string());
        if let Some(&i) = self.by_shape.get(&key) {
            return Ty::Named(i);
        }
        let name = self.fresh_name(&base, parent);
        self.defs.push(Def { name, doc, kind });
        let i = self.defs.len() - 1;
        self.by_shape.insert(key, i);
        Ty::Named(i)
    }

    fn parent_name(&self, slot: Option<usize>, hint: &str) -> String {
        slot.map(|s| self.defs[s].name.clone())
            .unwrap_or_else(|| naming::pascal(hint))
    }

    /// The type for `schema` (found at `ptr`), named after `hint` when it needs a name.
    fn ty(
        &mut self,
        schema: &Value,
        ptr: &str,
        hint: &str,
        slot: Option<usize>,
    ) -> Result<Ty, Error> {
        if self.depth >= MAX_DEPTH {
            return Err(self.err(
                ptr,
                ErrorKind::Invalid(format!("nested more than {MAX_DEPTH} schemas deep")),
            ));
        }
        self.depth += 1;
        let ty = self.ty_unguarded(schema, ptr, hint, slot);
        self.depth -= 1;
        ty
    }

    fn ty_unguarded(
        &mut self,
        schema: &Value,
        ptr: &str,
        hint: &str,
        slot: Option<usize>,
    ) -> Result<Ty, Error> {
        let obj = match schema {
            Value::Bool(_) => return Ok(Ty::Value),
            Value::Object(o) => o,
            other => return Err(self.err(ptr, ErrorKind::NotASchema(kind_of(other)))),
        };
        if let Some(r) = obj.get("$ref") {
            let at = format!("{ptr}/$ref");
            let Some(r) = r.as_str() else {
                return Err(self.err(
                    &at,
                    ErrorKind::UnresolvableRef(r.to_string(), RefError::NotAString),
                ));
            };
            let target = self.resolve(r, &at)?;
            let name = target
                .rsplit('/')
                .next()
                .filter(|s| !s.is_empty())
                .map(unescape)
                .unwrap_or_else(|| hint.to_owned());
            let i = self.named_at(&target, &name)?;
            return Ok(self.reference(i));
        }
        if let Some(values) = obj.get("enum").and_then(Value::as_array) {
            return Ok(self.enum_ty(schema, values, ptr, hint, slot));
        }
        if obj.contains_key("const") {
            return Ok(Ty::Value);
        }
        let types = keywords::type_list(obj);
        let is_object = types.as_ref().is_some_and(|t| t == &["object"]);
        if !is_object {
            for key in ["oneOf", "anyOf"] {
                if let Some(members) = obj.get(key).and_then(Value::as_array) {
                    if obj.contains_key(if key == "oneOf" { "anyOf" } else { "oneOf" }) {
                        return Ok(Ty::Value);
                    }
                    return self.choice(
                        members,
                        &format!("{ptr}/{key}"),
                        hint,
                        slot,
                        types.as_deref(),
                    );
                }
            }
            if let Some(members) = obj.get("allOf").and_then(Value::as_array) {
                return self.all_of(schema, members, ptr, hint, slot);
            }
        }
        let Some(types) = types else {
            return Ok(Ty::Value);
        };
        let nullable = types.iter().any(|t| t == "null");
        let concrete: Vec<&String> = types.iter().filter(|t| *t != "null").collect();
        let ty = match concrete.as_slice() {
            [] => Ty::Unit,
            [one] => self.single(obj, one, ptr, hint, slot)?,
            many => {
                let mut variants = Vec::new();
                for t in order_for_untagged(many) {
                    let ty = self.single(obj, t, ptr, &format!("{hint} {t}"), None)?;
                    variants.push((naming::pascal(t), ty));
                }
                self.define(schema, ptr, hint, "", slot, DefKind::Union(variants))
            }
        };
        Ok(nullable_of(ty, nullable))
    }

    fn single(
        &mut self,
        obj: &Map<String, Value>,
        t: &str,
        ptr: &str,
        hint: &str,
        slot: Option<usize>,
    ) -> Result<Ty, Error> {
        Ok(match t {
            "string" => Ty::String,
            "integer" => Ty::Integer,
            "number" => Ty::Number,
            "boolean" => Ty::Bool,
            "array" => match obj.get("items") {
                Some(items @ (Value::Object(_) | Value::Bool(_))) => {
                    let item_hint = format!("{hint} item");
                    Ty::Vec(Box::new(self.ty(
                        items,
                        &format!("{ptr}/items"),
                        &item_hint,
                        None,
                    )?))
                }
                _ => Ty::Vec(Box::new(Ty::Value)),
            },
            "object" => return self.object(obj, ptr, hint, slot),
            _ => Ty::Value,
        })
    }

    fn object(
        &mut self,
        obj: &Map<String, Value>,
        ptr: &str,
        hint: &str,
        slot: Option<usize>,
    ) -> Result<Ty, Error> {
        let Some(props) = obj.get("properties").and_then(Value::as_object) else {
            return Ok(match obj.get("additionalProperties") {
                Some(ap @ Value::Object(_)) if obj.get("patternProperties").is_none() => {
                    let hint = format!("{hint} value");
                    let ty = self.ty(ap, &format!("{ptr}/additionalProperties"), &hint, None)?;
                    Ty::Map(Box::new(ty))
                }
                _ => Ty::Map(Box::new(Ty::Value)),
            });
        };
        let required: Vec<&str> = obj
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let parent = self.parent_name(slot, hint);
        let mut fields: Vec<Field> = Vec::new();
        for (json, sub) in props {
            let sub_ptr = format!("{ptr}/properties/{}", escape(json));
            let ty = self.ty_in(sub, &sub_ptr, json, &parent)?;
            let ident = naming::unique(&naming::snake(json), |c| {
                fields.iter().any(|f| f.ident == c)
            });
            fields.push(Field {
                ident,
                json: json.clone(),
                ty,
                required: required.contains(&json.as_str()),
                doc: doc_of(sub, &sub_ptr),
            });
        }
        let extra = ["extra", "extra_fields"]
            .into_iter()
            .find(|c| !fields.iter().any(|f| f.ident == *c))
            .map(str::to_owned)
            .unwrap_or_else(|| {
                naming::unique("extra_fields", |c| fields.iter().any(|f| f.ident == c))
            });
        let schema = Value::Object(obj.clone());
        Ok(self.define(
            &schema,
            ptr,
            hint,
            "",
            slot,
            DefKind::Struct { fields, extra },
        ))
    }

    /// Like [`Self::ty`], but a nested type whose name is taken by a different shape is named
    /// after its parent first (`ProjectUser`), before falling back to a number.
    fn ty_in(&mut self, schema: &Value, ptr: &str, hint: &str, parent: &str) -> Result<Ty, Error> {
        let before = self.defs.len();
        let ty = self.ty(schema, ptr, hint, None)?;
        // A def created just now under a numbered name: prefer the parent-qualified name.
        let named = match &ty {
            Ty::Named(i) => Some(*i),
            Ty::Option(inner) => match **inner {
                Ty::Named(i) => Some(i),
                _ => None,
            },
            _ => None,
        };
        if let Some(i) = named.filter(|&i| i >= before) {
            let base = naming::pascal(hint);
            let numbered = self.defs[i]
                .name
                .strip_prefix(&base)
                .is_some_and(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_digit()));
            if numbered && !parent.is_empty() {
                let qualified = format!("{parent}{base}");
                if !self.defs.iter().any(|d| d.name == qualified) {
                    self.defs[i].name = qualified;
                }
            }
        }
        Ok(ty)
    }

    fn enum_ty(
        &mut self,
        schema: &Value,
        values: &[Value],
        ptr: &str,
        hint: &str,
        slot: Option<usize>,
    ) -> Ty {
        let nullable = values.iter().any(Value::is_null);
        let rest: Vec<&Value> = values.iter().filter(|v| !v.is_null()).collect();
        if rest.is_empty() {
            return Ty::Value;
        }
        if rest.iter().all(|v| v.is_string()) {
            let mut variants: Vec<(String, String)> = Vec::new();
            for v in rest {
                let json = v.as_str().unwrap_or_default().to_owned();
                if variants.iter().any(|(_, j)| *j == json) {
                    continue;
                }
                let ident = naming::unique(&naming::pascal(&json), |c| {
                    variants.iter().any(|(i, _)| i == c)
                });
                variants.push((ident, json));
            }
            let ty = self.define(schema, ptr, hint, "", slot, DefKind::Enum(variants));
            return nullable_of(ty, nullable);
        }
        if rest.iter().all(|v| v.is_i64()) {
            return nullable_of(Ty::Integer, nullable);
        }
        Ty::Value
    }

    /// `oneOf` / `anyOf`: null members make it nullable; one other member is that member's type;
    /// several become an untagged enum tried in order.
    fn choice(
        &mut self,
        members: &[Value],
        ptr: &str,
        hint: &str,
        slot: Option<usize>,
        outer_types: Option<&[String]>,
    ) -> Result<Ty, Error> {
        let mut nullable = outer_types.is_some_and(|t| t.iter().any(|t| t == "null"));
        let mut rest = Vec::new();
        for (i, m) in members.iter().enumerate() {
            if is_null_schema(m) {
                nullable = true;
            } else {
                rest.push((i, m));
            }
        }
        let ty = match rest.as_slice() {
            [] => Ty::Unit,
            [(i, m)] => self.ty(m, &format!("{ptr}/{i}"), hint, slot)?,
            many => {
                let mut variants: Vec<(String, Ty)> = Vec::new();
                for (i, m) in many {
                    let ty = self.ty(
                        m,
                        &format!("{ptr}/{i}"),
                        &format!("{hint} variant {i}"),
                        None,
                    )?;
                    if variants.iter().any(|(_, t)| *t == ty) {
                        continue;
                    }
                    let name = match &ty {
                        Ty::Named(n) => self.defs[*n].name.clone(),
                        other => variant_name(other),
                    };
                    let name = naming::unique(&name, |c| variants.iter().any(|(v, _)| v == c));
                    variants.push((name, ty));
                }
                let schema = Value::Array(members.to_vec());
                self.define(&schema, ptr, hint, "", slot, DefKind::Union(variants))
            }
        };
        Ok(nullable_of(ty, nullable))
    }

    /// `allOf` of object schemas: one struct with every member's properties.
    fn all_of(
        &mut self,
        schema: &Value,
        members: &[Value],
        ptr: &str,
        hint: &str,
        slot: Option<usize>,
    ) -> Result<Ty, Error> {
        if let [only] = members {
            return self.ty(only, &format!("{ptr}/allOf/0"), hint, slot);
        }
        let mut props = Map::new();
        let mut required: Vec<Value> = Vec::new();
        for (i, m) in members.iter().enumerate() {
            let m = match m.get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    let target = self.resolve(r, &format!("{ptr}/allOf/{i}/$ref"))?;
                    self.doc.pointer(&target).cloned().unwrap_or(Value::Null)
                }
                None => m.clone(),
            };
            let object_like = m
                .as_object()
                .and_then(keywords::type_list)
                .is_none_or(|t| t == ["object"]);
            let Some(p) = m
                .get("properties")
                .and_then(Value::as_object)
                .filter(|_| object_like)
            else {
                return Ok(Ty::Value);
            };
            for (k, v) in p {
                if props.get(k).is_some_and(|old| old != v) {
                    return Ok(Ty::Value);
                }
                props.insert(k.clone(), v.clone());
            }
            if let Some(r) = m.get("required").and_then(Value::as_array) {
                required.extend(r.iter().cloned());
            }
        }
        let mut merged = Map::new();
        merged.insert("type".into(), "object".into());
        if let Some(d) = schema.get("description") {
            merged.insert("description".into(), d.clone());
        }
        merged.insert("properties".into(), Value::Object(props));
        merged.insert("required".into(), Value::Array(required));
        // The merged properties keep their original pointers for error messages only loosely:
        // they are reported under the allOf.
        self.object(&merged, &format!("{ptr}/allOf"), hint, slot)
    }

    /// Boxes every reference that closes a cycle of direct containment (a field, an option or an
    /// enum variant), which would otherwise give an infinitely large type. `Vec` and maps already
    /// put their elements on the heap.
    fn box_cycles(&mut self) {
        let n = self.defs.len();
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, d) in self.defs.iter().enumerate() {
            for ty in def_types(&d.kind) {
                direct_refs(ty, &mut edges[i]);
            }
        }
        let reach = |from: usize, to: usize| -> bool {
            let mut seen = vec![false; n];
            let mut stack = vec![from];
            while let Some(x) = stack.pop() {
                if x == to {
                    return true;
                }
                if std::mem::replace(&mut seen[x], true) {
                    continue;
                }
                stack.extend(&edges[x]);
            }
            false
        };
        let cyclic: BTreeMap<(usize, usize), bool> = edges
            .iter()
            .enumerate()
            .flat_map(|(i, es)| es.iter().map(move |&j| (i, j)))
            .map(|(i, j)| ((i, j), reach(j, i)))
            .collect();
        for (i, d) in self.defs.iter_mut().enumerate() {
            for ty in def_types_mut(&mut d.kind) {
                box_direct(ty, &|j| cyclic.get(&(i, j)).copied().unwrap_or(false));
            }
        }
    }
}

fn def_types(kind: &DefKind) -> Vec<&Ty> {
    match kind {
        DefKind::Struct { fields, .. } => fields.iter().map(|f| &f.ty).collect(),
        DefKind::Union(vs) => vs.iter().map(|(_, t)| t).collect(),
        DefKind::Alias { ty, .. } => vec![ty],
        DefKind::Enum(_) | DefKind::Pending => Vec::new(),
    }
}

fn def_types_mut(kind: &mut DefKind) -> Vec<&mut Ty> {
    match kind {
        DefKind::Struct { fields, .. } => fields.iter_mut().map(|f| &mut f.ty).collect(),
        DefKind::Union(vs) => vs.iter_mut().map(|(_, t)| t).collect(),
        DefKind::Alias { ty, .. } => vec![ty],
        DefKind::Enum(_) | DefKind::Pending => Vec::new(),
    }
}

fn direct_refs(ty: &Ty, out: &mut Vec<usize>) {
    match ty {
        Ty::Named(i) => out.push(*i),
        Ty::Option(t) => direct_refs(t, out),
        _ => {}
    }
}

fn box_direct(ty: &mut Ty, cyclic: &dyn Fn(usize) -> bool) {
    match ty {
        Ty::Named(i) if cyclic(*i) => *ty = Ty::Boxed(Box::new(Ty::Named(*i))),
        Ty::Option(t) => box_direct(t, cyclic),
        _ => {}
    }
}

fn contains_named(ty: &Ty) -> bool {
    match ty {
        Ty::Named(_) => true,
        Ty::Vec(t) | Ty::Map(t) | Ty::Option(t) | Ty::Boxed(t) => contains_named(t),
        _ => false,
    }
}

/// Whether `m` allows `null` only (`"type": "null"`, `"enum": [null]`, `"const": null`).
fn is_null_schema(m: &Value) -> bool {
    m.get("type").and_then(Value::as_str) == Some("null")
        || m.get("enum")
            .and_then(Value::as_array)
            .is_some_and(|e| e.iter().all(Value::is_null))
        || m.get("const").is_some_and(Value::is_null)
}

/// Whether `schema` says at its top that `null` is allowed besides its shape.
fn allows_null(schema: &Value) -> bool {
    let Some(obj) = schema.as_object() else {
        return false;
    };
    keywords::type_list(obj).is_some_and(|t| t.iter().any(|t| t == "null"))
        || obj
            .get("enum")
            .and_then(Value::as_array)
            .is_some_and(|e| e.iter().any(Value::is_null))
        || ["oneOf", "anyOf"].iter().any(|k| {
            obj.get(*k)
                .and_then(Value::as_array)
                .is_some_and(|ms| ms.iter().any(is_null_schema))
        })
}

fn nullable_of(ty: Ty, nullable: bool) -> Ty {
    match ty {
        Ty::Value | Ty::Unit | Ty::Option(_) => ty,
        _ if nullable => Ty::Option(Box::new(ty)),
        _ => ty,
    }
}

fn variant_name(ty: &Ty) -> String {
    match ty {
        Ty::Value => "Any",
        Ty::String => "String",
        Ty::Integer => "Integer",
        Ty::Number => "Number",
        Ty::Bool => "Boolean",
        Ty::Unit => "Null",
        Ty::Vec(_) => "Array",
        Ty::Map(_) => "Object",
        Ty::Option(_) => "Nullable",
        Ty::Boxed(_) | Ty::Named(_) => "Other",
    }
    .to_owned()
}

/// Untagged enums take the first variant that fits: integers before numbers, so `1` stays an
/// integer; everything else in schema order.
fn order_for_untagged<'a>(types: &[&'a String]) -> Vec<&'a String> {
    let mut out: Vec<&String> = types.to_vec();
    out.sort_by_key(|t| match t.as_str() {
        "integer" => 0,
        "number" => 1,
        _ => 2,
    });
    out
}

/// A doc comment: the schema's description or title, else where it came from.
fn doc_of(schema: &Value, ptr: &str) -> String {
    for key in ["description", "title"] {
        if let Some(d) = schema.get(key).and_then(Value::as_str) {
            let d = d.trim();
            if !d.is_empty() {
                return d.to_owned();
            }
        }
    }
    if ptr.is_empty() {
        "The message body.".into()
    } else {
        format!("`{ptr}` in the schema.")
    }
}
