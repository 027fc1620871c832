//! Where an interrupted bulk replay resumes: a pure record of what was published.
//!
//! datagrepper's `start` is inclusive and orders by the archive's time only, so the resume point
//! is the time of the last message published plus the ids already published at exactly that
//! time (`--skip`): a second run from it publishes every message the first did not, and none it
//! did.

use chrono::{DateTime, SecondsFormat, Utc};

/// The resume point of a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resume {
    since: DateTime<Utc>,
    skip: Vec<String>,
}

impl Resume {
    /// A replay from `since`, skipping the ids `skip` (those given on the command line).
    pub(crate) fn new(since: DateTime<Utc>, skip: &[String]) -> Self {
        Self {
            since,
            skip: skip.to_vec(),
        }
    }

    /// Records that the message sent at `sent_at` (its header, as archived) with `id` is done
    /// (published or skipped).
    pub(crate) fn done(&mut self, sent_at: Option<&str>, id: Option<&str>) {
        let time = sent_at.and_then(parse_sent_at);
        match time {
            Some(t) if t > self.since => {
                self.since = t;
                self.skip = id.map(str::to_owned).into_iter().collect();
            }
            // At the resume time (or without a readable time): skipped by id next time.
            _ => {
                if let Some(id) = id {
                    if !self.skip.iter().any(|s| s == id) {
                        self.skip.push(id.to_owned());
                    }
                }
            }
        }
    }

    /// `--since`, as ISO-8601 UTC with microseconds (datagrepper's precision).
    pub(crate) fn since(&self) -> String {
        self.since.to_rfc3339_opts(SecondsFormat::Micros, true)
    }

    /// The ids for `--skip`.
    pub(crate) fn skip(&self) -> &[String] {
        &self.skip
    }
}

/// A `sent-at` header: ISO-8601 with an offset (Python's `isoformat()`), or without one (UTC).
fn parse_sent_at(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
}

/// `words` as one shell command line, each quoted when it needs to be.
pub(crate) fn shell_line(words: &[String]) -> String {
    words
        .iter()
        .map(|w| {
            let plain = !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-./:@%+=,".contains(c));
            if plain {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::{shell_line, Resume};

    fn start() -> Resume {
        Resume::new("2026-12-01T00:00:00Z".parse().unwrap(), &[])
    }

    #[test]
    fn the_resume_point_moves_with_each_later_message() {
        let mut r = start();
        r.done(Some("2026-12-01T10:00:00+00:00"), Some("a"));
        r.done(Some("2026-12-01T10:00:01.5+00:00"), Some("b"));
        assert_eq!(r.since(), "2026-12-01T10:00:01.500000Z");
        assert_eq!(r.skip(), ["b"]);
    }

    #[test]
    fn messages_at_the_same_time_are_all_skipped_next_time() {
        let mut r = start();
        r.done(Some("2026-12-01T10:00:00+00:00"), Some("a"));
        r.done(Some("2026-12-01T10:00:00Z"), Some("b"));
        r.done(Some("2026-12-01T12:00:00+02:00"), Some("c"));
        assert_eq!(r.since(), "2026-12-01T10:00:00.000000Z");
        assert_eq!(r.skip(), ["a", "b", "c"]);
    }

    #[test]
    fn a_message_without_a_readable_time_is_skipped_by_id() {
        let mut r = Resume::new("2026-12-01T00:00:00Z".parse().unwrap(), &["x".into()]);
        r.done(None, Some("a"));
        r.done(Some("yesterday"), Some("b"));
        r.done(Some("2026-12-01T00:00:00"), Some("x"));
        assert_eq!(r.since(), "2026-12-01T00:00:00.000000Z");
        assert_eq!(r.skip(), ["x", "a", "b"]);
        r.done(Some("2026-12-01T00:00:01"), None);
        assert!(r.skip().is_empty());
    }

    #[test]
    fn words_are_quoted_for_the_shell_when_needed() {
        let words = ["replay", "--topic", "a.b", "--contains", "it's here", ""].map(String::from);
        assert_eq!(
            shell_line(&words),
            r"replay --topic a.b --contains 'it'\''s here' ''"
        );
    }
}
