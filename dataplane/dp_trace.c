/*
 * dp_trace: the path a frame would take through the switches of this
 * process, stage by stage, without sending it (`lamina trace`, the
 * "trace.packet" method).
 *
 * The fast path (dp_worker.c) is not touched: this file runs the same
 * decisions on a private copy of the frame with the workers paused —
 * classification by (port, VLAN), the slice's budget and policer (on a
 * copy of the token bucket), the vnode's forwarding plane through its
 * class's trace() (no learning, no counters), the VLAN tag or the MPLS
 * pseudowire header of the output vport, the (slice, port) queue, the
 * port — and follows in-process links into the next switch, where the
 * label is swapped or popped.  Each stage appends a small record
 * (struct dp_trace_rec); a format function per stage turns records into
 * text afterwards (the scheme of VPP's packet trace), so the walk itself
 * stays free of string work.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dp_private.h"

#define DP_TRACE_MAX_RECS 128
#define DP_TRACE_MAX_HOPS 16
#define DP_TRACE_HEADROOM 64
#define DP_TRACE_MAX_LEN 2048
#define DP_TRACE_MAX_OUTS 16

enum dp_trace_stage {
    DPT_RX,             /* port */
    DPT_CLASSIFY,       /* vport, vlan */
    DPT_VLAN_POP,       /* vlan */
    DPT_BUDGET,         /* a = budget, b = used this round */
    DPT_POLICER,        /* a = rate B/s, b = tokens (bytes), drop */
    DPT_FP,             /* vn, text */
    DPT_VLAN_PUSH,      /* vport, vlan */
    DPT_LABEL_PUSH,     /* vport, label */
    DPT_LABEL_SWAP,     /* label -> out_label, ttl, q */
    DPT_LABEL_POP,      /* label, vport */
    DPT_QUEUE,          /* q, a = count, b = capacity */
    DPT_TX,             /* port */
    DPT_LINK,           /* port (this end), peer */
    DPT_PUNT,           /* vn */
    DPT_DROP,           /* drop */
    DPT_N_STAGES
};

static const char *const dp_trace_stage_names[DPT_N_STAGES] = {
    [DPT_RX] = "rx", [DPT_CLASSIFY] = "classify", [DPT_VLAN_POP] = "vlan-pop",
    [DPT_BUDGET] = "budget", [DPT_POLICER] = "policer", [DPT_FP] = "fp",
    [DPT_VLAN_PUSH] = "vlan-push", [DPT_LABEL_PUSH] = "label-push",
    [DPT_LABEL_SWAP] = "label-swap", [DPT_LABEL_POP] = "label-pop",
    [DPT_QUEUE] = "queue", [DPT_TX] = "output", [DPT_LINK] = "link",
    [DPT_PUNT] = "punt", [DPT_DROP] = "drop",
};

/* One stage's record: the objects it concerns and a few numbers. */
struct dp_trace_rec {
    enum dp_trace_stage stage;
    uint8_t hop;                /* switches crossed before this one */
    const struct dp_switch *sw;
    const struct dp_port *port, *peer;
    const struct dp_vnode *vn;
    const struct dp_vport *vp;
    const struct dp_queue *q;
    int vlan;
    uint32_t label, out_label, len;
    uint8_t ttl;
    uint64_t a, b;
    bool drop;
    enum dp_drop reason;
    char text[1024];            /* DPT_FP: the plane's own words */
};

struct dp_trace {
    struct dp_trace_rec recs[DP_TRACE_MAX_RECS];
    unsigned n;
    bool truncated;
    uint64_t now_ns;
    unsigned n_out, n_drop, n_punt;
};

static void dp_trace_port_rx(struct dp_trace *, const struct dp_port *,
                             uint8_t *frame, uint32_t len, unsigned hop);

/* A new record for 'stage' (a scratch one when the trace is full). */
static struct dp_trace_rec *
dp_trace_add(struct dp_trace *t, enum dp_trace_stage stage,
             const struct dp_switch *sw, unsigned hop)
{
    static struct dp_trace_rec scratch;
    struct dp_trace_rec *r;

    if (t->n < DP_TRACE_MAX_RECS) {
        r = &t->recs[t->n++];
    } else {
        t->truncated = true;
        r = &scratch;
    }
    memset(r, 0, offsetof(struct dp_trace_rec, text));
    r->text[0] = '\0';
    r->stage = stage;
    r->sw = sw;
    r->hop = hop;
    return r;
}

static void
dp_trace_drop(struct dp_trace *t, const struct dp_switch *sw, unsigned hop,
              enum dp_drop reason)
{
    dp_trace_add(t, DPT_DROP, sw, hop)->reason = reason;
    t->n_drop++;
}

/* ---- Egress ---------------------------------------------------------- */

/* The frame is put on queue 'q': the queue, the port, and across an
 * in-process link into the next switch. */
static void
dp_trace_enqueue(struct dp_trace *t, const struct dp_queue *q, uint8_t *frame,
                 uint32_t len, unsigned hop)
{
    const struct dp_port *p = q->port;
    const struct dp_switch *sw = p->sw;
    struct dp_trace_rec *r;

    r = dp_trace_add(t, DPT_QUEUE, sw, hop);
    r->q = q;
    r->a = q->count;
    r->b = q->mask + 1;
    if (p->down) {
        dp_trace_drop(t, sw, hop, DP_DROP_LINK_DOWN);
        return;
    }
    if (q->count > q->mask) {
        dp_trace_drop(t, sw, hop, DP_DROP_QUEUE_FULL);
        return;
    }
    if (q->slice->held[q->port->worker] >= q->slice->quota) {
        dp_trace_drop(t, sw, hop, DP_DROP_MBUF_QUOTA);
        return;
    }
    r = dp_trace_add(t, DPT_TX, sw, hop);
    r->port = p;
    r->len = len;
    t->n_out++;
    if (p->link && hop + 1 < DP_TRACE_MAX_HOPS) {
        const struct dp_link *l = p->link;
        const struct dp_port *peer = l->ends[0] == p ? l->ends[1] : l->ends[0];
        r = dp_trace_add(t, DPT_LINK, sw, hop);
        r->port = p;
        r->peer = peer;
        r->a = l->delay_us;
        r->b = l->loss_ppm;
        t->n_out--;             /* counted where it finally leaves */
        dp_trace_port_rx(t, peer, frame, len, hop + 1);
    } else if (p->link) {
        t->truncated = true;
    }
}

static void dp_trace_vnode(struct dp_trace *, const struct dp_vnode *, uint16_t in,
                           const uint8_t *frame, uint32_t len, unsigned hop);

/* The frame leaves vnode 'vp->vn' by vport 'vp': its own copy gets the
 * VLAN tag or the pseudowire header, then goes to the vport's queue. */
static void
dp_trace_vport_out(struct dp_trace *t, const struct dp_vport *vp,
                   const uint8_t *frame, uint32_t len, unsigned hop)
{
    uint8_t buf[DP_TRACE_HEADROOM + DP_TRACE_MAX_LEN + EOMPLS_HLEN];
    uint8_t *p = buf + DP_TRACE_HEADROOM;
    const struct dp_switch *sw = vp->vn->sw;
    struct dp_trace_rec *r;

    if (vp->peer) {
        /* A virtual link inside the switch: into the peer's vnode. */
        if (hop + 1 < DP_TRACE_MAX_HOPS) {
            dp_trace_vnode(t, vp->peer->vn, vp->peer->idx, frame, len, hop + 1);
        } else {
            t->truncated = true;
        }
        return;
    }
    memcpy(p, frame, len);
    if (vp->type == DP_VPORT_ACCESS) {
        if (vp->vlan >= 0) {
            p -= 4;
            memmove(p, p + 4, 12);
            p[12] = ETHTYPE_VLAN >> 8;
            p[13] = ETHTYPE_VLAN & 0xff;
            p[14] = (vp->vlan >> 8) & 0x0f;
            p[15] = vp->vlan & 0xff;
            len += 4;
            r = dp_trace_add(t, DPT_VLAN_PUSH, sw, hop);
            r->vp = vp;
            r->vlan = vp->vlan;
        }
    } else {
        /* As dp_vport_encap(). */
        uint32_t idx = sw->idx;
        p -= EOMPLS_HLEN;
        len += EOMPLS_HLEN;
        p[0] = 0x02; p[1] = 0x4c; p[2] = 0x4d; p[3] = 0xff; p[4] = 0xff;
        p[5] = 0xff; p[6] = 0x02; p[7] = 0x4c; p[8] = 0x4d;
        p[9] = idx >> 16; p[10] = idx >> 8; p[11] = idx;
        p[12] = ETHTYPE_MPLS >> 8;
        p[13] = ETHTYPE_MPLS & 0xff;
        classify_put_label(p + 14, vp->label, 64);
        memset(p + 18, 0, 4);
        r = dp_trace_add(t, DPT_LABEL_PUSH, sw, hop);
        r->vp = vp;
        r->label = vp->label;
        r->ttl = 64;
    }
    dp_trace_enqueue(t, vp->queue, p, len, hop);
}

/* ---- The vnode ------------------------------------------------------- */

/* The frame enters vnode 'vn' on vport 'in': its forwarding plane
 * decides, then each output is followed. */
static void
dp_trace_vnode(struct dp_trace *t, const struct dp_vnode *vn, uint16_t in,
               const uint8_t *frame, uint32_t len, unsigned hop)
{
    struct dp_fp_ctx ctx = {
        .now_s = t->now_ns / 1000000000ull, .now_ns = t->now_ns,
        .n_vports = vn->n_vports, .is_vlink = vn->is_vlink,
        .vn = (struct dp_vnode *) vn, .worker = vn->sw->worker,
    };
    uint16_t outs[DP_TRACE_MAX_OUTS];
    struct dp_trace_rec *r = dp_trace_add(t, DPT_FP, vn->sw, hop);
    unsigned n;

    r->vn = vn;
    if (!vn->fp->trace) {
        snprintf(r->text, sizeof r->text, "the %s forwarding plane cannot "
                 "trace; its decision is unknown", vn->fp->name);
        return;
    }
    n = vn->fp->trace(vn->fp_state, frame, len, in, &ctx, outs,
                      DP_TRACE_MAX_OUTS, r->text, sizeof r->text);
    if (!n) {
        dp_trace_drop(t, vn->sw, hop, DP_DROP_FP_DROP);
        return;
    }
    for (unsigned i = 0; i < n; i++) {
        uint16_t o = outs[i];
        if (o < vn->n_vports && vn->vports[o]) {
            dp_trace_vport_out(t, vn->vports[o], frame, len, hop);
        } else if (o == DP_FP_FLOOD || o == DP_FP_FLOOD_ACCESS) {
            for (uint16_t v = 0; v < vn->n_vports; v++) {
                if (v != in && vn->vports[v]
                    && !(o == DP_FP_FLOOD_ACCESS && vn->is_vlink[v])) {
                    dp_trace_vport_out(t, vn->vports[v], frame, len, hop);
                }
            }
        } else if (o == DP_FP_CONSUMED) {
            dp_trace_add(t, DPT_PUNT, vn->sw, hop)->vn = vn;
            t->n_punt++;
        } else {
            dp_trace_drop(t, vn->sw, hop, DP_DROP_FP_DROP);
        }
    }
}

/* ---- Ingress --------------------------------------------------------- */

/* A frame on an access port: binding, tag, budget, policer. */
static void
dp_trace_access_rx(struct dp_trace *t, const struct dp_port *p, uint8_t *frame,
                   uint32_t len, unsigned hop)
{
    const struct dp_switch *sw = p->sw;
    const struct dp_vport *vp;
    const struct dp_vnode *vn;
    const struct dp_slice *s;
    struct dp_trace_rec *r;
    int vlan;

    vp = classify_access(&p->bindings, frame, len, &vlan);
    if (!vp) {
        r = dp_trace_add(t, DPT_CLASSIFY, sw, hop);
        r->port = p;
        r->vlan = vlan;
        dp_trace_drop(t, sw, hop, vlan == CLASSIFY_MALFORMED
                      ? DP_DROP_MALFORMED : DP_DROP_NO_BINDING);
        return;
    }
    vn = vp->vn;
    s = vn->slice;
    r = dp_trace_add(t, DPT_CLASSIFY, sw, hop);
    r->port = p;
    r->vp = vp;
    r->vn = vn;
    r->vlan = vlan;
    if (vlan >= 0 || (len >= 14 && frame[12] == 0x81 && frame[13] == 0x00)) {
        memmove(frame + 4, frame, 12);
        frame += 4;
        len -= 4;
        dp_trace_add(t, DPT_VLAN_POP, sw, hop)->vlan = vlan;
    }
    if (s->budget) {
        r = dp_trace_add(t, DPT_BUDGET, sw, hop);
        r->vn = vn;
        r->a = s->budget;
        r->b = vn->budget_used;
    }
    if (vn->policer.rate) {
        struct qsched_tb tb = vn->policer;      /* a copy: nothing taken */
        qsched_tb_refill(&tb, t->now_ns);
        r = dp_trace_add(t, DPT_POLICER, sw, hop);
        r->vn = vn;
        r->len = len;
        r->a = s->policer_bps / 8;
        r->b = tb.tokens / QSCHED_NS;
        r->drop = !qsched_tb_has(&tb, len);
        if (r->drop) {
            dp_trace_drop(t, sw, hop, DP_DROP_POLICER);
            return;
        }
    }
    dp_trace_vnode(t, vn, vp->idx, frame, len, hop);
}

/* A frame on a link port: the label says swap (transit) or pop (tail). */
static void
dp_trace_link_rx(struct dp_trace *t, const struct dp_port *p, uint8_t *frame,
                 uint32_t len, unsigned hop)
{
    const struct dp_switch *sw = p->sw;
    const struct dp_label_entry *e;
    struct dp_trace_rec *r;
    uint32_t label;
    uint8_t ttl;

    if (!classify_mpls(frame, len, &label, &ttl)) {
        dp_trace_drop(t, sw, hop, DP_DROP_NOT_MPLS);
        return;
    }
    e = label_table_lookup(&sw->labels, p->uid, label);
    if (!e) {
        r = dp_trace_add(t, DPT_LABEL_POP, sw, hop);
        r->label = label;
        dp_trace_drop(t, sw, hop, DP_DROP_NO_LABEL);
        return;
    }
    if (e->op == DP_LABEL_SWAP) {
        r = dp_trace_add(t, DPT_LABEL_SWAP, sw, hop);
        r->label = label;
        r->out_label = e->out_label;
        r->ttl = ttl;
        r->q = e->queue;
        if (ttl <= 1) {
            dp_trace_drop(t, sw, hop, DP_DROP_TTL);
            return;
        }
        classify_put_label(frame + ETH_HLEN_, e->out_label, ttl - 1);
        frame[9] = sw->idx >> 16;
        frame[10] = sw->idx >> 8;
        frame[11] = sw->idx;
        dp_trace_enqueue(t, e->queue, frame, len, hop);
        return;
    }
    r = dp_trace_add(t, DPT_LABEL_POP, sw, hop);
    r->label = label;
    r->vp = e->vport;
    r->vn = e->vport->vn;
    dp_trace_vnode(t, e->vport->vn, e->vport->idx, frame + EOMPLS_HLEN,
                   len - EOMPLS_HLEN, hop);
}

/* The frame arrives on port 'p'. */
static void
dp_trace_port_rx(struct dp_trace *t, const struct dp_port *p, uint8_t *frame,
                 uint32_t len, unsigned hop)
{
    uint8_t buf[DP_TRACE_MAX_LEN + EOMPLS_HLEN + 8];
    struct dp_trace_rec *r;

    if (t->truncated) {
        return;                 /* a loop or a large flood: enough */
    }
    r = dp_trace_add(t, DPT_RX, p->sw, hop);

    r->port = p;
    r->len = len;
    if (len > sizeof buf) {
        dp_trace_drop(t, p->sw, hop, DP_DROP_MALFORMED);
        return;
    }
    memcpy(buf, frame, len);            /* this hop's own copy */
    if (p->down) {
        dp_trace_drop(t, p->sw, hop, DP_DROP_LINK_DOWN);
    } else if (p->is_link) {
        dp_trace_link_rx(t, p, buf, len, hop);
    } else {
        dp_trace_access_rx(t, p, buf, len, hop);
    }
}

/* ---- Formatting ------------------------------------------------------- */

static const char *
dp_trace_vlan(int vlan, char *buf, size_t size)
{
    if (vlan == CLASSIFY_UNTAGGED) {
        return "untagged";
    }
    if (vlan == CLASSIFY_MALFORMED) {
        return "malformed";
    }
    snprintf(buf, size, "vlan %d", vlan);
    return buf;
}

/* Writes record 'r' as text into 'out'. */
static void
dp_trace_format(const struct dp_trace_rec *r, char *out, size_t size)
{
    char v[32], addr[2 * DP_NAME_LEN];

    switch (r->stage) {
    case DPT_RX:
        snprintf(out, size, "%u bytes in on %s port %s", r->len,
                 r->port->is_link ? "link" : "access", r->port->name);
        break;
    case DPT_CLASSIFY:
        if (!r->vp) {
            snprintf(out, size, "port %s, %s: no slice bound", r->port->name,
                     dp_trace_vlan(r->vlan, v, sizeof v));
        } else {
            snprintf(out, size, "port %s, %s -> slice %s, vport %s (index %u)",
                     r->port->name, dp_trace_vlan(r->vlan, v, sizeof v),
                     r->vn->slice->name, r->vp->name, r->vp->idx);
        }
        break;
    case DPT_VLAN_POP:
        snprintf(out, size, "tag removed (%s)",
                 dp_trace_vlan(r->vlan, v, sizeof v));
        break;
    case DPT_BUDGET:
        snprintf(out, size, "slice %s may take %" PRIu64 " packets per "
                 "round here; %" PRIu64 " taken in the current round",
                 r->vn->slice->name, r->a, r->b);
        break;
    case DPT_POLICER:
        snprintf(out, size, "slice %s: %" PRIu64 " bytes/s, %" PRIu64
                 " bytes in the bucket for %u -> %s", r->vn->slice->name,
                 r->a, r->b, r->len, r->drop ? "over the rate" : "passes");
        break;
    case DPT_FP:
        snprintf(out, size, "vnode %s/%s (%s): %s", r->vn->slice->name,
                 dp_vnode_addr(r->vn, addr), r->vn->fp->name, r->text);
        break;
    case DPT_VLAN_PUSH:
        snprintf(out, size, "vport %s: tag vlan %d pushed", r->vp->name,
                 r->vlan);
        break;
    case DPT_LABEL_PUSH:
        snprintf(out, size, "vport %s: virtual link %s, label %u pushed "
                 "(ttl %u)", r->vp->name, r->vp->vlink->name, r->label,
                 r->ttl);
        break;
    case DPT_LABEL_SWAP:
        snprintf(out, size, "label %u (ttl %u) swapped to %u for slice %s",
                 r->label, r->ttl, r->out_label, r->q->slice->name);
        break;
    case DPT_LABEL_POP:
        if (r->vp) {
            snprintf(out, size, "label %u popped -> slice %s, vport %s "
                     "(virtual link %s)", r->label, r->vn->slice->name,
                     r->vp->name, r->vp->vlink->name);
        } else {
            snprintf(out, size, "label %u unknown on this port", r->label);
        }
        break;
    case DPT_QUEUE:
        snprintf(out, size, "queue of slice %s on port %s: %" PRIu64 "/%"
                 PRIu64 " packets, guarantee %" PRIu64 " bit/s, ceiling %"
                 PRIu64 " bit/s", r->q->slice->name, r->q->port->name,
                 r->a, r->b, r->q->guarantee_bps, r->q->ceiling_bps);
        break;
    case DPT_TX:
        snprintf(out, size, "%u bytes out of port %s", r->len, r->port->name);
        break;
    case DPT_LINK:
        snprintf(out, size, "link %s to %s port %s (delay %" PRIu64 " us, "
                 "loss %" PRIu64 " ppm)", r->port->link->name,
                 r->peer->sw->name, r->peer->name, r->a, r->b);
        break;
    case DPT_PUNT:
        snprintf(out, size, "to the control side of vnode %s/%s (packet-in)",
                 r->vn->slice->name, dp_vnode_addr(r->vn, addr));
        break;
    case DPT_DROP:
        snprintf(out, size, "dropped: %s", dp_drop_names[r->reason]);
        break;
    case DPT_N_STAGES:
    default:
        snprintf(out, size, "?");
        break;
    }
}

/* ---- Entry point ------------------------------------------------------ */

json_t *
dp_trace_packet(const char *swname, const char *portname, const void *frame,
                size_t len, struct dp_error *err)
{
    const struct dp_switch *sw = dp_switch_find(swname);
    const struct dp_port *p = sw ? dp_port_find(sw, portname) : NULL;
    static struct dp_trace t;   /* control thread only; large */
    uint8_t buf[DP_TRACE_MAX_LEN];
    char text[1400];

    if (!sw) {
        dp_err(err, "no switch %s", swname ? swname : "");
        return NULL;
    }
    if (!p) {
        dp_err(err, "switch %s has no port %s", swname,
               portname ? portname : "");
        return NULL;
    }
    if (len < ETH_HLEN_ || len > DP_TRACE_MAX_LEN) {
        dp_err(err, "the frame must be %d..%d bytes, not %zu", ETH_HLEN_,
               DP_TRACE_MAX_LEN, len);
        return NULL;
    }
    memcpy(buf, frame, len);
    t.n = 0;
    t.truncated = false;
    t.n_out = t.n_drop = t.n_punt = 0;

    /* The workers do not learn, age or queue while the trace reads. */
    dp_pause();
    t.now_ns = dp_now_ns();
    dp_trace_port_rx(&t, p, buf, len, 0);

    json_t *stages = json_array();
    for (unsigned i = 0; i < t.n; i++) {
        const struct dp_trace_rec *r = &t.recs[i];
        dp_trace_format(r, text, sizeof text);
        /* One entry per line (an OpenFlow plane writes one per table). */
        for (char *line = text, *nl; line; line = nl) {
            nl = strchr(line, '\n');
            if (nl) {
                *nl++ = '\0';
            }
            json_array_append_new(stages, json_pack(
                "{s:s, s:i, s:s, s:s}", "switch", r->sw ? r->sw->name : "",
                "hop", r->hop, "stage", dp_trace_stage_names[r->stage],
                "text", line));
        }
    }
    dp_resume();
    return json_pack("{s:o, s:i, s:i, s:i, s:b}", "stages", stages,
                     "outputs", t.n_out, "drops", t.n_drop,
                     "punts", t.n_punt, "truncated", t.truncated);
}
