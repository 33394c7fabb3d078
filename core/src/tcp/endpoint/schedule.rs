//! The earliest timer over all connections.
//!
//! Deadlines live in a min-heap of `(deadline, id)` entries, and each
//! connection's true deadline in its own slab entry (a [`Deadline`]), so
//! the schedule needs no table of its own. Most changes move a deadline
//! later (every ACK pushes the retransmission timer back), and those cost
//! no heap work at all: the entry already in the heap fires early, finds
//! the true deadline later, and is queued again at that time. Only a
//! deadline that moves earlier pushes a new entry; entries that no longer
//! match (the deadline moved or was cleared, or the connection is gone and
//! its id finds nothing in the slab) are dropped when they reach the top.
//! So `poll_timeout` costs O(1) amortized and never scans the connections,
//! however many there are.

use super::ConnId;
use super::slab::Slab;
use crate::time::Instant;
use alloc::collections::BinaryHeap;
use core::cmp::Reverse;

/// `Deadline::at` when no deadline is armed (real ones are below it).
const NONE: u64 = u64::MAX;

/// A connection's deadline as the schedule knows it, kept with the
/// connection.
#[derive(Debug, Clone, Copy)]
pub(super) struct Deadline {
    /// The deadline in nanoseconds, or [`NONE`].
    at: u64,
    /// The earliest heap entry for this connection (at or before `at`),
    /// while one is armed.
    queued: u64,
}

impl Default for Deadline {
    fn default() -> Self {
        Deadline {
            at: NONE,
            queued: NONE,
        }
    }
}

impl Deadline {
    /// Whether `at` (nanoseconds) is what the schedule holds already.
    #[inline]
    pub(super) fn is(&self, at: Option<u64>) -> bool {
        self.at == at.unwrap_or(NONE)
    }

    /// The armed deadline, in nanoseconds.
    #[cfg(test)]
    fn at(&self) -> Option<u64> {
        (self.at != NONE).then_some(self.at)
    }
}

/// What the slab holds: values that carry a [`Deadline`].
pub(super) trait HasDeadline {
    fn deadline(&mut self) -> &mut Deadline;
}

/// A lazily cleaned min-heap of connection deadlines.
#[derive(Debug, Default)]
pub(super) struct Schedule {
    heap: BinaryHeap<Reverse<(Instant, ConnId)>>,
    /// How many deadlines are armed.
    armed: usize,
}

impl Schedule {
    /// Records `id`'s next deadline in nanoseconds (`None`: no timer
    /// armed); `d` is `id`'s [`Deadline`]. Deadlines at or past `u64::MAX`
    /// nanoseconds (584 years) count as none.
    pub fn set(&mut self, d: &mut Deadline, id: ConnId, at: Option<u64>) {
        match at.filter(|&at| at != NONE) {
            Some(at) => {
                if d.at == NONE {
                    self.armed += 1;
                    d.queued = at;
                    self.heap.push(Reverse((Instant::from_nanos(at), id)));
                } else if at < d.queued {
                    d.queued = at;
                    self.heap.push(Reverse((Instant::from_nanos(at), id)));
                }
                d.at = at;
            }
            None => Schedule::forget(self, d),
        }
    }

    /// Clears `d`: no deadline armed. Call it before a connection leaves
    /// the slab.
    pub fn forget(&mut self, d: &mut Deadline) {
        if d.at != NONE {
            d.at = NONE;
            self.armed -= 1;
        }
    }

    /// Drops stale heap entries once they outnumber the armed deadlines
    /// (plus some slack): deadlines that move a lot leave many behind, and
    /// `poll_timeout` may not come often enough to clear them.
    #[inline]
    pub fn tidy<T: HasDeadline>(&mut self, slab: &mut Slab<T>) {
        if self.heap.len() > 2 * self.armed + 64 {
            self.rebuild(slab);
        }
    }

    /// Rare (see `tidy`), so kept out of line.
    #[cold]
    #[inline(never)]
    fn rebuild<T: HasDeadline>(&mut self, slab: &mut Slab<T>) {
        let mut heap = core::mem::take(&mut self.heap).into_vec();
        heap.clear();
        slab.for_each(|id, value| {
            let d = value.deadline();
            if d.at != NONE {
                d.queued = d.at;
                heap.push(Reverse((Instant::from_nanos(d.at), id)));
            }
        });
        self.heap = BinaryHeap::from(heap);
    }

    /// Drops stale entries from the top and re-queues early ones at their
    /// connection's true deadline, until the top entry is due as queued.
    fn settle<T: HasDeadline>(&mut self, slab: &mut Slab<T>) -> Option<(Instant, ConnId)> {
        loop {
            let &Reverse((t, id)) = self.heap.peek()?;
            let nanos = t.as_nanos();
            match slab.get_mut(id).map(HasDeadline::deadline) {
                Some(d) if d.at == nanos => return Some((t, id)),
                Some(d) if d.at != NONE && d.queued == nanos => {
                    // The deadline moved later since this entry was queued.
                    self.heap.pop();
                    d.queued = d.at;
                    self.heap.push(Reverse((Instant::from_nanos(d.at), id)));
                }
                _ => {
                    self.heap.pop();
                }
            }
        }
    }

    /// The earliest deadline of any connection in `slab`.
    pub fn next<T: HasDeadline>(&mut self, slab: &mut Slab<T>) -> Option<Instant> {
        self.settle(slab).map(|(t, _)| t)
    }

    /// A connection whose deadline is at or before `now`, if any. Its
    /// deadline is cleared; the caller records the new one after handling
    /// it.
    pub fn pop_due<T: HasDeadline>(&mut self, slab: &mut Slab<T>, now: Instant) -> Option<ConnId> {
        let (t, id) = self.settle(slab)?;
        if t > now {
            return None;
        }
        self.heap.pop();
        if let Some(value) = slab.get_mut(id) {
            self.forget(value.deadline());
        }
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;
    use alloc::vec::Vec;

    impl HasDeadline for Deadline {
        fn deadline(&mut self) -> &mut Deadline {
            self
        }
    }

    fn set(s: &mut Schedule, slab: &mut Slab<Deadline>, id: ConnId, at: Option<Instant>) {
        let d = slab.get_mut(id).expect("in the slab");
        s.set(d, id, at.map(Instant::as_nanos));
        s.tidy(slab);
    }

    /// A slot's next connection never sees the deadlines of the one
    /// before it.
    #[test]
    fn a_reused_slot_starts_afresh() {
        let mut slab = Slab::default();
        let mut schedule = Schedule::default();
        let old = slab.insert(Deadline::default());
        set(&mut schedule, &mut slab, old, Some(Instant::from_secs(1)));
        schedule.forget(slab.get_mut(old).unwrap());
        assert!(slab.remove(old));
        let new = slab.insert(Deadline::default());
        assert_ne!(new, old);
        set(&mut schedule, &mut slab, new, Some(Instant::from_secs(5)));
        // The stale heap entry of the old id neither fires nor moves the
        // new one's deadline.
        assert_eq!(schedule.next(&mut slab), Some(Instant::from_secs(5)));
        assert_eq!(schedule.pop_due(&mut slab, Instant::from_secs(4)), None);
        assert_eq!(
            schedule.pop_due(&mut slab, Instant::from_secs(5)),
            Some(new)
        );
        assert_eq!(schedule.next(&mut slab), None);
        assert_eq!(schedule.armed, 0);
        assert_eq!(slab.get(new).and_then(Deadline::at), None);
    }

    /// Random deadline changes (later, earlier, cleared) on a few hundred
    /// connections, some of which leave and are replaced: `next` and
    /// `pop_due` always agree with a plain map of the current deadlines.
    #[test]
    fn agrees_with_a_plain_map() {
        let mut rand = crate::tcp::endpoint::tests::test_rng(0x9e37_79b9_7f4a_7c15u64);
        let mut slab = Slab::default();
        let mut ids: Vec<ConnId> = (0..300).map(|_| slab.insert(Deadline::default())).collect();
        let mut schedule = Schedule::default();
        let mut model: BTreeMap<ConnId, Instant> = BTreeMap::new();
        let mut now = 0u64;
        for _ in 0..50_000 {
            let pick = rand(300) as usize;
            let id = ids[pick];
            match rand(11) {
                0 => {
                    set(&mut schedule, &mut slab, id, None);
                    model.remove(&id);
                }
                1..=3 => {
                    // Earlier than before (or new).
                    let at = Instant::from_micros(now + rand(1_000));
                    set(&mut schedule, &mut slab, id, Some(at));
                    model.insert(id, at);
                }
                4..=7 => {
                    // Later: the common case (an ACK pushes the RTO back).
                    let at = Instant::from_micros(now + 1_000 + rand(100_000));
                    set(&mut schedule, &mut slab, id, Some(at));
                    model.insert(id, at);
                }
                8 => {
                    // The connection goes; another takes its slot.
                    schedule.forget(slab.get_mut(id).unwrap());
                    assert!(slab.remove(id));
                    model.remove(&id);
                    ids[pick] = slab.insert(Deadline::default());
                }
                _ => {
                    now += rand(2_000);
                    let t = Instant::from_micros(now);
                    while let Some(due) = schedule.pop_due(&mut slab, t) {
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
            assert_eq!(schedule.next(&mut slab), model.values().min().copied());
            assert!(schedule.heap.len() <= 2 * schedule.armed + 64 + 1);
        }
        assert_eq!(schedule.armed, model.len());
        assert_eq!(core::mem::size_of::<Deadline>(), 16);
    }
}
