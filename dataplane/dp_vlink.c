/*
 * dp_vlink: virtual links between two vnodes of a slice, carried over a
 * path of physical links with an MPLS label per hop, and border virtual
 * links from a vnode to a border port toward another InP, where the label
 * on the wire is the one both InPs agreed, and transit virtual links
 * from a border port to another, for an InP that only carries a virtual
 * link between two others (the control side of the dataplane; see dp.c
 * for the conventions).
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
    /* A border vlink: out[0][n-1] and in[1][n-1] are this port, where the
     * border label is used instead of the inside one. */
    struct dp_port *border;
    /* A transit vlink: in[0][0] and out[1][0] are this port (the head's
     * border), with the border_in label. */
    struct dp_port *border_in;
    /* The labels used on 'border' and 'border_in'. */
    uint32_t border_label, border_in_label;
    /* The names of the vnodes at the head and the tail ("" for the
     * default ones), from the addresses in the path. */
    const char *vnode[2];
    /* Both ends on one switch: the vlink hands frames over inside it. */
    bool local;
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
            if (in && in != vp->border && in != vp->border_in
                && label_table_contains(&vp->sw[i]->labels, in->uid, label)) {
                return false;
            }
        }
    }
    return true;
}

static void dp_vlink_free(struct dp_vlink *);

/* Checks the backup path of 'vlp' on its own: it joins the same switches
 * as the path (a border vlink's: the same head, and its own border, which
 * is not the path's border port), is not the path itself, and a border's
 * backup label is in range. */
static int
dp_vlink_check_backup(const struct dp_vlink_params *vlp, struct dp_error *err)
{
    const char *bb = vlp->backup_border_port;
    bool border = vlp->border_port != NULL;

    if (bb && !border) {
        dp_err(err, "virtual link %s: a backup border (%s) needs a border "
               "virtual link", vlp->name, bb);
        return EINVAL;
    }
    if (bb && !vlp->backup) {
        dp_err(err, "virtual link %s: a backup border needs a backup path "
               "(from %s to the switch of port %s)", vlp->name, vlp->path[0], bb);
        return EINVAL;
    }
    if (border && !bb) {
        dp_err(err, "virtual link %s: the backup path of a border virtual link "
               "needs a border of its own (backup_border: port and label "
               "agreed with the far side)", vlp->name);
        return EINVAL;
    }
    if (vlp->border_in_port) {
        dp_err(err, "virtual link %s: a transit virtual link (border_in) takes "
               "no backup path", vlp->name);
        return EINVAL;
    }
    if (bb && (vlp->backup_border_label < DP_MPLS_LABEL_MIN
               || vlp->backup_border_label > DP_MPLS_LABEL_MAX)) {
        dp_err(err, "virtual link %s: backup border label %u is outside %d..%d",
               vlp->name, vlp->backup_border_label, DP_MPLS_LABEL_MIN,
               DP_MPLS_LABEL_MAX);
        return EINVAL;
    }
    if (bb && !strcmp(bb, vlp->border_port) && vlp->n_backup
        && !strcmp(vlp->backup[vlp->n_backup - 1], vlp->path[vlp->n_path - 1])) {
        /* The same port of the same switch (port names are per switch). */
        dp_err(err, "virtual link %s: the backup leaves by the path's own border "
               "port %s; give another (a second tunnel)", vlp->name, bb);
        return EINVAL;
    }
    if (vlp->n_backup < (border ? 1 : 2) || strcmp(vlp->backup[0], vlp->path[0])
        || (!border && strcmp(vlp->backup[vlp->n_backup - 1],
                              vlp->path[vlp->n_path - 1]))) {
        if (border) {
            dp_err(err, "virtual link %s: the backup path must start at the "
                   "path's head %s", vlp->name, vlp->path[0]);
        } else {
            dp_err(err, "virtual link %s: the backup path must join the same "
                   "switches as the path (%s to %s)", vlp->name, vlp->path[0],
                   vlp->path[vlp->n_path - 1]);
        }
        return EINVAL;
    }
    bool same = !border && vlp->n_backup == vlp->n_path;
    for (size_t i = 0; same && i < vlp->n_path; i++) {
        same = !strcmp(vlp->backup[i], vlp->path[i]);
    }
    if (same) {
        dp_err(err, "virtual link %s: the backup path is the path itself",
               vlp->name);
        return EINVAL;
    }
    return 0;
}

/* Checks what 'vlp' says on its own (name, path length, label range) and
 * that slice 's' has no virtual link of that name yet; stores the name of
 * the two end vports in 'vport_name' (DP_NAME_LEN + 8 bytes). */
static int
dp_vlink_check(const struct dp_vlink_params *vlp, const struct dp_slice *s,
               char *vport_name, size_t vport_name_size, struct dp_error *err)
{
    uint32_t label = vlp->label;
    int error;

    error = dp_check_name("virtual link", vlp->name, err);
    if (error) {
        return error;
    }
    if (dp_vlink_find(s, vlp->name)) {
        dp_err(err, "slice %s already has a virtual link named \"%s\"", s->name,
               vlp->name);
        return EEXIST;
    }
    if (vlp->n_path < (vlp->border_port ? 1 : 2)) {
        dp_err(err, "virtual link %s: the path needs at least %s", vlp->name,
               vlp->border_port ? "one switch" : "two switches");
        return EINVAL;
    }
    if (vlp->border_port && (vlp->border_label < DP_MPLS_LABEL_MIN
                             || vlp->border_label > DP_MPLS_LABEL_MAX)) {
        dp_err(err, "virtual link %s: border label %u is outside %d..%d", vlp->name,
               vlp->border_label, DP_MPLS_LABEL_MIN, DP_MPLS_LABEL_MAX);
        return EINVAL;
    }
    if (vlp->border_in_port && !vlp->border_port) {
        dp_err(err, "virtual link %s: a transit link (border_in) needs a border "
               "at its tail too", vlp->name);
        return EINVAL;
    }
    if (vlp->border_in_port && (vlp->border_in_label < DP_MPLS_LABEL_MIN
                                || vlp->border_in_label > DP_MPLS_LABEL_MAX)) {
        dp_err(err, "virtual link %s: border_in label %u is outside %d..%d",
               vlp->name, vlp->border_in_label, DP_MPLS_LABEL_MIN,
               DP_MPLS_LABEL_MAX);
        return EINVAL;
    }
    if (label && (label < DP_MPLS_LABEL_MIN || label > DP_MPLS_LABEL_MAX)) {
        dp_err(err, "virtual link %s: label %u is outside %d..%d", vlp->name, label,
               DP_MPLS_LABEL_MIN, DP_MPLS_LABEL_MAX);
        return EINVAL;
    }
    if (vlp->backup) {
        for (int e = 0; e < 2; e++) {
            const struct dp_switch *esw = dp_switch_find(
                vlp->path[e ? vlp->n_path - 1 : 0]);
            if (esw && esw->n_workers > 1) {
                /* Its end swaps the vport's port in one worker while
                 * another may be sending on it. */
                dp_err(err, "virtual link %s: a backup path is not yet on a "
                       "switch with %u workers (%s)", vlp->name,
                       esw->n_workers, esw->name);
                return EOPNOTSUPP;
            }
        }
    }
    if (vlp->backup_border_port || vlp->backup) {
        error = dp_vlink_check_backup(vlp, err);
        if (error) {
            return error;
        }
    }
    if (vlp->bfd.enable) {
        char what[DP_NAME_LEN + 16];
        struct dp_vccv *vc = NULL;

        snprintf(what, sizeof what, "virtual link %s", vlp->name);
        if (!vlp->backup) {
            dp_err(err, "%s: bfd watches the path for a backup path to take "
                   "over: give a backup", what);
            return EINVAL;
        }
        error = dp_vccv_new(what, &vlp->bfd, &vc, err);
        free(vc);
        if (error) {
            return error;
        }
    }
    snprintf(vport_name, vport_name_size, "vl-%s", vlp->name);
    if (strlen(vport_name) >= DP_NAME_LEN) {
        dp_err(err, "virtual link name \"%s\" is too long", vlp->name);
        return EINVAL;
    }
    return 0;
}

/* Border port 'name' of switch 'sw' for virtual link 'vlname': it must be
 * free for labelled traffic (no link inside the daemon, no access vport)
 * and have 'label' free; stored in '*port'. */
static int
dp_vlink_border_port(const char *vlname, struct dp_switch *sw, const char *name,
                     uint32_t label, struct dp_port **port, struct dp_error *err)
{
    struct dp_port *bp = dp_need_port(sw, name, err);
    struct dp_label_entry *e;

    if (!bp) {
        return ENOENT;
    }
    if (bp->is_link && !bp->n_border) {
        dp_err(err, "virtual link %s: port %s/%s is an end of a link inside the "
               "daemon, not a border port", vlname, sw->name, bp->name);
        return EINVAL;
    }
    if (dp_tunnel_is_underlay(bp)) {
        dp_err(err, "virtual link %s: port %s/%s is the underlay of tunnels; "
               "use the tunnel port as the border port", vlname, sw->name, bp->name);
        return EBUSY;
    }
    if (!bp->is_link && bp->n_users) {
        dp_err(err, "virtual link %s: port %s/%s has access vports; a border port "
               "carries only labelled traffic", vlname, sw->name, bp->name);
        return EBUSY;
    }
    e = label_table_lookup(&sw->labels, bp->uid, label);
    if (e) {
        dp_err(err, "virtual link %s: border label %u is already in use on port "
               "%s/%s (slice %s)", vlname, label, sw->name, bp->name,
               e->slice->name);
        return EADDRINUSE;
    }
    *port = bp;
    return 0;
}

/* The border end(s) of 'vlp' (resolved up to its path in 'ports'): the
 * border port on the tail switch and, for a transit vlink, the one on the
 * head switch (dp_vlink_border_port()); else the head vnode '*head' of
 * slice 's', which must not have a vport 'vport_name' yet. */
static int
dp_vlink_resolve_border(const struct dp_vlink_params *vlp,
                        const struct dp_slice *s, const char *vport_name,
                        struct dp_vlink_ports *ports, struct dp_vnode **head,
                        struct dp_error *err)
{
    size_t n = vlp->n_path;
    struct dp_port *bp, *bin;
    int error;

    error = dp_vlink_border_port(vlp->name, ports->sw[n - 1], vlp->border_port,
                                 vlp->border_label, &bp, err);
    if (error) {
        return error;
    }
    ports->border = bp;
    ports->border_label = vlp->border_label;
    ports->out[0][n - 1] = bp;
    ports->in[1][n - 1] = bp;
    if (vlp->border_in_port) {
        error = dp_vlink_border_port(vlp->name, ports->sw[0], vlp->border_in_port,
                                     vlp->border_in_label, &bin, err);
        if (!error && bin == bp) {
            dp_err(err, "virtual link %s: a transit link needs two border ports, "
                   "not %s twice", vlp->name, bp->name);
            error = EINVAL;
        }
        if (!error) {
            ports->border_in = bin;
            ports->border_in_label = vlp->border_in_label;
            ports->in[0][0] = bin;
            ports->out[1][0] = bin;
        }
        return error;
    }
    *head = dp_vnode_find(s, ports->sw[0], ports->vnode[0]);
    if (!*head) {
        dp_err(err, "virtual link %s: slice %s has no vnode %s", vlp->name,
               s->name, vlp->path[0]);
        return ENOENT;
    }
    if (dp_vport_find(*head, vport_name)) {
        dp_err(err, "virtual link %s: vport %s already exists", vlp->name, vport_name);
        return EEXIST;
    }
    return 0;
}

/* Path resolution: finds the switches of 'vlp''s path, the link between
 * each two in a row (filling 'ports', which the caller frees), and the
 * vnodes of slice 's' at both ends ('*head', '*tail'), which must not have
 * a vport named 'vport_name' yet. */
static int
dp_vlink_resolve(const struct dp_vlink_params *vlp, const struct dp_slice *s,
                 const char *vport_name, struct dp_vlink_ports *ports,
                 struct dp_vnode **head, struct dp_vnode **tail,
                 struct dp_error *err)
{
    size_t n = vlp->n_path;
    int error = 0;

    ports->sw = xcalloc(n, sizeof *ports->sw);
    for (int d = 0; d < 2; d++) {
        ports->out[d] = xcalloc(n, sizeof *ports->out[d]);
        ports->in[d] = xcalloc(n, sizeof *ports->in[d]);
    }
    ports->vnode[0] = ports->vnode[1] = "";
    for (size_t i = 0; i < n && !error; i++) {
        bool end = i == 0 || i == n - 1;
        ports->sw[i] = end ? dp_need_vnode_switch(vlp->path[i],
                                                  &ports->vnode[i != 0], err)
                           : dp_need_switch(vlp->path[i], err);
        if (!ports->sw[i]) {
            error = ENOENT;
            break;
        }
        if (i && n == 2 && !vlp->border_port && ports->sw[0] == ports->sw[1]) {
            if (!strcmp(ports->vnode[0], ports->vnode[1])) {
                dp_err(err, "virtual link %s: both ends are vnode %s", vlp->name,
                       vlp->path[0]);
                return EINVAL;
            }
            if (vlp->backup) {
                dp_err(err, "virtual link %s: a link between two vnodes of "
                       "switch %s crosses no substrate link and takes no "
                       "backup path", vlp->name, ports->sw[0]->name);
                return EINVAL;
            }
            ports->local = true;    /* two vnodes of one switch */
            break;
        }
        for (size_t k = 0; k < i; k++) {
            if (ports->sw[k] == ports->sw[i]) {
                dp_err(err, "virtual link %s: switch %s appears twice in the path",
                       vlp->name, vlp->path[i]);
                error = EINVAL;
            }
        }
        if (i && !error) {
            struct dp_port *a, *b;
            if (!dp_link_between(ports->sw[i - 1], ports->sw[i], &a, &b)) {
                dp_err(err, "virtual link %s: no link joins switches %s and %s",
                       vlp->name, vlp->path[i - 1], vlp->path[i]);
                error = ENOENT;
            } else {
                ports->out[0][i - 1] = a;   /* forward leaves i-1 by a */
                ports->in[0][i] = b;        /* and arrives at i on b */
                ports->out[1][i] = b;       /* reverse leaves i by b */
                ports->in[1][i - 1] = a;    /* and arrives at i-1 on a */
            }
        }
    }
    if (error) {
        return error;
    }
    if (vlp->border_port) {
        return dp_vlink_resolve_border(vlp, s, vport_name, ports, head, err);
    }
    *head = dp_vnode_find(s, ports->sw[0], ports->vnode[0]);
    *tail = dp_vnode_find(s, ports->sw[n - 1], ports->vnode[1]);
    if (!*head || !*tail) {
        dp_err(err, "virtual link %s: slice %s has no vnode %s", vlp->name,
               s->name, !*head ? vlp->path[0] : vlp->path[n - 1]);
        return ENOENT;
    }
    if (dp_vport_find(*head, vport_name) || dp_vport_find(*tail, vport_name)) {
        dp_err(err, "virtual link %s: vport %s already exists", vlp->name, vport_name);
        return EEXIST;
    }
    return 0;
}

/* Label choice: 'vlp''s label if it is free on every receiving port of
 * 'ports', or else the next free one; stored in '*label'. */
static int
dp_vlink_choose_label(const struct dp_vlink_params *vlp,
                      const struct dp_vlink_ports *ports, uint32_t *label,
                      struct dp_error *err)
{
    size_t n = vlp->n_path;
    int error = 0;

    *label = vlp->label;
    if (ports->local) {
        *label = 0;             /* no wire, no label */
        return 0;
    }
    if (ports->border && n == 1) {
        /* No hop inside: the head sends straight out of the border. */
        *label = vlp->border_label;
        return 0;
    }
    if (*label && !dp_label_free_on(ports, n, *label)) {
        for (int d = 0; d < 2; d++) {
            for (size_t i = 0; i < n; i++) {
                struct dp_port *in = ports->in[d][i];
                struct dp_label_entry *e = in && in != ports->border
                                           && in != ports->border_in
                                           ? label_table_lookup(&ports->sw[i]->labels,
                                                                   in->uid, *label) : NULL;
                if (e && !error) {
                    dp_err(err, "virtual link %s: label %u is already in use on port "
                           "%s/%s (slice %s)", vlp->name, *label, ports->sw[i]->name,
                           in->name, e->slice->name);
                    error = EADDRINUSE;
                }
            }
        }
        return error;
    }
    if (!*label) {
        /* Start where the last allocation ended, so a mesh of thousands
         * of virtual links does not rescan the used labels each time. */
        static uint32_t hint = DP_MPLS_LABEL_MIN;
        uint32_t span = DP_MPLS_LABEL_MAX - DP_MPLS_LABEL_MIN + 1;
        uint32_t tries;

        for (tries = 0; tries < span; tries++) {
            *label = DP_MPLS_LABEL_MIN + (hint - DP_MPLS_LABEL_MIN + tries) % span;
            if (dp_label_free_on(ports, n, *label)) {
                hint = *label + 1 > DP_MPLS_LABEL_MAX ? DP_MPLS_LABEL_MIN : *label + 1;
                break;
            }
        }
        if (tries == span) {
            dp_err(err, "virtual link %s: no free label along the path", vlp->name);
            return ENOSPC;
        }
    }
    return 0;
}

/* A new virtual link object for 'vlp' in slice 's' with 'label', nothing
 * wired yet. */
static struct dp_vlink *
dp_vlink_new(const struct dp_vlink_params *vlp, struct dp_slice *s,
             uint32_t label)
{
    struct dp_vlink *vl = xzalloc(sizeof *vl);
    size_t n = vlp->n_path;

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
    if (vlp->border_port) {
        str_copy(vl->border_port, vlp->border_port, sizeof vl->border_port);
        vl->border_label = vlp->border_label;
    }
    if (vlp->border_in_port) {
        str_copy(vl->border_in_port, vlp->border_in_port,
                 sizeof vl->border_in_port);
        vl->border_in_label = vlp->border_in_label;
    }
    if (vlp->backup) {
        vl->n_backup = vlp->n_backup;
        vl->backup = xcalloc(vlp->n_backup, sizeof *vl->backup);
        for (size_t i = 0; i < vlp->n_backup; i++) {
            vl->backup[i] = xstrdup(vlp->backup[i]);
        }
        for (int d = 0; d < 2; d++) {
            vl->bhops[d] = xcalloc(vlp->n_backup, sizeof *vl->bhops[d]);
        }
        vl->hold_ms = vlp->hold_ms ? vlp->hold_ms : 1000;
    }
    if (vlp->bfd.enable) {
        vl->vccv = true;
        vl->vccv_cfg = (struct bfd_config) {
            .tx_us = vlp->bfd.tx_us ? vlp->bfd.tx_us : 10000,
            .rx_us = vlp->bfd.rx_us ? vlp->bfd.rx_us : 10000,
            .mult = vlp->bfd.mult ? vlp->bfd.mult : 3 };
    }
    if (vlp->backup_border_port) {
        str_copy(vl->backup_border_port, vlp->backup_border_port,
                 sizeof vl->backup_border_port);
        vl->backup_border_label = vlp->backup_border_label;
    }
    return vl;
}

/* Wiring, first half: the two end vports of 'vl', named 'vport_name', on
 * vnodes 'head' and 'tail', each sending into its first path link
 * (workers paused). */
static int
dp_vlink_wire_ends(struct dp_vlink *vl, const struct dp_vlink_ports *ports,
                   struct dp_vnode *head, struct dp_vnode *tail,
                   const char *vport_name, struct dp_error *err)
{
    size_t n = vl->n_path;
    int n_ends = ports->border_in ? 0 : ports->border ? 1 : 2;
    int error = 0;

    for (int end = 0; end < n_ends && !error; end++) {
        struct dp_vport *vp = xzalloc(sizeof *vp);
        size_t at = end ? n - 1 : 0;

        str_copy(vp->name, vport_name, sizeof vp->name);
        vp->vn = end ? tail : head;
        vp->type = DP_VPORT_VLINK;
        vp->port = ports->out[end][at];
        vp->vlan = -1;
        vp->label = vl->label;
        vp->vlink = vl;
        if (ports->local) {
            error = dp_vport_attach(vp, err);
        } else {
            vp->queue = dp_queue_ref(vl->slice, vp->port, err);
            error = vp->queue ? dp_vport_attach(vp, err) : EINVAL;
        }
        if (error) {
            dp_queue_unref(vp->queue);
            free(vp);
            break;
        }
        if (vp->port) {
            vp->port->n_users++;
        }
        vl->ends[end] = vp;
    }
    if (!error && ports->local) {
        vl->ends[0]->peer = vl->ends[1];
        vl->ends[1]->peer = vl->ends[0];
    }
    return error;
}

/* Wiring, second half: the label entries of every hop, d = 0 along the
 * path, d = 1 against it: swap on the way, pop into the far end vport at
 * the last switch (workers paused).  A border vlink swaps to the border
 * label out of the border port at the tail, and its reverse direction
 * starts there, on the border port with the border label; a transit vlink
 * likewise at the head with the border_in label.  The border ports used
 * are kept in '*kept[0]' (tail) and '*kept[1]' (head). */
static int
dp_vlink_wire_hops(struct dp_vlink *vl, const struct dp_vlink_ports *ports,
                   struct dp_vlink_hop *hops[2], uint32_t label, size_t n,
                   struct dp_port **kept[2], struct dp_error *err)
{
    struct dp_slice *s = vl->slice;
    struct dp_port *border = ports->border, *border_in = ports->border_in;
    /* Where direction d ends (0: the tail's border, 1: the head's), and
     * the label it leaves with there. */
    struct dp_port *end_border[2] = { border, border_in };
    uint32_t end_label[2] = { ports->border_label, ports->border_in_label };
    int error = 0;

    for (int d = 0; d < 2 && !error; d++) {
        /* A direction that starts at a border port is received at its
         * first switch too (on that port). */
        size_t first = end_border[!d] ? 0 : 1;

        for (size_t k = first; k < n && !error; k++) {
            size_t i = d ? n - 1 - k : k;           /* switch receiving the hop */
            struct dp_vlink_hop *hop = &hops[d][i];
            struct dp_label_entry *e = xzalloc(sizeof *e);
            bool last = k == n - 1;
            bool to_border = end_border[d] && last;

            hop->sw = ports->sw[i];
            hop->in_port = ports->in[d][i];
            hop->in_label = hop->in_port == border ? ports->border_label
                            : hop->in_port == border_in ? ports->border_in_label
                            : label;
            hop->out_port = last && !to_border ? NULL : ports->out[d][i];
            e->slice = s;
            if (last && !to_border) {
                e->op = DP_LABEL_POP;
                e->vport = vl->ends[!d];    /* border: d = 1, the head */
            } else {
                e->op = DP_LABEL_SWAP;
                e->out_label = to_border ? end_label[d] : label;
                e->queue = dp_queue_ref(s, hop->out_port, err);
                if (!e->queue) {
                    free(e);
                    error = EINVAL;
                    break;
                }
            }
            error = label_table_add(&hop->sw->labels, hop->in_port->uid,
                                    hop->in_label, e);
            if (error) {
                dp_err(err, "virtual link %s: cannot add label %u on %s/%s: %s",
                       vl->name, hop->in_label, hop->sw->name, hop->in_port->name,
                       strerror(error));
                dp_queue_unref(e->queue);
                free(e);
                break;
            }
            hop->entry = e;
            hop->in_port->n_users++;
        }
    }
    for (int b = 0; b < 2 && !error; b++) {
        if (end_border[b]) {
            end_border[b]->n_border++;
            end_border[b]->is_link = true;
            *kept[b] = end_border[b];
        }
    }
    return error;
}

/* The ports direction 'd' sends on along a resolved path of 'n' switches
 * (out[d] without the end's NULL), in a new array of '*n_out'. */
static struct dp_port **
dp_vlink_sent_on(const struct dp_vlink_ports *ports, size_t n, int d,
                 uint32_t *n_out)
{
    struct dp_port **v = xcalloc(n, sizeof *v);

    *n_out = 0;
    for (size_t i = 0; i < n; i++) {
        struct dp_port *p = ports->out[d][i];
        if (p) {
            v[(*n_out)++] = p;
        }
        if (p && p->tun) {
            /* A tunnel also needs its underlay port. */
            v = xrealloc(v, (n + *n_out + 1) * sizeof *v);
            v[(*n_out)++] = dp_tunnel_underlay_port(p);
        }
    }
    return v;
}

/* Wiring of the backup path of 'vl' ('vlp->backup'), after its path:
 * its own label (free on the backup's receiving ports, the path's
 * entries counted), its hops, and the fast-reroute state of both ends
 * ('ports': the path's resolution; workers paused). */
static int
dp_vlink_wire_backup(struct dp_vlink *vl, const struct dp_vlink_params *vlp,
                     const struct dp_slice *s, const char *vport_name,
                     const struct dp_vlink_ports *ports, struct dp_error *err)
{
    struct dp_vlink_params bp = *vlp;
    struct dp_vlink_ports bports = { 0 };
    struct dp_vnode *head, *tail;
    uint32_t label = 0;
    int error;

    bp.path = vlp->backup;
    bp.n_path = vlp->n_backup;
    bp.label = 0;
    bp.backup = NULL;
    bp.border_port = vlp->backup_border_port;
    bp.border_label = vlp->backup_border_label;
    error = dp_vlink_resolve(&bp, s, vport_name, &bports, &head, &tail, err);
    if (error == EEXIST) {
        error = 0;              /* the vports are the path's own, made above */
    }
    if (!error) {
        error = dp_vlink_choose_label(&bp, &bports, &label, err);
    }
    if (!error) {
        struct dp_port **kept[2] = { &vl->backup_border, &vl->border_in };
        vl->backup_label = label;
        error = dp_vlink_wire_hops(vl, &bports, vl->bhops, label, vl->n_backup,
                                   kept, err);
    }
    for (int d = 0; d < 2 && !error; d++) {
        for (size_t i = 0; i < vl->n_backup; i++) {
            struct dp_label_entry *e = vl->bhops[d][i].entry;
            if (e && e->op == DP_LABEL_POP) {
                e->backup = true;   /* its VCCV frames are the backup's */
            }
        }
    }
    for (int end = 0; end < 2 && !error; end++) {
        struct dp_vport *vp = vl->ends[end];
        if (!vp) {
            continue;           /* a border vlink has its head end only */
        }
        struct dp_vlink_fr *fr = xzalloc(sizeof *fr);
        size_t at = end ? vl->n_backup - 1 : 0;

        fr->paths[0] = dp_vlink_sent_on(ports, vl->n_path, end, &fr->n_paths[0]);
        fr->paths[1] = dp_vlink_sent_on(&bports, vl->n_backup, end, &fr->n_paths[1]);
        fr->alt_port = bports.out[end][at];
        fr->alt_label = label;
        fr->alt_queue = dp_queue_ref(vl->slice, fr->alt_port, err);
        fr->hold_ns = (uint64_t) vl->hold_ms * 1000000;
        vp->fr = fr;
        if (vlp->bfd.enable) {
            dp_vccv_new(vl->name, &vlp->bfd, &fr->vccv, err);   /* checked */
        }
        if (!fr->alt_queue) {
            error = EINVAL;
            break;
        }
        fr->alt_port->n_users++;
        struct dp_switch *sw = vp->vn->sw;
        sw->fr_vports = xrealloc(sw->fr_vports, (sw->n_fr + 1) * sizeof *sw->fr_vports);
        sw->fr_vports[sw->n_fr++] = vp;
        if (fr->vccv) {
            sw->vccv_vports = xrealloc(sw->vccv_vports,
                                       (sw->n_vccv + 1) * sizeof *sw->vccv_vports);
            sw->vccv_vports[sw->n_vccv++] = vp;
        }
    }
    dp_live_changed();          /* the new ends check their paths */
    dp_vlink_ports_free(&bports);
    return error;
}

/* True if each of the 'n' ports a path sends on may carry traffic. */
static bool
dp_vlink_path_live(struct dp_port *const *ports, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (!dp_port_live(ports[i])) {
            return false;
        }
    }
    return true;
}

/* Swaps what vlink end 'vp' sends on with its other path. */
static void
dp_vlink_fr_swap(struct dp_vport *vp, uint64_t now)
{
    struct dp_vlink_fr *fr = vp->fr;
    struct dp_port *p = vp->port;
    struct dp_queue *q = vp->queue;
    uint32_t label = vp->label;

    vp->port = fr->alt_port;
    vp->queue = fr->alt_queue;
    vp->label = fr->alt_label;
    fr->alt_port = p;
    fr->alt_queue = q;
    fr->alt_label = label;
    fr->on_backup = !fr->on_backup;
    fr->up_since = 0;
    fr->last_change = now;
}

/* True if path 'k' of vlink end 'vp' may carry traffic: the ports it
 * sends on here, and its end-to-end session if it has one. */
static bool
dp_vlink_fr_live(const struct dp_vport *vp, int k)
{
    const struct dp_vlink_fr *fr = vp->fr;

    return dp_vlink_path_live(fr->paths[k], fr->n_paths[k])
           && (!fr->vccv || fr->vccv->s[k].state == BFD_UP);
}

void
dp_vlink_fr_check(struct dp_vport *vp, uint64_t now)
{
    struct dp_vlink_fr *fr = vp->fr;
    bool primary = dp_vlink_fr_live(vp, 0);

    if (!fr->on_backup) {
        if (!primary && dp_vlink_fr_live(vp, 1)) {
            dp_vlink_fr_swap(vp, now);
            fr->reroutes++;
        }
    } else if (!primary) {
        fr->up_since = 0;
    } else if (!fr->up_since) {
        fr->up_since = now | 1;     /* the hold-down starts */
    } else if (now - fr->up_since >= fr->hold_ns) {
        dp_vlink_fr_swap(vp, now);
        fr->reverts++;
    }
}

int
dp_vlink_add(const struct dp_vlink_params *vlp, struct dp_error *err)
{
    struct dp_slice *s = dp_need_slice(vlp->slice, err);
    struct dp_vlink_ports ports = { 0 };
    struct dp_vnode *head = NULL, *tail = NULL;
    struct dp_vlink *vl;
    char vport_name[DP_NAME_LEN + 8];
    uint32_t label = 0;
    int error;

    if (!s) {
        return ENOENT;
    }
    error = dp_vlink_check(vlp, s, vport_name, sizeof vport_name, err);
    if (error) {
        return error;
    }
    error = dp_vlink_resolve(vlp, s, vport_name, &ports, &head, &tail, err);
    if (!error) {
        error = dp_vlink_choose_label(vlp, &ports, &label, err);
    }
    if (error) {
        dp_vlink_ports_free(&ports);
        return error;
    }

    vl = dp_vlink_new(vlp, s, label);
    dp_pause();
    error = dp_vlink_wire_ends(vl, &ports, head, tail, vport_name, err);
    if (!error && !ports.local) {
        struct dp_port **kept[2] = { &vl->border, &vl->border_in };
        error = dp_vlink_wire_hops(vl, &ports, vl->hops, vl->label, vl->n_path,
                                   kept, err);
    }
    if (!error && vlp->backup) {
        error = dp_vlink_wire_backup(vl, vlp, s, vport_name, &ports, err);
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
dp_vlink_hops_free(struct dp_vlink_hop *hops[2], size_t n)
{
    for (int d = 0; d < 2; d++) {
        for (size_t i = 0; hops[d] && i < n; i++) {
            struct dp_vlink_hop *hop = &hops[d][i];
            if (hop->entry) {
                label_table_del(&hop->sw->labels, hop->in_port->uid, hop->in_label);
                hop->in_port->n_users--;
                dp_queue_unref(hop->entry->queue);
                free(hop->entry);
            }
        }
        free(hops[d]);
    }
}

static void
dp_vlink_free(struct dp_vlink *vl)
{
    dp_vlink_hops_free(vl->hops, vl->n_path);
    dp_vlink_hops_free(vl->bhops, vl->n_backup);
    for (int end = 0; end < 2; end++) {
        struct dp_vport *vp = vl->ends[end];
        if (vp) {
            struct dp_vlink_fr *fr = vp->fr;
            struct dp_switch *sw = vp->vn->sw;
            for (uint32_t i = 0; i < sw->n_fr; i++) {
                if (sw->fr_vports[i] == vp) {
                    sw->fr_vports[i] = sw->fr_vports[--sw->n_fr];
                    break;
                }
            }
            for (uint32_t i = 0; i < sw->n_vccv; i++) {
                if (sw->vccv_vports[i] == vp) {
                    sw->vccv_vports[i] = sw->vccv_vports[--sw->n_vccv];
                    break;
                }
            }
            if (fr) {
                if (fr->alt_queue) {
                    fr->alt_port->n_users--;
                    dp_queue_unref(fr->alt_queue);
                }
                free(fr->paths[0]);
                free(fr->paths[1]);
                free(fr->vccv);
                free(fr);
            }
            dp_vport_detach(vp);
            if (vp->port) {
                vp->port->n_users--;
            }
            dp_queue_unref(vp->queue);
            free(vp);
        }
    }
    for (size_t i = 0; i < vl->n_backup; i++) {
        free(vl->backup[i]);
    }
    free(vl->backup);
    for (int b = 0; b < 3; b++) {
        struct dp_port *bp = b == 2 ? vl->backup_border
                             : b ? vl->border_in : vl->border;
        if (bp && !--bp->n_border) {
            bp->is_link = false;        /* an ordinary port again */
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
