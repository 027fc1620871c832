//! `fedora-messaging consume` and `fedora-messaging record`.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use fedora_messaging::amqp::config::Config;
use fedora_messaging::amqp::consume::{ConsumeError, Consumer, HandlerError, Received, Stopped};
use fedora_messaging::{lines, Envelope};
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::{ConsumeArgs, ConsumeOptions, RecordArgs};
use crate::exec;

/// Applies the options as Python does: each one overrides every binding.
fn apply(mut config: Config, o: &ConsumeOptions) -> Result<Config, String> {
    if let Some(q) = &o.queue_name {
        let settings = config.queues.get("").cloned().ok_or(
            "--queue-name takes its queue settings from the \"\" queue in the config, and there is none",
        )?;
        config.queues = BTreeMap::from([(q.clone(), settings)]);
        for b in &mut config.bindings {
            b.queue.clone_from(q);
        }
    }
    if let Some(e) = &o.exchange {
        for b in &mut config.bindings {
            b.exchange.clone_from(e);
        }
    }
    if !o.routing_keys.is_empty() {
        for b in &mut config.bindings {
            b.routing_keys.clone_from(&o.routing_keys);
        }
    }
    if let Some(app) = &o.app_name {
        config
            .client_properties
            .insert("app".into(), app.clone().into());
    }
    Ok(config)
}

fn exit_code(result: Result<Stopped, ConsumeError>) -> i32 {
    match result {
        Ok(Stopped::Shutdown) => 0,
        Ok(Stopped::Halted { exit_code }) => {
            if exit_code != 0 {
                tracing::error!(exit_code, "consumer halted");
            }
            exit_code
        }
        Err(e) => {
            eprintln!("Error: {e}");
            e.exit_code()
        }
    }
}

pub(crate) async fn consume(config: Config, args: ConsumeArgs) -> i32 {
    let config = match apply(config, &args.common) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Error: {e}");
            return 2;
        }
    };
    let mut consumer = Consumer::new(config)
        .concurrency(args.concurrency as usize)
        .stop_on_signals();
    if let Some(n) = args.max_redeliveries {
        consumer = consumer.max_redeliveries(n);
    }
    let result = match args.exec {
        Some(cmd) => {
            let cmd = Arc::new(cmd);
            consumer
                .run(move |m: Received| {
                    let cmd = Arc::clone(&cmd);
                    async move { exec::run(&cmd, m.envelope()).await }
                })
                .await
        }
        None => {
            let json = args.json;
            consumer
                .run(move |m: Received| async move {
                    print_message(m.envelope(), json)?;
                    Ok(())
                })
                .await
        }
    };
    exit_code(result)
}

/// Prints a message as `consume` does: Python's long form, or one `record` line.
pub(crate) fn print_message(env: &Envelope, json: bool) -> std::io::Result<()> {
    let text = if json {
        lines::dumps(env)
    } else {
        format!("{}\n\n", env.long_form())
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

pub(crate) async fn record(config: Config, args: RecordArgs) -> i32 {
    let mut common = args.common;
    common.app_name.get_or_insert_with(|| "recorder".into());
    let config = match apply(config, &common) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Error: {e}");
            return 2;
        }
    };
    let file = match std::fs::File::create(&args.file) {
        Ok(f) => Arc::new(Mutex::new(f)),
        Err(e) => {
            eprintln!(
                "Error: Invalid value for 'FILE': {}: {e}",
                args.file.display()
            );
            return 2;
        }
    };
    // Drawn only when standard error is a terminal.
    let bar = match args.limit {
        Some(n) => ProgressBar::new(n).with_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} messages")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::new_spinner(),
    };
    let count = Arc::new(AtomicU64::new(0));
    let limit = args.limit;
    let consumer = Consumer::new(config).stop_on_signals();
    let result = consumer
        .run(move |m: Received| {
            let (file, bar, count) = (Arc::clone(&file), bar.clone(), Arc::clone(&count));
            async move {
                let line = lines::dumps(m.envelope());
                let written = {
                    let mut f = file.lock().unwrap_or_else(|e| e.into_inner());
                    f.write_all(line.as_bytes()).and_then(|()| f.flush())
                };
                if let Err(e) = written {
                    tracing::error!(error = %e, "cannot write the record file");
                    // Python: HaltConsumer(exit_code=1), and the message is not lost (requeued).
                    return Err(HandlerError::Halt {
                        exit_code: 1,
                        requeue: true,
                    });
                }
                bar.inc(1);
                let n = count.fetch_add(1, Ordering::SeqCst) + 1;
                if limit.is_some_and(|l| n >= l) {
                    bar.finish();
                    return Err(HandlerError::Halt {
                        exit_code: 0,
                        requeue: false,
                    });
                }
                Ok(())
            }
        })
        .await;
    exit_code(result)
}
