"""WebSocket (RFC 6455) with permessage-deflate (RFC 7692), sans-IO.

A connection is fed the bytes your transport received
(:meth:`Connection.receive_data`, ``b""`` for end of stream) and produces
events (:meth:`Connection.events`) and bytes to write
(:meth:`Connection.data_to_send`). When :meth:`Connection.close_expected`
turns true and the bytes are written, close the transport.

Events are frozen classes with keyword constructors, ``__repr__``, ``__eq__``
and ``__match_args__``:

- :class:`Request` (server) -- answer with ``accept()`` or ``reject()``;
- :class:`Accepted` / :class:`Rejected` (client);
- :class:`TextMessage`, :class:`BinaryMessage`, and :class:`MessageChunk`
  when ``streaming=True``;
- :class:`Ping`, :class:`Pong`, :class:`CloseReceived`, :class:`Closed`,
  :class:`Writable`.

Timers: :meth:`Connection.next_timeout` returns a deadline in
``time.monotonic()`` seconds; call :meth:`Connection.handle_timeout` with the
current time when it passes (calling it early or often is harmless).
"""

from ._native import (
    Accepted,
    BinaryMessage,
    ClientConnection,
    Closed,
    CloseReceived,
    Connection,
    MessageChunk,
    Ping,
    Pong,
    Rejected,
    Request,
    ServerConnection,
    State,
    TextMessage,
    Writable,
)

__all__ = [
    "Accepted",
    "BinaryMessage",
    "ClientConnection",
    "CloseReceived",
    "Closed",
    "Connection",
    "MessageChunk",
    "Ping",
    "Pong",
    "Rejected",
    "Request",
    "ServerConnection",
    "State",
    "TextMessage",
    "Writable",
]
