"""wirestate.asyncio over loopback sockets, against other implementations.

- the wirestate server against the ``websockets`` client and against a small
  asyncio client driven by ``wsproto``;
- the wirestate client against the ``websockets`` server (and against a
  wsproto-driven server where a peer has to misbehave);

each with and without permessage-deflate. Every test runs under
``asyncio.wait_for`` with a few seconds at most; the timer tests use real
short intervals (0.2 s), since these are real sockets and a real clock.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from typing import Any, Awaitable, Callable, List, Optional, Tuple, Union

import pytest
import websockets
import websockets.asyncio.client as ws_client
import websockets.asyncio.server as ws_server
import wsproto
import wsproto.events as wpe
from wsproto.extensions import PerMessageDeflate

from wirestate import ws
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


# --------------------------------------------------------------------------
# wirestate server, websockets client


@COMPRESSION
def test_server_echo_with_websockets_client(compression: bool) -> None:
    seen: List[ServerConnection] = []

    async def handler(conn: ServerConnection) -> None:
        seen.append(conn)
        await echo(conn)

    async def main() -> None:
        async with serve(handler, HOST, 0, compression=compression) as server:
            uri = f"ws://{HOST}:{server.port}/echo?x=1"
            async with ws_client.connect(uri, compression=ws_compression(compression), proxy=None) as client:
                ext = client.response.headers.get("Sec-WebSocket-Extensions")
                assert (ext is not None and ext.startswith("permessage-deflate")) == compression
                for message in sample_messages():
                    await client.send(message)
                    assert await client.recv() == message
                # Several in flight at once.
                for i in range(200):
                    await client.send(f"m{i}" if i % 2 else f"b{i}".encode())
                for i in range(200):
                    assert await client.recv() == (f"m{i}" if i % 2 else f"b{i}".encode())
            conn = seen[0]
            await conn.wait_closed()
            assert conn.compressed == compression
            assert conn.request.path == "/echo?x=1"
            assert conn.request.headers["host"] == f"{HOST}:{server.port}"
            assert "websockets" in (conn.request.headers.get("User-Agent") or "")
            assert (conn.close_code, conn.close_reason, conn.close_clean) == (1000, "", True)

    run(main())


@COMPRESSION
def test_server_receives_fragmented_messages_from_websockets(compression: bool) -> None:
    async def main() -> None:
        async with serve(echo, HOST, 0, compression=compression) as server:
            uri = f"ws://{HOST}:{server.port}/"
            async with ws_client.connect(uri, compression=ws_compression(compression), proxy=None) as client:
                await client.send(["fr", "ag", "m\u00e9nt", "ed"])
                assert await client.recv() == "fragm\u00e9nted"
                await client.send([b"a" * 70_000, b"", b"b" * 10])
                assert await client.recv() == b"a" * 70_000 + b"b" * 10

    run(main())


@COMPRESSION
def test_ping_pong_both_ways_with_websockets(compression: bool) -> None:
    latencies: List[float] = []

    async def handler(conn: ServerConnection) -> None:
        waiter = await conn.ping(b"from-server")
        latencies.append(await waiter)
        await echo(conn)

    async def main() -> None:
        async with serve(handler, HOST, 0, compression=compression) as server:
            uri = f"ws://{HOST}:{server.port}/"
            async with ws_client.connect(uri, compression=ws_compression(compression), proxy=None) as client:
                pong = await client.ping(b"from-client")
                await asyncio.wait_for(pong, 2)
                await client.send("after")
                assert await client.recv() == "after"
        assert len(latencies) == 1 and 0 <= latencies[0] < 2

    run(main())


@COMPRESSION
def test_client_close_code_reaches_server(compression: bool) -> None:
    result: List[Any] = []

    async def handler(conn: ServerConnection) -> None:
        try:
            await conn.recv()
        except ConnectionClosed as exc:
            result.append(exc)
        await conn.wait_closed()
        result.append((conn.close_code, conn.close_reason, conn.close_clean))

    async def main() -> None:
        async with serve(handler, HOST, 0, compression=compression) as server:
            async with ws_client.connect(f"ws://{HOST}:{server.port}/", proxy=None) as client:
                await client.close(4000, "done here")
            await asyncio.sleep(0)
        exc, state = result
        assert isinstance(exc, ConnectionClosedError)
        assert (exc.code, exc.reason, exc.clean) == (4000, "done here", True)
        assert state == (4000, "done here", True)

    run(main())


@COMPRESSION
def test_server_close_code_reaches_websockets_client(compression: bool) -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.close(4321, "server says bye")
        assert conn.close_code == 4321 and conn.close_clean

    async def main() -> None:
        async with serve(handler, HOST, 0, compression=compression) as server:
            async with ws_client.connect(f"ws://{HOST}:{server.port}/", proxy=None) as client:
                with pytest.raises(websockets.ConnectionClosed):
                    await client.recv()
                assert client.close_code == 4321
                assert client.close_reason == "server says bye"

    run(main())


def test_async_for_ends_quietly_on_normal_close() -> None:
    received: List[Any] = []

    async def handler(conn: ServerConnection) -> None:
        async for message in conn:
            received.append(message)
        received.append("end")

    async def main() -> None:
        async with serve(handler, HOST, 0) as server:
            async with ws_client.connect(f"ws://{HOST}:{server.port}/", proxy=None) as client:
                await client.send("one")
                await client.send(b"two")
        assert received == ["one", b"two", "end"]

    run(main())


def test_handler_exception_closes_with_1011() -> None:
    async def handler(conn: ServerConnection) -> None:
        await conn.recv()
        raise ValueError("boom")

    async def main() -> None:
        async with serve(handler, HOST, 0) as server:
            async with ws_client.connect(f"ws://{HOST}:{server.port}/", proxy=None) as client:
                await client.send("trigger")
                with pytest.raises(websockets.ConnectionClosedError):
                    await client.recv()
                assert client.close_code == 1011

    run(main())


def test_server_close_closes_connections_with_1001() -> None:
    handler_done: List[str] = []

    async def handler(conn: ServerConnection) -> None:
        try:
            await conn.recv()
        except ConnectionClosedOK as exc:
            handler_done.append(f"{exc.code}")

    async def main() -> None:
        server = await serve(handler, HOST, 0)
        port = server.port
        clients = [await ws_client.connect(f"ws://{HOST}:{port}/", proxy=None) for _ in range(3)]
        await asyncio.sleep(0.05)
        assert len(server.connections) == 3
        server.close()
        await server.wait_closed()
        for client in clients:
            with pytest.raises(websockets.ConnectionClosedOK):
                await client.recv()
            assert client.close_code == 1001
        assert handler_done == ["1001"] * 3
        assert server.connections == set()
        with pytest.raises(OSError):
            await ws_client.connect(f"ws://{HOST}:{port}/", proxy=None, open_timeout=1)

    run(main())


def test_message_too_big_closes_with_1009() -> None:
    async def main() -> None:
        async with serve(echo, HOST, 0, max_message_size=1000) as server:
            async with ws_client.connect(f"ws://{HOST}:{server.port}/", proxy=None) as client:
                await client.send("x" * 1000)
                assert await client.recv() == "x" * 1000
                await client.send("x" * 1001)
                with pytest.raises(websockets.ConnectionClosedError):
                    await client.recv()
                assert client.close_code == 1009

    run(main())


def test_subprotocol_negotiation_with_websockets() -> None:
    chosen: List[Optional[str]] = []

    async def handler(conn: ServerConnection) -> None:
        chosen.append(conn.subprotocol)

    async def main() -> None:
        async with serve(handler, HOST, 0, subprotocols=["chat.v2", "chat.v1"]) as server:
            async with ws_client.connect(
                f"ws://{HOST}:{server.port}/", subprotocols=["chat.v1", "chat.v2"], proxy=None
            ) as client:
                assert client.subprotocol == "chat.v1"
                with pytest.raises(websockets.ConnectionClosedOK):
                    await client.recv()
        assert chosen == ["chat.v1"]

    run(main())


def test_process_request_serves_http_and_refuses_upgrades() -> None:
    page = b"<!doctype html><title>t</title>"

    def process_request(conn: ServerConnection, request: Request) -> Any:
        assert conn.request is request
        if request.path == "/":
            return (200, [("Content-Type", "text/html")], page)
        if request.path == "/forbidden":
            return (403, [("Content-Type", "text/plain")], b"no\n")
        return None

    async def main() -> None:
        async with serve(echo, HOST, 0, process_request=process_request) as server:
            reader, writer = await asyncio.open_connection(HOST, server.port)
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            response = await reader.read()  # the server closes after the response
            writer.close()
            head, _, body = response.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200 OK\r\n")
            assert b"Content-Length: %d" % len(page) in head
            assert body == page

            # A plain GET the hook leaves alone: the core answers it.
            reader, writer = await asyncio.open_connection(HOST, server.port)
            writer.write(b"GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
            response = await reader.read()
            writer.close()
            assert response.startswith(b"HTTP/1.1 4")

            with pytest.raises(websockets.InvalidStatus) as info:
                await ws_client.connect(f"ws://{HOST}:{server.port}/forbidden", proxy=None)
            assert info.value.response.status_code == 403

            async with ws_client.connect(f"ws://{HOST}:{server.port}/ws", proxy=None) as client:
                await client.send("through")
                assert await client.recv() == "through"

    run(main())


def test_async_process_request() -> None:
    async def process_request(conn: ServerConnection, request: Request) -> Any:
        await asyncio.sleep(0.05)
        return None

    async def main() -> None:
        async with serve(echo, HOST, 0, process_request=process_request) as server:
            async with ws_client.connect(f"ws://{HOST}:{server.port}/", proxy=None) as client:
                await client.send("early")
                assert await client.recv() == "early"

    run(main())


# --------------------------------------------------------------------------
# wirestate server, wsproto client


@COMPRESSION
def test_server_echo_with_wsproto_client(compression: bool) -> None:
    seen: List[ServerConnection] = []

    async def handler(conn: ServerConnection) -> None:
        seen.append(conn)
        await echo(conn)

    async def main() -> None:
        async with serve(handler, HOST, 0, compression=compression) as server:
            client = await Wsproto.connect(server.port, "/wsproto", compression=compression)
            assert client.accepted is not None
            assert bool(client.accepted.extensions) == compression
            for message in sample_messages():
                client.send(wpe.Message(data=message))
                assert await client.recv() == message
            # Fragmented input: a text message in pieces, a ping between them.
            client.send(wpe.TextMessage(data="frag", message_finished=False))
            client.send(wpe.Ping(payload=b"between"))
            client.send(wpe.TextMessage(data="ments \u00e9", message_finished=False))
            client.send(wpe.TextMessage(data="", message_finished=True))
            pong = await client.next_event()
            assert isinstance(pong, wpe.Pong) and pong.payload == b"between"
            assert await client.recv() == "fragments \u00e9"
            client.send(wpe.BytesMessage(data=b"1" * 100_000, message_finished=False))
            client.send(wpe.BytesMessage(data=b"2" * 100_000, message_finished=True))
            assert await client.recv() == b"1" * 100_000 + b"2" * 100_000
            reply = await client.close(1000, "bye")
            assert (reply.code, reply.reason) == (1000, "")
            await client.wait_eof()  # the server closes the TCP connection first
            await seen[0].wait_closed()
            assert seen[0].compressed == compression
            assert (seen[0].close_code, seen[0].close_reason) == (1000, "bye")

    run(main())


@COMPRESSION
def test_server_close_code_reaches_wsproto_client(compression: bool) -> None:
    async def handler(conn: ServerConnection) -> None:
        assert await conn.recv() == "close please"
        await conn.close(3001, "as asked")

    async def main() -> None:
        async with serve(handler, HOST, 0, compression=compression) as server:
            client = await Wsproto.connect(server.port, compression=compression)
            client.send(wpe.Message(data="close please"))
            with pytest.raises(ClosedByPeer) as info:
                await client.recv()
            assert (info.value.code, info.value.reason) == (3001, "as asked")
            await client.wait_eof()

    run(main())


@COMPRESSION
def test_server_keepalive_timeout_against_silent_peer(compression: bool) -> None:
    result: List[Any] = []

    async def handler(conn: ServerConnection) -> None:
        start = time.monotonic()
        try:
            await conn.recv()
        except ConnectionClosedError as exc:
            result.append((exc.code, time.monotonic() - start))

    async def main() -> None:
        async with serve(
            handler, HOST, 0, compression=compression, ping_interval=0.2, ping_timeout=0.2
        ) as server:
            client = await Wsproto.connect(server.port, compression=compression)
            # The client reads nothing, so it answers no Ping.
            while not result:
                await asyncio.sleep(0.05)
            code, elapsed = result[0]
            assert code == 1011
            assert 0.35 <= elapsed < 1.5
            # What the server sent: its keepalive Ping, then Close 1011.
            client.auto_pong = False
            event = await client.next_event()
            assert isinstance(event, wpe.Ping) and len(event.payload) == 4
            with pytest.raises(ClosedByPeer) as info:
                await client.recv()
            assert info.value.code == 1011

    run(main())


def test_server_keepalive_keeps_answering_peer_alive() -> None:
    async def main() -> None:
        async with serve(echo, HOST, 0, ping_interval=0.1, ping_timeout=0.1) as server:
            async with ws_client.connect(f"ws://{HOST}:{server.port}/", proxy=None, ping_interval=None) as client:
                await asyncio.sleep(0.6)  # several keepalive rounds, answered by websockets
                await client.send("still here")
                assert await client.recv() == "still here"

    run(main())


def test_server_close_timeout_against_silent_peer() -> None:
    result: List[Any] = []

    async def handler(conn: ServerConnection) -> None:
        start = time.monotonic()
        await conn.close(1000, "")
        result.append((conn.close_code, conn.close_clean, time.monotonic() - start))

    async def main() -> None:
        async with serve(handler, HOST, 0, close_timeout=0.3, ping_interval=None) as server:
            client = await Wsproto.connect(server.port)
            while not result:
                await asyncio.sleep(0.05)
            code, clean, elapsed = result[0]
            assert (code, clean) == (1006, False)
            assert 0.25 <= elapsed < 1.5
            client.abort()

    run(main())


@COMPRESSION
def test_server_send_backpressure_with_wsproto_client(compression: bool) -> None:
    block = os.urandom(128 << 10)  # incompressible
    count = 24
    progress: List[int] = [0]
    blocked_at: List[int] = []
    conns: List[ServerConnection] = []

    async def handler(conn: ServerConnection) -> None:
        conns.append(conn)
        for i in range(count):
            await conn.send(block)
            progress[0] = i + 1
        await conn.recv()

    async def main() -> None:
        # Small kernel buffers on both ends, so that the sender stalls early.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 << 10)  # inherited by accepted sockets
        listener.bind((HOST, 0))
        async with serve(handler, sock=listener, compression=compression, write_limit=64 << 10) as server:
            client = await Wsproto.connect(server.port, compression=compression, rcvbuf=64 << 10)
            # The client does not read: the sender must stall well before the end.
            last = -1
            while progress[0] != last:
                last = progress[0]
                await asyncio.sleep(0.2)
            assert progress[0] < count
            conn = conns[0]
            assert conn.buffered_amount > 64 << 10  # held in the core's queue
            blocked_at.append(progress[0])
            # Reading resumes the sender; every message arrives intact.
            for _ in range(count):
                assert await client.recv() == block
            assert progress[0] == count
            client.send(wpe.Message(data="done"))
            await client.close()

    run(main())
    assert blocked_at and blocked_at[0] < count


def test_server_stops_reading_while_messages_wait_unread() -> None:
    async def main() -> None:
        release = asyncio.Event()
        got: List[int] = []

        async def handler(conn: ServerConnection) -> None:
            await release.wait()
            async for message in conn:
                got.append(len(message))

        # Small kernel buffers on both ends, so that 8 MiB cannot hide in them.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)  # inherited by accepted sockets
        listener.bind((HOST, 0))
        async with serve(handler, sock=listener, compression=False, max_queue=4) as server:
            client = await Wsproto.connect(server.port, sndbuf=64 << 10)
            data = os.urandom(128 << 10)
            for _ in range(64):  # 8 MiB: more than the socket buffers hold
                client.send(wpe.Message(data=data))
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(client.writer.drain(), 0.3)
            release.set()
            await asyncio.wait_for(client.writer.drain(), 3)
            await client.close()
        assert got == [128 << 10] * 64

    run(main())


# --------------------------------------------------------------------------
# wirestate client, websockets server


async def ws_echo(conn: ws_server.ServerConnection) -> None:
    async for message in conn:
        await conn.send(message)


@COMPRESSION
def test_client_echo_with_websockets_server(compression: bool) -> None:
    async def main() -> None:
        async with ws_server.serve(ws_echo, HOST, 0, compression=ws_compression(compression)) as server:
            uri = f"ws://{HOST}:{port_of(server)}/path?q=1"
            async with connect(uri, compression=compression) as conn:
                assert isinstance(conn, ClientConnection)
                assert conn.compressed == compression
                for message in sample_messages():
                    await conn.send(message)
                    assert await conn.recv() == message
                # Fragments out: an iterable and an async iterable.
                await conn.send(["a", "b", "\u00e7"])
                assert await conn.recv() == "ab\u00e7"

                async def pieces() -> Any:
                    yield b"x" * 70_000
                    yield b"y"

                await conn.send(pieces())
                assert await conn.recv() == b"x" * 70_000 + b"y"
            assert (conn.close_code, conn.close_reason, conn.close_clean) == (1000, "", True)

    run(main())


@COMPRESSION
def test_client_receives_fragmented_messages_from_websockets(compression: bool) -> None:
    async def handler(conn: ws_server.ServerConnection) -> None:
        await conn.send(["one ", "two ", "thr\u00e9e"])
        await conn.send([b"\x00" * 100_000, b"\x01"])
        await conn.wait_closed()

    async def main() -> None:
        async with ws_server.serve(handler, HOST, 0, compression=ws_compression(compression)) as server:
            async with connect(f"ws://{HOST}:{port_of(server)}/", compression=compression) as conn:
                assert await conn.recv() == "one two thr\u00e9e"
                assert await conn.recv() == b"\x00" * 100_000 + b"\x01"

    run(main())


@COMPRESSION
def test_client_ping_pong_with_websockets_server(compression: bool) -> None:
    async def handler(conn: ws_server.ServerConnection) -> None:
        pong = await conn.ping(b"srv")
        await asyncio.wait_for(pong, 2)
        await ws_echo(conn)

    async def main() -> None:
        async with ws_server.serve(handler, HOST, 0, compression=ws_compression(compression)) as server:
            async with connect(f"ws://{HOST}:{port_of(server)}/", compression=compression) as conn:
                waiters = [await conn.ping(), await conn.ping(b"explicit"), await conn.ping("text")]
                latencies = await asyncio.gather(*waiters)
                assert all(0 <= t < 2 for t in latencies)
                await conn.send("after pings")
                assert await conn.recv() == "after pings"

    run(main())


@COMPRESSION
def test_client_close_codes_both_ways_with_websockets(compression: bool) -> None:
    seen: List[Tuple[Optional[int], Optional[str]]] = []

    async def handler(conn: ws_server.ServerConnection) -> None:
        message = await conn.recv()
        if message == "close me":
            await conn.close(4002, "server closing")
        else:
            await conn.wait_closed()
            rcvd = conn.close_code, conn.close_reason
            seen.append(rcvd)

    async def main() -> None:
        async with ws_server.serve(handler, HOST, 0, compression=ws_compression(compression)) as server:
            uri = f"ws://{HOST}:{port_of(server)}/"
            async with connect(uri, compression=compression) as conn:
                await conn.send("close me")
                with pytest.raises(ConnectionClosedError) as info:
                    await conn.recv()
                assert (info.value.code, info.value.reason, info.value.clean) == (4002, "server closing", True)
                with pytest.raises(ConnectionClosed):
                    await conn.send("too late")
            conn = await connect(uri, compression=compression)
            await conn.send("hold")
            await conn.close(4003, "client closing")
            assert (conn.close_code, conn.close_clean) == (4003, True)
            await asyncio.sleep(0.05)
            assert seen == [(4003, "client closing")]

    run(main())


def test_client_subprotocol_origin_and_headers() -> None:
    seen: List[Any] = []

    async def handler(conn: ws_server.ServerConnection) -> None:
        seen.append((conn.request.path, conn.request.headers.get("Origin"), conn.request.headers.get("X-Test")))
        await conn.close()

    async def main() -> None:
        async with ws_server.serve(handler, HOST, 0, subprotocols=["b", "a"]) as server:
            async with connect(
                f"ws://{HOST}:{port_of(server)}/p",
                subprotocols=["a", "b"],
                origin="http://example.test",
                extra_headers=[("X-Test", "yes")],
            ) as conn:
                assert conn.subprotocol in ("a", "b")
                with pytest.raises(ConnectionClosedOK):
                    await conn.recv()
        assert seen == [("/p", "http://example.test", "yes")]

    run(main())


def test_client_handshake_rejected() -> None:
    def process_request(conn: Any, request: Any) -> Any:
        return conn.respond(401, "go away\n")

    async def main() -> None:
        async with ws_server.serve(ws_echo, HOST, 0, process_request=process_request) as server:
            with pytest.raises(HandshakeError) as info:
                await connect(f"ws://{HOST}:{port_of(server)}/")
            assert info.value.status == 401
            assert info.value.body == b"go away\n"

    run(main())


def test_client_connect_refused_and_bad_uri() -> None:
    async def main() -> None:
        sock = socket.socket()
        sock.bind((HOST, 0))
        port = sock.getsockname()[1]
        sock.close()
        with pytest.raises(OSError):
            await connect(f"ws://{HOST}:{port}/")
        with pytest.raises(ValueError):
            connect("http://example.test/")

    run(main())


def test_client_message_too_big_closes_with_1009() -> None:
    async def handler(conn: ws_server.ServerConnection) -> None:
        await conn.send(b"x" * 2000)
        await conn.wait_closed()

    async def main() -> None:
        async with ws_server.serve(handler, HOST, 0) as server:
            conn = await connect(f"ws://{HOST}:{port_of(server)}/", max_message_size=1000)
            with pytest.raises(ConnectionClosedError) as info:
                await conn.recv()
            assert info.value.code == 1009

    run(main())


@COMPRESSION
def test_client_keepalive_timeout_against_silent_server(compression: bool) -> None:
    async def silent(peer: Wsproto) -> None:
        await peer.wait_eof()  # answers nothing

    async def main() -> None:
        server = await wsproto_server(silent, compression=compression)
        async with server:
            conn = await connect(
                f"ws://{HOST}:{port_of(server)}/", compression=compression, ping_interval=0.2, ping_timeout=0.2
            )
            start = time.monotonic()
            with pytest.raises(ConnectionClosedError) as info:
                await conn.recv()
            elapsed = time.monotonic() - start
            assert info.value.code == 1011
            assert 0.35 <= elapsed < 1.5
            await conn.wait_closed()
            server.close()

    run(main())


def test_client_keepalive_with_websockets_server() -> None:
    async def main() -> None:
        async with ws_server.serve(ws_echo, HOST, 0, ping_interval=None) as server:
            async with connect(f"ws://{HOST}:{port_of(server)}/", ping_interval=0.1, ping_timeout=0.1) as conn:
                await asyncio.sleep(0.6)
                await conn.send("alive")
                assert await conn.recv() == "alive"
                # A Pong counts as traffic, so the core pings every other interval.
                assert conn.stats["pongs_received"] >= 2

    run(main())


def test_client_close_timeout_against_silent_server() -> None:
    async def silent(peer: Wsproto) -> None:
        await peer.wait_eof()  # answers nothing, not even Close

    async def main() -> None:
        server = await wsproto_server(silent)
        async with server:
            conn = await connect(f"ws://{HOST}:{port_of(server)}/", close_timeout=0.3, ping_interval=None)
            start = time.monotonic()
            await conn.close()
            elapsed = time.monotonic() - start
            assert (conn.close_code, conn.close_clean) == (1006, False)
            assert 0.25 <= elapsed < 1.5
            server.close()

    run(main())


def test_client_close_timeout_when_server_keeps_tcp_open() -> None:
    async def answers_close_but_keeps_tcp(peer: Wsproto) -> None:
        while True:
            event = await peer.next_event()
            if isinstance(event, wpe.CloseConnection):
                peer.send(event.response())
                await peer.wait_eof()  # the server should close TCP now; it does not
                return

    async def main() -> None:
        server = await wsproto_server(answers_close_but_keeps_tcp)
        async with server:
            conn = await connect(f"ws://{HOST}:{port_of(server)}/", close_timeout=0.3, ping_interval=None)
            start = time.monotonic()
            await conn.close(1000, "bye")
            elapsed = time.monotonic() - start
            # The handshake completed: a clean close, after waiting close_timeout.
            assert (conn.close_code, conn.close_clean) == (1000, True)
            assert 0.25 <= elapsed < 1.5
            server.close()

    run(main())


def test_client_send_backpressure_with_websockets_server() -> None:
    block = os.urandom(128 << 10)
    count = 24
    progress = [0]

    async def main() -> None:
        release = asyncio.Event()

        async def slow_reader(conn: ws_server.ServerConnection) -> None:
            await release.wait()
            for _ in range(count):
                assert await conn.recv() == block
            await conn.send("all received")
            await conn.wait_closed()

        # Small kernel buffers on both ends (receive autotuning could otherwise
        # soak up the whole transfer).
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)
        listener.bind((HOST, 0))
        async with ws_server.serve(
            slow_reader, sock=listener, compression=None, max_queue=1, max_size=None
        ) as server:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 << 10)
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, (HOST, port_of(server)))
            conn = await connect(f"ws://{HOST}:{port_of(server)}/", compression=False, sock=sock)

            async def sender() -> None:
                for i in range(count):
                    await conn.send(block)
                    progress[0] = i + 1

            task = asyncio.ensure_future(sender())
            last = -1
            while progress[0] != last:
                last = progress[0]
                await asyncio.sleep(0.2)
            assert progress[0] < count and not task.done()
            assert conn.buffered_amount > 64 << 10
            release.set()
            await task
            assert await conn.recv() == "all received"
            await conn.close()

    run(main())


def test_public_names_have_docstrings() -> None:
    import wirestate.asyncio as wa

    for name in wa.__all__:
        assert getattr(wa, name).__doc__, name
    assert Server.close.__doc__ and ws.State.OPEN


def test_server_open_timeout_against_silent_client() -> None:
    handled: List[ServerConnection] = []

    async def handler(conn: ServerConnection) -> None:
        handled.append(conn)

    async def main() -> None:
        async with serve(handler, HOST, 0, open_timeout=0.3) as server:
            reader, writer = await asyncio.open_connection(HOST, server.port)
            start = time.monotonic()
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and never the end of the head
            assert await reader.read() == b""  # the server hangs up
            assert 0.25 <= time.monotonic() - start < 1.5
            writer.close()
        assert handled == []

    run(main())


def test_client_open_timeout_against_silent_server() -> None:
    async def main() -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while await reader.read(65536):  # reads the request, never answers
                pass
            writer.close()

        server = await asyncio.start_server(handle, HOST, 0)
        async with server:
            start = time.monotonic()
            with pytest.raises(HandshakeError) as info:
                await connect(f"ws://{HOST}:{port_of(server)}/", open_timeout=0.3)
            assert info.value.status is None
            assert 0.25 <= time.monotonic() - start < 1.5
            server.close()

    run(main())


def test_one_recv_at_a_time_and_headers() -> None:
    async def handler(conn: ServerConnection) -> None:
        headers = conn.request.headers
        assert headers.get_all("x-twice") == ["1", "2"]
        assert "X-TWICE" in headers and "absent" not in headers
        with pytest.raises(KeyError):
            headers["absent"]
        assert conn.request.host == headers["Host"] and not conn.request.origin
        first = asyncio.ensure_future(conn.recv())
        await asyncio.sleep(0.01)
        with pytest.raises(RuntimeError):
            await conn.recv()
        await conn.send("ready")
        assert await first == "one"

    async def main() -> None:
        async with serve(handler, HOST, 0) as server:
            async with ws_client.connect(
                f"ws://{HOST}:{server.port}/", proxy=None, additional_headers=[("X-Twice", "1"), ("X-Twice", "2")]
            ) as client:
                assert await client.recv() == "ready"
                await client.send("one")
                with pytest.raises(websockets.ConnectionClosedOK):
                    await client.recv()

    run(main())


def test_frames_right_behind_the_request_wait_for_process_request() -> None:
    request = (
        b"GET /early HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    mask = b"\x37\xfa\x21\x3d"
    payload = b"right behind"
    frame = bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    calls: List[str] = []

    async def process_request(conn: ServerConnection, req: Request) -> Any:
        calls.append(req.path)
        await asyncio.sleep(0.1)  # the frame arrives meanwhile
        return None

    async def main() -> None:
        async with serve(echo, HOST, 0, compression=False, process_request=process_request) as server:
            reader, writer = await asyncio.open_connection(HOST, server.port)
            writer.write(request + frame)  # one write: the frame does not wait for the 101
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 101")
            echoed = await reader.readexactly(2 + len(payload))
            assert echoed == bytes([0x81, len(payload)]) + payload
            writer.close()
        assert calls == ["/early"]

    run(main())
