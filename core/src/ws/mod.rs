//! WebSocket (RFC 6455) with permessage-deflate (RFC 7692), as one sans-IO
//! state machine for both roles.
//!
//! [`Connection`] runs over any reliable byte stream: a kernel TCP socket, a
//! TLS stream, wirestate's own TCP, a pipe in a test. It never touches the
//! stream itself: the caller feeds it received bytes, writes out the bytes it
//! produces, and closes the stream when it says so.
//!
//! What it checks on the peer, and how it answers a peer that breaks a rule:
//!
//! | rule broken by the peer                                        | answer |
//! |----------------------------------------------------------------|--------|
//! | malformed opening request (server)                             | HTTP 400 / 405 / 426 / 431, then close |
//! | bad 101 response: accept key, tokens, subprotocol, extension   | close the stream, `Closed{1002}` |
//! | masking wrong for the direction, reserved bits or opcodes, fragmented or long control frames, continuation without a start, a new message inside a fragmented one, a bad close code | Close 1002 |
//! | invalid UTF-8 in text (caught as soon as a byte cannot fit) or in a close reason; corrupt compressed data | Close 1007 |
//! | frame above `max_frame_size`, message above `max_message_size` (also after inflation) | Close 1009 |
//!
//! Every such failure ends with [`Event::Closed`] carrying the code and a
//! reason; none is ever returned as an `Err`.

mod buffer;
pub mod close;
mod config;
mod connection;
mod deflate;
mod error;
mod event;
pub mod frame;
mod handshake;
pub mod mask;
pub mod utf8;

pub use config::{ClientConfig, Config, DeflateConfig};
pub use connection::{Connection, Received, Stats, UnmaskFn};
pub use error::Error;
pub use event::{Accepted, Event, Extension, Header, MessageKind, Rejected, Request, Role, State};
pub use handshake::accept_key;
