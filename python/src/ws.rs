//! `ServerConnection` and `ClientConnection`: one Rust connection each,
//! bytes in and out, events as Python objects.

use std::collections::VecDeque;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};
use wirestate::time::Instant;
use wirestate::ws::{self, Event, MessageKind};

use crate::errors::{local, ws_error};
use crate::ws_assembly::{Assembly, IN_PLACE_AT, feed, prepare, unfilled_tail, unmask_routine};
use crate::ws_events::*;

/// Payloads larger than this are processed without holding the GIL.
const DETACH_AT: usize = 64 << 10;

/// The connection's state (`readyState`).
#[pyclass(eq, eq_int, frozen, hash, module = "wirestate.ws")]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// The opening handshake has not finished.
    #[pyo3(name = "CONNECTING")]
    Connecting,
    /// Messages flow both ways.
    #[pyo3(name = "OPEN")]
    Open,
    /// The closing handshake is under way.
    #[pyo3(name = "CLOSING")]
    Closing,
    /// Finished.
    #[pyo3(name = "CLOSED")]
    Closed,
}

impl From<ws::State> for State {
    fn from(s: ws::State) -> State {
        match s {
            ws::State::Connecting => State::Connecting,
            ws::State::Open => State::Open,
            ws::State::Closing => State::Closing,
            ws::State::Closed => State::Closed,
        }
    }
}

/// Settings shared by both constructors, as keyword arguments.
#[allow(clippy::too_many_arguments)]
fn config(
    max_message_size: usize,
    max_frame_size: usize,
    compression: bool,
    subprotocols: Vec<String>,
    auto_pong: bool,
    close_echo: bool,
    keepalive_interval: Option<f64>,
    keepalive_timeout: f64,
    close_timeout: f64,
    open_timeout: Option<f64>,
    max_write_buffer: usize,
    write_buffer_high: usize,
    write_buffer_low: usize,
) -> PyResult<ws::Config> {
    let secs = |v: f64| -> PyResult<Duration> {
        Duration::try_from_secs_f64(v).map_err(|_| {
            pyo3::exceptions::PyValueError::new_err("durations must be non-negative seconds")
        })
    };
    Ok(ws::Config {
        max_message_size,
        max_frame_size,
        compression: compression.then(ws::DeflateConfig::default),
        subprotocols,
        auto_pong,
        close_echo,
        // The core always streams; `ws_assembly` builds whole messages
        // unless the application asked for chunks.
        streaming: true,
        keepalive_interval: keepalive_interval.map(secs).transpose()?,
        keepalive_timeout: secs(keepalive_timeout)?,
        close_timeout: secs(close_timeout)?,
        open_timeout: open_timeout.map(secs).transpose()?,
        max_write_buffer,
        write_buffer_high,
        write_buffer_low,
        ..ws::Config::default()
    })
}

/// A 16-byte seed from the operating system.
fn os_seed() -> [u8; 16] {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let mut out = [0u8; 16];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        use std::io::Read;
        if f.read_exact(&mut out).is_ok() {
            return out;
        }
    }
    // No /dev/urandom: std's per-process random hash keys.
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        let mut h = RandomState::new().build_hasher();
        h.write_usize(i);
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    out
}

fn headers_tuple<'py>(py: Python<'py>, headers: &[ws::Header]) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(
        py,
        headers
            .iter()
            .map(|h| (PyString::new(py, &h.name), PyBytes::new(py, &h.value))),
    )
}

fn extensions_tuple<'py>(py: Python<'py>, exts: &[ws::Extension]) -> PyResult<Bound<'py, PyTuple>> {
    let items: PyResult<Vec<Bound<'py, PyTuple>>> = exts
        .iter()
        .map(|e| {
            let params =
                PyTuple::new(py, e.params.iter().map(|(k, v)| (k.as_str(), v.as_deref())))?;
            PyTuple::new(
                py,
                [PyString::new(py, &e.name).into_any(), params.into_any()],
            )
        })
        .collect();
    PyTuple::new(py, items?)
}

/// Turns one core event into its Python object.
fn event_object(py: Python<'_>, e: Event<'_>) -> PyResult<Py<PyAny>> {
    Ok(match e {
        Event::Text(t) => Py::new(
            py,
            TextMessage {
                data: PyString::new(py, t).into_any().unbind(),
            },
        )?
        .into_any(),
        Event::Binary(b) => Py::new(
            py,
            BinaryMessage {
                data: PyBytes::new(py, b).into_any().unbind(),
            },
        )?
        .into_any(),
        Event::MessageChunk {
            kind,
            data,
            first,
            last,
            ..
        } => {
            let data = match kind {
                MessageKind::Text => PyString::new(py, &String::from_utf8_lossy(data))
                    .into_any()
                    .unbind(),
                MessageKind::Binary => PyBytes::new(py, data).into_any().unbind(),
            };
            Py::new(
                py,
                MessageChunk {
                    data,
                    first: first.into_pyobject(py)?.to_owned().into_any().unbind(),
                    last: last.into_pyobject(py)?.to_owned().into_any().unbind(),
                },
            )?
            .into_any()
        }
        Event::Ping(p) => Py::new(
            py,
            Ping {
                payload: PyBytes::new(py, p).into_any().unbind(),
            },
        )?
        .into_any(),
        Event::Pong(p) => Py::new(
            py,
            Pong {
                payload: PyBytes::new(py, p).into_any().unbind(),
            },
        )?
        .into_any(),
        Event::CloseReceived { code, reason } => Py::new(
            py,
            CloseReceived {
                code: code.into_pyobject(py)?.into_any().unbind(),
                reason: PyString::new(py, reason).into_any().unbind(),
            },
        )?
        .into_any(),
        Event::Closed {
            code,
            reason,
            clean,
        } => Py::new(
            py,
            Closed {
                code: code.into_pyobject(py)?.into_any().unbind(),
                reason: PyString::new(py, reason).into_any().unbind(),
                clean: clean.into_pyobject(py)?.to_owned().into_any().unbind(),
            },
        )?
        .into_any(),
        Event::Request(r) => Py::new(
            py,
            Request {
                path: PyString::new(py, &r.path).into_any().unbind(),
                host: PyString::new(py, &r.host).into_any().unbind(),
                origin: r.origin.as_deref().into_pyobject(py)?.into_any().unbind(),
                subprotocols: PyTuple::new(py, &r.subprotocols)?.into_any().unbind(),
                extensions: extensions_tuple(py, &r.extensions)?.into_any().unbind(),
                headers: headers_tuple(py, &r.headers)?.into_any().unbind(),
            },
        )?
        .into_any(),
        Event::Accepted(a) => Py::new(
            py,
            Accepted {
                subprotocol: a
                    .subprotocol
                    .as_deref()
                    .into_pyobject(py)?
                    .into_any()
                    .unbind(),
                extensions: extensions_tuple(py, &a.extensions)?.into_any().unbind(),
            },
        )?
        .into_any(),
        Event::Rejected(r) => Py::new(
            py,
            Rejected {
                status: r.status.into_pyobject(py)?.into_any().unbind(),
                headers: headers_tuple(py, &r.headers)?.into_any().unbind(),
                body: PyBytes::new(py, &r.body).into_any().unbind(),
            },
        )?
        .into_any(),
        Event::Writable => Py::new(py, Writable {})?.into_any(),
        _ => py.None(),
    })
}

/// The iterator `Connection.events()` returns; each step takes the next event.
/// Frozen (it never changes), so stepping it takes no borrow of its own:
/// the application iterates once per read, often finding nothing.
#[pyclass(frozen, module = "wirestate.ws")]
pub struct EventIterator {
    conn: Py<Connection>,
}

#[pymethods]
impl EventIterator {
    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let mut conn = self.conn.bind(py).try_borrow_mut()?;
        if let Some(ready) = conn.ready.pop_front() {
            return ready.map(Some);
        }
        conn.next_event(py)
    }
}

/// Methods shared by `ServerConnection` and `ClientConnection`.
#[pyclass(subclass, module = "wirestate.ws")]
pub struct Connection {
    inner: ws::Connection,
    /// The application asked for message chunks.
    streaming: bool,
    /// The message being put together when it did not.
    assembly: Option<Assembly>,
    /// Events taken from the core before their turn (to size a large
    /// message's `bytes` object before its payload arrives), in order; the
    /// iterator hands them out first.
    ready: VecDeque<PyResult<Py<PyAny>>>,
}

impl Connection {
    /// The core's next event as a Python object, with message chunks put
    /// together unless the application asked for them.
    fn next_event(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let Connection {
            inner,
            streaming,
            assembly,
            ..
        } = self;
        loop {
            let Some(e) = inner.poll_event() else {
                return Ok(None);
            };
            if let Event::MessageChunk {
                kind,
                data,
                first,
                last,
                total,
            } = e
                && !*streaming
            {
                match feed(py, assembly, kind, data, first, last, total)? {
                    Some(message) => return Ok(Some(message)),
                    None => continue,
                }
            }
            return Ok(Some(event_object(py, e)?));
        }
    }

    /// Whole messages: input up to the header of each large binary
    /// message, whose `bytes` object is then allocated at its announced
    /// length so that all of its payload is unmasked straight into it.
    fn receive_assembling(&mut self, py: Python<'_>, mut data: &[u8]) {
        while !data.is_empty() {
            let mut none: [std::mem::MaybeUninit<u8>; 0] = [];
            let (dst, filled) = match self.assembly.as_mut() {
                Some(Assembly::InPlace {
                    obj, len, filled, ..
                }) if *filled < *len => (unfilled_tail(py, obj, *len, *filled), Some(filled)),
                _ => (&mut none[..], None),
            };
            let inner = &mut self.inner;
            let r = if data.len() >= DETACH_AT {
                py.detach(|| inner.receive_data_into_until(data, dst, IN_PLACE_AT))
            } else {
                inner.receive_data_into_until(data, dst, IN_PLACE_AT)
            };
            if let Some(filled) = filled {
                *filled += r.written;
            }
            data = &data[r.consumed..];
            if r.stopped {
                // Everything before this message becomes Python objects
                // now (the core hands a caller's buffer only the payload of
                // a message nothing queued precedes); then its object. No
                // queued failure can be among them (a failure stops the
                // input, so no header follows it), and a peer's violation
                // after this message still waits behind its last chunk.
                loop {
                    match self.next_event(py) {
                        Ok(Some(ev)) => self.ready.push_back(Ok(ev)),
                        Ok(None) => break,
                        Err(e) => self.ready.push_back(Err(e)),
                    }
                }
                if let Some(total) = self.inner.message_total() {
                    prepare(py, &mut self.assembly, total);
                }
            }
        }
    }
}

fn str_pairs(headers: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for item in headers.try_iter()? {
        let (k, v): (String, String) = item?.extract()?;
        out.push((k, v));
    }
    Ok(out)
}

#[pymethods]
impl Connection {
    /// Feeds bytes received from the transport; `b""` means the peer closed
    /// its side (end of stream). Never raises because of what the peer sent:
    /// protocol violations become events.
    fn receive_data(&mut self, py: Python<'_>, data: &[u8]) {
        if data.is_empty() {
            self.inner.receive_eof();
            return;
        }
        if !self.streaming {
            self.receive_assembling(py, data);
            return;
        }
        if data.len() >= DETACH_AT {
            let inner = &mut self.inner;
            py.detach(|| inner.receive_data(data));
        } else {
            self.inner.receive_data(data);
        }
    }

    /// An iterator over the events that happened, in order. Handle each event
    /// before taking the next: a message that arrived before a protocol
    /// violation can still be answered (the failure takes effect when the
    /// iterator reaches it).
    fn events(slf: Bound<'_, Self>) -> EventIterator {
        EventIterator { conn: slf.unbind() }
    }

    /// Everything queued for the transport (`b""` when nothing is).
    fn data_to_send<'py>(&mut self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let out = PyBytes::new(py, self.inner.pending_output());
        let n = self.inner.pending_output().len();
        self.inner.consume_output(n);
        out
    }

    /// Server: accepts the `Request` event's handshake.
    #[pyo3(signature = (subprotocol=None, extra_headers=None))]
    fn accept(
        &mut self,
        py: Python<'_>,
        subprotocol: Option<&str>,
        extra_headers: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let headers = match extra_headers {
            Some(h) => str_pairs(h)?,
            None => Vec::new(),
        };
        let refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.inner
            .accept(subprotocol, &refs)
            .map_err(|e| ws_error(py, e))
    }

    /// Server: refuses the handshake with an HTTP status, headers and body.
    #[pyo3(signature = (status=403, headers=None, body=b"".as_slice()))]
    fn reject(
        &mut self,
        py: Python<'_>,
        status: u16,
        headers: Option<&Bound<'_, PyAny>>,
        body: &[u8],
    ) -> PyResult<()> {
        let headers = match headers {
            Some(h) => str_pairs(h)?,
            None => Vec::new(),
        };
        let refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.inner
            .reject(status, &refs, body)
            .map_err(|e| ws_error(py, e))
    }

    /// Queues a text message.
    fn send_text(&mut self, py: Python<'_>, text: &str) -> PyResult<()> {
        self.inner.send_text(text).map_err(|e| ws_error(py, e))
    }

    /// Queues a binary message (any bytes-like object).
    fn send_binary(&mut self, py: Python<'_>, data: &[u8]) -> PyResult<()> {
        if data.len() >= DETACH_AT {
            let inner = &mut self.inner;
            py.detach(|| inner.send_binary(data))
                .map_err(|e| ws_error(py, e))
        } else {
            self.inner.send_binary(data).map_err(|e| ws_error(py, e))
        }
    }

    /// Queues one fragment of a message: `str` for text, bytes for binary;
    /// `fin=True` ends the message.
    #[pyo3(signature = (data, fin))]
    fn send_fragment(
        &mut self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        fin: bool,
    ) -> PyResult<()> {
        let r = if let Ok(s) = data.cast::<PyString>() {
            self.inner
                .send_fragment(MessageKind::Text, s.to_cow()?.as_bytes(), fin)
        } else {
            let b: &[u8] = data.extract()?;
            self.inner.send_fragment(MessageKind::Binary, b, fin)
        };
        r.map_err(|e| ws_error(py, e))
    }

    /// Queues a Ping (payload at most 125 bytes).
    #[pyo3(signature = (payload=b"".as_slice()))]
    fn ping(&mut self, py: Python<'_>, payload: &[u8]) -> PyResult<()> {
        self.inner.ping(payload).map_err(|e| ws_error(py, e))
    }

    /// Queues an unsolicited Pong (payload at most 125 bytes).
    #[pyo3(signature = (payload=b"".as_slice()))]
    fn pong(&mut self, py: Python<'_>, payload: &[u8]) -> PyResult<()> {
        self.inner.pong(payload).map_err(|e| ws_error(py, e))
    }

    /// Starts (or, after `CloseReceived` with `close_echo=False`, completes)
    /// the closing handshake.
    #[pyo3(signature = (code=1000, reason=""))]
    fn close(&mut self, py: Python<'_>, code: u16, reason: &str) -> PyResult<()> {
        self.inner.close(code, reason).map_err(|e| ws_error(py, e))
    }

    /// The deadline of the next timer as `time.monotonic()` seconds, or None.
    fn next_timeout(&self) -> Option<f64> {
        self.inner
            .poll_timeout()
            .map(Instant::as_secs_f64_not_before)
    }

    /// Runs the timers due at `now` (`time.monotonic()` seconds).
    fn handle_timeout(&mut self, now: f64) {
        self.inner.handle_timeout(Instant::from_secs_f64(now));
    }

    /// `State.CONNECTING`, `OPEN`, `CLOSING` or `CLOSED`.
    #[getter]
    fn state(&self) -> State {
        self.inner.state().into()
    }

    /// The negotiated subprotocol, if any.
    #[getter]
    fn subprotocol(&self) -> Option<String> {
        self.inner.subprotocol().map(str::to_owned)
    }

    /// Whether permessage-deflate is in force.
    #[getter]
    fn compressed(&self) -> bool {
        self.inner.is_compressed()
    }

    /// Bytes queued for the transport.
    #[getter]
    fn buffered_amount(&self) -> usize {
        self.inner.buffered_amount()
    }

    /// False while the outbound queue is above its high-water mark.
    #[getter]
    fn writable(&self) -> bool {
        self.inner.is_writable()
    }

    /// True once the transport should be closed after writing `data_to_send()`.
    fn close_expected(&self) -> bool {
        self.inner.should_close_transport()
    }

    /// Counters as a dict.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.inner.stats();
        let d = PyDict::new(py);
        d.set_item("bytes_received", s.bytes_received)?;
        d.set_item("bytes_sent", s.bytes_sent)?;
        d.set_item("frames_received", s.frames_received)?;
        d.set_item("frames_sent", s.frames_sent)?;
        d.set_item("messages_received", s.messages_received)?;
        d.set_item("messages_sent", s.messages_sent)?;
        d.set_item("pings_received", s.pings_received)?;
        d.set_item("pongs_received", s.pongs_received)?;
        Ok(d)
    }
}

/// A server connection waiting for the client's opening request.
#[pyclass(extends = Connection, module = "wirestate.ws")]
pub struct ServerConnection;

#[pymethods]
impl ServerConnection {
    #[new]
    #[pyo3(signature = (*, max_message_size=64 << 20, max_frame_size=16 << 20, compression=false,
        subprotocols=Vec::new(), auto_pong=true, close_echo=true, streaming=false,
        keepalive_interval=None, keepalive_timeout=20.0, close_timeout=10.0, open_timeout=None,
        max_write_buffer=64 << 20, write_buffer_high=64 << 10, write_buffer_low=16 << 10))]
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        max_message_size: usize,
        max_frame_size: usize,
        compression: bool,
        subprotocols: Vec<String>,
        auto_pong: bool,
        close_echo: bool,
        streaming: bool,
        keepalive_interval: Option<f64>,
        keepalive_timeout: f64,
        close_timeout: f64,
        open_timeout: Option<f64>,
        max_write_buffer: usize,
        write_buffer_high: usize,
        write_buffer_low: usize,
    ) -> PyResult<PyClassInitializer<Self>> {
        let cfg = config(
            max_message_size,
            max_frame_size,
            compression,
            subprotocols,
            auto_pong,
            close_echo,
            keepalive_interval,
            keepalive_timeout,
            close_timeout,
            open_timeout,
            max_write_buffer,
            write_buffer_high,
            write_buffer_low,
        )?;
        let mut inner = ws::Connection::server(cfg);
        if let Some(routine) = unmask_routine() {
            inner.set_unmask_routine(routine);
        }
        Ok(PyClassInitializer::from(Connection {
            inner,
            streaming,
            assembly: None,
            ready: VecDeque::new(),
        })
        .add_subclass(ServerConnection))
    }
}

/// A client connection; its opening request is waiting in `data_to_send()`.
#[pyclass(extends = Connection, module = "wirestate.ws")]
pub struct ClientConnection;

#[pymethods]
impl ClientConnection {
    #[new]
    #[pyo3(signature = (*, host, path=String::from("/"), subprotocols=Vec::new(), origin=None, compression=false,
        extra_headers=None, max_message_size=64 << 20, max_frame_size=16 << 20, auto_pong=true,
        close_echo=true, streaming=false, keepalive_interval=None, keepalive_timeout=20.0,
        close_timeout=10.0, open_timeout=None, max_write_buffer=64 << 20,
        write_buffer_high=64 << 10, write_buffer_low=16 << 10, seed=None))]
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        py: Python<'_>,
        host: String,
        path: String,
        subprotocols: Vec<String>,
        origin: Option<String>,
        compression: bool,
        extra_headers: Option<&Bound<'_, PyAny>>,
        max_message_size: usize,
        max_frame_size: usize,
        auto_pong: bool,
        close_echo: bool,
        streaming: bool,
        keepalive_interval: Option<f64>,
        keepalive_timeout: f64,
        close_timeout: f64,
        open_timeout: Option<f64>,
        max_write_buffer: usize,
        write_buffer_high: usize,
        write_buffer_low: usize,
        seed: Option<&[u8]>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let cfg = config(
            max_message_size,
            max_frame_size,
            compression,
            subprotocols,
            auto_pong,
            close_echo,
            keepalive_interval,
            keepalive_timeout,
            close_timeout,
            open_timeout,
            max_write_buffer,
            write_buffer_high,
            write_buffer_low,
        )?;
        let mut client = ws::ClientConfig::new(host, path);
        client.origin = origin;
        client.extra_headers = match extra_headers {
            Some(h) => str_pairs(h)?,
            None => Vec::new(),
        };
        client.config = cfg;
        let seed = match seed {
            None => os_seed(),
            Some(s) => s
                .try_into()
                .map_err(|_| local(py, "seed must be 16 bytes"))?,
        };
        let mut inner = ws::Connection::client(client, seed).map_err(|e| ws_error(py, e))?;
        if let Some(routine) = unmask_routine() {
            inner.set_unmask_routine(routine);
        }
        Ok(PyClassInitializer::from(Connection {
            inner,
            streaming,
            assembly: None,
            ready: VecDeque::new(),
        })
        .add_subclass(ClientConnection))
    }
}

/// Adds the connection classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<State>()?;
    m.add_class::<Connection>()?;
    m.add_class::<ServerConnection>()?;
    m.add_class::<ClientConnection>()?;
    Ok(())
}
