/*
 * slicer: connections and the proxy of lamina-slicer.  See slicer.h for
 * the ideas, slicer_xlate.c for the rules, docs/slicer.md for the whole.
 *
 * One thread, one epoll set: the switch listener, the JSON-RPC server,
 * every switch and controller connection (channels of the OpenFlow
 * connection layer, lib/openflow/ofchan.h: TCP or TLS, framed, output
 * bounded).  Output is appended to each connection's queue
 * while a batch of input is handled and flushed once per loop iteration,
 * so a burst of FLOW_MODs becomes few large writes.  A switch whose
 * output backlog passes CONN_HIGH_WATER stops the reading of its
 * controllers until it drains; a controller that falls that far behind
 * loses PACKET_INs (counted), never replies, and is not read until it
 * catches up (ofchan's soft limit); far past that it is dropped.
 */
#include "slicer_pvt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "daemon.h"
#include "flowspace.h"
#include "log.h"
#include "ofauth.h"
#include "ofchan.h"
#include "ofp-framer.h"
#include "util.h"

#define MOD "slicer"
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
#define READ_MSGS_PER_TURN 1024         /* per connection and loop turn */
#define SLICER_MAX_SWITCH_CONNS 4096    /* on the switch listener */

static void conn_close_switch(struct slicer *, struct sw_conn *);
static void switch_failed(struct slicer *, struct sw_conn *);
static void cc_disconnect(struct slicer *, struct ctrl_conn *, const char *why);

/* ---- Connections (lib/openflow/ofchan.h carries the bytes) --------------- */

/* Output bounds (ofchan.h).  A controller that does not read its replies
 * stops being read at the soft limit and is dropped at the hard one.  A
 * switch is always read (it may itself wait for us to read its replies)
 * and is dropped only far past what any burst of translated messages
 * needs. */
static const struct ofchan_limits ctrl_limits = {
    .soft_limit = CONN_HIGH_WATER, .hard_limit = 64u << 20,
};
static const struct ofchan_limits switch_limits = {
    .soft_limit = CONN_HIGH_WATER, .hard_limit = 256u << 20, .keep_reading = true,
};

static void
conn_init(struct conn *c, enum conn_kind kind)
{
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->fd = -1;
}

/* Gives 'c' channel 'ch' (taken over). */
static void
conn_attach(struct conn *c, struct ofchan *ch)
{
    c->ch = ch;
    c->fd = ofchan_fd(ch);
    c->events = 0;
    str_copy(c->peer, ofchan_peer(ch), sizeof c->peer);
}

static void
conn_set_events(struct slicer *s, struct conn *c, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = c };

    if (c->fd < 0 || events == c->events) {
        return;
    }
    if (epoll_ctl(s->epfd, c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd,
                  &ev) < 0) {
        LOG_WARN(MOD, "epoll_ctl: %s", strerror(errno));
    }
    c->events = events;
}

/* Takes 'c' out of the epoll set (its channel lives on until
 * conn_uninit(), so that a message being handled stays valid). */
static void
conn_unregister(struct slicer *s, struct conn *c)
{
    if (c->fd >= 0 && c->events) {
        epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    }
    c->fd = -1;
    c->events = 0;
}

static void
conn_uninit(struct slicer *s, struct conn *c)
{
    conn_unregister(s, c);
    ofchan_destroy(c->ch);
    c->ch = NULL;
    c->dirty = false;
}

static size_t
conn_backlog(const struct conn *c)
{
    return c->ch ? ofchan_backlog(c->ch) : 0;
}

/* Why 'c' failed. */
static const char *
conn_error(const struct conn *c)
{
    return c->ch && *ofchan_error(c->ch) ? ofchan_error(c->ch) : "write failed";
}

/* Connects, handshakes and writes what it can; returns 0 or a positive
 * errno (the peer is gone: conn_error() says why). */
static int
conn_flush(struct slicer *s, struct conn *c)
{
    int error;

    if (!c->ch) {
        return 0;
    }
    error = ofchan_run(c->ch);
    c->dirty = false;
    if (!error) {
        uint32_t ev = ofchan_events(c->ch);
        conn_set_events(s, c, c->paused ? ev & ~EPOLLIN : ev);
    }
    return error;
}

/* Queues 'len' bytes on 'c'; a peer past its hard limit is closed at the
 * next flush. */
static void
conn_queue(struct conn *c, const void *data, size_t len)
{
    if (!c->ch || c->dead) {
        return;
    }
    ofchan_queue(c->ch, data, len);
    c->dirty = true;
}

/* Encodes 'msg' onto 'c'. */
static void
conn_send_msg(struct slicer *s, struct conn *c, const struct ofp_msg *msg)
{
    ofpbuf_clear(&s->buf);
    if (ofp_encode(msg, &s->buf)) {
        LOG_WARN(MOD, "cannot encode %s", ofp_msg_type_name(msg->type));
        return;
    }
    conn_queue(c, s->buf.data, s->buf.size);
}

/* Queues raw message bytes with a new xid. */
static void
conn_send_raw_xid(struct conn *c, const uint8_t *raw, size_t len, uint32_t xid)
{
    uint8_t header[8];

    if (len < sizeof header) {
        return;
    }
    memcpy(header, raw, sizeof header);
    header[4] = xid >> 24; header[5] = xid >> 16; header[6] = xid >> 8;
    header[7] = xid;
    conn_queue(c, header, sizeof header);
    conn_queue(c, raw + sizeof header, len - sizeof header);
}

static void
conn_send_error(struct slicer *s, struct conn *c, const uint8_t *req,
                size_t len, struct ofp_error err)
{
    ofpbuf_clear(&s->buf);
    ofp_encode_error_reply(&s->buf, req, len, err);
    conn_queue(c, s->buf.data, s->buf.size);
}

/* ---- Switch side -------------------------------------------------------- */

static struct sw_conn *
switch_by_dpid(struct slicer *s, uint64_t dpid)
{
    for (struct sw_conn *sw = s->switches; sw; sw = sw->next) {
        if (sw->state == SW_UP && sw->dpid == dpid) {
            return sw;
        }
    }
    return NULL;
}

/* A fresh xid on 'sw' for a request; records where its answer goes. */
static uint32_t
sw_xid(struct sw_conn *sw, uint16_t tag, uint32_t ctrl_xid, uint32_t serial,
       uint8_t type, uint8_t internal)
{
    uint32_t xid = sw->next_xid++;
    struct xid_ent *e;

    if (!sw->next_xid) {
        sw->next_xid = 1;
    }
    e = &sw->xids[xid & (XID_MAP_SIZE - 1)];
    e->phys_xid = xid;
    e->ctrl_xid = ctrl_xid;
    e->cc_serial = serial;
    e->tag = tag;
    e->type = type;
    e->internal = internal;
    return xid;
}

static const struct xid_ent *
sw_xid_lookup(const struct sw_conn *sw, uint32_t xid)
{
    const struct xid_ent *e = &sw->xids[xid & (XID_MAP_SIZE - 1)];
    return e->phys_xid == xid && (e->tag || e->internal) ? e : NULL;
}

static void
sw_send_internal(struct slicer *s, struct sw_conn *sw, struct ofp_msg *m,
                 uint8_t internal)
{
    m->xid = sw_xid(sw, 0, 0, 0, m->type, internal);
    conn_send_msg(s, &sw->c, m);
}

static const struct ofp_port_info *
sw_port(const struct sw_conn *sw, uint32_t port_no)
{
    for (size_t i = 0; i < sw->n_ports; i++) {
        if (sw->ports[i].port_no == port_no) {
            return &sw->ports[i];
        }
    }
    return NULL;
}

static void
sw_port_update(struct sw_conn *sw, const struct ofp_port_info *p, bool del)
{
    for (size_t i = 0; i < sw->n_ports; i++) {
        if (sw->ports[i].port_no == p->port_no) {
            if (del) {
                sw->ports[i] = sw->ports[--sw->n_ports];
            } else {
                sw->ports[i] = *p;
            }
            return;
        }
    }
    if (!del) {
        sw->ports = xrealloc(sw->ports, (sw->n_ports + 1) * sizeof *sw->ports);
        sw->ports[sw->n_ports++] = *p;
    }
}

/* ---- Controller side ---------------------------------------------------- */

static struct ctrl_conn *
cc_create(struct slicer *s, struct slice *slice, struct slice_dp *dp,
          struct sw_conn *sw)
{
    struct ctrl_conn *cc = xzalloc(sizeof *cc);

    conn_init(&cc->c, CONN_CTRL);
    ofauth_gate_init(&cc->gate, NULL, 0);
    cc->slice = slice;
    cc->dp = dp;
    cc->sw = sw;
    cc->state = CC_WAIT;
    ofchan_backoff_init(&cc->backoff, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
    cc->next = s->ctrls;
    s->ctrls = cc;
    dp->conn = cc;
    return cc;
}

/* Closes 'cc' for good: it no longer routes anything; the memory goes at
 * the end of the loop turn (sweep()), since events of this turn may still
 * name it. */
static void
cc_kill(struct slicer *s, struct ctrl_conn *cc)
{
    if (cc->c.dead) {
        return;
    }
    if (cc->dp && cc->dp->conn == cc) {
        cc->dp->conn = NULL;
    }
    cc->dp = NULL;
    cc->slice = NULL;
    cc->sw = NULL;
    cc->state = CC_WAIT;
    cc->c.dead = true;
    conn_unregister(s, &cc->c);
}

static void
cc_disconnect(struct slicer *s, struct ctrl_conn *cc, const char *why)
{
    if (cc->state >= CC_HELLO) {
        LOG_INFO(MOD, "slice %s: controller %s for switch %#" PRIx64
                 " disconnected (%s)", cc->slice->name, cc->slice->controller,
                 cc->dp->dpid, why);
    }
    conn_uninit(s, &cc->c);
    ofauth_gate_destroy(&cc->gate);
    cc->state = CC_WAIT;
    ofchan_backoff_failed(&cc->backoff, time_ms());
}

/* Starts connecting to the slice's controller (tcp: or ssl:, a host name
 * or an address). */
static void
cc_connect(struct slicer *s, struct ctrl_conn *cc)
{
    struct ofchan *ch;
    char msg[512];
    int error;

    conn_init(&cc->c, CONN_CTRL);
    str_copy(cc->c.peer, cc->slice->controller, sizeof cc->c.peer);
    cc->serial = ++s->next_serial;
    error = ofchan_open(cc->slice->controller, s->tls, &ctrl_limits, &ch, msg,
                        sizeof msg);
    if (error) {
        /* Refused connections are routine while a controller is down;
         * a name that does not resolve or missing TLS files are not. */
        if (error == EINVAL || error == ENOENT) {
            LOG_WARN(MOD, "slice %s: controller %s: %s", cc->slice->name,
                     cc->slice->controller, msg);
        }
        cc_disconnect(s, cc, msg);
        return;
    }
    conn_attach(&cc->c, ch);
    str_copy(cc->c.peer, cc->slice->controller, sizeof cc->c.peer);
    cc->state = CC_CONNECTING;
    conn_set_events(s, &cc->c, ofchan_events(ch));
}

/* The connection makes progress; once it is up (TLS: after the
 * handshake), say hello. */
static void
cc_connected(struct slicer *s, struct ctrl_conn *cc)
{
    if (ofchan_run(cc->c.ch)) {
        /* A refused connection is routine while a controller is down; a
         * failed TLS handshake (the peer was reached) is worth a line. */
        if (!strncmp(conn_error(&cc->c), "TLS", 3)) {
            LOG_WARN(MOD, "slice %s: controller %s: %s", cc->slice->name,
                     cc->slice->controller, conn_error(&cc->c));
        }
        cc_disconnect(s, cc, conn_error(&cc->c));
        return;
    }
    if (!ofchan_is_connected(cc->c.ch)) {
        conn_set_events(s, &cc->c, ofchan_events(cc->c.ch));
        return;
    }
    cc->state = CC_HELLO;
    ofpbuf_clear(&s->buf);
    ofp_encode_hello(&s->buf, 1, 1u << OFP13_VERSION_WIRE);
    conn_queue(&cc->c, s->buf.data, s->buf.size);
    conn_flush(s, &cc->c);
}

/* Makes sure every slice with ports on switch 'sw' has a controller
 * connection for it (after the switch came up, or a slice was added). */
static void
ensure_ctrls(struct slicer *s, struct sw_conn *sw)
{
    for (size_t i = 0; i < s->cfg.n_slices; i++) {
        struct slice *slice = s->cfg.slices[i];
        struct slice_dp *dp = slice_dp_find(slice, sw->dpid);
        if (dp && !dp->conn) {
            cc_create(s, slice, dp, sw);
        } else if (dp) {
            dp->conn->sw = sw;
        }
    }
}

/* ---- Flow records ------------------------------------------------------- */

static void
encode_match_key(const struct ofp_match *m, struct ofpbuf *key)
{
    ofpbuf_clear(key);
    ofp_match_encode(m, key);
}

/* Records a physical ADD that was sent for the slice. */
static void
record_add(struct slicer *s, struct slice_dp *dp,
           const struct ofp_flow_mod_body *p, uint16_t ctrl_flags,
           const uint8_t *msg, size_t len)
{
    struct ofpbuf key = OFPBUF_INITIALIZER;
    encode_match_key(&p->match, &key);
    flow_table_put(&dp->flows, p->table_id, p->priority, ctrl_flags,
                   key.data, key.size, msg, len);
    ofpbuf_uninit(&key);
    (void) s;
}

static struct flow_rec *
record_find(struct slice_dp *dp, uint8_t table_id, uint16_t priority,
            const struct ofp_match *m)
{
    struct ofpbuf key = OFPBUF_INITIALIZER;
    struct flow_rec *r;

    encode_match_key(m, &key);
    r = flow_table_find(&dp->flows, table_id, priority, key.data, key.size,
                        flow_key_hash(table_id, priority, key.data,
                                      key.size));
    ofpbuf_uninit(&key);
    return r;
}

static bool
record_match(const struct flow_rec *r, struct ofp_match *m)
{
    struct ofp_error err;
    size_t used;
    return !ofp_match_decode(r->data, r->key_len, m, &used, &err);
}

/* Applies a MODIFY/DELETE (strict or not) to the records. */
static void
records_apply(struct slicer *s, struct slice_dp *dp,
              const struct ofp_flow_mod_body *p)
{
    bool strict = p->command == OFPFC_MODIFY_STRICT
                  || p->command == OFPFC_DELETE_STRICT;
    bool del = p->command == OFPFC_DELETE || p->command == OFPFC_DELETE_STRICT;
    struct flow_table *t = &dp->flows;
    struct flow_rec **hits = NULL;
    size_t n_hits = 0, cap = 0;

    if (strict) {
        struct flow_rec *r = record_find(dp, p->table_id, p->priority,
                                         &p->match);
        if (!r) {
            return;
        }
        hits = xmalloc(sizeof *hits);
        hits[n_hits++] = r;
    } else {
        for (size_t b = 0; b < t->n_buckets; b++) {
            for (struct flow_rec *r = t->buckets[b]; r; r = r->next) {
                struct ofp_match m;
                if ((p->table_id != 0xff && r->table_id != p->table_id)
                    || !record_match(r, &m)
                    || !fs_match_covers(&p->match, &m)) {
                    continue;
                }
                if (n_hits == cap) {
                    cap = cap ? cap * 2 : 16;
                    hits = xrealloc(hits, cap * sizeof *hits);
                }
                hits[n_hits++] = r;
            }
        }
    }
    for (size_t i = 0; i < n_hits; i++) {
        struct flow_rec *r = hits[i];
        if (del) {
            /* With an out_port/group filter, FLOW_REMOVED tells. */
            if (p->out_port == OFPP13_ANY && p->out_group == 0xffffffff) {
                flow_table_remove(t, r);
            }
            continue;
        }
        /* MODIFY: the record takes the new instructions. */
        struct ofp_msg *old = xmalloc(sizeof *old);
        struct ofp_error err;
        if (!ofp_decode(r->data + r->key_len, r->msg_len, old, &err)) {
            struct ofpbuf enc = OFPBUF_INITIALIZER;
            struct ofpbuf key = OFPBUF_INITIALIZER;
            old->flow_mod.insts = p->insts;
            ofp_encode(old, &enc);
            ofpbuf_put(&key, r->data, r->key_len);
            flow_table_put(t, r->table_id, r->priority, r->ctrl_flags,
                           key.data, key.size, enc.data, enc.size);
            ofpbuf_uninit(&key);
            ofpbuf_uninit(&enc);
        }
        ofp_msg_free(old);
        free(old);
    }
    free(hits);
    (void) s;
}

/* ---- Controller → switch ------------------------------------------------ */

static bool
cc_refuse(struct slicer *s, struct ctrl_conn *cc, struct ofp_error err)
{
    char name[96];
    cc->slice->c.refused++;
    LOG_DBG(MOD, "slice %s: refused %s: %s", cc->slice->name,
            ofp_msg_type_name(s->msg.type),
            ofp_error_format(err, name, sizeof name));
    conn_send_error(s, &cc->c, s->msg.raw, s->msg.raw_len, err);
    return false;
}

static void
handle_flow_mod(struct slicer *s, struct ctrl_conn *cc)
{
    struct xlate_ctx x = { &s->cfg, cc->slice, cc->dp };
    struct ofp_flow_mod_body *fm = &s->msg.flow_mod, *pieces;
    struct slice_dp *dp = cc->dp;
    struct sw_conn *sw = cc->sw;
    struct ofp_error err;
    size_t n;

    if (xlate_flow_mod(&x, fm, &s->msg.arena, &pieces, &n, &err)) {
        cc_refuse(s, cc, err);
        return;
    }
    if (fm->command == OFPFC_ADD && cc->slice->max_flows) {
        size_t new = 0;
        for (size_t i = 0; i < n; i++) {
            new += !record_find(dp, pieces[i].table_id, pieces[i].priority,
                                &pieces[i].match);
        }
        if (dp->flows.n + new > cc->slice->max_flows) {
            cc->slice->c.quota_refused++;
            cc_refuse(s, cc, OFP_ERROR(OFPET_FLOW_MOD_FAILED,
                                       OFPFMFC_TABLE_FULL));
            return;
        }
    }
    cc->slice->c.flow_mods++;
    for (size_t i = 0; i < n; i++) {
        struct ofp_msg *out = &s->out;

        ofp_msg_init(out, OFPT_FLOW_MOD,
                     sw_xid(sw, cc->slice->tag, s->msg.xid, cc->serial,
                            OFPT_FLOW_MOD, 0));
        out->flow_mod = pieces[i];
        if (i && pieces[i].buffer_id != OFP13_NO_BUFFER) {
            out->flow_mod.buffer_id = OFP13_NO_BUFFER;  /* one packet */
        }
        ofpbuf_clear(&s->buf);
        ofp_encode(out, &s->buf);
        conn_queue(&sw->c, s->buf.data, s->buf.size);
        cc->slice->c.flows_sent++;
        if (fm->command == OFPFC_ADD) {
            record_add(s, dp, &pieces[i], fm->flags, s->buf.data,
                       s->buf.size);
        } else {
            records_apply(s, dp, &pieces[i]);
        }
    }
}

static void
track_id(uint32_t **ids, size_t *n, size_t *cap, uint32_t id, bool add)
{
    for (size_t i = 0; i < *n; i++) {
        if ((*ids)[i] == id) {
            if (!add) {
                (*ids)[i] = (*ids)[--*n];
            }
            return;
        }
    }
    if (add) {
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 8;
            *ids = xrealloc(*ids, *cap * sizeof **ids);
        }
        (*ids)[(*n)++] = id;
    }
}

static void
forward(struct slicer *s, struct ctrl_conn *cc, struct ofp_msg *m)
{
    uint32_t ctrl_xid = m->xid;
    m->xid = sw_xid(cc->sw, cc->slice->tag, ctrl_xid, cc->serial, m->type, 0);
    conn_send_msg(s, &cc->sw->c, m);
    m->xid = ctrl_xid;
}

static void
forward_raw(struct slicer *s, struct ctrl_conn *cc, const struct ofp_msg *m)
{
    uint32_t xid = sw_xid(cc->sw, cc->slice->tag, m->xid, cc->serial,
                          m->type, 0);
    conn_send_raw_xid(&cc->sw->c, m->raw, m->raw_len, xid);
    (void) s;
}

static void
handle_group_mod(struct slicer *s, struct ctrl_conn *cc)
{
    struct xlate_ctx x = { &s->cfg, cc->slice, cc->dp };
    struct ofp_group_mod_body *gm = &s->msg.group_mod;
    struct slice_dp *dp = cc->dp;
    uint32_t virt = gm->group_id;
    struct ofp_error err;

    if (xlate_group_mod(&x, gm, &s->msg.arena, &err)) {
        cc_refuse(s, cc, err);
        return;
    }
    if (gm->command == OFPGC11_DELETE && virt == 0xfffffffc) {
        /* OFPG_ALL: every group of the slice, one by one. */
        while (dp->n_groups) {
            gm->group_id = xlate_group_to_phys(cc->slice, dp->groups[0]);
            forward(s, cc, &s->msg);
            track_id(&dp->groups, &dp->n_groups, &dp->groups_cap,
                     dp->groups[0], false);
        }
        return;
    }
    track_id(&dp->groups, &dp->n_groups, &dp->groups_cap, virt,
             gm->command != OFPGC11_DELETE);
    forward(s, cc, &s->msg);
}

static void
handle_meter_mod(struct slicer *s, struct ctrl_conn *cc)
{
    struct xlate_ctx x = { &s->cfg, cc->slice, cc->dp };
    struct ofp_meter_mod_body *mm = &s->msg.meter_mod;
    struct slice_dp *dp = cc->dp;
    uint32_t virt = mm->meter_id;
    struct ofp_error err;

    if (xlate_meter_mod(&x, mm, &err)) {
        cc_refuse(s, cc, err);
        return;
    }
    if (mm->command == OFPMC13_DELETE && virt == 0xffffffff) {
        while (dp->n_meters) {
            mm->meter_id = xlate_meter_to_phys(cc->slice, dp->meters[0]);
            forward(s, cc, &s->msg);
            track_id(&dp->meters, &dp->n_meters, &dp->meters_cap,
                     dp->meters[0], false);
        }
        return;
    }
    track_id(&dp->meters, &dp->n_meters, &dp->meters_cap, virt,
             mm->command != OFPMC13_DELETE);
    forward(s, cc, &s->msg);
}

static void
reply_port_desc(struct slicer *s, struct ctrl_conn *cc)
{
    struct ofp_msg *out = &s->out;
    struct slice_dp *dp = cc->dp;
    size_t n = 0;

    ofp_msg_init(out, OFPT_MULTIPART_REPLY, s->msg.xid);
    out->mp.type = OFPMP_PORT_DESC;
    out->mp.list.port_descs = ofp_msg_alloc(out, (dp->n_ports + 1)
                                            * sizeof *out->mp.list.port_descs);
    for (size_t i = 0; i < dp->n_ports; i++) {
        const struct ofp_port_info *p = sw_port(cc->sw, dp->ports[i].phys);
        if (p) {
            out->mp.list.port_descs[n] = *p;
            out->mp.list.port_descs[n].port_no = dp->ports[i].virt;
            n++;
        }
    }
    out->mp.list.n = n;
    conn_send_msg(s, &cc->c, out);
    ofp_msg_free(out);
}

static void
reply_table_stats(struct slicer *s, struct ctrl_conn *cc)
{
    struct ofp_msg *out = &s->out;
    uint8_t n_tables = cc->sw->features.n_tables;
    struct flow_table *t = &cc->dp->flows;

    ofp_msg_init(out, OFPT_MULTIPART_REPLY, s->msg.xid);
    out->mp.type = OFPMP_TABLE;
    out->mp.list.tables = ofp_msg_alloc(out, (n_tables + 1)
                                        * sizeof *out->mp.list.tables);
    for (unsigned int i = 0; i < n_tables; i++) {
        out->mp.list.tables[i].table_id = i;
    }
    for (size_t b = 0; b < t->n_buckets; b++) {
        for (struct flow_rec *r = t->buckets[b]; r; r = r->next) {
            if (r->table_id < n_tables) {
                out->mp.list.tables[r->table_id].active_count++;
            }
        }
    }
    out->mp.list.n = n_tables;
    conn_send_msg(s, &cc->c, out);
    ofp_msg_free(out);
}

static void
handle_multipart(struct slicer *s, struct ctrl_conn *cc)
{
    struct ofp_multipart_body *mp = &s->msg.mp;
    struct xlate_ctx x = { &s->cfg, cc->slice, cc->dp };

    switch (mp->type) {
    case OFPMP_DESC:
        forward_raw(s, cc, &s->msg);
        return;
    case OFPMP_PORT_DESC:
        reply_port_desc(s, cc);
        return;
    case OFPMP_TABLE:
        reply_table_stats(s, cc);
        return;
    case OFPMP_FLOW:
    case OFPMP_AGGREGATE: {
        struct ofp_flow_stats_request *r = &mp->flow_req;
        uint64_t ctrl = xlate_cookie_ctrl_mask(&s->cfg);
        if (ofp_match_has(&r->match, OFP_F_IN_PORT)) {
            r->match.v.in_port = slice_dp_phys_port(cc->dp, r->match.v.in_port);
            if (!r->match.v.in_port) {
                cc_refuse(s, cc, OFP_ERROR(OFPET_BAD_MATCH, OFPBMC_EPERM));
                return;
            }
        }
        if (r->out_port && r->out_port < OFPP13_MAX) {
            r->out_port = slice_dp_phys_port(cc->dp, r->out_port);
            if (!r->out_port) {
                cc_refuse(s, cc, OFP_ERROR(OFPET_BAD_REQUEST, OFPBRC_BAD_PORT));
                return;
            }
        }
        if (r->out_group != 0xffffffff) {
            if (r->out_group > SLICE_GROUP_MAX) {
                cc_refuse(s, cc, OFP_ERROR(OFPET_BAD_ACTION,
                                           OFPBAC_BAD_OUT_GROUP));
                return;
            }
            r->out_group = xlate_group_to_phys(cc->slice, r->out_group);
        }
        r->cookie_mask = (r->cookie_mask & ctrl)
                         | xlate_cookie_tag_mask(&s->cfg);
        r->cookie = (r->cookie & r->cookie_mask & ctrl)
                    | ((uint64_t) cc->slice->tag << s->cfg.tag_shift);
        forward(s, cc, &s->msg);
        return;
    }
    case OFPMP_PORT_STATS:
        if (mp->port_no != OFPP13_ANY) {
            mp->port_no = slice_dp_phys_port(cc->dp, mp->port_no);
            if (!mp->port_no) {
                cc_refuse(s, cc, OFP_ERROR(OFPET_BAD_REQUEST, OFPBRC_BAD_PORT));
                return;
            }
        }
        forward(s, cc, &s->msg);
        return;
    case OFPMP_GROUP:
    case OFPMP_GROUP_DESC:
        if (mp->type == OFPMP_GROUP && mp->group_id != 0xfffffffc) {
            if (mp->group_id > SLICE_GROUP_MAX) {
                cc_refuse(s, cc, OFP_ERROR(OFPET_GROUP_MOD_FAILED,
                                           OFPGMFC_INVALID_GROUP));
                return;
            }
            mp->group_id = xlate_group_to_phys(cc->slice, mp->group_id);
        }
        forward(s, cc, &s->msg);
        return;
    case OFPMP_METER:
        if (mp->meter_id != 0xffffffff) {
            if (!mp->meter_id || mp->meter_id > SLICE_METER_MAX) {
                cc_refuse(s, cc, OFP_ERROR(OFPET_METER_MOD_FAILED,
                                           OFPMMFC_INVALID_METER));
                return;
            }
            mp->meter_id = xlate_meter_to_phys(cc->slice, mp->meter_id);
        }
        forward(s, cc, &s->msg);
        return;
    default:
        cc_refuse(s, cc, OFP_ERROR(OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART));
        return;
    }
    (void) x;
}

/* One message from an authenticated controller. */
static void
cc_handle_up(struct slicer *s, struct ctrl_conn *cc)
{
    struct ofp_msg *m = &s->msg;
    struct slice *slice = cc->slice;
    struct ofp_msg *out = &s->out;
    struct ofp_error err;

    if (m->type == OFPT_ECHO_REQUEST) {
        ofpbuf_clear(&s->buf);
        ofp_encode_echo_reply(&s->buf, m);
        conn_queue(&cc->c, s->buf.data, s->buf.size);
        return;
    }
    if (m->type == OFPT_ECHO_REPLY || m->type == OFPT_HELLO) {
        return;
    }
    slice->c.ctrl_msgs++;
    if (!token_bucket_take(&slice->bucket, time_ns())) {
        slice->c.rate_limited++;
        cc_refuse(s, cc, OFP_ERROR(OFPET_BAD_REQUEST, OFPBRC_EPERM));
        return;
    }
    if (!cc->sw || cc->sw->state != SW_UP) {
        return;
    }
    switch (m->type) {
    case OFPT_FEATURES_REQUEST:
        ofp_msg_init(out, OFPT_FEATURES_REPLY, m->xid);
        out->features = cc->sw->features;
        out->features.datapath_id = cc->dp->vdpid;
        out->features.auxiliary_id = 0;
        conn_send_msg(s, &cc->c, out);
        break;
    case OFPT_GET_CONFIG_REQUEST:
        ofp_msg_init(out, OFPT_GET_CONFIG_REPLY, m->xid);
        out->config.flags = cc->dp->config_flags;
        out->config.miss_send_len = cc->dp->miss_send_len;
        conn_send_msg(s, &cc->c, out);
        break;
    case OFPT_SET_CONFIG:
        /* The switch's configuration is shared: kept per slice. */
        cc->dp->config_flags = m->config.flags;
        cc->dp->miss_send_len = m->config.miss_send_len;
        break;
    case OFPT_ROLE_REQUEST:
        ofp_msg_init(out, OFPT_ROLE_REPLY, m->xid);
        out->role = m->role;
        if (out->role.role == OFPCR12_ROLE_NOCHANGE) {
            out->role.role = OFPCR12_ROLE_EQUAL;
        }
        conn_send_msg(s, &cc->c, out);
        break;
    case OFPT_BARRIER_REQUEST:
        forward_raw(s, cc, m);
        break;
    case OFPT_FLOW_MOD:
        handle_flow_mod(s, cc);
        break;
    case OFPT_PACKET_OUT: {
        struct xlate_ctx x = { &s->cfg, slice, cc->dp };
        if (xlate_packet_out(&x, &m->packet_out, &m->arena, &err)) {
            cc_refuse(s, cc, err);
            break;
        }
        slice->c.packet_outs++;
        forward(s, cc, m);
        break;
    }
    case OFPT_GROUP_MOD:
        handle_group_mod(s, cc);
        break;
    case OFPT_METER_MOD:
        handle_meter_mod(s, cc);
        break;
    case OFPT_MULTIPART_REQUEST:
        handle_multipart(s, cc);
        break;
    case OFPT_ERROR:
        break;
    default:
        cc_refuse(s, cc, OFP_ERROR(OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE));
        break;
    }
}

static void cc_handle_held(struct slicer *, struct ctrl_conn *,
                           const struct ofpbuf *);

/* Answers message 'buf' of a peer whose credential was refused with
 * HELLO_FAILED/EPERM (ofauth.h) and sends it now: the caller closes. */
static void
conn_refuse_credential(struct slicer *s, struct conn *c, const uint8_t *buf,
                       size_t len)
{
    conn_send_error(s, c, buf, len, OFP_ERROR(OFPET_HELLO_FAILED, OFPHFC_EPERM));
    conn_flush(s, c);
}

/* One message from a controller, in whatever state. */
static void
cc_handle(struct slicer *s, struct ctrl_conn *cc, const uint8_t *buf,
          size_t len)
{
    struct ofp_msg *m = &s->msg;
    struct ofp_error err;

    if (ofp_decode(buf, len, m, &err)) {
        if (cc->state == CC_UP) {
            cc->slice->c.refused++;
            conn_send_error(s, &cc->c, buf, len, err);
        }
        ofp_msg_free(m);
        return;
    }
    switch (cc->state) {
    case CC_HELLO: {
        uint8_t version;
        if (m->type != OFPT_HELLO
            || ofp_hello_negotiate(&m->hello, buf[0],
                                   1u << OFP13_VERSION_WIRE, &version, &err)) {
            conn_send_error(s, &cc->c, buf, len,
                            OFP_ERROR(OFPET_HELLO_FAILED, OFPHFC_INCOMPATIBLE));
            conn_flush(s, &cc->c);
            ofp_msg_free(m);
            cc_disconnect(s, cc, "bad hello");
            return;
        }
        ofauth_gate_destroy(&cc->gate);
        ofauth_gate_init(&cc->gate, cc->slice->secret, time_ms());
        cc->state = cc->gate.open ? CC_UP : CC_AUTH;
        ofchan_backoff_success(&cc->backoff);
        cc->connects++;
        LOG_INFO(MOD, "slice %s: controller %s connected for switch %#" PRIx64
                 " (virtual %#" PRIx64 ")%s", cc->slice->name,
                 cc->slice->controller, cc->dp->dpid, cc->dp->vdpid,
                 cc->state == CC_AUTH ? ", waiting for its secret" : "");
        break;
    }
    case CC_AUTH: {
        const char *why;
        struct ofpbuf held;
        switch (ofauth_gate_input(&cc->gate, buf, len, &why)) {
        case OFAUTH_PASS:
        case OFAUTH_HELD:
            break;
        case OFAUTH_REFUSED:
            conn_refuse_credential(s, &cc->c, buf, len);
            ofp_msg_free(m);
            LOG_WARN(MOD, "slice %s: controller %s refused: %s",
                     cc->slice->name, cc->slice->controller, why);
            cc_disconnect(s, cc, why);
            return;
        case OFAUTH_ACCEPTED:
            ofpbuf_clear(&s->buf);
            ofauth_encode_reply(&s->buf, buf, len);
            conn_queue(&cc->c, s->buf.data, s->buf.size);
            ofp_msg_free(m);
            cc->state = CC_UP;
            LOG_INFO(MOD, "slice %s: controller authenticated",
                     cc->slice->name);
            ofauth_gate_take_held(&cc->gate, &held);
            cc_handle_held(s, cc, &held);
            ofpbuf_uninit(&held);
            return;
        }
        break;
    }
    case CC_UP:
        cc_handle_up(s, cc);
        break;
    default:
        break;
    }
    ofp_msg_free(m);
}

/* Handles the messages a controller sent before its secret. */
static void
cc_handle_held(struct slicer *s, struct ctrl_conn *cc, const struct ofpbuf *held)
{
    const uint8_t *p;
    size_t ofs = 0, n;

    while (cc->state == CC_UP && ofauth_held_next(held, &ofs, &p, &n)) {
        cc_handle(s, cc, p, n);
    }
}

/* ---- Switch → controllers ----------------------------------------------- */

static struct ctrl_conn *
cc_for(struct slice *slice, uint64_t dpid)
{
    struct slice_dp *dp = slice ? slice_dp_find(slice, dpid) : NULL;
    return dp && dp->conn && dp->conn->state == CC_UP ? dp->conn : NULL;
}

static void
handle_packet_in(struct slicer *s, struct sw_conn *sw)
{
    struct ofp_packet_in_body *pi = &s->msg.packet_in;
    uint32_t in_port = ofp_match_has(&pi->match, OFP_F_IN_PORT)
                       ? pi->match.v.in_port : 0;
    struct slice *slice = xlate_packet_in_owner(&s->cfg, sw->dpid, in_port,
                                                pi->cookie, pi->data,
                                                pi->data_len);
    struct ctrl_conn *cc = cc_for(slice, sw->dpid);
    struct xlate_ctx x;

    if (!slice) {
        sw->packet_ins_unowned++;
        s->packet_ins_unowned++;
        return;
    }
    if (!cc || !ofchan_may_send_droppable(cc->c.ch)) {
        slice->c.packet_ins_dropped++;
        return;
    }
    x = (struct xlate_ctx) { &s->cfg, slice, cc->dp };
    if (!xlate_match_back(&x, &pi->match)) {
        slice->c.packet_ins_dropped++;
        return;
    }
    if (xlate_cookie_tag(&s->cfg, pi->cookie) == slice->tag) {
        if ((pi->cookie & xlate_cookie_miss_bit(&s->cfg))
            && pi->reason == OFPR_ACTION) {
            pi->reason = OFPR_NO_MATCH;     /* the controller's table miss */
        }
        pi->cookie &= xlate_cookie_ctrl_mask(&s->cfg);
    }
    if (pi->buffer_id != OFP13_NO_BUFFER) {
        cc->dp->buffers[cc->dp->buffer_next++ % SLICE_BUFFER_RING] =
            pi->buffer_id;
    }
    slice->c.packet_ins++;
    conn_send_msg(s, &cc->c, &s->msg);
}

static void
handle_flow_removed(struct slicer *s, struct sw_conn *sw)
{
    struct ofp_flow_removed_body *fr = &s->msg.flow_removed;
    struct slice *slice = slicer_slice_by_tag(&s->cfg,
                                              xlate_cookie_tag(&s->cfg,
                                                               fr->cookie));
    struct slice_dp *dp = slice ? slice_dp_find(slice, sw->dpid) : NULL;
    struct flow_rec *r;
    uint16_t flags = 0;
    struct xlate_ctx x;

    if (!dp) {
        return;
    }
    r = record_find(dp, fr->table_id, fr->priority, &fr->match);
    if (r) {
        flags = r->ctrl_flags;
        flow_table_remove(&dp->flows, r);
    }
    if (!(flags & OFPFF_SEND_FLOW_REM) || !cc_for(slice, sw->dpid)) {
        return;
    }
    x = (struct xlate_ctx) { &s->cfg, slice, dp };
    if (!xlate_match_back(&x, &fr->match)) {
        return;
    }
    fr->cookie &= xlate_cookie_ctrl_mask(&s->cfg);
    conn_send_msg(s, &dp->conn->c, &s->msg);
}

static void
handle_port_status(struct slicer *s, struct sw_conn *sw)
{
    struct ofp_port_status_body *ps = &s->msg.port_status;
    uint32_t phys = ps->port.port_no;

    sw_port_update(sw, &ps->port, ps->reason == OFPPR_DELETE);
    for (size_t i = 0; i < s->cfg.n_slices; i++) {
        struct slice *slice = s->cfg.slices[i];
        struct ctrl_conn *cc = cc_for(slice, sw->dpid);
        uint32_t virt;
        if (!cc || !(virt = slice_dp_virt_port(cc->dp, phys))) {
            continue;
        }
        ps->port.port_no = virt;
        conn_send_msg(s, &cc->c, &s->msg);
    }
    ps->port.port_no = phys;
}

/* Filters and translates a multipart reply for the slice, in place;
 * returns false if nothing is left to send... it is sent anyway (empty)
 * so the controller's request is answered. */
static void
translate_mp_reply(struct slicer *s, struct ctrl_conn *cc)
{
    struct ofp_multipart_body *mp = &s->msg.mp;
    struct xlate_ctx x = { &s->cfg, cc->slice, cc->dp };
    uint16_t tag = cc->slice->tag;
    size_t n = 0;

    switch (mp->type) {
    case OFPMP_FLOW:
        for (size_t i = 0; i < mp->list.n; i++) {
            struct ofp_flow_stats f = mp->list.flows[i];
            if (xlate_cookie_tag(&s->cfg, f.cookie) != tag
                || !xlate_match_back(&x, &f.match)) {
                continue;
            }
            f.cookie &= xlate_cookie_ctrl_mask(&s->cfg);
            xlate_insts_back(&x, &f.insts);
            mp->list.flows[n++] = f;
        }
        mp->list.n = n;
        break;
    case OFPMP_PORT_STATS:
        for (size_t i = 0; i < mp->list.n; i++) {
            struct ofp_port_stats p = mp->list.ports[i];
            uint32_t v = slice_dp_virt_port(cc->dp, p.port_no);
            if (v) {
                p.port_no = v;
                mp->list.ports[n++] = p;
            }
        }
        mp->list.n = n;
        break;
    case OFPMP_GROUP:
        for (size_t i = 0; i < mp->list.n; i++) {
            struct ofp_group_stats g = mp->list.groups[i];
            if (g.group_id >> 20 == tag) {
                g.group_id &= SLICE_GROUP_MAX;
                mp->list.groups[n++] = g;
            }
        }
        mp->list.n = n;
        break;
    case OFPMP_GROUP_DESC:
        for (size_t i = 0; i < mp->list.n; i++) {
            struct ofp_group_desc g = mp->list.group_descs[i];
            if (g.group_id >> 20 != tag) {
                continue;
            }
            g.group_id &= SLICE_GROUP_MAX;
            for (size_t b = 0; b < g.n_buckets; b++) {
                struct ofp_bucket *bk = &g.buckets[b];
                xlate_actions_back(&x, &bk->actions);
                if (bk->watch_port && bk->watch_port < OFPP13_MAX) {
                    uint32_t v = slice_dp_virt_port(cc->dp, bk->watch_port);
                    bk->watch_port = v ? v : bk->watch_port;
                }
                if (bk->watch_group != 0xffffffff) {
                    bk->watch_group &= SLICE_GROUP_MAX;
                }
            }
            mp->list.group_descs[n++] = g;
        }
        mp->list.n = n;
        break;
    case OFPMP_METER:
        for (size_t i = 0; i < mp->list.n; i++) {
            struct ofp_meter_stats m = mp->list.meters[i];
            if (m.meter_id >> 16 == tag) {
                m.meter_id &= SLICE_METER_MAX;
                mp->list.meters[n++] = m;
            }
        }
        mp->list.n = n;
        break;
    default:
        break;
    }
}

/* Rebuilds the slicer's flow records from a flow dump (after the slicer
 * itself restarted: the switch kept the flows, the slicer forgot them). */
static void
rebuild_from_dump(struct slicer *s, struct sw_conn *sw)
{
    struct ofp_multipart_body *mp = &s->msg.mp;

    for (size_t i = 0; i < mp->list.n; i++) {
        const struct ofp_flow_stats *f = &mp->list.flows[i];
        struct slice *slice = slicer_slice_by_tag(&s->cfg,
                                                  xlate_cookie_tag(&s->cfg,
                                                                   f->cookie));
        struct slice_dp *dp = slice ? slice_dp_find(slice, sw->dpid) : NULL;
        struct ofp_msg *out = &s->out;

        if (!dp || record_find(dp, f->table_id, f->priority, &f->match)) {
            continue;
        }
        ofp_msg_init(out, OFPT_FLOW_MOD, 0);
        out->flow_mod.cookie = f->cookie;
        out->flow_mod.table_id = f->table_id;
        out->flow_mod.command = OFPFC_ADD;
        out->flow_mod.idle_timeout = f->idle_timeout;
        out->flow_mod.hard_timeout = f->hard_timeout;
        out->flow_mod.priority = f->priority;
        out->flow_mod.buffer_id = OFP13_NO_BUFFER;
        out->flow_mod.out_port = OFPP13_ANY;
        out->flow_mod.out_group = 0xffffffff;
        out->flow_mod.flags = f->flags | OFPFF_SEND_FLOW_REM;
        out->flow_mod.match = f->match;
        out->flow_mod.insts = f->insts;
        ofpbuf_clear(&s->buf);
        ofp_encode(out, &s->buf);
        /* The controller's own flags are not on the switch: assume it
         * wanted FLOW_REMOVED only if the flow had other flags too. */
        record_add(s, dp, &out->flow_mod, f->flags & ~OFPFF_SEND_FLOW_REM,
                   s->buf.data, s->buf.size);
    }
}

static void
handle_reply(struct slicer *s, struct sw_conn *sw, const uint8_t *buf,
             size_t len)
{
    struct ofp_msg *m = &s->msg;
    const struct xid_ent *e = sw_xid_lookup(sw, m->xid);
    struct ctrl_conn *cc;

    if (!e) {
        LOG_DBG(MOD, "switch %#" PRIx64 ": %s with unknown xid %u", sw->dpid,
                ofp_msg_type_name(m->type), m->xid);
        return;
    }
    if (!e->tag) {
        if (m->type == OFPT_ERROR) {
            char name[96];
            LOG_WARN(MOD, "switch %#" PRIx64 " refused the slicer's own "
                     "request: %s", sw->dpid,
                     ofp_error_format(OFP_ERROR(m->error.type, m->error.code),
                                      name, sizeof name));
        } else if (e->internal == INT_PORT_DESC
                   && m->type == OFPT_MULTIPART_REPLY) {
            for (size_t i = 0; i < m->mp.list.n; i++) {
                sw_port_update(sw, &m->mp.list.port_descs[i], false);
            }
        } else if (e->internal == INT_FLOW_DUMP
                   && m->type == OFPT_MULTIPART_REPLY) {
            rebuild_from_dump(s, sw);
        }
        return;
    }
    cc = cc_for(slicer_slice_by_tag(&s->cfg, e->tag), sw->dpid);
    if (!cc || cc->serial != e->cc_serial) {
        return;
    }
    if (m->type == OFPT_ERROR) {
        cc->slice->c.errors_from_switch++;
        conn_send_raw_xid(&cc->c, buf, len, e->ctrl_xid);
        return;
    }
    if (m->type == OFPT_MULTIPART_REPLY && m->mp.type != OFPMP_DESC
        && m->mp.type != OFPMP_AGGREGATE) {
        translate_mp_reply(s, cc);
        m->xid = e->ctrl_xid;
        conn_send_msg(s, &cc->c, m);
        return;
    }
    conn_send_raw_xid(&cc->c, buf, len, e->ctrl_xid);
}

/* Pushes the slices' recorded flows to a switch that (re)connected. */
static void
repush_flows(struct slicer *s, struct sw_conn *sw)
{
    size_t total = 0;

    for (size_t i = 0; i < s->cfg.n_slices; i++) {
        struct slice_dp *dp = slice_dp_find(s->cfg.slices[i], sw->dpid);
        if (!dp) {
            continue;
        }
        for (size_t b = 0; b < dp->flows.n_buckets; b++) {
            for (struct flow_rec *r = dp->flows.buckets[b]; r; r = r->next) {
                uint32_t xid = sw_xid(sw, 0, 0, 0, OFPT_FLOW_MOD, INT_REPUSH);
                conn_send_raw_xid(&sw->c, r->data + r->key_len, r->msg_len,
                                  xid);
                total++;
            }
        }
    }
    if (total) {
        LOG_INFO(MOD, "switch %#" PRIx64 ": pushed %zu recorded flows again",
                 sw->dpid, total);
    }
}

const char *
slicer_binding_find(const struct slicer *s, uint64_t dpid)
{
    for (size_t i = 0; i < s->n_bindings; i++) {
        if (s->bindings[i].dpid == dpid) {
            return s->bindings[i].id;
        }
    }
    return NULL;
}

int
slicer_binding_add(struct slicer *s, uint64_t dpid, const char *id)
{
    const char *bound = slicer_binding_find(s, dpid);

    if (bound) {
        return strcmp(bound, id) ? EEXIST : 0;
    }
    s->bindings = xrealloc(s->bindings, (s->n_bindings + 1) * sizeof *s->bindings);
    s->bindings[s->n_bindings].dpid = dpid;
    str_copy(s->bindings[s->n_bindings].id, id, sizeof s->bindings->id);
    s->n_bindings++;
    return 0;
}

bool
slicer_binding_del(struct slicer *s, uint64_t dpid)
{
    for (size_t i = 0; i < s->n_bindings; i++) {
        if (s->bindings[i].dpid == dpid) {
            s->bindings[i] = s->bindings[--s->n_bindings];
            return true;
        }
    }
    return false;
}

/* Binds 'dpid' to 'id' (nothing bound yet) and saves the state file at
 * once: a switch's connection is not a client's request, but a restart
 * must keep the binding. */
static void
sw_bind(struct slicer *s, uint64_t dpid, const char *id)
{
    char msg[512];

    slicer_binding_add(s, dpid, id);
    LOG_INFO(MOD, "datapath %#" PRIx64 " bound to %s", dpid, id);
    if (!s->state_path) {
        return;
    }
    json_t *doc = slicer_config_json(s);
    if (statefile_write(s->state_path, doc, 0600, msg, sizeof msg)) {
        LOG_WARN(MOD, "datapath %#" PRIx64 ": its binding is not saved (it holds "
                 "until a restart): %s", dpid, msg);
        json_decref(doc);
    } else {
        json_decref(s->saved);
        s->saved = doc;
    }
}

/* True if 'sw' may be datapath sw->dpid: the first switch to claim a
 * datapath id binds it to the credential it proved (its TLS certificate,
 * or on plain TCP the switch secret it presented); later claims must
 * present the same one.  A switch of an open listener proves nothing and
 * binds nothing. */
static bool
sw_identity_ok(struct slicer *s, struct sw_conn *sw)
{
    const char *id = *ofchan_peer_id(sw->c.ch) ? ofchan_peer_id(sw->c.ch)
                     : sw->gate.id;

    const char *bound = slicer_binding_find(s, sw->dpid);

    if (bound && strcmp(bound, id)) {
        s->switches_refused_identity++;
        LOG_WARN(MOD, "switch connection from %s claims datapath %#" PRIx64
                 " with %s, but it is bound to %s: refused", sw->c.peer, sw->dpid,
                 *id ? id : "no credential", bound);
        return false;
    }
    if (!bound && *id) {
        sw_bind(s, sw->dpid, id);
    }
    return true;
}

static void
sw_up(struct slicer *s, struct sw_conn *sw)
{
    struct ofp_msg *out = &s->out;

    /* A switch that reconnects replaces its old connection. */
    for (struct sw_conn *o = s->switches; o; o = o->next) {
        if (o != sw && o->state == SW_UP && o->dpid == sw->dpid) {
            LOG_INFO(MOD, "switch %#" PRIx64 " reconnected from %s", sw->dpid,
                     sw->c.peer);
            conn_close_switch(s, o);
            break;
        }
    }
    sw->state = SW_UP;
    sw->connected_ms = time_ms();
    LOG_INFO(MOD, "switch %#" PRIx64 " up (%s, %u tables)", sw->dpid,
             sw->c.peer, sw->features.n_tables);

    ofp_msg_init(out, OFPT_SET_CONFIG, 0);
    out->config.flags = 0;
    out->config.miss_send_len = 0xffff;     /* OFPCML_NO_BUFFER */
    sw_send_internal(s, sw, out, INT_NONE);

    ofp_msg_init(out, OFPT_MULTIPART_REQUEST, 0);
    out->mp.type = OFPMP_PORT_DESC;
    sw_send_internal(s, sw, out, INT_PORT_DESC);

    ofp_msg_init(out, OFPT_MULTIPART_REQUEST, 0);
    out->mp.type = OFPMP_FLOW;
    out->mp.flow_req.table_id = 0xff;
    out->mp.flow_req.out_port = OFPP13_ANY;
    out->mp.flow_req.out_group = 0xffffffff;
    ofp_match_init(&out->mp.flow_req.match);
    sw_send_internal(s, sw, out, INT_FLOW_DUMP);

    repush_flows(s, sw);
    ensure_ctrls(s, sw);
}

/* Closes switch connection 'sw' refused for its credential ('why'):
 * counted, and logged once per source address. */
static void
sw_refuse(struct slicer *s, struct sw_conn *sw, const char *why)
{
    if (ofauth_failure(&s->switches_refused, sw->c.peer)) {
        LOG_WARN(MOD, "switch connection from %s refused: %s (%" PRIu64
                 " refused so far; this source is not logged again for a "
                 "while)", sw->c.peer, why, s->switches_refused.n);
    }
    conn_close_switch(s, sw);
}

static void
sw_handle(struct slicer *s, struct sw_conn *sw, const uint8_t *buf,
          size_t len)
{
    struct ofp_msg *m = &s->msg;
    struct ofp_error err;
    const char *why;

    sw->msgs_in++;
    switch (ofauth_gate_input(&sw->gate, buf, len, &why)) {
    case OFAUTH_PASS:
        break;
    case OFAUTH_HELD:
        return;
    case OFAUTH_REFUSED:
        conn_refuse_credential(s, &sw->c, buf, len);
        sw_refuse(s, sw, why);
        return;
    case OFAUTH_ACCEPTED: {
        struct ofpbuf held;
        const uint8_t *p;
        size_t ofs = 0, n;

        ofpbuf_clear(&s->buf);
        ofauth_encode_reply(&s->buf, buf, len);
        conn_queue(&sw->c, s->buf.data, s->buf.size);
        LOG_INFO(MOD, "switch connection from %s presented the switch secret",
                 sw->c.peer);
        ofauth_gate_take_held(&sw->gate, &held);
        while (!sw->c.dead && ofauth_held_next(&held, &ofs, &p, &n)) {
            sw_handle(s, sw, p, n);
        }
        ofpbuf_uninit(&held);
        return;
    }
    }
    if (ofp_decode(buf, len, m, &err)) {
        char name[96];
        /* The header is valid (the framer checked): answer the switch. */
        if (buf[1] != OFPT_ERROR) {
            LOG_DBG(MOD, "switch %#" PRIx64 ": undecodable message: %s",
                    sw->dpid, ofp_error_format(err, name, sizeof name));
        }
        ofp_msg_free(m);
        return;
    }
    switch (sw->state) {
    case SW_HELLO: {
        uint8_t version;
        if (m->type != OFPT_HELLO
            || ofp_hello_negotiate(&m->hello, buf[0],
                                   1u << OFP13_VERSION_WIRE, &version, &err)) {
            conn_send_error(s, &sw->c, buf, len,
                            OFP_ERROR(OFPET_HELLO_FAILED, OFPHFC_INCOMPATIBLE));
            conn_flush(s, &sw->c);
            ofp_msg_free(m);
            conn_close_switch(s, sw);
            return;
        }
        sw->state = SW_FEATURES;
        ofp_msg_init(&s->out, OFPT_FEATURES_REQUEST, 0);
        sw_send_internal(s, sw, &s->out, INT_FEATURES);
        break;
    }
    case SW_FEATURES:
        if (m->type == OFPT_FEATURES_REPLY) {
            sw->features = m->features;
            sw->dpid = m->features.datapath_id;
            if (!sw_identity_ok(s, sw)) {
                conn_close_switch(s, sw);
                break;
            }
            sw_up(s, sw);
        } else if (m->type == OFPT_ECHO_REQUEST) {
            ofpbuf_clear(&s->buf);
            ofp_encode_echo_reply(&s->buf, m);
            conn_queue(&sw->c, s->buf.data, s->buf.size);
        }
        break;
    case SW_UP:
        switch (m->type) {
        case OFPT_ECHO_REQUEST:
            ofpbuf_clear(&s->buf);
            ofp_encode_echo_reply(&s->buf, m);
            conn_queue(&sw->c, s->buf.data, s->buf.size);
            break;
        case OFPT_PACKET_IN:
            handle_packet_in(s, sw);
            break;
        case OFPT_FLOW_REMOVED:
            handle_flow_removed(s, sw);
            break;
        case OFPT_PORT_STATUS:
            handle_port_status(s, sw);
            break;
        case OFPT_ECHO_REPLY:
        case OFPT_HELLO:
            break;
        default:
            handle_reply(s, sw, buf, len);
            break;
        }
        break;
    }
    ofp_msg_free(m);
}

/* Closes switch connection 'sw' for good; freed by sweep(). */
static void
conn_close_switch(struct slicer *s, struct sw_conn *sw)
{
    if (sw->c.dead) {
        return;
    }
    if (sw->state == SW_UP) {
        LOG_INFO(MOD, "switch %#" PRIx64 " (%s) disconnected", sw->dpid,
                 sw->c.peer);
    }
    /* Its virtual switches go away: the controllers see them leave. */
    for (struct ctrl_conn *cc = s->ctrls; cc; cc = cc->next) {
        if (cc->sw == sw) {
            cc_kill(s, cc);
        }
    }
    sw->state = SW_HELLO;       /* no longer found by dpid */
    sw->c.dead = true;
    conn_unregister(s, &sw->c);
}

/* Frees the connections closed during this loop turn. */
static void
sweep(struct slicer *s)
{
    for (struct sw_conn **p = &s->switches; *p;) {
        struct sw_conn *sw = *p;
        if (!sw->c.dead) {
            p = &sw->next;
            continue;
        }
        *p = sw->next;
        conn_uninit(s, &sw->c);
        ofauth_gate_destroy(&sw->gate);
        free(sw->ports);
        free(sw->xids);
        free(sw);
    }
    for (struct ctrl_conn **p = &s->ctrls; *p;) {
        struct ctrl_conn *cc = *p;
        if (!cc->c.dead) {
            p = &cc->next;
            continue;
        }
        *p = cc->next;
        conn_uninit(s, &cc->c);
        ofauth_gate_destroy(&cc->gate);
        free(cc);
    }
}

/* Accepts every switch waiting on the listener (ofstream.h caps them). */
static void
accept_switches(struct slicer *s)
{
    struct ofstream *stream;

    while (!ofstream_listener_accept(s->listener, &stream)) {
        struct sw_conn *sw = xzalloc(sizeof *sw);

        conn_init(&sw->c, CONN_SWITCH);
        conn_attach(&sw->c, ofchan_create(stream, &switch_limits));
        sw->xids = xcalloc(XID_MAP_SIZE, sizeof *sw->xids);
        sw->next_xid = 1;
        sw->state = SW_HELLO;
        ofauth_gate_init(&sw->gate, s->listen_tls ? NULL : s->switch_secret,
                         time_ms());
        sw->next = s->switches;
        s->switches = sw;
        ofpbuf_clear(&s->buf);
        ofp_encode_hello(&s->buf, 0, 1u << OFP13_VERSION_WIRE);
        conn_queue(&sw->c, s->buf.data, s->buf.size);
        if (conn_flush(s, &sw->c)) {
            switch_failed(s, sw);
        }
    }
    conn_set_events(s, &s->listen, ofstream_listener_events(s->listener));
}

/* Handles the complete messages 'c' has, up to a budget (the rest on the
 * next turn: conn_pending()).  Returns false when the connection is gone
 * (conn_error() says why). */
static bool
conn_read(struct slicer *s, struct conn *c)
{
    for (int n = 0; n < READ_MSGS_PER_TURN; n++) {
        const uint8_t *msg;
        size_t len;
        int error;

        if (!c->ch || c->dead) {
            return !c->dead;
        }
        error = ofchan_recv(c->ch, &msg, &len);
        if (error) {
            return error == EAGAIN;
        }
        if (c->kind == CONN_SWITCH) {
            struct sw_conn *sw = (struct sw_conn *) c;
            sw_handle(s, sw, msg, len);
            if (c->dead) {
                return false;
            }
        } else {
            struct ctrl_conn *cc = (struct ctrl_conn *) c;
            cc_handle(s, cc, msg, len);
            if (cc->state == CC_WAIT) {
                return true;    /* it disconnected itself */
            }
        }
    }
    return true;
}

/* True if 'c' holds input that epoll cannot announce (TLS records already
 * decrypted, messages left over by the budget). */
static bool
conn_pending(const struct conn *c)
{
    return c->ch && !c->dead && !c->paused && ofchan_wakeup_now(c->ch);
}

/* ---- The loop ------------------------------------------------------------- */

static void
timers(struct slicer *s)
{
    uint64_t now = time_ms();

    for (struct ctrl_conn *cc = s->ctrls; cc; cc = cc->next) {
        if (cc->c.dead) {
            continue;
        }
        if (cc->state == CC_WAIT && ofchan_backoff_due(&cc->backoff, now)) {
            cc_connect(s, cc);
        } else if (cc->state == CC_AUTH && ofauth_gate_expired(&cc->gate, now)) {
            LOG_WARN(MOD, "slice %s: controller did not authenticate in time",
                     cc->slice->name);
            cc_disconnect(s, cc, "no secret");
        }
    }
    for (struct sw_conn *sw = s->switches; sw; sw = sw->next) {
        if (!sw->c.dead && ofauth_gate_expired(&sw->gate, now)) {
            sw_refuse(s, sw, "no switch secret presented in time");
        }
    }
    /* A listener paused by descriptor exhaustion listens again. */
    if (s->listener) {
        conn_set_events(s, &s->listen, ofstream_listener_events(s->listener));
    }
}

static void
flush_all(struct slicer *s)
{
    for (struct sw_conn *sw = s->switches, *next; sw; sw = next) {
        next = sw->next;
        if (!sw->c.dead && sw->c.dirty && conn_flush(s, &sw->c)) {
            conn_close_switch(s, sw);
        }
    }
    for (struct ctrl_conn *cc = s->ctrls; cc; cc = cc->next) {
        bool behind;
        if (!cc->c.ch || cc->c.dead || !cc->sw) {
            continue;
        }
        behind = conn_backlog(&cc->sw->c) > CONN_HIGH_WATER;
        /* Back-pressure: a controller waits while its switch is behind. */
        if (behind != cc->c.paused
            && (behind || conn_backlog(&cc->sw->c) < CONN_LOW_WATER)) {
            cc->c.paused = behind;
            cc->c.dirty = true;
        }
        if (cc->c.dirty && cc->state != CC_CONNECTING
            && conn_flush(s, &cc->c)) {
            cc_disconnect(s, cc, conn_error(&cc->c));
        }
    }
}

/* Switch connection 'sw' failed: closes it, saying why if it never came
 * up (a refused TLS handshake, a peer that is not OpenFlow). */
static void
switch_failed(struct slicer *s, struct sw_conn *sw)
{
    if (!sw->c.dead && sw->state != SW_UP) {
        LOG_INFO(MOD, "switch connection from %s closed: %s", sw->c.peer,
                 conn_error(&sw->c));
    }
    conn_close_switch(s, sw);
}

/* Reads the connections that hold input epoll cannot announce. */
static bool
read_pending(struct slicer *s, bool run)
{
    bool any = false;

    for (struct sw_conn *sw = s->switches; sw; sw = sw->next) {
        if (conn_pending(&sw->c)) {
            any = true;
            if (run && !conn_read(s, &sw->c)) {
                switch_failed(s, sw);
            }
        }
    }
    for (struct ctrl_conn *cc = s->ctrls; cc; cc = cc->next) {
        if (cc->state != CC_CONNECTING && conn_pending(&cc->c)) {
            any = true;
            if (run && !conn_read(s, &cc->c)) {
                cc_disconnect(s, cc, conn_error(&cc->c));
            }
        }
    }
    return any;
}

int
slicer_loop(struct slicer *s)
{
    struct epoll_event evs[64];

    while (!s->quit) {
        int n = epoll_wait(s->epfd, evs, ARRAY_SIZE(evs),
                           read_pending(s, false) ? 0 : 50);
        if (n < 0 && errno != EINTR) {
            LOG_ERR(MOD, "epoll_wait: %s", strerror(errno));
            return errno;
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;

            if (c->dead) {
                continue;       /* closed earlier in this turn */
            }
            switch (c->kind) {
            case CONN_LISTEN:
                accept_switches(s);
                break;
            case CONN_RPC:
                jsonrpc_server_run(s->rpc, 0);
                break;
            case CONN_SIGNAL: {
                int signo = daemon_signals_read(c->fd);
                if (signo) {
                    LOG_INFO(MOD, "signal %d received, shutting down", signo);
                    s->quit = 1;
                }
                break;
            }
            case CONN_SWITCH: {
                /* TLS: a read may need POLLOUT, a write POLLIN; both are
                 * tried, at the cost of a would-block at most. */
                struct sw_conn *sw = (struct sw_conn *) c;
                if (conn_flush(s, c) || !conn_read(s, c)) {
                    switch_failed(s, sw);
                }
                break;
            }
            case CONN_CTRL: {
                struct ctrl_conn *cc = (struct ctrl_conn *) c;
                if (cc->state == CC_CONNECTING) {
                    cc_connected(s, cc);
                    break;
                }
                if (conn_flush(s, c)) {
                    cc_disconnect(s, cc, conn_error(c));
                    break;
                }
                if (!c->paused && c->ch && !conn_read(s, c)) {
                    cc_disconnect(s, cc, conn_error(c));
                }
                break;
            }
            }
        }
        read_pending(s, true);
        timers(s);
        flush_all(s);
        sweep(s);
    }
    return 0;
}

/* ---- Setup ---------------------------------------------------------------- */

/* Listens for switches on 'spec' (ptcp: or pssl:; loopback unless an
 * address is given). */
static int
listen_switches(struct slicer *s, const char *spec,
                const struct slicer_switch_auth *auth, char *msg, size_t size)
{
    struct ofstream_listener_limits limits = {
        .max_conns = SLICER_MAX_SWITCH_CONNS,
        .max_per_source = SLICER_MAX_SWITCH_CONNS,
        .pause_ms = 500,
    };
    struct ofstream_target t;
    struct rlimit nofile;

    /* Keep descriptors for management and controllers: switches alone
     * never take them all (past that, the listener pauses on EMFILE). */
    if (!getrlimit(RLIMIT_NOFILE, &nofile) && nofile.rlim_cur != RLIM_INFINITY
        && nofile.rlim_cur / 2 < limits.max_conns) {
        limits.max_conns = limits.max_per_source = MAX(nofile.rlim_cur / 2, 16);
    }
    char why[384];
    int error;

    if (ofstream_target_parse(spec, &t, why, sizeof why) || !t.passive) {
        snprintf(msg, size, "--listen: %s", t.passive ? why
                 : "must be ptcp:[PORT][:ADDR] or pssl:[PORT][:ADDR]");
        return EINVAL;
    }
    if (t.tls && !s->tls) {
        snprintf(msg, size, "--listen %s: pssl: needs --private-key, "
                 "--certificate and --ca-cert", spec);
        return EINVAL;
    }
    /* Plain TCP: only on loopback and with a switch secret, unless the
     * operator says the switch side is open (docs/security.md). */
    if (!t.tls && !auth->open && !ofstream_target_is_loopback(&t)) {
        snprintf(msg, size, "--listen %s: ptcp: beyond loopback lets any host "
                 "claim a datapath: use pssl:, or --switches-open to allow it",
                 spec);
        return EINVAL;
    }
    if (!t.tls && !auth->open && !auth->secret) {
        snprintf(msg, size, "--listen %s: ptcp: needs --switch-secret-file FILE "
                 "(switches present the secret), or --switches-open to let any "
                 "local process claim a datapath", spec);
        return EINVAL;
    }
    if (!t.tls && !auth->secret) {
        LOG_WARN(MOD, "switch listener %s is open: any process that reaches it "
                 "can claim a datapath id no certificate has bound", spec);
    }
    s->listen_tls = t.tls;
    error = ofstream_listener_open(&t, t.tls ? s->tls : NULL, &limits,
                                   "switch listener", &s->listener, why,
                                   sizeof why);
    if (error) {
        snprintf(msg, size, "--listen %s: %s", spec, why);
        return error;
    }
    s->listen.fd = ofstream_listener_fd(s->listener);
    return 0;
}

static void
rpc_begin(void *aux)
{
    ((struct slicer *) aux)->changed = false;
}

/* Saves the configuration after a client message that changed it.  When
 * it cannot be saved, the change is undone (back to 'saved', through the
 * same methods) and the message's requests are answered with the error. */
static int
rpc_commit(void *aux, struct jsonrpc_error *err)
{
    struct slicer *s = aux;
    int error;

    if (!s->changed || s->replaying) {
        s->changed = false;
        return 0;
    }
    s->replaying = true;        /* an undo is not a client's change */
    error = statefile_commit(s->rpc, &slicer_state_schema, s->state_path,
                             0600, slicer_config_json(s), &s->saved, s, err);
    s->replaying = false;
    s->changed = false;
    return error;
}

struct slicer *
slicer_create(const char *listen_spec, const char *const tls_files[3],
              const char *socket_path, const char *state_path,
              unsigned int tag_shift, bool restore,
              const struct slicer_switch_auth *auth, char *msg, size_t size)
{
    struct slicer *s = xzalloc(sizeof *s);
    int error;

    if (auth->secret && ofauth_secret_check(auth->secret, msg, size)) {
        free(s);
        return NULL;
    }
    str_copy(s->switch_secret, auth->secret ? auth->secret : "",
             sizeof s->switch_secret);

    slicer_config_init(&s->cfg);
    s->cfg.tag_shift = tag_shift;
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    s->state_path = state_path ? xstrdup(state_path) : NULL;
    s->listen_spec = xstrdup(listen_spec);
    ofpbuf_init(&s->buf, 65536);
    conn_init(&s->listen, CONN_LISTEN);
    conn_init(&s->rpc_conn, CONN_RPC);
    conn_init(&s->signals, CONN_SIGNAL);
    if (tls_files && (tls_files[0] || tls_files[1] || tls_files[2])) {
        char why[512];
        error = ofstream_tls_create(tls_files[0], tls_files[1], tls_files[2],
                                    &s->tls, why, sizeof why);
        if (error) {
            snprintf(msg, size, "%s", why);
            goto fail;
        }
    }

    s->rpc = jsonrpc_server_create(slicer_rpc_methods, s);
    jsonrpc_server_set_hooks(s->rpc, rpc_begin, rpc_commit, s);
    for (int i = 0; i < 2; i++) {
        const char *path = i ? s->state_path : socket_path;
        if (path && (error = mkdir_parent(path, i ? 0750 : 0755))) {
            snprintf(msg, size, "cannot create the directory of %s: %s",
                     path, strerror(error));
            goto fail;
        }
    }
    if (s->state_path && statefile_check_dir(s->state_path, msg, size)) {
        LOG_WARN(MOD, "state directory: %s; use a directory of the "
                 "slicer's own", msg);
    }
    if (restore && s->state_path) {
        s->replaying = true;
        error = statefile_restore(s->rpc, &slicer_state_schema, s->state_path,
                                  0600, msg, size);
        s->replaying = false;
        if (error && error != ENOENT) {
            goto fail;
        }
    }
    s->changed = false;
    s->saved = slicer_config_json(s);
    error = jsonrpc_server_listen(s->rpc, socket_path);
    if (error) {
        snprintf(msg, size, "%s: %s", socket_path, strerror(error));
        goto fail;
    }
    s->rpc_conn.fd = jsonrpc_server_fd(s->rpc);
    conn_set_events(s, &s->rpc_conn, EPOLLIN);
    error = listen_switches(s, listen_spec, auth, msg, size);
    if (error) {
        goto fail;
    }
    conn_set_events(s, &s->listen, EPOLLIN);
    return s;

fail:
    s->rpc_conn.fd = -1;
    slicer_destroy(s);
    return NULL;
}

/* Stops the loop when a signal arrives on 'signal_fd' (a signalfd from
 * daemon_signals_open(), which the slicer closes when destroyed). */
void
slicer_watch_signals(struct slicer *s, int signal_fd)
{
    s->signals.fd = signal_fd;
    conn_set_events(s, &s->signals, EPOLLIN);
}

void
slicer_destroy(struct slicer *s)
{
    if (!s) {
        return;
    }
    for (struct sw_conn *sw = s->switches; sw; sw = sw->next) {
        conn_close_switch(s, sw);
    }
    for (struct ctrl_conn *cc = s->ctrls; cc; cc = cc->next) {
        cc_kill(s, cc);
    }
    sweep(s);
    jsonrpc_server_destroy(s->rpc);
    s->rpc_conn.fd = -1;
    conn_uninit(s, &s->listen);
    conn_uninit(s, &s->rpc_conn);
    conn_uninit(s, &s->signals);
    ofstream_listener_close(s->listener);
    ofstream_tls_destroy(s->tls);
    slicer_config_destroy(&s->cfg);
    ofpbuf_uninit(&s->buf);
    if (s->epfd >= 0) {
        close(s->epfd);
    }
    json_decref(s->saved);
    free(s->state_path);
    free(s->listen_spec);
    free(s->bindings);
    free(s);
}

/* ---- For the RPC layer ------------------------------------------------ */

void
slicer_slice_added(struct slicer *s, struct slice *slice)
{
    s->changed = true;
    for (struct sw_conn *sw = s->switches; sw; sw = sw->next) {
        if (sw->state == SW_UP && slice_dp_find(slice, sw->dpid)) {
            ensure_ctrls(s, sw);
        }
    }
}

/* Sends a DELETE of the slice's flows matching 'm' (all if NULL). */
static void
delete_slice_flows(struct slicer *s, struct slice *slice, struct sw_conn *sw,
                   const struct ofp_match *m)
{
    struct ofp_msg *out = &s->out;

    ofp_msg_init(out, OFPT_FLOW_MOD, 0);
    out->flow_mod.command = OFPFC_DELETE;
    out->flow_mod.table_id = 0xff;
    out->flow_mod.buffer_id = OFP13_NO_BUFFER;
    out->flow_mod.out_port = OFPP13_ANY;
    out->flow_mod.out_group = 0xffffffff;
    out->flow_mod.cookie = (uint64_t) slice->tag << s->cfg.tag_shift;
    out->flow_mod.cookie_mask = xlate_cookie_tag_mask(&s->cfg);
    if (m) {
        out->flow_mod.match = *m;
    } else {
        ofp_match_init(&out->flow_mod.match);
    }
    sw_send_internal(s, sw, out, INT_CLEANUP);
}

void
slicer_slice_removing(struct slicer *s, struct slice *slice)
{
    s->changed = true;
    for (size_t i = 0; i < slice->n_dps; i++) {
        struct slice_dp *dp = &slice->dps[i];
        struct sw_conn *sw = switch_by_dpid(s, dp->dpid);
        if (dp->conn) {
            cc_kill(s, dp->conn);
        }
        if (!sw) {
            continue;
        }
        /* Its flows, groups and meters leave the switch with it. */
        delete_slice_flows(s, slice, sw, NULL);
        for (size_t g = 0; g < dp->n_groups; g++) {
            ofp_msg_init(&s->out, OFPT_GROUP_MOD, 0);
            s->out.group_mod.command = OFPGC11_DELETE;
            s->out.group_mod.group_id = xlate_group_to_phys(slice,
                                                            dp->groups[g]);
            sw_send_internal(s, sw, &s->out, INT_CLEANUP);
        }
        for (size_t k = 0; k < dp->n_meters; k++) {
            ofp_msg_init(&s->out, OFPT_METER_MOD, 0);
            s->out.meter_mod.command = OFPMC13_DELETE;
            s->out.meter_mod.meter_id = xlate_meter_to_phys(slice,
                                                            dp->meters[k]);
            sw_send_internal(s, sw, &s->out, INT_CLEANUP);
        }
    }
}

void
slicer_fs_removing(struct slicer *s, struct fs_entry *e)
{
    s->changed = true;
    for (size_t i = 0; i < e->slice->n_dps; i++) {
        struct slice_dp *dp = &e->slice->dps[i];
        struct sw_conn *sw = switch_by_dpid(s, dp->dpid);
        if ((e->dpid && e->dpid != dp->dpid) || !sw) {
            continue;
        }
        /* The slice's flows inside the entry lose their ground. */
        for (size_t k = 0; k < e->n_matches; k++) {
            struct ofp_flow_mod_body del = { .command = OFPFC_DELETE,
                                             .table_id = 0xff,
                                             .out_port = OFPP13_ANY,
                                             .out_group = 0xffffffff,
                                             .match = e->matches[k] };
            delete_slice_flows(s, e->slice, sw, &e->matches[k]);
            records_apply(s, dp, &del);
        }
    }
}

json_t *
slicer_switches_json(struct slicer *s)
{
    json_t *a = json_array();

    for (struct sw_conn *sw = s->switches; sw; sw = sw->next) {
        json_t *ports;
        char dpid[32];
        if (sw->state != SW_UP) {
            continue;
        }
        ports = json_array();
        for (size_t i = 0; i < sw->n_ports; i++) {
            json_array_append_new(ports, json_pack("{s:I,s:s}", "port",
                                                   (json_int_t) sw->ports[i].port_no,
                                                   "name", sw->ports[i].name));
        }
        snprintf(dpid, sizeof dpid, "%#018" PRIx64, sw->dpid);
        json_array_append_new(a, json_pack("{s:s,s:s,s:i,s:o,s:I,s:I}",
                                           "dpid", dpid, "peer", sw->c.peer,
                                           "n_tables", sw->features.n_tables,
                                           "ports", ports,
                                           "msgs_in", (json_int_t) sw->msgs_in,
                                           "packet_ins_unowned",
                                           (json_int_t) sw->packet_ins_unowned));
    }
    return a;
}

static const char *
cc_state_name(const struct ctrl_conn *cc)
{
    static const char *const names[] = { "waiting", "connecting", "hello",
                                         "authenticating", "up" };
    return cc ? names[cc->state] : "no switch";
}

json_t *
slicer_stats_json(struct slicer *s)
{
    json_t *slices = json_array();

    for (size_t i = 0; i < s->cfg.n_slices; i++) {
        struct slice *slice = s->cfg.slices[i];
        json_t *o = json_object(), *dps = json_array();
        char buf[32];

        json_object_set_new(o, "name", json_string(slice->name));
        json_object_set_new(o, "tag", json_integer(slice->tag));
#define SLICE_COUNTER_JSON(NAME, HELP) \
        json_object_set_new(o, #NAME, json_integer(slice->c.NAME));
        SLICE_COUNTERS(SLICE_COUNTER_JSON)
#undef SLICE_COUNTER_JSON
        for (size_t k = 0; k < slice->n_dps; k++) {
            struct slice_dp *dp = &slice->dps[k];
            json_t *d = json_object();
            snprintf(buf, sizeof buf, "%#018" PRIx64, dp->dpid);
            json_object_set_new(d, "dpid", json_string(buf));
            snprintf(buf, sizeof buf, "%#018" PRIx64, dp->vdpid);
            json_object_set_new(d, "vdpid", json_string(buf));
            json_object_set_new(d, "flows", json_integer(dp->flows.n));
            json_object_set_new(d, "groups", json_integer(dp->n_groups));
            json_object_set_new(d, "meters", json_integer(dp->n_meters));
            json_object_set_new(d, "controller", json_string(cc_state_name(dp->conn)));
            json_object_set_new(d, "connects",
                                json_integer(dp->conn ? dp->conn->connects : 0));
            json_array_append_new(dps, d);
        }
        json_object_set_new(o, "switches", dps);
        json_array_append_new(slices, o);
    }
    struct ofstream_listener_stats ls = { 0 };
    if (s->listener) {
        ofstream_listener_stats(s->listener, &ls);
    }
    return json_pack("{s:o,s:o,s:I,s:{s:I,s:I,s:I,s:I,s:i},s:I,s:I,s:I}",
                     "slices", slices,
                     "switches", slicer_switches_json(s), "packet_ins_unowned",
                     (json_int_t) s->packet_ins_unowned, "switch_listener",
                     "accepted", (json_int_t) ls.accepted,
                     "refused_cap", (json_int_t) ls.refused_cap,
                     "refused_source", (json_int_t) ls.refused_source,
                     "fd_exhausted", (json_int_t) ls.fd_exhausted,
                     "live", (int) ls.live,
                     "connections_dropped_overflow",
                     (json_int_t) ofchan_n_overflows(),
                     "switches_refused_identity",
                     (json_int_t) s->switches_refused_identity,
                     "switches_refused_credential",
                     (json_int_t) s->switches_refused.n);
}
