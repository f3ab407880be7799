/*
 * dp_slice: slices and their per-port queues (the control side of the
 * dataplane; see dp.c for the conventions).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/eventfd.h>
#include <limits.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "dp_private.h"
#include "util.h"

/* ---- Slices -------------------------------------------------------------------- */

static int
dp_slice_check(const struct dp_slice_params *sp, struct dp_error *err)
{
    if (sp->ceiling_bps && sp->ceiling_bps < sp->guarantee_bps) {
        dp_err(err, "slice %s: ceiling %" PRIu64 " bit/s is below the guarantee %"
               PRIu64 " bit/s", sp->name, sp->ceiling_bps, sp->guarantee_bps);
        return EINVAL;
    }
    if (sp->mbuf_quota > dp.params.n_mbufs) {
        dp_err(err, "slice %s: mbuf quota %u is more than the %u mbufs there are",
               sp->name, sp->mbuf_quota, dp.params.n_mbufs);
        return EINVAL;
    }
    if (sp->gso_quota > dp.params.n_gso_mbufs) {
        dp_err(err, "slice %s: super-frame quota %u is more than the %u "
               "super-frame buffers there are", sp->name, sp->gso_quota,
               dp.params.n_gso_mbufs);
        return EINVAL;
    }
    return 0;
}

uint32_t
dp_slice_table_quota(const struct dp_slice *s)
{
    return s->table_quota ? s->table_quota : DP_SLICE_TABLE_QUOTA;
}

uint64_t
dp_slice_table_use(const struct dp_slice *s, const struct dp_switch *sw,
                   const struct dp_vnode *skip)
{
    uint64_t use = 0;

    for (struct dp_vnode *vn = s->idx < sw->n_vnodes_alloc ? sw->vnodes[s->idx]
                               : NULL; vn; vn = vn->next) {
        if (vn != skip && vn->fp->table_entries) {
            json_t *config = vn->fp->config(vn->fp_state);
            use += vn->fp->table_entries(config);
            json_decref(config);
        }
    }
    return use;
}

/* The quota in effect per worker for a pool of 'pool_size' buffers: the
 * configured one, or a quarter of the pool, so no single slice can hold
 * most buffers. */
static uint32_t
dp_slice_quota(uint32_t configured, uint32_t pool_size)
{
    uint32_t q = configured ? configured : pool_size / 4;
    q /= dp.n_workers;
    return q ? q : 1;
}

static void
dp_slice_apply(struct dp_slice *s, const struct dp_slice_params *sp)
{
    s->guarantee_bps = sp->guarantee_bps;
    s->ceiling_bps = sp->ceiling_bps;
    s->policer_bps = sp->policer_bps;
    s->policer_burst = sp->policer_burst;
    s->budget = sp->budget;
    s->mbuf_quota = sp->mbuf_quota;
    s->table_quota = sp->table_quota;
    s->quota = dp_slice_quota(sp->mbuf_quota, dp.params.n_mbufs);
    s->gso_quota = sp->gso_quota;
    s->gso_share = dp_slice_quota(sp->gso_quota, dp.params.n_gso_mbufs);
}

int
dp_slice_add(const struct dp_slice_params *sp, struct dp_error *err)
{
    int error = dp_check_name("slice", sp->name, err);
    struct dp_slice *s;
    uint32_t idx;

    if (error) {
        return error;
    }
    if (dp_slice_find(sp->name)) {
        dp_err(err, "slice \"%s\" already exists", sp->name);
        return EEXIST;
    }
    error = dp_slice_check(sp, err);
    if (error) {
        return error;
    }
    for (idx = 0; idx < dp.n_slices_alloc && dp.slices[idx]; idx++) {
        continue;
    }
    if (idx >= DP_MAX_SLICES) {
        dp_err(err, "slice %s: limit of %d slices reached", sp->name, DP_MAX_SLICES);
        return ENOSPC;
    }

    s = xzalloc(sizeof *s);
    str_copy(s->name, sp->name, sizeof s->name);
    s->idx = idx;
    s->held = xcalloc(dp.n_workers, sizeof *s->held);
    s->gso_held = xcalloc(dp.n_workers, sizeof *s->gso_held);
    dp_slice_apply(s, sp);

    dp_pause();
    if (idx >= dp.n_slices_alloc) {
        uint32_t n = dp.n_slices_alloc ? dp.n_slices_alloc * 2 : 64;
        dp.slices = xrealloc(dp.slices, n * sizeof *dp.slices);
        memset(&dp.slices[dp.n_slices_alloc], 0,
               (n - dp.n_slices_alloc) * sizeof *dp.slices);
        dp.n_slices_alloc = n;
    }
    dp.slices[idx] = s;
    dp.n_slices++;
    dp_resume();
    return 0;
}

int
dp_slice_set(const struct dp_slice_params *sp, struct dp_error *err)
{
    struct dp_slice *s = dp_need_slice(sp->name, err);
    int error;

    if (!s) {
        return ENOENT;
    }
    error = dp_slice_check(sp, err);
    if (error) {
        return error;
    }
    /* The new default guarantee must fit every port that has a queue of
     * this slice without its own rates; the tables its vnodes hold on
     * each switch must fit the new table quota. */
    for (uint32_t i = 0; i < dp.n_switches; i++) {
        struct dp_switch *sw = dp.switches[i];
        uint64_t use = dp_slice_table_use(s, sw, NULL);
        uint32_t quota = sp->table_quota ? sp->table_quota : DP_SLICE_TABLE_QUOTA;
        if (use > quota) {
            dp_err(err, "slice %s: its vnodes on switch %s hold %" PRIu64 " table "
                   "entries, more than a table quota of %u", sp->name, sw->name,
                   use, quota);
            return EDQUOT;
        }
        for (uint16_t k = 0; k < sw->n_ports; k++) {
            struct dp_port *p = sw->ports[k];
            struct dp_queue *q = s->idx < p->n_queues_alloc ? p->queues[s->idx] : NULL;
            if (q && !q->explicit_rates && p->rate_bps
                && dp_port_guaranteed(p, q) + sp->guarantee_bps > p->rate_bps) {
                dp_err(err, "slice %s: a guarantee of %" PRIu64 " bit/s does not "
                       "fit port %s/%s (rate %" PRIu64 " bit/s, %" PRIu64
                       " guaranteed to others)", sp->name, sp->guarantee_bps,
                       sw->name, p->name, p->rate_bps, dp_port_guaranteed(p, q));
                return EINVAL;
            }
        }
    }
    dp_pause();
    dp_slice_apply(s, sp);
    for (uint32_t i = 0; i < dp.n_switches; i++) {
        struct dp_switch *sw = dp.switches[i];
        for (struct dp_vnode *vn = s->idx < sw->n_vnodes_alloc
                                   ? sw->vnodes[s->idx] : NULL; vn; vn = vn->next) {
            dp_vnode_policer_init(vn);
        }
        for (uint16_t k = 0; k < sw->n_ports; k++) {
            struct dp_port *p = sw->ports[k];
            struct dp_queue *q = s->idx < p->n_queues_alloc ? p->queues[s->idx] : NULL;
            if (q && !q->explicit_rates) {
                q->guarantee_bps = s->guarantee_bps;
                q->ceiling_bps = s->ceiling_bps;
                dp_queue_rates(q);
            }
        }
    }
    dp_resume();
    return 0;
}

int
dp_slice_del(const char *name, struct dp_error *err)
{
    struct dp_slice *s = dp_need_slice(name, err);

    if (!s) {
        return ENOENT;
    }
    dp_pause();
    while (s->n_vlinks) {
        dp_vlink_del(s->name, s->vlinks[s->n_vlinks - 1]->name, err);
    }
    for (uint32_t i = 0; i < dp.n_switches; i++) {
        struct dp_switch *sw = dp.switches[i];
        while (s->idx < sw->n_vnodes_alloc && sw->vnodes[s->idx]) {
            char addr[2 * DP_NAME_LEN];
            dp_vnode_del(s->name, dp_vnode_addr(sw->vnodes[s->idx], addr), err);
        }
        /* Queues kept only for their explicit rates; the slice's frames
         * on delay lines go on, counted by no slice. */
        for (uint16_t k = 0; k < sw->n_ports; k++) {
            struct dp_port *p = sw->ports[k];
            for (uint32_t j = 0; j < p->dl_count; j++) {
                struct dp_delayed *d = &p->delay_line[(p->dl_head + j) & p->dl_mask];
                if (d->s == s) {
                    d->s = NULL;
                }
            }
            struct dp_queue *q = s->idx < p->n_queues_alloc ? p->queues[s->idx] : NULL;
            if (q) {
                q->explicit_rates = false;
                q->refs++;
                dp_queue_unref(q);
            }
        }
    }
    dp.slices[s->idx] = NULL;
    dp.n_slices--;
    dp_resume();
    free(s->vlinks);
    free(s->held);
    free(s->gso_held);
    for (uint32_t i = 0; i < s->n_sws; i++) {
        free(s->sws[i]->wctr);
        free(s->sws[i]);
    }
    free(s->sws);
    free(s);
    return 0;
}

/* See dp_private.h. */
struct dp_counters *
dp_slice_sw_ctr(struct dp_slice *s, struct dp_switch *sw)
{
    for (uint32_t i = 0; i < s->n_sws; i++) {
        if (s->sws[i]->sw == sw) {
            return &s->sws[i]->ctr;
        }
    }
    /* Workers hold pointers to the entries, never to the array. */
    struct dp_slice_sw *e = xzalloc(sizeof *e);
    e->sw = sw;
    if (sw->n_workers > 1) {
        e->wctr = xcalloc(dp.n_workers, sizeof *e->wctr);
    }
    s->sws = xrealloc(s->sws, (s->n_sws + 1) * sizeof *s->sws);
    s->sws[s->n_sws++] = e;
    return &e->ctr;
}

/* See dp_private.h. */
struct dp_counters *
dp_slice_sw_wctr(struct dp_slice *s, struct dp_switch *sw)
{
    for (uint32_t i = 0; i < s->n_sws; i++) {
        if (s->sws[i]->sw == sw) {
            return s->sws[i]->wctr;
        }
    }
    return NULL;
}

/* See dp_private.h. */
void
dp_slice_sw_forget(struct dp_switch *sw)
{
    for (uint32_t i = 0; i < dp.n_slices_alloc; i++) {
        struct dp_slice *s = dp.slices[i];
        for (uint32_t k = 0; s && k < s->n_sws; k++) {
            if (s->sws[k]->sw == sw) {
                dp_counters_add(&s->gone, &s->sws[k]->ctr);
                dp_wctr_sum(&s->gone, s->sws[k]->wctr);
                free(s->sws[k]->wctr);
                free(s->sws[k]);
                s->sws[k] = s->sws[--s->n_sws];
                break;
            }
        }
    }
}

/* ---- Queues ---------------------------------------------------------------- */

/* Recomputes the scheduler of 'q' from its rates and its port's rate. */
void
dp_queue_rates(struct dp_queue *q)
{
    uint64_t ceiling = q->ceiling_bps;
    bool shaped = q->guarantee_bps || q->ceiling_bps;

    if (shaped != q->shaped) {
        q->port->n_shaped += shaped ? 1 : -1;
        q->shaped = shaped;
    }

    if (!ceiling || (q->port->rate_bps && ceiling > q->port->rate_bps)) {
        ceiling = q->port->rate_bps;
    }
    qsched_queue_init(&q->sched, q->guarantee_bps, ceiling, dp_now_ns());
}

/* Creates the (slice, port) queue with no reference (workers paused). */
static struct dp_queue *
dp_queue_create(struct dp_slice *s, struct dp_port *p)
{
    struct dp_queue *q;

    if (s->idx >= p->n_queues_alloc) {
        uint32_t n = p->n_queues_alloc ? p->n_queues_alloc : 8;
        while (n <= s->idx) {
            n *= 2;
        }
        p->queues = xrealloc(p->queues, n * sizeof *p->queues);
        memset(&p->queues[p->n_queues_alloc], 0,
               (n - p->n_queues_alloc) * sizeof *p->queues);
        p->n_queues_alloc = n;
    }
    q = xzalloc(sizeof *q);
    q->slice = s;
    q->port = p;
    q->sctr = dp_slice_sw_ctr(s, p->sw);
    if (p->sw->n_workers > 1) {
        /* Written by the port's owner only. */
        q->sctr = &dp_slice_sw_wctr(s, p->sw)[p->worker];
    }
    uint32_t size = 16;
    while (size < p->queue_len) {
        size <<= 1;
    }
    q->ring = xcalloc(size, sizeof *q->ring);
    q->mask = size - 1;
    q->guarantee_bps = s->guarantee_bps;
    q->ceiling_bps = s->ceiling_bps;
    dp_queue_rates(q);
    p->queues[s->idx] = q;
    p->n_queues++;
    p->backlog = xrealloc(p->backlog, p->n_queues * sizeof *p->backlog);
    return q;
}

/* Returns the (slice, port) queue with one more reference, creating it;
 * NULL with 'err' set if the slice's guarantee does not fit the port. */
struct dp_queue *
dp_queue_ref(struct dp_slice *s, struct dp_port *p, struct dp_error *err)
{
    struct dp_queue *q = s->idx < p->n_queues_alloc ? p->queues[s->idx] : NULL;

    if (!q) {
        if (p->rate_bps
            && dp_port_guaranteed(p, NULL) + s->guarantee_bps > p->rate_bps) {
            dp_err(err, "slice %s: its guarantee of %" PRIu64 " bit/s does not fit "
                   "port %s/%s (rate %" PRIu64 " bit/s, %" PRIu64 " already "
                   "guaranteed)", s->name, s->guarantee_bps, p->sw->name, p->name,
                   p->rate_bps, dp_port_guaranteed(p, NULL));
            return NULL;
        }
        q = dp_queue_create(s, p);
    }
    q->refs++;
    return q;
}

/* Drops what 'q' holds (workers paused). */
void
dp_queue_flush(struct dp_queue *q, unsigned worker)
{
    while (q->count) {
        struct rte_mbuf *m = q->ring[q->head];

        dp_slice_hold(q->slice, worker, m, -1);
        rte_pktmbuf_free(m);
        q->head = (q->head + 1) & q->mask;
        q->count--;
    }
    if (q->active) {
        struct dp_port *p = q->port;
        for (uint32_t i = 0; i < p->n_backlog; i++) {
            if (p->backlog[i] == q) {
                p->backlog[i] = p->backlog[--p->n_backlog];
                break;
            }
        }
        q->active = false;
    }
}

void
dp_queue_unref(struct dp_queue *q)
{
    if (!q || --q->refs || q->explicit_rates) {
        return;
    }
    struct dp_port *p = q->port;
    dp_queue_flush(q, p->worker);
    dp_handoff_forget(q);
    p->queues[q->slice->idx] = NULL;
    p->n_queues--;
    p->n_shaped -= q->shaped;
    free(q->ring);
    free(q);
}

int
dp_queue_set(const char *slice, const char *swname, const char *port,
             uint64_t guarantee_bps, uint64_t ceiling_bps, struct dp_error *err)
{
    struct dp_slice *s = dp_need_slice(slice, err);
    struct dp_switch *sw = s ? dp_need_switch(swname, err) : NULL;
    struct dp_port *p = sw ? dp_need_port(sw, port, err) : NULL;
    struct dp_queue *q;

    if (!p) {
        return ENOENT;
    }
    if (ceiling_bps && ceiling_bps < guarantee_bps) {
        dp_err(err, "queue %s on %s/%s: ceiling %" PRIu64 " bit/s is below the "
               "guarantee %" PRIu64 " bit/s", slice, swname, port, ceiling_bps,
               guarantee_bps);
        return EINVAL;
    }
    q = s->idx < p->n_queues_alloc ? p->queues[s->idx] : NULL;
    if (p->rate_bps && dp_port_guaranteed(p, q) + guarantee_bps > p->rate_bps) {
        dp_err(err, "queue %s on %s/%s: a guarantee of %" PRIu64 " bit/s does not "
               "fit the port (rate %" PRIu64 " bit/s, %" PRIu64 " guaranteed to others)",
               slice, swname, port, guarantee_bps, p->rate_bps,
               dp_port_guaranteed(p, q));
        return EINVAL;
    }
    dp_pause();
    if (!q) {
        q = dp_queue_create(s, p);
    }
    q->explicit_rates = true;
    q->guarantee_bps = guarantee_bps;
    q->ceiling_bps = ceiling_bps;
    dp_queue_rates(q);
    dp_resume();
    return 0;
}
