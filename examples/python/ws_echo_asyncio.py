"""A WebSocket echo server on asyncio with wirestate, and a client to try it.

    python examples/python/ws_echo_asyncio.py                 # serve on ws://127.0.0.1:8765/
    python examples/python/ws_echo_asyncio.py --port 9000
    python examples/python/ws_echo_asyncio.py --demo          # serve, talk to it, stop

The server negotiates permessage-deflate, pings idle clients every 20 s and
serves a one-line page on plain ``GET /`` (open it in a browser: the page
connects back and echoes a message).
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any, Optional

from wirestate.asyncio import Request, ServerConnection, connect, serve

PAGE = b"""<!doctype html><meta charset="utf-8"><title>wirestate echo</title>
<pre id="out"></pre><script>
const ws = new WebSocket(`ws://${location.host}/`);
ws.onopen = () => ws.send("hello from " + navigator.userAgent);
ws.onmessage = (e) => { document.getElementById("out").textContent = "echo: " + e.data; ws.close(); };
</script>"""


async def echo(conn: ServerConnection) -> None:
    """Sends every message back; returns (closing with 1000) when the client closes."""
    print(f"{conn.remote_address}: open {conn.request.path} (deflate: {conn.compressed})")
    async for message in conn:
        await conn.send(message)
    print(f"{conn.remote_address}: closed {conn.close_code} {conn.close_reason!r}")


def page(conn: ServerConnection, request: Request) -> Optional[Any]:
    """Plain GETs get the page; WebSocket upgrades go through."""
    if request.is_websocket:
        return None
    return (200, [("Content-Type", "text/html; charset=utf-8")], PAGE)


async def demo(port: int) -> None:
    async with connect(f"ws://127.0.0.1:{port}/demo") as conn:
        await conn.send("hello")
        print("client got:", await conn.recv())
        await conn.send(b"\x00\x01\x02")
        print("client got:", await conn.recv())
        latency = await (await conn.ping())
        print(f"client: ping answered in {latency * 1000:.2f} ms")


async def main() -> None:
    parser = argparse.ArgumentParser(description="WebSocket echo server (wirestate + asyncio)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--demo", action="store_true", help="run a client once, then stop")
    args = parser.parse_args()
    async with serve(echo, args.host, args.port, process_request=page) as server:
        print(f"serving on ws://{args.host}:{server.port}/")
        if args.demo:
            await demo(server.port)
        else:
            await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
