//! The body of `ws_server_frames` and `ws_client_frames`: a connection after
//! a valid handshake, fed arbitrary bytes in arbitrary pieces, interleaved
//! with application calls, clock ticks, and well-formed frames from a real
//! peer (so that compressed frames with the right context reach it too).
//!
//! Input: `flags`, `deflate flags`, `window bits`, then opcodes (low nibble
//! of a byte; the high nibble is its small argument `a`):
//!
//! | op | action |
//! |----|--------|
//! | 0  | feed a length byte then that many bytes |
//! | 1  | feed a 16-bit length then that many bytes |
//! | 2  | end of stream |
//! | 3  | advance the clock by `a² · 250 ms` |
//! | 4  | `send_message(kind = a&1 text, bytes8, compress = a&2)` |
//! | 5  | `send_fragment(kind = a&1 text, bytes8, fin = a&2)` |
//! | 6  | `ping(bytes8)` |
//! | 7  | `pong(bytes8)` |
//! | 8  | `close(u16, bytes8 as text)` |
//! | 9  | `consume_output(a · 1024 + byte)` |
//! | 10 | `data_to_send()` |
//! | 11 | `poll_transmit` into a buffer of `a · 64 + 1` bytes |
//! | 12 | the peer sends a whole message (`a&1` text, `a&2` compress, `a&4` 16-bit length) |
//! | 13 | the peer sends a fragment (`a&1` text, `a&2` fin) |
//! | 14 | the peer pings (`a&1`) or closes with a code and reason |
//! | 15 | feed `a` bytes |
//!
//! `flags`: bit 0 permessage-deflate, bit 1 streaming, bit 2 auto-pong off,
//! bit 3 close echo off, bit 4 keepalive (1 s, 2 s deadline), bit 5 a 4 KiB
//! frame limit. Limits are small so that they are hit: 64 KiB messages,
//! 16 KiB write buffer (high 8 KiB, low 2 KiB).

use wirestate::time::Instant;
use wirestate::ws::{close, Config, Error, MessageKind, State};

use crate::{client_config, deflate_from, lossy, transfer, Pair, Peer, Reader, WRITE_SLACK};

/// Checks what an application call returned against the state before it.
pub fn check_call(name: &str, before: State, res: Result<(), Error>) {
    match res {
        Ok(()) => assert!(
            matches!(before, State::Open | State::Closing),
            "{name} succeeded in state {before:?}"
        ),
        Err(e) => {
            if !matches!(before, State::Open | State::Closing) {
                assert_eq!(e, Error::InvalidState, "{name} in state {before:?}");
            }
        }
    }
}

/// Like `check_call`, for calls that send data or control frames: they succeed only
/// while open.
pub fn check_send(name: &str, before: State, res: Result<(), Error>) {
    check_call(name, before, res);
    if res.is_ok() {
        assert_eq!(before, State::Open, "{name} succeeded in state {before:?}");
    }
    if before != State::Open {
        assert_eq!(res, Err(Error::InvalidState), "{name} in state {before:?}");
    }
}

fn kind(a: u8) -> MessageKind {
    if a & 1 != 0 {
        MessageKind::Text
    } else {
        MessageKind::Binary
    }
}

/// Runs one input against the server (`server` true) or the client.
pub fn run(server: bool, data: &[u8]) {
    let mut r = Reader::new(data);
    let flags = r.u8();
    let dflags = r.u8();
    let bits = r.u8();

    let mut config = Config {
        max_message_size: 64 << 10,
        max_frame_size: if flags & 0x20 != 0 { 4 << 10 } else { 64 << 10 },
        max_write_buffer: 16 << 10,
        write_buffer_high: 8 << 10,
        write_buffer_low: 2 << 10,
        streaming: flags & 2 != 0,
        auto_pong: flags & 4 == 0,
        close_echo: flags & 8 == 0,
        close_timeout: std::time::Duration::from_secs(5),
        ..Config::default()
    };
    if flags & 0x10 != 0 {
        config.keepalive_interval = Some(std::time::Duration::from_secs(1));
        config.keepalive_timeout = std::time::Duration::from_secs(2);
    }
    if flags & 1 != 0 {
        config.compression = Some(deflate_from(dflags, bits));
    }
    let max_write = config.max_write_buffer;
    let mut pair = Pair::open(client_config(config.clone()), config);
    if flags & 1 != 0 {
        assert!(pair.server.conn.is_compressed(), "deflate not negotiated");
    }
    let (me, peer): (&mut Peer, &mut Peer) = pair.sides(server);
    let mut now_ms = 0u64;

    while !r.is_empty() {
        let b = r.u8();
        let a = b >> 4;
        let before = me.conn.state();
        match b & 0x0f {
            0 => me.conn.receive_data(r.bytes8()),
            1 => {
                let n = r.u16() as usize;
                me.conn.receive_data(r.take(n));
            }
            2 => {
                me.conn.receive_eof();
                me.watch.drain(&mut me.conn);
                assert_eq!(me.conn.state(), State::Closed, "still open after end of stream");
            }
            3 => {
                now_ms += u64::from(a) * u64::from(a) * 250;
                me.conn.handle_timeout(Instant::from_millis(now_ms));
                peer.conn.handle_timeout(Instant::from_millis(now_ms));
            }
            4 => {
                let data = r.bytes8();
                let res = me.conn.send_message(kind(a), data, a & 2 != 0);
                check_send("send_message", before, res);
                if before == State::Open
                    && kind(a) == MessageKind::Text
                    && std::str::from_utf8(data).is_err()
                {
                    assert!(
                        matches!(res, Err(Error::InvalidUtf8 | Error::FragmentInProgress)),
                        "invalid text: {res:?}"
                    );
                }
            }
            5 => {
                let data = r.bytes8();
                let res = me.conn.send_fragment(kind(a), data, a & 2 != 0);
                check_send("send_fragment", before, res);
            }
            6 | 7 => {
                let data = r.bytes8();
                let res = if b & 0x0f == 6 {
                    me.conn.ping(data)
                } else {
                    me.conn.pong(data)
                };
                check_send("ping/pong", before, res);
                if before == State::Open && data.len() > 125 {
                    assert_eq!(res, Err(Error::ControlTooLarge));
                }
            }
            8 => {
                let code = r.u16();
                let reason = lossy(r.bytes8());
                let res = me.conn.close(code, &reason);
                check_call("close", before, res);
                if res.is_ok() {
                    assert!(close::is_valid_on_wire(code), "close({code}) accepted");
                    assert!(reason.len() <= 123, "close reason of {} bytes accepted", reason.len());
                    assert_ne!(me.conn.state(), State::Open);
                }
            }
            9 => me.conn.consume_output(usize::from(a) * 1024 + usize::from(r.u8())),
            10 => drop(me.conn.data_to_send()),
            11 => {
                let mut buf = vec![0u8; usize::from(a) * 64 + 1];
                let n = me.conn.poll_transmit(&mut buf);
                assert!(n <= buf.len());
            }
            12 => {
                let data = if a & 4 != 0 {
                    let n = r.u16() as usize;
                    r.take(n)
                } else {
                    r.bytes8()
                };
                let _ = peer.conn.send_message(kind(a), data, a & 2 != 0);
                transfer(peer, me, usize::MAX);
            }
            13 => {
                let data = r.bytes8();
                let _ = peer.conn.send_fragment(kind(a), data, a & 2 != 0);
                transfer(peer, me, usize::MAX);
            }
            14 => {
                if a & 1 != 0 {
                    let _ = peer.conn.ping(r.bytes8());
                } else {
                    let code = r.u16();
                    let reason = lossy(r.bytes8());
                    let _ = peer.conn.close(code, &reason);
                }
                transfer(peer, me, usize::MAX);
            }
            _ => me.conn.receive_data(r.take(usize::from(a))),
        }
        me.watch.drain(&mut me.conn);
        peer.watch.drain(&mut peer.conn);
        let queued = me.conn.buffered_amount();
        assert!(
            queued <= max_write + WRITE_SLACK,
            "{queued} bytes queued with max_write_buffer {max_write}"
        );
        assert_eq!(queued, me.conn.pending_output().len());
    }
    crate::debug_log(&me.watch);
    crate::debug_log(&peer.watch);
}
