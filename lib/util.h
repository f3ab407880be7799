/*
 * util: small helpers shared by every part (allocation that cannot fail
 * silently, string copies, directories, monotonic time).
 */
#ifndef LAMINA_UTIL_H
#define LAMINA_UTIL_H 1

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>

#define ARRAY_SIZE(A) (sizeof(A) / sizeof((A)[0]))
#define MIN(A, B) ((A) < (B) ? (A) : (B))
#define MAX(A, B) ((A) > (B) ? (A) : (B))

/* Allocate or abort: for control-path memory whose absence leaves no
 * sensible way to continue.  Never used on the fast path. */
void *xmalloc(size_t);
void *xzalloc(size_t);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *, size_t);
char *xstrdup(const char *);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Copies 'src' into 'dst' of 'size' bytes, always NUL-terminating.
 * Returns true if it fit. */
bool str_copy(char *dst, const char *src, size_t size);

/* True if 'name' is a usable object name: 1..63 characters of
 * [A-Za-z0-9_.-], starting with a letter or digit. */
bool name_is_valid(const char *name);

/* True if the space-separated 'list' holds 'word' as a whole word. */
bool str_has_word(const char *list, const char *word);

/* Creates directory 'dir' and its missing parents with 'mode' (existing
 * ones are left as they are).  Returns 0 or a positive errno. */
int mkdir_p(const char *dir, mode_t mode);

/* Creates the directory that holds file 'path' (as mkdir_p()). */
int mkdir_parent(const char *path, mode_t mode);

/* Base64 (RFC 4648, with padding): the text of 'n' bytes at 'p'
 * (malloc'ed, NUL-terminated). */
char *base64_encode(const void *p, size_t n);
/* Decodes base64 text 's' into '*out' (malloc'ed) and '*n'.  Returns 0, or
 * EINVAL if 's' is not base64 (nothing allocated then). */
int base64_decode(const char *s, void **out, size_t *n);

/* Monotonic clock in nanoseconds / milliseconds. */
uint64_t time_ns(void);
uint64_t time_ms(void);

/* xorshift64*: a fast pseudo-random number from '*state' (nonzero, it
 * stays at 0 forever), for jitter, emulated loss and fuzzing: not for
 * anything an attacker may want to guess. */
static inline uint64_t
util_xorshift64(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545f4914f6cdd1dull;
}

#endif /* LAMINA_UTIL_H */
