//! What the endpoint keeps beside each connection.

use core::net::SocketAddr;

use super::ConnId;
use super::schedule::{Deadline, HasDeadline, Schedule};
use crate::tcp::connection::Connection;
use crate::time::Instant;

/// A connection and the endpoint's bookkeeping for it.
#[derive(Debug)]
pub(super) struct Entry {
    pub(super) conn: Connection,
    /// Queued in `dirty`.
    pub(super) dirty: bool,
    /// The listener that opened it, until its `Incoming` event was queued.
    pub(super) half_open_of: HalfOpenOf,
    /// Opened by a listener and announced to the application.
    pub(super) announced: bool,
    /// Its deadline as the schedule knows it: an unchanged one (most
    /// segments of a bulk flow) costs no schedule work.
    pub(super) timer: Deadline,
}

impl HasDeadline for Entry {
    #[inline]
    fn deadline(&mut self) -> &mut Deadline {
        &mut self.timer
    }
}

impl Entry {
    /// Hands the connection's next deadline to `schedule` if it changed.
    #[inline]
    pub(super) fn reschedule(&mut self, schedule: &mut Schedule, id: ConnId) {
        let at = self.conn.poll_timeout().map(Instant::as_nanos);
        if !self.timer.is(at) {
            schedule.set(&mut self.timer, id, at);
        }
    }
}

/// Which listener, if any, counts a connection as half-open: the one on its
/// own address or the one on the unspecified address of its port. Stored
/// as this instead of the listener's address, it costs a byte, not 32.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HalfOpenOf {
    Nobody,
    Exact,
    Wildcard,
}

impl HalfOpenOf {
    pub(super) fn of(listener: SocketAddr) -> HalfOpenOf {
        if listener.ip().is_unspecified() {
            HalfOpenOf::Wildcard
        } else {
            HalfOpenOf::Exact
        }
    }

    /// The listener's address, for a connection whose own address is
    /// `local`.
    pub(super) fn addr(self, local: SocketAddr) -> Option<SocketAddr> {
        match self {
            HalfOpenOf::Nobody => None,
            HalfOpenOf::Exact => Some(local),
            HalfOpenOf::Wildcard => {
                let any: core::net::IpAddr = match local {
                    SocketAddr::V4(_) => core::net::Ipv4Addr::UNSPECIFIED.into(),
                    SocketAddr::V6(_) => core::net::Ipv6Addr::UNSPECIFIED.into(),
                };
                Some(SocketAddr::new(any, local.port()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_open_listener_address_is_rebuilt_from_the_connection() {
        let local4: SocketAddr = "10.0.0.2:80".parse().unwrap();
        let local6: SocketAddr = "[fd00::2]:443".parse().unwrap();
        let exact = HalfOpenOf::of(local4);
        assert_eq!(exact, HalfOpenOf::Exact);
        assert_eq!(exact.addr(local4), Some(local4));
        let any4 = HalfOpenOf::of("0.0.0.0:80".parse().unwrap());
        assert_eq!(any4.addr(local4), Some("0.0.0.0:80".parse().unwrap()));
        let any6 = HalfOpenOf::of("[::]:443".parse().unwrap());
        assert_eq!(any6.addr(local6), Some("[::]:443".parse().unwrap()));
        assert_eq!(HalfOpenOf::Nobody.addr(local4), None);
    }
}
