/* Every error path of the TCP C API: NULL for every pointer argument of
 * every function, invalid configurations and addresses, unknown connection
 * ids, calls in the wrong state, buffers too small, and garbage from the
 * network (which is never an error: it is dropped or answered with a RST).
 * Outputs must be untouched by a failing call. */
#include <stdio.h>
#include <string.h>

#include "tcp_pair.h"

#define NUL WIRESTATE_RESULT_NULL_PARAMETER
#define UNKNOWN WIRESTATE_RESULT_UNKNOWN_CONNECTION

static const uint64_t NO_SUCH_ID = 123456789;

static void config_errors(void) {
    CHECK_RC(wirestate_tcp_config_new(NULL), NUL);
    wirestate_tcp_config_free(NULL);
    wirestate_tcp_config *n = NULL;
    CHECK_RC(wirestate_tcp_config_set_mtu(n, 1500), NUL);
    CHECK_RC(wirestate_tcp_config_set_mss(n, 1000), NUL);
    CHECK_RC(wirestate_tcp_config_set_send_buffer(n, 1), NUL);
    CHECK_RC(wirestate_tcp_config_set_recv_buffer(n, 1), NUL);
    CHECK_RC(wirestate_tcp_config_set_max_reassembly_ranges(n, 1), NUL);
    CHECK_RC(wirestate_tcp_config_set_nodelay(n, true), NUL);
    CHECK_RC(wirestate_tcp_config_set_delayed_ack(n, 0), NUL);
    CHECK_RC(wirestate_tcp_config_set_initial_rto(n, 1), NUL);
    CHECK_RC(wirestate_tcp_config_set_min_rto(n, 1), NUL);
    CHECK_RC(wirestate_tcp_config_set_max_rto(n, 1), NUL);
    CHECK_RC(wirestate_tcp_config_set_syn_retries(n, 1), NUL);
    CHECK_RC(wirestate_tcp_config_set_synack_retries(n, 1), NUL);
    CHECK_RC(wirestate_tcp_config_set_max_retransmissions(n, 1), NUL);
    CHECK_RC(wirestate_tcp_config_set_user_timeout(n, 1), NUL);
    CHECK_RC(wirestate_tcp_config_set_keepalive(n, 1, 1, 1), NUL);
    CHECK_RC(wirestate_tcp_config_set_msl(n, 1), NUL);
    CHECK_RC(wirestate_tcp_config_set_fin_wait2_timeout(n, 1), NUL);
    CHECK_RC(wirestate_tcp_config_set_window_scaling(n, true), NUL);
    CHECK_RC(wirestate_tcp_config_set_timestamps(n, true), NUL);
    CHECK_RC(wirestate_tcp_config_set_sack(n, true), NUL);
    CHECK_RC(wirestate_tcp_config_set_initial_window(n, 1), NUL);
    CHECK_RC(wirestate_tcp_config_set_checksum_offload(n, true), NUL);
    CHECK_RC(wirestate_tcp_config_set_state_change_events(n, true), NUL);
    CHECK_RC(wirestate_tcp_config_set_challenge_ack_limit(n, 1), NUL);
    CHECK_RC(wirestate_tcp_config_set_syn_queue(n, 1), NUL);
    CHECK_RC(wirestate_tcp_config_set_accept_backlog(n, 1), NUL);
    CHECK_RC(wirestate_tcp_config_set_syn_cookies(n, true), NUL);
    CHECK_RC(wirestate_tcp_config_set_reset_unknown(n, true), NUL);
    CHECK_RC(wirestate_tcp_config_set_congestion(n, WIRESTATE_TCP_CONGESTION_CUBIC), NUL);

    wirestate_tcp_config *cfg = NULL;
    CHECK_OK(wirestate_tcp_config_new(&cfg));
    CHECK_RC(wirestate_tcp_config_set_congestion(cfg, 2), WIRESTATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(wirestate_tcp_config_set_congestion(cfg, 0xffffffffu),
             WIRESTATE_RESULT_INVALID_ARGUMENT);
    CHECK_OK(wirestate_tcp_config_set_congestion(cfg, WIRESTATE_TCP_CONGESTION_NEW_RENO));

    /* new: NULL arguments. */
    wirestate_tcp_endpoint *ep = (wirestate_tcp_endpoint *)&ep; /* a sentinel */
    CHECK_RC(wirestate_tcp_endpoint_new(NULL, TCP_SECRET_A, &ep), NUL);
    CHECK_RC(wirestate_tcp_endpoint_new(cfg, NULL, &ep), NUL);
    CHECK_RC(wirestate_tcp_endpoint_new(cfg, TCP_SECRET_A, NULL), NUL);
    CHECK_RC(wirestate_tcp_endpoint_new_os_seeded(NULL, &ep), NUL);
    CHECK_RC(wirestate_tcp_endpoint_new_os_seeded(cfg, NULL), NUL);
    CHECK(ep == (wirestate_tcp_endpoint *)&ep);
    wirestate_tcp_endpoint_free(NULL);

    /* new: each invalid setting, then back to a valid one. */
#define BAD_CONFIG(set_bad, set_good)                                                    \
    do {                                                                                 \
        CHECK_OK(set_bad);                                                               \
        CHECK_RC(wirestate_tcp_endpoint_new(cfg, TCP_SECRET_A, &ep),                     \
                 WIRESTATE_RESULT_INVALID_CONFIG);                                       \
        CHECK_RC(wirestate_tcp_endpoint_new_os_seeded(cfg, &ep),                         \
                 WIRESTATE_RESULT_INVALID_CONFIG);                                       \
        CHECK(ep == (wirestate_tcp_endpoint *)&ep);                                      \
        CHECK_OK(set_good);                                                              \
    } while (0)
    BAD_CONFIG(wirestate_tcp_config_set_mtu(cfg, 67), wirestate_tcp_config_set_mtu(cfg, 1500));
    BAD_CONFIG(wirestate_tcp_config_set_mtu(cfg, 65536), wirestate_tcp_config_set_mtu(cfg, 68));
    BAD_CONFIG(wirestate_tcp_config_set_send_buffer(cfg, 0),
               wirestate_tcp_config_set_send_buffer(cfg, 1));
    BAD_CONFIG(wirestate_tcp_config_set_recv_buffer(cfg, 0),
               wirestate_tcp_config_set_recv_buffer(cfg, 1u << 30));
    BAD_CONFIG(wirestate_tcp_config_set_recv_buffer(cfg, (1u << 30) + 1),
               wirestate_tcp_config_set_recv_buffer(cfg, 65536));
    BAD_CONFIG(wirestate_tcp_config_set_max_reassembly_ranges(cfg, 0),
               wirestate_tcp_config_set_max_reassembly_ranges(cfg, 4));
    BAD_CONFIG(wirestate_tcp_config_set_initial_rto(cfg, 0),
               wirestate_tcp_config_set_initial_rto(cfg, 1000 * MS));
    BAD_CONFIG(wirestate_tcp_config_set_min_rto(cfg, 0),
               wirestate_tcp_config_set_min_rto(cfg, 200 * MS));
    BAD_CONFIG(wirestate_tcp_config_set_max_rto(cfg, 100 * MS),
               wirestate_tcp_config_set_max_rto(cfg, 60000 * MS));
    BAD_CONFIG(wirestate_tcp_config_set_msl(cfg, 0), wirestate_tcp_config_set_msl(cfg, 1000 * MS));
    BAD_CONFIG(wirestate_tcp_config_set_keepalive(cfg, 1000 * MS, 0, 3),
               wirestate_tcp_config_set_keepalive(cfg, 0, 0, 0));
    BAD_CONFIG(wirestate_tcp_config_set_keepalive(cfg, 1000 * MS, 1000 * MS, 0),
               wirestate_tcp_config_set_keepalive(cfg, 1000 * MS, 1000 * MS, 1));
#undef BAD_CONFIG
    /* Every boundary value set last is valid. */
    CHECK_OK(wirestate_tcp_endpoint_new(cfg, TCP_SECRET_A, &ep));
    size_t need = 0;
    CHECK_OK(wirestate_tcp_endpoint_transmit_buffer_size(ep, &need));
    CHECK(need == 108); /* MTU 68: an MSS of 28 over IPv4, plus 20 + 60 */
    wirestate_tcp_endpoint_free(ep);
    CHECK_OK(wirestate_tcp_config_set_mss(cfg, 65535));
    CHECK_OK(wirestate_tcp_endpoint_new(cfg, TCP_SECRET_A, &ep));
    CHECK_OK(wirestate_tcp_endpoint_transmit_buffer_size(ep, &need));
    CHECK(need == WIRESTATE_TCP_MAX_TRANSMIT_BUFFER);
    wirestate_tcp_endpoint_free(ep);
    wirestate_tcp_config_free(cfg);
}

static void address_errors(void) {
    wirestate_socket_addr a = sockaddr_of("10.1.2.3:4");
    wirestate_socket_addr keep = a;
    CHECK_RC(wirestate_socket_addr_parse(NULL, 3, &a), NUL);
    CHECK_RC(wirestate_socket_addr_parse("1.2.3.4:5", 9, NULL), NUL);
    const char *bad[] = {"", "nope", "10.0.0.1", "10.0.0.1:", "10.0.0.1:65536", "::1:80",
                         "[::1]", "[::1]:x", "10.0.0.256:1", " 10.0.0.1:1", "10.0.0.1:1\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_RC(wirestate_socket_addr_parse(bad[i], strlen(bad[i]), &a),
                 WIRESTATE_RESULT_INVALID_ADDRESS);
    }
    /* The length counts: a trailing NUL is not part of an address. */
    CHECK_RC(wirestate_socket_addr_parse("1.2.3.4:5", 10, &a), WIRESTATE_RESULT_INVALID_ADDRESS);
    const char invalid_utf8[] = {'1', '.', '2', '.', '3', '.', '4', ':', '\xff'};
    CHECK_RC(wirestate_socket_addr_parse(invalid_utf8, sizeof invalid_utf8, &a),
             WIRESTATE_RESULT_INVALID_ADDRESS);
    CHECK(sockaddr_eq(&a, &keep));

    wirestate_ip_addr ip;
    memset(&ip, 0x5a, sizeof ip);
    CHECK_RC(wirestate_ip_addr_parse(NULL, 1, &ip), NUL);
    CHECK_RC(wirestate_ip_addr_parse("1.2.3.4", 7, NULL), NUL);
    CHECK_RC(wirestate_ip_addr_parse("1.2.3.4:5", 9, &ip), WIRESTATE_RESULT_INVALID_ADDRESS);
    CHECK_RC(wirestate_ip_addr_parse("", 0, &ip), WIRESTATE_RESULT_INVALID_ADDRESS);
    CHECK(ip.family == 0x5a5a5a5au);
    CHECK_OK(wirestate_ip_addr_parse("fd00::7", 7, &ip));
    CHECK(ip.family == WIRESTATE_IP_FAMILY_V6 && ip.bytes[0] == 0xfd && ip.bytes[15] == 7);
    CHECK_OK(wirestate_ip_addr_parse("1.2.3.4", 7, &ip));
    CHECK(ip.family == WIRESTATE_IP_FAMILY_V4 && ip.bytes[3] == 4 && ip.bytes[4] == 0);

    char buf[48];
    size_t n = 777;
    CHECK_RC(wirestate_socket_addr_format(NULL, buf, sizeof buf, &n), NUL);
    CHECK_RC(wirestate_socket_addr_format(&a, NULL, sizeof buf, &n), NUL);
    CHECK_RC(wirestate_socket_addr_format(&a, buf, sizeof buf, NULL), NUL);
    CHECK_RC(wirestate_socket_addr_format(&a, NULL, 0, &n), WIRESTATE_RESULT_BUFFER_TOO_SMALL);
    CHECK_RC(wirestate_socket_addr_format(&a, buf, 9, &n), WIRESTATE_RESULT_BUFFER_TOO_SMALL);
    CHECK(n == 777);
    /* Exactly the text fits: no room for the NUL, none written. */
    buf[10] = 'x';
    CHECK_OK(wirestate_socket_addr_format(&a, buf, 10, &n));
    CHECK(n == 10 && buf[10] == 'x');
    CHECK_BYTES(buf, n, "10.1.2.3:4");
    wirestate_socket_addr odd = a;
    odd.ip.family = 5;
    CHECK_RC(wirestate_socket_addr_format(&odd, buf, sizeof buf, &n),
             WIRESTATE_RESULT_INVALID_ADDRESS);

    CHECK(strcmp(wirestate_tcp_state_name(WIRESTATE_TCP_STATE_TIME_WAIT), "TIME-WAIT") == 0);
    CHECK(strcmp(wirestate_tcp_state_name(WIRESTATE_TCP_STATE_SYN_RECEIVED), "SYN-RECEIVED") == 0);
    CHECK(strcmp(wirestate_tcp_state_name(11), "UNKNOWN") == 0);
    CHECK(strcmp(wirestate_tcp_state_name(0xffffffffu), "UNKNOWN") == 0);
}

/* NULL for every pointer of every endpoint function. */
static void null_arguments(wirestate_tcp_endpoint *ep, uint64_t id) {
    wirestate_tcp_endpoint *n = NULL;
    wirestate_socket_addr a = sockaddr_of("10.9.9.9:9");
    wirestate_socket_addr b = sockaddr_of("10.9.9.8:8");
    wirestate_ip_addr ip = a.ip;
    uint8_t buf[LINK_BUFFER];
    size_t count;
    uint64_t out_id = 42;
    bool flag;
    uint64_t at;
    wirestate_tcp_transmit t;
    wirestate_tcp_event ev;
    wirestate_tcp_state st;
    wirestate_tcp_stats stats;

    CHECK_RC(wirestate_tcp_endpoint_listen(n, &a), NUL);
    CHECK_RC(wirestate_tcp_endpoint_listen(ep, NULL), NUL);
    CHECK_RC(wirestate_tcp_endpoint_unlisten(n, &a), NUL);
    CHECK_RC(wirestate_tcp_endpoint_unlisten(ep, NULL), NUL);
    CHECK_RC(wirestate_tcp_endpoint_connect(n, 0, &a, &b, &out_id), NUL);
    CHECK_RC(wirestate_tcp_endpoint_connect(ep, 0, NULL, &b, &out_id), NUL);
    CHECK_RC(wirestate_tcp_endpoint_connect(ep, 0, &a, NULL, &out_id), NUL);
    CHECK_RC(wirestate_tcp_endpoint_connect(ep, 0, &a, &b, NULL), NUL);
    CHECK(out_id == 42);
    CHECK_RC(wirestate_tcp_endpoint_receive_packet(n, 0, buf, 40), NUL);
    CHECK_RC(wirestate_tcp_endpoint_receive_packet(ep, 0, NULL, 40), NUL);
    CHECK_RC(wirestate_tcp_endpoint_receive_segment(n, 0, &ip, &ip, buf, 20), NUL);
    CHECK_RC(wirestate_tcp_endpoint_receive_segment(ep, 0, NULL, &ip, buf, 20), NUL);
    CHECK_RC(wirestate_tcp_endpoint_receive_segment(ep, 0, &ip, NULL, buf, 20), NUL);
    CHECK_RC(wirestate_tcp_endpoint_receive_segment(ep, 0, &ip, &ip, NULL, 20), NUL);
    CHECK_RC(wirestate_tcp_endpoint_handle_timeout(n, 0), NUL);
    CHECK_RC(wirestate_tcp_endpoint_poll_timeout(n, &flag, &at), NUL);
    CHECK_RC(wirestate_tcp_endpoint_poll_timeout(ep, NULL, &at), NUL);
    CHECK_RC(wirestate_tcp_endpoint_poll_timeout(ep, &flag, NULL), NUL);
    CHECK_RC(wirestate_tcp_endpoint_poll_transmit(n, 0, buf, sizeof buf, &t), NUL);
    CHECK_RC(wirestate_tcp_endpoint_poll_transmit(ep, 0, NULL, sizeof buf, &t), NUL);
    CHECK_RC(wirestate_tcp_endpoint_poll_transmit(ep, 0, buf, sizeof buf, NULL), NUL);
    CHECK_RC(wirestate_tcp_endpoint_poll_transmit_segment(n, 0, buf, sizeof buf, &t), NUL);
    CHECK_RC(wirestate_tcp_endpoint_poll_transmit_segment(ep, 0, NULL, sizeof buf, &t), NUL);
    CHECK_RC(wirestate_tcp_endpoint_poll_transmit_segment(ep, 0, buf, sizeof buf, NULL), NUL);
    CHECK_RC(wirestate_tcp_endpoint_poll_event(n, &ev), NUL);
    CHECK_RC(wirestate_tcp_endpoint_poll_event(ep, NULL), NUL);
    CHECK_RC(wirestate_tcp_endpoint_send(n, id, buf, 1, &count), NUL);
    CHECK_RC(wirestate_tcp_endpoint_send(ep, id, NULL, 1, &count), NUL);
    CHECK_RC(wirestate_tcp_endpoint_send(ep, id, buf, 1, NULL), NUL);
    CHECK_RC(wirestate_tcp_endpoint_recv(n, id, buf, 1, &count), NUL);
    CHECK_RC(wirestate_tcp_endpoint_recv(ep, id, NULL, 1, &count), NUL);
    CHECK_RC(wirestate_tcp_endpoint_recv(ep, id, buf, 1, NULL), NUL);
    CHECK_RC(wirestate_tcp_endpoint_close(n, 0, id), NUL);
    CHECK_RC(wirestate_tcp_endpoint_abort(n, 0, id), NUL);
    CHECK_RC(wirestate_tcp_endpoint_state(n, id, &st), NUL);
    CHECK_RC(wirestate_tcp_endpoint_state(ep, id, NULL), NUL);
    CHECK_RC(wirestate_tcp_endpoint_stats(n, id, &stats), NUL);
    CHECK_RC(wirestate_tcp_endpoint_stats(ep, id, NULL), NUL);
    CHECK_RC(wirestate_tcp_endpoint_addresses(n, id, &a, &b), NUL);
    CHECK_RC(wirestate_tcp_endpoint_addresses(ep, id, NULL, &b), NUL);
    CHECK_RC(wirestate_tcp_endpoint_addresses(ep, id, &a, NULL), NUL);
    CHECK_RC(wirestate_tcp_endpoint_readable(n, id, &count), NUL);
    CHECK_RC(wirestate_tcp_endpoint_readable(ep, id, NULL), NUL);
    CHECK_RC(wirestate_tcp_endpoint_writable(n, id, &count), NUL);
    CHECK_RC(wirestate_tcp_endpoint_writable(ep, id, NULL), NUL);
    CHECK_RC(wirestate_tcp_endpoint_is_read_finished(n, id, &flag), NUL);
    CHECK_RC(wirestate_tcp_endpoint_is_read_finished(ep, id, NULL), NUL);
    CHECK_RC(wirestate_tcp_endpoint_connection_count(n, &count), NUL);
    CHECK_RC(wirestate_tcp_endpoint_connection_count(ep, NULL), NUL);
    CHECK_RC(wirestate_tcp_endpoint_transmit_buffer_size(n, &count), NUL);
    CHECK_RC(wirestate_tcp_endpoint_transmit_buffer_size(ep, NULL), NUL);

    /* NULL data with length 0 is fine. */
    CHECK_OK(wirestate_tcp_endpoint_receive_packet(ep, 0, NULL, 0));
    CHECK_OK(wirestate_tcp_endpoint_receive_segment(ep, 0, &ip, &ip, NULL, 0));
    count = 5;
    CHECK_OK(wirestate_tcp_endpoint_recv(ep, id, NULL, 0, &count));
    CHECK(count == 0);
}

/* Unknown ids, bad addresses, wrong states, small buffers. */
static void misuse(void) {
    wirestate_tcp_config *cfg = NULL;
    CHECK_OK(wirestate_tcp_config_new(&cfg));
    wirestate_tcp_endpoint *ep = endpoint_new(cfg, TCP_SECRET_A);
    wirestate_tcp_config_free(cfg);

    /* A fresh endpoint: nothing to do. */
    bool has = true;
    uint64_t at = 99;
    CHECK_OK(wirestate_tcp_endpoint_poll_timeout(ep, &has, &at));
    CHECK(!has && at == 0);
    wirestate_tcp_event ev = tcp_next_event(ep);
    CHECK(ev.kind == WIRESTATE_TCP_EVENT_KIND_NONE);
    uint8_t buf[LINK_BUFFER];
    wirestate_tcp_transmit t;
    CHECK_OK(wirestate_tcp_endpoint_poll_transmit(ep, 0, buf, sizeof buf, &t));
    CHECK(t.len == 0 && t.src.ip.family == 0 && t.dst.port == 0);

    /* Unknown connection ids. */
    size_t count = 77;
    bool flag = true;
    wirestate_tcp_state st = 99;
    wirestate_tcp_stats stats;
    wirestate_socket_addr a = sockaddr_of("10.0.0.1:1000"), b = sockaddr_of("10.0.0.2:2000");
    wirestate_socket_addr a_keep = a;
    CHECK_RC(wirestate_tcp_endpoint_send(ep, NO_SUCH_ID, buf, 10, &count), UNKNOWN);
    CHECK_RC(wirestate_tcp_endpoint_recv(ep, NO_SUCH_ID, buf, 10, &count), UNKNOWN);
    CHECK_RC(wirestate_tcp_endpoint_close(ep, 0, NO_SUCH_ID), UNKNOWN);
    CHECK_RC(wirestate_tcp_endpoint_abort(ep, 0, NO_SUCH_ID), UNKNOWN);
    CHECK_RC(wirestate_tcp_endpoint_state(ep, NO_SUCH_ID, &st), UNKNOWN);
    CHECK_RC(wirestate_tcp_endpoint_stats(ep, NO_SUCH_ID, &stats), UNKNOWN);
    CHECK_RC(wirestate_tcp_endpoint_addresses(ep, NO_SUCH_ID, &a, &b), UNKNOWN);
    CHECK_RC(wirestate_tcp_endpoint_readable(ep, NO_SUCH_ID, &count), UNKNOWN);
    CHECK_RC(wirestate_tcp_endpoint_writable(ep, NO_SUCH_ID, &count), UNKNOWN);
    CHECK_RC(wirestate_tcp_endpoint_is_read_finished(ep, NO_SUCH_ID, &flag), UNKNOWN);
    CHECK(count == 77 && flag && st == 99 && sockaddr_eq(&a, &a_keep));

    /* Listening. */
    wirestate_socket_addr port0 = sockaddr_of("10.0.0.2:0");
    wirestate_socket_addr odd = b;
    odd.ip.family = 5;
    CHECK_RC(wirestate_tcp_endpoint_listen(ep, &port0), WIRESTATE_RESULT_INVALID_ADDRESS);
    CHECK_RC(wirestate_tcp_endpoint_listen(ep, &odd), WIRESTATE_RESULT_INVALID_ADDRESS);
    CHECK_OK(wirestate_tcp_endpoint_listen(ep, &b));
    CHECK_RC(wirestate_tcp_endpoint_listen(ep, &b), WIRESTATE_RESULT_ADDRESS_IN_USE);
    CHECK_RC(wirestate_tcp_endpoint_unlisten(ep, &a), WIRESTATE_RESULT_NOT_LISTENING);
    CHECK_RC(wirestate_tcp_endpoint_unlisten(ep, &odd), WIRESTATE_RESULT_INVALID_ADDRESS);
    CHECK_OK(wirestate_tcp_endpoint_unlisten(ep, &b));
    CHECK_RC(wirestate_tcp_endpoint_unlisten(ep, &b), WIRESTATE_RESULT_NOT_LISTENING);

    /* Connecting. */
    uint64_t id = 4242;
    wirestate_socket_addr v6 = sockaddr_of("[fd00::2]:80");
    CHECK_RC(wirestate_tcp_endpoint_connect(ep, 0, &port0, &b, &id),
             WIRESTATE_RESULT_INVALID_ADDRESS);
    CHECK_RC(wirestate_tcp_endpoint_connect(ep, 0, &a, &port0, &id),
             WIRESTATE_RESULT_INVALID_ADDRESS);
    CHECK_RC(wirestate_tcp_endpoint_connect(ep, 0, &a, &v6, &id),
             WIRESTATE_RESULT_INVALID_ADDRESS);
    CHECK_RC(wirestate_tcp_endpoint_connect(ep, 0, &odd, &b, &id),
             WIRESTATE_RESULT_INVALID_ADDRESS);
    CHECK(id == 4242);
    CHECK_OK(wirestate_tcp_endpoint_connect(ep, 0, &a, &b, &id));
    uint64_t id2 = 4242;
    CHECK_RC(wirestate_tcp_endpoint_connect(ep, 0, &a, &b, &id2), WIRESTATE_RESULT_ADDRESS_IN_USE);
    CHECK(id2 == 4242);
    CHECK(tcp_state_of(ep, id) == WIRESTATE_TCP_STATE_SYN_SENT);
    null_arguments(ep, id);

    /* A transmit buffer too small takes nothing: the SYN is still there. */
    size_t need = 0;
    CHECK_OK(wirestate_tcp_endpoint_transmit_buffer_size(ep, &need));
    CHECK(need == 1540 && need <= WIRESTATE_TCP_MAX_TRANSMIT_BUFFER);
    memset(&t, 0x5a, sizeof t);
    CHECK_RC(wirestate_tcp_endpoint_poll_transmit(ep, 0, buf, need - 1, &t),
             WIRESTATE_RESULT_BUFFER_TOO_SMALL);
    CHECK_RC(wirestate_tcp_endpoint_poll_transmit_segment(ep, 0, buf, need - 1, &t),
             WIRESTATE_RESULT_BUFFER_TOO_SMALL);
    CHECK_RC(wirestate_tcp_endpoint_poll_transmit_segment(ep, 0, buf, 0, &t),
             WIRESTATE_RESULT_BUFFER_TOO_SMALL);
    CHECK(t.len == 0x5a5a5a5a5a5a5a5aull);
    CHECK_OK(wirestate_tcp_endpoint_poll_transmit(ep, 0, buf, need, &t));
    CHECK(t.len > 40 && buf[0] >> 4 == 4 && (buf[33] & 0x02)); /* IPv4, SYN */
    CHECK(sockaddr_eq(&t.src, &a) && sockaddr_eq(&t.dst, &b));
    CHECK_OK(wirestate_tcp_endpoint_poll_transmit(ep, 0, buf, sizeof buf, &t));
    CHECK(t.len == 0);

    /* Receiving a segment with an unknown address family. */
    wirestate_ip_addr bad_ip = odd.ip;
    CHECK_RC(wirestate_tcp_endpoint_receive_segment(ep, 0, &bad_ip, &a.ip, buf, 20),
             WIRESTATE_RESULT_INVALID_ADDRESS);
    CHECK_RC(wirestate_tcp_endpoint_receive_segment(ep, 0, &a.ip, &bad_ip, buf, 20),
             WIRESTATE_RESULT_INVALID_ADDRESS);

    /* Closing in SYN-SENT queues the FIN; a second close, or a send after
     * it, is refused. */
    size_t sent = 99;
    CHECK_OK(wirestate_tcp_endpoint_send(ep, id, buf, 10, &sent));
    CHECK(sent == 10);
    CHECK_OK(wirestate_tcp_endpoint_close(ep, 0, id));
    CHECK_RC(wirestate_tcp_endpoint_close(ep, 0, id), WIRESTATE_RESULT_CONNECTION_CLOSED);
    sent = 99;
    CHECK_RC(wirestate_tcp_endpoint_send(ep, id, buf, 10, &sent),
             WIRESTATE_RESULT_CONNECTION_CLOSED);
    CHECK(sent == 99);

    /* abort: CLOSED at once, then the id is gone after the next transmit. */
    CHECK_OK(wirestate_tcp_endpoint_abort(ep, 0, id));
    ev = tcp_next_event(ep);
    CHECK(ev.kind == WIRESTATE_TCP_EVENT_KIND_CLOSED && ev.conn == id);
    CHECK(ev.remote.ip.family == 0 && ev.from == WIRESTATE_TCP_STATE_CLOSED);
    CHECK_RC(wirestate_tcp_endpoint_close(ep, 0, id), WIRESTATE_RESULT_CONNECTION_CLOSED);
    CHECK_OK(wirestate_tcp_endpoint_poll_transmit(ep, 0, buf, sizeof buf, &t));
    CHECK(t.len == 0); /* nothing: the peer never heard of it */
    CHECK_RC(wirestate_tcp_endpoint_abort(ep, 0, id), UNKNOWN);
    CHECK_RC(wirestate_tcp_endpoint_state(ep, id, &st), UNKNOWN);
    /* Ids are never reused. */
    CHECK_OK(wirestate_tcp_endpoint_connect(ep, 0, &a, &b, &id2));
    CHECK(id2 != id);
    wirestate_tcp_endpoint_free(ep); /* with a connection still open */
}

/* A connection run to TIME-WAIT: the getters that need the full state
 * answer INVALID_STATE, the others still work. */
static void time_wait(void) {
    wirestate_tcp_config *cfg = NULL;
    CHECK_OK(wirestate_tcp_config_new(&cfg));
    wirestate_tcp_endpoint *a = endpoint_new(cfg, TCP_SECRET_A);
    wirestate_tcp_endpoint *b = endpoint_new(cfg, TCP_SECRET_B);
    wirestate_tcp_config_free(cfg);
    tcp_link l;
    link_init(&l, a, b);
    wirestate_socket_addr ca = sockaddr_of("10.0.0.1:1000"), sa = sockaddr_of("10.0.0.2:2000");
    CHECK_OK(wirestate_tcp_endpoint_listen(b, &sa));
    uint64_t id = 0, sid = UINT64_MAX;
    CHECK_OK(wirestate_tcp_endpoint_connect(a, l.now, &ca, &sa, &id));
    CHECK_OK(wirestate_tcp_endpoint_close(a, l.now, id)); /* FIN right after the handshake */
    int guard = 0;
    while (tcp_state_of(a, id) != WIRESTATE_TCP_STATE_TIME_WAIT && guard++ < 100) {
        link_drain(&l, 0);
        link_drain(&l, 1);
        wirestate_tcp_event ev;
        while ((ev = tcp_next_event(b)).kind != WIRESTATE_TCP_EVENT_KIND_NONE) {
            if (ev.kind == WIRESTATE_TCP_EVENT_KIND_INCOMING) {
                sid = ev.conn;
            }
            if (ev.kind == WIRESTATE_TCP_EVENT_KIND_PEER_FINISHED) {
                CHECK_OK(wirestate_tcp_endpoint_close(b, l.now, ev.conn));
            }
        }
        while (tcp_next_event(a).kind != WIRESTATE_TCP_EVENT_KIND_NONE) {
        }
        link_step(&l);
    }
    CHECK(tcp_state_of(a, id) == WIRESTATE_TCP_STATE_TIME_WAIT);
    CHECK(sid != UINT64_MAX);
    link_drain(&l, 0); /* compacts the TIME-WAIT connection */
    wirestate_tcp_stats stats;
    memset(&stats, 0x5a, sizeof stats);
    wirestate_socket_addr x = ca, y = sa;
    size_t n = 77;
    bool fin = false;
    CHECK_RC(wirestate_tcp_endpoint_stats(a, id, &stats), WIRESTATE_RESULT_INVALID_STATE);
    CHECK(stats.bytes_sent == 0x5a5a5a5a5a5a5a5aull);
    CHECK_RC(wirestate_tcp_endpoint_addresses(a, id, &x, &y), WIRESTATE_RESULT_INVALID_STATE);
    CHECK_RC(wirestate_tcp_endpoint_readable(a, id, &n), WIRESTATE_RESULT_INVALID_STATE);
    CHECK_RC(wirestate_tcp_endpoint_writable(a, id, &n), WIRESTATE_RESULT_INVALID_STATE);
    CHECK(n == 77);
    CHECK_OK(wirestate_tcp_endpoint_is_read_finished(a, id, &fin));
    CHECK(fin);
    CHECK_RC(wirestate_tcp_endpoint_send(a, id, (const uint8_t *)"x", 1, &n), UNKNOWN);
    CHECK_RC(wirestate_tcp_endpoint_close(a, l.now, id), UNKNOWN);
    size_t count = 0;
    CHECK_OK(wirestate_tcp_endpoint_connection_count(a, &count));
    CHECK(count == 1);
    /* A new connection on the same 4-tuple is refused while it lingers. */
    uint64_t id2 = 0;
    CHECK_RC(wirestate_tcp_endpoint_connect(a, l.now, &ca, &sa, &id2),
             WIRESTATE_RESULT_ADDRESS_IN_USE);
    while (link_step(&l)) {
        link_drain(&l, 0);
        link_drain(&l, 1);
    }
    CHECK(tcp_state_of(a, id) == 99);
    CHECK(tcp_state_of(b, sid) == 99);
    link_free(&l);
    wirestate_tcp_endpoint_free(a);
    wirestate_tcp_endpoint_free(b);
}

/* Checks the one packet `ep` has to send (if `want_rst`, that it is a RST)
 * and that nothing follows it. */
static void expect_rst(wirestate_tcp_endpoint *ep, int want_rst) {
    uint8_t out[LINK_BUFFER];
    wirestate_tcp_transmit t;
    CHECK_OK(wirestate_tcp_endpoint_poll_transmit(ep, 0, out, sizeof out, &t));
    if (want_rst) {
        CHECK(t.len == 40 && (out[33] & 0x04));
        CHECK_OK(wirestate_tcp_endpoint_poll_transmit(ep, 0, out, sizeof out, &t));
    }
    CHECK(t.len == 0);
}

/* A minimal IPv4 + TCP packet from 10.0.0.9:5000 to 10.0.0.2:`port` with
 * `flags`, checksums filled in. Returns its length (40). */
static size_t make_packet(uint8_t p[40], uint16_t port, uint8_t flags) {
    memset(p, 0, 40);
    p[0] = 0x45;
    p[3] = 40;
    p[8] = 64;
    p[9] = 6;
    uint8_t src[4] = {10, 0, 0, 9}, dst[4] = {10, 0, 0, 2};
    memcpy(p + 12, src, 4);
    memcpy(p + 16, dst, 4);
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2) {
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    p[10] = (uint8_t)(~sum >> 8);
    p[11] = (uint8_t)~sum;
    uint8_t *t = p + 20;
    t[0] = 5000 >> 8;
    t[1] = 5000 & 0xff;
    t[2] = (uint8_t)(port >> 8);
    t[3] = (uint8_t)port;
    t[7] = 1;  /* seq 1 */
    t[11] = 1; /* ack 1 */
    t[12] = 5 << 4;
    t[13] = flags;
    t[14] = 0xff; /* window */
    sum = 0;
    for (int i = 0; i < 4; i += 2) {
        sum += (uint32_t)(src[i] << 8 | src[i + 1]) + (uint32_t)(dst[i] << 8 | dst[i + 1]);
    }
    sum += 6 + 20;
    for (int i = 0; i < 20; i += 2) {
        sum += (uint32_t)(t[i] << 8 | t[i + 1]);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    t[16] = (uint8_t)(~sum >> 8);
    t[17] = (uint8_t)~sum;
    return 40;
}

/* Garbage from the network: dropped, or answered with a RST, never an error
 * and never a crash; a live connection survives it. */
static void garbage(void) {
    wirestate_tcp_config *cfg = NULL;
    CHECK_OK(wirestate_tcp_config_new(&cfg));
    wirestate_tcp_endpoint *ep = endpoint_new(cfg, TCP_SECRET_A);

    /* Well-formed segments for nobody get a RST; a RST gets nothing. */
    uint8_t p[40];
    CHECK_OK(wirestate_tcp_endpoint_receive_packet(ep, 0, p, make_packet(p, 81, 0x02))); /* SYN */
    expect_rst(ep, 1);
    CHECK_OK(wirestate_tcp_endpoint_receive_packet(ep, 0, p, make_packet(p, 81, 0x10))); /* ACK */
    expect_rst(ep, 1);
    CHECK_OK(wirestate_tcp_endpoint_receive_packet(ep, 0, p, make_packet(p, 81, 0x04))); /* RST */
    expect_rst(ep, 0);
    /* A bad checksum is dropped silently. */
    make_packet(p, 81, 0x02);
    p[39] ^= 1;
    CHECK_OK(wirestate_tcp_endpoint_receive_packet(ep, 0, p, sizeof p));
    expect_rst(ep, 0);
    /* Truncated at every length, and not TCP. */
    make_packet(p, 81, 0x02);
    for (size_t len = 0; len < sizeof p; len++) {
        CHECK_OK(wirestate_tcp_endpoint_receive_packet(ep, 0, p, len));
    }
    p[9] = 17;
    CHECK_OK(wirestate_tcp_endpoint_receive_packet(ep, 0, p, sizeof p));
    expect_rst(ep, 0);
    /* Bare segments that are too short or nonsense. */
    wirestate_ip_addr s4 = sockaddr_of("10.0.0.9:1").ip, d4 = sockaddr_of("10.0.0.2:1").ip;
    for (size_t len = 0; len < 20; len++) {
        CHECK_OK(wirestate_tcp_endpoint_receive_segment(ep, 0, &s4, &d4, p + 20, len));
    }
    expect_rst(ep, 0);
    wirestate_tcp_endpoint_free(ep);

    /* A live connection between two endpoints that trust checksums to
     * "hardware", so corrupted packets reach the state machine. */
    CHECK_OK(wirestate_tcp_config_set_checksum_offload(cfg, true));
    wirestate_tcp_endpoint *a = endpoint_new(cfg, TCP_SECRET_A);
    wirestate_tcp_endpoint *b = endpoint_new(cfg, TCP_SECRET_B);
    wirestate_tcp_config_free(cfg);
    tcp_link l;
    link_init(&l, a, b);
    wirestate_socket_addr ca = sockaddr_of("10.0.0.1:1000"), sa = sockaddr_of("10.0.0.2:2000");
    CHECK_OK(wirestate_tcp_endpoint_listen(b, &sa));
    uint64_t id = 0;
    CHECK_OK(wirestate_tcp_endpoint_connect(a, l.now, &ca, &sa, &id));
    size_t n = 0;
    CHECK_OK(wirestate_tcp_endpoint_send(a, id, (const uint8_t *)"payload", 7, &n));
    /* Capture the real packets of the handshake, then replay them mutated. */
    uint8_t saved[8][LINK_BUFFER];
    size_t saved_len[8];
    int nsaved = 0;
    for (int i = 0; i < 6; i++) {
        link_drain(&l, 0);
        link_drain(&l, 1);
        for (size_t k = 0; k < l.in_flight && nsaved < 8; k++) {
            packet *pk = &l.pool[l.heap[k].index];
            memcpy(saved[nsaved], pk->data, pk->len);
            saved_len[nsaved++] = pk->len;
        }
        link_step(&l);
    }
    CHECK(nsaved >= 3);
    uint8_t junk[LINK_BUFFER];
    for (int round = 0; round < 3000; round++) {
        int k = (int)(prng() % (uint32_t)nsaved);
        size_t len = saved_len[k];
        memcpy(junk, saved[k], len);
        int flips = 1 + (int)(prng() % 4);
        for (int f = 0; f < flips; f++) {
            /* Mostly the TCP header (after the 20-byte IPv4 header). */
            size_t at = prng() % 4 ? 20 + prng() % (len - 20) : prng() % len;
            junk[at] ^= (uint8_t)(1u << (prng() % 8));
        }
        if (prng() % 8 == 0) {
            len = prng() % (len + 1);
        }
        if (prng() % 16 == 0) {
            len = 1 + prng() % sizeof junk;
            for (size_t i = 0; i < len; i++) {
                junk[i] = (uint8_t)prng();
            }
        }
        CHECK_OK(wirestate_tcp_endpoint_receive_packet(l.ep[round % 2], l.now, junk, len));
        /* Whatever it answers goes nowhere. */
        wirestate_tcp_transmit t;
        do {
            CHECK_OK(wirestate_tcp_endpoint_poll_transmit(l.ep[round % 2], l.now, junk,
                                                          sizeof junk, &t));
        } while (t.len > 0);
        while (tcp_next_event(l.ep[round % 2]).kind != WIRESTATE_TCP_EVENT_KIND_NONE) {
        }
        if (round % 100 == 0) {
            l.now += 10 * MS;
            CHECK_OK(wirestate_tcp_endpoint_handle_timeout(a, l.now));
            CHECK_OK(wirestate_tcp_endpoint_handle_timeout(b, l.now));
        }
    }
    /* Both endpoints still answer every call; run them down to idle. */
    int steps = 0;
    do {
        link_drain(&l, 0);
        link_drain(&l, 1);
        while (tcp_next_event(a).kind != WIRESTATE_TCP_EVENT_KIND_NONE) {
        }
        while (tcp_next_event(b).kind != WIRESTATE_TCP_EVENT_KIND_NONE) {
        }
    } while (link_step(&l) && ++steps < 100000);
    CHECK(steps < 100000);
    link_free(&l);
    wirestate_tcp_endpoint_free(a);
    wirestate_tcp_endpoint_free(b);
}

int main(void) {
    config_errors();
    address_errors();
    misuse();
    time_wait();
    garbage();
    for (unsigned code = 100; code <= 104; code++) {
        char buf[64];
        size_t n = 0;
        CHECK_OK(wirestate_result_message(code, buf, sizeof buf, &n));
        CHECK(n > 0 && strcmp(wirestate_result_str(code), "unknown result code") != 0);
    }
    return check_report();
}
