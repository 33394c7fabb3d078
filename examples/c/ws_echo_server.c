/* ws_echo_server IP:PORT — a WebSocket echo server in C on kernel sockets,
 * driven by one poll(2) loop over every connection. It serves the same
 * protocol as examples/ws_echo_server.rs: any path, permessage-deflate when
 * offered, every text and binary message echoed as the same kind, automatic
 * pongs, the closing handshake answered; it runs until killed.
 *
 * Build (after `cargo build --release -p wirestate-ffi`):
 *   cc -std=c11 -Wall -Wextra -Werror -O2 -I ffi/include examples/c/ws_echo_server.c \
 *      target/release/libwirestate.a -lpthread -ldl -lm -o ws_echo_server
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "wirestate.h"

#define MAX_CONNS 1024
#define READ_SIZE (256 * 1024)

struct client {
    int fd;
    wirestate_ws_conn *conn;
};

static struct client clients[MAX_CONNS];
static size_t nclients;
static wirestate_ws_config *config;
static uint8_t readbuf[READ_SIZE];

/* The clock wirestate sees: CLOCK_MONOTONIC in nanoseconds. */
static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, wirestate_result r) {
    fprintf(stderr, "ws_echo_server: %s: %s\n", what, wirestate_result_str(r));
    exit(1);
}

static void make_config(void) {
    wirestate_result r;
    if ((r = wirestate_ws_config_new(&config)) != WIRESTATE_RESULT_OK) die("config", r);
    /* Autobahn's 9.x cases send messages of up to 16 MiB. */
    wirestate_ws_config_set_compression(config, true);
    wirestate_ws_config_set_max_message_size(config, (size_t)64 << 20);
    wirestate_ws_config_set_max_frame_size(config, (size_t)64 << 20);
    wirestate_ws_config_set_max_write_buffer(config, (size_t)256 << 20);
    wirestate_ws_config_set_close_timeout(config, 5000000000u);
    wirestate_ws_config_set_open_timeout(config, 30000000000u);
}

/* Writes as much queued output as the socket takes. Returns -1 when the
 * socket failed. */
static int flush(struct client *c) {
    for (;;) {
        const uint8_t *data;
        size_t len;
        if (wirestate_ws_conn_pending_output(c->conn, &data, &len) != WIRESTATE_RESULT_OK) {
            return -1;
        }
        if (len == 0) return 0;
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            return -1;
        }
        wirestate_ws_conn_consume_output(c->conn, (size_t)n);
    }
}

/* Handles every pending event, up to 64 per call: accept requests, echo
 * messages. The payloads of a batch stay valid while replies are sent. */
static void handle_events(struct client *c) {
    wirestate_ws_event evs[64];
    size_t n;
    do {
        if (wirestate_ws_conn_poll_events(c->conn, evs, 64, &n) != WIRESTATE_RESULT_OK) return;
        for (size_t i = 0; i < n; i++) {
            const wirestate_ws_event *ev = &evs[i];
            switch (ev->kind) {
            case WIRESTATE_WS_EVENT_KIND_REQUEST:
                wirestate_ws_conn_accept(c->conn, NULL, 0, NULL, 0);
                break;
            case WIRESTATE_WS_EVENT_KIND_TEXT:
            case WIRESTATE_WS_EVENT_KIND_BINARY:
                /* The payload may be passed straight back. Fails only once
                 * the connection is closing: then there is nothing to echo
                 * to. */
                wirestate_ws_conn_send_message(
                    c->conn, ev->message_kind, ev->data, ev->len,
                    ev->kind == WIRESTATE_WS_EVENT_KIND_TEXT || ev->len > 64);
                break;
            default:
                break;
            }
        }
    } while (n > 0);
}

static void drop_client(size_t i) {
    close(clients[i].fd);
    wirestate_ws_conn_free(clients[i].conn);
    clients[i] = clients[--nclients];
}

static int listen_on(const char *arg) {
    char host[256];
    const char *colon = strrchr(arg, ':');
    if (colon == NULL || (size_t)(colon - arg) >= sizeof host) {
        fprintf(stderr, "usage: ws_echo_server IP:PORT\n");
        exit(2);
    }
    memcpy(host, arg, (size_t)(colon - arg));
    host[colon - arg] = '\0';
    char *h = host;
    if (h[0] == '[') { /* [::1]:9001 */
        h++;
        h[strlen(h) - 1] = '\0';
    }
    struct addrinfo hints, *ai;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
    int rc = getaddrinfo(h, colon + 1, &hints, &ai);
    if (rc != 0) {
        fprintf(stderr, "ws_echo_server: %s: %s\n", arg, gai_strerror(rc));
        exit(2);
    }
    int fd = socket(ai->ai_family, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0) {
        fprintf(stderr, "ws_echo_server: cannot listen on %s: %s\n", arg, strerror(errno));
        exit(2);
    }
    freeaddrinfo(ai);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static void accept_clients(int lfd) {
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) return;
        if (nclients == MAX_CONNS) {
            close(fd);
            continue;
        }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        wirestate_ws_conn *conn = NULL;
        wirestate_result r = wirestate_ws_conn_new_server(config, &conn);
        if (r != WIRESTATE_RESULT_OK) {
            fprintf(stderr, "ws_echo_server: new connection: %s\n", wirestate_result_str(r));
            close(fd);
            continue;
        }
        /* Anchor the connection's clock (its open timeout counts from here). */
        wirestate_ws_conn_handle_timeout(conn, now_ns());
        clients[nclients].fd = fd;
        clients[nclients].conn = conn;
        nclients++;
    }
}

/* Reads what the socket has; returns -1 on a socket error. */
static int read_client(struct client *c) {
    for (;;) {
        ssize_t n = recv(c->fd, readbuf, sizeof readbuf, 0);
        if (n > 0) {
            wirestate_ws_conn_receive_data(c->conn, readbuf, (size_t)n);
            /* Events borrow the connection's memory: handle them before the
             * next read replaces it. */
            handle_events(c);
            if ((size_t)n < sizeof readbuf) return 0;
            continue;
        }
        if (n == 0) {
            wirestate_ws_conn_receive_eof(c->conn);
            return 0;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        return -1;
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: ws_echo_server IP:PORT\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    make_config();
    int lfd = listen_on(argv[1]);
    printf("ws_echo_server (C) listening on ws://%s\n", argv[1]);
    fflush(stdout);

    static struct pollfd fds[MAX_CONNS + 1];
    for (;;) {
        /* Poll: the listener, every client (writable only while output waits),
         * and the earliest timer. */
        fds[0].fd = lfd;
        fds[0].events = POLLIN;
        uint64_t now = now_ns();
        int64_t timeout_ms = -1;
        for (size_t i = 0; i < nclients; i++) {
            bool eof_done = false, has = false;
            size_t queued = 0;
            uint64_t at = 0;
            wirestate_ws_conn_should_close_transport(clients[i].conn, &eof_done);
            wirestate_ws_conn_buffered_amount(clients[i].conn, &queued);
            fds[i + 1].fd = clients[i].fd;
            fds[i + 1].events = (short)((eof_done ? 0 : POLLIN) | (queued > 0 ? POLLOUT : 0));
            fds[i + 1].revents = 0;
            wirestate_ws_conn_poll_timeout(clients[i].conn, &has, &at);
            if (has) {
                int64_t ms = at <= now ? 0 : (int64_t)((at - now + 999999) / 1000000);
                if (timeout_ms < 0 || ms < timeout_ms) timeout_ms = ms;
            }
        }
        int ready = poll(fds, nclients + 1, (int)(timeout_ms > 60000 ? 60000 : timeout_ms));
        if (ready < 0 && errno != EINTR) {
            perror("ws_echo_server: poll");
            return 1;
        }
        now = now_ns();
        size_t polled = nclients;
        /* Walk backwards so drop_client's swap-with-last is safe. */
        for (size_t i = polled; i-- > 0;) {
            struct client *c = &clients[i];
            int failed = 0;
            short re = fds[i + 1].revents;
            if (re & (POLLIN | POLLHUP | POLLERR)) failed |= read_client(c) < 0;
            wirestate_ws_conn_handle_timeout(c->conn, now);
            handle_events(c);
            if (!failed) failed |= flush(c) < 0;
            bool close_transport = false;
            size_t queued = 0;
            wirestate_ws_conn_should_close_transport(c->conn, &close_transport);
            wirestate_ws_conn_buffered_amount(c->conn, &queued);
            if (failed || (close_transport && queued == 0)) drop_client(i);
        }
        if (fds[0].revents & POLLIN) accept_clients(lfd);
    }
}
