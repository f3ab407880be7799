#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "crc32c.h"
#include "util.h"

static void
test_name_is_valid(void **state)
{
    (void) state;
    assert_true(name_is_valid("red"));
    assert_true(name_is_valid("s1.port-2_x"));
    assert_false(name_is_valid(""));
    assert_false(name_is_valid(NULL));
    assert_false(name_is_valid("-red"));
    assert_false(name_is_valid("a b"));
    assert_false(name_is_valid("x\"y"));
    assert_false(name_is_valid("0123456789012345678901234567890123456789012345678901234567890123"));
}

/* CRC-32C: the check value, and continuing over pieces. */
static void
test_crc32c(void **state)
{
    (void) state;
    assert_int_equal(crc32c(0, "123456789", 9), 0xe3069283u);
    assert_int_equal(crc32c(crc32c(0, "1234", 4), "56789", 5), 0xe3069283u);
    assert_int_equal(crc32c(0, "", 0), 0);
}

static void
test_str_copy(void **state)
{
    char buf[4];
    (void) state;
    assert_true(str_copy(buf, "abc", sizeof buf));
    assert_string_equal(buf, "abc");
    assert_false(str_copy(buf, "abcd", sizeof buf));
    assert_string_equal(buf, "abc");
}

static void
test_str_has_word(void **state)
{
    (void) state;
    assert_true(str_has_word("rate delay loss", "delay"));
    assert_true(str_has_word("rate", "rate"));
    assert_false(str_has_word("rate delay", "del"));
    assert_false(str_has_word("ratex delay", "rate"));
    assert_false(str_has_word("", "rate"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_is_valid),
        cmocka_unit_test(test_str_copy),
        cmocka_unit_test(test_crc32c),
        cmocka_unit_test(test_str_has_word),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
