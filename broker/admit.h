/*
 * admit: admission over time, for advance reservations.
 *
 * What?
 * =====
 *
 * The broker books leases that may start now or later.  Each resource it
 * hands out (a node's CPU, a link's bandwidth, a pool of MPLS labels, on
 * some InP) has a fixed capacity and a timeline of reservations, each an
 * amount over a half-open interval [start, end) of seconds.  A new
 * request for [start, end) fits a resource if the PEAK usage of that
 * resource over [start, end) plus the amount asked stays within the
 * capacity.  A lease booked for next week therefore costs nothing today:
 * it counts only where it overlaps the interval asked about (the classic
 * mistake, counting every booked lease as used now, refuses requests that
 * would fit and is exactly what this module exists to avoid).
 *
 * Data structure
 * ==============
 *
 * Per resource, the usage is a step function kept as a sorted array of
 * change points (time, usage from that time on); usage before the first
 * point is 0.  Booking [s, e) inserts at most two points (binary search
 * plus memmove) and adds the amount to the points in between.  The peak
 * over [s, e) is the usage at s (binary search) and at every point inside
 * (s, e): O(log n + k), k the points inside.  With 10,000 leases booked a
 * decision takes microseconds to a few milliseconds (see bench-admit and
 * docs/broker.md for the measured figure); the goal is <= 10 ms.
 *
 * Earliest start
 * ==============
 *
 * For a window [earliest, latest] and a duration d, every segment of a
 * resource whose usage leaves too little room forbids the starts t with
 * [t, t + d) overlapping it.  admit_earliest() collects these forbidden
 * intervals over every resource asked for, sorts them and sweeps from
 * 'earliest': the first start not forbidden is the answer.
 *
 * Refusals
 * ========
 *
 * A refusal fills a 'struct admit_shortage': which resource, its
 * capacity, how much was already used at the worst moment, how much was
 * asked, the amount short, and the first moment it is short.
 * admit_shortage_format() turns it into the sentence the SP reads.
 *
 * A resource's amounts are integers in its own unit: CPU units, bits/s,
 * labels.  Not thread-safe: one broker thread owns an 'struct admit'.
 */
#ifndef LAMINA_ADMIT_H
#define LAMINA_ADMIT_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct brk_error;

/* What a resource counts, for messages. */
enum admit_kind {
    ADMIT_CPU,                  /* CPU units */
    ADMIT_BANDWIDTH,            /* bits per second */
    ADMIT_LABELS,               /* labels of a pool */
};

struct admit;

/* One amount of one resource that a request needs. */
struct admit_demand {
    uint32_t resource;          /* index from admit_add_resource() */
    int64_t amount;             /* > 0 */
};

/* Why a request does not fit. */
struct admit_shortage {
    uint32_t resource;
    int64_t capacity;
    int64_t used;               /* booked at the worst moment */
    int64_t asked;              /* what the request needs of it */
    int64_t short_by;           /* used + asked - capacity */
    int64_t at;                 /* first moment it is short */
};

/* Creates an admission table with no resources. */
struct admit *admit_create(void);
/* Frees 'a'; accepts NULL. */
void admit_destroy(struct admit *a);

/* Adds a resource called 'name' (copied; for messages, e.g. "inp1 link
 * s1-s2") of 'kind' with 'capacity' >= 0, and stores its index in
 * '*index'.  Returns 0 or EINVAL. */
int admit_add_resource(struct admit *a, const char *name, enum admit_kind kind,
                       int64_t capacity, uint32_t *index);
/* Number of resources, a resource's name and capacity. */
uint32_t admit_n_resources(const struct admit *a);
const char *admit_resource_name(const struct admit *a, uint32_t resource);
int64_t admit_capacity(const struct admit *a, uint32_t resource);

/* Usage of 'resource' at time 't'. */
int64_t admit_used_at(const struct admit *a, uint32_t resource, int64_t t);
/* Peak usage of 'resource' over [start, end); the first moment it is
 * reached goes to '*at' if nonnull. */
int64_t admit_peak(const struct admit *a, uint32_t resource,
                   int64_t start, int64_t end, int64_t *at);
/* Number of change points kept for 'resource' (for tests and stats). */
size_t admit_n_points(const struct admit *a, uint32_t resource);

/* Would 'n' demands fit over [start, end)?  Demands on the same resource
 * add up.  Returns 0, ENOSPC with '*sh' (if nonnull) naming the resource
 * short by the most, or EINVAL ('err' says why: bad interval, unknown
 * resource, amount <= 0). */
int admit_check(const struct admit *a, const struct admit_demand *d, size_t n,
                int64_t start, int64_t end, struct admit_shortage *sh,
                struct brk_error *err);

/* Books 'n' demands over [start, end) if they fit (as admit_check()),
 * else changes nothing.  Returns 0, ENOSPC or EINVAL. */
int admit_book(struct admit *a, const struct admit_demand *d, size_t n,
               int64_t start, int64_t end, struct admit_shortage *sh,
               struct brk_error *err);

/* Gives back what admit_book() booked with the same demands over
 * [start, end), or a part of it (e.g. [release time, end) for an early
 * release).  Returns 0, or EINVAL and changes nothing if that much was
 * not booked there. */
int admit_unbook(struct admit *a, const struct admit_demand *d, size_t n,
                 int64_t start, int64_t end, struct brk_error *err);

/* The earliest start t in [earliest, latest] such that the demands fit
 * over [t, t + duration).  Returns 0 with '*start', ENOSPC (with '*sh'
 * describing the shortage at 'earliest') or EINVAL. */
int admit_earliest(const struct admit *a, const struct admit_demand *d,
                   size_t n, int64_t earliest, int64_t latest,
                   int64_t duration, int64_t *start,
                   struct admit_shortage *sh, struct brk_error *err);

/* Forgets the past: change points before 't' are folded into one.  Does
 * not change any usage at or after 't'. */
void admit_forget_before(struct admit *a, int64_t t);

/* Writes "<name>: short by <amount> at <time>: <used> of <capacity> used,
 * <asked> asked" into 'buf' with amounts in the resource's unit. */
const char *admit_shortage_format(const struct admit *a,
                                  const struct admit_shortage *sh,
                                  char *buf, size_t size);

#endif /* LAMINA_ADMIT_H */
