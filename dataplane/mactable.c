#include "mactable.h"

#include <errno.h>
#include <stdlib.h>

int
mactable_init(struct mactable *t, uint32_t capacity, uint32_t aging)
{
    uint32_t n = MACTABLE_PROBE;
    void *slots;

    while (n < capacity && n < (1u << 24)) {
        n <<= 1;
    }
    /* Buckets are cache lines: the hit path reads exactly one. */
    if (posix_memalign(&slots, 64, (size_t) n * sizeof *t->slots)) {
        return ENOMEM;
    }
    memset(slots, 0, (size_t) n * sizeof *t->slots);
    t->on = calloc((size_t) n * MACTABLE_ON_BITS / 64, sizeof *t->on);
    if (!t->on) {
        free(slots);
        return ENOMEM;
    }
    t->on_mask = n * MACTABLE_ON_BITS - 1;
    t->on_set = 0;
    t->n_rebuilt = 0;
    t->slots = slots;
    t->mask = n - 1;
    t->bmask = n / MACTABLE_WAYS - 1;
    t->bshift = 32 - __builtin_ctz(n / MACTABLE_WAYS);
    t->aging = aging;
    t->n_learned = 0;
    t->n_evicted = 0;
    t->n_moved = 0;
    return 0;
}

void
mactable_destroy(struct mactable *t)
{
    if (t) {
        free(t->slots);
        free(t->on);
        t->slots = NULL;
        t->on = NULL;
    }
}

/* The second hash of 'mac': independent of the first (another
 * multiplier), so keys that share a first bucket spread over others. */
static uint32_t
mactable_hash2(uint64_t mac)
{
    return (uint32_t) ((mac * 0xc2b2ae3d27d4eb4full) >> 32);
}

/* The second bucket of 'mac', whose first bucket is 'b1': never 'b1'
 * itself (a table has at least two buckets). */
static struct mactable_entry *
mactable_bucket2(const struct mactable *t, uint64_t mac,
                 const struct mactable_entry *b1)
{
    struct mactable_entry *b2 = mactable_bucket(t, mactable_hash2(mac));

    if (b2 == b1) {
        b2 = &t->slots[(size_t) (((b1 - t->slots) / MACTABLE_WAYS + 1) & t->bmask)
                       * MACTABLE_WAYS];
    }
    return b2;
}

/* The other candidate bucket of the entry 'e', which sits in bucket 'b'. */
static struct mactable_entry *
mactable_other_bucket(const struct mactable *t, const struct mactable_entry *e,
                      const struct mactable_entry *b)
{
    struct mactable_entry *b1 = mactable_bucket(t, mactable_hash(e->mac));

    return b1 == b ? mactable_bucket2(t, e->mac, b1) : b1;
}

/* A free way of bucket 'b' at 'now': an empty one, else a stale one, else
 * NULL. */
static struct mactable_entry *
mactable_free_way(const struct mactable *t, struct mactable_entry *b,
                  uint32_t now)
{
    struct mactable_entry *stale = NULL;

    for (int i = 0; i < MACTABLE_WAYS; i++) {
        if (!b[i].mac) {
            return &b[i];
        }
        if (!stale && !mactable_live(t, &b[i], now)) {
            stale = &b[i];
        }
    }
    return stale;
}

/* Makes room in bucket 'b' (all of whose ways are live) by moving one of
 * its entries to that entry's other bucket, where it is found as well.
 * Returns the way freed, or NULL when no entry's other bucket has room. */
static struct mactable_entry *
mactable_make_room(struct mactable *t, struct mactable_entry *b, uint32_t now)
{
    for (int i = 0; i < MACTABLE_WAYS; i++) {
        struct mactable_entry *o = mactable_other_bucket(t, &b[i], b);
        struct mactable_entry *to = mactable_free_way(t, o, now);

        if (to) {
            *to = b[i];
            t->n_moved++;
            return &b[i];
        }
    }
    return NULL;
}

/* Sets bit 'bit' of the summary; true if it was clear. */
static bool
mactable_on_set(struct mactable *t, uint32_t bit)
{
    uint64_t *w = &t->on[bit >> 6], m = 1ull << (bit & 63);

    if (*w & m) {
        return false;
    }
    *w |= m;
    return true;
}

/* Notes in the summary that 'mac' (of hash 'h') is now on 'port'.  Bits are never
 * cleared one by one (another key may share one), so a table whose
 * stations come and go would fill its summary up and make it say "maybe"
 * of everything: once a quarter of the bits are set (twice the table's
 * capacity; a rebuild sets at most one per entry), it is rebuilt from the
 * entries, a pass over the table paid at most once per capacity-many new
 * stations or moves. */
static void
mactable_on_add(struct mactable *t, uint32_t h, uint16_t port)
{
    if (!mactable_on_set(t, mactable_on_bit(t, h, port))
        || ++t->on_set <= (t->on_mask + 1) / 4) {
        return;
    }
    memset(t->on, 0, (size_t) (t->on_mask + 1) / 8);
    t->on_set = 0;
    for (uint32_t i = 0; i <= t->mask; i++) {
        const struct mactable_entry *e = &t->slots[i];

        if (e->mac) {
            t->on_set += mactable_on_set(t, mactable_on_bit(t, mactable_hash(e->mac),
                                                            e->port));
        }
    }
    t->n_rebuilt++;
}

void
mactable_learn__(struct mactable *t, uint64_t mac, uint32_t h, uint16_t port,
                 uint32_t now)
{
    struct mactable_entry *b1 = mactable_bucket(t, h), *b2, *victim;

    if (!mac || (mac & 1)) {
        return;                 /* zero or group address */
    }
    b2 = mactable_bucket2(t, mac, b1);
    for (int i = 0; i < 2 * MACTABLE_WAYS; i++) {
        struct mactable_entry *e = i < MACTABLE_WAYS ? &b1[i] : &b2[i - MACTABLE_WAYS];

        if (e->mac == mac) {
            e->seen = now;
            if (e->port != port) {
                e->port = port;
                t->n_learned++;
                mactable_on_add(t, h, port);
            }
            return;
        }
    }

    /* A new station: the first bucket if it has room, else the second,
     * else room made by a move, else the stalest of the eight. */
    victim = mactable_free_way(t, b1, now);
    if (!victim) {
        victim = mactable_free_way(t, b2, now);
    }
    if (!victim) {
        victim = mactable_make_room(t, b1, now);
    }
    if (!victim) {
        victim = mactable_make_room(t, b2, now);
    }
    if (!victim) {
        victim = b1;
        for (int i = 0; i < 2 * MACTABLE_WAYS; i++) {
            struct mactable_entry *e = i < MACTABLE_WAYS ? &b1[i] : &b2[i - MACTABLE_WAYS];

            if (now - e->seen > now - victim->seen) {
                victim = e;
            }
        }
        t->n_evicted++;
    }
    victim->mac = mac;
    victim->port = port;
    victim->seen = now;
    t->n_learned++;
    mactable_on_add(t, h, port);
}

uint16_t
mactable_lookup__(const struct mactable *t, uint64_t mac, uint32_t h,
                  uint32_t now)
{
    const struct mactable_entry *b1 = mactable_bucket(t, h);
    const struct mactable_entry *b2;
    unsigned m;

    /* (A key goes to its second bucket only when its first was full, but
     * the first may have lost entries since, by mactable_flush_port().) */
    if (!mac) {
        return MACTABLE_NONE;
    }
    b2 = mactable_bucket2(t, mac, b1);
    m = mactable_match(b2, mac);
    if (m) {
        const struct mactable_entry *e = &b2[__builtin_ctz(m)];

        return mactable_live(t, e, now) ? e->port : MACTABLE_NONE;
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
