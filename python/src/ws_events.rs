//! The WebSocket event classes: frozen, keyword-constructed, with `__repr__`,
//! `__eq__`, `__hash__` and `__match_args__`. Fields hold Python objects so
//! that events made from Python and from the connection compare equal.

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
    ($name:ident, $doc:literal, [$($field:ident),*]) => {
        #[doc = $doc]
        #[pyclass(frozen, module = "wirestate.ws")]
        pub struct $name {
            $(
                #[doc = concat!("The event's `", stringify!($field), "`.")]
                #[pyo3(get)]
                pub $field: Py<PyAny>,
            )*
        }

        #[pymethods]
        impl $name {
            #[new]
            #[pyo3(signature = (*, $($field),*))]
            fn py_new($($field: Py<PyAny>),*) -> Self {
                Self { $($field),* }
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                repr_of(py, stringify!($name), &[$((stringify!($field), &self.$field)),*])
            }

            fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
                let Ok(other) = other.cast::<Self>() else {
                    return Ok(false);
                };
                #[allow(unused_variables)]
                let other = other.get();
                values_tuple(py, &[$(&self.$field),*])?.eq(values_tuple(py, &[$(&other.$field),*])?)
            }

            fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
                (PyString::new(py, stringify!($name)), values_tuple(py, &[$(&self.$field),*])?)
                    .into_pyobject(py)?
                    .hash()
            }

            #[classattr]
            fn __match_args__(py: Python<'_>) -> PyResult<Py<PyTuple>> {
                let names: &[&str] = &[$(stringify!($field)),*];
                Ok(PyTuple::new(py, names)?.unbind())
            }
        }
    };
}

event_class!(
    Request,
    "Server: the client's opening request; answer with `accept()` or `reject()`.",
    [path, host, origin, subprotocols, extensions, headers]
);
event_class!(
    Accepted,
    "Client: the server accepted the handshake.",
    [subprotocol, extensions]
);
event_class!(
    Rejected,
    "Client: the server answered with an HTTP status other than 101.",
    [status, headers, body]
);
event_class!(
    TextMessage,
    "A whole text message (`data` is `str`).",
    [data]
);
event_class!(
    BinaryMessage,
    "A whole binary message (`data` is `bytes`).",
    [data]
);
event_class!(
    MessageChunk,
    "Streaming mode: the next piece of a message (`data` is `str` for text, `bytes` for binary).",
    [data, first, last]
);
event_class!(
    Ping,
    "A Ping arrived (already answered when `auto_pong` is on).",
    [payload]
);
event_class!(Pong, "A Pong arrived.", [payload]);
event_class!(
    CloseReceived,
    "The peer sent a Close frame (code 1005 when it carried none).",
    [code, reason]
);
event_class!(
    Closed,
    "The connection is finished; always the last event.",
    [code, reason, clean]
);
event_class!(
    Writable,
    "The outbound queue drained below the low-water mark.",
    []
);

/// Adds the event classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Request>()?;
    m.add_class::<Accepted>()?;
    m.add_class::<Rejected>()?;
    m.add_class::<TextMessage>()?;
    m.add_class::<BinaryMessage>()?;
    m.add_class::<MessageChunk>()?;
    m.add_class::<Ping>()?;
    m.add_class::<Pong>()?;
    m.add_class::<CloseReceived>()?;
    m.add_class::<Closed>()?;
    m.add_class::<Writable>()?;
    Ok(())
}
