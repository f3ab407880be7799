/* Unit tests of admission over time: a future lease counts only where it
 * overlaps, shortages name the resource, the amount and the moment, the
 * earliest start agrees with a brute-force scan, and a table with 10,000
 * leases still answers (the time is printed; the speed goal is checked
 * by bench-admit, not here). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "brk_error.h"
#include "util.h"

#define H 3600

/* A lease booked for tomorrow leaves today free: the classic bug. */
static void
test_future_lease_not_used_now(void **state)
{
    struct admit *a = admit_create();
    uint32_t cpu;
    struct brk_error err;

    (void) state;
    assert_int_equal(admit_add_resource(a, "inp1 node s1 cpu", ADMIT_CPU, 10,
                                        &cpu), 0);
    struct admit_demand d = { cpu, 8 };
    assert_int_equal(admit_book(a, &d, 1, 24 * H, 48 * H, NULL, &err), 0);

    /* Now (0..2h): the future lease does not count. */
    assert_int_equal(admit_used_at(a, cpu, 0), 0);
    assert_int_equal(admit_check(a, &d, 1, 0, 2 * H, NULL, &err), 0);
    /* Up to the start of the booked lease: still fine (half-open). */
    assert_int_equal(admit_check(a, &d, 1, 0, 24 * H, NULL, &err), 0);
    /* One second of overlap is too much. */
    struct admit_shortage sh;
    assert_int_equal(admit_check(a, &d, 1, 0, 24 * H + 1, &sh, &err), ENOSPC);
    assert_int_equal(sh.resource, cpu);
    assert_int_equal(sh.used, 8);
    assert_int_equal(sh.short_by, 6);
    assert_int_equal(sh.at, 24 * H);
    /* After it ends the capacity is back. */
    assert_int_equal(admit_check(a, &d, 1, 48 * H, 50 * H, NULL, &err), 0);
    admit_destroy(a);
}

/* Peak over the interval only; several resources; the worst shortage is
 * reported with its first moment, and the message says all of it. */
static void
test_peak_and_shortage(void **state)
{
    struct admit *a = admit_create();
    uint32_t cpu, bw;
    struct admit_shortage sh;
    struct brk_error err;
    char buf[256];

    (void) state;
    admit_add_resource(a, "inp1 node s1 cpu", ADMIT_CPU, 10, &cpu);
    admit_add_resource(a, "inp1 link s1-s2", ADMIT_BANDWIDTH, 100000000, &bw);
    struct admit_demand l1[] = { { cpu, 4 }, { bw, 60000000 } };
    struct admit_demand l2[] = { { cpu, 5 }, { bw, 30000000 } };
    assert_int_equal(admit_book(a, l1, 2, 0, 10, NULL, &err), 0);
    assert_int_equal(admit_book(a, l2, 2, 5, 20, NULL, &err), 0);
    assert_int_equal(admit_peak(a, cpu, 0, 30, NULL), 9);
    assert_int_equal(admit_peak(a, cpu, 10, 30, NULL), 5);
    assert_int_equal(admit_used_at(a, bw, 7), 90000000);

    /* 20 Mbit/s + 1 CPU over [8, 12): bandwidth short by 10M at 8. */
    struct admit_demand r[] = { { bw, 20000000 }, { cpu, 1 } };
    assert_int_equal(admit_check(a, r, 2, 8, 12, &sh, &err), ENOSPC);
    assert_int_equal(sh.resource, bw);
    assert_int_equal(sh.short_by, 10000000);
    assert_int_equal(sh.at, 8);
    admit_shortage_format(a, &sh, buf, sizeof buf);
    assert_non_null(strstr(buf, "inp1 link s1-s2: short by 10Mbit/s at "
                                "1970-01-01T00:00:08Z"));
    /* From 10 on the bandwidth is free enough. */
    assert_int_equal(admit_check(a, r, 2, 10, 12, NULL, &err), 0);
    /* Demands on the same resource add up. */
    struct admit_demand twice[] = { { cpu, 3 }, { cpu, 3 } };
    assert_int_equal(admit_check(a, twice, 2, 12, 13, &sh, &err), ENOSPC);
    assert_int_equal(sh.asked, 6);
    assert_int_equal(sh.short_by, 1);

    /* A refused booking changes nothing. */
    size_t points = admit_n_points(a, cpu);
    assert_int_equal(admit_book(a, twice, 2, 0, 30, &sh, &err), ENOSPC);
    assert_non_null(strstr(err.msg, "inp1 node s1 cpu: short by"));
    assert_int_equal(admit_n_points(a, cpu), points);
    assert_int_equal(admit_peak(a, cpu, 0, 30, NULL), 9);

    /* Bad input. */
    struct admit_demand zero = { cpu, 0 }, unknown = { 7, 1 };
    assert_int_equal(admit_check(a, &zero, 1, 0, 1, NULL, &err), EINVAL);
    assert_non_null(strstr(err.msg, "amount must be positive"));
    assert_int_equal(admit_check(a, &unknown, 1, 0, 1, NULL, &err), EINVAL);
    assert_int_equal(admit_check(a, r, 2, 5, 5, NULL, &err), EINVAL);
    admit_destroy(a);
}

/* Early release gives back the tail; unbooking what was not booked is
 * refused and changes nothing; forgetting the past changes no usage. */
static void
test_unbook_and_forget(void **state)
{
    struct admit *a = admit_create();
    uint32_t cpu;
    struct brk_error err;

    (void) state;
    admit_add_resource(a, "cpu", ADMIT_CPU, 10, &cpu);
    struct admit_demand d = { cpu, 6 };
    assert_int_equal(admit_book(a, &d, 1, 100, 200, NULL, &err), 0);
    assert_int_equal(admit_unbook(a, &d, 1, 150, 200, &err), 0);
    assert_int_equal(admit_used_at(a, cpu, 149), 6);
    assert_int_equal(admit_used_at(a, cpu, 150), 0);
    assert_int_equal(admit_n_points(a, cpu), 2);
    assert_int_equal(admit_unbook(a, &d, 1, 140, 160, &err), EINVAL);
    assert_int_equal(admit_used_at(a, cpu, 145), 6);
    assert_int_equal(admit_unbook(a, &d, 1, 100, 150, &err), 0);
    assert_int_equal(admit_n_points(a, cpu), 0);

    for (int i = 0; i < 10; i++) {
        struct admit_demand one = { cpu, 1 };
        admit_book(a, &one, 1, i * 10, i * 10 + 25, NULL, &err);
    }
    int64_t before[120];
    for (int t = 0; t < 120; t++) {
        before[t] = admit_used_at(a, cpu, t);
    }
    admit_forget_before(a, 55);
    for (int t = 55; t < 120; t++) {
        assert_int_equal(admit_used_at(a, cpu, t), before[t]);
    }
    admit_destroy(a);
}

/* The earliest start: a window, a duration, and the answer where the
 * capacity comes back. */
static void
test_earliest(void **state)
{
    struct admit *a = admit_create();
    uint32_t cpu, bw;
    struct brk_error err;
    struct admit_shortage sh;
    int64_t start;

    (void) state;
    admit_add_resource(a, "cpu", ADMIT_CPU, 10, &cpu);
    admit_add_resource(a, "bw", ADMIT_BANDWIDTH, 100, &bw);
    struct admit_demand c8 = { cpu, 8 }, b90 = { bw, 90 };
    admit_book(a, &c8, 1, 0, 100, NULL, &err);
    admit_book(a, &b90, 1, 150, 200, NULL, &err);

    struct admit_demand r[] = { { cpu, 5 }, { bw, 20 } };
    /* 40 s of both: cpu free from 100, bandwidth busy 150..200, so
     * [100, 140) fits. */
    assert_int_equal(admit_earliest(a, r, 2, 0, 1000, 40, &start, &sh, &err), 0);
    assert_int_equal(start, 100);
    /* 60 s does not fit before 150: the answer is 200. */
    assert_int_equal(admit_earliest(a, r, 2, 0, 1000, 60, &start, &sh, &err), 0);
    assert_int_equal(start, 200);
    /* A window that closes before 200: refused, shortage at the earliest. */
    assert_int_equal(admit_earliest(a, r, 2, 0, 199, 60, &start, &sh, &err),
                     ENOSPC);
    assert_int_equal(sh.resource, cpu);
    assert_non_null(strstr(err.msg, "no start in the window fits"));
    /* More than the capacity never fits. */
    struct admit_demand huge = { cpu, 11 };
    assert_int_equal(admit_earliest(a, &huge, 1, 0, 1000, 1, &start, &sh, &err),
                     ENOSPC);
    admit_destroy(a);
}

static uint64_t rng_state = 88172645463325252ULL;

static uint32_t
rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state % n;
}

/* Random bookings on a short time axis, against a per-second array. */
static void
test_against_brute_force(void **state)
{
    enum { T = 120, R = 3 };

    (void) state;
    for (int round = 0; round < 200; round++) {
        struct admit *a = admit_create();
        int64_t use[R][T + 60] = { { 0 } };
        int64_t cap[R];
        struct brk_error err;

        for (int r = 0; r < R; r++) {
            uint32_t idx;
            cap[r] = 5 + rnd(10);
            admit_add_resource(a, "r", ADMIT_CPU, cap[r], &idx);
        }
        for (int k = 0; k < 30; k++) {
            struct admit_demand d = { rnd(R), 1 + rnd(5) };
            int64_t s = rnd(T), e = s + 1 + rnd(40);
            bool fits = true;
            for (int64_t t = s; t < e; t++) {
                fits &= use[d.resource][t] + d.amount <= cap[d.resource];
            }
            int error = admit_book(a, &d, 1, s, e, NULL, &err);
            assert_int_equal(error, fits ? 0 : ENOSPC);
            for (int64_t t = s; fits && t < e; t++) {
                use[d.resource][t] += d.amount;
            }
            if (fits && rnd(4) == 0) {       /* early release */
                int64_t cut = s + rnd(e - s);
                assert_int_equal(admit_unbook(a, &d, 1, cut, e, &err), 0);
                for (int64_t t = cut; t < e; t++) {
                    use[d.resource][t] -= d.amount;
                }
            }
        }
        for (int q = 0; q < 20; q++) {
            struct admit_demand d[2] = { { 0, 1 + rnd(6) }, { 1 + rnd(2), 1 + rnd(6) } };
            int64_t earliest = rnd(T), latest = earliest + rnd(60);
            int64_t dur = 1 + rnd(30), want = -1;
            for (int64_t s = earliest; s <= latest && want < 0; s++) {
                bool ok = true;
                for (int64_t t = s; t < s + dur; t++) {
                    int64_t u0 = t < T + 60 ? use[0][t] : 0;
                    int64_t u1 = t < T + 60 ? use[d[1].resource][t] : 0;
                    ok &= u0 + d[0].amount <= cap[0]
                          && u1 + d[1].amount <= cap[d[1].resource];
                }
                if (ok) {
                    want = s;
                }
            }
            int64_t got;
            int error = admit_earliest(a, d, 2, earliest, latest, dur, &got,
                                       NULL, &err);
            if (want < 0) {
                assert_int_equal(error, ENOSPC);
            } else {
                assert_int_equal(error, 0);
                assert_int_equal(got, want);
            }
        }
        admit_destroy(a);
    }
}

/* 10,000 leases over a month on 400 resources; every decision is made and
 * timed.  The figure is printed, not asserted (see bench-admit). */
static void
test_ten_thousand_leases(void **state)
{
    struct admit *a = admit_create();
    enum { N_RES = 400 };
    uint32_t idx;
    struct brk_error err;

    (void) state;
    for (int i = 0; i < N_RES; i++) {
        admit_add_resource(a, "r", i < 100 ? ADMIT_CPU : ADMIT_BANDWIDTH,
                           i < 100 ? 100000 : 100000000000LL, &idx);
    }
    int booked = 0;
    for (int i = 0; i < 10000; i++) {
        struct admit_demand d[10];
        for (int k = 0; k < 10; k++) {
            d[k].resource = k < 4 ? rnd(100) : 100 + rnd(300);
            d[k].amount = k < 4 ? 1 + rnd(8) : 1000000 * (1 + rnd(100));
        }
        int64_t s = rnd(30 * 24) * H;
        booked += !admit_book(a, d, 10, s, s + (1 + rnd(72)) * H, NULL, &err);
    }
    assert_int_equal(booked, 10000);

    uint64_t worst = 0, total = 0;
    for (int q = 0; q < 100; q++) {
        struct admit_demand d[10];
        for (int k = 0; k < 10; k++) {
            d[k].resource = k < 4 ? rnd(100) : 100 + rnd(300);
            d[k].amount = 1;
        }
        int64_t t0 = time_ns(), start;
        assert_int_equal(admit_earliest(a, d, 10, 0, 30 * 24 * H, 24 * H,
                                        &start, NULL, &err), 0);
        uint64_t dt = time_ns() - t0;
        total += dt;
        worst = MAX(worst, dt);
    }
    print_message("admission with 10,000 leases booked: earliest start over "
                  "a 30-day window, 10 resources: mean %.3f ms, worst %.3f ms\n",
                  total / 100 / 1e6, worst / 1e6);
    admit_destroy(a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_future_lease_not_used_now),
        cmocka_unit_test(test_peak_and_shortage),
        cmocka_unit_test(test_unbook_and_forget),
        cmocka_unit_test(test_earliest),
        cmocka_unit_test(test_against_brute_force),
        cmocka_unit_test(test_ten_thousand_leases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
