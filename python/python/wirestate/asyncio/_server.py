"""The server side: :class:`ServerConnection`, :class:`Server` and :func:`serve`."""

from __future__ import annotations

import asyncio
import inspect
import socket
from typing import (
    Any,
    Generator,
    List,
    Optional,
    Sequence,
    Set,
    Tuple,
    Union,
)

from .. import ws
from ..exceptions import WirestateError


from ._base import logger, _MAX_HEAD, ConnectionClosed
from ._http import (
    Headers,
    Request,
    ProcessRequest,
    Handler,
    _parse_head,
    _http_response,
)
from ._options import _core_options
from ._connection import Connection


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
