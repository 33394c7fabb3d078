//! Internal consistency checks, for fuzz targets and tests.

use super::{Connection, Flags, SCOREBOARD_RANGES, State};
use crate::tcp::timer::Timer;

impl Connection {
    /// Checks that the connection's internal bookkeeping is consistent and
    /// within its configured bounds; returns the first broken rule.
    ///
    /// Meant for fuzz targets and tests: whatever segments, timeouts and
    /// application calls came before, this must return `Ok`. Call it after
    /// draining `poll_transmit` (the timer rule assumes that).
    #[doc(hidden)]
    pub fn check_invariants(&self) -> Result<(), &'static str> {
        let config = &self.config;
        // Memory: both buffers within their configured sizes.
        if self.send.capacity() != config.send_buffer || self.send.len() > self.send.capacity() {
            return Err("send buffer exceeds its configured size");
        }
        if self.send.allocated() > self.send.capacity() {
            return Err("send buffer allocated past its configured size");
        }
        if self.recv.capacity() != config.recv_buffer || self.recv.len() > self.recv.capacity() {
            return Err("receive buffer exceeds its configured size");
        }
        if self.recv.allocated() > self.recv.capacity() {
            return Err("receive buffer allocated past its configured size");
        }
        // Out-of-order data: a bounded number of ranges, all inside the
        // window the buffer can hold.
        let assembler = self.recv.assembler();
        if assembler.range_count() > config.max_reassembly_ranges.max(1) {
            return Err("more out-of-order ranges than configured");
        }
        let next = self.recv.received();
        let mut last_end = next;
        for (start, end) in assembler.ranges() {
            if start <= last_end || end <= start {
                return Err("out-of-order ranges not sorted, disjoint and past RCV.NXT");
            }
            let reach = (end - next).saturating_add(self.recv.len() as u64);
            if reach > self.recv.capacity() as u64 {
                return Err("out-of-order data past the receive buffer");
            }
            last_end = end;
        }
        // Send sequence space: SND.UNA <= SND.NXT <= SND.MAX, and what lies
        // between SND.UNA and SND.MAX is held (data, plus SYN and FIN).
        if !(self.snd_una.le(self.snd_nxt) && self.snd_nxt.le(self.snd_max)) {
            return Err("send sequence variables out of order");
        }
        let syn = (self.snd_una == self.iss) as usize;
        let fin = self.send.fin_offset().is_some() as usize;
        let outstanding = self.snd_max.distance_from(self.snd_una) as usize;
        if outstanding > self.send.len() + syn + fin {
            return Err("more sequence space outstanding than data, SYN and FIN");
        }
        let sacked = self.scoreboard().ranges();
        if sacked.len() > SCOREBOARD_RANGES {
            return Err("SACK scoreboard past its bound");
        }
        let mut low = self.snd_una;
        for &(start, end) in sacked {
            if start.lt(low) || !start.lt(end) || end.gt(self.snd_max) {
                return Err("SACK scoreboard outside SND.UNA..SND.MAX or unsorted");
            }
            low = end;
        }
        // Receive sequence space: the advertised edge within the buffer.
        // (RCV.NXT being the peer's ISN plus the SYN, the bytes taken in
        // order and the FIN is not checked: the ISN is computed from that
        // rule rather than stored.)
        let synchronized = matches!(
            self.state,
            State::SynReceived
                | State::Established
                | State::FinWait1
                | State::FinWait2
                | State::CloseWait
                | State::Closing
                | State::LastAck
                | State::TimeWait
        );
        if synchronized && self.rcv_adv.diff(self.rcv_nxt) > config.recv_buffer.min(1 << 30) as i32
        {
            return Err("advertised window edge past the receive buffer");
        }
        // Liveness: outstanding sequence space always has a timer (or an
        // immediate output) that will move it, so nothing waits forever.
        let waiting =
            self.snd_max != self.snd_una && !matches!(self.state, State::Closed | State::TimeWait);
        let timer = self.timers.is_armed(Timer::Retransmit)
            || self.timers.is_armed(Timer::Persist)
            || self.timers.is_armed(Timer::UserTimeout);
        if waiting && !timer && self.flags.0 & Flags::OWED == 0 {
            return Err("sequence space outstanding without a timer");
        }
        // Unsent data (or FIN) with nothing in flight: no ACK will come to
        // clock it out, so a timer must, or it waits for the peer forever.
        let sender = self.state.transmits_data();
        let unsent = self.send.sequence_len() > outstanding;
        if sender
            && unsent
            && self.snd_max == self.snd_una
            && !timer
            && self.flags.0 & Flags::OWED == 0
        {
            return Err("unsent data with nothing in flight and no timer");
        }
        if self.state == State::Closed && !self.timers.is_idle() {
            return Err("a closed connection keeps a timer");
        }
        Ok(())
    }
}
