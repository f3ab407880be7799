#include "brk_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
brk_error_set(struct brk_error *err, int error, const char *fmt, ...)
{
    if (err) {
        va_list args;
        va_start(args, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, args);
        va_end(args);
    }
    return error;
}

void
brk_error_prefix(struct brk_error *err, const char *fmt, ...)
{
    if (!err) {
        return;
    }
    char prefix[BRK_ERR_LEN];
    va_list args;

    va_start(args, fmt);
    vsnprintf(prefix, sizeof prefix - 2, fmt, args);
    va_end(args);
    strcat(prefix, ": ");

    /* Shift the old message right; the end is cut if it no longer fits
     * (the start, which names the object, is what matters). */
    size_t plen = strlen(prefix);
    size_t mlen = strnlen(err->msg, sizeof err->msg - 1);
    if (plen + mlen >= sizeof err->msg) {
        mlen = sizeof err->msg - 1 - plen;
    }
    memmove(err->msg + plen, err->msg, mlen);
    memcpy(err->msg, prefix, plen);
    err->msg[plen + mlen] = '\0';
}
