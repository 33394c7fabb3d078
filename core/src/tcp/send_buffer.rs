//! The send buffer: bytes the application wrote that the peer has not yet
//! acknowledged.
//!
//! RFC 9293 §3.3.1 splits the send side of sequence space into bytes sent and
//! acknowledged (gone), sent and unacknowledged (`SND.UNA` up to `SND.NXT`),
//! and not yet sent but allowed. This buffer keeps the second and third parts
//! back to back, starting at `SND.UNA`: offset 0 is always the oldest
//! unacknowledged byte. The connection remembers how far it has sent; the
//! buffer only stores bytes and hands out any range of them again for
//! retransmission until they are acknowledged.
//!
//! The capacity is fixed at construction, so the memory a peer can make us
//! hold is bounded; [`SendBuffer::write`] takes only what fits.
//!
//! A FIN occupies one sequence number after the last data byte (RFC 9293
//! §3.4). Once the application has closed its side, [`SendBuffer::finish`]
//! records that, and [`SendBuffer::ack`] counts the FIN when an
//! acknowledgment covers it.

use super::ring::Ring;
use crate::wire::checksum;

/// Where the FIN of our direction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fin {
    /// The application may still write.
    Open,
    /// The application closed; the FIN follows the buffered data.
    Queued,
    /// The peer acknowledged the FIN.
    Acked,
}

/// Bytes written by the application but not yet acknowledged, plus the FIN.
///
/// Offsets passed to [`peek`](Self::peek) and [`ack`](Self::ack) count from
/// `SND.UNA`, the oldest unacknowledged byte.
#[derive(Debug, Clone)]
pub struct SendBuffer {
    /// The bytes, with the FIN state as the ring's tag.
    ring: Ring<Fin>,
}

impl SendBuffer {
    /// An empty buffer that will hold at most `capacity` bytes.
    ///
    /// No memory is allocated until the first write.
    pub fn new(capacity: usize) -> Self {
        SendBuffer {
            ring: Ring::new(capacity, Fin::Open),
        }
    }

    /// The most bytes the buffer can hold.
    pub const fn capacity(&self) -> usize {
        self.ring.capacity()
    }

    /// Bytes held: unacknowledged and not yet sent (the FIN not counted).
    pub const fn len(&self) -> usize {
        self.ring.len()
    }

    /// Whether no data bytes are held.
    pub const fn is_empty(&self) -> bool {
        self.ring.len() == 0
    }

    /// How many more bytes [`write`](Self::write) would take now.
    ///
    /// Zero once the FIN is queued.
    pub const fn free(&self) -> usize {
        match self.ring.tag {
            Fin::Open => self.ring.free(),
            _ => 0,
        }
    }

    /// Bytes of heap memory the buffer holds right now.
    pub fn allocated(&self) -> usize {
        self.ring.allocated()
    }

    /// Appends as much of `data` as fits and returns how much did.
    ///
    /// Returns 0 once [`finish`](Self::finish) has been called: nothing may
    /// follow the FIN.
    pub fn write(&mut self, data: &[u8]) -> usize {
        if self.ring.tag != Fin::Open {
            return 0;
        }
        self.ring.append(data)
    }

    /// Up to `max` bytes starting `offset` bytes after `SND.UNA`, as one or
    /// two contiguous slices (the second is non-empty only when the range
    /// wraps around the end of the ring). Both are empty past the end.
    pub fn peek(&self, offset: usize, max: usize) -> (&[u8], &[u8]) {
        self.ring.slices(offset, max)
    }

    /// Copies the bytes starting `offset` bytes after `SND.UNA` into `out`
    /// (as many as are held and fit) and returns how many were copied.
    pub fn copy_to(&self, offset: usize, out: &mut [u8]) -> usize {
        let (a, b) = self.peek(offset, out.len());
        out[..a.len()].copy_from_slice(a);
        out[a.len()..a.len() + b.len()].copy_from_slice(b);
        a.len() + b.len()
    }

    /// [`copy_to`](Self::copy_to) that also returns the sum of the bytes
    /// copied (as [`checksum::sum`] gives it), taken from the buffer rather
    /// than read back from `out` (see `checksum::copy_and_sum`).
    pub fn copy_to_summed(&self, offset: usize, out: &mut [u8]) -> (usize, u16) {
        let (a, b) = self.peek(offset, out.len());
        let first = checksum::copy_and_sum(&mut out[..a.len()], a);
        if b.is_empty() {
            return (a.len(), first);
        }
        let mut second = checksum::copy_and_sum(&mut out[a.len()..a.len() + b.len()], b);
        if a.len() % 2 == 1 {
            // The second slice starts halfway through a 16-bit word: its
            // bytes sit in the other half of each word, and the one's
            // complement sum of byte-swapped words is the swapped sum.
            second = second.swap_bytes();
        }
        (a.len() + b.len(), checksum::combine(first, second))
    }

    /// Removes the first `n` units of sequence space after `SND.UNA`.
    ///
    /// `n` counts data bytes and, when it reaches past them while a FIN is
    /// queued, the FIN too; anything more is ignored (the connection checks
    /// acknowledgments against `SND.NXT` before calling this). Returns the
    /// number of data bytes removed.
    pub fn ack(&mut self, n: usize) -> usize {
        let data = self.ring.consume(n);
        if n > data && self.ring.tag == Fin::Queued {
            self.ring.tag = Fin::Acked;
        }
        if self.ring.len() == 0 && self.ring.tag == Fin::Acked {
            self.ring.release_if_empty();
        }
        data
    }

    /// Records that the application closed its side: a FIN follows the data.
    ///
    /// Calling it again changes nothing.
    pub fn finish(&mut self) {
        if self.ring.tag == Fin::Open {
            self.ring.tag = Fin::Queued;
        }
    }

    /// Whether [`finish`](Self::finish) was called.
    pub const fn is_finished(&self) -> bool {
        !matches!(self.ring.tag, Fin::Open)
    }

    /// Whether the peer has acknowledged our FIN.
    pub const fn fin_acked(&self) -> bool {
        matches!(self.ring.tag, Fin::Acked)
    }

    /// The offset of the FIN after `SND.UNA` while it is queued and not yet
    /// acknowledged (it follows the last data byte), else `None`.
    pub const fn fin_offset(&self) -> Option<usize> {
        match self.ring.tag {
            Fin::Queued => Some(self.ring.len()),
            _ => None,
        }
    }

    /// The sequence space held: data bytes plus one for an unacknowledged FIN.
    pub const fn sequence_len(&self) -> usize {
        self.ring.len() + matches!(self.ring.tag, Fin::Queued) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn collect(buf: &SendBuffer, offset: usize, max: usize) -> Vec<u8> {
        let (a, b) = buf.peek(offset, max);
        [a, b].concat()
    }

    #[test]
    fn write_is_bounded_by_capacity() {
        let mut buf = SendBuffer::new(10);
        assert_eq!(buf.allocated(), 0);
        assert_eq!(buf.write(b"hello"), 5);
        assert_eq!(buf.write(b"wonderful world"), 5);
        assert_eq!(buf.len(), 10);
        assert_eq!(buf.free(), 0);
        assert_eq!(buf.write(b"more"), 0);
        assert_eq!(buf.allocated(), 10);
        assert_eq!(collect(&buf, 0, 100), b"hellowonde");
    }

    #[test]
    fn peek_at_offsets_for_retransmission() {
        let mut buf = SendBuffer::new(8);
        buf.write(b"abcdefgh");
        assert_eq!(buf.ack(5), 5);
        buf.write(b"ijklm");
        // Ring now wraps: "fgh" at the end, "ijklm" at the start.
        let (a, b) = buf.peek(0, 8);
        assert_eq!((a, b), (&b"fgh"[..], &b"ijklm"[..]));
        assert_eq!(collect(&buf, 2, 3), b"hij");
        assert_eq!(collect(&buf, 6, 10), b"lm");
        assert_eq!(collect(&buf, 8, 10), b"");
        let mut out = [0u8; 4];
        assert_eq!(buf.copy_to(1, &mut out), 4);
        assert_eq!(&out, b"ghij");
        // Peeking twice gives the same bytes: nothing is consumed.
        assert_eq!(collect(&buf, 0, 8), b"fghijklm");
    }

    #[test]
    fn ack_more_than_held_is_clipped() {
        let mut buf = SendBuffer::new(8);
        buf.write(b"abc");
        assert_eq!(buf.ack(10), 3);
        assert!(buf.is_empty());
        assert!(!buf.fin_acked());
    }

    #[test]
    fn fin_after_data() {
        let mut buf = SendBuffer::new(8);
        buf.write(b"abc");
        assert_eq!(buf.fin_offset(), None);
        buf.finish();
        buf.finish();
        assert!(buf.is_finished());
        assert_eq!(buf.write(b"x"), 0);
        assert_eq!(buf.free(), 0);
        assert_eq!(buf.fin_offset(), Some(3));
        assert_eq!(buf.sequence_len(), 4);
        // Acknowledging only the data leaves the FIN outstanding.
        assert_eq!(buf.ack(3), 3);
        assert_eq!(buf.fin_offset(), Some(0));
        assert!(!buf.fin_acked());
        assert_eq!(buf.ack(1), 0);
        assert!(buf.fin_acked());
        assert_eq!(buf.fin_offset(), None);
        assert_eq!(buf.sequence_len(), 0);
        assert_eq!(buf.allocated(), 0);
    }

    #[test]
    fn data_and_fin_acked_together() {
        let mut buf = SendBuffer::new(8);
        buf.write(b"abc");
        buf.finish();
        assert_eq!(buf.ack(4), 3);
        assert!(buf.fin_acked());
    }

    #[test]
    fn streams_many_times_the_capacity() {
        let mut buf = SendBuffer::new(7);
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let (mut written, mut acked) = (0, 0);
        let mut seen = Vec::new();
        while acked < data.len() {
            written += buf.write(&data[written..]);
            let chunk = collect(&buf, 0, 3);
            seen.extend_from_slice(&chunk);
            acked += buf.ack(chunk.len());
        }
        assert_eq!(seen, data);
    }

    /// The sum taken while copying matches the sum of the bytes copied,
    /// whether the range wraps around the ring after an odd or an even
    /// number of bytes, and whatever its length.
    #[test]
    fn copy_summed_across_the_wrap() {
        let data: Vec<u8> = (0..600u32).map(|i| (i * 37 + 11) as u8).collect();
        for acked in 140..160 {
            let mut buf = SendBuffer::new(300);
            buf.write(&data[..300]);
            buf.ack(acked);
            buf.write(&data[300..300 + acked]);
            let held = collect(&buf, 0, 300);
            for offset in [0, 1, 2, 7, 64, 149] {
                for max in [0, 1, 63, 64, 65, 129, 300] {
                    let mut out = [0u8; 300];
                    let (n, sum) = buf.copy_to_summed(offset, &mut out[..max]);
                    let want = &held[offset.min(300)..(offset + max).min(300)];
                    assert_eq!(&out[..n], want, "acked {acked} offset {offset} max {max}");
                    assert_eq!(
                        sum,
                        checksum::sum(want),
                        "acked {acked} offset {offset} max {max}"
                    );
                }
            }
        }
    }
}
