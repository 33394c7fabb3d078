"""wirestate: sans-IO TCP and WebSocket state machines.

Bytes and timer ticks go in; bytes and events come out. wirestate never opens
a socket, reads a clock or sleeps: your I/O layer does, and wirestate decides
what the protocol says to do.

Modules:

- :mod:`wirestate.ws` -- WebSocket (RFC 6455) with permessage-deflate (RFC 7692).
- :mod:`wirestate.tcp` -- TCP (RFC 9293): an endpoint of many connections,
  IP packets in and out.
- :mod:`wirestate.tun` -- (Linux, imported on its own) the TCP endpoint on a
  TUN device inside asyncio, with the kernel's TCP as the peer.
- :mod:`wirestate.exceptions` -- the exceptions raised for local misuse.
"""

from . import exceptions, tcp, ws
from ._native import __version__

__all__ = ["__version__", "exceptions", "tcp", "ws"]
