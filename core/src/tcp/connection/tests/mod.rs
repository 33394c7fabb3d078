//! Segment-level tests that read like RFC traces, one group per concern.
//!
//! `input` feeds a segment from the peer; `output` pulls what the
//! connection sends and parses it back (checking the checksum on the way).
//! Our ISN is 1000 and the peer's is 5000 throughout.

mod close;
mod data;
mod dsack_undo;
mod handshake;
mod lost_retransmit;
#[cfg(feature = "sim")]
mod pair;
mod probe;
mod prr;
mod recovery;
mod reordering;
mod robust;
mod timers;

use super::*;
use crate::tcp::config::Config;
use crate::wire::{TcpFlags, TcpRepr};
use alloc::vec::Vec;
use core::net::{IpAddr, Ipv4Addr, SocketAddr};

pub(super) const LOCAL: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 40000);
pub(super) const REMOTE: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 80);
pub(super) const ISS: u32 = 1000;
pub(super) const PEER_ISS: u32 = 5000;

/// A configuration that keeps traces short: no options besides MSS, no
/// delayed ACKs unless a test turns them on.
pub(super) fn plain() -> Config {
    Config {
        timestamps: false,
        sack: false,
        window_scaling: false,
        recv_buffer: 64 * 1024,
        send_buffer: 64 * 1024,
        delayed_ack: None,
        mss: Some(1000),
        ..Config::default()
    }
}

/// `n` bytes of a repeating pattern, to tell data apart in traces.
pub(super) fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

pub(super) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub(super) fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

/// An owned segment, either direction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Seg {
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
    pub mss: Option<u16>,
    pub ws: Option<u8>,
    pub sack_permitted: bool,
    pub ts: Option<(u32, u32)>,
    pub sack: Vec<(u32, u32)>,
    pub payload: Vec<u8>,
}

impl Seg {
    pub fn new(seq: u32, ack: u32, flags: TcpFlags) -> Seg {
        Seg {
            seq,
            ack,
            flags,
            window: 65535,
            ..Seg::default()
        }
    }

    pub fn data(mut self, payload: &[u8]) -> Seg {
        self.payload = payload.to_vec();
        self
    }

    pub fn window(mut self, window: u16) -> Seg {
        self.window = window;
        self
    }

    pub fn repr(&self) -> TcpRepr<'_> {
        let mut sack_ranges = [None; 4];
        for (slot, &r) in sack_ranges.iter_mut().zip(&self.sack) {
            *slot = Some(r);
        }
        TcpRepr {
            src_port: REMOTE.port(),
            dst_port: LOCAL.port(),
            seq: self.seq,
            ack: self.ack,
            flags: self.flags,
            window: self.window,
            mss: self.mss,
            window_scale: self.ws,
            sack_permitted: self.sack_permitted,
            timestamp: self.ts,
            sack_ranges,
            payload: &self.payload,
            ..TcpRepr::default()
        }
    }

    fn from_repr(r: &TcpRepr<'_>) -> Seg {
        Seg {
            seq: r.seq,
            ack: r.ack,
            flags: r.flags,
            window: r.window,
            mss: r.mss,
            ws: r.window_scale,
            sack_permitted: r.sack_permitted,
            ts: r.timestamp,
            sack: r.sack_ranges.iter().flatten().copied().collect(),
            payload: r.payload.to_vec(),
        }
    }

    pub fn syn(&self) -> bool {
        self.flags.contains(TcpFlags::SYN)
    }
}

pub(super) const SYN: TcpFlags = TcpFlags::SYN;
pub(super) const ACK: TcpFlags = TcpFlags::ACK;
pub(super) const FIN: TcpFlags = TcpFlags::FIN;
pub(super) const RST: TcpFlags = TcpFlags::RST;
pub(super) const PSH: TcpFlags = TcpFlags::PSH;

/// The next segment the connection sends, parsed back (checksum checked).
#[track_caller]
pub(super) fn output(conn: &mut Connection, now: Instant) -> Option<Seg> {
    let mut buf = [0u8; 2048];
    let n = conn.poll_transmit(now, &mut buf)?;
    let repr = TcpRepr::parse_segment(
        &buf[..n],
        LOCAL.ip(),
        REMOTE.ip(),
        crate::wire::ChecksumMode::FULL,
    )
    .expect("the connection emitted an unparsable segment");
    assert_eq!(
        (repr.src_port, repr.dst_port),
        (LOCAL.port(), REMOTE.port())
    );
    Some(Seg::from_repr(&repr))
}

/// Every segment the connection sends now.
pub(super) fn drain(conn: &mut Connection, now: Instant) -> Vec<Seg> {
    let mut out = Vec::new();
    while let Some(seg) = output(conn, now) {
        out.push(seg);
        assert!(out.len() < 10_000, "poll_transmit never stops");
    }
    out
}

#[track_caller]
pub(super) fn expect_nothing(conn: &mut Connection, now: Instant) {
    if let Some(seg) = output(conn, now) {
        panic!("expected silence, got {seg:?}");
    }
}

pub(super) fn input(conn: &mut Connection, now: Instant, seg: &Seg) {
    conn.handle_segment(now, &seg.repr());
}

pub(super) fn events(conn: &mut Connection) -> Vec<Event> {
    core::iter::from_fn(|| conn.poll_event()).collect()
}

pub(super) fn client(config: Config) -> Connection {
    Connection::connect(at(0), Arc::new(config), LOCAL, REMOTE, SeqNumber::new(ISS))
}

/// A connection driven through an active open to ESTABLISHED at time 0,
/// events drained. The peer's window is 65535 and its MSS 1000.
pub(super) fn established(config: Config) -> Connection {
    let mut conn = client(config);
    let syn = output(&mut conn, at(0)).unwrap();
    assert!(syn.syn());
    let mut synack = Seg::new(PEER_ISS, ISS + 1, SYN | ACK);
    synack.mss = Some(1000);
    input(&mut conn, at(10), &synack);
    let ack = output(&mut conn, at(10)).unwrap();
    assert_eq!((ack.seq, ack.ack, ack.flags), (ISS + 1, PEER_ISS + 1, ACK));
    assert_eq!(conn.state(), State::Established);
    assert_eq!(events(&mut conn), [Event::Connected]);
    conn
}
