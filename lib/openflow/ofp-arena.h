/*
 * ofp-arena: the memory behind one decoded OpenFlow message.
 *
 * A decoded message has variable parts (action lists, buckets, meter bands,
 * multipart entries).  Rather than one malloc per part, they are carved out
 * of an arena that lives inside struct ofp_msg: a FLOW_MOD with a few
 * actions fits in the inline block and costs no allocation at all; larger
 * messages chain heap blocks.  Everything is released at once by
 * ofp_arena_destroy() (through ofp_msg_free()).
 *
 * Because parts may point into the inline block, a decoded message must not
 * be copied by value: pass pointers to it.
 */
#ifndef LAMINA_OFP_ARENA_H
#define LAMINA_OFP_ARENA_H 1

#include <stddef.h>
#include <stdint.h>

#define OFP_ARENA_INLINE 2048

struct ofp_arena_block;

struct ofp_arena {
    uint8_t *next;                  /* Next free byte. */
    size_t left;                    /* Free bytes at 'next'. */
    struct ofp_arena_block *blocks; /* Heap blocks, newest first. */
    _Alignas(16) uint8_t inline_block[OFP_ARENA_INLINE];
};

/* Makes 'a' empty, using only its inline block. */
void ofp_arena_init(struct ofp_arena *a);

/* Frees the heap blocks of 'a' (which may be NULL) and empties it. */
void ofp_arena_destroy(struct ofp_arena *a);

/* Returns 'n' zeroed bytes aligned to 16; never NULL (aborts on OOM). */
void *ofp_arena_alloc_slow(struct ofp_arena *a, size_t n);

static inline void *
ofp_arena_alloc(struct ofp_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t) 15;
    if (n <= a->left) {
        void *p = a->next;
        a->next += n;
        a->left -= n;
        __builtin_memset(p, 0, n);
        return p;
    }
    return ofp_arena_alloc_slow(a, n);
}

#endif /* LAMINA_OFP_ARENA_H */
