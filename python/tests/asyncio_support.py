"""Helpers shared by the wirestate.asyncio tests: a time limit for every
test, sample messages, and a small asyncio client/server driven by wsproto
for the cases where the peer has to be another implementation (or has to
misbehave)."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from typing import Any, Awaitable, Callable, List, Optional, Tuple, Union

import pytest
import wsproto
import wsproto.events as wpe
from wsproto.extensions import PerMessageDeflate

from wirestate.asyncio import (
    ClientConnection,
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    HandshakeError,
    Request,
    Server,
    ServerConnection,
    connect,
    serve,
)


HOST = "127.0.0.1"
LIMIT = 5.0  # seconds, for every test

COMPRESSION = pytest.mark.parametrize("compression", [False, True], ids=["plain", "deflate"])


def run(coro: Awaitable[Any], limit: float = LIMIT) -> Any:
    """Runs a test coroutine on a fresh loop, bounded in time; then closes the
    sockets of the wsproto peers it made."""

    async def bounded() -> Any:
        try:
            return await asyncio.wait_for(coro, limit)
        finally:
            while OPEN_PEERS:
                OPEN_PEERS.pop().abort()

    return asyncio.run(bounded())


def ws_compression(on: bool) -> Optional[str]:
    return "deflate" if on else None


async def echo(conn: ServerConnection) -> None:
    async for message in conn:
        await conn.send(message)


def sample_messages() -> List[Union[str, bytes]]:
    return [
        "",
        "hello",
        "h\u00e9llo w\u00f6rld \u2603 \U0001f600",
        b"",
        b"\x00\x01\x02\xff",
        "x" * 125,
        "y" * 126,
        b"z" * 65535,
        b"w" * 65536,
        os.urandom(200_000),
        "long text " * 30_000,
    ]


# --------------------------------------------------------------------------
# a small asyncio client and server on wsproto


OPEN_PEERS: List["Wsproto"] = []


class Wsproto:
    """One wsproto connection over asyncio streams, driven by hand."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, conn: wsproto.WSConnection):
        OPEN_PEERS.append(self)
        self.reader = reader
        self.writer = writer
        self.conn = conn
        self.pending: List[wpe.Event] = []
        self.accepted: Optional[wpe.AcceptConnection] = None
        self.auto_pong = True

    @classmethod
    async def connect(
        cls,
        port: int,
        path: str = "/",
        compression: bool = False,
        rcvbuf: Optional[int] = None,
        subprotocols: Tuple[str, ...] = (),
        sndbuf: Optional[int] = None,
    ) -> "Wsproto":
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if sndbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (HOST, port))
        reader, writer = await asyncio.open_connection(sock=sock)
        client = cls(reader, writer, wsproto.WSConnection(wsproto.ConnectionType.CLIENT))
        extensions = [PerMessageDeflate()] if compression else []
        client.send(
            wpe.Request(
                host=f"{HOST}:{port}", target=path, extensions=extensions, subprotocols=list(subprotocols)
            )
        )
        event = await client.next_event()
        assert isinstance(event, wpe.AcceptConnection), event
        client.accepted = event
        return client

    def send(self, event: wpe.Event) -> None:
        self.writer.write(self.conn.send(event))

    async def next_event(self) -> wpe.Event:
        while not self.pending:
            data = await self.reader.read(65536)
            self.conn.receive_data(data or None)
            self.pending.extend(self.conn.events())
            if not data and not self.pending:
                raise EOFError("stream ended")
        return self.pending.pop(0)

    async def recv(self) -> Union[str, bytes]:
        """The next whole message; answers Pings and Close frames on the way."""
        parts: List[Any] = []
        while True:
            event = await self.next_event()
            if isinstance(event, wpe.Ping) and self.auto_pong:
                self.send(event.response())
            elif isinstance(event, wpe.CloseConnection):
                if self.conn.state == wsproto.connection.ConnectionState.REMOTE_CLOSING:
                    self.send(event.response())
                raise ClosedByPeer(event.code, event.reason)
            elif isinstance(event, wpe.Message):
                parts.append(event.data)
                if event.message_finished:
                    return "".join(parts) if isinstance(event, wpe.TextMessage) else b"".join(parts)

    async def close(self, code: int = 1000, reason: str = "") -> wpe.CloseConnection:
        """Sends a Close frame and waits for the peer's."""
        self.send(wpe.CloseConnection(code=code, reason=reason))
        await self.writer.drain()
        while True:
            event = await self.next_event()
            if isinstance(event, wpe.CloseConnection):
                return event

    async def wait_eof(self) -> None:
        """Reads (and ignores) everything until the peer closes the stream."""
        while await self.reader.read(65536):
            pass

    def abort(self) -> None:
        self.writer.transport.abort()
        self.writer.close()


class ClosedByPeer(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


async def wsproto_server(
    on_connection: Callable[[Wsproto], Awaitable[None]], compression: bool = False
) -> asyncio.AbstractServer:
    """A wsproto server that accepts every handshake and then runs ``on_connection``."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = Wsproto(reader, writer, wsproto.WSConnection(wsproto.ConnectionType.SERVER))
        try:
            event = await peer.next_event()
            assert isinstance(event, wpe.Request)
            extensions = [PerMessageDeflate()] if compression else []
            peer.send(wpe.AcceptConnection(extensions=extensions))
            await on_connection(peer)
        except (EOFError, ConnectionError, ClosedByPeer):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, HOST, 0)


def port_of(server: Any) -> int:
    return int(server.sockets[0].getsockname()[1])
