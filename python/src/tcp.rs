//! `Endpoint`: the core's TCP endpoint (many connections, IP packets in and
//! out) with Python addresses, `time.monotonic()` seconds and event objects.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use wirestate::tcp::{
    self, CongestionAlgorithm, ConnId, EndpointConfig, EndpointError, Event, Keepalive,
};
use wirestate::time::Instant;

use crate::errors::local as local_error;
use crate::tcp_events::*;

/// Work on more bytes than this runs without holding the GIL.
const DETACH_AT: usize = 64 << 10;

/// Room for one outgoing packet: the largest IP header, the largest TCP
/// header, and the larger of the two MSS values.
fn slot_len(config: &tcp::Config) -> usize {
    let mss = usize::from(config.mss(false).max(config.mss(true)));
    (mss + 40 + 60).max(config.mtu)
}

/// An IP address from a `str` (or anything whose `str()` is one, such as an
/// `ipaddress` object).
fn ip_from(obj: &Bound<'_, PyAny>) -> PyResult<IpAddr> {
    let text = obj.str()?;
    let text = text.to_cow()?;
    let bare = text.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>()
        .map_err(|_| PyValueError::new_err(format!("not an IP address: {text:?}")))
}

/// A socket address from a `(host, port)` tuple (IPv6's four-element tuples
/// are accepted; flow info and scope are ignored).
fn addr_from(obj: &Bound<'_, PyAny>) -> PyResult<SocketAddr> {
    let tuple = obj
        .cast::<PyTuple>()
        .map_err(|_| PyTypeError::new_err("an address is a (host, port) tuple"))?;
    if !(2..=4).contains(&tuple.len()) {
        return Err(PyTypeError::new_err("an address is a (host, port) tuple"));
    }
    let ip = ip_from(&tuple.get_item(0)?)?;
    let port: u16 = tuple
        .get_item(1)?
        .extract()
        .map_err(|_| PyValueError::new_err("a port is an int from 0 to 65535"))?;
    Ok(SocketAddr::new(ip, port))
}

/// `(host, port)` with the host as text.
fn addr_tuple<'py>(py: Python<'py>, addr: SocketAddr) -> PyResult<Bound<'py, PyTuple>> {
    (addr.ip().to_string(), addr.port()).into_pyobject(py)
}

fn secs(name: &str, v: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(v)
        .map_err(|_| PyValueError::new_err(format!("{name} must be non-negative seconds")))
}

fn int_obj(py: Python<'_>, id: ConnId) -> PyResult<Py<PyAny>> {
    Ok(id.0.into_pyobject(py)?.into_any().unbind())
}

/// Turns one core event into its Python object.
fn event_object(py: Python<'_>, id: ConnId, e: Event) -> PyResult<Py<PyAny>> {
    let conn = int_obj(py, id)?;
    Ok(match e {
        Event::Connected => Py::new(py, TcpConnected { conn })?.into_any(),
        Event::Readable => Py::new(py, TcpReadable { conn })?.into_any(),
        Event::Writable => Py::new(py, TcpWritable { conn })?.into_any(),
        Event::PeerFinished => Py::new(py, TcpPeerFinished { conn })?.into_any(),
        Event::Reset => Py::new(py, TcpReset { conn })?.into_any(),
        Event::TimedOut => Py::new(py, TcpTimedOut { conn })?.into_any(),
        Event::Closed => Py::new(py, TcpClosed { conn })?.into_any(),
        Event::Incoming { remote } => Py::new(
            py,
            TcpIncoming {
                conn,
                remote: addr_tuple(py, remote)?.into_any().unbind(),
            },
        )?
        .into_any(),
        Event::StateChanged { from, to } => Py::new(
            py,
            TcpStateChanged {
                conn,
                old: PyString::new(py, from.name()).into_any().unbind(),
                new: PyString::new(py, to.name()).into_any().unbind(),
            },
        )?
        .into_any(),
    })
}

/// One packet (or segment) written into the output arena.
struct Out {
    start: usize,
    len: usize,
    src: SocketAddr,
    dst: SocketAddr,
}

/// Pulls packets (`with_ip`) or bare segments into `arena` until the
/// endpoint has none left or `limit` bytes are there. Returns whether it
/// stopped at the limit.
fn drain(
    ep: &mut tcp::Endpoint,
    now: Instant,
    slot: usize,
    with_ip: bool,
    arena: &mut Vec<u8>,
    out: &mut Vec<Out>,
    limit: usize,
) -> bool {
    loop {
        if arena.len() >= limit {
            return true;
        }
        let start = arena.len();
        arena.resize(start + slot, 0);
        let buf = &mut arena[start..];
        let t = if with_ip {
            ep.poll_transmit(now, buf)
        } else {
            ep.poll_transmit_segment(now, buf)
        };
        match t {
            Some(t) => {
                arena.truncate(start + t.len);
                out.push(Out {
                    start,
                    len: t.len,
                    src: t.src,
                    dst: t.dst,
                });
            }
            None => {
                arena.truncate(start);
                return false;
            }
        }
    }
}

/// The iterator `Endpoint.events()` returns; each step takes the next event.
#[pyclass(name = "EventIterator", module = "wirestate.tcp")]
pub struct TcpEventIterator {
    ep: Py<TcpEndpoint>,
}

#[pymethods]
impl TcpEventIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let mut ep = self.ep.bind(py).try_borrow_mut()?;
        match ep.inner.poll_event() {
            Some((id, e)) => Ok(Some(event_object(py, id, e)?)),
            None => Ok(None),
        }
    }
}

/// A TCP endpoint: every connection of one host (or TUN device), IP packets
/// in and out. See the `wirestate.tcp` module documentation.
#[pyclass(name = "Endpoint", module = "wirestate.tcp")]
pub struct TcpEndpoint {
    inner: tcp::Endpoint,
    /// The latest `now` handed in, for calls that take no time.
    now: Instant,
    /// Room for one outgoing packet.
    slot: usize,
    /// Scratch space for `packets_to_send` and `segments_to_send`.
    arena: Vec<u8>,
}

impl TcpEndpoint {
    fn at(&mut self, now: f64) -> Instant {
        let t = Instant::from_secs_f64(now);
        if t > self.now {
            self.now = t;
        }
        t
    }

    fn conn(&self, py: Python<'_>, c: u64) -> PyResult<&tcp::Connection> {
        let id = ConnId(c);
        match self.inner.connection(id) {
            Some(conn) => Ok(conn),
            None if self.inner.state(id).is_some() => {
                Err(local_error(py, format!("connection {c} is in TIME-WAIT")))
            }
            None => Err(unknown(py, c)),
        }
    }

    /// Packets or segments, each as bytes with its addresses.
    fn collect(&mut self, py: Python<'_>, now: f64, with_ip: bool) -> (Vec<u8>, Vec<Out>) {
        let now = self.at(now);
        let slot = self.slot;
        let mut arena = std::mem::take(&mut self.arena);
        arena.clear();
        let mut out = Vec::new();
        let ep = &mut self.inner;
        if drain(ep, now, slot, with_ip, &mut arena, &mut out, DETACH_AT) {
            py.detach(|| drain(ep, now, slot, with_ip, &mut arena, &mut out, usize::MAX));
        }
        (arena, out)
    }
}

fn unknown(py: Python<'_>, c: u64) -> PyErr {
    local_error(py, format!("unknown connection {c}"))
}

fn endpoint_error(py: Python<'_>, c: u64, e: EndpointError) -> PyErr {
    match e {
        EndpointError::UnknownConnection => unknown(py, c),
        EndpointError::Closed => local_error(py, format!("connection {c} is closed for sending")),
        e => local_error(py, e.to_string()),
    }
}

#[pymethods]
impl TcpEndpoint {
    #[new]
    #[pyo3(signature = (*, secret=None, mtu=1500, mss=None, nodelay=false, congestion="cubic",
        send_buffer=256 << 10, recv_buffer=256 << 10, max_reassembly_ranges=32,
        delayed_ack=Some(0.04), initial_rto=1.0, min_rto=0.2, max_rto=60.0, syn_retries=6,
        synack_retries=5, max_retransmissions=15, user_timeout=None, keepalive=None,
        keepalive_interval=75.0, keepalive_probes=9, msl=30.0, fin_wait2_timeout=Some(60.0),
        window_scaling=true, timestamps=true, sack=true, initial_window=10,
        checksum_offload=false, trace_states=false, challenge_ack_limit=1000, syn_queue=256,
        backlog=128, syn_cookies=true, reset_unknown=true))]
    #[pyo3(
        text_signature = "(*, secret=None, mtu=1500, mss=None, nodelay=False, \
        congestion='cubic', send_buffer=262144, recv_buffer=262144, max_reassembly_ranges=32, \
        delayed_ack=0.04, initial_rto=1.0, min_rto=0.2, max_rto=60.0, syn_retries=6, \
        synack_retries=5, max_retransmissions=15, user_timeout=None, keepalive=None, \
        keepalive_interval=75.0, keepalive_probes=9, msl=30.0, fin_wait2_timeout=60.0, \
        window_scaling=True, timestamps=True, sack=True, initial_window=10, \
        checksum_offload=False, trace_states=False, challenge_ack_limit=1000, syn_queue=256, \
        backlog=128, syn_cookies=True, reset_unknown=True)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        py: Python<'_>,
        secret: Option<&[u8]>,
        mtu: usize,
        mss: Option<u16>,
        nodelay: bool,
        congestion: &str,
        send_buffer: usize,
        recv_buffer: usize,
        max_reassembly_ranges: usize,
        delayed_ack: Option<f64>,
        initial_rto: f64,
        min_rto: f64,
        max_rto: f64,
        syn_retries: u32,
        synack_retries: u32,
        max_retransmissions: u32,
        user_timeout: Option<f64>,
        keepalive: Option<f64>,
        keepalive_interval: f64,
        keepalive_probes: u32,
        msl: f64,
        fin_wait2_timeout: Option<f64>,
        window_scaling: bool,
        timestamps: bool,
        sack: bool,
        initial_window: usize,
        checksum_offload: bool,
        trace_states: bool,
        challenge_ack_limit: u32,
        syn_queue: usize,
        backlog: usize,
        syn_cookies: bool,
        reset_unknown: bool,
    ) -> PyResult<Self> {
        let congestion = match congestion.to_ascii_lowercase().as_str() {
            "cubic" => CongestionAlgorithm::Cubic,
            "newreno" | "new_reno" | "reno" => CongestionAlgorithm::NewReno,
            other => {
                return Err(PyValueError::new_err(format!(
                    "congestion must be \"cubic\" or \"newreno\", not {other:?}"
                )));
            }
        };
        let keepalive = match keepalive {
            Some(idle) => Some(Keepalive {
                idle: secs("keepalive", idle)?,
                interval: secs("keepalive_interval", keepalive_interval)?,
                probes: keepalive_probes,
            }),
            None => None,
        };
        let connection = tcp::Config {
            mtu,
            mss,
            send_buffer,
            recv_buffer,
            max_reassembly_ranges,
            nodelay,
            delayed_ack: delayed_ack.map(|v| secs("delayed_ack", v)).transpose()?,
            initial_rto: secs("initial_rto", initial_rto)?,
            min_rto: secs("min_rto", min_rto)?,
            max_rto: secs("max_rto", max_rto)?,
            syn_retries,
            synack_retries,
            max_retransmissions,
            user_timeout: user_timeout.map(|v| secs("user_timeout", v)).transpose()?,
            keepalive,
            msl: secs("msl", msl)?,
            fin_wait2_timeout: fin_wait2_timeout
                .map(|v| secs("fin_wait2_timeout", v))
                .transpose()?,
            window_scaling,
            timestamps,
            sack,
            congestion,
            initial_window,
            checksum_offload,
            state_change_events: trace_states,
            challenge_ack_limit,
        };
        let secret: [u8; 16] = match secret {
            Some(s) => s
                .try_into()
                .map_err(|_| PyValueError::new_err("secret must be 16 bytes"))?,
            None => {
                let random = py.import("os")?.call_method1("urandom", (16,))?;
                random.extract::<[u8; 16]>().or_else(|_| {
                    let b: Vec<u8> = random.extract()?;
                    b.try_into()
                        .map_err(|_| PyValueError::new_err("os.urandom gave too little"))
                })?
            }
        };
        let slot = slot_len(&connection);
        let config = EndpointConfig {
            connection,
            syn_queue,
            accept_backlog: backlog,
            syn_cookies,
            reset_unknown,
        };
        let inner =
            tcp::Endpoint::new(config, secret).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(TcpEndpoint {
            inner,
            now: Instant::from_nanos(0),
            slot,
            arena: Vec::new(),
        })
    }

    // ----- application calls -----------------------------------------------

    /// Accepts connections to `addr`, a `(host, port)` tuple; host
    /// `"0.0.0.0"` or `"::"` listens on every address of that family.
    /// Accepted connections appear as `Incoming` events.
    fn listen(&mut self, py: Python<'_>, addr: &Bound<'_, PyAny>) -> PyResult<()> {
        let addr = addr_from(addr)?;
        self.inner.listen(addr).map_err(|e| match e {
            EndpointError::AddressInUse => local_error(py, format!("already listening on {addr}")),
            e => local_error(py, format!("cannot listen on {addr}: {e}")),
        })
    }

    /// Stops accepting connections to `addr`; existing connections are
    /// untouched. Returns whether there was such a listener.
    fn unlisten(&mut self, addr: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(self.inner.unlisten(addr_from(addr)?))
    }

    /// Opens a connection from `local` to `remote` (both `(host, port)`)
    /// and returns its id; the SYN goes out at the next `packets_to_send`.
    fn connect(
        &mut self,
        py: Python<'_>,
        local: &Bound<'_, PyAny>,
        remote: &Bound<'_, PyAny>,
        now: f64,
    ) -> PyResult<u64> {
        let (l, r) = (addr_from(local)?, addr_from(remote)?);
        let now = self.at(now);
        match self.inner.connect(now, l, r) {
            Ok(id) => Ok(id.0),
            Err(EndpointError::AddressInUse) => Err(local_error(
                py,
                format!("a connection {l} -> {r} exists already"),
            )),
            Err(e) => Err(local_error(py, format!("cannot connect {l} -> {r}: {e}"))),
        }
    }

    /// Queues bytes on connection `c`; returns how many were taken (fewer
    /// than given when the send buffer fills; `Writable` says when there is
    /// room again). Raises once our side is closed.
    fn send(&mut self, py: Python<'_>, c: u64, data: Cow<'_, [u8]>) -> PyResult<usize> {
        let id = ConnId(c);
        let r = if data.len() >= DETACH_AT {
            let ep = &mut self.inner;
            let data: &[u8] = &data;
            py.detach(|| ep.send(id, data))
        } else {
            self.inner.send(id, &data)
        };
        match r {
            Ok(n) => Ok(n),
            Err(EndpointError::UnknownConnection) if self.inner.state(id).is_some() => {
                Err(local_error(
                    py,
                    format!("connection {c} is closed for sending (TIME-WAIT)"),
                ))
            }
            Err(e) => Err(endpoint_error(py, c, e)),
        }
    }

    /// Reads up to `n` received bytes from connection `c`. `b""` means
    /// nothing is ready now; `at_eof(c)` tells the end of the stream apart.
    fn recv<'py>(&mut self, py: Python<'py>, c: u64, n: usize) -> PyResult<Bound<'py, PyBytes>> {
        let id = ConnId(c);
        let ready = match self.inner.connection(id) {
            Some(conn) => conn.readable().min(n),
            // Compacted in TIME-WAIT: everything was read already.
            None if self.inner.state(id).is_some() => 0,
            None => return Err(unknown(py, c)),
        };
        if ready == 0 {
            return Ok(PyBytes::new(py, b""));
        }
        let ep = &mut self.inner;
        PyBytes::new_with(py, ready, |buf| {
            let got = if ready >= DETACH_AT {
                py.detach(|| ep.recv(id, buf))
            } else {
                ep.recv(id, buf)
            };
            match got {
                Ok(k) if k == ready => Ok(()),
                Ok(_) => Err(local_error(py, "receive buffer shrank while reading")),
                Err(e) => Err(endpoint_error(py, c, e)),
            }
        })
    }

    /// Closes our direction of connection `c`: a FIN follows the data
    /// already queued, and receiving goes on until the peer closes too
    /// (half-close). `now` defaults to the latest time handed in. Raises if
    /// our side is already closed.
    #[pyo3(signature = (c, now=None))]
    fn close(&mut self, py: Python<'_>, c: u64, now: Option<f64>) -> PyResult<()> {
        let now = match now {
            Some(t) => self.at(t),
            None => self.now,
        };
        match self.inner.close(ConnId(c), now) {
            Ok(()) => Ok(()),
            Err(EndpointError::Closed) => Err(local_error(
                py,
                format!("connection {c} is already closing"),
            )),
            Err(EndpointError::UnknownConnection) if self.inner.state(ConnId(c)).is_some() => Err(
                local_error(py, format!("connection {c} is already closing (TIME-WAIT)")),
            ),
            Err(e) => Err(endpoint_error(py, c, e)),
        }
    }

    /// Resets connection `c`: a RST goes out if the peer knows of it,
    /// buffered data is dropped, and the connection is CLOSED at once
    /// (a `Closed` event follows). `now` defaults to the latest time handed
    /// in.
    #[pyo3(signature = (c, now=None))]
    fn abort(&mut self, py: Python<'_>, c: u64, now: Option<f64>) -> PyResult<()> {
        let now = match now {
            Some(t) => self.at(t),
            None => self.now,
        };
        self.inner.abort(ConnId(c), now).map_err(|e| match e {
            EndpointError::UnknownConnection if self.inner.state(ConnId(c)).is_some() => {
                local_error(py, format!("connection {c} is in TIME-WAIT"))
            }
            e => endpoint_error(py, c, e),
        })
    }

    // ----- input -------------------------------------------------------------

    /// Processes one IPv4 or IPv6 packet carrying TCP (any bytes-like
    /// object). Anything else — another protocol, a bad checksum, garbage —
    /// is dropped silently; this never raises because of the packet.
    fn receive_packet(&mut self, packet: Cow<'_, [u8]>, now: f64) {
        let now = self.at(now);
        self.inner.handle_packet(now, &packet);
    }

    /// Processes many packets at once (an iterable of bytes), in order,
    /// without holding the GIL when they are large together.
    fn receive_packets(
        &mut self,
        py: Python<'_>,
        packets: &Bound<'_, PyAny>,
        now: f64,
    ) -> PyResult<()> {
        let now = self.at(now);
        let items: Vec<Bound<'_, PyAny>> = packets.try_iter()?.collect::<PyResult<_>>()?;
        let mut views: Vec<Cow<'_, [u8]>> = Vec::with_capacity(items.len());
        for item in &items {
            views.push(item.extract()?);
        }
        let total: usize = views.iter().map(|v| v.len()).sum();
        let ep = &mut self.inner;
        let mut run = || {
            for v in &views {
                ep.handle_packet(now, v);
            }
        };
        if total >= DETACH_AT {
            py.detach(run);
        } else {
            run();
        }
        Ok(())
    }

    /// Processes one bare TCP segment that travelled from IP address `src`
    /// to `dst` (for callers that handle IP themselves). Never raises
    /// because of the segment.
    fn receive_segment(
        &mut self,
        src: &Bound<'_, PyAny>,
        dst: &Bound<'_, PyAny>,
        segment: Cow<'_, [u8]>,
        now: f64,
    ) -> PyResult<()> {
        let (src, dst) = (ip_from(src)?, ip_from(dst)?);
        let now = self.at(now);
        self.inner.handle_segment(now, src, dst, &segment);
        Ok(())
    }

    /// Runs the timers due at `now` (`time.monotonic()` seconds). Calling
    /// it early or often is harmless.
    fn handle_timeout(&mut self, now: f64) {
        let now = self.at(now);
        self.inner.handle_timeout(now);
    }

    // ----- output ------------------------------------------------------------

    /// Every IP packet to send now, in order (`[]` when there is none).
    fn packets_to_send<'py>(&mut self, py: Python<'py>, now: f64) -> PyResult<Bound<'py, PyList>> {
        let (arena, out) = self.collect(py, now, true);
        let list = PyList::new(
            py,
            out.iter()
                .map(|o| PyBytes::new(py, &arena[o.start..o.start + o.len])),
        );
        self.arena = arena;
        list
    }

    /// Like `packets_to_send`, but bare TCP segments, each as
    /// `(segment, (src_host, src_port), (dst_host, dst_port))`.
    fn segments_to_send<'py>(&mut self, py: Python<'py>, now: f64) -> PyResult<Bound<'py, PyList>> {
        let (arena, out) = self.collect(py, now, false);
        let list = PyList::empty(py);
        for o in &out {
            let seg = PyBytes::new(py, &arena[o.start..o.start + o.len]);
            list.append((seg, addr_tuple(py, o.src)?, addr_tuple(py, o.dst)?))?;
        }
        self.arena = arena;
        Ok(list)
    }

    /// An iterator over what happened, in order, each event naming its
    /// connection. Take events after every input and application call.
    fn events(slf: PyRef<'_, Self>) -> TcpEventIterator {
        TcpEventIterator { ep: slf.into() }
    }

    /// When `handle_timeout` should next be called, in `time.monotonic()`
    /// seconds, or None when no timer is armed.
    fn next_timeout(&mut self) -> Option<f64> {
        self.inner
            .poll_timeout()
            .map(Instant::as_secs_f64_not_before)
    }

    // ----- getters -----------------------------------------------------------

    /// Connection `c`'s RFC 9293 state: "SYN-SENT", "SYN-RECEIVED",
    /// "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING",
    /// "LAST-ACK", "TIME-WAIT" or "CLOSED".
    fn state(&self, py: Python<'_>, c: u64) -> PyResult<&'static str> {
        self.inner
            .state(ConnId(c))
            .map(|s| s.name())
            .ok_or_else(|| unknown(py, c))
    }

    /// Counters and estimates of connection `c` as a dict: `srtt` and `rto`
    /// in seconds (`srtt` None before the first sample), `cwnd`, `ssthresh`
    /// (None before the first loss), `peer_window`, `send_mss`, byte and
    /// segment counters, `retransmits`, `timeouts`, `fast_retransmits`,
    /// `dup_acks`, `undos` (congestion responses undone as spurious),
    /// `reordering` (the duplicate-ACK threshold, in segments: 3, or more
    /// once the path was seen to reorder), `tail_loss_probes` and
    /// `tail_loss_recoveries` (probes sent instead of waiting for the RTO,
    /// and those that repaired a loss), `lost_retransmissions` (times SACK
    /// recovery found a retransmission lost and sent it again without
    /// waiting for the RTO), and the `state`. Not kept in TIME-WAIT.
    fn stats<'py>(&self, py: Python<'py>, c: u64) -> PyResult<Bound<'py, PyDict>> {
        let conn = self.conn(py, c)?;
        let s = conn.stats();
        let d = PyDict::new(py);
        d.set_item("state", conn.state().name())?;
        d.set_item("srtt", s.srtt.map(|t| t.as_secs_f64()))?;
        d.set_item("rto", s.rto.as_secs_f64())?;
        d.set_item("cwnd", s.cwnd)?;
        d.set_item("ssthresh", (s.ssthresh != usize::MAX).then_some(s.ssthresh))?;
        d.set_item("peer_window", s.peer_window)?;
        d.set_item("send_mss", s.send_mss)?;
        d.set_item("segments_sent", s.segments_sent)?;
        d.set_item("segments_received", s.segments_received)?;
        d.set_item("bytes_sent", s.bytes_sent)?;
        d.set_item("bytes_received", s.bytes_received)?;
        d.set_item("bytes_acked", s.bytes_acked)?;
        d.set_item("bytes_retransmitted", s.bytes_retransmitted)?;
        d.set_item("retransmits", s.retransmits)?;
        d.set_item("timeouts", s.timeouts)?;
        d.set_item("fast_retransmits", s.fast_retransmits)?;
        d.set_item("dup_acks", s.dup_acks)?;
        d.set_item("undos", s.undos)?;
        d.set_item("reordering", s.reordering)?;
        d.set_item("tail_loss_probes", s.tail_loss_probes)?;
        d.set_item("tail_loss_recoveries", s.tail_loss_recoveries)?;
        d.set_item("lost_retransmissions", s.lost_retransmissions)?;
        d.set_item("unacknowledged", conn.unacknowledged())?;
        d.set_item("readable", conn.readable())?;
        d.set_item("writable", conn.writable())?;
        Ok(d)
    }

    /// Bytes waiting to be read on connection `c`.
    fn readable(&self, py: Python<'_>, c: u64) -> PyResult<usize> {
        match self.inner.connection(ConnId(c)) {
            Some(conn) => Ok(conn.readable()),
            None if self.inner.state(ConnId(c)).is_some() => Ok(0),
            None => Err(unknown(py, c)),
        }
    }

    /// How many bytes `send` would take now on connection `c` (0 once our
    /// side is closed).
    fn writable(&self, py: Python<'_>, c: u64) -> PyResult<usize> {
        match self.inner.connection(ConnId(c)) {
            Some(conn) => Ok(conn.writable()),
            None if self.inner.state(ConnId(c)).is_some() => Ok(0),
            None => Err(unknown(py, c)),
        }
    }

    /// True when the peer finished sending and every byte has been read:
    /// `recv` returns `b""` for good.
    fn at_eof(&self, py: Python<'_>, c: u64) -> PyResult<bool> {
        match self.inner.connection(ConnId(c)) {
            Some(conn) => Ok(conn.is_read_finished()),
            None if self.inner.state(ConnId(c)).is_some() => Ok(true),
            None => Err(unknown(py, c)),
        }
    }

    /// Connection `c`'s own address as `(host, port)`.
    fn local_address<'py>(&self, py: Python<'py>, c: u64) -> PyResult<Bound<'py, PyTuple>> {
        addr_tuple(py, self.conn(py, c)?.local())
    }

    /// Connection `c`'s peer address as `(host, port)`.
    fn remote_address<'py>(&self, py: Python<'py>, c: u64) -> PyResult<Bound<'py, PyTuple>> {
        addr_tuple(py, self.conn(py, c)?.remote())
    }

    /// Whether connection `c` exists (TIME-WAIT included).
    fn __contains__(&self, c: u64) -> bool {
        self.inner.state(ConnId(c)).is_some()
    }

    /// How many connections exist (TIME-WAIT included).
    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "<wirestate.tcp.Endpoint with {} connections>",
            self.inner.len()
        )
    }
}

/// Adds the endpoint classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("TcpEndpoint", py.get_type::<TcpEndpoint>())?;
    m.add("TcpEventIterator", py.get_type::<TcpEventIterator>())?;
    Ok(())
}
