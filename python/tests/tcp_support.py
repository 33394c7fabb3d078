"""Helpers shared by the wirestate.tcp tests: two endpoints joined by an
in-memory link with optional loss and delay, on a virtual clock."""

import heapq
import itertools
import random


from wirestate import tcp

A = ("10.7.0.1", 40000)
B = ("10.7.0.2", 7)


class Net:
    """Two endpoints joined in memory, on a virtual clock: every packet takes
    `delay` seconds and is dropped with probability `loss` (a seeded
    random.Random decides). Events are collected per side."""

    def __init__(self, a, b, *, loss=0.0, delay=0.0, seed=1, now=1.0):
        self.a, self.b = a, b
        self.loss, self.delay = loss, delay
        self.rng = random.Random(seed)
        self.now = now
        self.queue = []
        self.order = itertools.count()
        self.ev = {"a": [], "b": []}
        self.sent = 0
        self.dropped = 0

    def flush(self):
        for name, src, dst in (("a", self.a, self.b), ("b", self.b, self.a)):
            for pkt in src.packets_to_send(self.now):
                assert isinstance(pkt, bytes)
                self.sent += 1
                if self.loss and self.rng.random() < self.loss:
                    self.dropped += 1
                    continue
                heapq.heappush(self.queue, (self.now + self.delay, next(self.order), dst, pkt))
            self.ev[name] += src.events()

    def step(self):
        """Advances to the next arrival or timer. False when neither is left."""
        self.flush()
        times = [t for t in (self.a.next_timeout(), self.b.next_timeout()) if t is not None]
        if self.queue:
            times.append(self.queue[0][0])
        if not times:
            return False
        self.now = max(self.now, min(times))
        while self.queue and self.queue[0][0] <= self.now:
            _, _, dst, pkt = heapq.heappop(self.queue)
            dst.receive_packet(pkt, self.now)
        self.a.handle_timeout(self.now)
        self.b.handle_timeout(self.now)
        self.flush()
        return True

    def quiet(self, horizon=0.5):
        """Runs until nothing is in flight and no timer is due within `horizon` s."""
        for _ in range(100_000):
            self.flush()
            if not self.queue:
                due = [t for t in (self.a.next_timeout(), self.b.next_timeout()) if t is not None]
                if not due or min(due) > self.now + horizon:
                    return
            self.step()
        raise AssertionError("the link never went quiet")

    def until(self, cond, limit=10_000):
        for _ in range(limit):
            if cond():
                return
            if not self.step():
                break
        assert cond(), "condition not reached"

    def take(self, side):
        out, self.ev[side] = self.ev[side], []
        return out


def pair(**kw):
    a = tcp.Endpoint(secret=b"a" * 16, **kw)
    b = tcp.Endpoint(secret=b"b" * 16, **kw)
    b.listen(B)
    return a, b


def connected(loss=0.0, delay=0.0, **kw):
    a, b = pair(**kw)
    net = Net(a, b, loss=loss, delay=delay)
    ca = a.connect(A, B, net.now)
    net.until(lambda: any(isinstance(e, tcp.Incoming) for e in net.ev["b"]))
    net.quiet()
    [inc] = [e for e in net.take("b") if isinstance(e, tcp.Incoming)]
    assert tcp.Connected(ca) in net.take("a")
    return net, a, b, ca, inc.conn
