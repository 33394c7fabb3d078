//! Timers: persist, keepalive, user timeout, FIN-WAIT-2.

use super::*;
use crate::tcp::config::Keepalive;

const P: u32 = PEER_ISS + 1;
const L: u32 = ISS + 1;

#[test]
fn zero_window_probes_back_off_until_the_window_opens() {
    let mut conn = established(plain());
    input(&mut conn, at(10), &Seg::new(P, L, ACK).window(0));
    conn.send(b"hello").unwrap();
    expect_nothing(&mut conn, at(10));
    let rto = conn.rto();
    assert_eq!(conn.timer(Timer::Persist), Some(at(10) + rto));
    assert_eq!(conn.timer(Timer::Retransmit), None);
    let mut now = at(10);
    let mut gaps = Vec::new();
    for _ in 0..3 {
        let t = conn.poll_timeout().unwrap();
        gaps.push(t - now);
        now = t;
        conn.handle_timeout(now);
        let probe = output(&mut conn, now).unwrap();
        assert_eq!((probe.seq, probe.payload.as_slice()), (L, &b"h"[..]));
        // The peer still has no room.
        input(&mut conn, now, &Seg::new(P, L, ACK).window(0));
        expect_nothing(&mut conn, now);
    }
    assert_eq!(gaps, [rto, rto * 2, rto * 4]);
    assert_eq!(conn.state(), State::Established);
    // The window opens: everything goes.
    input(&mut conn, now, &Seg::new(P, L, ACK).window(1000));
    let seg = output(&mut conn, now).unwrap();
    assert_eq!((seg.seq, seg.payload.as_slice()), (L, &b"hello"[..]));
    assert_eq!(conn.timer(Timer::Persist), None);
    assert!(conn.timer(Timer::Retransmit).is_some());
}

#[test]
fn a_zero_window_probe_is_answered_with_an_ack() {
    let mut conn = established(Config {
        recv_buffer: 1000,
        ..plain()
    });
    input(&mut conn, at(10), &Seg::new(P, L, ACK).data(&[0; 1000]));
    assert_eq!(output(&mut conn, at(10)).unwrap().window, 0);
    input(&mut conn, at(20), &Seg::new(P + 1000, L, ACK).data(b"x"));
    let ack = output(&mut conn, at(20)).unwrap();
    assert_eq!((ack.ack, ack.window), (P + 1000, 0));
    assert_eq!(conn.readable(), 1000);
}

#[test]
fn keepalive_probes_then_gives_up() {
    let k = Keepalive {
        idle: Duration::from_secs(100),
        interval: Duration::from_secs(10),
        probes: 3,
    };
    let mut conn = established(Config {
        keepalive: Some(k),
        ..plain()
    });
    assert_eq!(conn.timer(Timer::Keepalive), Some(at(10) + k.idle));
    let mut probes = 0;
    while let Some(t) = conn.poll_timeout() {
        conn.handle_timeout(t);
        for seg in drain(&mut conn, t) {
            // An old sequence number with no data makes the peer answer.
            assert_eq!((seg.seq, seg.payload.len()), (L - 1, 0));
            probes += 1;
        }
    }
    assert_eq!(probes, 3);
    assert_eq!(events(&mut conn), [Event::TimedOut, Event::Closed]);
}

#[test]
fn keepalive_answered_keeps_the_connection() {
    let k = Keepalive {
        idle: Duration::from_secs(100),
        interval: Duration::from_secs(10),
        probes: 3,
    };
    let mut conn = established(Config {
        keepalive: Some(k),
        ..plain()
    });
    let t = conn.poll_timeout().unwrap();
    conn.handle_timeout(t);
    assert_eq!(output(&mut conn, t).unwrap().seq, L - 1);
    input(&mut conn, t + ms(20), &Seg::new(P, L, ACK));
    assert_eq!(conn.timer(Timer::Keepalive), Some(t + ms(20) + k.idle));
    assert_eq!(conn.state(), State::Established);
}

#[test]
fn keepalive_is_off_by_default() {
    let conn = established(plain());
    assert_eq!(conn.timer(Timer::Keepalive), None);
    assert_eq!(conn.poll_timeout(), None);
}

#[test]
fn user_timeout_aborts_unacknowledged_data() {
    let mut conn = established(Config {
        user_timeout: Some(Duration::from_secs(5)),
        ..plain()
    });
    conn.send(b"x").unwrap();
    drain(&mut conn, at(10));
    assert_eq!(
        conn.timer(Timer::UserTimeout),
        Some(at(10) + Duration::from_secs(5))
    );
    while let Some(t) = conn.poll_timeout() {
        conn.handle_timeout(t);
        drain(&mut conn, t);
    }
    assert_eq!(events(&mut conn), [Event::TimedOut, Event::Closed]);
}

#[test]
fn fin_wait_2_gives_up_after_its_timeout() {
    let mut conn = established(plain());
    conn.close(at(10)).unwrap();
    drain(&mut conn, at(10));
    input(&mut conn, at(20), &Seg::new(P, L + 1, ACK));
    assert_eq!(conn.state(), State::FinWait2);
    assert_eq!(conn.poll_timeout(), Some(at(20) + Duration::from_secs(60)));
    conn.handle_timeout(at(20) + Duration::from_secs(60));
    assert_eq!(conn.state(), State::Closed);
    assert_eq!(events(&mut conn), [Event::Closed]);
}

#[test]
fn time_wait_replaces_the_fin_wait_2_limit() {
    // The two waits share one deadline: the peer's FIN in FIN-WAIT-2 must
    // swap the 5 s silence limit for the full 2·MSL.
    let mut conn = established(Config {
        fin_wait2_timeout: Some(Duration::from_secs(5)),
        msl: Duration::from_secs(30),
        ..plain()
    });
    conn.close(at(10)).unwrap();
    drain(&mut conn, at(10));
    input(&mut conn, at(20), &Seg::new(P, L + 1, ACK));
    assert_eq!(conn.state(), State::FinWait2);
    assert_eq!(
        conn.timer(Timer::Linger),
        Some(at(20) + Duration::from_secs(5))
    );
    input(&mut conn, at(1020), &Seg::new(P, L + 1, ACK | FIN));
    assert_eq!(conn.state(), State::TimeWait);
    drain(&mut conn, at(1020));
    assert_eq!(
        conn.poll_timeout(),
        Some(at(1020) + Duration::from_secs(60))
    );
    conn.handle_timeout(at(1020) + Duration::from_secs(5));
    assert_eq!(conn.state(), State::TimeWait);
    conn.handle_timeout(at(1020) + Duration::from_secs(60));
    assert_eq!(conn.state(), State::Closed);
}

#[test]
fn spurious_timeouts_are_harmless() {
    let mut conn = established(plain());
    conn.handle_timeout(at(11));
    expect_nothing(&mut conn, at(11));
    conn.send(b"x").unwrap();
    drain(&mut conn, at(12));
    conn.handle_timeout(at(13));
    expect_nothing(&mut conn, at(13));
    assert_eq!(conn.stats().timeouts, 0);
}

#[test]
fn a_fin_into_a_zero_window_is_retransmitted_on_timeout() {
    let mut conn = established(plain());
    input(&mut conn, at(10), &Seg::new(P, L, ACK).window(0));
    conn.close(at(10)).unwrap();
    // A FIN carries no data: it goes out whatever the window says.
    let fin = output(&mut conn, at(10)).unwrap();
    assert_eq!((fin.seq, fin.flags), (L, ACK | FIN));
    // Lost: the retransmission timer (not the persist timer) resends it.
    assert_eq!(conn.timer(Timer::Persist), None);
    let t = conn.poll_timeout().unwrap();
    conn.handle_timeout(t);
    let again = output(&mut conn, t).unwrap();
    assert_eq!((again.seq, again.flags), (L, ACK | FIN));
}

/// Data held back by a window smaller than a segment and half the largest
/// window, with nothing in flight, is not left waiting on a window update
/// that may be lost: the persist timer probes it (RFC 9293 §3.8.6.2.1's
/// override timeout), and the probe byte, ordinary data inside the window,
/// is retransmitted if it is lost. Found by the `tcp_connection` fuzz
/// target.
#[test]
fn a_small_window_with_nothing_in_flight_is_probed() {
    let mut conn = established(plain());
    conn.send(&[1; 3000]).unwrap();
    assert_eq!(drain(&mut conn, at(10)).len(), 3);
    // Everything acknowledged, but the peer's window is down to 500 bytes.
    input(&mut conn, at(20), &Seg::new(P, L + 3000, ACK).window(500));
    conn.send(&[2; 3000]).unwrap();
    expect_nothing(&mut conn, at(20));
    let due = conn.poll_timeout().expect("a timer for the held data");
    assert_eq!(conn.timer(Timer::Persist), Some(due));
    conn.handle_timeout(due);
    let probe = output(&mut conn, due).unwrap();
    assert_eq!(
        (probe.seq, probe.payload.as_slice()),
        (L + 3000, &[2u8][..])
    );
    // The probe is lost: the retransmission timer sends from it again.
    let rto = conn
        .timer(Timer::Retransmit)
        .expect("the probe byte is timed");
    conn.handle_timeout(rto);
    let again = drain(&mut conn, rto);
    assert_eq!(again.first().map(|s| s.seq), Some(L + 3000));
    // The answer opens the window: full segments go again.
    let acked = L + 3000 + again[0].payload.len() as u32;
    input(&mut conn, rto, &Seg::new(P, acked, ACK).window(60000));
    let sent: usize = drain(&mut conn, rto).iter().map(|s| s.payload.len()).sum();
    assert!(sent >= 1000, "{sent} bytes sent after the window opened");
    assert_eq!(conn.timer(Timer::Persist), None);
    assert_eq!(conn.check_invariants(), Ok(()));
}

#[test]
fn count_limits_past_16_bits_act_as_65535() {
    // The connection keeps its retry counts in 16 bits: a limit it could
    // never count to must still end the connection, at 65,535.
    let mut conn = established(Config {
        max_retransmissions: u32::MAX,
        ..plain()
    });
    conn.send(b"x").unwrap();
    drain(&mut conn, at(10));
    let mut resent = 0u32;
    // Bounded, so that a count that never reaches the limit fails the test
    // instead of hanging it.
    for _ in 0..70_000 {
        let Some(t) = conn.poll_timeout() else {
            break;
        };
        conn.handle_timeout(t);
        resent += drain(&mut conn, t).len() as u32;
    }
    assert_eq!(events(&mut conn), [Event::TimedOut, Event::Closed]);
    assert_eq!(resent, 65_535);
    assert_eq!(conn.stats().timeouts, 65_535);
}

#[test]
fn zero_window_probing_outlasts_its_8_bit_count() {
    // Probes go on as long as the peer answers; the count that sets their
    // backoff stops at 255 without disturbing them.
    let mut conn = established(plain());
    input(&mut conn, at(10), &Seg::new(P, L, ACK).window(0));
    conn.send(b"hello").unwrap();
    expect_nothing(&mut conn, at(10));
    let max = plain().max_rto;
    let mut now = at(10);
    for i in 0..300 {
        let t = conn.poll_timeout().unwrap();
        if i >= 20 {
            assert_eq!(t - now, max, "probe {i}");
        }
        now = t;
        conn.handle_timeout(now);
        let probe = output(&mut conn, now).unwrap();
        assert_eq!((probe.seq, probe.payload.len()), (L, 1));
        input(&mut conn, now, &Seg::new(P, L, ACK).window(0));
    }
    assert_eq!(conn.state(), State::Established);
    input(&mut conn, now, &Seg::new(P, L, ACK).window(1000));
    let seg = output(&mut conn, now).unwrap();
    assert_eq!(seg.payload.as_slice(), b"hello");
}

/// A peer that offers no window and then answers nothing, not even the
/// probes: after `max_retransmissions` unanswered probes the connection
/// times out, in ESTABLISHED and, closed by the application with data
/// still queued, in FIN-WAIT-1 (where a long property run found it probing
/// forever).
#[test]
fn unanswered_zero_window_probes_time_out() {
    for close in [false, true] {
        let mut conn = established(Config {
            max_retransmissions: 4,
            ..plain()
        });
        input(&mut conn, at(10), &Seg::new(P, L, ACK).window(0));
        conn.send(b"hello").unwrap();
        if close {
            conn.close(at(10)).unwrap();
            assert_eq!(conn.state(), State::FinWait1);
        }
        drain(&mut conn, at(10));
        let mut probes = 0;
        while let Some(t) = conn.poll_timeout() {
            conn.handle_timeout(t);
            probes += drain(&mut conn, t).len();
            assert!(probes < 100, "probing never ends");
        }
        assert_eq!(probes, 4);
        assert_eq!(events(&mut conn), [Event::TimedOut, Event::Closed]);
        assert_eq!(conn.state(), State::Closed);
    }
}
