//! An AsyncAPI 3.0 document of a schema repo: the `amq.topic` exchange, one channel per topic
//! with its AMQP 0-9-1 bindings (0.3.0), one message per schema with its headers and body
//! schemas, and the `send` and `receive` operations of each channel.

use std::collections::BTreeMap;

use fedora_messaging::Severity;
use fedora_messaging_build::repo::{MessageSpec, Topic};
use fedora_messaging_build::Repo;
use serde_json::{json, Map, Value};

use crate::example::example;
use crate::{severity_of, summary_of};

const AMQP_BINDING: &str = "0.3.0";

/// A channel's topic and its messages (component id, spec).
type Channel<'a> = (Topic, Vec<(String, &'a MessageSpec)>);

/// Where the channels come from and what the document is called.
#[derive(Debug, Clone)]
#[must_use]
pub struct AsyncApiOptions {
    /// `info.title`.
    pub title: String,
    /// `info.version`: the version of the schema repo.
    pub version: String,
}

impl Default for AsyncApiOptions {
    fn default() -> Self {
        Self {
            title: "Fedora message bus".into(),
            version: "1.0.0".into(),
        }
    }
}

/// The AsyncAPI 3.0 document of `repo`, as JSON (see [`to_yaml`](crate::to_yaml) for YAML).
///
/// Channel addresses are the repo's topics, without the `topic_prefix` a deployment adds
/// (`org.fedoraproject.prod.`); a topic made from the body becomes an address with parameters;
/// a message whose topic is given per message gets a channel with a null address.
pub fn asyncapi(repo: &Repo, options: &AsyncApiOptions) -> Value {
    let mut channels = Map::new();
    let mut operations = Map::new();
    let mut messages = Map::new();
    let mut schemas = Map::new();
    // Messages grouped by address, in repo order.
    let mut by_address: BTreeMap<String, Channel<'_>> = BTreeMap::new();
    let mut order = Vec::new();
    for (app, m) in repo.messages() {
        let key = match &m.topic {
            Topic::Fixed(t) | Topic::Template(t) => t.clone(),
            Topic::PerMessage => format!("(per message) {}", m.schema_name),
            _ => m.schema_name.clone(),
        };
        let id = component_id(&m.schema_name);
        messages.insert(
            id.clone(),
            message(m, app.schema_package().as_deref(), &id, &mut schemas),
        );
        if !by_address.contains_key(&key) {
            order.push(key.clone());
        }
        by_address
            .entry(key)
            .or_insert_with(|| (m.topic.clone(), Vec::new()))
            .1
            .push((id, m));
    }
    let mut used = BTreeMap::<String, usize>::new();
    for key in order {
        let (topic, members) = &by_address[&key];
        let mut channel_id = component_id(&key.replace("(per message) ", "any."));
        let n = used.entry(channel_id.clone()).or_default();
        *n += 1;
        if *n > 1 {
            channel_id = format!("{channel_id}_{n}");
        }
        let mut channel = Map::new();
        let mut parameters = Map::new();
        let address = match topic {
            Topic::Fixed(t) => Value::String(t.clone()),
            Topic::Template(t) => Value::String(template_address(t, &mut parameters)),
            _ => Value::Null,
        };
        channel.insert("address".into(), address);
        let msgs: Map<String, Value> = members
            .iter()
            .map(|(id, _)| {
                (
                    id.clone(),
                    json!({"$ref": format!("#/components/messages/{id}")}),
                )
            })
            .collect();
        channel.insert("messages".into(), Value::Object(msgs));
        if !parameters.is_empty() {
            channel.insert("parameters".into(), Value::Object(parameters));
        }
        channel.insert(
            "description".into(),
            match topic {
                Topic::PerMessage => json!("Each message names its own topic (routing key)."),
                _ => {
                    json!("Routing key on amq.topic; deployments put their topic_prefix in front.")
                }
            },
        );
        channel.insert(
            "bindings".into(),
            json!({"amqp": {
                "is": "routingKey",
                "exchange": {"name": "amq.topic", "type": "topic", "durable": true,
                             "autoDelete": false, "vhost": "/"},
                "bindingVersion": AMQP_BINDING
            }}),
        );
        let refs: Vec<Value> = members
            .iter()
            .map(|(id, _)| json!({"$ref": format!("#/channels/{channel_id}/messages/{id}")}))
            .collect();
        operations.insert(
            format!("send_{channel_id}"),
            json!({
                "action": "send",
                "channel": {"$ref": format!("#/channels/{channel_id}")},
                "summary": "Publish, with publisher confirms.",
                "messages": refs,
                "bindings": {"amqp": {"deliveryMode": 2, "mandatory": false,
                                      "bindingVersion": AMQP_BINDING}}
            }),
        );
        operations.insert(
            format!("receive_{channel_id}"),
            json!({
                "action": "receive",
                "channel": {"$ref": format!("#/channels/{channel_id}")},
                "summary": "Consume from a queue bound to this routing key; ack after handling.",
                "messages": refs,
                "bindings": {"amqp": {"ack": true, "bindingVersion": AMQP_BINDING}}
            }),
        );
        channels.insert(channel_id, Value::Object(channel));
    }
    let mut components = Map::new();
    components.insert("messages".into(), Value::Object(messages));
    if !schemas.is_empty() {
        components.insert("schemas".into(), Value::Object(schemas));
    }
    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": options.title,
            "version": options.version,
            "description": "Messages of the Fedora message bus: JSON bodies on RabbitMQ's amq.topic \
                exchange, each naming its schema in the fedora_messaging_schema header \
                (fedora-messaging).",
        },
        "defaultContentType": "application/json",
        "servers": {
            "fedora-public": {
                "host": "rabbitmq.fedoraproject.org",
                "pathname": "/public_pubsub",
                "protocol": "amqps",
                "description": "Fedora's public broker (read only, with the public certificate)."
            }
        },
        "channels": channels,
        "operations": operations,
        "components": components,
    })
}

/// A name usable as a component key and in a `$ref` (AsyncAPI's `^[a-zA-Z0-9\.\-_]+$`).
pub(crate) fn component_id(name: &str) -> String {
    let id: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if id.is_empty() {
        "_".into()
    } else {
        id
    }
}

/// `app.{/build/owner}.done` → `app.{build_owner}.done`, each parameter declared.
fn template_address(template: &str, parameters: &mut Map<String, Value>) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{/") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let pointer = &after[..end];
        let name = component_id(pointer.trim_start_matches('/'));
        parameters.insert(
            name.clone(),
            json!({"description": format!("The body's value at {pointer}.")}),
        );
        out.push('{');
        out.push_str(&name);
        out.push('}');
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn message(
    m: &MessageSpec,
    package: Option<&str>,
    id: &str,
    schemas: &mut Map<String, Value>,
) -> Value {
    let severity = severity_of(m.severity);
    let mut payload = portable(&m.schema, id, schemas);
    if m.deprecated {
        if let Some(p) = payload.as_object_mut() {
            p.insert("deprecated".into(), Value::Bool(true));
        }
    }
    let mut out = json!({
        "name": m.schema_name,
        "title": m.type_name,
        "contentType": "application/json",
        "headers": headers_schema(m, package, severity),
        "payload": payload,
        "bindings": {"amqp": {"contentEncoding": "utf-8", "messageType": m.schema_name,
                              "bindingVersion": AMQP_BINDING}},
    });
    if let Some(summary) = summary_of(m) {
        out["summary"] = Value::String(summary);
    }
    if m.deprecated {
        out["tags"] = json!([{"name": "deprecated", "description": "Still sent or archived; do not build on it."}]);
    }
    if let Some((body, _)) = example(&m.schema) {
        let mut headers = json!({
            "fedora_messaging_schema": m.schema_name,
            "fedora_messaging_severity": severity.value(),
            "sent-at": "2026-12-01T10:00:00+00:00",
        });
        if let Some(p) = package {
            headers["fedora_messaging_schema_package"] = json!(p);
        }
        out["examples"] = json!([{"name": "example", "headers": headers, "payload": body}]);
    }
    out
}

/// The headers every message of this schema carries.
fn headers_schema(m: &MessageSpec, package: Option<&str>, severity: Severity) -> Value {
    let mut properties = Map::new();
    properties.insert(
        "fedora_messaging_schema".into(),
        json!({"type": "string", "const": m.schema_name,
               "description": "The schema the body follows."}),
    );
    if let Some(p) = package {
        properties.insert(
            "fedora_messaging_schema_package".into(),
            json!({"type": "string", "const": p,
                   "description": "The Python distribution that defines the schema."}),
        );
    }
    properties.insert(
        "fedora_messaging_severity".into(),
        json!({"type": "integer", "enum": [10, 20, 30, 40], "default": severity.value(),
               "description": format!("10 debug, 20 info, 30 warning, 40 error; {} for this message.",
                                      severity.value())}),
    );
    properties.insert(
        "sent-at".into(),
        json!({"type": "string", "format": "date-time", "description": "When it was sent (ISO 8601)."}),
    );
    properties.insert(
        "priority".into(),
        json!({"type": "integer", "minimum": 0, "maximum": 255}),
    );
    let mut patterns = Map::new();
    for (kind, (_, pointers)) in ["user", "group", "rpm", "container", "module", "flatpak"]
        .iter()
        .zip(m.accessors.lists())
    {
        if !pointers.is_empty() {
            patterns.insert(
                format!("^fedora_messaging_{kind}_"),
                json!({"const": true, "description": format!("One per {kind} the message is about (filter header).")}),
            );
        }
    }
    let mut schema = json!({
        "type": "object",
        "required": ["fedora_messaging_schema", "fedora_messaging_severity", "sent-at"],
        "properties": properties,
    });
    if !patterns.is_empty() {
        schema["patternProperties"] = Value::Object(patterns);
    }
    schema
}

/// The body schema made to stand inside the document: draft-04 keywords brought to the draft-07
/// AsyncAPI reads, its definitions moved to `components/schemas` (a `#/definitions/…` would
/// otherwise point into the AsyncAPI document itself) and its references rewritten.
fn portable(schema: &Value, id: &str, schemas: &mut Map<String, Value>) -> Value {
    let mut body = schema.clone();
    let mut defs = Map::new();
    if let Some(o) = body.as_object_mut() {
        o.remove("$schema");
        o.remove("$id");
        if o.get("id").is_some_and(Value::is_string) {
            o.remove("id");
        }
        for key in ["definitions", "$defs"] {
            if let Some(Value::Object(d)) = o.remove(key) {
                for (name, def) in d {
                    defs.insert(format!("{key}/{name}"), def);
                }
            }
        }
    }
    // `#name` references to a `$anchor`: to the definition that declares it, else a copy.
    let mut anchors = Map::new();
    for (name, def) in &defs {
        if let Some(a) = def.get("$anchor").and_then(Value::as_str) {
            anchors.insert(
                a.to_owned(),
                json!(format!("#/components/schemas/{}", def_key(id, name))),
            );
        }
    }
    let rewrite = |v: &mut Value| {
        inline_anchors(v, schema, &anchors, 0);
        rewrite_refs(v, id);
    };
    let mut body = body;
    rewrite(&mut body);
    for (name, mut def) in defs {
        rewrite(&mut def);
        if let Some(o) = def.as_object_mut() {
            o.remove("$anchor");
        }
        let key = def_key(id, &name);
        schemas.insert(key, def);
    }
    body
}

fn inline_anchors(v: &mut Value, root: &Value, anchors: &Map<String, Value>, depth: usize) {
    match v {
        Value::Object(o) => {
            let anchor = o
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix('#'))
                .filter(|a| !a.is_empty() && !a.starts_with('/'))
                .map(str::to_owned);
            if let Some(a) = anchor {
                if let Some(target) = anchors.get(&a) {
                    o.insert("$ref".into(), target.clone());
                } else if let (Some(found), true) =
                    (crate::schema_walk::find_anchor(root, &a), depth < 8)
                {
                    o.remove("$ref");
                    let mut copy = found.clone();
                    if let Some(c) = copy.as_object_mut() {
                        c.remove("$anchor");
                        for (k, val) in c.clone() {
                            o.entry(k).or_insert(val);
                        }
                    }
                }
            }
            for (_, child) in o.iter_mut() {
                inline_anchors(child, root, anchors, depth + 1);
            }
        }
        Value::Array(items) => {
            for item in items {
                inline_anchors(item, root, anchors, depth + 1);
            }
        }
        _ => {}
    }
}

fn def_key(id: &str, name: &str) -> String {
    component_id(&format!(
        "{id}__{}",
        name.replace("definitions/", "").replace("$defs/", "")
    ))
}

fn rewrite_refs(v: &mut Value, id: &str) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get_mut("$ref") {
                for prefix in ["#/definitions/", "#/$defs/"] {
                    if let Some(name) = r.strip_prefix(prefix) {
                        let (name, rest) = name.split_once('/').map_or((name, ""), |(n, r)| (n, r));
                        let key = def_key(id, name);
                        *r = if rest.is_empty() {
                            format!("#/components/schemas/{key}")
                        } else {
                            format!("#/components/schemas/{key}/{rest}")
                        };
                        break;
                    }
                }
                if r == "#" {
                    // The whole body: not addressable once embedded; an open object instead.
                    o.remove("$ref");
                    o.insert("type".into(), json!("object"));
                }
            }
            // draft-04's boolean exclusiveMinimum/Maximum become draft-07's numbers.
            for (flag, bound) in [
                ("exclusiveMinimum", "minimum"),
                ("exclusiveMaximum", "maximum"),
            ] {
                if let Some(Value::Bool(b)) = o.get(flag).cloned() {
                    o.remove(flag);
                    if b {
                        if let Some(n) = o.remove(bound) {
                            o.insert(flag.into(), n);
                        }
                    }
                }
            }
            for (_, child) in o.iter_mut() {
                rewrite_refs(child, id);
            }
        }
        Value::Array(items) => {
            for item in items {
                rewrite_refs(item, id);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Map};

    use super::{portable, template_address};

    #[test]
    fn definitions_move_to_components_and_refs_follow() {
        let mut schemas = Map::new();
        let body = portable(
            &json!({"$schema": "http://json-schema.org/draft-04/schema#", "id": "x",
                    "definitions": {"user": {"type": "object",
                        "properties": {"n": {"type": "integer", "minimum": 0, "exclusiveMinimum": true}}}},
                    "properties": {"u": {"$ref": "#/definitions/user"}}}),
            "app_thing_v1",
            &mut schemas,
        );
        assert_eq!(
            body,
            json!({"properties": {"u": {"$ref": "#/components/schemas/app_thing_v1__user"}}})
        );
        assert_eq!(
            schemas["app_thing_v1__user"],
            json!({"type": "object", "properties": {"n": {"type": "integer", "exclusiveMinimum": 0}}})
        );
    }

    #[test]
    fn topic_templates_become_addresses_with_parameters() {
        let mut params = Map::new();
        assert_eq!(
            template_address("app.{/build/owner}.{/state}", &mut params),
            "app.{build_owner}.{state}"
        );
        assert_eq!(params.len(), 2);
    }
}
