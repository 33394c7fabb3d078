//! Retransmissions lost during SACK recovery: found from SACKs of data sent
//! after them and sent again, without waiting for the RTO.

use super::recovery::{established_sack, sack_ack};
use super::*;

const L: u32 = ISS + 1;

/// What goes out at `now`, as (offset from the first data byte, length).
fn sent(conn: &mut Connection, now: Instant) -> Vec<(u32, usize)> {
    drain(conn, now)
        .iter()
        .map(|s| (s.seq - L, s.payload.len()))
        .collect()
}

/// Ten segments out, the first lost: limited transmit sends 10000 and
/// 11000 on the first two duplicates, the third starts recovery and resends
/// the first segment while `SND.MAX` is 12000. The peer then SACKs up to
/// 10000, which lets 12000 and 13000 out. Returns the connection at 40 ms.
fn first_segment_resent() -> Connection {
    let mut conn = established_sack();
    conn.send(&pattern(40_000)).unwrap();
    assert_eq!(sent(&mut conn, at(10)).len(), 10);
    input(&mut conn, at(30), &sack_ack(&[(1000, 2000)]));
    assert_eq!(sent(&mut conn, at(30)), [(10_000, 1000)]);
    input(&mut conn, at(31), &sack_ack(&[(1000, 3000)]));
    assert_eq!(sent(&mut conn, at(31)), [(11_000, 1000)]);
    input(&mut conn, at(32), &sack_ack(&[(1000, 4000)]));
    assert_eq!(sent(&mut conn, at(32)), [(0, 1000)]);
    let mut after = Vec::new();
    for end in (5000..=10_000).step_by(1000) {
        input(&mut conn, at(40), &sack_ack(&[(1000, end)]));
        after.extend(sent(&mut conn, at(40)));
    }
    assert_eq!(after, [(12_000, 1000), (13_000, 1000)]);
    conn
}

/// From [`first_segment_resent`]: the peer SACKs up to 14000, two
/// segments past where the first segment's copy went out, one short of
/// proving it lost. Returns what went out meanwhile.
fn one_short_of_proof(conn: &mut Connection) -> Vec<(u32, usize)> {
    let mut out = Vec::new();
    for end in [11_000, 12_000, 13_000, 14_000] {
        input(conn, at(50), &sack_ack(&[(1000, end)]));
        out.extend(sent(conn, at(50)));
    }
    out
}

/// RFC 6675 resends each hole once; the retransmission of the first
/// segment is lost too. Data sent after it arrives: two segments' worth
/// SACKed past the point it went out is not yet proof (DupThresh is three),
/// the third is, and the segment goes out again at once, with no timeout
/// and no second window cut.
#[test]
fn a_lost_retransmission_is_sent_again_once_dupthresh_later_data_is_sacked() {
    let mut conn = first_segment_resent();
    let (ssthresh, cwnd) = (conn.ssthresh(), conn.cwnd());
    let out = one_short_of_proof(&mut conn);
    // Only new data: 12000 and 13000 SACKed are two segments past 12000.
    assert!(out.iter().all(|&(seq, _)| seq >= 14_000), "{out:?}");
    assert_eq!(conn.stats().lost_retransmissions, 0);
    input(&mut conn, at(51), &sack_ack(&[(1000, 15_000)]));
    let again = sent(&mut conn, at(51));
    assert_eq!(again.first(), Some(&(0, 1000)), "{again:?}");
    let stats = conn.stats();
    assert_eq!(stats.lost_retransmissions, 1);
    assert_eq!(stats.timeouts, 0);
    assert_eq!(stats.fast_retransmits, 1);
    assert_eq!((conn.ssthresh(), conn.cwnd()), (ssthresh, cwnd));
    // It arrives: everything up to SND.MAX is acknowledged.
    let max = conn.snd_max.distance_from(SeqNumber::new(L));
    input(&mut conn, at(60), &Seg::new(PEER_ISS + 1, L + max, ACK));
    assert_eq!(conn.snd_una, conn.snd_max);
    assert!(!conn.cc.in_recovery());
    assert_eq!(conn.stats().timeouts, 0);
}

/// A retransmission that arrives is never sent again, however much later
/// data the peer SACKs afterwards.
#[test]
fn a_retransmission_that_arrived_is_not_sent_again() {
    let mut conn = first_segment_resent();
    // The first segment arrives; the segment at 10000 is lost now.
    let ack = |blocks: &[(u32, u32)]| {
        let mut seg = sack_ack(blocks);
        seg.ack = L + 10_000;
        seg
    };
    let mut out = Vec::new();
    for end in [12_000, 13_000, 14_000, 15_000, 16_000] {
        input(&mut conn, at(50), &ack(&[(11_000, end)]));
        out.extend(sent(&mut conn, at(50)));
    }
    assert!(!out.contains(&(0, 1000)), "{out:?}");
    assert_eq!(conn.stats().lost_retransmissions, 0);
}

/// The segment sent again can be lost again: it is judged by the data
/// sent after *it*, and goes out a third time.
#[test]
fn a_retransmission_sent_again_is_watched_again() {
    let mut conn = first_segment_resent();
    one_short_of_proof(&mut conn);
    // The second copy goes out first, so data sent from here on is sent
    // after it.
    let max = conn.snd_max.distance_from(SeqNumber::new(L));
    input(&mut conn, at(51), &sack_ack(&[(1000, 15_000)]));
    assert_eq!(sent(&mut conn, at(51)).first(), Some(&(0, 1000)));
    assert_eq!(conn.stats().lost_retransmissions, 1);
    let mut out = Vec::new();
    let mut end = 15_000;
    while end < max + 3000 && !out.contains(&(0, 1000)) {
        end += 1000;
        input(&mut conn, at(60), &sack_ack(&[(1000, end)]));
        out.extend(sent(&mut conn, at(60)));
    }
    // Three segments past the second copy's SND.MAX had to be SACKed.
    assert_eq!(end, max + 3000, "{out:?}");
    assert_eq!(
        out.iter().filter(|&&s| s == (0, 1000)).count(),
        1,
        "{out:?}"
    );
    assert_eq!(conn.stats().lost_retransmissions, 2);
    assert_eq!(conn.stats().timeouts, 0);
}

/// A retransmission found lost no longer counts as in flight: with the
/// window full, the SACK that proves it lost makes room for it.
#[test]
fn a_lost_retransmission_leaves_pipe() {
    let mut conn = first_segment_resent();
    one_short_of_proof(&mut conn);
    let before = conn.pipe();
    input(&mut conn, at(51), &sack_ack(&[(1000, 15_000)]));
    // 1000 SACKed, and the lost copy's 1000 out of the network.
    assert_eq!(conn.pipe(), before - 2000);
    assert_eq!(sent(&mut conn, at(51)).first(), Some(&(0, 1000)));
}

/// A retransmission timeout starts over: what recovery remembered of its
/// retransmissions is dropped, and nothing is resent because of it later.
#[test]
fn a_timeout_forgets_the_retransmissions_of_the_recovery() {
    let mut conn = first_segment_resent();
    let rto = conn.timer(Timer::Retransmit).unwrap();
    conn.handle_timeout(rto);
    let first = sent(&mut conn, rto);
    assert_eq!(first.first(), Some(&(0, 1000)));
    assert!(conn.loss.get().unwrap().resent.is_empty());
}

/// Each retransmission is judged by the data sent after it. The first
/// segment's copy went out before 12000; a hole at 12000, resent with
/// 14000 to 16000 behind it, is still in flight when the SACK of 16000
/// proves the first copy lost: only the first segment goes again. One
/// more SACK proves the second copy lost as well.
#[test]
fn each_retransmission_is_judged_by_the_data_sent_after_it() {
    let mut conn = first_segment_resent();
    let mut step = |end: u32| {
        input(
            &mut conn,
            at(50),
            &sack_ack(&[(13_000, end), (1000, 12_000)]),
        );
        let out = sent(&mut conn, at(50));
        (out, conn.stats().lost_retransmissions)
    };
    // 12000 is lost as well: it is resent first, then new data.
    let (out, lost) = step(14_000);
    assert_eq!(out[0], (12_000, 1000));
    assert!(out[1..].iter().all(|&(seq, _)| seq >= 14_000), "{out:?}");
    assert_eq!(lost, 0);
    assert_eq!(step(15_000), (vec![(17_000, 1000)], 0));
    assert_eq!(step(16_000), (vec![(0, 1000), (18_000, 1000)], 1));
    assert_eq!(step(17_000), (vec![(12_000, 1000), (19_000, 1000)], 2));
}
