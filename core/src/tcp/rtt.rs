//! Round-trip time estimation and the retransmission timeout (RFC 6298).
//!
//! [`RttEstimator`] keeps the smoothed round-trip time (SRTT) and its mean
//! deviation (RTTVAR) and derives the retransmission timeout (RTO) from them,
//! with exponential backoff when the timer fires. [`RttSampler`] times one
//! segment at a time and applies Karn's rule: a segment that was sent more
//! than once gives no sample, because its acknowledgment cannot say which
//! copy it answers.
//!
//! # Bounds
//!
//! - The initial RTO, before any sample, is 1 s (RFC 6298 §2.1).
//! - The minimum defaults to 200 ms ([`DEFAULT_MIN_RTO`]), as Linux does,
//!   not the 1 s RFC 6298 §2.4 recommends: with delayed ACKs capped at 40 ms
//!   a 200 ms floor still leaves ample margin against spurious timeouts, and
//!   a 1 s floor makes every tail loss on a fast path cost a full second.
//!   Set it to 1 s in the configuration to follow the RFC to the letter.
//! - The maximum defaults to 60 s, the upper bound RFC 6298 §2.5 allows.
//!
//! With timestamps (RFC 7323 §4) the connection can feed a sample from every
//! acknowledgment that advances `SND.UNA`, taken from the echoed timestamp;
//! Karn's rule is then unnecessary and the sampler is not used.
//!
//! Round trips are measured to the microsecond.

use super::seq::SeqNumber;
use crate::time::{Duration, Instant};

/// The RTO before any round-trip sample (RFC 6298 §2.1).
pub const INITIAL_RTO: Duration = Duration::from_secs(1);
/// The default lower bound on the RTO (see the module doc for why not 1 s).
pub const DEFAULT_MIN_RTO: Duration = Duration::from_millis(200);
/// The default upper bound on the RTO (RFC 6298 §2.5 allows 60 s or more).
pub const DEFAULT_MAX_RTO: Duration = Duration::from_secs(60);
/// The RTO once data starts flowing after a SYN or SYN-ACK was lost and no
/// sample was taken (RFC 6298 §5.7).
pub const RTO_AFTER_LOST_HANDSHAKE: Duration = Duration::from_secs(3);
/// The clock granularity `G` of RFC 6298 §2: the smallest amount the RTO
/// may exceed SRTT by. The caller's clock is in nanoseconds, but timers are
/// seldom that precise; 1 ms keeps the margin above timer slack.
pub const CLOCK_GRANULARITY: Duration = Duration::from_millis(1);

/// The most times the RTO doubles; 2^16 × 200 ms is far past any maximum.
const MAX_BACKOFF: u8 = 16;

/// A duration in whole microseconds, saturating at `u32::MAX` (about 71.6
/// minutes, far past any sensible RTO bound).
fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

fn from_micros(us: u32) -> Duration {
    Duration::from_micros(u64::from(us))
}

/// `RttEstimator::srtt` before the first sample.
const NO_SAMPLE: u32 = u32::MAX;

/// The RFC 6298 estimator: SRTT, RTTVAR and the RTO with backoff.
///
/// Times are kept as `u32` microseconds internally (it sits in every
/// connection, so it is kept small); every accessor speaks [`Duration`].
/// Durations past `u32::MAX` µs, about 71.6 minutes, count as that much.
///
/// The bounds on the RTO are not stored: the owner passes the same
/// [`RtoBounds`] to every call that needs them (a connection takes them from
/// its shared configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RttEstimator {
    /// Smoothed RTT in µs; [`NO_SAMPLE`] until the first sample.
    srtt: u32,
    /// RTT variation in µs.
    rttvar: u32,
    /// The RTO before backoff, already clamped, in µs.
    base_rto: u32,
    /// How many times the timer has fired since the RTO was last computed.
    backoff: u8,
}

/// The lowest and highest retransmission timeout, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtoBounds {
    min: u32,
    max: u32,
}

impl RtoBounds {
    /// Bounds of `[min, max]` (`max` is raised to `min` if smaller).
    pub fn new(min: Duration, max: Duration) -> Self {
        let min = micros(min);
        RtoBounds {
            min,
            max: micros(max).max(min),
        }
    }

    /// The lowest RTO.
    pub fn min(&self) -> Duration {
        from_micros(self.min)
    }

    /// The highest RTO.
    pub fn max(&self) -> Duration {
        from_micros(self.max)
    }

    fn clamp(&self, us: u32) -> u32 {
        us.clamp(self.min, self.max)
    }
}

impl Default for RtoBounds {
    /// [`DEFAULT_MIN_RTO`] to [`DEFAULT_MAX_RTO`].
    fn default() -> Self {
        RtoBounds::new(DEFAULT_MIN_RTO, DEFAULT_MAX_RTO)
    }
}

impl Default for RttEstimator {
    fn default() -> Self {
        RttEstimator::new(INITIAL_RTO, RtoBounds::default())
    }
}

impl RttEstimator {
    /// An estimator with no sample yet, starting from `initial` kept within
    /// `bounds`.
    pub fn new(initial: Duration, bounds: RtoBounds) -> Self {
        RttEstimator {
            srtt: NO_SAMPLE,
            rttvar: 0,
            base_rto: bounds.clamp(micros(initial)),
            backoff: 0,
        }
    }

    /// The smoothed round-trip time, once a sample has been taken.
    pub fn srtt(&self) -> Option<Duration> {
        self.has_sample().then(|| from_micros(self.srtt))
    }

    /// The round-trip time variation (zero before the first sample).
    pub fn rttvar(&self) -> Duration {
        from_micros(self.rttvar)
    }

    /// The current retransmission timeout, backoff included, within
    /// `bounds`.
    pub fn rto(&self, bounds: RtoBounds) -> Duration {
        let backed_off = u64::from(self.base_rto) << self.backoff;
        Duration::from_micros(backed_off.min(u64::from(bounds.max)))
    }

    /// The tail loss probe timeout (RFC 8985 §7.2, with Linux's choices):
    /// two smoothed round trips, or for a `lone` segment one and a half
    /// plus `delayed_ack` if that is longer; at least `floor`, and never
    /// past the RTO. `None` before the first sample.
    pub fn probe_timeout(
        &self,
        lone: bool,
        delayed_ack: Duration,
        floor: Duration,
        bounds: RtoBounds,
    ) -> Option<Duration> {
        self.probe_timeout_micros(lone, delayed_ack, floor, bounds)
            .map(Duration::from_micros)
    }

    /// [`RttEstimator::probe_timeout`] in whole microseconds, as the
    /// estimator keeps them: it is worked out for every segment sent while
    /// a probe is armed, and a `Duration` costs divisions to build.
    pub(crate) fn probe_timeout_micros(
        &self,
        lone: bool,
        delayed_ack: Duration,
        floor: Duration,
        bounds: RtoBounds,
    ) -> Option<u64> {
        if !self.has_sample() {
            return None;
        }
        let srtt = u64::from(self.srtt);
        let mut pto = 2 * srtt;
        if lone {
            pto = pto.max(srtt + srtt / 2 + u64::from(micros(delayed_ack)));
        }
        let rto = (u64::from(self.base_rto) << self.backoff).min(u64::from(bounds.max));
        Some(pto.max(u64::from(micros(floor))).min(rto))
    }

    /// How many times in a row the retransmission timer has fired.
    pub fn backoff_count(&self) -> u8 {
        self.backoff
    }

    /// Whether any round-trip sample has been taken.
    pub fn has_sample(&self) -> bool {
        self.srtt != NO_SAMPLE
    }

    /// Feeds one round-trip measurement and recomputes the RTO.
    ///
    /// RFC 6298 §2.2 (first sample): SRTT = R, RTTVAR = R/2.
    /// §2.3 (later samples), with α = 1/8 and β = 1/4:
    /// RTTVAR ← (1 − β)·RTTVAR + β·|SRTT − R|, then SRTT ← (1 − α)·SRTT + α·R.
    /// Both cases: RTO = SRTT + max(G, 4·RTTVAR), clamped to the bounds.
    ///
    /// A fresh RTO replaces the backed-off one, so this also clears the
    /// backoff (the new value already reflects the path).
    pub fn on_sample(&mut self, rtt: Duration, bounds: RtoBounds) {
        // One below the "no sample" marker, so a sample always counts.
        let r = micros(rtt).min(NO_SAMPLE - 1);
        if self.has_sample() {
            let delta = self.srtt.abs_diff(r);
            // RTTVAR must use the old SRTT, so update it first.
            self.rttvar = self.rttvar - self.rttvar / 4 + delta / 4;
            self.srtt = self.srtt - self.srtt / 8 + r / 8;
        } else {
            self.srtt = r;
            self.rttvar = r / 2;
        }
        let margin = micros(CLOCK_GRANULARITY).max(self.rttvar.saturating_mul(4));
        self.base_rto = bounds.clamp(self.srtt.saturating_add(margin));
        self.backoff = 0;
    }

    /// The retransmission timer fired: double the RTO (RFC 6298 §5.5), up
    /// to the maximum.
    pub fn on_timeout(&mut self, bounds: RtoBounds) {
        if self.rto(bounds) < bounds.max() {
            self.backoff = (self.backoff + 1).min(MAX_BACKOFF);
        }
    }

    /// Forgets the backoff, keeping SRTT and RTTVAR.
    pub fn reset_backoff(&mut self) {
        self.backoff = 0;
    }

    /// The handshake is done but a SYN or SYN-ACK had to be retransmitted
    /// and no sample was taken: RFC 6298 §5.7 says to start data transfer
    /// with an RTO of 3 s instead of the initial 1 s. Does nothing once a
    /// sample exists.
    pub fn on_handshake_retransmitted(&mut self, bounds: RtoBounds) {
        if !self.has_sample() {
            self.base_rto = bounds.clamp(micros(RTO_AFTER_LOST_HANDSHAKE));
            self.backoff = 0;
        }
    }
}

/// Times one segment at a time, following Karn's rule.
///
/// RFC 6298 §3: a round trip may only be measured on a segment that was not
/// retransmitted. The connection calls [`start`](Self::start) when it sends
/// new data, [`on_retransmit`](Self::on_retransmit) whenever it sends
/// anything again, and [`on_ack`](Self::on_ack) for every acknowledgment.
///
/// The send time is kept as the low 32 bits of the clock in microseconds:
/// samples are exact to the microsecond for round trips up to about 71
/// minutes, and the sampler stays 12 bytes. (A connection keeps the same
/// measurement without the "timing" bit, which it holds among its flags,
/// where it costs no padding.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RttSampler {
    clock: SampleClock,
    /// Whether a segment is being timed.
    timing: bool,
}

/// What an [`RttSampler`] measures, without its "timing" bit: the owner
/// keeps that bit and passes it to every call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct SampleClock {
    /// The acknowledgment number that completes the measurement.
    end: SeqNumber,
    /// When the timed segment was sent: microseconds, modulo 2^32.
    sent: u32,
}

/// The clock in microseconds, modulo 2^32 (differences of these are exact
/// as long as they are below 2^32 µs).
fn clock_micros(now: Instant) -> u32 {
    (now.as_nanos() / 1000) as u32
}

impl SampleClock {
    /// Nothing timed yet.
    pub(crate) const fn new() -> Self {
        SampleClock {
            end: SeqNumber::new(0),
            sent: 0,
        }
    }

    /// [`RttSampler::start`], with the owner's `timing` bit.
    #[inline]
    pub(crate) fn start(&mut self, timing: &mut bool, now: Instant, end: SeqNumber) {
        if !*timing {
            self.end = end;
            self.sent = clock_micros(now);
            *timing = true;
        }
    }

    /// [`RttSampler::on_ack`], with the owner's `timing` bit.
    #[inline]
    pub(crate) fn on_ack(
        &self,
        timing: &mut bool,
        now: Instant,
        ack: SeqNumber,
    ) -> Option<Duration> {
        if *timing && ack.ge(self.end) {
            *timing = false;
            let elapsed = clock_micros(now).wrapping_sub(self.sent);
            // A clock that went backwards reads as a huge round trip;
            // count it as none, as `saturating_duration_since` would.
            Some(from_micros(if elapsed > u32::MAX / 2 {
                0
            } else {
                elapsed
            }))
        } else {
            None
        }
    }
}

impl RttSampler {
    /// A sampler that times nothing yet.
    pub const fn new() -> Self {
        RttSampler {
            clock: SampleClock::new(),
            timing: false,
        }
    }

    /// Whether a segment is being timed.
    pub const fn is_timing(&self) -> bool {
        self.timing
    }

    /// A new segment ending just before `end` (its last sequence number plus
    /// one) was sent at `now`; time it unless another segment is being timed.
    pub fn start(&mut self, now: Instant, end: SeqNumber) {
        self.clock.start(&mut self.timing, now, end);
    }

    /// Something was retransmitted: by Karn's rule the timed segment may be
    /// among the copies in flight, so its measurement is void.
    pub fn on_retransmit(&mut self) {
        self.timing = false;
    }

    /// An acknowledgment for everything before `ack` arrived at `now`.
    /// Returns the round-trip sample when it covers the timed segment.
    pub fn on_ack(&mut self, now: Instant, ack: SeqNumber) -> Option<Duration> {
        self.clock.on_ack(&mut self.timing, now, ack)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn starts_at_one_second() {
        let (b, est) = (RtoBounds::default(), RttEstimator::default());
        assert_eq!(est.rto(b), ms(1000));
        assert_eq!(est.srtt(), None);
        assert!(!est.has_sample());
    }

    #[test]
    fn first_sample() {
        let b = RtoBounds::new(ms(1), DEFAULT_MAX_RTO);
        let mut est = RttEstimator::new(INITIAL_RTO, b);
        est.on_sample(ms(100), b);
        assert_eq!(est.srtt(), Some(ms(100)));
        assert_eq!(est.rttvar(), ms(50));
        // SRTT + 4·RTTVAR = 100 + 200.
        assert_eq!(est.rto(b), ms(300));
    }

    #[test]
    fn probe_timeout_rules() {
        let b = RtoBounds::new(ms(1), DEFAULT_MAX_RTO);
        let mut est = RttEstimator::new(INITIAL_RTO, b);
        let pto = |est: &RttEstimator, lone| est.probe_timeout(lone, ms(200), ms(10), b);
        assert_eq!(pto(&est, false), None);
        est.on_sample(ms(100), b);
        // RTO 300 ms: two round trips, 200 ms; a lone segment waits for a
        // delayed ACK too (150 + 200), which the RTO caps.
        assert_eq!(pto(&est, false), Some(ms(200)));
        assert_eq!(pto(&est, true), Some(ms(300)));
        // A very short path: the floor (under the default 200 ms minimum
        // RTO; with a 1 ms one the RTO, 1.1 ms, caps it).
        let d = RtoBounds::default();
        let mut short = RttEstimator::new(INITIAL_RTO, d);
        short.on_sample(Duration::from_micros(100), d);
        assert_eq!(short.probe_timeout(false, ms(200), ms(10), d), Some(ms(10)));
        let mut short = RttEstimator::new(INITIAL_RTO, b);
        short.on_sample(Duration::from_micros(100), b);
        assert_eq!(pto(&short, false), Some(Duration::from_micros(1100)));
        // Backed off, the RTO still caps it.
        let mut slow = RttEstimator::new(INITIAL_RTO, b);
        for _ in 0..20 {
            slow.on_sample(ms(1000), b);
        }
        assert_eq!(pto(&slow, false), Some(slow.rto(b)));
    }

    #[test]
    fn later_samples_smooth() {
        let b = RtoBounds::new(ms(1), DEFAULT_MAX_RTO);
        let mut est = RttEstimator::new(INITIAL_RTO, b);
        est.on_sample(ms(100), b);
        est.on_sample(ms(200), b);
        // RTTVAR = 3/4·50 + 1/4·|100 − 200| = 62.5; SRTT = 7/8·100 + 1/8·200 = 112.5.
        assert_eq!(est.rttvar(), Duration::from_micros(62_500));
        assert_eq!(est.srtt(), Some(Duration::from_micros(112_500)));
        assert_eq!(est.rto(b), Duration::from_micros(112_500 + 250_000));
    }

    #[test]
    fn steady_rtt_converges_to_granularity_margin() {
        let b = RtoBounds::new(ms(0), DEFAULT_MAX_RTO);
        let mut est = RttEstimator::new(INITIAL_RTO, b);
        for _ in 0..200 {
            est.on_sample(ms(10), b);
        }
        assert_eq!(est.srtt(), Some(ms(10)));
        // RTTVAR decays towards zero, so G sets the margin.
        assert!(est.rto(b) >= ms(10) + CLOCK_GRANULARITY);
        assert!(est.rto(b) < ms(12));
    }

    #[test]
    fn bounds_apply() {
        let (b, mut est) = (RtoBounds::default(), RttEstimator::default());
        est.on_sample(ms(1), b);
        assert_eq!(est.rto(b), DEFAULT_MIN_RTO);
        est.on_sample(Duration::from_secs(100), b);
        assert_eq!(est.rto(b), DEFAULT_MAX_RTO);
        let odd_bounds = RtoBounds::new(ms(500), ms(100));
        assert_eq!(odd_bounds.max(), ms(500));
        let odd = RttEstimator::new(ms(10), odd_bounds);
        assert_eq!(odd.rto(odd_bounds), ms(500));
    }

    #[test]
    fn backoff_doubles_until_max_and_sample_resets() {
        let (b, mut est) = (RtoBounds::default(), RttEstimator::default());
        let mut expected = 1;
        for _ in 0..6 {
            assert_eq!(est.rto(b), Duration::from_secs(expected));
            est.on_timeout(b);
            expected *= 2;
        }
        assert_eq!(est.rto(b), ms(60_000));
        assert_eq!(est.backoff_count(), 6);
        for _ in 0..100 {
            est.on_timeout(b);
        }
        assert_eq!(est.rto(b), ms(60_000));
        assert!(est.backoff_count() <= MAX_BACKOFF);
        est.reset_backoff();
        assert_eq!(est.rto(b), ms(1000));
        est.on_timeout(b);
        est.on_sample(ms(100), b);
        assert_eq!(est.backoff_count(), 0);
        assert_eq!(est.rto(b), ms(300));
    }

    #[test]
    fn lost_handshake_means_three_seconds() {
        let (b, mut est) = (RtoBounds::default(), RttEstimator::default());
        est.on_timeout(b);
        est.on_handshake_retransmitted(b);
        assert_eq!(est.rto(b), ms(3000));
        est.on_sample(ms(100), b);
        est.on_handshake_retransmitted(b);
        assert_eq!(est.rto(b), ms(300));
    }

    #[test]
    fn karn_rule() {
        let t0 = Instant::from_millis(1000);
        let mut sampler = RttSampler::new();
        sampler.start(t0, SeqNumber::new(100));
        // A second segment does not restart the measurement.
        sampler.start(t0 + ms(5), SeqNumber::new(200));
        assert!(sampler.is_timing());
        assert_eq!(sampler.on_ack(t0 + ms(20), SeqNumber::new(50)), None);
        assert_eq!(
            sampler.on_ack(t0 + ms(30), SeqNumber::new(150)),
            Some(ms(30))
        );
        assert!(!sampler.is_timing());
        // A retransmission voids the measurement in progress.
        sampler.start(t0 + ms(40), SeqNumber::new(300));
        sampler.on_retransmit();
        assert_eq!(sampler.on_ack(t0 + ms(90), SeqNumber::new(300)), None);
        // Across the sequence wrap.
        sampler.start(t0, SeqNumber::new(5));
        assert_eq!(sampler.on_ack(t0 + ms(1), SeqNumber::new(u32::MAX)), None);
        assert_eq!(sampler.on_ack(t0 + ms(2), SeqNumber::new(6)), Some(ms(2)));
    }
}
