//! Shared pieces of the TCP targets: configurations chosen by the input,
//! draining an endpoint while checking what it reports, and the checks
//! every endpoint must pass after every step.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use arbitrary::Arbitrary;
use wirestate::tcp::{
    CongestionAlgorithm, ConnId, Endpoint, EndpointConfig, Event, Keepalive, State,
};
use wirestate::time::{Duration, Instant};

/// Largest IP packet the targets handle (the endpoints' MTU is smaller).
pub const PACKET_BUF: usize = 65_600;

/// Connection ids probed when checking an endpoint: ids are handed out in
/// order from 0 and every target creates far fewer connections than this.
pub const MAX_IDS: u64 = 96;

/// Knobs of the connection configuration, shared by both ends.
#[derive(Arbitrary, Debug, Clone)]
pub struct Knobs {
    /// Small buffers (4 KiB send, 3 KiB receive, 4 reassembly ranges), so
    /// that they fill.
    pub tight: bool,
    /// A small MTU (576), so that data takes many segments.
    pub small_mtu: bool,
    /// Nagle off.
    pub nodelay: bool,
    /// Turn off SACK.
    pub no_sack: bool,
    /// Turn off timestamps.
    pub no_timestamps: bool,
    /// Turn off window scaling.
    pub no_scaling: bool,
    /// NewReno instead of CUBIC.
    pub newreno: bool,
    /// Acknowledge every segment at once.
    pub no_delayed_ack: bool,
    /// Keepalive probing (1 s idle, 500 ms interval, 3 probes).
    pub keepalive: bool,
    /// A 5 s user timeout.
    pub user_timeout: bool,
    /// Report every state change.
    pub state_events: bool,
    /// Checksums offloaded (nothing filled on send).
    pub offload: bool,
}

impl Knobs {
    /// The endpoint configuration these knobs describe. Timers are short
    /// (`max_rto` 2 s, MSL 1 s) so that virtual time covers many of them.
    pub fn config(&self) -> EndpointConfig {
        let mut e = EndpointConfig::default();
        let c = &mut e.connection;
        if self.tight {
            c.send_buffer = 4096;
            c.recv_buffer = 3000;
            c.max_reassembly_ranges = 4;
        } else {
            c.send_buffer = 64 * 1024;
            c.recv_buffer = 48 * 1024;
            c.max_reassembly_ranges = 16;
        }
        c.mtu = if self.small_mtu { 576 } else { 1500 };
        c.nodelay = self.nodelay;
        c.sack = !self.no_sack;
        c.timestamps = !self.no_timestamps;
        c.window_scaling = !self.no_scaling;
        c.congestion = if self.newreno {
            CongestionAlgorithm::NewReno
        } else {
            CongestionAlgorithm::Cubic
        };
        if self.no_delayed_ack {
            c.delayed_ack = None;
        }
        if self.keepalive {
            c.keepalive = Some(Keepalive {
                idle: Duration::from_secs(1),
                interval: Duration::from_millis(500),
                probes: 3,
            });
        }
        if self.user_timeout {
            c.user_timeout = Some(Duration::from_secs(5));
        }
        c.state_change_events = self.state_events;
        c.checksum_offload = self.offload;
        c.max_rto = Duration::from_secs(2);
        c.msl = Duration::from_secs(1);
        c.fin_wait2_timeout = Some(Duration::from_secs(10));
        e.syn_queue = 4;
        e.accept_backlog = 4;
        e
    }
}

/// The two addresses of a pair, IPv4 or IPv6, on fixed ports.
pub fn addresses(ipv6: bool) -> (SocketAddr, SocketAddr) {
    if ipv6 {
        (
            SocketAddr::new(
                IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1)),
                40_000,
            ),
            SocketAddr::new(IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 2)), 80),
        )
    } else {
        (
            SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 40_000),
            SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 80),
        )
    }
}

/// What one endpoint reported, checked as it comes.
#[derive(Debug, Default)]
pub struct EventLog {
    /// Connections that reported `Closed`.
    pub closed: BTreeSet<ConnId>,
    /// Connections announced by `Incoming`.
    pub incoming: Vec<ConnId>,
    /// Connections that reported `Connected`.
    pub connected: BTreeSet<ConnId>,
    /// Connections that reported `PeerFinished`.
    pub finished: BTreeSet<ConnId>,
    /// Connections that reported `Reset` or `TimedOut`.
    pub failed: BTreeSet<ConnId>,
}

impl EventLog {
    /// Takes every event of `ep`, checking that nothing follows `Closed`,
    /// that `Closed` comes once, and that `Incoming` names a new connection.
    pub fn drain(&mut self, name: &str, ep: &mut Endpoint) {
        let mut budget = 100_000;
        while let Some((id, ev)) = ep.poll_event() {
            budget -= 1;
            assert!(budget > 0, "{name}: endless events");
            assert!(
                !self.closed.contains(&id),
                "{name}: {ev:?} on connection {id} after Closed"
            );
            match ev {
                Event::Closed => {
                    self.closed.insert(id);
                }
                Event::Incoming { .. } => {
                    assert!(
                        !self.incoming.contains(&id),
                        "{name}: second Incoming for {id}"
                    );
                    self.incoming.push(id);
                }
                Event::Connected => {
                    assert!(
                        self.connected.insert(id),
                        "{name}: second Connected for {id}"
                    );
                }
                Event::PeerFinished => {
                    assert!(
                        self.finished.insert(id),
                        "{name}: second PeerFinished for {id}"
                    );
                }
                Event::Reset | Event::TimedOut => {
                    self.failed.insert(id);
                }
                Event::StateChanged { from, to } => {
                    assert_ne!(from, to, "{name}: StateChanged to the same state");
                }
                _ => {}
            }
        }
    }
}

/// Takes every packet `ep` has to send, up to a bound that only an endless
/// output loop reaches.
pub fn drain_output(name: &str, ep: &mut Endpoint, now: Instant, buf: &mut [u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(t) = ep.poll_transmit(now, buf) {
        assert!(t.len <= buf.len());
        out.push(buf[..t.len].to_vec());
        assert!(out.len() < 20_000, "{name}: poll_transmit does not end");
    }
    out
}

/// The checks after every step: every live connection passes
/// `check_invariants` and keeps its buffers within the configuration, the
/// endpoint's next deadline is no later than any connection's, nothing is
/// due in the past after `handle_timeout(now)` ran, and the endpoint holds
/// at most `max_conns` connections.
pub fn check_endpoint(name: &str, ep: &mut Endpoint, now: Instant, max_conns: usize) {
    let mut deadlines = Vec::new();
    for raw in 0..MAX_IDS {
        let id = ConnId(raw);
        let Some(conn) = ep.connection(id) else {
            continue;
        };
        if let Err(why) = conn.check_invariants() {
            panic!(
                "{name}: connection {id} in {:?}: {why}: {conn:?}",
                conn.state()
            );
        }
        let config = conn.config();
        assert!(
            conn.readable() <= config.recv_buffer,
            "{name}: {id} readable past the buffer"
        );
        assert!(
            conn.unacknowledged() <= config.send_buffer,
            "{name}: {id} send buffer overfull"
        );
        let stats = conn.stats();
        assert!(stats.send_mss >= 1, "{name}: {id} send MSS zero");
        assert!(
            stats.bytes_acked <= stats.bytes_sent,
            "{name}: {id} acked more than sent"
        );
        assert_eq!(ep.state(id), Some(conn.state()));
        deadlines.extend(conn.poll_timeout());
    }
    // The endpoint's schedule knows every connection's deadline.
    if let Some(earliest) = deadlines.into_iter().min() {
        let scheduled = ep.poll_timeout();
        assert!(
            scheduled.is_some_and(|at| at <= earliest),
            "{name}: a connection is due at {earliest:?}, the endpoint says {scheduled:?}"
        );
    }
    assert!(
        ep.len() <= max_conns,
        "{name}: {} connections, at most {max_conns} expected",
        ep.len()
    );
    if let Some(at) = ep.poll_timeout() {
        assert!(
            at > now,
            "{name}: timer due at {at:?} still pending after handle_timeout({now:?})"
        );
    }
}

/// Whether `ep` has finished with `id`: gone, closed, or in TIME-WAIT.
pub fn done(ep: &Endpoint, id: ConnId) -> bool {
    matches!(ep.state(id), None | Some(State::Closed | State::TimeWait))
}

/// The byte at position `i` of the stream `seed` describes.
pub fn pattern(seed: &[u8], i: usize) -> u8 {
    if seed.is_empty() {
        return (i % 251) as u8;
    }
    seed[i % seed.len()] ^ ((i / seed.len()) as u8).wrapping_mul(31)
}
