//! The WebSocket connection (RFC 6455 with RFC 7692 permessage-deflate) for C.
//!
//! - [`config`]: `wirestate_ws_config`, the builder for limits, timers,
//!   compression, subprotocols and the client's request line and headers.
//! - [`conn`]: `wirestate_ws_conn`, one connection, client or server, and
//!   every call on it except events.
//! - [`event`]: `wirestate_ws_conn_poll_event` and the accessors for the
//!   handshake events (the request a server received, the response a client
//!   received).

use core::ffi::c_char;

use wirestate_core::ws::{MessageKind, Role, State, Stats};

pub mod config;
pub mod conn;
pub mod event;

/// Borrowed text: `len` bytes of UTF-8 at `data`, not NUL-terminated.
///
/// As an output, `data` is never NULL (an empty string points at a static
/// empty string). As an input, `data` may be NULL when `len` is 0.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wirestate_str {
    /// The first byte.
    pub data: *const c_char,
    /// The number of bytes.
    pub len: usize,
}

impl wirestate_str {
    pub(crate) fn from_str(s: &str) -> wirestate_str {
        wirestate_str {
            data: crate::ffi::data_ptr(s.as_bytes()).cast(),
            len: s.len(),
        }
    }
}

/// Borrowed bytes: `len` bytes at `data`. As an output, `data` is never NULL.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wirestate_bytes {
    /// The first byte.
    pub data: *const u8,
    /// The number of bytes.
    pub len: usize,
}

impl wirestate_bytes {
    pub(crate) fn from_slice(b: &[u8]) -> wirestate_bytes {
        wirestate_bytes {
            data: crate::ffi::data_ptr(b),
            len: b.len(),
        }
    }
}

/// One header line for a handshake the application writes (`accept`,
/// `reject`, a client's extra headers). Name and value must be UTF-8; the
/// name an HTTP token, the value without CR or LF.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wirestate_header {
    /// The header name, e.g. `{"X-Server", 8}`.
    pub name: wirestate_str,
    /// The header value.
    pub value: wirestate_str,
}

/// The connection's state (the WebSocket API's `readyState`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wirestate_ws_state {
    /// The opening handshake has not finished.
    Connecting = 0,
    /// Messages flow both ways.
    Open = 1,
    /// A Close frame was sent or received.
    Closing = 2,
    /// Finished; the `CLOSED` event has been (or is about to be) reported.
    Closed = 3,
}

impl From<State> for wirestate_ws_state {
    fn from(s: State) -> Self {
        match s {
            State::Connecting => wirestate_ws_state::Connecting,
            State::Open => wirestate_ws_state::Open,
            State::Closing => wirestate_ws_state::Closing,
            State::Closed => wirestate_ws_state::Closed,
        }
    }
}

/// Which end of the connection this is.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wirestate_ws_role {
    /// Sends the upgrade request and masks its frames.
    Client = 0,
    /// Answers the upgrade request.
    Server = 1,
}

impl From<Role> for wirestate_ws_role {
    fn from(r: Role) -> Self {
        match r {
            Role::Client => wirestate_ws_role::Client,
            Role::Server => wirestate_ws_role::Server,
        }
    }
}

/// The kind of a data message (the numbers are the frame opcodes).
///
/// Functions that take a kind take it as `uint32_t` and answer an unknown
/// value with `WIRESTATE_RESULT_INVALID_ARGUMENT`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wirestate_ws_message_kind {
    /// UTF-8 text.
    Text = 1,
    /// Arbitrary bytes.
    Binary = 2,
}

impl wirestate_ws_message_kind {
    pub(crate) fn from_number(n: u32) -> Option<MessageKind> {
        match n {
            1 => Some(MessageKind::Text),
            2 => Some(MessageKind::Binary),
            _ => None,
        }
    }
}

impl From<MessageKind> for wirestate_ws_message_kind {
    fn from(k: MessageKind) -> Self {
        match k {
            MessageKind::Text => wirestate_ws_message_kind::Text,
            MessageKind::Binary => wirestate_ws_message_kind::Binary,
        }
    }
}

/// Counters kept by a connection.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct wirestate_ws_stats {
    /// Bytes handed to `wirestate_ws_conn_receive_data`.
    pub bytes_received: u64,
    /// Bytes taken from the output queue by the caller.
    pub bytes_sent: u64,
    /// Frames received (all opcodes).
    pub frames_received: u64,
    /// Frames queued for sending (all opcodes).
    pub frames_sent: u64,
    /// Whole data messages received.
    pub messages_received: u64,
    /// Whole data messages sent.
    pub messages_sent: u64,
    /// Pings received.
    pub pings_received: u64,
    /// Pongs received.
    pub pongs_received: u64,
}

impl From<Stats> for wirestate_ws_stats {
    fn from(s: Stats) -> Self {
        wirestate_ws_stats {
            bytes_received: s.bytes_received,
            bytes_sent: s.bytes_sent,
            frames_received: s.frames_received,
            frames_sent: s.frames_sent,
            messages_received: s.messages_received,
            messages_sent: s.messages_sent,
            pings_received: s.pings_received,
            pongs_received: s.pongs_received,
        }
    }
}
