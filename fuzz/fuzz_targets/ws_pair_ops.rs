//! An arbitrary sequence of application calls, byte deliveries, clock ticks
//! and stream cuts on a client and a server wired back to back, with
//! permessage-deflate on or off (and arbitrary parameters on each side).
//!
//! Asserts, besides the `Watch` invariants on both ends:
//! - every message whose send returned `Ok` arrives at the peer intact and in
//!   order (whole, or as streamed chunks that add up to it), unless the
//!   receiving end failed (`Closed` not clean) or its stream was cut; after
//!   the input, once all bytes have moved, nothing sent is left undelivered
//!   under those same conditions;
//! - nothing arrives that was not sent;
//! - neither end fails with 1002 or 1007: both are wirestate, so neither may
//!   put a protocol violation or bad data on the wire;
//! - misuse (sending before open or after close, oversize control payloads,
//!   bad close codes, invalid text) is an `Err`, never a panic;
//! - nothing is queued for the transport after an end asked for it to close.
#![no_main]

use std::collections::VecDeque;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use wirestate::ws::{close, Config, DeflateConfig, Error, MessageKind, State};
use wirestate_fuzz::frames::{check_call, check_send};
use wirestate_fuzz::{client_config, lossy, transfer, Ev, Pair, Peer};

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
            threshold: usize::from(self.threshold),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Setup {
    client_deflate: Option<Deflate>,
    server_deflate: Option<Deflate>,
    client_streaming: bool,
    server_streaming: bool,
    client_close_echo: bool,
    server_close_echo: bool,
    /// 1 KiB messages and frames, 8 KiB write buffers.
    tight: bool,
    keepalive: bool,
}

#[derive(Arbitrary, Debug)]
enum Op {
    Send {
        server: bool,
        text: bool,
        data: Vec<u8>,
        compress: bool,
    },
    /// `send_text` with the bytes made valid UTF-8.
    SendText {
        server: bool,
        text: Vec<u8>,
    },
    Fragment {
        server: bool,
        text: bool,
        data: Vec<u8>,
        fin: bool,
    },
    Ping {
        server: bool,
        payload: Vec<u8>,
    },
    Pong {
        server: bool,
        payload: Vec<u8>,
    },
    /// `close` with the reason's bytes made valid UTF-8.
    Close {
        server: bool,
        code: u16,
        reason: Vec<u8>,
    },
    CloseNormal {
        server: bool,
    },
    /// Moves up to `max` bytes from one end to the other.
    Deliver {
        from_server: bool,
        max: u16,
    },
    DeliverAll,
    /// Advances both clocks by `ms · 4` milliseconds.
    Advance {
        ms: u16,
    },
    /// Cuts the stream into one end: it sees the end of the stream now and
    /// never receives what is still in flight.
    Cut {
        to_server: bool,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    setup: Setup,
    ops: Vec<Op>,
}

/// Messages on their way from one end to the other.
#[derive(Debug, Default)]
struct Direction {
    /// Whole messages sent (API returned Ok) and not yet received.
    expected: VecDeque<(MessageKind, Vec<u8>)>,
    /// The fragmented message being sent.
    tx_partial: Option<(MessageKind, Vec<u8>)>,
    /// The streamed message being received.
    rx_partial: Option<(MessageKind, Vec<u8>)>,
    /// How far the receiver's event log has been read.
    seen: usize,
    /// The code and reason of the sender's first Close frame, when the
    /// application sent it while the connection was open.
    close_sent: Option<(u16, String)>,
}

/// Whether the receiving end may have lost messages: it failed, or its
/// stream was cut.
fn excused(rx: &Peer) -> bool {
    rx.cut || matches!(rx.watch.closed, Some((_, false)))
}

/// Matches what `rx` reported since last time against what was sent to it.
fn observe(dir: &mut Direction, rx: &Peer) {
    let name = rx.watch.name;
    for ev in &rx.watch.log[dir.seen..] {
        let got = match ev {
            Ev::Text(t) => Some((MessageKind::Text, t.as_bytes().to_vec())),
            Ev::Binary(b) => Some((MessageKind::Binary, b.clone())),
            Ev::Chunk {
                kind,
                data,
                first,
                last,
            } => {
                if *first {
                    dir.rx_partial = None;
                }
                let part = dir.rx_partial.get_or_insert_with(|| (*kind, Vec::new()));
                part.1.extend_from_slice(data);
                if *last {
                    dir.rx_partial.take()
                } else {
                    None
                }
            }
            Ev::CloseReceived(code, reason) => {
                if let Some((c, r)) = &dir.close_sent {
                    assert!(
                        c == code && r == reason,
                        "{name} received Close({code}, {reason:?}), the peer sent Close({c}, {r:?})"
                    );
                }
                None
            }
            Ev::Closed { code, clean, .. } => {
                assert!(
                    *clean || !matches!(*code, close::PROTOCOL_ERROR | close::INVALID_PAYLOAD),
                    "{name} failed the connection with {code} against a wirestate peer; log: {:?}",
                    rx.watch.log
                );
                None
            }
            _ => None,
        };
        if let Some((kind, data)) = got {
            let want = dir.expected.pop_front();
            match want {
                Some((wk, wd)) => {
                    assert!(
                        wk == kind && wd == data,
                        "{name} received {kind:?} {} bytes {:?}, expected {wk:?} {} bytes {:?}",
                        data.len(),
                        &data[..data.len().min(64)],
                        wd.len(),
                        &wd[..wd.len().min(64)]
                    );
                }
                None => panic!(
                    "{name} received a {kind:?} message of {} bytes nobody sent",
                    data.len()
                ),
            }
        }
    }
    dir.seen = rx.watch.log.len();
}

fn config(setup: &Setup, deflate: &Option<Deflate>, streaming: bool, echo: bool) -> Config {
    let mut c = Config {
        streaming,
        close_echo: echo,
        compression: deflate.as_ref().map(Deflate::config),
        close_timeout: std::time::Duration::from_secs(10),
        ..Config::default()
    };
    if setup.tight {
        c.max_message_size = 1024;
        c.max_frame_size = 1024;
        c.max_write_buffer = 8 << 10;
        c.write_buffer_high = 2 << 10;
        c.write_buffer_low = 512;
    } else {
        c.max_message_size = 64 << 10;
        c.max_frame_size = 64 << 10;
        c.max_write_buffer = 256 << 10;
    }
    if setup.keepalive {
        c.keepalive_interval = Some(std::time::Duration::from_secs(1));
        c.keepalive_timeout = std::time::Duration::from_secs(2);
    }
    c
}

fn kind_of(text: bool) -> MessageKind {
    if text {
        MessageKind::Text
    } else {
        MessageKind::Binary
    }
}

fuzz_target!(|input: Input| {
    let s = &input.setup;
    let cc = config(s, &s.client_deflate, s.client_streaming, s.client_close_echo);
    let sc = config(s, &s.server_deflate, s.server_streaming, s.server_close_echo);
    let mut pair = Pair::open(client_config(cc), sc);
    assert_eq!(
        pair.client.conn.is_compressed(),
        s.client_deflate.is_some() && s.server_deflate.is_some(),
        "permessage-deflate negotiation"
    );
    // dirs[0]: client to server; dirs[1]: server to client.
    let mut dirs = [Direction::default(), Direction::default()];

    for op in &input.ops {
        match op {
            Op::Send {
                server,
                text,
                data,
                compress,
            } => {
                let kind = kind_of(*text);
                let (me, _) = pair.sides(*server);
                let before = me.conn.state();
                let res = me.conn.send_message(kind, data, *compress);
                check_send("send_message", before, res);
                if *text && before == State::Open && std::str::from_utf8(data).is_err() {
                    assert!(res.is_err(), "invalid UTF-8 text was sent");
                }
                if res.is_ok() {
                    dirs[usize::from(*server)]
                        .expected
                        .push_back((kind, data.clone()));
                }
            }
            Op::SendText { server, text } => {
                let text = lossy(text);
                let (me, _) = pair.sides(*server);
                let before = me.conn.state();
                let res = me.conn.send_text(&text);
                check_send("send_text", before, res);
                if res.is_ok() {
                    dirs[usize::from(*server)]
                        .expected
                        .push_back((MessageKind::Text, text.as_bytes().to_vec()));
                }
            }
            Op::Fragment {
                server,
                text,
                data,
                fin,
            } => {
                let kind = kind_of(*text);
                let (me, _) = pair.sides(*server);
                let before = me.conn.state();
                let res = me.conn.send_fragment(kind, data, *fin);
                check_send("send_fragment", before, res);
                let dir = &mut dirs[usize::from(*server)];
                if let Some((k, _)) = &dir.tx_partial {
                    if *k != kind {
                        assert!(res.is_err(), "fragment of another kind accepted");
                    }
                }
                if res.is_ok() {
                    let part = dir.tx_partial.get_or_insert_with(|| (kind, Vec::new()));
                    part.1.extend_from_slice(data);
                    if *fin {
                        let whole = dir.tx_partial.take().expect("a message in progress");
                        dir.expected.push_back(whole);
                    }
                }
            }
            Op::Ping { server, payload } | Op::Pong { server, payload } => {
                let (me, _) = pair.sides(*server);
                let before = me.conn.state();
                let res = if matches!(op, Op::Ping { .. }) {
                    me.conn.ping(payload)
                } else {
                    me.conn.pong(payload)
                };
                check_send("ping/pong", before, res);
                if before == State::Open && payload.len() > 125 {
                    assert_eq!(res, Err(Error::ControlTooLarge));
                }
            }
            Op::Close {
                server,
                code,
                reason,
            } => {
                let reason = lossy(reason);
                let (me, _) = pair.sides(*server);
                let before = me.conn.state();
                let res = me.conn.close(*code, &reason);
                check_call("close", before, res);
                if res.is_ok() {
                    assert!(close::is_valid_on_wire(*code), "close({code}) accepted");
                    assert!(reason.len() <= 123, "long close reason accepted");
                    if before == State::Open {
                        dirs[usize::from(*server)].close_sent = Some((*code, reason.clone()));
                    }
                } else if before == State::Open && !close::is_valid_on_wire(*code) {
                    assert_eq!(res, Err(Error::InvalidCloseCode));
                }
            }
            Op::CloseNormal { server } => {
                let (me, _) = pair.sides(*server);
                let before = me.conn.state();
                let res = me.conn.close(close::NORMAL, "bye");
                check_call("close", before, res);
                if before == State::Open {
                    assert_eq!(res, Ok(()), "close(1000) while open");
                    dirs[usize::from(*server)].close_sent = Some((close::NORMAL, "bye".into()));
                }
            }
            Op::Deliver { from_server, max } => {
                let (from, to) = pair.sides(*from_server);
                transfer(from, to, usize::from(*max));
            }
            Op::DeliverAll => pair.settle(),
            Op::Advance { ms } => pair.advance(u64::from(*ms) * 4),
            Op::Cut { to_server } => {
                let (me, _) = pair.sides(*to_server);
                me.cut = true;
                me.deliver_eof();
                assert_eq!(me.conn.state(), State::Closed, "still open after end of stream");
            }
        }
        // A sent close (by the application or by the connection itself)
        // abandons a fragmented message in progress.
        for (i, p) in [&pair.client, &pair.server].into_iter().enumerate() {
            if p.conn.state() != State::Open {
                dirs[i].tx_partial = None;
            }
        }
        observe(&mut dirs[0], &pair.server);
        observe(&mut dirs[1], &pair.client);
    }

    pair.settle();
    wirestate_fuzz::debug_log(&pair.client.watch);
    wirestate_fuzz::debug_log(&pair.server.watch);
    observe(&mut dirs[0], &pair.server);
    observe(&mut dirs[1], &pair.client);
    for (dir, rx) in [(&dirs[0], &pair.server), (&dirs[1], &pair.client)] {
        if !excused(rx) {
            assert!(
                dir.expected.is_empty(),
                "{} never received {} message(s) sent to it (state {:?}); log: {:?}",
                rx.watch.name,
                dir.expected.len(),
                rx.conn.state(),
                rx.watch.log
            );
        }
    }
});
