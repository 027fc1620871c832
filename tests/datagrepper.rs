//! The datagrepper client of the library (`fedora_messaging::datagrepper`) against the real
//! datagrepper 1.1.0 and datanommer.models 1.5.0 from PyPI, on the machine's PostgreSQL, seeded
//! through datanommer's own `add()`: lookups by id, every page of a search as a stream, each
//! filter kind. Retries and timeouts are shown against a few-line local server that answers 503
//! or nothing on purpose: the real datagrepper cannot be made to do that on demand.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::datagrepper::{archive, Datagrepper};
use fedora_messaging::datagrepper::{Client, Error, Search};
use fedora_messaging::{lines, Envelope};
use futures_util::StreamExt;

const TOPICS: [&str; 3] = [
    "org.fedoraproject.test.bodhi.update.comment",
    "org.fedoraproject.test.koji.build.state.change",
    "org.fedoraproject.test.copr.build.end",
];

/// The archive of the real datagrepper's checks: 250 messages, one second apart from `start()`.
struct Archive {
    server: Datagrepper,
    messages: Vec<Envelope>,
}

impl Archive {
    fn client(&self) -> Client {
        Client::new(&self.server.url).unwrap()
    }
}

fn start() -> DateTime<Utc> {
    "2026-11-30T08:00:00Z".parse().unwrap()
}

/// One server and archive for all checks, owned by this test so that they are stopped and
/// dropped when it ends, however it ends.
#[tokio::test(flavor = "multi_thread")]
async fn the_real_datagrepper() {
    let server = Datagrepper::start();
    let messages = archive(250, &TOPICS, start());
    server.seed(&lines::dumps_all(&messages));
    let archive = Archive { server, messages };
    a_message_comes_back_as_it_was_archived(&archive).await;
    an_unknown_id_is_a_404_naming_the_url_as_python_does(&archive).await;
    a_search_streams_every_page_oldest_first(&archive).await;
    each_filter_selects_exactly_its_messages(&archive).await;
}

/// The fields the archive keeps: id, topic, headers, body.
fn same(a: &Envelope, b: &Envelope) {
    assert_eq!(a.id, b.id);
    assert_eq!(a.topic, b.topic);
    assert_eq!(a.headers, b.headers, "{:?}", a.id);
    assert_eq!(a.body, b.body);
}

async fn collect(
    archive: &Archive,
    search: Search,
) -> (Vec<Envelope>, fedora_messaging::datagrepper::Progress) {
    let mut stream = archive.client().search(search);
    let mut out = Vec::new();
    while let Some(m) = stream.next().await {
        out.push(m.unwrap());
    }
    (out, stream.progress())
}

fn ids(messages: &[&Envelope]) -> Vec<String> {
    messages.iter().map(|m| m.id.clone().unwrap()).collect()
}

async fn a_message_comes_back_as_it_was_archived(archive: &Archive) {
    let original = &archive.messages[17];
    let got = archive
        .client()
        .message(original.id.as_deref().unwrap())
        .await
        .unwrap();
    same(&got, original);
    assert_eq!(got.sent_at(), original.sent_at());
}

async fn an_unknown_id_is_a_404_naming_the_url_as_python_does(archive: &Archive) {
    let url = &archive.server.url;
    let e = archive.client().message("no-such-id").await.unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!("404 Client Error: NOT FOUND for url: {url}/v2/id?id=no-such-id&is_raw=true")
    );
}

async fn a_search_streams_every_page_oldest_first(archive: &Archive) {
    // 7 per page: 36 pages, the last one short.
    let (got, progress) = collect(
        archive,
        Search::new()
            .since(start())
            .until(start() + chrono::Duration::hours(1))
            .rows_per_page(7),
    )
    .await;
    assert_eq!(got.len(), 250);
    for (g, o) in got.iter().zip(&archive.messages) {
        same(g, o);
    }
    assert_eq!(
        (
            progress.total,
            progress.pages,
            progress.page,
            progress.yielded
        ),
        (Some(250), 36, 36, 250)
    );
    assert_eq!(progress.duplicates, 0);
}

async fn each_filter_selects_exactly_its_messages(archive: &Archive) {
    let all = &archive.messages;
    let window = |s: Search| s.since(start()).until(start() + chrono::Duration::hours(1));
    let expect = |pred: &dyn Fn(usize, &Envelope) -> bool| {
        ids(&all
            .iter()
            .enumerate()
            .filter(|(i, m)| pred(*i, m))
            .map(|(_, m)| m)
            .collect::<Vec<_>>())
    };
    let got = |v: Vec<Envelope>| ids(&v.iter().collect::<Vec<_>>());

    // A window: messages 100 to 149 (both ends inclusive).
    let (v, _) = collect(
        archive,
        Search::new()
            .since(start() + chrono::Duration::seconds(100))
            .until(start() + chrono::Duration::seconds(149)),
    )
    .await;
    assert_eq!(got(v), expect(&|i, _| (100..=149).contains(&i)));

    let (v, _) = collect(
        archive,
        window(Search::new()).topic(TOPICS[0]).topic(TOPICS[2]),
    )
    .await;
    assert_eq!(got(v), expect(&|_, m| m.topic != TOPICS[1]));
    let (v, _) = collect(archive, window(Search::new()).not_topic(TOPICS[0])).await;
    assert_eq!(got(v), expect(&|_, m| m.topic != TOPICS[0]));
    let (v, _) = collect(archive, window(Search::new()).category("koji")).await;
    assert_eq!(got(v), expect(&|_, m| m.topic == TOPICS[1]));
    let (v, _) = collect(archive, window(Search::new()).not_category("koji")).await;
    assert_eq!(got(v), expect(&|_, m| m.topic != TOPICS[1]));
    let (v, _) = collect(archive, window(Search::new()).user("alice")).await;
    assert_eq!(got(v), expect(&|i, _| i % 10 == 0));
    let (v, _) = collect(
        archive,
        window(Search::new()).package("kernel").topic(TOPICS[1]),
    )
    .await;
    assert_eq!(got(v), expect(&|i, m| i % 7 == 0 && m.topic == TOPICS[1]));
    let (v, _) = collect(archive, window(Search::new()).not_package("kernel")).await;
    assert_eq!(got(v), expect(&|i, _| i % 7 != 0));
    let (v, _) = collect(
        archive,
        window(Search::new())
            .category("copr")
            .contains("message 11"),
    )
    .await;
    assert_eq!(
        got(v),
        expect(&|i, m| m.topic == TOPICS[2] && format!("message {i} ").starts_with("message 11"))
    );
    // Nothing matches: no page at all.
    let (v, progress) = collect(archive, window(Search::new()).user("nobody")).await;
    assert!(v.is_empty());
    assert_eq!((progress.total, progress.pages), (Some(0), 0));
}

/// A local server that answers the first `failures` requests with `status` (or not at all when
/// `status` is 0), then an empty search page; returns its URL and the count of requests.
fn flaky_server(failures: usize, status: u16) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let mut conn = conn.unwrap();
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let n = seen.fetch_add(1, Ordering::SeqCst);
            if n < failures && status == 0 {
                // Say nothing; keep the connection open past the client's timeout.
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_secs(5));
                    drop(conn);
                });
                continue;
            }
            let (line, body) = if n < failures {
                (format!("{status} Service Unavailable"), "oops".to_string())
            } else {
                (
                    "200 OK".into(),
                    r#"{"raw_messages": [], "total": 0, "pages": 0}"#.into(),
                )
            };
            let _ = write!(
                conn,
                "HTTP/1.1 {line}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, count)
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_are_retried_and_the_last_one_names_the_url() {
    let (url, count) = flaky_server(2, 503);
    let page = Client::new(&url)
        .unwrap()
        .page(&Search::new(), 1)
        .await
        .unwrap();
    assert_eq!(
        (page.total, count.load(Ordering::SeqCst)),
        (0, 3),
        "two 503s, then the answer"
    );

    let (url, count) = flaky_server(5, 503);
    let client = Client::builder(&url).retries(1).build().unwrap();
    let e = client.page(&Search::new(), 1).await.unwrap_err();
    assert_eq!(count.load(Ordering::SeqCst), 2, "one retry");
    assert_eq!(e.status(), Some(503));
    assert_eq!(
        e.to_string(),
        format!(
            "503 Server Error: Service Unavailable for url: {url}/v2/search?order=asc&page=1&rows_per_page=100"
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_silent_server_times_out() {
    let (url, count) = flaky_server(9, 0);
    let client = Client::builder(&url)
        .timeout(Duration::from_millis(300))
        .retries(1)
        .build()
        .unwrap();
    let started = Instant::now();
    let e = client.message("x").await.unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    assert_eq!(e.url(), format!("{url}/v2/id?id=x&is_raw=true"));
    assert_eq!(count.load(Ordering::SeqCst), 2);
    // Two tries of 0.3 s and a 0.5 s pause.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_connection_is_an_error_naming_the_url_and_the_cause() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::builder(&format!("http://127.0.0.1:{port}"))
        .retries(0)
        .build()
        .unwrap();
    let e = client.message("x").await.unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with(&format!("cannot get http://127.0.0.1:{port}/v2/id?id=x")),
        "{text}"
    );
    assert!(text.to_lowercase().contains("refused"), "{text}");
    assert!(std::error::Error::source(&e).is_some());
}
