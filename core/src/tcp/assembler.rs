//! Out-of-order bookkeeping: which byte ranges past the in-order point have
//! arrived.
//!
//! The [`Assembler`] knows nothing about bytes, only about stream offsets
//! (counted from the first data byte of the connection, so they never wrap).
//! It keeps a sorted list of disjoint, non-adjacent ranges that lie strictly
//! after the in-order point. A new range is merged with every range it
//! overlaps or touches, so the list only grows when a segment lands in a
//! fresh island, and it never holds more than the `max_ranges` its owner
//! passes with each range (the owner keeps the limit, so the assembler itself
//! stays one pointer wide): a segment
//! that would open one island too many is refused (the sender will send it
//! again). A segment that starts at the in-order point never needs a new
//! entry, so the stream can always make progress, whatever the peer sends.
//!
//! Each range also carries a stamp of when it last grew. RFC 2018 §4 asks the
//! receiver to put the block holding the segment that triggered the ACK first,
//! and to fill the other slots with the blocks it reported most recently;
//! reporting by descending stamp does both.

use alloc::boxed::Box;
use alloc::vec::Vec;

/// A range of stream offsets `[start, end)` held out of order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Island {
    start: u64,
    end: u64,
    /// When this island last grew (a counter, not a time).
    stamp: u32,
}

/// How many ranges the list has room for when the first hole opens; it
/// grows from there on demand, up to the assembler's `max_ranges`.
const INITIAL_RANGES: usize = 4;

/// Why an out-of-order range was not recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyRanges;

/// The set of out-of-order byte ranges received past the in-order point.
///
/// While nothing is out of order (most of a connection's life) the
/// assembler is 8 bytes and holds no heap memory; the range list is
/// allocated when the first hole opens and freed when the last one fills.
#[derive(Debug, Clone, Default)]
pub struct Assembler {
    islands: Option<Box<Islands>>,
}

/// The ranges held, and the clock their stamps come from.
#[derive(Debug, Clone)]
struct Islands {
    list: Vec<Island>,
    /// The stamp of the latest change; renumbered before it would wrap.
    clock: u32,
}

/// A configured range count as its owner stores it: at least one, at most
/// `u32::MAX`.
pub(super) const fn range_limit(max_ranges: usize) -> u32 {
    if max_ranges == 0 {
        1
    } else if max_ranges > u32::MAX as usize {
        u32::MAX
    } else {
        max_ranges as u32
    }
}

impl Assembler {
    /// An empty assembler.
    pub const fn new() -> Self {
        Assembler { islands: None }
    }

    /// The ranges held, lowest first.
    fn list(&self) -> &[Island] {
        self.islands.as_ref().map_or(&[], |i| &i.list)
    }

    /// Whether no out-of-order range is held.
    pub fn is_empty(&self) -> bool {
        self.islands.is_none()
    }

    /// The number of separate ranges held.
    pub fn range_count(&self) -> usize {
        self.list().len()
    }

    /// The held ranges `(start, end)`, lowest first.
    pub fn ranges(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.list().iter().map(|i| (i.start, i.end))
    }

    /// The end of the highest range held, if any.
    pub fn highest(&self) -> Option<u64> {
        self.list().last().map(|i| i.end)
    }

    /// Records that `[start, end)` arrived while the in-order point is `next`.
    ///
    /// Returns the new in-order point: `next` itself unless the range reaches
    /// it, in which case it moves past this range and every held range that
    /// now touches it. Bytes before `next` are ignored (duplicates). Fails,
    /// changing nothing, only when the range would open a new island while
    /// `max_ranges` are already held (a limit of zero counts as one). Pass
    /// the same limit every time.
    pub fn add(
        &mut self,
        next: u64,
        start: u64,
        end: u64,
        max_ranges: usize,
    ) -> Result<u64, TooManyRanges> {
        let start = start.max(next);
        if end <= start {
            return Ok(next);
        }
        if start == next {
            // In order: swallow every island the new in-order point reaches.
            let mut reach = end;
            if let Some(islands) = &mut self.islands {
                let list = &mut islands.list;
                let absorbed = list.iter().take_while(|i| i.start <= reach).count();
                if absorbed > 0 {
                    reach = reach.max(list[absorbed - 1].end);
                    list.drain(..absorbed);
                }
                if list.is_empty() {
                    self.islands = None;
                }
            }
            return Ok(reach);
        }
        let max_ranges = max_ranges.max(1);
        let islands = self.islands.get_or_insert_with(|| {
            Box::new(Islands {
                // Room for a few holes up front, but never `max_ranges` of
                // them: the configuration does not bound it, and a large
                // value would cost that much memory on the first hole.
                list: Vec::with_capacity(max_ranges.min(INITIAL_RANGES)),
                clock: 0,
            })
        });
        let result = islands.add(start, end, max_ranges);
        if islands.list.is_empty() {
            self.islands = None;
        }
        result.map(|()| next)
    }

    /// Writes up to `out.len()` ranges `(start, end)` in the order RFC 2018
    /// wants them reported: the range that grew last first, then the others by
    /// how recently they grew. Returns how many were written.
    pub fn recent_ranges(&self, out: &mut [(u64, u64)]) -> usize {
        let list = self.list();
        let mut written = 0;
        let mut below: Option<u32> = None;
        while written < out.len() {
            // The newest island older than the last one written (stamps are unique).
            let Some(best) = list
                .iter()
                .filter(|i| below.is_none_or(|b| i.stamp < b))
                .max_by_key(|i| i.stamp)
            else {
                break;
            };
            out[written] = (best.start, best.end);
            below = Some(best.stamp);
            written += 1;
        }
        written
    }

    /// Forgets every range (and frees the list).
    pub fn clear(&mut self) {
        self.islands = None;
    }
}

impl Islands {
    /// Records `[start, end)`, wholly past the in-order point.
    fn add(&mut self, start: u64, end: u64, max_ranges: usize) -> Result<(), TooManyRanges> {
        // First island that ends at or after `start` (it may touch or overlap).
        let first = self.list.partition_point(|i| i.end < start);
        // One past the last island that starts at or before `end`.
        let last = first + self.list[first..].partition_point(|i| i.start <= end);
        if first == last && self.list.len() >= max_ranges {
            return Err(TooManyRanges);
        }
        self.tick();
        if first == last {
            let island = Island {
                start,
                end,
                stamp: self.clock,
            };
            self.list.insert(first, island);
        } else {
            let merged = Island {
                start: start.min(self.list[first].start),
                end: end.max(self.list[last - 1].end),
                stamp: self.clock,
            };
            self.list[first] = merged;
            self.list.drain(first + 1..last);
        }
        Ok(())
    }

    /// Advances the clock; before it would wrap, the held islands are
    /// renumbered 1, 2, … in their current order, so stamps stay unique and
    /// ordered however long a connection lives.
    fn tick(&mut self) {
        if self.clock == u32::MAX {
            let mut order: Vec<usize> = (0..self.list.len()).collect();
            order.sort_unstable_by_key(|&i| self.list[i].stamp);
            for (rank, &i) in order.iter().enumerate() {
                // At most `max_ranges` islands, so the rank fits.
                self.list[i].stamp = rank as u32 + 1;
            }
            self.clock = self.list.len() as u32;
        }
        self.clock += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn ranges(a: &Assembler) -> Vec<(u64, u64)> {
        a.ranges().collect()
    }

    /// An assembler with its limit, as its owner would keep them.
    struct Limited {
        inner: Assembler,
        max_ranges: usize,
    }

    impl Limited {
        fn new(max_ranges: usize) -> Self {
            Limited {
                inner: Assembler::new(),
                max_ranges,
            }
        }

        fn add(&mut self, next: u64, start: u64, end: u64) -> Result<u64, TooManyRanges> {
            self.inner.add(next, start, end, self.max_ranges)
        }
    }

    impl core::ops::Deref for Limited {
        type Target = Assembler;
        fn deref(&self) -> &Assembler {
            &self.inner
        }
    }

    impl core::ops::DerefMut for Limited {
        fn deref_mut(&mut self) -> &mut Assembler {
            &mut self.inner
        }
    }

    #[test]
    fn in_order_advances() {
        let mut a = Limited::new(4);
        assert_eq!(a.add(0, 0, 10), Ok(10));
        assert_eq!(a.add(10, 5, 12), Ok(12));
        assert_eq!(a.add(12, 0, 12), Ok(12));
        assert!(a.is_empty());
    }

    #[test]
    fn islands_merge_and_fill() {
        let mut a = Limited::new(8);
        assert_eq!(a.add(0, 20, 30), Ok(0));
        assert_eq!(a.add(0, 40, 50), Ok(0));
        assert_eq!(a.add(0, 60, 70), Ok(0));
        assert_eq!(ranges(&a), vec![(20, 30), (40, 50), (60, 70)]);
        // Touching on both sides joins two islands.
        assert_eq!(a.add(0, 30, 40), Ok(0));
        assert_eq!(ranges(&a), vec![(20, 50), (60, 70)]);
        // Overlapping several.
        assert_eq!(a.add(0, 45, 65), Ok(0));
        assert_eq!(ranges(&a), vec![(20, 70)]);
        // Inside an island: no change in shape.
        assert_eq!(a.add(0, 25, 26), Ok(0));
        assert_eq!(ranges(&a), vec![(20, 70)]);
        // Filling the hole at the front swallows the island.
        assert_eq!(a.add(0, 0, 20), Ok(70));
        assert!(a.is_empty());
    }

    #[test]
    fn in_order_reaches_only_touching_islands() {
        let mut a = Limited::new(8);
        a.add(0, 10, 20).unwrap();
        a.add(0, 30, 40).unwrap();
        assert_eq!(a.add(0, 0, 10), Ok(20));
        assert_eq!(ranges(&a), vec![(30, 40)]);
        assert_eq!(a.add(20, 15, 35), Ok(40));
        assert!(a.is_empty());
        assert_eq!(a.highest(), None);
    }

    #[test]
    fn range_cap_refuses_new_islands_only() {
        let mut a = Limited::new(2);
        a.add(0, 10, 20).unwrap();
        a.add(0, 30, 40).unwrap();
        assert_eq!(a.add(0, 50, 60), Err(TooManyRanges));
        assert_eq!(a.add(0, 22, 25), Err(TooManyRanges));
        assert_eq!(ranges(&a), vec![(10, 20), (30, 40)]);
        // Growing an island is fine, and so is in-order data.
        assert_eq!(a.add(0, 40, 45), Ok(0));
        assert_eq!(a.add(0, 0, 5), Ok(5));
        assert_eq!(a.range_count(), 2);
        assert_eq!(a.highest(), Some(45));
        // A limit of zero still lets one hole open.
        let mut z = Limited::new(0);
        assert_eq!(z.add(0, 10, 20), Ok(0));
        assert_eq!(z.add(0, 30, 40), Err(TooManyRanges));
    }

    #[test]
    fn recent_first() {
        let mut a = Limited::new(8);
        a.add(0, 10, 20).unwrap();
        a.add(0, 30, 40).unwrap();
        a.add(0, 50, 60).unwrap();
        a.add(0, 70, 80).unwrap();
        a.add(0, 20, 25).unwrap(); // the first island grew last
        let mut out = [(0, 0); 3];
        assert_eq!(a.recent_ranges(&mut out), 3);
        assert_eq!(out, [(10, 25), (70, 80), (50, 60)]);
        let mut many = [(0, 0); 6];
        assert_eq!(a.recent_ranges(&mut many), 4);
        a.clear();
        assert_eq!(a.recent_ranges(&mut many), 0);
    }

    #[test]
    fn recency_survives_the_clock_wrapping() {
        let mut a = Limited::new(8);
        a.add(0, 10, 20).unwrap();
        a.add(0, 30, 40).unwrap();
        a.add(0, 50, 60).unwrap();
        // Jump to the last stamp before the wrap: the next change renumbers.
        a.islands.as_mut().unwrap().clock = u32::MAX - 1;
        a.add(0, 35, 45).unwrap(); // the middle island, stamped u32::MAX
        a.add(0, 5, 12).unwrap(); // the first island, after renumbering
        let mut out = [(0, 0); 3];
        assert_eq!(a.recent_ranges(&mut out), 3);
        assert_eq!(out, [(5, 20), (30, 45), (50, 60)]);
        assert_eq!(a.islands.as_ref().unwrap().clock, 4);
        a.add(0, 0, 100).unwrap();
        assert!(a.is_empty() && a.islands.is_none());
    }

    #[test]
    fn first_hole_allocates_little_however_large_the_cap() {
        // `max_reassembly_ranges` has no upper bound: the first hole must not
        // allocate room for all of them (usize::MAX ranges used to abort
        // on the allocation).
        for cap in [1, 3, 1 << 20, usize::MAX] {
            let mut a = Limited::new(cap);
            assert_eq!(a.add(0, 10, 20), Ok(0));
            let list = &a.islands.as_ref().expect("one hole").list;
            assert!(
                list.capacity() <= INITIAL_RANGES,
                "cap {cap}: {}",
                list.capacity()
            );
            // It still grows on demand.
            for i in 1..10u64 {
                let _ = a.add(0, 10 + 20 * i, 20 + 20 * i);
            }
            assert_eq!(a.range_count(), cap.min(10));
        }
    }

    #[test]
    fn duplicates_before_next_are_ignored() {
        let mut a = Limited::new(2);
        assert_eq!(a.add(100, 0, 50), Ok(100));
        assert_eq!(a.add(100, 50, 100), Ok(100));
        assert_eq!(a.add(100, 90, 110), Ok(110));
        assert!(a.is_empty());
    }
}
