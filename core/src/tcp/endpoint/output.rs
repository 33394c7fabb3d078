//! The output path: what [`Endpoint::poll_transmit`] writes, from the
//! stateless queue (RSTs, cookie SYN-ACKs) first, then from connections
//! with something to send, in the order they had something new.

use core::net::SocketAddr;

use super::{ConnId, Endpoint, HOP_LIMIT, Transmit};
use crate::tcp::connection::{Connection, State};
use crate::tcp::seq::SeqNumber;
use crate::time::Instant;
use crate::wire::{IpProtocol, IpRepr, Ipv4Packet, Ipv4Repr, TcpPacket, TcpRepr};

impl Endpoint {
    /// Out of line: see [`Endpoint::poll_transmit`].
    #[inline(never)]
    pub(super) fn transmit(
        &mut self,
        now: Instant,
        buf: &mut [u8],
        with_ip: bool,
    ) -> Option<Transmit> {
        let checksums = self.checksums();
        if let Some(s) = self.stateless.pop_front() {
            let (local, remote) = (s.local, s.remote);
            let ip_len = if with_ip {
                ip_header_len(local.is_ipv4())
            } else {
                0
            };
            let repr = TcpRepr {
                src_port: local.port(),
                dst_port: remote.port(),
                seq: s.seq.get(),
                ack: s.ack.map_or(0, SeqNumber::get),
                flags: s.flags,
                window: s.window,
                mss: s.mss,
                timestamp: s.ts,
                window_scale: s.window_scale,
                sack_permitted: s.sack_permitted,
                ..TcpRepr::default()
            };
            let n = repr.buffer_len();
            if buf.len() < ip_len + n {
                return None;
            }
            repr.emit(
                &mut TcpPacket::new_unchecked(&mut buf[ip_len..ip_len + n]),
                local.ip(),
                remote.ip(),
                checksums,
            );
            return Some(self.finish_packet(buf, with_ip, local, remote, n));
        }
        while let Some(id) = self.dirty.front() {
            let Some(entry) = self.conns.get_mut(id) else {
                self.dirty.pop_front();
                continue;
            };
            let ip_len = if with_ip {
                ip_header_len(entry.conn.addr_pair().is_ipv4())
            } else {
                0
            };
            if buf.len() <= ip_len {
                return None;
            }
            // A connection that surely has nothing to send (an ended one
            // queued only to be let go) skips the whole output decision.
            let sent = if entry.conn.may_transmit() {
                entry.conn.poll_transmit(now, &mut buf[ip_len..])
            } else {
                None
            };
            if let Some(n) = sent {
                // The addresses are built once there is a segment, not
                // kept across the call.
                let (local, remote) = (entry.conn.local(), entry.conn.remote());
                if !entry.conn.may_transmit() {
                    // That was the last segment for now: done with this
                    // connection as the next call would be on finding
                    // nothing, without that call. Sending arms timers
                    // (retransmission, persist): its deadline is recorded
                    // as it leaves the queue.
                    entry.reschedule(&mut self.schedule, id);
                    entry.dirty = false;
                    let ended = ended(&entry.conn);
                    self.leave_output_queue(id, ended);
                    self.schedule.tidy(&mut self.conns);
                }
                return Some(self.finish_packet(buf, with_ip, local, remote, n));
            }
            // Finding nothing to send can arm a timer too (the persist
            // timer when the peer's window is closed).
            entry.reschedule(&mut self.schedule, id);
            entry.dirty = false;
            let ended = ended(&entry.conn);
            self.leave_output_queue(id, ended);
            self.schedule.tidy(&mut self.conns);
        }
        None
    }

    /// Takes `id`, the front of the output queue (its entry already marked
    /// clean), off it, and lets go of the connection if it `ended`.
    #[inline]
    fn leave_output_queue(&mut self, id: ConnId, ended: bool) {
        self.dirty.pop_front();
        if ended {
            self.after_output(id);
        }
    }

    fn finish_packet(
        &self,
        buf: &mut [u8],
        with_ip: bool,
        src: SocketAddr,
        dst: SocketAddr,
        segment_len: usize,
    ) -> Transmit {
        let mut len = segment_len;
        if with_ip {
            if let (SocketAddr::V4(s), SocketAddr::V4(d)) = (src, dst) {
                // Straight to the IPv4 header, without the version-neutral
                // representation that carries IPv6 addresses.
                let ip = Ipv4Repr {
                    src_addr: *s.ip(),
                    dst_addr: *d.ip(),
                    protocol: IpProtocol::TCP,
                    payload_len: segment_len,
                    hop_limit: HOP_LIMIT,
                };
                ip.emit(&mut Ipv4Packet::new_unchecked(buf), self.checksums());
                len += ip.buffer_len();
            } else if let Some(ip) =
                IpRepr::new(src.ip(), dst.ip(), IpProtocol::TCP, segment_len, HOP_LIMIT)
            {
                ip.emit(buf, self.checksums());
                len += ip.buffer_len();
            }
        }
        Transmit { len, src, dst }
    }
}

/// Whether `conn` is done with the output queue for good, so that
/// [`Endpoint::after_output`] may have something to do for it (compact it
/// in TIME-WAIT, or drop it once closed): checked where the entry is at
/// hand, so the call is made only then.
#[inline]
pub(super) fn ended(conn: &Connection) -> bool {
    matches!(conn.state(), State::TimeWait | State::Closed)
}

fn ip_header_len(ipv4: bool) -> usize {
    if ipv4 {
        crate::wire::ipv4::HEADER_LEN
    } else {
        crate::wire::ipv6::HEADER_LEN
    }
}
