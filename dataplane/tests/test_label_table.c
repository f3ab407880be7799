/* Unit tests: the per-switch label table (per receiving port). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "label_table.h"

static int values[3];

static void
test_add_lookup_del(void **state)
{
    struct label_table t;
    (void) state;

    assert_int_equal(label_table_init(&t), 0);
    assert_int_equal(label_table_add(&t, 1, 100, &values[0]), 0);
    assert_int_equal(label_table_add(&t, 2, 100, &values[1]), 0);    /* other port */
    assert_int_equal(label_table_add(&t, 1, 100, &values[2]), EEXIST);
    assert_ptr_equal(label_table_lookup(&t, 1, 100), &values[0]);
    assert_ptr_equal(label_table_lookup(&t, 2, 100), &values[1]);
    assert_null(label_table_lookup(&t, 3, 100));
    assert_null(label_table_lookup(&t, 1, 101));
    assert_int_equal(label_table_del(&t, 1, 100), 0);
    assert_int_equal(label_table_del(&t, 1, 100), ENOENT);
    assert_null(label_table_lookup(&t, 1, 100));
    assert_ptr_equal(label_table_lookup(&t, 2, 100), &values[1]);
    label_table_destroy(&t);
}

static void
test_reserved_and_range(void **state)
{
    struct label_table t;
    (void) state;

    assert_int_equal(label_table_init(&t), 0);
    assert_int_equal(label_table_add(&t, 0, 0, &values[0]), EINVAL);
    assert_int_equal(label_table_add(&t, 0, 15, &values[0]), EINVAL);
    assert_int_equal(label_table_add(&t, 0, 16, &values[0]), 0);
    assert_int_equal(label_table_add(&t, 0, 0xfffff, &values[0]), 0);
    assert_int_equal(label_table_add(&t, 0, 0x100000, &values[0]), EINVAL);
    label_table_destroy(&t);
}

/* Many entries with growth and deletions in between: every remaining
 * entry is still found (checks the backward-shift deletion). */
static void
test_many_with_deletes(void **state)
{
    struct label_table t;
    enum { N = 5000 };
    static int v[N];
    (void) state;

    assert_int_equal(label_table_init(&t), 0);
    srand(7);
    for (int i = 0; i < N; i++) {
        assert_int_equal(label_table_add(&t, i % 13, 16 + i, &v[i]), 0);
    }
    for (int i = 0; i < N; i += 3) {
        assert_int_equal(label_table_del(&t, i % 13, 16 + i), 0);
    }
    for (int i = 0; i < N; i++) {
        void *got = label_table_lookup(&t, i % 13, 16 + i);
        if (i % 3 == 0) {
            assert_null(got);
        } else {
            assert_ptr_equal(got, &v[i]);
        }
    }
    assert_int_equal(t.n, N - (N + 2) / 3);
    label_table_destroy(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_lookup_del),
        cmocka_unit_test(test_reserved_and_range),
        cmocka_unit_test(test_many_with_deletes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
