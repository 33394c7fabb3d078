//! A small blocking driver for a `wirestate::ws::Connection` over a
//! `std::net::TcpStream`, shared by the WebSocket examples.
//!
//! The loop is the driving contract from the crate docs: write everything
//! the connection queued, hand its events to the application, wait for bytes
//! or the next timer, feed them in, repeat.
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant as StdInstant};

use wirestate::time::Instant;
use wirestate::ws::{Connection, Event, MessageKind};

/// An owned event, for handing out while the connection is used again.
#[derive(Debug)]
pub enum Owned {
    Request { path: String, extensions: usize },
    Accepted { compressed: bool },
    Rejected(u16),
    Message(MessageKind, Vec<u8>),
    Ping,
    Pong,
    CloseReceived(u16, String),
    Closed(u16, String, bool),
    Other,
}

fn own(e: Event<'_>) -> Owned {
    match e {
        Event::Request(r) => Owned::Request {
            path: r.path.clone(),
            extensions: r.extensions.len(),
        },
        Event::Accepted(_) => Owned::Accepted { compressed: false },
        Event::Rejected(r) => Owned::Rejected(r.status),
        Event::Text(t) => Owned::Message(MessageKind::Text, t.as_bytes().to_vec()),
        Event::Binary(b) => Owned::Message(MessageKind::Binary, b.to_vec()),
        Event::Ping(_) => Owned::Ping,
        Event::Pong(_) => Owned::Pong,
        Event::CloseReceived { code, reason } => Owned::CloseReceived(code, reason.to_owned()),
        Event::Closed {
            code,
            reason,
            clean,
        } => Owned::Closed(code, reason.to_owned(), clean),
        _ => Owned::Other,
    }
}

/// A connection bound to a socket.
pub struct Driver {
    pub stream: TcpStream,
    pub conn: Connection,
    epoch: StdInstant,
    buf: Vec<u8>,
    eof: bool,
}

impl Driver {
    pub fn new(stream: TcpStream, conn: Connection) -> Driver {
        let _ = stream.set_nodelay(true);
        let mut d = Driver {
            stream,
            conn,
            epoch: StdInstant::now(),
            buf: vec![0; 256 << 10],
            eof: false,
        };
        let now = d.now();
        d.conn.handle_timeout(now);
        d
    }

    /// The connection's clock: nanoseconds since this driver started.
    pub fn now(&self) -> Instant {
        Instant::from_nanos(self.epoch.elapsed().as_nanos() as u64)
    }

    /// Writes everything queued.
    pub fn flush(&mut self) -> io::Result<()> {
        while !self.conn.pending_output().is_empty() {
            let n = self.stream.write(self.conn.pending_output())?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            self.conn.consume_output(n);
        }
        Ok(())
    }

    /// The next event as an owned value. Handle each one before asking for
    /// the next: the connection may still accept an answer to it (say, an
    /// echo) even if a later frame breaks the protocol.
    pub fn next_event(&mut self) -> Option<Owned> {
        self.conn.poll_event().map(own)
    }

    /// Flushes, then waits for input or the next timer and feeds it in.
    /// Returns false once the transport is finished (closed by us or the peer).
    pub fn step(&mut self) -> io::Result<bool> {
        self.flush()?;
        if self.conn.should_close_transport() {
            let _ = self.stream.shutdown(Shutdown::Both);
            return Ok(false);
        }
        if self.eof {
            return Ok(false);
        }
        let timeout = self.conn.poll_timeout().map(|t| {
            let now = self.now();
            Duration::from_nanos(t.as_nanos().saturating_sub(now.as_nanos()))
                .max(Duration::from_millis(1))
        });
        self.stream.set_read_timeout(timeout)?;
        match self.stream.read(&mut self.buf) {
            Ok(0) => {
                self.eof = true;
                self.conn.receive_eof();
            }
            Ok(n) => self.conn.receive_data(&self.buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                self.eof = true;
                self.conn.receive_eof();
            }
            Err(e) => return Err(e),
        }
        let now = self.now();
        self.conn.handle_timeout(now);
        Ok(true)
    }
}

/// `ws://host:port/path` split into (host:port, host header, path).
pub fn parse_ws_url(url: &str) -> Result<(String, String, String), String> {
    let rest = url
        .strip_prefix("ws://")
        .ok_or_else(|| format!("only ws:// URLs are supported: {url}"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr = if authority.contains(':') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    Ok((addr, authority.to_string(), path.to_string()))
}

/// 16 bytes of seed for a client connection, from the OS via std's hasher keys
/// mixed with the time (examples avoid extra dependencies).
pub fn seed() -> [u8; 16] {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let mut out = [0u8; 16];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        let mut h = RandomState::new().build_hasher();
        h.write_usize(i);
        h.write_u128(StdInstant::now().elapsed().as_nanos());
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    out
}
