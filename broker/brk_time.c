#include "brk_time.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Reads exactly 'n' digits at '*s' into '*v'. */
static int
digits(const char **s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char) (*s)[i])) {
            return EINVAL;
        }
        *v = *v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    return 0;
}

/* Reads the character 'c' at '*s'. */
static int
expect(const char **s, char c)
{
    if (**s != c) {
        return EINVAL;
    }
    (*s)++;
    return 0;
}

/* Parses RFC 3339 's'. */
int
brk_time_parse(const char *s, int64_t *t)
{
    int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;

    if (!s || digits(&s, 4, &y) || expect(&s, '-') || digits(&s, 2, &mo)
        || expect(&s, '-') || digits(&s, 2, &d)
        || (*s != 'T' && *s != 't' && *s != ' ') || !s++
        || digits(&s, 2, &h) || expect(&s, ':') || digits(&s, 2, &mi)
        || expect(&s, ':') || digits(&s, 2, &sec)) {
        return EINVAL;
    }
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        sign = *s++ == '+' ? 1 : -1;
        if (digits(&s, 2, &oh) || expect(&s, ':') || digits(&s, 2, &om)
            || oh > 23 || om > 59) {
            return EINVAL;
        }
    } else {
        return EINVAL;
    }
    if (*s || y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59
        || sec > 60) {
        return EINVAL;
    }
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100) || y % 400 == 0;
    if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap)) {
        return EINVAL;
    }
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
        .tm_hour = h, .tm_min = mi, .tm_sec = sec == 60 ? 59 : sec,
    };
    *t = (int64_t) timegm(&tm) - sign * (oh * 3600 + om * 60);
    return 0;
}

/* Formats 't' in UTC. */
const char *
brk_time_format(int64_t t, char *buf, size_t size)
{
    time_t tt = t;
    struct tm tm;

    if (!gmtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
        snprintf(buf, size, "@%lld", (long long) t);
    }
    return buf;
}

/* Parses a duration such as "1h30m". */
int
brk_duration_parse(const char *s, int64_t *secs)
{
    static const struct { char unit; int64_t secs; } units[] = {
        { 'w', 604800 }, { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
    };
    const int64_t max = 100LL * 366 * 86400;
    size_t next_unit = 0;
    int64_t total = 0;

    if (!s || !*s) {
        return EINVAL;
    }
    while (*s) {
        int64_t v = 0;
        if (!isdigit((unsigned char) *s)) {
            return EINVAL;
        }
        while (isdigit((unsigned char) *s)) {
            v = v * 10 + (*s++ - '0');
            if (v > max) {
                return ERANGE;
            }
        }
        size_t u = next_unit;
        while (u < sizeof units / sizeof units[0] && units[u].unit != *s) {
            u++;
        }
        if (u == sizeof units / sizeof units[0]) {
            return EINVAL;      /* no unit, unknown, repeated or out of order */
        }
        s++;
        next_unit = u + 1;
        total += v * units[u].secs;
        if (total > max) {
            return ERANGE;
        }
    }
    if (total <= 0) {
        return EINVAL;
    }
    *secs = total;
    return 0;
}

/* Wall-clock seconds. */
int64_t
brk_time_now(void)
{
    return (int64_t) time(NULL);
}
