//! Testing code that publishes, without a broker (Python's `fedora_messaging.testing.mock_sends`).
//!
//! Give the code under test a [`Publisher::mock`], run it, then check what it sent with
//! [`assert_sent`]: the number of messages, and for each, in order, its schema or the whole message.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use fedora_messaging::amqp::testing::{assert_sent, Expected};
//! use fedora_messaging::{amqp::config::Config, amqp::publish::Publisher, BaseMessage};
//! use serde_json::json;
//!
//! async fn code_under_test(publisher: &Publisher) {
//!     publisher.publish(&BaseMessage::new("app.thing.created", json!({"id": 1}))).await.unwrap();
//!     publisher.publish(&BaseMessage::new("app.thing.deleted", json!({"id": 1}))).await.unwrap();
//! }
//!
//! let publisher = Publisher::mock(Config::default());
//! code_under_test(&publisher).await;
//! assert_sent(&publisher, &[
//!     Expected::schema::<BaseMessage>(),
//!     Expected::message(&BaseMessage::new("app.thing.deleted", json!({"id": 1}))),
//! ]);
//! # });
//! ```

use super::publish::Publisher;
use crate::envelope::Envelope;
use crate::headers;
use crate::message::Message;

/// What one sent message should be.
#[derive(Debug, Clone)]
pub enum Expected {
    /// Any message of this schema (Python: an expected class, checked with `isinstance`).
    Schema(&'static str),
    /// This message: same topic, body and headers, `sent-at` and id aside (Python: an instance,
    /// checked with `==`).
    Message(Box<Envelope>),
}

impl Expected {
    /// Any message of `M`'s schema.
    pub fn schema<M: Message>() -> Self {
        Self::Schema(M::SCHEMA_NAME)
    }

    /// Exactly `message`.
    ///
    /// # Panics
    /// When `message` cannot be built into an envelope (a bad topic or header): the expectation
    /// itself is wrong.
    pub fn message<M: Message>(message: &M) -> Self {
        match Envelope::from_message(message) {
            Ok(env) => Self::Message(Box::new(env)),
            Err(e) => panic!("the expected message cannot be built: {e}"),
        }
    }
}

/// Checks what a [`Publisher::mock`] sent against `expected`, in order.
///
/// # Panics
/// With a message saying what differs: the count (`Expected N messages to be sent, but M were
/// sent`, as Python), a schema name, or a message's topic, body or headers.
pub fn assert_sent(publisher: &Publisher, expected: &[Expected]) {
    let sent = publisher.sent();
    assert!(
        sent.len() == expected.len(),
        "Expected {} messages to be sent, but {} were sent: {:?}",
        expected.len(),
        sent.len(),
        sent.iter().map(|e| e.topic.as_str()).collect::<Vec<_>>()
    );
    let priority = publisher.config().publish_priority;
    for (i, (got, want)) in sent.iter().zip(expected).enumerate() {
        match want {
            Expected::Schema(name) => assert!(
                got.schema_name() == Some(name),
                "message {i} ({}): expected schema {name:?}, got {:?}",
                got.topic,
                got.schema_name()
            ),
            Expected::Message(want) => {
                let mut want = want.as_ref().clone();
                // The publisher stamps its configured priority; the expectation was built without.
                want.headers
                    .insert(headers::PRIORITY.into(), priority.unwrap_or(0).into());
                assert!(
                    got.topic == want.topic,
                    "message {i}: topic {:?}, expected {:?}",
                    got.topic,
                    want.topic
                );
                assert!(
                    got.body == want.body,
                    "message {i} ({}): body {}, expected {}",
                    got.topic,
                    got.body,
                    want.body
                );
                assert!(
                    got.same_message(&want),
                    "message {i} ({}): headers {:?}, expected {:?} (sent-at aside)",
                    got.topic,
                    got.headers,
                    want.headers
                );
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::amqp::config::Config;
    use crate::BaseMessage;
    use serde_json::json;

    /// Runs `f` on a fresh current-thread runtime: the unit tests of the transport need no more.
    pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
            .block_on(f)
    }

    #[test]
    fn mock_validates_like_the_real_thing() {
        block_on(async {
            let p = Publisher::mock(Config::default());
            let bad = BaseMessage::new("a.b", json!([1]));
            assert!(p.publish(&bad).await.is_err());
            assert!(p
                .publish(&BaseMessage::new("a..b", json!({})))
                .await
                .is_err());
            assert!(p.sent().is_empty(), "nothing invalid is recorded");
        });
    }

    #[test]
    #[should_panic(expected = "Expected 1 messages to be sent, but 0 were sent")]
    fn count_mismatch_panics_like_python() {
        assert_sent(
            &Publisher::mock(Config::default()),
            &[Expected::schema::<BaseMessage>()],
        );
    }

    #[test]
    #[should_panic(expected = "body")]
    fn body_mismatch_is_named() {
        block_on(async {
            let p = Publisher::mock(Config::default());
            p.publish(&BaseMessage::new("a.b", json!({"n": 1})))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_sent(
                &p,
                &[Expected::message(&BaseMessage::new("a.b", json!({"n": 2})))],
            );
        });
    }

    #[test]
    fn priority_from_config_is_accounted_for() {
        block_on(async {
            let p = Publisher::mock(
                Config::from_toml("publish_priority = 3").unwrap_or_else(|e| panic!("{e}")),
            );
            let m = BaseMessage::new("a.b", json!({}));
            p.publish(&m).await.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(p.sent()[0].priority, Some(3));
            assert_sent(&p, &[Expected::message(&m)]);
        });
    }
}
