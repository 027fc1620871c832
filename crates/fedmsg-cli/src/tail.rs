//! `fedmsg tail`: every message of the bus, filtered and formatted as fedmsg-tail does.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use futures_util::{Stream, StreamExt};
use std::sync::Arc;

use fedmsg::crypto::x509::Validator;
use fedmsg::stomp::StompSubscriberBuilder;
use fedmsg::zeromq::SubscriberBuilder;
use fedmsg::{encoding, topic, Config, Envelope};
use regex::Regex;
use serde_json::Value;

use crate::args::TailArgs;

/// The filters of the command line, as one decision per message.
pub(crate) struct Filter {
    include: Regex,
    exclude: Option<Regex>,
    users: Vec<String>,
    packages: Vec<String>,
}

impl Filter {
    pub(crate) fn new(args: &TailArgs) -> anyhow::Result<Self> {
        let include =
            Regex::new(&args.include).with_context(|| format!("--include {:?}", args.include))?;
        let exclude = if args.exclude.is_empty() {
            None
        } else {
            Some(
                Regex::new(&args.exclude)
                    .with_context(|| format!("--exclude {:?}", args.exclude))?,
            )
        };
        Ok(Self {
            include,
            exclude,
            users: args
                .users
                .iter()
                .map(|u| u.trim().to_owned())
                .filter(|u| !u.is_empty())
                .collect(),
            packages: args
                .packages
                .iter()
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect(),
        })
    }

    pub(crate) fn shows(&self, env: &Envelope) -> bool {
        if self
            .exclude
            .as_ref()
            .is_some_and(|re| re.is_match(&env.topic))
            || !self.include.is_match(&env.topic)
        {
            return false;
        }
        if !self.users.is_empty() {
            let agent = env.msg.get("agent").and_then(Value::as_str);
            let named = env.username.as_deref().into_iter().chain(agent);
            if !named.into_iter().any(|u| self.users.iter().any(|w| w == u)) {
                return false;
            }
        }
        if !self.packages.is_empty()
            && !packages_of(&env.msg)
                .iter()
                .any(|p| self.packages.contains(p))
        {
            return false;
        }
        true
    }
}

fn packages_of(msg: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |v: Option<&Value>| match v {
        Some(Value::String(s)) => out.push(s.clone()),
        Some(Value::Array(items)) => {
            out.extend(items.iter().filter_map(Value::as_str).map(str::to_owned))
        }
        _ => {}
    };
    push(msg.get("package"));
    push(msg.get("packages"));
    push(msg.get("build").and_then(|b| b.get("package")));
    out
}

/// The envelope without `signature` and `certificate` (fedmsg's `strip_credentials`).
fn stripped(env: &Envelope) -> Value {
    let mut v = env.to_value();
    if let Some(map) = v.as_object_mut() {
        map.remove("signature");
        map.remove("certificate");
    }
    v
}

/// One message as the format flags ask.
pub(crate) fn format(args: &TailArgs, config: &Config, env: &Envelope) -> String {
    if args.json {
        return env.to_canonical_json();
    }
    if args.pretty || args.really_pretty {
        return encoding::pretty_dumps(&stripped(env));
    }
    if args.terse {
        let title = topic::strip_prefix(&env.topic, &config.topic_prefix).unwrap_or(&env.topic);
        let user = env.username.as_deref().unwrap_or("none");
        let subtitle = match env.msg.get("log").and_then(Value::as_str) {
            Some(log) if env.topic.contains("logger.log") => log.to_owned(),
            _ if env.topic.contains("logger.log") => "<custom JSON message>".to_owned(),
            _ => env.msg_id.clone().unwrap_or_default(),
        };
        return format!("{title} -- {subtitle} ({user})");
    }
    format!("{} {}", env.topic, env.to_canonical_json())
}

fn validator(config: &Config) -> anyhow::Result<Arc<Validator>> {
    let v = Validator::from_config(config)
        .context("loading the CA and CRL to validate signatures (--no-validate skips it)")?;
    Ok(Arc::new(v))
}

/// Prints `env` when the filters show it; false once `--count` messages were printed.
fn show(
    args: &TailArgs,
    config: &Config,
    filter: &Filter,
    env: &Envelope,
    out: &mut impl Write,
    printed: &mut u64,
) -> anyhow::Result<bool> {
    if filter.shows(env) {
        writeln!(out, "{}", format(args, config, env))?;
        out.flush()?;
        *printed += 1;
    }
    Ok(args.count.is_none_or(|n| *printed < n))
}

/// `tail` on a STOMP bus (`zmq_enabled = False`): the broker of `stomp_uri`.
async fn tail_stomp(
    config: &Config,
    args: &TailArgs,
    filter: &Filter,
    validate: bool,
) -> anyhow::Result<ExitCode> {
    let mut builder = StompSubscriberBuilder::new(config).context("reading the STOMP keys")?;
    if validate {
        builder = builder.validate(validator(config)?);
    }
    if !args.topic.is_empty() {
        builder = builder.topic(args.topic.clone());
    }
    let mut sub = builder.start();
    sub.subscribed().await;
    tracing::info!("fedmsg subscriber ready (STOMP)");
    print_all(args, config, filter, (&mut sub).map(|d| d.envelope)).await?;
    let stats = sub.stats();
    report_dropped(stats.malformed, stats.invalid);
    Ok(ExitCode::SUCCESS)
}

/// Prints what `envelopes` yields until `--count` is reached or it ends.
async fn print_all(
    args: &TailArgs,
    config: &Config,
    filter: &Filter,
    envelopes: impl Stream<Item = Envelope>,
) -> anyhow::Result<()> {
    let mut envelopes = std::pin::pin!(envelopes);
    let mut printed = 0u64;
    let mut stdout = std::io::stdout().lock();
    while let Some(env) = envelopes.next().await {
        if !show(args, config, filter, &env, &mut stdout, &mut printed)? {
            break;
        }
    }
    Ok(())
}

fn report_dropped(malformed: u64, invalid: u64) {
    if malformed + invalid > 0 {
        eprintln!(
            "{malformed} malformed and {invalid} invalid messages were dropped (see the log)"
        );
    }
}

pub(crate) async fn run(config: &Config, args: TailArgs) -> anyhow::Result<ExitCode> {
    let validate = if args.no_validate {
        false
    } else {
        args.validate || config.validate_signatures
    };
    let filter = Filter::new(&args)?;
    if !config.zmq_enabled {
        return tail_stomp(config, &args, &filter, validate).await;
    }
    let endpoints = config.subscribe_endpoints();
    if endpoints.is_empty() {
        bail!(config.missing(
            "endpoints",
            "tail connects to every endpoint but relay_inbound"
        ));
    }
    let mut builder = SubscriberBuilder::new(config);
    if validate {
        builder = builder.validate(validator(config)?);
    }
    if !args.topic.is_empty() {
        builder = builder.topic(args.topic.clone());
    }
    let mut sub = builder.start().context("subscribing")?;
    print_all(&args, config, &filter, (&mut sub).map(|m| m.envelope)).await?;
    let stats = sub.stats();
    report_dropped(stats.malformed, stats.invalid);
    Ok(ExitCode::SUCCESS)
}
