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
