/*
 * ofp-framer: cutting a TCP byte stream into OpenFlow messages.
 *
 * OpenFlow runs over a byte stream; a read() may return half a message or
 * several.  The framer collects bytes (ofp_framer_feed()) and hands out
 * complete messages by the length in their ofp_header
 * (ofp_framer_next()).  A header whose length is below 8 can never be
 * followed by a valid message: the stream is broken and the connection
 * must be closed (EBADMSG).
 *
 * The caller can also read straight into the framer's free space
 * (ofp_framer_space(), ofp_framer_commit()) to save a copy.
 */
#ifndef LAMINA_OFP_FRAMER_H
#define LAMINA_OFP_FRAMER_H 1

#include <stddef.h>
#include <stdint.h>

struct ofp_framer {
    uint8_t *buf;
    size_t start;               /* First unconsumed byte. */
    size_t end;                 /* One past the last received byte. */
    size_t allocated;
};

void ofp_framer_init(struct ofp_framer *);
void ofp_framer_destroy(struct ofp_framer *);   /* Accepts NULL. */

/* Appends 'n' received bytes. */
void ofp_framer_feed(struct ofp_framer *, const void *data, size_t n);

/* Returns a pointer to at least 'n' bytes of free space, for read(). */
void *ofp_framer_space(struct ofp_framer *, size_t n);

/* Declares that 'n' bytes were written into the space. */
void ofp_framer_commit(struct ofp_framer *, size_t n);

/* Takes the next complete message: returns 0 and sets '*msg' and '*len'
 * (valid until the next call on the framer), EAGAIN if more bytes are
 * needed, or EBADMSG if the stream is not OpenFlow. */
int ofp_framer_next(struct ofp_framer *, const uint8_t **msg, size_t *len);

/* Bytes received but not yet handed out. */
static inline size_t
ofp_framer_pending(const struct ofp_framer *f)
{
    return f->end - f->start;
}

/* Stateless form: given 'avail' bytes at 'p', returns the length of the
 * complete message at their start, 0 if more bytes are needed, or
 * (size_t) -1 if the header is invalid. */
size_t ofp_frame_len(const void *p, size_t avail);

#endif /* LAMINA_OFP_FRAMER_H */
