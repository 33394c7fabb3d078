//! IPv4 and IPv6 addresses as plain C structs.

use core::ffi::c_char;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::error::wirestate_result;
use crate::ffi::{Out, try_slice, try_slice_mut};
use crate::panic::result_boundary;

/// The family of a `wirestate_ip_addr`. The numbers are stable (and are the
/// IP version numbers).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wirestate_ip_family {
    /// IPv4: the address is in `bytes[0..4]`.
    V4 = 4,
    /// IPv6: the address is all of `bytes`.
    V6 = 6,
}

/// An IPv4 or IPv6 address, by value.
///
/// `family` is a `wirestate_ip_family` (4 or 6); `bytes` holds the address
/// in network order: the first 4 bytes for IPv4 (the other 12 are ignored on
/// input and zero on output), all 16 for IPv6. `{WIRESTATE_IP_FAMILY_V4,
/// {10, 0, 0, 1}}` is 10.0.0.1. A `family` of any other value is answered
/// with `WIRESTATE_RESULT_INVALID_ADDRESS`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct wirestate_ip_addr {
    /// `WIRESTATE_IP_FAMILY_V4` or `WIRESTATE_IP_FAMILY_V6`.
    pub family: u32,
    /// The address, network byte order.
    pub bytes: [u8; 16],
}

/// An IP address and a TCP port, by value. `port` is in host byte order
/// (write `80`, not `htons(80)`). IPv6 scope ids and flow labels are not
/// represented.
///
/// Functions: `wirestate_socket_addr_parse`, `wirestate_socket_addr_format`,
/// `wirestate_ip_addr_parse`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct wirestate_socket_addr {
    /// The address.
    pub ip: wirestate_ip_addr,
    /// The port, host byte order.
    pub port: u16,
}

impl From<IpAddr> for wirestate_ip_addr {
    fn from(ip: IpAddr) -> Self {
        let mut bytes = [0u8; 16];
        let family = match ip {
            IpAddr::V4(v4) => {
                bytes[..4].copy_from_slice(&v4.octets());
                wirestate_ip_family::V4
            }
            IpAddr::V6(v6) => {
                bytes = v6.octets();
                wirestate_ip_family::V6
            }
        };
        wirestate_ip_addr {
            family: family as u32,
            bytes,
        }
    }
}

impl From<SocketAddr> for wirestate_socket_addr {
    fn from(a: SocketAddr) -> Self {
        wirestate_socket_addr {
            ip: a.ip().into(),
            port: a.port(),
        }
    }
}

impl wirestate_ip_addr {
    /// The address, or `INVALID_ADDRESS` for an unknown family.
    pub(crate) fn to_ip(self) -> Result<IpAddr, wirestate_result> {
        match self.family {
            4 => {
                let [a, b, c, d, ..] = self.bytes;
                Ok(IpAddr::V4(Ipv4Addr::new(a, b, c, d)))
            }
            6 => Ok(IpAddr::V6(Ipv6Addr::from(self.bytes))),
            _ => Err(wirestate_result::InvalidAddress),
        }
    }
}

impl wirestate_socket_addr {
    /// The address, or `INVALID_ADDRESS` for an unknown family.
    pub(crate) fn to_socket(self) -> Result<SocketAddr, wirestate_result> {
        Ok(SocketAddr::new(self.ip.to_ip()?, self.port))
    }
}

/// Reads an address C passed by pointer.
///
/// # Safety
///
/// `ptr` is NULL or points to a readable `T`.
pub(crate) unsafe fn read_in<T: Copy>(ptr: *const T) -> Result<T, wirestate_result> {
    // SAFETY: per this function's contract.
    unsafe { ptr.as_ref() }
        .copied()
        .ok_or(wirestate_result::NullParameter)
}

/// Parses `len` bytes of text (not NUL-terminated; a trailing NUL is not
/// allowed either) into `*out`: `"10.0.0.1:80"` or `"[2001:db8::1]:443"`.
///
/// `WIRESTATE_RESULT_INVALID_ADDRESS` when the text is not an address with
/// a port, `WIRESTATE_RESULT_NULL_PARAMETER` when `text` (with `len` > 0) or
/// `out` is NULL. Nothing is kept: the text is the caller's again when the
/// call returns.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_socket_addr_parse(
    text: *const c_char,
    len: usize,
    out: *mut wirestate_socket_addr,
) -> wirestate_result {
    result_boundary(|| {
        // SAFETY: C passes `text` valid for `len` bytes (or NULL with 0).
        let text = unsafe { try_slice(text.cast(), len) }?;
        let out = Out::new(out)?;
        let text = core::str::from_utf8(text).map_err(|_| wirestate_result::InvalidAddress)?;
        let addr: SocketAddr = text.parse().map_err(|_| wirestate_result::InvalidAddress)?;
        out.write(addr.into());
        Ok(())
    })
}

/// Parses `len` bytes of text (not NUL-terminated) into `*out`:
/// `"10.0.0.1"` or `"2001:db8::1"`.
///
/// `WIRESTATE_RESULT_INVALID_ADDRESS` when the text is not an IP address,
/// `WIRESTATE_RESULT_NULL_PARAMETER` when `text` (with `len` > 0) or `out`
/// is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_ip_addr_parse(
    text: *const c_char,
    len: usize,
    out: *mut wirestate_ip_addr,
) -> wirestate_result {
    result_boundary(|| {
        // SAFETY: C passes `text` valid for `len` bytes (or NULL with 0).
        let text = unsafe { try_slice(text.cast(), len) }?;
        let out = Out::new(out)?;
        let text = core::str::from_utf8(text).map_err(|_| wirestate_result::InvalidAddress)?;
        let ip: IpAddr = text.parse().map_err(|_| wirestate_result::InvalidAddress)?;
        out.write(ip.into());
        Ok(())
    })
}

/// Writes `*addr` as text (`"10.0.0.1:80"`, `"[2001:db8::1]:443"`) into
/// `buf`, which has room for `cap` bytes, followed by a NUL when there is
/// room for it, and writes the length without the NUL to `*out_n`. 48 bytes
/// always suffice.
///
/// `WIRESTATE_RESULT_BUFFER_TOO_SMALL` (writing nothing) when the text does
/// not fit, `WIRESTATE_RESULT_INVALID_ADDRESS` for an unknown family,
/// `WIRESTATE_RESULT_NULL_PARAMETER` for a NULL `addr`, `out_n`, or `buf`
/// with `cap` > 0. The bytes written are the caller's.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_socket_addr_format(
    addr: *const wirestate_socket_addr,
    buf: *mut c_char,
    cap: usize,
    out_n: *mut usize,
) -> wirestate_result {
    result_boundary(|| {
        // SAFETY: C passes NULL or a readable address.
        let addr = unsafe { read_in(addr) }?.to_socket()?;
        // SAFETY: C passes `buf` valid for `cap` bytes of writes (or NULL with 0).
        let dst = unsafe { try_slice_mut(buf.cast::<u8>(), cap) }?;
        let out_n = Out::new(out_n)?;
        let text = addr.to_string();
        let text = text.as_bytes();
        if text.len() > dst.len() {
            return Err(wirestate_result::BufferTooSmall);
        }
        dst[..text.len()].copy_from_slice(text);
        if let Some(nul) = dst.get_mut(text.len()) {
            *nul = 0;
        }
        out_n.write(text.len());
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for text in [
            "10.0.0.1:80",
            "[2001:db8::1]:443",
            "[::]:1",
            "0.0.0.0:65535",
        ] {
            let mut a = wirestate_socket_addr::from(SocketAddr::from(([0, 0, 0, 0], 0)));
            let r = wirestate_socket_addr_parse(text.as_ptr().cast(), text.len(), &mut a);
            assert_eq!(r, wirestate_result::Ok);
            let mut buf = [0 as c_char; 48];
            let mut n = 0;
            let r = wirestate_socket_addr_format(&a, buf.as_mut_ptr(), buf.len(), &mut n);
            assert_eq!(r, wirestate_result::Ok);
            let out: Vec<u8> = buf[..n].iter().map(|&c| c as u8).collect();
            assert_eq!(out, text.as_bytes());
            assert_eq!(buf[n], 0);
        }
        let longest = "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535";
        assert!(longest.len() < 48);
    }

    #[test]
    fn v4_zeroes_the_rest() {
        let a = wirestate_ip_addr::from(IpAddr::from([1, 2, 3, 4]));
        assert_eq!(a.family, 4);
        assert_eq!(a.bytes[..4], [1, 2, 3, 4]);
        assert!(a.bytes[4..].iter().all(|&b| b == 0));
        let bad = wirestate_ip_addr { family: 5, ..a };
        assert_eq!(bad.to_ip(), Err(wirestate_result::InvalidAddress));
    }
}
