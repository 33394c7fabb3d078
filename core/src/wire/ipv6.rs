//! IPv6 headers (RFC 8200).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version| Traffic Class |           Flow Label                  |
//! |         Payload Length        |  Next Header  |   Hop Limit   |
//! |                  Source Address (16 bytes)                    |
//! |               Destination Address (16 bytes)                  |
//! ```
//!
//! Extension headers are handled by [`Packet::upper_layer`]; the rules are in
//! the [module-level documentation](super#what-is-accepted).

use core::net::Ipv6Addr;

use super::ip::IpProtocol;
use super::{Error, Field, read_u16, read_u32, write_u16, write_u32};

/// Byte ranges of the fixed header fields.
pub mod field {
    use super::Field;
    /// Version (4 bits), traffic class (8 bits), flow label (20 bits).
    pub const VER_TC_FLOW: Field = 0..4;
    /// Length of everything after the fixed header.
    pub const LENGTH: Field = 4..6;
    /// Next header: the first extension header or the upper-layer protocol.
    pub const NEXT_HEADER: usize = 6;
    /// Hop limit.
    pub const HOP_LIMIT: usize = 7;
    /// Source address.
    pub const SRC_ADDR: Field = 8..24;
    /// Destination address.
    pub const DST_ADDR: Field = 24..40;
}

/// Length of the fixed header.
pub const HEADER_LEN: usize = field::DST_ADDR.end;

/// A read/write view of an IPv6 packet in a byte buffer.
///
/// See the [module-level contract](super#when-nothing-can-panic) for when
/// accessors can panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps `buffer` without checking anything.
    pub const fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// Wraps `buffer` after [`Packet::check_len`].
    pub fn new_checked(buffer: T) -> Result<Packet<T>, Error> {
        let packet = Packet::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that the buffer holds the fixed header and the payload length
    /// it announces. Bytes past the payload (link padding) are allowed and
    /// ignored. Never panics.
    pub fn check_len(&self) -> Result<(), Error> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN || HEADER_LEN + self.payload_len() as usize > len {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Returns the underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn ver_tc_flow(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::VER_TC_FLOW.start)
    }

    /// The version field (6 for a valid packet).
    pub fn version(&self) -> u8 {
        (self.ver_tc_flow() >> 28) as u8
    }

    /// The traffic class (DSCP and ECN).
    pub fn traffic_class(&self) -> u8 {
        (self.ver_tc_flow() >> 20) as u8
    }

    /// The flow label (20 bits).
    pub fn flow_label(&self) -> u32 {
        self.ver_tc_flow() & 0x000f_ffff
    }

    /// The payload length field: bytes after the fixed header, extension
    /// headers included.
    pub fn payload_len(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::LENGTH.start)
    }

    /// The next header field of the fixed header.
    pub fn next_header(&self) -> IpProtocol {
        IpProtocol(self.buffer.as_ref()[field::NEXT_HEADER])
    }

    /// The hop limit.
    pub fn hop_limit(&self) -> u8 {
        self.buffer.as_ref()[field::HOP_LIMIT]
    }

    /// The source address.
    pub fn src_addr(&self) -> Ipv6Addr {
        Ipv6Addr::from(addr_bytes(self.buffer.as_ref(), field::SRC_ADDR))
    }

    /// The destination address.
    pub fn dst_addr(&self) -> Ipv6Addr {
        Ipv6Addr::from(addr_bytes(self.buffer.as_ref(), field::DST_ADDR))
    }

    /// Everything after the fixed header, up to the payload length (clipped
    /// to the buffer): extension headers and the upper-layer packet.
    pub fn payload(&self) -> &[u8] {
        let data = self.buffer.as_ref();
        &data[payload_range(data.len(), self.payload_len())]
    }

    /// Walks the extension headers and returns the upper-layer protocol and
    /// its bytes. Never panics; see the [accepted
    /// headers](super#what-is-accepted).
    ///
    /// Errors: [`Error::Truncated`] if an extension header runs past the
    /// payload, [`Error::Malformed`] for a Hop-by-Hop header that is not
    /// first, [`Error::Unsupported`] for a real fragment or a Routing header
    /// with segments left.
    pub fn upper_layer(&self) -> Result<(IpProtocol, &[u8]), Error> {
        skip_extensions(self.next_header(), self.payload())
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// [`Packet::upper_layer`], borrowing for the buffer's whole lifetime.
    pub fn into_upper_layer(self) -> Result<(IpProtocol, &'a [u8]), Error> {
        let data = self.buffer.as_ref();
        let next = IpProtocol(data[field::NEXT_HEADER]);
        let length = read_u16(data, field::LENGTH.start);
        skip_extensions(next, &data[payload_range(data.len(), length)])
    }
}

fn payload_range(len: usize, payload_len: u16) -> core::ops::Range<usize> {
    let end = (HEADER_LEN + payload_len as usize).min(len);
    HEADER_LEN.min(end)..end
}

fn addr_bytes(data: &[u8], range: Field) -> [u8; 16] {
    let mut out = [0u8; 16];
    out.copy_from_slice(&data[range]);
    out
}

/// Skips the extension headers this crate understands. Every step consumes
/// at least 8 bytes, so the loop ends.
fn skip_extensions(mut next: IpProtocol, mut rest: &[u8]) -> Result<(IpProtocol, &[u8]), Error> {
    let mut first = true;
    loop {
        let len = match next {
            IpProtocol::HOP_BY_HOP | IpProtocol::IPV6_DEST_OPTS | IpProtocol::IPV6_ROUTING => {
                if next == IpProtocol::HOP_BY_HOP && !first {
                    // RFC 8200 §4.1: only allowed right after the fixed header.
                    return Err(Error::Malformed);
                }
                // Hdr Ext Len counts 8-byte units after the first 8 bytes.
                let len = match rest.get(1) {
                    Some(&units) => (units as usize + 1) * 8,
                    None => return Err(Error::Truncated),
                };
                if len > rest.len() {
                    return Err(Error::Truncated);
                }
                // Routing: byte 3 is Segments Left; we are not a router.
                if next == IpProtocol::IPV6_ROUTING && rest[3] != 0 {
                    return Err(Error::Unsupported);
                }
                len
            }
            IpProtocol::IPV6_FRAGMENT => {
                if rest.len() < 8 {
                    return Err(Error::Truncated);
                }
                // Offset in the high 13 bits, M flag in the lowest bit.
                if read_u16(rest, 2) & 0xfff9 != 0 {
                    return Err(Error::Unsupported);
                }
                8
            }
            upper => return Ok((upper, rest)),
        };
        next = IpProtocol(rest[0]);
        rest = &rest[len..];
        first = false;
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    fn set_ver_tc_flow(&mut self, value: u32) {
        write_u32(self.buffer.as_mut(), field::VER_TC_FLOW.start, value)
    }

    /// Sets the version field.
    pub fn set_version(&mut self, version: u8) {
        let v = (self.ver_tc_flow() & 0x0fff_ffff) | ((version as u32 & 0xf) << 28);
        self.set_ver_tc_flow(v)
    }

    /// Sets the traffic class.
    pub fn set_traffic_class(&mut self, class: u8) {
        let v = (self.ver_tc_flow() & 0xf00f_ffff) | ((class as u32) << 20);
        self.set_ver_tc_flow(v)
    }

    /// Sets the flow label (the low 20 bits of `label`).
    pub fn set_flow_label(&mut self, label: u32) {
        let v = (self.ver_tc_flow() & 0xfff0_0000) | (label & 0x000f_ffff);
        self.set_ver_tc_flow(v)
    }

    /// Sets the payload length field.
    pub fn set_payload_len(&mut self, len: u16) {
        write_u16(self.buffer.as_mut(), field::LENGTH.start, len)
    }

    /// Sets the next header field.
    pub fn set_next_header(&mut self, next: IpProtocol) {
        self.buffer.as_mut()[field::NEXT_HEADER] = next.0
    }

    /// Sets the hop limit.
    pub fn set_hop_limit(&mut self, hop_limit: u8) {
        self.buffer.as_mut()[field::HOP_LIMIT] = hop_limit
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, addr: Ipv6Addr) {
        self.buffer.as_mut()[field::SRC_ADDR].copy_from_slice(&addr.octets())
    }

    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, addr: Ipv6Addr) {
        self.buffer.as_mut()[field::DST_ADDR].copy_from_slice(&addr.octets())
    }

    /// The payload, writable (same bounds as [`Packet::payload`]).
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let payload_len = self.payload_len();
        let data = self.buffer.as_mut();
        let range = payload_range(data.len(), payload_len);
        &mut data[range]
    }
}

/// An IPv6 header as a plain struct, extension headers already skipped.
///
/// Parsing drops the traffic class and flow label; `next_header` is the
/// upper-layer protocol and `payload_len` the upper-layer length, both after
/// any extension headers. Emitting writes the 40-byte fixed header with
/// traffic class and flow label zero and no extension headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Source address.
    pub src_addr: Ipv6Addr,
    /// Destination address.
    pub dst_addr: Ipv6Addr,
    /// Upper-layer protocol.
    pub next_header: IpProtocol,
    /// Upper-layer length in bytes.
    pub payload_len: usize,
    /// Hop limit.
    pub hop_limit: u8,
}

impl Repr {
    /// Reads the header of a packet. Never panics.
    ///
    /// Errors: [`Error::Truncated`] and others from [`Packet::check_len`] and
    /// [`Packet::upper_layer`]; [`Error::Malformed`] if the version is not 6.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Repr, Error> {
        packet.check_len()?;
        if packet.version() != 6 {
            return Err(Error::Malformed);
        }
        let (next_header, upper) = packet.upper_layer()?;
        Ok(Repr::from_packet(packet, next_header, upper.len()))
    }

    /// [`Repr::parse`], also returning the upper-layer bytes.
    pub fn parse_with_payload<'a, T: AsRef<[u8]> + ?Sized>(
        packet: &Packet<&'a T>,
    ) -> Result<(Repr, &'a [u8]), Error> {
        packet.check_len()?;
        if packet.version() != 6 {
            return Err(Error::Malformed);
        }
        let (next_header, upper) = packet.into_upper_layer()?;
        Ok((Repr::from_packet(packet, next_header, upper.len()), upper))
    }

    fn from_packet<T: AsRef<[u8]>>(
        packet: &Packet<T>,
        next_header: IpProtocol,
        len: usize,
    ) -> Repr {
        Repr {
            src_addr: packet.src_addr(),
            dst_addr: packet.dst_addr(),
            next_header,
            payload_len: len,
            hop_limit: packet.hop_limit(),
        }
    }

    /// The header length `emit` writes: always 40.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the fixed header into the first 40 bytes of `packet`'s buffer.
    ///
    /// A `payload_len` above 65535 (a jumbogram) cannot be expressed; it is
    /// written as 65535.
    ///
    /// # Panics
    ///
    /// If the buffer is shorter than [`Repr::buffer_len`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) {
        packet.set_ver_tc_flow(6 << 28);
        packet.set_payload_len(self.payload_len.min(u16::MAX as usize) as u16);
        packet.set_next_header(self.next_header);
        packet.set_hop_limit(self.hop_limit);
        packet.set_src_addr(self.src_addr);
        packet.set_dst_addr(self.dst_addr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: [u8; 40] = [
        0x60, 0x01, 0xf0, 0x5e, 0x00, 0x08, 0x06, 0x40, // ver, tc, flow, len 8, TCP, hop 64
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, // 2001:db8::1
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, // 2001:db8::2
    ];

    fn packet_bytes() -> [u8; 48] {
        let mut b = [0x55u8; 48];
        b[..40].copy_from_slice(&HEADER);
        b
    }

    fn src() -> Ipv6Addr {
        "2001:db8::1".parse().unwrap()
    }

    fn dst() -> Ipv6Addr {
        "2001:db8::2".parse().unwrap()
    }

    fn repr() -> Repr {
        Repr {
            src_addr: src(),
            dst_addr: dst(),
            next_header: IpProtocol::TCP,
            payload_len: 8,
            hop_limit: 64,
        }
    }

    #[test]
    fn deconstruct() {
        let b = packet_bytes();
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(p.version(), 6);
        assert_eq!(p.traffic_class(), 0);
        assert_eq!(p.flow_label(), 0x1f05e);
        assert_eq!(p.payload_len(), 8);
        assert_eq!(p.next_header(), IpProtocol::TCP);
        assert_eq!(p.hop_limit(), 64);
        assert_eq!(p.src_addr(), src());
        assert_eq!(p.dst_addr(), dst());
        assert_eq!(p.payload(), &[0x55; 8]);
        assert_eq!(p.upper_layer(), Ok((IpProtocol::TCP, &[0x55u8; 8][..])));
    }

    #[test]
    fn construct() {
        let mut b = [0x55u8; 48];
        let mut p = Packet::new_unchecked(&mut b[..]);
        p.set_version(6);
        p.set_traffic_class(0);
        p.set_flow_label(0x1f05e);
        p.set_payload_len(8);
        p.set_next_header(IpProtocol::TCP);
        p.set_hop_limit(64);
        p.set_src_addr(src());
        p.set_dst_addr(dst());
        assert_eq!(b, packet_bytes());
        let mut p = Packet::new_unchecked(&mut b[..]);
        p.set_traffic_class(0xb8);
        assert_eq!(
            (p.version(), p.traffic_class(), p.flow_label()),
            (6, 0xb8, 0x1f05e)
        );
    }

    #[test]
    fn parse() {
        let b = packet_bytes();
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(Repr::parse(&p), Ok(repr()));
        let (r, payload) = Repr::parse_with_payload(&p).unwrap();
        assert_eq!(r, repr());
        assert_eq!(payload, &[0x55; 8]);
    }

    #[test]
    fn emit() {
        let mut b = [0x55u8; 48];
        repr().emit(&mut Packet::new_unchecked(&mut b[..]));
        let mut expected = packet_bytes();
        expected[1..4].copy_from_slice(&[0, 0, 0]); // emit writes flow label 0
        assert_eq!(b, expected);
        assert_eq!(repr().buffer_len(), 40);
    }

    #[test]
    fn truncated() {
        let b = packet_bytes();
        for len in 0..48 {
            assert_eq!(Packet::new_checked(&b[..len]).err(), Some(Error::Truncated));
        }
    }

    #[test]
    fn impossible_length() {
        // A payload length beyond the buffer, and the largest one.
        let mut b = packet_bytes();
        b[4] = 0xff;
        b[5] = 0xff;
        assert_eq!(Packet::new_checked(&b[..]).err(), Some(Error::Truncated));
        let p = Packet::new_unchecked(&b[..]);
        assert_eq!(p.payload().len(), 8);
        assert_eq!(Repr::parse(&p), Err(Error::Truncated));
        let mut b = packet_bytes();
        b[0] = 0x40;
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(Repr::parse(&p), Err(Error::Malformed));
    }

    /// A packet whose payload is `ext` followed by 4 bytes of upper layer.
    fn with_extensions(first: IpProtocol, ext: &[u8]) -> alloc::vec::Vec<u8> {
        let mut b = HEADER.to_vec();
        b[6] = first.0;
        b[5] = (ext.len() + 4) as u8;
        b.extend_from_slice(ext);
        b.extend_from_slice(b"tcp!");
        b
    }

    #[test]
    fn extension_headers_skipped() {
        // Hop-by-Hop (8 bytes, PadN) -> Destination Options (16 bytes)
        // -> Routing (segments left 0) -> atomic Fragment -> TCP.
        let mut ext = alloc::vec![60, 0, 1, 4, 0, 0, 0, 0];
        ext.extend_from_slice(&[43, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        ext.extend_from_slice(&[44, 0, 4, 0, 0, 0, 0, 0]);
        ext.extend_from_slice(&[6, 0, 0, 0, 0x12, 0x34, 0x56, 0x78]);
        let b = with_extensions(IpProtocol::HOP_BY_HOP, &ext);
        let p = Packet::new_checked(&b[..]).unwrap();
        let (r, upper) = Repr::parse_with_payload(&p).unwrap();
        assert_eq!(r.next_header, IpProtocol::TCP);
        assert_eq!(r.payload_len, 4);
        assert_eq!(upper, b"tcp!");
    }

    #[test]
    fn extension_headers_rejected() {
        let cases: [(IpProtocol, &[u8], Error); 6] = [
            // Real fragment: offset 1.
            (
                IpProtocol::IPV6_FRAGMENT,
                &[6, 0, 0, 8, 0, 0, 0, 1],
                Error::Unsupported,
            ),
            // Real fragment: more fragments.
            (
                IpProtocol::IPV6_FRAGMENT,
                &[6, 0, 0, 1, 0, 0, 0, 1],
                Error::Unsupported,
            ),
            // Routing header with a segment left.
            (
                IpProtocol::IPV6_ROUTING,
                &[6, 0, 0, 1, 0, 0, 0, 0],
                Error::Unsupported,
            ),
            // Destination options longer than the packet.
            (
                IpProtocol::IPV6_DEST_OPTS,
                &[6, 9, 0, 0, 0, 0, 0, 0],
                Error::Truncated,
            ),
            // Hop-by-Hop after another header.
            (
                IpProtocol::IPV6_DEST_OPTS,
                &[0, 0, 0, 0, 0, 0, 0, 0],
                Error::Malformed,
            ),
            // Fragment header cut short.
            (IpProtocol::IPV6_FRAGMENT, &[6, 0], Error::Truncated),
        ];
        for (first, ext, err) in cases {
            let mut b = with_extensions(first, ext);
            // Drop the upper layer for the truncated fragment case.
            if ext.len() < 8 {
                b.truncate(40 + ext.len());
                b[5] = ext.len() as u8;
            }
            let p = Packet::new_checked(&b[..]).unwrap();
            assert_eq!(Repr::parse(&p), Err(err), "{ext:?}");
        }
        // An empty payload with a Hop-by-Hop next header.
        let mut b = HEADER.to_vec();
        b[5] = 0;
        b[6] = 0;
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(Repr::parse(&p), Err(Error::Truncated));
    }

    #[test]
    fn unknown_next_header_is_upper_layer() {
        let b = with_extensions(IpProtocol::ESP, &[]);
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(Repr::parse(&p).unwrap().next_header, IpProtocol::ESP);
    }

    #[test]
    fn setters_cannot_break_getters() {
        let mut b = packet_bytes();
        let mut p = Packet::new_checked(&mut b[..]).unwrap();
        p.set_payload_len(u16::MAX);
        assert_eq!(p.payload().len(), 8);
        assert_eq!(p.payload_mut().len(), 8);
        let _ = p.upper_layer();
    }
}
