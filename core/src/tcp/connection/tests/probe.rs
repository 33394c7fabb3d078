//! Tail loss probes and early retransmit: losses at the end of a burst,
//! with too few segments behind them for three duplicate ACKs.

use super::recovery::{ack_ts, established_sack, established_sack_ts};
use super::*;

/// Payload of a full segment with the timestamp option.
const SEG: u32 = 988;

/// The probe timeout the connection should use with `segments` out.
fn expected_pto(conn: &Connection, segments: u32) -> Duration {
    let srtt = conn.srtt().unwrap();
    let mut pto = srtt * 2;
    if segments == 1 {
        pto = pto.max(srtt + srtt / 2 + ms(200));
    }
    pto.max(ms(10)).min(conn.rto())
}

/// Sends three segments at 100 ms and has the peer acknowledge the first
/// two at 110 ms; returns the segments sent.
fn last_of_three_lost(conn: &mut Connection) -> Vec<Seg> {
    conn.send(&pattern(3 * SEG as usize)).unwrap();
    let sent = drain(conn, at(100));
    assert_eq!(sent.len(), 3);
    let tsval = sent[1].ts.unwrap().0;
    input(conn, at(110), &ack_ts(ISS + 1 + 2 * SEG, tsval));
    sent
}

#[test]
fn a_lost_last_segment_is_probed_before_the_rto_and_repaired() {
    let mut conn = established_sack_ts();
    let sent = last_of_three_lost(&mut conn);
    let pto = expected_pto(&conn, 1);
    let fire = conn.timer(Timer::Retransmit).unwrap();
    assert_eq!(fire, at(110) + pto);
    conn.handle_timeout(at(110) + (pto - ms(1)));
    expect_nothing(&mut conn, at(110) + (pto - ms(1)));
    conn.handle_timeout(fire);
    let probe = output(&mut conn, fire).unwrap();
    assert_eq!(
        (probe.seq, probe.payload.len()),
        (sent[2].seq, SEG as usize)
    );
    expect_nothing(&mut conn, fire);
    // The RTO runs from the probe.
    assert_eq!(conn.timer(Timer::Retransmit), Some(fire + conn.rto()));
    let stats = conn.stats();
    assert_eq!((stats.tail_loss_probes, stats.timeouts), (1, 0));
    // The ACK echoes the probe: the original was lost, and the window is
    // cut as after a fast recovery.
    let (cwnd, ssthresh) = (conn.cwnd(), conn.ssthresh());
    assert_eq!(ssthresh, usize::MAX);
    input(
        &mut conn,
        fire + ms(10),
        &ack_ts(ISS + 1 + 3 * SEG, probe.ts.unwrap().0),
    );
    assert_eq!(conn.unacknowledged(), 0);
    assert_eq!(conn.stats().tail_loss_recoveries, 1);
    assert!(conn.ssthresh() < ssthresh);
    assert!(conn.cwnd() < cwnd);
    assert_eq!(conn.timer(Timer::Retransmit), None);
}

#[test]
fn a_probe_the_peer_did_not_need_leaves_the_window() {
    let mut conn = established_sack_ts();
    let sent = last_of_three_lost(&mut conn);
    let fire = conn.timer(Timer::Retransmit).unwrap();
    conn.handle_timeout(fire);
    output(&mut conn, fire).unwrap();
    let cwnd = conn.cwnd();
    // The original was only late: the ACK echoes it, not the probe.
    input(
        &mut conn,
        fire + ms(10),
        &ack_ts(ISS + 1 + 3 * SEG, sent[2].ts.unwrap().0),
    );
    let stats = conn.stats();
    assert_eq!((stats.tail_loss_probes, stats.tail_loss_recoveries), (1, 0));
    assert_eq!(conn.ssthresh(), usize::MAX);
    assert!(conn.cwnd() >= cwnd);
}

/// Without timestamps the ACK for the probe cannot say which copy the peer
/// acknowledged: a D-SACK for it says the probe was a duplicate, an ACK
/// for later data without one says it was needed.
#[test]
fn without_timestamps_a_d_sack_or_later_data_decides() {
    for dsack in [true, false] {
        let mut conn = established_sack();
        const L: u32 = ISS + 1;
        conn.send(&pattern(3000)).unwrap();
        assert_eq!(drain(&mut conn, at(100)).len(), 3);
        // The first arrives; the other two are outstanding.
        input(&mut conn, at(110), &Seg::new(PEER_ISS + 1, L + 1000, ACK));
        let fire = conn.timer(Timer::Retransmit).unwrap();
        assert!(fire < at(110) + conn.rto());
        conn.handle_timeout(fire);
        assert_eq!(output(&mut conn, fire).unwrap().seq, L + 2000);
        // The ACK covering the probe settles nothing yet.
        input(
            &mut conn,
            fire + ms(10),
            &Seg::new(PEER_ISS + 1, L + 3000, ACK),
        );
        assert_eq!(conn.ssthresh(), usize::MAX);
        // More data, and its ACK, with or without a D-SACK for the probe.
        conn.send(&pattern(1000)).unwrap();
        drain(&mut conn, fire + ms(11));
        let sack = if dsack {
            alloc::vec![(L + 2000, L + 3000)]
        } else {
            alloc::vec![]
        };
        let later = Seg {
            sack,
            ..Seg::new(PEER_ISS + 1, L + 4000, ACK)
        };
        input(&mut conn, fire + ms(20), &later);
        let repaired = conn.stats().tail_loss_recoveries == 1;
        assert_eq!(repaired, !dsack);
        assert_eq!(conn.ssthresh() < usize::MAX, !dsack);
    }
}

#[test]
fn a_probe_sends_new_data_past_a_full_window() {
    let mut conn = established_sack_ts();
    let window = (conn.cwnd() / SEG as usize) as u32;
    conn.send(&pattern((window as usize + 5) * SEG as usize))
        .unwrap();
    assert_eq!(drain(&mut conn, at(100)).len() as u32, window);
    // No ACK at all.
    let fire = conn.timer(Timer::Retransmit).unwrap();
    assert_eq!(fire, at(100) + expected_pto(&conn, window));
    conn.handle_timeout(fire);
    let probe = drain(&mut conn, fire);
    assert_eq!(probe.len(), 1);
    assert_eq!(
        (probe[0].seq, probe[0].payload.len()),
        (ISS + 1 + window * SEG, SEG as usize)
    );
    let stats = conn.stats();
    assert_eq!((stats.tail_loss_probes, stats.retransmits), (1, 0));
}

/// One probe per episode: if it draws nothing, the RTO follows, and it
/// goes back to the first unacknowledged segment as ever.
#[test]
fn an_unanswered_probe_is_followed_by_the_rto() {
    let mut conn = established_sack_ts();
    last_of_three_lost(&mut conn);
    let fire = conn.timer(Timer::Retransmit).unwrap();
    conn.handle_timeout(fire);
    drain(&mut conn, fire);
    let rto_at = conn.timer(Timer::Retransmit).unwrap();
    assert_eq!(rto_at, fire + conn.rto());
    conn.handle_timeout(rto_at);
    let rexmit = drain(&mut conn, rto_at);
    assert_eq!(rexmit[0].seq, ISS + 1 + 2 * SEG);
    let stats = conn.stats();
    assert_eq!((stats.tail_loss_probes, stats.timeouts), (1, 1));
    // Backed off, and no probe while the timeouts run.
    let next = conn.timer(Timer::Retransmit).unwrap();
    assert_eq!(next, rto_at + conn.rto());
    conn.handle_timeout(next);
    drain(&mut conn, next);
    assert_eq!(conn.stats().timeouts, 2);
}

#[test]
fn no_probe_without_sack_or_before_a_round_trip_time() {
    // No SACK: the RTO, not a probe.
    let mut conn = super::recovery::established_ts();
    conn.send(&pattern(3 * SEG as usize)).unwrap();
    drain(&mut conn, at(100));
    assert_eq!(conn.timer(Timer::Retransmit), Some(at(100) + conn.rto()));
    // SACK but no round-trip sample yet (the handshake's was not taken:
    // the SYN was sent twice).
    let mut conn = client(Config {
        sack: true,
        ..plain()
    });
    output(&mut conn, at(0)).unwrap();
    let first = conn.timer(Timer::Retransmit).unwrap();
    conn.handle_timeout(first);
    drain(&mut conn, first);
    let mut synack = Seg::new(PEER_ISS, ISS + 1, SYN | ACK);
    synack.mss = Some(1000);
    synack.sack_permitted = true;
    input(&mut conn, first + ms(10), &synack);
    drain(&mut conn, first + ms(10));
    assert_eq!(conn.srtt(), None);
    let now = first + ms(20);
    conn.send(&pattern(3000)).unwrap();
    drain(&mut conn, now);
    assert_eq!(conn.timer(Timer::Retransmit), Some(now + conn.rto()));
}

/// Two segments out and nothing more to send: the first is lost, and the
/// second's one duplicate ACK is enough (RFC 5827).
#[test]
fn early_retransmit_with_two_segments_out() {
    let mut conn = established_sack_ts();
    conn.send(&pattern(2 * SEG as usize)).unwrap();
    let sent = drain(&mut conn, at(100));
    let sack = Seg {
        sack: alloc::vec![(ISS + 1 + SEG, ISS + 1 + 2 * SEG)],
        ..ack_ts(ISS + 1, sent[1].ts.unwrap().0)
    };
    input(&mut conn, at(110), &sack);
    let rexmit = output(&mut conn, at(110)).unwrap();
    assert_eq!(rexmit.seq, ISS + 1);
    assert_eq!(conn.stats().fast_retransmits, 1);
}

/// Early retransmit is for when nothing new can go: with data waiting
/// behind the two segments (a small piece Nagle holds back), one
/// duplicate is not enough.
#[test]
fn early_retransmit_only_when_nothing_more_can_be_sent() {
    let mut conn = established_sack_ts();
    conn.send(&pattern(2 * SEG as usize + 100)).unwrap();
    let sent = drain(&mut conn, at(100));
    assert_eq!(sent.len(), 2);
    let sack = Seg {
        sack: alloc::vec![(ISS + 1 + SEG, ISS + 1 + 2 * SEG)],
        ..ack_ts(ISS + 1, sent[1].ts.unwrap().0)
    };
    input(&mut conn, at(110), &sack);
    assert_eq!(conn.stats().fast_retransmits, 0);
}

/// A partial ACK after the probe does not arm another: one probe per
/// episode, and the timer that follows is the RTO.
#[test]
fn one_probe_until_the_episode_ends() {
    let mut conn = established_sack_ts();
    conn.send(&pattern(3 * SEG as usize)).unwrap();
    let sent = drain(&mut conn, at(100));
    let fire = conn.timer(Timer::Retransmit).unwrap();
    conn.handle_timeout(fire);
    assert_eq!(output(&mut conn, fire).unwrap().seq, sent[2].seq);
    let now = fire + ms(5);
    input(
        &mut conn,
        now,
        &ack_ts(ISS + 1 + SEG, sent[0].ts.unwrap().0),
    );
    let next = conn.timer(Timer::Retransmit).unwrap();
    assert_eq!(next, now + conn.rto());
    conn.handle_timeout(next);
    assert_eq!(drain(&mut conn, next)[0].seq, ISS + 1 + SEG);
    let stats = conn.stats();
    assert_eq!((stats.tail_loss_probes, stats.timeouts), (1, 1));
}
