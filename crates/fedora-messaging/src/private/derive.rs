//! Support for code `#[derive(Message)]` writes.

/// The draft-07 root schema of `T`, `$schema`, `title` and `description` first for readers.
pub fn body_schema_for<T: schemars::JsonSchema>() -> serde_json::Value {
    let value = schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value();
    let serde_json::Value::Object(mut rest) = value else {
        return value;
    };
    let mut out = serde_json::Map::new();
    for key in ["$schema", "title", "description"] {
        if let Some(v) = rest.shift_remove(key) {
            out.insert(key.into(), v);
        }
    }
    out.extend(rest);
    serde_json::Value::Object(out)
}

/// Values of an accessor field, collected.
pub fn collect(fields: &[&dyn crate::AccessorValues]) -> Vec<String> {
    let mut out = Vec::new();
    for f in fields {
        f.push_values(&mut out);
    }
    out
}
