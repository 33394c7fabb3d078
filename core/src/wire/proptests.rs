//! Property tests: `parse(emit(repr)) == repr`, and no input makes a parser
//! or a checked view panic.

use alloc::vec;
use alloc::vec::Vec;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;

use super::*;

/// Everything a `TcpRepr` holds, with an owned payload.
#[derive(Debug, Clone)]
struct Segment {
    ports: (u16, u16),
    seq: u32,
    ack: u32,
    flags: u8,
    window: u16,
    urgent: u16,
    mss: Option<u16>,
    window_scale: Option<u8>,
    sack_permitted: bool,
    sack: Vec<(u32, u32)>,
    timestamp: Option<(u32, u32)>,
    payload: Vec<u8>,
}

impl Segment {
    fn repr(&self) -> TcpRepr<'_> {
        let mut sack_ranges = [None; 4];
        for (slot, range) in sack_ranges.iter_mut().zip(&self.sack) {
            *slot = Some(*range);
        }
        TcpRepr {
            src_port: self.ports.0,
            dst_port: self.ports.1,
            seq: self.seq,
            ack: self.ack,
            flags: TcpFlags::from_bits(self.flags),
            window: self.window,
            urgent: self.urgent,
            mss: self.mss,
            window_scale: self.window_scale,
            sack_permitted: self.sack_permitted,
            sack_ranges,
            timestamp: self.timestamp,
            payload: &self.payload,
        }
    }
}

fn segment() -> impl Strategy<Value = Segment> {
    let header = (
        (1..=u16::MAX, 1..=u16::MAX),
        any::<u32>(),
        any::<u32>(),
        any::<u8>(),
        any::<u16>(),
        any::<u16>(),
    );
    let options = (
        any::<Option<u16>>(),
        any::<Option<u8>>(),
        any::<bool>(),
        any::<Option<(u32, u32)>>(),
    );
    (header, options, prop::collection::vec(any::<u8>(), 0..64)).prop_flat_map(
        |((ports, seq, ack, flags, window, urgent), (mss, ws, sackp, ts), payload)| {
            // Only as many SACK blocks as fit next to the other options, so
            // that the round trip is exact.
            let probe = Segment {
                ports,
                seq,
                ack,
                flags,
                window,
                urgent,
                mss,
                window_scale: ws,
                sack_permitted: sackp,
                sack: vec![],
                timestamp: ts,
                payload,
            };
            let used = probe.repr().header_len() - 20;
            let room = ((40 - used).saturating_sub(4) / 8).min(4);
            prop::collection::vec(any::<(u32, u32)>(), 0..=room).prop_map(move |sack| Segment {
                sack,
                ..probe.clone()
            })
        },
    )
}

fn address_pair() -> impl Strategy<Value = (IpAddr, IpAddr)> {
    prop_oneof![
        (any::<u32>(), any::<u32>())
            .prop_map(|(s, d)| (IpAddr::V4(Ipv4Addr::from(s)), IpAddr::V4(Ipv4Addr::from(d)))),
        (any::<u128>(), any::<u128>())
            .prop_map(|(s, d)| (IpAddr::V6(Ipv6Addr::from(s)), IpAddr::V6(Ipv6Addr::from(d)))),
    ]
}

/// Emits a whole IP packet carrying `segment`.
fn emit_packet(addrs: (IpAddr, IpAddr), hop_limit: u8, segment: &TcpRepr<'_>) -> (IpRepr, Vec<u8>) {
    let ip = IpRepr::new(
        addrs.0,
        addrs.1,
        IpProtocol::TCP,
        segment.buffer_len(),
        hop_limit,
    )
    .unwrap();
    let mut buf = vec![0u8; ip.buffer_len() + segment.buffer_len()];
    ip.emit(&mut buf, ChecksumMode::FULL);
    let (_, tcp) = buf.split_at_mut(ip.buffer_len());
    segment.emit(
        &mut TcpPacket::new_unchecked(tcp),
        addrs.0,
        addrs.1,
        ChecksumMode::FULL,
    );
    (ip, buf)
}

/// Reads every field of every view that accepts `bytes`, and every parser.
fn poke_everything(bytes: &[u8]) {
    for mode in [ChecksumMode::FULL, ChecksumMode::OFFLOADED] {
        if let Ok((ip, payload)) = IpRepr::parse(bytes, mode) {
            let _ = TcpRepr::parse_segment(payload, ip.src_addr(), ip.dst_addr(), mode);
        }
        let v4 = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let _ = TcpRepr::parse_segment(bytes, v4, v4, mode);
    }
    if let Ok(p) = Ipv4Packet::new_checked(bytes) {
        let _ = (
            p.version(),
            p.header_len(),
            p.dscp(),
            p.ecn(),
            p.total_len(),
        );
        let _ = (p.ident(), p.dont_frag(), p.more_frags(), p.frag_offset());
        let _ = (
            p.hop_limit(),
            p.protocol(),
            p.checksum(),
            p.src_addr(),
            p.dst_addr(),
        );
        let _ = (
            p.options(),
            p.payload(),
            p.verify_checksum(),
            p.into_payload(),
        );
        let _ = Ipv4Repr::parse(&p, ChecksumMode::OFFLOADED);
    }
    if let Ok(p) = Ipv6Packet::new_checked(bytes) {
        let _ = (
            p.version(),
            p.traffic_class(),
            p.flow_label(),
            p.payload_len(),
        );
        let _ = (p.next_header(), p.hop_limit(), p.src_addr(), p.dst_addr());
        let _ = (p.payload(), p.upper_layer(), p.into_upper_layer());
        let _ = Ipv6Repr::parse(&p);
    }
    if let Ok(p) = TcpPacket::new_checked(bytes) {
        let _ = (p.src_port(), p.dst_port(), p.seq_number(), p.ack_number());
        let _ = (p.header_len(), p.reserved_bits(), p.flags(), p.window_len());
        let _ = (p.checksum(), p.urgent_at(), p.options(), p.payload());
        let _ = (p.segment_len(), p.options_iter().count(), p.into_payload());
    }
    let _ = TcpOptions::new(bytes).count();
    let _ = TcpOption::parse(bytes);
    // Repr::parse must not trust a view made without checks either.
    let v4 = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let _ = Ipv4Repr::parse(&Ipv4Packet::new_unchecked(bytes), ChecksumMode::FULL);
    let _ = Ipv6Repr::parse(&Ipv6Packet::new_unchecked(bytes));
    let _ = Ipv6Repr::parse_with_payload(&Ipv6Packet::new_unchecked(bytes));
    let _ = TcpRepr::parse(&TcpPacket::new_unchecked(bytes), v4, v4, ChecksumMode::FULL);
    let _ = parse_tcp_packet(bytes, ChecksumMode::OFFLOADED);
    let _ = alloc::format!(
        "{:?}",
        TcpRepr::parse_segment(bytes, v4, v4, ChecksumMode::OFFLOADED)
    );
}

proptest! {
    #[test]
    fn tcp_round_trip(seg in segment(), addrs in address_pair()) {
        let repr = seg.repr();
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut TcpPacket::new_unchecked(&mut buf[..]), addrs.0, addrs.1, ChecksumMode::FULL);
        prop_assert_eq!(buf.len() % 4, repr.payload.len() % 4);
        let parsed = TcpRepr::parse_segment(&buf, addrs.0, addrs.1, ChecksumMode::FULL);
        prop_assert_eq!(parsed, Ok(repr));
    }

    #[test]
    fn ip_tcp_round_trip(seg in segment(), addrs in address_pair(), hop_limit in any::<u8>()) {
        let repr = seg.repr();
        let (ip, buf) = emit_packet(addrs, hop_limit, &repr);
        let (ip_parsed, payload) = IpRepr::parse(&buf, ChecksumMode::FULL).unwrap();
        prop_assert_eq!(ip_parsed, ip);
        let parsed = TcpRepr::parse_segment(payload, ip.src_addr(), ip.dst_addr(), ChecksumMode::FULL);
        prop_assert_eq!(parsed, Ok(repr));
    }

    #[test]
    fn ipv4_round_trip(src in any::<u32>(), dst in any::<u32>(), protocol in any::<u8>(),
                       payload_len in 0..=65515usize, hop_limit in any::<u8>()) {
        let repr = Ipv4Repr {
            src_addr: src.into(),
            dst_addr: dst.into(),
            protocol: IpProtocol(protocol),
            payload_len,
            hop_limit,
        };
        let mut buf = vec![0u8; 20 + payload_len];
        repr.emit(&mut Ipv4Packet::new_unchecked(&mut buf[..]), ChecksumMode::FULL);
        let packet = Ipv4Packet::new_checked(&buf[..]).unwrap();
        prop_assert_eq!(Ipv4Repr::parse(&packet, ChecksumMode::FULL), Ok(repr));
    }

    #[test]
    fn ipv6_round_trip(src in any::<u128>(), dst in any::<u128>(), next in any::<u8>(),
                       payload_len in 0..=2000usize, hop_limit in any::<u8>()) {
        // Extension-header numbers would be walked on parse, not returned.
        let skipped = [0u8, 43, 44, 60];
        let next = if skipped.contains(&next) { 6 } else { next };
        let repr = Ipv6Repr {
            src_addr: src.into(),
            dst_addr: dst.into(),
            next_header: IpProtocol(next),
            payload_len,
            hop_limit,
        };
        let mut buf = vec![0u8; 40 + payload_len];
        repr.emit(&mut Ipv6Packet::new_unchecked(&mut buf[..]));
        let packet = Ipv6Packet::new_checked(&buf[..]).unwrap();
        prop_assert_eq!(Ipv6Repr::parse(&packet), Ok(repr));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        poke_everything(&bytes);
    }

    #[test]
    fn arbitrary_headers_never_panic(
        version in prop_oneof![Just(0x40u8), Just(0x60u8), any::<u8>()],
        rest in prop::collection::vec(any::<u8>(), 0..120),
    ) {
        // Start from a plausible version nibble so the checks behind it run.
        let mut bytes = vec![version | (rest.first().copied().unwrap_or(0) & 0x0f)];
        bytes.extend_from_slice(&rest);
        poke_everything(&bytes);
    }

    #[test]
    fn mutated_packets_never_panic(
        seg in segment(),
        addrs in address_pair(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let repr = seg.repr();
        let (ip, mut buf) = emit_packet(addrs, 64, &repr);
        for (at, value) in edits {
            let at = at.index(buf.len());
            buf[at] = value;
        }
        poke_everything(&buf);
        poke_everything(&buf[..cut.index(buf.len() + 1)]);
        poke_everything(&buf[ip.buffer_len()..]);
    }

    #[test]
    fn checksum_matches_reference(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut acc: u32 = 0;
        for pair in bytes.chunks(2) {
            acc += u32::from(pair[0]) << 8 | u32::from(pair.get(1).copied().unwrap_or(0));
            acc = (acc & 0xffff) + (acc >> 16);
        }
        prop_assert_eq!(checksum::sum(&bytes), acc as u16);
    }
}
