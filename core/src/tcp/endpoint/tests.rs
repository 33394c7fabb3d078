//! Endpoints exchanging whole IP packets.

use super::*;
use crate::time::Duration;
use crate::wire::TcpPacket;
use alloc::vec;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub(super) const A: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 7, 0, 1));
pub(super) const B: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 7, 0, 2));

pub(super) fn addr(ip: IpAddr, port: u16) -> SocketAddr {
    SocketAddr::new(ip, port)
}

pub(super) fn endpoint(config: EndpointConfig, seed: u8) -> Endpoint {
    Endpoint::new(config, [seed; 16]).unwrap()
}

pub(super) fn packets(ep: &mut Endpoint, now: Instant) -> Vec<Vec<u8>> {
    let mut buf = vec![0u8; 2000];
    let mut out = Vec::new();
    while let Some(t) = ep.poll_transmit(now, &mut buf) {
        out.push(buf[..t.len].to_vec());
    }
    out
}

fn events(ep: &mut Endpoint) -> Vec<(ConnId, Event)> {
    core::iter::from_fn(|| ep.poll_event()).collect()
}

/// Moves packets both ways until both are quiet, then jumps to the next
/// timer; stops when nothing is left to do or at `until`.
pub(super) fn run(a: &mut Endpoint, b: &mut Endpoint, now: &mut Instant, until: Instant) {
    loop {
        let mut moved = false;
        for p in packets(a, *now) {
            b.handle_packet(*now, &p);
            moved = true;
        }
        for p in packets(b, *now) {
            a.handle_packet(*now, &p);
            moved = true;
        }
        if moved {
            continue;
        }
        let next = [a.poll_timeout(), b.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        match next {
            Some(t) if t <= until => {
                *now = (*now).max(t);
                a.handle_timeout(*now);
                b.handle_timeout(*now);
            }
            _ => return,
        }
    }
}

#[test]
fn connect_exchange_and_close() {
    let mut client = endpoint(EndpointConfig::default(), 1);
    let mut server = endpoint(EndpointConfig::default(), 2);
    server.listen(addr(B, 7)).unwrap();
    assert_eq!(server.listen(addr(B, 7)), Err(EndpointError::AddressInUse));
    let mut now = Instant::ZERO;
    let c = client.connect(now, addr(A, 40000), addr(B, 7)).unwrap();
    assert_eq!(client.state(c), Some(State::SynSent));
    run(&mut client, &mut server, &mut now, Instant::from_millis(10));
    assert_eq!(events(&mut client), [(c, Event::Connected)]);
    let incoming = events(&mut server);
    assert_eq!(incoming.len(), 1);
    let (s, Event::Incoming { remote }) = incoming[0] else {
        panic!("expected Incoming, got {incoming:?}");
    };
    assert_eq!(remote, addr(A, 40000));
    assert_eq!(server.state(s), Some(State::Established));

    let data: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    let mut sent = 0;
    let mut got = Vec::new();
    let mut buf = vec![0u8; 8192];
    while got.len() < data.len() {
        sent += client.send(c, &data[sent..]).unwrap();
        let until = now;
        run(&mut client, &mut server, &mut now, until);
        loop {
            let n = server.recv(s, &mut buf).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
    }
    assert_eq!(got, data);
    // The server answers and closes first; the client reads, then closes.
    server.send(s, b"reply").unwrap();
    server.close(s, now).unwrap();
    let until = now;
    run(&mut client, &mut server, &mut now, until);
    assert_eq!(client.state(c), Some(State::CloseWait));
    assert_eq!(client.recv(c, &mut buf), Ok(5));
    assert!(client.connection(c).unwrap().is_read_finished());
    client.close(c, now).unwrap();
    let until = now;
    run(&mut client, &mut server, &mut now, until);
    // The client went through LAST-ACK and is gone; the server lingers in
    // TIME-WAIT for 2·MSL, then is gone too.
    assert!(client.is_empty());
    assert_eq!(
        client.recv(c, &mut buf),
        Err(EndpointError::UnknownConnection)
    );
    assert_eq!(server.state(s), Some(State::TimeWait));
    run(&mut client, &mut server, &mut now, Instant::from_secs(3600));
    assert!(server.is_empty());
    assert_eq!(server.poll_timeout(), None);
    let evs: Vec<Event> = events(&mut client).into_iter().map(|(_, e)| e).collect();
    assert!(evs.contains(&Event::PeerFinished) && evs.ends_with(&[Event::Closed]));
}

#[test]
fn segments_for_nobody_get_a_reset() {
    let mut server = endpoint(EndpointConfig::default(), 2);
    let mut client = endpoint(EndpointConfig::default(), 1);
    let now = Instant::ZERO;
    // A SYN to a closed port: RST|ACK acknowledging the SYN.
    let c = client.connect(now, addr(A, 40000), addr(B, 9)).unwrap();
    let syn = packets(&mut client, now).remove(0);
    server.handle_packet(now, &syn);
    let rst = packets(&mut server, now);
    assert_eq!(rst.len(), 1);
    let (ip, seg) = IpRepr::parse(&rst[0], ChecksumMode::FULL).unwrap();
    let seg =
        TcpRepr::parse_segment(seg, ip.src_addr(), ip.dst_addr(), ChecksumMode::FULL).unwrap();
    let (_, syn_tcp) = IpRepr::parse(&syn, ChecksumMode::FULL).unwrap();
    let syn_seq = u32::from_be_bytes(syn_tcp[4..8].try_into().unwrap());
    assert_eq!(seg.flags, TcpFlags::RST | TcpFlags::ACK);
    assert_eq!((seg.seq, seg.ack), (0, syn_seq.wrapping_add(1)));
    // The client takes it as "connection refused".
    client.handle_packet(now, &rst[0]);
    assert_eq!(events(&mut client), [(c, Event::Reset), (c, Event::Closed)]);
    packets(&mut client, now);
    assert!(client.is_empty());
    // A RST to nobody is never answered; an ACK to nobody gets a RST
    // taking its sequence number from the ACK.
    server.handle_packet(now, &rst[0]);
    assert!(packets(&mut server, now).is_empty());
    let stray = TcpRepr {
        src_port: 5555,
        dst_port: 9,
        seq: 77,
        ack: 12345,
        flags: TcpFlags::ACK,
        window: 100,
        payload: b"data",
        ..TcpRepr::default()
    };
    let mut seg = vec![0u8; stray.buffer_len()];
    stray.emit(
        &mut TcpPacket::new_unchecked(&mut seg[..]),
        A,
        B,
        ChecksumMode::FULL,
    );
    server.handle_segment(now, A, B, &seg);
    let mut buf = [0u8; 100];
    let t = server.poll_transmit_segment(now, &mut buf).unwrap();
    assert_eq!((t.src, t.dst), (addr(B, 9), addr(A, 5555)));
    let answer = TcpRepr::parse_segment(&buf[..t.len], B, A, ChecksumMode::FULL).unwrap();
    assert_eq!((answer.seq, answer.flags), (12345, TcpFlags::RST));
}

#[test]
fn syn_queue_and_accept_backlog_are_bounded() {
    let config = EndpointConfig {
        syn_queue: 2,
        accept_backlog: 1,
        syn_cookies: false,
        ..EndpointConfig::default()
    };
    let mut server = endpoint(config, 2);
    server
        .listen(addr(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 80))
        .unwrap();
    let mut client = endpoint(EndpointConfig::default(), 1);
    let now = Instant::ZERO;
    for port in 1..=3 {
        client.connect(now, addr(A, port), addr(B, 80)).unwrap();
    }
    for p in packets(&mut client, now) {
        server.handle_packet(now, &p);
    }
    // Two SYN-ACKs: the third SYN found the queue full.
    let synacks = packets(&mut server, now);
    assert_eq!(synacks.len(), 2);
    assert_eq!(server.len(), 2);
    // Both handshakes complete. Two Incoming events now wait unpolled (the
    // second SYN was admitted while the backlog was still empty).
    for p in synacks {
        client.handle_packet(now, &p);
    }
    for p in packets(&mut client, now) {
        server.handle_packet(now, &p);
    }
    // A new SYN is refused while Incoming events wait.
    client.connect(now, addr(A, 9), addr(B, 80)).unwrap();
    for p in packets(&mut client, now) {
        server.handle_packet(now, &p);
    }
    assert!(packets(&mut server, now).is_empty());
    let incoming = events(&mut server);
    assert_eq!(incoming.len(), 2);
    assert!(
        incoming
            .iter()
            .all(|(_, e)| matches!(e, Event::Incoming { .. }))
    );
    // With the events taken, SYNs are admitted again.
    let later = now + Duration::from_secs(1);
    client.handle_timeout(later);
    for p in packets(&mut client, later) {
        server.handle_packet(later, &p);
    }
    assert!(!packets(&mut server, later).is_empty());
}

#[test]
fn many_connections_one_cheap_timeout() {
    let mut client = endpoint(EndpointConfig::default(), 1);
    for i in 0..2000u16 {
        let now = Instant::from_millis(u64::from(i));
        client.connect(now, addr(A, 1000 + i), addr(B, 80)).unwrap();
        packets(&mut client, now);
    }
    // The first SYN's retransmission is the earliest deadline.
    assert_eq!(client.poll_timeout(), Some(Instant::from_secs(1)));
    client.handle_timeout(Instant::from_millis(1500));
    assert_eq!(packets(&mut client, Instant::from_millis(1500)).len(), 501);
    assert_eq!(client.poll_timeout(), Some(Instant::from_millis(1501)));
}

#[test]
fn ipv6_and_misuse() {
    let a6 = IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1));
    let b6 = IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 2));
    let mut client = endpoint(EndpointConfig::default(), 1);
    let mut server = endpoint(EndpointConfig::default(), 2);
    server.listen(addr(b6, 443)).unwrap();
    let mut now = Instant::ZERO;
    let c = client.connect(now, addr(a6, 5000), addr(b6, 443)).unwrap();
    run(&mut client, &mut server, &mut now, Instant::from_millis(1));
    assert_eq!(client.state(c), Some(State::Established));
    assert_eq!(client.connection(c).unwrap().send_mss(), 1428);
    assert_eq!(
        client.connect(now, addr(a6, 5000), addr(b6, 443)),
        Err(EndpointError::AddressInUse)
    );
    assert_eq!(
        client.connect(now, addr(A, 5000), addr(b6, 443)),
        Err(EndpointError::InvalidAddress)
    );
    assert_eq!(
        client.send(ConnId(999), b"x"),
        Err(EndpointError::UnknownConnection)
    );
    client.close(c, now).unwrap();
    assert_eq!(client.close(c, now), Err(EndpointError::Closed));
    assert_eq!(client.send(c, b"x"), Err(EndpointError::Closed));
    assert!(server.unlisten(addr(b6, 443)));
    assert!(!server.unlisten(addr(b6, 443)));
    // Garbage is ignored.
    server.handle_packet(now, &[0x45, 0, 0]);
    server.handle_packet(now, &[]);
    assert!(packets(&mut server, now).is_empty());
}

#[test]
fn scoped_ipv6_addresses_name_the_same_connection_as_their_segments() {
    use core::net::SocketAddrV6;
    let a6 = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
    let b6 = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 2);
    let scoped = |ip, port| SocketAddr::V6(SocketAddrV6::new(ip, port, 0x1234, 3));
    let mut client = endpoint(EndpointConfig::default(), 1);
    let mut server = endpoint(EndpointConfig::default(), 2);
    // Neither the listener nor the connection may depend on the scope id
    // or flow label, which no segment carries.
    server.listen(scoped(b6, 443)).unwrap();
    let mut now = Instant::ZERO;
    let c = client
        .connect(now, scoped(a6, 5000), scoped(b6, 443))
        .unwrap();
    run(&mut client, &mut server, &mut now, Instant::from_millis(1));
    assert_eq!(client.state(c), Some(State::Established));
    let conn = client.connection(c).unwrap();
    assert_eq!(conn.local(), addr(IpAddr::V6(a6), 5000));
    assert_eq!(conn.remote(), addr(IpAddr::V6(b6), 443));
    assert_eq!(
        client.connect(now, addr(IpAddr::V6(a6), 5000), addr(IpAddr::V6(b6), 443)),
        Err(EndpointError::AddressInUse)
    );
    assert_eq!(
        server.listen(addr(IpAddr::V6(b6), 443)),
        Err(EndpointError::AddressInUse)
    );
    assert!(server.unlisten(addr(IpAddr::V6(b6), 443)));
}

/// The id of the server connection other than `not`.
fn first_server_id(server: &Endpoint, not: ConnId) -> ConnId {
    server
        .conns
        .ids()
        .find(|&id| id != not)
        .expect("another connection")
}

/// Cookie connections move bulk data with scaled windows (the options
/// came back through the timestamp), and without timestamps in the SYN they
/// fall back to no options at all.
#[test]
fn syn_cookie_connections_keep_or_drop_options() {
    for timestamps in [true, false] {
        let config = EndpointConfig {
            syn_queue: 0,
            ..EndpointConfig::default()
        };
        let mut client_config = EndpointConfig::default();
        client_config.connection.timestamps = timestamps;
        let mut now = Instant::from_secs(10);
        let mut client = endpoint(client_config, 1);
        let mut server = endpoint(config, 2);
        server.listen(addr(B, 80)).unwrap();
        let c = client.connect(now, addr(A, 7), addr(B, 80)).unwrap();
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let mut sent = 0;
        let mut got = Vec::new();
        let mut s = None;
        let mut buf = vec![0u8; 65536];
        for _ in 0..10_000 {
            if got.len() == data.len() {
                break;
            }
            if client.state(c) == Some(State::Established) && sent < data.len() {
                sent += client.send(c, &data[sent..]).unwrap();
            }
            let until = now;
            run(&mut client, &mut server, &mut now, until);
            for (id, e) in events(&mut server) {
                if let Event::Incoming { .. } = e {
                    s = Some(id);
                }
            }
            events(&mut client);
            if let Some(id) = s {
                loop {
                    let n = server.recv(id, &mut buf).unwrap();
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&buf[..n]);
                }
            }
            now += Duration::from_millis(1);
            client.handle_timeout(now);
            server.handle_timeout(now);
        }
        assert_eq!(got, data, "timestamps {timestamps}");
        let n = server.connection(s.unwrap()).unwrap().negotiated();
        assert_eq!(n.timestamps, timestamps);
        assert_eq!(n.sack, timestamps);
        assert_eq!(n.send_window_shift.is_some(), timestamps);
        assert_eq!(
            client.connection(c).unwrap().negotiated().timestamps,
            timestamps
        );
    }
}

#[test]
fn syn_cookies_when_the_queue_is_full() {
    let config = EndpointConfig {
        syn_queue: 1,
        ..EndpointConfig::default()
    };
    let mut now = Instant::from_secs(10);
    let mut client = endpoint(EndpointConfig::default(), 1);
    let mut server = endpoint(config, 2);
    server.listen(addr(B, 80)).unwrap();
    let first = client.connect(now, addr(A, 1), addr(B, 80)).unwrap();
    let second = client.connect(now, addr(A, 2), addr(B, 80)).unwrap();
    for p in packets(&mut client, now) {
        server.handle_packet(now, &p);
    }
    let synacks = packets(&mut server, now);
    assert_eq!(synacks.len(), 2);
    assert_eq!(server.len(), 1);
    for p in synacks {
        client.handle_packet(now, &p);
    }
    assert_eq!(client.state(first), Some(State::Established));
    assert_eq!(client.state(second), Some(State::Established));
    // The cookie ACK creates the second connection; data flows on it.
    client.send(second, b"over a cookie").unwrap();
    let until = now;
    run(&mut client, &mut server, &mut now, until);
    assert_eq!(server.len(), 2);
    let incoming = events(&mut server);
    let ids: Vec<ConnId> = incoming
        .iter()
        .filter(|(_, e)| matches!(e, Event::Incoming { .. }))
        .map(|&(id, _)| id)
        .collect();
    assert_eq!(ids.len(), 2);
    let cookie_conn = ids
        .into_iter()
        .find(|&id| server.connection(id).unwrap().remote() == addr(A, 2))
        .unwrap();
    let mut buf = [0u8; 64];
    let n = server.recv(cookie_conn, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"over a cookie");
    // The options came back through the timestamp: both ends agree on
    // scaling, SACK and timestamps, as on the queued connection.
    let on_server = server.connection(cookie_conn).unwrap().negotiated();
    let on_client = client.connection(second).unwrap().negotiated();
    let queued = server
        .connection(first_server_id(&server, cookie_conn))
        .unwrap()
        .negotiated();
    assert_eq!(on_server, queued);
    assert!(on_server.timestamps && on_server.sack);
    assert!(on_server.send_window_shift.is_some());
    assert_eq!(on_server.send_window_shift, on_client.recv_window_shift);
    assert_eq!(on_server.recv_window_shift, on_client.send_window_shift);
    assert!(on_client.timestamps && on_client.sack);
    // A forged ACK with a wrong cookie gets a RST, not a connection.
    let forged = TcpRepr {
        src_port: 3,
        dst_port: 80,
        seq: 1000,
        ack: 123_456,
        flags: TcpFlags::ACK,
        window: 100,
        ..TcpRepr::default()
    };
    let mut seg = vec![0u8; forged.buffer_len()];
    forged.emit(
        &mut TcpPacket::new_unchecked(&mut seg[..]),
        A,
        B,
        ChecksumMode::FULL,
    );
    server.handle_segment(now, A, B, &seg);
    assert_eq!(server.len(), 2);
    let mut out = [0u8; 100];
    let t = server.poll_transmit_segment(now, &mut out).unwrap();
    let rst = TcpRepr::parse_segment(&out[..t.len], B, A, ChecksumMode::FULL).unwrap();
    assert_eq!((rst.flags, rst.seq), (TcpFlags::RST, 123_456));
}

mod robust {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: crate::tcp::proptest_cases(128), ..ProptestConfig::default() })]

        /// Random segments (valid checksums, arbitrary fields) and raw
        /// garbage at a listening endpoint: no panic, queues stay bounded,
        /// and left alone it eventually needs no timer.
        #[test]
        fn arbitrary_packets(
            segs in proptest::collection::vec(
                (any::<u16>(), any::<u32>(), any::<u32>(), any::<u8>(), any::<u16>(), 0usize..200, any::<bool>()),
                1..80,
            ),
            garbage in proptest::collection::vec(any::<u8>(), 0..100),
        ) {
            let config = EndpointConfig { syn_queue: 4, accept_backlog: 4, ..EndpointConfig::default() };
            let mut server = endpoint(config, 2);
            server.listen(addr(B, 80)).unwrap();
            let mut now = Instant::from_secs(100);
            let payload = [7u8; 200];
            let mut buf = vec![0u8; 2000];
            server.handle_packet(now, &garbage);
            for (port, seq, ack, flags, window, len, to_listener) in segs {
                let repr = TcpRepr {
                    src_port: port.max(1),
                    dst_port: if to_listener { 80 } else { 81 },
                    seq,
                    ack,
                    flags: TcpFlags::from_bits(flags),
                    window,
                    mss: Some(window),
                    payload: &payload[..len],
                    ..TcpRepr::default()
                };
                let mut seg = vec![0u8; repr.buffer_len()];
                repr.emit(&mut TcpPacket::new_unchecked(&mut seg[..]), A, B, ChecksumMode::FULL);
                server.handle_segment(now, A, B, &seg);
                now += Duration::from_millis(u64::from(window % 500));
                server.handle_timeout(now);
                let mut sent = 0;
                while server.poll_transmit(now, &mut buf).is_some() {
                    sent += 1;
                    prop_assert!(sent < 10_000);
                }
                while server.poll_event().is_some() {}
                prop_assert!(server.stateless.len() <= MAX_PENDING_STATELESS);
                prop_assert!(server.listeners[0].half_open <= 4);
            }
            for _ in 0..100_000 {
                let Some(t) = server.poll_timeout() else { break };
                now = now.max(t);
                server.handle_timeout(now);
                while server.poll_transmit(now, &mut buf).is_some() {}
                while server.poll_event().is_some() {}
            }
            prop_assert_eq!(server.poll_timeout(), None);
            prop_assert!(server.is_empty(), "{} connections left", server.len());
        }
    }
}

/// The TCP segment of an IP packet.
pub(super) fn segment_of(packet: &[u8]) -> TcpRepr<'_> {
    let (ip, seg) = IpRepr::parse(packet, ChecksumMode::FULL).unwrap();
    TcpRepr::parse_segment(seg, ip.src_addr(), ip.dst_addr(), ChecksumMode::FULL).unwrap()
}

/// A client that closed first, now in TIME-WAIT, whose last ACK (in
/// `lost`) never reached the server, still in LAST-ACK.
struct LastAckLost {
    client: Endpoint,
    server: Endpoint,
    c: ConnId,
    /// The server's FIN as the client got it.
    server_fin: Vec<Vec<u8>>,
    lost: Vec<Vec<u8>>,
}

fn lose_the_last_ack() -> LastAckLost {
    let mut client = endpoint(EndpointConfig::default(), 1);
    let mut server = endpoint(EndpointConfig::default(), 2);
    server.listen(addr(B, 7)).unwrap();
    let mut now = Instant::ZERO;
    let c = client.connect(now, addr(A, 1234), addr(B, 7)).unwrap();
    run(&mut client, &mut server, &mut now, Instant::from_millis(1));
    let s = events(&mut server)[0].0;
    client.close(c, now).unwrap();
    for p in packets(&mut client, now) {
        server.handle_packet(now, &p);
    }
    for p in packets(&mut server, now) {
        client.handle_packet(now, &p);
    }
    server.close(s, now).unwrap();
    let server_fin = packets(&mut server, now);
    for p in &server_fin {
        client.handle_packet(now, p);
    }
    let lost = packets(&mut client, now);
    LastAckLost {
        client,
        server,
        c,
        server_fin,
        lost,
    }
}

#[test]
fn time_wait_is_compacted_and_still_answers() {
    // Client closes first and ends in TIME-WAIT; its last ACK is lost.
    let LastAckLost {
        mut client,
        mut server,
        c,
        lost,
        ..
    } = lose_the_last_ack();
    assert_eq!(lost.len(), 1);
    assert_eq!(client.state(c), Some(State::TimeWait));
    // Drained: only the small record is left.
    assert!(client.connection(c).is_none());
    assert_eq!(client.len(), 1);
    // The server's FIN comes again; the record acknowledges it, with
    // timestamps as negotiated.
    let t = server.poll_timeout().unwrap();
    server.handle_timeout(t);
    let now = t;
    for p in packets(&mut server, now) {
        client.handle_packet(now, &p);
    }
    let answer = packets(&mut client, now);
    assert_eq!(answer.len(), 1);
    let ack = segment_of(&answer[0]);
    assert_eq!(ack.flags, TcpFlags::ACK);
    assert!(ack.timestamp.is_some());
    server.handle_packet(now, &answer[0]);
    packets(&mut server, now);
    assert!(server.is_empty());
    // 2·MSL after the FIN, the record goes and the application hears Closed.
    events(&mut client);
    let end = client.poll_timeout().unwrap();
    assert_eq!(end, now + Duration::from_secs(60));
    client.handle_timeout(end);
    assert_eq!(events(&mut client), [(c, Event::Closed)]);
    assert!(client.is_empty());
    assert_eq!(client.poll_timeout(), None);
}

#[test]
fn time_wait_record_echoes_the_newest_timestamp() {
    let LastAckLost {
        mut client,
        mut server,
        c,
        server_fin: first_fin,
        lost,
        ..
    } = lose_the_last_ack();
    assert_eq!(first_fin.len(), 1);
    // The client's last ACK is lost; its TIME-WAIT is compacted.
    assert_eq!(lost.len(), 1);
    assert!(client.connection(c).is_none());
    let first_ts = segment_of(&first_fin[0]).timestamp.unwrap().0;
    // The server's FIN comes again, later: the record echoes its newer
    // timestamp, not the first FIN's.
    let t = server.poll_timeout().unwrap();
    server.handle_timeout(t);
    let mut now = t;
    let again = packets(&mut server, now);
    let again_ts = segment_of(&again[0]).timestamp.unwrap().0;
    assert!(again_ts > first_ts);
    for p in &again {
        client.handle_packet(now, p);
    }
    let answer = packets(&mut client, now);
    assert_eq!(segment_of(&answer[0]).timestamp.unwrap().1, again_ts);
    let until = client.poll_timeout().unwrap();
    assert_eq!(until, now + Duration::from_secs(60));
    // The first FIN, replayed later, is an old duplicate (PAWS): it gets an
    // ACK echoing the newer timestamp and does not extend the wait.
    now += Duration::from_secs(1);
    client.handle_packet(now, &first_fin[0]);
    let answer = packets(&mut client, now);
    assert_eq!(answer.len(), 1);
    assert_eq!(segment_of(&answer[0]).timestamp.unwrap().1, again_ts);
    assert_eq!(client.poll_timeout(), Some(until));
}

/// A peer that repeats its FIN to a compacted TIME-WAIT connection gets an
/// ACK each time and restarts the 2·MSL wait, but the endpoint's memory for
/// the record stays one queue entry, however many FINs come.
#[test]
fn repeated_fins_in_time_wait_use_bounded_memory() {
    let LastAckLost {
        mut client,
        server_fin,
        c,
        ..
    } = lose_the_last_ack();
    assert!(client.connection(c).is_none());
    let mut now = Instant::from_millis(2);
    for _ in 0..10_000 {
        now += Duration::from_millis(1);
        client.handle_packet(now, &server_fin[0]);
        assert_eq!(packets(&mut client, now).len(), 1);
    }
    assert_eq!(client.time_wait.queued(), 1);
    assert_eq!(client.poll_timeout(), Some(now + Duration::from_secs(60)));
    client.handle_timeout(now + Duration::from_secs(60));
    assert_eq!(client.state(c), None);
    assert_eq!(client.time_wait.queued(), 0);
}

/// Transmit buffers of exactly the MTU carry full-sized segments: with
/// timestamps on, the header is 32 bytes, not the 60-byte maximum, so a
/// 1500-byte buffer fits 1448 bytes of payload and Nagle never waits for a
/// segment the buffer cannot hold.
#[test]
fn mtu_sized_transmit_buffer_moves_full_segments() {
    for timestamps in [true, false] {
        let mut config = EndpointConfig::default();
        config.connection.timestamps = timestamps;
        let mut client = endpoint(config.clone(), 1);
        let mut server = endpoint(config, 2);
        server.listen(addr(B, 7)).unwrap();
        let mut now = Instant::ZERO;
        let c = client.connect(now, addr(A, 40000), addr(B, 7)).unwrap();
        let mut buf = vec![0u8; 1500];
        let mut s = None;
        let data = vec![0x5au8; 100_000];
        let mut sent = 0;
        let mut got = 0;
        let mut sizes = Vec::new();
        for _ in 0..10_000 {
            if got == data.len() {
                break;
            }
            if let Some(cid) = s {
                let mut rb = [0u8; 8192];
                loop {
                    let n = server.recv(cid, &mut rb).unwrap();
                    if n == 0 {
                        break;
                    }
                    got += n;
                }
            }
            if sent < data.len() {
                sent += client.send(c, &data[sent..]).unwrap_or(0);
            }
            while let Some(t) = client.poll_transmit(now, &mut buf) {
                sizes.push(t.len);
                server.handle_packet(now, &buf[..t.len]);
            }
            while let Some(t) = server.poll_transmit(now, &mut buf) {
                client.handle_packet(now, &buf[..t.len]);
            }
            for (id, e) in events(&mut server) {
                if let Event::Incoming { .. } = e {
                    s = Some(id);
                }
            }
            events(&mut client);
            now += Duration::from_millis(1);
            client.handle_timeout(now);
            server.handle_timeout(now);
        }
        assert_eq!(got, data.len(), "timestamps {timestamps}");
        assert!(
            sizes.iter().filter(|&&n| n == 1500).count() > 50,
            "full 1500-byte packets expected, got {sizes:?}"
        );
    }
}

/// Data written while the peer's window is already closed arms the persist
/// timer inside `poll_transmit` (which then sends nothing); the endpoint
/// must schedule it, or no probe ever goes out. Found by the
/// `tcp_connection` fuzz target.
#[test]
fn persist_timer_armed_by_a_write_into_a_closed_window_is_scheduled() {
    let mut config = EndpointConfig::default();
    config.connection.recv_buffer = 1000;
    config.connection.window_scaling = false;
    let mut client = endpoint(config.clone(), 1);
    let mut server = endpoint(config, 2);
    server.listen(addr(B, 7)).unwrap();
    let mut now = Instant::ZERO;
    let c = client.connect(now, addr(A, 40000), addr(B, 7)).unwrap();
    let until = now;
    run(&mut client, &mut server, &mut now, until);
    // Fill the server's window; it does not read, so it closes it.
    assert_eq!(client.send(c, &[7u8; 1000]), Ok(1000));
    let until = now;
    run(&mut client, &mut server, &mut now, until);
    assert_eq!(client.connection(c).unwrap().peer_window(), 0);
    assert_eq!(client.connection(c).unwrap().unacknowledged(), 0);
    assert_eq!(client.poll_timeout(), None);
    // A write now finds the window closed: nothing goes out, but the
    // persist timer must be due.
    assert_eq!(client.send(c, b"more"), Ok(4));
    assert!(packets(&mut client, now).is_empty());
    let armed = client.connection(c).unwrap().poll_timeout();
    assert!(armed.is_some());
    assert_eq!(client.poll_timeout(), armed);
    // When it fires, a zero-window probe goes out.
    now = armed.unwrap();
    client.handle_timeout(now);
    assert_eq!(packets(&mut client, now).len(), 1);
}

/// A small deterministic generator for the randomised unit tests of the
/// endpoint's tables: each call gives a number below its argument.
pub(super) fn test_rng(mut state: u64) -> impl FnMut(u64) -> u64 {
    move |n| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    }
}
