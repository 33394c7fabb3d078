//! The golden vectors in `tests/vectors/tcp/*.hex` (format in the README
//! there), checked against the parsers and emitters.

extern crate std;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use std::fs;

use super::*;

struct Vector {
    name: String,
    meta: Vec<(String, String)>,
    bytes: Vec<u8>,
}

impl Vector {
    fn get(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn expect(&self, key: &str) -> &str {
        self.get(key)
            .unwrap_or_else(|| panic!("{}: missing {key}", self.name))
    }
}

fn parse_file(name: &str, text: &str) -> Vector {
    let mut meta = Vec::new();
    let mut hex = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((key, value)) = line.split_once(':') {
            meta.push((key.trim().to_string(), value.trim().to_string()));
        } else {
            hex.extend(line.chars().filter(|c| !c.is_whitespace()));
        }
    }
    Vector {
        name: name.to_string(),
        meta,
        bytes: decode_hex(&hex),
    }
}

fn decode_hex(hex: &str) -> Vec<u8> {
    assert_eq!(hex.len() % 2, 0, "odd number of hex digits");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn load() -> Vec<Vector> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/tcp");
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "hex") {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            out.push(parse_file(&name, &fs::read_to_string(&path).unwrap()));
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn outcome<T>(result: &Result<T, Error>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(Error::Truncated) => "truncated",
        Err(Error::Malformed) => "malformed",
        Err(Error::Checksum) => "checksum",
        Err(Error::Unsupported) => "unsupported",
    }
}

fn parse_all(bytes: &[u8], mode: ChecksumMode) -> Result<(IpRepr, TcpRepr<'_>), Error> {
    let (ip, segment) = IpRepr::parse(bytes, mode)?;
    let tcp = TcpRepr::parse_segment(segment, ip.src_addr(), ip.dst_addr(), mode)?;
    Ok((ip, tcp))
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map_or("none".to_string(), |v| v.to_string())
}

/// The fields as the vector files spell them.
fn fields(ip: &IpRepr, tcp: &TcpRepr<'_>) -> Vec<(&'static str, String)> {
    let version = match ip {
        IpRepr::V4(_) => "4",
        IpRepr::V6(_) => "6",
    };
    let flags = format!("{:?}", tcp.flags).replace("(none)", "none");
    let sack: Vec<String> = tcp
        .sack_ranges
        .iter()
        .flatten()
        .map(|(l, r)| format!("{l}-{r}"))
        .collect();
    let payload: String = tcp.payload.iter().map(|b| format!("{b:02x}")).collect();
    alloc::vec![
        ("ip.version", version.to_string()),
        ("ip.src", ip.src_addr().to_string()),
        ("ip.dst", ip.dst_addr().to_string()),
        ("ip.hop_limit", ip.hop_limit().to_string()),
        ("tcp.src_port", tcp.src_port.to_string()),
        ("tcp.dst_port", tcp.dst_port.to_string()),
        ("tcp.seq", tcp.seq.to_string()),
        ("tcp.ack", tcp.ack.to_string()),
        ("tcp.flags", flags),
        ("tcp.window", tcp.window.to_string()),
        ("tcp.urgent", tcp.urgent.to_string()),
        ("tcp.mss", opt(tcp.mss)),
        ("tcp.window_scale", opt(tcp.window_scale)),
        (
            "tcp.sack_permitted",
            if tcp.sack_permitted { "yes" } else { "no" }.to_string()
        ),
        (
            "tcp.timestamp",
            opt(tcp.timestamp.map(|(v, e)| format!("{v} {e}")))
        ),
        (
            "tcp.sack",
            if sack.is_empty() {
                "none".to_string()
            } else {
                sack.join(" ")
            }
        ),
        (
            "tcp.payload",
            if payload.is_empty() {
                "empty".to_string()
            } else {
                payload
            }
        ),
    ]
}

#[test]
fn golden_vectors() {
    let vectors = load();
    assert!(vectors.len() >= 24, "only {} vectors found", vectors.len());
    for v in &vectors {
        let name = &v.name;
        let full = parse_all(&v.bytes, ChecksumMode::FULL);
        assert_eq!(outcome(&full), v.expect("result"), "{name}");
        let unverified = parse_all(&v.bytes, ChecksumMode::OFFLOADED);
        assert_eq!(
            outcome(&unverified),
            v.expect("result_unverified"),
            "{name}"
        );
        let Ok((ip, tcp)) = unverified else { continue };

        for (key, got) in fields(&ip, &tcp) {
            assert_eq!(got, v.expect(key), "{name}: {key}");
        }

        // The IP header round-trips through emit.
        let mut header = [0u8; 40];
        ip.emit(&mut header, ChecksumMode::FULL);
        let mut packet = header[..ip.buffer_len()].to_vec();
        packet.resize(ip.buffer_len() + ip.payload_len(), 0);
        assert_eq!(IpRepr::parse(&packet, ChecksumMode::FULL).unwrap().0, ip);

        // The segment round-trips, byte for byte where the file says so.
        let (_, segment) = IpRepr::parse(&v.bytes, ChecksumMode::OFFLOADED).unwrap();
        let mut out = alloc::vec![0u8; tcp.buffer_len()];
        let (src, dst) = (ip.src_addr(), ip.dst_addr());
        tcp.emit(
            &mut TcpPacket::new_unchecked(&mut out[..]),
            src,
            dst,
            ChecksumMode::FULL,
        );
        assert_eq!(
            TcpRepr::parse_segment(&out, src, dst, ChecksumMode::FULL),
            Ok(tcp),
            "{name}"
        );
        if v.expect("tcp.emit_exact") == "yes" {
            assert_eq!(out, segment, "{name}: emitted segment differs");
        }
    }
}

#[test]
fn format_parser() {
    let v = parse_file("x", "# comment\nresult: ok\n\n45 00\n  0a0B\n");
    assert_eq!(v.get("result"), Some("ok"));
    assert_eq!(v.get("absent"), None);
    assert_eq!(v.bytes, [0x45, 0x00, 0x0a, 0x0b]);
}
