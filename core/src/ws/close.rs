//! Close status codes (RFC 6455 §7.4) and the rules for which may be sent or
//! received.

/// 1000: normal closure.
pub const NORMAL: u16 = 1000;
/// 1001: the endpoint is going away (server shutdown, page navigation).
pub const GOING_AWAY: u16 = 1001;
/// 1002: protocol error.
pub const PROTOCOL_ERROR: u16 = 1002;
/// 1003: a data type the endpoint cannot accept.
pub const UNSUPPORTED_DATA: u16 = 1003;
/// 1005: reported locally when a Close frame carried no status code; never sent.
pub const NO_STATUS: u16 = 1005;
/// 1006: reported locally when the connection ended without a Close frame; never sent.
pub const ABNORMAL: u16 = 1006;
/// 1007: message data inconsistent with its type (e.g. invalid UTF-8 in text).
pub const INVALID_PAYLOAD: u16 = 1007;
/// 1008: policy violation.
pub const POLICY_VIOLATION: u16 = 1008;
/// 1009: message too big to process.
pub const MESSAGE_TOO_BIG: u16 = 1009;
/// 1010: the client expected an extension the server did not negotiate.
pub const MANDATORY_EXTENSION: u16 = 1010;
/// 1011: the server met an unexpected condition.
pub const INTERNAL_ERROR: u16 = 1011;

/// Whether `code` may appear in a Close frame on the wire, in either
/// direction: 1000–1003, 1007–1014 and 3000–4999. Everything else (0–999,
/// 1004–1006, 1015, 1016–2999, 5000 and up) is a protocol error when received
/// and refused when the application asks to send it.
pub fn is_valid_on_wire(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_ranges() {
        for c in [
            1000, 1001, 1002, 1003, 1007, 1010, 1011, 1014, 3000, 3999, 4000, 4999,
        ] {
            assert!(is_valid_on_wire(c), "{c}");
        }
        for c in [
            0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ] {
            assert!(!is_valid_on_wire(c), "{c}");
        }
    }
}
