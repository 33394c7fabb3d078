//! What a WebSocket connection reports to its application.

use alloc::string::String;
use alloc::vec::Vec;

/// The connection's state (the WebSocket API's `readyState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// The opening handshake has not finished.
    Connecting,
    /// Messages flow both ways.
    Open,
    /// A Close frame was sent or received; the closing handshake is under way.
    Closing,
    /// Finished; [`Event::Closed`] has been (or is about to be) reported.
    Closed,
}

/// Which end of the connection this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Sends the upgrade request and masks its frames.
    Client,
    /// Answers the upgrade request; its frames are not masked.
    Server,
}

/// The kind of a data message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// UTF-8 text.
    Text,
    /// Arbitrary bytes.
    Binary,
}

/// One header line of a handshake, as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The name as sent (compare it case-insensitively).
    pub name: String,
    /// The raw value.
    pub value: Vec<u8>,
}

/// One extension from a `Sec-WebSocket-Extensions` header: its name and
/// parameters in order, each with an optional value (quotes removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// The extension token, e.g. `permessage-deflate`.
    pub name: String,
    /// Parameters such as `("client_max_window_bits", Some("10"))`.
    pub params: Vec<(String, Option<String>)>,
}

/// An opening request a server received; answer it with
/// [`Connection::accept`](super::Connection::accept) or
/// [`Connection::reject`](super::Connection::reject).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The request target (path and query).
    pub path: String,
    /// The `Host` header.
    pub host: String,
    /// The `Origin` header, if any.
    pub origin: Option<String>,
    /// Offered subprotocols, in the client's order of preference.
    pub subprotocols: Vec<String>,
    /// Offered extensions, in order.
    pub extensions: Vec<Extension>,
    /// Every header line as received.
    pub headers: Vec<Header>,
}

/// A client's handshake succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The subprotocol the server chose, if any.
    pub subprotocol: Option<String>,
    /// The extensions in force (at most permessage-deflate).
    pub extensions: Vec<Extension>,
    /// Every header line of the 101 response.
    pub headers: Vec<Header>,
}

/// A client's handshake was answered with something other than 101.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The HTTP status code.
    pub status: u16,
    /// The response's header lines.
    pub headers: Vec<Header>,
    /// The response body (up to `max_handshake_size` bytes).
    pub body: Vec<u8>,
}

/// Something that happened on the connection, borrowed from it until the next
/// call that takes `&mut self`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// Server: an opening request arrived; call `accept` or `reject`.
    Request(&'a Request),
    /// Client: the server accepted; the connection is open.
    Accepted(&'a Accepted),
    /// Client: the server refused; a [`Event::Closed`] follows.
    Rejected(&'a Rejected),
    /// A whole text message.
    Text(&'a str),
    /// A whole binary message.
    Binary(&'a [u8]),
    /// In streaming mode: the next piece of a message. For text, `data` is
    /// valid UTF-8 and ends on a code point boundary.
    MessageChunk {
        /// Text or binary.
        kind: MessageKind,
        /// The bytes of this piece.
        data: &'a [u8],
        /// The first piece of its message.
        first: bool,
        /// The last piece of its message.
        last: bool,
        /// The length of the whole message when it is known in advance: a
        /// message sent as one uncompressed frame announces it in the frame
        /// header. `None` for fragmented and compressed messages. Lets a
        /// consumer allocate the message once and copy each piece into place.
        total: Option<u64>,
    },
    /// A Ping arrived (already answered when `auto_pong` is on).
    Ping(&'a [u8]),
    /// A Pong arrived.
    Pong(&'a [u8]),
    /// The peer sent a Close frame (code 1005 when it carried none).
    CloseReceived {
        /// The peer's status code.
        code: u16,
        /// The peer's reason.
        reason: &'a str,
    },
    /// The connection is finished; always the last event, reported once.
    /// `code` is the peer's close code after a closing handshake, the code
    /// this end sent when it failed the connection, or 1006 when the stream
    /// ended without a closing handshake.
    Closed {
        /// The close code.
        code: u16,
        /// A human-readable reason: the peer's, or what went wrong.
        reason: &'a str,
        /// True when the closing handshake completed.
        clean: bool,
    },
    /// The outbound queue drained below `write_buffer_low` after passing
    /// `write_buffer_high`.
    Writable,
}
