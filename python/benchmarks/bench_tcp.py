"""Bulk transfer through two wirestate.tcp endpoints joined in memory, from Python.

One connection carries --megabytes from the client to the server; the server
reads everything. Packets move between the endpoints by Python code, on a
virtual clock that advances 50 µs per round, so the numbers measure the
binding and the TCP machine, not a network. Prints, per MTU and per way of
handing packets over (one `receive_packet` call each, or one
`receive_packets` call per batch): packets per second (both directions),
data segments per second, and payload throughput.

    .venv/bin/python python/benchmarks/bench_tcp.py [--megabytes 256] [--mtus 1500,9000,65535]
"""

import argparse
import time

from wirestate import tcp

CLIENT = ("10.7.0.1", 40000)
SERVER = ("10.7.0.2", 80)
TICK = 50e-6


def handshake(a: tcp.Endpoint, b: tcp.Endpoint, now: float) -> tuple:
    ca = a.connect(CLIENT, SERVER, now)
    cb = None
    while cb is None or a.state(ca) != "ESTABLISHED":
        for p in a.packets_to_send(now):
            b.receive_packet(p, now)
        for p in b.packets_to_send(now):
            a.receive_packet(p, now)
        for e in b.events():
            if isinstance(e, tcp.Incoming):
                cb = e.conn
        list(a.events())
    return ca, cb


def run(megabytes: int, mtu: int, batch: bool) -> dict:
    size = megabytes << 20
    buf_size = 4 << 20
    kw = dict(mtu=mtu, send_buffer=buf_size, recv_buffer=buf_size)
    a = tcp.Endpoint(secret=b"c" * 16, **kw)
    b = tcp.Endpoint(secret=b"s" * 16, **kw)
    b.listen(SERVER)
    now = 1.0
    ca, cb = handshake(a, b, now)
    chunk = b"\xa5" * (1 << 20)
    sent = received = packets = data_packets = 0

    def deliver(packets_out: list, dst: tcp.Endpoint) -> None:
        if batch:
            dst.receive_packets(packets_out, now)
        else:
            for p in packets_out:
                dst.receive_packet(p, now)

    start = time.perf_counter()
    while received < size:
        if sent < size:
            sent += a.send(ca, chunk[: size - sent])
        out = a.packets_to_send(now)
        packets += len(out)
        data_packets += sum(1 for p in out if len(p) > 100)
        deliver(out, b)
        while True:
            got = b.recv(cb, 1 << 22)
            if not got:
                break
            received += len(got)
        back = b.packets_to_send(now)
        packets += len(back)
        deliver(back, a)
        for ep in (a, b):
            for _ in ep.events():
                pass
        now += TICK
        for ep in (a, b):
            t = ep.next_timeout()
            if t is not None and t <= now:
                ep.handle_timeout(now)
    elapsed = time.perf_counter() - start
    return {
        "elapsed": elapsed,
        "packets": packets,
        "data_packets": data_packets,
        "bytes": received,
        "retransmits": a.stats(ca)["retransmits"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--megabytes", type=int, default=256)
    ap.add_argument("--mtus", default="1500,9000,65535")
    args = ap.parse_args()
    for mtu in [int(m) for m in args.mtus.split(",")]:
        for batch in (False, True):
            r = run(args.megabytes, mtu, batch)
            t = r["elapsed"]
            print(
                f"mtu {mtu:>5} {'receive_packets' if batch else 'receive_packet ':<15} | "
                f"{r['packets'] / t / 1e3:8.1f}k packets/s | "
                f"{r['data_packets'] / t / 1e3:8.1f}k data segments/s | "
                f"{r['bytes'] / t / 1e6:8.1f} MB/s | "
                f"{r['bytes'] >> 20} MiB in {t:.2f} s, {r['retransmits']} retransmits",
                flush=True,
            )


if __name__ == "__main__":
    main()
