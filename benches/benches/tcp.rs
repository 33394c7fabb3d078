//! TCP benchmarks: wirestate's endpoint and smoltcp driving the same
//! workloads in the same groups, on the same virtual clock, in memory.
//!
//! - `tcp_bulk_mtu1500/*`: one connection moving 8 MiB one way, IP packets
//!   handed straight from one end to the other, checksums computed and
//!   verified on both ends, 256 KiB buffers, application reads as data
//!   arrives. The memcpy entry copies the same bytes once, for scale.
//! - `tcp_bulk_64k/*`: the same with a 64 KiB MTU (large segments, as over a
//!   TUN device or loopback).
//! - `tcp_open_close/*`: a full connection lifetime per iteration:
//!   three-way handshake, FIN both ways, down to TIME-WAIT and CLOSED, with
//!   4 KiB buffers on both stacks.
//!
//! Throughput is reported in bytes of stream data; divide the segment count
//! printed at start-up into the time for ns per segment.

use std::collections::VecDeque;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use smoltcp::iface::{Config as SConfig, Interface, SocketHandle, SocketSet};
use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::socket::tcp as stcp;
use smoltcp::time::Instant as SInstant;
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr};
use wirestate::tcp::{Config, ConnId, Endpoint, EndpointConfig, Event};
use wirestate::time::{Duration, Instant};

const BULK: usize = 8 << 20;
const BUFFER: usize = 256 << 10;
/// Buffers for the open+close group: a connection that carries nothing
/// should not pay for zeroing large buffers (smoltcp's are allocated whole).
const SMALL_BUFFER: usize = 4 << 10;
const A_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const B_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
const PORT: u16 = 5001;

fn pattern() -> Vec<u8> {
    (0..64 << 10).map(|i: usize| (i * 31 + 7) as u8).collect()
}

// ----- wirestate ---------------------------------------------------------

struct WPair {
    a: Endpoint,
    b: Endpoint,
    now: Instant,
    pkt: Vec<u8>,
    segments: u64,
}

impl WPair {
    fn new(mtu: usize, buffer: usize) -> WPair {
        let config = EndpointConfig {
            connection: Config {
                mtu,
                send_buffer: buffer,
                recv_buffer: buffer,
                ..Config::default()
            },
            ..EndpointConfig::default()
        };
        let mut b = Endpoint::new(config.clone(), [2; 16]).expect("config");
        b.listen(SocketAddr::new(IpAddr::V4(B_IP), PORT))
            .expect("listen");
        WPair {
            a: Endpoint::new(config, [1; 16]).expect("config"),
            b,
            now: Instant::from_secs(1),
            pkt: vec![0; mtu.max(1500)],
            segments: 0,
        }
    }

    /// Moves every packet each way once; returns whether any moved.
    fn exchange(&mut self) -> bool {
        let mut moved = false;
        while let Some(t) = self.a.poll_transmit(self.now, &mut self.pkt) {
            self.b.handle_packet(self.now, &self.pkt[..t.len]);
            self.segments += 1;
            moved = true;
        }
        while let Some(t) = self.b.poll_transmit(self.now, &mut self.pkt) {
            self.a.handle_packet(self.now, &self.pkt[..t.len]);
            self.segments += 1;
            moved = true;
        }
        moved
    }

    fn tick(&mut self) {
        self.now += Duration::from_micros(10);
        for ep in [&mut self.a, &mut self.b] {
            if ep.poll_timeout().is_some_and(|t| t <= self.now) {
                ep.handle_timeout(self.now);
            }
        }
    }

    /// Opens a connection from `port`; returns both ends' ids.
    fn open(&mut self, port: u16) -> (ConnId, ConnId) {
        let ca = self
            .a
            .connect(
                self.now,
                SocketAddr::new(IpAddr::V4(A_IP), port),
                SocketAddr::new(IpAddr::V4(B_IP), PORT),
            )
            .expect("connect");
        let mut cb = None;
        let mut connected = false;
        while cb.is_none() || !connected {
            self.exchange();
            while let Some((id, e)) = self.a.poll_event() {
                connected |= id == ca && e == Event::Connected;
            }
            while let Some((id, e)) = self.b.poll_event() {
                if let Event::Incoming { .. } = e {
                    cb = Some(id);
                }
            }
        }
        (ca, cb.expect("incoming"))
    }

    /// Sends `total` bytes a → b; returns the bytes read at b.
    fn bulk(&mut self, ca: ConnId, cb: ConnId, total: usize, src: &[u8], sink: &mut [u8]) -> usize {
        let (mut sent, mut got) = (0, 0);
        while got < total {
            while sent < total {
                let off = sent % src.len();
                let end = src.len().min(off + (total - sent));
                let n = self.a.send(ca, &src[off..end]).expect("send");
                if n == 0 {
                    break;
                }
                sent += n;
            }
            self.exchange();
            loop {
                let n = self.b.recv(cb, sink).expect("recv");
                if n == 0 {
                    break;
                }
                got += n;
            }
            self.exchange();
            while self.a.poll_event().is_some() {}
            while self.b.poll_event().is_some() {}
            self.tick();
        }
        got
    }

    /// Closes both ends and runs until both have let go.
    fn close(&mut self, ca: ConnId, cb: ConnId) {
        self.a.close(ca, self.now).expect("close");
        self.exchange();
        self.b.close(cb, self.now).expect("close");
        while self.exchange() {}
        while self.a.poll_event().is_some() {}
        while self.b.poll_event().is_some() {}
    }
}

// ----- smoltcp -----------------------------------------------------------

/// A packet queue as a smoltcp device: transmit appends to `tx`, receive
/// pops from `rx`.
struct Queue {
    rx: VecDeque<Vec<u8>>,
    tx: VecDeque<Vec<u8>>,
    mtu: usize,
}

struct Rx(Vec<u8>);
struct Tx<'a>(&'a mut VecDeque<Vec<u8>>);

impl phy::RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut p = vec![0; len];
        let r = f(&mut p);
        self.0.push_back(p);
        r
    }
}

impl Device for Queue {
    type RxToken<'a> = Rx;
    type TxToken<'a> = Tx<'a>;

    fn receive(&mut self, _: SInstant) -> Option<(Rx, Tx<'_>)> {
        let p = self.rx.pop_front()?;
        Some((Rx(p), Tx(&mut self.tx)))
    }

    fn transmit(&mut self, _: SInstant) -> Option<Tx<'_>> {
        Some(Tx(&mut self.tx))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ip;
        caps.max_transmission_unit = self.mtu;
        caps
    }
}

struct SEnd {
    iface: Interface,
    dev: Queue,
    sockets: SocketSet<'static>,
    buffer: usize,
}

impl SEnd {
    fn new(ip: Ipv4Addr, mtu: usize, buffer: usize, now: SInstant) -> SEnd {
        let mut dev = Queue {
            rx: VecDeque::new(),
            tx: VecDeque::new(),
            mtu,
        };
        let mut iface = Interface::new(SConfig::new(HardwareAddress::Ip), &mut dev, now);
        iface.update_ip_addrs(|a| {
            a.push(IpCidr::new(IpAddress::Ipv4(ip), 24)).expect("addr");
        });
        SEnd {
            iface,
            dev,
            sockets: SocketSet::new(Vec::new()),
            buffer,
        }
    }

    fn add_socket(&mut self) -> SocketHandle {
        let s = stcp::Socket::new(
            stcp::SocketBuffer::new(vec![0; self.buffer]),
            stcp::SocketBuffer::new(vec![0; self.buffer]),
        );
        self.sockets.add(s)
    }

    fn poll(&mut self, now: SInstant) {
        self.iface.poll(now, &mut self.dev, &mut self.sockets);
    }

    fn tcp(&mut self, h: SocketHandle) -> &mut stcp::Socket<'static> {
        self.sockets.get_mut::<stcp::Socket>(h)
    }
}

struct SPair {
    a: SEnd,
    b: SEnd,
    now: u64,
    segments: u64,
}

impl SPair {
    fn new(mtu: usize, buffer: usize) -> SPair {
        let now = SInstant::from_micros(1_000_000);
        SPair {
            a: SEnd::new(A_IP, mtu, buffer, now),
            b: SEnd::new(B_IP, mtu, buffer, now),
            now: 1_000_000,
            segments: 0,
        }
    }

    fn exchange(&mut self) -> bool {
        let now = SInstant::from_micros(self.now as i64);
        let mut moved = false;
        self.a.poll(now);
        while let Some(p) = self.a.dev.tx.pop_front() {
            self.b.dev.rx.push_back(p);
            self.segments += 1;
            moved = true;
        }
        self.b.poll(now);
        while let Some(p) = self.b.dev.tx.pop_front() {
            self.a.dev.rx.push_back(p);
            self.segments += 1;
            moved = true;
        }
        self.a.poll(now);
        moved
    }

    fn open(&mut self, port: u16) -> (SocketHandle, SocketHandle) {
        let hb = self.b.add_socket();
        self.b.tcp(hb).listen(PORT).expect("listen");
        let ha = self.a.add_socket();
        let cx = self.a.iface.context();
        self.a
            .sockets
            .get_mut::<stcp::Socket>(ha)
            .connect(cx, (IpAddress::Ipv4(B_IP), PORT), port)
            .expect("connect");
        while !(self.a.tcp(ha).may_send() && self.b.tcp(hb).may_recv()) {
            self.exchange();
        }
        (ha, hb)
    }

    fn bulk(
        &mut self,
        ha: SocketHandle,
        hb: SocketHandle,
        total: usize,
        src: &[u8],
        sink: &mut [u8],
    ) -> usize {
        let (mut sent, mut got) = (0, 0);
        while got < total {
            while sent < total {
                let off = sent % src.len();
                let end = src.len().min(off + (total - sent));
                let n = self.a.tcp(ha).send_slice(&src[off..end]).expect("send");
                if n == 0 {
                    break;
                }
                sent += n;
            }
            self.exchange();
            loop {
                let n = self.b.tcp(hb).recv_slice(sink).expect("recv");
                if n == 0 {
                    break;
                }
                got += n;
            }
            self.exchange();
            self.now += 10;
        }
        got
    }

    fn close(&mut self, ha: SocketHandle, hb: SocketHandle) {
        self.a.tcp(ha).close();
        self.exchange();
        self.b.tcp(hb).close();
        while self.exchange() {}
        self.a.sockets.remove(ha);
        self.b.sockets.remove(hb);
    }
}

// ----- groups ------------------------------------------------------------

fn bulk(c: &mut Criterion, name: &str, mtu: usize) {
    let src = pattern();
    let mut sink = vec![0u8; 64 << 10];
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(BULK as u64));
    g.sample_size(20);

    // Segment counts for one transfer, for ns per segment.
    let mut w = WPair::new(mtu, BUFFER);
    let (ca, cb) = w.open(40000);
    w.segments = 0;
    w.bulk(ca, cb, BULK, &src, &mut sink);
    let mut s = SPair::new(mtu, BUFFER);
    let (ha, hb) = s.open(40000);
    s.segments = 0;
    s.bulk(ha, hb, BULK, &src, &mut sink);
    eprintln!(
        "{name}: packets per {BULK} bytes: wirestate {}, smoltcp {}",
        w.segments, s.segments
    );

    g.bench_function(BenchmarkId::new("wirestate", mtu), |b| {
        b.iter(|| assert_eq!(w.bulk(ca, cb, BULK, &src, &mut sink), BULK));
    });
    g.bench_function(BenchmarkId::new("smoltcp", mtu), |b| {
        b.iter(|| assert_eq!(s.bulk(ha, hb, BULK, &src, &mut sink), BULK));
    });
    g.bench_function(BenchmarkId::new("memcpy", mtu), |b| {
        let big: Vec<u8> = src.iter().copied().cycle().take(BULK).collect();
        let mut dst = vec![0u8; BULK];
        b.iter(|| {
            dst.copy_from_slice(black_box(&big));
            black_box(&dst);
        });
    });
    g.finish();
}

fn bulk_mtu1500(c: &mut Criterion) {
    bulk(c, "tcp_bulk_mtu1500", 1500);
}

fn bulk_64k(c: &mut Criterion) {
    bulk(c, "tcp_bulk_64k", 65535);
}

fn open_close(c: &mut Criterion) {
    let mut g = c.benchmark_group("tcp_open_close");
    g.throughput(Throughput::Elements(1));
    // The pairs outlive the samples: criterion runs the closure below once
    // per sample, and pairs made inside it would start every sample empty,
    // so that no sample of a short run reached the port wrap (64,512
    // cycles) and its TIME-WAIT expiry, and short and long runs measured
    // different things.
    let mut w = WPair::new(1500, SMALL_BUFFER);
    let mut w_port = 1024u16;
    g.bench_function("wirestate", |b| {
        b.iter(|| {
            w_port = if w_port == u16::MAX {
                // Every port is in TIME-WAIT: let the clock run past it.
                w.now += Duration::from_secs(61);
                w.a.handle_timeout(w.now);
                w.b.handle_timeout(w.now);
                1024
            } else {
                w_port + 1
            };
            let (ca, cb) = w.open(w_port);
            w.close(ca, cb);
        });
    });
    let mut s = SPair::new(1500, SMALL_BUFFER);
    let mut s_port = 1024u16;
    g.bench_function("smoltcp", |b| {
        b.iter(|| {
            s_port = if s_port == u16::MAX { 1024 } else { s_port + 1 };
            let (ha, hb) = s.open(s_port);
            s.close(ha, hb);
        });
    });
    g.finish();
}

criterion_group!(benches, bulk_mtu1500, bulk_64k, open_close);
criterion_main!(benches);
