#include "label_table.h"

#include <errno.h>
#include <stdlib.h>

#define LABEL_MIN 16
#define LABEL_MAX 0xfffffu

static inline uint64_t
label_key(uint32_t port, uint32_t label)
{
    return ((uint64_t) port + 1) << 20 | label;
}

static inline uint32_t
label_hash(uint64_t key)
{
    return (uint32_t) ((key * 0x9e3779b97f4a7c15ull) >> 32);
}

int
label_table_init(struct label_table *t)
{
    t->mask = 63;
    t->n = 0;
    t->slots = calloc(t->mask + 1, sizeof *t->slots);
    return t->slots ? 0 : ENOMEM;
}

void
label_table_destroy(struct label_table *t)
{
    if (t) {
        free(t->slots);
        t->slots = NULL;
    }
}

static void
label_table_insert__(struct label_slot *slots, uint32_t mask, uint64_t key,
                     void *value)
{
    for (uint32_t h = label_hash(key);; h++) {
        struct label_slot *s = &slots[h & mask];
        if (!s->key) {
            s->key = key;
            s->value = value;
            return;
        }
    }
}

/* Keeps the load under one half so probes stay short. */
static int
label_table_grow(struct label_table *t)
{
    uint32_t mask = t->mask * 2 + 1;
    struct label_slot *slots = calloc(mask + 1, sizeof *slots);

    if (!slots) {
        return ENOMEM;
    }
    for (uint32_t i = 0; i <= t->mask; i++) {
        if (t->slots[i].key) {
            label_table_insert__(slots, mask, t->slots[i].key, t->slots[i].value);
        }
    }
    free(t->slots);
    t->slots = slots;
    t->mask = mask;
    return 0;
}

int
label_table_add(struct label_table *t, uint32_t port, uint32_t label,
                void *value)
{
    if (label < LABEL_MIN || label > LABEL_MAX || !value) {
        return EINVAL;
    }
    if (label_table_lookup(t, port, label)) {
        return EEXIST;
    }
    if ((t->n + 1) * 2 > t->mask + 1) {
        int error = label_table_grow(t);
        if (error) {
            return error;
        }
    }
    label_table_insert__(t->slots, t->mask, label_key(port, label), value);
    t->n++;
    return 0;
}

void *
label_table_lookup(const struct label_table *t, uint32_t port, uint32_t label)
{
    uint64_t key = label_key(port, label & LABEL_MAX);

    for (uint32_t h = label_hash(key);; h++) {
        const struct label_slot *s = &t->slots[h & t->mask];
        if (s->key == key) {
            return s->value;
        }
        if (!s->key) {
            return NULL;
        }
    }
}

int
label_table_del(struct label_table *t, uint32_t port, uint32_t label)
{
    uint64_t key = label_key(port, label);
    uint32_t i = label_hash(key) & t->mask;

    while (t->slots[i].key != key) {
        if (!t->slots[i].key) {
            return ENOENT;
        }
        i = (i + 1) & t->mask;
    }
    /* Backward-shift deletion keeps every probe chain unbroken. */
    for (uint32_t j = (i + 1) & t->mask; t->slots[j].key; j = (j + 1) & t->mask) {
        uint32_t home = label_hash(t->slots[j].key) & t->mask;
        bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            t->slots[i] = t->slots[j];
            i = j;
        }
    }
    t->slots[i].key = 0;
    t->slots[i].value = NULL;
    t->n--;
    return 0;
}
