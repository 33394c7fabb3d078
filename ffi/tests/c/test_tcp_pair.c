/* Two TCP endpoints over an in-memory lossy link on a virtual clock: the
 * handshake, a large byte-exact transfer one way (16 MiB by default; the
 * environment variable WIRESTATE_TCP_PAIR_BYTES sets another size) with
 * data flowing back, a half-close with data still coming the other way, and
 * the close down to TIME-WAIT and CLOSED. The link drops, reorders and
 * duplicates packets from a fixed PRNG seed; one endpoint speaks IP packets,
 * the other bare segments with addresses. Then a short clean exchange over
 * IPv6, and the endpoint's tracing and getters. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "tcp_pair.h"

/* The byte at offset i of a stream (seeded so both directions differ). */
static uint8_t pattern(uint64_t i, uint8_t seed) {
    uint64_t x = (i + seed) * 0x9e3779b97f4a7c15ull;
    return (uint8_t)(x >> 56) ^ (uint8_t)(i >> 10);
}

/* One direction of the stream as an application sees it. */
typedef struct {
    uint64_t total; /* bytes to send */
    uint64_t sent;
    uint64_t received;
    uint64_t mismatches;
    uint8_t seed;
    int closed; /* close() called */
} stream;

/* Sends as much of the stream as the connection takes; closes once done
 * when `close_when_done`. */
static void pump_send(tcp_link *l, int side, uint64_t id, stream *s, int close_when_done) {
    uint8_t buf[16384];
    while (s->sent < s->total) {
        size_t want = sizeof buf;
        if (s->total - s->sent < want) {
            want = (size_t)(s->total - s->sent);
        }
        for (size_t k = 0; k < want; k++) {
            buf[k] = pattern(s->sent + k, s->seed);
        }
        size_t n = 12345;
        CHECK_OK(wirestate_tcp_endpoint_send(l->ep[side], id, buf, want, &n));
        CHECK(n <= want);
        s->sent += n;
        if (n < want) {
            break;
        }
    }
    if (close_when_done && s->sent == s->total && !s->closed) {
        CHECK_OK(wirestate_tcp_endpoint_close(l->ep[side], l->now, id));
        s->closed = 1;
    }
}

/* Reads everything ready and checks it against the pattern. */
static void pump_recv(tcp_link *l, int side, uint64_t id, stream *s) {
    uint8_t buf[20000];
    for (;;) {
        size_t n = 12345;
        CHECK_OK(wirestate_tcp_endpoint_recv(l->ep[side], id, buf, sizeof buf, &n));
        if (n == 0) {
            break;
        }
        for (size_t k = 0; k < n; k++) {
            if (buf[k] != pattern(s->received + k, s->seed)) {
                s->mismatches++;
            }
        }
        s->received += n;
    }
}

typedef struct {
    uint64_t id;
    int have_id;
    int connected, incoming, peer_finished, closed, reset, timed_out;
    int saw_time_wait, saw_close_wait, saw_last_ack, state_changes;
    stream out, in;
} side;

/* Runs one connection from endpoint 0 (client) to endpoint 1 (a listener
 * at `server`) until both are gone: the client sends `up` bytes and closes;
 * the server sends `down` bytes, half of them after the client's FIN, then
 * closes. Returns the number of STATE_CHANGED events the server saw. */
static int run(tcp_link *l, const char *client, const char *server, uint64_t up,
                uint64_t down) {
    wirestate_socket_addr caddr = sockaddr_of(client);
    wirestate_socket_addr saddr = sockaddr_of(server);
    CHECK_OK(wirestate_tcp_endpoint_listen(l->ep[1], &saddr));
    l->sent = l->dropped = l->reordered = l->duplicated = l->delivered = 0;
    uint64_t start = l->now;

    side c, s;
    memset(&c, 0, sizeof c);
    memset(&s, 0, sizeof s);
    c.out.total = up;
    c.out.seed = 1;
    s.in.seed = 1;
    s.out.total = down / 2; /* the rest after the client's FIN */
    s.out.seed = 2;
    c.in.seed = 2;

    CHECK_OK(wirestate_tcp_endpoint_connect(l->ep[0], l->now, &caddr, &saddr, &c.id));
    c.have_id = 1;
    CHECK(tcp_state_of(l->ep[0], c.id) == WIRESTATE_TCP_STATE_SYN_SENT);
    /* Data written before the handshake goes out after it. */
    pump_send(l, 0, c.id, &c.out, 0);

    uint64_t steps = 0;
    for (;;) {
        for (int round = 0; round < 4; round++) {
            link_drain(l, 0);
            link_drain(l, 1);
            wirestate_tcp_event ev;
            while ((ev = tcp_next_event(l->ep[0])).kind != WIRESTATE_TCP_EVENT_KIND_NONE) {
                CHECK(ev.conn == c.id);
                switch (ev.kind) {
                case WIRESTATE_TCP_EVENT_KIND_CONNECTED:
                    c.connected++;
                    CHECK(tcp_state_of(l->ep[0], c.id) == WIRESTATE_TCP_STATE_ESTABLISHED);
                    break;
                case WIRESTATE_TCP_EVENT_KIND_READABLE:
                    pump_recv(l, 0, c.id, &c.in);
                    break;
                case WIRESTATE_TCP_EVENT_KIND_WRITABLE:
                    break;
                case WIRESTATE_TCP_EVENT_KIND_PEER_FINISHED: {
                    c.peer_finished++;
                    pump_recv(l, 0, c.id, &c.in);
                    bool fin = false;
                    CHECK_OK(wirestate_tcp_endpoint_is_read_finished(l->ep[0], c.id, &fin));
                    CHECK(fin);
                    break;
                }
                case WIRESTATE_TCP_EVENT_KIND_CLOSED:
                    c.closed++;
                    break;
                default:
                    fprintf(stderr, "client: unexpected event %u\n", (unsigned)ev.kind);
                    CHECK(0);
                }
            }
            while ((ev = tcp_next_event(l->ep[1])).kind != WIRESTATE_TCP_EVENT_KIND_NONE) {
                switch (ev.kind) {
                case WIRESTATE_TCP_EVENT_KIND_INCOMING:
                    s.incoming++;
                    s.id = ev.conn;
                    s.have_id = 1;
                    CHECK(sockaddr_eq(&ev.remote, &caddr));
                    pump_send(l, 1, s.id, &s.out, 0);
                    break;
                case WIRESTATE_TCP_EVENT_KIND_READABLE:
                    CHECK(ev.conn == s.id);
                    pump_recv(l, 1, s.id, &s.in);
                    break;
                case WIRESTATE_TCP_EVENT_KIND_WRITABLE:
                    break;
                case WIRESTATE_TCP_EVENT_KIND_PEER_FINISHED: {
                    s.peer_finished++;
                    pump_recv(l, 1, s.id, &s.in);
                    CHECK(tcp_state_of(l->ep[1], s.id) == WIRESTATE_TCP_STATE_CLOSE_WAIT);
                    /* Half-close: the server still sends the second half. */
                    s.out.total = down;
                    pump_send(l, 1, s.id, &s.out, 1);
                    break;
                }
                case WIRESTATE_TCP_EVENT_KIND_STATE_CHANGED:
                    s.state_changes++;
                    CHECK(ev.from != ev.to);
                    if (ev.to == WIRESTATE_TCP_STATE_CLOSE_WAIT) {
                        s.saw_close_wait++;
                        CHECK(ev.from == WIRESTATE_TCP_STATE_ESTABLISHED);
                    }
                    if (ev.to == WIRESTATE_TCP_STATE_LAST_ACK) {
                        s.saw_last_ack++;
                    }
                    break;
                case WIRESTATE_TCP_EVENT_KIND_CLOSED:
                    CHECK(ev.conn == s.id);
                    s.closed++;
                    break;
                default:
                    fprintf(stderr, "server: unexpected event %u\n", (unsigned)ev.kind);
                    CHECK(0);
                }
            }
            if (c.connected) {
                pump_send(l, 0, c.id, &c.out, 1);
            }
            if (s.have_id && s.peer_finished) {
                pump_send(l, 1, s.id, &s.out, 1);
            }
        }
        if (!c.saw_time_wait && tcp_state_of(l->ep[0], c.id) == WIRESTATE_TCP_STATE_TIME_WAIT) {
            c.saw_time_wait = 1;
            /* A TIME-WAIT connection is a small record: no stats. */
            wirestate_tcp_stats st;
            CHECK_RC(wirestate_tcp_endpoint_stats(l->ep[0], c.id, &st),
                     WIRESTATE_RESULT_INVALID_STATE);
            bool fin = false;
            CHECK_OK(wirestate_tcp_endpoint_is_read_finished(l->ep[0], c.id, &fin));
            CHECK(fin);
        }
        if (!link_step(l)) {
            break;
        }
        if (++steps > 50000000) {
            CHECK(0 && "the pair never went idle");
            break;
        }
    }

    printf("  %s -> %s: %" PRIu64 " bytes up, %" PRIu64 " down; %" PRIu64
           " packets, %" PRIu64 " dropped, %" PRIu64 " reordered, %" PRIu64
           " duplicated; virtual time %.3f s\n",
           client, server, c.out.sent, s.out.sent, l->sent, l->dropped, l->reordered,
           l->duplicated, (double)(l->now - start) / 1e9);
    CHECK(c.connected == 1);
    CHECK(s.incoming == 1);
    CHECK(c.out.sent == up);
    CHECK(s.in.received == up);
    CHECK(s.in.mismatches == 0);
    CHECK(s.out.sent == down);
    CHECK(c.in.received == down);
    CHECK(c.in.mismatches == 0);
    CHECK(c.peer_finished == 1);
    CHECK(s.peer_finished == 1);
    /* The client closed first: it went through TIME-WAIT. */
    CHECK(c.saw_time_wait == 1);
    CHECK(c.closed == 1);
    CHECK(s.closed == 1);
    /* With state-change events on, the server's passive close is traced. */
    CHECK(s.state_changes == 0 || s.saw_close_wait == 1);
    CHECK(s.state_changes == 0 || s.saw_last_ack == 1);
    /* Both are gone: their ids are unknown now. */
    wirestate_tcp_state st = 99;
    CHECK_RC(wirestate_tcp_endpoint_state(l->ep[0], c.id, &st),
             WIRESTATE_RESULT_UNKNOWN_CONNECTION);
    CHECK_RC(wirestate_tcp_endpoint_state(l->ep[1], s.id, &st),
             WIRESTATE_RESULT_UNKNOWN_CONNECTION);
    CHECK(st == 99);
    size_t count = 99;
    CHECK_OK(wirestate_tcp_endpoint_connection_count(l->ep[0], &count));
    CHECK(count == 0);
    CHECK_OK(wirestate_tcp_endpoint_connection_count(l->ep[1], &count));
    CHECK(count == 0);
    CHECK_OK(wirestate_tcp_endpoint_unlisten(l->ep[1], &saddr));
    return s.state_changes;
}

/* Getters while a connection is open, on a clean link. */
static void getters(tcp_link *l) {
    wirestate_socket_addr caddr = sockaddr_of("192.168.7.1:5555");
    wirestate_socket_addr saddr = sockaddr_of("192.168.7.2:80");
    CHECK_OK(wirestate_tcp_endpoint_listen(l->ep[1], &saddr));
    uint64_t id = 0;
    CHECK_OK(wirestate_tcp_endpoint_connect(l->ep[0], l->now, &caddr, &saddr, &id));
    uint64_t sid = UINT64_MAX;
    for (int i = 0; i < 20 && sid == UINT64_MAX; i++) {
        link_drain(l, 0);
        link_drain(l, 1);
        wirestate_tcp_event ev;
        while ((ev = tcp_next_event(l->ep[1])).kind != WIRESTATE_TCP_EVENT_KIND_NONE) {
            if (ev.kind == WIRESTATE_TCP_EVENT_KIND_INCOMING) {
                sid = ev.conn;
            }
        }
        link_step(l);
    }
    CHECK(sid != UINT64_MAX);
    wirestate_socket_addr local, remote;
    CHECK_OK(wirestate_tcp_endpoint_addresses(l->ep[0], id, &local, &remote));
    CHECK(sockaddr_eq(&local, &caddr));
    CHECK(sockaddr_eq(&remote, &saddr));
    CHECK(local.ip.bytes[4] == 0 && local.ip.bytes[15] == 0);
    char text[48];
    size_t n = 0;
    CHECK_OK(wirestate_socket_addr_format(&remote, text, sizeof text, &n));
    CHECK_BYTES(text, n, "192.168.7.2:80");
    CHECK(text[n] == '\0');

    size_t writable = 0, readable = 99;
    CHECK_OK(wirestate_tcp_endpoint_writable(l->ep[0], id, &writable));
    CHECK(writable == 100000);
    CHECK_OK(wirestate_tcp_endpoint_readable(l->ep[1], sid, &readable));
    CHECK(readable == 0);
    size_t taken = 0;
    CHECK_OK(wirestate_tcp_endpoint_send(l->ep[0], id, (const uint8_t *)"hello", 5, &taken));
    CHECK(taken == 5);
    for (int i = 0; i < 5; i++) {
        link_drain(l, 0);
        link_drain(l, 1);
        link_step(l);
    }
    CHECK_OK(wirestate_tcp_endpoint_readable(l->ep[1], sid, &readable));
    CHECK(readable == 5);
    bool fin = true;
    CHECK_OK(wirestate_tcp_endpoint_is_read_finished(l->ep[1], sid, &fin));
    CHECK(!fin);

    wirestate_tcp_stats st;
    memset(&st, 0, sizeof st);
    st.undos = 12345; /* must be overwritten */
    st.reordering = 0;
    st.tail_loss_probes = 777; /* must be overwritten */
    CHECK_OK(wirestate_tcp_endpoint_stats(l->ep[0], id, &st));
    CHECK(st.undos == 0);
    CHECK(st.reordering == 3);
    CHECK(st.tail_loss_probes == 0 && st.tail_loss_recoveries == 0);
    CHECK(st.lost_retransmissions == 0);
    CHECK(st.bytes_sent == 5);
    CHECK(st.bytes_acked == 5);
    CHECK(st.has_srtt);
    CHECK(st.srtt_ns > 0 && st.srtt_ns < 100 * MS);
    CHECK(st.rto_ns >= 200 * MS);
    CHECK(st.cwnd > 0);
    CHECK(st.ssthresh == SIZE_MAX);
    /* The server announced 1000 (set_mss); timestamps take 12 of them. */
    CHECK(st.send_mss > 900 && st.send_mss <= 1000);
    CHECK(st.segments_sent >= 2);

    /* abort: a RST reaches the server, both report the end. */
    CHECK_OK(wirestate_tcp_endpoint_abort(l->ep[0], l->now, id));
    int client_closed = 0, server_reset = 0, server_closed = 0;
    for (int i = 0; i < 5; i++) {
        link_drain(l, 0);
        link_drain(l, 1);
        wirestate_tcp_event ev;
        while ((ev = tcp_next_event(l->ep[0])).kind != WIRESTATE_TCP_EVENT_KIND_NONE) {
            client_closed += ev.kind == WIRESTATE_TCP_EVENT_KIND_CLOSED;
        }
        while ((ev = tcp_next_event(l->ep[1])).kind != WIRESTATE_TCP_EVENT_KIND_NONE) {
            server_reset += ev.kind == WIRESTATE_TCP_EVENT_KIND_RESET;
            server_closed += ev.kind == WIRESTATE_TCP_EVENT_KIND_CLOSED;
        }
        link_step(l);
    }
    CHECK(client_closed == 1);
    CHECK(server_reset == 1);
    CHECK(server_closed == 1);
    /* The server's unread bytes keep its id alive until read. */
    uint8_t buf[16];
    CHECK_OK(wirestate_tcp_endpoint_recv(l->ep[1], sid, buf, sizeof buf, &n));
    CHECK_BYTES(buf, n, "hello");
    link_drain(l, 1);
    CHECK(tcp_state_of(l->ep[1], sid) == 99);
    CHECK(tcp_state_of(l->ep[0], id) == 99);
    CHECK_OK(wirestate_tcp_endpoint_unlisten(l->ep[1], &saddr));
}

int main(void) {
    uint64_t bytes = 16u << 20;
    const char *env = getenv("WIRESTATE_TCP_PAIR_BYTES");
    if (env != NULL && *env != '\0') {
        bytes = strtoull(env, NULL, 10);
    }

    wirestate_tcp_config *cfg = NULL;
    CHECK_OK(wirestate_tcp_config_new(&cfg));
    CHECK_OK(wirestate_tcp_config_set_msl(cfg, 2000 * MS));
    CHECK_OK(wirestate_tcp_config_set_send_buffer(cfg, 100000));
    wirestate_tcp_endpoint *a = endpoint_new(cfg, TCP_SECRET_A);
    CHECK_OK(wirestate_tcp_config_set_state_change_events(cfg, true)); /* b traces */
    CHECK_OK(wirestate_tcp_config_set_congestion(cfg, WIRESTATE_TCP_CONGESTION_NEW_RENO));
    CHECK_OK(wirestate_tcp_config_set_mss(cfg, 1000));
    wirestate_tcp_endpoint *b = endpoint_new(cfg, TCP_SECRET_B);
    wirestate_tcp_config_free(cfg);

    tcp_link l;
    link_init(&l, a, b);
    l.use_segments[1] = 1;
    l.drop = 30;
    l.reorder = 20;
    l.duplicate = 10;
    printf("lossy link, IPv4:\n");
    CHECK(run(&l, "10.0.0.1:40000", "10.0.0.2:7", bytes, bytes / 64 + 4096) >= 3);
    CHECK(l.dropped > 0 && l.reordered > 0 && l.duplicated > 0);

    printf("clean link, IPv6:\n");
    l.drop = l.reorder = l.duplicate = 0;
    l.use_segments[0] = 1;
    l.use_segments[1] = 0;
    run(&l, "[fd00::1]:40001", "[fd00::2]:443", 100000, 30000);

    /* Transmit buffers of exactly the size each endpoint asks for. */
    printf("clean link, IPv6, smallest transmit buffers:\n");
    CHECK_OK(wirestate_tcp_endpoint_transmit_buffer_size(a, &l.tx_cap[0]));
    CHECK_OK(wirestate_tcp_endpoint_transmit_buffer_size(b, &l.tx_cap[1]));
    CHECK(l.tx_cap[0] == 1540);
    CHECK(l.tx_cap[1] == 1100); /* MSS 1000 */
    run(&l, "[fd00::1]:40002", "[fd00::2]:443", 300000, 50000);
    l.tx_cap[0] = l.tx_cap[1] = LINK_BUFFER;
    getters(&l);
    link_free(&l);
    wirestate_tcp_endpoint_free(a);
    wirestate_tcp_endpoint_free(b);

    /* Default settings on both ends, buffers of exactly the size asked
     * for: full-sized segments flow at the link's pace. */
    printf("default settings, clean link, smallest transmit buffers:\n");
    CHECK_OK(wirestate_tcp_config_new(&cfg));
    a = endpoint_new(cfg, TCP_SECRET_A);
    b = endpoint_new(cfg, TCP_SECRET_B);
    wirestate_tcp_config_free(cfg);
    link_init(&l, a, b);
    CHECK_OK(wirestate_tcp_endpoint_transmit_buffer_size(a, &l.tx_cap[0]));
    CHECK_OK(wirestate_tcp_endpoint_transmit_buffer_size(b, &l.tx_cap[1]));
    uint64_t start = l.now;
    CHECK(run(&l, "10.3.0.1:1234", "10.3.0.2:80", 4u << 20, 1u << 20) == 0);
    /* Well under a second of virtual time for the data (TIME-WAIT adds 60 s),
     * so no segment was held back. */
    CHECK(l.now - start < 62000 * MS);
    link_free(&l);
    wirestate_tcp_endpoint_free(a);
    wirestate_tcp_endpoint_free(b);
    return check_report();
}
