//! IPv4 headers (RFC 791).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version|  IHL  |   DSCP    |ECN|          Total Length         |
//! |         Identification        |Flags|     Fragment Offset     |
//! |  Time to Live |    Protocol   |         Header Checksum       |
//! |                       Source Address                          |
//! |                    Destination Address                        |
//! |                    Options (IHL > 5)                          |
//! ```

use core::net::Ipv4Addr;

use super::checksum::{self, ChecksumMode};
use super::ip::IpProtocol;
use super::{Error, Field, read_u16, write_u16};

/// Byte ranges of the fixed header fields.
pub mod field {
    use super::Field;
    /// Version (high nibble) and IHL (low nibble).
    pub const VER_IHL: usize = 0;
    /// DSCP (high six bits) and ECN (low two bits).
    pub const DSCP_ECN: usize = 1;
    /// Total length of the datagram, header included.
    pub const LENGTH: Field = 2..4;
    /// Identification.
    pub const IDENT: Field = 4..6;
    /// Flags (high three bits) and fragment offset in 8-byte units.
    pub const FLAGS_FRAG: Field = 6..8;
    /// Time to live.
    pub const TTL: usize = 8;
    /// Protocol of the payload.
    pub const PROTOCOL: usize = 9;
    /// Header checksum.
    pub const CHECKSUM: Field = 10..12;
    /// Source address.
    pub const SRC_ADDR: Field = 12..16;
    /// Destination address.
    pub const DST_ADDR: Field = 16..20;
}

/// Length of the header without options.
pub const HEADER_LEN: usize = field::DST_ADDR.end;

const FLAG_DF: u16 = 0x4000;
const FLAG_MF: u16 = 0x2000;
const FRAG_MASK: u16 = 0x1fff;

/// A read/write view of an IPv4 packet in a byte buffer.
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

    /// Checks that the buffer holds the fixed header, that IHL is at least 5
    /// and fits the buffer, and that the total length covers the header and
    /// fits the buffer. Bytes past the total length (link padding) are
    /// allowed and ignored. Never panics.
    pub fn check_len(&self) -> Result<(), Error> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let header_len = self.header_len();
        if header_len < HEADER_LEN {
            return Err(Error::Malformed);
        }
        if header_len > len {
            return Err(Error::Truncated);
        }
        let total_len = self.total_len() as usize;
        if total_len < header_len {
            return Err(Error::Malformed);
        }
        if total_len > len {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Returns the underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The version field (4 for a valid packet).
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VER_IHL] >> 4
    }

    /// The header length in bytes (IHL × 4), options included.
    pub fn header_len(&self) -> usize {
        ((self.buffer.as_ref()[field::VER_IHL] & 0x0f) as usize) * 4
    }

    /// The differentiated services code point.
    pub fn dscp(&self) -> u8 {
        self.buffer.as_ref()[field::DSCP_ECN] >> 2
    }

    /// The ECN code point (RFC 3168).
    pub fn ecn(&self) -> u8 {
        self.buffer.as_ref()[field::DSCP_ECN] & 0x03
    }

    /// The total length field: header plus payload, in bytes.
    pub fn total_len(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::LENGTH.start)
    }

    /// The identification field.
    pub fn ident(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::IDENT.start)
    }

    /// The "don't fragment" flag.
    pub fn dont_frag(&self) -> bool {
        self.flags_frag() & FLAG_DF != 0
    }

    /// The "more fragments" flag.
    pub fn more_frags(&self) -> bool {
        self.flags_frag() & FLAG_MF != 0
    }

    /// The fragment offset in bytes (the field counts 8-byte units).
    pub fn frag_offset(&self) -> u16 {
        (self.flags_frag() & FRAG_MASK) << 3
    }

    /// Whether this is a fragment of a larger datagram (MF set or a nonzero
    /// offset).
    pub fn is_fragment(&self) -> bool {
        self.more_frags() || self.frag_offset() != 0
    }

    fn flags_frag(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::FLAGS_FRAG.start)
    }

    /// The time to live.
    pub fn hop_limit(&self) -> u8 {
        self.buffer.as_ref()[field::TTL]
    }

    /// The payload protocol.
    pub fn protocol(&self) -> IpProtocol {
        IpProtocol(self.buffer.as_ref()[field::PROTOCOL])
    }

    /// The header checksum field.
    pub fn checksum(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::CHECKSUM.start)
    }

    /// The source address.
    pub fn src_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(addr_bytes(self.buffer.as_ref(), field::SRC_ADDR))
    }

    /// The destination address.
    pub fn dst_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(addr_bytes(self.buffer.as_ref(), field::DST_ADDR))
    }

    /// The header bytes: fixed part plus options (clipped to the buffer).
    pub fn header(&self) -> &[u8] {
        let data = self.buffer.as_ref();
        &data[..self.header_len().min(data.len())]
    }

    /// The option bytes between the fixed header and the payload.
    pub fn options(&self) -> &[u8] {
        self.header().get(HEADER_LEN..).unwrap_or(&[])
    }

    /// Whether the header checksum is correct.
    pub fn verify_checksum(&self) -> bool {
        checksum::verify_ip_header(self.header())
    }

    /// The payload: from the end of the header to the total length, both
    /// clipped to the buffer.
    pub fn payload(&self) -> &[u8] {
        let data = self.buffer.as_ref();
        let (start, end) = payload_bounds(data.len(), self.header_len(), self.total_len());
        &data[start..end]
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// The payload, borrowed for the buffer's whole lifetime.
    pub fn into_payload(self) -> &'a [u8] {
        let data = self.buffer.as_ref();
        let header_len = ((data[field::VER_IHL] & 0x0f) as usize) * 4;
        let total = read_u16(data, field::LENGTH.start);
        let (start, end) = payload_bounds(data.len(), header_len, total);
        &data[start..end]
    }
}

/// Payload range, clipped so that `start <= end <= len`.
fn payload_bounds(len: usize, header_len: usize, total_len: u16) -> (usize, usize) {
    let end = (total_len as usize).min(len);
    let start = header_len.min(end);
    (start, end)
}

fn addr_bytes(data: &[u8], range: Field) -> [u8; 4] {
    let mut out = [0u8; 4];
    out.copy_from_slice(&data[range]);
    out
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the version field.
    pub fn set_version(&mut self, version: u8) {
        let b = &mut self.buffer.as_mut()[field::VER_IHL];
        *b = (*b & 0x0f) | (version << 4);
    }

    /// Sets the header length in bytes; it is stored divided by 4 (IHL), so
    /// pass a multiple of 4 no larger than 60.
    pub fn set_header_len(&mut self, len: usize) {
        let b = &mut self.buffer.as_mut()[field::VER_IHL];
        *b = (*b & 0xf0) | (((len / 4) as u8) & 0x0f);
    }

    /// Sets the DSCP (six bits).
    pub fn set_dscp(&mut self, dscp: u8) {
        let b = &mut self.buffer.as_mut()[field::DSCP_ECN];
        *b = (*b & 0x03) | (dscp << 2);
    }

    /// Sets the ECN code point (two bits).
    pub fn set_ecn(&mut self, ecn: u8) {
        let b = &mut self.buffer.as_mut()[field::DSCP_ECN];
        *b = (*b & 0xfc) | (ecn & 0x03);
    }

    /// Sets the total length field.
    pub fn set_total_len(&mut self, len: u16) {
        write_u16(self.buffer.as_mut(), field::LENGTH.start, len)
    }

    /// Sets the identification field.
    pub fn set_ident(&mut self, ident: u16) {
        write_u16(self.buffer.as_mut(), field::IDENT.start, ident)
    }

    /// Sets or clears "don't fragment".
    pub fn set_dont_frag(&mut self, value: bool) {
        self.set_flag(FLAG_DF, value)
    }

    /// Sets or clears "more fragments".
    pub fn set_more_frags(&mut self, value: bool) {
        self.set_flag(FLAG_MF, value)
    }

    /// Sets the fragment offset in bytes (stored in 8-byte units; the low
    /// three bits are dropped).
    pub fn set_frag_offset(&mut self, offset: u16) {
        let v = (self.flags_frag() & !FRAG_MASK) | ((offset >> 3) & FRAG_MASK);
        write_u16(self.buffer.as_mut(), field::FLAGS_FRAG.start, v)
    }

    fn set_flag(&mut self, flag: u16, value: bool) {
        let old = self.flags_frag();
        let v = if value { old | flag } else { old & !flag };
        write_u16(self.buffer.as_mut(), field::FLAGS_FRAG.start, v)
    }

    /// Sets the time to live.
    pub fn set_hop_limit(&mut self, ttl: u8) {
        self.buffer.as_mut()[field::TTL] = ttl
    }

    /// Sets the payload protocol.
    pub fn set_protocol(&mut self, protocol: IpProtocol) {
        self.buffer.as_mut()[field::PROTOCOL] = protocol.0
    }

    /// Sets the header checksum field.
    pub fn set_checksum(&mut self, value: u16) {
        write_u16(self.buffer.as_mut(), field::CHECKSUM.start, value)
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, addr: Ipv4Addr) {
        self.buffer.as_mut()[field::SRC_ADDR].copy_from_slice(&addr.octets())
    }

    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, addr: Ipv4Addr) {
        self.buffer.as_mut()[field::DST_ADDR].copy_from_slice(&addr.octets())
    }

    /// Computes the header checksum over the current header (options
    /// included) and stores it.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let value = checksum::finish(0, self.header());
        self.set_checksum(value)
    }

    /// The option bytes, writable.
    pub fn options_mut(&mut self) -> &mut [u8] {
        let header_len = self.header_len();
        let data = self.buffer.as_mut();
        let end = header_len.min(data.len());
        data.get_mut(HEADER_LEN..end).unwrap_or(&mut [])
    }

    /// The payload, writable (same bounds as [`Packet::payload`]).
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let (header_len, total_len) = (self.header_len(), self.total_len());
        let data = self.buffer.as_mut();
        let (start, end) = payload_bounds(data.len(), header_len, total_len);
        &mut data[start..end]
    }
}

/// An IPv4 header as a plain struct.
///
/// Parsing keeps what an upper layer needs and drops the rest (DSCP, ECN,
/// identification, options). Emitting writes a 20-byte header with no
/// options, DSCP and ECN zero, identification zero and "don't fragment" set:
/// an atomic datagram in the sense of RFC 6864.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Source address.
    pub src_addr: Ipv4Addr,
    /// Destination address.
    pub dst_addr: Ipv4Addr,
    /// Payload protocol.
    pub protocol: IpProtocol,
    /// Payload length in bytes (total length minus header length).
    pub payload_len: usize,
    /// Time to live.
    pub hop_limit: u8,
}

impl Repr {
    /// Reads the header of a checked packet. Never panics.
    ///
    /// Errors: [`Error::Malformed`] if the version is not 4;
    /// [`Error::Checksum`] if `checksums.verifies()` and the header checksum
    /// is wrong; [`Error::Unsupported`] for a fragment.
    pub fn parse<T: AsRef<[u8]>>(
        packet: &Packet<T>,
        checksums: ChecksumMode,
    ) -> Result<Repr, Error> {
        // Repeat the length checks so that a view made with `new_unchecked`
        // cannot make this function panic.
        packet.check_len()?;
        if packet.version() != 4 {
            return Err(Error::Malformed);
        }
        if checksums.verifies() && !packet.verify_checksum() {
            return Err(Error::Checksum);
        }
        if packet.is_fragment() {
            return Err(Error::Unsupported);
        }
        Ok(Repr {
            src_addr: packet.src_addr(),
            dst_addr: packet.dst_addr(),
            protocol: packet.protocol(),
            payload_len: packet.total_len() as usize - packet.header_len(),
            hop_limit: packet.hop_limit(),
        })
    }

    /// The header length `emit` writes: always 20.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header into the first 20 bytes of `packet`'s buffer.
    ///
    /// A `payload_len` above 65515 cannot be expressed; the total length is
    /// then written as 65535. The checksum is filled when `checksums.fill`,
    /// and left zero otherwise.
    ///
    /// # Panics
    ///
    /// If the buffer is shorter than [`Repr::buffer_len`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        packet: &mut Packet<T>,
        checksums: ChecksumMode,
    ) {
        let total = HEADER_LEN
            .saturating_add(self.payload_len)
            .min(u16::MAX as usize) as u16;
        let (src, dst) = (u32::from(self.src_addr), u32::from(self.dst_addr));
        // The checksum summed from the values rather than read back from
        // the bytes: version, IHL and DSCP; total length; identifier
        // (zero); flags; TTL and protocol; both addresses.
        let value = if checksums.fill {
            !checksum::fold_words(
                0x4500
                    + u64::from(total)
                    + u64::from(FLAG_DF)
                    + (u64::from(self.hop_limit) << 8)
                    + u64::from(self.protocol.0)
                    + u64::from(src)
                    + u64::from(dst),
            )
        } else {
            0
        };
        // The whole header in one store.
        let mut header = [0u8; HEADER_LEN];
        header[field::VER_IHL] = 0x45;
        header[field::LENGTH].copy_from_slice(&total.to_be_bytes());
        header[field::FLAGS_FRAG].copy_from_slice(&FLAG_DF.to_be_bytes());
        header[field::TTL] = self.hop_limit;
        header[field::PROTOCOL] = self.protocol.0;
        header[field::CHECKSUM].copy_from_slice(&value.to_be_bytes());
        header[field::SRC_ADDR].copy_from_slice(&src.to_be_bytes());
        header[field::DST_ADDR].copy_from_slice(&dst.to_be_bytes());
        packet.buffer.as_mut()[..HEADER_LEN].copy_from_slice(&header);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 127.0.0.1 -> 127.0.0.1, TCP, 40 bytes of payload (a captured SYN's header).
    const HEADER: [u8; 20] = [
        0x45, 0x00, 0x00, 0x3c, 0x72, 0x79, 0x40, 0x00, 0x40, 0x06, 0xca, 0x40, 0x7f, 0x00, 0x00,
        0x01, 0x7f, 0x00, 0x00, 0x01,
    ];

    fn packet_bytes() -> [u8; 60] {
        let mut buf = [0xaau8; 60];
        buf[..20].copy_from_slice(&HEADER);
        buf
    }

    fn repr() -> Repr {
        Repr {
            src_addr: Ipv4Addr::LOCALHOST,
            dst_addr: Ipv4Addr::LOCALHOST,
            protocol: IpProtocol::TCP,
            payload_len: 40,
            hop_limit: 64,
        }
    }

    #[test]
    fn deconstruct() {
        let bytes = packet_bytes();
        let p = Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(p.version(), 4);
        assert_eq!(p.header_len(), 20);
        assert_eq!(p.dscp(), 0);
        assert_eq!(p.ecn(), 0);
        assert_eq!(p.total_len(), 60);
        assert_eq!(p.ident(), 0x7279);
        assert!(p.dont_frag());
        assert!(!p.more_frags());
        assert_eq!(p.frag_offset(), 0);
        assert_eq!(p.hop_limit(), 64);
        assert_eq!(p.protocol(), IpProtocol::TCP);
        assert_eq!(p.checksum(), 0xca40);
        assert_eq!(p.src_addr(), Ipv4Addr::LOCALHOST);
        assert_eq!(p.dst_addr(), Ipv4Addr::LOCALHOST);
        assert!(p.options().is_empty());
        assert!(p.verify_checksum());
        assert_eq!(p.payload(), &[0xaa; 40][..]);
    }

    #[test]
    fn construct() {
        let mut bytes = [0u8; 60];
        let mut p = Packet::new_unchecked(&mut bytes[..]);
        p.set_version(4);
        p.set_header_len(20);
        p.set_dscp(0);
        p.set_ecn(0);
        p.set_total_len(60);
        p.set_ident(0x7279);
        p.set_dont_frag(true);
        p.set_more_frags(false);
        p.set_frag_offset(0);
        p.set_hop_limit(64);
        p.set_protocol(IpProtocol::TCP);
        p.set_src_addr(Ipv4Addr::LOCALHOST);
        p.set_dst_addr(Ipv4Addr::LOCALHOST);
        p.fill_checksum();
        p.payload_mut().fill(0xaa);
        assert_eq!(bytes, packet_bytes());
    }

    #[test]
    fn parse() {
        let bytes = packet_bytes();
        let p = Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(Repr::parse(&p, ChecksumMode::FULL), Ok(repr()));
    }

    #[test]
    fn emit() {
        let mut bytes = [0xaau8; 60];
        let mut p = Packet::new_unchecked(&mut bytes[..]);
        repr().emit(&mut p, ChecksumMode::FULL);
        let mut expected = packet_bytes();
        // emit writes identification 0; recompute the captured checksum.
        expected[4] = 0;
        expected[5] = 0;
        let mut e = Packet::new_unchecked(&mut expected[..]);
        e.fill_checksum();
        assert_eq!(bytes, expected);
        assert_eq!(repr().buffer_len(), 20);
    }

    /// The checksum summed from the fields is the one read back from the
    /// bytes, over addresses, lengths and TTLs that carry everywhere.
    #[test]
    fn emitted_checksum_matches_the_bytes() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for i in 0..2000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let r = Repr {
                src_addr: Ipv4Addr::from(if i % 2 == 0 {
                    x as u32 | 0xffff_0000
                } else {
                    x as u32
                }),
                dst_addr: Ipv4Addr::from(if i % 3 == 0 {
                    u32::MAX
                } else {
                    (x >> 32) as u32
                }),
                protocol: IpProtocol((x >> 8) as u8),
                payload_len: (x >> 16) as usize % 70_000,
                hop_limit: if i % 2 == 0 { 0xff } else { (x >> 24) as u8 },
            };
            let mut fields = [0u8; 20];
            r.emit(
                &mut Packet::new_unchecked(&mut fields[..]),
                ChecksumMode::FULL,
            );
            let mut bytes = fields;
            let mut p = Packet::new_unchecked(&mut bytes[..]);
            p.fill_checksum();
            assert_eq!(fields, bytes, "{r:?}");
            assert!(Packet::new_unchecked(&fields[..]).verify_checksum());
        }
    }

    #[test]
    fn truncated() {
        let bytes = packet_bytes();
        for len in 0..60 {
            assert_eq!(
                Packet::new_checked(&bytes[..len]).err(),
                Some(Error::Truncated),
                "len {len}"
            );
        }
        // IHL past the buffer.
        let mut b = packet_bytes();
        b[0] = 0x4f;
        assert_eq!(Packet::new_checked(&b[..40]).err(), Some(Error::Truncated));
    }

    #[test]
    fn impossible_length() {
        let mut b = packet_bytes();
        b[0] = 0x44; // IHL 4: shorter than the fixed header
        assert_eq!(Packet::new_checked(&b[..]).err(), Some(Error::Malformed));
        let mut b = packet_bytes();
        b[3] = 19; // total length below the header length
        assert_eq!(Packet::new_checked(&b[..]).err(), Some(Error::Malformed));
        let mut b = packet_bytes();
        b[0] = 0x46; // 24-byte header, total length 22
        b[3] = 22;
        assert_eq!(Packet::new_checked(&b[..]).err(), Some(Error::Malformed));
    }

    #[test]
    fn options_are_skipped() {
        let mut b = [0u8; 32];
        b[..20].copy_from_slice(&HEADER);
        b[0] = 0x46;
        b[3] = 32;
        b[20..24].copy_from_slice(&[0x01, 0x01, 0x01, 0x00]); // NOP NOP NOP EOL
        b[24..].copy_from_slice(b"payload!");
        let mut p = Packet::new_checked(&mut b[..]).unwrap();
        p.fill_checksum();
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(p.options(), &[1, 1, 1, 0]);
        let r = Repr::parse(&p, ChecksumMode::FULL).unwrap();
        assert_eq!(r.payload_len, 8);
        assert_eq!(p.payload(), b"payload!");
    }

    #[test]
    fn fragments_rejected() {
        for (flags_hi, flags_lo) in [(0x20, 0x00), (0x00, 0x01), (0x40, 0x10)] {
            let mut b = packet_bytes();
            b[6] = flags_hi;
            b[7] = flags_lo;
            let mut p = Packet::new_checked(&mut b[..]).unwrap();
            p.fill_checksum();
            assert!(p.is_fragment());
            let p = Packet::new_checked(&b[..]).unwrap();
            assert_eq!(Repr::parse(&p, ChecksumMode::FULL), Err(Error::Unsupported));
        }
        let mut b = packet_bytes();
        let mut p = Packet::new_unchecked(&mut b[..]);
        p.set_frag_offset(1480);
        p.set_more_frags(true);
        assert_eq!(p.frag_offset(), 1480);
        assert!(p.dont_frag() && p.more_frags());
    }

    #[test]
    fn bad_checksum_and_version() {
        let mut b = packet_bytes();
        b[11] ^= 1;
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(Repr::parse(&p, ChecksumMode::FULL), Err(Error::Checksum));
        assert_eq!(Repr::parse(&p, ChecksumMode::OFFLOADED), Ok(repr()));
        let mut b = packet_bytes();
        b[0] = 0x65;
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(
            Repr::parse(&p, ChecksumMode::OFFLOADED),
            Err(Error::Malformed)
        );
    }

    #[test]
    fn setters_cannot_break_getters() {
        let mut b = packet_bytes();
        let mut p = Packet::new_checked(&mut b[..]).unwrap();
        p.set_header_len(60);
        p.set_total_len(u16::MAX);
        assert_eq!(p.options().len(), 40);
        assert!(p.payload().is_empty());
        assert!(p.payload_mut().is_empty());
        p.set_header_len(0);
        p.set_total_len(3);
        assert!(p.options().is_empty());
        assert_eq!(p.payload().len(), 3);
        assert!(p.options_mut().is_empty());
        let _ = p.verify_checksum();
        p.fill_checksum();
    }

    #[test]
    fn link_padding_ignored() {
        let mut b = [0u8; 64];
        b[..60].copy_from_slice(&packet_bytes());
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(p.payload().len(), 40);
        assert_eq!(
            Packet::new_checked(&b[..]).unwrap().into_payload().len(),
            40
        );
    }
}
