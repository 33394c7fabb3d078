//! `Connection::receive_data_into`: the payload of a binary message in
//! progress is unmasked straight into the caller's buffer.

mod common;
use common::*;
use std::mem::MaybeUninit;
use wirestate::ws::{Config, Connection, Event, MessageKind};

fn streaming_server() -> Connection {
    open_server(Config {
        streaming: true,
        max_message_size: 8 << 20,
        max_frame_size: 8 << 20,
        ..Config::default()
    })
}

/// The first `n` bytes of `buf`, all written by the connection.
fn written(buf: &[MaybeUninit<u8>], n: usize) -> Vec<u8> {
    // SAFETY: the caller passes the count `receive_data_into` returned, so
    // these bytes were written (and the buffer was zeroed anyway).
    buf[..n]
        .iter()
        .map(|b| unsafe { b.assume_init() })
        .collect()
}

/// A message being rebuilt: its kind, bytes gathered after falling back,
/// the buffer of the announced size and how much of it is written.
type Assembling = (MessageKind, Vec<u8>, Vec<MaybeUninit<u8>>, usize);

/// Feeds `wire` in `step`-byte reads the way a binding assembling messages
/// would: a buffer of the announced total once the first chunk is seen,
/// polling every event before the next read. Returns each message rebuilt
/// and how many bytes went straight into caller buffers.
fn assemble(s: &mut Connection, wire: &[u8], step: usize) -> (Vec<(MessageKind, Vec<u8>)>, usize) {
    let mut out = Vec::new();
    let mut direct_total = 0;
    let mut current: Option<Assembling> = None;
    for piece in wire.chunks(step) {
        let n = match current.as_mut() {
            Some((MessageKind::Binary, _, buf, filled)) if *filled < buf.len() => {
                let n = s.receive_data_into(piece, &mut buf[*filled..]);
                *filled += n;
                n
            }
            _ => {
                s.receive_data(piece);
                0
            }
        };
        direct_total += n;
        while let Some(e) = s.poll_event() {
            let Event::MessageChunk {
                kind,
                data,
                first,
                last,
                total,
            } = e
            else {
                panic!("unexpected event {e:?}");
            };
            if first {
                let cap = total.map_or(0, |t| t as usize);
                current = Some((kind, Vec::new(), vec![MaybeUninit::new(0); cap], 0));
            }
            let (_, gathered, buf, filled) = current.as_mut().expect("a message in progress");
            if gathered.is_empty()
                && *filled + data.len() <= buf.len()
                && kind == MessageKind::Binary
            {
                for (slot, b) in buf[*filled..].iter_mut().zip(data) {
                    *slot = MaybeUninit::new(*b);
                }
                *filled += data.len();
            } else {
                if gathered.is_empty() {
                    *gathered = written(buf, *filled);
                    *filled = usize::MAX / 2;
                }
                gathered.extend_from_slice(data);
            }
            if last {
                let (kind, gathered, buf, filled) = current.take().unwrap();
                let bytes = if filled <= buf.len() {
                    written(&buf, filled)
                } else {
                    gathered
                };
                out.push((kind, bytes));
            }
        }
    }
    (out, direct_total)
}

#[test]
fn binary_payload_lands_in_the_callers_buffer() {
    let big: Vec<u8> = (0..300_000u32).map(|i| (i * 31 % 251) as u8).collect();
    let text = "é".repeat(5000);
    let mut wire = cframe(0x82, &big);
    wire.extend(cframe(0x81, text.as_bytes()));
    wire.extend(cframe(0x02, &big[..1000]));
    wire.extend(cframe(0x80, &big[1000..]));
    wire.extend(cframe(0x82, &big[..70_000]));
    for step in [1000, 4096, 65536, 100_001] {
        let mut s = streaming_server();
        let (msgs, direct) = assemble(&mut s, &wire, step);
        assert_eq!(
            msgs,
            vec![
                (MessageKind::Binary, big.clone()),
                (MessageKind::Text, text.as_bytes().to_vec()),
                (MessageKind::Binary, big.clone()),
                (MessageKind::Binary, big[..70_000].to_vec()),
            ],
            "step {step}"
        );
        // Announced binary messages split over reads went mostly direct;
        // the fragmented one (no total) never did.
        assert!(direct > 300_000 - 2 * step, "step {step}: {direct} direct");
    }
}

#[test]
fn falls_back_to_receive_data_when_it_cannot_apply() {
    let payload = vec![9u8; 10_000];
    let wire = cframe(0x82, &payload);
    let mut dst = vec![MaybeUninit::new(0u8); 10_000];
    // Not streaming: an ordinary receive.
    let mut s = open_server(Config::default());
    assert_eq!(s.receive_data_into(&wire[..5000], &mut dst), 0);
    assert_eq!(s.receive_data_into(&wire[5000..], &mut dst), 0);
    assert_eq!(events(&mut s), [Ev::Binary(payload.clone())]);
    // Streaming, but an event is still queued: nothing goes direct.
    let mut s = streaming_server();
    s.receive_data(&wire[..5000]);
    assert_eq!(s.receive_data_into(&wire[5000..], &mut dst), 0);
    let evs = events(&mut s);
    let bytes: usize = evs
        .iter()
        .map(|e| match e {
            Ev::Chunk(_, d, _, _) => d.len(),
            other => panic!("{other:?}"),
        })
        .sum();
    assert_eq!(bytes, 10_000);
    // A buffer too small: the rest arrives in the chunks.
    let mut s = streaming_server();
    s.receive_data(&wire[..5000]);
    let first = events(&mut s);
    assert_eq!(first.len(), 1);
    let mut small = vec![MaybeUninit::new(0u8); 1000];
    assert_eq!(s.receive_data_into(&wire[5000..], &mut small), 1000);
    let rest = events(&mut s);
    assert!(
        matches!(rest.as_slice(), [Ev::Chunk(MessageKind::Binary, d, false, true)] if d.len() == 10_000 - (5000 - 8) - 1000)
    );
    assert_eq!(written(&small, 1000), payload[..1000]);
}

#[test]
fn a_violation_during_a_direct_read_still_fails_the_connection() {
    let mut s = streaming_server();
    let wire = cframe(0x82, &vec![1u8; 20_000]);
    s.receive_data(&wire[..100]);
    events(&mut s);
    let mut dst = vec![MaybeUninit::new(0u8); 20_000];
    // The rest of the frame, then a frame with a reserved opcode.
    let mut more = wire[100..].to_vec();
    more.extend(cframe(0x83, b"x"));
    let n = s.receive_data_into(&more, &mut dst);
    assert_eq!(n, 20_000 - (100 - 8));
    let evs = events(&mut s);
    assert!(
        matches!(evs.last(), Some(Ev::Closed(1002, _, false))),
        "{evs:?}"
    );
}

fn naive_unmask(dst: &mut [MaybeUninit<u8>], src: &[u8], key: [u8; 4], offset: usize) {
    for (i, (d, s)) in dst.iter_mut().zip(src).enumerate() {
        *d = MaybeUninit::new(s ^ key[(offset + i) % 4]);
    }
}

fn marking_unmask(dst: &mut [MaybeUninit<u8>], _src: &[u8], _key: [u8; 4], _offset: usize) {
    for d in dst.iter_mut() {
        *d = MaybeUninit::new(0xAA);
    }
}

#[test]
fn a_callers_unmask_routine_writes_the_direct_bytes() {
    let big: Vec<u8> = (0..100_000u32).map(|i| (i * 13 % 256) as u8).collect();
    let wire = cframe(0x82, &big);
    // A correct routine gives the same message at every split.
    for step in [999, 65536] {
        let mut s = streaming_server();
        s.set_unmask_routine(naive_unmask);
        let (msgs, direct) = assemble(&mut s, &wire, step);
        assert_eq!(msgs, vec![(MessageKind::Binary, big.clone())]);
        assert!(direct > 0);
    }
    // The routine is what writes the caller's buffer (and only that).
    let mut s = streaming_server();
    s.set_unmask_routine(marking_unmask);
    let (msgs, direct) = assemble(&mut s, &wire, 50_000);
    let (_, bytes) = &msgs[0];
    // The first read's payload (after the 14-byte header) went through the
    // connection; the rest through the routine.
    let first = 50_000 - 14;
    assert_eq!(direct, big.len() - first);
    assert!(
        bytes[..first] == big[..first],
        "payload before the direct part differs"
    );
    assert!(bytes[first..].iter().all(|&b| b == 0xAA));
}
