//! Undoing a spurious fast retransmit without timestamps (RFC 3708): the
//! peer's D-SACK blocks report every retransmission as received twice.

use super::recovery::{established_sack, sack_ack};
use super::*;

const L: u32 = ISS + 1;

/// The peer's ACK of everything up to `upto` (offset from the first data
/// byte), with a D-SACK block for `dup`.
fn dsack(upto: u32, dup: (u32, u32)) -> Seg {
    Seg {
        sack: alloc::vec![(L + dup.0, L + dup.1)],
        ..Seg::new(PEER_ISS + 1, L + upto, ACK)
    }
}

/// Ten segments out; segment 0 arrives after 1 to 3, whose SACKs start a
/// fast retransmit of it; then the original arrives and everything is
/// acknowledged, ending recovery.
fn reordered_first() -> Connection {
    overtaken_first(3)
}

/// [`reordered_first`] with segment 0 overtaken by `overtaken` others.
fn overtaken_first(overtaken: u32) -> Connection {
    let mut conn = established_sack();
    conn.send(&pattern(10_000)).unwrap();
    assert_eq!(drain(&mut conn, at(10)).len(), 10);
    for k in 1..=overtaken {
        input(&mut conn, at(30), &sack_ack(&[(1000, (k + 1) * 1000)]));
    }
    assert_eq!(drain(&mut conn, at(30))[0].seq, L);
    assert_eq!(conn.stats().fast_retransmits, 1);
    assert_eq!(conn.ssthresh(), 5000);
    input(&mut conn, at(40), &Seg::new(PEER_ISS + 1, L + 10_000, ACK));
    conn
}

/// The threshold learns from D-SACK undos too: six segments overtook the
/// late one, so it becomes seven.
#[test]
fn a_d_sack_undo_teaches_the_threshold() {
    let mut conn = overtaken_first(6);
    input(&mut conn, at(45), &dsack(10_000, (0, 1000)));
    assert_eq!(conn.stats().undos, 1);
    assert_eq!(conn.stats().reordering, 7);
}

#[test]
fn a_d_sack_for_the_only_retransmission_undoes_the_response() {
    let mut conn = reordered_first();
    assert_eq!(conn.stats().undos, 0);
    // The retransmission arrives too: the peer reports it twice received.
    input(&mut conn, at(45), &dsack(10_000, (0, 1000)));
    let stats = conn.stats();
    assert_eq!(stats.undos, 1);
    assert_eq!(conn.ssthresh(), usize::MAX);
    assert!(conn.cwnd() >= 10_000);
    assert_eq!(stats.reordering, 4);
}

#[test]
fn without_a_d_sack_or_with_one_for_other_data_the_response_stands() {
    let mut conn = reordered_first();
    // Plain duplicate ACKs, and a D-SACK for data from before the
    // response (below its first retransmitted byte): nothing.
    input(&mut conn, at(45), &Seg::new(PEER_ISS + 1, L + 10_000, ACK));
    let old = Seg {
        sack: alloc::vec![(ISS, ISS + 1)],
        ..Seg::new(PEER_ISS + 1, L + 10_000, ACK)
    };
    input(&mut conn, at(46), &old);
    assert_eq!(conn.stats().undos, 0);
    assert_eq!(conn.ssthresh(), 5000);
}

/// Two holes resent: both must come back as duplicates. The reports can
/// come while recovery still runs; the undo then waits for its end.
#[test]
fn every_retransmission_must_be_reported_and_undo_waits_for_recovery_to_end() {
    let mut conn = established_sack();
    conn.send(&pattern(10_000)).unwrap();
    drain(&mut conn, at(10));
    // Segments 0 and 3 late; 1, 2, 4 and more SACKed.
    input(&mut conn, at(30), &sack_ack(&[(1000, 2000)]));
    input(&mut conn, at(30), &sack_ack(&[(1000, 3000)]));
    input(&mut conn, at(30), &sack_ack(&[(4000, 5000), (1000, 3000)]));
    assert_eq!(output(&mut conn, at(30)).unwrap().seq, L);
    for k in 5..=7 {
        input(
            &mut conn,
            at(31),
            &sack_ack(&[(4000, k * 1000), (1000, 3000)]),
        );
    }
    let resent: Vec<u32> = drain(&mut conn, at(31)).iter().map(|s| s.seq - L).collect();
    assert_eq!(resent, [3000]);
    // The originals of 0 and 3 arrive: a partial ACK up to 3000 that
    // D-SACKs nothing, then the retransmission of 0 is reported.
    input(&mut conn, at(40), &sack_ack(&[(4000, 7000)]));
    let partial = Seg {
        sack: alloc::vec![(L + 4000, L + 7000)],
        ..Seg::new(PEER_ISS + 1, L + 3000, ACK)
    };
    input(&mut conn, at(40), &partial);
    let dup0 = Seg {
        sack: alloc::vec![(L, L + 1000), (L + 4000, L + 7000)],
        ..Seg::new(PEER_ISS + 1, L + 3000, ACK)
    };
    input(&mut conn, at(41), &dup0);
    // One of two reported: still in recovery, nothing undone.
    assert_eq!(conn.stats().undos, 0);
    // The second is reported while recovery still runs...
    let dup3 = Seg {
        sack: alloc::vec![(L + 3000, L + 4000), (L + 4000, L + 7000)],
        ..Seg::new(PEER_ISS + 1, L + 7000, ACK)
    };
    input(&mut conn, at(42), &dup3);
    assert_eq!(conn.stats().undos, 0);
    assert_eq!(conn.ssthresh(), 5000);
    // ...and the undo comes with the ACK that ends it.
    input(&mut conn, at(43), &Seg::new(PEER_ISS + 1, L + 10_000, ACK));
    assert_eq!(conn.stats().undos, 1);
    assert_eq!(conn.ssthresh(), usize::MAX);
}

/// A response that stood (no D-SACK came) leaves its record behind; the
/// next response replaces it, and a D-SACK for that one's retransmission
/// undoes it back to the window the first left.
#[test]
fn a_later_response_is_undone_back_to_the_earlier_ones_window() {
    let mut conn = reordered_first();
    // No D-SACK: the first response stands. Clean rounds grow the window
    // back to ssthresh.
    let mut base = 10_000;
    while conn.cwnd() < 5000 {
        let n = conn.cwnd() as u32 / 1000;
        conn.send(&pattern(n as usize * 1000)).unwrap();
        drain(&mut conn, at(45));
        base += n * 1000;
        input(&mut conn, at(46), &Seg::new(PEER_ISS + 1, L + base, ACK));
    }
    let (cwnd, ssthresh) = (conn.cwnd(), conn.ssthresh());
    assert_eq!(ssthresh, 5000);
    conn.send(&pattern(5000)).unwrap();
    let sent = drain(&mut conn, at(50));
    assert_eq!(sent.len(), 5);
    let n = sent.len() as u32;
    // The same reordering again, on the new data.
    for k in 1..=3 {
        let sack = Seg {
            sack: alloc::vec![(L + base + 1000, L + base + (k + 1) * 1000)],
            ..Seg::new(PEER_ISS + 1, L + base, ACK)
        };
        input(&mut conn, at(60), &sack);
    }
    assert_eq!(output(&mut conn, at(60)).unwrap().seq, L + base);
    assert_eq!(conn.stats().fast_retransmits, 2);
    assert!(conn.ssthresh() < ssthresh);
    let end = base + n * 1000;
    input(&mut conn, at(70), &Seg::new(PEER_ISS + 1, L + end, ACK));
    input(&mut conn, at(71), &dsack(end, (base, base + 1000)));
    assert_eq!(conn.stats().undos, 1);
    assert_eq!(conn.ssthresh(), ssthresh);
    assert!(conn.cwnd() >= cwnd);
}
