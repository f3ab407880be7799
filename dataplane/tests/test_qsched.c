/* Unit tests: scheduler arithmetic, guarantees and ceilings over time.
 *
 * Each test runs the real service loop (qsched_service) against simulated
 * queues on a simulated clock and checks what every queue got. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "qsched.h"

#define PKT 1000u                    /* bytes per simulated packet */
#define STEP_NS 10000ull             /* the worker serves every 10 us */
#define MBIT 1000000ull

struct simq {
    struct qsched_queue q;
    uint64_t offered_bps;            /* 0: always backlogged */
    uint64_t backlog;                /* packets waiting */
    uint64_t credit;                 /* byte-ns of arrivals not yet whole */
    uint64_t sent_bytes;
};

struct sim {
    struct simq *qs[4];
    unsigned n;
};

static struct qsched_queue *
sim_queue(void *ctx, unsigned i)
{
    struct sim *s = ctx;
    return &s->qs[i]->q;
}

static uint32_t
sim_head(void *ctx, unsigned i)
{
    struct sim *s = ctx;
    struct simq *q = s->qs[i];
    return q->offered_bps && !q->backlog ? 0 : PKT;
}

static void
sim_take(void *ctx, unsigned i)
{
    struct sim *s = ctx;
    struct simq *q = s->qs[i];
    if (q->offered_bps) {
        q->backlog--;
    }
    q->sent_bytes += PKT;
}

/* Runs 'seconds' of simulated time; returns nothing, fills sent_bytes. */
static void
run(struct qsched_port *port, struct sim *sim, double seconds)
{
    uint64_t end = (uint64_t) (seconds * 1e9);
    for (uint64_t now = STEP_NS; now <= end; now += STEP_NS) {
        for (unsigned i = 0; i < sim->n; i++) {
            struct simq *q = sim->qs[i];
            if (q->offered_bps) {
                q->credit += STEP_NS * q->offered_bps / 8;
                q->backlog += q->credit / ((uint64_t) PKT * QSCHED_NS);
                q->credit %= (uint64_t) PKT * QSCHED_NS;
                if (q->backlog > 1000) {
                    q->backlog = 1000;      /* queue limit: tail drop */
                }
            }
        }
        qsched_service(port, sim->n, now, 32, sim_queue, sim_head, sim_take, sim);
    }
}

static double
mbps(const struct simq *q, double seconds)
{
    return q->sent_bytes * 8 / seconds / 1e6;
}

/* Two greedy slices: each gets its guarantee, and the rest of the link
 * is shared, so together they fill it. */
static void
test_guarantees_and_sharing(void **state)
{
    struct qsched_port port;
    struct simq a = { 0 }, b = { 0 };
    struct sim sim = { { &a, &b }, 2 };
    (void) state;

    qsched_port_init(&port, 100 * MBIT, 0);
    qsched_queue_init(&a.q, 30 * MBIT, 0, 0);
    qsched_queue_init(&b.q, 10 * MBIT, 0, 0);
    run(&port, &sim, 2.0);
    assert_true(mbps(&a, 2.0) >= 30 * 0.99);
    assert_true(mbps(&b, 2.0) >= 10 * 0.99);
    assert_true(mbps(&a, 2.0) + mbps(&b, 2.0) >= 100 * 0.98);
    assert_true(mbps(&a, 2.0) + mbps(&b, 2.0) <= 100 * 1.01);
    /* The spare 60 Mbit/s is lent evenly. */
    assert_true(mbps(&a, 2.0) > 55 && mbps(&a, 2.0) < 65);
}

/* A ceiling caps a slice even on an idle link. */
static void
test_ceiling_caps(void **state)
{
    struct qsched_port port;
    struct simq a = { 0 };
    struct sim sim = { { &a }, 1 };
    (void) state;

    qsched_port_init(&port, 100 * MBIT, 0);
    qsched_queue_init(&a.q, 10 * MBIT, 20 * MBIT, 0);
    run(&port, &sim, 2.0);
    assert_true(mbps(&a, 2.0) >= 20 * 0.98);
    assert_true(mbps(&a, 2.0) <= 20 * 1.02);
}

/* Work conservation: a slice alone may use the whole link. */
static void
test_work_conserving(void **state)
{
    struct qsched_port port;
    struct simq a = { 0 };
    struct sim sim = { { &a }, 1 };
    (void) state;

    qsched_port_init(&port, 50 * MBIT, 0);
    qsched_queue_init(&a.q, 5 * MBIT, 0, 0);
    run(&port, &sim, 2.0);
    assert_true(mbps(&a, 2.0) >= 50 * 0.98);
    assert_true(mbps(&a, 2.0) <= 50 * 1.01);
}

/* The isolation case: red sends exactly its guarantee R, blue floods at
 * ten times its own guarantee; red keeps what it sends (>= 95% of R). */
static void
test_flooder_cannot_take_guarantee(void **state)
{
    struct qsched_port port;
    struct simq red = { .offered_bps = 40 * MBIT };
    struct simq blue = { .offered_bps = 200 * MBIT };
    struct sim sim = { { &blue, &red }, 2 };
    (void) state;

    qsched_port_init(&port, 60 * MBIT, 0);
    qsched_queue_init(&red.q, 40 * MBIT, 0, 0);
    qsched_queue_init(&blue.q, 20 * MBIT, 0, 0);
    run(&port, &sim, 2.0);
    assert_true(mbps(&red, 2.0) >= 40 * 0.95);
    assert_true(mbps(&blue, 2.0) >= 20 * 0.95);
    assert_true(mbps(&blue, 2.0) <= 20 * 1.05);
}

/* An unlimited port lets everything through; guarantees still order it. */
static void
test_unlimited_port(void **state)
{
    struct qsched_port port;
    struct simq a = { .offered_bps = 300 * MBIT };
    struct sim sim = { { &a }, 1 };
    (void) state;

    qsched_port_init(&port, 0, 0);
    qsched_queue_init(&a.q, 0, 0, 0);
    run(&port, &sim, 1.0);
    assert_true(mbps(&a, 1.0) >= 300 * 0.99);
}

static void
test_port_wait(void **state)
{
    struct qsched_port port;
    (void) state;

    qsched_port_init(&port, 8 * MBIT, 0);     /* 1 byte per microsecond */
    port.rate.tokens = 0;
    /* 1000 bytes at 1 byte/us: 1 ms. */
    assert_int_equal(qsched_port_wait(&port, 1000), 1000000);
    port.rate.tokens = 1000 * QSCHED_NS;
    assert_int_equal(qsched_port_wait(&port, 1000), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guarantees_and_sharing),
        cmocka_unit_test(test_ceiling_caps),
        cmocka_unit_test(test_work_conserving),
        cmocka_unit_test(test_flooder_cannot_take_guarantee),
        cmocka_unit_test(test_unlimited_port),
        cmocka_unit_test(test_port_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
