//! Lost retransmissions during SACK recovery.
//!
//! RFC 6675 resends each hole once per recovery. If that retransmission is
//! lost as well, nothing in RFC 6675 notices, and the hole waits for the
//! retransmission timer: a whole RTO of silence, then a collapsed window.
//! The peer's SACK blocks can tell sooner. Data sent *after* a
//! retransmission that arrives while the retransmitted bytes are still
//! missing means the retransmission was overtaken, just as data SACKed
//! above a hole means the original was (Linux marked lost retransmissions
//! this way before RACK; RFC 8985 reaches the same verdict from send
//! times).
//!
//! So every retransmission made in SACK recovery is remembered with
//! `SND.MAX` at the moment it went out. Once `DupThresh` segments' worth of
//! data above that point has been SACKed (the test RFC 6675 `IsLost`
//! applies to an original) while some of the retransmitted bytes are still
//! missing, the retransmission is presumed lost: its missing bytes leave
//! `pipe` and are sent again before any hole not yet resent. The window is
//! not cut again: the episode already responded to the loss, and the
//! recovery point is unchanged.
//!
//! The memory is bounded: [`RECORDS`] records of three sequence numbers.
//! Retransmissions made with the same `SND.MAX` (no new data between them)
//! share a record exactly; when the records are full the newest absorbs
//! the next one, taking the later `SND.MAX`, which can only make the
//! verdict later, never wrong.

use super::Connection;
use super::event::bump;
use crate::tcp::scoreboard::Scoreboard;
use crate::tcp::seq::SeqNumber;

/// How many retransmission records a connection keeps.
pub(super) const RECORDS: usize = 8;

/// Retransmissions sent `[start, end)` while `SND.MAX` stood at `after`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Record {
    start: SeqNumber,
    end: SeqNumber,
    after: SeqNumber,
}

/// The retransmissions of the current SACK recovery not yet known to have
/// arrived, oldest first, and the range of those found lost.
#[derive(Debug, Clone, Default)]
pub(super) struct Resent {
    records: [Record; RECORDS],
    len: u8,
    /// Retransmissions found lost whose missing bytes are still to be sent
    /// again: `[start, end)`, `start` moving up as they go.
    relost: Option<(SeqNumber, SeqNumber)>,
}

impl Resent {
    /// Forgets everything: the recovery ended or a timeout took over.
    pub(super) fn clear(&mut self) {
        self.len = 0;
        self.relost = None;
    }

    /// Whether nothing is remembered.
    #[cfg(test)]
    pub(super) fn is_empty(&self) -> bool {
        self.len == 0 && self.relost.is_none()
    }

    fn records(&self) -> &[Record] {
        &self.records[..usize::from(self.len)]
    }

    /// Records `[start, end)` as retransmitted with `SND.MAX` at `after`,
    /// and moves the range still to be resent past it.
    pub(super) fn push(&mut self, start: SeqNumber, end: SeqNumber, after: SeqNumber) {
        // Only lost retransmissions are resent below the holes not yet
        // resent, in order, skipping what was SACKed: one that overlaps the
        // range has covered everything in it up to its end.
        if let Some((from, to)) = self.relost
            && start.lt(to)
            && from.lt(end)
        {
            self.relost = end.lt(to).then_some((end, to));
        }
        let len = usize::from(self.len);
        if len > 0 && (self.records[len - 1].after == after || len == RECORDS) {
            let last = &mut self.records[len - 1];
            last.start = last.start.min(start);
            last.end = last.end.max(end);
            last.after = last.after.max(after);
            return;
        }
        self.records[len] = Record { start, end, after };
        self.len += 1;
    }

    /// Drops the oldest record.
    fn pop_front(&mut self) {
        let len = usize::from(self.len);
        self.records.copy_within(1..len, 0);
        self.len -= 1;
    }

    /// Applies what the peer reports (`una`, `scoreboard`) to the records:
    /// those whose bytes all arrived are dropped, and those overtaken by
    /// `thresh` segments of `mss` bytes sent after them join the range to
    /// resend. Returns how many records were found lost.
    pub(super) fn detect<const N: usize>(
        &mut self,
        una: SeqNumber,
        scoreboard: &Scoreboard<N>,
        mss: usize,
        thresh: usize,
    ) -> u32 {
        let mut lost = 0;
        while let Some(&first) = self.records().first() {
            if !missing(scoreboard, una, first.start, first.end) {
                self.pop_front();
                continue;
            }
            if !scoreboard.is_lost(first.after, mss, thresh) {
                // Later records went out later still: none can be lost yet.
                break;
            }
            let from = first.start.max(una);
            self.relost = Some(match self.relost {
                Some((start, end)) => (start.min(from), end.max(first.end)),
                None => (from, first.end),
            });
            self.pop_front();
            lost += 1;
        }
        lost
    }

    /// The next stretch of a lost retransmission to send again, at most
    /// `mss` bytes: `(start, length)`.
    pub(super) fn next<const N: usize>(
        &self,
        una: SeqNumber,
        scoreboard: &Scoreboard<N>,
        mss: usize,
    ) -> Option<(SeqNumber, usize)> {
        let (start, end) = self.relost?;
        let (hole, len) = scoreboard.next_hole(start.max(una))?;
        if !hole.lt(end) {
            return None;
        }
        Some((hole, len.min(end.distance_from(hole) as usize).min(mss)))
    }

    /// Bytes of lost retransmissions not yet sent again and not SACKed
    /// since: no longer in the network, so not in `pipe`.
    pub(super) fn unsent<const N: usize>(
        &self,
        una: SeqNumber,
        scoreboard: &Scoreboard<N>,
    ) -> usize {
        let Some((start, end)) = self.relost else {
            return 0;
        };
        let start = start.max(una);
        if !start.lt(end) {
            return 0;
        }
        let span = end.distance_from(start) as usize;
        span.saturating_sub(scoreboard.sacked_above(start) - scoreboard.sacked_above(end))
    }
}

/// Whether any byte of `[start, end)` at or past `una` is neither
/// acknowledged nor SACKed.
fn missing<const N: usize>(
    scoreboard: &Scoreboard<N>,
    una: SeqNumber,
    start: SeqNumber,
    end: SeqNumber,
) -> bool {
    let from = start.max(una);
    if !from.lt(end) {
        return false;
    }
    // A range above every SACK block is not a hole for `next_hole`, but
    // its bytes are missing all the same.
    match scoreboard.highest() {
        Some(high) if high.gt(from) => scoreboard.next_hole(from).is_some_and(|(h, _)| h.lt(end)),
        _ => true,
    }
}

impl Connection {
    /// After the scoreboard took an ACK's SACK blocks, during SACK
    /// recovery: finds retransmissions the peer's reports show lost.
    pub(super) fn detect_lost_retransmissions(&mut self) {
        let (una, mss, thresh) = (self.snd_una, self.send_mss(), self.dup_thresh());
        let Some(loss) = self.loss.get_mut() else {
            return;
        };
        let lost = loss.resent.detect(una, &loss.scoreboard, mss, thresh);
        if lost > 0 {
            bump(&mut loss.counters.lost_retransmissions);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: u32) -> SeqNumber {
        SeqNumber::new(v)
    }

    fn board(una: u32, max: u32, blocks: &[(u32, u32)]) -> Scoreboard<16> {
        let mut b = Scoreboard::new();
        let blocks: alloc::vec::Vec<_> = blocks.iter().map(|&(l, r)| (s(l), s(r))).collect();
        b.update(s(una), s(max), &blocks);
        b
    }

    #[test]
    fn a_retransmission_overtaken_by_later_data_is_lost_again() {
        let mut r = Resent::default();
        // Hole 1000..2000 resent while SND.MAX was 10000.
        r.push(s(1000), s(2000), s(10000));
        // Two segments past 10000 SACKed: not yet (DupThresh 3).
        let b = board(1000, 14000, &[(2000, 10000), (10000, 12000)]);
        assert_eq!(r.detect(s(1000), &b, 1000, 3), 0);
        assert_eq!(r.next(s(1000), &b, 1000), None);
        // Three: lost, and resent first.
        let b = board(1000, 14000, &[(2000, 13000)]);
        assert_eq!(r.detect(s(1000), &b, 1000, 3), 1);
        assert_eq!(r.next(s(1000), &b, 1000), Some((s(1000), 1000)));
        assert_eq!(r.unsent(s(1000), &b), 1000);
        // Sending it again clears the range.
        r.push(s(1000), s(2000), s(14000));
        assert_eq!(r.next(s(1000), &b, 1000), None);
        assert_eq!(r.unsent(s(1000), &b), 0);
    }

    #[test]
    fn delivered_retransmissions_are_dropped_and_never_judged() {
        let mut r = Resent::default();
        r.push(s(1000), s(2000), s(10000));
        r.push(s(3000), s(4000), s(11000));
        // The first arrived (SND.UNA passed it); the second was SACKed.
        let b = board(2000, 20000, &[(3000, 20000)]);
        assert_eq!(r.detect(s(2000), &b, 1000, 3), 0);
        assert!(r.records().is_empty());
    }

    #[test]
    fn later_retransmissions_wait_for_data_sent_after_them() {
        let mut r = Resent::default();
        r.push(s(1000), s(2000), s(10000));
        r.push(s(3000), s(4000), s(12000));
        let b = board(1000, 16000, &[(2000, 3000), (4000, 14000)]);
        // 4000 bytes past 10000 SACKed, only 2000 past 12000.
        assert_eq!(r.detect(s(1000), &b, 1000, 3), 1);
        assert_eq!(r.next(s(1000), &b, 1000), Some((s(1000), 1000)));
        assert_eq!(r.records().len(), 1);
        // Once the first is resent, the second hole is not next: it is
        // still in flight.
        r.push(s(1000), s(2000), s(16000));
        assert_eq!(r.next(s(1000), &b, 1000), None);
    }

    #[test]
    fn retransmissions_found_lost_together_are_all_resent() {
        let mut r = Resent::default();
        r.push(s(1000), s(2000), s(10000));
        r.push(s(3000), s(4000), s(11000));
        let b = board(1000, 20000, &[(2000, 3000), (4000, 15000)]);
        assert_eq!(r.detect(s(1000), &b, 1000, 3), 2);
        assert_eq!(r.unsent(s(1000), &b), 2000);
        assert_eq!(r.next(s(1000), &b, 1000), Some((s(1000), 1000)));
        r.push(s(1000), s(2000), s(20000));
        assert_eq!(r.next(s(1000), &b, 1000), Some((s(3000), 1000)));
        r.push(s(3000), s(4000), s(20000));
        assert_eq!(r.next(s(1000), &b, 1000), None);
    }

    #[test]
    fn records_stay_small() {
        // Part of the loss state every connection in trouble carries.
        assert!(core::mem::size_of::<Resent>() <= 112);
    }

    #[test]
    fn same_send_point_shares_a_record_and_a_full_table_merges_late() {
        let mut r = Resent::default();
        r.push(s(1000), s(2000), s(9000));
        r.push(s(3000), s(4000), s(9000));
        assert_eq!(r.records().len(), 1);
        for i in 1..RECORDS as u32 + 3 {
            r.push(s(10000 * i), s(10000 * i + 500), s(90000 + i));
        }
        assert_eq!(r.records().len(), RECORDS);
        let last = r.records()[RECORDS - 1];
        // The newest record absorbed the overflow with the latest send
        // point: judged later, never earlier.
        assert_eq!(last.after, s(90000 + RECORDS as u32 + 2));
        assert_eq!(last.end, s(10000 * (RECORDS as u32 + 2) + 500));
    }

    #[test]
    fn a_lost_retransmission_split_by_sacks_is_resent_hole_by_hole() {
        let mut r = Resent::default();
        r.push(s(1000), s(5000), s(10000));
        let b = board(1000, 20000, &[(2000, 3000), (4000, 5000), (10000, 14000)]);
        assert_eq!(r.detect(s(1000), &b, 1000, 3), 1);
        assert_eq!(r.unsent(s(1000), &b), 2000);
        assert_eq!(r.next(s(1000), &b, 500), Some((s(1000), 500)));
        r.push(s(1000), s(1500), s(20000));
        assert_eq!(r.next(s(1000), &b, 1000), Some((s(1500), 500)));
        r.push(s(1500), s(2000), s(20000));
        assert_eq!(r.next(s(1000), &b, 1000), Some((s(3000), 1000)));
        r.push(s(3000), s(4000), s(20000));
        assert_eq!(r.next(s(1000), &b, 1000), None);
    }
}
