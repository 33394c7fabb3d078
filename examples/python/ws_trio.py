"""wirestate.ws on trio: an echo server and a client in one program.

    pip install trio
    python examples/python/ws_trio.py           # serve ws://127.0.0.1:8766/, talk to it once, stop

wirestate has no trio support of its own and needs none: ``drive`` below is
the whole of the network glue. It hands received bytes and the time to the
connection and writes out what the connection queued; the two small event
handlers are the application glue.
"""

from __future__ import annotations

import functools
import math
import time
from typing import Any, Callable

import trio

from wirestate import ws

OnEvent = Callable[[ws.Connection, Any], None]


async def drive(stream: trio.SocketStream, conn: ws.Connection, on_event: OnEvent) -> None:
    """Runs one connection over a trio stream until wirestate says to close it."""
    conn.handle_timeout(time.monotonic())
    while True:
        for event in conn.events():
            on_event(conn, event)
        out = conn.data_to_send()
        if out:
            await stream.send_all(out)
        if conn.close_expected():
            break
        deadline = conn.next_timeout()  # keepalive, close and open timers
        wait = math.inf if deadline is None else max(0.0, deadline - time.monotonic())
        with trio.move_on_after(wait):
            conn.receive_data(await stream.receive_some(65536))  # b"" = end of stream
        conn.handle_timeout(time.monotonic())
    await stream.aclose()


def echo(conn: ws.Connection, event: Any) -> None:
    """Server: accept the handshake, send every message back."""
    if isinstance(event, ws.Request):
        conn.accept()
    elif isinstance(event, ws.TextMessage):
        conn.send_text(event.data)
    elif isinstance(event, ws.BinaryMessage):
        conn.send_binary(event.data)
    elif isinstance(event, ws.Closed):
        print(f"server: closed {event.code} clean={event.clean}")


async def serve_one(stream: trio.SocketStream) -> None:
    conn = ws.ServerConnection(compression=True, keepalive_interval=20.0, close_timeout=5.0)
    await drive(stream, conn, echo)


def hello(conn: ws.Connection, event: Any) -> None:
    """Client: say hello once open, close after the echo."""
    if isinstance(event, ws.Accepted):
        print(f"client: open (deflate: {conn.compressed})")
        conn.send_text("hello from trio")
    elif isinstance(event, ws.TextMessage):
        print(f"client: got {event.data!r}")
        conn.close(1000, "thanks")
    elif isinstance(event, ws.Closed):
        print(f"client: closed {event.code} clean={event.clean}")


async def main(port: int = 8766) -> None:
    async with trio.open_nursery() as nursery:
        serve = functools.partial(trio.serve_tcp, serve_one, port, host="127.0.0.1")
        listeners = await nursery.start(serve)
        port = listeners[0].socket.getsockname()[1]
        print(f"serving on ws://127.0.0.1:{port}/")
        stream = await trio.open_tcp_stream("127.0.0.1", port)
        client = ws.ClientConnection(host=f"127.0.0.1:{port}", path="/", compression=True)
        await drive(stream, client, hello)
        nursery.cancel_scope.cancel()


if __name__ == "__main__":
    trio.run(main)
