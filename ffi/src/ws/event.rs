//! Events, and the accessors for the handshake events.

use wirestate_core::ws::{Event, Extension, Header};

use super::conn::{Handshake, wirestate_ws_conn, with_conn, with_conn_ref};
use super::{wirestate_bytes, wirestate_str, wirestate_ws_message_kind};
use crate::error::wirestate_result;
use crate::ffi::{EMPTY, Out, data_ptr};

/// What an event reports. The numbers are stable.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wirestate_ws_event_kind {
    /// No event is pending.
    None = 0,
    /// Server: an opening request arrived; read it with the
    /// `wirestate_ws_conn_request_*` accessors, then call
    /// `wirestate_ws_conn_accept` or `wirestate_ws_conn_reject`. `data` is the
    /// request path.
    Request = 1,
    /// Client: the server accepted; the connection is open. `data` is the
    /// negotiated subprotocol (empty when none); the response headers are
    /// readable with `wirestate_ws_conn_response_header*`.
    Accepted = 2,
    /// Client: the server refused with HTTP `status`; `data` is the response
    /// body. A `CLOSED` event follows.
    Rejected = 3,
    /// A whole text message (UTF-8) in `data`.
    Text = 4,
    /// A whole binary message in `data`.
    Binary = 5,
    /// Streaming mode: the next piece of a message of `message_kind`, with
    /// `first` / `last` marking its ends. Text pieces end on code points.
    MessageChunk = 6,
    /// A Ping arrived (already answered when auto-pong is on); payload in `data`.
    Ping = 7,
    /// A Pong arrived; payload in `data`.
    Pong = 8,
    /// The peer sent a Close frame with `code` (1005 when it had none) and the
    /// reason in `data`.
    CloseReceived = 9,
    /// The connection is finished: `code`, the reason in `data`, and `clean`
    /// when the closing handshake completed. Always the last event, once.
    Closed = 10,
    /// The output queue drained below the low mark after passing the high mark.
    Writable = 11,
    /// An event this version of the C API does not describe; skip it.
    Unknown = 255,
}

/// One event, filled by `wirestate_ws_conn_poll_event`. Which fields mean
/// something depends on `kind` (see `wirestate_ws_event_kind`); the others
/// are zero, except `message_kind`, which is `BINARY` for events that carry
/// no message. `data` is never NULL (an empty payload points at a static
/// empty string) and is not NUL-terminated.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wirestate_ws_event {
    /// What happened (a `wirestate_ws_event_kind`).
    pub kind: wirestate_ws_event_kind,
    /// `TEXT`, `BINARY`, `MESSAGE_CHUNK`: the message's kind.
    pub message_kind: wirestate_ws_message_kind,
    /// The payload, message, reason, body, path or subprotocol.
    pub data: *const u8,
    /// The number of bytes at `data`.
    pub len: usize,
    /// `CLOSE_RECEIVED`, `CLOSED`: the close code.
    pub code: u16,
    /// `REJECTED`: the HTTP status.
    pub status: u16,
    /// `CLOSED`: whether the closing handshake completed.
    pub clean: bool,
    /// `MESSAGE_CHUNK`: the first piece of its message.
    pub first: bool,
    /// `MESSAGE_CHUNK`: the last piece of its message.
    pub last: bool,
    /// `MESSAGE_CHUNK`: the whole message's length when it is known in
    /// advance (a message sent as one uncompressed frame), so it can be
    /// allocated once; `UINT64_MAX` when it is not. 0 for other events.
    pub total: u64,
}

impl wirestate_ws_event {
    fn of(kind: wirestate_ws_event_kind, data: &[u8]) -> wirestate_ws_event {
        wirestate_ws_event {
            kind,
            message_kind: wirestate_ws_message_kind::Binary,
            data: data_ptr(data),
            len: data.len(),
            code: 0,
            status: 0,
            clean: false,
            first: false,
            last: false,
            total: 0,
        }
    }
}

/// Takes the next event and writes it to `*event`; `event->kind` is
/// `WIRESTATE_WS_EVENT_KIND_NONE` when there is none. Call it until then
/// after every input or application call.
///
/// Ownership: `event->data` points into the connection's memory and stays
/// valid until the next call taking a non-const `wirestate_ws_conn *` (this
/// one included) or `wirestate_ws_conn_free`; copy what you keep. It may be
/// passed straight back into a send call on the same connection. The request
/// and response accessors read the event returned last, until the next
/// `wirestate_ws_conn_poll_event`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_poll_event(
    conn: *mut wirestate_ws_conn,
    event: *mut wirestate_ws_event,
) -> wirestate_result {
    with_conn(conn, |c| {
        let out = Out::new(event)?;
        if !matches!(c.handshake, Handshake::None) {
            c.handshake = Handshake::None;
        }
        use wirestate_ws_event_kind as K;
        let e = match c.conn.poll_event() {
            None => wirestate_ws_event::of(K::None, &[]),
            Some(Event::Request(r)) => {
                c.handshake = Handshake::Request(Box::new(r.clone()));
                let Handshake::Request(r) = &c.handshake else {
                    unreachable!()
                };
                wirestate_ws_event::of(K::Request, r.path.as_bytes())
            }
            Some(Event::Accepted(a)) => {
                c.handshake = Handshake::Accepted(Box::new(a.clone()));
                let Handshake::Accepted(a) = &c.handshake else {
                    unreachable!()
                };
                let sub = a.subprotocol.as_deref().unwrap_or("");
                wirestate_ws_event::of(K::Accepted, sub.as_bytes())
            }
            Some(Event::Rejected(r)) => {
                c.handshake = Handshake::Rejected(Box::new(r.clone()));
                let Handshake::Rejected(r) = &c.handshake else {
                    unreachable!()
                };
                wirestate_ws_event {
                    status: r.status,
                    ..wirestate_ws_event::of(K::Rejected, &r.body)
                }
            }
            Some(Event::Text(t)) => wirestate_ws_event {
                message_kind: wirestate_ws_message_kind::Text,
                ..wirestate_ws_event::of(K::Text, t.as_bytes())
            },
            Some(Event::Binary(b)) => wirestate_ws_event::of(K::Binary, b),
            Some(Event::MessageChunk {
                kind,
                data,
                first,
                last,
                total,
            }) => wirestate_ws_event {
                message_kind: kind.into(),
                first,
                last,
                total: total.unwrap_or(u64::MAX),
                ..wirestate_ws_event::of(K::MessageChunk, data)
            },
            Some(Event::Ping(p)) => wirestate_ws_event::of(K::Ping, p),
            Some(Event::Pong(p)) => wirestate_ws_event::of(K::Pong, p),
            Some(Event::CloseReceived { code, reason }) => wirestate_ws_event {
                code,
                ..wirestate_ws_event::of(K::CloseReceived, reason.as_bytes())
            },
            Some(Event::Closed {
                code,
                reason,
                clean,
            }) => wirestate_ws_event {
                code,
                clean,
                ..wirestate_ws_event::of(K::Closed, reason.as_bytes())
            },
            Some(Event::Writable) => wirestate_ws_event::of(K::Writable, &[]),
            Some(_) => wirestate_ws_event::of(K::Unknown, &[]),
        };
        let start = e.data as usize;
        c.last_payload = if e.data == EMPTY.as_ptr() {
            (0, 0)
        } else {
            (start, start + e.len)
        };
        out.write(e);
        Ok(())
    })
}

// ----- the request a server received ---------------------------------------

fn request(c: &wirestate_ws_conn) -> Result<&wirestate_core::ws::Request, wirestate_result> {
    match &c.handshake {
        Handshake::Request(r) => Ok(r),
        _ => Err(wirestate_result::InvalidState),
    }
}

fn extension(c: &wirestate_ws_conn, index: usize) -> Result<&Extension, wirestate_result> {
    request(c)?
        .extensions
        .get(index)
        .ok_or(wirestate_result::IndexOutOfRange)
}

fn write_header(
    headers: &[Header],
    index: usize,
    name: *mut wirestate_str,
    value: *mut wirestate_bytes,
) -> Result<(), wirestate_result> {
    let name = Out::new(name)?;
    let value = Out::new(value)?;
    let h = headers
        .get(index)
        .ok_or(wirestate_result::IndexOutOfRange)?;
    name.write(wirestate_str::from_str(&h.name));
    value.write(wirestate_bytes::from_slice(&h.value));
    Ok(())
}

/// Writes the request target (path and query) of the current `REQUEST`
/// event to `*out`. `WIRESTATE_RESULT_INVALID_STATE` when the event last
/// returned by `poll_event` is not a `REQUEST`.
///
/// Ownership: the string belongs to the connection and stays valid until the
/// next `wirestate_ws_conn_poll_event` or `wirestate_ws_conn_free`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_request_path(
    conn: *const wirestate_ws_conn,
    out: *mut wirestate_str,
) -> wirestate_result {
    with_conn_ref(conn, |c| {
        let out = Out::new(out)?;
        out.write(wirestate_str::from_str(&request(c)?.path));
        Ok(())
    })
}

/// Writes the `Host` header of the current `REQUEST` event to `*out`.
/// Errors and ownership as for `wirestate_ws_conn_request_path`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_request_host(
    conn: *const wirestate_ws_conn,
    out: *mut wirestate_str,
) -> wirestate_result {
    with_conn_ref(conn, |c| {
        let out = Out::new(out)?;
        out.write(wirestate_str::from_str(&request(c)?.host));
        Ok(())
    })
}

/// Writes whether the current `REQUEST` had an `Origin` header to `*present`
/// and its value (empty when absent) to `*out`. Errors and ownership as for
/// `wirestate_ws_conn_request_path`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_request_origin(
    conn: *const wirestate_ws_conn,
    present: *mut bool,
    out: *mut wirestate_str,
) -> wirestate_result {
    with_conn_ref(conn, |c| {
        let present = Out::new(present)?;
        let out = Out::new(out)?;
        let origin = request(c)?.origin.as_deref();
        present.write(origin.is_some());
        out.write(wirestate_str::from_str(origin.unwrap_or("")));
        Ok(())
    })
}

/// Writes the number of subprotocols the client offered in the current
/// `REQUEST` to `*out`. `WIRESTATE_RESULT_INVALID_STATE` when the current
/// event is not a `REQUEST`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_request_subprotocol_count(
    conn: *const wirestate_ws_conn,
    out: *mut usize,
) -> wirestate_result {
    with_conn_ref(conn, |c| {
        let out = Out::new(out)?;
        out.write(request(c)?.subprotocols.len());
        Ok(())
    })
}

/// Writes the `index`-th offered subprotocol (in the client's order of
/// preference) to `*out`; `WIRESTATE_RESULT_INDEX_OUT_OF_RANGE` past the
/// end. Ownership as for `wirestate_ws_conn_request_path`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_request_subprotocol(
    conn: *const wirestate_ws_conn,
    index: usize,
    out: *mut wirestate_str,
) -> wirestate_result {
    with_conn_ref(conn, |c| {
        let out = Out::new(out)?;
        let p = request(c)?
            .subprotocols
            .get(index)
            .ok_or(wirestate_result::IndexOutOfRange)?;
        out.write(wirestate_str::from_str(p));
        Ok(())
    })
}

/// Writes the number of extensions offered in the current `REQUEST` (from
/// its `Sec-WebSocket-Extensions` headers) to `*out`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_request_extension_count(
    conn: *const wirestate_ws_conn,
    out: *mut usize,
) -> wirestate_result {
    with_conn_ref(conn, |c| {
        let out = Out::new(out)?;
        out.write(request(c)?.extensions.len());
        Ok(())
    })
}

/// Writes the name of the `index`-th offered extension (e.g.
/// `permessage-deflate`) to `*out`. Ownership as for
/// `wirestate_ws_conn_request_path`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_request_extension_name(
    conn: *const wirestate_ws_conn,
    index: usize,
    out: *mut wirestate_str,
) -> wirestate_result {
    with_conn_ref(conn, |c| {
        let out = Out::new(out)?;
        out.write(wirestate_str::from_str(&extension(c, index)?.name));
        Ok(())
    })
}

/// Writes the number of parameters of the `index`-th offered extension to
/// `*out`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_request_extension_param_count(
    conn: *const wirestate_ws_conn,
    index: usize,
    out: *mut usize,
) -> wirestate_result {
    with_conn_ref(conn, |c| {
        let out = Out::new(out)?;
        out.write(extension(c, index)?.params.len());
        Ok(())
    })
}

/// Writes parameter `param` of the `index`-th offered extension: its name to
/// `*name`, whether it has a value to `*has_value`, and the value (quotes
/// removed; empty when none) to `*value`. Ownership as for
/// `wirestate_ws_conn_request_path`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_request_extension_param(
    conn: *const wirestate_ws_conn,
    index: usize,
    param: usize,
    name: *mut wirestate_str,
    has_value: *mut bool,
    value: *mut wirestate_str,
) -> wirestate_result {
    with_conn_ref(conn, |c| {
        let name = Out::new(name)?;
        let has_value = Out::new(has_value)?;
        let value = Out::new(value)?;
        let (n, v) = extension(c, index)?
            .params
            .get(param)
            .ok_or(wirestate_result::IndexOutOfRange)?;
        name.write(wirestate_str::from_str(n));
        has_value.write(v.is_some());
        value.write(wirestate_str::from_str(v.as_deref().unwrap_or("")));
        Ok(())
    })
}

/// Writes the number of header lines of the current `REQUEST` to `*out`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_request_header_count(
    conn: *const wirestate_ws_conn,
    out: *mut usize,
) -> wirestate_result {
    with_conn_ref(conn, |c| {
        let out = Out::new(out)?;
        out.write(request(c)?.headers.len());
        Ok(())
    })
}

/// Writes the `index`-th header line of the current `REQUEST`, as received:
/// the name (compare it case-insensitively) to `*name`, the raw value to
/// `*value`. Ownership as for `wirestate_ws_conn_request_path`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_request_header(
    conn: *const wirestate_ws_conn,
    index: usize,
    name: *mut wirestate_str,
    value: *mut wirestate_bytes,
) -> wirestate_result {
    with_conn_ref(conn, |c| {
        write_header(&request(c)?.headers, index, name, value)
    })
}

// ----- the response a client received --------------------------------------

fn response_headers(c: &wirestate_ws_conn) -> Result<&[Header], wirestate_result> {
    match &c.handshake {
        Handshake::Accepted(a) => Ok(&a.headers),
        Handshake::Rejected(r) => Ok(&r.headers),
        _ => Err(wirestate_result::InvalidState),
    }
}

/// Writes the number of header lines of the response reported by the
/// current `ACCEPTED` or `REJECTED` event to `*out`.
/// `WIRESTATE_RESULT_INVALID_STATE` when the event last returned by
/// `poll_event` is neither.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_response_header_count(
    conn: *const wirestate_ws_conn,
    out: *mut usize,
) -> wirestate_result {
    with_conn_ref(conn, |c| {
        let out = Out::new(out)?;
        out.write(response_headers(c)?.len());
        Ok(())
    })
}

/// Writes the `index`-th header line of the response reported by the current
/// `ACCEPTED` or `REJECTED` event. Ownership as for
/// `wirestate_ws_conn_request_path`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_response_header(
    conn: *const wirestate_ws_conn,
    index: usize,
    name: *mut wirestate_str,
    value: *mut wirestate_bytes,
) -> wirestate_result {
    with_conn_ref(conn, |c| {
        write_header(response_headers(c)?, index, name, value)
    })
}
