//! Payloads straight into the caller's buffer: for a consumer that
//! assembles messages itself (streaming mode), the binary message in
//! progress is unmasked into memory the caller owns instead of the
//! connection's receive buffer, so its bytes are written once.

use core::mem::MaybeUninit;

use super::super::Connection;
use crate::ws::event::{MessageKind, State};

/// A routine that writes `src` masked with `key` (from `offset` into the
/// payload) into `dst`; see [`Connection::set_unmask_routine`].
pub type UnmaskFn = fn(dst: &mut [MaybeUninit<u8>], src: &[u8], key: [u8; 4], offset: usize);

/// What [`Connection::receive_data_into_until`] did with its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Received {
    /// Bytes of the input taken; the caller passes the rest again.
    pub consumed: usize,
    /// Bytes written to the caller's buffer (the start of it).
    pub written: usize,
    /// The call stopped right after the header of a large binary message:
    /// [`Connection::message_total`] has its length, and the next call can
    /// take a buffer for all of it.
    pub stopped: bool,
}

/// Where [`Connection::receive_data_into`] puts the payload of the binary
/// message in progress: the caller's buffer and how much of it is written.
pub(in crate::ws::connection) struct Direct<'a> {
    pub(super) dst: &'a mut [MaybeUninit<u8>],
    pub(super) written: usize,
}

impl Direct<'_> {
    /// No caller buffer: every payload byte goes to the connection's buffers.
    pub(in crate::ws::connection) fn none() -> Direct<'static> {
        Direct {
            dst: &mut [],
            written: 0,
        }
    }
}

impl Connection {
    /// [`receive_data`](Self::receive_data) for a consumer that assembles
    /// messages itself from streaming chunks ([`Config::streaming`]): the
    /// payload of the binary message in progress when the call starts is
    /// unmasked straight into `dst`, from its start, instead of into the
    /// connection's buffer, saving a copy. Returns how many bytes were
    /// written to `dst`; the [`Event::MessageChunk`] events of that message do
    /// not repeat them (their `data` holds only what did not fit), and the
    /// one with `last` set still ends it.
    ///
    /// `dst` is used only when streaming is on, the message in progress is an
    /// uncompressed binary one, and every event of earlier input has been
    /// polled (so nothing that precedes these bytes is still queued);
    /// otherwise this is `receive_data` and returns 0. Bytes of later
    /// messages in `data` go to the connection's buffer as usual. Size the
    /// buffer from the first chunk's `total`, or from
    /// [`message_total`](Self::message_total) after
    /// [`receive_data_into_until`](Self::receive_data_into_until) stopped.
    ///
    /// [`Config::streaming`]: crate::ws::Config::streaming
    /// [`Event::MessageChunk`]: crate::ws::Event::MessageChunk
    pub fn receive_data_into(&mut self, data: &[u8], dst: &mut [MaybeUninit<u8>]) -> usize {
        self.intake(data, dst, u64::MAX).written
    }

    /// [`receive_data_into`](Self::receive_data_into) that also stops right
    /// after the header of a frame that starts a binary message of at least
    /// `at_least` bytes (at least 1) whose length the header announces: a
    /// final, uncompressed first frame that fits every limit (a header over
    /// `max_frame_size` or `max_message_size` fails the connection as usual,
    /// so a length read from [`message_total`](Self::message_total) never
    /// exceeds them). The rest of `data` is left for the next call.
    ///
    /// This lets a consumer allocate the message's final buffer before any
    /// of its payload arrives: poll every queued event, size a buffer from
    /// `message_total`, and pass the unconsumed input with that buffer to
    /// this method again; the whole payload then lands in it. While the
    /// connection is still opening, nothing stops (everything is consumed).
    pub fn receive_data_into_until(
        &mut self,
        data: &[u8],
        dst: &mut [MaybeUninit<u8>],
        at_least: u64,
    ) -> Received {
        self.intake(data, dst, at_least.max(1))
    }

    /// The length of the data message being received, when its first frame
    /// was final and uncompressed, so the header announced it; `None` when
    /// no message is in progress or its length is not known yet. A getter:
    /// changes nothing.
    pub fn message_total(&self) -> Option<u64> {
        self.rx
            .message
            .as_ref()
            .and_then(|m| (m.total != u64::MAX).then_some(m.total))
    }

    /// Replaces the routine [`receive_data_into`](Self::receive_data_into)
    /// unmasks into the caller's buffer with: for instance one written with
    /// CPU features this crate, being free of `unsafe`, cannot select at run
    /// time. It must write `src` XORed with `key` — byte `i` with
    /// `key[(offset + i) % 4]` — into `dst` (same length), exactly like
    /// [`copy_masked_uninit`](crate::ws::mask::copy_masked_uninit). It only
    /// ever sees payload bytes headed for the caller's own buffer, so a
    /// wrong routine corrupts those bytes and nothing else.
    pub fn set_unmask_routine(&mut self, routine: UnmaskFn) {
        self.unmask = Some(routine);
    }

    /// Input with an optional caller buffer and stopping point (`stop_at`
    /// `u64::MAX`: never stop).
    fn intake(&mut self, data: &[u8], dst: &mut [MaybeUninit<u8>], stop_at: u64) -> Received {
        let everything = Received {
            consumed: data.len(),
            written: 0,
            stopped: false,
        };
        if data.is_empty() || !matches!(self.state, State::Open | State::Closing) {
            self.receive_data(data);
            return everything;
        }
        let usable = self.config.streaming
            && self.pending.is_empty()
            && self
                .rx
                .message
                .as_ref()
                .is_some_and(|m| m.kind == MessageKind::Binary && !m.compressed);
        self.reclaim();
        self.rx_activity = true;
        let mut direct = Direct {
            dst: if usable { dst } else { &mut [] },
            written: 0,
        };
        if usable {
            self.rx.direct_serial = self.rx.serial;
        }
        self.rx.stop_at = stop_at;
        let left = self.receive_frames(data, &mut direct);
        self.rx.stop_at = u64::MAX;
        self.rx.direct_serial = 0;
        let consumed = data.len() - left.unwrap_or(0);
        self.stats.bytes_received += consumed as u64;
        Received {
            consumed,
            written: direct.written,
            stopped: left.is_some(),
        }
    }
}
