//! WebSocket benchmarks: wirestate, tungstenite and fastwebsockets on the
//! same bytes, in memory, in the same criterion groups (fastwebsockets runs on
//! a current-thread tokio runtime over an in-memory stream).
//!
//! - `ws_recv_binary/*`, `ws_recv_text/*`: a server receiving client-masked
//!   messages of 16 B to 1 MiB, fed in 64 KiB reads, every event consumed.
//!   Text is mixed UTF-8 (ASCII, 2-, 3- and 4-byte sequences) and every frame
//!   carries a fresh payload, so no validation result can be reused.
//! - `ws_send_binary/*`: a server queueing messages and handing the bytes out.
//! - `ws_mask/*`: unmasking 1 MiB against a plain copy.

use std::hint::black_box;
use std::io::{self, Read, Write};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tungstenite::protocol::{Role as TRole, WebSocket, WebSocketConfig};
use wirestate::ws::{Config, Connection, Event};

const READ_CHUNK: usize = 64 << 10;
const SIZES: [usize; 4] = [16, 1 << 10, 64 << 10, 1 << 20];

/// A client-masked frame.
fn masked_frame(opcode: u8, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
    let mut v = vec![0x80 | opcode];
    match payload.len() {
        n @ 0..=125 => v.push(0x80 | n as u8),
        n @ 126..=65535 => {
            v.push(0x80 | 126);
            v.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            v.push(0x80 | 127);
            v.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    v.extend_from_slice(&key);
    v.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    v
}

/// Mixed UTF-8 of exactly `len` bytes, different for every `seed`.
fn mixed_text(len: usize, seed: usize) -> Vec<u8> {
    const PIECES: [&str; 6] = ["abc ", "é", "中", "😀", "ñu ", "κό"];
    let mut s = Vec::with_capacity(len + 4);
    let mut i = seed;
    while s.len() < len {
        let p = PIECES[i % PIECES.len()].as_bytes();
        if s.len() + p.len() > len {
            s.push(b'x');
        } else {
            s.extend_from_slice(p);
        }
        i = i.wrapping_mul(31).wrapping_add(7);
    }
    s
}

/// How many messages of `size` make about 1 MiB (at least one).
fn batch_count(size: usize) -> usize {
    ((1 << 20) / size.max(1)).max(1)
}

/// A batch of masked frames of `size`, text or binary, fresh payload each.
fn batch(size: usize, text: bool) -> Vec<u8> {
    let n = batch_count(size);
    let mut out = Vec::new();
    for i in 0..n {
        let key = [(i * 7) as u8, 0x5a, (i >> 8) as u8, 0xc3];
        if text {
            out.extend(masked_frame(0x1, &mixed_text(size, i), key));
        } else {
            let payload: Vec<u8> = (0..size).map(|j| (i + j * 13) as u8).collect();
            out.extend(masked_frame(0x2, &payload, key));
        }
    }
    out
}

fn open_server() -> Connection {
    let mut s = Connection::server(Config {
        max_message_size: 64 << 20,
        max_frame_size: 64 << 20,
        ..Config::default()
    });
    s.receive_data(
        b"GET / HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    while s.poll_event().is_some() {}
    s.accept(None, &[]).expect("accept");
    let _ = s.data_to_send();
    s
}

/// Feeds `bytes` in 64 KiB reads, consuming every event; returns messages seen.
fn wirestate_receive(conn: &mut Connection, bytes: &[u8]) -> usize {
    let mut n = 0;
    for chunk in bytes.chunks(READ_CHUNK) {
        conn.receive_data(chunk);
        while let Some(e) = conn.poll_event() {
            match e {
                Event::Binary(b) => {
                    black_box(b);
                }
                Event::Text(t) => {
                    black_box(t);
                }
                other => panic!("unexpected {other:?}"),
            }
            n += 1;
        }
    }
    n
}

/// An endless in-memory stream that replays `data`, at most 64 KiB per read,
/// and swallows writes.
struct Replay {
    data: Vec<u8>,
    pos: usize,
}

impl Read for Replay {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(READ_CHUNK).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        if self.pos == self.data.len() {
            self.pos = 0;
        }
        Ok(n)
    }
}

impl Write for Replay {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl tokio::io::AsyncRead for Replay {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        let this = &mut *self;
        let n = buf
            .remaining()
            .min(READ_CHUNK)
            .min(this.data.len() - this.pos);
        buf.put_slice(&this.data[this.pos..this.pos + n]);
        this.pos += n;
        if this.pos == this.data.len() {
            this.pos = 0;
        }
        std::task::Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for Replay {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<io::Result<usize>> {
        std::task::Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

fn tungstenite_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(64 << 20))
        .max_frame_size(Some(64 << 20))
}

fn bench_receive(c: &mut Criterion, text: bool) {
    let name = if text {
        "ws_recv_text"
    } else {
        "ws_recv_binary"
    };
    let mut g = c.benchmark_group(name);
    for size in SIZES {
        let bytes = batch(size, text);
        let count = batch_count(size);
        g.throughput(Throughput::Bytes((size * count) as u64));
        g.bench_with_input(BenchmarkId::new("wirestate", size), &bytes, |b, bytes| {
            let mut conn = open_server();
            b.iter(|| assert_eq!(wirestate_receive(&mut conn, bytes), count));
        });
        g.bench_with_input(BenchmarkId::new("tungstenite", size), &bytes, |b, bytes| {
            let stream = Replay {
                data: bytes.clone(),
                pos: 0,
            };
            let mut ws =
                WebSocket::from_raw_socket(stream, TRole::Server, Some(tungstenite_config()));
            b.iter(|| {
                for _ in 0..count {
                    black_box(ws.read().expect("tungstenite read"));
                }
            });
        });
        g.bench_with_input(
            BenchmarkId::new("fastwebsockets", size),
            &bytes,
            |b, bytes| {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .expect("runtime");
                let stream = Replay {
                    data: bytes.clone(),
                    pos: 0,
                };
                let mut ws = fastwebsockets::WebSocket::after_handshake(
                    stream,
                    fastwebsockets::Role::Server,
                );
                ws.set_max_message_size(64 << 20);
                ws.set_auto_pong(false);
                ws.set_auto_close(false);
                let mut ws = fastwebsockets::FragmentCollector::new(ws);
                b.iter(|| {
                    rt.block_on(async {
                        for _ in 0..count {
                            let frame = ws.read_frame().await.expect("fastwebsockets read");
                            black_box(frame.payload.len());
                        }
                    })
                });
            },
        );
    }
    g.finish();
}

fn recv_binary(c: &mut Criterion) {
    bench_receive(c, false);
}

fn recv_text(c: &mut Criterion) {
    bench_receive(c, true);
}

fn send_binary(c: &mut Criterion) {
    let mut g = c.benchmark_group("ws_send_binary");
    for size in SIZES {
        let payload: Vec<u8> = (0..size).map(|i| i as u8).collect();
        let count = batch_count(size);
        g.throughput(Throughput::Bytes((size * count) as u64));
        g.bench_function(BenchmarkId::new("wirestate", size), |b| {
            let mut conn = open_server();
            b.iter(|| {
                for _ in 0..count {
                    conn.send_binary(&payload).expect("send");
                    let n = conn.pending_output().len();
                    black_box(conn.pending_output());
                    conn.consume_output(n);
                }
            });
        });
        g.bench_function(BenchmarkId::new("tungstenite", size), |b| {
            let stream = Replay {
                data: vec![0],
                pos: 0,
            };
            let mut ws =
                WebSocket::from_raw_socket(stream, TRole::Server, Some(tungstenite_config()));
            let msg = tungstenite::Message::Binary(payload.clone().into());
            b.iter(|| {
                for _ in 0..count {
                    ws.send(msg.clone()).expect("send");
                }
            });
        });
    }
    g.finish();
}

fn mask(c: &mut Criterion) {
    let mut g = c.benchmark_group("ws_mask");
    let src: Vec<u8> = (0..1 << 20).map(|i| i as u8).collect();
    g.throughput(Throughput::Bytes(src.len() as u64));
    g.bench_function("unmask_in_place_1MiB", |b| {
        let mut buf = src.clone();
        b.iter(|| wirestate::ws::mask::apply_mask(black_box(&mut buf), [1, 2, 3, 4], 1));
    });
    g.bench_function("unmask_copy_1MiB", |b| {
        let mut dst = Vec::with_capacity(src.len());
        b.iter(|| {
            dst.clear();
            wirestate::ws::mask::extend_masked(&mut dst, black_box(&src), [1, 2, 3, 4], 0);
            black_box(&dst);
        });
    });
    g.bench_function("unmask_copy_into_1MiB", |b| {
        let mut dst = vec![0u8; src.len()];
        b.iter(|| {
            wirestate::ws::mask::copy_masked(&mut dst, black_box(&src), [1, 2, 3, 4], 0);
            black_box(&dst);
        });
    });
    g.bench_function("copy_from_slice_1MiB", |b| {
        let mut dst = vec![0u8; src.len()];
        b.iter(|| {
            dst.copy_from_slice(black_box(&src));
            black_box(&dst);
        });
    });
    g.finish();
}

criterion_group!(benches, recv_binary, recv_text, send_binary, mask);
criterion_main!(benches);
