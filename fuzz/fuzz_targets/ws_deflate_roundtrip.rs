//! Arbitrary messages through a client/server pair that negotiated
//! permessage-deflate with arbitrary parameters (window bits 9..=15, both
//! no_context_takeover flags, level, threshold; the two ends configured
//! independently). Each message goes whole or in fragments, compressed or
//! not, either way, and must arrive byte-exact and in order, as one message
//! (or as streamed chunks that add up to it). Both ends must agree that the
//! extension is in force, and neither may fail the connection.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use wirestate::ws::{Config, DeflateConfig, MessageKind};
use wirestate_fuzz::{client_config, Ev, Pair};

#[derive(Arbitrary, Debug)]
struct Deflate {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: u8,
    client_max_window_bits: u8,
    level: u8,
    threshold: u8,
}

impl Deflate {
    fn config(&self) -> DeflateConfig {
        DeflateConfig {
            server_no_context_takeover: self.server_no_context_takeover,
            client_no_context_takeover: self.client_no_context_takeover,
            server_max_window_bits: 9 + self.server_max_window_bits % 7,
            client_max_window_bits: 9 + self.client_max_window_bits % 7,
            level: u32::from(self.level % 10),
            threshold: usize::from(self.threshold % 64),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Message {
    from_server: bool,
    text: bool,
    data: Vec<u8>,
    /// Send uncompressed although the extension is in force.
    plain: bool,
    /// Sizes of the fragments to send it in (empty: one frame); the last
    /// fragment takes what is left.
    fragments: Vec<u8>,
    /// Send it this many more times (context takeover gets to refer back).
    repeat: u8,
}

#[derive(Arbitrary, Debug)]
struct Input {
    client: Deflate,
    server: Deflate,
    client_streaming: bool,
    server_streaming: bool,
    messages: Vec<Message>,
}

fn config(d: &Deflate, streaming: bool) -> Config {
    Config {
        compression: Some(d.config()),
        streaming,
        ..Config::default()
    }
}

/// Collects the messages an end reported since `from` (whole, or chunks
/// reassembled).
fn received(log: &[Ev]) -> Vec<(MessageKind, Vec<u8>)> {
    let mut out = Vec::new();
    let mut partial: Option<(MessageKind, Vec<u8>)> = None;
    for ev in log {
        match ev {
            Ev::Text(t) => out.push((MessageKind::Text, t.as_bytes().to_vec())),
            Ev::Binary(b) => out.push((MessageKind::Binary, b.clone())),
            Ev::Chunk {
                kind, data, last, ..
            } => {
                let p = partial.get_or_insert_with(|| (*kind, Vec::new()));
                p.1.extend_from_slice(data);
                if *last {
                    out.extend(partial.take());
                }
            }
            Ev::Ping(_) | Ev::Pong(_) | Ev::Writable => {}
            other => panic!("unexpected event {other:?}"),
        }
    }
    out
}

fuzz_target!(|input: Input| {
    let cc = config(&input.client, input.client_streaming);
    let sc = config(&input.server, input.server_streaming);
    let mut pair = Pair::open(client_config(cc), sc);
    assert!(pair.client.conn.is_compressed(), "client: deflate not negotiated");
    assert!(pair.server.conn.is_compressed(), "server: deflate not negotiated");
    pair.client.watch.log.clear();
    pair.server.watch.log.clear();

    let mut sent = [Vec::new(), Vec::new()];
    for m in &input.messages {
        // Text must be valid UTF-8; keep the fuzzer's bytes as they are
        // otherwise, and its text only when it is text.
        let kind = match (m.text, std::str::from_utf8(&m.data).is_ok()) {
            (true, true) => MessageKind::Text,
            _ => MessageKind::Binary,
        };
        for _ in 0..=(m.repeat % 4) {
            let (me, _) = pair.sides(m.from_server);
            if m.fragments.is_empty() {
                me.conn
                    .send_message(kind, &m.data, !m.plain)
                    .expect("send_message on an open connection");
            } else {
                let mut rest = &m.data[..];
                let mut sizes = m.fragments.iter();
                loop {
                    let size = sizes.next().map(|&s| usize::from(s));
                    let n = size.unwrap_or(rest.len()).min(rest.len());
                    let fin = size.is_none() || n == rest.len() && sizes.len() == 0;
                    let (piece, tail) = rest.split_at(n);
                    // A text fragment may split a code point.
                    me.conn
                        .send_fragment(kind, piece, fin)
                        .expect("send_fragment on an open connection");
                    rest = tail;
                    if fin {
                        break;
                    }
                }
            }
            sent[usize::from(m.from_server)].push((kind, m.data.clone()));
            // Move the bytes now so write buffers stay small.
            pair.settle();
        }
    }
    pair.settle();
    wirestate_fuzz::debug_log(&pair.client.watch);
    wirestate_fuzz::debug_log(&pair.server.watch);
    let got_by_server = received(&pair.server.watch.log);
    let got_by_client = received(&pair.client.watch.log);
    for (name, got, want) in [
        ("server", &got_by_server, &sent[0]),
        ("client", &got_by_client, &sent[1]),
    ] {
        assert_eq!(got.len(), want.len(), "{name}: message count");
        for (i, (g, w)) in got.iter().zip(want.iter()).enumerate() {
            assert!(
                g == w,
                "{name}: message {i} differs: got {:?} {} bytes, sent {:?} {} bytes",
                g.0,
                g.1.len(),
                w.0,
                w.1.len()
            );
        }
    }
});
