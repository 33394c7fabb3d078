//! The sender's SACK scoreboard (RFC 6675 §3): which bytes past `SND.UNA`
//! the peer has reported holding.
//!
//! Ranges are kept as sequence numbers, sorted, disjoint and non-adjacent,
//! all inside `(SND.UNA, SND.MAX]`. Their number is capped, like the
//! receiver's reassembly list, so a peer sending many small SACK blocks
//! cannot make it grow: when full, the range furthest from `SND.UNA` is
//! forgotten (that only makes the sender retransmit a little more).
//!
//! Everything here is advisory. The cumulative ACK stays the only proof of
//! delivery (RFC 2018 §8: a receiver may discard SACKed data), so SACKed
//! bytes are kept in the send buffer until acknowledged, and a timeout
//! clears nothing the scoreboard says.

use super::seq::SeqNumber;
use alloc::boxed::Box;
use alloc::vec::Vec;

/// How many SACKed segments (or segments' worth of bytes) above a hole
/// mark it lost (RFC 6675 `DupThresh`, RFC 5681's three duplicate ACKs).
pub const DUP_THRESH: usize = 3;

/// The SACKed ranges `[start, end)` past `SND.UNA`.
///
/// At most `MAX` ranges are kept (at least one, whatever `MAX` says); the
/// limit is a type parameter so that it costs no space in every connection.
///
/// Without SACKed data (most of a connection's life) the scoreboard is 8
/// bytes and holds no heap memory; the range list is allocated with the
/// first SACK block and freed when the cumulative ACK passes the last one.
#[derive(Debug, Clone, Default)]
pub struct Scoreboard<const MAX: usize = 16> {
    #[allow(
        clippy::box_collection,
        reason = "8 bytes in every connection instead of a 24-byte empty Vec"
    )]
    ranges: Option<Box<Vec<(SeqNumber, SeqNumber)>>>,
}

impl<const MAX: usize> Scoreboard<MAX> {
    /// The most ranges kept: `MAX`, or one if `MAX` is zero.
    pub const MAX_RANGES: usize = if MAX == 0 { 1 } else { MAX };

    /// An empty scoreboard.
    pub const fn new() -> Self {
        Scoreboard { ranges: None }
    }

    /// Whether nothing is SACKed.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_none()
    }

    /// The SACKed ranges, lowest first.
    pub fn ranges(&self) -> &[(SeqNumber, SeqNumber)] {
        self.ranges.as_ref().map_or(&[], |r| r.as_slice())
    }

    /// Forgets everything (and frees the list).
    pub fn clear(&mut self) {
        self.ranges = None;
    }

    /// Drops what the cumulative ACK `snd_una` now covers.
    pub fn advance(&mut self, snd_una: SeqNumber) {
        let Some(ranges) = &mut self.ranges else {
            return;
        };
        let gone = ranges.iter().take_while(|r| r.1.le(snd_una)).count();
        ranges.drain(..gone);
        if ranges.is_empty() {
            self.ranges = None;
        } else if let Some(first) = ranges.first_mut()
            && first.0.lt(snd_una)
        {
            first.0 = snd_una;
        }
    }

    /// Records the SACK blocks of one ACK. Blocks outside
    /// `(snd_una, snd_max]`, empty or reversed ones (and so D-SACK blocks
    /// below `snd_una`, RFC 2883) are ignored. Returns how many bytes were
    /// newly SACKed.
    pub fn update(
        &mut self,
        snd_una: SeqNumber,
        snd_max: SeqNumber,
        blocks: &[(SeqNumber, SeqNumber)],
    ) -> usize {
        self.advance(snd_una);
        let before = self.sacked_bytes();
        for &(start, end) in blocks {
            if !(snd_una.lt(start) && start.lt(end) && end.le(snd_max)) {
                continue;
            }
            self.insert(start, end);
        }
        self.sacked_bytes().saturating_sub(before)
    }

    fn insert(&mut self, start: SeqNumber, end: SeqNumber) {
        let max_ranges = Self::MAX_RANGES;
        let ranges = self.ranges.get_or_insert_with(Default::default);
        // First range ending at or after `start`, one past the last
        // starting at or before `end`: those merge with the new one.
        let first = ranges.partition_point(|r| r.1.lt(start));
        let last = first + ranges[first..].partition_point(|r| r.0.le(end));
        if first == last {
            if ranges.len() >= max_ranges {
                // Keep the ranges nearest SND.UNA: they matter most for
                // choosing retransmissions.
                if first >= ranges.len() {
                    return;
                }
                ranges.pop();
            }
            ranges.insert(first, (start, end));
        } else {
            let merged = (start.min(ranges[first].0), end.max(ranges[last - 1].1));
            ranges[first] = merged;
            ranges.drain(first + 1..last);
        }
    }

    /// Bytes SACKed in all.
    pub fn sacked_bytes(&self) -> usize {
        self.ranges()
            .iter()
            .map(|r| r.1.distance_from(r.0) as usize)
            .sum()
    }

    /// Bytes SACKed at or above `seq`.
    pub fn sacked_above(&self, seq: SeqNumber) -> usize {
        self.ranges()
            .iter()
            .filter(|r| r.1.gt(seq))
            .map(|r| r.1.distance_from(r.0.max(seq)) as usize)
            .sum()
    }

    /// One past the highest SACKed byte (RFC 6675 `HighACK`-side bound of
    /// the holes), if any.
    pub fn highest(&self) -> Option<SeqNumber> {
        self.ranges().last().map(|r| r.1)
    }

    /// If `seq` lies inside a SACKed range, the end of that range.
    pub fn sacked_end(&self, seq: SeqNumber) -> Option<SeqNumber> {
        self.ranges()
            .iter()
            .find(|r| r.0.le(seq) && seq.lt(r.1))
            .map(|r| r.1)
    }

    /// The start of the first SACKed range after `seq`, if any.
    pub fn next_sacked(&self, seq: SeqNumber) -> Option<SeqNumber> {
        self.ranges()
            .iter()
            .map(|r| r.0)
            .find(|s| SeqNumber::gt(*s, seq))
    }

    /// RFC 6675 `IsLost(seq)`: the byte is presumed lost when at least
    /// `thresh` segments' worth of data above it has been SACKed, or
    /// `thresh` separate ranges (`DupThresh`, [`DUP_THRESH`] unless the
    /// path was seen to reorder more).
    pub fn is_lost(&self, seq: SeqNumber, mss: usize, thresh: usize) -> bool {
        self.sacked_above(seq) >= thresh * mss.max(1)
            || self.ranges().iter().filter(|r| r.0.gt(seq)).count() >= thresh
    }

    /// The first hole at or after `from` and below the highest SACKed byte:
    /// `(start, length)`. Holes above the highest SACK are not holes yet,
    /// just data in flight.
    pub fn next_hole(&self, from: SeqNumber) -> Option<(SeqNumber, usize)> {
        let mut at = from;
        for &(start, end) in self.ranges() {
            if end.le(at) {
                continue;
            }
            if start.gt(at) {
                return Some((at, start.distance_from(at) as usize));
            }
            at = end;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn s(v: u32) -> SeqNumber {
        SeqNumber::new(v)
    }

    fn board(blocks: &[(u32, u32)]) -> Scoreboard<8> {
        let mut b = Scoreboard::<8>::new();
        let blocks: Vec<_> = blocks.iter().map(|&(a, z)| (s(a), s(z))).collect();
        b.update(s(1000), s(10_000), &blocks);
        b
    }

    #[test]
    fn merges_and_ignores_bogus_blocks() {
        let mut b = Scoreboard::<8>::new();
        let new = b.update(
            s(1000),
            s(5000),
            &[
                (s(2000), s(3000)),
                (s(3000), s(3500)),
                (s(500), s(900)),
                (s(4000), s(6000)),
                (s(4000), s(3999)),
            ],
        );
        assert_eq!(new, 1500);
        assert_eq!(b.ranges(), &[(s(2000), s(3500))]);
        assert_eq!(b.update(s(1000), s(5000), &[(s(1500), s(2500))]), 500);
        assert_eq!(b.ranges(), &[(s(1500), s(3500))]);
        assert_eq!(b.highest(), Some(s(3500)));
    }

    #[test]
    fn advance_prunes() {
        let mut b = board(&[(2000, 3000), (4000, 5000)]);
        b.advance(s(2500));
        assert_eq!(b.ranges(), &[(s(2500), s(3000)), (s(4000), s(5000))]);
        b.advance(s(4500));
        assert_eq!(b.ranges(), &[(s(4500), s(5000))]);
        b.advance(s(5000));
        assert!(b.is_empty());
    }

    #[test]
    fn holes_and_loss() {
        let b = board(&[(2000, 3000), (4000, 5000), (6000, 9000)]);
        assert_eq!(b.next_hole(s(1000)), Some((s(1000), 1000)));
        assert_eq!(b.next_hole(s(2500)), Some((s(3000), 1000)));
        assert_eq!(b.next_hole(s(5000)), Some((s(5000), 1000)));
        assert_eq!(b.next_hole(s(7000)), None);
        assert_eq!(b.sacked_above(s(4500)), 3500);
        assert_eq!(b.sacked_end(s(4500)), Some(s(5000)));
        assert_eq!(b.sacked_end(s(5000)), None);
        assert_eq!(b.next_sacked(s(5000)), Some(s(6000)));
        // Three segments of 1000 SACKed above 3000: lost. Above 5000 only
        // one range but 3000 bytes: lost too. Above 8000: not.
        assert!(b.is_lost(s(1000), 1000, DUP_THRESH));
        assert!(b.is_lost(s(5000), 1000, DUP_THRESH));
        assert!(!b.is_lost(s(8000), 1000, DUP_THRESH));
        // A higher threshold, after reordering: five segments above 1000
        // make it lost at five, not at six.
        assert!(b.is_lost(s(1000), 1000, 5));
        assert!(!b.is_lost(s(1000), 1000, 6));
        assert_eq!(b.sacked_bytes(), 5000);
    }

    #[test]
    fn bounded_keeps_the_lowest_ranges() {
        let mut b = Scoreboard::<2>::new();
        b.update(s(0), s(100_000), &[(s(5000), s(6000)), (s(9000), s(9500))]);
        b.update(s(0), s(100_000), &[(s(20_000), s(21_000))]);
        assert_eq!(b.ranges(), &[(s(5000), s(6000)), (s(9000), s(9500))]);
        b.update(s(0), s(100_000), &[(s(1000), s(2000))]);
        assert_eq!(b.ranges(), &[(s(1000), s(2000)), (s(5000), s(6000))]);
        assert_eq!(Scoreboard::<0>::MAX_RANGES, 1);
        assert!(core::mem::size_of::<Scoreboard>() <= 8);
        b.clear();
        assert!(b.is_empty());
    }

    #[test]
    fn across_the_wrap() {
        let mut b = Scoreboard::<4>::new();
        let una = s(u32::MAX - 1000);
        b.update(una, s(5000), &[(s(u32::MAX - 10), s(10))]);
        assert_eq!(b.ranges(), &[(s(u32::MAX - 10), s(10))]);
        assert_eq!(b.next_hole(una), Some((una, 990)));
        assert_eq!(b.sacked_bytes(), 21);
        let _ = vec![0u8];
    }
}
