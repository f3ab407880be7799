/* Unit tests: ingress classification of access and link frames. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "classify.h"

static int red, blue, green;

static size_t
frame(uint8_t *buf, int vlan, uint16_t type)
{
    size_t n = 0;
    memset(buf, 0xaa, 12);
    n = 12;
    if (vlan >= 0) {
        buf[n++] = 0x81; buf[n++] = 0x00;
        buf[n++] = (vlan >> 8) & 0x0f; buf[n++] = vlan & 0xff;
    }
    buf[n++] = type >> 8; buf[n++] = type & 0xff;
    memset(buf + n, 0, 46);
    return n + 46;
}

static void
test_access_bindings(void **state)
{
    struct classify_port cp = { 0 };
    uint8_t buf[128];
    int vlan;
    (void) state;

    assert_int_equal(classify_bind(&cp, -1, &red), 0);
    assert_int_equal(classify_bind(&cp, 10, &blue), 0);
    assert_int_equal(classify_bind(&cp, 20, &green), 0);
    assert_int_equal(classify_bind(&cp, 10, &green), EEXIST);
    assert_int_equal(classify_bind(&cp, -1, &green), EEXIST);
    assert_int_equal(classify_bind(&cp, 4095, &green), EINVAL);
    assert_int_equal(classify_bind(&cp, 0, &green), EINVAL);

    assert_ptr_equal(classify_access(&cp, buf, frame(buf, -1, 0x0800), &vlan), &red);
    assert_int_equal(vlan, CLASSIFY_UNTAGGED);
    assert_ptr_equal(classify_access(&cp, buf, frame(buf, 10, 0x0800), &vlan), &blue);
    assert_int_equal(vlan, 10);
    assert_ptr_equal(classify_access(&cp, buf, frame(buf, 20, 0x0806), &vlan), &green);
    /* Unbound VLAN: no slice. */
    assert_null(classify_access(&cp, buf, frame(buf, 30, 0x0800), &vlan));
    /* Priority tag (VID 0) counts as untagged. */
    assert_ptr_equal(classify_access(&cp, buf, frame(buf, 0, 0x0800), &vlan), &red);
    /* Too short. */
    assert_null(classify_access(&cp, buf, 10, &vlan));
    assert_int_equal(vlan, CLASSIFY_MALFORMED);
    /* Exactly a header, untagged: valid. */
    frame(buf, -1, 0x0800);
    assert_ptr_equal(classify_access(&cp, buf, 14, &vlan), &red);

    classify_unbind(&cp, 10);
    assert_null(classify_access(&cp, buf, frame(buf, 10, 0x0800), &vlan));
    classify_unbind(&cp, -1);
    assert_null(classify_access(&cp, buf, frame(buf, -1, 0x0800), &vlan));
    classify_port_destroy(&cp);
}

/* A whole-port binding takes every frame and excludes every other. */
static void
test_whole_port(void **state)
{
    struct classify_port cp = { 0 };
    uint8_t buf[128];
    int vlan;
    (void) state;

    assert_int_equal(classify_bind(&cp, 10, &blue), 0);
    assert_int_equal(classify_bind(&cp, CLASSIFY_WHOLE, &red), EEXIST);
    assert_ptr_equal(classify_get(&cp, CLASSIFY_WHOLE), &blue);
    classify_unbind(&cp, 10);
    assert_int_equal(classify_bind(&cp, -1, &blue), 0);
    assert_int_equal(classify_bind(&cp, CLASSIFY_WHOLE, &red), EEXIST);
    classify_unbind(&cp, -1);
    assert_null(classify_get(&cp, CLASSIFY_WHOLE));

    assert_int_equal(classify_bind(&cp, CLASSIFY_WHOLE, &red), 0);
    assert_int_equal(classify_bind(&cp, -1, &blue), EEXIST);
    assert_int_equal(classify_bind(&cp, 10, &blue), EEXIST);
    assert_int_equal(classify_bind(&cp, CLASSIFY_WHOLE, &blue), EEXIST);
    assert_ptr_equal(classify_get(&cp, 10), &red);
    assert_ptr_equal(classify_get(&cp, -1), &red);

    assert_ptr_equal(classify_access(&cp, buf, frame(buf, -1, 0x0800), &vlan), &red);
    assert_ptr_equal(classify_access(&cp, buf, frame(buf, 30, 0x0800), &vlan), &red);
    assert_int_equal(vlan, 30);
    assert_ptr_equal(classify_access(&cp, buf, frame(buf, 0, 0x0800), &vlan), &red);
    assert_null(classify_access(&cp, buf, 10, &vlan));
    assert_int_equal(vlan, CLASSIFY_MALFORMED);

    classify_unbind(&cp, CLASSIFY_WHOLE);
    assert_null(classify_access(&cp, buf, frame(buf, 30, 0x0800), &vlan));
    classify_port_destroy(&cp);
}

static void
test_tagged_frame_too_short(void **state)
{
    uint8_t buf[16] = { 0 };
    (void) state;
    buf[12] = 0x81;
    buf[13] = 0x00;
    assert_int_equal(classify_vlan(buf, 16), CLASSIFY_MALFORMED);
}

static void
test_mpls(void **state)
{
    uint8_t buf[128] = { 0 };
    uint32_t label;
    uint8_t ttl;
    (void) state;

    buf[12] = 0x88;
    buf[13] = 0x47;
    classify_put_label(buf + 14, 0xabcde, 64);
    assert_true(classify_mpls(buf, 64, &label, &ttl));
    assert_int_equal(label, 0xabcde);
    assert_int_equal(ttl, 64);
    /* Not bottom of stack: refused. */
    buf[16] &= ~1;
    assert_false(classify_mpls(buf, 64, &label, &ttl));
    buf[16] |= 1;
    /* Too short to hold the inner Ethernet header. */
    assert_false(classify_mpls(buf, EOMPLS_HLEN + 5, &label, &ttl));
    /* Not MPLS. */
    buf[13] = 0x48;
    assert_false(classify_mpls(buf, 64, &label, &ttl));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_access_bindings),
        cmocka_unit_test(test_tagged_frame_too_short),
        cmocka_unit_test(test_whole_port),
        cmocka_unit_test(test_mpls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
