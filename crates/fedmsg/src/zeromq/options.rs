//! The socket options every fedmsg socket gets, from the configuration.

use crate::Config;

/// libzmq's own default high-water mark, which fedmsg leaves in force when `high_water_mark` is 0.
pub const DEFAULT_HIGH_WATER_MARK: i32 = 1000;

/// The options set on each socket: always all of them, so that behaviour does not depend on
/// which keys a configuration happens to have (fedmsg sets keepalive and reconnect options only
/// when they are present).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketOptions {
    /// Messages queued per peer before sends fail (publisher) or receives drop (subscriber).
    pub high_water_mark: i32,
    /// Milliseconds a closing socket keeps delivering.
    pub linger_ms: i32,
    /// `TCP_KEEPALIVE` (1: on), against idle connections that vanish silently.
    pub tcp_keepalive: i32,
    /// `TCP_KEEPALIVE_CNT`.
    pub tcp_keepalive_cnt: i32,
    /// `TCP_KEEPALIVE_IDLE`, seconds.
    pub tcp_keepalive_idle: i32,
    /// `TCP_KEEPALIVE_INTVL`, seconds.
    pub tcp_keepalive_intvl: i32,
    /// First reconnect delay, milliseconds.
    pub reconnect_ivl_ms: i32,
    /// The reconnect backoff's ceiling, milliseconds (against SYN storms on big buses).
    pub reconnect_ivl_max_ms: i32,
}

fn ms(d: std::time::Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

impl SocketOptions {
    /// The options `config` asks for; a `high_water_mark` of 0 is libzmq's 1000, set explicitly.
    pub fn from_config(config: &Config) -> Self {
        Self::with_high_water_mark(config, config.high_water_mark)
    }

    /// The options of `config` with another high-water mark (the gateway has its own key).
    pub fn with_high_water_mark(config: &Config, hwm: u32) -> Self {
        let high_water_mark = match i32::try_from(hwm) {
            Ok(0) => DEFAULT_HIGH_WATER_MARK,
            Ok(n) => n,
            Err(_) => i32::MAX,
        };
        Self {
            high_water_mark,
            linger_ms: ms(config.zmq_linger),
            tcp_keepalive: config.zmq_tcp_keepalive,
            tcp_keepalive_cnt: config.zmq_tcp_keepalive_cnt,
            tcp_keepalive_idle: config.zmq_tcp_keepalive_idle,
            tcp_keepalive_intvl: config.zmq_tcp_keepalive_intvl,
            reconnect_ivl_ms: ms(config.zmq_reconnect_ivl),
            reconnect_ivl_max_ms: ms(config.zmq_reconnect_ivl_max),
        }
    }

    pub(crate) fn apply(&self, socket: &zmq::Socket) -> zmq::Result<()> {
        socket.set_sndhwm(self.high_water_mark)?;
        socket.set_rcvhwm(self.high_water_mark)?;
        socket.set_linger(self.linger_ms)?;
        socket.set_tcp_keepalive(self.tcp_keepalive)?;
        socket.set_tcp_keepalive_cnt(self.tcp_keepalive_cnt)?;
        socket.set_tcp_keepalive_idle(self.tcp_keepalive_idle)?;
        socket.set_tcp_keepalive_intvl(self.tcp_keepalive_intvl)?;
        socket.set_reconnect_ivl(self.reconnect_ivl_ms)?;
        socket.set_reconnect_ivl_max(self.reconnect_ivl_max_ms)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_means_libzmq_default_set_explicitly() {
        let mut c = Config::default();
        assert_eq!(SocketOptions::from_config(&c).high_water_mark, 1000);
        c.high_water_mark = 50;
        assert_eq!(SocketOptions::from_config(&c).high_water_mark, 50);
        assert_eq!(
            SocketOptions::with_high_water_mark(&c, 10_000).high_water_mark,
            10_000
        );
        let o = SocketOptions::from_config(&c);
        assert_eq!(
            (o.linger_ms, o.reconnect_ivl_ms, o.reconnect_ivl_max_ms),
            (1000, 100, 1000)
        );
        assert_eq!((o.tcp_keepalive, o.tcp_keepalive_idle), (1, 60));
    }
}
