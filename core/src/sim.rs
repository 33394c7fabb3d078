//! A deterministic simulated link for tests.
//!
//! [`Link`] carries opaque packets (`Vec<u8>`) between two ends, `A` and `B`,
//! on a virtual clock the caller drives, with the faults real paths have:
//!
//! - **latency**: a fixed one-way delay, plus optional uniform **jitter**
//!   (which reorders packets sent closer together than the jitter);
//! - **bandwidth** with a bounded **queue**: packets wait to be serialized
//!   one after the other, and a packet that would overfill the queue is
//!   dropped (tail drop), as at a router;
//! - **loss**, **reordering** (a packet is held back for an extra delay),
//!   **duplication** and **corruption** (one byte flipped), each with a
//!   probability.
//!
//! Randomness comes from a small built-in generator ([`SimRng`],
//! SplitMix64) seeded by the caller, so a given seed and a given sequence of
//! calls always produce the same trace, on every platform: a failing test
//! can be replayed exactly from its seed.
//!
//! Like the protocol state machines, the link never reads a clock: every
//! call takes `now`. A driving loop sends what the endpoints produce, then
//! delivers what [`Link::poll_receive`] returns, and jumps the clock to the
//! earliest of the endpoints' timeouts and [`Link::poll_timeout`].
//!
//! ```
//! use wirestate::sim::{Direction, Link, LinkConfig};
//! use wirestate::time::{Duration, Instant};
//!
//! let config = LinkConfig { latency: Duration::from_millis(10), ..LinkConfig::default() };
//! let mut link = Link::new(config, 42);
//! let t0 = Instant::ZERO;
//! link.send(t0, Direction::AToB, b"hello".to_vec());
//! assert_eq!(link.poll_receive(t0, Direction::AToB), None);
//! let at = link.poll_timeout().unwrap();
//! assert_eq!(at, t0 + Duration::from_millis(10));
//! assert_eq!(link.poll_receive(at, Direction::AToB), Some(b"hello".to_vec()));
//! ```

use crate::time::{Duration, Instant};
use alloc::collections::BinaryHeap;
use alloc::vec::Vec;
use core::cmp::{Ordering, Reverse};

/// A small, fast, seedable pseudo-random generator (SplitMix64).
///
/// Not for cryptography; good enough statistics for fault injection, and
/// the same sequence on every platform for a given seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimRng {
    state: u64,
}

impl SimRng {
    /// A generator seeded with `seed`.
    pub const fn new(seed: u64) -> Self {
        SimRng { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform number in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        // The top 53 bits fill an f64 mantissa exactly.
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform number in `[0, n)`; 0 when `n` is 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Multiply-shift: bias at most n / 2^64, irrelevant here.
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// `true` with probability `p` (clamped to `[0, 1]`).
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.next_f64() < p
    }

    /// Fills `out` with random bytes (for secrets and seeds in tests).
    pub fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// Which way a packet travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From end A to end B.
    AToB,
    /// From end B to end A.
    BToA,
}

impl Direction {
    /// The other direction.
    pub const fn reverse(self) -> Direction {
        match self {
            Direction::AToB => Direction::BToA,
            Direction::BToA => Direction::AToB,
        }
    }

    const fn index(self) -> usize {
        match self {
            Direction::AToB => 0,
            Direction::BToA => 1,
        }
    }
}

/// The properties of one direction of a [`Link`].
///
/// The default is a perfect link: no delay, unlimited bandwidth, no faults.
/// Probabilities are in `[0, 1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkConfig {
    /// One-way propagation delay.
    pub latency: Duration,
    /// Extra delay drawn uniformly from `[0, jitter]` for each packet.
    pub jitter: Duration,
    /// Serialization rate in bytes per second; `None` for unlimited.
    pub bandwidth: Option<u64>,
    /// Bytes that may wait for serialization; a packet that would exceed it
    /// is dropped. Only matters with a bandwidth limit. Default 64 KiB.
    pub queue_limit: usize,
    /// Probability that a packet is lost.
    pub loss: f64,
    /// Probability that a packet is held back by `reorder_delay`, letting
    /// later packets overtake it.
    pub reorder: f64,
    /// How long a reordered packet is held back.
    pub reorder_delay: Duration,
    /// Probability that a packet is delivered twice.
    pub duplicate: f64,
    /// Probability that one byte of a packet is flipped.
    pub corrupt: f64,
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
            bandwidth: None,
            queue_limit: 64 * 1024,
            loss: 0.0,
            reorder: 0.0,
            reorder_delay: Duration::from_millis(1),
            duplicate: 0.0,
            corrupt: 0.0,
        }
    }
}

/// What happened to the packets of one direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LinkStats {
    /// Packets handed to [`Link::send`].
    pub sent: u64,
    /// Packets handed out by [`Link::poll_receive`] (duplicates included).
    pub delivered: u64,
    /// Bytes handed out by [`Link::poll_receive`].
    pub bytes_delivered: u64,
    /// Packets lost at random.
    pub lost: u64,
    /// Packets dropped because the queue was full.
    pub queue_drops: u64,
    /// Packets held back to be reordered.
    pub reordered: u64,
    /// Extra copies made.
    pub duplicated: u64,
    /// Packets with a byte flipped.
    pub corrupted: u64,
}

/// A packet on its way, ordered by arrival time and then by the order it
/// was scheduled in (so equal arrival times keep sending order).
#[derive(Debug)]
struct InFlight {
    at: Instant,
    order: u64,
    packet: Vec<u8>,
}

impl PartialEq for InFlight {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.order) == (other.at, other.order)
    }
}
impl Eq for InFlight {}
impl PartialOrd for InFlight {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for InFlight {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.order).cmp(&(other.at, other.order))
    }
}

/// One direction: its settings, its queue and the packets in flight.
#[derive(Debug)]
struct Lane {
    config: LinkConfig,
    /// When the transmitter finishes serializing what is queued.
    busy_until: Instant,
    in_flight: BinaryHeap<Reverse<InFlight>>,
    stats: LinkStats,
}

impl Lane {
    fn new(config: LinkConfig) -> Self {
        Lane {
            config,
            busy_until: Instant::ZERO,
            in_flight: BinaryHeap::new(),
            stats: LinkStats::default(),
        }
    }
}

/// A two-way simulated link. See the [module documentation](self).
///
/// Methods by kind: getters [`stats`](Self::stats),
/// [`in_flight`](Self::in_flight), [`is_idle`](Self::is_idle),
/// [`config`](Self::config); input [`send`](Self::send); output
/// [`poll_receive`](Self::poll_receive), [`poll_timeout`](Self::poll_timeout).
#[derive(Debug)]
pub struct Link {
    lanes: [Lane; 2],
    rng: SimRng,
    order: u64,
}

impl Link {
    /// A link with the same properties both ways, its faults drawn from a
    /// generator seeded with `seed`.
    pub fn new(config: LinkConfig, seed: u64) -> Self {
        Link::asymmetric(config.clone(), config, seed)
    }

    /// A link with different properties in each direction.
    pub fn asymmetric(a_to_b: LinkConfig, b_to_a: LinkConfig, seed: u64) -> Self {
        Link {
            lanes: [Lane::new(a_to_b), Lane::new(b_to_a)],
            rng: SimRng::new(seed),
            order: 0,
        }
    }

    /// The properties of one direction.
    pub fn config(&self, dir: Direction) -> &LinkConfig {
        &self.lanes[dir.index()].config
    }

    /// Changes the properties of one direction from now on (packets already
    /// in flight keep their arrival times).
    pub fn set_config(&mut self, dir: Direction, config: LinkConfig) {
        self.lanes[dir.index()].config = config;
    }

    /// What has happened to the packets going one way.
    pub fn stats(&self, dir: Direction) -> LinkStats {
        self.lanes[dir.index()].stats
    }

    /// Packets on their way in one direction.
    pub fn in_flight(&self, dir: Direction) -> usize {
        self.lanes[dir.index()].in_flight.len()
    }

    /// Whether nothing is in flight either way.
    pub fn is_idle(&self) -> bool {
        self.lanes.iter().all(|l| l.in_flight.is_empty())
    }

    /// Puts `packet` on the link at `now`, going `dir`.
    ///
    /// It may be dropped (queue full, or lost), delayed, duplicated or
    /// corrupted according to the configuration.
    pub fn send(&mut self, now: Instant, dir: Direction, mut packet: Vec<u8>) {
        let lane = &mut self.lanes[dir.index()];
        let rng = &mut self.rng;
        lane.stats.sent += 1;

        // Serialization: wait behind what is queued, tail drop when full.
        let departs = match lane.config.bandwidth {
            Some(rate) if rate > 0 => {
                let start = lane.busy_until.max(now);
                let backlog = bytes_in(start - now, rate);
                if backlog.saturating_add(packet.len() as u64) > lane.config.queue_limit as u64 {
                    lane.stats.queue_drops += 1;
                    return;
                }
                lane.busy_until = start + time_for(packet.len() as u64, rate);
                lane.busy_until
            }
            _ => now,
        };

        if rng.chance(lane.config.loss) {
            lane.stats.lost += 1;
            return;
        }
        if !packet.is_empty() && rng.chance(lane.config.corrupt) {
            let at = rng.below(packet.len() as u64) as usize;
            // XOR with a non-zero byte so the packet really changes.
            packet[at] ^= (rng.below(255) + 1) as u8;
            lane.stats.corrupted += 1;
        }
        let mut arrives = departs + lane.config.latency + jitter(rng, lane.config.jitter);
        if rng.chance(lane.config.reorder) {
            arrives += lane.config.reorder_delay;
            lane.stats.reordered += 1;
        }
        if rng.chance(lane.config.duplicate) {
            let again = arrives + jitter(rng, lane.config.jitter);
            lane.stats.duplicated += 1;
            self.order += 1;
            lane.in_flight.push(Reverse(InFlight {
                at: again,
                order: self.order,
                packet: packet.clone(),
            }));
        }
        self.order += 1;
        lane.in_flight.push(Reverse(InFlight {
            at: arrives,
            order: self.order,
            packet,
        }));
    }

    /// The next packet that has arrived at the far end of `dir` by `now`,
    /// earliest first.
    pub fn poll_receive(&mut self, now: Instant, dir: Direction) -> Option<Vec<u8>> {
        let lane = &mut self.lanes[dir.index()];
        if lane.in_flight.peek()?.0.at > now {
            return None;
        }
        let Reverse(p) = lane.in_flight.pop()?;
        lane.stats.delivered += 1;
        lane.stats.bytes_delivered += p.packet.len() as u64;
        Some(p.packet)
    }

    /// When the next packet arrives, in either direction.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.lanes
            .iter()
            .filter_map(|l| l.in_flight.peek().map(|p| p.0.at))
            .min()
    }
}

/// Two TCP endpoints joined by a [`Link`], on a virtual clock.
///
/// Endpoint `a` sends in [`Direction::AToB`], `b` in [`Direction::BToA`];
/// packets are whole IP packets. [`step`](Pair::step) does one round —
/// deliver what has arrived, collect what each endpoint sends — and when a
/// round moves nothing it jumps the clock to the next timer of either
/// endpoint or the next arrival. No test ever sleeps.
///
/// The application side is yours: between steps, call the endpoints'
/// `send`/`recv`/`close` and read their events.
///
/// ```
/// use wirestate::sim::{Link, LinkConfig, Pair};
/// use wirestate::tcp::{Endpoint, EndpointConfig, Event, State};
/// use wirestate::time::{Duration, Instant};
///
/// let a = Endpoint::new(EndpointConfig::default(), [1; 16]).unwrap();
/// let b = Endpoint::new(EndpointConfig::default(), [2; 16]).unwrap();
/// let link = Link::new(LinkConfig { latency: Duration::from_millis(5), loss: 0.05, ..LinkConfig::default() }, 7);
/// let mut pair = Pair::new(a, b, link);
/// let server = "10.0.0.2:80".parse().unwrap();
/// pair.b.listen(server).unwrap();
/// let id = pair.a.connect(pair.now, "10.0.0.1:5000".parse().unwrap(), server).unwrap();
/// pair.a.send(id, b"ping").unwrap();
/// let mut got = Vec::new();
/// let mut buf = [0u8; 64];
/// while got.len() < 4 {
///     assert!(pair.step(), "stalled");
///     while let Some((conn, event)) = pair.b.poll_event() {
///         if let Event::Incoming { .. } | Event::Readable = event {
///             let n = pair.b.recv(conn, &mut buf).unwrap();
///             got.extend_from_slice(&buf[..n]);
///         }
///     }
/// }
/// assert_eq!(got, b"ping");
/// assert_eq!(pair.a.state(id), Some(State::Established));
/// ```
#[derive(Debug)]
pub struct Pair {
    /// The endpoint at end A.
    pub a: crate::tcp::Endpoint,
    /// The endpoint at end B.
    pub b: crate::tcp::Endpoint,
    /// The link between them.
    pub link: Link,
    /// The virtual clock.
    pub now: Instant,
    buf: Vec<u8>,
}

impl Pair {
    /// Joins `a` and `b` with `link`, at time zero.
    pub fn new(a: crate::tcp::Endpoint, b: crate::tcp::Endpoint, link: Link) -> Pair {
        Pair {
            a,
            b,
            link,
            now: Instant::ZERO,
            buf: alloc::vec![0; 65_600],
        }
    }

    /// One round: delivers every packet due now, each receiver answering
    /// right after each packet (so ACKs go out per packet, as the delayed-ACK
    /// rule decides, not one per batch), runs due timers, sends what the
    /// endpoints have queued, or else jumps the clock to the next event.
    /// Returns `false` when nothing is left to happen: no packet in flight,
    /// no timer armed.
    pub fn step(&mut self) -> bool {
        let now = self.now;
        let mut moved = false;
        loop {
            let mut delivered = false;
            if let Some(p) = self.link.poll_receive(now, Direction::AToB) {
                self.b.handle_packet(now, &p);
                flush(
                    &mut self.b,
                    &mut self.link,
                    &mut self.buf,
                    now,
                    Direction::BToA,
                );
                delivered = true;
            }
            if let Some(p) = self.link.poll_receive(now, Direction::BToA) {
                self.a.handle_packet(now, &p);
                flush(
                    &mut self.a,
                    &mut self.link,
                    &mut self.buf,
                    now,
                    Direction::AToB,
                );
                delivered = true;
            }
            if !delivered {
                break;
            }
            moved = true;
        }
        self.a.handle_timeout(now);
        self.b.handle_timeout(now);
        moved |= flush(
            &mut self.a,
            &mut self.link,
            &mut self.buf,
            now,
            Direction::AToB,
        );
        moved |= flush(
            &mut self.b,
            &mut self.link,
            &mut self.buf,
            now,
            Direction::BToA,
        );
        if moved {
            return true;
        }
        let next = [
            self.a.poll_timeout(),
            self.b.poll_timeout(),
            self.link.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        match next {
            Some(t) => {
                self.now = self.now.max(t);
                true
            }
            None => false,
        }
    }

    /// Steps until nothing is left to happen or the clock passes `until`.
    /// Returns whether it stopped because everything went quiet.
    pub fn drive(&mut self, until: Instant) -> bool {
        while self.now <= until {
            if !self.step() {
                return true;
            }
        }
        false
    }
}

/// Sends everything `ep` has queued into `link`; returns whether anything
/// went.
fn flush(
    ep: &mut crate::tcp::Endpoint,
    link: &mut Link,
    buf: &mut [u8],
    now: Instant,
    dir: Direction,
) -> bool {
    let mut sent = false;
    while let Some(t) = ep.poll_transmit(now, buf) {
        link.send(now, dir, buf[..t.len].to_vec());
        sent = true;
    }
    sent
}

fn jitter(rng: &mut SimRng, max: Duration) -> Duration {
    if max.is_zero() {
        return Duration::ZERO;
    }
    let max = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(rng.below(max.saturating_add(1)))
}

/// How long `bytes` take at `rate` bytes per second (rounded up to a ns).
fn time_for(bytes: u64, rate: u64) -> Duration {
    let nanos = (bytes as u128 * 1_000_000_000).div_ceil(rate as u128);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// How many bytes `rate` serializes in `d`.
fn bytes_in(d: Duration, rate: u64) -> u64 {
    u64::try_from(d.as_nanos() * rate as u128 / 1_000_000_000).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Sends `count` numbered packets each way, one per millisecond, and
    /// records every delivery as (time, direction, bytes).
    fn trace(config: &LinkConfig, seed: u64, count: u32) -> Vec<(Instant, Direction, Vec<u8>)> {
        let mut link = Link::new(config.clone(), seed);
        let mut out = Vec::new();
        let mut now = Instant::ZERO;
        for i in 0..count {
            for dir in [Direction::AToB, Direction::BToA] {
                link.send(now, dir, [i.to_be_bytes().as_slice(), &[0xab; 60]].concat());
            }
            now += ms(1);
            drain(&mut link, now, &mut out);
        }
        while let Some(at) = link.poll_timeout() {
            drain(&mut link, at, &mut out);
        }
        out
    }

    fn drain(link: &mut Link, now: Instant, out: &mut Vec<(Instant, Direction, Vec<u8>)>) {
        for dir in [Direction::AToB, Direction::BToA] {
            while let Some(p) = link.poll_receive(now, dir) {
                out.push((now, dir, p));
            }
        }
    }

    fn faulty() -> LinkConfig {
        LinkConfig {
            latency: ms(20),
            jitter: ms(3),
            bandwidth: Some(100_000),
            queue_limit: 2_000,
            loss: 0.1,
            reorder: 0.1,
            reorder_delay: ms(5),
            duplicate: 0.05,
            corrupt: 0.05,
        }
    }

    #[test]
    fn same_seed_same_trace() {
        let a = trace(&faulty(), 7, 300);
        let b = trace(&faulty(), 7, 300);
        assert_eq!(a, b);
        assert!(!a.is_empty());
        let c = trace(&faulty(), 8, 300);
        assert_ne!(a, c);
    }

    #[test]
    fn rng_is_stable() {
        // The first outputs of SplitMix64 seeded with 0 are well known.
        let mut rng = SimRng::new(0);
        assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(rng.next_u64(), 0x6e78_9e6a_a1b9_65f4);
        let mut rng = SimRng::new(1);
        for _ in 0..1000 {
            let x = rng.next_f64();
            assert!((0.0..1.0).contains(&x));
            assert!(rng.below(10) < 10);
        }
        assert_eq!(rng.below(0), 0);
        assert!(!rng.chance(0.0));
        assert!(rng.chance(1.0));
        let mut bytes = [0u8; 13];
        rng.fill(&mut bytes);
        assert!(bytes.iter().any(|&b| b != 0));
    }

    #[test]
    fn perfect_link_delivers_in_order_after_latency() {
        let config = LinkConfig {
            latency: ms(10),
            ..LinkConfig::default()
        };
        let mut link = Link::new(config, 1);
        let t0 = Instant::from_secs(1);
        for i in 0..5u8 {
            link.send(t0, Direction::BToA, vec![i]);
        }
        assert_eq!(link.in_flight(Direction::BToA), 5);
        assert_eq!(link.poll_receive(t0 + ms(9), Direction::BToA), None);
        assert_eq!(link.poll_receive(t0 + ms(10), Direction::AToB), None);
        for i in 0..5u8 {
            assert_eq!(
                link.poll_receive(t0 + ms(10), Direction::BToA),
                Some(vec![i])
            );
        }
        assert!(link.is_idle());
        assert_eq!(link.poll_timeout(), None);
        let stats = link.stats(Direction::BToA);
        assert_eq!(
            (stats.sent, stats.delivered, stats.bytes_delivered),
            (5, 5, 5)
        );
    }

    #[test]
    fn bandwidth_serializes_and_queue_drops_the_tail() {
        let config = LinkConfig {
            bandwidth: Some(1_000_000), // 1 byte per µs
            queue_limit: 3_000,
            ..LinkConfig::default()
        };
        let mut link = Link::new(config, 1);
        let t0 = Instant::ZERO;
        for _ in 0..5 {
            link.send(t0, Direction::AToB, vec![0; 1000]);
        }
        // Three fit in the queue; the fourth and fifth are dropped.
        let stats = link.stats(Direction::AToB);
        assert_eq!(stats.queue_drops, 2);
        let mut arrivals = Vec::new();
        while let Some(at) = link.poll_timeout() {
            while link.poll_receive(at, Direction::AToB).is_some() {
                arrivals.push(at);
            }
        }
        let us = Duration::from_micros;
        assert_eq!(arrivals, vec![t0 + us(1000), t0 + us(2000), t0 + us(3000)]);
        // Once the queue drains, packets fit again.
        link.send(t0 + us(3000), Direction::AToB, vec![0; 1000]);
        assert_eq!(link.stats(Direction::AToB).queue_drops, 2);
    }

    #[test]
    fn fault_rates_are_roughly_right() {
        let config = LinkConfig {
            loss: 0.2,
            duplicate: 0.1,
            corrupt: 0.1,
            reorder: 0.1,
            ..LinkConfig::default()
        };
        let mut link = Link::new(config, 99);
        let original = vec![0x55u8; 100];
        for _ in 0..10_000 {
            link.send(Instant::ZERO, Direction::AToB, original.clone());
        }
        let s = link.stats(Direction::AToB);
        assert!((1_800..2_200).contains(&s.lost), "lost {}", s.lost);
        assert!((650..1_000).contains(&s.duplicated), "dup {}", s.duplicated);
        assert!(
            (650..1_000).contains(&s.corrupted),
            "corrupt {}",
            s.corrupted
        );
        assert!(
            (650..1_000).contains(&s.reordered),
            "reorder {}",
            s.reordered
        );
        // A corrupted packet differs from the original in exactly one byte.
        let mut damaged = 0;
        let until = Instant::from_secs(1);
        while let Some(p) = link.poll_receive(until, Direction::AToB) {
            let diff = p.iter().zip(&original).filter(|(a, b)| a != b).count();
            assert!(diff <= 1);
            damaged += diff as u64;
        }
        // Duplicates of corrupted packets are corrupted too.
        assert!(damaged >= s.corrupted);
        assert_eq!(
            link.stats(Direction::AToB).delivered,
            10_000 - s.lost + s.duplicated
        );
    }

    #[test]
    fn reordering_lets_later_packets_overtake() {
        let config = LinkConfig {
            latency: ms(10),
            reorder: 1.0,
            reorder_delay: ms(5),
            ..LinkConfig::default()
        };
        let mut link = Link::new(config, 3);
        link.send(Instant::ZERO, Direction::AToB, vec![1]);
        link.set_config(
            Direction::AToB,
            LinkConfig {
                latency: ms(10),
                ..LinkConfig::default()
            },
        );
        assert_eq!(link.config(Direction::AToB).reorder, 0.0);
        link.send(ms_at(1), Direction::AToB, vec![2]);
        assert_eq!(link.poll_receive(ms_at(11), Direction::AToB), Some(vec![2]));
        assert_eq!(link.poll_receive(ms_at(11), Direction::AToB), None);
        assert_eq!(link.poll_timeout(), Some(ms_at(15)));
        assert_eq!(link.poll_receive(ms_at(15), Direction::AToB), Some(vec![1]));
    }

    #[test]
    fn asymmetric_directions() {
        let slow = LinkConfig {
            latency: ms(100),
            ..LinkConfig::default()
        };
        let mut link = Link::asymmetric(LinkConfig::default(), slow, 0);
        link.send(Instant::ZERO, Direction::AToB, vec![1]);
        link.send(Instant::ZERO, Direction::AToB.reverse(), vec![2]);
        assert_eq!(
            link.poll_receive(Instant::ZERO, Direction::AToB),
            Some(vec![1])
        );
        assert_eq!(link.poll_timeout(), Some(ms_at(100)));
        assert_eq!(
            link.poll_receive(ms_at(100), Direction::BToA),
            Some(vec![2])
        );
    }

    fn ms_at(n: u64) -> Instant {
        Instant::from_millis(n)
    }
}
