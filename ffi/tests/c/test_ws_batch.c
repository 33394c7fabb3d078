/* wirestate_ws_conn_poll_events: several events per call, in order, with
 * their payloads checked after the call and again after replies were sent
 * (the validity rule); a cap smaller than what is pending; the events that
 * end a batch (handshake events, CLOSED); bursts of small and large
 * payloads handed out in place, fewer than cap only when none is left; a
 * message still arriving behind the batch; streaming chunks; mixing with
 * poll_event; every send call fed straight from event memory, which the
 * library no longer copies; bad arguments. Run under ASan+UBSan and valgrind, which catch
 * a payload read after its memory was reused or freed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pair.h"

#define CAP 64

/* An open client/server pair; compression on both ends when `deflate`,
 * streaming on the server when `streaming`. */
static void open_pair(bool deflate, bool streaming, wirestate_ws_conn **client,
                      wirestate_ws_conn **server) {
    wirestate_ws_config *sc = NULL, *cc = NULL;
    CHECK_OK(wirestate_ws_config_new(&sc));
    CHECK_OK(wirestate_ws_config_set_compression(sc, deflate));
    CHECK_OK(wirestate_ws_config_set_streaming(sc, streaming));
    CHECK_OK(wirestate_ws_config_new(&cc));
    CHECK_OK(wirestate_ws_config_set_host(cc, CSTR("localhost")));
    CHECK_OK(wirestate_ws_config_set_compression(cc, deflate));
    CHECK_OK(wirestate_ws_conn_new_server(sc, server));
    CHECK_OK(wirestate_ws_conn_new_client(cc, TEST_SEED, client));
    wirestate_ws_config_free(sc);
    wirestate_ws_config_free(cc);
    transfer(*client, *server);
    CHECK(next_event(*server).kind == WIRESTATE_WS_EVENT_KIND_REQUEST);
    CHECK_OK(wirestate_ws_conn_accept(*server, NULL, 0, NULL, 0));
    transfer(*server, *client);
    CHECK(next_event(*client).kind == WIRESTATE_WS_EVENT_KIND_ACCEPTED);
    CHECK(next_event(*client).kind == WIRESTATE_WS_EVENT_KIND_NONE);
}

/* One batch; the slots past what was written are filled with 0xa5 first,
 * and checked untouched afterwards. */
static size_t batch(wirestate_ws_conn *conn, wirestate_ws_event *evs, size_t cap) {
    memset(evs, 0xa5, sizeof(wirestate_ws_event) * CAP);
    size_t n = 12345;
    CHECK_OK(wirestate_ws_conn_poll_events(conn, evs, cap, &n));
    CHECK(n <= cap);
    if (n > cap) {
        n = 0;
    }
    wirestate_ws_event pattern;
    memset(&pattern, 0xa5, sizeof pattern);
    for (size_t i = n; i < CAP; i++) {
        CHECK(memcmp(&evs[i], &pattern, sizeof pattern) == 0);
    }
    for (size_t i = 0; i < n; i++) {
        CHECK(evs[i].data != NULL);
        CHECK(evs[i].kind != WIRESTATE_WS_EVENT_KIND_NONE);
    }
    return n;
}

/* A deterministic payload: `len` bytes from `seed`. */
static void fill(uint8_t *buf, size_t len, unsigned seed) {
    for (size_t i = 0; i < len; i++) {
        buf[i] = (uint8_t)(seed * 31u + i * 7u + (i >> 8));
    }
}

/* Mixed events in one batch, read after the call and again after replies
 * went out on the same connection in between; echoes straight from the
 * batch's memory. With and without compression (inflated messages). */
static void mixed(bool deflate) {
    wirestate_ws_conn *client = NULL, *server = NULL;
    open_pair(deflate, false, &client, &server);

    static char big_text[3000];
    for (size_t i = 0; i < sizeof big_text - 1; i++) {
        big_text[i] = (char)('a' + i % 26);
    }
    CHECK_OK(wirestate_ws_conn_send_text(client, CSTR("hello")));
    CHECK_OK(wirestate_ws_conn_send_binary(client, (const uint8_t *)"\x00\x01\x02", 3));
    CHECK_OK(wirestate_ws_conn_ping(client, (const uint8_t *)"ping!", 5));
    CHECK_OK(wirestate_ws_conn_send_text(client, CSTR(big_text)));
    CHECK_OK(wirestate_ws_conn_send_binary(client, NULL, 0));
    CHECK_OK(wirestate_ws_conn_pong(client, (const uint8_t *)"hb", 2));
    CHECK_OK(wirestate_ws_conn_send_text(client, CSTR("caf\xc3\xa9")));
    transfer(client, server);

    wirestate_ws_event evs[CAP];
    size_t n = batch(server, evs, CAP);
    CHECK(n == 7);
    if (n != 7) {
        goto done;
    }
    CHECK(evs[0].kind == WIRESTATE_WS_EVENT_KIND_TEXT &&
          evs[0].message_kind == WIRESTATE_WS_MESSAGE_KIND_TEXT);
    CHECK(evs[1].kind == WIRESTATE_WS_EVENT_KIND_BINARY &&
          evs[1].message_kind == WIRESTATE_WS_MESSAGE_KIND_BINARY);
    CHECK(evs[2].kind == WIRESTATE_WS_EVENT_KIND_PING);
    CHECK(evs[3].kind == WIRESTATE_WS_EVENT_KIND_TEXT);
    CHECK(evs[4].kind == WIRESTATE_WS_EVENT_KIND_BINARY && evs[4].len == 0);
    CHECK(evs[5].kind == WIRESTATE_WS_EVENT_KIND_PONG);
    CHECK(evs[6].kind == WIRESTATE_WS_EVENT_KIND_TEXT);
    for (int round = 0; round < 2; round++) {
        CHECK_BYTES(evs[0].data, evs[0].len, "hello");
        CHECK(evs[1].len == 3 && memcmp(evs[1].data, "\x00\x01\x02", 3) == 0);
        CHECK_BYTES(evs[2].data, evs[2].len, "ping!");
        CHECK_BYTES(evs[3].data, evs[3].len, big_text);
        CHECK_BYTES(evs[5].data, evs[5].len, "hb");
        CHECK_BYTES(evs[6].data, evs[6].len, "caf\xc3\xa9");
        if (round == 0) {
            /* Replies between reading the events leave them valid: every
             * call of the exception list, and the echo of each message
             * straight from the batch's memory. */
            for (size_t i = 0; i < n; i++) {
                if (evs[i].kind == WIRESTATE_WS_EVENT_KIND_TEXT ||
                    evs[i].kind == WIRESTATE_WS_EVENT_KIND_BINARY) {
                    CHECK_OK(wirestate_ws_conn_send_message(server, evs[i].message_kind,
                                                            evs[i].data, evs[i].len, true));
                }
            }
            CHECK_OK(wirestate_ws_conn_send_fragment(server, WIRESTATE_WS_MESSAGE_KIND_BINARY,
                                                     evs[1].data, evs[1].len, false));
            CHECK_OK(wirestate_ws_conn_send_fragment(server, WIRESTATE_WS_MESSAGE_KIND_BINARY,
                                                     evs[1].data, evs[1].len, true));
            CHECK_OK(wirestate_ws_conn_ping(server, evs[2].data, evs[2].len));
            CHECK_OK(wirestate_ws_conn_pong(server, evs[5].data, evs[5].len));
            uint8_t buf[100];
            size_t got = 0;
            CHECK_OK(wirestate_ws_conn_poll_transmit(server, buf, sizeof buf, &got));
            CHECK(got == sizeof buf);
            const uint8_t *out = NULL;
            size_t len = 0;
            CHECK_OK(wirestate_ws_conn_pending_output(server, &out, &len));
            CHECK_OK(wirestate_ws_conn_consume_output(server, len > 10 ? 10 : len));
        }
    }
    /* The echoes arrive intact (the first 110 output bytes were dropped
     * above, so start over on a fresh pair for that check). */
    CHECK(batch(server, evs, CAP) == 0);

    wirestate_ws_conn_free(client);
    wirestate_ws_conn_free(server);
    open_pair(deflate, false, &client, &server);
    CHECK_OK(wirestate_ws_conn_send_text(client, CSTR("one")));
    CHECK_OK(wirestate_ws_conn_send_binary(client, (const uint8_t *)"two", 3));
    CHECK_OK(wirestate_ws_conn_send_text(client, CSTR(big_text)));
    transfer(client, server);
    n = batch(server, evs, CAP);
    CHECK(n == 3);
    for (size_t i = 0; i < n; i++) {
        CHECK_OK(wirestate_ws_conn_send_message(server, evs[i].message_kind, evs[i].data,
                                                evs[i].len, true));
    }
    transfer(server, client);
    n = batch(client, evs, CAP);
    CHECK(n == 3);
    if (n == 3) {
        CHECK(evs[0].kind == WIRESTATE_WS_EVENT_KIND_TEXT);
        CHECK_BYTES(evs[0].data, evs[0].len, "one");
        CHECK(evs[1].kind == WIRESTATE_WS_EVENT_KIND_BINARY);
        CHECK_BYTES(evs[1].data, evs[1].len, "two");
        CHECK(evs[2].kind == WIRESTATE_WS_EVENT_KIND_TEXT);
        CHECK_BYTES(evs[2].data, evs[2].len, big_text);
    }
    CHECK(batch(client, evs, CAP) == 0);
done:
    wirestate_ws_conn_free(client);
    wirestate_ws_conn_free(server);
}

/* Whole messages followed by the first part of another: when its queue
 * runs dry, the core moves the part received to the front of its buffer,
 * over the payloads already handed out, so a batch must not point there. */
static void partial_message(bool text) {
    wirestate_ws_conn *client = NULL, *server = NULL;
    open_pair(false, false, &client, &server);
    enum { COUNT = 5, LEN = 20, TAIL = 3000 };
    static char msg[TAIL];
    for (unsigned i = 0; i < COUNT; i++) {
        memset(msg, 'a' + (int)i, LEN);
        if (text) {
            CHECK_OK(wirestate_ws_conn_send_text(client, msg, LEN));
        } else {
            CHECK_OK(wirestate_ws_conn_send_binary(client, (const uint8_t *)msg, LEN));
        }
    }
    memset(msg, 'z', sizeof msg);
    if (text) {
        CHECK_OK(wirestate_ws_conn_send_text(client, msg, sizeof msg));
    } else {
        CHECK_OK(wirestate_ws_conn_send_binary(client, (const uint8_t *)msg, sizeof msg));
    }
    const uint8_t *out = NULL;
    size_t len = 0;
    CHECK_OK(wirestate_ws_conn_pending_output(client, &out, &len));
    CHECK(len > TAIL);
    size_t part = len - TAIL / 2;
    CHECK_OK(wirestate_ws_conn_receive_data(server, out, part));
    CHECK_OK(wirestate_ws_conn_consume_output(client, part));

    wirestate_ws_event evs[CAP];
    size_t n = batch(server, evs, CAP);
    CHECK(n == COUNT);
    for (size_t i = 0; i < n; i++) {
        memset(msg, 'a' + (int)i, LEN);
        CHECK(evs[i].len == LEN && memcmp(evs[i].data, msg, LEN) == 0);
    }
    CHECK(batch(server, evs, CAP) == 0);
    transfer(client, server);
    CHECK(batch(server, evs, CAP) == 1);
    memset(msg, 'z', sizeof msg);
    CHECK(evs[0].len == sizeof msg && memcmp(evs[0].data, msg, sizeof msg) == 0);
    wirestate_ws_conn_free(client);
    wirestate_ws_conn_free(server);
}

/* A cap smaller than what is pending: batches of `cap`, in order, then the
 * rest, then 0. */
static void small_cap(void) {
    wirestate_ws_conn *client = NULL, *server = NULL;
    open_pair(false, false, &client, &server);
    enum { COUNT = 10 };
    for (unsigned i = 0; i < COUNT; i++) {
        uint8_t msg[20];
        fill(msg, sizeof msg, i);
        CHECK_OK(wirestate_ws_conn_send_binary(client, msg, sizeof msg));
    }
    transfer(client, server);
    wirestate_ws_event evs[CAP];
    unsigned seen = 0;
    size_t sizes[8], batches = 0;
    for (;;) {
        size_t n = batch(server, evs, 3);
        if (batches < 8) {
            sizes[batches++] = n;
        }
        for (size_t i = 0; i < n; i++) {
            uint8_t want[20];
            fill(want, sizeof want, seen);
            CHECK(evs[i].kind == WIRESTATE_WS_EVENT_KIND_BINARY && evs[i].len == sizeof want &&
                  memcmp(evs[i].data, want, sizeof want) == 0);
            seen++;
        }
        if (n == 0) {
            break;
        }
    }
    CHECK(seen == COUNT);
    CHECK(batches == 5 && sizes[0] == 3 && sizes[1] == 3 && sizes[2] == 3 && sizes[3] == 1 &&
          sizes[4] == 0);

    /* cap 1 is poll_event with another signature. */
    CHECK_OK(wirestate_ws_conn_send_text(client, CSTR("a")));
    CHECK_OK(wirestate_ws_conn_send_text(client, CSTR("b")));
    transfer(client, server);
    CHECK(batch(server, evs, 1) == 1);
    CHECK_BYTES(evs[0].data, evs[0].len, "a");
    CHECK(batch(server, evs, 1) == 1);
    CHECK_BYTES(evs[0].data, evs[0].len, "b");
    CHECK(batch(server, evs, 1) == 0);
    wirestate_ws_conn_free(client);
    wirestate_ws_conn_free(server);
}

/* Many payloads, small and large, handed out in place: every batch is full
 * but the last, which holds the rest; every payload arrives intact, in
 * order, and stays intact until the next poll. */
static void many_payloads(void) {
    wirestate_ws_conn *client = NULL, *server = NULL;
    open_pair(false, false, &client, &server);
    enum { COUNT = 300, SMALL = 200, BIG = 20000 };
    static uint8_t msg[BIG];
    for (unsigned i = 0; i < COUNT; i++) {
        size_t len = i % 50 == 7 ? BIG : SMALL + i % 13;
        fill(msg, len, i);
        CHECK_OK(wirestate_ws_conn_send_binary(client, msg, len));
        if (i % 40 == 0) {
            transfer(client, server);
        }
    }
    transfer(client, server);
    wirestate_ws_event evs[CAP];
    unsigned seen = 0;
    for (;;) {
        size_t n = batch(server, evs, CAP);
        CHECK(n == CAP || seen + n == COUNT);
        for (size_t i = 0; i < n; i++, seen++) {
            size_t len = seen % 50 == 7 ? BIG : SMALL + seen % 13;
            fill(msg, len, seen);
            CHECK(evs[i].kind == WIRESTATE_WS_EVENT_KIND_BINARY && evs[i].len == len &&
                  memcmp(evs[i].data, msg, len) == 0);
        }
        if (n < CAP) {
            break;
        }
    }
    CHECK(seen == COUNT);
    CHECK(batch(server, evs, CAP) == 0);
    wirestate_ws_conn_free(client);
    wirestate_ws_conn_free(server);
}

/* Events that end a batch: ACCEPTED (the response accessors describe the
 * batch's last event), REQUEST, CLOSED; and mixing with poll_event. */
static void batch_ends(void) {
    wirestate_ws_config *sc = NULL, *cc = NULL;
    CHECK_OK(wirestate_ws_config_new(&sc));
    CHECK_OK(wirestate_ws_config_add_subprotocol(sc, CSTR("chat")));
    CHECK_OK(wirestate_ws_config_new(&cc));
    CHECK_OK(wirestate_ws_config_set_host(cc, CSTR("localhost")));
    CHECK_OK(wirestate_ws_config_add_subprotocol(cc, CSTR("chat")));
    wirestate_ws_conn *client = NULL, *server = NULL;
    CHECK_OK(wirestate_ws_conn_new_server(sc, &server));
    CHECK_OK(wirestate_ws_conn_new_client(cc, TEST_SEED, &client));
    wirestate_ws_config_free(sc);
    wirestate_ws_config_free(cc);

    wirestate_ws_event evs[CAP];
    transfer(client, server);
    CHECK(batch(server, evs, CAP) == 1);
    CHECK(evs[0].kind == WIRESTATE_WS_EVENT_KIND_REQUEST);
    CHECK_BYTES(evs[0].data, evs[0].len, "/");
    wirestate_str s;
    CHECK_OK(wirestate_ws_conn_request_host(server, &s));
    CHECK(str_eq(s, "localhost"));
    CHECK_OK(wirestate_ws_conn_accept(server, NULL, 0, NULL, 0));
    /* Messages right behind the 101 response reach the client in the same
     * read as the response: ACCEPTED comes alone, the messages next. */
    CHECK_OK(wirestate_ws_conn_send_text(server, CSTR("first")));
    CHECK_OK(wirestate_ws_conn_send_text(server, CSTR("second")));
    CHECK(batch(server, evs, CAP) == 0);
    CHECK_RC(wirestate_ws_conn_request_host(server, &s), WIRESTATE_RESULT_INVALID_STATE);
    const uint8_t *out = NULL;
    size_t len = 0;
    CHECK_OK(wirestate_ws_conn_pending_output(server, &out, &len));
    CHECK_OK(wirestate_ws_conn_receive_data(client, out, len));
    CHECK_OK(wirestate_ws_conn_consume_output(server, len));
    CHECK(batch(client, evs, CAP) == 1);
    CHECK(evs[0].kind == WIRESTATE_WS_EVENT_KIND_ACCEPTED);
    CHECK_BYTES(evs[0].data, evs[0].len, "chat");
    size_t headers = 0;
    CHECK_OK(wirestate_ws_conn_response_header_count(client, &headers));
    CHECK(headers >= 3);
    /* poll_event and poll_events take from the same queue. */
    wirestate_ws_event one = next_raw_event(client);
    CHECK(one.kind == WIRESTATE_WS_EVENT_KIND_TEXT);
    CHECK_BYTES(one.data, one.len, "first");
    CHECK_RC(wirestate_ws_conn_response_header_count(client, &headers),
             WIRESTATE_RESULT_INVALID_STATE);
    CHECK(batch(client, evs, CAP) == 1);
    CHECK_BYTES(evs[0].data, evs[0].len, "second");
    CHECK(next_raw_event(client).kind == WIRESTATE_WS_EVENT_KIND_NONE);

    /* The client's messages and its Close in one read: the server's batch
     * ends with CLOSED, whose reason is readable after the call. */
    CHECK_OK(wirestate_ws_conn_send_binary(client, (const uint8_t *)"last", 4));
    CHECK_OK(wirestate_ws_conn_close(client, 4001, CSTR("done here")));
    transfer(client, server);
    size_t n = batch(server, evs, CAP);
    CHECK(n == 3);
    if (n == 3) {
        CHECK(evs[0].kind == WIRESTATE_WS_EVENT_KIND_BINARY);
        CHECK_BYTES(evs[0].data, evs[0].len, "last");
        CHECK(evs[1].kind == WIRESTATE_WS_EVENT_KIND_CLOSE_RECEIVED && evs[1].code == 4001);
        CHECK_BYTES(evs[1].data, evs[1].len, "done here");
        CHECK(evs[2].kind == WIRESTATE_WS_EVENT_KIND_CLOSED && evs[2].code == 4001 &&
              evs[2].clean);
        CHECK_BYTES(evs[2].data, evs[2].len, "done here");
    }
    CHECK(batch(server, evs, CAP) == 0);
    transfer(server, client);
    CHECK_OK(wirestate_ws_conn_receive_eof(client));
    n = batch(client, evs, CAP);
    CHECK(n == 2);
    if (n == 2) {
        CHECK(evs[0].kind == WIRESTATE_WS_EVENT_KIND_CLOSE_RECEIVED);
        CHECK(evs[1].kind == WIRESTATE_WS_EVENT_KIND_CLOSED && evs[1].clean);
    }
    wirestate_ws_conn_free(client);
    wirestate_ws_conn_free(server);
}

/* Streaming: chunks of a fragmented message and whole small messages in one
 * batch, with their flags. */
static void streaming(void) {
    wirestate_ws_conn *client = NULL, *server = NULL;
    open_pair(false, true, &client, &server);
    CHECK_OK(wirestate_ws_conn_send_fragment(client, WIRESTATE_WS_MESSAGE_KIND_BINARY,
                                             (const uint8_t *)"abc", 3, false));
    CHECK_OK(wirestate_ws_conn_send_fragment(client, WIRESTATE_WS_MESSAGE_KIND_BINARY,
                                             (const uint8_t *)"def", 3, true));
    CHECK_OK(wirestate_ws_conn_send_text(client, CSTR("whole")));
    transfer(client, server);
    wirestate_ws_event evs[CAP];
    size_t n = batch(server, evs, CAP);
    CHECK(n == 3);
    if (n == 3) {
        CHECK(evs[0].kind == WIRESTATE_WS_EVENT_KIND_MESSAGE_CHUNK && evs[0].first &&
              !evs[0].last && evs[0].total == UINT64_MAX);
        CHECK_BYTES(evs[0].data, evs[0].len, "abc");
        CHECK(evs[1].kind == WIRESTATE_WS_EVENT_KIND_MESSAGE_CHUNK && !evs[1].first &&
              evs[1].last);
        CHECK_BYTES(evs[1].data, evs[1].len, "def");
        CHECK(evs[2].kind == WIRESTATE_WS_EVENT_KIND_MESSAGE_CHUNK && evs[2].first &&
              evs[2].last && evs[2].total == 5 &&
              evs[2].message_kind == WIRESTATE_WS_MESSAGE_KIND_TEXT);
        CHECK_BYTES(evs[2].data, evs[2].len, "whole");
    }
    wirestate_ws_conn_free(client);
    wirestate_ws_conn_free(server);
}

/* ----- randomized: every kind of message, random read sizes, random caps,
 * replies in the middle of a batch; each payload checked after its batch
 * and again after the replies. Under the sanitizers and valgrind a payload
 * read after the core reused or freed its memory is caught too. */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t rnd(uint32_t n) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return n ? (uint32_t)(rng_state % n) : 0;
}

enum { MAX_MSGS = 400, MAX_LEN = 20000 };

struct expected {
    int kind; /* wirestate_ws_event_kind: TEXT, BINARY or PING */
    size_t len;
    uint8_t *data;
};

static void random_round(bool deflate, bool streaming, int nmsgs) {
    wirestate_ws_conn *client = NULL, *server = NULL;
    open_pair(deflate, streaming, &client, &server);
    static struct expected want[MAX_MSGS];
    static uint8_t buf[MAX_LEN];
    for (int i = 0; i < nmsgs; i++) {
        uint32_t r = rnd(10);
        size_t len = rnd(8) == 0 ? rnd(MAX_LEN) : rnd(300);
        struct expected *w = &want[i];
        if (r < 4) {
            w->kind = WIRESTATE_WS_EVENT_KIND_TEXT;
            for (size_t j = 0; j < len; j++) buf[j] = (uint8_t)('a' + rnd(26));
        } else if (r < 9) {
            w->kind = WIRESTATE_WS_EVENT_KIND_BINARY;
            for (size_t j = 0; j < len; j++) buf[j] = (uint8_t)rnd(256);
        } else {
            w->kind = WIRESTATE_WS_EVENT_KIND_PING;
            len = rnd(126);
            for (size_t j = 0; j < len; j++) buf[j] = (uint8_t)rnd(256);
        }
        w->len = len;
        w->data = malloc(len ? len : 1);
        memcpy(w->data, buf, len);
        uint32_t kind = w->kind == WIRESTATE_WS_EVENT_KIND_TEXT ? WIRESTATE_WS_MESSAGE_KIND_TEXT
                                                                 : WIRESTATE_WS_MESSAGE_KIND_BINARY;
        if (w->kind == WIRESTATE_WS_EVENT_KIND_PING) {
            CHECK_OK(wirestate_ws_conn_ping(client, buf, len));
        } else if (len > 10 && rnd(4) == 0) {
            size_t cut = 1 + rnd((uint32_t)len - 1);
            CHECK_OK(wirestate_ws_conn_send_fragment(client, kind, buf, cut, false));
            CHECK_OK(wirestate_ws_conn_send_fragment(client, kind, buf + cut, len - cut, true));
        } else {
            CHECK_OK(wirestate_ws_conn_send_message(client, kind, buf, len, rnd(2) == 0));
        }
    }

    /* The server side: feed random pieces, take batches now and then. */
    static uint8_t assembled[MAX_LEN];
    size_t assembled_len = 0;
    int next = 0; /* the next expected message */
    wirestate_ws_event evs[CAP];
    for (;;) {
        const uint8_t *out = NULL;
        size_t len = 0;
        CHECK_OK(wirestate_ws_conn_pending_output(client, &out, &len));
        if (len > 0) {
            size_t piece = 1 + rnd(rnd(2) ? 64 : 9000);
            if (piece > len) piece = len;
            CHECK_OK(wirestate_ws_conn_receive_data(server, out, piece));
            CHECK_OK(wirestate_ws_conn_consume_output(client, piece));
            if (rnd(3) != 0) continue;
        }
        size_t n;
        do {
            size_t cap = 1 + rnd(CAP);
            n = batch(server, evs, cap);
            int firsts = next;
            size_t start_len = assembled_len;
            static uint8_t prefix[MAX_LEN];
            memcpy(prefix, assembled, start_len);
            for (int pass = 0; pass < 2; pass++) {
                /* The second pass re-reads the batch after replies. */
                next = firsts;
                memcpy(assembled, prefix, start_len);
                assembled_len = start_len;
                for (size_t i = 0; i < n; i++) {
                    const wirestate_ws_event *e = &evs[i];
                    if (e->kind == WIRESTATE_WS_EVENT_KIND_WRITABLE ||
                        e->kind == WIRESTATE_WS_EVENT_KIND_PONG) {
                        continue;
                    }
                    const uint8_t *data = e->data;
                    size_t dlen = e->len;
                    if (e->kind == WIRESTATE_WS_EVENT_KIND_MESSAGE_CHUNK) {
                        CHECK(assembled_len + dlen <= MAX_LEN);
                        if (assembled_len + dlen > MAX_LEN) break;
                        memcpy(assembled + assembled_len, data, dlen);
                        assembled_len += dlen;
                        if (!e->last) continue;
                        data = assembled;
                        dlen = assembled_len;
                        assembled_len = 0;
                    }
                    CHECK(next < nmsgs);
                    if (next >= nmsgs) break;
                    const struct expected *w = &want[next];
                    int kind = e->kind;
                    if (kind == WIRESTATE_WS_EVENT_KIND_MESSAGE_CHUNK) {
                        kind = e->message_kind == WIRESTATE_WS_MESSAGE_KIND_TEXT
                                   ? WIRESTATE_WS_EVENT_KIND_TEXT
                                   : WIRESTATE_WS_EVENT_KIND_BINARY;
                    }
                    CHECK(kind == w->kind);
                    CHECK(dlen == w->len && memcmp(data, w->data, dlen) == 0);
                    next++;
                }
                if (pass == 0 && n > 0) {
                    /* Replies in the middle of the batch: echoes of some of
                     * its messages straight from its memory, a ping, some
                     * output taken. */
                    for (size_t i = 0; i < n; i++) {
                        if (rnd(3) == 0 && (evs[i].kind == WIRESTATE_WS_EVENT_KIND_TEXT ||
                                            evs[i].kind == WIRESTATE_WS_EVENT_KIND_BINARY)) {
                            wirestate_result r = wirestate_ws_conn_send_message(
                                server, evs[i].message_kind, evs[i].data, evs[i].len, true);
                            CHECK(r == WIRESTATE_RESULT_OK || r == WIRESTATE_RESULT_BUFFER_FULL);
                        }
                    }
                    CHECK_OK(wirestate_ws_conn_ping(server, (const uint8_t *)"r", 1));
                    const uint8_t *sout = NULL;
                    size_t slen = 0;
                    CHECK_OK(wirestate_ws_conn_pending_output(server, &sout, &slen));
                    CHECK_OK(wirestate_ws_conn_consume_output(server, slen / 2));
                    uint8_t tmp[512];
                    size_t got = 0;
                    CHECK_OK(wirestate_ws_conn_poll_transmit(server, tmp, sizeof tmp, &got));
                }
            }
        } while (n > 0);
        if (len == 0) break;
    }
    CHECK(next == nmsgs);
    for (int i = 0; i < nmsgs; i++) free(want[i].data);
    wirestate_ws_conn_free(client);
    wirestate_ws_conn_free(server);
}

static void randomized(void) {
    for (int round = 0; round < 24; round++) {
        random_round(round % 2 == 1, round % 3 == 2, 20 + (int)rnd(180));
    }
}

/* Bad arguments: an error code, nothing written, no event taken. */
static void bad_arguments(void) {
    wirestate_ws_conn *client = NULL, *server = NULL;
    open_pair(false, false, &client, &server);
    CHECK_OK(wirestate_ws_conn_send_text(client, CSTR("kept")));
    transfer(client, server);
    wirestate_ws_event evs[CAP];
    size_t n = 777;
    CHECK_RC(wirestate_ws_conn_poll_events(NULL, evs, CAP, &n), WIRESTATE_RESULT_NULL_PARAMETER);
    CHECK_RC(wirestate_ws_conn_poll_events(server, NULL, CAP, &n),
             WIRESTATE_RESULT_NULL_PARAMETER);
    CHECK_RC(wirestate_ws_conn_poll_events(server, NULL, 0, &n), WIRESTATE_RESULT_NULL_PARAMETER);
    CHECK_RC(wirestate_ws_conn_poll_events(server, evs, CAP, NULL),
             WIRESTATE_RESULT_NULL_PARAMETER);
    CHECK_RC(wirestate_ws_conn_poll_events(server, evs, 0, &n), WIRESTATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(wirestate_ws_conn_poll_events(server, evs, SIZE_MAX, &n),
             WIRESTATE_RESULT_INVALID_ARGUMENT);
    CHECK_RC(wirestate_ws_conn_poll_events(server, evs, SIZE_MAX / sizeof(wirestate_ws_event), &n),
             WIRESTATE_RESULT_INVALID_ARGUMENT);
    CHECK(n == 777);
    CHECK(batch(server, evs, CAP) == 1);
    CHECK_BYTES(evs[0].data, evs[0].len, "kept");
    wirestate_ws_conn_free(client);
    wirestate_ws_conn_free(server);
}

/* What `echo_in_place` sent. */
static void check_echoed(const wirestate_ws_event *ev, const char *text) {
    switch (ev->kind) {
    case WIRESTATE_WS_EVENT_KIND_TEXT:
        CHECK_BYTES(ev->data, ev->len, text);
        break;
    case WIRESTATE_WS_EVENT_KIND_BINARY:
        CHECK_BYTES(ev->data, ev->len, "bin");
        break;
    case WIRESTATE_WS_EVENT_KIND_PING:
        CHECK_BYTES(ev->data, ev->len, "pq");
        break;
    case WIRESTATE_WS_EVENT_KIND_CLOSE_RECEIVED:
    case WIRESTATE_WS_EVENT_KIND_CLOSED:
        CHECK(ev->code == 4000);
        CHECK_BYTES(ev->data, ev->len, "see you");
        break;
    default:
        CHECK(0 && "unexpected event");
    }
}

/* Answers `ev` with the send call that takes its payload, straight from
 * the event's memory, and checks the payload is still intact after. */
static void echo(wirestate_ws_conn *server, const wirestate_ws_event *ev, const char *text) {
    switch (ev->kind) {
    case WIRESTATE_WS_EVENT_KIND_TEXT:
        CHECK_OK(wirestate_ws_conn_send_text(server, (const char *)ev->data, ev->len));
        break;
    case WIRESTATE_WS_EVENT_KIND_BINARY:
        CHECK_OK(wirestate_ws_conn_send_binary(server, ev->data, ev->len));
        break;
    case WIRESTATE_WS_EVENT_KIND_PING:
        CHECK_OK(wirestate_ws_conn_pong(server, ev->data, ev->len));
        break;
    case WIRESTATE_WS_EVENT_KIND_CLOSE_RECEIVED:
        CHECK_OK(wirestate_ws_conn_close(server, ev->code, (const char *)ev->data, ev->len));
        break;
    default:
        break;
    }
    check_echoed(ev, text);
}

/* Every send call fed straight from an event's memory, one event at a time
 * (poll_event) and in a batch: sends take their input without a copy, so
 * the event's bytes must stay where they are while the call reads them and
 * afterwards. Auto-pong and close echo are off on the server: its pong()
 * and close() answer with the payloads of the PING and CLOSE_RECEIVED
 * events. */
static void echo_in_place(bool deflate, bool batched) {
    wirestate_ws_config *sc = NULL, *cc = NULL;
    wirestate_ws_conn *client = NULL, *server = NULL;
    CHECK_OK(wirestate_ws_config_new(&sc));
    CHECK_OK(wirestate_ws_config_set_compression(sc, deflate));
    CHECK_OK(wirestate_ws_config_set_close_echo(sc, false));
    CHECK_OK(wirestate_ws_config_set_auto_pong(sc, false));
    CHECK_OK(wirestate_ws_config_new(&cc));
    CHECK_OK(wirestate_ws_config_set_host(cc, CSTR("localhost")));
    CHECK_OK(wirestate_ws_config_set_compression(cc, deflate));
    CHECK_OK(wirestate_ws_conn_new_server(sc, &server));
    CHECK_OK(wirestate_ws_conn_new_client(cc, TEST_SEED, &client));
    wirestate_ws_config_free(sc);
    wirestate_ws_config_free(cc);
    transfer(client, server);
    CHECK(next_event(server).kind == WIRESTATE_WS_EVENT_KIND_REQUEST);
    CHECK_OK(wirestate_ws_conn_accept(server, NULL, 0, NULL, 0));
    transfer(server, client);
    CHECK(next_event(client).kind == WIRESTATE_WS_EVENT_KIND_ACCEPTED);

    static char text[2000];
    for (size_t i = 0; i < sizeof text - 1; i++) {
        text[i] = (char)('A' + i % 23);
    }
    wirestate_ws_event evs[CAP];
    /* Round 0: a text, a binary and a ping, answered with send_text,
     * send_binary and pong. Round 1: the client's Close, answered with
     * close and the received reason (sending data after a Close arrived
     * is not allowed, hence two rounds). */
    for (int round = 0; round < 2; round++) {
        if (round == 0) {
            CHECK_OK(wirestate_ws_conn_send_text(client, CSTR(text)));
            CHECK_OK(wirestate_ws_conn_send_binary(client, (const uint8_t *)"bin", 3));
            CHECK_OK(wirestate_ws_conn_ping(client, (const uint8_t *)"pq", 2));
        } else {
            CHECK_OK(wirestate_ws_conn_close(client, 4000, CSTR("see you")));
        }
        transfer(client, server);
        size_t n = 0;
        if (batched) {
            n = batch(server, evs, CAP);
        } else {
            /* One at a time; each answered before the next poll. */
            for (;;) {
                evs[n] = next_raw_event(server);
                if (evs[n].kind == WIRESTATE_WS_EVENT_KIND_NONE) {
                    break;
                }
                echo(server, &evs[n], text);
                n++;
            }
        }
        /* One at a time, the answer to the Close queues CLOSED in time for
         * the next poll. */
        CHECK(n == (round == 0 ? 3u : batched ? 1u : 2u));
        if (batched) {
            for (size_t i = 0; i < n; i++) {
                echo(server, &evs[i], text);
            }
            /* Still there after every answer went out. */
            for (size_t i = 0; i < n; i++) {
                check_echoed(&evs[i], text);
            }
        }
        /* The answers arrive intact. */
        transfer(server, client);
        wirestate_ws_event ev = next_event(client);
        if (round == 0) {
            CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_TEXT);
            CHECK_BYTES(ev.data, ev.len, text);
            ev = next_event(client);
            CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_BINARY);
            CHECK_BYTES(ev.data, ev.len, "bin");
            ev = next_event(client);
            CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_PONG);
            CHECK_BYTES(ev.data, ev.len, "pq");
        } else {
            CHECK(ev.kind == WIRESTATE_WS_EVENT_KIND_CLOSE_RECEIVED && ev.code == 4000);
            CHECK_BYTES(ev.data, ev.len, "see you");
        }
    }
    wirestate_ws_conn_free(client);
    wirestate_ws_conn_free(server);
}

int main(void) {
    mixed(false);
    mixed(true);
    partial_message(false);
    partial_message(true);
    small_cap();
    many_payloads();
    batch_ends();
    streaming();
    echo_in_place(false, false);
    echo_in_place(true, false);
    echo_in_place(false, true);
    echo_in_place(true, true);
    bad_arguments();
    randomized();
    return check_report();
}
