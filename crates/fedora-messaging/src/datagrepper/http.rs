//! One GET over HTTP/1.1 (TLS for https): redirects followed, the whole answer read within the
//! timeout. Retries are the client's business, not this module's.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::header::{HeaderValue, ACCEPT, LOCATION, USER_AGENT};
use hyper::{Request, StatusCode};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use url::Url;

use super::Error;

/// As many redirects as Python's `requests` follows.
const MAX_REDIRECTS: usize = 30;

/// A successful answer: its final URL and body.
pub(crate) struct Answer {
    pub(crate) url: Url,
    pub(crate) body: Bytes,
}

/// The connection pool.
#[derive(Clone)]
pub(crate) struct Http {
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
}

impl Http {
    pub(crate) fn new() -> Self {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = hyper_rustls::HttpsConnectorBuilder::new();
        let builder = match builder.with_provider_and_native_roots(Arc::clone(&provider)) {
            Ok(b) => b,
            Err(e) => {
                // Plain http still works; https fails at the handshake, naming the certificate.
                tracing::warn!(error = %e, "no trusted certificates in the system store; https will fail");
                let config = rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .map(|b| {
                        b.with_root_certificates(rustls::RootCertStore::empty())
                            .with_no_client_auth()
                    })
                    .unwrap_or_else(|_| unreachable!("ring supports the default versions"));
                hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config)
            }
        };
        let connector = builder.https_or_http().enable_http1().build();
        Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
        }
    }

    /// GET `url` and read the whole answer, all within `timeout`. A status other than 2xx is
    /// [`Error::Status`].
    pub(crate) async fn get(&self, url: Url, timeout: Duration) -> Result<Answer, Error> {
        let shown = url.to_string();
        tokio::time::timeout(timeout, self.get_following(url))
            .await
            .unwrap_or(Err(Error::Timeout {
                url: shown,
                timeout,
            }))
    }

    async fn get_following(&self, mut url: Url) -> Result<Answer, Error> {
        for _ in 0..=MAX_REDIRECTS {
            let request = Request::get(url.as_str())
                .header(ACCEPT, HeaderValue::from_static("application/json"))
                .header(
                    USER_AGENT,
                    HeaderValue::from_static(concat!(
                        "fedora-messaging-rs/",
                        env!("CARGO_PKG_VERSION")
                    )),
                )
                .body(Empty::new())
                .map_err(|e| transport(&url, e))?;
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| transport(&url, e))?;
            let status = response.status();
            if status.is_redirection() {
                if let Some(next) = redirect_target(&url, response.headers().get(LOCATION)) {
                    url = next?;
                    continue;
                }
            }
            if !status.is_success() {
                return Err(Error::Status {
                    url: url.to_string(),
                    status: status.as_u16(),
                    reason: reason(&response),
                });
            }
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| transport(&url, e))?
                .to_bytes();
            return Ok(Answer { url, body });
        }
        Err(Error::Redirect {
            url: url.to_string(),
            reason: format!("more than {MAX_REDIRECTS} redirects"),
        })
    }
}

fn transport(url: &Url, e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::Transport {
        url: url.to_string(),
        source: Box::new(e),
    }
}

/// Where a 3xx answer sends us: `None` when it has no `Location` (then it is an answer like any
/// other), an error when the `Location` is not a usable URL.
fn redirect_target(from: &Url, location: Option<&HeaderValue>) -> Option<Result<Url, Error>> {
    let location = location?;
    let bad = |reason: String| Error::Redirect {
        url: from.to_string(),
        reason,
    };
    Some(
        location
            .to_str()
            .map_err(|_| bad("redirected to a Location that is not text".into()))
            .and_then(|text| {
                from.join(text)
                    .map_err(|e| bad(format!("redirected to {text:?}: {e}")))
            })
            .and_then(|next| match next.scheme() {
                "http" | "https" => Ok(next),
                other => Err(bad(format!("redirected to a {other}: URL"))),
            }),
    )
}

/// The reason phrase as the server sent it (werkzeug sends `NOT FOUND`), else the standard one.
fn reason<B>(response: &hyper::Response<B>) -> String {
    response
        .extensions()
        .get::<hyper::ext::ReasonPhrase>()
        .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned())
        .or_else(|| response.status().canonical_reason().map(str::to_owned))
        .unwrap_or_else(|| StatusCode::as_str(&response.status()).to_owned())
}

#[cfg(test)]
mod tests {
    use hyper::header::HeaderValue;
    use url::Url;

    use super::redirect_target;

    #[test]
    fn redirects_resolve_against_the_url_and_stay_on_http() {
        let from = Url::parse("http://h/datagrepper/v2/id?id=1").unwrap();
        let to = |l: &'static str| redirect_target(&from, Some(&HeaderValue::from_static(l)));
        assert_eq!(
            to("https://h/datagrepper/v2/id?id=1")
                .unwrap()
                .unwrap()
                .as_str(),
            "https://h/datagrepper/v2/id?id=1"
        );
        assert_eq!(
            to("/other/v2/id?id=1").unwrap().unwrap().as_str(),
            "http://h/other/v2/id?id=1"
        );
        assert!(to("file:///etc/passwd").unwrap().is_err());
        assert!(redirect_target(&from, None).is_none());
    }
}
