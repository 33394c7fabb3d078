//! `Connection::poll_events` hands out the same events, in the same order,
//! as `poll_event` one at a time, in every situation that queues events,
//! and ends a batch short of its maximum only after a handshake event or
//! Closed, or when nothing is left.

mod common;
use common::*;
use wirestate::ws::{Config, Connection};

/// Feeds the same input to two connections made by `make`, drains one with
/// `poll_event` and the other with `poll_events(max, ..)`, and checks that
/// both give the same events; returns them.
fn same_events(
    make: &dyn Fn() -> Connection,
    input: &dyn Fn(&mut Connection),
    max: usize,
) -> Vec<Ev> {
    let mut one = make();
    let mut many = make();
    input(&mut one);
    input(&mut many);
    let expected = events(&mut one);
    let mut got = Vec::new();
    loop {
        let mut batch = Vec::new();
        let n = many.poll_events(max, |e| batch.push(Ev::from(e)));
        assert_eq!(n, batch.len());
        assert!(n <= max);
        if n == 0 {
            break;
        }
        let ends_early = matches!(
            batch.last(),
            Some(Ev::Request(_) | Ev::Accepted(_) | Ev::Rejected(_) | Ev::Closed(..))
        );
        if n < max && !ends_early {
            assert!(!many.has_pending_event(), "a short batch left events");
        }
        got.extend(batch);
    }
    assert_eq!(got, expected, "max {max}");
    assert_eq!(many.poll_event().is_none(), one.poll_event().is_none());
    got
}

/// [`same_events`] with batches of 1, 2, 3 and 64.
fn check(make: &dyn Fn() -> Connection, input: &dyn Fn(&mut Connection)) -> Vec<Ev> {
    let all = same_events(make, input, 64);
    for max in [1, 2, 3] {
        assert_eq!(same_events(make, input, max), all);
    }
    all
}

#[test]
fn nothing_pending_gives_nothing() {
    let mut s = open_server(Config::default());
    assert_eq!(s.poll_events(8, |_| unreachable!()), 0);
    // A maximum of 0 takes nothing even when events are pending.
    s.receive_data(&cframe(0x82, b"x"));
    assert_eq!(s.poll_events(0, |_| unreachable!()), 0);
    assert!(s.has_pending_event());
}

#[test]
fn handshake_events_end_a_batch() {
    let evs = check(&|| Connection::server(Config::default()), &|s| {
        let mut wire = request_with("");
        // Frames right behind the request wait for the answer: one event.
        wire.extend(cframe(0x82, b"early"));
        s.receive_data(&wire);
    });
    assert!(matches!(evs.as_slice(), [Ev::Request(_)]));

    let mut s = Connection::server(Config::default());
    s.receive_data(&request_with(""));
    assert_eq!(s.poll_events(8, |_| {}), 1);
    s.accept(None, &[]).unwrap();
    s.receive_data(&cframe(0x82, b"a"));
    assert_eq!(s.poll_events(8, |_| {}), 1);
}

#[test]
fn messages_and_control_frames() {
    let evs = check(&|| open_server(Config::default()), &|s| {
        let mut wire = Vec::new();
        wire.extend(cframe(0x82, b"one"));
        wire.extend(cframe(0x89, b"ping"));
        wire.extend(cframe(0x01, b"par"));
        wire.extend(cframe(0x8a, b"pong"));
        wire.extend(cframe(0x80, b"ts"));
        wire.extend(cframe(0x81, "héllo".as_bytes()));
        wire.extend(cframe(0x82, b""));
        s.receive_data(&wire);
    });
    assert_eq!(evs.len(), 6);
}

#[test]
fn streaming_chunks() {
    let make = || {
        open_server(Config {
            streaming: true,
            ..Config::default()
        })
    };
    let f = cframe(0x82, &[1; 5000]);
    check(&make, &|s| s.receive_data(&f[..2000]));
    check(&make, &|s| {
        for piece in f.chunks(700) {
            s.receive_data(piece);
        }
    });
}

#[test]
fn failures_queue_their_closed_event() {
    // A message, then a reserved opcode: the message, then Closed (1002).
    let evs = check(&|| open_server(Config::default()), &|s| {
        let mut wire = cframe(0x82, b"ok");
        wire.extend(cframe(0x83, b""));
        wire.extend(cframe(0x82, b"ignored"));
        s.receive_data(&wire);
    });
    assert_eq!(closed_code(&evs), 1002);
    assert_eq!(evs.len(), 2);

    // Invalid UTF-8 in a text frame (1007), after a ping and a message.
    let evs = check(&|| open_server(Config::default()), &|s| {
        let mut wire = cframe(0x89, b"p");
        wire.extend(cframe(0x82, b"m"));
        wire.extend(cframe(0x81, &[0xff, 0xfe]));
        s.receive_data(&wire);
    });
    assert_eq!(closed_code(&evs), 1007);
    assert_eq!(evs.len(), 3);

    // An oversized message (1009), nothing before it.
    let evs = check(
        &|| {
            open_server(Config {
                max_message_size: 10,
                ..Config::default()
            })
        },
        &|s| s.receive_data(&cframe(0x82, &[0; 11])),
    );
    assert_eq!(closed_code(&evs), 1009);
}

#[test]
fn close_handshake_and_end_of_stream() {
    let evs = check(&|| open_server(Config::default()), &|s| {
        let mut wire = cframe(0x82, b"last");
        wire.extend(cframe(0x88, &close_payload(1000, "bye")));
        s.receive_data(&wire);
        s.receive_eof();
    });
    assert_eq!(closed_code(&evs), 1000);

    // The stream ending mid-frame.
    check(&|| open_server(Config::default()), &|s| {
        s.receive_data(&cframe(0x82, b"abc")[..4]);
        s.receive_eof();
    });

    // A client whose server goes away without a close.
    let evs = check(&|| open_client(Config::default()), &|c| {
        c.receive_data(&sframe(0x82, b"x"));
        c.receive_eof();
    });
    assert_eq!(evs.len(), 2);
}
