/*
 * Unit tests of lib/fault: probabilities read from the environment (bad
 * ones are 0), never at 0 and always at 1, the same seed giving the same
 * draws, and a frequency near the probability asked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "fault.h"

static void
test_prob(void **state)
{
    (void) state;
    unsetenv("LAMINA_TEST_P");
    assert_true(fault_prob("LAMINA_TEST_P") == 0);
    setenv("LAMINA_TEST_P", "0.25", 1);
    assert_true(fault_prob("LAMINA_TEST_P") == 0.25);
    const char *bad[] = { "abc", "2", "-0.1", "0.5x", "" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("LAMINA_TEST_P", bad[i], 1);
        assert_true(fault_prob("LAMINA_TEST_P") == 0);
    }
}

static void
test_roll(void **state)
{
    (void) state;
    setenv("LAMINA_FAULT_SEED", "42", 1);
    fault_init();
    int hits = 0;
    for (int i = 0; i < 10000; i++) {
        assert_false(fault_roll(0));
        assert_true(fault_roll(1));
        hits += fault_roll(0.1);
        assert_true(fault_below(7) < 7);
    }
    assert_in_range(hits, 800, 1200);
}

static void
test_seed(void **state)
{
    (void) state;
    uint64_t a[16], b[16];
    setenv("LAMINA_FAULT_SEED", "12345", 1);
    fault_init();
    for (int i = 0; i < 16; i++) {
        a[i] = fault_below(UINT64_MAX);
    }
    fault_init();
    for (int i = 0; i < 16; i++) {
        b[i] = fault_below(UINT64_MAX);
    }
    assert_memory_equal(a, b, sizeof a);
    setenv("LAMINA_FAULT_SEED", "12346", 1);
    fault_init();
    assert_true(fault_below(UINT64_MAX) != a[0]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prob),
        cmocka_unit_test(test_roll),
        cmocka_unit_test(test_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
