//! The WebSocket connection: one state machine for both roles.

mod events;
mod opening;
mod recv;
mod send;

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::buffer::{BinBufs, TextBufs};
use super::config::{ClientConfig, Config};
use super::deflate::Codec;
use super::error::Error;
use super::event::{Accepted, Event, MessageKind, Rejected, Request, Role, State};
use super::mask::MaskRng;
use crate::time::Instant;
pub use recv::{Received, UnmaskFn};

use opening::Opening;
use recv::Rx;
use send::TxFragment;

/// Counters kept by a connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Bytes handed to `receive_data`.
    pub bytes_received: u64,
    /// Bytes taken from the transmit queue by the caller.
    pub bytes_sent: u64,
    /// Frames received (all opcodes).
    pub frames_received: u64,
    /// Frames queued for sending (all opcodes).
    pub frames_sent: u64,
    /// Whole data messages received.
    pub messages_received: u64,
    /// Whole data messages sent.
    pub messages_sent: u64,
    /// Pings received.
    pub pings_received: u64,
    /// Pongs received.
    pub pongs_received: u64,
}

/// The connection's timers (quinn-style: an enum indexing an array).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    /// The opening handshake must finish by then.
    Open = 0,
    /// Time to check idleness and maybe send a keepalive Ping.
    Keepalive = 1,
    /// A keepalive Ping must have been answered by then.
    PongDeadline = 2,
    /// The peer's part of the closing handshake is due.
    Close = 3,
}

const TIMERS: [Timer; 4] = [
    Timer::Open,
    Timer::Keepalive,
    Timer::PongDeadline,
    Timer::Close,
];

/// An event waiting for the application. Payloads are ranges of the
/// connection's buffers, so receiving allocates nothing per message; the rare
/// events that own data are boxed to keep this small (24 bytes).
#[derive(Debug)]
enum Pending {
    Message {
        kind: MessageKind,
        /// The bank of `tbufs` or `bbufs` the payload is in.
        bank: u8,
        start: usize,
        end: usize,
    },
    Chunk {
        kind: MessageKind,
        /// The bank of `tbufs` or `bbufs` the payload is in.
        bank: u8,
        first: bool,
        last: bool,
        start: usize,
        end: usize,
        /// The message's length when known in advance; `u64::MAX` when not.
        total: u64,
    },
    Ping {
        start: usize,
        end: usize,
    },
    Pong {
        start: usize,
        end: usize,
    },
    CloseReceived {
        code: u16,
        start: usize,
        end: usize,
    },
    Writable,
    /// The peer broke a rule here: fail the connection once the application
    /// has seen (and answered) every event before this point.
    Fail {
        code: u16,
        reason: &'static str,
    },
    Owned(Box<Owned>),
}

/// Events that carry their own data.
#[derive(Debug)]
enum Owned {
    Request(Request),
    Accepted(Accepted),
    Rejected(Rejected),
    Closed {
        code: u16,
        reason: String,
        clean: bool,
    },
}

/// Marker: the connection has been failed or closed; stop processing input.
#[derive(Debug)]
struct Stop;

type Step = Result<(), Stop>;

/// A WebSocket connection (RFC 6455, with RFC 7692 permessage-deflate), client
/// or server, as a sans-IO state machine.
///
/// Bytes from the transport go in through [`receive_data`](Self::receive_data)
/// and [`receive_eof`](Self::receive_eof); bytes for the transport come out of
/// [`poll_transmit`](Self::poll_transmit) (or [`pending_output`](Self::pending_output) +
/// [`consume_output`](Self::consume_output), or [`data_to_send`](Self::data_to_send));
/// what happened comes out of [`poll_event`](Self::poll_event).
///
/// # Methods, by kind
///
/// 1. **Getters** (change nothing): [`role`](Self::role), [`state`](Self::state),
///    [`subprotocol`](Self::subprotocol), [`is_compressed`](Self::is_compressed),
///    [`buffered_amount`](Self::buffered_amount), [`is_writable`](Self::is_writable),
///    [`should_close_transport`](Self::should_close_transport), [`stats`](Self::stats).
/// 2. **Input**: [`receive_data`](Self::receive_data), [`receive_eof`](Self::receive_eof),
///    [`handle_timeout`](Self::handle_timeout).
/// 3. **Application calls**: [`accept`](Self::accept), [`reject`](Self::reject),
///    [`send_text`](Self::send_text), [`send_binary`](Self::send_binary),
///    [`send_message`](Self::send_message), [`send_fragment`](Self::send_fragment),
///    [`ping`](Self::ping), [`pong`](Self::pong), [`close`](Self::close).
/// 4. **Output**: [`poll_event`](Self::poll_event), [`poll_transmit`](Self::poll_transmit)
///    (and its variants), [`poll_timeout`](Self::poll_timeout).
///
/// # Driving it
///
/// After any input or application call: write out everything `poll_transmit`
/// gives, handle every event from `poll_event`, then re-arm a timer for
/// `poll_timeout`. When [`should_close_transport`](Self::should_close_transport)
/// turns true and the output is written, close the transport.
///
/// # Time
///
/// The connection's clock advances only through `handle_timeout(now)`.
/// Timers that application calls or input start (the close timeout, the next
/// keepalive) count from the latest instant given; until the first
/// `handle_timeout` they count from that first call. Drivers that configure
/// timers call `handle_timeout(now)` after each read as well as when their
/// timer fires; a call before a deadline does nothing else.
///
/// # Example: an echo server connection
///
/// ```
/// use wirestate::ws::{Config, Connection, Event};
///
/// let mut server = Connection::server(Config::default());
/// let request = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
///     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
///     Sec-WebSocket-Version: 13\r\n\r\n";
/// server.receive_data(request);
/// assert!(matches!(server.poll_event(), Some(Event::Request(r)) if r.path == "/chat"));
/// server.accept(None, &[]).unwrap();
/// let response = server.data_to_send();
/// assert!(response.starts_with(b"HTTP/1.1 101"));
///
/// // A masked text frame "Hello" (RFC 6455 §5.7).
/// server.receive_data(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
/// let mut echo = Vec::new();
/// while let Some(event) = server.poll_event() {
///     if let Event::Text(text) = event {
///         echo.push(text.to_owned());
///     }
/// }
/// for text in echo {
///     server.send_text(&text).unwrap();
/// }
/// assert_eq!(server.data_to_send(), b"\x81\x05Hello");
/// ```
pub struct Connection {
    role: Role,
    state: State,
    config: Config,
    opening: Opening,
    subprotocol: Option<String>,
    codec: Option<Box<Codec>>,
    rx: Rx,
    /// The routine `receive_data_into` unmasks with, when the caller gave one.
    unmask: Option<UnmaskFn>,
    /// Payloads of pending binary events, and the binary message being
    /// received; the current bank is also the scratch space text is
    /// unmasked and inflated into before it is checked.
    bbufs: BinBufs,
    /// Payloads of pending text events, checked once on arrival.
    tbufs: TextBufs,
    /// Payloads of pending control events.
    cbuf: Vec<u8>,
    /// The control frame being received.
    ctrl: Vec<u8>,
    /// Unmasked compressed input on its way to the inflater.
    zbuf: Vec<u8>,
    pending: VecDeque<Pending>,
    /// The last owned event handed out; kept so its borrows stay valid.
    current: Option<Box<Owned>>,
    out: Vec<u8>,
    out_pos: usize,
    tx_fragment: Option<TxFragment>,
    rng: MaskRng,
    close_sent: bool,
    close_received: Option<(u16, String)>,
    transport_close: bool,
    closed_reported: bool,
    /// A `Pending::Fail` is queued.
    failing: bool,
    timers: [Option<Instant>; 4],
    now: Instant,
    clock_set: bool,
    rx_activity: bool,
    ping_outstanding: bool,
    keepalive_counter: u32,
    write_blocked: bool,
    stats: Stats,
}

impl core::fmt::Debug for Connection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("subprotocol", &self.subprotocol)
            .field("compressed", &self.codec.is_some())
            .field("buffered_amount", &self.buffered_amount())
            .field("pending_events", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl Connection {
    fn new(role: Role, mut config: Config, opening: Opening, seed: [u8; 16]) -> Connection {
        if let Some(c) = config.compression.as_mut() {
            c.server_max_window_bits = c.server_max_window_bits.clamp(9, 15);
            c.client_max_window_bits = c.client_max_window_bits.clamp(9, 15);
        }
        config.write_buffer_low = config.write_buffer_low.min(config.write_buffer_high);
        let mut conn = Connection {
            role,
            state: State::Connecting,
            config,
            opening,
            subprotocol: None,
            codec: None,
            rx: Rx::default(),
            unmask: None,
            bbufs: BinBufs::default(),
            tbufs: TextBufs::default(),
            cbuf: Vec::new(),
            ctrl: Vec::new(),
            zbuf: Vec::new(),
            pending: VecDeque::new(),
            current: None,
            out: Vec::new(),
            out_pos: 0,
            tx_fragment: None,
            rng: MaskRng::new(seed),
            close_sent: false,
            close_received: None,
            transport_close: false,
            closed_reported: false,
            failing: false,
            timers: [None; 4],
            now: Instant::ZERO,
            clock_set: false,
            rx_activity: false,
            ping_outstanding: false,
            keepalive_counter: 0,
            write_blocked: false,
            stats: Stats::default(),
        };
        if let Some(d) = conn.config.open_timeout {
            conn.arm(Timer::Open, d);
        }
        conn
    }

    /// A server connection waiting for the client's opening request.
    pub fn server(config: Config) -> Connection {
        Connection::new(Role::Server, config, Opening::AwaitRequest, [0; 16])
    }

    /// A client connection whose opening request is already queued for the
    /// transport. `seed` keys the generator of the handshake nonce and the
    /// masking keys: give 16 bytes from the operating system's random source.
    ///
    /// Fails with [`Error::InvalidConfig`] or [`Error::InvalidHeader`] when the
    /// request cannot be written as valid HTTP.
    pub fn client(config: ClientConfig, seed: [u8; 16]) -> Result<Connection, Error> {
        if let Some(c) = &config.config.compression
            && (!(9..=15).contains(&c.server_max_window_bits)
                || !(9..=15).contains(&c.client_max_window_bits))
        {
            return Err(Error::InvalidConfig);
        }
        let mut conn = Connection::new(Role::Client, config.config.clone(), Opening::Done, seed);
        let request = opening::client_start(&mut conn, &config)?;
        conn.out = request;
        Ok(conn)
    }

    // ----- getters -------------------------------------------------------

    /// Client or server.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Where the connection is in its life.
    pub fn state(&self) -> State {
        self.state
    }

    /// The negotiated subprotocol, once open.
    pub fn subprotocol(&self) -> Option<&str> {
        self.subprotocol.as_deref()
    }

    /// Whether permessage-deflate is in force.
    pub fn is_compressed(&self) -> bool {
        self.codec.is_some()
    }

    /// Bytes queued for the transport and not yet taken.
    pub fn buffered_amount(&self) -> usize {
        self.out.len() - self.out_pos
    }

    /// False while the outbound queue is above `write_buffer_high`; an
    /// [`Event::Writable`] reports when it has drained.
    pub fn is_writable(&self) -> bool {
        !self.write_blocked
    }

    /// True once the transport should be closed after the queued output is
    /// written: after the closing handshake (at once for a server, after the
    /// peer's end of stream or the close timeout for a client), after a
    /// rejected or failed handshake, or after the connection was failed.
    pub fn should_close_transport(&self) -> bool {
        self.transport_close
    }

    /// Counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    // ----- output --------------------------------------------------------

    /// Whether [`poll_event`](Self::poll_event) would return an event now.
    ///
    /// For bindings that hand several events out at once (or use
    /// [`poll_events`](Self::poll_events), which follows the same rules):
    /// asking, unlike a `poll_event` that finds nothing, leaves the
    /// connection's buffers alone. The bytes of the events
    /// `poll_event` has returned are neither moved nor freed until it
    /// returns `None`, or `receive_data`, `receive_data_into`,
    /// `receive_eof`, `accept` or `reject` is called; a
    /// [`Request`](Event::Request), [`Accepted`](Event::Accepted),
    /// [`Rejected`](Event::Rejected) or [`Closed`](Event::Closed) event
    /// lives until the next event of those four kinds. Sending, closing,
    /// pings, timers and taking output do not touch them.
    #[inline]
    pub fn has_pending_event(&self) -> bool {
        match self.pending.front() {
            None => false,
            // A queued failure turns into the Closed event unless that was
            // reported already; anything else queued is an event.
            Some(Pending::Fail { .. }) => {
                !self.closed_reported
                    || self
                        .pending
                        .iter()
                        .any(|p| !matches!(p, Pending::Fail { .. }))
            }
            Some(_) => true,
        }
    }

    /// The next event, borrowed from the connection until the next call that
    /// takes `&mut self`. Returns `None` when there is none.
    pub fn poll_event(&mut self) -> Option<Event<'_>> {
        let p = loop {
            match self.pending.pop_front() {
                None => {
                    self.reclaim();
                    return None;
                }
                Some(Pending::Fail { code, reason }) => {
                    self.failing = false;
                    self.fail_now(code, reason);
                }
                Some(p) => break p,
            }
        };
        Some(self.event_of(p))
    }

    /// The bytes queued for the transport, without taking them. Pair with
    /// [`consume_output`](Self::consume_output) to write straight from here.
    #[inline]
    pub fn pending_output(&self) -> &[u8] {
        &self.out[self.out_pos..]
    }

    /// Marks the first `n` bytes of [`pending_output`](Self::pending_output)
    /// as written (clamped to what is queued).
    pub fn consume_output(&mut self, n: usize) {
        let n = n.min(self.buffered_amount());
        self.out_pos += n;
        self.stats.bytes_sent += n as u64;
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
        } else if self.out_pos >= 64 << 10 && self.out_pos * 2 >= self.out.len() {
            self.out.drain(..self.out_pos);
            self.out_pos = 0;
        }
        self.check_writable();
    }

    /// Copies queued bytes into `buf` and takes them; returns how many.
    /// Call until it returns 0.
    #[must_use]
    pub fn poll_transmit(&mut self, buf: &mut [u8]) -> usize {
        let src = self.pending_output();
        let n = src.len().min(buf.len());
        buf[..n].copy_from_slice(&src[..n]);
        self.consume_output(n);
        n
    }

    /// Takes everything queued for the transport.
    pub fn data_to_send(&mut self) -> Vec<u8> {
        let n = self.buffered_amount();
        let data = if self.out_pos == 0 {
            core::mem::take(&mut self.out)
        } else {
            self.out[self.out_pos..].to_vec()
        };
        self.out.clear();
        self.out_pos = 0;
        self.stats.bytes_sent += n as u64;
        self.check_writable();
        data
    }

    /// The earliest instant at which [`handle_timeout`](Self::handle_timeout)
    /// has work to do, if any timer is armed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.iter().flatten().min().copied()
    }

    // ----- input: time ---------------------------------------------------

    /// Advances the connection's clock to `now` and runs every timer due by
    /// then. Calling it early, late or repeatedly is harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        if !self.clock_set {
            // Timers armed before the clock was known count from now.
            self.clock_set = true;
            for t in self.timers.iter_mut().flatten() {
                *t = now.saturating_add(Duration::from_nanos(t.as_nanos()));
            }
        }
        if now > self.now {
            self.now = now;
        }
        if self.failing {
            return;
        }
        for timer in TIMERS {
            match self.timers[timer as usize] {
                Some(at) if at <= self.now => {
                    self.timers[timer as usize] = None;
                    self.fire(timer);
                }
                _ => {}
            }
        }
    }

    fn arm(&mut self, timer: Timer, after: Duration) {
        self.timers[timer as usize] = Some(self.now.saturating_add(after));
    }

    fn disarm(&mut self, timer: Timer) {
        self.timers[timer as usize] = None;
    }

    fn fire(&mut self, timer: Timer) {
        match timer {
            Timer::Open => {
                if self.state == State::Connecting {
                    self.transport_close = true;
                    self.enter_closed(super::close::ABNORMAL, "opening handshake timed out", false);
                }
            }
            Timer::Keepalive => self.keepalive_tick(),
            Timer::PongDeadline => {
                if self.state == State::Open {
                    let _ = self.fail(super::close::INTERNAL_ERROR, "keepalive ping timeout");
                }
            }
            Timer::Close => {
                if self.close_sent && self.close_received.is_some() {
                    // Client: the server did not close the stream in time.
                    let (code, reason) = self.close_received.clone().unwrap_or_default();
                    self.transport_close = true;
                    self.enter_closed(code, &reason, true);
                } else if self.state == State::Closing {
                    self.transport_close = true;
                    self.enter_closed(
                        super::close::ABNORMAL,
                        "timed out waiting for the peer's close frame",
                        false,
                    );
                }
            }
        }
    }

    fn keepalive_tick(&mut self) {
        let Some(interval) = self.config.keepalive_interval else {
            return;
        };
        if self.state != State::Open || self.close_sent {
            return;
        }
        if self.rx_activity || self.ping_outstanding {
            self.rx_activity = false;
            self.arm(Timer::Keepalive, interval);
            return;
        }
        self.keepalive_counter = self.keepalive_counter.wrapping_add(1);
        let payload = self.keepalive_counter.to_be_bytes();
        self.write_control(super::frame::OpCode::Ping, &payload);
        self.ping_outstanding = true;
        self.arm(Timer::PongDeadline, self.config.keepalive_timeout);
        self.arm(Timer::Keepalive, interval);
    }

    // ----- input: end of stream ------------------------------------------

    /// The transport's read side ended (the peer closed or half-closed it).
    pub fn receive_eof(&mut self) {
        self.reclaim();
        if self.failing {
            // The queued failure reports the end when it is polled.
            return;
        }
        match self.state {
            State::Closed => return,
            State::Connecting => {
                if opening::eof_during_opening(self) {
                    return;
                }
                self.enter_closed(
                    super::close::ABNORMAL,
                    "stream ended during the opening handshake",
                    false,
                );
            }
            State::Open => self.enter_closed(
                super::close::ABNORMAL,
                "stream ended without a close frame",
                false,
            ),
            State::Closing => match (&self.close_received, self.close_sent) {
                (Some((code, reason)), true) => {
                    let (code, reason) = (*code, reason.clone());
                    self.enter_closed(code, &reason, true);
                }
                _ => self.enter_closed(
                    super::close::ABNORMAL,
                    "stream ended during the closing handshake",
                    false,
                ),
            },
        }
        self.transport_close = true;
    }

    // ----- shared internals ----------------------------------------------

    fn push(&mut self, p: Pending) {
        self.pending.push_back(p);
    }

    /// Reports the end of the connection, once.
    fn enter_closed(&mut self, code: u16, reason: &str, clean: bool) {
        self.state = State::Closed;
        self.timers = [None; 4];
        self.rx.stop();
        if self.closed_reported {
            return;
        }
        self.closed_reported = true;
        self.push(Pending::Owned(Box::new(Owned::Closed {
            code,
            reason: reason.into(),
            clean,
        })));
    }

    /// _Fail the WebSocket Connection_ (RFC 6455 §7.1.7) because of the peer:
    /// send a Close frame with `code` when still allowed, ask for the
    /// transport to close, report [`Event::Closed`].
    ///
    /// Events already queued come first: the failure takes effect when the
    /// application polls past them, so it can still answer a message that
    /// arrived before the bad frame (an echo server echoes it, then closes).
    fn fail(&mut self, code: u16, reason: &'static str) -> Stop {
        self.rx.stop();
        if self.pending.is_empty() || self.state == State::Connecting {
            self.fail_now(code, reason);
        } else if !self.failing {
            self.failing = true;
            self.disarm(Timer::Keepalive);
            self.disarm(Timer::PongDeadline);
            self.pending.push_back(Pending::Fail { code, reason });
        }
        Stop
    }

    fn fail_now(&mut self, code: u16, reason: &str) {
        if !self.close_sent && matches!(self.state, State::Open | State::Closing) {
            self.write_close(code, reason);
        }
        self.transport_close = true;
        self.enter_closed(code, reason, false);
    }

    /// The peer's Close frame arrived (and was valid).
    fn on_close_received(&mut self, code: u16, reason: String) {
        self.close_received = Some((code, reason));
        self.rx.stop();
        if !self.close_sent {
            self.state = State::Closing;
            self.disarm(Timer::Keepalive);
            self.disarm(Timer::PongDeadline);
            if self.config.close_echo {
                // Echo the status code; a Close without one is answered in kind.
                let echo = if code == super::close::NO_STATUS {
                    None
                } else {
                    Some(code)
                };
                self.write_close_raw(echo, "");
            } else {
                return;
            }
        }
        self.closing_handshake_done();
    }

    /// Both Close frames have been exchanged.
    fn closing_handshake_done(&mut self) {
        let (code, reason) = self.close_received.clone().unwrap_or_default();
        match self.role {
            Role::Server => {
                self.transport_close = true;
                self.enter_closed(code, &reason, true);
            }
            Role::Client => {
                // RFC 6455 §7.1.1: the server closes the TCP connection first;
                // the client waits for that, but not forever.
                self.state = State::Closing;
                self.arm(Timer::Close, self.config.close_timeout);
            }
        }
    }

    fn check_writable(&mut self) {
        if self.write_blocked && self.buffered_amount() <= self.config.write_buffer_low {
            self.write_blocked = false;
            if self.state != State::Closed {
                self.push(Pending::Writable);
            }
        }
    }

    fn note_queued(&mut self) {
        if self.buffered_amount() > self.config.write_buffer_high {
            self.write_blocked = true;
        }
    }

    /// A Request event for the application (server).
    fn push_request(&mut self, r: Request) {
        self.push(Pending::Owned(Box::new(Owned::Request(r))));
    }

    fn push_accepted(&mut self, a: Accepted) {
        self.push(Pending::Owned(Box::new(Owned::Accepted(a))));
    }

    fn push_rejected(&mut self, r: Rejected) {
        self.push(Pending::Owned(Box::new(Owned::Rejected(r))));
    }

    /// The handshake is complete: start the open-state timers.
    fn opened(&mut self) {
        self.state = State::Open;
        self.disarm(Timer::Open);
        if let Some(i) = self.config.keepalive_interval {
            self.arm(Timer::Keepalive, i);
        }
    }
}
