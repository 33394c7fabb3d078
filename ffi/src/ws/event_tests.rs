//! Tests of the event functions: single polls, batches and their payloads.
use super::*;
use crate::ws::config::{
    wirestate_ws_config_free, wirestate_ws_config_new, wirestate_ws_config_set_host,
};
use crate::ws::conn::{
    wirestate_ws_conn_accept, wirestate_ws_conn_consume_output, wirestate_ws_conn_free,
    wirestate_ws_conn_new_client, wirestate_ws_conn_new_server, wirestate_ws_conn_pending_output,
    wirestate_ws_conn_receive_data, wirestate_ws_conn_send_binary,
};
use core::ptr;

fn ok(r: wirestate_result) {
    assert_eq!(r, wirestate_result::Ok);
}

fn pump(from: *mut wirestate_ws_conn, to: *mut wirestate_ws_conn) {
    let (mut data, mut len) = (ptr::null(), 0);
    ok(wirestate_ws_conn_pending_output(from, &mut data, &mut len));
    ok(wirestate_ws_conn_receive_data(to, data, len));
    ok(wirestate_ws_conn_consume_output(from, len));
}

const BLANK: wirestate_ws_event = wirestate_ws_event {
    kind: wirestate_ws_event_kind::Unknown,
    message_kind: wirestate_ws_message_kind::Text,
    data: ptr::null(),
    len: 7,
    code: 7,
    status: 7,
    clean: true,
    first: true,
    last: true,
    total: 7,
};

/// An open client and server.
fn pair() -> (*mut wirestate_ws_conn, *mut wirestate_ws_conn) {
    let mut cfg = ptr::null_mut();
    ok(wirestate_ws_config_new(&mut cfg));
    ok(wirestate_ws_config_set_host(cfg, c"h".as_ptr(), 1));
    let (mut client, mut server) = (ptr::null_mut(), ptr::null_mut());
    ok(wirestate_ws_conn_new_client(
        cfg,
        [1u8; 16].as_ptr(),
        &mut client,
    ));
    ok(wirestate_ws_conn_new_server(cfg, &mut server));
    wirestate_ws_config_free(cfg);
    pump(client, server);
    let mut evs = [BLANK; 4];
    let mut n = 0;
    ok(wirestate_ws_conn_poll_events(
        server,
        evs.as_mut_ptr(),
        4,
        &mut n,
    ));
    assert_eq!((n, evs[0].kind), (1, wirestate_ws_event_kind::Request));
    ok(wirestate_ws_conn_accept(
        server,
        ptr::null(),
        0,
        ptr::null(),
        0,
    ));
    pump(server, client);
    ok(wirestate_ws_conn_poll_events(
        client,
        evs.as_mut_ptr(),
        4,
        &mut n,
    ));
    assert_eq!((n, evs[0].kind), (1, wirestate_ws_event_kind::Accepted));
    (client, server)
}

#[test]
fn a_batch_holds_every_pending_event_with_its_payload() {
    let (client, server) = pair();
    for i in 0..5u8 {
        let msg = [i; 10];
        ok(wirestate_ws_conn_send_binary(
            client,
            msg.as_ptr(),
            msg.len(),
        ));
    }
    pump(client, server);
    let mut evs = [BLANK; 8];
    let mut n = 99;
    ok(wirestate_ws_conn_poll_events(
        server,
        evs.as_mut_ptr(),
        8,
        &mut n,
    ));
    assert_eq!(n, 5);
    for (i, e) in evs[..5].iter().enumerate() {
        assert_eq!(e.kind, wirestate_ws_event_kind::Binary);
        // SAFETY: the batch's payloads are valid until the next call.
        let data = unsafe { core::slice::from_raw_parts(e.data, e.len) };
        assert_eq!(data, [i as u8; 10]);
    }
    // The slots after the batch are untouched.
    assert_eq!((evs[5].len, evs[5].data), (7, ptr::null()));
    ok(wirestate_ws_conn_poll_events(
        server,
        evs.as_mut_ptr(),
        8,
        &mut n,
    ));
    assert_eq!(n, 0);
    wirestate_ws_conn_free(client);
    wirestate_ws_conn_free(server);
}

#[test]
fn bad_arguments_take_nothing() {
    let (client, server) = pair();
    ok(wirestate_ws_conn_send_binary(client, b"x".as_ptr(), 1));
    pump(client, server);
    let mut evs = [BLANK; 2];
    let mut n = 42;
    let p = evs.as_mut_ptr();
    use wirestate_result as R;
    let calls = [
        (
            wirestate_ws_conn_poll_events(ptr::null_mut(), p, 2, &mut n),
            R::NullParameter,
        ),
        (
            wirestate_ws_conn_poll_events(server, ptr::null_mut(), 2, &mut n),
            R::NullParameter,
        ),
        (
            wirestate_ws_conn_poll_events(server, p, 2, ptr::null_mut()),
            R::NullParameter,
        ),
        (
            wirestate_ws_conn_poll_events(server, p, 0, &mut n),
            R::InvalidArgument,
        ),
        (
            wirestate_ws_conn_poll_events(server, p, usize::MAX, &mut n),
            R::InvalidArgument,
        ),
    ];
    for (got, want) in calls {
        assert_eq!(got, want);
    }
    assert_eq!(n, 42);
    assert_eq!(evs[0].len, 7);
    ok(wirestate_ws_conn_poll_events(server, p, 2, &mut n));
    assert_eq!(
        (n, evs[0].kind, evs[0].len),
        (1, wirestate_ws_event_kind::Binary, 1)
    );
    wirestate_ws_conn_free(client);
    wirestate_ws_conn_free(server);
}

/// Asserts that `last_payload`, the range `with_input` copies input from,
/// covers the payload of every event in `evs`.
fn assert_spans(server: *mut wirestate_ws_conn, evs: &[wirestate_ws_event]) {
    // SAFETY: `server` is live and no call is running on it.
    let (lo, hi) = unsafe { (*server).last_payload };
    for e in evs.iter().filter(|e| e.len > 0) {
        let start = e.data as usize;
        assert!(
            lo <= start && start + e.len <= hi,
            "{e:?} outside {lo:#x}..{hi:#x}"
        );
    }
}

#[test]
fn the_payload_span_covers_what_was_handed_out() {
    use crate::ws::conn::{wirestate_ws_conn_ping, wirestate_ws_conn_send_text};
    let (client, server) = pair();
    let send = |text: bool, msg: &[u8]| {
        if text {
            ok(wirestate_ws_conn_send_text(
                client,
                msg.as_ptr().cast(),
                msg.len(),
            ));
        } else {
            ok(wirestate_ws_conn_send_binary(
                client,
                msg.as_ptr(),
                msg.len(),
            ));
        }
    };
    // Text, binary, control and empty payloads, from the core's different
    // buffers, in one batch.
    send(true, b"text one");
    send(false, b"binary");
    ok(wirestate_ws_conn_ping(client, b"pp".as_ptr(), 2));
    send(false, b"");
    send(true, b"text two");
    pump(client, server);
    let mut evs = [BLANK; 8];
    let mut n = 0;
    ok(wirestate_ws_conn_poll_events(
        server,
        evs.as_mut_ptr(),
        8,
        &mut n,
    ));
    assert_eq!(n, 5);
    use wirestate_ws_event_kind as K;
    let kinds: Vec<_> = evs[..n].iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [K::Text, K::Binary, K::Ping, K::Binary, K::Text]);
    assert_eq!(
        evs[1].message_kind,
        crate::ws::wirestate_ws_message_kind::Binary
    );
    assert_eq!(
        evs[4].message_kind,
        crate::ws::wirestate_ws_message_kind::Text
    );
    assert_spans(server, &evs[..n]);
    // One at a time: the span is the last payload's, and empty for an empty
    // payload and for NONE.
    send(true, b"abc");
    send(false, b"");
    pump(client, server);
    let mut ev = BLANK;
    ok(wirestate_ws_conn_poll_event(server, &mut ev));
    assert_eq!((ev.kind, ev.len), (K::Text, 3));
    assert_spans(server, &[ev]);
    // SAFETY: as above.
    let (lo, hi) = unsafe { (*server).last_payload };
    assert!(lo < hi);
    for want in [K::Binary, K::None] {
        ok(wirestate_ws_conn_poll_event(server, &mut ev));
        assert_eq!((ev.kind, ev.len), (want, 0));
        // SAFETY: as above.
        let (lo, hi) = unsafe { (*server).last_payload };
        assert!(lo >= hi, "an empty span overlaps nothing");
    }
    wirestate_ws_conn_free(client);
    wirestate_ws_conn_free(server);
}
