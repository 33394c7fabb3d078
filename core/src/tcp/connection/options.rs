//! What the two SYNs settled: segment size, window scaling, timestamps, SACK.

use crate::tcp::config::{Config, DEFAULT_PEER_MSS_V4, DEFAULT_PEER_MSS_V6};
use crate::time::Instant;
use crate::wire::TcpRepr;

/// Bytes the timestamps option takes in every segment (10, padded to 12).
pub(crate) const TIMESTAMP_OPTION_LEN: usize = 12;

/// The options in force on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Negotiated {
    /// The MSS we announced (what we are ready to receive).
    pub local_mss: u16,
    /// The MSS the peer announced, or the RFC default.
    pub peer_mss: u16,
    /// Shift applied to the peer's window field (RFC 7323 §2.3).
    pub snd_shift: u8,
    /// Shift applied to the window we advertise.
    pub rcv_shift: u8,
    /// Both sides send timestamps on every segment (RFC 7323 §3.2).
    pub timestamps: bool,
    /// Both sides may send SACK blocks (RFC 2018 §2).
    pub sack: bool,
    /// Window scaling is offered (before the handshake) or in force (after).
    pub scaling: bool,
}

impl Negotiated {
    /// What we offer in our SYN, before the peer has answered.
    pub fn offer(config: &Config, ipv6: bool) -> Self {
        Negotiated {
            local_mss: config.mss(ipv6),
            peer_mss: if ipv6 {
                DEFAULT_PEER_MSS_V6
            } else {
                DEFAULT_PEER_MSS_V4
            },
            snd_shift: 0,
            rcv_shift: config.window_scale(),
            timestamps: config.timestamps,
            sack: config.sack,
            scaling: config.window_scaling,
        }
    }

    /// Settles the options with the peer's SYN (or SYN-ACK).
    ///
    /// RFC 7323 §2.2: scaling is on only if both SYNs carry the option; a
    /// shift above 14 is taken as 14. §3.2: timestamps only if both SYNs
    /// carry them. RFC 2018 §2: SACK only if both SYNs say SACK-permitted.
    /// RFC 9293 §3.7.1: without an MSS option, assume the default.
    pub fn settle(&mut self, syn: &TcpRepr<'_>) {
        if let Some(mss) = syn.mss {
            self.peer_mss = mss.max(1);
        }
        match syn.window_scale {
            Some(shift) if self.scaling => self.snd_shift = shift.min(14),
            _ => {
                self.scaling = false;
                self.snd_shift = 0;
                self.rcv_shift = 0;
            }
        }
        self.timestamps &= syn.timestamp.is_some();
        self.sack &= syn.sack_permitted;
    }

    /// The payload bytes a full-sized segment carries: the smaller MSS minus
    /// the options every segment carries (RFC 9293 §3.7.1: the effective
    /// send MSS subtracts the TCP options in use).
    pub fn send_mss(&self) -> usize {
        let mss = usize::from(self.peer_mss.min(self.local_mss));
        let options = if self.timestamps {
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
