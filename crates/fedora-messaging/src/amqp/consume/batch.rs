//! Acks held back while more deliveries are ready, then sent as one `multiple` ack: one frame and
//! one hand-off to the AMQP client's I/O thread for several messages instead of one each.
//!
//! Only with one handler at a time: then, when a handler answers, every earlier delivery of its
//! channel has been settled (acked, nacked, or held here), so an ack "up to this tag" covers
//! exactly the held messages. A message is held only after its handler succeeded; the consume loop
//! sends what is held as soon as no delivery is waiting, when `limit` messages are held, when the
//! first of them has waited [`MAX_HOLD`], and before any other settlement, so nothing stays unacked
//! while the consumer is idle and no ack waits for long behind slow handlers.

use std::time::{Duration, Instant};

/// The longest an ack is held while handlers keep running.
pub(super) const MAX_HOLD: Duration = Duration::from_millis(10);

/// A handler that took this long gains nothing from a held ack: its ack goes out at once.
pub(super) const SLOW_HANDLER: Duration = Duration::from_millis(1);

/// An ack to send on one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Ack {
    /// The delivery tag.
    pub(super) tag: u64,
    /// Whether it acks every unacked delivery of the channel up to `tag`.
    pub(super) multiple: bool,
}

#[derive(Debug, Clone, Copy, Default)]
struct Held {
    highest: u64,
    count: usize,
    /// When the first of the held acks was held.
    since: Option<Instant>,
    /// A delivery of this channel was left unacked on purpose (its handler panicked): an ack up to
    /// a later tag would ack it too, so this channel acks one message at a time from then on.
    unsettled_below: bool,
}

/// The acks held back, per channel (indexes as the consume session's channels).
#[derive(Debug)]
pub(super) struct AckBatch {
    held: Vec<Held>,
    limit: usize,
}

impl AckBatch {
    /// Holds at most `limit` acks per channel; a `limit` of 0 or 1 holds none (every ack is sent
    /// at once), as with several handlers at a time.
    pub(super) fn new(channels: usize, limit: usize) -> Self {
        Self {
            held: vec![Held::default(); channels],
            limit,
        }
    }

    /// The limit for a consumer: half the prefetch (the broker sends more only as acks come, so
    /// holding the whole prefetch would stall it), at most 32; none with several handlers.
    pub(super) fn limit_for(prefetch: u16, concurrency: usize) -> usize {
        if concurrency > 1 {
            return 0;
        }
        let prefetch = if prefetch == 0 {
            64
        } else {
            usize::from(prefetch)
        };
        (prefetch / 2).min(32)
    }

    /// Whether nothing is held.
    pub(super) fn is_empty(&self) -> bool {
        self.held.iter().all(|h| h.count == 0)
    }

    /// The message `tag` of `channel` was handled successfully at `now`, its handler having taken
    /// `took`: holds its ack, or returns the ack to send now, covering the ones held before it
    /// (the channel's batch is full or has waited [`MAX_HOLD`], the handler was slow, or this
    /// channel cannot batch).
    pub(super) fn hold(
        &mut self,
        channel: usize,
        tag: u64,
        now: Instant,
        took: Duration,
    ) -> Option<Ack> {
        let limit = self.limit;
        let held = &mut self.held[channel];
        if limit <= 1 || held.unsettled_below {
            return Some(Ack {
                tag,
                multiple: false,
            });
        }
        held.highest = held.highest.max(tag);
        held.count += 1;
        let since = *held.since.get_or_insert(now);
        if held.count >= limit
            || took >= SLOW_HANDLER
            || now.saturating_duration_since(since) >= MAX_HOLD
        {
            return Self::take(held);
        }
        None
    }

    /// A delivery of `channel` is left unacked on purpose: returns the held acks to send first;
    /// the channel holds none from now on.
    pub(super) fn left_unacked(&mut self, channel: usize) -> Option<Ack> {
        let held = &mut self.held[channel];
        let ack = Self::take(held);
        held.unsettled_below = true;
        ack
    }

    /// Every held ack, per channel, to send now.
    pub(super) fn drain(&mut self) -> Vec<(usize, Ack)> {
        self.held
            .iter_mut()
            .enumerate()
            .filter_map(|(i, h)| Self::take(h).map(|a| (i, a)))
            .collect()
    }

    fn take(held: &mut Held) -> Option<Ack> {
        let ack = match held.count {
            0 => None,
            n => Some(Ack {
                tag: held.highest,
                multiple: n > 1,
            }),
        };
        held.count = 0;
        held.since = None;
        ack
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: Duration = Duration::from_micros(20);

    fn t0() -> Instant {
        static T0: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        *T0.get_or_init(Instant::now)
    }

    #[test]
    fn a_slow_handler_sends_its_ack_and_the_held_ones_at_once() {
        let mut b = AckBatch::new(1, 32);
        assert_eq!(b.hold(0, 1, t0(), FAST), None);
        assert_eq!(
            b.hold(0, 2, t0(), SLOW_HANDLER),
            Some(Ack {
                tag: 2,
                multiple: true
            })
        );
        assert_eq!(
            b.hold(0, 3, t0(), SLOW_HANDLER * 5),
            Some(Ack {
                tag: 3,
                multiple: false
            })
        );
    }

    #[test]
    fn an_ack_is_not_held_longer_than_max_hold() {
        let mut b = AckBatch::new(1, 32);
        assert_eq!(b.hold(0, 1, t0(), FAST), None);
        assert_eq!(b.hold(0, 2, t0() + MAX_HOLD / 2, FAST), None);
        assert_eq!(
            b.hold(0, 3, t0() + MAX_HOLD, FAST),
            Some(Ack {
                tag: 3,
                multiple: true
            })
        );
        // The clock starts again with the next held ack.
        assert_eq!(b.hold(0, 4, t0() + MAX_HOLD * 3, FAST), None);
        assert!(!b.is_empty());
    }

    #[test]
    fn holds_until_the_limit_then_acks_up_to_the_highest_tag() {
        let mut b = AckBatch::new(2, 3);
        assert_eq!(b.hold(0, 1, t0(), FAST), None);
        assert_eq!(b.hold(0, 2, t0(), FAST), None);
        assert!(!b.is_empty());
        assert_eq!(
            b.hold(0, 3, t0(), FAST),
            Some(Ack {
                tag: 3,
                multiple: true
            })
        );
        assert!(b.is_empty());
    }

    #[test]
    fn one_held_message_is_acked_alone() {
        let mut b = AckBatch::new(1, 8);
        assert_eq!(b.hold(0, 7, t0(), FAST), None);
        assert_eq!(
            b.drain(),
            vec![(
                0,
                Ack {
                    tag: 7,
                    multiple: false
                }
            )]
        );
        assert!(b.drain().is_empty());
    }

    #[test]
    fn channels_are_held_apart() {
        let mut b = AckBatch::new(2, 8);
        b.hold(0, 1, t0(), FAST);
        b.hold(1, 1, t0(), FAST);
        b.hold(1, 2, t0(), FAST);
        assert_eq!(
            b.drain(),
            vec![
                (
                    0,
                    Ack {
                        tag: 1,
                        multiple: false
                    }
                ),
                (
                    1,
                    Ack {
                        tag: 2,
                        multiple: true
                    }
                )
            ]
        );
    }

    #[test]
    fn a_message_left_unacked_stops_batching_on_its_channel() {
        let mut b = AckBatch::new(2, 8);
        b.hold(0, 1, t0(), FAST);
        b.hold(0, 2, t0(), FAST);
        // Tag 3 panicked: 1 and 2 go first, and later acks of channel 0 never cover 3.
        assert_eq!(
            b.left_unacked(0),
            Some(Ack {
                tag: 2,
                multiple: true
            })
        );
        assert_eq!(
            b.hold(0, 4, t0(), FAST),
            Some(Ack {
                tag: 4,
                multiple: false
            })
        );
        // The other channel still batches.
        assert_eq!(b.hold(1, 1, t0(), FAST), None);
    }

    #[test]
    fn no_batching_with_several_handlers_or_a_prefetch_of_one() {
        assert_eq!(AckBatch::limit_for(100, 4), 0);
        assert_eq!(AckBatch::limit_for(1, 1), 0);
        assert_eq!(AckBatch::limit_for(10, 1), 5);
        assert_eq!(AckBatch::limit_for(1000, 1), 32);
        let mut b = AckBatch::new(1, AckBatch::limit_for(1, 1));
        assert_eq!(
            b.hold(0, 9, t0(), FAST),
            Some(Ack {
                tag: 9,
                multiple: false
            })
        );
    }
}
