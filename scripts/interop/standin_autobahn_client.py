#!/usr/bin/env python3
"""Stand-in for the ws_autobahn_client example, used to validate the harness.

Usage: standin_autobahn_client.py URL   (e.g. ws://127.0.0.1:9001)

Speaks the client side of Autobahn's fuzzingserver protocol: reads
/getCaseCount, runs /runCase?case=N&agent=wirestate for every case echoing
each message, then asks for /updateReports?agent=wirestate.
"""
import asyncio
import sys

from websockets.asyncio.client import connect

AGENT = "wirestate"


async def run_case(base: str, n: int) -> None:
    try:
        async with connect(f"{base}/runCase?case={n}&agent={AGENT}",
                           max_size=None, max_queue=None, compression="deflate",
                           ping_interval=None, open_timeout=20, close_timeout=5) as ws:
            async for message in ws:
                await ws.send(message)
    except Exception:
        pass


async def main(base: str) -> int:
    base = base.rstrip("/")
    async with connect(f"{base}/getCaseCount") as ws:
        count = int(await ws.recv())
    print(f"standin client: {count} cases", flush=True)
    for n in range(1, count + 1):
        await run_case(base, n)
    async with connect(f"{base}/updateReports?agent={AGENT}", open_timeout=60,
                       close_timeout=120) as ws:
        try:
            await ws.recv()
        except Exception:
            pass
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: standin_autobahn_client.py URL")
    sys.exit(asyncio.run(main(sys.argv[1])))
