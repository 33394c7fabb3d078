//! Data transfer: segmentation, windows, ACK policy, reassembly, SACK
//! blocks, Nagle, PAWS and retransmission timeouts (loss recovery is in
//! `recovery.rs`).

use super::*;

#[test]
fn sends_full_segments_within_the_initial_window() {
    let mut conn = established(plain());
    let data = pattern(20_000);
    assert_eq!(conn.send(&data), Ok(20_000));
    let segs = drain(&mut conn, at(10));
    // Initial window: 10 segments of 1000.
    assert_eq!(segs.len(), 10);
    for (i, seg) in segs.iter().enumerate() {
        assert_eq!(seg.seq, ISS + 1 + 1000 * i as u32);
        assert_eq!(seg.payload, data[1000 * i..1000 * (i + 1)]);
        assert_eq!(seg.ack, PEER_ISS + 1);
    }
    assert_eq!(conn.timer(Timer::Retransmit), Some(at(10) + conn.rto()));
    // Each ACK grows the window by one segment in slow start: two ACKs, four segments.
    input(
        &mut conn,
        at(30),
        &Seg::new(PEER_ISS + 1, ISS + 1 + 2000, ACK),
    );
    assert_eq!(conn.cwnd(), 11_000);
    input(
        &mut conn,
        at(30),
        &Seg::new(PEER_ISS + 1, ISS + 1 + 4000, ACK),
    );
    assert_eq!(drain(&mut conn, at(30)).len(), 6);
    assert_eq!(conn.stats().bytes_acked, 4000);
}

#[test]
fn the_peer_window_limits_sending() {
    let mut conn = established(plain());
    input(
        &mut conn,
        at(10),
        &Seg::new(PEER_ISS + 1, ISS + 1, ACK).window(2500),
    );
    conn.send(&pattern(5000)).unwrap();
    let segs = drain(&mut conn, at(10));
    let lens: Vec<usize> = segs.iter().map(|s| s.payload.len()).collect();
    // Two full segments; the 500 bytes left of the window wait (sender
    // silly window avoidance: less than a segment, data in flight).
    assert_eq!(lens, [1000, 1000]);
    input(
        &mut conn,
        at(20),
        &Seg::new(PEER_ISS + 1, ISS + 1 + 2000, ACK).window(4000),
    );
    let lens: Vec<usize> = drain(&mut conn, at(20))
        .iter()
        .map(|s| s.payload.len())
        .collect();
    assert_eq!(lens, [1000, 1000, 1000]);
}

#[test]
fn nagle_holds_small_segments_while_data_is_in_flight() {
    let mut conn = established(plain());
    conn.send(b"a").unwrap();
    assert_eq!(output(&mut conn, at(10)).unwrap().payload, b"a");
    conn.send(b"b").unwrap();
    conn.send(b"c").unwrap();
    expect_nothing(&mut conn, at(10));
    input(&mut conn, at(20), &Seg::new(PEER_ISS + 1, ISS + 2, ACK));
    let seg = output(&mut conn, at(20)).unwrap();
    assert_eq!(seg.payload, b"bc");
    assert!(seg.flags.contains(PSH));

    let mut conn = established(Config {
        nodelay: true,
        ..plain()
    });
    conn.send(b"a").unwrap();
    conn.send(b"b").unwrap();
    assert_eq!(output(&mut conn, at(10)).unwrap().payload, b"ab");
    conn.send(b"c").unwrap();
    assert_eq!(output(&mut conn, at(10)).unwrap().payload, b"c");
}

#[test]
fn receives_in_order_data() {
    let mut conn = established(plain());
    input(
        &mut conn,
        at(20),
        &Seg::new(PEER_ISS + 1, ISS + 1, ACK).data(b"hello"),
    );
    assert_eq!(events(&mut conn), [Event::Readable]);
    let ack = output(&mut conn, at(20)).unwrap();
    assert_eq!(ack.ack, PEER_ISS + 6);
    input(
        &mut conn,
        at(21),
        &Seg::new(PEER_ISS + 6, ISS + 1, ACK).data(b" world"),
    );
    // Still unread: no second Readable.
    assert_eq!(events(&mut conn), []);
    let mut buf = [0u8; 64];
    assert_eq!(conn.recv(&mut buf), 11);
    assert_eq!(&buf[..11], b"hello world");
    assert_eq!(conn.stats().bytes_received, 11);
}

#[test]
fn delayed_ack_after_the_quick_acks() {
    let mut conn = established(Config {
        delayed_ack: Some(ms(40)),
        ..plain()
    });
    let mut seq = PEER_ISS + 1;
    let mut now = 20;
    // The first 16 segments are acknowledged one by one.
    for _ in 0..16 {
        input(
            &mut conn,
            at(now),
            &Seg::new(seq, ISS + 1, ACK).data(&[0; 1000]),
        );
        seq += 1000;
        assert_eq!(output(&mut conn, at(now)).unwrap().ack, seq);
        now += 1;
        let mut sink = [0u8; 1000];
        conn.recv(&mut sink);
        drain(&mut conn, at(now));
    }
    // Then one segment waits for the timer ...
    input(
        &mut conn,
        at(now),
        &Seg::new(seq, ISS + 1, ACK).data(&[0; 1000]),
    );
    seq += 1000;
    expect_nothing(&mut conn, at(now));
    assert_eq!(conn.poll_timeout(), Some(at(now + 40)));
    conn.handle_timeout(at(now + 40));
    assert_eq!(output(&mut conn, at(now + 40)).unwrap().ack, seq);
    // ... and every second full segment is acknowledged at once.
    now += 50;
    input(
        &mut conn,
        at(now),
        &Seg::new(seq, ISS + 1, ACK).data(&[0; 1000]),
    );
    expect_nothing(&mut conn, at(now));
    input(
        &mut conn,
        at(now),
        &Seg::new(seq + 1000, ISS + 1, ACK).data(&[0; 1000]),
    );
    assert_eq!(output(&mut conn, at(now)).unwrap().ack, seq + 2000);
    assert_eq!(conn.timer(Timer::DelayedAck), None);
}

#[test]
fn out_of_order_data_is_reassembled_and_acked_at_once() {
    let mut conn = established(Config {
        sack: true,
        ..plain()
    });
    // The peer did not offer SACK here, so no blocks: only duplicate ACKs.
    input(
        &mut conn,
        at(20),
        &Seg::new(PEER_ISS + 1 + 10, ISS + 1, ACK).data(b"klmno"),
    );
    assert_eq!(events(&mut conn), []);
    let dup = output(&mut conn, at(20)).unwrap();
    assert_eq!((dup.ack, dup.sack.len()), (PEER_ISS + 1, 0));
    input(
        &mut conn,
        at(21),
        &Seg::new(PEER_ISS + 1, ISS + 1, ACK).data(b"abcdefghij"),
    );
    assert_eq!(output(&mut conn, at(21)).unwrap().ack, PEER_ISS + 16);
    let mut buf = [0u8; 32];
    let n = conn.recv(&mut buf);
    assert_eq!(&buf[..n], b"abcdefghijklmno");
}

#[test]
fn sack_blocks_describe_the_holes() {
    let mut conn = client(Config {
        sack: true,
        ..plain()
    });
    output(&mut conn, at(0)).unwrap();
    let mut synack = Seg::new(PEER_ISS, ISS + 1, SYN | ACK);
    synack.sack_permitted = true;
    input(&mut conn, at(10), &synack);
    drain(&mut conn, at(10));
    let base = PEER_ISS + 1;
    input(
        &mut conn,
        at(20),
        &Seg::new(base + 100, ISS + 1, ACK).data(&[1; 100]),
    );
    input(
        &mut conn,
        at(20),
        &Seg::new(base + 300, ISS + 1, ACK).data(&[1; 100]),
    );
    let segs = drain(&mut conn, at(20));
    let last = segs.last().unwrap();
    assert_eq!(last.ack, base);
    assert_eq!(
        last.sack,
        [(base + 300, base + 400), (base + 100, base + 200)]
    );
    // Filling the first hole leaves one block.
    input(
        &mut conn,
        at(21),
        &Seg::new(base, ISS + 1, ACK).data(&[1; 100]),
    );
    let ack = output(&mut conn, at(21)).unwrap();
    assert_eq!(ack.ack, base + 200);
    assert_eq!(ack.sack, [(base + 300, base + 400)]);
}

#[test]
fn duplicate_and_old_data_is_acknowledged_not_stored() {
    let mut conn = established(plain());
    input(
        &mut conn,
        at(20),
        &Seg::new(PEER_ISS + 1, ISS + 1, ACK).data(b"abc"),
    );
    drain(&mut conn, at(20));
    input(
        &mut conn,
        at(21),
        &Seg::new(PEER_ISS + 1, ISS + 1, ACK).data(b"abc"),
    );
    assert_eq!(output(&mut conn, at(21)).unwrap().ack, PEER_ISS + 4);
    // Overlapping: only the new part counts.
    input(
        &mut conn,
        at(22),
        &Seg::new(PEER_ISS + 2, ISS + 1, ACK).data(b"bcde"),
    );
    assert_eq!(output(&mut conn, at(22)).unwrap().ack, PEER_ISS + 6);
    assert_eq!(conn.readable(), 5);
    // Far outside the window: a duplicate ACK, nothing stored.
    input(
        &mut conn,
        at(23),
        &Seg::new(PEER_ISS + 1_000_000, ISS + 1, ACK).data(b"zz"),
    );
    assert_eq!(output(&mut conn, at(23)).unwrap().ack, PEER_ISS + 6);
    assert_eq!(conn.readable(), 5);
}

#[test]
fn ack_of_unsent_data_is_answered_and_ignored() {
    let mut conn = established(plain());
    conn.send(b"abc").unwrap();
    drain(&mut conn, at(10));
    input(&mut conn, at(20), &Seg::new(PEER_ISS + 1, ISS + 100, ACK));
    assert_eq!(conn.unacknowledged(), 3);
    let ack = output(&mut conn, at(20)).unwrap();
    assert_eq!((ack.seq, ack.ack), (ISS + 4, PEER_ISS + 1));
}

#[test]
fn retransmission_timeout_backs_off_and_collapses_the_window() {
    let mut conn = established(plain());
    conn.send(&pattern(3000)).unwrap();
    assert_eq!(drain(&mut conn, at(10)).len(), 3);
    let rto = conn.rto();
    let first = at(10) + rto;
    assert_eq!(conn.poll_timeout(), Some(first));
    conn.handle_timeout(first);
    let again = drain(&mut conn, first);
    // One segment: the window is down to one MSS.
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].seq, ISS + 1);
    assert_eq!(conn.cwnd(), 1000);
    // CUBIC: ssthresh = β·cwnd = 0.7 · 10 segments.
    assert_eq!(conn.ssthresh(), 7000);
    assert_eq!(conn.rto(), rto * 2);
    assert_eq!(conn.poll_timeout(), Some(first + rto * 2));
    // The ACK of the retransmission: no RTT sample (Karn), more is sent.
    input(
        &mut conn,
        first + ms(10),
        &Seg::new(PEER_ISS + 1, ISS + 1001, ACK),
    );
    assert_eq!(conn.srtt(), Some(ms(10)));
    let next = drain(&mut conn, first + ms(10));
    assert_eq!(
        next.iter().map(|s| s.seq).collect::<Vec<_>>(),
        [ISS + 1001, ISS + 2001]
    );
    assert_eq!(conn.stats().timeouts, 1);
}

#[test]
fn too_many_retransmissions_time_out() {
    let mut conn = established(Config {
        max_retransmissions: 3,
        ..plain()
    });
    conn.send(b"x").unwrap();
    drain(&mut conn, at(10));
    let mut sent = 0;
    while let Some(t) = conn.poll_timeout() {
        conn.handle_timeout(t);
        sent += drain(&mut conn, t).len();
    }
    assert_eq!(sent, 3);
    assert_eq!(events(&mut conn), [Event::TimedOut, Event::Closed]);
}

#[test]
fn send_buffer_full_then_writable() {
    let mut conn = established(Config {
        send_buffer: 4000,
        ..plain()
    });
    assert_eq!(conn.send(&pattern(6000)), Ok(4000));
    assert_eq!(conn.writable(), 0);
    drain(&mut conn, at(10));
    input(&mut conn, at(20), &Seg::new(PEER_ISS + 1, ISS + 1001, ACK));
    assert_eq!(events(&mut conn), [Event::Writable]);
    assert_eq!(conn.writable(), 1000);
}

#[test]
fn window_update_after_the_application_reads() {
    let mut conn = established(Config {
        recv_buffer: 4000,
        ..plain()
    });
    for i in 0..4 {
        input(
            &mut conn,
            at(20),
            &Seg::new(PEER_ISS + 1 + 1000 * i, ISS + 1, ACK).data(&[7; 1000]),
        );
    }
    let acks = drain(&mut conn, at(20));
    assert_eq!(acks.last().unwrap().window, 0);
    // A fifth segment does not fit: dropped, acknowledged.
    input(
        &mut conn,
        at(21),
        &Seg::new(PEER_ISS + 4001, ISS + 1, ACK).data(&[7; 1000]),
    );
    assert_eq!(output(&mut conn, at(21)).unwrap().ack, PEER_ISS + 4001);
    let mut buf = [0u8; 500];
    conn.recv(&mut buf);
    // 500 bytes is below min(MSS, half the buffer): no update yet.
    expect_nothing(&mut conn, at(22));
    let mut buf = [0u8; 3500];
    conn.recv(&mut buf);
    let update = output(&mut conn, at(23)).unwrap();
    assert_eq!((update.ack, update.window), (PEER_ISS + 4001, 4000));
}

#[test]
fn window_restarts_after_idle() {
    let mut conn = established(plain());
    conn.send(&pattern(30_000)).unwrap();
    let mut now = 10;
    // Grow the window well past its initial 10 segments.
    for _ in 0..3 {
        let segs = drain(&mut conn, at(now));
        now += 10;
        let last = segs.last().unwrap();
        input(
            &mut conn,
            at(now),
            &Seg::new(PEER_ISS + 1, last.seq + last.payload.len() as u32, ACK),
        );
    }
    assert!(conn.cwnd() > 10_000);
    drain(&mut conn, at(now));
    input(
        &mut conn,
        at(now + 5),
        &Seg::new(PEER_ISS + 1, ISS + 1 + 30_000, ACK),
    );
    // Ten seconds of silence, then more data: back to the initial window.
    conn.send(&pattern(30_000)).unwrap();
    assert_eq!(drain(&mut conn, at(now + 10_000)).len(), 10);
    assert_eq!(conn.cwnd(), 10_000);
}

/// Established with every option: timestamps (peer clock at 1000), SACK,
/// window scale 2 on the peer's side.
fn established_full() -> (Connection, u32) {
    let mut conn = client(Config {
        recv_buffer: 64 * 1024,
        ..Config::default()
    });
    let syn = output(&mut conn, at(0)).unwrap();
    let (tsval, _) = syn.ts.unwrap();
    let mut synack = Seg::new(PEER_ISS, ISS + 1, SYN | ACK);
    synack.mss = Some(1460);
    synack.ws = Some(2);
    synack.sack_permitted = true;
    synack.ts = Some((1000, tsval));
    input(&mut conn, at(10), &synack);
    drain(&mut conn, at(10));
    events(&mut conn);
    (conn, tsval)
}

#[test]
fn paws_drops_segments_with_old_timestamps() {
    let (mut conn, ours) = established_full();
    let p = PEER_ISS + 1;
    let seg = |ts: u32, data: &[u8]| Seg {
        ts: Some((ts, ours)),
        ..Seg::new(p, ISS + 1, ACK).data(data)
    };
    input(&mut conn, at(20), &seg(1005, b"new"));
    assert_eq!(conn.readable(), 3);
    let ack = output(&mut conn, at(20)).unwrap();
    assert_eq!(ack.ts.map(|(_, ecr)| ecr), Some(1005));
    // Same sequence space, older timestamp: an old duplicate (RFC 7323 §5).
    input(
        &mut conn,
        at(21),
        &Seg {
            ts: Some((900, ours)),
            ..Seg::new(p + 3, ISS + 1, ACK).data(b"old")
        },
    );
    assert_eq!(conn.readable(), 3);
    let dup = output(&mut conn, at(21)).unwrap();
    assert_eq!((dup.ack, dup.ts.map(|(_, ecr)| ecr)), (p + 3, Some(1005)));
    // A newer timestamp is fine.
    input(&mut conn, at(22), &seg(1010, b"").data(b""));
    input(
        &mut conn,
        at(23),
        &Seg {
            ts: Some((1011, ours)),
            ..Seg::new(p + 3, ISS + 1, ACK).data(b"abc")
        },
    );
    assert_eq!(conn.readable(), 6);
}

#[test]
fn at_most_three_sack_blocks_with_timestamps() {
    let (mut conn, ours) = established_full();
    let p = PEER_ISS + 1;
    for i in 1..=5u32 {
        let seg = Seg {
            ts: Some((1000 + i, ours)),
            ..Seg::new(p + 200 * i, ISS + 1, ACK).data(&[1; 100])
        };
        input(&mut conn, at(20), &seg);
    }
    let acks = drain(&mut conn, at(20));
    let last = acks.last().unwrap();
    assert_eq!(last.ack, p);
    assert_eq!(last.sack.len(), 3);
    // Most recent first.
    assert_eq!(last.sack[0], (p + 1000, p + 1100));
    // Our window is scaled by our shift (64 KiB needs 1): the 65,535
    // offered in the SYN, as receiver SWS avoidance keeps the right edge
    // until it can move by a full segment. The peer's window is scaled by
    // its shift of 2.
    assert_eq!(last.window, 65_535 >> 1);
    // (A window update must come from a segment at least as new as the
    // last one that set it: the peer's next sequence number is p + 1100.)
    input(
        &mut conn,
        at(30),
        &Seg {
            ts: Some((1010, ours)),
            ..Seg::new(p + 1100, ISS + 1, ACK).window(1000)
        },
    );
    assert_eq!(conn.peer_window(), 4000);
}

/// Found against Linux: a peer that retransmits old data carries a new ACK
/// on a segment whose sequence number is below SND.WL1, so RFC 9293's
/// update rule skips its window. The window must still be measured from
/// the ACK that announced it, not slide forward with SND.UNA: here the
/// peer's right edge stays at 3000 bytes past our ISN, and nothing may be
/// sent beyond it.
#[test]
fn a_retransmitted_segment_with_a_new_ack_does_not_slide_the_window() {
    let mut conn = established(plain());
    let right_edge = ISS + 1 + 3000;
    for i in 0..2u32 {
        let seg = Seg::new(PEER_ISS + 1 + 1000 * i, ISS + 1, ACK)
            .window(3000)
            .data(&pattern(1000));
        input(&mut conn, at(10), &seg);
    }
    conn.send(&pattern(8000)).unwrap();
    let sent: Vec<Seg> = drain(&mut conn, at(10))
        .into_iter()
        .filter(|s| !s.payload.is_empty())
        .collect();
    assert_eq!(sent.len(), 3);
    // The peer retransmits its first segment, acknowledging 2000 of ours
    // and offering 1000 more: the same right edge.
    let old = Seg::new(PEER_ISS + 1, ISS + 1 + 2000, ACK)
        .window(1000)
        .data(&pattern(1000));
    input(&mut conn, at(20), &old);
    for seg in drain(&mut conn, at(20)) {
        let end = seg.seq.wrapping_add(seg.payload.len() as u32);
        assert!(
            end.wrapping_sub(right_edge) as i32 <= 0,
            "sent {}..{end} past the peer's window edge {right_edge}",
            seg.seq
        );
    }
    // A later, in-order segment opens the window as usual.
    let newer = Seg::new(PEER_ISS + 2001, ISS + 1 + 3000, ACK).window(3000);
    input(&mut conn, at(30), &newer);
    let lens: Vec<usize> = drain(&mut conn, at(30))
        .iter()
        .map(|s| s.payload.len())
        .filter(|&n| n > 0)
        .collect();
    assert_eq!(lens, [1000, 1000, 1000]);
}
