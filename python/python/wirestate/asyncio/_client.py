"""The client side: :class:`ClientConnection` and :func:`connect`."""

from __future__ import annotations

import asyncio
import urllib.parse
from typing import (
    Any,
    Generator,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from .. import ws


from ._base import ConnectionClosed, HandshakeError
from ._http import Headers
from ._options import _core_options
from ._connection import Connection
from ._server import serve


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
