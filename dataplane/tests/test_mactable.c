/* Unit tests: per-vnode MAC learning and aging. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "mactable.h"

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0x0b };
static const uint8_t mac_group[6] = { 0x01, 0, 0x5e, 0, 0, 1 };

static void
test_learn_and_lookup(void **state)
{
    struct mactable t;
    (void) state;

    assert_int_equal(mactable_init(&t, 64, 300), 0);
    assert_int_equal(mactable_lookup(&t, mactable_key(mac_a), 0), MACTABLE_NONE);
    mactable_learn(&t, mactable_key(mac_a), 1, 10);
    mactable_learn(&t, mactable_key(mac_b), 2, 10);
    assert_int_equal(mactable_lookup(&t, mactable_key(mac_a), 11), 1);
    assert_int_equal(mactable_lookup(&t, mactable_key(mac_b), 11), 2);
    /* A station that moves is found on its new port. */
    mactable_learn(&t, mactable_key(mac_a), 3, 12);
    assert_int_equal(mactable_lookup(&t, mactable_key(mac_a), 12), 3);
    assert_int_equal(mactable_count(&t, 12), 2);
    mactable_destroy(&t);
}

static void
test_group_never_learned(void **state)
{
    struct mactable t;
    (void) state;

    assert_int_equal(mactable_init(&t, 64, 300), 0);
    mactable_learn(&t, mactable_key(mac_group), 1, 0);
    assert_int_equal(mactable_lookup(&t, mactable_key(mac_group), 0), MACTABLE_NONE);
    assert_int_equal(mactable_count(&t, 0), 0);
    mactable_destroy(&t);
}

static void
test_aging(void **state)
{
    struct mactable t;
    (void) state;

    assert_int_equal(mactable_init(&t, 64, 5), 0);
    mactable_learn(&t, mactable_key(mac_a), 1, 100);
    assert_int_equal(mactable_lookup(&t, mactable_key(mac_a), 105), 1);
    assert_int_equal(mactable_lookup(&t, mactable_key(mac_a), 106), MACTABLE_NONE);
    /* Seen again: alive again. */
    mactable_learn(&t, mactable_key(mac_a), 2, 106);
    assert_int_equal(mactable_lookup(&t, mactable_key(mac_a), 110), 2);
    mactable_destroy(&t);
}

/* Two tables are two slices: the same MAC maps to different ports. */
static void
test_tables_are_independent(void **state)
{
    struct mactable red, blue;
    (void) state;

    assert_int_equal(mactable_init(&red, 64, 300), 0);
    assert_int_equal(mactable_init(&blue, 64, 300), 0);
    mactable_learn(&red, mactable_key(mac_a), 1, 0);
    mactable_learn(&blue, mactable_key(mac_a), 7, 0);
    assert_int_equal(mactable_lookup(&red, mactable_key(mac_a), 0), 1);
    assert_int_equal(mactable_lookup(&blue, mactable_key(mac_a), 0), 7);
    mactable_destroy(&red);
    mactable_destroy(&blue);
}

static void
test_flush_port(void **state)
{
    struct mactable t;
    (void) state;

    assert_int_equal(mactable_init(&t, 64, 300), 0);
    mactable_learn(&t, mactable_key(mac_a), 1, 0);
    mactable_learn(&t, mactable_key(mac_b), 2, 0);
    mactable_flush_port(&t, 1);
    assert_int_equal(mactable_lookup(&t, mactable_key(mac_a), 0), MACTABLE_NONE);
    assert_int_equal(mactable_lookup(&t, mactable_key(mac_b), 0), 2);
    mactable_destroy(&t);
}

/* A full table keeps learning: the stalest entry gives way. */
static void
test_full_table_evicts_stalest(void **state)
{
    struct mactable t;
    uint32_t now = 0;
    (void) state;

    assert_int_equal(mactable_init(&t, 8, 1000), 0);
    for (uint32_t i = 1; i <= 64; i++) {
        uint8_t mac[6] = { 0x02, 0, 0, 0, (uint8_t) (i >> 8), (uint8_t) i };
        mactable_learn(&t, mactable_key(mac), i % 4, now++);
        /* The newest entry is always found. */
        assert_int_equal(mactable_lookup(&t, mactable_key(mac), now), i % 4);
    }
    assert_true(t.n_evicted > 0);
    assert_true(mactable_count(&t, now) <= 8);
    mactable_destroy(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learn_and_lookup),
        cmocka_unit_test(test_group_never_learned),
        cmocka_unit_test(test_aging),
        cmocka_unit_test(test_tables_are_independent),
        cmocka_unit_test(test_flush_port),
        cmocka_unit_test(test_full_table_evicts_stalest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
