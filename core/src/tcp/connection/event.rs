//! What a connection tells its caller, and what it refuses.

use super::state::State;
use core::fmt;

/// Something the application should know about, pulled with
/// [`Connection::poll_event`](super::Connection::poll_event).
///
/// Every connection ends with exactly one [`Event::Closed`]; when the end
/// was abnormal, [`Event::Reset`] or [`Event::TimedOut`] comes just before
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// The handshake completed: the connection is ESTABLISHED.
    Connected,
    /// In-order data arrived while the receive buffer was empty: there is
    /// something to read. Edge-triggered: no further `Readable` comes until
    /// the application has read everything.
    Readable,
    /// Room opened in the send buffer after a `send` could not take all
    /// it was given.
    Writable,
    /// The peer sent its FIN: it will send no more data (the connection is
    /// in CLOSE-WAIT, or further along if we closed too). Reads return what
    /// is left, then end of stream.
    PeerFinished,
    /// The peer reset the connection.
    Reset,
    /// The peer stopped answering: retransmissions, SYN retries, keepalive
    /// probes or the user timeout ran out.
    TimedOut,
    /// The connection is gone (CLOSED); its state may be dropped.
    Closed,
    /// Endpoint only: a listener's connection completed its handshake and
    /// is ready for use (it takes the place of [`Event::Connected`]).
    Incoming {
        /// The peer's address and port.
        remote: core::net::SocketAddr,
    },
    /// The RFC 9293 state changed (only with
    /// [`Config::state_change_events`](crate::tcp::Config::state_change_events)).
    StateChanged {
        /// The state left.
        from: State,
        /// The state entered.
        to: State,
    },
}

/// Why [`Connection::send`](super::Connection::send) refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SendError {
    /// The application already closed its side (or never may send in this
    /// state): nothing can follow our FIN.
    Closed,
}

/// Why [`Connection::close`](super::Connection::close) refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseError {
    /// Our side is already closed or closing.
    AlreadyClosed,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection closed for sending")
    }
}

impl fmt::Display for CloseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection already closing")
    }
}

#[cfg(feature = "std")]
impl std::error::Error for SendError {}
#[cfg(feature = "std")]
impl std::error::Error for CloseError {}

/// Counters and current estimates for one connection, from
/// [`Connection::stats`](super::Connection::stats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Segments emitted.
    pub segments_sent: u64,
    /// Segments handed to `handle_segment`.
    pub segments_received: u64,
    /// Data bytes sent, retransmissions included.
    pub bytes_sent: u64,
    /// Data bytes retransmitted.
    pub bytes_retransmitted: u64,
    /// Data bytes acknowledged by the peer.
    pub bytes_acked: u64,
    /// Data bytes received in order.
    pub bytes_received: u64,
    /// Segments retransmitted (any reason).
    pub retransmits: u64,
    /// Retransmission timeouts.
    pub timeouts: u64,
    /// Fast retransmits (entries into fast recovery).
    pub fast_retransmits: u64,
    /// Duplicate ACKs received.
    pub dup_acks: u64,
    /// Smoothed round-trip time, once measured.
    pub srtt: Option<crate::time::Duration>,
    /// Current retransmission timeout.
    pub rto: crate::time::Duration,
    /// Congestion window, bytes.
    pub cwnd: usize,
    /// Slow-start threshold, bytes (`usize::MAX` before the first loss).
    pub ssthresh: usize,
    /// The peer's receive window, bytes.
    pub peer_window: u32,
    /// Payload bytes in a full segment we send.
    pub send_mss: usize,
}

/// The counters a connection keeps (the estimates are read live).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Counters {
    /// Segments emitted.
    pub segments_sent: u64,
    /// Segments handed to `handle_segment`.
    pub segments_received: u64,
    /// Data bytes sent, retransmissions included.
    pub bytes_sent: u64,
    /// Data bytes retransmitted.
    pub bytes_retransmitted: u64,
    /// Data bytes acknowledged by the peer.
    pub bytes_acked: u64,
    /// Data bytes received in order.
    pub bytes_received: u64,
    /// Segments retransmitted (any reason).
    pub retransmits: u64,
    /// Retransmission timeouts.
    pub timeouts: u64,
    /// Fast retransmits (entries into fast recovery).
    pub fast_retransmits: u64,
    /// Duplicate ACKs received.
    pub dup_acks: u64,
}
