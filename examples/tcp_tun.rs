//! `tcp_tun` (Linux): a wirestate TCP endpoint on a TUN device, so the
//! kernel's own TCP is the peer.
//!
//! The program attaches to a TUN device (`--dev`, created if missing), reads
//! IP packets from it into an [`Endpoint`], and writes the endpoint's packets
//! back, in a poll(2) loop whose timeout comes from `poll_timeout`. Give the
//! device an address and bring it up with `ip`, then:
//!
//! ```text
//! ip addr add 10.77.0.1/24 dev wst0 && ip link set wst0 up
//! tcp_tun --dev wst0 --listen 10.77.0.2:7 --echo          # kernel clients connect to it
//! tcp_tun --dev wst0 --connect 10.77.0.1:5001 --file F     # sends F to a kernel server
//! ```
//!
//! Listener modes: `--echo` sends everything back, `--discard` drops it,
//! `--source N` sends N bytes (byte i is i mod 251) and closes. `--connect` sends the
//! file (or standard input), half-closes, and reads until the peer closes;
//! `--output` saves what came back and `--verify-echo` checks it equals what
//! was sent.
//!
//! `--loss`, `--delay`, `--reorder` and `--duplicate` impair both directions
//! inside this loop (a seeded [`Link`] between the device and the endpoint),
//! so no kernel queueing discipline is needed.

#[path = "support/args.rs"]
mod args;
#[cfg(target_os = "linux")]
#[path = "support/tun.rs"]
mod tun;
#[cfg(target_os = "linux")]
#[path = "support/tun_wire.rs"]
mod tun_wire;

use args::{addr, millis, num, prob};

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use wirestate::sim::LinkConfig;
use wirestate::time::Duration;

/// The `--help` text.
const USAGE: &str = include_str!("support/tcp_tun_usage.txt");

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Echo,
    Discard,
    Source(u64),
}

struct Options {
    dev: String,
    listen: Option<SocketAddr>,
    connect: Option<SocketAddr>,
    mode: Option<Mode>,
    local: IpAddr,
    local_port: u16,
    file: Option<String>,
    output: Option<String>,
    verify_echo: bool,
    count: u64,
    link: LinkConfig,
    seed: u64,
    mtu: usize,
    msl: Duration,
    buffer: usize,
    ranges: usize,
    timestamps: bool,
    time_limit: Option<Duration>,
    trace: bool,
    quiet: bool,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        dev: "wst0".into(),
        listen: None,
        connect: None,
        mode: None,
        local: "10.77.0.2".parse().unwrap(),
        local_port: 40_000 + (std::process::id() % 20_000) as u16,
        file: None,
        output: None,
        verify_echo: false,
        count: 0,
        link: LinkConfig {
            reorder_delay: Duration::from_millis(3),
            // Room for a whole window of delayed packets.
            queue_limit: 64 << 20,
            ..LinkConfig::default()
        },
        seed: 1,
        mtu: 1500,
        msl: Duration::from_millis(500),
        buffer: 4 << 20,
        ranges: 32,
        timestamps: true,
        time_limit: None,
        trace: false,
        quiet: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--dev" => o.dev = value("--dev")?,
            "--listen" => o.listen = Some(addr(&value("--listen")?)?),
            "--connect" => o.connect = Some(addr(&value("--connect")?)?),
            "--echo" => o.mode = Some(Mode::Echo),
            "--discard" => o.mode = Some(Mode::Discard),
            "--source" => o.mode = Some(Mode::Source(num(&value("--source")?)?)),
            "--local" => {
                let v = value("--local")?;
                o.local = v.parse().map_err(|_| format!("not an IP address: {v:?}"))?;
            }
            "--local-port" => {
                o.local_port = u16::try_from(num(&value("--local-port")?)?)
                    .map_err(|_| "port out of range".to_string())?
            }
            "--file" => o.file = Some(value("--file")?),
            "--output" => o.output = Some(value("--output")?),
            "--verify-echo" => o.verify_echo = true,
            "--count" => o.count = num(&value("--count")?)?,
            "--loss" => o.link.loss = prob(&value("--loss")?)?,
            "--delay" => o.link.latency = millis(&value("--delay")?)?,
            "--reorder" => o.link.reorder = prob(&value("--reorder")?)?,
            "--reorder-delay" => o.link.reorder_delay = millis(&value("--reorder-delay")?)?,
            "--duplicate" => o.link.duplicate = prob(&value("--duplicate")?)?,
            "--seed" => o.seed = num(&value("--seed")?)?,
            "--mtu" => o.mtu = num(&value("--mtu")?)? as usize,
            "--msl" => o.msl = millis(&value("--msl")?)?,
            "--buffer" => o.buffer = num(&value("--buffer")?)? as usize,
            "--ranges" => o.ranges = num(&value("--ranges")?)? as usize,
            "--no-timestamps" => o.timestamps = false,
            "--time-limit" => o.time_limit = Some(millis(&value("--time-limit")?)? * 1000),
            "--trace" => o.trace = true,
            "--quiet" => o.quiet = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    match (o.listen, o.connect) {
        (Some(_), None) if o.mode.is_none() => {
            Err("--listen needs --echo, --discard or --source".into())
        }
        (Some(_), None) | (None, Some(_)) => Ok(o),
        _ => Err("give exactly one of --listen and --connect".into()),
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
            eprintln!("tcp_tun: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    run(o)
}

#[cfg(not(target_os = "linux"))]
fn run(_: Options) -> ExitCode {
    eprintln!("tcp_tun: TUN devices are Linux-only here; try the tcp_sim example");
    ExitCode::FAILURE
}

#[cfg(target_os = "linux")]
fn run(o: Options) -> ExitCode {
    match linux::run(&o) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("tcp_tun: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::collections::BTreeMap;
    use std::io::{self, Read, Write};
    use std::time::Instant as WallClock;

    use super::tun::Tun;
    use super::tun_wire::Wire;
    use super::{Mode, Options};
    use wirestate::sim::Link;
    use wirestate::tcp::{Config, ConnId, Endpoint, EndpointConfig, Event, State, Stats};
    use wirestate::time::Instant;

    /// One connection the application serves or drives.
    #[derive(Default)]
    struct App {
        /// Bytes received and not yet echoed.
        pending: Vec<u8>,
        pending_at: usize,
        /// Bytes still to send in `--source` mode.
        source_left: u64,
        source_sent: u64,
        bytes_in: u64,
        bytes_out: u64,
        peer_finished: bool,
        fin_sent: bool,
        connected_at: Option<Instant>,
        finished_at: Option<Instant>,
        failure: Option<Event>,
        stats: Stats,
    }

    /// Echo stops reading while this much waits to be sent back, so a peer
    /// that does not read its echo meets flow control, not our memory.
    const ECHO_LIMIT: usize = 4 << 20;

    /// What `--source` sends: byte `i` is `i % 251`, so a peer can check
    /// it without a copy (251 is prime: no alignment hides a shifted
    /// segment).
    fn pattern_byte(pos: u64) -> u8 {
        (pos % 251) as u8
    }

    pub fn run(o: &Options) -> io::Result<bool> {
        let tun = Tun::open(&o.dev).map_err(|e| {
            io::Error::new(e.kind(), format!("opening TUN device {:?}: {e}", o.dev))
        })?;
        let impaired = o.link.loss > 0.0
            || o.link.reorder > 0.0
            || o.link.duplicate > 0.0
            || !o.link.latency.is_zero();
        let mut secret = [0u8; 16];
        std::fs::File::open("/dev/urandom")?.read_exact(&mut secret)?;
        let config = EndpointConfig {
            connection: Config {
                mtu: o.mtu,
                msl: o.msl,
                // 4 MiB buffers by default: room for the window a fast
                // local path wants.
                send_buffer: o.buffer,
                recv_buffer: o.buffer,
                max_reassembly_ranges: o.ranges,
                timestamps: o.timestamps,
                ..Config::default()
            },
            ..EndpointConfig::default()
        };
        let mut ep = Endpoint::new(config, secret)
            .map_err(|e| io::Error::other(format!("configuration: {e:?}")))?;
        let mut wire = Wire {
            tun,
            link: impaired.then(|| Link::new(o.link.clone(), o.seed)),
            trace: o.trace,
            start: WallClock::now(),
            buf: vec![0u8; 65_536],
            out: vec![0u8; 65_536],
            packets_in: 0,
            packets_out: 0,
        };
        if !o.quiet {
            eprintln!(
                "tcp_tun: on {} ({}), impairments: loss {} delay {:?} reorder {} duplicate {}",
                wire.tun.name(),
                if let Some(a) = o.listen {
                    format!("listening on {a}")
                } else {
                    format!("connecting to {}", o.connect.unwrap())
                },
                o.link.loss,
                o.link.latency,
                o.link.reorder,
                o.link.duplicate
            );
        }
        let deadline = o.time_limit.map(|d| wire.now() + d);
        if let Some(addr) = o.listen {
            ep.listen(addr)
                .map_err(|e| io::Error::other(format!("listen: {e}")))?;
            serve(o, &mut ep, &mut wire, deadline)
        } else {
            client(o, &mut ep, &mut wire, deadline)
        }
    }

    fn report(o: &Options, what: &str, app: &App) {
        if o.quiet && app.failure.is_none() {
            return;
        }
        let secs = match (app.connected_at, app.finished_at) {
            (Some(a), Some(b)) => b.saturating_duration_since(a).as_secs_f64(),
            _ => f64::NAN,
        };
        let rate = |n: u64| n as f64 / secs / 1e6;
        let s = &app.stats;
        println!(
            "{what}: {} bytes in ({:.1} MB/s), {} bytes out ({:.1} MB/s) in {secs:.3} s; {} segments sent, \
             {} retransmitted ({} bytes), {} RTOs, {} fast retransmits, {} responses undone, {} dup ACKs, \
             {} tail loss probes ({} repaired), {} lost retransmissions, reordering {}, srtt {:?}, cwnd {}{}",
            app.bytes_in,
            rate(app.bytes_in),
            app.bytes_out,
            rate(app.bytes_out),
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
            s.cwnd,
            app.failure
                .map_or(String::new(), |f| format!(", ended by {f:?}"))
        );
    }

    /// Applies the events of the endpoint to the apps; returns the ids of
    /// connections that ended.
    fn events(
        ep: &mut Endpoint,
        apps: &mut BTreeMap<ConnId, App>,
        now: Instant,
        mode: Option<Mode>,
    ) -> Vec<ConnId> {
        let mut ended = Vec::new();
        while let Some((id, ev)) = ep.poll_event() {
            match ev {
                Event::Incoming { .. } | Event::Connected => {
                    let app = apps.entry(id).or_default();
                    app.connected_at = Some(now);
                    if let Some(Mode::Source(n)) = mode {
                        app.source_left = n;
                    }
                }
                Event::PeerFinished => {
                    if let Some(app) = apps.get_mut(&id) {
                        app.peer_finished = true;
                    }
                }
                Event::Reset | Event::TimedOut => {
                    if let Some(app) = apps.get_mut(&id) {
                        app.failure = Some(ev);
                    }
                }
                Event::Closed => ended.push(id),
                _ => {}
            }
        }
        for id in &ended {
            if let Some(app) = apps.get_mut(id) {
                app.finished_at.get_or_insert(now);
            }
        }
        ended
    }

    /// Moves application data for one served connection. Returns whether
    /// anything moved.
    fn serve_one(
        ep: &mut Endpoint,
        id: ConnId,
        app: &mut App,
        mode: Mode,
        now: Instant,
        buf: &mut [u8],
    ) -> bool {
        let mut moved = false;
        // Read.
        loop {
            if mode == Mode::Echo && app.pending.len() - app.pending_at >= ECHO_LIMIT {
                break;
            }
            let n = match ep.recv(id, buf) {
                Ok(n) if n > 0 => n,
                _ => break,
            };
            moved = true;
            app.bytes_in += n as u64;
            if mode == Mode::Echo {
                if app.pending_at == app.pending.len() {
                    app.pending.clear();
                    app.pending_at = 0;
                }
                app.pending.extend_from_slice(&buf[..n]);
            }
        }
        // Write.
        match mode {
            Mode::Echo => {
                while app.pending_at < app.pending.len() {
                    let n = ep.send(id, &app.pending[app.pending_at..]).unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    moved = true;
                    app.pending_at += n;
                    app.bytes_out += n as u64;
                }
                if app.pending_at > (1 << 20) {
                    app.pending.drain(..app.pending_at);
                    app.pending_at = 0;
                }
            }
            Mode::Source(_) => {
                while app.source_left > 0 {
                    let chunk = buf.len().min(app.source_left as usize);
                    for (i, b) in buf[..chunk].iter_mut().enumerate() {
                        *b = pattern_byte(app.source_sent + i as u64);
                    }
                    let n = ep.send(id, &buf[..chunk]).unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    moved = true;
                    app.source_left -= n as u64;
                    app.source_sent += n as u64;
                    app.bytes_out += n as u64;
                }
            }
            Mode::Discard => {}
        }
        let done_sending = match mode {
            Mode::Echo => {
                app.peer_finished
                    && app.pending_at == app.pending.len()
                    && ep.connection(id).is_some_and(|c| c.readable() == 0)
            }
            Mode::Discard => app.peer_finished,
            Mode::Source(_) => app.source_left == 0,
        };
        if done_sending
            && !app.fin_sent
            && matches!(ep.state(id), Some(State::Established | State::CloseWait))
        {
            app.fin_sent = ep.close(id, now).is_ok();
            moved = true;
        }
        if let Some(s) = ep.stats(id) {
            app.stats = s;
        }
        moved
    }

    fn serve(
        o: &Options,
        ep: &mut Endpoint,
        wire: &mut Wire,
        deadline: Option<Instant>,
    ) -> io::Result<bool> {
        let mode = o.mode.expect("checked by the parser");
        let mut apps: BTreeMap<ConnId, App> = BTreeMap::new();
        let mut buf = vec![0u8; 256 * 1024];
        let (mut served, mut failed) = (0u64, 0u64);
        loop {
            let mut moved = wire.receive(ep)?;
            let now = wire.now();
            for id in events(ep, &mut apps, now, Some(mode)) {
                if let Some(app) = apps.remove(&id) {
                    served += 1;
                    failed += u64::from(app.failure.is_some());
                    report(o, &format!("connection {id}"), &app);
                }
            }
            for (&id, app) in apps.iter_mut() {
                moved |= serve_one(ep, id, app, mode, now, &mut buf);
            }
            moved |= wire.transmit(ep)?;
            if o.count > 0 && served >= o.count {
                break;
            }
            if deadline.is_some_and(|d| wire.now() >= d) {
                eprintln!(
                    "tcp_tun: time limit reached with {} connections open",
                    apps.len()
                );
                return Ok(false);
            }
            if !moved {
                wire.wait(ep, deadline)?;
            }
        }
        Ok(failed == 0)
    }

    fn client(
        o: &Options,
        ep: &mut Endpoint,
        wire: &mut Wire,
        deadline: Option<Instant>,
    ) -> io::Result<bool> {
        let remote = o.connect.expect("checked by the parser");
        let mut input = Vec::new();
        match &o.file {
            Some(path) => {
                std::fs::File::open(path)?.read_to_end(&mut input)?;
            }
            None => {
                io::stdin().lock().read_to_end(&mut input)?;
            }
        }
        let mut output: Option<Box<dyn Write>> = match o.output.as_deref() {
            None => None,
            Some("-") => Some(Box::new(io::BufWriter::new(io::stdout().lock()))),
            Some(path) => Some(Box::new(io::BufWriter::new(std::fs::File::create(path)?))),
        };
        let local = std::net::SocketAddr::new(o.local, o.local_port);
        let started = wire.now();
        let id = ep
            .connect(started, local, remote)
            .map_err(|e| io::Error::other(format!("connect: {e}")))?;
        let mut apps = BTreeMap::new();
        let mut app = App::default();
        let mut buf = vec![0u8; 256 * 1024];
        let mut mismatch: Option<u64> = None;
        let mut ended = false;
        let mut received_all_at = None;
        while !ended {
            let mut moved = wire.receive(ep)?;
            let now = wire.now();
            apps.insert(id, std::mem::take(&mut app));
            ended = !events(ep, &mut apps, now, None).is_empty();
            app = apps.remove(&id).unwrap_or_default();
            // Send.
            if app.connected_at.is_some() {
                while (app.bytes_out as usize) < input.len() {
                    let n = ep.send(id, &input[app.bytes_out as usize..]).unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    moved = true;
                    app.bytes_out += n as u64;
                }
                if app.bytes_out as usize == input.len() && !app.fin_sent {
                    app.fin_sent = ep.close(id, now).is_ok();
                    moved = true;
                }
            }
            // Receive.
            loop {
                let n = match ep.recv(id, &mut buf) {
                    Ok(n) if n > 0 => n,
                    _ => break,
                };
                moved = true;
                let data = &buf[..n];
                if o.verify_echo && mismatch.is_none() {
                    let at = app.bytes_in as usize;
                    let expect = input.get(at..at + n);
                    if expect != Some(data) {
                        let first = expect.map_or(input.len().max(at) - at, |e| {
                            e.iter().zip(data).take_while(|(a, b)| a == b).count()
                        });
                        mismatch = Some((at + first) as u64);
                    }
                }
                if let Some(out) = output.as_mut() {
                    out.write_all(data)?;
                }
                app.bytes_in += n as u64;
            }
            if app.peer_finished
                && received_all_at.is_none()
                && ep.connection(id).is_none_or(|c| c.readable() == 0)
            {
                received_all_at = Some(now);
            }
            if let Some(s) = ep.stats(id) {
                app.stats = s;
            }
            moved |= wire.transmit(ep)?;
            if deadline.is_some_and(|d| wire.now() >= d) {
                eprintln!("tcp_tun: time limit reached in state {:?}", ep.state(id));
                app.finished_at = Some(wire.now());
                report(o, "client", &app);
                return Ok(false);
            }
            if !moved && !ended {
                wire.wait(ep, deadline)?;
            }
        }
        if let Some(mut out) = output {
            out.flush()?;
        }
        // The transfer ended when the last byte arrived; TIME-WAIT follows.
        if let Some(t) = received_all_at {
            app.finished_at = Some(t);
        }
        report(o, "client", &app);
        if !o.quiet {
            eprintln!(
                "tcp_tun: {} packets in, {} packets out, closed {:.3} s after connecting",
                wire.packets_in,
                wire.packets_out,
                wire.now().saturating_duration_since(started).as_secs_f64()
            );
        }
        let mut ok =
            app.failure.is_none() && app.bytes_out as usize == input.len() && app.peer_finished;
        if o.verify_echo {
            if let Some(at) = mismatch {
                eprintln!("tcp_tun: echo differs from what was sent at byte {at}");
                ok = false;
            } else if app.bytes_in as usize != input.len() {
                eprintln!(
                    "tcp_tun: {} bytes came back of {} sent",
                    app.bytes_in,
                    input.len()
                );
                ok = false;
            } else if !o.quiet {
                eprintln!("tcp_tun: echo verified, {} bytes", app.bytes_in);
            }
        }
        Ok(ok)
    }
}
