//! Congestion control: how much data may be in flight.
//!
//! [`Controller`] holds the congestion window (`cwnd`) and slow-start
//! threshold (`ssthresh`) of RFC 5681 and the parts every algorithm shares:
//! slow start, fast recovery with NewReno's partial-ACK rule (RFC 6582), the
//! collapse to one segment on a retransmission timeout, and the restart
//! after idle. The [`Algorithm`] decides the rest: how the window grows in
//! congestion avoidance and how far it drops after a loss — Reno
//! ([`new_reno`]) or CUBIC ([`cubic`], RFC 9438).
//!
//! The controller does window arithmetic only. The connection detects
//! losses (three duplicate ACKs, SACK scoreboard, timeouts), remembers the
//! `recover` point of RFC 6582, decides which ACKs are partial, and tells
//! the controller through these hooks:
//!
//! | event                                   | hook                                   |
//! |-----------------------------------------|----------------------------------------|
//! | ACK of new data, not in recovery        | [`on_ack`](Controller::on_ack)         |
//! | fast retransmit: entering recovery      | [`on_enter_recovery`](Controller::on_enter_recovery) |
//! | duplicate ACK during recovery (no SACK) | [`inflate`](Controller::inflate)       |
//! | partial ACK during recovery             | [`on_partial_ack`](Controller::on_partial_ack) |
//! | full ACK: leaving recovery              | [`on_exit_recovery`](Controller::on_exit_recovery) |
//! | retransmission timeout                  | [`on_rto`](Controller::on_rto)         |
//! | sending again after an idle period      | [`on_idle_restart`](Controller::on_idle_restart) |
//!
//! Every hook that depends on time takes `now`; nothing here reads a clock.

pub mod cubic;
pub mod new_reno;

use crate::time::{Duration, Instant};
pub use cubic::Cubic;
pub use new_reno::NewReno;

/// Which congestion control algorithm a connection uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Algorithm {
    /// RFC 5681 Reno growth with RFC 6582 NewReno recovery.
    NewReno,
    /// CUBIC (RFC 9438), the default, as in Linux, Windows and macOS.
    #[default]
    Cubic,
}

/// Per-algorithm state: what the window grows and shrinks by (CUBIC's
/// curve, or Reno's count of bytes acknowledged).
///
/// A connection keeps this apart from the [`Window`]: it is needed only in
/// congestion avoidance and at a loss, so a connection holds it in the
/// state it allocates at its first loss, and one that never leaves slow
/// start never pays for it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Growth {
    /// Reno's bytes acknowledged since the window last grew.
    NewReno(NewReno),
    /// CUBIC's curve.
    Cubic(Cubic),
}

impl Growth {
    /// Fresh state for `algorithm`: no congestion event yet.
    pub(crate) const fn new(algorithm: Algorithm) -> Self {
        match algorithm {
            Algorithm::NewReno => Growth::NewReno(NewReno::new()),
            Algorithm::Cubic => Growth::Cubic(Cubic::new()),
        }
    }

    fn algorithm(&self) -> Algorithm {
        match self {
            Growth::NewReno(_) => Algorithm::NewReno,
            Growth::Cubic(_) => Algorithm::Cubic,
        }
    }
}

/// The congestion window and the rules every algorithm shares, without the
/// algorithm's own state: [`Controller`] pairs it with a [`Growth`], and a
/// connection keeps the two apart (see [`Growth`]).
///
/// The hooks that need the algorithm take its state as an argument;
/// [`on_ack`](Self::on_ack) takes a function that produces it, called only
/// in congestion avoidance.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Window {
    cwnd: u32,
    /// `u32::MAX` until the first loss (reported as `usize::MAX`).
    ssthresh: u32,
    /// The segment size: the MSS option is 16 bits, so is this.
    mss: u16,
    /// The initial window in segments (at most 255).
    initial_segments: u8,
    in_recovery: bool,
}

/// The congestion window and everything that moves it.
///
/// Sizes are stored as `u32` bytes (every connection holds one controller)
/// and spoken as `usize`; a window saturates at `u32::MAX`, four times the
/// largest receive window TCP can offer. The segment size is kept in 16
/// bits and the initial window as a count of at most 255 segments.
#[derive(Debug, Clone, PartialEq)]
pub struct Controller {
    window: Window,
    growth: Growth,
}

/// A byte count as stored, saturating.
fn narrow(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A segment size as stored: at least 1, at most 65,535.
fn narrow_mss(mss: usize) -> u16 {
    u16::try_from(mss.max(1)).unwrap_or(u16::MAX)
}

/// The initial window RFC 5681 §3.1 allows for a given sender MSS: 2, 3 or
/// 4 segments, about 4 KB in all.
pub fn rfc5681_initial_window(mss: usize) -> usize {
    if mss > 2190 {
        2 * mss
    } else if mss > 1095 {
        3 * mss
    } else {
        4 * mss
    }
}

impl Controller {
    /// A controller for segments of `mss` bytes (at most 65,535), starting
    /// with a window of `initial_segments` segments (RFC 5681's 2–4 when
    /// zero; at most 255) and an unbounded `ssthresh` (RFC 5681 §3.1: as
    /// high as possible, so the first slow start ends only with a loss).
    pub fn new(algorithm: Algorithm, mss: usize, initial_segments: usize) -> Self {
        Controller {
            window: Window::new(mss, initial_segments),
            growth: Growth::new(algorithm),
        }
    }

    /// The algorithm in use.
    pub fn algorithm(&self) -> Algorithm {
        self.growth.algorithm()
    }

    /// The congestion window in bytes.
    pub fn window(&self) -> usize {
        self.window.window()
    }

    /// The slow-start threshold in bytes (`usize::MAX` until the first loss).
    pub fn ssthresh(&self) -> usize {
        self.window.ssthresh()
    }

    /// The segment size the window is counted in.
    pub fn mss(&self) -> usize {
        self.window.mss()
    }

    /// The initial window in bytes: the initial segments at the current
    /// segment size.
    pub fn initial_window(&self) -> usize {
        self.window.initial_window()
    }

    /// Whether the window is below `ssthresh` (RFC 5681 §3.1: slow start).
    pub fn in_slow_start(&self) -> bool {
        self.window.in_slow_start()
    }

    /// Whether fast recovery is in progress.
    pub fn in_recovery(&self) -> bool {
        self.window.in_recovery()
    }

    /// Changes the segment size once the handshake settles it. A window
    /// that was still the initial one is recomputed for the new size.
    pub fn set_mss(&mut self, mss: usize) {
        self.window.set_mss(mss);
    }

    /// `acked` bytes of new data were acknowledged outside fast recovery.
    ///
    /// Slow start (RFC 5681 §3.1, equation 2): grow by what was
    /// acknowledged, at most one segment per ACK. Congestion avoidance: the
    /// algorithm's rule. `rtt` is the smoothed round-trip time (CUBIC aims
    /// one RTT ahead on its curve).
    pub fn on_ack(&mut self, now: Instant, acked: usize, rtt: Duration) {
        let growth = &mut self.growth;
        self.window.on_ack(now, acked, rtt, || growth);
    }

    /// Fast retransmit: a loss was detected with `flight_size` bytes
    /// outstanding, and fast recovery begins.
    ///
    /// `ssthresh` drops as the algorithm says (Reno: RFC 5681 §3.2 step 2,
    /// half the flight; CUBIC: RFC 9438 §4.6, β·cwnd) and `cwnd` is set to
    /// it. Without SACK, the connection then calls [`inflate`](Self::inflate)
    /// with 3 for the three duplicate ACKs that triggered this (RFC 5681
    /// §3.2 step 3); with SACK it counts the pipe instead (RFC 6675).
    /// Does nothing if already in recovery.
    pub fn on_enter_recovery(&mut self, now: Instant, flight_size: usize) {
        self.window
            .on_enter_recovery(now, flight_size, &mut self.growth);
    }

    /// Inflates the window by `segments` segments during fast recovery: each
    /// duplicate ACK means a segment has left the network (RFC 5681 §3.2
    /// step 4).
    pub fn inflate(&mut self, segments: usize) {
        self.window.inflate(segments);
    }

    /// A partial ACK in fast recovery acknowledged `acked` new bytes.
    ///
    /// RFC 6582 §3.2 step 5: deflate the window by the amount acknowledged,
    /// then add back one segment if at least one segment's worth was
    /// acknowledged, so that about `ssthresh` stays in flight after the
    /// retransmission the connection sends next.
    pub fn on_partial_ack(&mut self, acked: usize) {
        self.window.on_partial_ack(acked);
    }

    /// A full ACK (up to `recover`) ended fast recovery, with `flight_size`
    /// bytes still outstanding.
    ///
    /// RFC 6582 §3.2 step 6 offers two ways to deflate; this takes the one
    /// that avoids a burst: `cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS)`.
    pub fn on_exit_recovery(&mut self, flight_size: usize) {
        self.window.on_exit_recovery(flight_size);
    }

    /// The retransmission timer fired with `flight_size` bytes outstanding.
    ///
    /// RFC 5681 §3.1: the window collapses to the loss window, one segment,
    /// and slow start begins again. `ssthresh` drops only on the first
    /// timeout of a segment (`first`); a timeout of the retransmission
    /// itself must not lower it further (RFC 5681 §3.1, equation 4 note).
    /// CUBIC sets `ssthresh` with β and remembers `W_max` (RFC 9438 §4.8).
    pub fn on_rto(&mut self, now: Instant, flight_size: usize, first: bool) {
        self.window
            .on_rto(now, flight_size, first, &mut self.growth);
    }

    /// Sending resumes after an idle period longer than the RTO.
    ///
    /// RFC 5681 §4.1: the window restarts from `min(IW, cwnd)`, since the
    /// sender's picture of the network is stale. CUBIC starts a new epoch.
    pub fn on_idle_restart(&mut self, now: Instant) {
        self.window.on_idle_restart(now, Some(&mut self.growth));
    }
}

impl Window {
    /// See [`Controller::new`].
    pub(crate) fn new(mss: usize, initial_segments: usize) -> Self {
        let mss = narrow_mss(mss);
        let initial_segments = if initial_segments == 0 {
            rfc5681_initial_window(usize::from(mss)) / usize::from(mss)
        } else {
            initial_segments
        };
        let initial_segments = u8::try_from(initial_segments).unwrap_or(u8::MAX);
        Window {
            cwnd: u32::from(initial_segments) * u32::from(mss),
            ssthresh: u32::MAX,
            mss,
            initial_segments,
            in_recovery: false,
        }
    }

    /// See [`Controller::window`].
    pub(crate) fn window(&self) -> usize {
        self.cwnd as usize
    }

    /// See [`Controller::ssthresh`].
    pub(crate) fn ssthresh(&self) -> usize {
        match self.ssthresh {
            u32::MAX => usize::MAX,
            n => n as usize,
        }
    }

    /// See [`Controller::mss`].
    pub(crate) fn mss(&self) -> usize {
        usize::from(self.mss)
    }

    /// See [`Controller::initial_window`].
    pub(crate) fn initial_window(&self) -> usize {
        usize::from(self.initial_segments) * self.mss()
    }

    /// See [`Controller::in_slow_start`].
    pub(crate) fn in_slow_start(&self) -> bool {
        self.cwnd < self.ssthresh
    }

    /// See [`Controller::in_recovery`].
    pub(crate) fn in_recovery(&self) -> bool {
        self.in_recovery
    }

    /// See [`Controller::set_mss`].
    pub(crate) fn set_mss(&mut self, mss: usize) {
        let still_initial = self.window() == self.initial_window();
        self.mss = narrow_mss(mss);
        if still_initial {
            self.cwnd = narrow(self.initial_window());
        }
    }

    /// See [`Controller::on_ack`]. `growth` is called only in congestion
    /// avoidance, the one case that needs the algorithm's state: before
    /// the first loss that takes the window growing past 4 GiB, since
    /// `ssthresh` starts unbounded.
    pub(crate) fn on_ack<'g>(
        &mut self,
        now: Instant,
        acked: usize,
        rtt: Duration,
        growth: impl FnOnce() -> &'g mut Growth,
    ) {
        if self.in_recovery || acked == 0 {
            return;
        }
        if self.in_slow_start() {
            self.cwnd = self.cwnd.saturating_add(narrow(acked.min(self.mss())));
            return;
        }
        let (mut cwnd, mss) = (self.window(), self.mss());
        match growth() {
            Growth::NewReno(reno) => reno.on_ack(&mut cwnd, mss, acked),
            Growth::Cubic(cubic) => cubic.on_ack(now, &mut cwnd, mss, acked, rtt),
        }
        self.cwnd = narrow(cwnd);
    }

    /// See [`Controller::on_enter_recovery`].
    pub(crate) fn on_enter_recovery(
        &mut self,
        _now: Instant,
        flight_size: usize,
        growth: &mut Growth,
    ) {
        if self.in_recovery {
            return;
        }
        self.ssthresh = narrow(self.reduced_ssthresh(flight_size, growth)).min(u32::MAX - 1);
        self.cwnd = self.ssthresh;
        self.in_recovery = true;
    }

    /// See [`Controller::inflate`].
    pub(crate) fn inflate(&mut self, segments: usize) {
        if self.in_recovery {
            let more = narrow(segments.saturating_mul(self.mss()));
            self.cwnd = self.cwnd.saturating_add(more);
        }
    }

    /// See [`Controller::on_partial_ack`].
    pub(crate) fn on_partial_ack(&mut self, acked: usize) {
        if !self.in_recovery {
            return;
        }
        self.cwnd = self.cwnd.saturating_sub(narrow(acked));
        let mss = u32::from(self.mss);
        if acked >= self.mss() {
            self.cwnd = self.cwnd.saturating_add(mss);
        }
        self.cwnd = self.cwnd.max(mss);
    }

    /// See [`Controller::on_exit_recovery`].
    pub(crate) fn on_exit_recovery(&mut self, flight_size: usize) {
        if !self.in_recovery {
            return;
        }
        self.in_recovery = false;
        let mss = u32::from(self.mss);
        let flight = narrow(flight_size).max(mss);
        self.cwnd = self.ssthresh.min(flight.saturating_add(mss));
    }

    /// See [`Controller::on_rto`].
    pub(crate) fn on_rto(
        &mut self,
        _now: Instant,
        flight_size: usize,
        first: bool,
        growth: &mut Growth,
    ) {
        if first {
            self.ssthresh = narrow(self.reduced_ssthresh(flight_size, growth)).min(u32::MAX - 1);
        }
        self.cwnd = u32::from(self.mss);
        self.in_recovery = false;
        if let Growth::NewReno(reno) = growth {
            reno.reset();
        }
    }

    /// Puts back the window from `before` a congestion response that
    /// proved spurious: each of the window and `ssthresh` at least what it
    /// was then, and out of recovery (the algorithm's own state is the
    /// caller's to restore).
    pub(crate) fn undo(&mut self, before: &Window) {
        self.cwnd = self.cwnd.max(before.cwnd);
        self.ssthresh = self.ssthresh.max(before.ssthresh);
        self.in_recovery = false;
    }

    /// See [`Controller::on_idle_restart`]. `growth` is `None` when the
    /// algorithm's state was never created: it is then fresh, and a fresh
    /// state has no epoch to end.
    pub(crate) fn on_idle_restart(&mut self, _now: Instant, growth: Option<&mut Growth>) {
        self.cwnd = self.cwnd.min(narrow(self.initial_window()));
        match growth {
            Some(Growth::NewReno(reno)) => reno.reset(),
            Some(Growth::Cubic(cubic)) => cubic.reset_epoch(),
            None => {}
        }
    }

    fn reduced_ssthresh(&mut self, flight_size: usize, growth: &mut Growth) -> usize {
        let (cwnd, mss) = (self.window(), self.mss());
        match growth {
            Growth::NewReno(reno) => reno.ssthresh_after_loss(flight_size, mss),
            Growth::Cubic(cubic) => cubic.on_congestion(cwnd, mss),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: usize = 1000;

    fn t(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    fn rtt() -> Duration {
        Duration::from_millis(50)
    }

    #[test]
    fn initial_windows() {
        assert_eq!(rfc5681_initial_window(536), 4 * 536);
        assert_eq!(rfc5681_initial_window(1460), 3 * 1460);
        assert_eq!(rfc5681_initial_window(9000), 2 * 9000);
        let c = Controller::new(Algorithm::NewReno, 1460, 0);
        assert_eq!(c.window(), 4380);
        let mut c = Controller::new(Algorithm::Cubic, 536, 10);
        assert_eq!(c.window(), 5360);
        assert_eq!(c.ssthresh(), usize::MAX);
        assert_eq!(c.algorithm(), Algorithm::Cubic);
        c.set_mss(1460);
        assert_eq!(c.window(), 14_600);
        assert_eq!(c.mss(), 1460);
        assert_eq!(c.initial_window(), 14_600);
        // RFC 5681's rule settles a segment count at the first size.
        let mut c = Controller::new(Algorithm::NewReno, 536, 0);
        c.set_mss(1460);
        assert_eq!(c.window(), 4 * 1460);
        // A window that already moved keeps its bytes.
        c.on_ack(t(0), 100, rtt());
        c.set_mss(1000);
        assert_eq!(c.window(), 4 * 1460 + 100);
        assert_eq!(c.initial_window(), 4000);
    }

    #[test]
    fn stored_sizes_saturate() {
        let c = Controller::new(Algorithm::Cubic, 1000, 1000);
        assert_eq!(c.window(), 255 * 1000);
        let mut c = Controller::new(Algorithm::Cubic, 100_000, 1);
        assert_eq!(c.mss(), 65_535);
        c.set_mss(0);
        assert_eq!((c.mss(), c.window()), (1, 1));
        assert!(core::mem::size_of::<Controller>() <= 40);
    }

    #[test]
    fn slow_start_grows_one_mss_per_ack() {
        let mut c = Controller::new(Algorithm::NewReno, MSS, 10);
        assert!(c.in_slow_start());
        c.on_ack(t(0), 2 * MSS, rtt());
        assert_eq!(c.window(), 11 * MSS);
        c.on_ack(t(0), 500, rtt());
        assert_eq!(c.window(), 11 * MSS + 500);
        c.on_ack(t(0), 0, rtt());
        assert_eq!(c.window(), 11 * MSS + 500);
    }

    #[test]
    fn newreno_fast_recovery_with_partial_acks() {
        let mut c = Controller::new(Algorithm::NewReno, MSS, 20);
        // Loss with 20 segments in flight.
        c.on_enter_recovery(t(0), 20 * MSS);
        assert!(c.in_recovery());
        assert_eq!(c.ssthresh(), 10 * MSS);
        c.inflate(3);
        assert_eq!(c.window(), 13 * MSS);
        // Entering again while in recovery changes nothing.
        c.on_enter_recovery(t(1), 13 * MSS);
        assert_eq!(c.ssthresh(), 10 * MSS);
        // Two more duplicate ACKs.
        c.inflate(1);
        c.inflate(1);
        assert_eq!(c.window(), 15 * MSS);
        // New data acked during recovery does not grow the window.
        c.on_ack(t(2), MSS, rtt());
        assert_eq!(c.window(), 15 * MSS);
        // Partial ACK of 4 segments: deflate by 4, add one back.
        c.on_partial_ack(4 * MSS);
        assert_eq!(c.window(), 12 * MSS);
        // Partial ACK of less than a segment: deflate only.
        c.on_partial_ack(300);
        assert_eq!(c.window(), 12 * MSS - 300);
        // Full ACK with 3 segments still in flight: min(ssthresh, 3+1).
        c.on_exit_recovery(3 * MSS);
        assert!(!c.in_recovery());
        assert_eq!(c.window(), 4 * MSS);
        // With plenty in flight the window is ssthresh.
        let mut c = Controller::new(Algorithm::NewReno, MSS, 20);
        c.on_enter_recovery(t(0), 20 * MSS);
        c.on_exit_recovery(18 * MSS);
        assert_eq!(c.window(), 10 * MSS);
        assert!(!c.in_slow_start());
        // Hooks outside recovery do nothing.
        c.inflate(5);
        c.on_partial_ack(MSS);
        c.on_exit_recovery(0);
        assert_eq!(c.window(), 10 * MSS);
    }

    #[test]
    fn congestion_avoidance_after_recovery() {
        let mut c = Controller::new(Algorithm::NewReno, MSS, 20);
        c.on_enter_recovery(t(0), 20 * MSS);
        c.on_exit_recovery(20 * MSS);
        for _ in 0..10 {
            c.on_ack(t(10), MSS, rtt());
        }
        assert_eq!(c.window(), 11 * MSS);
    }

    #[test]
    fn rto_collapses_to_one_segment() {
        for algorithm in [Algorithm::NewReno, Algorithm::Cubic] {
            let mut c = Controller::new(algorithm, MSS, 20);
            c.on_enter_recovery(t(0), 20 * MSS);
            let after_first_loss = c.ssthresh();
            c.on_rto(t(1000), 20 * MSS, true);
            assert_eq!(c.window(), MSS);
            assert!(!c.in_recovery());
            assert!(c.in_slow_start());
            let ss = c.ssthresh();
            assert!(ss <= after_first_loss && ss >= 2 * MSS);
            // A repeated timeout keeps ssthresh.
            c.on_rto(t(3000), MSS, false);
            assert_eq!(c.ssthresh(), ss);
            assert_eq!(c.window(), MSS);
        }
    }

    #[test]
    fn cubic_reduces_by_beta() {
        let mut c = Controller::new(Algorithm::Cubic, MSS, 100);
        c.on_enter_recovery(t(0), 100 * MSS);
        assert_eq!(c.ssthresh(), 70 * MSS);
        assert_eq!(c.window(), 70 * MSS);
        c.on_exit_recovery(70 * MSS);
        // Growth in congestion avoidance follows the curve from 70 segments.
        let before = c.window();
        for i in 0..70 {
            c.on_ack(t(100 + i), MSS, rtt());
        }
        assert!(c.window() > before);
        assert!(c.window() < 100 * MSS);
    }

    #[test]
    fn idle_restart() {
        let mut c = Controller::new(Algorithm::Cubic, MSS, 10);
        for _ in 0..30 {
            c.on_ack(t(0), MSS, rtt());
        }
        assert_eq!(c.window(), 40 * MSS);
        c.on_idle_restart(t(10_000));
        assert_eq!(c.window(), 10 * MSS);
        let mut small = Controller::new(Algorithm::NewReno, MSS, 10);
        small.on_rto(t(0), 4 * MSS, true);
        small.on_idle_restart(t(5000));
        assert_eq!(small.window(), MSS);
    }
}
