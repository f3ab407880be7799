/*
 * dp_capture: packet capture on a port or a vport into a pcapng file
 * (`lamina capture`, the "capture.*" methods).
 *
 * A port being captured has p->capture set; dp_port_rx() and dp_port_tx()
 * (dp_private.h) then hand each burst to dp_capture_rx() / dp_capture_tx()
 * on the worker, which copy the frames that pass the filter (up to the
 * snap length) into a single-producer ring.  Ports not captured pay one
 * pointer test per burst.  The control thread drains the rings
 * (dp_capture_run(), from the daemon's loop every few milliseconds while a
 * capture runs) into the files, so no file I/O happens on a worker.
 *
 * A vport's capture is its port's, filtered: frames with the vport's VLAN
 * tag (or untagged ones for an untagged vport) on an access port, frames
 * with its label on a virtual link's first-hop port.  Transmitted frames
 * are seen as they leave (tagged or labelled).  A full ring loses copies,
 * never frames (counted as "lost").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_ring.h>

#include "dp_private.h"
#include "pcapng.h"
#include "util.h"

#define DP_CAPTURE_MAX 16
#define DP_CAPTURE_RING 4096
#define DP_CAPTURE_DRAIN 256

/* What a worker puts on the ring. */
struct dp_capture_rec {
    struct rte_mbuf *m;         /* the copy */
    uint64_t ts_ns;             /* dp_now_ns() */
    uint32_t origlen;
    uint32_t tx;                /* 1: transmitted, 0: received */
};

struct dp_capture {
    uint32_t id;
    struct dp_port *port;
    char sw[DP_NAME_LEN], port_name[DP_NAME_LEN], what[3 * DP_NAME_LEN];
    char *file;
    int vlan;                   /* DP_CAPTURE_ANY, -1 untagged, or a VID */
    uint32_t label;             /* 0: none */
    uint32_t snaplen;
    uint64_t count;             /* stop after this many; 0: never */
    struct rte_ring *ring;
    struct pcapng *w;
    unsigned iface;
    uint64_t written, lost;     /* 'lost': worker side, ring full */
    int error;                  /* a write error stops the capture */
    bool done;
    json_t *traces;             /* a live trace's results, else NULL */
};

#define DP_CAPTURE_ANY (-2)

static struct dp_capture *dp_captures[DP_CAPTURE_MAX];
static uint32_t dp_capture_next_id = 1;
static uint64_t dp_capture_epoch_ns;    /* realtime - dp_now_ns() */

/* ---- Worker side ------------------------------------------------------ */

/* Does frame 'm' pass the capture's filter? */
static inline bool
dp_capture_match(const struct dp_capture *c, const struct rte_mbuf *m)
{
    const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
    uint32_t len = rte_pktmbuf_data_len(m), label;
    uint8_t ttl;

    if (c->label) {
        return classify_mpls(p, len, &label, &ttl) && label == c->label;
    }
    if (c->vlan == DP_CAPTURE_ANY) {
        return true;
    }
    int vlan = classify_vlan(p, len);
    return vlan == c->vlan;
}

/* Copies the frames of 'pkts' (at most DP_BURST) that match into 'recs';
 * returns how many. */
static unsigned
dp_capture_copy(struct dp_capture *c, struct rte_mbuf **pkts, uint16_t n,
                bool tx, struct dp_capture_rec *recs, uint16_t *idx)
{
    uint64_t now = dp_now_ns();
    unsigned k = 0;

    for (uint16_t i = 0; i < n; i++) {
        if (!dp_capture_match(c, pkts[i])) {
            continue;
        }
        recs[k].m = rte_pktmbuf_copy(pkts[i], dp.pool, 0, c->snaplen);
        if (!recs[k].m) {
            c->lost++;
            continue;
        }
        recs[k].ts_ns = now;
        recs[k].origlen = rte_pktmbuf_pkt_len(pkts[i]);
        recs[k].tx = tx;
        idx[k++] = i;
    }
    return k;
}

/* Puts the copies in 'recs' whose frame index is below 'keep' on the
 * ring, frees the others. */
static void
dp_capture_keep(struct dp_capture *c, struct dp_capture_rec *recs,
                const uint16_t *idx, unsigned k, uint16_t keep)
{
    for (unsigned i = 0; i < k; i++) {
        if (idx[i] >= keep
            || rte_ring_sp_enqueue_elem(c->ring, &recs[i], sizeof recs[i])) {
            c->lost += idx[i] < keep;
            rte_pktmbuf_free(recs[i].m);
        }
    }
}

void
dp_capture_rx(struct dp_port *p, struct rte_mbuf **pkts, uint16_t n)
{
    struct dp_capture_rec recs[DP_BURST];
    uint16_t idx[DP_BURST];

    for (uint16_t done = 0; done < n; done += DP_BURST) {
        uint16_t m = RTE_MIN(n - done, DP_BURST);
        unsigned k = dp_capture_copy(p->capture, pkts + done, m, false, recs,
                                     idx);
        dp_capture_keep(p->capture, recs, idx, k, m);
    }
}

uint16_t
dp_capture_tx(struct dp_port *p, struct rte_mbuf **pkts, uint16_t n)
{
    /* Copy first (once sent, a frame belongs to the device or the peer
     * worker), then keep only the copies of what the device took. */
    struct dp_capture_rec recs[DP_BURST];
    uint16_t idx[DP_BURST], sent = 0;

    if (p->capture->traces) {
        return dp_port_tx_raw(p, pkts, n);      /* a live trace: rx only */
    }
    while (sent < n) {
        uint16_t m = RTE_MIN(n - sent, DP_BURST);
        unsigned k = dp_capture_copy(p->capture, pkts + sent, m, true, recs,
                                     idx);
        uint16_t took = dp_port_tx_raw(p, pkts + sent, m);
        dp_capture_keep(p->capture, recs, idx, k, took);
        sent += took;
        if (took < m) {
            break;
        }
    }
    return sent;
}

/* ---- Control side ----------------------------------------------------- */

static struct dp_capture *
dp_capture_find(uint32_t id)
{
    for (int i = 0; i < DP_CAPTURE_MAX; i++) {
        if (dp_captures[i] && dp_captures[i]->id == id) {
            return dp_captures[i];
        }
    }
    return NULL;
}

/* Writes what the workers copied into the file; marks the capture done
 * when it has its count or cannot write.  Returns how many it wrote. */
static unsigned
dp_capture_drain(struct dp_capture *c)
{
    struct dp_capture_rec recs[DP_CAPTURE_DRAIN];
    unsigned n = rte_ring_sc_dequeue_burst_elem(c->ring, recs, sizeof *recs,
                                                DP_CAPTURE_DRAIN, NULL);
    uint8_t buf[RTE_MBUF_DEFAULT_BUF_SIZE];

    for (unsigned i = 0; i < n; i++) {
        struct rte_mbuf *m = recs[i].m;
        if (!c->done && c->traces) {
            uint32_t len = rte_pktmbuf_pkt_len(m);
            const void *data = rte_pktmbuf_read(m, 0, RTE_MIN(len, sizeof buf),
                                                buf);
            struct dp_error err = { "" };
            json_t *t = dp_trace_packet(c->sw, c->port_name, data,
                                        RTE_MIN(len, sizeof buf), &err);
            json_array_append_new(c->traces, t ? t : json_pack(
                "{s:s}", "error", err.msg));
            c->written++;
            if (c->written >= c->count) {
                c->done = true;
            }
        } else if (!c->done && !c->error) {
            uint32_t len = rte_pktmbuf_pkt_len(m);
            const void *data = rte_pktmbuf_read(m, 0, RTE_MIN(len, sizeof buf),
                                                buf);
            c->error = pcapng_packet(c->w, c->iface,
                                     recs[i].ts_ns + dp_capture_epoch_ns,
                                     data, RTE_MIN(len, sizeof buf),
                                     recs[i].origlen, recs[i].tx
                                     ? PCAPNG_DIR_OUT : PCAPNG_DIR_IN);
            c->written++;
            if (c->count && c->written >= c->count) {
                c->done = true;
            }
        }
        rte_pktmbuf_free(m);
    }
    if (n && !c->error && c->w) {
        c->error = pcapng_flush(c->w);
    }
    if (c->error) {
        c->done = true;
    }
    return n;
}

/* Detaches 'c' from its port (workers paused by the caller or the port
 * already gone from its switch), drains and frees it. */
static void
dp_capture_free(struct dp_capture *c)
{
    if (c->port && c->port->capture == c) {
        dp_pause();
        c->port->capture = NULL;
        dp_resume();
    }
    while (dp_capture_drain(c)) {
        continue;
    }
    pcapng_close(c->w);
    json_decref(c->traces);
    rte_ring_free(c->ring);
    for (int i = 0; i < DP_CAPTURE_MAX; i++) {
        if (dp_captures[i] == c) {
            dp_captures[i] = NULL;
        }
    }
    free(c->file);
    free(c);
}

/* A capture's state as JSON. */
static json_t *
dp_capture_json(const struct dp_capture *c)
{
    return json_pack("{s:i, s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s*, s:O*}",
                     "id", (int) c->id, "switch", c->sw, "what", c->what,
                     "file", c->traces ? "(live trace)" : c->file,
                     "written", (json_int_t) c->written,
                     "lost", (json_int_t) c->lost, "count",
                     (json_int_t) c->count,
                     "state", c->done ? "done" : "running",
                     "error", c->error ? strerror(c->error) : NULL,
                     "traces", c->traces);
}

int
dp_capture_start(const struct dp_capture_params *cp, json_t **result,
                 struct dp_error *err)
{
    struct dp_switch *sw = dp_need_switch(cp->sw, err);
    struct dp_port *p = NULL;
    struct dp_capture *c;
    char name[2 * DP_NAME_LEN + 2], msg[256];
    int slot = -1, vlan = DP_CAPTURE_ANY;
    uint32_t label = 0;
    int error;

    if (!sw) {
        return ENOENT;
    }
    if (cp->vport) {
        struct dp_slice *s = dp_need_slice(cp->slice, err);
        struct dp_vnode *vn = dp_vnode_lookup(cp->slice, cp->sw);
        struct dp_vport *vp = NULL;
        if (!s) {
            return ENOENT;
        }
        for (uint16_t v = 0; vn && v < vn->n_vports; v++) {
            if (vn->vports[v] && !strcmp(vn->vports[v]->name, cp->vport)) {
                vp = vn->vports[v];
            }
        }
        if (!vp) {
            dp_err(err, "slice %s has no vport %s on switch %s", cp->slice,
                   cp->vport, cp->sw);
            return ENOENT;
        }
        if (!vp->port) {
            dp_err(err, "vport %s of slice %s joins two vnodes inside switch %s: "
                   "nothing of it is on a wire; capture an access vport", cp->vport,
                   cp->slice, cp->sw);
            return EINVAL;
        }
        p = vp->port;
        if (vp->type == DP_VPORT_ACCESS) {
            vlan = vp->vlan < 0 ? CLASSIFY_UNTAGGED : vp->vlan;
        } else {
            label = vp->label;
        }
    } else {
        p = dp_need_port(sw, cp->port, err);
        if (!p) {
            return ENOENT;
        }
    }
    if (p->capture) {
        dp_err(err, "port %s/%s is already being captured (capture %u)",
               sw->name, p->name, p->capture->id);
        return EBUSY;
    }
    for (int i = 0; i < DP_CAPTURE_MAX && slot < 0; i++) {
        slot = dp_captures[i] ? -1 : i;
    }
    if (slot < 0) {
        dp_err(err, "%d captures run already: stop one", DP_CAPTURE_MAX);
        return EBUSY;
    }

    c = xzalloc(sizeof *c);
    c->id = dp_capture_next_id++;
    c->port = p;
    str_copy(c->sw, sw->name, sizeof c->sw);
    str_copy(c->port_name, p->name, sizeof c->port_name);
    if (cp->vport) {
        snprintf(c->what, sizeof c->what, "vport %s:%s (port %s, %s %d)",
                 cp->slice, cp->vport, p->name, label ? "label" : "vlan",
                 label ? (int) label : vlan);
    } else {
        snprintf(c->what, sizeof c->what, "port %s", p->name);
    }
    c->file = xstrdup(cp->trace ? "" : cp->file);
    c->vlan = vlan;
    c->label = label;
    c->snaplen = cp->snaplen ? cp->snaplen : 65535;
    c->count = cp->count;
    snprintf(name, sizeof name, "lamina_cap%u", c->id);
    c->ring = rte_ring_create_elem(name, sizeof(struct dp_capture_rec),
                                   DP_CAPTURE_RING, SOCKET_ID_ANY,
                                   RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (!c->ring) {
        dp_err(err, "cannot create the capture ring: %s",
               rte_strerror(rte_errno));
        free(c->file);
        free(c);
        return ENOMEM;
    }
    if (cp->trace) {
        c->traces = json_array();
        snprintf(c->what, sizeof c->what, "live trace of port %s", p->name);
    } else {
        error = pcapng_open(cp->file, &c->w, msg, sizeof msg);
        if (error) {
            dp_err(err, "capture file %s", msg);
            rte_ring_free(c->ring);
            free(c->file);
            free(c);
            return error;
        }
        snprintf(name, sizeof name, "%s/%s", sw->name, p->name);
        c->iface = pcapng_interface(c->w, name, c->snaplen);
    }

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    dp_capture_epoch_ns = (uint64_t) ts.tv_sec * 1000000000ull + ts.tv_nsec
                          - dp_now_ns();
    dp_captures[slot] = c;
    dp_pause();
    p->capture = c;
    dp_resume();
    *result = dp_capture_json(c);
    return 0;
}

int
dp_capture_stop(uint32_t id, json_t **result, struct dp_error *err)
{
    struct dp_capture *c = dp_capture_find(id);

    if (!c) {
        dp_err(err, "no capture %u", id);
        return ENOENT;
    }
    if (c->port && c->port->capture == c) {
        dp_pause();
        c->port->capture = NULL;
        dp_resume();
    }
    while (dp_capture_drain(c)) {       /* up to the count */
        continue;
    }
    c->done = true;
    *result = dp_capture_json(c);
    dp_capture_free(c);
    return 0;
}

bool
dp_capture_run(void)
{
    bool active = false;

    for (int i = 0; i < DP_CAPTURE_MAX; i++) {
        struct dp_capture *c = dp_captures[i];
        if (!c) {
            continue;
        }
        dp_capture_drain(c);
        if (c->done && c->port && c->port->capture == c) {
            /* Count reached or write error: stop copying, keep the
             * capture listed until it is stopped. */
            dp_pause();
            c->port->capture = NULL;
            dp_resume();
            if (c->w) {
                pcapng_flush(c->w);
            }
        }
        active |= !c->done;
    }
    return active;
}

json_t *
dp_capture_list(void)
{
    json_t *a = json_array();

    for (int i = 0; i < DP_CAPTURE_MAX; i++) {
        if (dp_captures[i]) {
            json_array_append_new(a, dp_capture_json(dp_captures[i]));
        }
    }
    return a;
}

void
dp_capture_port_gone(struct dp_port *p)
{
    for (int i = 0; i < DP_CAPTURE_MAX; i++) {
        struct dp_capture *c = dp_captures[i];
        if (c && c->port == p) {
            p->capture = NULL;
            c->port = NULL;
            c->done = true;
            dp_capture_free(c);
        }
    }
}

void
dp_capture_stop_all(void)
{
    for (int i = 0; i < DP_CAPTURE_MAX; i++) {
        if (dp_captures[i]) {
            dp_capture_free(dp_captures[i]);
        }
    }
}
