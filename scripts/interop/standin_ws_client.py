#!/usr/bin/env python3
"""Stand-in for the ws_client example (contract in tests/interop/README.md).

Usage: standin_ws_client.py ws://127.0.0.1:PORT/path --count N --size S [--no-compression]

Sends N binary messages of S pseudo-random bytes, expects each echoed back
byte-exact, closes with 1000, prints `ok N messages`, exits 0 (1 on mismatch).
"""
import argparse
import asyncio
import random
import sys

from websockets.asyncio.client import connect


async def main(args) -> int:
    rng = random.Random(args.size * 1_000_003 + args.count)
    async with connect(args.url, compression=None if args.no_compression else "deflate",
                       proxy=None, max_size=None, ping_interval=None) as ws:
        for i in range(args.count):
            msg = rng.randbytes(args.size)
            await ws.send(msg)
            got = await asyncio.wait_for(ws.recv(), 30)
            if got != msg:
                print(f"mismatch on message {i}", file=sys.stderr)
                return 1
        await ws.close(1000)
    print(f"ok {args.count} messages")
    return 0


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--no-compression", action="store_true")
    sys.exit(asyncio.run(main(ap.parse_args())))
