//! One STOMP connection: CONNECT with failover across the brokers, frames in and out,
//! heart-beats.

use std::time::Duration;

use std::pin::Pin;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::frame::{Frame, FrameError};
use super::settings::StompSettings;

/// Why STOMP failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StompError {
    /// No broker of the list accepted the connection: each with why.
    #[error("no STOMP broker reachable: {}", tried.iter().map(|(b, why)| format!("{b} ({why})")).collect::<Vec<_>>().join(", "))]
    NoBroker {
        /// Each broker tried and what happened.
        tried: Vec<(String, String)>,
    },
    /// The broker answered with an ERROR frame.
    #[error("the STOMP broker refused: {message}{}", if .details.is_empty() { String::new() } else { format!(" ({})", .details.trim()) })]
    Refused {
        /// Its `message` header.
        message: String,
        /// Its body.
        details: String,
    },
    /// The broker did not confirm a SEND with its RECEIPT in time: the message is not known to
    /// be sent.
    #[error("no receipt from the STOMP broker within {0:?}: the message is not known to be sent")]
    NoReceipt(Duration),
    /// The connection broke.
    #[error("STOMP connection: {0}")]
    Io(#[from] std::io::Error),
    /// The broker sent something that is not a STOMP frame.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The STOMP keys of the configuration are wrong.
    #[error(transparent)]
    Config(#[from] crate::ConfigError),
    /// The TLS set-up (certificate, key, CA) or handshake failed.
    #[error("STOMP TLS: {0}")]
    Tls(String),
}

/// The reading half: a buffer and the socket.
pub(crate) struct Reader {
    socket: Box<dyn AsyncRead + Send + Unpin>,
    buf: Vec<u8>,
    /// Silence longer than this means the broker is gone (twice its heart-beat).
    pub(crate) timeout: Option<Duration>,
}

impl Reader {
    /// The next frame (heart-beats skipped).
    pub(crate) async fn next(&mut self) -> Result<Frame, StompError> {
        loop {
            while let Some((n, frame)) = Frame::decode(&self.buf)? {
                self.buf.drain(..n);
                if let Some(f) = frame {
                    return Ok(f);
                }
            }
            let mut chunk = [0u8; 16 * 1024];
            let read = self.socket.read(&mut chunk);
            let n = match self.timeout {
                Some(t) => tokio::time::timeout(t, read).await.map_err(|_| {
                    std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "no heart-beat from the broker",
                    )
                })??,
                None => read.await?,
            };
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the broker closed the connection",
                )
                .into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// The writing half.
pub(crate) struct Writer {
    socket: Box<dyn AsyncWrite + Send + Unpin>,
    /// How often to send a heart-beat when otherwise silent (half the negotiated interval).
    pub(crate) beat: Option<Duration>,
}

impl Writer {
    pub(crate) async fn send(&mut self, frame: &Frame) -> Result<(), StompError> {
        self.socket.write_all(&frame.encode()).await?;
        Ok(())
    }

    pub(crate) async fn heartbeat(&mut self) -> Result<(), StompError> {
        self.socket.write_all(b"\n").await?;
        Ok(())
    }
}

/// The heart-beat intervals both sides agreed on: (we send every, we expect within), from ours
/// (`cx`, `cy`) and the broker's `heart-beat` header (`sx`, `sy`), as STOMP specifies.
pub(crate) fn negotiate(
    ours: Duration,
    theirs: Option<&str>,
) -> (Option<Duration>, Option<Duration>) {
    let ms = u64::try_from(ours.as_millis()).unwrap_or(u64::MAX);
    let (sx, sy) = theirs
        .and_then(|h| h.split_once(','))
        .map(|(a, b)| {
            (
                a.trim().parse::<u64>().unwrap_or(0),
                b.trim().parse::<u64>().unwrap_or(0),
            )
        })
        .unwrap_or((0, 0));
    let send = (ms != 0 && sy != 0).then(|| Duration::from_millis(ms.max(sy)));
    let expect = (ms != 0 && sx != 0).then(|| Duration::from_millis(ms.max(sx)));
    (send, expect)
}

/// Connects to the brokers in turn, starting at `start`, until one answers CONNECTED.
pub(crate) async fn connect(
    settings: &StompSettings,
    start: usize,
) -> Result<(Reader, Writer, String), StompError> {
    let mut tried = Vec::new();
    let n = settings.brokers.len();
    for i in 0..n {
        let broker = &settings.brokers[(start + i) % n];
        match connect_one(settings, broker).await {
            Ok((r, w)) => {
                tracing::info!(%broker, "STOMP connected");
                return Ok((r, w, broker.clone()));
            }
            Err(StompError::Refused { message, details }) => {
                // A refusal (credentials, vhost) is the same on every broker of the cluster.
                return Err(StompError::Refused { message, details });
            }
            Err(e) => tried.push((broker.clone(), e.to_string())),
        }
    }
    Err(StompError::NoBroker { tried })
}

async fn connect_one(
    settings: &StompSettings,
    broker: &str,
) -> Result<(Reader, Writer), StompError> {
    let stream = tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(broker))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"))??;
    stream.set_nodelay(true)?;
    let (r, w): (
        Box<dyn AsyncRead + Send + Unpin>,
        Box<dyn AsyncWrite + Send + Unpin>,
    ) = match &settings.tls {
        None => {
            let (r, w) = stream.into_split();
            (Box::new(r), Box::new(w))
        }
        Some((crt, key)) => {
            let tls = tls_stream(stream, broker, crt, key, settings.tls_ca.as_deref()).await?;
            let (r, w) = tokio::io::split(tls);
            (Box::new(r), Box::new(w))
        }
    };
    let mut reader = Reader {
        socket: r,
        buf: Vec::new(),
        timeout: Some(Duration::from_secs(10)),
    };
    let mut writer = Writer {
        socket: w,
        beat: None,
    };
    let hb = settings.heartbeat.as_millis();
    writer
        .send(
            &Frame::new("CONNECT")
                .header("accept-version", "1.1,1.2")
                .header("host", settings.vhost.clone())
                .header("login", settings.user.clone())
                .header("passcode", settings.pass.clone())
                .header("heart-beat", format!("{hb},{hb}")),
        )
        .await?;
    let answer = reader.next().await?;
    match answer.command.as_str() {
        "CONNECTED" => {
            let (send, expect) = negotiate(settings.heartbeat, answer.get("heart-beat"));
            writer.beat = send.map(|d| d / 2);
            reader.timeout = expect.map(|d| d * 2);
            Ok((reader, writer))
        }
        "ERROR" => Err(StompError::Refused {
            message: answer.get("message").unwrap_or("").to_owned(),
            details: String::from_utf8_lossy(&answer.body).into_owned(),
        }),
        other => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("expected CONNECTED, got {other}"),
        )
        .into()),
    }
}

/// TLS to `broker` with a client certificate, the broker's certificate checked against `ca` (or
/// the system's trust store) and its name.
async fn tls_stream(
    tcp: TcpStream,
    broker: &str,
    crt: &str,
    key: &str,
    ca: Option<&str>,
) -> Result<tokio_openssl::SslStream<TcpStream>, StompError> {
    use openssl::ssl::{SslConnector, SslFiletype, SslMethod};
    let tls = |what: &str, e: &dyn std::fmt::Display| StompError::Tls(format!("{what}: {e}"));
    let mut builder =
        SslConnector::builder(SslMethod::tls_client()).map_err(|e| tls("set-up", &e))?;
    builder
        .set_certificate_chain_file(crt)
        .map_err(|e| tls(&format!("certificate {crt}"), &e))?;
    builder
        .set_private_key_file(key, SslFiletype::PEM)
        .map_err(|e| tls(&format!("key {key}"), &e))?;
    builder
        .check_private_key()
        .map_err(|e| tls(&format!("key {key} does not match certificate {crt}"), &e))?;
    if let Some(ca) = ca {
        builder
            .set_ca_file(ca)
            .map_err(|e| tls(&format!("CA {ca}"), &e))?;
    }
    let host = broker.rsplit_once(':').map_or(broker, |(h, _)| h);
    let ssl = builder
        .build()
        .configure()
        .and_then(|c| c.into_ssl(host))
        .map_err(|e| tls("set-up", &e))?;
    let mut stream = tokio_openssl::SslStream::new(ssl, tcp).map_err(|e| tls("set-up", &e))?;
    Pin::new(&mut stream)
        .connect()
        .await
        .map_err(|e| tls(&format!("handshake with {broker}"), &e))?;
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heart_beats_as_stomp_negotiates_them() {
        let s = Duration::from_millis;
        assert_eq!(negotiate(s(0), Some("5000,5000")), (None, None));
        assert_eq!(negotiate(s(1000), Some("0,0")), (None, None));
        assert_eq!(
            negotiate(s(1000), Some("5000,2000")),
            (Some(s(2000)), Some(s(5000)))
        );
        assert_eq!(
            negotiate(s(10000), Some("5000,2000")),
            (Some(s(10000)), Some(s(10000)))
        );
        assert_eq!(negotiate(s(1000), None), (None, None));
    }
}
