/*
 * dp_test: what the dataplane tests that run the real fast path share
 * (test_dp.c, test_dp_trace.c): EAL in no-hugepage mode with one worker (or more),
 * the dataplane started, a mempool for the frames the test injects, and
 * dummy ports (rings the test injects frames into and reads frames from).
 */
#ifndef LAMINA_DP_TEST_H
#define LAMINA_DP_TEST_H 1

#include <stdio.h>
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
