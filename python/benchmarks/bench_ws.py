"""Server receive of client-masked messages: wirestate vs websockets vs wsproto.

Every implementation gets the same bytes: N binary messages of one size,
masked by a client, fed as 64 KiB ``bytes`` chunks (cut once, before timing,
as a socket read hands them over), every event consumed. Prints messages/s
and GB/s per implementation and the ratios, then the same for the send path
(a server sending binary messages and taking the bytes after each), and for messages of 64 KiB and up
the "copy floor": joining each message's bytes out of the same chunks, the
least work any implementation producing ``bytes`` messages must do, which
shows how close to the machine's memory bandwidth the numbers are.

    .venv/bin/python python/benchmarks/bench_ws.py [--seconds 2] [--sizes 16,1024,65536,1048576]
"""

import argparse
import os
import time

CHUNK = 64 * 1024


def masked_frames(size: int, count: int) -> bytes:
    from wirestate import ws

    c = ws.ClientConnection(host="bench", path="/", seed=b"\x07" * 16)
    s = ws.ServerConnection()
    s.receive_data(c.data_to_send())
    list(s.events())
    s.accept()
    c.receive_data(s.data_to_send())
    list(c.events())
    payload = os.urandom(size)
    out = bytearray()
    for _ in range(count):
        c.send_binary(payload)
        out += c.data_to_send()
    return bytes(out)


REQUEST = (
    b"GET / HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


def run_wirestate(chunks: list, count: int) -> None:
    from wirestate import ws

    s = ws.ServerConnection(max_message_size=64 << 20, max_frame_size=64 << 20)
    s.receive_data(REQUEST)
    list(s.events())
    s.accept()
    s.data_to_send()
    n = 0
    for chunk in chunks:
        s.receive_data(chunk)
        for _ in s.events():
            n += 1
    assert n == count, n


def run_websockets(chunks: list, count: int) -> None:
    from websockets.server import ServerProtocol

    p = ServerProtocol(max_size=64 << 20)
    p.receive_data(REQUEST)
    [request] = p.events_received()
    p.send_response(p.accept(request))  # type: ignore[arg-type]
    p.data_to_send()
    n = 0
    for chunk in chunks:
        p.receive_data(chunk)
        n += len(p.events_received())
    assert n == count, n


def run_wsproto(chunks: list, count: int) -> None:
    from wsproto.connection import Connection, ConnectionType
    from wsproto.events import BytesMessage

    # wsproto's frame-level connection starts open (no handshake).
    conn = Connection(ConnectionType.SERVER)
    n = 0
    for chunk in chunks:
        conn.receive_data(chunk)
        for e in conn.events():
            if isinstance(e, BytesMessage) and e.message_finished:
                n += 1
    assert n == count, n


def run_copy(chunks: list, count: int) -> None:
    """Not a WebSocket implementation: the cost floor for messages of at least
    one chunk. Joins each message's share of the chunks into one ``bytes``
    object: one read and one write per byte, the least that producing
    ``BinaryMessage.data`` from this input takes."""
    per = max(1, len(chunks) // count)
    for i in range(0, len(chunks), per):
        if per == 1:
            bytes(memoryview(chunks[i]))  # a copy (join of one item is not)
        else:
            b"".join(chunks[i : i + per])


IMPLS = {"wirestate": run_wirestate, "websockets": run_websockets, "wsproto": run_wsproto}


# The send path: a server sends `count` binary messages (unmasked, as servers
# do) and takes the bytes for the transport after each one.


def send_wirestate(payload: bytes, count: int) -> None:
    from wirestate import ws

    s = ws.ServerConnection(max_message_size=64 << 20)
    s.receive_data(REQUEST)
    list(s.events())
    s.accept()
    s.data_to_send()
    for _ in range(count):
        s.send_binary(payload)
        s.data_to_send()


def send_websockets(payload: bytes, count: int) -> None:
    from websockets.server import ServerProtocol

    p = ServerProtocol(max_size=64 << 20)
    p.receive_data(REQUEST)
    [request] = p.events_received()
    p.send_response(p.accept(request))  # type: ignore[arg-type]
    p.data_to_send()
    for _ in range(count):
        p.send_binary(payload)
        p.data_to_send()


def send_wsproto(payload: bytes, count: int) -> None:
    from wsproto.connection import Connection, ConnectionType
    from wsproto.events import BytesMessage

    conn = Connection(ConnectionType.SERVER)
    for _ in range(count):
        conn.send(BytesMessage(data=payload))


SENDERS = {"wirestate": send_wirestate, "websockets": send_websockets, "wsproto": send_wsproto}


def measure(fn, data, count: int, seconds: float) -> float:
    fn(data, count)  # warm up
    runs, start = 0, time.perf_counter()
    while True:
        fn(data, count)
        runs += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return runs * count / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--sizes", default="16,1024,65536,1048576")
    args = ap.parse_args()
    for size in [int(s) for s in args.sizes.split(",")]:
        count = max(1, (4 << 20) // size)
        data = masked_frames(size, count)
        chunks = [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]
        rates = {name: measure(fn, chunks, count, args.seconds) for name, fn in IMPLS.items()}
        line = [f"{size:>8} B"]
        for name, r in rates.items():
            line.append(f"{name}: {r / 1e3:9.1f}k msg/s {r * size / 1e9:6.2f} GB/s")
        line.append(f"x websockets {rates['wirestate'] / rates['websockets']:.1f}")
        line.append(f"x wsproto {rates['wirestate'] / rates['wsproto']:.1f}")
        if size >= CHUNK:
            floor = measure(run_copy, chunks, count, args.seconds)
            line.append(
                f"copy floor {floor * size / 1e9:.2f} GB/s"
                f" (wirestate at {rates['wirestate'] / floor:.0%})"
            )
        print(" | ".join(line), flush=True)
    print("send (server, binary, bytes taken after each message):")
    for size in [int(s) for s in args.sizes.split(",")]:
        count = max(1, (4 << 20) // size)
        payload = os.urandom(size)
        rates = {name: measure(fn, payload, count, args.seconds) for name, fn in SENDERS.items()}
        line = [f"{size:>8} B"]
        for name, r in rates.items():
            line.append(f"{name}: {r / 1e3:9.1f}k msg/s {r * size / 1e9:6.2f} GB/s")
        line.append(f"x websockets {rates['wirestate'] / rates['websockets']:.1f}")
        line.append(f"x wsproto {rates['wirestate'] / rates['wsproto']:.1f}")
        print(" | ".join(line), flush=True)


if __name__ == "__main__":
    main()
