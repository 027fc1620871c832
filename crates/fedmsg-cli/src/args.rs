//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// fedmsg, the Fedora bus on ZeroMQ: tail it, log to it, relay it, expose it.
///
/// The configuration is fedmsg's own: every *.py (and *.toml) file of /etc/fedmsg.d, ~/.fedmsg.d,
/// ./fedmsg.d and $VIRTUAL_ENV/etc/fedmsg.d, then fedmsg-config.py files; FEDMSG_CONFIG or
/// --config replaces the search. Python files are evaluated once by python3 (FEDMSG_PYTHON names
/// another interpreter); `fedmsg config` prints the result as Python-free TOML.
#[derive(Debug, Parser)]
#[command(name = "fedmsg", version)]
pub(crate) struct Cli {
    /// A configuration file (.py or .toml) or folder of them, instead of the search.
    #[arg(long, global = true, value_name = "DIR|FILE")]
    pub(crate) config: Option<PathBuf>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Print every message on the bus (fedmsg-tail); over STOMP when zmq_enabled is false.
    Tail(TailArgs),
    /// Publish lines of text or JSON through the relay (fedmsg-logger), or to the STOMP broker
    /// when zmq_enabled is false.
    Logger(LoggerArgs),
    /// Relay: a SUB bound on relay_inbound, re-published on endpoints.relay_outbound (fedmsg-relay).
    Relay(RelayArgs),
    /// Re-broadcast every message of the bus on one port (fedmsg-gateway).
    Gateway(GatewayArgs),
    /// Print the configuration read, every key with its value, as TOML.
    Config,
}

#[derive(Debug, Args)]
pub(crate) struct TailArgs {
    /// Subscribe to topics starting with this (everything by default).
    #[arg(long, default_value = "")]
    pub(crate) topic: String,
    /// Only show topics that match this regular expression.
    #[arg(long, value_name = "REGEXP", default_value = "")]
    pub(crate) include: String,
    /// Hide topics that match this regular expression.
    #[arg(long, value_name = "REGEXP", default_value = "_heartbeat")]
    pub(crate) exclude: String,
    /// Comma-separated users: only messages sent by one of them (`username`) or naming one as
    /// `msg.agent`.
    #[arg(long, value_name = "USERS", value_delimiter = ',')]
    pub(crate) users: Vec<String>,
    /// Comma-separated packages: only messages whose `msg.package`, `msg.packages` or
    /// `msg.build.package` names one of them.
    #[arg(long, value_name = "PACKAGES", value_delimiter = ',')]
    pub(crate) packages: Vec<String>,
    /// One line per message: `<topic without prefix> -- <summary> (<user>)`.
    #[arg(long, group = "format")]
    pub(crate) terse: bool,
    /// Indented JSON, without signature and certificate.
    #[arg(long, group = "format")]
    pub(crate) pretty: bool,
    /// Indented JSON with sorted keys, without signature and certificate.
    #[arg(long, group = "format")]
    pub(crate) really_pretty: bool,
    /// One JSON object per line: the envelope as received (canonical JSON), for scripts.
    #[arg(long, group = "format")]
    pub(crate) json: bool,
    /// Validate signatures against ca_cert_location and crl_location, dropping (and counting)
    /// what fails (overrides validate_signatures).
    #[arg(long, overrides_with = "no_validate")]
    pub(crate) validate: bool,
    /// Do not validate signatures (overrides validate_signatures).
    #[arg(long)]
    pub(crate) no_validate: bool,
    /// Stop after this many messages were printed.
    #[arg(long, value_name = "N")]
    pub(crate) count: Option<u64>,
}

#[derive(Debug, Args)]
pub(crate) struct LoggerArgs {
    /// The text to send as {"log": TEXT}; otherwise each line of standard input is one message.
    #[arg(long)]
    pub(crate) message: Option<String>,
    /// Standard input is one JSON document: the message.
    #[arg(long)]
    pub(crate) json_input: bool,
    /// The topic, after the modname.
    #[arg(long, default_value = "log")]
    pub(crate) topic: String,
    /// The modname: the part of the topic naming the sender.
    #[arg(long, default_value = "logger")]
    pub(crate) modname: String,
    /// Which certnames entry signs (`<prefix>.<short host>`), when sign_messages is on.
    #[arg(long, default_value = "shell")]
    pub(crate) cert_prefix: String,
    /// Before sending, wait until this many subscriptions reached the socket (0: sleep
    /// post_init_sleep instead, as Python does).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub(crate) wait_subscribers: usize,
    /// How long to wait for them, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub(crate) wait_timeout: f64,
}

#[derive(Debug, Args)]
pub(crate) struct RelayArgs {
    /// Sign every message forwarded with certnames["signing_relay"] (fedmsg-signing-relay).
    #[arg(long)]
    pub(crate) sign: bool,
}

#[derive(Debug, Args)]
pub(crate) struct GatewayArgs {
    /// The port to re-broadcast on (default: fedmsg.consumers.gateway.port, 9940).
    #[arg(long)]
    pub(crate) port: Option<u16>,
}
