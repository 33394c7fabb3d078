//! The endpoint: every TCP connection of one host (or one TUN device, or one
//! simulated node), demultiplexed by 4-tuple, plus the listeners.
//!
//! It takes whole IP packets (or bare segments with their addresses), routes
//! each to its connection, opens connections for SYNs that reach a
//! listener, answers segments for no connection with a RST (RFC 9293
//! §3.10.7.1), and produces full IP packets. Timers of all connections are
//! kept in one heap, and compacted TIME-WAIT records in a queue by expiry,
//! so [`Endpoint::poll_timeout`] stays cheap however many connections there
//! are.
//!
//! # Driving it
//!
//! 1. **getters** — [`state`](Endpoint::state), [`stats`](Endpoint::stats),
//!    [`connection`](Endpoint::connection), [`len`](Endpoint::len);
//! 2. **input** — [`handle_packet`](Endpoint::handle_packet),
//!    [`handle_segment`](Endpoint::handle_segment),
//!    [`handle_timeout`](Endpoint::handle_timeout);
//! 3. **application calls** — [`listen`](Endpoint::listen),
//!    [`connect`](Endpoint::connect), [`send`](Endpoint::send),
//!    [`recv`](Endpoint::recv), [`close`](Endpoint::close),
//!    [`abort`](Endpoint::abort);
//! 4. **output** — [`poll_transmit`](Endpoint::poll_transmit) (or
//!    [`poll_transmit_segment`](Endpoint::poll_transmit_segment)),
//!    [`poll_event`](Endpoint::poll_event),
//!    [`poll_timeout`](Endpoint::poll_timeout).
//!
//! A listener's connections appear with [`Event::Incoming`] once their
//! handshake completes (they are accepted automatically); until then they
//! are invisible to the application and count against the listener's SYN
//! queue. Connections whose `Incoming` event has not been polled yet count
//! against its accept backlog. A SYN that finds either full is dropped.

#[cfg(test)]
mod deadline_tests;
mod entry;
mod fifo;
mod maps;
mod output;
mod schedule;
#[cfg(all(test, feature = "sim"))]
mod sim_tests;
mod slab;
#[cfg(test)]
mod tests;
mod time_wait;

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::net::{IpAddr, SocketAddr};

use super::addr::{AddrPair, plain};
use super::config::{Config, ConfigError, EndpointConfig};
use super::connection::ts_clock;
use super::connection::{CloseError, Connection, Event, SendError, State, Stats};
use super::isn::IsnGenerator;
use super::seq::SeqNumber;
use super::syn_cookie::{CookieOptions, SynCookies};
use crate::time::Instant;
use crate::wire::{ChecksumMode, IpProtocol, IpRepr, Ipv4Packet, Ipv4Repr, TcpFlags, TcpRepr};
use entry::{Entry, HalfOpenOf};
use fifo::IdQueue;
use maps::{Held, PairOf, TupleHash, Tuples, Vacant};
use schedule::{Deadline, Schedule};
use slab::Slab;
pub(crate) use time_wait::TimeWait as TimeWaitRecord;
use time_wait::TimeWaits;

/// Identifies a connection of an [`Endpoint`]. Never reused: no two
/// connections of one endpoint ever have the same id.
///
/// The number is opaque; it is not a count of connections and need not
/// grow from one connection to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u64);

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Local misuse of an [`Endpoint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EndpointError {
    /// No such connection (never existed, or closed and removed).
    UnknownConnection,
    /// The address or 4-tuple is already in use.
    AddressInUse,
    /// Port zero, or local and remote addresses of different families.
    InvalidAddress,
    /// The connection is closed for sending (or already closing).
    Closed,
}

impl fmt::Display for EndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EndpointError::UnknownConnection => "unknown connection",
            EndpointError::AddressInUse => "address already in use",
            EndpointError::InvalidAddress => "invalid address",
            EndpointError::Closed => "connection closed for sending",
        })
    }
}

#[cfg(feature = "std")]
impl std::error::Error for EndpointError {}

impl From<SendError> for EndpointError {
    fn from(_: SendError) -> Self {
        EndpointError::Closed
    }
}

impl From<CloseError> for EndpointError {
    fn from(_: CloseError) -> Self {
        EndpointError::Closed
    }
}

/// What [`Endpoint::poll_transmit`] wrote: `len` bytes from `src` to `dst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "the packet must be sent"]
pub struct Transmit {
    /// Bytes written at the start of the buffer.
    pub len: usize,
    /// Source address and port.
    pub src: SocketAddr,
    /// Destination address and port.
    pub dst: SocketAddr,
}

#[derive(Debug)]
struct Listener {
    addr: SocketAddr,
    half_open: usize,
    unaccepted: usize,
}

/// A segment the endpoint sends on no connection's behalf: a RST for a
/// stray segment, or a SYN-ACK carrying a SYN cookie.
#[derive(Debug, Clone, Copy)]
struct Stateless {
    local: SocketAddr,
    remote: SocketAddr,
    seq: SeqNumber,
    ack: Option<SeqNumber>,
    flags: TcpFlags,
    window: u16,
    mss: Option<u16>,
    ts: Option<(u32, u32)>,
    window_scale: Option<u8>,
    sack_permitted: bool,
}

/// The hop limit / TTL of packets the endpoint builds.
const HOP_LIMIT: u8 = 64;
/// Stateless segments (RSTs, cookie SYN-ACKs) waiting to go out, at most.
const MAX_PENDING_STATELESS: usize = 256;

/// Many TCP connections behind one set of addresses. See the
/// [module documentation](self).
#[derive(Debug)]
pub struct Endpoint {
    config: Arc<Config>,
    endpoint: EndpointConfig,
    isn: IsnGenerator,
    cookies: SynCookies,
    conns: Slab<Entry>,
    /// Connections in TIME-WAIT, compacted.
    time_wait: TimeWaits,
    by_tuple: Tuples,
    listeners: Vec<Listener>,
    schedule: Schedule,
    dirty: IdQueue,
    stateless: VecDeque<Stateless>,
    events: VecDeque<(ConnId, Event)>,
}

impl Endpoint {
    /// An endpoint with `config`, drawing ISNs from `secret` (16 random
    /// bytes, RFC 6528). Fails if the configuration cannot work.
    pub fn new(config: EndpointConfig, secret: [u8; 16]) -> Result<Endpoint, ConfigError> {
        config.connection.validate()?;
        Ok(Endpoint {
            config: Arc::new(config.connection.clone()),
            endpoint: config,
            isn: IsnGenerator::new(secret),
            // A key of its own for cookies, derived from the secret.
            cookies: SynCookies::new(secret.map(|b| b.rotate_left(3) ^ 0x5c)),
            conns: Slab::default(),
            time_wait: TimeWaits::default(),
            // Another key of its own, for the table peers can aim at.
            by_tuple: Tuples::new(TupleHash::new(secret.map(|b| b.rotate_left(5) ^ 0xa3))),
            listeners: Vec::new(),
            schedule: Schedule::default(),
            dirty: IdQueue::default(),
            stateless: VecDeque::new(),
            events: VecDeque::new(),
        })
    }

    // ----- getters -------------------------------------------------------

    /// How many connections exist (TIME-WAIT included).
    pub fn len(&self) -> usize {
        self.conns.len() + self.time_wait.len()
    }

    /// Whether there are no connections.
    pub fn is_empty(&self) -> bool {
        self.conns.is_empty() && self.time_wait.is_empty()
    }

    /// A connection's RFC 9293 state, while it exists.
    pub fn state(&self, id: ConnId) -> Option<State> {
        match self.conns.get(id) {
            Some(e) => Some(e.conn.state()),
            None => self.time_wait.get(id).map(|_| State::TimeWait),
        }
    }

    /// A connection's statistics, while it exists (not once compacted in
    /// TIME-WAIT).
    pub fn stats(&self, id: ConnId) -> Option<Stats> {
        self.conns.get(id).map(|e| e.conn.stats())
    }

    /// Read access to a connection (estimates, windows, addresses); `None`
    /// once it is gone or compacted in TIME-WAIT.
    pub fn connection(&self, id: ConnId) -> Option<&Connection> {
        self.conns.get(id).map(|e| &e.conn)
    }

    fn checksums(&self) -> ChecksumMode {
        if self.config.checksum_offload {
            ChecksumMode::OFFLOADED
        } else {
            ChecksumMode::FULL
        }
    }

    // ----- application calls ---------------------------------------------

    /// Accepts connections to `addr`. An unspecified IP (`0.0.0.0`, `::`)
    /// listens on every address of that family.
    pub fn listen(&mut self, addr: SocketAddr) -> Result<(), EndpointError> {
        let addr = plain(addr);
        if addr.port() == 0 {
            return Err(EndpointError::InvalidAddress);
        }
        if self.listeners.iter().any(|l| l.addr == addr) {
            return Err(EndpointError::AddressInUse);
        }
        self.listeners.push(Listener {
            addr,
            half_open: 0,
            unaccepted: 0,
        });
        Ok(())
    }

    /// Stops accepting connections to `addr`; existing ones are untouched.
    /// Returns whether there was such a listener.
    pub fn unlisten(&mut self, addr: SocketAddr) -> bool {
        let addr = plain(addr);
        let before = self.listeners.len();
        self.listeners.retain(|l| l.addr != addr);
        before != self.listeners.len()
    }

    /// Opens a connection from `local` to `remote`; its SYN goes out at the
    /// next `poll_transmit`.
    ///
    /// IPv6 flow labels and scope ids are dropped (see
    /// [`addr::plain`](crate::tcp::addr::plain)): segments do not carry them,
    /// so they cannot tell connections apart.
    pub fn connect(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> Result<ConnId, EndpointError> {
        let (local, remote) = (plain(local), plain(remote));
        if local.port() == 0 || remote.port() == 0 || local.is_ipv4() != remote.is_ipv4() {
            return Err(EndpointError::InvalidAddress);
        }
        let (tuples, pairs) = self.tuples();
        let Err(vacant) = tuples.get(&pairs, &AddrPair::new(local, remote)) else {
            return Err(EndpointError::AddressInUse);
        };
        let iss = self.isn.generate(now, local, remote);
        let config = self.config.clone();
        let conn = || Connection::connect(now, config, local, remote, iss);
        Ok(self.insert(conn, vacant, None, false))
    }

    /// Queues data on a connection; returns how much was taken.
    pub fn send(&mut self, id: ConnId, data: &[u8]) -> Result<usize, EndpointError> {
        let entry = self
            .conns
            .get_mut(id)
            .ok_or(EndpointError::UnknownConnection)?;
        let n = entry.conn.send(data)?;
        self.touch(id);
        Ok(n)
    }

    /// Reads received data; zero means nothing now (see
    /// [`Connection::is_read_finished`] for the end of the stream).
    pub fn recv(&mut self, id: ConnId, buf: &mut [u8]) -> Result<usize, EndpointError> {
        let entry = self
            .conns
            .get_mut(id)
            .ok_or(EndpointError::UnknownConnection)?;
        let n = entry.conn.recv(buf);
        self.touch(id);
        Ok(n)
    }

    /// Closes our direction of a connection (FIN after the data).
    pub fn close(&mut self, id: ConnId, now: Instant) -> Result<(), EndpointError> {
        let entry = self
            .conns
            .get_mut(id)
            .ok_or(EndpointError::UnknownConnection)?;
        entry.conn.close(now)?;
        self.touch(id);
        Ok(())
    }

    /// Resets a connection (RST) and forgets it.
    pub fn abort(&mut self, id: ConnId, now: Instant) -> Result<(), EndpointError> {
        let entry = self
            .conns
            .get_mut(id)
            .ok_or(EndpointError::UnknownConnection)?;
        entry.conn.abort(now);
        self.touch(id);
        Ok(())
    }

    // ----- input ---------------------------------------------------------

    /// Processes one IPv4 or IPv6 packet. Anything that is not a valid TCP
    /// segment (bad checksum, fragment, other protocol) is dropped.
    pub fn handle_packet(&mut self, now: Instant, packet: &[u8]) {
        if packet.first().map(|b| b >> 4) == Some(4) {
            // IPv4 straight, without the version-neutral IpRepr that
            // carries IPv6 addresses.
            let Ok(p) = Ipv4Packet::new_checked(packet) else {
                return;
            };
            if let Ok(ip) = Ipv4Repr::parse(&p, self.checksums())
                && ip.protocol == IpProtocol::TCP
            {
                let (src, dst) = (IpAddr::V4(ip.src_addr), IpAddr::V4(ip.dst_addr));
                self.segment(now, src, dst, p.into_payload());
            }
            return;
        }
        let Ok((ip, payload)) = IpRepr::parse(packet, self.checksums()) else {
            return;
        };
        if ip.protocol() == IpProtocol::TCP {
            self.handle_segment(now, ip.src_addr(), ip.dst_addr(), payload);
        }
    }

    /// Processes one TCP segment that travelled from `src` to `dst`.
    pub fn handle_segment(
        &mut self,
        now: Instant,
        src: core::net::IpAddr,
        dst: core::net::IpAddr,
        segment: &[u8],
    ) {
        self.segment(now, src, dst, segment);
    }

    /// [`handle_segment`](Self::handle_segment), inlined into the IPv4 path
    /// of `handle_packet`: there the addresses are built from the header
    /// just read, and passing them by reference made the first load of each
    /// (16 bytes over the 1-byte tag and 4-byte address just stored) wait
    /// for those stores to reach the cache.
    #[inline(always)]
    fn segment(&mut self, now: Instant, src: IpAddr, dst: IpAddr, segment: &[u8]) {
        // Borrowed where it was parsed, not moved out (a repr is ~100 bytes).
        let parsed = TcpRepr::parse_segment(segment, src, dst, self.checksums());
        let Ok(seg) = &parsed else {
            return;
        };
        let (tuples, pairs) = self.tuples();
        let vacant = match tuples.get_parts(&pairs, dst, seg.dst_port, src, seg.src_port) {
            Ok(Held::Live(id)) => {
                if let Some(entry) = self.conns.get_mut(id) {
                    entry.conn.handle_segment(now, seg);
                    self.touch(id);
                }
                return;
            }
            Ok(Held::Waiting(ticket)) => {
                self.time_wait_segment(now, ticket, seg);
                return;
            }
            Err(vacant) => vacant,
        };
        let local = SocketAddr::new(dst, seg.dst_port);
        let remote = SocketAddr::new(src, seg.src_port);
        let flags = seg.flags;
        if let Some(index) = self.listener_for(local) {
            if flags.contains(TcpFlags::SYN) && !flags.intersects(TcpFlags::ACK | TcpFlags::RST) {
                self.on_syn(now, index, (local, remote, vacant), seg);
                return;
            }
            let bare_ack = flags.contains(TcpFlags::ACK)
                && !flags.intersects(TcpFlags::SYN | TcpFlags::RST | TcpFlags::FIN);
            if bare_ack
                && self.endpoint.syn_cookies
                && self.on_cookie_ack(now, index, (local, remote, vacant), seg)
            {
                return;
            }
        }
        self.reset_unknown(local, remote, seg);
    }

    /// A SYN for a listener: admit it unless its queues are full.
    fn on_syn(
        &mut self,
        now: Instant,
        index: usize,
        (local, remote, vacant): (SocketAddr, SocketAddr, Vacant),
        seg: &TcpRepr<'_>,
    ) {
        let listener = &mut self.listeners[index];
        if listener.unaccepted >= self.endpoint.accept_backlog {
            // The application is not keeping up: let the peer retry.
            return;
        }
        if listener.half_open >= self.endpoint.syn_queue {
            if self.endpoint.syn_cookies && self.stateless.len() < MAX_PENDING_STATELESS {
                // Answer without state; the ACK will bring it back.
                let peer_isn = SeqNumber::new(seg.seq);
                let mss = self.config.mss(local.is_ipv6());
                let peer_mss = seg.mss.unwrap_or(if local.is_ipv6() { 1220 } else { 536 });
                let cookie = self.cookies.encode(now, local, remote, peer_isn, peer_mss);
                // With timestamps the other options ride in our TSval; the
                // connection made from the cookie uses the same clock.
                let kept = match seg.timestamp {
                    Some((peer_tsval, _)) if self.config.timestamps => {
                        let opts = CookieOptions {
                            window_shift: seg.window_scale.filter(|_| self.config.window_scaling),
                            sack: seg.sack_permitted && self.config.sack,
                        };
                        let clock = ts_clock(now, Connection::ts_offset_for(cookie));
                        Some((opts, (opts.encode_tsval(clock), peer_tsval)))
                    }
                    _ => None,
                };
                let opts = kept.map(|(o, _)| o).unwrap_or_default();
                self.stateless.push_back(Stateless {
                    local,
                    remote,
                    seq: cookie,
                    ack: Some(peer_isn + 1u32),
                    flags: TcpFlags::SYN | TcpFlags::ACK,
                    window: self.config.recv_buffer.min(0xffff) as u16,
                    mss: Some(mss),
                    ts: kept.map(|(_, ts)| ts),
                    window_scale: opts.window_shift.map(|_| self.config.window_scale()),
                    sack_permitted: opts.sack,
                });
            }
            return;
        }
        listener.half_open += 1;
        let listener_addr = listener.addr;
        let iss = self.isn.generate(now, local, remote);
        let config = self.config.clone();
        let conn = || Connection::accept(now, config, local, remote, iss, seg);
        self.insert(conn, vacant, Some(listener_addr), true);
    }

    /// An ACK for no connection, at a listener: if it returns a valid SYN
    /// cookie, the connection is created right away. Returns whether it did.
    fn on_cookie_ack(
        &mut self,
        now: Instant,
        index: usize,
        (local, remote, vacant): (SocketAddr, SocketAddr, Vacant),
        seg: &TcpRepr<'_>,
    ) -> bool {
        let (seq, ack) = (SeqNumber::new(seg.seq), SeqNumber::new(seg.ack));
        let Some(peer_mss) = self.cookies.decode(now, local, remote, seq, ack) else {
            return false;
        };
        let listener = &mut self.listeners[index];
        if listener.unaccepted >= self.endpoint.accept_backlog {
            // Valid, but no room: drop it; the peer's next segment brings
            // the cookie back again.
            return true;
        }
        // Counted as half-open until `touch` announces it.
        listener.half_open += 1;
        let listener_addr = listener.addr;
        let kept = match seg.timestamp {
            Some((tsval, tsecr)) if self.config.timestamps => {
                Some((CookieOptions::decode_tsecr(tsecr), tsval))
            }
            _ => None,
        };
        let config = self.config.clone();
        let conn = || Connection::from_cookie(now, config, local, remote, peer_mss, kept, seg);
        let id = self.insert(conn, vacant, Some(listener_addr), true);
        if let Some(entry) = self.conns.get_mut(id) {
            // The ACK may carry data already.
            entry.conn.handle_segment(now, seg);
        }
        self.touch(id);
        true
    }

    fn listener_for(&self, local: SocketAddr) -> Option<usize> {
        let exact = self.listeners.iter().position(|l| l.addr == local);
        exact.or_else(|| {
            self.listeners.iter().position(|l| {
                l.addr.port() == local.port()
                    && l.addr.ip().is_unspecified()
                    && l.addr.is_ipv4() == local.is_ipv4()
            })
        })
    }

    /// RFC 9293 §3.10.7.1: a segment for no connection gets a RST, unless
    /// it is one. With an ACK the RST takes its sequence number from it;
    /// otherwise it acknowledges the segment.
    fn reset_unknown(&mut self, local: SocketAddr, remote: SocketAddr, seg: &TcpRepr<'_>) {
        if !self.endpoint.reset_unknown
            || seg.flags.contains(TcpFlags::RST)
            || self.stateless.len() >= MAX_PENDING_STATELESS
        {
            return;
        }
        let (seq, ack) = if seg.flags.contains(TcpFlags::ACK) {
            (SeqNumber::new(seg.ack), None)
        } else {
            (
                SeqNumber::new(0),
                Some(SeqNumber::new(seg.seq) + seg.segment_len()),
            )
        };
        let mut flags = TcpFlags::RST;
        if ack.is_some() {
            flags.insert(TcpFlags::ACK);
        }
        self.stateless.push_back(Stateless {
            local,
            remote,
            seq,
            ack,
            flags,
            window: 0,
            mss: None,
            ts: None,
            window_scale: None,
            sack_permitted: false,
        });
    }

    /// Runs the timers that are due.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.settle_deadlines();
        while let Some(id) = self.schedule.pop_due(&mut self.conns, now) {
            // The schedule cleared this connection's deadline; `touch`
            // queues it, and its next one is recorded from the queue.
            if let Some(entry) = self.conns.get_mut(id) {
                entry.conn.handle_timeout(now);
                self.touch(id);
            }
        }
        self.expire_time_waits(now);
    }

    // ----- output --------------------------------------------------------

    /// The next event and the connection it concerns.
    pub fn poll_event(&mut self) -> Option<(ConnId, Event)> {
        let (id, event) = self.events.pop_front()?;
        if let Event::Incoming { .. } = event {
            self.incoming_polled(id);
        }
        Some((id, event))
    }

    /// `id`'s `Incoming` event reached the application: it no longer
    /// counts against its listener's accept backlog. Out of line, so that
    /// polling the other events stays light.
    #[inline(never)]
    fn incoming_polled(&mut self, id: ConnId) {
        if let Some(local) = self.conns.get(id).map(|e| e.conn.local())
            && let Some(index) = self.listener_for(local)
        {
            let l = &mut self.listeners[index];
            l.unaccepted = l.unaccepted.saturating_sub(1);
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    ///
    /// Takes `&mut self` because it discards stale entries of its heap.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        self.settle_deadlines();
        match (self.schedule.next(&mut self.conns), self.next_time_wait()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Writes the next IP packet to send into `buf`. Call until `None`.
    /// `buf` should hold the MTU.
    #[inline]
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if self.stateless.is_empty() && self.dirty.is_empty() {
            // The call that ends every drain finds nothing: inlined into the
            // caller, it costs a few instructions instead of the output
            // path's entry and exit (`transmit` is out of line).
            return None;
        }
        self.transmit(now, buf, true)
    }

    /// Like [`poll_transmit`](Self::poll_transmit), but writes a bare TCP
    /// segment (for callers that build IP headers themselves).
    #[inline]
    pub fn poll_transmit_segment(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if self.stateless.is_empty() && self.dirty.is_empty() {
            return None;
        }
        self.transmit(now, buf, false)
    }

    // ----- bookkeeping ---------------------------------------------------

    /// Adds `conn`, whose address pair `by_tuple` just did not find.
    ///
    /// `conn` makes the connection right in its slot, which spares copying
    /// a whole connection (over 400 bytes) through the stack.
    fn insert(
        &mut self,
        conn: impl FnOnce() -> Connection,
        vacant: Vacant,
        listener: Option<SocketAddr>,
        passive: bool,
    ) -> ConnId {
        let half_open_of = listener.map_or(HalfOpenOf::Nobody, HalfOpenOf::of);
        let id = self.conns.insert_with(|| Entry {
            conn: conn(),
            dirty: false,
            half_open_of,
            announced: !passive,
            timer: Deadline::default(),
        });
        let (tuples, pairs) = self.tuples();
        tuples.insert(&pairs, vacant, id);
        self.touch(id);
        id
    }

    /// The table of address pairs, with what it needs to read the pairs
    /// of the ids it holds.
    #[inline]
    fn tuples(&mut self) -> (&mut Tuples, Pairs<'_>) {
        let pairs = Pairs {
            conns: &self.conns,
            time_wait: &self.time_wait,
        };
        (&mut self.by_tuple, pairs)
    }

    /// Records the deadlines of the connections in the output queue, which
    /// may have moved since they joined it: before the schedule is read.
    fn settle_deadlines(&mut self) {
        for &id in self.dirty.as_slice() {
            if let Some(entry) = self.conns.get_mut(id) {
                entry.reschedule(&mut self.schedule, id);
            }
        }
        self.schedule.tidy(&mut self.conns);
    }

    /// After anything happened to a connection: collect its events and
    /// queue it for output if it may have any. Its deadline is recorded
    /// when it leaves the output queue, or before the schedule is read if
    /// that comes first (`settle_deadlines`), not after every segment and
    /// call: a connection's timers change with nearly every one, and a
    /// burst of segments then costs one update. A connection with nothing
    /// to send (a third of the segments of a short connection need no
    /// answer) is not queued, unless it ended: its deadline is recorded
    /// right here.
    fn touch(&mut self, id: ConnId) {
        let Some(entry) = self.conns.get_mut(id) else {
            return;
        };
        while let Some(event) = entry.conn.poll_event() {
            match event {
                Event::Connected if !entry.announced => {
                    // A listener's connection completed its handshake.
                    entry.announced = true;
                    let half_open_of =
                        core::mem::replace(&mut entry.half_open_of, HalfOpenOf::Nobody);
                    if let Some(addr) = half_open_of.addr(entry.conn.local())
                        && let Some(l) = self.listeners.iter_mut().find(|l| l.addr == addr)
                    {
                        l.half_open = l.half_open.saturating_sub(1);
                        l.unaccepted += 1;
                    }
                    let remote = entry.conn.remote();
                    self.events.push_back((id, Event::Incoming { remote }));
                }
                // The application never heard of a connection that died in
                // the handshake: nothing to tell.
                _ if !entry.announced => {}
                event => self.events.push_back((id, event)),
            }
        }
        if entry.dirty {
            return;
        }
        if entry.conn.may_transmit() || output::ended(&entry.conn) {
            // An ended connection is queued too: it is let go as it leaves
            // the queue, at the next `poll_transmit`, so that until then
            // the application can still read its state and counters.
            entry.dirty = true;
            self.dirty.push_back(id);
            return;
        }
        // Nothing to send (a segment that needs no answer): its deadline
        // is recorded now, as leaving the queue would.
        entry.reschedule(&mut self.schedule, id);
        self.schedule.tidy(&mut self.conns);
    }

    /// After a connection's output was drained: drop it once it is closed
    /// and nothing is left to read.
    fn after_output(&mut self, id: ConnId) {
        let Some(entry) = self.conns.get(id) else {
            return;
        };
        if entry.conn.state() == State::TimeWait {
            self.compact_time_wait(id);
            return;
        }
        if !entry.conn.is_closed() || entry.conn.readable() > 0 {
            return;
        }
        let (local, remote) = (entry.conn.local(), entry.conn.remote());
        if let Some(addr) = entry.half_open_of.addr(local)
            && let Some(l) = self.listeners.iter_mut().find(|l| l.addr == addr)
        {
            l.half_open = l.half_open.saturating_sub(1);
        }
        if let Some(entry) = self.conns.get_mut(id) {
            self.schedule.forget(&mut entry.timer);
        }
        self.conns.remove(id);
        self.by_tuple.remove(id, &AddrPair::new(local, remote));
    }
}

/// The address pairs of what [`Tuples`] holds: a live connection's from
/// the slab, a compacted one's from its TIME-WAIT record, by ticket.
struct Pairs<'a> {
    conns: &'a Slab<Entry>,
    time_wait: &'a TimeWaits,
}

impl PairOf for Pairs<'_> {
    #[inline]
    fn pair_of(&self, held: Held) -> Option<&AddrPair> {
        match held {
            Held::Live(id) => self.conns.get(id).map(|e| e.conn.addr_pair()),
            Held::Waiting(ticket) => self.time_wait.pair(ticket),
        }
    }

    #[inline]
    fn expired(&self, ticket: u64) -> bool {
        ticket < self.time_wait.first()
    }
}
