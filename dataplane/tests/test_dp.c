/*
 * Dataplane tests with the real fast path: EAL, a worker lcore, and dummy
 * ports (rings the test injects frames into and reads frames from).
 *
 *  - two slices with identical MAC addresses on one switch never meet;
 *  - a virtual link over three switches whose middle one has no vnode:
 *    frames arrive intact, labelled on the substrate links;
 *  - a border virtual link: a frame from the vnode leaves the border port
 *    with the agreed label, a frame arriving there with it reaches the
 *    vnode; the border label is refused when taken on that port;
 *  - a border virtual link's backup out of another border port: taken
 *    while the primary border is down, back after the hold-down;
 *  - the cut-through pair (one l2learn vnode, two untagged vports)
 *    decides a burst as the general path does: order, drops to a
 *    station on the same side, counters, tagged frames declined;
 *  - whole-port and VLAN-set bindings deliver tags as sent and keep
 *    (port, VLAN) ownership strict, both ways;
 *  - a transit virtual link (border to border, no vnode): a frame arriving
 *    on one border with its label leaves the other with the other label,
 *    both ways, over two switches and over one;
 *  - two named vnodes of one slice on one switch, joined by a virtual
 *    link inside it, carry frames between them;
 *  - refused requests (duplicate vnode, unknown slice, label in use,
 *    bad devargs) name the problem and change nothing;
 *  - the "ebpf" plane: the example L2 program forwards and learns, the
 *    SP's control plane writes its table, programs swap under traffic
 *    without a loss and keep the tables, a hostile one is refused and
 *    changes nothing, actions outside the vnode are dropped, punts carry
 *    the cookie.  argv[1]: the folder of the compiled programs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane.h"
#include "dp_private.h"
#include "dp_test.h"
#include "fp_ebpf.h"
#include "util.h"

static struct rte_mempool *test_pool;

/* Sends a 64-byte frame src -> dst with a marker byte into a port. */
static void
inject(struct dummy *d, uint8_t dst_last, uint8_t src_last, uint8_t marker)
{
    dp_test_inject(test_pool, d, dst_last, src_last, marker);
}

static int
receive(struct dummy *d, int wait_ms)
{
    return dp_test_receive(d, wait_ms);
}

static void
expect_nothing(struct dummy *d)
{
    assert_int_equal(receive(d, 50), -1);
}

static void
test_same_addresses_two_slices(void **state)
{
    struct dp_slice_params red = { .name = "red" }, blue = { .name = "blue" };
    struct dummy r1, r2, b1, b2;
    struct dp_error err;
    (void) state;

    assert_int_equal(dp_switch_add("s1", &err), 0);
    dummy_add(&r1, "s1", "r1");
    dummy_add(&r2, "s1", "r2");
    dummy_add(&b1, "s1", "b1");
    dummy_add(&b2, "s1", "b2");
    assert_int_equal(dp_slice_add(&red, &err), 0);
    assert_int_equal(dp_slice_add(&blue, &err), 0);
    assert_int_equal(dp_vnode_add("red", "s1", NULL, NULL, &err), 0);
    assert_int_equal(dp_vnode_add("blue", "s1", "l2learn", NULL, &err), 0);
    assert_int_equal(dp_vport_add("red", "s1", "v1", "r1", -1, &err), 0);
    assert_int_equal(dp_vport_add("red", "s1", "v2", "r2", -1, &err), 0);
    assert_int_equal(dp_vport_add("blue", "s1", "v1", "b1", -1, &err), 0);
    assert_int_equal(dp_vport_add("blue", "s1", "v2", "b2", -1, &err), 0);

    /* Host 0x0a broadcasts in red: only red's other port sees it. */
    inject(&r1, 0xff, 0x0a, 1);
    assert_int_equal(receive(&r2, 2000), 1);
    expect_nothing(&b1);
    expect_nothing(&b2);
    /* The same host address in blue: learned separately. */
    inject(&b1, 0xff, 0x0a, 2);
    assert_int_equal(receive(&b2, 2000), 2);
    expect_nothing(&r1);
    expect_nothing(&r2);
    /* Unicast replies go back only within each slice. */
    inject(&r2, 0x0a, 0x0b, 3);
    assert_int_equal(receive(&r1, 2000), 3);
    inject(&b2, 0x0a, 0x0b, 4);
    assert_int_equal(receive(&b1, 2000), 4);
    expect_nothing(&r1);
    expect_nothing(&r2);
    expect_nothing(&b2);

    json_t *stats = dp_stats_to_json("slice", "red");
    json_t *s = json_array_get(json_object_get(stats, "slices"), 0);
    assert_int_equal(json_integer_value(json_object_get(s, "rx_packets")), 2);
    assert_int_equal(json_integer_value(json_object_get(s, "tx_packets")), 2);
    json_decref(stats);

    /* Refused requests name the problem. */
    assert_int_equal(dp_vnode_add("red", "s1", NULL, NULL, &err), EEXIST);
    assert_non_null(strstr(err.msg, "already has a vnode"));
    assert_int_equal(dp_vnode_add("green", "s1", NULL, NULL, &err), ENOENT);
    assert_non_null(strstr(err.msg, "green"));
    assert_int_equal(dp_vport_add("blue", "s1", "v3", "r1", -1, &err), EEXIST);
    assert_non_null(strstr(err.msg, "red"));
    assert_int_equal(dp_vnode_add("red", "s9", NULL, NULL, &err), ENOENT);
    assert_int_equal(dp_switch_add("s2", &err), 0);
    assert_int_equal(dp_vnode_add("blue", "s2", "nosuch", NULL, &err), EINVAL);
    assert_non_null(strstr(err.msg, "l2learn"));    /* lists the known ones */
    assert_int_equal(dp_switch_add("s2", &err), EEXIST);
    struct dp_port_params bad = { .sw = "s1", .name = "bad",
                                  .devargs = "net_nosuchdriver0,x=1" };
    assert_int_equal(dp_port_add(&bad, &err), EINVAL);
    assert_non_null(strstr(err.msg, "net_nosuchdriver0"));

    /* ... and after all of them, both slices still forward. */
    inject(&r1, 0x0b, 0x0a, 5);
    assert_int_equal(receive(&r2, 2000), 5);
    inject(&b1, 0x0b, 0x0a, 6);
    assert_int_equal(receive(&b2, 2000), 6);
}

/* Counter 'name' (a drop reason if it has a '-') of slice 'slice' on
 * switch 'sw' (its total when NULL); -1 if the slice has no counters
 * there. */
static json_int_t
slice_sw_counter(const char *slice, const char *sw, const char *name)
{
    json_t *stats = dp_stats_to_json("slice", slice);
    json_t *s = json_array_get(json_object_get(stats, "slices"), 0);
    json_t *per_sw, *c = sw ? NULL : s;
    json_int_t v = -1;
    size_t i;

    json_array_foreach (json_object_get(s, "switches"), i, per_sw) {
        if (sw && !strcmp(json_string_value(json_object_get(per_sw, "switch")), sw)) {
            c = per_sw;
        }
    }
    if (c) {
        v = json_integer_value(json_object_get(strchr(name, '-')
                                               ? json_object_get(c, "drops") : c,
                                               name));
    }
    json_decref(stats);
    return v;
}

static void
test_vlink_three_switches(void **state)
{
    struct dp_slice_params green = { .name = "green" };
    struct dp_link_params l12 = { .name = "l12", .sw_a = "a1", .port_a = "to-a2",
                                  .sw_b = "a2", .port_b = "to-a1" };
    struct dp_link_params l23 = { .name = "l23", .sw_a = "a2", .port_a = "to-a3",
                                  .sw_b = "a3", .port_b = "to-a2" };
    const char *path[] = { "a1", "a2", "a3" };
    struct dp_vlink_params vl = { .slice = "green", .name = "wan", .path = path,
                                  .n_path = 3, .label = 1000 };
    struct dummy h1, h3;
    struct dp_error err;
    (void) state;

    assert_int_equal(dp_switch_add("a1", &err), 0);
    assert_int_equal(dp_switch_add("a2", &err), 0);
    assert_int_equal(dp_switch_add("a3", &err), 0);
    assert_int_equal(dp_link_add(&l12, &err), 0);
    assert_int_equal(dp_link_add(&l23, &err), 0);
    dummy_add(&h1, "a1", "h1");
    dummy_add(&h3, "a3", "h3");
    assert_int_equal(dp_slice_add(&green, &err), 0);
    assert_int_equal(dp_vnode_add("green", "a1", NULL, NULL, &err), 0);
    assert_int_equal(dp_vnode_add("green", "a3", NULL, NULL, &err), 0);
    assert_int_equal(dp_vport_add("green", "a1", "h1", "h1", -1, &err), 0);
    assert_int_equal(dp_vport_add("green", "a3", "h3", "h3", -1, &err), 0);
    assert_int_equal(dp_vlink_add(&vl, &err), 0);

    /* A second virtual link with the same label on these ports: refused. */
    struct dp_vlink_params dup = vl;
    dup.name = "wan2";
    assert_int_equal(dp_vlink_add(&dup, &err), EADDRINUSE);
    assert_non_null(strstr(err.msg, "label 1000"));

    inject(&h1, 0xff, 0x01, 7);
    assert_int_equal(receive(&h3, 2000), 7);
    inject(&h3, 0x01, 0x03, 8);
    assert_int_equal(receive(&h1, 2000), 8);

    /* The middle switch swapped labels: its link ports carried both. */
    json_t *stats = dp_stats_to_json("link", "l12");
    json_t *ends = json_object_get(json_array_get(json_object_get(stats, "links"), 0),
                                   "ends");
    for (int e = 0; e < 2; e++) {
        json_t *end = json_array_get(ends, e);
        assert_int_equal(json_integer_value(json_object_get(end, "tx_packets")), 1);
        assert_int_equal(json_integer_value(json_object_get(end, "rx_packets")), 1);
    }
    json_decref(stats);

    /* The slice's counters per switch: a frame from and to a host at
     * each end, nothing at the transit switch. */
    assert_int_equal(slice_sw_counter("green", "a1", "rx_packets"), 1);
    assert_int_equal(slice_sw_counter("green", "a1", "tx_packets"), 1);
    assert_int_equal(slice_sw_counter("green", "a3", "rx_packets"), 1);
    assert_int_equal(slice_sw_counter("green", "a3", "tx_packets"), 1);
    assert_int_equal(slice_sw_counter("green", "a2", "rx_packets"), 0);
    assert_int_equal(slice_sw_counter("green", NULL, "rx_packets"), 2);

    /* Taking the link down cuts the virtual link; up restores it. */
    assert_int_equal(dp_link_set_up("l23", false, &err), 0);
    inject(&h1, 0x03, 0x01, 9);
    expect_nothing(&h3);
    /* The drop is the transit switch's, whose port is down. */
    assert_int_equal(slice_sw_counter("green", "a2", "link-down"), 1);
    assert_int_equal(slice_sw_counter("green", "a1", "link-down"), 0);
    assert_int_equal(slice_sw_counter("green", NULL, "link-down"), 1);
    assert_int_equal(dp_link_set_up("l23", true, &err), 0);
    inject(&h1, 0x03, 0x01, 10);
    assert_int_equal(receive(&h3, 2000), 10);

    /* Deleting the slice removes its label entries and queues. */
    assert_int_equal(dp_slice_del("green", &err), 0);
    assert_int_equal(dp.switches[1]->labels.n, 0);
    assert_int_equal(dp_link_del("l12", &err), 0);
}

/* Revisitation: two named vnodes of one slice on one switch, joined by a
 * virtual link inside it (no port, no label); frames cross it both ways,
 * the addresses show in the config, refused requests change nothing, and
 * deleting the slice removes both. */
/* A frame across a link with a 3 ms delay takes at least that, and the
 * worker counts it once in "delay_late" (workers.get), in one range. */
static void
test_delay_late(void **state)
{
    struct dp_slice_params teal = { .name = "teal" };
    struct dp_link_params l = { .name = "dl12", .sw_a = "dl1", .port_a = "to-dl2",
                                .sw_b = "dl2", .port_b = "to-dl1", .delay_us = 3000 };
    const char *path[] = { "dl1", "dl2" };
    struct dp_vlink_params vl = { .slice = "teal", .name = "wan", .path = path,
                                  .n_path = 2, .label = 1500 };
    struct dummy h1, h2;
    struct dp_error err;
    (void) state;

    assert_int_equal(dp_switch_add("dl1", &err), 0);
    assert_int_equal(dp_switch_add("dl2", &err), 0);
    assert_int_equal(dp_link_add(&l, &err), 0);
    dummy_add(&h1, "dl1", "h1");
    dummy_add(&h2, "dl2", "h2");
    assert_int_equal(dp_slice_add(&teal, &err), 0);
    assert_int_equal(dp_vnode_add("teal", "dl1", NULL, NULL, &err), 0);
    assert_int_equal(dp_vnode_add("teal", "dl2", NULL, NULL, &err), 0);
    assert_int_equal(dp_vport_add("teal", "dl1", "h1", "h1", -1, &err), 0);
    assert_int_equal(dp_vport_add("teal", "dl2", "h2", "h2", -1, &err), 0);
    assert_int_equal(dp_vlink_add(&vl, &err), 0);

    json_int_t frames0 = 0, frames1 = 0, in_ranges = 0;
    json_t *ws = dp_workers_to_json(), *w;
    size_t i;
    json_array_foreach(ws, i, w) {
        frames0 += json_integer_value(json_object_get(json_object_get(w, "delay_late"), "frames"));
    }
    json_decref(ws);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    inject(&h1, 0xff, 0x01, 9);
    assert_int_equal(receive(&h2, 2000), 9);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true((t1.tv_sec - t0.tv_sec) * 1000000000ll + t1.tv_nsec - t0.tv_nsec >= 3000000);

    ws = dp_workers_to_json();
    json_array_foreach(ws, i, w) {
        json_t *late = json_object_get(w, "delay_late"), *h;
        size_t b;
        frames1 += json_integer_value(json_object_get(late, "frames"));
        assert_int_equal(json_array_size(json_object_get(late, "hist")), 5);
        json_array_foreach(json_object_get(late, "hist"), b, h) {
            in_ranges += json_integer_value(h);
        }
    }
    json_decref(ws);
    assert_int_equal(frames1 - frames0, 1);         /* one delayed hop */
    assert_int_equal(in_ranges, frames1);           /* each frame in one range */
}

static void
test_vnodes_one_switch(void **state)
{
    struct dp_slice_params rv = { .name = "rv" };
    const char *path[] = { "v1/a", "v1/b" }, *self[] = { "v1/a", "v1/a" };
    struct dp_vlink_params vl = { .slice = "rv", .name = "ab", .path = path,
                                  .n_path = 2 };
    struct dummy ha, hb;
    struct dp_error err;
    (void) state;

    assert_int_equal(dp_switch_add("v1", &err), 0);
    dummy_add(&ha, "v1", "ha");
    dummy_add(&hb, "v1", "hb");
    assert_int_equal(dp_slice_add(&rv, &err), 0);
    assert_int_equal(dp_vnode_add("rv", "v1/a", NULL, NULL, &err), 0);
    assert_int_equal(dp_vnode_add("rv", "v1/b", NULL, NULL, &err), 0);
    assert_int_equal(dp_vnode_add("rv", "v1/a", NULL, NULL, &err), EEXIST);
    assert_int_equal(dp_vnode_add("rv", "v1/a b", NULL, NULL, &err), ENOENT);
    assert_non_null(strstr(err.msg, "not valid"));
    assert_int_equal(dp_vport_add("rv", "v1/a", "h", "ha", -1, &err), 0);
    assert_int_equal(dp_vport_add("rv", "v1/b", "h", "hb", -1, &err), 0);
    assert_int_equal(dp_vport_add("rv", "v1", "h2", "hb", -1, &err), ENOENT);
    vl.path = self;
    assert_int_equal(dp_vlink_add(&vl, &err), EINVAL);
    assert_non_null(strstr(err.msg, "both ends"));
    vl.path = path;
    assert_int_equal(dp_vlink_add(&vl, &err), 0);

    inject(&ha, 0xff, 0x0a, 21);
    assert_int_equal(receive(&hb, 2000), 21);
    inject(&hb, 0x0a, 0x0b, 22);
    assert_int_equal(receive(&ha, 2000), 22);
    expect_nothing(&hb);

    json_t *config = dp_config_to_json();
    char *text = json_dumps(config, JSON_COMPACT);
    assert_non_null(strstr(text, "\"switch\":\"v1/b\""));
    assert_non_null(strstr(text, "\"path\":[\"v1/a\",\"v1/b\"]"));
    free(text);
    json_decref(config);

    assert_int_equal(dp_vnode_del("rv", "v1/a", &err), EBUSY);
    assert_int_equal(dp_slice_del("rv", &err), 0);
    assert_null(dp_vnode_lookup("rv", "v1/a"));
    assert_int_equal(dp.switches[dp.n_switches - 1]->n_vnodes, 0);
}

/* A virtual link with a backup path: r1 - r3 directly, backup r1 - r2 -
 * r3.  Link b13 down: frames take the backup at once (both ends), each
 * direction delivered; up again: back on the path only after the
 * hold-down.  Bad backups are refused and change nothing. */
static void
test_vlink_backup(void **state)
{
    struct dp_slice_params rr = { .name = "rr" };
    struct dp_link_params l13 = { .name = "r13", .sw_a = "r1", .port_a = "to-r3",
                                  .sw_b = "r3", .port_b = "to-r1" };
    struct dp_link_params l12 = { .name = "r12", .sw_a = "r1", .port_a = "to-r2",
                                  .sw_b = "r2", .port_b = "to-r1" };
    struct dp_link_params l23 = { .name = "r23", .sw_a = "r2", .port_a = "to-r3",
                                  .sw_b = "r3", .port_b = "to-r2" };
    const char *path[] = { "r1", "r3" }, *backup[] = { "r1", "r2", "r3" };
    const char *wrong[] = { "r1", "r2" };
    struct dp_vlink_params vl = { .slice = "rr", .name = "wan", .path = path,
                                  .n_path = 2, .backup = backup, .n_backup = 3,
                                  .hold_ms = 200 };
    struct dummy h1, h3;
    struct dp_error err;
    (void) state;

    assert_int_equal(dp_switch_add("r1", &err), 0);
    assert_int_equal(dp_switch_add("r2", &err), 0);
    assert_int_equal(dp_switch_add("r3", &err), 0);
    assert_int_equal(dp_link_add(&l13, &err), 0);
    assert_int_equal(dp_link_add(&l12, &err), 0);
    assert_int_equal(dp_link_add(&l23, &err), 0);
    dummy_add(&h1, "r1", "h1");
    dummy_add(&h3, "r3", "h3");
    assert_int_equal(dp_slice_add(&rr, &err), 0);
    assert_int_equal(dp_vnode_add("rr", "r1", NULL, NULL, &err), 0);
    assert_int_equal(dp_vnode_add("rr", "r3", NULL, NULL, &err), 0);
    assert_int_equal(dp_vport_add("rr", "r1", "h1", "h1", -1, &err), 0);
    assert_int_equal(dp_vport_add("rr", "r3", "h3", "h3", -1, &err), 0);

    struct dp_vlink_params bad = vl;
    bad.backup = wrong;
    bad.n_backup = 2;
    assert_int_equal(dp_vlink_add(&bad, &err), EINVAL);
    assert_non_null(strstr(err.msg, "same switches"));
    bad.backup = path;
    assert_int_equal(dp_vlink_add(&bad, &err), EINVAL);
    assert_int_equal(dp_switch_find("r2")->labels.n + dp_switch_find("r3")->labels.n, 0);
    assert_int_equal(dp_vlink_add(&vl, &err), 0);

    struct dp_vport *e1 = dp_vport_find(dp_vnode_find(dp_slice_find("rr"),
                                                      dp_switch_find("r1"), ""), "vl-wan");
    struct dp_vport *e3 = dp_vport_find(dp_vnode_find(dp_slice_find("rr"),
                                                      dp_switch_find("r3"), ""), "vl-wan");
    assert_non_null(e1->fr);
    assert_false(e1->fr->on_backup);
    inject(&h1, 0xff, 0x01, 21);
    assert_int_equal(receive(&h3, 2000), 21);
    json_t *st = dp_stats_to_json("link", "r12");
    json_t *end = json_array_get(json_object_get(json_array_get(
        json_object_get(st, "links"), 0), "ends"), 0);
    assert_int_equal(json_integer_value(json_object_get(end, "tx_packets")), 0);
    json_decref(st);

    /* The path's link down: both ends on the backup, both ways work. */
    assert_int_equal(dp_link_set_up("r13", false, &err), 0);
    for (int i = 0; i < 200 && !(e1->fr->on_backup && e3->fr->on_backup); i++) {
        usleep(1000);
    }
    assert_true(e1->fr->on_backup);
    assert_true(e3->fr->on_backup);
    assert_int_equal(e1->label, dp_slice_find("rr")->vlinks[0]->backup_label);
    inject(&h1, 0x03, 0x01, 22);
    assert_int_equal(receive(&h3, 2000), 22);
    inject(&h3, 0x01, 0x03, 23);
    assert_int_equal(receive(&h1, 2000), 23);

    /* Up again: still on the backup within the hold-down, then back. */
    assert_int_equal(dp_link_set_up("r13", true, &err), 0);
    usleep(50000);
    assert_true(e1->fr->on_backup);
    for (int i = 0; i < 2000 && (e1->fr->on_backup || e3->fr->on_backup); i++) {
        usleep(1000);
    }
    assert_false(e1->fr->on_backup);
    assert_int_equal(e1->fr->reroutes, 1);
    assert_int_equal(e1->fr->reverts, 1);
    inject(&h1, 0x03, 0x01, 24);
    assert_int_equal(receive(&h3, 2000), 24);

    /* The configuration keeps the backup; deleting frees every label. */
    json_t *config = dp_config_to_json();
    json_t *jvl = json_array_get(json_object_get(config, "vlinks"), 0);
    assert_int_equal(json_array_size(json_object_get(jvl, "backup")), 3);
    assert_int_equal(json_integer_value(json_object_get(jvl, "hold_ms")), 200);
    json_decref(config);
    assert_int_equal(dp_slice_del("rr", &err), 0);
    const char *names[] = { "r1", "r2", "r3" };
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(dp_switch_find(names[i])->labels.n, 0);
        assert_int_equal(dp_switch_find(names[i])->n_fr, 0);
    }
}

/* The dp_bfd_list() entry of the VCCV session at switch 'sw' on 'path'
 * ("primary" or "backup"), or NULL if none (the caller frees it). */
static json_t *
vccv_entry(const char *sw, const char *path)
{
    json_t *list = dp_bfd_list();
    json_t *j, *found = NULL;
    size_t i;

    json_array_foreach (list, i, j) {
        const char *kind = json_string_value(json_object_get(j, "kind"));
        if (kind && !strcmp(kind, "vlink")
            && !strcmp(json_string_value(json_object_get(j, "switch")), sw)
            && !strcmp(json_string_value(json_object_get(j, "path")), path)) {
            found = json_incref(j);
        }
    }
    json_decref(list);
    return found;
}

/* State of that session, or "" if none. */
static char vccv_state_buf[16];
static const char *
vccv_state(const char *sw, const char *path)
{
    json_t *j = vccv_entry(sw, path);

    snprintf(vccv_state_buf, sizeof vccv_state_buf, "%s",
             j ? json_string_value(json_object_get(j, "state")) : "");
    json_decref(j);
    return vccv_state_buf;
}

/* Whether that session runs at the standby intervals, and the transmit
 * interval (us) it advertises, in '*tx_us'. */
static bool
vccv_standby(const char *sw, const char *path, long long *tx_us)
{
    json_t *j = vccv_entry(sw, path);
    bool standby;

    assert_non_null(j);
    standby = json_is_true(json_object_get(j, "standby"));
    *tx_us = json_integer_value(json_object_get(j, "tx_interval_us"));
    json_decref(j);
    return standby;
}

/* End-to-end BFD of a virtual link (VCCV): path x1 - x2 - x3, backup x1 -
 * x4 - x3, bfd on.  Both paths' sessions come Up inside the pseudowire
 * and no session frame reaches a vnode; a silent loss on x2 - x3 (no port
 * down, so only the session can see it) moves both heads to the backup,
 * and they come back after the hold-down once it is gone. */
static void
test_vlink_vccv(void **state)
{
    struct dp_slice_params vs = { .name = "vv" };
    struct dp_link_params l[4] = {
        { .name = "x12", .sw_a = "x1", .port_a = "to-x2", .sw_b = "x2", .port_b = "to-x1" },
        { .name = "x23", .sw_a = "x2", .port_a = "to-x3", .sw_b = "x3", .port_b = "to-x2" },
        { .name = "x14", .sw_a = "x1", .port_a = "to-x4", .sw_b = "x4", .port_b = "to-x1" },
        { .name = "x43", .sw_a = "x4", .port_a = "to-x3", .sw_b = "x3", .port_b = "to-x4" },
    };
    const char *path[] = { "x1", "x2", "x3" }, *backup[] = { "x1", "x4", "x3" };
    struct dp_vlink_params vl = { .slice = "vv", .name = "e2e", .path = path,
                                  .n_path = 3, .backup = backup, .n_backup = 3,
                                  .hold_ms = 200,
                                  .bfd = { .enable = true, .tx_us = 10000,
                                           .rx_us = 10000, .mult = 3 } };
    const char *sws[] = { "x1", "x2", "x3", "x4" };
    struct dummy h1, h3;
    struct dp_error err;
    (void) state;

    for (int i = 0; i < 4; i++) {
        assert_int_equal(dp_switch_add(sws[i], &err), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(dp_link_add(&l[i], &err), 0);
    }
    dummy_add(&h1, "x1", "h1");
    dummy_add(&h3, "x3", "h3");
    assert_int_equal(dp_slice_add(&vs, &err), 0);
    assert_int_equal(dp_vnode_add("vv", "x1", NULL, NULL, &err), 0);
    assert_int_equal(dp_vnode_add("vv", "x3", NULL, NULL, &err), 0);
    assert_int_equal(dp_vport_add("vv", "x1", "h1", "h1", -1, &err), 0);
    assert_int_equal(dp_vport_add("vv", "x3", "h3", "h3", -1, &err), 0);

    /* Refused: bfd without a backup, with addresses, bad intervals. */
    struct dp_vlink_params bad = vl;
    bad.backup = NULL;
    bad.n_backup = 0;
    assert_int_equal(dp_vlink_add(&bad, &err), EINVAL);
    assert_non_null(strstr(err.msg, "backup"));
    bad = vl;
    bad.bfd.peer = "10.0.0.1";
    assert_int_equal(dp_vlink_add(&bad, &err), EINVAL);
    assert_non_null(strstr(err.msg, "inside it"));
    bad = vl;
    bad.bfd.tx_us = 10;
    assert_int_equal(dp_vlink_add(&bad, &err), EINVAL);
    assert_int_equal(dp_switch_find("x2")->labels.n + dp_switch_find("x3")->labels.n, 0);
    assert_int_equal(dp_vlink_add(&vl, &err), 0);

    struct dp_vport *e1 = dp_vport_find(dp_vnode_find(dp_slice_find("vv"),
                                                      dp_switch_find("x1"), ""), "vl-e2e");
    struct dp_vport *e3 = dp_vport_find(dp_vnode_find(dp_slice_find("vv"),
                                                      dp_switch_find("x3"), ""), "vl-e2e");
    assert_non_null(e1->fr->vccv);
    for (int i = 0; i < 2000 && (strcmp(vccv_state("x1", "primary"), "Up")
                                 || strcmp(vccv_state("x3", "primary"), "Up")
                                 || strcmp(vccv_state("x1", "backup"), "Up")
                                 || strcmp(vccv_state("x3", "backup"), "Up")); i++) {
        usleep(1000);
    }
    assert_string_equal(vccv_state("x1", "primary"), "Up");
    assert_string_equal(vccv_state("x3", "primary"), "Up");
    assert_string_equal(vccv_state("x1", "backup"), "Up");
    assert_string_equal(vccv_state("x3", "backup"), "Up");
    /* On the primary after the hold-down, if the backup came Up first. */
    for (int i = 0; i < 2000 && (e1->fr->on_backup || e3->fr->on_backup); i++) {
        usleep(1000);
    }
    assert_false(e1->fr->on_backup);
    /* The path in use at the configured 10 ms, the standby one at 100. */
    long long tx_us;
    assert_false(vccv_standby("x1", "primary", &tx_us));
    assert_int_equal(tx_us, 10000);
    assert_true(vccv_standby("x1", "backup", &tx_us));
    assert_int_equal(tx_us, 100000);
    assert_true(vccv_standby("x3", "backup", &tx_us));
    /* The sessions' frames never reached the vnodes (no vport saw them). */
    assert_int_equal(receive(&h1, 50), -1);
    assert_int_equal(receive(&h3, 50), -1);
    inject(&h1, 0xff, 0x01, 31);
    assert_int_equal(receive(&h3, 2000), 31);

    /* A silent cut two hops away: only the end-to-end session sees it. */
    struct dp_link_params lossy = l[1];
    lossy.loss_ppm = 1000000;
    assert_int_equal(dp_link_set(&lossy, &err), 0);
    for (int i = 0; i < 1000 && !(e1->fr->on_backup && e3->fr->on_backup); i++) {
        usleep(1000);
    }
    assert_true(e1->fr->on_backup);
    assert_true(e3->fr->on_backup);
    assert_string_equal(vccv_state("x1", "primary"), "Down");
    assert_string_equal(vccv_state("x1", "backup"), "Up");
    /* The backup, now in use, back at 10 ms; the primary on standby. */
    assert_false(vccv_standby("x1", "backup", &tx_us));
    assert_int_equal(tx_us, 10000);
    assert_true(vccv_standby("x1", "primary", &tx_us));
    inject(&h1, 0x03, 0x01, 32);
    assert_int_equal(receive(&h3, 2000), 32);
    inject(&h3, 0x01, 0x03, 33);
    assert_int_equal(receive(&h1, 2000), 33);

    /* Healed: back on the path after the hold-down. */
    lossy.loss_ppm = 0;
    assert_int_equal(dp_link_set(&lossy, &err), 0);
    for (int i = 0; i < 3000 && (e1->fr->on_backup || e3->fr->on_backup); i++) {
        usleep(1000);
    }
    assert_false(e1->fr->on_backup);
    assert_false(e3->fr->on_backup);
    inject(&h1, 0x03, 0x01, 34);
    assert_int_equal(receive(&h3, 2000), 34);

    /* The configuration keeps the timers. */
    json_t *config = dp_config_to_json();
    json_t *jvl = json_array_get(json_object_get(config, "vlinks"), 0);
    assert_int_equal(json_integer_value(json_object_get(
        json_object_get(jvl, "bfd"), "tx_ms")), 10);
    json_decref(config);
    assert_int_equal(dp_slice_del("vv", &err), 0);
    assert_string_equal(vccv_state("x1", "primary"), "");
}

/* Sends a labelled frame (outer Ethernet, MPLS 'label', control word, then
 * a 64-byte inner frame with 'marker') into a port, as a peer InP's switch
 * would send it over a border link; its control word 'cw'. */
static void
inject_labelled_cw(struct dummy *d, uint32_t label, uint8_t marker, uint32_t cw)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(test_pool);
    uint8_t p[EOMPLS_HLEN + 64] = { 0 };
    char *data;

    assert_non_null(m);
    p[0] = 0x02;
    p[6] = 0x02;
    p[12] = ETHTYPE_MPLS >> 8;
    p[13] = ETHTYPE_MPLS & 0xff;
    classify_put_label(p + 14, label, 64);
    p[18] = cw >> 24; p[19] = cw >> 16; p[20] = cw >> 8; p[21] = cw;
    uint8_t *in = p + EOMPLS_HLEN;
    memset(in, 0xff, 6);
    in[6] = 0x02;
    in[11] = 0x77;
    in[12] = 0x08;
    in[20] = marker;
    data = rte_pktmbuf_append(m, sizeof p);
    assert_non_null(data);
    memcpy(data, p, sizeof p);
    assert_int_equal(rte_ring_enqueue(d->rx, m), 0);
}

/* The same with the control word of a frame of a vnode (0). */
static void
inject_labelled(struct dummy *d, uint32_t label, uint8_t marker)
{
    inject_labelled_cw(d, label, marker, 0);
}

/* Waits up to 'wait_ms' for a labelled frame out of 'd'; returns the
 * marker of the inner frame and its label in '*label', or -1. */
static int
receive_labelled(struct dummy *d, int wait_ms, uint32_t *label)
{
    struct rte_mbuf *m;

    for (int i = 0; i < wait_ms * 10; i++) {
        if (!rte_ring_dequeue(d->tx, (void **) &m)) {
            const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
            uint8_t ttl;
            int marker = -2;

            if (classify_mpls(p, rte_pktmbuf_data_len(m), label, &ttl)
                && rte_pktmbuf_data_len(m) == EOMPLS_HLEN + 64) {
                marker = p[EOMPLS_HLEN + 20];
            }
            rte_pktmbuf_free(m);
            return marker;
        }
        usleep(100);
    }
    return -1;
}

/* Whether the state (dp_config_to_json()) has a virtual link whose
 * 'member' ("border" or "border_in") is port 'port' with 'label'. */
static bool
config_has_border(const char *member, const char *port, uint32_t label)
{
    json_t *config = dp_config_to_json();
    json_t *vls = json_object_get(config, "vlinks");
    bool seen = false;

    for (size_t i = 0; i < json_array_size(vls); i++) {
        json_t *b = json_object_get(json_array_get(vls, i), member);
        seen |= b && json_integer_value(json_object_get(b, "label")) == label
                && !strcmp(json_string_value(json_object_get(b, "port")), port);
    }
    json_decref(config);
    return seen;
}

/* A border virtual link toward another InP: over two switches (the inside
 * label is the switchd's choice, the border label the agreed one) and over
 * one (the vnode's switch has the border port). */
static void
test_vlink_border(void **state)
{
    struct dp_slice_params navy = { .name = "navy" }, cyan = { .name = "cyan" };
    struct dp_link_params l12 = { .name = "lb12", .sw_a = "b1", .port_a = "to-b2",
                                  .sw_b = "b2", .port_b = "to-b1" };
    const char *path[] = { "b1", "b2" };
    struct dp_vlink_params vl = { .slice = "navy", .name = "ab", .path = path,
                                  .n_path = 2, .border_port = "to-x",
                                  .border_label = 1000 };
    struct dummy h1, h2, bx;
    struct dp_error err;
    uint32_t label = 0;
    (void) state;

    assert_int_equal(dp_switch_add("b1", &err), 0);
    assert_int_equal(dp_switch_add("b2", &err), 0);
    assert_int_equal(dp_link_add(&l12, &err), 0);
    dummy_add(&h1, "b1", "h1");
    dummy_add(&h2, "b2", "h2");
    dummy_add(&bx, "b2", "to-x");
    assert_int_equal(dp_slice_add(&navy, &err), 0);
    assert_int_equal(dp_vnode_add("navy", "b1", NULL, NULL, &err), 0);
    assert_int_equal(dp_vport_add("navy", "b1", "h1", "h1", -1, &err), 0);

    /* A border on a link end or an unknown port is refused. */
    struct dp_vlink_params bad = vl;
    bad.border_port = "to-b1";
    assert_int_equal(dp_vlink_add(&bad, &err), EINVAL);
    assert_non_null(strstr(err.msg, "not a border port"));
    bad.border_port = "nope";
    assert_int_equal(dp_vlink_add(&bad, &err), ENOENT);

    assert_int_equal(dp_vlink_add(&vl, &err), 0);
    struct dp_vlink *v = dp_need_slice("navy", &err)->vlinks[0];
    assert_int_equal(v->border_label, 1000);
    assert_true(v->label >= DP_MPLS_LABEL_MIN);

    /* From the vport: out of the border with the agreed label. */
    inject(&h1, 0xff, 0x01, 21);
    assert_int_equal(receive_labelled(&bx, 2000, &label), 21);
    assert_int_equal(label, 1000);
    /* Into the border with that label: to the vport; another label: dropped. */
    inject_labelled(&bx, 1000, 22);
    assert_int_equal(receive(&h1, 2000), 22);
    inject_labelled(&bx, 1001, 23);
    expect_nothing(&h1);
    /* An associated channel (VCCV BFD) where the control word is: never a
     * frame of the vnode, even on a vlink without a session. */
    inject_labelled_cw(&bx, 1000, 24, 0x10000007);
    expect_nothing(&h1);

    /* The border label is taken on that port (by any slice); the port now
     * carries labels only. */
    assert_int_equal(dp_slice_add(&cyan, &err), 0);
    assert_int_equal(dp_vnode_add("cyan", "b2", NULL, NULL, &err), 0);
    const char *one[] = { "b2" };
    struct dp_vlink_params t = { .slice = "cyan", .name = "tx", .path = one,
                                 .n_path = 1, .border_port = "to-x",
                                 .border_label = 1000 };
    assert_int_equal(dp_vlink_add(&t, &err), EADDRINUSE);
    assert_non_null(strstr(err.msg, "border label 1000"));
    assert_non_null(strstr(err.msg, "navy"));
    assert_int_equal(dp_vport_add("cyan", "b2", "x", "to-x", -1, &err), EINVAL);

    /* A one-switch border vlink on the same port with another label. */
    assert_int_equal(dp_vport_add("cyan", "b2", "h2", "h2", -1, &err), 0);
    t.border_label = 1001;
    assert_int_equal(dp_vlink_add(&t, &err), 0);
    inject(&h2, 0xff, 0x02, 24);
    assert_int_equal(receive_labelled(&bx, 2000, &label), 24);
    assert_int_equal(label, 1001);
    inject_labelled(&bx, 1001, 25);
    assert_int_equal(receive(&h2, 2000), 25);
    expect_nothing(&h1);

    /* The state names the border; deleting the slices frees the port. */
    assert_true(config_has_border("border", "to-x", 1000));
    assert_int_equal(dp_slice_del("navy", &err), 0);
    assert_int_equal(dp_slice_del("cyan", &err), 0);
    struct dp_switch *b2 = dp_need_switch("b2", &err);
    assert_int_equal(b2->labels.n, 0);
    assert_false(dp_port_find(b2, "to-x")->is_link);
    assert_int_equal(dp_port_find(b2, "to-x")->n_users, 0);
}

/* A border virtual link with a backup that leaves by another border port
 * (a second tunnel): d1's vnode, border to-x on d1 (label 1000), backup
 * d1 - d2 out of to-y on d2 (label 2000).  Both borders deliver into the
 * vport; to-x down: frames leave to-y with 2000; up again: back on to-x
 * after the hold-down.  Bad backups are refused and change nothing. */
static void
test_vlink_border_backup(void **state)
{
    struct dp_slice_params plum = { .name = "plum" };
    struct dp_link_params l12 = { .name = "ld12", .sw_a = "d1", .port_a = "to-d2",
                                  .sw_b = "d2", .port_b = "to-d1" };
    const char *path[] = { "d1" }, *backup[] = { "d1", "d2" };
    const char *wrong[] = { "d2" };
    struct dp_vlink_params vl = { .slice = "plum", .name = "wan", .path = path,
                                  .n_path = 1, .border_port = "to-x",
                                  .border_label = 1000, .backup = backup,
                                  .n_backup = 2, .hold_ms = 200,
                                  .backup_border_port = "to-y",
                                  .backup_border_label = 2000 };
    struct dummy h1, bx, by;
    struct dp_error err;
    uint32_t label = 0;
    (void) state;

    assert_int_equal(dp_switch_add("d1", &err), 0);
    assert_int_equal(dp_switch_add("d2", &err), 0);
    assert_int_equal(dp_link_add(&l12, &err), 0);
    dummy_add(&h1, "d1", "h1");
    dummy_add(&bx, "d1", "to-x");
    dummy_add(&by, "d2", "to-y");
    assert_int_equal(dp_slice_add(&plum, &err), 0);
    assert_int_equal(dp_vnode_add("plum", "d1", NULL, NULL, &err), 0);
    assert_int_equal(dp_vport_add("plum", "d1", "h1", "h1", -1, &err), 0);

    struct dp_vlink_params bad = vl;
    bad.backup_border_port = NULL;
    assert_int_equal(dp_vlink_add(&bad, &err), EINVAL);
    assert_non_null(strstr(err.msg, "border of its own"));
    bad = vl;
    bad.backup = path;          /* leaves d1 again, by to-x */
    bad.n_backup = 1;
    bad.backup_border_port = "to-x";
    assert_int_equal(dp_vlink_add(&bad, &err), EINVAL);
    assert_non_null(strstr(err.msg, "path's own border port"));
    bad = vl;
    bad.backup_border_label = 7;
    assert_int_equal(dp_vlink_add(&bad, &err), EINVAL);
    assert_non_null(strstr(err.msg, "backup border label 7"));
    bad = vl;
    bad.backup = wrong;
    bad.n_backup = 1;
    assert_int_equal(dp_vlink_add(&bad, &err), EINVAL);
    assert_non_null(strstr(err.msg, "start at the path's head"));
    bad = vl;
    bad.backup = NULL;
    assert_int_equal(dp_vlink_add(&bad, &err), EINVAL);
    assert_non_null(strstr(err.msg, "needs a backup path"));
    bad = vl;
    bad.border_in_port = "to-d2";
    bad.border_in_label = 3000;
    assert_int_equal(dp_vlink_add(&bad, &err), EINVAL);
    assert_non_null(strstr(err.msg, "transit"));
    bad = vl;
    bad.border_port = NULL;
    bad.path = backup;
    bad.n_path = 2;
    assert_int_equal(dp_vlink_add(&bad, &err), EINVAL);
    assert_non_null(strstr(err.msg, "needs a border virtual link"));
    bad = vl;
    bad.backup_border_port = "nope";
    assert_int_equal(dp_vlink_add(&bad, &err), ENOENT);
    assert_int_equal(dp_switch_find("d1")->labels.n + dp_switch_find("d2")->labels.n, 0);
    assert_int_equal(dp_port_find(dp_switch_find("d1"), "to-x")->n_border, 0);
    assert_null(dp_vport_find(dp_vnode_find(dp_slice_find("plum"),
                                            dp_switch_find("d1"), ""), "vl-wan"));

    assert_int_equal(dp_vlink_add(&vl, &err), 0);
    struct dp_vport *e1 = dp_vport_find(dp_vnode_find(dp_slice_find("plum"),
                                                      dp_switch_find("d1"), ""), "vl-wan");
    assert_non_null(e1->fr);
    assert_false(e1->fr->on_backup);

    /* On the path: out of to-x with 1000; both borders deliver. */
    inject(&h1, 0xff, 0x01, 31);
    assert_int_equal(receive_labelled(&bx, 2000, &label), 31);
    assert_int_equal(label, 1000);
    inject_labelled(&bx, 1000, 32);
    assert_int_equal(receive(&h1, 2000), 32);
    inject_labelled(&by, 2000, 33);
    assert_int_equal(receive(&h1, 2000), 33);
    expect_nothing(&by);

    /* The primary border down: out of to-y with 2000 (by way of d2). */
    assert_int_equal(dp_port_set_up("d1", "to-x", false, &err), 0);
    for (int i = 0; i < 200 && !e1->fr->on_backup; i++) {
        usleep(1000);
    }
    assert_true(e1->fr->on_backup);
    inject(&h1, 0xff, 0x01, 34);
    assert_int_equal(receive_labelled(&by, 2000, &label), 34);
    assert_int_equal(label, 2000);

    /* Up again: back on to-x after the hold-down. */
    assert_int_equal(dp_port_set_up("d1", "to-x", true, &err), 0);
    for (int i = 0; i < 2000 && e1->fr->on_backup; i++) {
        usleep(1000);
    }
    assert_false(e1->fr->on_backup);
    assert_int_equal(e1->fr->reroutes, 1);
    assert_int_equal(e1->fr->reverts, 1);
    inject(&h1, 0xff, 0x01, 35);
    assert_int_equal(receive_labelled(&bx, 2000, &label), 35);
    assert_int_equal(label, 1000);

    /* The state names both borders; deleting frees every label and port. */
    assert_true(config_has_border("backup_border", "to-y", 2000));
    assert_true(config_has_border("border", "to-x", 1000));
    assert_int_equal(dp_slice_del("plum", &err), 0);
    const char *names[] = { "d1", "d2" };
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(dp_switch_find(names[i])->labels.n, 0);
        assert_int_equal(dp_switch_find(names[i])->n_fr, 0);
    }
    assert_false(dp_port_find(dp_switch_find("d2"), "to-y")->is_link);
    assert_int_equal(dp_port_find(dp_switch_find("d2"), "to-y")->n_users, 0);
    assert_int_equal(dp_port_find(dp_switch_find("d1"), "to-x")->n_users, 0);
}

/* A transit virtual link: this InP only carries the virtual link between
 * two others, from border port to border port, each with its agreed
 * label; the slice has no vnode here. */
static void
test_vlink_transit(void **state)
{
    struct dp_slice_params teal = { .name = "teal" };
    struct dp_link_params l12 = { .name = "lc12", .sw_a = "c1", .port_a = "to-c2",
                                  .sw_b = "c2", .port_b = "to-c1" };
    const char *path[] = { "c1", "c2" };
    struct dp_vlink_params vl = { .slice = "teal", .name = "tr", .path = path,
                                  .n_path = 2, .border_in_port = "to-w",
                                  .border_in_label = 1200, .border_port = "to-e",
                                  .border_label = 1300 };
    struct dummy w, e, x, y;
    struct dp_error err;
    uint32_t label = 0;
    (void) state;

    assert_int_equal(dp_switch_add("c1", &err), 0);
    assert_int_equal(dp_switch_add("c2", &err), 0);
    assert_int_equal(dp_switch_add("c3", &err), 0);
    assert_int_equal(dp_link_add(&l12, &err), 0);
    dummy_add(&w, "c1", "to-w");
    dummy_add(&e, "c2", "to-e");
    dummy_add(&x, "c3", "to-x");
    dummy_add(&y, "c3", "to-y");
    assert_int_equal(dp_slice_add(&teal, &err), 0);

    /* Refused: a border_in without a border at the tail; a link end as a
     * border; the same port at both ends.  Nothing is left behind. */
    struct dp_vlink_params bad = vl;
    bad.border_port = NULL;
    assert_int_equal(dp_vlink_add(&bad, &err), EINVAL);
    assert_non_null(strstr(err.msg, "border at its tail"));
    bad = vl;
    bad.border_in_port = "to-c2";
    assert_int_equal(dp_vlink_add(&bad, &err), EINVAL);
    assert_non_null(strstr(err.msg, "not a border port"));
    const char *one[] = { "c3" };
    bad = (struct dp_vlink_params) { .slice = "teal", .name = "t1", .path = one,
                                     .n_path = 1, .border_in_port = "to-x",
                                     .border_in_label = 1400, .border_port = "to-x",
                                     .border_label = 1500 };
    assert_int_equal(dp_vlink_add(&bad, &err), EINVAL);
    assert_non_null(strstr(err.msg, "two border ports"));
    assert_int_equal(dp_need_slice("teal", &err)->n_vlinks, 0);
    assert_false(dp_port_find(dp_need_switch("c3", &err), "to-x")->is_link);

    /* Over two switches: label in -> inside label -> label out, and back. */
    assert_int_equal(dp_vlink_add(&vl, &err), 0);
    inject_labelled(&w, 1200, 31);
    assert_int_equal(receive_labelled(&e, 2000, &label), 31);
    assert_int_equal(label, 1300);
    inject_labelled(&e, 1300, 32);
    assert_int_equal(receive_labelled(&w, 2000, &label), 32);
    assert_int_equal(label, 1200);
    inject_labelled(&w, 1201, 33);          /* not this link's label */
    assert_int_equal(receive_labelled(&e, 300, &label), -1);

    /* Over one switch: straight from one border to the other. */
    bad.border_port = "to-y";
    assert_int_equal(dp_vlink_add(&bad, &err), 0);
    inject_labelled(&x, 1400, 34);
    assert_int_equal(receive_labelled(&y, 2000, &label), 34);
    assert_int_equal(label, 1500);
    inject_labelled(&y, 1500, 35);
    assert_int_equal(receive_labelled(&x, 2000, &label), 35);
    assert_int_equal(label, 1400);

    /* The state names both borders; deleting the slice frees the ports. */
    assert_true(config_has_border("border_in", "to-w", 1200));
    assert_true(config_has_border("border", "to-e", 1300));
    assert_int_equal(dp_slice_del("teal", &err), 0);
    for (const char *const *n = (const char *const[]) { "c1", "c2", "c3", NULL };
         *n; n++) {
        assert_int_equal(dp_need_switch(*n, &err)->labels.n, 0);
    }
    assert_false(dp_port_find(dp_need_switch("c1", &err), "to-w")->is_link);
    assert_int_equal(dp_port_find(dp_need_switch("c2", &err), "to-e")->n_users, 0);
}

/* A full mesh of virtual links over a triangle with split horizon: a
 * broadcast reaches every other host exactly once and never loops. */
static void
test_mesh_split_horizon(void **state)
{
    struct dp_slice_params mesh = { .name = "mesh" };
    const char *sw[3] = { "m1", "m2", "m3" };
    struct dummy h[3];
    struct dp_error err;
    json_t *config = json_pack("{s:b}", "split_horizon", 1);
    (void) state;

    assert_int_equal(dp_slice_add(&mesh, &err), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(dp_switch_add(sw[i], &err), 0);
    }
    for (int i = 0; i < 3; i++) {
        int j = (i + 1) % 3;
        char name[16], pa[16], pb[16];
        snprintf(name, sizeof name, "t%d%d", i, j);
        snprintf(pa, sizeof pa, "to-%s", sw[j]);
        snprintf(pb, sizeof pb, "to-%s", sw[i]);
        struct dp_link_params lp = { .name = name, .sw_a = sw[i], .port_a = pa,
                                     .sw_b = sw[j], .port_b = pb };
        assert_int_equal(dp_link_add(&lp, &err), 0);
        dummy_add(&h[i], sw[i], "host");
        assert_int_equal(dp_vnode_add("mesh", sw[i], "l2learn", config, &err), 0);
        assert_int_equal(dp_vport_add("mesh", sw[i], "host", "host", -1, &err), 0);
    }
    for (int i = 0; i < 3; i++) {
        int j = (i + 1) % 3;
        const char *path[2] = { sw[i], sw[j] };
        char name[16];
        snprintf(name, sizeof name, "v%d%d", i, j);
        struct dp_vlink_params vl = { .slice = "mesh", .name = name, .path = path,
                                      .n_path = 2 };
        assert_int_equal(dp_vlink_add(&vl, &err), 0);
    }
    json_decref(config);

    inject(&h[0], 0xff, 0x21, 42);
    assert_int_equal(receive(&h[1], 2000), 42);
    assert_int_equal(receive(&h[2], 2000), 42);
    expect_nothing(&h[1]);
    expect_nothing(&h[2]);
    expect_nothing(&h[0]);
    /* Unicast back, learned over the mesh. */
    inject(&h[2], 0x21, 0x23, 43);
    assert_int_equal(receive(&h[0], 2000), 43);
    expect_nothing(&h[1]);
    assert_int_equal(dp_slice_del("mesh", &err), 0);
}

/* Injects 'n' broadcast frames of 'size' bytes into 'd' in one go (one
 * poll takes them). */
static void
inject_bulk(struct dummy *d, unsigned n, unsigned size)
{
    struct rte_mbuf *m[64];

    assert_true(n <= 64);
    for (unsigned i = 0; i < n; i++) {
        m[i] = rte_pktmbuf_alloc(test_pool);
        assert_non_null(m[i]);
        assert_non_null(rte_pktmbuf_append(m[i], size));
        uint8_t *p = rte_pktmbuf_mtod(m[i], uint8_t *);
        memset(p, 0xff, 6);
        memset(p + 6, 0, size - 6);
        p[6] = 0x02;
        p[11] = 0x77;
        p[12] = 0x08;
    }
    assert_int_equal(rte_ring_enqueue_bulk(d->rx, (void **) m, n, NULL), n);
}

static unsigned
drain(struct dummy *d)
{
    unsigned n = 0;
    while (receive(d, 100) >= 0) {
        n++;
    }
    return n;
}

/* Budget, policer and buffer quota each hold a slice back on its own. */
static void
test_ingress_limits(void **state)
{
    struct dp_slice_params budget = { .name = "budget", .budget = 4 };
    struct dp_slice_params policed = { .name = "policed", .policer_bps = 1000000 };
    struct dp_slice_params quota = { .name = "quota", .mbuf_quota = 16 };
    struct dummy in[3], out[3];
    const char *names[3] = { "budget", "policed", "quota" };
    struct dp_error err;
    (void) state;

    assert_int_equal(dp_switch_add("lim", &err), 0);
    assert_int_equal(dp_slice_add(&budget, &err), 0);
    assert_int_equal(dp_slice_add(&policed, &err), 0);
    assert_int_equal(dp_slice_add(&quota, &err), 0);
    for (int i = 0; i < 3; i++) {
        char pi[16], po[16];
        snprintf(pi, sizeof pi, "in%d", i);
        snprintf(po, sizeof po, "out%d", i);
        dummy_add(&in[i], "lim", pi);
        dummy_add(&out[i], "lim", po);
        assert_int_equal(dp_vnode_add(names[i], "lim", NULL, NULL, &err), 0);
        assert_int_equal(dp_vport_add(names[i], "lim", "a", pi, -1, &err), 0);
        assert_int_equal(dp_vport_add(names[i], "lim", "b", po, -1, &err), 0);
    }
    /* The quota slice's egress is slow, so its frames wait in its queue. */
    struct dp_port_params slow = { .sw = "lim", .name = "out2", .rate_bps = 100000 };
    assert_int_equal(dp_port_set(&slow, &err), 0);

    /* 32 frames in one poll round, budget 4: 4 go, 28 are dropped. */
    inject_bulk(&in[0], 32, 64);
    assert_int_equal(drain(&out[0]), 4);
    assert_int_equal(dp_test_drops_of("budget", "budget"), 28);

    /* 64 frames of 64 bytes at once against 1 Mbit/s (3200-byte burst):
     * about 50 pass, the rest meet the policer. */
    inject_bulk(&in[1], 64, 64);
    unsigned passed = drain(&out[1]);
    assert_true(passed >= 40 && passed <= 60);
    assert_int_equal(dp_test_drops_of("policed", "policer"), 64 - passed);

    /* 64 frames of 1000 bytes into a slow port (3 fit its burst): the
     * slice may hold only 16 buffers, the rest are dropped. */
    inject_bulk(&in[2], 64, 1000);
    usleep(20000);
    assert_true(dp_test_drops_of("quota", "mbuf-quota") >= 40);
    json_t *stats = dp_stats_to_json("slice", "quota");
    json_t *q = json_array_get(json_object_get(stats, "slices"), 0);
    assert_true(json_integer_value(json_object_get(q, "mbufs_held")) <= 16);
    json_decref(stats);

    /* The budget slice is unaffected by its neighbours' trouble. */
    inject(&in[0], 0xff, 0x01, 9);
    assert_int_equal(receive(&out[0], 2000), 9);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(dp_slice_del(names[i], &err), 0);
    }
}

/* A slice's buffer quota counts its frames on an emulated link's delay
 * line too (a port with a delay and no rate moves them at once from the
 * queue to a line sized for 10 Mpps over the delay): 64 frames into a
 * 1 s line, quota 16: 16 wait there, held by the slice, the other 48 are
 * dropped; once they have left, the slice holds nothing. */
static void
test_delay_line_quota(void **state)
{
    struct dp_slice_params sp = { .name = "dq", .mbuf_quota = 16 };
    struct dp_port_params delayed = { .sw = "dl", .name = "dlb", .delay_us = 1000000 };
    struct dummy a, b;
    struct dp_error err;
    (void) state;

    assert_int_equal(dp_switch_add("dl", &err), 0);
    dummy_add(&a, "dl", "dla");
    dummy_add(&b, "dl", "dlb");
    assert_int_equal(dp_port_set(&delayed, &err), 0);
    assert_int_equal(dp_slice_add(&sp, &err), 0);
    assert_int_equal(dp_vnode_add("dq", "dl", NULL, NULL, &err), 0);
    assert_int_equal(dp_vport_add("dq", "dl", "a", "dla", -1, &err), 0);
    assert_int_equal(dp_vport_add("dq", "dl", "b", "dlb", -1, &err), 0);

    inject_bulk(&a, 64, 64);
    /* Both bursts taken in (a deadline well inside the delay). */
    for (int i = 0; i < 500 && dp_test_drops_of("dq", "mbuf-quota") < 48; i++) {
        usleep(1000);
    }
    assert_int_equal(dp_test_drops_of("dq", "mbuf-quota"), 48);
    assert_int_equal(dp_test_slice_stat("dq", "mbufs_held"), 16);
    assert_true(receive(&b, 3000) >= 0);        /* after the delay */
    assert_int_equal(1 + drain(&b), 16);
    assert_int_equal(dp_test_slice_stat("dq", "mbufs_held"), 0);
    assert_int_equal(dp_slice_del("dq", &err), 0);
}

/* Sends 'len' bytes as one frame into a port. */
static void
inject_bytes(struct dummy *d, const uint8_t *frame, size_t len)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(test_pool);

    assert_non_null(m);
    memcpy(rte_pktmbuf_append(m, len), frame, len);
    assert_int_equal(rte_ring_enqueue(d->rx, m), 0);
}

/* Waits up to 'wait_ms' for a frame out of 'd' and checks it is exactly
 * 'len' bytes of 'want'; with want NULL, checks that nothing comes. */
static void
expect_bytes(struct dummy *d, const uint8_t *want, size_t len, int wait_ms)
{
    struct rte_mbuf *m;

    for (int i = 0; i < wait_ms * 10; i++) {
        if (!rte_ring_dequeue(d->tx, (void **) &m)) {
            assert_non_null(want);
            assert_int_equal(rte_pktmbuf_data_len(m), len);
            assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), want, len);
            rte_pktmbuf_free(m);
            return;
        }
        usleep(100);
    }
    assert_null(want);
}

/* A 64-byte broadcast frame from host 'src', tagged with 'tci' when
 * 'tagged' (68 bytes then), IPv4 type, 'marker' in the payload. */
static size_t
vlan_frame(uint8_t *p, bool tagged, uint16_t tci, uint8_t src, uint8_t marker)
{
    size_t len = tagged ? 68 : 64, o = 12;

    memset(p, 0, len);
    memset(p, 0xff, 6);
    p[6] = 0x02;
    p[11] = src;
    if (tagged) {
        p[12] = 0x81;
        p[14] = tci >> 8;
        p[15] = tci & 0xff;
        o = 16;
    }
    p[o] = 0x08;
    p[o + 20 - 12] = marker;
    return len;
}

static uint64_t
vport_drops(const char *slice, const char *vport, const char *reason)
{
    json_t *stats = dp_stats_to_json("vnode", slice);
    json_t *o = json_array_get(json_object_get(stats, "vnodes"), 0);
    json_t *vps = json_object_get(o, "vports");
    uint64_t n = 0;
    size_t i;
    json_t *v;

    json_array_foreach(vps, i, v) {
        if (!strcmp(json_string_value(json_object_get(v, "name")), vport)) {
            n = json_integer_value(json_object_get(
                json_object_get(v, "drops"), reason));
        }
    }
    json_decref(stats);
    return n;
}

/* Adds dummy port 'name' to switch 'sw' whose device takes 15 frames at
 * most (its transmit ring has 16 slots) until the test reads them. */
static void
narrow_port_add(struct dummy *d, const char *sw, const char *name)
{
    struct dp_error err;
    char rname[64];

    snprintf(rname, sizeof rname, "%s_rx", name);
    d->rx = rte_ring_create(rname, 16, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    snprintf(rname, sizeof rname, "%s_tx", name);
    d->tx = rte_ring_create(rname, 16, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    assert_non_null(d->rx);
    assert_non_null(d->tx);
    assert_int_equal(dp_port_add_dummy(sw, name, d->rx, d->tx, &err), 0);
}

/* Puts 'n' broadcast frames into 'd' as one burst, frame k with marker k
 * and, if 'n_vids', tagged with VLAN 1 + k % n_vids. */
static void
burst_inject(struct dummy *d, int n, int n_vids)
{
    struct rte_mbuf *burst[64];

    assert_true(n <= 64);
    for (int k = 0; k < n; k++) {
        uint8_t f[68];
        size_t len = n_vids ? vlan_frame(f, true, 1 + k % n_vids, 0x40 + k, k)
                            : vlan_frame(f, false, 0, 0x40, k);

        burst[k] = rte_pktmbuf_alloc(test_pool);
        assert_non_null(burst[k]);
        memcpy(rte_pktmbuf_append(burst[k], len), f, len);
    }
    assert_int_equal(rte_ring_enqueue_bulk(d->rx, (void **) burst, n, NULL), n);
}

/* The next frame out of 'd', or NULL after 2 s without one. */
static struct rte_mbuf *
burst_next_out(struct dummy *d)
{
    struct rte_mbuf *m;

    for (int i = 0; i < 20000; i++) {
        if (!rte_ring_dequeue(d->tx, (void **) &m)) {
            return m;
        }
        usleep(100);
    }
    return NULL;
}

/* Port 'name''s tx_packets counter ('*bytes': its tx_bytes). */
static uint64_t
port_tx_packets(const char *name, uint64_t *bytes)
{
    json_t *stats = dp_stats_to_json("port", NULL);
    json_t *ports = json_object_get(stats, "ports");
    uint64_t n = UINT64_MAX;
    size_t i;
    json_t *pj;

    json_array_foreach(ports, i, pj) {
        if (!strcmp(json_string_value(json_object_get(pj, "name")), name)) {
            n = json_integer_value(json_object_get(pj, "tx_packets"));
            *bytes = json_integer_value(json_object_get(pj, "tx_bytes"));
        }
    }
    json_decref(stats);
    assert_int_not_equal(n, UINT64_MAX);
    return n;
}

/* 16 slices by VLAN on the same two ports, one received burst of 32
 * frames that all belong to different vnodes in turn: the cut-through
 * frames of the whole burst are staged and sent together; the egress
 * device (a ring with room for 15) refuses the rest, which wait in their
 * slices' queues and leave later.  Every frame comes out once, with its
 * slice's tag, in order within its slice, and the counters add up. */
static void
test_many_slices_one_burst(void **state)
{
    enum { N_SLICES = 16, N_FRAMES = 32 };
    struct dummy in, out;
    struct dp_error err;
    struct rte_mbuf *m;
    int last[N_SLICES + 1], got = 0;
    uint64_t bytes;
    (void) state;

    assert_int_equal(dp_switch_add("ms", &err), 0);
    dummy_add(&in, "ms", "msin");
    narrow_port_add(&out, "ms", "msout");
    for (int v = 1; v <= N_SLICES; v++) {
        struct dp_slice_params sp = { .name = NULL };
        char name[16];

        snprintf(name, sizeof name, "ms%d", v);
        sp.name = name;
        assert_int_equal(dp_slice_add(&sp, &err), 0);
        assert_int_equal(dp_vnode_add(name, "ms", NULL, NULL, &err), 0);
        assert_int_equal(dp_vport_add(name, "ms", "a", "msin", v, &err), 0);
        assert_int_equal(dp_vport_add(name, "ms", "b", "msout", v, &err), 0);
        last[v] = -1;
    }

    burst_inject(&in, N_FRAMES, N_SLICES);
    while (got < N_FRAMES && (m = burst_next_out(&out))) {
        const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
        assert_int_equal(rte_pktmbuf_data_len(m), 68);
        assert_int_equal(p[12], 0x81);
        int vid = (p[14] << 8 | p[15]) & 0xfff, marker = p[24];
        assert_true(vid >= 1 && vid <= N_SLICES);
        assert_int_equal(vid, 1 + marker % N_SLICES);
        assert_true(marker > last[vid]);
        last[vid] = marker;
        got++;
        rte_pktmbuf_free(m);
    }
    assert_int_equal(got, N_FRAMES);
    assert_int_equal(receive(&out, 50), -1);
    assert_int_equal(port_tx_packets("msout", &bytes), N_FRAMES);
}

/* One slice on two ports, one received burst of 32 frames for the same
 * vport: the run goes to the device at once from the burst (no staging);
 * the device (a ring with room for 15) refuses the rest, which wait in
 * the slice's queue and leave later, after the ones sent, in order.  The
 * port counts each frame sent once. */
static void
test_one_slice_direct_burst(void **state)
{
    enum { N_FRAMES = 32 };
    struct dummy in, out;
    struct dp_slice_params sp = { .name = "ds" };
    struct dp_error err;
    struct rte_mbuf *m;
    int last = -1, got = 0;
    uint64_t bytes;
    (void) state;

    assert_int_equal(dp_switch_add("ds", &err), 0);
    dummy_add(&in, "ds", "dsin");
    narrow_port_add(&out, "ds", "dsout");
    assert_int_equal(dp_slice_add(&sp, &err), 0);
    assert_int_equal(dp_vnode_add("ds", "ds", NULL, NULL, &err), 0);
    assert_int_equal(dp_vport_add("ds", "ds", "a", "dsin", -1, &err), 0);
    assert_int_equal(dp_vport_add("ds", "ds", "b", "dsout", -1, &err), 0);

    burst_inject(&in, N_FRAMES, 0);
    while (got < N_FRAMES && (m = burst_next_out(&out))) {
        const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
        assert_int_equal(rte_pktmbuf_data_len(m), 64);
        assert_int_equal(p[20], last + 1);      /* every one, in order */
        last = p[20];
        got++;
        rte_pktmbuf_free(m);
    }
    assert_int_equal(got, N_FRAMES);
    assert_int_equal(receive(&out, 50), -1);
    assert_int_equal(port_tx_packets("dsout", &bytes), N_FRAMES);
    assert_int_equal(bytes, N_FRAMES * 64);
}

/* The pair() of l2learn declines a burst, having learned nothing, when one
 * frame of it is short or tagged, wherever it sits in a burst of any size
 * up to 32 (the checks are made for the whole burst at once), and decides
 * a clean one. */
static void
test_pair_declines(void **state)
{
    static const uint8_t is_vlink[2];
    static const struct { uint16_t type; uint16_t len; } bad[] = {
        { 0x8100, 64 }, { 0x88a8, 64 }, { 0x0800, 13 },
    };
    static const uint16_t sizes[] = { 1, 7, 8, 9, 31, 32 };
    struct dp_fp_ctx ctx = { .now_s = 1, .n_vports = 2, .is_vlink = is_vlink };
    json_t *config = json_pack("{s:i}", "mac_table_size", 1024);
    struct rte_mbuf *m[32];
    struct dp_error err;
    uint64_t in, out;
    void *fp = NULL;
    (void) state;

    assert_int_equal(dp_fp_l2learn.create(config, &fp, &err), 0);
    json_decref(config);
    for (int i = 0; i < 32; i++) {
        m[i] = rte_pktmbuf_alloc(test_pool);
        assert_non_null(m[i]);
        assert_non_null(rte_pktmbuf_append(m[i], 64));
    }
    for (size_t s = 0; s < RTE_DIM(sizes); s++) {
        uint16_t n = sizes[s];

        for (size_t b = 0; b < RTE_DIM(bad); b++) {
            for (uint16_t at = 0; at < n; at++) {
                for (uint16_t i = 0; i < n; i++) {
                    uint8_t *f = rte_pktmbuf_mtod(m[i], uint8_t *);

                    memset(f, 0, 64);
                    f[0] = 0x02, f[5] = 0x40;           /* to 02:..:40 */
                    f[6] = 0x02, f[11] = i + 1;         /* from 02:..:i+1 */
                    f[12] = (i == at ? bad[b].type : 0x0800) >> 8;
                    f[13] = (i == at ? bad[b].type : 0x0800) & 0xff;
                    m[i]->data_len = m[i]->pkt_len = i == at ? bad[b].len : 64;
                }
                assert_int_equal(dp_fp_l2learn.pair(fp, m, n, 0, &ctx, &in, &out),
                                 DP_FP_PAIR_DECLINED);
            }
        }
        /* A clean burst is decided: its destination is unknown, so every
         * frame goes out. */
        for (uint16_t i = 0; i < n; i++) {
            m[i]->data_len = m[i]->pkt_len = 64;
            rte_pktmbuf_mtod(m[i], uint8_t *)[13] = 0x00;
        }
        if (s == 0) {
            /* Before it, the declined bursts taught nothing: a frame
             * from vport 0 to station 1, whose frames they held, goes
             * out (a station learned on vport 0 would be dropped). */
            uint8_t *f = rte_pktmbuf_mtod(m[0], uint8_t *);

            f[5] = 0x01, f[11] = 0x30;
            assert_int_equal(dp_fp_l2learn.pair(fp, m, 1, 0, &ctx, &in, &out), 1);
            f[5] = 0x40, f[11] = 0x01;
        }
        assert_int_equal(dp_fp_l2learn.pair(fp, m, n, 0, &ctx, &in, &out), n);
        assert_int_equal(in, n * 64u);
        assert_int_equal(out, n * 64u);
    }
    /* What the clean bursts taught: from vport 0, a frame to station 1
     * (learned on 0) is dropped. */
    uint8_t *f = rte_pktmbuf_mtod(m[0], uint8_t *);
    f[5] = 0x01, f[11] = 0x30;
    assert_int_equal(dp_fp_l2learn.pair(fp, m, 1, 0, &ctx, &in, &out), 0);
    assert_int_equal(out, 0);
    dp_fp_l2learn.destroy(fp);
    for (int i = 0; i < 32; i++) {
        rte_pktmbuf_free(m[i]);
    }
}

/* The pair with many stations, against a model of a learning bridge:
 * 4,096 stations, bursts of 64 from one side at a time, each frame from a
 * random station (so stations move from side to side) to a random one.
 * A frame is dropped exactly when its destination was last heard from on
 * its own side, by an earlier burst or earlier in its own (the table's
 * summary, which spares the lookup of most destinations, must never hide
 * one); the others go out in their order. */
static void
test_pair_many_stations(void **state)
{
    enum { STATIONS = 4096, BURSTS = 600 };
    static const uint8_t is_vlink[2];
    struct dp_fp_ctx ctx = { .now_s = 7, .n_vports = 2, .is_vlink = is_vlink };
    json_t *config = json_pack("{s:i}", "mac_table_size", 4 * STATIONS);
    static int8_t side[STATIONS];           /* where learned; -1: not yet */
    struct rte_mbuf *m[DP_BURST], *sent[DP_BURST];
    uint64_t x = 0x9e3779b97f4a7c15ull, in, out;
    struct dp_error err;
    void *fp = NULL;
    unsigned dropped = 0;
    (void) state;

    assert_int_equal(dp_fp_l2learn.create(config, &fp, &err), 0);
    json_decref(config);
    memset(side, -1, sizeof side);
    for (int i = 0; i < DP_BURST; i++) {
        m[i] = rte_pktmbuf_alloc(test_pool);
        assert_non_null(m[i]);
        assert_non_null(rte_pktmbuf_append(m[i], 64));
    }
    for (int b = 0; b < BURSTS; b++) {
        uint16_t v = b & 1, want = 0;
        bool drop[DP_BURST];

        for (int i = 0; i < DP_BURST; i++) {
            uint8_t *f = rte_pktmbuf_mtod(m[i], uint8_t *);
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            unsigned src = (unsigned) (x >> 33) % STATIONS;
            unsigned dst = (unsigned) (x >> 13) % STATIONS;

            memset(f, 0, 64);
            f[0] = 0x02, f[4] = dst >> 8, f[5] = dst & 0xff;
            f[6] = 0x02, f[10] = src >> 8, f[11] = src & 0xff;
            f[12] = 0x08;
            f[63] = i;                          /* marker */
            side[src] = v;                      /* learned, then looked up */
            drop[i] = side[dst] == v;
            want += !drop[i];
        }
        memcpy(sent, m, sizeof m);
        assert_int_equal(dp_fp_l2learn.pair(fp, m, DP_BURST, v, &ctx, &in, &out), want);
        for (uint16_t i = 0, k = 0; i < DP_BURST; i++) {
            if (!drop[i]) {
                assert_ptr_equal(m[k], sent[i]);
                assert_int_equal(rte_pktmbuf_mtod(m[k], uint8_t *)[63], i);
                k++;
            }
        }
        dropped += DP_BURST - want;
        memcpy(m, sent, sizeof m);
    }
    /* Both verdicts were taken many times. */
    assert_true(dropped > BURSTS * DP_BURST / 8);
    assert_true(dropped < BURSTS * DP_BURST * 7 / 8);
    dp_fp_l2learn.destroy(fp);
    for (int i = 0; i < DP_BURST; i++) {
        rte_pktmbuf_free(m[i]);
    }
}

/* Puts one burst into 'd': frame k from host src[k] to host dst[k] (0xff:
 * broadcast) with marker k, 802.1Q priority-tagged (VID 0, 68 bytes) when
 * tagged[k]. */
static void
pair_burst(struct dummy *d, int n, const uint8_t *dst, const uint8_t *src,
           const bool *tagged)
{
    struct rte_mbuf *burst[32];

    assert_true(n <= 32);
    for (int k = 0; k < n; k++) {
        uint8_t f[68];
        size_t len = vlan_frame(f, tagged[k], 0, src[k], k);

        if (dst[k] != 0xff) {
            memset(f, 0, 6);
            f[0] = 0x02;
            f[5] = dst[k];
        }
        burst[k] = rte_pktmbuf_alloc(test_pool);
        assert_non_null(burst[k]);
        memcpy(rte_pktmbuf_append(burst[k], len), f, len);
    }
    assert_int_equal(rte_ring_enqueue_bulk(d->rx, (void **) burst, n, NULL), n);
}

/* The cut-through pair (one l2learn vnode, two untagged vports): in one
 * burst, frames to the other side, to an unknown station and to
 * broadcast go out in order, frames to a station learned on their own
 * side are dropped and counted, and counters add up; a burst with a
 * tagged frame takes the general path (the priority tag stripped) and
 * loses nothing; what the burst taught is used for the reverse way. */
static void
test_pair_burst(void **state)
{
    static const uint8_t dst1[] = { 0x20, 0x10, 0x30, 0xff, 0x10, 0x20 };
    static const uint8_t src1[] = { 0x11, 0x11, 0x11, 0x12, 0x12, 0x12 };
    static const bool untagged[6], tagged2[] = { false, true, false };
    static const uint8_t dst2[] = { 0x20, 0x20, 0x20 };
    static const uint8_t src2[] = { 0x13, 0x13, 0x13 };
    struct dp_slice_params sp = { .name = "pb" };
    struct dummy a, b;
    struct dp_error err;
    uint64_t bytes, fp_drops;
    (void) state;

    assert_int_equal(dp_switch_add("pb", &err), 0);
    dummy_add(&a, "pb", "pba");
    dummy_add(&b, "pb", "pbb");
    assert_int_equal(dp_slice_add(&sp, &err), 0);
    assert_int_equal(dp_vnode_add("pb", "pb", NULL, NULL, &err), 0);
    assert_int_equal(dp_vport_add("pb", "pb", "va", "pba", -1, &err), 0);
    assert_int_equal(dp_vport_add("pb", "pb", "vb", "pbb", -1, &err), 0);

    /* Stations 0x10 on a's side, 0x20 on b's. */
    inject(&a, 0xff, 0x10, 100);
    assert_int_equal(receive(&b, 2000), 100);
    inject(&b, 0xff, 0x20, 101);
    assert_int_equal(receive(&a, 2000), 101);
    fp_drops = dp_test_drops_of("pb", "fp-drop");

    pair_burst(&a, 6, dst1, src1, untagged);
    assert_int_equal(receive(&b, 2000), 0);     /* to b's side */
    assert_int_equal(receive(&b, 2000), 2);     /* unknown */
    assert_int_equal(receive(&b, 2000), 3);     /* broadcast */
    assert_int_equal(receive(&b, 2000), 5);
    expect_nothing(&b);
    expect_nothing(&a);
    assert_int_equal(dp_test_drops_of("pb", "fp-drop"), fp_drops + 2);
    assert_int_equal(port_tx_packets("pbb", &bytes), 1 + 4);
    assert_int_equal(bytes, 5 * 64);

    /* A tagged frame in the burst: the general path, every frame out in
     * order, the priority tag taken off. */
    pair_burst(&a, 3, dst2, src2, tagged2);
    for (int k = 0; k < 3; k++) {
        assert_int_equal(receive(&b, 2000), k);
    }
    expect_nothing(&b);
    assert_int_equal(port_tx_packets("pbb", &bytes), 1 + 4 + 3);

    /* The sources of the pair's bursts were learned on a's side: frames
     * from a to them are dropped. */
    inject(&a, 0x11, 0x10, 102);
    inject(&a, 0x12, 0x10, 103);
    inject(&a, 0x13, 0x10, 104);
    inject(&a, 0x20, 0x10, 105);                /* and b's still passes */
    assert_int_equal(receive(&b, 2000), 105);
    expect_nothing(&b);
    assert_int_equal(dp_test_drops_of("pb", "fp-drop"), fp_drops + 5);

    /* A third vport ends the pair (worked out again when the workers
     * resume): a broadcast burst reaches it too; deleted, the pair is
     * back and it gets nothing. */
    static const uint8_t bc[] = { 0xff, 0xff };
    struct dummy c;

    dummy_add(&c, "pb", "pbc");
    assert_int_equal(dp_vport_add("pb", "pb", "vc", "pbc", -1, &err), 0);
    pair_burst(&a, 2, bc, src2, untagged);
    for (int k = 0; k < 2; k++) {
        assert_int_equal(receive(&b, 2000), k);
        assert_int_equal(receive(&c, 2000), k);
    }
    assert_int_equal(dp_vport_del("pb", "pb", "vc", &err), 0);
    pair_burst(&a, 2, bc, src2, untagged);
    for (int k = 0; k < 2; k++) {
        assert_int_equal(receive(&b, 2000), k);
    }
    expect_nothing(&c);
    expect_nothing(&b);
}

/* Whole-port and VLAN-set bindings: tags delivered as sent, the
 * (port, VLAN) ownership as strict as for single VLANs, refusals change
 * nothing, and a vnode cannot send on a VLAN its vport does not own. */
static void
test_vlan_bindings(void **state)
{
    struct dp_slice_params pw = { .name = "pw" }, ps = { .name = "ps" },
                           pu = { .name = "pu" };
    struct dp_vport_binding whole = { .kind = DP_BIND_PORT };
    struct dp_vport_binding set = { .kind = DP_BIND_VLANS };
    struct dp_vport_binding bad = { .kind = DP_BIND_VLANS };
    struct dp_vport_binding one = { .kind = DP_BIND_VLAN, .vlan = 150 };
    struct dummy p1, p2, p3, p4, p5;
    struct dp_error err;
    uint8_t f[128], g[128];
    size_t n;
    (void) state;

    set.vlans[0] = 1 << 10;                     /* 10 and 100..199 */
    for (int v = 100; v < 200; v++) {
        set.vlans[v / 64] |= UINT64_C(1) << (v % 64);
    }
    bad.vlans[0] = 1 << 5 | 1 << 10;            /* 5 free, 10 taken */

    assert_int_equal(dp_switch_add("vs", &err), 0);
    dummy_add(&p1, "vs", "p1");
    dummy_add(&p2, "vs", "p2");
    dummy_add(&p3, "vs", "p3");
    dummy_add(&p4, "vs", "p4");
    dummy_add(&p5, "vs", "p5");
    assert_int_equal(dp_slice_add(&pw, &err), 0);
    assert_int_equal(dp_slice_add(&ps, &err), 0);
    assert_int_equal(dp_slice_add(&pu, &err), 0);
    assert_int_equal(dp_vnode_add("pw", "vs", NULL, NULL, &err), 0);
    assert_int_equal(dp_vnode_add("ps", "vs", NULL, NULL, &err), 0);
    assert_int_equal(dp_vnode_add("pu", "vs", NULL, NULL, &err), 0);
    assert_int_equal(dp_vport_bind("pw", "vs", "w1", "p1", &whole, &err), 0);
    assert_int_equal(dp_vport_bind("pw", "vs", "w2", "p2", &whole, &err), 0);
    assert_int_equal(dp_vport_bind("ps", "vs", "s3", "p3", &set, &err), 0);
    assert_int_equal(dp_vport_bind("ps", "vs", "s4", "p4", &set, &err), 0);
    assert_int_equal(dp_vport_add("pu", "vs", "u3", "p3", 20, &err), 0);
    assert_int_equal(dp_vport_add("pu", "vs", "u4", "p4", 20, &err), 0);

    /* Conflicts: each names the owner; nothing is bound by a refusal. */
    assert_int_equal(dp_vport_add("pu", "vs", "x", "p1", -1, &err), EEXIST);
    assert_non_null(strstr(err.msg, "bound whole"));
    assert_int_equal(dp_vport_add("pu", "vs", "x", "p1", 7, &err), EEXIST);
    assert_int_equal(dp_vport_bind("pu", "vs", "x", "p3", &whole, &err), EEXIST);
    assert_non_null(strstr(err.msg, "cannot be bound whole"));
    assert_int_equal(dp_vport_bind("pu", "vs", "x", "p3", &one, &err), EEXIST);
    assert_non_null(strstr(err.msg, "VLAN 150"));
    assert_non_null(strstr(err.msg, "ps"));
    assert_int_equal(dp_vport_bind("pu", "vs", "x", "p4", &bad, &err), EEXIST);
    assert_non_null(strstr(err.msg, "VLAN 10"));
    struct dp_vport_binding empty = { .kind = DP_BIND_VLANS };
    assert_int_equal(dp_vport_bind("pu", "vs", "x", "p4", &empty, &err), EINVAL);
    assert_int_equal(dp_vport_add("pu", "vs", "x", "p4", 5, &err), 0);
    assert_int_equal(dp_vport_del("pu", "vs", "x", &err), 0);

    /* Whole port: tagged and untagged frames pass as sent. */
    n = vlan_frame(f, true, 0xa00a, 0x31, 1);           /* PCP 5, VID 10 */
    inject_bytes(&p1, f, n);
    expect_bytes(&p2, f, n, 2000);
    n = vlan_frame(f, false, 0, 0x31, 2);
    inject_bytes(&p1, f, n);
    expect_bytes(&p2, f, n, 2000);
    n = vlan_frame(f, true, 0x0000, 0x31, 3);           /* priority tag */
    inject_bytes(&p2, f, n);
    expect_bytes(&p1, f, n, 2000);

    /* VLAN set: VIDs 10 and 150 keep their tags, 20 goes to the other
     * slice (tag removed, then added again), 30 belongs to nobody. */
    n = vlan_frame(f, true, 0x200a, 0x41, 4);
    inject_bytes(&p3, f, n);
    expect_bytes(&p4, f, n, 2000);
    n = vlan_frame(f, true, 0x0096, 0x41, 5);
    inject_bytes(&p4, f, n);
    expect_bytes(&p3, f, n, 2000);
    n = vlan_frame(f, true, 0x6014, 0x41, 6);
    inject_bytes(&p3, f, n);
    memcpy(g, f, n);
    g[14] = 0x00;                   /* re-tagged by the vport: PCP 0 */
    expect_bytes(&p4, g, n, 2000);
    n = vlan_frame(f, true, 0x001e, 0x41, 7);
    inject_bytes(&p3, f, n);
    expect_bytes(&p4, NULL, 0, 50);
    n = vlan_frame(f, false, 0, 0x41, 8);               /* untagged */
    inject_bytes(&p3, f, n);
    expect_bytes(&p4, NULL, 0, 50);

    /* The vnode sends on a VLAN outside the set, or untagged: dropped. */
    n = vlan_frame(f, true, 0x0014, 0x41, 9);
    assert_int_equal(dp_vnode_inject("ps", "vs", f, n, 0, 1, &err), 0);
    n = vlan_frame(f, false, 0, 0x41, 10);
    assert_int_equal(dp_vnode_inject("ps", "vs", f, n, 0, 1, &err), 0);
    n = vlan_frame(f, true, 0x0065, 0x41, 11);          /* VID 101: owned */
    assert_int_equal(dp_vnode_inject("ps", "vs", f, n, 0, 1, &err), 0);
    expect_bytes(&p4, f, n, 2000);
    expect_bytes(&p4, NULL, 0, 50);
    assert_int_equal(vport_drops("ps", "s4", "not-owned-vlan"), 2);

    /* Nor can a vnode tag a frame out of an untagged vport (the VLAN may
     * be another slice's); a priority tag is still untagged. */
    assert_int_equal(dp_vport_add("pu", "vs", "un", "p5", -1, &err), 0);
    n = vlan_frame(f, true, 0x0014, 0x41, 12);
    assert_int_equal(dp_vnode_inject("pu", "vs", f, n, 0, 2, &err), 0);
    n = vlan_frame(f, true, 0x6000, 0x41, 13);
    assert_int_equal(dp_vnode_inject("pu", "vs", f, n, 0, 2, &err), 0);
    expect_bytes(&p5, f, n, 2000);
    expect_bytes(&p5, NULL, 0, 50);
    assert_int_equal(vport_drops("pu", "un", "not-owned-vlan"), 1);

    /* The configuration says the same, in vport.add's terms. */
    json_t *config = dp_config_to_json();
    json_t *v;
    size_t i;
    int seen = 0;
    json_array_foreach(json_object_get(config, "vports"), i, v) {
        const char *name = json_string_value(json_object_get(v, "vport"));
        if (!strcmp(name, "w1")) {
            assert_string_equal(json_string_value(json_object_get(v, "vlans")),
                                "all");
            seen++;
        } else if (!strcmp(name, "s3")) {
            json_t *l = json_object_get(v, "vlans");
            assert_int_equal(json_array_size(l), 2);
            assert_int_equal(json_integer_value(json_array_get(l, 0)), 10);
            assert_string_equal(json_string_value(json_array_get(l, 1)),
                                "100-199");
            assert_true(json_is_true(json_object_get(v, "keep_tag")));
            seen++;
        }
    }
    assert_int_equal(seen, 2);
    json_decref(config);

    /* Deleting the set frees every VID of it. */
    assert_int_equal(dp_vport_del("ps", "vs", "s3", &err), 0);
    assert_int_equal(dp_vport_bind("pu", "vs", "x", "p3", &one, &err), 0);
    for (int k = 0; k < 3; k++) {
        assert_int_equal(dp_slice_del(k == 0 ? "pw" : k == 1 ? "ps" : "pu",
                                      &err), 0);
    }
}

/* l2learn on whole ports learns per (VLAN, MAC): host 0x51 seen in VLAN
 * 10 on q1 and in VLAN 20 on q2 is reached in each VLAN where it was seen
 * there, and flooded untagged (where it was never seen); tags pass as
 * sent. */
static void
test_l2learn_per_vlan(void **state)
{
    struct dp_slice_params lv = { .name = "lv" };
    struct dp_vport_binding whole = { .kind = DP_BIND_PORT };
    struct dummy q1, q2, q3;
    struct dp_error err;
    uint8_t f[128];
    size_t n;
    (void) state;

    assert_int_equal(dp_switch_add("ls", &err), 0);
    dummy_add(&q1, "ls", "q1");
    dummy_add(&q2, "ls", "q2");
    dummy_add(&q3, "ls", "q3");
    assert_int_equal(dp_slice_add(&lv, &err), 0);
    assert_int_equal(dp_vnode_add("lv", "ls", "l2learn", NULL, &err), 0);
    assert_int_equal(dp_vport_bind("lv", "ls", "a", "q1", &whole, &err), 0);
    assert_int_equal(dp_vport_bind("lv", "ls", "b", "q2", &whole, &err), 0);
    assert_int_equal(dp_vport_bind("lv", "ls", "c", "q3", &whole, &err), 0);

    /* Host 0x51 broadcasts in VLAN 10 from q1, in VLAN 20 from q2. */
    n = vlan_frame(f, true, 0x000a, 0x51, 1);
    inject_bytes(&q1, f, n);
    expect_bytes(&q2, f, n, 2000);
    expect_bytes(&q3, f, n, 2000);
    n = vlan_frame(f, true, 0x0014, 0x51, 2);
    inject_bytes(&q2, f, n);
    expect_bytes(&q1, f, n, 2000);
    expect_bytes(&q3, f, n, 2000);

    /* Unicast to 0x51 from q3: VLAN 10 to q1 only, VLAN 20 to q2 only. */
    n = vlan_frame(f, true, 0x000a, 0x52, 3);
    memcpy(f, (uint8_t[]) { 0x02, 0, 0, 0, 0, 0x51 }, 6);
    inject_bytes(&q3, f, n);
    expect_bytes(&q1, f, n, 2000);
    expect_bytes(&q2, NULL, 0, 50);
    n = vlan_frame(f, true, 0x0014, 0x52, 4);
    memcpy(f, (uint8_t[]) { 0x02, 0, 0, 0, 0, 0x51 }, 6);
    inject_bytes(&q3, f, n);
    expect_bytes(&q2, f, n, 2000);
    expect_bytes(&q1, NULL, 0, 50);
    /* Untagged, 0x51 was never seen: flooded. */
    n = vlan_frame(f, false, 0, 0x52, 5);
    memcpy(f, (uint8_t[]) { 0x02, 0, 0, 0, 0, 0x51 }, 6);
    inject_bytes(&q3, f, n);
    expect_bytes(&q1, f, n, 2000);
    expect_bytes(&q2, f, n, 2000);

    /* The dump says which VLAN each entry is of. */
    json_t *d = dp_vnode_dump("lv", "ls", &err);
    assert_non_null(d);
    json_t *macs = json_object_get(d, "macs"), *e;
    size_t i;
    int vlans = 0;
    json_array_foreach(macs, i, e) {
        json_t *v = json_object_get(e, "vlan");
        if (v && !strcmp(json_string_value(json_object_get(e, "mac")), "02:00:00:00:00:51")) {
            vlans |= json_integer_value(v) == 10 ? 1 : json_integer_value(v) == 20 ? 2 : 4;
        }
    }
    assert_int_equal(vlans, 3);
    json_decref(d);
    assert_int_equal(dp_slice_del("lv", &err), 0);
}

static void
test_config_json_round_trip(void **state)
{
    struct dp_error err;
    (void) state;

    json_t *config = dp_config_to_json();
    assert_non_null(config);
    /* Dummy ports are not persistent; slices and vnodes are. */
    assert_true(json_array_size(json_object_get(config, "slices")) >= 2);
    assert_true(json_array_size(json_object_get(config, "vnodes")) >= 2);
    assert_int_equal(json_array_size(json_object_get(config, "ports")), 0);
    json_decref(config);
    json_t *dump = dp_vnode_dump("red", "s1", &err);
    assert_non_null(dump);
    assert_true(json_array_size(json_object_get(dump, "macs")) >= 2);
    json_decref(dump);
}

/* ---- The "ebpf" forwarding plane ------------------------------------------ */

static const char *bpf_objdir = ".";

/* The config of an ebpf vnode running object 'name' with one hash table. */
static json_t *
ebpf_config(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.o", bpf_objdir, name);
    return json_pack("{s:s, s:[{s:s, s:s, s:i}]}", "program", path, "tables",
                     "name", "macs", "type", "hash", "size", 64);
}

static json_int_t
ebpf_counter(const char *slice, const char *sw, const char *name)
{
    struct dp_error err;
    json_t *dump = dp_vnode_dump(slice, sw, &err);
    json_t *prog = json_object_get(dump, "program");
    json_int_t v = name[0] == '#'
        ? json_integer_value(json_object_get(dump, name + 1))
        : json_integer_value(json_object_get(json_object_get(prog, "counters"), name));
    json_decref(dump);
    return v;
}

/* Two vnodes of one switch whose programs send every frame back over the
 * virtual link inside the switch between them: the worker hands it over
 * a bounded number of times (DP_MAX_HANDOVERS), then drops it as "ttl";
 * it neither recurses without end nor stops forwarding. */
static void
test_vnodes_loop(void **state)
{
    struct dp_slice_params sp = { .name = "loop" };
    const char *path[] = { "l1/a", "l1/b" };
    struct dp_vlink_params vl = { .slice = "loop", .name = "ab", .path = path,
                                  .n_path = 2 };
    struct dummy h;
    struct dp_error err;
    json_t *config = ebpf_config("ok_bounce");
    (void) state;

    assert_int_equal(dp_switch_add("l1", &err), 0);
    dummy_add(&h, "l1", "h");
    assert_int_equal(dp_slice_add(&sp, &err), 0);
    assert_int_equal(dp_vnode_add("loop", "l1/a", "ebpf", config, &err), 0);
    assert_int_equal(dp_vnode_add("loop", "l1/b", "ebpf", config, &err), 0);
    json_decref(config);
    assert_int_equal(dp_vport_add("loop", "l1/a", "h", "h", -1, &err), 0);
    assert_int_equal(dp_vport_add("loop", "l1/b", "x", "h", 5, &err), 0);
    assert_int_equal(dp_vlink_add(&vl, &err), 0);   /* vport 1 of both */

    inject(&h, 0x0b, 0x0a, 31);
    for (int i = 0; i < 200 && !ebpf_counter("loop", "l1/a", "reply"); i++) {
        usleep(10000);
    }
    usleep(100000);
    json_t *stats = dp_stats_to_json("slice", "loop");
    json_t *s = json_array_get(json_object_get(stats, "slices"), 0);
    json_int_t ttl = json_integer_value(json_object_get(json_object_get(s, "drops"),
                                                        "ttl"));
    json_decref(stats);
    assert_int_equal(ttl, 1);
    /* a ran on its host's frame and at every other handover. */
    json_int_t runs = ebpf_counter("loop", "l1/a", "runs")
                      + ebpf_counter("loop", "l1/b", "runs");
    assert_true(runs >= 8 && runs <= 10);
    expect_nothing(&h);
    assert_int_equal(dp_slice_del("loop", &err), 0);
}

static void
test_ebpf_l2_swap(void **state)
{
    struct dp_slice_params sp = { .name = "bpfs" };
    struct dummy p1, p2, p3;
    struct dp_error err;
    json_t *config;
    (void) state;

    assert_int_equal(dp_switch_add("e1", &err), 0);
    dummy_add(&p1, "e1", "p1");
    dummy_add(&p2, "e1", "p2");
    dummy_add(&p3, "e1", "p3");
    assert_int_equal(dp_slice_add(&sp, &err), 0);

    /* A program that does not load: the vnode is not added. */
    config = ebpf_config("hostile_loop");
    assert_int_equal(dp_vnode_add("bpfs", "e1", "ebpf", config, &err), EINVAL);
    assert_non_null(strstr(err.msg, "loops"));
    json_decref(config);

    config = ebpf_config("l2learn");
    assert_int_equal(dp_vnode_add("bpfs", "e1", "ebpf", config, &err), 0);
    assert_int_equal(dp_vport_add("bpfs", "e1", "v1", "p1", -1, &err), 0);
    assert_int_equal(dp_vport_add("bpfs", "e1", "v2", "p2", -1, &err), 0);
    assert_int_equal(dp_vport_add("bpfs", "e1", "v3", "p3", -1, &err), 0);

    /* The program floods a broadcast and learns; replies go straight. */
    inject(&p1, 0xff, 0x0a, 1);
    assert_int_equal(receive(&p2, 2000), 1);
    assert_int_equal(receive(&p3, 2000), 1);
    inject(&p2, 0x0a, 0x0b, 2);
    assert_int_equal(receive(&p1, 2000), 2);
    expect_nothing(&p3);

    /* The SP's control plane writes the table: 0x0c is on vport 2. */
    const struct dp_fp_class *cls;
    void *fps = dp_vnode_fp_state("bpfs", "e1", &cls);
    assert_ptr_equal(cls, &dp_fp_ebpf);
    json_t *key = json_string("02:00:00:00:00:0c"), *val = json_integer(2);
    assert_int_equal(fp_ebpf_table_set(fps, "macs", key, val, &err), 0);
    inject(&p1, 0x0c, 0x0a, 3);
    assert_int_equal(receive(&p3, 2000), 3);
    expect_nothing(&p2);
    assert_int_equal(fp_ebpf_table_set(fps, "nosuch", key, val, &err), ENOENT);
    json_t *bad = json_string("not-a-key");
    assert_int_equal(fp_ebpf_table_set(fps, "macs", bad, val, &err), EINVAL);
    assert_non_null(strstr(err.msg, "bad key"));
    json_decref(bad);
    json_t *tables = fp_ebpf_table_dump(fps, "macs", &err);
    assert_int_equal(json_array_size(json_object_get(json_array_get(tables, 0),
                                                     "entries")), 3);
    json_decref(tables);

    /* Hot swap under traffic: every frame arrives, tables survive (a
     * frame to a learned address is not flooded after the swaps). */
    int got = 0;
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < 40; i++) {
            inject(&p1, 0x0b, 0x0a, (uint8_t) (round * 40 + i));
        }
        assert_int_equal(dp_vnode_set("bpfs", "e1", config, &err), 0);
        for (int i = 0; i < 40; i++) {
            got += receive(&p2, 2000) == round * 40 + i;
        }
    }
    assert_int_equal(got, 200);
    expect_nothing(&p3);
    assert_int_equal(ebpf_counter("bpfs", "e1", "#swaps"), 5);
    assert_int_equal(fp_ebpf_table_del(fps, "macs", key, &err), 0);
    assert_int_equal(fp_ebpf_table_del(fps, "macs", key, &err), ENOENT);
    json_decref(key);
    json_decref(val);

    /* A hostile program is refused by vnode.set and changes nothing. */
    json_t *hostile = ebpf_config("hostile_oob");
    assert_int_equal(dp_vnode_set("bpfs", "e1", hostile, &err), EINVAL);
    assert_non_null(strstr(err.msg, "out of bounds"));
    json_decref(hostile);
    assert_int_equal(ebpf_counter("bpfs", "e1", "#swaps"), 5);
    inject(&p2, 0x0a, 0x0b, 9);
    assert_int_equal(receive(&p1, 2000), 9);

    /* Actions: vports by index, none outside the vnode, punts. */
    json_t *okc = ebpf_config("ok_bounded");
    assert_int_equal(dp_vnode_set("bpfs", "e1", okc, &err), 0);
    json_decref(okc);
    inject(&p1, 0x0b, 0x0a, 2);                 /* vport 2: p3 */
    assert_int_equal(receive(&p3, 2000), 2);
    inject(&p1, 0x0b, 0x0a, 3);                 /* vport 3: none */
    inject(&p1, 0x0b, 0x0a, 0xf1);              /* 0x1234: none */
    expect_nothing(&p2);
    expect_nothing(&p3);
    assert_int_equal(ebpf_counter("bpfs", "e1", "bad_action"), 2);
    inject(&p2, 0x0b, 0x0a, 0xee);              /* punt */
    struct dp_punt punt;
    int n = 0;
    for (int i = 0; i < 2000 && !n; i++) {
        n = dp_punt_receive(&punt, 1);
        usleep(n ? 0 : 1000);
    }
    assert_int_equal(n, 1);
    assert_int_equal(punt.in_vport, 1);
    assert_int_equal(punt.cookie, 7);
    rte_pktmbuf_free(punt.m);
    assert_int_equal(ebpf_counter("bpfs", "e1", "punt"), 1);

    /* The state file keeps the program and tables. */
    json_t *all = dp_config_to_json();
    char *text = json_dumps(all, 0);
    assert_non_null(strstr(text, "ok_bounded.o"));
    assert_non_null(strstr(text, "\"macs\""));
    free(text);
    json_decref(all);
    /* l2learn cannot be swapped. */
    assert_int_equal(dp_vnode_set("red", "s1", config, &err), EOPNOTSUPP);
    json_decref(config);
}

int
main(int argc, char *argv[])
{
    if (argc > 1) {
        bpf_objdir = argv[1];
    }
    if (dp_test_start(argv[0], "dptest", &test_pool)) {
        return 1;
    }

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_addresses_two_slices),
        cmocka_unit_test(test_vlink_three_switches),
        cmocka_unit_test(test_vnodes_one_switch),
        cmocka_unit_test(test_vlink_backup),
        cmocka_unit_test(test_vlink_vccv),
        cmocka_unit_test(test_vlink_border),
        cmocka_unit_test(test_vlink_border_backup),
        cmocka_unit_test(test_vlink_transit),
        cmocka_unit_test(test_mesh_split_horizon),
        cmocka_unit_test(test_ingress_limits),
        cmocka_unit_test(test_delay_line_quota),
        cmocka_unit_test(test_config_json_round_trip),
        cmocka_unit_test(test_ebpf_l2_swap),
        cmocka_unit_test(test_vnodes_loop),
        cmocka_unit_test(test_vlan_bindings),
        cmocka_unit_test(test_l2learn_per_vlan),
        cmocka_unit_test(test_many_slices_one_burst),
        cmocka_unit_test(test_one_slice_direct_burst),
        cmocka_unit_test(test_pair_burst),
        cmocka_unit_test(test_pair_declines),
        cmocka_unit_test(test_pair_many_stations),
        cmocka_unit_test(test_delay_late),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);

    dp_test_stop(test_pool);
    return failed;
}
