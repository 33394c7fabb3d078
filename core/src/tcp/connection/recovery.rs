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
//! sends first the holes, in order, then new data — as much as
//! proportional rate reduction allows (RFC 6937, `prr.rs`), which brings
//! `pipe` down to `ssthresh` over the round trip instead of at once.
//!
//! With timestamps, a response to a loss that was not one is undone
//! (Eifel detection, RFC 3522): the first ACK to cover the first byte
//! retransmitted echoes the timestamp of the transmission the peer got, and
//! one from before the response means the original arrived (it was only
//! reordered or delayed). The window, `ssthresh` and the algorithm's state
//! then go back to what they were; after a timeout, sending resumes at
//! `SND.MAX` instead of going back over data the peer holds (RFC 4015).
//! Without timestamps, with SACK, the peer's D-SACK blocks are the
//! evidence instead (RFC 3708): once every segment the response resent has
//! been reported received twice, none was needed.
//!
//! An undone fast retransmit also measures the path: the duplicate ACKs
//! before it count the segments that overtook the late one. The
//! duplicate-ACK threshold rises past that count (as Linux does with its
//! reordering estimate), so a path that reorders by five segments stops
//! costing a halved window every few round trips. It stays below half the
//! segments in flight, and a retransmission timeout sets it back to three.

use super::event::bump;
use super::loss::Undo;
use super::prr::Prr;
use super::{Connection, Flags};
use crate::tcp::scoreboard::{DUP_THRESH, Scoreboard};
use crate::tcp::seq::SeqNumber;
use crate::time::{Duration, Instant};
use crate::wire::TcpRepr;

/// How far (2^29 bytes) the NewReno recovery point may fall behind
/// `SND.UNA` before it is moved up to it: far past any window, and far
/// short of the 2^31 at which modular comparison turns around.
const RECOVER_REACH: i32 = 1 << 29;

/// The highest duplicate-ACK threshold reordering can teach a connection,
/// in segments (Linux stops at 300 by default; the threshold is also kept
/// to half the segments in flight).
pub(super) const MAX_REORDERING: u8 = 127;

impl Connection {
    /// Feeds the SACK blocks of an acceptable ACK to the scoreboard and
    /// returns how many bytes they newly cover.
    pub(super) fn take_sack(&mut self, seg: &TcpRepr<'_>) -> usize {
        if !self.opts.sack() {
            return 0;
        }
        let mut blocks = [(SeqNumber::default(), SeqNumber::default()); 4];
        let mut n = 0;
        for &(left, right) in seg.sack_ranges.iter().flatten() {
            blocks[n] = (SeqNumber::new(left), SeqNumber::new(right));
            n += 1;
        }
        let (una, max) = (self.snd_una, self.snd_max);
        if let Some(loss) = self.loss.get_mut() {
            if n == 0 {
                loss.scoreboard.advance(una);
                return 0;
            }
            return loss.scoreboard.update(una, max, &blocks[..n]);
        }
        if n == 0 {
            return 0;
        }
        // Blocks that say nothing new (D-SACKs, stale ones) leave an empty
        // scoreboard behind: only SACKed data makes the loss state.
        let mut scoreboard = Scoreboard::new();
        let newly = scoreboard.update(una, max, &blocks[..n]);
        if !scoreboard.is_empty() {
            self.loss().scoreboard = scoreboard;
        }
        newly
    }

    /// The NewReno `recover` point. Without a loss state there was no
    /// recovery or timeout yet, and every acknowledged byte is past it.
    fn recover(&self) -> SeqNumber {
        self.loss.get().map_or(self.snd_una - 1u32, |l| l.recover)
    }

    /// Window bookkeeping for an ACK that moved `SND.UNA` by `data` bytes.
    pub(super) fn recovery_on_new_ack(
        &mut self,
        now: Instant,
        ack: SeqNumber,
        data: usize,
        rtt: Duration,
    ) {
        let in_recovery = self.cc.in_recovery();
        if let Some(loss) = self.loss.get_mut() {
            if let Some(undo) = &mut loss.undo
                && undo.overtaken == 0
                && ack.gt(undo.marker)
            {
                undo.overtaken = loss.dup_acks;
            }
            loss.dup_acks = 0;
            // A recovery point this far behind is long passed (windows are
            // at most 1 GiB), but left there it would look ahead of
            // `SND.UNA` again after 2 GiB, and duplicate ACKs would never
            // start fast retransmit. Checked on every ACK that moves
            // `SND.UNA`, by at most a window each, so it never gets there.
            if !in_recovery && ack.diff(loss.recover) > RECOVER_REACH {
                loss.recover = ack - 1u32;
            }
        }
        if !in_recovery {
            // The algorithm's state is only made when the window grows in
            // congestion avoidance, which before any loss takes a window
            // past 4 GiB.
            let (una, algorithm, loss) = (self.snd_una, self.config.congestion, &mut self.loss);
            self.cc.on_ack(now, data, rtt, move || {
                &mut loss.make(una, algorithm).growth
            });
            return;
        }
        if ack.ge(self.recover()) {
            // A full ACK: everything outstanding at the loss is delivered.
            self.cc.on_exit_recovery(self.flight_size());
            self.flags.off(Flags::SACK_RECOVERY);
            let all_reported = self
                .loss
                .get()
                .and_then(|l| l.undo.as_ref())
                .is_some_and(|u| u.all_reported);
            if all_reported {
                self.undo_response();
            }
        } else if self.flags.has(Flags::SACK_RECOVERY) {
            // RFC 6675 keeps the window at ssthresh; `pipe` does the rest.
            let una = self.snd_una;
            let loss = self.loss();
            if loss.rexmit_next.lt(una) {
                loss.rexmit_next = una;
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
        let loss = self.loss();
        loss.dup_acks = loss.dup_acks.saturating_add(1);
        bump(&mut loss.counters.dup_acks);
        let dup_acks = loss.dup_acks;
        if self.cc.in_recovery() {
            if !self.flags.has(Flags::SACK_RECOVERY) {
                // RFC 5681 §3.2 step 4: each further duplicate means a
                // segment has left the network.
                self.cc.inflate(1);
            }
            return;
        }
        let thresh = self.dup_thresh();
        if self.recovery_due(usize::from(dup_acks), thresh) {
            self.enter_recovery(now, thresh);
        }
    }

    /// RFC 6582 §3.2 step 2 (and RFC 6675 §5): recovery starts on the
    /// third duplicate in a row (or the threshold reordering taught), or
    /// when SACKs show the segment at `SND.UNA` lost — unless the ACKs may
    /// be echoes of a recovery that just ended: the cumulative ACK must
    /// cover more than the highest sequence number sent when it began
    /// (step 1), that is reach `recover`, which is one past it.
    fn recovery_due(&self, dup_acks: usize, thresh: usize) -> bool {
        let lost = || {
            self.opts.sack()
                && self
                    .scoreboard()
                    .is_lost(self.snd_una, self.send_mss(), thresh)
        };
        (dup_acks >= thresh || lost()) && self.snd_una.ge(self.recover())
    }

    /// An ACK that moved `SND.UNA` also SACKed new data past it, outside
    /// recovery. It is no duplicate, but its SACK blocks may already show
    /// the segment at the new `SND.UNA` lost (RFC 6675 `IsLost`); on a
    /// small window every later segment may have been SACKed by then, and
    /// no duplicate would ever come to start the fast retransmit (Linux
    /// too looks at every ACK that SACKs new data).
    pub(super) fn on_sack_past_new_ack(&mut self, now: Instant) {
        if self.cc.in_recovery() || !self.state.transmits_data() {
            return;
        }
        let thresh = self.dup_thresh();
        if self.recovery_due(0, thresh) {
            self.enter_recovery(now, thresh);
        }
    }

    /// The duplicate-ACK threshold (RFC 6675 `DupThresh`): three, or more
    /// on a path that has reordered segments by more than that, as proven
    /// by fast retransmits undone as spurious. Never more than half the
    /// segments in flight, so that a real loss still gets enough duplicate
    /// ACKs to be repaired without waiting for the timer.
    ///
    /// With SACK, on a path not seen to reorder, fewer than four segments
    /// outstanding and nothing new that could be sent, it is one less than
    /// the segments outstanding (early retransmit, RFC 5827): they cannot
    /// bring three duplicates.
    pub(super) fn dup_thresh(&self) -> usize {
        let learned = self
            .loss
            .get()
            .map_or(DUP_THRESH, |l| usize::from(l.reordering));
        let mss = self.send_mss().max(1);
        if learned <= DUP_THRESH {
            if self.opts.sack() {
                let outstanding = self.snd_max.distance_from(self.snd_una) as usize;
                let stuck = self.send.len() <= outstanding || self.snd_wnd as usize <= outstanding;
                let segments = outstanding.div_ceil(mss);
                if stuck && segments < DUP_THRESH + 1 {
                    return segments.saturating_sub(1).max(1);
                }
            }
            return DUP_THRESH;
        }
        let in_flight = self.flight_size() / mss;
        learned.min((in_flight / 2).max(DUP_THRESH))
    }

    fn enter_recovery(&mut self, now: Instant, thresh: usize) {
        // RFC 5681 §3.2 step 2: what limited transmit sent past the window
        // does not count in the flight that sets ssthresh.
        let outstanding = self.flight_size();
        let flight = outstanding.min(self.cc.window());
        let (una, max, sack) = (self.snd_una, self.snd_max, self.opts.sack());
        self.keep_for_undo(now, false);
        let loss = self.loss.make(self.snd_una, self.config.congestion);
        loss.recover = max;
        self.cc.on_enter_recovery(now, flight, &mut loss.growth);
        bump(&mut loss.counters.fast_retransmits);
        if sack && !loss.scoreboard.is_empty() {
            self.flags.on(Flags::SACK_RECOVERY);
            loss.rexmit_next = una;
            loss.resent.clear();
            loss.prr = Prr::start(outstanding);
        } else {
            self.flags.off(Flags::SACK_RECOVERY);
            // RFC 5681 §3.2 step 3: one segment for each duplicate that
            // started recovery.
            self.cc.inflate(thresh);
        }
        // Both: the first missing segment goes out at once, whatever the
        // window says (RFC 5681 §3.2 step 2, RFC 6675 §5 step 4.3).
        self.flags.on(Flags::RETRANSMIT);
    }

    /// Keeps what a congestion response is about to change, so that it can
    /// be undone if it proves spurious: with timestamps or SACK (the
    /// evidence comes from the echo, or from D-SACK blocks), and only for
    /// the first response of an episode (a timeout during fast recovery, or
    /// a second timeout, keeps the state from before both). A record left
    /// from an earlier episode is replaced.
    pub(super) fn keep_for_undo(&mut self, now: Instant, timeout: bool) {
        if !self.opts.timestamps() && !self.opts.sack() {
            return;
        }
        let ts = super::options::ts_clock(now, self.ts_offset());
        let (una, high, window) = (self.snd_una, self.snd_max, self.cc.clone());
        let same_episode = self.cc.in_recovery();
        let loss = self.loss.make(una, self.config.congestion);
        if loss.undo.is_none() || !(same_episode || loss.rto_count > 0) {
            loss.undo = Some(Undo {
                window,
                growth: loss.growth,
                ts,
                marker: una,
                high,
                timeout,
                reordering: loss.reordering,
                unreported: 0,
                all_reported: false,
                overtaken: 0,
            });
        }
    }

    /// A segment was retransmitted: without timestamps, one more the peer
    /// must report as a duplicate before the response can be undone.
    pub(super) fn undo_count_retransmission(&mut self) {
        if self.opts.timestamps() {
            return;
        }
        if let Some(undo) = self.loss.get_mut().and_then(|l| l.undo.as_mut()) {
            undo.unreported = undo.unreported.saturating_add(1);
        }
    }

    /// Without timestamps, RFC 3708's detection: a D-SACK block (the
    /// first block, ending at or below the ACK or inside the second) for
    /// data the response may have retransmitted (outstanding when it
    /// began) reports one retransmission as received twice. Once all have
    /// been, the response is undone, at once or when recovery ends. (A
    /// path that duplicates packets can fake such a report, as it can for
    /// Linux, which counts D-SACKs the same way.)
    pub(super) fn check_dsack_undo(&mut self, seg: &TcpRepr<'_>, ack: SeqNumber) {
        if self.opts.timestamps() {
            return;
        }
        let Some(undo) = self.loss.get().and_then(|l| l.undo.as_ref()) else {
            return;
        };
        let Some((left, right)) = seg.sack_ranges[0] else {
            return;
        };
        let (left, right) = (SeqNumber::new(left), SeqNumber::new(right));
        let inside_second = seg.sack_ranges[1]
            .is_some_and(|(l, r)| SeqNumber::new(l).le(left) && right.le(SeqNumber::new(r)));
        let dsack = right.le(ack) || inside_second;
        if !dsack || left.lt(undo.marker) || right.gt(undo.high) || undo.unreported == 0 {
            return;
        }
        let in_recovery = self.cc.in_recovery();
        let Some(undo) = self.loss.get_mut().and_then(|l| l.undo.as_mut()) else {
            return;
        };
        undo.unreported -= 1;
        if undo.unreported > 0 {
            return;
        }
        if in_recovery {
            undo.all_reported = true;
        } else {
            self.undo_response();
        }
    }

    /// Eifel detection (RFC 3522) on an ACK that moves `SND.UNA` to `ack`,
    /// before the window reacts to it: once the first byte retransmitted is
    /// covered, the response is either confirmed (the ACK echoes the
    /// retransmission or later) or undone (it echoes an older timestamp,
    /// so the peer got the original).
    pub(super) fn check_undo(&mut self, seg: &TcpRepr<'_>, ack: SeqNumber) {
        let Some(loss) = self.loss.get_mut() else {
            return;
        };
        if !self.opts.timestamps() {
            // D-SACK blocks decide instead (`check_dsack_undo`).
            return;
        }
        let Some(undo) = loss.undo.take_if(|u| ack.gt(u.marker)) else {
            return;
        };
        let spurious = seg
            .timestamp
            .is_some_and(|(_, tsecr)| (tsecr.wrapping_sub(undo.ts) as i32) < 0);
        if spurious {
            loss.undo = Some(undo);
            self.undo_response();
        }
    }

    /// Undoes the response kept in the loss state's undo record.
    fn undo_response(&mut self) {
        let Some(loss) = self.loss.get_mut() else {
            return;
        };
        let Some(undo) = loss.undo.take() else {
            return;
        };
        loss.growth = undo.growth;
        bump(&mut loss.counters.undos);
        loss.reordering = undo.reordering;
        if !undo.timeout {
            // Duplicate ACKs, not a timeout, made the response: the
            // original arrived after this many segments sent behind it.
            // The threshold grows past that, so that the same reordering
            // no longer passes for a loss, and to at least four, which
            // also ends early retransmit on this path (RFC 5827 §6: an
            // early retransmit undone was reordering by one or two).
            let overtaken = loss
                .dup_acks
                .max(undo.overtaken)
                .saturating_add(1)
                .max(DUP_THRESH as u16 + 1);
            let learned = u8::try_from(overtaken)
                .unwrap_or(u8::MAX)
                .min(MAX_REORDERING);
            loss.reordering = loss.reordering.max(learned);
        }
        if self.opts.sack() {
            // The response was not needed, so neither is the guard it set
            // against the duplicates of its own retransmissions: with SACK
            // a duplicate must report new data, which those cannot. Left
            // in place, a real loss below the old recovery point would
            // wait for the RTO.
            loss.recover = self.snd_una;
        }
        self.cc.undo(&undo.window);
        self.flags.off(Flags::SACK_RECOVERY);
        if undo.timeout && self.snd_nxt.lt(self.snd_max) {
            // The data after the retransmission went out once already and
            // was not lost either: carry on with new data.
            self.snd_nxt = self.snd_max;
        }
    }

    /// Forgets recovery after a retransmission timeout. SACK information
    /// survives one timeout (RFC 6675 §5.1) but not two in a row, in case
    /// the peer discarded data it had SACKed (RFC 2018 §8).
    pub(super) fn recovery_on_timeout(&mut self) {
        self.flags.off(Flags::SACK_RECOVERY);
        let (una, max) = (self.snd_una, self.snd_max);
        let loss = self.loss();
        loss.rexmit_next = una;
        loss.resent.clear();
        loss.dup_acks = 0;
        loss.recover = max;
        // A timeout may mean the threshold kept duplicate ACKs from
        // repairing a loss: back to three until reordering shows again (an
        // undone timeout restores it).
        loss.reordering = DUP_THRESH as u8;
        loss.tail_probe = None;
        if loss.rto_count >= 2 {
            loss.scoreboard.clear();
        }
    }

    /// What the peer SACKed (nothing, without a loss state).
    pub(super) fn scoreboard(&self) -> &Scoreboard<{ super::SCOREBOARD_RANGES }> {
        const EMPTY: &Scoreboard<{ super::SCOREBOARD_RANGES }> = &Scoreboard::new();
        self.loss.get().map_or(EMPTY, |l| &l.scoreboard)
    }

    /// RFC 6675 `pipe`: bytes presumed still in the network.
    pub(super) fn pipe(&self) -> usize {
        let outstanding = self.snd_max.distance_from(self.snd_una) as usize;
        let Some(loss) = self.loss.get() else {
            // Nothing SACKed, nothing presumed lost.
            return outstanding;
        };
        let scoreboard = &loss.scoreboard;
        let sacked = scoreboard.sacked_bytes();
        let from = loss.rexmit_next.max(self.snd_una);
        let lost = match scoreboard.highest() {
            Some(high) if high.gt(from) => {
                (high.distance_from(from) as usize).saturating_sub(scoreboard.sacked_above(from))
            }
            _ => 0,
        };
        // Retransmissions found lost are not in the network either.
        let lost_again = loss.resent.unsent(self.snd_una, scoreboard);
        outstanding
            .saturating_sub(sacked)
            .saturating_sub(lost)
            .saturating_sub(lost_again)
    }

    /// Room the congestion window leaves for more data; during SACK
    /// recovery, what proportional rate reduction allows (see `prr.rs`).
    pub(super) fn cwnd_room(&self) -> usize {
        if self.flags.has(Flags::SACK_RECOVERY) {
            return self.loss.get().map_or(0, |l| l.prr.room(self.pipe()));
        }
        (self.cc.window() + self.limited_transmit() + self.probe_allowance())
            .saturating_sub(self.flight_size())
    }

    /// Limited transmit (RFC 3042): before recovery, each duplicate ACK
    /// short of the threshold lets one more segment out past the window,
    /// so that a small window still clocks out enough segments to bring
    /// the duplicates a fast retransmit needs. Two with the usual
    /// threshold of three; with a threshold learned from reordering, one
    /// less than it (RFC 4653 extends it the same way). The window itself
    /// does not change. Only new data is sent this way: after a timeout,
    /// while segments are resent, the count of duplicates is zero.
    fn limited_transmit(&self) -> usize {
        if self.cc.in_recovery() {
            return 0;
        }
        let Some(loss) = self.loss.get() else {
            return 0;
        };
        if loss.dup_acks == 0 {
            return 0;
        }
        let segments = usize::from(loss.dup_acks).min(self.dup_thresh() - 1);
        segments * self.send_mss()
    }

    /// During SACK recovery: the next hole to resend, `(start, length)`,
    /// when the window has room for it (or regardless, with `force`):
    /// first what a lost retransmission left missing, then the first hole
    /// not resent yet.
    ///
    /// Outside SACK recovery (nearly every call) this is one flag test,
    /// inlined; the search is out of line.
    #[inline]
    pub(super) fn next_sack_retransmission(&self, force: bool) -> Option<(SeqNumber, usize)> {
        if !self.flags.has(Flags::SACK_RECOVERY) {
            return None;
        }
        self.next_sack_retransmission_in_recovery(force)
    }

    /// [`next_sack_retransmission`](Self::next_sack_retransmission) in SACK
    /// recovery.
    #[inline(never)]
    fn next_sack_retransmission_in_recovery(&self, force: bool) -> Option<(SeqNumber, usize)> {
        if !force && self.cwnd_room() == 0 {
            return None;
        }
        let loss = self.loss.get()?;
        let (una, mss) = (self.snd_una, self.send_mss());
        if let Some(again) = loss.resent.next(una, &loss.scoreboard, mss) {
            return Some(again);
        }
        let (start, len) = loss.scoreboard.next_hole(loss.rexmit_next.max(una))?;
        Some((start, len.min(mss)))
    }

    /// Sends the SACK recovery retransmission `next_sack_retransmission`
    /// chose, and remembers it until it arrives or proves lost.
    pub(super) fn resend_hole(
        &mut self,
        now: Instant,
        buf: &mut [u8],
        seq: SeqNumber,
        len: usize,
    ) -> Option<usize> {
        let max = self.snd_max;
        let loss = self.loss();
        let end = seq + len;
        // A lost retransmission sent again lies below the holes not yet
        // resent; it must not move their start back.
        loss.rexmit_next = loss.rexmit_next.max(end);
        loss.resent.push(seq, end, max);
        self.retransmit_at(now, buf, seq, len)
    }
}
