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

from ._base import (
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    Data,
    HandshakeError,
)
from ._client import ClientConnection, connect
from ._connection import Connection
from ._http import Headers, Request, Response
from ._server import Server, ServerConnection, serve

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
