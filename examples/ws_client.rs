//! `ws_client URL --count N --size S [--no-compression]`: connects to a
//! WebSocket echo server, sends N binary messages of S pseudo-random bytes,
//! checks each echo byte for byte, closes with 1000 and prints
//! `ok N messages`. Exits non-zero on any mismatch or failure.

#[path = "support/blocking.rs"]
mod blocking;

use std::net::TcpStream;
use std::process::exit;

use blocking::{Driver, Owned, parse_ws_url, seed};
use wirestate::ws::{ClientConfig, Connection, DeflateConfig, MessageKind};

fn fail(msg: &str) -> ! {
    eprintln!("ws_client: {msg}");
    exit(1);
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut url = None;
    let (mut count, mut size, mut compression) = (1usize, 16usize, true);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--count" => {
                count = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| fail("--count N"))
            }
            "--size" => {
                size = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| fail("--size S"))
            }
            "--no-compression" => compression = false,
            _ if url.is_none() => url = Some(a),
            _ => fail(&format!("unexpected argument {a}")),
        }
    }
    let url =
        url.unwrap_or_else(|| fail("usage: ws_client URL --count N --size S [--no-compression]"));
    let (addr, host, path) = parse_ws_url(&url).unwrap_or_else(|e| fail(&e));
    let stream =
        TcpStream::connect(&addr).unwrap_or_else(|e| fail(&format!("connect {addr}: {e}")));
    let mut cfg = ClientConfig::new(host, path);
    // Room for the echo, and for a compressed frame of incompressible data,
    // which deflate makes slightly larger than the message.
    cfg.config.max_message_size = size + (1 << 20);
    cfg.config.max_frame_size = 2 * size + (1 << 20);
    cfg.config.max_write_buffer = 2 * size + (1 << 20);
    if compression {
        cfg.config.compression = Some(DeflateConfig::default());
    }
    let conn = Connection::client(cfg, seed()).unwrap_or_else(|e| fail(&e.to_string()));
    let mut d = Driver::new(stream, conn);
    let mut rng = u64::from_le_bytes(seed()[..8].try_into().unwrap_or([1; 8])) | 1;
    let mut next_message = move || -> Vec<u8> {
        (0..size)
            .map(|_| {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                rng as u8
            })
            .collect()
    };
    let mut sent = 0usize;
    let mut echoed = 0usize;
    let mut expected: Option<Vec<u8>> = None;
    let mut open = false;
    let mut closed_clean = false;
    loop {
        if open && expected.is_none() && sent < count {
            let m = next_message();
            d.conn
                .send_message(MessageKind::Binary, &m, true)
                .unwrap_or_else(|e| fail(&e.to_string()));
            expected = Some(m);
            sent += 1;
        } else if open && expected.is_none() && sent == count && echoed == count {
            let _ = d.conn.close(1000, "done");
            open = false;
        }
        match d.step() {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => fail(&format!("i/o: {e}")),
        }
        while let Some(event) = d.next_event() {
            match event {
                Owned::Accepted { .. } => open = true,
                Owned::Rejected(status) => fail(&format!("handshake rejected with {status}")),
                Owned::Message(MessageKind::Binary, data) => match expected.take() {
                    Some(want) if want == data => echoed += 1,
                    Some(_) => fail(&format!("echo {} differs from what was sent", echoed + 1)),
                    None => fail("unexpected message"),
                },
                Owned::Message(..) => fail("unexpected text message"),
                Owned::Closed(code, reason, clean) => {
                    if code != 1000 || !clean || echoed != count {
                        fail(&format!(
                            "closed with {code} ({reason}), clean {clean}, after {echoed} echoes"
                        ));
                    }
                    closed_clean = true;
                }
                _ => {}
            }
        }
    }
    if !closed_clean {
        fail("connection ended without a clean close");
    }
    println!("ok {count} messages");
}
