/* Helpers for tests that run two TCP endpoints over an in-memory link on a
 * virtual clock: a deterministic PRNG, a link that delays, drops, duplicates
 * and reorders packets, and a step function that jumps the clock to the next
 * delivery or timer. Nothing sleeps. */
#ifndef WIRESTATE_TEST_TCP_PAIR_H
#define WIRESTATE_TEST_TCP_PAIR_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define MS 1000000ull
/* Packets are at most 1500 bytes (the default MTU); transmit buffers need 40
 * more (wirestate_tcp_endpoint_transmit_buffer_size). */
#define LINK_BUFFER 1540
#define LINK_CAPACITY 4096

static const uint8_t TCP_SECRET_A[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t TCP_SECRET_B[16] = {16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1};

/* xorshift64*: the same sequence on every machine. */
static uint64_t prng_state = 0x9e3779b97f4a7c15ull;
static inline uint32_t prng(void) {
    prng_state ^= prng_state >> 12;
    prng_state ^= prng_state << 25;
    prng_state ^= prng_state >> 27;
    return (uint32_t)((prng_state * 0x2545f4914f6cdd1dull) >> 32);
}
/* True with probability per_mille / 1000. */
static inline int chance(unsigned per_mille) { return prng() % 1000 < per_mille; }

/* One packet on its way: a whole IP packet, or a bare segment with its
 * addresses (`segment` set). */
typedef struct {
    uint64_t at;
    int to; /* 0 or 1 */
    int segment;
    wirestate_ip_addr src, dst;
    size_t len;
    uint8_t data[LINK_BUFFER];
} packet;

typedef struct {
    wirestate_tcp_endpoint *ep[2];
    /* Endpoint i transmits bare segments instead of IP packets. */
    int use_segments[2];
    uint64_t now;
    uint64_t delay;
    size_t tx_cap[2]; /* transmit buffer handed to each endpoint */
    unsigned drop, duplicate, reorder; /* per mille */
    packet *pool;       /* LINK_CAPACITY packets */
    size_t *free_slots; /* indices of unused packets in `pool` */
    size_t n_free;
    struct slot {
        uint64_t at, seq;
        size_t index;
    } * heap; /* packets in flight, earliest (then first sent) on top */
    size_t in_flight;
    uint64_t seq;
    uint64_t sent, dropped, duplicated, reordered, delivered;
} tcp_link;

static inline void link_init(tcp_link *l, wirestate_tcp_endpoint *a, wirestate_tcp_endpoint *b) {
    memset(l, 0, sizeof *l);
    l->ep[0] = a;
    l->ep[1] = b;
    l->now = 1000 * MS;
    l->delay = 1 * MS;
    l->tx_cap[0] = l->tx_cap[1] = LINK_BUFFER;
    l->pool = malloc(sizeof(packet) * LINK_CAPACITY);
    l->free_slots = malloc(sizeof(size_t) * LINK_CAPACITY);
    l->heap = malloc(sizeof(struct slot) * LINK_CAPACITY);
    CHECK(l->pool != NULL && l->free_slots != NULL && l->heap != NULL);
    for (size_t i = 0; i < LINK_CAPACITY; i++) {
        l->free_slots[i] = LINK_CAPACITY - 1 - i;
    }
    l->n_free = LINK_CAPACITY;
}

static inline void link_free(tcp_link *l) {
    free(l->pool);
    free(l->free_slots);
    free(l->heap);
}

static inline int slot_before(const struct slot *a, const struct slot *b) {
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static inline void link_push(tcp_link *l, const packet *p) {
    if (l->n_free == 0) {
        l->dropped++;
        return;
    }
    size_t index = l->free_slots[--l->n_free];
    l->pool[index] = *p;
    struct slot s = {p->at, l->seq++, index};
    size_t i = l->in_flight++;
    while (i > 0 && slot_before(&s, &l->heap[(i - 1) / 2])) {
        l->heap[i] = l->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    l->heap[i] = s;
}

/* Removes the earliest packet from the heap and returns its pool index. */
static inline size_t link_pop(tcp_link *l) {
    size_t top = l->heap[0].index;
    struct slot last = l->heap[--l->in_flight];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= l->in_flight) {
            break;
        }
        if (c + 1 < l->in_flight && slot_before(&l->heap[c + 1], &l->heap[c])) {
            c++;
        }
        if (!slot_before(&l->heap[c], &last)) {
            break;
        }
        l->heap[i] = l->heap[c];
        i = c;
    }
    if (l->in_flight > 0) {
        l->heap[i] = last;
    }
    return top;
}

/* Takes everything endpoint `from` has to send and puts it on the link. */
static inline void link_drain(tcp_link *l, int from) {
    packet p;
    for (;;) {
        wirestate_tcp_transmit t;
        memset(&t, 0xa5, sizeof t);
        if (l->use_segments[from]) {
            CHECK_OK(wirestate_tcp_endpoint_poll_transmit_segment(l->ep[from], l->now, p.data,
                                                                  l->tx_cap[from], &t));
        } else {
            CHECK_OK(wirestate_tcp_endpoint_poll_transmit(l->ep[from], l->now, p.data,
                                                          l->tx_cap[from], &t));
        }
        if (t.len == 0) {
            break;
        }
        CHECK(t.len <= l->tx_cap[from] && t.len <= 1500);
        l->sent++;
        p.to = 1 - from;
        p.segment = l->use_segments[from];
        p.src = t.src.ip;
        p.dst = t.dst.ip;
        p.len = t.len;
        p.at = l->now + l->delay;
        if (chance(l->drop)) {
            l->dropped++;
            continue;
        }
        if (chance(l->reorder)) {
            l->reordered++;
            p.at += l->delay / 2 + prng() % (3 * l->delay);
        }
        link_push(l, &p);
        if (chance(l->duplicate)) {
            l->duplicated++;
            p.at += prng() % (2 * l->delay);
            link_push(l, &p);
        }
    }
}

/* Hands every packet due by now to its endpoint. */
static inline void link_deliver(tcp_link *l) {
    while (l->in_flight > 0 && l->heap[0].at <= l->now) {
        size_t index = link_pop(l);
        packet *p = &l->pool[index];
        l->delivered++;
        if (p->segment) {
            CHECK_OK(wirestate_tcp_endpoint_receive_segment(l->ep[p->to], l->now, &p->src, &p->dst,
                                                            p->data, p->len));
        } else {
            CHECK_OK(wirestate_tcp_endpoint_receive_packet(l->ep[p->to], l->now, p->data, p->len));
        }
        l->free_slots[l->n_free++] = index;
    }
}

/* Moves the clock to the next delivery or timer, delivers and fires what
 * is due. Returns 0 when nothing is left to happen. */
static inline int link_step(tcp_link *l) {
    uint64_t next = l->in_flight > 0 ? l->heap[0].at : UINT64_MAX;
    for (int i = 0; i < 2; i++) {
        bool has = false;
        uint64_t at = 0;
        CHECK_OK(wirestate_tcp_endpoint_poll_timeout(l->ep[i], &has, &at));
        if (has && at < next) {
            next = at;
        }
    }
    if (next == UINT64_MAX) {
        return 0;
    }
    if (next > l->now) {
        l->now = next;
    }
    link_deliver(l);
    CHECK_OK(wirestate_tcp_endpoint_handle_timeout(l->ep[0], l->now));
    CHECK_OK(wirestate_tcp_endpoint_handle_timeout(l->ep[1], l->now));
    return 1;
}

static inline wirestate_tcp_event tcp_next_event(wirestate_tcp_endpoint *ep) {
    wirestate_tcp_event ev;
    memset(&ev, 0xa5, sizeof ev);
    CHECK_OK(wirestate_tcp_endpoint_poll_event(ep, &ev));
    return ev;
}

static inline wirestate_socket_addr sockaddr_of(const char *text) {
    wirestate_socket_addr a;
    memset(&a, 0, sizeof a);
    CHECK_OK(wirestate_socket_addr_parse(text, strlen(text), &a));
    return a;
}

static inline wirestate_tcp_endpoint *endpoint_new(const wirestate_tcp_config *cfg,
                                                   const uint8_t secret[16]) {
    wirestate_tcp_endpoint *ep = NULL;
    CHECK_OK(wirestate_tcp_endpoint_new(cfg, secret, &ep));
    CHECK(ep != NULL);
    return ep;
}

/* Two socket addresses are equal (field by field: the structs have padding). */
static inline int sockaddr_eq(const wirestate_socket_addr *a, const wirestate_socket_addr *b) {
    return a->ip.family == b->ip.family && a->port == b->port &&
           memcmp(a->ip.bytes, b->ip.bytes, a->ip.family == WIRESTATE_IP_FAMILY_V4 ? 4 : 16) == 0;
}

/* The connection's state, or 99 when the call fails. */
static inline uint32_t tcp_state_of(const wirestate_tcp_endpoint *ep, uint64_t id) {
    wirestate_tcp_state s = 99;
    if (wirestate_tcp_endpoint_state(ep, id, &s) != WIRESTATE_RESULT_OK) {
        return 99;
    }
    return (uint32_t)s;
}

#endif
