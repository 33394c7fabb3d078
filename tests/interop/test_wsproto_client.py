"""The echo server example against a client driven by wsproto (sans-IO), with
and without wsproto's PerMessageDeflate extension."""
from __future__ import annotations

import random
import socket
import time

import pytest
from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (AcceptConnection, BytesMessage, CloseConnection, Message, Ping,
                            Pong, RejectConnection, Request, TextMessage)
from wsproto.extensions import PerMessageDeflate

OP_TIMEOUT = 20.0


class WsprotoClient:
    """A blocking wsproto client over a loopback socket."""

    def __init__(self, url: str, compression: bool, **deflate_params):
        hostport = url.removeprefix("ws://").rstrip("/")
        host, _, port = hostport.rpartition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=OP_TIMEOUT)
        self.conn = WSConnection(ConnectionType.CLIENT)
        self.bytes_in = 0
        self.eof = False
        self.pending: list = []
        offer = [PerMessageDeflate(**deflate_params)] if compression else []
        self.sock.sendall(self.conn.send(Request(host=hostport, target="/", extensions=offer)))
        ev = self.next_event()
        if isinstance(ev, RejectConnection):
            raise AssertionError(f"handshake rejected with status {ev.status_code}")
        assert isinstance(ev, AcceptConnection), f"expected AcceptConnection, got {ev!r}"
        self.accept = ev

    def next_event(self):
        deadline = time.monotonic() + OP_TIMEOUT
        while not self.pending:
            self.pending.extend(self.conn.events())
            if self.pending:
                break
            if self.eof:
                raise AssertionError("connection closed by the server while waiting for an event")
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for an event")
            data = self.sock.recv(65536)
            self.bytes_in += len(data)
            if not data:
                self.eof = True
                self.conn.receive_data(None)
            else:
                self.conn.receive_data(data)
        return self.pending.pop(0)

    def send(self, event) -> None:
        self.sock.sendall(self.conn.send(event))

    def recv_message(self):
        """One whole message (reassembled from wsproto's partial events)."""
        parts, kind = [], None
        while True:
            ev = self.next_event()
            if isinstance(ev, Ping):
                self.send(ev.response())
                continue
            assert isinstance(ev, (TextMessage, BytesMessage)), f"expected a message, got {ev!r}"
            assert kind in (None, type(ev)), "message kind changed inside a message"
            kind = type(ev)
            parts.append(ev.data)
            if ev.message_finished:
                return ("" if kind is TextMessage else b"").join(parts)

    def close(self, code: int = 1000, reason: str = "") -> CloseConnection:
        self.send(CloseConnection(code=code, reason=reason))
        ev = self.next_event()
        while isinstance(ev, (TextMessage, BytesMessage, Pong)):
            ev = self.next_event()
        assert isinstance(ev, CloseConnection), f"expected the server's Close, got {ev!r}"
        assert self.conn.state is ConnectionState.CLOSED
        # the server closes the TCP connection after the closing handshake
        self.sock.settimeout(OP_TIMEOUT)
        rest = b""
        while chunk := self.sock.recv(4096):
            rest += chunk
        assert rest == b"", f"bytes after the closing handshake: {rest[:40]!r}"
        self.sock.close()
        return ev


def negotiated(client: WsprotoClient) -> list:
    return [e for e in client.accept.extensions if isinstance(e, PerMessageDeflate)]


@pytest.mark.parametrize("compression", [True, False], ids=["deflate", "plain"])
def test_handshake_and_extension(echo_url, compression):
    c = WsprotoClient(echo_url, compression)
    if compression:
        assert negotiated(c), "permessage-deflate was offered but not accepted"
    else:
        assert not c.accept.extensions
    ev = c.close()
    assert ev.code == 1000


@pytest.mark.parametrize("compression", [True, False], ids=["deflate", "plain"])
def test_echo_text_and_binary(echo_url, compression):
    rng = random.Random(11)
    c = WsprotoClient(echo_url, compression)
    for size in (0, 1, 125, 126, 65535, 65536, 300_000, 1 << 20):
        data = rng.randbytes(size)
        c.send(Message(data=data))
        assert c.recv_message() == data, f"{size} B binary echoed wrong"
        text = "".join(rng.choice("abc é中😀") for _ in range(size // 4))
        c.send(Message(data=text))
        assert c.recv_message() == text, f"{len(text)}-char text echoed wrong"
    assert c.close().code == 1000


@pytest.mark.parametrize("compression", [True, False], ids=["deflate", "plain"])
def test_fragmented_with_interleaved_ping(echo_url, compression):
    c = WsprotoClient(echo_url, compression)
    c.send(Message(data="héllo ", message_finished=False))
    c.send(Ping(payload=b"inside"))       # control frame between fragments
    c.send(Message(data="wörld", message_finished=False))
    c.send(Message(data="", message_finished=True))
    got_pong = False
    parts = []
    while True:
        ev = c.next_event()
        if isinstance(ev, Pong):
            assert ev.payload == b"inside"
            got_pong = True
            continue
        assert isinstance(ev, TextMessage), f"unexpected {ev!r}"
        parts.append(ev.data)
        if ev.message_finished:
            break
    assert "".join(parts) == "héllo wörld"
    if not got_pong:
        ev = c.next_event()
        assert isinstance(ev, Pong) and ev.payload == b"inside"
    assert c.close().code == 1000


def test_compression_reduces_bytes_on_the_wire(echo_url):
    """With permessage-deflate negotiated, a very compressible 1 MiB message
    comes back in far fewer bytes than it has (the server compresses)."""
    data = b"wirestate " * (1 << 17)  # 1.25 MiB of repeated text
    plain = WsprotoClient(echo_url, False)
    plain.send(Message(data=data))
    assert plain.recv_message() == data
    plain_bytes = plain.bytes_in
    plain.close()

    c = WsprotoClient(echo_url, True)
    assert negotiated(c)
    start = c.bytes_in
    c.send(Message(data=data))
    assert c.recv_message() == data
    compressed_bytes = c.bytes_in - start
    c.close()
    assert plain_bytes > len(data)
    assert compressed_bytes < len(data) // 20, \
        f"echo of {len(data)} B took {compressed_bytes} B on the wire: not compressed"


@pytest.mark.parametrize("params", [
    dict(client_no_context_takeover=True),
    dict(server_no_context_takeover=True),
    dict(client_max_window_bits=9),
    dict(server_max_window_bits=9),
    dict(client_no_context_takeover=True, server_no_context_takeover=True,
         client_max_window_bits=10, server_max_window_bits=12),
], ids=["cnct", "snct", "cmwb9", "smwb9", "all"])
def test_deflate_parameters(echo_url, params):
    c = WsprotoClient(echo_url, True, **params)
    ext = negotiated(c)
    assert ext, f"permessage-deflate with {params} was not accepted"
    rng = random.Random(3)
    for i in range(30):
        # repeated content across messages exercises (or not) context takeover
        msg = ("shared prefix " * 50) + str(i) + "".join(rng.choice("xyz") for _ in range(i * 100))
        c.send(Message(data=msg))
        assert c.recv_message() == msg
    assert c.close().code == 1000
