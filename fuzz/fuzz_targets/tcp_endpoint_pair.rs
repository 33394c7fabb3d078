//! Two endpoints over a link the input controls. A connects to B's
//! listener; each application writes a stream chosen by the input (one way
//! or both ways) in input-chosen pieces, reads in input-chosen pieces, and
//! closes once everything is written. Every packet either end sends takes
//! the next fate from the input: delivered, dropped, duplicated, delayed
//! (which reorders it), or corrupted. Once the fates run out the link is
//! perfect, and the clock runs on until both ends are done.
//!
//! A corrupted packet is delivered only if its real checksums still
//! verify: fuzzing builds skip checksum verification in the core, and a
//! receiver that takes a flipped byte cannot deliver the right bytes, so
//! the link plays the part of the check here. (Garbage reaching the state
//! machine is `tcp_connection`'s job.)
//!
//! Asserts, besides the per-step checks of `tcp_connection` on both ends:
//! - the bytes each end read are exactly the bytes the other wrote: in
//!   order, nothing lost, nothing twice;
//! - both connections end CLOSED (gone) or in TIME-WAIT, each end having
//!   seen the other's FIN, with no `Reset` or `TimedOut`;
//! - the run never stalls (nothing in flight and no timer armed while
//!   unfinished) and ends within a bounded number of steps.
#![no_main]

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::SocketAddr;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use wirestate::tcp::{ConnId, Endpoint};
use wirestate::time::{Duration, Instant};
use wirestate::wire::{ChecksumMode, IpProtocol, IpRepr, Ipv4Packet, TcpPacket};
use wirestate_fuzz::tcp::{
    addresses, check_endpoint, done, drain_output, pattern, EventLog, Knobs, PACKET_BUF,
};

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Fate {
    Deliver,
    Drop,
    Duplicate,
    /// Extra delay of `4 · n` ms.
    Delay(u8),
    Corrupt {
        at: u16,
        xor: u8,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    knobs: Knobs,
    ipv6: bool,
    secret: u8,
    /// One-way delay in ms.
    latency: u8,
    /// Stream lengths (bytes) and the seeds of their contents.
    a_len: u16,
    a_seed: Vec<u8>,
    b_len: u16,
    b_seed: Vec<u8>,
    /// B writes nothing (one-way transfer).
    one_way: bool,
    /// B closes only after A's FIN (CLOSE-WAIT, LAST-ACK) instead of as
    /// soon as it has written everything.
    b_waits: bool,
    /// Sizes of the application's writes and reads (32 bytes to 8 KiB),
    /// cycled.
    writes: Vec<u16>,
    reads: Vec<u16>,
    fates: Vec<Fate>,
}

/// Most loop rounds, and the most virtual time, before the run counts as
/// not finishing.
const MAX_ROUNDS: usize = 200_000;
const MAX_TIME: Duration = Duration::from_secs(4 * 3600);

/// Packets on their way: (arrival, order) → (to B?, bytes).
struct Link {
    queue: BinaryHeap<Reverse<(Instant, u64, bool, Vec<u8>)>>,
    order: u64,
    latency: Duration,
    fates: Vec<Fate>,
    next_fate: usize,
}

impl Link {
    fn send(&mut self, now: Instant, to_b: bool, mut packet: Vec<u8>) {
        let fate = match self.fates.get(self.next_fate) {
            Some(f) => {
                self.next_fate += 1;
                *f
            }
            None => Fate::Deliver,
        };
        let at = now + self.latency;
        match fate {
            Fate::Deliver => self.push(at, to_b, packet),
            Fate::Drop => {}
            Fate::Duplicate => {
                self.push(at, to_b, packet.clone());
                self.push(at + Duration::from_micros(10), to_b, packet);
            }
            Fate::Delay(n) => self.push(at + Duration::from_millis(4 * u64::from(n)), to_b, packet),
            Fate::Corrupt { at: pos, xor } => {
                if packet.is_empty() {
                    return;
                }
                let i = usize::from(pos) % packet.len();
                packet[i] ^= xor.max(1);
                if checksums_hold(&packet) {
                    self.push(at, to_b, packet);
                }
            }
        }
    }

    fn push(&mut self, at: Instant, to_b: bool, packet: Vec<u8>) {
        self.order += 1;
        self.queue.push(Reverse((at, self.order, to_b, packet)));
    }

    fn next(&self) -> Option<Instant> {
        self.queue.peek().map(|Reverse((at, ..))| *at)
    }

    fn pop_due(&mut self, now: Instant) -> Option<(bool, Vec<u8>)> {
        if self.next()? > now {
            return None;
        }
        let Reverse((_, _, to_b, p)) = self.queue.pop()?;
        Some((to_b, p))
    }
}

/// Whether a receiver verifying checksums would accept `packet` (or drop
/// it for some other reason anyway).
fn checksums_hold(packet: &[u8]) -> bool {
    let Ok((ip, segment)) = IpRepr::parse(packet, ChecksumMode::FULL) else {
        return true;
    };
    if let IpRepr::V4(_) = ip {
        if let Ok(view) = Ipv4Packet::new_checked(packet) {
            if !view.verify_checksum() {
                return false;
            }
        }
    }
    if ip.protocol() != IpProtocol::TCP {
        return true;
    }
    match TcpPacket::new_checked(segment) {
        Ok(view) => view.verify_checksum(ip.src_addr(), ip.dst_addr()),
        Err(_) => true,
    }
}

/// One end's application.
struct App {
    name: &'static str,
    ep: Endpoint,
    log: EventLog,
    id: Option<ConnId>,
    out: Vec<u8>,
    written: usize,
    got: Vec<u8>,
    closed: bool,
    waits_for_fin: bool,
    writes: Vec<u16>,
    reads: Vec<u16>,
    turn: usize,
}

impl App {
    fn size(list: &[u16], turn: usize, default: usize) -> usize {
        match list.get(turn % list.len().max(1)) {
            // At least 32 bytes: one-byte pieces of 64 KiB streams only
            // make runs slow.
            Some(&n) => usize::from(n % 8192).max(32),
            None => default,
        }
    }

    /// One round of the application: a write, a read, and the close.
    /// Returns whether it did something that may have more to follow.
    fn act(&mut self, now: Instant) -> bool {
        let Some(id) = self.id else {
            return false;
        };
        self.turn += 1;
        let mut busy = false;
        if self.written < self.out.len() {
            let n = Self::size(&self.writes, self.turn, 4096).min(self.out.len() - self.written);
            if let Ok(taken) = self.ep.send(id, &self.out[self.written..self.written + n]) {
                assert!(taken <= n);
                self.written += taken;
                busy |= taken > 0;
            }
        }
        let n = Self::size(&self.reads, self.turn, 4096);
        let mut buf = vec![0u8; n];
        if let Ok(got) = self.ep.recv(id, &mut buf) {
            self.got.extend_from_slice(&buf[..got]);
            busy |= got > 0;
        }
        let fin_seen = self.log.finished.contains(&id);
        if !self.closed && self.written == self.out.len() && (!self.waits_for_fin || fin_seen) {
            if self.ep.close(id, now).is_ok() {
                self.closed = true;
                busy = true;
            }
        }
        busy
    }
}

fuzz_target!(|input: Input| {
    let mut config = input.knobs.config();
    let c = &mut config.connection;
    // Nothing may give up while the input's faults last: every end-to-end
    // failure must then be a bug.
    c.user_timeout = None;
    c.keepalive = None;
    c.fin_wait2_timeout = None;
    c.syn_retries = 100_000;
    c.synack_retries = 100_000;
    c.max_retransmissions = 100_000;
    let (a_addr, b_addr): (SocketAddr, SocketAddr) = addresses(input.ipv6);
    let secret = [input.secret; 16];
    let mut a = App {
        name: "A",
        ep: Endpoint::new(config.clone(), secret).unwrap(),
        log: EventLog::default(),
        id: None,
        out: (0..usize::from(input.a_len))
            .map(|i| pattern(&input.a_seed, i))
            .collect(),
        written: 0,
        got: Vec::new(),
        closed: false,
        waits_for_fin: false,
        writes: input.writes.clone(),
        reads: input.reads.clone(),
        turn: 0,
    };
    let b_len = if input.one_way {
        0
    } else {
        usize::from(input.b_len)
    };
    let mut b = App {
        name: "B",
        ep: Endpoint::new(config, secret.map(|x| !x)).unwrap(),
        log: EventLog::default(),
        id: None,
        out: (0..b_len).map(|i| pattern(&input.b_seed, i)).collect(),
        written: 0,
        got: Vec::new(),
        closed: false,
        waits_for_fin: input.b_waits,
        writes: input.reads.clone(),
        reads: input.writes.clone(),
        turn: 3,
    };
    let mut link = Link {
        queue: BinaryHeap::new(),
        order: 0,
        latency: Duration::from_millis(u64::from(input.latency) + 1),
        fates: input.fates.iter().take(2048).copied().collect(),
        next_fate: 0,
    };
    let mut buf = vec![0u8; PACKET_BUF];
    let start = Instant::from_secs(1);
    let mut now = start;
    b.ep.listen(b_addr).unwrap();
    a.id = Some(a.ep.connect(now, a_addr, b_addr).unwrap());

    let mut rounds = 0;
    loop {
        rounds += 1;
        assert!(
            rounds < MAX_ROUNDS,
            "no end after {rounds} rounds at {now:?}"
        );
        assert!(
            now.saturating_duration_since(start) < MAX_TIME,
            "no end after {MAX_TIME:?} of virtual time"
        );
        let mut busy = false;
        // Deliver what is due, draining both ends after each packet as a
        // real driver does.
        while let Some((to_b, p)) = link.pop_due(now) {
            let app = if to_b { &mut b } else { &mut a };
            app.ep.handle_packet(now, &p);
            for app in [&mut a, &mut b] {
                app.log.drain(app.name, &mut app.ep);
                for p in drain_output(app.name, &mut app.ep, now, &mut buf) {
                    link.send(now, app.name == "A", p);
                }
            }
            busy = true;
        }
        for app in [&mut a, &mut b] {
            app.ep.handle_timeout(now);
            app.log.drain(app.name, &mut app.ep);
            if app.id.is_none() {
                app.id = app.log.incoming.first().copied();
            }
            busy |= app.act(now);
            app.log.drain(app.name, &mut app.ep);
            for p in drain_output(app.name, &mut app.ep, now, &mut buf) {
                link.send(now, app.name == "A", p);
            }
            let max = 4;
            check_endpoint(app.name, &mut app.ep, now, max);
        }
        for app in [&a, &b] {
            if let Some(id) = app.id {
                assert!(
                    !app.log.failed.contains(&id),
                    "{}: connection reset or timed out",
                    app.name
                );
            }
        }
        let finished = [&a, &b].iter().all(|app| {
            app.id.is_some_and(|id| {
                app.closed
                    && done(&app.ep, id)
                    && app.ep.connection(id).is_none_or(|c| c.readable() == 0)
            })
        });
        if finished {
            break;
        }
        if busy {
            continue;
        }
        let next = [link.next(), a.ep.poll_timeout(), b.ep.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        match next {
            Some(t) => now = now.max(t),
            None => panic!(
                "stalled at {now:?}: nothing in flight, no timer; A {:?} wrote {}/{} read {}, B {:?} wrote {}/{} read {}",
                a.id.and_then(|id| a.ep.state(id)),
                a.written,
                a.out.len(),
                a.got.len(),
                b.id.and_then(|id| b.ep.state(id)),
                b.written,
                b.out.len(),
                b.got.len()
            ),
        }
    }
    // Drain what is left to read (a closed connection lingers until read).
    assert_eq!(
        b.got.len(),
        a.out.len(),
        "B read {} of the {} bytes A wrote",
        b.got.len(),
        a.out.len()
    );
    assert!(b.got == a.out, "B read other bytes than A wrote");
    assert_eq!(
        a.got.len(),
        b.out.len(),
        "A read {} of the {} bytes B wrote",
        a.got.len(),
        b.out.len()
    );
    assert!(a.got == b.out, "A read other bytes than B wrote");
    for app in [&a, &b] {
        let id = app.id.unwrap();
        assert!(
            app.log.finished.contains(&id),
            "{}: never saw the peer's FIN",
            app.name
        );
    }
});
