//! Building segments: what goes out at each `poll_transmit`, in order of
//! urgency — a RST, a SYN or SYN-ACK, a retransmission, a probe, new data
//! (or a FIN), and finally a bare ACK.

use super::options::ts_clock;
use super::{Connection, Flags, State};
use crate::tcp::recv_buffer::MAX_SACK_BLOCKS;
use crate::tcp::seq::SeqNumber;
use crate::tcp::timer::Timer;
use crate::time::Instant;
use crate::wire::{TcpFlags, TcpPacket, TcpRepr};

/// Which bytes of the send buffer a segment carries.
#[derive(Debug, Clone, Copy)]
struct Payload {
    /// Offset after `SND.UNA`.
    offset: usize,
    len: usize,
}

impl Connection {
    /// Writes the next segment to send into `buf` and returns its length,
    /// or `None` when there is nothing to send. Call it until it returns
    /// `None`.
    ///
    /// The segment is complete — header, options, payload and (unless
    /// checksum offload is configured) the checksum over the IPv4 or IPv6
    /// pseudo-header of [`local`](Self::local) → [`remote`](Self::remote).
    /// The caller puts the IP header in front. `buf` should hold at least
    /// 60 bytes plus the MSS; a shorter buffer gets a shorter segment, and
    /// one below 60 bytes gets nothing.
    #[must_use = "the segment must be sent"]
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        if buf.len() < crate::wire::tcp::MAX_HEADER_LEN {
            return None;
        }
        if self.flags.take(Flags::RST) {
            let seq = self.loss.get().map_or(SeqNumber::default(), |l| l.rst_seq);
            return Some(self.emit_rst(buf, seq, None));
        }
        match self.state {
            State::Closed | State::Listen => None,
            State::SynSent | State::SynReceived => {
                if self.flags.has(Flags::SYN) {
                    Some(self.emit_syn(now, buf))
                } else if self.flags.has(Flags::ACK) && self.state == State::SynReceived {
                    self.flags.off(Flags::ACK);
                    Some(self.emit_syn(now, buf))
                } else {
                    None
                }
            }
            _ => self.transmit_synchronized(now, buf),
        }
    }

    /// Whether [`poll_transmit`](Self::poll_transmit) could return a
    /// segment now: `false` only when it surely would not, so that a caller
    /// that just took a segment can skip the call that would find nothing.
    /// Skipping it changes nothing: with no data and no FIN left to send,
    /// finding nothing arms no timer either.
    pub(crate) fn may_transmit(&self) -> bool {
        self.flags.has(Flags::OWED | Flags::SACK_RECOVERY) || self.has_unsent()
    }

    /// Whether data or a FIN waits past `SND.NXT`: without either,
    /// `send_data` has nothing to do (a bare ACK skips it).
    #[inline]
    fn has_unsent(&self) -> bool {
        self.send.len() > self.flight_size()
            || (self.send.fin_offset().is_some() && !self.fin_sent())
    }

    fn transmit_synchronized(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        if !self.flags.has(Flags::OUT_OF_ORDER_OUTPUT) {
            // The common case, one test for it: new data or a FIN, else a
            // bare ACK if one is owed.
            return self.send_data(now, buf).or_else(|| self.bare_ack(now, buf));
        }
        if self.flags.take(Flags::RETRANSMIT) {
            if let Some((seq, len)) = self.next_sack_retransmission(true) {
                if let Some(n) = self.resend_hole(now, buf, seq, len) {
                    return Some(n);
                }
            } else if let Some(n) = self.retransmit_first(now, buf) {
                return Some(n);
            }
        }
        if self.flags.take(Flags::PROBE)
            && let Some(n) = self.send_probe(now, buf)
        {
            return Some(n);
        }
        if let Some((seq, len)) = self.next_sack_retransmission(false) {
            // RFC 6675 §5 (NextSeg rule 1): the first hole not yet resent
            // (after any retransmission found lost).
            if let Some(n) = self.resend_hole(now, buf, seq, len) {
                return Some(n);
            }
        }
        if self.flags.take(Flags::KEEPALIVE) {
            // RFC 9293 §3.8.4: a segment with an old sequence number makes
            // the peer answer with an ACK.
            let seq = self.snd_una - 1u32;
            return Some(self.emit(now, buf, seq, TcpFlags::ACK, None));
        }
        // A tail loss probe: new data past the congestion window, through
        // `send_data`, or else the last segment again (see `probe.rs`).
        let mut new_data_probe = false;
        if self.flags.take(Flags::TAIL_PROBE) {
            new_data_probe = self.prepare_new_data_probe(now);
            if !new_data_probe && let Some(n) = self.send_last_as_probe(now, buf) {
                return Some(n);
            }
        }
        if let Some(n) = self.send_data(now, buf) {
            if new_data_probe {
                self.new_data_probe_done(true);
            }
            return Some(n);
        }
        if new_data_probe {
            self.new_data_probe_done(false);
            if let Some(n) = self.send_last_as_probe(now, buf) {
                return Some(n);
            }
        }
        self.bare_ack(now, buf)
    }

    /// An ACK without data, if one is owed.
    #[inline]
    fn bare_ack(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        if !self.flags.has(Flags::ACK) {
            return None;
        }
        // A bare ACK carries the highest sequence number sent: after a
        // timeout `snd_nxt` may lag behind what the peer already has, and
        // a sequence number below its RCV.NXT would be rejected.
        let seq = self.snd_max;
        Some(self.emit(now, buf, seq, TcpFlags::ACK, None))
    }

    /// Retransmits the segment at `SND.UNA` (NewReno fast retransmit,
    /// partial ACK).
    fn retransmit_first(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        let seq = self.snd_una;
        self.retransmit_at(now, buf, seq, self.send_mss())
    }

    /// Resends up to `max` bytes starting at `seq` (already sent once),
    /// with the FIN if it follows them and was sent before.
    pub(super) fn retransmit_at(
        &mut self,
        now: Instant,
        buf: &mut [u8],
        seq: SeqNumber,
        max: usize,
    ) -> Option<usize> {
        let offset = seq.distance_from(self.snd_una) as usize;
        let room = buf
            .len()
            .saturating_sub(self.data_header_len(self.sack_option_len()));
        // Only what was sent before may go again: the buffer can hold new
        // data past SND.MAX, and sending it here would not advance SND.MAX,
        // so the peer's ACK for it would later look like one for data never
        // sent (and be dropped) while new data at SND.MAX looked old to it.
        let sent = (self.snd_max.distance_from(self.snd_una) as usize).min(self.send.len());
        let len = sent.saturating_sub(offset).min(max).min(room);
        let fin = self.send.fin_offset() == Some(offset + len) && self.fin_sent();
        if len == 0 && !fin {
            return None;
        }
        let mut flags = TcpFlags::ACK;
        if fin {
            flags.insert(TcpFlags::FIN);
        }
        self.void_rtt_sample();
        self.count_retransmission(len);
        let n = self.emit(now, buf, seq, flags, Some(Payload { offset, len }));
        self.arm_send_timers(now);
        Some(n)
    }

    /// A zero-window probe: one byte at `SND.UNA`, sent whatever the window.
    fn send_probe(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        if self.send.is_empty() {
            return None;
        }
        if self.snd_nxt == self.snd_una {
            self.snd_nxt = self.snd_una + 1u32;
            if self.snd_nxt.gt(self.snd_max) {
                self.snd_max = self.snd_nxt;
            }
        } else {
            self.count_retransmission(0);
        }
        let payload = Payload { offset: 0, len: 1 };
        let seq = self.snd_una;
        let n = self.emit(now, buf, seq, TcpFlags::ACK, Some(payload));
        if self.snd_wnd > 0 {
            // A probe into an open (but small) window is ordinary data: the
            // retransmission timer looks after it.
            self.arm_send_timers(now);
        }
        Some(n)
    }

    /// New data (or a retransmission after a timeout) from `SND.NXT`, and
    /// the FIN when the data before it is out.
    #[inline(always)]
    fn send_data(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        if !self.state.transmits_data() || !self.has_unsent() {
            return None;
        }
        let retransmission = self.snd_nxt.lt(self.snd_max);
        if retransmission {
            // Resending after a timeout: skip what the peer SACKed.
            while let Some(end) = self
                .loss
                .get()
                .and_then(|l| l.scoreboard.sacked_end(self.snd_nxt))
            {
                self.snd_nxt = end.min(self.snd_max);
            }
        }
        let retransmission = self.snd_nxt.lt(self.snd_max);
        if self.snd_max == self.snd_una
            && self.stats.bytes_sent > 0
            && super::ms_since(now, self.last_data_sent) > self.rto()
        {
            // RFC 5681 §4.1: after an idle period longer than the RTO the
            // window's view of the path is stale; restart from IW.
            let growth = self.loss.get_mut().map(|l| &mut l.growth);
            self.cc.on_idle_restart(now, growth);
        }
        let offset = self.flight_size();
        let unsent = self.send.len().saturating_sub(offset);
        let usable = (self.snd_wnd as usize)
            .saturating_sub(offset)
            .min(self.cwnd_room());
        let mss = self.send_mss();
        let sack_room = self.sack_option_len();
        let mut len = unsent.min(usable).min(mss.saturating_sub(sack_room).max(1));
        if retransmission {
            let next = self
                .loss
                .get()
                .and_then(|l| l.scoreboard.next_sacked(self.snd_nxt));
            if let Some(next) = next {
                len = len.min(next.distance_from(self.snd_nxt) as usize);
            }
        }
        // The header this segment will carry, not the largest possible one:
        // a buffer of exactly the MTU must still fit a full-sized segment.
        let room = buf.len().saturating_sub(self.data_header_len(sack_room));
        len = len.min(room);
        let fin_queued = self.send.fin_offset() == Some(offset + len);
        let fin = fin_queued
            && matches!(
                self.state,
                State::FinWait1 | State::Closing | State::LastAck
            );
        if len == 0 && !fin {
            if unsent > 0 && self.snd_wnd == 0 {
                self.arm_send_timers(now);
            }
            return None;
        }
        if len > 0 && !fin && !retransmission {
            // Nagle (RFC 9293 §3.7.4) and sender-side silly window
            // avoidance (§3.8.6.2.1): send a full segment, or everything
            // that is queued when nothing is in flight (or Nagle is off),
            // or at least half the largest window the peer ever offered.
            // A segment cut short by the caller's buffer counts as full:
            // a larger one cannot be sent, so waiting would stall.
            let full = len >= mss.saturating_sub(sack_room) || len == room;
            let all = len == unsent && (self.config.nodelay || offset == 0);
            let half_window = offset == 0 && len >= (self.max_snd_wnd as usize) / 2;
            if !(full || all || half_window) {
                if self.snd_max == self.snd_una && !self.timers.is_armed(Timer::Persist) {
                    // Held back by a small window with nothing in flight:
                    // no ACK will come to clock it out, and the peer's
                    // window update may be lost. RFC 9293 §3.8.6.2.1's
                    // override timeout: the persist timer probes it.
                    self.timers
                        .set(Timer::Persist, now + self.persist_interval());
                }
                return None;
            }
        }
        let mut flags = TcpFlags::ACK;
        if len > 0 && len == unsent {
            flags.insert(TcpFlags::PSH);
        }
        if fin {
            flags.insert(TcpFlags::FIN);
        }
        let seq = self.snd_nxt;
        let n = self.emit(now, buf, seq, flags, Some(Payload { offset, len }));
        self.snd_nxt += len + fin as usize;
        if self.snd_nxt.gt(self.snd_max) {
            self.snd_max = self.snd_nxt;
        }
        if retransmission {
            self.void_rtt_sample();
            self.count_retransmission(len);
        } else {
            self.start_rtt_sample(now);
        }
        self.last_data_sent = now.millis_u32();
        self.arm_send_timers(now);
        Some(n)
    }

    /// Our SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED).
    fn emit_syn(&mut self, now: Instant, buf: &mut [u8]) -> usize {
        self.flags.off(Flags::SYN);
        let synack = self.state == State::SynReceived;
        let mut flags = TcpFlags::SYN;
        if synack {
            flags.insert(TcpFlags::ACK);
        }
        // RFC 7323 §2.2: the window in a SYN is never scaled.
        let window = self.recv.window().min(0xffff) as u16;
        let repr = TcpRepr {
            src_port: self.addrs.local_port(),
            dst_port: self.addrs.remote_port(),
            seq: self.iss.get(),
            ack: if synack { self.rcv_nxt.get() } else { 0 },
            flags,
            window,
            mss: Some(self.opts.local_mss()),
            window_scale: self.opts.scaling().then_some(self.opts.rcv_shift()),
            sack_permitted: self.opts.sack(),
            timestamp: self.opts.timestamps().then(|| {
                (
                    ts_clock(now, self.ts_offset()),
                    if synack { self.ts_recent } else { 0 },
                )
            }),
            ..TcpRepr::default()
        };
        if synack {
            self.rcv_adv = self.rcv_nxt + u32::from(window);
            self.last_ack_sent = self.rcv_nxt;
        }
        if self.snd_nxt == self.iss {
            self.snd_nxt = self.iss + 1u32;
            self.snd_max = self.snd_nxt;
            self.start_rtt_sample(now);
        } else {
            self.void_rtt_sample();
            self.count_retransmission(0);
        }
        if !self.timers.is_armed(Timer::Retransmit) {
            self.timers.set(Timer::Retransmit, now + self.rto());
            self.flags.off(Flags::PTO);
        }
        self.finish(buf, &repr, None)
    }

    fn emit_rst(&mut self, buf: &mut [u8], seq: SeqNumber, ack: Option<SeqNumber>) -> usize {
        let mut flags = TcpFlags::RST;
        if ack.is_some() {
            flags.insert(TcpFlags::ACK);
        }
        let repr = TcpRepr {
            src_port: self.addrs.local_port(),
            dst_port: self.addrs.remote_port(),
            seq: seq.get(),
            ack: ack.map_or(0, SeqNumber::get),
            flags,
            ..TcpRepr::default()
        };
        self.finish(buf, &repr, None)
    }

    /// The length of the SACK option the next ACK would carry.
    /// Bytes of TCP header on a data segment: the fixed part, timestamps
    /// when negotiated (padded to 12) and `sack_room` bytes of SACK blocks.
    fn data_header_len(&self, sack_room: usize) -> usize {
        let ts = if self.opts.timestamps() { 12 } else { 0 };
        20 + ts + sack_room
    }

    fn sack_option_len(&self) -> usize {
        if !self.opts.sack() {
            return 0;
        }
        let dsack = usize::from(self.pending_dsack().is_some());
        if dsack == 0 && !self.recv.has_holes() {
            return 0;
        }
        let blocks = (dsack + self.recv.assembler().range_count()).min(self.max_sack_blocks());
        4 + 8 * blocks
    }

    /// How many SACK blocks fit beside the other options of a segment.
    fn max_sack_blocks(&self) -> usize {
        if self.opts.timestamps() {
            3
        } else {
            MAX_SACK_BLOCKS
        }
    }

    /// The D-SACK block waiting for the next segment, if any.
    #[inline]
    fn pending_dsack(&self) -> Option<(SeqNumber, SeqNumber)> {
        self.loss.get().and_then(|l| l.dsack)
    }

    /// A segment in a synchronized state: ACK set, window, timestamps, SACK.
    fn emit(
        &mut self,
        now: Instant,
        buf: &mut [u8],
        seq: SeqNumber,
        flags: TcpFlags,
        payload: Option<Payload>,
    ) -> usize {
        let (window, edge) = self.window_to_send();
        let mut repr = TcpRepr {
            src_port: self.addrs.local_port(),
            dst_port: self.addrs.remote_port(),
            seq: seq.get(),
            ack: self.rcv_nxt.get(),
            flags,
            window,
            timestamp: self
                .opts
                .timestamps()
                .then(|| (ts_clock(now, self.ts_offset()), self.ts_recent)),
            ..TcpRepr::default()
        };
        if self.opts.sack() && (self.recv.has_holes() || self.pending_dsack().is_some()) {
            let mut slots = repr.sack_ranges.iter_mut();
            let mut max = self.max_sack_blocks();
            // A duplicate's range goes first (D-SACK, RFC 2883), once.
            if let Some((l, r)) = self.loss.get_mut().and_then(|l| l.dsack.take())
                && let Some(slot) = slots.next()
            {
                *slot = Some((l.get(), r.get()));
                max -= 1;
            }
            if self.recv.has_holes() {
                let blocks = self.recv.sack_blocks(self.rcv_nxt, max);
                for (slot, &(l, r)) in slots.zip(blocks.as_slice()) {
                    *slot = Some((l.get(), r.get()));
                }
            }
        }
        if edge.gt(self.rcv_adv) {
            self.rcv_adv = edge;
        }
        self.last_ack_sent = self.rcv_nxt;
        self.flags.off(Flags::ACK);
        self.timers.stop(Timer::DelayedAck);
        self.finish(buf, &repr, payload)
    }

    /// Copies the payload in after the header, emits the header and counts.
    fn finish(&mut self, buf: &mut [u8], repr: &TcpRepr<'_>, payload: Option<Payload>) -> usize {
        let header_len = repr.header_len();
        let mut len = 0;
        let mut payload_sum = None;
        if let Some(p) = payload {
            let room = buf.len().saturating_sub(header_len);
            let out = &mut buf[header_len..header_len + p.len.min(room)];
            if self.checksums().fill {
                // Summed from the send buffer, not read back from `buf`.
                let (n, sum) = self.send.copy_to_summed(p.offset, out);
                len = n;
                payload_sum = Some(sum);
            } else {
                len = self.send.copy_to(p.offset, out);
            }
        }
        repr.emit_header_summed(
            &mut TcpPacket::new_unchecked(&mut *buf),
            header_len,
            len,
            payload_sum,
            self.addrs.local_ip(),
            self.addrs.remote_ip(),
            self.checksums(),
        );
        self.stats.segments_sent += 1;
        self.stats.bytes_sent += len as u64;
        self.prr_sent(len);
        header_len + len
    }
}
