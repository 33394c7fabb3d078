//! Segment arrival (RFC 9293 §3.10.7), in the order the RFC checks things:
//! sequence number, RST, SYN, ACK, data, FIN.

use super::{Connection, Event, Flags, State};
use crate::tcp::seq::SeqNumber;
use crate::tcp::timer::Timer;
use crate::time::{Duration, Instant};
use crate::wire::{TcpFlags, TcpRepr};

/// What to do with the rest of a segment after a step.
enum Flow {
    Continue,
    Drop,
}

impl Connection {
    /// Processes a segment the endpoint routed to this connection.
    ///
    /// Never fails: whatever the segment says, the connection reacts as RFC
    /// 9293 prescribes (dropping it, answering with an ACK or a RST, or
    /// moving on), and reports what the application must know as events.
    pub fn handle_segment(&mut self, now: Instant, seg: &TcpRepr<'_>) {
        self.stats.segments_received += 1;
        match self.state {
            // A closed connection has nothing to say; the endpoint answers
            // segments for unknown connections (RFC 9293 §3.10.7.1).
            State::Closed | State::Listen => {}
            State::SynSent => self.on_segment_syn_sent(now, seg),
            _ => self.on_segment(now, seg),
        }
    }

    /// RFC 9293 §3.10.7.3: our SYN is out; expect a SYN-ACK (or a SYN, for
    /// a simultaneous open).
    fn on_segment_syn_sent(&mut self, now: Instant, seg: &TcpRepr<'_>) {
        let flags = seg.flags;
        let ack = SeqNumber::new(seg.ack);
        let has_ack = flags.contains(TcpFlags::ACK);
        // First, the ACK must be for our SYN.
        if has_ack && (ack.le(self.iss) || ack.gt(self.snd_max)) {
            if !flags.contains(TcpFlags::RST) {
                self.queue_rst(ack);
            }
            return;
        }
        // Second, a RST counts only with an acceptable ACK (RFC 5961 §3.2
        // keeps the same rule for SYN-SENT).
        if flags.contains(TcpFlags::RST) {
            if has_ack {
                self.events.push(Event::Reset);
                self.enter_closed();
            }
            return;
        }
        if !flags.contains(TcpFlags::SYN) {
            return;
        }
        let irs = SeqNumber::new(seg.seq);
        self.rcv_nxt = irs + 1u32;
        self.last_ack_sent = self.rcv_nxt;
        let peer_mss = self.opts.settle(seg);
        self.on_options_settled(seg, peer_mss);
        if has_ack {
            // Our SYN is acknowledged: the connection is open.
            self.snd_una = ack;
            self.snd_wnd = u32::from(seg.window);
            self.max_snd_wnd = self.snd_wnd;
            self.snd_wl1 = irs;
            self.snd_wl2 = ack;
            self.rcv_adv = self.rcv_nxt + self.recv.window().min(0xffff);
            self.take_handshake_rtt(now, seg, ack);
            self.timers.stop(Timer::Retransmit);
            self.set_state(State::Established);
            self.events.push(Event::Connected);
            self.on_established(now);
            if self.flags.has(Flags::CLOSE_REQUESTED) {
                self.set_state(State::FinWait1);
            }
            self.flags.on(Flags::ACK);
            // Data riding on the SYN-ACK is processed like any other.
            self.process_text(now, seg, irs + 1u32);
            self.process_fin(now, seg, irs + 1u32);
        } else {
            // Simultaneous open (RFC 9293 §3.5, figure 8): answer with a
            // SYN-ACK and wait for the ACK of our SYN.
            self.snd_wnd = u32::from(seg.window);
            self.max_snd_wnd = self.snd_wnd;
            self.snd_wl1 = irs;
            self.rcv_adv = self.rcv_nxt + self.recv.window().min(0xffff);
            self.set_state(State::SynReceived);
            self.flags.on(Flags::SYN);
        }
    }

    /// Every state from SYN-RECEIVED on (RFC 9293 §3.10.7.4).
    fn on_segment(&mut self, now: Instant, seg: &TcpRepr<'_>) {
        let mut seq = SeqNumber::new(seg.seq);
        let mut flags = seg.flags;
        // A SYN-ACK retransmitted by a peer in a simultaneous open, or its
        // repeated SYN: the SYN part is old news.
        if self.state == State::SynReceived && flags.contains(TcpFlags::SYN) && seq == self.irs() {
            if !flags.contains(TcpFlags::ACK) {
                // A retransmitted SYN: echo its timestamp, not the first
                // one's, so the peer's RTT sample is not inflated.
                if let (true, Some((tsval, _))) = (self.opts.timestamps(), seg.timestamp)
                    && (tsval.wrapping_sub(self.ts_recent) as i32) > 0
                {
                    self.ts_recent = tsval;
                }
                self.flags.on(Flags::SYN);
                return;
            }
            flags.remove(TcpFlags::SYN);
            seq += 1u32;
        }
        let syn = flags.contains(TcpFlags::SYN);
        let rst = flags.contains(TcpFlags::RST);
        let data_seq = seq + syn as u32;
        let seg_len = seg.payload.len() + syn as usize + flags.contains(TcpFlags::FIN) as usize;

        if self.config.keepalive.is_some() && self.state.is_synchronized() {
            self.keepalive_count = 0;
            self.arm_keepalive(now);
        }
        // The FIN-WAIT-2 limit is on silence: a peer still sending keeps
        // the connection.
        if self.state == State::FinWait2
            && let Some(limit) = self.config.fin_wait2_timeout
        {
            self.timers.set(Timer::Linger, now + limit);
        }

        // PAWS (RFC 7323 §5.3): a timestamp older than the last one seen
        // means an old duplicate; acknowledge and drop it.
        if self.opts.timestamps()
            && !rst
            && let Some((tsval, _)) = seg.timestamp
            && (tsval.wrapping_sub(self.ts_recent) as i32) < 0
        {
            self.flags.on(Flags::ACK);
            self.note_old_duplicate(data_seq, seg.payload.len());
            return;
        }

        // First: is the segment in the window?
        if !self.acceptable(seq, seg_len) {
            if self.state == State::TimeWait && flags.contains(TcpFlags::FIN) {
                // The peer did not get our last ACK: send it again and
                // restart the 2·MSL wait.
                self.timers
                    .set(Timer::Linger, now + self.config.time_wait());
            }
            if !rst {
                if self.state == State::SynReceived {
                    self.flags.on(Flags::SYN);
                } else {
                    self.flags.on(Flags::ACK);
                    self.note_old_duplicate(data_seq, seg.payload.len());
                }
            }
            // RFC 9293 asks for special allowance for valid ACKs on
            // segments that are otherwise unacceptable (a zero window, or a
            // peer whose sequence number fell behind after retransmitting):
            // the data is dropped, the ACK field still counts when it passes
            // the RFC 5961 §5 range check inside `process_ack`.
            if self.state.is_synchronized() && !rst && !syn && flags.contains(TcpFlags::ACK) {
                let _ = self.process_ack(now, seg, seq);
            }
            return;
        }

        // RFC 7323 §4.3: remember the timestamp to echo.
        if self.opts.timestamps()
            && let Some((tsval, _)) = seg.timestamp
            && seq.le(self.last_ack_sent)
            && (tsval.wrapping_sub(self.ts_recent) as i32) >= 0
        {
            self.ts_recent = tsval;
        }

        // Second: RST.
        if rst {
            self.on_rst(now, seq);
            return;
        }

        // Fourth: a SYN in a synchronized state is either an attack or a
        // confused peer. RFC 5961 §4: answer with a challenge ACK.
        if syn {
            self.challenge_ack(now);
            return;
        }

        // Fifth: the ACK field.
        if !flags.contains(TcpFlags::ACK) {
            return;
        }
        if self.state == State::SynReceived {
            let ack = SeqNumber::new(seg.ack);
            if !(self.snd_una.lt(ack) && ack.le(self.snd_max)) {
                self.queue_rst(ack);
                return;
            }
            self.snd_wnd = u32::from(seg.window) << self.opts.snd_shift();
            self.max_snd_wnd = self.max_snd_wnd.max(self.snd_wnd);
            self.snd_wl1 = seq;
            self.snd_wl2 = ack;
            self.take_handshake_rtt(now, seg, ack);
            // The SYN's sequence number is now acknowledged.
            self.snd_una = self.iss + 1u32;
            self.timers.stop(Timer::Retransmit);
            self.set_state(State::Established);
            self.events.push(Event::Connected);
            self.on_established(now);
            if self.flags.has(Flags::CLOSE_REQUESTED) {
                self.set_state(State::FinWait1);
            }
        }
        if let Flow::Drop = self.process_ack(now, seg, seq) {
            return;
        }
        if self.state == State::Closed {
            return;
        }

        // Seventh and eighth: data and FIN.
        self.process_text(now, seg, data_seq);
        self.process_fin(now, seg, data_seq);
    }

    /// RFC 9293 §3.10.7.4, first check, with its four cases.
    fn acceptable(&self, seq: SeqNumber, len: usize) -> bool {
        let window = self.rcv_adv.diff(self.rcv_nxt).max(0) as u32;
        match (len, window) {
            (0, 0) => seq == self.rcv_nxt,
            (0, _) => seq.in_window(self.rcv_nxt, window),
            (_, 0) => false,
            (len, _) => {
                let last = seq + (len as u32 - 1);
                seq.in_window(self.rcv_nxt, window) || last.in_window(self.rcv_nxt, window)
            }
        }
    }

    /// A RST inside the window. RFC 5961 §3.2: only an exact match with
    /// `RCV.NXT` resets; anything else in the window gets a challenge ACK.
    fn on_rst(&mut self, now: Instant, seq: SeqNumber) {
        if seq != self.rcv_nxt {
            self.challenge_ack(now);
            return;
        }
        match self.state {
            State::Closing | State::LastAck | State::TimeWait => self.enter_closed(),
            _ => {
                self.events.push(Event::Reset);
                self.enter_closed();
            }
        }
    }

    /// Queues a challenge ACK (RFC 5961 §3.2, §4.2), at most
    /// `challenge_ack_limit` per second (RFC 5961 §7) so that an attacker
    /// cannot use us to flood, nor count our answers.
    fn challenge_ack(&mut self, now: Instant) {
        let limit = self.config.challenge_ack_limit;
        let loss = self.loss();
        if super::ms_since(now, loss.challenge_epoch) >= Duration::from_secs(1) {
            loss.challenge_epoch = now.millis_u32();
            loss.challenge_count = 0;
        }
        if !super::reached(loss.challenge_count, limit) {
            loss.challenge_count += 1;
            self.flags.on(Flags::ACK);
        }
    }

    /// The RTT of the handshake, when the SYN (or SYN-ACK) went out once.
    fn take_handshake_rtt(&mut self, now: Instant, seg: &TcpRepr<'_>, ack: SeqNumber) {
        let sample = self
            .rtt_sample_on_ack(now, ack)
            .or_else(|| self.timestamp_rtt(now, seg));
        match sample {
            Some(rtt) => self.rtt.on_sample(rtt, self.rto_bounds()),
            None if self.rto_count() > 0 => {
                self.rtt.on_handshake_retransmitted(self.rto_bounds());
            }
            None => {}
        }
        self.reset_rto_count();
    }

    /// An RTT sample from the echoed timestamp (RFC 7323 §4.1).
    fn timestamp_rtt(&self, now: Instant, seg: &TcpRepr<'_>) -> Option<Duration> {
        if !self.opts.timestamps() {
            return None;
        }
        let (_, tsecr) = seg.timestamp?;
        let elapsed = super::options::ts_clock(now, self.ts_offset()).wrapping_sub(tsecr);
        // Zero echoes and echoes from the future are no measurement.
        if tsecr == 0 || elapsed > 0x7fff_ffff {
            return None;
        }
        // An echo of a segment sent before the last timeout may be the
        // answer to any copy: the same ambiguity Karn's rule avoids. After
        // losses the peer echoes the segment that last advanced its window,
        // which can be many RTOs old, and would inflate the estimate.
        if self.flags.has(Flags::TS_RTO) {
            // The flag is only set together with the reading in the loss state.
            let ts_rto = self.loss.get().map_or(0, |l| l.ts_rto);
            if (tsecr.wrapping_sub(ts_rto) as i32) < 0 {
                return None;
            }
        }
        Some(Duration::from_millis(u64::from(elapsed)))
    }

    /// Things that start when the connection opens.
    pub(super) fn on_established(&mut self, now: Instant) {
        self.arm_keepalive(now);
        self.arm_send_timers(now);
    }

    pub(super) fn arm_keepalive(&mut self, now: Instant) {
        if let Some(k) = self.config.keepalive
            && matches!(self.state, State::Established | State::CloseWait)
        {
            self.timers.set(Timer::Keepalive, now + k.idle);
        }
    }

    /// The ACK field in a synchronized state (RFC 9293 §3.10.7.4, fifth
    /// check); loss recovery itself lives in `recovery`.
    fn process_ack(&mut self, now: Instant, seg: &TcpRepr<'_>, seq: SeqNumber) -> Flow {
        let ack = SeqNumber::new(seg.ack);
        // RFC 5961 §5: an ACK of something never sent, or of data older
        // than the largest window allows, is answered and ignored.
        let oldest = self.snd_una - self.max_snd_wnd;
        if ack.gt(self.snd_max) || ack.lt(oldest) {
            self.flags.on(Flags::ACK);
            return Flow::Drop;
        }
        let old_window = self.snd_wnd;
        // What was delivered before this ACK, for the rate reduction of a
        // SACK recovery it continues or starts (nothing to count without a
        // loss state: no recovery has ever begun).
        let before = self
            .loss
            .get()
            .map(|l| (self.snd_una, l.scoreboard.sacked_bytes()));
        let in_range = self.snd_una.le(ack);
        if let Some(loss) = self.loss.get_mut() {
            // The peer is there: zero-window probes count again from zero.
            loss.unanswered_probes = 0;
        }
        // Window update, only from a segment at least as new as the last
        // one that updated it. An ACK that advances SND.UNA is newer than
        // any before it even when its sequence number is old (the peer
        // retransmitting): without it, the window kept would slide forward
        // with SND.UNA past the edge the peer offered (as Linux's
        // `tcp_may_update_window` also does).
        let newer = self.snd_wl1.lt(seq) || (self.snd_wl1 == seq && self.snd_wl2.le(ack));
        if in_range && (newer || ack.gt(self.snd_una)) {
            self.snd_wnd = u32::from(seg.window) << self.opts.snd_shift();
            self.max_snd_wnd = self.max_snd_wnd.max(self.snd_wnd);
            if self.snd_wl1.lt(seq) {
                self.snd_wl1 = seq;
            }
            self.snd_wl2 = ack;
        }
        if ack.gt(self.snd_una) {
            self.on_new_ack(now, seg, ack);
            let newly_sacked = self.take_sack(seg);
            self.check_dsack_undo(seg, ack);
            if self.flags.has(Flags::SACK_RECOVERY) {
                self.detect_lost_retransmissions();
            } else if newly_sacked > 0 {
                self.on_sack_past_new_ack(now);
            }
        } else if ack == self.snd_una {
            self.check_tail_probe(now, seg, ack, false);
            self.check_dsack_undo(seg, ack);
            let newly_sacked = self.take_sack(seg);
            if newly_sacked > 0 && self.flags.has(Flags::SACK_RECOVERY) {
                self.detect_lost_retransmissions();
            }
            let outstanding = self.snd_max != self.snd_una;
            // With SACK, a duplicate is an ACK that reports data not SACKed
            // before (RFC 6675 §2): a copy of an ACK made by the path, or one
            // that only carries a D-SACK for a segment received twice, says
            // nothing about loss. Without SACK, the classic rule (RFC 5681
            // §2): no data, no SYN or FIN, the same window.
            let duplicate = if self.opts.sack() {
                newly_sacked > 0
            } else {
                seg.payload.is_empty()
                    && !seg.flags.intersects(TcpFlags::SYN | TcpFlags::FIN)
                    && self.snd_wnd == old_window
                    // Answers to zero-window probes are not loss signals.
                    && self.snd_wnd > 0
            };
            if outstanding && duplicate {
                self.on_duplicate_ack(now);
            }
        }
        if self.flags.has(Flags::SACK_RECOVERY) {
            let (una, sacked) = before.unwrap_or((self.snd_una, 0));
            self.prr_on_ack(una, sacked);
        }
        if self.snd_wnd > 0 && self.timers.is_armed(Timer::Persist) {
            // The window opened: leave persist mode, and send again from
            // SND.UNA (a probe byte the peer did not take is resent with
            // what follows it).
            self.timers.stop(Timer::Persist);
            self.persist_count = 0;
            self.snd_nxt = self.snd_una;
            self.timers.stop(Timer::Retransmit);
            self.arm_send_timers(now);
        } else if self.snd_wnd == 0 && !self.send.is_empty() {
            self.arm_send_timers(now);
        }
        self.after_ack_state_changes(now);
        Flow::Continue
    }

    fn on_new_ack(&mut self, now: Instant, seg: &TcpRepr<'_>, ack: SeqNumber) {
        let acked = ack.distance_from(self.snd_una) as usize;
        let data = self.send.ack(acked);
        self.stats.bytes_acked += data as u64;
        self.snd_una = ack;
        if self.snd_nxt.lt(ack) {
            self.snd_nxt = ack;
        }
        let sample = match self.timestamp_rtt(now, seg) {
            Some(rtt) => Some(rtt),
            None => self.rtt_sample_on_ack(now, ack),
        };
        if let Some(rtt) = sample {
            self.rtt.on_sample(rtt, self.rto_bounds());
        }
        self.rtt.reset_backoff();
        self.reset_rto_count();
        self.check_undo(seg, ack);
        let rtt = self.rtt.srtt().unwrap_or(self.rto());
        self.recovery_on_new_ack(now, ack, data, rtt);
        self.check_tail_probe(now, seg, ack, true);
        // RFC 6298 §5.2 and §5.3: stop the timer when all is acknowledged,
        // otherwise restart it.
        self.timers.stop(Timer::Retransmit);
        self.timers.stop(Timer::UserTimeout);
        self.arm_send_timers(now);
        if self.flags.has(Flags::WRITE_BLOCKED) && self.send.free() > 0 && self.state.can_send() {
            self.flags.off(Flags::WRITE_BLOCKED);
            self.events.push(Event::Writable);
        }
    }

    /// Our FIN acknowledged: FIN-WAIT-1 → FIN-WAIT-2, CLOSING → TIME-WAIT,
    /// LAST-ACK → CLOSED.
    fn after_ack_state_changes(&mut self, now: Instant) {
        if !self.send.fin_acked() {
            return;
        }
        match self.state {
            State::FinWait1 => {
                self.set_state(State::FinWait2);
                self.timers.stop(Timer::Retransmit);
                self.timers.stop(Timer::UserTimeout);
                if let Some(limit) = self.config.fin_wait2_timeout {
                    self.timers.set(Timer::Linger, now + limit);
                }
            }
            State::Closing => self.enter_time_wait(now),
            State::LastAck => self.enter_closed(),
            _ => {}
        }
    }

    /// RFC 9293 §3.10.7.4, seventh check: the segment text.
    fn process_text(&mut self, now: Instant, seg: &TcpRepr<'_>, data_seq: SeqNumber) {
        if seg.payload.is_empty() || !self.state.can_receive() || self.flags.has(Flags::PEER_FIN) {
            return;
        }
        let ahead = data_seq.diff(self.rcv_nxt);
        let (offset, data) = if ahead < 0 {
            let skip = ahead.unsigned_abs() as usize;
            // The part below RCV.NXT is a duplicate (RFC 2883 §4.1.1).
            self.note_duplicate(data_seq, skip.min(seg.payload.len()));
            if skip >= seg.payload.len() {
                // All old: a retransmission we already have.
                self.flags.on(Flags::ACK);
                return;
            }
            (0, &seg.payload[skip..])
        } else {
            (ahead as usize, seg.payload)
        };
        let had_holes = self.recv.has_holes();
        if had_holes && offset > 0 && self.opts.sack() {
            // Data held out of order arriving again (RFC 2883 §4.2).
            if let Some((a, b)) = self.recv.held_part(offset, data.len()) {
                self.note_duplicate(self.rcv_nxt + a, b - a);
            }
        }
        let was_empty = self.recv.is_empty();
        let advanced = self.recv.insert(offset, data);
        self.rcv_nxt += advanced;
        if advanced > 0 && was_empty {
            self.events.push(Event::Readable);
        }
        // RFC 9293 §3.8.6.3 and RFC 5681 §4.2: acknowledge at once when
        // data arrives out of order or fills a hole; otherwise at least
        // every second full segment, or when the delayed-ACK timer fires.
        if offset > 0 || had_holes || advanced < data.len() {
            self.flags.on(Flags::ACK);
        } else if self.quick_acks > 0 {
            self.quick_acks -= 1;
            self.flags.on(Flags::ACK);
        } else {
            let unacked = self.rcv_nxt.distance_from(self.last_ack_sent) as usize;
            match self.config.delayed_ack {
                Some(delay) if unacked < 2 * usize::from(self.opts.local_mss()) => {
                    self.timers.set_if_stopped(Timer::DelayedAck, now + delay);
                }
                _ => self.flags.on(Flags::ACK),
            }
        }
    }

    /// A segment whose `len` data bytes from `start` were refused as old
    /// (outside the window, or failing PAWS): a D-SACK for it if all of it
    /// lies below `RCV.NXT`, which only a duplicate does.
    fn note_old_duplicate(&mut self, start: SeqNumber, len: usize) {
        if self.state.is_synchronized() && (start + len).le(self.rcv_nxt) {
            self.note_duplicate(start, len);
        }
    }

    /// Reports the `len` bytes from `start`, received twice, in the first
    /// SACK block of the next segment (D-SACK, RFC 2883), when SACK is in
    /// use. Only the latest duplicate is kept: the block goes out with the
    /// ACK the duplicate triggers.
    fn note_duplicate(&mut self, start: SeqNumber, len: usize) {
        if len > 0 && self.opts.sack() {
            self.loss().dsack = Some((start, start + len));
        }
    }

    /// RFC 9293 §3.10.7.4, eighth check: the FIN, once every byte before it
    /// has arrived.
    fn process_fin(&mut self, now: Instant, seg: &TcpRepr<'_>, data_seq: SeqNumber) {
        if self.flags.has(Flags::PEER_FIN) || !self.state.can_receive() {
            return;
        }
        if seg.flags.contains(TcpFlags::FIN) {
            let fin_seq = data_seq + seg.payload.len();
            let offset = fin_seq.diff(self.rcv_nxt);
            if offset >= 0 {
                self.recv.insert_fin(offset as usize);
            }
        }
        if !self.recv.fin_reached() {
            return;
        }
        self.flags.on(Flags::PEER_FIN);
        self.rcv_nxt += 1u32;
        self.events.push(Event::PeerFinished);
        match self.state {
            State::SynReceived | State::Established => {
                self.set_state(State::CloseWait);
                self.ack_fin_in_close_wait(now);
            }
            State::FinWait1 => {
                self.ack_now();
                if self.send.fin_acked() {
                    self.enter_time_wait(now);
                } else {
                    self.set_state(State::Closing);
                }
            }
            State::FinWait2 => {
                self.ack_now();
                self.enter_time_wait(now);
            }
            _ => self.ack_now(),
        }
    }

    /// The ACK for a FIN that moved the connection to CLOSE-WAIT. An
    /// application that sees the end of the stream usually closes at once,
    /// so with delayed ACKs on the ACK waits for the application's own FIN
    /// and rides on it, as Linux does: a passive close then takes three
    /// segments instead of four. The delayed-ACK timer bounds the wait when
    /// the application stays quiet. An ACK already owed at once (the FIN
    /// filled a hole, or came after data out of order) still goes at once.
    fn ack_fin_in_close_wait(&mut self, now: Instant) {
        match self.config.delayed_ack {
            Some(delay) if !self.flags.has(Flags::ACK) => {
                self.timers.set_if_stopped(Timer::DelayedAck, now + delay);
            }
            _ => self.ack_now(),
        }
    }

    /// Acknowledge with the next segment, whatever is pending.
    fn ack_now(&mut self) {
        self.flags.on(Flags::ACK);
        self.timers.stop(Timer::DelayedAck);
    }
}
