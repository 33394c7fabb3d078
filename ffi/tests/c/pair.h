/* Helpers for tests that run a client and a server in memory. */
#ifndef WIRESTATE_TEST_PAIR_H
#define WIRESTATE_TEST_PAIR_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static const uint8_t TEST_SEED[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

/* Moves everything `from` queued for the transport into `to`, in pieces of
 * at most 1000 bytes (half through pending_output/consume_output, half
 * through poll_transmit). Returns the number of bytes moved. */
static inline size_t transfer(wirestate_ws_conn *from, wirestate_ws_conn *to) {
    size_t moved = 0;
    uint8_t buf[1000];
    for (;;) {
        const uint8_t *data = NULL;
        size_t len = 0;
        CHECK_OK(wirestate_ws_conn_pending_output(from, &data, &len));
        if (len == 0) {
            break;
        }
        if (moved % 2000 == 0) {
            size_t n = len < sizeof buf ? len : sizeof buf;
            CHECK_OK(wirestate_ws_conn_receive_data(to, data, n));
            CHECK_OK(wirestate_ws_conn_consume_output(from, n));
            moved += n;
        } else {
            size_t n = 0;
            CHECK_OK(wirestate_ws_conn_poll_transmit(from, buf, sizeof buf, &n));
            CHECK_OK(wirestate_ws_conn_receive_data(to, buf, n));
            moved += n;
        }
    }
    return moved;
}

/* The next event (kind NONE when there is none). */
static inline wirestate_ws_event next_raw_event(wirestate_ws_conn *conn) {
    wirestate_ws_event ev;
    memset(&ev, 0xa5, sizeof ev);
    CHECK_OK(wirestate_ws_conn_poll_event(conn, &ev));
    return ev;
}

/* The next event other than WRITABLE (big sends drained by `transfer`
 * report those). */
static inline wirestate_ws_event next_event(wirestate_ws_conn *conn) {
    wirestate_ws_event ev = next_raw_event(conn);
    while (ev.kind == WIRESTATE_WS_EVENT_KIND_WRITABLE) {
        ev = next_raw_event(conn);
    }
    return ev;
}

static inline wirestate_ws_state state_of(const wirestate_ws_conn *conn) {
    wirestate_ws_state s = 99;
    CHECK_OK(wirestate_ws_conn_state(conn, &s));
    return s;
}

static inline int str_eq(wirestate_str s, const char *want) {
    return s.data != NULL && s.len == strlen(want) && memcmp(s.data, want, s.len) == 0;
}

#define CSTR(s) (s), strlen(s)

#endif
