//! The timers of one connection, as one small table.
//!
//! Each [`Timer`] names a deadline the connection may have armed; a
//! [`TimerTable`] holds one optional [`Instant`] per timer, indexed by the
//! enum. The connection's next wake-up is simply the earliest armed entry,
//! and expiry is a scan of a handful of slots: no wheel, no heap, no
//! deadlines scattered over the connection's fields.

use crate::time::Instant;

/// A deadline a TCP connection can arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Timer {
    /// Retransmission of data, SYN or FIN (RFC 6298; RFC 9293 §3.8.1).
    Retransmit = 0,
    /// Send a delayed acknowledgment (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2).
    DelayedAck = 1,
    /// Probe a zero window (RFC 9293 §3.8.6.1).
    Persist = 2,
    /// Probe an idle connection (RFC 9293 §3.8.4, RFC 1122 §4.2.3.6).
    Keepalive = 3,
    /// Give up on a peer that never sends its FIN in FIN-WAIT-2 (a local
    /// policy, as in most stacks; RFC 9293 sets no limit).
    FinWait2 = 4,
    /// Leave TIME-WAIT after 2·MSL (RFC 9293 §3.6.1).
    TimeWait = 5,
    /// Abort when data stays unacknowledged this long (RFC 9293 §3.8.3,
    /// RFC 5482).
    UserTimeout = 6,
}

impl Timer {
    /// How many timers there are.
    pub const COUNT: usize = 7;

    /// Every timer, in index order.
    pub const ALL: [Timer; Timer::COUNT] = [
        Timer::Retransmit,
        Timer::DelayedAck,
        Timer::Persist,
        Timer::Keepalive,
        Timer::FinWait2,
        Timer::TimeWait,
        Timer::UserTimeout,
    ];

    /// The slot this timer occupies in a [`TimerTable`].
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// One optional deadline per [`Timer`].
///
/// Deadlines are stored as raw nanoseconds with `u64::MAX` meaning "not
/// armed", which halves the table's size against `Option<Instant>` (it sits
/// in every connection). Arming a timer at [`Instant::MAX`] is therefore
/// the same as stopping it: that instant never comes anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerTable {
    deadlines: [u64; Timer::COUNT],
}

const UNARMED: u64 = u64::MAX;

impl Default for TimerTable {
    fn default() -> Self {
        TimerTable::new()
    }
}

impl TimerTable {
    /// A table with every timer stopped.
    pub const fn new() -> Self {
        TimerTable {
            deadlines: [UNARMED; Timer::COUNT],
        }
    }

    /// Arms `timer` to fire at `at`, replacing any earlier deadline.
    pub fn set(&mut self, timer: Timer, at: Instant) {
        self.deadlines[timer.index()] = at.as_nanos();
    }

    /// Arms `timer` unless it is already armed.
    pub fn set_if_stopped(&mut self, timer: Timer, at: Instant) {
        let slot = &mut self.deadlines[timer.index()];
        if *slot == UNARMED {
            *slot = at.as_nanos();
        }
    }

    /// Stops `timer`.
    pub fn stop(&mut self, timer: Timer) {
        self.deadlines[timer.index()] = UNARMED;
    }

    /// Stops every timer.
    pub fn stop_all(&mut self) {
        self.deadlines = [UNARMED; Timer::COUNT];
    }

    /// When `timer` fires, if armed.
    pub fn get(&self, timer: Timer) -> Option<Instant> {
        match self.deadlines[timer.index()] {
            UNARMED => None,
            at => Some(Instant::from_nanos(at)),
        }
    }

    /// Whether `timer` is armed.
    pub fn is_armed(&self, timer: Timer) -> bool {
        self.deadlines[timer.index()] != UNARMED
    }

    /// Whether `timer` is armed and due at `now`.
    pub fn is_expired(&self, timer: Timer, now: Instant) -> bool {
        self.get(timer).is_some_and(|at| at <= now)
    }

    /// The earliest deadline of all armed timers.
    pub fn next(&self) -> Option<Instant> {
        match self.deadlines.iter().min().copied() {
            None | Some(UNARMED) => None,
            Some(at) => Some(Instant::from_nanos(at)),
        }
    }

    /// The earliest armed timer and its deadline (the lowest index wins a tie).
    pub fn next_timer(&self) -> Option<(Timer, Instant)> {
        Timer::ALL
            .iter()
            .filter_map(|&t| self.get(t).map(|at| (t, at)))
            .min_by_key(|&(_, at)| at)
    }

    /// Stops and returns the earliest timer due at `now`, if any. Call it in
    /// a loop to handle every expired timer in deadline order.
    pub fn pop_expired(&mut self, now: Instant) -> Option<Timer> {
        let (timer, at) = self.next_timer()?;
        if at > now {
            return None;
        }
        self.stop(timer);
        Some(timer)
    }

    /// Whether no timer is armed.
    pub fn is_idle(&self) -> bool {
        self.deadlines.iter().all(|&d| d == UNARMED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    #[test]
    fn indices_match_all() {
        for (i, timer) in Timer::ALL.iter().enumerate() {
            assert_eq!(timer.index(), i);
        }
    }

    #[test]
    fn next_is_the_minimum() {
        let mut timers = TimerTable::new();
        assert!(timers.is_idle());
        assert_eq!(timers.next(), None);
        timers.set(Timer::Keepalive, t(500));
        timers.set(Timer::Retransmit, t(200));
        timers.set(Timer::DelayedAck, t(40));
        assert_eq!(timers.next(), Some(t(40)));
        assert_eq!(timers.next_timer(), Some((Timer::DelayedAck, t(40))));
        timers.stop(Timer::DelayedAck);
        assert_eq!(timers.next_timer(), Some((Timer::Retransmit, t(200))));
        assert!(timers.is_armed(Timer::Keepalive));
        assert!(!timers.is_armed(Timer::Persist));
        timers.set_if_stopped(Timer::Retransmit, t(100));
        assert_eq!(timers.get(Timer::Retransmit), Some(t(200)));
        timers.set_if_stopped(Timer::Persist, t(100));
        assert_eq!(timers.get(Timer::Persist), Some(t(100)));
        timers.stop_all();
        assert!(timers.is_idle());
        // Instant::MAX is "never": the same as not armed.
        timers.set(Timer::TimeWait, Instant::MAX);
        assert!(timers.is_idle());
        assert_eq!(TimerTable::default(), TimerTable::new());
        assert_eq!(core::mem::size_of::<TimerTable>(), 8 * Timer::COUNT);
    }

    #[test]
    fn pop_expired_in_deadline_order() {
        let mut timers = TimerTable::new();
        timers.set(Timer::TimeWait, t(300));
        timers.set(Timer::Retransmit, t(100));
        timers.set(Timer::UserTimeout, t(100));
        timers.set(Timer::Persist, t(50));
        assert!(timers.is_expired(Timer::Persist, t(50)));
        assert!(!timers.is_expired(Timer::TimeWait, t(299)));
        assert_eq!(timers.pop_expired(t(10)), None);
        assert_eq!(timers.pop_expired(t(200)), Some(Timer::Persist));
        assert_eq!(timers.pop_expired(t(200)), Some(Timer::Retransmit));
        assert_eq!(timers.pop_expired(t(200)), Some(Timer::UserTimeout));
        assert_eq!(timers.pop_expired(t(200)), None);
        assert_eq!(timers.next(), Some(t(300)));
    }
}
