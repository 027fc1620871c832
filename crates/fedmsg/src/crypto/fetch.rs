//! Fetching a CA certificate or CRL from an `http://` or `https://` location, as fedmsg does for
//! `ca_cert_location` and `crl_location` (Fedora publishes both at https URLs).
//!
//! One GET, HTTP/1.0 (so the body is never chunked), at most one redirect, ten seconds, a body of
//! at most 16 MiB; https through OpenSSL with the system's trust store (`SSL_CERT_FILE` and
//! `SSL_CERT_DIR` are honoured).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(10);
const MAX_BODY: u64 = 16 * 1024 * 1024;

/// Whether `location` is a URL this module fetches.
pub(crate) fn is_url(location: &str) -> bool {
    location.starts_with("http://") || location.starts_with("https://")
}

/// The body of `url`, following one redirect.
pub(crate) fn get(url: &str) -> Result<Vec<u8>, String> {
    match get_once(url)? {
        Answer::Body(b) => Ok(b),
        Answer::Redirect(to) => match get_once(&to)? {
            Answer::Body(b) => Ok(b),
            Answer::Redirect(again) => Err(format!("redirected twice (to {again})")),
        },
    }
}

enum Answer {
    Body(Vec<u8>),
    Redirect(String),
}

fn get_once(url: &str) -> Result<Answer, String> {
    let (tls, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(format!("not an http(s) URL: {url}"));
    };
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(a, p)| (a, format!("/{p}")));
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => (
            h,
            p.parse::<u16>()
                .map_err(|e| format!("bad port in {url}: {e}"))?,
        ),
        _ => (authority, if tls { 443 } else { 80 }),
    };
    let addr = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host} has no address"))?;
    let tcp = TcpStream::connect_timeout(&addr, TIMEOUT)
        .map_err(|e| format!("cannot connect to {authority}: {e}"))?;
    tcp.set_read_timeout(Some(TIMEOUT))
        .map_err(|e| e.to_string())?;
    tcp.set_write_timeout(Some(TIMEOUT))
        .map_err(|e| e.to_string())?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: {authority}\r\nUser-Agent: fedmsg-rs\r\nConnection: close\r\n\r\n");
    let mut raw = Vec::new();
    if tls {
        let connector = openssl::ssl::SslConnector::builder(openssl::ssl::SslMethod::tls_client())
            .map_err(|e| e.to_string())?
            .build();
        let mut stream = connector
            .connect(host, tcp)
            .map_err(|e| format!("TLS with {authority}: {e}"))?;
        stream
            .write_all(request.as_bytes())
            .map_err(|e| e.to_string())?;
        read_all(&mut stream, &mut raw)?;
    } else {
        let mut stream = tcp;
        stream
            .write_all(request.as_bytes())
            .map_err(|e| e.to_string())?;
        read_all(&mut stream, &mut raw)?;
    }
    parse(url, &raw)
}

fn read_all(stream: &mut impl Read, out: &mut Vec<u8>) -> Result<(), String> {
    stream
        .take(MAX_BODY + 64 * 1024)
        .read_to_end(out)
        .map_err(|e| format!("reading the answer: {e}"))?;
    Ok(())
}

/// The status and body of a raw HTTP/1.x answer.
fn parse(url: &str, raw: &[u8]) -> Result<Answer, String> {
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("{url}: not an HTTP answer"))?;
    let head = String::from_utf8_lossy(&raw[..head_end]);
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{url}: not an HTTP answer"))?;
    match status {
        200 => Ok(Answer::Body(raw[head_end + 4..].to_vec())),
        301 | 302 | 303 | 307 | 308 => lines
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("location")
                    .then(|| v.trim().to_owned())
            })
            .map(Answer::Redirect)
            .ok_or_else(|| format!("{url}: redirect without a Location")),
        other => Err(format!("{url}: HTTP {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_as_http_says() {
        let ok = parse("u", b"HTTP/1.0 200 OK\r\nContent-Type: x\r\n\r\nbody").ok();
        assert!(matches!(ok, Some(Answer::Body(b)) if b == b"body"));
        let moved = parse("u", b"HTTP/1.1 301 Moved\r\nlocation: https://x/y\r\n\r\n").ok();
        assert!(matches!(moved, Some(Answer::Redirect(l)) if l == "https://x/y"));
        assert_eq!(
            parse("u", b"HTTP/1.1 404 Not Found\r\n\r\n").err().unwrap(),
            "u: HTTP 404"
        );
        assert!(parse("u", b"garbage").is_err());
        assert!(
            is_url("https://fedoraproject.org/fedmsg/ca.crt") && !is_url("/etc/pki/fedmsg/ca.crt")
        );
    }
}
