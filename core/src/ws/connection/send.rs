//! The send path: frames written straight into the transmit queue, masked in
//! place by a client, compressed when permessage-deflate is in force.

use alloc::vec::Vec;

use super::{Connection, Timer};
use crate::ws::close;
use crate::ws::error::Error;
use crate::ws::event::{MessageKind, Role, State};
use crate::ws::frame::{FrameHeader, OpCode};
use crate::ws::mask::apply_mask;
use crate::ws::utf8::Utf8Validator;

/// A fragmented message being sent.
#[derive(Debug, Clone)]
pub(super) struct TxFragment {
    kind: MessageKind,
    compressed: bool,
    utf8: Utf8Validator,
}

/// Appends one frame to `out`: header, then the payload, masked with `mask`.
fn write_frame(
    out: &mut Vec<u8>,
    mask: Option<[u8; 4]>,
    fin: bool,
    rsv1: bool,
    opcode: OpCode,
    payload: &[u8],
) {
    let header = FrameHeader {
        fin,
        rsv1,
        rsv2: false,
        rsv3: false,
        opcode,
        mask,
        payload_len: payload.len() as u64,
    };
    header.encode(out);
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(k) = mask {
        apply_mask(&mut out[start..], k, 0);
    }
}

fn opcode_of(kind: MessageKind) -> OpCode {
    match kind {
        MessageKind::Text => OpCode::Text,
        MessageKind::Binary => OpCode::Binary,
    }
}

impl Connection {
    fn next_mask(&mut self) -> Option<[u8; 4]> {
        match self.role {
            Role::Client => Some(self.rng.next_mask()),
            Role::Server => None,
        }
    }

    fn can_send(&self) -> Result<(), Error> {
        if self.state != State::Open || self.close_sent {
            return Err(Error::InvalidState);
        }
        Ok(())
    }

    fn check_room(&self, payload: usize) -> Result<(), Error> {
        // Deflate can grow incompressible data by a few bytes per block.
        let worst = payload + payload / 1000 + 32;
        if self.buffered_amount().saturating_add(worst) > self.config.max_write_buffer {
            return Err(Error::BufferFull);
        }
        Ok(())
    }

    /// Queues a whole text message.
    pub fn send_text(&mut self, text: &str) -> Result<(), Error> {
        self.send_message(MessageKind::Text, text.as_bytes(), true)
    }

    /// Queues a whole binary message.
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), Error> {
        self.send_message(MessageKind::Binary, data, true)
    }

    /// Queues a whole message as one frame. With `compress` false the message
    /// goes out uncompressed even when permessage-deflate is in force; with it
    /// true it is compressed when the extension is in force and the message
    /// reaches the configured threshold. Text must be valid UTF-8
    /// ([`Error::InvalidUtf8`] otherwise).
    pub fn send_message(
        &mut self,
        kind: MessageKind,
        data: &[u8],
        compress: bool,
    ) -> Result<(), Error> {
        self.can_send()?;
        if self.tx_fragment.is_some() {
            return Err(Error::FragmentInProgress);
        }
        if kind == MessageKind::Text && simdutf8::basic::from_utf8(data).is_err() {
            return Err(Error::InvalidUtf8);
        }
        self.check_room(data.len())?;
        let mask = self.next_mask();
        let opcode = opcode_of(kind);
        match self.codec.as_mut() {
            Some(codec) if compress && codec.wants(data.len()) => {
                let z = codec.compress(data, true).ok_or(Error::InvalidState)?;
                write_frame(&mut self.out, mask, true, true, opcode, z);
            }
            _ => write_frame(&mut self.out, mask, true, false, opcode, data),
        }
        self.stats.frames_sent += 1;
        self.stats.messages_sent += 1;
        self.note_queued();
        Ok(())
    }

    /// Queues one fragment of a message. The first call starts a message of
    /// `kind`; later calls must pass the same kind; `fin` ends the message.
    /// Text fragments may split a code point, but the whole message must be
    /// valid UTF-8: a fragment that makes it invalid is refused with
    /// [`Error::InvalidUtf8`] and nothing is sent. Control frames may be sent
    /// between fragments.
    pub fn send_fragment(
        &mut self,
        kind: MessageKind,
        data: &[u8],
        fin: bool,
    ) -> Result<(), Error> {
        self.can_send()?;
        let (mut fragment, opcode) = match &self.tx_fragment {
            None => (
                TxFragment {
                    kind,
                    compressed: self.codec.as_ref().is_some_and(|c| c.wants(usize::MAX)),
                    utf8: Utf8Validator::new(),
                },
                opcode_of(kind),
            ),
            Some(f) if f.kind == kind => (f.clone(), OpCode::Continuation),
            Some(_) => return Err(Error::FragmentInProgress),
        };
        if kind == MessageKind::Text
            && (fragment.utf8.feed(data).is_err() || (fin && !fragment.utf8.is_complete()))
        {
            return Err(Error::InvalidUtf8);
        }
        self.check_room(data.len())?;
        let mask = self.next_mask();
        let first = opcode != OpCode::Continuation;
        match self.codec.as_mut() {
            Some(codec) if fragment.compressed => {
                let z = codec.compress(data, fin).ok_or(Error::InvalidState)?;
                write_frame(&mut self.out, mask, fin, first, opcode, z);
            }
            _ => write_frame(&mut self.out, mask, fin, false, opcode, data),
        }
        self.stats.frames_sent += 1;
        if fin {
            self.stats.messages_sent += 1;
            self.tx_fragment = None;
        } else {
            self.tx_fragment = Some(fragment);
        }
        self.note_queued();
        Ok(())
    }

    /// Queues a Ping with up to 125 bytes of payload.
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.send_control(OpCode::Ping, payload)
    }

    /// Queues an unsolicited Pong (a heartbeat) with up to 125 bytes of payload.
    pub fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.send_control(OpCode::Pong, payload)
    }

    fn send_control(&mut self, opcode: OpCode, payload: &[u8]) -> Result<(), Error> {
        self.can_send()?;
        if payload.len() > 125 {
            return Err(Error::ControlTooLarge);
        }
        self.check_room(payload.len())?;
        self.write_control(opcode, payload);
        Ok(())
    }

    /// Starts the closing handshake with `code` (1000–1003, 1007–1014 or
    /// 3000–4999) and a `reason` of at most 123 bytes; or, after
    /// [`Event::CloseReceived`](crate::ws::Event::CloseReceived) with
    /// `close_echo` off, completes it. Nothing more may be sent afterwards.
    pub fn close(&mut self, code: u16, reason: &str) -> Result<(), Error> {
        if self.close_sent || !matches!(self.state, State::Open | State::Closing) {
            return Err(Error::InvalidState);
        }
        if !close::is_valid_on_wire(code) {
            return Err(Error::InvalidCloseCode);
        }
        if reason.len() > 123 {
            return Err(Error::ControlTooLarge);
        }
        self.write_close(code, reason);
        if self.close_received.is_some() {
            self.closing_handshake_done();
        } else {
            self.state = State::Closing;
            self.disarm(Timer::Keepalive);
            self.disarm(Timer::PongDeadline);
            self.arm(Timer::Close, self.config.close_timeout);
        }
        Ok(())
    }

    /// Queues a control frame without state checks.
    pub(super) fn write_control(&mut self, opcode: OpCode, payload: &[u8]) {
        let mask = self.next_mask();
        write_frame(&mut self.out, mask, true, false, opcode, payload);
        self.stats.frames_sent += 1;
        self.note_queued();
    }

    /// Queues a Close frame with `code` and a reason cut to fit 123 bytes at
    /// a character boundary.
    pub(super) fn write_close(&mut self, code: u16, reason: &str) {
        self.write_close_raw(Some(code), reason);
    }

    pub(super) fn write_close_raw(&mut self, code: Option<u16>, reason: &str) {
        let mut payload = [0u8; 125];
        let len = match code {
            None => 0,
            Some(code) => {
                payload[..2].copy_from_slice(&code.to_be_bytes());
                let mut cut = reason.len().min(123);
                while !reason.is_char_boundary(cut) {
                    cut -= 1;
                }
                payload[2..2 + cut].copy_from_slice(&reason.as_bytes()[..cut]);
                2 + cut
            }
        };
        self.write_control(OpCode::Close, &payload[..len]);
        self.close_sent = true;
        self.tx_fragment = None;
    }
}
