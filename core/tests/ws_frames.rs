//! Frames and messages (RFC 6455 §5): examples, every protocol rule, limits,
//! UTF-8, fragmentation, streaming, and input split at every point.

mod common;
use common::*;
use wirestate::ws::{Config, Event, MessageKind, State};

/// The frames a server sent, parsed loosely: (first byte, payload).
fn server_frames(out: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut v = Vec::new();
    let mut i = 0;
    while i < out.len() {
        let b0 = out[i];
        let (len, hl) = match out[i + 1] & 0x7f {
            126 => (u16::from_be_bytes([out[i + 2], out[i + 3]]) as usize, 4),
            127 => (
                u64::from_be_bytes(out[i + 2..i + 10].try_into().unwrap()) as usize,
                10,
            ),
            n => (n as usize, 2),
        };
        assert_eq!(out[i + 1] & 0x80, 0, "server frames are unmasked");
        v.push((b0, out[i + hl..i + hl + len].to_vec()));
        i += hl + len;
    }
    v
}

#[test]
fn rfc6455_section_5_7_examples_to_a_client() {
    let mut c = open_client(Config::default());
    // A single-frame unmasked text message.
    c.receive_data(&[0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
    // A fragmented unmasked text message.
    c.receive_data(&[0x01, 0x03, 0x48, 0x65, 0x6c]);
    c.receive_data(&[0x80, 0x02, 0x6c, 0x6f]);
    // Unmasked Pong (as a response to a ping).
    c.receive_data(&[0x8a, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
    // 256 bytes binary in a single unmasked frame.
    let mut big = vec![0x82, 0x7E, 0x01, 0x00];
    big.extend((0..256).map(|i| i as u8));
    c.receive_data(&big);
    // 64 KiB binary in a single unmasked frame.
    let mut huge = vec![0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0];
    huge.extend(std::iter::repeat_n(7u8, 65536));
    c.receive_data(&huge);
    assert_eq!(
        events(&mut c),
        [
            Ev::Text("Hello".into()),
            Ev::Text("Hello".into()),
            Ev::Pong(b"Hello".to_vec()),
            Ev::Binary((0..256).map(|i| i as u8).collect()),
            Ev::Binary(vec![7; 65536]),
        ]
    );
}

#[test]
fn rfc6455_masked_hello_to_a_server_and_ping_answered() {
    let mut s = open_server(Config::default());
    s.receive_data(&[
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ]);
    // Masked Ping "Hello".
    s.receive_data(&cframe(0x89, b"Hello"));
    assert_eq!(
        events(&mut s),
        [Ev::Text("Hello".into()), Ev::Ping(b"Hello".to_vec())]
    );
    assert_eq!(s.data_to_send(), [0x8a, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
}

#[test]
fn client_frames_are_masked_and_server_frames_are_not() {
    let mut c = open_client(Config::default());
    c.send_text("Hello").unwrap();
    let out = c.data_to_send();
    assert_eq!(out[0], 0x81);
    assert_eq!(out[1], 0x85);
    let key = [out[2], out[3], out[4], out[5]];
    let payload: Vec<u8> = out[6..]
        .iter()
        .enumerate()
        .map(|(i, b)| b ^ key[i % 4])
        .collect();
    assert_eq!(payload, b"Hello");
    let mut s = open_server(Config::default());
    s.send_binary(&[1, 2, 3]).unwrap();
    assert_eq!(s.data_to_send(), [0x82, 0x03, 1, 2, 3]);
}

#[test]
fn length_encodings_on_send_are_minimal() {
    let mut s = open_server(Config::default());
    for (len, header) in [(125usize, 2usize), (126, 4), (65535, 4), (65536, 10)] {
        s.send_binary(&vec![0; len]).unwrap();
        assert_eq!(s.data_to_send().len(), len + header, "len {len}");
    }
}

/// Feeds `data` to an open server and returns (close code sent, Closed code).
fn server_failure(config: Config, data: &[u8]) -> (u16, u16, String) {
    let mut s = open_server(config);
    s.receive_data(data);
    let evs = events(&mut s);
    let (code, reason) = match evs.last() {
        Some(Ev::Closed(code, reason, false)) => (*code, reason.clone()),
        other => panic!("expected a failed close, got {other:?} in {evs:?}"),
    };
    assert!(s.should_close_transport());
    assert_eq!(s.state(), State::Closed);
    let frames = server_frames(&s.data_to_send());
    let (b0, payload) = frames.last().expect("a close frame").clone();
    assert_eq!(b0, 0x88);
    let sent = u16::from_be_bytes([payload[0], payload[1]]);
    (sent, code, reason)
}

#[test]
fn protocol_violations_close_with_1002() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("unmasked frame from client", sframe(0x81, b"hi")),
        ("RSV1 without extension", cframe(0xC1, b"hi")),
        ("RSV2", cframe(0xA1, b"hi")),
        ("RSV3", cframe(0x91, b"hi")),
        ("reserved data opcode 3", cframe(0x83, b"")),
        ("reserved data opcode 7", cframe(0x87, b"")),
        ("reserved control opcode B", cframe(0x8B, b"")),
        ("reserved control opcode F", cframe(0x8F, b"")),
        ("fragmented ping", cframe(0x09, b"")),
        ("ping over 125 bytes", cframe(0x89, &[0; 126])),
        ("RSV1 on ping", cframe(0xC9, b"")),
        ("continuation without start", cframe(0x80, b"x")),
        (
            "new message inside fragmented",
            [cframe(0x01, b"a"), cframe(0x81, b"b")].concat(),
        ),
        ("close with 1-byte payload", cframe(0x88, &[0x03])),
        ("close code 999", cframe(0x88, &close_payload(999, ""))),
        ("close code 1004", cframe(0x88, &close_payload(1004, ""))),
        ("close code 1005", cframe(0x88, &close_payload(1005, ""))),
        ("close code 1006", cframe(0x88, &close_payload(1006, ""))),
        ("close code 1015", cframe(0x88, &close_payload(1015, ""))),
        ("close code 1016", cframe(0x88, &close_payload(1016, ""))),
        ("close code 2999", cframe(0x88, &close_payload(2999, ""))),
        ("close code 5000", cframe(0x88, &close_payload(5000, ""))),
        (
            "64-bit length with top bit",
            vec![0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4],
        ),
    ];
    for (name, data) in cases {
        let (sent, code, reason) = server_failure(Config::default(), &data);
        assert_eq!((sent, code), (1002, 1002), "{name}: {reason}");
    }
    // A client receiving a masked frame.
    let mut c = open_client(Config::default());
    c.receive_data(&cframe(0x81, b"hi"));
    assert_eq!(closed_code(&events(&mut c)), 1002);
    assert!(c.should_close_transport());
}

#[test]
fn nothing_is_processed_after_a_failure() {
    let mut s = open_server(Config::default());
    s.receive_data(&[cframe(0x83, b""), cframe(0x81, b"after")].concat());
    let evs = events(&mut s);
    assert_eq!(evs.len(), 1);
    s.receive_data(&cframe(0x81, b"later"));
    assert!(events(&mut s).is_empty());
    assert!(s.send_text("x").is_err());
}

#[test]
fn valid_close_codes_are_accepted() {
    for code in [
        1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999,
        4000, 4999,
    ] {
        let mut s = open_server(Config::default());
        s.receive_data(&cframe(0x88, &close_payload(code, "bye")));
        let evs = events(&mut s);
        assert_eq!(evs[0], Ev::CloseReceived(code, "bye".into()), "{code}");
        assert_eq!(evs[1], Ev::Closed(code, "bye".into(), true), "{code}");
        // The echo carries the same code.
        let frames = server_frames(&s.data_to_send());
        assert_eq!(frames, [(0x88, code.to_be_bytes().to_vec())]);
    }
}

#[test]
fn invalid_utf8_in_close_reason_is_1007() {
    let mut payload = close_payload(1000, "");
    payload.extend_from_slice(&[
        0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80,
    ]);
    let (sent, code, _) = server_failure(Config::default(), &cframe(0x88, &payload));
    assert_eq!((sent, code), (1007, 1007));
}

#[test]
fn control_frames_between_fragments() {
    let mut s = open_server(Config::default());
    let data = [
        cframe(0x01, b"frag"),
        cframe(0x89, b"p1"),
        cframe(0x00, b"ment"),
        cframe(0x8A, b"unsolicited"),
        cframe(0x80, b"ed"),
    ]
    .concat();
    s.receive_data(&data);
    assert_eq!(
        events(&mut s),
        [
            Ev::Ping(b"p1".to_vec()),
            Ev::Pong(b"unsolicited".to_vec()),
            Ev::Text("fragmented".into()),
        ]
    );
    assert_eq!(server_frames(&s.data_to_send()), [(0x8A, b"p1".to_vec())]);
}

#[test]
fn empty_frames_and_messages() {
    let mut s = open_server(Config::default());
    s.receive_data(
        &[
            cframe(0x81, b""),
            cframe(0x02, b""),
            cframe(0x00, b""),
            cframe(0x80, b""),
        ]
        .concat(),
    );
    assert_eq!(
        events(&mut s),
        [Ev::Text(String::new()), Ev::Binary(vec![])]
    );
}

#[test]
fn frame_and_message_size_limits_close_with_1009() {
    let cfg = Config {
        max_frame_size: 100,
        max_message_size: 150,
        ..Config::default()
    };
    // One frame over the frame limit: failed at the header.
    let (sent, code, _) = server_failure(cfg.clone(), &cframe(0x82, &[0; 101])[..8]);
    assert_eq!((sent, code), (1009, 1009));
    // Fragments each within the frame limit, over the message limit.
    let (sent, code, _) = server_failure(
        cfg.clone(),
        &[cframe(0x02, &[0; 100]), cframe(0x80, &[0; 51])].concat(),
    );
    assert_eq!((sent, code), (1009, 1009));
    // Exactly at the limits is fine.
    let mut s = open_server(cfg);
    s.receive_data(&[cframe(0x02, &[1; 100]), cframe(0x80, &[2; 50])].concat());
    let evs = events(&mut s);
    assert!(matches!(evs.as_slice(), [Ev::Binary(b)] if b.len() == 150));
}

#[test]
fn invalid_utf8_text_is_1007() {
    for bad in [
        &[0xff][..],
        &[0xc0, 0x80],
        &[0xed, 0xa0, 0x80],
        &[0xf4, 0x90, 0x80, 0x80],
        &[b'a', 0xce],
    ] {
        let (sent, code, _) = server_failure(Config::default(), &cframe(0x81, bad));
        assert_eq!((sent, code), (1007, 1007), "{bad:02x?}");
    }
}

/// Whole text frames around the size of the piece text is checked in
/// (8 KiB), with three-byte characters straddling every piece boundary:
/// valid ones arrive intact; a bad or unfinished last character is 1007.
#[test]
fn whole_text_frames_around_the_piece_size() {
    for len in [8190, 8191, 8192, 8193, 8194, 20000, 65535] {
        let mut text = "€".repeat(len / 3);
        text.push_str(&"x".repeat(len % 3));
        let mut s = open_server(Config::default());
        s.receive_data(&cframe(0x81, text.as_bytes()));
        assert_eq!(events(&mut s), [Ev::Text(text.clone())], "len {len}");
        let mut bad = text.clone().into_bytes();
        let n = bad.len();
        bad[n - 1] = 0xff;
        let (sent, code, _) = server_failure(Config::default(), &cframe(0x81, &bad));
        assert_eq!((sent, code), (1007, 1007), "len {len}");
        let mut cut = "€".repeat(len / 3).into_bytes();
        cut.truncate(cut.len() - 1);
        let (sent, code, _) = server_failure(Config::default(), &cframe(0x81, &cut));
        assert_eq!((sent, code), (1007, 1007), "len {len}");
    }
}

#[test]
fn utf8_fails_fast_inside_a_frame() {
    // A 100-byte text frame whose 10th byte can never be valid: the
    // connection fails when that byte arrives, not when the frame completes.
    let mut payload = b"hello wor".to_vec();
    payload.push(0xff);
    payload.resize(100, b'x');
    let data = cframe(0x81, &payload);
    let mut s = open_server(Config::default());
    s.receive_data(&data[..6 + 9]);
    assert!(events(&mut s).is_empty());
    assert_eq!(s.state(), State::Open);
    s.receive_data(&data[6 + 9..6 + 10]);
    assert_eq!(closed_code(&events(&mut s)), 1007);
    // Same when the bad sequence starts in one fragment and continues in the next.
    let mut s = open_server(Config::default());
    s.receive_data(&[cframe(0x01, b"ok \xf4"), cframe(0x80, b"\x90\x80\x80 tail")].concat());
    assert_eq!(closed_code(&events(&mut s)), 1007);
}

#[test]
fn code_points_split_across_frames_are_fine() {
    let text = "κόσμε 𝄞";
    let bytes = text.as_bytes();
    let mut s = open_server(Config::default());
    let data: Vec<u8> = bytes
        .iter()
        .enumerate()
        .flat_map(|(i, b)| {
            let b0 = match (i, i + 1 == bytes.len()) {
                (0, _) => 0x01,
                (_, true) => 0x80,
                _ => 0x00,
            };
            cframe(b0, &[*b])
        })
        .collect();
    s.receive_data(&data);
    assert_eq!(events(&mut s), [Ev::Text(text.into())]);
    // A message that ends inside a code point is invalid.
    let (_, code, _) = server_failure(
        Config::default(),
        &[cframe(0x01, b"a"), cframe(0x80, b"\xe2\x82")].concat(),
    );
    assert_eq!(code, 1007);
}

#[test]
fn frames_at_every_split_point() {
    let data = [
        cframe(0x81, "héllo".as_bytes()),
        cframe(0x02, &[1, 2, 3]),
        cframe(0x89, b"ping"),
        cframe(0x80, &[4, 5]),
        cframe(0x82, &vec![9; 300]),
        cframe(0x88, &close_payload(1000, "done")),
    ]
    .concat();
    let mut whole = open_server(Config::default());
    whole.receive_data(&data);
    let want = events(&mut whole);
    let want_out = whole.data_to_send();
    assert_eq!(want.len(), 6);
    for split in 0..=data.len() {
        let mut s = open_server(Config::default());
        s.receive_data(&data[..split]);
        let mut got = events(&mut s);
        s.receive_data(&data[split..]);
        got.extend(events(&mut s));
        assert_eq!(got, want, "split {split}");
        assert_eq!(s.data_to_send(), want_out, "split {split}");
    }
    // And one byte at a time.
    let mut s = open_server(Config::default());
    let mut got = Vec::new();
    for b in &data {
        s.receive_data(std::slice::from_ref(b));
        got.extend(events(&mut s));
    }
    assert_eq!(got, want);
}

#[test]
fn streaming_mode_delivers_chunks() {
    let cfg = Config {
        streaming: true,
        ..Config::default()
    };
    let mut s = open_server(cfg);
    let text = "añb".as_bytes(); // ñ is two bytes: split it across reads
    let data = cframe(0x81, text);
    s.receive_data(&data[..6 + 2]);
    assert_eq!(
        events(&mut s),
        [Ev::Chunk(MessageKind::Text, b"a".to_vec(), true, false)]
    );
    s.receive_data(&data[6 + 2..]);
    assert_eq!(
        events(&mut s),
        [Ev::Chunk(
            MessageKind::Text,
            "ñb".as_bytes().to_vec(),
            false,
            true
        )]
    );
    // Fragmented binary: a chunk per fragment, the last flagged.
    s.receive_data(&[cframe(0x02, &[1, 2]), cframe(0x00, &[3]), cframe(0x80, &[])].concat());
    assert_eq!(
        events(&mut s),
        [
            Ev::Chunk(MessageKind::Binary, vec![1, 2], true, false),
            Ev::Chunk(MessageKind::Binary, vec![3], false, false),
            Ev::Chunk(MessageKind::Binary, vec![], false, true),
        ]
    );
}

/// The `total` of each chunk: the message length when one uncompressed
/// final frame announced it (whole or split across reads), `None` for a
/// fragmented message.
#[test]
fn streaming_chunks_carry_the_announced_total() {
    let cfg = Config {
        streaming: true,
        ..Config::default()
    };
    let mut s = open_server(cfg);
    let totals = |s: &mut wirestate::ws::Connection| {
        let mut out = Vec::new();
        while let Some(e) = s.poll_event() {
            if let Event::MessageChunk { total, data, .. } = e {
                out.push((data.len(), total));
            }
        }
        out
    };
    // Whole in one read (the fast path) and split over three reads.
    let payload = vec![7u8; 1000];
    let frame = cframe(0x82, &payload);
    s.receive_data(&frame);
    assert_eq!(totals(&mut s), [(1000, Some(1000))]);
    s.receive_data(&frame[..300]);
    s.receive_data(&frame[300..700]);
    s.receive_data(&frame[700..]);
    let split = totals(&mut s);
    assert!(split.iter().all(|&(_, t)| t == Some(1000)), "{split:?}");
    assert_eq!(split.iter().map(|&(n, _)| n).sum::<usize>(), 1000);
    // Text too.
    s.receive_data(&cframe(0x81, "héllo".as_bytes()));
    assert_eq!(totals(&mut s), [(6, Some(6))]);
    // Fragmented: not known in advance.
    s.receive_data(&[cframe(0x02, &[1, 2]), cframe(0x80, &[3])].concat());
    assert_eq!(totals(&mut s), [(2, None), (1, None)]);
}

#[test]
fn streaming_keeps_memory_flat_for_huge_messages() {
    let cfg = Config {
        streaming: true,
        max_message_size: usize::MAX,
        max_frame_size: 1 << 20,
        ..Config::default()
    };
    let mut s = open_server(cfg);
    let chunk = cframe(0x00, &vec![0xab; 1 << 20]);
    s.receive_data(&cframe(0x02, b"start"));
    events(&mut s);
    let mut total = 0;
    for _ in 0..64 {
        s.receive_data(&chunk);
        for e in events(&mut s) {
            if let Ev::Chunk(_, d, _, _) = e {
                total += d.len();
            }
        }
    }
    assert_eq!(total, 64 << 20);
}

#[test]
fn send_fragments_and_refuse_misuse() {
    use wirestate::ws::Error;
    let mut s = open_server(Config::default());
    s.send_fragment(MessageKind::Text, "κό".as_bytes(), false)
        .unwrap();
    assert_eq!(s.send_text("x"), Err(Error::FragmentInProgress));
    assert_eq!(
        s.send_fragment(MessageKind::Binary, b"x", true),
        Err(Error::FragmentInProgress)
    );
    s.ping(b"between").unwrap();
    // A code point split across fragments is fine on send too.
    s.send_fragment(MessageKind::Text, &"σμε".as_bytes()[..3], false)
        .unwrap();
    assert_eq!(
        s.send_fragment(MessageKind::Text, b"\xff", true),
        Err(Error::InvalidUtf8)
    );
    s.send_fragment(MessageKind::Text, &"σμε".as_bytes()[3..], true)
        .unwrap();
    let frames = server_frames(&s.data_to_send());
    let ops: Vec<u8> = frames.iter().map(|f| f.0).collect();
    assert_eq!(ops, [0x01, 0x89, 0x00, 0x80]);
    let text: Vec<u8> = frames
        .iter()
        .filter(|f| f.0 != 0x89)
        .flat_map(|f| f.1.clone())
        .collect();
    assert_eq!(String::from_utf8(text).unwrap(), "κόσμε");
    assert_eq!(s.ping(&[0; 126]), Err(Error::ControlTooLarge));
    assert_eq!(
        s.send_message(MessageKind::Text, b"\xc3", true),
        Err(Error::InvalidUtf8)
    );
}

#[test]
fn pair_round_trips_every_size() {
    let mut p = Pair::with_compression(false);
    for len in [0usize, 1, 125, 126, 65535, 65536, 1 << 20] {
        let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        p.client.send_binary(&data).unwrap();
        p.server.send_binary(&data).unwrap();
        p.drive();
        assert_eq!(p.server_events.pop(), Some(Ev::Binary(data.clone())));
        assert_eq!(p.client_events.pop(), Some(Ev::Binary(data)));
    }
}

#[test]
fn a_message_before_a_bad_frame_can_still_be_answered() {
    // Autobahn 4.1.3: text, then a reserved opcode, then a ping, in one read.
    // The echo of the text goes out before the Close; the ping is not answered.
    let mut s = open_server(Config::default());
    s.receive_data(
        &[
            cframe(0x81, b"Hello, world!"),
            cframe(0x85, b""),
            cframe(0x89, b""),
        ]
        .concat(),
    );
    let Some(wirestate::ws::Event::Text(t)) = s.poll_event() else {
        panic!("text first")
    };
    let t = t.to_owned();
    assert_eq!(s.state(), State::Open);
    s.send_text(&t).unwrap();
    let rest = events(&mut s);
    assert!(
        matches!(rest.as_slice(), [Ev::Closed(1002, _, false)]),
        "{rest:?}"
    );
    assert!(s.should_close_transport());
    let frames = server_frames(&s.data_to_send());
    assert_eq!(frames[0], (0x81, b"Hello, world!".to_vec()));
    assert_eq!(frames[1].0, 0x88);
    assert_eq!(frames.len(), 2, "no pong for the ping after the bad frame");
    // End of stream while the failure is queued changes nothing.
    let mut s = open_server(Config::default());
    s.receive_data(&[cframe(0x82, b"x"), cframe(0x83, b"")].concat());
    s.receive_eof();
    let evs = events(&mut s);
    assert!(
        matches!(evs.as_slice(), [Ev::Binary(_), Ev::Closed(1002, _, false)]),
        "{evs:?}"
    );
}

/// A server fed `data` in reads of `read` bytes, its events taken after
/// every `drain_every`-th read and at the end.
fn feed_in_reads(cfg: &Config, data: &[u8], read: usize, drain_every: usize) -> Vec<Ev> {
    let mut s = open_server(cfg.clone());
    let mut got = Vec::new();
    for (n, piece) in data.chunks(read).enumerate() {
        s.receive_data(piece);
        if n % drain_every == 0 {
            got.extend(events(&mut s));
        }
    }
    got.extend(events(&mut s));
    got
}

/// Text messages (whole, fragmented, with a code point split between
/// frames) fed in reads of many sizes, with events drained after every read
/// or only every third one: each message arrives intact wherever the reads
/// cut it, whether or not earlier messages are still waiting to be polled.
#[test]
fn text_messages_survive_any_read_size() {
    let texts: Vec<String> = (0..40)
        .map(|i| "añ€𝄞b".repeat(i * 7 % 23) + &"x".repeat(i % 5))
        .collect();
    let mut data = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        let b = t.as_bytes();
        if i % 4 == 3 && b.len() > 2 {
            // Fragmented inside the first character ("a" is one byte, "ñ" two).
            data.extend(cframe(0x01, &b[..2]));
            data.extend(cframe(0x80, &b[2..]));
        } else {
            data.extend(cframe(0x81, b));
        }
    }
    for streaming in [false, true] {
        let cfg = Config {
            streaming,
            ..Config::default()
        };
        for read in [1, 2, 3, 7, 13, 64, 100, 333, 1000, data.len()] {
            for drain_every in [1, 3] {
                let got = feed_in_reads(&cfg, &data, read, drain_every);
                let mut joined: Vec<String> = Vec::new();
                let mut cur = Vec::new();
                for e in got {
                    match e {
                        Ev::Text(t) => joined.push(t),
                        Ev::Chunk(MessageKind::Text, d, _, last) => {
                            cur.extend(d);
                            if last {
                                joined.push(String::from_utf8(std::mem::take(&mut cur)).unwrap());
                            }
                        }
                        other => panic!("unexpected {other:?}"),
                    }
                }
                assert_eq!(
                    joined, texts,
                    "streaming {streaming} read {read} drain {drain_every}"
                );
            }
        }
    }
}

/// Binary messages of many sizes (whole and fragmented, some empty), with
/// text and pings between them, fed in reads of many sizes with events
/// drained after every read or only every third one: each message arrives
/// intact wherever the reads cut it, whichever of the two binary banks it
/// started in and whether or not earlier messages were still waiting.
#[test]
fn binary_messages_survive_any_read_size() {
    let sizes = [
        0usize, 1, 5, 125, 126, 300, 4000, 65535, 65536, 70000, 3, 20000,
    ];
    let messages: Vec<Vec<u8>> = sizes
        .iter()
        .enumerate()
        .map(|(i, &n)| (0..n).map(|j| (i * 31 + j * 7) as u8).collect())
        .collect();
    let mut data = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        if i % 3 == 1 && m.len() > 2 {
            let cut = m.len() / 3;
            data.extend(cframe(0x02, &m[..cut]));
            data.extend(cframe(0x89, b"p"));
            data.extend(cframe(0x80, &m[cut..]));
        } else {
            data.extend(cframe(0x82, m));
        }
        data.extend(cframe(0x81, "é".repeat(i).as_bytes()));
    }
    for streaming in [false, true] {
        let cfg = Config {
            streaming,
            auto_pong: false,
            ..Config::default()
        };
        for read in [1, 7, 100, 1000, 4096, 65536, 70001, data.len()] {
            for drain_every in [1, 3] {
                let got = feed_in_reads(&cfg, &data, read, drain_every);
                let (mut binary, mut text) = (Vec::new(), Vec::new());
                let (mut cur, mut tcur) = (Vec::new(), Vec::new());
                for e in got {
                    match e {
                        Ev::Binary(b) => binary.push(b),
                        Ev::Text(t) => text.push(t),
                        Ev::Chunk(MessageKind::Binary, d, _, last) => {
                            cur.extend(d);
                            if last {
                                binary.push(std::mem::take(&mut cur));
                            }
                        }
                        Ev::Chunk(MessageKind::Text, d, _, last) => {
                            tcur.extend(d);
                            if last {
                                text.push(String::from_utf8(std::mem::take(&mut tcur)).unwrap());
                            }
                        }
                        Ev::Ping(_) => {}
                        other => panic!("unexpected {other:?}"),
                    }
                }
                let label = format!("streaming {streaming} read {read} drain {drain_every}");
                assert_eq!(binary.len(), messages.len(), "{label}");
                for (i, (got, want)) in binary.iter().zip(&messages).enumerate() {
                    assert!(got == want, "{label}: message {i} differs");
                }
                let want: Vec<String> = (0..messages.len()).map(|i| "é".repeat(i)).collect();
                assert_eq!(text, want, "{label}");
            }
        }
    }
}
