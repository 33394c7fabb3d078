"""The adapter's logger, message type and exceptions."""

from __future__ import annotations

import asyncio
import logging
from typing import (
    TYPE_CHECKING,
    Optional,
    Union,
)


if TYPE_CHECKING:
    from ._http import Headers
from ..exceptions import WirestateError




logger = logging.getLogger("wirestate.asyncio")

Data = Union[str, bytes]
"""A message: ``str`` for a text message, ``bytes`` for a binary one."""

#: Largest request head read while a ``process_request`` hook is set.
_MAX_HEAD = 16 << 10


# --------------------------------------------------------------------------
# exceptions


class ConnectionClosed(WirestateError):
    """The connection is closed: raised by ``recv``, ``send`` and ``ping``.

    ``code`` and ``reason`` are the connection's close code and reason (1006
    when the stream ended without a closing handshake); ``clean`` tells
    whether the closing handshake completed.
    """

    def __init__(self, code: int, reason: str, clean: bool) -> None:
        super().__init__(code, reason, clean)
        self.code = code
        self.reason = reason
        self.clean = clean

    def __str__(self) -> str:
        how = "cleanly" if self.clean else "abnormally"
        return f"connection closed {how}: {self.code} {self.reason!r}"


class ConnectionClosedOK(ConnectionClosed):
    """The connection closed cleanly with 1000 (normal) or 1001 (going away)."""


class ConnectionClosedError(ConnectionClosed):
    """The connection closed with an error code or without a closing handshake."""


class HandshakeError(WirestateError):
    """The client's opening handshake failed.

    ``status`` is the HTTP status of a rejecting response (``None`` when the
    response was not valid or none came); ``headers`` and ``body`` come with
    it.
    """

    def __init__(
        self,
        message: str,
        status: Optional[int] = None,
        headers: Optional[Headers] = None,
        body: bytes = b"",
    ) -> None:
        super().__init__(message)
        self.status = status
        if headers is None:
            from ._http import Headers as _Headers  # _http needs this module first

            headers = _Headers()
        self.headers = headers
        self.body = body


def _closed_exception(code: int, reason: str, clean: bool) -> ConnectionClosed:
    if clean and code in (1000, 1001):
        return ConnectionClosedOK(code, reason, clean)
    return ConnectionClosedError(code, reason, clean)
