//! A bounded byte ring shared by the send and receive buffers.
//!
//! The ring holds at most its configured capacity, but its storage grows on
//! demand, doubling from 4 KiB up to that capacity: a connection that
//! carries little data costs little memory, however large its configured
//! buffers. Offsets are relative to the oldest byte (`head`). Bytes past
//! `len` may be written too (the receive buffer parks out-of-order data
//! there); only `[0, len)` counts as held.

use alloc::boxed::Box;
use alloc::vec;

/// The first allocation, in bytes.
const MIN_ALLOC: usize = 4096;

/// Positions are `u32`: buffers are at most 1 GiB (the configuration
/// checks it), and the narrower fields keep every connection smaller.
///
/// `T` is a small value the owner keeps beside the bytes (the send buffer's
/// FIN state): stored here it takes the ring's trailing padding instead of
/// growing the owner by a whole word.
#[derive(Clone)]
pub(crate) struct Ring<T = ()> {
    /// The storage; its length is the ring's current physical size.
    buf: Box<[u8]>,
    capacity: u32,
    head: u32,
    len: u32,
    /// The owner's value.
    pub(crate) tag: T,
}

impl<T> core::fmt::Debug for Ring<T> {
    // The bytes themselves would drown any log line.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ring")
            .field("capacity", &self.capacity)
            .field("len", &self.len)
            .field("allocated", &self.buf.len())
            .finish()
    }
}

impl<T> Ring<T> {
    /// An empty ring holding at most `capacity` bytes (clamped to
    /// `u32::MAX`; the configuration never asks for more than 1 GiB), with
    /// the owner's value `tag`.
    pub(crate) fn new(capacity: usize, tag: T) -> Self {
        Ring {
            buf: Box::default(),
            capacity: u32::try_from(capacity).unwrap_or(u32::MAX),
            head: 0,
            len: 0,
            tag,
        }
    }

    pub(crate) const fn capacity(&self) -> usize {
        self.capacity as usize
    }

    pub(crate) const fn len(&self) -> usize {
        self.len as usize
    }

    pub(crate) const fn free(&self) -> usize {
        (self.capacity - self.len) as usize
    }

    const fn head(&self) -> usize {
        self.head as usize
    }

    /// Bytes of heap memory currently held.
    pub(crate) fn allocated(&self) -> usize {
        self.buf.len()
    }

    /// Makes the storage cover offsets `[0, end)` (`end <= capacity`),
    /// growing it and laying the contents out from index 0 if needed.
    fn reserve(&mut self, end: usize) {
        let size = self.buf.len();
        if end <= size {
            return;
        }
        let new_size = end
            .next_power_of_two()
            .max(MIN_ALLOC)
            .max(size * 2)
            .min(self.capacity());
        let mut grown = vec![0; new_size].into_boxed_slice();
        // Everything, held or parked, keeps its offset from `head`.
        let head = self.head();
        grown[..size - head].copy_from_slice(&self.buf[head..]);
        grown[size - head..size].copy_from_slice(&self.buf[..head]);
        self.buf = grown;
        self.head = 0;
    }

    /// Copies `data` to offsets `[offset, offset + data.len())`.
    ///
    /// The caller keeps `offset + data.len() <= capacity`; anything past the
    /// capacity is silently cut off so no input can index out of bounds.
    pub(crate) fn write_at(&mut self, offset: usize, data: &[u8]) {
        if offset >= self.capacity() || data.is_empty() {
            return;
        }
        let data = &data[..data.len().min(self.capacity() - offset)];
        self.reserve(offset + data.len());
        let size = self.buf.len();
        let start = self.position(offset);
        let first = data.len().min(size - start);
        self.buf[start..start + first].copy_from_slice(&data[..first]);
        if first < data.len() {
            self.buf[..data.len() - first].copy_from_slice(&data[first..]);
        }
    }

    /// Where the byte `offset` past the head sits in the storage.
    ///
    /// Every caller passes an offset no larger than the storage (`write_at`
    /// has just reserved past it; `slices` and `consume` stay within `len`)
    /// and the head is below it, so one subtraction stands in for a
    /// division, which cost a `div` per segment on the send and receive
    /// paths. The clamp keeps even a wrong offset inside the storage.
    #[inline]
    fn position(&self, offset: usize) -> usize {
        let size = self.buf.len();
        let at = self.head() + offset;
        let at = if at >= size { at - size } else { at };
        at.min(size)
    }

    /// Appends as much of `data` as fits; returns how much did.
    pub(crate) fn append(&mut self, data: &[u8]) -> usize {
        let n = data.len().min(self.free());
        self.write_at(self.len(), &data[..n]);
        // `n <= free`, so the sum stays within the u32 capacity.
        self.len += n as u32;
        n
    }

    /// Marks `n` more bytes (already written past `len`) as held.
    pub(crate) fn commit(&mut self, n: usize) {
        let len = (self.len() + n).min(self.capacity()).min(self.buf.len());
        // Bounded by the u32 capacity.
        self.len = len as u32;
    }

    /// Drops the `n` oldest bytes (at most `len`); returns how many went.
    pub(crate) fn consume(&mut self, n: usize) -> usize {
        let n = n.min(self.len());
        if n > 0 {
            // Both stay below the u32 capacity.
            self.head = self.position(n) as u32;
            self.len -= n as u32;
        }
        n
    }

    /// The bytes at `[offset, offset + max)` clipped to `len`, as up to two
    /// slices (the second is non-empty only when the range wraps).
    pub(crate) fn slices(&self, offset: usize, max: usize) -> (&[u8], &[u8]) {
        if offset >= self.len() || max == 0 || self.buf.is_empty() {
            return (&[], &[]);
        }
        let size = self.buf.len();
        let n = max.min(self.len() - offset);
        let start = self.position(offset);
        let first = n.min(size - start);
        (&self.buf[start..start + first], &self.buf[..n - first])
    }

    /// Copies the oldest bytes into `out` and drops them; returns the count.
    pub(crate) fn read(&mut self, out: &mut [u8]) -> usize {
        let (a, b) = self.slices(0, out.len());
        let (na, nb) = (a.len(), b.len());
        out[..na].copy_from_slice(a);
        if nb > 0 {
            out[na..na + nb].copy_from_slice(b);
        }
        self.consume(na + nb)
    }

    /// Frees the storage when nothing at all is parked in it.
    ///
    /// The caller must know that no bytes past `len` matter either.
    pub(crate) fn release_if_empty(&mut self) {
        if self.len == 0 {
            self.buf = Box::default();
            self.head = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lazy_allocation_and_wrap() {
        let mut r = Ring::new(8, ());
        assert_eq!(r.allocated(), 0);
        assert_eq!(r.slices(0, 8), (&[][..], &[][..]));
        assert_eq!(r.append(b"abcdef"), 6);
        // Capacities below the first allocation size are allocated in full.
        assert_eq!(r.allocated(), 8);
        assert_eq!(r.consume(4), 4);
        assert_eq!(r.append(b"ghijklmn"), 6);
        assert_eq!(r.len(), 8);
        assert_eq!(r.free(), 0);
        let (a, b) = r.slices(0, 100);
        assert_eq!((a, b), (&b"efgh"[..], &b"ijkl"[..]));
        let (a, b) = r.slices(5, 2);
        assert_eq!((a, b), (&b"jk"[..], &b""[..]));
        let mut out = [0u8; 5];
        assert_eq!(r.read(&mut out), 5);
        assert_eq!(&out, b"efghi");
        assert_eq!(r.len(), 3);
    }

    #[test]
    fn write_past_len_then_commit() {
        let mut r = Ring::new(6, ());
        r.append(b"abcd");
        r.consume(4);
        r.write_at(2, b"WXYZ");
        r.write_at(0, b"uv");
        r.commit(6);
        let (a, b) = r.slices(0, 6);
        assert_eq!([a, b].concat(), b"uvWXYZ");
        // Out-of-range writes are clipped, not panics.
        r.write_at(5, b"123");
        r.write_at(100, b"1");
        r.commit(100);
        assert_eq!(r.len(), 6);
        r.consume(6);
        r.release_if_empty();
        assert_eq!(r.allocated(), 0);
    }

    #[test]
    fn debug_shows_sizes_not_bytes() {
        let mut r = Ring::new(10, ());
        r.append(b"secret");
        let text = alloc::format!("{r:?}");
        assert_eq!(text, "Ring { capacity: 10, len: 6, allocated: 10 }");
    }

    #[test]
    fn zero_capacity() {
        let mut r = Ring::new(0, ());
        assert_eq!(r.append(b"x"), 0);
        r.write_at(0, b"x");
        assert_eq!(r.consume(1), 0);
        assert_eq!(r.read(&mut [0; 4]), 0);
        assert_eq!(r.capacity(), 0);
    }

    #[test]
    fn storage_grows_with_use_and_keeps_contents() {
        let mut r = Ring::new(1 << 20, ());
        r.append(&[1; 3000]);
        assert_eq!(r.allocated(), 4096);
        r.consume(2500);
        // Wrap inside the small storage, park data past `len`, then grow.
        r.append(&[2; 3000]);
        r.write_at(r.len() + 100, &[3; 50]);
        assert_eq!(r.allocated(), 4096);
        r.write_at(r.len() + 5000, &[4; 10]);
        assert_eq!(r.allocated(), 16384);
        let (a, b) = r.slices(0, 10_000);
        let held = [a, b].concat();
        assert_eq!(held.len(), 3500);
        assert!(held[..500].iter().all(|&x| x == 1) && held[500..].iter().all(|&x| x == 2));
        r.commit(100 + 50);
        let (a, b) = r.slices(3500, 200);
        let tail = [a, b].concat();
        assert_eq!(&tail[100..150], &[3; 50][..]);
        // Never past the capacity.
        let mut small = Ring::new(5000, ());
        small.append(&[9; 4500]);
        assert_eq!(small.allocated(), 5000);
    }
}
