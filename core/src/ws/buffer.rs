//! A byte buffer that keeps its memory initialised between uses.
//!
//! `Vec<u8>` must zero bytes before safe code may write them, so refilling a
//! cleared `Vec` with unmasked payload costs a zeroing pass plus the copy.
//! [`RecvBuf`] remembers how far its storage has ever been initialised:
//! clearing it only resets a length, and the next payload is written straight
//! over the old bytes in one pass.
//!
//! [`Banks`] holds received messages in two buffers used in turn (strings
//! for text, [`RecvBuf`]s for binary), so that a message still arriving when
//! a read ends can start at the front of an empty buffer and never has to
//! be moved there.

use alloc::string::String;
use alloc::vec::Vec;

use super::mask::copy_masked;

/// Storage above this size is released when the buffer empties.
const KEEP_LIMIT: usize = 8 << 20;

/// Bytes `0..len` are the contents; `len..data.len()` are stale but
/// initialised, ready to be overwritten.
#[derive(Debug, Default)]
pub(crate) struct RecvBuf {
    data: Vec<u8>,
    len: usize,
}

impl RecvBuf {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The contents.
    #[inline]
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.data[..self.len]
    }

    /// Empties the buffer; the storage stays for the next message unless it
    /// grew past the keep limit.
    pub(crate) fn clear(&mut self) {
        self.len = 0;
        if self.data.len() > KEEP_LIMIT {
            self.data = Vec::new();
        }
    }

    pub(crate) fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Drops the first `n` bytes, moving the rest to the front.
    pub(crate) fn drain_front(&mut self, n: usize) {
        let n = n.min(self.len);
        self.data.copy_within(n..self.len, 0);
        self.len -= n;
    }

    /// Makes room for `additional` more bytes without initialising them.
    pub(crate) fn reserve(&mut self, additional: usize) {
        let want = self.len.saturating_add(additional);
        if want > self.data.len() {
            self.data.reserve(want - self.data.len());
        }
    }

    /// The `n` bytes after the contents, now part of them.
    fn grow(&mut self, n: usize) -> &mut [u8] {
        let start = self.len;
        let end = start + n;
        if self.data.len() < end {
            self.data.resize(end, 0);
        }
        self.len = end;
        &mut self.data[start..end]
    }

    /// Appends `src`, unmasked with `key` from `offset` when there is a key.
    pub(crate) fn extend_unmasked(&mut self, src: &[u8], key: Option<[u8; 4]>, offset: usize) {
        let dst = self.grow(src.len());
        match key {
            Some(k) => copy_masked(dst, src, k, offset),
            None => dst.copy_from_slice(src),
        }
    }

    /// Runs `f` on the contents as a `Vec` (for writers that append to one,
    /// like the inflater). The stale tail is given up.
    pub(crate) fn with_vec<R>(&mut self, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        self.data.truncate(self.len);
        let r = f(&mut self.data);
        self.len = self.data.len();
        r
    }
}

/// What [`Banks`] can hold.
pub(crate) trait Bank: Default {
    /// Bytes held.
    fn len(&self) -> usize;
    /// Empties it, dropping its storage if it grew past the keep limit.
    fn release(&mut self);
    /// Drops the first `n` bytes (fewer than it holds), moving the rest to
    /// the front; `false`, changing nothing, when it cannot be cut there.
    fn cut_front(&mut self, n: usize) -> bool;
}

impl Bank for RecvBuf {
    fn len(&self) -> usize {
        self.len
    }

    fn release(&mut self) {
        self.clear();
    }

    fn cut_front(&mut self, n: usize) -> bool {
        self.drain_front(n);
        true
    }
}

impl Bank for String {
    fn len(&self) -> usize {
        String::len(self)
    }

    fn release(&mut self) {
        self.clear();
        if self.capacity() > KEEP_LIMIT {
            *self = String::new();
        }
    }

    fn cut_front(&mut self, n: usize) -> bool {
        if !self.is_char_boundary(n) {
            return false;
        }
        self.drain(..n);
        true
    }
}

/// Received messages of one kind, in two banks used in turn.
///
/// Messages are appended to the current bank. A message that is still
/// arriving when every earlier event has been handed out must be kept; if
/// it sat behind other messages, keeping it would mean moving it to the
/// front. So a message starts in the other bank when that one is empty and
/// the current one is not: then it starts at offset 0 and stays where it
/// is.
#[derive(Debug, Default)]
pub(crate) struct Banks<B> {
    banks: [B; 2],
    /// The bank messages are appended to (0 or 1).
    cur: usize,
}

/// Received text, checked once on arrival.
pub(crate) type TextBufs = Banks<String>;
/// Received binary payload (and scratch space for text and inflation).
pub(crate) type BinBufs = Banks<RecvBuf>;

impl<B: Bank> Banks<B> {
    /// The bank messages are appended to now, and its index for `get`.
    pub(crate) fn current(&mut self) -> (&mut B, u8) {
        let bank = self.cur & 1;
        (&mut self.banks[bank], bank as u8)
    }

    /// A message begins: switches to the other bank when that is empty and
    /// the current one is not, so the message starts at the front. Returns
    /// where it starts in the current bank.
    pub(crate) fn begin_message(&mut self) -> usize {
        let cur = self.cur & 1;
        if self.banks[cur].len() != 0 && self.banks[cur ^ 1].len() == 0 {
            self.cur = cur ^ 1;
        }
        self.banks[self.cur & 1].len()
    }

    /// Every event has been handed out: empties both banks except the
    /// current one's bytes from `keep_from` on (the message in progress),
    /// which move to its front. Returns how many bytes they moved by.
    pub(crate) fn reclaim(&mut self, keep_from: Option<usize>) -> usize {
        let cur = self.cur & 1;
        self.banks[cur ^ 1].release();
        let bank = &mut self.banks[cur];
        match keep_from {
            Some(k) if k < bank.len() && bank.cut_front(k) => k,
            _ => {
                let n = bank.len();
                bank.release();
                n
            }
        }
    }
}

impl Banks<String> {
    /// The text at `start..end` of `bank` (empty when the range does not
    /// fall on character boundaries, which the receive path never makes).
    #[inline]
    pub(crate) fn get(&self, bank: u8, start: usize, end: usize) -> &str {
        self.banks[usize::from(bank & 1)]
            .get(start..end)
            .unwrap_or("")
    }
}

impl Banks<RecvBuf> {
    /// The bytes at `start..end` of `bank` (empty when out of range, which
    /// the receive path never makes).
    #[inline]
    pub(crate) fn get(&self, bank: u8, start: usize, end: usize) -> &[u8] {
        self.banks[usize::from(bank & 1)]
            .as_slice()
            .get(start..end)
            .unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clear_keeps_storage_and_refill_overwrites() {
        let mut b = RecvBuf::default();
        b.extend_unmasked(b"hello world", None, 0);
        b.clear();
        assert_eq!(b.len(), 0);
        b.extend_unmasked(b"abc", None, 0);
        assert_eq!(b.as_slice(), b"abc");
        b.extend_unmasked(
            &[0x7f, 0x9f, 0x4d, 0x51, 0x58],
            Some([0x37, 0xfa, 0x21, 0x3d]),
            0,
        );
        assert_eq!(b.as_slice(), b"abcHello");
    }

    #[test]
    fn drain_truncate_and_vec_view() {
        let mut b = RecvBuf::default();
        b.extend_unmasked(b"0123456789", None, 0);
        b.drain_front(4);
        assert_eq!(b.as_slice(), b"456789");
        b.truncate(3);
        assert_eq!(b.as_slice(), b"456");
        b.with_vec(|v| v.extend_from_slice(b"xy"));
        assert_eq!(b.as_slice(), b"456xy");
        b.drain_front(99);
        assert_eq!(b.len(), 0);
    }

    /// A message begun while the current bank holds earlier messages
    /// starts at the front of the other one, and keeping it when the rest
    /// is reclaimed moves nothing; when both banks are busy it starts
    /// behind the others and is moved to the front.
    #[test]
    fn a_message_in_progress_starts_in_an_empty_bank() {
        let mut b = BinBufs::default();
        assert_eq!(b.begin_message(), 0);
        b.current().0.extend_unmasked(b"first", None, 0);
        let (_, first) = b.current();
        // The next message goes to the other, empty bank.
        assert_eq!(b.begin_message(), 0);
        let (buf, second) = b.current();
        assert_ne!(second, first);
        buf.extend_unmasked(b"sec", None, 0);
        assert_eq!(b.get(first, 0, 5), b"first");
        assert_eq!(b.reclaim(Some(0)), 0, "nothing moves");
        assert_eq!(b.get(second, 0, 3), b"sec");
        assert_eq!(b.get(first, 0, 5), b"", "the other bank was emptied");
        // The second completes; a third starts in the emptied bank.
        b.current().0.extend_unmasked(b"ond", None, 0);
        assert_eq!(b.begin_message(), 0);
        let (buf, third) = b.current();
        assert_eq!(third, first);
        buf.extend_unmasked(b"third", None, 0);
        // Both banks busy: a fourth starts behind the third...
        assert_eq!(b.begin_message(), 5);
        b.current().0.extend_unmasked(b"4th", None, 0);
        assert_eq!(b.get(second, 0, 6), b"second");
        // ...and is moved to the front when the rest is reclaimed.
        assert_eq!(b.reclaim(Some(5)), 5);
        assert_eq!(b.get(third, 0, 3), b"4th");
        assert_eq!(b.get(second, 0, 6), b"");
    }

    #[test]
    fn text_banks_keep_a_message_in_progress() {
        let mut t = TextBufs::default();
        t.begin_message();
        t.current().0.push_str("done");
        let start = t.begin_message();
        assert_eq!(start, 0);
        let (s, bank) = t.current();
        s.push_str("héllo");
        assert_eq!(t.reclaim(Some(0)), 0);
        assert_eq!(t.get(bank, 0, 6), "héllo");
        // Keeping from a point past other text cuts it off the front.
        t.current().0.push_str(" more");
        assert_eq!(t.reclaim(Some(6)), 6);
        assert_eq!(t.get(bank, 0, 5), " more");
        // Nothing to keep: everything goes.
        assert_eq!(t.reclaim(None), 5);
        assert_eq!(t.current().0.len(), 0);
    }

    #[test]
    fn large_storage_is_released_when_emptied() {
        let mut b = RecvBuf::default();
        b.extend_unmasked(&alloc::vec![1u8; KEEP_LIMIT + 1], None, 0);
        b.clear();
        assert_eq!(b.data.capacity(), 0);
    }
}
