/* ws_overhead [messages] — the C side of the boundary measurement: a client
 * sends 16-byte binary messages, the bytes move to the server, the server
 * takes its events, one call per event (poll_event) or in batches
 * (poll_events); with 1 and with 16 messages per transport read. Prints the
 * best and the median nanoseconds per message over many short runs, timed
 * in thread CPU time so that a busy machine disturbs it less. Compare with
 * the core through Rust:
 *   cargo test --release -p wirestate-ffi -- --ignored --nocapture overhead
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "wirestate.h"

#define OK(expr)                                                                     \
    do {                                                                             \
        wirestate_result r_ = (expr);                                                \
        if (r_ != WIRESTATE_RESULT_OK) {                                             \
            fprintf(stderr, "%s: %s\n", #expr, wirestate_result_str(r_));            \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

#define MAX_RUNS 101
#define BATCH 64

static uint64_t cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void pump(wirestate_ws_conn *from, wirestate_ws_conn *to) {
    const uint8_t *data;
    size_t len;
    OK(wirestate_ws_conn_pending_output(from, &data, &len));
    OK(wirestate_ws_conn_receive_data(to, data, len));
    OK(wirestate_ws_conn_consume_output(from, len));
}

/* `n` messages, `burst` per transport read; events one by one or batched. */
static double run(uint64_t n, uint64_t burst, int batched) {
    static const uint8_t seed[16] = {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7};
    wirestate_ws_config *cfg;
    wirestate_ws_conn *client, *server;
    wirestate_ws_event ev;
    static wirestate_ws_event evs[BATCH];
    OK(wirestate_ws_config_new(&cfg));
    OK(wirestate_ws_config_set_host(cfg, "localhost", 9));
    OK(wirestate_ws_conn_new_client(cfg, seed, &client));
    OK(wirestate_ws_conn_new_server(cfg, &server));
    wirestate_ws_config_free(cfg);
    pump(client, server);
    OK(wirestate_ws_conn_poll_event(server, &ev));
    OK(wirestate_ws_conn_accept(server, NULL, 0, NULL, 0));
    pump(server, client);
    do {
        OK(wirestate_ws_conn_poll_event(client, &ev));
    } while (ev.kind != WIRESTATE_WS_EVENT_KIND_NONE);

    const uint8_t msg[16] = {0x5a};
    uint64_t rounds = n / burst, got = 0, start = cpu_ns();
    for (uint64_t r = 0; r < rounds; r++) {
        for (uint64_t i = 0; i < burst; i++) {
            OK(wirestate_ws_conn_send_binary(client, msg, sizeof msg));
        }
        pump(client, server);
        if (batched) {
            size_t written;
            do {
                OK(wirestate_ws_conn_poll_events(server, evs, BATCH, &written));
                for (size_t i = 0; i < written; i++) {
                    if (evs[i].kind == WIRESTATE_WS_EVENT_KIND_BINARY) got += evs[i].len;
                }
                /* Short of BATCH without a handshake event or CLOSED: empty. */
            } while (written == BATCH);
        } else {
            for (;;) {
                OK(wirestate_ws_conn_poll_event(server, &ev));
                if (ev.kind == WIRESTATE_WS_EVENT_KIND_NONE) break;
                if (ev.kind == WIRESTATE_WS_EVENT_KIND_BINARY) got += ev.len;
            }
        }
    }
    double ns = (double)(cpu_ns() - start) / (double)(rounds * burst);
    if (got != 16 * rounds * burst) {
        fprintf(stderr, "lost messages\n");
        exit(1);
    }
    wirestate_ws_conn_free(client);
    wirestate_ws_conn_free(server);
    return ns;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 50000;
    /* WIRESTATE_OVERHEAD_RUNS: fewer runs (under valgrind, say). */
    const char *env = getenv("WIRESTATE_OVERHEAD_RUNS");
    int runs = env ? atoi(env) : MAX_RUNS;
    if (runs < 1 || runs > MAX_RUNS) runs = MAX_RUNS;
    static const uint64_t bursts[2] = {1, 16};
    for (int b = 0; b < 2; b++) {
        double t[2][MAX_RUNS];
        run(n, bursts[b], 0);
        run(n, bursts[b], 1);
        for (int i = 0; i < runs; i++) {
            /* Each loop goes first in turn. */
            t[i & 1][i] = run(n, bursts[b], i & 1);
            t[!(i & 1)][i] = run(n, bursts[b], !(i & 1));
        }
        printf("C API from C, 16-byte messages, %llu per transport read, %d runs: best, median\n",
               (unsigned long long)bursts[b], runs);
        for (int m = 0; m < 2; m++) {
            qsort(t[m], (size_t)runs, sizeof t[m][0], cmp_double);
            printf("  %-34s %6.1f %6.1f ns/message\n",
                   m ? "poll_events (batch of 64)" : "poll_event one at a time", t[m][0],
                   t[m][runs / 2]);
        }
    }
    return 0;
}
