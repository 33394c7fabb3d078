"""TCP (RFC 9293), sans-IO: an endpoint of many connections, IP packets in and out.

An :class:`Endpoint` plays the part of a host's TCP stack. Hand it every IP
packet that arrives (:meth:`Endpoint.receive_packet`), send every packet it
produces (:meth:`Endpoint.packets_to_send`), and call
:meth:`Endpoint.handle_timeout` when :meth:`Endpoint.next_timeout` passes.
Connections are plain ``int`` ids: open one with :meth:`Endpoint.connect`,
or :meth:`Endpoint.listen` and wait for :class:`Incoming`. Move bytes with
:meth:`Endpoint.send` and :meth:`Endpoint.recv`; end with
:meth:`Endpoint.close` (FIN, half-close) or :meth:`Endpoint.abort` (RST).

Time is ``time.monotonic()`` seconds (``float``), always passed in as
``now``; the endpoint never reads a clock.

Events come from :meth:`Endpoint.events`, each naming its connection in
``conn``. They are frozen classes with ``__repr__``, ``__eq__`` and
``__match_args__``:

- :class:`Incoming` (``conn``, ``remote``) -- a listener's connection is ready;
- :class:`Connected` -- a connection from ``connect()`` is ESTABLISHED;
- :class:`Readable` -- data to ``recv()`` (edge-triggered);
- :class:`Writable` -- room in the send buffer again;
- :class:`PeerFinished` -- the peer sent its FIN;
- :class:`Reset`, :class:`TimedOut` -- why an abnormal end happened;
- :class:`Closed` -- the connection is gone (always last);
- :class:`StateChanged` (``conn``, ``old``, ``new``) -- with ``trace_states=True``.

Local misuse (an unknown connection id, sending after ``close()``, closing
twice) raises :class:`wirestate.exceptions.LocalProtocolError`; whatever
arrives from the network never raises.

``python/benchmarks/bench_tcp.py`` measures segments per second and
throughput through a pair of endpoints connected in memory.
"""

from ._native import TcpClosed as Closed
from ._native import TcpConnected as Connected
from ._native import TcpEndpoint as Endpoint
from ._native import TcpEventIterator as EventIterator
from ._native import TcpIncoming as Incoming
from ._native import TcpPeerFinished as PeerFinished
from ._native import TcpReadable as Readable
from ._native import TcpReset as Reset
from ._native import TcpStateChanged as StateChanged
from ._native import TcpTimedOut as TimedOut
from ._native import TcpWritable as Writable

#: The RFC 9293 state names :meth:`Endpoint.state` returns.
STATES = (
    "CLOSED",
    "LISTEN",
    "SYN-SENT",
    "SYN-RECEIVED",
    "ESTABLISHED",
    "FIN-WAIT-1",
    "FIN-WAIT-2",
    "CLOSE-WAIT",
    "CLOSING",
    "LAST-ACK",
    "TIME-WAIT",
)

__all__ = [
    "STATES",
    "Closed",
    "Connected",
    "Endpoint",
    "EventIterator",
    "Incoming",
    "PeerFinished",
    "Readable",
    "Reset",
    "StateChanged",
    "TimedOut",
    "Writable",
]
