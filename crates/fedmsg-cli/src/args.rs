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
    /// Bridge ZeroMQ to AMQP: every fedmsg message published to the `zmq.topic` exchange
    /// (fedmsg-migration-tools zmq_to_amqp), confirmed by the broker, retried until it is.
    ZmqToAmqp(ZmqToAmqpArgs),
    /// Bridge AMQP to ZeroMQ: consume the fedora-messaging configuration's queues and send each
    /// message on a PUB socket as a fedmsg envelope (username "amqp-bridge"), signed when
    /// sign_messages is on; acked after the send.
    AmqpToZmq(AmqpToZmqArgs),
    /// Watch both buses and report messages seen on one side only (fedmsg-migration-tools
    /// verify_missing).
    VerifyMissing(VerifyMissingArgs),
}

/// Where the bridges read their configuration.
#[derive(Debug, Args)]
pub(crate) struct BridgeConfigArgs {
    /// The bridges' config.toml ([zmq_to_amqp], [verify_missing]); default
    /// /etc/fedmsg-migration-tools/config.toml when it exists.
    #[arg(long, value_name = "FILE", env = "FEDMSG_MIGRATION_TOOLS_CONFIG")]
    pub(crate) bridge_config: Option<PathBuf>,
    /// The fedora-messaging config.toml (amqp_url, queues, bindings, consumer_config); default
    /// $FEDORA_MESSAGING_CONF, else /etc/fedora-messaging/config.toml.
    #[arg(long, value_name = "FILE")]
    pub(crate) amqp_config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ZmqToAmqpArgs {
    #[command(flatten)]
    pub(crate) config: BridgeConfigArgs,
    /// The exchange to publish to (overrides zmq_to_amqp.exchange).
    #[arg(long)]
    pub(crate) exchange: Option<String>,
    /// A topic prefix to subscribe to; repeatable (overrides zmq_to_amqp.topics).
    #[arg(long = "topic", value_name = "PREFIX")]
    pub(crate) topics: Vec<String>,
    /// A ZeroMQ endpoint to connect to; repeatable (overrides zmq_to_amqp.zmq_endpoints).
    #[arg(long = "zmq-endpoint", value_name = "ENDPOINT")]
    pub(crate) zmq_endpoints: Vec<String>,
    /// A schema repo: messages whose topic one of its types has are sent as that type
    /// (fedora_messaging_schema and filter headers) instead of base.message.
    #[arg(long, value_name = "DIR")]
    pub(crate) schemas: Option<PathBuf>,
    /// Validate signatures, dropping (and counting) what fails (overrides validate_signatures).
    #[arg(long, overrides_with = "no_validate")]
    pub(crate) validate: bool,
    /// Do not validate signatures (overrides validate_signatures).
    #[arg(long)]
    pub(crate) no_validate: bool,
}

#[derive(Debug, Args)]
pub(crate) struct AmqpToZmqArgs {
    #[command(flatten)]
    pub(crate) config: BridgeConfigArgs,
    /// The ZeroMQ endpoint to publish on (overrides consumer_config.publish_endpoint, default
    /// tcp://*:9940).
    #[arg(long, value_name = "ENDPOINT")]
    pub(crate) publish_endpoint: Option<String>,
    /// Connect the PUB socket to the endpoint (a relay) instead of binding it (overrides
    /// consumer_config.remote_publish).
    #[arg(long)]
    pub(crate) remote: bool,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyMissingArgs {
    #[command(flatten)]
    pub(crate) config: BridgeConfigArgs,
    /// A ZeroMQ endpoint to watch; repeatable (overrides verify_missing.zmq_endpoints, which
    /// defaults to zmq_to_amqp.zmq_endpoints).
    #[arg(long = "zmq-endpoint", value_name = "ENDPOINT")]
    pub(crate) zmq_endpoints: Vec<String>,
    /// Seconds an id may be seen on one side only before it is reported (overrides
    /// verify_missing.window, default 60).
    #[arg(long, value_name = "SECONDS")]
    pub(crate) window: Option<u64>,
    /// Seconds between two reports of the counts (overrides verify_missing.report_every,
    /// default 10).
    #[arg(long, value_name = "SECONDS")]
    pub(crate) report_every: Option<u64>,
    /// Print each report as one JSON line on standard output ({"missing": …} or {"counts": …}),
    /// for monitoring.
    #[arg(long)]
    pub(crate) json: bool,
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
