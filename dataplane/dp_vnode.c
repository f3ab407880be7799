/*
 * dp_vnode: vnodes (a slice's forwarding plane on one switch) and their
 * vports (the control side of the dataplane; see dp.c for the conventions).
 */
#include <errno.h>
#include <inttypes.h>
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

/* ---- Vnodes and vports ----------------------------------------------------- */

/* (Re)starts the policer of 'vn' from its slice's rate and burst. */
void
dp_vnode_policer_init(struct dp_vnode *vn)
{
    struct dp_slice *s = vn->slice;

    qsched_tb_init(&vn->policer, s->policer_bps, dp_now_ns());
    if (s->policer_bps && s->policer_burst) {
        vn->policer.burst = (uint64_t) s->policer_burst * QSCHED_NS;
        vn->policer.tokens = vn->policer.burst;
    }
    /* Several workers: each polices what it receives with its share of
     * the rate and the burst, so the sum never exceeds the slice's (with
     * traffic on one worker only, that worker passes only its share:
     * conservative). */
    for (unsigned k = 0; vn->wiso && k < vn->sw->n_workers; k++) {
        struct qsched_tb *tb = &vn->wiso[vn->sw->workers[k]].policer;
        unsigned n = vn->sw->n_workers;

        dp_policer_split(tb, s->policer_bps, s->policer_burst, n, dp_now_ns());
    }
}

void
dp_policer_split(struct qsched_tb *tb, uint64_t rate_bps, uint32_t burst_bytes,
                 unsigned n, uint64_t now)
{
    /* The default burst follows the rate, so it is split with it. */
    qsched_tb_init(tb, rate_bps / n, now);
    if (rate_bps && burst_bytes) {
        uint64_t b = burst_bytes / n;
        tb->burst = (b > QSCHED_MIN_BURST ? b : QSCHED_MIN_BURST) * QSCHED_NS;
        tb->tokens = tb->burst;
    }
}

/* Whether a plane of class 'fp' made from 'config' at vnode 'addr' of
 * slice 's' on 'sw' (replacing 'vn''s, if not NULL) keeps the tables of
 * the slice's vnodes on 'sw' within the slice's table quota. */
static int
dp_vnode_table_check(const struct dp_slice *s, const struct dp_switch *sw,
                     const struct dp_vnode *vn, const struct dp_fp_class *fp,
                     const json_t *config, const char *addr, struct dp_error *err)
{
    uint64_t want = fp->table_entries ? fp->table_entries(config) : 0;
    uint64_t others = want ? dp_slice_table_use(s, sw, vn) : 0;
    uint32_t quota = dp_slice_table_quota(s);

    if (want && others + want > quota) {
        dp_err(err, "vnode %s/%s: its tables (%" PRIu64 " entries) and those of "
               "the slice's other vnodes on switch %s (%" PRIu64 ") exceed the "
               "slice's table quota of %u entries", s->name, addr, want,
               sw->name, others, quota);
        return EDQUOT;
    }
    return 0;
}

int
dp_vnode_add(const char *slice, const char *swname, const char *fpname,
             const json_t *config, struct dp_error *err)
{
    struct dp_slice *s = dp_need_slice(slice, err);
    const char *vname;
    struct dp_switch *sw = s ? dp_need_vnode_switch(swname, &vname, err) : NULL;
    const struct dp_fp_class *fp;
    struct dp_vnode *vn;
    void *state;
    int error;

    if (!sw) {
        return ENOENT;
    }
    if (dp_vnode_find(s, sw, vname)) {
        dp_err(err, "slice %s already has a vnode %s", slice, swname);
        return EEXIST;
    }
    fp = dp_fp_class_find(fpname ? fpname : "l2learn");
    if (!fp) {
        dp_err(err, "vnode %s/%s: unknown forwarding plane \"%s\" (known: %s)",
               slice, swname, fpname, dp_fp_class_names());
        return EINVAL;
    }
    error = dp_vnode_table_check(s, sw, NULL, fp, config, swname, err);
    if (error) {
        return error;
    }
    if (sw->n_workers > 1 && !fp->per_worker) {
        dp_err(err, "vnode %s/%s: forwarding plane \"%s\" is not yet on a "
               "switch with %u workers (switch %s has %u)", slice, swname,
               fp->name, sw->n_workers, sw->name, sw->n_workers);
        return EOPNOTSUPP;
    }
    error = fp->create(config, &state, err);
    void **wstate = NULL;
    if (!error && sw->n_workers > 1) {
        /* One plane per worker; the first worker's is 'state'. */
        wstate = xcalloc(dp.n_workers, sizeof *wstate);
        wstate[sw->worker] = state;
        for (unsigned k = 1; k < sw->n_workers && !error; k++) {
            error = fp->create(config, &wstate[sw->workers[k]], err);
        }
        if (error) {
            for (unsigned k = 0; k < sw->n_workers; k++) {
                fp->destroy(wstate[sw->workers[k]]);
            }
            free(wstate);
        }
    }
    if (error) {
        char msg[DP_ERR_LEN];
        memcpy(msg, err->msg, sizeof msg);
        dp_err(err, "vnode %s/%s: %.200s", slice, swname, msg);
        return error;
    }
    vn = xzalloc(sizeof *vn);
    vn->slice = s;
    vn->sw = sw;
    vn->sctr = dp_slice_sw_ctr(s, sw);
    vn->wfp_state = wstate;
    if (sw->n_workers > 1) {
        vn->wsctr = dp_slice_sw_wctr(s, sw);
        vn->wctr = xcalloc(dp.n_workers, sizeof *vn->wctr);
        vn->wiso = xcalloc(dp.n_workers, sizeof *vn->wiso);
    }

    str_copy(vn->name, vname, sizeof vn->name);
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
    struct dp_vnode **pp = &sw->vnodes[s->idx];
    while (*pp) {
        pp = &(*pp)->next;      /* in the order they were added */
    }
    *pp = vn;
    sw->n_vnodes++;
    dp_resume();
    return 0;
}

int
dp_vnode_set(const char *slice, const char *swname, const json_t *config,
             struct dp_error *err)
{
    struct dp_slice *s = dp_need_slice(slice, err);
    const char *vname;
    struct dp_switch *sw = s ? dp_need_vnode_switch(swname, &vname, err) : NULL;
    struct dp_vnode *vn = sw ? dp_vnode_find(s, sw, vname) : NULL;
    int error;

    if (!sw) {
        return ENOENT;
    }
    if (!vn) {
        dp_err(err, "slice %s has no vnode %s", slice, swname);
        return ENOENT;
    }
    if (!vn->fp->set) {
        dp_err(err, "vnode %s/%s: forwarding plane \"%s\" cannot be changed "
               "while it runs; delete and add the vnode", slice, swname,
               vn->fp->name);
        return EOPNOTSUPP;
    }
    error = dp_vnode_table_check(s, sw, vn, vn->fp, config, swname, err);
    if (error) {
        return error;
    }
    error = vn->fp->set(vn->fp_state, config, err);
    if (error) {
        char msg[DP_ERR_LEN];
        memcpy(msg, err->msg, sizeof msg);
        dp_err(err, "vnode %s/%s: %.200s", slice, swname, msg);
    }
    return error;
}

/* The vport of 'vn' named 'name', or NULL. */
struct dp_vport *
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
int
dp_vport_attach(struct dp_vport *vp, struct dp_error *err)
{
    struct dp_vnode *vn = vp->vn;
    uint16_t i;

    for (i = 0; i < vn->n_vports && vn->vports[i]; i++) {
        continue;
    }
    if (i >= DP_MAX_VPORTS) {
        char addr[2 * DP_NAME_LEN];
        dp_err(err, "vnode %s/%s has the maximum of %d vports", vn->slice->name,
               dp_vnode_addr(vn, addr), DP_MAX_VPORTS);
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
    if (vn->sw->n_workers > 1 && !vp->wctr) {
        vp->wctr = xcalloc(dp.n_workers, sizeof *vp->wctr);
    }
    return 0;
}

/* Removes 'vp' from its vnode, leaving a hole so other vports keep their
 * indexes (the forwarding plane's state refers to them). */
void
dp_vport_detach(struct dp_vport *vp)
{
    struct dp_vnode *vn = vp->vn;

    vn->fp->vport_removed(vn->fp_state, vp->idx);
    for (unsigned k = 1; vn->wfp_state && k < vn->sw->n_workers; k++) {
        vn->fp->vport_removed(vn->wfp_state[vn->sw->workers[k]], vp->idx);
    }
    dp_handoff_forget(vp);
    free(vp->wctr);
    vp->wctr = NULL;
    vn->vports[vp->idx] = NULL;
    vn->n_live--;
    while (vn->n_vports && !vn->vports[vn->n_vports - 1]) {
        vn->n_vports--;
    }
}

static bool
dp_vlan_in(const uint64_t *set, int vid)
{
    return set[vid / 64] >> (vid % 64) & 1;
}

/* The vport already bound to what 'b' asks for on 'p', or NULL; '*vid' is
 * set to the VID in conflict (-1 for untagged, CLASSIFY_WHOLE). */
static struct dp_vport *
dp_binding_conflict(const struct dp_port *p, const struct dp_vport_binding *b,
                    int *vid)
{
    switch (b->kind) {
    case DP_BIND_UNTAGGED:
        *vid = -1;
        return classify_get(&p->bindings, -1);
    case DP_BIND_VLAN:
        *vid = b->vlan;
        return classify_get(&p->bindings, b->vlan);
    case DP_BIND_PORT:
        *vid = CLASSIFY_WHOLE;
        return classify_get(&p->bindings, CLASSIFY_WHOLE);
    case DP_BIND_VLANS:
        for (int v = 1; v <= 4094; v++) {
            struct dp_vport *o;
            if (dp_vlan_in(b->vlans, v)
                && (o = classify_get(&p->bindings, v)) != NULL) {
                *vid = v;
                return o;
            }
        }
        return NULL;
    }
    return NULL;
}

/* Adds (or with 'del', removes) the classify bindings of 'vp'. */
static int
dp_vport_classify(struct dp_vport *vp, bool del)
{
    struct classify_port *cp = &vp->port->bindings;
    int error = 0;

    switch (vp->bind) {
    case DP_BIND_UNTAGGED:
    case DP_BIND_VLAN:
        if (del) {
            classify_unbind(cp, vp->vlan);
        } else {
            error = classify_bind(cp, vp->vlan, vp);
        }
        break;
    case DP_BIND_PORT:
        if (del) {
            classify_unbind(cp, CLASSIFY_WHOLE);
        } else {
            error = classify_bind(cp, CLASSIFY_WHOLE, vp);
        }
        break;
    case DP_BIND_VLANS:
        for (int v = 1; v <= 4094; v++) {
            if (!dp_vlan_in(vp->vlans, v)) {
                continue;
            }
            if (del) {
                if (classify_get(cp, v) == vp) {
                    classify_unbind(cp, v);
                }
            } else if ((error = classify_bind(cp, v, vp)) != 0) {
                dp_vport_classify(vp, true);
                break;
            }
        }
        break;
    }
    return error;
}

int
dp_vport_add(const char *slice, const char *swname, const char *vport,
             const char *port, int vlan, struct dp_error *err)
{
    struct dp_vport_binding b = { .kind = DP_BIND_UNTAGGED, .vlan = -1 };

    if (vlan != -1) {
        if (vlan > 4094 || vlan < 1) {
            dp_err(err, "vport %s: VLAN %d is outside 1..4094", vport, vlan);
            return EINVAL;
        }
        b.kind = DP_BIND_VLAN;
        b.vlan = vlan;
    }
    return dp_vport_bind(slice, swname, vport, port, &b, err);
}

int
dp_vport_bind(const char *slice, const char *swname, const char *vport,
              const char *port, const struct dp_vport_binding *b,
              struct dp_error *err)
{
    struct dp_slice *s = dp_need_slice(slice, err);
    const char *vname;
    struct dp_switch *sw = s ? dp_need_vnode_switch(swname, &vname, err) : NULL;
    struct dp_vnode *vn = sw ? dp_vnode_find(s, sw, vname) : NULL;
    struct dp_port *p;
    struct dp_vport *vp;
    int error;

    if (!sw) {
        return ENOENT;
    }
    if (!vn) {
        dp_err(err, "slice %s has no vnode %s: add it first", slice, swname);
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
    if (dp_tunnel_is_underlay(p) || p->type == DP_PORT_TUN) {
        dp_err(err, "port %s/%s is a tunnel or the underlay of one; bind vports "
               "to access ports", swname, port);
        return EINVAL;
    }
    if (b->kind == DP_BIND_VLAN && (b->vlan > 4094 || b->vlan < 1)) {
        dp_err(err, "vport %s: VLAN %d is outside 1..4094", vport, b->vlan);
        return EINVAL;
    }
    if (b->kind == DP_BIND_VLANS) {
        bool any = false;
        for (int i = 0; i < DP_VLAN_WORDS; i++) {
            any |= b->vlans[i] != 0;
        }
        if (!any || dp_vlan_in(b->vlans, 0) || dp_vlan_in(b->vlans, 4095)) {
            dp_err(err, "vport %s: the VLAN set must hold VIDs in 1..4094 "
                   "and not be empty", vport);
            return EINVAL;
        }
    }
    int vid;
    struct dp_vport *owner = dp_binding_conflict(p, b, &vid);
    if (owner) {
        if (owner->bind == DP_BIND_PORT) {
            dp_err(err, "port %s/%s is bound whole (every VLAN) to slice %s "
                   "(vport %s)", swname, port, owner->vn->slice->name,
                   owner->name);
        } else if (vid == CLASSIFY_WHOLE) {
            dp_err(err, "port %s/%s cannot be bound whole: slice %s (vport %s) "
                   "already has frames of it", swname, port,
                   owner->vn->slice->name, owner->name);
        } else if (vid < 0) {
            dp_err(err, "port %s/%s is already bound untagged to slice %s (vport %s)",
                   swname, port, owner->vn->slice->name, owner->name);
        } else {
            dp_err(err, "VLAN %d on port %s/%s is already bound to slice %s (vport %s)",
                   vid, swname, port, owner->vn->slice->name, owner->name);
        }
        return EEXIST;
    }

    vp = xzalloc(sizeof *vp);
    str_copy(vp->name, vport, sizeof vp->name);
    vp->vn = vn;
    vp->type = DP_VPORT_ACCESS;
    vp->port = p;
    vp->bind = b->kind;
    vp->vlan = b->kind == DP_BIND_VLAN ? b->vlan : -1;
    if (b->kind == DP_BIND_VLANS) {
        vp->vlans = xmalloc(sizeof b->vlans);
        memcpy(vp->vlans, b->vlans, sizeof b->vlans);
    }

    dp_pause();
    vp->queue = dp_queue_ref(s, p, err);
    error = vp->queue ? dp_vport_attach(vp, err) : EINVAL;
    if (!error) {
        error = dp_vport_classify(vp, false);
        if (error) {
            dp_err(err, "vport %s: cannot bind port %s/%s: %s", vport, swname,
                   port, strerror(error));
            dp_vport_detach(vp);
        }
    }
    if (error) {
        dp_queue_unref(vp->queue);
        free(vp->vlans);
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
    const char *vname;
    struct dp_switch *sw = s ? dp_need_vnode_switch(swname, &vname, err) : NULL;
    struct dp_vnode *vn = sw ? dp_vnode_find(s, sw, vname) : NULL;
    struct dp_vport *vp;

    if (!sw) {
        return ENOENT;
    }
    vp = vn ? dp_vport_find(vn, vport) : NULL;
    if (!vp) {
        dp_err(err, "slice %s has no vport \"%s\" on vnode %s", slice, vport, swname);
        return ENOENT;
    }
    if (vp->type == DP_VPORT_VLINK) {
        dp_err(err, "vport %s belongs to virtual link %s: delete the virtual link",
               vport, vp->vlink->name);
        return EBUSY;
    }
    dp_pause();
    dp_vport_classify(vp, true);
    vp->port->n_users--;
    dp_vport_detach(vp);
    dp_queue_unref(vp->queue);
    dp_resume();
    free(vp->vlans);
    free(vp);
    return 0;
}

int
dp_vnode_del(const char *slice, const char *swname, struct dp_error *err)
{
    struct dp_slice *s = dp_need_slice(slice, err);
    const char *vname;
    struct dp_switch *sw = s ? dp_need_vnode_switch(swname, &vname, err) : NULL;
    struct dp_vnode *vn = sw ? dp_vnode_find(s, sw, vname) : NULL;

    if (!sw) {
        return ENOENT;
    }
    if (!vn) {
        dp_err(err, "slice %s has no vnode %s", slice, swname);
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
    for (struct dp_vnode **pp = &sw->vnodes[s->idx]; *pp; pp = &(*pp)->next) {
        if (*pp == vn) {
            *pp = vn->next;
            break;
        }
    }
    sw->n_vnodes--;
    dp_rings_forget(vn);
    dp_resume();
    vn->fp->destroy(vn->fp_state);
    for (unsigned k = 1; vn->wfp_state && k < sw->n_workers; k++) {
        vn->fp->destroy(vn->wfp_state[sw->workers[k]]);
    }
    free(vn->wfp_state);
    free(vn->wctr);
    free(vn->wiso);
    free(vn->is_vlink);
    free(vn->vports);
    free(vn);
    return 0;
}
