//! The opening handshake (RFC 6455 §4): building and checking the HTTP/1.1
//! upgrade request and response. Pure functions over byte slices; the
//! connection drives them.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha1::{Digest, Sha1};

use super::config::ClientConfig;
use super::error::Error;
use super::event::{Extension, Header, Request};

/// The GUID every server appends to the client's key (§1.3).
const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64(SHA-1(key + GUID)).
pub fn accept_key(key: &[u8]) -> String {
    let mut h = Sha1::new();
    h.update(key);
    h.update(GUID);
    BASE64.encode(h.finalize())
}

/// The offset just past the blank line ending an HTTP head, searching from
/// `from` (callers pass the previous length minus three to rescan little).
pub fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    let from = from.min(buf.len());
    buf[from..]
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| from + p + 4)
}

/// The comma-separated elements of a header value, trimmed, empty ones skipped.
pub fn tokens(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(trim)
        .filter(|t| !t.is_empty())
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// Whether a comma list header contains `token`, compared case-insensitively.
fn has_token(headers: &[httparse::Header<'_>], name: &str, token: &str) -> bool {
    headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case(name))
        .flat_map(|h| tokens(h.value))
        .any(|t| t.eq_ignore_ascii_case(token.as_bytes()))
}

fn header_values<'h>(
    headers: &'h [httparse::Header<'h>],
    name: &'h str,
) -> impl Iterator<Item = &'h [u8]> + 'h {
    headers
        .iter()
        .filter(move |h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value)
}

fn single_header<'h>(headers: &'h [httparse::Header<'h>], name: &'h str) -> Option<&'h [u8]> {
    let mut it = header_values(headers, name);
    let first = it.next()?;
    if it.next().is_some() {
        None
    } else {
        Some(first)
    }
}

/// Parses a `Sec-WebSocket-Extensions` value into extensions with parameters.
/// Returns `None` when the value does not follow RFC 6455 §9.1's grammar.
pub fn parse_extensions(value: &[u8]) -> Option<Vec<Extension>> {
    let mut out = Vec::new();
    let text = core::str::from_utf8(value).ok()?;
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches([' ', '\t']);
        if rest.is_empty() {
            break;
        }
        // Extension name.
        let end = rest.find([';', ',', ' ', '\t']).unwrap_or(rest.len());
        let name = &rest[..end];
        if !is_token(name.as_bytes()) {
            return None;
        }
        rest = rest[end..].trim_start_matches([' ', '\t']);
        let mut params = Vec::new();
        while let Some(r) = rest.strip_prefix(';') {
            rest = r.trim_start_matches([' ', '\t']);
            let end = rest.find(['=', ';', ',', ' ', '\t']).unwrap_or(rest.len());
            let pname = &rest[..end];
            if !is_token(pname.as_bytes()) {
                return None;
            }
            rest = rest[end..].trim_start_matches([' ', '\t']);
            let mut pval = None;
            if let Some(r) = rest.strip_prefix('=') {
                rest = r.trim_start_matches([' ', '\t']);
                if let Some(r) = rest.strip_prefix('"') {
                    let close = r.find('"')?;
                    let v = &r[..close];
                    if !is_token(v.as_bytes()) {
                        return None;
                    }
                    pval = Some(v.to_string());
                    rest = &r[close + 1..];
                } else {
                    let end = rest.find([';', ',', ' ', '\t']).unwrap_or(rest.len());
                    let v = &rest[..end];
                    if !is_token(v.as_bytes()) {
                        return None;
                    }
                    pval = Some(v.to_string());
                    rest = &rest[end..];
                }
                rest = rest.trim_start_matches([' ', '\t']);
            }
            params.push((pname.to_string(), pval));
        }
        out.push(Extension {
            name: name.to_string(),
            params,
        });
        match rest.strip_prefix(',') {
            Some(r) => rest = r,
            None if rest.is_empty() => break,
            None => return None,
        }
    }
    Some(out)
}

/// Formats extensions back into a header value.
#[cfg_attr(not(feature = "deflate"), allow(dead_code))]
pub fn format_extension(ext: &Extension) -> String {
    let mut s = ext.name.clone();
    for (k, v) in &ext.params {
        s.push_str("; ");
        s.push_str(k);
        if let Some(v) = v {
            s.push('=');
            s.push_str(v);
        }
    }
    s
}

fn check_header(name: &str, value: &str) -> Result<(), Error> {
    if !is_token(name.as_bytes()) || value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
        return Err(Error::InvalidHeader);
    }
    Ok(())
}

/// Checks application-provided header lines.
pub fn check_headers<N: AsRef<str>, V: AsRef<str>>(headers: &[(N, V)]) -> Result<(), Error> {
    headers
        .iter()
        .try_for_each(|(n, v)| check_header(n.as_ref(), v.as_ref()))
}

/// Builds the client's upgrade request.
pub fn client_request(
    cfg: &ClientConfig,
    key: &str,
    extension_offer: Option<&str>,
) -> Result<Vec<u8>, Error> {
    if cfg.host.is_empty()
        || !cfg.path.starts_with('/')
        || cfg.path.bytes().any(|b| b <= b' ' || b == 0x7f)
    {
        return Err(Error::InvalidConfig);
    }
    check_header("Host", &cfg.host)?;
    if let Some(o) = &cfg.origin {
        check_header("Origin", o)?;
    }
    for p in &cfg.config.subprotocols {
        if !is_token(p.as_bytes()) {
            return Err(Error::InvalidConfig);
        }
    }
    check_headers(&cfg.extra_headers)?;
    let mut r = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {}\r\nSec-WebSocket-Version: 13\r\n",
        cfg.path, cfg.host, key
    );
    if let Some(o) = &cfg.origin {
        r.push_str(&format!("Origin: {o}\r\n"));
    }
    if !cfg.config.subprotocols.is_empty() {
        r.push_str(&format!(
            "Sec-WebSocket-Protocol: {}\r\n",
            cfg.config.subprotocols.join(", ")
        ));
    }
    if let Some(e) = extension_offer {
        r.push_str(&format!("Sec-WebSocket-Extensions: {e}\r\n"));
    }
    for (n, v) in &cfg.extra_headers {
        r.push_str(&format!("{n}: {v}\r\n"));
    }
    r.push_str("\r\n");
    Ok(r.into_bytes())
}

/// Why a server refuses an opening request: the status to answer with and a
/// reason for the body and the [`Closed`](super::Event::Closed) event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRequest {
    /// 400, 405, 426 or 431.
    pub status: u16,
    /// What was wrong.
    pub reason: &'static str,
}

fn bad(status: u16, reason: &'static str) -> BadRequest {
    BadRequest { status, reason }
}

/// A request that passed every RFC 6455 §4.2.1 check.
pub struct ValidRequest {
    /// What the application sees.
    pub request: Request,
    /// The client's key, for the accept header.
    pub key: Vec<u8>,
}

fn collect_headers(headers: &[httparse::Header<'_>]) -> Vec<Header> {
    headers
        .iter()
        .map(|h| Header {
            name: h.name.to_string(),
            value: h.value.to_vec(),
        })
        .collect()
}

/// Parses and checks a complete request head.
pub fn parse_request(head: &[u8], max_headers: usize) -> Result<ValidRequest, BadRequest> {
    let mut storage = vec![httparse::EMPTY_HEADER; max_headers.max(1)];
    let mut req = httparse::Request::new(&mut storage);
    match req.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(bad(400, "incomplete request head")),
        Err(httparse::Error::TooManyHeaders) => return Err(bad(431, "too many header lines")),
        Err(_) => return Err(bad(400, "malformed HTTP request")),
    }
    if req.method != Some("GET") {
        return Err(bad(405, "method must be GET"));
    }
    if req.version != Some(1) {
        return Err(bad(400, "HTTP/1.1 or later is required"));
    }
    let path = req.path.unwrap_or("/").to_string();
    let headers = req.headers;
    let host = match single_header(headers, "Host").map(core::str::from_utf8) {
        Some(Ok(h)) if !h.trim().is_empty() => h.trim().to_string(),
        _ => return Err(bad(400, "missing or invalid Host header")),
    };
    if !has_token(headers, "Upgrade", "websocket") {
        return Err(bad(400, "Upgrade header must contain websocket"));
    }
    if !has_token(headers, "Connection", "upgrade") {
        return Err(bad(400, "Connection header must contain upgrade"));
    }
    match single_header(headers, "Sec-WebSocket-Version") {
        Some(v) if trim(v) == b"13" => {}
        _ => return Err(bad(426, "Sec-WebSocket-Version must be 13")),
    }
    let key = match single_header(headers, "Sec-WebSocket-Key") {
        Some(k) => trim(k),
        None => return Err(bad(400, "missing Sec-WebSocket-Key")),
    };
    match BASE64.decode(key) {
        Ok(raw) if raw.len() == 16 => {}
        _ => return Err(bad(400, "Sec-WebSocket-Key must be 16 bytes in base64")),
    }
    let origin = match single_header(headers, "Origin").map(core::str::from_utf8) {
        None => None,
        Some(Ok(o)) => Some(o.trim().to_string()),
        Some(Err(_)) => return Err(bad(400, "invalid Origin header")),
    };
    let mut subprotocols = Vec::new();
    for v in header_values(headers, "Sec-WebSocket-Protocol") {
        for t in tokens(v) {
            if !is_token(t) {
                return Err(bad(400, "invalid Sec-WebSocket-Protocol header"));
            }
            subprotocols.push(String::from_utf8_lossy(t).into_owned());
        }
    }
    let mut extensions = Vec::new();
    for v in header_values(headers, "Sec-WebSocket-Extensions") {
        match parse_extensions(v) {
            Some(mut e) => extensions.append(&mut e),
            None => return Err(bad(400, "invalid Sec-WebSocket-Extensions header")),
        }
    }
    Ok(ValidRequest {
        request: Request {
            path,
            host,
            origin,
            subprotocols,
            extensions,
            headers: collect_headers(headers),
        },
        key: key.to_vec(),
    })
}

/// The 101 response accepting a request.
pub fn accept_response(
    key: &[u8],
    subprotocol: Option<&str>,
    extension: Option<&str>,
    extra_headers: &[(&str, &str)],
) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n",
        accept_key(key)
    );
    if let Some(p) = subprotocol {
        r.push_str(&format!("Sec-WebSocket-Protocol: {p}\r\n"));
    }
    if let Some(e) = extension {
        r.push_str(&format!("Sec-WebSocket-Extensions: {e}\r\n"));
    }
    for (n, v) in extra_headers {
        r.push_str(&format!("{n}: {v}\r\n"));
    }
    r.push_str("\r\n");
    r.into_bytes()
}

/// The reason phrase for common statuses.
fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// A non-101 response with a body; `Connection: close` since the transport
/// closes after it.
pub fn reject_response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 {} {}\r\nContent-Length: {}\r\nConnection: close\r\n",
        status,
        reason_phrase(status),
        body.len()
    );
    for (n, v) in headers {
        r.push_str(&format!("{n}: {v}\r\n"));
    }
    r.push_str("\r\n");
    let mut out = r.into_bytes();
    out.extend_from_slice(body);
    out
}

/// A response head the client parsed.
pub struct ParsedResponse {
    /// Status code.
    pub status: u16,
    /// Every header.
    pub headers: Vec<Header>,
    /// The body length announced by Content-Length, if any.
    pub content_length: Option<usize>,
}

/// Parses a complete response head. `Err` carries the reason it is not HTTP.
pub fn parse_response(head: &[u8], max_headers: usize) -> Result<ParsedResponse, &'static str> {
    let mut storage = vec![httparse::EMPTY_HEADER; max_headers.max(1)];
    let mut resp = httparse::Response::new(&mut storage);
    match resp.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err("incomplete response head"),
        Err(httparse::Error::TooManyHeaders) => return Err("too many header lines in response"),
        Err(_) => return Err("malformed HTTP response"),
    }
    let status = resp.code.unwrap_or(0);
    let content_length = match single_header(resp.headers, "Content-Length") {
        None => None,
        Some(v) => match core::str::from_utf8(trim(v))
            .ok()
            .and_then(|s| s.parse().ok())
        {
            Some(n) => Some(n),
            None => return Err("invalid Content-Length"),
        },
    };
    Ok(ParsedResponse {
        status,
        headers: collect_headers(resp.headers),
        content_length,
    })
}

/// Looks up every value of `name` in already-collected headers.
pub fn values<'a>(headers: &'a [Header], name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
    headers
        .iter()
        .filter(move |h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_slice())
}

/// Whether collected headers hold `token` in the comma list `name`.
pub fn contains_token(headers: &[Header], name: &str, token: &str) -> bool {
    values(headers, name)
        .flat_map(tokens)
        .any(|t| t.eq_ignore_ascii_case(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_accept_key() {
        // §1.3 example.
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn extension_grammar() {
        let e = parse_extensions(
            b"permessage-deflate; client_max_window_bits, permessage-deflate;server_max_window_bits=\"10\" ; client_no_context_takeover",
        )
        .unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].params, [("client_max_window_bits".to_string(), None)]);
        assert_eq!(
            e[1].params,
            [
                ("server_max_window_bits".to_string(), Some("10".to_string())),
                ("client_no_context_takeover".to_string(), None)
            ]
        );
        assert!(parse_extensions(b"").unwrap().is_empty());
        for bad in [
            &b"a b"[..],
            b"a;=1",
            b"a; b=\"x",
            b"a; b=\"x y\"",
            b"a;;",
            b"\xff",
        ] {
            assert_eq!(parse_extensions(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn head_end_search() {
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\n\r\nxx", 0), Some(18));
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\n\r", 0), None);
        assert_eq!(find_head_end(b"ab\r\n\r\n", 5), None);
        assert_eq!(find_head_end(b"ab\r\n\r\n", 2), Some(6));
    }

    const GOOD: &str = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
        Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n\
        Sec-WebSocket-Version: 13\r\n\r\n";

    #[test]
    fn server_parses_rfc_request() {
        let v = parse_request(GOOD.as_bytes(), 16).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(v.request.path, "/chat");
        assert_eq!(v.request.host, "server.example.com");
        assert_eq!(v.request.origin.as_deref(), Some("http://example.com"));
        assert_eq!(v.request.subprotocols, ["chat", "superchat"]);
        assert_eq!(v.key, b"dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(v.request.headers.len(), 7);
    }

    #[test]
    fn server_rejections() {
        let cases: &[(&str, &str, u16)] = &[
            ("GET /chat", "POST /chat", 405),
            ("HTTP/1.1\r\nHost", "HTTP/1.0\r\nHost", 400),
            ("Host: server.example.com\r\n", "", 400),
            ("Upgrade: websocket", "Upgrade: h2c", 400),
            ("keep-alive, Upgrade", "keep-alive", 400),
            ("Version: 13", "Version: 8", 426),
            ("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZQ==", 400),
            ("chat, superchat", "chat, super/chat", 400),
        ];
        for (from, to, status) in cases {
            let req = GOOD.replacen(from, to, 1);
            let err = parse_request(req.as_bytes(), 16)
                .err()
                .unwrap_or_else(|| panic!("{to}"));
            assert_eq!(err.status, *status, "{to}: {}", err.reason);
        }
        assert_eq!(
            parse_request(GOOD.as_bytes(), 3).err().map(|e| e.status),
            Some(431)
        );
        assert_eq!(
            parse_request(b"\x00\x01garbage\r\n\r\n", 8)
                .err()
                .map(|e| e.status),
            Some(400)
        );
    }

    #[test]
    fn case_insensitive_tokens() {
        let req = GOOD
            .replace("Upgrade: websocket", "upgrade: WebSocket")
            .replace("keep-alive, Upgrade", "UPGRADE");
        assert!(parse_request(req.as_bytes(), 16).is_ok());
    }

    #[test]
    fn rejection_response_shape() {
        let r = reject_response(403, &[("X-Why", "nope")], b"go away");
        let s = core::str::from_utf8(&r).unwrap();
        assert!(s.starts_with("HTTP/1.1 403 Forbidden\r\nContent-Length: 7\r\n"));
        assert!(s.ends_with("X-Why: nope\r\n\r\ngo away"));
    }

    #[test]
    fn header_checks() {
        assert_eq!(
            check_headers(&[("X-A", "b\r\nEvil: 1")]),
            Err(Error::InvalidHeader)
        );
        assert_eq!(check_headers(&[("X A", "b")]), Err(Error::InvalidHeader));
        assert_eq!(check_headers(&[("X-A", "b c")]), Ok(()));
    }
}
