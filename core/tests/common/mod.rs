//! Helpers shared by the WebSocket integration tests: owned copies of events,
//! frame builders, and a client/server pair wired back to back in memory.
#![allow(dead_code)]

use wirestate::time::Instant;
use wirestate::ws::{
    Accepted, ClientConfig, Config, Connection, Event, MessageKind, Rejected, Request,
};

/// An owned copy of an [`Event`], so tests can collect and compare them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ev {
    Request(Request),
    Accepted(Accepted),
    Rejected(Rejected),
    Text(String),
    Binary(Vec<u8>),
    Chunk(MessageKind, Vec<u8>, bool, bool),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    CloseReceived(u16, String),
    Closed(u16, String, bool),
    Writable,
}

impl Ev {
    pub fn from(e: Event<'_>) -> Ev {
        match e {
            Event::Request(r) => Ev::Request(r.clone()),
            Event::Accepted(a) => Ev::Accepted(a.clone()),
            Event::Rejected(r) => Ev::Rejected(r.clone()),
            Event::Text(t) => Ev::Text(t.to_owned()),
            Event::Binary(b) => Ev::Binary(b.to_vec()),
            Event::MessageChunk {
                kind,
                data,
                first,
                last,
                ..
            } => Ev::Chunk(kind, data.to_vec(), first, last),
            Event::Ping(p) => Ev::Ping(p.to_vec()),
            Event::Pong(p) => Ev::Pong(p.to_vec()),
            Event::CloseReceived { code, reason } => Ev::CloseReceived(code, reason.to_owned()),
            Event::Closed {
                code,
                reason,
                clean,
            } => Ev::Closed(code, reason.to_owned(), clean),
            Event::Writable => Ev::Writable,
            _ => panic!("unknown event"),
        }
    }

    /// The close code of a `Closed` event.
    pub fn closed_code(&self) -> Option<u16> {
        match self {
            Ev::Closed(code, _, _) => Some(*code),
            _ => None,
        }
    }
}

/// Drains every event.
pub fn events(c: &mut Connection) -> Vec<Ev> {
    let mut v = Vec::new();
    while let Some(e) = c.poll_event() {
        v.push(Ev::from(e));
    }
    v
}

/// The last event, which must be `Closed`; returns its code.
pub fn closed_code(evs: &[Ev]) -> u16 {
    match evs.last() {
        Some(Ev::Closed(code, _, _)) => *code,
        other => panic!("expected Closed last, got {other:?} in {evs:?}"),
    }
}

pub const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A frame with the given first byte (FIN/RSV/opcode), optional mask.
pub fn frame(b0: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut v = vec![b0];
    let m = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n @ 0..=125 => v.push(m | n as u8),
        n @ 126..=65535 => {
            v.push(m | 126);
            v.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            v.push(m | 127);
            v.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    match mask {
        Some(k) => {
            v.extend_from_slice(&k);
            v.extend(payload.iter().enumerate().map(|(i, b)| b ^ k[i % 4]));
        }
        None => v.extend_from_slice(payload),
    }
    v
}

/// A masked frame, as a client sends.
pub fn cframe(b0: u8, payload: &[u8]) -> Vec<u8> {
    frame(b0, payload, Some(MASK))
}

/// An unmasked frame, as a server sends.
pub fn sframe(b0: u8, payload: &[u8]) -> Vec<u8> {
    frame(b0, payload, None)
}

/// A close payload.
pub fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut v = code.to_be_bytes().to_vec();
    v.extend_from_slice(reason.as_bytes());
    v
}

/// The RFC 6455 §1.3 example request, with extra header lines inserted.
pub fn request_with(extra: &str) -> Vec<u8> {
    format!(
        "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Origin: http://example.com\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
    .into_bytes()
}

/// A server that accepted the RFC example request (with `extra` headers).
pub fn open_server_with(config: Config, extra: &str) -> Connection {
    let mut s = Connection::server(config);
    s.receive_data(&request_with(extra));
    let evs = events(&mut s);
    assert!(matches!(evs.as_slice(), [Ev::Request(_)]), "{evs:?}");
    s.accept(None, &[]).unwrap();
    let resp = s.data_to_send();
    assert!(resp.starts_with(b"HTTP/1.1 101"));
    s
}

pub fn open_server(config: Config) -> Connection {
    open_server_with(config, "")
}

/// Parses the Sec-WebSocket-Key out of a client's request.
pub fn request_key(request: &[u8]) -> String {
    let text = std::str::from_utf8(request).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
        .unwrap()
        .trim()
        .to_owned()
}

/// A client fed a valid 101 (plus `extra` response header lines).
pub fn open_client_with(config: Config, extra: &str) -> Connection {
    let mut cfg = ClientConfig::new("server.example.com", "/chat");
    cfg.config = config;
    let mut c = Connection::client(cfg, [9; 16]).unwrap();
    let req = c.data_to_send();
    let key = request_key(&req);
    let resp = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n{extra}\r\n",
        wirestate::ws::accept_key(key.as_bytes())
    );
    c.receive_data(resp.as_bytes());
    let evs = events(&mut c);
    assert!(matches!(evs.as_slice(), [Ev::Accepted(_)]), "{evs:?}");
    c
}

pub fn open_client(config: Config) -> Connection {
    open_client_with(config, "")
}

/// A client and a server wired back to back in memory.
pub struct Pair {
    pub client: Connection,
    pub server: Connection,
    pub client_events: Vec<Ev>,
    pub server_events: Vec<Ev>,
    pub now: Instant,
}

impl Pair {
    /// Runs the handshake; the server accepts with `accept_protocol`.
    pub fn new(client: ClientConfig, server: Config) -> Pair {
        let mut p = Pair {
            client: Connection::client(client, [3; 16]).unwrap(),
            server: Connection::server(server),
            client_events: Vec::new(),
            server_events: Vec::new(),
            now: Instant::ZERO,
        };
        p.drive();
        assert!(
            matches!(p.server_events.first(), Some(Ev::Request(_))),
            "{:?}",
            p.server_events
        );
        p.server.accept(None, &[]).unwrap();
        p.drive();
        assert!(
            matches!(p.client_events.last(), Some(Ev::Accepted(_))),
            "{:?}",
            p.client_events
        );
        p.client_events.clear();
        p.server_events.clear();
        p
    }

    /// Default settings on both ends, compression offered and accepted when `deflate`.
    pub fn with_compression(deflate: bool) -> Pair {
        let mut c = ClientConfig::new("localhost", "/");
        let mut s = Config::default();
        if deflate {
            c.config.compression = Some(Default::default());
            s.compression = Some(Default::default());
        }
        Pair::new(c, s)
    }

    /// Moves bytes both ways (and end-of-stream when a side asks for the
    /// transport to close) until nothing moves.
    pub fn drive(&mut self) {
        for _ in 0..1000 {
            let a = self.client.data_to_send();
            let b = self.server.data_to_send();
            if !a.is_empty() {
                self.server.receive_data(&a);
            }
            if !b.is_empty() {
                self.client.receive_data(&b);
            }
            self.client_events.extend(events(&mut self.client));
            self.server_events.extend(events(&mut self.server));
            if a.is_empty() && b.is_empty() {
                return;
            }
        }
        panic!("pair did not settle");
    }
}
