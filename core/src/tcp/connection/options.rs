//! What the two SYNs settled: segment size, window scaling, timestamps, SACK.

use crate::tcp::config::{Config, DEFAULT_PEER_MSS_V4, DEFAULT_PEER_MSS_V6};
use crate::time::Instant;
use crate::wire::TcpRepr;

/// Bytes the timestamps option takes in every segment (10, padded to 12).
pub(crate) const TIMESTAMP_OPTION_LEN: usize = 12;

/// The options in force on a connection, in four bytes: our MSS, and one
/// word holding both window shifts (at most 14, so four bits each) and the
/// one-bit facts. The peer's MSS is not kept: it only ever serves to
/// compute the send MSS, which the congestion window keeps anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Negotiated {
    /// The MSS we announced (what we are ready to receive).
    local_mss: u16,
    /// `snd_shift` in bits 0–3, `rcv_shift` in bits 4–7, then the bits
    /// below.
    bits: u16,
}

/// Bits 0–3: the shift applied to the peer's window field (RFC 7323 §2.3).
const SND_SHIFT: u16 = 0xf;
/// Bits 4–7: the shift applied to the window we advertise.
const RCV_SHIFT: u16 = 0xf0;
/// Both sides send timestamps on every segment (RFC 7323 §3.2).
const TIMESTAMPS: u16 = 1 << 8;
/// Both sides may send SACK blocks (RFC 2018 §2).
const SACK: u16 = 1 << 9;
/// Window scaling is offered (before the handshake) or in force (after).
const SCALING: u16 = 1 << 10;
/// The peer's MSS defaults to IPv6's when its SYN has none.
const V6_DEFAULT: u16 = 1 << 11;

impl Negotiated {
    /// What we offer in our SYN, before the peer has answered.
    pub fn offer(config: &Config, ipv6: bool) -> Self {
        let mut opts = Negotiated {
            local_mss: config.mss(ipv6),
            bits: 0,
        };
        opts.set(TIMESTAMPS, config.timestamps);
        opts.set(SACK, config.sack);
        opts.set(SCALING, config.window_scaling);
        opts.set(V6_DEFAULT, ipv6);
        opts.set_rcv_shift(config.window_scale());
        opts
    }

    fn set(&mut self, bit: u16, on: bool) {
        if on {
            self.bits |= bit;
        } else {
            self.bits &= !bit;
        }
    }

    /// The MSS we announced.
    pub fn local_mss(&self) -> u16 {
        self.local_mss
    }

    /// Shift applied to the peer's window field (RFC 7323 §2.3).
    pub fn snd_shift(&self) -> u8 {
        (self.bits & SND_SHIFT) as u8
    }

    /// Shift applied to the window we advertise.
    pub fn rcv_shift(&self) -> u8 {
        ((self.bits & RCV_SHIFT) >> 4) as u8
    }

    /// Both sides send timestamps on every segment (RFC 7323 §3.2).
    pub fn timestamps(&self) -> bool {
        self.bits & TIMESTAMPS != 0
    }

    /// Both sides may send SACK blocks (RFC 2018 §2).
    pub fn sack(&self) -> bool {
        self.bits & SACK != 0
    }

    /// Window scaling is offered (before the handshake) or in force (after).
    pub fn scaling(&self) -> bool {
        self.bits & SCALING != 0
    }

    /// Sets the peer's shift (at most 14, as RFC 7323 §2.3 caps it).
    fn set_snd_shift(&mut self, shift: u8) {
        self.bits = (self.bits & !SND_SHIFT) | u16::from(shift.min(14));
    }

    /// Sets our shift (at most 14).
    fn set_rcv_shift(&mut self, shift: u8) {
        self.bits = (self.bits & !RCV_SHIFT) | (u16::from(shift.min(14)) << 4);
    }

    /// The peer's MSS when its SYN carries none (RFC 9293 §3.7.1).
    pub fn default_peer_mss(&self) -> u16 {
        if self.bits & V6_DEFAULT != 0 {
            DEFAULT_PEER_MSS_V6
        } else {
            DEFAULT_PEER_MSS_V4
        }
    }

    /// Settles the options with the peer's SYN (or SYN-ACK), and returns the
    /// peer's MSS.
    ///
    /// RFC 7323 §2.2: scaling is on only if both SYNs carry the option; a
    /// shift above 14 is taken as 14. §3.2: timestamps only if both SYNs
    /// carry them. RFC 2018 §2: SACK only if both SYNs say SACK-permitted.
    /// RFC 9293 §3.7.1: without an MSS option, assume the default.
    pub fn settle(&mut self, syn: &TcpRepr<'_>) -> u16 {
        match syn.window_scale {
            Some(shift) if self.scaling() => self.set_snd_shift(shift),
            _ => {
                self.set(SCALING, false);
                self.set_snd_shift(0);
                self.set_rcv_shift(0);
            }
        }
        self.set(TIMESTAMPS, self.timestamps() && syn.timestamp.is_some());
        self.set(SACK, self.sack() && syn.sack_permitted);
        syn.mss.map_or(self.default_peer_mss(), |mss| mss.max(1))
    }

    /// Settles the options a SYN cookie kept: the peer's window shift
    /// (`None` without scaling), timestamps and SACK.
    pub fn settle_from_cookie(&mut self, window_shift: Option<u8>, timestamps: bool, sack: bool) {
        self.set(SCALING, window_shift.is_some());
        self.set_snd_shift(window_shift.unwrap_or(0));
        if window_shift.is_none() {
            self.set_rcv_shift(0);
        }
        self.set(TIMESTAMPS, timestamps);
        self.set(SACK, sack);
    }

    /// The payload bytes a full-sized segment carries when the peer's MSS
    /// is `peer_mss`: the smaller MSS minus the options every segment
    /// carries (RFC 9293 §3.7.1: the effective send MSS subtracts the TCP
    /// options in use).
    pub fn send_mss(&self, peer_mss: u16) -> usize {
        let mss = usize::from(peer_mss.min(self.local_mss));
        let options = if self.timestamps() {
            TIMESTAMP_OPTION_LEN
        } else {
            0
        };
        mss.saturating_sub(options).max(1)
    }
}

/// The timestamp clock (RFC 7323 §5.4): one tick per millisecond, offset
/// by a per-connection value so the clock does not reveal uptime.
pub(crate) fn ts_clock(now: Instant, offset: u32) -> u32 {
    ((now.as_nanos() / 1_000_000) as u32).wrapping_add(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_options_settle_like_separate_fields() {
        let config = Config {
            recv_buffer: 1 << 20,
            ..Config::default()
        };
        let offer = Negotiated::offer(&config, false);
        assert_eq!(core::mem::size_of::<Negotiated>(), 4);
        assert_eq!((offer.snd_shift(), offer.rcv_shift()), (0, 5));
        assert!(offer.timestamps() && offer.sack() && offer.scaling());
        assert_eq!(offer.default_peer_mss(), DEFAULT_PEER_MSS_V4);
        assert_eq!(
            Negotiated::offer(&config, true).default_peer_mss(),
            DEFAULT_PEER_MSS_V6
        );

        // Everything offered back; a shift past 14 counts as 14.
        let mut opts = offer;
        let syn = TcpRepr {
            mss: Some(9000),
            window_scale: Some(15),
            sack_permitted: true,
            timestamp: Some((1, 0)),
            ..TcpRepr::default()
        };
        assert_eq!(opts.settle(&syn), 9000);
        assert_eq!((opts.snd_shift(), opts.rcv_shift()), (14, 5));
        assert!(opts.timestamps() && opts.sack() && opts.scaling());
        assert_eq!(
            opts.send_mss(9000),
            usize::from(opts.local_mss()) - TIMESTAMP_OPTION_LEN
        );

        // Nothing offered back: no scaling either way, the default MSS.
        let mut opts = offer;
        assert_eq!(opts.settle(&TcpRepr::default()), DEFAULT_PEER_MSS_V4);
        assert_eq!((opts.snd_shift(), opts.rcv_shift()), (0, 0));
        assert!(!opts.timestamps() && !opts.sack() && !opts.scaling());
        assert_eq!(opts.send_mss(DEFAULT_PEER_MSS_V4), 536);

        // A SYN cookie's options.
        let mut opts = offer;
        opts.settle_from_cookie(Some(7), false, true);
        assert_eq!((opts.snd_shift(), opts.rcv_shift()), (7, 5));
        assert!(!opts.timestamps() && opts.sack() && opts.scaling());
        opts.settle_from_cookie(None, true, false);
        assert_eq!((opts.snd_shift(), opts.rcv_shift()), (0, 0));
        assert!(opts.timestamps() && !opts.sack() && !opts.scaling());
    }
}
