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
