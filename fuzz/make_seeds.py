#!/usr/bin/env python3
"""Writes the hand-made seeds of the byte-format fuzz targets into corpus/.

The input formats are described at the top of each target (and in
src/frames.rs for the two frame targets). Run from fuzz/: python3 make_seeds.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
MASK = bytes([0x37, 0xFA, 0x21, 0x3D])  # the RFC 6455 section 5.7 key


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def frame(b0, payload, mask=None):
    n = len(payload)
    m = 0x80 if mask else 0
    if n < 126:
        head = bytes([b0, m | n])
    elif n < 65536:
        head = bytes([b0, m | 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, m | 127]) + struct.pack(">Q", n)
    if mask:
        return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + payload


def cframe(b0, payload):
    return frame(b0, payload, MASK)


def request(extra=b"", method=b"GET", version=b"13"):
    return (method + b" /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            b"Origin: http://example.com\r\nSec-WebSocket-Version: " + version + b"\r\n"
            + extra + b"\r\n")


def response(extra=b""):
    return (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: {ACCEPT}\r\n" + extra + b"\r\n")


HELLO_DEFLATED = bytes.fromhex("f248cdc9c90700")  # RFC 7692 section 7.2.3.1
HELLO_AGAIN = bytes.fromhex("f200110000")  # 7.2.3.2, with the context of the first
HELLO_STORED = bytes.fromhex("000500faff48656c6c6f00")  # 7.2.3.3, no compression
DEFLATE_OFFER = b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"

# ws_handshake_server: flags, split max, split seed, status byte, stream.
t = "ws_handshake_server"
write(t, "rfc6455-request-accept", bytes([0x01, 0, 0, 0]) + request())
write(t, "rfc6455-request-split-1-byte", bytes([0x01, 1, 0, 0]) + request())
write(t, "request-split-random-accept-eof", bytes([0x11, 9, 42, 0]) + request())
write(t, "request-subprotocols-accept-chat",
      bytes([0x83, 0, 0, 0]) + request(b"Sec-WebSocket-Protocol: chat, superchat\r\n"))
write(t, "request-deflate-offer-accept", bytes([0x05, 0, 0x66, 0x18]) + request(DEFLATE_OFFER))
write(t, "request-then-frames-accept", bytes([0x09, 7, 3, 0]) + request()
      + cframe(0x81, b"Hello") + cframe(0x89, b"ping") + cframe(0x88, b"\x03\xe8bye"))
write(t, "request-reject-404", bytes([0x08, 0, 0, 152]) + request())
write(t, "request-reject-invalid-status-101", bytes([0x00, 0, 0, 0]) + request())
write(t, "request-version-8-gets-426", bytes([0x01, 0, 0, 0]) + request(version=b"8"))
write(t, "request-post-method", bytes([0x01, 0, 0, 0]) + request(method=b"POST"))
write(t, "request-head-too-large-tight", bytes([0x21, 0, 0, 0])
      + request(b"X-Padding: " + b"a" * 300 + b"\r\n"))
write(t, "request-truncated-open-timeout", bytes([0x41, 16, 5, 0]) + request()[:60])

# ws_handshake_client: flags, window bits, split max, split seed, stream.
t = "ws_handshake_client"
write(t, "response-101", bytes([0x00, 0, 0, 0]) + response())
write(t, "response-101-split-1-byte", bytes([0x00, 0, 1, 0]) + response())
write(t, "response-101-chat", bytes([0x02, 0, 0, 0]) + response(b"Sec-WebSocket-Protocol: chat\r\n"))
write(t, "response-101-deflate-then-compressed-hello", bytes([0x01, 0x66, 0, 0])
      + response(b"Sec-WebSocket-Extensions: permessage-deflate\r\n")
      + frame(0xC1, HELLO_DEFLATED) + frame(0xC1, HELLO_AGAIN))
write(t, "response-101-then-frames", bytes([0x00, 0, 5, 7]) + response()
      + frame(0x81, b"Hello") + frame(0x01, b"Hel") + frame(0x89, b"")
      + frame(0x80, b"lo") + frame(0x88, b"\x03\xe8"))
write(t, "response-403-content-length",
      bytes([0x00, 0, 0, 0]) + b"HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\nnope!")
write(t, "response-403-body-until-eof",
      bytes([0x10, 0, 0, 0]) + b"HTTP/1.1 403 Forbidden\r\n\r\nbody until the end")
write(t, "response-101-wrong-accept", bytes([0x00, 0, 0, 0])
      + response().replace(b"{ACCEPT}", b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))
write(t, "response-101-unoffered-extension", bytes([0x00, 0, 0, 0])
      + response(b"Sec-WebSocket-Extensions: permessage-deflate\r\n"))

# ws_server_frames / ws_client_frames: flags, deflate flags, window bits, ops.
def feed(b):
    if len(b) < 256:
        return bytes([0x00, len(b)]) + b
    return bytes([0x01]) + struct.pack(">H", len(b)) + b


NO_DEFLATE = bytes([0x00, 0x18, 0x66])
DEFLATE = bytes([0x01, 0x18, 0x66])

t = "ws_server_frames"
write(t, "rfc6455-masked-hello", NO_DEFLATE + feed(cframe(0x81, b"Hello")))
write(t, "rfc6455-masked-fragments-with-ping", NO_DEFLATE
      + feed(cframe(0x01, b"Hel") + cframe(0x89, b"") + cframe(0x80, b"lo")))
write(t, "rfc6455-masked-pong", NO_DEFLATE + feed(bytes.fromhex("8a8537fa213d7f9f4d5158")))
write(t, "binary-256-and-close", NO_DEFLATE
      + feed(cframe(0x82, bytes(range(256)))) + feed(cframe(0x88, b"\x03\xe8bye")))
write(t, "frame-over-4k-limit", bytes([0x20, 0x18, 0x66])
      + feed(bytes([0x82, 0xFE, 0x20, 0x00]) + MASK + b"x" * 16))
write(t, "invalid-utf8-text", NO_DEFLATE + feed(cframe(0x81, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80")))
write(t, "reserved-opcode", NO_DEFLATE + feed(cframe(0x83, b"")))
write(t, "rfc7692-compressed-hello-twice", DEFLATE
      + feed(cframe(0xC1, HELLO_DEFLATED)) + feed(cframe(0xC1, HELLO_AGAIN)))
write(t, "rfc7692-stored-hello", DEFLATE + feed(cframe(0xC1, HELLO_STORED)))
write(t, "streaming-split-text", bytes([0x02, 0x18, 0x66])
      + bytes([0x3F]) + cframe(0x81, "héllo wörld".encode())[:3]
      + bytes([0xFF]) + cframe(0x81, "héllo wörld".encode())[3:18]
      + bytes([0x1F]) + cframe(0x81, "héllo wörld".encode())[18:])
write(t, "app-send-ping-close", NO_DEFLATE
      + bytes([0x14, 2]) + b"hi" + bytes([0x06, 1]) + b"p" + bytes([0x08, 0x03, 0xE8, 3]) + b"bye"
      + bytes([0x0A]) + feed(cframe(0x88, b"\x03\xe8")))
write(t, "peer-compressed-messages-no-context-takeover", bytes([0x01, 0x1B, 0x33])
      + bytes([0x3C, 11]) + b"hello hello" + bytes([0x3C, 11]) + b"hello hello"
      + bytes([0x1D, 3]) + b"abc" + bytes([0x3D, 3]) + b"def")
write(t, "keepalive-ticks", bytes([0x10, 0x18, 0x66]) + bytes([0x23, 0x23, 0x0A, 0x53]))
write(t, "send-binary-then-consume-output", NO_DEFLATE
      + bytes([0x04, 255]) + b"z" * 255 + bytes([0x04, 255]) + b"y" * 255 + bytes([0xF9, 0x10]))

t = "ws_client_frames"
write(t, "rfc6455-unmasked-hello", NO_DEFLATE + feed(frame(0x81, b"Hello")))
write(t, "rfc6455-fragments-with-ping", NO_DEFLATE
      + feed(frame(0x01, b"Hel") + frame(0x89, b"Hello") + frame(0x80, b"lo")))
write(t, "binary-256-and-65536-header", NO_DEFLATE
      + feed(frame(0x82, bytes(range(256)))) + feed(bytes.fromhex("827f0000000000010000") + b"abc"))
write(t, "close-1000-then-eof", NO_DEFLATE + feed(frame(0x88, b"\x03\xe8")) + bytes([0x02]))
write(t, "masked-frame-from-server", NO_DEFLATE + feed(cframe(0x81, b"Hello")))
write(t, "rfc7692-compressed-hello-twice", DEFLATE
      + feed(frame(0xC1, HELLO_DEFLATED)) + feed(frame(0xC1, HELLO_AGAIN)))
write(t, "rfc7692-stored-hello-fragmented", DEFLATE
      + feed(frame(0x41, HELLO_STORED[:5]) + frame(0x80, HELLO_STORED[5:])))
write(t, "app-close-then-timeout", NO_DEFLATE + bytes([0x08, 0x0F, 0xA0, 0]) + bytes([0x0A, 0x53]))
write(t, "peer-pings-and-closes", NO_DEFLATE
      + bytes([0x1E, 4]) + b"ping" + bytes([0x0E, 0x03, 0xE8, 2]) + b"ok")


# The two Arbitrary targets, encoded the way the `arbitrary` crate (1.x)
# decodes: bool = low bit of a byte, integers little-endian, Option = bool then
# value, a Vec = each element preceded by a true byte, then a false byte; an
# enum variant = a u32 scaled into the variant count.
def b(x):
    return bytes([1 if x else 0])


def u8(x):
    return bytes([x])


def u16(x):
    return struct.pack("<H", x)


def vec(items):
    return b"".join(b"\x01" + i for i in items) + b"\x00"


def byte_vec(data):
    return vec([bytes([c]) for c in data])


def variant(index, count):
    return struct.pack("<I", (index * (1 << 32) + count - 1) // count)


def deflate(snct=False, cnct=False, sbits=15, cbits=15, level=6, threshold=0):
    return b(snct) + b(cnct) + u8(sbits - 9) + u8(cbits - 9) + u8(level) + u8(threshold)


def some(x):
    return b"\x01" + x


NONE = b"\x00"

# ws_pair_ops: Input { setup: Setup, ops: Vec<Op> }
OPS = ["Send", "SendText", "Fragment", "Ping", "Pong", "Close", "CloseNormal", "Deliver",
       "DeliverAll", "Advance", "Cut"]


def op(name, *fields):
    return variant(OPS.index(name), len(OPS)) + b"".join(fields)


def setup(cdef=NONE, sdef=NONE, cstream=False, sstream=False, cecho=True, secho=True,
          tight=False, keepalive=False):
    return cdef + sdef + b(cstream) + b(sstream) + b(cecho) + b(secho) + b(tight) + b(keepalive)


def pair_input(s, ops):
    return s + vec(ops)


CLIENT, SERVER = False, True
t = "ws_pair_ops"
write(t, "text-and-binary-both-ways-then-close", pair_input(setup(), [
    op("SendText", b(CLIENT), byte_vec(b"hello")),
    op("Send", b(SERVER), b(False), byte_vec(bytes(range(10))), b(True)),
    op("DeliverAll"),
    op("CloseNormal", b(CLIENT)),
    op("DeliverAll"),
]))
write(t, "deflate-context-takeover-repeated-text", pair_input(
    setup(some(deflate()), some(deflate())), [
        op("SendText", b(CLIENT), byte_vec(b"hello hello hello")),
        op("SendText", b(CLIENT), byte_vec(b"hello hello hello")),
        op("SendText", b(SERVER), byte_vec(b"hello hello hello")),
        op("DeliverAll"),
        op("SendText", b(SERVER), byte_vec(b"hello hello hello")),
        op("DeliverAll"),
    ]))
write(t, "deflate-no-context-takeover-window-9", pair_input(
    setup(some(deflate(True, True, 9, 9, 9)), some(deflate(False, False, 10, 9, 1))), [
        op("Send", b(CLIENT), b(False), byte_vec(b"abcabcabcabcabcabc"), b(True)),
        op("Send", b(SERVER), b(False), byte_vec(b"abcabcabcabcabcabc"), b(True)),
        op("Send", b(SERVER), b(False), byte_vec(b"abcabcabcabcabcabc"), b(False)),
        op("DeliverAll"),
    ]))
write(t, "fragmented-text-with-ping-between-partial-delivery", pair_input(
    setup(some(deflate()), some(deflate())), [
        op("Fragment", b(CLIENT), b(True), byte_vec("h\u00e9".encode()[:2]), b(False)),
        op("Ping", b(CLIENT), byte_vec(b"are you there")),
        op("Fragment", b(CLIENT), b(True), byte_vec("h\u00e9llo".encode()[2:]), b(True)),
        op("Deliver", b(CLIENT), u16(5)),
        op("Deliver", b(CLIENT), u16(7)),
        op("DeliverAll"),
    ]))
write(t, "streaming-receivers-trickle-delivery", pair_input(
    setup(cstream=True, sstream=True), [
        op("Send", b(SERVER), b(True), byte_vec(b"streamed text, in pieces"), b(False)),
        op("Deliver", b(SERVER), u16(4)),
        op("Deliver", b(SERVER), u16(9)),
        op("Deliver", b(SERVER), u16(9)),
        op("DeliverAll"),
    ]))
write(t, "tight-limits-oversize-message-1009", pair_input(setup(tight=True), [
    op("Send", b(CLIENT), b(False), byte_vec(b"x" * 1100), b(False)),
    op("SendText", b(CLIENT), byte_vec(b"after the big one")),
    op("DeliverAll"),
]))
write(t, "keepalive-silence-then-timeout", pair_input(setup(keepalive=True), [
    op("Advance", u16(300)),
    op("Advance", u16(300)),
    op("Deliver", b(CLIENT), u16(100)),
    op("Advance", u16(800)),
    op("DeliverAll"),
]))
write(t, "close-undelivered-until-close-timeout", pair_input(setup(cecho=False), [
    op("Close", b(SERVER), u16(4000), byte_vec(b"going")),
    op("Advance", u16(3000)),
    op("DeliverAll"),
]))
write(t, "cut-stream-mid-message", pair_input(setup(), [
    op("SendText", b(CLIENT), byte_vec(b"never arrives whole")),
    op("Deliver", b(CLIENT), u16(5)),
    op("Cut", b(SERVER)),
    op("DeliverAll"),
]))

# ws_deflate_roundtrip: Input { client, server, client_streaming,
# server_streaming, messages: Vec<Message> }
def message(from_server, text, data, plain=False, fragments=b"", repeat=0):
    return (b(from_server) + b(text) + byte_vec(data) + b(plain) + byte_vec(fragments)
            + u8(repeat))


def roundtrip(cdef, sdef, msgs, cstream=False, sstream=False):
    return cdef + sdef + b(cstream) + b(sstream) + vec(msgs)


t = "ws_deflate_roundtrip"
write(t, "rfc7692-hello-both-ways-twice", roundtrip(deflate(), deflate(), [
    message(False, True, b"Hello", repeat=1),
    message(True, True, b"Hello", repeat=1),
]))
write(t, "no-context-takeover-window-9-level-9", roundtrip(
    deflate(True, True, 9, 9, 9), deflate(True, False, 9, 12, 9), [
        message(False, False, b"abcdefgh" * 20, repeat=2),
        message(True, False, b"abcdefgh" * 20, repeat=2),
    ]))
write(t, "fragmented-text-split-code-points", roundtrip(deflate(), deflate(), [
    message(False, True, "h\u00e9llo w\u00f6rld \u2603".encode(), fragments=bytes([2, 6, 0, 3])),
    message(True, True, "h\u00e9llo w\u00f6rld \u2603".encode(), fragments=bytes([1, 1, 1])),
]))
write(t, "uncompressed-opt-out-and-threshold", roundtrip(
    deflate(threshold=16), deflate(level=0), [
        message(False, False, b"short"),
        message(False, False, b"long enough to compress, long enough", plain=True),
        message(True, True, b"long enough to compress, long enough"),
    ]))
write(t, "incompressible-binary-streaming", roundtrip(
    deflate(level=9), deflate(level=9), [
        message(False, False, bytes((i * 167 + 13) % 256 for i in range(300))),
        message(True, False, bytes((i * 89 + 7) % 256 for i in range(300)), fragments=bytes([100])),
    ], cstream=True, sstream=True))
write(t, "highly-compressible-1000-bytes", roundtrip(deflate(cbits=10), deflate(sbits=11), [
    message(False, True, b"a" * 1000),
    message(True, True, b"a" * 1000, repeat=3),
]))


# tcp_wire_roundtrip: a mode byte (0 IP packet, 1 bare segment over IPv4,
# 2 bare segment over IPv6, 3 option list), then the bytes; the last byte
# also drives the view setters.
def csum(data):
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack(">%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


V4_SRC, V4_DST = bytes([192, 0, 2, 1]), bytes([198, 51, 100, 7])
V6_SRC = bytes.fromhex("20010db8000000000000000000000001")
V6_DST = bytes.fromhex("20010db8000000000000000000000002")


def tcp_seg(src, dst, sport, dport, seq, ack, flags, window, options=b"", payload=b""):
    options += b"\x00" * (-len(options) % 4)
    off = (20 + len(options)) // 4
    head = struct.pack(">HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, window, 0, 0)
    seg = head + options + payload
    if len(src) == 4:
        pseudo = src + dst + struct.pack(">BBH", 0, 6, len(seg))
    else:
        pseudo = src + dst + struct.pack(">IxxxB", len(seg), 6)
    c = csum(pseudo + seg)
    return seg[:16] + struct.pack(">H", c) + seg[18:]


def ipv4(payload, proto=6, options=b"", frag=0x4000, src=V4_SRC, dst=V4_DST):
    ihl = 5 + len(options) // 4
    head = struct.pack(">BBHHHBBH", 0x40 | ihl, 0, 4 * ihl + len(payload), 1, frag, 64, proto, 0)
    head += src + dst + options
    return head[:10] + struct.pack(">H", csum(head)) + head[12:] + payload


def ipv6(payload, next_header=6, ext=b""):
    return (struct.pack(">IHBB", 6 << 28, len(ext) + len(payload), next_header, 64)
            + V6_SRC + V6_DST + ext + payload)


MSS = b"\x02\x04\x05\xb4"
LINUX_SYN_OPTS = MSS + b"\x04\x02\x08\x0a\x00\x01\xe2\x40\x00\x00\x00\x00\x01\x03\x03\x07"
TS = b"\x01\x01\x08\x0a\x00\x01\xe2\x41\x00\x00\x30\x39"
SACK2 = b"\x01\x01\x05\x12" + struct.pack(">IIII", 1500, 2500, 3000, 4000)

t = "tcp_wire_roundtrip"
write(t, "ipv4-linux-syn", b"\x00" + ipv4(tcp_seg(V4_SRC, V4_DST, 40000, 80, 1000, 0, 0x02, 64240,
                                                      LINUX_SYN_OPTS)))
write(t, "ipv6-synack-mss-sackok-ws", b"\x00" + ipv6(tcp_seg(
    V6_SRC, V6_DST, 80, 40000, 7, 1001, 0x12, 65535, MSS + b"\x01\x01\x04\x02\x01\x03\x03\x0e")))
write(t, "ipv4-data-ts-and-two-sack-blocks", b"\x00" + ipv4(tcp_seg(
    V4_SRC, V4_DST, 40000, 80, 1001, 8, 0x18, 502, TS + SACK2, b"hello, world")))
write(t, "ipv4-ip-options-then-fin", b"\x00" + ipv4(tcp_seg(
    V4_SRC, V4_DST, 40000, 80, 2000, 9, 0x11, 500), options=b"\x01\x01\x01\x00"))
write(t, "ipv6-hop-by-hop-then-rst", b"\x00" + ipv6(
    tcp_seg(V6_SRC, V6_DST, 80, 40000, 9, 0, 0x04, 0), next_header=0,
    ext=b"\x06\x00\x01\x04\x00\x00\x00\x00"))
write(t, "ipv4-fragment-unsupported", b"\x00" + ipv4(tcp_seg(
    V4_SRC, V4_DST, 1, 2, 3, 4, 0x10, 5), frag=0x2000))
write(t, "ipv4-udp-not-tcp", b"\x00" + ipv4(b"\x00\x35\x00\x35\x00\x08\x00\x00", proto=17))
write(t, "ipv4-total-length-past-buffer", b"\x00" + ipv4(tcp_seg(
    V4_SRC, V4_DST, 40000, 80, 1, 2, 0x10, 3))[:30])
write(t, "bare-v4-four-sack-blocks", b"\x01" + tcp_seg(
    V4_SRC, V4_DST, 40000, 80, 1, 2, 0x10, 3,
    b"\x01\x01\x05\x22" + struct.pack(">8I", 10, 20, 30, 40, 50, 60, 70, 80)))
write(t, "bare-v6-sack-blocks-that-do-not-fit", b"\x02" + tcp_seg(
    V6_SRC, V6_DST, 40000, 80, 1, 2, 0x10, 3,
    MSS + b"\x01\x03\x03\x07" + b"\x05\x1a" + struct.pack(">6I", 1, 2, 3, 4, 5, 6)))
write(t, "bare-v4-bad-option-length", b"\x01" + tcp_seg(
    V4_SRC, V4_DST, 40000, 80, 1, 2, 0x02, 3, b"\x02\x05\x05\xb4\x01\x01\x01\x01"))
write(t, "bare-v4-unknown-option-and-eol", b"\x01" + tcp_seg(
    V4_SRC, V4_DST, 40000, 80, 1, 2, 0x02, 3, b"\x1e\x06abcd\x00\x00"))
write(t, "options-linux-syn", b"\x03" + LINUX_SYN_OPTS)
write(t, "options-unknown-then-truncated", b"\x03" + b"\xfd\x04\xbe\xef\x08\x0a\x00")


# tcp_connection: Input { setup: Setup, ops: Vec<Op> }.
STARTS = ["Listen", "SynSent", "SynReceived", "Established", "FinWait1", "FinWait2",
          "CloseWait", "Closing", "LastAck", "TimeWait"]
CONN_OPS = ["Segment", "Raw", "Advance", "AdvanceSecs", "FireDeadline", "Send", "Recv", "Close",
            "Abort", "Connect", "PeerSend", "PeerRecv", "PeerClose", "PeerAbort", "PeerConnect",
            "ToPeer", "FromPeer", "Exchange", "Lose"]
KNOBS = ["tight", "small_mtu", "nodelay", "no_sack", "no_timestamps", "no_scaling", "newreno",
         "no_delayed_ack", "keepalive", "user_timeout", "state_events", "offload"]


def knobs(**on):
    return b"".join(b(on.get(k, False)) for k in KNOBS)


def i8(x):
    return struct.pack("<b", x)


def i16(x):
    return struct.pack("<h", x)


def u32(x):
    return struct.pack("<I", x)


def num(kind, value):
    index = ["Near", "Mid", "Window", "Raw"].index(kind)
    enc = {"Near": i8, "Mid": i16, "Window": i8, "Raw": u32}[kind]
    return variant(index, 4) + enc(value)


def near(d=0):
    return num("Near", d)


def ts(kind="Live", *values):
    index = ["None", "Live", "Raw"].index(kind)
    enc = {"None": lambda: b"", "Live": lambda: i8(values[0] if values else 1),
           "Raw": lambda: u32(values[0]) + u32(values[1])}[kind]
    return variant(index, 3) + enc()


def ports(kind="Connection", *values):
    index = ["Connection", "Source", "Both"].index(kind)
    return variant(index, 3) + b"".join(u16(v) for v in values)


FIN_, SYN_, RST_, PSH_, ACK_ = 0x01, 0x02, 0x04, 0x08, 0x10


def segment(flags, seq=None, ack=None, window=65535, payload=b"", repeat=0, mss=None,
            ws=None, sackok=False, sack=(), stamp=None, port=None):
    return (variant(0, len(CONN_OPS)) + (port or ports()) + (seq or near()) + (ack or near())
            + u8(flags) + u16(window) + u16(0)
            + (some(u16(mss)) if mss is not None else NONE)
            + (some(u8(ws)) if ws is not None else NONE)
            + b(sackok) + vec([l + r for (l, r) in sack])
            + (stamp or ts("Live", 1)) + byte_vec(payload) + u8(repeat))


def cop(name, *fields):
    return variant(CONN_OPS.index(name), len(CONN_OPS)) + b"".join(fields)


def conn_input(start, ops, passive=False, ipv6_=False, prelude=0, **on):
    setup_ = (variant(STARTS.index(start), len(STARTS)) + knobs(**on) + b(ipv6_) + b(passive)
              + u8(prelude) + u8(7))
    return setup_ + vec(ops)


t = "tcp_connection"
write(t, "listen-syn-flood-past-the-queue-gets-cookies", conn_input("Listen", [
    segment(SYN_, seq=num("Raw", 100 + i), port=ports("Source", 1000 + i), mss=1460, sackok=True)
    for i in range(7)] + [cop("FireDeadline"), cop("AdvanceSecs", u8(3))]))
write(t, "listen-peer-connects-and-exchanges", conn_input("Listen", [
    cop("PeerConnect"), cop("Exchange"), cop("PeerSend", u16(3000)), cop("Exchange"),
    cop("Recv", u16(4096)), cop("Close"), cop("Exchange")]))
write(t, "syn-sent-synack-with-options-and-data", conn_input("SynSent", [
    segment(SYN_ | ACK_, seq=num("Raw", 5000), ack=near(0), mss=536, ws=14, sackok=True,
            payload=b"early data"),
    cop("Recv", u16(100)), cop("Send", u16(2000)), cop("FireDeadline")], nodelay=True))
write(t, "syn-sent-simultaneous-open", conn_input("SynSent", [
    segment(SYN_, seq=num("Raw", 77), mss=1000, ws=2),
    segment(SYN_ | ACK_, seq=num("Raw", 77), ack=near(0)), cop("FireDeadline")]))
write(t, "syn-received-exact-rst-and-retries", conn_input("SynReceived", [
    cop("FireDeadline"), cop("FireDeadline"), segment(RST_, seq=near(0))]))
write(t, "established-out-of-order-then-fill", conn_input("Established", [
    segment(ACK_, seq=num("Mid", 1000), payload=b"x" * 500),
    segment(ACK_, seq=num("Mid", 3000), payload=b"y" * 500),
    segment(ACK_, seq=near(0), payload=b"z" * 250, repeat=3),
    cop("Recv", u16(8000))], prelude=10))
write(t, "established-zero-window-persist-probes", conn_input("Established", [
    segment(ACK_, window=0), cop("Send", u16(5000)), cop("FireDeadline"), cop("FireDeadline"),
    segment(ACK_, window=100), cop("FireDeadline")], tight=True, nodelay=True))
write(t, "established-sack-blocks-and-dup-acks", conn_input("Established", [
    cop("Send", u16(20000)),
    segment(ACK_, sack=[(num("Mid", 1000), num("Mid", 2000))]),
    segment(ACK_, sack=[(num("Mid", 1000), num("Mid", 3000))]),
    segment(ACK_, sack=[(num("Mid", 4000), num("Mid", 5000)), (num("Mid", 1000), num("Mid", 3000))]),
    segment(ACK_), cop("FireDeadline")], newreno=True))
write(t, "established-challenge-acks-syn-and-rst-in-window", conn_input("Established", [
    segment(SYN_, seq=near(5)), segment(RST_, seq=near(3)), segment(RST_ | ACK_, seq=near(0))]))
write(t, "fin-wait-1-old-timestamp-paws", conn_input("FinWait1", [
    segment(ACK_, stamp=ts("Live", -100)), segment(ACK_ | FIN_), cop("FireDeadline")]))
write(t, "fin-wait-2-peer-data-and-timeout", conn_input("FinWait2", [
    cop("PeerSend", u16(1000)), cop("FromPeer", u8(4)), cop("AdvanceSecs", u8(11))],
    keepalive=True))
write(t, "close-wait-send-then-close", conn_input("CloseWait", [
    cop("Send", u16(3000)), cop("Close"), cop("ToPeer", u8(10)), cop("FromPeer", u8(10)),
    cop("FireDeadline")], state_events=True))
write(t, "closing-ack-of-our-fin", conn_input("Closing", [
    segment(ACK_, ack=near(0)), cop("AdvanceSecs", u8(3))], no_timestamps=True))
write(t, "last-ack-retransmits-fin-until-timeout", conn_input("LastAck", [
    cop("FireDeadline")] * 6 + [cop("AdvanceSecs", u8(60))], user_timeout=True))
write(t, "time-wait-fin-again-and-rst", conn_input("TimeWait", [
    segment(FIN_ | ACK_, seq=near(-1)), cop("Advance", u16(500)), segment(RST_, seq=near(0)),
    cop("AdvanceSecs", u8(3))], ipv6_=True))


# tcp_endpoint_pair: Input { knobs, ipv6, secret, latency, a_len, a_seed,
# b_len, b_seed, one_way, b_waits, writes, reads, fates }.
FATES = ["Deliver", "Drop", "Duplicate", "Delay", "Corrupt"]


def fate(name, *fields):
    return variant(FATES.index(name), len(FATES)) + b"".join(fields)


def pair_tcp(fates, a_len=8000, b_len=8000, one_way=False, b_waits=False, latency=10,
             writes=(), reads=(), ipv6_=False, seed_a=b"abc", seed_b=b"xyz", **on):
    return (knobs(**on) + b(ipv6_) + u8(3) + u8(latency) + u16(a_len) + byte_vec(seed_a)
            + u16(b_len) + byte_vec(seed_b) + b(one_way) + b(b_waits)
            + vec([u16(w) for w in writes]) + vec([u16(r) for r in reads]) + vec(fates))


t = "tcp_endpoint_pair"
write(t, "perfect-link-both-ways", pair_tcp([]))
write(t, "lost-syn-and-synack", pair_tcp([fate("Drop"), fate("Drop"), fate("Deliver"),
                                          fate("Drop")], a_len=3000, one_way=True))
write(t, "tight-buffers-slow-reader-small-mtu", pair_tcp(
    [fate("Deliver")] * 6 + [fate("Drop")] + [fate("Deliver")] * 4 + [fate("Drop")],
    a_len=40000, one_way=True, reads=[100, 1000], writes=[5000], tight=True, small_mtu=True))
write(t, "reorder-and-duplicate-sack", pair_tcp(
    [fate("Deliver")] * 4 + [fate("Delay", u8(20)), fate("Duplicate"), fate("Deliver"),
                             fate("Delay", u8(5)), fate("Duplicate")] * 6, a_len=30000))
write(t, "corrupted-packets-dropped-by-checksum", pair_tcp(
    [fate("Deliver")] * 3 + [fate("Corrupt", u16(40), u8(0xff)), fate("Corrupt", u16(5), u8(1))] * 5,
    a_len=20000, b_len=500))
write(t, "ipv6-newreno-no-sack-losses-close-wait", pair_tcp(
    [fate("Deliver"), fate("Deliver"), fate("Deliver"), fate("Drop"), fate("Drop"), fate("Deliver"),
     fate("Drop")] * 4, a_len=25000, b_len=2000, b_waits=True, ipv6_=True, newreno=True,
    no_sack=True, no_timestamps=True))
