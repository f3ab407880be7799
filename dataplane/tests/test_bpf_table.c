/*
 * bpf_table: hash, array and lpm tables for eBPF forwarding planes,
 * against a plain model (random operations on a hash table compared with
 * a linear list; longest prefix match by hand).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bpf_table.h"

static void
test_hash_model(void **state)
{
    enum { SIZE = 64, KEYS = 100, OPS = 20000 };
    uint64_t model[KEYS];
    unsigned n = 0;
    struct bpft t;
    uint32_t seed = 1;
    (void) state;

    assert_int_equal(bpft_init(&t, BPFT_HASH, SIZE), 0);
    for (int i = 0; i < KEYS; i++) {
        model[i] = BPFT_MISS;
    }
    for (int op = 0; op < OPS; op++) {
        seed = seed * 1103515245 + 12345;
        unsigned k = (seed >> 8) % KEYS;
        /* Keys that collide in k0 but not k1, and the reverse. */
        uint64_t k0 = k % 10, k1 = k / 10;
        if ((seed >> 20) & 1) {
            int error = bpft_update(&t, k0, k1, 0, op);
            if (model[k] == BPFT_MISS && n == SIZE) {
                assert_int_equal(error, ENOSPC);
            } else {
                assert_int_equal(error, 0);
                n += model[k] == BPFT_MISS;
                model[k] = op;
            }
        } else {
            int error = bpft_delete(&t, k0, k1, 0);
            assert_int_equal(error, model[k] == BPFT_MISS ? ENOENT : 0);
            n -= model[k] != BPFT_MISS;
            model[k] = BPFT_MISS;
        }
        assert_int_equal(t.n, n);
        for (int i = 0; i < KEYS; i++) {
            assert_true(bpft_lookup(&t, i % 10, i / 10) == model[i]);
        }
    }
    assert_int_equal(bpft_update(&t, 1, 1, 0, BPFT_MISS), EINVAL);
    bpft_destroy(&t);
    bpft_destroy(NULL);
}

static void
test_array(void **state)
{
    struct bpft t;
    (void) state;

    assert_int_equal(bpft_init(&t, BPFT_ARRAY, 4), 0);
    assert_true(bpft_lookup(&t, 2, 0) == BPFT_MISS);
    assert_int_equal(bpft_update(&t, 2, 0, 0, 77), 0);
    assert_true(bpft_lookup(&t, 2, 0) == 77);
    assert_int_equal(bpft_update(&t, 4, 0, 0, 1), EINVAL);
    assert_true(bpft_lookup(&t, 4, 0) == BPFT_MISS);
    assert_int_equal(t.n, 1);
    assert_int_equal(bpft_delete(&t, 2, 0, 0), 0);
    assert_int_equal(bpft_delete(&t, 2, 0, 0), ENOENT);
    assert_int_equal(t.n, 0);
    bpft_destroy(&t);
    assert_int_equal(bpft_init(&t, BPFT_ARRAY, 0), EINVAL);
}

static void
test_lpm(void **state)
{
    struct bpft t;
    (void) state;
    /* 2001:db8::/32 -> 1, 2001:db8:0:1::/64 -> 2, 2001:db8:0:1::5/128 -> 3,
     * ::/0 -> 9 */
    uint64_t net = 0x20010db800000000ULL, sub = 0x20010db800000001ULL;

    assert_int_equal(bpft_init(&t, BPFT_LPM, 8), 0);
    assert_true(bpft_lookup(&t, net, 0) == BPFT_MISS);
    assert_int_equal(bpft_update(&t, net | 0xffff, 7, 32, 1), 0); /* masked */
    assert_int_equal(bpft_update(&t, sub, 0, 64, 2), 0);
    assert_int_equal(bpft_update(&t, sub, 5, 128, 3), 0);
    assert_true(bpft_lookup(&t, net, 1) == 1);
    assert_true(bpft_lookup(&t, sub, 6) == 2);
    assert_true(bpft_lookup(&t, sub, 5) == 3);
    assert_true(bpft_lookup(&t, 0x20010db900000000ULL, 0) == BPFT_MISS);
    assert_int_equal(bpft_update(&t, 0, 0, 0, 9), 0);
    assert_true(bpft_lookup(&t, 0x20010db900000000ULL, 0) == 9);
    assert_int_equal(bpft_update(&t, 0, 0, 129, 9), EINVAL);
    /* IPv4-style keys: a << 32 with prefixes up to 32. */
    assert_int_equal(bpft_update(&t, 0x0a000000ULL << 32, 0, 8, 4), 0);
    assert_true(bpft_lookup(&t, 0x0a010203ULL << 32, 0) == 4);
    assert_int_equal(bpft_delete(&t, sub, 5, 128), 0);
    assert_true(bpft_lookup(&t, sub, 5) == 2);
    assert_int_equal(bpft_delete(&t, sub, 5, 128), ENOENT);
    assert_int_equal(bpft_delete(&t, sub, 0, 64), 0);
    assert_true(bpft_lookup(&t, sub, 5) == 1);
    assert_int_equal(t.n, 3);
    bpft_destroy(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_model),
        cmocka_unit_test(test_array),
        cmocka_unit_test(test_lpm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
