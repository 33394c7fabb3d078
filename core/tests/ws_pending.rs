//! `Connection::has_pending_event` answers exactly what the next
//! `poll_event` will do, in every situation that queues events: handshake,
//! messages, control frames, streaming chunks, protocol failures (which
//! queue the failure before its Closed event) and the end of the stream.

mod common;
use common::*;
use wirestate::ws::{Config, Connection};

/// Drains `c`, checking before every poll that the answer matches; returns
/// how many events came out.
fn drain_checked(c: &mut Connection) -> usize {
    let mut n = 0;
    loop {
        let pending = c.has_pending_event();
        let got = c.poll_event().is_some();
        assert_eq!(pending, got, "after {n} events");
        if !got {
            return n;
        }
        n += 1;
    }
}

#[test]
fn handshake_then_nothing() {
    let mut s = Connection::server(Config::default());
    assert!(!s.has_pending_event());
    s.receive_data(&request_with(""));
    assert!(s.has_pending_event());
    assert_eq!(drain_checked(&mut s), 1);
    // Asking twice changes nothing.
    assert!(!s.has_pending_event());
    assert!(!s.has_pending_event());
}

#[test]
fn messages_and_control_frames() {
    let mut s = open_server(Config::default());
    let mut wire = Vec::new();
    wire.extend(cframe(0x82, b"one"));
    wire.extend(cframe(0x89, b"ping"));
    wire.extend(cframe(0x01, b"par"));
    wire.extend(cframe(0x8a, b"pong"));
    wire.extend(cframe(0x80, b"ts"));
    wire.extend(cframe(0x81, "héllo".as_bytes()));
    s.receive_data(&wire);
    assert_eq!(drain_checked(&mut s), 5);
    // A frame split across reads: nothing until its last byte.
    let f = cframe(0x82, &[7; 300]);
    s.receive_data(&f[..100]);
    assert_eq!(drain_checked(&mut s), 0);
    s.receive_data(&f[100..]);
    assert_eq!(drain_checked(&mut s), 1);
}

#[test]
fn streaming_chunks() {
    let mut s = open_server(Config {
        streaming: true,
        ..Config::default()
    });
    let f = cframe(0x82, &[1; 5000]);
    for piece in f.chunks(700) {
        s.receive_data(piece);
        drain_checked(&mut s);
    }
}

#[test]
fn failures_queue_their_closed_event() {
    // A message, then a reserved opcode: the message, then Closed (1002).
    let mut s = open_server(Config::default());
    let mut wire = cframe(0x82, b"ok");
    wire.extend(cframe(0x83, b""));
    wire.extend(cframe(0x82, b"ignored"));
    s.receive_data(&wire);
    assert_eq!(drain_checked(&mut s), 2);
    // Nothing more, whatever arrives.
    s.receive_data(&cframe(0x82, b"late"));
    assert_eq!(drain_checked(&mut s), 0);

    // Invalid UTF-8 in a text frame fails fast (1007), after a ping.
    let mut s = open_server(Config::default());
    let mut wire = cframe(0x89, b"p");
    wire.extend(cframe(0x81, &[0xff, 0xfe]));
    s.receive_data(&wire);
    assert_eq!(drain_checked(&mut s), 2);

    // An oversized message (1009).
    let mut s = open_server(Config {
        max_message_size: 10,
        ..Config::default()
    });
    s.receive_data(&cframe(0x82, &[0; 11]));
    assert_eq!(drain_checked(&mut s), 1);
}

#[test]
fn close_handshake_and_end_of_stream() {
    let mut s = open_server(Config::default());
    s.receive_data(&cframe(0x88, &close_payload(1000, "bye")));
    assert!(drain_checked(&mut s) >= 1);
    s.receive_eof();
    drain_checked(&mut s);

    // The stream ending mid-frame.
    let mut s = open_server(Config::default());
    s.receive_data(&cframe(0x82, b"abc")[..4]);
    s.receive_eof();
    assert_eq!(drain_checked(&mut s), 1);

    // A client whose server goes away without a close.
    let mut c = open_client(Config::default());
    c.receive_data(&sframe(0x82, b"x"));
    c.receive_eof();
    assert_eq!(drain_checked(&mut c), 2);
}
