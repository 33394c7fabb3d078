//! The eleven states of RFC 9293 §3.3.2.

use core::fmt;

/// A connection state, named as in RFC 9293 §3.3.2.
///
/// The transitions this crate implements (`in/out` = segment received /
/// segment sent; `close` and `connect` are application calls; the full list
/// is [`TRANSITIONS`]):
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

/// Every transition a connection makes, with what causes it: the table the
/// state diagram in `docs/tcp-states.md` is generated from, and which the
/// simulator tests check every traced transition against.
///
/// Causes read `event / reply`: a segment received (`SYN`, `ACK of FIN`, …),
/// an application call (`connect`, `close`, `abort`) or a timer, then what
/// goes out in answer.
pub const TRANSITIONS: &[(State, State, &str)] = &[
    (State::Closed, State::SynSent, "connect / SYN"),
    (
        State::Listen,
        State::SynReceived,
        "SYN / SYN-ACK (a listener's new connection)",
    ),
    (State::SynSent, State::Established, "SYN-ACK / ACK"),
    (
        State::SynSent,
        State::SynReceived,
        "SYN / SYN-ACK (simultaneous open)",
    ),
    (
        State::SynSent,
        State::Closed,
        "RST, SYN retries exhausted, close or abort",
    ),
    (State::SynReceived, State::Established, "ACK of our SYN"),
    (State::SynReceived, State::FinWait1, "close / FIN"),
    (
        State::SynReceived,
        State::Closed,
        "RST, SYN-ACK retries exhausted or abort",
    ),
    (State::Established, State::FinWait1, "close / FIN"),
    (State::Established, State::CloseWait, "FIN / ACK"),
    (
        State::Established,
        State::Closed,
        "RST, retransmissions exhausted, keepalive or abort",
    ),
    (State::FinWait1, State::FinWait2, "ACK of our FIN"),
    (
        State::FinWait1,
        State::Closing,
        "FIN / ACK (simultaneous close)",
    ),
    (
        State::FinWait1,
        State::TimeWait,
        "FIN acknowledging our FIN / ACK",
    ),
    (
        State::FinWait1,
        State::Closed,
        "RST, retransmissions exhausted or abort",
    ),
    (State::FinWait2, State::TimeWait, "FIN / ACK"),
    (
        State::FinWait2,
        State::Closed,
        "RST, FIN-WAIT-2 timeout or abort",
    ),
    (State::CloseWait, State::LastAck, "close / FIN"),
    (
        State::CloseWait,
        State::Closed,
        "RST, retransmissions exhausted or abort",
    ),
    (State::Closing, State::TimeWait, "ACK of our FIN"),
    (
        State::Closing,
        State::Closed,
        "RST, retransmissions exhausted or abort",
    ),
    (
        State::LastAck,
        State::Closed,
        "ACK of our FIN, RST, retransmissions exhausted or abort",
    ),
    (State::TimeWait, State::Closed, "2·MSL elapsed or RST"),
];

/// `docs/tcp-states.md`, generated from [`TRANSITIONS`]: a Mermaid state
/// diagram and the same transitions as a table.
pub fn state_diagram_markdown() -> alloc::string::String {
    use core::fmt::Write;
    let id = |s: State| s.name().replace('-', "_");
    let mut out = alloc::string::String::new();
    out.push_str(
        "# TCP connection states\n\n\
         Generated from `wirestate::tcp::connection::state::TRANSITIONS` by the test\n\
         `state_diagram_is_fresh` (`WIRESTATE_UPDATE_DOCS=1 cargo test -p wirestate\n\
         state_diagram` rewrites it). The simulator tests check every transition a\n\
         connection makes against the same table.\n\n\
         In wirestate LISTEN belongs to the endpoint's listeners: the SYN that\n\
         leaves LISTEN creates the connection, in SYN-RECEIVED.\n\n```mermaid\nstateDiagram-v2\n",
    );
    let _ = writeln!(out, "    [*] --> CLOSED");
    for &(from, to, why) in TRANSITIONS {
        let _ = writeln!(
            out,
            "    {} --> {}: {}",
            id(from),
            id(to),
            why.replace(':', " ")
        );
    }
    out.push_str("```\n\n| from | to | cause / reply |\n| --- | --- | --- |\n");
    for &(from, to, why) in TRANSITIONS {
        let _ = writeln!(out, "| {} | {} | {} |", from.name(), to.name(), why);
    }
    out
}

impl State {
    /// Every state, in declaration order (so `State::ALL[s as usize] == s`).
    pub const ALL: [State; 11] = [
        State::Closed,
        State::Listen,
        State::SynSent,
        State::SynReceived,
        State::Established,
        State::FinWait1,
        State::FinWait2,
        State::CloseWait,
        State::Closing,
        State::LastAck,
        State::TimeWait,
    ];

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

    /// Whether our data or FIN may go out (again): synchronized, with our
    /// FIN not yet acknowledged.
    pub(crate) const fn transmits_data(self) -> bool {
        matches!(
            self,
            State::Established
                | State::CloseWait
                | State::FinWait1
                | State::Closing
                | State::LastAck
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
        assert!(State::LastAck.transmits_data() && !State::FinWait2.transmits_data());
        assert!(!State::SynReceived.transmits_data() && !State::TimeWait.transmits_data());
    }
}
