#include "mactable.h"

#include <errno.h>
#include <stdlib.h>

static inline uint32_t
mactable_hash(uint64_t mac)
{
    /* Fibonacci hashing: the low bits of MACs are often sequential. */
    return (uint32_t) ((mac * 0x9e3779b97f4a7c15ull) >> 32);
}

static inline bool
mactable_live(const struct mactable *t, const struct mactable_entry *e,
              uint32_t now)
{
    return e->mac && now - e->seen <= t->aging;
}

int
mactable_init(struct mactable *t, uint32_t capacity, uint32_t aging)
{
    uint32_t n = MACTABLE_PROBE;

    while (n < capacity && n < (1u << 24)) {
        n <<= 1;
    }
    t->slots = calloc(n, sizeof *t->slots);
    if (!t->slots) {
        return ENOMEM;
    }
    t->mask = n - 1;
    t->aging = aging;
    t->n_learned = 0;
    t->n_evicted = 0;
    return 0;
}

void
mactable_destroy(struct mactable *t)
{
    if (t) {
        free(t->slots);
        t->slots = NULL;
    }
}

void
mactable_learn(struct mactable *t, uint64_t mac, uint16_t port, uint32_t now)
{
    struct mactable_entry *victim = NULL;
    uint32_t h = mactable_hash(mac);

    if (!mac || (mac >> 40) & 1) {
        return;                 /* zero or group address */
    }
    for (uint32_t i = 0; i < MACTABLE_PROBE; i++) {
        struct mactable_entry *e = &t->slots[(h + i) & t->mask];

        if (e->mac == mac) {
            if (e->port != port) {
                t->n_learned++;
            }
            e->port = port;
            e->seen = now;
            return;
        }
        if (!mactable_live(t, e, now)) {
            if (!victim || victim->mac) {
                victim = e;     /* prefer an empty slot over a stale one */
            }
        } else if (!victim || (victim->mac && mactable_live(t, victim, now)
                               && now - e->seen > now - victim->seen)) {
            victim = e;
        }
    }
    if (mactable_live(t, victim, now)) {
        t->n_evicted++;
    }
    victim->mac = mac;
    victim->port = port;
    victim->seen = now;
    t->n_learned++;
}

uint16_t
mactable_lookup(const struct mactable *t, uint64_t mac, uint32_t now)
{
    uint32_t h = mactable_hash(mac);

    for (uint32_t i = 0; i < MACTABLE_PROBE; i++) {
        const struct mactable_entry *e = &t->slots[(h + i) & t->mask];

        if (e->mac == mac) {
            return mactable_live(t, e, now) ? e->port : MACTABLE_NONE;
        }
    }
    return MACTABLE_NONE;
}

void
mactable_flush_port(struct mactable *t, uint16_t port)
{
    for (uint32_t i = 0; i <= t->mask; i++) {
        if (t->slots[i].mac && t->slots[i].port == port) {
            t->slots[i].mac = 0;
        }
    }
}

uint32_t
mactable_count(const struct mactable *t, uint32_t now)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i <= t->mask; i++) {
        n += mactable_live(t, &t->slots[i], now);
    }
    return n;
}
