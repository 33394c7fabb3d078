//! wirestate: TCP and WebSocket as sans-IO state machines.
//!
//! This crate does **no I/O**: it never opens a socket, never reads a clock,
//! never sleeps and never draws randomness of its own. Bytes and timer ticks go
//! in; TCP segments, stream bytes and events come out. The caller owns the
//! event loop, the sockets (or TUN device, or simulator) and the clock.
//!
//! ```text
//!            network glue (yours)                 application (yours)
//!   bytes / packets ──► handle_* / receive_* ──┐
//!   timer fired     ──► handle_timeout(now)  ──┤   ┌─► poll_event()  ──► events
//!                                              ├───┤
//!   send / close / accept  (application calls)─┘   ├─► poll_transmit() ──► bytes / packets
//!                                                  └─► poll_timeout()  ──► re-arm your timer
//! ```
//!
//! Every state machine in this crate has four kinds of methods, and each
//! type's documentation lists them in these groups:
//!
//! 1. **getters** (state, statistics): never change anything;
//! 2. **`handle_*` / `receive_*`**: input (received bytes, `handle_timeout(now)`);
//! 3. **application calls**: `send`, `close`, `accept`, …;
//! 4. **`poll_*`**: output the caller pulls: transmit data, events, the next timeout.
//!
//! After any input or application call, drain the transmit output and the
//! events, then re-arm your timer from `poll_timeout`. A spurious
//! `handle_timeout` is harmless. Time is always an argument ([`time::Instant`]).
//!
//! Misuse by the local caller is an `Err`. Misbehaviour by the peer is never an
//! error returned to the caller: it becomes protocol behaviour (a close code, a
//! RST) plus an event that says what happened. No input from the network can
//! panic, hang, or grow memory beyond the configured limits.
//!
//! # Modules
//!
//! - [`ws`]: WebSocket (RFC 6455) with permessage-deflate (RFC 7692).
//! - [`wire`]: zero-copy views and builders for IPv4, IPv6 and TCP headers.
//! - [`tcp`]: the TCP state machine and endpoint.
//! - [`time`]: the caller-driven clock types.
//!
//! # Features
//!
//! - `std` (default): runtime CPU detection for UTF-8 validation and
//!   `std::error::Error` implementations. Without it the crate is `no_std` + `alloc`.
//! - `deflate` (default, implies `std`): permessage-deflate through zlib-rs.
//! - `sim`: a deterministic simulated link for tests.
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod tcp;
pub mod time;
pub mod wire;
pub mod ws;

#[cfg(feature = "sim")]
pub mod sim;

/// The README's Rust examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
