//! Conversions between Rust values and the pointers C holds, in one place.
//!
//! Opaque objects (`wirestate_ws_config`, `wirestate_ws_conn`, ...) are
//! `Box`es handed to C as raw pointers and taken back by their `_free`
//! function. A type opts in by implementing [`Castable`]; nothing else turns a
//! C pointer into a Rust reference.

use core::ptr::NonNull;

use crate::error::wirestate_result;

/// A Rust type C sees only as an opaque pointer the library allocated.
pub(crate) trait Castable: Sized {}

/// Moves `value` to the heap and hands its ownership to C.
pub(crate) fn to_boxed_ptr<T: Castable>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Takes back and drops an object made by [`to_boxed_ptr`]; NULL does nothing.
///
/// # Safety
///
/// `ptr` is NULL or came from [`to_boxed_ptr`] and was not freed since, and no
/// reference to it outlives this call.
pub(crate) unsafe fn free_boxed<T: Castable>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: per this function's contract, `ptr` owns a live `Box<T>`.
        drop(unsafe { Box::from_raw(ptr) });
    }
}

/// Borrows an object C holds.
///
/// # Safety
///
/// `ptr` is NULL or points to a live object made by [`to_boxed_ptr`] that no
/// one mutates while the borrow lasts.
pub(crate) unsafe fn try_ref<'a, T: Castable>(ptr: *const T) -> Result<&'a T, wirestate_result> {
    // SAFETY: per this function's contract.
    unsafe { ptr.as_ref() }.ok_or(wirestate_result::NullParameter)
}

/// Borrows an object C holds, mutably.
///
/// # Safety
///
/// `ptr` is NULL or points to a live object made by [`to_boxed_ptr`] that
/// nothing else uses while the borrow lasts (the C API is not thread-safe per
/// object: one call at a time on each object).
pub(crate) unsafe fn try_mut<'a, T: Castable>(ptr: *mut T) -> Result<&'a mut T, wirestate_result> {
    // SAFETY: per this function's contract.
    unsafe { ptr.as_mut() }.ok_or(wirestate_result::NullParameter)
}

/// Bytes C passed in: `(NULL, 0)` is the empty slice, `(NULL, n > 0)` fails.
///
/// # Safety
///
/// `ptr` is NULL or valid for reads of `len` bytes that stay unchanged for `'a`.
#[inline(always)]
pub(crate) unsafe fn try_slice<'a>(
    ptr: *const u8,
    len: usize,
) -> Result<&'a [u8], wirestate_result> {
    // NULL first: the common call passes a pointer, and then takes two tests.
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(wirestate_result::NullParameter)
        };
    }
    if len > isize::MAX as usize {
        return Err(wirestate_result::InvalidArgument);
    }
    // SAFETY: non-NULL, and per this function's contract valid for `len` bytes.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// A buffer C passed in for the library to fill: `(NULL, 0)` is empty.
///
/// # Safety
///
/// `ptr` is NULL or valid for writes of `len` bytes that nothing else touches
/// for `'a`.
pub(crate) unsafe fn try_slice_mut<'a>(
    ptr: *mut u8,
    len: usize,
) -> Result<&'a mut [u8], wirestate_result> {
    if len == 0 {
        return Ok(&mut []);
    }
    if ptr.is_null() {
        return Err(wirestate_result::NullParameter);
    }
    if len > isize::MAX as usize {
        return Err(wirestate_result::InvalidArgument);
    }
    // SAFETY: non-NULL, and per this function's contract valid for `len` bytes.
    Ok(unsafe { core::slice::from_raw_parts_mut(ptr, len) })
}

/// Text C passed in, which must be UTF-8 (`err` otherwise).
///
/// # Safety
///
/// As for [`try_slice`].
pub(crate) unsafe fn try_str<'a>(
    ptr: *const core::ffi::c_char,
    len: usize,
    err: wirestate_result,
) -> Result<&'a str, wirestate_result> {
    // SAFETY: forwarded contract.
    let bytes = unsafe { try_slice(ptr.cast(), len) }?;
    core::str::from_utf8(bytes).map_err(|_| err)
}

/// An output argument: checked for NULL up front, written once the call has
/// succeeded.
pub(crate) struct Out<T>(NonNull<T>);

impl<T> Out<T> {
    /// Fails with `WIRESTATE_RESULT_NULL_PARAMETER` on NULL.
    pub(crate) fn new(ptr: *mut T) -> Result<Out<T>, wirestate_result> {
        NonNull::new(ptr)
            .map(Out)
            .ok_or(wirestate_result::NullParameter)
    }

    /// The pointer, for callers that write the value field by field.
    pub(crate) fn as_ptr(&self) -> *mut T {
        self.0.as_ptr()
    }

    /// Stores `value` without reading or dropping what was there.
    pub(crate) fn write(self, value: T) {
        // SAFETY: the C API's contract for every output argument: a non-NULL
        // pointer is aligned and valid for one write of `T` (it may be
        // uninitialized, hence `write`, which neither reads nor drops).
        unsafe { self.0.as_ptr().write(value) }
    }
}

/// An empty, NUL-terminated static: the pointer handed out for empty strings
/// and payloads, so C never sees a dangling or NULL pointer for them.
pub(crate) static EMPTY: [u8; 1] = [0];

/// The pointer to give C for `bytes`: `EMPTY` when they are empty.
pub(crate) fn data_ptr(bytes: &[u8]) -> *const u8 {
    if bytes.is_empty() {
        EMPTY.as_ptr()
    } else {
        bytes.as_ptr()
    }
}
