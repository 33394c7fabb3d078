//! Proportional rate reduction during SACK recovery (RFC 6937).

use super::recovery::{established_sack, sack_ack};
use super::*;

const L: u32 = ISS + 1;

/// What goes out at `now`, as offsets from the first data byte.
fn sent(conn: &mut Connection, now: Instant) -> Vec<u32> {
    drain(conn, now).iter().map(|s| s.seq - L).collect()
}

/// A connection whose window grew to 20 segments, with 20 segments of
/// 1000 bytes outstanding from offset 10000 and more data queued.
fn twenty_in_flight() -> Connection {
    let mut conn = established_sack();
    conn.send(&pattern(100_000)).unwrap();
    assert_eq!(sent(&mut conn, at(10)).len(), 10);
    // Slow start: an ACK per segment, two segments out for each.
    let mut out = Vec::new();
    for k in 1..=10 {
        input(
            &mut conn,
            at(30),
            &Seg::new(PEER_ISS + 1, L + 1000 * k, ACK),
        );
        out.extend(sent(&mut conn, at(30)));
    }
    assert_eq!(conn.cwnd(), 20_000);
    assert_eq!(out, (10..30).map(|k| k * 1000).collect::<Vec<u32>>());
    conn
}

/// 20 segments out, the first lost, ssthresh 10 segments. RFC 6675 alone
/// would send nothing until `pipe` fell to ssthresh, half a round trip of
/// silence; PRR lets out ssthresh / RecoverFS (10 of 22 segments,
/// limited transmit included) of what each ACK delivers, rounded up to
/// whole segments: after k ACKs in recovery, ceil(10k / 22) segments in
/// all, the fast retransmit first. Once `pipe` is down to ssthresh, one
/// segment per segment delivered keeps it there.
#[test]
fn recovery_sends_in_proportion_to_what_is_delivered() {
    let mut conn = twenty_in_flight();
    let mut high = 30_000;
    let mut total = 0;
    let mut per_ack = Vec::new();
    for dup in 1..=20u32 {
        let seg = Seg {
            ack: L + 10_000,
            ..sack_ack(&[(11_000, (11_000 + 1000 * dup).min(high))])
        };
        input(&mut conn, at(50), &seg);
        let out = sent(&mut conn, at(50));
        for &seq in &out {
            high = high.max(seq + 1000);
        }
        if dup == 3 {
            assert_eq!(out, [10_000], "the fast retransmit");
            assert_eq!(conn.ssthresh(), 10_000);
        }
        if dup >= 3 {
            total += out.len() as u32;
            per_ack.push(out.len());
        }
        if (3..=16).contains(&dup) {
            let k = dup - 2;
            assert_eq!(total, (10 * k).div_ceil(22), "after {k} ACKs in recovery");
            assert!(conn.pipe() > conn.ssthresh());
        }
    }
    // Then the reduction bound: pipe stays at ssthresh, one for one.
    assert_eq!(conn.pipe(), 10_000);
    assert_eq!(per_ack[per_ack.len() - 2..], [1, 1]);
}
