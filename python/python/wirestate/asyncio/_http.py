"""The small HTTP pieces the adapter needs: headers, the request a hook sees, plain responses."""

from __future__ import annotations

import http
from typing import (
    TYPE_CHECKING,
    Any,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    List,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    Union,
)


if TYPE_CHECKING:
    from ._server import ServerConnection




# --------------------------------------------------------------------------
# HTTP pieces


class Headers:
    """Request or response header lines: case-insensitive, in order, repeatable.

    ``headers["Origin"]`` gives the first value (``KeyError`` when absent),
    :meth:`get` a default instead, :meth:`get_all` every value; iterating
    gives ``(name, value)`` pairs as received.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[Tuple[str, str]] = ()) -> None:
        self._items: List[Tuple[str, str]] = list(items)

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """The first value of header ``name``, or ``default``."""
        lname = name.lower()
        for k, v in self._items:
            if k.lower() == lname:
                return v
        return default

    def get_all(self, name: str) -> List[str]:
        """Every value of header ``name``, in order."""
        lname = name.lower()
        return [v for k, v in self._items if k.lower() == lname]

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[Tuple[str, str]]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


class Request(NamedTuple):
    """An HTTP request as the server received it (``ServerConnection.request``)."""

    path: str
    """The request target: path and query, e.g. ``/chat?room=1``."""
    headers: Headers
    """Every header line of the request."""

    @property
    def host(self) -> Optional[str]:
        """The ``Host`` header."""
        return self.headers.get("Host")

    @property
    def origin(self) -> Optional[str]:
        """The ``Origin`` header (browsers always send one)."""
        return self.headers.get("Origin")

    @property
    def is_websocket(self) -> bool:
        """Whether the request asks for a WebSocket upgrade."""
        return any("websocket" in v.lower() for v in self.headers.get_all("Upgrade"))


class Response(NamedTuple):
    """An HTTP response that a ``process_request`` hook returns instead of
    opening a WebSocket: for a plain GET (a page, a health check) or to
    refuse an upgrade (401, 403...)."""

    status: int
    """The HTTP status code (200 to 599, not 101)."""
    headers: Sequence[Tuple[str, str]]
    """Header lines; ``Content-Length`` is added for you."""
    body: bytes
    """The response body."""


_ResponseLike = Optional[Tuple[int, Sequence[Tuple[str, str]], bytes]]
ProcessRequest = Callable[
    ["ServerConnection", Request], Union[_ResponseLike, Awaitable[_ResponseLike]]
]
"""``process_request(connection, request)``: return ``None`` to go on with the
WebSocket handshake, or ``(status, headers, body)`` to answer with plain HTTP.
May be a coroutine function."""

Handler = Callable[["ServerConnection"], Awaitable[Any]]
"""``handler(connection)``: a coroutine function run once per accepted connection."""


def _parse_head(head: bytes) -> Optional[Request]:
    """A request line and header lines, or None when they do not parse."""
    try:
        text = head.decode("latin-1")
    except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes anything
        return None
    lines = text.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        return None
    items = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            return None
        items.append((name, value.strip()))
    return Request(parts[1], Headers(items))


def _http_response(status: int, headers: Sequence[Tuple[str, str]], body: bytes) -> bytes:
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    lines = [f"HTTP/1.1 {status} {phrase}"]
    for name, value in headers:
        if name.lower() in ("content-length", "connection", "transfer-encoding"):
            continue
        if any(c in name + value for c in "\r\n"):
            raise ValueError("header names and values must not contain CR or LF")
        lines.append(f"{name}: {value}")
    lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + bytes(body)
