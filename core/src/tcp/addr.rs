//! A connection's two addresses, stored compactly.
//!
//! TCP names a connection by two IP addresses and two ports (RFC 9293
//! §3.1); an IPv6 socket address also carries a flow label and a scope id,
//! but no TCP segment does, so they cannot take part in naming a
//! connection. [`plain`] drops them, and the crate's internal `AddrPair`
//! keeps only what a segment carries: 38 bytes instead of the 64 of two
//! [`SocketAddr`]s.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};

/// `addr` without an IPv6 flow label or scope id: the form in which it
/// appears in segments, and so the form connections and listeners are
/// keyed by.
pub fn plain(addr: SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V4(_) => addr,
        SocketAddr::V6(a) => SocketAddr::V6(SocketAddrV6::new(*a.ip(), a.port(), 0, 0)),
    }
}

/// Our address and the peer's, both of one IP version, as a segment carries
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AddrPair {
    /// IPv4 addresses sit in the first four bytes.
    local_ip: [u8; 16],
    remote_ip: [u8; 16],
    local_port: u16,
    remote_port: u16,
    v4: bool,
}

impl AddrPair {
    /// The pair `(local, remote)`. When the two are of different IP
    /// versions (the endpoint refuses that before it gets here) the remote
    /// address is taken in the local one's version, IPv4-mapped where that
    /// can be done and unspecified where it cannot.
    #[inline]
    pub(crate) fn new(local: SocketAddr, remote: SocketAddr) -> AddrPair {
        match (local, remote) {
            (SocketAddr::V4(l), SocketAddr::V4(r)) => {
                AddrPair::v4(*l.ip(), l.port(), *r.ip(), r.port())
            }
            _ => AddrPair::not_v4(local.ip(), local.port(), remote.ip(), remote.port()),
        }
    }

    /// The pair of `local_ip` and `local_port` with `remote_ip` and
    /// `remote_port`, as [`new`](Self::new) makes it, without building the
    /// socket addresses first (a segment brings the pieces).
    #[inline]
    pub(crate) fn from_parts(
        local_ip: IpAddr,
        local_port: u16,
        remote_ip: IpAddr,
        remote_port: u16,
    ) -> AddrPair {
        match (local_ip, remote_ip) {
            (IpAddr::V4(l), IpAddr::V4(r)) => AddrPair::v4(l, local_port, r, remote_port),
            _ => AddrPair::not_v4(local_ip, local_port, remote_ip, remote_port),
        }
    }

    /// Two IPv4 addresses, filled in place: building the arrays apart and
    /// moving them in costs several times more.
    #[inline]
    fn v4(local: Ipv4Addr, local_port: u16, remote: Ipv4Addr, remote_port: u16) -> AddrPair {
        let mut pair = AddrPair {
            local_ip: [0; 16],
            remote_ip: [0; 16],
            local_port,
            remote_port,
            v4: true,
        };
        pair.local_ip[..4].copy_from_slice(&local.octets());
        pair.remote_ip[..4].copy_from_slice(&remote.octets());
        pair
    }

    /// IPv6 and mixed pairs, out of line so that the IPv4 case does not
    /// load sixteen bytes of each address first.
    #[inline(never)]
    fn not_v4(local_ip: IpAddr, local_port: u16, remote_ip: IpAddr, remote_port: u16) -> AddrPair {
        let (local, remote, v4) = match (local_ip, remote_ip) {
            (IpAddr::V4(l), IpAddr::V4(r)) => return AddrPair::v4(l, local_port, r, remote_port),
            (IpAddr::V6(l), IpAddr::V6(r)) => (l.octets(), r.octets(), false),
            (IpAddr::V4(l), IpAddr::V6(r)) => {
                let r = r.to_ipv4_mapped().unwrap_or(Ipv4Addr::UNSPECIFIED);
                return AddrPair::v4(l, local_port, r, remote_port);
            }
            (IpAddr::V6(l), IpAddr::V4(r)) => (l.octets(), r.to_ipv6_mapped().octets(), false),
        };
        AddrPair {
            local_ip: local,
            remote_ip: remote,
            local_port,
            remote_port,
            v4,
        }
    }

    /// Whether this is the pair [`from_parts`](Self::from_parts) makes of
    /// these pieces, without making it.
    #[inline]
    pub(crate) fn is(
        &self,
        local_ip: IpAddr,
        local_port: u16,
        remote_ip: IpAddr,
        remote_port: u16,
    ) -> bool {
        if self.local_port != local_port || self.remote_port != remote_port {
            return false;
        }
        match (local_ip, remote_ip) {
            // Past its first four bytes an IPv4 pair's arrays are zero.
            (IpAddr::V4(l), IpAddr::V4(r)) => {
                self.v4 && self.local_ip[..4] == l.octets() && self.remote_ip[..4] == r.octets()
            }
            (IpAddr::V6(l), IpAddr::V6(r)) => {
                !self.v4 && self.local_ip == l.octets() && self.remote_ip == r.octets()
            }
            _ => *self == AddrPair::from_parts(local_ip, local_port, remote_ip, remote_port),
        }
    }

    #[inline]
    fn ip(&self, bytes: &[u8; 16]) -> IpAddr {
        match bytes.first_chunk::<4>() {
            Some(&v4) if self.v4 => IpAddr::V4(Ipv4Addr::from(v4)),
            _ => IpAddr::V6(Ipv6Addr::from(*bytes)),
        }
    }

    /// Our IP address.
    #[inline]
    pub(crate) fn local_ip(&self) -> IpAddr {
        self.ip(&self.local_ip)
    }

    /// The peer's IP address.
    #[inline]
    pub(crate) fn remote_ip(&self) -> IpAddr {
        self.ip(&self.remote_ip)
    }

    /// Our port.
    pub(crate) const fn local_port(&self) -> u16 {
        self.local_port
    }

    /// The peer's port.
    pub(crate) const fn remote_port(&self) -> u16 {
        self.remote_port
    }

    /// What names the pair, as one block for hashing: both addresses, then
    /// both ports; 12 bytes for IPv4 and 36 for IPv6. Handed to `f`, so
    /// that each version's block is built at its own size.
    #[inline]
    pub(crate) fn with_hash_block<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        if self.v4 {
            let mut block = [0u8; 12];
            block[..4].copy_from_slice(&self.local_ip[..4]);
            block[4..8].copy_from_slice(&self.remote_ip[..4]);
            block[8..10].copy_from_slice(&self.local_port.to_ne_bytes());
            block[10..].copy_from_slice(&self.remote_port.to_ne_bytes());
            f(&block)
        } else {
            let mut block = [0u8; 36];
            block[..16].copy_from_slice(&self.local_ip);
            block[16..32].copy_from_slice(&self.remote_ip);
            block[32..34].copy_from_slice(&self.local_port.to_ne_bytes());
            block[34..].copy_from_slice(&self.remote_port.to_ne_bytes());
            f(&block)
        }
    }

    /// Whether both addresses are IPv4.
    #[inline]
    pub(crate) fn is_ipv4(&self) -> bool {
        self.v4
    }

    /// Our address and port.
    #[inline]
    pub(crate) fn local(&self) -> SocketAddr {
        SocketAddr::new(self.local_ip(), self.local_port)
    }

    /// The peer's address and port.
    #[inline]
    pub(crate) fn remote(&self) -> SocketAddr {
        SocketAddr::new(self.remote_ip(), self.remote_port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_both_versions() {
        let l4: SocketAddr = "10.0.0.1:5000".parse().unwrap();
        let r4: SocketAddr = "192.168.1.9:80".parse().unwrap();
        let p = AddrPair::new(l4, r4);
        assert_eq!((p.local(), p.remote()), (l4, r4));
        assert_eq!((p.local_port(), p.remote_port()), (5000, 80));
        let l6: SocketAddr = "[2001:db8::1]:443".parse().unwrap();
        let r6: SocketAddr = "[fe80::2]:40000".parse().unwrap();
        let p = AddrPair::new(l6, r6);
        assert_eq!((p.local(), p.remote()), (l6, r6));
        assert_eq!(p.local_ip(), l6.ip());
        assert!(core::mem::size_of::<AddrPair>() <= 38);
        assert_eq!(p, AddrPair::from_parts(l6.ip(), 443, r6.ip(), 40000));
    }

    #[test]
    fn is_agrees_with_equality() {
        let addrs: [SocketAddr; 6] = [
            "10.0.0.1:1".parse().unwrap(),
            "10.0.0.2:1".parse().unwrap(),
            "10.0.0.1:2".parse().unwrap(),
            "[::ffff:10.0.0.1]:1".parse().unwrap(),
            "[2001:db8::1]:1".parse().unwrap(),
            "[2001:db8::1]:2".parse().unwrap(),
        ];
        for a in addrs {
            for b in addrs {
                let p = AddrPair::new(a, b);
                for c in addrs {
                    for d in addrs {
                        let q = AddrPair::new(c, d);
                        assert_eq!(
                            p.is(c.ip(), c.port(), d.ip(), d.port()),
                            p == q,
                            "{a} {b} {c} {d}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn hash_block_holds_what_names_the_pair() {
        let p = AddrPair::new(
            "10.0.0.1:258".parse().unwrap(),
            "10.0.0.2:80".parse().unwrap(),
        );
        let block = p.with_hash_block(<[u8]>::to_vec);
        assert_eq!(block.len(), 12);
        assert_eq!(block[..8], [10, 0, 0, 1, 10, 0, 0, 2]);
        assert_eq!(block[8..10], 258u16.to_ne_bytes());
        assert_eq!(block[10..12], 80u16.to_ne_bytes());
        let l6: SocketAddr = "[2001:db8::1]:1".parse().unwrap();
        let r6: SocketAddr = "[2001:db8::2]:2".parse().unwrap();
        let block = AddrPair::new(l6, r6).with_hash_block(<[u8]>::to_vec);
        assert_eq!(block.len(), 36);
        assert_eq!(block[15], 1);
        assert_eq!(block[31], 2);
        assert_eq!(block[32..34], 1u16.to_ne_bytes());
    }

    #[test]
    fn flow_label_and_scope_are_not_part_of_the_name() {
        let scoped = SocketAddr::V6(SocketAddrV6::new("fe80::1".parse().unwrap(), 22, 7, 3));
        let bare: SocketAddr = "[fe80::1]:22".parse().unwrap();
        assert_ne!(scoped, bare);
        assert_eq!(plain(scoped), bare);
        let v4: SocketAddr = "1.2.3.4:5".parse().unwrap();
        assert_eq!(plain(v4), v4);
        let p = AddrPair::new(scoped, bare);
        assert_eq!(p.local(), bare);
    }

    #[test]
    fn mixed_versions_follow_the_local_address() {
        let l4: SocketAddr = "10.0.0.1:1".parse().unwrap();
        let mapped: SocketAddr = "[::ffff:10.0.0.2]:2".parse().unwrap();
        let p = AddrPair::new(l4, mapped);
        assert_eq!(p.remote(), "10.0.0.2:2".parse::<SocketAddr>().unwrap());
        let pure6: SocketAddr = "[2001:db8::2]:2".parse().unwrap();
        assert_eq!(
            AddrPair::new(l4, pure6).remote(),
            "0.0.0.0:2".parse::<SocketAddr>().unwrap()
        );
        let l6: SocketAddr = "[2001:db8::1]:1".parse().unwrap();
        let r4: SocketAddr = "10.0.0.2:2".parse().unwrap();
        assert_eq!(
            AddrPair::new(l6, r4).remote(),
            "[::ffff:10.0.0.2]:2".parse::<SocketAddr>().unwrap()
        );
    }
}
