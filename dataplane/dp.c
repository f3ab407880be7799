/*
 * dp: the control side of the dataplane.  Every function validates all of
 * its input before it changes anything, so a refused call leaves the
 * dataplane as it was; changes are made with the workers paused.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <limits.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "dpdk_files.h"
#include "dp_private.h"
#include "util.h"

struct dp dp;

const char *const dp_drop_names[DP_N_DROPS] = {
#define DP_DROP_NAME(ENUM, NAME, DOC) [DP_DROP_##ENUM] = NAME,
    DP_DROP_REASONS(DP_DROP_NAME)
#undef DP_DROP_NAME
};

static const struct dp_fp_class *const dp_fp_classes[] = {
    &dp_fp_l2learn,
    &dp_fp_openflow,
};

const struct dp_fp_class *
dp_fp_class_find(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(dp_fp_classes); i++) {
        if (!strcmp(dp_fp_classes[i]->name, name)) {
            return dp_fp_classes[i];
        }
    }
    return NULL;
}

const char *
dp_fp_class_names(void)
{
    static char names[128];

    if (!names[0]) {
        for (size_t i = 0; i < ARRAY_SIZE(dp_fp_classes); i++) {
            if (i) {
                strcat(names, ", ");
            }
            strcat(names, dp_fp_classes[i]->name);
        }
    }
    return names;
}

void
dp_err(struct dp_error *err, const char *fmt, ...)
{
    va_list args;

    if (!err) {
        return;
    }
    va_start(args, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, args);
    va_end(args);
}

/* ---- Lifecycle -------------------------------------------------------- */

int
dp_init(const struct dp_params *params, struct dp_error *err)
{
    unsigned lcore;

    memset(&dp, 0, sizeof dp);
    dp.params = *params;
    if (!dp.params.n_mbufs) {
        dp.params.n_mbufs = DP_DEFAULT_MBUFS;
    }
    if (!dp.params.mbuf_cache) {
        dp.params.mbuf_cache = 256;
    }
    if (!dp.params.default_queue_len) {
        dp.params.default_queue_len = DP_DEFAULT_QUEUE_LEN;
    }
    RTE_LCORE_FOREACH_WORKER(lcore) {
        if (dp.n_workers < DP_MAX_WORKERS) {
            dp.workers[dp.n_workers++].lcore = lcore;
        }
    }
    if (!dp.n_workers) {
        dp_err(err, "no worker lcore: give EAL at least two lcores (e.g. -l 0-1), "
               "one for control and one or more for forwarding");
        return EINVAL;
    }
    dp.pool = rte_pktmbuf_pool_create("lamina_mbufs", dp.params.n_mbufs,
                                      dp.params.mbuf_cache, 0,
                                      RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
    if (!dp.pool) {
        dp_err(err, "cannot create a pool of %u mbufs: %s (give EAL more memory, -m)",
               dp.params.n_mbufs, rte_strerror(rte_errno));
        return ENOMEM;
    }
    dp.ns_per_tsc = 1e9 / (double) rte_get_tsc_hz();
    dp.start_tsc = rte_rdtsc();

    dp.punt = rte_ring_create_elem("lamina_punt", sizeof(struct dp_punt),
                                   DP_PUNT_RING_SIZE, rte_socket_id(),
                                   RING_F_SC_DEQ);
    dp.punt_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    for (unsigned i = 0; i < dp.n_workers && dp.punt; i++) {
        char name[RTE_RING_NAMESIZE];
        snprintf(name, sizeof name, "lamina_inject%u", i);
        dp.workers[i].inject = rte_ring_create_elem(name, sizeof(struct dp_inject),
                                                    DP_INJECT_RING_SIZE, rte_socket_id(),
                                                    RING_F_SP_ENQ | RING_F_SC_DEQ);
        if (!dp.workers[i].inject) {
            dp.punt = NULL;
        }
    }
    if (!dp.punt || dp.punt_fd < 0) {
        dp_err(err, "cannot create the punt and inject rings: %s",
               rte_strerror(rte_errno));
        return ENOMEM;
    }
    return 0;
}

/* Frees what waits in the punt and inject rings for vnode 'vn' (all of
 * it when NULL); workers are paused. */
static void
dp_rings_forget(const struct dp_vnode *vn)
{
    struct dp_punt punt;
    struct dp_inject inj;

    for (unsigned n = dp.punt ? rte_ring_count(dp.punt) : 0; n; n--) {
        if (rte_ring_dequeue_elem(dp.punt, &punt, sizeof punt)) {
            break;
        }
        if (!vn || punt.fp_state == vn->fp_state) {
            rte_pktmbuf_free(punt.m);
        } else {
            rte_ring_enqueue_elem(dp.punt, &punt, sizeof punt);
        }
    }
    for (unsigned w = 0; w < dp.n_workers; w++) {
        struct rte_ring *r = dp.workers[w].inject;
        for (unsigned n = r ? rte_ring_count(r) : 0; n; n--) {
            if (rte_ring_dequeue_elem(r, &inj, sizeof inj)) {
                break;
            }
            if (!vn || inj.vn == vn) {
                rte_pktmbuf_free(inj.m);
            } else {
                rte_ring_enqueue_elem(r, &inj, sizeof inj);
            }
        }
    }
}

void *
dp_vnode_fp_state(const char *slice, const char *sw, const struct dp_fp_class **cls)
{
    struct dp_vnode *vn = dp_vnode_find(dp_slice_find(slice), dp_switch_find(sw));

    if (cls) {
        *cls = vn ? vn->fp : NULL;
    }
    return vn ? vn->fp_state : NULL;
}

unsigned
dp_punt_receive(struct dp_punt *out, unsigned max)
{
    uint64_t v;

    if (read(dp.punt_fd, &v, sizeof v) < 0) {
        /* Nothing signalled; the ring may still hold a few. */
    }
    return rte_ring_dequeue_burst_elem(dp.punt, out, sizeof *out, max, NULL);
}

int
dp_punt_fd(void)
{
    return dp.punt_fd;
}

int
dp_vnode_inject(const char *slice, const char *sw, const void *frame, size_t len,
                uint16_t in_vport, uint16_t out, struct dp_error *err)
{
    struct dp_vnode *vn = dp_vnode_find(dp_slice_find(slice), dp_switch_find(sw));
    struct dp_inject inj;
    struct rte_mbuf *m;

    if (!vn) {
        dp_err(err, "slice %s has no vnode on switch %s", slice ? slice : "",
               sw ? sw : "");
        return ENOENT;
    }
    if (len < ETH_HLEN_ || len > RTE_MBUF_DEFAULT_DATAROOM - RTE_PKTMBUF_HEADROOM) {
        dp_err(err, "inject into %s/%s: a frame of %zu bytes", slice, sw, len);
        return EINVAL;
    }
    bool in_ok = in_vport < vn->n_vports && vn->vports[in_vport];
    bool out_ok = out == DP_FP_FLOOD || out == DP_INJECT_PIPELINE
                  || (out < vn->n_vports && vn->vports[out]);
    if (!out_ok || (out == DP_INJECT_PIPELINE && !in_ok)
        || (!in_ok && in_vport != DP_FP_DROP)) {
        dp_err(err, "inject into %s/%s: no vport %u", slice, sw,
               !out_ok ? out : in_vport);
        return EINVAL;
    }
    m = rte_pktmbuf_alloc(dp.pool);
    if (!m) {
        dp_err(err, "inject into %s/%s: no buffer", slice, sw);
        return ENOBUFS;
    }
    memcpy(rte_pktmbuf_append(m, len), frame, len);
    inj = (struct dp_inject) { .m = m, .vn = vn, .in_vport = in_vport, .out = out };
    if (rte_ring_enqueue_elem(dp.workers[vn->sw->worker].inject, &inj, sizeof inj)) {
        rte_pktmbuf_free(m);
        dp_err(err, "inject into %s/%s: the worker's queue is full", slice, sw);
        return ENOBUFS;
    }
    return 0;
}

int
dp_start(struct dp_error *err)
{
    if (dp.started) {
        return 0;
    }
    dp_worker_publish();
    dp.started = true;
    for (unsigned i = 0; i < dp.n_workers; i++) {
        dp.workers[i].running = true;
        int ret = rte_eal_remote_launch(dp_worker_main, &dp.workers[i],
                                        dp.workers[i].lcore);
        if (ret) {
            dp_err(err, "cannot launch worker on lcore %u: %s",
                   dp.workers[i].lcore, strerror(-ret));
            dp.workers[i].running = false;
            dp_stop();
            return -ret;
        }
    }
    return 0;
}

void
dp_stop(void)
{
    if (!dp.started) {
        return;
    }
    for (unsigned i = 0; i < dp.n_workers; i++) {
        dp.workers[i].running = false;
    }
    rte_eal_mp_wait_lcore();
    dp.started = false;
}

void
dp_destroy(void)
{
    struct dp_error err;

    for (uint32_t i = dp.n_slices_alloc; i-- > 0;) {
        if (dp.slices[i]) {
            dp_slice_del(dp.slices[i]->name, &err);
        }
    }
    while (dp.n_links) {
        dp_link_del(dp.links[dp.n_links - 1]->name, &err);
    }
    while (dp.n_switches) {
        struct dp_switch *sw = dp.switches[dp.n_switches - 1];
        while (sw->n_ports) {
            dp_port_del(sw->name, sw->ports[sw->n_ports - 1]->name, &err);
        }
        dp_switch_del(sw->name, &err);
    }
    dp_rings_forget(NULL);
    for (unsigned i = 0; i < dp.n_workers; i++) {
        free(dp.workers[i].switches);
        rte_ring_free(dp.workers[i].inject);
    }
    rte_ring_free(dp.punt);
    if (dp.punt_fd >= 0) {
        close(dp.punt_fd);
    }
    free(dp.switches);
    free(dp.slices);
    free(dp.links);
    rte_mempool_free(dp.pool);
    memset(&dp, 0, sizeof dp);
}

void
dp_eal_cleanup(void)
{
    char dir[PATH_MAX];

    str_copy(dir, rte_eal_get_runtime_dir(), sizeof dir);
    rte_eal_cleanup();
    dpdk_files_remove(dir, NULL);
}

/* ---- Lookups ----------------------------------------------------------- */

struct dp_switch *
dp_switch_find(const char *name)
{
    for (uint32_t i = 0; name && i < dp.n_switches; i++) {
        if (!strcmp(dp.switches[i]->name, name)) {
            return dp.switches[i];
        }
    }
    return NULL;
}

struct dp_port *
dp_port_find(const struct dp_switch *sw, const char *name)
{
    for (uint16_t i = 0; sw && name && i < sw->n_ports; i++) {
        if (!strcmp(sw->ports[i]->name, name)) {
            return sw->ports[i];
        }
    }
    return NULL;
}

struct dp_slice *
dp_slice_find(const char *name)
{
    for (uint32_t i = 0; name && i < dp.n_slices_alloc; i++) {
        if (dp.slices[i] && !strcmp(dp.slices[i]->name, name)) {
            return dp.slices[i];
        }
    }
    return NULL;
}

struct dp_vnode *
dp_vnode_find(const struct dp_slice *s, const struct dp_switch *sw)
{
    if (!s || !sw || s->idx >= sw->n_vnodes_alloc) {
        return NULL;
    }
    return sw->vnodes[s->idx];
}

static struct dp_link *
dp_link_find(const char *name)
{
    for (uint32_t i = 0; name && i < dp.n_links; i++) {
        if (!strcmp(dp.links[i]->name, name)) {
            return dp.links[i];
        }
    }
    return NULL;
}

static int
dp_check_name(const char *what, const char *name, struct dp_error *err)
{
    if (!name_is_valid(name)) {
        dp_err(err, "%s name \"%s\" is not valid: use 1-63 characters of "
               "letters, digits, '_', '-' and '.', starting with a letter or digit",
               what, name ? name : "");
        return EINVAL;
    }
    return 0;
}

static struct dp_switch *
dp_need_switch(const char *name, struct dp_error *err)
{
    struct dp_switch *sw = dp_switch_find(name);
    if (!sw) {
        dp_err(err, "no switch named \"%s\"", name ? name : "");
    }
    return sw;
}

static struct dp_slice *
dp_need_slice(const char *name, struct dp_error *err)
{
    struct dp_slice *s = dp_slice_find(name);
    if (!s) {
        dp_err(err, "no slice named \"%s\"", name ? name : "");
    }
    return s;
}

static struct dp_port *
dp_need_port(const struct dp_switch *sw, const char *name, struct dp_error *err)
{
    struct dp_port *p = dp_port_find(sw, name);
    if (!p) {
        dp_err(err, "switch %s has no port named \"%s\"", sw->name,
               name ? name : "");
    }
    return p;
}

/* ---- Switches ------------------------------------------------------------ */

int
dp_switch_add(const char *name, struct dp_error *err)
{
    int error = dp_check_name("switch", name, err);
    if (error) {
        return error;
    }
    if (dp_switch_find(name)) {
        dp_err(err, "switch \"%s\" already exists", name);
        return EEXIST;
    }
    if (dp.n_switches >= DP_MAX_SWITCHES) {
        dp_err(err, "switch \"%s\": limit of %d switches reached", name,
               DP_MAX_SWITCHES);
        return ENOSPC;
    }

    struct dp_switch *sw = xzalloc(sizeof *sw);
    str_copy(sw->name, name, sizeof sw->name);
    if (label_table_init(&sw->labels)) {
        free(sw);
        dp_err(err, "switch \"%s\": out of memory", name);
        return ENOMEM;
    }
    /* Switch indexes are never reused while the process lives, so the
     * outer MAC addresses they name stay unique. */
    static uint32_t next_idx;
    sw->idx = next_idx++;
    sw->worker = sw->idx % dp.n_workers;

    dp_pause();
    dp.switches = xrealloc(dp.switches, (dp.n_switches + 1) * sizeof *dp.switches);
    dp.switches[dp.n_switches++] = sw;
    dp_resume();
    return 0;
}

int
dp_switch_del(const char *name, struct dp_error *err)
{
    struct dp_switch *sw = dp_need_switch(name, err);

    if (!sw) {
        return ENOENT;
    }
    if (sw->n_ports || sw->n_vnodes || sw->labels.n) {
        dp_err(err, "switch %s still has %u ports and %u vnodes: delete them first",
               name, sw->n_ports, sw->n_vnodes);
        return EBUSY;
    }
    dp_pause();
    for (uint32_t i = 0; i < dp.n_switches; i++) {
        if (dp.switches[i] == sw) {
            memmove(&dp.switches[i], &dp.switches[i + 1],
                    (dp.n_switches - i - 1) * sizeof *dp.switches);
            dp.n_switches--;
            break;
        }
    }
    dp_resume();
    label_table_destroy(&sw->labels);
    free(sw->vnodes);
    free(sw->ports);
    free(sw);
    return 0;
}

/* Checks emulated delay and loss of a port or link. */
static int
dp_check_emulation(const char *what, const char *name, uint32_t delay_us,
                   uint32_t loss_ppm, struct dp_error *err)
{
    if (delay_us > 10000000) {
        dp_err(err, "%s %s: delay %u us is over the 10 s limit", what, name,
               delay_us);
        return EINVAL;
    }
    if (loss_ppm > 1000000) {
        dp_err(err, "%s %s: loss %u ppm is over 1000000 (100%%)", what, name,
               loss_ppm);
        return EINVAL;
    }
    return 0;
}

static void dp_queue_rates(struct dp_queue *);

/* Recomputes the ceilings of a port's queues after its rate changed. */
static void
dp_port_requeue_rates(struct dp_port *p)
{
    for (uint32_t i = 0; i < p->n_queues_alloc; i++) {
        if (p->queues[i]) {
            dp_queue_rates(p->queues[i]);
        }
    }
}

/* ---- Ports ---------------------------------------------------------------- */

/* Creates a port object (not yet attached to its switch). */
static struct dp_port *
dp_port_new(struct dp_switch *sw, const char *name, uint32_t queue_len)
{
    struct dp_port *p = xzalloc(sizeof *p);

    str_copy(p->name, name, sizeof p->name);
    p->sw = sw;
    p->queue_len = queue_len ? queue_len : dp.params.default_queue_len;
    return p;
}

/* Attaches 'p' to its switch (workers paused). */
static void
dp_port_attach(struct dp_port *p)
{
    struct dp_switch *sw = p->sw;

    sw->ports = xrealloc(sw->ports, (sw->n_ports + 1) * sizeof *sw->ports);
    p->idx = sw->n_ports;
    p->uid = sw->next_port_uid++;
    sw->ports[sw->n_ports++] = p;
}

static void
dp_port_free(struct dp_port *p)
{
    if (p) {
        classify_port_destroy(&p->bindings);
        free(p->queues);
        free(p->backlog);
        free(p->delay_line);
        free(p->devargs);
        free(p);
    }
}

static int
dp_port_check_new(struct dp_switch *sw, const char *name, uint32_t queue_len,
                  struct dp_error *err)
{
    int error = dp_check_name("port", name, err);

    if (error) {
        return error;
    }
    if (dp_port_find(sw, name)) {
        dp_err(err, "switch %s already has a port named \"%s\"", sw->name, name);
        return EEXIST;
    }
    if (sw->n_ports >= UINT16_MAX - 1) {
        dp_err(err, "switch %s has too many ports", sw->name);
        return ENOSPC;
    }
    if (queue_len && (queue_len < 16 || queue_len > 65536)) {
        dp_err(err, "port %s: queue_len %u is outside 16..65536", name, queue_len);
        return EINVAL;
    }
    return 0;
}

int
dp_port_add(const struct dp_port_params *pp, struct dp_error *err)
{
    struct dp_switch *sw = dp_need_switch(pp->sw, err);
    struct dp_port *p;
    int error;

    if (!sw) {
        return ENOENT;
    }
    error = dp_port_check_new(sw, pp->name, pp->queue_len, err);
    if (error) {
        return error;
    }
    error = dp_check_emulation("port", pp->name, pp->delay_us, pp->loss_ppm, err);
    if (error) {
        return error;
    }
    if (!pp->devargs || !pp->devargs[0]) {
        dp_err(err, "port %s: devargs are missing", pp->name);
        return EINVAL;
    }

    p = dp_port_new(sw, pp->name, pp->queue_len);
    /* Probing a device does not touch what the workers read. */
    error = dp_port_open(p, pp->devargs, err);
    if (error) {
        dp_port_free(p);
        return error;
    }
    dp_pause();
    dp_port_attach(p);
    dp_port_init_egress(p, pp->rate_bps, pp->delay_us, pp->loss_ppm);
    dp_resume();
    return 0;
}

int
dp_port_add_dummy(const char *swname, const char *name, struct rte_ring *rx,
                  struct rte_ring *tx, struct dp_error *err)
{
    struct dp_switch *sw = dp_need_switch(swname, err);
    struct dp_port *p;
    int error;

    if (!sw) {
        return ENOENT;
    }
    error = dp_port_check_new(sw, name, 0, err);
    if (error) {
        return error;
    }
    p = dp_port_new(sw, name, 0);
    p->type = DP_PORT_RING;
    p->rx_ring = rx;
    p->tx_ring = tx;
    dp_pause();
    dp_port_attach(p);
    dp_port_init_egress(p, 0, 0, 0);
    dp_resume();
    return 0;
}

/* Sum of the guarantees of the queues on 'p', leaving out 'skip'. */
static uint64_t
dp_port_guaranteed(const struct dp_port *p, const struct dp_queue *skip)
{
    uint64_t sum = 0;

    for (uint32_t i = 0; i < p->n_queues_alloc; i++) {
        if (p->queues[i] && p->queues[i] != skip) {
            sum += p->queues[i]->guarantee_bps;
        }
    }
    return sum;
}

int
dp_port_set(const struct dp_port_params *pp, struct dp_error *err)
{
    struct dp_switch *sw = dp_need_switch(pp->sw, err);
    struct dp_port *p = sw ? dp_need_port(sw, pp->name, err) : NULL;
    int error;

    if (!p) {
        return ENOENT;
    }
    if (p->link) {
        dp_err(err, "port %s/%s is an end of link %s: set the link instead",
               pp->sw, pp->name, p->link->name);
        return EINVAL;
    }
    error = dp_check_emulation("port", pp->name, pp->delay_us, pp->loss_ppm, err);
    if (error) {
        return error;
    }
    if (pp->rate_bps && dp_port_guaranteed(p, NULL) > pp->rate_bps) {
        dp_err(err, "port %s/%s: the slices on it are guaranteed %" PRIu64
               " bit/s in all, more than the rate %" PRIu64 " bit/s",
               pp->sw, pp->name, dp_port_guaranteed(p, NULL), pp->rate_bps);
        return EINVAL;
    }
    dp_pause();
    error = dp_port_set_delay(p, pp->delay_us, err);
    if (!error) {
        p->loss_ppm = pp->loss_ppm;
        if (p->rate_bps != pp->rate_bps) {
            p->rate_bps = pp->rate_bps;
            qsched_port_init(&p->sched, pp->rate_bps, dp_now_ns());
            dp_port_requeue_rates(p);
        }
    }
    dp_resume();
    return error;
}

static void dp_port_drain(struct dp_port *);

int
dp_port_set_up(const char *swname, const char *name, bool up, struct dp_error *err)
{
    struct dp_switch *sw = dp_need_switch(swname, err);
    struct dp_port *p = sw ? dp_need_port(sw, name, err) : NULL;

    if (!p) {
        return ENOENT;
    }
    if (p->link) {
        dp_err(err, "port %s/%s is an end of link %s: set the link instead",
               swname, name, p->link->name);
        return EINVAL;
    }
    dp_pause();
    p->down = !up;
    if (!up) {
        dp_port_drain(p);
        for (uint32_t k = 0; k < p->n_queues_alloc; k++) {
            if (p->queues[k]) {
                dp_queue_flush(p->queues[k], sw->worker);
            }
        }
    }
    dp_resume();
    return 0;
}

/* Frees what is in a port's delay line (workers paused). */
static void
dp_port_drain(struct dp_port *p)
{
    while (p->dl_count) {
        rte_pktmbuf_free(p->delay_line[p->dl_head].m);
        p->dl_head = (p->dl_head + 1) & p->dl_mask;
        p->dl_count--;
    }
}

/* Detaches 'p' from its switch (workers paused). */
static void
dp_port_detach(struct dp_port *p)
{
    struct dp_switch *sw = p->sw;

    memmove(&sw->ports[p->idx], &sw->ports[p->idx + 1],
            (sw->n_ports - p->idx - 1) * sizeof *sw->ports);
    sw->n_ports--;
    for (uint16_t i = p->idx; i < sw->n_ports; i++) {
        sw->ports[i]->idx = i;
    }
    dp_port_drain(p);
}

int
dp_port_del(const char *swname, const char *name, struct dp_error *err)
{
    struct dp_switch *sw = dp_need_switch(swname, err);
    struct dp_port *p = sw ? dp_need_port(sw, name, err) : NULL;

    if (!p) {
        return ENOENT;
    }
    if (p->link) {
        dp_err(err, "port %s/%s is an end of link %s: delete the link",
               swname, name, p->link->name);
        return EBUSY;
    }
    if (p->n_users || p->n_queues) {
        dp_err(err, "port %s/%s is used by %u vports or virtual links: "
               "delete them first", swname, name, p->n_users ? p->n_users : p->n_queues);
        return EBUSY;
    }
    dp_pause();
    dp_port_detach(p);
    dp_resume();
    dp_port_close(p);
    dp_port_free(p);
    return 0;
}

/* ---- Links ------------------------------------------------------------------ */

static int
dp_link_check_emulation(const struct dp_link_params *lp, struct dp_error *err)
{
    return dp_check_emulation("link", lp->name, lp->delay_us, lp->loss_ppm, err);
}

int
dp_link_add(const struct dp_link_params *lp, struct dp_error *err)
{
    struct dp_switch *a, *b;
    struct dp_link *l;
    int error;

    error = dp_check_name("link", lp->name, err);
    if (error) {
        return error;
    }
    if (dp_link_find(lp->name)) {
        dp_err(err, "link \"%s\" already exists", lp->name);
        return EEXIST;
    }
    a = dp_need_switch(lp->sw_a, err);
    b = a ? dp_need_switch(lp->sw_b, err) : NULL;
    if (!b) {
        return ENOENT;
    }
    if (a == b && !strcmp(lp->port_a, lp->port_b)) {
        dp_err(err, "link %s: both ends are port %s/%s", lp->name, a->name, lp->port_a);
        return EINVAL;
    }
    error = dp_port_check_new(a, lp->port_a, 0, err);
    if (!error) {
        error = dp_port_check_new(b, lp->port_b, 0, err);
    }
    if (!error) {
        error = dp_link_check_emulation(lp, err);
    }
    if (error) {
        return error;
    }
    if (!lp->devargs_a != !lp->devargs_b) {
        dp_err(err, "link %s: give devargs for both ends or for neither", lp->name);
        return EINVAL;
    }

    l = xzalloc(sizeof *l);
    str_copy(l->name, lp->name, sizeof l->name);
    l->ends[0] = dp_port_new(a, lp->port_a, 0);
    l->ends[1] = dp_port_new(b, lp->port_b, 0);
    l->rate_bps = lp->rate_bps;
    l->delay_us = lp->delay_us;
    l->loss_ppm = lp->loss_ppm;
    l->up = true;

    if (lp->devargs_a) {
        error = dp_port_open(l->ends[0], lp->devargs_a, err);
        if (!error) {
            error = dp_port_open(l->ends[1], lp->devargs_b, err);
            if (error) {
                dp_port_close(l->ends[0]);
            }
        }
    } else {
        static unsigned ring_id;
        for (int i = 0; i < 2 && !error; i++) {
            char rname[RTE_RING_NAMESIZE];
            snprintf(rname, sizeof rname, "lk%u", ring_id++);
            l->rings[i] = rte_ring_create(rname, DP_LINK_RING_SIZE, rte_socket_id(),
                                          RING_F_SP_ENQ | RING_F_SC_DEQ);
            if (!l->rings[i]) {
                dp_err(err, "link %s: cannot create a ring: %s", lp->name,
                       rte_strerror(rte_errno));
                error = ENOMEM;
            }
        }
        for (int i = 0; i < 2 && !error; i++) {
            l->ends[i]->type = DP_PORT_RING;
            l->ends[i]->tx_ring = l->rings[i];
            l->ends[i]->rx_ring = l->rings[!i];
        }
    }
    if (error) {
        rte_ring_free(l->rings[0]);
        rte_ring_free(l->rings[1]);
        dp_port_free(l->ends[0]);
        dp_port_free(l->ends[1]);
        free(l);
        return error;
    }

    dp_pause();
    for (int i = 0; i < 2; i++) {
        l->ends[i]->link = l;
        l->ends[i]->is_link = true;
        dp_port_attach(l->ends[i]);
        dp_port_init_egress(l->ends[i], l->rate_bps, l->delay_us, l->loss_ppm);
    }
    dp.links = xrealloc(dp.links, (dp.n_links + 1) * sizeof *dp.links);
    dp.links[dp.n_links++] = l;
    dp_resume();
    return 0;
}

int
dp_link_set(const struct dp_link_params *lp, struct dp_error *err)
{
    struct dp_link *l = dp_link_find(lp->name);
    int error;

    if (!l) {
        dp_err(err, "no link named \"%s\"", lp->name ? lp->name : "");
        return ENOENT;
    }
    error = dp_link_check_emulation(lp, err);
    if (error) {
        return error;
    }
    for (int i = 0; i < 2; i++) {
        if (lp->rate_bps && dp_port_guaranteed(l->ends[i], NULL) > lp->rate_bps) {
            dp_err(err, "link %s: the slices on it are guaranteed more than %"
                   PRIu64 " bit/s", lp->name, lp->rate_bps);
            return EINVAL;
        }
    }
    dp_pause();
    for (int i = 0; i < 2 && !error; i++) {
        struct dp_port *p = l->ends[i];
        error = dp_port_set_delay(p, lp->delay_us, err);
        if (!error) {
            p->loss_ppm = lp->loss_ppm;
            if (p->rate_bps != lp->rate_bps) {
                p->rate_bps = lp->rate_bps;
                qsched_port_init(&p->sched, lp->rate_bps, dp_now_ns());
                dp_port_requeue_rates(p);
            }
        }
    }
    if (!error) {
        l->rate_bps = lp->rate_bps;
        l->delay_us = lp->delay_us;
        l->loss_ppm = lp->loss_ppm;
    }
    dp_resume();
    return error;
}

int
dp_link_set_up(const char *name, bool up, struct dp_error *err)
{
    struct dp_link *l = dp_link_find(name);

    if (!l) {
        dp_err(err, "no link named \"%s\"", name ? name : "");
        return ENOENT;
    }
    dp_pause();
    l->up = up;
    for (int i = 0; i < 2; i++) {
        l->ends[i]->down = !up;
        if (!up) {
            dp_port_drain(l->ends[i]);
            for (uint32_t k = 0; k < l->ends[i]->n_queues_alloc; k++) {
                if (l->ends[i]->queues[k]) {
                    dp_queue_flush(l->ends[i]->queues[k], l->ends[i]->sw->worker);
                }
            }
        }
    }
    if (!up) {
        /* What is in flight on a cut link is lost. */
        struct rte_mbuf *m;
        for (int i = 0; i < 2; i++) {
            while (l->rings[i] && !rte_ring_dequeue(l->rings[i], (void **) &m)) {
                rte_pktmbuf_free(m);
            }
        }
    }
    dp_resume();
    return 0;
}

int
dp_link_del(const char *name, struct dp_error *err)
{
    struct dp_link *l = dp_link_find(name);

    if (!l) {
        dp_err(err, "no link named \"%s\"", name ? name : "");
        return ENOENT;
    }
    for (int i = 0; i < 2; i++) {
        if (l->ends[i]->n_users || l->ends[i]->n_queues) {
            dp_err(err, "link %s carries virtual links: delete them first", name);
            return EBUSY;
        }
    }
    dp_pause();
    for (int i = 0; i < 2; i++) {
        dp_port_detach(l->ends[i]);
    }
    for (uint32_t i = 0; i < dp.n_links; i++) {
        if (dp.links[i] == l) {
            dp.links[i] = dp.links[--dp.n_links];
            break;
        }
    }
    dp_resume();
    for (int i = 0; i < 2; i++) {
        struct rte_mbuf *m;
        while (l->rings[i] && !rte_ring_dequeue(l->rings[i], (void **) &m)) {
            rte_pktmbuf_free(m);
        }
        rte_ring_free(l->rings[i]);
        dp_port_close(l->ends[i]);
        dp_port_free(l->ends[i]);
    }
    free(l);
    return 0;
}

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
    return 0;
}

/* The quota in effect per worker: the configured one, or a quarter of the
 * pool, so no single slice can hold most buffers. */
static uint32_t
dp_slice_quota(uint32_t configured)
{
    uint32_t q = configured ? configured : dp.params.n_mbufs / 4;
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
    s->quota = dp_slice_quota(sp->mbuf_quota);
}

static void dp_vnode_policer_init(struct dp_vnode *);

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
    s->ctr = xcalloc(dp.n_workers, sizeof *s->ctr);
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
     * this slice without its own rates. */
    for (uint32_t i = 0; i < dp.n_switches; i++) {
        struct dp_switch *sw = dp.switches[i];
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
        struct dp_vnode *vn = dp_vnode_find(s, sw);
        if (vn) {
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
        if (dp_vnode_find(s, sw)) {
            dp_vnode_del(s->name, sw->name, err);
        }
        /* Queues kept only for their explicit rates. */
        for (uint16_t k = 0; k < sw->n_ports; k++) {
            struct dp_port *p = sw->ports[k];
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
    free(s->ctr);
    free(s);
    return 0;
}

/* ---- Queues ---------------------------------------------------------------- */

static void
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
        rte_pktmbuf_free(q->ring[q->head]);
        q->head = (q->head + 1) & q->mask;
        q->count--;
        q->slice->held[worker]--;
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
    dp_queue_flush(q, p->sw->worker);
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

/* ---- Vnodes and vports ----------------------------------------------------- */

static void
dp_vnode_policer_init(struct dp_vnode *vn)
{
    struct dp_slice *s = vn->slice;

    qsched_tb_init(&vn->policer, s->policer_bps, dp_now_ns());
    if (s->policer_bps && s->policer_burst) {
        vn->policer.burst = (uint64_t) s->policer_burst * QSCHED_NS;
        vn->policer.tokens = vn->policer.burst;
    }
}

int
dp_vnode_add(const char *slice, const char *swname, const char *fpname,
             const json_t *config, struct dp_error *err)
{
    struct dp_slice *s = dp_need_slice(slice, err);
    struct dp_switch *sw = s ? dp_need_switch(swname, err) : NULL;
    const struct dp_fp_class *fp;
    struct dp_vnode *vn;
    void *state;
    int error;

    if (!sw) {
        return ENOENT;
    }
    if (dp_vnode_find(s, sw)) {
        dp_err(err, "slice %s already has a vnode on switch %s", slice, swname);
        return EEXIST;
    }
    fp = dp_fp_class_find(fpname ? fpname : "l2learn");
    if (!fp) {
        dp_err(err, "vnode %s/%s: unknown forwarding plane \"%s\" (known: %s)",
               slice, swname, fpname, dp_fp_class_names());
        return EINVAL;
    }
    error = fp->create(config, &state, err);
    if (error) {
        char msg[DP_ERR_LEN];
        memcpy(msg, err->msg, sizeof msg);
        dp_err(err, "vnode %s/%s: %.200s", slice, swname, msg);
        return error;
    }
    vn = xzalloc(sizeof *vn);
    vn->slice = s;
    vn->sw = sw;
    vn->fp = fp;
    vn->fp_state = state;
    dp_vnode_policer_init(vn);

    dp_pause();
    if (s->idx >= sw->n_vnodes_alloc) {
        uint32_t n = sw->n_vnodes_alloc ? sw->n_vnodes_alloc : 8;
        while (n <= s->idx) {
            n *= 2;
        }
        sw->vnodes = xrealloc(sw->vnodes, n * sizeof *sw->vnodes);
        memset(&sw->vnodes[sw->n_vnodes_alloc], 0,
               (n - sw->n_vnodes_alloc) * sizeof *sw->vnodes);
        sw->n_vnodes_alloc = n;
    }
    sw->vnodes[s->idx] = vn;
    sw->n_vnodes++;
    dp_resume();
    return 0;
}

static struct dp_vport *
dp_vport_find(const struct dp_vnode *vn, const char *name)
{
    for (uint16_t i = 0; i < vn->n_vports; i++) {
        if (vn->vports[i] && !strcmp(vn->vports[i]->name, name)) {
            return vn->vports[i];
        }
    }
    return NULL;
}

/* Adds 'vp' to its vnode in the first free slot (workers paused). */
static int
dp_vport_attach(struct dp_vport *vp, struct dp_error *err)
{
    struct dp_vnode *vn = vp->vn;
    uint16_t i;

    for (i = 0; i < vn->n_vports && vn->vports[i]; i++) {
        continue;
    }
    if (i >= DP_MAX_VPORTS) {
        dp_err(err, "vnode %s/%s has the maximum of %d vports", vn->slice->name,
               vn->sw->name, DP_MAX_VPORTS);
        return ENOSPC;
    }
    if (i == vn->n_vports) {
        vn->vports = xrealloc(vn->vports, (vn->n_vports + 1) * sizeof *vn->vports);
        vn->is_vlink = xrealloc(vn->is_vlink, vn->n_vports + 1);
        vn->n_vports++;
    }
    vp->idx = i;
    vn->vports[i] = vp;
    vn->is_vlink[i] = vp->type == DP_VPORT_VLINK;
    vn->n_live++;
    return 0;
}

/* Removes 'vp' from its vnode, leaving a hole so other vports keep their
 * indexes (the forwarding plane's state refers to them). */
static void
dp_vport_detach(struct dp_vport *vp)
{
    struct dp_vnode *vn = vp->vn;

    vn->fp->vport_removed(vn->fp_state, vp->idx);
    vn->vports[vp->idx] = NULL;
    vn->n_live--;
    while (vn->n_vports && !vn->vports[vn->n_vports - 1]) {
        vn->n_vports--;
    }
}

int
dp_vport_add(const char *slice, const char *swname, const char *vport,
             const char *port, int vlan, struct dp_error *err)
{
    struct dp_slice *s = dp_need_slice(slice, err);
    struct dp_switch *sw = s ? dp_need_switch(swname, err) : NULL;
    struct dp_vnode *vn = sw ? dp_vnode_find(s, sw) : NULL;
    struct dp_port *p;
    struct dp_vport *vp;
    int error;

    if (!sw) {
        return ENOENT;
    }
    if (!vn) {
        dp_err(err, "slice %s has no vnode on switch %s: add it first", slice, swname);
        return ENOENT;
    }
    error = dp_check_name("vport", vport, err);
    if (error) {
        return error;
    }
    if (dp_vport_find(vn, vport)) {
        dp_err(err, "vnode %s/%s already has a vport named \"%s\"", slice, swname, vport);
        return EEXIST;
    }
    p = dp_need_port(sw, port, err);
    if (!p) {
        return ENOENT;
    }
    if (p->is_link) {
        dp_err(err, "port %s/%s is a link end and carries labelled traffic; "
               "bind vports to access ports", swname, port);
        return EINVAL;
    }
    if (vlan > 4094 || vlan == 0 || vlan < -1) {
        dp_err(err, "vport %s: VLAN %d is outside 1..4094", vport, vlan);
        return EINVAL;
    }
    struct dp_vport *owner = classify_get(&p->bindings, vlan);
    if (owner) {
        if (vlan < 0) {
            dp_err(err, "port %s/%s is already bound untagged to slice %s (vport %s)",
                   swname, port, owner->vn->slice->name, owner->name);
        } else {
            dp_err(err, "VLAN %d on port %s/%s is already bound to slice %s (vport %s)",
                   vlan, swname, port, owner->vn->slice->name, owner->name);
        }
        return EEXIST;
    }

    vp = xzalloc(sizeof *vp);
    str_copy(vp->name, vport, sizeof vp->name);
    vp->vn = vn;
    vp->type = DP_VPORT_ACCESS;
    vp->port = p;
    vp->vlan = vlan;

    dp_pause();
    vp->queue = dp_queue_ref(s, p, err);
    error = vp->queue ? dp_vport_attach(vp, err) : EINVAL;
    if (!error) {
        error = classify_bind(&p->bindings, vlan, vp);
        if (error) {
            dp_err(err, "vport %s: cannot bind port %s/%s: %s", vport, swname,
                   port, strerror(error));
            dp_vport_detach(vp);
        }
    }
    if (error) {
        dp_queue_unref(vp->queue);
        free(vp);
    } else {
        p->n_users++;
    }
    dp_resume();
    return error;
}

int
dp_vport_del(const char *slice, const char *swname, const char *vport,
             struct dp_error *err)
{
    struct dp_slice *s = dp_need_slice(slice, err);
    struct dp_switch *sw = s ? dp_need_switch(swname, err) : NULL;
    struct dp_vnode *vn = sw ? dp_vnode_find(s, sw) : NULL;
    struct dp_vport *vp;

    if (!sw) {
        return ENOENT;
    }
    vp = vn ? dp_vport_find(vn, vport) : NULL;
    if (!vp) {
        dp_err(err, "slice %s has no vport \"%s\" on switch %s", slice, vport, swname);
        return ENOENT;
    }
    if (vp->type == DP_VPORT_VLINK) {
        dp_err(err, "vport %s belongs to virtual link %s: delete the virtual link",
               vport, vp->vlink->name);
        return EBUSY;
    }
    dp_pause();
    classify_unbind(&vp->port->bindings, vp->vlan);
    vp->port->n_users--;
    dp_vport_detach(vp);
    dp_queue_unref(vp->queue);
    dp_resume();
    free(vp);
    return 0;
}

int
dp_vnode_del(const char *slice, const char *swname, struct dp_error *err)
{
    struct dp_slice *s = dp_need_slice(slice, err);
    struct dp_switch *sw = s ? dp_need_switch(swname, err) : NULL;
    struct dp_vnode *vn = sw ? dp_vnode_find(s, sw) : NULL;

    if (!sw) {
        return ENOENT;
    }
    if (!vn) {
        dp_err(err, "slice %s has no vnode on switch %s", slice, swname);
        return ENOENT;
    }
    for (uint16_t i = 0; i < vn->n_vports; i++) {
        if (vn->vports[i] && vn->vports[i]->type == DP_VPORT_VLINK) {
            dp_err(err, "vnode %s/%s ends virtual link %s: delete it first",
                   slice, swname, vn->vports[i]->vlink->name);
            return EBUSY;
        }
    }
    dp_pause();
    for (uint16_t i = vn->n_vports; i-- > 0;) {
        if (vn->vports[i]) {
            dp_vport_del(slice, swname, vn->vports[i]->name, err);
        }
    }
    sw->vnodes[s->idx] = NULL;
    sw->n_vnodes--;
    dp_rings_forget(vn);
    dp_resume();
    vn->fp->destroy(vn->fp_state);
    free(vn->is_vlink);
    free(vn->vports);
    free(vn);
    return 0;
}

/* ---- Virtual links ----------------------------------------------------------- */

static struct dp_vlink *
dp_vlink_find(const struct dp_slice *s, const char *name)
{
    for (uint32_t i = 0; i < s->n_vlinks; i++) {
        if (!strcmp(s->vlinks[i]->name, name)) {
            return s->vlinks[i];
        }
    }
    return NULL;
}

/* Finds the first link joining switches 'a' and 'b'; sets the ends. */
static struct dp_link *
dp_link_between(const struct dp_switch *a, const struct dp_switch *b,
                struct dp_port **end_a, struct dp_port **end_b)
{
    for (uint32_t i = 0; i < dp.n_links; i++) {
        struct dp_link *l = dp.links[i];
        for (int k = 0; k < 2; k++) {
            if (l->ends[k]->sw == a && l->ends[!k]->sw == b) {
                *end_a = l->ends[k];
                *end_b = l->ends[!k];
                return l;
            }
        }
    }
    return NULL;
}

/* The receiving ports of a path: in[d][i] is where direction d's label
 * arrives at path switch i (NULL at the head of that direction). */
struct dp_vlink_ports {
    struct dp_switch **sw;
    struct dp_port **out[2];
    struct dp_port **in[2];
};

static void
dp_vlink_ports_free(struct dp_vlink_ports *vp)
{
    free(vp->sw);
    for (int d = 0; d < 2; d++) {
        free(vp->out[d]);
        free(vp->in[d]);
    }
}

static bool
dp_label_free_on(const struct dp_vlink_ports *vp, size_t n, uint32_t label)
{
    for (int d = 0; d < 2; d++) {
        for (size_t i = 0; i < n; i++) {
            struct dp_port *in = vp->in[d][i];
            if (in && label_table_contains(&vp->sw[i]->labels, in->uid, label)) {
                return false;
            }
        }
    }
    return true;
}

static void dp_vlink_free(struct dp_vlink *);

int
dp_vlink_add(const struct dp_vlink_params *vlp, struct dp_error *err)
{
    struct dp_slice *s = dp_need_slice(vlp->slice, err);
    struct dp_vlink_ports ports = { 0 };
    struct dp_vnode *head, *tail;
    struct dp_vlink *vl;
    char vport_name[DP_NAME_LEN + 8];
    size_t n = vlp->n_path;
    uint32_t label = vlp->label;
    int error;

    if (!s) {
        return ENOENT;
    }
    error = dp_check_name("virtual link", vlp->name, err);
    if (error) {
        return error;
    }
    if (dp_vlink_find(s, vlp->name)) {
        dp_err(err, "slice %s already has a virtual link named \"%s\"", s->name,
               vlp->name);
        return EEXIST;
    }
    if (n < 2) {
        dp_err(err, "virtual link %s: the path needs at least two switches", vlp->name);
        return EINVAL;
    }
    if (label && (label < DP_MPLS_LABEL_MIN || label > DP_MPLS_LABEL_MAX)) {
        dp_err(err, "virtual link %s: label %u is outside %d..%d", vlp->name, label,
               DP_MPLS_LABEL_MIN, DP_MPLS_LABEL_MAX);
        return EINVAL;
    }
    snprintf(vport_name, sizeof vport_name, "vl-%s", vlp->name);
    if (strlen(vport_name) >= DP_NAME_LEN) {
        dp_err(err, "virtual link name \"%s\" is too long", vlp->name);
        return EINVAL;
    }

    ports.sw = xcalloc(n, sizeof *ports.sw);
    for (int d = 0; d < 2; d++) {
        ports.out[d] = xcalloc(n, sizeof *ports.out[d]);
        ports.in[d] = xcalloc(n, sizeof *ports.in[d]);
    }
    for (size_t i = 0; i < n && !error; i++) {
        ports.sw[i] = dp_need_switch(vlp->path[i], err);
        if (!ports.sw[i]) {
            error = ENOENT;
            break;
        }
        for (size_t k = 0; k < i; k++) {
            if (ports.sw[k] == ports.sw[i]) {
                dp_err(err, "virtual link %s: switch %s appears twice in the path",
                       vlp->name, vlp->path[i]);
                error = EINVAL;
            }
        }
        if (i && !error) {
            struct dp_port *a, *b;
            if (!dp_link_between(ports.sw[i - 1], ports.sw[i], &a, &b)) {
                dp_err(err, "virtual link %s: no link joins switches %s and %s",
                       vlp->name, vlp->path[i - 1], vlp->path[i]);
                error = ENOENT;
            } else {
                ports.out[0][i - 1] = a;    /* forward leaves i-1 by a */
                ports.in[0][i] = b;         /* and arrives at i on b */
                ports.out[1][i] = b;        /* reverse leaves i by b */
                ports.in[1][i - 1] = a;     /* and arrives at i-1 on a */
            }
        }
    }
    head = error ? NULL : dp_vnode_find(s, ports.sw[0]);
    tail = error ? NULL : dp_vnode_find(s, ports.sw[n - 1]);
    if (!error && (!head || !tail)) {
        dp_err(err, "virtual link %s: slice %s has no vnode on switch %s", vlp->name,
               s->name, !head ? vlp->path[0] : vlp->path[n - 1]);
        error = ENOENT;
    }
    if (!error && (dp_vport_find(head, vport_name) || dp_vport_find(tail, vport_name))) {
        dp_err(err, "virtual link %s: vport %s already exists", vlp->name, vport_name);
        error = EEXIST;
    }
    if (!error && label && !dp_label_free_on(&ports, n, label)) {
        for (int d = 0; d < 2; d++) {
            for (size_t i = 0; i < n; i++) {
                struct dp_port *in = ports.in[d][i];
                struct dp_label_entry *e = in ? label_table_lookup(&ports.sw[i]->labels,
                                                                   in->uid, label) : NULL;
                if (e && !error) {
                    dp_err(err, "virtual link %s: label %u is already in use on port "
                           "%s/%s (slice %s)", vlp->name, label, ports.sw[i]->name,
                           in->name, e->slice->name);
                    error = EADDRINUSE;
                }
            }
        }
    }
    if (!error && !label) {
        /* Start where the last allocation ended, so a mesh of thousands
         * of virtual links does not rescan the used labels each time. */
        static uint32_t hint = DP_MPLS_LABEL_MIN;
        uint32_t span = DP_MPLS_LABEL_MAX - DP_MPLS_LABEL_MIN + 1;
        uint32_t tries;

        for (tries = 0; tries < span; tries++) {
            label = DP_MPLS_LABEL_MIN + (hint - DP_MPLS_LABEL_MIN + tries) % span;
            if (dp_label_free_on(&ports, n, label)) {
                hint = label + 1 > DP_MPLS_LABEL_MAX ? DP_MPLS_LABEL_MIN : label + 1;
                break;
            }
        }
        if (tries == span) {
            dp_err(err, "virtual link %s: no free label along the path", vlp->name);
            error = ENOSPC;
        }
    }
    if (error) {
        dp_vlink_ports_free(&ports);
        return error;
    }

    vl = xzalloc(sizeof *vl);
    str_copy(vl->name, vlp->name, sizeof vl->name);
    vl->slice = s;
    vl->label = label;
    vl->n_path = n;
    vl->path = xcalloc(n, sizeof *vl->path);
    for (size_t i = 0; i < n; i++) {
        vl->path[i] = xstrdup(vlp->path[i]);
    }
    for (int d = 0; d < 2; d++) {
        vl->hops[d] = xcalloc(n, sizeof *vl->hops[d]);
    }

    dp_pause();
    for (int end = 0; end < 2 && !error; end++) {
        struct dp_vport *vp = xzalloc(sizeof *vp);
        size_t at = end ? n - 1 : 0;

        str_copy(vp->name, vport_name, sizeof vp->name);
        vp->vn = end ? tail : head;
        vp->type = DP_VPORT_VLINK;
        vp->port = ports.out[end][at];
        vp->vlan = -1;
        vp->label = label;
        vp->vlink = vl;
        vp->queue = dp_queue_ref(s, vp->port, err);
        error = vp->queue ? dp_vport_attach(vp, err) : EINVAL;
        if (error) {
            dp_queue_unref(vp->queue);
            free(vp);
            break;
        }
        vp->port->n_users++;
        vl->ends[end] = vp;
    }
    /* Label entries: d = 0 runs along the path, d = 1 against it. */
    for (int d = 0; d < 2 && !error; d++) {
        for (size_t k = 1; k < n && !error; k++) {
            size_t i = d ? n - 1 - k : k;           /* switch receiving the hop */
            struct dp_vlink_hop *hop = &vl->hops[d][i];
            struct dp_label_entry *e = xzalloc(sizeof *e);
            bool last = k == n - 1;

            hop->sw = ports.sw[i];
            hop->in_port = ports.in[d][i];
            hop->out_port = last ? NULL : ports.out[d][i];
            e->slice = s;
            if (last) {
                e->op = DP_LABEL_POP;
                e->vport = vl->ends[!d];
            } else {
                e->op = DP_LABEL_SWAP;
                e->out_label = label;
                e->queue = dp_queue_ref(s, hop->out_port, err);
                if (!e->queue) {
                    free(e);
                    error = EINVAL;
                    break;
                }
            }
            error = label_table_add(&hop->sw->labels, hop->in_port->uid, label, e);
            if (error) {
                dp_err(err, "virtual link %s: cannot add label %u on %s/%s: %s",
                       vlp->name, label, hop->sw->name, hop->in_port->name,
                       strerror(error));
                dp_queue_unref(e->queue);
                free(e);
                break;
            }
            hop->entry = e;
            hop->in_port->n_users++;
        }
    }
    if (error) {
        dp_vlink_free(vl);
    } else {
        s->vlinks = xrealloc(s->vlinks, (s->n_vlinks + 1) * sizeof *s->vlinks);
        s->vlinks[s->n_vlinks++] = vl;
    }
    dp_resume();
    dp_vlink_ports_free(&ports);
    return error;
}

/* Undoes whatever part of a virtual link exists (workers paused). */
static void
dp_vlink_free(struct dp_vlink *vl)
{
    for (int d = 0; d < 2; d++) {
        for (size_t i = 0; vl->hops[d] && i < vl->n_path; i++) {
            struct dp_vlink_hop *hop = &vl->hops[d][i];
            if (hop->entry) {
                label_table_del(&hop->sw->labels, hop->in_port->uid, vl->label);
                hop->in_port->n_users--;
                dp_queue_unref(hop->entry->queue);
                free(hop->entry);
            }
        }
        free(vl->hops[d]);
    }
    for (int end = 0; end < 2; end++) {
        struct dp_vport *vp = vl->ends[end];
        if (vp) {
            dp_vport_detach(vp);
            vp->port->n_users--;
            dp_queue_unref(vp->queue);
            free(vp);
        }
    }
    for (size_t i = 0; i < vl->n_path; i++) {
        free(vl->path[i]);
    }
    free(vl->path);
    free(vl);
}

int
dp_vlink_del(const char *slice, const char *name, struct dp_error *err)
{
    struct dp_slice *s = dp_need_slice(slice, err);
    struct dp_vlink *vl = s ? dp_vlink_find(s, name) : NULL;

    if (!s) {
        return ENOENT;
    }
    if (!vl) {
        dp_err(err, "slice %s has no virtual link named \"%s\"", slice, name);
        return ENOENT;
    }
    dp_pause();
    for (uint32_t i = 0; i < s->n_vlinks; i++) {
        if (s->vlinks[i] == vl) {
            memmove(&s->vlinks[i], &s->vlinks[i + 1],
                    (s->n_vlinks - i - 1) * sizeof *s->vlinks);
            s->n_vlinks--;
            break;
        }
    }
    dp_vlink_free(vl);
    dp_resume();
    return 0;
}
