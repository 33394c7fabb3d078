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
//! endpoint's timer heap nothing. Inside the endpoint a record is named
//! by its ticket, its place counted from the ring's start: the pair table
//! holds it, so a segment for the record goes straight to its slot. A
//! small table finds a record by its connection id for the application's
//! calls, hashed so that the ids of one slab slot, compacted and expiring
//! in turn, sit side by side in it. Each record keeps the hash of its
//! address pair, so that the pair table's slot is found without hashing
//! when the record moves (a restart) or a RST ends it.

use hashbrown::HashTable;

use super::maps::{Held, id_hash};
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

/// A record that moved to the back of the ring (it was restarted), so its
/// ticket changed: the pair table must follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Moved {
    /// The hash of the record's address pair in the pair table.
    pub(super) pair_hash: u64,
    /// The ticket it had.
    pub(super) from: u64,
    /// The ticket it has now.
    pub(super) to: u64,
}

/// The records, in order of their place in the ring, and the table that
/// finds them by id.
///
/// A record is named by its ticket inside the endpoint (the pair table
/// holds tickets, see `maps.rs`) and by its connection id outside. Tickets
/// grow by one per slot appended, so every ticket below `first` belongs to
/// a record that is gone.
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

    /// The ticket of the first slot: every ticket below it is gone.
    #[inline]
    pub(super) fn first(&self) -> u64 {
        self.first
    }

    /// Whether `ticket` names the slot of `id` in `ring`, whose first
    /// slot has the ticket `first`: the key test of `by_id`.
    #[inline]
    fn holds(ring: &VecDeque<Slot>, first: u64, id: ConnId, ticket: u64) -> bool {
        ring.get(ticket.wrapping_sub(first) as usize)
            .is_some_and(|s| s.id == id)
    }

    /// The live slot `ticket` names.
    #[inline]
    fn slot(&self, ticket: u64) -> Option<&Slot> {
        let at = ticket.checked_sub(self.first)?;
        self.ring.get(usize::try_from(at).ok()?).filter(|s| s.live)
    }

    fn slot_mut(&mut self, ticket: u64) -> Option<&mut Slot> {
        let at = ticket.checked_sub(self.first)?;
        self.ring
            .get_mut(usize::try_from(at).ok()?)
            .filter(|s| s.live)
    }

    /// The address pair of the record `ticket` names.
    #[inline]
    pub(super) fn pair(&self, ticket: u64) -> Option<&AddrPair> {
        self.slot(ticket).map(|s| &s.record.addrs)
    }

    /// The record `ticket` names.
    pub(super) fn record(&self, ticket: u64) -> Option<TimeWait> {
        self.slot(ticket).map(|s| s.record)
    }

    /// The record of connection `id`.
    pub(super) fn get(&self, id: ConnId) -> Option<TimeWait> {
        let (ring, first) = (&self.ring, self.first);
        let ticket = self
            .by_id
            .find(id_hash(id), |&t| Self::holds(ring, first, id, t))?;
        self.record(*ticket)
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
    /// table. Ids are never reused, so `id` is not held already. Returns
    /// the record's ticket.
    pub(super) fn insert(
        &mut self,
        id: ConnId,
        record: TimeWait,
        pair_hash: u64,
        until: Instant,
    ) -> u64 {
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
        ticket
    }

    /// Starts the wait of the record `ticket` names again, to end at
    /// `until` (never earlier than it was to end).
    ///
    /// Only the slot's end time changes: the slot, now early in the ring,
    /// moves to the back when it reaches the front (see `settle`). Moving it
    /// here instead would cost a copy per segment of a peer that repeats its
    /// FIN; this way every record has exactly one slot.
    pub(super) fn restart(&mut self, ticket: u64, until: Instant) {
        if let Some(slot) = self.slot_mut(ticket) {
            slot.until = slot.until.max(until);
        }
    }

    /// Makes `tsval` the timestamp the record `ticket` names echoes.
    pub(super) fn set_recent(&mut self, ticket: u64, tsval: u32) {
        if let Some(slot) = self.slot_mut(ticket)
            && let Some((_, recent)) = &mut slot.record.timestamps
        {
            *recent = tsval;
        }
    }

    /// Removes the record `ticket` names before its time; returns its id
    /// and its pair's hash.
    pub(super) fn remove(&mut self, ticket: u64) -> Option<(ConnId, u64)> {
        let slot = self.slot_mut(ticket)?;
        slot.live = false;
        let (id, pair_hash) = (slot.id, slot.pair_hash);
        self.forget(id, ticket);
        self.trim();
        Some((id, pair_hash))
    }

    /// Drops `id`'s entry (`ticket`) from the id table.
    fn forget(&mut self, id: ConnId, ticket: u64) {
        if let Ok(entry) = self.by_id.find_entry(id_hash(id), |&t| t == ticket) {
            entry.remove();
        }
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
    /// that little longer, never less). Each move is told to `moved`.
    fn settle(&mut self, moved: &mut impl FnMut(Moved)) -> Option<Instant> {
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
            moved(Moved {
                pair_hash: front.pair_hash,
                from: old,
                to: ticket,
            });
        }
    }

    /// How many slots the ring holds: one per record once settled.
    #[cfg(test)]
    pub(super) fn queued(&self) -> usize {
        self.ring.len()
    }

    /// When the earliest record expires. Records moved on the way are told
    /// to `moved`.
    pub(super) fn next(&mut self, moved: &mut impl FnMut(Moved)) -> Option<Instant> {
        self.settle(moved)
    }

    /// The id of the record whose wait is over at `now`, if any, removed
    /// with its ticket (which from now on is below `first`). Records moved
    /// on the way are told to `moved`.
    pub(super) fn pop_due(
        &mut self,
        now: Instant,
        moved: &mut impl FnMut(Moved),
    ) -> Option<ConnId> {
        if self.settle(moved)? > now {
            return None;
        }
        let front = self.ring.pop_front()?;
        let ticket = self.first;
        self.first += 1;
        self.forget(front.id, ticket);
        self.trim();
        Some(front.id)
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
        let ticket = self.time_wait.insert(id, record, pair_hash, until);
        self.by_tuple.wait(id, pair_hash, ticket);
    }

    /// A segment for the compacted TIME-WAIT connection `ticket` names.
    pub(super) fn time_wait_segment(&mut self, now: Instant, ticket: u64, seg: &TcpRepr<'_>) {
        let Some(mut record) = self.time_wait.record(ticket) else {
            return;
        };
        if seg.flags.contains(TcpFlags::RST) {
            // RFC 5961 §3.2: only an exact RST closes.
            if SeqNumber::new(seg.seq) == record.rcv_nxt
                && let Some((id, pair_hash)) = self.time_wait.remove(ticket)
            {
                self.by_tuple
                    .remove_hashed(Held::Waiting(ticket), pair_hash);
                self.events.push_back((id, Event::Closed));
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
                self.time_wait.set_recent(ticket, tsval);
                record.timestamps = Some((offset, tsval));
            }
        }
        if seg.flags.contains(TcpFlags::FIN) && !old_duplicate {
            // The peer missed our last ACK: restart the 2·MSL wait.
            self.time_wait
                .restart(ticket, now + self.config.time_wait());
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

    /// When the earliest TIME-WAIT record expires.
    pub(super) fn next_time_wait(&mut self) -> Option<Instant> {
        let by_tuple = &mut self.by_tuple;
        self.time_wait.next(&mut |m| by_tuple.moved(m))
    }

    /// Ends the waits that are over at `now`.
    ///
    /// Their entries stay in the pair table, where their tickets, now
    /// below the ring's first, mark them expired: dropping each right away
    /// was a cache miss per record in a table of tens of thousands (most
    /// of the expiry's time), where the table sweeps them out in one pass
    /// over its memory once they are as many as the rest, or reuses one
    /// for the next connection of its pair.
    pub(super) fn expire_time_waits(&mut self, now: Instant) {
        let mut expired = 0;
        let by_tuple = &mut self.by_tuple;
        while let Some(id) = self.time_wait.pop_due(now, &mut |m| by_tuple.moved(m)) {
            self.events.push_back((id, Event::Closed));
            expired += 1;
        }
        if expired > 0 {
            let (tuples, pairs) = self.tuples();
            tuples.expired(expired, &pairs);
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

    /// When the first record is due, moves ignored.
    fn next(t: &mut TimeWaits) -> Option<Instant> {
        t.next(&mut |_| {})
    }

    /// The id of the record due at `now`, moves ignored.
    fn due(t: &mut TimeWaits, now: Instant) -> Option<ConnId> {
        t.pop_due(now, &mut |_| {})
    }

    /// Expiry comes in order; a record compacted late waits as long as the
    /// one before it, never less; a restarted record's slot moves back
    /// under a new ticket (and says so) and a removed one's is skipped.
    #[test]
    fn records_expire_in_order() {
        let mut t = TimeWaits::default();
        assert_eq!(next(&mut t), None);
        let t1 = t.insert(ConnId(1), record(), 1, at(60));
        let t2 = t.insert(ConnId(2), record(), 2, at(70));
        // Entered TIME-WAIT earlier than 2 but compacted after it.
        let t3 = t.insert(ConnId(3), record(), 3, at(65));
        let t4 = t.insert(ConnId(4), record(), 4, at(80));
        assert_eq!([t1, t2, t3, t4], [0, 1, 2, 3]);
        t.restart(t1, at(90));
        assert_eq!(t.remove(t2), Some((ConnId(2), 2)));
        assert_eq!(t.remove(t2), None);
        assert_eq!(t.len(), 3);
        // 1's slot moves behind 4, 2's is dropped: 3 comes first, at 70.
        let mut moves = alloc::vec::Vec::new();
        assert_eq!(t.next(&mut |m| moves.push(m)), Some(at(70)));
        let to = 4;
        assert_eq!(
            moves,
            [Moved {
                pair_hash: 1,
                from: t1,
                to
            }]
        );
        assert_eq!(t.pair(t1), None);
        assert_eq!(t.pair(to), Some(&record().addrs));
        assert!(t.get(ConnId(1)).is_some());
        assert_eq!(t.queued(), 3);
        assert_eq!(due(&mut t, at(69)), None);
        assert_eq!(due(&mut t, at(70)), Some(ConnId(3)));
        // Its ticket is below the first one now, and names nothing.
        assert!(t3 < t.first());
        assert!(t.remove(t3).is_none());
        assert!(t.record(t3).is_none());
        assert_eq!(due(&mut t, at(85)), Some(ConnId(4)));
        assert_eq!(next(&mut t), Some(at(90)));
        assert_eq!(due(&mut t, at(90)), Some(ConnId(1)));
        assert!(t.is_empty());
        assert_eq!(next(&mut t), None);
        // A restart of a record that is gone queues nothing.
        t.restart(to, at(100));
        t.restart(99, at(100));
        assert_eq!(next(&mut t), None);
    }

    /// However often records restart, each keeps one queue entry, and a
    /// restart never shortens a wait.
    #[test]
    fn restarts_keep_one_entry_per_record() {
        let mut t = TimeWaits::default();
        let mut t1 = t.insert(ConnId(1), record(), 1, at(60));
        let t2 = t.insert(ConnId(2), record(), 2, at(61));
        for s in 1..10_000 {
            t.restart(t1, at(60) + crate::time::Duration::from_millis(s));
            // The ticket follows the record when it moves, as the pair
            // table's does.
            let mut to = None;
            assert_eq!(t.next(&mut |m| to = Some(m.to)), Some(at(61)));
            t1 = to.unwrap_or(t1);
        }
        assert_eq!(t.queued(), 2);
        t.restart(t2, at(30));
        assert_eq!(due(&mut t, at(61)), Some(ConnId(2)));
        assert_eq!(
            next(&mut t),
            Some(at(60) + crate::time::Duration::from_millis(9_999))
        );
        assert_eq!(t.queued(), 1);
    }

    /// A record moved to the back of the ring after a restart is found by
    /// its new ticket and by its id, and removed with its pair's hash.
    #[test]
    fn a_moved_record_is_still_found() {
        let mut t = TimeWaits::default();
        let t1 = t.insert(ConnId(1), record(), 1, at(60));
        t.insert(ConnId(2), record(), 2, at(61));
        t.restart(t1, at(70));
        let mut moved = None;
        assert_eq!(t.next(&mut |m| moved = Some(m.to)), Some(at(61)));
        let to = moved.expect("moved");
        assert_eq!(t.pair(to), Some(&record().addrs));
        t.set_recent(to, 5);
        assert!(t.get(ConnId(1)).is_some());
        assert_eq!(t.remove(to), Some((ConnId(1), 1)));
        assert_eq!(t.len(), 1);
        assert!(t.get(ConnId(1)).is_none());
    }

    /// Many records, a third removed early at random places, the table
    /// growing and rehashing meanwhile: the others are still found by id
    /// and by ticket and expire in order, and the ring ends empty.
    #[test]
    fn many_records_stay_found_through_growth_and_removal() {
        let mut t = TimeWaits::default();
        let mut tickets = alloc::vec::Vec::new();
        for i in 0..6_000u64 {
            tickets.push(t.insert(ConnId(i << 32 | i), record(), i, at(60 + i)));
            if i % 3 == 2 {
                assert!(t.remove(tickets[i as usize - 1]).is_some());
            }
        }
        for i in 0..6_000u64 {
            let kept = i % 3 != 1;
            assert_eq!(t.get(ConnId(i << 32 | i)).is_some(), kept, "{i}");
            assert_eq!(t.record(tickets[i as usize]).is_some(), kept, "{i}");
        }
        let mut expired = 0;
        while let Some(id) = due(&mut t, at(10_000)) {
            assert_ne!((id.0 & 0xffff_ffff) % 3, 1);
            expired += 1;
        }
        assert_eq!(expired, 4_000);
        assert!(t.is_empty());
        assert_eq!(t.queued(), 0);
    }

    /// Rounds of 1,500 connections that all end in TIME-WAIT on the
    /// client: while they wait, their pairs are taken and a segment for
    /// one is answered; once expired, the pairs are free again, a segment
    /// for one gets a RST, and the pair table's expired slots are reused
    /// or swept, so it never holds much more than one round.
    #[test]
    fn expired_pairs_are_free_again_and_the_pair_table_stays_bounded() {
        use super::super::tests::{A, B, addr, endpoint, packets, run};
        use crate::time::Duration;
        let mut client = endpoint(super::super::EndpointConfig::default(), 1);
        let mut server = endpoint(super::super::EndpointConfig::default(), 2);
        server.listen(addr(B, 7)).unwrap();
        let mut now = Instant::ZERO;
        let mut last_fin = alloc::vec::Vec::new();
        for round in 0..4u16 {
            // Rounds 0 and 1 use the same ports; 2 and 3 others.
            let base = if round < 2 {
                10_000
            } else {
                10_000 + 1_500 * round
            };
            for port in base..base + 1_500 {
                let c = client.connect(now, addr(A, port), addr(B, 7)).unwrap();
                let until = now;
                run(&mut client, &mut server, &mut now, until);
                let s = core::iter::from_fn(|| server.poll_event())
                    .find_map(|(id, e)| matches!(e, Event::Incoming { .. }).then_some(id))
                    .expect("accepted");
                client.close(c, now).unwrap();
                let until = now;
                run(&mut client, &mut server, &mut now, until);
                server.close(s, now).unwrap();
                // The server's FIN, kept to replay below.
                last_fin = packets(&mut server, now);
                for p in &last_fin {
                    client.handle_packet(now, p);
                }
                let until = now;
                run(&mut client, &mut server, &mut now, until);
                assert_eq!(client.state(c), Some(State::TimeWait));
                assert!(client.connection(c).is_none(), "compacted");
            }
            while client.poll_event().is_some() {}
            while server.poll_event().is_some() {}
            assert_eq!(client.len(), 1_500);
            assert!(server.is_empty());
            assert_eq!(
                client.connect(now, addr(A, base), addr(B, 7)),
                Err(super::super::EndpointError::AddressInUse)
            );
            // The last connection's FIN again: still answered with an ACK.
            client.handle_packet(now, &last_fin[0]);
            let answer = packets(&mut client, now);
            assert_eq!(answer.len(), 1);
            let seg = super::super::tests::segment_of(&answer[0]);
            assert_eq!(seg.flags, TcpFlags::ACK);
            // Past 2·MSL all expire, each with a Closed event.
            now += Duration::from_secs(61);
            client.handle_timeout(now);
            let closed = core::iter::from_fn(|| client.poll_event())
                .filter(|(_, e)| *e == Event::Closed)
                .count();
            assert_eq!(closed, 1_500);
            assert!(client.is_empty());
            // Now the FIN finds nobody: a RST.
            client.handle_packet(now, &last_fin[0]);
            let answer = packets(&mut client, now);
            let seg = super::super::tests::segment_of(&answer[0]);
            assert!(seg.flags.contains(TcpFlags::RST));
            assert!(
                client.by_tuple.slots() <= 1_500,
                "{}",
                client.by_tuple.slots()
            );
        }
    }
}
