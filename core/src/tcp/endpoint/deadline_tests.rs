//! The endpoint's schedule while connections still have output queued:
//! their deadlines are recorded when they leave the output queue, so
//! whatever reads the schedule before then must see them all the same.

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
