/*
 * dp_test: what the dataplane tests that run the real fast path share
 * (test_dp.c, test_dp_trace.c): EAL in no-hugepage mode with one worker (or more),
 * the dataplane started, a mempool for the frames the test injects, and
 * dummy ports (rings the test injects frames into and reads frames from).
 */
#ifndef LAMINA_DP_TEST_H
#define LAMINA_DP_TEST_H 1

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane.h"
#include "util.h"

struct dummy {
    struct rte_ring *rx, *tx;       /* rx: into the switch; tx: out of it */
};

/* Adds dummy port 'name' to switch 'sw' with its two rings in 'd'. */
static inline void
dummy_add(struct dummy *d, const char *sw, const char *name)
{
    struct dp_error err;
    char rname[64];
    static int n;

    snprintf(rname, sizeof rname, "t%d_rx", n);
    d->rx = rte_ring_create(rname, 256, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    snprintf(rname, sizeof rname, "t%d_tx", n++);
    d->tx = rte_ring_create(rname, 256, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    assert_non_null(d->rx);
    assert_non_null(d->tx);
    assert_int_equal(dp_port_add_dummy(sw, name, d->rx, d->tx, &err), 0);
}

/* Sends a 64-byte frame from a buffer of 'pool' into dummy port 'd':
 * source and destination MAC 02:00:00:00:00:LAST (destination 0xff: the
 * broadcast address), marker byte 'marker' at offset 20. */
static inline void
dp_test_inject(struct rte_mempool *pool, struct dummy *d, uint8_t dst_last,
               uint8_t src_last, uint8_t marker)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
    uint8_t *p;

    assert_non_null(m);
    p = (uint8_t *) rte_pktmbuf_append(m, 64);
    if (!p) {
        fail_msg("no room for 64 bytes in a buffer of %s", pool->name);
        return;
    }
    memset(p, 0, 64);
    if (dst_last == 0xff) {
        memset(p, 0xff, 6);
    } else {
        p[0] = 0x02;
        p[5] = dst_last;
    }
    p[6] = 0x02;
    p[11] = src_last;
    p[12] = 0x08;
    p[13] = 0x00;
    p[20] = marker;
    assert_int_equal(rte_ring_enqueue(d->rx, m), 0);
}

/* Waits up to 'wait_ms' for a frame out of dummy port 'd'; returns its
 * marker, -2 if it is not 64 bytes long, or -1 if none came. */
static inline int
dp_test_receive(struct dummy *d, int wait_ms)
{
    struct rte_mbuf *m;

    for (int i = 0; i < wait_ms * 10; i++) {
        if (!rte_ring_dequeue(d->tx, (void **) &m)) {
            const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
            int marker = rte_pktmbuf_data_len(m) == 64 ? p[20] : -2;
            rte_pktmbuf_free(m);
            return marker;
        }
        usleep(100);
    }
    return -1;
}

/* Member 'key' of slice 'slice''s stats (e.g. "mbufs_held"). */
static inline json_int_t
dp_test_slice_stat(const char *slice, const char *key)
{
    json_t *stats = dp_stats_to_json("slice", slice);
    json_t *s = json_array_get(json_object_get(stats, "slices"), 0);
    json_int_t n = json_integer_value(json_object_get(s, key));

    json_decref(stats);
    return n;
}

/* The drops of slice 'slice' counted with reason 'reason' (a name of
 * dp_counters.h). */
static inline uint64_t
dp_test_drops_of(const char *slice, const char *reason)
{
    json_t *stats = dp_stats_to_json("slice", slice);
    json_t *s = json_array_get(json_object_get(stats, "slices"), 0);
    uint64_t n = json_integer_value(json_object_get(json_object_get(s, "drops"), reason));
    json_decref(stats);
    return n;
}

/* Starts EAL (file prefix lamina-'name'-<pid>) on lcores 'lcores' (an
 * EAL --lcores map: the first is the control lcore, the others workers)
 * and the dataplane, and creates '*pool'.  Returns 0, or 1 after saying
 * what failed. */
static inline int
dp_test_start_lcores(const char *argv0, const char *name, const char *lcores,
                     struct rte_mempool **pool)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "--file-prefix=lamina-%s-%d", name,
             getpid());
    char *eal[] = { (char *) argv0, "--lcores", (char *) lcores, "--no-pci",
                    "--no-huge", "-m", "256", "--no-shconf", prefix,
                    "--log-level=*:error", NULL };
    struct dp_params params = { .n_mbufs = 4096 };
    struct dp_error err;

    if (rte_eal_init(ARRAY_SIZE(eal) - 1, eal) < 0) {
        fprintf(stderr, "EAL init failed\n");
        return 1;
    }
    if (dp_init(&params, &err) || dp_start(&err)) {
        fprintf(stderr, "dp: %s\n", err.msg);
        return 1;
    }
    *pool = rte_pktmbuf_pool_create("test", 1024, 0, 0,
                                    RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    return 0;
}

/* dp_test_start_lcores() with one worker. */
static inline int
dp_test_start(const char *argv0, const char *name, struct rte_mempool **pool)
{
    return dp_test_start_lcores(argv0, name, "0-1", pool);
}

/* Stops and frees what dp_test_start() made. */
static inline void
dp_test_stop(struct rte_mempool *pool)
{
    dp_stop();
    dp_destroy();
    rte_mempool_free(pool);
    dp_eal_cleanup();
}

#endif /* LAMINA_DP_TEST_H */
