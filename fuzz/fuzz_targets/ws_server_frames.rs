//! A server connection after a valid handshake (with or without
//! permessage-deflate), fed arbitrary bytes in arbitrary pieces interleaved
//! with application calls and clock ticks. See `wirestate_fuzz::frames` for
//! the input format and the invariants.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wirestate_fuzz::frames::run(true, data));
