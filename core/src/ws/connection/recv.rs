//! The receive path: frames parsed straight from the caller's slice,
//! payloads unmasked while copied into the event buffer, messages
//! reassembled, inflated and UTF-8 checked as they arrive.

mod direct;

use alloc::string::String;

use super::{Connection, Pending, Step, Timer};
use crate::ws::buffer::RecvBuf;
use crate::ws::close;
use crate::ws::deflate::InflateError;
use crate::ws::event::{MessageKind, Role, State};
use crate::ws::frame::{FrameHeader, MAX_HEADER_LEN, OpCode};
use crate::ws::mask::{copy_masked_uninit, extend_masked};
use crate::ws::utf8::{InvalidUtf8, Utf8Validator};
pub(super) use direct::Direct;
pub use direct::{Received, UnmaskFn};

/// The frame whose payload is arriving.
#[derive(Debug, Clone, Copy)]
struct Frame {
    opcode: OpCode,
    fin: bool,
    mask: Option<[u8; 4]>,
    remaining: u64,
    /// Payload bytes seen so far (the masking phase).
    offset: usize,
}

/// The data message being received.
#[derive(Debug)]
struct Message {
    kind: MessageKind,
    compressed: bool,
    /// Offset of the first byte not yet handed out, in the current text
    /// bank for text and the current binary bank for binary.
    start: usize,
    /// Bytes of the message so far (after inflation).
    size: usize,
    utf8: Utf8Validator,
    /// A streaming chunk of this message has been reported.
    chunked: bool,
    /// The message's length when its first frame is final and uncompressed
    /// (so the header announced it); `u64::MAX` otherwise.
    total: u64,
    /// Which message this is (see `Rx::serial`; never 0).
    serial: u64,
}

/// Receive-side parser state.
#[derive(Debug)]
pub(super) struct Rx {
    hdr: [u8; MAX_HEADER_LEN],
    hdr_len: usize,
    frame: Option<Frame>,
    message: Option<Message>,
    /// Messages started so far (the last one's serial number; the first
    /// message is 1).
    serial: u64,
    /// The serial of the message whose payload goes to the caller's buffer
    /// during a `receive_data_into` call; 0 otherwise.
    direct_serial: u64,
    /// During [`Connection::receive_data_into_until`]: stop after the
    /// header of a final, uncompressed binary frame that starts a message of
    /// at least this many bytes; `u64::MAX` (no length reaches it)
    /// otherwise.
    stop_at: u64,
    /// No more input is processed (Close received, or the connection failed).
    stopped: bool,
}

impl Default for Rx {
    fn default() -> Rx {
        Rx {
            hdr: [0; MAX_HEADER_LEN],
            hdr_len: 0,
            frame: None,
            message: None,
            serial: 0,
            direct_serial: 0,
            stop_at: u64::MAX,
            stopped: false,
        }
    }
}

impl Rx {
    /// The message in progress: its kind and where its kept part starts.
    pub(super) fn message_start(&self) -> Option<(MessageKind, usize)> {
        self.message.as_ref().map(|m| (m.kind, m.start))
    }

    /// The buffer of the message in progress lost its first `by` bytes.
    pub(super) fn shift_message(&mut self, by: usize) {
        if let Some(m) = self.message.as_mut() {
            m.start -= by.min(m.start);
        }
    }

    pub(super) fn stop(&mut self) {
        self.stopped = true;
    }

    /// The input stops right after header `h` (see [`Rx::stop_at`]): a
    /// final, uncompressed binary frame long enough to start a message the
    /// caller takes directly.
    fn stops_after(&self, h: &FrameHeader) -> bool {
        h.payload_len >= self.stop_at && h.opcode == OpCode::Binary && h.fin && !h.rsv1
    }
}

/// The size of the pieces text is unmasked and checked in: small enough to
/// stay in the first-level cache between the two.
const PIECE: usize = 8 << 10;

/// Unmasks `data` (from `offset` into its frame) through the end of
/// `scratch` in cache-sized pieces, checking each piece and appending its
/// text to `out`: the payload is read once and written once, and the
/// scratch piece never leaves the cache.
fn unmask_text(
    scratch: &mut RecvBuf,
    out: &mut String,
    utf8: &mut Utf8Validator,
    data: &[u8],
    mask: Option<[u8; 4]>,
    mut offset: usize,
) -> Result<(), InvalidUtf8> {
    let base = scratch.len();
    for piece in data.chunks(PIECE) {
        scratch.extend_unmasked(piece, mask, offset);
        let checked = utf8.push(&scratch.as_slice()[base..], out);
        scratch.truncate(base);
        checked?;
        offset += piece.len();
    }
    Ok(())
}

/// [`unmask_text`] for a whole message of at most one piece: the complete
/// text is checked in one call, with no code point carried between pieces.
fn unmask_whole_text(
    scratch: &mut RecvBuf,
    out: &mut String,
    data: &[u8],
    mask: Option<[u8; 4]>,
) -> Result<(), InvalidUtf8> {
    let base = scratch.len();
    scratch.extend_unmasked(data, mask, 0);
    let checked = match simdutf8::basic::from_utf8(&scratch.as_slice()[base..]) {
        Ok(text) => {
            out.push_str(text);
            Ok(())
        }
        Err(_) => Err(InvalidUtf8),
    };
    scratch.truncate(base);
    checked
}

/// Appends `src` to `dst`, unmasking when there is a key.
#[inline]
fn append(dst: &mut alloc::vec::Vec<u8>, src: &[u8], mask: Option<[u8; 4]>, offset: usize) {
    match mask {
        Some(k) => extend_masked(dst, src, k, offset),
        None => dst.extend_from_slice(src),
    }
}

impl Connection {
    /// Bytes from the transport.
    ///
    /// Never fails: a peer that breaks the protocol gets the right Close frame
    /// (or HTTP error) and the connection reports [`Event::Closed`]; bytes after
    /// a Close frame, or after the connection ended, are ignored. An empty
    /// slice does nothing (the end of the stream is
    /// [`receive_eof`](Self::receive_eof)).
    ///
    /// [`Event::Closed`]: crate::ws::Event::Closed
    pub fn receive_data(&mut self, data: &[u8]) {
        self.reclaim();
        if data.is_empty() {
            return;
        }
        self.stats.bytes_received += data.len() as u64;
        self.rx_activity = true;
        match self.state {
            State::Closed => {}
            State::Connecting => self.receive_opening(data),
            State::Open | State::Closing => {
                let _ = self.receive_frames(data, &mut Direct::none());
            }
        }
    }

    /// Frees the buffers behind events already handed out.
    pub(super) fn reclaim(&mut self) {
        self.current = None;
        if !self.pending.is_empty() {
            return;
        }
        self.cbuf.clear();
        let (bkeep, tkeep) = match self.rx.message_start() {
            Some((MessageKind::Text, start)) => (None, Some(start)),
            Some((MessageKind::Binary, start)) => (Some(start), None),
            None => (None, None),
        };
        let bmoved = self.bbufs.reclaim(bkeep);
        let tmoved = self.tbufs.reclaim(tkeep);
        match self.rx.message_start() {
            Some((MessageKind::Text, _)) => self.rx.shift_message(tmoved),
            Some((MessageKind::Binary, _)) => self.rx.shift_message(bmoved),
            None => {}
        }
    }

    /// Parses frames from `input`. Returns `Some(unconsumed)` when it stopped
    /// right after a header that [`Rx::stop_at`] asked for, `None` when it
    /// took everything (or the rest is ignored).
    pub(super) fn receive_frames(
        &mut self,
        mut input: &[u8],
        direct: &mut Direct<'_>,
    ) -> Option<usize> {
        while !input.is_empty() && !self.rx.stopped {
            if self.rx.hdr_len == 0
                && self.rx.frame.is_none()
                && self.rx.message.is_none()
                && let Some(used) = self.whole_frame(input)
            {
                input = &input[used..];
                continue;
            }
            if let Some(frame) = self.rx.frame {
                let n = usize::try_from(frame.remaining)
                    .unwrap_or(usize::MAX)
                    .min(input.len());
                let (now, rest) = input.split_at(n);
                input = rest;
                if self.frame_payload(frame, now, direct).is_err() {
                    return None;
                }
                continue;
            }
            // A header: straight from the input when it is all there.
            let parsed = if self.rx.hdr_len == 0 {
                FrameHeader::parse(input).map(|r| match r {
                    Some((h, n)) => {
                        input = &input[n..];
                        Some(h)
                    }
                    None => {
                        self.rx.hdr[..input.len()].copy_from_slice(input);
                        self.rx.hdr_len = input.len();
                        input = &[];
                        None
                    }
                })
            } else {
                let have = self.rx.hdr_len;
                let take = (MAX_HEADER_LEN - have).min(input.len());
                self.rx.hdr[have..have + take].copy_from_slice(&input[..take]);
                FrameHeader::parse(&self.rx.hdr[..have + take]).map(|r| match r {
                    Some((h, n)) => {
                        input = &input[n - have..];
                        self.rx.hdr_len = 0;
                        Some(h)
                    }
                    None => {
                        self.rx.hdr_len = have + take;
                        input = &input[take..];
                        None
                    }
                })
            };
            match parsed {
                Ok(Some(h)) => {
                    if self.begin_frame(h).is_err() {
                        return None;
                    }
                    if self.rx.stops_after(&h) && self.rx.frame.is_some() {
                        return Some(input.len());
                    }
                }
                Ok(None) => {}
                Err(_) => {
                    let _ = self.fail(close::PROTOCOL_ERROR, "frame length has its top bit set");
                    return None;
                }
            }
        }
        None
    }

    /// The fast path: `input` starts with a whole, final, uncompressed data
    /// frame that breaks no rule and fits every limit, and no message is in
    /// progress. Takes it in one go and returns its length; `None` hands
    /// everything else (including every error) to the general path.
    #[inline]
    fn whole_frame(&mut self, input: &[u8]) -> Option<usize> {
        let (b0, b1) = match input {
            [b0, b1, ..] => (*b0, *b1),
            _ => return None,
        };
        let kind = match b0 {
            0x81 => MessageKind::Text,
            0x82 => MessageKind::Binary,
            _ => return None,
        };
        let masked = b1 & 0x80 != 0;
        if masked != (self.role == Role::Server) {
            return None;
        }
        let (len, mut at) = match b1 & 0x7f {
            126 => (
                usize::from(u16::from_be_bytes([*input.get(2)?, *input.get(3)?])),
                4,
            ),
            127 => return None,
            n => (usize::from(n), 2),
        };
        let mask = if masked {
            let k = input.get(at..at + 4)?;
            at += 4;
            Some([k[0], k[1], k[2], k[3]])
        } else {
            None
        };
        let payload = input.get(at..at + len)?;
        if len > self.config.max_frame_size || len > self.config.max_message_size {
            return None;
        }
        if len as u64 >= self.rx.stop_at {
            // The caller may have asked to stop after this header (the
            // general path decides; it takes text just as well).
            return None;
        }
        let (start, end, bank) = if kind == MessageKind::Text {
            let (tbuf, bank) = self.tbufs.current();
            let (scratch, _) = self.bbufs.current();
            let at = tbuf.len();
            let checked = if len <= PIECE {
                unmask_whole_text(scratch, tbuf, payload, mask)
            } else {
                let mut utf8 = Utf8Validator::new();
                unmask_text(scratch, tbuf, &mut utf8, payload, mask, 0).and_then(|()| {
                    if utf8.is_complete() {
                        Ok(())
                    } else {
                        Err(InvalidUtf8)
                    }
                })
            };
            if checked.is_err() {
                // Invalid text: the general path finds the byte and fails.
                tbuf.truncate(at);
                return None;
            }
            (at, tbuf.len(), bank)
        } else {
            // A whole message: no need to start it in an empty bank.
            let (buf, bank) = self.bbufs.current();
            let start = buf.len();
            buf.extend_unmasked(payload, mask, 0);
            (start, buf.len(), bank)
        };
        self.stats.frames_received += 1;
        self.stats.messages_received += 1;
        self.pending.push_back(if self.config.streaming {
            Pending::Chunk {
                kind,
                bank,
                first: true,
                last: true,
                start,
                end,
                total: len as u64,
            }
        } else {
            Pending::Message {
                kind,
                bank,
                start,
                end,
            }
        });
        Some(at + len)
    }

    fn begin_frame(&mut self, h: FrameHeader) -> Step {
        self.stats.frames_received += 1;
        if h.rsv2 || h.rsv3 {
            return Err(self.fail(close::PROTOCOL_ERROR, "reserved bits RSV2/RSV3 set"));
        }
        if let OpCode::Reserved(_) = h.opcode {
            return Err(self.fail(close::PROTOCOL_ERROR, "reserved opcode"));
        }
        match (self.role, h.mask.is_some()) {
            (Role::Server, false) => {
                return Err(self.fail(close::PROTOCOL_ERROR, "unmasked frame from client"));
            }
            (Role::Client, true) => {
                return Err(self.fail(close::PROTOCOL_ERROR, "masked frame from server"));
            }
            _ => {}
        }
        if h.opcode.is_control() {
            if !h.fin {
                return Err(self.fail(close::PROTOCOL_ERROR, "fragmented control frame"));
            }
            if h.payload_len > 125 {
                return Err(self.fail(close::PROTOCOL_ERROR, "control frame longer than 125 bytes"));
            }
            if h.rsv1 {
                return Err(self.fail(close::PROTOCOL_ERROR, "RSV1 set on a control frame"));
            }
            self.ctrl.clear();
        } else {
            let len = usize::try_from(h.payload_len).unwrap_or(usize::MAX);
            if len > self.config.max_frame_size {
                return Err(self.fail(close::MESSAGE_TOO_BIG, "frame too large"));
            }
            match (h.opcode, &self.rx.message) {
                (OpCode::Continuation, None) => {
                    return Err(self.fail(
                        close::PROTOCOL_ERROR,
                        "continuation frame without a message",
                    ));
                }
                (OpCode::Continuation, Some(_)) if h.rsv1 => {
                    return Err(
                        self.fail(close::PROTOCOL_ERROR, "RSV1 set on a continuation frame")
                    );
                }
                (OpCode::Continuation, Some(_)) => {}
                (_, Some(_)) => {
                    return Err(self.fail(
                        close::PROTOCOL_ERROR,
                        "new message started inside a fragmented message",
                    ));
                }
                (op, None) => {
                    if h.rsv1 && self.codec.is_none() {
                        return Err(self.fail(
                            close::PROTOCOL_ERROR,
                            "RSV1 set without a negotiated extension",
                        ));
                    }
                    self.rx.message = Some(Message {
                        kind: if op == OpCode::Text {
                            MessageKind::Text
                        } else {
                            MessageKind::Binary
                        },
                        compressed: h.rsv1,
                        start: if op == OpCode::Text {
                            self.tbufs.begin_message()
                        } else {
                            self.bbufs.begin_message()
                        },
                        size: 0,
                        utf8: Utf8Validator::new(),
                        chunked: false,
                        total: if h.fin && !h.rsv1 {
                            h.payload_len
                        } else {
                            u64::MAX
                        },
                        serial: self.rx.serial + 1,
                    });
                    self.rx.serial += 1;
                }
            }
            if let Some(m) = &self.rx.message
                && !m.compressed
            {
                if m.size.saturating_add(len) > self.config.max_message_size {
                    return Err(self.fail(close::MESSAGE_TOO_BIG, "message too large"));
                }
                match m.kind {
                    MessageKind::Text => self.tbufs.current().0.reserve(len.min(4 << 20)),
                    // The input stops after this header so that the
                    // caller can take the payload into a buffer of its
                    // own: room here would go unused. (Reserved anyway,
                    // it is a large allocation per connection, and one
                    // that glibc's heap trimming can turn into page
                    // faults on every message when connections come and
                    // go.)
                    MessageKind::Binary if self.rx.stops_after(&h) => {}
                    MessageKind::Binary => self.bbufs.current().0.reserve(len.min(4 << 20)),
                }
            }
        }
        let frame = Frame {
            opcode: h.opcode,
            fin: h.fin,
            mask: h.mask,
            remaining: h.payload_len,
            offset: 0,
        };
        self.rx.frame = Some(frame);
        if h.payload_len == 0 {
            return self.end_frame(frame);
        }
        Ok(())
    }

    fn frame_payload(&mut self, mut frame: Frame, data: &[u8], direct: &mut Direct<'_>) -> Step {
        if frame.opcode.is_control() {
            append(&mut self.ctrl, data, frame.mask, frame.offset);
        } else if let Err((code, reason)) = self.data_payload(frame, data, direct) {
            return Err(self.fail(code, reason));
        }
        frame.offset += data.len();
        frame.remaining -= data.len() as u64;
        self.rx.frame = Some(frame);
        if frame.remaining == 0 {
            return self.end_frame(frame);
        }
        Ok(())
    }

    /// Adds payload bytes to the message in progress; `Err` carries the close
    /// code and reason to fail with.
    fn data_payload(
        &mut self,
        frame: Frame,
        data: &[u8],
        direct: &mut Direct<'_>,
    ) -> Result<(), (u16, &'static str)> {
        let Some(m) = self.rx.message.as_mut() else {
            return Ok(());
        };
        // Bytes of the message, unmasked and inflated, land at the end of
        // the current binary bank; text moves on from there into the text
        // bank once checked.
        let (rbuf, _) = self.bbufs.current();
        let before = rbuf.len();
        if m.compressed {
            self.zbuf.clear();
            append(&mut self.zbuf, data, frame.mask, frame.offset);
            let room = self.config.max_message_size - m.size;
            let zbuf = &self.zbuf;
            let result = match self.codec.as_mut() {
                Some(codec) => rbuf.with_vec(|v| codec.decompress(zbuf, v, room)),
                None => Err(InflateError::Corrupt),
            };
            m.size += result.map_err(inflate_failure)?;
        } else if m.kind == MessageKind::Text {
            m.size += data.len();
            let (tbuf, _) = self.tbufs.current();
            if unmask_text(rbuf, tbuf, &mut m.utf8, data, frame.mask, frame.offset).is_err() {
                return Err((close::INVALID_PAYLOAD, "invalid UTF-8 in text message"));
            }
        } else if m.serial == self.rx.direct_serial {
            // The caller's buffer first; what does not fit goes the usual way.
            let n = data.len().min(direct.dst.len() - direct.written);
            let out = &mut direct.dst[direct.written..direct.written + n];
            match (frame.mask, self.unmask) {
                (Some(key), Some(unmask)) => unmask(out, &data[..n], key, frame.offset),
                (mask, _) => copy_masked_uninit(out, &data[..n], mask, frame.offset),
            }
            direct.written += n;
            rbuf.extend_unmasked(&data[n..], frame.mask, frame.offset + n);
            m.size += data.len();
        } else {
            rbuf.extend_unmasked(data, frame.mask, frame.offset);
            m.size += data.len();
        }
        if m.compressed && m.kind == MessageKind::Text {
            let ok = m
                .utf8
                .push(&rbuf.as_slice()[before..], self.tbufs.current().0)
                .is_ok();
            rbuf.truncate(before);
            if !ok {
                return Err((close::INVALID_PAYLOAD, "invalid UTF-8 in text message"));
            }
        }
        // The chunk that completes a message is reported by `end_frame`.
        let completes = frame.fin && frame.remaining == data.len() as u64;
        if self.config.streaming && !completes {
            let (end, bank) = match m.kind {
                MessageKind::Text => {
                    let (tbuf, bank) = self.tbufs.current();
                    (tbuf.len(), bank)
                }
                MessageKind::Binary => {
                    let (buf, bank) = self.bbufs.current();
                    (buf.len(), bank)
                }
            };
            if end > m.start {
                self.pending.push_back(Pending::Chunk {
                    kind: m.kind,
                    bank,
                    start: m.start,
                    end,
                    first: !m.chunked,
                    last: false,
                    total: m.total,
                });
                m.start = end;
                m.chunked = true;
            }
        }
        Ok(())
    }

    fn end_frame(&mut self, frame: Frame) -> Step {
        self.rx.frame = None;
        if frame.opcode.is_control() {
            return self.control_frame(frame.opcode);
        }
        if !frame.fin {
            return Ok(());
        }
        let Some(mut m) = self.rx.message.take() else {
            return Ok(());
        };
        if m.compressed {
            let (rbuf, _) = self.bbufs.current();
            let before = rbuf.len();
            let room = self.config.max_message_size - m.size;
            let result = match self.codec.as_mut() {
                Some(codec) => rbuf.with_vec(|v| codec.finish_message(v, room)),
                None => Err(InflateError::Corrupt),
            };
            if let Err(e) = result {
                let (code, reason) = inflate_failure(e);
                return Err(self.fail(code, reason));
            }
            if m.kind == MessageKind::Text {
                let (rbuf, _) = self.bbufs.current();
                let ok = m
                    .utf8
                    .push(&rbuf.as_slice()[before..], self.tbufs.current().0)
                    .is_ok();
                rbuf.truncate(before);
                if !ok {
                    return Err(self.fail(close::INVALID_PAYLOAD, "invalid UTF-8 in text message"));
                }
            }
        }
        if m.kind == MessageKind::Text && !m.utf8.is_complete() {
            return Err(self.fail(
                close::INVALID_PAYLOAD,
                "text message ends inside a UTF-8 sequence",
            ));
        }
        self.stats.messages_received += 1;
        let (end, bank) = match m.kind {
            MessageKind::Text => {
                let (tbuf, bank) = self.tbufs.current();
                (tbuf.len(), bank)
            }
            MessageKind::Binary => {
                let (buf, bank) = self.bbufs.current();
                (buf.len(), bank)
            }
        };
        let p = if self.config.streaming {
            Pending::Chunk {
                kind: m.kind,
                bank,
                start: m.start,
                end,
                first: !m.chunked,
                last: true,
                total: m.total,
            }
        } else {
            Pending::Message {
                kind: m.kind,
                bank,
                start: m.start,
                end,
            }
        };
        self.pending.push_back(p);
        Ok(())
    }

    fn control_frame(&mut self, opcode: OpCode) -> Step {
        match opcode {
            OpCode::Ping => {
                self.stats.pings_received += 1;
                if self.config.auto_pong
                    && self.state == State::Open
                    && !self.close_sent
                    && self.buffered_amount() + self.ctrl.len() + 14 <= self.config.max_write_buffer
                {
                    let payload = core::mem::take(&mut self.ctrl);
                    self.write_control(OpCode::Pong, &payload);
                    self.ctrl = payload;
                }
                let start = self.cbuf.len();
                self.cbuf.extend_from_slice(&self.ctrl);
                let end = self.cbuf.len();
                self.pending.push_back(Pending::Ping { start, end });
            }
            OpCode::Pong => {
                self.stats.pongs_received += 1;
                self.ping_outstanding = false;
                self.disarm(Timer::PongDeadline);
                let start = self.cbuf.len();
                self.cbuf.extend_from_slice(&self.ctrl);
                let end = self.cbuf.len();
                self.pending.push_back(Pending::Pong { start, end });
            }
            OpCode::Close => return self.close_frame(),
            _ => {}
        }
        Ok(())
    }

    fn close_frame(&mut self) -> Step {
        let (code, reason) = match self.ctrl.as_slice() {
            [] => (close::NO_STATUS, &[][..]),
            [_] => {
                return Err(self.fail(close::PROTOCOL_ERROR, "close frame with a 1-byte payload"));
            }
            [a, b, reason @ ..] => (u16::from_be_bytes([*a, *b]), reason),
        };
        if !self.ctrl.is_empty() && !close::is_valid_on_wire(code) {
            return Err(self.fail(close::PROTOCOL_ERROR, "invalid close code"));
        }
        let Ok(reason) = core::str::from_utf8(reason) else {
            return Err(self.fail(close::INVALID_PAYLOAD, "invalid UTF-8 in close reason"));
        };
        let reason = String::from(reason);
        let start = self.cbuf.len();
        self.cbuf.extend_from_slice(reason.as_bytes());
        let end = self.cbuf.len();
        self.pending
            .push_back(Pending::CloseReceived { code, start, end });
        self.on_close_received(code, reason);
        Ok(())
    }
}

/// The close code and reason for a failed inflation.
fn inflate_failure(e: InflateError) -> (u16, &'static str) {
    match e {
        InflateError::TooBig => (close::MESSAGE_TOO_BIG, "message too large"),
        InflateError::Corrupt => (close::INVALID_PAYLOAD, "invalid compressed data"),
    }
}
