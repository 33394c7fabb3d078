//! Time as the caller gives it.
//!
//! wirestate never reads a clock. Every input that depends on time takes an
//! [`Instant`]: a count of nanoseconds since an epoch the caller chooses (boot,
//! process start, a simulator's zero). Only differences between instants
//! matter, so any monotonic source works. Durations are [`core::time::Duration`].

use core::ops::{Add, AddAssign, Sub};
pub use core::time::Duration;

/// A point in time: nanoseconds since a caller-chosen epoch.
///
/// Arithmetic saturates instead of overflowing, so no input can make time wrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(u64);

impl Instant {
    /// The epoch itself.
    pub const ZERO: Instant = Instant(0);
    /// The latest representable instant; used as "never".
    pub const MAX: Instant = Instant(u64::MAX);

    /// An instant `nanos` nanoseconds after the epoch.
    pub const fn from_nanos(nanos: u64) -> Self {
        Instant(nanos)
    }

    /// An instant `micros` microseconds after the epoch (saturating).
    pub const fn from_micros(micros: u64) -> Self {
        Instant(micros.saturating_mul(1_000))
    }

    /// An instant `millis` milliseconds after the epoch (saturating).
    pub const fn from_millis(millis: u64) -> Self {
        Instant(millis.saturating_mul(1_000_000))
    }

    /// An instant `secs` seconds after the epoch (saturating).
    pub const fn from_secs(secs: u64) -> Self {
        Instant(secs.saturating_mul(1_000_000_000))
    }

    /// An instant from fractional seconds, as Python's `time.monotonic()`
    /// gives them, rounded to the nearest nanosecond. Negative and NaN
    /// values map to the epoch.
    ///
    /// Rounding (not truncating) makes `from_secs_f64(t.as_secs_f64())`
    /// give `t` back for instants up to 2^21 s (24 days) after the epoch;
    /// past that a float cannot hold every nanosecond. For deadlines handed
    /// out as floats use [`as_secs_f64_not_before`](Self::as_secs_f64_not_before),
    /// which never reads back early at any size.
    pub fn from_secs_f64(secs: f64) -> Self {
        if secs.is_nan() || secs <= 0.0 {
            return Instant(0);
        }
        let nanos = secs * 1e9 + 0.5;
        if nanos >= u64::MAX as f64 {
            Instant(u64::MAX)
        } else {
            Instant(nanos as u64)
        }
    }

    /// Nanoseconds since the epoch.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Whole milliseconds since the epoch, modulo 2^32 (about 49.7 days):
    /// a compact clock for state that only compares nearby readings, by
    /// their wrapping difference.
    pub(crate) const fn millis_u32(self) -> u32 {
        (self.0 / 1_000_000) as u32
    }

    /// Fractional seconds since the epoch.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// Fractional seconds that [`from_secs_f64`](Self::from_secs_f64) reads
    /// back as this instant or, when no float holds it exactly, the nearest
    /// instant after it.
    ///
    /// For handing deadlines to callers that keep time in floats: a caller
    /// that passes the value straight back (a simulation stepping from one
    /// deadline to the next) then always reaches the deadline, where a value
    /// that read back one nanosecond early would leave the timer unfired and
    /// the caller asking again forever.
    pub fn as_secs_f64_not_before(self) -> f64 {
        let mut secs = self.as_secs_f64();
        // Each step moves to the next larger float; a handful suffice even
        // where floats are far apart.
        for _ in 0..64 {
            if Instant::from_secs_f64(secs) >= self || secs.is_infinite() {
                break;
            }
            secs = f64::from_bits(secs.to_bits() + 1);
        }
        secs
    }

    /// The time from `earlier` to `self`, or zero if `earlier` is later.
    pub const fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }

    /// `self + d`, saturating at [`Instant::MAX`].
    pub fn saturating_add(self, d: Duration) -> Instant {
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        Instant(self.0.saturating_add(nanos))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        self.saturating_add(d)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, d: Duration) {
        *self = self.saturating_add(d);
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(Instant::MAX + Duration::from_secs(1), Instant::MAX);
        assert_eq!(
            Instant::from_secs(1) - Instant::from_secs(2),
            Duration::ZERO
        );
        assert_eq!(
            Instant::from_millis(1500) - Instant::from_secs(1),
            Duration::from_millis(500)
        );
    }

    #[test]
    fn float_seconds() {
        assert_eq!(Instant::from_secs_f64(-1.0), Instant::ZERO);
        assert_eq!(Instant::from_secs_f64(f64::NAN), Instant::ZERO);
        assert_eq!(Instant::from_secs_f64(1e300), Instant::MAX);
        assert_eq!(Instant::from_secs_f64(2.5).as_nanos(), 2_500_000_000);
    }

    #[test]
    fn float_seconds_round_trip() {
        // 2.134999995 s truncated to 2_134_999_994 ns before rounding.
        let mut nanos = 2_134_999_995u64;
        for _ in 0..100_000 {
            let t = Instant::from_nanos(nanos);
            assert_eq!(Instant::from_secs_f64(t.as_secs_f64()), t, "{nanos}");
            nanos = nanos
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1)
                % (1 << 50);
        }
    }

    #[test]
    fn float_deadlines_never_read_back_early() {
        let mut nanos = 2_134_999_995u64;
        for _ in 0..100_000 {
            let t = Instant::from_nanos(nanos);
            let back = Instant::from_secs_f64(t.as_secs_f64_not_before());
            // At most one float step late, which is under a microsecond for
            // any instant within 36 years.
            assert!(back >= t && back - t < Duration::from_micros(1), "{nanos}");
            nanos = nanos
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1)
                >> 4;
        }
        assert_eq!(Instant::MAX.as_secs_f64_not_before(), u64::MAX as f64 / 1e9);
    }
}
