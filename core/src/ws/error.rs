//! Errors for local misuse of a WebSocket connection.

use core::fmt;

/// Something the local application asked for that the connection cannot do.
///
/// Peer misbehaviour never shows up here: it closes the connection with the
/// right close code and is reported as an [`Event`](super::Event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The call is not allowed in the connection's current state (for
    /// example `send_text` before the handshake or after `close`, or `accept`
    /// on a client).
    InvalidState,
    /// The queue of bytes for the transport would pass `max_write_buffer`;
    /// drain [`Connection::poll_transmit`](super::Connection::poll_transmit) first.
    BufferFull,
    /// A whole message was sent while a fragmented one is still open, or a
    /// continuation fragment was sent with a different kind.
    FragmentInProgress,
    /// Text to send is not valid UTF-8 (possible only through `send_fragment`).
    InvalidUtf8,
    /// Ping, Pong and Close payloads are limited to 125 bytes (a close reason to 123).
    ControlTooLarge,
    /// The close code may not be sent (only 1000–1003, 1007–1014, 3000–4999).
    InvalidCloseCode,
    /// The subprotocol passed to `accept` was not offered by the client.
    SubprotocolNotOffered,
    /// A header name or value from the application is not valid HTTP (empty
    /// name, separators in the name, CR or LF in the value).
    InvalidHeader,
    /// The status passed to `reject` is not a final, non-101 status (200–599).
    InvalidStatus,
    /// A client configuration value is invalid (empty host, path not starting
    /// with `/`, window bits outside 9–15).
    InvalidConfig,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::InvalidState => "not allowed in the connection's current state",
            Error::BufferFull => "outbound buffer is full",
            Error::FragmentInProgress => "a fragmented message is in progress",
            Error::InvalidUtf8 => "text is not valid UTF-8",
            Error::ControlTooLarge => "control frame payload longer than 125 bytes",
            Error::InvalidCloseCode => "close code may not be sent",
            Error::SubprotocolNotOffered => "subprotocol was not offered by the client",
            Error::InvalidHeader => "invalid header name or value",
            Error::InvalidStatus => "status must be between 200 and 599",
            Error::InvalidConfig => "invalid configuration",
        })
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
