#!/usr/bin/env python3
"""Stand-in for the ws_echo_server example, used to validate the interop harness.

Usage: standin_echo_server.py IP:PORT [--no-compression]

Echoes every text and binary message, permessage-deflate on by default, runs
until killed. Built on the `websockets` library (run it with the test venv).
"""
import asyncio
import sys

from websockets.asyncio.server import serve


async def echo(ws):
    try:
        async for message in ws:
            await ws.send(message)
    except Exception:
        pass


async def main(host: str, port: int, compression: bool) -> None:
    async with serve(echo, host, port, max_size=None, max_queue=None,
                     compression="deflate" if compression else None,
                     ping_interval=None):
        await asyncio.Future()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: standin_echo_server.py IP:PORT [--no-compression]")
    host, _, port = sys.argv[1].rpartition(":")
    try:
        asyncio.run(main(host, int(port), "--no-compression" not in sys.argv[2:]))
    except KeyboardInterrupt:
        pass
