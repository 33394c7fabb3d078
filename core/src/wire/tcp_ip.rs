//! Whole IP packets carrying TCP: the IP layer and the TCP layer in one call.

use super::Error;
use super::checksum::ChecksumMode;
use super::ip::{IpProtocol, IpRepr};
use super::tcp::{Packet as TcpPacket, Repr as TcpRepr};

/// Reads an IPv4 or IPv6 packet carrying TCP: [`IpRepr::parse`], then
/// [`TcpRepr::parse`] on its payload with the packet's addresses. Never
/// panics.
///
/// Errors: those of the two parsers, and [`Error::Unsupported`] when the
/// upper-layer protocol is not TCP.
pub fn parse_tcp_packet(
    bytes: &[u8],
    checksums: ChecksumMode,
) -> Result<(IpRepr, TcpRepr<'_>), Error> {
    let (ip, segment) = IpRepr::parse(bytes, checksums)?;
    if ip.protocol() != IpProtocol::TCP {
        return Err(Error::Unsupported);
    }
    let tcp = TcpRepr::parse_segment(segment, ip.src_addr(), ip.dst_addr(), checksums)?;
    Ok((ip, tcp))
}

/// The number of bytes [`emit_tcp_packet`] writes: IP header, TCP header
/// and payload.
pub fn tcp_packet_len(ip: &IpRepr, tcp: &TcpRepr<'_>) -> usize {
    ip.buffer_len() + tcp.buffer_len()
}

/// Writes an IP packet carrying `tcp` at the start of `buffer` and returns
/// its length ([`tcp_packet_len`]).
///
/// The IP header takes its addresses and hop limit from `ip`; its protocol
/// is TCP and its payload length is the segment's, whatever `ip` says.
///
/// # Panics
///
/// If `buffer` is shorter than [`tcp_packet_len`].
pub fn emit_tcp_packet(
    ip: &IpRepr,
    tcp: &TcpRepr<'_>,
    buffer: &mut [u8],
    checksums: ChecksumMode,
) -> usize {
    let ip = with_tcp(ip, tcp.buffer_len());
    let len = tcp_packet_len(&ip, tcp);
    let (header, segment) = buffer[..len].split_at_mut(ip.buffer_len());
    ip.emit(header, checksums);
    let mut packet = TcpPacket::new_unchecked(segment);
    tcp.emit(&mut packet, ip.src_addr(), ip.dst_addr(), checksums);
    len
}

/// `ip` with protocol TCP and the given payload length.
fn with_tcp(ip: &IpRepr, payload_len: usize) -> IpRepr {
    let mut ip = *ip;
    match &mut ip {
        IpRepr::V4(r) => r.protocol = IpProtocol::TCP,
        IpRepr::V6(r) => r.next_header = IpProtocol::TCP,
    }
    ip.set_payload_len(payload_len);
    ip
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::TcpFlags;
    use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    fn segment() -> TcpRepr<'static> {
        TcpRepr {
            src_port: 7,
            dst_port: 40000,
            seq: 100,
            ack: 201,
            flags: TcpFlags::ACK | TcpFlags::PSH,
            window: 1000,
            timestamp: Some((5, 6)),
            payload: b"echo",
            ..TcpRepr::default()
        }
    }

    #[test]
    fn round_trip_both_versions() {
        let pairs: [(IpAddr, IpAddr); 2] = [
            (
                Ipv4Addr::new(10, 7, 0, 2).into(),
                Ipv4Addr::new(10, 7, 0, 1).into(),
            ),
            (
                Ipv6Addr::LOCALHOST.into(),
                "fe80::1".parse::<Ipv6Addr>().unwrap().into(),
            ),
        ];
        for (src, dst) in pairs {
            // Protocol and length in `ip` are placeholders; emit fixes them.
            let ip = IpRepr::new(src, dst, IpProtocol::UDP, 0, 64).unwrap();
            let tcp = segment();
            let mut buf = [0u8; 128];
            let n = emit_tcp_packet(&ip, &tcp, &mut buf, ChecksumMode::FULL);
            assert_eq!(n, tcp_packet_len(&ip, &tcp));
            let (ip2, tcp2) = parse_tcp_packet(&buf[..n], ChecksumMode::FULL).unwrap();
            assert_eq!(ip2.protocol(), IpProtocol::TCP);
            assert_eq!(ip2.payload_len(), tcp.buffer_len());
            assert_eq!(
                (ip2.src_addr(), ip2.dst_addr(), ip2.hop_limit()),
                (src, dst, 64)
            );
            assert_eq!(tcp2, tcp);
        }
    }

    #[test]
    fn other_protocols_unsupported() {
        let ip = IpRepr::new(
            Ipv4Addr::LOCALHOST.into(),
            Ipv4Addr::LOCALHOST.into(),
            IpProtocol::UDP,
            8,
            64,
        )
        .unwrap();
        let mut buf = [0u8; 28];
        ip.emit(&mut buf, ChecksumMode::FULL);
        assert_eq!(
            parse_tcp_packet(&buf, ChecksumMode::FULL),
            Err(Error::Unsupported)
        );
    }
}
