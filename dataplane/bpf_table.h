/*
 * bpf_table: the tables of an "ebpf" forwarding plane (fp_ebpf.c), which
 * its programs reach through helper functions, since DPDK 22.11's rte_bpf
 * has no eBPF maps.
 *
 * A table maps 128-bit keys (k0 the most significant word) to 64-bit
 * values.  Three types: "hash" (exact key), "array" (index k0 < size) and
 * "lpm" (prefixes of 0..128 bits from k0's top bit; a lookup returns the
 * value of the longest prefix that covers the key).  Each holds at most
 * 'size' entries, fixed at creation: updates never allocate, so the fast
 * path can insert.  One writer at a time (the worker that serves the
 * vnode, or the control thread while workers are paused).
 *
 * Hash and lpm tables are open-addressed with linear probing and
 * backward-shift deletion, at most half full; an lpm table keeps one
 * such table of (masked key, prefix length) and probes the lengths in
 * use, longest first.
 */
#ifndef LAMINA_BPF_TABLE_H
#define LAMINA_BPF_TABLE_H 1

#include <stdbool.h>
#include <stdint.h>

#define BPFT_MISS UINT64_MAX
#define BPFT_MAX_SIZE (1u << 20)

enum bpft_type { BPFT_HASH, BPFT_ARRAY, BPFT_LPM };

struct bpft_entry {
    uint64_t k0, k1;
    uint64_t value;
    uint8_t used;
    uint8_t plen;                       /* lpm */
};

struct bpft {
    enum bpft_type type;
    uint32_t size;                      /* most entries */
    uint32_t n;                         /* entries held */
    uint32_t mask;                      /* slots - 1 (hash, lpm) */
    struct bpft_entry *slots;           /* hash, lpm */
    uint64_t *array;                    /* array */
    uint32_t plen_count[129];           /* lpm: entries per prefix length */
};

/* "hash", "array", "lpm" -> type; false if unknown. */
bool bpft_type_parse(const char *, enum bpft_type *);
const char *bpft_type_name(enum bpft_type);

/* Creates an empty table of at most 'size' (1..BPFT_MAX_SIZE) entries.
 * Returns 0 or ENOMEM / EINVAL. */
int bpft_init(struct bpft *, enum bpft_type, uint32_t size);
void bpft_destroy(struct bpft *);

/* The value for (k0, k1), or BPFT_MISS (inline below: the fast path). */
static inline uint64_t bpft_lookup(const struct bpft *, uint64_t k0, uint64_t k1);

/* Sets (k0, k1) (with prefix length 'plen' for lpm, ignored otherwise)
 * to 'value'.  Returns 0, ENOSPC (full), EINVAL (value BPFT_MISS, index
 * or plen out of range). */
int bpft_update(struct bpft *, uint64_t k0, uint64_t k1, unsigned plen,
                uint64_t value);

/* Removes (k0, k1)[/plen].  Returns 0 or ENOENT. */
int bpft_delete(struct bpft *, uint64_t k0, uint64_t k1, unsigned plen);

/* Calls 'cb' for each entry (plen is 0 for hash, the index in k0 for
 * array). */
void bpft_foreach(const struct bpft *,
                  void (*cb)(uint64_t k0, uint64_t k1, unsigned plen,
                             uint64_t value, void *aux), void *aux);

/* ---- Inline implementation ---------------------------------------------- */

static inline uint32_t
bpft_hash(uint64_t k0, uint64_t k1, unsigned plen)
{
    uint64_t h = (k0 ^ (k1 * 0xc2b2ae3d27d4eb4fULL) ^ plen) * 0x9e3779b97f4a7c15ULL;
    return (uint32_t) (h >> 32) ^ (uint32_t) h;
}

/* The slot holding (k0, k1, plen), or the first free slot of its probe
 * sequence. */
static inline uint32_t
bpft_probe(const struct bpft *t, uint64_t k0, uint64_t k1, unsigned plen)
{
    uint32_t i = bpft_hash(k0, k1, plen) & t->mask;

    for (;;) {
        const struct bpft_entry *e = &t->slots[i];
        if (!e->used || (e->k0 == k0 && e->k1 == k1 && e->plen == plen)) {
            return i;
        }
        i = (i + 1) & t->mask;
    }
}

/* (k0, k1) masked to its first 'plen' bits. */
static inline void
bpft_mask(uint64_t *k0, uint64_t *k1, unsigned plen)
{
    if (plen <= 64) {
        *k0 = plen ? *k0 & (~0ULL << (64 - plen)) : 0;
        *k1 = 0;
    } else {
        *k1 &= ~0ULL << (128 - plen);
    }
}

static inline uint64_t
bpft_lookup(const struct bpft *t, uint64_t k0, uint64_t k1)
{
    if (t->type == BPFT_ARRAY) {
        return k0 < t->size && !k1 ? t->array[k0] : BPFT_MISS;
    }
    if (t->type == BPFT_HASH) {
        const struct bpft_entry *e = &t->slots[bpft_probe(t, k0, k1, 0)];
        return e->used ? e->value : BPFT_MISS;
    }
    if (!t->n) {
        return BPFT_MISS;
    }
    for (int plen = 128; plen >= 0; plen--) {
        if (t->plen_count[plen]) {
            uint64_t m0 = k0, m1 = k1;
            bpft_mask(&m0, &m1, plen);
            const struct bpft_entry *e = &t->slots[bpft_probe(t, m0, m1, plen)];
            if (e->used) {
                return e->value;
            }
        }
    }
    return BPFT_MISS;
}

#endif /* LAMINA_BPF_TABLE_H */
