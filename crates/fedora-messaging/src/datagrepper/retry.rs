//! Whether a failed request is tried again, and after how long: a pure decision.
//!
//! A server error (5xx), "too many requests" (429), a timeout or a failed connection may pass
//! (datagrepper restarting, a proxy in front of it reloading); any other answer will not change
//! by asking again.

use std::time::Duration;

use super::Error;

/// The pause before the first retry; each next one doubles, up to [`MAX_PAUSE`].
pub(crate) const FIRST_PAUSE: Duration = Duration::from_millis(500);
/// The longest pause between two tries.
pub(crate) const MAX_PAUSE: Duration = Duration::from_secs(4);

/// The pause before trying again after `error` on try number `tried` (1 = the first), when
/// `retries` retries are allowed; `None` when the error is final.
pub(crate) fn pause_before_retry(error: &Error, tried: u32, retries: u32) -> Option<Duration> {
    if tried > retries || !is_transient(error) {
        return None;
    }
    let doubled = FIRST_PAUSE.saturating_mul(1 << (tried - 1).min(16));
    Some(doubled.min(MAX_PAUSE))
}

/// Whether asking again may give another answer.
pub(crate) fn is_transient(error: &Error) -> bool {
    match error {
        Error::Status { status, .. } => *status >= 500 || *status == 429,
        Error::Transport { .. } | Error::Timeout { .. } => true,
        Error::BadUrl { .. }
        | Error::Redirect { .. }
        | Error::NotJson { .. }
        | Error::Unexpected { .. }
        | Error::NotAMessage { .. } => false,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{pause_before_retry, Error};

    fn status(code: u16) -> Error {
        Error::Status {
            url: "u".into(),
            status: code,
            reason: String::new(),
        }
    }

    #[test]
    fn server_errors_timeouts_and_refusals_are_retried_with_doubling_pauses() {
        let ms = |n| Some(Duration::from_millis(n));
        assert_eq!(pause_before_retry(&status(503), 1, 3), ms(500));
        assert_eq!(pause_before_retry(&status(500), 2, 3), ms(1000));
        assert_eq!(pause_before_retry(&status(429), 3, 3), ms(2000));
        assert_eq!(
            pause_before_retry(&status(502), 4, 3),
            None,
            "retries spent"
        );
        assert_eq!(pause_before_retry(&status(502), 7, 10), ms(4000), "capped");
        let refused = Error::Transport {
            url: "u".into(),
            source: "connection refused".into(),
        };
        assert_eq!(pause_before_retry(&refused, 1, 1), ms(500));
        let timeout = Error::Timeout {
            url: "u".into(),
            timeout: Duration::from_secs(5),
        };
        assert_eq!(
            pause_before_retry(&timeout, 1, 0),
            None,
            "no retries allowed"
        );
        assert_eq!(pause_before_retry(&timeout, 1, 2), ms(500));
    }

    #[test]
    fn client_errors_and_bad_answers_are_final() {
        for code in [400, 401, 403, 404, 410] {
            assert_eq!(pause_before_retry(&status(code), 1, 3), None, "{code}");
        }
        let not_json = Error::NotJson {
            url: "u".into(),
            source: serde_json::from_str::<u8>("x").unwrap_err(),
        };
        assert_eq!(pause_before_retry(&not_json, 1, 3), None);
    }
}
