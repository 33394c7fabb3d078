//! Whatever arrives, in whatever state: no panic, consistent sequence
//! variables, bounded memory, and a timer that eventually goes quiet.

use super::*;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    Segment {
        seq: u32,
        ack: u32,
        flags: u8,
        window: u16,
        len: usize,
        opts: bool,
    },
    Tick(u64),
    Send(usize),
    Read,
    Close,
    Abort,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (any::<u32>(), any::<u32>(), any::<u8>(), any::<u16>(), 0usize..3000, any::<bool>())
            .prop_map(|(seq, ack, flags, window, len, opts)| Step::Segment { seq, ack, flags, window, len, opts }),
        // Segments near the expected numbers are the interesting ones.
        6 => (-3000i32..3000, -3000i32..3000, any::<u8>(), any::<u16>(), 0usize..3000, any::<bool>())
            .prop_map(|(ds, da, flags, window, len, opts)| Step::Segment {
                seq: (PEER_ISS + 1).wrapping_add_signed(ds),
                ack: (ISS + 1).wrapping_add_signed(da),
                flags, window, len, opts,
            }),
        2 => (0u64..5000).prop_map(Step::Tick),
        2 => (0usize..5000).prop_map(Step::Send),
        1 => Just(Step::Read),
        1 => Just(Step::Close),
        1 => Just(Step::Abort),
    ]
}

fn start(kind: u8) -> Connection {
    let config = Config {
        recv_buffer: 8192,
        send_buffer: 8192,
        max_reassembly_ranges: 4,
        ..Config::default()
    };
    match kind % 3 {
        0 => client(config),
        1 => {
            let syn = Seg::new(PEER_ISS, 0, SYN);
            Connection::accept(
                at(0),
                Arc::new(config),
                LOCAL,
                REMOTE,
                SeqNumber::new(ISS),
                &syn.repr(),
            )
        }
        _ => established(config),
    }
}

fn check_invariants(conn: &Connection) {
    assert!(
        conn.snd_una.le(conn.snd_nxt),
        "una {:?} nxt {:?}",
        conn.snd_una,
        conn.snd_nxt
    );
    assert!(
        conn.snd_nxt.le(conn.snd_max),
        "nxt {:?} max {:?}",
        conn.snd_nxt,
        conn.snd_max
    );
    assert!(conn.recv.allocated() <= 8192 && conn.send.allocated() <= 8192);
    assert!(conn.recv.assembler().range_count() <= 4);
    assert!(conn.scoreboard().ranges().len() <= super::super::SCOREBOARD_RANGES);
    assert!(conn.events.len() < 10_000);
    if conn.state() == State::Closed {
        assert_eq!(conn.poll_timeout(), None);
    }
    assert_eq!(conn.check_invariants(), Ok(()), "{conn:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::tcp::proptest_cases(256), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_input_never_breaks_the_connection(kind: u8, steps in proptest::collection::vec(step(), 1..60)) {
        let mut conn = start(kind);
        let mut now = at(20);
        let payload = [0x5au8; 3000];
        let mut buf = [0u8; 2048];
        for step in steps {
            match step {
                Step::Segment { seq, ack, flags, window, len, opts } => {
                    let mut seg = Seg::new(seq, ack, TcpFlags::from_bits(flags)).window(window).data(&payload[..len]);
                    if opts {
                        seg.mss = Some(window.max(1));
                        seg.ws = Some(flags % 20);
                        seg.sack_permitted = true;
                        seg.ts = Some((seq, ack));
                        seg.sack = vec![(ack, ack.wrapping_add(len as u32)), (ack.wrapping_sub(7), ack)];
                    }
                    input(&mut conn, now, &seg);
                }
                Step::Tick(ms) => {
                    now += Duration::from_millis(ms);
                    conn.handle_timeout(now);
                }
                Step::Send(n) => {
                    let _ = conn.send(&payload[..n.min(3000)]);
                }
                Step::Read => {
                    while conn.recv(&mut buf) > 0 {}
                }
                Step::Close => {
                    let _ = conn.close(now);
                }
                Step::Abort => conn.abort(now),
            }
            let mut out = 0;
            while conn.poll_transmit(now, &mut buf).is_some() {
                out += 1;
                prop_assert!(out < 1000, "poll_transmit does not stop");
            }
            while conn.poll_event().is_some() {}
            check_invariants(&conn);
        }
        // Left alone, every connection eventually stops asking for time.
        for _ in 0..10_000 {
            let Some(t) = conn.poll_timeout() else { break };
            now = now.max(t);
            conn.handle_timeout(now);
            while conn.poll_transmit(now, &mut buf).is_some() {}
            while conn.poll_event().is_some() {}
            check_invariants(&conn);
        }
        prop_assert_eq!(conn.poll_timeout(), None, "state {:?}", conn.state());
    }
}
