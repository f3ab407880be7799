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
 * Time is a coarse seconds counter supplied by the caller (the worker
 * updates it once per poll round), which keeps the module testable.
 * Single writer: only the worker that serves the vnode's switch.
 */
#ifndef LAMINA_MACTABLE_H
#define LAMINA_MACTABLE_H 1

#include <stdbool.h>
#include <stdint.h>

#define MACTABLE_PROBE 8            /* slots examined per operation */
#define MACTABLE_NONE 0xffff

struct mactable_entry {
    uint64_t mac;                   /* 48-bit address; 0: empty slot */
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

/* Converts 6 bytes in network order to the table's key. */
static inline uint64_t
mactable_key(const uint8_t *mac)
{
    return ((uint64_t) mac[0] << 40) | ((uint64_t) mac[1] << 32)
           | ((uint64_t) mac[2] << 24) | ((uint64_t) mac[3] << 16)
           | ((uint64_t) mac[4] << 8) | mac[5];
}

/* Records that 'mac' was seen on 'port' at time 'now'.  Group addresses
 * are never learned. */
void mactable_learn(struct mactable *, uint64_t mac, uint16_t port, uint32_t now);

/* Returns the port 'mac' was last seen on, or MACTABLE_NONE when unknown
 * or aged out. */
uint16_t mactable_lookup(const struct mactable *, uint64_t mac, uint32_t now);

/* Forgets every entry pointing to 'port' (the port went away). */
void mactable_flush_port(struct mactable *, uint16_t port);

/* Number of live entries at 'now' (control path: scans the table). */
uint32_t mactable_count(const struct mactable *, uint32_t now);

#endif /* LAMINA_MACTABLE_H */
