"""WebSocket server and client for asyncio, on kernel sockets.

This module is network glue around :mod:`wirestate.ws`: an
:class:`asyncio.Protocol` moves bytes between the socket and the sans-IO
connection, schedules the connection's timers with ``loop.call_at``, and
turns its events into awaitable calls. The protocol rules (handshake,
framing, masking, compression, keepalive, the closing handshake and its
timeouts) all stay in the core.

Server::

    import asyncio
    from wirestate.asyncio import serve

    async def echo(conn):
        async for message in conn:
            await conn.send(message)

    async def main():
        async with serve(echo, "127.0.0.1", 8765) as server:
            await server.serve_forever()

    asyncio.run(main())

Client::

    from wirestate.asyncio import connect

    async def hello():
        async with connect("ws://127.0.0.1:8765/") as conn:
            await conn.send("hello")
            print(await conn.recv())

Flow control works both ways. Outgoing: :meth:`Connection.send` queues the
message in the core; bytes move from the core to the socket only while the
transport accepts them, and ``send`` waits while the core reports its
outbound queue above the high-water mark (``write_limit``) until it drains.
Incoming: once ``max_queue`` messages wait unread, reading from the socket
pauses until :meth:`Connection.recv` catches up, so a slow reader slows the
peer down through TCP instead of growing memory.
"""

from __future__ import annotations

import asyncio
import collections.abc
import http
import inspect
import logging
import os
import socket
import sys
import time
import urllib.parse
from collections import deque
from typing import (
    Any,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Deque,
    Dict,
    Generator,
    Iterable,
    Iterator,
    List,
    NamedTuple,
    Optional,
    Sequence,
    Set,
    Tuple,
    Union,
)

from . import ws
from .exceptions import BufferFullError, WirestateError

__all__ = [
    "ClientConnection",
    "Connection",
    "ConnectionClosed",
    "ConnectionClosedError",
    "ConnectionClosedOK",
    "HandshakeError",
    "Headers",
    "Request",
    "Response",
    "Server",
    "ServerConnection",
    "connect",
    "serve",
]

logger = logging.getLogger("wirestate.asyncio")

Data = Union[str, bytes]
"""A message: ``str`` for a text message, ``bytes`` for a binary one."""

#: Largest request head read while a ``process_request`` hook is set.
_MAX_HEAD = 16 << 10


# --------------------------------------------------------------------------
# exceptions


class ConnectionClosed(WirestateError):
    """The connection is closed: raised by ``recv``, ``send`` and ``ping``.

    ``code`` and ``reason`` are the connection's close code and reason (1006
    when the stream ended without a closing handshake); ``clean`` tells
    whether the closing handshake completed.
    """

    def __init__(self, code: int, reason: str, clean: bool) -> None:
        super().__init__(code, reason, clean)
        self.code = code
        self.reason = reason
        self.clean = clean

    def __str__(self) -> str:
        how = "cleanly" if self.clean else "abnormally"
        return f"connection closed {how}: {self.code} {self.reason!r}"


class ConnectionClosedOK(ConnectionClosed):
    """The connection closed cleanly with 1000 (normal) or 1001 (going away)."""


class ConnectionClosedError(ConnectionClosed):
    """The connection closed with an error code or without a closing handshake."""


class HandshakeError(WirestateError):
    """The client's opening handshake failed.

    ``status`` is the HTTP status of a rejecting response (``None`` when the
    response was not valid or none came); ``headers`` and ``body`` come with
    it.
    """

    def __init__(
        self,
        message: str,
        status: Optional[int] = None,
        headers: Optional[Headers] = None,
        body: bytes = b"",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers if headers is not None else Headers()
        self.body = body


def _closed_exception(code: int, reason: str, clean: bool) -> ConnectionClosed:
    if clean and code in (1000, 1001):
        return ConnectionClosedOK(code, reason, clean)
    return ConnectionClosedError(code, reason, clean)


# --------------------------------------------------------------------------
# HTTP pieces


class Headers:
    """Request or response header lines: case-insensitive, in order, repeatable.

    ``headers["Origin"]`` gives the first value (``KeyError`` when absent),
    :meth:`get` a default instead, :meth:`get_all` every value; iterating
    gives ``(name, value)`` pairs as received.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[Tuple[str, str]] = ()) -> None:
        self._items: List[Tuple[str, str]] = list(items)

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """The first value of header ``name``, or ``default``."""
        lname = name.lower()
        for k, v in self._items:
            if k.lower() == lname:
                return v
        return default

    def get_all(self, name: str) -> List[str]:
        """Every value of header ``name``, in order."""
        lname = name.lower()
        return [v for k, v in self._items if k.lower() == lname]

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[Tuple[str, str]]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


class Request(NamedTuple):
    """An HTTP request as the server received it (``ServerConnection.request``)."""

    path: str
    """The request target: path and query, e.g. ``/chat?room=1``."""
    headers: Headers
    """Every header line of the request."""

    @property
    def host(self) -> Optional[str]:
        """The ``Host`` header."""
        return self.headers.get("Host")

    @property
    def origin(self) -> Optional[str]:
        """The ``Origin`` header (browsers always send one)."""
        return self.headers.get("Origin")

    @property
    def is_websocket(self) -> bool:
        """Whether the request asks for a WebSocket upgrade."""
        return any("websocket" in v.lower() for v in self.headers.get_all("Upgrade"))


class Response(NamedTuple):
    """An HTTP response that a ``process_request`` hook returns instead of
    opening a WebSocket: for a plain GET (a page, a health check) or to
    refuse an upgrade (401, 403...)."""

    status: int
    """The HTTP status code (200 to 599, not 101)."""
    headers: Sequence[Tuple[str, str]]
    """Header lines; ``Content-Length`` is added for you."""
    body: bytes
    """The response body."""


_ResponseLike = Optional[Tuple[int, Sequence[Tuple[str, str]], bytes]]
ProcessRequest = Callable[
    ["ServerConnection", Request], Union[_ResponseLike, Awaitable[_ResponseLike]]
]
"""``process_request(connection, request)``: return ``None`` to go on with the
WebSocket handshake, or ``(status, headers, body)`` to answer with plain HTTP.
May be a coroutine function."""

Handler = Callable[["ServerConnection"], Awaitable[Any]]
"""``handler(connection)``: a coroutine function run once per accepted connection."""


def _parse_head(head: bytes) -> Optional[Request]:
    """A request line and header lines, or None when they do not parse."""
    try:
        text = head.decode("latin-1")
    except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes anything
        return None
    lines = text.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        return None
    items = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            return None
        items.append((name, value.strip()))
    return Request(parts[1], Headers(items))


def _http_response(status: int, headers: Sequence[Tuple[str, str]], body: bytes) -> bytes:
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    lines = [f"HTTP/1.1 {status} {phrase}"]
    for name, value in headers:
        if name.lower() in ("content-length", "connection", "transfer-encoding"):
            continue
        if any(c in name + value for c in "\r\n"):
            raise ValueError("header names and values must not contain CR or LF")
        lines.append(f"{name}: {value}")
    lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + bytes(body)


# --------------------------------------------------------------------------
# options


def _core_options(
    *,
    compression: Union[bool, str, None],
    max_message_size: Optional[int],
    max_frame_size: Optional[int],
    subprotocols: Sequence[str],
    ping_interval: Optional[float],
    ping_timeout: Optional[float],
    close_timeout: Optional[float],
    open_timeout: Optional[float],
    write_limit: Union[int, Tuple[int, int]],
    max_write_buffer: Optional[int],
) -> Dict[str, Any]:
    if compression in (True, "deflate", "permessage-deflate"):
        deflate = True
    elif compression in (False, None):
        deflate = False
    else:
        raise ValueError(f"unsupported compression: {compression!r}")
    size = sys.maxsize if max_message_size is None else max_message_size
    frame = max_frame_size if max_frame_size is not None else size
    if isinstance(write_limit, int):
        high, low = write_limit, write_limit // 4
    else:
        high, low = write_limit
    if not 0 <= low <= high:
        raise ValueError("write_limit: need 0 <= low <= high")
    hard = max_write_buffer if max_write_buffer is not None else max(64 << 20, 4 * high)
    opts: Dict[str, Any] = dict(
        compression=deflate,
        max_message_size=size,
        max_frame_size=frame,
        subprotocols=tuple(subprotocols),
        keepalive_interval=ping_interval,
        # No pong deadline: a very long one (the core needs a duration).
        keepalive_timeout=ping_timeout if ping_timeout is not None else 365 * 86400.0,
        close_timeout=close_timeout if close_timeout is not None else 365 * 86400.0,
        open_timeout=open_timeout,
        max_write_buffer=hard,
        write_buffer_high=high,
        write_buffer_low=low,
    )
    return opts


# --------------------------------------------------------------------------
# the connection


class Connection(asyncio.Protocol):
    """One WebSocket connection on an asyncio transport.

    Shared by :class:`ServerConnection` and :class:`ClientConnection`; made by
    :func:`serve` and :func:`connect`, not directly.

    Iterate with ``async for message in conn`` (ends quietly on a normal
    close, raises :class:`ConnectionClosedError` otherwise), or call
    :meth:`recv`. Send with :meth:`send`; end with :meth:`close`.
    """

    def __init__(
        self,
        core: ws.Connection,
        *,
        max_queue: int = 16,
        close_timeout: Optional[float] = 10.0,
        write_limit: Union[int, Tuple[int, int]] = 64 << 10,
    ) -> None:
        self._core = core
        self._loop = asyncio.get_running_loop()
        self._transport: Optional[asyncio.Transport] = None
        self._max_queue = max(1, max_queue)
        self._flush_timeout = close_timeout
        self._write_limit = write_limit
        self._messages: Deque[Data] = deque()
        self._recv_waiter: Optional[asyncio.Future[None]] = None
        self._drain_waiters: List[asyncio.Future[None]] = []
        self._pings: Deque[Tuple[bytes, float, asyncio.Future[float]]] = deque()
        self._write_paused = False
        self._read_paused = False
        self._timer: Optional[asyncio.TimerHandle] = None
        self._timer_at: Optional[float] = None
        self._flush_handle: Optional[asyncio.TimerHandle] = None
        self._closing_transport = False
        self._opened: asyncio.Future[None] = self._loop.create_future()
        self._lost: asyncio.Future[None] = self._loop.create_future()
        self._closed_event: Optional[ws.Closed] = None
        self._close_received: Optional[Tuple[int, str]] = None
        self._sending_fragments = False
        # Timers the core arms before this point count from now.
        core.handle_timeout(time.monotonic())

    # ----- public properties ----------------------------------------------

    @property
    def state(self) -> ws.State:
        """``ws.State.CONNECTING``, ``OPEN``, ``CLOSING`` or ``CLOSED``."""
        return self._core.state

    @property
    def subprotocol(self) -> Optional[str]:
        """The negotiated subprotocol, or ``None``."""
        return self._core.subprotocol

    @property
    def compressed(self) -> bool:
        """Whether permessage-deflate was negotiated."""
        return self._core.compressed

    @property
    def close_code(self) -> Optional[int]:
        """The close code once the connection is closed (1006 without a
        closing handshake), else ``None``."""
        return None if self._closed_event is None else int(self._closed_event.code)

    @property
    def close_reason(self) -> Optional[str]:
        """The close reason once the connection is closed, else ``None``."""
        return None if self._closed_event is None else str(self._closed_event.reason)

    @property
    def close_clean(self) -> Optional[bool]:
        """Whether the closing handshake completed, once closed; else ``None``."""
        return None if self._closed_event is None else bool(self._closed_event.clean)

    @property
    def buffered_amount(self) -> int:
        """Bytes queued in the core for the socket (not yet handed to the transport)."""
        return self._core.buffered_amount

    @property
    def local_address(self) -> Any:
        """The socket's own address."""
        return None if self._transport is None else self._transport.get_extra_info("sockname")

    @property
    def remote_address(self) -> Any:
        """The peer's address."""
        return None if self._transport is None else self._transport.get_extra_info("peername")

    @property
    def stats(self) -> Dict[str, int]:
        """The core's counters (bytes, frames, messages, pings, pongs)."""
        return self._core.stats()

    # ----- receiving -------------------------------------------------------

    async def recv(self) -> Data:
        """The next message: ``str`` (text) or ``bytes`` (binary).

        Raises :class:`ConnectionClosedOK` or :class:`ConnectionClosedError`
        once the connection is closed and every received message was read.
        Only one ``recv`` may wait at a time.
        """
        while not self._messages:
            if self._closed_event is not None:
                raise self._closed_exc()
            if self._recv_waiter is not None:
                raise RuntimeError("another coroutine is already waiting in recv()")
            waiter: asyncio.Future[None] = self._loop.create_future()
            self._recv_waiter = waiter
            try:
                await waiter
            finally:
                self._recv_waiter = None
        message = self._messages.popleft()
        if self._read_paused and len(self._messages) <= self._max_queue // 4:
            self._read_paused = False
            if self._transport is not None and not self._transport.is_closing():
                self._transport.resume_reading()
        return message

    def __aiter__(self) -> AsyncIterator[Data]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Data]:
        while True:
            try:
                yield await self.recv()
            except ConnectionClosedOK:
                return

    # ----- sending ---------------------------------------------------------

    async def send(
        self, message: Union[Data, bytearray, memoryview, Iterable[Data], AsyncIterable[Data]]
    ) -> None:
        """Sends a message: ``str`` as text, bytes-like as binary.

        An iterable or async iterable of ``str`` (or of bytes-like) is sent
        as one fragmented message, a frame per item.

        Returns once the message is queued; waits first while the outbound
        queue is above the high-water mark, until the peer has taken enough.
        Raises :class:`ConnectionClosed` when the connection is closed.
        """
        if isinstance(message, str):
            self._call(self._core.send_text, message)
        elif isinstance(message, (bytes, bytearray, memoryview)):
            self._call(self._core.send_binary, message)
        elif isinstance(message, collections.abc.AsyncIterable):
            await self._send_fragments_async(message)
            return
        elif isinstance(message, collections.abc.Iterable):
            await self._send_fragments(message)
            return
        else:
            raise TypeError(f"cannot send {type(message).__name__}")
        self._pump()
        if not self._core.writable:
            await self._drain()

    async def _send_fragments(self, fragments: Iterable[Data]) -> None:
        if self._sending_fragments:
            raise RuntimeError("another fragmented message is being sent")
        self._sending_fragments = True
        try:
            prev: Optional[Data] = None
            for item in fragments:
                if prev is not None:
                    await self._send_fragment(prev, False)
                prev = item
            if prev is not None:
                await self._send_fragment(prev, True)
        finally:
            self._sending_fragments = False

    async def _send_fragments_async(self, fragments: AsyncIterable[Data]) -> None:
        if self._sending_fragments:
            raise RuntimeError("another fragmented message is being sent")
        self._sending_fragments = True
        try:
            prev: Optional[Data] = None
            async for item in fragments:
                if prev is not None:
                    await self._send_fragment(prev, False)
                prev = item
            if prev is not None:
                await self._send_fragment(prev, True)
        finally:
            self._sending_fragments = False

    async def _send_fragment(self, data: Data, fin: bool) -> None:
        if not isinstance(data, str):
            data = bytes(data)
        self._call(self._core.send_fragment, data, fin)
        self._pump()
        if not self._core.writable:
            await self._drain()

    async def ping(self, data: Optional[Union[str, bytes]] = None) -> Awaitable[float]:
        """Sends a Ping; returns an awaitable that gives the round-trip time in
        seconds when the matching Pong arrives.

        ``data`` (at most 125 bytes) defaults to 8 random bytes. Raises
        :class:`ConnectionClosed` when the connection is closed.
        """
        payload = os.urandom(8) if data is None else (data.encode() if isinstance(data, str) else bytes(data))
        self._call(self._core.ping, payload)
        pong: asyncio.Future[float] = self._loop.create_future()
        self._pings.append((payload, time.monotonic(), pong))
        self._pump()
        return pong

    async def pong(self, data: Union[str, bytes] = b"") -> None:
        """Sends an unsolicited Pong (Pings are answered automatically)."""
        payload = data.encode() if isinstance(data, str) else bytes(data)
        self._call(self._core.pong, payload)
        self._pump()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Starts the closing handshake and waits until the connection is closed.

        The core bounds the wait: without the peer's Close frame (and, for a
        client, the server's end of stream) within ``close_timeout`` the
        connection is closed anyway. Calling it on a closing or closed
        connection just waits.
        """
        if self._closed_event is None and self._core.state == ws.State.OPEN:
            self._core.handle_timeout(time.monotonic())
            try:
                self._core.close(code, reason)
            except WirestateError:
                if self._core.state == ws.State.OPEN:
                    raise
            self._pump()
        elif self._core.state == ws.State.CONNECTING and self._transport is not None:
            self._transport.abort()
        await self.wait_closed()

    async def wait_closed(self) -> None:
        """Waits until the connection is closed and the socket with it."""
        await asyncio.shield(self._lost)

    # ----- internals: driving the core ---------------------------------------

    def _closed_exc(self) -> ConnectionClosed:
        ev = self._closed_event
        if ev is None:
            return ConnectionClosedError(1006, "", False)
        return _closed_exception(int(ev.code), str(ev.reason), bool(ev.clean))

    def _call(self, method: Callable[..., None], *args: Any) -> None:
        """Calls a sending method of the core; a closed connection raises
        :class:`ConnectionClosed`."""
        if self._closed_event is not None or self._core.state != ws.State.OPEN:
            if self._closed_event is not None or self._core.state == ws.State.CLOSED:
                raise self._closed_exc()
            if self._core.state == ws.State.CLOSING:
                code, reason = self._close_received or (1000, "")
                raise _closed_exception(code, reason, True)
        try:
            method(*args)
        except BufferFullError:
            # The hard limit: hand everything to the transport, then retry
            # once; a message larger than the limit still fails.
            self._flush(force=True)
            method(*args)

    async def _drain(self) -> None:
        """Waits until the core's outbound queue is back under its low-water mark."""
        while not self._core.writable:
            if self._closed_event is not None:
                raise self._closed_exc()
            waiter: asyncio.Future[None] = self._loop.create_future()
            self._drain_waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._drain_waiters:
                    self._drain_waiters.remove(waiter)

    def _flush(self, force: bool = False) -> None:
        """Hands the core's queued bytes to the transport while it accepts them."""
        t = self._transport
        if t is None or t.is_closing():
            return
        if self._write_paused and not force:
            return
        data = self._core.data_to_send()
        if data:
            t.write(data)

    def _pump(self) -> None:
        """After any input or call: write out, handle events, re-arm the timer,
        close the socket when the core says so."""
        core = self._core
        while True:
            self._flush()
            handled = False
            for ev in core.events():
                handled = True
                self._on_event(ev)
            if not handled:
                break
        if core.close_expected():
            self._close_transport()
        self._arm_timer()

    def _on_event(self, ev: Any) -> None:
        kind = type(ev)
        if kind is ws.TextMessage or kind is ws.BinaryMessage:
            self._messages.append(ev.data)
            if self._recv_waiter is not None and not self._recv_waiter.done():
                self._recv_waiter.set_result(None)
            if (
                not self._read_paused
                and len(self._messages) >= self._max_queue
                and self._transport is not None
            ):
                self._read_paused = True
                self._transport.pause_reading()
        elif kind is ws.Writable:
            self._wake_drainers()
        elif kind is ws.Pong:
            self._on_pong(bytes(ev.payload))
        elif kind is ws.Ping:
            pass
        elif kind is ws.CloseReceived:
            self._close_received = (int(ev.code), str(ev.reason))
        elif kind is ws.Closed:
            self._on_closed(ev)
        else:
            self._on_handshake_event(ev)

    def _on_handshake_event(self, ev: Any) -> None:
        """Request (server), Accepted and Rejected (client)."""

    def _on_pong(self, payload: bytes) -> None:
        # A Pong answers the Ping with its payload and every earlier one.
        if not any(p == payload for p, _, _ in self._pings):
            return
        now = time.monotonic()
        while self._pings:
            p, sent, fut = self._pings.popleft()
            if not fut.done():
                fut.set_result(now - sent)
            if p == payload:
                break

    def _on_closed(self, ev: ws.Closed) -> None:
        if self._closed_event is None:
            self._closed_event = ev
        exc = self._closed_exc()
        if self._recv_waiter is not None and not self._recv_waiter.done():
            self._recv_waiter.set_result(None)
        self._wake_drainers()
        while self._pings:
            _, _, fut = self._pings.popleft()
            if not fut.done():
                fut.set_exception(exc)
                fut.exception()  # retrieved: nobody has to await it
        if not self._opened.done():
            self._opened.set_exception(exc)
            self._opened.exception()

    def _wake_drainers(self) -> None:
        waiters, self._drain_waiters = self._drain_waiters, []
        for w in waiters:
            if not w.done():
                w.set_result(None)

    def _close_transport(self) -> None:
        t = self._transport
        if t is None or self._closing_transport:
            return
        self._closing_transport = True
        # Whatever is left goes out before the socket closes.
        data = self._core.data_to_send()
        if data and not t.is_closing():
            t.write(data)
        t.close()
        if self._flush_timeout is not None and not self._lost.done():
            # A peer that stops reading cannot hold the socket open forever.
            self._flush_handle = self._loop.call_later(self._flush_timeout, t.abort)

    def _arm_timer(self) -> None:
        at = self._core.next_timeout()
        if at == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = at
        if at is not None and not self._lost.done():
            # The core counts in time.monotonic(); the loop's clock may differ.
            when = at + (self._loop.time() - time.monotonic())
            self._timer = self._loop.call_at(when, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        self._core.handle_timeout(time.monotonic())
        self._pump()

    # ----- asyncio.Protocol --------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Called by asyncio when the socket is connected."""
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        limit = self._write_limit
        high, low = (limit, limit // 4) if isinstance(limit, int) else limit
        transport.set_write_buffer_limits(high=high, low=low)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:  # pragma: no cover
                pass
        self._pump()

    def data_received(self, data: bytes) -> None:
        """Called by asyncio with bytes from the socket."""
        core = self._core
        core.receive_data(data)
        core.handle_timeout(time.monotonic())
        self._pump()

    def eof_received(self) -> Optional[bool]:
        """Called by asyncio when the peer closed its side of the stream."""
        self._core.receive_data(b"")
        self._pump()
        return False

    def pause_writing(self) -> None:
        """Called by asyncio when the transport's buffer passes its high-water mark."""
        self._write_paused = True

    def resume_writing(self) -> None:
        """Called by asyncio when the transport's buffer has drained."""
        self._write_paused = False
        self._pump()

    def connection_lost(self, exc: Optional[Exception]) -> None:
        """Called by asyncio when the socket is closed."""
        if self._core.state != ws.State.CLOSED:
            self._core.receive_data(b"")
        self._pump()
        if self._closed_event is None:  # pragma: no cover - the core always reports
            self._on_closed(ws.Closed(code=1006, reason="connection lost", clean=False))
        for handle in (self._timer, self._flush_handle):
            if handle is not None:
                handle.cancel()
        self._timer = self._flush_handle = None
        self._timer_at = None
        if not self._lost.done():
            self._lost.set_result(None)


class ServerConnection(Connection):
    """The server side of a connection, handed to the ``handler`` of :func:`serve`.

    ``request`` is the opening HTTP request (path and headers).
    """

    def __init__(
        self,
        server: Server,
        core: ws.ServerConnection,
        *,
        process_request: Optional[ProcessRequest],
        max_queue: int,
        close_timeout: Optional[float],
        write_limit: Union[int, Tuple[int, int]],
    ) -> None:
        super().__init__(core, max_queue=max_queue, close_timeout=close_timeout, write_limit=write_limit)
        self._server = server
        self._process_request = process_request
        self._head: Optional[bytearray] = bytearray() if process_request is not None else None
        self._early: List[bytes] = []
        self._response: Optional[Tuple[int, Sequence[Tuple[str, str]], bytes]] = None
        self._request: Optional[Request] = None
        self.handler_task: Optional[asyncio.Task[None]] = None

    @property
    def request(self) -> Request:
        """The opening request: ``path`` and ``headers`` (available in the handler
        and in ``process_request``)."""
        if self._request is None:
            raise RuntimeError("no request received yet")
        return self._request

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Called by asyncio when a client connected."""
        self._server._register(self)
        super().connection_made(transport)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        """Called by asyncio when the socket is closed."""
        super().connection_lost(exc)
        self._server._unregister(self)

    def data_received(self, data: bytes) -> None:
        """Called by asyncio with bytes from the socket."""
        head = self._head
        if head is None:
            super().data_received(data)
            return
        if self._early:
            # process_request is running; keep the bytes for later.
            self._early.append(data)
            return
        head += data
        end = head.find(b"\r\n\r\n")
        if end < 0:
            if len(head) > _MAX_HEAD:
                self._stop_preparsing()
            return
        request = _parse_head(bytes(head[: end + 4]))
        if request is None:
            self._stop_preparsing()
            return
        self._request = request
        self._early.append(bytes(head))
        head.clear()
        self._loop.create_task(self._run_process_request(request))

    def _stop_preparsing(self) -> None:
        """Hands what was read to the core (which answers with the right error)."""
        data = bytes(self._head or b"")
        self._head = None
        if data:
            super().data_received(data)

    async def _run_process_request(self, request: Request) -> None:
        assert self._process_request is not None
        try:
            result = self._process_request(self, request)
            if inspect.isawaitable(result):
                result = await result
        except Exception:
            logger.exception("process_request failed")
            result = (500, [("Content-Type", "text/plain")], b"Internal Server Error\n")
        self._head = None
        early, self._early = self._early, []
        if self._transport is None or self._transport.is_closing():
            return  # the open timeout or the server's close came first
        if result is not None:
            status, headers, body = result
            if not request.is_websocket:
                # Plain HTTP: the core only speaks the WebSocket handshake.
                self._transport.write(_http_response(status, headers, bytes(body)))
                self._core.receive_data(b"")  # the core's connection ends here
                self._pump()
                self._transport.close()
                return
            self._response = (status, list(headers), bytes(body))
        for data in early:
            if self._transport.is_closing():
                return
            super().data_received(data)

    def _on_handshake_event(self, ev: Any) -> None:
        if type(ev) is not ws.Request:
            return
        if self._request is None:
            self._request = Request(
                str(ev.path), Headers((k, v.decode("latin-1")) for k, v in ev.headers)
            )
        if self._response is not None:
            status, headers, body = self._response
            self._core.reject(status, headers, body)
            return
        if self._server._closing:
            self._core.reject(503, [("Content-Type", "text/plain")], b"server shutting down\n")
            return
        self._core.accept()
        self._opened.set_result(None)
        self.handler_task = self._loop.create_task(self._run_handler())
        self._server._tasks.add(self.handler_task)
        self.handler_task.add_done_callback(self._server._tasks.discard)

    async def _run_handler(self) -> None:
        try:
            await self._server._handler(self)
        except ConnectionClosed:
            pass
        except Exception:
            logger.exception("connection handler failed")
            await self._close_quietly(1011, "internal error")
            return
        except asyncio.CancelledError:
            await self._close_quietly(1001, "going away")
            raise
        await self._close_quietly(1000, "")

    async def _close_quietly(self, code: int, reason: str) -> None:
        try:
            await self.close(code, reason)
        except WirestateError:  # pragma: no cover
            pass


class ClientConnection(Connection):
    """The client side of a connection, as :func:`connect` returns it."""

    def __init__(
        self,
        core: ws.ClientConnection,
        *,
        max_queue: int,
        close_timeout: Optional[float],
        write_limit: Union[int, Tuple[int, int]],
    ) -> None:
        super().__init__(core, max_queue=max_queue, close_timeout=close_timeout, write_limit=write_limit)
        self._rejected: Optional[HandshakeError] = None

    def _on_handshake_event(self, ev: Any) -> None:
        kind = type(ev)
        if kind is ws.Accepted:
            if not self._opened.done():
                self._opened.set_result(None)
        elif kind is ws.Rejected:
            headers = Headers((k, v.decode("latin-1")) for k, v in ev.headers)
            self._rejected = HandshakeError(
                f"server rejected the WebSocket handshake with HTTP {ev.status}",
                int(ev.status),
                headers,
                bytes(ev.body),
            )

    async def _handshake(self) -> None:
        try:
            await asyncio.shield(self._opened)
        except ConnectionClosed as exc:
            if self._rejected is not None:
                raise self._rejected from None
            raise HandshakeError(f"opening handshake failed: {exc.reason or exc.code}") from None


# --------------------------------------------------------------------------
# server


class Server:
    """A listening WebSocket server, as :func:`serve` gives it.

    ``async with`` closes it on exit. :meth:`close` stops accepting and
    closes every open connection with 1001 (going away);
    :meth:`wait_closed` waits until they are all gone.
    """

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._server: Optional[asyncio.Server] = None
        self._connections: Set[ServerConnection] = set()
        self._tasks: Set[asyncio.Task[None]] = set()
        self._closing = False
        self._close_task: Optional[asyncio.Task[None]] = None
        self._all_gone: Optional[asyncio.Future[None]] = None

    @property
    def connections(self) -> Set[ServerConnection]:
        """The connections currently open (handshaking, open or closing)."""
        return set(self._connections)

    @property
    def sockets(self) -> Tuple[socket.socket, ...]:
        """The listening sockets."""
        if self._server is None:
            return ()
        return tuple(self._server.sockets)

    @property
    def port(self) -> int:
        """The port of the first listening socket (handy with ``port=0``)."""
        return int(self.sockets[0].getsockname()[1])

    def _register(self, conn: ServerConnection) -> None:
        self._connections.add(conn)

    def _unregister(self, conn: ServerConnection) -> None:
        self._connections.discard(conn)
        if not self._connections and self._all_gone is not None and not self._all_gone.done():
            self._all_gone.set_result(None)

    def close(self, close_connections: bool = True) -> None:
        """Stops listening and, unless told otherwise, closes every connection
        with 1001. Returns at once; see :meth:`wait_closed`."""
        if self._closing:
            return
        self._closing = True
        if self._server is not None:
            self._server.close()
        if close_connections:
            self._close_task = asyncio.get_running_loop().create_task(self._close_all())

    async def _close_all(self) -> None:
        conns = list(self._connections)
        await asyncio.gather(
            *(c.close(1001, "going away") for c in conns), return_exceptions=True
        )

    async def wait_closed(self) -> None:
        """Waits until the server is closed and every connection has ended
        (and every handler returned)."""
        loop = asyncio.get_running_loop()
        if self._close_task is not None:
            await asyncio.shield(self._close_task)
        while self._connections:
            if self._all_gone is None or self._all_gone.done():
                self._all_gone = loop.create_future()
            await asyncio.shield(self._all_gone)
        if self._tasks:
            await asyncio.wait(list(self._tasks))
        if self._server is not None:
            await self._server.wait_closed()

    async def serve_forever(self) -> None:
        """Serves until cancelled or closed."""
        assert self._server is not None
        try:
            await self._server.serve_forever()
        except asyncio.CancelledError:
            if not self._closing:
                raise

    async def __aenter__(self) -> Server:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.close()
        await self.wait_closed()


class serve:
    """Starts a WebSocket server on ``host:port``; ``handler(connection)`` runs
    for each accepted connection.

    Use as ``async with serve(...) as server:`` (closed on exit) or
    ``server = await serve(...)``.

    When the handler returns, the connection closes with 1000; when it
    raises, with 1011. Options:

    - ``compression`` (default on): negotiate permessage-deflate when the
      client offers it.
    - ``subprotocols``: accepted subprotocols, the client's first match wins.
    - ``max_message_size`` (default 1 MiB; ``None`` for no limit): larger
      messages close the connection with 1009.
    - ``ping_interval`` / ``ping_timeout`` (default 20 s each; ``None`` turns
      off): the core pings after ``ping_interval`` without traffic and fails
      the connection with 1011 when no Pong comes within ``ping_timeout``.
    - ``close_timeout`` (default 10 s): how long the closing handshake may take.
    - ``open_timeout`` (default 10 s): how long the opening handshake may take.
    - ``write_limit`` (default 64 KiB, or ``(high, low)``): ``send`` waits while
      more than this is queued for the peer.
    - ``max_queue`` (default 16): received messages waiting for ``recv``
      before reading from the socket pauses.
    - ``process_request(connection, request)``: called with each request
      before the handshake; returning ``(status, headers, body)`` answers it
      with plain HTTP instead (a page on ``GET /``, or a refusal).
    - ``ssl``, ``reuse_port``, ``backlog``, ``sock``: passed to
      ``loop.create_server``.
    """

    def __init__(
        self,
        handler: Handler,
        host: Optional[str] = None,
        port: Optional[int] = None,
        *,
        compression: Union[bool, str, None] = True,
        subprotocols: Sequence[str] = (),
        max_message_size: Optional[int] = 1 << 20,
        max_frame_size: Optional[int] = None,
        ping_interval: Optional[float] = 20.0,
        ping_timeout: Optional[float] = 20.0,
        close_timeout: Optional[float] = 10.0,
        open_timeout: Optional[float] = 10.0,
        write_limit: Union[int, Tuple[int, int]] = 64 << 10,
        max_write_buffer: Optional[int] = None,
        max_queue: int = 16,
        process_request: Optional[ProcessRequest] = None,
        **create_server_kwargs: Any,
    ) -> None:
        self._handler = handler
        self._host = host
        self._port = port
        self._core_options = _core_options(
            compression=compression,
            max_message_size=max_message_size,
            max_frame_size=max_frame_size,
            subprotocols=subprotocols,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            close_timeout=close_timeout,
            open_timeout=open_timeout,
            write_limit=write_limit,
            max_write_buffer=max_write_buffer,
        )
        self._close_timeout = close_timeout
        self._write_limit = write_limit
        self._max_queue = max_queue
        self._process_request = process_request
        self._kwargs = create_server_kwargs
        self._server: Optional[Server] = None

    async def _start(self) -> Server:
        loop = asyncio.get_running_loop()
        server = Server(self._handler)
        options = self._core_options

        def factory() -> ServerConnection:
            return ServerConnection(
                server,
                ws.ServerConnection(**options),
                process_request=self._process_request,
                max_queue=self._max_queue,
                close_timeout=self._close_timeout,
                write_limit=self._write_limit,
            )

        server._server = await loop.create_server(factory, self._host, self._port, **self._kwargs)
        self._server = server
        return server

    def __await__(self) -> Generator[Any, None, Server]:
        return self._start().__await__()

    async def __aenter__(self) -> Server:
        return await self._start()

    async def __aexit__(self, *exc: Any) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


# --------------------------------------------------------------------------
# client


class connect:
    """Opens a WebSocket client connection to ``uri`` (``ws://host:port/path``;
    ``wss://`` needs an ``ssl`` context or ``ssl=True``).

    Use as ``async with connect(uri) as conn:`` (closed on exit) or
    ``conn = await connect(uri)``. Raises :class:`HandshakeError` when the
    server refuses or the handshake fails, ``OSError`` when the TCP
    connection fails.

    Options as for :func:`serve` (``compression`` offers permessage-deflate,
    ``subprotocols`` are offered in order), plus ``origin`` and
    ``extra_headers`` for the request, and ``host``/``port``/``sock`` to
    reach another address than the URI's.
    """

    def __init__(
        self,
        uri: str,
        *,
        compression: Union[bool, str, None] = True,
        subprotocols: Sequence[str] = (),
        origin: Optional[str] = None,
        extra_headers: Sequence[Tuple[str, str]] = (),
        max_message_size: Optional[int] = 1 << 20,
        max_frame_size: Optional[int] = None,
        ping_interval: Optional[float] = 20.0,
        ping_timeout: Optional[float] = 20.0,
        close_timeout: Optional[float] = 10.0,
        open_timeout: Optional[float] = 10.0,
        write_limit: Union[int, Tuple[int, int]] = 64 << 10,
        max_write_buffer: Optional[int] = None,
        max_queue: int = 16,
        ssl: Any = None,
        **create_connection_kwargs: Any,
    ) -> None:
        parts = urllib.parse.urlsplit(uri)
        if parts.scheme not in ("ws", "wss"):
            raise ValueError(f"not a WebSocket URI: {uri!r}")
        if parts.hostname is None:
            raise ValueError(f"no host in {uri!r}")
        secure = parts.scheme == "wss"
        if secure and not ssl:
            ssl = True
        default_port = 443 if secure else 80
        self._host = parts.hostname
        self._port = parts.port or default_port
        netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        if parts.port is not None and parts.port != default_port:
            netloc += f":{parts.port}"
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        self._core_options = _core_options(
            compression=compression,
            max_message_size=max_message_size,
            max_frame_size=max_frame_size,
            subprotocols=subprotocols,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            close_timeout=close_timeout,
            open_timeout=open_timeout,
            write_limit=write_limit,
            max_write_buffer=max_write_buffer,
        )
        self._core_options.update(
            host=netloc, path=path, origin=origin, extra_headers=tuple(extra_headers)
        )
        self._close_timeout = close_timeout
        self._open_timeout = open_timeout
        self._write_limit = write_limit
        self._max_queue = max_queue
        self._ssl = ssl
        self._kwargs = create_connection_kwargs
        self._conn: Optional[ClientConnection] = None

    async def _start(self) -> ClientConnection:
        loop = asyncio.get_running_loop()
        kwargs = dict(self._kwargs)
        host = kwargs.pop("host", self._host)
        port = kwargs.pop("port", self._port)
        if "sock" in kwargs:
            host = port = None
        if self._ssl:
            kwargs["ssl"] = self._ssl
            kwargs.setdefault("server_hostname", self._host)

        def factory() -> ClientConnection:
            return ClientConnection(
                ws.ClientConnection(**self._core_options),
                max_queue=self._max_queue,
                close_timeout=self._close_timeout,
                write_limit=self._write_limit,
            )

        connecting = loop.create_connection(factory, host, port, **kwargs)
        if self._open_timeout is not None:
            _, conn = await asyncio.wait_for(connecting, self._open_timeout)
        else:
            _, conn = await connecting
        try:
            await conn._handshake()
        except BaseException:
            if conn._transport is not None:
                conn._transport.abort()
            raise
        self._conn = conn
        return conn

    def __await__(self) -> Generator[Any, None, ClientConnection]:
        return self._start().__await__()

    async def __aenter__(self) -> ClientConnection:
        return await self._start()

    async def __aexit__(self, *exc: Any) -> None:
        assert self._conn is not None
        await self._conn.close()
