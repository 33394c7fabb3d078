"""One WebSocket connection on an asyncio transport, driven by the core."""

from __future__ import annotations

import asyncio
import collections.abc
import os
import socket
import time
from collections import deque
from typing import (
    Any,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Deque,
    Dict,
    Iterable,
    List,
    Optional,
    Tuple,
    Union,
)

from .. import ws
from ..exceptions import BufferFullError, WirestateError


from ._base import (
    Data,
    ConnectionClosed,
    ConnectionClosedOK,
    ConnectionClosedError,
    _closed_exception,
)
from ._http import Request


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
