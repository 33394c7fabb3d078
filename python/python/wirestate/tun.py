"""The userspace TCP of :mod:`wirestate.tcp` on a Linux TUN device, in asyncio.

A TUN device is a network interface whose other end is a file descriptor:
every IP packet the kernel routes to it can be read from the descriptor, and
every packet written to the descriptor arrives at the kernel as if from a
wire. :class:`TunStack` puts a :class:`wirestate.tcp.Endpoint` on that
descriptor, so programs on the same machine (or behind it) talk TCP with
wirestate's state machine instead of the kernel's.

This module is network glue only. It reads packets with ``loop.add_reader``,
hands them to the endpoint, writes the endpoint's packets back, and keeps one
``loop.call_at`` timer at the endpoint's ``next_timeout()``. Connections are
offered the way asyncio offers sockets: as :class:`asyncio.Transport`
objects for protocols (:meth:`TunStack.create_connection`,
:meth:`TunStack.create_server`), or as :class:`asyncio.StreamReader` /
:class:`asyncio.StreamWriter` pairs (:meth:`TunStack.open_connection`,
:meth:`TunStack.start_server`).

Set the device up first (as root), giving the kernel's side an address on a
subnet that contains the stack's address::

    ip tuntap add dev wst0 mode tun
    ip addr add 10.77.0.1/24 dev wst0
    ip link set wst0 up

then, in the same network namespace::

    import asyncio
    from wirestate import tun

    async def echo(reader, writer):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()

    async def main():
        async with tun.TunStack("wst0", "10.77.0.2") as stack:
            async with await stack.start_server(echo, 7):
                await asyncio.sleep(3600)   # try: nc 10.77.0.2 7

    asyncio.run(main())

Flow control is TCP's own: a protocol that pauses reading (a full
``StreamReader``) stops the stack from taking bytes out of the endpoint, so
the receive window closes; writes beyond the endpoint's send buffer wait in
the transport, which pauses its protocol (``StreamWriter.drain``) above
64 KiB.

Linux only; opening a TUN device needs ``CAP_NET_ADMIN`` (or a device made
for your user with ``ip tuntap add ... user``).
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import random
import struct
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Set, Tuple

from . import tcp
from .exceptions import LocalProtocolError

__all__ = ["TunServer", "TunStack", "open_tun"]

_TUNSETIFF = 0x400454CA
_IFF_TUN = 0x0001
_IFF_NO_PI = 0x1000

#: Packets read from the device per wakeup at most, so timers and other
#: tasks are not starved by a flood.
_READ_BATCH = 256
#: Bytes offered to a connection beyond what it said it would take.
_PUSH_EXTRA = 4096
#: Bytes taken out of a connection per recv call.
_RECV_CHUNK = 256 * 1024


_Factory = Callable[[], asyncio.BaseProtocol]
if TYPE_CHECKING:
    _ConnectFuture = asyncio.Future[Tuple[asyncio.BaseTransport, asyncio.BaseProtocol]]


def open_tun(name: str) -> Tuple[int, str]:
    """Attaches to TUN device ``name`` (created if missing, which needs
    ``CAP_NET_ADMIN``) without packet information headers, so every read
    is one IP packet. Returns the non-blocking descriptor and the device's
    name (the kernel picks one when ``name`` ends in ``%d``)."""
    raw = name.encode()
    if not raw or len(raw) >= 16:
        raise ValueError(f"a device name is 1 to 15 bytes, not {name!r}")
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        ifreq = struct.pack("16sH22x", raw, _IFF_TUN | _IFF_NO_PI)
        answer = fcntl.ioctl(fd, _TUNSETIFF, ifreq)
    except BaseException:
        os.close(fd)
        raise
    return fd, answer[:16].rstrip(b"\0").decode()


class _Transport(asyncio.Transport):
    """One TCP connection of a :class:`TunStack`, as an asyncio transport."""

    def __init__(self, stack: TunStack, conn: int, protocol: asyncio.BaseProtocol) -> None:
        ep = stack.endpoint
        super().__init__(
            {"peername": ep.remote_address(conn), "sockname": ep.local_address(conn), "conn": conn}
        )
        self._stack = stack
        self._conn = conn
        self._protocol = protocol
        self._out = bytearray()
        self._eof_wanted = False
        self._fin_queued = False
        self._eof_delivered = False
        self._closing = False
        self._lost = False
        self._reading = True
        self._write_paused = False
        self._error: Optional[Exception] = None
        self._high = 64 * 1024
        self._low = 16 * 1024

    # ----- asyncio.Transport ----------------------------------------------

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._protocol

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._protocol = protocol

    def is_closing(self) -> bool:
        return self._closing or self._lost

    def is_reading(self) -> bool:
        return self._reading and not self._lost

    def pause_reading(self) -> None:
        self._reading = False

    def resume_reading(self) -> None:
        if not self._reading:
            self._reading = True
            self._stack._want_pull(self)

    def write(self, data: Any) -> None:
        if self._eof_wanted:
            raise RuntimeError("cannot write after write_eof() or close()")
        if self._lost or not data:
            return
        self._out += data
        self._push()
        if not self._write_paused and len(self._out) > self._high:
            self._write_paused = True
            pause = getattr(self._protocol, "pause_writing", None)
            if pause is not None:
                pause()
        self._stack._kick()

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self.write(data)

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        """Sends a FIN once the buffered data is handed to the endpoint."""
        if self._eof_wanted or self._lost:
            return
        self._eof_wanted = True
        self._push()
        self._stack._kick()

    def get_write_buffer_size(self) -> int:
        return len(self._out)

    def get_write_buffer_limits(self) -> Tuple[int, int]:
        return (self._low, self._high)

    def set_write_buffer_limits(self, high: Optional[int] = None, low: Optional[int] = None) -> None:
        if high is None:
            high = 64 * 1024 if low is None else 4 * low
        if low is None:
            low = high // 4
        if not 0 <= low <= high:
            raise ValueError(f"high ({high!r}) must be >= low ({low!r}) must be >= 0")
        self._high, self._low = high, low

    def close(self) -> None:
        """Flushes the buffered data, sends a FIN, stops delivering data, and
        then calls the protocol's ``connection_lost(None)``. The endpoint
        finishes the TCP close on its own (retransmissions, TIME-WAIT)."""
        if self._closing or self._lost:
            return
        self._closing = True
        self._reading = False
        self._eof_wanted = True
        self._push()
        self._stack._kick()

    def abort(self) -> None:
        """Resets the connection (RST) and drops buffered data."""
        if self._lost:
            return
        ep = self._stack.endpoint
        if self._conn in ep:
            try:
                ep.abort(self._conn)
            except LocalProtocolError:
                pass
        self._closing = True
        self._out.clear()
        self._lose(None)
        self._stack._kick()

    # ----- driven by the stack ------------------------------------------------

    def _push(self) -> None:
        """Hands buffered bytes (and then the FIN) to the endpoint."""
        if self._lost:
            return
        ep = self._stack.endpoint
        conn = self._conn
        if conn not in ep:
            return
        try:
            while self._out:
                # Offer more than fits when there is more: a short write is
                # what makes the endpoint announce Writable later.
                room = ep.writable(conn)
                taken = ep.send(conn, bytes(self._out[: room + _PUSH_EXTRA]))
                del self._out[:taken]
                if taken <= room:
                    break
            if not self._out and self._eof_wanted and not self._fin_queued:
                self._fin_queued = True
                ep.close(conn)
        except LocalProtocolError as e:
            # Our side was closed under us (a reset, a timeout): the data
            # cannot go anywhere.
            self._out.clear()
            self._error = self._error or ConnectionResetError(str(e))
        if self._write_paused and len(self._out) <= self._low:
            self._write_paused = False
            resume = getattr(self._protocol, "resume_writing", None)
            if resume is not None:
                resume()
        if self._closing and not self._out and (self._fin_queued or self._error):
            self._lose(None)

    def _pull(self) -> None:
        """Delivers what the endpoint received, then the end of stream."""
        ep = self._stack.endpoint
        conn = self._conn
        if self._lost or conn not in ep:
            return
        while self._reading:
            data = ep.recv(conn, _RECV_CHUNK)
            if not data:
                break
            data_received = getattr(self._protocol, "data_received", None)
            if data_received is not None:
                data_received(data)
            if self._lost or conn not in ep:
                return
        if self._reading and not self._eof_delivered and ep.at_eof(conn):
            self._eof_delivered = True
            eof_received = getattr(self._protocol, "eof_received", None)
            keep_open = eof_received() if eof_received is not None else False
            if not keep_open:
                self.close()

    def _lose(self, exc: Optional[Exception]) -> None:
        if self._lost:
            return
        self._lost = True
        self._reading = False
        self._stack._forget(self)
        self._stack._loop.call_soon(self._protocol.connection_lost, exc)


class TunServer:
    """What :meth:`TunStack.create_server` and :meth:`TunStack.start_server`
    return: a listener on one port of the stack's address. Closing it stops
    new connections; established ones go on."""

    def __init__(self, stack: TunStack, port: int, factory: Callable[[], asyncio.BaseProtocol]) -> None:
        self._stack = stack
        self.port = port
        self._factory = factory
        self._serving = True

    @property
    def address(self) -> Tuple[str, int]:
        """The ``(host, port)`` listened on."""
        return (self._stack.address, self.port)

    def is_serving(self) -> bool:
        """Whether new connections are still accepted."""
        return self._serving

    def close(self) -> None:
        """Stops accepting connections."""
        if self._serving:
            self._serving = False
            self._stack._unlisten(self)

    async def wait_closed(self) -> None:
        """Returns at once: nothing lingers after :meth:`close`."""

    async def __aenter__(self) -> TunServer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


class TunStack:
    """A :class:`wirestate.tcp.Endpoint` on TUN device ``device``, using IP
    ``address`` (an address the kernel routes to the device, not one it
    owns). Create it inside a running event loop; keyword options go to
    :class:`wirestate.tcp.Endpoint` (``mtu`` should match the device's,
    1500 by default).

    Packets that cannot be written (the device's queue is full or down) are
    dropped, as a wire would; TCP retransmits them.

    Attributes: ``endpoint`` (the :class:`wirestate.tcp.Endpoint`, for
    ``state()`` and ``stats()``), ``device`` (the device's name),
    ``address``, and ``write_drops`` (packets the device refused)."""

    def __init__(self, device: str, address: str, **options: Any) -> None:
        self._loop = asyncio.get_running_loop()
        self.address = address
        self._fd, self.device = open_tun(device)
        try:
            self.endpoint = tcp.Endpoint(**options)
        except BaseException:
            os.close(self._fd)
            raise
        self._transports: Dict[int, _Transport] = {}
        self._servers: Dict[int, TunServer] = {}
        self._connecting: Dict[int, Tuple[_ConnectFuture, _Factory]] = {}
        self._pull_wanted: Set[_Transport] = set()
        self._timer: Optional[asyncio.TimerHandle] = None
        self._timer_at: Optional[float] = None
        self._scheduled = False
        self._closed = False
        self._next_port = random.randrange(49152, 65536)
        #: Packets that could not be written to the device.
        self.write_drops = 0
        self._loop.add_reader(self._fd, self._on_readable)

    # ----- public API ---------------------------------------------------------

    async def create_connection(
        self,
        protocol_factory: Callable[[], asyncio.BaseProtocol],
        host: str,
        port: int,
        *,
        local_port: Optional[int] = None,
    ) -> Tuple[asyncio.BaseTransport, asyncio.BaseProtocol]:
        """Opens a connection to ``(host, port)`` from the stack's address
        (from ``local_port``, or a free ephemeral port) and returns
        ``(transport, protocol)`` once the handshake completes. Raises
        :class:`ConnectionRefusedError` on a RST and :class:`TimeoutError`
        when the SYN retries run out."""
        self._check_open()
        conn = self._connect(host, port, local_port)
        fut: asyncio.Future[Tuple[asyncio.BaseTransport, asyncio.BaseProtocol]] = self._loop.create_future()
        self._connecting[conn] = (fut, protocol_factory)
        self._kick()
        try:
            return await fut
        except asyncio.CancelledError:
            self._connecting.pop(conn, None)
            if conn in self.endpoint:
                self.endpoint.abort(conn)
                self._kick()
            raise

    async def open_connection(
        self, host: str, port: int, *, limit: int = 2**16, local_port: Optional[int] = None
    ) -> Tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Like :func:`asyncio.open_connection`, over the stack."""
        reader = asyncio.StreamReader(limit=limit)
        protocol = asyncio.StreamReaderProtocol(reader)
        transport, _ = await self.create_connection(lambda: protocol, host, port, local_port=local_port)
        writer = asyncio.StreamWriter(transport, protocol, reader, self._loop)  # type: ignore[arg-type]
        return reader, writer

    async def create_server(
        self, protocol_factory: Callable[[], asyncio.BaseProtocol], port: int
    ) -> TunServer:
        """Listens on ``port`` of the stack's address; every connection
        gets a protocol from ``protocol_factory``."""
        self._check_open()
        if port in self._servers:
            raise LocalProtocolError(f"already listening on port {port}")
        self.endpoint.listen((self.address, port))
        server = TunServer(self, port, protocol_factory)
        self._servers[port] = server
        return server

    async def start_server(
        self,
        client_connected_cb: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Any],
        port: int,
        *,
        limit: int = 2**16,
    ) -> TunServer:
        """Like :func:`asyncio.start_server`, over the stack:
        ``client_connected_cb(reader, writer)`` runs for every connection
        (as a task when it is a coroutine function)."""

        def factory() -> asyncio.BaseProtocol:
            reader = asyncio.StreamReader(limit=limit)
            return asyncio.StreamReaderProtocol(reader, client_connected_cb)

        return await self.create_server(factory, port)

    def close(self) -> None:
        """Resets every connection, stops listening and closes the device."""
        if self._closed:
            return
        for t in list(self._transports.values()):
            t.abort()
        for conn, (fut, _) in list(self._connecting.items()):
            if conn in self.endpoint:
                self.endpoint.abort(conn)
            if not fut.done():
                fut.set_exception(ConnectionAbortedError("the TUN stack was closed"))
        self._connecting.clear()
        self._flush()
        self._closed = True
        self._loop.remove_reader(self._fd)
        if self._timer is not None:
            self._timer.cancel()
        os.close(self._fd)

    async def __aenter__(self) -> TunStack:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    # ----- internals -------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise LocalProtocolError("the TUN stack is closed")

    def _connect(self, host: str, port: int, local_port: Optional[int]) -> int:
        now = self._loop.time()
        if local_port is not None:
            return self.endpoint.connect((self.address, local_port), (host, port), now)
        for _ in range(16384):
            lp = self._next_port
            self._next_port = 49152 if lp >= 65535 else lp + 1
            try:
                return self.endpoint.connect((self.address, lp), (host, port), now)
            except LocalProtocolError as e:
                if "exists already" not in str(e):
                    raise
        raise LocalProtocolError(f"no free local port towards {host}:{port}")

    def _unlisten(self, server: TunServer) -> None:
        if self._servers.get(server.port) is server:
            del self._servers[server.port]
            self.endpoint.unlisten((self.address, server.port))

    def _forget(self, t: _Transport) -> None:
        if self._transports.get(t._conn) is t:
            del self._transports[t._conn]
        self._pull_wanted.discard(t)

    def _want_pull(self, t: _Transport) -> None:
        self._pull_wanted.add(t)
        self._kick()

    def _kick(self) -> None:
        """Schedules a round of event handling and output."""
        if not self._scheduled and not self._closed:
            self._scheduled = True
            self._loop.call_soon(self._service)

    def _on_readable(self) -> None:
        ep = self.endpoint
        fd = self._fd
        for _ in range(_READ_BATCH):
            try:
                packet = os.read(fd, 65536)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                break
            if not packet:
                break
            # Output after every packet, as a host stack would: ACKs go out
            # at the pace data comes in.
            now = self._loop.time()
            ep.receive_packet(packet, now)
            self._flush(now)
        self._service()

    def _on_timer(self) -> None:
        due = self._timer_at
        self._timer = None
        self._timer_at = None
        now = self._loop.time()
        if due is not None and due > now:
            now = due
        self.endpoint.handle_timeout(now)
        self._service()

    def _service(self) -> None:
        self._scheduled = False
        if self._closed:
            return
        ep = self.endpoint
        for _ in range(64):
            events = list(ep.events())
            pulls = list(self._pull_wanted)
            self._pull_wanted.clear()
            if not events and not pulls:
                break
            for ev in events:
                self._dispatch(ev)
            for t in pulls:
                t._pull()
            self._flush()
        self._flush()
        self._arm_timer()

    def _flush(self, now: Optional[float] = None) -> None:
        if self._closed:
            return
        fd = self._fd
        for packet in self.endpoint.packets_to_send(self._loop.time() if now is None else now):
            try:
                os.write(fd, packet)
            except OSError:
                self.write_drops += 1

    def _arm_timer(self) -> None:
        at = self.endpoint.next_timeout()
        if at == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = at
        if at is not None:
            self._timer = self._loop.call_at(at, self._on_timer)

    def _discard(self, conn: int) -> None:
        """Reads and drops what arrives for a connection nobody reads any
        more, so the endpoint can let it go."""
        ep = self.endpoint
        while conn in ep and ep.recv(conn, _RECV_CHUNK):
            pass

    def _dispatch(self, ev: Any) -> None:
        ep = self.endpoint
        conn = ev.conn
        t = self._transports.get(conn)
        if isinstance(ev, tcp.Incoming):
            server = self._servers.get(ep.local_address(conn)[1])
            if server is None:
                ep.abort(conn)
                return
            t = _Transport(self, conn, server._factory())
            self._transports[conn] = t
            t._protocol.connection_made(t)
            t._pull()
        elif isinstance(ev, tcp.Connected):
            fut, factory = self._connecting.pop(conn, (None, None))
            if fut is None or factory is None or fut.done():
                if conn in ep:
                    ep.abort(conn)
                return
            t = _Transport(self, conn, factory())
            self._transports[conn] = t
            t._protocol.connection_made(t)
            fut.set_result((t, t._protocol))
            t._pull()
        elif isinstance(ev, (tcp.Readable, tcp.PeerFinished)):
            if t is not None:
                t._pull()
            if t is None or t._closing:
                self._discard(conn)
        elif isinstance(ev, tcp.Writable):
            if t is not None:
                t._push()
        elif isinstance(ev, (tcp.Reset, tcp.TimedOut)):
            refused = isinstance(ev, tcp.Reset)
            pending = self._connecting.pop(conn, None)
            if pending is not None and not pending[0].done():
                pending[0].set_exception(
                    ConnectionRefusedError("connection refused (RST)")
                    if refused
                    else TimeoutError("connection attempt timed out")
                )
            if t is not None:
                t._error = (
                    ConnectionResetError("reset by peer") if refused else TimeoutError("connection timed out")
                )
        elif isinstance(ev, tcp.Closed):
            pending = self._connecting.pop(conn, None)
            if pending is not None and not pending[0].done():
                pending[0].set_exception(ConnectionError("connection closed during the handshake"))
            if t is not None:
                t._lose(t._error)
