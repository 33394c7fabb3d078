//! Settings for a WebSocket connection.

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

/// permessage-deflate (RFC 7692) settings.
///
/// Window bits limit how far back the LZ77 compressor may refer; smaller
/// windows use less memory on both ends. Valid values are 9 to 15; 15 means
/// "no limit requested" and is never written on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeflateConfig {
    /// Ask (client) or require (server) that the server resets its compressor
    /// after every message.
    pub server_no_context_takeover: bool,
    /// Ask (client: promise; server: require) that the client resets its
    /// compressor after every message.
    pub client_no_context_takeover: bool,
    /// The largest LZ77 window the server's compressor may use (9–15).
    pub server_max_window_bits: u8,
    /// The largest LZ77 window the client's compressor may use (9–15).
    pub client_max_window_bits: u8,
    /// zlib compression level, 0 (store) to 9 (smallest).
    pub level: u32,
    /// Messages shorter than this many bytes are sent uncompressed.
    pub threshold: usize,
}

impl Default for DeflateConfig {
    fn default() -> Self {
        DeflateConfig {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
            level: 6,
            threshold: 0,
        }
    }
}

/// Settings shared by both roles.
///
/// Every limit protects this endpoint from its peer: exceeding a receive limit
/// closes the connection with 1009, exceeding a handshake limit rejects the
/// handshake, and nothing the peer sends makes memory grow past them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Largest message accepted, after decompression (default 64 MiB).
    pub max_message_size: usize,
    /// Largest single frame payload accepted (default 16 MiB).
    pub max_frame_size: usize,
    /// Largest handshake head (request or response line plus headers), and for
    /// a rejecting response also its body (default 16 KiB).
    pub max_handshake_size: usize,
    /// Most header lines accepted in a handshake (default 64).
    pub max_headers: usize,
    /// Hard limit on bytes queued for the transport: sends that would pass it
    /// fail with [`Error::BufferFull`](super::Error::BufferFull) (default 64 MiB).
    pub max_write_buffer: usize,
    /// Soft limit: above it [`Connection::is_writable`](super::Connection::is_writable)
    /// turns false; an [`Event::Writable`](super::Event::Writable) follows once the
    /// queue drains to `write_buffer_low` (default 64 KiB).
    pub write_buffer_high: usize,
    /// See `write_buffer_high` (default 16 KiB).
    pub write_buffer_low: usize,
    /// Answer every Ping with a Pong automatically (default on). Ping events
    /// are reported either way.
    pub auto_pong: bool,
    /// Answer a Close frame with a Close frame automatically (default on).
    /// When off, the application calls [`Connection::close`](super::Connection::close)
    /// after [`Event::CloseReceived`](super::Event::CloseReceived).
    pub close_echo: bool,
    /// Deliver messages as chunks as they arrive
    /// ([`Event::MessageChunk`](super::Event::MessageChunk)) instead of whole
    /// (default off). Chunks of text end on code point boundaries.
    pub streaming: bool,
    /// permessage-deflate: offered (client) or accepted (server) when set
    /// (default off). Without the `deflate` feature it is never negotiated.
    pub compression: Option<DeflateConfig>,
    /// Subprotocols: the client offers these in order; the server accepts the
    /// first of the client's offers that appears here when the application
    /// does not choose one itself.
    pub subprotocols: Vec<String>,
    /// Send a Ping after this much time without receiving anything (default off).
    pub keepalive_interval: Option<Duration>,
    /// Fail the connection when a keepalive Ping gets no Pong within this time
    /// (default 20 s; used only with `keepalive_interval`).
    pub keepalive_timeout: Duration,
    /// How long to wait for the peer's part of the closing handshake (its Close
    /// frame, and for a client the end of the stream) before giving up
    /// (default 10 s).
    pub close_timeout: Duration,
    /// Fail the opening handshake if it has not completed within this time
    /// (default off).
    pub open_timeout: Option<Duration>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_message_size: 64 << 20,
            max_frame_size: 16 << 20,
            max_handshake_size: 16 << 10,
            max_headers: 64,
            max_write_buffer: 64 << 20,
            write_buffer_high: 64 << 10,
            write_buffer_low: 16 << 10,
            auto_pong: true,
            close_echo: true,
            streaming: false,
            compression: None,
            subprotocols: Vec::new(),
            keepalive_interval: None,
            keepalive_timeout: Duration::from_secs(20),
            close_timeout: Duration::from_secs(10),
            open_timeout: None,
        }
    }
}

/// What a client puts in its opening request, plus the shared [`Config`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// The `Host` header (`example.com` or `example.com:8080`).
    pub host: String,
    /// The request target: path and query (`/chat?room=1`). Must start with `/`.
    pub path: String,
    /// The `Origin` header, sent when set (browsers always send one).
    pub origin: Option<String>,
    /// Further header lines, sent as given after the WebSocket headers.
    pub extra_headers: Vec<(String, String)>,
    /// Limits, compression offer, subprotocol offers, timers.
    pub config: Config,
}

impl ClientConfig {
    /// A client for `host` and `path` with default settings.
    pub fn new(host: impl Into<String>, path: impl Into<String>) -> Self {
        ClientConfig {
            host: host.into(),
            path: path.into(),
            origin: None,
            extra_headers: Vec::new(),
            config: Config::default(),
        }
    }
}
