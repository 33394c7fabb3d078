//! A Linux TUN device, opened non-blocking with `IFF_TUN | IFF_NO_PI`: every
//! read returns one IP packet and every write sends one, with no packet
//! information header in front. The core never sees this file: it only gets
//! the packets.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::time::Duration;

/// An attached TUN device.
pub struct Tun {
    file: File,
    name: String,
}

impl Tun {
    /// Attaches to the TUN device `name`, creating it if it does not exist
    /// (then it disappears with the process). Needs `CAP_NET_ADMIN`, or a
    /// persistent device owned by the caller.
    pub fn open(name: &str) -> io::Result<Tun> {
        if name.is_empty() || name.len() >= libc::IFNAMSIZ || name.contains('\0') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "bad interface name",
            ));
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open("/dev/net/tun")?;
        // SAFETY: ifreq is plain old data; all zeroes is a valid value.
        let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
        for (dst, &src) in ifr.ifr_name.iter_mut().zip(name.as_bytes()) {
            *dst = src as libc::c_char;
        }
        ifr.ifr_ifru.ifru_flags = (libc::IFF_TUN | libc::IFF_NO_PI) as libc::c_short;
        // SAFETY: TUNSETIFF reads and writes one `struct ifreq`, which `ifr`
        // is, and the descriptor is open for the call's duration.
        let rc = unsafe { libc::ioctl(file.as_raw_fd(), libc::TUNSETIFF, &mut ifr) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        let len = ifr
            .ifr_name
            .iter()
            .position(|&c| c == 0)
            .unwrap_or(ifr.ifr_name.len());
        let name = ifr.ifr_name[..len]
            .iter()
            .map(|&c| c as u8 as char)
            .collect();
        Ok(Tun { file, name })
    }

    /// The interface name the kernel gave.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reads one packet; `Ok(None)` when none is waiting.
    pub fn recv(&mut self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        match self.file.read(buf) {
            Ok(n) => Ok(Some(n)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Writes one packet. A full queue drops it, as a wire would: TCP
    /// retransmits.
    pub fn send(&mut self, packet: &[u8]) -> io::Result<()> {
        match self.file.write(packet) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            // The interface may be down or have no address yet.
            Err(e) if e.raw_os_error() == Some(libc::EIO) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Waits until a packet can be read or `timeout` passes (`None`: no
    /// limit).
    pub fn wait(&self, timeout: Option<Duration>) -> io::Result<()> {
        let mut pfd = libc::pollfd {
            fd: self.file.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = match timeout {
            None => -1,
            // Round up, so a timer is never woken for too early.
            Some(t) => t.as_nanos().div_ceil(1_000_000).min(60_000) as libc::c_int,
        };
        // SAFETY: one valid pollfd, count 1.
        let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
        if rc < 0 {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
        Ok(())
    }
}
