//! Two endpoints over the simulated link: the end-to-end property.

use crate::sim::{Link, LinkConfig, Pair};
use crate::time::Duration;
use alloc::vec;
use alloc::vec::Vec;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Every traced state change must be one of the documented transitions.
fn check_transition(ev: crate::tcp::Event) {
    use crate::tcp::connection::state::TRANSITIONS;
    if let crate::tcp::Event::StateChanged { from, to } = ev {
        assert!(
            TRANSITIONS.iter().any(|&(f, t, _)| (f, t) == (from, to)),
            "{from} -> {to} is not in the transition table"
        );
    }
}

/// The endpoints' configuration for lossy links.
///
/// See `lossy_link_config` in the connection-level pair test: at 20% loss a
/// 60 s RTO can outlast the FIN-WAIT-2 limit and a peer's TIME-WAIT, and the
/// default retry counts run out now and then. A segment and the answer to
/// it both get through about 58% of the time at 20% loss and 5% corruption
/// each way, so every SYN of the default six is lost about once in 400,000
/// runs here, and 16 tries of the last FIN in LAST-ACK fail about once in a
/// million (`a_failed_close_streak_times_out_last_ack`).
fn lossy_config() -> crate::tcp::Config {
    crate::tcp::Config {
        fin_wait2_timeout: None,
        msl: crate::time::Duration::from_secs(3600),
        syn_retries: 20,
        synack_retries: 20,
        max_retransmissions: 40,
        state_change_events: true,
        ..crate::tcp::Config::default()
    }
}

/// Two endpoints move `up` bytes A→B and `down` bytes B→A over `link`,
/// close, and must end with both streams intact and nothing left.
fn transfer(link: LinkConfig, seed: u64, up: usize, down: usize) {
    if let Err((side, ev, _)) = transfer_with(lossy_config(), link, seed, up, down) {
        panic!("{side}: {ev:?}");
    }
}

/// [`transfer`] with `connection` as both ends' configuration; a reset or
/// a timeout ends the run early, returned with the side that saw it.
fn transfer_with(
    connection: crate::tcp::Config,
    link: LinkConfig,
    seed: u64,
    up: usize,
    down: usize,
) -> Result<(), (char, crate::tcp::Event, crate::tcp::State)> {
    use crate::tcp::{ConnId, Endpoint, EndpointConfig, Event, State};
    let config = EndpointConfig {
        connection,
        ..EndpointConfig::default()
    };
    let a = Endpoint::new(config.clone(), [1; 16]).unwrap();
    let b = Endpoint::new(config, [2; 16]).unwrap();
    let mut pair = Pair::new(a, b, Link::new(link, seed));
    let (ca, sb) = (
        "10.0.0.1:4000".parse().unwrap(),
        "10.0.0.2:80".parse().unwrap(),
    );
    pair.b.listen(sb).unwrap();
    let id_a = pair.a.connect(pair.now, ca, sb).unwrap();
    let mut id_b: Option<ConnId> = None;
    let data_up: Vec<u8> = (0..up).map(|i| (i * 7) as u8).collect();
    let data_down: Vec<u8> = (0..down).map(|i| (i * 13) as u8).collect();
    let (mut sent_up, mut sent_down) = (0, 0);
    let (mut got_up, mut got_down) = (Vec::new(), Vec::new());
    let mut closed = [false, false];
    let mut buf = vec![0u8; 4096];
    // The state each end was last seen in, for the error.
    let (mut last_a, mut last_b) = (State::SynSent, State::Listen);
    for _ in 0..2_000_000 {
        last_a = pair.a.state(id_a).unwrap_or(last_a);
        last_b = id_b.and_then(|id| pair.b.state(id)).unwrap_or(last_b);
        // Application of A.
        if sent_up < up {
            sent_up += pair.a.send(id_a, &data_up[sent_up..]).unwrap_or(0);
            if sent_up == up {
                pair.a.close(id_a, pair.now).unwrap();
            }
        } else if up == 0 && pair.a.state(id_a) == Some(crate::tcp::State::Established) {
            pair.a.close(id_a, pair.now).unwrap();
        }
        while let Ok(n) = pair.a.recv(id_a, &mut buf) {
            if n == 0 {
                break;
            }
            got_down.extend_from_slice(&buf[..n]);
        }
        while let Some((_, ev)) = pair.a.poll_event() {
            if matches!(ev, Event::Reset | Event::TimedOut) {
                return Err(('A', ev, last_a));
            }
            check_transition(ev);
            closed[0] |= ev == Event::Closed;
        }
        // Application of B.
        while let Some((id, ev)) = pair.b.poll_event() {
            if matches!(ev, Event::Reset | Event::TimedOut) {
                return Err(('B', ev, last_b));
            }
            check_transition(ev);
            if let Event::Incoming { .. } = ev {
                id_b = Some(id);
            }
            closed[1] |= ev == Event::Closed;
        }
        if let Some(id) = id_b {
            if sent_down < down {
                sent_down += pair.b.send(id, &data_down[sent_down..]).unwrap_or(0);
            }
            if sent_down == down && pair.b.state(id) == Some(crate::tcp::State::CloseWait) {
                pair.b.close(id, pair.now).unwrap();
            }
            while let Ok(n) = pair.b.recv(id, &mut buf) {
                if n == 0 {
                    break;
                }
                got_up.extend_from_slice(&buf[..n]);
            }
        }
        if !pair.step() {
            break;
        }
    }
    // The last step may have queued the final events, a timeout among
    // them (after which nothing is left to step).
    while let Some((_, ev)) = pair.a.poll_event() {
        if matches!(ev, Event::Reset | Event::TimedOut) {
            return Err(('A', ev, last_a));
        }
        check_transition(ev);
        closed[0] |= ev == Event::Closed;
    }
    while let Some((_, ev)) = pair.b.poll_event() {
        if matches!(ev, Event::Reset | Event::TimedOut) {
            return Err(('B', ev, last_b));
        }
        check_transition(ev);
        closed[1] |= ev == Event::Closed;
    }
    assert!(got_up == data_up, "A→B: {} of {} bytes", got_up.len(), up);
    assert!(
        got_down == data_down,
        "B→A: {} of {} bytes",
        got_down.len(),
        down
    );
    assert_eq!(closed, [true, true]);
    assert!(pair.a.is_empty() && pair.b.is_empty());
    assert_eq!((pair.a.poll_timeout(), pair.b.poll_timeout()), (None, None));
    Ok(())
}

#[test]
fn endpoints_over_a_clean_link() {
    let link = LinkConfig {
        latency: ms(10),
        bandwidth: Some(12_500_000),
        queue_limit: 256 * 1024,
        ..LinkConfig::default()
    };
    transfer(link, 1, 1 << 20, 64 * 1024);
}

/// Found by `endpoints_deliver_exactly_once`: a fast retransmit of a short
/// first segment took new bytes past SND.MAX with it without advancing
/// SND.MAX. The peer's ACK for them was then refused as acknowledging data
/// never sent, and the same bytes sent later as new data looked old to the
/// peer: both ends retransmitted until they timed out.
#[test]
fn retransmission_never_carries_data_past_snd_max() {
    let link = LinkConfig {
        latency: ms(3),
        jitter: ms(1),
        bandwidth: Some(10_000_000),
        queue_limit: 128 * 1024,
        loss: 0.147_582_668_605_879_43,
        reorder: 0.042_594_180_406_884_015,
        reorder_delay: ms(4),
        duplicate: 0.077_491_088_828_907_64,
        corrupt: 0.043_083_128_343_116_27,
    };
    transfer(link, 588_992_324_981_190_372, 30_952, 20_193);
}

/// A close that meets a streak of losses: A sent its last byte and FIN, B
/// acknowledged them and sent its own FIN, and from then on none of seven
/// tries of that FIN and A's ACK from TIME-WAIT made it both ways
/// uncorrupted. With six retransmissions B gives up in LAST-ACK, a
/// legitimate end; with the retries of [`lossy_config`] the same link
/// closes cleanly. (`endpoints_deliver_exactly_once` first found such a
/// streak of sixteen, with the default fifteen retransmissions, at 300,000
/// cases.) Any change to how the ends react to loss changes every trace,
/// so the test takes the first seed of this link that shows the streak
/// (about one in 300 does) rather than a fixed one.
#[test]
fn a_failed_close_streak_times_out_last_ack() {
    let link = LinkConfig {
        latency: ms(3),
        jitter: ms(1),
        bandwidth: Some(10_000_000),
        queue_limit: 128 * 1024,
        loss: 0.197_310_070_019_575_23,
        reorder: 0.191_394_878_274_291_86,
        reorder_delay: ms(4),
        duplicate: 0.032_601_638_692_129_69,
        corrupt: 0.046_361_468_297_627_29,
    };
    let (up, down) = (52_061, 11_585);
    let short = crate::tcp::Config {
        max_retransmissions: 6,
        ..lossy_config()
    };
    let streak = Err(('B', crate::tcp::Event::TimedOut, crate::tcp::State::LastAck));
    let seed = (0..10_000)
        .find(|&seed| transfer_with(short.clone(), link.clone(), seed, up, down) == streak)
        .expect("a seed whose close meets a streak of losses");
    transfer(link, seed, up, down);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: crate::tcp::proptest_cases(16), ..Default::default() })]

    #[test]
    fn endpoints_deliver_exactly_once(
        seed: u64,
        loss in 0.0f64..0.2,
        reorder in 0.0f64..0.2,
        duplicate in 0.0f64..0.1,
        corrupt in 0.0f64..0.05,
        up in 0usize..100_000,
        down in 0usize..30_000,
    ) {
        let link = LinkConfig {
            latency: ms(3),
            jitter: ms(1),
            bandwidth: Some(10_000_000),
            queue_limit: 128 * 1024,
            loss,
            reorder,
            reorder_delay: ms(4),
            duplicate,
            corrupt,
        };
        transfer(link, seed, up, down);
    }
}

/// `Pair::step` lets the receiver answer after each packet of a burst that
/// arrives at one instant, so it acknowledges at least every second full
/// segment (RFC 9293 §3.8.6.3) instead of once per burst.
#[test]
fn pair_acks_every_second_segment_of_a_burst() {
    use crate::sim::Direction;
    use crate::tcp::{Endpoint, EndpointConfig, Event};
    let a = Endpoint::new(EndpointConfig::default(), [1; 16]).unwrap();
    let b = Endpoint::new(EndpointConfig::default(), [2; 16]).unwrap();
    let link = LinkConfig {
        latency: ms(10),
        ..LinkConfig::default()
    };
    let mut pair = Pair::new(a, b, Link::new(link, 1));
    let (ca, sb) = (
        "10.0.0.1:4000".parse().unwrap(),
        "10.0.0.2:80".parse().unwrap(),
    );
    pair.b.listen(sb).unwrap();
    let id = pair.a.connect(pair.now, ca, sb).unwrap();
    let mut connected = false;
    while !connected {
        assert!(pair.step());
        while let Some((c, e)) = pair.a.poll_event() {
            connected |= c == id && e == Event::Connected;
        }
    }
    let before = (
        pair.link.stats(Direction::AToB).sent,
        pair.link.stats(Direction::BToA).sent,
    );
    // Ten full segments leave A in one burst (the initial window).
    pair.a.send(id, &[0x42; 14_480]).unwrap();
    let mut buf = vec![0u8; 65536];
    let mut got = 0;
    while got < 14_480 {
        assert!(pair.step());
        while let Some((c, _)) = pair.b.poll_event() {
            while let Ok(n) = pair.b.recv(c, &mut buf) {
                if n == 0 {
                    break;
                }
                got += n;
            }
        }
    }
    let data = pair.link.stats(Direction::AToB).sent - before.0;
    let acks = pair.link.stats(Direction::BToA).sent - before.1;
    assert_eq!(data, 10);
    assert!(acks >= data / 2, "{acks} ACKs for {data} segments");
}
