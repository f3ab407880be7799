#include "mactable.h"

#include <errno.h>
#include <stdlib.h>

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
mactable_learn__(struct mactable *t, uint64_t mac, uint16_t port, uint32_t now)
{
    struct mactable_entry *victim = NULL;
    uint32_t h = mactable_hash(mac);

    if (!mac || (mac & 1)) {
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
