//! The closing handshake, timers (close timeout, keepalive, open timeout) and
//! backpressure.

mod common;
use common::*;
use std::time::Duration;
use wirestate::time::Instant;
use wirestate::ws::{ClientConfig, Config, Connection, Error, State};

#[test]
fn client_initiated_close_full_handshake() {
    let mut p = Pair::with_compression(false);
    p.client.close(1000, "bye").unwrap();
    assert_eq!(p.client.state(), State::Closing);
    assert_eq!(p.client.send_text("late"), Err(Error::InvalidState));
    assert_eq!(p.client.close(1000, ""), Err(Error::InvalidState));
    p.drive();
    // The server echoed and is done: it closes the transport first.
    assert_eq!(
        p.server_events,
        [
            Ev::CloseReceived(1000, "bye".into()),
            Ev::Closed(1000, "bye".into(), true)
        ]
    );
    assert!(p.server.should_close_transport());
    // The client got the echo and now waits for the server's end of stream.
    assert_eq!(p.client_events, [Ev::CloseReceived(1000, String::new())]);
    assert_eq!(p.client.state(), State::Closing);
    assert!(!p.client.should_close_transport());
    p.client.receive_eof();
    assert_eq!(
        events(&mut p.client),
        [Ev::Closed(1000, String::new(), true)]
    );
    assert!(p.client.should_close_transport());
    assert_eq!(p.client.poll_timeout(), None);
}

#[test]
fn server_initiated_close() {
    let mut p = Pair::with_compression(false);
    p.server.close(4000, "app says bye").unwrap();
    p.drive();
    assert_eq!(
        p.client_events,
        [Ev::CloseReceived(4000, "app says bye".into())],
    );
    assert_eq!(
        p.server_events,
        [
            Ev::CloseReceived(4000, String::new()),
            Ev::Closed(4000, String::new(), true)
        ]
    );
    assert!(p.server.should_close_transport());
    p.client.receive_eof();
    assert!(matches!(
        events(&mut p.client).as_slice(),
        [Ev::Closed(4000, _, true)]
    ));
}

#[test]
fn close_without_status_is_echoed_empty() {
    let mut s = open_server(Config::default());
    s.receive_data(&cframe(0x88, b""));
    assert_eq!(
        events(&mut s),
        [
            Ev::CloseReceived(1005, String::new()),
            Ev::Closed(1005, String::new(), true)
        ]
    );
    assert_eq!(s.data_to_send(), [0x88, 0x00]);
}

#[test]
fn data_after_close_is_ignored() {
    let mut s = open_server(Config::default());
    s.receive_data(
        &[
            cframe(0x88, &close_payload(1000, "")),
            cframe(0x81, b"ignored"),
        ]
        .concat(),
    );
    let evs = events(&mut s);
    assert_eq!(evs.len(), 2);
    s.receive_data(&cframe(0x81, b"also ignored"));
    assert!(events(&mut s).is_empty());
}

#[test]
fn close_argument_checks() {
    let mut s = open_server(Config::default());
    assert_eq!(s.close(1005, ""), Err(Error::InvalidCloseCode));
    assert_eq!(s.close(1006, ""), Err(Error::InvalidCloseCode));
    assert_eq!(s.close(999, ""), Err(Error::InvalidCloseCode));
    assert_eq!(s.close(1000, &"x".repeat(124)), Err(Error::ControlTooLarge));
    s.close(1000, &"x".repeat(123)).unwrap();
    // Before the handshake there is nothing to close.
    let mut fresh = Connection::server(Config::default());
    assert_eq!(fresh.close(1000, ""), Err(Error::InvalidState));
    assert_eq!(fresh.send_text("x"), Err(Error::InvalidState));
}

#[test]
fn close_echo_off_lets_the_application_answer() {
    let cfg = Config {
        close_echo: false,
        ..Config::default()
    };
    let mut s = open_server(cfg);
    s.receive_data(&cframe(0x88, &close_payload(1001, "going")));
    assert_eq!(events(&mut s), [Ev::CloseReceived(1001, "going".into())]);
    assert!(s.data_to_send().is_empty());
    assert_eq!(s.state(), State::Closing);
    s.close(1000, "ok").unwrap();
    assert_eq!(events(&mut s), [Ev::Closed(1001, "going".into(), true)]);
    assert!(s.should_close_transport());
}

#[test]
fn close_timeout_when_the_peer_never_answers() {
    let cfg = Config {
        close_timeout: Duration::from_secs(5),
        ..Config::default()
    };
    let mut s = open_server(cfg);
    s.handle_timeout(Instant::from_secs(100));
    s.close(1000, "").unwrap();
    assert_eq!(s.poll_timeout(), Some(Instant::from_secs(105)));
    s.handle_timeout(Instant::from_secs(104));
    assert!(events(&mut s).is_empty());
    s.handle_timeout(Instant::from_secs(105));
    let evs = events(&mut s);
    assert!(
        matches!(evs.as_slice(), [Ev::Closed(1006, _, false)]),
        "{evs:?}"
    );
    assert!(s.should_close_transport());
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn client_waits_for_server_eof_but_not_forever() {
    let mut cfg = ClientConfig::new("h", "/");
    cfg.config.close_timeout = Duration::from_secs(2);
    let mut p = Pair::new(cfg, Config::default());
    p.client.handle_timeout(Instant::from_secs(10));
    p.client.close(1000, "").unwrap();
    p.drive();
    assert_eq!(p.client.state(), State::Closing);
    assert_eq!(p.client.poll_timeout(), Some(Instant::from_secs(12)));
    p.client.handle_timeout(Instant::from_secs(12));
    assert_eq!(
        events(&mut p.client),
        [Ev::Closed(1000, String::new(), true)]
    );
    assert!(p.client.should_close_transport());
}

#[test]
fn timers_armed_before_the_clock_count_from_the_first_tick() {
    let cfg = Config {
        close_timeout: Duration::from_secs(3),
        ..Config::default()
    };
    let mut s = open_server(cfg);
    s.close(1000, "").unwrap();
    // A caller whose clock reads 1000 s: the first tick anchors the timer.
    s.handle_timeout(Instant::from_secs(1000));
    assert_eq!(s.state(), State::Closing);
    assert_eq!(s.poll_timeout(), Some(Instant::from_secs(1003)));
}

#[test]
fn eof_without_close_is_abnormal() {
    let mut s = open_server(Config::default());
    s.receive_data(&cframe(0x81, b"half")[..4]);
    s.receive_eof();
    assert!(matches!(
        events(&mut s).as_slice(),
        [Ev::Closed(1006, _, false)]
    ));
    assert!(s.should_close_transport());
    // EOF again, or data after it: nothing more.
    s.receive_eof();
    s.receive_data(b"x");
    assert!(events(&mut s).is_empty());
}

#[test]
fn auto_pong_can_be_turned_off() {
    let mut s = open_server(Config {
        auto_pong: false,
        ..Config::default()
    });
    s.receive_data(&cframe(0x89, b"p"));
    assert_eq!(events(&mut s), [Ev::Ping(b"p".to_vec())]);
    assert!(s.data_to_send().is_empty());
    s.pong(b"p").unwrap();
    assert_eq!(s.data_to_send(), [0x8a, 0x01, b'p']);
}

#[test]
fn keepalive_pings_when_idle_and_fails_without_pong() {
    let cfg = Config {
        keepalive_interval: Some(Duration::from_secs(10)),
        keepalive_timeout: Duration::from_secs(5),
        ..Config::default()
    };
    let mut s = open_server(cfg);
    s.handle_timeout(Instant::from_secs(0));
    assert_eq!(s.poll_timeout(), Some(Instant::from_secs(10)));
    // Traffic in the meantime postpones the ping.
    s.receive_data(&cframe(0x81, b"x"));
    events(&mut s);
    s.handle_timeout(Instant::from_secs(10));
    assert!(s.data_to_send().is_empty());
    assert_eq!(s.poll_timeout(), Some(Instant::from_secs(20)));
    // Idle: a ping goes out.
    s.handle_timeout(Instant::from_secs(20));
    let out = s.data_to_send();
    assert_eq!(out[0], 0x89);
    let payload = out[2..].to_vec();
    assert_eq!(s.poll_timeout(), Some(Instant::from_secs(25)));
    // The pong clears the deadline.
    s.receive_data(&cframe(0x8a, &payload));
    assert_eq!(events(&mut s), [Ev::Pong(payload)]);
    assert_eq!(s.poll_timeout(), Some(Instant::from_secs(30)));
    // The pong itself was traffic: no ping at 30, the next one at 40.
    s.handle_timeout(Instant::from_secs(30));
    assert!(s.data_to_send().is_empty());
    // That one is never answered: the connection fails with 1011.
    s.handle_timeout(Instant::from_secs(40));
    assert_eq!(s.data_to_send()[0], 0x89);
    s.handle_timeout(Instant::from_secs(44));
    assert!(events(&mut s).is_empty());
    s.handle_timeout(Instant::from_secs(45));
    let evs = events(&mut s);
    assert!(
        matches!(evs.as_slice(), [Ev::Closed(1011, r, false)] if r.contains("keepalive")),
        "{evs:?}"
    );
    let out = s.data_to_send();
    assert_eq!(&out[..4], &[0x88, out[1], 0x03, 0xf3]);
    assert!(s.should_close_transport());
}

#[test]
fn open_timeout() {
    let cfg = Config {
        open_timeout: Some(Duration::from_secs(3)),
        ..Config::default()
    };
    let mut s = Connection::server(cfg);
    s.handle_timeout(Instant::from_secs(50));
    assert_eq!(s.poll_timeout(), Some(Instant::from_secs(53)));
    s.receive_data(b"GET / HTTP/1.1\r\n");
    s.handle_timeout(Instant::from_secs(53));
    assert!(matches!(
        events(&mut s).as_slice(),
        [Ev::Closed(1006, _, false)]
    ));
    assert!(s.should_close_transport());
}

#[test]
fn spurious_timeouts_are_harmless_and_idle_has_no_timer() {
    let mut p = Pair::with_compression(false);
    assert_eq!(p.client.poll_timeout(), None);
    for t in [0u64, 5, 5, 1, 1_000_000] {
        p.client.handle_timeout(Instant::from_secs(t));
        p.server.handle_timeout(Instant::from_secs(t));
    }
    p.drive();
    assert!(p.client_events.is_empty() && p.server_events.is_empty());
    assert_eq!(p.client.state(), State::Open);
}

#[test]
fn backpressure_reports_buffer_and_writable() {
    let cfg = Config {
        write_buffer_high: 1000,
        write_buffer_low: 100,
        max_write_buffer: 5000,
        ..Config::default()
    };
    let mut s = open_server(cfg);
    let sent_before = s.stats().bytes_sent;
    assert!(s.is_writable());
    s.send_binary(&[0; 600]).unwrap();
    assert!(s.is_writable());
    assert_eq!(s.buffered_amount(), 604);
    s.send_binary(&[0; 600]).unwrap();
    assert!(!s.is_writable());
    assert_eq!(s.send_binary(&[0; 4000]), Err(Error::BufferFull));
    // Drain part of it: still above low.
    let mut buf = [0u8; 1000];
    assert_eq!(s.poll_transmit(&mut buf), 1000);
    assert!(!s.is_writable());
    assert!(events(&mut s).is_empty());
    // Drain the rest: Writable.
    assert_eq!(s.poll_transmit(&mut buf), 208);
    assert!(s.is_writable());
    assert_eq!(events(&mut s), [Ev::Writable]);
    assert_eq!(s.buffered_amount(), 0);
    // consume_output over pending_output works the same.
    s.send_binary(&[1; 2000]).unwrap();
    let n = s.pending_output().len();
    s.consume_output(n);
    assert_eq!(events(&mut s), [Ev::Writable]);
    assert_eq!(s.stats().bytes_sent - sent_before, 1208 + n as u64);
}

#[test]
fn unanswered_pings_cannot_grow_the_output_past_the_limit() {
    let cfg = Config {
        max_write_buffer: 1000,
        ..Config::default()
    };
    let mut s = open_server(cfg);
    let ping = cframe(0x89, &[7; 125]);
    for _ in 0..100 {
        s.receive_data(&ping);
        events(&mut s);
    }
    assert!(s.buffered_amount() <= 1000);
    assert_eq!(s.state(), State::Open);
}
