//! Closing: FIN in every state, half-close, simultaneous close, RST.

use super::*;

/// The peer's next sequence number after the handshake.
const P: u32 = PEER_ISS + 1;
/// Ours.
const L: u32 = ISS + 1;

#[test]
fn active_close_through_fin_wait_and_time_wait() {
    let mut conn = established(plain());
    conn.send(b"bye").unwrap();
    conn.close(at(10)).unwrap();
    assert_eq!(conn.state(), State::FinWait1);
    assert_eq!(conn.send(b"more"), Err(SendError::Closed));
    // The FIN rides on the last data segment.
    let seg = output(&mut conn, at(10)).unwrap();
    assert_eq!(
        (seg.seq, seg.payload.as_slice(), seg.flags),
        (L, &b"bye"[..], ACK | PSH | FIN)
    );
    expect_nothing(&mut conn, at(10));
    input(&mut conn, at(20), &Seg::new(P, L + 4, ACK));
    assert_eq!(conn.state(), State::FinWait2);
    assert_eq!(conn.timer(Timer::Retransmit), None);
    // Half-close: the peer can still send.
    input(&mut conn, at(30), &Seg::new(P, L + 4, ACK).data(b"late"));
    assert_eq!(output(&mut conn, at(30)).unwrap().ack, P + 4);
    input(&mut conn, at(40), &Seg::new(P + 4, L + 4, ACK | FIN));
    assert_eq!(conn.state(), State::TimeWait);
    let ack = output(&mut conn, at(40)).unwrap();
    assert_eq!((ack.seq, ack.ack, ack.flags), (L + 4, P + 5, ACK));
    assert_eq!(events(&mut conn), [Event::Readable, Event::PeerFinished]);
    // 2·MSL = 60 s by default.
    assert_eq!(conn.poll_timeout(), Some(at(40) + Duration::from_secs(60)));
    conn.handle_timeout(at(40) + Duration::from_secs(60));
    assert_eq!(conn.state(), State::Closed);
    assert_eq!(events(&mut conn), [Event::Closed]);
    let mut buf = [0u8; 8];
    assert_eq!(conn.recv(&mut buf), 4);
    assert!(conn.is_read_finished());
}

#[test]
fn passive_close_through_close_wait_and_last_ack() {
    let mut conn = established(plain());
    input(&mut conn, at(20), &Seg::new(P, L, ACK | FIN));
    assert_eq!(conn.state(), State::CloseWait);
    assert_eq!(events(&mut conn), [Event::PeerFinished]);
    assert_eq!(output(&mut conn, at(20)).unwrap().ack, P + 1);
    assert!(conn.is_read_finished());
    // We may still send.
    conn.send(b"reply").unwrap();
    assert_eq!(output(&mut conn, at(21)).unwrap().payload, b"reply");
    conn.close(at(22)).unwrap();
    assert_eq!(conn.state(), State::LastAck);
    let fin = output(&mut conn, at(22)).unwrap();
    assert_eq!((fin.seq, fin.flags), (L + 5, ACK | FIN));
    input(&mut conn, at(30), &Seg::new(P + 1, L + 6, ACK));
    assert_eq!(conn.state(), State::Closed);
    assert_eq!(events(&mut conn), [Event::Closed]);
    assert!(conn.is_closed());
}

/// `plain()` with the delayed-ACK timer on, at 40 ms.
fn delaying() -> Config {
    Config {
        delayed_ack: Some(ms(40)),
        ..plain()
    }
}

/// An established connection that has closed and sent its FIN, at 10 ms.
fn our_fin_sent(config: Config) -> Connection {
    let mut conn = established(config);
    conn.close(at(10)).unwrap();
    output(&mut conn, at(10)).unwrap();
    conn
}

#[test]
fn a_fin_in_established_is_acknowledged_on_our_own_fin() {
    let mut conn = established(delaying());
    input(&mut conn, at(20), &Seg::new(P, L, ACK | FIN));
    assert_eq!(conn.state(), State::CloseWait);
    // The ACK waits for the application's answer ...
    expect_nothing(&mut conn, at(20));
    assert_eq!(conn.poll_timeout(), Some(at(60)));
    // ... which closes: one segment carries our FIN and the ACK of theirs.
    conn.close(at(25)).unwrap();
    let fin = output(&mut conn, at(25)).unwrap();
    assert_eq!((fin.seq, fin.ack, fin.flags), (L, P + 1, ACK | FIN));
    expect_nothing(&mut conn, at(25));
    assert_eq!(conn.timer(Timer::DelayedAck), None);
    input(&mut conn, at(30), &Seg::new(P + 1, L + 1, ACK));
    assert_eq!(conn.state(), State::Closed);
}

#[test]
fn a_fin_left_unanswered_is_acknowledged_by_the_delayed_ack_timer() {
    let mut conn = established(delaying());
    input(&mut conn, at(20), &Seg::new(P, L, ACK | FIN));
    assert_eq!(events(&mut conn), [Event::PeerFinished]);
    expect_nothing(&mut conn, at(20));
    conn.handle_timeout(at(60));
    let ack = output(&mut conn, at(60)).unwrap();
    assert_eq!((ack.seq, ack.ack, ack.flags), (L, P + 1, ACK));
    // A reply sent before the timer carries the ACK instead.
    let mut conn = established(delaying());
    input(&mut conn, at(20), &Seg::new(P, L, ACK | FIN));
    conn.send(b"reply").unwrap();
    let seg = output(&mut conn, at(21)).unwrap();
    assert_eq!((seg.ack, seg.payload.as_slice()), (P + 1, &b"reply"[..]));
    assert_eq!(conn.timer(Timer::DelayedAck), None);
}

#[test]
fn a_fin_after_our_own_is_acknowledged_at_once() {
    // FIN-WAIT-2 → TIME-WAIT: nothing of ours is left to carry the ACK.
    let mut conn = our_fin_sent(delaying());
    input(&mut conn, at(15), &Seg::new(P, L + 1, ACK));
    assert_eq!(conn.state(), State::FinWait2);
    input(&mut conn, at(20), &Seg::new(P, L + 1, ACK | FIN));
    assert_eq!(conn.state(), State::TimeWait);
    assert_eq!(output(&mut conn, at(20)).unwrap().ack, P + 1);
    // FIN-WAIT-1 → CLOSING, the FINs crossing.
    let mut conn = our_fin_sent(delaying());
    input(&mut conn, at(15), &Seg::new(P, L, ACK | FIN));
    assert_eq!(conn.state(), State::Closing);
    assert_eq!(output(&mut conn, at(15)).unwrap().ack, P + 1);
}

#[test]
fn simultaneous_close_through_closing() {
    let mut conn = established(plain());
    conn.close(at(10)).unwrap();
    let fin = output(&mut conn, at(10)).unwrap();
    assert_eq!((fin.seq, fin.flags), (L, ACK | FIN));
    // The peer's FIN crosses ours and does not acknowledge it.
    input(&mut conn, at(15), &Seg::new(P, L, ACK | FIN));
    assert_eq!(conn.state(), State::Closing);
    assert_eq!(output(&mut conn, at(15)).unwrap().ack, P + 1);
    input(&mut conn, at(20), &Seg::new(P + 1, L + 1, ACK));
    assert_eq!(conn.state(), State::TimeWait);
}

#[test]
fn fin_that_acknowledges_our_fin_goes_straight_to_time_wait() {
    let mut conn = our_fin_sent(plain());
    input(&mut conn, at(15), &Seg::new(P, L + 1, ACK | FIN));
    assert_eq!(conn.state(), State::TimeWait);
}

/// With delayed ACKs on too: a FIN that completes held data is
/// acknowledged at once, not on the delayed-ACK timer.
#[test]
fn out_of_order_fin_waits_for_the_data_before_it() {
    for config in [plain(), delaying()] {
        out_of_order_fin_with(config);
    }
}

fn out_of_order_fin_with(config: Config) {
    let mut conn = established(config);
    input(
        &mut conn,
        at(15),
        &Seg::new(P + 3, L, ACK | FIN).data(b"def"),
    );
    assert_eq!(conn.state(), State::Established);
    assert_eq!(output(&mut conn, at(15)).unwrap().ack, P);
    input(&mut conn, at(16), &Seg::new(P, L, ACK).data(b"abc"));
    assert_eq!(conn.state(), State::CloseWait);
    assert_eq!(output(&mut conn, at(16)).unwrap().ack, P + 7);
    assert_eq!(events(&mut conn), [Event::Readable, Event::PeerFinished]);
}

#[test]
fn time_wait_acknowledges_a_retransmitted_fin_and_restarts() {
    let mut conn = our_fin_sent(plain());
    input(&mut conn, at(15), &Seg::new(P, L + 1, ACK | FIN));
    drain(&mut conn, at(15));
    // Our ACK was lost; the FIN comes again 30 s later.
    let later = at(15) + Duration::from_secs(30);
    input(&mut conn, later, &Seg::new(P, L + 1, ACK | FIN));
    let ack = output(&mut conn, later).unwrap();
    assert_eq!((ack.seq, ack.ack), (L + 1, P + 1));
    assert_eq!(conn.poll_timeout(), Some(later + Duration::from_secs(60)));
}

#[test]
fn fin_retransmitted_on_timeout() {
    let mut conn = our_fin_sent(plain());
    let t = conn.poll_timeout().unwrap();
    conn.handle_timeout(t);
    let again = output(&mut conn, t).unwrap();
    assert_eq!((again.seq, again.flags), (L, ACK | FIN));
}

#[test]
fn close_in_syn_received_sends_fin_after_the_handshake() {
    let syn = Seg::new(PEER_ISS, 0, SYN);
    let mut conn = Connection::accept(
        at(0),
        Arc::new(plain()),
        LOCAL,
        REMOTE,
        SeqNumber::new(ISS),
        &syn.repr(),
    );
    output(&mut conn, at(0)).unwrap();
    conn.close(at(1)).unwrap();
    assert_eq!(conn.state(), State::SynReceived);
    input(&mut conn, at(5), &Seg::new(P, L, ACK));
    assert_eq!(conn.state(), State::FinWait1);
    let fin = output(&mut conn, at(5)).unwrap();
    assert_eq!((fin.seq, fin.flags), (L, ACK | FIN));
}

#[test]
fn reset_in_each_synchronized_state() {
    type Setup = fn(&mut Connection);
    let setups: [(&str, Setup); 4] = [
        ("ESTABLISHED", |_| {}),
        ("FIN-WAIT-1", |c| {
            c.close(at(10)).unwrap();
            drain(c, at(10));
        }),
        ("CLOSE-WAIT", |c| {
            input(c, at(10), &Seg::new(P, L, ACK | FIN));
            drain(c, at(10));
        }),
        ("FIN-WAIT-2", |c| {
            c.close(at(10)).unwrap();
            drain(c, at(10));
            input(c, at(11), &Seg::new(P, L + 1, ACK));
        }),
    ];
    for (name, setup) in setups {
        let mut conn = established(plain());
        setup(&mut conn);
        assert_eq!(conn.state().name(), name);
        events(&mut conn);
        let rcv_nxt = if name == "CLOSE-WAIT" { P + 1 } else { P };
        input(&mut conn, at(20), &Seg::new(rcv_nxt, 0, RST));
        assert_eq!(conn.state(), State::Closed, "{name}");
        assert_eq!(events(&mut conn), [Event::Reset, Event::Closed], "{name}");
        assert_eq!(conn.poll_timeout(), None);
    }
}

#[test]
fn reset_in_last_ack_and_closing_just_closes() {
    let mut conn = established(plain());
    input(&mut conn, at(10), &Seg::new(P, L, ACK | FIN));
    conn.close(at(11)).unwrap();
    drain(&mut conn, at(11));
    events(&mut conn);
    input(&mut conn, at(20), &Seg::new(P + 1, 0, RST));
    assert_eq!(events(&mut conn), [Event::Closed]);
}

#[test]
fn rst_in_window_but_not_exact_gets_a_challenge_ack() {
    let mut conn = established(plain());
    input(&mut conn, at(20), &Seg::new(P + 100, 0, RST));
    assert_eq!(conn.state(), State::Established);
    let challenge = output(&mut conn, at(20)).unwrap();
    assert_eq!((challenge.seq, challenge.ack, challenge.flags), (L, P, ACK));
    // Outside the window: silently dropped.
    input(&mut conn, at(21), &Seg::new(P + 1_000_000, 0, RST));
    expect_nothing(&mut conn, at(21));
    assert_eq!(conn.state(), State::Established);
}

#[test]
fn syn_in_established_gets_a_challenge_ack() {
    let mut conn = established(plain());
    input(&mut conn, at(20), &Seg::new(P + 10, 0, SYN));
    assert_eq!(conn.state(), State::Established);
    let challenge = output(&mut conn, at(20)).unwrap();
    assert_eq!((challenge.ack, challenge.flags), (P, ACK));
}

#[test]
fn abort_sends_rst() {
    let mut conn = established(plain());
    conn.send(b"unsent").unwrap();
    conn.abort(at(20));
    assert_eq!(conn.state(), State::Closed);
    assert!(!conn.is_closed());
    let rst = output(&mut conn, at(20)).unwrap();
    assert_eq!((rst.seq, rst.flags), (L, RST));
    expect_nothing(&mut conn, at(20));
    assert!(conn.is_closed());
    assert_eq!(events(&mut conn), [Event::Closed]);
    // Segments after the end are ignored.
    input(&mut conn, at(21), &Seg::new(P, L, ACK).data(b"x"));
    expect_nothing(&mut conn, at(21));
}

#[test]
fn challenge_acks_are_rate_limited() {
    let mut conn = established(Config {
        challenge_ack_limit: 2,
        ..plain()
    });
    for _ in 0..5 {
        input(&mut conn, at(20), &Seg::new(P + 100, 0, RST));
    }
    // The first two RSTs use up this second's budget; their challenges
    // coalesce into one pending ACK, and the next five get nothing.
    let mut answered = 0;
    for i in 0..5 {
        input(&mut conn, at(20 + i), &Seg::new(P + 100, 0, RST));
        answered += drain(&mut conn, at(20 + i)).len();
    }
    assert_eq!(answered, 1);
    // A second later the budget is back.
    input(&mut conn, at(1100), &Seg::new(P + 10, 0, SYN));
    assert_eq!(drain(&mut conn, at(1100)).len(), 1);
    assert_eq!(conn.state(), State::Established);
}
