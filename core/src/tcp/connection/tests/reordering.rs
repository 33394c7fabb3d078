//! The duplicate-ACK threshold learned from reordering: a fast retransmit
//! undone as spurious raises it past the number of segments that overtook
//! the late one, half the segments in flight caps it, and a retransmission
//! timeout sets it back to three.

use super::recovery::{ack_ts, established_sack_ts, established_ts};
use super::*;

/// Payload of a full segment with the timestamp option (see
/// `established_ts`).
const SEG: u32 = 988;

/// Sends `n` full segments from `SND.UNA` (everything before acknowledged)
/// and returns our timestamp on the first of them.
fn send_round(conn: &mut Connection, now: Instant, n: usize) -> u32 {
    conn.send(&pattern(n * SEG as usize)).unwrap();
    let sent = drain(conn, now);
    assert_eq!(sent.len(), n, "the window should let {n} segments out");
    sent[0].ts.unwrap().0
}

/// The first segment of a round arrives after `overtaken` later ones: that
/// many duplicate ACKs, then one for the whole round echoing the original
/// transmission. Returns whether a fast retransmit went out.
fn reorder_first(
    conn: &mut Connection,
    now: Instant,
    (round, tsecr): (u32, u32),
    overtaken: usize,
) -> bool {
    let una = conn.snd_una.get();
    let original = conn.stats().fast_retransmits;
    for _ in 0..overtaken {
        input(conn, now, &ack_ts(una, tsecr));
    }
    let retransmitted = conn.stats().fast_retransmits > original;
    drain(conn, now);
    input(conn, now + ms(1), &ack_ts(una + round * SEG, tsecr));
    assert_eq!(conn.unacknowledged(), 0);
    retransmitted
}

/// A round of `n` segments delivered in order and acknowledged whole. After
/// a fast retransmit it moves `SND.UNA` past the recovery point, so the next
/// round's duplicates may start another one (RFC 6582 §3.2 step 2).
fn clean_round(conn: &mut Connection, now: Instant, n: usize) {
    let una = conn.snd_una.get();
    let first = send_round(conn, now, n);
    input(conn, now + ms(1), &ack_ts(una + n as u32 * SEG, first));
}

/// With SACK: the first segment of a round of 12 arrives after
/// `overtaken` others, each SACKed as it comes, then everything is
/// acknowledged echoing the original. Returns whether fast retransmit
/// started.
fn sack_round(conn: &mut Connection, now: Instant, overtaken: u32) -> bool {
    sack_round_of(conn, now, 12, overtaken)
}

/// [`sack_round`] with a round of `round` segments.
fn sack_round_of(conn: &mut Connection, now: Instant, round: u32, overtaken: u32) -> bool {
    let una = conn.snd_una.get();
    let first = send_round(conn, now, round as usize);
    let before = conn.stats().fast_retransmits;
    for k in 1..=overtaken {
        let sack = Seg {
            sack: alloc::vec![(una + SEG, una + (k + 1) * SEG)],
            ..ack_ts(una, first)
        };
        input(conn, now + ms(5), &sack);
    }
    let started = conn.stats().fast_retransmits > before;
    drain(conn, now + ms(5));
    input(conn, now + ms(6), &ack_ts(una + round * SEG, first));
    assert_eq!(conn.unacknowledged(), 0);
    started
}

/// A connection with timestamps that has learned a threshold of
/// `overtaken + 1`: a round of `round` segments whose first arrived after
/// `overtaken` others, then a clean round of `clean` segments to move
/// `SND.UNA` past the recovery point.
fn taught(round: usize, overtaken: usize, clean: usize) -> Connection {
    let mut conn = established_ts();
    open_window(&mut conn, at(100), 24);
    let first = send_round(&mut conn, at(200), round);
    assert!(reorder_first(
        &mut conn,
        at(210),
        (round as u32, first),
        overtaken
    ));
    assert_eq!(conn.stats().reordering as usize, overtaken + 1);
    clean_round(&mut conn, at(250), clean);
    conn
}

/// Grows the window (slow start, no loss) until `n` segments fit.
fn open_window(conn: &mut Connection, now: Instant, n: usize) {
    while conn.cwnd() < n * SEG as usize {
        let k = conn.cwnd() / SEG as usize;
        clean_round(conn, now, k);
    }
}

#[test]
fn an_undone_fast_retransmit_teaches_the_threshold() {
    let mut conn = established_ts();
    assert_eq!(conn.stats().reordering, 3);
    open_window(&mut conn, at(100), 24);
    // Five segments overtake the first: fast retransmit at the third
    // duplicate, undone by the ACK echoing the original.
    let first = send_round(&mut conn, at(200), 12);
    assert!(reorder_first(&mut conn, at(210), (12, first), 5));
    let stats = conn.stats();
    assert_eq!((stats.fast_retransmits, stats.undos), (1, 1));
    assert_eq!(stats.reordering, 6);
    clean_round(&mut conn, at(250), 12);
    // The same reordering again: five duplicates are no longer a loss.
    let first = send_round(&mut conn, at(300), 12);
    assert!(!reorder_first(&mut conn, at(310), (12, first), 5));
    assert_eq!(conn.stats().fast_retransmits, 1);
    assert_eq!(conn.stats().reordering, 6);
    clean_round(&mut conn, at(350), 12);
    // A real loss still starts fast retransmit, at the sixth duplicate.
    let una = conn.snd_una.get();
    let first = send_round(&mut conn, at(400), 12);
    for _ in 0..5 {
        input(&mut conn, at(410), &ack_ts(una, first));
    }
    expect_nothing(&mut conn, at(410));
    input(&mut conn, at(410), &ack_ts(una, first));
    let rexmit = output(&mut conn, at(410)).unwrap();
    assert_eq!(rexmit.seq, una);
    assert_eq!(conn.stats().fast_retransmits, 2);
}

#[test]
fn the_threshold_stays_below_half_the_flight() {
    // Nine segments overtake the first: the threshold becomes ten.
    let mut conn = taught(20, 9, 8);
    // With eight segments in flight, four duplicates are enough.
    let una = conn.snd_una.get();
    let first = send_round(&mut conn, at(300), 8);
    for _ in 0..3 {
        input(&mut conn, at(310), &ack_ts(una, first));
    }
    expect_nothing(&mut conn, at(310));
    input(&mut conn, at(310), &ack_ts(una, first));
    assert_eq!(output(&mut conn, at(310)).unwrap().seq, una);
}

#[test]
fn a_timeout_resets_the_threshold_unless_undone() {
    for spurious in [false, true] {
        let mut conn = taught(12, 7, 12);
        // Another round times out.
        let una = conn.snd_una.get();
        let original = send_round(&mut conn, at(300), 4);
        let rto_at = conn.timer(Timer::Retransmit).unwrap();
        conn.handle_timeout(rto_at);
        let rexmit = drain(&mut conn, rto_at);
        assert_eq!(conn.stats().reordering, 3);
        // The ACK after it shows whether the first transmission arrived.
        let echo = if spurious {
            original
        } else {
            rexmit[0].ts.unwrap().0
        };
        input(&mut conn, rto_at + ms(5), &ack_ts(una + SEG, echo));
        assert_eq!(conn.stats().undos, 1 + u64::from(spurious));
        let expected = if spurious { 8 } else { 3 };
        assert_eq!(conn.stats().reordering, expected, "spurious: {spurious}");
    }
}

#[test]
fn a_real_fast_retransmit_leaves_the_threshold() {
    let mut conn = established_ts();
    open_window(&mut conn, at(100), 24);
    let una = conn.snd_una.get();
    let first = send_round(&mut conn, at(200), 12);
    for _ in 0..5 {
        input(&mut conn, at(210), &ack_ts(una, first));
    }
    let rexmit = output(&mut conn, at(210)).unwrap();
    // The ACK echoes the retransmission: the segment was lost.
    let echo = rexmit.ts.unwrap().0;
    drain(&mut conn, at(210));
    input(&mut conn, at(220), &ack_ts(una + 12 * SEG, echo));
    let stats = conn.stats();
    assert_eq!((stats.fast_retransmits, stats.undos), (1, 0));
    assert_eq!(stats.reordering, 3);
}

/// With SACK, duplicates are ACKs that SACK new data, and the learned
/// threshold also decides when SACKed data marks the first segment lost.
#[test]
fn with_sack_the_threshold_counts_sacked_segments() {
    let mut conn = established_sack_ts();
    open_window(&mut conn, at(100), 24);
    assert!(sack_round(&mut conn, at(200), 5));
    assert_eq!(conn.stats().reordering, 6);
    clean_round(&mut conn, at(250), 12);
    assert!(!sack_round(&mut conn, at(300), 5));
    assert!(sack_round(&mut conn, at(400), 6));
}

/// With a threshold of six learned, limited transmit lets five new
/// segments out on the five duplicates before the sixth starts recovery.
#[test]
fn limited_transmit_follows_the_learned_threshold() {
    let mut conn = taught(12, 5, 12);
    // More data than the window holds.
    let una = conn.snd_una.get();
    let window = (conn.cwnd() / SEG as usize) as u32;
    conn.send(&pattern((window as usize + 10) * SEG as usize))
        .unwrap();
    let sent = drain(&mut conn, at(300));
    assert_eq!(sent.len() as u32, window);
    let tsecr = sent[0].ts.unwrap().0;
    for k in 0..5 {
        input(&mut conn, at(310), &ack_ts(una, tsecr));
        let more = drain(&mut conn, at(310));
        assert_eq!(more.len(), 1, "duplicate {}", k + 1);
        assert_eq!(more[0].seq, una + (window + k) * SEG);
    }
    input(&mut conn, at(310), &ack_ts(una, tsecr));
    assert_eq!(output(&mut conn, at(310)).unwrap().seq, una);
    assert_eq!(conn.stats().fast_retransmits, 2);
}

/// A path seen to reorder keeps the full threshold even with two segments
/// out: early retransmit would misread the same reordering as a loss.
#[test]
fn no_early_retransmit_once_reordering_was_seen() {
    let mut conn = established_sack_ts();
    open_window(&mut conn, at(100), 24);
    assert!(sack_round(&mut conn, at(200), 5));
    clean_round(&mut conn, at(250), 12);
    let una = conn.snd_una.get();
    let first = send_round(&mut conn, at(300), 2);
    let sack = Seg {
        sack: alloc::vec![(una + SEG, una + 2 * SEG)],
        ..ack_ts(una, first)
    };
    input(&mut conn, at(310), &sack);
    assert_eq!(conn.stats().fast_retransmits, 1);
    expect_nothing(&mut conn, at(310));
}

/// An early retransmit undone as spurious was reordering by a segment or
/// two: it raises the threshold to four, which ends early retransmit on
/// the path.
#[test]
fn an_undone_early_retransmit_ends_early_retransmit() {
    let mut conn = established_sack_ts();
    // Two segments out, the first overtaken by the second.
    let two_out = |conn: &mut Connection, now: Instant| sack_round_of(conn, now, 2, 1);
    assert!(two_out(&mut conn, at(100)));
    assert_eq!(conn.stats().undos, 1);
    assert_eq!(conn.stats().reordering, 4);
    clean_round(&mut conn, at(150), 2);
    assert!(!two_out(&mut conn, at(200)));
}
