//! TCP headers (RFC 9293 §3.1) and their options.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Source Port          |       Destination Port        |
//! |                        Sequence Number                        |
//! |                    Acknowledgment Number                      |
//! |  Data |       |C|E|U|A|P|R|S|F|                               |
//! | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
//! |           Checksum            |         Urgent Pointer        |
//! |                    Options (data offset > 5)                  |
//! ```
//!
//! The TCP header carries no length of its own: a [`Packet`]'s buffer is the
//! whole segment, exactly the IP payload.

use core::fmt;
use core::net::IpAddr;

use super::checksum::{self, ChecksumMode};
use super::ip::IpProtocol;
use super::tcp_option::{TcpOption, TcpOptions, kind};
use super::{Error, Field, read_u16, read_u32, write_u16, write_u32};

#[path = "tcp_flags.rs"]
mod flags;
pub use flags::Flags;

/// Byte ranges of the fixed header fields.
pub mod field {
    use super::Field;
    /// Source port.
    pub const SRC_PORT: Field = 0..2;
    /// Destination port.
    pub const DST_PORT: Field = 2..4;
    /// Sequence number.
    pub const SEQ_NUM: Field = 4..8;
    /// Acknowledgment number.
    pub const ACK_NUM: Field = 8..12;
    /// Data offset (high nibble of the first byte) and the reserved bits.
    pub const DATA_OFFSET: usize = 12;
    /// Control bits.
    pub const FLAGS: usize = 13;
    /// Receive window (unscaled).
    pub const WINDOW: Field = 14..16;
    /// Checksum.
    pub const CHECKSUM: Field = 16..18;
    /// Urgent pointer.
    pub const URGENT: Field = 18..20;
}

/// Length of the header without options.
pub const HEADER_LEN: usize = field::URGENT.end;
/// The largest header: data offset 15.
pub const MAX_HEADER_LEN: usize = 60;
/// The most option bytes a header can carry.
pub const MAX_OPTIONS_LEN: usize = MAX_HEADER_LEN - HEADER_LEN;

/// A read/write view of a TCP segment in a byte buffer.
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

    /// Checks that the buffer holds the fixed header, that the data offset
    /// is at least 5, and that the header it announces fits the buffer.
    /// Options are not checked here ([`Repr::parse`] does). Never panics.
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
        Ok(())
    }

    /// Returns the underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The source port.
    pub fn src_port(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::SRC_PORT.start)
    }

    /// The destination port.
    pub fn dst_port(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::DST_PORT.start)
    }

    /// The sequence number.
    pub fn seq_number(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::SEQ_NUM.start)
    }

    /// The acknowledgment number (meaningful only with ACK set).
    pub fn ack_number(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::ACK_NUM.start)
    }

    /// The header length in bytes (data offset × 4), options included.
    pub fn header_len(&self) -> usize {
        ((self.buffer.as_ref()[field::DATA_OFFSET] >> 4) as usize) * 4
    }

    /// The four bits between the data offset and the control bits (reserved;
    /// the lowest was once NS and is AE under accurate ECN).
    pub fn reserved_bits(&self) -> u8 {
        self.buffer.as_ref()[field::DATA_OFFSET] & 0x0f
    }

    /// The control bits.
    pub fn flags(&self) -> Flags {
        Flags::from_bits(self.buffer.as_ref()[field::FLAGS])
    }

    /// FIN is set.
    pub fn fin(&self) -> bool {
        self.flags().contains(Flags::FIN)
    }

    /// SYN is set.
    pub fn syn(&self) -> bool {
        self.flags().contains(Flags::SYN)
    }

    /// RST is set.
    pub fn rst(&self) -> bool {
        self.flags().contains(Flags::RST)
    }

    /// PSH is set.
    pub fn psh(&self) -> bool {
        self.flags().contains(Flags::PSH)
    }

    /// ACK is set.
    pub fn ack(&self) -> bool {
        self.flags().contains(Flags::ACK)
    }

    /// URG is set.
    pub fn urg(&self) -> bool {
        self.flags().contains(Flags::URG)
    }

    /// ECE is set.
    pub fn ece(&self) -> bool {
        self.flags().contains(Flags::ECE)
    }

    /// CWR is set.
    pub fn cwr(&self) -> bool {
        self.flags().contains(Flags::CWR)
    }

    /// The window field, unscaled.
    pub fn window_len(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::WINDOW.start)
    }

    /// The checksum field.
    pub fn checksum(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::CHECKSUM.start)
    }

    /// The urgent pointer (meaningful only with URG set).
    pub fn urgent_at(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::URGENT.start)
    }

    /// The option bytes (clipped to the buffer).
    pub fn options(&self) -> &[u8] {
        let data = self.buffer.as_ref();
        let end = self.header_len().min(data.len());
        data.get(HEADER_LEN..end).unwrap_or(&[])
    }

    /// An iterator over the options.
    pub fn options_iter(&self) -> TcpOptions<'_> {
        TcpOptions::new(self.options())
    }

    /// The payload: everything after the header (clipped to the buffer).
    pub fn payload(&self) -> &[u8] {
        let data = self.buffer.as_ref();
        &data[self.header_len().min(data.len())..]
    }

    /// The sequence space the segment takes: payload length, plus one for
    /// SYN, plus one for FIN (RFC 9293 SEG.LEN).
    pub fn segment_len(&self) -> usize {
        self.payload().len() + self.syn() as usize + self.fin() as usize
    }

    /// Whether the checksum is correct for a segment from `src` to `dst`.
    pub fn verify_checksum(&self, src: IpAddr, dst: IpAddr) -> bool {
        let data = self.buffer.as_ref();
        let pseudo = checksum::pseudo_header(&src, &dst, IpProtocol::TCP, data.len() as u32);
        checksum::verify(pseudo, data)
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// The payload, borrowed for the buffer's whole lifetime.
    pub fn into_payload(self) -> &'a [u8] {
        let data = self.buffer.as_ref();
        let header_len = ((data[field::DATA_OFFSET] >> 4) as usize) * 4;
        &data[header_len.min(data.len())..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the source port.
    pub fn set_src_port(&mut self, port: u16) {
        write_u16(self.buffer.as_mut(), field::SRC_PORT.start, port)
    }

    /// Sets the destination port.
    pub fn set_dst_port(&mut self, port: u16) {
        write_u16(self.buffer.as_mut(), field::DST_PORT.start, port)
    }

    /// Sets the sequence number.
    pub fn set_seq_number(&mut self, seq: u32) {
        write_u32(self.buffer.as_mut(), field::SEQ_NUM.start, seq)
    }

    /// Sets the acknowledgment number.
    pub fn set_ack_number(&mut self, ack: u32) {
        write_u32(self.buffer.as_mut(), field::ACK_NUM.start, ack)
    }

    /// Sets the header length in bytes; it is stored divided by 4 (data
    /// offset), so pass a multiple of 4 no larger than 60. The reserved bits
    /// are cleared.
    pub fn set_header_len(&mut self, len: usize) {
        self.buffer.as_mut()[field::DATA_OFFSET] = (((len / 4) as u8) & 0x0f) << 4;
    }

    /// Sets the control bits.
    pub fn set_flags(&mut self, flags: Flags) {
        self.buffer.as_mut()[field::FLAGS] = flags.bits()
    }

    /// Sets the window field.
    pub fn set_window_len(&mut self, window: u16) {
        write_u16(self.buffer.as_mut(), field::WINDOW.start, window)
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, value: u16) {
        write_u16(self.buffer.as_mut(), field::CHECKSUM.start, value)
    }

    /// Sets the urgent pointer.
    pub fn set_urgent_at(&mut self, urgent: u16) {
        write_u16(self.buffer.as_mut(), field::URGENT.start, urgent)
    }

    /// The option bytes, writable (clipped to the buffer).
    pub fn options_mut(&mut self) -> &mut [u8] {
        let header_len = self.header_len();
        let data = self.buffer.as_mut();
        let end = header_len.min(data.len());
        data.get_mut(HEADER_LEN..end).unwrap_or(&mut [])
    }

    /// The payload, writable (clipped to the buffer).
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let header_len = self.header_len();
        let data = self.buffer.as_mut();
        let start = header_len.min(data.len());
        &mut data[start..]
    }

    /// Computes the checksum over the whole buffer for a segment from `src`
    /// to `dst` and stores it.
    pub fn fill_checksum(&mut self, src: IpAddr, dst: IpAddr) {
        self.set_checksum(0);
        let data = self.buffer.as_ref();
        let pseudo = checksum::pseudo_header(&src, &dst, IpProtocol::TCP, data.len() as u32);
        let value = checksum::finish(pseudo, data);
        self.set_checksum(value)
    }

    /// Stores the pseudo-header sum (not complemented) in the checksum field:
    /// what a device doing partial checksum offload (Linux
    /// `CHECKSUM_PARTIAL`, virtio-net `NEEDS_CSUM`) expects to finish.
    pub fn fill_partial_checksum(&mut self, src: IpAddr, dst: IpAddr) {
        let len = self.buffer.as_ref().len() as u32;
        let pseudo = checksum::pseudo_header(&src, &dst, IpProtocol::TCP, len);
        self.set_checksum(pseudo)
    }
}

/// A TCP header with its options and payload, as a plain struct.
///
/// `seq` and `ack` are raw 32-bit values; modular comparison is the state
/// machine's business. `ack` is meaningful only when `flags` has ACK, and
/// `urgent` only with URG. `window` is the raw field, unscaled.
///
/// Options are flattened into fields. On [`Repr::emit`] they are written in
/// this order, always 4-byte aligned: MSS; SACK-permitted and timestamps
/// (`SACKP TS`, `NOP NOP TS` or `NOP NOP SACKP`); `NOP WS`; `NOP NOP SACK`.
/// That is the layout Linux uses, so a Linux SYN round-trips byte for byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Repr<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number.
    pub ack: u32,
    /// Control bits.
    pub flags: Flags,
    /// Window field, unscaled.
    pub window: u16,
    /// Urgent pointer.
    pub urgent: u16,
    /// MSS option.
    pub mss: Option<u16>,
    /// Window scale option: the raw shift count (RFC 7323 says to use 14 for
    /// anything larger; clamping is the receiver's job).
    pub window_scale: Option<u8>,
    /// SACK-permitted option.
    pub sack_permitted: bool,
    /// SACK blocks `(left edge, right edge)`. Parsing fills a prefix and
    /// leaves the rest `None`; emitting writes the `Some` entries in order.
    /// Blocks that would not fit the 40 option bytes are left out (at most 4
    /// fit alone, 3 with timestamps).
    pub sack_ranges: [Option<(u32, u32)>; 4],
    /// Timestamps option `(TSval, TSecr)`.
    pub timestamp: Option<(u32, u32)>,
    /// The payload.
    pub payload: &'a [u8],
}

impl<'a> Repr<'a> {
    /// Reads a checked segment from `src` to `dst`. Never panics.
    ///
    /// Rules: port zero on either side is [`Error::Malformed`]; with
    /// `checksums.verifies()`, a wrong checksum is [`Error::Checksum`];
    /// options are read until End of Option List or the end of the header.
    /// NOP and unknown kinds are skipped. An option with a missing length
    /// byte, a length below 2, a length running past the header, or a length
    /// wrong for its kind (MSS 4, window scale 3, SACK-permitted 2, SACK
    /// 2 + 8·n with n in 1..=4, timestamps 10) is [`Error::Malformed`]. When a
    /// kind appears twice, the last one wins.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &Packet<&'a T>,
        src: IpAddr,
        dst: IpAddr,
        checksums: ChecksumMode,
    ) -> Result<Repr<'a>, Error> {
        packet.check_len()?;
        if packet.src_port() == 0 || packet.dst_port() == 0 {
            return Err(Error::Malformed);
        }
        if checksums.verifies() && !packet.verify_checksum(src, dst) {
            return Err(Error::Checksum);
        }
        let mut repr = Repr {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
            seq: packet.seq_number(),
            ack: packet.ack_number(),
            flags: packet.flags(),
            window: packet.window_len(),
            urgent: packet.urgent_at(),
            payload: packet.into_payload(),
            ..Repr::default()
        };
        // Nearly every segment of an established connection carries just
        // the timestamps, laid out as RFC 7323 Appendix A recommends
        // (NOP, NOP, kind 8, length 10): read those without the general walk.
        if let [1, 1, 8, 10, v0, v1, v2, v3, e0, e1, e2, e3] = *packet.options() {
            repr.timestamp = Some((
                u32::from_be_bytes([v0, v1, v2, v3]),
                u32::from_be_bytes([e0, e1, e2, e3]),
            ));
            return Ok(repr);
        }
        // A SYN's options as this crate and Linux lay them out: MSS, SACK
        // permitted, timestamps, NOP, window scale.
        if let [
            2,
            4,
            m0,
            m1,
            4,
            2,
            8,
            10,
            v0,
            v1,
            v2,
            v3,
            e0,
            e1,
            e2,
            e3,
            1,
            3,
            3,
            shift,
        ] = *packet.options()
        {
            repr.mss = Some(u16::from_be_bytes([m0, m1]));
            repr.sack_permitted = true;
            repr.timestamp = Some((
                u32::from_be_bytes([v0, v1, v2, v3]),
                u32::from_be_bytes([e0, e1, e2, e3]),
            ));
            repr.window_scale = Some(shift);
            return Ok(repr);
        }
        for option in packet.options_iter() {
            match option? {
                TcpOption::MaxSegmentSize(mss) => repr.mss = Some(mss),
                TcpOption::WindowScale(shift) => repr.window_scale = Some(shift),
                TcpOption::SackPermitted => repr.sack_permitted = true,
                TcpOption::SackRange(ranges) => repr.sack_ranges = ranges,
                TcpOption::Timestamp { tsval, tsecr } => repr.timestamp = Some((tsval, tsecr)),
                TcpOption::EndOfList | TcpOption::NoOperation | TcpOption::Unknown { .. } => {}
            }
        }
        Ok(repr)
    }

    /// [`Packet::new_checked`] then [`Repr::parse`] on a whole segment.
    pub fn parse_segment(
        segment: &'a [u8],
        src: IpAddr,
        dst: IpAddr,
        checksums: ChecksumMode,
    ) -> Result<Repr<'a>, Error> {
        Repr::parse(&Packet::new_checked(segment)?, src, dst, checksums)
    }

    /// How many SACK blocks `emit` writes.
    #[inline]
    fn sack_blocks(&self) -> usize {
        let fixed = self.fixed_options_len();
        let room = (MAX_OPTIONS_LEN - fixed).saturating_sub(4) / 8;
        self.sack_ranges.iter().flatten().count().min(room)
    }

    /// Option bytes other than SACK blocks (at most 24).
    #[inline]
    fn fixed_options_len(&self) -> usize {
        let mut len = 0;
        if self.mss.is_some() {
            len += 4;
        }
        if self.timestamp.is_some() {
            len += 12;
        } else if self.sack_permitted {
            len += 4;
        }
        if self.window_scale.is_some() {
            len += 4;
        }
        len
    }

    /// The header length `emit` writes, options included.
    #[inline]
    pub fn header_len(&self) -> usize {
        let blocks = self.sack_blocks();
        let sack = if blocks > 0 { 4 + 8 * blocks } else { 0 };
        HEADER_LEN + self.fixed_options_len() + sack
    }

    /// Header plus payload: the bytes `emit` writes.
    pub fn buffer_len(&self) -> usize {
        self.header_len() + self.payload.len()
    }

    /// The sequence space the segment takes: payload, plus one for SYN,
    /// plus one for FIN.
    pub fn segment_len(&self) -> usize {
        self.payload.len()
            + self.flags.contains(Flags::SYN) as usize
            + self.flags.contains(Flags::FIN) as usize
    }

    /// Writes header, options and payload into the first
    /// [`Repr::buffer_len`] bytes of `packet`'s buffer, with the checksum for
    /// a segment from `src` to `dst` when `checksums.fill` (zero otherwise).
    ///
    /// # Panics
    ///
    /// If the buffer is shorter than [`Repr::buffer_len`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        packet: &mut Packet<T>,
        src: IpAddr,
        dst: IpAddr,
        checksums: ChecksumMode,
    ) {
        let start = self.header_len();
        let end = start + self.payload.len();
        let out = &mut packet.buffer.as_mut()[start..end];
        let payload_sum = if checksums.fill {
            Some(checksum::copy_and_sum(out, self.payload))
        } else {
            out.copy_from_slice(self.payload);
            None
        };
        self.emit_header_summed(
            packet,
            self.header_len(),
            self.payload.len(),
            payload_sum,
            src,
            dst,
            checksums,
        )
    }

    /// Like [`Repr::emit`], but for a payload of `payload_len` bytes the
    /// caller has already placed at offset [`Repr::header_len`]; `self.payload`
    /// is ignored. This spares a copy when the payload comes from a ring
    /// buffer. The checksum covers exactly header plus `payload_len` bytes.
    ///
    /// # Panics
    ///
    /// If the buffer is shorter than `header_len() + payload_len`.
    // Inlined (with its option helpers) into the connection's output path,
    // which then writes the header from the fields it computes instead of
    // through a `Repr` stored and read back: 2.3% fewer instructions per
    // open+close; in time, alternating criterion runs put it within noise
    // (bulk at MTU 1500 +1.4%, open+close -2%).
    #[inline]
    pub fn emit_header<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        packet: &mut Packet<T>,
        payload_len: usize,
        src: IpAddr,
        dst: IpAddr,
        checksums: ChecksumMode,
    ) {
        self.emit_header_summed(
            packet,
            self.header_len(),
            payload_len,
            None,
            src,
            dst,
            checksums,
        );
    }

    /// [`Repr::emit_header`] given the payload's sum (as
    /// [`checksum::sum`] gives it) when the caller took it while placing
    /// the payload; `None` sums the payload in the buffer. `header_len` is
    /// [`Repr::header_len`], which the caller has at hand already.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn emit_header_summed<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        packet: &mut Packet<T>,
        header_len: usize,
        payload_len: usize,
        payload_sum: Option<u16>,
        src: IpAddr,
        dst: IpAddr,
        checksums: ChecksumMode,
    ) {
        debug_assert_eq!(header_len, self.header_len());
        let segment = &mut packet.buffer.as_mut()[..header_len + payload_len];
        // The fixed header as one 20-byte array: its fields are written at
        // known places, with none of the per-field length checks the
        // setters of a `Packet` of any length make.
        let Some((fixed, rest)) = segment.split_first_chunk_mut::<HEADER_LEN>() else {
            return;
        };
        fixed[0..2].copy_from_slice(&self.src_port.to_be_bytes());
        fixed[2..4].copy_from_slice(&self.dst_port.to_be_bytes());
        fixed[4..8].copy_from_slice(&self.seq.to_be_bytes());
        fixed[8..12].copy_from_slice(&self.ack.to_be_bytes());
        fixed[12] = (((header_len / 4) as u8) & 0x0f) << 4;
        fixed[13] = self.flags.bits();
        fixed[14..16].copy_from_slice(&self.window.to_be_bytes());
        fixed[16..18].copy_from_slice(&[0, 0]);
        fixed[18..20].copy_from_slice(&self.urgent.to_be_bytes());
        let (options_out, payload) = rest.split_at_mut((header_len - HEADER_LEN).min(rest.len()));
        let options = self.emit_options(options_out);
        let value = if checksums.fill {
            // The header is summed from the values just written, as 32-bit
            // words, not read back: 8-byte reads over the 1-, 2- and 4-byte
            // stores that wrote it make the CPU wait for those stores to
            // land. Only the payload is read.
            let fixed = (u64::from(self.src_port) << 16 | u64::from(self.dst_port))
                + u64::from(self.seq)
                + u64::from(self.ack)
                + ((header_len as u64 / 4) << 28 | u64::from(self.flags.bits()) << 16)
                + u64::from(self.window)
                + u64::from(self.urgent);
            let len = (header_len + payload_len) as u32;
            let pseudo = checksum::pseudo_header(&src, &dst, IpProtocol::TCP, len);
            let header = checksum::combine(pseudo, checksum::fold_words(fixed + options));
            match payload_sum {
                _ if payload.is_empty() => !header,
                Some(sum) => !checksum::combine(header, sum),
                None => checksum::finish(header, payload),
            }
        } else {
            0
        };
        fixed[16..18].copy_from_slice(&value.to_be_bytes());
    }

    /// Writes the options; `out` is exactly `header_len() - 20` bytes.
    /// Returns the plain sum of the option bytes as big-endian 32-bit words
    /// (they are written in aligned 4-byte pieces), for the checksum.
    #[inline]
    fn emit_options(&self, out: &mut [u8]) -> u64 {
        // The common case, timestamps alone (see `parse`), written directly.
        let timestamps_only = self.mss.is_none()
            && self.window_scale.is_none()
            && !self.sack_permitted
            && self.sack_ranges.iter().all(Option::is_none);
        if let (Some((tsval, tsecr)), true) = (self.timestamp, timestamps_only)
            && let Some((head, rest)) = out.split_first_chunk_mut::<12>()
        {
            const HEAD: [u8; 4] = [kind::NOP, kind::NOP, kind::TIMESTAMP, 10];
            head[..4].copy_from_slice(&HEAD);
            head[4..8].copy_from_slice(&tsval.to_be_bytes());
            head[8..].copy_from_slice(&tsecr.to_be_bytes());
            // Nearly always empty: skip the call to fill nothing.
            if !rest.is_empty() {
                rest.fill(0);
            }
            return u64::from(u32::from_be_bytes(HEAD)) + u64::from(tsval) + u64::from(tsecr);
        }
        // Each option padded to four bytes with NOPs in front, written in
        // fixed-size pieces (no per-option dispatch, no variable copies).
        let mut at = 0;
        let mut total = 0u64;
        let mut put4 = |bytes: [u8; 4], at: &mut usize| {
            out[*at..*at + 4].copy_from_slice(&bytes);
            total += u64::from(u32::from_be_bytes(bytes));
            *at += 4;
        };
        if let Some(mss) = self.mss {
            let [hi, lo] = mss.to_be_bytes();
            put4([kind::MSS, 4, hi, lo], &mut at);
        }
        match (self.sack_permitted, self.timestamp) {
            (sack, Some((tsval, tsecr))) => {
                let head = if sack {
                    [kind::SACK_PERMITTED, 2, kind::TIMESTAMP, 10]
                } else {
                    [kind::NOP, kind::NOP, kind::TIMESTAMP, 10]
                };
                put4(head, &mut at);
                put4(tsval.to_be_bytes(), &mut at);
                put4(tsecr.to_be_bytes(), &mut at);
            }
            (true, None) => put4([kind::NOP, kind::NOP, kind::SACK_PERMITTED, 2], &mut at),
            (false, None) => {}
        }
        if let Some(shift) = self.window_scale {
            put4([kind::NOP, kind::WINDOW_SCALE, 3, shift], &mut at);
        }
        let blocks = self.sack_blocks();
        if blocks > 0 {
            put4(
                [kind::NOP, kind::NOP, kind::SACK, 2 + 8 * blocks as u8],
                &mut at,
            );
            for &(left, right) in self.sack_ranges.iter().flatten().take(blocks) {
                put4(left.to_be_bytes(), &mut at);
                put4(right.to_be_bytes(), &mut at);
            }
        }
        // Everything above is 4-byte aligned; pad defensively anyway.
        if at < out.len() {
            out[at..].fill(0);
        }
        total
    }
}

impl fmt::Display for Repr<'_> {
    /// One line for traces: `40000 > 80 SYN seq=1000 win=65535 mss=1460 len=0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} > {} {} seq={}",
            self.src_port, self.dst_port, self.flags, self.seq
        )?;
        if self.flags.contains(Flags::ACK) {
            write!(f, " ack={}", self.ack)?;
        }
        write!(f, " win={}", self.window)?;
        if self.flags.contains(Flags::URG) {
            write!(f, " urg={}", self.urgent)?;
        }
        if let Some(mss) = self.mss {
            write!(f, " mss={mss}")?;
        }
        if let Some(shift) = self.window_scale {
            write!(f, " ws={shift}")?;
        }
        if self.sack_permitted {
            f.write_str(" sackOK")?;
        }
        if let Some((tsval, tsecr)) = self.timestamp {
            write!(f, " ts={tsval}/{tsecr}")?;
        }
        for (left, right) in self.sack_ranges.iter().flatten() {
            write!(f, " sack={left}-{right}")?;
        }
        write!(f, " len={}", self.payload.len())
    }
}

#[cfg(test)]
#[path = "tcp_tests.rs"]
mod tests;
