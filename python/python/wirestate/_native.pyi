"""Typed stubs for the Rust extension module ``wirestate._native``."""

from typing import Any, ClassVar, Iterable, Iterator, List, Optional, Sequence, Tuple, Union, final

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
    "TcpClosed",
    "TcpConnected",
    "TcpEndpoint",
    "TcpEventIterator",
    "TcpIncoming",
    "TcpPeerFinished",
    "TcpReadable",
    "TcpReset",
    "TcpStateChanged",
    "TcpTimedOut",
    "TcpWritable",
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

# ----- TCP (re-exported by wirestate.tcp without the Tcp prefix) -----------

_Address = Tuple[str, int]
_AddressIn = Union[Tuple[Any, int], Tuple[Any, int, int, int]]
_BytesLike = Union[bytes, bytearray]

@final
class TcpEndpoint:
    def __new__(
        cls,
        *,
        secret: Optional[bytes] = None,
        mtu: int = 1500,
        mss: Optional[int] = None,
        nodelay: bool = False,
        congestion: str = "cubic",
        send_buffer: int = ...,
        recv_buffer: int = ...,
        max_reassembly_ranges: int = 32,
        delayed_ack: Optional[float] = ...,
        initial_rto: float = 1.0,
        min_rto: float = 0.2,
        max_rto: float = 60.0,
        syn_retries: int = 6,
        synack_retries: int = 5,
        max_retransmissions: int = 15,
        user_timeout: Optional[float] = None,
        keepalive: Optional[float] = None,
        keepalive_interval: float = 75.0,
        keepalive_probes: int = 9,
        msl: float = 30.0,
        fin_wait2_timeout: Optional[float] = ...,
        window_scaling: bool = True,
        timestamps: bool = True,
        sack: bool = True,
        initial_window: int = 10,
        checksum_offload: bool = False,
        trace_states: bool = False,
        challenge_ack_limit: int = 1000,
        syn_queue: int = 256,
        backlog: int = 128,
        syn_cookies: bool = True,
        reset_unknown: bool = True,
    ) -> TcpEndpoint: ...
    def listen(self, addr: _AddressIn) -> None: ...
    def unlisten(self, addr: _AddressIn) -> bool: ...
    def connect(self, local: _AddressIn, remote: _AddressIn, now: float) -> int: ...
    def send(self, c: int, data: _BytesLike) -> int: ...
    def recv(self, c: int, n: int) -> bytes: ...
    def close(self, c: int, now: Optional[float] = None) -> None: ...
    def abort(self, c: int, now: Optional[float] = None) -> None: ...
    def receive_packet(self, packet: _BytesLike, now: float) -> None: ...
    def receive_packets(self, packets: Iterable[_BytesLike], now: float) -> None: ...
    def receive_segment(self, src: Any, dst: Any, segment: _BytesLike, now: float) -> None: ...
    def handle_timeout(self, now: float) -> None: ...
    def packets_to_send(self, now: float) -> List[bytes]: ...
    def segments_to_send(self, now: float) -> List[Tuple[bytes, _Address, _Address]]: ...
    def events(self) -> TcpEventIterator: ...
    def next_timeout(self) -> Optional[float]: ...
    def state(self, c: int) -> str: ...
    def stats(self, c: int) -> dict[str, Any]: ...
    def readable(self, c: int) -> int: ...
    def writable(self, c: int) -> int: ...
    def at_eof(self, c: int) -> bool: ...
    def local_address(self, c: int) -> _Address: ...
    def remote_address(self, c: int) -> _Address: ...
    def __contains__(self, c: int, /) -> bool: ...
    def __len__(self) -> int: ...

_TcpEvent = Union[
    TcpIncoming,
    TcpConnected,
    TcpReadable,
    TcpWritable,
    TcpPeerFinished,
    TcpClosed,
    TcpReset,
    TcpTimedOut,
    TcpStateChanged,
]

@final
class TcpEventIterator:
    def __iter__(self) -> TcpEventIterator: ...
    def __next__(self) -> _TcpEvent: ...

@final
class TcpIncoming:
    __match_args__: ClassVar[Tuple[str, ...]]
    conn: Any
    remote: Any
    def __new__(cls, conn: int, remote: _Address) -> TcpIncoming: ...

@final
class TcpConnected:
    __match_args__: ClassVar[Tuple[str, ...]]
    conn: Any
    def __new__(cls, conn: int) -> TcpConnected: ...

@final
class TcpReadable:
    __match_args__: ClassVar[Tuple[str, ...]]
    conn: Any
    def __new__(cls, conn: int) -> TcpReadable: ...

@final
class TcpWritable:
    __match_args__: ClassVar[Tuple[str, ...]]
    conn: Any
    def __new__(cls, conn: int) -> TcpWritable: ...

@final
class TcpPeerFinished:
    __match_args__: ClassVar[Tuple[str, ...]]
    conn: Any
    def __new__(cls, conn: int) -> TcpPeerFinished: ...

@final
class TcpClosed:
    __match_args__: ClassVar[Tuple[str, ...]]
    conn: Any
    def __new__(cls, conn: int) -> TcpClosed: ...

@final
class TcpReset:
    __match_args__: ClassVar[Tuple[str, ...]]
    conn: Any
    def __new__(cls, conn: int) -> TcpReset: ...

@final
class TcpTimedOut:
    __match_args__: ClassVar[Tuple[str, ...]]
    conn: Any
    def __new__(cls, conn: int) -> TcpTimedOut: ...

@final
class TcpStateChanged:
    __match_args__: ClassVar[Tuple[str, ...]]
    conn: Any
    old: Any
    new: Any
    def __new__(cls, conn: int, old: str, new: str) -> TcpStateChanged: ...
