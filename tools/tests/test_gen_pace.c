/* Unit tests of lamina-gen's pacing arithmetic (gen_pace.h), on a
 * simulated clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "gen_pace.h"

#define MS 1000000ULL
#define S  1000000000ULL

/* The sender's loop over [0, secs] simulated seconds: take up to 'batch'
 * packets, spend 'cost_ns' sending them; when the bucket is empty, sleep
 * as the pace asks but wake up to 'late_ns' late (a busy machine).
 * Returns packets sent. */
static uint64_t
simulate(uint64_t pps, uint64_t batch, uint64_t secs, uint64_t cost_ns,
         uint64_t late_ns, unsigned int seed)
{
    struct gen_pace p;
    uint64_t now = 1234567, end = now + secs * S, sent = 0;

    srand(seed);
    gen_pace_init(&p, pps, gen_pace_default_depth(pps, batch), now);
    while (now <= end) {
        uint64_t n = gen_pace_take(&p, now, batch);
        sent += n;
        if (n) {
            now += cost_ns;
        } else {
            uint64_t w = gen_pace_wait_ns(&p);
            now += (w ? w : 1) + (late_ns ? (uint64_t) rand() % late_ns : 0);
        }
    }
    return sent;
}

static void
test_rate_is_exact(void **state)
{
    (void) state;
    /* Sleeping exactly as told. */
    assert_int_equal(simulate(1000, 32, 10, 0, 0, 1), 10000);
    assert_int_equal(simulate(3, 32, 10, 0, 0, 1), 30);
    assert_int_equal(simulate(1000000, 32, 1, 0, 0, 1), 1000000);
    /* Wake-ups up to 2 ms late lose nothing (the bucket holds 10 ms);
     * only the last late wake-up may miss what fell due after it. */
    uint64_t n = simulate(100000, 32, 5, 1000, 2 * MS, 7);
    assert_true(n >= 500000 - 200 && n <= 500000);
    n = simulate(12345, 32, 3, 1000, MS, 3);
    assert_true(n >= 37035 - 13 && n <= 37035);
    /* A sender too slow for the rate (32 packets per 400 us = 80 kpps)
     * sends what it can, and no more. */
    n = simulate(1000000, 32, 1, 400000, 0, 1);
    assert_true(n >= 79000 && n <= 80100);
}

static void
test_no_tokens_at_start(void **state)
{
    struct gen_pace p;
    (void) state;
    gen_pace_init(&p, 1000, 32, 5 * S);
    assert_int_equal(gen_pace_take(&p, 5 * S, 32), 0);
    assert_int_equal(gen_pace_wait_ns(&p), MS);
    assert_int_equal(gen_pace_take(&p, 5 * S + MS - 1, 32), 0);
    assert_int_equal(gen_pace_take(&p, 5 * S + MS, 32), 1);
    /* A clock that goes backwards adds nothing. */
    assert_int_equal(gen_pace_take(&p, 4 * S, 32), 0);
}

static void
test_stall_burst_is_bounded(void **state)
{
    struct gen_pace p;
    (void) state;
    /* 10 kpps, depth 100 (10 ms): a 1 s stall yields 100, not 10,000. */
    gen_pace_init(&p, 10000, gen_pace_default_depth(10000, 32), 0);
    assert_int_equal(p.depth, 100);
    assert_int_equal(gen_pace_take(&p, 1 * S, 1000), 100);
    assert_int_equal(gen_pace_take(&p, 1 * S, 1000), 0);
    /* A huge stall at a huge rate does not overflow. */
    gen_pace_init(&p, 1000000000ULL, gen_pace_default_depth(1000000000ULL, 32), 0);
    assert_int_equal(gen_pace_take(&p, 3600 * S, UINT64_MAX), 10000000);
}

static void
test_batch_limit_and_give_back(void **state)
{
    struct gen_pace p;
    (void) state;
    gen_pace_init(&p, 1000000, 1000, 0);
    assert_int_equal(gen_pace_take(&p, MS, 32), 32);
    gen_pace_give_back(&p, 12);
    assert_int_equal(gen_pace_take(&p, MS, 1000), 1000 - 20);
    assert_int_equal(gen_pace_take(&p, MS, 1000), 0);
}

static void
test_unlimited(void **state)
{
    struct gen_pace p;
    (void) state;
    gen_pace_init(&p, 0, 0, 0);
    assert_int_equal(gen_pace_take(&p, 0, 32), 32);
    assert_int_equal(gen_pace_wait_ns(&p), 0);
}

static void
test_bps_to_pps(void **state)
{
    (void) state;
    /* 10 Mbit/s of 1000-byte frames: 1250 pps. */
    assert_int_equal(gen_pace_pps_from_bps(10000000, 1000), 1250);
    /* 1 Gbit/s of 64-byte frames: 1,953,125 pps. */
    assert_int_equal(gen_pace_pps_from_bps(1000000000, 64), 1953125);
    /* Rounds to the nearest: 100-byte frames are 800 bits. */
    assert_int_equal(gen_pace_pps_from_bps(1199, 100), 1);
    assert_int_equal(gen_pace_pps_from_bps(1201, 100), 2);
    assert_int_equal(gen_pace_pps_from_bps(1, 1500), 1);
    assert_int_equal(gen_pace_pps_from_bps(0, 64), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_is_exact),
        cmocka_unit_test(test_no_tokens_at_start),
        cmocka_unit_test(test_stall_burst_is_bounded),
        cmocka_unit_test(test_batch_limit_and_give_back),
        cmocka_unit_test(test_unlimited),
        cmocka_unit_test(test_bps_to_pps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
