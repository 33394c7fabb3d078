//! Initial sequence numbers (RFC 6528).
//!
//! A new connection's first sequence number must be hard for an off-path
//! attacker to guess, yet must keep moving forward for a given pair of
//! addresses so that segments from an old incarnation of the connection are
//! not mistaken for new ones. RFC 6528 §3 gets both by adding two parts:
//!
//! - `M`, a clock that ticks every 4 microseconds (so the 32-bit space
//!   wraps in about 4.77 hours, as RFC 9293 §3.4.1 describes), and
//! - `F(local address, local port, remote address, remote port, secret)`,
//!   a keyed pseudo-random function, here SipHash-2-4 keyed with a 128-bit
//!   secret from the caller.
//!
//! The crate never draws randomness itself: the secret comes from whoever
//! builds the endpoint (the C and Python layers seed it from the operating
//! system). The [`IsnSource`] trait is the seam the endpoint calls through,
//! so tests can plug in fixed numbers.

use super::seq::SeqNumber;
use crate::time::Instant;
use core::net::{IpAddr, SocketAddr};
use siphasher::sip::SipHasher24;

/// Where an endpoint gets initial sequence numbers from.
pub trait IsnSource {
    /// The ISN for a new connection from `local` to `remote` at `now`.
    fn isn(&mut self, now: Instant, local: SocketAddr, remote: SocketAddr) -> SeqNumber;
}

/// The RFC 6528 generator: a 4 µs clock plus SipHash-2-4 of the 4-tuple
/// under a secret key.
#[derive(Clone)]
pub struct IsnGenerator {
    key: [u8; 16],
}

impl core::fmt::Debug for IsnGenerator {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print the secret.
        f.write_str("IsnGenerator { .. }")
    }
}

impl IsnGenerator {
    /// A generator keyed with `secret`, which should be 16 random bytes
    /// that stay private to this host.
    pub const fn new(secret: [u8; 16]) -> Self {
        IsnGenerator { key: secret }
    }

    /// The clock part `M`: the time in units of 4 µs, modulo 2³².
    pub const fn clock(now: Instant) -> u32 {
        (now.as_nanos() / 4_000) as u32
    }

    /// The keyed part `F`: a hash of the 4-tuple that an attacker who does
    /// not know the secret cannot predict.
    pub fn offset(&self, local: SocketAddr, remote: SocketAddr) -> u32 {
        // Both addresses as one block: SipHash takes a block far faster
        // than many small writes, and the result is the same as writing the
        // pieces one by one.
        let mut block = [0u8; 2 * ADDR_BYTES_MAX];
        let n = write_addr(&mut block, local);
        let n = n + write_addr(&mut block[n..], remote);
        let x = SipHasher24::new_with_key(&self.key).hash(&block[..n]);
        // Fold both halves in so every bit of the hash counts.
        (x ^ (x >> 32)) as u32
    }

    /// `M + F(4-tuple, secret)` (RFC 6528 §3).
    pub fn generate(&self, now: Instant, local: SocketAddr, remote: SocketAddr) -> SeqNumber {
        SeqNumber::new(Self::clock(now).wrapping_add(self.offset(local, remote)))
    }
}

impl IsnSource for IsnGenerator {
    fn isn(&mut self, now: Instant, local: SocketAddr, remote: SocketAddr) -> SeqNumber {
        self.generate(now, local, remote)
    }
}

/// The most bytes [`write_addr`] writes: a tag, an IPv6 address, a port.
const ADDR_BYTES_MAX: usize = 1 + 16 + 2;

/// Writes `addr` at the start of `out` as the hash input: a family tag (so
/// an IPv4 address never hashes like an IPv6 prefix), the address, the port
/// in native byte order (as `Hasher::write_u16` takes it). Returns the
/// length.
fn write_addr(out: &mut [u8], addr: SocketAddr) -> usize {
    let n = match addr.ip() {
        IpAddr::V4(ip) => {
            out[0] = 4;
            out[1..5].copy_from_slice(&ip.octets());
            5
        }
        IpAddr::V6(ip) => {
            out[0] = 6;
            out[1..17].copy_from_slice(&ip.octets());
            17
        }
    };
    out[n..n + 2].copy_from_slice(&addr.port().to_ne_bytes());
    n + 2
}

/// An [`IsnSource`] that always answers the same number: for tests that
/// compare segments against an RFC trace. Never use it on a real network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedIsn(pub SeqNumber);

impl IsnSource for FixedIsn {
    fn isn(&mut self, _now: Instant, _local: SocketAddr, _remote: SocketAddr) -> SeqNumber {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::{Ipv4Addr, Ipv6Addr};

    fn v4(a: u8, port: u16) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, a)), port)
    }

    #[test]
    fn same_tuple_same_offset_and_clock_moves_it() {
        let g = IsnGenerator::new([7; 16]);
        let (l, r) = (v4(1, 40000), v4(2, 80));
        let t0 = Instant::from_secs(100);
        let a = g.generate(t0, l, r);
        assert_eq!(a, g.generate(t0, l, r));
        // 4 µs later the number has moved by one; 1 s later by 250,000.
        assert_eq!(
            g.generate(t0 + core::time::Duration::from_micros(4), l, r),
            a + 1u32
        );
        assert_eq!(
            g.generate(t0 + core::time::Duration::from_secs(1), l, r),
            a + 250_000u32
        );
    }

    #[test]
    fn tuple_and_secret_change_the_offset() {
        let g = IsnGenerator::new([7; 16]);
        let base = g.offset(v4(1, 40000), v4(2, 80));
        assert_ne!(base, g.offset(v4(1, 40001), v4(2, 80)));
        assert_ne!(base, g.offset(v4(2, 80), v4(1, 40000)));
        assert_ne!(base, g.offset(v4(1, 40000), v4(3, 80)));
        assert_ne!(
            base,
            IsnGenerator::new([8; 16]).offset(v4(1, 40000), v4(2, 80))
        );
        let six = SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 80);
        assert_ne!(g.offset(six, v4(2, 80)), g.offset(v4(1, 80), v4(2, 80)));
    }

    /// The one-block hash is the one of the pieces written one by one.
    #[test]
    fn offset_is_the_hash_of_the_pieces() {
        use core::hash::Hasher;
        let g = IsnGenerator::new([7; 16]);
        let six = SocketAddr::new(IpAddr::V6("2001:db8::5".parse().unwrap()), 443);
        for (l, r) in [(v4(1, 40000), v4(2, 80)), (six, six), (v4(3, 7), six)] {
            let mut h = SipHasher24::new_with_key(&[7; 16]);
            for a in [l, r] {
                match a.ip() {
                    IpAddr::V4(ip) => {
                        h.write_u8(4);
                        h.write(&ip.octets());
                    }
                    IpAddr::V6(ip) => {
                        h.write_u8(6);
                        h.write(&ip.octets());
                    }
                }
                h.write_u16(a.port());
            }
            let x = h.finish();
            assert_eq!(g.offset(l, r), (x ^ (x >> 32)) as u32);
        }
    }

    #[test]
    fn clock_wraps() {
        // 2^32 ticks of 4 µs is about 4.77 hours.
        let wrap = Instant::from_nanos((1u64 << 32) * 4_000);
        assert_eq!(IsnGenerator::clock(wrap), 0);
        assert_eq!(IsnGenerator::clock(Instant::from_micros(8)), 2);
    }

    #[test]
    fn sources_through_the_trait() {
        let mut fixed = FixedIsn(SeqNumber::new(1000));
        assert_eq!(
            fixed.isn(Instant::ZERO, v4(1, 1), v4(2, 2)),
            SeqNumber::new(1000)
        );
        let mut g: &mut dyn IsnSource = &mut IsnGenerator::new([1; 16]);
        let _ = g.isn(Instant::ZERO, v4(1, 1), v4(2, 2));
        g = &mut fixed;
        assert_eq!(g.isn(Instant::ZERO, v4(1, 1), v4(2, 2)).get(), 1000);
        assert_eq!(
            alloc::format!("{:?}", IsnGenerator::new([9; 16])),
            "IsnGenerator { .. }"
        );
    }
}
