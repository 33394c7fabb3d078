//! TCP sequence numbers: 32-bit values that wrap, compared modulo 2³².
//!
//! RFC 9293 §3.4 says sequence numbers live in a space of 2³² values and that
//! every comparison must be made modulo that size. The usual way to do that
//! (serial number arithmetic, RFC 1982) is to look at the signed 32-bit
//! difference: `a` comes before `b` when `b - a`, read as an `i32`, is
//! positive. That only means something while the two values are less than
//! 2³¹ apart, which TCP guarantees for any pair it compares (windows are at
//! most 2³⁰ bytes, RFC 7323 §2.3).
//!
//! Values exactly 2³¹ apart are unordered: [`PartialOrd`] returns `None` for
//! them, so `<`, `>`, `<=` and `>=` are all false. Because the order wraps it
//! is not transitive, which is why [`SeqNumber`] does not implement [`Ord`].

use core::cmp::Ordering;
use core::fmt;
use core::ops::{Add, AddAssign, Sub, SubAssign};

/// A TCP sequence (or acknowledgment) number.
///
/// Adding or subtracting a length wraps modulo 2³². Subtracting two sequence
/// numbers gives the signed distance between them as an `i32`.
///
/// ```
/// use wirestate::tcp::SeqNumber;
/// let a = SeqNumber::new(u32::MAX - 1);
/// let b = a + 4usize;
/// assert_eq!(b.get(), 2);
/// assert!(a < b);
/// assert_eq!(b - a, 4);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SeqNumber(u32);

impl SeqNumber {
    /// The sequence number with raw value `value`.
    pub const fn new(value: u32) -> Self {
        SeqNumber(value)
    }

    /// The raw 32-bit value, as it goes on the wire.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// `self + n` modulo 2³².
    pub const fn wrapping_add(self, n: u32) -> Self {
        SeqNumber(self.0.wrapping_add(n))
    }

    /// `self - n` modulo 2³².
    pub const fn wrapping_sub(self, n: u32) -> Self {
        SeqNumber(self.0.wrapping_sub(n))
    }

    /// The signed distance from `other` to `self` (`self - other` as `i32`).
    ///
    /// Positive when `self` comes after `other`.
    pub const fn diff(self, other: SeqNumber) -> i32 {
        self.0.wrapping_sub(other.0) as i32
    }

    /// The unsigned distance from `earlier` forward to `self`, modulo 2³².
    ///
    /// Meaningful when `earlier <= self`; otherwise it is the long way round.
    pub const fn distance_from(self, earlier: SeqNumber) -> u32 {
        self.0.wrapping_sub(earlier.0)
    }

    /// `self < other` in sequence space.
    pub const fn lt(self, other: SeqNumber) -> bool {
        let d = self.diff(other);
        d < 0 && d != i32::MIN
    }

    /// `self <= other` in sequence space.
    pub const fn le(self, other: SeqNumber) -> bool {
        self.0 == other.0 || self.lt(other)
    }

    /// `self > other` in sequence space.
    pub const fn gt(self, other: SeqNumber) -> bool {
        other.lt(self)
    }

    /// `self >= other` in sequence space.
    pub const fn ge(self, other: SeqNumber) -> bool {
        other.le(self)
    }

    /// The later of two sequence numbers (`self` if they are unordered).
    pub const fn max(self, other: SeqNumber) -> SeqNumber {
        if other.gt(self) { other } else { self }
    }

    /// The earlier of two sequence numbers (`self` if they are unordered).
    pub const fn min(self, other: SeqNumber) -> SeqNumber {
        if other.lt(self) { other } else { self }
    }

    /// Whether `self` lies in the half-open range `[start, start + len)`.
    ///
    /// This is the window test of RFC 9293 §3.4 (`start <= self < start + len`)
    /// done with one unsigned subtraction, so it is correct across the wrap for
    /// any `len` up to 2³².
    pub const fn in_window(self, start: SeqNumber, len: u32) -> bool {
        self.distance_from(start) < len
    }

    /// Whether `self` lies in the closed range `[low, high]` (both in sequence space).
    pub const fn between(self, low: SeqNumber, high: SeqNumber) -> bool {
        low.le(self) && self.le(high)
    }
}

impl fmt::Debug for SeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SeqNumber({})", self.0)
    }
}

impl fmt::Display for SeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<u32> for SeqNumber {
    fn from(value: u32) -> Self {
        SeqNumber(value)
    }
}

impl From<SeqNumber> for u32 {
    fn from(seq: SeqNumber) -> u32 {
        seq.0
    }
}

impl PartialOrd for SeqNumber {
    fn partial_cmp(&self, other: &SeqNumber) -> Option<Ordering> {
        match self.diff(*other) {
            0 => Some(Ordering::Equal),
            i32::MIN => None,
            d if d < 0 => Some(Ordering::Less),
            _ => Some(Ordering::Greater),
        }
    }
}

// Lengths are reduced modulo 2^32 before wrapping: adding 2^32 bytes moves a
// sequence number nowhere, exactly as on the wire.

impl Add<u32> for SeqNumber {
    type Output = SeqNumber;
    fn add(self, n: u32) -> SeqNumber {
        self.wrapping_add(n)
    }
}

impl Add<usize> for SeqNumber {
    type Output = SeqNumber;
    fn add(self, n: usize) -> SeqNumber {
        self.wrapping_add(n as u32)
    }
}

impl Add<i32> for SeqNumber {
    type Output = SeqNumber;
    fn add(self, n: i32) -> SeqNumber {
        SeqNumber(self.0.wrapping_add_signed(n))
    }
}

impl Sub<u32> for SeqNumber {
    type Output = SeqNumber;
    fn sub(self, n: u32) -> SeqNumber {
        self.wrapping_sub(n)
    }
}

impl Sub<usize> for SeqNumber {
    type Output = SeqNumber;
    fn sub(self, n: usize) -> SeqNumber {
        self.wrapping_sub(n as u32)
    }
}

impl Sub<i32> for SeqNumber {
    type Output = SeqNumber;
    fn sub(self, n: i32) -> SeqNumber {
        SeqNumber(self.0.wrapping_add_signed(n.wrapping_neg()))
    }
}

impl Sub<SeqNumber> for SeqNumber {
    type Output = i32;
    fn sub(self, other: SeqNumber) -> i32 {
        self.diff(other)
    }
}

impl AddAssign<u32> for SeqNumber {
    fn add_assign(&mut self, n: u32) {
        *self = *self + n;
    }
}

impl AddAssign<usize> for SeqNumber {
    fn add_assign(&mut self, n: usize) {
        *self = *self + n;
    }
}

impl AddAssign<i32> for SeqNumber {
    fn add_assign(&mut self, n: i32) {
        *self = *self + n;
    }
}

impl SubAssign<u32> for SeqNumber {
    fn sub_assign(&mut self, n: u32) {
        *self = *self - n;
    }
}

impl SubAssign<usize> for SeqNumber {
    fn sub_assign(&mut self, n: usize) {
        *self = *self - n;
    }
}

impl SubAssign<i32> for SeqNumber {
    fn sub_assign(&mut self, n: i32) {
        *self = *self - n;
    }
}

#[cfg(test)]
// The tests check that the partial order really is partial.
#[allow(clippy::neg_cmp_op_on_partial_ord)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(v: u32) -> SeqNumber {
        SeqNumber::new(v)
    }

    #[test]
    fn add_and_sub_wrap() {
        assert_eq!(s(u32::MAX) + 1u32, s(0));
        assert_eq!(s(u32::MAX - 9) + 20usize, s(10));
        assert_eq!(s(5) - 10u32, s(u32::MAX - 4));
        assert_eq!(s(5) - 10usize, s(u32::MAX - 4));
        assert_eq!(s(5) + -10i32, s(u32::MAX - 4));
        assert_eq!(s(u32::MAX) - -2i32, s(1));
        assert_eq!(s(0) - i32::MIN, s(1 << 31));
        let mut x = s(u32::MAX);
        x += 2usize;
        assert_eq!(x, s(1));
        x -= 3i32;
        assert_eq!(x, s(u32::MAX - 1));
        x += 1u32;
        x -= 1u32;
        x -= 0usize;
        x += 0i32;
        assert_eq!(x, s(u32::MAX - 1));
    }

    #[test]
    fn comparisons_across_the_wrap() {
        let before = s(u32::MAX - 100);
        let after = s(100);
        assert!(before < after);
        assert!(after > before);
        assert!(before <= after && before.le(after) && before.lt(after));
        assert!(after >= before && after.ge(after) && after.gt(before));
        assert_eq!(after - before, 201);
        assert_eq!(before - after, -201);
        assert_eq!(after.distance_from(before), 201);
        assert_eq!(before.max(after), after);
        assert_eq!(before.min(after), before);
        assert!(s(7) <= s(7) && s(7) >= s(7) && !s(7).lt(s(7)));
    }

    #[test]
    fn half_space_apart_is_unordered() {
        let a = s(0);
        let b = s(1 << 31);
        assert_eq!(a.partial_cmp(&b), None);
        assert_eq!(b.partial_cmp(&a), None);
        assert!(!(a < b) && !(a > b) && !(a <= b) && !(a >= b));
        assert!(!a.lt(b) && !a.gt(b) && !b.lt(a) && !b.gt(a));
        // One less than half the space is still ordered.
        assert!(a < s((1 << 31) - 1));
        assert!(a > s((1 << 31) + 1));
    }

    #[test]
    fn window_membership() {
        let start = s(u32::MAX - 1);
        assert!(start.in_window(start, 1));
        assert!(!start.in_window(start, 0));
        assert!(s(0).in_window(start, 3));
        assert!(!s(1).in_window(start, 3));
        assert!(!s(u32::MAX - 2).in_window(start, 3));
        assert!(s(1).between(start, s(1)));
        assert!(!s(2).between(start, s(1)));
        assert!(s(12345).in_window(s(0), u32::MAX));
    }

    #[test]
    fn formatting_and_conversions() {
        assert_eq!(alloc::format!("{}", s(42)), "42");
        assert_eq!(alloc::format!("{:?}", s(42)), "SeqNumber(42)");
        assert_eq!(u32::from(SeqNumber::from(9)), 9);
    }

    proptest! {
        #[test]
        fn add_then_sub_is_identity(a: u32, n in 0u32..(1 << 31)) {
            let x = s(a);
            prop_assert_eq!((x + n) - n, x);
            prop_assert_eq!((x + n) - x, n as i32);
            prop_assert_eq!((x + n as usize) - n as usize, x);
        }

        #[test]
        fn order_matches_signed_difference(a: u32, d in 1u32..(1 << 31)) {
            let x = s(a);
            let y = x + d;
            prop_assert!(x < y);
            prop_assert!(y > x);
            prop_assert!(x.lt(y) && y.gt(x) && x.le(y) && y.ge(x));
            prop_assert!(!(y < x));
            prop_assert_eq!(y.distance_from(x), d);
            prop_assert!(y.in_window(x, d + 1));
            prop_assert!(!y.in_window(x, d));
        }

        #[test]
        fn signed_add_matches_unsigned(a: u32, n: i32) {
            let x = s(a);
            prop_assert_eq!(x + n, s(a.wrapping_add(n as u32)));
            prop_assert_eq!((x + n) - n, x);
            prop_assert_eq!((x + n) - x, n);
        }

        #[test]
        fn comparison_is_antisymmetric(a: u32, b: u32) {
            let (x, y) = (s(a), s(b));
            prop_assert_eq!(x.partial_cmp(&y).map(Ordering::reverse), y.partial_cmp(&x));
        }
    }
}
