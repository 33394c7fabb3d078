//! The earliest timer over all connections.
//!
//! Deadlines live in a min-heap of `(deadline, id)` entries. When a
//! connection's next deadline changes, a new entry is pushed and the old
//! one is left in place; entries that no longer match the deadline recorded
//! for their connection are discarded when they reach the top. So
//! `poll_timeout` costs O(1) amortized and never scans the connections,
//! however many there are.

use super::ConnId;
use crate::time::Instant;
use alloc::collections::{BTreeMap, BinaryHeap};
use core::cmp::Reverse;

/// A lazily cleaned min-heap of connection deadlines.
#[derive(Debug, Default)]
pub(super) struct Schedule {
    heap: BinaryHeap<Reverse<(Instant, ConnId)>>,
    /// The deadline each connection's newest heap entry stands for.
    current: BTreeMap<ConnId, Instant>,
}

impl Schedule {
    /// Records `id`'s next deadline (`None`: no timer armed).
    pub fn set_deadline(&mut self, id: ConnId, at: Option<Instant>) {
        match at {
            Some(at) => {
                if self.current.insert(id, at) != Some(at) {
                    self.heap.push(Reverse((at, id)));
                }
            }
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
        self.heap = self
            .current
            .iter()
            .map(|(&id, &at)| Reverse((at, id)))
            .collect();
    }

    fn is_live(&self, at: Instant, id: ConnId) -> bool {
        self.current.get(&id) == Some(&at)
    }

    /// The earliest deadline of any connection.
    pub fn next(&mut self) -> Option<Instant> {
        while let Some(&Reverse((at, id))) = self.heap.peek() {
            if self.is_live(at, id) {
                return Some(at);
            }
            self.heap.pop();
        }
        None
    }

    /// A connection whose deadline is at or before `now`, if any. Its
    /// deadline is forgotten; the caller records the new one after
    /// handling it.
    pub fn pop_due(&mut self, now: Instant) -> Option<ConnId> {
        loop {
            let &Reverse((at, id)) = self.heap.peek()?;
            if !self.is_live(at, id) {
                self.heap.pop();
                continue;
            }
            if at > now {
                return None;
            }
            self.heap.pop();
            self.current.remove(&id);
            return Some(id);
        }
    }

    /// Forgets `id` entirely.
    pub fn remove(&mut self, id: ConnId) {
        self.current.remove(&id);
    }
}
