/*
 * A switch served by two workers (dataplane/dp_worker.c, "handoff"), with
 * the real fast path on dummy ports: EAL with a control lcore and two
 * worker lcores.
 *
 *  - more workers than the process has are refused, naming both counts;
 *  - ports are split evenly, each owned by one worker, never moved;
 *  - l2learn across workers: a broadcast entering on worker A's port
 *    reaches worker B's ports through the handoff ring, and B's table
 *    learns its source from it, so the unicast reply goes to that one port
 *    only (through the ring back to A), and A's table learns the reply's;
 *  - counters written by both workers add up (vnode, slice, vports);
 *  - the handoff ring forgets the frames of a vport being deleted;
 *  - a slice's policer is split into one bucket per worker, each with half
 *    the rate, and the two together pass about twice one worker's burst;
 *  - planes with per-packet state of their own (openflow, ebpf), tunnel
 *    ports and backup paths are refused on the switch, naming it, and
 *    change nothing.
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
#include "util.h"

static struct rte_mempool *test_pool;

/* Sends 'n' 64-byte frames src -> dst (dp_test_inject()). */
static void
inject_n(struct dummy *d, uint8_t dst_last, uint8_t src_last, uint8_t marker,
         unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        dp_test_inject(test_pool, d, dst_last, src_last, marker);
    }
}

static int
receive(struct dummy *d, int wait_ms)
{
    return dp_test_receive(d, wait_ms);
}

/* Counts the frames out of 'd' until none comes for 100 ms. */
static unsigned
drain(struct dummy *d)
{
    unsigned n = 0;

    while (receive(d, 100) >= 0) {
        n++;
    }
    return n;
}

static uint64_t
json_path_int(json_t *j, const char *a, const char *b)
{
    json_t *x = json_object_get(j, a);
    return json_integer_value(b ? json_object_get(x, b) : x);
}

static void
test_too_many_workers(void **state)
{
    struct dp_error err;
    (void) state;

    assert_int_equal(dp.n_workers, 2);
    assert_int_equal(dp_switch_add_workers("big", 3, &err), EINVAL);
    assert_non_null(strstr(err.msg, "3 workers asked"));
    assert_non_null(strstr(err.msg, "2 worker lcores"));
    assert_int_equal(dp_switch_add_workers("big", 0, &err), EINVAL);
    assert_null(dp_switch_find("big"));
}

/* Four ports on a two-worker switch, with slice "red" bridging them. */
struct mw {
    struct dummy d[4];
    struct dp_switch *sw;
};

static void
mw_setup(struct mw *mw, const char *swname, const char *slice)
{
    struct dp_slice_params sp = { .name = slice };
    struct dp_error err;

    assert_int_equal(dp_switch_add_workers(swname, 2, &err), 0);
    mw->sw = dp_switch_find(swname);
    assert_non_null(mw->sw);
    assert_int_equal(dp_slice_add(&sp, &err), 0);
    assert_int_equal(dp_vnode_add(slice, swname, NULL, NULL, &err), 0);
    for (int i = 0; i < 4; i++) {
        char pn[8], vn[8];
        snprintf(pn, sizeof pn, "p%d", i);
        snprintf(vn, sizeof vn, "v%d", i);
        dummy_add(&mw->d[i], swname, pn);
        assert_int_equal(dp_vport_add(slice, swname, vn, pn, -1, &err), 0);
    }
}

static void
test_ports_split(void **state)
{
    struct mw mw;
    struct dp_error err;
    (void) state;

    mw_setup(&mw, "split", "blue");
    unsigned w0 = mw.sw->workers[0], w1 = mw.sw->workers[1];
    assert_int_not_equal(w0, w1);
    /* Each new port goes to the worker with fewer: alternately. */
    assert_int_equal(mw.sw->ports[0]->worker, w0);
    assert_int_equal(mw.sw->ports[1]->worker, w1);
    assert_int_equal(mw.sw->ports[2]->worker, w0);
    assert_int_equal(mw.sw->ports[3]->worker, w1);

    /* workers.get lists what each owns. */
    json_t *ws = dp_workers_to_json();
    assert_int_equal(json_array_size(json_object_get(json_array_get(ws, w0), "ports")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(
        json_array_get(ws, w1), "ports"), 0)), "split/p1");
    json_decref(ws);

    /* The state file keeps the number of workers. */
    json_t *cfg = dp_config_to_json();
    json_t *sws = json_object_get(cfg, "switches");
    bool found = false;
    for (size_t i = 0; i < json_array_size(sws); i++) {
        json_t *s = json_array_get(sws, i);
        if (!strcmp(json_string_value(json_object_get(s, "name")), "split")) {
            assert_int_equal(json_integer_value(json_object_get(s, "workers")), 2);
            found = true;
        }
    }
    assert_true(found);
    json_decref(cfg);
    assert_int_equal(dp_slice_del("blue", &err), 0);
}

static void
test_learning_across_workers(void **state)
{
    struct mw mw;
    struct dp_error err;
    (void) state;

    mw_setup(&mw, "learn", "red");
    json_t *ws = dp_workers_to_json();
    uint64_t out0 = 0;
    for (size_t i = 0; i < json_array_size(ws); i++) {
        out0 += json_path_int(json_array_get(ws, i), "handoff", "out");
    }
    json_decref(ws);

    /* Station 0x0a (p0, worker A) broadcasts: every other port. */
    inject_n(&mw.d[0], 0xff, 0x0a, 1, 1);
    for (int i = 1; i < 4; i++) {
        assert_int_equal(receive(&mw.d[i], 2000), 1);
    }
    /* Station 0x0b (p1, worker B) answers 0x0a: B learned 0x0a on v0
     * from the frame A handed it, so only p0 gets it. */
    inject_n(&mw.d[1], 0x0a, 0x0b, 2, 1);
    assert_int_equal(receive(&mw.d[0], 2000), 2);
    assert_int_equal(receive(&mw.d[2], 50), -1);
    assert_int_equal(receive(&mw.d[3], 50), -1);
    /* And A learned 0x0b from the reply B handed it. */
    inject_n(&mw.d[0], 0x0b, 0x0a, 3, 8);
    for (int k = 0; k < 8; k++) {
        assert_int_equal(receive(&mw.d[1], 2000), 3);
    }
    assert_int_equal(receive(&mw.d[2], 50), -1);
    assert_int_equal(receive(&mw.d[3], 50), -1);
    /* Each worker's table has both stations, on the right vports. */
    json_t *dump = dp_vnode_dump("red", "learn", &err);
    json_t *tables = json_object_get(dump, "workers");
    assert_int_equal(json_array_size(tables), 2);
    for (size_t k = 0; k < 2; k++) {
        json_t *macs = json_object_get(json_array_get(tables, k), "macs");
        unsigned seen = 0;
        for (size_t i = 0; i < json_array_size(macs); i++) {
            json_t *e = json_array_get(macs, i);
            const char *mac = json_string_value(json_object_get(e, "mac"));
            int vport = json_integer_value(json_object_get(e, "vport"));
            seen += (!strcmp(mac, "02:00:00:00:00:0a") && vport == 0)
                    + (!strcmp(mac, "02:00:00:00:00:0b") && vport == 1);
        }
        assert_int_equal(seen, 2);
    }
    json_decref(dump);

    /* Within one worker (p0 -> p2, both A's): no handoff. */
    inject_n(&mw.d[2], 0x0a, 0x0c, 4, 1);
    assert_int_equal(receive(&mw.d[0], 2000), 4);

    /* Both workers counted into the vnode and the slice: 11 frames in,
     * 13 out of its vports. */
    json_t *st = dp_stats_to_json("vnode", "red");
    json_t *vn = json_array_get(json_object_get(st, "vnodes"), 0);
    assert_int_equal(json_path_int(vn, "rx_packets", NULL), 11);
    uint64_t vp_tx = 0;
    json_t *vps = json_object_get(vn, "vports");
    for (size_t i = 0; i < json_array_size(vps); i++) {
        vp_tx += json_path_int(json_array_get(vps, i), "tx_packets", NULL);
    }
    assert_int_equal(vp_tx, 3 + 1 + 8 + 1);
    json_decref(st);
    st = dp_stats_to_json("slice", "red");
    assert_int_equal(json_path_int(json_array_get(json_object_get(st, "slices"), 0),
                                   "rx_packets", NULL), 11);
    json_decref(st);
    ws = dp_workers_to_json();
    uint64_t out = 0, in = 0;
    for (size_t i = 0; i < json_array_size(ws); i++) {
        out += json_path_int(json_array_get(ws, i), "handoff", "out");
        in += json_path_int(json_array_get(ws, i), "handoff", "in");
    }
    json_decref(ws);
    /* Broadcast: 2 copies to B (p1, p3); reply: 1 to A; 8 to B. */
    assert_int_equal(out - out0, 2 + 1 + 8);
    assert_int_equal(in, out);
    assert_int_equal(dp_slice_del("red", &err), 0);
}

/* Frames waiting in a handoff ring for a vport are freed with it. */
static void
test_handoff_forget(void **state)
{
    struct mw mw;
    struct dp_error err;
    (void) state;

    mw_setup(&mw, "forget", "green");
    unsigned a = mw.sw->workers[0], b = mw.sw->workers[1];
    struct dp_vnode *vn = dp_vnode_find(dp_slice_find("green"), mw.sw, NULL);
    struct dp_vport *v1 = dp_vport_find(vn, "v1"), *v3 = dp_vport_find(vn, "v3");
    unsigned avail = rte_mempool_avail_count(dp.pool);

    dp_pause();                 /* the workers do not drain it meanwhile */
    for (int i = 0; i < 3; i++) {
        struct dp_handoff h = { .m = rte_pktmbuf_alloc(dp.pool),
                                .to = i == 1 ? v3 : v1, .kind = DP_HANDOFF_VPORT,
                                .in_vport = DP_HANDOFF_NO_LEARN };
        assert_non_null(h.m);
        memset(rte_pktmbuf_append(h.m, 64), 0, 64);     /* marker 0 */
        assert_int_equal(rte_ring_enqueue_elem(dp.workers[a].to[b], &h, sizeof h), 0);
    }
    assert_int_equal(dp_vport_del("green", "forget", "v1", &err), 0);
    /* v1's two are gone, v3's stays, in its place. */
    assert_int_equal(rte_ring_count(dp.workers[a].to[b]), 1);
    dp_resume();
    assert_int_equal(receive(&mw.d[3], 2000), 0);
    assert_int_equal(rte_mempool_avail_count(dp.pool), avail);
    assert_int_equal(dp_slice_del("green", &err), 0);
}

static void
test_policer_split(void **state)
{
    struct qsched_tb tb;
    struct dp_slice_params sp = { .name = "pol", .policer_bps = 100000 };
    struct dp_error err;
    struct dummy d[4];
    (void) state;

    /* The arithmetic: half the rate each; a given burst halved, never
     * under two full frames. */
    dp_policer_split(&tb, 8000000, 0, 2, 0);
    assert_int_equal(tb.rate, 500000);
    dp_policer_split(&tb, 8000000, 20000, 2, 0);
    assert_int_equal(tb.burst, 10000 * QSCHED_NS);
    dp_policer_split(&tb, 8000000, 2000, 2, 0);
    assert_int_equal(tb.burst, QSCHED_MIN_BURST * QSCHED_NS);

    /* On the switch: one bucket per worker with half the slice's rate. */
    assert_int_equal(dp_switch_add_workers("pol", 2, &err), 0);
    struct dp_switch *sw = dp_switch_find("pol");
    assert_int_equal(dp_slice_add(&sp, &err), 0);
    assert_int_equal(dp_vnode_add("pol", "pol", NULL, NULL, &err), 0);
    for (int i = 0; i < 4; i++) {
        char pn[8];
        snprintf(pn, sizeof pn, "p%d", i);
        dummy_add(&d[i], "pol", pn);
        assert_int_equal(dp_vport_add("pol", "pol", pn, pn, -1, &err), 0);
    }
    struct dp_vnode *vn = dp_vnode_find(dp_slice_find("pol"), sw, NULL);
    assert_non_null(vn->wiso);
    for (unsigned k = 0; k < 2; k++) {
        assert_int_equal(vn->wiso[sw->workers[k]].policer.rate, 100000 / 8 / 2);
    }
    /* 64 frames of 64 bytes on each worker's port at once: each bucket
     * passes its burst (3200 bytes: 50 frames) and what its rate (6,250
     * bytes/s) refills meanwhile, so each about 50 and not 64; the rest
     * meet the policer.  Counted by the vnode's vports (after the policer)
     * once all 128 are accounted for, so a worker preempted for a while
     * on this shared machine only refills a few frames more. */
    inject_n(&d[0], 0xff, 0x01, 5, 64);     /* worker A */
    inject_n(&d[1], 0xff, 0x02, 6, 64);     /* worker B */
    uint64_t pass[2], dropped = 0;
    for (int t = 0; t < 500; t++) {
        json_t *st = dp_stats_to_json("vnode", "pol");
        json_t *vps = json_object_get(json_array_get(json_object_get(st, "vnodes"), 0),
                                      "vports");
        for (int k = 0; k < 2; k++) {
            pass[k] = json_path_int(json_array_get(vps, k), "rx_packets", NULL);
        }
        json_decref(st);
        st = dp_stats_to_json("slice", "pol");
        dropped = json_path_int(json_array_get(json_object_get(st, "slices"), 0),
                                "drops", "policer");
        json_decref(st);
        if (pass[0] + pass[1] + dropped == 128) {
            break;
        }
        usleep(10000);
    }
    assert_int_equal(pass[0] + pass[1] + dropped, 128);
    for (int k = 0; k < 2; k++) {
        assert_true(pass[k] >= 45 && pass[k] <= 60);
    }
    for (int i = 0; i < 4; i++) {
        drain(&d[i]);
    }
    /* A new rate reaches both buckets. */
    sp.policer_bps = 4000000;
    assert_int_equal(dp_slice_set(&sp, &err), 0);
    for (unsigned k = 0; k < 2; k++) {
        assert_int_equal(vn->wiso[sw->workers[k]].policer.rate, 4000000 / 8 / 2);
    }
    assert_int_equal(dp_slice_del("pol", &err), 0);
}

static void
test_refused_on_multi_worker(void **state)
{
    struct dp_slice_params sp = { .name = "of" };
    struct dp_error err;
    struct dummy d;
    (void) state;

    assert_int_equal(dp_switch_add_workers("mwr", 2, &err), 0);
    assert_int_equal(dp_slice_add(&sp, &err), 0);
    assert_int_equal(dp_vnode_add("of", "mwr", "openflow", NULL, &err), EOPNOTSUPP);
    assert_non_null(strstr(err.msg, "\"openflow\" is not yet on a switch with 2 workers"));
    assert_non_null(strstr(err.msg, "mwr"));
    assert_null(dp_vnode_lookup("of", "mwr"));
    assert_int_equal(dp_vnode_add("of", "mwr", "ebpf", NULL, &err), EOPNOTSUPP);
    assert_non_null(strstr(err.msg, "\"ebpf\" is not yet"));
    /* l2learn is fine. */
    assert_int_equal(dp_vnode_add("of", "mwr", "l2learn", NULL, &err), 0);
    dummy_add(&d, "mwr", "q0");

    /* A tunnel port, on its underlay q0. */
    struct dp_port_params tp = {
        .sw = "mwr", .name = "tun",
        .devargs = "mplsudp:underlay=q0,local=192.0.2.1,remote=192.0.2.2,"
                   "mac=02:00:00:00:aa:01" };
    assert_int_equal(dp_port_add(&tp, &err), EOPNOTSUPP);
    assert_non_null(strstr(err.msg, "not yet on a switch with 2 workers (mwr)"));
    assert_null(dp_port_find(dp_switch_find("mwr"), "tun"));

    /* A virtual link with a backup path ending here. */
    const char *path[] = { "mwr", "other" }, *backup[] = { "mwr", "x", "other" };
    struct dp_vlink_params vl = { .slice = "of", .name = "vl", .path = path,
                                  .n_path = 2, .backup = backup, .n_backup = 3 };
    assert_int_equal(dp_vlink_add(&vl, &err), EOPNOTSUPP);
    assert_non_null(strstr(err.msg, "backup path is not yet on a switch with 2 workers (mwr)"));
    assert_int_equal(dp_slice_del("of", &err), 0);
}

int
main(int argc, char *argv[])
{
    (void) argc;
    /* A control lcore and two workers, one per CPU: truly concurrent. */
    if (dp_test_start_lcores(argv[0], "dpworkers", "0@0,1@0,2@1", &test_pool)) {
        return 1;
    }

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_too_many_workers),
        cmocka_unit_test(test_ports_split),
        cmocka_unit_test(test_learning_across_workers),
        cmocka_unit_test(test_handoff_forget),
        cmocka_unit_test(test_policer_split),
        cmocka_unit_test(test_refused_on_multi_worker),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);

    dp_test_stop(test_pool);
    return failed;
}
