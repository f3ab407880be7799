/*
 * Tests of dp_trace_packet() (`lamina trace`) with the real dataplane
 * (EAL, a worker, dummy ports), one per forwarding plane:
 *
 *  - l2learn: an unknown destination floods; once the switch learned it
 *    from a real frame, the trace names the learned vport and the output;
 *    the trace itself learns nothing and counts nothing;
 *  - openflow: the flow that matches is printed (table, priority, cookie,
 *    match, instructions) and the output follows its actions; a miss says
 *    so;
 *  - ebpf (the example L2 program): the trace names the program and its
 *    hash, the table lookups it made and the action it returned (flood
 *    before learning, output after); its table updates are reported,
 *    not made;
 *  - vlink over three switches: label push at the head, swap at the
 *    transit switch, pop at the tail, output on the tail's host port;
 *  - unbound VLAN and unknown port are reported, not traced.
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
#include "fp_openflow.h"
#include "ofp-match.h"
#include "ofpl.h"
#include "pktdesc.h"
#include "util.h"

static struct rte_mempool *test_pool;

/* Sends the frame 'desc' into 'd' and waits for it on 'out'. */
static void
send_through(struct dummy *d, struct dummy *out, const char *desc)
{
    uint8_t frame[PKTDESC_MAX_LEN];
    char msg[128];
    size_t len;
    struct rte_mbuf *m = rte_pktmbuf_alloc(test_pool);

    assert_int_equal(pktdesc_build(desc, frame, &len, msg, sizeof msg), 0);
    memcpy(rte_pktmbuf_append(m, len), frame, len);
    assert_int_equal(rte_ring_enqueue(d->rx, m), 0);
    for (int i = 0; i < 20000; i++) {
        if (!rte_ring_dequeue(out->tx, (void **) &m)) {
            rte_pktmbuf_free(m);
            return;
        }
        usleep(100);
    }
    fail_msg("frame %s did not come out", desc);
}

/* Traces 'desc' on (sw, port); returns the stages joined, one a line, as
 * "switch stage: text". */
static char *
trace(const char *sw, const char *port, const char *desc, json_t **res)
{
    uint8_t frame[PKTDESC_MAX_LEN];
    struct dp_error err = { "" };
    char msg[128], *out = xzalloc(16384);
    size_t len, used = 0, i;
    json_t *st;

    assert_int_equal(pktdesc_build(desc, frame, &len, msg, sizeof msg), 0);
    *res = dp_trace_packet(sw, port, frame, len, &err);
    assert_non_null(*res);
    json_array_foreach(json_object_get(*res, "stages"), i, st) {
        used += snprintf(out + used, 16384 - used, "%s %s: %s\n",
                         json_string_value(json_object_get(st, "switch")),
                         json_string_value(json_object_get(st, "stage")),
                         json_string_value(json_object_get(st, "text")));
    }
    printf("trace %s %s %s:\n%s", sw, port, desc, out);
    return out;
}

static int
outputs(const json_t *res)
{
    return json_integer_value(json_object_get(res, "outputs"));
}

static void
test_trace_l2learn(void **state)
{
    struct dp_slice_params red = { .name = "red" };
    struct dummy a, b, c;
    struct dp_error err;
    json_t *res;
    char *t;
    (void) state;

    assert_int_equal(dp_switch_add("l1", &err), 0);
    dummy_add(&a, "l1", "pa");
    dummy_add(&b, "l1", "pb");
    dummy_add(&c, "l1", "pc");
    assert_int_equal(dp_slice_add(&red, &err), 0);
    assert_int_equal(dp_vnode_add("red", "l1", "l2learn", NULL, &err), 0);
    assert_int_equal(dp_vport_add("red", "l1", "va", "pa", -1, &err), 0);
    assert_int_equal(dp_vport_add("red", "l1", "vb", "pb", -1, &err), 0);
    assert_int_equal(dp_vport_add("red", "l1", "vc", "pc", 7, &err), 0);

    /* Unknown destination: flooded to vb and (tagged) vc. */
    const char *to_b = "eth_src=02:00:00:00:00:0a,eth_dst=02:00:00:00:00:0b";
    t = trace("l1", "pa", to_b, &res);
    assert_non_null(strstr(t, "l1 classify: port pa, untagged -> slice red, vport va"));
    assert_non_null(strstr(t, "not learned -> flood"));
    assert_non_null(strstr(t, "l1 vlan-push: vport vc: tag vlan 7 pushed"));
    assert_non_null(strstr(t, "out of port pb"));
    assert_non_null(strstr(t, "out of port pc"));
    assert_int_equal(outputs(res), 2);
    free(t);
    json_decref(res);

    /* The trace learned nothing: the slice counted nothing either. */
    json_t *st = dp_stats_to_json("slice", "red");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(
        json_object_get(st, "slices"), 0), "rx_packets")), 0);
    json_decref(st);

    /* A real frame from 0b on pb teaches the switch where 0b is. */
    send_through(&b, &a, "eth_src=02:00:00:00:00:0b,eth_dst=ff:ff:ff:ff:ff:ff");
    struct rte_mbuf *m;
    for (int i = 0; i < 2000 && rte_ring_dequeue(c.tx, (void **) &m); i++) {
        usleep(100);
    }
    t = trace("l1", "pa", to_b, &res);
    assert_non_null(strstr(t, "dst 02:00:00:00:00:0b learned on vport 1 -> output"));
    assert_non_null(strstr(t, "out of port pb"));
    assert_null(strstr(t, "out of port pc"));
    assert_int_equal(outputs(res), 1);
    free(t);
    json_decref(res);

    /* A VLAN nobody bound on pa, and a tagged frame on pc's VLAN 7. */
    t = trace("l1", "pa", "vlan=9", &res);
    assert_non_null(strstr(t, "classify: port pa, vlan 9: no slice bound"));
    assert_non_null(strstr(t, "dropped: no-binding"));
    free(t);
    json_decref(res);
    t = trace("l1", "pc", "vlan=7,eth_dst=02:00:00:00:00:0b", &res);
    assert_non_null(strstr(t, "vlan 7 -> slice red, vport vc"));
    assert_non_null(strstr(t, "vlan-pop: tag removed (vlan 7)"));
    free(t);
    json_decref(res);

    assert_null(dp_trace_packet("l1", "nosuch", "0123456789abcd", 14, &err));
    assert_non_null(strstr(err.msg, "no port nosuch"));
    assert_null(dp_trace_packet("l9", "pa", "0123456789abcd", 14, &err));
    assert_int_equal(dp_slice_del("red", &err), 0);
}

static void
test_trace_openflow(void **state)
{
    struct dp_slice_params blue = { .name = "blue" };
    const struct dp_fp_class *cls;
    struct dummy a, b;
    struct dp_error err;
    json_t *res;
    char *t;
    (void) state;

    assert_int_equal(dp_switch_add("o1", &err), 0);
    dummy_add(&a, "o1", "pa");
    dummy_add(&b, "o1", "pb");
    assert_int_equal(dp_slice_add(&blue, &err), 0);
    assert_int_equal(dp_vnode_add("blue", "o1", "openflow", NULL, &err), 0);
    assert_int_equal(dp_vport_add("blue", "o1", "va", "pa", -1, &err), 0);
    assert_int_equal(dp_vport_add("blue", "o1", "vb", "pb", -1, &err), 0);

    /* No flows yet: a table miss. */
    t = trace("o1", "pa", "ip_dst=10.0.0.2", &res);
    assert_non_null(strstr(t, "table 0: no flow matches"));
    assert_int_equal(outputs(res), 0);
    free(t);
    json_decref(res);

    /* in_port=1, ipv4 -> output:2 (vport vb), cookie 0x2a. */
    struct ofp_action out = { .type = OFPAT_OUTPUT,
                              .output = { .port = 2, .max_len = 0 } };
    struct ofp_flow_mod_body fm = { .cookie = 0x2a, .command = OFPFC_ADD,
                                    .priority = 100,
                                    .buffer_id = OFP13_NO_BUFFER,
                                    .out_port = OFPP13_ANY,
                                    .out_group = OFPG_ANY };
    struct ofp_error oerr;
    ofp_match_init(&fm.match);
    ofp_match_set_u(&fm.match, OFP_F_IN_PORT, 1);
    ofp_match_set_u(&fm.match, OFP_F_ETH_TYPE, 0x0800);
    fm.insts.apply.actions = &out;
    fm.insts.apply.n = 1;
    fm.insts.present = 1u << OFPIT_APPLY_ACTIONS;
    dp_pause();
    void *fps = dp_vnode_fp_state("blue", "o1", &cls);
    assert_non_null(fps);
    assert_int_equal(ofpl_flow_mod(fp_openflow_pipeline(fps), &fm,
                                   fp_openflow_now_ns(), NULL, NULL, &oerr), 0);
    dp_resume();

    /* Until the agent brings vport vb up, output:2 goes nowhere. */
    t = trace("o1", "pa", "ip_dst=10.0.0.2", &res);
    assert_non_null(strstr(t, "output:2 skipped: port not up"));
    assert_int_equal(outputs(res), 0);
    free(t);
    json_decref(res);
    dp_pause();
    ofpl_set_port_live(fp_openflow_pipeline(fps), 0, true);
    ofpl_set_port_live(fp_openflow_pipeline(fps), 1, true);
    dp_resume();

    t = trace("o1", "pa", "ip_dst=10.0.0.2", &res);
    assert_non_null(strstr(t, "table 0: priority 100 cookie 0x2a match "));
    assert_non_null(strstr(t, "in_port=1"));
    assert_non_null(strstr(t, "output:2"));
    assert_non_null(strstr(t, "out of port pb"));
    assert_int_equal(outputs(res), 1);
    free(t);
    json_decref(res);

    /* Not IPv4: still a miss. */
    t = trace("o1", "pa", "eth_type=0x88b5", &res);
    assert_non_null(strstr(t, "table 0: no flow matches"));
    assert_null(strstr(t, "out of port"));
    free(t);
    json_decref(res);
    assert_int_equal(dp_slice_del("blue", &err), 0);
}

static const char *bpf_objdir = ".";

static void
test_trace_ebpf(void **state)
{
    struct dp_slice_params sp = { .name = "bpf" };
    const struct dp_fp_class *cls;
    struct dummy a, b, c;
    struct dp_error err;
    char path[1024];
    json_t *res;
    char *t;
    (void) state;

    snprintf(path, sizeof path, "%s/l2learn.o", bpf_objdir);
    json_t *config = json_pack("{s:s, s:[{s:s, s:s, s:i}]}", "program", path,
                               "tables", "name", "macs", "type", "hash",
                               "size", 64);
    assert_int_equal(dp_switch_add("e1", &err), 0);
    dummy_add(&a, "e1", "pa");
    dummy_add(&b, "e1", "pb");
    dummy_add(&c, "e1", "pc");
    assert_int_equal(dp_slice_add(&sp, &err), 0);
    assert_int_equal(dp_vnode_add("bpf", "e1", "ebpf", config, &err), 0);
    json_decref(config);
    assert_int_equal(dp_vport_add("bpf", "e1", "va", "pa", -1, &err), 0);
    assert_int_equal(dp_vport_add("bpf", "e1", "vb", "pb", -1, &err), 0);
    assert_int_equal(dp_vport_add("bpf", "e1", "vc", "pc", -1, &err), 0);

    /* The program's hash is the one the dump shows. */
    json_t *dump = dp_vnode_dump("bpf", "e1", &err);
    char hash[40];
    snprintf(hash, sizeof hash, "fnv1a %s", json_string_value(
                 json_object_get(json_object_get(dump, "program"), "fnv1a")));
    json_decref(dump);

    /* Nothing learned: the lookup of b misses -> flood; the update of a's
     * address is reported, not made. */
    const char *to_b = "eth_src=02:00:00:00:00:0a,eth_dst=02:00:00:00:00:0b";
    t = trace("e1", "pa", to_b, &res);
    assert_non_null(strstr(t, "program l2learn.o ("));
    assert_non_null(strstr(t, hash));
    assert_non_null(strstr(t, "lookup macs[0x2000000000a] -> miss"));
    assert_non_null(strstr(t, "would set macs[0x2000000000a] = 0x0"));
    assert_non_null(strstr(t, "lookup macs[0x2000000000b] -> miss"));
    assert_non_null(strstr(t, "returned 0xfffe -> flood"));
    assert_non_null(strstr(t, "out of port pb"));
    assert_non_null(strstr(t, "out of port pc"));
    assert_int_equal(outputs(res), 2);
    free(t);
    json_decref(res);
    void *fps = dp_vnode_fp_state("bpf", "e1", &cls);
    json_t *tables = fp_ebpf_table_dump(fps, "macs", &err);
    assert_int_equal(json_array_size(json_object_get(json_array_get(tables, 0),
                                                     "entries")), 0);
    json_decref(tables);

    /* b speaks (a real frame: the program learns it on vport 1). */
    send_through(&b, &a, "eth_src=02:00:00:00:00:0b,eth_dst=ff:ff:ff:ff:ff:ff");
    struct rte_mbuf *m;
    while (!rte_ring_dequeue(c.tx, (void **) &m)) {
        rte_pktmbuf_free(m);
    }
    t = trace("e1", "pa", to_b, &res);
    assert_non_null(strstr(t, "lookup macs[0x2000000000b] -> 0x1"));
    assert_non_null(strstr(t, "returned 0x1 -> output vport 1"));
    assert_non_null(strstr(t, "out of port pb"));
    assert_null(strstr(t, "out of port pc"));
    assert_int_equal(outputs(res), 1);
    free(t);
    json_decref(res);

    /* To b from b's own port: the program names the port it came in on. */
    t = trace("e1", "pb", "eth_src=02:00:00:00:00:0c,eth_dst=02:00:00:00:00:0b", &res);
    assert_non_null(strstr(t, "returned 0x1 -> output to the vport it came in on -> drop"));
    assert_int_equal(outputs(res), 0);
    free(t);
    json_decref(res);
    assert_int_equal(dp_slice_del("bpf", &err), 0);
}

static void
test_trace_vlink(void **state)
{
    struct dp_slice_params green = { .name = "green" };
    struct dp_link_params l12 = { .name = "tl12", .sw_a = "v1", .port_a = "to-v2",
                                  .sw_b = "v2", .port_b = "to-v1" };
    struct dp_link_params l23 = { .name = "tl23", .sw_a = "v2", .port_a = "to-v3",
                                  .sw_b = "v3", .port_b = "to-v2" };
    const char *path[] = { "v1", "v2", "v3" };
    struct dp_vlink_params vl = { .slice = "green", .name = "wan", .path = path,
                                  .n_path = 3, .label = 2000 };
    struct dummy h1, h3;
    struct dp_error err;
    json_t *res;
    char *t;
    (void) state;

    assert_int_equal(dp_switch_add("v1", &err), 0);
    assert_int_equal(dp_switch_add("v2", &err), 0);
    assert_int_equal(dp_switch_add("v3", &err), 0);
    assert_int_equal(dp_link_add(&l12, &err), 0);
    assert_int_equal(dp_link_add(&l23, &err), 0);
    dummy_add(&h1, "v1", "h1");
    dummy_add(&h3, "v3", "h3");
    assert_int_equal(dp_slice_add(&green, &err), 0);
    assert_int_equal(dp_vnode_add("green", "v1", NULL, NULL, &err), 0);
    assert_int_equal(dp_vnode_add("green", "v3", NULL, NULL, &err), 0);
    assert_int_equal(dp_vport_add("green", "v1", "h1", "h1", -1, &err), 0);
    assert_int_equal(dp_vport_add("green", "v3", "h3", "h3", -1, &err), 0);
    assert_int_equal(dp_vlink_add(&vl, &err), 0);

    t = trace("v1", "h1", "eth_dst=ff:ff:ff:ff:ff:ff", &res);
    const char *order[] = {
        "v1 classify: port h1, untagged -> slice green, vport h1",
        "v1 label-push: vport vl-wan: virtual link wan, label 2000 pushed",
        "v1 link: link tl12 to v2 port to-v1",
        "v2 rx: ",
        "v2 label-swap: label 2000 (ttl 64) swapped to 2000 for slice green",
        "v2 link: link tl23 to v3 port to-v2",
        "v3 label-pop: label 2000 popped -> slice green, vport vl-wan",
        "v3 fp: vnode green/v3 (l2learn)",
        "v3 output: 60 bytes out of port h3",
    };
    const char *at = t;
    for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
        const char *hit = strstr(at, order[i]);
        if (!hit) {
            fail_msg("missing, or out of order: \"%s\"", order[i]);
        }
        at = hit;
    }
    assert_int_equal(outputs(res), 1);
    assert_int_equal(json_integer_value(json_object_get(res, "drops")), 0);
    free(t);
    json_decref(res);

    /* With the middle link down the trace stops there. */
    assert_int_equal(dp_link_set_up("tl23", false, &err), 0);
    t = trace("v1", "h1", "eth_dst=ff:ff:ff:ff:ff:ff", &res);
    assert_non_null(strstr(t, "v2 drop: dropped: link-down"));
    assert_null(strstr(t, "v3 "));
    free(t);
    json_decref(res);
    assert_int_equal(dp_slice_del("green", &err), 0);
}

int
main(int argc, char *argv[])
{
    if (argc > 1) {
        bpf_objdir = argv[1];
    }
    if (dp_test_start(argv[0], "dptrace", &test_pool)) {
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trace_l2learn),
        cmocka_unit_test(test_trace_openflow),
        cmocka_unit_test(test_trace_ebpf),
        cmocka_unit_test(test_trace_vlink),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);

    dp_test_stop(test_pool);
    return failed;
}
