//! Memory a WebSocket connection takes while a large binary message goes
//! straight into the caller's buffer (`receive_data_into_until`, as the
//! Python binding receives): none of the message's size.
//!
//! The counting allocator below is global to this test binary, which is
//! why this check lives in its own file, and in this crate rather than the
//! core, which has no `unsafe` at all.

use std::alloc::{GlobalAlloc, Layout, System};
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicUsize, Ordering};

use wirestate::ws::{Config, Connection, Event};

/// Remembers the largest single allocation.
struct Largest;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the
// maximum is only bookkeeping.
unsafe impl GlobalAlloc for Largest {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Largest = Largest;

const REQUEST: &[u8] =
    b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// A masked, final binary frame.
fn masked_binary(payload: &[u8]) -> Vec<u8> {
    let key = [0x37, 0xfa, 0x21, 0x3d];
    let mut out = vec![0x82, 0x80 | 127];
    out.extend_from_slice(&(payload.len() as u64).to_be_bytes());
    out.extend_from_slice(&key);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    out
}

#[test]
fn a_message_taken_directly_allocates_nothing_of_its_size() {
    const SIZE: usize = 1 << 20;
    let payload: Vec<u8> = (0..SIZE).map(|i| (i * 7 + i / 251) as u8).collect();
    let wire = masked_binary(&payload);
    let mut s = Connection::server(Config {
        streaming: true,
        ..Config::default()
    });
    s.receive_data(REQUEST);
    while s.poll_event().is_some() {}
    s.accept(None, &[]).unwrap();
    let sent = s.pending_output().len();
    s.consume_output(sent);
    let mut none: [MaybeUninit<u8>; 0] = [];
    let mut buf = vec![MaybeUninit::new(0u8); SIZE];

    LARGEST.store(0, Ordering::Relaxed);
    let r = s.receive_data_into_until(&wire, &mut none, 64 << 10);
    assert!(r.stopped);
    assert_eq!(s.message_total(), Some(SIZE as u64));
    let mut written = 0;
    for piece in wire[r.consumed..].chunks(64 << 10) {
        let r = s.receive_data_into_until(piece, &mut buf[written..], 64 << 10);
        assert_eq!(r.consumed, piece.len());
        written += r.written;
    }
    assert!(matches!(
        s.poll_event(),
        Some(Event::MessageChunk { last: true, .. })
    ));
    let largest = LARGEST.load(Ordering::Relaxed);

    assert_eq!(written, SIZE);
    // SAFETY: every byte was initialised when `buf` was made.
    let got: Vec<u8> = buf.iter().map(|b| unsafe { b.assume_init() }).collect();
    assert!(got == payload);
    // The connection's own buffers stay small: before, it reserved room for
    // the whole message that the payload never used.
    assert!(largest < 64 << 10, "largest allocation {largest} bytes");
}
