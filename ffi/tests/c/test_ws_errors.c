/* Every error path: NULL for each pointer argument, calls in the wrong
 * state, values out of range, and garbage from the network, which must end
 * in a CLOSED event with the right code and never in a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pair.h"

#define NUL WIRESTATE_RESULT_NULL_PARAMETER

/* An open client/server pair without compression. */
static void open_pair(wirestate_ws_conn **client, wirestate_ws_conn **server) {
    wirestate_ws_config *sc = NULL, *cc = NULL;
    CHECK_OK(wirestate_ws_config_new(&sc));
    CHECK_OK(wirestate_ws_config_add_subprotocol(sc, CSTR("chat")));
    CHECK_OK(wirestate_ws_config_new(&cc));
    CHECK_OK(wirestate_ws_config_set_host(cc, CSTR("localhost")));
    CHECK_OK(wirestate_ws_config_add_subprotocol(cc, CSTR("chat")));
    CHECK_OK(wirestate_ws_conn_new_server(sc, server));
    CHECK_OK(wirestate_ws_conn_new_client(cc, TEST_SEED, client));
    wirestate_ws_config_free(sc);
    wirestate_ws_config_free(cc);
    transfer(*client, *server);
    CHECK(next_event(*server).kind == WIRESTATE_WS_EVENT_KIND_REQUEST);
    CHECK_OK(wirestate_ws_conn_accept(*server, NULL, 0, NULL, 0));
    transfer(*server, *client);
    CHECK(next_event(*client).kind == WIRESTATE_WS_EVENT_KIND_ACCEPTED);
}

static void null_config(void) {
    CHECK_RC(wirestate_ws_config_new(NULL), NUL);
    wirestate_ws_config_free(NULL);
    wirestate_ws_config *c = NULL;
    CHECK_OK(wirestate_ws_config_new(&c));
    CHECK(c != NULL);

    CHECK_RC(wirestate_ws_config_set_max_message_size(NULL, 1), NUL);
    CHECK_RC(wirestate_ws_config_set_max_frame_size(NULL, 1), NUL);
    CHECK_RC(wirestate_ws_config_set_max_handshake_size(NULL, 1), NUL);
    CHECK_RC(wirestate_ws_config_set_max_headers(NULL, 1), NUL);
    CHECK_RC(wirestate_ws_config_set_max_write_buffer(NULL, 1), NUL);
    CHECK_RC(wirestate_ws_config_set_write_buffer_high(NULL, 1), NUL);
    CHECK_RC(wirestate_ws_config_set_write_buffer_low(NULL, 1), NUL);
    CHECK_RC(wirestate_ws_config_set_auto_pong(NULL, true), NUL);
    CHECK_RC(wirestate_ws_config_set_close_echo(NULL, true), NUL);
    CHECK_RC(wirestate_ws_config_set_streaming(NULL, true), NUL);
    CHECK_RC(wirestate_ws_config_set_compression(NULL, true), NUL);
    CHECK_RC(wirestate_ws_config_set_deflate_server_no_context_takeover(NULL, true), NUL);
    CHECK_RC(wirestate_ws_config_set_deflate_client_no_context_takeover(NULL, true), NUL);
    CHECK_RC(wirestate_ws_config_set_deflate_server_max_window_bits(NULL, 10), NUL);
    CHECK_RC(wirestate_ws_config_set_deflate_client_max_window_bits(NULL, 10), NUL);
    CHECK_RC(wirestate_ws_config_set_deflate_level(NULL, 1), NUL);
    CHECK_RC(wirestate_ws_config_set_deflate_threshold(NULL, 1), NUL);
    CHECK_RC(wirestate_ws_config_add_subprotocol(NULL, CSTR("a")), NUL);
    CHECK_RC(wirestate_ws_config_add_subprotocol(c, NULL, 1), NUL);
    CHECK_RC(wirestate_ws_config_clear_subprotocols(NULL), NUL);
    CHECK_RC(wirestate_ws_config_set_keepalive_interval(NULL, 1), NUL);
    CHECK_RC(wirestate_ws_config_set_keepalive_timeout(NULL, 1), NUL);
    CHECK_RC(wirestate_ws_config_set_close_timeout(NULL, 1), NUL);
    CHECK_RC(wirestate_ws_config_set_open_timeout(NULL, 1), NUL);
    CHECK_RC(wirestate_ws_config_set_host(NULL, CSTR("a")), NUL);
    CHECK_RC(wirestate_ws_config_set_host(c, NULL, 1), NUL);
    CHECK_RC(wirestate_ws_config_set_path(NULL, CSTR("/")), NUL);
    CHECK_RC(wirestate_ws_config_set_path(c, NULL, 1), NUL);
    CHECK_RC(wirestate_ws_config_set_origin(NULL, CSTR("o")), NUL);
    CHECK_RC(wirestate_ws_config_add_header(NULL, CSTR("a"), CSTR("b")), NUL);
    CHECK_RC(wirestate_ws_config_add_header(c, NULL, 1, CSTR("b")), NUL);
    CHECK_RC(wirestate_ws_config_add_header(c, CSTR("a"), NULL, 1), NUL);

    /* Values out of range. */
    CHECK_RC(wirestate_ws_config_set_deflate_server_max_window_bits(c, 8),
             WIRESTATE_RESULT_INVALID_CONFIG);
    CHECK_RC(wirestate_ws_config_set_deflate_client_max_window_bits(c, 16),
             WIRESTATE_RESULT_INVALID_CONFIG);
    CHECK_RC(wirestate_ws_config_set_deflate_level(c, 10), WIRESTATE_RESULT_INVALID_CONFIG);
    CHECK_RC(wirestate_ws_config_add_subprotocol(c, "\xff", 1), WIRESTATE_RESULT_INVALID_UTF8);
    CHECK_RC(wirestate_ws_config_add_header(c, "\xc3", 1, CSTR("b")),
             WIRESTATE_RESULT_INVALID_HEADER);
    /* Empty strings with NULL pointers are fine; NULL origin removes it. */
    CHECK_OK(wirestate_ws_config_add_subprotocol(c, NULL, 0));
    CHECK_OK(wirestate_ws_config_clear_subprotocols(c));
    CHECK_OK(wirestate_ws_config_set_origin(c, NULL, 0));

    /* A client needs a host and a path starting with '/'. */
    wirestate_ws_conn *conn = (wirestate_ws_conn *)&conn; /* must stay untouched */
    wirestate_ws_conn *const sentinel = conn;
    CHECK_RC(wirestate_ws_conn_new_client(c, TEST_SEED, &conn), WIRESTATE_RESULT_INVALID_CONFIG);
    CHECK(conn == sentinel);
    CHECK_OK(wirestate_ws_config_set_host(c, CSTR("localhost")));
    CHECK_OK(wirestate_ws_config_set_path(c, CSTR("nope")));
    CHECK_RC(wirestate_ws_conn_new_client(c, TEST_SEED, &conn), WIRESTATE_RESULT_INVALID_CONFIG);
    CHECK_OK(wirestate_ws_config_set_path(c, CSTR("/")));
    CHECK_OK(wirestate_ws_config_add_header(c, CSTR("Bad Name"), CSTR("x")));
    CHECK_RC(wirestate_ws_conn_new_client(c, TEST_SEED, &conn), WIRESTATE_RESULT_INVALID_HEADER);
    CHECK(conn == sentinel);

    CHECK_RC(wirestate_ws_conn_new_server(NULL, &conn), NUL);
    CHECK_RC(wirestate_ws_conn_new_server(c, NULL), NUL);
    CHECK_RC(wirestate_ws_conn_new_client(NULL, TEST_SEED, &conn), NUL);
    CHECK_RC(wirestate_ws_conn_new_client(c, TEST_SEED, NULL), NUL);
    CHECK(conn == sentinel);
    wirestate_ws_config_free(c);
}

static void null_conn(void) {
    wirestate_ws_conn *client = NULL, *server = NULL;
    open_pair(&client, &server);
    wirestate_ws_conn_free(NULL);

    const uint8_t *data = NULL;
    size_t n = 0;
    bool b = false;
    uint64_t t = 0;
    wirestate_ws_event ev;
    wirestate_str s;
    wirestate_bytes bytes;
    wirestate_ws_state st;
    wirestate_ws_role role;
    wirestate_ws_stats stats;
    wirestate_header h = {{CSTR("X-A")}, {CSTR("b")}};
    uint8_t buf[16];

    CHECK_RC(wirestate_ws_conn_receive_data(NULL, buf, 1), NUL);
    CHECK_RC(wirestate_ws_conn_receive_data(server, NULL, 1), NUL);
    CHECK_OK(wirestate_ws_conn_receive_data(server, NULL, 0));
    CHECK_RC(wirestate_ws_conn_receive_eof(NULL), NUL);
    CHECK_RC(wirestate_ws_conn_handle_timeout(NULL, 0), NUL);
    CHECK_RC(wirestate_ws_conn_poll_timeout(NULL, &b, &t), NUL);
    CHECK_RC(wirestate_ws_conn_poll_timeout(server, NULL, &t), NUL);
    CHECK_RC(wirestate_ws_conn_poll_timeout(server, &b, NULL), NUL);
    CHECK_RC(wirestate_ws_conn_poll_event(NULL, &ev), NUL);
    CHECK_RC(wirestate_ws_conn_poll_event(server, NULL), NUL);
    size_t written = 0;
    CHECK_RC(wirestate_ws_conn_poll_events(NULL, &ev, 1, &written), NUL);
    CHECK_RC(wirestate_ws_conn_poll_events(server, NULL, 1, &written), NUL);
    CHECK_RC(wirestate_ws_conn_poll_events(server, &ev, 1, NULL), NUL);
    CHECK_RC(wirestate_ws_conn_poll_events(server, &ev, 0, &written),
             WIRESTATE_RESULT_INVALID_ARGUMENT);

    CHECK_RC(wirestate_ws_conn_request_path(NULL, &s), NUL);
    CHECK_RC(wirestate_ws_conn_request_path(server, NULL), NUL);
    CHECK_RC(wirestate_ws_conn_request_host(NULL, &s), NUL);
    CHECK_RC(wirestate_ws_conn_request_host(server, NULL), NUL);
    CHECK_RC(wirestate_ws_conn_request_origin(NULL, &b, &s), NUL);
    CHECK_RC(wirestate_ws_conn_request_origin(server, NULL, &s), NUL);
    CHECK_RC(wirestate_ws_conn_request_origin(server, &b, NULL), NUL);
    CHECK_RC(wirestate_ws_conn_request_subprotocol_count(NULL, &n), NUL);
    CHECK_RC(wirestate_ws_conn_request_subprotocol_count(server, NULL), NUL);
    CHECK_RC(wirestate_ws_conn_request_subprotocol(NULL, 0, &s), NUL);
    CHECK_RC(wirestate_ws_conn_request_subprotocol(server, 0, NULL), NUL);
    CHECK_RC(wirestate_ws_conn_request_extension_count(NULL, &n), NUL);
    CHECK_RC(wirestate_ws_conn_request_extension_count(server, NULL), NUL);
    CHECK_RC(wirestate_ws_conn_request_extension_name(NULL, 0, &s), NUL);
    CHECK_RC(wirestate_ws_conn_request_extension_name(server, 0, NULL), NUL);
    CHECK_RC(wirestate_ws_conn_request_extension_param_count(NULL, 0, &n), NUL);
    CHECK_RC(wirestate_ws_conn_request_extension_param_count(server, 0, NULL), NUL);
    CHECK_RC(wirestate_ws_conn_request_extension_param(NULL, 0, 0, &s, &b, &s), NUL);
    CHECK_RC(wirestate_ws_conn_request_extension_param(server, 0, 0, NULL, &b, &s), NUL);
    CHECK_RC(wirestate_ws_conn_request_extension_param(server, 0, 0, &s, NULL, &s), NUL);
    CHECK_RC(wirestate_ws_conn_request_extension_param(server, 0, 0, &s, &b, NULL), NUL);
    CHECK_RC(wirestate_ws_conn_request_header_count(NULL, &n), NUL);
    CHECK_RC(wirestate_ws_conn_request_header_count(server, NULL), NUL);
    CHECK_RC(wirestate_ws_conn_request_header(NULL, 0, &s, &bytes), NUL);
    CHECK_RC(wirestate_ws_conn_request_header(server, 0, NULL, &bytes), NUL);
    CHECK_RC(wirestate_ws_conn_request_header(server, 0, &s, NULL), NUL);
    CHECK_RC(wirestate_ws_conn_response_header_count(NULL, &n), NUL);
    CHECK_RC(wirestate_ws_conn_response_header_count(client, NULL), NUL);
    CHECK_RC(wirestate_ws_conn_response_header(NULL, 0, &s, &bytes), NUL);
    CHECK_RC(wirestate_ws_conn_response_header(client, 0, NULL, &bytes), NUL);
    CHECK_RC(wirestate_ws_conn_response_header(client, 0, &s, NULL), NUL);

    CHECK_RC(wirestate_ws_conn_accept(NULL, NULL, 0, NULL, 0), NUL);
    CHECK_RC(wirestate_ws_conn_accept(server, NULL, 0, NULL, 1), NUL);
    CHECK_RC(wirestate_ws_conn_reject(NULL, 400, NULL, 0, NULL, 0), NUL);
    CHECK_RC(wirestate_ws_conn_reject(server, 400, NULL, 1, NULL, 0), NUL);
    CHECK_RC(wirestate_ws_conn_reject(server, 400, &h, 1, NULL, 1), NUL);
    CHECK_RC(wirestate_ws_conn_send_text(NULL, CSTR("a")), NUL);
    CHECK_RC(wirestate_ws_conn_send_text(server, NULL, 1), NUL);
    CHECK_RC(wirestate_ws_conn_send_binary(NULL, buf, 1), NUL);
    CHECK_RC(wirestate_ws_conn_send_binary(server, NULL, 1), NUL);
    CHECK_RC(wirestate_ws_conn_send_message(NULL, WIRESTATE_WS_MESSAGE_KIND_BINARY, buf, 1, true),
             NUL);
    CHECK_RC(
        wirestate_ws_conn_send_message(server, WIRESTATE_WS_MESSAGE_KIND_BINARY, NULL, 1, true),
        NUL);
    CHECK_RC(
        wirestate_ws_conn_send_fragment(NULL, WIRESTATE_WS_MESSAGE_KIND_BINARY, buf, 1, true), NUL);
    CHECK_RC(
        wirestate_ws_conn_send_fragment(server, WIRESTATE_WS_MESSAGE_KIND_BINARY, NULL, 1, true),
        NUL);
    CHECK_RC(wirestate_ws_conn_ping(NULL, buf, 1), NUL);
    CHECK_RC(wirestate_ws_conn_ping(server, NULL, 1), NUL);
    CHECK_RC(wirestate_ws_conn_pong(NULL, buf, 1), NUL);
    CHECK_RC(wirestate_ws_conn_pong(server, NULL, 1), NUL);
    CHECK_RC(wirestate_ws_conn_close(NULL, 1000, NULL, 0), NUL);
    CHECK_RC(wirestate_ws_conn_close(server, 1000, NULL, 1), NUL);

    CHECK_RC(wirestate_ws_conn_pending_output(NULL, &data, &n), NUL);
    CHECK_RC(wirestate_ws_conn_pending_output(server, NULL, &n), NUL);
    CHECK_RC(wirestate_ws_conn_pending_output(server, &data, NULL), NUL);
    CHECK_RC(wirestate_ws_conn_consume_output(NULL, 0), NUL);
    CHECK_RC(wirestate_ws_conn_poll_transmit(NULL, buf, sizeof buf, &n), NUL);
    CHECK_RC(wirestate_ws_conn_poll_transmit(server, NULL, sizeof buf, &n), NUL);
    CHECK_RC(wirestate_ws_conn_poll_transmit(server, buf, sizeof buf, NULL), NUL);
    CHECK_OK(wirestate_ws_conn_poll_transmit(server, NULL, 0, &n));
    CHECK(n == 0);

    CHECK_RC(wirestate_ws_conn_state(NULL, &st), NUL);
    CHECK_RC(wirestate_ws_conn_state(server, NULL), NUL);
    CHECK_RC(wirestate_ws_conn_role(NULL, &role), NUL);
    CHECK_RC(wirestate_ws_conn_role(server, NULL), NUL);
    CHECK_RC(wirestate_ws_conn_subprotocol(NULL, &s), NUL);
    CHECK_RC(wirestate_ws_conn_subprotocol(server, NULL), NUL);
    CHECK_RC(wirestate_ws_conn_is_compressed(NULL, &b), NUL);
    CHECK_RC(wirestate_ws_conn_is_compressed(server, NULL), NUL);
    CHECK_RC(wirestate_ws_conn_buffered_amount(NULL, &n), NUL);
    CHECK_RC(wirestate_ws_conn_buffered_amount(server, NULL), NUL);
    CHECK_RC(wirestate_ws_conn_is_writable(NULL, &b), NUL);
    CHECK_RC(wirestate_ws_conn_is_writable(server, NULL), NUL);
    CHECK_RC(wirestate_ws_conn_should_close_transport(NULL, &b), NUL);
    CHECK_RC(wirestate_ws_conn_should_close_transport(server, NULL), NUL);
    CHECK_RC(wirestate_ws_conn_stats(NULL, &stats), NUL);
    CHECK_RC(wirestate_ws_conn_stats(server, NULL), NUL);

    /* None of that changed anything. */
    CHECK(state_of(server) == WIRESTATE_WS_STATE_OPEN);
    CHECK(state_of(client) == WIRESTATE_WS_STATE_OPEN);
    size_t amount = 1;
    CHECK_OK(wirestate_ws_conn_buffered_amount(server, &amount));
    CHECK(amount == 0);
    wirestate_ws_conn_free(client);
    wirestate_ws_conn_free(server);
}

static void wrong_state(void) {
    wirestate_ws_config *sc = NULL, *cc = NULL;
    CHECK_OK(wirestate_ws_config_new(&sc));
    CHECK_OK(wirestate_ws_config_new(&cc));
    CHECK_OK(wirestate_ws_config_set_host(cc, CSTR("localhost")));
    wirestate_ws_conn *server = NULL, *client = NULL;
    CHECK_OK(wirestate_ws_conn_new_server(sc, &server));
    CHECK_OK(wirestate_ws_conn_new_client(cc, TEST_SEED, &client));
    wirestate_str s;
    size_t n;

    /* Before the handshake. */
    CHECK_RC(wirestate_ws_conn_send_text(server, CSTR("a")), WIRESTATE_RESULT_INVALID_STATE);
    CHECK_RC(wirestate_ws_conn_send_binary(client, (const uint8_t *)"a", 1),
             WIRESTATE_RESULT_INVALID_STATE);
    CHECK_RC(wirestate_ws_conn_ping(client, NULL, 0), WIRESTATE_RESULT_INVALID_STATE);
    CHECK_RC(wirestate_ws_conn_accept(server, NULL, 0, NULL, 0), WIRESTATE_RESULT_INVALID_STATE);
    CHECK_RC(wirestate_ws_conn_reject(server, 400, NULL, 0, NULL, 0),
             WIRESTATE_RESULT_INVALID_STATE);
    CHECK_RC(wirestate_ws_conn_accept(client, NULL, 0, NULL, 0), WIRESTATE_RESULT_INVALID_STATE);
    CHECK_RC(wirestate_ws_conn_request_path(server, &s), WIRESTATE_RESULT_INVALID_STATE);
    CHECK_RC(wirestate_ws_conn_request_header_count(client, &n), WIRESTATE_RESULT_INVALID_STATE);
    CHECK_RC(wirestate_ws_conn_response_header_count(client, &n), WIRESTATE_RESULT_INVALID_STATE);

    transfer(client, server);
    CHECK(next_event(server).kind == WIRESTATE_WS_EVENT_KIND_REQUEST);
    CHECK_RC(wirestate_ws_conn_accept(server, CSTR("nope"), NULL, 0),
             WIRESTATE_RESULT_SUBPROTOCOL_NOT_OFFERED);
    wirestate_header bad_name = {{CSTR("Bad Name")}, {CSTR("x")}};
    wirestate_header bad_value = {{CSTR("X-A")}, {CSTR("a\r\nb")}};
    wirestate_header bad_utf8 = {{CSTR("X-A")}, {"\xff", 1}};
    wirestate_header null_name = {{NULL, 3}, {CSTR("x")}};
    CHECK_RC(wirestate_ws_conn_accept(server, NULL, 0, &bad_name, 1),
             WIRESTATE_RESULT_INVALID_HEADER);
    CHECK_RC(wirestate_ws_conn_accept(server, NULL, 0, &bad_value, 1),
             WIRESTATE_RESULT_INVALID_HEADER);
    CHECK_RC(wirestate_ws_conn_accept(server, NULL, 0, &bad_utf8, 1),
             WIRESTATE_RESULT_INVALID_HEADER);
    CHECK_RC(wirestate_ws_conn_accept(server, NULL, 0, &null_name, 1), NUL);
    CHECK_RC(wirestate_ws_conn_reject(server, 99, NULL, 0, NULL, 0),
             WIRESTATE_RESULT_INVALID_STATUS);
    CHECK_RC(wirestate_ws_conn_reject(server, 600, NULL, 0, NULL, 0),
             WIRESTATE_RESULT_INVALID_STATUS);
    CHECK(state_of(server) == WIRESTATE_WS_STATE_CONNECTING);
    CHECK_OK(wirestate_ws_conn_accept(server, NULL, 0, NULL, 0));
    CHECK_RC(wirestate_ws_conn_accept(server, NULL, 0, NULL, 0), WIRESTATE_RESULT_INVALID_STATE);
    transfer(server, client);
    CHECK(next_event(client).kind == WIRESTATE_WS_EVENT_KIND_ACCEPTED);

    /* Open: bad arguments. */
    CHECK_RC(wirestate_ws_conn_send_text(client, "\xc3\x28", 2), WIRESTATE_RESULT_INVALID_UTF8);
    CHECK_RC(wirestate_ws_conn_send_message(client, WIRESTATE_WS_MESSAGE_KIND_TEXT,
                                            (const uint8_t *)"\xff", 1, true),
             WIRESTATE_RESULT_INVALID_UTF8);
    CHECK_RC(wirestate_ws_conn_send_fragment(client, WIRESTATE_WS_MESSAGE_KIND_TEXT,
                                             (const uint8_t *)"\xff", 1, false),
             WIRESTATE_RESULT_INVALID_UTF8);
    CHECK_RC(wirestate_ws_conn_send_message(client, 0, (const uint8_t *)"a", 1, true),
             WIRESTATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(wirestate_ws_conn_send_fragment(client, 9, (const uint8_t *)"a", 1, true),
             WIRESTATE_RESULT_INVALID_ARGUMENT);
    uint8_t big[200];
    memset(big, 'x', sizeof big);
    CHECK_RC(wirestate_ws_conn_ping(client, big, 126), WIRESTATE_RESULT_CONTROL_TOO_LARGE);
    CHECK_RC(wirestate_ws_conn_pong(client, big, 126), WIRESTATE_RESULT_CONTROL_TOO_LARGE);
    CHECK_OK(wirestate_ws_conn_ping(client, big, 125));
    CHECK_RC(wirestate_ws_conn_close(client, 1000, (const char *)big, 124),
             WIRESTATE_RESULT_CONTROL_TOO_LARGE);
    CHECK_RC(wirestate_ws_conn_close(client, 1005, NULL, 0), WIRESTATE_RESULT_INVALID_CLOSE_CODE);
    CHECK_RC(wirestate_ws_conn_close(client, 999, NULL, 0), WIRESTATE_RESULT_INVALID_CLOSE_CODE);
    CHECK_RC(wirestate_ws_conn_close(client, 1000, "\xff", 1), WIRESTATE_RESULT_INVALID_UTF8);
    CHECK_RC(wirestate_ws_conn_reject(server, 400, NULL, 0, NULL, 0),
             WIRESTATE_RESULT_INVALID_STATE);
    CHECK(state_of(client) == WIRESTATE_WS_STATE_OPEN);

    /* After close. */
    CHECK_OK(wirestate_ws_conn_close(client, 1001, CSTR("going")));
    CHECK_RC(wirestate_ws_conn_send_text(client, CSTR("a")), WIRESTATE_RESULT_INVALID_STATE);
    CHECK_RC(wirestate_ws_conn_ping(client, NULL, 0), WIRESTATE_RESULT_INVALID_STATE);
    transfer(client, server);
    CHECK(next_event(server).kind == WIRESTATE_WS_EVENT_KIND_PING);
    CHECK(next_event(server).kind == WIRESTATE_WS_EVENT_KIND_CLOSE_RECEIVED);
    wirestate_ws_event ev = next_event(server);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_CLOSED && ev.code == 1001 && ev.clean);
    CHECK_RC(wirestate_ws_conn_send_text(server, CSTR("a")), WIRESTATE_RESULT_INVALID_STATE);
    CHECK_RC(wirestate_ws_conn_close(server, 1000, NULL, 0), WIRESTATE_RESULT_INVALID_STATE);
    /* Input after the end is ignored; events stay finished. */
    CHECK_OK(wirestate_ws_conn_receive_data(server, (const uint8_t *)"junk", 4));
    CHECK_OK(wirestate_ws_conn_receive_eof(server));
    CHECK_OK(wirestate_ws_conn_receive_eof(server));
    CHECK(next_event(server).kind == WIRESTATE_WS_EVENT_KIND_NONE);

    wirestate_ws_conn_free(client);
    wirestate_ws_conn_free(server);
    wirestate_ws_config_free(sc);
    wirestate_ws_config_free(cc);
}

/* Feeds `bytes` to a fresh open server and returns the CLOSED code (0 when
 * no CLOSED event came). */
static unsigned server_closed_code(const uint8_t *bytes, size_t len, size_t max_frame) {
    wirestate_ws_config *sc = NULL, *cc = NULL;
    CHECK_OK(wirestate_ws_config_new(&sc));
    CHECK_OK(wirestate_ws_config_set_max_frame_size(sc, max_frame));
    CHECK_OK(wirestate_ws_config_new(&cc));
    CHECK_OK(wirestate_ws_config_set_host(cc, CSTR("localhost")));
    wirestate_ws_conn *server = NULL, *client = NULL;
    CHECK_OK(wirestate_ws_conn_new_server(sc, &server));
    CHECK_OK(wirestate_ws_conn_new_client(cc, TEST_SEED, &client));
    transfer(client, server);
    CHECK(next_event(server).kind == WIRESTATE_WS_EVENT_KIND_REQUEST);
    CHECK_OK(wirestate_ws_conn_accept(server, NULL, 0, NULL, 0));
    CHECK_OK(wirestate_ws_conn_receive_data(server, bytes, len));
    unsigned code = 0;
    wirestate_ws_event ev;
    for (ev = next_event(server); ev.kind != WIRESTATE_WS_EVENT_KIND_NONE;
         ev = next_event(server)) {
        if (ev.kind == WIRESTATE_WS_EVENT_KIND_CLOSED) {
            code = ev.code;
            CHECK(!ev.clean);
        }
    }
    bool close_transport = false;
    CHECK_OK(wirestate_ws_conn_should_close_transport(server, &close_transport));
    CHECK(close_transport == (code != 0));
    wirestate_ws_conn_free(client);
    wirestate_ws_conn_free(server);
    wirestate_ws_config_free(sc);
    wirestate_ws_config_free(cc);
    return code;
}

static uint32_t rng_state = 12345;
static uint32_t rng(void) {
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static void garbage(void) {
    /* Not HTTP: the server answers 400 and ends. */
    wirestate_ws_config *sc = NULL;
    CHECK_OK(wirestate_ws_config_new(&sc));
    wirestate_ws_conn *server = NULL;
    CHECK_OK(wirestate_ws_conn_new_server(sc, &server));
    CHECK_OK(wirestate_ws_conn_receive_data(server, (const uint8_t *)"garbage\r\n\r\n", 11));
    wirestate_ws_event ev = next_event(server);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_CLOSED && !ev.clean);
    const uint8_t *out = NULL;
    size_t len = 0;
    CHECK_OK(wirestate_ws_conn_pending_output(server, &out, &len));
    CHECK(len > 12 && memcmp(out, "HTTP/1.1 400", 12) == 0);
    wirestate_ws_conn_free(server);

    /* Frames a client must not send. Masked with a zero key: payload as is. */
    static const uint8_t unmasked[] = {0x81, 0x02, 'h', 'i'};
    CHECK(server_closed_code(unmasked, sizeof unmasked, 1 << 20) == 1002);
    static const uint8_t reserved_opcode[] = {0x83, 0x80, 0, 0, 0, 0};
    CHECK(server_closed_code(reserved_opcode, sizeof reserved_opcode, 1 << 20) == 1002);
    static const uint8_t rsv_bits[] = {0xc1, 0x80, 0, 0, 0, 0};
    CHECK(server_closed_code(rsv_bits, sizeof rsv_bits, 1 << 20) == 1002);
    static const uint8_t bad_utf8[] = {0x81, 0x82, 0, 0, 0, 0, 0xc3, 0x28};
    CHECK(server_closed_code(bad_utf8, sizeof bad_utf8, 1 << 20) == 1007);
    static const uint8_t too_big[] = {0x82, 0xfe, 0x01, 0x00, 0, 0, 0, 0};
    CHECK(server_closed_code(too_big, sizeof too_big, 100) == 1009);
    static const uint8_t bad_close[] = {0x88, 0x82, 0, 0, 0, 0, 0x03, 0xed}; /* 1005 */
    CHECK(server_closed_code(bad_close, sizeof bad_close, 1 << 20) == 1002);
    static const uint8_t lone_continuation[] = {0x80, 0x80, 0, 0, 0, 0};
    CHECK(server_closed_code(lone_continuation, sizeof lone_continuation, 1 << 20) == 1002);

    /* Random bytes after the handshake, and before it: never a crash, and
     * every connection that ends reports it. */
    for (int round = 0; round < 200; round++) {
        uint8_t junk[512];
        size_t n = 1 + rng() % sizeof junk;
        for (size_t i = 0; i < n; i++) {
            junk[i] = (uint8_t)rng();
        }
        unsigned code = server_closed_code(junk, n, 1 << 20);
        CHECK(code == 0 || code == 1002 || code == 1007 || code == 1009);

        CHECK_OK(wirestate_ws_conn_new_server(sc, &server));
        CHECK_OK(wirestate_ws_conn_receive_data(server, junk, n));
        CHECK_OK(wirestate_ws_conn_receive_eof(server));
        ev = next_event(server);
        CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_CLOSED && !ev.clean);
        wirestate_ws_conn_free(server);
    }
    wirestate_ws_config_free(sc);
}

int main(void) {
    null_config();
    null_conn();
    wrong_state();
    garbage();
    return check_report();
}
