//! The TCP event classes: frozen, constructed by position or keyword, with
//! `__repr__`, `__eq__`, `__hash__` and `__match_args__`. Fields hold Python
//! objects so that events made from Python and from the endpoint compare
//! equal.
//!
//! Their Python names (`Closed`, `Writable`, ...) overlap the WebSocket
//! events', so the extension module holds them as `TcpClosed`, ... and
//! `wirestate.tcp` re-exports them under their own names.

use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

/// `Name(field=value, ...)`, with each value's `repr`.
fn repr_of(py: Python<'_>, name: &str, fields: &[(&str, &Py<PyAny>)]) -> PyResult<String> {
    let mut s = String::from(name);
    s.push('(');
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(k);
        s.push('=');
        s.push_str(&v.bind(py).repr()?.to_cow()?);
    }
    s.push(')');
    Ok(s)
}

fn values_tuple<'py>(py: Python<'py>, fields: &[&Py<PyAny>]) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(py, fields.iter().map(|f| f.bind(py)))
}

macro_rules! event_class {
    ($rust:ident, $name:literal, $doc:literal, [$($field:ident),+]) => {
        #[doc = $doc]
        #[pyclass(frozen, name = $name, module = "wirestate.tcp")]
        pub struct $rust {
            $(
                #[doc = concat!("The event's `", stringify!($field), "`.")]
                #[pyo3(get)]
                pub $field: Py<PyAny>,
            )+
        }

        #[pymethods]
        impl $rust {
            #[new]
            #[pyo3(signature = ($($field),+))]
            fn py_new($($field: Py<PyAny>),+) -> Self {
                Self { $($field),+ }
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                repr_of(py, $name, &[$((stringify!($field), &self.$field)),+])
            }

            fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
                let Ok(other) = other.cast::<Self>() else {
                    return Ok(false);
                };
                let other = other.get();
                values_tuple(py, &[$(&self.$field),+])?.eq(values_tuple(py, &[$(&other.$field),+])?)
            }

            fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
                (PyString::new(py, $name), values_tuple(py, &[$(&self.$field),+])?)
                    .into_pyobject(py)?
                    .hash()
            }

            #[classattr]
            fn __match_args__(py: Python<'_>) -> PyResult<Py<PyTuple>> {
                let names: &[&str] = &[$(stringify!($field)),+];
                Ok(PyTuple::new(py, names)?.unbind())
            }
        }
    };
}

event_class!(
    TcpIncoming,
    "Incoming",
    "A listener's connection completed its handshake; `conn` is ready to use and `remote` is the peer's `(host, port)`.",
    [conn, remote]
);
event_class!(
    TcpConnected,
    "Connected",
    "A connection opened with `connect()` completed its handshake (ESTABLISHED).",
    [conn]
);
event_class!(
    TcpReadable,
    "Readable",
    "Data arrived while nothing was waiting to be read. Edge-triggered: the next one comes after `recv()` has taken everything.",
    [conn]
);
event_class!(
    TcpWritable,
    "Writable",
    "Room opened in the send buffer after a `send()` could not take all it was given.",
    [conn]
);
event_class!(
    TcpPeerFinished,
    "PeerFinished",
    "The peer sent its FIN: it sends no more data. `recv()` returns what is left, then `b\"\"`.",
    [conn]
);
event_class!(
    TcpClosed,
    "Closed",
    "The connection is gone (CLOSED); always its last event. Its id is unknown afterwards.",
    [conn]
);
event_class!(
    TcpReset,
    "Reset",
    "The peer reset the connection; `Closed` follows.",
    [conn]
);
event_class!(
    TcpTimedOut,
    "TimedOut",
    "The peer stopped answering (retransmissions, SYN retries, keepalive probes or the user timeout ran out); `Closed` follows.",
    [conn]
);
event_class!(
    TcpStateChanged,
    "StateChanged",
    "The RFC 9293 state changed from `old` to `new` (names such as \"SYN-SENT\"); only with `trace_states=True`.",
    [conn, old, new]
);

/// Adds the event classes to the module under their `Tcp`-prefixed names.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("TcpIncoming", py.get_type::<TcpIncoming>())?;
    m.add("TcpConnected", py.get_type::<TcpConnected>())?;
    m.add("TcpReadable", py.get_type::<TcpReadable>())?;
    m.add("TcpWritable", py.get_type::<TcpWritable>())?;
    m.add("TcpPeerFinished", py.get_type::<TcpPeerFinished>())?;
    m.add("TcpClosed", py.get_type::<TcpClosed>())?;
    m.add("TcpReset", py.get_type::<TcpReset>())?;
    m.add("TcpTimedOut", py.get_type::<TcpTimedOut>())?;
    m.add("TcpStateChanged", py.get_type::<TcpStateChanged>())?;
    Ok(())
}
