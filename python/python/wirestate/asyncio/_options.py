"""Keyword options of :func:`serve` and :func:`connect`, turned into the core's settings."""

from __future__ import annotations

import sys
from typing import (
    Any,
    Dict,
    Optional,
    Sequence,
    Tuple,
    Union,
)





# --------------------------------------------------------------------------
# options


def _core_options(
    *,
    compression: Union[bool, str, None],
    max_message_size: Optional[int],
    max_frame_size: Optional[int],
    subprotocols: Sequence[str],
    ping_interval: Optional[float],
    ping_timeout: Optional[float],
    close_timeout: Optional[float],
    open_timeout: Optional[float],
    write_limit: Union[int, Tuple[int, int]],
    max_write_buffer: Optional[int],
) -> Dict[str, Any]:
    if compression in (True, "deflate", "permessage-deflate"):
        deflate = True
    elif compression in (False, None):
        deflate = False
    else:
        raise ValueError(f"unsupported compression: {compression!r}")
    size = sys.maxsize if max_message_size is None else max_message_size
    frame = max_frame_size if max_frame_size is not None else size
    if isinstance(write_limit, int):
        high, low = write_limit, write_limit // 4
    else:
        high, low = write_limit
    if not 0 <= low <= high:
        raise ValueError("write_limit: need 0 <= low <= high")
    hard = max_write_buffer if max_write_buffer is not None else max(64 << 20, 4 * high)
    opts: Dict[str, Any] = dict(
        compression=deflate,
        max_message_size=size,
        max_frame_size=frame,
        subprotocols=tuple(subprotocols),
        keepalive_interval=ping_interval,
        # No pong deadline: a very long one (the core needs a duration).
        keepalive_timeout=ping_timeout if ping_timeout is not None else 365 * 86400.0,
        close_timeout=close_timeout if close_timeout is not None else 365 * 86400.0,
        open_timeout=open_timeout,
        max_write_buffer=hard,
        write_buffer_high=high,
        write_buffer_low=low,
    )
    return opts
