//! `tcp_sim`: two wirestate TCP endpoints over the simulated link, on a
//! virtual clock.
//!
//! A client at 10.0.0.1 connects to a listener at 10.0.0.2, sends `--bytes`
//! bytes (and, with `--both`, the server sends as many back), both sides
//! close, and the program prints the virtual time taken, the goodput and the
//! retransmission counters. Every received byte is checked against the
//! pattern that was sent; a mismatch, a reset or a stall exits non-zero.
//! Nothing sleeps: a lossy minute of transfer runs in a fraction of a second.
//!
//! ```text
//! cargo run --release --features sim --example tcp_sim -- \
//!     --bytes 10000000 --loss 0.01 --delay 20 --rate 100 --both
//! ```

#[path = "support/args.rs"]
mod args;

use std::process::ExitCode;

use wirestate::sim::{Direction, Link, LinkConfig, Pair, SimRng};
use wirestate::tcp::{Config, ConnId, Endpoint, EndpointConfig, Event, State, Stats};
use wirestate::time::{Duration, Instant};

use args::{float, millis, num, prob};

const USAGE: &str = "\
usage: tcp_sim [options]
  --bytes N          bytes the client sends (default 1000000)
  --both             the server sends N bytes back as well
  --loss P           probability a packet is lost, each way (0..1)
  --delay MS         one-way delay in milliseconds (default 10)
  --jitter MS        extra random delay up to MS
  --reorder P        probability a packet is held back and overtaken
  --reorder-delay MS how long a reordered packet is held (default 5)
  --duplicate P      probability a packet is delivered twice
  --corrupt P        probability a byte of a packet is flipped
  --rate MBIT        bandwidth in Mbit/s (default unlimited)
  --queue BYTES      bottleneck queue (default 256 KiB)
  --mtu N            IP MTU (default 1500)
  --newreno          NewReno instead of CUBIC
  --no-timestamps    leave the timestamp option out (RFC 7323)
  --seed N           seed for the link and the data (default 1)
  --max-time S       give up after S virtual seconds (default 3600)
  --quiet            print only the summary line";

struct Options {
    bytes: u64,
    both: bool,
    link: LinkConfig,
    mtu: usize,
    newreno: bool,
    timestamps: bool,
    seed: u64,
    max_time: f64,
    quiet: bool,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        bytes: 1_000_000,
        both: false,
        link: LinkConfig {
            latency: Duration::from_millis(10),
            reorder_delay: Duration::from_millis(5),
            queue_limit: 256 * 1024,
            ..LinkConfig::default()
        },
        mtu: 1500,
        newreno: false,
        timestamps: true,
        seed: 1,
        max_time: 3600.0,
        quiet: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--bytes" => o.bytes = num(&value("--bytes")?)?,
            "--both" => o.both = true,
            "--loss" => o.link.loss = prob(&value("--loss")?)?,
            "--delay" => o.link.latency = millis(&value("--delay")?)?,
            "--jitter" => o.link.jitter = millis(&value("--jitter")?)?,
            "--reorder" => o.link.reorder = prob(&value("--reorder")?)?,
            "--reorder-delay" => o.link.reorder_delay = millis(&value("--reorder-delay")?)?,
            "--duplicate" => o.link.duplicate = prob(&value("--duplicate")?)?,
            "--corrupt" => o.link.corrupt = prob(&value("--corrupt")?)?,
            "--rate" => {
                let mbit: f64 = float(&value("--rate")?)?;
                if mbit <= 0.0 {
                    return Err("--rate must be positive".into());
                }
                o.link.bandwidth = Some((mbit * 1e6 / 8.0) as u64);
            }
            "--queue" => o.link.queue_limit = num(&value("--queue")?)? as usize,
            "--mtu" => o.mtu = num(&value("--mtu")?)? as usize,
            "--newreno" => o.newreno = true,
            "--no-timestamps" => o.timestamps = false,
            "--seed" => o.seed = num(&value("--seed")?)?,
            "--max-time" => o.max_time = float(&value("--max-time")?)?,
            "--quiet" => o.quiet = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(o)
}

/// The byte stream one side sends: position `i` of stream `key` is a pure
/// function of both, so the receiver checks bytes as they arrive without
/// keeping a copy.
struct Pattern {
    key: u64,
}

impl Pattern {
    fn fill(&self, offset: u64, out: &mut [u8]) {
        let mut pos = offset;
        let mut rest = out;
        while !rest.is_empty() {
            let block = SimRng::new(self.key ^ (pos / 8).wrapping_mul(0x9e37_79b9_7f4a_7c15))
                .next_u64()
                .to_le_bytes();
            let skip = (pos % 8) as usize;
            let n = (8 - skip).min(rest.len());
            rest[..n].copy_from_slice(&block[skip..skip + n]);
            rest = &mut rest[n..];
            pos += n as u64;
        }
    }
}

/// One direction of the transfer: what was sent, what arrived and checked.
struct Stream {
    pattern: Pattern,
    total: u64,
    sent: u64,
    received: u64,
    /// FNV-1a over the received bytes, printed so two runs can be compared.
    digest: u64,
    mismatch: Option<u64>,
    done_at: Option<Instant>,
}

impl Stream {
    fn new(key: u64, total: u64) -> Stream {
        Stream {
            pattern: Pattern { key },
            total,
            sent: 0,
            received: 0,
            digest: 0xcbf2_9ce4_8422_2325,
            mismatch: None,
            done_at: if total == 0 {
                Some(Instant::ZERO)
            } else {
                None
            },
        }
    }

    /// Sends as much as the connection takes.
    fn push(&mut self, ep: &mut Endpoint, id: ConnId, scratch: &mut [u8]) {
        while self.sent < self.total {
            let room = ep.connection(id).map_or(0, |c| c.writable());
            let n = scratch
                .len()
                .min(room)
                .min((self.total - self.sent) as usize);
            if n == 0 {
                break;
            }
            self.pattern.fill(self.sent, &mut scratch[..n]);
            let taken = ep.send(id, &scratch[..n]).unwrap_or(0);
            self.sent += taken as u64;
            if taken < n {
                break;
            }
        }
    }

    /// Reads what arrived and checks it.
    fn pull(
        &mut self,
        ep: &mut Endpoint,
        id: ConnId,
        now: Instant,
        buf: &mut [u8],
        expect: &mut [u8],
    ) {
        loop {
            let n = match ep.recv(id, buf) {
                Ok(n) if n > 0 => n,
                _ => break,
            };
            let n_expect = n.min(expect.len());
            self.pattern.fill(self.received, &mut expect[..n_expect]);
            for (i, &b) in buf[..n].iter().enumerate() {
                self.digest = (self.digest ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
                if self.mismatch.is_none()
                    && (self.received + i as u64 >= self.total || expect[i] != b)
                {
                    self.mismatch = Some(self.received + i as u64);
                }
            }
            self.received += n as u64;
            if self.received >= self.total && self.done_at.is_none() {
                self.done_at = Some(now);
            }
        }
    }
}

/// What one endpoint's application saw.
#[derive(Default)]
struct Side {
    id: Option<ConnId>,
    closed: bool,
    peer_finished: bool,
    fin_sent: bool,
    failure: Option<Event>,
    stats: Stats,
}

impl Side {
    fn events(&mut self, ep: &mut Endpoint) {
        while let Some((id, ev)) = ep.poll_event() {
            match ev {
                Event::Incoming { .. } => self.id = Some(id),
                Event::PeerFinished => self.peer_finished = true,
                Event::Closed => self.closed = true,
                Event::Reset | Event::TimedOut => self.failure = Some(ev),
                _ => {}
            }
        }
        if let Some(s) = self.id.and_then(|id| ep.stats(id)) {
            self.stats = s;
        }
    }

    /// Our FIN goes once everything we had to send is queued.
    fn maybe_close(&mut self, ep: &mut Endpoint, now: Instant, stream: &Stream) {
        if self.fin_sent || stream.sent < stream.total {
            return;
        }
        let Some(id) = self.id else { return };
        if matches!(ep.state(id), Some(State::Established | State::CloseWait)) {
            self.fin_sent = ep.close(id, now).is_ok();
        }
    }
}

/// Sends everything `ep` has to say into the link.
fn drain(ep: &mut Endpoint, link: &mut Link, now: Instant, dir: Direction, buf: &mut [u8]) -> bool {
    let mut any = false;
    while let Some(t) = ep.poll_transmit(now, buf) {
        link.send(now, dir, buf[..t.len].to_vec());
        any = true;
    }
    any
}

/// One round of the simulation, like [`Pair::step`] but draining an
/// endpoint after every packet it is given, as a real driver does: fed a
/// whole batch first, an endpoint answers it with a single ACK.
fn step(pair: &mut Pair, buf: &mut [u8]) -> bool {
    let now = pair.now;
    let mut moved = false;
    pair.a.handle_timeout(now);
    pair.b.handle_timeout(now);
    moved |= drain(&mut pair.a, &mut pair.link, now, Direction::AToB, buf);
    moved |= drain(&mut pair.b, &mut pair.link, now, Direction::BToA, buf);
    while let Some(p) = pair.link.poll_receive(now, Direction::AToB) {
        pair.b.handle_packet(now, &p);
        drain(&mut pair.b, &mut pair.link, now, Direction::BToA, buf);
        moved = true;
    }
    while let Some(p) = pair.link.poll_receive(now, Direction::BToA) {
        pair.a.handle_packet(now, &p);
        drain(&mut pair.a, &mut pair.link, now, Direction::AToB, buf);
        moved = true;
    }
    if moved {
        return true;
    }
    let next = [
        pair.a.poll_timeout(),
        pair.b.poll_timeout(),
        pair.link.poll_timeout(),
    ]
    .into_iter()
    .flatten()
    .min();
    match next {
        Some(t) => {
            pair.now = pair.now.max(t);
            true
        }
        None => false,
    }
}

fn main() -> ExitCode {
    let o = match parse_args() {
        Ok(o) => o,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("tcp_sim: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let config = EndpointConfig {
        connection: Config {
            mtu: o.mtu,
            timestamps: o.timestamps,
            congestion: if o.newreno {
                wirestate::tcp::CongestionAlgorithm::NewReno
            } else {
                wirestate::tcp::CongestionAlgorithm::Cubic
            },
            // Under heavy loss a backed-off RTO can outlast Linux's
            // FIN-WAIT-2 limit; the example waits as RFC 9293 allows.
            fin_wait2_timeout: None,
            ..Config::default()
        },
        ..EndpointConfig::default()
    };
    let client = match Endpoint::new(config.clone(), (o.seed as u128).to_le_bytes()) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("tcp_sim: bad configuration: {e:?}");
            return ExitCode::from(2);
        }
    };
    let server = Endpoint::new(config, (!(o.seed as u128)).to_le_bytes()).expect("validated above");
    let mut pair = Pair::new(client, server, Link::new(o.link.clone(), o.seed));
    let (caddr, saddr) = (
        "10.0.0.1:40000".parse().unwrap(),
        "10.0.0.2:5001".parse().unwrap(),
    );
    pair.b.listen(saddr).expect("fresh endpoint");
    let cid = pair
        .a
        .connect(pair.now, caddr, saddr)
        .expect("valid addresses");

    let mut up = Stream::new(o.seed.wrapping_mul(3) + 1, o.bytes);
    let mut down = Stream::new(o.seed.wrapping_mul(5) + 2, if o.both { o.bytes } else { 0 });
    let mut a = Side {
        id: Some(cid),
        ..Side::default()
    };
    let mut b = Side::default();
    let (mut scratch, mut buf, mut expect) = (
        vec![0u8; 64 * 1024],
        vec![0u8; 64 * 1024],
        vec![0u8; 64 * 1024],
    );
    let limit = Instant::from_secs_f64(o.max_time);
    let mut connected_at = None;
    let wall = std::time::Instant::now();
    let mut packet = vec![0u8; 65_600];

    let stalled = loop {
        // Client application.
        a.events(&mut pair.a);
        if connected_at.is_none() && pair.a.state(cid) == Some(State::Established) {
            connected_at = Some(pair.now);
        }
        up.push(&mut pair.a, cid, &mut scratch);
        down.pull(&mut pair.a, cid, pair.now, &mut buf, &mut expect);
        a.maybe_close(&mut pair.a, pair.now, &up);
        // Server application.
        b.events(&mut pair.b);
        if let Some(id) = b.id {
            down.push(&mut pair.b, id, &mut scratch);
            up.pull(&mut pair.b, id, pair.now, &mut buf, &mut expect);
            if b.peer_finished || o.both {
                b.maybe_close(&mut pair.b, pair.now, &down);
            }
        }
        if (a.closed && b.closed) || a.failure.is_some() || b.failure.is_some() {
            break false;
        }
        if pair.now > limit {
            break true;
        }
        if !step(&mut pair, &mut packet) {
            // Nothing left to happen: the last step's events decide.
            a.events(&mut pair.a);
            b.events(&mut pair.b);
            break !(a.closed && b.closed);
        }
    };

    let secs = |t: Option<Instant>| t.map_or(f64::NAN, |t| t.as_secs_f64());
    let start = connected_at.unwrap_or(Instant::ZERO);
    let goodput = |s: &Stream| match s.done_at {
        Some(t) if s.total > 0 => {
            let d = t.saturating_duration_since(start).as_secs_f64();
            if d > 0.0 {
                s.total as f64 / d
            } else {
                f64::INFINITY
            }
        }
        _ => 0.0,
    };
    let link_up = pair.link.stats(Direction::AToB);
    let link_down = pair.link.stats(Direction::BToA);
    if !o.quiet {
        println!(
            "link: delay {:?}, loss {}, reorder {}, duplicate {}, corrupt {}, rate {}",
            o.link.latency,
            o.link.loss,
            o.link.reorder,
            o.link.duplicate,
            o.link.corrupt,
            o.link.bandwidth.map_or("unlimited".into(), |r| format!(
                "{} Mbit/s",
                r as f64 * 8.0 / 1e6
            )),
        );
        println!(
            "link A->B: {} sent, {} lost, {} queue drops, {} reordered, {} duplicated, {} corrupted",
            link_up.sent,
            link_up.lost,
            link_up.queue_drops,
            link_up.reordered,
            link_up.duplicated,
            link_up.corrupted
        );
        println!(
            "link B->A: {} sent, {} lost, {} queue drops, {} reordered, {} duplicated, {} corrupted",
            link_down.sent,
            link_down.lost,
            link_down.queue_drops,
            link_down.reordered,
            link_down.duplicated,
            link_down.corrupted
        );
        for (name, side) in [("client", &a), ("server", &b)] {
            let s = &side.stats;
            println!(
                "{name}: {} segments sent, {} retransmitted ({} bytes), {} RTOs, {} fast retransmits, {} responses undone, {} dup ACKs, {} tail loss probes ({} repaired), {} lost retransmissions, reordering {}, srtt {:?}, cwnd {}",
                s.segments_sent,
                s.retransmits,
                s.bytes_retransmitted,
                s.timeouts,
                s.fast_retransmits,
                s.undos,
                s.dup_acks,
                s.tail_loss_probes,
                s.tail_loss_recoveries,
                s.lost_retransmissions,
                s.reordering,
                s.srtt,
                s.cwnd
            );
        }
        println!(
            "client->server: {} of {} bytes, done at {:.3} s virtual, goodput {:.2} Mbit/s, digest {:016x}",
            up.received,
            up.total,
            secs(up.done_at),
            goodput(&up) * 8.0 / 1e6,
            up.digest
        );
        if o.both {
            println!(
                "server->client: {} of {} bytes, done at {:.3} s virtual, goodput {:.2} Mbit/s, digest {:016x}",
                down.received,
                down.total,
                secs(down.done_at),
                goodput(&down) * 8.0 / 1e6,
                down.digest
            );
        }
        println!(
            "closed at {:.3} s virtual (TIME-WAIT included), {:.3} s wall",
            pair.now.as_secs_f64(),
            wall.elapsed().as_secs_f64()
        );
    }

    let mut problems = Vec::new();
    for (name, s) in [("client->server", &up), ("server->client", &down)] {
        if let Some(at) = s.mismatch {
            problems.push(format!("{name}: wrong byte at offset {at}"));
        } else if s.received != s.total {
            problems.push(format!(
                "{name}: {} of {} bytes arrived",
                s.received, s.total
            ));
        }
    }
    for (name, side) in [("client", &a), ("server", &b)] {
        if let Some(ev) = side.failure {
            problems.push(format!("{name}: {ev:?}"));
        } else if !side.closed {
            problems.push(format!("{name}: not closed"));
        }
    }
    if stalled {
        problems.push(format!(
            "stopped at {:.3} s virtual",
            pair.now.as_secs_f64()
        ));
    }
    if problems.is_empty() {
        println!(
            "tcp_sim: OK {} bytes{} verified in {:.3} s virtual",
            o.bytes,
            if o.both { " each way" } else { "" },
            secs(up.done_at.max(down.done_at))
        );
        ExitCode::SUCCESS
    } else {
        for p in &problems {
            eprintln!("tcp_sim: FAIL {p}");
        }
        ExitCode::FAILURE
    }
}
