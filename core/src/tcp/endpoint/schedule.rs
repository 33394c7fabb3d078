//! The earliest timer over all connections.
//!
//! Deadlines live in a min-heap of `(deadline, id)` entries, and each
//! connection's true deadline beside it, in a vector indexed like the
//! endpoint's slab of connections. Most changes move a
//! deadline later (every ACK pushes the retransmission timer back), and
//! those cost no heap work at all: the entry already in the heap fires
//! early, finds the true deadline later, and is queued again at that time.
//! Only a deadline that moves earlier pushes a new entry; entries that no
//! longer match are dropped when they reach the top. So `poll_timeout`
//! costs O(1) amortized and never scans the connections, however many there
//! are.

use super::ConnId;
use super::slab::{join, split};
use crate::time::Instant;
use alloc::collections::BinaryHeap;
use alloc::vec::Vec;
use core::cmp::Reverse;

/// A connection's deadline and its earliest entry in the heap.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    /// The slab generation of the connection (the vector's index is its
    /// slab slot), while `armed`.
    generation: u32,
    /// Whether the slot holds a deadline.
    armed: bool,
    /// The deadline the connection asked for.
    at: Instant,
    /// The earliest heap entry for this connection (at or before `at`).
    queued: Instant,
}

/// `id`'s deadline in `current`, if one is armed.
#[inline]
fn armed(current: &mut [Slot], id: ConnId) -> Option<&mut Slot> {
    let (index, generation) = split(id);
    let slot = current.get_mut(index)?;
    (slot.armed && slot.generation == generation).then_some(slot)
}

/// A lazily cleaned min-heap of connection deadlines.
#[derive(Debug, Default)]
pub(super) struct Schedule {
    heap: BinaryHeap<Reverse<(Instant, ConnId)>>,
    /// By slab slot (24 bytes each).
    current: Vec<Slot>,
    /// How many of `current` are armed.
    armed: usize,
}

impl Schedule {
    /// Records `id`'s next deadline (`None`: no timer armed).
    pub fn set_deadline(&mut self, id: ConnId, at: Option<Instant>) {
        match at {
            Some(at) => match armed(&mut self.current, id) {
                Some(slot) => {
                    slot.at = at;
                    if at < slot.queued {
                        slot.queued = at;
                        self.heap.push(Reverse((at, id)));
                    }
                }
                None => {
                    let (index, generation) = split(id);
                    if index >= self.current.len() {
                        self.current.resize(index + 1, Slot::default());
                    }
                    let slot = &mut self.current[index];
                    self.armed += usize::from(!slot.armed);
                    *slot = Slot {
                        generation,
                        armed: true,
                        at,
                        queued: at,
                    };
                    self.heap.push(Reverse((at, id)));
                }
            },
            None => self.remove(id),
        }
        // Keep stale entries from piling up when deadlines move a lot.
        if self.heap.len() > 2 * self.armed + 64 {
            self.rebuild();
        }
    }

    /// Rare (see `set_deadline`), so kept out of line.
    #[cold]
    #[inline(never)]
    fn rebuild(&mut self) {
        for slot in self.current.iter_mut().filter(|s| s.armed) {
            slot.queued = slot.at;
        }
        self.heap = (0u32..)
            .zip(&self.current)
            .filter(|(_, slot)| slot.armed)
            .map(|(index, slot)| Reverse((slot.at, join(index, slot.generation))))
            .collect();
    }

    /// Drops stale entries from the top and re-queues early ones at their
    /// connection's true deadline, until the top entry is due as queued.
    fn settle(&mut self) -> Option<(Instant, ConnId)> {
        loop {
            let &Reverse((t, id)) = self.heap.peek()?;
            match armed(&mut self.current, id) {
                Some(slot) if slot.at == t => return Some((t, id)),
                Some(slot) if slot.queued == t => {
                    // The deadline moved later since this entry was queued.
                    self.heap.pop();
                    slot.queued = slot.at;
                    self.heap.push(Reverse((slot.at, id)));
                }
                _ => {
                    self.heap.pop();
                }
            }
        }
    }

    /// The earliest deadline of any connection.
    pub fn next(&mut self) -> Option<Instant> {
        self.settle().map(|(t, _)| t)
    }

    /// A connection whose deadline is at or before `now`, if any. Its
    /// deadline is forgotten; the caller records the new one after
    /// handling it.
    pub fn pop_due(&mut self, now: Instant) -> Option<ConnId> {
        let (t, id) = self.settle()?;
        if t > now {
            return None;
        }
        self.heap.pop();
        self.remove(id);
        Some(id)
    }

    /// Forgets `id` entirely.
    pub fn remove(&mut self, id: ConnId) {
        if let Some(slot) = armed(&mut self.current, id) {
            slot.armed = false;
            self.armed -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;

    /// A slot's next connection never sees the deadlines of the one
    /// before it.
    #[test]
    fn a_reused_slot_starts_afresh() {
        let old = ConnId(3);
        let new = ConnId((1 << 32) | 3);
        let mut schedule = Schedule::default();
        schedule.set_deadline(old, Some(Instant::from_secs(1)));
        schedule.remove(old);
        schedule.set_deadline(new, Some(Instant::from_secs(5)));
        // The stale id neither clears nor moves the new one's deadline.
        schedule.remove(old);
        schedule.set_deadline(old, None);
        assert_eq!(schedule.next(), Some(Instant::from_secs(5)));
        assert_eq!(schedule.pop_due(Instant::from_secs(4)), None);
        assert_eq!(schedule.pop_due(Instant::from_secs(5)), Some(new));
        assert_eq!(schedule.next(), None);
        assert_eq!(schedule.armed, 0);
    }

    /// Random deadline changes (later, earlier, cleared) on a few hundred
    /// connections: `next` and `pop_due` always agree with a plain map of
    /// the current deadlines.
    #[test]
    fn agrees_with_a_plain_map() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut rand = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let mut schedule = Schedule::default();
        let mut model: BTreeMap<ConnId, Instant> = BTreeMap::new();
        let mut now = 0u64;
        for _ in 0..50_000 {
            let id = ConnId(rand(300));
            match rand(10) {
                0 => {
                    schedule.set_deadline(id, None);
                    model.remove(&id);
                }
                1..=3 => {
                    // Earlier than before (or new).
                    let at = Instant::from_micros(now + rand(1_000));
                    schedule.set_deadline(id, Some(at));
                    model.insert(id, at);
                }
                4..=7 => {
                    // Later: the common case (an ACK pushes the RTO back).
                    let at = Instant::from_micros(now + 1_000 + rand(100_000));
                    schedule.set_deadline(id, Some(at));
                    model.insert(id, at);
                }
                _ => {
                    now += rand(2_000);
                    let t = Instant::from_micros(now);
                    while let Some(due) = schedule.pop_due(t) {
                        let at = model
                            .remove(&due)
                            .expect("popped a connection with no deadline");
                        assert!(at <= t);
                        // Nothing else due was earlier than what popped.
                        assert!(model.values().all(|&o| o >= at || o > t), "out of order");
                    }
                    assert!(model.values().all(|&o| o > t), "a due deadline was missed");
                }
            }
            assert_eq!(schedule.next(), model.values().min().copied());
        }
        assert!(schedule.heap.len() <= 2 * schedule.armed + 64 + 1);
        assert_eq!(schedule.armed, model.len());
        assert_eq!(core::mem::size_of::<Slot>(), 24);
    }
}
