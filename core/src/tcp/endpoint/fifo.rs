//! The queue of connections with output to send.
//!
//! A plain vector and a read position: pushing appends, taking the front
//! moves the position, and the vector empties whenever the position
//! catches up with it, which every full drain of the endpoint's output
//! does. A queue that is never drained whole drops its consumed front once
//! that is half of it, so its memory stays within twice what it holds.
//! Cheaper than a ring buffer for this use: nothing wraps, and each
//! operation is a few instructions, inline.

use alloc::vec::Vec;

use super::ConnId;

/// Connection ids, first in first out.
#[derive(Debug, Default)]
pub(super) struct IdQueue {
    ids: Vec<ConnId>,
    /// Index of the front in `ids`; everything before it is consumed.
    head: usize,
}

impl IdQueue {
    /// Whether nothing is queued.
    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.head == self.ids.len()
    }

    /// The id at the front.
    #[inline]
    pub(super) fn front(&self) -> Option<ConnId> {
        self.ids.get(self.head).copied()
    }

    /// Queues `id` at the back.
    #[inline]
    pub(super) fn push_back(&mut self, id: ConnId) {
        self.ids.push(id);
    }

    /// The queued ids, front first.
    #[inline]
    pub(super) fn as_slice(&self) -> &[ConnId] {
        &self.ids[self.head..]
    }

    /// Drops the front, if any.
    #[inline]
    pub(super) fn pop_front(&mut self) {
        if self.head < self.ids.len() {
            self.head += 1;
        }
        if self.head == self.ids.len() {
            self.ids.clear();
            self.head = 0;
        } else if self.head >= 32 && self.head * 2 >= self.ids.len() {
            self.ids.drain(..self.head);
            self.head = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::VecDeque;

    #[test]
    fn empty_queue() {
        let mut q = IdQueue::default();
        assert!(q.is_empty());
        assert_eq!(q.front(), None);
        q.pop_front();
        assert!(q.is_empty());
        q.push_back(ConnId(7));
        assert!(!q.is_empty());
        assert_eq!(q.front(), Some(ConnId(7)));
        q.pop_front();
        assert!(q.is_empty());
        assert_eq!((q.ids.len(), q.head), (0, 0));
    }

    /// Random pushes and pops against a `VecDeque`, including long runs
    /// that never drain: the order is kept and the consumed front never
    /// grows past what is held.
    #[test]
    fn agrees_with_a_deque() {
        let mut rand = crate::tcp::endpoint::tests::test_rng(0x9e37_79b9_7f4a_7c15u64);
        let mut q = IdQueue::default();
        let mut model = VecDeque::new();
        for step in 0..100_000u64 {
            // Phases that lean to pushing, then to popping.
            let push = if (step / 5_000) % 2 == 0 {
                rand(3) != 0
            } else {
                rand(3) == 0
            };
            if push {
                q.push_back(ConnId(step));
                model.push_back(ConnId(step));
            } else {
                q.pop_front();
                model.pop_front();
            }
            assert_eq!(q.front(), model.front().copied());
            assert_eq!(q.is_empty(), model.is_empty());
            assert!(q.head <= 32 || q.head * 2 < q.ids.len());
            assert!(q.ids.len() - q.head == model.len());
        }
    }
}
