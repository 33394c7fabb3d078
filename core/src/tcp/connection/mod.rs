//! One TCP connection as a state machine (RFC 9293).
//!
//! The connection works at the segment level: it takes parsed segments
//! ([`TcpRepr`]) that the endpoint has already matched to it, and writes
//! whole TCP segments (header, options, payload, checksum) into buffers the
//! caller owns. IP headers, demultiplexing, listeners and SYN cookies are
//! the endpoint's business.
//!
//! # The driving loop
//!
//! Two connections wired back to back, the way an endpoint (or a test)
//! drives them: feed input, drain `poll_transmit` and `poll_event`, and
//! sleep until `poll_timeout`.
//!
//! ```
//! use std::sync::Arc;
//! use wirestate::tcp::{Config, Connection, Event, SeqNumber, State};
//! use wirestate::time::Instant;
//! use wirestate::wire::{ChecksumMode, TcpRepr};
//!
//! let config = Arc::new(Config::default());
//! let (a, b) = ("10.0.0.1:40000".parse().unwrap(), "10.0.0.2:80".parse().unwrap());
//! let mut now = Instant::ZERO;
//! let mut buf = [0u8; 1600];
//!
//! // Active open; the endpoint would wrap this SYN in an IP packet.
//! let mut client = Connection::connect(now, config.clone(), a, b, SeqNumber::new(1));
//! let n = client.poll_transmit(now, &mut buf).unwrap();
//! let syn = TcpRepr::parse_segment(&buf[..n], a.ip(), b.ip(), ChecksumMode::FULL).unwrap();
//! // Passive open, as a listener would on that SYN.
//! let mut server = Connection::accept(now, config, b, a, SeqNumber::new(7), &syn);
//!
//! client.send(b"hello").unwrap();
//! client.close(now).unwrap(); // half-close: FIN after the data
//! let mut received = Vec::new();
//! loop {
//!     // Everything each side wants to send goes to the other.
//!     let mut moved = false;
//!     while let Some(n) = client.poll_transmit(now, &mut buf) {
//!         let seg = TcpRepr::parse_segment(&buf[..n], a.ip(), b.ip(), ChecksumMode::FULL).unwrap();
//!         server.handle_segment(now, &seg);
//!         moved = true;
//!     }
//!     while let Some(n) = server.poll_transmit(now, &mut buf) {
//!         let seg = TcpRepr::parse_segment(&buf[..n], b.ip(), a.ip(), ChecksumMode::FULL).unwrap();
//!         client.handle_segment(now, &seg);
//!         moved = true;
//!     }
//!     // The application side of the server: read, and close when the peer has.
//!     while let Some(event) = server.poll_event() {
//!         match event {
//!             Event::Readable => {
//!                 let mut chunk = [0u8; 64];
//!                 let n = server.recv(&mut chunk);
//!                 received.extend_from_slice(&chunk[..n]);
//!             }
//!             Event::PeerFinished => server.close(now).unwrap(),
//!             _ => {}
//!         }
//!     }
//!     while client.poll_event().is_some() {}
//!     if moved {
//!         continue;
//!     }
//!     // Nothing to send: sleep until the earliest timer (TIME-WAIT here).
//!     match [client.poll_timeout(), server.poll_timeout()].into_iter().flatten().min() {
//!         Some(t) => {
//!             now = t;
//!             client.handle_timeout(now);
//!             server.handle_timeout(now);
//!         }
//!         None => break,
//!     }
//! }
//! assert_eq!(received, b"hello");
//! assert_eq!((client.state(), server.state()), (State::Closed, State::Closed));
//! ```
//!
//! The code is split by concern:
//!
//! - [`state`]: the eleven RFC 9293 states;
//! - [`event`]: events, errors and statistics;
//! - `options`: what the SYNs negotiated (MSS, window scale, timestamps, SACK);
//! - `input`: segment arrival, RFC 9293 §3.10.7;
//! - `output`: building segments — SYNs, data, FIN, ACKs, RSTs, probes;
//! - `recovery`: duplicate ACKs, fast retransmit and fast recovery, undo of
//!   spurious responses, the reordering-aware threshold, limited transmit;
//! - `probe`: tail loss probes (RFC 8985 §7) and early retransmit (RFC 5827);
//! - `loss`: the state only loss, retransmission or a hostile peer calls
//!   for, allocated the first time it is needed;
//! - `timeout`: what each timer does when it fires.

mod check;
pub mod event;
mod getters;
mod input;
mod loss;
mod lost_retransmit;
mod options;
pub(crate) use options::ts_clock;
mod output;
mod probe;
mod prr;
mod recovery;
pub mod state;
mod timeout;

#[cfg(test)]
mod tests;

use alloc::sync::Arc;
use core::net::SocketAddr;

pub use event::{CloseError, Event, SendError, Stats};
use event::{Counters, EventQueue};
use loss::{LossSlot, LossState};
use options::Negotiated;
pub use state::State;

use crate::tcp::syn_cookie::CookieOptions;

/// The options a connection's handshake settled, from
/// [`Connection::negotiated`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiation {
    /// Payload bytes of a full segment we send (MSS minus fixed options).
    pub send_mss: usize,
    /// Shift applied to the peer's window field; `None` without scaling.
    pub send_window_shift: Option<u8>,
    /// Shift applied to the window we advertise; `None` without scaling.
    pub recv_window_shift: Option<u8>,
    /// SACK in use both ways.
    pub sack: bool,
    /// Timestamps on every segment.
    pub timestamps: bool,
}

use super::addr::AddrPair;
use super::config::Config;
use super::congestion::Window;
use super::recv_buffer::RecvBuffer;
use super::rtt::{RtoBounds, RttEstimator, SampleClock};
use super::send_buffer::SendBuffer;
use super::seq::SeqNumber;
use super::timer::{Timer, TimerTable};
use crate::time::{Duration, Instant};
use crate::wire::{ChecksumMode, TcpRepr};

/// The most SACKed ranges the sender tracks.
const SCOREBOARD_RANGES: usize = 16;

/// One-bit facts about a connection, packed into one word (the connection
/// sits in every table slot, so each byte counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Flags(u16);

impl Flags {
    // Segments that must go out at the next [`Connection::poll_transmit`],
    // besides new data.
    /// (Re)send our SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED).
    const SYN: u16 = 1 << 0;
    /// Send an acknowledgment now.
    const ACK: u16 = 1 << 1;
    /// Retransmit the first unacknowledged segment (fast retransmit, or a
    /// partial ACK in recovery).
    const RETRANSMIT: u16 = 1 << 2;
    /// Send a zero-window probe.
    const PROBE: u16 = 1 << 3;
    /// Send a keepalive probe.
    const KEEPALIVE: u16 = 1 << 4;
    /// Send a RST (without ACK) carrying the loss state's `rst_seq`.
    const RST: u16 = 1 << 5;
    /// Send a tail loss probe (see `probe.rs`).
    const TAIL_PROBE: u16 = 1 << 13;
    /// Every owed-segment bit.
    const OWED: u16 = ((1 << 6) - 1) | Self::TAIL_PROBE;
    /// What takes a synchronized connection's output off its usual course
    /// of new data, a FIN, then a bare ACK: a retransmission, a probe, or
    /// SACK recovery's holes.
    const OUT_OF_ORDER_OUTPUT: u16 =
        Self::RETRANSMIT | Self::PROBE | Self::KEEPALIVE | Self::TAIL_PROBE | Self::SACK_RECOVERY;

    /// Opened by a listener (passive open).
    const PASSIVE: u16 = 1 << 6;
    /// Fast recovery is SACK-based (RFC 6675) rather than NewReno.
    const SACK_RECOVERY: u16 = 1 << 7;
    /// The application was told the send buffer is full.
    const WRITE_BLOCKED: u16 = 1 << 8;
    /// The application asked to close while the handshake was unfinished.
    const CLOSE_REQUESTED: u16 = 1 << 9;
    /// The peer's FIN was received in order.
    const PEER_FIN: u16 = 1 << 10;
    /// The loss state's `ts_rto` holds a reading.
    const TS_RTO: u16 = 1 << 11;
    /// `Connection::sampler` is timing a segment (the bit of an
    /// [`RttSampler`](crate::tcp::RttSampler) that would cost the sampler
    /// four bytes of padding on its own).
    const TIMING: u16 = 1 << 12;
    // (Bit 13 is `TAIL_PROBE`, among the owed segments above.)
    /// The retransmission timer holds a probe timeout, not the RTO.
    const PTO: u16 = 1 << 14;

    const fn has(self, bit: u16) -> bool {
        self.0 & bit != 0
    }

    fn on(&mut self, bit: u16) {
        self.0 |= bit;
    }

    fn off(&mut self, bit: u16) {
        self.0 &= !bit;
    }

    fn put(&mut self, bit: u16, on: bool) {
        if on {
            self.on(bit);
        } else {
            self.off(bit);
        }
    }

    /// Clears `bit`, returning whether it was set.
    fn take(&mut self, bit: u16) -> bool {
        let was = self.has(bit);
        self.off(bit);
        was
    }
}

/// Whether `count`, a per-connection count kept in 16 bits, has reached
/// `limit`. Counts never pass 65,535, so a configured limit above that acts
/// as 65,535 (65,535 retransmissions at the 60 s maximum RTO take 45 days).
fn reached(count: u16, limit: u32) -> bool {
    u32::from(count) >= limit.min(u32::from(u16::MAX))
}

/// Milliseconds from `then` (an [`Instant::millis_u32`] reading) to `now`.
/// The connection only compares such spans with a second or an RTO, so the
/// 32-bit clock does.
fn ms_since(now: Instant, then: u32) -> Duration {
    Duration::from_millis(u64::from(now.millis_u32().wrapping_sub(then)))
}

/// One TCP connection.
///
/// # Driving it
///
/// The methods come in four kinds, as everywhere in this crate:
///
/// 1. **getters** — [`state`](Self::state), [`stats`](Self::stats),
///    [`local`](Self::local), [`remote`](Self::remote),
///    [`readable`](Self::readable), [`writable`](Self::writable),
///    [`is_closed`](Self::is_closed), … — never change anything;
/// 2. **input** — [`handle_segment`](Self::handle_segment) for every segment
///    the endpoint routes here, [`handle_timeout`](Self::handle_timeout)
///    when the time from `poll_timeout` has come (calling it early is
///    harmless);
/// 3. **application calls** — [`send`](Self::send), [`recv`](Self::recv),
///    [`close`](Self::close) (our FIN: half-close, reading goes on),
///    [`abort`](Self::abort) (RST);
/// 4. **output** — [`poll_transmit`](Self::poll_transmit) (call until it
///    returns `None`), [`poll_event`](Self::poll_event),
///    [`poll_timeout`](Self::poll_timeout).
///
/// After any input or application call, drain `poll_transmit` and
/// `poll_event`, then re-arm the timer from `poll_timeout`.
///
/// Nothing the peer sends makes a method fail or panic: bad segments are
/// dropped, answered with an ACK or a RST as RFC 9293 says, and reported
/// through events when they end the connection.
#[derive(Debug)]
pub struct Connection {
    config: Arc<Config>,
    /// Our address and the peer's, without IPv6 flow label or scope id.
    addrs: AddrPair,
    state: State,
    /// One-bit facts: segments owed to the peer, and the booleans below.
    flags: Flags,

    // Send sequence space, RFC 9293 §3.3.1.
    iss: SeqNumber,
    snd_una: SeqNumber,
    snd_nxt: SeqNumber,
    /// One past the highest sequence number ever sent; `snd_nxt` falls
    /// back below it after a retransmission timeout.
    snd_max: SeqNumber,
    /// The peer's window, scaled, in bytes.
    snd_wnd: u32,
    /// The largest window the peer has offered (sender SWS avoidance).
    max_snd_wnd: u32,
    snd_wl1: SeqNumber,
    snd_wl2: SeqNumber,

    // Receive sequence space. The peer's ISN is not stored: it follows from
    // `rcv_nxt` and the bytes received (see `irs`).
    rcv_nxt: SeqNumber,
    /// The right edge of the window we last advertised.
    rcv_adv: SeqNumber,
    /// The ACK number we last sent (RFC 7323 §4.3 `Last.ACK.sent`).
    last_ack_sent: SeqNumber,

    opts: Negotiated,
    /// The last timestamp worth echoing (RFC 7323 `TS.Recent`).
    ts_recent: u32,

    send: SendBuffer,
    recv: RecvBuffer,
    rtt: RttEstimator,
    /// The segment being timed for an RTT sample (Karn's rule), with
    /// [`Flags::TIMING`].
    sampler: SampleClock,
    /// The congestion window; the algorithm's own state is in `loss`.
    cc: Window,
    timers: TimerTable,

    /// Zero-window probes in a row (saturating; only the first 16 matter).
    persist_count: u8,
    /// Keepalive probes in a row without answer.
    keepalive_count: u16,
    /// When data was last sent (see [`Instant::millis_u32`]), for the restart after
    /// idle.
    last_data_sent: u32,
    /// In-order segments still to acknowledge at once after the handshake.
    quick_acks: u8,

    events: EventQueue,
    stats: Counters,
    /// What only a connection that met loss, retransmission or a hostile
    /// segment needs: absent until the first of those, allocated then
    /// (see the `loss` module).
    loss: LossSlot,
}

impl Connection {
    /// Active open (RFC 9293 §3.10.1): a connection in SYN-SENT from
    /// `local` to `remote` whose SYN goes out at the next `poll_transmit`.
    ///
    /// `iss` is the initial send sequence number, from the endpoint's
    /// [`IsnSource`](crate::tcp::IsnSource). The configuration is not
    /// validated here; the endpoint does that once.
    pub fn connect(
        now: Instant,
        config: Arc<Config>,
        local: SocketAddr,
        remote: SocketAddr,
        iss: SeqNumber,
    ) -> Connection {
        let mut conn = Connection::new(now, config, local, remote, iss, false);
        conn.state = State::SynSent;
        conn.flags.on(Flags::SYN);
        conn
    }

    /// Passive open: the SYN `syn` arrived for a listener on `local`. The
    /// connection starts in SYN-RECEIVED and its SYN-ACK goes out at the
    /// next `poll_transmit`.
    ///
    /// The caller has checked that `syn` has SYN set and neither ACK nor
    /// RST (RFC 9293 §3.10.7.2).
    pub fn accept(
        now: Instant,
        config: Arc<Config>,
        local: SocketAddr,
        remote: SocketAddr,
        iss: SeqNumber,
        syn: &TcpRepr<'_>,
    ) -> Connection {
        let mut conn = Connection::new(now, config, local, remote, iss, true);
        conn.state = State::SynReceived;
        let irs = SeqNumber::new(syn.seq);
        conn.rcv_nxt = irs + 1u32;
        conn.last_ack_sent = conn.rcv_nxt;
        conn.rcv_adv = conn.rcv_nxt + conn.recv.window().min(0xffff);
        let peer_mss = conn.opts.settle(syn);
        conn.on_options_settled(syn, peer_mss);
        // The window in a SYN is never scaled (RFC 7323 §2.2).
        conn.snd_wnd = u32::from(syn.window);
        conn.max_snd_wnd = conn.snd_wnd;
        conn.snd_wl1 = irs;
        conn.flags.on(Flags::SYN);
        conn
    }

    /// A connection opened by a valid SYN cookie (see
    /// [`syn_cookie`](crate::tcp::syn_cookie)): the handshake is already
    /// complete, so it starts ESTABLISHED. `ack` is the segment that carried
    /// the cookie back: its acknowledgment number minus one was our ISN (the
    /// cookie) and its sequence number minus one the peer's. `peer_mss` is
    /// the MSS the cookie kept. The caller then hands `ack` to
    /// [`handle_segment`](Self::handle_segment) for any data it carries.
    ///
    /// `kept` is what the cookie carried in our timestamp when the SYN
    /// offered timestamps: the window scale and SACK it agreed to, and the
    /// peer's timestamp to echo. Without it (a SYN without timestamps)
    /// the connection has no window scaling, SACK or timestamps, since the
    /// cookie alone cannot hold them.
    pub fn from_cookie(
        now: Instant,
        config: Arc<Config>,
        local: SocketAddr,
        remote: SocketAddr,
        peer_mss: u16,
        kept: Option<(CookieOptions, u32)>,
        ack: &TcpRepr<'_>,
    ) -> Connection {
        let iss = SeqNumber::new(ack.ack) - 1u32;
        let irs = SeqNumber::new(ack.seq) - 1u32;
        let mut conn = Connection::new(now, config, local, remote, iss, true);
        let (opts, tsval) = match kept {
            Some((opts, tsval)) => (opts, Some(tsval)),
            None => (CookieOptions::default(), None),
        };
        conn.opts
            .settle_from_cookie(opts.window_shift, tsval.is_some(), opts.sack);
        conn.ts_recent = tsval.unwrap_or(0);
        conn.cc.set_mss(conn.opts.send_mss(peer_mss));
        conn.rcv_nxt = irs + 1u32;
        conn.last_ack_sent = conn.rcv_nxt;
        conn.rcv_adv = conn.rcv_nxt + conn.recv.window().min(0xffff);
        conn.snd_una = iss + 1u32;
        conn.snd_nxt = conn.snd_una;
        conn.snd_max = conn.snd_una;
        conn.snd_wnd = u32::from(ack.window) << conn.opts.snd_shift();
        conn.max_snd_wnd = conn.snd_wnd;
        conn.snd_wl1 = SeqNumber::new(ack.seq);
        conn.snd_wl2 = SeqNumber::new(ack.ack);
        conn.quick_acks = 16;
        conn.state = State::Established;
        conn.events.push(Event::Connected);
        conn.on_established(now);
        conn
    }

    fn new(
        _now: Instant,
        config: Arc<Config>,
        local: SocketAddr,
        remote: SocketAddr,
        iss: SeqNumber,
        passive: bool,
    ) -> Connection {
        let opts = Negotiated::offer(&config, remote.is_ipv6());
        let cc = Window::new(
            opts.send_mss(opts.default_peer_mss()),
            config.initial_window,
        );
        Connection {
            addrs: AddrPair::new(local, remote),
            state: State::Closed,
            flags: Flags(if passive { Flags::PASSIVE } else { 0 }),
            iss,
            snd_una: iss,
            snd_nxt: iss,
            snd_max: iss,
            snd_wnd: 0,
            max_snd_wnd: 0,
            snd_wl1: SeqNumber::default(),
            snd_wl2: iss,
            rcv_nxt: SeqNumber::default(),
            rcv_adv: SeqNumber::default(),
            last_ack_sent: SeqNumber::default(),
            opts,
            ts_recent: 0,
            send: SendBuffer::new(config.send_buffer),
            recv: RecvBuffer::new(config.recv_buffer, config.max_reassembly_ranges),
            rtt: RttEstimator::new(
                config.initial_rto,
                RtoBounds::new(config.min_rto, config.max_rto),
            ),
            sampler: SampleClock::new(),
            cc,
            timers: TimerTable::new(),
            persist_count: 0,
            keepalive_count: 0,
            last_data_sent: 0,
            quick_acks: 0,
            events: EventQueue::default(),
            stats: Counters::default(),
            loss: LossSlot::default(),
            config,
        }
    }

    /// After the peer's SYN, which announced `peer_mss`: sizes that depend
    /// on the negotiated options. The send MSS is kept only as the
    /// window's segment size.
    fn on_options_settled(&mut self, syn: &TcpRepr<'_>, peer_mss: u16) {
        self.cc.set_mss(self.opts.send_mss(peer_mss));
        if self.opts.timestamps()
            && let Some((tsval, _)) = syn.timestamp
        {
            self.ts_recent = tsval;
        }
        // Acknowledge the first few segments at once, so the peer's slow
        // start is not held back by delayed ACKs.
        self.quick_acks = 16;
    }

    // ----- application calls ---------------------------------------------

    /// Queues `data` for sending and returns how much was taken (less than
    /// all of it when the send buffer fills; [`Event::Writable`] says when
    /// there is room again).
    ///
    /// Data written during the handshake goes out once it completes.
    pub fn send(&mut self, data: &[u8]) -> Result<usize, SendError> {
        if !self.state.can_send() || self.send.is_finished() {
            return Err(SendError::Closed);
        }
        let n = self.send.write(data);
        if n < data.len() {
            self.flags.on(Flags::WRITE_BLOCKED);
        }
        Ok(n)
    }

    /// Reads received bytes into `buf` and returns how many. Zero means
    /// nothing is ready; [`is_read_finished`](Self::is_read_finished) tells
    /// the end of the stream apart.
    ///
    /// Reading opens the receive window; when that matters to the peer a
    /// window update goes out at the next `poll_transmit`.
    pub fn recv(&mut self, buf: &mut [u8]) -> usize {
        let n = self.recv.read(buf);
        if n > 0 {
            self.after_read();
        }
        n
    }

    /// Closes our direction (RFC 9293 §3.10.4): a FIN follows the data
    /// already written. Receiving goes on until the peer closes too.
    ///
    /// During the handshake the FIN waits for it to complete. Fails only
    /// when our side is already closed.
    pub fn close(&mut self, now: Instant) -> Result<(), CloseError> {
        match self.state {
            State::SynSent | State::SynReceived if !self.flags.has(Flags::CLOSE_REQUESTED) => {
                // The FIN goes out once the handshake completes, after any
                // data already written. (RFC 9293 deletes a connection closed
                // in SYN-SENT; here that is what `abort` is for, so that
                // "connect, write, close" does not lose the data.)
                self.flags.on(Flags::CLOSE_REQUESTED);
                self.send.finish();
                Ok(())
            }
            State::Established => {
                self.send.finish();
                self.set_state(State::FinWait1);
                self.arm_send_timers(now);
                Ok(())
            }
            State::CloseWait => {
                self.send.finish();
                self.set_state(State::LastAck);
                self.arm_send_timers(now);
                Ok(())
            }
            _ => Err(CloseError::AlreadyClosed),
        }
    }

    /// Resets the connection (RFC 9293 §3.10.5): a RST goes out at the next
    /// `poll_transmit` when the peer knows about us, buffered data is
    /// discarded, and the connection is CLOSED at once.
    pub fn abort(&mut self, _now: Instant) {
        match self.state {
            State::SynReceived
            | State::Established
            | State::FinWait1
            | State::FinWait2
            | State::CloseWait => {
                self.queue_rst(self.snd_nxt);
            }
            _ => {}
        }
        if self.state != State::Closed {
            self.timers.stop_all();
            self.enter_closed();
        }
    }

    // ----- output --------------------------------------------------------

    /// The next event, if any.
    ///
    /// Events wait in a small fixed queue inside the connection. An event
    /// of a kind that is already waiting is not queued again (a second
    /// `Readable` before the first was polled says nothing new); if the
    /// opt-in [`Event::StateChanged`] tracing outgrows the queue because
    /// nobody polls, the oldest state changes are dropped. No other event
    /// is ever lost.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    // ----- shared helpers -------------------------------------------------

    fn checksums(&self) -> ChecksumMode {
        if self.config.checksum_offload {
            ChecksumMode::OFFLOADED
        } else {
            ChecksumMode::FULL
        }
    }

    fn set_state(&mut self, to: State) {
        let from = self.state;
        if from == to {
            return;
        }
        self.state = to;
        if self.config.state_change_events {
            self.events.push(Event::StateChanged { from, to });
        }
    }

    fn enter_closed(&mut self) {
        self.set_state(State::Closed);
        self.timers.stop_all();
        self.events.push(Event::Closed);
    }

    /// Ends the connection because the peer stopped answering.
    fn time_out(&mut self) {
        self.events.push(Event::TimedOut);
        self.enter_closed();
    }

    /// Enters TIME-WAIT: only the 2·MSL timer stays armed (RFC 9293 §3.6.1).
    fn enter_time_wait(&mut self, now: Instant) {
        self.set_state(State::TimeWait);
        self.timers.stop_all();
        self.timers
            .set(Timer::Linger, now + self.config.time_wait());
    }

    /// The peer's initial sequence number (RFC 9293 `IRS`), once its SYN
    /// arrived: `RCV.NXT` is always that plus the SYN, the bytes taken in
    /// order and the peer's FIN, so it is computed rather than stored.
    fn irs(&self) -> SeqNumber {
        let fin = u32::from(self.flags.has(Flags::PEER_FIN));
        // Stream offsets past 4 GiB wrap like sequence numbers do.
        self.rcv_nxt - 1u32 - (self.recv.received() as u32) - fin
    }

    /// Bytes in flight: sent and not acknowledged, as far as `snd_nxt`.
    fn flight_size(&self) -> usize {
        self.snd_nxt.distance_from(self.snd_una) as usize
    }

    /// Whether our FIN has been sent (it sits at `snd_una + data`).
    fn fin_sent(&self) -> bool {
        match self.send.fin_offset() {
            Some(offset) => self.snd_nxt.distance_from(self.snd_una) as usize > offset,
            None => self.send.fin_acked(),
        }
    }

    /// Queues a RST with sequence number `seq`.
    fn queue_rst(&mut self, seq: SeqNumber) {
        self.flags.on(Flags::RST);
        self.loss().rst_seq = seq;
    }

    /// The loss state, allocated now if this is the first time it is
    /// needed (see `loss`). Paths taken on every segment read it through
    /// `self.loss.get()` instead, which never allocates.
    fn loss(&mut self) -> &mut LossState {
        self.loss.make(self.snd_una, self.config.congestion)
    }

    /// Retransmission timeouts in a row.
    fn rto_count(&self) -> u16 {
        self.loss.get().map_or(0, |l| l.rto_count)
    }

    /// Something was acknowledged: the timeouts in a row are over.
    fn reset_rto_count(&mut self) {
        if let Some(loss) = self.loss.get_mut() {
            loss.rto_count = 0;
        }
    }

    /// Counts a retransmitted segment carrying `bytes` bytes of data.
    fn count_retransmission(&mut self, bytes: usize) {
        let counters = &mut self.loss().counters;
        event::bump(&mut counters.retransmits);
        counters.bytes_retransmitted += bytes as u64;
        self.undo_count_retransmission();
    }

    /// Times the segment just sent, which ends at `snd_nxt`, unless one is
    /// being timed already (see [`RttSampler`](crate::tcp::RttSampler)).
    fn start_rtt_sample(&mut self, now: Instant) {
        let mut timing = self.flags.has(Flags::TIMING);
        self.sampler.start(&mut timing, now, self.snd_nxt);
        self.flags.put(Flags::TIMING, timing);
    }

    /// Something was sent again: by Karn's rule the timed segment may be
    /// among the copies, so its measurement is void.
    fn void_rtt_sample(&mut self) {
        self.flags.off(Flags::TIMING);
    }

    /// The round trip of the timed segment, if `ack` covers it.
    fn rtt_sample_on_ack(&mut self, now: Instant, ack: SeqNumber) -> Option<Duration> {
        let mut timing = self.flags.has(Flags::TIMING);
        let sample = self.sampler.on_ack(&mut timing, now, ack);
        self.flags.put(Flags::TIMING, timing);
        sample
    }

    /// The configured RTO bounds, which the estimator does not keep.
    fn rto_bounds(&self) -> RtoBounds {
        RtoBounds::new(self.config.min_rto, self.config.max_rto)
    }

    /// After sending something that needs acknowledging: make sure the
    /// retransmission and user timers run (RFC 6298 §5.1).
    fn arm_send_timers(&mut self, now: Instant) {
        if self.snd_wnd == 0 && self.state.is_synchronized() && !self.send.is_empty() {
            // Waiting on the window: the persist timer takes over.
            self.timers.stop(Timer::Retransmit);
            if !self.timers.is_armed(Timer::Persist) {
                self.timers
                    .set(Timer::Persist, now + self.persist_interval());
            }
            return;
        }
        if self.snd_max != self.snd_una {
            if !self.timers.is_armed(Timer::Retransmit) || self.flags.has(Flags::PTO) {
                // A tail loss probe first, when one is allowed, its timeout
                // counted from the latest transmission (see `probe.rs`).
                let (at, probe) = match self.probe_deadline(now) {
                    Some(at) => (at, true),
                    None => (now + self.rto(), false),
                };
                self.timers.set(Timer::Retransmit, at);
                self.flags.put(Flags::PTO, probe);
            }
            if let Some(limit) = self.config.user_timeout {
                self.timers.set_if_stopped(Timer::UserTimeout, now + limit);
            }
        }
    }

    /// The wait before the next zero-window probe: the RTO, doubling per
    /// unanswered probe, within the RTO bounds (RFC 9293 §3.8.6.1).
    fn persist_interval(&self) -> Duration {
        let base = self.rto();
        let shift = self.persist_count.min(16);
        base.saturating_mul(1 << shift).min(self.config.max_rto)
    }

    /// The window we would advertise now, as (field value, right edge).
    fn window_to_send(&self) -> (u16, SeqNumber) {
        let current = self.rcv_adv.diff(self.rcv_nxt).max(0) as usize;
        let window = self
            .recv
            .window_to_advertise(current, usize::from(self.opts.local_mss()));
        let field = (window >> self.opts.rcv_shift()).min(0xffff);
        let edge = self.rcv_nxt + (field << self.opts.rcv_shift());
        (field as u16, edge)
    }

    /// After the application read: if the window grew enough to matter to
    /// a peer that may be waiting on it, announce it now.
    fn after_read(&mut self) {
        if !self.state.can_receive() || self.flags.has(Flags::PEER_FIN) {
            return;
        }
        let current = self.rcv_adv.diff(self.rcv_nxt).max(0) as usize;
        let (_, edge) = self.window_to_send();
        let grown = edge.diff(self.rcv_adv).max(0) as usize;
        let threshold = usize::from(self.opts.local_mss()).min(self.recv.capacity() / 2);
        if grown >= threshold.max(1) && current < self.recv.capacity() / 2 {
            self.flags.on(Flags::ACK);
        }
    }
}
