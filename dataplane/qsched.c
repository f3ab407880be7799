#include "qsched.h"

void
qsched_tb_init(struct qsched_tb *tb, uint64_t rate_bps, uint64_t now)
{
    uint64_t burst;

    tb->rate = rate_bps / 8;
    burst = tb->rate * QSCHED_BURST_NS / QSCHED_NS;
    if (burst < QSCHED_MIN_BURST) {
        burst = QSCHED_MIN_BURST;
    }
    tb->burst = burst * QSCHED_NS;
    tb->tokens = tb->burst;
    tb->last = now;
}

void
qsched_queue_init(struct qsched_queue *q, uint64_t guarantee_bps,
                 uint64_t ceiling_bps, uint64_t now)
{
    if (ceiling_bps && ceiling_bps < guarantee_bps) {
        ceiling_bps = guarantee_bps;
    }
    qsched_tb_init(&q->guarantee, guarantee_bps, now);
    qsched_tb_init(&q->ceiling, ceiling_bps, now);
    q->last_refill = now;
}

void
qsched_port_init(struct qsched_port *port, uint64_t rate_bps, uint64_t now)
{
    qsched_tb_init(&port->rate, rate_bps, now);
    port->rr = 0;
}

uint64_t
qsched_port_wait(const struct qsched_port *port, uint32_t len)
{
    uint64_t need = (uint64_t) len * QSCHED_NS;

    if (!port->rate.rate || port->rate.tokens >= need) {
        return 0;
    }
    return (need - port->rate.tokens + port->rate.rate - 1) / port->rate.rate;
}
