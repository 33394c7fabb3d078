//! Differential: a streaming server driven the way the Python binding
//! drives it — `receive_data_into_until` stopping after the header of each
//! large binary message, a buffer of the announced size, the payload
//! unmasked straight into it — must produce exactly the messages and the
//! close code of an ordinary server fed the same bytes in the same pieces,
//! and must never announce a length it then does not deliver.
//!
//! Input: the first two bytes pick the read sizes (cycled), the third the
//! size from which messages are taken directly, the rest is what arrives
//! after a valid handshake.
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

/// Assembles messages from a streaming server's events, the ones sized in
/// advance in `direct`.
#[derive(Default)]
struct Consumer {
    got: Vec<Msg>,
    /// A buffer of the announced size and how much of it is written.
    direct: Option<(Vec<MaybeUninit<u8>>, usize)>,
    /// `direct` was sized and its first chunk not seen yet.
    prepared: bool,
    gather: Option<(MessageKind, Vec<u8>)>,
}

impl Consumer {
    fn poll_all(&mut self, s: &mut Connection) {
        while let Some(e) = s.poll_event() {
            match e {
                Event::MessageChunk {
                    kind,
                    data,
                    first,
                    last,
                    ..
                } => {
                    if first && !self.prepared {
                        self.gather = Some((kind, Vec::new()));
                    }
                    if first && self.prepared {
                        assert_eq!(kind, MessageKind::Binary, "a stop for a text message");
                    }
                    self.prepared = false;
                    if let Some((buf, filled)) = self.direct.as_mut() {
                        assert!(*filled + data.len() <= buf.len(), "more than announced");
                        for (slot, b) in buf[*filled..].iter_mut().zip(data) {
                            *slot = MaybeUninit::new(*b);
                        }
                        *filled += data.len();
                    } else {
                        self.gather
                            .as_mut()
                            .expect("a chunk without a first one")
                            .1
                            .extend(data);
                    }
                    if last {
                        self.got.push(match self.direct.take() {
                            Some((buf, filled)) => {
                                assert_eq!(filled, buf.len(), "fewer bytes than announced");
                                // SAFETY: every byte was written (checked above).
                                Msg::Binary(
                                    buf.iter().map(|b| unsafe { b.assume_init() }).collect(),
                                )
                            }
                            None => match self.gather.take().expect("a message") {
                                (MessageKind::Text, d) => Msg::Text(d),
                                (MessageKind::Binary, d) => Msg::Binary(d),
                            },
                        });
                    }
                }
                Event::Closed { code, .. } => self.got.push(Msg::Closed(code)),
                Event::Text(_) | Event::Binary(_) => panic!("whole message in streaming mode"),
                _ => {}
            }
        }
    }

    fn read(&mut self, s: &mut Connection, mut data: &[u8], at_least: u64) {
        loop {
            let mut none: [MaybeUninit<u8>; 0] = [];
            let dst = match self.direct.as_mut() {
                Some((buf, filled)) => &mut buf[*filled..],
                None => &mut none[..],
            };
            let r = s.receive_data_into_until(data, dst, at_least);
            assert!(r.consumed <= data.len());
            match self.direct.as_mut() {
                Some((buf, filled)) => {
                    *filled += r.written;
                    assert!(*filled <= buf.len());
                }
                None => assert_eq!(r.written, 0, "wrote into an empty buffer"),
            }
            data = &data[r.consumed..];
            if r.stopped {
                self.poll_all(s);
                assert!(self.direct.is_none(), "stopped inside a sized message");
                let total = s.message_total().expect("a stop announces the length");
                assert!(total >= at_least && total <= 1 << 16, "announced {total}");
                self.direct = Some((vec![MaybeUninit::new(0); total as usize], 0));
                self.prepared = true;
            } else {
                assert!(data.is_empty(), "left input without stopping");
            }
            if data.is_empty() {
                break;
            }
        }
        self.poll_all(s);
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let sizes = [1 + data[0] as usize * 3, 1 + data[1] as usize * 257];
    let at_least = 1 + u64::from(data[2]) * 64;
    let wire = &data[3..];
    let mut plain = server(false);
    let mut direct = server(true);
    let mut want = Vec::new();
    let mut consumer = Consumer::default();
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
        consumer.read(&mut direct, piece, at_least);
    }
    assert_eq!(consumer.got, want);
});
