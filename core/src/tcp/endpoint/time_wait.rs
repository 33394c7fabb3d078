//! TIME-WAIT kept small.
//!
//! A connection in TIME-WAIT has nothing left to do but re-acknowledge a
//! retransmitted FIN for 2·MSL (RFC 9293 §3.6.1). Once its output is drained
//! and its data read, the endpoint swaps the full connection for this
//! record — addresses, the two sequence numbers, timestamps — and frees the
//! buffers. On a busy server most closed connections sit here.
//!
//! Every record waits the same 2·MSL, so their expiry times come in the
//! order the records do. The records themselves are kept in that order, in
//! a ring: compacting appends at the back and expiry reads from the front,
//! both in sequence, and tens of thousands of closed connections cost the
//! endpoint's timer heap nothing. A small table finds a record by its
//! connection id, hashed so that the ids of one slab slot, compacted and
//! expiring in turn, sit side by side in it; each record also keeps the hash of its address pair, so
//! that dropping it from the endpoint's pair table needs no hashing.

use hashbrown::HashTable;

use super::maps::id_hash;
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

/// A record in the ring.
#[derive(Debug, Clone, Copy)]
struct Slot {
    record: TimeWait,
    id: ConnId,
    /// The hash of `record.addrs` in the endpoint's pair table.
    pair_hash: u64,
    /// When the wait ends; later than `queued` once restarted.
    until: Instant,
    /// The time this slot's place in the ring stands for: never earlier
    /// than the slot before it.
    queued: Instant,
    /// False once removed early (a RST ended it); such slots are dropped
    /// when they reach the front.
    live: bool,
}

/// The records, in order of their place in the ring, and the table that
/// finds them by id.
#[derive(Debug, Default)]
pub(super) struct TimeWaits {
    ring: VecDeque<Slot>,
    /// The ticket of `ring[0]`: each slot gets the next ticket when it is
    /// appended, so a ticket names its slot for as long as it is there.
    first: u64,
    /// The ticket of every live slot, found by its id.
    by_id: HashTable<u64>,
}

impl TimeWaits {
    pub(super) fn len(&self) -> usize {
        self.by_id.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Whether `ticket` names the slot of `id` in `ring`, whose first
    /// slot has the ticket `first`: the key test of `by_id`.
    #[inline]
    fn holds(ring: &VecDeque<Slot>, first: u64, id: ConnId, ticket: u64) -> bool {
        ring.get(ticket.wrapping_sub(first) as usize)
            .is_some_and(|s| s.id == id)
    }

    /// The ring position of `id`'s record.
    #[inline]
    fn position(&self, id: ConnId) -> Option<usize> {
        let (ring, first) = (&self.ring, self.first);
        let ticket = self
            .by_id
            .find(id_hash(id), |&t| Self::holds(ring, first, id, t))?;
        Some(ticket.wrapping_sub(first) as usize)
    }

    fn slot_mut(&mut self, id: ConnId) -> Option<&mut Slot> {
        let at = self.position(id)?;
        self.ring.get_mut(at)
    }

    /// The address pair of `id`'s record.
    #[inline]
    pub(super) fn pair(&self, id: ConnId) -> Option<&AddrPair> {
        let at = self.position(id)?;
        self.ring.get(at).map(|s| &s.record.addrs)
    }

    pub(super) fn get(&self, id: ConnId) -> Option<TimeWait> {
        let at = self.position(id)?;
        self.ring.get(at).map(|s| s.record)
    }

    /// The time the last slot stands for, if any.
    fn back(&self) -> Option<Instant> {
        self.ring.back().map(|s| s.queued)
    }

    /// Appends `slot` at the time `until`, or the time of the last slot if
    /// that is later (keeping the ring in order); returns its ticket.
    fn append(&mut self, mut slot: Slot) -> u64 {
        slot.queued = self.back().map_or(slot.until, |last| slot.until.max(last));
        slot.until = slot.queued;
        self.ring.push_back(slot);
        self.first + self.ring.len() as u64 - 1
    }

    /// Keeps `record` until `until`, or until the latest expiry queued if
    /// that is later (a connection compacted after a younger one waits
    /// that little longer, never less than 2·MSL; it keeps the ring in
    /// order). `pair_hash` is the hash of its address pair in the pair
    /// table. Ids are never reused, so `id` is not held already.
    pub(super) fn insert(&mut self, id: ConnId, record: TimeWait, pair_hash: u64, until: Instant) {
        let ticket = self.append(Slot {
            record,
            id,
            pair_hash,
            until,
            queued: until,
            live: true,
        });
        let (ring, first) = (&self.ring, self.first);
        self.by_id.insert_unique(id_hash(id), ticket, |&t| {
            ring.get(t.wrapping_sub(first) as usize)
                .map_or(0, |s| id_hash(s.id))
        });
    }

    /// Starts `id`'s wait again, to end at `until` (never earlier than it
    /// was to end).
    ///
    /// Only the slot's end time changes: the slot, now early in the ring,
    /// moves to the back when it reaches the front (see `settle`). Moving it
    /// here instead would cost a copy per segment of a peer that repeats its
    /// FIN; this way every record has exactly one slot.
    pub(super) fn restart(&mut self, id: ConnId, until: Instant) {
        if let Some(slot) = self.slot_mut(id) {
            slot.until = slot.until.max(until);
        }
    }

    /// Makes `tsval` the timestamp the record of `id` echoes.
    pub(super) fn set_recent(&mut self, id: ConnId, tsval: u32) {
        if let Some(slot) = self.slot_mut(id)
            && let Some((_, recent)) = &mut slot.record.timestamps
        {
            *recent = tsval;
        }
    }

    /// Removes `id`'s record; returns it with its pair's hash.
    pub(super) fn remove(&mut self, id: ConnId) -> Option<(TimeWait, u64)> {
        let (ring, first) = (&self.ring, self.first);
        let ticket = self
            .by_id
            .find_entry(id_hash(id), |&t| Self::holds(ring, first, id, t))
            .ok()?
            .remove()
            .0;
        let slot = self
            .ring
            .get_mut(ticket.wrapping_sub(self.first) as usize)?;
        slot.live = false;
        let found = (slot.record, slot.pair_hash);
        self.trim();
        Some(found)
    }

    /// Drops removed slots from the front.
    fn trim(&mut self) {
        while self.ring.front().is_some_and(|s| !s.live) {
            self.ring.pop_front();
            self.first += 1;
        }
    }

    /// Brings the earliest live record to the front of the ring: drops the
    /// slots of records removed early, and moves those of restarted
    /// records to the back, at their new time or, to keep the ring in
    /// order, the latest time queued if that is later (such a record waits
    /// that little longer, never less).
    fn settle(&mut self) -> Option<Instant> {
        loop {
            self.trim();
            let front = *self.ring.front()?;
            if front.until == front.queued {
                return Some(front.queued);
            }
            let old = self.first;
            let ticket = self.append(front);
            self.ring.pop_front();
            self.first += 1;
            if let Some(t) = self.by_id.find_mut(id_hash(front.id), |&t| t == old) {
                *t = ticket;
            }
        }
    }

    /// How many slots the ring holds: one per record once settled.
    #[cfg(test)]
    pub(super) fn queued(&self) -> usize {
        self.ring.len()
    }

    /// When the earliest record expires.
    pub(super) fn next(&mut self) -> Option<Instant> {
        self.settle()
    }

    /// The record whose wait is over at `now`, if any, removed: its id and
    /// its address pair's hash.
    pub(super) fn pop_due(&mut self, now: Instant) -> Option<(ConnId, u64)> {
        if self.settle()? > now {
            return None;
        }
        let id = self.ring.front()?.id;
        self.remove(id).map(|(_, pair_hash)| (id, pair_hash))
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
        let pair_hash = self.by_tuple.hash_of(id, &record.addrs);
        self.time_wait.insert(id, record, pair_hash, until);
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

    /// A RST ended the wait: the connection is gone.
    fn finish_time_wait(&mut self, id: ConnId) {
        if let Some((_, pair_hash)) = self.time_wait.remove(id) {
            self.by_tuple.remove_hashed(id, pair_hash);
            self.events.push_back((id, Event::Closed));
        }
    }

    /// Ends the waits that are over at `now`.
    pub(super) fn expire_time_waits(&mut self, now: Instant) {
        while let Some((id, pair_hash)) = self.time_wait.pop_due(now) {
            self.by_tuple.remove_hashed(id, pair_hash);
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
        // With its id, pair hash and two times, as the ring holds it.
        assert!(core::mem::size_of::<Slot>() <= 96);
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

    /// The id of the record due at `now`, checking that its pair's hash
    /// came back with it.
    fn due(t: &mut TimeWaits, now: Instant) -> Option<ConnId> {
        let (id, hash) = t.pop_due(now)?;
        assert_eq!(hash, id.0);
        Some(id)
    }

    /// Expiry comes in order; a record compacted late waits as long as the
    /// one before it, never less; a restarted record's entry moves back and
    /// a removed one's is skipped.
    #[test]
    fn records_expire_in_order() {
        let mut t = TimeWaits::default();
        assert_eq!(t.next(), None);
        t.insert(ConnId(1), record(), 1, at(60));
        t.insert(ConnId(2), record(), 2, at(70));
        // Entered TIME-WAIT earlier than 2 but compacted after it.
        t.insert(ConnId(3), record(), 3, at(65));
        t.insert(ConnId(4), record(), 4, at(80));
        t.restart(ConnId(1), at(90));
        t.remove(ConnId(2));
        assert_eq!(t.len(), 3);
        // 1's entry moves behind 4, 2's is dropped: 3 comes first, at 70.
        assert_eq!(t.next(), Some(at(70)));
        assert_eq!(t.queued(), 3);
        assert_eq!(due(&mut t, at(69)), None);
        assert_eq!(due(&mut t, at(70)), Some(ConnId(3)));
        assert!(t.remove(ConnId(3)).is_none());
        assert_eq!(due(&mut t, at(85)), Some(ConnId(4)));
        assert_eq!(t.next(), Some(at(90)));
        assert_eq!(due(&mut t, at(90)), Some(ConnId(1)));
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
        t.insert(ConnId(1), record(), 1, at(60));
        t.insert(ConnId(2), record(), 2, at(61));
        for s in 1..10_000 {
            t.restart(ConnId(1), at(60) + crate::time::Duration::from_millis(s));
            assert_eq!(t.next(), Some(at(61)));
        }
        assert_eq!(t.queued(), 2);
        t.restart(ConnId(2), at(30));
        assert_eq!(due(&mut t, at(61)), Some(ConnId(2)));
        assert_eq!(
            t.next(),
            Some(at(60) + crate::time::Duration::from_millis(9_999))
        );
        assert_eq!(t.queued(), 1);
    }

    /// A record moved to the back of the ring after a restart is still
    /// found by its id, with its pair's hash.
    #[test]
    fn a_moved_record_is_still_found() {
        let mut t = TimeWaits::default();
        t.insert(ConnId(1), record(), 1, at(60));
        t.insert(ConnId(2), record(), 2, at(61));
        t.restart(ConnId(1), at(70));
        assert_eq!(t.next(), Some(at(61)));
        assert_eq!(t.pair(ConnId(1)), Some(&record().addrs));
        t.set_recent(ConnId(1), 5);
        assert!(t.get(ConnId(1)).is_some());
        let (_, hash) = t.remove(ConnId(1)).expect("found after the move");
        assert_eq!(hash, 1);
        assert_eq!(t.len(), 1);
        assert!(t.get(ConnId(1)).is_none());
    }

    /// Many records, half removed early at random places, the table
    /// growing and rehashing meanwhile: every other one is still found and
    /// expires in order, and the ring ends empty.
    #[test]
    fn many_records_stay_found_through_growth_and_removal() {
        let mut t = TimeWaits::default();
        for i in 0..6_000u64 {
            t.insert(ConnId(i << 32 | i), record(), i << 32 | i, at(60 + i));
            if i % 3 == 2 {
                assert!(t.remove(ConnId((i - 1) << 32 | (i - 1))).is_some());
            }
        }
        for i in 0..6_000u64 {
            assert_eq!(t.get(ConnId(i << 32 | i)).is_some(), i % 3 != 1, "{i}");
        }
        let mut expired = 0;
        while let Some(id) = due(&mut t, at(10_000)) {
            assert_ne!(id.0 & 0xffff_ffff, 0xffff_ffff);
            assert_ne!((id.0 & 0xffff_ffff) % 3, 1);
            expired += 1;
        }
        assert_eq!(expired, 4_000);
        assert!(t.is_empty());
        assert_eq!(t.queued(), 0);
    }
}
