//! A fresh client connection fed arbitrary bytes, split at arbitrary points,
//! as the server's answer to its opening request (and whatever follows it).
//!
//! Input: `flags`, `window bits`, `split max` (0 = one piece), `split seed`,
//! then the stream. Every occurrence of `{ACCEPT}` in the stream is replaced
//! by the Sec-WebSocket-Accept value the client expects, so that seeds (and
//! their mutations) get past the key check. `flags`: bit 0 offer
//! permessage-deflate, bit 1 offer subprotocols "chat" and "superchat", bits
//! 2/3 the no_context_takeover flags of the offer, bit 4 end of stream after
//! the input, bit 5 tight limits, bit 6 an open timeout and a clock tick after
//! every piece, bit 7 streaming mode.
//!
//! Asserts: no panic; the event invariants of `Watch`; no sending before the
//! handshake is done; Accepted only with the connection open (or closed later
//! by the same input); total output is bounded by the request plus a constant
//! plus four times the input (a 2-byte Ping costs a 6-byte masked Pong).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wirestate::time::Instant;
use wirestate::ws::{accept_key, Connection, Error, State};
use wirestate_fuzz::{client_config, deflate_from, Ev, Reader, Splitter, Watch};

const SEED: [u8; 16] = *b"wirestate-fuzz!!";

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    let flags = r.u8();
    let bits = r.u8();
    let split_max = r.u8();
    let split_seed = r.u8();
    let raw = r.rest();

    let mut cfg = client_config(Default::default());
    if flags & 1 != 0 {
        cfg.config.compression = Some(deflate_from(flags >> 2, bits));
    }
    if flags & 2 != 0 {
        cfg.config.subprotocols = vec!["chat".into(), "superchat".into()];
    }
    if flags & 0x20 != 0 {
        cfg.config.max_handshake_size = 256;
        cfg.config.max_headers = 6;
        cfg.config.max_message_size = 1024;
        cfg.config.max_frame_size = 512;
    }
    if flags & 0x40 != 0 {
        cfg.config.open_timeout = Some(std::time::Duration::from_millis(300));
    }
    cfg.config.streaming = flags & 0x80 != 0;
    let max_message = cfg.config.max_message_size;
    let mut conn = Connection::client(cfg, SEED).expect("valid client config");
    let request = conn.data_to_send();
    assert!(request.starts_with(b"GET /fuzz HTTP/1.1\r\n"));
    let key = request
        .split(|&b| b == b'\n')
        .find_map(|l| l.strip_prefix(b"Sec-WebSocket-Key: "))
        .expect("request carries a key")
        .trim_ascii();
    let accept = accept_key(key);

    // Substitute the expected accept key for the placeholder.
    let mut stream = Vec::with_capacity(raw.len());
    let mut rest = raw;
    while !rest.is_empty() {
        if rest.starts_with(b"{ACCEPT}") {
            stream.extend_from_slice(accept.as_bytes());
            rest = &rest[8..];
        } else {
            stream.push(rest[0]);
            rest = &rest[1..];
        }
    }

    let mut watch = Watch::new("client", max_message);
    let mut out: Vec<u8> = Vec::new();
    let mut now_ms = 0u64;
    for chunk in Splitter::new(split_seed, split_max).chunks(&stream) {
        if conn.state() == State::Connecting {
            assert_eq!(conn.send_text("early"), Err(Error::InvalidState));
            assert_eq!(conn.ping(b""), Err(Error::InvalidState));
            assert_eq!(conn.close(1000, ""), Err(Error::InvalidState));
        }
        let seen = watch.log.len();
        conn.receive_data(chunk);
        if flags & 0x40 != 0 {
            now_ms += 100;
            conn.handle_timeout(Instant::from_millis(now_ms));
        }
        watch.drain(&mut conn);
        if watch.log[seen..].contains(&Ev::Accepted) {
            assert_ne!(conn.state(), State::Connecting, "Accepted while connecting");
        }
        out.extend_from_slice(&conn.data_to_send());
    }
    if flags & 0x10 != 0 {
        conn.receive_eof();
        watch.drain(&mut conn);
        assert_eq!(conn.state(), State::Closed);
    }
    out.extend_from_slice(&conn.data_to_send());
    watch.check_state(&conn);
    wirestate_fuzz::debug_log(&watch);
    // A client answers a 2-byte unmasked Ping with a 6-byte masked Pong.
    let bound = 512 + 4 * stream.len();
    assert!(
        out.len() <= bound,
        "{} bytes of output for {} bytes of input",
        out.len(),
        stream.len()
    );
});
