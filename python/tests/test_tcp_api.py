"""wirestate.tcp's surface from Python: garbage packets, event classes,
error paths for local misuse, configuration, the guide's example and the
design document's calls."""

import random
import struct
import time

import pytest

from wirestate import exceptions, tcp
from tcp_support import A, B, Net, pair, connected


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
