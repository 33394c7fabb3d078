//! The TCP state machine (RFC 9293) and the endpoint that demultiplexes it.
