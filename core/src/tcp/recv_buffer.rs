//! The receive buffer: in-order bytes waiting for the application, plus
//! out-of-order bytes waiting for the holes before them to fill.
//!
//! Memory is one ring of the configured capacity and an [`Assembler`] whose
//! range list has a fixed upper length, so nothing a peer sends can make the
//! buffer grow. The ring is laid out as RFC 9293 §3.3.2 draws the receive
//! side of sequence space: first the bytes received in order but not yet read
//! by the application, then the receive window, which starts at `RCV.NXT`.
//! Out-of-order segments are copied straight to their place in the window;
//! when a hole fills, the bytes are already where they belong and `RCV.NXT`
//! just moves.
//!
//! Offsets given to [`RecvBuffer::insert`] count from `RCV.NXT`; the
//! connection turns sequence numbers into offsets (and trims the part of a
//! segment that lies before `RCV.NXT`) before calling it.

use super::assembler::{Assembler, range_limit};
use super::ring::Ring;
use super::seq::SeqNumber;

/// The most SACK blocks a segment can carry (RFC 2018 §3: four fit in the
/// 40 bytes of option space, three when timestamps take 12 of them).
pub const MAX_SACK_BLOCKS: usize = 4;

/// Up to [`MAX_SACK_BLOCKS`] SACK blocks `(left edge, right edge)`, in the
/// order they go on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SackBlocks {
    blocks: [(SeqNumber, SeqNumber); MAX_SACK_BLOCKS],
    len: usize,
}

impl SackBlocks {
    /// The blocks, most important first.
    pub fn as_slice(&self) -> &[(SeqNumber, SeqNumber)] {
        &self.blocks[..self.len]
    }

    /// Whether there are no blocks.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many blocks there are.
    pub fn len(&self) -> usize {
        self.len
    }
}

/// In-order and out-of-order received bytes, and the FIN if one arrived.
#[derive(Debug, Clone)]
pub struct RecvBuffer {
    /// Unread in-order bytes in `[0, len)`; out-of-order bytes parked after.
    /// The range limit rides in the ring's tag, where it costs no space.
    ring: Ring<u32>,
    assembler: Assembler,
    /// Stream offset of `RCV.NXT`: the next in-order byte expected.
    next: u64,
    /// Stream offset just past the last byte of the stream, once a FIN
    /// arrived (in order or not); [`NO_FIN`] before.
    fin: u64,
}

/// `RecvBuffer::fin` before any FIN (no stream reaches this offset).
const NO_FIN: u64 = u64::MAX;

impl RecvBuffer {
    /// An empty buffer of `capacity` bytes that keeps at most `max_ranges`
    /// separate out-of-order ranges.
    ///
    /// No memory is allocated until data arrives.
    pub fn new(capacity: usize, max_ranges: usize) -> Self {
        RecvBuffer {
            ring: Ring::new(capacity, range_limit(max_ranges)),
            assembler: Assembler::new(),
            next: 0,
            fin: NO_FIN,
        }
    }

    /// The configured capacity in bytes.
    pub const fn capacity(&self) -> usize {
        self.ring.capacity()
    }

    /// In-order bytes the application can read now.
    pub const fn len(&self) -> usize {
        self.ring.len()
    }

    /// Whether there is nothing to read.
    pub const fn is_empty(&self) -> bool {
        self.ring.len() == 0
    }

    /// Bytes of heap memory the ring holds now (the range list is bounded
    /// separately by `max_ranges`).
    pub fn allocated(&self) -> usize {
        self.ring.allocated()
    }

    /// Total in-order bytes received so far (`RCV.NXT` as a stream offset,
    /// not counting the FIN).
    pub const fn received(&self) -> u64 {
        self.next
    }

    /// The receive window: room left after the unread in-order bytes. Data
    /// past `RCV.NXT + window()` would not fit and is cut off.
    pub const fn window(&self) -> usize {
        self.ring.free()
    }

    /// Whether any out-of-order data is held (there is a hole at `RCV.NXT`).
    pub fn has_holes(&self) -> bool {
        !self.assembler.is_empty()
    }

    /// The most separate out-of-order ranges kept (at least one).
    pub const fn max_ranges(&self) -> usize {
        self.ring.tag as usize
    }

    /// The out-of-order bookkeeping, for inspection.
    pub fn assembler(&self) -> &Assembler {
        &self.assembler
    }

    /// Stores `data`, which starts `offset` bytes after `RCV.NXT`, and returns
    /// how many bytes became readable in order (how far `RCV.NXT` moves).
    ///
    /// The part that lies past the window is cut off. An out-of-order segment
    /// is dropped whole when it would open more separate ranges than the
    /// buffer keeps; the peer will retransmit it. Data past a FIN already
    /// seen is ignored.
    pub fn insert(&mut self, offset: usize, data: &[u8]) -> usize {
        let room = self.window().saturating_sub(offset);
        let mut take = data.len().min(room);
        let start = self.next + offset as u64;
        if self.fin != NO_FIN {
            take = take.min(self.fin.saturating_sub(start) as usize);
        }
        if take == 0 {
            return 0;
        }
        let end = start + take as u64;
        let max_ranges = self.max_ranges();
        let Ok(new_next) = self.assembler.add(self.next, start, end, max_ranges) else {
            return 0;
        };
        self.ring.write_at(self.ring.len() + offset, &data[..take]);
        let advanced = (new_next - self.next) as usize;
        self.ring.commit(advanced);
        self.next = new_next;
        advanced
    }

    /// The first part of `[offset, offset + len)` (counted from `RCV.NXT`)
    /// that is already held out of order, as the same kind of offsets: what
    /// a D-SACK block reports for a duplicate above `RCV.NXT` (RFC 2883).
    pub fn held_part(&self, offset: usize, len: usize) -> Option<(usize, usize)> {
        let (start, end) = (self.next + offset as u64, self.next + (offset + len) as u64);
        self.assembler
            .ranges()
            .map(|(a, b)| (a.max(start), b.min(end)))
            .find(|&(a, b)| a < b)
            .map(|(a, b)| ((a - self.next) as usize, (b - self.next) as usize))
    }

    /// Records a FIN that follows the data ending `offset` bytes after
    /// `RCV.NXT` (the FIN's own sequence number is `RCV.NXT + offset`).
    ///
    /// The first FIN position wins; a FIN past the window is ignored. Returns
    /// whether the FIN is now in order, see [`fin_reached`](Self::fin_reached).
    pub fn insert_fin(&mut self, offset: usize) -> bool {
        if self.fin == NO_FIN && offset <= self.window() {
            let at = self.next + offset as u64;
            // A FIN cannot come before data already received.
            let beyond = self.assembler.highest().unwrap_or(self.next);
            if at >= beyond {
                self.fin = at;
            }
        }
        self.fin_reached()
    }

    /// Whether every byte before the FIN has arrived: the FIN is the next
    /// thing in sequence space, and the stream is complete once read.
    pub fn fin_reached(&self) -> bool {
        self.fin == self.next
    }

    /// Copies readable bytes into `out`, removes them, and returns how many.
    pub fn read(&mut self, out: &mut [u8]) -> usize {
        self.ring.read(out)
    }

    /// Readable bytes as up to two slices, without removing them; pair with
    /// [`consume`](Self::consume).
    pub fn peek(&self, max: usize) -> (&[u8], &[u8]) {
        self.ring.slices(0, max)
    }

    /// Removes up to `n` readable bytes; returns how many went.
    pub fn consume(&mut self, n: usize) -> usize {
        self.ring.consume(n)
    }

    /// The window to advertise, with receiver-side silly window avoidance.
    ///
    /// `current` is what is left of the window last advertised (its right
    /// edge minus `RCV.NXT`). RFC 9293 §3.8.6.2.2 (after RFC 1122 §4.2.3.3)
    /// says to keep the right edge where it is until it can move by at least
    /// the smaller of one full segment (`mss`) and half the buffer; then
    /// advertise all the room there is. The window never shrinks below what
    /// was offered, as long as that still fits.
    pub fn window_to_advertise(&self, current: usize, mss: usize) -> usize {
        let room = self.window();
        let threshold = mss.min(self.capacity() / 2).max(1);
        if room >= current.saturating_add(threshold) {
            room
        } else {
            current.min(room)
        }
    }

    /// The SACK blocks to send with the next ACK, `rcv_nxt` being the
    /// sequence number at `RCV.NXT`, at most `max` of them (capped at
    /// [`MAX_SACK_BLOCKS`]).
    ///
    /// Follows RFC 2018 §4: the block holding the latest out-of-order segment
    /// comes first, then the other blocks by how recently they changed; no
    /// block covers data below `RCV.NXT`.
    pub fn sack_blocks(&self, rcv_nxt: SeqNumber, max: usize) -> SackBlocks {
        let mut ranges = [(0u64, 0u64); MAX_SACK_BLOCKS];
        let n = self
            .assembler
            .recent_ranges(&mut ranges[..max.min(MAX_SACK_BLOCKS)]);
        let mut out = SackBlocks::default();
        for (slot, &(start, end)) in out.blocks.iter_mut().zip(&ranges[..n]) {
            *slot = (
                rcv_nxt + (start - self.next) as usize,
                rcv_nxt + (end - self.next) as usize,
            );
        }
        out.len = n;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    fn read_all(buf: &mut RecvBuffer) -> Vec<u8> {
        let mut out = vec![0; buf.len()];
        let n = buf.read(&mut out);
        out.truncate(n);
        out
    }

    #[test]
    fn held_part_finds_the_first_overlap() {
        let mut buf = RecvBuffer::new(100, 4);
        buf.insert(10, b"0123456789");
        buf.insert(30, b"abcde");
        assert_eq!(buf.held_part(0, 10), None);
        assert_eq!(buf.held_part(5, 10), Some((10, 15)));
        assert_eq!(buf.held_part(12, 3), Some((12, 15)));
        assert_eq!(buf.held_part(15, 30), Some((15, 20)));
        assert_eq!(buf.held_part(20, 10), None);
        assert_eq!(buf.held_part(28, 4), Some((30, 32)));
        // In-order data is no longer "held out of order".
        buf.insert(0, b"0123456789");
        assert_eq!(buf.held_part(0, 5), None);
    }

    #[test]
    fn in_order_then_read() {
        let mut buf = RecvBuffer::new(8, 4);
        assert_eq!(buf.allocated(), 0);
        assert_eq!(buf.insert(0, b"hello"), 5);
        assert_eq!(buf.window(), 3);
        assert_eq!(buf.insert(0, b"world"), 3);
        assert_eq!(buf.window(), 0);
        assert_eq!(read_all(&mut buf), b"hellowor");
        assert_eq!(buf.window(), 8);
        assert_eq!(buf.received(), 8);
    }

    #[test]
    fn holes_fill_in_any_order() {
        let mut buf = RecvBuffer::new(16, 4);
        assert_eq!(buf.insert(6, b"ghi"), 0);
        assert_eq!(buf.insert(2, b"cd"), 0);
        assert!(buf.has_holes());
        assert_eq!(buf.len(), 0);
        assert_eq!(buf.window(), 16);
        assert_eq!(buf.insert(0, b"ab"), 4);
        assert_eq!(buf.insert(0, b"ef"), 5);
        assert!(!buf.has_holes());
        assert_eq!(read_all(&mut buf), b"abcdefghi");
    }

    #[test]
    fn data_past_window_is_cut() {
        let mut buf = RecvBuffer::new(8, 4);
        assert_eq!(buf.insert(6, b"XYZ"), 0);
        assert_eq!(buf.insert(20, b"far"), 0);
        assert_eq!(buf.assembler().ranges().collect::<Vec<_>>(), vec![(6, 8)]);
        assert_eq!(buf.insert(0, b"abcdef"), 8);
        assert_eq!(read_all(&mut buf), b"abcdefXY");
    }

    #[test]
    fn wraps_around_the_ring() {
        let mut buf = RecvBuffer::new(8, 4);
        buf.insert(0, b"123456");
        let mut out = [0; 5];
        buf.read(&mut out);
        // Head is at 5; out-of-order data wraps past the end of the ring.
        assert_eq!(buf.insert(3, b"WXYZ"), 0);
        assert_eq!(buf.insert(0, b"abc"), 7);
        let (a, b) = buf.peek(100);
        assert_eq!([a, b].concat(), b"6abcWXYZ");
        assert_eq!(buf.consume(3), 3);
        assert_eq!(read_all(&mut buf), b"cWXYZ");
    }

    #[test]
    fn fin_in_and_out_of_order() {
        let mut buf = RecvBuffer::new(16, 4);
        buf.insert(3, b"de");
        assert!(!buf.insert_fin(5));
        // Data past the FIN is ignored.
        assert_eq!(buf.insert(5, b"zz"), 0);
        assert!(!buf.fin_reached());
        assert_eq!(buf.insert(0, b"abcdezz"), 5);
        assert!(buf.fin_reached());
        assert_eq!(read_all(&mut buf), b"abcde");

        let mut buf = RecvBuffer::new(16, 4);
        buf.insert(0, b"ab");
        assert!(buf.insert_fin(0));
        // A FIN before data already held is not believed.
        let mut buf = RecvBuffer::new(16, 4);
        buf.insert(4, b"ef");
        assert!(!buf.insert_fin(2));
        assert!(!buf.insert_fin(99));
        assert!(!buf.insert_fin(6));
        buf.insert(0, b"abcd");
        assert!(buf.fin_reached());
    }

    #[test]
    fn sack_blocks_most_recent_first() {
        let mut buf = RecvBuffer::new(100, 8);
        let nxt = SeqNumber::new(u32::MAX - 4);
        buf.insert(10, b"aaaa");
        buf.insert(20, b"bbbb");
        buf.insert(30, b"cccc");
        buf.insert(40, b"dddd");
        buf.insert(50, b"eeee");
        buf.insert(24, b"BB");
        let blocks = buf.sack_blocks(nxt, 3);
        assert_eq!(blocks.len(), 3);
        assert_eq!(
            blocks.as_slice(),
            &[
                (nxt + 20usize, nxt + 26usize),
                (nxt + 50usize, nxt + 54usize),
                (nxt + 40usize, nxt + 44usize)
            ]
        );
        assert_eq!(buf.sack_blocks(nxt, 9).len(), 4);
        // After the front hole fills, blocks are relative to the new RCV.NXT
        // and never cover it.
        buf.insert(0, b"0123456789");
        let nxt = nxt + 14usize;
        let blocks = buf.sack_blocks(nxt, 4);
        assert_eq!(blocks.as_slice()[0], (nxt + 6usize, nxt + 12usize));
        assert!(blocks.as_slice().iter().all(|&(l, _)| l > nxt));
        let mut empty = RecvBuffer::new(10, 2);
        empty.insert(0, b"x");
        assert!(empty.sack_blocks(nxt, 4).is_empty());
    }

    #[test]
    fn receiver_silly_window_avoidance() {
        let mut buf = RecvBuffer::new(1000, 4);
        buf.insert(0, &[0; 900]);
        // 100 bytes left of the advertised window; reading 50 frees too little.
        buf.consume(50);
        assert_eq!(buf.window(), 150);
        assert_eq!(buf.window_to_advertise(100, 100), 100);
        buf.consume(50);
        assert_eq!(buf.window_to_advertise(100, 100), 200);
        // Half the buffer is the threshold when that is smaller than the MSS.
        assert_eq!(buf.window_to_advertise(0, 1460), 0);
        buf.consume(400);
        assert_eq!(buf.window_to_advertise(0, 1460), 600);
    }

    #[test]
    fn too_many_holes_drops_new_islands() {
        let mut buf = RecvBuffer::new(100, 2);
        buf.insert(10, b"a");
        buf.insert(20, b"b");
        assert_eq!(buf.insert(30, b"c"), 0);
        assert_eq!(buf.assembler().range_count(), 2);
        assert_eq!(buf.insert(0, &[b'x'; 10]), 11);
    }

    /// A stream cut into segments that arrive shuffled, duplicated and
    /// overlapping, through a small buffer read in random amounts.
    fn deliver(
        stream: &[u8],
        cuts: &[(usize, usize)],
        reads: &[usize],
        cap: usize,
        max_ranges: usize,
    ) -> Vec<u8> {
        let mut buf = RecvBuffer::new(cap, max_ranges);
        let mut out = Vec::new();
        let mut scratch = vec![0; cap];
        let mut reads = reads.iter().cycle();
        // Like a sender retransmitting, go round the segments until done.
        for _round in 0..10_000 {
            if buf.received() as usize == stream.len() {
                break;
            }
            for &(start, len) in cuts {
                let end = (start + len).min(stream.len());
                let next = buf.received() as usize;
                if end <= next || start >= end {
                    continue;
                }
                let from = start.max(next);
                buf.insert(from - next, &stream[from..end]);
                assert!(buf.assembler().range_count() <= max_ranges);
                assert!(buf.allocated() <= cap);
                let want = (*reads.next().unwrap()).min(cap);
                let n = buf.read(&mut scratch[..want]);
                out.extend_from_slice(&scratch[..n]);
            }
        }
        let n = buf.read(&mut scratch);
        out.extend_from_slice(&scratch[..n]);
        out
    }

    proptest! {
        #[test]
        fn reassembly_gives_the_original_stream(
            stream in proptest::collection::vec(any::<u8>(), 1..2000),
            cuts in proptest::collection::vec((0usize..2000, 1usize..300), 1..60),
            reads in proptest::collection::vec(1usize..500, 1..20),
            cap in 1usize..700,
            max_ranges in 1usize..6,
        ) {
            // Make sure every byte is covered by some segment.
            let mut cuts = cuts;
            let mut at = 0;
            while at < stream.len() {
                cuts.push((at, 97));
                at += 97;
            }
            let out = deliver(&stream, &cuts, &reads, cap, max_ranges);
            prop_assert_eq!(out, stream);
        }
    }
}
