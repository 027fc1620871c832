//! Stopping gracefully: on SIGINT / SIGTERM, or from a [`StopHandle`].

use tokio::sync::watch;

/// Stops a running consumer gracefully from elsewhere (another task, a test).
#[derive(Debug, Clone)]
pub struct StopHandle(pub(super) watch::Sender<bool>);

impl StopHandle {
    /// Asks the consumer to stop: it takes no new message, lets the ones in progress finish, and
    /// returns [`Stopped::Shutdown`](super::Stopped::Shutdown).
    pub fn stop(&self) {
        let _ = self.0.send(true);
    }
}

/// Sends `true` on `stop` at the first SIGINT or SIGTERM (Ctrl-C elsewhere).
pub(super) fn spawn_signal_watch(stop: watch::Sender<bool>) {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let (Ok(mut term), Ok(mut int)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) else {
                return;
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("signal received; stopping gracefully");
        let _ = stop.send(true);
    });
}
