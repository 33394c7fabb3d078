"""Command line: ``python -m wirestate demo`` runs the demo, ``version`` prints the version.

The demo is the package's main job in two minutes of reading output:

1. **WebSocket on loopback** -- a :mod:`wirestate.asyncio` echo server and
   client on kernel sockets, permessage-deflate negotiated, text and binary
   messages of several sizes echoed and checked, a ping answered, a clean
   close with code 1000 on both sides;
2. **TCP in memory** -- two :class:`wirestate.tcp.Endpoint` objects joined by
   a link that drops and reorders packets, on a virtual clock: a connection
   opened, 1 MiB sent and echoed byte-exact despite the losses, both ends
   closed down to TIME-WAIT and CLOSED.

It exits with status 0 when every check passed and 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

from . import __version__, tcp


async def _websocket_demo() -> None:
    from .asyncio import ServerConnection, connect, serve

    async def echo(conn: ServerConnection) -> None:
        async for message in conn:
            await conn.send(message)

    sizes = [16, 1024, 64 * 1024, 1024 * 1024]
    limit = 4 << 20
    async with serve(echo, "127.0.0.1", 0, compression=True, max_message_size=limit) as server:
        url = f"ws://127.0.0.1:{server.port}/demo"
        print(f"websocket: echo server on {url}")
        async with connect(url, compression=True, max_message_size=limit) as conn:
            print(f"websocket: connected, permessage-deflate: {conn.compressed}")
            for size in sizes:
                text = ("wirestate ünïcødé " * (size // 20 + 1))[:size]
                start = time.perf_counter()
                await conn.send(text)
                back = await conn.recv()
                if back != text:
                    raise AssertionError(f"text echo of {size} characters differs")
                blob = random.Random(size).randbytes(size)
                await conn.send(blob)
                back_blob = await conn.recv()
                if back_blob != blob:
                    raise AssertionError(f"binary echo of {size} bytes differs")
                ms = (time.perf_counter() - start) * 1000
                print(f"websocket: {size:>8} chars of text + {size} B binary echoed in {ms:7.2f} ms")
            rtt = await (await conn.ping(b"demo"))
            print(f"websocket: ping answered in {rtt * 1000:.2f} ms")
            await conn.close(1000, "demo done")
            print(f"websocket: closed cleanly, code {conn.close_code}")
            if conn.close_code != 1000:
                raise AssertionError("the close was not clean")


class _LossyLink:
    """Packets in flight one way, with loss and reordering, on a virtual clock."""

    def __init__(self, rng: random.Random, loss: float, delay: float) -> None:
        self.rng = rng
        self.loss = loss
        self.delay = delay
        self.queue: List[Tuple[float, int, bytes]] = []
        self.seq = 0
        self.dropped = 0

    def send(self, now: float, packet: bytes) -> None:
        if self.rng.random() < self.loss:
            self.dropped += 1
            return
        jitter = self.rng.random() * self.delay
        self.seq += 1
        self.queue.append((now + self.delay + jitter, self.seq, packet))

    def due(self, now: float) -> List[bytes]:
        ready = sorted(p for p in self.queue if p[0] <= now)
        self.queue = [p for p in self.queue if p[0] > now]
        return [p[2] for p in ready]

    def next_arrival(self) -> Optional[float]:
        return min((p[0] for p in self.queue), default=None)


def _tcp_demo() -> None:
    rng = random.Random(7)
    payload = rng.randbytes(1 << 20)
    client = tcp.Endpoint(msl=1.0, secret=b"\x01" * 16)
    server = tcp.Endpoint(msl=1.0, secret=b"\x02" * 16)
    server.listen(("10.7.0.2", 7))
    to_server = _LossyLink(rng, loss=0.02, delay=0.005)
    to_client = _LossyLink(rng, loss=0.02, delay=0.005)
    now = 0.0
    conn = client.connect(("10.7.0.1", 40000), ("10.7.0.2", 7), now)
    print("tcp: 10.7.0.1:40000 -> 10.7.0.2:7 over a link losing 2% each way, 5-10 ms delay")
    sent = 0
    echoed = bytearray()
    server_conns: Dict[int, bool] = {}  # id -> close called
    client_closed = False
    for _ in range(1_000_000):
        progress = False
        for pkt in to_server.due(now):
            server.receive_packet(pkt, now)
        for pkt in to_client.due(now):
            client.receive_packet(pkt, now)
        client.handle_timeout(now)
        server.handle_timeout(now)
        # The server echoes what it reads, reading only what it can send back.
        for ev in server.events():
            if isinstance(ev, tcp.Incoming):
                server_conns[ev.conn] = False
        for s, closing in list(server_conns.items()):
            if s not in server:
                del server_conns[s]
                continue
            if closing:
                continue
            room = server.writable(s)
            data = server.recv(s, room) if room else b""
            if data:
                server.send(s, data)
                progress = True
            if server.at_eof(s) and server.readable(s) == 0:
                server.close(s, now)
                server_conns[s] = True
                progress = True
        # The client sends the payload, reads the echo, then closes.
        for _ev in client.events():
            pass
        if not client_closed:
            if sent < len(payload) and client.state(conn) == "ESTABLISHED":
                n = client.send(conn, payload[sent : sent + (1 << 16)])
                sent += n
                progress = progress or n > 0
            data = client.recv(conn, 1 << 16)
            if data:
                echoed += data
                progress = True
            if len(echoed) == len(payload):
                client.close(conn, now)
                client_closed = True
                progress = True
        elif not server_conns and (conn not in client or client.state(conn) == "TIME-WAIT"):
            break
        for pkt in client.packets_to_send(now):
            to_server.send(now, pkt)
            progress = True
        for pkt in server.packets_to_send(now):
            to_client.send(now, pkt)
            progress = True
        if progress:
            continue
        upcoming = [
            t
            for t in (
                client.next_timeout(),
                server.next_timeout(),
                to_server.next_arrival(),
                to_client.next_arrival(),
            )
            if t is not None
        ]
        if not upcoming:
            raise AssertionError("the transfer stalled with no timer armed")
        now = max(now, min(upcoming))
    else:
        raise AssertionError("the transfer did not finish")
    if bytes(echoed) != payload:
        raise AssertionError(f"echo differs: {len(echoed)} of {len(payload)} bytes back")
    digest = hashlib.sha256(echoed).hexdigest()[:16]
    print(
        f"tcp: 1 MiB sent and echoed byte-exact (sha256 {digest}...) "
        f"in {now:.2f} s of virtual time"
    )
    print(
        f"tcp: packets dropped by the link: {to_server.dropped} to the server, "
        f"{to_client.dropped} to the client"
    )
    state = client.state(conn) if conn in client else "CLOSED"
    print(f"tcp: client {state}, server side CLOSED")


def demo() -> int:
    """Runs both parts of the demo; returns the exit status."""
    print(f"wirestate {__version__} demo")
    try:
        asyncio.run(_websocket_demo())
        _tcp_demo()
    except Exception as exc:  # a failed check, reported as such
        print(f"demo failed: {exc!r}", file=sys.stderr)
        return 1
    print("demo: every check passed")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The ``python -m wirestate`` command line."""
    parser = argparse.ArgumentParser(prog="python -m wirestate", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["demo", "version"], help="what to run")
    args = parser.parse_args(argv)
    if args.command == "version":
        print(__version__)
        return 0
    return demo()


if __name__ == "__main__":
    sys.exit(main())
