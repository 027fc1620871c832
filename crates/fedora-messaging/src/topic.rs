//! Topics and the routing keys they become.
//!
//! A topic is a string of `.`-separated words, general first (`bodhi.update.comment`). On publish the
//! configured `topic_prefix` is put in front of it, on the routing key only: the message's topic itself
//! never changes. AMQP carries the routing key as a short string, so it may not exceed 255 bytes.

/// The longest routing key (and header name) AMQP can carry, in bytes.
pub const MAX_SHORT_STRING: usize = 255;

/// Why a topic or routing key cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TopicError {
    /// The topic is the empty string.
    #[error("the topic is empty")]
    Empty,
    /// Two dots in a row, or a dot at either end.
    #[error("topic {topic:?} has an empty word at byte {at}: words are separated by single dots")]
    EmptyWord {
        /// The topic.
        topic: String,
        /// Byte offset of the empty word.
        at: usize,
    },
    /// Whitespace or a control character.
    #[error("topic {topic:?} contains {ch:?} at byte {at}: no whitespace or control characters")]
    BadCharacter {
        /// The topic.
        topic: String,
        /// The offending character.
        ch: char,
        /// Its byte offset.
        at: usize,
    },
    /// The routing key (prefix included) is longer than AMQP allows.
    #[error("routing key {routing_key:?} is {len} bytes long; AMQP allows at most 255")]
    TooLong {
        /// The full routing key, prefix included.
        routing_key: String,
        /// Its length in bytes.
        len: usize,
    },
}

/// Checks that `topic` is a well-formed topic: not empty, single dots between non-empty words, no
/// whitespace or control characters, at most 255 bytes.
///
/// ```
/// use fedora_messaging::topic::{validate, TopicError};
///
/// assert!(validate("bodhi.update.comment").is_ok());
/// assert!(matches!(validate("bodhi..update"), Err(TopicError::EmptyWord { at: 6, .. })));
/// ```
pub fn validate(topic: &str) -> Result<(), TopicError> {
    if topic.is_empty() {
        return Err(TopicError::Empty);
    }
    // One pass over the bytes (this runs for every message built): the first empty word, and the
    // first ASCII space or control character. An empty word is reported first, as a topic is
    // read word by word; non-ASCII text goes through the full Unicode check below.
    let (mut start, mut bad, mut ascii) = (0, None, true);
    for (i, &b) in topic.as_bytes().iter().enumerate() {
        if b == b'.' {
            if i == start {
                return Err(TopicError::EmptyWord {
                    topic: topic.into(),
                    at: start,
                });
            }
            start = i + 1;
        } else if b >= 0x80 {
            ascii = false;
        } else if bad.is_none() && (b <= b' ' || b == 0x7f) {
            bad = Some((i, char::from(b)));
        }
    }
    if start == topic.len() {
        return Err(TopicError::EmptyWord {
            topic: topic.into(),
            at: start,
        });
    }
    if !ascii {
        bad = topic
            .char_indices()
            .find(|(_, c)| c.is_whitespace() || c.is_control());
    }
    if let Some((at, ch)) = bad {
        return Err(TopicError::BadCharacter {
            topic: topic.into(),
            ch,
            at,
        });
    }
    check_length(topic)
}

/// The routing key for `topic` under `prefix`, as Python builds it: `prefix.rstrip(".") + "." + topic`
/// when the prefix is not empty, else the topic. Fails when the result is over 255 bytes.
///
/// ```
/// use fedora_messaging::topic::routing_key;
///
/// assert_eq!(
///     routing_key("org.fedoraproject.prod.", "bodhi.update.request").unwrap(),
///     "org.fedoraproject.prod.bodhi.update.request"
/// );
/// assert_eq!(routing_key("", "hello.world").unwrap(), "hello.world");
/// ```
pub fn routing_key(prefix: &str, topic: &str) -> Result<String, TopicError> {
    let key = if prefix.is_empty() {
        topic.to_owned()
    } else {
        format!("{}.{}", prefix.trim_end_matches('.'), topic)
    };
    check_length(&key)?;
    Ok(key)
}

fn check_length(key: &str) -> Result<(), TopicError> {
    if key.len() > MAX_SHORT_STRING {
        return Err(TopicError::TooLong {
            routing_key: key.into(),
            len: key.len(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_is_joined_with_one_dot() {
        assert_eq!(routing_key("org.x", "a.b").unwrap(), "org.x.a.b");
        assert_eq!(routing_key("org.x...", "a.b").unwrap(), "org.x.a.b");
    }

    #[test]
    fn length_counts_the_prefix() {
        let topic = "a".repeat(250);
        assert!(validate(&topic).is_ok());
        let err = routing_key("org.fedoraproject.prod.", &topic).unwrap_err();
        assert!(matches!(err, TopicError::TooLong { len: 273, .. }), "{err}");
        assert!(matches!(
            validate(&"a".repeat(256)),
            Err(TopicError::TooLong { len: 256, .. })
        ));
    }

    #[test]
    fn malformed_topics_are_named() {
        assert_eq!(validate(""), Err(TopicError::Empty));
        assert!(matches!(
            validate(".a"),
            Err(TopicError::EmptyWord { at: 0, .. })
        ));
        assert!(matches!(
            validate("a."),
            Err(TopicError::EmptyWord { at: 2, .. })
        ));
        assert!(matches!(
            validate("a.b c"),
            Err(TopicError::BadCharacter { ch: ' ', at: 3, .. })
        ));
        assert!(matches!(
            validate("a b..c"),
            Err(TopicError::EmptyWord { at: 4, .. })
        ));
        assert!(matches!(
            validate("é.b\u{a0}"),
            Err(TopicError::BadCharacter {
                ch: '\u{a0}',
                at: 4,
                ..
            })
        ));
        // Hyphens and non-ASCII words are fine: real topics use them.
        assert!(validate("org.release-monitoring.prod.anitya.project.version.update.v2").is_ok());
    }

    /// The validation as first written (every word, then every character); the one-pass
    /// version must agree with it on every string.
    fn validate_by_words(topic: &str) -> Result<(), TopicError> {
        if topic.is_empty() {
            return Err(TopicError::Empty);
        }
        let mut start = 0;
        for word in topic.split('.') {
            if word.is_empty() {
                return Err(TopicError::EmptyWord {
                    topic: topic.into(),
                    at: start,
                });
            }
            start += word.len() + 1;
        }
        if let Some((at, ch)) = topic
            .char_indices()
            .find(|(_, c)| c.is_whitespace() || c.is_control())
        {
            return Err(TopicError::BadCharacter {
                topic: topic.into(),
                ch,
                at,
            });
        }
        check_length(topic)
    }

    #[test]
    fn one_pass_agrees_with_word_by_word_on_every_short_string() {
        let alphabet = [
            'a', '.', ' ', '\t', '\x0b', '\x7f', '\u{1}', 'é', '\u{85}', '\u{a0}', '\u{2028}',
        ];
        let mut strings = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = strings
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            for s in &longer {
                assert_eq!(validate(s), validate_by_words(s), "{s:?}");
            }
            strings = longer;
        }
    }
}
