//! `ws_echo_server IP:PORT`: a WebSocket echo server on `std::net`, one
//! thread per connection, permessage-deflate on. It echoes every text and
//! binary message and runs until killed. Conformance suites and browsers
//! point at it.

#[path = "support/blocking.rs"]
mod blocking;

use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use blocking::{Driver, Owned};
use wirestate::ws::{Config, Connection, DeflateConfig, MessageKind};

fn config() -> Config {
    Config {
        compression: Some(DeflateConfig::default()),
        max_message_size: 64 << 20,
        max_frame_size: 64 << 20,
        max_write_buffer: 256 << 20,
        close_timeout: Duration::from_secs(5),
        open_timeout: Some(Duration::from_secs(30)),
        ..Config::default()
    }
}

fn serve(stream: TcpStream) -> std::io::Result<()> {
    let mut d = Driver::new(stream, Connection::server(config()));
    while d.step()? {
        while let Some(event) = d.next_event() {
            match event {
                Owned::Request { .. } => {
                    let _ = d.conn.accept(None, &[]);
                }
                Owned::Message(kind, data) => {
                    // Fails only once the connection is closing; then there is
                    // nothing to echo to.
                    let _ = d.conn.send_message(
                        kind,
                        &data,
                        kind == MessageKind::Text || data.len() > 64,
                    );
                }
                _ => {}
            }
        }
    }
    Ok(())
}

fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".to_string());
    let listener = TcpListener::bind(&addr).unwrap_or_else(|e| {
        eprintln!("ws_echo_server: cannot listen on {addr}: {e}");
        std::process::exit(2);
    });
    println!(
        "ws_echo_server listening on ws://{}",
        listener.local_addr().map(|a| a.to_string()).unwrap_or(addr)
    );
    for stream in listener.incoming() {
        match stream {
            Ok(s) => {
                std::thread::spawn(move || {
                    if let Err(e) = serve(s) {
                        eprintln!("ws_echo_server: connection error: {e}");
                    }
                });
            }
            Err(e) => eprintln!("ws_echo_server: accept failed: {e}"),
        }
    }
}
