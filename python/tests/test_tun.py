"""wirestate.tun against the Linux kernel's own TCP (root only).

The test makes a network namespace with a TUN device in it, and runs this
same file inside the namespace as a program: a wirestate.tun.TunStack on the
device, and kernel sockets on the device's address, in one asyncio loop.

  1. a kernel client sends 16 MiB to a Python echo server and reads it back;
  2. a Python client sends 16 MiB to a kernel echo server and reads it back;
  3. a Python client is refused by a kernel port nobody listens on;
  4. a Python server sends 1 MiB and closes first, a kernel client reads it;
  5. a Python client aborts, and the kernel server sees the reset.

Both checked by sha256, each bounded in time. The namespace is removed
whatever happens.
"""

import asyncio
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys

import pytest

DEV = "wstpy0"
KERNEL_IP = "10.78.0.1"
USER_IP = "10.78.0.2"
SIZE = int(os.environ.get("WIRESTATE_TUN_MB", "16")) << 20
STEP_LIMIT = 120.0


def _skip_reason():
    if not sys.platform.startswith("linux"):
        return "TUN devices are Linux only"
    if os.geteuid() != 0:
        return "needs root (network namespace and TUN device)"
    if not os.path.exists("/dev/net/tun"):
        return "no /dev/net/tun"
    if shutil.which("ip") is None:
        return "needs the ip command (iproute2)"
    return None


def _run(*args):
    subprocess.run(args, check=True, timeout=20, capture_output=True)


def test_kernel_tcp_peers_over_tun():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    ns = f"wst-py-{os.getpid()}-{random.randrange(1 << 30)}"
    try:
        _run("ip", "netns", "add", ns)
        _run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        _run("ip", "netns", "exec", ns, "ip", "tuntap", "add", "dev", DEV, "mode", "tun")
        _run("ip", "netns", "exec", ns, "ip", "addr", "add", f"{KERNEL_IP}/24", "dev", DEV)
        _run("ip", "netns", "exec", ns, "ip", "link", "set", DEV, "txqueuelen", "5000")
        _run("ip", "netns", "exec", ns, "ip", "link", "set", DEV, "up")
        proc = subprocess.run(
            ["ip", "netns", "exec", ns, sys.executable, os.path.abspath(__file__), "--inside"],
            capture_output=True,
            text=True,
            timeout=3 * STEP_LIMIT,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        want = hashlib.sha256(_payload()).hexdigest()
        for step in ("kernel_client_to_python_server", "python_client_to_kernel_server"):
            assert result[step]["bytes"] == SIZE, result
            assert result[step]["sha256"] == want, result
            assert result[step]["server_bytes"] == SIZE, result
        assert result["refused"] is True, result
        assert result["server_closes_first"] is True, result
        assert result["abort"] == "reset", result
        print(result)
    finally:
        subprocess.run(["ip", "netns", "del", ns], timeout=30, capture_output=True)


# ----- the program run inside the namespace ---------------------------------


def _payload():
    return random.Random(2024).randbytes(SIZE)


async def _exchange(reader, writer, payload):
    """Writes `payload` then EOF while reading until EOF; returns (sha256, bytes)."""

    async def send():
        view = memoryview(payload)
        for i in range(0, len(payload), 1 << 16):
            writer.write(view[i : i + (1 << 16)])
            await writer.drain()
        writer.write_eof()

    async def receive():
        h, n = hashlib.sha256(), 0
        while True:
            data = await reader.read(1 << 18)
            if not data:
                return h.hexdigest(), n
            h.update(data)
            n += len(data)

    _, (digest, n) = await asyncio.gather(send(), receive())
    writer.close()
    await writer.wait_closed()
    return digest, n


def _echo_handler(counts, key):
    async def echo(reader, writer):
        n = 0
        while True:
            data = await reader.read(1 << 16)
            if not data:
                break
            n += len(data)
            writer.write(data)
            await writer.drain()
        counts[key] = n
        writer.close()
        await writer.wait_closed()

    return echo


async def _inside():
    from wirestate import tun

    payload = _payload()
    counts = {}
    result = {}
    loop = asyncio.get_running_loop()
    async with tun.TunStack(DEV, USER_IP) as stack:
        # 1. The kernel's client, wirestate's server.
        server = await stack.start_server(_echo_handler(counts, "python_server"), 7)
        start = loop.time()
        reader, writer = await asyncio.open_connection(USER_IP, 7)
        digest, n = await asyncio.wait_for(_exchange(reader, writer, payload), STEP_LIMIT)
        for _ in range(100):
            if "python_server" in counts:
                break
            await asyncio.sleep(0.05)
        result["kernel_client_to_python_server"] = {
            "sha256": digest,
            "bytes": n,
            "server_bytes": counts.get("python_server"),
            "seconds": round(loop.time() - start, 3),
        }
        server.close()

        # 2. wirestate's client, the kernel's server.
        kernel_server = await asyncio.start_server(_echo_handler(counts, "kernel_server"), KERNEL_IP, 5001)
        start = loop.time()
        reader, writer = await asyncio.wait_for(stack.open_connection(KERNEL_IP, 5001), 10)
        digest, n = await asyncio.wait_for(_exchange(reader, writer, payload), STEP_LIMIT)
        for _ in range(100):
            if "kernel_server" in counts:
                break
            await asyncio.sleep(0.05)
        result["python_client_to_kernel_server"] = {
            "sha256": digest,
            "bytes": n,
            "server_bytes": counts.get("kernel_server"),
            "seconds": round(loop.time() - start, 3),
        }
        kernel_server.close()
        await kernel_server.wait_closed()

        # 3. A kernel port nobody listens on answers with a RST.
        try:
            await asyncio.wait_for(stack.open_connection(KERNEL_IP, 5999), 10)
            result["refused"] = False
        except ConnectionRefusedError:
            result["refused"] = True

        # 4. wirestate's server sends 1 MiB and closes first; the kernel
        # client reads to the end of the stream.
        async def source(reader, writer):
            writer.write(payload[: 1 << 20])
            await writer.drain()
            writer.close()
            await writer.wait_closed()

        server = await stack.start_server(source, 8)
        reader, writer = await asyncio.open_connection(USER_IP, 8)
        data = await asyncio.wait_for(reader.read(), 30)
        result["server_closes_first"] = data == payload[: 1 << 20]
        writer.close()
        await writer.wait_closed()
        server.close()

        # 5. wirestate's client aborts; the kernel's server sees a reset.
        seen = asyncio.get_running_loop().create_future()

        async def reader_until_reset(reader, writer):
            try:
                while await reader.read(65536):
                    pass
                seen.set_result("eof")
            except ConnectionResetError:
                seen.set_result("reset")
            writer.close()

        kernel_server = await asyncio.start_server(reader_until_reset, KERNEL_IP, 5002)
        reader, writer = await asyncio.wait_for(stack.open_connection(KERNEL_IP, 5002), 10)
        writer.write(b"some bytes before the reset")
        await writer.drain()
        await asyncio.sleep(0.1)
        writer.transport.abort()
        result["abort"] = await asyncio.wait_for(seen, 10)
        kernel_server.close()
        await kernel_server.wait_closed()
        result["write_drops"] = stack.write_drops
    print(json.dumps(result), flush=True)


if __name__ == "__main__" and sys.argv[1:] == ["--inside"]:
    asyncio.run(_inside())
