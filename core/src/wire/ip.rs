//! What IPv4 and IPv6 have in common: the protocol number and a header
//! representation over both versions.

use core::fmt;
use core::net::IpAddr;

use super::checksum::{self, ChecksumMode};
use super::{Error, ipv4, ipv6};

/// An IP protocol number (IPv4 "protocol", IPv6 "next header").
///
/// A plain wrapper so that every value, known or not, round-trips.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IpProtocol(pub u8);

impl IpProtocol {
    /// IPv6 Hop-by-Hop Options extension header (0).
    pub const HOP_BY_HOP: IpProtocol = IpProtocol(0);
    /// ICMP for IPv4 (1).
    pub const ICMP: IpProtocol = IpProtocol(1);
    /// TCP (6).
    pub const TCP: IpProtocol = IpProtocol(6);
    /// UDP (17).
    pub const UDP: IpProtocol = IpProtocol(17);
    /// IPv6 Routing extension header (43).
    pub const IPV6_ROUTING: IpProtocol = IpProtocol(43);
    /// IPv6 Fragment extension header (44).
    pub const IPV6_FRAGMENT: IpProtocol = IpProtocol(44);
    /// Encapsulating Security Payload (50).
    pub const ESP: IpProtocol = IpProtocol(50);
    /// Authentication Header (51).
    pub const AH: IpProtocol = IpProtocol(51);
    /// ICMP for IPv6 (58).
    pub const ICMPV6: IpProtocol = IpProtocol(58);
    /// IPv6 "no next header" (59).
    pub const IPV6_NO_NEXT: IpProtocol = IpProtocol(59);
    /// IPv6 Destination Options extension header (60).
    pub const IPV6_DEST_OPTS: IpProtocol = IpProtocol(60);
}

impl fmt::Debug for IpProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match *self {
            IpProtocol::HOP_BY_HOP => "HopByHop",
            IpProtocol::ICMP => "Icmp",
            IpProtocol::TCP => "Tcp",
            IpProtocol::UDP => "Udp",
            IpProtocol::IPV6_ROUTING => "Ipv6Routing",
            IpProtocol::IPV6_FRAGMENT => "Ipv6Fragment",
            IpProtocol::ESP => "Esp",
            IpProtocol::AH => "Ah",
            IpProtocol::ICMPV6 => "Icmpv6",
            IpProtocol::IPV6_NO_NEXT => "Ipv6NoNext",
            IpProtocol::IPV6_DEST_OPTS => "Ipv6DestOpts",
            IpProtocol(other) => return write!(f, "IpProtocol({other})"),
        };
        f.write_str(name)
    }
}

impl fmt::Display for IpProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// An IPv4 or IPv6 header, as far as an upper-layer protocol cares.
///
/// [`IpRepr::parse`] reads either version from raw bytes and returns the
/// upper-layer payload with it; [`IpRepr::emit`] writes the header in front
/// of a payload the caller places after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpRepr {
    /// An IPv4 header.
    V4(ipv4::Repr),
    /// An IPv6 header (extension headers skipped on parse, none on emit).
    V6(ipv6::Repr),
}

impl IpRepr {
    /// A header for `payload_len` bytes of `protocol` from `src` to `dst`.
    ///
    /// Returns `None` when the two addresses are of different families.
    pub fn new(
        src: IpAddr,
        dst: IpAddr,
        protocol: IpProtocol,
        payload_len: usize,
        hop_limit: u8,
    ) -> Option<IpRepr> {
        match (src, dst) {
            (IpAddr::V4(src_addr), IpAddr::V4(dst_addr)) => Some(IpRepr::V4(ipv4::Repr {
                src_addr,
                dst_addr,
                protocol,
                payload_len,
                hop_limit,
            })),
            (IpAddr::V6(src_addr), IpAddr::V6(dst_addr)) => Some(IpRepr::V6(ipv6::Repr {
                src_addr,
                dst_addr,
                next_header: protocol,
                payload_len,
                hop_limit,
            })),
            _ => None,
        }
    }

    /// Reads an IPv4 or IPv6 packet (chosen by the version nibble) and returns
    /// its header and the upper-layer payload, clipped to the length the
    /// header announces (link-layer padding after it is dropped).
    ///
    /// Never panics. Errors: [`Error::Truncated`] for an empty or short
    /// buffer, [`Error::Unsupported`] for a version other than 4 or 6, and
    /// whatever [`ipv4::Repr::parse`] or [`ipv6::Repr::parse`] report.
    pub fn parse(bytes: &[u8], checksums: ChecksumMode) -> Result<(IpRepr, &[u8]), Error> {
        match bytes.first().map(|b| b >> 4) {
            None => Err(Error::Truncated),
            Some(4) => {
                let packet = ipv4::Packet::new_checked(bytes)?;
                let repr = ipv4::Repr::parse(&packet, checksums)?;
                Ok((IpRepr::V4(repr), packet.into_payload()))
            }
            Some(6) => {
                let packet = ipv6::Packet::new_checked(bytes)?;
                let (repr, payload) = ipv6::Repr::parse_with_payload(&packet)?;
                Ok((IpRepr::V6(repr), payload))
            }
            Some(_) => Err(Error::Unsupported),
        }
    }

    /// Writes the header at the start of `buffer`; the payload goes right
    /// after [`IpRepr::buffer_len`] bytes.
    ///
    /// # Panics
    ///
    /// If `buffer` is shorter than [`IpRepr::buffer_len`].
    pub fn emit(&self, buffer: &mut [u8], checksums: ChecksumMode) {
        match self {
            IpRepr::V4(repr) => repr.emit(&mut ipv4::Packet::new_unchecked(buffer), checksums),
            IpRepr::V6(repr) => repr.emit(&mut ipv6::Packet::new_unchecked(buffer)),
        }
    }

    /// The header length `emit` writes: 20 for IPv4, 40 for IPv6.
    pub const fn buffer_len(&self) -> usize {
        match self {
            IpRepr::V4(_) => ipv4::HEADER_LEN,
            IpRepr::V6(_) => ipv6::HEADER_LEN,
        }
    }

    /// The source address.
    pub const fn src_addr(&self) -> IpAddr {
        match self {
            IpRepr::V4(r) => IpAddr::V4(r.src_addr),
            IpRepr::V6(r) => IpAddr::V6(r.src_addr),
        }
    }

    /// The destination address.
    pub const fn dst_addr(&self) -> IpAddr {
        match self {
            IpRepr::V4(r) => IpAddr::V4(r.dst_addr),
            IpRepr::V6(r) => IpAddr::V6(r.dst_addr),
        }
    }

    /// The upper-layer protocol (IPv4 protocol, or IPv6 next header after
    /// any skipped extension headers).
    pub const fn protocol(&self) -> IpProtocol {
        match self {
            IpRepr::V4(r) => r.protocol,
            IpRepr::V6(r) => r.next_header,
        }
    }

    /// The upper-layer payload length in bytes.
    pub const fn payload_len(&self) -> usize {
        match self {
            IpRepr::V4(r) => r.payload_len,
            IpRepr::V6(r) => r.payload_len,
        }
    }

    /// Sets the upper-layer payload length.
    pub fn set_payload_len(&mut self, len: usize) {
        match self {
            IpRepr::V4(r) => r.payload_len = len,
            IpRepr::V6(r) => r.payload_len = len,
        }
    }

    /// The IPv4 TTL or IPv6 hop limit.
    pub const fn hop_limit(&self) -> u8 {
        match self {
            IpRepr::V4(r) => r.hop_limit,
            IpRepr::V6(r) => r.hop_limit,
        }
    }

    /// The pseudo-header sum for the upper-layer checksum (see
    /// [`checksum`](super::checksum)).
    pub fn pseudo_header_sum(&self) -> u16 {
        match self {
            IpRepr::V4(r) => checksum::pseudo_header_v4(
                r.src_addr,
                r.dst_addr,
                r.protocol,
                r.payload_len.min(u16::MAX as usize) as u16,
            ),
            IpRepr::V6(r) => checksum::pseudo_header_v6(
                &r.src_addr,
                &r.dst_addr,
                r.next_header,
                r.payload_len.min(u32::MAX as usize) as u32,
            ),
        }
    }
}

impl fmt::Display for IpRepr {
    /// One line for traces: `192.0.2.1 > 192.0.2.2 Tcp len=40 hop=64`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} > {} {} len={} hop={}",
            self.src_addr(),
            self.dst_addr(),
            self.protocol(),
            self.payload_len(),
            self.hop_limit()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn new_rejects_mixed_families() {
        let v4 = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let v6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
        assert!(IpRepr::new(v4, v6, IpProtocol::TCP, 0, 64).is_none());
        assert!(IpRepr::new(v6, v4, IpProtocol::TCP, 0, 64).is_none());
        let r = IpRepr::new(v6, v6, IpProtocol::TCP, 12, 64).unwrap();
        assert_eq!(r.buffer_len(), 40);
        assert_eq!(r.protocol(), IpProtocol::TCP);
        assert_eq!(r.payload_len(), 12);
        assert_eq!(r.hop_limit(), 64);
        assert_eq!(r.src_addr(), v6);
    }

    #[test]
    fn parse_dispatches_on_version() {
        assert_eq!(
            IpRepr::parse(&[], ChecksumMode::FULL),
            Err(Error::Truncated)
        );
        assert_eq!(
            IpRepr::parse(&[0x50; 40], ChecksumMode::FULL),
            Err(Error::Unsupported)
        );
        for repr in [
            IpRepr::new(
                Ipv4Addr::new(10, 0, 0, 1).into(),
                Ipv4Addr::new(10, 0, 0, 2).into(),
                IpProtocol::TCP,
                3,
                64,
            )
            .unwrap(),
            IpRepr::new(
                Ipv6Addr::LOCALHOST.into(),
                Ipv6Addr::UNSPECIFIED.into(),
                IpProtocol::UDP,
                3,
                1,
            )
            .unwrap(),
        ] {
            let mut buf = [0u8; 60];
            repr.emit(&mut buf, ChecksumMode::FULL);
            let n = repr.buffer_len();
            buf[n..n + 3].copy_from_slice(b"abc");
            // Trailing bytes past the announced length are link padding.
            let (parsed, payload) = IpRepr::parse(&buf, ChecksumMode::FULL).unwrap();
            assert_eq!(parsed, repr);
            assert_eq!(payload, b"abc");
        }
    }

    #[test]
    fn repr_formats() {
        let r = IpRepr::new(
            Ipv4Addr::new(192, 0, 2, 1).into(),
            Ipv4Addr::new(192, 0, 2, 2).into(),
            IpProtocol::TCP,
            40,
            64,
        )
        .unwrap();
        assert_eq!(
            alloc::format!("{r}"),
            "192.0.2.1 > 192.0.2.2 Tcp len=40 hop=64"
        );
    }

    #[test]
    fn protocol_formats() {
        assert_eq!(alloc::format!("{:?}", IpProtocol::TCP), "Tcp");
        assert_eq!(alloc::format!("{}", IpProtocol(200)), "IpProtocol(200)");
    }
}
