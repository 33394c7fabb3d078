//! SYN cookies: answering a SYN without keeping any state.
//!
//! When a listener's SYN queue is full (a SYN flood, most likely), the
//! endpoint can still answer each SYN with a SYN-ACK whose initial sequence
//! number *is* the state: a keyed hash of the 4-tuple, the peer's ISN and a
//! coarse clock, plus the few bits that must survive until the final ACK
//! (the clock value and an index into a table of MSS values). A genuine
//! peer's ACK echoes the number plus one; the endpoint checks the hash and
//! only then creates the connection. RFC 4987 §3.6 describes the technique.
//!
//! Layout of the 32-bit cookie: the top 5 bits are the clock (one tick per
//! 64 s, modulo 32), the next 3 bits the MSS index, the low 24 bits the
//! hash. A cookie is accepted for the current and the previous tick, so it
//! lives between 64 and 128 s.
//!
//! The sequence number has no room for the other options, so when the SYN
//! offers timestamps the SYN-ACK hides them in its own timestamp value, which
//! the peer echoes in every segment (RFC 7323 §3.2): the low five bits of
//! the TSval carry the peer's window scale (or "none") and SACK-permitted
//! ([`CookieOptions`]). The final ACK's TSecr brings them back, so a cookie
//! connection runs with window scaling, SACK and timestamps like any other.
//! Without timestamps in the SYN those options are lost, as in other stacks.

use super::seq::SeqNumber;
use crate::time::Instant;
use core::hash::Hasher;
use core::net::{IpAddr, SocketAddr};
use siphasher::sip::SipHasher24;

/// The MSS values a cookie can encode; the peer's MSS is rounded down to
/// the nearest of them.
pub const MSS_TABLE: [u16; 8] = [216, 536, 1200, 1220, 1380, 1440, 1460, 8960];

/// Seconds per clock tick.
const TICK_SECS: u64 = 64;

/// The low bits of a cookie SYN-ACK's TSval that carry [`CookieOptions`].
const OPTION_BITS: u32 = 0x1f;
/// The window-scale field value meaning "the peer offered no scaling".
const NO_SCALING: u32 = 0xf;

/// The options of a SYN that a cookie keeps in its SYN-ACK's timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CookieOptions {
    /// The peer's window scale shift (0-14), `None` when it offered none.
    pub window_shift: Option<u8>,
    /// The peer offered SACK (and we use it).
    pub sack: bool,
}

impl CookieOptions {
    /// The TSval to send: `clock` with its low five bits replaced by the
    /// options, never ahead of `clock` (so the connection's later
    /// timestamps, taken from the same clock, do not go backwards).
    pub fn encode_tsval(self, clock: u32) -> u32 {
        let shift = self
            .window_shift
            .map_or(NO_SCALING, |s| u32::from(s.min(14)));
        let bits = shift | (u32::from(self.sack) << 4);
        let value = (clock & !OPTION_BITS) | bits;
        if value > clock {
            value.wrapping_sub(OPTION_BITS + 1)
        } else {
            value
        }
    }

    /// The options the peer's TSecr (our TSval, echoed) carries.
    pub fn decode_tsecr(tsecr: u32) -> Self {
        let shift = tsecr & NO_SCALING;
        CookieOptions {
            window_shift: (shift != NO_SCALING).then(|| shift.min(14) as u8),
            sack: tsecr & 0x10 != 0,
        }
    }
}

/// Makes and checks SYN cookies under a secret key.
#[derive(Clone)]
pub struct SynCookies {
    key: [u8; 16],
}

impl core::fmt::Debug for SynCookies {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SynCookies { .. }")
    }
}

impl SynCookies {
    /// A cookie maker keyed with `secret` (16 random bytes; use a key
    /// distinct from the ISN generator's).
    pub const fn new(secret: [u8; 16]) -> Self {
        SynCookies { key: secret }
    }

    fn tick(now: Instant) -> u32 {
        ((now.as_nanos() / 1_000_000_000 / TICK_SECS) % 32) as u32
    }

    fn hash(&self, tick: u32, local: SocketAddr, remote: SocketAddr, peer_isn: SeqNumber) -> u32 {
        let mut h = SipHasher24::new_with_key(&self.key);
        for addr in [local, remote] {
            match addr.ip() {
                IpAddr::V4(ip) => h.write(&ip.octets()),
                IpAddr::V6(ip) => h.write(&ip.octets()),
            }
            h.write_u16(addr.port());
        }
        h.write_u32(peer_isn.get());
        h.write_u32(tick);
        let x = h.finish();
        ((x ^ (x >> 32)) as u32) & 0x00ff_ffff
    }

    /// The index of the largest table MSS not above `mss`.
    fn mss_index(mss: u16) -> u32 {
        MSS_TABLE.iter().rposition(|&m| m <= mss).unwrap_or(0) as u32
    }

    /// The ISN to put in the SYN-ACK for a SYN with sequence number
    /// `peer_isn` and MSS option `peer_mss`.
    pub fn encode(
        &self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        peer_isn: SeqNumber,
        peer_mss: u16,
    ) -> SeqNumber {
        let tick = Self::tick(now);
        let cookie = (tick << 27)
            | (Self::mss_index(peer_mss) << 24)
            | self.hash(tick, local, remote, peer_isn);
        SeqNumber::new(cookie)
    }

    /// Checks the ACK that completes a cookie handshake: `ack` is its
    /// acknowledgment number and `seq` its sequence number. Returns the MSS
    /// the cookie recorded when it is genuine and fresh.
    pub fn decode(
        &self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        seq: SeqNumber,
        ack: SeqNumber,
    ) -> Option<u16> {
        let cookie = (ack - 1u32).get();
        let peer_isn = seq - 1u32;
        let tick = cookie >> 27;
        let current = Self::tick(now);
        if tick != current && tick != (current + 31) % 32 {
            return None;
        }
        if cookie & 0x00ff_ffff != self.hash(tick, local, remote, peer_isn) {
            return None;
        }
        Some(MSS_TABLE[((cookie >> 24) & 7) as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::Ipv4Addr;
    use core::time::Duration;

    fn v4(a: u8, port: u16) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, a)), port)
    }

    #[test]
    fn round_trip_and_expiry() {
        let cookies = SynCookies::new([3; 16]);
        let (l, r) = (v4(1, 80), v4(2, 5000));
        // The start of a tick: the cookie then lives exactly 128 s.
        let t0 = Instant::from_secs(1024);
        let peer = SeqNumber::new(777);
        let isn = cookies.encode(t0, l, r, peer, 1460);
        // The ACK: seq = peer ISN + 1, ack = our ISN + 1.
        let (seq, ack) = (peer + 1u32, isn + 1u32);
        assert_eq!(cookies.decode(t0, l, r, seq, ack), Some(1460));
        assert_eq!(
            cookies.decode(t0 + Duration::from_secs(100), l, r, seq, ack),
            Some(1460)
        );
        assert_eq!(
            cookies.decode(t0 + Duration::from_secs(200), l, r, seq, ack),
            None
        );
        // Any other tuple, sequence number or key fails.
        assert_eq!(cookies.decode(t0, l, v4(3, 5000), seq, ack), None);
        assert_eq!(cookies.decode(t0, l, r, seq + 1u32, ack), None);
        assert_eq!(cookies.decode(t0, l, r, seq, ack + 1u32), None);
        assert_eq!(SynCookies::new([4; 16]).decode(t0, l, r, seq, ack), None);
    }

    #[test]
    fn options_survive_the_timestamp_and_never_run_ahead_of_the_clock() {
        for shift in [None, Some(0), Some(7), Some(14), Some(200)] {
            for sack in [false, true] {
                let o = CookieOptions {
                    window_shift: shift,
                    sack,
                };
                for clock in [0u32, 5, 31, 32, 1000, 0xffff_fff0, u32::MAX] {
                    let v = o.encode_tsval(clock);
                    assert!(clock.wrapping_sub(v) <= OPTION_BITS + 1, "{clock} {v}");
                    let back = CookieOptions::decode_tsecr(v);
                    assert_eq!(back.sack, sack);
                    assert_eq!(back.window_shift, shift.map(|s| s.min(14)));
                }
            }
        }
    }

    #[test]
    fn mss_is_rounded_down_to_the_table() {
        let cookies = SynCookies::new([3; 16]);
        let (l, r) = (v4(1, 80), v4(2, 5000));
        let now = Instant::from_secs(5);
        for (offered, kept) in [
            (1460, 1460),
            (1459, 1440),
            (9000, 8960),
            (100, 216),
            (1300, 1220),
        ] {
            let isn = cookies.encode(now, l, r, SeqNumber::new(1), offered);
            let got = cookies.decode(now, l, r, SeqNumber::new(2), isn + 1u32);
            assert_eq!(got, Some(kept), "offered {offered}");
        }
        assert_eq!(alloc::format!("{cookies:?}"), "SynCookies { .. }");
    }
}
