//! Differential: a streaming server that assembles messages itself, taking
//! large binary payloads through `receive_data_into` (as the Python binding
//! does), must produce exactly the messages and the close code of an
//! ordinary server fed the same bytes in the same pieces.
//!
//! Input: the first two bytes pick the read sizes (cycled), the rest is what
//! arrives after a valid handshake.
#![no_main]

use std::mem::MaybeUninit;

use libfuzzer_sys::fuzz_target;
use wirestate::ws::{Config, Connection, Event, MessageKind};

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: fuzz\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Version: 13\r\n\r\n";

#[derive(Debug, PartialEq, Eq)]
enum Msg {
    Text(Vec<u8>),
    Binary(Vec<u8>),
    Closed(u16),
}

fn server(streaming: bool) -> Connection {
    let mut s = Connection::server(Config {
        streaming,
        max_message_size: 1 << 16,
        max_frame_size: 1 << 16,
        ..Config::default()
    });
    s.receive_data(REQUEST);
    while s.poll_event().is_some() {}
    s.accept(None, &[]).expect("accept");
    s
}

/// The message being put together: kind, bytes gathered, and the buffer of
/// the announced size with how much of it is written.
struct Assembly {
    kind: MessageKind,
    gathered: Vec<u8>,
    buf: Vec<MaybeUninit<u8>>,
    filled: usize,
    in_buf: bool,
}

fn read_buf(buf: &[MaybeUninit<u8>], n: usize) -> Vec<u8> {
    // SAFETY: the buffers start zeroed, so every byte is initialised.
    buf[..n].iter().map(|b| unsafe { b.assume_init() }).collect()
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let sizes = [1 + data[0] as usize * 3, 1 + data[1] as usize * 257];
    let wire = &data[2..];
    let mut plain = server(false);
    let mut direct = server(true);
    let (mut want, mut got) = (Vec::new(), Vec::new());
    let mut current: Option<Assembly> = None;
    let (mut at, mut turn) = (0, 0);
    while at < wire.len() {
        let n = sizes[turn % 2].min(wire.len() - at);
        turn += 1;
        let piece = &wire[at..at + n];
        at += n;
        plain.receive_data(piece);
        while let Some(e) = plain.poll_event() {
            match e {
                Event::Text(t) => want.push(Msg::Text(t.as_bytes().to_vec())),
                Event::Binary(b) => want.push(Msg::Binary(b.to_vec())),
                Event::Closed { code, .. } => want.push(Msg::Closed(code)),
                _ => {}
            }
        }
        match current.as_mut() {
            Some(a) if a.in_buf && a.filled < a.buf.len() => {
                let n = direct.receive_data_into(piece, &mut a.buf[a.filled..]);
                a.filled += n;
            }
            _ => direct.receive_data(piece),
        }
        while let Some(e) = direct.poll_event() {
            match e {
                Event::MessageChunk {
                    kind,
                    data,
                    first,
                    last,
                    total,
                } => {
                    if first {
                        let cap = match (kind, total) {
                            (MessageKind::Binary, Some(t)) => t as usize,
                            _ => 0,
                        };
                        current = Some(Assembly {
                            kind,
                            gathered: Vec::new(),
                            buf: vec![MaybeUninit::new(0); cap],
                            filled: 0,
                            in_buf: cap > 0,
                        });
                    }
                    let a = current.as_mut().expect("a chunk without a first one");
                    assert_eq!(a.kind, kind, "kind changed inside a message");
                    if a.in_buf && data.len() <= a.buf.len() - a.filled {
                        for (slot, b) in a.buf[a.filled..].iter_mut().zip(data) {
                            *slot = MaybeUninit::new(*b);
                        }
                        a.filled += data.len();
                    } else {
                        if a.in_buf {
                            a.gathered = read_buf(&a.buf, a.filled);
                            a.in_buf = false;
                        }
                        a.gathered.extend_from_slice(data);
                    }
                    if last {
                        let a = current.take().expect("message");
                        let bytes = if a.in_buf {
                            read_buf(&a.buf, a.filled)
                        } else {
                            a.gathered
                        };
                        got.push(match kind {
                            MessageKind::Text => Msg::Text(bytes),
                            MessageKind::Binary => Msg::Binary(bytes),
                        });
                    }
                }
                Event::Closed { code, .. } => got.push(Msg::Closed(code)),
                Event::Text(_) | Event::Binary(_) => panic!("whole message in streaming mode"),
                _ => {}
            }
        }
    }
    assert_eq!(got, want);
});
