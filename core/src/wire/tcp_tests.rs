//! Tests for the TCP view and representation.

use super::*;
use core::net::{Ipv4Addr, Ipv6Addr};

const SRC: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const DST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A SYN captured from Linux on loopback (127.0.0.1:57068 -> :52551), with
/// the checksum field completed (loopback leaves a partial checksum, fe30).
const SYN: [u8; 40] = [
    0xde, 0xec, 0xcd, 0x47, 0x7f, 0x62, 0x14, 0xed, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xff, 0xd7,
    0xf4, 0x22, 0x00, 0x00, 0x02, 0x04, 0xff, 0xd7, 0x04, 0x02, 0x08, 0x0a, 0x8e, 0xab, 0x8c, 0xac,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
];

fn syn_repr() -> Repr<'static> {
    Repr {
        src_port: 57068,
        dst_port: 52551,
        seq: 0x7f6214ed,
        ack: 0,
        flags: Flags::SYN,
        window: 65495,
        urgent: 0,
        mss: Some(65495),
        window_scale: Some(10),
        sack_permitted: true,
        sack_ranges: [None; 4],
        timestamp: Some((0x8eab8cac, 0)),
        payload: &[],
    }
}

/// A data segment with NOP NOP TS, built by hand.
fn data_segment() -> ([u8; 37], Repr<'static>) {
    let mut b = [0u8; 37];
    b[..32].copy_from_slice(&[
        0x30, 0x39, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x80, 0x18, 0x01,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00,
        0x00, 0x05,
    ]);
    b[32..].copy_from_slice(b"hello");
    let repr = Repr {
        src_port: 12345,
        dst_port: 80,
        seq: 1,
        ack: 2,
        flags: Flags::PSH | Flags::ACK,
        window: 256,
        timestamp: Some((7, 5)),
        payload: b"hello",
        ..Repr::default()
    };
    (b, repr)
}

#[test]
fn deconstruct() {
    let p = Packet::new_checked(&SYN[..]).unwrap();
    assert_eq!(p.src_port(), 57068);
    assert_eq!(p.dst_port(), 52551);
    assert_eq!(p.seq_number(), 0x7f6214ed);
    assert_eq!(p.ack_number(), 0);
    assert_eq!(p.header_len(), 40);
    assert_eq!(p.reserved_bits(), 0);
    assert_eq!(p.flags(), Flags::SYN);
    assert!(p.syn() && !p.ack() && !p.fin() && !p.rst());
    assert!(!p.psh() && !p.urg() && !p.ece() && !p.cwr());
    assert_eq!(p.window_len(), 65495);
    assert_eq!(p.checksum(), 0xf422);
    assert_eq!(p.urgent_at(), 0);
    assert_eq!(p.options(), &SYN[20..]);
    assert_eq!(p.options_iter().count(), 5);
    assert!(p.payload().is_empty());
    assert_eq!(p.segment_len(), 1);
    assert!(p.verify_checksum(SRC, DST));
}

#[test]
fn construct() {
    let mut b = [0u8; 40];
    let mut p = Packet::new_unchecked(&mut b[..]);
    p.set_src_port(57068);
    p.set_dst_port(52551);
    p.set_seq_number(0x7f6214ed);
    p.set_ack_number(0);
    p.set_header_len(40);
    p.set_flags(Flags::SYN);
    p.set_window_len(65495);
    p.set_urgent_at(0);
    p.options_mut().copy_from_slice(&SYN[20..]);
    p.fill_checksum(SRC, DST);
    assert_eq!(b, SYN);
}

#[test]
fn parse() {
    let p = Packet::new_checked(&SYN[..]).unwrap();
    assert_eq!(
        Repr::parse(&p, SRC, DST, ChecksumMode::FULL),
        Ok(syn_repr())
    );
    let (bytes, repr) = data_segment();
    let parsed = Repr::parse_segment(&bytes, SRC, DST, ChecksumMode::OFFLOADED).unwrap();
    assert_eq!(parsed, repr);
    assert_eq!(parsed.segment_len(), 5);
}

#[test]
fn emit() {
    let repr = syn_repr();
    assert_eq!(repr.header_len(), 40);
    assert_eq!(repr.buffer_len(), 40);
    let mut b = [0xffu8; 40];
    repr.emit(
        &mut Packet::new_unchecked(&mut b[..]),
        SRC,
        DST,
        ChecksumMode::FULL,
    );
    assert_eq!(b, SYN);

    let (expected, repr) = data_segment();
    let mut b = [0xffu8; 37];
    repr.emit(
        &mut Packet::new_unchecked(&mut b[..]),
        SRC,
        DST,
        ChecksumMode::OFFLOADED,
    );
    assert_eq!(b, expected);
}

#[test]
fn truncated() {
    for len in 0..40 {
        assert_eq!(
            Packet::new_checked(&SYN[..len]).err(),
            Some(Error::Truncated),
            "len {len}"
        );
        assert!(Repr::parse_segment(&SYN[..len], SRC, DST, ChecksumMode::OFFLOADED).is_err());
    }
}

#[test]
fn impossible_length() {
    for offset in 0..5u8 {
        let mut b = SYN;
        b[12] = offset << 4;
        assert_eq!(Packet::new_checked(&b[..]).err(), Some(Error::Malformed));
    }
    let mut b = SYN;
    b[12] = 0xf0; // 60-byte header in a 40-byte buffer
    assert_eq!(Packet::new_checked(&b[..]).err(), Some(Error::Truncated));
}

#[test]
fn checksum_checked_unless_offloaded() {
    let mut b = SYN;
    b[17] ^= 0x01;
    assert_eq!(
        Repr::parse_segment(&b, SRC, DST, ChecksumMode::FULL),
        Err(Error::Checksum)
    );
    assert_eq!(
        Repr::parse_segment(&b, SRC, DST, ChecksumMode::OFFLOADED),
        Ok(syn_repr())
    );
    // Wrong addresses give a wrong pseudo-header.
    let other = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    assert_eq!(
        Repr::parse_segment(&SYN, other, DST, ChecksumMode::FULL),
        Err(Error::Checksum)
    );
}

#[test]
fn partial_checksum_matches_linux() {
    // Linux loopback put fe30 in the field: the pseudo-header sum.
    let mut b = SYN;
    Packet::new_unchecked(&mut b[..]).fill_partial_checksum(SRC, DST);
    assert_eq!(Packet::new_unchecked(&b[..]).checksum(), 0xfe30);
}

#[test]
fn zero_ports_rejected() {
    for at in [0, 2] {
        let mut b = SYN;
        b[at] = 0;
        b[at + 1] = 0;
        assert_eq!(
            Repr::parse_segment(&b, SRC, DST, ChecksumMode::OFFLOADED),
            Err(Error::Malformed)
        );
    }
}

/// A segment with `options` (padded by the caller to a multiple of 4).
fn with_options(options: &[u8]) -> alloc::vec::Vec<u8> {
    let mut b = SYN[..20].to_vec();
    b[12] = (((20 + options.len()) / 4) as u8) << 4;
    b.extend_from_slice(options);
    b
}

fn parse_options(options: &[u8]) -> Result<Repr<'static>, Error> {
    let b = alloc::vec::Vec::leak(with_options(options));
    Repr::parse_segment(b, SRC, DST, ChecksumMode::OFFLOADED)
}

#[test]
fn option_edge_cases() {
    // Unknown kinds skipped, NOPs skipped, bytes after EOL ignored (even
    // invalid ones).
    let r = parse_options(&[1, 30, 3, 0, 2, 4, 5, 0xb4, 0, 2, 0, 0]).unwrap();
    assert_eq!(r.mss, Some(1460));
    let r = parse_options(&[0, 2, 0, 0]).unwrap();
    assert_eq!(r.mss, None);
    // Duplicates: the last one wins.
    let r = parse_options(&[2, 4, 0, 1, 2, 4, 0, 2]).unwrap();
    assert_eq!(r.mss, Some(2));
    // Window scale above 14 is kept raw.
    let r = parse_options(&[1, 3, 3, 15]).unwrap();
    assert_eq!(r.window_scale, Some(15));

    let bad: &[&[u8]] = &[
        &[30, 0, 0, 0], // length 0
        &[30, 1, 0, 0], // length 1
        &[1, 1, 1, 2],  // length byte missing at the end of the header
        &[1, 1, 30, 3], // runs past the header
        &[2, 3, 0, 0],  // MSS with length 3
        &[3, 4, 0, 0],  // window scale with length 4
        &[4, 4, 0, 0],  // SACK-permitted with length 4
        &[5, 4, 0, 0],  // SACK with no whole block
        &[8, 4, 0, 0],  // timestamps with length 4
    ];
    for options in bad {
        assert_eq!(parse_options(options), Err(Error::Malformed), "{options:?}");
    }
    // An option may not run into the payload.
    let mut b = with_options(&[1, 1, 1, 2]);
    b.extend_from_slice(&[4, 0, 0, 0]);
    assert_eq!(
        Repr::parse_segment(&b, SRC, DST, ChecksumMode::OFFLOADED),
        Err(Error::Malformed)
    );
}

#[test]
fn timestamps_only_layout() {
    // The shortcut for NOP, NOP, timestamps agrees with the general walk
    // over the same option in other places.
    let ts = [8, 10, 1, 2, 3, 4, 0xa, 0xb, 0xc, 0xd];
    let fast = parse_options(&[&[1, 1][..], &ts].concat()).unwrap();
    let walked = parse_options(&[&ts[..], &[1, 0]].concat()).unwrap();
    assert_eq!(fast.timestamp, Some((0x0102_0304, 0x0a0b_0c0d)));
    assert_eq!(fast.timestamp, walked.timestamp);
    assert_eq!(
        (fast.mss, fast.window_scale, fast.sack_permitted),
        (None, None, false)
    );
    // A malformed variant of the same bytes still fails.
    assert_eq!(
        parse_options(&[1, 1, 8, 11, 1, 2, 3, 4, 5, 6, 7, 8]),
        Err(Error::Malformed)
    );
    // Emitting timestamps alone writes that layout, and every other
    // combination still goes through the general path.
    let repr = Repr {
        src_port: 1,
        dst_port: 2,
        timestamp: Some((7, 9)),
        ..Repr::default()
    };
    let mut b = [0xffu8; 32];
    repr.emit_header(
        &mut Packet::new_unchecked(&mut b[..]),
        0,
        SRC,
        DST,
        ChecksumMode::FULL,
    );
    assert_eq!(b[20..32], [1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9]);
    let with_sack = Repr {
        sack_ranges: [None, Some((1, 2)), None, None],
        ..repr
    };
    assert_eq!(with_sack.header_len(), 20 + 12 + 12);
    let mut b = [0u8; 44];
    with_sack.emit_header(
        &mut Packet::new_unchecked(&mut b[..]),
        0,
        SRC,
        DST,
        ChecksumMode::FULL,
    );
    let back = Repr::parse_segment(&b, SRC, DST, ChecksumMode::FULL).unwrap();
    assert_eq!(back.timestamp, Some((7, 9)));
    assert_eq!(back.sack_ranges[0], Some((1, 2)));
}

#[test]
fn sack_blocks_round_trip_and_fit() {
    let full = [Some((1, 2)), Some((3, 4)), Some((5, 6)), Some((7, 8))];
    let repr = Repr {
        src_port: 1,
        dst_port: 2,
        flags: Flags::ACK,
        sack_ranges: full,
        ..Repr::default()
    };
    assert_eq!(repr.header_len(), 20 + 36);
    let mut b = [0u8; 56];
    repr.emit(
        &mut Packet::new_unchecked(&mut b[..]),
        SRC,
        DST,
        ChecksumMode::FULL,
    );
    assert_eq!(
        Repr::parse_segment(&b, SRC, DST, ChecksumMode::FULL),
        Ok(repr)
    );

    // With timestamps only three blocks fit; the fourth is left out.
    let with_ts = Repr {
        timestamp: Some((9, 9)),
        ..repr
    };
    assert_eq!(with_ts.header_len(), 60);
    let mut b = [0u8; 60];
    with_ts.emit(
        &mut Packet::new_unchecked(&mut b[..]),
        SRC,
        DST,
        ChecksumMode::FULL,
    );
    let parsed = Repr::parse_segment(&b, SRC, DST, ChecksumMode::FULL).unwrap();
    assert_eq!(parsed.sack_ranges, [full[0], full[1], full[2], None]);

    // Everything at once still fits in 60 bytes.
    let all = Repr {
        mss: Some(1),
        window_scale: Some(2),
        sack_permitted: true,
        ..with_ts
    };
    assert!(all.header_len() <= MAX_HEADER_LEN);
    assert_eq!(all.header_len() % 4, 0);

    // Holes in the array are closed up on emit.
    let holes = Repr {
        sack_ranges: [None, Some((1, 2)), None, Some((3, 4))],
        ..repr
    };
    assert_eq!(holes.buffer_len(), 40);
    let mut b = [0u8; 40];
    holes.emit(
        &mut Packet::new_unchecked(&mut b[..]),
        SRC,
        DST,
        ChecksumMode::FULL,
    );
    let parsed = Repr::parse_segment(&b, SRC, DST, ChecksumMode::FULL).unwrap();
    assert_eq!(parsed.sack_ranges, [Some((1, 2)), Some((3, 4)), None, None]);
}

#[test]
fn option_layouts_are_aligned() {
    for bits in 0..16u8 {
        let repr = Repr {
            src_port: 1,
            dst_port: 2,
            mss: (bits & 1 != 0).then_some(536),
            window_scale: (bits & 2 != 0).then_some(7),
            sack_permitted: bits & 4 != 0,
            timestamp: (bits & 8 != 0).then_some((1, 2)),
            payload: b"xyz",
            ..Repr::default()
        };
        assert_eq!(repr.header_len() % 4, 0);
        let mut b = [0u8; 64];
        let n = repr.buffer_len();
        repr.emit(
            &mut Packet::new_unchecked(&mut b[..n]),
            SRC,
            DST,
            ChecksumMode::FULL,
        );
        assert_eq!(
            Repr::parse_segment(&b[..n], SRC, DST, ChecksumMode::FULL),
            Ok(repr)
        );
    }
}

#[test]
fn emit_header_in_place() {
    let (expected, repr) = data_segment();
    let mut b = [0u8; 40];
    b[32..37].copy_from_slice(b"hello");
    let header_only = Repr {
        payload: &[],
        ..repr
    };
    assert_eq!(header_only.header_len(), 32);
    header_only.emit_header(
        &mut Packet::new_unchecked(&mut b[..]),
        5,
        SRC,
        DST,
        ChecksumMode::FULL,
    );
    let parsed = Repr::parse_segment(&b[..37], SRC, DST, ChecksumMode::FULL).unwrap();
    assert_eq!(parsed, repr);
    assert_eq!(&b[..12], &expected[..12]);
}

#[test]
fn ipv6_checksum() {
    let src = IpAddr::V6(Ipv6Addr::LOCALHOST);
    let dst = IpAddr::V6("2001:db8::2".parse().unwrap());
    let (_, repr) = data_segment();
    let mut b = [0u8; 37];
    repr.emit(
        &mut Packet::new_unchecked(&mut b[..]),
        src,
        dst,
        ChecksumMode::FULL,
    );
    assert!(
        Packet::new_checked(&b[..])
            .unwrap()
            .verify_checksum(src, dst)
    );
    assert_eq!(
        Repr::parse_segment(&b, src, dst, ChecksumMode::FULL),
        Ok(repr)
    );
    assert_eq!(
        Repr::parse_segment(&b, dst, src, ChecksumMode::FULL),
        Ok(repr),
        "the sum is symmetric in the addresses"
    );
    assert_eq!(
        Repr::parse_segment(&b, src, src, ChecksumMode::FULL),
        Err(Error::Checksum)
    );
}

#[test]
fn flags_format() {
    assert_eq!(alloc::format!("{:?}", Flags::SYN | Flags::ACK), "SYN|ACK");
    assert_eq!(alloc::format!("{}", Flags::empty()), "(none)");
    let mut f = Flags::from_bits(0xff);
    f.remove(Flags::URG);
    assert!(f.contains(Flags::FIN | Flags::CWR));
    assert!(!f.contains(Flags::URG));
    assert!(f.intersects(Flags::URG | Flags::ECE));
    f.insert(Flags::URG);
    assert_eq!(f.bits(), 0xff);
    assert_eq!((f & Flags::RST), Flags::RST);
    assert!(Flags::default().is_empty());
}

#[test]
fn setters_cannot_break_getters() {
    let mut b = SYN;
    let mut p = Packet::new_checked(&mut b[..]).unwrap();
    p.set_header_len(60);
    assert_eq!(p.options().len(), 20);
    assert!(p.payload().is_empty());
    let _ = p.options_iter().count();
    p.set_header_len(0);
    assert!(p.options().is_empty());
    assert_eq!(p.payload().len(), 40);
    assert!(p.options_mut().is_empty());
    assert_eq!(p.payload_mut().len(), 40);
    p.fill_checksum(SRC, DST);
    let _ = p.segment_len();
}

#[test]
fn oversized_segment_over_ipv4_addresses() {
    // Larger than any IPv4 packet: only in-memory pairs send these. Both ends
    // must still agree on the checksum.
    let payload = alloc::vec![0x5au8; 70_000];
    let repr = Repr {
        src_port: 1,
        dst_port: 2,
        flags: Flags::ACK,
        payload: &payload,
        ..Repr::default()
    };
    let mut b = alloc::vec![0u8; repr.buffer_len()];
    repr.emit(
        &mut Packet::new_unchecked(&mut b[..]),
        SRC,
        DST,
        ChecksumMode::FULL,
    );
    assert_eq!(
        Repr::parse_segment(&b, SRC, DST, ChecksumMode::FULL),
        Ok(repr)
    );
    b[30_000] ^= 1;
    assert_eq!(
        Repr::parse_segment(&b, SRC, DST, ChecksumMode::FULL),
        Err(Error::Checksum)
    );
}

#[test]
fn display_for_traces() {
    assert_eq!(
        alloc::format!("{}", syn_repr()),
        "57068 > 52551 SYN seq=2137134317 win=65495 mss=65495 ws=10 sackOK ts=2393607340/0 len=0"
    );
    let (_, data) = data_segment();
    let sack = Repr {
        sack_ranges: [Some((9, 10)), None, None, None],
        flags: data.flags | Flags::URG,
        urgent: 1,
        ..data
    };
    assert_eq!(
        alloc::format!("{sack}"),
        "12345 > 80 PSH|ACK|URG seq=1 ack=2 win=256 urg=1 ts=7/5 sack=9-10 len=5"
    );
}

#[test]
fn syn_layout_shortcut_agrees_with_the_walk() {
    // The captured Linux SYN takes the shortcut; the same options in
    // another order take the walk, and both read the same.
    let fast = Repr::parse_segment(&SYN, SRC, DST, ChecksumMode::FULL).unwrap();
    assert_eq!(fast, syn_repr());
    let walked = parse_options(&[
        1, 3, 3, 10, 2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0x8e, 0xab, 0x8c, 0xac, 0, 0, 0, 0,
    ])
    .unwrap();
    assert_eq!(
        (
            walked.mss,
            walked.sack_permitted,
            walked.timestamp,
            walked.window_scale
        ),
        (
            fast.mss,
            fast.sack_permitted,
            fast.timestamp,
            fast.window_scale
        )
    );
    // A near miss (window scale length 4) still fails as the walk does.
    assert_eq!(
        parse_options(&[
            2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 3, 4, 7
        ]),
        Err(Error::Malformed)
    );
}

/// Options as the general option writer lays them out, for comparison.
fn options_by_option_writer(repr: &Repr<'_>) -> alloc::vec::Vec<u8> {
    let mut options = alloc::vec::Vec::new();
    let mut put = |option: TcpOption<'_>| {
        let mut bytes = [0u8; 40];
        let n = option.emit(&mut bytes);
        options.extend_from_slice(&bytes[..n]);
    };
    if let Some(mss) = repr.mss {
        put(TcpOption::MaxSegmentSize(mss));
    }
    match (repr.sack_permitted, repr.timestamp) {
        (true, Some((tsval, tsecr))) => {
            put(TcpOption::SackPermitted);
            put(TcpOption::Timestamp { tsval, tsecr });
        }
        (false, Some((tsval, tsecr))) => {
            put(TcpOption::NoOperation);
            put(TcpOption::NoOperation);
            put(TcpOption::Timestamp { tsval, tsecr });
        }
        (true, None) => {
            put(TcpOption::NoOperation);
            put(TcpOption::NoOperation);
            put(TcpOption::SackPermitted);
        }
        (false, None) => {}
    }
    if let Some(shift) = repr.window_scale {
        put(TcpOption::NoOperation);
        put(TcpOption::WindowScale(shift));
    }
    let blocks = repr.sack_blocks();
    if blocks > 0 {
        let mut ranges = [None; 4];
        for (slot, range) in ranges
            .iter_mut()
            .zip(repr.sack_ranges.iter().flatten().take(blocks))
        {
            *slot = Some(*range);
        }
        put(TcpOption::NoOperation);
        put(TcpOption::NoOperation);
        put(TcpOption::SackRange(ranges));
    }
    options
}

#[test]
fn emitted_options_match_the_option_writer() {
    let sacks = [
        [None; 4],
        [Some((1, 2)), None, None, None],
        [None, Some((3, 4)), None, Some((5, 6))],
        [Some((7, 8)), Some((9, 10)), Some((11, 12)), None],
        [Some((1, 2)), Some((3, 4)), Some((5, 6)), Some((7, 8))],
    ];
    for bits in 0..16u8 {
        for sack_ranges in sacks {
            let repr = Repr {
                src_port: 1,
                dst_port: 2,
                mss: (bits & 1 != 0).then_some(1460),
                sack_permitted: bits & 2 != 0,
                timestamp: (bits & 4 != 0).then_some((0x0102_0304, 0xa0b0_c0d0)),
                window_scale: (bits & 8 != 0).then_some(7),
                sack_ranges,
                ..Repr::default()
            };
            let mut b = [0xeeu8; 60];
            let len = repr.header_len();
            repr.emit_header(
                &mut Packet::new_unchecked(&mut b[..]),
                0,
                SRC,
                DST,
                ChecksumMode::FULL,
            );
            assert_eq!(b[20..len], options_by_option_writer(&repr)[..], "{repr}");
            let back = Repr::parse_segment(&b[..len], SRC, DST, ChecksumMode::FULL).unwrap();
            assert_eq!(
                (
                    back.mss,
                    back.sack_permitted,
                    back.timestamp,
                    back.window_scale
                ),
                (
                    repr.mss,
                    repr.sack_permitted,
                    repr.timestamp,
                    repr.window_scale
                )
            );
        }
    }
}

#[test]
fn header_checksum_from_values_matches_the_bytes() {
    // emit_header sums the header from the values it writes; the checksum
    // must equal one computed over the bytes, whatever the options, the
    // payload's length (odd included) and fields full of carries.
    let payload: alloc::vec::Vec<u8> = (0..=255u8).rev().cycle().take(1501).collect();
    let v6 = (
        IpAddr::from([0xfd00, 0, 0, 0, 0, 0, 0, 1]),
        IpAddr::from([0xffff; 8]),
    );
    for bits in 0..32u8 {
        for len in [0, 1, 2, 3, 1448, 1501] {
            for (src, dst) in [(SRC, DST), v6] {
                let repr = Repr {
                    src_port: 0xffff,
                    dst_port: 0xfffe,
                    seq: 0xffff_ffff,
                    ack: 0xfffe_ffff,
                    flags: Flags::from_bits(0xff),
                    window: 0xffff,
                    urgent: 0xfff0,
                    mss: (bits & 1 != 0).then_some(0xffff),
                    sack_permitted: bits & 2 != 0,
                    timestamp: (bits & 4 != 0).then_some((0xffff_ffff, 0xffff_fff0)),
                    window_scale: (bits & 8 != 0).then_some(14),
                    sack_ranges: if bits & 16 != 0 {
                        [
                            Some((0xffff_ffff, 0xffff_0000)),
                            Some((1, 0xffff_ffff)),
                            None,
                            None,
                        ]
                    } else {
                        [None; 4]
                    },
                    payload: &payload[..len],
                };
                let mut b = [0xeeu8; 1600];
                let n = repr.buffer_len();
                let mut p = Packet::new_unchecked(&mut b[..n]);
                repr.emit(&mut p, src, dst, ChecksumMode::FULL);
                let emitted = p.checksum();
                p.fill_checksum(src, dst);
                assert_eq!(emitted, p.checksum(), "{repr} over {src}");
                assert!(p.verify_checksum(src, dst));
            }
        }
    }
}
