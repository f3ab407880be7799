/*
 * tools-util.h: small helpers the tools share (they link no common
 * library of their own).
 */
#ifndef LAMINA_TOOLS_UTIL_H
#define LAMINA_TOOLS_UTIL_H 1

#include <stdint.h>

/* qsort() comparison of two uint64_t, ascending. */
static inline int
tools_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

    return x < y ? -1 : x > y;
}

#endif /* LAMINA_TOOLS_UTIL_H */
