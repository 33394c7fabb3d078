//! The cost of the C API's boundary: the same 16-byte-message loop (client
//! sends, the bytes move to the server, the server takes its events) through
//! the core's Rust API and through the exported `extern "C"` functions (the
//! ones a C program calls; NULL checks, panic boundary, event conversion),
//! with 1 and with 16 messages per transport read. Each C loop is set
//! against the core loop that takes its events the same way: `poll_event`
//! until `NONE` against `poll_event` until `None`, and `poll_events`
//! (batches) against polling while `has_pending_event`, which hands out
//! the same events without the poll that finds the queue empty. A fifth
//! loop takes the events through the core's own batch poll,
//! `Connection::poll_events`, which the C API's two poll functions call
//! inside; the C batch loop is set against it too.
//!
//! `cargo test --release -p wirestate-ffi -- --ignored --nocapture overhead`
//! (`WIRESTATE_OVERHEAD_MESSAGES` sets the messages per run, 50,000 by
//! default, and `WIRESTATE_OVERHEAD_RUNS` the runs of each loop, 101). Many
//! short runs, the loops taking turns, timed in thread CPU time; besides the
//! best and the median of each loop it prints the median of each C run's
//! ratio to its core loop's run of the same round, the number least moved
//! by a busy machine. Run it more than once.
//!
//! Instruction counts, free of noise: under valgrind, one dump per loop run
//! (dumps 2-6 are the loops with 1 message per read, 12-16 with 16, in the
//! order printed; divide by the messages per run):
//!
//! ```sh
//! WIRESTATE_OVERHEAD_MESSAGES=20000 WIRESTATE_OVERHEAD_RUNS=1 \
//!   valgrind --tool=callgrind --dump-before='*overhead::*_loop' \
//!   target/release/deps/wirestate-<hash> --ignored --exact overhead::overhead
//! ```

use std::hint::black_box;
use std::ptr;

use crate::error::wirestate_result;
use crate::ws::config::*;
use crate::ws::conn::*;
use crate::ws::event::*;
use wirestate_core::ws::{ClientConfig, Config, Connection, Event};

const SEED: [u8; 16] = [7; 16];

/// A stopwatch of the CPU time this thread used (on Linux; wall-clock time
/// elsewhere): on a loaded machine, time spent descheduled does not count.
struct Instant(u128);

impl Instant {
    #[cfg(target_os = "linux")]
    fn now() -> Instant {
        #[repr(C)]
        struct Timespec {
            sec: i64,
            nsec: i64,
        }
        unsafe extern "C" {
            fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
        }
        const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
        let mut ts = Timespec { sec: 0, nsec: 0 };
        // SAFETY: `ts` is a valid `struct timespec` (64-bit Linux layout).
        let r = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        assert_eq!(r, 0);
        Instant(ts.sec as u128 * 1_000_000_000 + ts.nsec as u128)
    }

    #[cfg(not(target_os = "linux"))]
    fn now() -> Instant {
        use std::sync::OnceLock;
        static EPOCH: OnceLock<std::time::Instant> = OnceLock::new();
        Instant(
            EPOCH
                .get_or_init(std::time::Instant::now)
                .elapsed()
                .as_nanos(),
        )
    }

    fn elapsed_ns(&self) -> u128 {
        Instant::now().0 - self.0
    }
}

fn rust_pair() -> (Connection, Connection) {
    let mut client = Connection::client(ClientConfig::new("localhost", "/"), SEED).unwrap();
    let mut server = Connection::server(Config::default());
    server.receive_data(&client.data_to_send());
    while server.poll_event().is_some() {}
    server.accept(None, &[]).unwrap();
    client.receive_data(&server.data_to_send());
    while client.poll_event().is_some() {}
    (client, server)
}

/// How the core loop takes its events.
#[derive(Clone, Copy)]
enum RustPoll {
    /// `poll_event` until it returns `None` (the driving contract's loop).
    UntilNone,
    /// `poll_event` while `has_pending_event` says one is there: it never
    /// makes the poll that finds the queue empty, and leaves the buffer
    /// reclaim that poll does to the next `receive_data`.
    WhilePending,
    /// `Connection::poll_events` in batches of up to 64 (what the C API's
    /// `poll_events` and `poll_event` call).
    Batch,
}

/// `n` messages through the core's Rust API, `burst` per transport read.
#[inline(never)]
fn rust_loop(n: u64, burst: u64, poll: RustPoll) -> f64 {
    let (mut client, mut server) = rust_pair();
    let msg = [0x5au8; 16];
    let start = Instant::now();
    let mut got = 0u64;
    for _ in 0..n / burst {
        for _ in 0..burst {
            client.send_binary(&msg).unwrap();
        }
        let out = client.pending_output();
        let len = out.len();
        server.receive_data(out);
        client.consume_output(len);
        match poll {
            RustPoll::UntilNone => {
                while let Some(e) = server.poll_event() {
                    if let Event::Binary(b) = e {
                        got += black_box(b.len()) as u64;
                    }
                }
            }
            RustPoll::WhilePending => {
                while server.has_pending_event() {
                    if let Some(Event::Binary(b)) = server.poll_event() {
                        got += black_box(b.len()) as u64;
                    }
                }
            }
            RustPoll::Batch => {
                while server.poll_events(64, |e| {
                    if let Event::Binary(b) = e {
                        got += black_box(b.len()) as u64;
                    }
                }) == 64
                {}
            }
        }
    }
    assert_eq!(got, 16 * (n / burst * burst));
    start.elapsed_ns() as f64 / (n / burst * burst) as f64
}

/// Fails the test unless `r` is `OK`: one compare and branch, like `OK()` in
/// examples/c/ws_overhead.c and `unwrap()` in the Rust loop.
#[inline(always)]
fn ok(r: wirestate_result) {
    if r != wirestate_result::Ok {
        failed(r);
    }
}

#[cold]
#[inline(never)]
fn failed(r: wirestate_result) -> ! {
    panic!("a call failed: {r:?}");
}

/// How the C loop takes its events.
#[derive(Clone, Copy)]
enum Poll {
    /// `wirestate_ws_conn_poll_event` until `NONE`.
    One,
    /// `wirestate_ws_conn_poll_events` into an array of this many.
    Batch(usize),
}

/// The exported functions the C loop calls in its hot loop, as opaque
/// function pointers: a C program calls them across the library boundary,
/// so they must not inline into the loop here (as they would, being in the
/// same crate), nor the core's functions through them.
struct Api {
    send_binary: extern "C" fn(*mut wirestate_ws_conn, *const u8, usize) -> wirestate_result,
    pending_output:
        extern "C" fn(*const wirestate_ws_conn, *mut *const u8, *mut usize) -> wirestate_result,
    receive_data: extern "C" fn(*mut wirestate_ws_conn, *const u8, usize) -> wirestate_result,
    consume_output: extern "C" fn(*mut wirestate_ws_conn, usize) -> wirestate_result,
    poll_event: extern "C" fn(*mut wirestate_ws_conn, *mut wirestate_ws_event) -> wirestate_result,
    poll_events: extern "C" fn(
        *mut wirestate_ws_conn,
        *mut wirestate_ws_event,
        usize,
        *mut usize,
    ) -> wirestate_result,
}

impl Api {
    fn get() -> Api {
        black_box(Api {
            send_binary: wirestate_ws_conn_send_binary,
            pending_output: wirestate_ws_conn_pending_output,
            receive_data: wirestate_ws_conn_receive_data,
            consume_output: wirestate_ws_conn_consume_output,
            poll_event: wirestate_ws_conn_poll_event,
            poll_events: wirestate_ws_conn_poll_events,
        })
    }

    /// Moves the bytes `from` has queued to `to` (inlined, like the Rust
    /// loop's three calls and like `pump` in examples/c/ws_overhead.c).
    #[inline(always)]
    fn pump(&self, from: *mut wirestate_ws_conn, to: *mut wirestate_ws_conn) {
        let (mut data, mut len) = (ptr::null(), 0usize);
        ok((self.pending_output)(from, &mut data, &mut len));
        ok((self.receive_data)(to, data, len));
        ok((self.consume_output)(from, len));
    }
}

/// `n` messages through the exported C functions, `burst` per transport read.
#[inline(never)]
fn c_loop(n: u64, burst: u64, poll: Poll) -> f64 {
    let api = Api::get();
    let mut cfg = ptr::null_mut();
    ok(wirestate_ws_config_new(&mut cfg));
    ok(wirestate_ws_config_set_host(cfg, c"localhost".as_ptr(), 9));
    let (mut client, mut server) = (ptr::null_mut(), ptr::null_mut());
    ok(wirestate_ws_conn_new_client(
        cfg,
        SEED.as_ptr(),
        &mut client,
    ));
    ok(wirestate_ws_conn_new_server(cfg, &mut server));
    wirestate_ws_config_free(cfg);
    let mut ev = wirestate_ws_event {
        kind: wirestate_ws_event_kind::None,
        message_kind: crate::ws::wirestate_ws_message_kind::Binary,
        data: ptr::null(),
        len: 0,
        code: 0,
        status: 0,
        clean: false,
        first: false,
        last: false,
        total: 0,
    };
    api.pump(client, server);
    ok(wirestate_ws_conn_poll_event(server, &mut ev));
    ok(wirestate_ws_conn_accept(
        server,
        ptr::null(),
        0,
        ptr::null(),
        0,
    ));
    api.pump(server, client);
    loop {
        ok(wirestate_ws_conn_poll_event(client, &mut ev));
        if ev.kind == wirestate_ws_event_kind::None {
            break;
        }
    }
    let msg = [0x5au8; 16];
    let mut batch = [ev; 64];
    let start = Instant::now();
    let mut got = 0u64;
    for _ in 0..n / burst {
        for _ in 0..burst {
            ok((api.send_binary)(client, msg.as_ptr(), msg.len()));
        }
        api.pump(client, server);
        match poll {
            Poll::One => loop {
                ok((api.poll_event)(server, &mut ev));
                match ev.kind {
                    wirestate_ws_event_kind::None => break,
                    wirestate_ws_event_kind::Binary => got += black_box(ev.len) as u64,
                    _ => {}
                }
            },
            Poll::Batch(cap) => loop {
                let mut written = 0;
                ok((api.poll_events)(
                    server,
                    batch.as_mut_ptr(),
                    cap,
                    &mut written,
                ));
                for e in &batch[..written] {
                    if e.kind == wirestate_ws_event_kind::Binary {
                        got += black_box(e.len) as u64;
                    }
                }
                // A batch short of `cap` that did not end with a handshake
                // event or CLOSED leaves nothing pending.
                if written < cap {
                    break;
                }
            },
        }
    }
    let sent = n / burst * burst;
    let ns = start.elapsed_ns() as f64 / sent as f64;
    assert_eq!(got, 16 * sent);
    wirestate_ws_conn_free(client);
    wirestate_ws_conn_free(server);
    ns
}

/// One of the loops [`compare`] times.
#[derive(Clone, Copy)]
enum Loop {
    /// [`rust_loop`].
    Rust(RustPoll),
    /// [`c_loop`].
    C(Poll),
}

/// Runs the Rust loops and the C loops for one burst size, interleaved,
/// `rounds` times; prints the best and the median of each and, for each C
/// loop, how much slower it is than the Rust loop that takes its events
/// the same way: best against best, median against median, and the median
/// of the ratios between runs of the same round.
fn compare(n: u64, burst: u64, rounds: usize) {
    // (name, loop, the loop it is compared with)
    let loops: [(&str, Loop, usize); 5] = [
        (
            "core, poll_event until None",
            Loop::Rust(RustPoll::UntilNone),
            0,
        ),
        (
            "core, while has_pending_event",
            Loop::Rust(RustPoll::WhilePending),
            0,
        ),
        ("C API, poll_event until NONE", Loop::C(Poll::One), 0),
        (
            "C API, poll_events (batch of 64)",
            Loop::C(Poll::Batch(64)),
            1,
        ),
        // Not a C loop: the core's own batch poll, which the C API's two
        // poll functions call, for comparison with them.
        (
            "core, poll_events (batch of 64)",
            Loop::Rust(RustPoll::Batch),
            4,
        ),
    ];
    let run = |l: Loop, n| match l {
        Loop::Rust(poll) => rust_loop(n, burst, poll),
        Loop::C(p) => c_loop(n, burst, p),
    };
    for (_, l, _) in loops {
        run(l, n);
    }
    let mut times = [const { Vec::new() }; 5];
    for round in 0..rounds {
        // Each loop goes first in turn, so that none always runs in the
        // wake of the same one.
        for k in 0..loops.len() {
            let i = (round + k) % loops.len();
            times[i].push(run(loops[i].1, n));
        }
    }
    // Paired: a round's runs follow each other closely, so a slow spell of
    // the machine hits the numerator and the denominator alike.
    let paired = |i: usize, vs: usize| {
        let mut r: Vec<f64> = (0..rounds).map(|k| times[i][k] / times[vs][k]).collect();
        r.sort_by(f64::total_cmp);
        r[rounds / 2]
    };
    let ratios: Vec<(f64, f64)> = (0..loops.len())
        .map(|i| (paired(i, loops[i].2), paired(i, 0)))
        .collect();
    let c_vs_core_batch = paired(3, 4);
    for t in &mut times {
        t.sort_by(f64::total_cmp);
    }
    let best = |i: usize| times[i][0];
    let median = |i: usize| times[i][rounds / 2];
    let pct = |x: f64| (x - 1.0) * 100.0;
    println!(
        "16-byte messages, {burst} per transport read, {n} per run, {rounds} runs \
         (thread CPU time): best, median ns/message; against the core loop taking \
         events the same way: best, median, paired"
    );
    for (i, (name, _, vs)) in loops.iter().enumerate() {
        let against = if i == *vs {
            String::new()
        } else {
            format!(
                "   {:+6.1} % {:+6.1} % {:+6.1} %",
                pct(best(i) / best(*vs)),
                pct(median(i) / median(*vs)),
                pct(ratios[i].0)
            )
        };
        println!("  {name:34} {:6.1} {:6.1}{against}", best(i), median(i));
    }
    println!(
        "  (C poll_events against the poll_event-until-None core loop: paired {:+.1} %; \
         against the core's poll_events: paired {:+.1} %)",
        pct(ratios[3].1),
        pct(c_vs_core_batch)
    );
}

#[test]
#[ignore = "a measurement: run with --release -- --ignored --nocapture overhead"]
fn overhead() {
    let n: u64 = std::env::var("WIRESTATE_OVERHEAD_MESSAGES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50_000);
    let rounds: usize = std::env::var("WIRESTATE_OVERHEAD_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(101)
        .max(1);
    // Many short runs, the loops alternating, so that noise hits all alike.
    compare(n, 1, rounds);
    compare(n, 16, rounds);
}
