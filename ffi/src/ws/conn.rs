//! `wirestate_ws_conn`: one WebSocket connection.

use core::ffi::c_char;

use wirestate_core::time::Instant;
use wirestate_core::ws::{Accepted, Connection, Rejected, Request};

use super::config::wirestate_ws_config;
use super::{
    wirestate_header, wirestate_str, wirestate_ws_message_kind, wirestate_ws_role,
    wirestate_ws_state, wirestate_ws_stats,
};
use crate::error::{FfiResult, wirestate_result};
use crate::ffi::{
    Castable, Out, free_boxed, to_boxed_ptr, try_mut, try_ref, try_slice, try_slice_mut, try_str,
};
use crate::panic::{ffi_boundary, result_boundary};
use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// One WebSocket connection, client or server, as a sans-IO state machine:
/// bytes from the transport go in (`receive_data`, `receive_eof`), bytes for
/// the transport come out (`pending_output` + `consume_output`, or
/// `poll_transmit`), what happened comes out of `poll_event`, and time goes in
/// through `handle_timeout`. After any input or application call, drain
/// events and output, then re-arm the timer from `poll_timeout`; close the
/// transport once `should_close_transport` is true and the output is written.
///
/// Pointers the connection hands out (event payloads, `pending_output`, the
/// request and response accessors) point into its own memory: they stay
/// valid until the next call that takes the connection as a non-const
/// `wirestate_ws_conn *` (or until `wirestate_ws_conn_free`). Passing such a
/// pointer back into a send call on the same connection (an echo) is fine.
///
/// Not thread-safe: one call at a time per connection; different connections
/// may be used from different threads.
///
/// Functions: `wirestate_ws_conn_new_server`, `wirestate_ws_conn_new_client`,
/// `wirestate_ws_conn_free`, `wirestate_ws_conn_receive_data`,
/// `wirestate_ws_conn_receive_eof`, `wirestate_ws_conn_handle_timeout`,
/// `wirestate_ws_conn_poll_timeout`, `wirestate_ws_conn_poll_event`,
/// `wirestate_ws_conn_poll_events`,
/// `wirestate_ws_conn_request_path`, `wirestate_ws_conn_request_host`,
/// `wirestate_ws_conn_request_origin`,
/// `wirestate_ws_conn_request_subprotocol_count`,
/// `wirestate_ws_conn_request_subprotocol`,
/// `wirestate_ws_conn_request_extension_count`,
/// `wirestate_ws_conn_request_extension_name`,
/// `wirestate_ws_conn_request_extension_param_count`,
/// `wirestate_ws_conn_request_extension_param`,
/// `wirestate_ws_conn_request_header_count`, `wirestate_ws_conn_request_header`,
/// `wirestate_ws_conn_response_header_count`, `wirestate_ws_conn_response_header`,
/// `wirestate_ws_conn_accept`, `wirestate_ws_conn_reject`,
/// `wirestate_ws_conn_send_text`, `wirestate_ws_conn_send_binary`,
/// `wirestate_ws_conn_send_message`, `wirestate_ws_conn_send_fragment`,
/// `wirestate_ws_conn_ping`, `wirestate_ws_conn_pong`, `wirestate_ws_conn_close`,
/// `wirestate_ws_conn_pending_output`, `wirestate_ws_conn_consume_output`,
/// `wirestate_ws_conn_poll_transmit`, `wirestate_ws_conn_state`,
/// `wirestate_ws_conn_role`, `wirestate_ws_conn_subprotocol`,
/// `wirestate_ws_conn_is_compressed`, `wirestate_ws_conn_buffered_amount`,
/// `wirestate_ws_conn_is_writable`, `wirestate_ws_conn_should_close_transport`,
/// `wirestate_ws_conn_stats`.
pub struct wirestate_ws_conn {
    pub(crate) conn: Connection,
    /// A copy of the last handshake event, for the accessors; replaced at
    /// every `poll_event`.
    pub(crate) handshake: Handshake,
    /// Address range `[start, end)` (empty when `start >= end`) spanning
    /// the payloads of the last `poll_event` or `poll_events`:
    /// `receive_data` input that overlaps it is copied to `scratch` first,
    /// since receiving may move or reuse that memory. The send calls take such input as it is (an echo): the core
    /// guarantees that sending, closing and pings leave the bytes of the
    /// events it handed out alone (`Connection::has_pending_event`).
    pub(crate) last_payload: (usize, usize),
    scratch: Vec<u8>,
    /// A call panicked: every later call but `_free` refuses.
    poisoned: bool,
}

impl Castable for wirestate_ws_conn {}

/// The last handshake event `poll_event` returned, owned by the wrapper
/// (boxed: one word, so resetting it per event costs nothing).
pub(crate) enum Handshake {
    None,
    Request(Box<Request>),
    Accepted(Box<Accepted>),
    Rejected(Box<Rejected>),
}

impl wirestate_ws_conn {
    fn new(conn: Connection) -> wirestate_ws_conn {
        wirestate_ws_conn {
            conn,
            handshake: Handshake::None,
            last_payload: (0, 0),
            scratch: Vec::new(),
            poisoned: false,
        }
    }

    /// Runs `f` with input that may alias the last event's payload: such
    /// input is copied first, since receiving may reuse that memory.
    #[inline(always)]
    fn with_input<R>(&mut self, data: &[u8], f: impl FnOnce(&mut Connection, &[u8]) -> R) -> R {
        let start = data.as_ptr() as usize;
        let end = start + data.len();
        let (ps, pe) = self.last_payload;
        // (An empty input strictly inside the range is copied too: nothing
        // to copy, and one test less on the common path.)
        if start < pe && ps < end {
            self.with_copy(data, f)
        } else {
            f(&mut self.conn, data)
        }
    }

    /// [`Self::with_input`] for input that aliases the last event's
    /// payload (out of line: feeding a payload back in as input is rare).
    #[cold]
    #[inline(never)]
    fn with_copy<R>(&mut self, data: &[u8], f: impl FnOnce(&mut Connection, &[u8]) -> R) -> R {
        self.scratch.clear();
        self.scratch.extend_from_slice(data);
        let r = f(&mut self.conn, &self.scratch);
        self.scratch.clear();
        r
    }
}

/// Runs `f` on the connection behind `conn` at the panic boundary; a
/// connection whose call panicked refuses every later call.
#[inline(always)]
pub(crate) fn with_conn(
    conn: *mut wirestate_ws_conn,
    f: impl FnOnce(&mut wirestate_ws_conn) -> FfiResult,
) -> wirestate_result {
    // SAFETY: C passes NULL or a live connection from a `_new_*` function,
    // used by one call at a time.
    let c = match unsafe { try_mut(conn) } {
        Ok(c) => c,
        Err(code) => return code,
    };
    if c.poisoned {
        return wirestate_result::Panic;
    }
    // The flag is set only when `f` panics (no store on the way in and out).
    match catch_unwind(AssertUnwindSafe(|| f(c))) {
        Ok(Ok(())) => wirestate_result::Ok,
        Ok(Err(code)) => code,
        // SAFETY: `conn` is the live connection the call was given; the
        // borrow `f` held ended with the unwind.
        Err(payload) => unsafe { poison(conn, payload) },
    }
}

/// Marks `conn` poisoned after a call on it panicked, and drops the panic's
/// payload. Out of line, so that the exported functions' landing pads only
/// pass it the connection and the payload, and keep little alive across
/// their calls into the core.
///
/// # Safety
///
/// `conn` points to a live connection that nothing borrows.
#[cold]
#[inline(never)]
unsafe fn poison(conn: *mut wirestate_ws_conn, payload: Box<dyn Any + Send>) -> wirestate_result {
    drop(payload);
    // SAFETY: per this function's contract.
    unsafe { (*conn).poisoned = true };
    wirestate_result::Panic
}

/// [`with_conn`] for calls that change nothing.
#[inline(always)]
pub(crate) fn with_conn_ref(
    conn: *const wirestate_ws_conn,
    f: impl FnOnce(&wirestate_ws_conn) -> FfiResult,
) -> wirestate_result {
    result_boundary(|| {
        // SAFETY: C passes NULL or a live connection, not used by another call
        // at the same time.
        let c = unsafe { try_ref(conn) }?;
        if c.poisoned {
            return Err(wirestate_result::Panic);
        }
        f(c)
    })
}

/// 16 bytes from the operating system, without dependencies: `/dev/urandom`
/// where it exists, else std's per-process random hash keys.
fn os_seed() -> [u8; 16] {
    use std::io::Read;
    let mut seed = [0u8; 16];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .is_ok()
    {
        return seed;
    }
    use std::hash::{BuildHasher, Hasher};
    let state = std::collections::hash_map::RandomState::new();
    for (i, half) in seed.chunks_mut(8).enumerate() {
        let mut h = state.build_hasher();
        h.write_usize(i);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        half.copy_from_slice(&h.finish().to_le_bytes());
    }
    seed
}

/// Headers from C, as the core takes them.
///
/// # Safety
///
/// `headers` is NULL (with `count` 0) or valid for `count` entries, each of
/// whose strings is valid for its length.
unsafe fn headers_from<'a>(
    headers: *const wirestate_header,
    count: usize,
) -> Result<Vec<(&'a str, &'a str)>, wirestate_result> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if headers.is_null() {
        return Err(wirestate_result::NullParameter);
    }
    if count > isize::MAX as usize / core::mem::size_of::<wirestate_header>() {
        return Err(wirestate_result::InvalidArgument);
    }
    // SAFETY: non-NULL and, per this function's contract, valid for `count`.
    let headers = unsafe { core::slice::from_raw_parts(headers, count) };
    headers
        .iter()
        .map(|h| {
            // SAFETY: per this function's contract.
            let name =
                unsafe { try_str(h.name.data, h.name.len, wirestate_result::InvalidHeader) }?;
            // SAFETY: as above.
            let value =
                unsafe { try_str(h.value.data, h.value.len, wirestate_result::InvalidHeader) }?;
            Ok((name, value))
        })
        .collect()
}

// ----- construction --------------------------------------------------------

/// Makes a server connection waiting for the client's opening request, with
/// the settings of `config` (copied; the caller keeps ownership of `config`).
///
/// Ownership: the caller owns `*out` and frees it with `wirestate_ws_conn_free`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_new_server(
    config: *const wirestate_ws_config,
    out: *mut *mut wirestate_ws_conn,
) -> wirestate_result {
    result_boundary(|| {
        // SAFETY: C passes NULL or a live config.
        let config = unsafe { try_ref(config) }?;
        let out = Out::new(out)?;
        let conn = Connection::server(config.config());
        out.write(to_boxed_ptr(wirestate_ws_conn::new(conn)));
        Ok(())
    })
}

/// Makes a client connection with the settings of `config` (copied; the
/// caller keeps ownership of `config`); its opening request is queued as
/// output at once.
///
/// `seed16` points to 16 random bytes keying the handshake nonce and the
/// masking keys, or is NULL to draw them from the operating system (the usual
/// choice; pass bytes for reproducible tests). `WIRESTATE_RESULT_INVALID_CONFIG`
/// for an empty host or a path not starting with `/`,
/// `WIRESTATE_RESULT_INVALID_HEADER` for a header that is not valid HTTP.
///
/// Ownership: the caller owns `*out` and frees it with `wirestate_ws_conn_free`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_new_client(
    config: *const wirestate_ws_config,
    seed16: *const u8,
    out: *mut *mut wirestate_ws_conn,
) -> wirestate_result {
    result_boundary(|| {
        // SAFETY: C passes NULL or a live config.
        let config = unsafe { try_ref(config) }?;
        let out = Out::new(out)?;
        let seed = if seed16.is_null() {
            os_seed()
        } else {
            // SAFETY: C passes `seed16` valid for 16 bytes.
            let s = unsafe { try_slice(seed16, 16) }?;
            let mut seed = [0u8; 16];
            seed.copy_from_slice(s);
            seed
        };
        let conn = Connection::client(config.client_config(), seed)?;
        out.write(to_boxed_ptr(wirestate_ws_conn::new(conn)));
        Ok(())
    })
}

/// Frees a connection and everything it handed out. NULL does nothing. It
/// does not close anything: close the transport yourself.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_free(conn: *mut wirestate_ws_conn) {
    ffi_boundary(|| {
        // SAFETY: C passes NULL or a connection it owns and no longer uses.
        unsafe { free_boxed(conn) }
    })
}

// ----- input ---------------------------------------------------------------

/// Feeds `len` bytes received from the transport (copied as needed; `data`
/// may be NULL when `len` is 0). Never fails because of what the bytes say: a
/// peer that breaks the protocol gets the right answer and a `CLOSED` event
/// reports it. Invalidates pointers the connection handed out.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_receive_data(
    conn: *mut wirestate_ws_conn,
    data: *const u8,
    len: usize,
) -> wirestate_result {
    with_conn(conn, |c| {
        // SAFETY: C passes `data` valid for `len` bytes (or NULL with 0).
        let data = unsafe { try_slice(data, len) }?;
        c.with_input(data, |conn, d| conn.receive_data(d));
        Ok(())
    })
}

/// The transport's read side ended (the peer closed or half-closed it).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_receive_eof(conn: *mut wirestate_ws_conn) -> wirestate_result {
    with_conn(conn, |c| {
        c.conn.receive_eof();
        Ok(())
    })
}

/// Advances the connection's clock to `now_ns` (nanoseconds since an epoch of
/// the caller's choosing, e.g. `CLOCK_MONOTONIC`) and runs every timer due by
/// then. Calling it early, late or repeatedly is harmless.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_handle_timeout(
    conn: *mut wirestate_ws_conn,
    now_ns: u64,
) -> wirestate_result {
    with_conn(conn, |c| {
        c.conn.handle_timeout(Instant::from_nanos(now_ns));
        Ok(())
    })
}

/// Writes whether a timer is armed to `*has_timeout` and, if so, the instant
/// (same epoch as `handle_timeout`) to `*at_ns` (0 when none). Call
/// `handle_timeout` at or after that instant.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_poll_timeout(
    conn: *const wirestate_ws_conn,
    has_timeout: *mut bool,
    at_ns: *mut u64,
) -> wirestate_result {
    with_conn_ref(conn, |c| {
        let has_timeout = Out::new(has_timeout)?;
        let at_ns = Out::new(at_ns)?;
        let t = c.conn.poll_timeout();
        has_timeout.write(t.is_some());
        at_ns.write(t.map_or(0, Instant::as_nanos));
        Ok(())
    })
}

// ----- application calls ---------------------------------------------------

/// Server: accepts the request reported by the `REQUEST` event.
///
/// `subprotocol` (`subprotocol_len` bytes, copied) must be one the client
/// offered (`WIRESTATE_RESULT_SUBPROTOCOL_NOT_OFFERED` otherwise); NULL picks
/// the first of the client's offers found in the config's subprotocols, if
/// any. `headers` (`count` entries, NULL when 0) are added to the 101
/// response. `WIRESTATE_RESULT_INVALID_STATE` when there is no request to
/// answer (a client, or already answered).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_accept(
    conn: *mut wirestate_ws_conn,
    subprotocol: *const c_char,
    subprotocol_len: usize,
    headers: *const wirestate_header,
    count: usize,
) -> wirestate_result {
    with_conn(conn, |c| {
        let subprotocol = if subprotocol.is_null() {
            None
        } else {
            // SAFETY: C passes `subprotocol` valid for `subprotocol_len` bytes.
            Some(unsafe { try_str(subprotocol, subprotocol_len, wirestate_result::InvalidUtf8) }?)
        };
        // SAFETY: C passes `headers` valid for `count` entries (or NULL with 0).
        let headers = unsafe { headers_from(headers, count) }?;
        Ok(c.conn.accept(subprotocol, &headers)?)
    })
}

/// Server: refuses the request reported by the `REQUEST` event with HTTP
/// `status` (200-599, `WIRESTATE_RESULT_INVALID_STATUS` otherwise), `headers`
/// (`count` entries, NULL when 0) and a body of `body_len` bytes (NULL when
/// 0). The connection then ends: a `CLOSED` event follows and
/// `should_close_transport` turns true.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_reject(
    conn: *mut wirestate_ws_conn,
    status: u16,
    headers: *const wirestate_header,
    count: usize,
    body: *const u8,
    body_len: usize,
) -> wirestate_result {
    with_conn(conn, |c| {
        // SAFETY: C passes `headers` valid for `count` entries (or NULL with 0).
        let headers = unsafe { headers_from(headers, count) }?;
        // SAFETY: C passes `body` valid for `body_len` bytes (or NULL with 0).
        let body = unsafe { try_slice(body, body_len) }?;
        Ok(c.conn.reject(status, &headers, body)?)
    })
}

/// Queues a whole text message of `len` bytes (copied), which must be UTF-8
/// (`WIRESTATE_RESULT_INVALID_UTF8` otherwise). Compressed when
/// permessage-deflate is in force and the message reaches the threshold.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_send_text(
    conn: *mut wirestate_ws_conn,
    text: *const c_char,
    len: usize,
) -> wirestate_result {
    with_conn(conn, |c| {
        // SAFETY: C passes `text` valid for `len` bytes (or NULL with 0).
        let text = unsafe { try_str(text, len, wirestate_result::InvalidUtf8) }?;
        Ok(c.conn.send_text(text)?)
    })
}

/// Queues a whole binary message of `len` bytes (copied).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_send_binary(
    conn: *mut wirestate_ws_conn,
    data: *const u8,
    len: usize,
) -> wirestate_result {
    with_conn(conn, |c| {
        // SAFETY: C passes `data` valid for `len` bytes (or NULL with 0).
        let data = unsafe { try_slice(data, len) }?;
        Ok(c.conn.send_binary(data)?)
    })
}

/// Queues a whole message of `kind` (a `wirestate_ws_message_kind`) as one
/// frame; with `compress` false it goes out uncompressed even when
/// permessage-deflate is in force. Text must be UTF-8.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_send_message(
    conn: *mut wirestate_ws_conn,
    kind: u32,
    data: *const u8,
    len: usize,
    compress: bool,
) -> wirestate_result {
    with_conn(conn, |c| {
        let kind = wirestate_ws_message_kind::from_number(kind)
            .ok_or(wirestate_result::InvalidArgument)?;
        // SAFETY: C passes `data` valid for `len` bytes (or NULL with 0).
        let data = unsafe { try_slice(data, len) }?;
        Ok(c.conn.send_message(kind, data, compress)?)
    })
}

/// Queues one fragment of a message: the first call starts a message of
/// `kind` (a `wirestate_ws_message_kind`), later ones must pass the same kind,
/// and `fin` ends the message. Text fragments may split a code point, but a
/// fragment that makes the message invalid UTF-8 is refused with
/// `WIRESTATE_RESULT_INVALID_UTF8`. Control frames may go between fragments.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_send_fragment(
    conn: *mut wirestate_ws_conn,
    kind: u32,
    data: *const u8,
    len: usize,
    fin: bool,
) -> wirestate_result {
    with_conn(conn, |c| {
        let kind = wirestate_ws_message_kind::from_number(kind)
            .ok_or(wirestate_result::InvalidArgument)?;
        // SAFETY: C passes `data` valid for `len` bytes (or NULL with 0).
        let data = unsafe { try_slice(data, len) }?;
        Ok(c.conn.send_fragment(kind, data, fin)?)
    })
}

/// Queues a Ping with up to 125 bytes of payload (copied).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_ping(
    conn: *mut wirestate_ws_conn,
    data: *const u8,
    len: usize,
) -> wirestate_result {
    with_conn(conn, |c| {
        // SAFETY: C passes `data` valid for `len` bytes (or NULL with 0).
        let data = unsafe { try_slice(data, len) }?;
        Ok(c.conn.ping(data)?)
    })
}

/// Queues an unsolicited Pong with up to 125 bytes of payload (copied).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_pong(
    conn: *mut wirestate_ws_conn,
    data: *const u8,
    len: usize,
) -> wirestate_result {
    with_conn(conn, |c| {
        // SAFETY: C passes `data` valid for `len` bytes (or NULL with 0).
        let data = unsafe { try_slice(data, len) }?;
        Ok(c.conn.pong(data)?)
    })
}

/// Starts the closing handshake with `code` (1000-1003, 1007-1014,
/// 3000-4999) and a UTF-8 `reason` of at most 123 bytes (copied; NULL when
/// `reason_len` is 0); or, after `CLOSE_RECEIVED` with close echo off,
/// completes it. Nothing more may be sent afterwards.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_close(
    conn: *mut wirestate_ws_conn,
    code: u16,
    reason: *const c_char,
    reason_len: usize,
) -> wirestate_result {
    with_conn(conn, |c| {
        // SAFETY: C passes `reason` valid for `reason_len` bytes (or NULL with 0).
        let reason = unsafe { try_str(reason, reason_len, wirestate_result::InvalidUtf8) }?;
        Ok(c.conn.close(code, reason)?)
    })
}

// ----- output --------------------------------------------------------------

/// Writes the bytes queued for the transport, without taking them, to
/// `*data` and `*len` (`*len` is 0 when nothing is queued). Write them out,
/// then report how many were written with `wirestate_ws_conn_consume_output`.
///
/// Ownership: the bytes belong to the connection and stay valid until the
/// next call taking a non-const `wirestate_ws_conn *`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_pending_output(
    conn: *const wirestate_ws_conn,
    data: *mut *const u8,
    len: *mut usize,
) -> wirestate_result {
    with_conn_ref(conn, |c| {
        let data = Out::new(data)?;
        let len = Out::new(len)?;
        let out = c.conn.pending_output();
        data.write(crate::ffi::data_ptr(out));
        len.write(out.len());
        Ok(())
    })
}

/// Marks the first `n` bytes of `pending_output` as written (clamped to what
/// is queued).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_consume_output(
    conn: *mut wirestate_ws_conn,
    n: usize,
) -> wirestate_result {
    with_conn(conn, |c| {
        c.conn.consume_output(n);
        Ok(())
    })
}

/// Copies up to `cap` queued bytes into the caller's `buf`, takes them, and
/// writes the count to `*written` (0 when nothing is queued). Call until it
/// writes 0. `buf` may be NULL only when `cap` is 0.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_poll_transmit(
    conn: *mut wirestate_ws_conn,
    buf: *mut u8,
    cap: usize,
    written: *mut usize,
) -> wirestate_result {
    with_conn(conn, |c| {
        // SAFETY: C passes `buf` valid for writes of `cap` bytes (or NULL with 0).
        let buf = unsafe { try_slice_mut(buf, cap) }?;
        let written = Out::new(written)?;
        written.write(c.conn.poll_transmit(buf));
        Ok(())
    })
}

// ----- getters -------------------------------------------------------------

/// Writes the connection's state to `*out`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_state(
    conn: *const wirestate_ws_conn,
    out: *mut wirestate_ws_state,
) -> wirestate_result {
    with_conn_ref(conn, |c| {
        Out::new(out)?.write(c.conn.state().into());
        Ok(())
    })
}

/// Writes client or server to `*out`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_role(
    conn: *const wirestate_ws_conn,
    out: *mut wirestate_ws_role,
) -> wirestate_result {
    with_conn_ref(conn, |c| {
        Out::new(out)?.write(c.conn.role().into());
        Ok(())
    })
}

/// Writes the negotiated subprotocol to `*out`; `out->len` is 0 when none
/// was negotiated (yet).
///
/// Ownership: the string belongs to the connection and stays valid until the
/// next call taking a non-const `wirestate_ws_conn *`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_subprotocol(
    conn: *const wirestate_ws_conn,
    out: *mut wirestate_str,
) -> wirestate_result {
    with_conn_ref(conn, |c| {
        Out::new(out)?.write(wirestate_str::from_str(c.conn.subprotocol().unwrap_or("")));
        Ok(())
    })
}

/// Writes whether permessage-deflate is in force to `*out`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_is_compressed(
    conn: *const wirestate_ws_conn,
    out: *mut bool,
) -> wirestate_result {
    with_conn_ref(conn, |c| {
        Out::new(out)?.write(c.conn.is_compressed());
        Ok(())
    })
}

/// Writes the number of bytes queued for the transport to `*out`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_buffered_amount(
    conn: *const wirestate_ws_conn,
    out: *mut usize,
) -> wirestate_result {
    with_conn_ref(conn, |c| {
        Out::new(out)?.write(c.conn.buffered_amount());
        Ok(())
    })
}

/// Writes to `*out` false while the output queue is above the high mark
/// (a `WRITABLE` event reports when it has drained), true otherwise.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_is_writable(
    conn: *const wirestate_ws_conn,
    out: *mut bool,
) -> wirestate_result {
    with_conn_ref(conn, |c| {
        Out::new(out)?.write(c.conn.is_writable());
        Ok(())
    })
}

/// Writes to `*out` whether the transport should be closed once the queued
/// output is written (after the closing handshake, a rejected or failed
/// handshake, or a failed connection).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_should_close_transport(
    conn: *const wirestate_ws_conn,
    out: *mut bool,
) -> wirestate_result {
    with_conn_ref(conn, |c| {
        Out::new(out)?.write(c.conn.should_close_transport());
        Ok(())
    })
}

/// Writes the connection's counters to `*out`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_conn_stats(
    conn: *const wirestate_ws_conn,
    out: *mut wirestate_ws_stats,
) -> wirestate_result {
    with_conn_ref(conn, |c| {
        Out::new(out)?.write(c.conn.stats().into());
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::config::{wirestate_ws_config_free, wirestate_ws_config_new};
    use core::ptr;

    #[test]
    fn a_poisoned_connection_refuses_calls_but_frees() {
        let mut cfg = ptr::null_mut();
        assert_eq!(wirestate_ws_config_new(&mut cfg), wirestate_result::Ok);
        let mut conn = ptr::null_mut();
        assert_eq!(
            wirestate_ws_conn_new_server(cfg, &mut conn),
            wirestate_result::Ok
        );
        wirestate_ws_config_free(cfg);
        // What a panic inside a call leaves behind.
        // SAFETY: `conn` is live and used by nothing else here.
        unsafe { (*conn).poisoned = true };
        let mut state = wirestate_ws_state::Open;
        assert_eq!(
            wirestate_ws_conn_state(conn, &mut state),
            wirestate_result::Panic
        );
        assert_eq!(
            wirestate_ws_conn_receive_data(conn, ptr::null(), 0),
            wirestate_result::Panic
        );
        assert_eq!(state, wirestate_ws_state::Open);
        wirestate_ws_conn_free(conn);
    }

    #[test]
    fn a_panic_inside_a_call_poisons_the_connection() {
        let mut conn = ptr::null_mut();
        let mut cfg = ptr::null_mut();
        assert_eq!(wirestate_ws_config_new(&mut cfg), wirestate_result::Ok);
        assert_eq!(
            wirestate_ws_conn_new_server(cfg, &mut conn),
            wirestate_result::Ok
        );
        wirestate_ws_config_free(cfg);
        assert_eq!(with_conn(conn, |_| Ok(())), wirestate_result::Ok);
        assert_eq!(
            with_conn(conn, |_| Err(wirestate_result::BufferFull)),
            wirestate_result::BufferFull
        );
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let r = with_conn(conn, |_| panic!("boom"));
        std::panic::set_hook(prev);
        assert_eq!(r, wirestate_result::Panic);
        assert_eq!(with_conn(conn, |_| Ok(())), wirestate_result::Panic);
        let mut state = wirestate_ws_state::Open;
        assert_eq!(
            wirestate_ws_conn_state(conn, &mut state),
            wirestate_result::Panic
        );
        wirestate_ws_conn_free(conn);
    }

    #[test]
    fn input_aliasing_the_last_event_is_copied() {
        let mut c = wirestate_ws_conn::new(Connection::server(Default::default()));
        let data = [7u8; 32];
        c.last_payload = (data.as_ptr() as usize, data.as_ptr() as usize + data.len());
        let seen = c.with_input(&data[8..16], |_, d| d.as_ptr() as usize);
        assert_ne!(seen, data[8..].as_ptr() as usize);
        let other = [1u8; 4];
        let seen = c.with_input(&other, |_, d| d.as_ptr() as usize);
        assert_eq!(seen, other.as_ptr() as usize);
    }

    #[test]
    fn os_seeds_differ() {
        assert_ne!(os_seed(), os_seed());
    }
}
