//! The cost of the C API's boundary: the same 16-byte-message loop through
//! the core's Rust API and through the exported `extern "C"` functions (the
//! ones a C program calls; NULL checks, panic boundary, event conversion).
//!
//! `cargo test --release -p wirestate-ffi -- --ignored --nocapture overhead`
//! (`WIRESTATE_OVERHEAD_MESSAGES` sets the messages per run).

use std::hint::black_box;
use std::ptr;
use std::time::Instant;

use crate::error::wirestate_result;
use crate::ws::config::*;
use crate::ws::conn::*;
use crate::ws::event::*;
use wirestate_core::ws::{ClientConfig, Config, Connection, Event};

const SEED: [u8; 16] = [7; 16];

fn rust_pair() -> (Connection, Connection) {
    let mut client = Connection::client(ClientConfig::new("localhost", "/"), SEED).unwrap();
    let mut server = Connection::server(Config::default());
    server.receive_data(&client.data_to_send());
    while server.poll_event().is_some() {}
    server.accept(None, &[]).unwrap();
    client.receive_data(&server.data_to_send());
    while client.poll_event().is_some() {}
    (client, server)
}

fn rust_loop(n: u64) -> f64 {
    let (mut client, mut server) = rust_pair();
    let msg = [0x5au8; 16];
    let start = Instant::now();
    let mut got = 0u64;
    for _ in 0..n {
        client.send_binary(&msg).unwrap();
        let out = client.pending_output();
        let len = out.len();
        server.receive_data(out);
        client.consume_output(len);
        while let Some(e) = server.poll_event() {
            if let Event::Binary(b) = e {
                got += black_box(b.len()) as u64;
            }
        }
    }
    assert_eq!(got, 16 * n);
    start.elapsed().as_nanos() as f64 / n as f64
}

fn ok(r: wirestate_result) {
    assert_eq!(r, wirestate_result::Ok);
}

fn c_loop(n: u64) -> f64 {
    let mut cfg = ptr::null_mut();
    ok(wirestate_ws_config_new(&mut cfg));
    ok(wirestate_ws_config_set_host(cfg, c"localhost".as_ptr(), 9));
    let (mut client, mut server) = (ptr::null_mut(), ptr::null_mut());
    ok(wirestate_ws_conn_new_client(
        cfg,
        SEED.as_ptr(),
        &mut client,
    ));
    ok(wirestate_ws_conn_new_server(cfg, &mut server));
    wirestate_ws_config_free(cfg);
    let mut ev = wirestate_ws_event {
        kind: wirestate_ws_event_kind::None,
        message_kind: crate::ws::wirestate_ws_message_kind::Binary,
        data: ptr::null(),
        len: 0,
        code: 0,
        status: 0,
        clean: false,
        first: false,
        last: false,
        total: 0,
    };
    let pump = |from: *mut wirestate_ws_conn, to: *mut wirestate_ws_conn| {
        let (mut data, mut len) = (ptr::null(), 0usize);
        ok(wirestate_ws_conn_pending_output(from, &mut data, &mut len));
        ok(wirestate_ws_conn_receive_data(to, data, len));
        ok(wirestate_ws_conn_consume_output(from, len));
    };
    pump(client, server);
    ok(wirestate_ws_conn_poll_event(server, &mut ev));
    ok(wirestate_ws_conn_accept(
        server,
        ptr::null(),
        0,
        ptr::null(),
        0,
    ));
    pump(server, client);
    loop {
        ok(wirestate_ws_conn_poll_event(client, &mut ev));
        if ev.kind == wirestate_ws_event_kind::None {
            break;
        }
    }
    let msg = [0x5au8; 16];
    let start = Instant::now();
    let mut got = 0u64;
    for _ in 0..n {
        ok(wirestate_ws_conn_send_binary(
            client,
            msg.as_ptr(),
            msg.len(),
        ));
        pump(client, server);
        loop {
            ok(wirestate_ws_conn_poll_event(server, &mut ev));
            match ev.kind {
                wirestate_ws_event_kind::None => break,
                wirestate_ws_event_kind::Binary => got += black_box(ev.len) as u64,
                _ => {}
            }
        }
    }
    let ns = start.elapsed().as_nanos() as f64 / n as f64;
    assert_eq!(got, 16 * n);
    wirestate_ws_conn_free(client);
    wirestate_ws_conn_free(server);
    ns
}

#[test]
#[ignore = "a measurement: run with --release -- --ignored --nocapture overhead"]
fn overhead() {
    let n: u64 = std::env::var("WIRESTATE_OVERHEAD_MESSAGES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000_000);
    // Warm up, then alternate to even out noise; keep the best of each.
    rust_loop(n / 10);
    c_loop(n / 10);
    let (mut rust, mut c) = (f64::MAX, f64::MAX);
    for _ in 0..5 {
        rust = rust.min(rust_loop(n));
        c = c.min(c_loop(n));
    }
    println!("16-byte messages, client send -> server event, {n} per run, best of 5:");
    println!("  core (Rust API):  {rust:7.1} ns/message");
    println!("  C API functions:  {c:7.1} ns/message");
    println!("  overhead:         {:+7.1} %", (c / rust - 1.0) * 100.0);
}
