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
