//! `ws_autobahn_client URL`: the client side of the Autobahn|Testsuite
//! fuzzing-server protocol. It asks `URL/getCaseCount`, runs every case at
//! `URL/runCase?case=N&agent=wirestate` echoing each message, then asks for
//! `URL/updateReports?agent=wirestate`.

#[path = "support/blocking.rs"]
mod blocking;

use std::net::TcpStream;
use std::time::Duration;

use blocking::{Driver, Owned, parse_ws_url, seed};
use wirestate::ws::{ClientConfig, Config, Connection, DeflateConfig};

const AGENT: &str = "wirestate";

/// Runs one connection to `path`, echoing messages; returns the text
/// messages received.
fn run(addr: &str, host: &str, path: &str) -> std::io::Result<Vec<String>> {
    let stream = TcpStream::connect(addr)?;
    let mut cfg = ClientConfig::new(host, path);
    cfg.config = Config {
        compression: Some(DeflateConfig::default()),
        max_message_size: 64 << 20,
        max_frame_size: 64 << 20,
        max_write_buffer: 256 << 20,
        close_timeout: Duration::from_secs(5),
        ..Config::default()
    };
    let conn = Connection::client(cfg, seed()).map_err(std::io::Error::other)?;
    let mut d = Driver::new(stream, conn);
    let mut texts = Vec::new();
    while d.step()? {
        while let Some(event) = d.next_event() {
            if let Owned::Message(kind, data) = event {
                if kind == wirestate::ws::MessageKind::Text {
                    texts.push(String::from_utf8_lossy(&data).into_owned());
                }
                let _ = d.conn.send_message(kind, &data, true);
            }
        }
    }
    Ok(texts)
}

fn main() {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "ws://127.0.0.1:9001".to_string());
    let (addr, host, base) = parse_ws_url(&url).unwrap_or_else(|e| {
        eprintln!("ws_autobahn_client: {e}");
        std::process::exit(2);
    });
    let base = base.trim_end_matches('/').to_string();
    let count: u32 = match run(&addr, &host, &format!("{base}/getCaseCount")) {
        Ok(t) => t.first().and_then(|s| s.trim().parse().ok()).unwrap_or(0),
        Err(e) => {
            eprintln!("ws_autobahn_client: cannot reach {url}: {e}");
            std::process::exit(1);
        }
    };
    println!("ws_autobahn_client: {count} cases");
    for case in 1..=count {
        if let Err(e) = run(
            &addr,
            &host,
            &format!("{base}/runCase?case={case}&agent={AGENT}"),
        ) {
            eprintln!("ws_autobahn_client: case {case}: {e}");
        }
    }
    if let Err(e) = run(&addr, &host, &format!("{base}/updateReports?agent={AGENT}")) {
        eprintln!("ws_autobahn_client: updateReports: {e}");
        std::process::exit(1);
    }
    println!("ws_autobahn_client: done");
}
