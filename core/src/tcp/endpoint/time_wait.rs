//! TIME-WAIT kept small.
//!
//! A connection in TIME-WAIT has nothing left to do but re-acknowledge a
//! retransmitted FIN for 2·MSL (RFC 9293 §3.6.1). Once its output is drained
//! and its data read, the endpoint swaps the full connection for this
//! record — addresses, the two sequence numbers, timestamps — and frees the
//! buffers. On a busy server most closed connections sit here.
//!
//! Every record waits the same 2·MSL, so their expiry times come in the
//! order the records do: a queue in arrival order replaces the endpoint's
//! timer heap for them, and tens of thousands of closed connections cost
//! the heap nothing.

use super::maps::{IdHash, IdMap};
use super::{ConnId, Endpoint, Stateless};
use crate::tcp::Timer;
use crate::tcp::addr::AddrPair;
use crate::tcp::connection::{Event, State};
use crate::tcp::seq::SeqNumber;
use crate::time::Instant;
use crate::wire::{TcpFlags, TcpRepr};
use alloc::collections::VecDeque;

/// What TIME-WAIT needs to remember.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimeWait {
    /// Our address and the peer's.
    pub(crate) addrs: AddrPair,
    /// Our next sequence number (past our FIN).
    pub(crate) snd_nxt: SeqNumber,
    /// The peer's next sequence number (past its FIN).
    pub(crate) rcv_nxt: SeqNumber,
    /// Timestamps in use: our clock offset and the value to echo.
    pub(crate) timestamps: Option<(u32, u32)>,
}

/// The records and their expiry times.
#[derive(Debug)]
pub(super) struct TimeWaits {
    records: IdMap<(TimeWait, Instant)>,
    /// `(until, id)` in order of `until`. An entry whose record is gone, or
    /// whose record was restarted to a later time (which queued another
    /// entry), is skipped when it reaches the front.
    queue: VecDeque<(Instant, ConnId)>,
}

impl Default for TimeWaits {
    fn default() -> Self {
        TimeWaits {
            records: IdMap::with_hasher(IdHash),
            queue: VecDeque::new(),
        }
    }
}

impl TimeWaits {
    pub(super) fn len(&self) -> usize {
        self.records.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The address pair of `id`'s record.
    #[inline]
    pub(super) fn pair(&self, id: ConnId) -> Option<&AddrPair> {
        self.records.get(&id).map(|(record, _)| &record.addrs)
    }

    pub(super) fn get(&self, id: ConnId) -> Option<TimeWait> {
        self.records.get(&id).map(|&(record, _)| record)
    }

    /// Keeps `record` until `until`, or until the latest expiry queued if
    /// that is later (a connection compacted after a younger one waits
    /// that little longer, never less than 2·MSL; it keeps the queue in
    /// order).
    pub(super) fn insert(&mut self, id: ConnId, record: TimeWait, until: Instant) {
        let until = self
            .queue
            .back()
            .map_or(until, |&(last, _)| until.max(last));
        self.records.insert(id, (record, until));
        self.queue.push_back((until, id));
    }

    /// Starts `id`'s wait again, to end at `until` (never earlier than it
    /// was to end).
    ///
    /// Only the record changes: its queue entry, now early, is moved to the
    /// back when it reaches the front (see `settle`). Queueing a new entry
    /// here instead would let a peer that repeats its FIN grow the queue by
    /// an entry per segment for 2·MSL; this way every record has exactly
    /// one entry.
    pub(super) fn restart(&mut self, id: ConnId, until: Instant) {
        if let Some(slot) = self.records.get_mut(&id) {
            slot.1 = slot.1.max(until);
        }
    }

    /// Makes `tsval` the timestamp the record of `id` echoes.
    pub(super) fn set_recent(&mut self, id: ConnId, tsval: u32) {
        if let Some((record, _)) = self.records.get_mut(&id)
            && let Some((_, recent)) = &mut record.timestamps
        {
            *recent = tsval;
        }
    }

    pub(super) fn remove(&mut self, id: ConnId) -> Option<TimeWait> {
        self.records.remove(&id).map(|(record, _)| record)
    }

    /// Brings the earliest live record to the front of the queue: drops the
    /// entries of records removed early, and moves those of restarted
    /// records to the back, at their new time or, to keep the queue in
    /// order, the latest time queued if that is later (such a record waits
    /// that little longer, never less).
    fn settle(&mut self) -> Option<(Instant, ConnId)> {
        while let Some(&(t, id)) = self.queue.front() {
            let Some((_, until)) = self.records.get_mut(&id) else {
                self.queue.pop_front();
                continue;
            };
            if *until == t {
                return Some((t, id));
            }
            let last = self.queue.back().map_or(t, |&(last, _)| last);
            *until = (*until).max(last);
            let requeued = (*until, id);
            self.queue.pop_front();
            self.queue.push_back(requeued);
        }
        None
    }

    /// How many entries the queue holds: one per record once settled.
    #[cfg(test)]
    pub(super) fn queued(&self) -> usize {
        self.queue.len()
    }

    /// When the earliest record expires.
    pub(super) fn next(&mut self) -> Option<Instant> {
        self.settle().map(|(t, _)| t)
    }

    /// A record whose wait is over at `now`, if any (it stays in the table:
    /// the caller removes it).
    pub(super) fn pop_due(&mut self, now: Instant) -> Option<ConnId> {
        let (t, id) = self.settle()?;
        if t > now {
            return None;
        }
        self.queue.pop_front();
        Some(id)
    }
}

impl Endpoint {
    /// Swaps a drained connection in TIME-WAIT for a small record.
    pub(super) fn compact_time_wait(&mut self, id: ConnId) {
        let Some(entry) = self.conns.get_mut(id) else {
            return;
        };
        let conn = &entry.conn;
        if conn.state() != State::TimeWait || conn.readable() > 0 {
            return;
        }
        let record = conn.time_wait_record();
        // TIME-WAIT always runs its timer; without one, the wait is over.
        let until = conn.timer(Timer::Linger).unwrap_or(Instant::ZERO);
        self.schedule.forget(&mut entry.timer);
        self.conns.remove(id);
        self.time_wait.insert(id, record, until);
    }

    /// A segment for a compacted TIME-WAIT connection.
    pub(super) fn time_wait_segment(&mut self, now: Instant, id: ConnId, seg: &TcpRepr<'_>) {
        let Some(mut record) = self.time_wait.get(id) else {
            return;
        };
        if seg.flags.contains(TcpFlags::RST) {
            // RFC 5961 §3.2: only an exact RST closes.
            if SeqNumber::new(seg.seq) == record.rcv_nxt {
                self.finish_time_wait(id);
            }
            return;
        }
        let mut old_duplicate = false;
        if let (Some((offset, recent)), Some((tsval, _))) = (record.timestamps, seg.timestamp) {
            if (tsval.wrapping_sub(recent) as i32) < 0 {
                // PAWS (RFC 7323 §5.3): older than what the peer sent last,
                // so a duplicate from the past; it gets an ACK, nothing
                // more.
                old_duplicate = true;
            } else if SeqNumber::new(seg.seq).le(record.rcv_nxt) {
                // RFC 7323 §4.3: echo the newest timestamp of a segment
                // that lies within what we acknowledged, such as the
                // peer's retransmitted FIN, as the full connection would.
                self.time_wait.set_recent(id, tsval);
                record.timestamps = Some((offset, tsval));
            }
        }
        if seg.flags.contains(TcpFlags::FIN) && !old_duplicate {
            // The peer missed our last ACK: restart the 2·MSL wait.
            self.time_wait.restart(id, now + self.config.time_wait());
        }
        if self.stateless.len() < super::MAX_PENDING_STATELESS {
            let ts = record
                .timestamps
                .map(|(offset, recent)| (crate::tcp::connection::ts_clock(now, offset), recent));
            self.stateless.push_back(Stateless {
                local: record.addrs.local(),
                remote: record.addrs.remote(),
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
        if let Some(record) = self.time_wait.remove(id) {
            self.by_tuple.remove(id, &record.addrs);
            self.events.push_back((id, Event::Closed));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_small() {
        assert!(core::mem::size_of::<TimeWait>() <= 60);
    }

    fn record() -> TimeWait {
        let a: core::net::SocketAddr = "10.0.0.1:1".parse().unwrap();
        TimeWait {
            addrs: AddrPair::new(a, a),
            snd_nxt: SeqNumber::new(1),
            rcv_nxt: SeqNumber::new(2),
            timestamps: None,
        }
    }

    fn at(s: u64) -> Instant {
        Instant::from_secs(s)
    }

    /// Expiry comes in order; a record compacted late waits as long as the
    /// one before it, never less; a restarted record's entry moves back and
    /// a removed one's is skipped.
    #[test]
    fn records_expire_in_order() {
        let mut t = TimeWaits::default();
        assert_eq!(t.next(), None);
        t.insert(ConnId(1), record(), at(60));
        t.insert(ConnId(2), record(), at(70));
        // Entered TIME-WAIT earlier than 2 but compacted after it.
        t.insert(ConnId(3), record(), at(65));
        t.insert(ConnId(4), record(), at(80));
        t.restart(ConnId(1), at(90));
        t.remove(ConnId(2));
        assert_eq!(t.len(), 3);
        // 1's entry moves behind 4, 2's is dropped: 3 comes first, at 70.
        assert_eq!(t.next(), Some(at(70)));
        assert_eq!(t.queued(), 3);
        assert_eq!(t.pop_due(at(69)), None);
        assert_eq!(t.pop_due(at(70)), Some(ConnId(3)));
        assert!(t.remove(ConnId(3)).is_some());
        assert_eq!(t.pop_due(at(85)), Some(ConnId(4)));
        t.remove(ConnId(4));
        assert_eq!(t.next(), Some(at(90)));
        assert_eq!(t.pop_due(at(90)), Some(ConnId(1)));
        t.remove(ConnId(1));
        assert!(t.is_empty());
        assert_eq!(t.next(), None);
        // A restart of a record that is gone queues nothing.
        t.restart(ConnId(9), at(100));
        assert_eq!(t.next(), None);
    }

    /// However often records restart, each keeps one queue entry, and a
    /// restart never shortens a wait.
    #[test]
    fn restarts_keep_one_entry_per_record() {
        let mut t = TimeWaits::default();
        t.insert(ConnId(1), record(), at(60));
        t.insert(ConnId(2), record(), at(61));
        for s in 1..10_000 {
            t.restart(ConnId(1), at(60) + crate::time::Duration::from_millis(s));
            assert_eq!(t.next(), Some(at(61)));
        }
        assert_eq!(t.queued(), 2);
        t.restart(ConnId(2), at(30));
        assert_eq!(t.pop_due(at(61)), Some(ConnId(2)));
        t.remove(ConnId(2));
        assert_eq!(
            t.next(),
            Some(at(60) + crate::time::Duration::from_millis(9_999))
        );
        assert_eq!(t.queued(), 1);
    }
}
