//! The eleven states of RFC 9293 §3.3.2.

use core::fmt;

/// A connection state, named as in RFC 9293 §3.3.2.
///
/// The transitions this crate implements (`in/out` = segment received /
/// segment sent; `close` and `connect` are application calls):
///
/// ```text
///  connect / SYN        SYN / SYN-ACK (simultaneous open)
///  CLOSED ──────► SYN-SENT ─────────────────────────► SYN-RECEIVED ◄── SYN (listener)
///                    │ SYN-ACK / ACK                        │ ACK of our SYN
///                    └──────────────► ESTABLISHED ◄─────────┘
///                      close / FIN │            │ FIN / ACK
///                                  ▼            ▼
///        FIN / ACK           FIN-WAIT-1      CLOSE-WAIT
///     ┌─────────────────────────┤ │              │ close / FIN
///     ▼           ACK of our FIN  │              ▼
///  CLOSING                   FIN-WAIT-2       LAST-ACK
///     │ ACK of our FIN            │ FIN / ACK    │ ACK of our FIN
///     └──────────► TIME-WAIT ◄────┘              ▼
///                      └── 2·MSL ──────────►  CLOSED
/// ```
///
/// FIN-WAIT-1 also goes straight to TIME-WAIT when the peer's FIN
/// acknowledges ours. A RST in any synchronized state leads to CLOSED. In this
/// crate LISTEN belongs to the endpoint's listeners: a connection object is
/// created by the SYN that leaves LISTEN, so it starts in SYN-RECEIVED.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// No connection.
    Closed,
    /// Waiting for a connection request.
    Listen,
    /// Our SYN is out; waiting for the peer's SYN and its ACK of ours.
    SynSent,
    /// The peer's SYN arrived and our SYN-ACK is out; waiting for its ACK.
    SynReceived,
    /// Open: data flows both ways.
    Established,
    /// We closed; our FIN is queued or out, not yet acknowledged.
    FinWait1,
    /// Our FIN was acknowledged; waiting for the peer's FIN.
    FinWait2,
    /// The peer closed; waiting for the application to close.
    CloseWait,
    /// Both closed at once; waiting for the ACK of our FIN.
    Closing,
    /// The peer closed first, then we did; waiting for the ACK of our FIN.
    LastAck,
    /// Both closed; lingering so stray segments of this connection die out.
    TimeWait,
}

impl State {
    /// The state's name as RFC 9293 writes it ("SYN-SENT", "TIME-WAIT", …).
    pub const fn name(self) -> &'static str {
        match self {
            State::Closed => "CLOSED",
            State::Listen => "LISTEN",
            State::SynSent => "SYN-SENT",
            State::SynReceived => "SYN-RECEIVED",
            State::Established => "ESTABLISHED",
            State::FinWait1 => "FIN-WAIT-1",
            State::FinWait2 => "FIN-WAIT-2",
            State::CloseWait => "CLOSE-WAIT",
            State::Closing => "CLOSING",
            State::LastAck => "LAST-ACK",
            State::TimeWait => "TIME-WAIT",
        }
    }

    /// Whether both SYNs have been exchanged (RFC 9293 calls these the
    /// synchronized states): ESTABLISHED and every state after it.
    pub const fn is_synchronized(self) -> bool {
        !matches!(
            self,
            State::Closed | State::Listen | State::SynSent | State::SynReceived
        )
    }

    /// Whether the peer may still send us data (it has not sent its FIN).
    pub const fn can_receive(self) -> bool {
        matches!(
            self,
            State::SynReceived | State::Established | State::FinWait1 | State::FinWait2
        )
    }

    /// Whether the application may still write (it has not closed).
    pub const fn can_send(self) -> bool {
        matches!(
            self,
            State::SynSent | State::SynReceived | State::Established | State::CloseWait
        )
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_classes() {
        assert_eq!(State::SynSent.to_string(), "SYN-SENT");
        assert_eq!(State::TimeWait.name(), "TIME-WAIT");
        assert!(State::Established.is_synchronized());
        assert!(State::TimeWait.is_synchronized());
        assert!(!State::SynReceived.is_synchronized());
        assert!(State::FinWait2.can_receive() && !State::CloseWait.can_receive());
        assert!(State::CloseWait.can_send() && !State::FinWait1.can_send());
    }
}
