//! Configuration of TCP connections and of the endpoint that holds them.
//!
//! Every field has a default chosen to behave like a well-tuned general
//! purpose stack (mostly Linux's defaults, where the RFCs leave a choice);
//! each field's documentation says where its default comes from. Check a
//! hand-built configuration with [`Config::validate`].

use super::congestion::Algorithm;
use super::rtt::{DEFAULT_MAX_RTO, DEFAULT_MIN_RTO, INITIAL_RTO};
use crate::time::Duration;
use core::fmt;

/// Bytes of IPv4 plus TCP header without options.
pub const IPV4_TCP_HEADERS: usize = 40;
/// Bytes of IPv6 plus TCP header without options or extension headers.
pub const IPV6_TCP_HEADERS: usize = 60;
/// The largest receive window RFC 7323 §2.3 allows: 2³⁰ bytes
/// (65,535 shifted by the maximum scale of 14, rounded up).
pub const MAX_WINDOW: usize = 1 << 30;
/// The MSS to assume for a peer that sends no MSS option, over IPv4
/// (RFC 9293 §3.7.1).
pub const DEFAULT_PEER_MSS_V4: u16 = 536;
/// The MSS to assume for a peer that sends no MSS option, over IPv6
/// (RFC 8200 §5: 1280 − 60).
pub const DEFAULT_PEER_MSS_V6: u16 = 1220;

/// Keepalive probing of idle connections (RFC 9293 §3.8.4).
///
/// The defaults are those RFC 1122 §4.2.3.6 requires (idle at least two
/// hours) and Linux uses for the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keepalive {
    /// Idle time before the first probe. Default 2 hours.
    pub idle: Duration,
    /// Time between unanswered probes. Default 75 s.
    pub interval: Duration,
    /// Unanswered probes before the connection is declared dead. Default 9;
    /// values above 65,535 act as 65,535.
    pub probes: u32,
}

impl Default for Keepalive {
    fn default() -> Self {
        Keepalive {
            idle: Duration::from_secs(2 * 60 * 60),
            interval: Duration::from_secs(75),
            probes: 9,
        }
    }
}

/// Settings for one TCP connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The largest IP packet we send or want to receive, in bytes, headers
    /// included. The MSS we announce is derived from it (see
    /// [`Config::mss`]). Default 1500, Ethernet's MTU. Larger values (up to
    /// 65,535) give GSO-style large segments for in-memory links and TUN
    /// devices.
    pub mtu: usize,
    /// An explicit MSS to announce instead of the one derived from `mtu`.
    /// Default `None`.
    pub mss: Option<u16>,
    /// Send buffer capacity in bytes: how much written data may wait for
    /// acknowledgment, at most 1 GiB. Default 256 KiB.
    pub send_buffer: usize,
    /// Receive buffer capacity in bytes: the most we ever advertise as a
    /// window. Default 256 KiB.
    pub recv_buffer: usize,
    /// The most separate out-of-order ranges the receive buffer tracks;
    /// segments that would open more are dropped (and retransmitted by the
    /// peer). Default 32.
    pub max_reassembly_ranges: usize,
    /// Turn off Nagle's algorithm (RFC 9293 §3.7.4): send small segments
    /// at once instead of holding them while data is unacknowledged.
    /// Default `false` (Nagle on), as RFC 1122 §4.2.3.4 asks.
    pub nodelay: bool,
    /// How long an acknowledgment may be delayed, or `None` to acknowledge
    /// every segment at once. Default 40 ms, Linux's minimum; RFC 9293
    /// §3.8.6.3 caps it at 0.5 s. A full-sized segment pair is always
    /// acknowledged at once whatever this says. The peer's FIN in
    /// ESTABLISHED waits too, for the application's reply or FIN to carry
    /// the ACK; with `None` it is acknowledged at once.
    pub delayed_ack: Option<Duration>,
    /// The RTO before any round-trip sample. Default 1 s (RFC 6298 §2.1).
    pub initial_rto: Duration,
    /// The lower bound on the RTO. Default 200 ms as in Linux; RFC 6298
    /// §2.4 asks for 1 s (see the [`rtt`](super::rtt) module for why).
    pub min_rto: Duration,
    /// The upper bound on the RTO. Default 60 s (RFC 6298 §2.5).
    pub max_rto: Duration,
    /// SYN retransmissions before an active open gives up. The RTO starts
    /// at `initial_rto` and doubles, so the default of 6 sends SYNs at 0,
    /// 1, 3, 7, 15, 31 and 63 s and gives up at 127 s, as Linux does.
    /// Like every count limit here, values above 65,535 act as 65,535 (the
    /// connection keeps its counts in 16 bits).
    pub syn_retries: u32,
    /// SYN-ACK retransmissions before a half-open passive connection is
    /// dropped. Default 5 (Linux). At most 65,535 take effect.
    pub synack_retries: u32,
    /// Consecutive retransmission timeouts of the same data before the
    /// connection is aborted with a timeout. Default 15 (Linux's
    /// `tcp_retries2`, about 15 minutes with a 60 s maximum RTO; RFC 1122
    /// §4.2.3.5 requires at least 100 s). At most 65,535 take effect.
    pub max_retransmissions: u32,
    /// Abort when sent data stays unacknowledged this long, whatever the
    /// retransmission count (RFC 9293 §3.8.3, RFC 5482). Default `None`.
    pub user_timeout: Option<Duration>,
    /// Keepalive probing; `None` turns it off. Default off (RFC 1122
    /// §4.2.3.6 says it must default to off).
    pub keepalive: Option<Keepalive>,
    /// Maximum segment lifetime. TIME-WAIT lasts twice this. Default 30 s,
    /// giving Linux's 60 s TIME-WAIT; RFC 9293 §3.4.2 suggests 2 minutes.
    pub msl: Duration,
    /// How long a connection in FIN-WAIT-2 may hear nothing from the peer
    /// before it is dropped, or `None` to wait forever as RFC 9293 allows.
    /// Every segment received restarts the wait, so a peer that is still
    /// sending is never cut off. Default 60 s (Linux's `tcp_fin_timeout`).
    pub fin_wait2_timeout: Option<Duration>,
    /// Offer and accept window scaling (RFC 7323 §2). Default on.
    pub window_scaling: bool,
    /// Offer and accept timestamps, for RTT measurement and PAWS (RFC 7323
    /// §3–§5). Default on.
    pub timestamps: bool,
    /// Offer and accept selective acknowledgments (RFC 2018, RFC 6675).
    /// Default on.
    pub sack: bool,
    /// The congestion control algorithm. Default CUBIC.
    pub congestion: Algorithm,
    /// The initial congestion window in segments, or 0 for RFC 5681's 2–4
    /// segments. Default 10, as RFC 6928 allows and every major stack uses.
    /// At most 255 segments take effect.
    pub initial_window: usize,
    /// Trust the checksum work to the caller's hardware or TUN device:
    /// received checksums are not verified and sent ones are left for the
    /// device to fill. Default `false`.
    pub checksum_offload: bool,
    /// Emit a `StateChanged` event on every RFC 9293 state transition, for
    /// tracing. Default `false`.
    pub state_change_events: bool,
    /// Challenge ACKs sent per second at most (RFC 5961 §7). Default 1000;
    /// at most 65,535 take effect.
    pub challenge_ack_limit: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mtu: 1500,
            mss: None,
            send_buffer: 256 * 1024,
            recv_buffer: 256 * 1024,
            max_reassembly_ranges: 32,
            nodelay: false,
            delayed_ack: Some(Duration::from_millis(40)),
            initial_rto: INITIAL_RTO,
            min_rto: DEFAULT_MIN_RTO,
            max_rto: DEFAULT_MAX_RTO,
            syn_retries: 6,
            synack_retries: 5,
            max_retransmissions: 15,
            user_timeout: None,
            keepalive: None,
            msl: Duration::from_secs(30),
            fin_wait2_timeout: Some(Duration::from_secs(60)),
            window_scaling: true,
            timestamps: true,
            sack: true,
            congestion: Algorithm::Cubic,
            initial_window: 10,
            checksum_offload: false,
            state_change_events: false,
            challenge_ack_limit: 1000,
        }
    }
}

/// A configuration value that cannot work, found by [`Config::validate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// `mtu` is below 68 bytes or above 65,535.
    Mtu,
    /// `mss` is zero.
    Mss,
    /// A buffer is empty or exceeds 2³⁰ bytes.
    BufferSize,
    /// `max_reassembly_ranges` is zero.
    ReassemblyRanges,
    /// The RTO bounds are zero or reversed, or the initial RTO is zero.
    Rto,
    /// `msl` is zero.
    Msl,
    /// Keepalive with a zero interval or zero probes.
    Keepalive,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConfigError::Mtu => "mtu must be between 68 and 65535 bytes",
            ConfigError::Mss => "mss must not be zero",
            ConfigError::BufferSize => "buffers must be between 1 byte and 1 GiB",
            ConfigError::ReassemblyRanges => "max_reassembly_ranges must not be zero",
            ConfigError::Rto => "rto bounds must be non-zero with min_rto <= max_rto",
            ConfigError::Msl => "msl must not be zero",
            ConfigError::Keepalive => "keepalive needs a non-zero interval and probe count",
        })
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ConfigError {}

impl Config {
    /// The smallest MTU accepted: 68 bytes, the least every IPv4 link must
    /// carry (RFC 791).
    pub const MIN_MTU: usize = 68;

    /// Checks that the values can work together.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(Self::MIN_MTU..=65_535).contains(&self.mtu) {
            return Err(ConfigError::Mtu);
        }
        if self.mss == Some(0) {
            return Err(ConfigError::Mss);
        }
        let sizes = 1..=MAX_WINDOW;
        if !sizes.contains(&self.send_buffer) || !sizes.contains(&self.recv_buffer) {
            return Err(ConfigError::BufferSize);
        }
        if self.max_reassembly_ranges == 0 {
            return Err(ConfigError::ReassemblyRanges);
        }
        if self.initial_rto.is_zero()
            || self.min_rto.is_zero()
            || self.max_rto.is_zero()
            || self.min_rto > self.max_rto
        {
            return Err(ConfigError::Rto);
        }
        if self.msl.is_zero() {
            return Err(ConfigError::Msl);
        }
        if let Some(k) = self.keepalive
            && (k.interval.is_zero() || k.probes == 0)
        {
            return Err(ConfigError::Keepalive);
        }
        Ok(())
    }

    /// The MSS to announce: `mss` if set, else the MTU minus the IP and TCP
    /// headers (RFC 9293 §3.7.1; RFC 6691: options are not subtracted).
    pub fn mss(&self, ipv6: bool) -> u16 {
        if let Some(mss) = self.mss {
            return mss;
        }
        let headers = if ipv6 {
            IPV6_TCP_HEADERS
        } else {
            IPV4_TCP_HEADERS
        };
        let mss = self.mtu.saturating_sub(headers).max(1);
        u16::try_from(mss).unwrap_or(u16::MAX)
    }

    /// How long TIME-WAIT lasts: twice the MSL (RFC 9293 §3.6.1).
    pub fn time_wait(&self) -> Duration {
        self.msl.saturating_mul(2)
    }

    /// The window scale to announce (RFC 7323 §2.2): the smallest shift that
    /// lets the receive buffer be advertised in full, at most 14. Zero when
    /// scaling is off.
    pub fn window_scale(&self) -> u8 {
        if !self.window_scaling {
            return 0;
        }
        let mut shift = 0u8;
        while shift < 14 && (self.recv_buffer >> shift) > 0xffff {
            shift += 1;
        }
        shift
    }
}

/// Settings for the endpoint: how many connections it holds in the
/// handshake and waiting to be accepted, and the per-connection defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointConfig {
    /// Settings every connection starts with.
    pub connection: Config,
    /// Half-open connections (SYN received, handshake not complete) per
    /// listener. Default 256.
    pub syn_queue: usize,
    /// Established connections waiting for `accept` per listener. Default
    /// 128 (Linux's `SOMAXCONN` before 5.4).
    pub accept_backlog: usize,
    /// Answer SYNs with SYN cookies when the SYN queue is full instead of
    /// dropping them. Default on.
    pub syn_cookies: bool,
    /// Answer segments for no connection with a RST (RFC 9293 §3.10.7.1).
    /// Default on; turning it off makes closed ports silent.
    pub reset_unknown: bool,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        EndpointConfig {
            connection: Config::default(),
            syn_queue: 256,
            accept_backlog: 128,
            syn_cookies: true,
            reset_unknown: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_documented_values() {
        let c = Config::default();
        assert_eq!(c.validate(), Ok(()));
        assert_eq!(c.mss(false), 1460);
        assert_eq!(c.mss(true), 1440);
        assert_eq!(c.time_wait(), Duration::from_secs(60));
        assert_eq!(c.delayed_ack, Some(Duration::from_millis(40)));
        assert_eq!(c.syn_retries, 6);
        assert!(c.keepalive.is_none());
        let k = Keepalive::default();
        assert_eq!(
            (k.idle.as_secs(), k.interval.as_secs(), k.probes),
            (7200, 75, 9)
        );
        assert_eq!(EndpointConfig::default().connection, c);
    }

    #[test]
    fn window_scale_fits_the_buffer() {
        let mut c = Config {
            recv_buffer: 65_535,
            ..Config::default()
        };
        assert_eq!(c.window_scale(), 0);
        c.recv_buffer = 65_536;
        assert_eq!(c.window_scale(), 1);
        c.recv_buffer = 256 * 1024;
        assert_eq!(c.window_scale(), 3);
        c.recv_buffer = MAX_WINDOW;
        assert_eq!(c.window_scale(), 14);
        c.window_scaling = false;
        assert_eq!(c.window_scale(), 0);
    }

    #[test]
    fn explicit_and_large_mss() {
        let c = Config {
            mss: Some(1000),
            ..Config::default()
        };
        assert_eq!(c.mss(true), 1000);
        let c = Config {
            mtu: 65_535,
            ..Config::default()
        };
        assert_eq!(c.mss(false), 65_495);
    }

    #[test]
    fn validation_catches_nonsense() {
        let bad = [
            (
                Config {
                    mtu: 40,
                    ..Config::default()
                },
                ConfigError::Mtu,
            ),
            (
                Config {
                    mtu: 70_000,
                    ..Config::default()
                },
                ConfigError::Mtu,
            ),
            (
                Config {
                    mss: Some(0),
                    ..Config::default()
                },
                ConfigError::Mss,
            ),
            (
                Config {
                    send_buffer: 0,
                    ..Config::default()
                },
                ConfigError::BufferSize,
            ),
            (
                Config {
                    send_buffer: MAX_WINDOW + 1,
                    ..Config::default()
                },
                ConfigError::BufferSize,
            ),
            (
                Config {
                    recv_buffer: MAX_WINDOW + 1,
                    ..Config::default()
                },
                ConfigError::BufferSize,
            ),
            (
                Config {
                    max_reassembly_ranges: 0,
                    ..Config::default()
                },
                ConfigError::ReassemblyRanges,
            ),
            (
                Config {
                    min_rto: Duration::from_secs(90),
                    ..Config::default()
                },
                ConfigError::Rto,
            ),
            (
                Config {
                    initial_rto: Duration::ZERO,
                    ..Config::default()
                },
                ConfigError::Rto,
            ),
            (
                Config {
                    msl: Duration::ZERO,
                    ..Config::default()
                },
                ConfigError::Msl,
            ),
            (
                Config {
                    keepalive: Some(Keepalive {
                        probes: 0,
                        ..Keepalive::default()
                    }),
                    ..Config::default()
                },
                ConfigError::Keepalive,
            ),
        ];
        for (config, err) in bad {
            assert_eq!(config.validate(), Err(err));
            assert!(!alloc::format!("{err}").is_empty());
        }
    }
}
