//! Tail loss probes (the TLP half of RFC 8985) and early retransmit
//! (RFC 5827): repairing losses that leave too few segments behind them
//! for three duplicate ACKs, without waiting for the retransmission timer.
//!
//! A loss among the last segments of a burst (the end of a response, say)
//! brings back no duplicate ACKs, or fewer than the threshold, and used to
//! wait a whole RTO, at least 200 ms and usually a second. Two mechanisms
//! shorten that:
//!
//! - **Early retransmit.** With fewer than four segments outstanding and
//!   nothing new that could be sent, the duplicate-ACK threshold drops to
//!   one less than the segments outstanding, so two segments with the
//!   first lost are repaired by the second's duplicate ACK. A path seen to
//!   reorder (see `dup_thresh`) keeps the full threshold.
//! - **The probe.** While data is outstanding and no loss recovery runs,
//!   the retransmission timer is first armed for a probe timeout (PTO) of
//!   two smoothed round trips (one and a half plus the peer's worst
//!   delayed-ACK time, 200 ms, if that is longer and only one segment is
//!   out), and never past the RTO.
//!   When the PTO passes without an ACK, one probe goes out: a new segment
//!   if the peer's window has room and there is one to send, whatever the
//!   congestion window says, or else the last segment sent, again. The
//!   ACK it draws carries SACK blocks that show any hole, and the usual
//!   recovery takes over; if the last segment itself was lost, the probe
//!   has repaired it. The RTO then runs from the probe, and there is one
//!   probe per episode: the next comes only after an ACK moves `SND.UNA`.
//!
//! A probe that resent the last segment and repaired a loss must still
//! count as a loss for congestion control: when the ACK covering it
//! arrives, the timestamp it echoes (or a D-SACK block from the peer)
//! says whether the peer got the original or needed the probe, and in
//! the second case the window is cut as by a fast recovery (RFC 8985
//! §7.4). Without timestamps the episode waits for an ACK beyond the
//! probe, as Linux does.
//!
//! Both need SACK, like Linux's: without it a probe's ACK cannot say which
//! segment was missing.

use super::event::bump;
use super::loss::TailProbe;
use super::{Connection, Flags};
use crate::tcp::seq::SeqNumber;
use crate::tcp::timer::Timer;
use crate::time::{Duration, Instant};
use crate::wire::TcpRepr;

/// The longest a peer may delay an ACK for a lone segment (RFC 8985's
/// `WCDelAckT`, the 200 ms Linux and RFC 5681 allow).
const WORST_DELAYED_ACK: Duration = Duration::from_millis(200);

/// The shortest probe timeout, against timer granularity on very short
/// paths (Linux's floor is 10 ms too).
const MIN_PTO: Duration = Duration::from_millis(10);

impl Connection {
    /// When the probe timer should fire if armed at `now`, if a probe is
    /// allowed now.
    pub(super) fn probe_deadline(&self, now: Instant) -> Option<Instant> {
        if !self.opts.sack()
            || !self.state.transmits_data()
            || self.cc.in_recovery()
            || self.snd_wnd == 0
        {
            return None;
        }
        if let Some(loss) = self.loss.get()
            && (loss.rto_count > 0 || loss.tail_probe.is_some())
        {
            return None;
        }
        let lone = self.snd_max.distance_from(self.snd_una) as usize <= self.send_mss();
        // Never later than the RTO would fire: then the probe goes out
        // instead of the timeout's retransmission, and the RTO comes one
        // RTO later (as Linux does).
        let micros =
            self.rtt
                .probe_timeout_micros(lone, WORST_DELAYED_ACK, MIN_PTO, self.rto_bounds())?;
        Some(Instant::from_nanos(
            now.as_nanos().saturating_add(micros.saturating_mul(1000)),
        ))
    }

    /// The retransmission timer fired while it held a probe timeout.
    pub(super) fn on_probe_timeout(&mut self, now: Instant) {
        if self.snd_max == self.snd_una {
            return;
        }
        let allowed = self.probe_deadline(now).is_some();
        // From here the RTO runs, from this moment (RFC 8985 §7.3).
        self.timers.set(Timer::Retransmit, now + self.rto());
        if !allowed {
            // Recovery started, or the window closed, after the probe was
            // armed: no probe, just the RTO.
            return;
        }
        self.flags.on(Flags::TAIL_PROBE);
    }

    /// Readies a probe of new data, if there is some and the peer's
    /// window takes it: the next `send_data` may then send one segment past
    /// the congestion window. Returns whether it did; if not, the probe is
    /// the last segment again ([`Connection::send_last_as_probe`]).
    pub(super) fn prepare_new_data_probe(&mut self, now: Instant) -> bool {
        let outstanding = self.snd_max.distance_from(self.snd_una) as usize;
        let unsent = self.send.len().saturating_sub(outstanding);
        let window_room = (self.snd_wnd as usize).saturating_sub(outstanding);
        if self.snd_nxt != self.snd_max || unsent == 0 || window_room == 0 {
            return false;
        }
        let ts = super::options::ts_clock(now, self.ts_offset());
        let (end, mss) = (self.snd_max, self.send_mss() as u32);
        self.loss().tail_probe = Some(TailProbe {
            end,
            retransmitted: false,
            ts,
            allowance: mss,
        });
        true
    }

    /// After the `send_data` a probe of new data was readied for: whether
    /// it sent anything (Nagle may have held a small piece back).
    pub(super) fn new_data_probe_done(&mut self, sent: bool) {
        let snd_max = self.snd_max;
        let loss = self.loss();
        if sent {
            if let Some(probe) = &mut loss.tail_probe {
                probe.allowance = 0;
                probe.end = snd_max;
            }
            bump(&mut loss.counters.tail_loss_probes);
        } else {
            loss.tail_probe = None;
        }
    }

    /// Sends the last segment again as the probe (or the FIN alone, if
    /// that is all that is outstanding).
    pub(super) fn send_last_as_probe(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        let ts = super::options::ts_clock(now, self.ts_offset());
        let data = (self.snd_max.distance_from(self.snd_una) as usize).min(self.send.len());
        let len = data.min(self.send_mss());
        let seq = self.snd_una + (data - len);
        let n = self.retransmit_at(now, buf, seq, len)?;
        let end = self.snd_max;
        let loss = self.loss();
        loss.tail_probe = Some(TailProbe {
            end,
            retransmitted: true,
            ts,
            allowance: 0,
        });
        bump(&mut loss.counters.tail_loss_probes);
        Some(n)
    }

    /// Bytes a probe of new data may send past the congestion window.
    pub(super) fn probe_allowance(&self) -> usize {
        self.loss
            .get()
            .and_then(|l| l.tail_probe.as_ref())
            .map_or(0, |p| p.allowance as usize)
    }

    /// Ends the probe episode on an acceptable ACK for `ack`, which moved
    /// `SND.UNA` or not (`advanced`), deciding for a probe that resent the
    /// last segment whether it repaired a loss.
    pub(super) fn check_tail_probe(
        &mut self,
        now: Instant,
        seg: &TcpRepr<'_>,
        ack: SeqNumber,
        advanced: bool,
    ) {
        let Some(probe) = self.loss.get().and_then(|l| l.tail_probe) else {
            return;
        };
        if ack.lt(probe.end) {
            return;
        }
        // A D-SACK block at or below the ACK: the peer got the probe twice.
        let dsack = seg
            .sack_ranges
            .first()
            .copied()
            .flatten()
            .is_some_and(|(_, right)| SeqNumber::new(right).le(ack));
        let repaired = if !probe.retransmitted || dsack {
            false
        } else if let (Some((_, tsecr)), true) = (seg.timestamp, self.opts.timestamps()) {
            // The echo says which transmission the peer acknowledged.
            (tsecr.wrapping_sub(probe.ts) as i32) >= 0
        } else if ack.gt(probe.end) {
            // Without timestamps, Linux's rule: past the probe with no
            // D-SACK seen, the probe was needed...
            true
        } else if advanced {
            // ...but the ACK for it may come from either copy: wait for a
            // D-SACK or a later ACK.
            return;
        } else {
            // ...and a duplicate ACK without a D-SACK says it was not.
            false
        };
        self.loss().tail_probe = None;
        if repaired {
            // RFC 8985 §7.4.2: a congestion response as for a fast
            // recovery that ended at once.
            let flight = self.flight_size();
            let (una, algorithm) = (self.snd_una, self.config.congestion);
            let loss = self.loss.make(una, algorithm);
            self.cc.on_enter_recovery(now, flight, &mut loss.growth);
            self.cc.on_exit_recovery(flight);
            bump(&mut loss.counters.tail_loss_recoveries);
        }
    }
}
