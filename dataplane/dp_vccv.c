/*
 * dp_vccv: end-to-end liveness of a virtual link with a backup path, by a
 * BFD session between its two head ends carried inside the pseudowire
 * (VCCV BFD, RFC 5885), one per path.
 *
 * A head end sees the ports of its own switch and, inside one daemon, the
 * links of its paths; it does not see a link of another machine that its
 * path crosses.  Each end therefore sends BFD control packets on each of
 * its paths, as a frame of the pseudowire:
 *
 *   outer Ethernet | path's label (BoS) | ACH 0x1000 0x0007 | BFD control
 *
 * The associated channel header (RFC 4385: first nibble 0001, version 0,
 * channel type 0x0007, BFD control without IP/UDP) sits where a frame of
 * the vnode has its control word (first nibble 0000), so transit switches
 * swap the label like any frame's, and the switch where the label pops
 * takes it out (dp_vccv_input()) instead of handing it to the vport: it
 * is never mistaken for a user frame.  A label entry that pops the
 * backup path's label says so (e->backup), which picks the session.
 *
 * The frames go straight to the device of the path's first port (beside
 * the slice's queue, as the port sessions of dp_bfd.c do) and are not
 * sent while that port is down.  The end leaves a path whose session is
 * not Up (dp_vlink_fr_check()); a state change counts as a liveness
 * change (dp_live_changed()).
 *
 * The path not in use (standby) runs its session DP_VCCV_STANDBY times
 * slower (100 ms x 3 for the default 10 ms x 3), switched by a Poll
 * sequence when the end moves (bfd_session_set_intervals()): each
 * control packet crosses every hop of its path, and a backup path is
 * often long, so at full rate the standby paths of a map's cross-machine
 * vlinks kept a worker busy with frames no user sent (docs/design.md).
 * A standby path that fails is thus seen within 300 ms rather than 30.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_private.h"
#include "util.h"

#define DP_VCCV_ACH 0x10000007u     /* ACH: version 0, BFD control, no IP/UDP */
#define DP_VCCV_FRAME_LEN (EOMPLS_HLEN + BFD_PACKET_LEN)
#define DP_VCCV_STANDBY 10          /* a standby path's intervals: times slower */
#define DP_VCCV_STANDBY_MAX_US 1000000u

/* Puts path 'k''s session of 'vc' at the intervals of a path in use or on
 * standby, as 'standby' says, at 'now'. */
static void
dp_vccv_pace(struct dp_vccv *vc, int k, bool standby, uint64_t now)
{
    uint32_t tx = vc->cfg.tx_us, rx = vc->cfg.rx_us;

    if (vc->standby[k] == standby) {
        return;
    }
    if (standby) {
        tx = MIN((uint64_t) tx * DP_VCCV_STANDBY, DP_VCCV_STANDBY_MAX_US);
        rx = MIN((uint64_t) rx * DP_VCCV_STANDBY, DP_VCCV_STANDBY_MAX_US);
        tx = MAX(tx, vc->cfg.tx_us);
        rx = MAX(rx, vc->cfg.rx_us);
    }
    bfd_session_set_intervals(&vc->s[k], tx, rx, now);
    vc->standby[k] = standby;
}

/* ---- Fast path --------------------------------------------------------- */

void
dp_vccv_input(const struct dp_label_entry *e, struct rte_mbuf *m, uint64_t now)
{
    struct dp_vport *vp = e->vport;
    struct dp_vccv *vc = vp && vp->fr ? vp->fr->vccv : NULL;
    const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
    uint32_t len = rte_pktmbuf_data_len(m);
    uint32_t ach = len < EOMPLS_HLEN ? 0
                   : (uint32_t) f[18] << 24 | (uint32_t) f[19] << 16
                     | (uint32_t) f[20] << 8 | f[21];

    if (!vc) {
        vp->ctr.drops[DP_DROP_MALFORMED]++;     /* no session: never delivered */
    } else if (ach != DP_VCCV_ACH) {
        vc->rx_other++;
    } else {
        struct bfd_session *s = &vc->s[e->backup];
        uint8_t was = s->state;

        bfd_session_rx(s, f + EOMPLS_HLEN, len - EOMPLS_HLEN, now);
        if (s->state != was) {
            dp_live_changed();
        }
    }
    rte_pktmbuf_free(m);
}

/* Sends the next control packet of path 'k''s session out of 'p' with
 * 'label'. */
static void
dp_vccv_send(struct dp_vport *vp, int k, struct dp_port *p, uint32_t label,
             uint64_t now)
{
    struct dp_vccv *vc = vp->fr->vccv;
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);
    uint8_t *f = m ? (uint8_t *) rte_pktmbuf_append(m, DP_VCCV_FRAME_LEN) : NULL;

    if (!f) {
        rte_pktmbuf_free(m);
        vc->tx_failed[k]++;
        return;
    }
    dp_eompls_header(f, vp->vn->sw->idx, label, DP_VCCV_ACH);
    bfd_session_build(&vc->s[k], f + EOMPLS_HLEN, now);
    if (p->loss_ppm && util_xorshift64(&p->rng) % 1000000 < p->loss_ppm) {
        rte_pktmbuf_free(m);    /* a lossy link loses these too */
        p->ctr.drops[DP_DROP_LINK_LOSS]++;
        return;
    }
    if (dp_port_tx(p, &m, 1) == 1) {
        p->ctr.tx_packets++;
        p->ctr.tx_bytes += DP_VCCV_FRAME_LEN;
    } else {
        rte_pktmbuf_free(m);
        vc->tx_failed[k]++;
    }
}

uint64_t
dp_vccv_run(struct dp_vport *vp, uint64_t now)
{
    struct dp_vlink_fr *fr = vp->fr;
    struct dp_vccv *vc = fr->vccv;
    uint64_t next = UINT64_MAX;

    for (int k = 0; k < 2; k++) {
        struct bfd_session *s = &vc->s[k];
        bool in_use = fr->on_backup == k;   /* the path vp sends on now */
        struct dp_port *p = in_use ? vp->port : fr->alt_port;
        uint32_t label = in_use ? vp->label : fr->alt_label;
        uint8_t was = s->state;

        dp_vccv_pace(vc, k, !in_use, now);
        if (bfd_session_run(s, now)) {
            if (p->down) {
                uint8_t pkt[BFD_PACKET_LEN];
                bfd_session_build(s, pkt, now);     /* silence on the cut */
                s->tx_packets--;
            } else {
                dp_vccv_send(vp, k, p, label, now);
            }
        }
        if (s->state != was) {
            dp_live_changed();
        }
        uint64_t t = bfd_session_next(s);
        t = t > now ? t - now : 0;
        next = t < next ? t : next;
    }
    return next;
}

/* ---- Control side ------------------------------------------------------ */

int
dp_vccv_new(const char *what, const struct dp_bfd_params *bp,
            struct dp_vccv **out, struct dp_error *err)
{
    struct bfd_config cfg = { .tx_us = bp->tx_us ? bp->tx_us : 10000,
                              .rx_us = bp->rx_us ? bp->rx_us : 10000,
                              .mult = bp->mult ? bp->mult : 3 };
    int error;

    if (bp->local || bp->peer) {
        dp_err(err, "%s: the bfd of a virtual link runs inside it: give no "
               "\"local\" or \"peer\"", what);
        return EINVAL;
    }
    error = dp_bfd_check_params(what, bp, err);
    if (error) {
        return error;
    }
    struct dp_vccv *vc = xzalloc(sizeof *vc);
    vc->cfg = cfg;
    for (int k = 0; k < 2; k++) {
        bfd_session_init(&vc->s[k], &cfg, dp_bfd_new_disc(), dp_now_ns());
    }
    *out = vc;
    return 0;
}

json_t *
dp_vccv_state_json(const struct dp_vport *vp, int k)
{
    const struct dp_vccv *vc = vp->fr->vccv;
    json_t *j = dp_bfd_session_json(&vc->s[k], vc->tx_failed[k]);

    json_object_set_new(j, "kind", json_string("vlink"));
    json_object_set_new(j, "switch", json_string(vp->vn->sw->name));
    json_object_set_new(j, "slice", json_string(vp->vn->slice->name));
    json_object_set_new(j, "vlink", json_string(vp->vlink->name));
    json_object_set_new(j, "vport", json_string(vp->name));
    json_object_set_new(j, "path", json_string(k ? "backup" : "primary"));
    json_object_set_new(j, "in_use", json_boolean(vp->fr->on_backup == k));
    json_object_set_new(j, "standby", json_boolean(vc->standby[k]));
    json_object_set_new(j, "rx_other", json_integer(vc->rx_other));
    return j;
}

void
dp_vccv_list(json_t *list)
{
    for (uint32_t i = 0; i < dp.n_switches; i++) {
        struct dp_switch *sw = dp.switches[i];
        for (uint32_t f = 0; f < sw->n_fr; f++) {
            struct dp_vport *vp = sw->fr_vports[f];
            for (int k = 0; vp->fr->vccv && k < 2; k++) {
                json_array_append_new(list, dp_vccv_state_json(vp, k));
            }
        }
    }
}
