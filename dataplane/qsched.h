/*
 * qsched: the egress scheduler of one port, shared by the slices on it.
 *
 * Each (slice, port) queue has two token buckets: its guarantee (rate g)
 * and its ceiling (rate c >= g).  The port itself may have a rate (an
 * emulated link, or a limit an operator sets); then it has a bucket too.
 * A service round runs two phases:
 *
 *   1. guaranteed: each backlogged queue sends while its guarantee, its
 *      ceiling and the port have tokens;
 *   2. borrowing: what the port can still send is lent, round robin in
 *      small quanta, to queues that are below their ceiling.
 *
 * So a queue always gets its guarantee when it has the traffic (as long
 * as the guarantees on a port add up to no more than its rate, which the
 * control plane checks), and capacity nobody is guaranteed, or that is
 * guaranteed but idle, goes to whoever can use it: work conserving.
 *
 * Buckets hold 10 ms of their rate: on a shared machine the worker can be
 * descheduled for milliseconds, and a shallower bucket then loses the
 * capacity of that time for good (2 ms buckets delivered 94% of a 20
 * Mbit/s link under load; 10 ms keep the long-term rate).
 *
 * Tokens are kept in byte-nanoseconds (bytes * 1e9) so any rate in
 * bytes/s adds an exact integer per nanosecond; buckets refill lazily
 * when examined.  Time comes from the caller, which keeps the module
 * testable; the worker passes a clock read once per round.
 *
 * The service loop is inline with callbacks for the queue operations so
 * the compiler can flatten it into the worker's tx path.
 */
#ifndef LAMINA_QSCHED_H
#define LAMINA_QSCHED_H 1

#include <stdbool.h>
#include <stdint.h>

#define QSCHED_NS 1000000000ull
#define QSCHED_MIN_BURST 3200u           /* bytes: two full frames */
#define QSCHED_BURST_NS 10000000ull      /* buckets hold 10 ms of rate */
#define QSCHED_MAX_IDLE_NS 100000000ull  /* longer gaps just fill the bucket */
#define QSCHED_QUANTUM 4                 /* packets per borrowing turn */

struct qsched_tb {
    uint64_t rate;          /* bytes per second; 0: unlimited */
    uint64_t burst;         /* bucket size in byte-ns */
    uint64_t tokens;        /* byte-ns */
    uint64_t last;          /* ns of the last refill */
};

/* Sets a bucket to 'rate_bps' bits/s (0: unlimited), full at 'now'. */
void qsched_tb_init(struct qsched_tb *, uint64_t rate_bps, uint64_t now);

static inline void
qsched_tb_refill(struct qsched_tb *tb, uint64_t now)
{
    if (tb->rate && now > tb->last) {
        uint64_t dt = now - tb->last;
        if (dt > QSCHED_MAX_IDLE_NS) {
            tb->tokens = tb->burst;
        } else {
            tb->tokens += dt * tb->rate;
            if (tb->tokens > tb->burst) {
                tb->tokens = tb->burst;
            }
        }
        tb->last = now;
    }
}

static inline bool
qsched_tb_has(const struct qsched_tb *tb, uint32_t len)
{
    return !tb->rate || tb->tokens >= (uint64_t) len * QSCHED_NS;
}

static inline void
qsched_tb_take(struct qsched_tb *tb, uint32_t len)
{
    if (tb->rate) {
        tb->tokens -= (uint64_t) len * QSCHED_NS;
    }
}

struct qsched_queue {
    struct qsched_tb guarantee;
    struct qsched_tb ceiling;
    uint64_t last_refill;   /* ns; both buckets refilled together */
};

struct qsched_port {
    struct qsched_tb rate;
    uint32_t rr;            /* where the next round starts */
};

/* Sets a queue's guarantee and ceiling in bits/s.  A ceiling of 0 means
 * "the port's rate"; a ceiling below the guarantee is raised to it. */
void qsched_queue_init(struct qsched_queue *, uint64_t guarantee_bps,
                      uint64_t ceiling_bps, uint64_t now);

void qsched_port_init(struct qsched_port *, uint64_t rate_bps, uint64_t now);

/* Returns how long (ns) until 'port' could send 'len' bytes, 0 if now. */
uint64_t qsched_port_wait(const struct qsched_port *, uint32_t len);

/*
 * One service round over 'n' backlogged queues of a port.
 *
 *   queue(ctx, i) -> the scheduler state of queue i
 *   head(ctx, i)  -> length in bytes of queue i's head packet, 0 if empty
 *   take(ctx, i)  -> moves queue i's head packet to the output
 *
 * Sends at most 'max' packets; returns how many it sent.
 */
static inline __attribute__((always_inline)) unsigned
qsched_service(struct qsched_port *port, unsigned n, uint64_t now, unsigned max,
               struct qsched_queue *(*queue)(void *ctx, unsigned i),
               uint32_t (*head)(void *ctx, unsigned i),
              void (*take)(void *ctx, unsigned i), void *ctx)
{
    unsigned sent = 0;

    if (!n) {
        return 0;
    }
    qsched_tb_refill(&port->rate, now);

    /* Phase 1: guarantees. */
    unsigned start = n > 1 ? port->rr % n : 0;
    for (unsigned k = 0, i = start; k < n && sent < max;
         k++, i = i + 1 < n ? i + 1 : 0) {
        struct qsched_queue *q = queue(ctx, i);
        uint32_t len;

        qsched_tb_refill(&q->guarantee, now);
        qsched_tb_refill(&q->ceiling, now);
        while (sent < max && (len = head(ctx, i)) != 0
               && q->guarantee.rate
               && qsched_tb_has(&q->guarantee, len)
               && qsched_tb_has(&q->ceiling, len)
               && qsched_tb_has(&port->rate, len)) {
            qsched_tb_take(&q->guarantee, len);
            qsched_tb_take(&q->ceiling, len);
            qsched_tb_take(&port->rate, len);
            take(ctx, i);
            sent++;
        }
    }

    /* Phase 2: lend what is left, round robin in quanta.  The next round
     * starts after the last queue that borrowed, so the turn passes on
     * even when the port frees room for only one packet per round. */
    unsigned last = n;
    for (bool progress = true; progress && sent < max;) {
        progress = false;
        for (unsigned k = 0, i = start; k < n && sent < max;
             k++, i = i + 1 < n ? i + 1 : 0) {
            struct qsched_queue *q = queue(ctx, i);
            uint32_t len;

            for (unsigned quantum = 0; quantum < QSCHED_QUANTUM && sent < max
                 && (len = head(ctx, i)) != 0
                 && qsched_tb_has(&q->ceiling, len)
                 && qsched_tb_has(&port->rate, len); quantum++) {
                /* Borrowed bytes use the ceiling and the port only. */
                qsched_tb_take(&q->ceiling, len);
                qsched_tb_take(&port->rate, len);
                take(ctx, i);
                sent++;
                progress = true;
                last = i;
            }
        }
    }
    if (last < n) {
        port->rr = last + 1;
    }
    return sent;
}

#endif /* LAMINA_QSCHED_H */
