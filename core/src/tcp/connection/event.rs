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
    /// Segments retransmitted (any reason); saturates at `u32::MAX`.
    pub retransmits: u64,
    /// Retransmission timeouts; saturates at `u32::MAX`.
    pub timeouts: u64,
    /// Fast retransmits (entries into fast recovery); saturates at
    /// `u32::MAX`.
    pub fast_retransmits: u64,
    /// Duplicate ACKs received; saturates at `u32::MAX`.
    pub dup_acks: u64,
    /// Congestion responses (fast recovery or a timeout) undone because the
    /// retransmission proved unneeded: the ACK that followed echoed the
    /// original's timestamp (RFC 3522), or without timestamps the peer
    /// reported every retransmission as a duplicate with D-SACK
    /// (RFC 3708); saturates at `u32::MAX`.
    pub undos: u64,
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
    /// The duplicate-ACK threshold, in segments: 3, or more once a fast
    /// retransmit proved spurious because the path reordered segments
    /// (capped at 127, used up to half the segments in flight, back to 3
    /// after a retransmission timeout).
    pub reordering: u32,
    /// Tail loss probes sent (RFC 8985): after two round trips without an
    /// ACK, one segment sent to draw one, instead of waiting for the RTO;
    /// saturates at `u32::MAX`.
    pub tail_loss_probes: u64,
    /// Tail loss probes that repaired a loss (the peer had not received
    /// the segment the probe resent); saturates at `u32::MAX`.
    pub tail_loss_recoveries: u64,
    /// Times SACK recovery found one of its retransmissions lost (data
    /// sent after it was SACKed while its bytes stayed missing) and sent
    /// them again instead of waiting for the RTO; saturates at
    /// `u32::MAX`.
    pub lost_retransmissions: u64,
}

/// The counters every connection keeps (the estimates are read live, the
/// bytes received are the receive buffer's stream offset, and the counts of
/// events that only come with loss or retransmission live in the loss
/// state, allocated with the first of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Counters {
    /// Segments emitted.
    pub segments_sent: u64,
    /// Segments handed to `handle_segment`.
    pub segments_received: u64,
    /// Data bytes sent, retransmissions included.
    pub bytes_sent: u64,
    /// Data bytes acknowledged by the peer.
    pub bytes_acked: u64,
}

/// Adds one to a saturating event count.
pub(crate) fn bump(count: &mut u32) {
    *count = count.saturating_add(1);
}

/// How many bytes of events a connection holds.
const QUEUE_BYTES: usize = 14;
// The queue's start and length share one byte, four bits each.
const _: () = assert!(QUEUE_BYTES < 16);
/// The first byte of a two-byte `StateChanged` entry is this plus the
/// index of the state left; the second byte is the index of the state
/// entered.
const STATE_CHANGE: u8 = 0x80;

/// A connection's pending events, in order, in 15 bytes with no heap: 14
/// for the events and one for where they start and how many bytes they
/// take (both below 16, so four bits each; a byte the connection saves).
///
/// Each event is one byte (a `StateChanged` is two). An event of a kind
/// already waiting is not queued twice: the application learns the same
/// thing from the one it has not yet read (this is what keeps
/// `Readable`/`Writable` from piling up when the application reads and
/// writes without polling events). Every other kind happens at most once
/// per connection, so they always fit; only the opt-in `StateChanged`
/// tracing can run out of room, and then the oldest state change is dropped
/// to make space.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct EventQueue {
    bytes: [u8; QUEUE_BYTES],
    /// The index of the oldest byte in the high four bits, the number of
    /// bytes in use in the low four.
    head_len: u8,
}

impl fmt::Debug for EventQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut copy = *self;
        f.debug_list()
            .entries(core::iter::from_fn(|| copy.pop()))
            .finish()
    }
}

impl EventQueue {
    /// The index of the oldest byte.
    fn head(&self) -> usize {
        usize::from(self.head_len >> 4)
    }

    /// Bytes in use.
    fn used(&self) -> usize {
        usize::from(self.head_len & 0xf)
    }

    fn set(&mut self, head: usize, used: usize) {
        // Both are below `QUEUE_BYTES` + 1 = 15.
        self.head_len = ((head as u8) << 4) | used as u8;
    }

    fn at(&self, i: usize) -> u8 {
        self.bytes[(self.head() + i) % QUEUE_BYTES]
    }

    fn put(&mut self, byte: u8) {
        let i = (self.head() + self.used()) % QUEUE_BYTES;
        self.bytes[i] = byte;
        self.set(self.head(), self.used() + 1);
    }

    /// How many events are waiting.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        let mut n = 0;
        let mut i = 0;
        while i < self.used() {
            i += if self.at(i) >= STATE_CHANGE { 2 } else { 1 };
            n += 1;
        }
        n
    }

    /// Queues `event` (see the type's doc for what is merged or dropped).
    pub(crate) fn push(&mut self, event: Event) {
        let (first, second) = match event {
            Event::Connected => (0, None),
            Event::Readable => (1, None),
            Event::Writable => (2, None),
            Event::PeerFinished => (3, None),
            Event::Reset => (4, None),
            Event::TimedOut => (5, None),
            Event::Closed => (6, None),
            // Only the endpoint makes these; a connection never queues one.
            Event::Incoming { .. } => return,
            Event::StateChanged { from, to } => (STATE_CHANGE + from as u8, Some(to as u8)),
        };
        if second.is_none() && self.contains_simple(first) {
            return;
        }
        let need = 1 + usize::from(second.is_some());
        while QUEUE_BYTES - self.used() < need {
            if !self.drop_oldest_state_change() {
                return;
            }
        }
        self.put(first);
        if let Some(second) = second {
            self.put(second);
        }
    }

    /// Whether the one-byte event `code` is waiting.
    fn contains_simple(&self, code: u8) -> bool {
        let mut i = 0;
        while i < self.used() {
            let byte = self.at(i);
            if byte == code {
                return true;
            }
            i += if byte >= STATE_CHANGE { 2 } else { 1 };
        }
        false
    }

    /// Removes the oldest `StateChanged`; false if there is none.
    #[cold]
    fn drop_oldest_state_change(&mut self) -> bool {
        let mut kept = EventQueue::default();
        let mut dropped = false;
        let mut i = 0;
        while i < self.used() {
            let byte = self.at(i);
            if byte >= STATE_CHANGE {
                if dropped {
                    kept.put(byte);
                    kept.put(self.at(i + 1));
                }
                dropped = true;
                i += 2;
            } else {
                kept.put(byte);
                i += 1;
            }
        }
        if dropped {
            *self = kept;
        }
        dropped
    }

    /// Takes the oldest event.
    pub(crate) fn pop(&mut self) -> Option<Event> {
        if self.used() == 0 {
            return None;
        }
        let byte = self.at(0);
        let event = match byte {
            0 => Event::Connected,
            1 => Event::Readable,
            2 => Event::Writable,
            3 => Event::PeerFinished,
            4 => Event::Reset,
            5 => Event::TimedOut,
            6 => Event::Closed,
            _ => {
                let to = State::ALL[usize::from(self.at(1)) % State::ALL.len()];
                let from = State::ALL[usize::from(byte - STATE_CHANGE) % State::ALL.len()];
                Event::StateChanged { from, to }
            }
        };
        let used = if byte >= STATE_CHANGE { 2 } else { 1 };
        self.set((self.head() + used) % QUEUE_BYTES, self.used() - used);
        Some(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_table_matches_the_enum() {
        for (i, s) in State::ALL.iter().enumerate() {
            assert_eq!(*s as usize, i);
        }
    }

    #[test]
    fn fifo_with_two_byte_state_changes() {
        let mut q = EventQueue::default();
        assert_eq!(q.pop(), None);
        let change = |from, to| Event::StateChanged { from, to };
        // Wrap around the ring a few times.
        for _ in 0..5 {
            q.push(change(State::SynSent, State::Established));
            q.push(Event::Connected);
            q.push(Event::Readable);
            q.push(change(State::Established, State::CloseWait));
            assert_eq!(q.len(), 4);
            assert_eq!(q.pop(), Some(change(State::SynSent, State::Established)));
            assert_eq!(q.pop(), Some(Event::Connected));
            assert_eq!(q.pop(), Some(Event::Readable));
            assert_eq!(q.pop(), Some(change(State::Established, State::CloseWait)));
            assert_eq!(q.len(), 0);
        }
        assert!(core::mem::size_of::<EventQueue>() <= 15);
    }

    #[test]
    fn a_waiting_kind_is_not_queued_twice() {
        let mut q = EventQueue::default();
        for _ in 0..100 {
            q.push(Event::Readable);
            q.push(Event::Writable);
        }
        q.push(Event::PeerFinished);
        q.push(Event::Readable);
        assert_eq!(q.pop(), Some(Event::Readable));
        assert_eq!(q.pop(), Some(Event::Writable));
        assert_eq!(q.pop(), Some(Event::PeerFinished));
        assert_eq!(q.pop(), None);
        // Once read, the kind can come again.
        q.push(Event::Readable);
        assert_eq!(q.pop(), Some(Event::Readable));
    }

    #[test]
    fn full_queue_drops_the_oldest_state_change_only() {
        let mut q = EventQueue::default();
        let all = [
            State::SynSent,
            State::Established,
            State::FinWait1,
            State::FinWait2,
            State::TimeWait,
            State::Closed,
        ];
        for w in all.windows(2) {
            q.push(Event::StateChanged {
                from: w[0],
                to: w[1],
            });
        }
        for e in [
            Event::Connected,
            Event::Readable,
            Event::Writable,
            Event::PeerFinished,
            Event::Reset,
            Event::TimedOut,
            Event::Closed,
        ] {
            q.push(e);
        }
        let got: alloc::vec::Vec<Event> = core::iter::from_fn(|| q.pop()).collect();
        // Every one-byte event survives, in order, after the newest state
        // changes that still fit.
        assert_eq!(got.len(), 7 + 3);
        assert_eq!(
            got[0],
            Event::StateChanged {
                from: State::FinWait1,
                to: State::FinWait2
            }
        );
        assert_eq!(
            &got[3..],
            &[
                Event::Connected,
                Event::Readable,
                Event::Writable,
                Event::PeerFinished,
                Event::Reset,
                Event::TimedOut,
                Event::Closed,
            ]
        );
        assert!(!alloc::format!("{q:?}").is_empty());
    }
}
