//! Reno's window growth and reduction (RFC 5681), the basis of NewReno.
//!
//! The NewReno part proper (RFC 6582: staying in fast recovery across
//! partial acknowledgments) is shared by every algorithm and lives in
//! [`Controller`](super::Controller); what is specific to Reno is how the
//! window grows in congestion avoidance and where `ssthresh` goes after a
//! loss.

/// Reno's congestion-avoidance state: bytes acknowledged since the window
/// last grew.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NewReno {
    /// Saturates at `u32::MAX`, far past any window.
    bytes_acked: u32,
}

impl NewReno {
    /// Fresh state.
    pub const fn new() -> Self {
        NewReno { bytes_acked: 0 }
    }

    /// Congestion avoidance: grow by about one segment per window acknowledged.
    ///
    /// RFC 5681 §3.1 allows counting acknowledged bytes (as RFC 3465 does)
    /// instead of adding `SMSS²/cwnd` per ACK: once the bytes acknowledged
    /// since the last increase reach `cwnd`, add one `SMSS`. Byte counting
    /// is exact whatever the ACK pattern (delayed ACKs, stretch ACKs), so
    /// that is what this does.
    pub fn on_ack(&mut self, cwnd: &mut usize, mss: usize, acked: usize) {
        let acked = u32::try_from(acked).unwrap_or(u32::MAX);
        self.bytes_acked = self.bytes_acked.saturating_add(acked);
        if self.bytes_acked as usize >= *cwnd {
            // Below `bytes_acked`, so within u32.
            self.bytes_acked -= *cwnd as u32;
            *cwnd = cwnd.saturating_add(mss);
        }
    }

    /// The new `ssthresh` after a loss: half the data in flight, and never
    /// below two segments (RFC 5681 §3.1, equation 4).
    pub fn ssthresh_after_loss(&mut self, flight_size: usize, mss: usize) -> usize {
        self.bytes_acked = 0;
        (flight_size / 2).max(2 * mss)
    }

    /// Forgets partial progress (after a timeout or an idle restart).
    pub fn reset(&mut self) {
        self.bytes_acked = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_segment_per_window() {
        let mut reno = NewReno::new();
        let mut cwnd = 10_000;
        // Ten ACKs of 1000 bytes: one window acknowledged, one MSS added.
        for _ in 0..9 {
            reno.on_ack(&mut cwnd, 1000, 1000);
            assert_eq!(cwnd, 10_000);
        }
        reno.on_ack(&mut cwnd, 1000, 1000);
        assert_eq!(cwnd, 11_000);
        // A stretch ACK of a whole window counts the same.
        reno.on_ack(&mut cwnd, 1000, 11_000);
        assert_eq!(cwnd, 12_000);
    }

    #[test]
    fn halves_flight_with_floor() {
        let mut reno = NewReno::new();
        assert_eq!(reno.ssthresh_after_loss(40_000, 1000), 20_000);
        assert_eq!(reno.ssthresh_after_loss(3000, 1000), 2000);
        reno.reset();
    }
}
