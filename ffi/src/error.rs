//! Result codes: one number per failure, stable across releases.

use core::ffi::c_char;
use core::ffi::c_uint;

use wirestate_core::{tcp, ws};

use crate::ffi::{Out, try_slice_mut};
use crate::panic::{ffi_boundary, result_boundary};

/// What a call returned. `WIRESTATE_RESULT_OK` (0) is success; every other
/// value names one failure, and the state of the object is unchanged by a
/// call that failed (except after `WIRESTATE_RESULT_PANIC`).
///
/// The numbers are part of the ABI: they never change and are never reused.
/// Codes 1 to 99 are shared by every object; codes from 100 on belong to the
/// TCP endpoint. `wirestate_result_str` and `wirestate_result_message` describe
/// a code in English.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wirestate_result {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL (or a data pointer was NULL with a
    /// non-zero length).
    NullParameter = 1,
    /// The call is not allowed in the object's current state (sending before
    /// the handshake or after close, `accept` on a client, reading the request
    /// when the current event is not a request, ...).
    InvalidState = 2,
    /// The outbound queue would pass `max_write_buffer`; write out pending
    /// output first.
    BufferFull = 3,
    /// A whole message was sent while a fragmented one is open, or a
    /// continuation had a different kind.
    FragmentInProgress = 4,
    /// Text passed in is not valid UTF-8.
    InvalidUtf8 = 5,
    /// A Ping, Pong or Close payload is longer than 125 bytes (a close reason
    /// longer than 123).
    ControlTooLarge = 6,
    /// The close code may not be sent (only 1000-1003, 1007-1014, 3000-4999).
    InvalidCloseCode = 7,
    /// `accept` named a subprotocol the client did not offer.
    SubprotocolNotOffered = 8,
    /// A header name or value is not valid HTTP (or not UTF-8).
    InvalidHeader = 9,
    /// `reject` was given a status outside 200-599.
    InvalidStatus = 10,
    /// A configuration value is invalid (empty host, path not starting with
    /// `/`, window bits outside 9-15, level above 9).
    InvalidConfig = 11,
    /// The caller's buffer is too small for the output.
    BufferTooSmall = 12,
    /// A numeric or enumerated argument is out of its range (an unknown
    /// message kind, a length above `PTRDIFF_MAX`).
    InvalidArgument = 13,
    /// An index passed to an accessor is past the end of its list.
    IndexOutOfRange = 14,
    /// The library panicked (a bug). The object the call was given is
    /// unusable from now on: every later call on it but `_free` returns this
    /// code again.
    Panic = 15,
    /// The core reported an error this version of the C API does not know.
    UnknownError = 16,
    /// TCP: no connection has this id (it never existed, or it closed and
    /// was removed).
    UnknownConnection = 100,
    /// TCP: the listening address, or the connection's local and remote
    /// address pair, is already in use.
    AddressInUse = 101,
    /// TCP: an address is unusable (port 0, an unknown family, local and
    /// remote of different families, text that is not an address).
    InvalidAddress = 102,
    /// TCP: the connection is closed for sending: `close` was already called,
    /// or the connection is past the point where data may be sent.
    ConnectionClosed = 103,
    /// TCP: `unlisten` named an address nothing listens on.
    NotListening = 104,
}

impl wirestate_result {
    /// The English description of this code, NUL-terminated.
    pub(crate) fn message(self) -> &'static str {
        use wirestate_result::*;
        match self {
            Ok => "success\0",
            NullParameter => "a required pointer argument was NULL\0",
            InvalidState => "not allowed in the object's current state\0",
            BufferFull => "outbound buffer is full\0",
            FragmentInProgress => "a fragmented message is in progress\0",
            InvalidUtf8 => "text is not valid UTF-8\0",
            ControlTooLarge => "control frame payload longer than 125 bytes\0",
            InvalidCloseCode => "close code may not be sent\0",
            SubprotocolNotOffered => "subprotocol was not offered by the client\0",
            InvalidHeader => "invalid header name or value\0",
            InvalidStatus => "status must be between 200 and 599\0",
            InvalidConfig => "invalid configuration\0",
            BufferTooSmall => "buffer too small\0",
            InvalidArgument => "argument out of range\0",
            IndexOutOfRange => "index out of range\0",
            Panic => "the library panicked; the object is unusable\0",
            UnknownError => "unknown error\0",
            UnknownConnection => "no connection has this id\0",
            AddressInUse => "address already in use\0",
            InvalidAddress => "invalid address\0",
            ConnectionClosed => "connection closed for sending\0",
            NotListening => "nothing listens on this address\0",
        }
    }

    /// The code with this number, if there is one.
    pub(crate) fn from_number(n: c_uint) -> Option<wirestate_result> {
        use wirestate_result::*;
        const ALL: [wirestate_result; 22] = [
            Ok,
            NullParameter,
            InvalidState,
            BufferFull,
            FragmentInProgress,
            InvalidUtf8,
            ControlTooLarge,
            InvalidCloseCode,
            SubprotocolNotOffered,
            InvalidHeader,
            InvalidStatus,
            InvalidConfig,
            BufferTooSmall,
            InvalidArgument,
            IndexOutOfRange,
            Panic,
            UnknownError,
            UnknownConnection,
            AddressInUse,
            InvalidAddress,
            ConnectionClosed,
            NotListening,
        ];
        ALL.into_iter().find(|r| *r as c_uint == n)
    }
}

/// The one mapping from the WebSocket core's errors to result codes.
impl From<ws::Error> for wirestate_result {
    fn from(e: ws::Error) -> Self {
        match e {
            ws::Error::InvalidState => wirestate_result::InvalidState,
            ws::Error::BufferFull => wirestate_result::BufferFull,
            ws::Error::FragmentInProgress => wirestate_result::FragmentInProgress,
            ws::Error::InvalidUtf8 => wirestate_result::InvalidUtf8,
            ws::Error::ControlTooLarge => wirestate_result::ControlTooLarge,
            ws::Error::InvalidCloseCode => wirestate_result::InvalidCloseCode,
            ws::Error::SubprotocolNotOffered => wirestate_result::SubprotocolNotOffered,
            ws::Error::InvalidHeader => wirestate_result::InvalidHeader,
            ws::Error::InvalidStatus => wirestate_result::InvalidStatus,
            ws::Error::InvalidConfig => wirestate_result::InvalidConfig,
            _ => wirestate_result::UnknownError,
        }
    }
}

/// The one mapping from the TCP endpoint's errors to result codes.
impl From<tcp::EndpointError> for wirestate_result {
    fn from(e: tcp::EndpointError) -> Self {
        match e {
            tcp::EndpointError::UnknownConnection => wirestate_result::UnknownConnection,
            tcp::EndpointError::AddressInUse => wirestate_result::AddressInUse,
            tcp::EndpointError::InvalidAddress => wirestate_result::InvalidAddress,
            tcp::EndpointError::Closed => wirestate_result::ConnectionClosed,
            _ => wirestate_result::UnknownError,
        }
    }
}

/// What the boundary helpers return inside: `Err` carries the failure code.
pub(crate) type FfiResult = Result<(), wirestate_result>;

const UNKNOWN_CODE: &str = "unknown result code\0";

/// A static, NUL-terminated English description of `result` (any number;
/// unknown numbers get "unknown result code"). Never NULL.
///
/// Ownership: the string belongs to the library and lives as long as the
/// program; do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_result_str(result: c_uint) -> *const c_char {
    ffi_boundary(|| {
        wirestate_result::from_number(result)
            .map_or(UNKNOWN_CODE, wirestate_result::message)
            .as_ptr()
            .cast()
    })
}

/// Copies the English description of `result` (without a terminating NUL)
/// into `buf`, which has room for `len` bytes, and writes the number of bytes
/// copied to `out_n`.
///
/// Returns `WIRESTATE_RESULT_BUFFER_TOO_SMALL` (writing nothing) when the
/// description does not fit, `WIRESTATE_RESULT_NULL_PARAMETER` when `buf`
/// (with `len` > 0) or `out_n` is NULL. Nothing returned is owned by the
/// library: the bytes are the caller's.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_result_message(
    result: c_uint,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
) -> wirestate_result {
    result_boundary(|| {
        // SAFETY: the caller gives `buf` valid for `len` bytes of writes, or NULL.
        let dst = unsafe { try_slice_mut(buf.cast::<u8>(), len) }?;
        let out_n = Out::new(out_n)?;
        let msg = wirestate_result::from_number(result).map_or(UNKNOWN_CODE, |r| r.message());
        let msg = &msg.as_bytes()[..msg.len() - 1];
        if msg.len() > dst.len() {
            return Err(wirestate_result::BufferTooSmall);
        }
        dst[..msg.len()].copy_from_slice(msg);
        out_n.write(msg.len());
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_stable() {
        assert_eq!(wirestate_result::Ok as u32, 0);
        assert_eq!(wirestate_result::NullParameter as u32, 1);
        assert_eq!(wirestate_result::InvalidState as u32, 2);
        assert_eq!(wirestate_result::BufferTooSmall as u32, 12);
        assert_eq!(wirestate_result::Panic as u32, 15);
        assert_eq!(wirestate_result::UnknownError as u32, 16);
        assert_eq!(wirestate_result::UnknownConnection as u32, 100);
        assert_eq!(wirestate_result::NotListening as u32, 104);
        for n in (0..=16).chain(100..=104) {
            assert_eq!(wirestate_result::from_number(n).map(|r| r as u32), Some(n));
        }
        assert_eq!(wirestate_result::from_number(17), None);
        assert_eq!(wirestate_result::from_number(99), None);
        assert_eq!(wirestate_result::from_number(105), None);
    }

    #[test]
    fn messages_are_nul_terminated_once() {
        for n in (0..=16).chain(100..=104) {
            let m = wirestate_result::from_number(n).unwrap().message();
            assert!(m.ends_with('\0'));
            assert_eq!(m.matches('\0').count(), 1);
        }
    }

    #[test]
    fn message_into_buffer() {
        let mut buf = [0 as c_char; 64];
        let mut n = 0usize;
        let r = wirestate_result_message(5, buf.as_mut_ptr(), buf.len(), &mut n);
        assert_eq!(r, wirestate_result::Ok);
        assert_eq!(n, "text is not valid UTF-8".len());
        let r = wirestate_result_message(5, buf.as_mut_ptr(), 3, &mut n);
        assert_eq!(r, wirestate_result::BufferTooSmall);
        let r = wirestate_result_message(5, core::ptr::null_mut(), 3, &mut n);
        assert_eq!(r, wirestate_result::NullParameter);
    }
}
