//! Opening: SYN-SENT, SYN-RECEIVED, simultaneous open, option negotiation,
//! SYN and SYN-ACK retries.

use super::*;

#[test]
fn active_open_offers_every_option() {
    let mut conn = client(Config::default());
    assert_eq!(conn.state(), State::SynSent);
    let syn = output(&mut conn, at(0)).unwrap();
    assert_eq!((syn.seq, syn.flags), (ISS, SYN));
    assert_eq!(syn.mss, Some(1460));
    // 256 KiB needs a shift of 3 to advertise in full.
    assert_eq!(syn.ws, Some(3));
    assert!(syn.sack_permitted);
    assert_eq!(syn.ts.map(|(_, ecr)| ecr), Some(0));
    assert_eq!(syn.window, 65535);
    expect_nothing(&mut conn, at(0));
    assert_eq!(conn.poll_timeout(), Some(at(1000)));
}

#[test]
fn syn_ack_completes_the_active_open() {
    let mut conn = established(plain());
    expect_nothing(&mut conn, at(10));
    assert_eq!(conn.send_mss(), 1000);
    assert_eq!(conn.peer_window(), 65535);
    // The SYN went out once, so the handshake gave an RTT sample.
    assert_eq!(conn.srtt(), Some(ms(10)));
    assert_eq!(conn.timer(Timer::Retransmit), None);
}

#[test]
fn passive_open() {
    let mut syn = Seg::new(PEER_ISS, 0, SYN).window(8000);
    syn.mss = Some(1200);
    let config = Arc::new(plain());
    let mut conn = Connection::accept(
        at(0),
        config,
        LOCAL,
        REMOTE,
        SeqNumber::new(ISS),
        &syn.repr(),
    );
    assert_eq!(conn.state(), State::SynReceived);
    assert!(conn.is_passive());
    let synack = output(&mut conn, at(0)).unwrap();
    assert_eq!(
        (synack.seq, synack.ack, synack.flags),
        (ISS, PEER_ISS + 1, SYN | ACK)
    );
    // Only the options the peer offered come back.
    assert_eq!(
        (synack.mss, synack.ws, synack.sack_permitted, synack.ts),
        (Some(1000), None, false, None)
    );
    expect_nothing(&mut conn, at(0));
    input(
        &mut conn,
        at(5),
        &Seg::new(PEER_ISS + 1, ISS + 1, ACK).window(8000),
    );
    assert_eq!(conn.state(), State::Established);
    assert_eq!(events(&mut conn), [Event::Connected]);
    assert_eq!(conn.peer_window(), 8000);
    assert_eq!(conn.srtt(), Some(ms(5)));
}

#[test]
fn syn_received_rejects_a_bad_ack_with_rst() {
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
    input(&mut conn, at(5), &Seg::new(PEER_ISS + 1, ISS + 50, ACK));
    let rst = output(&mut conn, at(5)).unwrap();
    assert_eq!((rst.seq, rst.flags), (ISS + 50, RST));
    assert_eq!(conn.state(), State::SynReceived);
    // A repeated SYN gets the SYN-ACK again.
    input(&mut conn, at(6), &syn);
    let again = output(&mut conn, at(6)).unwrap();
    assert_eq!(again.flags, SYN | ACK);
}

#[test]
fn simultaneous_open() {
    let mut conn = client(plain());
    output(&mut conn, at(0)).unwrap();
    // The peer's SYN crosses ours.
    let mut syn = Seg::new(PEER_ISS, 0, SYN);
    syn.mss = Some(1000);
    input(&mut conn, at(5), &syn);
    assert_eq!(conn.state(), State::SynReceived);
    let synack = output(&mut conn, at(5)).unwrap();
    assert_eq!(
        (synack.seq, synack.ack, synack.flags),
        (ISS, PEER_ISS + 1, SYN | ACK)
    );
    // The peer's SYN-ACK acknowledges our SYN.
    input(&mut conn, at(10), &Seg::new(PEER_ISS, ISS + 1, SYN | ACK));
    assert_eq!(conn.state(), State::Established);
    assert_eq!(events(&mut conn), [Event::Connected]);
}

#[test]
fn syn_sent_answers_a_bad_ack_with_rst_and_honours_a_good_rst() {
    let mut conn = client(plain());
    output(&mut conn, at(0)).unwrap();
    input(&mut conn, at(1), &Seg::new(PEER_ISS, ISS + 7, SYN | ACK));
    let rst = output(&mut conn, at(1)).unwrap();
    assert_eq!((rst.seq, rst.flags), (ISS + 7, RST));
    assert_eq!(conn.state(), State::SynSent);
    // A RST without an ACK is ignored in SYN-SENT.
    input(&mut conn, at(2), &Seg::new(0, 0, RST));
    assert_eq!(conn.state(), State::SynSent);
    // Connection refused.
    input(&mut conn, at(3), &Seg::new(0, ISS + 1, RST | ACK));
    assert_eq!(conn.state(), State::Closed);
    assert_eq!(events(&mut conn), [Event::Reset, Event::Closed]);
    assert!(conn.is_closed());
    assert_eq!(conn.poll_timeout(), None);
}

#[test]
fn syn_retries_back_off_then_time_out() {
    let mut conn = client(plain());
    output(&mut conn, at(0)).unwrap();
    let mut sent = Vec::new();
    while let Some(t) = conn.poll_timeout() {
        conn.handle_timeout(t);
        for seg in drain(&mut conn, t) {
            assert!(seg.syn() && seg.seq == ISS);
            sent.push(t.as_nanos() / 1_000_000_000);
        }
    }
    // Retransmissions at 1, 3, 7, 15, 31, 63 s; give up at 127 s.
    assert_eq!(sent, [1, 3, 7, 15, 31, 63]);
    assert_eq!(events(&mut conn), [Event::TimedOut, Event::Closed]);
    assert_eq!(conn.state(), State::Closed);
}

#[test]
fn retransmitted_syn_means_no_sample_and_three_seconds() {
    let mut conn = client(plain());
    output(&mut conn, at(0)).unwrap();
    conn.handle_timeout(at(1000));
    output(&mut conn, at(1000)).unwrap();
    input(&mut conn, at(1100), &Seg::new(PEER_ISS, ISS + 1, SYN | ACK));
    assert_eq!(conn.state(), State::Established);
    assert_eq!(conn.srtt(), None);
    assert_eq!(conn.rto(), ms(3000));
}

#[test]
fn synack_retries() {
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
    let mut count = 0;
    while let Some(t) = conn.poll_timeout() {
        conn.handle_timeout(t);
        count += drain(&mut conn, t).len();
    }
    assert_eq!(count, 5);
    assert_eq!(events(&mut conn), [Event::TimedOut, Event::Closed]);
}

#[test]
fn options_negotiated_with_a_full_featured_peer() {
    let mut conn = client(Config::default());
    let syn = output(&mut conn, at(0)).unwrap();
    let (tsval, _) = syn.ts.unwrap();
    let mut synack = Seg::new(PEER_ISS, ISS + 1, SYN | ACK);
    synack.mss = Some(1400);
    synack.ws = Some(7);
    synack.sack_permitted = true;
    synack.ts = Some((777, tsval));
    input(&mut conn, at(20), &synack);
    assert_eq!(conn.state(), State::Established);
    // 1400 minus the 12 bytes of timestamps in every segment.
    assert_eq!(conn.send_mss(), 1388);
    // The SYN-ACK's window is not scaled.
    assert_eq!(conn.peer_window(), 65535);
    let ack = output(&mut conn, at(20)).unwrap();
    assert_eq!(ack.ts.map(|(_, ecr)| ecr), Some(777));
    // Data segments' windows are scaled by 7.
    input(
        &mut conn,
        at(30),
        &Seg {
            ts: Some((778, tsval)),
            ..Seg::new(PEER_ISS + 1, ISS + 1, ACK).window(100)
        },
    );
    assert_eq!(conn.peer_window(), 100 << 7);
    // Our window is advertised with our shift of 3.
    assert_eq!(ack.window, ((256 * 1024) >> 3) as u16);
}

#[test]
fn options_off_when_the_peer_does_not_offer_them() {
    let mut conn = client(Config::default());
    output(&mut conn, at(0)).unwrap();
    input(&mut conn, at(20), &Seg::new(PEER_ISS, ISS + 1, SYN | ACK));
    // No MSS option: 536 for IPv4 (RFC 9293 §3.7.1).
    assert_eq!(conn.send_mss(), 536);
    let ack = output(&mut conn, at(20)).unwrap();
    assert_eq!((ack.ts, ack.ws), (None, None));
    // Without scaling our window field is capped at 65535.
    assert_eq!(ack.window, 65535);
}

#[test]
fn close_in_syn_sent_sends_fin_after_the_handshake() {
    let mut conn = client(plain());
    output(&mut conn, at(0)).unwrap();
    conn.send(b"request").unwrap();
    conn.close(at(1)).unwrap();
    assert_eq!(conn.state(), State::SynSent);
    assert_eq!(conn.close(at(1)), Err(CloseError::AlreadyClosed));
    assert_eq!(conn.send(b"more"), Err(SendError::Closed));
    input(&mut conn, at(10), &Seg::new(PEER_ISS, ISS + 1, SYN | ACK));
    assert_eq!(conn.state(), State::FinWait1);
    let seg = output(&mut conn, at(10)).unwrap();
    assert_eq!(
        (seg.payload.as_slice(), seg.flags),
        (&b"request"[..], ACK | PSH | FIN)
    );
}

#[test]
fn abort_in_syn_sent_forgets_the_connection() {
    let mut conn = client(plain());
    output(&mut conn, at(0)).unwrap();
    conn.abort(at(1));
    assert_eq!(conn.state(), State::Closed);
    // The peer never heard of us: no RST.
    expect_nothing(&mut conn, at(1));
    assert_eq!(events(&mut conn), [Event::Closed]);
    assert_eq!(conn.close(at(2)), Err(CloseError::AlreadyClosed));
}

#[test]
fn state_change_events_are_opt_in() {
    let mut conn = client(Config {
        state_change_events: true,
        ..plain()
    });
    output(&mut conn, at(0)).unwrap();
    input(&mut conn, at(10), &Seg::new(PEER_ISS, ISS + 1, SYN | ACK));
    assert_eq!(
        events(&mut conn),
        [
            Event::StateChanged {
                from: State::SynSent,
                to: State::Established
            },
            Event::Connected
        ]
    );
}
