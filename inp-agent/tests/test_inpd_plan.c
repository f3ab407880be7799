/*
 * Unit tests of lamina-inpd's pure parts:
 *  - a PART becomes the switchd calls that build its slice, in order,
 *    with queue guarantees on the ports its vlinks cross;
 *  - a PART the InP cannot build is refused naming the field;
 *  - revisitation: two vnodes on one switch become named vnodes SW/NAME
 *    joined by a vlink inside the switch;
 *  - a transit vlink (border to border) becomes one vlink.add with both
 *    borders, counts on both borders and holds both labels;
 *  - reconcile: missing slices are built, incomplete ones rebuilt, lease
 *    slices no lease owns removed, other slices left alone;
 *  - capacity over time: a lease counts only where it overlaps, border
 *    labels are owned by one lease at a time;
 *  - substrate failures: a vlink over a link down is re-embedded on the
 *    shortest path over links up, or the lease is degraded with the
 *    reason; a vlink whose path changed is rebuilt by reconcile.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "inpd_cap.h"
#include "inpd_plan.h"

static json_t *
load(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);

    if (!j) {
        fail_msg("bad test JSON at %d: %s", jerr.column, jerr.text);
    }
    return j;
}

static const char *OFFER =
    "{\"name\": \"inp-a\","
    " \"nodes\": [{\"name\": \"s1\", \"cpu\": 100}, {\"name\": \"s2\", \"cpu\": 100},"
    "             {\"name\": \"s3\", \"cpu\": 50}],"
    " \"links\": [{\"a\": \"s1\", \"b\": \"s2\", \"bandwidth\": \"100M\"},"
    "             {\"a\": \"s2\", \"b\": \"s3\", \"bandwidth\": 50000000}],"
    " \"access\": [{\"name\": \"a1\", \"node\": \"s1\", \"port\": \"h1\"},"
    "              {\"name\": \"a3\", \"node\": \"s3\", \"port\": \"h3\"}],"
    " \"borders\": [{\"name\": \"ab\", \"node\": \"s2\", \"port\": \"to-b\","
    "               \"bandwidth\": \"1G\", \"labels\": [1000, 1999]}]}";

static const char *LINKS =
    "[{\"name\": \"l12\", \"sw_a\": \"s1\", \"port_a\": \"to2\", \"sw_b\": \"s2\", \"port_b\": \"to1\"},"
    " {\"name\": \"l23\", \"sw_a\": \"s3\", \"port_a\": \"to2\", \"sw_b\": \"s2\", \"port_b\": \"to3\"}]";

static const char *PART =
    "{\"slice\": \"L7\", \"sp\": \"sp1\","
    " \"vnodes\": [{\"name\": \"v1\", \"switch\": \"s1\", \"cpu\": 10, \"fp\": \"l2learn\", \"config\": {}},"
    "              {\"name\": \"v3\", \"switch\": \"s3\", \"cpu\": 20, \"fp\": \"l2learn\"}],"
    " \"access\": [{\"vnode\": \"v1\", \"access\": \"a1\", \"name\": \"h1\", \"vlan\": null},"
    "              {\"vnode\": \"v3\", \"access\": \"a3\", \"vlan\": 10}],"
    " \"vlinks\": [{\"name\": \"e1\", \"a\": \"v1\", \"b\": \"v3\", \"path\": [\"s1\", \"s2\", \"s3\"],"
    "              \"bandwidth_bps\": 10000000}],"
    " \"border_vlinks\": [{\"name\": \"e2\", \"vnode\": \"v1\", \"path\": [\"s1\", \"s2\"],"
    "                     \"border\": \"ab\", \"label\": 1000, \"bandwidth_bps\": 20000000}]}";

static const char *EXPECTED =
    "["
    "{\"method\": \"slice.add\", \"params\": {\"name\": \"L7\", \"guarantee_bps\": 20000000}},"
    "{\"method\": \"vnode.add\", \"params\": {\"slice\": \"L7\", \"switch\": \"s1\", \"fp\": \"l2learn\", \"config\": {}}},"
    "{\"method\": \"vnode.add\", \"params\": {\"slice\": \"L7\", \"switch\": \"s3\", \"fp\": \"l2learn\"}},"
    "{\"method\": \"vport.add\", \"params\": {\"slice\": \"L7\", \"switch\": \"s1\", \"vport\": \"h1\", \"port\": \"h1\"}},"
    "{\"method\": \"vport.add\", \"params\": {\"slice\": \"L7\", \"switch\": \"s3\", \"vport\": \"a3\", \"port\": \"h3\", \"vlan\": 10}},"
    "{\"method\": \"vlink.add\", \"params\": {\"slice\": \"L7\", \"name\": \"e1\", \"path\": [\"s1\", \"s2\", \"s3\"]}},"
    "{\"method\": \"vlink.add\", \"params\": {\"slice\": \"L7\", \"name\": \"e2\", \"path\": [\"s1\", \"s2\"],"
    "                                      \"border\": {\"port\": \"to-b\", \"label\": 1000}}},"
    "{\"method\": \"queue.set\", \"params\": {\"slice\": \"L7\", \"switch\": \"s1\", \"port\": \"to2\", \"guarantee_bps\": 30000000}},"
    "{\"method\": \"queue.set\", \"params\": {\"slice\": \"L7\", \"switch\": \"s2\", \"port\": \"to1\", \"guarantee_bps\": 30000000}},"
    "{\"method\": \"queue.set\", \"params\": {\"slice\": \"L7\", \"switch\": \"s2\", \"port\": \"to3\", \"guarantee_bps\": 10000000}},"
    "{\"method\": \"queue.set\", \"params\": {\"slice\": \"L7\", \"switch\": \"s3\", \"port\": \"to2\", \"guarantee_bps\": 10000000}},"
    "{\"method\": \"queue.set\", \"params\": {\"slice\": \"L7\", \"switch\": \"s2\", \"port\": \"to-b\", \"guarantee_bps\": 20000000}}"
    "]";

static void
assert_json_equal(const json_t *a, const json_t *b)
{
    if (!json_equal(a, b)) {
        char *sa = json_dumps(a, JSON_INDENT(1) | JSON_SORT_KEYS);
        char *sb = json_dumps(b, JSON_INDENT(1) | JSON_SORT_KEYS);
        fail_msg("got\n%s\nexpected\n%s", sa, sb);
    }
}

static void
test_plan_commit(void **state)
{
    json_t *offer = load(OFFER), *links = load(LINKS), *part = load(PART);
    json_t *expected = load(EXPECTED), *calls;
    char err[256] = "";
    (void) state;

    assert_int_equal(inpd_plan_commit(part, offer, links, &calls, err, sizeof err), 0);
    assert_json_equal(calls, expected);
    json_decref(calls);

    /* Without switchd's links: the same minus the queue settings. */
    assert_int_equal(inpd_plan_commit(part, offer, NULL, &calls, err, sizeof err), 0);
    assert_int_equal(json_array_size(calls), 7);
    json_decref(calls);
    json_decref(offer);
    json_decref(links);
    json_decref(part);
    json_decref(expected);
}

/* Applies 'patch' (a JSON Pointer-less edit: member 'section', element
 * 'idx', member 'key' set to 'value') to a fresh PART and expects a
 * refusal whose message contains 'needle'. */
static void
expect_refused(const char *section, size_t idx, const char *key, json_t *value,
               const char *needle)
{
    json_t *offer = load(OFFER), *part = load(PART), *calls = NULL;
    char err[256] = "";

    if (idx == SIZE_MAX) {
        json_object_set_new(part, section, value);
    } else {
        json_object_set_new(json_array_get(json_object_get(part, section), idx),
                            key, value);
    }
    assert_int_equal(inpd_plan_commit(part, offer, NULL, &calls, err, sizeof err),
                     EINVAL);
    assert_null(calls);
    if (!strstr(err, needle)) {
        fail_msg("message \"%s\" lacks \"%s\"", err, needle);
    }
    json_decref(offer);
    json_decref(part);
}

static void
test_plan_refusals(void **state)
{
    (void) state;
    expect_refused("vnodes", 1, "switch", json_string("s9"),
                   "vnodes[1].switch: s9 is not a switch of this InP");
    /* Two vnodes on one switch are allowed (revisitation): moving v3 to
     * s1 leaves its access point on s3 behind. */
    expect_refused("vnodes", 1, "switch", json_string("s1"),
                   "access point a3 is on switch s3, vnode v3 on s1");
    expect_refused("access", 1, "access", json_string("a1"),
                   "access point a1 is on switch s1, vnode v3 on s3");
    expect_refused("access", 0, "vlan", json_integer(5000), "access[0].vlan");
    expect_refused("vlinks", 0, "path", json_pack("[s, s]", "s1", "s3"),
                   "vlinks[0].path");
    expect_refused("border_vlinks", 0, "label", json_integer(2000),
                   "label pool of border ab (1000..1999)");
    expect_refused("border_vlinks", 0, "border", json_string("zz"),
                   "border_vlinks[0].border: zz is not a border");
    expect_refused("border_vlinks", 0, "path", json_pack("[s]", "s1"),
                   "ends at s1, but it must end at s2");
    expect_refused("slice", SIZE_MAX, NULL, json_string("red"), "slice:");
    expect_refused("transit_vlinks", SIZE_MAX, NULL,
                   json_pack("[{s:s}]", "name", "t"), "transit");
}

static void
test_reconcile(void **state)
{
    json_t *offer = load(OFFER), *links = load(LINKS), *part = load(PART);
    json_t *calls, *wanted = json_object(), *repair;
    char err[256];
    (void) state;

    assert_int_equal(inpd_plan_commit(part, offer, links, &calls, err, sizeof err), 0);
    json_object_set(wanted, "L7", calls);

    /* An empty switchd: everything is built. */
    json_t *empty = load("{\"slices\": [], \"vnodes\": [], \"vports\": [], \"vlinks\": []}");
    assert_int_equal(inpd_plan_reconcile(wanted, empty, &repair), json_array_size(calls));
    assert_json_equal(repair, calls);
    json_decref(repair);

    /* A complete slice, an orphan lease slice and someone's own slice. */
    json_t *actual = load(
        "{\"slices\": [{\"name\": \"L7\"}, {\"name\": \"L9\"}, {\"name\": \"red\"}],"
        " \"vnodes\": [{\"slice\": \"L7\", \"switch\": \"s1\"}, {\"slice\": \"L7\", \"switch\": \"s3\"},"
        "              {\"slice\": \"red\", \"switch\": \"s1\"}],"
        " \"vports\": [{\"slice\": \"L7\", \"switch\": \"s1\", \"vport\": \"h1\"},"
        "              {\"slice\": \"L7\", \"switch\": \"s3\", \"vport\": \"a3\"}],"
        " \"vlinks\": [{\"slice\": \"L7\", \"name\": \"e1\"}, {\"slice\": \"L7\", \"name\": \"e2\"}]}");
    assert_int_equal(inpd_plan_reconcile(wanted, actual, &repair), 1);
    json_t *del9 = load("[{\"method\": \"slice.del\", \"params\": {\"name\": \"L9\"}}]");
    assert_json_equal(repair, del9);
    json_decref(del9);
    json_decref(repair);

    /* One vlink missing (the switchd lost part of it): rebuilt whole. */
    json_array_remove(json_object_get(actual, "vlinks"), 1);
    json_array_remove(json_object_get(actual, "slices"), 1);
    assert_int_equal(inpd_plan_reconcile(wanted, actual, &repair),
                     1 + json_array_size(calls));
    assert_string_equal(json_string_value(json_object_get(json_array_get(repair, 0),
                                                          "method")), "slice.del");
    json_decref(repair);

    /* A vport of the same name in another slice does not count. */
    json_array_clear(json_object_get(actual, "vlinks"));
    json_t *other = load("{\"slices\": [{\"name\": \"L7\"}], \"vnodes\": [], \"vlinks\": [],"
                         " \"vports\": [{\"slice\": \"red\", \"switch\": \"s1\", \"vport\": \"h1\"}]}");
    assert_true(inpd_plan_reconcile(wanted, other, &repair) > 0);
    json_decref(repair);

    /* Nothing wanted: only lease slices go. */
    json_t *none = json_object();
    assert_int_equal(inpd_plan_reconcile(none, actual, &repair), 1);
    assert_true(inpd_plan_is_lease_slice("L7"));
    assert_false(inpd_plan_is_lease_slice("red"));
    assert_false(inpd_plan_is_lease_slice("L"));
    json_decref(repair);

    json_decref(none);
    json_decref(other);
    json_decref(actual);
    json_decref(empty);
    json_decref(calls);
    json_decref(wanted);
    json_decref(offer);
    json_decref(links);
    json_decref(part);
}

/* Recursion: an openflow vnode's limits become its pipeline's; an access
 * vport the wanted calls no longer create (lent to a child) is deleted
 * before the child is built; a vlink's own vport is left alone; a queue
 * whose guarantee changed is set again. */
static void
test_recursion(void **state)
{
    json_t *offer = load(OFFER), *calls, *repair;
    char err[256];
    (void) state;

    json_t *of = load("{\"slice\": \"L8\", \"parent\": \"L7\","
                      " \"vnodes\": [{\"name\": \"v\", \"switch\": \"s1\", \"cpu\": 1,"
                      "  \"fp\": \"openflow\", \"config\": {\"max_flows\": 5000},"
                      "  \"limits\": {\"flows\": 1000, \"tables\": 2}}],"
                      " \"access\": [{\"vnode\": \"v\", \"access\": \"a1\", \"name\": \"h1\"}]}");
    assert_int_equal(inpd_plan_commit(of, offer, NULL, &calls, err, sizeof err), 0);
    json_t *want = load("{\"slice\": \"L8\", \"switch\": \"s1\", \"fp\": \"openflow\","
                        " \"config\": {\"max_flows\": 1000, \"tables\": 2}}");
    assert_json_equal(json_object_get(json_array_get(calls, 1), "params"), want);
    json_decref(want);

    /* L7 is complete without its h1 vport (lent to L8), L8 is missing. */
    json_t *wanted = json_object();
    json_t *p7 = load("{\"slice\": \"L7\", \"vnodes\": [{\"name\": \"v1\", \"switch\": \"s1\","
                      " \"cpu\": 10, \"fp\": \"l2learn\"}], \"access\": [], \"vlinks\": []}");
    json_t *c7;
    assert_int_equal(inpd_plan_commit(p7, offer, NULL, &c7, err, sizeof err), 0);
    json_object_set_new(wanted, "L7", c7);
    json_object_set(wanted, "L8", calls);
    json_t *actual = load(
        "{\"slices\": [{\"name\": \"L7\"}], \"vnodes\": [{\"slice\": \"L7\", \"switch\": \"s1\"}],"
        " \"vports\": [{\"slice\": \"L7\", \"switch\": \"s1\", \"vport\": \"h1\"},"
        "              {\"slice\": \"L7\", \"switch\": \"s1\", \"vport\": \"vl-e1\"}],"
        " \"vlinks\": []}");
    assert_int_equal(inpd_plan_reconcile(wanted, actual, &repair),
                     1 + json_array_size(calls));
    json_t *del = load("{\"method\": \"vport.del\", \"params\": {\"slice\": \"L7\","
                       " \"switch\": \"s1\", \"vport\": \"h1\"}}");
    assert_json_equal(json_array_get(repair, 0), del);
    assert_string_equal(json_string_value(json_object_get(json_array_get(repair, 1),
                                                          "method")), "slice.add");
    json_decref(del);
    json_decref(repair);

    /* A parent's queue lowered (or given back): set again. */
    json_t *w5 = load("{\"L5\": [{\"method\": \"slice.add\", \"params\": {\"name\": \"L5\"}},"
                      " {\"method\": \"queue.set\", \"params\": {\"slice\": \"L5\","
                      "  \"switch\": \"s1\", \"port\": \"to2\", \"guarantee_bps\": 5}}]}");
    json_t *a5 = load("{\"slices\": [{\"name\": \"L5\"}], \"queues\": [{\"slice\": \"L5\","
                      " \"switch\": \"s1\", \"port\": \"to2\", \"guarantee_bps\": 9}]}");
    assert_int_equal(inpd_plan_reconcile(w5, a5, &repair), 1);
    assert_json_equal(json_array_get(repair, 0),
                      json_array_get(json_object_get(w5, "L5"), 1));
    json_decref(repair);
    json_object_set_new(json_array_get(json_object_get(a5, "queues"), 0),
                        "guarantee_bps", json_integer(5));
    assert_int_equal(inpd_plan_reconcile(w5, a5, &repair), 0);
    json_decref(repair);
    json_decref(a5);
    json_decref(w5);
    json_decref(actual);
    json_decref(wanted);
    json_decref(p7);
    json_decref(calls);
    json_decref(of);
    json_decref(offer);
}

static void
test_capacity_over_time(void **state)
{
    json_t *offer = load(OFFER), *part = load(PART), *why = NULL;
    json_t *bookings = json_array();
    (void) state;

    /* v3 asks 20 of s3's 50 CPU; book 40 there over [1000, 2000). */
    json_t *other = load(PART);
    json_object_set_new(other, "slice", json_string("L8"));
    json_object_set_new(json_array_get(json_object_get(other, "vnodes"), 1), "cpu",
                        json_integer(40));
    json_array_clear(json_object_get(other, "border_vlinks"));
    json_array_append_new(bookings, json_pack("{s:O, s:i, s:i}", "part", other,
                                              "start", 1000, "end", 2000));

    /* Before and after the booking: it fits. */
    assert_int_equal(inpd_cap_check(offer, bookings, part, 0, 1000, &why), 0);
    assert_int_equal(inpd_cap_check(offer, bookings, part, 2000, 3000, &why), 0);
    /* Overlapping it: CPU of s3 short by 10. */
    assert_int_equal(inpd_cap_check(offer, bookings, part, 1500, 2500, &why), ENOSPC);
    assert_string_equal(json_string_value(json_object_get(why, "resource")), "cpu:s3");
    assert_int_equal(json_integer_value(json_object_get(why, "short_by")), 10);
    json_decref(why);

    /* A border label is held by one lease at a time. */
    json_t *lab = load(PART);
    json_object_set_new(lab, "slice", json_string("L9"));
    json_array_clear(json_object_get(lab, "vnodes"));
    json_array_append_new(bookings, json_pack("{s:o, s:i, s:i}", "part", lab,
                                              "start", 5000, "end", 6000));
    assert_int_equal(inpd_cap_check(offer, bookings, part, 5500, 7000, &why), ENOSPC);
    assert_non_null(strstr(json_string_value(json_object_get(why, "message")),
                           "label 1000 of border ab is held by L9"));
    json_decref(why);
    assert_int_equal(inpd_cap_check(offer, bookings, part, 6000, 7000, &why), 0);

    /* A link this InP does not have. */
    json_t *bad = load(PART);
    json_object_set_new(json_array_get(json_object_get(bad, "vlinks"), 0), "path",
                        json_pack("[s, s]", "s1", "s3"));
    assert_int_equal(inpd_cap_check(offer, bookings, bad, 0, 100, &why), EINVAL);
    assert_non_null(strstr(json_string_value(json_object_get(why, "message")),
                           "bw:s1-s3"));
    json_decref(why);

    /* Free now: the future booking does not count. */
    json_t *rep = inpd_cap_report(offer, bookings, 500);
    assert_int_equal(json_integer_value(json_object_get(
        json_object_get(rep, "free_now"), "cpu:s3")), 50);
    json_decref(rep);
    rep = inpd_cap_report(offer, bookings, 1500);
    assert_int_equal(json_integer_value(json_object_get(
        json_object_get(rep, "free_now"), "cpu:s3")), 10);
    assert_int_equal(json_integer_value(json_object_get(
        json_object_get(rep, "total"), "bw:border:ab")), 1000000000);
    json_decref(rep);

    json_decref(bad);
    json_decref(other);
    json_decref(bookings);
    json_decref(offer);
    json_decref(part);
}

/* OFFER with a second border, "ac" on s3 (labels 2000..2999). */
static json_t *
transit_offer(void)
{
    json_t *offer = load(OFFER);
    json_array_append_new(json_object_get(offer, "borders"), load(
        "{\"name\": \"ac\", \"node\": \"s3\", \"port\": \"to-c\","
        " \"bandwidth\": \"100M\", \"labels\": [2000, 2999]}"));
    return offer;
}

static const char *TRANSIT =
    "{\"slice\": \"L5\", \"sp\": \"sp2\","
    " \"transit_vlinks\": [{\"name\": \"x-y\", \"path\": [\"s2\", \"s3\"],"
    "   \"border_in\": \"ab\", \"label_in\": 1001,"
    "   \"border_out\": \"ac\", \"label_out\": 2001, \"bandwidth_bps\": 5000000}]}";

/* Expects 'part' refused with a message containing 'needle'. */
static void
expect_transit_refused(json_t *part, const char *needle)
{
    json_t *offer = transit_offer(), *calls = NULL;
    char err[256] = "";

    assert_int_equal(inpd_plan_commit(part, offer, NULL, &calls, err, sizeof err),
                     EINVAL);
    assert_null(calls);
    if (!strstr(err, needle)) {
        fail_msg("message \"%s\" lacks \"%s\"", err, needle);
    }
    json_decref(offer);
    json_decref(part);
}

static void
test_plan_transit(void **state)
{
    json_t *offer = transit_offer(), *links = load(LINKS), *part = load(TRANSIT);
    json_t *calls, *why = NULL, *bookings = json_array();
    char err[256] = "";
    (void) state;

    /* A slice with no vnode: one vlink.add from border to border, queues
     * on the path both ways and out of both borders. */
    if (inpd_plan_commit(part, offer, links, &calls, err, sizeof err)) {
        fail_msg("refused: %s", err);
    }
    json_t *expected = load(
        "["
        "{\"method\": \"slice.add\", \"params\": {\"name\": \"L5\", \"guarantee_bps\": 5000000}},"
        "{\"method\": \"vlink.add\", \"params\": {\"slice\": \"L5\", \"name\": \"x-y\","
        "  \"path\": [\"s2\", \"s3\"], \"border_in\": {\"port\": \"to-b\", \"label\": 1001},"
        "  \"border\": {\"port\": \"to-c\", \"label\": 2001}}},"
        "{\"method\": \"queue.set\", \"params\": {\"slice\": \"L5\", \"switch\": \"s2\", \"port\": \"to3\", \"guarantee_bps\": 5000000}},"
        "{\"method\": \"queue.set\", \"params\": {\"slice\": \"L5\", \"switch\": \"s3\", \"port\": \"to2\", \"guarantee_bps\": 5000000}},"
        "{\"method\": \"queue.set\", \"params\": {\"slice\": \"L5\", \"switch\": \"s2\", \"port\": \"to-b\", \"guarantee_bps\": 5000000}},"
        "{\"method\": \"queue.set\", \"params\": {\"slice\": \"L5\", \"switch\": \"s3\", \"port\": \"to-c\", \"guarantee_bps\": 5000000}}"
        "]");
    assert_json_equal(calls, expected);
    json_decref(expected);
    json_decref(calls);

    /* Capacity: both borders and the link; both labels are held. */
    json_array_append_new(bookings, json_pack("{s:O, s:i, s:i}", "part", part,
                                              "start", 0, "end", 1000));
    json_t *rep = inpd_cap_report(offer, bookings, 500);
    json_t *free_now = json_object_get(rep, "free_now");
    assert_int_equal(json_integer_value(json_object_get(free_now, "bw:border:ab")),
                     1000000000 - 5000000);
    assert_int_equal(json_integer_value(json_object_get(free_now, "bw:border:ac")),
                     100000000 - 5000000);
    assert_int_equal(json_integer_value(json_object_get(free_now, "bw:s2-s3")),
                     50000000 - 5000000);
    json_decref(rep);
    json_t *again = load(TRANSIT);
    json_object_set_new(again, "slice", json_string("L6"));
    json_object_set_new(json_array_get(json_object_get(again, "transit_vlinks"), 0),
                        "label_in", json_integer(1002));
    assert_int_equal(inpd_cap_check(offer, bookings, again, 500, 700, &why), ENOSPC);
    assert_non_null(strstr(json_string_value(json_object_get(why, "message")),
                           "label 2001 of border ac is held by L5"));
    json_decref(why);
    assert_int_equal(inpd_cap_check(offer, bookings, again, 1000, 2000, &why), 0);
    /* More than the smaller border has: short on ac. */
    json_object_set_new(json_array_get(json_object_get(again, "transit_vlinks"), 0),
                        "bandwidth_bps", json_integer(200000000));
    assert_int_equal(inpd_cap_check(offer, bookings, again, 1000, 2000, &why),
                     ENOSPC);
    json_decref(why);
    json_decref(again);

    /* Refusals name the field. */
    json_t *bad = load(TRANSIT);
    json_object_set_new(json_array_get(json_object_get(bad, "transit_vlinks"), 0),
                        "label_out", json_integer(1500));
    expect_transit_refused(bad, "transit_vlinks[0].label_out: must be an integer "
                           "in the label pool of border ac (2000..2999)");
    bad = load(TRANSIT);
    json_object_set_new(json_array_get(json_object_get(bad, "transit_vlinks"), 0),
                        "border_out", json_string("ab"));
    json_object_set_new(json_array_get(json_object_get(bad, "transit_vlinks"), 0),
                        "label_out", json_integer(1500));
    expect_transit_refused(bad, "transit_vlinks[0].border_out: the same border");
    bad = load(TRANSIT);
    json_object_set_new(json_array_get(json_object_get(bad, "transit_vlinks"), 0),
                        "path", json_pack("[s, s]", "s2", "s1"));
    expect_transit_refused(bad, "transit_vlinks[0]");

    json_decref(bookings);
    json_decref(part);
    json_decref(links);
    json_decref(offer);
}

/* A triangle s1-s2-s3: a vlink s1 -> s3 over link l13 moves to s1, s2,
 * s3 when l13 is down, and the lease is degraded when l12 is down too. */
static void
test_plan_reroute(void **state)
{
    json_t *links = load(
        "[{\"name\": \"l12\", \"sw_a\": \"s1\", \"sw_b\": \"s2\", \"up\": true},"
        " {\"name\": \"l23\", \"sw_a\": \"s2\", \"sw_b\": \"s3\", \"up\": true},"
        " {\"name\": \"l13\", \"sw_a\": \"s3\", \"sw_b\": \"s1\", \"up\": true}]");
    json_t *part = load(
        "{\"slice\": \"L7\", \"vnodes\": [],"
        " \"vlinks\": [{\"name\": \"v\", \"a\": \"x\", \"b\": \"y\","
        "               \"path\": [\"s1\", \"s3\"]},"
        "              {\"name\": \"w\", \"a\": \"x\", \"b\": \"y\","
        "               \"path\": [\"s1\", \"s2\"]}]}");
    json_t *moved = NULL, *h;
    (void) state;

    /* All up: nothing to say, nothing changed. */
    assert_null(inpd_plan_reroute(part, links, &moved));
    assert_null(moved);

    /* l13 down: v goes round by s2; w is untouched. */
    json_object_set_new(json_array_get(links, 2), "up", json_false());
    h = inpd_plan_reroute(part, links, &moved);
    assert_non_null(h);
    json_t *expected = load(
        "{\"state\": \"rerouted\", \"down\": [\"l13\"],"
        " \"rerouted\": [{\"vlink\": \"v\", \"path\": [\"s1\", \"s2\", \"s3\"]}]}");
    assert_json_equal(h, expected);
    json_decref(expected);
    expected = load("[\"s1\", \"s2\", \"s3\"]");
    assert_json_equal(json_object_get(json_array_get(json_object_get(moved, "vlinks"), 0),
                                      "path"), expected);
    json_decref(expected);
    expected = load("[\"s1\", \"s2\"]");
    assert_json_equal(json_object_get(json_array_get(json_object_get(moved, "vlinks"), 1),
                                      "path"), expected);
    json_decref(expected);

    /* Reconcile rebuilds a slice whose vlink path differs from switchd's. */
    json_t *wanted = load(
        "{\"L7\": [{\"method\": \"slice.add\", \"params\": {\"name\": \"L7\"}},"
        "          {\"method\": \"vlink.add\", \"params\": {\"slice\": \"L7\","
        "           \"name\": \"v\", \"path\": [\"s1\", \"s2\", \"s3\"]}}]}");
    json_t *actual = load(
        "{\"slices\": [{\"name\": \"L7\"}], \"vnodes\": [], \"vports\": [],"
        " \"vlinks\": [{\"slice\": \"L7\", \"name\": \"v\", \"path\": [\"s1\", \"s3\"]}]}");
    json_t *calls = NULL;
    assert_int_equal(inpd_plan_reconcile(wanted, actual, &calls), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(calls, 0),
                                                          "method")), "slice.del");
    json_decref(calls);
    json_object_set_new(json_array_get(json_object_get(actual, "vlinks"), 0), "path",
                        load("[\"s1\", \"s2\", \"s3\"]"));
    assert_int_equal(inpd_plan_reconcile(wanted, actual, &calls), 0);
    json_decref(calls);
    json_decref(wanted);
    json_decref(actual);
    json_decref(moved);
    json_decref(h);

    /* l12 down too: no way from s1 to s3; degraded with the reason. */
    json_object_set_new(json_array_get(links, 0), "up", json_false());
    h = inpd_plan_reroute(part, links, &moved);
    assert_string_equal(json_string_value(json_object_get(h, "state")), "degraded");
    assert_non_null(strstr(json_string_value(json_object_get(h, "reason")),
                           "vlinks[0] (v): link l13 is down and no path from s1 to s3"));
    json_decref(moved);
    json_decref(h);
    json_decref(part);
    json_decref(links);
}

/* Revisitation: the embedding put v1 and v2 on s1 (v3 alone on s3): they
 * become vnodes "s1/v1" and "s1/v2", their accesses and vlink ends name
 * them, the vlink between them is ["s1/v1", "s1/v2"] (no queue), a vlink
 * leaving s1 starts at the named vnode, and reconcile sees the slice
 * complete when switchd lists those addresses. */
static void
test_plan_revisit(void **state)
{
    json_t *offer = load(OFFER), *links = load(LINKS), *calls, *again;
    json_t *part = load(
        "{\"slice\": \"L8\", \"sp\": \"sp1\","
        " \"vnodes\": [{\"name\": \"v1\", \"switch\": \"s1\", \"cpu\": 1},"
        "              {\"name\": \"v2\", \"switch\": \"s1\", \"cpu\": 1},"
        "              {\"name\": \"v3\", \"switch\": \"s3\", \"cpu\": 1}],"
        " \"access\": [{\"vnode\": \"v2\", \"access\": \"a1\", \"name\": \"h1\"},"
        "              {\"vnode\": \"v3\", \"access\": \"a3\"}],"
        " \"vlinks\": [{\"name\": \"in\", \"a\": \"v1\", \"b\": \"v2\", \"path\": [\"s1\"],"
        "              \"bandwidth_bps\": 5000000},"
        "             {\"name\": \"out\", \"a\": \"v3\", \"b\": \"v1\","
        "              \"path\": [\"s3\", \"s2\", \"s1\"], \"bandwidth_bps\": 1000000}]}");
    json_t *expected = load(
        "["
        "{\"method\": \"slice.add\", \"params\": {\"name\": \"L8\", \"guarantee_bps\": 5000000}},"
        "{\"method\": \"vnode.add\", \"params\": {\"slice\": \"L8\", \"switch\": \"s1/v1\"}},"
        "{\"method\": \"vnode.add\", \"params\": {\"slice\": \"L8\", \"switch\": \"s1/v2\"}},"
        "{\"method\": \"vnode.add\", \"params\": {\"slice\": \"L8\", \"switch\": \"s3\"}},"
        "{\"method\": \"vport.add\", \"params\": {\"slice\": \"L8\", \"switch\": \"s1/v2\", \"vport\": \"h1\", \"port\": \"h1\"}},"
        "{\"method\": \"vport.add\", \"params\": {\"slice\": \"L8\", \"switch\": \"s3\", \"vport\": \"a3\", \"port\": \"h3\"}},"
        "{\"method\": \"vlink.add\", \"params\": {\"slice\": \"L8\", \"name\": \"in\", \"path\": [\"s1/v1\", \"s1/v2\"]}},"
        "{\"method\": \"vlink.add\", \"params\": {\"slice\": \"L8\", \"name\": \"out\", \"path\": [\"s3\", \"s2\", \"s1/v1\"]}},"
        "{\"method\": \"queue.set\", \"params\": {\"slice\": \"L8\", \"switch\": \"s3\", \"port\": \"to2\", \"guarantee_bps\": 1000000}},"
        "{\"method\": \"queue.set\", \"params\": {\"slice\": \"L8\", \"switch\": \"s2\", \"port\": \"to3\", \"guarantee_bps\": 1000000}},"
        "{\"method\": \"queue.set\", \"params\": {\"slice\": \"L8\", \"switch\": \"s2\", \"port\": \"to1\", \"guarantee_bps\": 1000000}},"
        "{\"method\": \"queue.set\", \"params\": {\"slice\": \"L8\", \"switch\": \"s1\", \"port\": \"to2\", \"guarantee_bps\": 1000000}}"
        "]");
    json_t *actual = load(
        "{\"slices\": [{\"name\": \"L8\"}],"
        " \"vnodes\": [{\"slice\": \"L8\", \"switch\": \"s1/v1\"},"
        "              {\"slice\": \"L8\", \"switch\": \"s1/v2\"},"
        "              {\"slice\": \"L8\", \"switch\": \"s3\"}],"
        " \"vports\": [{\"slice\": \"L8\", \"switch\": \"s1/v2\", \"vport\": \"h1\"},"
        "              {\"slice\": \"L8\", \"switch\": \"s3\", \"vport\": \"a3\"}],"
        " \"vlinks\": [{\"slice\": \"L8\", \"name\": \"in\"}, {\"slice\": \"L8\", \"name\": \"out\"}]}");
    json_t *wanted = json_object();
    char err[256] = "";
    (void) state;

    assert_int_equal(inpd_plan_commit(part, offer, links, &calls, err, sizeof err), 0);
    assert_json_equal(calls, expected);
    json_object_set_new(wanted, "L8", calls);
    assert_int_equal(inpd_plan_reconcile(wanted, actual, &again), 0);
    json_decref(again);
    /* Without "s1/v2", the slice is rebuilt. */
    json_array_remove(json_object_get(actual, "vnodes"), 1);
    assert_int_equal(inpd_plan_reconcile(wanted, actual, &again),
                     1 + json_array_size(calls));
    json_decref(again);

    /* A vlink between two vnodes of one switch has that one switch. */
    json_object_set_new(json_array_get(json_object_get(part, "vlinks"), 0), "path",
                        json_pack("[s, s, s]", "s1", "s2", "s1"));
    calls = NULL;
    assert_int_equal(inpd_plan_commit(part, offer, NULL, &calls, err, sizeof err),
                     EINVAL);
    assert_null(calls);
    assert_non_null(strstr(err, "vlinks[0].path: vnodes v1 and v2 are both on s1"));
    /* A shared switch needs vnode names that can be addresses. */
    json_object_set_new(json_array_get(json_object_get(part, "vnodes"), 0), "name",
                        json_string("v 1"));
    assert_int_equal(inpd_plan_commit(part, offer, NULL, &calls, err, sizeof err),
                     EINVAL);
    assert_non_null(strstr(err, "vnodes[0].name"));
    json_decref(wanted);
    json_decref(actual);
    json_decref(expected);
    json_decref(part);
    json_decref(links);
    json_decref(offer);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_commit),
        cmocka_unit_test(test_plan_refusals),
        cmocka_unit_test(test_plan_revisit),
        cmocka_unit_test(test_reconcile),
        cmocka_unit_test(test_recursion),
        cmocka_unit_test(test_capacity_over_time),
        cmocka_unit_test(test_plan_transit),
        cmocka_unit_test(test_plan_reroute),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
