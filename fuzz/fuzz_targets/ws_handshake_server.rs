//! A fresh server connection fed arbitrary bytes, split at arbitrary points,
//! as the client's opening request (and whatever follows it). When a Request
//! event comes, the input decides between `accept` and `reject`; the rest of
//! the input keeps flowing in.
//!
//! Input: `flags`, `split max` (0 = one piece), `split seed`, `status byte`,
//! then the stream. `flags`: bit 0 accept (else reject), bit 1 accept the
//! first offered subprotocol by name, bit 2 compression enabled on the
//! server, bit 3 add an extra header line, bit 4 end of stream after the
//! input, bit 5 tight handshake limits, bit 6 an open timeout and a clock
//! tick after every piece, bit 7 the server knows subprotocol "chat".
//!
//! Asserts: no panic; the event invariants of `Watch`; `accept` after a
//! Request succeeds, `reject` succeeds exactly for statuses 200..=599 and
//! closes (both fail with `InvalidState` when the same input already ended
//! the connection); the first output is an HTTP/1.1 response (101 after accept); total
//! output is bounded by a constant plus twice the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wirestate::time::Instant;
use wirestate::ws::{Config, Connection, Error, State};
use wirestate_fuzz::{deflate_from, Ev, Reader, Splitter, Watch};

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    let flags = r.u8();
    let split_max = r.u8();
    let split_seed = r.u8();
    let status_byte = r.u8();
    let stream = r.rest();

    let mut config = Config::default();
    if flags & 4 != 0 {
        config.compression = Some(deflate_from(status_byte, split_seed));
    }
    if flags & 0x20 != 0 {
        config.max_handshake_size = 256;
        config.max_headers = 6;
        config.max_message_size = 1024;
        config.max_frame_size = 512;
    }
    if flags & 0x40 != 0 {
        config.open_timeout = Some(std::time::Duration::from_millis(300));
    }
    if flags & 0x80 != 0 {
        config.subprotocols = vec!["chat".into()];
    }
    let max_message = config.max_message_size;
    let mut conn = Connection::server(config);
    let mut watch = Watch::new("server", max_message);
    let mut out: Vec<u8> = Vec::new();
    let mut decided = false;
    let mut now_ms = 0u64;

    for chunk in Splitter::new(split_seed, split_max).chunks(stream) {
        conn.receive_data(chunk);
        if flags & 0x40 != 0 {
            now_ms += 100;
            conn.handle_timeout(Instant::from_millis(now_ms));
        }
        let seen = watch.log.len();
        watch.drain(&mut conn);
        let request = watch.log[seen..].iter().find_map(|e| match e {
            Ev::Request(r) => Some(r.clone()),
            _ => None,
        });
        if let Some(req) = request {
            assert!(!decided, "a second Request event");
            decided = true;
            if conn.state() != State::Connecting {
                // The same step also ended the connection (the open timeout
                // fired, or too much data followed the head): the Request
                // can no longer be answered, and Closed was reported.
                assert_eq!(conn.state(), State::Closed);
                assert!(watch.closed.is_some());
                assert_eq!(conn.accept(None, &[]), Err(Error::InvalidState));
                assert_eq!(conn.reject(403, &[], b""), Err(Error::InvalidState));
                out.extend_from_slice(&conn.data_to_send());
                continue;
            }
            let extra: &[(&str, &str)] = if flags & 8 != 0 {
                &[("X-Fuzz", "yes")]
            } else {
                &[]
            };
            if flags & 1 != 0 {
                let proto = if flags & 2 != 0 {
                    req.subprotocols.first().map(String::as_str)
                } else {
                    None
                };
                let before = conn.buffered_amount();
                let res = conn.accept(proto, extra);
                assert_eq!(res, Ok(()), "accept after Request failed for {req:?}");
                assert!(
                    conn.pending_output()[before..].starts_with(b"HTTP/1.1 101 "),
                    "accept did not queue a 101 response"
                );
                assert_eq!(conn.accept(None, &[]), Err(Error::InvalidState));
            } else {
                let status = 100 + u16::from(status_byte) * 2;
                let body = &b"not here, not now"[..usize::from(status_byte % 18)];
                let res = conn.reject(status, extra, body);
                if (200..=599).contains(&status) {
                    assert_eq!(res, Ok(()));
                    assert_eq!(conn.state(), State::Closed);
                    assert!(conn.should_close_transport());
                } else {
                    assert_eq!(res, Err(Error::InvalidStatus));
                    // Answer properly after all.
                    assert_eq!(conn.reject(403, &[], b""), Ok(()));
                }
                assert_eq!(conn.reject(403, &[], b""), Err(Error::InvalidState));
            }
            watch.drain(&mut conn);
        } else if !decided {
            // No decision possible without a Request.
            assert_eq!(conn.accept(None, &[]), Err(Error::InvalidState));
        }
        out.extend_from_slice(&conn.data_to_send());
        watch.check_state(&conn);
    }
    if flags & 0x10 != 0 {
        conn.receive_eof();
        watch.drain(&mut conn);
        assert_eq!(conn.state(), State::Closed);
    }
    out.extend_from_slice(&conn.data_to_send());
    watch.check_state(&conn);

    wirestate_fuzz::debug_log(&watch);
    if !out.is_empty() {
        assert!(out.starts_with(b"HTTP/1.1 "), "output does not start with a response");
    }
    let bound = 2048 + 2 * stream.len();
    assert!(
        out.len() <= bound,
        "{} bytes of output for {} bytes of input",
        out.len(),
        stream.len()
    );
});
