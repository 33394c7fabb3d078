//! Loss recovery: duplicate ACKs, fast retransmit, and fast recovery —
//! NewReno (RFC 5681 §3.2, RFC 6582) when the peer does not SACK, and the
//! SACK-based recovery of RFC 6675 when it does.
//!
//! Without SACK the sender only knows that *something* after `SND.UNA` is
//! missing: it retransmits the first segment, inflates the window by one
//! segment per duplicate ACK, and on each partial ACK retransmits the next
//! segment.
//!
//! With SACK the scoreboard says which bytes arrived. Recovery then follows
//! RFC 6675: the window drops to `ssthresh` without inflation, the sender
//! estimates the data still in the network (`pipe`: outstanding bytes,
//! minus SACKed ones, minus holes presumed lost and not yet resent) and
//! sends while `pipe` is below the window — first the holes, in order, then
//! new data.

use super::event::bump;
use super::{Connection, Flags};
use crate::tcp::scoreboard::DUP_THRESH;
use crate::tcp::seq::SeqNumber;
use crate::time::{Duration, Instant};
use crate::wire::TcpRepr;

impl Connection {
    /// Feeds the SACK blocks of an acceptable ACK to the scoreboard and
    /// returns how many bytes they newly cover.
    pub(super) fn take_sack(&mut self, seg: &TcpRepr<'_>) -> usize {
        if !self.opts.sack {
            return 0;
        }
        let mut blocks = [(SeqNumber::default(), SeqNumber::default()); 4];
        let mut n = 0;
        for &(left, right) in seg.sack_ranges.iter().flatten() {
            blocks[n] = (SeqNumber::new(left), SeqNumber::new(right));
            n += 1;
        }
        if n == 0 {
            self.scoreboard.advance(self.snd_una);
            return 0;
        }
        self.scoreboard
            .update(self.snd_una, self.snd_max, &blocks[..n])
    }

    /// Window bookkeeping for an ACK that moved `SND.UNA` by `data` bytes.
    pub(super) fn recovery_on_new_ack(
        &mut self,
        now: Instant,
        ack: SeqNumber,
        data: usize,
        rtt: Duration,
    ) {
        self.dup_acks = 0;
        if !self.cc.in_recovery() {
            self.cc.on_ack(now, data, rtt);
            return;
        }
        if ack.ge(self.recover) {
            // A full ACK: everything outstanding at the loss is delivered.
            self.cc.on_exit_recovery(self.flight_size());
            self.flags.off(Flags::SACK_RECOVERY);
        } else if self.flags.has(Flags::SACK_RECOVERY) {
            // RFC 6675 keeps the window at ssthresh; `pipe` does the rest.
            if self.rexmit_next.lt(self.snd_una) {
                self.rexmit_next = self.snd_una;
            }
        } else {
            // RFC 6582 §3.2 step 5: a partial ACK; the next hole is lost too.
            self.cc.on_partial_ack(data);
            self.flags.on(Flags::RETRANSMIT);
        }
    }

    /// A duplicate ACK (RFC 5681 §2), or with SACK one that reports new
    /// data held past a hole (RFC 6675 §2).
    pub(super) fn on_duplicate_ack(&mut self, now: Instant) {
        self.dup_acks = self.dup_acks.saturating_add(1);
        bump(&mut self.stats.dup_acks);
        if self.cc.in_recovery() {
            if !self.flags.has(Flags::SACK_RECOVERY) {
                // RFC 5681 §3.2 step 4: each further duplicate means a
                // segment has left the network.
                self.cc.inflate(1);
            }
            return;
        }
        let mss = self.opts.send_mss();
        let lost = self.opts.sack && self.scoreboard.is_lost(self.snd_una, mss);
        // RFC 6582 §3.2 step 2 (and RFC 6675 §5): enter recovery on the
        // third duplicate, or when SACKs show the first segment is lost —
        // unless the duplicates may be echoes of a recovery that just ended.
        if (self.dup_acks as usize >= DUP_THRESH || lost) && self.snd_una.gt(self.recover) {
            self.enter_recovery(now);
        }
    }

    fn enter_recovery(&mut self, now: Instant) {
        self.recover = self.snd_max;
        self.cc.on_enter_recovery(now, self.flight_size());
        bump(&mut self.stats.fast_retransmits);
        if self.opts.sack && !self.scoreboard.is_empty() {
            self.flags.on(Flags::SACK_RECOVERY);
            self.rexmit_next = self.snd_una;
        } else {
            self.flags.off(Flags::SACK_RECOVERY);
            self.cc.inflate(DUP_THRESH);
        }
        // Both: the first missing segment goes out at once, whatever the
        // window says (RFC 5681 §3.2 step 2, RFC 6675 §5 step 4.3).
        self.flags.on(Flags::RETRANSMIT);
    }

    /// Forgets recovery after a retransmission timeout. SACK information
    /// survives one timeout (RFC 6675 §5.1) but not two in a row, in case
    /// the peer discarded data it had SACKed (RFC 2018 §8).
    pub(super) fn recovery_on_timeout(&mut self) {
        self.flags.off(Flags::SACK_RECOVERY);
        self.rexmit_next = self.snd_una;
        self.dup_acks = 0;
        self.recover = self.snd_max;
        if self.rto_count >= 2 {
            self.scoreboard.clear();
        }
    }

    /// RFC 6675 `pipe`: bytes presumed still in the network.
    pub(super) fn pipe(&self) -> usize {
        let outstanding = self.snd_max.distance_from(self.snd_una) as usize;
        let sacked = self.scoreboard.sacked_bytes();
        let from = self.rexmit_next.max(self.snd_una);
        let lost = match self.scoreboard.highest() {
            Some(high) if high.gt(from) => (high.distance_from(from) as usize)
                .saturating_sub(self.scoreboard.sacked_above(from)),
            _ => 0,
        };
        outstanding.saturating_sub(sacked).saturating_sub(lost)
    }

    /// Room the congestion window leaves for more data.
    pub(super) fn cwnd_room(&self) -> usize {
        let used = if self.flags.has(Flags::SACK_RECOVERY) {
            self.pipe()
        } else {
            self.flight_size()
        };
        self.cc.window().saturating_sub(used)
    }

    /// During SACK recovery: the next hole to resend, `(start, length)`,
    /// when the window has room for it (or regardless, with `force`).
    pub(super) fn next_sack_retransmission(&self, force: bool) -> Option<(SeqNumber, usize)> {
        if !self.flags.has(Flags::SACK_RECOVERY) || (!force && self.cwnd_room() == 0) {
            return None;
        }
        let (start, len) = self
            .scoreboard
            .next_hole(self.rexmit_next.max(self.snd_una))?;
        Some((start, len.min(self.opts.send_mss())))
    }
}
