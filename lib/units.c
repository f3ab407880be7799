#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Parses the unsigned decimal at the start of 's' ("12", "1.5", ".5") as
 * an integer scaled by 10^9, so fractions are exact.  Sets '*end' after
 * it.  Returns 0, EINVAL (no digits) or ERANGE. */
static int
units_parse_decimal(const char *s, const char **end, unsigned __int128 *nano)
{
    unsigned __int128 whole = 0, frac = 0, scale = 1000000000;
    bool digits = false;

    while (isdigit((unsigned char) *s)) {
        whole = whole * 10 + (*s++ - '0');
        digits = true;
        if (whole > UINT64_MAX) {
            return ERANGE;
        }
    }
    if (*s == '.') {
        s++;
        while (isdigit((unsigned char) *s)) {
            if (scale == 1) {
                return EINVAL;  /* more than 9 decimal places */
            }
            scale /= 10;
            frac += (*s++ - '0') * scale;
            digits = true;
        }
    }
    if (!digits) {
        return EINVAL;
    }
    *end = s;
    *nano = whole * 1000000000u + frac;
    return 0;
}

/* Multiplies the 10^9-scaled 'nano' by 'mult', divides by 10^9 and checks
 * the result against 'max'. */
static int
units_scale(unsigned __int128 nano, uint64_t mult, uint64_t max, uint64_t *out)
{
    unsigned __int128 v;

    if (nano > ~(unsigned __int128) 0 / mult) {
        return ERANGE;
    }
    v = nano * mult / 1000000000u;
    if (v > max) {
        return ERANGE;
    }
    *out = (uint64_t) v;
    return 0;
}

int
units_parse_rate(const char *s, uint64_t *bps)
{
    static const struct { char c; uint64_t mult; } suffixes[] = {
        { 'k', 1000ULL }, { 'K', 1000ULL }, { 'M', 1000000ULL },
        { 'G', 1000000000ULL }, { 'T', 1000000000000ULL },
    };
    unsigned __int128 nano;
    uint64_t mult = 1;
    const char *p;
    int error;

    if (!s) {
        return EINVAL;
    }
    error = units_parse_decimal(s, &p, &nano);
    if (error) {
        return error;
    }
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        if (*p == suffixes[i].c) {
            mult = suffixes[i].mult;
            p++;
            break;
        }
    }
    if (*p && strcasecmp(p, "bps") && strcasecmp(p, "bit/s")
        && strcasecmp(p, "b/s")) {
        return EINVAL;
    }
    return units_scale(nano, mult, UINT64_MAX, bps);
}

int
units_parse_delay(const char *s, uint32_t *us)
{
    unsigned __int128 nano;
    uint64_t mult, v;
    const char *p;
    int error;

    if (!s) {
        return EINVAL;
    }
    error = units_parse_decimal(s, &p, &nano);
    if (error) {
        return error;
    }
    if (!*p || !strcmp(p, "us")) {
        mult = 1;
    } else if (!strcmp(p, "ms")) {
        mult = 1000;
    } else if (!strcmp(p, "s")) {
        mult = 1000000;
    } else {
        return EINVAL;
    }
    error = units_scale(nano, mult, UINT32_MAX, &v);
    if (!error) {
        *us = v;
    }
    return error;
}

int
units_parse_loss(const char *s, uint32_t *ppm)
{
    unsigned __int128 nano;
    uint64_t v;
    const char *p;
    int error;

    if (!s) {
        return EINVAL;
    }
    error = units_parse_decimal(s, &p, &nano);
    if (error) {
        return error;
    }
    if (!*p || !strcmp(p, "%")) {
        error = units_scale(nano, 10000, 1000000, &v);
    } else if (!strcmp(p, "ppm")) {
        error = units_scale(nano, 1, 1000000, &v);
    } else {
        return EINVAL;
    }
    if (!error) {
        *ppm = v;
    }
    return error;
}

const char *
units_format_rate(uint64_t bps, char *buf, size_t size)
{
    static const struct { uint64_t mult; const char *suffix; int digits; } units[] = {
        { 1000000000000ULL, "T", 12 }, { 1000000000ULL, "G", 9 },
        { 1000000ULL, "M", 6 }, { 1000ULL, "k", 3 },
    };

    /* Exact, and in a form units_parse_rate() reads back: the whole part,
     * then at most 9 decimals without trailing zeros ("1.5G",
     * "1.234567M"), else plain bits/s. */
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
        if (bps >= units[i].mult) {
            unsigned long long whole = bps / units[i].mult;
            unsigned long long rem = bps % units[i].mult;
            char frac[16];
            int n;

            if (!rem) {
                snprintf(buf, size, "%llu%s", whole, units[i].suffix);
                return buf;
            }
            n = snprintf(frac, sizeof frac, "%0*llu", units[i].digits, rem);
            while (n > 0 && frac[n - 1] == '0') {
                frac[--n] = '\0';
            }
            if (n <= 9) {
                snprintf(buf, size, "%llu.%s%s", whole, frac, units[i].suffix);
                return buf;
            }
            break;
        }
    }
    snprintf(buf, size, "%llu", (unsigned long long) bps);
    return buf;
}
