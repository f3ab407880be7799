#include "ofp-framer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void
ofp_framer_init(struct ofp_framer *f)
{
    f->buf = NULL;
    f->start = f->end = f->allocated = 0;
}

void
ofp_framer_destroy(struct ofp_framer *f)
{
    if (f) {
        free(f->buf);
        ofp_framer_init(f);
    }
}

void *
ofp_framer_space(struct ofp_framer *f, size_t n)
{
    /* Move the unconsumed tail to the front before growing: messages are
     * handed out in order, so the front is free. */
    if (f->start && f->allocated - f->end < n) {
        memmove(f->buf, f->buf + f->start, f->end - f->start);
        f->end -= f->start;
        f->start = 0;
    }
    if (f->allocated - f->end < n) {
        size_t want = MAX(f->allocated * 2, (size_t) 65536);
        while (want - f->end < n) {
            want *= 2;
        }
        f->buf = xrealloc(f->buf, want);
        f->allocated = want;
    }
    return f->buf + f->end;
}

void
ofp_framer_commit(struct ofp_framer *f, size_t n)
{
    f->end += n;
}

void
ofp_framer_feed(struct ofp_framer *f, const void *data, size_t n)
{
    if (n) {
        memcpy(ofp_framer_space(f, n), data, n);
        ofp_framer_commit(f, n);
    }
}

size_t
ofp_frame_len(const void *p_, size_t avail)
{
    const uint8_t *p = p_;
    size_t len;

    if (avail < 4) {
        return 0;
    }
    len = (size_t) p[2] << 8 | p[3];
    if (len < 8) {
        return (size_t) -1;
    }
    return len <= avail ? len : 0;
}

int
ofp_framer_next(struct ofp_framer *f, const uint8_t **msg, size_t *len)
{
    size_t n;

    if (!f->buf) {
        return EAGAIN;
    }
    n = ofp_frame_len(f->buf + f->start, f->end - f->start);
    if (n == (size_t) -1) {
        return EBADMSG;
    }
    if (!n) {
        if (f->start == f->end) {
            f->start = f->end = 0;
        }
        return EAGAIN;
    }
    *msg = f->buf + f->start;
    *len = n;
    f->start += n;
    return 0;
}
