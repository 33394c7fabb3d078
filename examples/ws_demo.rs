//! `ws_demo`: the WebSocket machine end to end on loopback. It starts an
//! echo server thread and a client in this process, both driven by the same
//! small blocking loop over `std::net`, negotiates permessage-deflate, sends
//! text and binary messages, a ping and a fragmented message, checks every
//! echo, closes cleanly and prints what happened on the wire.

#[path = "support/blocking.rs"]
mod blocking;

use std::net::{TcpListener, TcpStream};

use blocking::{Driver, Owned, seed};
use wirestate::ws::{ClientConfig, Config, Connection, DeflateConfig, MessageKind};

fn server(listener: TcpListener) {
    let Ok((stream, _)) = listener.accept() else {
        return;
    };
    let cfg = Config {
        compression: Some(DeflateConfig::default()),
        ..Config::default()
    };
    let mut d = Driver::new(stream, Connection::server(cfg));
    while let Ok(true) = d.step() {
        while let Some(e) = d.next_event() {
            match e {
                Owned::Request { path, extensions } => {
                    println!("  server: request for {path} ({extensions} extension offer)");
                    let _ = d.conn.accept(None, &[]);
                }
                Owned::Message(kind, data) => {
                    let _ = d.conn.send_message(kind, &data, true);
                }
                Owned::Closed(code, reason, clean) => {
                    println!("  server: closed with {code} {reason:?}, clean: {clean}");
                }
                _ => {}
            }
        }
    }
}

fn main() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("local address");
    println!("wirestate WebSocket demo: echo server on ws://{addr}/demo");
    let server_thread = std::thread::spawn(move || server(listener));

    let stream = TcpStream::connect(addr).expect("connect");
    let mut cfg = ClientConfig::new(addr.to_string(), "/demo");
    cfg.config.compression = Some(DeflateConfig::default());
    let conn = Connection::client(cfg, seed()).expect("client config");
    let mut d = Driver::new(stream, conn);

    let big_text = "wirestate ".repeat(10_000);
    let binary: Vec<u8> = (0..=255u8).cycle().take(1 << 20).collect();
    let mut script: Vec<(MessageKind, Vec<u8>)> = vec![
        (MessageKind::Text, "hello, world".into()),
        (MessageKind::Text, "κόσμε — UTF-8 checked on arrival".into()),
        (MessageKind::Text, big_text.clone().into_bytes()),
        (MessageKind::Binary, binary),
    ];
    script.reverse();
    let mut waiting: Option<(MessageKind, Vec<u8>)> = None;
    let mut fragmented_sent = false;
    let mut ok = 0;
    loop {
        if d.conn.state() == wirestate::ws::State::Open && waiting.is_none() {
            if let Some((kind, data)) = script.pop() {
                let before = d.conn.buffered_amount();
                d.conn.send_message(kind, &data, true).expect("send");
                let wire = d.conn.buffered_amount() - before;
                println!(
                    "  client: sent {:?} of {} bytes as {} bytes on the wire",
                    kind,
                    data.len(),
                    wire
                );
                waiting = Some((kind, data));
            } else if !fragmented_sent {
                d.conn
                    .send_fragment(MessageKind::Text, b"frag", false)
                    .expect("fragment");
                d.conn.ping(b"are you there?").expect("ping");
                d.conn
                    .send_fragment(MessageKind::Text, b"mented", true)
                    .expect("fragment");
                println!("  client: sent a text message in two fragments with a ping between them");
                waiting = Some((MessageKind::Text, b"fragmented".to_vec()));
                fragmented_sent = true;
            } else {
                d.conn.close(1000, "demo over").expect("close");
                println!("  client: sent Close 1000");
            }
        }
        match d.step() {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => panic!("i/o error: {e}"),
        }
        while let Some(e) = d.next_event() {
            match e {
                Owned::Accepted { .. } => println!(
                    "  client: handshake accepted, permessage-deflate {}",
                    if d.conn.is_compressed() { "on" } else { "off" }
                ),
                Owned::Message(kind, data) => {
                    let want = waiting.take().expect("an echo was expected");
                    assert_eq!((kind, &data), (want.0, &want.1), "echo differs");
                    ok += 1;
                    println!("  client: echo of {} bytes matches", data.len());
                }
                Owned::Pong => println!("  client: pong received"),
                Owned::Closed(code, reason, clean) => {
                    println!("  client: closed with {code} {reason:?}, clean: {clean}");
                }
                _ => {}
            }
        }
    }
    let _ = server_thread.join();
    let stats = d.conn.stats();
    println!(
        "done: {ok} echoes verified; client sent {} bytes and received {} bytes",
        stats.bytes_sent, stats.bytes_received
    );
    assert_eq!(ok, 5);
}
