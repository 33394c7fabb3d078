//! What a connection reports without changing: state, addresses,
//! estimates and statistics.

use core::net::SocketAddr;

use super::{Connection, Flags, Negotiation, State, Stats};
use crate::tcp::config::Config;
use crate::tcp::seq::SeqNumber;
use crate::tcp::timer::Timer;
use crate::time::{Duration, Instant};

impl Connection {
    /// The RFC 9293 state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Counters and estimates.
    pub fn stats(&self) -> Stats {
        let c = self.stats;
        // Without a loss state nothing was ever lost: the counts are zero.
        let l = self.loss.get().map(|l| l.counters).unwrap_or_default();
        let reordering = self
            .loss
            .get()
            .map_or(crate::tcp::scoreboard::DUP_THRESH as u32, |l| {
                l.reordering.into()
            });
        Stats {
            segments_sent: c.segments_sent,
            segments_received: c.segments_received,
            bytes_sent: c.bytes_sent,
            bytes_retransmitted: l.bytes_retransmitted,
            bytes_acked: c.bytes_acked,
            bytes_received: self.recv.received(),
            retransmits: l.retransmits.into(),
            timeouts: l.timeouts.into(),
            fast_retransmits: l.fast_retransmits.into(),
            dup_acks: l.dup_acks.into(),
            undos: l.undos.into(),
            srtt: self.rtt.srtt(),
            rto: self.rto(),
            cwnd: self.cc.window(),
            ssthresh: self.cc.ssthresh(),
            peer_window: self.snd_wnd,
            send_mss: self.send_mss(),
            reordering,
            tail_loss_probes: l.tail_loss_probes.into(),
            tail_loss_recoveries: l.tail_loss_recoveries.into(),
            lost_retransmissions: l.lost_retransmissions.into(),
        }
    }

    /// Our address and port.
    ///
    /// An IPv6 address comes without flow label or scope id, as segments
    /// carry it (see [`addr::plain`](crate::tcp::addr::plain)).
    pub fn local(&self) -> SocketAddr {
        self.addrs.local()
    }

    /// The peer's address and port.
    ///
    /// An IPv6 address comes without flow label or scope id.
    pub fn remote(&self) -> SocketAddr {
        self.addrs.remote()
    }

    /// Both addresses in the endpoint's compact form, which its table of
    /// address pairs compares against.
    #[inline]
    pub(crate) fn addr_pair(&self) -> &crate::tcp::addr::AddrPair {
        &self.addrs
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether the connection came from a listener.
    pub fn is_passive(&self) -> bool {
        self.flags.has(Flags::PASSIVE)
    }

    /// Whether the connection reached CLOSED and can be dropped.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed && !self.flags.has(Flags::RST)
    }

    /// Bytes ready for [`recv`](Self::recv).
    pub fn readable(&self) -> usize {
        self.recv.len()
    }

    /// Whether the peer has finished sending and every byte has been read.
    pub fn is_read_finished(&self) -> bool {
        self.flags.has(Flags::PEER_FIN) && self.recv.is_empty()
    }

    /// How many bytes [`send`](Self::send) would take now.
    pub fn writable(&self) -> usize {
        if self.state.can_send() {
            self.send.free()
        } else {
            0
        }
    }

    /// Bytes written and not yet acknowledged.
    pub fn unacknowledged(&self) -> usize {
        self.send.len()
    }

    /// The smoothed round-trip time, once measured.
    pub fn srtt(&self) -> Option<Duration> {
        self.rtt.srtt()
    }

    /// The current retransmission timeout.
    pub fn rto(&self) -> Duration {
        self.rtt.rto(self.rto_bounds())
    }

    /// The congestion window in bytes.
    pub fn cwnd(&self) -> usize {
        self.cc.window()
    }

    /// The slow-start threshold in bytes.
    pub fn ssthresh(&self) -> usize {
        self.cc.ssthresh()
    }

    /// The offset of the timestamp clock of a connection whose initial
    /// sequence number is `iss` (a SYN cookie's SYN-ACK uses it before the
    /// connection exists).
    pub(crate) fn ts_offset_for(iss: SeqNumber) -> u32 {
        iss.get().rotate_left(16)
    }

    /// The offset of this connection's timestamp clock, derived from its
    /// initial sequence number rather than stored.
    pub(crate) fn ts_offset(&self) -> u32 {
        Connection::ts_offset_for(self.iss)
    }

    /// What the handshake settled: segment size, window scaling, SACK and
    /// timestamps.
    pub fn negotiated(&self) -> Negotiation {
        Negotiation {
            send_mss: self.send_mss(),
            send_window_shift: self.opts.scaling().then_some(self.opts.snd_shift()),
            recv_window_shift: self.opts.scaling().then_some(self.opts.rcv_shift()),
            sack: self.opts.sack(),
            timestamps: self.opts.timestamps(),
        }
    }

    /// The payload size of a full segment we send.
    pub fn send_mss(&self) -> usize {
        // The window is counted in these segments, so it keeps the size
        // (see `on_options_settled`).
        self.cc.mss()
    }

    /// The peer's current window in bytes.
    pub fn peer_window(&self) -> u32 {
        self.snd_wnd
    }

    /// What the endpoint keeps of a connection in TIME-WAIT.
    pub(crate) fn time_wait_record(&self) -> crate::tcp::endpoint::TimeWaitRecord {
        crate::tcp::endpoint::TimeWaitRecord {
            addrs: self.addrs,
            snd_nxt: self.snd_max,
            rcv_nxt: self.rcv_nxt,
            timestamps: self
                .opts
                .timestamps()
                .then_some((self.ts_offset(), self.ts_recent)),
        }
    }

    /// When `timer` is due, if armed (for tests and tracing).
    pub fn timer(&self, timer: Timer) -> Option<Instant> {
        self.timers.get(timer)
    }
}
