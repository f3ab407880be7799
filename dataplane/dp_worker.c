/*
 * dp_worker: the fast path.  One loop per worker lcore serves every port
 * of the switches assigned to it:
 *
 *   frames injected by the control side (packet-out) -> their vnode
 *   for each switch, for each port:  rx burst -> classify -> police
 *       -> vnode forwarding plane -> push label / VLAN -> slice queue
 *          (or straight to the device when the port has nothing to shape:
 *           cut-through, staged per port and sent once per received
 *           burst, see dp_enqueue_burst())
 *   for each port with backlog:      scheduler -> loss -> delay line -> tx
 *   punted frames (packet-in) signalled to the control side once a round
 *
 * Work is done per burst wherever the frames of a burst agree (one
 * binding, one destination vport), per packet only where they differ.
 * No allocation and no lock per packet (flooding copies a frame, which is
 * the one exception, as in any learning bridge).  When a round finds no
 * work, the loop backs off in doubling sleeps up to DP_IDLE_MAX_US, so an
 * idle switch costs little CPU and still wakes within a millisecond.
 * Past that, a worker whose ports can all wake it (afpacket: ports, and
 * in-process links whose other end it serves itself) blocks in ppoll()
 * on their sockets until a frame arrives, its next timer (a delay line)
 * is due, or the control side kicks it (a pause, an injected frame):
 * an idle switch then costs nothing per round, however many ports and
 * slices it holds.  An ethdev port wakes it through its receive
 * interrupt where the PMD has one (net_tap, net_vhost): the interrupt
 * is armed only while the worker blocks.  A PMD without (net_af_packet,
 * net_null) keeps the worker sleeping in short steps.
 *
 * Sparse rounds: a worker whose ports can all tell it they have work
 * (afpacket sockets in its epoll set, in-process links it serves both
 * ends of, tunnels) keeps lists of the ports with work and, while not
 * busy, serves only those and waits in epoll (see "Sparse rounds" below
 * and docs/design.md): a frame due on one delay line among thousands of
 * ports costs a round over that line, not over every port.
 *
 * A switch served by several workers (docs/design.md): each port has one
 * owner, the only worker that receives, queues, schedules and sends on
 * it.  A frame decided for a vport (or, label switched, a queue) on
 * another worker's port is staged for that worker and handed over once
 * per burst through their single-producer single-consumer ring; the owner
 * drains its rings at the start of each round, its plane learning the
 * frames' sources, and outputs them as its own.  A worker whose ring to
 * another is nearly full receives nothing that round (dp_handoff_hold()).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#include "dp_private.h"
#include "util.h"

#define DP_IDLE_SPIN_ROUNDS 64      /* empty rounds before the first sleep */
#define DP_IDLE_SPIN_NS 20000ull    /* ... or this long idle, if sooner */
#define DP_IDLE_MAX_US 512          /* longest sleep: wake within ~0.6 ms */
/* A frame due on a delay line or a shaper within this is waited for by
 * spinning; a later one, by sleeping until this much before it.  A sleep
 * wakes late by the timer's and the scheduler's latency (35-45 us on
 * average on these virtual machines, with PR_SET_TIMERSLACK at 1 ns), so
 * a frame leaves up to that much late; spinning longer (it was 80 us, by
 * sched_yield()) took the CPU from the other workers sharing it, and
 * under the scheduler's fairness made the spinner itself wait a slice
 * when its frame was due (docs/design.md "Waiting for a due frame"). */
#define DP_WAKE_EARLY_NS 20000ull
#define DP_BLOCK_MAX_MS 1000        /* longest block without a timer */
/* A port that found nothing in DP_COLD_POLLS polls in a row is cold: a
 * busy worker polls it one round in DP_COLD_EVERY (a power of 2), so that
 * its rounds go to the ports with traffic (docs/design.md, "Cold ports"). */
#define DP_COLD_POLLS 64
#define DP_COLD_EVERY 4

static volatile int dp_pause_req;
static volatile int dp_paused[DP_MAX_WORKERS];

uint64_t
dp_now_ns(void)
{
    return (uint64_t) ((rte_rdtsc() - dp.start_tsc) * dp.ns_per_tsc);
}

/* ---- Pausing --------------------------------------------------------- */

static bool dp_batch_open;      /* between dp_batch_begin() and _end() */
static bool dp_batch_held;      /* the batch holds a pause */

void
dp_pause(void)
{
    if (dp_batch_open && !dp_batch_held) {
        dp_batch_held = true;
        dp_pause();             /* the batch's own, released at its end */
    }
    if (dp.pause_depth++ || !dp.started) {
        return;
    }
    __atomic_store_n(&dp_pause_req, 1, __ATOMIC_SEQ_CST);
    for (unsigned i = 0; i < dp.n_workers; i++) {
        dp_worker_kick(&dp.workers[i]);
        while (dp.workers[i].running
               && !__atomic_load_n(&dp_paused[i], __ATOMIC_SEQ_CST)) {
            rte_pause();
        }
    }
}

void
dp_resume(void)
{
    if (!dp.pause_depth || --dp.pause_depth) {
        return;
    }
    if (dp.started) {
        dp_worker_publish();
        __atomic_store_n(&dp_pause_req, 0, __ATOMIC_SEQ_CST);
    }
}

void
dp_batch_begin(void)
{
    dp_batch_open = true;
}

void
dp_batch_end(void)
{
    dp_batch_open = false;
    if (dp_batch_held) {
        dp_batch_held = false;
        dp_resume();
    }
}

void
dp_quiesce(void)
{
    uint64_t seen[DP_MAX_WORKERS];

    if (!dp.started || dp.pause_depth) {
        return;                 /* no worker is inside a round */
    }
    for (unsigned i = 0; i < dp.n_workers; i++) {
        seen[i] = __atomic_load_n(&dp.workers[i].rounds, __ATOMIC_SEQ_CST);
    }
    /* Two new rounds: the one under way when the caller changed its
     * pointer has ended (a worker's reads in a round come before its
     * next count). */
    for (unsigned i = 0; i < dp.n_workers; i++) {
        while (dp.workers[i].running
               && __atomic_load_n(&dp.workers[i].rounds, __ATOMIC_ACQUIRE) - seen[i] < 2) {
            dp_worker_kick(&dp.workers[i]);     /* blocked between rounds */
            rte_pause();
        }
    }
}

/* Whether worker 'w' serves (some ports of) switch 'sw'. */
static bool
dp_switch_served_by(const struct dp_switch *sw, unsigned w)
{
    for (unsigned k = 0; k < sw->n_workers; k++) {
        if (sw->workers[k] == w) {
            return true;
        }
    }
    return false;
}

static void dp_worker_sparse_publish(struct dp_worker *wk, unsigned w);

static void dp_pair_publish(struct dp_port *);

/* Works out each port's cut-through pair; rebuilds each worker's list of
 * switches, and its lists for sparse rounds (workers are paused). */
void
dp_worker_publish(void)
{
    for (uint32_t i = 0; i < dp.n_switches; i++) {
        for (uint16_t k = 0; k < dp.switches[i]->n_ports; k++) {
            dp_pair_publish(dp.switches[i]->ports[k]);
        }
    }
    for (unsigned w = 0; w < dp.n_workers; w++) {
        struct dp_worker *wk = &dp.workers[w];
        uint32_t n = 0;

        for (uint32_t i = 0; i < dp.n_switches; i++) {
            n += dp_switch_served_by(dp.switches[i], w);
        }
        free(wk->switches);
        wk->switches = n ? calloc(n, sizeof *wk->switches) : NULL;
        wk->n_switches = 0;
        for (uint32_t i = 0; i < dp.n_switches && wk->switches; i++) {
            if (dp_switch_served_by(dp.switches[i], w)) {
                wk->switches[wk->n_switches++] = dp.switches[i];
            }
        }
        dp_worker_sparse_publish(wk, w);
    }
}

/* ---- Helpers --------------------------------------------------------- */

/* dp_port_tx() on worker 'w', timed in a stage_cycles build. */
static inline uint16_t
dp_worker_tx(unsigned w, struct dp_port *p, struct rte_mbuf **pkts, uint16_t n)
{
    uint64_t t0 = DP_STAGE_TSC();
    uint16_t sent = dp_port_tx(p, pkts, n);

    DP_STAGE_ADD(w, tx, DP_STAGE_TSC() - t0);
    return sent;
}

/* Appends port 'p' of worker 'wk' to one of its lists for sparse rounds
 * ('list', '*n'; NULL: the worker runs none) unless '*listed' says it is
 * there already. */
static inline void
dp_worker_list_add(struct dp_worker *wk, struct dp_port **list, uint32_t *n,
                   bool *listed, struct dp_port *p)
{
    if (*listed || !list) {
        return;
    }
    if (*n < wk->cap) {
        *listed = true;
        list[(*n)++] = p;
    } else {
        wk->lists_lost = true;
    }
}

/* Puts port 'p' (of worker 'wk', which has a backlog or a delay line
 * now) on the worker's list of ports to serve in a sparse round. */
static inline void
dp_worker_list_tx(struct dp_worker *wk, struct dp_port *p)
{
    dp_worker_list_add(wk, wk->txl, &wk->n_txl, &p->tx_listed, p);
}

/* The counters worker 'w' writes for a vnode, the slice on the vnode's
 * switch and a vport (per worker on a switch with several). */
#define VN_CTR(VN, W) dp_wctr(&(VN)->ctr, (VN)->wctr, W)
#define VN_SCTR(VN, W) dp_wctr((VN)->sctr, (VN)->wsctr, W)
#define VP_CTR(VP, W) dp_wctr(&(VP)->ctr, (VP)->wctr, W)

static inline void
dp_drop(struct rte_mbuf *m, struct dp_counters *a, struct dp_counters *b,
        enum dp_drop reason)
{
    if (a) {
        a->drops[reason]++;
    }
    if (b) {
        b->drops[reason]++;
    }
    rte_pktmbuf_free(m);
}

/* Keeps the slice of queue 'q' within its share of super-frame buffers
 * on worker 'w' (dp_gso.h), as its buffer quota keeps it within its
 * share of the pool: counts the super-frames of 'pkts' it may queue,
 * drops the others (reason "gso-quota"), keeps the rest in order at the
 * front of 'pkts' and returns their number. */
static uint16_t
dp_queue_gso_admit(unsigned w, struct dp_queue *q, struct rte_mbuf **pkts,
                   uint16_t n)
{
    struct dp_slice *s = q->slice;
    uint16_t k = 0;

    for (uint16_t i = 0; i < n; i++) {
        if (dp_gso_is_super(pkts[i])) {
            if (s->gso_held[w] >= s->gso_share) {
                dp_drop(pkts[i], &q->ctr, q->sctr, DP_DROP_GSO_QUOTA);
                continue;
            }
            s->gso_held[w]++;
        }
        pkts[k++] = pkts[i];
    }
    return k;
}

static inline void dp_queue_burst(unsigned w, struct dp_queue *q,
                                  struct rte_mbuf **pkts, uint16_t n);

/* Queues 'n' packets on 'q' for worker 'w' with every super-frame among
 * them that is longer on the wire than the rate bucket of 'q' or of its
 * port can ever hold (under ~53 Mbit/s for 64 KiB: buckets hold 10 ms)
 * cut into its segments first: whole, it could never leave, and Linux's
 * tbf cuts such frames the same way.  Returns false, having done
 * nothing, if there is none such. */
static bool
dp_queue_gso_cut(unsigned w, struct dp_queue *q, struct rte_mbuf **pkts,
                 uint16_t n)
{
    const struct qsched_tb *port = &q->port->sched.rate, *ceil = &q->sched.ceiling;
    uint64_t bucket = UINT64_MAX;
    uint16_t i = 0;

    if (port->rate) {
        bucket = port->burst / QSCHED_NS;
    }
    if (ceil->rate && ceil->burst / QSCHED_NS < bucket) {
        bucket = ceil->burst / QSCHED_NS;
    }
    while (bucket != UINT64_MAX && i < n
           && (!dp_gso_is_super(pkts[i]) || dp_gso_wire_len(pkts[i]) <= bucket)) {
        i++;
    }
    if (bucket == UINT64_MAX || i == n) {
        return false;
    }
    struct rte_mbuf *segs[DP_GSO_MAX_SEGS];
    int why = DP_DROP_GSO;

    dp_queue_burst(w, q, pkts, i);
    uint16_t ns = dp_gso_segment(pkts[i], segs, DP_GSO_MAX_SEGS,
                                 dp_port_mtu(q->port), &why);
    if (ns) {
        dp_queue_burst(w, q, segs, ns);
    } else {
        dp_drop(pkts[i], &q->ctr, q->sctr, why);
    }
    dp_queue_burst(w, q, pkts + i + 1, n - i - 1);
    return true;
}

/* Appends 'n' packets to queue 'q' for worker 'w', as many as the
 * slice's buffer quota, its share of super-frame buffers and the queue
 * allow; drops the rest with the reason. */
static inline void
dp_queue_burst(unsigned w, struct dp_queue *q, struct rte_mbuf **pkts,
               uint16_t n)
{
    struct dp_slice *s = q->slice;
    struct dp_port *p = q->port;
    uint32_t room = q->mask + 1 - q->count;
    uint32_t quota = s->held[w] < s->quota ? s->quota - s->held[w] : 0;
    uint16_t k = n;
    uint64_t bytes = 0;

    if (unlikely(dp.gso_pool != NULL) && dp_queue_gso_cut(w, q, pkts, n)) {
        return;
    }
    if (unlikely(k > room || k > quota)) {
        enum dp_drop why = quota < room ? DP_DROP_MBUF_QUOTA : DP_DROP_QUEUE_FULL;
        k = quota < room ? quota : room;
        for (uint16_t i = k; i < n; i++) {
            dp_drop(pkts[i], &q->ctr, q->sctr, why);
        }
    }
    if (unlikely(dp.gso_pool != NULL)) {
        k = dp_queue_gso_admit(w, q, pkts, k);
    }
    for (uint16_t i = 0; i < k; i++) {
        q->ring[(q->head + q->count + i) & q->mask] = pkts[i];
        bytes += rte_pktmbuf_pkt_len(pkts[i]);
    }
    q->count += k;
    s->held[w] += k;
    q->ctr.rx_packets += k;
    q->ctr.rx_bytes += bytes;
    if (k && !q->active) {
        q->active = true;
        p->backlog[p->n_backlog++] = q;
        dp_worker_list_tx(&dp.workers[w], p);
    }
}

/* True if frames for queue 'q' may go straight to its port's device:
 * nothing to shape, delay or share with a backlog there. */
static inline bool
dp_cut_through(const struct dp_queue *q, const struct dp_port *p)
{
    return !q->count && !p->n_backlog && !p->rate_bps && !p->n_shaped
           && !p->delay_line && !p->loss_ppm;
}

/* Sends the frames staged on port 'p'; those the device refuses go to
 * the queues they were staged for, in order, as if they had been queued
 * in the first place. */
static void
dp_port_flush(unsigned w, struct dp_port *p)
{
    uint16_t n = p->n_stage, sent;

    if (!n) {
        return;
    }
    p->n_stage = 0;
    sent = dp_worker_tx(w, p, p->stage, n);
    for (uint16_t i = sent; i < n; i++) {
        struct rte_mbuf *m = p->stage[i];
        struct dp_queue *q = p->stage_q[i];
        uint32_t len = rte_pktmbuf_pkt_len(m);

        /* Counted as sent when staged. */
        p->ctr.tx_packets--;
        p->ctr.tx_bytes -= dp_pkt_wire_len(m);
        q->ctr.rx_packets--;
        q->ctr.rx_bytes -= len;
        q->ctr.tx_packets--;
        q->ctr.tx_bytes -= len;
        if (!p->is_link) {
            q->sctr->tx_packets--;
            q->sctr->tx_bytes -= len;
        }
        dp_queue_burst(w, q, &m, 1);
    }
}

static void dp_handoff_flush(unsigned w, struct dp_worker *wk, unsigned b);

/* Sends what the current burst staged on every port, and for every other
 * worker (at the end of each received burst, so nothing stays staged
 * across rounds). */
static inline void
dp_worker_flush(unsigned w, struct dp_worker *wk)
{
    for (uint16_t i = 0; i < wk->n_staged; i++) {
        wk->staged[i]->stage_listed = false;
        dp_port_flush(w, wk->staged[i]);
    }
    wk->n_staged = 0;
    if (unlikely(wk->n_from)) {     /* it shares a switch with others */
        for (unsigned b = 0; b < dp.n_workers; b++) {
            if (wk->n_ho[b]) {
                dp_handoff_flush(w, wk, b);
            }
        }
    }
}

/* Counts 'n' packets of 'n_bytes' that go through queue 'q' straight to
 * its port's device: sent by the port, through the queue, by the slice. */
static inline void
dp_count_cut_through(struct dp_queue *q, uint16_t n, uint64_t n_bytes)
{
    struct dp_port *p = q->port;

    p->ctr.tx_packets += n;
    p->ctr.tx_bytes += n_bytes;
    q->ctr.rx_packets += n;
    q->ctr.rx_bytes += n_bytes;
    q->ctr.tx_packets += n;
    q->ctr.tx_bytes += n_bytes;
    if (!p->is_link) {
        q->sctr->tx_packets += n;
        q->sctr->tx_bytes += n_bytes;
    }
}

/* Adds to the bytes port 'p' sent what its super-frames among 'pkts' (n)
 * carry on its wire beyond their length (the headers of every segment
 * after the first, dp_pkt_wire_len()), so that a port counts wire bytes
 * whether its frames went straight to the device or through its
 * scheduler (dp_tx_counted()). */
static inline void
dp_count_wire_extra(struct dp_port *p, struct rte_mbuf *const *pkts, uint16_t n)
{
    if (unlikely(dp.gso_pool != NULL)) {
        for (uint16_t i = 0; i < n; i++) {
            if (unlikely(dp_gso_is_super(pkts[i]))) {
                p->ctr.tx_bytes += dp_gso_wire_len(pkts[i])
                                   - rte_pktmbuf_pkt_len(pkts[i]);
            }
        }
    }
}

/* The least run of frames for one port that dp_enqueue_burst() sends at
 * once rather than staging it: a run this long fills most of a transmit
 * by itself, and with nothing staged ahead of it nothing is reordered. */
#define DP_DIRECT_MIN (DP_BURST / 2)

/* Sends 'n' packets of 'n_bytes' in all, for queue 'q' whose port may
 * take them straight (dp_cut_through(), nothing staged on the port), in
 * one transmit from the caller's array: no copy into the port's stage and
 * no flush later (the common case of a port fed by one vnode).  What the
 * device refuses is queued in order, as dp_port_flush() does. */
static void
dp_port_send_direct(unsigned w, struct dp_queue *q, struct rte_mbuf **pkts,
                    uint16_t n, uint64_t n_bytes)
{
    struct dp_port *p = q->port;
    uint16_t sent = dp_worker_tx(w, p, pkts, n);

    if (unlikely(sent < n)) {
        for (uint16_t i = sent; i < n; i++) {
            n_bytes -= rte_pktmbuf_pkt_len(pkts[i]);
        }
    }
    dp_count_cut_through(q, sent, n_bytes);
    dp_count_wire_extra(p, pkts, sent);
    if (unlikely(sent < n)) {
        dp_queue_burst(w, q, pkts + sent, n - sent);
    }
}

/* Puts 'n' packets of 'n_bytes' in all on queue 'q' for worker 'w'.
 * Cut-through: on a port with nothing to shape, delay or share with a
 * backlog, the packets are staged for the device, which gets the frames
 * of all the vnodes of a received burst in one transmit (with many
 * slices on a port, each frame of a burst may come from another vnode),
 * or a long run with nothing staged before it goes out at once
 * (dp_port_send_direct()); otherwise, and for what the device refuses,
 * they are queued. */
static inline void
dp_enqueue_burst(unsigned w, struct dp_queue *q, struct rte_mbuf **pkts,
                 uint16_t n, uint64_t n_bytes)
{
    struct dp_port *p = q->port;
    struct dp_worker *wk = &dp.workers[w];

    if (unlikely(p->down)) {
        for (uint16_t i = 0; i < n; i++) {
            dp_drop(pkts[i], &q->ctr, q->sctr, DP_DROP_LINK_DOWN);
        }
        return;
    }
    if (dp_cut_through(q, p)) {
        if (!p->n_stage && n >= DP_DIRECT_MIN) {
            dp_port_send_direct(w, q, pkts, n, n_bytes);
            return;
        }
        if (p->n_stage + n > DP_BURST) {
            dp_port_flush(w, p);
        }
        if (!p->stage_listed && wk->n_staged == DP_STAGED_PORTS) {
            dp_worker_flush(w, wk);
        }
        /* A flush may have queued what the device refused. */
        if (likely(dp_cut_through(q, p) && p->n_stage + n <= DP_BURST)) {
            for (uint16_t i = 0; i < n; i++) {
                p->stage[p->n_stage] = pkts[i];
                p->stage_q[p->n_stage++] = q;
            }
            if (!p->stage_listed) {
                p->stage_listed = true;
                wk->staged[wk->n_staged++] = p;
            }
            dp_count_cut_through(q, n, n_bytes);
            dp_count_wire_extra(p, pkts, n);
            return;
        }
    }
    dp_queue_burst(w, q, pkts, n);
}

static void dp_handoff(unsigned w, unsigned b, void *to, uint16_t kind,
                       struct rte_mbuf **pkts, const uint16_t *in_vports,
                       uint16_t n);

static inline void
dp_enqueue(unsigned w, struct dp_queue *q, struct rte_mbuf *m)
{
    if (unlikely(q->port->worker != w)) {
        dp_handoff(w, q->port->worker, q, DP_HANDOFF_QUEUE, &m, NULL, 1);
        return;
    }
    dp_enqueue_burst(w, q, &m, 1, rte_pktmbuf_pkt_len(m));
}

/* Adds what vport 'vp' puts on the wire: its VLAN tag, or the MPLS
 * pseudowire header of its virtual link.  False if there is no room. */
static inline bool
dp_vport_encap(const struct dp_vport *vp, struct rte_mbuf *m)
{
    if (vp->type == DP_VPORT_ACCESS) {
        if (vp->bind == DP_BIND_VLAN) {
            uint8_t *eth = (uint8_t *) rte_pktmbuf_prepend(m, 4);
            if (unlikely(!eth)) {
                return false;
            }
            memmove(eth, eth + 4, 12);
            eth[12] = ETHTYPE_VLAN >> 8;
            eth[13] = ETHTYPE_VLAN & 0xff;
            eth[14] = (vp->vlan >> 8) & 0x0f;
            eth[15] = vp->vlan & 0xff;
        }
        return true;
    }
    uint8_t *h = (uint8_t *) rte_pktmbuf_prepend(m, EOMPLS_HLEN);
    if (unlikely(!h)) {
        return false;
    }
    dp_eompls_header(h, vp->vn->sw->idx, vp->label, 0);
    return true;
}

/* True if 'm' may leave vport 'vp' bound to a set of VLANs with their
 * tags: it must carry an 802.1Q tag with a VID of the set. */
static inline bool
dp_vport_owns_tag(const struct dp_vport *vp, const struct rte_mbuf *m)
{
    const uint8_t *eth = rte_pktmbuf_mtod(m, const uint8_t *);
    int vid = classify_vlan(eth, rte_pktmbuf_data_len(m));

    return vid > 0 && (vp->vlans[vid / 64] >> (vid % 64) & 1);
}

static void dp_vnode_input(unsigned w, struct dp_vnode *vn, struct rte_mbuf **pkts,
                           const uint16_t *in_vports, uint16_t n, uint32_t now_s);

/* How deep frames may be handed from vnode to vnode inside one switch
 * before they count as looping (dropped as "ttl"). */
#define DP_MAX_HANDOVERS 8

/* Hands 'n' packets that leave vport 'vp' (a virtual link inside the
 * switch) to the vnode of its peer, which receives them on the peer. */
static void
dp_vport_handover(unsigned w, struct dp_vport *vp, struct rte_mbuf **pkts,
                  uint16_t n)
{
    struct dp_worker *wk = &dp.workers[w];
    struct dp_vport *peer = vp->peer;
    uint16_t in[DP_BURST];
    uint64_t bytes = 0;

    if (unlikely(wk->handovers >= DP_MAX_HANDOVERS)) {
        for (uint16_t i = 0; i < n; i++) {
            dp_drop(pkts[i], VP_CTR(vp, w), VN_SCTR(vp->vn, w), DP_DROP_TTL);
        }
        return;
    }
    for (uint16_t i = 0; i < n; i++) {
        bytes += rte_pktmbuf_pkt_len(pkts[i]);
        in[i] = peer->idx;
    }
    VP_CTR(vp, w)->tx_packets += n;
    VP_CTR(vp, w)->tx_bytes += bytes;
    VP_CTR(peer, w)->rx_packets += n;
    VP_CTR(peer, w)->rx_bytes += bytes;
    VN_CTR(peer->vn, w)->rx_packets += n;
    VN_CTR(peer->vn, w)->rx_bytes += bytes;
    wk->handovers++;
    dp_vnode_input(w, peer->vn, pkts, in, n, wk->now / 1000000000ull);
    wk->handovers--;
}

/* Sends what worker 'w' staged for worker 'b' into their handoff ring
 * (once per received burst, or when the stage is full) and wakes 'b' if
 * it is blocked; what the ring has no room for is dropped and counted. */
static void
dp_handoff_flush(unsigned w, struct dp_worker *wk, unsigned b)
{
    uint16_t n = wk->n_ho[b];
    unsigned sent;

    wk->n_ho[b] = 0;
    sent = rte_ring_sp_enqueue_burst_elem(wk->to[b], wk->ho[b],
                                          sizeof wk->ho[b][0], n, NULL);
    wk->handoff_out += sent;
    for (unsigned i = sent; i < n; i++) {
        struct dp_handoff *h = &wk->ho[b][i];
        struct dp_counters *c = h->kind == DP_HANDOFF_VPORT
                                ? VP_CTR((struct dp_vport *) h->to, w)
                                : NULL;

        dp_drop(h->m, c, NULL, DP_DROP_QUEUE_FULL);
        wk->handoff_drops++;
    }
    dp_worker_kick(&dp.workers[b]);
}

/* Hands 'n' packets for 'to' (a vport or a queue, 'kind') to worker 'b',
 * the owner of the port they leave by; in_vports[i] (NULL: none) is where
 * each entered the vnode, for the owner's plane to learn. */
static void
dp_handoff(unsigned w, unsigned b, void *to, uint16_t kind,
           struct rte_mbuf **pkts, const uint16_t *in_vports, uint16_t n)
{
    struct dp_worker *wk = &dp.workers[w];

    for (uint16_t i = 0; i < n; i++) {
        if (wk->n_ho[b] == DP_BURST) {
            dp_handoff_flush(w, wk, b);
        }
        wk->ho[b][wk->n_ho[b]++] = (struct dp_handoff) {
            .m = pkts[i], .to = to, .kind = kind,
            .in_vport = in_vports ? in_vports[i] : DP_HANDOFF_NO_LEARN };
    }
}

/* Sends 'n' packets out of vport 'vp'; in_vports[i] (NULL: none) is the
 * vport of the same vnode each came in by. */
static inline void
dp_vport_output_burst(unsigned w, struct dp_vport *vp, struct rte_mbuf **pkts,
                      uint16_t n, const uint16_t *in_vports)
{
    uint64_t bytes = 0;
    uint16_t k = 0;

    if (unlikely(vp->peer)) {
        dp_vport_handover(w, vp, pkts, n);
        return;
    }
    if (unlikely(vp->port && vp->port->worker != w)) {
        /* Another worker owns the port: it sends them (a switch with
         * several workers). */
        dp_handoff(w, vp->port->worker, vp, DP_HANDOFF_VPORT, pkts, in_vports, n);
        return;
    }
    if (vp->type == DP_VPORT_ACCESS && vp->bind == DP_BIND_PORT) {
        /* Whole-port vport: the frames leave as they are. */
        for (uint16_t i = 0; i < n; i++) {
            bytes += rte_pktmbuf_pkt_len(pkts[i]);
        }
        k = n;
    } else if (vp->type == DP_VPORT_ACCESS && vp->bind == DP_BIND_UNTAGGED) {
        /* Untagged vport: the frames leave as they are, but one tagged
         * with a VID (an OpenFlow push_vlan) would land in whichever
         * slice owns that VLAN of the port: dropped. */
        for (uint16_t i = 0; i < n; i++) {
            struct rte_mbuf *m = pkts[i];
            const uint8_t *eth = rte_pktmbuf_mtod(m, const uint8_t *);
            if (unlikely(eth[12] == 0x81 && eth[13] == 0x00
                         && classify_vlan(eth, rte_pktmbuf_data_len(m)) != CLASSIFY_UNTAGGED)) {
                dp_drop(m, VP_CTR(vp, w), NULL, DP_DROP_VLAN_NOT_OWNED);
                continue;
            }
            bytes += rte_pktmbuf_pkt_len(m);
            pkts[k++] = m;
        }
    } else {
        for (uint16_t i = 0; i < n; i++) {
            struct rte_mbuf *m = pkts[i];
            if (vp->bind == DP_BIND_VLANS && vp->type == DP_VPORT_ACCESS) {
                if (unlikely(!dp_vport_owns_tag(vp, m))) {
                    dp_drop(m, VP_CTR(vp, w), NULL, DP_DROP_VLAN_NOT_OWNED);
                    continue;
                }
            } else if (unlikely(!dp_vport_encap(vp, m))) {
                dp_drop(m, VP_CTR(vp, w), NULL, DP_DROP_MALFORMED);
                continue;
            }
            bytes += rte_pktmbuf_pkt_len(m);
            pkts[k++] = m;
        }
    }
    VP_CTR(vp, w)->tx_packets += k;
    VP_CTR(vp, w)->tx_bytes += bytes;
    dp_enqueue_burst(w, vp->queue, pkts, k, bytes);
}

static inline void
dp_vport_output(unsigned w, struct dp_vport *vp, struct rte_mbuf *m, uint16_t in)
{
    dp_vport_output_burst(w, vp, &m, 1, &in);
}

/* Floods 'm' to every vport of 'vn' but 'in' (only to access vports
 * when 'access_only'). */
static void
dp_flood(unsigned w, struct dp_vnode *vn, struct rte_mbuf *m, uint16_t in,
         bool access_only)
{
    struct dp_vport *last = NULL;

    for (uint16_t v = 0; v < vn->n_vports; v++) {
        if (v == in || !vn->vports[v] || (access_only && vn->is_vlink[v])) {
            continue;
        }
        if (last) {
            struct rte_mbuf *c = rte_pktmbuf_copy(m, dp.pool, 0, UINT32_MAX);
            if (unlikely(!c)) {
                VN_CTR(vn, w)->drops[DP_DROP_NO_MBUF]++;
                VN_SCTR(vn, w)->drops[DP_DROP_NO_MBUF]++;
            } else {
                dp_vport_output(w, last, c, in);
            }
        }
        last = vn->vports[v];
    }
    if (last) {
        dp_vport_output(w, last, m, in);
    } else {
        rte_pktmbuf_free(m);        /* a vnode with one port: nowhere */
    }
}

/* Runs 'n' packets that entered vnode 'vn' through its forwarding plane
 * and sends them where it says, in runs that go to the same vport. */
static void
dp_vnode_input(unsigned w, struct dp_vnode *vn, struct rte_mbuf **pkts,
               const uint16_t *in_vports, uint16_t n, uint32_t now_s)
{
    struct dp_fp_ctx ctx = { .now_s = now_s, .now_ns = dp.workers[w].now,
                             .n_vports = vn->n_vports,
                             .is_vlink = vn->is_vlink, .vn = vn, .worker = w };
    uint16_t out[DP_BURST];

    uint64_t t0 = DP_STAGE_TSC();
    vn->fp->process(vn->wfp_state ? vn->wfp_state[w] : vn->fp_state, pkts,
                    in_vports, out, n, &ctx);
    DP_STAGE_ADD(w, fp, DP_STAGE_TSC() - t0);

    /* With two vports, flooding is sending to the other one: no copy. */
    if (vn->n_live == 2) {
        uint16_t a = 0, b;
        while (!vn->vports[a]) {
            a++;
        }
        for (b = a + 1; !vn->vports[b]; b++) {
            continue;
        }
        for (uint16_t i = 0; i < n; i++) {
            if (out[i] == DP_FP_FLOOD) {
                out[i] = in_vports[i] == a ? b : a;
            }
        }
    }
    for (uint16_t i = 0; i < n;) {
        uint16_t o = out[i];

        if (o < vn->n_vports) {
            uint16_t j = i + 1;
            while (j < n && out[j] == o) {
                j++;
            }
            dp_vport_output_burst(w, vn->vports[o], &pkts[i], j - i, &in_vports[i]);
            i = j;
            continue;
        }
        if (o == DP_FP_FLOOD || o == DP_FP_FLOOD_ACCESS) {
            dp_flood(w, vn, pkts[i], in_vports[i], o == DP_FP_FLOOD_ACCESS);
        } else if (o == DP_FP_CONSUMED) {
            /* The plane punted or freed it. */
        } else {
            dp_drop(pkts[i], VN_CTR(vn, w), VN_SCTR(vn, w), DP_DROP_FP_DROP);
        }
        i++;
    }
}

/* ---- Punt and inject --------------------------------------------------- */

bool
dp_fp_punt(const struct dp_fp_ctx *ctx, struct rte_mbuf *m, uint16_t in_vport,
           uint8_t reason, uint8_t table, uint64_t cookie)
{
    struct dp_vnode *vn = ctx->vn;
    unsigned w = ctx->worker;
    struct dp_punt punt = { .m = m, .fp_state = vn->fp_state, .in_vport = in_vport,
                            .reason = reason, .table = table, .cookie = cookie };

    if (unlikely(rte_ring_mp_enqueue_elem(dp.punt, &punt, sizeof punt))) {
        dp_drop(m, VN_CTR(vn, w), VN_SCTR(vn, w), DP_DROP_PUNT_FULL);
        return false;
    }
    dp.workers[ctx->worker].punted = true;
    return true;
}

void
dp_fp_output_copy(const struct dp_fp_ctx *ctx, struct rte_mbuf *m, uint16_t vport)
{
    struct dp_vnode *vn = ctx->vn;
    unsigned w = ctx->worker;
    struct rte_mbuf *c;

    if (vport >= vn->n_vports || !vn->vports[vport]) {
        return;
    }
    c = rte_pktmbuf_copy(m, dp.pool, 0, UINT32_MAX);
    if (unlikely(!c)) {
        VN_CTR(vn, w)->drops[DP_DROP_NO_MBUF]++;
        VN_SCTR(vn, w)->drops[DP_DROP_NO_MBUF]++;
        return;
    }
    dp_vport_output(ctx->worker, vn->vports[vport], c, DP_HANDOFF_NO_LEARN);
}

/* Frames the control thread injected into this worker's vnodes. */
static unsigned
dp_run_injects(unsigned w, struct dp_worker *wk, uint32_t now_s)
{
    struct dp_inject inj[DP_BURST];
    unsigned n = rte_ring_dequeue_burst_elem(wk->inject, inj, sizeof *inj,
                                             DP_BURST, NULL);

    for (unsigned i = 0; i < n; i++) {
        struct dp_vnode *vn = inj[i].vn;

        if (inj[i].out == DP_INJECT_PIPELINE) {
            dp_vnode_input(w, vn, &inj[i].m, &inj[i].in_vport, 1, now_s);
        } else if (inj[i].out == DP_FP_FLOOD) {
            dp_flood(w, vn, inj[i].m, inj[i].in_vport, false);
        } else if (inj[i].out < vn->n_vports && vn->vports[inj[i].out]) {
            dp_vport_output(w, vn->vports[inj[i].out], inj[i].m, inj[i].in_vport);
        } else {
            rte_pktmbuf_free(inj[i].m);
        }
    }
    return n;
}

/* One burst out of handoff ring 'ring' (dp_handoff_drain()). */
static unsigned
dp_handoff_drain_burst(unsigned w, struct dp_worker *wk, struct rte_ring *ring,
                       uint32_t now_s)
{
    struct dp_handoff h[DP_BURST];
    struct rte_mbuf *pkts[DP_BURST], *learn[DP_BURST];
    uint16_t ins[DP_BURST];
    unsigned n = rte_ring_sc_dequeue_burst_elem(ring, h, sizeof h[0], DP_BURST, NULL);

    for (unsigned i = 0; i < n;) {
        if (h[i].kind == DP_HANDOFF_QUEUE) {
            dp_enqueue(w, h[i].to, h[i].m);
            i++;
            continue;
        }
        /* A run of frames for one vport. */
        struct dp_vport *vp = h[i].to;
        struct dp_vnode *vn = vp->vn;
        uint16_t k = 0, nl = 0;

        for (; i < n && h[i].to == vp && h[i].kind == DP_HANDOFF_VPORT; i++) {
            pkts[k++] = h[i].m;
            if (h[i].in_vport < vn->n_vports) {     /* not NO_LEARN */
                learn[nl] = h[i].m;
                ins[nl++] = h[i].in_vport;
            }
        }
        if (nl && vn->fp->learn && vn->wfp_state) {
            /* Before the frames leave: output may free them. */
            struct dp_fp_ctx ctx = { .now_s = now_s, .now_ns = wk->now,
                                     .n_vports = vn->n_vports,
                                     .is_vlink = vn->is_vlink, .vn = vn,
                                     .worker = w };
            vn->fp->learn(vn->wfp_state[w], learn, ins, nl, &ctx);
        }
        dp_vport_output_burst(w, vp, pkts, k, NULL);
    }
    return n;
}

/* Frames other workers handed to this one, the owner of the ports they
 * leave by: each is output as if its vnode had decided it here, after
 * this worker's plane of the vnode learned its source (so that learning
 * converges across the workers' planes as in one).  Up to
 * DP_HANDOFF_DRAIN_BURSTS bursts per ring per round: enough that the ring
 * (one FIFO for every slice) does not fill while its frames wait, so
 * that what is too much for a port is dropped by its per-slice queues,
 * where each slice's limits apply, and not at the ring; few enough that a
 * busy peer cannot starve this worker's own ports. */
static unsigned
dp_handoff_drain(unsigned w, struct dp_worker *wk, uint32_t now_s)
{
    unsigned total = 0;

    for (unsigned r = 0; r < wk->n_from; r++) {
        for (unsigned b = 0; b < DP_HANDOFF_DRAIN_BURSTS; b++) {
            unsigned n = dp_handoff_drain_burst(w, wk, wk->from[r], now_s);

            total += n;
            if (n < DP_BURST) {
                break;
            }
        }
    }
    wk->handoff_in += total;
    return total;
}

/* Whether 'wk' should receive nothing this round: a handoff ring it
 * fills is nearly full, its owner behind.  Then the frames wait in the
 * ports' receive rings (dropped there if they must be, by the device, at
 * no cost), rather than cost this worker the whole way to the ring only
 * to be dropped at it: without it, under overload both workers spend
 * most of their time on frames the ring then drops.  Checked once a
 * round (a read of each ring's consumer index). */
static inline bool
dp_handoff_hold(struct dp_worker *wk)
{
    for (unsigned b = 0; b < dp.n_workers; b++) {
        if (wk->to[b] && rte_ring_free_count(wk->to[b]) < DP_HANDOFF_HOLD) {
            wk->handoff_holds++;
            return true;
        }
    }
    return false;
}

/* ---- Receive --------------------------------------------------------- */

/* Starts loading the headers of the 'n' frames of a received burst, all
 * at once, before the first is read (their misses overlap).  Not on the
 * cut-through pair, whose plane reads every header in its first pass
 * anyway, in order, and is the first to touch them: there the loop was a
 * second walk over the burst's buffers for nothing (docs/design.md). */
static inline void
dp_rx_prefetch(struct rte_mbuf **pkts, uint16_t n)
{
    for (uint16_t k = 0; k < n; k++) {
        rte_prefetch0(rte_pktmbuf_mtod(pkts[k], void *));
    }
}

/* Counts 'n' frames of 'bytes' in all that port 'p' received for access
 * vport 'vp' and its vnode let in (once per burst). */
static inline void
dp_count_access_rx(unsigned w, struct dp_port *p, struct dp_vport *vp,
                   uint16_t n, uint64_t bytes)
{
    struct dp_vnode *vn = vp->vn;

    p->ctr.rx_bytes += bytes;
    VN_SCTR(vn, w)->rx_packets += n;
    VN_SCTR(vn, w)->rx_bytes += bytes;
    VP_CTR(vp, w)->rx_packets += n;
    VP_CTR(vp, w)->rx_bytes += bytes;
    VN_CTR(vn, w)->rx_packets += n;
    VN_CTR(vn, w)->rx_bytes += bytes;
}

/* Frames from an access port bound untagged to one slice without a
 * policer or a budget: the common case, handled per burst. */
static inline bool
dp_rx_access_simple(unsigned w, struct dp_port *p, struct rte_mbuf **pkts,
                    uint16_t n, uint32_t now_s)
{
    struct dp_vport *vp = p->bindings.untagged;
    bool whole = false;
    struct dp_vnode *vn;
    struct dp_slice *s;
    uint16_t in_vports[DP_BURST];
    uint64_t bytes = 0;

    if (!vp && p->bindings.whole) {
        vp = p->bindings.whole;
        whole = true;           /* every frame, tags kept */
    }
    if (p->bindings.n_tagged || !vp) {
        return false;
    }
    vn = vp->vn;
    s = vn->slice;
    if (s->budget || vn->policer.rate) {
        return false;
    }
    for (uint16_t i = 0; i < n; i++) {
        const uint8_t *eth = rte_pktmbuf_mtod(pkts[i], const uint8_t *);
        if (unlikely(rte_pktmbuf_data_len(pkts[i]) < ETH_HLEN_
                     || (eth[12] == 0x81 && eth[13] == 0x00
                         && (!whole || rte_pktmbuf_data_len(pkts[i])
                                       < ETH_HLEN_ + 4)))) {
            return false;       /* short or tagged: the general path */
        }
        bytes += rte_pktmbuf_pkt_len(pkts[i]);
        in_vports[i] = vp->idx;
    }
    dp_count_access_rx(w, p, vp, n, bytes);
    dp_vnode_input(w, vn, pkts, in_vports, n, now_s);
    return true;
}

/* The cut-through pair: frames from an access port bound untagged (not
 * whole) to one vnode, of a slice without budget or policer, whose plane
 * has pair() and whose only other vport is an untagged access vport on a
 * port of this worker (a two-port bridge, l2learn by default).  The burst
 * goes from the driver through one call of the plane, which decides the
 * frames and reads their headers once, to the other port's queue (straight
 * to its device when nothing is to shape, dp_enqueue_burst()), with every
 * counter written once per burst.  What it skips is provably empty here:
 * the per-frame vport of a single binding, the budget and policer, the
 * verdict array and runs (one destination but drops), the flood to the one
 * other vport, and the egress check of an untagged vport (the plane took
 * no tagged frame and changes none).
 *
 * Whether a port's frames may take it depends on the configuration only,
 * so dp_pair_publish() works it out once per change (the workers paused)
 * into p->pair. */
static void
dp_pair_publish(struct dp_port *p)
{
    struct dp_pair *pr = &p->pair;
    struct dp_vport *vp = p->bindings.untagged, *o = NULL;
    unsigned w = p->worker;
    struct dp_vnode *vn;

    memset(pr, 0, sizeof *pr);
    if (!vp || p->bindings.n_tagged) {
        return;
    }
    vn = vp->vn;
    if (!vn->fp->pair || vn->n_live != 2 || vn->slice->budget || vn->policer.rate) {
        return;
    }
    for (uint16_t v = 0; v < vn->n_vports && !o; v++) {
        if (vn->vports[v] && vn->vports[v] != vp) {
            o = vn->vports[v];
        }
    }
    if (!o || o->type != DP_VPORT_ACCESS || o->bind != DP_BIND_UNTAGGED || o->peer
        || !o->port || o->port->worker != w || !o->queue) {
        return;
    }
    pr->vp = vp;
    pr->o = o;
}

/* The pair's burst (see above): false, having done nothing, when the port
 * has none or a frame needs the general path (the plane declined). */
static inline bool
dp_rx_access_pair(unsigned w, struct dp_port *p, struct rte_mbuf **pkts,
                  uint16_t n, uint32_t now_s)
{
    struct dp_vport *vp = p->pair.vp, *o = p->pair.o;
    struct dp_vnode *vn;
    uint64_t bytes, bytes_out;
    uint16_t k;

    if (!vp) {
        return false;
    }
    vn = vp->vn;

    struct dp_fp_ctx ctx = { .now_s = now_s, .now_ns = dp.workers[w].now,
                             .n_vports = vn->n_vports,
                             .is_vlink = vn->is_vlink, .vn = vn, .worker = w };
    uint64_t t0 = DP_STAGE_TSC();
    k = vn->fp->pair(vn->wfp_state ? vn->wfp_state[w] : vn->fp_state, pkts, n,
                     vp->idx, &ctx, &bytes, &bytes_out);
    DP_STAGE_ADD(w, fp, DP_STAGE_TSC() - t0);
    if (k == DP_FP_PAIR_DECLINED) {
        return false;
    }
    dp_count_access_rx(w, p, vp, n, bytes);
    for (uint16_t i = k; i < n; i++) {
        dp_drop(pkts[i], VN_CTR(vn, w), VN_SCTR(vn, w), DP_DROP_FP_DROP);
    }
    if (k) {
        VP_CTR(o, w)->tx_packets += k;
        VP_CTR(o, w)->tx_bytes += bytes_out;
        dp_enqueue_burst(w, o->queue, pkts, k, bytes_out);
    }
    return true;
}

/* The frames of a received burst on their way to the plane, a run for
 * one vnode at a time (dp_rx_access()). */
struct dp_rx_batch {
    struct dp_vnode *vn;        /* whose frames 'm' holds */
    uint16_t n;
    struct rte_mbuf *m[DP_BURST];
    uint16_t in_vports[DP_BURST];
};

/* Gives the frames of 'b' to their vnode's plane (worker 'w'). */
static inline void
dp_rx_batch_flush(unsigned w, struct dp_rx_batch *b, uint32_t now_s)
{
    if (b->n) {
        dp_vnode_input(w, b->vn, b->m, b->in_vports, b->n, now_s);
        b->n = 0;
    }
}

/* Counts frame 'm' ('len' bytes) as received by vport 'vp' on worker 'w'
 * and appends it to 'b', which first goes to the plane if it holds
 * another vnode's frames or is full (a burst with a super-frame cut into
 * segments holds more than DP_BURST frames). */
static inline void
dp_rx_batch_add(unsigned w, struct dp_rx_batch *b, struct dp_vport *vp,
                struct rte_mbuf *m, uint32_t len, uint32_t now_s)
{
    struct dp_vnode *vn = vp->vn;

    VP_CTR(vp, w)->rx_packets++;
    VP_CTR(vp, w)->rx_bytes += len;
    VN_CTR(vn, w)->rx_packets++;
    VN_CTR(vn, w)->rx_bytes += len;
    if (vn != b->vn || unlikely(b->n == DP_BURST)) {
        dp_rx_batch_flush(w, b, now_s);
        b->vn = vn;
    }
    b->m[b->n] = m;
    b->in_vports[b->n++] = vp->idx;
}

/* Polices super-frame 'm', received on vport 'vp' by worker 'w', whose
 * bytes on the wire are more than policer 'tb' can ever hold: whole, it
 * would never pass, so it is cut into its segments and each is policed
 * alone, as the same stream from a sender without segmentation offload
 * would be (and as Linux's tbf cuts what is over its burst).  The
 * segments that pass go on in 'b'; the others are dropped ("policer"),
 * each counted as a frame, as the frames of a lossy link are. */
static void
dp_police_cut(unsigned w, struct dp_vport *vp, struct qsched_tb *tb,
              struct rte_mbuf *m, struct dp_rx_batch *b, uint32_t now_s)
{
    struct dp_vnode *vn = vp->vn;
    struct rte_mbuf *segs[DP_GSO_MAX_SEGS];
    int why = DP_DROP_GSO;
    uint16_t ns = dp_gso_segment(m, segs, DP_GSO_MAX_SEGS, 0, &why);

    if (!ns) {
        dp_drop(m, VN_CTR(vn, w), VN_SCTR(vn, w), why);
        return;
    }
    for (uint16_t i = 0; i < ns; i++) {
        uint32_t len = rte_pktmbuf_pkt_len(segs[i]);

        if (!qsched_tb_has(tb, len)) {
            dp_drop(segs[i], VN_CTR(vn, w), VN_SCTR(vn, w), DP_DROP_POLICER);
            continue;
        }
        qsched_tb_take(tb, len);
        dp_rx_batch_add(w, b, vp, segs[i], len, now_s);
    }
}

/* Frames from an access port: classify by (port, VLAN), then police. */
static void
dp_rx_access(unsigned w, struct dp_worker *wk, struct dp_port *p,
             struct rte_mbuf **pkts, uint16_t n, uint64_t now, uint32_t now_s)
{
    struct dp_rx_batch b;

    b.vn = NULL;
    b.n = 0;
    if (dp_rx_access_pair(w, p, pkts, n, now_s)) {
        return;
    }
    dp_rx_prefetch(pkts, n);
    if (dp_rx_access_simple(w, p, pkts, n, now_s)) {
        return;
    }
    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];
        uint8_t *eth = rte_pktmbuf_mtod(m, uint8_t *);

        p->ctr.rx_bytes += rte_pktmbuf_pkt_len(m);
        uint32_t len = rte_pktmbuf_data_len(m);
        struct dp_vport *vp;
        struct dp_vnode *vn;
        struct dp_slice *s;
        int vlan;

        vp = classify_access(&p->bindings, eth, len, &vlan);
        if (unlikely(!vp)) {
            dp_drop(m, &p->ctr, NULL, vlan == CLASSIFY_MALFORMED
                    ? DP_DROP_MALFORMED : DP_DROP_NO_BINDING);
            continue;
        }
        if (vp->bind <= DP_BIND_VLAN && (vlan >= 0 || (len >= 14
                && eth[12] == 0x81 && eth[13] == 0x00))) {
            /* Strip the tag (also a priority tag on the untagged binding);
             * vports bound to a VLAN set or the whole port keep it. */
            memmove(eth + 4, eth, 12);
            rte_pktmbuf_adj(m, 4);
        }
        vn = vp->vn;
        s = vn->slice;
        len = rte_pktmbuf_pkt_len(m);
        VN_SCTR(vn, w)->rx_packets++;
        VN_SCTR(vn, w)->rx_bytes += len;

        /* With several workers, each has its own budget per round and
         * its share of the policer (dp_vnode_policer_init()). */
        struct qsched_tb *tb = &vn->policer;
        uint64_t *b_round = &vn->budget_round;
        uint32_t *b_used = &vn->budget_used;
        if (unlikely(vn->wiso != NULL)) {
            tb = &vn->wiso[w].policer;
            b_round = &vn->wiso[w].budget_round;
            b_used = &vn->wiso[w].budget_used;
        }
        if (s->budget) {
            if (*b_round != wk->rounds) {
                *b_round = wk->rounds;
                *b_used = 0;
            }
            if (unlikely(*b_used >= s->budget)) {
                dp_drop(m, VN_CTR(vn, w), VN_SCTR(vn, w), DP_DROP_BUDGET);
                continue;
            }
            (*b_used)++;
        }
        if (tb->rate) {
            /* A super-frame is charged its bytes on the wire. */
            uint32_t cost = unlikely(dp_gso_is_super(m)) ? dp_gso_wire_len(m) : len;

            qsched_tb_refill(tb, now);
            if (unlikely(cost > tb->burst / QSCHED_NS) && dp_gso_is_super(m)) {
                dp_police_cut(w, vp, tb, m, &b, now_s);
                continue;
            }
            if (unlikely(!qsched_tb_has(tb, cost))) {
                dp_drop(m, VN_CTR(vn, w), VN_SCTR(vn, w), DP_DROP_POLICER);
                continue;
            }
            qsched_tb_take(tb, cost);
        }
        dp_rx_batch_add(w, &b, vp, m, len, now_s);
    }
    dp_rx_batch_flush(w, &b, now_s);
}

/* Frames from a link port: the label names the slice and the action. */
static void
dp_rx_link(unsigned w, struct dp_switch *sw, struct dp_port *p,
           struct rte_mbuf **pkts, uint16_t n, uint32_t now_s)
{
    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];
        uint8_t *h = rte_pktmbuf_mtod(m, uint8_t *);
        struct dp_label_entry *e;
        uint32_t label;
        uint8_t ttl;

        if (i + 1 < n) {
            rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
        }
        p->ctr.rx_bytes += rte_pktmbuf_pkt_len(m);
        if (unlikely(!classify_mpls(h, rte_pktmbuf_data_len(m), &label, &ttl))) {
            dp_drop(m, &p->ctr, NULL, DP_DROP_NOT_MPLS);
            continue;
        }
        e = label_table_lookup(&sw->labels, p->uid, label);
        if (unlikely(!e)) {
            dp_drop(m, &p->ctr, NULL, DP_DROP_NO_LABEL);
            continue;
        }
        if (e->op == DP_LABEL_SWAP) {
            if (unlikely(ttl <= 1)) {
                /* The queue's slice counters are its port owner's. */
                dp_drop(m, &p->ctr, e->queue->port->worker == w
                        ? e->queue->sctr : NULL, DP_DROP_TTL);
                continue;
            }
            classify_put_label(h + ETH_HLEN_, e->out_label, ttl - 1);
            h[9] = sw->idx >> 16;
            h[10] = sw->idx >> 8;
            h[11] = sw->idx;
            dp_enqueue(w, e->queue, m);
        } else if (unlikely(h[ETH_HLEN_ + 4] >> 4 == 1)) {
            dp_vccv_input(e, m, dp.workers[w].now);   /* VCCV, not the vnode's */
        } else {
            struct dp_vport *vp = e->vport;
            uint16_t in = vp->idx;

            rte_pktmbuf_adj(m, EOMPLS_HLEN);
            VP_CTR(vp, w)->rx_packets++;
            VP_CTR(vp, w)->rx_bytes += rte_pktmbuf_pkt_len(m);
            VN_CTR(vp->vn, w)->rx_packets++;
            VN_CTR(vp->vn, w)->rx_bytes += rte_pktmbuf_pkt_len(m);
            dp_vnode_input(w, vp->vn, &m, &in, 1, now_s);
        }
    }
}

/* ---- Transmit -------------------------------------------------------- */

struct dp_tx_ctx {
    unsigned w;
    struct dp_port *p;
    struct rte_mbuf *pkts[DP_BURST];
    struct dp_queue *qs[DP_BURST];
    uint16_t n;
};

static struct qsched_queue *
dp_tx_queue(void *ctx_, unsigned i)
{
    struct dp_tx_ctx *ctx = ctx_;
    return &ctx->p->backlog[i]->sched;
}

static uint32_t
dp_tx_head(void *ctx_, unsigned i)
{
    struct dp_tx_ctx *ctx = ctx_;
    struct dp_queue *q = ctx->p->backlog[i];

    return q->count ? dp_pkt_wire_len(q->ring[q->head]) : 0;
}

static void
dp_tx_take(void *ctx_, unsigned i)
{
    struct dp_tx_ctx *ctx = ctx_;
    struct dp_queue *q = ctx->p->backlog[i];
    struct rte_mbuf *m = q->ring[q->head];
    uint32_t len = rte_pktmbuf_pkt_len(m);

    q->head = (q->head + 1) & q->mask;
    q->count--;
    dp_slice_hold(q->slice, ctx->w, m, -1);
    q->ctr.tx_packets++;
    q->ctr.tx_bytes += len;
    if (!q->port->is_link) {
        q->sctr->tx_packets++;
        q->sctr->tx_bytes += len;
    }
    ctx->pkts[ctx->n] = m;
    ctx->qs[ctx->n++] = q;
}

/* Gives unsent packets back to the head of their queues, newest first,
 * so order is kept and nothing is lost to a busy device. */
static void
dp_tx_requeue(struct dp_tx_ctx *ctx, uint16_t from)
{
    for (uint16_t i = ctx->n; i-- > from;) {
        struct dp_queue *q = ctx->qs[i];

        q->head = (q->head - 1) & q->mask;
        q->ring[q->head] = ctx->pkts[i];
        q->count++;
        dp_slice_hold(q->slice, ctx->w, ctx->pkts[i], 1);
        q->ctr.tx_packets--;
        q->ctr.tx_bytes -= rte_pktmbuf_pkt_len(ctx->pkts[i]);
        if (!q->port->is_link) {
            q->sctr->tx_packets--;
            q->sctr->tx_bytes -= rte_pktmbuf_pkt_len(ctx->pkts[i]);
        }
        if (!q->active) {
            q->active = true;
            ctx->p->backlog[ctx->p->n_backlog++] = q;
        }
    }
}

static inline uint64_t
dp_rand(struct dp_port *p)
{
    return util_xorshift64(&p->rng);     /* per port: no sharing */
}

const uint64_t dp_late_bounds_ns[DP_LATE_BUCKETS - 1] = {
    20000, 100000, 500000, 2000000
};

/* Counts, for worker 'w', how late the first 'n' frames of port 'p''s
 * delay line leave at 'now' against their due time (dp_workers_to_json()
 * shows it): where an emulated hop's delay grows. */
static void
dp_note_late(unsigned w, const struct dp_port *p, uint16_t n, uint64_t now)
{
    struct dp_worker *wk = &dp.workers[w];

    for (uint16_t i = 0; i < n; i++) {
        uint64_t late = now - p->delay_line[(p->dl_head + i) & p->dl_mask].due;
        unsigned b = 0;

        while (b < DP_LATE_BUCKETS - 1 && late >= dp_late_bounds_ns[b]) {
            b++;
        }
        wk->late_hist[b]++;
        wk->late_ns += late;
        wk->late_max_ns = late > wk->late_max_ns ? late : wk->late_max_ns;
    }
    wk->late_frames += n;
}

/* Sends 'n' packets of 'pkts' on port 'p' and counts what the device took
 * on the port, in wire bytes (a super-frame's segments, read before
 * dp_worker_tx() may cut it).  Returns how many it took. */
static inline uint16_t
dp_tx_counted(unsigned w, struct dp_port *p, struct rte_mbuf **pkts, uint16_t n)
{
    uint32_t wire[DP_BURST];

    for (uint16_t i = 0; i < n; i++) {
        wire[i] = dp_pkt_wire_len(pkts[i]);
    }
    uint16_t sent = dp_worker_tx(w, p, pkts, n);
    for (uint16_t i = 0; i < sent; i++) {
        p->ctr.tx_bytes += wire[i];
    }
    p->ctr.tx_packets += sent;
    return sent;
}

/* Serves a port's backlog and delay line.  Returns the ns until the port
 * next needs service: 0 for "as soon as possible", UINT64_MAX for "only
 * when something new arrives". */
static uint64_t
dp_tx_port(unsigned w, struct dp_port *p, uint64_t now)
{
    struct dp_tx_ctx ctx = { .w = w, .p = p, .n = 0 };
    uint64_t next = UINT64_MAX;
    unsigned max = DP_BURST;

    if (p->delay_line) {
        unsigned room = p->dl_mask + 1 - p->dl_count;
        max = room < max ? room : max;
    }
    if (p->n_backlog && max && !p->rate_bps && !p->n_shaped) {
        /* Nothing to shape: drain the backlog round robin, in bulk. */
        uint32_t k = 0;
        uint32_t at = p->n_backlog > 1 ? p->sched.rr % p->n_backlog : 0;
        for (uint32_t i = 0; i < p->n_backlog; i++, at = at + 1 < p->n_backlog ? at + 1 : 0) {
            struct dp_queue *q = p->backlog[at];
            uint32_t take = RTE_MIN(q->count, max - ctx.n);
            uint64_t bytes = 0;
            uint32_t supers = 0;

            for (uint32_t j = 0; j < take; j++) {
                struct rte_mbuf *m = q->ring[(q->head + j) & q->mask];
                bytes += rte_pktmbuf_pkt_len(m);
                supers += dp_gso_is_super(m);
                ctx.pkts[ctx.n] = m;
                ctx.qs[ctx.n++] = q;
            }
            q->head = (q->head + take) & q->mask;
            q->count -= take;
            q->slice->held[w] -= take;
            q->slice->gso_held[w] -= supers;
            q->ctr.tx_packets += take;
            q->ctr.tx_bytes += bytes;
            if (!p->is_link) {
                q->sctr->tx_packets += take;
                q->sctr->tx_bytes += bytes;
            }
        }
        p->sched.rr++;
        for (uint32_t i = 0; i < p->n_backlog; i++) {
            struct dp_queue *q = p->backlog[i];
            if (q->count) {
                p->backlog[k++] = q;
            } else {
                q->active = false;
            }
        }
        p->n_backlog = k;
        if (k) {
            next = 0;
        }
    } else if (p->n_backlog && max) {
        qsched_service(&p->sched, p->n_backlog, now, max, dp_tx_queue,
                       dp_tx_head, dp_tx_take, &ctx);

        /* Drop emptied queues from the backlog. */
        uint32_t k = 0;
        for (uint32_t i = 0; i < p->n_backlog; i++) {
            struct dp_queue *q = p->backlog[i];
            if (q->count) {
                p->backlog[k++] = q;
            } else {
                q->active = false;
            }
        }
        p->n_backlog = k;
        if (k) {
            struct dp_queue *q = p->backlog[0];
            next = qsched_port_wait(&p->sched, dp_pkt_wire_len(q->ring[q->head]));
        }
    }

    /* Emulated loss. */
    if (p->loss_ppm && ctx.n) {
        uint16_t k = 0;
        for (uint16_t i = 0; i < ctx.n; i++) {
            /* A super-frame loses segments when it is cut (dp_gso_tx()). */
            if (dp_rand(p) % 1000000 < p->loss_ppm && !dp_gso_is_super(ctx.pkts[i])) {
                dp_drop(ctx.pkts[i], &p->ctr, ctx.qs[i]->sctr,
                        DP_DROP_LINK_LOSS);
            } else {
                ctx.pkts[k] = ctx.pkts[i];
                ctx.qs[k++] = ctx.qs[i];
            }
        }
        ctx.n = k;
    }

    if (!p->delay_line) {
        if (ctx.n) {
            uint16_t sent = dp_tx_counted(w, p, ctx.pkts, ctx.n);
            if (sent < ctx.n) {
                dp_tx_requeue(&ctx, sent);
                next = 0;
            }
        }
        return next;
    }

    /* Delay line: hold each packet until its due time, counted again in
     * its slice's buffers (dp_delayed). */
    uint64_t due = now + (uint64_t) p->delay_us * 1000;
    for (uint16_t i = 0; i < ctx.n; i++) {
        struct dp_delayed *d = &p->delay_line[(p->dl_head + p->dl_count) & p->dl_mask];
        d->m = ctx.pkts[i];
        d->due = due;
        d->s = ctx.qs[i]->slice;
        dp_delayed_hold(d, w, 1);
        p->dl_count++;
    }
    while (p->dl_count) {
        struct rte_mbuf *out[DP_BURST];
        uint16_t n = 0;

        while (n < DP_BURST && n < p->dl_count) {
            struct dp_delayed *d = &p->delay_line[(p->dl_head + n) & p->dl_mask];
            if (d->due > now) {
                break;
            }
            out[n++] = d->m;
        }
        if (!n) {
            uint64_t wait = p->delay_line[p->dl_head].due - now;
            return wait < next ? wait : next;
        }
        uint16_t sent = dp_tx_counted(w, p, out, n);
        dp_note_late(w, p, sent, now);
        for (uint16_t i = 0; i < sent; i++) {
            dp_delayed_hold(&p->delay_line[(p->dl_head + i) & p->dl_mask], w, -1);
        }
        p->dl_head = (p->dl_head + sent) & p->dl_mask;
        p->dl_count -= sent;
        if (sent < n) {
            return 0;           /* device busy: retry next round */
        }
    }
    return next;
}

/* ---- The loop -------------------------------------------------------- */

bool
dp_worker_pause_requested(void)
{
    return __atomic_load_n(&dp_pause_req, __ATOMIC_ACQUIRE);
}

static void
dp_worker_sleep(struct dp_worker *wk, uint64_t ns)
{
    struct timespec ts = { .tv_sec = 0, .tv_nsec = ns };
    uint64_t t0 = rte_rdtsc();

    nanosleep(&ts, NULL);
    wk->sleeps++;
    wk->sleep_ns += (uint64_t) ((rte_rdtsc() - t0) * dp.ns_per_tsc);
}

void
dp_worker_kick(struct dp_worker *wk)
{
    uint64_t one = 1;

    /* Seq-cst against the worker's store of 'blocked' and its last look
     * at its inputs: either it sees the caller's work, or the caller
     * sees it blocked.  The fence orders the caller's store of its work
     * (a ring's tail, a release store only) before this load: without
     * it, x86 may load 'blocked' first and miss a worker about to block
     * (a handoff left waiting until the worker's next timer). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&wk->blocked, __ATOMIC_SEQ_CST) && wk->kick_fd > 0
        && write(wk->kick_fd, &one, sizeof one) < 0) {
        /* The counter is full: the worker is being woken. */
    }
}

/* Fills wk->pfds with what can wake 'wk': its kick descriptor and every
 * port's socket (a tunnel's frames come on its underlay's), lowering
 * '*timeout_ns' to a tunnel's next timer.  Returns how many, or 0 if some
 * port cannot wake it. */
static unsigned
dp_worker_wakers(struct dp_worker *wk, unsigned w, uint64_t *timeout_ns)
{
    unsigned n = 0;

    for (uint32_t s = 0; s <= wk->n_switches; s++) {
        const struct dp_switch *sw = s < wk->n_switches ? wk->switches[s] : NULL;
        unsigned need = n + (sw ? sw->n_ports : 0) + 1;

        if (need > wk->pfds_cap) {
            struct pollfd *pf = realloc(wk->pfds, 2 * need * sizeof *pf);
            if (!pf) {
                return 0;
            }
            wk->pfds = pf;
            wk->pfds_cap = 2 * need;
        }
        if (!sw) {
            break;              /* room for the kick descriptor */
        }
        for (uint16_t i = 0; i < sw->n_ports; i++) {
            struct dp_port *p = sw->ports[i];

            if (p->worker != w) {
                continue;               /* another worker's */
            }
            if (p->type == DP_PORT_AFP) {
                int fd = dp_afp_poll_fd(p);
                if (fd < 0) {
                    return 0;
                }
                wk->pfds[n++] = (struct pollfd) { .fd = fd, .events = POLLIN };
            } else if (p->type == DP_PORT_RING) {
                /* What this worker sends into a link it reads in the
                 * next round; another worker's frames would not wake it,
                 * nor those of a ring without a link (tests' dummies). */
                const struct dp_link *l = p->link;
                const struct dp_port *peer = l ? l->ends[l->ends[0] == p] : NULL;
                if (!peer || peer->worker != w) {
                    return 0;
                }
            } else if (p->type == DP_PORT_TUN) {
                if (!dp_tunnel_can_block(p, w, wk->now, timeout_ns)) {
                    return 0;
                }
            } else if (p->type == DP_PORT_ETH) {
                /* An ethdev with receive interrupts (net_tap,
                 * net_vhost...); net_af_packet and net_null have none. */
                int fd = dp_port_eth_arm(p, wk->now);
                if (fd < 0) {
                    return 0;
                }
                wk->eth_armed = true;
                wk->pfds[n++] = (struct pollfd) { .fd = fd, .events = POLLIN };
            } else {
                return 0;
            }
        }
    }
    wk->pfds[n++] = (struct pollfd) { .fd = wk->kick_fd, .events = POLLIN };
    return n;
}

/* Disarms the receive interrupts dp_worker_wakers() armed. */
static void
dp_worker_disarm(struct dp_worker *wk)
{
    if (!wk->eth_armed) {
        return;
    }
    wk->eth_armed = false;
    for (uint32_t s = 0; s < wk->n_switches; s++) {
        const struct dp_switch *sw = wk->switches[s];

        for (uint16_t i = 0; i < sw->n_ports; i++) {
            if (sw->ports[i]->type == DP_PORT_ETH) {
                dp_port_eth_disarm(sw->ports[i]);
            }
        }
    }
}

/* Says that 'wk' is about to block (dp_worker_kick() then writes its
 * kick descriptor), unless it has work already: frames handed or
 * injected, a pause, a stop (then returns false, not blocked).  Caps
 * '*timeout_ns' at DP_BLOCK_MAX_MS. */
static bool
dp_worker_block_begin(struct dp_worker *wk, uint64_t *timeout_ns)
{
    __atomic_store_n(&wk->blocked, 1, __ATOMIC_SEQ_CST);
    bool handed = false;
    for (unsigned r = 0; r < wk->n_from; r++) {
        handed |= !rte_ring_empty(wk->from[r]);
    }
    if (handed || !rte_ring_empty(wk->inject) || dp_worker_pause_requested()
        || !wk->running) {
        __atomic_store_n(&wk->blocked, 0, __ATOMIC_SEQ_CST);
        return false;
    }
    if (*timeout_ns > DP_BLOCK_MAX_MS * 1000000ull) {
        *timeout_ns = DP_BLOCK_MAX_MS * 1000000ull;
    }
    return true;
}

/* Blocks 'wk' until a port has a frame, the control side kicks it, or
 * 'timeout_ns' pass.  Returns false, at once, if it cannot block. */
static bool
dp_worker_block(struct dp_worker *wk, unsigned w, uint64_t timeout_ns)
{
    unsigned n = wk->kick_fd > 0 ? dp_worker_wakers(wk, w, &timeout_ns) : 0;

    if (!n) {
        dp_worker_disarm(wk);
        return false;
    }
    if (!dp_worker_block_begin(wk, &timeout_ns)) {
        dp_worker_disarm(wk);
        return true;
    }
    struct timespec ts = { .tv_sec = timeout_ns / 1000000000ull,
                           .tv_nsec = timeout_ns % 1000000000ull };
    uint64_t t0 = rte_rdtsc(), v;

    ppoll(wk->pfds, n, &ts, NULL);
    __atomic_store_n(&wk->blocked, 0, __ATOMIC_SEQ_CST);
    dp_worker_disarm(wk);
    if (wk->pfds[n - 1].revents & POLLIN && read(wk->kick_fd, &v, sizeof v) < 0) {
        /* Another read took it. */
    }
    wk->sleeps++;
    wk->blocks++;
    wk->sleep_ns += (uint64_t) ((rte_rdtsc() - t0) * dp.ns_per_tsc);
    return true;
}

/* Whether 'p' is polled in round 'round': always while it is warm, or
 * when 'all' (the worker's last round was idle: an idle worker polls
 * every port, so a frame after a quiet spell waits for no cold round);
 * a cold port one round in DP_COLD_EVERY, staggered by its index so that
 * each round polls a share of them. */
static inline bool
dp_port_poll_due(const struct dp_port *p, uint64_t round, bool all)
{
    return all || __atomic_load_n(&p->rx_empty, __ATOMIC_RELAXED) < DP_COLD_POLLS
           || ((round + p->idx) & (DP_COLD_EVERY - 1)) == 0;
}

/* Counts a poll of 'p' that received 'n' frames towards its going cold. */
static inline void
dp_port_poll_note(struct dp_port *p, uint16_t n)
{
    uint32_t e = __atomic_load_n(&p->rx_empty, __ATOMIC_RELAXED);

    if (n ? e != 0 : e < DP_COLD_POLLS) {
        __atomic_store_n(&p->rx_empty, n ? 0 : e + 1, __ATOMIC_RELAXED);
    }
}

/* Makes worker 'w' a real-time thread if asked (dp_params): a frame or a
 * delay line's due time then wakes it within tens of microseconds even
 * when other processes keep both cores busy, where an ordinary thread
 * waits for its turn, milliseconds on a loaded machine, once per hop of
 * an emulated path.  The kernel keeps 5% of each second for others. */
static void
dp_worker_set_priority(unsigned w)
{
    struct sched_param sp = { .sched_priority = dp.params.worker_priority };
    int error;

    if (sp.sched_priority > 0
        && (error = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp))) {
        fprintf(stderr, "lamina-switchd: worker %u: cannot run at real-time "
                "priority %d (%s): it stays an ordinary thread\n", w,
                sp.sched_priority, strerror(error));
    }
}

/* In a stage_cycles build: adds the stages' cycles of the received burst
 * of 'n' packets that just ended ('before': the counts as it began, its
 * receive not yet added) to wk->calm and, if it sent anything, to the
 * current window (keeping the best window), unless it took over
 * DP_STAGE_CALM_MAX cycles (then only counted as left out). */
static inline void
dp_stage_calm(struct dp_worker *wk, const struct dp_stage_cycles *before,
              uint16_t n)
{
#ifdef DP_STAGE_CYCLES
    const struct dp_stage_cycles *c = &wk->stage;
    uint64_t rx = c->rx - before->rx, cl = c->classify - before->classify;
    uint64_t fp = c->fp - before->fp, tx = c->tx - before->tx;

    if (rx + cl + fp + tx > DP_STAGE_CALM_MAX) {
        wk->calm_left_out++;
        return;
    }
    wk->calm.rx += rx;
    wk->calm.classify += cl;
    wk->calm.fp += fp;
    wk->calm.tx += tx;
    wk->calm_pkts += n;
    if (!tx) {
        return;     /* nothing forwarded (e.g. dropped before a binding) */
    }
    wk->win.rx += rx;
    wk->win.classify += cl;
    wk->win.fp += fp;
    wk->win.tx += tx;
    wk->win_pkts += n;
    if (wk->win_pkts >= DP_STAGE_WINDOW) {
        const struct dp_stage_cycles *a = &wk->win, *b = &wk->best;
        uint64_t sa = a->rx + a->classify + a->fp + a->tx;
        uint64_t sb = b->rx + b->classify + b->fp + b->tx;

        /* sa / win_pkts < sb / best_pkts, without dividing. */
        if (!wk->best_pkts || sa * wk->best_pkts < sb * wk->win_pkts) {
            wk->best = wk->win;
            wk->best_pkts = wk->win_pkts;
        }
        memset(&wk->win, 0, sizeof wk->win);
        wk->win_pkts = 0;
    }
#else
    (void) wk;
    (void) before;
    (void) n;
#endif
}

static void dp_worker_watch_afp(struct dp_worker *, struct dp_port *);

/* Polls port 'p' of switch 'sw' once and forwards what it received
 * (worker 'w', round at 'now').  Returns how many frames it received. */
static inline __attribute__((always_inline)) uint16_t
dp_worker_rx_port(unsigned w, struct dp_worker *wk, struct dp_switch *sw,
                  struct dp_port *p, uint64_t now, uint32_t now_s)
{
    struct rte_mbuf *pkts[DP_BURST];
    uint64_t t0 = DP_STAGE_TSC();
    uint16_t n = dp_port_rx(p, pkts, DP_BURST), got = n;

    dp_port_poll_note(p, n);
    if (!n) {
        return 0;
    }
    if (p->type == DP_PORT_AFP && wk->sparse_ok) {
        /* Its ring may be growing (this poll may have asked for it):
         * the socket in the epoll set then receives no more.  Bursts
         * of a "vnet-hdr" ring, 15 frames at first, never fill
         * 'pkts', so any burst checks. */
        dp_worker_watch_afp(wk, p);
    }
    uint64_t t1 = DP_STAGE_TSC();
    struct dp_stage_cycles before = wk->stage;
    DP_STAGE_ADD(w, rx, t1 - t0);
    p->ctr.rx_packets += n;
    if (unlikely(p->down)) {
        for (uint16_t k = 0; k < n; k++) {
            dp_drop(pkts[k], &p->ctr, NULL, DP_DROP_LINK_DOWN);
        }
        return got;
    }
    if (unlikely(p->bfd != NULL)) {
        n = dp_bfd_rx(p, pkts, n, now);
        if (!n) {
            return got;
        }
    }
    if (unlikely(p->ul != NULL)) {
        dp_rx_prefetch(pkts, n);
        dp_tunnel_underlay_input(p, pkts, n);
    } else if (p->is_link) {
        dp_rx_prefetch(pkts, n);
        dp_rx_link(w, sw, p, pkts, n, now_s);
    } else {
        dp_rx_access(w, wk, p, pkts, n, now, now_s);
    }
    dp_worker_flush(w, wk);
    DP_STAGE_ADD(w, classify, DP_STAGE_TSC() - t1
                 - (wk->stage.fp - before.fp) - (wk->stage.tx - before.tx));
    dp_stage_calm(wk, &before, n);
    return got;
}

/* Fast reroute at switch 'sw' (worker 'w' is its first): its vlink ends
 * with a backup pick their path when a port's liveness changed, or while
 * on the backup; the ends with end-to-end BFD run it.  Lowers '*next' to
 * the sessions' next timer. */
static void
dp_worker_fr_run(struct dp_switch *sw, uint64_t now, uint64_t *next)
{
    uint32_t gen = __atomic_load_n(&dp.live_gen, __ATOMIC_ACQUIRE);

    if (gen != sw->fr_gen || sw->n_fr_backup) {
        sw->fr_gen = gen;
        sw->n_fr_backup = 0;
        for (uint32_t f = 0; f < sw->n_fr; f++) {
            dp_vlink_fr_check(sw->fr_vports[f], now);
            sw->n_fr_backup += sw->fr_vports[f]->fr->on_backup;
        }
    }
    for (uint32_t f = 0; f < sw->n_vccv; f++) {
        uint64_t t = dp_vccv_run(sw->vccv_vports[f], now);
        *next = t < *next ? t : *next;
    }
}

/* Serves port 'p''s backlog and delay line (worker 'w', at 'now') and
 * lowers '*next_tx' to when it next needs service. */
static void
dp_worker_tx_port(unsigned w, struct dp_worker *wk, struct dp_port *p,
                  uint64_t now, uint64_t *next_tx)
{
    uint64_t sent = p->ctr.tx_packets;
    uint64_t t0 = DP_STAGE_TSC(), tx0 = wk->stage.tx;
    uint64_t t = dp_tx_port(w, p, now);

    DP_STAGE_ADD(w, sched, DP_STAGE_TSC() - t0 - (wk->stage.tx - tx0));

    /* What went into an in-process link is received in the next round:
     * do not sleep before it (without this, each hop could add an idle
     * backoff). */
    if (p->type == DP_PORT_RING && p->ctr.tx_packets != sent) {
        t = 0;
    }
    *next_tx = t < *next_tx ? t : *next_tx;
}

/* ---- Sparse rounds ------------------------------------------------------ */

/* A worker that serves hundreds of switches walks thousands of ports per
 * round; a frame due on one delay line, or a ping from one host, would
 * cost such a round.  While not busy, a worker whose ports can all tell
 * it they have work runs sparse rounds instead, over its lists: the
 * afpacket ports whose socket its epoll set reports readable, the
 * in-process link ends whose peer sent (dp_port_tx_raw()), the ports with
 * a backlog or a delay line (dp_queue_burst()), its tunnels, its ports
 * with BFD and its switches with vlink ends to check; and it waits in
 * epoll for its next timer, a frame on any socket or a kick.  A busy
 * round (a burst's worth of frames) or DP_FULL_EVERY_NS without a full
 * round makes the next round a full one
 * (docs/design.md, "Sparse rounds"). */
#define DP_FULL_EVERY_NS 100000000ull
#define DP_SPARSE_EVENTS 64             /* readable sockets taken per round */

/* Lists port 'p' to poll in its worker's next sparse round (the caller
 * is that worker: dp_port_tx_raw() calls it for a link end it serves). */
void
dp_worker_list_rx(struct dp_port *p)
{
    struct dp_worker *wk = &dp.workers[p->worker];

    dp_worker_list_add(wk, wk->rxl, &wk->n_rxl, &p->rx_listed, p);
}

/* Puts afpacket port 'p' of 'wk' on the watch list if its socket is not
 * (or no longer) the one in the worker's epoll set: the ring is being
 * replaced by a bigger one (dp_afpacket.c), or it could not be added. */
static void
dp_worker_watch_afp(struct dp_worker *wk, struct dp_port *p)
{
    if (unlikely(dp_afp_poll_fd(p) != p->ep_fd)) {
        dp_worker_list_add(wk, wk->watch, &wk->n_watch, &p->ep_watched, p);
    }
}

/* Adds afpacket port 'p''s current socket to 'wk''s epoll set.  Returns
 * false if it has none now (its ring is being replaced). */
static bool
dp_worker_ep_add(struct dp_worker *wk, struct dp_port *p)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = p };
    int fd = dp_afp_poll_fd(p);

    if (fd < 0) {
        return false;
    }
    if (epoll_ctl(wk->epfd, EPOLL_CTL_ADD, fd, &ev)
        && (errno != EEXIST || epoll_ctl(wk->epfd, EPOLL_CTL_MOD, fd, &ev))) {
        return false;
    }
    p->ep_fd = fd;
    return true;
}

/* Frees 'wk''s lists and epoll set for sparse rounds: it runs full
 * rounds until they are built again (workers paused). */
void
dp_worker_sparse_free(struct dp_worker *wk)
{
    if (wk->epfd > 0) {
        close(wk->epfd);
    }
    wk->epfd = 0;
    free(wk->rxl);
    free(wk->txl);
    free(wk->watch);
    free(wk->always);
    free(wk->bfdl);
    free(wk->frsw);
    wk->rxl = wk->txl = wk->watch = wk->always = wk->bfdl = NULL;
    wk->frsw = NULL;
    wk->n_rxl = wk->n_txl = wk->n_watch = wk->n_always = wk->n_bfdl = 0;
    wk->n_frsw = 0;
    wk->lists_lost = false;
    wk->sparse_ok = false;
}

/* Whether worker 'w' can run sparse rounds over its ports of 'sw': each
 * can tell it when it has work.  Counts them into '*n'. */
static bool
dp_worker_sparse_fits(const struct dp_switch *sw, unsigned w, uint32_t *n)
{
    bool ok = true;

    for (uint16_t i = 0; i < sw->n_ports; i++) {
        const struct dp_port *p = sw->ports[i];
        const struct dp_link *l = p->link;

        if (p->worker != w) {
            continue;
        }
        ++*n;
        if (p->type == DP_PORT_RING) {
            ok &= l && l->ends[l->ends[0] == p]->worker == w;
        } else {
            ok &= p->type == DP_PORT_AFP || p->type == DP_PORT_TUN;
        }
    }
    return ok;
}

/* Rebuilds worker 'wk''s (index 'w') lists and epoll set for sparse
 * rounds from its ports (workers paused): a fresh epoll set, so that no
 * socket of a port deleted since stays in it. */
static void
dp_worker_sparse_publish(struct dp_worker *wk, unsigned w)
{
    uint32_t n = 0;
    bool ok = wk->kick_fd > 0;

    for (uint32_t s = 0; s < wk->n_switches; s++) {
        ok &= dp_worker_sparse_fits(wk->switches[s], w, &n);
    }
    dp_worker_sparse_free(wk);
    wk->cap = n;
    for (uint32_t s = 0; s < wk->n_switches; s++) {
        struct dp_switch *sw = wk->switches[s];
        for (uint16_t i = 0; i < sw->n_ports; i++) {
            struct dp_port *p = sw->ports[i];
            if (p->worker == w) {
                p->rx_listed = p->tx_listed = p->ep_watched = false;
                p->ep_fd = -1;
            }
        }
    }
    if (!ok || !n) {
        return;
    }
    wk->rxl = calloc(n, sizeof *wk->rxl);
    wk->txl = calloc(n, sizeof *wk->txl);
    wk->watch = calloc(n, sizeof *wk->watch);
    wk->always = calloc(n, sizeof *wk->always);
    wk->bfdl = calloc(n, sizeof *wk->bfdl);
    wk->frsw = calloc(wk->n_switches, sizeof *wk->frsw);
    wk->epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event kev = { .events = EPOLLIN, .data.ptr = NULL };
    if (!wk->rxl || !wk->txl || !wk->watch || !wk->always || !wk->bfdl
        || !wk->frsw || wk->epfd < 0
        || epoll_ctl(wk->epfd, EPOLL_CTL_ADD, wk->kick_fd, &kev)) {
        fprintf(stderr, "lamina-switchd: worker %u: no sparse rounds (%s): "
                "every round polls every port\n", w, strerror(errno));
        dp_worker_sparse_free(wk);
        return;
    }
    for (uint32_t s = 0; s < wk->n_switches; s++) {
        struct dp_switch *sw = wk->switches[s];

        if (sw->n_fr && sw->worker == w) {
            wk->frsw[wk->n_frsw++] = sw;
        }
        for (uint16_t i = 0; i < sw->n_ports; i++) {
            struct dp_port *p = sw->ports[i];

            if (p->worker != w) {
                continue;
            }
            if (p->type == DP_PORT_AFP && !dp_worker_ep_add(wk, p)) {
                p->ep_watched = true;
                wk->watch[wk->n_watch++] = p;
            } else if (p->type == DP_PORT_TUN) {
                wk->always[wk->n_always++] = p;
            }
            if (p->bfd) {
                wk->bfdl[wk->n_bfdl++] = p;
            }
            if (p->n_backlog || p->dl_count) {
                p->tx_listed = true;
                wk->txl[wk->n_txl++] = p;
            }
            if (p->type == DP_PORT_RING && p->rx_pending) {
                p->rx_listed = true;
                wk->rxl[wk->n_rxl++] = p;
            }
        }
    }
    wk->sparse_ok = true;
    wk->last_full_ns = 0;                /* a full round first */
}

/* Takes what 'wk''s epoll set reports readable (without waiting) onto its
 * list of ports to poll; reads the kick descriptor if it was written. */
static void
dp_worker_sparse_events(struct dp_worker *wk)
{
    struct epoll_event ev[DP_SPARSE_EVENTS];
    int n = epoll_wait(wk->epfd, ev, DP_SPARSE_EVENTS, 0);
    uint64_t v;

    for (int i = 0; i < n; i++) {
        struct dp_port *p = ev[i].data.ptr;

        if (!p) {
            if (read(wk->kick_fd, &v, sizeof v) < 0) {
                /* Another read took it. */
            }
        } else {
            if (unlikely(ev[i].events & EPOLLERR)) {
                /* A socket error (its interface went down): taken, so
                 * that epoll does not report it again and again. */
                int e;
                socklen_t len = sizeof e;
                getsockopt(p->ep_fd, SOL_SOCKET, SO_ERROR, &e, &len);
            }
            dp_worker_list_rx(p);
        }
    }
}

/* A sparse round of worker 'w' at 'now': polls only the ports that have
 * frames (or may: watched and tunnel ports), runs the BFD and fast
 * reroute timers, serves only the ports with a backlog or a delay line.
 * Lowers '*next' and '*next_tx' as the full round does; returns how many
 * frames it received.  'hold': receive nothing (dp_handoff_hold()). */
static uint64_t
dp_worker_sparse_round(unsigned w, struct dp_worker *wk, uint64_t now,
                       uint32_t now_s, bool hold, uint64_t *next,
                       uint64_t *next_tx)
{
    uint64_t n_rx = 0;

    wk->sparse_rounds++;
    if (!hold) {
        dp_worker_sparse_events(wk);
        for (uint32_t i = 0; i < wk->n_watch;) {
            struct dp_port *p = wk->watch[i];

            n_rx += dp_worker_rx_port(w, wk, p->sw, p, now, now_s);
            if (dp_worker_ep_add(wk, p)) {
                p->ep_watched = false;
                wk->watch[i] = wk->watch[--wk->n_watch];
            } else {
                i++;
            }
        }
        /* Those listed so far; what this round sends into a link waits
         * for the next, as in a full round. */
        uint32_t n = wk->n_rxl;
        for (uint32_t i = 0; i < n; i++) {
            struct dp_port *p = wk->rxl[i];

            p->rx_listed = false;
            n_rx += dp_worker_rx_port(w, wk, p->sw, p, now, now_s);
            if (p->type == DP_PORT_RING && p->rx_pending) {
                /* More than a burst waits (a socket with more is
                 * reported again by epoll). */
                dp_worker_list_rx(p);
            }
        }
        memmove(wk->rxl, wk->rxl + n, (wk->n_rxl - n) * sizeof *wk->rxl);
        wk->n_rxl -= n;
        /* The tunnels last: what their underlay brought this round. */
        for (uint32_t i = 0; i < wk->n_always; i++) {
            struct dp_port *p = wk->always[i];
            n_rx += dp_worker_rx_port(w, wk, p->sw, p, now, now_s);
        }
    }
    for (uint32_t i = 0; i < wk->n_frsw; i++) {
        dp_worker_fr_run(wk->frsw[i], now, next);
    }
    for (uint32_t i = 0; i < wk->n_bfdl; i++) {
        uint64_t t = dp_bfd_run(wk->bfdl[i], now);
        *next = t < *next ? t : *next;
    }
    for (uint32_t i = 0; i < wk->n_txl;) {
        struct dp_port *p = wk->txl[i];

        if (p->n_backlog || p->dl_count) {
            dp_worker_tx_port(w, wk, p, now, next_tx);
        }
        if (p->n_backlog || p->dl_count) {
            i++;
        } else {
            p->tx_listed = false;
            wk->txl[i] = wk->txl[--wk->n_txl];
        }
    }
    return n_rx;
}

/* After an idle sparse round: waits in 'wk''s epoll set until a socket
 * is readable, the control side or another worker kicks it, or
 * 'timeout_ns' pass (lowered to its tunnels' timers, and to DP_IDLE_MAX_US
 * while a socket is being replaced). */
static void
dp_worker_sparse_wait(struct dp_worker *wk, unsigned w, uint64_t timeout_ns)
{
    struct epoll_event ev;

    for (uint32_t i = 0; i < wk->n_always; i++) {
        uint64_t t = timeout_ns;
        if (!dp_tunnel_can_block(wk->always[i], w, wk->now, &t)) {
            /* Its frames come on a port another worker polls, or wait
             * in its ring: look again soon, as an unblockable worker
             * does. */
            t = DP_IDLE_MAX_US * 1000ull;
        }
        timeout_ns = t < timeout_ns ? t : timeout_ns;
    }
    if (wk->n_watch && timeout_ns > DP_IDLE_MAX_US * 1000ull) {
        /* A socket being replaced: the new one, not yet in the set,
         * may receive meanwhile (as an unblockable worker, look again
         * soon). */
        timeout_ns = DP_IDLE_MAX_US * 1000ull;
    }
    if (!dp_worker_block_begin(wk, &timeout_ns)) {
        return;
    }
    struct timespec ts = { .tv_sec = timeout_ns / 1000000000ull,
                           .tv_nsec = timeout_ns % 1000000000ull };
    uint64_t t0 = rte_rdtsc();

    /* What it reports is taken by the next round (dp_worker_sparse_events()). */
    epoll_pwait2(wk->epfd, &ev, 1, &ts, NULL);
    __atomic_store_n(&wk->blocked, 0, __ATOMIC_SEQ_CST);
    wk->sleeps++;
    wk->blocks++;
    wk->sleep_ns += (uint64_t) ((rte_rdtsc() - t0) * dp.ns_per_tsc);
}

/* After a round of worker 'wk' (at 'now') that found no work: waits for
 * a frame due in 'next_tx' ns, spinning if it is within DP_WAKE_EARLY_NS,
 * else sleeping until then (at most DP_IDLE_MAX_US: a longer wait takes
 * the back-off below), once the idle spin is over: DP_IDLE_SPIN_ROUNDS
 * rounds ('*idle_rounds') or DP_IDLE_SPIN_NS since the first
 * ('*idle_t0'), whichever comes first (a round over hundreds of switches
 * takes tens of microseconds).  Lowers '*next' to the wake-up time for a
 * due frame.  Returns true if the caller is to run the next round. */
static bool
dp_worker_wait_due(struct dp_worker *wk, uint64_t now, uint64_t *next,
                   uint64_t next_tx, uint32_t *idle_rounds, uint64_t *idle_t0)
{
    if (next_tx <= DP_WAKE_EARLY_NS) {
        rte_pause();
        return true;
    }
    if (next_tx != UINT64_MAX) {
        next_tx -= DP_WAKE_EARLY_NS;
        *next = next_tx < *next ? next_tx : *next;
    }
    if (!*idle_rounds) {
        *idle_t0 = now;
    }
    if (++*idle_rounds < DP_IDLE_SPIN_ROUNDS && now - *idle_t0 < DP_IDLE_SPIN_NS) {
        return true;
    }
    if (next_tx < DP_IDLE_MAX_US * 1000ull) {
        dp_worker_sleep(wk, *next);
        return true;
    }
    return false;
}

/* Whether worker 'wk''s round at 'now' is a sparse one: it can run them,
 * its lists are whole (one that overflowed, which the lists' size rules
 * out, stops them until the next dp_worker_publish()), the last round received under a burst ('last_rx')
 * and it ran a full round within DP_FULL_EVERY_NS.  A full round counts
 * as such here. */
static inline bool
dp_worker_sparse_due(struct dp_worker *wk, uint64_t now, uint64_t last_rx)
{
    if (wk->sparse_ok && !wk->lists_lost && last_rx < DP_BURST
        && now - wk->last_full_ns < DP_FULL_EVERY_NS) {
        return true;
    }
    wk->last_full_ns = now;
    return false;
}

int
dp_worker_main(void *arg)
{
    struct dp_worker *wk = arg;
    unsigned w = wk - dp.workers;
    uint32_t idle_rounds = 0;
    uint64_t backoff_ns = 0, idle_t0 = 0;
    bool poll_all = true;               /* dp_port_poll_due() */
    uint64_t last_rx = 0;               /* frames the last round received */

    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    dp_worker_set_priority(w);
    while (wk->running) {
        uint64_t next = UINT64_MAX;     /* BFD's next packet or check */
        uint64_t next_tx = UINT64_MAX;  /* a delay line's or shaper's next frame */
        uint64_t n_rx = 0;

        if (unlikely(dp_worker_pause_requested())) {
            __atomic_store_n(&dp_paused[w], 1, __ATOMIC_SEQ_CST);
            while (dp_worker_pause_requested() && wk->running) {
                rte_pause();
            }
            __atomic_store_n(&dp_paused[w], 0, __ATOMIC_SEQ_CST);
            continue;
        }

        uint64_t now = dp_now_ns();
        uint32_t now_s = now / 1000000000ull;
        /* Release: what the last round read is done before the count
         * moves (dp_quiesce()). */
        __atomic_store_n(&wk->rounds, wk->rounds + 1, __ATOMIC_RELEASE);
        wk->now = now;

        if (unlikely(!rte_ring_empty(wk->inject))) {
            n_rx += dp_run_injects(w, wk, now_s);
            dp_worker_flush(w, wk);
        }
        bool hold = false;
        if (unlikely(wk->n_from)) {
            n_rx += dp_handoff_drain(w, wk, now_s);
            dp_worker_flush(w, wk);
            /* A held round counts as idle: on a shared CPU, the owner
             * it waits for may need the time (see docs/design.md). */
            hold = dp_handoff_hold(wk);
        }

        bool sparse = dp_worker_sparse_due(wk, now, last_rx);
        if (sparse) {
            n_rx += dp_worker_sparse_round(w, wk, now, now_s, hold, &next, &next_tx);
        }
        for (uint32_t s = 0; s < wk->n_switches && !sparse; s++) {
            struct dp_switch *sw = wk->switches[s];

            if (unlikely(sw->n_fr) && w == sw->worker) {
                dp_worker_fr_run(sw, now, &next);
            }

            for (uint16_t i = 0; i < sw->n_ports; i++) {
                struct dp_port *p = sw->ports[i];
                if (p->worker != w || unlikely(hold)
                    || !dp_port_poll_due(p, wk->rounds, poll_all)) {
                    continue;           /* another worker's, held back, cold */
                }
                n_rx += dp_worker_rx_port(w, wk, sw, p, now, now_s);
            }
            for (uint16_t i = 0; i < sw->n_ports; i++) {
                struct dp_port *p = sw->ports[i];

                if (p->worker != w) {
                    continue;
                }
                if (unlikely(p->bfd != NULL)) {
                    uint64_t t = dp_bfd_run(p, now);
                    next = t < next ? t : next;
                }
                if (p->n_backlog || p->dl_count) {
                    dp_worker_tx_port(w, wk, p, now, &next_tx);
                }
            }
        }

        if (unlikely(wk->punted)) {
            uint64_t one = 1;
            wk->punted = false;
            if (write(dp.punt_fd, &one, sizeof one) < 0) {
                /* The counter is full: the control side is signalled. */
            }
        }
        wk->pkts += n_rx;
        poll_all = !n_rx;
        last_rx = n_rx;
        if (n_rx || next_tx == 0 || next == 0) {
            wk->busy_rounds += n_rx != 0;
            idle_rounds = 0;
            backoff_ns = 0;
            continue;
        }
        if (wk->sparse_ok && !wk->lists_lost) {
            /* A frame due within DP_WAKE_EARLY_NS is waited for by
             * spinning, a later one in epoll until just before it. */
            if (next_tx <= DP_WAKE_EARLY_NS) {
                rte_pause();
            } else {
                next_tx = next_tx == UINT64_MAX ? next_tx : next_tx - DP_WAKE_EARLY_NS;
                dp_worker_sparse_wait(wk, w, next < next_tx ? next : next_tx);
            }
            continue;
        }
        if (dp_worker_wait_due(wk, now, &next, next_tx, &idle_rounds, &idle_t0)) {
            continue;
        }
        if (backoff_ns >= DP_IDLE_MAX_US * 1000ull
            && dp_worker_block(wk, w, next)) {
            continue;
        }
        backoff_ns = backoff_ns ? backoff_ns * 2 : 1000;
        if (backoff_ns > DP_IDLE_MAX_US * 1000ull) {
            backoff_ns = DP_IDLE_MAX_US * 1000ull;
        }
        dp_worker_sleep(wk, next < backoff_ns ? next : backoff_ns);
    }
    __atomic_store_n(&dp_paused[w], 1, __ATOMIC_SEQ_CST);
    return 0;
}
