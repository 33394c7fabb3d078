"""The ws_client example (a wirestate client) against a `websockets` server.

Contract of the example (also in README.md here):
  ws_client ws://127.0.0.1:PORT/path --count N --size S [--no-compression]
sends N binary messages of S pseudo-random bytes, expects each echoed back
byte-exact, closes with code 1000, prints one line `ok N messages` and exits 0;
any mismatch or protocol failure exits non-zero.
"""
from __future__ import annotations

import asyncio
import os
import signal

import pytest
from websockets.asyncio.server import serve

from conftest import HOST

CLIENT_TIMEOUT = 60.0


class Recorder:
    """What the websockets server saw of each connection."""

    def __init__(self):
        self.paths: list[str] = []
        self.extensions: list[str] = []
        self.messages: list[bytes | str] = []
        self.close_codes: list[int | None] = []


def echo_handler(rec: Recorder, corrupt_at: int | None = None):
    async def handler(ws):
        rec.paths.append(ws.request.path)
        rec.extensions.append(ws.response.headers.get("Sec-WebSocket-Extensions", ""))
        try:
            async for msg in ws:
                rec.messages.append(msg)
                if corrupt_at is not None and len(rec.messages) == corrupt_at + 1 and msg:
                    msg = bytes([msg[0] ^ 0xFF]) + msg[1:]
                await ws.send(msg)
        finally:
            rcvd = ws.protocol.close_rcvd
            rec.close_codes.append(rcvd.code if rcvd is not None else None)
    return handler


async def run_client(cmd: list[str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *cmd, *args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, start_new_session=True)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), CLIENT_TIMEOUT)
    except asyncio.TimeoutError:
        os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
        raise AssertionError(f"{cmd[0]} did not finish within {CLIENT_TIMEOUT}s")
    finally:
        if proc.returncode is None:
            os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


async def with_server(handler, compression: bool, body):
    async with serve(handler, HOST, 0, compression="deflate" if compression else None,
                     max_size=None, ping_interval=None) as server:
        port = server.sockets[0].getsockname()[1]
        return await body(port)


@pytest.mark.parametrize("count,size", [(1, 0), (10, 1), (50, 125), (20, 126), (10, 65536),
                                        (3, 1 << 20)])
@pytest.mark.parametrize("compression", [True, False], ids=["deflate", "plain"])
def test_ws_client_echo(ws_client_cmd, compression, count, size):
    rec = Recorder()

    async def body(port):
        args = [f"ws://{HOST}:{port}/interop/echo", "--count", str(count), "--size", str(size)]
        if not compression:
            args.append("--no-compression")
        return await run_client(ws_client_cmd, *args)

    code, out, err = asyncio.run(with_server(echo_handler(rec), True, body))
    assert code == 0, f"ws_client exited {code}\nstdout: {out}\nstderr: {err}"
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines and lines[-1].strip() == f"ok {count} messages", f"unexpected output: {out!r}"
    assert rec.paths == ["/interop/echo"]
    if compression:
        assert "permessage-deflate" in rec.extensions[0], \
            f"client did not negotiate compression: {rec.extensions[0]!r}"
    else:
        assert rec.extensions[0] == "", f"compression negotiated with --no-compression: {rec.extensions[0]!r}"
    assert len(rec.messages) == count
    assert all(isinstance(m, bytes) and len(m) == size for m in rec.messages)
    if size >= 16 and count > 1:
        assert len(set(rec.messages)) > 1, "messages are not pseudo-random (all equal)"
    assert rec.close_codes == [1000], f"client closed with {rec.close_codes}"


def test_ws_client_against_server_without_compression(ws_client_cmd):
    """The client offers permessage-deflate; a server that declines must still work."""
    rec = Recorder()

    async def body(port):
        return await run_client(ws_client_cmd, f"ws://{HOST}:{port}/", "--count", "5",
                                "--size", "1000")

    code, out, err = asyncio.run(with_server(echo_handler(rec), False, body))
    assert code == 0, f"ws_client exited {code}\nstdout: {out}\nstderr: {err}"
    assert rec.extensions == [""]
    assert rec.close_codes == [1000]


def test_ws_client_detects_corruption(ws_client_cmd):
    """A server that echoes one message wrong makes the client fail."""
    rec = Recorder()

    async def body(port):
        return await run_client(ws_client_cmd, f"ws://{HOST}:{port}/", "--count", "5",
                                "--size", "100")

    code, out, err = asyncio.run(with_server(echo_handler(rec, corrupt_at=2), True, body))
    assert code != 0, f"ws_client accepted a corrupted echo\nstdout: {out}"
    assert "ok 5 messages" not in out
