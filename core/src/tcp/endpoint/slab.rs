//! The endpoint's connections by id: a slab.
//!
//! A [`ConnId`] names a slot of a vector and a generation of that slot: the
//! low 32 bits are the slot's index, the high 32 bits how many connections
//! held the slot before. Finding a connection is an index and a compare,
//! with no hashing. When a connection goes, its slot's generation moves on
//! and the slot is free for the next connection, which so gets another id:
//! an old id finds nothing, never the new connection. A slot whose
//! generation has run out (after 2³² connections) is never used again, so
//! no id is ever handed out twice.

use alloc::vec::Vec;

use super::ConnId;

/// Values by [`ConnId`], in reused slots.
#[derive(Debug)]
pub(super) struct Slab<T> {
    slots: Vec<Slot<T>>,
    /// Indices of empty slots that may be used again, last freed last.
    free: Vec<u32>,
    len: usize,
}

#[derive(Debug)]
struct Slot<T> {
    /// The generation of the slot's current or next value.
    generation: u32,
    value: Option<T>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }
}

/// The slot index and generation an id names.
#[inline]
fn split(id: ConnId) -> (usize, u32) {
    (id.0 as u32 as usize, (id.0 >> 32) as u32)
}

/// The id of slot `index` at `generation`.
#[inline]
fn join(index: u32, generation: u32) -> ConnId {
    ConnId((u64::from(generation) << 32) | u64::from(index))
}

impl<T> Slab<T> {
    /// How many values there are.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value of `id`, while it is there.
    #[inline]
    pub(super) fn get(&self, id: ConnId) -> Option<&T> {
        let (index, generation) = split(id);
        let slot = self.slots.get(index)?;
        if slot.generation != generation {
            return None;
        }
        slot.value.as_ref()
    }

    /// The value of `id`, while it is there.
    #[inline]
    pub(super) fn get_mut(&mut self, id: ConnId) -> Option<&mut T> {
        let (index, generation) = split(id);
        let slot = self.slots.get_mut(index)?;
        if slot.generation != generation {
            return None;
        }
        slot.value.as_mut()
    }

    /// Calls `f` on every value with its id, in slot order.
    pub(super) fn for_each(&mut self, mut f: impl FnMut(ConnId, &mut T)) {
        for (index, slot) in (0u32..).zip(&mut self.slots) {
            if let Some(value) = slot.value.as_mut() {
                f(join(index, slot.generation), value);
            }
        }
    }

    /// The ids of all values, in slot order.
    #[cfg(test)]
    pub(super) fn ids(&self) -> impl Iterator<Item = ConnId> + '_ {
        (0u32..)
            .zip(&self.slots)
            .filter(|(_, slot)| slot.value.is_some())
            .map(|(index, slot)| join(index, slot.generation))
    }

    /// Adds `value` under an id no value had before.
    ///
    /// # Panics
    ///
    /// With 2³² slots in use (far more memory than any host has).
    #[cfg(test)]
    pub(super) fn insert(&mut self, value: T) -> ConnId {
        self.insert_with(|| value)
    }

    /// Adds the value `make` returns under an id no value had before;
    /// `make` runs where the value is stored, so a large value need not be
    /// built elsewhere and copied in.
    ///
    /// # Panics
    ///
    /// With 2³² slots in use (far more memory than any host has).
    #[inline]
    pub(super) fn insert_with(&mut self, make: impl FnOnce() -> T) -> ConnId {
        self.len += 1;
        if let Some(index) = self.free.pop() {
            let slot = &mut self.slots[index as usize];
            slot.value = Some(make());
            return join(index, slot.generation);
        }
        let index = u32::try_from(self.slots.len()).expect("2^32 connections");
        self.slots.push(Slot {
            generation: 0,
            value: Some(make()),
        });
        join(index, 0)
    }

    /// Drops the value of `id` (in place: a connection is large); its id
    /// finds nothing from now on. Returns whether there was one.
    pub(super) fn remove(&mut self, id: ConnId) -> bool {
        let (index, generation) = split(id);
        let Some(slot) = self.slots.get_mut(index) else {
            return false;
        };
        if slot.generation != generation || slot.value.is_none() {
            return false;
        }
        slot.value = None;
        self.len -= 1;
        // A slot whose generations are used up stays empty for good.
        if let Some(next) = slot.generation.checked_add(1) {
            slot.generation = next;
            self.free.push(index as u32);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;
    use alloc::collections::BTreeSet;

    #[test]
    fn ids_find_their_own_value_only() {
        let mut slab = Slab::default();
        assert!(slab.is_empty());
        let a = slab.insert("a");
        let b = slab.insert("b");
        assert_eq!(a, ConnId(0));
        assert_eq!(b, ConnId(1));
        assert_eq!(slab.get(a), Some(&"a"));
        assert!(slab.remove(a));
        assert_eq!(slab.len(), 1);
        // The slot comes back with the next generation: the stale id finds
        // neither the old value nor the new one.
        let c = slab.insert("c");
        assert_ne!(c, a);
        assert_eq!(split(c).0, split(a).0);
        assert_eq!(c, ConnId(1 << 32));
        assert_eq!(slab.get(a), None);
        assert_eq!(slab.get_mut(a), None);
        assert!(!slab.remove(a));
        assert_eq!(slab.get(c), Some(&"c"));
        *slab.get_mut(c).unwrap() = "c2";
        assert_eq!(slab.get(c), Some(&"c2"));
        assert_eq!(slab.len(), 2);
        // Ids beyond the slots, and removing twice.
        assert_eq!(slab.get(ConnId(999)), None);
        assert!(!slab.remove(ConnId(999)));
        assert!(slab.remove(b));
        assert!(!slab.remove(b));
        assert_eq!(slab.len(), 1);
    }

    #[test]
    fn a_slot_whose_generations_ran_out_is_retired() {
        let mut slab = Slab::default();
        let a = slab.insert(1);
        slab.slots[0].generation = u32::MAX;
        assert_eq!(slab.get(a), None);
        let last = ConnId(u64::from(u32::MAX) << 32);
        assert!(slab.remove(last));
        // Not freed: the next value takes a fresh slot.
        let b = slab.insert(2);
        assert_eq!(b, ConnId(1));
        assert_eq!(slab.get(last), None);
        assert!(slab.free.is_empty());
    }

    /// Random inserts and removals against a map: every id ever handed out
    /// is new, and each finds its value exactly while it is there.
    #[test]
    fn agrees_with_a_map() {
        let mut rand = crate::tcp::endpoint::tests::test_rng(0x2545_f491_4f6c_dd1du64);
        let mut slab = Slab::default();
        let mut live: BTreeMap<ConnId, u64> = BTreeMap::new();
        let mut ever: BTreeSet<ConnId> = BTreeSet::new();
        for step in 0..20_000u64 {
            if rand(3) == 0 || live.is_empty() {
                let id = slab.insert(step);
                assert!(ever.insert(id), "id {id} handed out twice");
                live.insert(id, step);
            } else {
                let pick = rand(live.len() as u64) as usize;
                let id = *live.keys().nth(pick).unwrap();
                assert_eq!(slab.remove(id), live.remove(&id).is_some());
            }
            assert_eq!(slab.len(), live.len());
            if step % 1000 == 0 {
                for &id in &ever {
                    assert_eq!(slab.get(id), live.get(&id));
                }
                let ids: BTreeSet<ConnId> = slab.ids().collect();
                assert!(ids.iter().eq(live.keys()));
            }
        }
        // Slots are reused: far fewer than ids handed out.
        assert!(slab.slots.len() < ever.len() / 2);
    }
}
