/* Unit tests of the times and durations people write in requests. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "brk_time.h"

static void
test_times(void **state)
{
    int64_t t;
    char buf[32];

    (void) state;
    assert_int_equal(brk_time_parse("1970-01-01T00:00:00Z", &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(brk_time_parse("2026-12-06T18:00:00Z", &t), 0);
    assert_int_equal(t, 1796580000);
    assert_string_equal(brk_time_format(t, buf, sizeof buf),
                        "2026-12-06T18:00:00Z");
    /* Offsets: the same instant. */
    int64_t u;
    assert_int_equal(brk_time_parse("2026-12-06T19:30:00+01:30", &u), 0);
    assert_int_equal(u, t);
    assert_int_equal(brk_time_parse("2026-12-06T16:00:00-02:00", &u), 0);
    assert_int_equal(u, t);
    assert_int_equal(brk_time_parse("2028-02-29T00:00:00Z", &u), 0);

    static const char *const bad[] = {
        "", "now", "2026-12-06", "2026-12-06T18:00:00", "2026-12-06T18:00Z",
        "2026-12-06T18:00:00.5Z", "2026-13-01T00:00:00Z",
        "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-12-06T24:00:00Z",
        "2026-12-06T18:00:00+1:00", "2026-12-06T18:00:00Zx", "1969-12-31T23:59:59Z",
        "2026/12/06T18:00:00Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (brk_time_parse(bad[i], &u) != EINVAL) {
            fail_msg("\"%s\" was accepted", bad[i]);
        }
    }
}

static void
test_durations(void **state)
{
    static const struct { const char *s; int64_t secs; } good[] = {
        { "90s", 90 }, { "30m", 1800 }, { "2h", 7200 }, { "1h30m", 5400 },
        { "1d12h", 129600 }, { "1w", 604800 }, { "1w2d3h4m5s", 788645 },
        { "0h1s", 1 },
    };
    static const char *const bad[] = {
        "", "90", "h", "1x", "1h1h", "30m1h", "-1h", "1.5h", "0s", "1 h",
        "1hs",
    };
    int64_t secs;

    (void) state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_int_equal(brk_duration_parse(good[i].s, &secs), 0);
        assert_int_equal(secs, good[i].secs);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (brk_duration_parse(bad[i], &secs) != EINVAL) {
            fail_msg("\"%s\" was accepted", bad[i]);
        }
    }
    assert_int_equal(brk_duration_parse("99999999999999w", &secs), ERANGE);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_durations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
