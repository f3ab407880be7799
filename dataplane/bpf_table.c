/*
 * bpf_table: tables for eBPF forwarding planes (see bpf_table.h).
 */
#include "bpf_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const bpft_names[] = { "hash", "array", "lpm" };

bool
bpft_type_parse(const char *s, enum bpft_type *type)
{
    for (int i = 0; i < 3; i++) {
        if (!strcmp(s, bpft_names[i])) {
            *type = i;
            return true;
        }
    }
    return false;
}

const char *
bpft_type_name(enum bpft_type type)
{
    return bpft_names[type];
}

int
bpft_init(struct bpft *t, enum bpft_type type, uint32_t size)
{
    memset(t, 0, sizeof *t);
    if (!size || size > BPFT_MAX_SIZE) {
        return EINVAL;
    }
    t->type = type;
    t->size = size;
    if (type == BPFT_ARRAY) {
        t->array = malloc((size_t) size * sizeof *t->array);
        if (!t->array) {
            return ENOMEM;
        }
        memset(t->array, 0xff, (size_t) size * sizeof *t->array);
        return 0;
    }
    uint32_t slots = 8;
    while (slots < 2 * size) {
        slots *= 2;
    }
    t->slots = calloc(slots, sizeof *t->slots);
    if (!t->slots) {
        return ENOMEM;
    }
    t->mask = slots - 1;
    return 0;
}

void
bpft_destroy(struct bpft *t)
{
    if (t) {
        free(t->slots);
        free(t->array);
        t->slots = NULL;
        t->array = NULL;
    }
}

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

uint64_t
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

int
bpft_update(struct bpft *t, uint64_t k0, uint64_t k1, unsigned plen,
            uint64_t value)
{
    if (value == BPFT_MISS) {
        return EINVAL;
    }
    if (t->type == BPFT_ARRAY) {
        if (k0 >= t->size || k1) {
            return EINVAL;
        }
        t->n += t->array[k0] == BPFT_MISS;
        t->array[k0] = value;
        return 0;
    }
    if (t->type == BPFT_HASH) {
        plen = 0;
    } else if (plen > 128) {
        return EINVAL;
    } else {
        bpft_mask(&k0, &k1, plen);
    }
    struct bpft_entry *e = &t->slots[bpft_probe(t, k0, k1, plen)];
    if (!e->used) {
        if (t->n >= t->size) {
            return ENOSPC;
        }
        e->used = 1;
        e->k0 = k0;
        e->k1 = k1;
        e->plen = plen;
        t->n++;
        if (t->type == BPFT_LPM) {
            t->plen_count[plen]++;
        }
    }
    e->value = value;
    return 0;
}

int
bpft_delete(struct bpft *t, uint64_t k0, uint64_t k1, unsigned plen)
{
    if (t->type == BPFT_ARRAY) {
        if (k0 >= t->size || k1 || t->array[k0] == BPFT_MISS) {
            return ENOENT;
        }
        t->array[k0] = BPFT_MISS;
        t->n--;
        return 0;
    }
    if (t->type == BPFT_HASH) {
        plen = 0;
    } else if (plen > 128) {
        return ENOENT;
    } else {
        bpft_mask(&k0, &k1, plen);
    }
    uint32_t i = bpft_probe(t, k0, k1, plen);
    if (!t->slots[i].used) {
        return ENOENT;
    }
    if (t->type == BPFT_LPM) {
        t->plen_count[plen]--;
    }
    t->n--;
    /* Backward shift: move up each later entry of the run that the hole
     * now separates from its home slot. */
    uint32_t hole = i, j = i;
    for (;;) {
        j = (j + 1) & t->mask;
        struct bpft_entry *e = &t->slots[j];
        if (!e->used) {
            break;
        }
        uint32_t home = bpft_hash(e->k0, e->k1, e->plen) & t->mask;
        /* Keep e where it is if its home lies cyclically in (hole, j]. */
        if (((j - home) & t->mask) < ((j - hole) & t->mask)) {
            continue;
        }
        t->slots[hole] = *e;
        hole = j;
    }
    memset(&t->slots[hole], 0, sizeof t->slots[hole]);
    return 0;
}

void
bpft_foreach(const struct bpft *t,
             void (*cb)(uint64_t, uint64_t, unsigned, uint64_t, void *),
             void *aux)
{
    if (t->type == BPFT_ARRAY) {
        for (uint32_t i = 0; i < t->size; i++) {
            if (t->array[i] != BPFT_MISS) {
                cb(i, 0, 0, t->array[i], aux);
            }
        }
        return;
    }
    for (uint32_t i = 0; i <= t->mask; i++) {
        const struct bpft_entry *e = &t->slots[i];
        if (e->used) {
            cb(e->k0, e->k1, e->plen, e->value, aux);
        }
    }
}
