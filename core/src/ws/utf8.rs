//! Incremental UTF-8 validation that fails fast.
//!
//! Text payloads arrive in pieces: across TCP reads, across frames of one
//! message, and out of the inflater in arbitrary chunks. [`Utf8Validator`]
//! checks each piece as it arrives with `simdutf8` and carries an incomplete
//! code point (at most three bytes) to the next piece. It reports an error at
//! the first byte that can no longer start or continue a valid sequence, so a
//! peer sending invalid text is stopped before the rest of its frame arrives.

/// Validates a stream of UTF-8 text delivered in arbitrary pieces.
#[derive(Debug, Clone, Default)]
pub struct Utf8Validator {
    partial: [u8; 4],
    partial_len: u8,
}

/// The input can never become valid UTF-8, whatever follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidUtf8;

/// Length of the sequence a lead byte starts (the lead byte was already
/// accepted as the start of a valid prefix).
fn sequence_len(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

/// The length of `data` without a trailing multi-byte sequence that is not
/// finished (judging by its lead byte alone; validation checks the rest).
fn complete_prefix_len(data: &[u8]) -> usize {
    let n = data.len();
    for back in 1..=n.min(3) {
        let b = data[n - back];
        if b & 0xC0 != 0x80 {
            let need = match b {
                0xF0..=0xFF => 4,
                0xE0..=0xEF => 3,
                0xC0..=0xDF => 2,
                _ => 1,
            };
            return if need > back { n - back } else { n };
        }
    }
    n
}

impl Utf8Validator {
    /// A validator at the start of a text.
    pub const fn new() -> Self {
        Utf8Validator {
            partial: [0; 4],
            partial_len: 0,
        }
    }

    /// Checks the next piece. `Ok` means everything so far is valid UTF-8 or
    /// a valid prefix of it.
    pub fn feed(&mut self, data: &[u8]) -> Result<(), InvalidUtf8> {
        self.feed_with(data, |_| {})
    }

    /// Checks the next piece and appends its complete code points to `out`
    /// (an unfinished one at the end is held until the next piece). The text
    /// is validated once, and `out` receives it as `&str` pieces, so no
    /// second check is needed to hand it out as a string.
    pub fn push(
        &mut self,
        data: &[u8],
        out: &mut alloc::string::String,
    ) -> Result<(), InvalidUtf8> {
        self.feed_with(data, |s| out.push_str(s))
    }

    fn feed_with(
        &mut self,
        mut data: &[u8],
        mut sink: impl FnMut(&str),
    ) -> Result<(), InvalidUtf8> {
        if self.partial_len > 0 {
            let have = usize::from(self.partial_len);
            let need = sequence_len(self.partial[0]) - have;
            let take = need.min(data.len());
            self.partial[have..have + take].copy_from_slice(&data[..take]);
            let total = have + take;
            match core::str::from_utf8(&self.partial[..total]) {
                Ok(s) => {
                    sink(s);
                    self.partial_len = 0;
                }
                Err(e) if e.error_len().is_none() => {
                    // Still a valid prefix; `take == data.len()` here.
                    self.partial_len = total as u8;
                    return Ok(());
                }
                Err(_) => return Err(InvalidUtf8),
            }
            data = &data[take..];
        }
        let cut = complete_prefix_len(data);
        match simdutf8::basic::from_utf8(&data[..cut]) {
            Ok(s) => sink(s),
            Err(_) => return Err(InvalidUtf8),
        }
        let tail = &data[cut..];
        if !tail.is_empty() {
            // At most three bytes that must start a valid sequence.
            match core::str::from_utf8(tail) {
                Err(e) if e.error_len().is_none() && e.valid_up_to() == 0 => {
                    self.partial[..tail.len()].copy_from_slice(tail);
                    self.partial_len = tail.len() as u8;
                }
                _ => return Err(InvalidUtf8),
            }
        }
        Ok(())
    }

    /// Number of bytes of an unfinished code point held at the end of what
    /// was fed so far.
    pub fn incomplete_len(&self) -> usize {
        usize::from(self.partial_len)
    }

    /// True when the text fed so far ends on a code point boundary.
    pub fn is_complete(&self) -> bool {
        self.partial_len == 0
    }

    /// Forgets everything; ready for a new text.
    pub fn reset(&mut self) {
        self.partial_len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_all_splits(bytes: &[u8]) -> Option<usize> {
        // Returns the earliest byte count at which the validator failed when
        // fed one byte at a time, and checks every two-way split agrees with
        // the whole-input verdict.
        let whole = core::str::from_utf8(bytes).is_ok();
        for split in 0..=bytes.len() {
            let mut v = Utf8Validator::new();
            let r = v
                .feed(&bytes[..split])
                .and_then(|_| v.feed(&bytes[split..]));
            let ok = r.is_ok() && v.is_complete();
            assert_eq!(ok, whole, "split {split} of {bytes:02x?}");
        }
        let mut v = Utf8Validator::new();
        for (i, b) in bytes.iter().enumerate() {
            if v.feed(core::slice::from_ref(b)).is_err() {
                return Some(i);
            }
        }
        None
    }

    #[test]
    fn valid_text_in_every_split() {
        let s = "κόσμε Hello-µ@ßöäüàá-UTF-8!! 𝄞 \u{10FFFF}";
        assert_eq!(check_all_splits(s.as_bytes()), None);
    }

    #[test]
    fn fails_fast_on_first_impossible_byte() {
        // "κόσμε" followed by U+10FFFF + 1 encoded: F4 90 80 80. The second
        // byte already makes it impossible.
        let mut bytes = "κόσμε".as_bytes().to_vec();
        let pos = bytes.len();
        bytes.extend_from_slice(&[0xF4, 0x90, 0x80, 0x80]);
        assert_eq!(check_all_splits(&bytes), Some(pos + 1));
        // Surrogates: ED A0 80 fails at the second byte.
        assert_eq!(check_all_splits(&[0x61, 0xED, 0xA0, 0x80]), Some(2));
        // Overlong: C0 fails at once.
        assert_eq!(check_all_splits(&[0xC0, 0x80]), Some(0));
        // Lone continuation byte.
        assert_eq!(check_all_splits(&[0x80]), Some(0));
    }

    #[test]
    fn incomplete_tail_is_not_complete() {
        let mut v = Utf8Validator::new();
        v.feed(&[0xE2, 0x82]).unwrap();
        assert!(!v.is_complete());
        assert_eq!(v.incomplete_len(), 2);
        v.feed(&[0xAC]).unwrap();
        assert!(v.is_complete());
    }

    #[test]
    fn push_appends_only_complete_code_points() {
        let text = "a€𝄞ñ";
        let bytes = text.as_bytes();
        for split in 0..=bytes.len() {
            let mut v = Utf8Validator::new();
            let mut out = alloc::string::String::new();
            v.push(&bytes[..split], &mut out).unwrap();
            assert!(text.starts_with(&out));
            assert_eq!(out.len() + v.incomplete_len(), split);
            v.push(&bytes[split..], &mut out).unwrap();
            assert_eq!(out, text);
        }
        let mut v = Utf8Validator::new();
        let mut out = alloc::string::String::new();
        assert_eq!(v.push(b"ok\xf4\x90", &mut out), Err(InvalidUtf8));
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_std(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
                           cuts in proptest::collection::vec(0usize..64, 0..4)) {
            let mut v = Utf8Validator::new();
            let mut cuts: alloc::vec::Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
            cuts.sort_unstable();
            let mut last = 0;
            let mut ok = true;
            for c in cuts.into_iter().chain(core::iter::once(bytes.len())) {
                if v.feed(&bytes[last..c]).is_err() { ok = false; break; }
                last = c;
            }
            let ok = ok && v.is_complete();
            proptest::prop_assert_eq!(ok, core::str::from_utf8(&bytes).is_ok());
            // push agrees, and what it appended is the text itself.
            let mut v = Utf8Validator::new();
            let mut out = alloc::string::String::new();
            let pushed = v.push(&bytes, &mut out).is_ok() && v.is_complete();
            proptest::prop_assert_eq!(pushed, ok);
            if ok {
                proptest::prop_assert_eq!(out.as_bytes(), &bytes[..]);
            }
        }
    }
}
