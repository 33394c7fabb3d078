//! CUBIC window growth and reduction (RFC 9438).
//!
//! After a congestion event CUBIC grows the window along a cubic curve of
//! the time since the window was reduced: fast while far below the window
//! where the loss happened (`W_max`), flat near it, and fast again once past
//! it, probing for more. The curve (RFC 9438 §4.2), in segments and seconds:
//!
//! ```text
//! W_cubic(t) = C·(t − K)³ + W_max      K = ∛((W_max − cwnd_epoch) / C)
//! ```
//!
//! with `C = 0.4` and `cwnd_epoch` the window when growth restarted, so that
//! `W_cubic(0) = cwnd_epoch` and `W_cubic(K) = W_max`. Where standard TCP
//! would grow faster (short RTTs, small windows) CUBIC follows an estimate
//! of the Reno window instead, `W_est` (§4.3, the Reno-friendly region).
//!
//! Arithmetic is in `f64` with a hand-written cube root, since `no_std`
//! builds have no `cbrt`. Only addition, multiplication and division are
//! used, which `core` provides.

use crate::time::{Duration, Instant};

/// The growth constant `C` (RFC 9438 §5.1), in segments per second³.
pub const C: f64 = 0.4;
/// The multiplicative decrease factor `β_cubic` (RFC 9438 §4.6).
pub const BETA: f64 = 0.7;
/// The Reno-friendly additive increase `α_cubic = 3(1 − β)/(1 + β)` (§4.3).
pub const ALPHA: f64 = 3.0 * (1.0 - BETA) / (1.0 + BETA);

/// Cube root of a non-negative number, by Newton's method from an estimate
/// made by dividing the exponent bits by three.
pub fn cbrt(x: f64) -> f64 {
    if x <= 0.0 || x.is_nan() {
        return 0.0;
    }
    if x.is_infinite() {
        return x;
    }
    // Dividing the biased exponent by three (and re-biasing) lands within a
    // few per cent of the root; four Newton steps reach full precision.
    let bias = 1023i64 << 52;
    let bits = (x.to_bits() as i64 - bias) / 3 + bias;
    let mut y = f64::from_bits(bits as u64);
    for _ in 0..6 {
        y -= (y * y * y - x) / (3.0 * y * y);
    }
    y
}

/// `W_cubic(t)` in segments, `t` in seconds (RFC 9438 §4.2, equation 1).
pub fn w_cubic(t: f64, k: f64, w_max: f64) -> f64 {
    let d = t - k;
    C * d * d * d + w_max
}

/// `K` in seconds (RFC 9438 §4.2, equation 2): how long the curve takes to
/// climb from `cwnd_epoch` back to `w_max`. Zero when already there.
pub fn k(w_max: f64, cwnd_epoch: f64) -> f64 {
    if w_max <= cwnd_epoch {
        0.0
    } else {
        cbrt((w_max - cwnd_epoch) / C)
    }
}

/// CUBIC's state between congestion events. Windows are in segments.
///
/// The state is stored in `f32` (every connection that met a loss carries
/// it; 24 bits of mantissa keep windows of millions of segments to well
/// under one segment) and computed in `f64`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cubic {
    /// The window just before the last reduction (after fast convergence).
    w_max: f32,
    /// The window just before the last reduction, as it was (`cwnd_prior`).
    cwnd_prior: f32,
    /// When the current growth epoch started: the clock in milliseconds,
    /// modulo 2^32 (an epoch is measured to the millisecond, and one
    /// longer than 49 days simply starts over).
    epoch_start: u32,
    /// Whether an epoch is running: false until the first ACK in
    /// congestion avoidance after a reduction.
    in_epoch: bool,
    /// `K` for the current epoch.
    k: f32,
    /// The Reno-friendly estimate `W_est`.
    w_est: f32,
    /// Byte increments smaller than one byte, carried to the next ACK.
    carry: f32,
}

impl Default for Cubic {
    fn default() -> Self {
        Cubic::new()
    }
}

impl Cubic {
    /// Fresh state: no congestion event yet.
    pub const fn new() -> Self {
        Cubic {
            w_max: 0.0,
            cwnd_prior: 0.0,
            epoch_start: 0,
            in_epoch: false,
            k: 0.0,
            w_est: 0.0,
            carry: 0.0,
        }
    }

    /// `W_max` in segments (zero before the first congestion event).
    pub fn w_max(&self) -> f64 {
        f64::from(self.w_max)
    }

    /// `K` of the current epoch, in seconds.
    pub fn k(&self) -> f64 {
        f64::from(self.k)
    }

    /// The Reno-friendly estimate `W_est` in segments.
    pub fn w_est(&self) -> f64 {
        f64::from(self.w_est)
    }

    /// Congestion avoidance: move `cwnd` (bytes) towards the curve.
    ///
    /// `rtt` is the smoothed round-trip time; RFC 9438 §4.4 and §4.5 aim
    /// the window at `W_cubic(t + RTT)`, clamped between `cwnd` and
    /// `1.5·cwnd`, and add `(target − cwnd)/cwnd` segments per segment
    /// acknowledged. If the Reno estimate is ahead of the curve, the window
    /// follows the estimate instead (§4.3).
    pub fn on_ack(
        &mut self,
        now: Instant,
        cwnd: &mut usize,
        mss: usize,
        acked: usize,
        rtt: Duration,
    ) {
        let mss_f = mss.max(1) as f64;
        let cwnd_seg = *cwnd as f64 / mss_f;
        if !self.in_epoch {
            // A new epoch (§4.2): measure K from the window we restart at.
            // After a slow start that ended without loss there is no
            // W_max yet; the curve then starts at its plateau (K = 0).
            let w_max = self.w_max().max(cwnd_seg);
            self.w_max = w_max as f32;
            self.k = k(w_max, cwnd_seg) as f32;
            self.w_est = cwnd_seg as f32;
            self.epoch_start = now.millis_u32();
            self.in_epoch = true;
        }
        let (w_max, k) = (self.w_max(), self.k());
        let acked_seg = acked as f64 / mss_f;
        // §4.3: W_est grows by α per window of acknowledged data; once it
        // has caught up with the window before the reduction, by one.
        let alpha = if self.w_est >= self.cwnd_prior {
            1.0
        } else {
            ALPHA
        };
        let w_est = self.w_est() + alpha * acked_seg / cwnd_seg.max(1.0);
        self.w_est = w_est as f32;

        // A difference past 2^31 ms means the caller's clock went backwards
        // (an epoch lasting 24 days is not a thing): count it as none, or
        // the curve would read a month and grow the window at its cap.
        let elapsed = now.millis_u32().wrapping_sub(self.epoch_start);
        let t = if elapsed > u32::MAX / 2 {
            0.0
        } else {
            f64::from(elapsed) / 1000.0
        };
        let target_seg = if w_cubic(t, k, w_max) < w_est {
            // Reno-friendly region: be at least as aggressive as Reno.
            w_est
        } else {
            let target = w_cubic(t + rtt.as_secs_f64(), k, w_max);
            let target = target.clamp(cwnd_seg, 1.5 * cwnd_seg);
            cwnd_seg + (target - cwnd_seg) / cwnd_seg.max(1.0) * acked_seg
        };
        let grow = (target_seg - cwnd_seg) * mss_f + f64::from(self.carry);
        if grow > 0.0 {
            let whole = grow as usize;
            self.carry = (grow - whole as f64) as f32;
            *cwnd = cwnd.saturating_add(whole);
        }
    }

    /// A congestion event with the window at `cwnd` bytes: returns the new
    /// `ssthresh` in bytes (RFC 9438 §4.6), at least two segments.
    ///
    /// With fast convergence (§4.7), a loss below the previous `W_max` means
    /// competing flows are taking bandwidth, so `W_max` is set lower still,
    /// to `cwnd·(1 + β)/2`, to leave them room.
    pub fn on_congestion(&mut self, cwnd: usize, mss: usize) -> usize {
        let mss_f = mss.max(1) as f64;
        let cwnd_seg = cwnd as f64 / mss_f;
        let w_max = if cwnd_seg < self.w_max() {
            cwnd_seg * (1.0 + BETA) / 2.0
        } else {
            cwnd_seg
        };
        self.w_max = w_max as f32;
        self.cwnd_prior = cwnd_seg as f32;
        self.in_epoch = false;
        self.carry = 0.0;
        ((cwnd_seg * BETA * mss_f) as usize).max(2 * mss)
    }

    /// Ends the growth epoch without a congestion event (after idle), so
    /// the next ACK in congestion avoidance starts a new one.
    pub fn reset_epoch(&mut self) {
        self.in_epoch = false;
        self.carry = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, eps: f64) -> bool {
        (a - b).abs() <= eps
    }

    #[test]
    fn cube_root() {
        for &x in &[
            1e-9, 0.001, 0.5, 1.0, 2.0, 8.0, 27.0, 75.0, 1e6, 1e12, 1e300,
        ] {
            let y = cbrt(x);
            assert!(close(y * y * y / x, 1.0, 1e-12), "cbrt({x}) = {y}");
        }
        assert_eq!(cbrt(0.0), 0.0);
        assert_eq!(cbrt(-8.0), 0.0);
        assert_eq!(cbrt(f64::NAN), 0.0);
        assert_eq!(cbrt(f64::INFINITY), f64::INFINITY);
        assert!(close(cbrt(125.0), 5.0, 1e-12));
    }

    #[test]
    fn alpha_value() {
        // 3·0.3/1.7
        assert!(close(ALPHA, 0.529_411_764_7, 1e-9));
    }

    #[test]
    fn curve_passes_through_epoch_start_and_w_max() {
        let w_max = 100.0;
        let epoch = w_max * BETA;
        let kk = k(w_max, epoch);
        // K = ∛((100 − 70)/0.4) = ∛75 ≈ 4.2172 s.
        assert!(close(kk, 4.217_163_326, 1e-6));
        assert!(close(w_cubic(0.0, kk, w_max), epoch, 1e-9));
        assert!(close(w_cubic(kk, kk, w_max), w_max, 1e-9));
        // Concave before K, convex after, symmetric around (K, W_max).
        let before = w_max - w_cubic(kk - 1.0, kk, w_max);
        let after = w_cubic(kk + 1.0, kk, w_max) - w_max;
        assert!(close(before, C, 1e-9) && close(after, C, 1e-9));
        assert_eq!(k(50.0, 60.0), 0.0);
    }

    #[test]
    fn reduction_and_fast_convergence() {
        let mut cubic = Cubic::new();
        let mss = 1000;
        assert_eq!(cubic.on_congestion(100_000, mss), 70_000);
        assert_eq!(cubic.w_max(), 100.0);
        // A second loss below W_max: fast convergence lowers W_max further.
        assert_eq!(cubic.on_congestion(80_000, mss), 56_000);
        assert!(close(cubic.w_max(), 80.0 * 1.7 / 2.0, 1e-9));
        // Never below two segments.
        assert_eq!(cubic.on_congestion(1000, mss), 2000);
    }

    #[test]
    fn a_clock_going_backwards_reads_as_the_epoch_start() {
        let mss = 1000;
        let rtt = Duration::from_millis(500);
        let grow = |second: Instant| {
            let mut cubic = Cubic::new();
            let mut cwnd = cubic.on_congestion(100_000, mss);
            cubic.on_ack(Instant::from_secs(100), &mut cwnd, mss, mss, rtt);
            let before = cwnd;
            cubic.on_ack(second, &mut cwnd, mss, mss, rtt);
            cwnd - before
        };
        // An ACK one second before the epoch began grows the window as one
        // at the epoch's start would, not as one 49 days later.
        assert_eq!(grow(Instant::from_secs(99)), grow(Instant::from_secs(100)));
        assert!(grow(Instant::from_secs(99)) < mss);
    }

    #[test]
    fn growth_follows_the_curve() {
        let mss = 1000;
        let mut cubic = Cubic::new();
        let ssthresh = cubic.on_congestion(100_000, mss);
        let mut cwnd = ssthresh;
        // A long RTT puts CUBIC well out of the Reno-friendly region.
        let rtt = Duration::from_millis(500);
        let t0 = Instant::from_secs(10);
        // One window of ACKs per RTT, each ACK covering one segment.
        let mut now = t0;
        for _ in 0..40 {
            let per_ack = rtt / (cwnd / mss) as u32;
            for _ in 0..cwnd / mss {
                cubic.on_ack(now, &mut cwnd, mss, mss, rtt);
                now += per_ack;
            }
        }
        assert!(close(cubic.k(), 4.217_163_326, 1e-6));
        // After 20 s (well past K) the window follows W_cubic(t) closely.
        let t = (now - t0).as_secs_f64();
        let expected = w_cubic(t, cubic.k(), 100.0);
        let got = cwnd as f64 / mss as f64;
        assert!(got > 100.0, "past K the window exceeds W_max: {got}");
        assert!(
            close(got / expected, 1.0, 0.1),
            "cwnd {got} vs W_cubic {expected}"
        );
    }

    #[test]
    fn reno_friendly_region_on_short_rtts() {
        let mss = 1000;
        let mut cubic = Cubic::new();
        let mut cwnd = cubic.on_congestion(20_000, mss); // 14 segments
        // A 1 ms RTT: the cubic curve barely moves in a few hundred ms, but
        // Reno would gain about α segments per RTT.
        let rtt = Duration::from_millis(1);
        let mut now = Instant::from_secs(1);
        for _ in 0..100 {
            for _ in 0..cwnd / mss {
                cubic.on_ack(now, &mut cwnd, mss, mss, rtt);
            }
            now += rtt;
        }
        // 100 RTTs: W_est grew by about α per RTT until it caught up with
        // cwnd_prior (20), then by one per RTT.
        let w_est = cubic.w_est();
        let cubic_only = w_cubic(0.1, cubic.k(), cubic.w_max());
        assert!(cubic_only < 15.0);
        assert!(w_est > 60.0 && w_est < 110.0, "w_est {w_est}");
        assert!(close(cwnd as f64 / mss as f64, w_est, 1.0));
    }

    #[test]
    fn first_epoch_without_loss_starts_on_the_plateau() {
        let mut cubic = Cubic::new();
        let mut cwnd = 50_000;
        cubic.on_ack(
            Instant::from_secs(1),
            &mut cwnd,
            1000,
            1000,
            Duration::from_millis(100),
        );
        assert_eq!(cubic.k(), 0.0);
        assert_eq!(cubic.w_max(), 50.0);
        cubic.reset_epoch();
    }
}
