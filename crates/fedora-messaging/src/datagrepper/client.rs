//! The client: message by id, one page of a search, and every page as a stream.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use url::Url;

use super::http::{Answer, Http};
use super::retry::pause_before_retry;
use super::search::{Page, Search};
use super::stream::SearchStream;
use super::Error;
use crate::lines::load_message;
use crate::Envelope;

/// Python's timeout for the `replay` request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Retries after a transient failure (5xx, 429, timeout, no connection) before giving up.
pub const DEFAULT_RETRIES: u32 = 3;

/// A datagrepper client. Cheap to clone: clones share the connection pool.
///
/// ```no_run
/// # async fn run() -> Result<(), fedora_messaging::datagrepper::Error> {
/// use fedora_messaging::datagrepper::{Client, DEFAULT_URL};
///
/// let archive = Client::new(DEFAULT_URL)?;
/// let message = archive.message("6b4f8d6c-6c1f-4c54-8a1f-5e4f9e6b0f2a").await?;
/// println!("{} sent at {:?}", message.topic, message.sent_at());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    base: Url,
    http: Http,
    timeout: Duration,
    retries: u32,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.inner.base.as_str())
            .field("timeout", &self.inner.timeout)
            .field("retries", &self.inner.retries)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Client`] with other than the default timeout and retries.
#[derive(Debug, Clone)]
#[must_use]
pub struct ClientBuilder {
    base: String,
    timeout: Duration,
    retries: u32,
}

impl ClientBuilder {
    /// The time one request may take, answer read included (default 5 s, as Python's).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Retries after a transient failure (default 3; pauses of 0.5, 1, 2 s, then at most 4 s).
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// The client.
    ///
    /// # Errors
    /// [`Error::BadUrl`] when the base URL is not an http or https URL.
    pub fn build(self) -> Result<Client, Error> {
        let bad = |reason: String| Error::BadUrl {
            url: self.base.clone(),
            reason,
        };
        // The endpoints are joined under the base, as Python does with `url.rstrip("/")`.
        let mut base =
            Url::parse(self.base.trim_end_matches('/')).map_err(|e| bad(e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(bad(format!(
                "the scheme is {}, not http or https",
                base.scheme()
            )));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(bad("a base URL has no query or fragment".into()));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        Ok(Client {
            inner: Arc::new(Inner {
                base,
                http: Http::new(),
                timeout: self.timeout,
                retries: self.retries,
            }),
        })
    }
}

impl Client {
    /// A client of the datagrepper at `base_url` (e.g. [`DEFAULT_URL`](super::DEFAULT_URL)),
    /// with a 5 s timeout and 3 retries.
    ///
    /// # Errors
    /// [`Error::BadUrl`] when `base_url` is not an http or https URL.
    pub fn new(base_url: &str) -> Result<Self, Error> {
        Self::builder(base_url).build()
    }

    /// A builder for a client of the datagrepper at `base_url`.
    pub fn builder(base_url: &str) -> ClientBuilder {
        ClientBuilder {
            base: base_url.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            retries: DEFAULT_RETRIES,
        }
    }

    /// The base URL, ending in `/`.
    pub fn base_url(&self) -> &str {
        self.inner.base.as_str()
    }

    /// The URL of the message `id` in the serialized form (`v2/id?id=…&is_raw=true`), as
    /// Python's `replay` asks for it.
    pub fn message_url(&self, id: &str) -> Url {
        self.endpoint("v2/id", [("id", id), ("is_raw", "true")])
    }

    /// The URL of page `page` of `search`.
    pub fn search_url(&self, search: &Search, page: u32) -> Url {
        let query = search.query(page);
        self.endpoint("v2/search", query.iter().map(|(k, v)| (*k, v.as_str())))
    }

    fn endpoint<'a>(&self, path: &str, query: impl IntoIterator<Item = (&'a str, &'a str)>) -> Url {
        let mut url = self
            .inner
            .base
            .join(path)
            .unwrap_or_else(|_| unreachable!("a relative path joins an http URL"));
        url.query_pairs_mut().extend_pairs(query);
        url
    }

    /// The archived message `id`, in the serialized form (`body`, `headers`, `id`, `topic`, …).
    ///
    /// # Errors
    /// [`Error::Status`] with 404 when the archive has no such message ([`Error::is_not_found`]);
    /// any other [`Error`] when datagrepper cannot be reached or answers something else.
    pub async fn raw_message(&self, id: &str) -> Result<Value, Error> {
        let answer = self.get(self.message_url(id)).await?;
        json(&answer)
    }

    /// The archived message `id` as an envelope, with its id, headers and `sent-at` as archived.
    ///
    /// # Errors
    /// As [`raw_message`](Self::raw_message), and [`Error::NotAMessage`] when the answer is not a
    /// serialized message.
    pub async fn message(&self, id: &str) -> Result<Envelope, Error> {
        let answer = self.get(self.message_url(id)).await?;
        let value = json(&answer)?;
        load_message(value).map_err(|source| Error::NotAMessage {
            url: answer.url.to_string(),
            id: Some(id.to_owned()),
            source,
        })
    }

    /// Page `page` (1-based) of `search`. A page past the last has no messages.
    ///
    /// # Errors
    /// Any [`Error`] but [`Error::NotAMessage`], which is per message in [`Page::messages`].
    pub async fn page(&self, search: &Search, page: u32) -> Result<Page, Error> {
        let answer = self.get(self.search_url(search, page)).await?;
        let value = json(&answer)?;
        let url = answer.url.to_string();
        let unexpected = |what| Error::Unexpected {
            url: url.clone(),
            what,
        };
        let Value::Object(mut obj) = value else {
            return Err(unexpected("an object"));
        };
        let Some(Value::Array(raw)) = obj.remove("raw_messages") else {
            return Err(unexpected("a raw_messages list"));
        };
        let count = |key| {
            obj.get(key)
                .and_then(Value::as_u64)
                .ok_or_else(|| unexpected(key))
        };
        let total = count("total")?;
        let pages = u32::try_from(count("pages")?).map_err(|_| unexpected("pages"))?;
        let messages = raw
            .into_iter()
            .map(|m| {
                let id = m.get("id").and_then(Value::as_str).map(str::to_owned);
                load_message(m).map_err(|source| Error::NotAMessage {
                    url: url.clone(),
                    id,
                    source,
                })
            })
            .collect();
        Ok(Page {
            messages,
            page: page.max(1),
            pages,
            total,
        })
    }

    /// Every message `search` matches, oldest first, page after page until the last.
    ///
    /// See [`SearchStream`] for what it yields on errors and how it keeps count.
    pub fn search(&self, search: Search) -> SearchStream {
        SearchStream::new(self.clone(), search)
    }

    /// GET with retries on transient failures.
    async fn get(&self, url: Url) -> Result<Answer, Error> {
        let mut tried = 0;
        loop {
            tried += 1;
            match self.inner.http.get(url.clone(), self.inner.timeout).await {
                Ok(answer) => return Ok(answer),
                Err(e) => match pause_before_retry(&e, tried, self.inner.retries) {
                    Some(pause) => {
                        tracing::warn!(error = %e, retry_in = ?pause, tried, "datagrepper request failed; retrying");
                        tokio::time::sleep(pause).await;
                    }
                    None => return Err(e),
                },
            }
        }
    }
}

fn json(answer: &Answer) -> Result<Value, Error> {
    serde_json::from_slice(&answer.body).map_err(|source| Error::NotJson {
        url: answer.url.to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::Client;
    use crate::datagrepper::Search;

    #[test]
    fn urls_are_python_s() {
        for base in [
            "https://apps.fedoraproject.org/datagrepper",
            "https://apps.fedoraproject.org/datagrepper/",
        ] {
            let c = Client::new(base).unwrap();
            assert_eq!(
                c.message_url("a b").as_str(),
                "https://apps.fedoraproject.org/datagrepper/v2/id?id=a+b&is_raw=true"
            );
        }
        let c = Client::new("http://127.0.0.1:5000").unwrap();
        assert_eq!(
            c.search_url(&Search::new().topic("t.x"), 3).as_str(),
            "http://127.0.0.1:5000/v2/search?topic=t.x&order=asc&page=3&rows_per_page=100"
        );
    }

    #[test]
    fn a_base_url_must_be_http() {
        for bad in ["ftp://x/", "not a url", "http://h/x?q=1", "/relative"] {
            let e = Client::new(bad).unwrap_err();
            assert!(e.to_string().contains(bad), "{e}");
        }
    }
}
