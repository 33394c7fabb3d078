//! `wirestate_tcp_config`: settings for a new endpoint and its connections.

use core::time::Duration;

use wirestate_core::tcp::{CongestionAlgorithm, EndpointConfig, Keepalive};

use super::wirestate_tcp_congestion;
use crate::error::{FfiResult, wirestate_result};
use crate::ffi::{Castable, Out, free_boxed, to_boxed_ptr, try_mut};
use crate::panic::{ffi_boundary, result_boundary};

/// Settings for a TCP endpoint: the listeners' queues, and what every
/// connection starts with (MTU/MSS, buffers, Nagle, delayed ACK, RTO
/// bounds, retry limits, keepalive, MSL, RFC 7323/2018 options, congestion
/// control, checksum offload, state-change events). Start from
/// `wirestate_tcp_config_new` (the core's defaults, close to Linux's), change
/// what you need, and pass it to `wirestate_tcp_endpoint_new`, which copies
/// it and checks the values together (`WIRESTATE_RESULT_INVALID_CONFIG`);
/// the setters themselves accept any value, so their order does not matter.
/// Durations are nanoseconds.
///
/// Not thread-safe: use one config from one thread at a time.
///
/// Functions: `wirestate_tcp_config_new`, `wirestate_tcp_config_free`,
/// `wirestate_tcp_config_set_mtu`, `wirestate_tcp_config_set_mss`,
/// `wirestate_tcp_config_set_send_buffer`,
/// `wirestate_tcp_config_set_recv_buffer`,
/// `wirestate_tcp_config_set_max_reassembly_ranges`,
/// `wirestate_tcp_config_set_nodelay`, `wirestate_tcp_config_set_delayed_ack`,
/// `wirestate_tcp_config_set_initial_rto`, `wirestate_tcp_config_set_min_rto`,
/// `wirestate_tcp_config_set_max_rto`, `wirestate_tcp_config_set_syn_retries`,
/// `wirestate_tcp_config_set_synack_retries`,
/// `wirestate_tcp_config_set_max_retransmissions`,
/// `wirestate_tcp_config_set_user_timeout`,
/// `wirestate_tcp_config_set_keepalive`, `wirestate_tcp_config_set_msl`,
/// `wirestate_tcp_config_set_fin_wait2_timeout`,
/// `wirestate_tcp_config_set_window_scaling`,
/// `wirestate_tcp_config_set_timestamps`, `wirestate_tcp_config_set_sack`,
/// `wirestate_tcp_config_set_initial_window`,
/// `wirestate_tcp_config_set_checksum_offload`,
/// `wirestate_tcp_config_set_state_change_events`,
/// `wirestate_tcp_config_set_challenge_ack_limit`,
/// `wirestate_tcp_config_set_syn_queue`,
/// `wirestate_tcp_config_set_accept_backlog`,
/// `wirestate_tcp_config_set_syn_cookies`,
/// `wirestate_tcp_config_set_reset_unknown`,
/// `wirestate_tcp_config_set_congestion`.
pub struct wirestate_tcp_config(pub(crate) EndpointConfig);

impl Castable for wirestate_tcp_config {}

/// Runs `f` on the config behind `config` at the panic boundary.
fn with_config(
    config: *mut wirestate_tcp_config,
    f: impl FnOnce(&mut wirestate_tcp_config) -> FfiResult,
) -> wirestate_result {
    result_boundary(|| {
        // SAFETY: C passes NULL or a live config from `wirestate_tcp_config_new`,
        // used by one call at a time.
        let c = unsafe { try_mut(config) }?;
        f(c)
    })
}

/// Makes a config with the defaults and writes it to `*out`.
///
/// Ownership: the caller owns the new config and frees it with
/// `wirestate_tcp_config_free`. Returns `WIRESTATE_RESULT_NULL_PARAMETER` when
/// `out` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_new(
    out: *mut *mut wirestate_tcp_config,
) -> wirestate_result {
    result_boundary(|| {
        let out = Out::new(out)?;
        out.write(to_boxed_ptr(
            wirestate_tcp_config(EndpointConfig::default()),
        ));
        Ok(())
    })
}

/// Frees a config made by `wirestate_tcp_config_new`. NULL does nothing.
/// Endpoints made from it are unaffected (they hold copies).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_free(config: *mut wirestate_tcp_config) {
    ffi_boundary(|| {
        // SAFETY: C passes NULL or a config it owns and no longer uses.
        unsafe { free_boxed(config) }
    })
}

/// Keepalive probing of idle connections (RFC 9293 §3.8.4): the first probe
/// after `idle_ns` without traffic, then one every `interval_ns`, and the
/// connection times out after `probes` unanswered ones. `idle_ns` 0 turns
/// keepalive off (the default; RFC 1122 asks for at least two hours when on).
/// A zero interval or probe count with keepalive on is refused by
/// `wirestate_tcp_endpoint_new`; more than 65535 probes act as 65535.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_keepalive(
    config: *mut wirestate_tcp_config,
    idle_ns: u64,
    interval_ns: u64,
    probes: u32,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.connection.keepalive = (idle_ns != 0).then(|| Keepalive {
            idle: Duration::from_nanos(idle_ns),
            interval: Duration::from_nanos(interval_ns),
            probes,
        });
        Ok(())
    })
}

/// The congestion control algorithm, a `wirestate_tcp_congestion`
/// (`WIRESTATE_TCP_CONGESTION_CUBIC`, the default, or
/// `WIRESTATE_TCP_CONGESTION_NEW_RENO`); `WIRESTATE_RESULT_INVALID_ARGUMENT`
/// for any other number.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_congestion(
    config: *mut wirestate_tcp_config,
    algorithm: u32,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.connection.congestion = match algorithm {
            a if a == wirestate_tcp_congestion::NewReno as u32 => CongestionAlgorithm::NewReno,
            a if a == wirestate_tcp_congestion::Cubic as u32 => CongestionAlgorithm::Cubic,
            _ => return Err(wirestate_result::InvalidArgument),
        };
        Ok(())
    })
}

/// The largest IP packet sent or wanted, headers included (68-65535; default
/// 1500). The MSS announced is derived from it unless `set_mss` sets one.
/// Values above 1500 give large (GSO-style) segments for in-memory links and
/// TUN devices; transmit buffers should hold this many bytes.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_mtu(
    config: *mut wirestate_tcp_config,
    mtu: usize,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.connection.mtu = mtu;
        Ok(())
    })
}

/// An explicit MSS to announce; 0 (the default) derives it from the MTU
/// (MTU minus 40 bytes for IPv4, 60 for IPv6).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_mss(
    config: *mut wirestate_tcp_config,
    mss: u16,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.connection.mss = (mss != 0).then_some(mss);
        Ok(())
    })
}

/// Send buffer capacity in bytes: how much written data may wait for
/// acknowledgment (default 256 KiB; at least 1).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_send_buffer(
    config: *mut wirestate_tcp_config,
    size: usize,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.connection.send_buffer = size;
        Ok(())
    })
}

/// Receive buffer capacity in bytes, the largest window advertised (default
/// 256 KiB; 1 byte to 1 GiB).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_recv_buffer(
    config: *mut wirestate_tcp_config,
    size: usize,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.connection.recv_buffer = size;
        Ok(())
    })
}

/// The most separate out-of-order ranges kept for reassembly (default 32;
/// at least 1).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_max_reassembly_ranges(
    config: *mut wirestate_tcp_config,
    count: usize,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.connection.max_reassembly_ranges = count;
        Ok(())
    })
}

/// true turns Nagle's algorithm off: small segments go out at once
/// (default false).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_nodelay(
    config: *mut wirestate_tcp_config,
    nodelay: bool,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.connection.nodelay = nodelay;
        Ok(())
    })
}

/// How long an ACK may be delayed, in nanoseconds; 0 acknowledges every
/// segment at once (default 40 ms).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_delayed_ack(
    config: *mut wirestate_tcp_config,
    delay_ns: u64,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.connection.delayed_ack = (delay_ns != 0).then(|| Duration::from_nanos(delay_ns));
        Ok(())
    })
}

/// The retransmission timeout before any round-trip sample, nanoseconds
/// (default 1 s; not 0).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_initial_rto(
    config: *mut wirestate_tcp_config,
    rto_ns: u64,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.connection.initial_rto = Duration::from_nanos(rto_ns);
        Ok(())
    })
}

/// The lower bound on the retransmission timeout, nanoseconds (default
/// 200 ms; not 0, at most the upper bound).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_min_rto(
    config: *mut wirestate_tcp_config,
    rto_ns: u64,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.connection.min_rto = Duration::from_nanos(rto_ns);
        Ok(())
    })
}

/// The upper bound on the retransmission timeout, nanoseconds (default 60 s).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_max_rto(
    config: *mut wirestate_tcp_config,
    rto_ns: u64,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.connection.max_rto = Duration::from_nanos(rto_ns);
        Ok(())
    })
}

/// SYN retransmissions before `connect` gives up with `TIMED_OUT`
/// (default 6: about 127 s). Counts above 65535 act as 65535, here and in
/// every other count limit of this configuration.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_syn_retries(
    config: *mut wirestate_tcp_config,
    count: u32,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.connection.syn_retries = count;
        Ok(())
    })
}

/// SYN-ACK retransmissions before a half-open passive connection is dropped
/// (default 5; at most 65535 take effect).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_synack_retries(
    config: *mut wirestate_tcp_config,
    count: u32,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.connection.synack_retries = count;
        Ok(())
    })
}

/// Consecutive retransmission timeouts of the same data before the
/// connection times out (default 15; at most 65535 take effect).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_max_retransmissions(
    config: *mut wirestate_tcp_config,
    count: u32,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.connection.max_retransmissions = count;
        Ok(())
    })
}

/// Time out when sent data stays unacknowledged this long, nanoseconds
/// (RFC 5482); 0 (the default) turns it off.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_user_timeout(
    config: *mut wirestate_tcp_config,
    timeout_ns: u64,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.connection.user_timeout = (timeout_ns != 0).then(|| Duration::from_nanos(timeout_ns));
        Ok(())
    })
}

/// Maximum segment lifetime, nanoseconds; TIME-WAIT lasts twice this
/// (default 30 s, so TIME-WAIT is 60 s; not 0).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_msl(
    config: *mut wirestate_tcp_config,
    msl_ns: u64,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.connection.msl = Duration::from_nanos(msl_ns);
        Ok(())
    })
}

/// How long FIN-WAIT-2 may hear nothing from the peer before the
/// connection is dropped, nanoseconds; 0 waits forever (default 60 s).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_fin_wait2_timeout(
    config: *mut wirestate_tcp_config,
    timeout_ns: u64,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.connection.fin_wait2_timeout =
            (timeout_ns != 0).then(|| Duration::from_nanos(timeout_ns));
        Ok(())
    })
}

/// Offer and accept window scaling, RFC 7323 (default true).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_window_scaling(
    config: *mut wirestate_tcp_config,
    on: bool,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.connection.window_scaling = on;
        Ok(())
    })
}

/// Offer and accept timestamps (RTT measurement, PAWS), RFC 7323 (default
/// true).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_timestamps(
    config: *mut wirestate_tcp_config,
    on: bool,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.connection.timestamps = on;
        Ok(())
    })
}

/// Offer and accept selective acknowledgments, RFC 2018 (default true).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_sack(
    config: *mut wirestate_tcp_config,
    on: bool,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.connection.sack = on;
        Ok(())
    })
}

/// The initial congestion window in segments; 0 uses RFC 5681's 2-4
/// segments (default 10; at most 255 take effect).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_initial_window(
    config: *mut wirestate_tcp_config,
    segments: usize,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.connection.initial_window = segments;
        Ok(())
    })
}

/// true leaves checksums to the caller's device: received checksums are not
/// verified and sent ones are not filled in (default false).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_checksum_offload(
    config: *mut wirestate_tcp_config,
    on: bool,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.connection.checksum_offload = on;
        Ok(())
    })
}

/// true reports every RFC 9293 state transition as a `STATE_CHANGED` event,
/// for tracing (default false).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_state_change_events(
    config: *mut wirestate_tcp_config,
    on: bool,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.connection.state_change_events = on;
        Ok(())
    })
}

/// Challenge ACKs sent per second at most, RFC 5961 (default 1000; at most
/// 65535 take effect).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_challenge_ack_limit(
    config: *mut wirestate_tcp_config,
    per_second: u32,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.connection.challenge_ack_limit = per_second;
        Ok(())
    })
}

/// Half-open connections (handshake not complete) per listener (default
/// 256). When it is full, SYN cookies answer (if on) or SYNs are dropped.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_syn_queue(
    config: *mut wirestate_tcp_config,
    count: usize,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.syn_queue = count;
        Ok(())
    })
}

/// Connections per listener whose `INCOMING` event has not been polled yet
/// (default 128). When it is full, new SYNs are dropped (the peer retries).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_accept_backlog(
    config: *mut wirestate_tcp_config,
    count: usize,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.accept_backlog = count;
        Ok(())
    })
}

/// Answer SYNs with SYN cookies when the SYN queue is full (default true).
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_syn_cookies(
    config: *mut wirestate_tcp_config,
    on: bool,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.syn_cookies = on;
        Ok(())
    })
}

/// Answer segments for no connection with a RST (default true); false makes
/// closed ports silent.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_config_set_reset_unknown(
    config: *mut wirestate_tcp_config,
    on: bool,
) -> wirestate_result {
    with_config(config, |c| {
        c.0.reset_unknown = on;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::ptr;

    #[test]
    fn setters_reach_the_core_config() {
        let mut cfg = ptr::null_mut();
        assert_eq!(wirestate_tcp_config_new(&mut cfg), wirestate_result::Ok);
        assert_eq!(
            wirestate_tcp_config_set_mss(cfg, 1000),
            wirestate_result::Ok
        );
        assert_eq!(
            wirestate_tcp_config_set_delayed_ack(cfg, 0),
            wirestate_result::Ok
        );
        assert_eq!(
            wirestate_tcp_config_set_keepalive(cfg, 5_000_000_000, 1_000_000_000, 3),
            wirestate_result::Ok
        );
        assert_eq!(
            wirestate_tcp_config_set_congestion(cfg, 0),
            wirestate_result::Ok
        );
        assert_eq!(
            wirestate_tcp_config_set_congestion(cfg, 2),
            wirestate_result::InvalidArgument
        );
        assert_eq!(
            wirestate_tcp_config_set_accept_backlog(cfg, 4),
            wirestate_result::Ok
        );
        // SAFETY: `cfg` is live and used by nothing else here.
        let c = unsafe { &(*cfg).0 };
        assert_eq!(c.connection.mss, Some(1000));
        assert_eq!(c.connection.delayed_ack, None);
        assert_eq!(c.connection.keepalive.map(|k| k.probes), Some(3));
        assert_eq!(c.connection.congestion, CongestionAlgorithm::NewReno);
        assert_eq!(c.accept_backlog, 4);
        wirestate_tcp_config_free(cfg);
        wirestate_tcp_config_free(ptr::null_mut());
    }
}
