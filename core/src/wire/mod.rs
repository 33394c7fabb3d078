//! Zero-copy views and builders for IPv4, IPv6 and TCP.
