//! What each timer does when it fires.

use super::event::bump;
use super::{Connection, Flags, State};
use crate::tcp::timer::Timer;
use crate::time::Instant;

impl Connection {
    /// Handles every timer due at `now`. Calling it early, or twice, is
    /// harmless: only expired timers act.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(timer) = self.timers.pop_expired(now) {
            match timer {
                Timer::Retransmit => self.on_retransmit_timeout(now),
                Timer::DelayedAck => self.flags.on(Flags::ACK),
                Timer::Persist => self.on_persist_timeout(now),
                Timer::Keepalive => self.on_keepalive_timeout(now),
                Timer::Linger => {
                    if matches!(self.state, State::FinWait2 | State::TimeWait) {
                        self.enter_closed();
                    }
                }
                Timer::UserTimeout => {
                    if self.snd_max != self.snd_una {
                        self.time_out();
                    }
                }
            }
            if self.state == State::Closed {
                self.timers.stop_all();
                return;
            }
        }
    }

    /// RFC 6298 §5.4–§5.6: retransmit the earliest unacknowledged segment,
    /// back the timer off, and give up after the configured number of tries.
    fn on_retransmit_timeout(&mut self, now: Instant) {
        if self.flags.has(Flags::PTO) {
            self.flags.off(Flags::PTO);
            return self.on_probe_timeout(now);
        }
        let limit = match self.state {
            State::SynSent => self.config.syn_retries,
            State::SynReceived => self.config.synack_retries,
            _ => self.config.max_retransmissions,
        };
        if self.snd_max == self.snd_una && self.state.is_synchronized() {
            // Nothing outstanding: a stale timer.
            return;
        }
        if super::reached(self.rto_count(), limit) {
            self.time_out();
            return;
        }
        if self.state.is_synchronized() {
            self.keep_for_undo(now, true);
        }
        let ts_rto = super::options::ts_clock(now, self.ts_offset());
        let loss = self.loss();
        loss.rto_count = loss.rto_count.saturating_add(1);
        bump(&mut loss.counters.timeouts);
        loss.ts_rto = ts_rto;
        let first = loss.rto_count == 1;
        self.flags.on(Flags::TS_RTO);
        self.rtt.on_timeout(self.rto_bounds());
        self.void_rtt_sample();
        if self.state.is_synchronized() {
            // RFC 5681 §3.1: collapse the window; ssthresh only drops on the
            // first timeout of this data.
            let flight = self.snd_max.distance_from(self.snd_una) as usize;
            let growth = &mut self.loss.make(self.snd_una, self.config.congestion).growth;
            self.cc.on_rto(now, flight, first, growth);
            // Go back to SND.UNA (skipping what the peer SACKed); after a
            // timeout, duplicate ACKs from before it must not start fast
            // retransmit (RFC 6582 §3.2 step 4: `recover` = SND.MAX).
            self.snd_nxt = self.snd_una;
            self.recovery_on_timeout();
        } else {
            self.flags.on(Flags::SYN);
        }
        self.timers.set(Timer::Retransmit, now + self.rto());
        self.flags.off(Flags::PTO);
    }

    /// RFC 9293 §3.8.6.1: probe a zero window, backing off like the RTO.
    /// Probing goes on as long as the peer answers (RFC 1122 §4.2.2.17),
    /// and ends the connection after `max_retransmissions` probes in a row
    /// without an answer.
    /// A window too small to send into with nothing in flight is probed
    /// the same way (the override timeout of §3.8.6.2.1).
    fn on_persist_timeout(&mut self, now: Instant) {
        let in_flight = self.snd_max != self.snd_una;
        if (self.snd_wnd > 0 && in_flight) || self.send.is_empty() || !self.state.is_synchronized()
        {
            self.persist_count = 0;
            return;
        }
        // Probing goes on as long as the peer answers (RFC 1122
        // §4.2.2.17); a peer that stays silent through as many probes as
        // a segment may be retransmitted is gone, and the connection ends
        // as it would after that many retransmissions.
        let limit = self.config.max_retransmissions;
        let loss = self.loss();
        if super::reached(loss.unanswered_probes, limit) {
            self.time_out();
            return;
        }
        loss.unanswered_probes = loss.unanswered_probes.saturating_add(1);
        self.flags.on(Flags::PROBE);
        self.persist_count = self.persist_count.saturating_add(1);
        self.timers
            .set(Timer::Persist, now + self.persist_interval());
    }

    /// RFC 9293 §3.8.4: after the idle time, probe; after the configured
    /// number of unanswered probes, give up.
    fn on_keepalive_timeout(&mut self, now: Instant) {
        let Some(k) = self.config.keepalive else {
            return;
        };
        if !matches!(self.state, State::Established | State::CloseWait) {
            return;
        }
        if self.snd_max != self.snd_una {
            // Data in flight: the retransmission timer is watching.
            self.timers.set(Timer::Keepalive, now + k.idle);
            return;
        }
        if super::reached(self.keepalive_count, k.probes) {
            self.time_out();
            return;
        }
        self.keepalive_count = self.keepalive_count.saturating_add(1);
        self.flags.on(Flags::KEEPALIVE);
        self.timers.set(Timer::Keepalive, now + k.interval);
    }
}
