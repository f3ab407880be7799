/*
 * dp_switch: switches, their ports and the links between them (the control
 * side of the dataplane; see dp.c for the conventions).
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

/* ---- Switches ------------------------------------------------------------ */

int
dp_switch_add(const char *name, struct dp_error *err)
{
    return dp_switch_add_workers(name, 1, err);
}

int
dp_switch_add_workers(const char *name, unsigned n_workers, struct dp_error *err)
{
    int error = dp_check_name("switch", name, err);
    if (error) {
        return error;
    }
    if (!n_workers || n_workers > dp.n_workers) {
        dp_err(err, "switch \"%s\": %u workers asked, but the process has %u "
               "worker lcore%s (give EAL more lcores, e.g. --lcores)", name,
               n_workers, dp.n_workers, dp.n_workers == 1 ? "" : "s");
        return EINVAL;
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
    sw->n_workers = n_workers;
    for (unsigned k = 0; k < n_workers; k++) {
        sw->workers[k] = (sw->worker + k) % dp.n_workers;
    }
    error = dp_handoff_rings(sw, err);
    if (error) {
        label_table_destroy(&sw->labels);
        free(sw);
        return error;
    }

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
    dp_slice_sw_forget(sw);
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
    free(sw->fr_vports);
    free(sw->vccv_vports);
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
    /* Its owner: the switch's worker with the fewest ports. */
    unsigned slot = 0;
    for (unsigned k = 1; k < sw->n_workers; k++) {
        if (sw->worker_ports[k] < sw->worker_ports[slot]) {
            slot = k;
        }
    }
    p->worker = sw->workers[slot];
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
    sw->worker_ports[dp_port_worker_slot(p)]++;
}

static void
dp_port_free(struct dp_port *p)
{
    if (p) {
        dp_capture_port_gone(p);
        dp_bfd_free(p);
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
uint64_t
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
    dp_live_changed();
    if (!up) {
        dp_port_drain(p);
        for (uint32_t k = 0; k < p->n_queues_alloc; k++) {
            if (p->queues[k]) {
                dp_queue_flush(p->queues[k], p->worker);
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
        dp_delayed_hold(&p->delay_line[p->dl_head], p->worker, -1);
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
    sw->worker_ports[dp_port_worker_slot(p)]--;
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
    if (dp_tunnel_is_underlay(p)) {
        dp_err(err, "port %s/%s is the underlay of %u tunnels: delete them first",
               swname, name, p->n_users);
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
    dp_live_changed();
    for (int i = 0; i < 2; i++) {
        l->ends[i]->down = !up;
        if (!up) {
            dp_port_drain(l->ends[i]);
            for (uint32_t k = 0; k < l->ends[i]->n_queues_alloc; k++) {
                if (l->ends[i]->queues[k]) {
                    dp_queue_flush(l->ends[i]->queues[k], l->ends[i]->worker);
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
