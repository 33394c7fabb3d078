//! The opening handshake, both roles (RFC 6455 §4).

mod common;
use common::*;
use wirestate::ws::{ClientConfig, Config, Connection, Error, State};

#[test]
fn server_reports_request_fields() {
    let mut s = Connection::server(Config::default());
    s.receive_data(&request_with(
        "Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\nX-Custom: yes\r\n",
    ));
    let evs = events(&mut s);
    let [Ev::Request(r)] = evs.as_slice() else {
        panic!("{evs:?}")
    };
    assert_eq!(r.path, "/chat");
    assert_eq!(r.host, "server.example.com");
    assert_eq!(r.origin.as_deref(), Some("http://example.com"));
    assert_eq!(r.subprotocols, ["chat", "superchat"]);
    assert_eq!(r.extensions.len(), 1);
    assert_eq!(r.extensions[0].name, "permessage-deflate");
    assert!(
        r.headers
            .iter()
            .any(|h| h.name == "X-Custom" && h.value == b"yes")
    );
    assert_eq!(s.state(), State::Connecting);
}

#[test]
fn server_accept_writes_rfc_accept_key() {
    let mut s = Connection::server(Config::default());
    s.receive_data(&request_with(""));
    events(&mut s);
    s.accept(None, &[("X-Served-By", "wirestate")]).unwrap();
    let resp = String::from_utf8(s.data_to_send()).unwrap();
    assert!(resp.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
    assert!(resp.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    assert!(resp.contains("X-Served-By: wirestate\r\n"));
    assert!(resp.ends_with("\r\n\r\n"));
    assert!(!resp.contains("Sec-WebSocket-Protocol"));
    assert!(!resp.contains("Sec-WebSocket-Extensions"));
    assert_eq!(s.state(), State::Open);
    // Accepting twice is misuse.
    assert_eq!(s.accept(None, &[]), Err(Error::InvalidState));
}

#[test]
fn server_subprotocol_selection() {
    let req = request_with("Sec-WebSocket-Protocol: chat, superchat\r\n");
    // Explicit choice among the offers.
    let mut s = Connection::server(Config::default());
    s.receive_data(&req);
    events(&mut s);
    assert_eq!(
        s.accept(Some("mqtt"), &[]),
        Err(Error::SubprotocolNotOffered)
    );
    s.accept(Some("superchat"), &[]).unwrap();
    assert!(
        String::from_utf8(s.data_to_send())
            .unwrap()
            .contains("Sec-WebSocket-Protocol: superchat\r\n")
    );
    assert_eq!(s.subprotocol(), Some("superchat"));
    // Automatic: the client's first offer that the server supports.
    let mut s = Connection::server(Config {
        subprotocols: vec!["superchat".into(), "chat".into()],
        ..Config::default()
    });
    s.receive_data(&req);
    events(&mut s);
    s.accept(None, &[]).unwrap();
    assert_eq!(s.subprotocol(), Some("chat"));
    // Nothing in common: none.
    let mut s = Connection::server(Config {
        subprotocols: vec!["mqtt".into()],
        ..Config::default()
    });
    s.receive_data(&req);
    events(&mut s);
    s.accept(None, &[]).unwrap();
    assert_eq!(s.subprotocol(), None);
}

#[test]
fn server_reject() {
    let mut s = Connection::server(Config::default());
    assert_eq!(s.reject(403, &[], b""), Err(Error::InvalidState));
    s.receive_data(&request_with(""));
    events(&mut s);
    assert_eq!(s.reject(101, &[], b""), Err(Error::InvalidStatus));
    assert_eq!(
        s.reject(403, &[("Bad Name", "x")], b""),
        Err(Error::InvalidHeader)
    );
    s.reject(403, &[("X-Reason", "policy")], b"forbidden")
        .unwrap();
    let resp = String::from_utf8(s.data_to_send()).unwrap();
    assert!(resp.starts_with("HTTP/1.1 403 Forbidden\r\n"));
    assert!(resp.ends_with("\r\n\r\nforbidden"));
    assert!(s.should_close_transport());
    assert_eq!(s.state(), State::Closed);
    let evs = events(&mut s);
    assert_eq!(closed_code(&evs), 1006);
    assert_eq!(s.accept(None, &[]), Err(Error::InvalidState));
}

fn bad_request_status(request: &[u8]) -> (u16, String) {
    let mut s = Connection::server(Config::default());
    s.receive_data(request);
    let evs = events(&mut s);
    assert_eq!(evs.len(), 1, "{evs:?}");
    assert_eq!(closed_code(&evs), 1002);
    assert!(s.should_close_transport());
    let resp = String::from_utf8(s.data_to_send()).unwrap();
    let status = resp[9..12].parse().unwrap();
    (status, resp)
}

#[test]
fn server_answers_bad_requests() {
    let good = String::from_utf8(request_with("")).unwrap();
    let (st, _) = bad_request_status(good.replace("GET", "POST").as_bytes());
    assert_eq!(st, 405);
    let (st, resp) = bad_request_status(good.replace("Version: 13", "Version: 12").as_bytes());
    assert_eq!(st, 426);
    assert!(resp.contains("Sec-WebSocket-Version: 13\r\n"));
    let (st, resp) = bad_request_status(good.replace("Upgrade: websocket\r\n", "").as_bytes());
    assert_eq!(st, 400);
    assert!(resp.ends_with("Upgrade header must contain websocket"));
    let (st, _) = bad_request_status(
        good.replace("Connection: Upgrade", "Connection: close")
            .as_bytes(),
    );
    assert_eq!(st, 400);
    let (st, _) = bad_request_status(good.replace("Host: server.example.com\r\n", "").as_bytes());
    assert_eq!(st, 400);
    let (st, _) = bad_request_status(good.replace("dGhlIHNhbXBsZSBub25jZQ==", "short").as_bytes());
    assert_eq!(st, 400);
    let (st, _) = bad_request_status(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n");
    assert_eq!(st, 400);
}

#[test]
fn server_limits_head_size_and_header_count() {
    let mut s = Connection::server(Config {
        max_handshake_size: 256,
        ..Config::default()
    });
    // No end of head in sight, past the limit.
    s.receive_data(&[b'a'; 300]);
    let evs = events(&mut s);
    assert_eq!(closed_code(&evs), 1002);
    assert!(s.data_to_send().starts_with(b"HTTP/1.1 431"));
    let many: String = (0..70).map(|i| format!("X-{i}: v\r\n")).collect();
    let (st, _) = bad_request_status(&request_with(&many));
    assert_eq!(st, 431);
}

#[test]
fn server_keeps_frames_that_follow_the_request() {
    let mut s = Connection::server(Config::default());
    let mut data = request_with("");
    data.extend(cframe(0x81, b"early"));
    s.receive_data(&data);
    assert!(matches!(events(&mut s).as_slice(), [Ev::Request(_)]));
    s.accept(None, &[]).unwrap();
    assert_eq!(events(&mut s), [Ev::Text("early".into())]);
}

#[test]
fn server_handshake_at_every_split_point() {
    let mut data = request_with("Sec-WebSocket-Protocol: chat\r\n");
    data.extend(cframe(0x81, b"hi"));
    let mut whole = Connection::server(Config::default());
    whole.receive_data(&data);
    let want = events(&mut whole);
    for split in 0..data.len() {
        let mut s = Connection::server(Config::default());
        s.receive_data(&data[..split]);
        s.receive_data(&data[split..]);
        assert_eq!(events(&mut s), want, "split {split}");
        s.accept(None, &[]).unwrap();
        assert_eq!(events(&mut s), [Ev::Text("hi".into())], "split {split}");
    }
}

#[test]
fn client_request_shape() {
    let mut cfg = ClientConfig::new("example.com:8080", "/chat?room=1");
    cfg.origin = Some("https://example.com".into());
    cfg.extra_headers = vec![("Authorization".into(), "Bearer x".into())];
    cfg.config.subprotocols = vec!["chat".into(), "v2.chat".into()];
    cfg.config.compression = Some(Default::default());
    let mut c = Connection::client(cfg, [1; 16]).unwrap();
    let req = String::from_utf8(c.data_to_send()).unwrap();
    assert!(req.starts_with("GET /chat?room=1 HTTP/1.1\r\nHost: example.com:8080\r\n"));
    for line in [
        "Upgrade: websocket\r\n",
        "Connection: Upgrade\r\n",
        "Sec-WebSocket-Version: 13\r\n",
        "Origin: https://example.com\r\n",
        "Sec-WebSocket-Protocol: chat, v2.chat\r\n",
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n",
        "Authorization: Bearer x\r\n",
    ] {
        assert!(req.contains(line), "missing {line:?} in {req}");
    }
    let key = request_key(req.as_bytes());
    assert_eq!(key.len(), 24);
    // Same seed, same key; another seed, another key.
    let mut c2 = Connection::client(ClientConfig::new("a", "/"), [1; 16]).unwrap();
    let mut c3 = Connection::client(ClientConfig::new("a", "/"), [2; 16]).unwrap();
    assert_eq!(request_key(&c2.data_to_send()), key);
    assert_ne!(request_key(&c3.data_to_send()), key);
}

#[test]
fn client_config_errors() {
    assert_eq!(
        Connection::client(ClientConfig::new("", "/"), [0; 16]).err(),
        Some(Error::InvalidConfig)
    );
    assert_eq!(
        Connection::client(ClientConfig::new("h", "chat"), [0; 16]).err(),
        Some(Error::InvalidConfig)
    );
    let mut cfg = ClientConfig::new("h", "/");
    cfg.extra_headers = vec![("X".into(), "a\r\nb".into())];
    assert_eq!(
        Connection::client(cfg, [0; 16]).err(),
        Some(Error::InvalidHeader)
    );
    let mut cfg = ClientConfig::new("h", "/");
    cfg.config.compression = Some(wirestate::ws::DeflateConfig {
        client_max_window_bits: 8,
        ..Default::default()
    });
    assert_eq!(
        Connection::client(cfg, [0; 16]).err(),
        Some(Error::InvalidConfig)
    );
}

fn client_with_response(
    extra_config: impl FnOnce(&mut ClientConfig),
    response: impl FnOnce(&str) -> String,
) -> (Connection, Vec<Ev>) {
    let mut cfg = ClientConfig::new("server.example.com", "/chat");
    extra_config(&mut cfg);
    let mut c = Connection::client(cfg, [5; 16]).unwrap();
    let key = request_key(&c.data_to_send());
    let accept = wirestate::ws::accept_key(key.as_bytes());
    c.receive_data(response(&accept).as_bytes());
    let evs = events(&mut c);
    (c, evs)
}

fn ok_response(accept: &str, extra: &str) -> String {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n{extra}\r\n"
    )
}

#[test]
fn client_accepts_valid_response() {
    let (c, evs) = client_with_response(
        |c| c.config.subprotocols = vec!["chat".into()],
        |a| ok_response(a, "Sec-WebSocket-Protocol: chat\r\n"),
    );
    let [Ev::Accepted(a)] = evs.as_slice() else {
        panic!("{evs:?}")
    };
    assert_eq!(a.subprotocol.as_deref(), Some("chat"));
    assert_eq!(c.state(), State::Open);
    assert_eq!(c.subprotocol(), Some("chat"));
}

/// A named way to build a server response from the expected accept key.
type ResponseCase = (&'static str, Box<dyn Fn(&str) -> String>);

#[test]
fn client_refuses_bad_responses() {
    let cases: Vec<ResponseCase> = vec![
        (
            "wrong accept",
            Box::new(|_| ok_response("AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "")),
        ),
        (
            "no upgrade",
            Box::new(|a| ok_response(a, "").replace("Upgrade: websocket\r\n", "")),
        ),
        (
            "no connection",
            Box::new(|a| ok_response(a, "").replace("Connection: Upgrade\r\n", "")),
        ),
        (
            "unoffered protocol",
            Box::new(|a| ok_response(a, "Sec-WebSocket-Protocol: mqtt\r\n")),
        ),
        (
            "unoffered extension",
            Box::new(|a| ok_response(a, "Sec-WebSocket-Extensions: permessage-deflate\r\n")),
        ),
        ("garbage", Box::new(|_| "SSH-2.0-OpenSSH\r\n\r\n".into())),
    ];
    for (name, resp) in cases {
        let (c, evs) = client_with_response(|_| {}, resp);
        assert_eq!(evs.len(), 1, "{name}: {evs:?}");
        assert_eq!(closed_code(&evs), 1002, "{name}");
        assert!(c.should_close_transport(), "{name}");
        assert_eq!(c.state(), State::Closed);
    }
}

#[test]
fn client_reports_rejection_with_body() {
    let (c, evs) = client_with_response(
        |_| {},
        |_| "HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\nX-Why: policy\r\n\r\nnope".into(),
    );
    let [Ev::Rejected(r), Ev::Closed(1006, _, false)] = evs.as_slice() else {
        panic!("{evs:?}")
    };
    assert_eq!(r.status, 403);
    assert_eq!(r.body, b"nope");
    assert!(r.headers.iter().any(|h| h.name == "X-Why"));
    assert!(c.should_close_transport());
    // Without Content-Length the body runs to the end of the stream.
    let (mut c, evs) = client_with_response(|_| {}, |_| "HTTP/1.1 500 Oops\r\n\r\npartial".into());
    assert!(evs.is_empty());
    c.receive_data(b" body");
    c.receive_eof();
    let evs = events(&mut c);
    let [Ev::Rejected(r), Ev::Closed(..)] = evs.as_slice() else {
        panic!("{evs:?}")
    };
    assert_eq!((r.status, r.body.as_slice()), (500, &b"partial body"[..]));
}

#[test]
fn client_handshake_at_every_split_point() {
    let mut cfg = ClientConfig::new("h", "/");
    cfg.config.compression = Some(Default::default());
    let mut probe = Connection::client(cfg.clone(), [4; 16]).unwrap();
    let key = request_key(&probe.data_to_send());
    let mut data = ok_response(
        &wirestate::ws::accept_key(key.as_bytes()),
        "Sec-WebSocket-Extensions: permessage-deflate\r\n",
    )
    .into_bytes();
    data.extend(sframe(0x82, b"\x01\x02"));
    for split in 0..data.len() {
        let mut c = Connection::client(cfg.clone(), [4; 16]).unwrap();
        c.data_to_send();
        c.receive_data(&data[..split]);
        c.receive_data(&data[split..]);
        let evs = events(&mut c);
        assert!(
            matches!(evs.as_slice(), [Ev::Accepted(_), Ev::Binary(b)] if b == &[1, 2]),
            "split {split}: {evs:?}"
        );
        assert!(c.is_compressed());
    }
}

#[test]
fn eof_during_handshake_is_abnormal() {
    let mut s = Connection::server(Config::default());
    s.receive_data(b"GET / HTTP/1.1\r\n");
    s.receive_eof();
    let evs = events(&mut s);
    assert_eq!(closed_code(&evs), 1006);
    assert!(s.should_close_transport());
}
