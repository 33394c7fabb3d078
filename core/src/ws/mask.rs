//! Payload masking (RFC 6455 §5.3) and the generator of masking keys.
//!
//! Masking XORs each payload byte with one byte of a 4-byte key, cycling. The
//! loop below works on 64-byte blocks against a pre-rotated 64-byte key so the
//! compiler turns it into wide vector XORs, without any `unsafe`.

use siphasher::sip::SipHasher13;

/// Width of the block the masking loop works on.
const BLOCK: usize = 64;

/// The key rotated so that its first byte applies at `offset` into the payload,
/// repeated to fill one block.
#[inline]
fn key_block(key: [u8; 4], offset: usize) -> [u8; BLOCK] {
    let mut k = key;
    k.rotate_left(offset % 4);
    let mut block = [0u8; BLOCK];
    for (i, b) in block.iter_mut().enumerate() {
        *b = k[i % 4];
    }
    block
}

/// XORs `buf` in place with `key`, as if `buf` started `offset` bytes into a
/// masked payload. Applying the same call twice restores the input.
#[inline]
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    if buf.len() < BLOCK {
        // Short payloads: one 32-bit XOR per four bytes, no block to build.
        let word = u32::from_le_bytes(key).rotate_right(8 * (offset % 4) as u32);
        let mut chunks = buf.chunks_exact_mut(4);
        for c in &mut chunks {
            let v = u32::from_le_bytes([c[0], c[1], c[2], c[3]]) ^ word;
            c.copy_from_slice(&v.to_le_bytes());
        }
        for (b, k) in chunks.into_remainder().iter_mut().zip(word.to_le_bytes()) {
            *b ^= k;
        }
        return;
    }
    let block = key_block(key, offset);
    let mut chunks = buf.chunks_exact_mut(BLOCK);
    for chunk in &mut chunks {
        for (b, k) in chunk.iter_mut().zip(block.iter()) {
            *b ^= *k;
        }
    }
    for (b, k) in chunks.into_remainder().iter_mut().zip(block.iter()) {
        *b ^= *k;
    }
}

/// The key as a 64-bit little-endian word whose first byte applies at
/// `offset` into the payload (two copies of the rotated 32-bit key).
#[inline]
fn key_word(key: [u8; 4], offset: usize) -> u64 {
    let w = u64::from(u32::from_le_bytes(key).rotate_right(8 * (offset % 4) as u32));
    w | w << 32
}

/// Writes `src` masked (or unmasked: the operation is its own inverse) with
/// `key` into `dst`, as if `src` started `offset` bytes into the payload.
///
/// `dst` and `src` must have the same length; extra bytes of the longer one
/// are left alone. One read and one write per byte: 64-byte blocks of eight
/// 64-bit words XORed with one key word, which the compiler turns into
/// vector XORs without a key block built in memory first.
#[inline]
pub fn copy_masked(dst: &mut [u8], src: &[u8], key: [u8; 4], offset: usize) {
    let n = src.len().min(dst.len());
    let (dst, src) = (&mut dst[..n], &src[..n]);
    let k = key_word(key, offset);
    let mut d = dst.chunks_exact_mut(BLOCK);
    let mut s = src.chunks_exact(BLOCK);
    for (dc, sc) in (&mut d).zip(&mut s) {
        for (o, i) in dc.chunks_exact_mut(8).zip(sc.chunks_exact(8)) {
            let v = u64::from_le_bytes([i[0], i[1], i[2], i[3], i[4], i[5], i[6], i[7]]) ^ k;
            o.copy_from_slice(&v.to_le_bytes());
        }
    }
    let (d, s) = (d.into_remainder(), s.remainder());
    let mut d8 = d.chunks_exact_mut(8);
    let mut s8 = s.chunks_exact(8);
    for (o, i) in (&mut d8).zip(&mut s8) {
        let v = u64::from_le_bytes([i[0], i[1], i[2], i[3], i[4], i[5], i[6], i[7]]) ^ k;
        o.copy_from_slice(&v.to_le_bytes());
    }
    for ((o, i), k) in d8
        .into_remainder()
        .iter_mut()
        .zip(s8.remainder())
        .zip(k.to_le_bytes())
    {
        *o = *i ^ k;
    }
}

/// [`copy_masked`] into memory that may not be initialised yet (a buffer
/// the caller allocated for a whole message), or a plain copy without a
/// key. `dst` and `src` must have the same length; extra bytes of the longer
/// one are left alone.
#[inline]
pub fn copy_masked_uninit(
    dst: &mut [core::mem::MaybeUninit<u8>],
    src: &[u8],
    key: Option<[u8; 4]>,
    offset: usize,
) {
    let block = match key {
        Some(k) => key_block(k, offset),
        None => [0u8; BLOCK],
    };
    let mut d = dst.chunks_exact_mut(BLOCK);
    let mut s = src.chunks_exact(BLOCK);
    for (dc, sc) in (&mut d).zip(&mut s) {
        for ((o, i), k) in dc.iter_mut().zip(sc).zip(block.iter()) {
            *o = core::mem::MaybeUninit::new(*i ^ *k);
        }
    }
    for ((o, i), k) in d
        .into_remainder()
        .iter_mut()
        .zip(s.remainder())
        .zip(block.iter())
    {
        *o = core::mem::MaybeUninit::new(*i ^ *k);
    }
}

/// Appends `src` to `dst`, masked (or unmasked: the operation is its own
/// inverse) with `key` starting `offset` bytes into the payload.
///
/// A `Vec` must zero its new bytes before they can be written without
/// `unsafe`; the connection avoids that cost by keeping its buffers
/// initialised between messages and calling [`copy_masked`].
#[inline]
pub fn extend_masked(dst: &mut alloc::vec::Vec<u8>, src: &[u8], key: [u8; 4], offset: usize) {
    let start = dst.len();
    if src.len() < 4 * BLOCK {
        dst.extend_from_slice(src);
        apply_mask(&mut dst[start..], key, offset);
        return;
    }
    dst.resize(start + src.len(), 0);
    copy_masked(&mut dst[start..], src, key, offset);
}

/// Generates masking keys and handshake nonces from a caller-provided seed.
///
/// SipHash-1-3 keyed with the seed, run over a counter: unpredictable to a
/// peer that does not know the seed, deterministic for tests that do.
#[derive(Clone)]
pub(crate) struct MaskRng {
    hasher_key: [u8; 16],
    counter: u64,
    spare: Option<[u8; 4]>,
}

impl MaskRng {
    pub(crate) fn new(seed: [u8; 16]) -> Self {
        MaskRng {
            hasher_key: seed,
            counter: 0,
            spare: None,
        }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        use core::hash::Hasher;
        let mut h = SipHasher13::new_with_key(&self.hasher_key);
        h.write_u64(self.counter);
        self.counter = self.counter.wrapping_add(1);
        h.finish()
    }

    /// The next 4-byte masking key.
    pub(crate) fn next_mask(&mut self) -> [u8; 4] {
        if let Some(k) = self.spare.take() {
            return k;
        }
        let v = self.next_u64().to_le_bytes();
        self.spare = Some([v[4], v[5], v[6], v[7]]);
        [v[0], v[1], v[2], v[3]]
    }

    /// 16 random bytes (the Sec-WebSocket-Key nonce).
    pub(crate) fn next_nonce(&mut self) -> [u8; 16] {
        let a = self.next_u64().to_le_bytes();
        let b = self.next_u64().to_le_bytes();
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&a);
        out[8..].copy_from_slice(&b);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn naive(buf: &mut [u8], key: [u8; 4], offset: usize) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b ^= key[(offset + i) % 4];
        }
    }

    #[test]
    fn matches_naive_at_every_offset_and_length() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        for len in [0usize, 1, 3, 15, 16, 17, 63, 64, 65, 127, 128, 200, 1000] {
            for offset in 0..8 {
                let data: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
                let mut a = data.clone();
                let mut b = data.clone();
                apply_mask(&mut a, key, offset);
                naive(&mut b, key, offset);
                assert_eq!(a, b, "len {len} offset {offset}");
                apply_mask(&mut a, key, offset);
                assert_eq!(a, data);
            }
        }
    }

    #[test]
    fn rfc6455_masked_hello() {
        // RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d.
        let mut v = Vec::new();
        extend_masked(&mut v, b"Hello", [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(v, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    }

    #[test]
    fn split_masking_equals_whole() {
        let key = [1, 2, 3, 4];
        let data: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
        let mut whole = Vec::new();
        extend_masked(&mut whole, &data, key, 0);
        let mut parts = Vec::new();
        extend_masked(&mut parts, &data[..101], key, 0);
        extend_masked(&mut parts, &data[101..], key, 101);
        assert_eq!(whole, parts);
    }

    #[test]
    fn copy_masked_matches_naive() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        for len in [
            0usize, 1, 5, 7, 8, 9, 63, 64, 65, 71, 72, 255, 256, 257, 1000,
        ] {
            for offset in 0..8 {
                let src: Vec<u8> = (0..len).map(|i| (i * 11 + 1) as u8).collect();
                let mut expect = src.clone();
                naive(&mut expect, key, offset);
                let mut dst = alloc::vec![0xAAu8; len];
                copy_masked(&mut dst, &src, key, offset);
                assert_eq!(dst, expect, "len {len} offset {offset}");
            }
        }
    }

    #[test]
    fn rng_is_deterministic_per_seed() {
        let mut a = MaskRng::new([7; 16]);
        let mut b = MaskRng::new([7; 16]);
        let mut c = MaskRng::new([8; 16]);
        let xa: Vec<[u8; 4]> = (0..8).map(|_| a.next_mask()).collect();
        let xb: Vec<[u8; 4]> = (0..8).map(|_| b.next_mask()).collect();
        let xc: Vec<[u8; 4]> = (0..8).map(|_| c.next_mask()).collect();
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
        assert_ne!(a.next_nonce(), a.next_nonce());
    }
}
