//! `fedora-messaging replay`: one archived message by id (Python's command), or a whole time
//! window of them (ours).

mod resume;

use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use fedora_messaging::amqp::config::Config;
use fedora_messaging::amqp::publish::Publisher;
use fedora_messaging::datagrepper::{Client, Error, Search, SearchStream, DEFAULT_URL};
use fedora_messaging::{lines, Envelope};
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::ReplayArgs;
use crate::publish;
use resume::{shell_line, Resume};

/// The exit code of a replay stopped by Ctrl-C or SIGTERM (128 + SIGINT, as a shell reports it).
const EXIT_INTERRUPTED: i32 = 130;

/// The client for `--datagrepper-url`; a bad URL is a usage error.
pub(crate) fn client(url: &str) -> Result<Client, i32> {
    Client::new(url).map_err(|e| {
        eprintln!("Error: Invalid value for '--datagrepper-url': {e}");
        2
    })
}

/// Python's words for a failed fetch.
pub(crate) fn fetch_failed(e: &Error) -> i32 {
    eprintln!("Error: Failed to retrieve message from Datagrepper: {e}");
    1
}

pub(crate) async fn replay(mut config: Config, conf: Option<&Path>, args: ReplayArgs) -> i32 {
    // The archived topic is complete; a prefix would be added twice.
    config.topic_prefix = String::new();
    let client = match client(&args.datagrepper_url) {
        Ok(c) => c,
        Err(code) => return code,
    };
    match &args.message_id {
        Some(id) => one(config, &client, id, &args).await,
        None => window(config, conf, &client, &args).await,
    }
}

async fn one(config: Config, client: &Client, id: &str, args: &ReplayArgs) -> i32 {
    let env = match client.message(id).await {
        Ok(env) => env,
        Err(e) => return fetch_failed(&e),
    };
    if args.dry_run {
        print!("{}", lines::dumps(&env));
        return 0;
    }
    let exchange = args
        .to_exchange
        .clone()
        .unwrap_or_else(|| config.publish_exchange.clone());
    let publisher = Publisher::new(config).timeout(Duration::from_secs_f64(args.timeout));
    let result = publisher.publish_envelope_to(&exchange, &env).await;
    publisher.close().await;
    match result {
        Ok(()) => {
            println!("Message with ID {id} has been successfully replayed.");
            0
        }
        Err(e) => {
            eprintln!("Error: Failed to replay message {id}: {e}");
            publish::exit_code(&e)
        }
    }
}

/// What a bulk replay did.
#[derive(Debug, Default)]
struct Tally {
    fetched: u64,
    published: u64,
    skipped: u64,
    failed: u64,
}

/// Why a bulk replay stopped before the end.
enum Stop {
    Fetch(Error),
    Publish(i32),
    Signal,
}

async fn window(config: Config, conf: Option<&Path>, client: &Client, args: &ReplayArgs) -> i32 {
    let since = args
        .since
        .unwrap_or_else(|| unreachable!("clap requires MESSAGE_ID or --since"));
    // A fixed end, so the window does not grow while it is paged through, and the resume
    // command covers the same one.
    let until = args.until.unwrap_or_else(Utc::now);
    let mut search = Search::new().since(since).until(until);
    for (values, add) in [
        (&args.topics, Search::topic as fn(Search, String) -> Search),
        (&args.categories, Search::category),
        (&args.users, Search::user),
        (&args.packages, Search::package),
        (&args.contains, Search::contains),
    ] {
        for v in values {
            search = add(search, v.clone());
        }
    }
    let exchange = args
        .to_exchange
        .clone()
        .unwrap_or_else(|| config.publish_exchange.clone());
    let publisher = (!args.dry_run)
        .then(|| Publisher::new(config).timeout(Duration::from_secs_f64(args.timeout)));
    let mut messages = client.search(search);
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} messages ({per_sec}, {eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut tally = Tally::default();
    let mut resume = Resume::new(since, &args.skip);
    let stopped = run(
        &mut messages,
        publisher.as_ref(),
        &exchange,
        args,
        &bar,
        &mut tally,
        &mut resume,
    )
    .await;
    bar.finish_and_clear();
    if let Some(p) = &publisher {
        p.close().await;
    }
    let duplicates = messages.progress().duplicates;
    eprintln!(
        "replay: fetched {}, {} {}, skipped {}, failed {}{}",
        tally.fetched,
        if args.dry_run { "written" } else { "published" },
        tally.published,
        tally.skipped,
        tally.failed,
        if duplicates > 0 {
            format!(" ({duplicates} listed twice by datagrepper, replayed once)")
        } else {
            String::new()
        }
    );
    let code = match stopped {
        // Every message was tried; those that did not load were named one by one.
        None => return i32::from(tally.failed > 0),
        Some(Stop::Fetch(e)) => fetch_failed(&e),
        Some(Stop::Publish(code)) => code,
        Some(Stop::Signal) => {
            eprintln!("Interrupted.");
            EXIT_INTERRUPTED
        }
    };
    eprintln!(
        "To resume: {}",
        shell_line(&resume_words(conf, args, until, &resume))
    );
    code
}

/// Replays each message of the stream in order until the end, a failure or a signal.
async fn run(
    messages: &mut SearchStream,
    publisher: Option<&Publisher>,
    exchange: &str,
    args: &ReplayArgs,
    bar: &ProgressBar,
    tally: &mut Tally,
    resume: &mut Resume,
) -> Option<Stop> {
    let signal = stop_signal();
    tokio::pin!(signal);
    loop {
        let item = tokio::select! {
            () = &mut signal => return Some(Stop::Signal),
            item = messages.next() => item,
        };
        let env = match item {
            None => return None,
            Some(Ok(env)) => env,
            Some(Err(e @ Error::NotAMessage { .. })) => {
                // Counted and named; the others are still replayed.
                tracing::error!(error = %e, "archived message left out");
                tally.failed += 1;
                continue;
            }
            Some(Err(e)) => return Some(Stop::Fetch(e)),
        };
        tally.fetched += 1;
        if let Some(total) = messages.progress().total {
            bar.set_length(total);
        }
        let id = env.id.as_deref();
        if id.is_some_and(|id| args.skip.iter().any(|s| s == id)) {
            tally.skipped += 1;
        } else if let Err(code) = replay_one(&env, publisher, exchange).await {
            tally.failed += 1;
            return Some(Stop::Publish(code));
        } else {
            tally.published += 1;
        }
        resume.done(env.sent_at(), id);
        bar.inc(1);
    }
}

async fn replay_one(
    env: &Envelope,
    publisher: Option<&Publisher>,
    exchange: &str,
) -> Result<(), i32> {
    let Some(publisher) = publisher else {
        print!("{}", lines::dumps(env));
        return Ok(());
    };
    publisher
        .publish_envelope_to(exchange, env)
        .await
        .map_err(|e| {
            eprintln!(
                "Error: message {} (topic {}, sent at {}) was not published: {e}",
                env.id.as_deref().unwrap_or("without an id"),
                env.topic,
                env.sent_at().unwrap_or("?")
            );
            publish::exit_code(&e)
        })
}

/// Resolves on Ctrl-C or SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// The command line that resumes the replay.
fn resume_words(
    conf: Option<&Path>,
    args: &ReplayArgs,
    until: chrono::DateTime<Utc>,
    resume: &Resume,
) -> Vec<String> {
    let mut words = vec!["fedora-messaging".to_owned()];
    if let Some(conf) = conf {
        words.extend(["--conf".to_owned(), conf.display().to_string()]);
    }
    words.push("replay".into());
    let mut opt = |name: &str, value: String| words.extend([name.to_owned(), value]);
    if args.datagrepper_url != DEFAULT_URL {
        opt("--datagrepper-url", args.datagrepper_url.clone());
    }
    opt("--since", resume.since());
    opt(
        "--until",
        until.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    );
    for (name, values) in [
        ("--topic", &args.topics),
        ("--category", &args.categories),
        ("--user", &args.users),
        ("--package", &args.packages),
        ("--contains", &args.contains),
    ] {
        for v in values {
            opt(name, v.clone());
        }
    }
    for id in resume.skip() {
        opt("--skip", id.clone());
    }
    if let Some(e) = &args.to_exchange {
        opt("--to-exchange", e.clone());
    }
    if (args.timeout - crate::args::DEFAULT_CONFIRM_TIMEOUT).abs() > f64::EPSILON {
        opt("--timeout", args.timeout.to_string());
    }
    if args.dry_run {
        words.push("--dry-run".into());
    }
    words
}
