"""The echo server example against the Python `websockets` client."""
from __future__ import annotations

import asyncio
import os
import random

import pytest
from websockets.asyncio.client import connect

OP_TIMEOUT = 20.0
SIZES = [0, 1, 125, 126, 127, 128, 65535, 65536, 65537, 200_000, 1 << 20]


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, timeout=90))


def client(url: str, compression: bool):
    return connect(url, compression="deflate" if compression else None,
                   proxy=None, max_size=4 << 20, open_timeout=OP_TIMEOUT,
                   close_timeout=OP_TIMEOUT, ping_interval=None)


def negotiated_extensions(ws) -> str:
    return ws.response.headers.get("Sec-WebSocket-Extensions", "")


def text_payload(size: int, rng: random.Random) -> str:
    # mixed ASCII and multi-byte code points, exactly `size` UTF-8 bytes
    alphabet = ["a", "Z", " ", "é", "中", "😀"]
    out, n = [], 0
    while n < size:
        ch = rng.choice(alphabet)
        if n + len(ch.encode()) > size:
            ch = "x"
        out.append(ch)
        n += len(ch.encode())
    return "".join(out)


async def close_cleanly(ws) -> None:
    await ws.close(1000, "done")
    assert ws.protocol.close_rcvd is not None, "no Close frame received from the server"
    assert ws.protocol.close_rcvd.code == 1000
    assert ws.close_code == 1000


@pytest.mark.parametrize("compression", [True, False], ids=["deflate", "plain"])
def test_extension_negotiation(echo_url, compression):
    async def main():
        async with client(echo_url, compression) as ws:
            ext = negotiated_extensions(ws)
            if compression:
                assert "permessage-deflate" in ext, f"compression not negotiated: {ext!r}"
            else:
                assert ext == "", f"extension negotiated though none was offered: {ext!r}"
            await close_cleanly(ws)
    run(main())


@pytest.mark.parametrize("compression", [True, False], ids=["deflate", "plain"])
@pytest.mark.parametrize("kind", ["text", "binary"])
def test_echo_sizes(echo_url, compression, kind):
    rng = random.Random(f"{kind}-{compression}")

    async def main():
        async with client(echo_url, compression) as ws:
            for size in SIZES:
                if kind == "text":
                    msg = text_payload(size, rng)
                else:
                    msg = rng.randbytes(size) if size % 2 else bytes(size)
                await ws.send(msg)
                got = await asyncio.wait_for(ws.recv(), OP_TIMEOUT)
                assert type(got) is type(msg), f"{size} B {kind}: got {type(got).__name__}"
                assert got == msg, f"{size} B {kind} message echoed wrong"
            await close_cleanly(ws)
    run(main())


@pytest.mark.parametrize("compression", [True, False], ids=["deflate", "plain"])
def test_many_messages_in_flight(echo_url, compression):
    """Pipelined sends: 200 messages written before reading any echo."""
    async def main():
        async with client(echo_url, compression) as ws:
            msgs = [os.urandom(i * 37 % 3000) if i % 2 else f"message {i} ✓" * (i % 50)
                    for i in range(200)]
            for m in msgs:
                await ws.send(m)
            for m in msgs:
                assert await asyncio.wait_for(ws.recv(), OP_TIMEOUT) == m
            await close_cleanly(ws)
    run(main())


@pytest.mark.parametrize("compression", [True, False], ids=["deflate", "plain"])
@pytest.mark.parametrize("kind", ["text", "binary"])
def test_fragmented_send(echo_url, compression, kind):
    """websockets sends an iterable as one fragmented message."""
    rng = random.Random(7)

    async def main():
        async with client(echo_url, compression) as ws:
            for sizes in ([1, 1], [0, 5, 0], [125, 126, 65536], [100_000] * 5):
                if kind == "text":
                    parts = [text_payload(s, rng) for s in sizes]
                    whole = "".join(parts)
                else:
                    parts = [rng.randbytes(s) for s in sizes]
                    whole = b"".join(parts)
                await ws.send(parts)
                got = await asyncio.wait_for(ws.recv(), OP_TIMEOUT)
                assert got == whole, f"fragmented {kind} {sizes} echoed wrong"
            await close_cleanly(ws)
    run(main())


@pytest.mark.parametrize("compression", [True, False], ids=["deflate", "plain"])
def test_ping_pong(echo_url, compression):
    async def main():
        async with client(echo_url, compression) as ws:
            for payload in (b"", b"x", b"\x00\xff" * 62 + b"!"):  # up to 125 bytes
                waiter = await ws.ping(payload)
                await asyncio.wait_for(waiter, OP_TIMEOUT)
            # a ping between messages does not disturb the echo
            await ws.send("before")
            waiter = await ws.ping(b"mid")
            await ws.send(b"after")
            assert await asyncio.wait_for(ws.recv(), OP_TIMEOUT) == "before"
            assert await asyncio.wait_for(ws.recv(), OP_TIMEOUT) == b"after"
            await asyncio.wait_for(waiter, OP_TIMEOUT)
            await close_cleanly(ws)
    run(main())


def test_close_reason_echoed(echo_url):
    async def main():
        async with client(echo_url, True) as ws:
            await ws.send("hello")
            assert await asyncio.wait_for(ws.recv(), OP_TIMEOUT) == "hello"
            await ws.close(1000, "bye ✓")
            assert ws.protocol.close_rcvd is not None
            assert ws.protocol.close_rcvd.code == 1000
            assert ws.close_code == 1000
            # the server closes TCP after the closing handshake
            await asyncio.wait_for(ws.wait_closed(), OP_TIMEOUT)
    run(main())


def test_concurrent_connections(echo_url):
    """A thread per connection: 20 clients at once, each echoing its own data."""
    async def one(i: int):
        async with client(echo_url, i % 2 == 0) as ws:
            for j in range(20):
                msg = f"{i}:{j}:" + "w" * (i * j)
                await ws.send(msg)
                assert await asyncio.wait_for(ws.recv(), OP_TIMEOUT) == msg
            await close_cleanly(ws)

    async def main():
        await asyncio.gather(*(one(i) for i in range(20)))
    run(main())
