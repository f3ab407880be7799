/* Unit tests of inheritance: a child PART inside its parent's, next to
 * its siblings; every refusal names the field and the limit, and what
 * fits exactly fits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "inherit.h"

/* The parent: vnodes left (s1, 50 CPU) and right (s2, 30 CPU), a 10M
 * vlink s1-s2, access points ap1 (s1) and ap2 (s2); limits on left. */
static json_t *
parent_part(void)
{
    return json_loads(
        "{\"slice\": \"L7\", \"vnodes\": ["
        " {\"name\": \"left\", \"switch\": \"s1\", \"cpu\": 50, \"fp\": \"openflow\","
        "  \"limits\": {\"flows\": 1000, \"tables\": 4}},"
        " {\"name\": \"right\", \"switch\": \"s2\", \"cpu\": 30, \"fp\": \"l2learn\"}],"
        " \"access\": [{\"vnode\": \"left\", \"access\": \"ap1\", \"name\": \"h1\"},"
        "             {\"vnode\": \"right\", \"access\": \"ap2\", \"name\": \"h2\"}],"
        " \"vlinks\": [{\"name\": \"e\", \"a\": \"left\", \"b\": \"right\","
        "   \"path\": [\"s1\", \"s2\"], \"bandwidth_bps\": 10000000}],"
        " \"border_vlinks\": []}", 0, NULL);
}

/* A child with vnodes on s1 (cpu c1) and s2, a vlink of 'bps', access
 * ap1 and ap2 (when 'access'). */
static json_t *
child_part(const char *slice, int c1, long bps, int access)
{
    json_t *c = json_pack(
        "{s:s, s:s, s:[{s:s, s:s, s:i, s:s}, {s:s, s:s, s:i, s:s}],"
        " s:[], s:[{s:s, s:s, s:s, s:[s, s], s:I}], s:[]}",
        "slice", slice, "parent", "L7",
        "vnodes", "name", "a", "switch", "s1", "cpu", c1, "fp", "openflow",
        "name", "b", "switch", "s2", "cpu", 10, "fp", "l2learn",
        "access", "vlinks", "name", "a-b", "a", "a", "b", "b", "path", "s2", "s1",
        "bandwidth_bps", (json_int_t) bps, "border_vlinks");
    if (access) {
        json_array_append_new(json_object_get(c, "access"), json_pack(
            "{s:s, s:s, s:s}", "vnode", "a", "access", "ap1", "name", "h1"));
        json_array_append_new(json_object_get(c, "access"), json_pack(
            "{s:s, s:s, s:s}", "vnode", "b", "access", "ap2", "name", "h2"));
    }
    return c;
}

static void
check(const json_t *parent, const json_t *sibs, const json_t *child,
      int want, const char *want_msg)
{
    char err[512] = "";
    int error = inherit_check(parent, sibs, child, err, sizeof err);
    if (error != want || (want_msg && !strstr(err, want_msg))) {
        fail_msg("got %d \"%s\", wanted %d \"%s\"", error, err, want,
                 want_msg ? want_msg : "");
    }
}

/* Inherited limits fill in; the whole parent fits exactly. */
static void
test_fits_exactly(void **state)
{
    (void) state;
    json_t *p = parent_part();
    json_t *c = child_part("L8", 50, 10000000, 1);

    check(p, NULL, c, EPERM, "vnodes[0].limits.flows: none given, over the "
          "parent's 1000 (vnode left of slice L7)");
    inherit_fill(p, c);
    json_t *lim = json_object_get(json_array_get(json_object_get(c, "vnodes"),
                                                 0), "limits");
    assert_int_equal(json_integer_value(json_object_get(lim, "flows")), 1000);
    assert_int_equal(json_integer_value(json_object_get(lim, "tables")), 4);
    assert_null(json_object_get(json_array_get(json_object_get(c, "vnodes"), 1),
                                "limits"));
    check(p, NULL, c, 0, NULL);
    json_decref(c);
    json_decref(p);
}

/* Every limit over the parent's is refused, naming it. */
static void
test_over_the_parent(void **state)
{
    (void) state;
    json_t *p = parent_part();
    json_t *c;

    c = child_part("L8", 51, 1000, 0);
    inherit_fill(p, c);
    check(p, NULL, c, EPERM, "vnodes[0].cpu: 51 over the parent's 50 left "
          "(vnode left of slice L7: 50, 0 given to its other children)");
    json_decref(c);

    c = child_part("L8", 5, 10000001, 0);
    inherit_fill(p, c);
    check(p, NULL, c, EPERM, "vlinks[0].bandwidth_bps: 10000001 bit/s over the "
          "parent's 10000000 bit/s left on s2-s1 (slice L7)");
    json_decref(c);

    c = child_part("L8", 5, 1000, 0);
    inherit_fill(p, c);
    json_object_set_new(json_object_get(json_array_get(json_object_get(c, "vnodes"), 0),
                                        "limits"), "flows", json_integer(5000));
    check(p, NULL, c, EPERM, "vnodes[0].limits.flows: 5000 over the parent's 1000");
    json_decref(c);

    c = child_part("L8", 5, 1000, 0);
    inherit_fill(p, c);
    json_object_set_new(json_object_get(json_array_get(json_object_get(c, "vnodes"), 0),
                                        "limits"), "tables", json_integer(5));
    check(p, NULL, c, EPERM, "vnodes[0].limits.tables: 5 over the parent's 4");
    json_decref(c);

    /* A limit the parent does not have is the child's own. */
    c = child_part("L8", 5, 1000, 0);
    inherit_fill(p, c);
    json_object_set_new(json_object_get(json_array_get(json_object_get(c, "vnodes"), 0),
                                        "limits"), "program_bytes", json_integer(4096));
    check(p, NULL, c, 0, NULL);
    json_object_set_new(json_object_get(json_array_get(json_object_get(c, "vnodes"), 0),
                                        "limits"), "colour", json_integer(1));
    check(p, NULL, c, EINVAL, "vnodes[0].limits.colour: not a limit");
    json_decref(c);
    json_decref(p);
}

/* Switches, hops and access points the parent does not hold. */
static void
test_outside_the_parent(void **state)
{
    (void) state;
    json_t *p = parent_part();
    json_t *c = child_part("L8", 5, 1000, 1);

    inherit_fill(p, c);
    json_object_set_new(json_array_get(json_object_get(c, "vnodes"), 1), "switch",
                        json_string("s3"));
    check(p, NULL, c, EPERM, "vnodes[1].switch: slice L7 has no vnode on switch s3");
    json_decref(c);

    c = child_part("L8", 5, 1000, 1);
    inherit_fill(p, c);
    json_object_set_new(json_array_get(json_object_get(c, "access"), 1), "access",
                        json_string("ap9"));
    check(p, NULL, c, EPERM, "access[1].access: slice L7 does not hold access point ap9");
    json_decref(c);

    c = child_part("L8", 5, 1000, 0);
    inherit_fill(p, c);
    json_array_append_new(json_object_get(json_array_get(json_object_get(c, "vlinks"), 0),
                                          "path"), json_string("s3"));
    check(p, NULL, c, EPERM, "vlinks[0].path: no virtual link of slice L7 runs over s1-s3");
    json_decref(c);

    c = child_part("L8", 5, 1000, 0);
    inherit_fill(p, c);
    json_array_append_new(json_object_get(c, "border_vlinks"), json_pack(
        "{s:s, s:s, s:[s], s:s, s:i, s:i}", "name", "x", "vnode", "a", "path", "s1",
        "border", "ab", "label", 1000, "bandwidth_bps", 1000));
    check(p, NULL, c, EPERM, "border_vlinks: a child of slice L7 lives inside its InP");
    json_decref(c);
    json_decref(p);
}

/* Siblings take their share: what is left is what counts. */
static void
test_siblings(void **state)
{
    (void) state;
    json_t *p = parent_part();
    json_t *sib = child_part("L8", 30, 6000000, 1);
    json_t *sibs = json_pack("[O]", sib);
    json_t *c;

    c = child_part("L9", 20, 4000000, 0);
    inherit_fill(p, c);
    check(p, sibs, c, 0, NULL);
    json_decref(c);

    c = child_part("L9", 21, 1000, 0);
    inherit_fill(p, c);
    check(p, sibs, c, EPERM, "vnodes[0].cpu: 21 over the parent's 20 left "
          "(vnode left of slice L7: 50, 30 given to its other children)");
    json_decref(c);

    c = child_part("L9", 5, 4000001, 0);
    inherit_fill(p, c);
    check(p, sibs, c, EPERM, "over the parent's 4000000 bit/s left on s2-s1");
    json_decref(c);

    c = child_part("L9", 5, 1000, 1);
    inherit_fill(p, c);
    check(p, sibs, c, EPERM, "access[0].access: access point ap1 of slice L7 is "
          "lent to L8 already");
    json_decref(c);
    json_decref(sibs);
    json_decref(sib);
    json_decref(p);
}

/* An ebpf program and its tables against a vnode's limits. */
static void
test_program_limits(void **state)
{
    (void) state;
    json_t *lim = json_pack("{s:i, s:i}", "program_bytes", 4096,
                            "table_entries", 1024);
    json_t *conf = json_pack("{s:[{s:s, s:i}, {s:s, s:i}]}", "tables", "name",
                             "macs", "size", 1000, "name", "x", "size", 24);
    char err[256] = "";

    assert_int_equal(inherit_program_check(lim, 4096, conf, err, sizeof err), 0);
    assert_int_equal(inherit_program_check(NULL, 1 << 20, conf, err, sizeof err), 0);
    assert_int_equal(inherit_program_check(lim, 4097, conf, err, sizeof err), EPERM);
    assert_string_equal(err, "program: 4097 bytes over the vnode's "
                        "limits.program_bytes 4096");
    json_object_set_new(json_array_get(json_object_get(conf, "tables"), 1), "size",
                        json_integer(25));
    assert_int_equal(inherit_program_check(lim, 10, conf, err, sizeof err), EPERM);
    assert_string_equal(err, "config.tables: 1025 entries over the vnode's "
                        "limits.table_entries 1024");
    json_decref(conf);
    json_decref(lim);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fits_exactly),
        cmocka_unit_test(test_over_the_parent),
        cmocka_unit_test(test_outside_the_parent),
        cmocka_unit_test(test_siblings),
        cmocka_unit_test(test_program_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
