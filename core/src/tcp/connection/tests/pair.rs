//! Two connections talking over the simulated link: whatever the link
//! does (loss, reordering, duplication, corruption), each byte stream must
//! arrive exactly once and in order, and both ends must close cleanly.

use super::*;
use crate::sim::{Direction, Link, LinkConfig};
use crate::wire::ChecksumMode;
use alloc::vec;
use proptest::prelude::*;

const SERVER_ISS: u32 = 0xffff_f000;

/// A client at `LOCAL` and a server at `REMOTE`, the server created by the
/// first SYN that reaches it, on a virtual clock.
struct Pair {
    link: Link,
    now: Instant,
    server_config: Arc<Config>,
    client: Connection,
    server: Option<Connection>,
    /// What each side still has to write, and what it has read.
    to_send: [Vec<u8>; 2],
    written: [usize; 2],
    received: [Vec<u8>; 2],
    closed: [bool; 2],
    events: [Vec<Event>; 2],
}

impl Pair {
    fn new(
        config: Config,
        link: LinkConfig,
        seed: u64,
        client_data: Vec<u8>,
        server_data: Vec<u8>,
    ) -> Pair {
        let config = Arc::new(config);
        // The client's ISN sits just below the wrap so the test crosses it.
        let client = Connection::connect(
            Instant::ZERO,
            config.clone(),
            LOCAL,
            REMOTE,
            SeqNumber::new(u32::MAX - 100),
        );
        Pair {
            link: Link::new(link, seed),
            now: Instant::ZERO,
            server_config: config,
            client,
            server: None,
            to_send: [client_data, server_data],
            written: [0, 0],
            received: [Vec::new(), Vec::new()],
            closed: [false, false],
            events: [Vec::new(), Vec::new()],
        }
    }

    fn conn(&mut self, side: usize) -> Option<&mut Connection> {
        if side == 0 {
            Some(&mut self.client)
        } else {
            self.server.as_mut()
        }
    }

    /// One round: timers fire, arrivals come in, applications act, and
    /// everything that results goes out (the driving contract's order).
    fn step(&mut self) {
        let now = self.now;
        let mut buf = vec![0u8; 4096];
        for side in 0..2 {
            if let Some(conn) = self.conn(side) {
                conn.handle_timeout(now);
            }
        }
        while let Some(bytes) = self.link.poll_receive(now, Direction::AToB) {
            let Ok(seg) =
                TcpRepr::parse_segment(&bytes, LOCAL.ip(), REMOTE.ip(), ChecksumMode::FULL)
            else {
                continue;
            };
            match &mut self.server {
                Some(server) => server.handle_segment(now, &seg),
                None if seg.flags == TcpFlags::SYN => {
                    let iss = SeqNumber::new(SERVER_ISS);
                    self.server = Some(Connection::accept(
                        now,
                        self.server_config.clone(),
                        REMOTE,
                        LOCAL,
                        iss,
                        &seg,
                    ));
                }
                None => {}
            }
        }
        while let Some(bytes) = self.link.poll_receive(now, Direction::BToA) {
            if let Ok(seg) =
                TcpRepr::parse_segment(&bytes, REMOTE.ip(), LOCAL.ip(), ChecksumMode::FULL)
            {
                self.client.handle_segment(now, &seg);
            }
        }
        for side in 0..2 {
            let dir = if side == 0 {
                Direction::AToB
            } else {
                Direction::BToA
            };
            let (to_send, written) = (core::mem::take(&mut self.to_send[side]), self.written[side]);
            let Some(conn) = self.conn(side) else {
                self.to_send[side] = to_send;
                continue;
            };
            // The application: write what fits, read what is there, close
            // once everything is written.
            let mut wrote = 0;
            if written < to_send.len() && conn.state().can_send() {
                wrote = conn.send(&to_send[written..]).unwrap_or(0);
            }
            let mut read = Vec::new();
            let mut chunk = [0u8; 1500];
            loop {
                let n = conn.recv(&mut chunk);
                if n == 0 {
                    break;
                }
                read.extend_from_slice(&chunk[..n]);
            }
            if written + wrote == to_send.len()
                && matches!(conn.state(), State::Established | State::CloseWait)
            {
                conn.close(now).unwrap();
            }
            let mut out = Vec::new();
            while let Some(n) = conn.poll_transmit(now, &mut buf) {
                out.push(buf[..n].to_vec());
            }
            let mut evs = Vec::new();
            while let Some(ev) = conn.poll_event() {
                evs.push(ev);
            }
            self.to_send[side] = to_send;
            self.written[side] += wrote;
            self.received[side].extend_from_slice(&read);
            for ev in evs {
                if ev == Event::Closed {
                    self.closed[side] = true;
                }
                self.events[side].push(ev);
            }
            for segment in out {
                self.link.send(now, dir, segment);
            }
        }
    }

    /// The next moment anything happens.
    fn next_time(&self) -> Option<Instant> {
        [
            self.client.poll_timeout(),
            self.server.as_ref().and_then(Connection::poll_timeout),
            self.link.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs until both sides are closed or nothing is left to happen.
    fn run(&mut self, limit: Duration) {
        for _ in 0..200_000 {
            self.step();
            // Work the application did may have produced output; only
            // jump the clock when a round changed nothing.
            if self.closed == [true, true] {
                return;
            }
            match self.next_time() {
                Some(t) if t > self.now => self.now = t,
                Some(_) => {}
                None => {
                    // Nothing armed: one more round lets the application act.
                    self.step();
                    if self.next_time().is_none() {
                        return;
                    }
                }
            }
            assert!(
                self.now < Instant::ZERO + limit,
                "still running at {:?}",
                self.now
            );
        }
        panic!("too many rounds");
    }
}

fn pattern(n: usize, salt: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(salt))
        .collect()
}

fn check(pair: &Pair) {
    assert_eq!(
        pair.received[1].len(),
        pair.to_send[0].len(),
        "client → server length"
    );
    assert!(
        pair.received[1] == pair.to_send[0],
        "client → server bytes differ"
    );
    assert_eq!(
        pair.received[0].len(),
        pair.to_send[1].len(),
        "server → client length"
    );
    assert!(
        pair.received[0] == pair.to_send[1],
        "server → client bytes differ"
    );
    assert_eq!(pair.closed, [true, true]);
    for side in 0..2 {
        let evs = &pair.events[side];
        assert_eq!(evs.iter().filter(|e| **e == Event::Closed).count(), 1);
        assert_eq!(evs.last(), Some(&Event::Closed));
        assert!(
            !evs.contains(&Event::Reset) && !evs.contains(&Event::TimedOut),
            "{evs:?}"
        );
    }
    assert_eq!(pair.client.poll_timeout(), None);
    assert_eq!(pair.server.as_ref().unwrap().poll_timeout(), None);
}

#[test]
fn clean_link_bulk_both_ways() {
    let link = LinkConfig {
        latency: ms(10),
        bandwidth: Some(10_000_000),
        queue_limit: 1 << 20,
        ..LinkConfig::default()
    };
    let mut pair = Pair::new(
        Config::default(),
        link,
        1,
        pattern(300_000, 1),
        pattern(100_000, 2),
    );
    pair.run(Duration::from_secs(600));
    check(&pair);
    let stats = pair.client.stats();
    assert_eq!(stats.timeouts, 0);
    assert_eq!(stats.retransmits, 0);
}

#[test]
fn lossy_link_with_newreno_and_no_options() {
    let config = Config {
        congestion: crate::tcp::CongestionAlgorithm::NewReno,
        ..plain()
    };
    let link = LinkConfig {
        latency: ms(20),
        loss: 0.05,
        ..LinkConfig::default()
    };
    let mut pair = Pair::new(config, link, 7, pattern(200_000, 3), pattern(5_000, 4));
    pair.run(Duration::from_secs(3600));
    check(&pair);
    assert!(pair.client.stats().retransmits > 0);
}

/// A connection that loses nothing never allocates its loss state: the
/// clean path costs no heap beyond the buffers, with either algorithm and
/// with SACK and timestamps on.
#[test]
fn a_clean_transfer_never_allocates_the_loss_state() {
    for congestion in [
        crate::tcp::CongestionAlgorithm::Cubic,
        crate::tcp::CongestionAlgorithm::NewReno,
    ] {
        let link = LinkConfig {
            latency: ms(10),
            bandwidth: Some(10_000_000),
            queue_limit: 1 << 20,
            ..LinkConfig::default()
        };
        let config = Config {
            congestion,
            ..Config::default()
        };
        let mut pair = Pair::new(config, link, 1, pattern(500_000, 1), pattern(200_000, 2));
        pair.run(Duration::from_secs(600));
        check(&pair);
        let server = pair.server.as_ref().unwrap();
        for conn in [&pair.client, server] {
            assert!(!conn.loss.is_allocated(), "{:?}", conn.stats());
            assert!(conn.stats().bytes_acked > 0);
            assert_eq!(conn.stats().retransmits, 0);
        }
    }
}

/// A lossy link makes the loss state, and with it the counters and the
/// recovery they count keep working.
#[test]
fn a_loss_allocates_the_loss_state_and_recovery_still_works() {
    for options in [false, true] {
        let link = LinkConfig {
            latency: ms(20),
            loss: 0.05,
            ..LinkConfig::default()
        };
        let config = lossy_link_config(options);
        let mut pair = Pair::new(config, link, 11, pattern(300_000, 5), pattern(3_000, 6));
        // Long enough for the long TIME-WAIT of this configuration.
        pair.run(Duration::from_secs(6 * 3600));
        check(&pair);
        let stats = pair.client.stats();
        assert!(pair.client.loss.is_allocated());
        assert!(stats.retransmits > 0, "{stats:?}");
        assert!(stats.bytes_retransmitted > 0, "{stats:?}");
        assert!(stats.fast_retransmits + stats.timeouts > 0, "{stats:?}");
        assert!(stats.dup_acks > 0, "{stats:?}");
        // The window was cut at least once: `ssthresh` left its initial
        // unbounded value.
        assert!(stats.ssthresh < usize::MAX, "{stats:?}");
    }
}

/// The configuration for links with up to 20% loss.
///
/// At such loss the RTO can back off to its 60 s maximum, and then a single
/// lost retransmission outlasts a peer's timers: the FIN-WAIT-2 limit of a
/// peer that closed first, and the 2·MSL of a peer in TIME-WAIT, after which
/// nobody acknowledges a FIN retransmitted from CLOSING or LAST-ACK. Both are
/// legitimate ends (RFC 9293 §3.6.1), but not the property under test, so
/// both waits are made long. Likewise every one of the default seven SYNs
/// (or six SYN-ACKs) is lost now and then over enough runs (at 21% loss
/// and corruption, about once in 50,000 for the SYNs), which ends the
/// connection in its handshake; the handshake is given more tries. The
/// same holds for the sixteen tries of any segment once established (the
/// endpoint-level property found a FIN in LAST-ACK that never got through
/// with its ACK), so data gets more retransmissions too.
fn lossy_link_config(options: bool) -> Config {
    let base = if options { Config::default() } else { plain() };
    Config {
        fin_wait2_timeout: None,
        msl: Duration::from_secs(3600),
        syn_retries: 20,
        synack_retries: 20,
        max_retransmissions: 40,
        ..base
    }
}

/// A case the property found with the default 30 s MSL: the server's
/// TIME-WAIT ended while the client, in CLOSING with its RTO backed off,
/// was still retransmitting its FIN, and the client timed out. With the
/// long MSL of [`lossy_link_config`] the same link closes cleanly. Any
/// change to how the ends react to loss changes every trace, so the test
/// takes the first seed of this link that shows the case (about one in
/// 1,500 does) rather than a fixed one.
#[test]
fn closing_outlasts_time_wait_only_with_a_long_msl() {
    let link = LinkConfig {
        latency: ms(5),
        jitter: ms(2),
        bandwidth: Some(5_000_000),
        queue_limit: 64 * 1024,
        loss: 0.16269147788467483,
        reorder: 0.08428722017229266,
        reorder_delay: ms(7),
        duplicate: 0.0014870971887041295,
        corrupt: 0.010704625747330635,
    };
    let run = |config: Config, seed: u64| {
        let (up, down) = (pattern(20193, 5), pattern(12167, 6));
        let mut pair = Pair::new(config, link.clone(), seed, up, down);
        pair.run(Duration::from_secs(6 * 3600));
        pair
    };
    let short = Config {
        fin_wait2_timeout: None,
        state_change_events: true,
        ..Config::default()
    };
    let changed = |from, to| Event::StateChanged { from, to };
    // The client times out in CLOSING after the server's TIME-WAIT ended.
    let client = [
        changed(State::FinWait1, State::Closing),
        Event::TimedOut,
        changed(State::Closing, State::Closed),
    ];
    let server = changed(State::TimeWait, State::Closed);
    let seed = (0..20_000)
        .find(|&seed| {
            let events = &run(short.clone(), seed).events;
            events[0].windows(3).any(|w| w == client) && events[1].contains(&server)
        })
        .expect("a seed where the client times out in CLOSING");
    check(&run(lossy_link_config(true), seed));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::tcp::proptest_cases(24), ..ProptestConfig::default() })]

    #[test]
    fn exactly_once_in_order_whatever_the_link(
        seed: u64,
        loss in 0.0f64..0.2,
        reorder in 0.0f64..0.2,
        duplicate in 0.0f64..0.1,
        corrupt in 0.0f64..0.05,
        options in any::<bool>(),
        up in 0usize..60_000,
        down in 0usize..20_000,
    ) {
        let config = lossy_link_config(options);
        let link = LinkConfig {
            latency: ms(5),
            jitter: ms(2),
            bandwidth: Some(5_000_000),
            queue_limit: 64 * 1024,
            loss,
            reorder,
            reorder_delay: ms(7),
            duplicate,
            corrupt,
        };
        let mut pair = Pair::new(config, link, seed, pattern(up, 5), pattern(down, 6));
        pair.run(Duration::from_secs(6 * 3600));
        check(&pair);
    }
}

/// A case the property found with the default SYN retries: every one of
/// the client's seven SYNs was lost or corrupted, so the handshake timed
/// out before the server ever heard of the connection, a legitimate end.
/// With the retries of [`lossy_link_config`] the same link connects and
/// delivers.
#[test]
fn every_syn_lost_times_out_the_handshake() {
    let link = LinkConfig {
        latency: ms(5),
        jitter: ms(2),
        bandwidth: Some(5_000_000),
        queue_limit: 64 * 1024,
        loss: 0.1592606768604129,
        reorder: 0.19716781614149334,
        reorder_delay: ms(7),
        duplicate: 0.0464865435777941,
        corrupt: 0.04968536038058242,
    };
    let seed = 3507851597933467758;
    let run = |config: Config| {
        let mut pair = Pair::new(config, link.clone(), seed, pattern(0, 5), pattern(0, 6));
        pair.run(Duration::from_secs(6 * 3600));
        pair
    };
    let short = run(Config {
        syn_retries: 6,
        ..lossy_link_config(false)
    });
    assert_eq!(short.events[0], [Event::TimedOut, Event::Closed]);
    assert!(short.server.is_none(), "no SYN reached the server");
    check(&run(lossy_link_config(false)));
}
