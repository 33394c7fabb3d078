//! The TCP state machine (RFC 9293) and the endpoint that demultiplexes it.
//!
//! The machine is split by concern, one file each, so every part can be read
//! and tested alone:
//!
//! - [`seq`]: sequence numbers and their wrapping comparisons;
//! - [`send_buffer`]: bytes written and not yet acknowledged, and the FIN;
//! - [`assembler`] and [`recv_buffer`]: received bytes, out-of-order
//!   reassembly in bounded memory, the receive window and SACK blocks;
//! - [`rtt`]: the RFC 6298 round-trip estimator and retransmission timeout;
//! - [`scoreboard`]: what the peer SACKed, for RFC 6675 loss recovery;
//! - [`congestion`]: NewReno (RFC 5681, RFC 6582) and CUBIC (RFC 9438);
//! - [`timer`]: the connection's timers as one small table;
//! - [`config`]: every knob, with its default and the reason for it;
//! - [`isn`]: where initial sequence numbers come from (RFC 6528);
//! - [`syn_cookie`]: stateless SYN-ACKs when a listener is flooded;
//! - [`connection`]: the RFC 9293 state machine built from the pieces above;
//! - [`endpoint`]: many connections, listeners, and RSTs for strays.
//!
//! None of these reads a clock or draws randomness: time is an argument and
//! secrets come from the caller.

pub mod addr;
pub mod assembler;
pub mod config;
pub mod congestion;
pub mod connection;
pub mod endpoint;
pub mod isn;
pub mod recv_buffer;
mod ring;
pub mod rtt;
pub mod scoreboard;
pub mod send_buffer;
pub mod seq;
pub mod syn_cookie;
pub mod timer;

pub use assembler::Assembler;
pub use config::{Config, ConfigError, EndpointConfig, Keepalive};
pub use congestion::{Algorithm as CongestionAlgorithm, Controller as CongestionController};
pub use connection::{CloseError, Connection, Event, Negotiation, SendError, State, Stats};
pub use endpoint::{ConnId, Endpoint, EndpointError, Transmit};
pub use isn::{FixedIsn, IsnGenerator, IsnSource};
pub use recv_buffer::{RecvBuffer, SackBlocks};
pub use rtt::{RtoBounds, RttEstimator, RttSampler};
pub use send_buffer::SendBuffer;
pub use seq::SeqNumber;
pub use timer::{Timer, TimerTable};

/// How many cases the TCP property tests run: `default`, or the
/// `PROPTEST_CASES` environment variable when it is set. The defaults keep
/// `make test` quick; runs of a million cases and more, in release builds,
/// are what find the rare interleavings.
#[cfg(test)]
pub(crate) fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
