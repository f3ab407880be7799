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
 * slices it holds.  DPDK ethdev ports cannot wake it: with one of them,
 * the worker keeps sleeping in short steps.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/prctl.h>
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
#define DP_IDLE_MAX_US 512          /* longest sleep: wake within ~0.6 ms */
/* A sleep wakes late by the timer's and the scheduler's latency (35-45 us
 * on average on these virtual machines, with PR_SET_TIMERSLACK at 1 ns):
 * a frame due on a delay line or a shaper sooner than this is waited for
 * by spinning, and a longer wait sleeps until this much before it. */
#define DP_WAKE_EARLY_NS 80000ull
#define DP_BLOCK_MAX_MS 1000        /* longest block without a timer */

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

/* Rebuilds each worker's list of switches (workers are paused). */
void
dp_worker_publish(void)
{
    for (unsigned w = 0; w < dp.n_workers; w++) {
        struct dp_worker *wk = &dp.workers[w];
        uint32_t n = 0;

        for (uint32_t i = 0; i < dp.n_switches; i++) {
            n += dp.switches[i]->worker == w;
        }
        free(wk->switches);
        wk->switches = n ? calloc(n, sizeof *wk->switches) : NULL;
        wk->n_switches = 0;
        for (uint32_t i = 0; i < dp.n_switches && wk->switches; i++) {
            if (dp.switches[i]->worker == w) {
                wk->switches[wk->n_switches++] = dp.switches[i];
            }
        }
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

/* Appends 'n' packets to queue 'q' for worker 'w', as many as the
 * slice's buffer quota and the queue allow; drops the rest with the
 * reason. */
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

    if (unlikely(k > room || k > quota)) {
        enum dp_drop why = quota < room ? DP_DROP_MBUF_QUOTA : DP_DROP_QUEUE_FULL;
        k = quota < room ? quota : room;
        for (uint16_t i = k; i < n; i++) {
            dp_drop(pkts[i], &q->ctr, q->sctr, why);
        }
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
        p->ctr.tx_bytes -= len;
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

/* Sends what the current burst staged on every port (at the end of each
 * received burst, so nothing stays staged across rounds). */
static inline void
dp_worker_flush(unsigned w, struct dp_worker *wk)
{
    for (uint16_t i = 0; i < wk->n_staged; i++) {
        wk->staged[i]->stage_listed = false;
        dp_port_flush(w, wk->staged[i]);
    }
    wk->n_staged = 0;
}

/* Puts 'n' packets of 'n_bytes' in all on queue 'q' for worker 'w'.
 * Cut-through: on a port with nothing to shape, delay or share with a
 * backlog, the packets are staged for the device, which gets the frames
 * of all the vnodes of a received burst in one transmit (with many
 * slices on a port, each frame of a burst may come from another vnode);
 * otherwise, and for what the device refuses, they are queued. */
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
            return;
        }
    }
    dp_queue_burst(w, q, pkts, n);
}

static inline void
dp_enqueue(unsigned w, struct dp_queue *q, struct rte_mbuf *m)
{
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
            dp_drop(pkts[i], &vp->ctr, vp->vn->sctr, DP_DROP_TTL);
        }
        return;
    }
    for (uint16_t i = 0; i < n; i++) {
        bytes += rte_pktmbuf_pkt_len(pkts[i]);
        in[i] = peer->idx;
    }
    vp->ctr.tx_packets += n;
    vp->ctr.tx_bytes += bytes;
    peer->ctr.rx_packets += n;
    peer->ctr.rx_bytes += bytes;
    peer->vn->ctr.rx_packets += n;
    peer->vn->ctr.rx_bytes += bytes;
    wk->handovers++;
    dp_vnode_input(w, peer->vn, pkts, in, n, wk->now / 1000000000ull);
    wk->handovers--;
}

/* Sends 'n' packets out of vport 'vp'. */
static inline void
dp_vport_output_burst(unsigned w, struct dp_vport *vp, struct rte_mbuf **pkts,
                      uint16_t n)
{
    uint64_t bytes = 0;
    uint16_t k = 0;

    if (unlikely(vp->peer)) {
        dp_vport_handover(w, vp, pkts, n);
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
                dp_drop(m, &vp->ctr, NULL, DP_DROP_VLAN_NOT_OWNED);
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
                    dp_drop(m, &vp->ctr, NULL, DP_DROP_VLAN_NOT_OWNED);
                    continue;
                }
            } else if (unlikely(!dp_vport_encap(vp, m))) {
                dp_drop(m, &vp->ctr, NULL, DP_DROP_MALFORMED);
                continue;
            }
            bytes += rte_pktmbuf_pkt_len(m);
            pkts[k++] = m;
        }
    }
    vp->ctr.tx_packets += k;
    vp->ctr.tx_bytes += bytes;
    dp_enqueue_burst(w, vp->queue, pkts, k, bytes);
}

static inline void
dp_vport_output(unsigned w, struct dp_vport *vp, struct rte_mbuf *m)
{
    dp_vport_output_burst(w, vp, &m, 1);
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
                vn->ctr.drops[DP_DROP_NO_MBUF]++;
                vn->sctr->drops[DP_DROP_NO_MBUF]++;
            } else {
                dp_vport_output(w, last, c);
            }
        }
        last = vn->vports[v];
    }
    if (last) {
        dp_vport_output(w, last, m);
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
    vn->fp->process(vn->fp_state, pkts, in_vports, out, n, &ctx);
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
            dp_vport_output_burst(w, vn->vports[o], &pkts[i], j - i);
            i = j;
            continue;
        }
        if (o == DP_FP_FLOOD || o == DP_FP_FLOOD_ACCESS) {
            dp_flood(w, vn, pkts[i], in_vports[i], o == DP_FP_FLOOD_ACCESS);
        } else if (o == DP_FP_CONSUMED) {
            /* The plane punted or freed it. */
        } else {
            dp_drop(pkts[i], &vn->ctr, vn->sctr, DP_DROP_FP_DROP);
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
    struct dp_punt punt = { .m = m, .fp_state = vn->fp_state, .in_vport = in_vport,
                            .reason = reason, .table = table, .cookie = cookie };

    if (unlikely(rte_ring_mp_enqueue_elem(dp.punt, &punt, sizeof punt))) {
        dp_drop(m, &vn->ctr, vn->sctr, DP_DROP_PUNT_FULL);
        return false;
    }
    dp.workers[ctx->worker].punted = true;
    return true;
}

void
dp_fp_output_copy(const struct dp_fp_ctx *ctx, struct rte_mbuf *m, uint16_t vport)
{
    struct dp_vnode *vn = ctx->vn;
    struct rte_mbuf *c;

    if (vport >= vn->n_vports || !vn->vports[vport]) {
        return;
    }
    c = rte_pktmbuf_copy(m, dp.pool, 0, UINT32_MAX);
    if (unlikely(!c)) {
        vn->ctr.drops[DP_DROP_NO_MBUF]++;
        vn->sctr->drops[DP_DROP_NO_MBUF]++;
        return;
    }
    dp_vport_output(ctx->worker, vn->vports[vport], c);
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
            dp_vport_output(w, vn->vports[inj[i].out], inj[i].m);
        } else {
            rte_pktmbuf_free(inj[i].m);
        }
    }
    return n;
}

/* ---- Receive --------------------------------------------------------- */

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
    p->ctr.rx_bytes += bytes;
    vn->sctr->rx_packets += n;
    vn->sctr->rx_bytes += bytes;
    vp->ctr.rx_packets += n;
    vp->ctr.rx_bytes += bytes;
    vn->ctr.rx_packets += n;
    vn->ctr.rx_bytes += bytes;
    dp_vnode_input(w, vn, pkts, in_vports, n, now_s);
    return true;
}

/* Frames from an access port: classify by (port, VLAN), then police. */
static void
dp_rx_access(unsigned w, struct dp_worker *wk, struct dp_port *p,
             struct rte_mbuf **pkts, uint16_t n, uint64_t now, uint32_t now_s)
{
    struct rte_mbuf *batch[DP_BURST];
    uint16_t in_vports[DP_BURST];
    struct dp_vnode *cur = NULL;
    uint16_t nb = 0;

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
        vn->sctr->rx_packets++;
        vn->sctr->rx_bytes += len;

        if (s->budget) {
            if (vn->budget_round != wk->rounds) {
                vn->budget_round = wk->rounds;
                vn->budget_used = 0;
            }
            if (unlikely(vn->budget_used >= s->budget)) {
                dp_drop(m, &vn->ctr, vn->sctr, DP_DROP_BUDGET);
                continue;
            }
            vn->budget_used++;
        }
        if (vn->policer.rate) {
            qsched_tb_refill(&vn->policer, now);
            if (unlikely(!qsched_tb_has(&vn->policer, len))) {
                dp_drop(m, &vn->ctr, vn->sctr, DP_DROP_POLICER);
                continue;
            }
            qsched_tb_take(&vn->policer, len);
        }
        vp->ctr.rx_packets++;
        vp->ctr.rx_bytes += len;
        vn->ctr.rx_packets++;
        vn->ctr.rx_bytes += len;

        if (vn != cur && nb) {
            dp_vnode_input(w, cur, batch, in_vports, nb, now_s);
            nb = 0;
        }
        cur = vn;
        batch[nb] = m;
        in_vports[nb++] = vp->idx;
    }
    if (nb) {
        dp_vnode_input(w, cur, batch, in_vports, nb, now_s);
    }
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
                dp_drop(m, &p->ctr, e->queue->sctr, DP_DROP_TTL);
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
            vp->ctr.rx_packets++;
            vp->ctr.rx_bytes += rte_pktmbuf_pkt_len(m);
            vp->vn->ctr.rx_packets++;
            vp->vn->ctr.rx_bytes += rte_pktmbuf_pkt_len(m);
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

    return q->count ? rte_pktmbuf_pkt_len(q->ring[q->head]) : 0;
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
    q->slice->held[ctx->w]--;
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
        q->slice->held[ctx->w]++;
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

            for (uint32_t j = 0; j < take; j++) {
                struct rte_mbuf *m = q->ring[(q->head + j) & q->mask];
                bytes += rte_pktmbuf_pkt_len(m);
                ctx.pkts[ctx.n] = m;
                ctx.qs[ctx.n++] = q;
            }
            q->head = (q->head + take) & q->mask;
            q->count -= take;
            q->slice->held[w] -= take;
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
            next = qsched_port_wait(&p->sched, rte_pktmbuf_pkt_len(q->ring[q->head]));
        }
    }

    /* Emulated loss. */
    if (p->loss_ppm && ctx.n) {
        uint16_t k = 0;
        for (uint16_t i = 0; i < ctx.n; i++) {
            if (dp_rand(p) % 1000000 < p->loss_ppm) {
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
            uint16_t sent = dp_worker_tx(w, p, ctx.pkts, ctx.n);
            for (uint16_t i = 0; i < sent; i++) {
                p->ctr.tx_bytes += rte_pktmbuf_pkt_len(ctx.pkts[i]);
            }
            p->ctr.tx_packets += sent;
            if (sent < ctx.n) {
                dp_tx_requeue(&ctx, sent);
                next = 0;
            }
        }
        return next;
    }

    /* Delay line: hold each packet until its due time. */
    uint64_t due = now + (uint64_t) p->delay_us * 1000;
    for (uint16_t i = 0; i < ctx.n; i++) {
        struct dp_delayed *d = &p->delay_line[(p->dl_head + p->dl_count) & p->dl_mask];
        d->m = ctx.pkts[i];
        d->due = due;
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
        uint16_t sent = dp_worker_tx(w, p, out, n);
        for (uint16_t i = 0; i < sent; i++) {
            p->ctr.tx_bytes += rte_pktmbuf_pkt_len(out[i]);
        }
        p->ctr.tx_packets += sent;
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
     * sees it blocked. */
    if (__atomic_load_n(&wk->blocked, __ATOMIC_SEQ_CST) && wk->kick_fd > 0
        && write(wk->kick_fd, &one, sizeof one) < 0) {
        /* The counter is full: the worker is being woken. */
    }
}

/* Fills wk->pfds with what can wake 'wk': its kick descriptor and every
 * port's socket.  Returns how many, or 0 if some port cannot wake it. */
static unsigned
dp_worker_wakers(struct dp_worker *wk, unsigned w)
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
            const struct dp_port *p = sw->ports[i];

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
                if (!peer || peer->sw->worker != w) {
                    return 0;
                }
            } else {
                return 0;
            }
        }
    }
    wk->pfds[n++] = (struct pollfd) { .fd = wk->kick_fd, .events = POLLIN };
    return n;
}

/* Blocks 'wk' until a port has a frame, the control side kicks it, or
 * 'timeout_ns' pass.  Returns false, at once, if it cannot block. */
static bool
dp_worker_block(struct dp_worker *wk, unsigned w, uint64_t timeout_ns)
{
    unsigned n = wk->kick_fd > 0 ? dp_worker_wakers(wk, w) : 0;

    if (!n) {
        return false;
    }
    __atomic_store_n(&wk->blocked, 1, __ATOMIC_SEQ_CST);
    if (!rte_ring_empty(wk->inject) || dp_worker_pause_requested() || !wk->running) {
        __atomic_store_n(&wk->blocked, 0, __ATOMIC_SEQ_CST);
        return true;
    }
    if (timeout_ns > DP_BLOCK_MAX_MS * 1000000ull) {
        timeout_ns = DP_BLOCK_MAX_MS * 1000000ull;
    }
    struct timespec ts = { .tv_sec = timeout_ns / 1000000000ull,
                           .tv_nsec = timeout_ns % 1000000000ull };
    uint64_t t0 = rte_rdtsc(), v;

    ppoll(wk->pfds, n, &ts, NULL);
    __atomic_store_n(&wk->blocked, 0, __ATOMIC_SEQ_CST);
    if (wk->pfds[n - 1].revents & POLLIN && read(wk->kick_fd, &v, sizeof v) < 0) {
        /* Another read took it. */
    }
    wk->sleeps++;
    wk->blocks++;
    wk->sleep_ns += (uint64_t) ((rte_rdtsc() - t0) * dp.ns_per_tsc);
    return true;
}

int
dp_worker_main(void *arg)
{
    struct dp_worker *wk = arg;
    unsigned w = wk - dp.workers;
    uint32_t idle_rounds = 0;
    uint64_t backoff_ns = 0;

    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    while (wk->running) {
        struct rte_mbuf *pkts[DP_BURST];
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

        for (uint32_t s = 0; s < wk->n_switches; s++) {
            struct dp_switch *sw = wk->switches[s];

            /* Fast reroute: the vlink ends with a backup pick their path
             * when a port's liveness changed, or while on the backup. */
            if (unlikely(sw->n_fr)) {
                uint32_t gen = __atomic_load_n(&dp.live_gen, __ATOMIC_ACQUIRE);
                if (gen != sw->fr_gen || sw->n_fr_backup) {
                    sw->fr_gen = gen;
                    sw->n_fr_backup = 0;
                    for (uint32_t f = 0; f < sw->n_fr; f++) {
                        dp_vlink_fr_check(sw->fr_vports[f], now);
                        sw->n_fr_backup += sw->fr_vports[f]->fr->on_backup;
                    }
                }
                for (uint32_t f = 0; f < sw->n_fr; f++) {
                    if (sw->fr_vports[f]->fr->vccv) {
                        uint64_t t = dp_vccv_run(sw->fr_vports[f], now);
                        next = t < next ? t : next;
                    }
                }
            }

            for (uint16_t i = 0; i < sw->n_ports; i++) {
                struct dp_port *p = sw->ports[i];
                uint64_t t0 = DP_STAGE_TSC();
                uint16_t n = dp_port_rx(p, pkts, DP_BURST);

                if (!n) {
                    continue;
                }
                uint64_t t1 = DP_STAGE_TSC();
                struct dp_stage_cycles before = wk->stage;
                DP_STAGE_ADD(w, rx, t1 - t0);
                n_rx += n;
                p->ctr.rx_packets += n;
                if (unlikely(p->down)) {
                    for (uint16_t k = 0; k < n; k++) {
                        dp_drop(pkts[k], &p->ctr, NULL, DP_DROP_LINK_DOWN);
                    }
                    continue;
                }
                if (unlikely(p->bfd != NULL)) {
                    n = dp_bfd_rx(p, pkts, n, now);
                    if (!n) {
                        continue;
                    }
                }
                for (uint16_t k = 0; k < n; k++) {
                    rte_prefetch0(rte_pktmbuf_mtod(pkts[k], void *));
                }
                if (unlikely(p->ul != NULL)) {
                    dp_tunnel_underlay_input(p, pkts, n);
                } else if (p->is_link) {
                    dp_rx_link(w, sw, p, pkts, n, now_s);
                } else {
                    dp_rx_access(w, wk, p, pkts, n, now, now_s);
                }
                dp_worker_flush(w, wk);
                DP_STAGE_ADD(w, classify, DP_STAGE_TSC() - t1
                             - (wk->stage.fp - before.fp) - (wk->stage.tx - before.tx));
            }
            for (uint16_t i = 0; i < sw->n_ports; i++) {
                struct dp_port *p = sw->ports[i];

                if (unlikely(p->bfd != NULL)) {
                    uint64_t t = dp_bfd_run(p, now);
                    next = t < next ? t : next;
                }
                if (p->n_backlog || p->dl_count) {
                    uint64_t sent = p->ctr.tx_packets;
                    uint64_t t0 = DP_STAGE_TSC(), tx0 = wk->stage.tx;
                    uint64_t t = dp_tx_port(w, p, now);

                    DP_STAGE_ADD(w, sched, DP_STAGE_TSC() - t0 - (wk->stage.tx - tx0));

                    /* What went into an in-process link is received in
                     * the next round: do not sleep before it (without
                     * this, each hop could add an idle backoff). */
                    if (p->type == DP_PORT_RING && p->ctr.tx_packets != sent) {
                        t = 0;
                    }
                    next_tx = t < next_tx ? t : next_tx;
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
        if (n_rx || next_tx == 0 || next == 0) {
            wk->busy_rounds += n_rx != 0;
            idle_rounds = 0;
            backoff_ns = 0;
            continue;
        }
        if (next_tx <= DP_WAKE_EARLY_NS) {
            /* A frame is due sooner than a sleep would wake: wait for it
             * here, letting whatever shares this CPU run meanwhile (an
             * emulated hop's delay is then kept to a few microseconds,
             * not a sleep's lateness per hop). */
            sched_yield();
            continue;
        }
        if (next_tx != UINT64_MAX) {
            next_tx -= DP_WAKE_EARLY_NS;
            next = next_tx < next ? next_tx : next;
        }
        if (++idle_rounds < DP_IDLE_SPIN_ROUNDS) {
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
