//! The endpoint's output queue and schedule. A connection with output
//! joins the queue, and its deadline is recorded when it leaves it, so
//! whatever reads the schedule before then must see it all the same; one
//! with nothing to send joins it only if it ended, to be let go.

use super::tests::{A, B, addr, endpoint, packets, run};
use super::*;
use alloc::vec;

/// An established client with 10,000 bytes queued, of which one segment
/// was taken; returns the endpoint, the connection and the time.
fn one_segment_taken() -> (Endpoint, ConnId, Instant) {
    let mut client = endpoint(EndpointConfig::default(), 1);
    let mut server = endpoint(EndpointConfig::default(), 2);
    server.listen(addr(B, 7)).unwrap();
    let mut now = Instant::ZERO;
    let c = client.connect(now, addr(A, 40000), addr(B, 7)).unwrap();
    run(&mut client, &mut server, &mut now, Instant::from_millis(10));
    assert_eq!(client.poll_timeout(), None);
    assert_eq!(client.send(c, &[5u8; 10_000]), Ok(10_000));
    let mut buf = vec![0u8; 2000];
    assert!(client.poll_transmit(now, &mut buf).is_some());
    // More is queued: the connection is still in the output queue.
    assert!(client.connection(c).unwrap().may_transmit());
    (client, c, now)
}

/// The timer that sending armed is the endpoint's next deadline before
/// the rest of the output is taken.
#[test]
fn poll_timeout_sees_timers_armed_while_output_is_still_queued() {
    let (mut client, c, _) = one_segment_taken();
    let armed = client.connection(c).unwrap().poll_timeout();
    assert!(armed.is_some());
    assert_eq!(client.poll_timeout(), armed);
}

/// `handle_timeout` without a `poll_timeout` first still runs that timer.
#[test]
fn handle_timeout_runs_timers_armed_while_output_is_still_queued() {
    let (mut client, c, now) = one_segment_taken();
    let armed = client.connection(c).unwrap().poll_timeout().unwrap();
    assert!(armed > now);
    client.handle_timeout(armed);
    packets(&mut client, armed);
    let stats = client.stats(c).unwrap();
    assert_eq!(stats.tail_loss_probes + stats.timeouts, 1, "{stats:?}");
}

/// A segment that needs no answer does not queue its connection for a
/// `poll_transmit` that would find nothing: its deadline is recorded at
/// once. One that ends the connection queues it only to be let go at the
/// next `poll_transmit`, so that its state can be read until then.
#[test]
fn segments_needing_no_answer_queue_nothing() {
    let mut client = endpoint(EndpointConfig::default(), 1);
    let mut server = endpoint(EndpointConfig::default(), 2);
    server.listen(addr(B, 7)).unwrap();
    let now = Instant::ZERO;
    let c = client.connect(now, addr(A, 40000), addr(B, 7)).unwrap();
    let cross = |from: &mut Endpoint, to: &mut Endpoint| {
        let sent = packets(from, now);
        for p in &sent {
            to.handle_packet(now, p);
        }
        sent.len()
    };
    assert_eq!(cross(&mut client, &mut server), 1);
    assert_eq!(cross(&mut server, &mut client), 1);
    // The handshake's last ACK: the server has nothing to answer, and its
    // SYN-ACK's retransmission timer is gone from the schedule already.
    assert_eq!(cross(&mut client, &mut server), 1);
    assert!(server.dirty.is_empty());
    assert_eq!(server.poll_timeout(), None);
    let Some((s, Event::Incoming { .. })) = server.poll_event() else {
        panic!("no Incoming event");
    };
    // The client's FIN, answered by a delayed ACK: nothing queued, the
    // delayed ACK's deadline recorded.
    client.close(c, now).unwrap();
    assert_eq!(cross(&mut client, &mut server), 1);
    assert!(server.dirty.is_empty());
    assert!(server.poll_timeout().is_some());
    // The server's FIN and the client's last ACK: the server's connection
    // ends, and stays readable until the next `poll_transmit`.
    server.close(s, now).unwrap();
    assert_eq!(cross(&mut server, &mut client), 1);
    let last = packets(&mut client, now);
    assert_eq!(last.len(), 1);
    server.handle_packet(now, &last[0]);
    assert_eq!(server.state(s), Some(State::Closed));
    assert!(server.stats(s).is_some());
    let events: Vec<_> = core::iter::from_fn(|| server.poll_event()).collect();
    assert_eq!(events.last(), Some(&(s, Event::Closed)));
    assert!(packets(&mut server, now).is_empty());
    assert!(server.connection(s).is_none());
    assert_eq!(server.conns.len(), 0);
    assert!(server.dirty.is_empty());
    assert_eq!(server.poll_timeout(), None);
}
