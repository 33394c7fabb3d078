/* Two userspace TCP endpoints talking in memory: a client connects to an
 * echo server, sends a message, reads the echo, and both close. Packets go
 * through a plain array instead of a network, and time is a counter moved
 * to the next timer: the whole exchange, TIME-WAIT included, runs in a
 * blink.
 *
 *   cc -std=c11 -I ffi/include examples/c/tcp_pair.c target/release/libwirestate.a \
 *      -lpthread -ldl -lm -o tcp_pair && ./tcp_pair
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "wirestate.h"

/* Packets are at most 1500 bytes (the default MTU), but a transmit buffer
 * must also hold the room the library keeps for the largest TCP header:
 * wirestate_tcp_endpoint_transmit_buffer_size says 1540 with the defaults. */
#define PACKET_BUFFER 1540
#define MAX_PACKETS 64

/* Packets in flight: each goes to the other endpoint at the next step. */
struct wire {
    uint8_t data[MAX_PACKETS][PACKET_BUFFER];
    size_t len[MAX_PACKETS];
    int to[MAX_PACKETS];
    int count;
};

static uint64_t now_ns = 1000000000;

static int fail(const char *what, wirestate_result r) {
    fprintf(stderr, "%s: %s\n", what, wirestate_result_str(r));
    return 1;
}

/* Takes every packet endpoint `from` has to send and puts it on the wire. */
static void drain(wirestate_tcp_endpoint *ep, int from, struct wire *w) {
    for (;;) {
        wirestate_tcp_transmit t;
        if (w->count == MAX_PACKETS ||
            wirestate_tcp_endpoint_poll_transmit(ep, now_ns, w->data[w->count], PACKET_BUFFER, &t) !=
                WIRESTATE_RESULT_OK ||
            t.len == 0) {
            return;
        }
        w->len[w->count] = t.len;
        w->to[w->count] = 1 - from;
        w->count++;
    }
}

/* Delivers what is on the wire; when it is empty, moves the clock to the
 * next timer instead. Returns false once nothing is left to happen. */
static bool step(wirestate_tcp_endpoint *ep[2], struct wire *w) {
    if (w->count > 0) {
        for (int i = 0; i < w->count; i++) {
            wirestate_tcp_endpoint_receive_packet(ep[w->to[i]], now_ns, w->data[i], w->len[i]);
        }
        w->count = 0;
        return true;
    }
    uint64_t next = UINT64_MAX;
    for (int i = 0; i < 2; i++) {
        bool has;
        uint64_t at;
        wirestate_tcp_endpoint_poll_timeout(ep[i], &has, &at);
        if (has && at < next) {
            next = at;
        }
    }
    if (next == UINT64_MAX) {
        return false;
    }
    now_ns = next > now_ns ? next : now_ns;
    wirestate_tcp_endpoint_handle_timeout(ep[0], now_ns);
    wirestate_tcp_endpoint_handle_timeout(ep[1], now_ns);
    return true;
}

static const char *state_of(const wirestate_tcp_endpoint *ep, uint64_t id) {
    wirestate_tcp_state s;
    if (wirestate_tcp_endpoint_state(ep, id, &s) != WIRESTATE_RESULT_OK) {
        return "(gone)";
    }
    return wirestate_tcp_state_name(s);
}

int main(void) {
    wirestate_tcp_config *cfg;
    wirestate_result r = wirestate_tcp_config_new(&cfg);
    if (r != WIRESTATE_RESULT_OK) {
        return fail("config", r);
    }
    wirestate_tcp_config_set_nodelay(cfg, true);
    wirestate_tcp_endpoint *client, *server;
    if ((r = wirestate_tcp_endpoint_new_os_seeded(cfg, &client)) != WIRESTATE_RESULT_OK ||
        (r = wirestate_tcp_endpoint_new_os_seeded(cfg, &server)) != WIRESTATE_RESULT_OK) {
        return fail("endpoint", r);
    }
    wirestate_tcp_config_free(cfg);
    wirestate_tcp_endpoint *ep[2] = {client, server};

    wirestate_socket_addr caddr, saddr;
    wirestate_socket_addr_parse("10.0.0.1:40000", 14, &caddr);
    wirestate_socket_addr_parse("10.0.0.2:7", 10, &saddr);
    if ((r = wirestate_tcp_endpoint_listen(server, &saddr)) != WIRESTATE_RESULT_OK) {
        return fail("listen", r);
    }
    uint64_t conn;
    if ((r = wirestate_tcp_endpoint_connect(client, now_ns, &caddr, &saddr, &conn)) !=
        WIRESTATE_RESULT_OK) {
        return fail("connect", r);
    }
    printf("client: connecting (%s)\n", state_of(client, conn));

    const char *message = "hello over a userspace TCP";
    char echo[64];
    size_t echoed = 0;
    struct wire w = {.count = 0};
    int closed = 0;
    do {
        drain(client, 0, &w);
        drain(server, 1, &w);
        wirestate_tcp_event ev;
        /* The server echoes what it reads and closes when the client does. */
        while (wirestate_tcp_endpoint_poll_event(server, &ev) == WIRESTATE_RESULT_OK &&
               ev.kind != WIRESTATE_TCP_EVENT_KIND_NONE) {
            uint8_t buf[256];
            size_t n, sent;
            char who[48];
            switch (ev.kind) {
            case WIRESTATE_TCP_EVENT_KIND_INCOMING:
                wirestate_socket_addr_format(&ev.remote, who, sizeof who, &n);
                printf("server: connection %llu from %s\n", (unsigned long long)ev.conn, who);
                break;
            case WIRESTATE_TCP_EVENT_KIND_READABLE:
                while (wirestate_tcp_endpoint_recv(server, ev.conn, buf, sizeof buf, &n) ==
                           WIRESTATE_RESULT_OK &&
                       n > 0) {
                    wirestate_tcp_endpoint_send(server, ev.conn, buf, n, &sent);
                }
                break;
            case WIRESTATE_TCP_EVENT_KIND_PEER_FINISHED:
                printf("server: client finished, closing (%s)\n", state_of(server, ev.conn));
                wirestate_tcp_endpoint_close(server, now_ns, ev.conn);
                break;
            case WIRESTATE_TCP_EVENT_KIND_CLOSED:
                printf("server: connection %llu closed\n", (unsigned long long)ev.conn);
                closed++;
                break;
            default:
                break;
            }
        }
        /* The client sends once connected, reads the echo, then closes. */
        while (wirestate_tcp_endpoint_poll_event(client, &ev) == WIRESTATE_RESULT_OK &&
               ev.kind != WIRESTATE_TCP_EVENT_KIND_NONE) {
            size_t n;
            switch (ev.kind) {
            case WIRESTATE_TCP_EVENT_KIND_CONNECTED:
                printf("client: connected (%s), sending \"%s\"\n", state_of(client, conn),
                       message);
                wirestate_tcp_endpoint_send(client, conn, (const uint8_t *)message,
                                            strlen(message), &n);
                break;
            case WIRESTATE_TCP_EVENT_KIND_READABLE:
                while (wirestate_tcp_endpoint_recv(client, conn, (uint8_t *)echo + echoed,
                                                   sizeof echo - echoed, &n) ==
                           WIRESTATE_RESULT_OK &&
                       n > 0) {
                    echoed += n;
                }
                if (echoed == strlen(message)) {
                    printf("client: echo \"%.*s\", closing\n", (int)echoed, echo);
                    wirestate_tcp_endpoint_close(client, now_ns, conn);
                }
                break;
            case WIRESTATE_TCP_EVENT_KIND_PEER_FINISHED:
                printf("client: server finished (%s)\n", state_of(client, conn));
                break;
            case WIRESTATE_TCP_EVENT_KIND_CLOSED:
                printf("client: connection closed after TIME-WAIT, at %.1f s\n",
                       (double)now_ns / 1e9);
                closed++;
                break;
            default:
                break;
            }
        }
    } while (step(ep, &w));

    wirestate_tcp_endpoint_free(client);
    wirestate_tcp_endpoint_free(server);
    bool ok = closed == 2 && echoed == strlen(message) && memcmp(echo, message, echoed) == 0;
    printf("%s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
