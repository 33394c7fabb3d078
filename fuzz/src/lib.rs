//! Shared pieces of the fuzz targets: an owned copy of events, a checker of
//! the invariants every connection must keep whatever its peer sends, a small
//! reader for the byte-format targets, and a client/server pair wired back to
//! back in memory.
//!
//! The byte-format targets (`ws_handshake_*`, `ws_*_frames`) read their input
//! with [`Reader`] so that seeds can be written by hand: a few setup bytes,
//! then either raw stream bytes or a sequence of one-byte opcodes with their
//! arguments. The pair targets decode an `Arbitrary` structure instead.

pub mod frames;
pub mod tcp;

use wirestate::time::Instant;
use wirestate::ws::{
    ClientConfig, Config, Connection, DeflateConfig, Event, MessageKind, Request, State,
};

/// Extra bytes the connection may queue past `max_write_buffer` on its own:
/// a Close frame when it fails the connection, a keepalive Ping, the echo of
/// a Close. Everything the application asks for is checked against the limit.
pub const WRITE_SLACK: usize = 512;

/// An owned copy of an [`Event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ev {
    Request(Request),
    Accepted,
    Rejected(u16),
    Text(String),
    Binary(Vec<u8>),
    Chunk {
        kind: MessageKind,
        data: Vec<u8>,
        first: bool,
        last: bool,
    },
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    CloseReceived(u16, String),
    Closed {
        code: u16,
        reason: String,
        clean: bool,
    },
    Writable,
}

impl Ev {
    /// Copies an event out of the connection.
    pub fn from_event(e: Event<'_>) -> Ev {
        match e {
            Event::Request(r) => Ev::Request(r.clone()),
            Event::Accepted(_) => Ev::Accepted,
            Event::Rejected(r) => Ev::Rejected(r.status),
            Event::Text(t) => Ev::Text(t.to_owned()),
            Event::Binary(b) => Ev::Binary(b.to_vec()),
            Event::MessageChunk {
                kind,
                data,
                first,
                last,
                ..
            } => Ev::Chunk {
                kind,
                data: data.to_vec(),
                first,
                last,
            },
            Event::Ping(p) => Ev::Ping(p.to_vec()),
            Event::Pong(p) => Ev::Pong(p.to_vec()),
            Event::CloseReceived { code, reason } => Ev::CloseReceived(code, reason.to_owned()),
            Event::Closed {
                code,
                reason,
                clean,
            } => Ev::Closed {
                code,
                reason: reason.to_owned(),
                clean,
            },
            Event::Writable => Ev::Writable,
            other => panic!("event kind unknown to the fuzz harness: {other:?}"),
        }
    }
}

/// Checks the event stream and public state of one connection.
///
/// Invariants, whatever the peer sends:
/// - at most one `Closed`, and nothing after it;
/// - after `CloseReceived` no data or control events (only `Closed`/`Writable`);
/// - at most one handshake outcome (`Request`, `Accepted` or `Rejected`);
/// - a `Rejected` is followed by `Closed`;
/// - whole messages and the sum of a streamed message's chunks stay within
///   `max_message_size`; text chunks are valid UTF-8 and chunks of one message
///   are flagged first..last with one kind;
/// - control payloads are at most 125 bytes, close reasons at most 123;
/// - once the queue is drained: `state() == Closed` exactly when `Closed` was
///   reported, and then `should_close_transport()` is true.
#[derive(Debug)]
pub struct Watch {
    /// Which side, for messages.
    pub name: &'static str,
    max_message: usize,
    /// `Closed` has been reported.
    pub closed: Option<(u16, bool)>,
    /// `CloseReceived` has been reported.
    pub close_received: Option<u16>,
    handshake_outcomes: usize,
    rejected: bool,
    chunked: Option<(MessageKind, usize)>,
    /// Every event seen, in order.
    pub log: Vec<Ev>,
}

impl Watch {
    /// A checker for a connection with the given `max_message_size`.
    pub fn new(name: &'static str, max_message: usize) -> Watch {
        Watch {
            name,
            max_message,
            closed: None,
            close_received: None,
            handshake_outcomes: 0,
            rejected: false,
            chunked: None,
            log: Vec::new(),
        }
    }

    /// Drains every event, checking each; returns how many there were (they
    /// are appended to `log`), then checks the connection's state.
    pub fn drain(&mut self, c: &mut Connection) -> usize {
        let before = self.log.len();
        while let Some(e) = c.poll_event() {
            let ev = Ev::from_event(e);
            self.check_event(&ev);
            self.log.push(ev);
        }
        self.check_state(c);
        self.log.len() - before
    }

    fn check_event(&mut self, ev: &Ev) {
        let name = self.name;
        assert!(
            self.closed.is_none(),
            "{name}: event {ev:?} after Closed; log: {:?}",
            self.log
        );
        if self.rejected {
            assert!(
                matches!(ev, Ev::Closed { .. }),
                "{name}: Rejected followed by {ev:?}"
            );
        }
        if self.close_received.is_some() {
            assert!(
                matches!(ev, Ev::Closed { .. } | Ev::Writable),
                "{name}: {ev:?} after CloseReceived"
            );
        }
        match ev {
            Ev::Request(_) | Ev::Accepted => {
                self.handshake_outcomes += 1;
                assert_eq!(self.handshake_outcomes, 1, "{name}: second handshake outcome {ev:?}");
            }
            Ev::Rejected(status) => {
                self.handshake_outcomes += 1;
                assert_eq!(self.handshake_outcomes, 1, "{name}: second handshake outcome {ev:?}");
                assert_ne!(*status, 101, "{name}: Rejected with status 101");
                self.rejected = true;
            }
            Ev::Text(t) => self.whole_message(t.len()),
            Ev::Binary(b) => self.whole_message(b.len()),
            Ev::Chunk {
                kind,
                data,
                first,
                last,
            } => {
                if *kind == MessageKind::Text {
                    assert!(
                        std::str::from_utf8(data).is_ok(),
                        "{name}: text chunk is not valid UTF-8 on its own: {data:?}"
                    );
                }
                let total = match (self.chunked, *first) {
                    (None, true) => data.len(),
                    (Some((k, sofar)), false) => {
                        assert_eq!(k, *kind, "{name}: chunk kind changed inside a message");
                        sofar + data.len()
                    }
                    (None, false) => panic!("{name}: continuing chunk without a first one"),
                    (Some(_), true) => panic!("{name}: first chunk inside a chunked message"),
                };
                assert!(
                    total <= self.max_message,
                    "{name}: streamed message of {total} bytes passes max_message_size {}",
                    self.max_message
                );
                self.chunked = if *last { None } else { Some((*kind, total)) };
            }
            Ev::Ping(p) | Ev::Pong(p) => {
                assert!(p.len() <= 125, "{name}: control payload of {} bytes", p.len());
            }
            Ev::CloseReceived(code, reason) => {
                assert!(reason.len() <= 123, "{name}: close reason of {} bytes", reason.len());
                self.close_received = Some(*code);
            }
            Ev::Closed { code, clean, .. } => {
                self.closed = Some((*code, *clean));
            }
            Ev::Writable => {}
        }
    }

    fn whole_message(&self, len: usize) {
        let name = self.name;
        assert!(
            self.chunked.is_none(),
            "{name}: whole message inside a chunked one"
        );
        assert!(
            len <= self.max_message,
            "{name}: message of {len} bytes passes max_message_size {}",
            self.max_message
        );
    }

    /// The state invariants; call after draining every event.
    pub fn check_state(&self, c: &Connection) {
        let name = self.name;
        let closed = c.state() == State::Closed;
        if closed {
            assert!(
                c.should_close_transport(),
                "{name}: state Closed but should_close_transport() is false; log: {:?}",
                self.log
            );
        }
        assert_eq!(
            closed,
            self.closed.is_some(),
            "{name}: state {:?} disagrees with the events reported: {:?}",
            c.state(),
            self.log
        );
    }
}

/// Reads a fuzz input front to back; past the end it yields zeros and empty
/// slices, so every input is a valid program.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }

    /// Whether everything has been read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next byte, or 0.
    pub fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    /// The next two bytes, big-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }

    /// Up to `n` bytes.
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.data.len());
        let (a, b) = self.data.split_at(n);
        self.data = b;
        a
    }

    /// A length byte, then that many bytes.
    pub fn bytes8(&mut self) -> &'a [u8] {
        let n = self.u8() as usize;
        self.take(n)
    }

    /// Everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        let n = self.data.len();
        self.take(n)
    }
}

/// A tiny deterministic generator (xorshift) for split points.
#[derive(Debug, Clone)]
pub struct Splitter {
    state: u32,
    max: usize,
}

impl Splitter {
    /// Chunks of 1..=`max` bytes (the whole input at once when `max` is 0).
    pub fn new(seed: u8, max: u8) -> Self {
        Splitter {
            state: 0x9e37_79b9 ^ (u32::from(seed) << 8 | 1),
            max: max as usize,
        }
    }

    /// Splits `data` into chunks.
    pub fn chunks<'a>(&mut self, mut data: &'a [u8]) -> Vec<&'a [u8]> {
        let mut out = Vec::new();
        while !data.is_empty() {
            let n = if self.max == 0 {
                data.len()
            } else {
                self.state ^= self.state << 13;
                self.state ^= self.state >> 17;
                self.state ^= self.state << 5;
                1 + (self.state as usize % self.max)
            };
            let (a, b) = data.split_at(n.min(data.len()));
            out.push(a);
            data = b;
        }
        out
    }
}

/// permessage-deflate settings from two fuzz bytes: `flags` bit 0 and 1 are
/// the no_context_takeover flags (server, client), bits 2..6 the level, bit 6
/// a threshold of 16 bytes; `bits` holds the window sizes (9..=15) in its two
/// nibbles (server low, client high).
pub fn deflate_from(flags: u8, bits: u8) -> DeflateConfig {
    DeflateConfig {
        server_no_context_takeover: flags & 1 != 0,
        client_no_context_takeover: flags & 2 != 0,
        server_max_window_bits: 9 + (bits & 0x0f) % 7,
        client_max_window_bits: 9 + (bits >> 4) % 7,
        level: u32::from((flags >> 2) & 0x0f) % 10,
        threshold: if flags & 0x40 != 0 { 16 } else { 0 },
    }
}

/// One end of a [`Pair`].
#[derive(Debug)]
pub struct Peer {
    /// The connection.
    pub conn: Connection,
    /// Its checker.
    pub watch: Watch,
    /// The stream into this peer ended (end of stream delivered).
    pub eof: bool,
    /// The stream into this peer was cut: bytes sent to it are lost.
    pub cut: bool,
    /// This peer asked for its transport to close and everything it had
    /// queued was taken: it must not queue anything more.
    pub transport_closed: bool,
}

impl Peer {
    fn new(conn: Connection, name: &'static str, max_message: usize) -> Peer {
        Peer {
            conn,
            watch: Watch::new(name, max_message),
            eof: false,
            cut: false,
            transport_closed: false,
        }
    }

    /// Delivers end of stream to this peer (once).
    pub fn deliver_eof(&mut self) {
        if !self.eof {
            self.eof = true;
            self.conn.receive_eof();
        }
        self.watch.drain(&mut self.conn);
    }
}

/// Moves up to `max` bytes of `from`'s output into `to` (in one piece);
/// once `from` wants its transport closed and has nothing left to send, `to`
/// sees the end of the stream. Returns how many bytes moved.
pub fn transfer(from: &mut Peer, to: &mut Peer, max: usize) -> usize {
    assert!(
        !from.transport_closed || from.conn.buffered_amount() == 0,
        "{}: {} bytes queued after the transport was to be closed; log: {:?}",
        from.watch.name,
        from.conn.buffered_amount(),
        from.watch.log
    );
    let out = from.conn.pending_output();
    let n = out.len().min(max);
    if n > 0 {
        if !to.cut && !to.eof {
            let chunk = out[..n].to_vec();
            from.conn.consume_output(n);
            to.conn.receive_data(&chunk);
        } else {
            from.conn.consume_output(n);
        }
    }
    from.watch.drain(&mut from.conn);
    if from.conn.should_close_transport() && from.conn.buffered_amount() == 0 {
        from.transport_closed = true;
        if !to.eof {
            to.deliver_eof();
        }
    }
    to.watch.drain(&mut to.conn);
    n
}

/// A client and a server, wired back to back.
#[derive(Debug)]
pub struct Pair {
    /// The client.
    pub client: Peer,
    /// The server.
    pub server: Peer,
    /// The shared clock, in milliseconds.
    pub now_ms: u64,
}

impl Pair {
    /// Runs the opening handshake between a client with `client` settings and
    /// a server with `server` settings; the server accepts.
    pub fn open(client: ClientConfig, server: Config) -> Pair {
        let cmax = client.config.max_message_size;
        let smax = server.max_message_size;
        let c = Connection::client(client, [0x5a; 16]).expect("valid client config");
        let mut p = Pair {
            client: Peer::new(c, "client", cmax),
            server: Peer::new(Connection::server(server), "server", smax),
            now_ms: 0,
        };
        p.client.conn.handle_timeout(Instant::ZERO);
        p.server.conn.handle_timeout(Instant::ZERO);
        transfer(&mut p.client, &mut p.server, usize::MAX);
        assert!(
            matches!(p.server.watch.log.as_slice(), [Ev::Request(_)]),
            "server did not see the request: {:?}",
            p.server.watch.log
        );
        p.server.conn.accept(None, &[]).expect("accept after Request");
        transfer(&mut p.server, &mut p.client, usize::MAX);
        assert!(
            matches!(p.client.watch.log.as_slice(), [Ev::Accepted]),
            "client did not accept the response: {:?}",
            p.client.watch.log
        );
        assert_eq!(p.client.conn.state(), State::Open);
        assert_eq!(p.server.conn.state(), State::Open);
        assert_eq!(
            p.client.conn.is_compressed(),
            p.server.conn.is_compressed(),
            "the two ends disagree on permessage-deflate"
        );
        p
    }

    /// Both peers, `side` first (false: client, true: server).
    pub fn sides(&mut self, server_first: bool) -> (&mut Peer, &mut Peer) {
        if server_first {
            (&mut self.server, &mut self.client)
        } else {
            (&mut self.client, &mut self.server)
        }
    }

    /// Advances the clock on both ends.
    pub fn advance(&mut self, ms: u64) {
        self.now_ms = self.now_ms.saturating_add(ms);
        let now = Instant::from_millis(self.now_ms);
        for p in [&mut self.client, &mut self.server] {
            p.conn.handle_timeout(now);
            p.watch.drain(&mut p.conn);
        }
    }

    /// Moves bytes both ways until nothing moves (bounded).
    pub fn settle(&mut self) {
        for _ in 0..10_000 {
            let a = transfer(&mut self.client, &mut self.server, usize::MAX);
            let b = transfer(&mut self.server, &mut self.client, usize::MAX);
            if a == 0 && b == 0 {
                return;
            }
        }
        panic!("pair did not settle");
    }
}

/// A client configuration for `localhost/` with `config`.
pub fn client_config(config: Config) -> ClientConfig {
    let mut c = ClientConfig::new("localhost", "/fuzz");
    c.config = config;
    c
}

/// Prints an end's event log when `WIRESTATE_FUZZ_DEBUG` is set (for
/// looking at what a seed or a reproducer does).
pub fn debug_log(w: &Watch) {
    if std::env::var_os("WIRESTATE_FUZZ_DEBUG").is_some() {
        let short: Vec<String> = w
            .log
            .iter()
            .map(|e| match e {
                Ev::Request(r) => format!("Request({:?}, {:?})", r.path, r.extensions),
                other => format!("{other:?}"),
            })
            .collect();
        eprintln!("{}: [{}]", w.name, short.join(", "));
    }
}

/// Text for a close reason or message from fuzz bytes (invalid sequences
/// replaced).
pub fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
