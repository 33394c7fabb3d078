//! The C ABI of wirestate: `libwirestate.a` / `libwirestate.so` and the
//! generated header `include/wirestate.h`. The conventions are written down in
//! `docs/c-api.md`; in short:
//!
//! - every name starts with `wirestate_`, functions are `<type>_<verb>`;
//! - opaque types are created and freed by the library (`_free(NULL)` is fine);
//! - fallible calls return a [`wirestate_result`] with stable numbers, outputs
//!   come last and are written only on success, every pointer is NULL-checked;
//! - no panic crosses the boundary: it becomes `WIRESTATE_RESULT_PANIC`;
//! - time is a `uint64_t` count of nanoseconds since an epoch of the caller's.
//!
//! The WebSocket connection is in [`ws`], the TCP endpoint in [`tcp`]. Shared
//! pieces: [`error`] (result codes), `panic` (the boundary), `ffi` (pointer
//! conversions), `random` (secrets from the operating system), [`version`].
#![allow(non_camel_case_types)]
// Every `extern "C" fn` here takes raw pointers from C and is callable from C
// only; the contract "each pointer is NULL or valid" is the C API's, written on
// each function, and checked for NULL in `ffi`.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

pub mod error;
mod ffi;
#[cfg(test)]
mod overhead;
mod panic;
mod random;
pub mod tcp;
pub mod version;
pub mod ws;

pub use error::wirestate_result;
