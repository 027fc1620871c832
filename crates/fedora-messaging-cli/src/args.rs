//! The command line: commands, options and their help.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use clap::{Args, Parser, Subcommand};
use fedora_messaging::datagrepper::DEFAULT_URL;

/// Publish, consume and record Fedora messages on an AMQP broker, with the commands, options, file
/// format and exit codes of Python's fedora-messaging CLI.
#[derive(Debug, Parser)]
#[command(name = "fedora-messaging", version, propagate_version = true)]
pub(crate) struct Cli {
    /// The config.toml to use (default: /etc/fedora-messaging/config.toml, or Python's defaults
    /// when that does not exist).
    #[arg(
        long,
        global = true,
        env = "FEDORA_MESSAGING_CONF",
        value_name = "PATH"
    )]
    pub(crate) conf: Option<PathBuf>,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Consume messages and print them, or run a command for each.
    ///
    /// Queues and bindings come from the config; the options below override every binding, as in
    /// Python. With --exec, CMD runs through `sh -c` once per message, with the message as one
    /// JSON line (the `record` format) on its standard input and FEDORA_MESSAGING_TOPIC,
    /// FEDORA_MESSAGING_ID and FEDORA_MESSAGING_SCHEMA in its environment. Its exit status decides
    /// the message's fate:
    ///
    ///   0   ack
    ///   75  nack: requeue, deliver again (EX_TEMPFAIL)
    ///   65  drop: reject without requeue, or dead-letter (EX_DATAERR)
    ///   99  halt: ack and stop consuming, exit 0
    ///   any other status, or killed: a failure; as in Python every unacked message is requeued
    ///       and consuming stops with exit code 13 (with --max-redeliveries, only this message is
    ///       requeued, and dropped after N tries)
    ///
    /// Exit codes: 0 stopped by a signal or halted; 10 a queue or binding could not be declared;
    /// 12 the broker cancelled the consumer; 13 a handler failed; 14 no connection; 15 permission
    /// refused; 2 usage error.
    #[command(verbatim_doc_comment)]
    Consume(ConsumeArgs),
    /// Publish the messages of a file written by `record` (one JSON object per line).
    ///
    /// Every line is read and checked before anything is sent: a bad line is reported with its
    /// line number and nothing is published. Ids and sent-at are kept; topic_prefix applies.
    /// Exit codes: 0 all published; 2 a line is not a valid message; 111 timed out (the broker did
    /// not confirm); 121 the broker returned or refused a message; 1 any other failure.
    #[command(verbatim_doc_comment)]
    Publish(PublishArgs),
    /// Record consumed messages to a file, one JSON object per line, as they arrive.
    ///
    /// Each line is written and flushed before its message is acked, so a crash loses nothing
    /// that was acked. Exit codes as for `consume`.
    #[command(verbatim_doc_comment)]
    Record(RecordArgs),
    /// Publish again messages from datagrepper, Fedora's archive of the bus.
    ///
    /// With MESSAGE_ID, as Python's `replay`: the message is fetched
    /// (GET URL/v2/id?id=MESSAGE_ID&is_raw=true) and published with its id, headers and sent-at,
    /// without topic_prefix (its topic is complete). With --since, every message of a time window
    /// (and of the filters given: kinds combine, values of one kind are alternatives) is fetched
    /// page by page, oldest first, and published in that order, each confirmed before the next;
    /// a progress bar shows on a terminal, and a summary at the end. If it stops early (Ctrl-C,
    /// datagrepper unreachable after retries, a message not confirmed), the summary is followed by
    /// the command that resumes where it stopped: --since the last message published, with --skip
    /// for those already published at that time, so nothing is published twice.
    /// With --dry-run nothing is published: the messages are printed as `record` lines, which
    /// `publish` can send later.
    /// Exit codes: 0 all published; 1 datagrepper error (as Python: "Failed to retrieve message
    /// from Datagrepper: ..."); 111 timed out (the broker did not confirm); 121 the broker returned
    /// or refused a message; 130 interrupted; 2 usage error.
    #[command(verbatim_doc_comment)]
    Replay(ReplayArgs),
    /// Run one archived message through a handler, with no broker involved.
    ///
    /// The message is fetched from datagrepper as by `replay`. With --exec, CMD runs once as it
    /// would for `consume --exec` (the message as a JSON line on its standard input, the same
    /// environment), and its exit status is this command's; a line on standard error says what a
    /// consumer would have done (0 ack, 75 requeue, 65 drop, 99 halt, any other a failure).
    /// Without --exec the message is printed, as `consume` prints it.
    /// Exit codes: the command's; 1 datagrepper error; 2 usage error (e.g. not a UUID).
    #[command(verbatim_doc_comment)]
    Reconsume(ReconsumeArgs),
    /// Generate typed Rust message structs from a schema repo (what build.rs does).
    ///
    /// SCHEMA_DIR holds one folder per application: its JSON Schema files and a messages.toml
    /// naming each file's schema name, topic, severity and accessors. The output is the file
    /// `fedora_messaging_build::Builder` writes in build.rs, byte for byte.
    /// Exit codes: 0 written (or up to date with --check); 1 --check found the file out of date;
    /// 2 the schema repo has an error (named with its file and JSON pointer).
    #[command(verbatim_doc_comment)]
    Generate(GenerateArgs),
    /// Check the messages of a file written by `record` against the schemas they name.
    ///
    /// Each line's headers and body are checked against Python's base schemas and, with
    /// --schemas, its body against the schema its fedora_messaging_schema header names, using
    /// the draft that schema declares. Each problem is printed as
    ///   FILE:LINE: SCHEMA: body/POINTER: what is wrong
    /// A schema the repo does not hold is reported, and its message checked against the base
    /// schemas only (as Python does when it receives one).
    /// Exit codes: 0 every message is valid; 1 at least one is not; 2 the file or the schema repo
    /// cannot be read.
    #[command(verbatim_doc_comment)]
    Validate(ValidateArgs),
    /// Check that a new version of a schema repo is compatible with older ones.
    ///
    /// Each version is a folder, or REV:PATH for the folder PATH at a git revision (e.g.
    /// `v1.2.0:schemas`, `origin/main:schemas`); the last one is the new version. Every change
    /// is reported with a stable rule id, the schema name, the JSON pointer, an explanation and
    /// its effect on old consumers (still on the old schema), new consumers (reading messages
    /// written with the old schema: other producers, archives, record files) and Rust code using
    /// the generated types. Lines marked FAIL break what --mode protects:
    ///   backward   new consumers must read old messages (consumers upgrade first)
    ///   forward    old consumers must read new messages (producers upgrade first)
    ///   full       both (the default); the -transitive forms check against every older version
    ///              given, the others against the last one only
    /// Exit codes: 0 compatible; 1 breaking changes; 2 a version cannot be read.
    #[command(verbatim_doc_comment)]
    Compat(CompatArgs),
    /// Write a browsable catalog of a schema repo: a static site of plain files.
    ///
    /// index.html lists every message (topic, schema name, application, severity, deprecated or
    /// not, summary) with a filter box; each message has a page with its topic, headers, body
    /// fields, an example body (the schema's own, or one made from it; always valid), the Rust
    /// type, its history in git with the compat checker's verdicts, and the raw JSON Schema.
    /// Open index.html from disk, or serve the folder.
    /// Exit codes: 0 written; 2 the schema repo cannot be read or the folder written.
    #[command(verbatim_doc_comment)]
    Catalog(CatalogArgs),
    /// Write the AsyncAPI 3.0 document of a schema repo.
    ///
    /// The amq.topic exchange and one channel per topic with its AMQP 0-9-1 bindings, one message
    /// per schema (headers schema with fedora_messaging_schema as a const, the body schema as
    /// payload, an example), send and receive operations. YAML, or JSON with --format json or an
    /// output file ending in .json.
    /// Exit codes: 0 written; 2 the schema repo cannot be read or the file written.
    #[command(verbatim_doc_comment)]
    Asyncapi(AsyncapiArgs),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// Options shared by `consume` and `record`.
#[derive(Debug, Args)]
pub(crate) struct ConsumeOptions {
    /// The application name sent to the broker (client_properties.app).
    #[arg(long, value_name = "NAME")]
    pub(crate) app_name: Option<String>,
    /// A routing key to bind (repeatable); replaces the routing keys of every binding.
    #[arg(long = "routing-key", value_name = "KEY")]
    pub(crate) routing_keys: Vec<String>,
    /// The queue to consume from; its settings come from the config's "" queue.
    #[arg(long, value_name = "NAME")]
    pub(crate) queue_name: Option<String>,
    /// The exchange to bind to; replaces the exchange of every binding.
    #[arg(long, value_name = "NAME")]
    pub(crate) exchange: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ConsumeArgs {
    #[command(flatten)]
    pub(crate) common: ConsumeOptions,
    /// Print each message as one JSON line (the `record` format) instead of Python's long form.
    #[arg(long, conflicts_with = "exec")]
    pub(crate) json: bool,
    /// Run CMD (through `sh -c`) for each message; see above for how its exit status is used.
    #[arg(long, value_name = "CMD")]
    pub(crate) exec: Option<String>,
    /// How many messages are handled at once.
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), allow_negative_numbers = true)]
    pub(crate) concurrency: u32,
    /// Requeue a failing message at most N times, then drop it (or dead-letter it).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub(crate) max_redeliveries: Option<u32>,
}

#[derive(Debug, Args)]
pub(crate) struct PublishArgs {
    /// The file to publish; `-` reads standard input.
    pub(crate) file: PathBuf,
    /// The exchange to publish to (default: publish_exchange from the config).
    #[arg(long, value_name = "NAME")]
    pub(crate) exchange: Option<String>,
    /// Seconds to wait for the broker's confirm of each message (a positive, finite number).
    #[arg(long, default_value_t = DEFAULT_CONFIRM_TIMEOUT, value_name = "SECONDS", value_parser = positive_seconds, allow_hyphen_values = true)]
    pub(crate) timeout: f64,
}

#[derive(Debug, Args)]
pub(crate) struct RecordArgs {
    /// The file to write (truncated first).
    pub(crate) file: PathBuf,
    /// Stop after this many messages.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..), allow_negative_numbers = true)]
    pub(crate) limit: Option<u64>,
    #[command(flatten)]
    pub(crate) common: ConsumeOptions,
}

#[derive(Debug, Args)]
pub(crate) struct ReplayArgs {
    /// The id of the message to replay (or --since for a time window).
    #[arg(
        value_name = "MESSAGE_ID",
        required_unless_present = "since",
        conflicts_with = "since"
    )]
    pub(crate) message_id: Option<String>,
    /// The datagrepper to fetch from.
    #[arg(long, value_name = "URL", default_value = DEFAULT_URL)]
    pub(crate) datagrepper_url: String,
    /// Replay every message sent at or after TIME: ISO-8601 (UTC when no offset is given), a
    /// date, or seconds since the epoch.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub(crate) since: Option<DateTime<Utc>>,
    /// ... and at or before TIME (default: when the command starts).
    #[arg(long, value_name = "TIME", value_parser = parse_time, requires = "since")]
    pub(crate) until: Option<DateTime<Utc>>,
    /// Only messages on this topic (repeatable).
    #[arg(long = "topic", value_name = "TOPIC", requires = "since")]
    pub(crate) topics: Vec<String>,
    /// Only messages of this category, the application part of the topic (repeatable).
    #[arg(long = "category", value_name = "NAME", requires = "since")]
    pub(crate) categories: Vec<String>,
    /// Only messages about this user (repeatable).
    #[arg(long = "user", value_name = "NAME", requires = "since")]
    pub(crate) users: Vec<String>,
    /// Only messages about this package (repeatable).
    #[arg(long = "package", value_name = "NAME", requires = "since")]
    pub(crate) packages: Vec<String>,
    /// Only messages whose body contains TEXT (datagrepper wants --topic or --category with it).
    #[arg(long = "contains", value_name = "TEXT", requires = "since")]
    pub(crate) contains: Vec<String>,
    /// Do not publish the message with this id (repeatable; the resume command uses it).
    #[arg(long = "skip", value_name = "ID", requires = "since")]
    pub(crate) skip: Vec<String>,
    /// Publish nothing: print the messages as `record` lines on standard output.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// The exchange to publish to (default: publish_exchange from the config).
    #[arg(long, value_name = "NAME")]
    pub(crate) to_exchange: Option<String>,
    /// Seconds to wait for the broker's confirm of each message (a positive, finite number).
    #[arg(long, default_value_t = DEFAULT_CONFIRM_TIMEOUT, value_name = "SECONDS", value_parser = positive_seconds, allow_hyphen_values = true)]
    pub(crate) timeout: f64,
}

#[derive(Debug, Args)]
pub(crate) struct ReconsumeArgs {
    /// The id of the message (a UUID).
    #[arg(value_name = "MESSAGE_ID", value_parser = parse_uuid)]
    pub(crate) message_id: String,
    /// The datagrepper to fetch from.
    #[arg(long, value_name = "URL", default_value = DEFAULT_URL)]
    pub(crate) datagrepper_url: String,
    /// Run CMD (through `sh -c`) with the message, as `consume --exec` does.
    #[arg(long, value_name = "CMD")]
    pub(crate) exec: Option<String>,
    /// Print the message as one JSON line (the `record` format) instead of Python's long form.
    #[arg(long, conflicts_with = "exec")]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    /// The schema repo.
    #[arg(value_name = "SCHEMA_DIR")]
    pub(crate) schemas: PathBuf,
    /// Write to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Write nothing; exit 1 if FILE (-o) differs from what would be generated.
    #[arg(long, requires = "output")]
    pub(crate) check: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CatalogArgs {
    /// The schema repo.
    #[arg(value_name = "SCHEMA_DIR")]
    pub(crate) schemas: PathBuf,
    /// The folder to write the site into (made if missing).
    #[arg(short, long, value_name = "DIR")]
    pub(crate) output: PathBuf,
    /// The site's title.
    #[arg(long, value_name = "TEXT", default_value = "Fedora message catalog")]
    pub(crate) title: String,
    /// Do not read the schemas' history from git.
    #[arg(long)]
    pub(crate) no_history: bool,
}

#[derive(Debug, Args)]
pub(crate) struct AsyncapiArgs {
    /// The schema repo.
    #[arg(value_name = "SCHEMA_DIR")]
    pub(crate) schemas: PathBuf,
    /// Write to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// yaml or json (default: json for a FILE ending in .json, else yaml).
    #[arg(long, value_enum)]
    pub(crate) format: Option<DocFormat>,
    /// info.title of the document.
    #[arg(long, value_name = "TEXT", default_value = "Fedora message bus")]
    pub(crate) title: String,
    /// info.version of the document: the version of the schema repo.
    #[arg(long = "doc-version", value_name = "VERSION", default_value = "1.0.0")]
    pub(crate) doc_version: String,
}

/// `--format` of `asyncapi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DocFormat {
    Yaml,
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// The schema repo holding the schemas the messages name.
    #[arg(long, value_name = "DIR")]
    pub(crate) schemas: Option<PathBuf>,
    /// The file of messages, one JSON object per line; `-` for standard input.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct CompatArgs {
    /// The versions, oldest first, the new one last: folders or REV:PATH.
    #[arg(value_name = "VERSION", num_args = 2.., required = true)]
    pub(crate) versions: Vec<String>,
    /// Which readers must keep working.
    #[arg(long, value_enum, default_value = "full-transitive")]
    pub(crate) mode: CompatMode,
    /// Also fail on changes that break only in the strict sense (e.g. a property added to an
    /// open object, which old messages may use with another meaning).
    #[arg(long)]
    pub(crate) strict: bool,
    /// Also fail on changes that break Rust code using the generated types.
    #[arg(long)]
    pub(crate) rust_api: bool,
    /// Output: text, json, or github (workflow annotations on the schema files).
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) format: CompatFormat,
}

/// `--mode` of `compat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum CompatMode {
    Backward,
    Forward,
    Full,
    BackwardTransitive,
    ForwardTransitive,
    FullTransitive,
}

/// `--format` of `compat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum CompatFormat {
    Text,
    Json,
    Github,
}

/// Seconds `publish` and `replay` wait for a confirm by default.
pub(crate) const DEFAULT_CONFIRM_TIMEOUT: f64 = 30.0;

/// A number of seconds: finite and above zero. NaN, infinities, zero and negative values are usage
/// errors (exit 2) that clap reports with the option's name.
fn positive_seconds(text: &str) -> Result<f64, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !secs.is_finite() || secs <= 0.0 {
        return Err(format!(
            "{text:?} is not a positive, finite number of seconds"
        ));
    }
    // Durations top out near 584 billion years; anything past a century is a typo.
    if secs > 3_153_600_000.0 {
        return Err(format!("{text:?} seconds is more than a century"));
    }
    Ok(secs)
}

/// A point in time: RFC 3339 / ISO-8601 with an offset, without one (UTC, as datagrepper reads
/// it), a date (its midnight UTC), or seconds since the epoch.
pub(crate) fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(t.and_utc());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    if let Ok(secs) = text.parse::<f64>() {
        if secs.is_finite() {
            // Microseconds, datagrepper's precision.
            #[allow(clippy::cast_possible_truncation)]
            let micros = (secs * 1e6).round() as i64;
            if let Some(t) = DateTime::from_timestamp_micros(micros) {
                return Ok(t);
            }
        }
    }
    Err(format!(
        "{text:?} is not a time: use ISO-8601 (2026-12-01T10:00:00Z), a date (2026-12-01) or \
         seconds since the epoch"
    ))
}

/// A message id that must be a UUID, as Python's `reconsume` wants it.
fn parse_uuid(text: &str) -> Result<String, String> {
    uuid::Uuid::parse_str(text)
        .map(|_| text.to_owned())
        .map_err(|_| format!("{text:?} is not a valid UUID"))
}

#[cfg(test)]
mod tests {
    use super::{parse_time, parse_uuid, positive_seconds};

    #[test]
    fn times_in_every_form_datagrepper_takes() {
        let t = |s: &str| parse_time(s).map(|t| t.to_rfc3339());
        let noon = Ok("2026-12-01T12:00:00+00:00".to_string());
        assert_eq!(t("2026-12-01T12:00:00Z"), noon);
        assert_eq!(t("2026-12-01T13:00:00+01:00"), noon);
        assert_eq!(t("2026-12-01T12:00:00"), noon, "no offset: UTC");
        assert_eq!(t("2026-12-01 12:00:00"), noon);
        assert_eq!(t("1796126400"), noon, "epoch seconds");
        assert_eq!(
            t("1796126400.000001"),
            Ok("2026-12-01T12:00:00.000001+00:00".to_string())
        );
        assert_eq!(t("2026-12-01"), Ok("2026-12-01T00:00:00+00:00".to_string()));
        for bad in ["yesterday", "", "2026-13-01", "NaN", "1e300"] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reconsume_ids_are_uuids() {
        assert!(parse_uuid("6b4f8d6c-6c1f-4c54-8a1f-5e4f9e6b0f2a").is_ok());
        assert!(parse_uuid("2024-6b4f8d6c").is_err());
    }

    #[test]
    fn seconds_must_be_positive_and_finite() {
        assert_eq!(positive_seconds("2.5"), Ok(2.5));
        for bad in ["inf", "-inf", "NaN", "nan", "0", "-1", "1e300", "soon", ""] {
            assert!(positive_seconds(bad).is_err(), "{bad}");
        }
    }
}
