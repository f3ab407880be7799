/* Unit tests of accounting, against a calculation done by hand:
 *
 *   sp1, lease L1 (3 h, 10:00-13:00):
 *     on inp1: 2 CPU at 0.50/CPU-h + 10 Mbit/s at 0.01/Mbit/s-h
 *              = 2 x 0.50 x 3 + 10 x 0.01 x 3          = 3.00 + 0.30 = 3.30
 *     on inp2: 1 CPU at 1.00 + 10 Mbit/s at 0.02, released after 90 min
 *              = 1 x 1.00 x 1.5 + 10 x 0.02 x 1.5      = 1.50 + 0.30 = 1.80
 *     L1 = 5.10
 *   sp1, lease L2 on inp1, 4 CPU + 2.5 Mbit/s at 0.50 / 0.01, 10:30-11:00
 *     = 4 x 0.50 x 0.5 + 2.5 x 0.01 x 0.5              = 1.00 + 0.0125 = 1.0125
 *   sp2, lease L3 on inp1 at older prices 0.40 / 0.02, 1 CPU + 100 Mbit/s,
 *     10:00-12:00 = 1 x 0.40 x 2 + 100 x 0.02 x 2      = 0.80 + 4.00 = 4.80
 *
 *   sp1 owes 5.10 + 1.0125 = 6.1125; inp1 earns 3.30 + 1.0125 + 4.80 =
 *   9.1125; inp2 earns 1.80.  At 11:00 L1 on inp1 has accrued 1.10.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "bill.h"

#define H 3600
#define T0 (10 * H)                     /* 10:00 on day 0 */

static const struct bill_part parts[] = {
    { "L1", "sp1", "inp1", 2, 10000000, { 500000, 10000 }, T0, T0 + 3 * H, 0 },
    { "L1", "sp1", "inp2", 1, 10000000, { 1000000, 20000 }, T0, T0 + 3 * H,
      T0 + 90 * 60 },
    { "L2", "sp1", "inp1", 4, 2500000, { 500000, 10000 }, T0 + H / 2, T0 + H, 0 },
    { "L3", "sp2", "inp1", 1, 100000000, { 400000, 20000 }, T0, T0 + 2 * H, 0 },
};

static int64_t
micro(const json_t *j)
{
    return json_integer_value(json_object_get(j, "micro"));
}

static void
test_hand_calculation(void **state)
{
    const int64_t end = T0 + 24 * H;

    (void) state;
    assert_int_equal(bill_part_charge(&parts[0], end), 3300000);
    assert_int_equal(bill_part_charge(&parts[1], end), 1800000);
    assert_int_equal(bill_part_charge(&parts[2], end), 1012500);
    assert_int_equal(bill_part_charge(&parts[3], end), 4800000);
    /* Accrual so far; nothing before the start. */
    assert_int_equal(bill_part_charge(&parts[0], T0 + H), 1100000);
    assert_int_equal(bill_part_charge(&parts[0], T0 - H), 0);

    json_t *sp1 = bill_report_sp(parts, 4, "sp1", end);
    assert_int_equal(micro(sp1), 6112500);
    assert_string_equal(json_string_value(json_object_get(sp1, "amount")),
                        "6.112500");
    json_t *leases = json_object_get(sp1, "leases");
    assert_int_equal(json_array_size(leases), 2);
    json_t *l1 = json_array_get(leases, 0);
    assert_int_equal(micro(l1), 5100000);
    assert_int_equal(json_array_size(json_object_get(l1, "parts")), 2);
    json_t *p2 = json_array_get(json_object_get(l1, "parts"), 1);
    assert_int_equal(json_integer_value(json_object_get(p2, "seconds")), 5400);
    json_decref(sp1);

    json_t *inp1 = bill_report_inp(parts, 4, "inp1", end);
    assert_int_equal(micro(inp1), 9112500);
    assert_int_equal(json_array_size(json_object_get(inp1, "leases")), 3);
    json_decref(inp1);
    json_t *inp2 = bill_report_inp(parts, 4, "inp2", end);
    assert_int_equal(micro(inp2), 1800000);
    json_decref(inp2);
    json_t *none = bill_report_sp(parts, 4, "sp9", end);
    assert_int_equal(micro(none), 0);
    json_decref(none);
}

static void
test_amounts(void **state)
{
    char buf[32];
    int64_t a;

    (void) state;
    assert_string_equal(bill_format_amount(3300000, buf, sizeof buf), "3.300000");
    assert_string_equal(bill_format_amount(-12, buf, sizeof buf), "-0.000012");
    assert_int_equal(bill_parse_amount("0.5", &a), 0);
    assert_int_equal(a, 500000);
    assert_int_equal(bill_parse_amount("12", &a), 0);
    assert_int_equal(a, 12000000);
    assert_int_equal(bill_parse_amount("0.000001", &a), 0);
    assert_int_equal(a, 1);
    assert_int_equal(bill_parse_amount("0.0000001", &a), EINVAL);
    assert_int_equal(bill_parse_amount("-1", &a), EINVAL);
    assert_int_equal(bill_parse_amount("1.", &a), EINVAL);
    assert_int_equal(bill_parse_amount("1e3", &a), EINVAL);
    assert_int_equal(bill_parse_amount("99999999999999999999", &a), ERANGE);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_calculation),
        cmocka_unit_test(test_amounts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
