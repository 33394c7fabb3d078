//! The frame codec (RFC 6455 §5.2): header parsing and encoding.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-------+-+-------------+-------------------------------+
//! |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//! |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//! |N|V|V|V|       |S|             |   (if payload len==126/127)   |
//! | |1|2|3|       |K|             |                               |
//! +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//! |     Extended payload length continued, if payload len == 127  |
//! + - - - - - - - - - - - - - - - +-------------------------------+
//! |                               |Masking-key, if MASK set to 1  |
//! +-------------------------------+-------------------------------+
//! ```
//!
//! Parsing never panics: it reads only bytes it has checked are present, and
//! reports "need more" as `Ok(None)`.

use alloc::vec::Vec;

/// The longest possible frame header: 2 + 8 (length) + 4 (mask).
pub const MAX_HEADER_LEN: usize = 14;

/// A frame opcode (RFC 6455 §5.2, §11.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpCode {
    /// 0x0: continues a fragmented message.
    Continuation,
    /// 0x1: first frame of a text message.
    Text,
    /// 0x2: first frame of a binary message.
    Binary,
    /// 0x8: connection close.
    Close,
    /// 0x9: ping.
    Ping,
    /// 0xA: pong.
    Pong,
    /// Any other value (3–7 data, 11–15 control): reserved, a protocol error.
    Reserved(u8),
}

impl OpCode {
    /// The opcode for the low four bits of the first header byte.
    pub fn from_bits(bits: u8) -> OpCode {
        match bits & 0x0f {
            0x0 => OpCode::Continuation,
            0x1 => OpCode::Text,
            0x2 => OpCode::Binary,
            0x8 => OpCode::Close,
            0x9 => OpCode::Ping,
            0xA => OpCode::Pong,
            other => OpCode::Reserved(other),
        }
    }

    /// The four-bit wire value.
    pub fn bits(self) -> u8 {
        match self {
            OpCode::Continuation => 0x0,
            OpCode::Text => 0x1,
            OpCode::Binary => 0x2,
            OpCode::Close => 0x8,
            OpCode::Ping => 0x9,
            OpCode::Pong => 0xA,
            OpCode::Reserved(b) => b & 0x0f,
        }
    }

    /// Control opcodes have the high bit of the opcode set.
    pub fn is_control(self) -> bool {
        self.bits() & 0x8 != 0
    }
}

/// A parsed frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// Final fragment of a message.
    pub fin: bool,
    /// RSV1 (per-message compressed, with permessage-deflate).
    pub rsv1: bool,
    /// RSV2: no extension here defines it.
    pub rsv2: bool,
    /// RSV3: no extension here defines it.
    pub rsv3: bool,
    /// The opcode.
    pub opcode: OpCode,
    /// The masking key, when the MASK bit is set.
    pub mask: Option<[u8; 4]>,
    /// The payload length.
    pub payload_len: u64,
}

/// A header that can never be valid, whatever follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    /// The 64-bit length has its most significant bit set (§5.2 forbids it).
    LengthOverflow,
}

impl FrameHeader {
    /// Parses a header from the start of `buf`. Returns the header and its
    /// length in bytes, or `Ok(None)` when `buf` holds only part of a header.
    #[inline]
    pub fn parse(buf: &[u8]) -> Result<Option<(FrameHeader, usize)>, HeaderError> {
        let (b0, b1) = match buf {
            [b0, b1, ..] => (*b0, *b1),
            _ => return Ok(None),
        };
        let masked = b1 & 0x80 != 0;
        let (payload_len, mut pos) = match b1 & 0x7f {
            126 => match buf.get(2..4) {
                Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 4),
                None => return Ok(None),
            },
            127 => match buf.get(2..10) {
                Some(b) => {
                    let mut a = [0u8; 8];
                    a.copy_from_slice(b);
                    let len = u64::from_be_bytes(a);
                    if len >> 63 != 0 {
                        return Err(HeaderError::LengthOverflow);
                    }
                    (len, 10)
                }
                None => return Ok(None),
            },
            n => (u64::from(n), 2),
        };
        let mask = if masked {
            match buf.get(pos..pos + 4) {
                Some(k) => {
                    pos += 4;
                    Some([k[0], k[1], k[2], k[3]])
                }
                None => return Ok(None),
            }
        } else {
            None
        };
        Ok(Some((
            FrameHeader {
                fin: b0 & 0x80 != 0,
                rsv1: b0 & 0x40 != 0,
                rsv2: b0 & 0x20 != 0,
                rsv3: b0 & 0x10 != 0,
                opcode: OpCode::from_bits(b0),
                mask,
                payload_len,
            },
            pos,
        )))
    }

    /// The encoded length of this header.
    pub fn encoded_len(&self) -> usize {
        let len = match self.payload_len {
            0..=125 => 2,
            126..=0xffff => 4,
            _ => 10,
        };
        len + if self.mask.is_some() { 4 } else { 0 }
    }

    /// Appends the header to `out`, with the shortest length encoding.
    #[inline]
    pub fn encode(&self, out: &mut Vec<u8>) {
        let b0 = (u8::from(self.fin) << 7)
            | (u8::from(self.rsv1) << 6)
            | (u8::from(self.rsv2) << 5)
            | (u8::from(self.rsv3) << 4)
            | self.opcode.bits();
        let m = if self.mask.is_some() { 0x80 } else { 0 };
        match self.payload_len {
            n @ 0..=125 => out.extend_from_slice(&[b0, m | n as u8]),
            n @ 126..=0xffff => {
                let l = (n as u16).to_be_bytes();
                out.extend_from_slice(&[b0, m | 126, l[0], l[1]]);
            }
            n => {
                out.extend_from_slice(&[b0, m | 127]);
                out.extend_from_slice(&n.to_be_bytes());
            }
        }
        if let Some(k) = self.mask {
            out.extend_from_slice(&k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdr(opcode: OpCode, len: u64, mask: Option<[u8; 4]>) -> FrameHeader {
        FrameHeader {
            fin: true,
            rsv1: false,
            rsv2: false,
            rsv3: false,
            opcode,
            mask,
            payload_len: len,
        }
    }

    #[test]
    fn rfc6455_examples_parse() {
        // §5.7: unmasked single-frame "Hello".
        let (h, n) = FrameHeader::parse(&[0x81, 0x05, 0x48]).unwrap().unwrap();
        assert_eq!(
            (h.opcode, h.fin, h.payload_len, h.mask, n),
            (OpCode::Text, true, 5, None, 2)
        );
        // Masked "Hello".
        let (h, n) = FrameHeader::parse(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d])
            .unwrap()
            .unwrap();
        assert_eq!((h.mask, n), (Some([0x37, 0xfa, 0x21, 0x3d]), 6));
        // 256 bytes binary: 82 7E 01 00.
        let (h, n) = FrameHeader::parse(&[0x82, 0x7E, 0x01, 0x00])
            .unwrap()
            .unwrap();
        assert_eq!((h.opcode, h.payload_len, n), (OpCode::Binary, 256, 4));
        // 64 KiB binary: 82 7F 00 00 00 00 00 01 00 00.
        let (h, n) = FrameHeader::parse(&[0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0])
            .unwrap()
            .unwrap();
        assert_eq!((h.payload_len, n), (65536, 10));
        // Fragments: 01 03 "Hel", 80 02 "lo".
        let (h, _) = FrameHeader::parse(&[0x01, 0x03]).unwrap().unwrap();
        assert_eq!((h.opcode, h.fin), (OpCode::Text, false));
        let (h, _) = FrameHeader::parse(&[0x80, 0x02]).unwrap().unwrap();
        assert_eq!((h.opcode, h.fin), (OpCode::Continuation, true));
    }

    #[test]
    fn every_prefix_is_incomplete() {
        for h in [
            hdr(OpCode::Binary, 5, Some([1, 2, 3, 4])),
            hdr(OpCode::Binary, 300, Some([1, 2, 3, 4])),
            hdr(OpCode::Binary, 70_000, Some([1, 2, 3, 4])),
            hdr(OpCode::Ping, 0, None),
        ] {
            let mut v = Vec::new();
            h.encode(&mut v);
            assert_eq!(v.len(), h.encoded_len());
            for cut in 0..v.len() {
                assert_eq!(FrameHeader::parse(&v[..cut]), Ok(None));
            }
            assert_eq!(FrameHeader::parse(&v), Ok(Some((h, v.len()))));
        }
    }

    #[test]
    fn minimal_length_encoding_on_send() {
        for (len, want) in [(125u64, 2usize), (126, 4), (65535, 4), (65536, 10)] {
            let mut v = Vec::new();
            hdr(OpCode::Binary, len, None).encode(&mut v);
            assert_eq!(v.len(), want, "len {len}");
        }
    }

    #[test]
    fn top_bit_of_64bit_length_is_an_error() {
        let buf = [0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(FrameHeader::parse(&buf), Err(HeaderError::LengthOverflow));
    }

    #[test]
    fn reserved_bits_and_opcodes_are_reported() {
        let (h, _) = FrameHeader::parse(&[0xF3, 0x00]).unwrap().unwrap();
        assert!(h.rsv1 && h.rsv2 && h.rsv3);
        assert_eq!(h.opcode, OpCode::Reserved(3));
        assert!(!h.opcode.is_control());
        assert!(OpCode::Reserved(0xB).is_control());
    }
}
