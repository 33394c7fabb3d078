//! WebSocket (RFC 6455) with permessage-deflate (RFC 7692).
