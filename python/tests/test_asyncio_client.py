"""The wirestate.asyncio client over loopback against the ``websockets``
server (and wsproto-driven servers where the peer has to misbehave), with and
without permessage-deflate; plus open timeouts on both sides and the module's
public names. Every test runs under ``asyncio.wait_for`` with a few seconds at
most."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from typing import Any, List, Optional, Tuple

import pytest
import websockets
import websockets.asyncio.client as ws_client
import websockets.asyncio.server as ws_server
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
