/* Unit tests of lib/units: the rates, delays and losses people type. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "units.h"
#include "util.h"

static void
test_rates(void **state)
{
    static const struct { const char *s; uint64_t bps; } good[] = {
        { "0", 0 }, { "1", 1 }, { "100k", 100000 }, { "100K", 100000 },
        { "10M", 10000000 }, { "1.5G", 1500000000 }, { "2T", 2000000000000ULL },
        { "10Mbps", 10000000 }, { "10mbit/s", 0 }, { "1.5", 1 },
        { "0.5k", 500 }, { ".25M", 250000 }, { "10bps", 10 },
        { "1.000000001G", 1000000001 }, { "18446744073709551615", UINT64_MAX },
        { "40G", 40000000000ULL },
    };
    static const char *const bad[] = {
        "", "M", "-1", "-1M", "+5", " 5", "5 ", "5 M", "5X", "5Mx", "1e6",
        "0x10", "1..5", "1.5.5", "nan", "inf", "5MM", "1.0000000001G",
        "10mbit/s",
    };
    uint64_t bps;

    (void) state;
    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        if (!good[i].bps && good[i].s[0] != '0') {
            continue;   /* placeholder for a spelling that must fail */
        }
        assert_int_equal(units_parse_rate(good[i].s, &bps), 0);
        assert_true(bps == good[i].bps);
    }
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        assert_int_equal(units_parse_rate(bad[i], &bps), EINVAL);
    }
    assert_int_equal(units_parse_rate(NULL, &bps), EINVAL);
    assert_int_equal(units_parse_rate("18446744073709551616", &bps), ERANGE);
    assert_int_equal(units_parse_rate("100000000000T", &bps), ERANGE);
    assert_int_equal(units_parse_rate("99999999999999999999999999", &bps),
                     ERANGE);
}

static void
test_format_rate(void **state)
{
    char buf[32];

    (void) state;
    assert_string_equal(units_format_rate(0, buf, sizeof buf), "0");
    assert_string_equal(units_format_rate(999, buf, sizeof buf), "999");
    assert_string_equal(units_format_rate(10000000, buf, sizeof buf), "10M");
    assert_string_equal(units_format_rate(1500000000, buf, sizeof buf), "1.5G");
    assert_string_equal(units_format_rate(1234567, buf, sizeof buf), "1.234567M");
    /* What it writes reads back to the same value (a topology file written
     * with "%.3g" held "1.09e+06T", which no reader takes). */
    static const uint64_t rates[] = { 1, 999, 1001, 1234567, 1500000000,
        1090000000000000000ULL, 1090000000000000123ULL, 123456789012ULL,
        UINT64_MAX };
    for (size_t i = 0; i < sizeof rates / sizeof *rates; i++) {
        uint64_t back = 0;
        assert_int_equal(units_parse_rate(units_format_rate(rates[i], buf,
                                                            sizeof buf),
                                          &back), 0);
        assert_true(back == rates[i]);
    }
}

static void
test_delay_loss(void **state)
{
    uint32_t v;

    (void) state;
    assert_int_equal(units_parse_delay("250", &v), 0);
    assert_int_equal(v, 250);
    assert_int_equal(units_parse_delay("250us", &v), 0);
    assert_int_equal(v, 250);
    assert_int_equal(units_parse_delay("10ms", &v), 0);
    assert_int_equal(v, 10000);
    assert_int_equal(units_parse_delay("1.5s", &v), 0);
    assert_int_equal(v, 1500000);
    assert_int_equal(units_parse_delay("5m", &v), EINVAL);
    assert_int_equal(units_parse_delay("-1ms", &v), EINVAL);
    assert_int_equal(units_parse_delay("5000s", &v), ERANGE);

    assert_int_equal(units_parse_loss("1", &v), 0);
    assert_int_equal(v, 10000);
    assert_int_equal(units_parse_loss("0.5%", &v), 0);
    assert_int_equal(v, 5000);
    assert_int_equal(units_parse_loss("100%", &v), 0);
    assert_int_equal(v, 1000000);
    assert_int_equal(units_parse_loss("250ppm", &v), 0);
    assert_int_equal(v, 250);
    assert_int_equal(units_parse_loss("101", &v), ERANGE);
    assert_int_equal(units_parse_loss("2000000ppm", &v), ERANGE);
    assert_int_equal(units_parse_loss("1%%", &v), EINVAL);
    assert_int_equal(units_parse_loss("", &v), EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rates),
        cmocka_unit_test(test_format_rate),
        cmocka_unit_test(test_delay_loss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
