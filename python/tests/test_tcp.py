"""wirestate.tcp from Python: every entry point and event, two endpoints joined
in memory (clean and lossy), half-close, TIME-WAIT, resets, timeouts driven by
explicit `now` values, and error paths."""

import hashlib
import heapq
import itertools
import random
import struct
import time

import pytest

from wirestate import exceptions, tcp

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


# ----- handshake, addresses, getters ------------------------------------------


def test_handshake_events_states_and_addresses():
    a, b = pair()
    net = Net(a, b)
    ca = a.connect(A, B, net.now)
    assert isinstance(ca, int)
    assert a.state(ca) == "SYN-SENT"
    assert ca in a and len(a) == 1 and len(b) == 0
    net.quiet()
    assert net.take("a") == [tcp.Connected(conn=ca)]
    [inc] = net.take("b")
    assert isinstance(inc, tcp.Incoming)
    assert inc.remote == A
    cb = inc.conn
    assert a.state(ca) == b.state(cb) == "ESTABLISHED"
    assert a.local_address(ca) == A and a.remote_address(ca) == B
    assert b.local_address(cb) == B and b.remote_address(cb) == A
    assert a.readable(ca) == 0 and a.writable(ca) > 0 and not a.at_eof(ca)
    assert "Endpoint" in repr(a)


def test_stats_dict():
    net, a, b, ca, cb = connected(delay=0.01)
    assert a.send(ca, b"x" * 5000) == 5000
    net.quiet()
    assert b.recv(cb, 10_000) == b"x" * 5000
    s = a.stats(ca)
    for key in (
        "state", "srtt", "rto", "cwnd", "ssthresh", "peer_window", "send_mss", "segments_sent",
        "segments_received", "bytes_sent", "bytes_received", "bytes_acked", "bytes_retransmitted",
        "retransmits", "timeouts", "fast_retransmits", "dup_acks", "unacknowledged", "readable",
        "writable",
    ):
        assert key in s, key
    assert s["state"] == "ESTABLISHED"
    assert s["bytes_sent"] == s["bytes_acked"] == 5000
    assert s["retransmits"] == 0 and s["ssthresh"] is None
    assert s["send_mss"] == 1448  # 1460 minus the timestamp option
    assert s["srtt"] == pytest.approx(0.02, abs=0.005)
    assert s["rto"] >= 0.2
    assert b.stats(cb)["bytes_received"] == 5000


def test_state_names_are_rfc_9293():
    assert "TIME-WAIT" in tcp.STATES and "SYN-RECEIVED" in tcp.STATES and len(tcp.STATES) == 11


def test_real_monotonic_clock_values():
    a = tcp.Endpoint()
    now = time.monotonic()
    a.connect(A, B, now)
    assert len(a.packets_to_send(now)) == 1
    deadline = a.next_timeout()
    assert deadline is not None and deadline == pytest.approx(now + 1.0, abs=1e-3)
    a.handle_timeout(time.monotonic())  # early: harmless
    assert a.packets_to_send(time.monotonic()) == []


# ----- data ----------------------------------------------------------------


def test_data_both_ways_and_partial_reads():
    net, a, b, ca, cb = connected()
    assert a.send(ca, b"hello ") == 6
    assert a.send(ca, bytearray(b"world")) == 5
    assert b.send(cb, b"pong") == 4
    net.quiet()
    assert net.take("b") == [tcp.Readable(cb)]
    assert net.take("a") == [tcp.Readable(ca)]
    assert b.readable(cb) == 11
    assert b.recv(cb, 5) == b"hello"
    assert b.recv(cb, 100) == b" world"
    assert b.recv(cb, 100) == b""
    assert a.recv(ca, 4) == b"pong"
    a.send(ca, b"again")
    net.quiet()
    assert net.take("b") == [tcp.Readable(cb)]  # edge-triggered: the buffer was emptied
    assert b.recv(cb, 0) == b""
    assert b.recv(cb, 5) == b"again"


def test_large_send_and_recv_release_the_gil_path():
    net, a, b, ca, cb = connected(send_buffer=1 << 20, recv_buffer=1 << 20)
    data = random.Random(3).randbytes(300_000)
    assert a.send(ca, data) == len(data)
    got = bytearray()
    net.until(lambda: (got.extend(b.recv(cb, 1 << 20)), len(got) == len(data))[1])
    assert bytes(got) == data


def test_send_buffer_full_then_writable():
    net, a, b, ca, cb = connected(send_buffer=4096)
    assert a.send(ca, b"z" * 10_000) == 4096
    assert a.writable(ca) == 0
    net.quiet()
    assert tcp.Writable(ca) in net.take("a")
    assert a.writable(ca) == 4096
    assert b.recv(cb, 10_000) == b"z" * 4096


def lossy_transfer(net, a, b, ca, cb, size, seed):
    rng = random.Random(seed)
    ab = rng.randbytes(size)
    ba = ab[::-1]
    out = {"a": 0, "b": 0}
    got = {"a": bytearray(), "b": bytearray()}
    closed = set()

    def app():
        for side, ep, c, data in (("a", a, ca, ab), ("b", b, cb, ba)):
            if out[side] < len(data):
                out[side] += ep.send(c, data[out[side] : out[side] + 65536])
            elif side not in closed:
                ep.close(c)
                closed.add(side)
            if c in ep:
                got[side].extend(ep.recv(c, 1 << 20))
        return len(got["a"]) == len(ba) and len(got["b"]) == len(ab)

    net.until(app, limit=200_000)
    assert hashlib.sha256(got["b"]).digest() == hashlib.sha256(ab).digest()
    assert bytes(got["a"]) == ba
    return ab


def test_one_mebibyte_each_way_over_a_lossy_link_byte_exact():
    net, a, b, ca, cb = connected(loss=0.0, delay=0.005)
    net.loss = 0.05
    lossy_transfer(net, a, b, ca, cb, 1 << 20, seed=11)
    assert net.dropped > 20
    sa, sb = a.stats(ca), b.stats(cb)
    assert sa["retransmits"] > 0 and sb["retransmits"] > 0
    assert sa["bytes_received"] == sb["bytes_received"] == 1 << 20
    # Both sides closed after sending: the connection winds down cleanly.
    net.until(lambda: ca not in a and cb not in b, limit=200_000)
    assert tcp.Closed(ca) in net.ev["a"] and tcp.Closed(cb) in net.ev["b"]
    assert not any(isinstance(e, (tcp.Reset, tcp.TimedOut)) for e in net.ev["a"] + net.ev["b"])


def test_newreno_nodelay_and_large_segments():
    net, a, b, ca, cb = connected(congestion="newreno", nodelay=True, mtu=65535, delayed_ack=None)
    assert a.stats(ca)["send_mss"] > 60_000
    a.send(ca, b"q" * 200_000)
    got = bytearray()
    net.until(lambda: (got.extend(b.recv(cb, 1 << 20)), len(got) == 200_000)[1])
    assert bytes(got) == b"q" * 200_000


# ----- closing ---------------------------------------------------------------


def test_half_close_then_time_wait_then_closed():
    net, a, b, ca, cb = connected(msl=5.0)
    a.send(ca, b"request")
    a.close(ca)
    net.quiet()
    assert net.take("b") == [tcp.Readable(cb), tcp.PeerFinished(cb)]
    assert a.state(ca) == "FIN-WAIT-2" and b.state(cb) == "CLOSE-WAIT"
    with pytest.raises(exceptions.LocalProtocolError):
        a.send(ca, b"more")
    assert b.recv(cb, 100) == b"request"
    assert b.at_eof(cb) and b.recv(cb, 100) == b""
    # The other direction still works after the half-close.
    assert b.send(cb, b"response") == 8
    net.quiet()
    assert a.recv(ca, 100) == b"response"
    b.close(cb)
    net.quiet()
    assert tcp.PeerFinished(ca) in net.take("a")
    assert net.take("b") == [tcp.Closed(cb)]
    assert cb not in b
    with pytest.raises(exceptions.LocalProtocolError, match="unknown connection"):
        b.state(cb)
    assert a.state(ca) == "TIME-WAIT"
    assert a.recv(ca, 10) == b"" and a.at_eof(ca) and a.readable(ca) == 0 and a.writable(ca) == 0
    for call in (lambda: a.send(ca, b"x"), lambda: a.close(ca), lambda: a.stats(ca), lambda: a.abort(ca)):
        with pytest.raises(exceptions.LocalProtocolError):
            call()
    deadline = a.next_timeout()
    assert deadline == pytest.approx(net.now + 10.0, abs=0.1)  # 2 * msl
    a.handle_timeout(deadline - 0.5)
    assert list(a.events()) == [] and a.state(ca) == "TIME-WAIT"
    a.handle_timeout(deadline)
    assert list(a.events()) == [tcp.Closed(ca)]
    assert len(a) == 0 and a.next_timeout() is None


def test_trace_states_both_sides():
    net, a, b, ca, cb = connected(trace_states=True)
    a.close(ca)
    net.quiet()
    b.close(cb)
    net.quiet()
    trail_a = [(e.old, e.new) for e in net.take("a") if isinstance(e, tcp.StateChanged)]
    trail_b = [(e.old, e.new) for e in net.take("b") if isinstance(e, tcp.StateChanged)]
    assert trail_a == [
        ("ESTABLISHED", "FIN-WAIT-1"),
        ("FIN-WAIT-1", "FIN-WAIT-2"),
        ("FIN-WAIT-2", "TIME-WAIT"),
    ]
    assert trail_b == [("ESTABLISHED", "CLOSE-WAIT"), ("CLOSE-WAIT", "LAST-ACK"), ("LAST-ACK", "CLOSED")]


def test_state_changed_during_handshake():
    a, b = pair(trace_states=True)
    net = Net(a, b)
    ca = a.connect(A, B, net.now)
    net.quiet()
    assert tcp.StateChanged(ca, "SYN-SENT", "ESTABLISHED") in net.ev["a"]


def test_simultaneous_close_goes_through_closing():
    net, a, b, ca, cb = connected(trace_states=True)
    a.close(ca)
    b.close(cb)
    net.quiet()
    trail = [e.new for e in net.take("a") if isinstance(e, tcp.StateChanged)]
    assert trail == ["FIN-WAIT-1", "CLOSING", "TIME-WAIT"]


def test_simultaneous_open():
    a = tcp.Endpoint(secret=b"a" * 16)
    b = tcp.Endpoint(secret=b"b" * 16)
    net = Net(a, b)
    ca = a.connect(A, B, net.now)
    cb = b.connect(B, A, net.now)
    net.quiet()
    assert tcp.Connected(ca) in net.ev["a"] and tcp.Connected(cb) in net.ev["b"]
    assert a.state(ca) == b.state(cb) == "ESTABLISHED"


def test_close_during_handshake_sends_data_then_fin():
    a, b = pair()
    net = Net(a, b)
    ca = a.connect(A, B, net.now)
    a.send(ca, b"early")
    a.close(ca)
    net.quiet()
    [inc] = [e for e in net.ev["b"] if isinstance(e, tcp.Incoming)]
    assert b.recv(inc.conn, 10) == b"early" and b.at_eof(inc.conn)


# ----- resets and timeouts ------------------------------------------------------


def test_close_and_abort_take_an_explicit_now():
    net, a, b, ca, cb = connected()
    later = net.now + 5.0
    a.close(ca, later)
    a.packets_to_send(later)
    assert a.next_timeout() == pytest.approx(later + a.stats(ca)["rto"])  # the FIN's RTO, from `later`
    b.abort(cb, now=later)
    assert list(b.events()) == [tcp.Closed(cb)]


def test_abort_resets_the_peer():
    net, a, b, ca, cb = connected()
    b.send(cb, b"unread")
    a.abort(ca)
    assert a.state(ca) == "CLOSED"
    net.quiet()
    assert net.take("a")[-1] == tcp.Closed(ca)
    assert net.take("b") == [tcp.Reset(cb), tcp.Closed(cb)]
    assert ca not in a and cb not in b


def test_connect_to_a_closed_port_is_reset():
    a = tcp.Endpoint(secret=b"a" * 16)
    b = tcp.Endpoint(secret=b"b" * 16)  # no listener
    net = Net(a, b)
    ca = a.connect(A, B, net.now)
    net.quiet()
    assert net.take("a") == [tcp.Reset(ca), tcp.Closed(ca)]


def test_silent_port_syn_retries_time_out():
    a = tcp.Endpoint(secret=b"a" * 16, syn_retries=2, initial_rto=0.5)
    now = 100.0
    ca = a.connect(A, B, now)
    syns = len(a.packets_to_send(now))
    times = []
    while (t := a.next_timeout()) is not None:
        times.append(t - 100.0)
        a.handle_timeout(t)
        syns += len(a.packets_to_send(t))
    assert syns == 3
    assert times == pytest.approx([0.5, 1.5, 3.5])
    assert list(a.events()) == [tcp.TimedOut(ca), tcp.Closed(ca)]


def test_retransmissions_run_out():
    net, a, b, ca, cb = connected(max_retransmissions=3)
    a.send(ca, b"into the void")
    net.loss = 1.0  # the link dies
    net.until(lambda: ca not in a, limit=100)
    events = net.take("a")
    assert events[-2:] == [tcp.TimedOut(ca), tcp.Closed(ca)]


def test_keepalive_detects_a_dead_peer():
    net, a, b, ca, cb = connected(keepalive=10.0, keepalive_interval=1.0, keepalive_probes=2)
    start = net.now
    net.until(lambda: net.now > start + 35.0)  # idle, probes answered
    assert a.state(ca) == "ESTABLISHED"
    assert a.stats(ca)["segments_sent"] >= 3
    net.loss = 1.0
    t0 = net.now
    net.until(lambda: ca not in a, limit=100)
    assert net.now - t0 <= 10.0 + 2 * 1.0 + 0.5
    assert net.take("a")[-2:] == [tcp.TimedOut(ca), tcp.Closed(ca)]


def test_user_timeout():
    net, a, b, ca, cb = connected(user_timeout=2.0)
    net.loss = 1.0
    t0 = net.now
    a.send(ca, b"x")
    net.until(lambda: ca not in a, limit=100)
    assert net.now - t0 == pytest.approx(2.0, abs=1.0)
    assert tcp.TimedOut(ca) in net.take("a")


def test_delayed_ack_timer_is_explicit():
    net, a, b, ca, cb = connected(delayed_ack=0.1)
    net.quiet()
    # Past the quick-ACK phase at the start of a connection.
    for _ in range(20):
        a.send(ca, b"m")
        net.quiet(horizon=1.0)
        b.recv(cb, 10)
    a.send(ca, b"m")
    for p in a.packets_to_send(net.now):
        b.receive_packet(p, net.now)
    assert b.packets_to_send(net.now) == []  # the ACK waits
    t = b.next_timeout()
    assert t == pytest.approx(net.now + 0.1, abs=1e-6)
    b.handle_timeout(t)
    assert len(b.packets_to_send(t)) == 1


# ----- listeners ------------------------------------------------------------


def test_unlisten_and_wildcard_listen():
    a = tcp.Endpoint(secret=b"a" * 16)
    b = tcp.Endpoint(secret=b"b" * 16)
    b.listen(("0.0.0.0", 7))
    net = Net(a, b)
    a.connect(A, B, net.now)
    net.quiet()
    assert any(isinstance(e, tcp.Incoming) for e in net.ev["b"])
    assert b.unlisten(("0.0.0.0", 7)) is True
    assert b.unlisten(("0.0.0.0", 7)) is False
    c2 = a.connect(("10.7.0.1", 40001), B, net.now)
    net.quiet()
    assert tcp.Reset(c2) in net.ev["a"]


def test_backlog_holds_connections_until_incoming_is_taken():
    a = tcp.Endpoint(secret=b"a" * 16)
    b = tcp.Endpoint(secret=b"b" * 16, backlog=1)
    b.listen(B)
    now = 1.0

    def exchange():
        # Hands packets over without taking b's events.
        for _ in range(3):
            for p in a.packets_to_send(now):
                b.receive_packet(p, now)
            for p in b.packets_to_send(now):
                a.receive_packet(p, now)

    c1 = a.connect(A, B, now)
    exchange()
    assert a.state(c1) == "ESTABLISHED"
    c2 = a.connect(("10.7.0.1", 40001), B, now)
    exchange()
    assert a.state(c2) == "SYN-SENT"  # the backlog is full: the SYN was dropped
    assert len([e for e in b.events() if isinstance(e, tcp.Incoming)]) == 1
    now = a.next_timeout()
    a.handle_timeout(now)
    exchange()  # the retried SYN finds room
    assert a.state(c2) == "ESTABLISHED"
    assert [e.remote for e in b.events()] == [("10.7.0.1", 40001)]


def test_ipv6_and_segment_level_api():
    a = tcp.Endpoint(secret=b"a" * 16)
    b = tcp.Endpoint(secret=b"b" * 16)
    b.listen(("::", 80))
    now = 5.0
    ca = a.connect(("fd00::1", 5555), ("fd00::2", 80), now)
    for _ in range(4):
        for seg, src, dst in a.segments_to_send(now):
            assert src == ("fd00::1", 5555) and dst == ("fd00::2", 80)
            b.receive_segment(src[0], dst[0], seg, now)
        for seg, src, dst in b.segments_to_send(now):
            a.receive_segment(src[0], dst[0], seg, now)
    [inc] = list(b.events())
    assert inc == tcp.Incoming(0, ("fd00::1", 5555))
    assert a.state(ca) == "ESTABLISHED"
    assert a.stats(ca)["send_mss"] == 1440 - 12
    # The same endpoints over full IPv6 packets.
    a.send(ca, b"six")
    [pkt] = a.packets_to_send(now)
    assert pkt[0] >> 4 == 6
    b.receive_packets([pkt], now)
    assert b.recv(inc.conn, 10) == b"six"


def test_receive_packets_batch():
    net, a, b, ca, cb = connected()
    a.send(ca, b"b" * 100_000)
    pkts = a.packets_to_send(net.now)
    assert len(pkts) > 5
    b.receive_packets(pkts, net.now)
    b.receive_packets(iter([]), net.now)
    assert b.recv(cb, 1 << 20) == b"b" * sum(len(p) - 52 for p in pkts)


def test_checksum_offload_leaves_checksums_to_the_device():
    a, b = pair(checksum_offload=True)
    now = 1.0
    a.connect(A, B, now)
    [syn] = a.packets_to_send(now)
    assert syn[36:38] == b"\x00\x00"  # TCP checksum left empty
    b.receive_packet(syn, now)
    assert len(b.packets_to_send(now)) == 1  # accepted without verification


# ----- robustness ------------------------------------------------------------


def ipv4_tcp(src, dst, sport, dport, flags, payload=b"", checksum=True):
    tcp_hdr = struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 5 << 4, flags, 65535, 0, 0)
    seg = bytearray(tcp_hdr + payload)
    if checksum:
        pseudo = bytes(map(int, src.split(".")))
        pseudo += bytes(map(int, dst.split("."))) + struct.pack("!BBH", 0, 6, len(seg))
        data = pseudo + bytes(seg) + (b"\0" if len(seg) % 2 else b"")
        s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
        while s >> 16:
            s = (s & 0xFFFF) + (s >> 16)
        struct.pack_into("!H", seg, 16, ~s & 0xFFFF)
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 0, 0x4000, 64, 6, 0,
                               bytes(map(int, src.split("."))), bytes(map(int, dst.split(".")))))
    s = sum(struct.unpack("!10H", bytes(ip)))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    struct.pack_into("!H", ip, 10, ~s & 0xFFFF)
    return bytes(ip) + bytes(seg)


def test_garbage_never_raises_and_strays_get_a_reset():
    net, a, b, ca, cb = connected()
    rng = random.Random(7)
    good = ipv4_tcp("10.7.0.9", "10.7.0.2", 1234, 7, 0x10)  # a bare ACK for nobody
    junk = [b"", b"\x45", bytes(20), bytearray(b"\x60" * 40), good[:30], good[:-1] + b"\x01"]
    junk += [rng.randbytes(rng.randrange(1, 200)) for _ in range(300)]
    junk.append(ipv4_tcp("10.7.0.9", "10.7.0.2", 1234, 7, 0x10, checksum=False)[:-2] + b"\xde\xad")
    for j in junk:
        b.receive_packet(j, net.now)
        b.receive_segment("10.7.0.9", "10.7.0.2", j, net.now)
    b.receive_packets(junk, net.now)
    assert list(b.events()) == []
    assert b.state(cb) == "ESTABLISHED"
    b.packets_to_send(net.now)
    b.receive_packet(good, net.now)
    [rst] = b.packets_to_send(net.now)
    assert rst[33] & 0x04  # RST
    # With reset_unknown=False the same stray gets silence.
    quiet = tcp.Endpoint(secret=b"q" * 16, reset_unknown=False)
    quiet.receive_packet(good, 1.0)
    assert quiet.packets_to_send(1.0) == []


# ----- events ---------------------------------------------------------------


EVENTS = [
    tcp.Incoming(conn=1, remote=("10.0.0.1", 80)),
    tcp.Connected(conn=1),
    tcp.Readable(conn=1),
    tcp.Writable(conn=1),
    tcp.PeerFinished(conn=1),
    tcp.Closed(conn=1),
    tcp.Reset(conn=1),
    tcp.TimedOut(conn=1),
    tcp.StateChanged(conn=1, old="ESTABLISHED", new="FIN-WAIT-1"),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_event_classes_are_frozen_values(event):
    cls = type(event)
    assert cls.__module__ == "wirestate.tcp"
    assert getattr(tcp, cls.__name__) is cls
    fields = cls.__match_args__
    assert fields[0] == "conn"
    values = [getattr(event, f) for f in fields]
    assert cls(*values) == event
    assert cls(**dict(zip(fields, values))) == event
    assert hash(cls(*values)) == hash(event)
    assert repr(event).startswith(cls.__name__ + "(conn=1")
    assert event != cls(*([2] + values[1:]))
    assert event != object()
    with pytest.raises(AttributeError):
        event.conn = 5
    assert cls.__doc__


def test_events_of_different_classes_differ():
    assert tcp.Closed(1) != tcp.Reset(1)
    assert len(set(EVENTS)) == len(EVENTS)
    assert repr(tcp.StateChanged(2, "SYN-SENT", "ESTABLISHED")) == (
        "StateChanged(conn=2, old='SYN-SENT', new='ESTABLISHED')"
    )


def test_events_iterator_is_lazy():
    a, b = pair()
    net = Net(a, b)
    ca = a.connect(A, B, net.now)
    for p in a.packets_to_send(net.now):
        b.receive_packet(p, net.now)
    for p in b.packets_to_send(net.now):
        a.receive_packet(p, net.now)
    it = a.events()
    assert iter(it) is it
    assert next(it) == tcp.Connected(ca)
    assert next(it, None) is None


def test_match_statement():
    ns = {"tcp": tcp}
    try:
        exec(
            "def kind(e):\n"
            "    match e:\n"
            "        case tcp.Incoming(conn, (host, port)):\n"
            "            return ('in', conn, host, port)\n"
            "        case tcp.StateChanged(conn, old, new):\n"
            "            return (old, new)\n"
            "        case tcp.Closed(conn):\n"
            "            return ('closed', conn)\n",
            ns,
        )
    except SyntaxError:
        pytest.skip("match needs Python 3.10")
    assert ns["kind"](tcp.Incoming(3, ("1.2.3.4", 5))) == ("in", 3, "1.2.3.4", 5)
    assert ns["kind"](tcp.StateChanged(3, "LAST-ACK", "CLOSED")) == ("LAST-ACK", "CLOSED")
    assert ns["kind"](tcp.Closed(9)) == ("closed", 9)


# ----- errors ----------------------------------------------------------------


def test_unknown_connection_ids_raise():
    a = tcp.Endpoint()
    calls = [
        lambda: a.send(7, b"x"),
        lambda: a.recv(7, 1),
        lambda: a.close(7),
        lambda: a.abort(7),
        lambda: a.state(7),
        lambda: a.stats(7),
        lambda: a.readable(7),
        lambda: a.writable(7),
        lambda: a.at_eof(7),
        lambda: a.local_address(7),
        lambda: a.remote_address(7),
    ]
    for call in calls:
        with pytest.raises(exceptions.LocalProtocolError, match="unknown connection 7"):
            call()
    assert 7 not in a


def test_wrong_state_calls_raise_and_change_nothing():
    net, a, b, ca, cb = connected()
    a.close(ca)
    with pytest.raises(exceptions.LocalProtocolError, match="already closing"):
        a.close(ca)
    with pytest.raises(exceptions.LocalProtocolError, match="closed for sending"):
        a.send(ca, b"late")
    assert a.state(ca) == "FIN-WAIT-1"


def test_address_misuse():
    a = tcp.Endpoint()
    a.listen(B)
    with pytest.raises(exceptions.LocalProtocolError, match="already listening"):
        a.listen(B)
    with pytest.raises(exceptions.LocalProtocolError):
        a.listen(("10.0.0.1", 0))
    c = a.connect(A, ("10.9.9.9", 9), 1.0)
    with pytest.raises(exceptions.LocalProtocolError, match="exists already"):
        a.connect(A, ("10.9.9.9", 9), 1.0)
    with pytest.raises(exceptions.LocalProtocolError):
        a.connect(A, ("::1", 9), 1.0)  # mixed families
    with pytest.raises(exceptions.LocalProtocolError):
        a.connect(("10.0.0.1", 0), B, 1.0)
    with pytest.raises(ValueError):
        a.connect(("localhost", 1), B, 1.0)
    with pytest.raises(ValueError):
        a.connect(("10.0.0.1", 70000), B, 1.0)
    with pytest.raises(TypeError):
        a.connect("10.0.0.1:1", B, 1.0)
    with pytest.raises(TypeError):
        a.listen(("10.0.0.1",))
    with pytest.raises(ValueError):
        a.receive_segment("nonsense", "10.0.0.1", b"", 1.0)
    assert c in a and len(a) == 1
    import ipaddress

    a.listen((ipaddress.ip_address("10.0.0.3"), 9, 0, 0))


@pytest.mark.parametrize(
    "kw",
    [
        {"mtu": 10},
        {"mss": 0},
        {"send_buffer": 0},
        {"recv_buffer": 0},
        {"congestion": "bbr"},
        {"secret": b"short"},
        {"msl": -1.0},
        {"msl": 0.0},
        {"min_rto": 5.0, "max_rto": 1.0},
        {"keepalive": 10.0, "keepalive_probes": 0},
        {"delayed_ack": float("nan")},
    ],
)
def test_bad_configuration_is_a_value_error(kw):
    with pytest.raises(ValueError):
        tcp.Endpoint(**kw)


def test_default_secret_comes_from_the_os():
    # Two endpoints with OS secrets pick different initial sequence numbers.
    isns = set()
    for _ in range(2):
        e = tcp.Endpoint()
        e.connect(A, B, 1.0)
        [syn] = e.packets_to_send(1.0)
        isns.add(syn[24:28])
    assert len(isns) == 2
    # A fixed secret repeats them.
    same = set()
    for _ in range(2):
        e = tcp.Endpoint(secret=bytes(16))
        e.connect(A, B, 1.0)
        same.add(e.packets_to_send(1.0)[0][24:28])
    assert len(same) == 1


def test_guide_example_runs(capsys):
    """The complete example of docs/python-tcp.md runs and prints what it says."""
    import pathlib

    guide = pathlib.Path(__file__).resolve().parents[2] / "docs" / "python-tcp.md"
    if not guide.exists():
        pytest.skip("not run from a checkout")
    text = guide.read_text()
    start = text.index("```python\nfrom wirestate import tcp") + len("```python\n")
    code = text[start : text.index("```", start)]
    shown = text.index("It prints:\n\n```text\n") + len("It prints:\n\n```text\n")
    expected = text[shown : text.index("```", shown)]
    exec(compile(code, str(guide), "exec"), {})
    assert capsys.readouterr().out == expected


def test_design_contract_snippet():
    """The calls exactly as the design document writes them."""
    ep = tcp.Endpoint(secret=None, mss=1460, nodelay=False, congestion="cubic")
    ep.listen(("10.7.0.2", 7))
    peer = tcp.Endpoint()
    now = time.monotonic()
    c = peer.connect(("10.7.0.1", 40000), ("10.7.0.2", 7), now)
    for _ in range(3):
        for pkt in peer.packets_to_send(now):
            ep.receive_packet(pkt, now)
        for pkt in ep.packets_to_send(now):
            peer.receive_packet(pkt, now)
    [incoming] = ep.events()
    assert incoming == tcp.Incoming(incoming.conn, ("10.7.0.1", 40000))
    assert peer.send(c, b"data") == 4
    for pkt in peer.packets_to_send(now):
        ep.receive_packet(pkt, now)
    assert ep.recv(incoming.conn, 65536) == b"data"
    assert ep.state(incoming.conn) == "ESTABLISHED"
    assert {"srtt", "rto", "cwnd", "ssthresh", "retransmits", "bytes_sent", "bytes_received"} <= set(
        ep.stats(incoming.conn)
    )
    ep.next_timeout()
    ep.handle_timeout(now)
    ep.close(incoming.conn)
    peer.abort(c)


def test_random_misuse_and_chaos_only_ever_raise_local_errors():
    """Random calls, random ids, time jumping back and forth, packets dropped,
    duplicated, truncated and corrupted: nothing but LocalProtocolError (and
    only for local misuse) comes out, and the endpoints keep working."""
    rng = random.Random(99)
    a, b = pair(send_buffer=8192, recv_buffer=8192, trace_states=True)
    b.listen(("10.7.0.2", 8))
    eps = [a, b]
    ids = [0, 1, 2, 3, 4, 5, 99]
    now = 10.0
    wire = []
    for _ in range(4000):
        now = max(0.0, now + rng.choice([0.001, 0.01, 0.3, 2.0, -0.5]))
        ep = rng.choice(eps)
        op = rng.randrange(10)
        try:
            if op == 0:
                ep.connect(("10.7.0.1", rng.randrange(40000, 40004)), (B[0], rng.choice([7, 8, 9])), now)
            elif op == 1:
                ep.send(rng.choice(ids), rng.randbytes(rng.randrange(0, 3000)))
            elif op == 2:
                ep.recv(rng.choice(ids), rng.randrange(0, 5000))
            elif op == 3 and rng.random() < 0.2:
                ep.close(rng.choice(ids), now)
            elif op == 4 and rng.random() < 0.05:
                ep.abort(rng.choice(ids))
            elif op == 5:
                ep.handle_timeout(now)
            elif op == 6:
                wire += [(p, ep) for p in ep.packets_to_send(now)]
            elif op == 7 and wire:
                pkt, src = wire.pop(rng.randrange(len(wire)))
                dst = b if src is a else a
                r = rng.random()
                if r < 0.1:
                    pkt = pkt[: rng.randrange(len(pkt))]
                elif r < 0.2:
                    i = rng.randrange(len(pkt))
                    pkt = pkt[:i] + bytes([pkt[i] ^ 0xFF]) + pkt[i + 1 :]
                elif r < 0.3:
                    wire.append((pkt, src))
                dst.receive_packet(pkt, now)
            elif op == 8:
                list(ep.events())
            else:
                c = rng.choice(ids)
                for call in (ep.state, ep.stats, ep.readable, ep.writable, ep.at_eof):
                    try:
                        call(c)
                    except exceptions.LocalProtocolError:
                        pass
                ep.next_timeout()
        except exceptions.LocalProtocolError:
            pass
    # Still a working endpoint afterwards.
    net = Net(a, b, now=now + 1000.0)
    c = a.connect(("10.7.0.1", 41000), B, net.now)
    net.until(lambda: a.state(c) == "ESTABLISHED")
