//! The timers of one connection, as one small table.
//!
//! Each [`Timer`] names a deadline the connection may have armed; a
//! [`TimerTable`] holds one optional deadline per timer, indexed by the
//! enum, to the millisecond. The connection's next wake-up is simply the earliest armed entry,
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
    /// The end of a closing connection's last wait, in whichever of the two
    /// states it is: in FIN-WAIT-2, give up on a peer that never sends its
    /// FIN (a local policy, as in most stacks; RFC 9293 sets no limit); in
    /// TIME-WAIT, leave after 2·MSL (RFC 9293 §3.6.1). A connection is never
    /// in both, so one deadline serves both.
    Linger = 4,
    /// Abort when data stays unacknowledged this long (RFC 9293 §3.8.3,
    /// RFC 5482).
    UserTimeout = 5,
}

impl Timer {
    /// How many timers there are.
    pub const COUNT: usize = 6;

    /// Every timer, in index order.
    pub const ALL: [Timer; Timer::COUNT] = [
        Timer::Retransmit,
        Timer::DelayedAck,
        Timer::Persist,
        Timer::Keepalive,
        Timer::Linger,
        Timer::UserTimeout,
    ];

    /// The slot this timer occupies in a [`TimerTable`].
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// One optional deadline per [`Timer`].
///
/// The table sits in every connection, so it is kept small: one base
/// instant in nanoseconds and, per timer, a `u32` offset from it in whole
/// milliseconds (`u32::MAX` meaning "not armed"). A deadline is rounded up
/// to the next millisecond past the base, so a timer may fire up to 1 ms
/// after the instant it was armed for, never before. The base moves to the
/// deadline armed first whenever the table is idle, which makes that one
/// exact, and moves again whenever a deadline would not fit in the offsets
/// (before the base, or 49 days past it).
///
/// Arming a timer at [`Instant::MAX`] is the same as stopping it: that
/// instant never comes anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerTable {
    /// The instant offsets count from, in nanoseconds.
    base: u64,
    /// Milliseconds past `base`, or [`UNARMED`].
    offsets: [u32; Timer::COUNT],
}

const UNARMED: u32 = u32::MAX;
const NANOS_PER_MILLI: u64 = 1_000_000;

impl Default for TimerTable {
    fn default() -> Self {
        TimerTable::new()
    }
}

impl TimerTable {
    /// A table with every timer stopped.
    pub const fn new() -> Self {
        TimerTable {
            base: 0,
            offsets: [UNARMED; Timer::COUNT],
        }
    }

    /// The deadline an offset stands for.
    fn deadline(&self, offset: u32) -> Instant {
        Instant::from_nanos(
            self.base
                .saturating_add(u64::from(offset) * NANOS_PER_MILLI),
        )
    }

    /// The offset of `at` from the base, rounded up to whole milliseconds,
    /// if it fits.
    fn offset(&self, at: u64) -> Option<u32> {
        let ms = at.checked_sub(self.base)?.div_ceil(NANOS_PER_MILLI);
        u32::try_from(ms).ok().filter(|&ms| ms != UNARMED)
    }

    /// Arms `timer` to fire at `at`, replacing any earlier deadline.
    pub fn set(&mut self, timer: Timer, at: Instant) {
        let at = at.as_nanos();
        if at == u64::MAX {
            self.stop(timer);
            return;
        }
        self.offsets[timer.index()] = UNARMED;
        if self.is_idle() {
            self.base = at;
            self.offsets[timer.index()] = 0;
            return;
        }
        match self.offset(at) {
            Some(offset) => self.offsets[timer.index()] = offset,
            None => self.rebase(timer, at),
        }
    }

    /// Moves the base to the earliest of the armed deadlines and `at`, then
    /// arms `timer` at `at`. A deadline more than 49 days past the new base
    /// is pulled in to the furthest offset there is.
    #[cold]
    fn rebase(&mut self, timer: Timer, at: u64) {
        let mut deadlines = [u64::MAX; Timer::COUNT];
        for (d, &offset) in deadlines.iter_mut().zip(&self.offsets) {
            if offset != UNARMED {
                *d = self.deadline(offset).as_nanos();
            }
        }
        deadlines[timer.index()] = at;
        self.base = deadlines.iter().copied().min().unwrap_or(at);
        for (slot, &d) in self.offsets.iter_mut().zip(&deadlines) {
            *slot = match d {
                u64::MAX => UNARMED,
                d => u32::try_from((d - self.base).div_ceil(NANOS_PER_MILLI))
                    .unwrap_or(UNARMED)
                    .min(UNARMED - 1),
            };
        }
    }

    /// Arms `timer` unless it is already armed.
    pub fn set_if_stopped(&mut self, timer: Timer, at: Instant) {
        if !self.is_armed(timer) {
            self.set(timer, at);
        }
    }

    /// Stops `timer`.
    pub fn stop(&mut self, timer: Timer) {
        self.offsets[timer.index()] = UNARMED;
    }

    /// Stops every timer.
    pub fn stop_all(&mut self) {
        self.offsets = [UNARMED; Timer::COUNT];
    }

    /// When `timer` fires, if armed.
    pub fn get(&self, timer: Timer) -> Option<Instant> {
        match self.offsets[timer.index()] {
            UNARMED => None,
            offset => Some(self.deadline(offset)),
        }
    }

    /// Whether `timer` is armed.
    pub fn is_armed(&self, timer: Timer) -> bool {
        self.offsets[timer.index()] != UNARMED
    }

    /// Whether `timer` is armed and due at `now`.
    pub fn is_expired(&self, timer: Timer, now: Instant) -> bool {
        self.get(timer).is_some_and(|at| at <= now)
    }

    /// The earliest deadline of all armed timers.
    pub fn next(&self) -> Option<Instant> {
        match self.offsets.iter().min().copied() {
            None | Some(UNARMED) => None,
            Some(offset) => Some(self.deadline(offset)),
        }
    }

    /// The earliest armed timer and its deadline (the lowest index wins a tie).
    pub fn next_timer(&self) -> Option<(Timer, Instant)> {
        let (index, &offset) = self
            .offsets
            .iter()
            .enumerate()
            .min_by_key(|&(i, &offset)| (offset, i))?;
        (offset != UNARMED).then(|| (Timer::ALL[index], self.deadline(offset)))
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
        self.offsets.iter().all(|&d| d == UNARMED)
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
        timers.set(Timer::Linger, Instant::MAX);
        assert!(timers.is_idle());
        assert_eq!(TimerTable::default(), TimerTable::new());
        assert!(core::mem::size_of::<TimerTable>() <= 8 + 4 * Timer::COUNT + 4);
    }

    #[test]
    fn pop_expired_in_deadline_order() {
        let mut timers = TimerTable::new();
        timers.set(Timer::Linger, t(300));
        timers.set(Timer::Retransmit, t(100));
        timers.set(Timer::UserTimeout, t(100));
        timers.set(Timer::Persist, t(50));
        assert!(timers.is_expired(Timer::Persist, t(50)));
        assert!(!timers.is_expired(Timer::Linger, t(299)));
        assert_eq!(timers.pop_expired(t(10)), None);
        assert_eq!(timers.pop_expired(t(200)), Some(Timer::Persist));
        assert_eq!(timers.pop_expired(t(200)), Some(Timer::Retransmit));
        assert_eq!(timers.pop_expired(t(200)), Some(Timer::UserTimeout));
        assert_eq!(timers.pop_expired(t(200)), None);
        assert_eq!(timers.next(), Some(t(300)));
    }

    #[test]
    fn deadlines_round_up_to_the_millisecond_past_the_base() {
        let mut timers = TimerTable::new();
        let base = Instant::from_nanos(5_000_123);
        // The first deadline of an idle table is exact.
        timers.set(Timer::Retransmit, base);
        assert_eq!(timers.get(Timer::Retransmit), Some(base));
        // Others are rounded up, never down.
        timers.set(Timer::DelayedAck, Instant::from_nanos(5_000_124));
        assert_eq!(
            timers.get(Timer::DelayedAck),
            Some(Instant::from_nanos(6_000_123))
        );
        timers.set(Timer::Persist, Instant::from_nanos(45_000_123));
        assert_eq!(
            timers.get(Timer::Persist),
            Some(Instant::from_nanos(45_000_123))
        );
        assert!(!timers.is_expired(Timer::DelayedAck, Instant::from_nanos(6_000_122)));
        assert!(timers.is_expired(Timer::DelayedAck, Instant::from_nanos(6_000_123)));
        // Idle again: the next deadline becomes the exact base.
        timers.stop_all();
        timers.set(Timer::Keepalive, Instant::from_nanos(7));
        assert_eq!(timers.next(), Some(Instant::from_nanos(7)));
    }

    #[test]
    fn deadlines_before_the_base_or_far_past_it_rebase() {
        let mut timers = TimerTable::new();
        timers.set(Timer::Keepalive, t(10_000));
        // Earlier than the base: the base moves down, the others stay put.
        timers.set(Timer::DelayedAck, t(5_000));
        assert_eq!(timers.get(Timer::DelayedAck), Some(t(5_000)));
        assert_eq!(timers.get(Timer::Keepalive), Some(t(10_000)));
        assert_eq!(timers.next_timer(), Some((Timer::DelayedAck, t(5_000))));
        // 2^32 ms past the base does not fit the offsets: the base moves up
        // to the earliest deadline still armed.
        timers.stop(Timer::DelayedAck);
        let far = t(5_000 + (1 << 32));
        timers.set(Timer::Linger, far);
        assert_eq!(timers.get(Timer::Linger), Some(far));
        assert_eq!(timers.get(Timer::Keepalive), Some(t(10_000)));
        // Two deadlines 100 days apart cannot both be kept: the far one is
        // pulled in, the near one stays exact.
        let mut wide = TimerTable::new();
        wide.set(Timer::Retransmit, t(1));
        wide.set(Timer::UserTimeout, t(1 + 100 * 86_400_000));
        assert_eq!(wide.get(Timer::Retransmit), Some(t(1)));
        let pulled = wide.get(Timer::UserTimeout).expect("armed");
        assert!(pulled > t(1 + 49 * 86_400_000) && pulled < t(1 + 100 * 86_400_000));
        assert_eq!(wide.pop_expired(t(2)), Some(Timer::Retransmit));
    }
}
