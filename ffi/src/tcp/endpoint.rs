//! `wirestate_tcp_endpoint`: many TCP connections behind one set of
//! addresses.

use wirestate_core::tcp::{ConnId, Endpoint, Transmit};
use wirestate_core::time::Instant;

use super::addr::{read_in, wirestate_ip_addr, wirestate_socket_addr};
use super::config::wirestate_tcp_config;
use super::{wirestate_tcp_state, wirestate_tcp_stats};
use crate::error::{FfiResult, wirestate_result};
use crate::ffi::{
    Castable, Out, free_boxed, to_boxed_ptr, try_mut, try_ref, try_slice, try_slice_mut,
};
use crate::panic::{ffi_boundary, result_boundary};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// A transmit buffer this large suits every configuration: an IPv6 header
/// (40 bytes), the largest TCP header (60) and the largest MSS (65,535).
/// `wirestate_tcp_endpoint_transmit_buffer_size` gives the size one
/// endpoint needs, usually far less (1540 bytes with the defaults).
pub const WIRESTATE_TCP_MAX_TRANSMIT_BUFFER: usize = 40 + 60 + 65_535;

/// IPv4 and IPv6 header bytes, and the largest TCP header.
const IPV4_HEADER: usize = 20;
const IPV6_HEADER: usize = 40;
const MAX_TCP_HEADER: usize = 60;

/// Every TCP connection of one host (or TUN device, or simulated node) as a
/// sans-IO state machine: connections demultiplexed by address 4-tuple,
/// listeners with a SYN queue, an accept backlog and SYN cookies, and a RST
/// for segments that belong to no connection. It never touches the network
/// or a clock: IP packets (or bare segments) go in through
/// `receive_packet` / `receive_segment`, time goes in through
/// `handle_timeout`, and packets for the network come out of
/// `poll_transmit`, what happened out of `poll_event`.
///
/// The four kinds of calls:
///
/// 1. getters: `state`, `stats`, `addresses`, `readable`, `writable`,
///    `is_read_finished`, `connection_count`, `transmit_buffer_size`;
/// 2. input: `receive_packet`, `receive_segment`, `handle_timeout`;
/// 3. application calls: `listen`, `unlisten`, `connect`, `send`, `recv`,
///    `close`, `abort`;
/// 4. output: `poll_transmit` (or `poll_transmit_segment`), `poll_event`,
///    `poll_timeout`.
///
/// After any input or application call, drain `poll_transmit` until it
/// writes nothing and `poll_event` until it reports `NONE`, then re-arm the
/// timer from `poll_timeout`. Time is nanoseconds since an epoch of the
/// caller's (`CLOCK_MONOTONIC`), passed as `now_ns` right after the
/// endpoint wherever a call needs it.
///
/// Connections are named by `uint64_t` ids, never reused. A listener's
/// connections appear with an `INCOMING` event once their handshake
/// completes. A connection's id stops working (`UNKNOWN_CONNECTION`) once it
/// has reached CLOSED, its `CLOSED` event is queued and everything received
/// has been read. Nothing the endpoint returns points into its memory.
///
/// Not thread-safe: one call at a time per endpoint; different endpoints may
/// be used from different threads.
///
/// Functions: `wirestate_tcp_endpoint_new`,
/// `wirestate_tcp_endpoint_new_os_seeded`, `wirestate_tcp_endpoint_free`,
/// `wirestate_tcp_endpoint_listen`, `wirestate_tcp_endpoint_unlisten`,
/// `wirestate_tcp_endpoint_connect`, `wirestate_tcp_endpoint_receive_packet`,
/// `wirestate_tcp_endpoint_receive_segment`,
/// `wirestate_tcp_endpoint_handle_timeout`,
/// `wirestate_tcp_endpoint_poll_timeout`, `wirestate_tcp_endpoint_poll_transmit`,
/// `wirestate_tcp_endpoint_poll_transmit_segment`,
/// `wirestate_tcp_endpoint_transmit_buffer_size`,
/// `wirestate_tcp_endpoint_poll_event`, `wirestate_tcp_endpoint_send`,
/// `wirestate_tcp_endpoint_recv`, `wirestate_tcp_endpoint_close`,
/// `wirestate_tcp_endpoint_abort`, `wirestate_tcp_endpoint_state`,
/// `wirestate_tcp_endpoint_stats`, `wirestate_tcp_endpoint_addresses`,
/// `wirestate_tcp_endpoint_readable`, `wirestate_tcp_endpoint_writable`,
/// `wirestate_tcp_endpoint_is_read_finished`,
/// `wirestate_tcp_endpoint_connection_count`; and `wirestate_tcp_state_name`.
pub struct wirestate_tcp_endpoint {
    pub(crate) endpoint: Endpoint,
    /// The smallest buffer a transmit call accepts (see
    /// `wirestate_tcp_endpoint_transmit_buffer_size`).
    transmit_buffer: usize,
    /// A call panicked: every later call but `_free` refuses.
    poisoned: bool,
}

impl Castable for wirestate_tcp_endpoint {}

/// What a transmit call wrote: `len` bytes at the start of the caller's
/// buffer, travelling from `src` to `dst`. `len` is 0 when there was nothing
/// to send (then `src` and `dst` are zero).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wirestate_tcp_transmit {
    /// Bytes written: a whole IP packet, or a bare TCP segment.
    pub len: usize,
    /// Source address and port (one of the endpoint's).
    pub src: wirestate_socket_addr,
    /// Destination address and port (the peer's).
    pub dst: wirestate_socket_addr,
}

impl wirestate_tcp_transmit {
    fn from(t: Option<Transmit>) -> wirestate_tcp_transmit {
        match t {
            Some(t) => wirestate_tcp_transmit {
                len: t.len,
                src: t.src.into(),
                dst: t.dst.into(),
            },
            None => wirestate_tcp_transmit {
                len: 0,
                src: wirestate_socket_addr {
                    ip: wirestate_ip_addr {
                        family: 0,
                        bytes: [0; 16],
                    },
                    port: 0,
                },
                dst: wirestate_socket_addr {
                    ip: wirestate_ip_addr {
                        family: 0,
                        bytes: [0; 16],
                    },
                    port: 0,
                },
            },
        }
    }
}

/// Runs `f` on the wrapper behind `ep` at the panic boundary; an endpoint
/// whose call panicked refuses every later call.
#[inline(always)]
fn with_wrapper(
    ep: *mut wirestate_tcp_endpoint,
    f: impl FnOnce(&mut wirestate_tcp_endpoint) -> FfiResult,
) -> wirestate_result {
    // SAFETY: C passes NULL or a live endpoint from a `_new` function, used
    // by one call at a time.
    let e = match unsafe { try_mut(ep) } {
        Ok(e) => e,
        Err(code) => return code,
    };
    if e.poisoned {
        return wirestate_result::Panic;
    }
    // The flag is set only when `f` panics (no store on the way in and out).
    match catch_unwind(AssertUnwindSafe(|| f(e))) {
        Ok(Ok(())) => wirestate_result::Ok,
        Ok(Err(code)) => code,
        Err(_) => {
            // SAFETY: `ep` is the live endpoint the call was given; the
            // borrow `f` held ended with the unwind.
            unsafe { (*ep).poisoned = true };
            wirestate_result::Panic
        }
    }
}

/// [`with_wrapper`] for calls that need only the core's endpoint.
#[inline(always)]
pub(crate) fn with_endpoint(
    ep: *mut wirestate_tcp_endpoint,
    f: impl FnOnce(&mut Endpoint) -> FfiResult,
) -> wirestate_result {
    with_wrapper(ep, |w| f(&mut w.endpoint))
}

/// [`with_endpoint`] for calls that change nothing.
#[inline(always)]
fn with_endpoint_ref(
    ep: *const wirestate_tcp_endpoint,
    f: impl FnOnce(&Endpoint) -> FfiResult,
) -> wirestate_result {
    result_boundary(|| {
        // SAFETY: C passes NULL or a live endpoint, not used by another call
        // at the same time.
        let e = unsafe { try_ref(ep) }?;
        if e.poisoned {
            return Err(wirestate_result::Panic);
        }
        f(&e.endpoint)
    })
}

/// The buffer a transmit call needs so that a full-sized segment always
/// fits: the IP header, the largest TCP header and the MSS we announce (the
/// most payload a segment of ours carries), for the larger of the two
/// families. The core reserves room for the largest TCP header whatever the
/// options in use, and a segment it cannot fill to the MSS may be held back
/// by Nagle's algorithm, so a buffer of exactly the MTU could stall a
/// transfer; this size cannot.
fn transmit_buffer_size(config: &wirestate_core::tcp::Config) -> usize {
    let v4 = IPV4_HEADER + MAX_TCP_HEADER + usize::from(config.mss(false));
    let v6 = IPV6_HEADER + MAX_TCP_HEADER + usize::from(config.mss(true));
    v4.max(v6)
}

fn make(
    config: *const wirestate_tcp_config,
    secret: impl FnOnce() -> Result<[u8; 16], wirestate_result>,
    out: *mut *mut wirestate_tcp_endpoint,
) -> wirestate_result {
    result_boundary(|| {
        // SAFETY: C passes NULL or a live config.
        let config = unsafe { try_ref(config) }?;
        let out = Out::new(out)?;
        let endpoint = Endpoint::new(config.0.clone(), secret()?)
            .map_err(|_| wirestate_result::InvalidConfig)?;
        out.write(to_boxed_ptr(wirestate_tcp_endpoint {
            endpoint,
            transmit_buffer: transmit_buffer_size(&config.0.connection),
            poisoned: false,
        }));
        Ok(())
    })
}

// ----- construction --------------------------------------------------------

/// Makes an endpoint with the settings of `config` (copied; the caller keeps
/// ownership of `config`), keyed by the 16 bytes at `secret16` (copied), which
/// should be random: they key the RFC 6528 initial sequence numbers and the
/// SYN cookies. Pass the same bytes for reproducible tests;
/// `wirestate_tcp_endpoint_new_os_seeded` draws them for you.
///
/// `WIRESTATE_RESULT_INVALID_CONFIG` when the settings cannot work together
/// (MTU outside 68-65535, MSS 0, an empty buffer or a receive buffer above
/// 1 GiB, no reassembly ranges, a zero or reversed RTO bound, MSL 0,
/// keepalive with a zero interval or probe count);
/// `WIRESTATE_RESULT_NULL_PARAMETER` when `config`, `secret16` or `out` is NULL.
///
/// Ownership: the caller owns `*out` and frees it with
/// `wirestate_tcp_endpoint_free`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_endpoint_new(
    config: *const wirestate_tcp_config,
    secret16: *const u8,
    out: *mut *mut wirestate_tcp_endpoint,
) -> wirestate_result {
    let secret = || {
        if secret16.is_null() {
            return Err(wirestate_result::NullParameter);
        }
        // SAFETY: C passes `secret16` valid for 16 bytes.
        let s = unsafe { try_slice(secret16, 16) }?;
        let mut secret = [0u8; 16];
        secret.copy_from_slice(s);
        Ok(secret)
    };
    make(config, secret, out)
}

/// `wirestate_tcp_endpoint_new` with a secret drawn from the operating
/// system (`/dev/urandom`): the usual way to make an endpoint.
///
/// Ownership: the caller owns `*out` and frees it with
/// `wirestate_tcp_endpoint_free`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_endpoint_new_os_seeded(
    config: *const wirestate_tcp_config,
    out: *mut *mut wirestate_tcp_endpoint,
) -> wirestate_result {
    make(config, || Ok(crate::random::os_secret()), out)
}

/// Frees an endpoint and all its connections. NULL does nothing. Nothing is
/// sent: connections still open simply vanish (their peers will time out or
/// be reset later); call `close` or `abort` and drain `poll_transmit` first
/// to end them properly.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_endpoint_free(ep: *mut wirestate_tcp_endpoint) {
    ffi_boundary(|| {
        // SAFETY: C passes NULL or an endpoint it owns and no longer uses.
        unsafe { free_boxed(ep) }
    })
}

// ----- application calls ---------------------------------------------------

/// Accepts connections to `*addr` (copied). An unspecified address
/// (`0.0.0.0`, `::`) listens on every address of its family. Completed
/// connections are announced with `INCOMING` events.
///
/// `WIRESTATE_RESULT_INVALID_ADDRESS` for port 0 or an unknown family,
/// `WIRESTATE_RESULT_ADDRESS_IN_USE` when something already listens there.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_endpoint_listen(
    ep: *mut wirestate_tcp_endpoint,
    addr: *const wirestate_socket_addr,
) -> wirestate_result {
    with_endpoint(ep, |e| {
        // SAFETY: C passes NULL or a readable address.
        let addr = unsafe { read_in(addr) }?.to_socket()?;
        Ok(e.listen(addr)?)
    })
}

/// Stops accepting connections to `*addr`; connections it already made are
/// untouched. `WIRESTATE_RESULT_NOT_LISTENING` when nothing listens there,
/// `WIRESTATE_RESULT_INVALID_ADDRESS` for an unknown family.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_endpoint_unlisten(
    ep: *mut wirestate_tcp_endpoint,
    addr: *const wirestate_socket_addr,
) -> wirestate_result {
    with_endpoint(ep, |e| {
        // SAFETY: C passes NULL or a readable address.
        let addr = unsafe { read_in(addr) }?.to_socket()?;
        if e.unlisten(addr) {
            Ok(())
        } else {
            Err(wirestate_result::NotListening)
        }
    })
}

/// Opens a connection from `*local` to `*remote` (both copied) and writes its
/// id to `*out_id`. The SYN goes out at the next `poll_transmit`; a
/// `CONNECTED` event reports the completed handshake, `TIMED_OUT` +
/// `CLOSED` or `RESET` + `CLOSED` a failed one.
///
/// `WIRESTATE_RESULT_INVALID_ADDRESS` for port 0, an unknown family, or
/// addresses of different families; `WIRESTATE_RESULT_ADDRESS_IN_USE` when a
/// connection with the same two addresses exists.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_endpoint_connect(
    ep: *mut wirestate_tcp_endpoint,
    now_ns: u64,
    local: *const wirestate_socket_addr,
    remote: *const wirestate_socket_addr,
    out_id: *mut u64,
) -> wirestate_result {
    with_endpoint(ep, |e| {
        // SAFETY: C passes NULL or readable addresses.
        let local = unsafe { read_in(local) }?.to_socket()?;
        // SAFETY: as above.
        let remote = unsafe { read_in(remote) }?.to_socket()?;
        let out_id = Out::new(out_id)?;
        let id = e.connect(Instant::from_nanos(now_ns), local, remote)?;
        out_id.write(id.0);
        Ok(())
    })
}

/// Queues up to `len` bytes of `data` (copied) on connection `id` and writes
/// how many were taken to `*out_n`: fewer than `len` (possibly 0) when the
/// send buffer is full; a `WRITABLE` event says when room opens. Data
/// queued before the handshake completes goes out after it.
///
/// `WIRESTATE_RESULT_UNKNOWN_CONNECTION` for an unknown id,
/// `WIRESTATE_RESULT_CONNECTION_CLOSED` after `close` (or once the connection
/// can no longer send).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_endpoint_send(
    ep: *mut wirestate_tcp_endpoint,
    id: u64,
    data: *const u8,
    len: usize,
    out_n: *mut usize,
) -> wirestate_result {
    with_endpoint(ep, |e| {
        // SAFETY: C passes `data` valid for `len` bytes (or NULL with 0).
        let data = unsafe { try_slice(data, len) }?;
        let out_n = Out::new(out_n)?;
        let n = e.send(ConnId(id), data)?;
        out_n.write(n);
        Ok(())
    })
}

/// Copies up to `cap` received bytes of connection `id` into `buf` (the
/// caller's) and writes the count to `*out_n`. 0 means nothing to read now;
/// `wirestate_tcp_endpoint_is_read_finished` tells whether the peer's FIN
/// ended the stream. Reading opens the receive window.
///
/// `WIRESTATE_RESULT_UNKNOWN_CONNECTION` for an unknown id.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_endpoint_recv(
    ep: *mut wirestate_tcp_endpoint,
    id: u64,
    buf: *mut u8,
    cap: usize,
    out_n: *mut usize,
) -> wirestate_result {
    with_endpoint(ep, |e| {
        // SAFETY: C passes `buf` valid for writes of `cap` bytes (or NULL with 0).
        let buf = unsafe { try_slice_mut(buf, cap) }?;
        let out_n = Out::new(out_n)?;
        let n = e.recv(ConnId(id), buf)?;
        out_n.write(n);
        Ok(())
    })
}

/// Closes our direction of connection `id`: a FIN follows the data already
/// queued (a half-close: the peer may go on sending, and `recv` goes on
/// reading). In SYN-SENT the FIN waits for the handshake.
///
/// `WIRESTATE_RESULT_UNKNOWN_CONNECTION` for an unknown id,
/// `WIRESTATE_RESULT_CONNECTION_CLOSED` when already closed or closing.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_endpoint_close(
    ep: *mut wirestate_tcp_endpoint,
    now_ns: u64,
    id: u64,
) -> wirestate_result {
    with_endpoint(
        ep,
        |e| Ok(e.close(ConnId(id), Instant::from_nanos(now_ns))?),
    )
}

/// Resets connection `id`: a RST goes out at the next `poll_transmit`
/// (when the connection is synchronized), queued data is dropped, and a
/// `CLOSED` event follows. `WIRESTATE_RESULT_UNKNOWN_CONNECTION` for an
/// unknown id.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_endpoint_abort(
    ep: *mut wirestate_tcp_endpoint,
    now_ns: u64,
    id: u64,
) -> wirestate_result {
    with_endpoint(
        ep,
        |e| Ok(e.abort(ConnId(id), Instant::from_nanos(now_ns))?),
    )
}

// ----- input ---------------------------------------------------------------

/// Feeds one IPv4 or IPv6 packet of `len` bytes received from the network
/// (read, not kept). Never fails because of what the bytes say: anything
/// that is not a valid TCP segment for this endpoint (bad checksum,
/// truncated, another protocol, garbage) is dropped, and a segment for no
/// connection is answered with a RST.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_endpoint_receive_packet(
    ep: *mut wirestate_tcp_endpoint,
    now_ns: u64,
    packet: *const u8,
    len: usize,
) -> wirestate_result {
    with_endpoint(ep, |e| {
        // SAFETY: C passes `packet` valid for `len` bytes (or NULL with 0).
        let packet = unsafe { try_slice(packet, len) }?;
        e.handle_packet(Instant::from_nanos(now_ns), packet);
        Ok(())
    })
}

/// Feeds one bare TCP segment of `len` bytes that travelled from `*src` to
/// `*dst` (for callers that parse IP headers themselves; the addresses enter
/// the checksum). Like `receive_packet`, never fails because of what the
/// bytes say. `WIRESTATE_RESULT_INVALID_ADDRESS` for an unknown family.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_endpoint_receive_segment(
    ep: *mut wirestate_tcp_endpoint,
    now_ns: u64,
    src: *const wirestate_ip_addr,
    dst: *const wirestate_ip_addr,
    segment: *const u8,
    len: usize,
) -> wirestate_result {
    with_endpoint(ep, |e| {
        // SAFETY: C passes NULL or readable addresses.
        let src = unsafe { read_in(src) }?.to_ip()?;
        // SAFETY: as above.
        let dst = unsafe { read_in(dst) }?.to_ip()?;
        // SAFETY: C passes `segment` valid for `len` bytes (or NULL with 0).
        let segment = unsafe { try_slice(segment, len) }?;
        e.handle_segment(Instant::from_nanos(now_ns), src, dst, segment);
        Ok(())
    })
}

/// Advances the endpoint's clock to `now_ns` and runs every timer due by
/// then (retransmissions, delayed ACKs, keepalive, TIME-WAIT, ...). Calling
/// it early, late or repeatedly is harmless.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_endpoint_handle_timeout(
    ep: *mut wirestate_tcp_endpoint,
    now_ns: u64,
) -> wirestate_result {
    with_endpoint(ep, |e| {
        e.handle_timeout(Instant::from_nanos(now_ns));
        Ok(())
    })
}

// ----- output --------------------------------------------------------------

/// Writes whether a timer is armed to `*has_timeout` and, if so, the instant
/// to `*at_ns` (0 when none). Call `handle_timeout` at or after it. Takes the
/// endpoint non-const: it tidies its timer heap.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_endpoint_poll_timeout(
    ep: *mut wirestate_tcp_endpoint,
    has_timeout: *mut bool,
    at_ns: *mut u64,
) -> wirestate_result {
    with_endpoint(ep, |e| {
        let has_timeout = Out::new(has_timeout)?;
        let at_ns = Out::new(at_ns)?;
        let t = e.poll_timeout();
        has_timeout.write(t.is_some());
        at_ns.write(t.map_or(0, Instant::as_nanos));
        Ok(())
    })
}

fn transmit(
    ep: *mut wirestate_tcp_endpoint,
    buf: *mut u8,
    cap: usize,
    out: *mut wirestate_tcp_transmit,
    f: impl FnOnce(&mut Endpoint, &mut [u8]) -> Option<Transmit>,
) -> wirestate_result {
    with_wrapper(ep, |w| {
        // SAFETY: C passes `buf` valid for writes of `cap` bytes (or NULL with 0).
        let buf = unsafe { try_slice_mut(buf, cap) }?;
        let out = Out::new(out)?;
        if buf.len() < w.transmit_buffer {
            return Err(wirestate_result::BufferTooSmall);
        }
        out.write(wirestate_tcp_transmit::from(f(&mut w.endpoint, buf)));
        Ok(())
    })
}

/// Writes to `*out` the smallest buffer `wirestate_tcp_endpoint_poll_transmit`
/// and `_poll_transmit_segment` accept: the MSS the endpoint announces plus
/// room for an IPv6 header and the largest TCP header (1540 bytes with the
/// default MTU of 1500; `WIRESTATE_TCP_MAX_TRANSMIT_BUFFER` always suffices).
/// The packets written are never longer than the configured MTU (or the
/// MSS plus headers when `set_mss` announces more).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_endpoint_transmit_buffer_size(
    ep: *const wirestate_tcp_endpoint,
    out: *mut usize,
) -> wirestate_result {
    result_boundary(|| {
        // SAFETY: C passes NULL or a live endpoint, not used by another call
        // at the same time.
        let e = unsafe { try_ref(ep) }?;
        if e.poisoned {
            return Err(wirestate_result::Panic);
        }
        Out::new(out)?.write(e.transmit_buffer);
        Ok(())
    })
}

/// Writes the next IP packet to send (IPv4 or IPv6 header, TCP segment)
/// into `buf`, the caller's buffer of `cap` bytes, and describes it in
/// `*out` (`out->len` is 0 when nothing is left to send). Call until it
/// writes nothing, after every input and application call.
///
/// `cap` must be at least `wirestate_tcp_endpoint_transmit_buffer_size`
/// (1540 bytes with the defaults: 40 more than the MTU, the room the core
/// keeps for the largest TCP header); `WIRESTATE_RESULT_BUFFER_TOO_SMALL`
/// otherwise, and nothing is taken.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_endpoint_poll_transmit(
    ep: *mut wirestate_tcp_endpoint,
    now_ns: u64,
    buf: *mut u8,
    cap: usize,
    out: *mut wirestate_tcp_transmit,
) -> wirestate_result {
    transmit(ep, buf, cap, out, |e, buf| {
        e.poll_transmit(Instant::from_nanos(now_ns), buf)
    })
}

/// Like `wirestate_tcp_endpoint_poll_transmit`, but writes a bare TCP
/// segment (checksum included, computed over `out->src` and `out->dst`) for
/// callers that build IP headers themselves.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_endpoint_poll_transmit_segment(
    ep: *mut wirestate_tcp_endpoint,
    now_ns: u64,
    buf: *mut u8,
    cap: usize,
    out: *mut wirestate_tcp_transmit,
) -> wirestate_result {
    transmit(ep, buf, cap, out, |e, buf| {
        e.poll_transmit_segment(Instant::from_nanos(now_ns), buf)
    })
}

// ----- getters -------------------------------------------------------------

/// Writes connection `id`'s RFC 9293 state to `*out`
/// (`wirestate_tcp_state_name` spells it).
/// `WIRESTATE_RESULT_UNKNOWN_CONNECTION` once the connection is gone.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_endpoint_state(
    ep: *const wirestate_tcp_endpoint,
    id: u64,
    out: *mut wirestate_tcp_state,
) -> wirestate_result {
    with_endpoint_ref(ep, |e| {
        let out = Out::new(out)?;
        let s = e
            .state(ConnId(id))
            .ok_or(wirestate_result::UnknownConnection)?;
        out.write(s.into());
        Ok(())
    })
}

/// Writes connection `id`'s counters and estimates to `*out`.
/// `WIRESTATE_RESULT_INVALID_STATE` once the connection is a TIME-WAIT
/// record (the endpoint shrinks a connection to a small record at the first
/// `poll_transmit` that finds it in TIME-WAIT with nothing left to read),
/// `WIRESTATE_RESULT_UNKNOWN_CONNECTION` once it is gone.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_endpoint_stats(
    ep: *const wirestate_tcp_endpoint,
    id: u64,
    out: *mut wirestate_tcp_stats,
) -> wirestate_result {
    with_endpoint_ref(ep, |e| {
        let out = Out::new(out)?;
        let c = connection(e, id)?;
        out.write(c.stats().into());
        Ok(())
    })
}

/// The live connection `id`: `UNKNOWN_CONNECTION` when there is none,
/// `INVALID_STATE` when it is a TIME-WAIT record.
fn connection(e: &Endpoint, id: u64) -> Result<&wirestate_core::tcp::Connection, wirestate_result> {
    match e.connection(ConnId(id)) {
        Some(c) => Ok(c),
        None if e.state(ConnId(id)).is_some() => Err(wirestate_result::InvalidState),
        None => Err(wirestate_result::UnknownConnection),
    }
}

/// Writes connection `id`'s local and remote address to `*local` and
/// `*remote`. `WIRESTATE_RESULT_INVALID_STATE` for a TIME-WAIT record,
/// `WIRESTATE_RESULT_UNKNOWN_CONNECTION` once it is gone. (An `INCOMING`
/// event carries the remote address too.)
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_endpoint_addresses(
    ep: *const wirestate_tcp_endpoint,
    id: u64,
    local: *mut wirestate_socket_addr,
    remote: *mut wirestate_socket_addr,
) -> wirestate_result {
    with_endpoint_ref(ep, |e| {
        let local = Out::new(local)?;
        let remote = Out::new(remote)?;
        let c = connection(e, id)?;
        local.write(c.local().into());
        remote.write(c.remote().into());
        Ok(())
    })
}

/// Writes how many received bytes `recv` would return now to `*out`.
/// `WIRESTATE_RESULT_INVALID_STATE` for a TIME-WAIT record (nothing is left
/// to read there), `WIRESTATE_RESULT_UNKNOWN_CONNECTION` once it is gone.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_endpoint_readable(
    ep: *const wirestate_tcp_endpoint,
    id: u64,
    out: *mut usize,
) -> wirestate_result {
    with_endpoint_ref(ep, |e| {
        let out = Out::new(out)?;
        out.write(connection(e, id)?.readable());
        Ok(())
    })
}

/// Writes how many bytes `send` would take now to `*out` (0 once the
/// connection can no longer send). `WIRESTATE_RESULT_INVALID_STATE` for a
/// TIME-WAIT record, `WIRESTATE_RESULT_UNKNOWN_CONNECTION` once it is gone.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_endpoint_writable(
    ep: *const wirestate_tcp_endpoint,
    id: u64,
    out: *mut usize,
) -> wirestate_result {
    with_endpoint_ref(ep, |e| {
        let out = Out::new(out)?;
        out.write(connection(e, id)?.writable());
        Ok(())
    })
}

/// Writes to `*out` whether the peer has finished sending (its FIN arrived)
/// and every byte has been read: the end of the stream. True for a TIME-WAIT
/// record;
/// `WIRESTATE_RESULT_UNKNOWN_CONNECTION` once the connection is gone.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_endpoint_is_read_finished(
    ep: *const wirestate_tcp_endpoint,
    id: u64,
    out: *mut bool,
) -> wirestate_result {
    with_endpoint_ref(ep, |e| {
        let out = Out::new(out)?;
        let finished = match connection(e, id) {
            Ok(c) => c.is_read_finished(),
            // TIME-WAIT: both FINs were exchanged and the record keeps no data.
            Err(wirestate_result::InvalidState) => true,
            Err(err) => return Err(err),
        };
        out.write(finished);
        Ok(())
    })
}

/// Writes the number of connections the endpoint holds to `*out`: TIME-WAIT
/// records and a listener's half-open connections not yet announced
/// included, listeners themselves not.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_endpoint_connection_count(
    ep: *const wirestate_tcp_endpoint,
    out: *mut usize,
) -> wirestate_result {
    with_endpoint_ref(ep, |e| {
        Out::new(out)?.write(e.len());
        Ok(())
    })
}

#[cfg(test)]
#[path = "endpoint_tests.rs"]
mod tests;
