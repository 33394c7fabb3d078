//! TCP options (RFC 9293 §3.2, RFC 7323, RFC 2018).
//!
//! Every option but End of Option List and No-Operation is `kind, length,
//! data`, where `length` counts the kind and length bytes too.

use super::{Error, read_u16, read_u32, write_u16, write_u32};

/// Option kinds this crate knows.
pub mod kind {
    /// End of option list (RFC 9293).
    pub const END: u8 = 0;
    /// No-operation, used for alignment (RFC 9293).
    pub const NOP: u8 = 1;
    /// Maximum segment size (RFC 9293).
    pub const MSS: u8 = 2;
    /// Window scale (RFC 7323).
    pub const WINDOW_SCALE: u8 = 3;
    /// SACK permitted (RFC 2018).
    pub const SACK_PERMITTED: u8 = 4;
    /// SACK blocks (RFC 2018).
    pub const SACK: u8 = 5;
    /// Timestamps (RFC 7323).
    pub const TIMESTAMP: u8 = 8;
}

/// One TCP option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcpOption<'a> {
    /// End of option list: what follows is padding.
    EndOfList,
    /// No-operation (one byte).
    NoOperation,
    /// Maximum segment size the sender can receive.
    MaxSegmentSize(u16),
    /// Window scale shift count (RFC 7323 caps its use at 14; the raw value
    /// is kept here, clamping is the receiver's job).
    WindowScale(u8),
    /// The sender can receive SACK blocks.
    SackPermitted,
    /// One to four SACK blocks `(left edge, right edge)`, in order, with the
    /// unused tail `None`.
    SackRange([Option<(u32, u32)>; 4]),
    /// Timestamp value and timestamp echo reply.
    Timestamp {
        /// TSval: the sender's clock.
        tsval: u32,
        /// TSecr: the echoed TSval of the peer.
        tsecr: u32,
    },
    /// Any other kind, with its data (the bytes after kind and length).
    Unknown {
        /// The option kind.
        kind: u8,
        /// The option data.
        data: &'a [u8],
    },
}

impl<'a> TcpOption<'a> {
    /// Reads one option from the start of `bytes`, returning it and the
    /// number of bytes it takes. Never panics.
    ///
    /// Errors: [`Error::Truncated`] if `bytes` is empty; [`Error::Malformed`]
    /// if the length byte is missing, below 2, runs past `bytes`, or does not
    /// fit the kind (MSS 4, window scale 3, SACK permitted 2, SACK 2 + 8·n
    /// with n from 1 to 4, timestamps 10).
    pub fn parse(bytes: &'a [u8]) -> Result<(TcpOption<'a>, usize), Error> {
        let kind = *bytes.first().ok_or(Error::Truncated)?;
        match kind {
            kind::END => return Ok((TcpOption::EndOfList, 1)),
            kind::NOP => return Ok((TcpOption::NoOperation, 1)),
            _ => {}
        }
        let len = *bytes.get(1).ok_or(Error::Malformed)? as usize;
        if len < 2 || len > bytes.len() {
            return Err(Error::Malformed);
        }
        let data = &bytes[2..len];
        let option = match (kind, data.len()) {
            (kind::MSS, 2) => TcpOption::MaxSegmentSize(read_u16(data, 0)),
            (kind::WINDOW_SCALE, 1) => TcpOption::WindowScale(data[0]),
            (kind::SACK_PERMITTED, 0) => TcpOption::SackPermitted,
            (kind::SACK, 8 | 16 | 24 | 32) => {
                let mut ranges = [None; 4];
                for (slot, block) in ranges.iter_mut().zip(data.chunks_exact(8)) {
                    *slot = Some((read_u32(block, 0), read_u32(block, 4)));
                }
                TcpOption::SackRange(ranges)
            }
            (kind::TIMESTAMP, 8) => TcpOption::Timestamp {
                tsval: read_u32(data, 0),
                tsecr: read_u32(data, 4),
            },
            (
                kind::MSS
                | kind::WINDOW_SCALE
                | kind::SACK_PERMITTED
                | kind::SACK
                | kind::TIMESTAMP,
                _,
            ) => return Err(Error::Malformed),
            (kind, _) => TcpOption::Unknown { kind, data },
        };
        Ok((option, len))
    }

    /// The number of bytes [`TcpOption::emit`] writes. For
    /// [`TcpOption::Unknown`] with more than 253 data bytes the length byte
    /// cannot express it; such an option is not a valid TCP option.
    pub fn buffer_len(&self) -> usize {
        match self {
            TcpOption::EndOfList | TcpOption::NoOperation => 1,
            TcpOption::MaxSegmentSize(_) => 4,
            TcpOption::WindowScale(_) => 3,
            TcpOption::SackPermitted => 2,
            TcpOption::SackRange(ranges) => 2 + 8 * ranges.iter().flatten().count(),
            TcpOption::Timestamp { .. } => 10,
            TcpOption::Unknown { data, .. } => 2 + data.len(),
        }
    }

    /// Writes the option at the start of `buffer` and returns its length
    /// ([`TcpOption::buffer_len`]). SACK blocks are written in order,
    /// skipping `None` entries.
    ///
    /// # Panics
    ///
    /// If `buffer` is shorter than [`TcpOption::buffer_len`].
    pub fn emit(&self, buffer: &mut [u8]) -> usize {
        let len = self.buffer_len();
        let (kind, data) = buffer[..len].split_at_mut(1);
        match *self {
            TcpOption::EndOfList => kind[0] = kind::END,
            TcpOption::NoOperation => kind[0] = kind::NOP,
            TcpOption::MaxSegmentSize(mss) => {
                kind[0] = kind::MSS;
                write_u16(data, 1, mss);
            }
            TcpOption::WindowScale(shift) => {
                kind[0] = kind::WINDOW_SCALE;
                data[1] = shift;
            }
            TcpOption::SackPermitted => kind[0] = kind::SACK_PERMITTED,
            TcpOption::SackRange(ranges) => {
                kind[0] = kind::SACK;
                for (i, (left, right)) in ranges.iter().flatten().enumerate() {
                    write_u32(data, 1 + 8 * i, *left);
                    write_u32(data, 5 + 8 * i, *right);
                }
            }
            TcpOption::Timestamp { tsval, tsecr } => {
                kind[0] = kind::TIMESTAMP;
                write_u32(data, 1, tsval);
                write_u32(data, 5, tsecr);
            }
            TcpOption::Unknown {
                kind: k,
                data: bytes,
            } => {
                kind[0] = k;
                data[1..].copy_from_slice(bytes);
            }
        }
        if len > 1 {
            data[0] = len as u8;
        }
        len
    }
}

/// An iterator over the options in a TCP header's option bytes.
///
/// Yields each option in order, including [`TcpOption::NoOperation`] and a
/// final [`TcpOption::EndOfList`] if present, and stops after the end of the
/// bytes, after End of Option List, or after the first error. Never panics.
#[derive(Debug, Clone)]
pub struct TcpOptions<'a> {
    rest: &'a [u8],
}

impl<'a> TcpOptions<'a> {
    /// Iterates over `bytes`, the options area of a TCP header.
    pub const fn new(bytes: &'a [u8]) -> TcpOptions<'a> {
        TcpOptions { rest: bytes }
    }
}

impl<'a> Iterator for TcpOptions<'a> {
    type Item = Result<TcpOption<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match TcpOption::parse(self.rest) {
            Ok((TcpOption::EndOfList, _)) => {
                self.rest = &[];
                Some(Ok(TcpOption::EndOfList))
            }
            Ok((option, len)) => {
                self.rest = self.rest.get(len..).unwrap_or(&[]);
                Some(Ok(option))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

impl core::iter::FusedIterator for TcpOptions<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn all(bytes: &[u8]) -> Vec<Result<TcpOption<'_>, Error>> {
        TcpOptions::new(bytes).collect()
    }

    #[test]
    fn known_options() {
        // A Linux SYN: MSS 65495, SACK permitted, timestamps, NOP, wscale 10.
        let bytes = [
            0x02, 0x04, 0xff, 0xd7, 0x04, 0x02, 0x08, 0x0a, 0x8e, 0xab, 0x8c, 0xac, 0x00, 0x00,
            0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
        ];
        assert_eq!(
            all(&bytes),
            [
                Ok(TcpOption::MaxSegmentSize(65495)),
                Ok(TcpOption::SackPermitted),
                Ok(TcpOption::Timestamp {
                    tsval: 0x8eab8cac,
                    tsecr: 0
                }),
                Ok(TcpOption::NoOperation),
                Ok(TcpOption::WindowScale(10)),
            ]
        );
    }

    #[test]
    fn end_of_list_stops() {
        assert_eq!(
            all(&[1, 0, 2, 4, 5, 0xb4]),
            [Ok(TcpOption::NoOperation), Ok(TcpOption::EndOfList)]
        );
    }

    #[test]
    fn unknown_skipped() {
        let bytes = [30, 4, 0xaa, 0xbb, 3, 3, 7];
        assert_eq!(
            all(&bytes),
            [
                Ok(TcpOption::Unknown {
                    kind: 30,
                    data: &[0xaa, 0xbb]
                }),
                Ok(TcpOption::WindowScale(7)),
            ]
        );
        // Zero-length data is fine for an unknown kind.
        assert_eq!(
            all(&[99, 2]),
            [Ok(TcpOption::Unknown {
                kind: 99,
                data: &[]
            })]
        );
    }

    #[test]
    fn sack_blocks() {
        let mut bytes = alloc::vec![5, 26];
        for v in 1..=6u32 {
            bytes.extend_from_slice(&v.to_be_bytes());
        }
        let expected = TcpOption::SackRange([Some((1, 2)), Some((3, 4)), Some((5, 6)), None]);
        assert_eq!(all(&bytes), [Ok(expected)]);
        let mut out = [0u8; 26];
        assert_eq!(expected.emit(&mut out), 26);
        assert_eq!(&out[..], &bytes[..]);
    }

    #[test]
    fn malformed_lengths() {
        let cases: &[&[u8]] = &[
            &[2],                         // length byte missing
            &[30],                        // even for unknown kinds
            &[2, 0, 0, 0],                // length 0: would loop forever
            &[30, 1, 0, 0],               // length 1
            &[30, 5, 0, 0],               // runs past the end
            &[2, 3, 0],                   // MSS must be 4
            &[2, 5, 0, 0, 0],             // MSS must be 4
            &[3, 2],                      // window scale must be 3
            &[3, 4, 0, 0],                // window scale must be 3
            &[4, 3, 0],                   // SACK permitted must be 2
            &[5, 2],                      // SACK with no block
            &[5, 9, 0, 0, 0, 0, 0, 0, 0], // SACK not a multiple of 8
            &[8, 8, 0, 0, 0, 0, 0, 0],    // timestamps must be 10
        ];
        for case in cases {
            let got = all(case);
            assert_eq!(got.last(), Some(&Err(Error::Malformed)), "{case:?}");
        }
        // Five SACK blocks cannot fit; rejected rather than cut.
        let mut five = alloc::vec![5, 42];
        five.resize(42, 0);
        assert_eq!(all(&five), [Err(Error::Malformed)]);
        assert_eq!(TcpOption::parse(&[]), Err(Error::Truncated));
    }

    #[test]
    fn error_ends_iteration() {
        let mut it = TcpOptions::new(&[1, 2, 9, 1, 1]);
        assert_eq!(it.next(), Some(Ok(TcpOption::NoOperation)));
        assert_eq!(it.next(), Some(Err(Error::Malformed)));
        assert_eq!(it.next(), None);
        assert_eq!(it.next(), None);
    }

    #[test]
    fn emit_round_trips() {
        let options = [
            TcpOption::EndOfList,
            TcpOption::NoOperation,
            TcpOption::MaxSegmentSize(1460),
            TcpOption::WindowScale(14),
            TcpOption::SackPermitted,
            TcpOption::SackRange([Some((7, 9)), None, None, None]),
            TcpOption::Timestamp {
                tsval: 1,
                tsecr: 0xffff_ffff,
            },
            TcpOption::Unknown {
                kind: 254,
                data: &[1, 2, 3],
            },
        ];
        for option in options {
            let mut buf = [0u8; 40];
            let n = option.emit(&mut buf);
            assert_eq!(n, option.buffer_len());
            assert_eq!(TcpOption::parse(&buf[..n]), Ok((option, n)));
        }
    }
}
