//! `wirestate_ws_config`: settings for new connections.

use core::ffi::c_char;
use core::time::Duration;

use wirestate_core::ws::{ClientConfig, Config, DeflateConfig};

use crate::error::{FfiResult, wirestate_result};
use crate::ffi::{Castable, Out, free_boxed, to_boxed_ptr, try_mut, try_str};
use crate::panic::{ffi_boundary, result_boundary};

/// Settings for WebSocket connections: limits, timers, permessage-deflate,
/// subprotocols, and for a client the request it sends. Start from
/// `wirestate_ws_config_new` (the core's defaults), change what you need, and
/// pass it to `wirestate_ws_conn_new_server` or `wirestate_ws_conn_new_client`,
/// which copy it: one config can make any number of connections, and may be
/// freed right after.
///
/// Defaults: 64 MiB messages, 16 MiB frames, 16 KiB handshake, 64 headers,
/// 64 MiB write buffer (high 64 KiB, low 16 KiB), auto-pong and close echo on,
/// streaming off, compression off, no subprotocols, keepalive off (timeout
/// 20 s), close timeout 10 s, no open timeout, path `/`, no host.
///
/// Not thread-safe: use one config from one thread at a time.
///
/// Functions: `wirestate_ws_config_new`, `wirestate_ws_config_free`,
/// `wirestate_ws_config_set_max_message_size`,
/// `wirestate_ws_config_set_max_frame_size`,
/// `wirestate_ws_config_set_max_handshake_size`,
/// `wirestate_ws_config_set_max_headers`,
/// `wirestate_ws_config_set_max_write_buffer`,
/// `wirestate_ws_config_set_write_buffer_high`,
/// `wirestate_ws_config_set_write_buffer_low`,
/// `wirestate_ws_config_set_auto_pong`, `wirestate_ws_config_set_close_echo`,
/// `wirestate_ws_config_set_streaming`, `wirestate_ws_config_set_compression`,
/// `wirestate_ws_config_set_deflate_server_no_context_takeover`,
/// `wirestate_ws_config_set_deflate_client_no_context_takeover`,
/// `wirestate_ws_config_set_deflate_server_max_window_bits`,
/// `wirestate_ws_config_set_deflate_client_max_window_bits`,
/// `wirestate_ws_config_set_deflate_level`,
/// `wirestate_ws_config_set_deflate_threshold`,
/// `wirestate_ws_config_add_subprotocol`,
/// `wirestate_ws_config_clear_subprotocols`,
/// `wirestate_ws_config_set_keepalive_interval`,
/// `wirestate_ws_config_set_keepalive_timeout`,
/// `wirestate_ws_config_set_close_timeout`,
/// `wirestate_ws_config_set_open_timeout`, `wirestate_ws_config_set_host`,
/// `wirestate_ws_config_set_path`, `wirestate_ws_config_set_origin`,
/// `wirestate_ws_config_add_header`.
pub struct wirestate_ws_config {
    config: Config,
    /// Kept even while compression is off, so the order of setters is free.
    deflate: DeflateConfig,
    compression: bool,
    host: String,
    path: String,
    origin: Option<String>,
    extra_headers: Vec<(String, String)>,
}

impl Castable for wirestate_ws_config {}

impl wirestate_ws_config {
    /// The shared settings as the core takes them.
    pub(crate) fn config(&self) -> Config {
        let mut c = self.config.clone();
        c.compression = self.compression.then(|| self.deflate.clone());
        c
    }

    /// The client settings as the core takes them.
    pub(crate) fn client_config(&self) -> ClientConfig {
        ClientConfig {
            host: self.host.clone(),
            path: self.path.clone(),
            origin: self.origin.clone(),
            extra_headers: self.extra_headers.clone(),
            config: self.config(),
        }
    }
}

/// Runs `f` on the config behind `config` at the panic boundary.
fn with_config(
    config: *mut wirestate_ws_config,
    f: impl FnOnce(&mut wirestate_ws_config) -> FfiResult,
) -> wirestate_result {
    result_boundary(|| {
        // SAFETY: C passes NULL or a live config from `wirestate_ws_config_new`,
        // used by one call at a time.
        let c = unsafe { try_mut(config) }?;
        f(c)
    })
}

fn window_bits(bits: u8) -> Result<u8, wirestate_result> {
    if (9..=15).contains(&bits) {
        Ok(bits)
    } else {
        Err(wirestate_result::InvalidConfig)
    }
}

/// Makes a config with the defaults and writes it to `*out`.
///
/// Ownership: the caller owns the new config and frees it with
/// `wirestate_ws_config_free`. Returns `WIRESTATE_RESULT_NULL_PARAMETER` when
/// `out` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_new(out: *mut *mut wirestate_ws_config) -> wirestate_result {
    result_boundary(|| {
        let out = Out::new(out)?;
        out.write(to_boxed_ptr(wirestate_ws_config {
            config: Config::default(),
            deflate: DeflateConfig::default(),
            compression: false,
            host: String::new(),
            path: "/".into(),
            origin: None,
            extra_headers: Vec::new(),
        }));
        Ok(())
    })
}

/// Frees a config made by `wirestate_ws_config_new`. NULL does nothing.
/// Connections made from it are unaffected (they hold copies).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_free(config: *mut wirestate_ws_config) {
    ffi_boundary(|| {
        // SAFETY: C passes NULL or a config it owns and no longer uses.
        unsafe { free_boxed(config) }
    })
}

/// Largest message accepted, in bytes after decompression; bigger ones close
/// the connection with 1009.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_set_max_message_size(
    config: *mut wirestate_ws_config,
    size: usize,
) -> wirestate_result {
    with_config(config, |c| {
        c.config.max_message_size = size;
        Ok(())
    })
}

/// Largest single frame payload accepted; bigger ones close with 1009.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_set_max_frame_size(
    config: *mut wirestate_ws_config,
    size: usize,
) -> wirestate_result {
    with_config(config, |c| {
        c.config.max_frame_size = size;
        Ok(())
    })
}

/// Largest handshake head (and body of a rejecting response) accepted.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_set_max_handshake_size(
    config: *mut wirestate_ws_config,
    size: usize,
) -> wirestate_result {
    with_config(config, |c| {
        c.config.max_handshake_size = size;
        Ok(())
    })
}

/// Most header lines accepted in a handshake.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_set_max_headers(
    config: *mut wirestate_ws_config,
    count: usize,
) -> wirestate_result {
    with_config(config, |c| {
        c.config.max_headers = count;
        Ok(())
    })
}

/// Hard limit on bytes queued for the transport: a send that would pass it
/// fails with `WIRESTATE_RESULT_BUFFER_FULL`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_set_max_write_buffer(
    config: *mut wirestate_ws_config,
    size: usize,
) -> wirestate_result {
    with_config(config, |c| {
        c.config.max_write_buffer = size;
        Ok(())
    })
}

/// Soft limit: above it `wirestate_ws_conn_is_writable` turns false, and a
/// `WRITABLE` event follows once the queue drains to the low mark.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_set_write_buffer_high(
    config: *mut wirestate_ws_config,
    size: usize,
) -> wirestate_result {
    with_config(config, |c| {
        c.config.write_buffer_high = size;
        Ok(())
    })
}

/// The low mark for the `WRITABLE` event (clamped to the high mark).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_set_write_buffer_low(
    config: *mut wirestate_ws_config,
    size: usize,
) -> wirestate_result {
    with_config(config, |c| {
        c.config.write_buffer_low = size;
        Ok(())
    })
}

/// Answer every Ping with a Pong automatically (default on). Ping events are
/// reported either way.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_set_auto_pong(
    config: *mut wirestate_ws_config,
    on: bool,
) -> wirestate_result {
    with_config(config, |c| {
        c.config.auto_pong = on;
        Ok(())
    })
}

/// Answer the peer's Close frame automatically (default on). When off, call
/// `wirestate_ws_conn_close` after the `CLOSE_RECEIVED` event.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_set_close_echo(
    config: *mut wirestate_ws_config,
    on: bool,
) -> wirestate_result {
    with_config(config, |c| {
        c.config.close_echo = on;
        Ok(())
    })
}

/// Deliver messages piece by piece as `MESSAGE_CHUNK` events (default off).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_set_streaming(
    config: *mut wirestate_ws_config,
    on: bool,
) -> wirestate_result {
    with_config(config, |c| {
        c.config.streaming = on;
        Ok(())
    })
}

/// permessage-deflate: offered (client) or accepted (server) when on
/// (default off), with the `set_deflate_*` parameters.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_set_compression(
    config: *mut wirestate_ws_config,
    on: bool,
) -> wirestate_result {
    with_config(config, |c| {
        c.compression = on;
        Ok(())
    })
}

/// permessage-deflate: ask (client) or require (server) that the server
/// resets its compressor after every message.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_set_deflate_server_no_context_takeover(
    config: *mut wirestate_ws_config,
    on: bool,
) -> wirestate_result {
    with_config(config, |c| {
        c.deflate.server_no_context_takeover = on;
        Ok(())
    })
}

/// permessage-deflate: ask (client: promise; server: require) that the client
/// resets its compressor after every message.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_set_deflate_client_no_context_takeover(
    config: *mut wirestate_ws_config,
    on: bool,
) -> wirestate_result {
    with_config(config, |c| {
        c.deflate.client_no_context_takeover = on;
        Ok(())
    })
}

/// permessage-deflate: the largest LZ77 window (9-15, default 15) of the
/// server's compressor. Other values: `WIRESTATE_RESULT_INVALID_CONFIG`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_set_deflate_server_max_window_bits(
    config: *mut wirestate_ws_config,
    bits: u8,
) -> wirestate_result {
    with_config(config, |c| {
        c.deflate.server_max_window_bits = window_bits(bits)?;
        Ok(())
    })
}

/// permessage-deflate: the largest LZ77 window (9-15, default 15) of the
/// client's compressor. Other values: `WIRESTATE_RESULT_INVALID_CONFIG`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_set_deflate_client_max_window_bits(
    config: *mut wirestate_ws_config,
    bits: u8,
) -> wirestate_result {
    with_config(config, |c| {
        c.deflate.client_max_window_bits = window_bits(bits)?;
        Ok(())
    })
}

/// permessage-deflate: zlib level 0 (store) to 9 (smallest), default 6.
/// Other values: `WIRESTATE_RESULT_INVALID_CONFIG`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_set_deflate_level(
    config: *mut wirestate_ws_config,
    level: u32,
) -> wirestate_result {
    with_config(config, |c| {
        if level > 9 {
            return Err(wirestate_result::InvalidConfig);
        }
        c.deflate.level = level;
        Ok(())
    })
}

/// permessage-deflate: messages shorter than `bytes` go out uncompressed.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_set_deflate_threshold(
    config: *mut wirestate_ws_config,
    bytes: usize,
) -> wirestate_result {
    with_config(config, |c| {
        c.deflate.threshold = bytes;
        Ok(())
    })
}

/// Adds a subprotocol (`len` bytes of UTF-8 at `name`, copied): a client
/// offers them in the order added; a server accepts the first of the client's
/// offers found among them when `wirestate_ws_conn_accept` names none.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_add_subprotocol(
    config: *mut wirestate_ws_config,
    name: *const c_char,
    len: usize,
) -> wirestate_result {
    with_config(config, |c| {
        // SAFETY: C passes `name` valid for `len` bytes (or NULL with 0).
        let name = unsafe { try_str(name, len, wirestate_result::InvalidUtf8) }?;
        c.config.subprotocols.push(name.to_owned());
        Ok(())
    })
}

/// Removes every subprotocol added so far.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_clear_subprotocols(
    config: *mut wirestate_ws_config,
) -> wirestate_result {
    with_config(config, |c| {
        c.config.subprotocols.clear();
        Ok(())
    })
}

/// Send a Ping after `interval_ns` nanoseconds without receiving anything;
/// 0 turns keepalive off (the default).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_set_keepalive_interval(
    config: *mut wirestate_ws_config,
    interval_ns: u64,
) -> wirestate_result {
    with_config(config, |c| {
        c.config.keepalive_interval = (interval_ns > 0).then(|| Duration::from_nanos(interval_ns));
        Ok(())
    })
}

/// Fail the connection (1011) when a keepalive Ping gets no Pong within
/// `timeout_ns` nanoseconds (default 20 s).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_set_keepalive_timeout(
    config: *mut wirestate_ws_config,
    timeout_ns: u64,
) -> wirestate_result {
    with_config(config, |c| {
        c.config.keepalive_timeout = Duration::from_nanos(timeout_ns);
        Ok(())
    })
}

/// How long to wait for the peer's part of the closing handshake, in
/// nanoseconds (default 10 s).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_set_close_timeout(
    config: *mut wirestate_ws_config,
    timeout_ns: u64,
) -> wirestate_result {
    with_config(config, |c| {
        c.config.close_timeout = Duration::from_nanos(timeout_ns);
        Ok(())
    })
}

/// Fail the opening handshake if it has not finished within `timeout_ns`
/// nanoseconds; 0 means no limit (the default).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_set_open_timeout(
    config: *mut wirestate_ws_config,
    timeout_ns: u64,
) -> wirestate_result {
    with_config(config, |c| {
        c.config.open_timeout = (timeout_ns > 0).then(|| Duration::from_nanos(timeout_ns));
        Ok(())
    })
}

/// Client: the `Host` header (`example.com` or `example.com:8080`), copied.
/// Required for `wirestate_ws_conn_new_client`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_set_host(
    config: *mut wirestate_ws_config,
    host: *const c_char,
    len: usize,
) -> wirestate_result {
    with_config(config, |c| {
        // SAFETY: C passes `host` valid for `len` bytes (or NULL with 0).
        c.host = unsafe { try_str(host, len, wirestate_result::InvalidUtf8) }?.to_owned();
        Ok(())
    })
}

/// Client: the request target, path and query (`/chat?room=1`), copied; must
/// start with `/` (default `/`).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_set_path(
    config: *mut wirestate_ws_config,
    path: *const c_char,
    len: usize,
) -> wirestate_result {
    with_config(config, |c| {
        // SAFETY: C passes `path` valid for `len` bytes (or NULL with 0).
        c.path = unsafe { try_str(path, len, wirestate_result::InvalidUtf8) }?.to_owned();
        Ok(())
    })
}

/// Client: the `Origin` header, copied; `origin` NULL removes it (default:
/// none).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_set_origin(
    config: *mut wirestate_ws_config,
    origin: *const c_char,
    len: usize,
) -> wirestate_result {
    with_config(config, |c| {
        c.origin = if origin.is_null() {
            None
        } else {
            // SAFETY: C passes `origin` valid for `len` bytes.
            Some(unsafe { try_str(origin, len, wirestate_result::InvalidUtf8) }?.to_owned())
        };
        Ok(())
    })
}

/// Client: adds a header line sent after the WebSocket headers (copied).
/// `WIRESTATE_RESULT_INVALID_HEADER` when name or value is not UTF-8; other
/// header errors surface from `wirestate_ws_conn_new_client`.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ws_config_add_header(
    config: *mut wirestate_ws_config,
    name: *const c_char,
    name_len: usize,
    value: *const c_char,
    value_len: usize,
) -> wirestate_result {
    with_config(config, |c| {
        // SAFETY: C passes each pointer valid for its length (or NULL with 0).
        let name = unsafe { try_str(name, name_len, wirestate_result::InvalidHeader) }?;
        // SAFETY: as above.
        let value = unsafe { try_str(value, value_len, wirestate_result::InvalidHeader) }?;
        c.extra_headers.push((name.to_owned(), value.to_owned()));
        Ok(())
    })
}
