#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void
out_of_memory(void)
{
    fputs("lamina: out of memory\n", stderr);
    abort();
}

void *
xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p) {
        out_of_memory();
    }
    return p;
}

void *
xzalloc(size_t size)
{
    return xcalloc(1, size);
}

void *
xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        out_of_memory();
    }
    return p;
}

void *
xrealloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p) {
        out_of_memory();
    }
    return p;
}

char *
xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

char *
xasprintf(const char *fmt, ...)
{
    va_list args;
    char *s;

    va_start(args, fmt);
    if (vasprintf(&s, fmt, args) < 0) {
        out_of_memory();
    }
    va_end(args);
    return s;
}

bool
str_copy(char *dst, const char *src, size_t size)
{
    size_t n = strlen(src);

    if (n >= size) {
        if (size) {
            memcpy(dst, src, size - 1);
            dst[size - 1] = '\0';
        }
        return false;
    }
    memcpy(dst, src, n + 1);
    return true;
}

bool
name_is_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;

    if (n == 0 || n > 63 || !isalnum((unsigned char) name[0])) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = name[i];
        if (!isalnum(c) && c != '_' && c != '-' && c != '.') {
            return false;
        }
    }
    return true;
}

bool
str_has_word(const char *list, const char *word)
{
    size_t n = strlen(word);

    for (const char *p = list; n && (p = strstr(p, word)); p += n) {
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n])) {
            return true;
        }
    }
    return false;
}

uint64_t
time_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000u + ts.tv_nsec;
}

uint64_t
time_ms(void)
{
    return time_ns() / 1000000u;
}

int
mkdir_p(const char *dir, mode_t mode)
{
    char *copy;
    int error = 0;

    if (!*dir) {
        return 0;
    }
    copy = xstrdup(dir);
    for (char *p = copy + 1; ; p++) {
        if (*p == '/' || !*p) {
            char saved = *p;

            *p = '\0';
            if (*copy && mkdir(copy, mode) < 0 && errno != EEXIST) {
                error = errno;
                break;
            }
            *p = saved;
            if (!saved) {
                break;
            }
        }
    }
    free(copy);
    return error;
}

int
mkdir_parent(const char *path, mode_t mode)
{
    char *copy = xstrdup(path);
    int error = mkdir_p(dirname(copy), mode);

    free(copy);
    return error;
}

static const char b64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 text of 'n' bytes at 'p'. */
char *
base64_encode(const void *p_, size_t n)
{
    const uint8_t *p = p_;
    char *out = xmalloc((n + 2) / 3 * 4 + 1), *o = out;

    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t) p[i] << 16;
        if (i + 1 < n) {
            v |= (uint32_t) p[i + 1] << 8;
        }
        if (i + 2 < n) {
            v |= p[i + 2];
        }
        *o++ = b64_chars[v >> 18];
        *o++ = b64_chars[(v >> 12) & 63];
        *o++ = i + 1 < n ? b64_chars[(v >> 6) & 63] : '=';
        *o++ = i + 2 < n ? b64_chars[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

/* Decodes base64 's' (length a multiple of 4, '=' padding at the end). */
int
base64_decode(const char *s, void **out_, size_t *n)
{
    size_t len = strlen(s);
    if (len % 4) {
        return EINVAL;
    }
    uint8_t *out = xmalloc(len / 4 * 3 + 1);
    size_t k = 0;
    for (size_t i = 0; i < len; i += 4) {
        uint32_t v = 0;
        int pad = 0;
        for (int j = 0; j < 4; j++) {
            const char c = s[i + j];
            const char *at = c ? strchr(b64_chars, c) : NULL;
            if (c == '=' && i + 4 == len && j >= 2 && (j == 3 || s[i + 3] == '=')) {
                pad++;
                v <<= 6;
            } else if (at && !pad) {
                v = v << 6 | (uint32_t) (at - b64_chars);
            } else {
                free(out);
                return EINVAL;
            }
        }
        out[k++] = v >> 16;
        if (pad < 2) {
            out[k++] = (v >> 8) & 255;
        }
        if (pad < 1) {
            out[k++] = v & 255;
        }
    }
    *out_ = out;
    *n = k;
    return 0;
}
