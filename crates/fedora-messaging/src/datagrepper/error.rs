//! What can go wrong talking to datagrepper, each naming the URL it happened on.

use std::time::Duration;

use crate::lines::LoadError;

/// An error of the datagrepper client. Every variant names the URL of the request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The base URL cannot be used (not a URL, or not http/https).
    #[error("{url:?} is not a usable datagrepper URL: {reason}")]
    BadUrl {
        /// The URL given.
        url: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// datagrepper answered with an error status. Displayed in the words of Python's `requests`
    /// (`404 Client Error: NOT FOUND for url: …`), which Python's `fedora-messaging replay` prints.
    #[error("{status} {} Error: {reason} for url: {url}", if *status >= 500 { "Server" } else { "Client" })]
    Status {
        /// The URL answered (after redirects).
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The reason phrase the server sent (or the standard one).
        reason: String,
    },
    /// The request could not be made or its answer not read (DNS, refused connection, TLS, reset).
    #[error("cannot get {url}: {}", chain(source.as_ref()))]
    Transport {
        /// The URL requested.
        url: String,
        /// The underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// No complete answer within the timeout.
    #[error("no answer from {url} within {}", humantime(*timeout))]
    Timeout {
        /// The URL requested.
        url: String,
        /// The timeout that ran out.
        timeout: Duration,
    },
    /// Redirected more times than the client follows, or to an unusable address.
    #[error("{url}: {reason}")]
    Redirect {
        /// The last URL requested.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The answer is not JSON.
    #[error("{url} did not answer JSON: {source}")]
    NotJson {
        /// The URL answered.
        url: String,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// The answer is JSON but not what the API returns (e.g. a search without `raw_messages`).
    #[error("{url} answered JSON without {what}")]
    Unexpected {
        /// The URL answered.
        url: String,
        /// What was missing or of the wrong type.
        what: &'static str,
    },
    /// An archived message is not a fedora-messaging message (its serialized form does not load).
    #[error("{url}: archived message {}: {source}", id.as_deref().unwrap_or("without an id"))]
    NotAMessage {
        /// The URL answered.
        url: String,
        /// The message's id, when it has one.
        id: Option<String>,
        /// Why it does not load.
        #[source]
        source: LoadError,
    },
}

impl Error {
    /// The URL of the request that failed.
    pub fn url(&self) -> &str {
        match self {
            Self::BadUrl { url, .. }
            | Self::Status { url, .. }
            | Self::Transport { url, .. }
            | Self::Timeout { url, .. }
            | Self::Redirect { url, .. }
            | Self::NotJson { url, .. }
            | Self::Unexpected { url, .. }
            | Self::NotAMessage { url, .. } => url,
        }
    }

    /// The HTTP status, when datagrepper answered with an error status.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the archive has no message with the id asked for (404).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}

/// An error and its sources, `: `-separated (hyper's own message is only "client error
/// (Connect)"; the cause, e.g. "Connection refused", is its source's).
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        next = cause.source();
    }
    text
}

fn humantime(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn a_status_error_reads_as_python_requests_writes_it() {
        let e = Error::Status {
            url: "http://h/v2/id?id=x&is_raw=true".into(),
            status: 404,
            reason: "NOT FOUND".into(),
        };
        assert_eq!(
            e.to_string(),
            "404 Client Error: NOT FOUND for url: http://h/v2/id?id=x&is_raw=true"
        );
        assert!(e.is_not_found());
        let e = Error::Status {
            url: "u".into(),
            status: 503,
            reason: "Service Unavailable".into(),
        };
        assert_eq!(
            e.to_string(),
            "503 Server Error: Service Unavailable for url: u"
        );
        assert!(!e.is_not_found());
    }
}
