#include "ofp-arena.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

struct ofp_arena_block {
    struct ofp_arena_block *next;
    size_t size;
    _Alignas(16) uint8_t data[];
};

void
ofp_arena_init(struct ofp_arena *a)
{
    a->next = a->inline_block;
    a->left = sizeof a->inline_block;
    a->blocks = NULL;
}

void
ofp_arena_destroy(struct ofp_arena *a)
{
    if (!a) {
        return;
    }
    while (a->blocks) {
        struct ofp_arena_block *b = a->blocks;
        a->blocks = b->next;
        free(b);
    }
    ofp_arena_init(a);
}

/* Starts a new heap block big enough for 'n' (at least 16 kB, so that a
 * 64 kB message needs a handful of blocks at most). */
void *
ofp_arena_alloc_slow(struct ofp_arena *a, size_t n)
{
    size_t size = MAX(n, (size_t) 16384);
    struct ofp_arena_block *b = xmalloc(sizeof *b + size);

    b->next = a->blocks;
    b->size = size;
    a->blocks = b;
    a->next = b->data + n;
    a->left = size - n;
    memset(b->data, 0, n);
    return b->data;
}
