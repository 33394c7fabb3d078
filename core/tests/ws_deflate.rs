//! permessage-deflate on live connections (RFC 7692).
#![cfg(feature = "deflate")]

mod common;
use common::*;
use wirestate::ws::{ClientConfig, Config, DeflateConfig, MessageKind};

fn pair(client: DeflateConfig, server: DeflateConfig) -> Pair {
    let mut c = ClientConfig::new("localhost", "/");
    c.config.compression = Some(client);
    let s = Config {
        compression: Some(server),
        ..Config::default()
    };
    Pair::new(c, s)
}

#[test]
fn rfc7692_section_7_2_3_examples_to_a_client() {
    let mut c = open_client_with(
        Config {
            compression: Some(DeflateConfig::default()),
            ..Config::default()
        },
        "Sec-WebSocket-Extensions: permessage-deflate\r\n",
    );
    assert!(c.is_compressed());
    // §7.2.3.1: "Hello" compressed, one frame.
    c.receive_data(&[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
    // §7.2.3.1: the same, fragmented.
    c.receive_data(&[
        0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00,
    ]);
    // §7.2.3.2: the second message using the shared window.
    c.receive_data(&[0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00]);
    // §7.2.3.3: a stored block.
    c.receive_data(&[
        0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
    ]);
    // An uncompressed message (RSV1 clear) in between is fine.
    c.receive_data(&sframe(0x81, b"plain"));
    assert_eq!(
        events(&mut c),
        ["Hello", "Hello", "Hello", "Hello", "plain"]
            .iter()
            .map(|s| Ev::Text(s.to_string()))
            .collect::<Vec<_>>()
    );
}

#[test]
fn negotiated_pair_round_trips_and_compresses() {
    let mut p = pair(DeflateConfig::default(), DeflateConfig::default());
    assert!(p.client.is_compressed() && p.server.is_compressed());
    let text = "the quick brown fox jumps over the lazy dog ".repeat(200);
    p.client.send_text(&text).unwrap();
    let wire = p.client.pending_output().len();
    assert!(wire < text.len() / 10, "compressed to {wire} bytes");
    assert_eq!(p.client.pending_output()[0], 0xc1, "RSV1 set");
    p.server.send_text(&text).unwrap();
    p.drive();
    assert_eq!(p.server_events, [Ev::Text(text.clone())]);
    assert_eq!(p.client_events, [Ev::Text(text)]);
}

#[test]
fn per_message_opt_out_and_threshold() {
    let mut p = pair(
        DeflateConfig::default(),
        DeflateConfig {
            threshold: 100,
            ..Default::default()
        },
    );
    p.client
        .send_message(MessageKind::Binary, &[0; 1000], false)
        .unwrap();
    assert_eq!(p.client.pending_output()[0], 0x82, "opted out: RSV1 clear");
    p.drive();
    p.server.send_binary(&[0; 99]).unwrap();
    assert_eq!(p.server.pending_output()[0], 0x82, "below threshold");
    p.drive();
    p.server.send_binary(&[0; 100]).unwrap();
    assert_eq!(p.server.pending_output()[0], 0xc2, "at threshold");
    p.drive();
    assert_eq!(p.server_events, [Ev::Binary(vec![0; 1000])]);
    assert_eq!(
        p.client_events,
        [Ev::Binary(vec![0; 99]), Ev::Binary(vec![0; 100])]
    );
}

#[test]
fn every_parameter_combination_round_trips() {
    let msgs: Vec<Vec<u8>> = (0..6)
        .map(|i| {
            (0..3000)
                .map(|j: usize| ((j * (i + 1)) % 61) as u8)
                .collect()
        })
        .collect();
    for bits in [9u8, 11, 15] {
        for (snct, cnct) in [(false, false), (true, false), (false, true), (true, true)] {
            let d = DeflateConfig {
                server_no_context_takeover: snct,
                client_no_context_takeover: cnct,
                server_max_window_bits: bits,
                client_max_window_bits: bits,
                ..Default::default()
            };
            let mut p = pair(d.clone(), d);
            for m in &msgs {
                p.client.send_binary(m).unwrap();
                p.server.send_binary(m).unwrap();
            }
            p.drive();
            let want: Vec<Ev> = msgs.iter().cloned().map(Ev::Binary).collect();
            assert_eq!(p.server_events, want, "bits {bits} snct {snct} cnct {cnct}");
            assert_eq!(p.client_events, want, "bits {bits} snct {snct} cnct {cnct}");
        }
    }
}

#[test]
fn server_honours_client_requests_in_the_response() {
    let mut p = pair(
        DeflateConfig {
            server_no_context_takeover: true,
            server_max_window_bits: 10,
            ..Default::default()
        },
        DeflateConfig::default(),
    );
    // The handshake would have failed (and Pair::new panicked) otherwise.
    p.client.send_text("x").unwrap();
    p.server.send_text("y").unwrap();
    p.drive();
    assert_eq!(p.server_events, [Ev::Text("x".into())]);
    assert_eq!(p.client_events, [Ev::Text("y".into())]);
}

#[test]
fn compression_off_on_one_side_means_off() {
    let mut c = ClientConfig::new("h", "/");
    c.config.compression = Some(Default::default());
    let mut p = Pair::new(c, Config::default());
    assert!(!p.client.is_compressed() && !p.server.is_compressed());
    p.client.send_text("plain").unwrap();
    assert_eq!(p.client.pending_output()[0], 0x81);
    p.drive();
    assert_eq!(p.server_events, [Ev::Text("plain".into())]);
}

#[test]
fn fragmented_compressed_send() {
    let mut p = pair(DeflateConfig::default(), DeflateConfig::default());
    let parts = ["κόσμε ", "is greek ", "for world"];
    for (i, part) in parts.iter().enumerate() {
        p.client
            .send_fragment(MessageKind::Text, part.as_bytes(), i == 2)
            .unwrap();
    }
    // Only the first frame carries RSV1.
    p.drive();
    assert_eq!(p.server_events, [Ev::Text(parts.concat())]);
}

#[test]
fn decompression_bomb_is_stopped_at_the_limit() {
    // 16 MiB of zeros deflate to about 16 KiB.
    let mut p = pair(DeflateConfig::default(), DeflateConfig::default());
    p.server = {
        let mut s = open_server_with(
            Config {
                max_message_size: 1 << 20,
                compression: Some(Default::default()),
                ..Config::default()
            },
            "Sec-WebSocket-Extensions: permessage-deflate\r\n",
        );
        assert!(s.is_compressed());
        events(&mut s);
        s
    };
    p.client.send_binary(&vec![0; 16 << 20]).unwrap();
    let wire = p.client.data_to_send();
    assert!(wire.len() < 64 << 10);
    p.server.receive_data(&wire);
    let evs = events(&mut p.server);
    assert_eq!(closed_code(&evs), 1009);
}

#[test]
fn corrupt_compressed_data_fails_the_connection() {
    let mut s = open_server_with(
        Config {
            compression: Some(Default::default()),
            ..Config::default()
        },
        "Sec-WebSocket-Extensions: permessage-deflate\r\n",
    );
    s.receive_data(&cframe(0xc2, &[0xff, 0xff, 0xff, 0xff, 0xff]));
    assert_eq!(closed_code(&events(&mut s)), 1007);
}

#[test]
fn invalid_utf8_after_inflation_is_1007() {
    let mut p = pair(DeflateConfig::default(), DeflateConfig::default());
    // Compress invalid "text" by sending it as binary, then flip the opcode.
    p.client.send_binary(b"ok \xff bad").unwrap();
    let mut wire = p.client.data_to_send();
    assert_eq!(wire[0], 0xc2);
    wire[0] = 0xc1;
    p.server.receive_data(&wire);
    assert_eq!(closed_code(&events(&mut p.server)), 1007);
}

#[test]
fn rsv1_on_continuation_is_1002_even_with_deflate() {
    let mut s = open_server_with(
        Config {
            compression: Some(Default::default()),
            ..Config::default()
        },
        "Sec-WebSocket-Extensions: permessage-deflate\r\n",
    );
    s.receive_data(&[cframe(0x41, &[0xf2, 0x48]), cframe(0xc0, &[0xcd])].concat());
    assert_eq!(closed_code(&events(&mut s)), 1002);
}

#[test]
fn empty_compressed_messages_between_others() {
    // zlib writes nothing for an empty message right after a sync flush; the
    // frame must still decode (found by the wsproto interop test).
    let mut p = Pair::with_compression(true);
    let mut x = 12345u64;
    for size in [0usize, 1, 125, 126, 4000] {
        let data: Vec<u8> = (0..size)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        p.server
            .send_message(MessageKind::Binary, &data, size > 64)
            .unwrap();
        p.server.send_text("").unwrap();
        p.server.send_text("").unwrap();
        p.client.send_text("").unwrap();
        p.client.send_binary(&data).unwrap();
        p.drive();
        assert_eq!(
            p.client_events,
            [
                Ev::Binary(data.clone()),
                Ev::Text(String::new()),
                Ev::Text(String::new())
            ]
        );
        assert_eq!(p.server_events, [Ev::Text(String::new()), Ev::Binary(data)]);
        p.client_events.clear();
        p.server_events.clear();
    }
}
