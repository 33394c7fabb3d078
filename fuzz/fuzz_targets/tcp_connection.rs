//! One endpoint under test (A) with a connection in a chosen RFC 9293
//! state, reached by driving it against a real peer endpoint (B): LISTEN,
//! SYN-SENT, SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT,
//! CLOSING, LAST-ACK or TIME-WAIT. Then an `Arbitrary` sequence of
//! operations: segments built from arbitrary fields and options (sequence,
//! acknowledgment and timestamp values either near the live ones or fully
//! random), raw packets, clock ticks, jumps to the next deadline,
//! application calls on either end, and deliveries between the two ends.
//!
//! Asserts after every step, on both endpoints:
//! - no panic, and `poll_transmit` ends;
//! - every connection passes `Connection::check_invariants`: buffers and
//!   out-of-order ranges within the configuration, SND.UNA <= SND.NXT <=
//!   SND.MAX with only held data (plus SYN and FIN) outstanding, RCV.NXT
//!   matching the bytes received, a timer armed while anything is
//!   outstanding;
//! - after `handle_timeout(now)`, `poll_timeout` is later than `now` (no
//!   busy loop), and jumping to it makes progress;
//! - events: nothing after `Closed`, no second `Closed`, `Connected`,
//!   `PeerFinished` or `Incoming` for one connection;
//! - the endpoint holds no more connections than the segments it was given
//!   could open.
#![no_main]

use std::collections::VecDeque;
use std::net::SocketAddr;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use wirestate::tcp::{ConnId, Endpoint, State};
use wirestate::time::{Duration, Instant};
use wirestate::wire::{self, ChecksumMode, IpProtocol, IpRepr, TcpFlags, TcpRepr};
use wirestate_fuzz::tcp::{
    addresses, check_endpoint, drain_output, pattern, EventLog, Knobs, PACKET_BUF,
};

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
}

#[derive(Arbitrary, Debug)]
struct Setup {
    start: Start,
    knobs: Knobs,
    ipv6: bool,
    /// A opened the connection through its listener (B connected).
    a_passive: bool,
    /// Bytes B sends A before the state is reached (ESTABLISHED and later).
    prelude: u8,
    secret: u8,
}

/// A 32-bit field: near the live value, further off, or anything.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Num {
    Near(i8),
    Mid(i16),
    Window(i8),
    Raw(u32),
}

impl Num {
    fn resolve(self, live: u32) -> u32 {
        match self {
            Num::Near(d) => live.wrapping_add(d as i32 as u32),
            Num::Mid(d) => live.wrapping_add(d as i32 as u32),
            // Around multiples of 64 KiB: window edges and wrap-around.
            Num::Window(d) => live.wrapping_add((d as i32 as u32).wrapping_mul(0x1_0000)),
            Num::Raw(v) => v,
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Ts {
    None,
    /// TSval near the newest one the peer sent, TSecr A's newest.
    Live(i8),
    Raw(u32, u32),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Ports {
    Connection,
    /// Another source port (a new connection at a listener).
    Source(u16),
    Both(u16, u16),
}

#[derive(Arbitrary, Debug)]
struct Segment {
    ports: Ports,
    seq: Num,
    ack: Num,
    flags: u8,
    window: u16,
    urgent: u16,
    mss: Option<u16>,
    window_scale: Option<u8>,
    sack_permitted: bool,
    sack: Vec<(Num, Num)>,
    ts: Ts,
    payload: Vec<u8>,
    /// The payload repeated this many more times (up to 63).
    repeat: u8,
}

#[derive(Arbitrary, Debug)]
enum Op {
    Segment(Segment),
    /// A raw IP packet, or a raw segment on the connection's addresses.
    Raw {
        packet: Vec<u8>,
        bare: bool,
    },
    /// Advance the clock by `ms` milliseconds and run both ends' timers.
    Advance(u16),
    /// Advance by whole seconds.
    AdvanceSecs(u8),
    /// Jump to A's next deadline.
    FireDeadline,
    Send(u16),
    Recv(u16),
    Close,
    Abort,
    /// Another connection from A to B.
    Connect,
    PeerSend(u16),
    PeerRecv(u16),
    PeerClose,
    PeerAbort,
    /// B connects to A (a listener on A sees it).
    PeerConnect,
    /// Hand up to `n` of A's queued packets to B.
    ToPeer(u8),
    /// Hand up to `n` of B's queued packets to A.
    FromPeer(u8),
    /// Move everything both ways until quiet.
    Exchange,
    /// Forget what is queued.
    Lose,
}

#[derive(Arbitrary, Debug)]
struct Input {
    setup: Setup,
    ops: Vec<Op>,
}

/// The newest values seen on the wire, for segments that look current.
#[derive(Debug, Default, Clone, Copy)]
struct Live {
    /// A's RCV.NXT: the acknowledgment number of A's newest segment.
    rcv: u32,
    /// A's SND.NXT: sequence number plus length of A's newest segment.
    snd: u32,
    /// A's newest TSval.
    a_ts: u32,
    /// The newest TSval A was sent.
    b_ts: u32,
}

struct World {
    a: Endpoint,
    b: Endpoint,
    a_addr: SocketAddr,
    b_addr: SocketAddr,
    now: Instant,
    buf: Vec<u8>,
    a_out: VecDeque<Vec<u8>>,
    b_out: VecDeque<Vec<u8>>,
    a_log: EventLog,
    b_log: EventLog,
    a_id: Option<ConnId>,
    b_id: Option<ConnId>,
    live: Live,
    /// Segments handed to A that could each open a connection.
    openers: usize,
    sent: usize,
}

const QUEUE_LIMIT: usize = 512;

impl World {
    fn new(setup: &Setup) -> World {
        let config = setup.knobs.config();
        let (a_addr, b_addr) = addresses(setup.ipv6);
        let secret = [setup.secret; 16];
        let mut other = secret;
        other[0] ^= 0xff;
        World {
            a: Endpoint::new(config.clone(), secret).expect("valid config"),
            b: Endpoint::new(config, other).expect("valid config"),
            a_addr,
            b_addr,
            now: Instant::from_secs(1),
            buf: vec![0; PACKET_BUF],
            a_out: VecDeque::new(),
            b_out: VecDeque::new(),
            a_log: EventLog::default(),
            b_log: EventLog::default(),
            a_id: None,
            b_id: None,
            live: Live::default(),
            openers: 0,
            sent: 0,
        }
    }

    /// Takes both ends' output and events.
    fn drain(&mut self) {
        for p in drain_output("A", &mut self.a, self.now, &mut self.buf) {
            if let Ok((_, seg)) = wire::parse_tcp_packet(&p, ChecksumMode::OFFLOADED) {
                self.live.snd = seg.seq.wrapping_add(seg.segment_len() as u32);
                if seg.flags.contains(TcpFlags::ACK) {
                    self.live.rcv = seg.ack;
                }
                if let Some((tsval, _)) = seg.timestamp {
                    self.live.a_ts = tsval;
                }
            }
            self.a_out.push_back(p);
        }
        for p in drain_output("B", &mut self.b, self.now, &mut self.buf) {
            if let Ok((_, seg)) = wire::parse_tcp_packet(&p, ChecksumMode::OFFLOADED) {
                if let Some((tsval, _)) = seg.timestamp {
                    self.live.b_ts = tsval;
                }
            }
            self.b_out.push_back(p);
        }
        while self.a_out.len() > QUEUE_LIMIT {
            self.a_out.pop_front();
        }
        while self.b_out.len() > QUEUE_LIMIT {
            self.b_out.pop_front();
        }
        self.a_log.drain("A", &mut self.a);
        self.b_log.drain("B", &mut self.b);
        if self.a_id.is_none() {
            self.a_id = self.a_log.incoming.first().copied();
        }
        if self.b_id.is_none() {
            self.b_id = self.b_log.incoming.first().copied();
        }
    }

    fn check(&mut self) {
        // Each opener may leave a connection (live or in TIME-WAIT), plus
        // the ones the setup and `Connect` made.
        let max = self.openers + 4;
        check_endpoint("A", &mut self.a, self.now, max);
        check_endpoint("B", &mut self.b, self.now, max);
    }

    fn to_peer(&mut self, n: usize) {
        for _ in 0..n {
            let Some(p) = self.a_out.pop_front() else {
                break;
            };
            self.b.handle_packet(self.now, &p);
            self.drain();
        }
    }

    fn from_peer(&mut self, n: usize) {
        for _ in 0..n {
            let Some(p) = self.b_out.pop_front() else {
                break;
            };
            self.openers += 1;
            self.a.handle_packet(self.now, &p);
            self.drain();
        }
    }

    /// Moves packets both ways until nothing is queued (bounded).
    fn exchange(&mut self) {
        self.drain();
        for _ in 0..64 {
            if self.a_out.is_empty() && self.b_out.is_empty() {
                return;
            }
            self.to_peer(usize::MAX);
            self.from_peer(usize::MAX);
        }
    }

    fn tick(&mut self, d: Duration) {
        self.now = self.now + d;
        self.a.handle_timeout(self.now);
        self.b.handle_timeout(self.now);
        self.drain();
    }

    fn a_state(&self) -> Option<State> {
        self.a_id.and_then(|id| self.a.state(id))
    }

    /// Drives the pair until A's connection is in `start`.
    fn reach(&mut self, setup: &Setup) {
        let (a_addr, b_addr) = (self.a_addr, self.b_addr);
        let start = setup.start;
        if matches!(start, Start::Listen | Start::SynReceived) || setup.a_passive {
            self.a.listen(a_addr).unwrap();
        }
        match start {
            Start::Listen => {
                self.drain();
                return;
            }
            Start::SynSent => {
                self.a_id = Some(self.a.connect(self.now, a_addr, b_addr).unwrap());
                self.drain();
                self.expect(State::SynSent);
                return;
            }
            Start::SynReceived => {
                self.b_id = Some(self.b.connect(self.now, b_addr, a_addr).unwrap());
                self.drain();
                self.from_peer(1);
                // The only connection A has, not yet announced.
                self.a_id = Some(ConnId(0));
                self.expect(State::SynReceived);
                return;
            }
            _ => {}
        }
        if setup.a_passive {
            self.b_id = Some(self.b.connect(self.now, b_addr, a_addr).unwrap());
        } else {
            self.b.listen(b_addr).unwrap();
            self.a_id = Some(self.a.connect(self.now, a_addr, b_addr).unwrap());
        }
        self.exchange();
        self.expect(State::Established);
        let (a, b) = (self.a_id.unwrap(), self.b_id.expect("B has the connection"));
        let prelude: Vec<u8> = (0..usize::from(setup.prelude) * 7)
            .map(|i| pattern(&[], i))
            .collect();
        if !prelude.is_empty() {
            self.b.send(b, &prelude).unwrap();
            self.exchange();
            self.tick(Duration::from_millis(50));
            self.exchange();
        }
        match start {
            Start::Established => {}
            Start::FinWait1 => {
                self.a.close(a, self.now).unwrap();
                self.drain();
            }
            Start::FinWait2 => {
                self.a.close(a, self.now).unwrap();
                self.exchange();
                // B, now in CLOSE-WAIT, acknowledges the FIN on its
                // delayed-ACK timer (40 ms), waiting for a FIN of its own.
                self.tick(Duration::from_millis(50));
                self.exchange();
            }
            Start::CloseWait => {
                self.b.close(b, self.now).unwrap();
                self.exchange();
            }
            Start::Closing => {
                self.a.close(a, self.now).unwrap();
                self.b.close(b, self.now).unwrap();
                self.drain();
                // B's FIN reaches A; A's FIN stays queued.
                self.from_peer(usize::MAX);
            }
            Start::LastAck => {
                self.b.close(b, self.now).unwrap();
                self.exchange();
                self.a.close(a, self.now).unwrap();
                self.drain();
            }
            Start::TimeWait => {
                self.a.close(a, self.now).unwrap();
                self.exchange();
                self.b.close(b, self.now).unwrap();
                self.exchange();
            }
            _ => unreachable!(),
        }
        let expected = match start {
            Start::Established => State::Established,
            Start::FinWait1 => State::FinWait1,
            Start::FinWait2 => State::FinWait2,
            Start::CloseWait => State::CloseWait,
            Start::Closing => State::Closing,
            Start::LastAck => State::LastAck,
            _ => State::TimeWait,
        };
        self.expect(expected);
    }

    fn expect(&self, state: State) {
        assert_eq!(
            self.a_state(),
            Some(state),
            "setup did not reach {state:?} (B: {:?})",
            self.b_id.and_then(|id| self.b.state(id))
        );
    }

    /// Builds the segment and hands it to A as an IP packet from B.
    fn inject(&mut self, s: &Segment) {
        let live = self.live;
        let (src_port, dst_port) = match s.ports {
            Ports::Connection => (self.b_addr.port(), self.a_addr.port()),
            Ports::Source(p) => (p.max(1), self.a_addr.port()),
            Ports::Both(p, q) => (p.max(1), q.max(1)),
        };
        let mut payload = Vec::new();
        let copies = usize::from(s.repeat % 64) + 1;
        for _ in 0..copies {
            if payload.len() + s.payload.len() > 20_000 {
                break;
            }
            payload.extend_from_slice(&s.payload);
        }
        let mut sack_ranges = [None; 4];
        for (slot, (l, r)) in sack_ranges.iter_mut().zip(&s.sack) {
            *slot = Some((l.resolve(live.snd), r.resolve(live.snd)));
        }
        let timestamp = match s.ts {
            Ts::None => None,
            Ts::Live(d) => Some((live.b_ts.wrapping_add(d as i32 as u32), live.a_ts)),
            Ts::Raw(v, e) => Some((v, e)),
        };
        if let Some((tsval, _)) = timestamp {
            if (tsval.wrapping_sub(self.live.b_ts) as i32) > 0 {
                self.live.b_ts = tsval;
            }
        }
        let flags = TcpFlags::from_bits(s.flags);
        if flags.contains(TcpFlags::SYN) || flags.contains(TcpFlags::ACK) {
            self.openers += 1;
        }
        let repr = TcpRepr {
            src_port,
            dst_port,
            seq: s.seq.resolve(live.rcv),
            ack: s.ack.resolve(live.snd),
            flags,
            window: s.window,
            urgent: s.urgent,
            mss: s.mss,
            window_scale: s.window_scale,
            sack_permitted: s.sack_permitted,
            sack_ranges,
            timestamp,
            payload: &payload,
        };
        let ip = IpRepr::new(self.b_addr.ip(), self.a_addr.ip(), IpProtocol::TCP, 0, 64).unwrap();
        let len = wire::tcp_packet_len(&ip, &repr);
        let mut packet = vec![0u8; len];
        wire::emit_tcp_packet(&ip, &repr, &mut packet, ChecksumMode::FULL);
        self.a.handle_packet(self.now, &packet);
        self.drain();
    }

    /// Runs the timers at A's next deadline; they must move it on.
    fn fire_deadline(&mut self) {
        let Some(at) = self.a.poll_timeout() else {
            return;
        };
        assert!(
            at > self.now,
            "deadline {at:?} not after now {:?}",
            self.now
        );
        self.now = at;
        self.a.handle_timeout(at);
        self.b.handle_timeout(at);
        self.drain();
        if let Some(next) = self.a.poll_timeout() {
            assert!(
                next > at,
                "handle_timeout({at:?}) left the deadline at {next:?}"
            );
        }
    }

    fn stream(&mut self, n: u16) -> Vec<u8> {
        let data: Vec<u8> = (self.sent..self.sent + usize::from(n))
            .map(|i| pattern(&[], i))
            .collect();
        self.sent += data.len();
        data
    }

    fn run(&mut self, op: &Op) {
        let now = self.now;
        match op {
            Op::Segment(s) => self.inject(s),
            Op::Raw { packet, bare } => {
                self.openers += 1;
                if *bare {
                    self.a
                        .handle_segment(now, self.b_addr.ip(), self.a_addr.ip(), packet);
                } else {
                    self.a.handle_packet(now, packet);
                }
                self.drain();
            }
            Op::Advance(ms) => self.tick(Duration::from_millis(u64::from(*ms))),
            Op::AdvanceSecs(s) => self.tick(Duration::from_secs(u64::from(*s))),
            Op::FireDeadline => self.fire_deadline(),
            Op::Send(n) => {
                if let Some(id) = self.a_id {
                    let data = self.stream(*n);
                    if let Ok(taken) = self.a.send(id, &data) {
                        assert!(taken <= data.len());
                    }
                }
                self.drain();
            }
            Op::Recv(n) => {
                if let Some(id) = self.a_id {
                    let mut buf = vec![0u8; usize::from(*n)];
                    if let Ok(got) = self.a.recv(id, &mut buf) {
                        assert!(got <= buf.len());
                    }
                }
                self.drain();
            }
            Op::Close => {
                if let Some(id) = self.a_id {
                    let _ = self.a.close(id, now);
                }
                self.drain();
            }
            Op::Abort => {
                if let Some(id) = self.a_id {
                    let _ = self.a.abort(id, now);
                }
                self.drain();
            }
            Op::Connect => {
                let remote = SocketAddr::new(self.b_addr.ip(), self.b_addr.port().wrapping_add(1));
                if let Ok(id) = self.a.connect(now, self.a_addr, remote) {
                    self.a_id.get_or_insert(id);
                }
                self.drain();
            }
            Op::PeerSend(n) => {
                if let Some(id) = self.b_id {
                    let data: Vec<u8> = (0..usize::from(*n)).map(|i| pattern(b"peer", i)).collect();
                    let _ = self.b.send(id, &data);
                }
                self.drain();
            }
            Op::PeerRecv(n) => {
                if let Some(id) = self.b_id {
                    let mut buf = vec![0u8; usize::from(*n)];
                    let _ = self.b.recv(id, &mut buf);
                }
                self.drain();
            }
            Op::PeerClose => {
                if let Some(id) = self.b_id {
                    let _ = self.b.close(id, now);
                }
                self.drain();
            }
            Op::PeerAbort => {
                if let Some(id) = self.b_id {
                    let _ = self.b.abort(id, now);
                }
                self.drain();
            }
            Op::PeerConnect => {
                let local = SocketAddr::new(self.b_addr.ip(), self.b_addr.port().wrapping_add(7));
                if let Ok(id) = self.b.connect(now, local, self.a_addr) {
                    self.b_id.get_or_insert(id);
                }
                self.drain();
            }
            Op::ToPeer(n) => self.to_peer(usize::from(*n)),
            Op::FromPeer(n) => self.from_peer(usize::from(*n)),
            Op::Exchange => self.exchange(),
            Op::Lose => {
                self.a_out.clear();
                self.b_out.clear();
            }
        }
    }
}

fuzz_target!(|input: Input| {
    let mut w = World::new(&input.setup);
    w.reach(&input.setup);
    w.check();
    for op in input.ops.iter().take(256) {
        w.run(op);
        w.check();
    }
    // Whatever happened, the clock running on must make progress and end
    // in a bounded number of deadlines.
    for _ in 0..64 {
        if w.a.poll_timeout().is_none() {
            break;
        }
        w.fire_deadline();
        w.check();
    }
});
