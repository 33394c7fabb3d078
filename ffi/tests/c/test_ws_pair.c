/* A WebSocket client and server in memory: handshake with a subprotocol and
 * compression, the request and response accessors, text, binary, fragmented
 * and uncompressed messages, ping/pong, streaming, rejection, timers, the
 * closing handshake, stats. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pair.h"

static wirestate_ws_config *server_config(void) {
    wirestate_ws_config *c = NULL;
    CHECK_OK(wirestate_ws_config_new(&c));
    CHECK_OK(wirestate_ws_config_add_subprotocol(c, CSTR("chat")));
    CHECK_OK(wirestate_ws_config_set_compression(c, true));
    CHECK_OK(wirestate_ws_config_set_deflate_level(c, 9));
    return c;
}

static wirestate_ws_config *client_config(void) {
    wirestate_ws_config *c = NULL;
    CHECK_OK(wirestate_ws_config_new(&c));
    CHECK_OK(wirestate_ws_config_set_host(c, CSTR("example.com:8080")));
    CHECK_OK(wirestate_ws_config_set_path(c, CSTR("/chat?room=1")));
    CHECK_OK(wirestate_ws_config_set_origin(c, CSTR("https://example.com")));
    CHECK_OK(wirestate_ws_config_add_header(c, CSTR("X-Test"), CSTR("yes")));
    CHECK_OK(wirestate_ws_config_add_subprotocol(c, CSTR("superchat")));
    CHECK_OK(wirestate_ws_config_add_subprotocol(c, CSTR("chat")));
    CHECK_OK(wirestate_ws_config_set_compression(c, true));
    CHECK_OK(wirestate_ws_config_set_deflate_client_max_window_bits(c, 12));
    return c;
}

static void check_request(const wirestate_ws_conn *server) {
    wirestate_str s;
    CHECK_OK(wirestate_ws_conn_request_path(server, &s));
    CHECK(str_eq(s, "/chat?room=1"));
    CHECK_OK(wirestate_ws_conn_request_host(server, &s));
    CHECK(str_eq(s, "example.com:8080"));
    bool present = false;
    CHECK_OK(wirestate_ws_conn_request_origin(server, &present, &s));
    CHECK(present && str_eq(s, "https://example.com"));

    size_t n = 0;
    CHECK_OK(wirestate_ws_conn_request_subprotocol_count(server, &n));
    CHECK(n == 2);
    CHECK_OK(wirestate_ws_conn_request_subprotocol(server, 0, &s));
    CHECK(str_eq(s, "superchat"));
    CHECK_OK(wirestate_ws_conn_request_subprotocol(server, 1, &s));
    CHECK(str_eq(s, "chat"));
    CHECK_RC(wirestate_ws_conn_request_subprotocol(server, 2, &s),
             WIRESTATE_RESULT_INDEX_OUT_OF_RANGE);

    CHECK_OK(wirestate_ws_conn_request_extension_count(server, &n));
    CHECK(n == 1);
    CHECK_OK(wirestate_ws_conn_request_extension_name(server, 0, &s));
    CHECK(str_eq(s, "permessage-deflate"));
    CHECK_RC(wirestate_ws_conn_request_extension_name(server, 1, &s),
             WIRESTATE_RESULT_INDEX_OUT_OF_RANGE);
    size_t params = 0;
    CHECK_OK(wirestate_ws_conn_request_extension_param_count(server, 0, &params));
    CHECK(params >= 1);
    int saw_client_bits = 0;
    for (size_t i = 0; i < params; i++) {
        wirestate_str name, value;
        bool has_value = false;
        CHECK_OK(wirestate_ws_conn_request_extension_param(server, 0, i, &name, &has_value,
                                                           &value));
        if (str_eq(name, "client_max_window_bits")) {
            saw_client_bits = 1;
            CHECK(has_value && str_eq(value, "12"));
        }
    }
    CHECK(saw_client_bits);
    wirestate_str name, value;
    bool has_value;
    CHECK_RC(wirestate_ws_conn_request_extension_param(server, 0, params, &name, &has_value,
                                                       &value),
             WIRESTATE_RESULT_INDEX_OUT_OF_RANGE);

    CHECK_OK(wirestate_ws_conn_request_header_count(server, &n));
    CHECK(n >= 7);
    int saw_test = 0;
    for (size_t i = 0; i < n; i++) {
        wirestate_str hname;
        wirestate_bytes hvalue;
        CHECK_OK(wirestate_ws_conn_request_header(server, i, &hname, &hvalue));
        if (str_eq(hname, "X-Test")) {
            saw_test = 1;
            CHECK_BYTES(hvalue.data, hvalue.len, "yes");
        }
    }
    CHECK(saw_test);
    wirestate_bytes hvalue;
    CHECK_RC(wirestate_ws_conn_request_header(server, n, &name, &hvalue),
             WIRESTATE_RESULT_INDEX_OUT_OF_RANGE);
}

static void handshake(wirestate_ws_conn *client, wirestate_ws_conn *server) {
    CHECK(state_of(client) == WIRESTATE_WS_STATE_CONNECTING);
    CHECK(state_of(server) == WIRESTATE_WS_STATE_CONNECTING);
    wirestate_ws_role role = 9;
    CHECK_OK(wirestate_ws_conn_role(client, &role));
    CHECK(role == WIRESTATE_WS_ROLE_CLIENT);
    CHECK_OK(wirestate_ws_conn_role(server, &role));
    CHECK(role == WIRESTATE_WS_ROLE_SERVER);

    CHECK(transfer(client, server) > 0);
    wirestate_ws_event ev = next_event(server);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_REQUEST);
    CHECK_BYTES(ev.data, ev.len, "/chat?room=1");
    check_request(server);

    wirestate_header extra[] = {{{CSTR("X-Server")}, {CSTR("wirestate")}}};
    CHECK_OK(wirestate_ws_conn_accept(server, CSTR("chat"), extra, 1));
    CHECK(state_of(server) == WIRESTATE_WS_STATE_OPEN);
    /* The request stays readable until the next poll_event. */
    wirestate_str s;
    CHECK_OK(wirestate_ws_conn_request_path(server, &s));
    CHECK(next_event(server).kind == WIRESTATE_WS_EVENT_KIND_NONE);
    CHECK_RC(wirestate_ws_conn_request_path(server, &s), WIRESTATE_RESULT_INVALID_STATE);

    CHECK(transfer(server, client) > 0);
    ev = next_event(client);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_ACCEPTED);
    CHECK_BYTES(ev.data, ev.len, "chat");
    size_t n = 0;
    CHECK_OK(wirestate_ws_conn_response_header_count(client, &n));
    int saw_server = 0;
    for (size_t i = 0; i < n; i++) {
        wirestate_str name;
        wirestate_bytes value;
        CHECK_OK(wirestate_ws_conn_response_header(client, i, &name, &value));
        if (str_eq(name, "X-Server")) {
            saw_server = 1;
            CHECK_BYTES(value.data, value.len, "wirestate");
        }
    }
    CHECK(saw_server);
    CHECK(next_event(client).kind == WIRESTATE_WS_EVENT_KIND_NONE);
    CHECK_RC(wirestate_ws_conn_response_header_count(client, &n), WIRESTATE_RESULT_INVALID_STATE);

    CHECK(state_of(client) == WIRESTATE_WS_STATE_OPEN);
    bool compressed = false;
    CHECK_OK(wirestate_ws_conn_is_compressed(client, &compressed));
    CHECK(compressed);
    compressed = false;
    CHECK_OK(wirestate_ws_conn_is_compressed(server, &compressed));
    CHECK(compressed);
    CHECK_OK(wirestate_ws_conn_subprotocol(client, &s));
    CHECK(str_eq(s, "chat"));
    CHECK_OK(wirestate_ws_conn_subprotocol(server, &s));
    CHECK(str_eq(s, "chat"));
}

static void messages(wirestate_ws_conn *client, wirestate_ws_conn *server) {
    /* Text, and an echo straight from the event's memory. */
    CHECK_OK(wirestate_ws_conn_send_text(client, CSTR("hello, wirestate")));
    transfer(client, server);
    wirestate_ws_event ev = next_event(server);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_TEXT);
    CHECK(ev.message_kind == WIRESTATE_WS_MESSAGE_KIND_TEXT);
    CHECK_BYTES(ev.data, ev.len, "hello, wirestate");
    CHECK_OK(wirestate_ws_conn_send_text(server, (const char *)ev.data, ev.len));
    CHECK(next_event(server).kind == WIRESTATE_WS_EVENT_KIND_NONE);
    transfer(server, client);
    ev = next_event(client);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_TEXT);
    CHECK_BYTES(ev.data, ev.len, "hello, wirestate");

    /* A large compressible binary message: fewer bytes on the wire. */
    size_t big = 200000;
    uint8_t *payload = malloc(big);
    for (size_t i = 0; i < big; i++) {
        payload[i] = (uint8_t)(i % 251 < 16 ? i : 'a');
    }
    CHECK_OK(wirestate_ws_conn_send_binary(client, payload, big));
    size_t amount = 0;
    CHECK_OK(wirestate_ws_conn_buffered_amount(client, &amount));
    CHECK(amount > 0 && amount < big / 4);
    CHECK(transfer(client, server) == amount);
    ev = next_event(server);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_BINARY);
    CHECK(ev.message_kind == WIRESTATE_WS_MESSAGE_KIND_BINARY);
    CHECK(ev.len == big && memcmp(ev.data, payload, big) == 0);

    /* The same message opted out of compression. */
    CHECK_OK(wirestate_ws_conn_send_message(client, WIRESTATE_WS_MESSAGE_KIND_BINARY, payload, big,
                                            false));
    CHECK_OK(wirestate_ws_conn_buffered_amount(client, &amount));
    CHECK(amount > big);
    transfer(client, server);
    ev = next_event(server);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_BINARY && ev.len == big &&
          memcmp(ev.data, payload, big) == 0);
    free(payload);

    /* Empty messages. */
    CHECK_OK(wirestate_ws_conn_send_binary(server, NULL, 0));
    CHECK_OK(wirestate_ws_conn_send_text(server, NULL, 0));
    transfer(server, client);
    ev = next_event(client);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_BINARY && ev.len == 0 && ev.data != NULL);
    ev = next_event(client);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_TEXT && ev.len == 0 && ev.data != NULL);

    /* Fragmented text with a Ping between the fragments; "é" split in two. */
    const char *word = "caf\xc3\xa9!";
    CHECK_OK(wirestate_ws_conn_send_fragment(client, WIRESTATE_WS_MESSAGE_KIND_TEXT,
                                             (const uint8_t *)word, 4, false));
    CHECK_RC(wirestate_ws_conn_send_text(client, CSTR("no")),
             WIRESTATE_RESULT_FRAGMENT_IN_PROGRESS);
    CHECK_RC(wirestate_ws_conn_send_fragment(client, WIRESTATE_WS_MESSAGE_KIND_BINARY,
                                             (const uint8_t *)"x", 1, true),
             WIRESTATE_RESULT_FRAGMENT_IN_PROGRESS);
    CHECK_OK(wirestate_ws_conn_ping(client, (const uint8_t *)"p1", 2));
    CHECK_OK(wirestate_ws_conn_send_fragment(client, WIRESTATE_WS_MESSAGE_KIND_TEXT,
                                             (const uint8_t *)word + 4, 2, true));
    transfer(client, server);
    ev = next_event(server);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_PING);
    CHECK_BYTES(ev.data, ev.len, "p1");
    ev = next_event(server);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_TEXT);
    CHECK_BYTES(ev.data, ev.len, word);
    /* auto-pong answered the ping */
    transfer(server, client);
    ev = next_event(client);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_PONG);
    CHECK_BYTES(ev.data, ev.len, "p1");

    /* Fragmented binary, and an unsolicited pong. */
    CHECK_OK(wirestate_ws_conn_send_fragment(server, WIRESTATE_WS_MESSAGE_KIND_BINARY,
                                             (const uint8_t *)"abc", 3, false));
    CHECK_OK(wirestate_ws_conn_send_fragment(server, WIRESTATE_WS_MESSAGE_KIND_BINARY,
                                             (const uint8_t *)"def", 3, true));
    CHECK_OK(wirestate_ws_conn_pong(server, (const uint8_t *)"hb", 2));
    transfer(server, client);
    ev = next_event(client);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_BINARY);
    CHECK_BYTES(ev.data, ev.len, "abcdef");
    ev = next_event(client);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_PONG);
    CHECK_BYTES(ev.data, ev.len, "hb");
    CHECK(next_event(client).kind == WIRESTATE_WS_EVENT_KIND_NONE);
}

static void close_handshake(wirestate_ws_conn *client, wirestate_ws_conn *server) {
    CHECK_OK(wirestate_ws_conn_close(client, 1000, CSTR("bye")));
    CHECK(state_of(client) == WIRESTATE_WS_STATE_CLOSING);
    CHECK_RC(wirestate_ws_conn_send_text(client, CSTR("late")), WIRESTATE_RESULT_INVALID_STATE);
    CHECK_RC(wirestate_ws_conn_close(client, 1000, NULL, 0), WIRESTATE_RESULT_INVALID_STATE);
    transfer(client, server);
    wirestate_ws_event ev = next_event(server);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_CLOSE_RECEIVED);
    CHECK(ev.code == 1000);
    CHECK_BYTES(ev.data, ev.len, "bye");
    ev = next_event(server);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_CLOSED);
    CHECK(ev.code == 1000 && ev.clean);
    CHECK(state_of(server) == WIRESTATE_WS_STATE_CLOSED);
    bool close_transport = false;
    CHECK_OK(wirestate_ws_conn_should_close_transport(server, &close_transport));
    CHECK(close_transport);

    transfer(server, client);
    ev = next_event(client);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_CLOSE_RECEIVED && ev.code == 1000);
    CHECK(next_event(client).kind == WIRESTATE_WS_EVENT_KIND_NONE);
    /* The client waits for the server to end the stream. */
    CHECK_OK(wirestate_ws_conn_should_close_transport(client, &close_transport));
    CHECK(!close_transport);
    CHECK_OK(wirestate_ws_conn_receive_eof(client));
    ev = next_event(client);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_CLOSED);
    CHECK(ev.code == 1000 && ev.clean);
    CHECK(ev.len == 0); /* the server's reason: its echo carries none */
    CHECK(state_of(client) == WIRESTATE_WS_STATE_CLOSED);
    CHECK_OK(wirestate_ws_conn_should_close_transport(client, &close_transport));
    CHECK(close_transport);
    CHECK(next_event(client).kind == WIRESTATE_WS_EVENT_KIND_NONE);
}

static void stats(wirestate_ws_conn *client, wirestate_ws_conn *server) {
    wirestate_ws_stats cs, ss;
    CHECK_OK(wirestate_ws_conn_stats(client, &cs));
    CHECK_OK(wirestate_ws_conn_stats(server, &ss));
    CHECK(cs.messages_sent == 4);     /* text, 2 binary, fragmented text */
    CHECK(ss.messages_received == 4); /* text, 2 binary, fragmented text */
    CHECK(ss.messages_sent == 4);     /* echo, 2 empty, fragmented binary */
    CHECK(cs.messages_received == 4);
    CHECK(ss.pings_received == 1 && cs.pongs_received == 2);
    CHECK(cs.bytes_sent == ss.bytes_received);
    CHECK(ss.bytes_sent == cs.bytes_received);
    CHECK(cs.frames_sent >= 7);
}

static void main_pair(void) {
    wirestate_ws_config *sc = server_config();
    wirestate_ws_config *cc = client_config();
    wirestate_ws_conn *server = NULL, *client = NULL;
    CHECK_OK(wirestate_ws_conn_new_server(sc, &server));
    CHECK_OK(wirestate_ws_conn_new_client(cc, TEST_SEED, &client));
    /* Connections copy their config. */
    wirestate_ws_config_free(sc);
    wirestate_ws_config_free(cc);

    handshake(client, server);
    messages(client, server);
    close_handshake(client, server);
    stats(client, server);
    wirestate_ws_conn_free(client);
    wirestate_ws_conn_free(server);
}

/* Streaming mode on the server: a big message arrives as chunks. */
static void streaming(void) {
    wirestate_ws_config *sc = NULL, *cc = NULL;
    CHECK_OK(wirestate_ws_config_new(&sc));
    CHECK_OK(wirestate_ws_config_set_streaming(sc, true));
    CHECK_OK(wirestate_ws_config_new(&cc));
    CHECK_OK(wirestate_ws_config_set_host(cc, CSTR("localhost")));
    wirestate_ws_conn *server = NULL, *client = NULL;
    CHECK_OK(wirestate_ws_conn_new_server(sc, &server));
    CHECK_OK(wirestate_ws_conn_new_client(cc, NULL, &client)); /* OS seed */
    transfer(client, server);
    CHECK(next_event(server).kind == WIRESTATE_WS_EVENT_KIND_REQUEST);
    CHECK_OK(wirestate_ws_conn_accept(server, NULL, 0, NULL, 0));
    transfer(server, client);
    wirestate_ws_event ev = next_event(client);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_ACCEPTED && ev.len == 0);
    bool compressed = true;
    CHECK_OK(wirestate_ws_conn_is_compressed(client, &compressed));
    CHECK(!compressed);

    size_t big = 50000, got = 0, chunks = 0;
    uint8_t *payload = malloc(big);
    for (size_t i = 0; i < big; i++) {
        payload[i] = (uint8_t)(i * 7);
    }
    CHECK_OK(wirestate_ws_conn_send_binary(client, payload, big));
    int first_ok = 1, last_seen = 0, in_order = 1;
    const uint8_t *data = NULL;
    size_t len = 0;
    CHECK_OK(wirestate_ws_conn_pending_output(client, &data, &len));
    /* Feed 4000 bytes at a time and read the chunks in between. */
    while (len > 0) {
        size_t n = len < 4000 ? len : 4000;
        CHECK_OK(wirestate_ws_conn_receive_data(server, data, n));
        CHECK_OK(wirestate_ws_conn_consume_output(client, n));
        for (ev = next_event(server); ev.kind != WIRESTATE_WS_EVENT_KIND_NONE;
             ev = next_event(server)) {
            CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_MESSAGE_CHUNK);
            CHECK(ev.message_kind == WIRESTATE_WS_MESSAGE_KIND_BINARY);
            if (chunks == 0 && !ev.first) first_ok = 0;
            if (chunks > 0 && ev.first) first_ok = 0;
            if (got + ev.len > big || memcmp(ev.data, payload + got, ev.len) != 0) in_order = 0;
            got += ev.len;
            chunks++;
            if (ev.last) last_seen = 1;
        }
        CHECK_OK(wirestate_ws_conn_pending_output(client, &data, &len));
    }
    CHECK(first_ok && last_seen && in_order);
    CHECK(got == big);
    CHECK(chunks > 1);
    free(payload);

    /* Close from the server side with close echo on; then EOF for the client. */
    CHECK_OK(wirestate_ws_conn_close(server, 4000, CSTR("done")));
    transfer(server, client);
    ev = next_event(client);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_CLOSE_RECEIVED && ev.code == 4000);
    transfer(client, server);
    ev = next_event(server);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_CLOSE_RECEIVED && ev.code == 4000);
    ev = next_event(server);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_CLOSED && ev.clean && ev.code == 4000);
    CHECK_OK(wirestate_ws_conn_receive_eof(client));
    ev = next_event(client);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_CLOSED && ev.clean && ev.code == 4000);

    wirestate_ws_conn_free(client);
    wirestate_ws_conn_free(server);
    wirestate_ws_config_free(sc);
    wirestate_ws_config_free(cc);
}

/* A server that rejects: the client sees REJECTED with status, headers and
 * body, then CLOSED. */
static void rejection(void) {
    wirestate_ws_config *sc = NULL, *cc = NULL;
    CHECK_OK(wirestate_ws_config_new(&sc));
    CHECK_OK(wirestate_ws_config_new(&cc));
    CHECK_OK(wirestate_ws_config_set_host(cc, CSTR("localhost")));
    wirestate_ws_conn *server = NULL, *client = NULL;
    CHECK_OK(wirestate_ws_conn_new_server(sc, &server));
    CHECK_OK(wirestate_ws_conn_new_client(cc, TEST_SEED, &client));
    transfer(client, server);
    CHECK(next_event(server).kind == WIRESTATE_WS_EVENT_KIND_REQUEST);
    bool present = true;
    wirestate_str origin;
    CHECK_OK(wirestate_ws_conn_request_origin(server, &present, &origin));
    CHECK(!present && origin.len == 0);
    wirestate_header h[] = {{{CSTR("X-Why")}, {CSTR("policy")}}};
    CHECK_RC(wirestate_ws_conn_reject(server, 101, h, 1, NULL, 0), WIRESTATE_RESULT_INVALID_STATUS);
    CHECK_OK(wirestate_ws_conn_reject(server, 403, h, 1, (const uint8_t *)"nope", 4));
    CHECK_RC(wirestate_ws_conn_accept(server, NULL, 0, NULL, 0), WIRESTATE_RESULT_INVALID_STATE);
    wirestate_ws_event ev = next_event(server);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_CLOSED && !ev.clean);
    bool close_transport = false;
    CHECK_OK(wirestate_ws_conn_should_close_transport(server, &close_transport));
    CHECK(close_transport);
    transfer(server, client);
    CHECK_OK(wirestate_ws_conn_receive_eof(client));
    ev = next_event(client);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_REJECTED);
    CHECK(ev.status == 403);
    CHECK_BYTES(ev.data, ev.len, "nope");
    size_t n = 0;
    CHECK_OK(wirestate_ws_conn_response_header_count(client, &n));
    int saw = 0;
    for (size_t i = 0; i < n; i++) {
        wirestate_str name;
        wirestate_bytes value;
        CHECK_OK(wirestate_ws_conn_response_header(client, i, &name, &value));
        if (str_eq(name, "X-Why")) saw = 1;
    }
    CHECK(saw);
    ev = next_event(client);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_CLOSED && !ev.clean);
    CHECK(state_of(client) == WIRESTATE_WS_STATE_CLOSED);
    wirestate_ws_conn_free(client);
    wirestate_ws_conn_free(server);
    wirestate_ws_config_free(sc);
    wirestate_ws_config_free(cc);
}

/* Keepalive: a ping after the interval, 1011 when no pong comes in time; the
 * open timeout; the client's close timeout. */
static void timers(void) {
    const uint64_t S = 1000000000ull;
    wirestate_ws_config *sc = NULL, *cc = NULL;
    CHECK_OK(wirestate_ws_config_new(&sc));
    CHECK_OK(wirestate_ws_config_set_keepalive_interval(sc, 1 * S));
    CHECK_OK(wirestate_ws_config_set_keepalive_timeout(sc, 2 * S));
    CHECK_OK(wirestate_ws_config_set_open_timeout(sc, 5 * S));
    CHECK_OK(wirestate_ws_config_new(&cc));
    CHECK_OK(wirestate_ws_config_set_host(cc, CSTR("localhost")));
    CHECK_OK(wirestate_ws_config_set_close_timeout(cc, 3 * S));
    wirestate_ws_conn *server = NULL, *client = NULL;
    CHECK_OK(wirestate_ws_conn_new_server(sc, &server));
    CHECK_OK(wirestate_ws_conn_new_client(cc, TEST_SEED, &client));

    bool has = false;
    uint64_t at = 1;
    CHECK_OK(wirestate_ws_conn_handle_timeout(server, 100 * S));
    CHECK_OK(wirestate_ws_conn_poll_timeout(server, &has, &at));
    CHECK(has && at == 105 * S); /* the open timeout */
    CHECK_OK(wirestate_ws_conn_poll_timeout(client, &has, &at));
    CHECK(!has && at == 0);

    transfer(client, server);
    CHECK(next_event(server).kind == WIRESTATE_WS_EVENT_KIND_REQUEST);
    CHECK_OK(wirestate_ws_conn_accept(server, NULL, 0, NULL, 0));
    transfer(server, client);
    CHECK(next_event(client).kind == WIRESTATE_WS_EVENT_KIND_ACCEPTED);
    CHECK_OK(wirestate_ws_conn_poll_timeout(server, &has, &at));
    CHECK(has && at == 101 * S); /* the keepalive check */

    CHECK_OK(wirestate_ws_conn_handle_timeout(server, 100 * S + S / 2)); /* early: harmless */
    size_t amount = 1;
    CHECK_OK(wirestate_ws_conn_buffered_amount(server, &amount));
    CHECK(amount == 0);
    /* The request counted as activity: the first check only re-arms. */
    CHECK_OK(wirestate_ws_conn_handle_timeout(server, 101 * S));
    CHECK_OK(wirestate_ws_conn_buffered_amount(server, &amount));
    CHECK(amount == 0);
    CHECK_OK(wirestate_ws_conn_poll_timeout(server, &has, &at));
    CHECK(has && at == 102 * S);
    CHECK_OK(wirestate_ws_conn_handle_timeout(server, 102 * S));
    CHECK_OK(wirestate_ws_conn_buffered_amount(server, &amount));
    CHECK(amount > 0); /* a keepalive ping */
    transfer(server, client);
    CHECK(next_event(client).kind == WIRESTATE_WS_EVENT_KIND_PING);
    /* The client's pong is never delivered: the server gives up. */
    CHECK_OK(wirestate_ws_conn_handle_timeout(server, 104 * S));
    wirestate_ws_event ev = next_event(server);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_CLOSED && ev.code == 1011 && !ev.clean);

    /* The client gets the server's 1011 close, echoes it, and without the
     * server's end of stream gives up waiting after the close timeout. */
    CHECK_OK(wirestate_ws_conn_handle_timeout(client, 7 * S));
    transfer(server, client);
    ev = next_event(client);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_CLOSE_RECEIVED && ev.code == 1011);
    CHECK_OK(wirestate_ws_conn_poll_timeout(client, &has, &at));
    CHECK(has && at == 10 * S);
    CHECK_OK(wirestate_ws_conn_handle_timeout(client, 10 * S));
    ev = next_event(client);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_CLOSED && ev.code == 1011 && ev.clean);
    wirestate_ws_conn_free(client);
    wirestate_ws_conn_free(server);

    /* The open timeout fails a handshake that never completes. */
    CHECK_OK(wirestate_ws_conn_new_server(sc, &server));
    CHECK_OK(wirestate_ws_conn_handle_timeout(server, 0));
    CHECK_OK(wirestate_ws_conn_handle_timeout(server, 5 * S));
    ev = next_event(server);
    CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_CLOSED && ev.code == 1006 && !ev.clean);
    wirestate_ws_conn_free(server);
    wirestate_ws_config_free(sc);
    wirestate_ws_config_free(cc);
}

/* The write-buffer marks: not writable above the high mark, a WRITABLE
 * event once drained; BUFFER_FULL past the hard limit. */
static void backpressure(void) {
    wirestate_ws_config *sc = NULL, *cc = NULL;
    CHECK_OK(wirestate_ws_config_new(&sc));
    CHECK_OK(wirestate_ws_config_set_write_buffer_high(sc, 1000));
    CHECK_OK(wirestate_ws_config_set_write_buffer_low(sc, 100));
    CHECK_OK(wirestate_ws_config_set_max_write_buffer(sc, 5000));
    CHECK_OK(wirestate_ws_config_new(&cc));
    CHECK_OK(wirestate_ws_config_set_host(cc, CSTR("localhost")));
    wirestate_ws_conn *server = NULL, *client = NULL;
    CHECK_OK(wirestate_ws_conn_new_server(sc, &server));
    CHECK_OK(wirestate_ws_conn_new_client(cc, TEST_SEED, &client));
    transfer(client, server);
    CHECK(next_event(server).kind == WIRESTATE_WS_EVENT_KIND_REQUEST);
    CHECK_OK(wirestate_ws_conn_accept(server, NULL, 0, NULL, 0));
    transfer(server, client);
    CHECK(next_event(client).kind == WIRESTATE_WS_EVENT_KIND_ACCEPTED);

    uint8_t chunk[1500];
    memset(chunk, 'z', sizeof chunk);
    bool writable = false;
    CHECK_OK(wirestate_ws_conn_is_writable(server, &writable));
    CHECK(writable);
    CHECK_OK(wirestate_ws_conn_send_binary(server, chunk, sizeof chunk));
    CHECK_OK(wirestate_ws_conn_is_writable(server, &writable));
    CHECK(!writable);
    CHECK_OK(wirestate_ws_conn_send_binary(server, chunk, sizeof chunk));
    CHECK_OK(wirestate_ws_conn_send_binary(server, chunk, sizeof chunk));
    CHECK_RC(wirestate_ws_conn_send_binary(server, chunk, sizeof chunk),
             WIRESTATE_RESULT_BUFFER_FULL);
    transfer(server, client);
    CHECK(next_raw_event(server).kind == WIRESTATE_WS_EVENT_KIND_WRITABLE);
    CHECK_OK(wirestate_ws_conn_is_writable(server, &writable));
    CHECK(writable);
    for (int i = 0; i < 3; i++) {
        wirestate_ws_event ev = next_event(client);
        CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_BINARY && ev.len == sizeof chunk);
    }
    wirestate_ws_conn_free(client);
    wirestate_ws_conn_free(server);
    wirestate_ws_config_free(sc);
    wirestate_ws_config_free(cc);
}

int main(void) {
    main_pair();
    streaming();
    rejection();
    timers();
    backpressure();
    return check_report();
}
