//! The packet path of `tcp_tun`: a TUN device on one side, an endpoint
//! on the other, and between them, when impairments were asked for, a
//! seeded simulated link that loses, delays, reorders and duplicates
//! packets both ways. Optionally traces every packet, tcpdump-style.

use std::io;
use std::time::Instant as WallClock;

use super::tun::Tun;
use wirestate::sim::{Direction, Link};
use wirestate::tcp::Endpoint;
use wirestate::time::{Duration, Instant};
use wirestate::wire::{ChecksumMode, TcpFlags, parse_tcp_packet};

/// Kernel to endpoint on the impairment link.
const INBOUND: Direction = Direction::AToB;
/// Endpoint to kernel.
const OUTBOUND: Direction = Direction::BToA;

/// What the loop moves between the device and the endpoint.
pub struct Wire {
    pub tun: Tun,
    /// `None` when no impairment was asked for: packets go straight
    /// through.
    pub link: Option<Link>,
    pub trace: bool,
    pub start: WallClock,
    pub buf: Vec<u8>,
    /// For packets going out.
    pub out: Vec<u8>,
    pub packets_in: u64,
    pub packets_out: u64,
}

impl Wire {
    pub fn now(&self) -> Instant {
        Instant::from_nanos(self.start.elapsed().as_nanos() as u64)
    }

    fn trace(&self, now: Instant, dir: &str, packet: &[u8]) {
        if !self.trace {
            return;
        }
        let t = now.as_secs_f64();
        match parse_tcp_packet(packet, ChecksumMode::FULL) {
            Ok((ip, tcp)) => {
                let mut flags = String::new();
                for (f, c) in [
                    (TcpFlags::SYN, 'S'),
                    (TcpFlags::FIN, 'F'),
                    (TcpFlags::RST, 'R'),
                    (TcpFlags::PSH, 'P'),
                    (TcpFlags::ACK, '.'),
                ] {
                    if tcp.flags.contains(f) {
                        flags.push(c);
                    }
                }
                let mut extra = String::new();
                if let Some(m) = tcp.mss {
                    extra += &format!(" mss {m}");
                }
                if let Some(w) = tcp.window_scale {
                    extra += &format!(" wscale {w}");
                }
                if tcp.sack_permitted {
                    extra += " sackOK";
                }
                if let Some((v, e)) = tcp.timestamp {
                    extra += &format!(" ts {v}/{e}");
                }
                for (l, r) in tcp.sack_ranges.iter().flatten() {
                    extra += &format!(" sack {l}-{r}");
                }
                eprintln!(
                    "{t:.6} {dir} {}:{} > {}:{} [{flags}] seq {} ack {} win {} len {}{extra}",
                    ip.src_addr(),
                    tcp.src_port,
                    ip.dst_addr(),
                    tcp.dst_port,
                    tcp.seq,
                    tcp.ack,
                    tcp.window,
                    tcp.payload.len()
                );
            }
            Err(e) => eprintln!("{t:.6} {dir} {} bytes, not TCP ({e:?})", packet.len()),
        }
    }

    /// Reads what the device has and hands it (through the link) to
    /// the endpoint. Returns whether anything arrived.
    pub fn receive(&mut self, ep: &mut Endpoint) -> io::Result<bool> {
        let now = self.now();
        let mut any = false;
        let mut buf = std::mem::take(&mut self.buf);
        for _ in 0..512 {
            let Some(n) = self.tun.recv(&mut buf)? else {
                break;
            };
            any = true;
            match &mut self.link {
                Some(link) => link.send(now, INBOUND, buf[..n].to_vec()),
                None => {
                    self.trace(now, "in ", &buf[..n]);
                    self.packets_in += 1;
                    ep.handle_packet(now, &buf[..n]);
                    self.drain(ep, now)?;
                }
            }
        }
        self.buf = buf;
        let mut due = Vec::new();
        if let Some(link) = self.link.as_mut() {
            while let Some(p) = link.poll_receive(now, INBOUND) {
                due.push(p);
            }
        }
        for p in due {
            any = true;
            self.trace(now, "in ", &p);
            self.packets_in += 1;
            ep.handle_packet(now, &p);
            // Through the link, which is in place again.
            self.drain(ep, now)?;
        }
        Ok(any)
    }

    /// Writes what the endpoint has to send now.
    ///
    /// Called after every packet handed in, as the driving contract
    /// asks: an endpoint fed a whole batch before it is drained can only
    /// answer with one ACK for all of it, and the SACK blocks of the
    /// ACKs it did not send never reach the peer.
    fn drain(&mut self, ep: &mut Endpoint, now: Instant) -> io::Result<bool> {
        let mut any = false;
        let mut buf = std::mem::take(&mut self.out);
        while let Some(t) = ep.poll_transmit(now, &mut buf) {
            any = true;
            match &mut self.link {
                Some(link) => link.send(now, OUTBOUND, buf[..t.len].to_vec()),
                None => {
                    self.trace(now, "out", &buf[..t.len]);
                    self.packets_out += 1;
                    self.tun.send(&buf[..t.len])?;
                }
            }
        }
        self.out = buf;
        Ok(any)
    }

    /// Runs due timers and writes what the endpoint has to send.
    pub fn transmit(&mut self, ep: &mut Endpoint) -> io::Result<bool> {
        let now = self.now();
        // A timer may also produce events (TIME-WAIT ending): count it
        // as progress, so the caller looks at them before sleeping.
        let mut any = false;
        if ep.poll_timeout().is_some_and(|t| t <= now) {
            ep.handle_timeout(now);
            any = true;
        }
        any |= self.drain(ep, now)?;
        if let Some(mut link) = self.link.take() {
            while let Some(p) = link.poll_receive(now, OUTBOUND) {
                self.trace(now, "out", &p);
                self.packets_out += 1;
                self.tun.send(&p)?;
            }
            self.link = Some(link);
        }
        Ok(any)
    }

    /// Sleeps until the device has a packet or a timer is due.
    pub fn wait(&mut self, ep: &mut Endpoint, deadline: Option<Instant>) -> io::Result<()> {
        let next = [
            ep.poll_timeout(),
            self.link.as_ref().and_then(Link::poll_timeout),
            deadline,
        ]
        .into_iter()
        .flatten()
        .min();
        let now = self.now();
        let timeout = next.map(|t| t.saturating_duration_since(now));
        if timeout != Some(Duration::ZERO) {
            self.tun.wait(timeout)?;
        }
        Ok(())
    }
}
