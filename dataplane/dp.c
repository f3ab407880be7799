/*
 * dp: the control side of the dataplane.  Every function validates all of
 * its input before it changes anything, so a refused call leaves the
 * dataplane as it was; changes are made with the workers paused.
 *
 * This file holds the forwarding-plane classes, errors, the lifecycle and
 * the lookups; the objects have one file each: dp_switch.c (switches,
 * ports, links), dp_slice.c (slices, queues), dp_vnode.c (vnodes, vports),
 * dp_vlink.c (virtual links).
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
    &dp_fp_ebpf,
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
    if (!dp.params.n_gso_mbufs) {
        dp.params.n_gso_mbufs = DP_DEFAULT_GSO_MBUFS;
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
        /* Without it, the worker never blocks (sleeps in short steps). */
        dp.workers[i].kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
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
void
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

/* Creates the handoff rings between every two workers of 'sw' that do
 * not have one yet (one single-producer single-consumer ring per ordered
 * pair of workers, shared by all the switches they serve together). */
int
dp_handoff_rings(const struct dp_switch *sw, struct dp_error *err)
{
    for (unsigned i = 0; i < sw->n_workers; i++) {
        for (unsigned j = 0; j < sw->n_workers; j++) {
            unsigned a = sw->workers[i], b = sw->workers[j];
            char name[RTE_RING_NAMESIZE];
            struct rte_ring *r;

            if (a == b || dp.workers[a].to[b]) {
                continue;
            }
            snprintf(name, sizeof name, "lamina_ho%u_%u", a, b);
            r = rte_ring_create_elem(name, sizeof(struct dp_handoff),
                                     DP_HANDOFF_RING_SIZE, rte_socket_id(),
                                     RING_F_SP_ENQ | RING_F_SC_DEQ);
            if (!r) {
                dp_err(err, "switch %s: cannot create the handoff ring from "
                       "worker %u to worker %u: %s", sw->name, a, b,
                       rte_strerror(rte_errno));
                return ENOMEM;
            }
            /* Workers read these only once published, after a pause. */
            dp_pause();
            dp.workers[a].to[b] = r;
            dp.workers[b].from[dp.workers[b].n_from++] = r;
            dp_resume();
        }
    }
    return 0;
}

void
dp_handoff_forget(const void *to)
{
    struct dp_handoff h;

    for (unsigned w = 0; w < dp.n_workers; w++) {
        for (unsigned k = 0; k < dp.workers[w].n_from; k++) {
            struct rte_ring *r = dp.workers[w].from[k];

            for (unsigned n = rte_ring_count(r); n; n--) {
                if (rte_ring_dequeue_elem(r, &h, sizeof h)) {
                    break;
                }
                if (!to || h.to == to) {
                    rte_pktmbuf_free(h.m);
                } else {
                    rte_ring_enqueue_elem(r, &h, sizeof h);
                }
            }
        }
    }
}

void
dp_wctr_sum(struct dp_counters *sum, const struct dp_counters *per_worker)
{
    for (unsigned w = 0; per_worker && w < dp.n_workers; w++) {
        dp_counters_add(sum, &per_worker[w]);
    }
}

void *
dp_vnode_fp_state(const char *slice, const char *sw, const struct dp_fp_class **cls)
{
    struct dp_vnode *vn = dp_vnode_lookup(slice, sw);

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
    struct dp_vnode *vn = dp_vnode_lookup(slice, sw);
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
    dp_worker_kick(&dp.workers[vn->sw->worker]);
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
        dp_worker_kick(&dp.workers[i]);
    }
    rte_eal_mp_wait_lcore();
    dp.started = false;
}

void
dp_destroy(void)
{
    struct dp_error err;

    dp_capture_stop_all();
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
    dp_handoff_forget(NULL);
    for (unsigned i = 0; i < dp.n_workers; i++) {
        for (unsigned k = 0; k < dp.workers[i].n_from; k++) {
            rte_ring_free(dp.workers[i].from[k]);
        }
        free(dp.workers[i].switches);
        rte_ring_free(dp.workers[i].inject);
        if (dp.workers[i].kick_fd > 0) {
            close(dp.workers[i].kick_fd);
        }
        free(dp.workers[i].pfds);
        dp_worker_sparse_free(&dp.workers[i]);
    }
    rte_ring_free(dp.punt);
    if (dp.punt_fd >= 0) {
        close(dp.punt_fd);
    }
    free(dp.switches);
    free(dp.slices);
    free(dp.links);
    rte_mempool_free(dp.gso_pool);
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
dp_vnode_find(const struct dp_slice *s, const struct dp_switch *sw,
              const char *name)
{
    if (!s || !sw || s->idx >= sw->n_vnodes_alloc) {
        return NULL;
    }
    for (struct dp_vnode *vn = sw->vnodes[s->idx]; vn; vn = vn->next) {
        if (!strcmp(vn->name, name ? name : "")) {
            return vn;
        }
    }
    return NULL;
}

struct dp_switch *
dp_need_vnode_switch(const char *addr, const char **name, struct dp_error *err)
{
    const char *slash = addr ? strchr(addr, '/') : NULL;
    char swname[DP_NAME_LEN];

    *name = "";
    if (!slash) {
        return dp_need_switch(addr, err);
    }
    if ((size_t) (slash - addr) >= sizeof swname
        || dp_check_name("vnode", slash + 1, err)) {
        if ((size_t) (slash - addr) >= sizeof swname) {
            dp_err(err, "vnode address \"%s\": the switch name is too long", addr);
        }
        return NULL;
    }
    memcpy(swname, addr, slash - addr);
    swname[slash - addr] = '\0';
    *name = slash + 1;
    return dp_need_switch(swname, err);
}

struct dp_vnode *
dp_vnode_lookup(const char *slice, const char *addr)
{
    struct dp_error err;
    const char *name;
    struct dp_switch *sw = dp_need_vnode_switch(addr, &name, &err);

    return sw ? dp_vnode_find(dp_slice_find(slice), sw, name) : NULL;
}

const char *
dp_vnode_addr(const struct dp_vnode *vn, char buf[2 * DP_NAME_LEN])
{
    snprintf(buf, 2 * DP_NAME_LEN, "%s%s%s", vn->sw->name,
             vn->name[0] ? "/" : "", vn->name);
    return buf;
}

struct dp_link *
dp_link_find(const char *name)
{
    for (uint32_t i = 0; name && i < dp.n_links; i++) {
        if (!strcmp(dp.links[i]->name, name)) {
            return dp.links[i];
        }
    }
    return NULL;
}

int
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

struct dp_switch *
dp_need_switch(const char *name, struct dp_error *err)
{
    struct dp_switch *sw = dp_switch_find(name);
    if (!sw) {
        dp_err(err, "no switch named \"%s\"", name ? name : "");
    }
    return sw;
}

struct dp_slice *
dp_need_slice(const char *name, struct dp_error *err)
{
    struct dp_slice *s = dp_slice_find(name);
    if (!s) {
        dp_err(err, "no slice named \"%s\"", name ? name : "");
    }
    return s;
}

struct dp_port *
dp_need_port(const struct dp_switch *sw, const char *name, struct dp_error *err)
{
    struct dp_port *p = dp_port_find(sw, name);
    if (!p) {
        dp_err(err, "switch %s has no port named \"%s\"", sw->name,
               name ? name : "");
    }
    return p;
}
