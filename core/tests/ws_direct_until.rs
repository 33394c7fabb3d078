//! `Connection::receive_data_into_until` and `message_total`: input stops
//! after the header of a large binary message, so a consumer can size the
//! message's buffer before any of its payload arrives and take all of it
//! directly.

mod common;
use common::*;
use std::mem::MaybeUninit;
use wirestate::ws::{ClientConfig, Config, Connection, Event, MessageKind, Received};

/// Messages this long or longer are taken directly in these tests.
const AT: u64 = 200;

fn streaming_server() -> Connection {
    open_server(Config {
        streaming: true,
        max_message_size: 1 << 20,
        max_frame_size: 1 << 20,
        ..Config::default()
    })
}

/// A whole message (`None`: a ping's or pong's payload) and its bytes.
type Got = (Option<MessageKind>, Vec<u8>);

/// A consumer that assembles messages the way the Python binding does.
#[derive(Default)]
struct Assembler {
    /// Whole messages, and pings / pongs as `(None, payload)`.
    out: Vec<Got>,
    /// The message sized in advance after a stop: its buffer and how much
    /// of it is written; `prepared` until its first chunk is seen.
    direct: Option<(Vec<MaybeUninit<u8>>, usize)>,
    prepared: bool,
    /// Any other message: its kind and bytes.
    gather: Option<(MessageKind, Vec<u8>)>,
    /// Bytes that went straight into a sized buffer.
    direct_bytes: usize,
    stops: usize,
}

impl Assembler {
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
                    self.prepared = false;
                    if let Some((buf, filled)) = self.direct.as_mut() {
                        assert!(*filled + data.len() <= buf.len(), "more than announced");
                        for (slot, b) in buf[*filled..].iter_mut().zip(data) {
                            *slot = MaybeUninit::new(*b);
                        }
                        *filled += data.len();
                    } else {
                        self.gather.as_mut().expect("a message").1.extend(data);
                    }
                    if last {
                        let message = match self.direct.take() {
                            Some((buf, filled)) => {
                                assert_eq!(filled, buf.len(), "fewer bytes than announced");
                                // SAFETY: every byte was written (checked above).
                                let bytes = buf.iter().map(|b| unsafe { b.assume_init() });
                                (Some(MessageKind::Binary), bytes.collect())
                            }
                            None => {
                                let (k, d) = self.gather.take().unwrap();
                                (Some(k), d)
                            }
                        };
                        self.out.push(message);
                    }
                }
                Event::Ping(p) | Event::Pong(p) => self.out.push((None, p.to_vec())),
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    /// Feeds one read, stopping and sizing buffers as often as asked.
    fn read(&mut self, s: &mut Connection, mut data: &[u8]) {
        loop {
            let mut none: [MaybeUninit<u8>; 0] = [];
            let dst = match self.direct.as_mut() {
                Some((buf, filled)) => &mut buf[*filled..],
                None => &mut none[..],
            };
            let r = s.receive_data_into_until(data, dst, AT);
            assert!(r.consumed <= data.len());
            if let Some((_, filled)) = self.direct.as_mut() {
                *filled += r.written;
            } else {
                assert_eq!(r.written, 0);
            }
            self.direct_bytes += r.written;
            data = &data[r.consumed..];
            if r.stopped {
                self.stops += 1;
                self.poll_all(s);
                let total = s.message_total().expect("a stop announces the length");
                assert!(total >= AT);
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

fn payload(n: usize, seed: u32) -> Vec<u8> {
    (0..n as u32)
        .map(|i| (i.wrapping_mul(seed) >> 3) as u8)
        .collect()
}

/// Large and small binary messages, text, a fragmented binary message with
/// a ping between its fragments, and a large message right at the limit.
fn mixed_wire() -> (Vec<u8>, Vec<Got>, usize) {
    let big = payload(700, 31);
    let at = payload(AT as usize, 7);
    let small = payload(AT as usize - 1, 5);
    let text = "ü€".repeat(60);
    let mut wire = Vec::new();
    let mut want = Vec::new();
    wire.extend(cframe(0x82, &big));
    want.push((Some(MessageKind::Binary), big.clone()));
    wire.extend(cframe(0x82, &small));
    want.push((Some(MessageKind::Binary), small.clone()));
    wire.extend(cframe(0x82, &at));
    want.push((Some(MessageKind::Binary), at.clone()));
    wire.extend(cframe(0x81, text.as_bytes()));
    want.push((Some(MessageKind::Text), text.as_bytes().to_vec()));
    wire.extend(cframe(0x02, &big[..300]));
    wire.extend(cframe(0x89, b"ping"));
    wire.extend(cframe(0x80, &big[300..]));
    want.push((None, b"ping".to_vec()));
    want.push((Some(MessageKind::Binary), big.clone()));
    wire.extend(cframe(0x82, &at));
    want.push((Some(MessageKind::Binary), at.clone()));
    wire.extend(cframe(0x82, &big));
    want.push((Some(MessageKind::Binary), big.clone()));
    let direct = 2 * big.len() + 2 * at.len();
    (wire, want, direct)
}

fn check(reads: &[&[u8]], want: &[Got], direct: usize, what: &str) {
    let mut s = streaming_server();
    let mut a = Assembler::default();
    let before = s.stats().bytes_received;
    for r in reads {
        a.read(&mut s, r);
    }
    assert_eq!(a.out, want, "{what}");
    // Every byte of every announced large message went direct.
    assert_eq!(a.direct_bytes, direct, "{what}");
    assert_eq!(a.stops, 4, "{what}");
    let total: usize = reads.iter().map(|r| r.len()).sum();
    assert_eq!(s.stats().bytes_received - before, total as u64, "{what}");
}

#[test]
fn every_large_payload_goes_direct_at_every_split() {
    let (wire, want, direct) = mixed_wire();
    for at in 0..=wire.len() {
        check(
            &[&wire[..at], &wire[at..]],
            &want,
            direct,
            &format!("split at {at}"),
        );
    }
    for step in [1, 2, 3, 7, 13, 64, 199, 200, 201, 1000] {
        let reads: Vec<&[u8]> = wire.chunks(step).collect();
        check(&reads, &want, direct, &format!("step {step}"));
    }
}

#[test]
fn a_stop_at_the_end_of_a_read_is_still_reported() {
    let big = payload(1000, 3);
    let wire = cframe(0x82, &big);
    let mut s = streaming_server();
    let mut none: [MaybeUninit<u8>; 0] = [];
    // Header of 2 + 2 + 4 bytes, and nothing more.
    let r = s.receive_data_into_until(&wire[..8], &mut none, AT);
    assert_eq!(
        r,
        Received {
            consumed: 8,
            written: 0,
            stopped: true
        }
    );
    assert_eq!(s.message_total(), Some(1000));
    let mut buf = vec![MaybeUninit::new(0u8); 1000];
    let r = s.receive_data_into_until(&wire[8..], &mut buf, AT);
    assert_eq!((r.consumed, r.written, r.stopped), (1000, 1000, false));
    assert_eq!(s.message_total(), None);
    let evs = events(&mut s);
    assert_eq!(
        evs,
        [Ev::Chunk(MessageKind::Binary, Vec::new(), true, true)]
    );
}

#[test]
fn no_stop_beyond_the_limits_nor_for_unknown_lengths() {
    let mut none: [MaybeUninit<u8>; 0] = [];
    // Announced beyond max_message_size: the connection fails (1009) and
    // never offers the length.
    let mut s = open_server(Config {
        streaming: true,
        max_message_size: 1000,
        ..Config::default()
    });
    let mut head = vec![0x82, 0x80 | 127];
    head.extend_from_slice(&(1u64 << 40).to_be_bytes());
    head.extend_from_slice(&MASK);
    let r = s.receive_data_into_until(&head, &mut none, AT);
    assert!(!r.stopped);
    assert_eq!(s.message_total(), None);
    assert_eq!(closed_code(&events(&mut s)), 1009);
    // Beyond max_frame_size.
    let mut s = open_server(Config {
        streaming: true,
        max_frame_size: 500,
        ..Config::default()
    });
    let r = s.receive_data_into_until(&cframe(0x82, &[1; 600]), &mut none, AT);
    assert!(!r.stopped);
    assert_eq!(closed_code(&events(&mut s)), 1009);
    // A first frame that is not final: the message's length is unknown.
    let mut s = streaming_server();
    let r = s.receive_data_into_until(&cframe(0x02, &[1; 600]), &mut none, AT);
    assert!(!r.stopped);
    assert_eq!(s.message_total(), None);
    // Text is never stopped for.
    let mut s = streaming_server();
    let r = s.receive_data_into_until(&cframe(0x81, &[b'a'; 600]), &mut none, AT);
    assert!(!r.stopped);
}

#[test]
fn compressed_messages_never_stop() {
    let mut client = ClientConfig::new("localhost", "/");
    client.config.compression = Some(Default::default());
    let server = Config {
        streaming: true,
        compression: Some(Default::default()),
        ..Config::default()
    };
    let mut p = Pair::new(client, server);
    let big = vec![b'z'; 100_000];
    p.client.send_binary(&big).unwrap();
    let wire = p.client.data_to_send();
    assert!(wire.len() < 10_000, "compressed");
    let mut a = Assembler::default();
    for piece in wire.chunks(333) {
        a.read(&mut p.server, piece);
    }
    assert_eq!(a.stops, 0);
    assert_eq!(a.direct_bytes, 0);
    assert_eq!(a.out, [(Some(MessageKind::Binary), big)]);
}

#[test]
fn nothing_stops_while_opening() {
    // The request and a large frame in one read: all consumed, the payload
    // arrives in chunks.
    let mut s = Connection::server(Config {
        streaming: true,
        ..Config::default()
    });
    let mut none: [MaybeUninit<u8>; 0] = [];
    let r = s.receive_data_into_until(&request_with(""), &mut none, AT);
    assert!(!r.stopped);
    assert!(matches!(events(&mut s).as_slice(), [Ev::Request(_)]));
    s.accept(None, &[]).unwrap();
    let big = payload(1000, 9);
    let r = s.receive_data_into_until(&cframe(0x82, &big), &mut none, AT);
    assert!(r.stopped);
    assert_eq!(s.message_total(), Some(1000));
}

#[test]
fn without_streaming_a_stop_only_splits_the_input() {
    let big = payload(5000, 11);
    let mut wire = cframe(0x82, &big);
    wire.extend(cframe(0x82, &big));
    let mut s = open_server(Config::default());
    let mut none: [MaybeUninit<u8>; 0] = [];
    let mut rest = &wire[..];
    let mut stops = 0;
    while !rest.is_empty() {
        let mut buf = vec![MaybeUninit::new(0u8); 5000];
        let r = s.receive_data_into_until(rest, &mut buf, AT);
        assert_eq!(r.written, 0);
        stops += usize::from(r.stopped);
        rest = &rest[r.consumed..];
        let _ = &mut none;
    }
    assert_eq!(stops, 2);
    assert_eq!(events(&mut s), [Ev::Binary(big.clone()), Ev::Binary(big)]);
}
