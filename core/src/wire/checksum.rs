//! The Internet checksum (RFC 1071) and the IPv4/IPv6 pseudo-headers.
//!
//! The sum is taken over wide words in native byte order and folded to 16
//! bits once at the end; RFC 1071 §2 shows that the one's-complement sum does
//! not depend on word size or byte order, so this gives the same value as a
//! word-by-word big-endian sum, several times faster. Long inputs go through
//! a loop chosen for the CPU: on x86 with the `std` feature, AVX2 or AVX-512
//! when the CPU has them (detected once, at run time), otherwise the best
//! loop for the instruction set the crate is compiled for (see `block_sum`).
//!
//! Vocabulary used by the functions below:
//!
//! - a **sum** is the folded one's-complement sum of some bytes, *not*
//!   complemented: [`sum`], [`pseudo_header_v4`], [`pseudo_header_v6`];
//!   sums of separate pieces combine with [`combine`] (each piece but the last
//!   must have an even length);
//! - the **checksum** stored in a header is the complement of the sum over
//!   everything it covers, with the checksum field itself read as zero:
//!   [`finish`];
//! - a received header **verifies** when the sum over everything it covers,
//!   checksum field included, is `0xffff`: [`verify`].
//!
//! No function here panics.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::ip::IpProtocol;

/// Whether to verify checksums on receive and compute them on send.
///
/// The default, [`ChecksumMode::FULL`], does both. Use
/// [`ChecksumMode::OFFLOADED`] when a NIC or a TUN device with checksum
/// offload has verified incoming packets and will fill outgoing ones; `emit`
/// then leaves the checksum fields zero (see
/// [`TcpPacket::fill_partial_checksum`](super::TcpPacket::fill_partial_checksum)
/// for devices that want the pseudo-header sum there instead).
///
/// Built with `cfg(fuzzing)`, [`ChecksumMode::verifies`] is always `false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChecksumMode {
    /// Verify the checksums of received packets.
    pub verify: bool,
    /// Compute the checksums of emitted packets.
    pub fill: bool,
}

impl ChecksumMode {
    /// Verify on receive, fill on send.
    pub const FULL: ChecksumMode = ChecksumMode {
        verify: true,
        fill: true,
    };
    /// Neither verify nor fill: the device does both.
    pub const OFFLOADED: ChecksumMode = ChecksumMode {
        verify: false,
        fill: false,
    };

    /// Whether `parse` should check checksums: `verify`, except that fuzzing
    /// builds never do, so random inputs reach the code behind the check.
    #[inline]
    pub const fn verifies(&self) -> bool {
        self.verify && !cfg!(fuzzing)
    }
}

impl Default for ChecksumMode {
    fn default() -> Self {
        ChecksumMode::FULL
    }
}

/// Folds a 64-bit one's-complement accumulator to 16 bits.
#[inline]
const fn fold(acc: u64) -> u16 {
    // Each half added to the other with the end-around carry; after an
    // overflow the sum is below the largest value, so adding the carry
    // cannot overflow again.
    let (sum, carry) = (acc as u32).overflowing_add((acc >> 32) as u32);
    let acc = sum + carry as u32;
    let (sum, carry) = (acc as u16).overflowing_add((acc >> 16) as u16);
    sum + carry as u16
}

/// The folded sum of header fields given as numbers: `total` is the plain
/// integer sum of big-endian 16- or 32-bit words (the fold makes both the
/// same), so a header can be summed from the values it is built from
/// instead of read back from the buffer.
#[inline]
pub(crate) const fn fold_words(total: u64) -> u16 {
    fold(total)
}

/// One's-complement addition of two 64-bit words (end-around carry).
#[inline(always)]
fn add64(acc: u64, word: u64) -> u64 {
    let (sum, carry) = acc.overflowing_add(word);
    // After an overflow `sum < word <= u64::MAX`, so adding the carry cannot
    // overflow again.
    sum + carry as u64
}

/// Sum of `data` in native byte order, folded to 16 bits.
fn native_sum(data: &[u8]) -> u16 {
    let mut acc = 0u64;
    let mut rest = data;
    if rest.len() >= BLOCK {
        let (blocks, tail) = rest.split_at(rest.len() - rest.len() % BLOCK);
        acc = block_sum(blocks);
        rest = tail;
    }
    fold(add_words(acc, rest))
}

/// `acc` plus the 64-bit words of `rest` and its last 1 to 7 bytes padded
/// with zeros at the end, which is exactly how RFC 1071 treats an odd final
/// byte. Most segments (headers without payload) are summed only here.
#[inline]
fn add_words(mut acc: u64, mut rest: &[u8]) -> u64 {
    while let Some((word, tail)) = rest.split_first_chunk::<8>() {
        acc = add64(acc, u64::from_ne_bytes(*word));
        rest = tail;
    }
    if !rest.is_empty() {
        acc = add64(acc, tail_word(rest));
    }
    acc
}

/// The bytes the block loops below take at a time.
const BLOCK: usize = 64;

/// The unfolded sum of `blocks` (a whole number of [`BLOCK`]s), by the
/// fastest method for the CPU the code runs on.
///
/// On x86 with the `std` feature, a CPU with AVX2 or AVX-512 (found once,
/// at run time) runs [`wide::block_sum`] compiled for that instruction set.
/// Otherwise the loop is the one best for what the crate was compiled for
/// (see [`compiled_block_sum`]).
///
/// Kept out of line: most sums (headers without payload) never get here,
/// and inlined, the loops and the dispatch made every short sum save and
/// restore registers it does not use.
#[inline(never)]
fn block_sum(blocks: &[u8]) -> u64 {
    #[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
    {
        wide::dispatched(fearless_simd::Level::new(), blocks)
    }
    #[cfg(not(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64"))))]
    {
        compiled_block_sum(blocks)
    }
}

/// [`block_sum`] by the loop that is fastest for the instruction set the
/// crate is compiled for.
///
/// Plain x86-64 (SSE2 only) splits 32-bit words (`split_block_sum`).
/// Anything newer (`-C target-cpu` of x86-64-v2 or later, or another
/// architecture) widens 16-bit words into 32-bit lanes, which the compiler
/// turns into vector additions: on one x86-64 machine, 1,448 bytes took 27
/// ns this way with SSE4, where the other loops, vectorised badly by the
/// compiler at that level, took 60 to 100 ns. With SSE2 alone, 1,408 bytes
/// take 20 ns split, 23 ns in four add-with-carry chains over 64-bit words
/// and 26 ns widened.
#[inline]
fn compiled_block_sum(blocks: &[u8]) -> u64 {
    if cfg!(all(target_arch = "x86_64", not(target_feature = "sse4.1"))) {
        split_block_sum(blocks)
    } else {
        lane_block_sum(blocks)
    }
}

/// [`block_sum`] with each 32-bit word of a block added, wrapping, into its
/// own 32-bit lane, and the word's high 16 bits into a second lane: three
/// vector operations per 16 bytes (a shift and two additions), with no
/// carries to chase and no widening.
///
/// A 32-bit word is its low and high 16-bit words, `low + high·2^16`, and
/// the sum wanted is `low + high`. A lane of whole words keeps
/// `Σlow + Σhigh·2^16` modulo 2^32; the lane of high halves gives
/// `Σhigh` exactly, and `Σlow` below 2^32 is then what remains. Each lane
/// takes one word per block, so both of its totals gain at most 0xffff per
/// block; the lanes are emptied every 65,536 blocks (4 MiB), before either
/// total could reach 2^32.
fn split_block_sum(blocks: &[u8]) -> u64 {
    const WORDS: usize = BLOCK / 4;
    const FLUSH: usize = BLOCK << 16;
    let mut total = 0u64;
    for run in blocks.chunks(FLUSH) {
        let mut whole = [0u32; WORDS];
        let mut high = [0u32; WORDS];
        for block in run.chunks_exact(BLOCK) {
            // Read the words first, then add: written as one loop over
            // the bytes, the compiler does not vectorise it.
            let mut words = [0u32; WORDS];
            for (word, bytes) in words.iter_mut().zip(block.chunks_exact(4)) {
                *word = u32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            }
            for ((w, h), &word) in whole.iter_mut().zip(high.iter_mut()).zip(&words) {
                *w = w.wrapping_add(word);
                *h += word >> 16;
            }
        }
        for (&w, &h) in whole.iter().zip(&high) {
            let low = w.wrapping_sub(h << 16);
            total += u64::from(low) + u64::from(h);
        }
    }
    total
}

/// [`block_sum`] with each 16-bit word of a block added into its own 32-bit
/// lane: plain additions with no carries to chase, which vectorise.
///
/// Folding 2^16 into 1 is what makes the one's-complement sum independent of
/// how the words are grouped, so the lanes' totals can simply be added. A
/// lane gains at most 0xffff per block, so it is emptied into the 64-bit
/// total every 65,536 blocks (4 MiB), before it could overflow.
fn lane_block_sum(blocks: &[u8]) -> u64 {
    const WORDS: usize = BLOCK / 2;
    const FLUSH: usize = BLOCK << 16;
    let mut total = 0u64;
    for run in blocks.chunks(FLUSH) {
        let mut lanes = [0u32; WORDS];
        for block in run.chunks_exact(BLOCK) {
            for (lane, word) in lanes.iter_mut().zip(block.chunks_exact(2)) {
                *lane += u32::from(u16::from_ne_bytes([word[0], word[1]]));
            }
        }
        total += lanes.iter().map(|&lane| u64::from(lane)).sum::<u64>();
    }
    total
}

/// Copies `src` into the start of `dst` and returns the sum of the bytes
/// copied, as [`sum`] gives it. Copies `min(src.len(), dst.len())` bytes.
///
/// The sum is taken over the source, not the copy: reading bytes back
/// right after they were stored holds the loads up until the stores land,
/// which made a copy followed by a sum of the copy 5 ns (SSE2) to 9 ns
/// (AVX-512) slower for 1,480 bytes than this on one x86-64 machine. (A
/// loop that copies and adds in one pass was no faster than this.)
pub(crate) fn copy_and_sum(dst: &mut [u8], src: &[u8]) -> u16 {
    let n = src.len().min(dst.len());
    dst[..n].copy_from_slice(&src[..n]);
    sum(&src[..n])
}

/// [`block_sum`] for wide vectors (AVX2, AVX-512), chosen at run time.
#[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
mod wide {
    use fearless_simd::{Level, Simd};

    use super::{BLOCK, add_words, compiled_block_sum};

    /// The bytes [`block_sum`] adds into one 32-bit total: 65,536 words.
    const RUN: usize = 2 << 16;
    /// The bytes one step of the vectorised [`block_sum`] loop takes.
    const STEP: usize = 2 * BLOCK;

    /// [`super::block_sum`] with the instructions of `level`: AVX-512 or
    /// AVX2 where `level` offers them, [`compiled_block_sum`] otherwise.
    ///
    /// On one x86-64 machine, 1,408 bytes took 9 ns with AVX-512 and 15 ns
    /// with AVX2, against 20 ns for the best loop with SSE2 alone.
    #[inline]
    pub(super) fn dispatched(level: Level, blocks: &[u8]) -> u64 {
        if let Some(avx512) = level.as_avx512() {
            return avx512.vectorize(
                #[inline(always)]
                || block_sum(blocks),
            );
        }
        if let Some(avx2) = level.as_avx2() {
            return avx2.vectorize(
                #[inline(always)]
                || block_sum(blocks),
            );
        }
        compiled_block_sum(blocks)
    }

    /// One 32-bit total of 16-bit words, written as the plain loop the
    /// compiler's loop vectoriser turns into widening vector additions over
    /// as many lanes as a register holds, whatever the surrounding code.
    /// (The 32 lanes of `lane_block_sum` rely on the compiler packing them
    /// into registers itself, which it did only in some builds.)
    ///
    /// Each word adds at most 0xffff, so 65,536 words (128 KiB) cannot
    /// overflow 32 bits; the total is moved into 64 bits after each such
    /// run.
    ///
    /// Always inlined, so that each instruction set [`dispatched`] runs it
    /// with gets its own copy compiled for it.
    #[inline(always)]
    fn block_sum(blocks: &[u8]) -> u64 {
        // Whole vector steps only: the vectorised loop takes 128 bytes a
        // step (four registers of 16 words at AVX-512) and would add what
        // is left over one word at a time; that is at most one 64-byte
        // block, summed here in 64-bit words instead.
        let whole = blocks.len() - blocks.len() % STEP;
        let (steps, rest) = blocks.split_at(whole);
        let mut total = 0u64;
        for run in steps.chunks(RUN) {
            let mut sum = 0u32;
            for word in run.chunks_exact(2) {
                sum += u32::from(u16::from_ne_bytes([word[0], word[1]]));
            }
            total += u64::from(sum);
        }
        add_words(total, rest)
    }

    /// The instruction sets this machine can run [`dispatched`] with: the
    /// detected one, every lesser one it knows, and the baseline.
    #[cfg(test)]
    pub(super) fn levels() -> alloc::vec::Vec<Level> {
        let mut levels = alloc::vec::Vec::new();
        let detected = Level::new();
        if let Some(avx512) = detected.as_avx512() {
            levels.push(avx512.level());
        }
        if let Some(avx2) = detected.as_avx2() {
            levels.push(avx2.level());
        }
        levels.push(Level::baseline());
        levels
    }
}

/// The last 1 to 7 bytes as a native word padded with zeros at the end,
/// assembled in a register from 4-, 2- and 1-byte reads: a variable-length
/// copy into an array would be a call to `memcpy`, and even fixed pieces
/// stored into an array and read back as one word make the CPU wait for
/// the stores.
#[inline(always)]
fn tail_word(tail: &[u8]) -> u64 {
    // The tail's little-endian value, then in native order: the same as
    // reading the zero-padded bytes as a native word.
    let mut le = 0u64;
    let mut shift = 0;
    let mut rest = tail;
    if let Some((four, r)) = rest.split_first_chunk::<4>() {
        le = u64::from(u32::from_le_bytes(*four));
        shift = 32;
        rest = r;
    }
    if let Some((two, r)) = rest.split_first_chunk::<2>() {
        le |= u64::from(u16::from_le_bytes(*two)) << shift;
        shift += 16;
        rest = r;
    }
    if let Some(&byte) = rest.first() {
        le |= u64::from(byte) << shift;
    }
    u64::from_le(le)
}

/// The one's-complement sum of `data`, as a big-endian 16-bit value, not
/// complemented. An odd final byte counts as if followed by a zero byte.
pub fn sum(data: &[u8]) -> u16 {
    // A native little-endian sum is the byte swap of the big-endian sum.
    u16::from_be(native_sum(data))
}

/// One's-complement sum of sums.
#[inline]
pub const fn combine(a: u16, b: u16) -> u16 {
    fold(a as u64 + b as u64)
}

/// The value to store in a checksum field: the complement of `initial` (for
/// example a pseudo-header sum) combined with the sum of `data`, where `data`
/// holds zero in the checksum field.
pub fn finish(initial: u16, data: &[u8]) -> u16 {
    !combine(initial, sum(data))
}

/// Whether `data`, checksum field included, verifies against `initial`
/// (a pseudo-header sum, or 0 for a header without one).
pub fn verify(initial: u16, data: &[u8]) -> bool {
    combine(initial, sum(data)) == 0xffff
}

/// [`verify`] with no pseudo-header, for an IPv4 header: one without
/// options (20 bytes, nearly all of them) is added as five 32-bit words
/// directly, which cost about a third of the general loop, paid on every
/// packet received. Out of line like [`verify`], so that the IPv4 parse
/// stays small enough to be inlined where packets arrive.
#[inline(never)]
pub(crate) fn verify_ip_header(header: &[u8]) -> bool {
    match <&[u8; 20]>::try_from(header) {
        Ok(h) => {
            let word = |at: usize| {
                let bytes = [h[at], h[at + 1], h[at + 2], h[at + 3]];
                u64::from(u32::from_ne_bytes(bytes))
            };
            // Native order throughout: the folded sum is all ones in one
            // byte order exactly when it is in the other.
            fold(word(0) + word(4) + word(8) + word(12) + word(16)) == 0xffff
        }
        Err(_) => verify(0, header),
    }
}

/// The sum of the IPv4 pseudo-header (RFC 9293 §3.1): source, destination,
/// zero, protocol, and `length`, the length of the upper-layer header plus
/// payload.
pub fn pseudo_header_v4(src: Ipv4Addr, dst: Ipv4Addr, protocol: IpProtocol, length: u16) -> u16 {
    pseudo_v4(src, dst, protocol, length as u32)
}

/// The IPv4 pseudo-header sum with a 32-bit length, added as two 16-bit
/// words; equal to [`pseudo_header_v4`] for lengths up to 65535.
fn pseudo_v4(src: Ipv4Addr, dst: Ipv4Addr, protocol: IpProtocol, length: u32) -> u16 {
    let s = u32::from(src) as u64;
    let d = u32::from(dst) as u64;
    fold(s + d + protocol.0 as u64 + length as u64)
}

/// The sum of the IPv6 pseudo-header (RFC 8200 §8.1): source, destination,
/// the 32-bit upper-layer length, three zero bytes and the next header.
pub fn pseudo_header_v6(
    src: &Ipv6Addr,
    dst: &Ipv6Addr,
    next_header: IpProtocol,
    length: u32,
) -> u16 {
    let s = src.to_bits();
    let d = dst.to_bits();
    let mut acc = 0u64;
    for word in [s >> 64, s, d >> 64, d] {
        acc = add64(acc, word as u64);
    }
    acc = add64(acc, length as u64 + next_header.0 as u64);
    fold(acc)
}

/// The pseudo-header sum for either IP version.
///
/// Mixed families (one IPv4 and one IPv6 address) can only come from a
/// caller's mistake; they are summed with the IPv4 address taken as its
/// IPv4-mapped IPv6 form, so the result is defined but matches no real packet.
/// An IPv4 `length` above 65535 (a segment no IPv4 packet can carry, but one
/// an in-memory pair of endpoints may exchange) is added as two 16-bit words,
/// so both ends still agree on the sum.
pub fn pseudo_header(src: &IpAddr, dst: &IpAddr, protocol: IpProtocol, length: u32) -> u16 {
    if let (IpAddr::V4(s), IpAddr::V4(d)) = (src, dst) {
        return pseudo_v4(*s, *d, protocol, length);
    }
    pseudo_header_not_v4(src, dst, protocol, length)
}

/// [`pseudo_header`] for IPv6 and mixed families, out of line so that the
/// IPv4 case does not load sixteen bytes of each address first.
#[inline(never)]
fn pseudo_header_not_v4(src: &IpAddr, dst: &IpAddr, protocol: IpProtocol, length: u32) -> u16 {
    let s = to_v6(src);
    let d = to_v6(dst);
    pseudo_header_v6(&s, &d, protocol, length)
}

fn to_v6(addr: &IpAddr) -> Ipv6Addr {
    match addr {
        IpAddr::V4(a) => a.to_ipv6_mapped(),
        IpAddr::V6(a) => *a,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Word-by-word reference from the RFC 1071 definition.
    fn reference(data: &[u8]) -> u16 {
        let mut acc: u32 = 0;
        for pair in data.chunks(2) {
            let hi = pair[0] as u32;
            let lo = pair.get(1).copied().unwrap_or(0) as u32;
            acc += (hi << 8) | lo;
            acc = (acc & 0xffff) + (acc >> 16);
        }
        acc as u16
    }

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(sum(&data), 0xddf2);
        assert_eq!(reference(&data), 0xddf2);
    }

    #[test]
    fn ipv4_header_known_value() {
        // A captured IPv4 header (127.0.0.1 -> 127.0.0.1, TCP SYN) whose
        // checksum field holds ca40.
        let mut header = [
            0x45, 0x00, 0x00, 0x3c, 0x72, 0x79, 0x40, 0x00, 0x40, 0x06, 0xca, 0x40, 0x7f, 0x00,
            0x00, 0x01, 0x7f, 0x00, 0x00, 0x01,
        ];
        assert!(verify(0, &header));
        header[10] = 0;
        header[11] = 0;
        assert_eq!(finish(0, &header), 0xca40);
    }

    #[test]
    fn all_lengths_match_reference() {
        let data: alloc::vec::Vec<u8> = (0..300u32).map(|i| (i * 7 + 13) as u8).collect();
        for start in 0..9 {
            for end in start..data.len() {
                assert_eq!(sum(&data[start..end]), reference(&data[start..end]));
            }
        }
    }

    /// Both block methods agree with the reference whichever one the build
    /// uses, carries and a lane flush included.
    #[test]
    fn block_methods_match_reference() {
        let mut data: alloc::vec::Vec<u8> = (0..BLOCK * 40).map(|i| (i * 31 + 5) as u8).collect();
        data[BLOCK..BLOCK * 3].fill(0xff);
        for blocks in 1..=40 {
            let bytes = &data[..blocks * BLOCK];
            let expected = reference(bytes);
            assert_eq!(u16::from_be(fold(split_block_sum(bytes))), expected);
            assert_eq!(u16::from_be(fold(lane_block_sum(bytes))), expected);
            assert_eq!(split_block_sum(bytes), word_total(bytes));
            assert_eq!(block_sum(bytes) % 0xffff, word_total(bytes) % 0xffff);
            #[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
            for level in wide::levels() {
                let sum = wide::dispatched(level, bytes);
                assert_eq!(sum % 0xffff, word_total(bytes) % 0xffff, "{level:?}");
            }
        }
        // Past one lane flush (65,536 blocks), every word at its maximum.
        let big = alloc::vec![0xffu8; (BLOCK << 16) + 3 * BLOCK];
        assert_eq!(fold(lane_block_sum(&big)), 0xffff);
        assert_eq!(lane_block_sum(&big), word_total(&big));
        assert_eq!(split_block_sum(&big), word_total(&big));
        #[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
        for level in wide::levels() {
            let sum = wide::dispatched(level, &big);
            assert_eq!(sum % 0xffff, word_total(&big) % 0xffff, "{level:?}");
        }
        // High halves at their maximum and low ones at zero, and the other
        // way round: the two totals are told apart exactly.
        for word in [[0u8, 0, 0xff, 0xff], [0xff, 0xff, 0, 0]] {
            let run: alloc::vec::Vec<u8> = word.iter().copied().cycle().take(big.len()).collect();
            assert_eq!(split_block_sum(&run), word_total(&run));
        }
    }

    /// Copying and summing gives the bytes and the sum that a copy and
    /// [`sum`] give, at every length and alignment.
    #[test]
    fn copy_and_sum_matches_copy_then_sum() {
        let data: alloc::vec::Vec<u8> = (0..400u32).map(|i| (i * 7 + 13) as u8).collect();
        for start in 0..9 {
            for end in start..data.len() {
                let src = &data[start..end];
                let mut out = [0u8; 410];
                assert_eq!(copy_and_sum(&mut out[3..], src), sum(src), "{start}..{end}");
                assert_eq!(&out[3..3 + src.len()], src);
                // A shorter destination takes what fits.
                let mut short = [0u8; 100];
                let n = src.len().min(100);
                assert_eq!(copy_and_sum(&mut short, src), sum(&src[..n]));
                assert_eq!(&short[..n], &src[..n]);
            }
        }
    }

    /// The plain integer total of a buffer's native 16-bit words.
    fn word_total(bytes: &[u8]) -> u64 {
        bytes
            .chunks_exact(2)
            .map(|w| u64::from(u16::from_ne_bytes([w[0], w[1]])))
            .sum()
    }

    #[test]
    fn carries_everywhere() {
        let data = [0xffu8; 1000];
        assert_eq!(sum(&data), reference(&data));
        assert_eq!(sum(&data), 0xffff);
        assert_eq!(sum(&[]), 0);
        assert_eq!(sum(&[0xab]), 0xab00);
    }

    /// The fold agrees with folding 16 bits at a time, zero and the
    /// multiples of 0xffff included.
    #[test]
    fn fold_matches_sixteen_bit_folding() {
        let slow = |mut acc: u64| {
            while acc > 0xffff {
                acc = (acc & 0xffff) + (acc >> 16);
            }
            acc as u16
        };
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut values = alloc::vec![0, 1, 0xffff, 0x1_0000, 0x1_fffe, 0xffff_ffff, 0x1_0000_0000];
        values.extend([
            u64::MAX,
            u64::MAX - 1,
            0xffff_0000_0000_0000,
            0xffff * 0xffff,
        ]);
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.extend([x, x >> 17, x >> 33, x & 0xffff_ffff]);
        }
        for v in values {
            assert_eq!(fold(v), slow(v), "{v:#x}");
        }
    }

    /// The 20-byte shortcut agrees with the general sum on headers that
    /// verify and on every one-bit corruption of them; longer headers
    /// (options) take the general path.
    #[test]
    fn ip_header_shortcut_matches_the_general_sum() {
        for seed in 0..64u32 {
            for len in [20usize, 24, 60] {
                let mut h: alloc::vec::Vec<u8> = (0..len as u32)
                    .map(|i| (i.wrapping_mul(97) ^ seed.wrapping_mul(31)) as u8)
                    .collect();
                h[10] = 0;
                h[11] = 0;
                let value = finish(0, &h);
                h[10..12].copy_from_slice(&value.to_be_bytes());
                assert!(verify_ip_header(&h), "len {len} seed {seed}");
                for bit in 0..len * 8 {
                    h[bit / 8] ^= 1 << (bit % 8);
                    assert_eq!(verify_ip_header(&h), verify(0, &h), "bit {bit}");
                    h[bit / 8] ^= 1 << (bit % 8);
                }
            }
        }
        assert!(!verify_ip_header(&[0; 20]));
    }

    #[test]
    fn combine_matches_concatenation() {
        let a = [1u8, 2, 3, 4, 0xff, 0xfe];
        let b = [9u8, 8, 7];
        let mut both = a.to_vec();
        both.extend_from_slice(&b);
        assert_eq!(combine(sum(&a), sum(&b)), sum(&both));
    }

    #[test]
    fn pseudo_headers_match_byte_layout() {
        let s4 = Ipv4Addr::new(192, 0, 2, 1);
        let d4 = Ipv4Addr::new(198, 51, 100, 7);
        let mut bytes = alloc::vec::Vec::new();
        bytes.extend_from_slice(&s4.octets());
        bytes.extend_from_slice(&d4.octets());
        bytes.extend_from_slice(&[0, 6, 0x05, 0xdc]);
        assert_eq!(
            pseudo_header_v4(s4, d4, IpProtocol::TCP, 1500),
            reference(&bytes)
        );
        let any4 = pseudo_header(&IpAddr::V4(s4), &IpAddr::V4(d4), IpProtocol::TCP, 1500);
        assert_eq!(any4, reference(&bytes));

        let s6: Ipv6Addr = "2001:db8::1".parse().unwrap();
        let d6: Ipv6Addr = "2001:db8:ffff::fffe:2".parse().unwrap();
        let mut bytes = alloc::vec::Vec::new();
        bytes.extend_from_slice(&s6.octets());
        bytes.extend_from_slice(&d6.octets());
        bytes.extend_from_slice(&70000u32.to_be_bytes());
        bytes.extend_from_slice(&[0, 0, 0, 6]);
        assert_eq!(
            pseudo_header_v6(&s6, &d6, IpProtocol::TCP, 70000),
            reference(&bytes)
        );
    }

    #[test]
    fn modes() {
        assert_eq!(ChecksumMode::default(), ChecksumMode::FULL);
        assert_eq!(ChecksumMode::FULL.verifies(), !cfg!(fuzzing));
        assert!(!ChecksumMode::OFFLOADED.verifies());
    }
}
