#include "admit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brk_error.h"
#include "brk_time.h"
#include "units.h"
#include "util.h"

/* One resource: the usage step function as change points. */
struct admit_resource {
    char *name;
    enum admit_kind kind;
    int64_t capacity;
    size_t n, allocated;
    int64_t *times;             /* strictly increasing */
    int64_t *levels;            /* usage on [times[i], times[i + 1]) */
};

struct admit {
    struct admit_resource *res;
    uint32_t n_res, allocated;
};

/* Creates an empty table. */
struct admit *
admit_create(void)
{
    return xzalloc(sizeof(struct admit));
}

/* Frees 'a' and its timelines. */
void
admit_destroy(struct admit *a)
{
    if (!a) {
        return;
    }
    for (uint32_t i = 0; i < a->n_res; i++) {
        free(a->res[i].name);
        free(a->res[i].times);
        free(a->res[i].levels);
    }
    free(a->res);
    free(a);
}

/* Adds resource 'name' of 'kind' with 'capacity'. */
int
admit_add_resource(struct admit *a, const char *name, enum admit_kind kind,
                   int64_t capacity, uint32_t *index)
{
    if (capacity < 0 || !name) {
        return EINVAL;
    }
    if (a->n_res == a->allocated) {
        a->allocated = a->allocated ? 2 * a->allocated : 16;
        a->res = xrealloc(a->res, a->allocated * sizeof *a->res);
    }
    struct admit_resource *r = &a->res[a->n_res];
    memset(r, 0, sizeof *r);
    r->name = xstrdup(name);
    r->kind = kind;
    r->capacity = capacity;
    *index = a->n_res++;
    return 0;
}

uint32_t
admit_n_resources(const struct admit *a)
{
    return a->n_res;
}

const char *
admit_resource_name(const struct admit *a, uint32_t resource)
{
    return resource < a->n_res ? a->res[resource].name : "?";
}

int64_t
admit_capacity(const struct admit *a, uint32_t resource)
{
    return resource < a->n_res ? a->res[resource].capacity : 0;
}

size_t
admit_n_points(const struct admit *a, uint32_t resource)
{
    return resource < a->n_res ? a->res[resource].n : 0;
}

/* Index of the last change point at or before 't', or -1. */
static ptrdiff_t
point_at(const struct admit_resource *r, int64_t t)
{
    size_t lo = 0, hi = r->n;          /* first point after t in [lo, hi] */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->times[mid] <= t) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return (ptrdiff_t) lo - 1;
}

static int64_t
level_at(const struct admit_resource *r, int64_t t)
{
    ptrdiff_t i = point_at(r, t);
    return i < 0 ? 0 : r->levels[i];
}

/* Usage of 'resource' at 't'. */
int64_t
admit_used_at(const struct admit *a, uint32_t resource, int64_t t)
{
    return resource < a->n_res ? level_at(&a->res[resource], t) : 0;
}

static int64_t
peak_of(const struct admit_resource *r, int64_t start, int64_t end,
        int64_t *at)
{
    ptrdiff_t i = point_at(r, start);
    int64_t peak = i < 0 ? 0 : r->levels[i];
    int64_t when = start;

    for (size_t j = i + 1; j < r->n && r->times[j] < end; j++) {
        if (r->levels[j] > peak) {
            peak = r->levels[j];
            when = r->times[j];
        }
    }
    if (at) {
        *at = when;
    }
    return peak;
}

/* Peak usage of 'resource' over [start, end). */
int64_t
admit_peak(const struct admit *a, uint32_t resource, int64_t start,
           int64_t end, int64_t *at)
{
    if (resource >= a->n_res) {
        return 0;
    }
    return peak_of(&a->res[resource], start, end, at);
}

static int
cmp_demand(const void *a_, const void *b_)
{
    const struct admit_demand *a = a_, *b = b_;
    return a->resource < b->resource ? -1 : a->resource > b->resource;
}

/* Checks the demands and the interval, and returns in '*out' (freed by
 * the caller) the demands sorted by resource with duplicates summed. */
static int
normalize(const struct admit *a, const struct admit_demand *d, size_t n,
          int64_t start, int64_t end, struct admit_demand **out,
          size_t *n_out, struct brk_error *err)
{
    if (end <= start) {
        return brk_error_set(err, EINVAL, "empty interval [%"PRId64
                             ", %"PRId64")", start, end);
    }
    struct admit_demand *s = xmalloc((n ? n : 1) * sizeof *s);
    for (size_t i = 0; i < n; i++) {
        if (d[i].resource >= a->n_res) {
            free(s);
            return brk_error_set(err, EINVAL, "demand %zu: no resource %"
                                 PRIu32, i, d[i].resource);
        }
        if (d[i].amount <= 0) {
            free(s);
            return brk_error_set(err, EINVAL, "demand %zu (%s): amount must "
                                 "be positive, got %"PRId64, i,
                                 a->res[d[i].resource].name, d[i].amount);
        }
        s[i] = d[i];
    }
    qsort(s, n, sizeof *s, cmp_demand);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && s[m - 1].resource == s[i].resource) {
            if (__builtin_add_overflow(s[m - 1].amount, s[i].amount,
                                       &s[m - 1].amount)) {
                uint32_t r = s[i].resource;
                free(s);
                return brk_error_set(err, EINVAL, "demand on %s overflows",
                                     a->res[r].name);
            }
        } else {
            s[m++] = s[i];
        }
    }
    *out = s;
    *n_out = m;
    return 0;
}

/* Checks sorted demands 's' over [start, end); on a shortage fills '*sh'
 * with the resource short by the most. */
static int
check_sorted(const struct admit *a, const struct admit_demand *s, size_t n,
             int64_t start, int64_t end, struct admit_shortage *sh)
{
    int error = 0;
    int64_t worst = 0;

    for (size_t i = 0; i < n; i++) {
        const struct admit_resource *r = &a->res[s[i].resource];
        int64_t at;
        int64_t peak = peak_of(r, start, end, &at);
        int64_t short_by = peak + s[i].amount - r->capacity;
        if (short_by > 0) {
            if (short_by > worst) {
                worst = short_by;
                if (sh) {
                    *sh = (struct admit_shortage) {
                        .resource = s[i].resource, .capacity = r->capacity,
                        .used = peak, .asked = s[i].amount,
                        .short_by = short_by,
                    };
                    /* The first moment it is short, not the worst. */
                    ptrdiff_t j = point_at(r, start);
                    int64_t level = j < 0 ? 0 : r->levels[j];
                    sh->at = start;
                    if (level + s[i].amount <= r->capacity) {
                        for (size_t k = j + 1;
                             k < r->n && r->times[k] < end; k++) {
                            if (r->levels[k] + s[i].amount > r->capacity) {
                                sh->at = r->times[k];
                                break;
                            }
                        }
                    }
                }
            }
            error = ENOSPC;
        }
    }
    return error;
}

/* Would the demands fit over [start, end)? */
int
admit_check(const struct admit *a, const struct admit_demand *d, size_t n,
            int64_t start, int64_t end, struct admit_shortage *sh,
            struct brk_error *err)
{
    struct admit_demand *s;
    size_t m;
    int error = normalize(a, d, n, start, end, &s, &m, err);
    if (!error) {
        error = check_sorted(a, s, m, start, end, sh);
        free(s);
    }
    return error;
}

/* Makes sure 'r' has a change point at 't' and returns its index. */
static size_t
split_at(struct admit_resource *r, int64_t t)
{
    ptrdiff_t i = point_at(r, t);
    if (i >= 0 && r->times[i] == t) {
        return i;
    }
    if (r->n == r->allocated) {
        r->allocated = r->allocated ? 2 * r->allocated : 8;
        r->times = xrealloc(r->times, r->allocated * sizeof *r->times);
        r->levels = xrealloc(r->levels, r->allocated * sizeof *r->levels);
    }
    size_t at = i + 1;
    memmove(&r->times[at + 1], &r->times[at], (r->n - at) * sizeof *r->times);
    memmove(&r->levels[at + 1], &r->levels[at],
            (r->n - at) * sizeof *r->levels);
    r->times[at] = t;
    r->levels[at] = i < 0 ? 0 : r->levels[i];
    r->n++;
    return at;
}

/* Removes the change point 'i' of 'r' if it changes nothing. */
static void
merge_at(struct admit_resource *r, size_t i)
{
    if (i < r->n && r->levels[i] == (i ? r->levels[i - 1] : 0)) {
        memmove(&r->times[i], &r->times[i + 1],
                (r->n - i - 1) * sizeof *r->times);
        memmove(&r->levels[i], &r->levels[i + 1],
                (r->n - i - 1) * sizeof *r->levels);
        r->n--;
    }
}

/* Adds 'amount' (may be negative) to 'r' over [start, end). */
static void
add_range(struct admit_resource *r, int64_t start, int64_t end,
          int64_t amount)
{
    size_t i = split_at(r, start);
    size_t j = split_at(r, end);
    for (size_t k = i; k < j; k++) {
        r->levels[k] += amount;
    }
    merge_at(r, j);
    merge_at(r, i);
}

/* Books the demands over [start, end) if they fit. */
int
admit_book(struct admit *a, const struct admit_demand *d, size_t n,
           int64_t start, int64_t end, struct admit_shortage *sh,
           struct brk_error *err)
{
    struct admit_demand *s;
    size_t m;
    int error = normalize(a, d, n, start, end, &s, &m, err);
    if (error) {
        return error;
    }
    error = check_sorted(a, s, m, start, end, sh);
    if (!error) {
        for (size_t i = 0; i < m; i++) {
            add_range(&a->res[s[i].resource], start, end, s[i].amount);
        }
    } else {
        char buf[256];
        brk_error_set(err, error, "%s",
                      sh ? admit_shortage_format(a, sh, buf, sizeof buf)
                         : "does not fit");
    }
    free(s);
    return error;
}

/* Minimum usage of 'r' over [start, end). */
static int64_t
low_of(const struct admit_resource *r, int64_t start, int64_t end)
{
    ptrdiff_t i = point_at(r, start);
    int64_t low = i < 0 ? 0 : r->levels[i];
    for (size_t j = i + 1; j < r->n && r->times[j] < end; j++) {
        low = MIN(low, r->levels[j]);
    }
    return low;
}

/* Gives back demands booked over [start, end). */
int
admit_unbook(struct admit *a, const struct admit_demand *d, size_t n,
             int64_t start, int64_t end, struct brk_error *err)
{
    struct admit_demand *s;
    size_t m;
    int error = normalize(a, d, n, start, end, &s, &m, err);
    if (error) {
        return error;
    }
    for (size_t i = 0; i < m; i++) {
        const struct admit_resource *r = &a->res[s[i].resource];
        if (low_of(r, start, end) < s[i].amount) {
            error = brk_error_set(err, EINVAL, "%s: %"PRId64" was not "
                                  "booked over the whole interval",
                                  r->name, s[i].amount);
            break;
        }
    }
    for (size_t i = 0; !error && i < m; i++) {
        add_range(&a->res[s[i].resource], start, end, -s[i].amount);
    }
    free(s);
    return error;
}

/* A range of forbidden starts [lo, hi). */
struct forbidden {
    int64_t lo, hi;
};

static int
cmp_forbidden(const void *a_, const void *b_)
{
    const struct forbidden *a = a_, *b = b_;
    return a->lo < b->lo ? -1 : a->lo > b->lo;
}

/* The earliest start in [earliest, latest] where the demands fit for
 * 'duration'. */
int
admit_earliest(const struct admit *a, const struct admit_demand *d, size_t n,
               int64_t earliest, int64_t latest, int64_t duration,
               int64_t *start, struct admit_shortage *sh,
               struct brk_error *err)
{
    struct admit_demand *s;
    size_t m;

    if (duration <= 0 || latest < earliest) {
        return brk_error_set(err, EINVAL, "window [%"PRId64", %"PRId64"] "
                             "with duration %"PRId64" is empty",
                             earliest, latest, duration);
    }
    int error = normalize(a, d, n, earliest, earliest + duration, &s, &m,
                          err);
    if (error) {
        return error;
    }

    struct forbidden *fb = NULL;
    size_t n_fb = 0, fb_alloc = 0;
    int64_t horizon = latest + duration;
    for (size_t i = 0; i < m; i++) {
        const struct admit_resource *r = &a->res[s[i].resource];
        int64_t limit = r->capacity - s[i].amount;
        if (limit < 0) {
            n_fb = 0;
            fb_alloc = 0;
            free(fb);
            fb = xmalloc(sizeof *fb);
            fb[n_fb++] = (struct forbidden) { INT64_MIN, INT64_MAX };
            break;
        }
        ptrdiff_t j = point_at(r, earliest);
        for (size_t k = j < 0 ? 0 : j; k < r->n && r->times[k] < horizon;
             k++) {
            if (r->levels[k] <= limit) {
                continue;
            }
            if (n_fb == fb_alloc) {
                fb_alloc = fb_alloc ? 2 * fb_alloc : 64;
                fb = xrealloc(fb, fb_alloc * sizeof *fb);
            }
            fb[n_fb].lo = r->times[k] - duration + 1;
            fb[n_fb].hi = k + 1 < r->n ? r->times[k + 1] : INT64_MAX;
            n_fb++;
        }
    }
    qsort(fb, n_fb, sizeof *fb, cmp_forbidden);
    int64_t t = earliest;
    for (size_t i = 0; i < n_fb && fb[i].lo <= t; i++) {
        t = MAX(t, fb[i].hi);
    }
    free(fb);
    if (t <= latest) {
        *start = t;
    } else {
        error = ENOSPC;
        check_sorted(a, s, m, earliest, earliest + duration, sh);
        if (sh) {
            char buf[256];
            brk_error_set(err, error, "no start in the window fits; at "
                          "the earliest: %s",
                          admit_shortage_format(a, sh, buf, sizeof buf));
        }
    }
    free(s);
    return error;
}

/* Folds the change points before 't' into one at the last of them. */
void
admit_forget_before(struct admit *a, int64_t t)
{
    for (uint32_t i = 0; i < a->n_res; i++) {
        struct admit_resource *r = &a->res[i];
        ptrdiff_t j = point_at(r, t);
        if (j <= 0) {
            continue;
        }
        /* Points 0..j-1 are before the one in force at t: drop them. */
        memmove(r->times, &r->times[j], (r->n - j) * sizeof *r->times);
        memmove(r->levels, &r->levels[j], (r->n - j) * sizeof *r->levels);
        r->n -= j;
        if (r->n && r->levels[0] == 0) {
            merge_at(r, 0);
        }
    }
}

/* Formats 'v' of 'kind' into 'buf'. */
static const char *
format_amount(enum admit_kind kind, int64_t v, char *buf, size_t size)
{
    if (kind == ADMIT_BANDWIDTH && v >= 0) {
        char rate[32];
        snprintf(buf, size, "%sbit/s",
                 units_format_rate(v, rate, sizeof rate));
    } else {
        snprintf(buf, size, "%"PRId64"%s", v,
                 kind == ADMIT_CPU ? " cpu" : " labels");
    }
    return buf;
}

/* The sentence for a shortage. */
const char *
admit_shortage_format(const struct admit *a, const struct admit_shortage *sh,
                      char *buf, size_t size)
{
    enum admit_kind kind = sh->resource < a->n_res
                           ? a->res[sh->resource].kind : ADMIT_CPU;
    char by[48], used[48], cap[48], asked[48], when[32];

    snprintf(buf, size, "%s: short by %s at %s: %s of %s booked, %s asked",
             admit_resource_name(a, sh->resource),
             format_amount(kind, sh->short_by, by, sizeof by),
             brk_time_format(sh->at, when, sizeof when),
             format_amount(kind, sh->used, used, sizeof used),
             format_amount(kind, sh->capacity, cap, sizeof cap),
             format_amount(kind, sh->asked, asked, sizeof asked));
    return buf;
}
