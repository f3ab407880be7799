#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
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

/* RFC 4648's vectors both ways; bad text refused; random bytes round trip. */
static void
test_base64(void **state)
{
    static const char *const vec[][2] = {
        { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
        { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
    };
    static const char *const bad[] = {
        "Zg=", "Zg=a", "Z===", "Zm9v!A==", "=Zm9", "Zg==Zg==", "Zm 9v",
    };
    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(vec); i++) {
        char *e = base64_encode(vec[i][0], strlen(vec[i][0]));
        void *d;
        size_t n;
        assert_string_equal(e, vec[i][1]);
        free(e);
        assert_int_equal(base64_decode(vec[i][1], &d, &n), 0);
        assert_int_equal(n, strlen(vec[i][0]));
        assert_memory_equal(d, vec[i][0], n);
        free(d);
    }
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        void *d = NULL;
        size_t n = 0;
        assert_int_equal(base64_decode(bad[i], &d, &n), EINVAL);
        assert_null(d);
    }
    unsigned char buf[257];
    srand(7);
    for (size_t len = 0; len < sizeof buf; len++) {
        for (size_t k = 0; k < len; k++) {
            buf[k] = rand();
        }
        char *e = base64_encode(buf, len);
        void *d;
        size_t n;
        assert_int_equal(base64_decode(e, &d, &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(d, buf, len);
        free(d);
        free(e);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_is_valid),
        cmocka_unit_test(test_str_copy),
        cmocka_unit_test(test_crc32c),
        cmocka_unit_test(test_str_has_word),
        cmocka_unit_test(test_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
