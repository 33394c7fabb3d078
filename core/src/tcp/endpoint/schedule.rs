//! The earliest timer over all connections.
//!
//! Deadlines live in a min-heap of `(deadline, id)` entries, and each
//! connection's true deadline in a map beside it. Most changes move a
//! deadline later (every ACK pushes the retransmission timer back), and
//! those cost no heap work at all: the entry already in the heap fires
//! early, finds the true deadline later, and is queued again at that time.
//! Only a deadline that moves earlier pushes a new entry; entries that no
//! longer match are dropped when they reach the top. So `poll_timeout`
//! costs O(1) amortized and never scans the connections, however many there
//! are.

use super::ConnId;
use super::maps::{IdHash, IdMap};
use crate::time::Instant;
use alloc::collections::BinaryHeap;
use core::cmp::Reverse;

/// A connection's deadline and its earliest entry in the heap.
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// The deadline the connection asked for.
    at: Instant,
    /// The earliest heap entry for this connection (at or before `at`).
    queued: Instant,
}

/// A lazily cleaned min-heap of connection deadlines.
#[derive(Debug)]
pub(super) struct Schedule {
    heap: BinaryHeap<Reverse<(Instant, ConnId)>>,
    current: IdMap<Slot>,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            heap: BinaryHeap::new(),
            current: IdMap::with_hasher(IdHash),
        }
    }
}

impl Schedule {
    /// Records `id`'s next deadline (`None`: no timer armed).
    pub fn set_deadline(&mut self, id: ConnId, at: Option<Instant>) {
        match at {
            Some(at) => match self.current.get_mut(&id) {
                Some(slot) => {
                    slot.at = at;
                    if at < slot.queued {
                        slot.queued = at;
                        self.heap.push(Reverse((at, id)));
                    }
                }
                None => {
                    self.current.insert(id, Slot { at, queued: at });
                    self.heap.push(Reverse((at, id)));
                }
            },
            None => {
                self.current.remove(&id);
            }
        }
        // Keep stale entries from piling up when deadlines move a lot.
        if self.heap.len() > 2 * self.current.len() + 64 {
            self.rebuild();
        }
    }

    fn rebuild(&mut self) {
        for slot in self.current.values_mut() {
            slot.queued = slot.at;
        }
        self.heap = self
            .current
            .iter()
            .map(|(&id, slot)| Reverse((slot.at, id)))
            .collect();
    }

    /// Drops stale entries from the top and re-queues early ones at their
    /// connection's true deadline, until the top entry is due as queued.
    fn settle(&mut self) -> Option<(Instant, ConnId)> {
        loop {
            let &Reverse((t, id)) = self.heap.peek()?;
            match self.current.get_mut(&id) {
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
        self.current.remove(&id);
        Some(id)
    }

    /// Forgets `id` entirely.
    pub fn remove(&mut self, id: ConnId) {
        self.current.remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;

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
        assert!(schedule.heap.len() <= 2 * schedule.current.len() + 64 + 1);
    }
}
