"""wirestate.tcp connections from Python: handshake, addresses and getters,
data both ways (clean and over a lossy link), half-close, TIME-WAIT, simultaneous
open and close, resets, timeouts driven by explicit `now` values, listeners."""

import hashlib
import random
import time

import pytest

from wirestate import exceptions, tcp
from tcp_support import A, B, Net, pair, connected


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
        "retransmits", "timeouts", "fast_retransmits", "dup_acks", "undos", "reordering",
        "tail_loss_probes", "tail_loss_recoveries", "lost_retransmissions",
        "unacknowledged", "readable", "writable",
    ):
        assert key in s, key
    assert s["undos"] == 0
    assert s["reordering"] == 3
    assert s["tail_loss_probes"] == 0 and s["tail_loss_recoveries"] == 0
    assert s["lost_retransmissions"] == 0
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
