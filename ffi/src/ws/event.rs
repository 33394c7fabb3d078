//! Events, and the accessors for the handshake events.

use wirestate_core::ws::{Event, Extension, Header};

use super::conn::{Handshake, wirestate_ws_conn, with_conn, with_conn_ref};
use super::{wirestate_bytes, wirestate_str, wirestate_ws_message_kind};
use crate::error::wirestate_result;
use crate::ffi::{Out, data_ptr};

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

/// Takes the next event and writes it to `*event`; `event->kind` is
/// `WIRESTATE_WS_EVENT_KIND_NONE` when there is none. Call it until then
/// after every input or application call (or use
/// `wirestate_ws_conn_poll_events`, which takes several at once).
///
/// Ownership: `event->data` points into the connection's memory and stays
/// valid until the next call taking a non-const `wirestate_ws_conn *` (this
/// one included) or `wirestate_ws_conn_free`; copy what you keep. It may be
/// passed straight back into a send call on the same connection. The request
/// and response accessors read the event returned last, until the next
/// `wirestate_ws_conn_poll_event` or `wirestate_ws_conn_poll_events`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_poll_event(
    conn: *mut wirestate_ws_conn,
    event: *mut wirestate_ws_event,
) -> wirestate_result {
    with_conn(conn, |c| {
        let dst = Out::new(event)?.as_ptr();
        forget_handshake(&mut c.handshake);
        let mut span = Span::NONE;
        let handshake = &mut c.handshake;
        // One event at most: exactly what the core's `poll_event` does (an
        // empty queue lets it reuse its buffers), with the conversion
        // inlined into its loop.
        // SAFETY (both): `dst` is valid for one write of an event (C API
        // contract), and the core hands out at most one.
        let n = c.conn.poll_events(1, |event| unsafe {
            put_event(dst, handshake, &mut span, event)
        });
        if n == 0 {
            unsafe { put(dst, wirestate_ws_event_kind::None, &[], NO_EXTRA, &mut span) };
        }
        c.last_payload = span.range();
        Ok(())
    })
}

/// Takes up to `cap` pending events at once and writes them to
/// `events[0]`, ..., `events[*written - 1]` in order; `*written` is 0 when
/// none is pending. It does what `cap` calls of
/// `wirestate_ws_conn_poll_event` would, in one call, without copying any
/// payload. The slots past `*written` are left as they were.
///
/// A batch ends early, with fewer than `cap` events while more may be
/// pending, only after a `REQUEST`, `ACCEPTED` or `REJECTED` event (so the
/// request and response accessors describe the last event of a batch) and
/// after `CLOSED` (always the connection's last event). Otherwise fewer
/// than `cap` events means none is left: an event loop calls it once after
/// every input, and again only when the batch was full or ended with a
/// handshake event.
///
/// Ownership and lifetime: every `data` of the batch points into the
/// connection's memory and stays valid until the next call that takes this
/// connection, except calls to
/// - functions taking `const wirestate_ws_conn *` (getters,
///   `pending_output`, the request and response accessors),
/// - `wirestate_ws_conn_send_text`, `_send_binary`, `_send_message`,
///   `_send_fragment`, `_ping`, `_pong`, `_close`,
/// - `wirestate_ws_conn_consume_output`, `wirestate_ws_conn_poll_transmit`,
///
/// which leave them valid. So the events of a batch can be handled one by one
/// with replies sent in between, and a payload may be passed straight back
/// into a send call (an echo). Every other call on the connection —
/// `poll_event`, `poll_events`, `receive_data`, `receive_eof`,
/// `handle_timeout`, `accept`, `reject` — and `wirestate_ws_conn_free` end
/// it; copy what you keep.
///
/// `events` must be valid for writes of `cap` events (they may be
/// uninitialized). `WIRESTATE_RESULT_NULL_PARAMETER` when `conn`, `events` or
/// `written` is NULL; `WIRESTATE_RESULT_INVALID_ARGUMENT` when `cap` is 0 or
/// larger than `PTRDIFF_MAX / sizeof(wirestate_ws_event)`. On failure no
/// event is taken and nothing is written (after `WIRESTATE_RESULT_PANIC`,
/// slots of `events` may have been written).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_poll_events(
    conn: *mut wirestate_ws_conn,
    events: *mut wirestate_ws_event,
    cap: usize,
    written: *mut usize,
) -> wirestate_result {
    with_conn(conn, |c| {
        let written = Out::new(written)?;
        if events.is_null() {
            return Err(wirestate_result::NullParameter);
        }
        if cap == 0 || cap > isize::MAX as usize / core::mem::size_of::<wirestate_ws_event>() {
            return Err(wirestate_result::InvalidArgument);
        }
        forget_handshake(&mut c.handshake);
        // The span of every payload handed out, for `with_input`.
        let mut span = Span::NONE;
        let handshake = &mut c.handshake;
        let mut slot = events;
        // The core's batch poll keeps the bytes of every event it hands out
        // where they are until a later poll finds its queue empty (or new
        // input arrives), and stops after a handshake event or CLOSED.
        let n = c.conn.poll_events(cap, |event| {
            // SAFETY (both): C passes `events` valid for writes of `cap`
            // events, and the core hands out at most `cap`; `slot` ends
            // one past the last one written.
            unsafe {
                put_event(slot, handshake, &mut span, event);
                slot = slot.add(1);
            }
        });
        c.last_payload = span.range();
        written.write(n);
        Ok(())
    })
}

/// Writes `event` to `dst` and adds its payload to `span`: whole messages
/// inline, anything else through [`to_c`].
///
/// # Safety
///
/// `dst` is valid for a write of one event.
#[inline(always)]
unsafe fn put_event(
    dst: *mut wirestate_ws_event,
    handshake: &mut Handshake,
    span: &mut Span,
    event: Event<'_>,
) {
    // SAFETY (both): per this function's contract.
    if let Some(other) = unsafe { put_message(dst, event, span) } {
        span.merge(unsafe { to_c(dst, handshake, other) });
    }
}

/// Drops the copy of the last handshake event (cheaply when there is none).
#[inline(always)]
fn forget_handshake(handshake: &mut Handshake) {
    if !matches!(handshake, Handshake::None) {
        *handshake = Handshake::None;
    }
}

/// The address range spanning the payloads handed out by one call, for
/// `wirestate_ws_conn::with_input`; empty payloads (which may
/// point anywhere, or at `EMPTY`) are left out.
#[derive(Clone, Copy)]
struct Span {
    lo: usize,
    hi: usize,
}

impl Span {
    const NONE: Span = Span {
        lo: usize::MAX,
        hi: 0,
    };

    #[inline(always)]
    fn add(&mut self, payload: &[u8]) {
        if !payload.is_empty() {
            let start = payload.as_ptr() as usize;
            self.lo = self.lo.min(start);
            self.hi = self.hi.max(start + payload.len());
        }
    }

    #[inline(always)]
    fn merge(&mut self, other: Span) {
        self.lo = self.lo.min(other.lo);
        self.hi = self.hi.max(other.hi);
    }

    /// `[start, end)`; empty (`start >= end`, which overlaps nothing) when
    /// no payload was added.
    #[inline(always)]
    fn range(self) -> (usize, usize) {
        (self.lo, self.hi)
    }
}

/// The fields of a `wirestate_ws_event` other than `kind` and the payload,
/// zero (and `BINARY`) unless an event sets them.
#[derive(Clone, Copy)]
struct Extra {
    message_kind: wirestate_ws_message_kind,
    code: u16,
    status: u16,
    clean: bool,
    first: bool,
    last: bool,
    total: u64,
}

const NO_EXTRA: Extra = Extra {
    message_kind: wirestate_ws_message_kind::Binary,
    code: 0,
    status: 0,
    clean: false,
    first: false,
    last: false,
    total: 0,
};

/// [`Extra`] for a whole text message.
const TEXT: Extra = Extra {
    message_kind: wirestate_ws_message_kind::Text,
    ..NO_EXTRA
};

/// Writes a whole message (`TEXT` or `BINARY`) to `dst` and adds its payload
/// to `span`; any other event is handed back untouched. Inlined into the
/// poll functions, which call [`to_c`] for the rest.
///
/// # Safety
///
/// `dst` is valid for a write of one event.
#[inline(always)]
unsafe fn put_message<'a>(
    dst: *mut wirestate_ws_event,
    event: Event<'a>,
    span: &mut Span,
) -> Option<Event<'a>> {
    use wirestate_ws_event_kind as K;
    // SAFETY (both): per this function's contract.
    match event {
        Event::Binary(b) => unsafe { put(dst, K::Binary, b, NO_EXTRA, span) },
        Event::Text(t) => unsafe { put(dst, K::Text, t.as_bytes(), TEXT, span) },
        other => return Some(other),
    }
    None
}

/// Writes one event to `dst`, field by field (an event assembled on the
/// stack and copied over costs a store-forwarding stall per field group).
///
/// # Safety
///
/// `dst` is valid for a write of one event.
#[inline(always)]
unsafe fn put(
    dst: *mut wirestate_ws_event,
    kind: wirestate_ws_event_kind,
    payload: &[u8],
    x: Extra,
    span: &mut Span,
) {
    span.add(payload);
    // SAFETY: per this function's contract.
    unsafe {
        dst.write(wirestate_ws_event {
            kind,
            message_kind: x.message_kind,
            data: data_ptr(payload),
            len: payload.len(),
            code: x.code,
            status: x.status,
            clean: x.clean,
            first: x.first,
            last: x.last,
            total: x.total,
        })
    };
}

/// Writes the C form of an event the core handed out to `dst` and returns
/// the span of its payload. A handshake event is cloned into `handshake`,
/// for the accessors; its `data` points into that copy.
///
/// Out of line: the poll functions convert whole messages, the events a
/// busy connection returns most, themselves (see [`put_message`]), so that
/// the rest costs them no registers.
///
/// # Safety
///
/// `dst` is valid for a write of one event.
#[inline(never)]
unsafe fn to_c(dst: *mut wirestate_ws_event, handshake: &mut Handshake, event: Event<'_>) -> Span {
    use wirestate_ws_event_kind as K;
    let mut span = Span::NONE;
    let s = &mut span;
    // SAFETY (every `put`): per this function's contract.
    unsafe {
        match event {
            Event::Binary(b) => put(dst, K::Binary, b, NO_EXTRA, s),
            Event::Text(t) => put(dst, K::Text, t.as_bytes(), TEXT, s),
            Event::MessageChunk {
                kind,
                data,
                first,
                last,
                total,
            } => {
                let x = Extra {
                    message_kind: kind.into(),
                    first,
                    last,
                    total: total.unwrap_or(u64::MAX),
                    ..NO_EXTRA
                };
                put(dst, K::MessageChunk, data, x, s)
            }
            Event::Ping(p) => put(dst, K::Ping, p, NO_EXTRA, s),
            Event::Pong(p) => put(dst, K::Pong, p, NO_EXTRA, s),
            Event::CloseReceived { code, reason } => {
                let x = Extra { code, ..NO_EXTRA };
                put(dst, K::CloseReceived, reason.as_bytes(), x, s)
            }
            Event::Writable => put(dst, K::Writable, &[], NO_EXTRA, s),
            Event::Closed {
                code,
                reason,
                clean,
            } => {
                let x = Extra {
                    code,
                    clean,
                    ..NO_EXTRA
                };
                put(dst, K::Closed, reason.as_bytes(), x, s);
            }
            e @ (Event::Request(_) | Event::Accepted(_) | Event::Rejected(_)) => {
                handshake_event(dst, handshake, s, e);
            }
            _ => put(dst, K::Unknown, &[], NO_EXTRA, s),
        }
    }
    span
}

/// [`to_c`] for the handshake events: clones the event into `handshake`
/// and points `data` into the clone (out of line: they are rare).
///
/// # Safety
///
/// As for [`to_c`].
#[inline(never)]
unsafe fn handshake_event(
    dst: *mut wirestate_ws_event,
    handshake: &mut Handshake,
    s: &mut Span,
    event: Event<'_>,
) {
    use wirestate_ws_event_kind as K;
    // SAFETY (every `put`): per this function's contract.
    unsafe {
        match event {
            Event::Request(r) => {
                *handshake = Handshake::Request(Box::new(r.clone()));
                let Handshake::Request(r) = handshake else {
                    unreachable!()
                };
                put(dst, K::Request, r.path.as_bytes(), NO_EXTRA, s)
            }
            Event::Accepted(a) => {
                *handshake = Handshake::Accepted(Box::new(a.clone()));
                let Handshake::Accepted(a) = handshake else {
                    unreachable!()
                };
                let sub = a.subprotocol.as_deref().unwrap_or("");
                put(dst, K::Accepted, sub.as_bytes(), NO_EXTRA, s)
            }
            Event::Rejected(r) => {
                *handshake = Handshake::Rejected(Box::new(r.clone()));
                let Handshake::Rejected(r) = handshake else {
                    unreachable!()
                };
                let x = Extra {
                    status: r.status,
                    ..NO_EXTRA
                };
                put(dst, K::Rejected, &r.body, x, s)
            }
            _ => put(dst, K::Unknown, &[], NO_EXTRA, s),
        }
    }
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

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;
