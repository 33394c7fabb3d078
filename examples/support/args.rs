//! Parsers for command-line values, shared by the TCP examples.
#![allow(dead_code)]

use std::net::SocketAddr;

use wirestate::time::Duration;

pub fn addr(s: &str) -> Result<SocketAddr, String> {
    s.parse().map_err(|_| format!("not an ADDR:PORT: {s:?}"))
}

pub fn num(s: &str) -> Result<u64, String> {
    s.parse().map_err(|_| format!("not a number: {s:?}"))
}

pub fn float(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or(format!("not a number: {s:?}"))
}

pub fn prob(s: &str) -> Result<f64, String> {
    let p = float(s)?;
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!("probability out of 0..1: {s}"))
    }
}

pub fn millis(s: &str) -> Result<Duration, String> {
    let ms = float(s)?;
    if ms < 0.0 {
        return Err(format!("negative time: {s}"));
    }
    Ok(Duration::from_nanos((ms * 1e6) as u64))
}
