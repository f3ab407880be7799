/*
 * ofp-extract: a frame's fields as an exact OXM match.  The parse itself
 * is inline in ofp-extract.h.
 */
#include "ofp-extract.h"

static void
match_put(void *m, enum ofp_field f, uint64_t value)
{
    ofp_match_set_u(m, f, value);
}

static void
match_put128(void *m, enum ofp_field f, const uint8_t *bytes)
{
    union ofp_value v;

    memset(&v, 0, sizeof v);
    memcpy(v.ipv6, bytes, 16);
    ofp_match_set(m, f, &v, NULL);
}

void
ofp_extract_match(const void *data, size_t len, struct ofp_match *m,
                  struct ofp_hdrs *h)
{
    struct ofp_hdrs hdrs;

    ofp_extract(data, len > UINT32_MAX ? UINT32_MAX : len, h ? h : &hdrs,
                match_put, match_put128, m);
}
