//! Loss recovery: fast retransmit, NewReno partial ACKs, SACK-based
//! recovery, and the D-SACK blocks a receiver sends about duplicates.

use super::*;

#[test]
fn fast_retransmit_and_newreno_partial_ack() {
    let mut conn = established(newreno());
    conn.send(&pattern(10_000)).unwrap();
    assert_eq!(drain(&mut conn, at(10)).len(), 10);
    // Segments 1 and 3 are lost; the rest produce duplicate ACKs.
    let dup = Seg::new(PEER_ISS + 1, ISS + 1, ACK);
    input(&mut conn, at(30), &dup);
    input(&mut conn, at(30), &dup);
    expect_nothing(&mut conn, at(30));
    input(&mut conn, at(30), &dup);
    let rexmit = output(&mut conn, at(30)).unwrap();
    assert_eq!(rexmit.seq, ISS + 1);
    assert_eq!(rexmit.payload.len(), 1000);
    assert_eq!(conn.stats().fast_retransmits, 1);
    // ssthresh = flight / 2 = 5000; cwnd = ssthresh + 3 segments.
    assert_eq!(conn.ssthresh(), 5000);
    assert_eq!(conn.cwnd(), 8000);
    // Partial ACK up to the second hole: retransmit it at once.
    input(
        &mut conn,
        at(40),
        &Seg::new(PEER_ISS + 1, ISS + 1 + 2000, ACK),
    );
    let next = output(&mut conn, at(40)).unwrap();
    assert_eq!(next.seq, ISS + 1 + 2000);
    // Full ACK ends recovery.
    input(
        &mut conn,
        at(50),
        &Seg::new(PEER_ISS + 1, ISS + 1 + 10_000, ACK),
    );
    assert_eq!(conn.cwnd(), 1000.max(conn.cwnd()));
    assert!(conn.cwnd() <= 5000);
    assert_eq!(conn.unacknowledged(), 0);
    assert_eq!(conn.timer(Timer::Retransmit), None);
}

/// The peer's pure ACK of the first data byte (`ISS + 1`), carrying SACK
/// blocks given as offsets from it.
pub(super) fn sack_ack(blocks: &[(u32, u32)]) -> Seg {
    let first = ISS + 1;
    Seg {
        sack: blocks
            .iter()
            .map(|&(a, b)| (first + a, first + b))
            .collect(),
        ..Seg::new(PEER_ISS + 1, first, ACK)
    }
}

/// [`plain`] with NewReno, for window arithmetic in round numbers.
fn newreno() -> Config {
    Config {
        congestion: crate::tcp::CongestionAlgorithm::NewReno,
        ..plain()
    }
}

/// A client connection with NewReno and an MSS of 1000, established by a
/// peer that agrees to SACK and timestamps as asked (its clock at 1000).
fn established_newreno(sack: bool, timestamps: bool) -> Connection {
    let mut conn = client(Config {
        sack,
        timestamps,
        ..newreno()
    });
    let syn = output(&mut conn, at(0)).unwrap();
    let mut synack = Seg::new(PEER_ISS, ISS + 1, SYN | ACK);
    synack.mss = Some(1000);
    synack.sack_permitted = sack;
    synack.ts = syn.ts.map(|(tsval, _)| (1000, tsval));
    input(&mut conn, at(10), &synack);
    drain(&mut conn, at(10));
    events(&mut conn);
    conn
}

/// An established connection whose peer allowed SACK, NewReno window
/// arithmetic for round numbers.
pub(super) fn established_sack() -> Connection {
    established_newreno(true, false)
}

#[test]
fn sack_recovery_resends_only_the_holes() {
    const L: u32 = ISS + 1;
    const P: u32 = PEER_ISS + 1;
    let mut conn = established_sack();
    conn.send(&pattern(10_000)).unwrap();
    assert_eq!(drain(&mut conn, at(10)).len(), 10);
    // Segments 0 and 3 are lost; the others arrive and are SACKed.
    input(&mut conn, at(30), &sack_ack(&[(1000, 2000)]));
    input(&mut conn, at(30), &sack_ack(&[(1000, 3000)]));
    expect_nothing(&mut conn, at(30));
    // More data, which limited transmit would have sent on the first two
    // duplicates (`limited_transmit_sends_new_data_on_the_first_duplicates`)
    // had it been there.
    conn.send(&pattern(10_000)).unwrap();
    input(&mut conn, at(31), &sack_ack(&[(4000, 5000), (1000, 3000)]));
    // Third duplicate: recovery, and the first hole goes out at once.
    // What goes out at `now`, as (offset from the first byte, length).
    let sent = |conn: &mut Connection, now| -> Vec<(u32, usize)> {
        drain(conn, now)
            .iter()
            .map(|s| (s.seq - L, s.payload.len()))
            .collect()
    };
    assert_eq!(sent(&mut conn, at(31)), [(0, 1000)]);
    assert_eq!((conn.ssthresh(), conn.cwnd()), (5000, 5000));
    // Segment 5 SACKed: pipe = 10000 − 4000 SACKed − 1000 lost = 5000, no room.
    input(&mut conn, at(32), &sack_ack(&[(4000, 6000), (1000, 3000)]));
    expect_nothing(&mut conn, at(32));
    // Segment 6: room for one segment, which is the second hole.
    input(&mut conn, at(33), &sack_ack(&[(4000, 7000), (1000, 3000)]));
    assert_eq!(sent(&mut conn, at(33)), [(3000, 1000)]);
    // Segment 7: no holes left, so new data.
    input(&mut conn, at(34), &sack_ack(&[(4000, 8000), (1000, 3000)]));
    let fresh = drain(&mut conn, at(34));
    assert_eq!(
        fresh.iter().map(|s| s.seq - L).collect::<Vec<_>>(),
        [10_000]
    );
    // The retransmissions arrive: everything is acknowledged, recovery ends.
    input(&mut conn, at(50), &Seg::new(P, L + 10_000, ACK));
    assert_eq!(conn.stats().retransmits, 2);
    assert_eq!(conn.stats().fast_retransmits, 1);
    assert!(conn.cwnd() <= 5000);
}

/// Half the sequence space after the last fast recovery, or after the
/// handshake with none yet, three duplicate ACKs still start fast
/// retransmit. The NewReno recovery point sits behind `SND.UNA` once
/// passed; if it stayed put while 2 GiB went by, modular comparison would
/// put it ahead again and every loss would wait for the RTO.
#[test]
fn fast_retransmit_still_works_two_gib_later() {
    const SEGMENT: usize = 60_000;
    for earlier_recovery in [false, true] {
        let mut conn = client(Config {
            congestion: crate::tcp::CongestionAlgorithm::NewReno,
            mss: Some(SEGMENT as u16),
            mtu: 65_535,
            checksum_offload: true,
            ..plain()
        });
        let mut buf = alloc::vec![0u8; 65_536];
        // Emits what the connection has to send; returns the payload
        // bytes and the sequence number of the first data segment.
        let mut emit = |conn: &mut Connection, now| {
            let (mut bytes, mut first) = (0, None);
            while let Some(n) = conn.poll_transmit(now, &mut buf) {
                let seg = TcpRepr::parse_segment(
                    &buf[..n],
                    LOCAL.ip(),
                    REMOTE.ip(),
                    crate::wire::ChecksumMode::OFFLOADED,
                )
                .unwrap();
                if !seg.payload.is_empty() {
                    first.get_or_insert(seg.seq);
                }
                bytes += seg.payload.len();
            }
            (bytes, first)
        };
        emit(&mut conn, at(0));
        let mut synack = Seg::new(PEER_ISS, ISS + 1, SYN | ACK);
        synack.mss = Some(SEGMENT as u16);
        input(&mut conn, at(10), &synack);
        emit(&mut conn, at(10));
        let chunk = alloc::vec![7u8; SEGMENT];
        let mut acked = ISS.wrapping_add(1);
        let ack = |acked: u32| Seg::new(PEER_ISS + 1, acked, ACK);
        if earlier_recovery {
            conn.send(&chunk).unwrap();
            emit(&mut conn, at(11));
            for _ in 0..3 {
                input(&mut conn, at(12), &ack(acked));
            }
            assert_eq!(emit(&mut conn, at(12)), (SEGMENT, Some(acked)));
            assert_eq!(conn.stats().fast_retransmits, 1);
            acked = acked.wrapping_add(SEGMENT as u32);
            input(&mut conn, at(13), &ack(acked));
        }
        // Half the sequence space and a little more, one segment a round.
        let mut moved = 0u64;
        let mut now = at(20);
        while moved < (1 << 31) + 4 * SEGMENT as u64 {
            conn.send(&chunk).unwrap();
            let (bytes, _) = emit(&mut conn, now);
            assert_eq!(bytes, SEGMENT);
            acked = acked.wrapping_add(SEGMENT as u32);
            input(&mut conn, now, &ack(acked));
            moved += SEGMENT as u64;
            now += ms(1);
        }
        assert_eq!(conn.unacknowledged(), 0);
        // Now a segment is lost: three duplicate ACKs bring it back at once.
        conn.send(&chunk).unwrap();
        emit(&mut conn, now);
        for _ in 0..3 {
            input(&mut conn, now, &ack(acked));
        }
        assert_eq!(
            emit(&mut conn, now),
            (SEGMENT, Some(acked)),
            "earlier recovery: {earlier_recovery}"
        );
        let fast = conn.stats().fast_retransmits;
        assert_eq!(fast, 1 + u64::from(earlier_recovery));
    }
}

/// RFC 2883: data received twice is reported in the first SACK block of
/// the ACK it triggers (D-SACK), once, whether it lies below `RCV.NXT`,
/// partly below it, or among data held out of order; in that last case the
/// block holding it follows.
#[test]
fn duplicate_data_is_reported_with_dsack() {
    const P: u32 = PEER_ISS + 1;
    let data = |seq: u32, fill: u8| Seg::new(seq, ISS + 1, ACK).data(&[fill; 1000]);
    let mut conn = established_sack();
    input(&mut conn, at(20), &data(P, 1));
    assert!(drain(&mut conn, at(20))[0].sack.is_empty());
    // The same segment again, all of it below RCV.NXT.
    input(&mut conn, at(21), &data(P, 1));
    let ack = output(&mut conn, at(21)).unwrap();
    assert_eq!(
        (ack.ack, ack.sack.as_slice()),
        (P + 1000, &[(P, P + 1000)][..])
    );
    expect_nothing(&mut conn, at(21));
    // Reported once: the next ACK has no SACK blocks.
    input(&mut conn, at(22), &data(P + 1000, 2));
    let ack = output(&mut conn, at(22)).unwrap();
    assert_eq!((ack.ack, ack.sack.len()), (P + 2000, 0));
    // Half old: only the old half is a duplicate.
    input(&mut conn, at(23), &data(P + 1500, 3));
    let ack = output(&mut conn, at(23)).unwrap();
    assert_eq!(
        (ack.ack, ack.sack.as_slice()),
        (P + 2500, &[(P + 1500, P + 2000)][..])
    );
    // Out of order, after a hole, twice.
    input(&mut conn, at(24), &data(P + 3500, 4));
    let ack = output(&mut conn, at(24)).unwrap();
    assert_eq!(
        (ack.ack, ack.sack.as_slice()),
        (P + 2500, &[(P + 3500, P + 4500)][..])
    );
    input(&mut conn, at(25), &data(P + 3500, 4));
    let ack = output(&mut conn, at(25)).unwrap();
    assert_eq!(ack.sack, [(P + 3500, P + 4500), (P + 3500, P + 4500)]);
    // Filling the hole: plain cumulative ACK, nothing held, nothing twice.
    input(&mut conn, at(26), &data(P + 2500, 5));
    let ack = output(&mut conn, at(26)).unwrap();
    assert_eq!((ack.ack, ack.sack.len()), (P + 4500, 0));
    let mut buf = [0u8; 8000];
    assert_eq!(conn.recv(&mut buf), 4500);
    assert_eq!(buf[3500..4500], [4; 1000]);
}

/// A D-SACK block riding on a data segment takes its room from the
/// payload, so the segment still fits the peer's MSS; without SACK a
/// duplicate is acknowledged with no SACK option at all.
#[test]
fn dsack_on_data_segments_and_none_without_sack() {
    const P: u32 = PEER_ISS + 1;
    let data = |seq: u32| Seg::new(seq, ISS + 1, ACK).data(&[9; 700]);
    let mut conn = established_sack();
    input(&mut conn, at(20), &data(P));
    drain(&mut conn, at(20));
    conn.send(&pattern(3000)).unwrap();
    input(&mut conn, at(21), &data(P));
    let first = output(&mut conn, at(21)).unwrap();
    assert_eq!(first.sack, [(P, P + 700)]);
    // 1000-byte MSS, 12 bytes of SACK option.
    assert_eq!(first.payload.len(), 988);
    let rest = drain(&mut conn, at(21));
    assert!(
        rest.iter()
            .all(|s| s.sack.is_empty() && s.payload.len() <= 1000)
    );
    let mut conn = established(plain());
    input(&mut conn, at(20), &data(P));
    drain(&mut conn, at(20));
    input(&mut conn, at(21), &data(P));
    let ack = output(&mut conn, at(21)).unwrap();
    assert_eq!((ack.ack, ack.sack.len()), (P + 700, 0));
}

/// A duplicate refused by PAWS (RFC 7323 §5.3) is reported with D-SACK too;
/// a segment refused by PAWS whose data lies above `RCV.NXT` is not data
/// this end holds, and gets no D-SACK block.
#[test]
fn paws_duplicates_are_reported_with_dsack() {
    const P: u32 = PEER_ISS + 1;
    let mut conn = client(Config {
        sack: true,
        timestamps: true,
        ..plain()
    });
    output(&mut conn, at(0)).unwrap();
    let mut synack = Seg::new(PEER_ISS, ISS + 1, SYN | ACK);
    synack.mss = Some(1000);
    synack.sack_permitted = true;
    synack.ts = Some((100, 1));
    input(&mut conn, at(10), &synack);
    drain(&mut conn, at(10));
    let data = |seq: u32, tsval: u32| Seg {
        ts: Some((tsval, 1)),
        ..Seg::new(seq, ISS + 1, ACK).data(&[1; 500])
    };
    input(&mut conn, at(20), &data(P, 200));
    drain(&mut conn, at(20));
    // The same data with an older timestamp: PAWS drops it as a duplicate.
    input(&mut conn, at(21), &data(P, 150));
    let ack = output(&mut conn, at(21)).unwrap();
    assert_eq!(
        (ack.ack, ack.sack.as_slice()),
        (P + 500, &[(P, P + 500)][..])
    );
    // New data with an old timestamp: dropped, acknowledged, not D-SACKed.
    input(&mut conn, at(22), &data(P + 500, 150));
    let ack = output(&mut conn, at(22)).unwrap();
    assert_eq!((ack.ack, ack.sack.len()), (P + 500, 0));
    assert_eq!(conn.readable(), 500);
}

/// Established with timestamps and NewReno (round numbers), no SACK; the
/// peer's clock is at 1000. Data segments carry 988 bytes (1000 minus the
/// timestamp option).
pub(super) fn established_ts() -> Connection {
    established_newreno(false, true)
}

/// [`established_ts`] with SACK as well.
pub(super) fn established_sack_ts() -> Connection {
    established_newreno(true, true)
}

/// An ACK from the peer with timestamps: `tsecr` is what it echoes.
pub(super) fn ack_ts(ack: u32, tsecr: u32) -> Seg {
    Seg {
        ts: Some((1001, tsecr)),
        ..Seg::new(PEER_ISS + 1, ack, ACK)
    }
}

/// Reordering makes three duplicate ACKs, fast retransmit halves the
/// window, and then the ACK for everything echoes the timestamp of the
/// first segment's original transmission: it was late, not lost, and the
/// halving is undone (RFC 3522). Had the ACK echoed the retransmission's
/// timestamp, the loss would have been real and the halving stands.
#[test]
fn a_spurious_fast_retransmit_is_undone() {
    for spurious in [true, false] {
        let mut conn = established_ts();
        conn.send(&pattern(8 * 988)).unwrap();
        let sent = drain(&mut conn, at(100));
        let total: u32 = sent.iter().map(|s| s.payload.len() as u32).sum();
        let original = sent[0].ts.unwrap().0;
        let (cwnd, ssthresh) = (conn.cwnd(), conn.ssthresh());
        assert_eq!(ssthresh, usize::MAX);
        for _ in 0..3 {
            input(&mut conn, at(150), &ack_ts(ISS + 1, original));
        }
        let rexmit = output(&mut conn, at(150)).unwrap();
        assert_eq!(rexmit.seq, ISS + 1);
        let retransmitted = rexmit.ts.unwrap().0;
        assert!(retransmitted > original);
        assert!(conn.ssthresh() < ssthresh);
        let echo = if spurious { original } else { retransmitted };
        input(&mut conn, at(160), &ack_ts(ISS + 1 + total, echo));
        let stats = conn.stats();
        if spurious {
            assert_eq!(stats.undos, 1);
            assert_eq!(conn.ssthresh(), usize::MAX);
            assert!(conn.cwnd() >= cwnd, "{} < {cwnd}", conn.cwnd());
        } else {
            assert_eq!(stats.undos, 0);
            assert!(conn.ssthresh() < ssthresh);
            assert!(conn.cwnd() < cwnd);
        }
        assert_eq!(stats.fast_retransmits, 1);
    }
}

/// A delay spike fires the retransmission timer; the ACK that follows
/// echoes the original first segment's timestamp, so the timeout was
/// spurious: the window comes back from one segment, and sending carries
/// on from `SND.MAX` instead of going back over segments the peer holds.
#[test]
fn a_spurious_timeout_is_undone_without_going_back() {
    let mut conn = established_ts();
    conn.send(&pattern(4 * 988)).unwrap();
    let sent = drain(&mut conn, at(100));
    assert_eq!(sent.len(), 4);
    let original = sent[0].ts.unwrap().0;
    let cwnd = conn.cwnd();
    let rto_at = conn.timer(Timer::Retransmit).unwrap();
    conn.handle_timeout(rto_at);
    let rexmit = drain(&mut conn, rto_at);
    assert_eq!((rexmit.len(), rexmit[0].seq), (1, ISS + 1));
    assert_eq!(conn.cwnd(), 988);
    // The original first segment was acknowledged, late.
    input(&mut conn, rto_at + ms(5), &ack_ts(ISS + 1 + 988, original));
    assert_eq!(conn.stats().undos, 1);
    // Back to the window before the timeout, which the ACK then grows in
    // slow start.
    assert_eq!((conn.cwnd(), conn.ssthresh()), (cwnd + 988, usize::MAX));
    // Segments 2 to 4 are still in flight from their first transmission.
    expect_nothing(&mut conn, rto_at + ms(5));
    input(
        &mut conn,
        rto_at + ms(6),
        &ack_ts(ISS + 1 + 4 * 988, original),
    );
    assert_eq!(conn.unacknowledged(), 0);
    assert_eq!(conn.stats().retransmits, 1);
}

/// The same timeout, but the ACK echoes the retransmission: the loss was
/// real, and the window stays collapsed and grows from one segment.
#[test]
fn a_real_timeout_is_not_undone() {
    let mut conn = established_ts();
    conn.send(&pattern(4 * 988)).unwrap();
    drain(&mut conn, at(100));
    let rto_at = conn.timer(Timer::Retransmit).unwrap();
    conn.handle_timeout(rto_at);
    let rexmit = drain(&mut conn, rto_at);
    let echo = rexmit[0].ts.unwrap().0;
    input(&mut conn, rto_at + ms(5), &ack_ts(ISS + 1 + 988, echo));
    assert_eq!(conn.stats().undos, 0);
    assert!(conn.ssthresh() < usize::MAX);
    assert_eq!(conn.cwnd(), 2 * 988);
    // Go-back-N: the next segment goes again.
    let next = drain(&mut conn, rto_at + ms(5));
    assert_eq!(next[0].seq, ISS + 1 + 988);
}

/// With SACK, only ACKs that report newly SACKed data count as duplicates
/// (RFC 6675 §2): copies of an ACK made by the path, and ACKs carrying only
/// a D-SACK block below `SND.UNA`, do not start fast retransmit.
#[test]
fn with_sack_only_new_sack_information_makes_a_duplicate() {
    const L: u32 = ISS + 1;
    const P: u32 = PEER_ISS + 1;
    let mut conn = established_sack();
    conn.send(&pattern(10_000)).unwrap();
    drain(&mut conn, at(10));
    input(&mut conn, at(30), &sack_ack(&[(1000, 2000)]));
    // The path repeats that ACK; a D-SACK for old data says nothing new.
    input(&mut conn, at(30), &sack_ack(&[(1000, 2000)]));
    input(&mut conn, at(30), &sack_ack(&[(1000, 2000)]));
    input(
        &mut conn,
        at(30),
        &Seg {
            sack: alloc::vec![(L - 500, L)],
            ..Seg::new(P, L, ACK)
        },
    );
    expect_nothing(&mut conn, at(30));
    assert_eq!(conn.stats().dup_acks, 1);
    // Two more segments arrive past the hole: the third duplicate.
    input(&mut conn, at(31), &sack_ack(&[(1000, 3000)]));
    input(&mut conn, at(31), &sack_ack(&[(1000, 4000)]));
    let rexmit = output(&mut conn, at(31)).unwrap();
    assert_eq!((rexmit.seq, rexmit.payload.len()), (L, 1000));
    assert_eq!(conn.stats().dup_acks, 3);
    assert_eq!(conn.stats().fast_retransmits, 1);
}

/// Limited transmit (RFC 3042): with the window full and data waiting, the
/// first two duplicate ACKs each let one new segment out; the third starts
/// fast retransmit, and ssthresh is half the flight without those two.
#[test]
fn limited_transmit_sends_new_data_on_the_first_duplicates() {
    let mut conn = established(newreno());
    conn.send(&pattern(14_000)).unwrap();
    assert_eq!(drain(&mut conn, at(10)).len(), 10);
    let dup = Seg::new(PEER_ISS + 1, ISS + 1, ACK);
    for k in 0..2 {
        input(&mut conn, at(30), &dup);
        let sent = drain(&mut conn, at(30));
        assert_eq!(sent.len(), 1, "duplicate {}", k + 1);
        assert_eq!(sent[0].seq, ISS + 1 + 10_000 + k * 1000);
        assert_eq!(sent[0].payload.len(), 1000);
        assert_eq!(conn.cwnd(), 10_000);
    }
    input(&mut conn, at(30), &dup);
    let sent = drain(&mut conn, at(30));
    assert_eq!(sent[0].seq, ISS + 1);
    assert_eq!(conn.stats().fast_retransmits, 1);
    assert_eq!(conn.ssthresh(), 5000);
}

/// Limited transmit stays inside the peer's window.
#[test]
fn limited_transmit_respects_the_peer_window() {
    let mut conn = established(newreno());
    let small = Seg {
        window: 10_000,
        ..Seg::new(PEER_ISS + 1, ISS + 1, ACK)
    };
    input(&mut conn, at(5), &small);
    conn.send(&pattern(14_000)).unwrap();
    assert_eq!(drain(&mut conn, at(10)).len(), 10);
    for _ in 0..2 {
        input(&mut conn, at(30), &small);
        expect_nothing(&mut conn, at(30));
    }
    input(&mut conn, at(30), &small);
    assert_eq!(output(&mut conn, at(30)).unwrap().seq, ISS + 1);
}

/// RFC 6582 §3.2 step 1: duplicate ACKs start a new fast retransmit once
/// the cumulative ACK covers more than `recover`, the highest sequence
/// number sent when the last recovery began: once it reaches `SND.MAX` as
/// it was then. The first segment sent during that recovery starts right
/// there; when it is lost, the duplicates acknowledge exactly that point,
/// and the loss must still be repaired at once rather than by the RTO.
#[test]
fn a_loss_right_at_the_last_recovery_point_starts_a_new_recovery() {
    const L: u32 = ISS + 1;
    let at_ack = |ack: u32, blocks: &[(u32, u32)]| Seg {
        ack: L + ack,
        ..sack_ack(blocks)
    };
    let sent = |conn: &mut Connection, now| -> Vec<u32> {
        drain(conn, now).iter().map(|s| s.seq - L).collect()
    };
    let mut conn = established_sack();
    conn.send(&pattern(40_000)).unwrap();
    assert_eq!(sent(&mut conn, at(10)).len(), 10);
    // The first segment is lost: limited transmit sends 10000 and 11000,
    // the third duplicate resends it, with SND.MAX at 12000.
    for (end, out) in [(2000, 10_000), (3000, 11_000), (4000, 0)] {
        input(&mut conn, at(30), &sack_ack(&[(1000, end)]));
        assert_eq!(sent(&mut conn, at(30)), [out]);
    }
    // More SACKs let out 12000 and 13000; then the retransmission
    // arrives: everything up to the recovery point is acknowledged.
    for end in (5000..=10_000).step_by(1000) {
        input(&mut conn, at(40), &sack_ack(&[(1000, end)]));
        drain(&mut conn, at(40));
    }
    input(&mut conn, at(50), &at_ack(12_000, &[]));
    assert!(!conn.cc.in_recovery());
    let mut high = 14_000;
    for seq in sent(&mut conn, at(50)) {
        high = high.max(seq + 1000);
    }
    // 12000 is lost; everything after it arrives, each segment drawing a
    // duplicate ACK (limited transmit sends one more for each). By the
    // second, three segments above it are SACKed (RFC 6675 `IsLost`) and
    // it is resent.
    let mut resent_on = None;
    for dup in 1..=3 {
        input(&mut conn, at(60), &at_ack(12_000, &[(13_000, high)]));
        let out = sent(&mut conn, at(60));
        if out.contains(&12_000) {
            resent_on = Some(dup);
            break;
        }
        for seq in out {
            high = high.max(seq + 1000);
        }
    }
    assert_eq!(resent_on, Some(2));
    let stats = conn.stats();
    assert_eq!((stats.fast_retransmits, stats.timeouts), (2, 0));
}

/// A fast retransmit undone on a partial ACK (the original of the first
/// segment arrived, its timestamp echoed) leaves `SND.UNA` short of the
/// recovery point it set. With SACK, a real loss just after it must still
/// start fast retransmit: the guard against the response's own duplicates
/// went with the response.
#[test]
fn a_loss_after_an_undone_response_is_still_fast_retransmitted() {
    const L: u32 = ISS + 1;
    const SEG: u32 = 988;
    let mut conn = established_sack_ts();
    conn.send(&pattern(10 * SEG as usize)).unwrap();
    let sent = drain(&mut conn, at(100));
    assert_eq!(sent.len(), 10);
    let original = sent[0].ts.unwrap().0;
    // Segment 0 is late: segments 1 to 3 are SACKed first.
    let sack_ts = |ack: u32, blocks: &[(u32, u32)]| Seg {
        sack: blocks
            .iter()
            .map(|&(a, b)| (L + a * SEG, L + b * SEG))
            .collect(),
        ..ack_ts(L + ack * SEG, original)
    };
    for k in 2..=4 {
        input(&mut conn, at(150), &sack_ts(0, &[(1, k)]));
    }
    assert_eq!(drain(&mut conn, at(150))[0].seq, L);
    assert_eq!(conn.stats().fast_retransmits, 1);
    // The original arrives; segment 5 is lost. The ACK up to 5 echoes the
    // original's timestamp: the response is undone.
    input(&mut conn, at(160), &sack_ts(5, &[(6, 8)]));
    assert_eq!(conn.stats().undos, 1);
    assert!(!conn.cc.in_recovery());
    drain(&mut conn, at(160));
    // 6 to 9 arrive: segment 5 is resent at once.
    input(&mut conn, at(170), &sack_ts(5, &[(6, 9)]));
    let out = drain(&mut conn, at(170));
    assert_eq!(out.first().map(|s| s.seq), Some(L + 5 * SEG), "{out:?}");
    assert_eq!(conn.stats().fast_retransmits, 2);
    assert_eq!(conn.stats().timeouts, 0);
}

/// An ACK that moves `SND.UNA` can already SACK enough data past it to
/// show the next segment lost. When nothing else is in flight no
/// duplicate ACK will follow, so that ACK itself must start the fast
/// retransmit, or the loss waits for a probe or the RTO.
#[test]
fn an_advancing_ack_whose_sacks_show_a_loss_starts_recovery() {
    const L: u32 = ISS + 1;
    let mut conn = established_sack();
    conn.send(&pattern(5000)).unwrap();
    assert_eq!(drain(&mut conn, at(10)).len(), 5);
    // Segment 0 arrives, 1 is lost, 2 to 4 arrive: one ACK says it all.
    let seg = Seg {
        ack: L + 1000,
        ..sack_ack(&[(2000, 5000)])
    };
    input(&mut conn, at(30), &seg);
    let out = drain(&mut conn, at(30));
    assert_eq!(out.first().map(|s| s.seq), Some(L + 1000), "{out:?}");
    assert_eq!(conn.stats().fast_retransmits, 1);
}
