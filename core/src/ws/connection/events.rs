//! Handing events out: one at a time ([`Connection::poll_event`], in
//! `mod.rs`) or several in one call ([`Connection::poll_events`]).

use super::super::event::{Event, MessageKind};
use super::{Connection, Owned, Pending};

impl Connection {
    /// Takes up to `max` pending events, oldest first, hands each to `f`,
    /// and returns how many it handed out.
    ///
    /// It does what calling [`poll_event`](Self::poll_event) while
    /// [`has_pending_event`](Self::has_pending_event) says one is there
    /// would, up to `max` times, in one call: nothing is copied, and no
    /// poll that finds the queue empty is made once an event has been
    /// handed out, so every event's bytes stay where they are as
    /// `has_pending_event` describes — until the next call of
    /// `poll_event` or `poll_events` that finds nothing, or of
    /// `receive_data`, `receive_data_into`, `receive_eof`, `accept` or
    /// `reject`. When nothing is pending it returns 0 and lets the
    /// connection reuse its buffers, as a `poll_event` that returns `None`
    /// does.
    ///
    /// It stops early, before `max` and with events perhaps still pending,
    /// only after a [`Request`](Event::Request),
    /// [`Accepted`](Event::Accepted), [`Rejected`](Event::Rejected) or
    /// [`Closed`](Event::Closed) event: the connection keeps one of those
    /// at a time, so the one handed out last is still there when the call
    /// returns. Fewer than `max` events otherwise means none is left.
    ///
    /// For bindings that convert events into another form in bulk (the C
    /// API's `wirestate_ws_conn_poll_events`): `f` runs inside the loop,
    /// with no call per event in between.
    ///
    /// ```
    /// use wirestate::ws::{Config, Connection, Event};
    ///
    /// let mut server = Connection::server(Config::default());
    /// server.receive_data(
    ///     b"GET / HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
    ///       Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    ///       Sec-WebSocket-Version: 13\r\n\r\n",
    /// );
    /// // A Request ends a batch, whatever `max` says.
    /// assert_eq!(server.poll_events(8, |e| assert!(matches!(e, Event::Request(_)))), 1);
    /// server.accept(None, &[]).unwrap();
    /// // Two masked binary frames, "a" and "b".
    /// server.receive_data(&[0x82, 0x81, 0, 0, 0, 0, b'a', 0x82, 0x81, 0, 0, 0, 0, b'b']);
    /// let mut got = Vec::new();
    /// let n = server.poll_events(8, |e| {
    ///     if let Event::Binary(b) = e {
    ///         got.push(b.to_vec());
    ///     }
    /// });
    /// assert_eq!((n, got), (2, vec![b"a".to_vec(), b"b".to_vec()]));
    /// assert_eq!(server.poll_events(8, |_| unreachable!()), 0);
    /// ```
    #[inline]
    pub fn poll_events(&mut self, max: usize, mut f: impl FnMut(Event<'_>)) -> usize {
        let mut n = 0;
        while n < max {
            let Some(p) = self.pending.pop_front() else {
                if n == 0 {
                    self.reclaim();
                }
                break;
            };
            // Whole messages, the events a busy connection hands out most,
            // each get a call of `f` of their own: inlined, `f` is then
            // specialised to the one kind of event. The rest go through
            // `other_event`, out of line.
            match p {
                Pending::Message {
                    kind: MessageKind::Binary,
                    bank,
                    start,
                    end,
                } => f(Event::Binary(self.bbufs.get(bank, start, end))),
                Pending::Message {
                    kind: MessageKind::Text,
                    bank,
                    start,
                    end,
                } => f(Event::Text(self.tbufs.get(bank, start, end))),
                p => {
                    let ends_batch = matches!(p, Pending::Owned(_));
                    match self.other_event(p) {
                        Some(event) => f(event),
                        // A failure taking effect: nothing handed out.
                        None => continue,
                    }
                    if ends_batch {
                        n += 1;
                        break;
                    }
                }
            }
            n += 1;
        }
        n
    }

    /// [`poll_events`](Self::poll_events) for events other than whole
    /// messages; `None` for a `Pending::Fail`, which fails the connection
    /// now (as `poll_event` does when it reaches one) and queues its Closed
    /// event (unless that was reported already).
    #[inline(never)]
    fn other_event(&mut self, p: Pending) -> Option<Event<'_>> {
        if let Pending::Fail { code, reason } = p {
            self.failing = false;
            self.fail_now(code, reason);
            return None;
        }
        Some(self.event_of(p))
    }

    /// The event for `p`, just taken off the queue (never a
    /// `Pending::Fail`, which the callers handle). An owned event moves to
    /// `current`, replacing the last one.
    #[inline(always)]
    pub(super) fn event_of(&mut self, p: Pending) -> Event<'_> {
        match p {
            Pending::Message {
                kind: MessageKind::Binary,
                bank,
                start,
                end,
            } => Event::Binary(self.bbufs.get(bank, start, end)),
            Pending::Message {
                kind: MessageKind::Text,
                bank,
                start,
                end,
            } => Event::Text(self.tbufs.get(bank, start, end)),
            Pending::Chunk {
                kind,
                bank,
                first,
                last,
                start,
                end,
                total,
            } => Event::MessageChunk {
                total: (total != u64::MAX).then_some(total),
                kind,
                data: match kind {
                    MessageKind::Text => self.tbufs.get(bank, start, end).as_bytes(),
                    MessageKind::Binary => self.bbufs.get(bank, start, end),
                },
                first,
                last,
            },
            Pending::Ping { start, end } => Event::Ping(&self.cbuf[start..end]),
            Pending::Pong { start, end } => Event::Pong(&self.cbuf[start..end]),
            Pending::CloseReceived { code, start, end } => Event::CloseReceived {
                code,
                reason: core::str::from_utf8(&self.cbuf[start..end]).unwrap_or(""),
            },
            Pending::Writable => Event::Writable,
            // Handled by the callers; never handed out.
            Pending::Fail { .. } => Event::Writable,
            Pending::Owned(owned) => match &**self.current.insert(owned) {
                Owned::Request(r) => Event::Request(r),
                Owned::Accepted(a) => Event::Accepted(a),
                Owned::Rejected(r) => Event::Rejected(r),
                Owned::Closed {
                    code,
                    reason,
                    clean,
                } => Event::Closed {
                    code: *code,
                    reason,
                    clean: *clean,
                },
            },
        }
    }
}
