"""wirestate.ws from Python: every entry point, every event, error paths."""

import pytest

from wirestate import exceptions, ws

REQUEST = (
    b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n"
    b"Sec-WebSocket-Version: 13\r\n\r\n"
)
MASK = bytes([0x37, 0xFA, 0x21, 0x3D])


def masked(b0: int, payload: bytes) -> bytes:
    assert len(payload) < 126
    body = bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))
    return bytes([b0, 0x80 | len(payload)]) + MASK + body


def masked_long(b0: int, payload: bytes) -> bytes:
    """A masked frame of any length (all three length forms)."""
    n = len(payload)
    if n < 126:
        head = bytes([b0, 0x80 | n])
    elif n < 1 << 16:
        head = bytes([b0, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([b0, 0x80 | 127]) + n.to_bytes(8, "big")
    key = int.from_bytes(MASK * (n // 4 + 1), "little") & ((1 << (8 * n)) - 1) if n else 0
    body = (int.from_bytes(payload, "little") ^ key).to_bytes(n, "little")
    return head + MASK + body


def open_server(**kw) -> ws.ServerConnection:
    s = ws.ServerConnection(**kw)
    s.receive_data(REQUEST)
    [req] = s.events()
    assert isinstance(req, ws.Request)
    s.accept()
    assert s.data_to_send().startswith(b"HTTP/1.1 101")
    return s


def pair(compression: bool = False, **server_kw):
    c = ws.ClientConnection(host="localhost", path="/", compression=compression, seed=b"\x01" * 16)
    s = ws.ServerConnection(compression=compression, **server_kw)
    s.receive_data(c.data_to_send())
    [req] = s.events()
    s.accept()
    c.receive_data(s.data_to_send())
    [acc] = c.events()
    assert isinstance(acc, ws.Accepted)
    return c, s


def shuttle(c, s):
    """Moves bytes both ways until quiet; returns (client events, server events)."""
    ce, se = [], []
    while True:
        a, b = c.data_to_send(), s.data_to_send()
        if a:
            s.receive_data(a)
        if b:
            c.receive_data(b)
        ce += c.events()
        se += s.events()
        if not a and not b:
            return ce, se


def test_request_event_fields_and_accept_with_subprotocol():
    s = ws.ServerConnection(subprotocols=("superchat",))
    assert s.state == ws.State.CONNECTING
    s.receive_data(REQUEST)
    [req] = s.events()
    assert req.path == "/chat"
    assert req.host == "server.example.com"
    assert req.origin == "http://example.com"
    assert req.subprotocols == ("chat", "superchat")
    assert req.extensions == ()
    assert ("Origin", b"http://example.com") in req.headers
    s.accept(extra_headers=[("X-Served-By", "wirestate")])
    resp = s.data_to_send()
    assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in resp
    assert b"Sec-WebSocket-Protocol: superchat\r\n" in resp
    assert b"X-Served-By: wirestate\r\n" in resp
    assert s.subprotocol == "superchat"
    assert s.state == ws.State.OPEN


def test_reject_and_client_rejected():
    c = ws.ClientConnection(host="h", path="/")
    s = ws.ServerConnection()
    s.receive_data(c.data_to_send())
    list(s.events())
    s.reject(status=403, headers=[("X-Why", "policy")], body=b"nope")
    assert s.close_expected()
    [closed] = s.events()
    assert isinstance(closed, ws.Closed) and closed.code == 1006 and closed.clean is False
    c.receive_data(s.data_to_send())
    rejected, closed = c.events()
    assert rejected == ws.Rejected(status=403, headers=rejected.headers, body=b"nope")
    assert ("X-Why", b"policy") in rejected.headers
    assert isinstance(closed, ws.Closed)
    assert c.state == ws.State.CLOSED


def test_messages_both_ways_with_and_without_compression():
    for compression in (False, True):
        c, s = pair(compression)
        assert c.compressed is compression and s.compressed is compression
        c.send_text("héllo κόσμε")
        c.send_binary(b"\x00\x01\x02" * 1000)
        s.send_text("")
        s.send_binary(b"")
        ce, se = shuttle(c, s)
        assert se == [ws.TextMessage(data="héllo κόσμε"), ws.BinaryMessage(data=b"\x00\x01\x02" * 1000)]
        assert ce == [ws.TextMessage(data=""), ws.BinaryMessage(data=b"")]


def test_large_message_releases_nothing_but_arrives():
    c, s = pair(True)
    big = bytes(range(256)) * 8192  # 2 MiB, received without the GIL
    c.send_binary(big)
    _, se = shuttle(c, s)
    assert se == [ws.BinaryMessage(data=big)]


@pytest.mark.parametrize("size", [65535, 65536, 200_000, 1 << 20])
@pytest.mark.parametrize("step", [1000, 65536, 70_001])
def test_messages_split_across_reads_arrive_whole(size, step):
    # Binary messages of announced length are assembled in place from the
    # pieces each read delivers; text and fragmented messages are gathered.
    s = open_server(max_message_size=4 << 20)
    payload = bytes((i * 7 + size) & 0xFF for i in range(size))
    text = ("ü" * size)[: size // 2]
    wire = masked_long(0x82, payload) + masked_long(0x81, text.encode())
    wire += masked_long(0x02, payload[:1000]) + masked_long(0x00, payload[1000:5000])
    wire += masked_long(0x80, payload[5000:])
    got = []
    for i in range(0, len(wire), step):
        s.receive_data(wire[i : i + step])
        got.extend(s.events())
    assert got == [
        ws.BinaryMessage(data=payload),
        ws.TextMessage(data=text),
        ws.BinaryMessage(data=payload),
    ]
    assert all(type(e.data) in (bytes, str) for e in got)


def test_large_message_in_reads_of_every_alignment():
    # Reads of irregular sizes put each piece of the payload at a different
    # offset from the mask key and from a cache line in the bytes object.
    s = open_server()
    payload = bytes((i * 31 + 7) & 0xFF for i in range(100_000))
    wire = masked_long(0x82, payload)
    at, step = 0, 1
    while at < len(wire):
        s.receive_data(wire[at : at + step])
        at += step
        step = step * 3 % 257 + 1
    assert list(s.events()) == [ws.BinaryMessage(data=payload)]


def test_message_too_large_while_being_assembled():
    s = open_server(max_message_size=100_000)
    frame = masked_long(0x82, b"x" * 200_000)
    s.receive_data(frame[:70_000])
    s.receive_data(frame[70_000:])
    events = list(s.events())
    assert isinstance(events[-1], ws.Closed) and events[-1].code == 1009
    assert not any(isinstance(e, ws.BinaryMessage) for e in events)


def test_fragments_ping_pong_and_events():
    c, s = pair()
    c.send_fragment("frag", False)
    c.ping(b"p1")
    c.send_fragment("mented", True)
    c.send_fragment(b"\x01", False)
    c.send_fragment(b"\x02", True)
    s.pong(b"unsolicited")
    ce, se = shuttle(c, s)
    assert se == [
        ws.Ping(payload=b"p1"),
        ws.TextMessage(data="fragmented"),
        ws.BinaryMessage(data=b"\x01\x02"),
    ]
    assert ce == [ws.Pong(payload=b"unsolicited"), ws.Pong(payload=b"p1")]


def test_close_handshake():
    c, s = pair()
    c.close(1000, "bye")
    assert c.state == ws.State.CLOSING
    ce, se = shuttle(c, s)
    assert se == [ws.CloseReceived(code=1000, reason="bye"), ws.Closed(code=1000, reason="bye", clean=True)]
    assert s.close_expected()
    assert ce == [ws.CloseReceived(code=1000, reason="")]
    c.receive_data(b"")  # the server closed the stream
    assert list(c.events()) == [ws.Closed(code=1000, reason="", clean=True)]
    assert c.close_expected()
    assert c.state == ws.State.CLOSED


def test_streaming_chunks():
    s = open_server(streaming=True)
    frame = masked(0x81, "añb".encode())
    s.receive_data(frame[:8])
    s.receive_data(frame[8:])
    assert list(s.events()) == [
        ws.MessageChunk(data="a", first=True, last=False),
        ws.MessageChunk(data="ñb", first=False, last=True),
    ]


def test_local_misuse_raises():
    s = ws.ServerConnection()
    with pytest.raises(exceptions.LocalProtocolError):
        s.send_text("too early")
    with pytest.raises(exceptions.LocalProtocolError):
        s.accept()
    s = open_server()
    with pytest.raises(exceptions.LocalProtocolError):
        s.close(1005)
    with pytest.raises(exceptions.LocalProtocolError):
        s.ping(b"x" * 126)
    with pytest.raises(exceptions.LocalProtocolError):
        s.send_fragment("a", False)
        s.send_binary(b"x")  # a whole message inside a fragmented one
    with pytest.raises(exceptions.LocalProtocolError):
        ws.ClientConnection(host="", path="/")
    with pytest.raises(exceptions.LocalProtocolError):
        ws.ClientConnection(host="h", path="/", seed=b"short")


def test_buffer_full_is_a_local_error():
    s = open_server(max_write_buffer=1000)
    with pytest.raises(exceptions.BufferFullError):
        s.send_binary(b"x" * 2000)
    assert issubclass(exceptions.BufferFullError, exceptions.LocalProtocolError)


def test_writable_event():
    s = open_server(write_buffer_high=100, write_buffer_low=10)
    s.send_binary(b"x" * 200)
    assert not s.writable
    assert s.buffered_amount == 204
    s.data_to_send()
    assert s.writable
    assert list(s.events()) == [ws.Writable()]


@pytest.mark.parametrize(
    "garbage, code",
    [
        (bytes([0x81, 0x02, 0x68, 0x69]), 1002),  # unmasked from a client
        (masked(0x83, b""), 1002),  # reserved opcode
        (masked(0x81, b"\xff"), 1007),  # invalid UTF-8
        (masked(0x88, b"\x03"), 1002),  # 1-byte close payload
        (b"\xff" * 64, 1002),
    ],
)
def test_peer_garbage_never_raises(garbage, code):
    s = open_server()
    s.receive_data(garbage)
    events = list(s.events())
    assert isinstance(events[-1], ws.Closed)
    assert events[-1].code == code and events[-1].clean is False
    assert s.close_expected()
    s.receive_data(b"more garbage")
    s.receive_data(b"")
    assert list(s.events()) == []


def test_bad_request_gets_http_error():
    s = ws.ServerConnection()
    s.receive_data(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    [closed] = s.events()
    assert closed.code == 1002
    assert s.data_to_send().startswith(b"HTTP/1.1 400")


def test_timers():
    s = open_server(close_timeout=5.0)
    assert s.next_timeout() is None
    s.handle_timeout(100.0)
    s.close()
    assert s.next_timeout() == pytest.approx(105.0)
    s.handle_timeout(104.0)
    assert list(s.events()) == []
    s.handle_timeout(105.0)
    [closed] = s.events()
    assert closed.code == 1006 and not closed.clean


def test_keepalive_ping():
    s = open_server(keepalive_interval=10.0, keepalive_timeout=5.0)
    s.handle_timeout(0.0)
    s.handle_timeout(10.0)  # the handshake itself was traffic: no ping yet
    assert s.data_to_send() == b""
    s.handle_timeout(20.0)
    out = s.data_to_send()
    assert out[0] == 0x89
    s.handle_timeout(25.0)
    [closed] = s.events()
    assert closed.code == 1011


def test_event_classes_behave_like_values():
    a = ws.Closed(code=1000, reason="x", clean=True)
    assert a == ws.Closed(code=1000, reason="x", clean=True)
    assert a != ws.Closed(code=1001, reason="x", clean=True)
    assert a != "Closed"
    assert repr(a) == "Closed(code=1000, reason='x', clean=True)"
    assert hash(a) == hash(ws.Closed(code=1000, reason="x", clean=True))
    with pytest.raises(AttributeError):
        a.code = 1  # frozen
    match ws.TextMessage(data="hi"):
        case ws.TextMessage(text):
            assert text == "hi"
    assert ws.Writable() == ws.Writable()


def test_stats():
    c, s = pair()
    c.send_text("x")
    shuttle(c, s)
    st = s.stats()
    assert st["messages_received"] == 1
    assert st["bytes_received"] > 0


def test_events_are_lazy_so_a_message_before_a_violation_can_be_answered():
    # text, a reserved opcode, a ping -- in one read (Autobahn 4.1.3)
    s = open_server()
    s.receive_data(masked(0x81, b"Hello, world!") + masked(0x85, b"") + masked(0x89, b""))
    seen = []
    for event in s.events():
        seen.append(event)
        if isinstance(event, ws.TextMessage):
            assert s.state == ws.State.OPEN
            s.send_text(event.data)
    assert seen[0] == ws.TextMessage(data="Hello, world!")
    assert isinstance(seen[1], ws.Closed) and seen[1].code == 1002
    out = s.data_to_send()
    assert out.startswith(b"\x81\x0dHello, world!\x88")
