/*
 * ofpbuf: a growable byte buffer for building OpenFlow messages and text.
 *
 * Encoders append wire bytes with ofpbuf_put*(); because appending may move
 * the data, code that must patch a length field later remembers an offset
 * (ofpbuf_at()) rather than a pointer.  A buffer can be reused for many
 * messages with ofpbuf_clear(), which keeps its memory: on the slicer's fast
 * path an encoder then never allocates.
 *
 * Allocation failure aborts (xrealloc): a control-plane process without
 * memory for a 64 kB message has no sensible way on.
 */
#ifndef LAMINA_OFPBUF_H
#define LAMINA_OFPBUF_H 1

#include <stddef.h>
#include <stdint.h>

struct ofpbuf {
    uint8_t *data;          /* First byte; NULL until something is put. */
    size_t size;            /* Bytes in use. */
    size_t allocated;       /* Bytes allocated at 'data'. */
};

#define OFPBUF_INITIALIZER { NULL, 0, 0 }

/* Initializes 'b' empty, with room for 'capacity' bytes (0: none yet). */
void ofpbuf_init(struct ofpbuf *b, size_t capacity);

/* Frees the memory of 'b' (which may be NULL) and leaves it empty. */
void ofpbuf_uninit(struct ofpbuf *b);

/* Empties 'b' but keeps its memory for reuse. */
static inline void ofpbuf_clear(struct ofpbuf *b) { b->size = 0; }

/* Makes room for at least 'n' more bytes. */
void ofpbuf_prealloc(struct ofpbuf *b, size_t n);

/* Appends 'n' uninitialized bytes to 'b' and returns a pointer to them,
 * valid until the next call that grows 'b'. */
void *ofpbuf_put_uninit(struct ofpbuf *b, size_t n);

/* Appends 'n' zero bytes; returns a pointer to them. */
void *ofpbuf_put_zeros(struct ofpbuf *b, size_t n);

/* Appends a copy of 'n' bytes at 'p'; returns a pointer to the copy. */
void *ofpbuf_put(struct ofpbuf *b, const void *p, size_t n);

/* Appends zeros until the size of 'b' is a multiple of 'align' counted
 * from offset 'start'. */
void ofpbuf_pad(struct ofpbuf *b, size_t start, size_t align);

/* Appends printf-style text, keeping the buffer NUL-terminated (the NUL is
 * not counted in 'size'). */
void ofpbuf_printf(struct ofpbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Returns the contents as a NUL-terminated string (adds the NUL if none). */
const char *ofpbuf_cstr(struct ofpbuf *b);

/* Returns a pointer to offset 'ofs' of 'b'. */
static inline void *ofpbuf_at(const struct ofpbuf *b, size_t ofs)
{
    return b->data + ofs;
}

#endif /* LAMINA_OFPBUF_H */
