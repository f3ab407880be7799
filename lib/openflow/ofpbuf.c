#include "ofpbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void
ofpbuf_init(struct ofpbuf *b, size_t capacity)
{
    b->data = capacity ? xmalloc(capacity) : NULL;
    b->size = 0;
    b->allocated = capacity;
}

void
ofpbuf_uninit(struct ofpbuf *b)
{
    if (b) {
        free(b->data);
        b->data = NULL;
        b->size = b->allocated = 0;
    }
}

void
ofpbuf_prealloc(struct ofpbuf *b, size_t n)
{
    if (b->allocated - b->size < n) {
        size_t want = b->allocated ? b->allocated * 2 : 256;
        while (want - b->size < n) {
            want *= 2;
        }
        b->data = xrealloc(b->data, want);
        b->allocated = want;
    }
}

void *
ofpbuf_put_uninit(struct ofpbuf *b, size_t n)
{
    void *p;

    ofpbuf_prealloc(b, n);
    p = b->data + b->size;
    b->size += n;
    return p;
}

void *
ofpbuf_put_zeros(struct ofpbuf *b, size_t n)
{
    void *p = ofpbuf_put_uninit(b, n);
    memset(p, 0, n);
    return p;
}

void *
ofpbuf_put(struct ofpbuf *b, const void *src, size_t n)
{
    void *p = ofpbuf_put_uninit(b, n);
    if (n) {
        memcpy(p, src, n);
    }
    return p;
}

void
ofpbuf_pad(struct ofpbuf *b, size_t start, size_t align)
{
    size_t len = b->size - start;
    size_t rem = len % align;
    if (rem) {
        ofpbuf_put_zeros(b, align - rem);
    }
}

void
ofpbuf_printf(struct ofpbuf *b, const char *fmt, ...)
{
    va_list args;
    int n;

    ofpbuf_prealloc(b, 64);
    va_start(args, fmt);
    n = vsnprintf((char *) b->data + b->size, b->allocated - b->size,
                  fmt, args);
    va_end(args);
    if (n < 0) {
        return;
    }
    if ((size_t) n >= b->allocated - b->size) {
        ofpbuf_prealloc(b, n + 1);
        va_start(args, fmt);
        vsnprintf((char *) b->data + b->size, b->allocated - b->size,
                  fmt, args);
        va_end(args);
    }
    b->size += n;
}

const char *
ofpbuf_cstr(struct ofpbuf *b)
{
    ofpbuf_prealloc(b, 1);
    b->data[b->size] = '\0';
    return (const char *) b->data;
}
