"""Typed stubs for the Rust extension module ``wirestate._native``."""

from typing import Any, ClassVar, Iterable, Iterator, Optional, Sequence, Tuple, Union, final

from typing_extensions import disjoint_base

__all__ = [
    "Accepted",
    "BinaryMessage",
    "ClientConnection",
    "CloseReceived",
    "Closed",
    "Connection",
    "MessageChunk",
    "Ping",
    "Pong",
    "Rejected",
    "Request",
    "ServerConnection",
    "State",
    "TextMessage",
    "Writable",
    "__version__",
]

__version__: str

_Headers = Tuple[Tuple[str, bytes], ...]
_Extensions = Tuple[Tuple[str, Tuple[Tuple[str, Optional[str]], ...]], ...]

@final
class State:
    CONNECTING: ClassVar[State]
    OPEN: ClassVar[State]
    CLOSING: ClassVar[State]
    CLOSED: ClassVar[State]
    def __int__(self) -> int: ...

@disjoint_base
class Connection:
    def receive_data(self, data: bytes) -> None: ...
    def events(self) -> Iterator[Any]: ...
    def data_to_send(self) -> bytes: ...
    def accept(
        self, subprotocol: Optional[str] = None, extra_headers: Optional[Iterable[Tuple[str, str]]] = None
    ) -> None: ...
    def reject(
        self, status: int = 403, headers: Optional[Iterable[Tuple[str, str]]] = None, body: bytes = ...
    ) -> None: ...
    def send_text(self, text: str) -> None: ...
    def send_binary(self, data: bytes) -> None: ...
    def send_fragment(self, data: Union[str, bytes], fin: bool) -> None: ...
    def ping(self, payload: bytes = ...) -> None: ...
    def pong(self, payload: bytes = ...) -> None: ...
    def close(self, code: int = 1000, reason: str = "") -> None: ...
    def next_timeout(self) -> Optional[float]: ...
    def handle_timeout(self, now: float) -> None: ...
    @property
    def state(self) -> State: ...
    @property
    def subprotocol(self) -> Optional[str]: ...
    @property
    def compressed(self) -> bool: ...
    @property
    def buffered_amount(self) -> int: ...
    @property
    def writable(self) -> bool: ...
    def close_expected(self) -> bool: ...
    def stats(self) -> dict[str, int]: ...

@final
class ServerConnection(Connection):
    def __new__(
        cls,
        *,
        max_message_size: int = ...,
        max_frame_size: int = ...,
        compression: bool = False,
        subprotocols: Sequence[str] = ...,
        auto_pong: bool = True,
        close_echo: bool = True,
        streaming: bool = False,
        keepalive_interval: Optional[float] = None,
        keepalive_timeout: float = 20.0,
        close_timeout: float = 10.0,
        open_timeout: Optional[float] = None,
        max_write_buffer: int = ...,
        write_buffer_high: int = ...,
        write_buffer_low: int = ...,
    ) -> ServerConnection: ...

@final
class ClientConnection(Connection):
    def __new__(
        cls,
        *,
        host: str,
        path: str = ...,
        subprotocols: Sequence[str] = ...,
        origin: Optional[str] = None,
        compression: bool = False,
        extra_headers: Optional[Iterable[Tuple[str, str]]] = None,
        max_message_size: int = ...,
        max_frame_size: int = ...,
        auto_pong: bool = True,
        close_echo: bool = True,
        streaming: bool = False,
        keepalive_interval: Optional[float] = None,
        keepalive_timeout: float = 20.0,
        close_timeout: float = 10.0,
        open_timeout: Optional[float] = None,
        max_write_buffer: int = ...,
        write_buffer_high: int = ...,
        write_buffer_low: int = ...,
        seed: Optional[bytes] = None,
    ) -> ClientConnection: ...

@final
class Request:
    __match_args__: ClassVar[Tuple[str, ...]]
    path: Any
    host: Any
    origin: Any
    subprotocols: Any
    extensions: Any
    headers: Any
    def __new__(
        cls, *, path: str, host: str, origin: Optional[str], subprotocols: Tuple[str, ...],
        extensions: _Extensions, headers: _Headers
    ) -> Request: ...

@final
class Accepted:
    __match_args__: ClassVar[Tuple[str, ...]]
    subprotocol: Any
    extensions: Any
    def __new__(cls, *, subprotocol: Optional[str], extensions: _Extensions) -> Accepted: ...

@final
class Rejected:
    __match_args__: ClassVar[Tuple[str, ...]]
    status: Any
    headers: Any
    body: Any
    def __new__(cls, *, status: int, headers: _Headers, body: bytes) -> Rejected: ...

@final
class TextMessage:
    __match_args__: ClassVar[Tuple[str, ...]]
    data: Any
    def __new__(cls, *, data: str) -> TextMessage: ...

@final
class BinaryMessage:
    __match_args__: ClassVar[Tuple[str, ...]]
    data: Any
    def __new__(cls, *, data: bytes) -> BinaryMessage: ...

@final
class MessageChunk:
    __match_args__: ClassVar[Tuple[str, ...]]
    data: Any
    first: Any
    last: Any
    def __new__(cls, *, data: Union[str, bytes], first: bool, last: bool) -> MessageChunk: ...

@final
class Ping:
    __match_args__: ClassVar[Tuple[str, ...]]
    payload: Any
    def __new__(cls, *, payload: bytes) -> Ping: ...

@final
class Pong:
    __match_args__: ClassVar[Tuple[str, ...]]
    payload: Any
    def __new__(cls, *, payload: bytes) -> Pong: ...

@final
class CloseReceived:
    __match_args__: ClassVar[Tuple[str, ...]]
    code: Any
    reason: Any
    def __new__(cls, *, code: int, reason: str) -> CloseReceived: ...

@final
class Closed:
    __match_args__: ClassVar[Tuple[str, ...]]
    code: Any
    reason: Any
    clean: Any
    def __new__(cls, *, code: int, reason: str, clean: bool) -> Closed: ...

@final
class Writable:
    __match_args__: ClassVar[Tuple[str, ...]]
    def __new__(cls) -> Writable: ...
