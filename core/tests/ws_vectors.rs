//! The golden vectors in `tests/vectors/ws/` (RFC 6455 §5.7, RFC 7692
//! §7.2.3), fed to a connection whole and one byte at a time.

mod common;
use common::*;
use wirestate::ws::{Config, Connection, DeflateConfig};

struct Vector {
    name: String,
    role: String,
    compression: bool,
    input: Vec<u8>,
    events: Vec<Ev>,
    output: Option<Vec<u8>>,
}

fn unhex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

fn load() -> Vec<Vector> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/ws");
    let mut out = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for path in paths
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "vec"))
    {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut v = Vector {
            name: path.file_name().unwrap().to_string_lossy().into_owned(),
            role: String::new(),
            compression: false,
            input: Vec::new(),
            events: Vec::new(),
            output: None,
        };
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let (key, value) = line.split_once(": ").unwrap();
            match key {
                "role" => v.role = value.to_owned(),
                "compression" => v.compression = value == "on",
                "input" => v.input = unhex(value),
                "output" => v.output = Some(unhex(value)),
                "event" => {
                    let (kind, rest) = value.split_once(' ').unwrap_or((value, ""));
                    v.events.push(match kind {
                        "text" => Ev::Text(rest.to_owned()),
                        "binary" => Ev::Binary(unhex(rest)),
                        "ping" => Ev::Ping(unhex(rest)),
                        "pong" => Ev::Pong(unhex(rest)),
                        "close-received" => {
                            let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
                            Ev::CloseReceived(code.parse().unwrap(), reason.to_owned())
                        }
                        other => panic!("{}: unknown event {other}", v.name),
                    });
                }
                other => panic!("{}: unknown field {other}", v.name),
            }
        }
        out.push(v);
    }
    assert!(out.len() >= 10, "vectors missing from {dir}");
    out
}

fn connection(v: &Vector) -> Connection {
    let config = Config {
        compression: v.compression.then(DeflateConfig::default),
        ..Config::default()
    };
    match v.role.as_str() {
        "server" => open_server_with(
            config,
            if v.compression {
                "Sec-WebSocket-Extensions: permessage-deflate\r\n"
            } else {
                ""
            },
        ),
        "client" => open_client_with(
            config,
            if v.compression {
                "Sec-WebSocket-Extensions: permessage-deflate\r\n"
            } else {
                ""
            },
        ),
        other => panic!("{}: unknown role {other}", v.name),
    }
}

/// Events up to (not including) a `Closed`, which a close vector ends with.
fn until_closed(evs: Vec<Ev>) -> Vec<Ev> {
    evs.into_iter()
        .filter(|e| !matches!(e, Ev::Closed(..)))
        .collect()
}

#[test]
fn golden_vectors_whole_and_byte_by_byte() {
    for v in load() {
        let mut c = connection(&v);
        assert_eq!(c.is_compressed(), v.compression, "{}", v.name);
        c.receive_data(&v.input);
        assert_eq!(until_closed(events(&mut c)), v.events, "{} (whole)", v.name);
        if let Some(want) = &v.output {
            assert_eq!(&c.data_to_send(), want, "{} output", v.name);
        }
        let mut c = connection(&v);
        let mut got = Vec::new();
        for b in &v.input {
            c.receive_data(std::slice::from_ref(b));
            got.extend(events(&mut c));
        }
        assert_eq!(until_closed(got), v.events, "{} (byte by byte)", v.name);
    }
}
