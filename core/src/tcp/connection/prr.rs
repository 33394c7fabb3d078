//! Proportional Rate Reduction (RFC 6937) for SACK recovery.
//!
//! RFC 6675 alone drops the window to `ssthresh` at once and sends only
//! while `pipe` is below it. After a loss of several segments `pipe` sits
//! above `ssthresh` for most of a round trip, so nothing goes out at all,
//! and on a small window the ACK clock then stops: no segment in flight
//! means no ACK, no SACK, and the next loss waits for the retransmission
//! timer. PRR spreads the reduction over the round trip instead: while
//! `pipe` is above `ssthresh`, each ACK lets out data in proportion to
//! what it reported delivered (`ssthresh / RecoverFS` of it, about half
//! with Reno's halving); once `pipe` is at or below `ssthresh`, it grows
//! back towards `ssthresh` no faster than slow start would (the
//! slow-start reduction bound: what was delivered plus one segment). By
//! the end of recovery about `ssthresh` bytes are in flight, and the
//! window is `ssthresh` as before.
//!
//! In this crate the allowance is kept as the window the recovery sends
//! within: each ACK sets it to `pipe` plus what that ACK lets out, and
//! every segment sent counts against it through `pipe`, as Linux does with
//! its congestion window during recovery.

use super::{Connection, Flags};

/// The state of one reduction, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Prr {
    /// Data the peer reported delivered since recovery began (RFC 6937
    /// `prr_delivered`): cumulatively acknowledged or newly SACKed.
    delivered: u32,
    /// Data sent since recovery began, retransmissions included
    /// (`prr_out`).
    out: u32,
    /// The data in flight when recovery began (`RecoverFS`).
    recover_fs: u32,
    /// `pipe` when the last ACK came, plus what it lets out: the window
    /// the recovery sends within until the next ACK.
    limit: u32,
}

impl Prr {
    /// A reduction starting with `flight` bytes outstanding.
    pub(super) fn start(flight: usize) -> Prr {
        Prr {
            recover_fs: clamp(flight),
            ..Prr::default()
        }
    }

    /// Counts `bytes` sent.
    pub(super) fn sent(&mut self, bytes: usize) {
        self.out = self.out.saturating_add(clamp(bytes));
    }

    /// An ACK reported `delivered` bytes; `pipe` and `ssthresh` are as it
    /// left them, `mss` the segment size. Sets how far the recovery may
    /// fill the network until the next ACK.
    pub(super) fn on_ack(&mut self, delivered: usize, pipe: usize, ssthresh: usize, mss: usize) {
        self.delivered = self.delivered.saturating_add(clamp(delivered));
        let send = if pipe > ssthresh {
            // The proportional part: ssthresh / RecoverFS of what arrived,
            // rounded up to whole segments (Linux counts in packets), so
            // that the first ACK already lets one out and no allowance is
            // a fraction of a segment.
            let mss = mss.max(1) as u64;
            let due = (u64::from(self.delivered) * ssthresh as u64)
                .div_ceil(u64::from(self.recover_fs.max(1)))
                .div_ceil(mss)
                * mss;
            usize::try_from(due)
                .unwrap_or(usize::MAX)
                .saturating_sub(self.out as usize)
        } else {
            // Back up to ssthresh, no faster than slow start.
            let bound = (self.delivered.saturating_sub(self.out) as usize).max(delivered) + mss;
            (ssthresh - pipe).min(bound)
        };
        self.limit = clamp(pipe.saturating_add(send));
    }

    /// Room left under the limit with `pipe` bytes in the network.
    pub(super) fn room(&self, pipe: usize) -> usize {
        (self.limit as usize).saturating_sub(pipe)
    }
}

/// `n` as a `u32`, saturating (windows and flights stay far below 4 GiB).
fn clamp(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Connection {
    /// After an ACK during SACK recovery: `una_before` and `sacked_before`
    /// are `SND.UNA` and the SACKed bytes as they were before it.
    pub(super) fn prr_on_ack(
        &mut self,
        una_before: crate::tcp::seq::SeqNumber,
        sacked_before: usize,
    ) {
        let acked = self.snd_una.distance_from(una_before) as usize;
        let sacked = self.scoreboard().sacked_bytes();
        // SACKed bytes the ACK covered were delivered before: they leave
        // the SACKed count as they join the acknowledged one.
        let delivered = (acked + sacked).saturating_sub(sacked_before);
        let (pipe, ssthresh, mss) = (self.pipe(), self.cc.ssthresh(), self.send_mss());
        if let Some(loss) = self.loss.get_mut() {
            loss.prr.on_ack(delivered, pipe, ssthresh, mss);
        }
    }

    /// Counts a segment's `bytes` against the reduction, during SACK
    /// recovery.
    #[inline]
    pub(super) fn prr_sent(&mut self, bytes: usize) {
        if self.flags.has(Flags::SACK_RECOVERY)
            && let Some(loss) = self.loss.get_mut()
        {
            loss.prr.sent(bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6937's first example, in segments of 1000 bytes: 20 in flight,
    /// one lost, ssthresh 10. Each of the first ACKs delivers one segment
    /// and lets out one on every other ACK.
    #[test]
    fn proportional_part_sends_half_of_what_is_delivered() {
        let mut prr = Prr::start(20_000);
        let mut sent = 0;
        let mut pipe = 19_000;
        for _ in 0..10 {
            pipe -= 1000;
            prr.on_ack(1000, pipe, 10_000, 1000);
            let room = prr.room(pipe);
            assert!(room == 0 || room == 1000, "{room}");
            if room > 0 {
                prr.sent(1000);
                pipe += 1000;
                sent += 1;
            }
        }
        assert_eq!(sent, 5);
        assert_eq!(prr.out, 5000);
    }

    /// Below ssthresh the window grows back by at most what was delivered
    /// plus a segment per ACK, and never past ssthresh.
    #[test]
    fn reduction_bound_is_slow_start() {
        let mut prr = Prr::start(20_000);
        // Much was lost: pipe far below ssthresh.
        prr.on_ack(1000, 2000, 10_000, 1000);
        assert_eq!(prr.room(2000), 2000);
        prr.sent(2000);
        prr.on_ack(1000, 3000, 10_000, 1000);
        assert_eq!(prr.room(3000), 2000);
        // Close to ssthresh: only up to it.
        prr.sent(2000);
        prr.on_ack(5000, 9500, 10_000, 1000);
        assert_eq!(prr.room(9500), 500);
    }
}
