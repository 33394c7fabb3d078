//! The one place where core errors become Python exceptions. The exception
//! classes are defined in Python (`wirestate/exceptions.py`).

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

static LOCAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static BUFFER_FULL: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn raise(py: Python<'_>, cell: &PyOnceLock<Py<PyType>>, name: &str, msg: String) -> PyErr {
    match cell.import(py, "wirestate.exceptions", name) {
        Ok(ty) => PyErr::from_type(ty.clone(), msg),
        Err(e) => e,
    }
}

/// A local misuse of a WebSocket connection.
pub fn ws_error(py: Python<'_>, e: wirestate::ws::Error) -> PyErr {
    match e {
        wirestate::ws::Error::BufferFull => {
            raise(py, &BUFFER_FULL, "BufferFullError", e.to_string())
        }
        _ => raise(py, &LOCAL, "LocalProtocolError", e.to_string()),
    }
}

/// A local misuse described by a message.
pub fn local(py: Python<'_>, msg: impl Into<String>) -> PyErr {
    raise(py, &LOCAL, "LocalProtocolError", msg.into())
}
