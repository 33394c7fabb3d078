//! Zero-copy views and builders for IPv4, IPv6 and TCP.
//!
//! This module knows the byte layout of the packets the TCP machine reads and
//! writes, and nothing of any state machine. Each protocol comes in two
//! layers:
//!
//! - a **view**, `Packet<T: AsRef<[u8]>>` ([`Ipv4Packet`], [`Ipv6Packet`],
//!   [`TcpPacket`]): a thin wrapper over a byte buffer with a getter for every
//!   header field and, when `T: AsMut<[u8]>`, a setter. Field offsets are
//!   constants; nothing is copied.
//! - a **representation**, `Repr` ([`Ipv4Repr`], [`Ipv6Repr`], [`TcpRepr`],
//!   and [`IpRepr`] over both IP versions): the header as a plain struct, made
//!   by `Repr::parse` (which validates everything) and written back by
//!   `Repr::emit` (which fills every field, checksums included).
//!
//! Receiving is `Packet::new_checked(bytes)?` then `Repr::parse(&packet, ..)?`;
//! sending is `repr.buffer_len()`, then `repr.emit(&mut Packet::new_unchecked(buf), ..)`.
//! [`IpRepr::parse`] and [`IpRepr::emit`] do the IP half of both for either
//! IP version; [`parse_tcp_packet`] and [`emit_tcp_packet`] do both layers.
//!
//! ```
//! use core::net::Ipv4Addr;
//! use wirestate::wire::{self, ChecksumMode, IpProtocol, IpRepr, TcpFlags, TcpRepr};
//!
//! // A peer's SYN arrives as a whole IPv4 packet...
//! let peer = Ipv4Addr::new(192, 0, 2, 1).into();
//! let us = Ipv4Addr::new(192, 0, 2, 2).into();
//! let syn = TcpRepr {
//!     src_port: 40000,
//!     dst_port: 80,
//!     seq: 1_000,
//!     flags: TcpFlags::SYN,
//!     window: 65535,
//!     mss: Some(1460),
//!     sack_permitted: true,
//!     ..TcpRepr::default()
//! };
//! let ip = IpRepr::new(peer, us, IpProtocol::TCP, 0, 64).unwrap();
//! let mut inbound = [0u8; 128];
//! let n = wire::emit_tcp_packet(&ip, &syn, &mut inbound, ChecksumMode::FULL);
//!
//! // ...is parsed in one call, which checks lengths, options and checksums...
//! let (ip, seg) = wire::parse_tcp_packet(&inbound[..n], ChecksumMode::FULL)?;
//! assert!(seg.flags.contains(TcpFlags::SYN));
//! assert_eq!(seg.mss, Some(1460));
//!
//! // ...and the reply is built from plain structs.
//! let reply_ip = IpRepr::new(ip.dst_addr(), ip.src_addr(), IpProtocol::TCP, 0, 64).unwrap();
//! let reply = TcpRepr {
//!     src_port: seg.dst_port,
//!     dst_port: seg.src_port,
//!     seq: 77,
//!     ack: seg.seq.wrapping_add(1),
//!     flags: TcpFlags::SYN | TcpFlags::ACK,
//!     window: 65535,
//!     mss: Some(1460),
//!     ..TcpRepr::default()
//! };
//! let mut outbound = [0u8; 128];
//! let len = wire::tcp_packet_len(&reply_ip, &reply);
//! assert_eq!(wire::emit_tcp_packet(&reply_ip, &reply, &mut outbound, ChecksumMode::FULL), len);
//! # Ok::<(), wire::Error>(())
//! ```
//!
//! # When nothing can panic
//!
//! This is a contract; the property tests in this module (and the fuzz
//! targets) hold the code to it.
//!
//! 1. `Packet::new_unchecked` never panics and checks nothing. Accessors on a
//!    view made this way may panic if the buffer is shorter than the fixed
//!    header. Use it for buffers you sized yourself (emitting).
//! 2. `Packet::new_checked` never panics. It validates the buffer against the
//!    fixed header size and against every length field the header carries
//!    (IPv4 IHL and total length, IPv6 payload length, TCP data offset). **After
//!    it returns `Ok`, no getter and no setter of that view panics**, whatever
//!    the bytes are. This holds even after a setter rewrites a length field:
//!    variable-length parts (options, payload) are clipped to the buffer
//!    instead of indexing past it. (It assumes the buffer's length does not
//!    change between calls, as for every slice or `Vec`.)
//! 3. Every parser never panics on any input, even on a view made with
//!    `new_unchecked`: `Repr::parse`, [`IpRepr::parse`],
//!    [`Ipv6Repr::parse_with_payload`], [`TcpRepr::parse_segment`],
//!    [`parse_tcp_packet`] and [`TcpOption::parse`]. Everything
//!    a peer can get wrong comes back as an [`Error`]: short buffers, length
//!    fields that contradict each other or the buffer, bad TCP option lengths,
//!    wrong checksums.
//! 4. `Repr::emit` requires a buffer of at least `Repr::buffer_len()` bytes
//!    (for [`TcpRepr`]: header plus payload) and panics if it is shorter; that
//!    is a bug in the caller, not something the network can cause. It never
//!    panics otherwise. The same holds for [`IpRepr::emit`],
//!    [`TcpOption::emit`] (`buffer_len()`), [`TcpRepr::emit_header`]
//!    (`header_len()` plus the payload length given) and [`emit_tcp_packet`]
//!    ([`tcp_packet_len`]).
//! 5. The [`checksum`] functions never panic.
//!
//! Iterators over TCP options ([`TcpOptions`]) never panic and always end:
//! every step consumes at least one byte or stops.
//!
//! # What is accepted
//!
//! - IPv4: options are skipped (their bytes stay reachable through
//!   [`Ipv4Packet::options`]); fragments are **rejected** by [`Ipv4Repr::parse`]
//!   with [`Error::Unsupported`], because this crate does not reassemble them.
//!   The fragment fields stay readable on the view.
//! - IPv6: Hop-by-Hop Options, Destination Options, Routing headers with no
//!   segments left, and atomic Fragment headers (offset 0, no more fragments,
//!   RFC 6946) are **skipped**. Real fragments and Routing headers with segments
//!   left are rejected with [`Error::Unsupported`]. Any other next-header value
//!   (including AH and ESP) is taken as the upper-layer protocol. Jumbograms are
//!   not supported.
//! - TCP: see [`TcpRepr::parse`] for the option rules.
//!
//! Sequence numbers are plain `u32` here: comparing and advancing them modulo
//! 2³² is the TCP machine's business, not the wire's.
//!
//! # Checksums
//!
//! [`ChecksumMode`] says whether to verify received checksums and fill sent
//! ones; turn both off when a NIC or TUN device with offload does the work.
//! When the crate is built with `cfg(fuzzing)`, verification is always skipped
//! so that fuzzers reach the state machine.

use core::fmt;

pub mod checksum;
mod ip;
pub mod ipv4;
pub mod ipv6;
pub mod tcp;
mod tcp_ip;
mod tcp_option;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod vectors;

pub use checksum::ChecksumMode;
pub use ip::{IpProtocol, IpRepr};
pub use ipv4::{Packet as Ipv4Packet, Repr as Ipv4Repr};
pub use ipv6::{Packet as Ipv6Packet, Repr as Ipv6Repr};
pub use tcp::{Flags as TcpFlags, Packet as TcpPacket, Repr as TcpRepr};
pub use tcp_ip::{emit_tcp_packet, parse_tcp_packet, tcp_packet_len};
pub use tcp_option::{TcpOption, TcpOptions};

/// Why a buffer could not be read as a packet.
///
/// Every variant means the *input* was at fault; none is a bug in this crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// The buffer ends before the header, or before the end a length field
    /// announces.
    Truncated,
    /// A field holds a value the protocol forbids: a header length below the
    /// minimum, a total length shorter than the header, a TCP option with an
    /// impossible length, a wrong IP version, port zero.
    Malformed,
    /// The checksum does not match the bytes.
    Checksum,
    /// Well-formed, but something this crate does not handle: IP fragments,
    /// an IPv6 routing header with segments left, an unknown IP version.
    Unsupported,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Truncated => "packet truncated",
            Error::Malformed => "packet malformed",
            Error::Checksum => "checksum mismatch",
            Error::Unsupported => "packet uses an unsupported feature",
        })
    }
}

impl core::error::Error for Error {}

/// A byte range of a fixed-size header field.
type Field = core::ops::Range<usize>;

/// Reads a big-endian `u16` at `at`. Callers guarantee `at + 2 <= data.len()`.
#[inline]
fn read_u16(data: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([data[at], data[at + 1]])
}

/// Reads a big-endian `u32` at `at`. Callers guarantee `at + 4 <= data.len()`.
#[inline]
fn read_u32(data: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
}

/// Writes a big-endian `u16` at `at`. Callers guarantee the room.
#[inline]
fn write_u16(data: &mut [u8], at: usize, value: u16) {
    data[at..at + 2].copy_from_slice(&value.to_be_bytes());
}

/// Writes a big-endian `u32` at `at`. Callers guarantee the room.
#[inline]
fn write_u32(data: &mut [u8], at: usize, value: u32) {
    data[at..at + 4].copy_from_slice(&value.to_be_bytes());
}
