/*
 * mactable: the MAC learning table of one l2learn vnode.
 *
 * Every vnode has its own table, so slices may reuse the same addresses:
 * a MAC learned in "red" is invisible to "blue".  The table is a fixed
 * array sized at creation (no allocation on the fast path) with linear
 * probing over a short window; when the window is full, the stalest entry
 * gives way.  Entries age out lazily: a lookup ignores an entry not seen
 * for 'aging' seconds, so no sweeper is needed.
 *
 * A key is a 48-bit address; its caller may put more in the top 16 bits
 * (l2learn puts the frame's VLAN there, so that it learns per (VLAN, MAC)):
 * the table hashes and compares all 64.
 *
 * Time is a coarse seconds counter supplied by the caller (the worker
 * updates it once per poll round), which keeps the module testable.
 * Single writer: only the worker that serves the vnode's switch.
 */
#ifndef LAMINA_MACTABLE_H
#define LAMINA_MACTABLE_H 1

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define MACTABLE_PROBE 8            /* slots examined per operation */
#define MACTABLE_NONE 0xffff

struct mactable_entry {
    uint64_t mac;                   /* key (address, caller's top bits); 0: empty */
    uint32_t seen;                  /* seconds, caller's clock */
    uint16_t port;                  /* vport index */
    uint16_t pad;
};

struct mactable {
    struct mactable_entry *slots;
    uint32_t mask;                  /* capacity - 1, capacity a power of 2 */
    uint32_t aging;                 /* seconds */
    uint64_t n_learned;             /* new entries or moves */
    uint64_t n_evicted;             /* live entries replaced for room */
};

/* Creates a table with room for at least 'capacity' entries that ages
 * entries after 'aging' seconds.  Returns 0 or ENOMEM. */
int mactable_init(struct mactable *, uint32_t capacity, uint32_t aging);
void mactable_destroy(struct mactable *);

/* The table's key for the 6 bytes at 'mac': the bytes in memory order,
 * read as a little-endian number (byte 0 is the low byte, so the group
 * bit is bit 0).  One load where 8 bytes may be read (inside a frame
 * header) is mactable_key8(). */
static inline uint64_t
mactable_key(const uint8_t *mac)
{
    uint64_t k = 0;
    memcpy(&k, mac, 6);
    return k;
}

/* The same key from 8 readable bytes at 'p' (e.g. a frame's dst or src). */
static inline uint64_t
mactable_key8(const uint8_t *p)
{
    uint64_t k;
    memcpy(&k, p, 8);
    return k & 0xffffffffffffull;
}

/* The address byte 'i' (0..5) of a key, for printing. */
static inline uint8_t
mactable_key_byte(uint64_t key, int i)
{
    return key >> (8 * i);
}

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

/* Records that 'mac' was seen on 'port' at time 'now', the slow way:
 * a new entry, a move, or eviction (mactable_learn() tries the fast way). */
void mactable_learn__(struct mactable *, uint64_t mac, uint16_t port, uint32_t now);

/* Records that 'mac' was seen on 'port' at time 'now'.  Group addresses
 * are never learned.
 *
 * A known station seen again where it was is found anywhere in its probe
 * window without a call, and its age is refreshed lazily: 'seen' is
 * written only when the second changed, so a station's cache line is
 * dirtied at most once a second, not once a packet (a table larger than
 * the cache would otherwise write every line it reads back to memory). */
static inline void
mactable_learn(struct mactable *t, uint64_t mac, uint16_t port, uint32_t now)
{
    uint32_t h = mactable_hash(mac);

    for (uint32_t i = 0; i < MACTABLE_PROBE; i++) {
        struct mactable_entry *e = &t->slots[(h + i) & t->mask];

        if (e->mac == mac) {
            if (e->port != port || !mac) {
                break;                  /* a move: the slow way counts it */
            }
            if (e->seen != now) {
                e->seen = now;
            }
            return;
        }
        if (!e->mac) {
            break;                      /* not in the table */
        }
    }
    mactable_learn__(t, mac, port, now);
}

/* Starts loading the slots where 'mac' would be, for a lookup or a learn
 * a few packets later (fp_l2learn prefetches a whole burst first). */
static inline void
mactable_prefetch(const struct mactable *t, uint64_t mac)
{
    __builtin_prefetch(&t->slots[mactable_hash(mac) & t->mask], 0, 3);
}

/* Returns the port 'mac' was last seen on, or MACTABLE_NONE when unknown
 * or aged out. */
static inline uint16_t
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

/* Forgets every entry pointing to 'port' (the port went away). */
void mactable_flush_port(struct mactable *, uint16_t port);

/* Number of live entries at 'now' (control path: scans the table). */
uint32_t mactable_count(const struct mactable *, uint32_t now);

#endif /* LAMINA_MACTABLE_H */
