//! Arbitrary bytes through the wire layer: IPv4/IPv6 and TCP views, `Repr`
//! parsing, TCP options.
//!
//! Input: the first byte picks what the rest is read as (0: an IP packet,
//! 1: a bare TCP segment between two IPv4 addresses, 2: the same between
//! two IPv6 addresses, 3: a TCP option list); the last byte feeds the
//! setters of the length-checked views.
//!
//! Asserts:
//! - nothing panics: no parser, no getter of a view made by `new_checked`,
//!   and no setter of such a view, even after a length field was rewritten;
//! - whatever parses round-trips: emitting the `Repr` and parsing the bytes
//!   again gives the same `Repr` (options included; only SACK blocks that
//!   do not fit beside the other options are left out, as documented), the
//!   same payload, and checksums that verify;
//! - emitting a second time gives the same bytes (emit is a function of the
//!   `Repr`);
//! - `parse_tcp_packet` agrees with the two layers parsed one at a time;
//! - every TCP option that parses is re-emitted with the same bytes.
#![no_main]

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use wirestate::wire::{
    self, ChecksumMode, IpProtocol, IpRepr, Ipv4Packet, Ipv6Packet, TcpOption, TcpOptions,
    TcpPacket, TcpRepr,
};

const V4: (IpAddr, IpAddr) = (
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
    IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7)),
);
const V6: (IpAddr, IpAddr) = (
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0xfe, 2)),
);

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let knob = rest.last().copied().unwrap_or(0);
    match mode % 4 {
        0 => ip_packet(rest, knob),
        1 => segment(rest, V4.0, V4.1, knob),
        2 => segment(rest, V6.0, V6.1, knob),
        _ => options(rest),
    }
});

/// An IP packet: both IP views, the IP `Repr`, and TCP when it carries TCP.
fn ip_packet(bytes: &[u8], knob: u8) {
    ipv4_view(bytes, knob);
    ipv6_view(bytes, knob);
    let whole = wire::parse_tcp_packet(bytes, ChecksumMode::FULL);
    let Ok((ip, payload)) = IpRepr::parse(bytes, ChecksumMode::FULL) else {
        assert!(
            whole.is_err(),
            "parse_tcp_packet accepted what IpRepr::parse refused"
        );
        return;
    };
    assert_eq!(ip.payload_len(), payload.len(), "IP payload length");

    // The IP header round-trips, with the payload behind it.
    let mut buf = vec![0u8; ip.buffer_len() + payload.len()];
    ip.emit(&mut buf, ChecksumMode::FULL);
    buf[ip.buffer_len()..].copy_from_slice(payload);
    let (again, payload2) =
        IpRepr::parse(&buf, ChecksumMode::FULL).expect("emitted IP header parses");
    assert_eq!(again, ip, "IP header round trip");
    assert_eq!(payload2, payload, "IP payload round trip");
    if let IpRepr::V4(_) = ip {
        let view = Ipv4Packet::new_checked(&buf[..]).expect("emitted IPv4 header is checked");
        assert!(view.verify_checksum(), "emitted IPv4 header checksum");
    }

    if ip.protocol() != IpProtocol::TCP {
        assert!(whole.is_err(), "parse_tcp_packet accepted a non-TCP packet");
        return;
    }
    let tcp = TcpRepr::parse_segment(payload, ip.src_addr(), ip.dst_addr(), ChecksumMode::FULL);
    match (&whole, &tcp) {
        (Ok((ip2, tcp2)), Ok(tcp1)) => {
            assert_eq!(*ip2, ip);
            assert_eq!(tcp2, tcp1, "parse_tcp_packet and the two layers disagree");
        }
        (Err(_), Err(_)) => {}
        _ => panic!("parse_tcp_packet {whole:?} disagrees with the layers: {tcp:?}"),
    }
    let Ok(tcp) = tcp else {
        return;
    };
    tcp_round_trip(&tcp, ip.src_addr(), ip.dst_addr());

    // The whole packet through `emit_tcp_packet` and back (when the
    // normalized header still fits the IP length field).
    if ip.buffer_len() + tcp.buffer_len() > usize::from(u16::MAX) {
        return;
    }
    let len = wire::tcp_packet_len(&ip, &tcp);
    let mut out = vec![0u8; len];
    assert_eq!(
        wire::emit_tcp_packet(&ip, &tcp, &mut out, ChecksumMode::FULL),
        len
    );
    let (ip3, tcp3) =
        wire::parse_tcp_packet(&out, ChecksumMode::FULL).expect("emitted packet parses");
    assert_eq!(
        (ip3.src_addr(), ip3.dst_addr()),
        (ip.src_addr(), ip.dst_addr())
    );
    assert_eq!(ip3.hop_limit(), ip.hop_limit());
    assert_eq!(ip3.protocol(), IpProtocol::TCP);
    assert_eq!(ip3.payload_len(), tcp.buffer_len());
    assert_eq!(
        tcp3,
        normalized(&tcp),
        "TCP round trip through emit_tcp_packet"
    );
}

/// A bare TCP segment from `src` to `dst`.
fn segment(bytes: &[u8], src: IpAddr, dst: IpAddr, knob: u8) {
    tcp_view(bytes, src, dst, knob);
    if let Ok(tcp) = TcpRepr::parse_segment(bytes, src, dst, ChecksumMode::FULL) {
        tcp_round_trip(&tcp, src, dst);
        // Parsing does not depend on the checksum mode under fuzzing.
        let off = TcpRepr::parse_segment(bytes, src, dst, ChecksumMode::OFFLOADED);
        assert_eq!(off, Ok(tcp));
    }
}

/// The segment as `Repr::emit` writes it: SACK blocks that do not fit
/// beside the other options are left out, the rest in order.
fn normalized<'a>(tcp: &TcpRepr<'a>) -> TcpRepr<'a> {
    let mut fixed = 0;
    if tcp.mss.is_some() {
        fixed += 4;
    }
    if tcp.timestamp.is_some() {
        fixed += 12;
    } else if tcp.sack_permitted {
        fixed += 4;
    }
    if tcp.window_scale.is_some() {
        fixed += 4;
    }
    let room = (40usize - fixed).saturating_sub(4) / 8;
    let mut out = *tcp;
    out.sack_ranges = [None; 4];
    for (slot, range) in out
        .sack_ranges
        .iter_mut()
        .zip(tcp.sack_ranges.iter().flatten().take(room))
    {
        *slot = Some(*range);
    }
    out
}

/// Emit, parse, compare; emit again, compare bytes.
fn tcp_round_trip(tcp: &TcpRepr<'_>, src: IpAddr, dst: IpAddr) {
    let len = tcp.buffer_len();
    assert!(
        tcp.header_len() <= 60 && tcp.header_len() % 4 == 0,
        "header length {}",
        tcp.header_len()
    );
    assert_eq!(len, tcp.header_len() + tcp.payload.len());
    let mut buf = vec![0u8; len];
    tcp.emit(
        &mut TcpPacket::new_unchecked(&mut buf[..]),
        src,
        dst,
        ChecksumMode::FULL,
    );
    let view = TcpPacket::new_checked(&buf[..]).expect("emitted segment is checked");
    assert!(view.verify_checksum(src, dst), "emitted TCP checksum");
    let again =
        TcpRepr::parse_segment(&buf, src, dst, ChecksumMode::FULL).expect("emitted segment parses");
    let expected = normalized(tcp);
    assert_eq!(again, expected, "TCP round trip");
    assert_eq!(again.buffer_len(), len);

    let mut buf2 = vec![0xa5u8; len];
    again.emit(
        &mut TcpPacket::new_unchecked(&mut buf2[..]),
        src,
        dst,
        ChecksumMode::FULL,
    );
    assert_eq!(buf2, buf, "a second emit wrote other bytes");

    // Without checksum filling the field is zero and nothing else changes.
    let mut buf3 = vec![0u8; len];
    tcp.emit(
        &mut TcpPacket::new_unchecked(&mut buf3[..]),
        src,
        dst,
        ChecksumMode::OFFLOADED,
    );
    assert_eq!(TcpPacket::new_checked(&buf3[..]).unwrap().checksum(), 0);
    buf3[16..18].copy_from_slice(&buf[16..18]);
    assert_eq!(buf3, buf);
}

/// Every getter of a checked TCP view, then its setters on a copy.
fn tcp_view(bytes: &[u8], src: IpAddr, dst: IpAddr, knob: u8) {
    let Ok(p) = TcpPacket::new_checked(bytes) else {
        return;
    };
    let _ = (p.src_port(), p.dst_port(), p.seq_number(), p.ack_number());
    let _ = (p.header_len(), p.reserved_bits(), p.flags(), p.window_len());
    let _ = (
        p.fin(),
        p.syn(),
        p.rst(),
        p.psh(),
        p.ack(),
        p.urg(),
        p.ece(),
        p.cwr(),
    );
    let _ = (
        p.checksum(),
        p.urgent_at(),
        p.segment_len(),
        p.verify_checksum(src, dst),
    );
    assert!(p.options().len() + p.payload().len() + 20 <= bytes.len());
    for option in p.options_iter() {
        if option.is_err() {
            break;
        }
    }
    let mut copy = bytes.to_vec();
    let mut q = TcpPacket::new_checked(&mut copy[..]).unwrap();
    // Rewrite the data offset to anything; the view must clip, not panic.
    q.set_header_len(usize::from(knob % 16) * 4);
    let _ = (
        q.options().len(),
        q.payload().len(),
        q.options_mut().len(),
        q.payload_mut().len(),
    );
    q.set_flags(wire::TcpFlags::from_bits(knob));
    q.set_window_len(u16::from(knob) << 8);
    q.fill_checksum(src, dst);
    q.fill_partial_checksum(src, dst);
    for option in q.options_iter() {
        if option.is_err() {
            break;
        }
    }
}

fn ipv4_view(bytes: &[u8], knob: u8) {
    let Ok(p) = Ipv4Packet::new_checked(bytes) else {
        return;
    };
    let _ = (
        p.version(),
        p.header_len(),
        p.dscp(),
        p.ecn(),
        p.total_len(),
        p.ident(),
    );
    let _ = (
        p.dont_frag(),
        p.more_frags(),
        p.frag_offset(),
        p.is_fragment(),
    );
    let _ = (
        p.hop_limit(),
        p.protocol(),
        p.checksum(),
        p.src_addr(),
        p.dst_addr(),
    );
    let _ = (
        p.header().len(),
        p.options().len(),
        p.payload().len(),
        p.verify_checksum(),
    );
    let mut copy = bytes.to_vec();
    let mut q = Ipv4Packet::new_checked(&mut copy[..]).unwrap();
    q.set_header_len(usize::from(knob % 16) * 4);
    q.set_total_len(u16::from(knob).wrapping_mul(257));
    let _ = (
        q.options().len(),
        q.payload().len(),
        q.options_mut().len(),
        q.payload_mut().len(),
    );
    q.fill_checksum();
    let _ = (q.header().len(), q.verify_checksum());
}

fn ipv6_view(bytes: &[u8], knob: u8) {
    let Ok(p) = Ipv6Packet::new_checked(bytes) else {
        return;
    };
    let _ = (
        p.version(),
        p.traffic_class(),
        p.flow_label(),
        p.payload_len(),
    );
    let _ = (p.next_header(), p.hop_limit(), p.src_addr(), p.dst_addr());
    let _ = (p.payload().len(), p.upper_layer());
    let mut copy = bytes.to_vec();
    let mut q = Ipv6Packet::new_checked(&mut copy[..]).unwrap();
    q.set_payload_len(u16::from(knob).wrapping_mul(131));
    q.set_next_header(IpProtocol(knob));
    let _ = (q.payload().len(), q.payload_mut().len(), q.upper_layer());
}

/// A raw option list: each option that parses emits the same bytes.
fn options(bytes: &[u8]) {
    let mut rest = bytes;
    let mut seen = 0usize;
    while !rest.is_empty() {
        let Ok((option, len)) = TcpOption::parse(rest) else {
            break;
        };
        assert!(len >= 1 && len <= rest.len(), "option length {len}");
        assert_eq!(option.buffer_len(), len, "{option:?}");
        let mut out = vec![0u8; len];
        assert_eq!(option.emit(&mut out), len);
        assert_eq!(&out[..], &rest[..len], "{option:?} re-emitted differently");
        let (again, len2) = TcpOption::parse(&out).expect("emitted option parses");
        assert_eq!((again, len2), (option, len));
        rest = &rest[len..];
        seen += 1;
        if matches!(option, TcpOption::EndOfList) {
            break;
        }
    }
    // The iterator yields the same options and ends.
    let count = TcpOptions::new(bytes).take_while(|o| o.is_ok()).count();
    assert_eq!(count, seen, "iterator and parse disagree");
}
