"""Exceptions raised by wirestate.

Only *local* misuse raises: calling a method in the wrong state, sending an
invalid close code, overfilling the outbound queue. Whatever the *peer* sends
never raises; it becomes protocol behaviour (a close code) and events.
"""

__all__ = ["WirestateError", "LocalProtocolError", "BufferFullError"]


class WirestateError(Exception):
    """Base class of every wirestate exception."""


class LocalProtocolError(WirestateError):
    """The application asked for something the protocol state does not allow.

    The connection is unchanged; the call had no effect.
    """


class BufferFullError(LocalProtocolError):
    """The outbound queue would pass ``max_write_buffer``.

    Write out ``data_to_send()`` to the transport first, then retry.
    """
