/* bench-admit: how long one admission decision takes with many leases
 * booked (the goal: <= 10 ms with 10,000).
 *
 *   bench-admit [LEASES]
 *
 * Two tables, each with LEASES (default 10,000) leases booked at random
 * over 30 days (to the second, so no two change points coincide), each
 * lease 1..72 hours:
 *
 *   spread:  400 resources (100 nodes, 300 links); a lease takes 4 node
 *            CPUs and 6 links, as a small virtual network does;
 *   one:     every lease on the same single resource (the worst case for
 *            the per-resource timeline: 20,000 change points).
 *
 * On each, 1,000 decisions of each kind are timed: 'check' (does a
 * request fit over a random 24 h interval?) and 'earliest' (the earliest
 * start of a 24 h request in a 30-day window).  Capacities are set so
 * that about half the checks are refused, which makes 'earliest' sweep
 * many forbidden intervals.  Prints mean, 99th percentile and worst in
 * microseconds, one line per case. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "brk_error.h"
#include "util.h"

#define H 3600
#define N_QUERIES 1000

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state % n;
}

static int
cmp_u64(const void *a_, const void *b_)
{
    uint64_t a = *(const uint64_t *) a_, b = *(const uint64_t *) b_;
    return a < b ? -1 : a > b;
}

/* Random demands of a small virtual network on 'n_res' resources (all on
 * resource 0 when 'n_res' is 1). */
static size_t
demands(struct admit_demand *d, uint32_t n_res, int64_t scale)
{
    if (n_res == 1) {
        d[0] = (struct admit_demand) { 0, 1 + rnd(8) * scale };
        return 1;
    }
    for (int k = 0; k < 10; k++) {
        d[k].resource = k < 4 ? rnd(100) : 100 + rnd(n_res - 100);
        d[k].amount = k < 4 ? 1 + rnd(8) : 1000000 * (1 + rnd(100));
    }
    return 10;
}

static void
report(const char *table, const char *kind, uint64_t *ns, int refused)
{
    uint64_t total = 0;
    qsort(ns, N_QUERIES, sizeof *ns, cmp_u64);
    for (int i = 0; i < N_QUERIES; i++) {
        total += ns[i];
    }
    printf("%-7s %-9s mean %.1f us  p99 %.1f us  worst %.1f us  (%d of %d refused)\n",
           table, kind, total / (double) N_QUERIES / 1e3,
           ns[N_QUERIES * 99 / 100] / 1e3, ns[N_QUERIES - 1] / 1e3,
           refused, N_QUERIES);
}

static void
run(const char *table, uint32_t n_res, int n_leases)
{
    struct admit *a = admit_create();
    struct brk_error err;
    uint32_t idx;
    uint64_t *ns = xcalloc(N_QUERIES, sizeof *ns);

    /* Capacities: about what the average concurrent load needs, so that
     * peaks are refused. */
    int64_t concurrent = (int64_t) n_leases * 36 / (30 * 24);
    for (uint32_t i = 0; i < n_res; i++) {
        bool cpu = n_res == 1 || i < 100;
        int64_t per = cpu ? 4.5 : 50500000;
        int64_t share = n_res == 1 ? concurrent
                        : concurrent * (cpu ? 4 : 6) / (cpu ? 100 : n_res - 100);
        admit_add_resource(a, "r", cpu ? ADMIT_CPU : ADMIT_BANDWIDTH,
                           per * share + per * 4, &idx);
    }
    int booked = 0;
    for (int tries = 0; booked < n_leases && tries < 50 * n_leases; tries++) {
        struct admit_demand d[10];
        size_t n = demands(d, n_res, 1);
        int64_t s = rnd(30 * 24 * H);
        booked += !admit_book(a, d, n, s, s + H + rnd(71 * H), NULL, &err);
    }

    int refused = 0;
    for (int q = 0; q < N_QUERIES; q++) {
        struct admit_demand d[10];
        size_t n = demands(d, n_res, 1);
        int64_t s = rnd(30 * 24 * H);
        uint64_t t0 = time_ns();
        refused += admit_check(a, d, n, s, s + 24 * H, NULL, &err) == ENOSPC;
        ns[q] = time_ns() - t0;
    }
    printf("%s: %d leases booked on %u resources\n", table, booked, n_res);
    report(table, "check", ns, refused);

    refused = 0;
    for (int q = 0; q < N_QUERIES; q++) {
        struct admit_demand d[10];
        size_t n = demands(d, n_res, 1);
        int64_t start;
        uint64_t t0 = time_ns();
        refused += admit_earliest(a, d, n, 0, 30 * 24 * H, 24 * H, &start,
                                  NULL, &err) == ENOSPC;
        ns[q] = time_ns() - t0;
    }
    report(table, "earliest", ns, refused);
    free(ns);
    admit_destroy(a);
}

int
main(int argc, char *argv[])
{
    int n_leases = argc > 1 ? atoi(argv[1]) : 10000;
    if (n_leases <= 0) {
        fprintf(stderr, "usage: bench-admit [LEASES]\n");
        return 2;
    }
    run("spread", 400, n_leases);
    run("one", 1, n_leases);
    return 0;
}
