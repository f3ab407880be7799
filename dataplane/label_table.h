/*
 * label_table: exact-match MPLS label lookup of one substrate switch.
 *
 * Labels are per receiving port (a per-interface label space): the key is
 * (port index, label), so one virtual link can use the same label on every
 * hop in both directions and an in-use label on one port says nothing
 * about another.  The value is an opaque pointer (the dataplane's label
 * entry: pop to a vport, or swap and send on).
 *
 * Open addressing with linear probing; the table only grows on the
 * control path (while the workers are paused), and a lookup on the fast
 * path is one hash and usually one cache line.
 */
#ifndef LAMINA_LABEL_TABLE_H
#define LAMINA_LABEL_TABLE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct label_slot {
    uint64_t key;                   /* 0: empty; else (port+1) << 20 | label */
    void *value;
};

struct label_table {
    struct label_slot *slots;
    uint32_t mask;
    uint32_t n;
};

int label_table_init(struct label_table *);
void label_table_destroy(struct label_table *);

/* Adds (port, label) -> value.  Returns 0, EEXIST if the pair is taken,
 * EINVAL for a label outside 16..2^20-1, or ENOMEM. */
int label_table_add(struct label_table *, uint32_t port, uint32_t label,
                    void *value);

/* Removes (port, label); returns 0 or ENOENT. */
int label_table_del(struct label_table *, uint32_t port, uint32_t label);

/* Returns the value of (port, label) or NULL. */
void *label_table_lookup(const struct label_table *, uint32_t port,
                         uint32_t label);

/* True if (port, label) is in use. */
static inline bool
label_table_contains(const struct label_table *t, uint32_t port,
                     uint32_t label)
{
    return label_table_lookup(t, port, label) != NULL;
}

#endif /* LAMINA_LABEL_TABLE_H */
