//! Every message of a search as an async stream, page after page.

use std::collections::{HashSet, VecDeque};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_util::stream::{self, Stream};

use super::{Client, Error, Search};
use crate::Envelope;

/// How far a [`SearchStream`] has come.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// How many messages the search matches, from the last page fetched (`None` before the
    /// first).
    pub total: Option<u64>,
    /// The last page fetched (0 before the first).
    pub page: u32,
    /// How many pages the search has, from the last page fetched.
    pub pages: u32,
    /// Messages yielded so far (errors not counted).
    pub yielded: u64,
    /// Messages left out because the page before had them already: datagrepper pages by offset,
    /// so a message archived late inside the window shifts the pages after it by one.
    pub duplicates: u64,
}

/// The messages of a search, oldest first ([`Client::search`]).
///
/// Yields `Ok` for each message; `Err(`[`Error::NotAMessage`]`)` in the place of an archived
/// message that does not load (and goes on); any other `Err` when a page could not be fetched
/// after the client's retries, and then ends. [`progress`](Self::progress) tells the total and
/// how far it got.
///
/// ```no_run
/// # async fn run() -> Result<(), fedora_messaging::datagrepper::Error> {
/// use fedora_messaging::datagrepper::{Client, Search, DEFAULT_URL};
/// use futures_util::StreamExt;
///
/// let archive = Client::new(DEFAULT_URL)?;
/// let mut messages = archive.search(
///     Search::new()
///         .since("2026-12-01T00:00:00Z".parse().unwrap())
///         .until("2026-12-01T01:00:00Z".parse().unwrap())
///         .category("bodhi"),
/// );
/// while let Some(message) = messages.next().await {
///     let message = message?;
///     println!("{} {}", message.sent_at().unwrap_or("?"), message.topic);
/// }
/// # Ok(()) }
/// ```
pub struct SearchStream {
    inner: Pin<Box<dyn Stream<Item = Result<Envelope, Error>> + Send>>,
    progress: Arc<Mutex<Progress>>,
}

impl std::fmt::Debug for SearchStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchStream")
            .field("progress", &self.progress())
            .finish_non_exhaustive()
    }
}

struct State {
    client: Client,
    search: Search,
    next_page: u32,
    buffer: VecDeque<Result<Envelope, Error>>,
    done: bool,
    /// Ids of the page before and of this one: enough to catch a shift by a few messages, and
    /// bounded however long the search.
    seen_before: HashSet<String>,
    seen_now: HashSet<String>,
    progress: Arc<Mutex<Progress>>,
}

impl SearchStream {
    pub(crate) fn new(client: Client, search: Search) -> Self {
        let progress = Arc::new(Mutex::new(Progress::default()));
        let state = State {
            client,
            search,
            next_page: 1,
            buffer: VecDeque::new(),
            done: false,
            seen_before: HashSet::new(),
            seen_now: HashSet::new(),
            progress: Arc::clone(&progress),
        };
        Self {
            inner: Box::pin(stream::unfold(state, next)),
            progress,
        }
    }

    /// How far the stream has come.
    pub fn progress(&self) -> Progress {
        *self.progress.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Stream for SearchStream {
    type Item = Result<Envelope, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

async fn next(mut st: State) -> Option<(Result<Envelope, Error>, State)> {
    loop {
        if let Some(item) = st.buffer.pop_front() {
            if let Ok(env) = &item {
                if let Some(id) = &env.id {
                    if st.seen_before.contains(id) || !st.seen_now.insert(id.clone()) {
                        tracing::debug!(id, "message seen on the page before; left out");
                        st.lock().duplicates += 1;
                        continue;
                    }
                }
                st.lock().yielded += 1;
            }
            return Some((item, st));
        }
        if st.done {
            return None;
        }
        match st.client.page(&st.search, st.next_page).await {
            Ok(page) => {
                {
                    let mut p = st.lock();
                    p.total = Some(page.total);
                    p.page = page.page;
                    p.pages = page.pages;
                }
                st.done = page.messages.is_empty() || st.next_page >= page.pages;
                st.next_page += 1;
                st.seen_before = std::mem::take(&mut st.seen_now);
                st.buffer.extend(page.messages);
            }
            Err(e) => {
                st.done = true;
                return Some((Err(e), st));
            }
        }
    }
}

impl State {
    fn lock(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|e| e.into_inner())
    }
}
