//! Events of the TCP endpoint.

use core::net::{IpAddr, Ipv4Addr, SocketAddr};

use wirestate_core::tcp::{Event, State};

use super::addr::wirestate_socket_addr;
use super::endpoint::{wirestate_tcp_endpoint, with_endpoint};
use super::wirestate_tcp_state;
use crate::error::wirestate_result;
use crate::ffi::Out;

/// What a TCP event reports. The numbers are stable.
///
/// Every connection the application knows of ends with exactly one
/// `CLOSED`; `RESET` or `TIMED_OUT` comes just before it when the end was
/// abnormal. A listener's connections that die during the handshake are
/// never reported.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wirestate_tcp_event_kind {
    /// No event is pending.
    None = 0,
    /// `connect`'s handshake completed: the connection is ESTABLISHED.
    Connected = 1,
    /// A listener's connection completed its handshake and is ready (it is
    /// accepted automatically); `remote` is the peer's address.
    Incoming = 2,
    /// In-order data arrived while nothing was waiting to be read: call
    /// `recv` until it returns 0. Edge-triggered: no further `READABLE`
    /// comes until everything was read.
    Readable = 3,
    /// Room opened in the send buffer after a `send` took less than it was
    /// given.
    Writable = 4,
    /// The peer sent its FIN: it sends no more. `recv` returns what is
    /// left, then 0 with `is_read_finished` true. Close your side when done.
    PeerFinished = 5,
    /// The peer reset the connection. `CLOSED` follows.
    Reset = 6,
    /// The peer stopped answering (retransmissions, SYN retries, keepalive
    /// probes or the user timeout ran out). `CLOSED` follows.
    TimedOut = 7,
    /// The connection reached CLOSED. Its id keeps working until everything
    /// received has been read, then becomes unknown.
    Closed = 8,
    /// The RFC 9293 state changed from `from` to `to` (only with
    /// `wirestate_tcp_config_set_state_change_events`).
    StateChanged = 9,
    /// An event this version of the C API does not describe; skip it.
    Unknown = 255,
}

/// One event, filled by `wirestate_tcp_endpoint_poll_event`. Fields that do
/// not belong to `kind` are zero (`remote.ip.family` 0, `from` and `to`
/// `CLOSED`). Everything is by value: nothing points into the endpoint.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wirestate_tcp_event {
    /// What happened (a `wirestate_tcp_event_kind`).
    pub kind: wirestate_tcp_event_kind,
    /// The connection it concerns (meaningless for `NONE`).
    pub conn: u64,
    /// `INCOMING`: the peer's address and port.
    pub remote: wirestate_socket_addr,
    /// `STATE_CHANGED`: the state left.
    pub from: wirestate_tcp_state,
    /// `STATE_CHANGED`: the state entered.
    pub to: wirestate_tcp_state,
}

impl wirestate_tcp_event {
    fn of(kind: wirestate_tcp_event_kind, conn: u64) -> wirestate_tcp_event {
        let mut remote =
            wirestate_socket_addr::from(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0));
        remote.ip.family = 0;
        wirestate_tcp_event {
            kind,
            conn,
            remote,
            from: State::Closed.into(),
            to: State::Closed.into(),
        }
    }
}

/// Takes the next event and writes it to `*event`; `event->kind` is
/// `WIRESTATE_TCP_EVENT_KIND_NONE` when there is none. Call it until then
/// after every input and application call (after draining `poll_transmit`,
/// which is where some connections finish).
///
/// Ownership: the event is a plain value; nothing in it points anywhere.
#[unsafe(no_mangle)]
pub extern "C" fn wirestate_tcp_endpoint_poll_event(
    ep: *mut wirestate_tcp_endpoint,
    event: *mut wirestate_tcp_event,
) -> wirestate_result {
    with_endpoint(ep, |e| {
        let out = Out::new(event)?;
        use wirestate_tcp_event_kind as K;
        let ev = match e.poll_event() {
            None => wirestate_tcp_event::of(K::None, 0),
            Some((id, event)) => {
                let id = id.0;
                match event {
                    Event::Connected => wirestate_tcp_event::of(K::Connected, id),
                    Event::Incoming { remote } => wirestate_tcp_event {
                        remote: remote.into(),
                        ..wirestate_tcp_event::of(K::Incoming, id)
                    },
                    Event::Readable => wirestate_tcp_event::of(K::Readable, id),
                    Event::Writable => wirestate_tcp_event::of(K::Writable, id),
                    Event::PeerFinished => wirestate_tcp_event::of(K::PeerFinished, id),
                    Event::Reset => wirestate_tcp_event::of(K::Reset, id),
                    Event::TimedOut => wirestate_tcp_event::of(K::TimedOut, id),
                    Event::Closed => wirestate_tcp_event::of(K::Closed, id),
                    Event::StateChanged { from, to } => wirestate_tcp_event {
                        from: from.into(),
                        to: to.into(),
                        ..wirestate_tcp_event::of(K::StateChanged, id)
                    },
                }
            }
        };
        out.write(ev);
        Ok(())
    })
}
