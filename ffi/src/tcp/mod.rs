//! The TCP endpoint (RFC 9293: many connections behind one set of addresses)
//! for C.
//!
//! - [`addr`]: `wirestate_ip_addr` and `wirestate_socket_addr`, the address
//!   structs every TCP call uses, with parse and format helpers;
//! - [`config`]: `wirestate_tcp_config`, every knob of the endpoint and of
//!   its connections;
//! - [`endpoint`]: `wirestate_tcp_endpoint` and every call on it except
//!   events;
//! - [`event`]: `wirestate_tcp_endpoint_poll_event` and its event struct.
//!
//! Connections are named by a `uint64_t` id the endpoint hands out (never
//! reused); no pointer into the endpoint is ever handed out, so nothing the
//! TCP calls return has a lifetime to track.

use core::ffi::c_char;

use wirestate_core::tcp::{State, Stats};

pub mod addr;
pub mod config;
pub mod endpoint;
pub mod event;

/// A connection's state, named as in RFC 9293 §3.3.2. The numbers are
/// stable. `wirestate_tcp_state_name` gives the RFC's spelling.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wirestate_tcp_state {
    /// No connection.
    Closed = 0,
    /// Waiting for a connection request (listeners only; no connection id
    /// is ever in this state).
    Listen = 1,
    /// Our SYN is out; waiting for the peer's.
    SynSent = 2,
    /// The peer's SYN arrived and our SYN-ACK is out.
    SynReceived = 3,
    /// Open: data flows both ways.
    Established = 4,
    /// We closed; our FIN is queued or out, not yet acknowledged.
    FinWait1 = 5,
    /// Our FIN was acknowledged; waiting for the peer's FIN.
    FinWait2 = 6,
    /// The peer closed; waiting for the application to close.
    CloseWait = 7,
    /// Both closed at once; waiting for the ACK of our FIN.
    Closing = 8,
    /// The peer closed first, then we did; waiting for the ACK of our FIN.
    LastAck = 9,
    /// Both closed; lingering (2·MSL) so stray segments die out.
    TimeWait = 10,
}

impl From<State> for wirestate_tcp_state {
    fn from(s: State) -> Self {
        use wirestate_tcp_state as S;
        match s {
            State::Closed => S::Closed,
            State::Listen => S::Listen,
            State::SynSent => S::SynSent,
            State::SynReceived => S::SynReceived,
            State::Established => S::Established,
            State::FinWait1 => S::FinWait1,
            State::FinWait2 => S::FinWait2,
            State::CloseWait => S::CloseWait,
            State::Closing => S::Closing,
            State::LastAck => S::LastAck,
            State::TimeWait => S::TimeWait,
        }
    }
}

/// The RFC 9293 name of `state` (a `wirestate_tcp_state`) as a static,
/// NUL-terminated string: "CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED",
/// "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING",
/// "LAST-ACK", "TIME-WAIT"; "UNKNOWN" for any other number. Never NULL.
///
/// Ownership: the string belongs to the library and lives as long as the
/// program; do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_state_name(state: u32) -> *const c_char {
    crate::panic::ffi_boundary(|| {
        let name = match state {
            0 => c"CLOSED",
            1 => c"LISTEN",
            2 => c"SYN-SENT",
            3 => c"SYN-RECEIVED",
            4 => c"ESTABLISHED",
            5 => c"FIN-WAIT-1",
            6 => c"FIN-WAIT-2",
            7 => c"CLOSE-WAIT",
            8 => c"CLOSING",
            9 => c"LAST-ACK",
            10 => c"TIME-WAIT",
            _ => c"UNKNOWN",
        };
        name.as_ptr()
    })
}

/// A congestion control algorithm, for `wirestate_tcp_config_set_congestion`
/// (which takes it as `uint32_t`). The numbers are stable.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wirestate_tcp_congestion {
    /// RFC 5681 Reno growth with RFC 6582 NewReno recovery.
    NewReno = 0,
    /// CUBIC (RFC 9438), the default.
    Cubic = 1,
}

/// Counters and current estimates of one connection, from
/// `wirestate_tcp_endpoint_stats`. Times are nanoseconds.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct wirestate_tcp_stats {
    /// Segments emitted.
    pub segments_sent: u64,
    /// Segments received for this connection.
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
    /// Whether `srtt_ns` holds a measurement yet.
    pub has_srtt: bool,
    /// Smoothed round-trip time (0 before the first measurement).
    pub srtt_ns: u64,
    /// Current retransmission timeout.
    pub rto_ns: u64,
    /// Congestion window, bytes.
    pub cwnd: usize,
    /// Slow-start threshold, bytes (`SIZE_MAX` before the first loss).
    pub ssthresh: usize,
    /// The peer's receive window, bytes.
    pub peer_window: u32,
    /// Payload bytes in a full segment we send.
    pub send_mss: usize,
    /// Congestion responses undone because the retransmission proved
    /// unneeded (from timestamps, or without them from D-SACK blocks).
    pub undos: u64,
    /// The duplicate-ACK threshold in segments: 3, or more once fast
    /// retransmits proved spurious because the path reorders; back to 3
    /// after a retransmission timeout.
    pub reordering: u32,
    /// Tail loss probes sent: after two round trips without an ACK, one
    /// segment sent to draw one instead of waiting for the RTO.
    pub tail_loss_probes: u64,
    /// Tail loss probes that repaired a loss.
    pub tail_loss_recoveries: u64,
    /// Times SACK recovery found one of its retransmissions lost (later
    /// data arrived, it did not) and sent it again without waiting for
    /// the RTO.
    pub lost_retransmissions: u64,
}

fn nanos(d: core::time::Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl From<Stats> for wirestate_tcp_stats {
    fn from(s: Stats) -> Self {
        wirestate_tcp_stats {
            segments_sent: s.segments_sent,
            segments_received: s.segments_received,
            bytes_sent: s.bytes_sent,
            bytes_retransmitted: s.bytes_retransmitted,
            bytes_acked: s.bytes_acked,
            bytes_received: s.bytes_received,
            retransmits: s.retransmits,
            timeouts: s.timeouts,
            fast_retransmits: s.fast_retransmits,
            dup_acks: s.dup_acks,
            has_srtt: s.srtt.is_some(),
            srtt_ns: s.srtt.map_or(0, nanos),
            rto_ns: nanos(s.rto),
            cwnd: s.cwnd,
            ssthresh: s.ssthresh,
            peer_window: s.peer_window,
            send_mss: s.send_mss,
            undos: s.undos,
            reordering: s.reordering,
            tail_loss_probes: s.tail_loss_probes,
            tail_loss_recoveries: s.tail_loss_recoveries,
            lost_retransmissions: s.lost_retransmissions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_names_match_the_core() {
        let all = State::ALL;
        for (n, s) in all.into_iter().enumerate() {
            assert_eq!(wirestate_tcp_state::from(s) as usize, n);
            // SAFETY: the function returns a static NUL-terminated string.
            let name = unsafe { core::ffi::CStr::from_ptr(wirestate_tcp_state_name(n as u32)) };
            assert_eq!(name.to_str(), Ok(s.name()));
        }
        // SAFETY: as above.
        let name = unsafe { core::ffi::CStr::from_ptr(wirestate_tcp_state_name(11)) };
        assert_eq!(name.to_str(), Ok("UNKNOWN"));
    }
}
