//! TIME-WAIT kept small.
//!
//! A connection in TIME-WAIT has nothing left to do but re-acknowledge a
//! retransmitted FIN for 2·MSL (RFC 9293 §3.6.1). Once its output is drained
//! and its data read, the endpoint swaps the full connection for this
//! record — addresses, the two sequence numbers, timestamps — and frees the
//! buffers. On a busy server most closed connections sit here.

use super::{ConnId, Endpoint, Stateless};
use crate::tcp::connection::{Event, State};
use crate::tcp::seq::SeqNumber;
use crate::time::Instant;
use crate::wire::{TcpFlags, TcpRepr};
use core::net::SocketAddr;

/// What TIME-WAIT needs to remember.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimeWait {
    pub(crate) local: SocketAddr,
    pub(crate) remote: SocketAddr,
    /// Our next sequence number (past our FIN).
    pub(crate) snd_nxt: SeqNumber,
    /// The peer's next sequence number (past its FIN).
    pub(crate) rcv_nxt: SeqNumber,
    /// Timestamps in use: our clock offset and the value to echo.
    pub(crate) timestamps: Option<(u32, u32)>,
}

impl Endpoint {
    /// Swaps a drained connection in TIME-WAIT for a small record.
    pub(super) fn compact_time_wait(&mut self, id: ConnId) {
        let Some(entry) = self.conns.get(&id) else {
            return;
        };
        let conn = &entry.conn;
        if conn.state() != State::TimeWait || conn.readable() > 0 {
            return;
        }
        let record = conn.time_wait_record();
        self.conns.remove(&id);
        self.time_wait.insert(id, record);
    }

    /// A segment for a compacted TIME-WAIT connection.
    pub(super) fn time_wait_segment(&mut self, now: Instant, id: ConnId, seg: &TcpRepr<'_>) {
        let Some(&record) = self.time_wait.get(&id) else {
            return;
        };
        if seg.flags.contains(TcpFlags::RST) {
            // RFC 5961 §3.2: only an exact RST closes.
            if SeqNumber::new(seg.seq) == record.rcv_nxt {
                self.finish_time_wait(id);
            }
            return;
        }
        if seg.flags.contains(TcpFlags::FIN) {
            // The peer missed our last ACK: restart the 2·MSL wait.
            self.schedule
                .set_deadline(id, Some(now + self.config.time_wait()));
        }
        if self.stateless.len() < super::MAX_PENDING_STATELESS {
            let ts = record
                .timestamps
                .map(|(offset, recent)| (crate::tcp::connection::ts_clock(now, offset), recent));
            self.stateless.push_back(Stateless {
                local: record.local,
                remote: record.remote,
                seq: record.snd_nxt,
                ack: Some(record.rcv_nxt),
                flags: TcpFlags::ACK,
                window: 0,
                mss: None,
                ts,
                window_scale: None,
                sack_permitted: false,
            });
        }
    }

    /// 2·MSL are over (or a RST came): the connection is gone.
    pub(super) fn finish_time_wait(&mut self, id: ConnId) {
        if let Some(record) = self.time_wait.remove(&id) {
            self.by_tuple.remove(&(record.local, record.remote));
            self.schedule.remove(id);
            self.events.push_back((id, Event::Closed));
        }
    }
}
