"""The wirestate.asyncio server over loopback: against the ``websockets``
client and against an asyncio client driven by ``wsproto``, with and without
permessage-deflate; close codes, handler errors, server close, limits,
subprotocols, ``process_request``, keepalive and close timeouts, and
backpressure. Every test runs under ``asyncio.wait_for`` with a few seconds at
most; the timer tests use real short intervals (0.2 s), since these are real
sockets and a real clock."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from typing import Any, List, Optional

import pytest
import websockets
import websockets.asyncio.client as ws_client
import wsproto
import wsproto.events as wpe

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

from asyncio_support import (
    HOST,
    LIMIT,
    COMPRESSION,
    run,
    ws_compression,
    echo,
    sample_messages,
    Wsproto,
    ClosedByPeer,
    wsproto_server,
    port_of,
)


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
