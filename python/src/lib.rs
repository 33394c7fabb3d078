//! `wirestate._native`: the Rust side of the Python package. The public names
//! live in `wirestate.ws`, `wirestate.tcp` and `wirestate.exceptions`, which
//! re-export from here; this module is an implementation detail.

use pyo3::prelude::*;

mod errors;
mod tcp;
mod tcp_events;
mod ws;
mod ws_assembly;
mod ws_events;

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    ws::register(m)?;
    ws_events::register(m)?;
    tcp::register(m)?;
    tcp_events::register(m)?;
    Ok(())
}
