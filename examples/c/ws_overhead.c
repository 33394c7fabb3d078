/* ws_overhead [messages] — the C side of the boundary measurement: a client
 * sends 16-byte binary messages, the bytes move to the server, the server
 * polls its event; prints nanoseconds per message. Compare with the core
 * through Rust: cargo test --release -p wirestate-ffi -- --ignored --nocapture overhead
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

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void pump(wirestate_ws_conn *from, wirestate_ws_conn *to) {
    const uint8_t *data;
    size_t len;
    OK(wirestate_ws_conn_pending_output(from, &data, &len));
    OK(wirestate_ws_conn_receive_data(to, data, len));
    OK(wirestate_ws_conn_consume_output(from, len));
}

static double run(uint64_t n) {
    static const uint8_t seed[16] = {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7};
    wirestate_ws_config *cfg;
    wirestate_ws_conn *client, *server;
    wirestate_ws_event ev;
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
    uint64_t got = 0, start = now_ns();
    for (uint64_t i = 0; i < n; i++) {
        OK(wirestate_ws_conn_send_binary(client, msg, sizeof msg));
        pump(client, server);
        for (;;) {
            OK(wirestate_ws_conn_poll_event(server, &ev));
            if (ev.kind == WIRESTATE_WS_EVENT_KIND_NONE) break;
            if (ev.kind == WIRESTATE_WS_EVENT_KIND_BINARY) got += ev.len;
        }
    }
    double ns = (double)(now_ns() - start) / (double)n;
    if (got != 16 * n) {
        fprintf(stderr, "lost messages\n");
        exit(1);
    }
    wirestate_ws_conn_free(client);
    wirestate_ws_conn_free(server);
    return ns;
}

int main(int argc, char **argv) {
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
    run(n / 10);
    double best = 1e30;
    for (int i = 0; i < 5; i++) {
        double ns = run(n);
        if (ns < best) best = ns;
    }
    printf("C API from C, 16-byte messages, best of 5: %.1f ns/message\n", best);
    return 0;
}
