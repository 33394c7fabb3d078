//! A byte buffer that keeps its memory initialised between uses.
//!
//! `Vec<u8>` must zero bytes before safe code may write them, so refilling a
//! cleared `Vec` with unmasked payload costs a zeroing pass plus the copy.
//! [`RecvBuf`] remembers how far its storage has ever been initialised:
//! clearing it only resets a length, and the next payload is written straight
//! over the old bytes in one pass.
//!
//! [`TextBufs`] holds received text in two strings used in turn, so that a
//! text message still arriving when a read ends can start at the front of
//! an empty string and never has to be moved there.

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

/// Received text, checked once on arrival, in two banks used in turn.
///
/// Text is appended to the current bank. A message that is still arriving
/// when every earlier event has been handed out must be kept; if it sat
/// behind other messages, keeping it would mean moving it to the front. So
/// a message starts in the other bank when that one is empty and the
/// current one is not: then it starts at offset 0 and stays where it is.
#[derive(Debug, Default)]
pub(crate) struct TextBufs {
    banks: [String; 2],
    /// The bank text is appended to (0 or 1).
    cur: usize,
}

impl TextBufs {
    /// The bank text is appended to now, and its index for [`Self::get`].
    pub(crate) fn current(&mut self) -> (&mut String, u8) {
        let bank = self.cur & 1;
        (&mut self.banks[bank], bank as u8)
    }

    /// A text message begins: switches to the other bank when that is
    /// empty and the current one is not, so the message starts at the
    /// front. Returns where it starts in the current bank.
    pub(crate) fn begin_message(&mut self) -> usize {
        let cur = self.cur & 1;
        if !self.banks[cur].is_empty() && self.banks[cur ^ 1].is_empty() {
            self.cur = cur ^ 1;
        }
        self.banks[self.cur & 1].len()
    }

    /// The text at `start..end` of `bank` (empty when the range does not
    /// fall on character boundaries, which the receive path never makes).
    #[inline]
    pub(crate) fn get(&self, bank: u8, start: usize, end: usize) -> &str {
        self.banks[usize::from(bank & 1)]
            .get(start..end)
            .unwrap_or("")
    }

    /// Every event has been handed out: empties both banks except the
    /// current one's bytes from `keep_from` on (the message in progress),
    /// which move to its front. Returns how many bytes they moved by.
    pub(crate) fn reclaim(&mut self, keep_from: Option<usize>) -> usize {
        let cur = self.cur & 1;
        release(&mut self.banks[cur ^ 1]);
        let bank = &mut self.banks[cur];
        match keep_from {
            Some(k) if k < bank.len() && bank.is_char_boundary(k) => {
                bank.drain(..k);
                k
            }
            _ => {
                let n = bank.len();
                release(bank);
                n
            }
        }
    }
}

/// Empties `s`, dropping its storage if it grew past the keep limit.
fn release(s: &mut String) {
    s.clear();
    if s.capacity() > KEEP_LIMIT {
        *s = String::new();
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

    #[test]
    fn large_storage_is_released_when_emptied() {
        let mut b = RecvBuf::default();
        b.extend_unmasked(&alloc::vec![1u8; KEEP_LIMIT + 1], None, 0);
        b.clear();
        assert_eq!(b.data.capacity(), 0);
    }
}
