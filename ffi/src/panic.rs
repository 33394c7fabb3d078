//! The panic boundary: every `extern "C" fn` runs its body through
//! [`ffi_boundary`], so no unwind ever crosses into C.

use core::ffi::c_char;
use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::{FfiResult, wirestate_result};

/// What an `extern "C" fn` returns when its body panicked.
pub(crate) trait OnPanic {
    /// The value for C after a panic.
    fn on_panic() -> Self;
}

impl OnPanic for wirestate_result {
    fn on_panic() -> Self {
        wirestate_result::Panic
    }
}

impl OnPanic for () {
    fn on_panic() -> Self {}
}

impl OnPanic for *const c_char {
    fn on_panic() -> Self {
        c"".as_ptr()
    }
}

/// Runs `f`, turning a panic into [`OnPanic::on_panic`].
///
/// `AssertUnwindSafe` is honest here: objects a panicking call was using are
/// poisoned by their own helpers (see `ws::conn`) and refuse further calls.
#[inline(always)]
pub(crate) fn ffi_boundary<T: OnPanic>(f: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => value,
        Err(payload) => {
            drop_payload(payload);
            T::on_panic()
        }
    }
}

/// Drops a caught panic's payload, out of line: the landing pad of each
/// exported function then hands it over in two registers instead of keeping
/// it in callee-saved ones (which every call would save and restore).
#[cold]
#[inline(never)]
pub(crate) fn drop_payload(payload: Box<dyn Any + Send>) {
    drop(payload);
}

/// [`ffi_boundary`] for bodies written with `?`: `Ok(())` becomes
/// `WIRESTATE_RESULT_OK`, `Err(code)` the code.
#[inline(always)]
pub(crate) fn result_boundary(f: impl FnOnce() -> FfiResult) -> wirestate_result {
    ffi_boundary(|| match f() {
        Ok(()) => wirestate_result::Ok,
        Err(code) => code,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_code() {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let r = result_boundary(|| panic!("boom"));
        let s: *const c_char = ffi_boundary(|| panic!("boom"));
        std::panic::set_hook(prev);
        assert_eq!(r, wirestate_result::Panic);
        assert!(!s.is_null());
        assert_eq!(
            result_boundary(|| Err(wirestate_result::BufferFull)),
            wirestate_result::BufferFull
        );
        assert_eq!(result_boundary(|| Ok(())), wirestate_result::Ok);
    }
}
