//! The bindings the root `build.rs` generates from `schemas/`, used as an application would:
//! lossless round trips, the hard schema shapes, accessors from `messages.toml`, `AnyMessage`,
//! and a publish/consume on the real broker.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};

use fedora_messaging::amqp::consume::{Consumer, HandlerError, Received};
use fedora_messaging::amqp::publish::Publisher;
use fedora_messaging::{BaseMessage, DecodeError, Envelope, Message, Registry, Severity};
use fedora_messaging_rs::messages::{accounts, demo, forum, koji, AnyMessage};
use serde_json::{json, Value};

fn round_trip<M: Message>(body: Value) -> M {
    let m = M::from_body(body.clone(), "t", Severity::Info).unwrap();
    assert_eq!(m.to_body().unwrap(), body, "{}", M::SCHEMA_NAME);
    // Decoding a received envelope borrows its body: the same message, nothing lost.
    let by_ref = M::from_body_ref(&body, "t", Severity::Info).unwrap();
    assert_eq!(by_ref.to_body().unwrap(), body, "{}", M::SCHEMA_NAME);
    m
}

/// The six lists read from the body at once (what building an envelope asks for) are the six
/// accessors' own, and become the envelope's filter headers.
fn lists_agree<M: Message>(m: &M) {
    let body = m.to_body().unwrap();
    let lists = [
        m.usernames(),
        m.groups(),
        m.packages(),
        m.containers(),
        m.modules(),
        m.flatpaks(),
    ];
    assert!(lists.iter().any(|l| !l.is_empty()), "{}", M::SCHEMA_NAME);
    // From a received body (a Value) and from the one building an envelope serializes (tokens).
    assert_eq!(m.filter_lists(&body.into()), lists, "{}", M::SCHEMA_NAME);
    let serialized = m.serialize_body().unwrap();
    assert_eq!(m.filter_lists(&serialized), lists, "{}", M::SCHEMA_NAME);
    let env = Envelope::from_message(m).unwrap();
    let mut expected: Vec<String> = fedora_messaging::headers::FilterKind::ALL
        .iter()
        .zip(&lists)
        .flat_map(|(kind, items)| items.iter().map(|i| kind.header_name(i)))
        .collect();
    let mut found: Vec<String> = env
        .headers
        .keys()
        .filter(|k| {
            fedora_messaging::headers::FilterKind::ALL
                .iter()
                .any(|kind| k.starts_with(&kind.header_name("")))
        })
        .cloned()
        .collect();
    expected.sort();
    found.sort();
    assert_eq!(found, expected, "{}", M::SCHEMA_NAME);
}

fn env_for(name: &str, body: Value) -> Envelope {
    let mut env = Envelope::from_message(&BaseMessage::new("t", json!({}))).unwrap();
    env.body = body.into();
    env.headers
        .insert("fedora_messaging_schema".into(), name.into());
    env
}

#[test]
fn constants_come_from_the_manifest() {
    assert_eq!(
        koji::BuildStateChangeV1::SCHEMA_NAME,
        "koji.build.state.change.v1"
    );
    assert_eq!(
        koji::BuildStateChangeV1::TOPIC,
        Some("buildsys.build.state.change")
    );
    // The manifest names the distribution; the header carries it normalized, as Python does.
    assert_eq!(
        koji::BuildStateChangeV1::SCHEMA_PACKAGE,
        Some("koji_fedoramessaging_messages")
    );
    assert_eq!(koji::TagV1::SEVERITY, Severity::Debug);
    assert_eq!(
        [
            forum::PostCreatedV1::DEPRECATED,
            forum::PostCreatedV2::DEPRECATED
        ],
        [true, false]
    );
    // The embedded schema is the file's, key order included.
    let file = fedora_messaging_rs::schema_file("koji/build.state.change.v1.json").unwrap();
    assert_eq!(koji::BuildStateChangeV1::body_schema(), file);
}

#[test]
fn unknown_keys_null_and_number_forms_survive() {
    let body = json!({
        "build": {"id": 1, "name": "rpm", "version": "4.20", "release": "1.fc42", "epoch": null, "future": [1]},
        "old": "BUILDING", "new": "COMPLETE", "owner": "alice",
        "task_id": null, "attempt": 1, "instance": null,
        "rpms": [{"nvr": "rpm-4.20-1", "arch": "x86_64", "size": 12, "unknown": {"k": 1.0}}],
        "added_later": "kept"
    });
    let m: koji::BuildStateChangeV1 = round_trip(body);
    assert_eq!(m.new, koji::build_state_change_v1::State::Complete);
    assert_eq!(m.build.epoch, Some(None), "present and null is not absent");
    assert_eq!(m.task_id, Some(None));
    assert_eq!(m.attempt.as_ref().unwrap().to_string(), "1");
    assert_eq!(m.extra["added_later"], "kept");
    // 1.0 stays a float, absent stays absent.
    let m: koji::BuildStateChangeV1 = round_trip(json!({
        "build": {"id": 1, "name": "n", "version": "v", "release": "r", "epoch": 2},
        "old": "FAILED", "new": "DELETED", "owner": "bob", "attempt": 2.0
    }));
    assert_eq!(m.task_id, None);
    assert_eq!(m.attempt.unwrap().to_string(), "2.0");
    assert!(matches!(
        m.build.epoch,
        Some(Some(koji::build_state_change_v1::Epoch::Integer(ref n))) if *n == 2
    ));
}

#[test]
fn hard_shapes_of_the_forum_schema() {
    let body = json!({
        "post": {"id": 1, "author": "alice", "in_reply_to": {"id": 0, "author": "bob", "in_reply_to": null},
                 "replies": [{"id": 2, "author": "carol", "replies": []}]},
        "category": {"slug": "dev", "parent": {"slug": "all"}},
        "type": "question", "self": true, "match": null, "x-origin": "web", "2fa": false,
        "extra": "a property named extra", "metadata": {"anything": [1, "x", null]},
        "reactions": {"thumbs_up": 3}, "labels": {"lang": "en"},
        "moderation": null, "score": "high", "visibility": "staff",
        "not_in_schema": true
    });
    let m: forum::PostCreatedV2 = round_trip(body);
    assert_eq!(m.type_.as_deref(), Some("question"));
    assert_eq!(m.self_, Some(true));
    assert_eq!(m.match_, Some(None));
    assert_eq!(m.x_origin.as_deref(), Some("web"));
    assert_eq!(m._2fa, Some(false));
    assert_eq!(m.extra.as_deref(), Some("a property named extra"));
    assert_eq!(m.extra_fields["not_in_schema"], true);
    assert_eq!(m.moderation, Some(None));
    assert!(matches!(m.score, Some(forum::post_created_v2::Score::String(ref s)) if s == "high"));
    assert_eq!(
        m.visibility,
        Some(Some(forum::post_created_v2::Visibility::Staff))
    );
    // The self-referencing post type.
    let parent = m.post.in_reply_to.as_ref().unwrap().as_ref().unwrap();
    assert_eq!(parent.author, "bob");
    assert_eq!(m.post.replies.as_ref().unwrap()[0].author, "carol");
    assert_eq!(m.category.parent.as_ref().unwrap().slug, "all");
    // Accessors from messages.toml.
    assert_eq!(m.summary(), "alice posted in dev");
    assert_eq!(m.url().as_deref(), Some("https://forum.example.org/p/1"));
    assert_eq!(m.agent_name().as_deref(), Some("alice"));
    assert_eq!(m.usernames(), ["alice", "carol"]);
    assert_eq!(m.groups(), ["dev"]);
    assert_eq!(m.app_name().as_deref(), Some("forum"));
    lists_agree(&m);
}

#[test]
fn all_of_three_types_and_null_enums() {
    let body = json!({
        "agent": "admin", "user": {"username": "alice", "human_name": null, "groups": ["packager", "qa"]},
        "fields": ["timezone", "locale"], "uid": 1000, "timezone": null, "notes": "free text"
    });
    let m: accounts::UserUpdateV1 = round_trip(body);
    assert_eq!(m.user.username, "alice");
    assert_eq!(
        m.user.groups.as_deref(),
        Some(&["packager".to_owned(), "qa".to_owned()][..])
    );
    assert_eq!(m.summary(), "admin updated alice's timezone, locale");
    assert_eq!(m.usernames(), ["admin", "alice"]);
    assert_eq!(m.groups(), ["packager", "qa"]);
    lists_agree(&m);
    for uid in [json!("u1000"), json!(null), json!(7)] {
        let mut b = m.to_body().unwrap();
        b["uid"] = uid;
        round_trip::<accounts::UserUpdateV1>(b);
    }
}

#[test]
fn summary_falls_back_to_the_topic_when_a_value_is_missing() {
    let m: koji::TagV1 = round_trip(
        json!({"tag": "f42", "build": {"name": "n", "version": "1", "release": "1"}, "user": {"name": "u"}}),
    );
    assert_eq!(m.summary(), "u tagged n into f42");
    assert_eq!(m.packages(), ["n"]);
    lists_agree(&m);
    let m: demo::BuildCompleteV2 =
        round_trip(json!({"owner": "o", "package": "p", "status": "failed", "arch": "aarch64"}));
    assert_eq!(m.url(), None, "no log_url: no url");
    assert_eq!(m.summary(), "o's build of p on aarch64 failed");
}

#[test]
fn any_message_decodes_by_schema_header_and_validates() {
    let env = env_for(
        "accounts.group.member.sponsor.v1",
        json!({"msg": {"agent": "a", "user": "u", "group": "g"}}),
    );
    let any = AnyMessage::decode(&env).unwrap().unwrap();
    assert!(matches!(any, AnyMessage::AccountsGroupMemberSponsorV1(ref m) if m.msg.group == "g"));
    assert_eq!(
        any.as_dyn().dyn_schema_name(),
        "accounts.group.member.sponsor.v1"
    );
    assert_eq!(any.to_body().unwrap(), env.body);
    // A body the schema refuses is a validation error, not a half-decoded value.
    let bad = env_for(
        "accounts.group.member.sponsor.v1",
        json!({"msg": {"agent": "a"}}),
    );
    assert!(matches!(
        AnyMessage::decode(&bad),
        Err(DecodeError::Validation(_))
    ));
    // A schema this repo does not have is not ours to decode.
    assert!(
        AnyMessage::decode(&env_for("bodhi.update.comment.v1", json!({})))
            .unwrap()
            .is_none()
    );
    assert_eq!(AnyMessage::SCHEMA_NAMES.len(), 8);
    let mut registry = Registry::new();
    AnyMessage::register_all(&mut registry).unwrap();
    assert_eq!(registry.names().count(), 9, "the repo's 8 and base.message");
}

#[tokio::test]
async fn typed_publish_and_consume_on_the_broker() {
    let m: demo::BuildCompleteV1 = round_trip(
        json!({"owner": "alice", "package": "rpm", "status": "succeeded", "extra_key": 1}),
    );
    let queue = common::unique("fm-generated");
    let bindings = vec![fedora_messaging::amqp::config::BindingConfig::new(
        &queue,
        "amq.topic",
        &["demo.build.complete"],
    )];
    let queues = std::collections::BTreeMap::from([(
        queue.clone(),
        fedora_messaging::amqp::config::QueueConfig::shared(),
    )]);
    let consumer = Consumer::new(common::config(""))
        .queues(queues)
        .bindings(bindings);
    let mut registry = Registry::new();
    AnyMessage::register_all(&mut registry).unwrap();
    let consumer = consumer.registry(Arc::new(registry));
    let stop = consumer.stop_handle();
    let seen: Arc<Mutex<Vec<AnyMessage>>> = Arc::default();
    let seen2 = Arc::clone(&seen);
    let run = tokio::spawn(consumer.run(move |r: Received| {
        let seen = Arc::clone(&seen2);
        async move {
            let any =
                AnyMessage::decode(r.envelope()).map_err(|e| HandlerError::Failed(Box::new(e)))?;
            seen.lock().unwrap().extend(any);
            Ok::<(), HandlerError>(())
        }
    }));
    let (conn, _ch) = common::raw_channel().await;
    common::wait_for_queue(&conn, &queue).await;
    let publisher = Publisher::new(common::config(""));
    publisher.publish(&m).await.unwrap();
    for _ in 0..400 {
        if !seen.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    stop.stop();
    run.await.unwrap().unwrap();
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert_eq!(seen, [AnyMessage::DemoBuildCompleteV1(m)]);
    publisher.close().await;
}

/// Generated types get the same contract test as derived ones (`fedora_messaging::snapshot`).
#[test]
fn generated_contract_snapshot() {
    let body = serde_json::json!({
        "build": {"id": 7, "name": "rpm", "version": "4.20", "release": "1", "epoch": null},
        "old": "BUILDING", "new": "COMPLETE", "owner": "alice",
    });
    let message: koji::BuildStateChangeV1 = serde_json::from_value(body).unwrap();
    fedora_messaging::assert_contract_snapshot!(message);
}
