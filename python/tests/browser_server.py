"""The server side of the browser test (scripts/browser-test.sh).

Serves scripts/browser/index.html on ``GET /`` and a WebSocket echo endpoint
on ``/ws`` with the wirestate asyncio adapter, compression on. It writes the
listening port to ``--port-file``, and once the first WebSocket connection
has ended (or ``--timeout`` passed) writes what it saw to ``--result-file``
as JSON: whether permessage-deflate was negotiated, how many messages it
echoed, the close code and reason, whether the close was clean.

Not a pytest module (pytest collects ``test_*.py`` only).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import pathlib
import sys
from typing import Any, Dict, Optional

from wirestate.asyncio import Request, ServerConnection, serve

PAGE = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "browser" / "index.html"


async def main(port_file: str, result_file: str, timeout: float) -> int:
    page = PAGE.read_bytes()
    result: Dict[str, Any] = {"connections": 0}
    finished = asyncio.Event()

    def process_request(conn: ServerConnection, request: Request) -> Optional[Any]:
        if request.path == "/ws":
            return None  # go on with the WebSocket handshake
        if request.path == "/":
            return (200, [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")], page)
        if request.path == "/favicon.ico":
            return (204, [], b"")
        return (404, [("Content-Type", "text/plain")], b"not found\n")

    async def handler(conn: ServerConnection) -> None:
        result["connections"] += 1
        result["compressed"] = conn.compressed
        result["user_agent"] = conn.request.headers.get("User-Agent")
        messages = text = binary = large = 0
        try:
            async for message in conn:
                await conn.send(message)
                messages += 1
                if isinstance(message, str):
                    text += 1
                else:
                    binary += 1
                if len(message) > 65536:
                    large += 1
        finally:
            await conn.wait_closed()
            result.update(
                messages=messages,
                text=text,
                binary=binary,
                large=large,
                close_code=conn.close_code,
                close_reason=conn.close_reason,
                clean=conn.close_clean,
            )
            finished.set()

    async with serve(
        handler,
        "127.0.0.1",
        0,
        compression=True,
        max_message_size=4 << 20,
        process_request=process_request,
    ) as server:
        pathlib.Path(port_file).write_text(str(server.port))
        try:
            await asyncio.wait_for(finished.wait(), timeout)
        except asyncio.TimeoutError:
            result["error"] = f"no WebSocket connection ended within {timeout} s"
    pathlib.Path(result_file).write_text(json.dumps(result))
    return 0 if "error" not in result else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--result-file", required=True)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.port_file, args.result_file, args.timeout)))
