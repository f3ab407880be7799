/*
 * ofagent: the OpenFlow 1.3 switch side of openflow vnodes (see ofagent.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "dataplane.h"
#include "fp_openflow.h"
#include "log.h"
#include "ofagent.h"
#include "ofauth.h"
#include "ofchan.h"
#include "ofp-msg.h"
#include "ofpbuf.h"
#include "ofstream.h"
#include "util.h"

#define MOD "ofagent"

#define OFA_VERSIONS (1u << OFP13_VERSION_WIRE)
#define OFA_BACKOFF_MIN_MS 1000
#define OFA_BACKOFF_MAX_MS 8000
#define OFA_TICK_MS 1000                /* timeouts, listener retries */
#define OFA_MAX_CONNS 64                /* per passive listener */
#define OFA_MAX_CONNS_PER_SOURCE 32     /* from one address */
#define OFA_MP_CHUNK 64                 /* multipart entries per message */
#define OFA_DEFAULT_MISS_SEND_LEN 128
#define OFA_PUNT_BURST 64
#define OFA_READ_MSGS 1024              /* messages per connection per pass */

/* Specification constants, from the Open vSwitch OpenFlow headers. */
#define OFA_CAPABILITIES (OFPC_FLOW_STATS | OFPC_TABLE_STATS \
                          | OFPC_PORT_STATS | OFPC11_GROUP_STATS)
#define OFA_PPS_LIVE OFPPS11_LIVE
#define OFA_PPF_10GB_FD OFPPF_10GB_FD
#define OFA_PPF_COPPER OFPPF11_COPPER
#define OFA_PR_ADD OFPPR_ADD
#define OFA_PR_DELETE OFPPR_DELETE
#define OFA_ROLE_NOCHANGE OFPCR12_ROLE_NOCHANGE
#define OFA_ROLE_EQUAL OFPCR12_ROLE_EQUAL
#define OFA_ROLE_MASTER OFPCR12_ROLE_PRIMARY
#define OFA_ROLE_SLAVE OFPCR12_ROLE_SECONDARY
#define OFA_CML_NO_BUFFER OFPCML12_NO_BUFFER
#define OFA_MP_TABLE_FEATURES OFPMP_TABLE_FEATURES

struct ofsw;

struct ofconn {
    struct ofsw *sw;
    struct ofchan *ch;              /* stream, framing, bounded output */
    int active;                     /* index in sw->actives, or -1 */
    bool up;                        /* connected (and TLS handshake done) */
    bool negotiated;                /* HELLO exchanged */
    bool dead;                      /* to be closed at the end of the pass */
    struct ofauth_gate gate;        /* the listener's secret (ofauth.h) */
    uint32_t role;
    char peer[160];
};

struct ofactive {
    char *target;                   /* "tcp:HOST:PORT" / "ssl:HOST:PORT" */
    struct ofconn *conn;
    struct ofchan_backoff backoff;
};

struct ofport {
    bool present;
    char name[OFP_MAX_PORT_NAME_LEN];
};

struct ofsw {
    char *slice, *sw;
    void *fp_state;                 /* identity of the vnode's plane */
    struct ofpl_pipeline *pl;
    uint64_t dpid;
    unsigned n_tables;
    uint16_t config_flags;
    uint16_t miss_send_len;
    bool seen;                      /* mark for ofagent_sync() */

    struct ofport *ports;           /* by vport index */
    size_t n_ports;

    char *listen;                   /* "ptcp:..." / "pssl:..." or NULL */
    struct ofstream_listener *listener;
    char *secret;                   /* peers of the listener present it */
    char *switch_secret;            /* we present it to active targets */
    struct ofauth_failures refused; /* peers refused for their credential */
    char *tls_files[3];             /* private key, certificate, CA */
    struct ofstream_tls *tls;       /* loaded from them on first need */
    struct ofconn **conns;
    size_t n_conns;
    struct ofactive actives[FP_OPENFLOW_MAX_CONTROLLERS];
    unsigned n_actives;

    bool have_generation;
    uint64_t generation_id;
};

enum ofa_owner_kind { OFA_PUNT, OFA_LISTEN, OFA_CONN };

struct ofa_owner {
    enum ofa_owner_kind kind;
    void *p;
};

struct ofagent {
    struct ofsw **sws;
    size_t n_sws;
    uint64_t next_tick_ms;
    unsigned epoch;                 /* bumped when objects go away */
    unsigned poll_epoch;
    struct ofa_owner *owners;       /* parallel to the pollfds we added */
    size_t n_owners, alloc_owners;
    struct ofpbuf scratch;          /* one encoded message */
};

/* ---- Connections (lib/openflow/ofchan.h carries the bytes) --------------- */

/* Output bounds per connection: packet-ins are dropped and reading stops
 * past the soft limit, the connection is dropped past the hard one. */
static const struct ofchan_limits ofa_chan_limits = {
    .soft_limit = 8u << 20,
    .hard_limit = 64u << 20,
};

/* Loads the switch's key, certificate and CA (once; again after a failure,
 * so fixed files are picked up).  Peers must present a certificate signed
 * by the CA, in both directions, as with Open vSwitch. */
static struct ofstream_tls *
ofsw_tls(struct ofsw *sw)
{
    char msg[512];

    if (!sw->tls && ofstream_tls_create(sw->tls_files[0], sw->tls_files[1],
                                        sw->tls_files[2], &sw->tls, msg, sizeof msg)) {
        LOG_ERR(MOD, "%s/%s: %s", sw->slice, sw->sw, msg);
    }
    return sw->tls;
}

static void
ofconn_kill(struct ofconn *c, const char *why)
{
    if (!c->dead) {
        LOG_INFO(MOD, "%s/%s: connection %s closed: %s", c->sw->slice, c->sw->sw,
                 c->peer, why);
        c->dead = true;
    }
}

/* Takes connect and TLS handshake forward and writes what is queued. */
static void
ofconn_run(struct ofconn *c)
{
    if (c->dead) {
        return;
    }
    if (ofchan_run(c->ch)) {
        ofconn_kill(c, ofchan_error(c->ch));
    } else if (!c->up && ofchan_is_connected(c->ch)) {
        c->up = true;
        if (c->active >= 0) {
            LOG_INFO(MOD, "%s/%s: connected to %s", c->sw->slice, c->sw->sw, c->peer);
        }
    }
}

/* Queues 'len' bytes of encoded messages; 'droppable' ones (packet-ins)
 * are dropped rather than queued past the channel's soft limit.  A peer
 * whose queue passes the hard limit is dropped. */
static void
ofconn_send(struct ofconn *c, const void *p, size_t len, bool droppable)
{
    if (c->dead || (droppable && !ofchan_may_send_droppable(c->ch))) {
        return;
    }
    if (ofchan_send(c->ch, p, len)) {
        ofconn_kill(c, ofchan_error(c->ch));
    }
}

static void
ofconn_send_msg(struct ofconn *c, struct ofagent *a, const struct ofp_msg *msg)
{
    ofpbuf_clear(&a->scratch);
    if (!ofp_encode(msg, &a->scratch)) {
        ofconn_send(c, a->scratch.data, a->scratch.size, false);
    }
}

/* A connection over channel 'ch' (connecting, handshaking or open). */
static struct ofconn *
ofconn_new(struct ofsw *sw, struct ofchan *ch, int active, const char *peer)
{
    struct ofconn *c = xzalloc(sizeof *c);
    struct ofpbuf hello = OFPBUF_INITIALIZER;

    c->sw = sw;
    c->ch = ch;
    c->active = active;
    c->role = OFA_ROLE_EQUAL;
    str_copy(c->peer, peer, sizeof c->peer);
    sw->conns = xrealloc(sw->conns, (sw->n_conns + 1) * sizeof *sw->conns);
    sw->conns[sw->n_conns++] = c;
    /* Accepted peers present the listener's secret; we present ours to
     * the controllers we connect to. */
    ofauth_gate_init(&c->gate, active < 0 ? sw->secret : NULL, time_ms());
    ofp_encode_hello(&hello, 0, OFA_VERSIONS);
    if (active >= 0 && sw->switch_secret) {
        ofauth_encode_credential(&hello, 0, sw->switch_secret);
    }
    ofconn_send(c, hello.data, hello.size, false);
    ofpbuf_uninit(&hello);
    ofconn_run(c);
    return c;
}

static void
ofconn_free(struct ofconn *c)
{
    ofauth_gate_destroy(&c->gate);
    ofchan_destroy(c->ch);
    free(c);
}

/* Closes dead connections of 'sw'; schedules reconnection of active ones. */
static void
ofsw_reap(struct ofagent *a, struct ofsw *sw, uint64_t now_ms)
{
    size_t k = 0;

    for (size_t i = 0; i < sw->n_conns; i++) {
        struct ofconn *c = sw->conns[i];
        if (!c->dead) {
            sw->conns[k++] = c;
            continue;
        }
        if (c->active >= 0) {
            struct ofactive *act = &sw->actives[c->active];
            act->conn = NULL;
            ofchan_backoff_failed(&act->backoff, now_ms);
        }
        ofconn_free(c);
        a->epoch++;
    }
    sw->n_conns = k;
}

static void
ofsw_try_listen(struct ofsw *sw)
{
    static const struct ofstream_listener_limits limits = {
        .max_conns = OFA_MAX_CONNS, .max_per_source = OFA_MAX_CONNS_PER_SOURCE,
        .pause_ms = OFA_TICK_MS,
    };
    struct ofstream_target t;
    char msg[512], name[160];

    if (!sw->listen || sw->listener) {
        return;
    }
    if (ofstream_target_parse(sw->listen, &t, msg, sizeof msg) || !t.passive) {
        LOG_ERR(MOD, "%s/%s: bad listen target %s", sw->slice, sw->sw,
                t.passive ? msg : sw->listen);
        free(sw->listen);
        sw->listen = NULL;
        return;
    }
    if (t.tls && !ofsw_tls(sw)) {
        return;                     /* logged; retried on the next tick */
    }
    snprintf(name, sizeof name, "%s/%s", sw->slice, sw->sw);
    if (ofstream_listener_open(&t, t.tls ? sw->tls : NULL, &limits, name,
                               &sw->listener, msg, sizeof msg)) {
        LOG_WARN(MOD, "%s/%s: %s: %s (retrying)", sw->slice, sw->sw, sw->listen, msg);
        return;
    }
    LOG_INFO(MOD, "%s/%s: datapath %016llx listening on %s", sw->slice, sw->sw,
             (unsigned long long) sw->dpid, sw->listen);
}

static void
ofsw_try_connect(struct ofsw *sw, unsigned i, uint64_t now_ms)
{
    struct ofactive *act = &sw->actives[i];
    struct ofstream_target t;
    struct ofstream *stream;
    char msg[512];

    if (act->conn || !ofchan_backoff_due(&act->backoff, now_ms)) {
        return;
    }
    if (ofstream_target_parse(act->target, &t, msg, sizeof msg) || t.passive) {
        ofchan_backoff_disable(&act->backoff);
        LOG_ERR(MOD, "%s/%s: bad controller target %s", sw->slice, sw->sw,
                t.passive ? act->target : msg);
        return;
    }
    if (t.tls && !ofsw_tls(sw)) {
        return;                     /* logged; retried with the backoff */
    }
    if (ofstream_open(&t, t.tls ? sw->tls : NULL, &stream, msg, sizeof msg)) {
        LOG_DBG(MOD, "%s/%s: %s: %s", sw->slice, sw->sw, act->target, msg);
        ofchan_backoff_failed(&act->backoff, now_ms);
        return;
    }
    act->conn = ofconn_new(sw, ofchan_create(stream, &ofa_chan_limits), i, act->target);
}

/* ---- Switches ------------------------------------------------------------ */

static uint64_t
default_dpid(const char *slice, const char *sw)
{
    uint64_t h = 14695981039346656037ull;

    for (const char *p = slice; *p; p++) {
        h = (h ^ (unsigned char) *p) * 1099511628211ull;
    }
    h = (h ^ '/') * 1099511628211ull;
    for (const char *p = sw; *p; p++) {
        h = (h ^ (unsigned char) *p) * 1099511628211ull;
    }
    return 0x4c4d000000000000ull | (h & 0xffffffffffffull);
}

static struct ofsw *
ofsw_create(const char *slice, const char *swname, void *state)
{
    const struct fp_openflow_config *cfg = fp_openflow_config(state);
    struct ofsw *sw = xzalloc(sizeof *sw);

    sw->slice = xstrdup(slice);
    sw->sw = xstrdup(swname);
    sw->fp_state = state;
    sw->pl = fp_openflow_pipeline(state);
    sw->n_tables = ofpl_n_tables(sw->pl);
    sw->dpid = cfg->has_datapath_id ? cfg->datapath_id : default_dpid(slice, swname);
    sw->miss_send_len = OFA_DEFAULT_MISS_SEND_LEN;
    sw->listen = cfg->listen ? xstrdup(cfg->listen) : NULL;
    sw->secret = cfg->secret ? xstrdup(cfg->secret) : NULL;
    sw->switch_secret = cfg->switch_secret ? xstrdup(cfg->switch_secret) : NULL;
    if (cfg->open && sw->listen && !sw->secret && strncmp(sw->listen, "pssl:", 5)) {
        LOG_WARN(MOD, "%s/%s: listener %s is open: whoever reaches it controls "
                 "this vnode's flows (docs/security.md)", slice, swname, sw->listen);
    }
    sw->tls_files[0] = cfg->private_key ? xstrdup(cfg->private_key) : NULL;
    sw->tls_files[1] = cfg->certificate ? xstrdup(cfg->certificate) : NULL;
    sw->tls_files[2] = cfg->ca_cert ? xstrdup(cfg->ca_cert) : NULL;
    for (unsigned i = 0; i < cfg->n_controllers; i++) {
        sw->actives[i].target = xstrdup(cfg->controllers[i]);
        ofchan_backoff_init(&sw->actives[i].backoff, OFA_BACKOFF_MIN_MS,
                            OFA_BACKOFF_MAX_MS);
    }
    sw->n_actives = cfg->n_controllers;
    LOG_INFO(MOD, "%s/%s: OpenFlow switch, datapath id %016llx, %u tables",
             slice, swname, (unsigned long long) sw->dpid, sw->n_tables);
    return sw;
}

static void
ofsw_destroy(struct ofsw *sw)
{
    for (size_t i = 0; i < sw->n_conns; i++) {
        ofconn_free(sw->conns[i]);
    }
    for (unsigned i = 0; i < sw->n_actives; i++) {
        free(sw->actives[i].target);
    }
    ofstream_listener_close(sw->listener);
    ofstream_tls_destroy(sw->tls);
    for (int i = 0; i < 3; i++) {
        free(sw->tls_files[i]);
    }
    free(sw->conns);
    free(sw->ports);
    free(sw->listen);
    free(sw->secret);
    free(sw->switch_secret);
    free(sw->slice);
    free(sw->sw);
    free(sw);
}

static void
port_info(const struct ofsw *sw, uint16_t idx, struct ofp_port_info *pi)
{
    memset(pi, 0, sizeof *pi);
    pi->port_no = idx + 1u;
    pi->hw_addr[0] = 0x02;
    pi->hw_addr[1] = sw->dpid >> 16;
    pi->hw_addr[2] = sw->dpid >> 8;
    pi->hw_addr[3] = sw->dpid;
    pi->hw_addr[4] = idx >> 8;
    pi->hw_addr[5] = idx;
    str_copy(pi->name, sw->ports[idx].name, sizeof pi->name);
    pi->state = OFA_PPS_LIVE;
    pi->curr = pi->advertised = pi->supported = OFA_PPF_10GB_FD | OFA_PPF_COPPER;
    pi->curr_speed = pi->max_speed = 10000000;
}

/* Sends 'msg' (encoded once) to every negotiated connection of 'sw';
 * slaves get only what 'to_slaves' allows. */
static void
ofsw_broadcast(struct ofagent *a, struct ofsw *sw, const struct ofp_msg *msg,
               bool to_slaves, bool droppable)
{
    bool encoded = false;

    for (size_t i = 0; i < sw->n_conns; i++) {
        struct ofconn *c = sw->conns[i];
        if (!c->negotiated || !c->gate.open || c->dead
            || (!to_slaves && c->role == OFA_ROLE_SLAVE)) {
            continue;
        }
        if (!encoded) {
            ofpbuf_clear(&a->scratch);
            if (ofp_encode(msg, &a->scratch)) {
                return;
            }
            encoded = true;
        }
        ofconn_send(c, a->scratch.data, a->scratch.size, droppable);
    }
}

static void
ofsw_port_status(struct ofagent *a, struct ofsw *sw, uint16_t idx, uint8_t reason)
{
    struct ofp_msg msg;

    ofp_msg_init(&msg, OFPT_PORT_STATUS, 0);
    msg.port_status.reason = reason;
    port_info(sw, idx, &msg.port_status.port);
    ofsw_broadcast(a, sw, &msg, true, false);
    ofp_msg_free(&msg);
}

/* The vports of 'sw' now (index -> name), from the dataplane. */
static void
ofsw_sync_ports(struct ofagent *a, struct ofsw *sw)
{
    json_t *stats = dp_stats_to_json("vnode", sw->slice);
    json_t *vnodes = json_object_get(stats, "vnodes"), *vn, *vp;
    struct ofport *now = NULL;
    size_t n_now = 0, i, j;

    json_array_foreach(vnodes, i, vn) {
        if (strcmp(json_string_value(json_object_get(vn, "switch")) ?: "", sw->sw)) {
            continue;
        }
        json_array_foreach(json_object_get(vn, "vports"), j, vp) {
            json_int_t idx = json_integer_value(json_object_get(vp, "index"));
            const char *name = json_string_value(json_object_get(vp, "name"));
            if (idx < 0 || idx >= OFPL_MAX_PORTS || !name) {
                continue;
            }
            if ((size_t) idx >= n_now) {
                now = xrealloc(now, (idx + 1) * sizeof *now);
                memset(now + n_now, 0, (idx + 1 - n_now) * sizeof *now);
                n_now = idx + 1;
            }
            now[idx].present = true;
            str_copy(now[idx].name, name, sizeof now[idx].name);
        }
    }
    json_decref(stats);

    size_t n = n_now > sw->n_ports ? n_now : sw->n_ports;
    bool paused = false;
    for (size_t k = 0; k < n; k++) {
        bool was = k < sw->n_ports && sw->ports[k].present;
        bool is = k < n_now && now[k].present;
        bool same = was && is && !strcmp(sw->ports[k].name, now[k].name);
        if (same || (!was && !is)) {
            continue;
        }
        if (!paused) {
            dp_pause();
            paused = true;
        }
        if (was) {
            ofpl_set_port_live(sw->pl, k, false);
            ofsw_port_status(a, sw, k, OFA_PR_DELETE);
        }
        if (is) {
            ofpl_set_port_live(sw->pl, k, true);
        }
    }
    if (paused) {
        dp_resume();
    }
    /* Announce additions with the new names. */
    struct ofport *old = sw->ports;
    size_t n_old = sw->n_ports;
    sw->ports = now;
    sw->n_ports = n_now;
    for (size_t k = 0; k < n_now; k++) {
        bool was = k < n_old && old[k].present && !strcmp(old[k].name, now[k].name);
        if (now[k].present && !was) {
            ofsw_port_status(a, sw, k, OFA_PR_ADD);
        }
    }
    free(old);
}

struct ofagent *
ofagent_create(void)
{
    struct ofagent *a = xzalloc(sizeof *a);
    ofpbuf_init(&a->scratch, 65536);
    return a;
}

void
ofagent_destroy(struct ofagent *a)
{
    if (!a) {
        return;
    }
    for (size_t i = 0; i < a->n_sws; i++) {
        ofsw_destroy(a->sws[i]);
    }
    free(a->sws);
    free(a->owners);
    ofpbuf_uninit(&a->scratch);
    free(a);
}

void
ofagent_sync(struct ofagent *a)
{
    json_t *config = dp_config_to_json();
    json_t *vnodes = json_object_get(config, "vnodes"), *vn;
    size_t i, k;

    for (i = 0; i < a->n_sws; i++) {
        a->sws[i]->seen = false;
    }
    json_array_foreach(vnodes, i, vn) {
        const char *fp = json_string_value(json_object_get(vn, "fp"));
        const char *slice = json_string_value(json_object_get(vn, "slice"));
        const char *swname = json_string_value(json_object_get(vn, "switch"));
        const struct dp_fp_class *cls;
        struct ofsw *sw = NULL;
        void *state;

        if (!fp || strcmp(fp, "openflow") || !slice || !swname) {
            continue;
        }
        state = dp_vnode_fp_state(slice, swname, &cls);
        if (!state || cls != &dp_fp_openflow) {
            continue;
        }
        for (k = 0; k < a->n_sws; k++) {
            if (!strcmp(a->sws[k]->slice, slice) && !strcmp(a->sws[k]->sw, swname)) {
                sw = a->sws[k];
                break;
            }
        }
        if (sw && sw->fp_state != state) {
            sw->seen = false;       /* re-created: start afresh */
            sw = NULL;
        }
        if (!sw) {
            sw = ofsw_create(slice, swname, state);
            a->sws = xrealloc(a->sws, (a->n_sws + 1) * sizeof *a->sws);
            a->sws[a->n_sws++] = sw;
            ofsw_try_listen(sw);
            for (unsigned c = 0; c < sw->n_actives; c++) {
                ofsw_try_connect(sw, c, time_ms());
            }
        }
        sw->seen = true;
        ofsw_sync_ports(a, sw);
    }
    json_decref(config);
    for (i = k = 0; i < a->n_sws; i++) {
        if (a->sws[i]->seen) {
            a->sws[k++] = a->sws[i];
        } else {
            LOG_INFO(MOD, "%s/%s: OpenFlow switch gone", a->sws[i]->slice, a->sws[i]->sw);
            ofsw_destroy(a->sws[i]);
            a->epoch++;
        }
    }
    a->n_sws = k;
}

/* ---- Messages --------------------------------------------------------------- */

static void
send_error(struct ofagent *a, struct ofconn *c, const uint8_t *req, size_t len,
           struct ofp_error err)
{
    char name[96];

    LOG_DBG(MOD, "%s/%s: error %s to %s", c->sw->slice, c->sw->sw,
              ofp_error_format(err, name, sizeof name), c->peer);
    ofpbuf_clear(&a->scratch);
    ofp_encode_error_reply(&a->scratch, req, len, err);
    ofconn_send(c, a->scratch.data, a->scratch.size, false);
}

struct removed_aux {
    struct ofagent *a;
    struct ofsw *sw;
};

static void
send_flow_removed(void *aux_, const struct ofpl_removed *r)
{
    struct removed_aux *aux = aux_;
    struct ofp_msg msg;

    ofp_msg_init(&msg, OFPT_FLOW_REMOVED, 0);
    msg.flow_removed = (struct ofp_flow_removed_body) {
        .cookie = r->cookie, .priority = r->priority, .reason = r->reason,
        .table_id = r->table_id,
        .duration_sec = r->duration_ns / 1000000000ull,
        .duration_nsec = r->duration_ns % 1000000000ull,
        .idle_timeout = r->idle_timeout, .hard_timeout = r->hard_timeout,
        .packet_count = r->packet_count, .byte_count = r->byte_count,
        .match = *r->match,
    };
    ofsw_broadcast(aux->a, aux->sw, &msg, false, false);
    ofp_msg_free(&msg);
}

/* Encodes and sends a multipart reply 'rep' in chunks of OFA_MP_CHUNK
 * entries of 'entry_size' bytes (the list is rep->mp.list). */
static void
send_mp_list(struct ofagent *a, struct ofconn *c, struct ofp_msg *rep,
             void *entries, size_t n, size_t entry_size)
{
    size_t done = 0;

    do {
        size_t k = n - done > OFA_MP_CHUNK ? OFA_MP_CHUNK : n - done;
        rep->mp.list.n = k;
        rep->mp.list.flows = (void *) ((char *) entries + done * entry_size);
        rep->mp.flags = done + k < n ? OFPMPF_MORE : 0;
        ofconn_send_msg(c, a, rep);
        done += k;
    } while (done < n);
}

struct flow_collect {
    struct ofp_msg *rep;
    struct ofp_flow_stats *flows;
    size_t n, cap;
    struct ofp_aggregate_stats agg;
};

static void
collect_flow(void *aux_, const struct ofp_flow_stats *fs)
{
    struct flow_collect *fc = aux_;

    fc->agg.packet_count += fs->packet_count;
    fc->agg.byte_count += fs->byte_count;
    fc->agg.flow_count++;
    if (!fc->rep) {
        return;
    }
    if (fc->n == fc->cap) {
        fc->cap = fc->cap ? 2 * fc->cap : 64;
        fc->flows = xrealloc(fc->flows, fc->cap * sizeof *fc->flows);
    }
    fc->flows[fc->n++] = *fs;
}

static void
port_stats(struct ofsw *sw, uint32_t port_no, struct ofp_msg *rep,
           struct ofp_port_stats **out, size_t *n_out)
{
    json_t *stats = dp_stats_to_json("vnode", sw->slice), *vn, *vp;
    struct ofp_port_stats *ps = NULL;
    size_t n = 0, i, j;
    uint64_t now = fp_openflow_now_ns();

    json_array_foreach(json_object_get(stats, "vnodes"), i, vn) {
        if (strcmp(json_string_value(json_object_get(vn, "switch")) ?: "", sw->sw)) {
            continue;
        }
        size_t total = json_array_size(json_object_get(vn, "vports"));
        ps = ofp_msg_alloc(rep, (total + 1) * sizeof *ps);
        json_array_foreach(json_object_get(vn, "vports"), j, vp) {
            uint32_t no = json_integer_value(json_object_get(vp, "index")) + 1;
            if (port_no != OFPP13_ANY && port_no != no) {
                continue;
            }
            memset(&ps[n], 0, sizeof ps[n]);
            ps[n].port_no = no;
            ps[n].rx_packets = json_integer_value(json_object_get(vp, "rx_packets"));
            ps[n].rx_bytes = json_integer_value(json_object_get(vp, "rx_bytes"));
            ps[n].tx_packets = json_integer_value(json_object_get(vp, "tx_packets"));
            ps[n].tx_bytes = json_integer_value(json_object_get(vp, "tx_bytes"));
            ps[n].tx_dropped = json_integer_value(json_object_get(vp, "dropped"));
            ps[n].duration_sec = now / 1000000000ull;
            ps[n].duration_nsec = now % 1000000000ull;
            n++;
        }
    }
    json_decref(stats);
    *out = ps;
    *n_out = n;
}

static void
handle_multipart(struct ofagent *a, struct ofconn *c, const struct ofp_msg *req,
                 uint64_t now)
{
    struct ofsw *sw = c->sw;
    struct ofp_msg rep;

    ofp_msg_init(&rep, OFPT_MULTIPART_REPLY, req->xid);
    rep.mp.type = req->mp.type;
    switch (req->mp.type) {
    case OFPMP_DESC: {
        struct ofp_desc *d = ofp_msg_alloc(&rep, sizeof *d);
        memset(d, 0, sizeof *d);
        snprintf(d->mfr_desc, sizeof d->mfr_desc, "Lamina");
        snprintf(d->hw_desc, sizeof d->hw_desc, "Lamina openflow vnode (DPDK)");
        snprintf(d->sw_desc, sizeof d->sw_desc, "lamina-switchd");
        snprintf(d->serial_num, sizeof d->serial_num, "%016llx",
                 (unsigned long long) sw->dpid);
        snprintf(d->dp_desc, sizeof d->dp_desc, "slice %s on switch %s",
                 sw->slice, sw->sw);
        rep.mp.desc = d;
        ofconn_send_msg(c, a, &rep);
        break;
    }
    case OFPMP_FLOW:
    case OFPMP_AGGREGATE: {
        struct flow_collect fc = { .rep = req->mp.type == OFPMP_FLOW ? &rep : NULL };
        ofpl_flow_stats(sw->pl, &req->mp.flow_req, now, collect_flow, &fc);
        if (req->mp.type == OFPMP_FLOW) {
            send_mp_list(a, c, &rep, fc.flows, fc.n, sizeof *fc.flows);
        } else {
            rep.mp.aggregate = fc.agg;
            ofconn_send_msg(c, a, &rep);
        }
        free(fc.flows);
        break;
    }
    case OFPMP_TABLE: {
        struct ofp_table_stats *ts = ofp_msg_alloc(&rep, sw->n_tables * sizeof *ts);
        for (unsigned t = 0; t < sw->n_tables; t++) {
            ofpl_table_stats(sw->pl, t, &ts[t]);
        }
        send_mp_list(a, c, &rep, ts, sw->n_tables, sizeof *ts);
        break;
    }
    case OFPMP_PORT_STATS: {
        struct ofp_port_stats *ps;
        size_t n;
        port_stats(sw, req->mp.port_no, &rep, &ps, &n);
        send_mp_list(a, c, &rep, ps, n, sizeof *ps);
        break;
    }
    case OFPMP_PORT_DESC: {
        struct ofp_port_info *pi = ofp_msg_alloc(&rep, (sw->n_ports + 1) * sizeof *pi);
        size_t n = 0;
        for (size_t k = 0; k < sw->n_ports; k++) {
            if (sw->ports[k].present) {
                port_info(sw, k, &pi[n++]);
            }
        }
        send_mp_list(a, c, &rep, pi, n, sizeof *pi);
        break;
    }
    case OFPMP_GROUP:
    case OFPMP_GROUP_DESC: {
        size_t ng = ofpl_n_groups(sw->pl), n = 0;
        bool desc = req->mp.type == OFPMP_GROUP_DESC;
        size_t size = desc ? sizeof(struct ofp_group_desc) : sizeof(struct ofp_group_stats);
        char *arr = ofp_msg_alloc(&rep, (ng + 1) * size);
        for (size_t i = 0; i < ng; i++) {
            if (desc) {
                ofpl_group_desc(sw->pl, i, (struct ofp_group_desc *) arr + n++, &rep);
            } else if (req->mp.group_id == 0xfffffffcu
                       || req->mp.group_id == ofpl_group_id(sw->pl, i)) {
                ofpl_group_stats(sw->pl, i, now, (struct ofp_group_stats *) arr + n++,
                                 &rep);
            }
        }
        send_mp_list(a, c, &rep, arr, n, size);
        break;
    }
    case OFPMP_METER: {
        size_t nm = ofpl_n_meters(sw->pl), n = 0;
        struct ofp_meter_stats *ms = ofp_msg_alloc(&rep, (nm + 1) * sizeof *ms);
        for (size_t i = 0; i < nm; i++) {
            if (req->mp.meter_id == 0xffffffffu
                || req->mp.meter_id == ofpl_meter_id(sw->pl, i)) {
                ofpl_meter_stats(sw->pl, i, now, &ms[n++], &rep);
            }
        }
        send_mp_list(a, c, &rep, ms, n, sizeof *ms);
        break;
    }
    case OFPMP_METER_CONFIG: {
        size_t nm = ofpl_n_meters(sw->pl), n = 0;
        struct ofp_meter_config *mc = ofp_msg_alloc(&rep, (nm + 1) * sizeof *mc);
        for (size_t i = 0; i < nm; i++) {
            if (req->mp.meter_id == 0xffffffffu
                || req->mp.meter_id == ofpl_meter_id(sw->pl, i)) {
                ofpl_meter_config(sw->pl, i, &mc[n++], &rep);
            }
        }
        send_mp_list(a, c, &rep, mc, n, sizeof *mc);
        break;
    }
    case OFPMP_METER_FEATURES:
        ofpl_meter_features(&rep.mp.meter_features);
        ofconn_send_msg(c, a, &rep);
        break;
    case OFPMP_GROUP_FEATURES:
        ofpl_group_features(&rep.mp.group_features);
        ofconn_send_msg(c, a, &rep);
        break;
    default:
        send_error(a, c, req->raw, req->raw_len,
                   OFP_ERROR(OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART));
        break;
    }
    ofp_msg_free(&rep);
}

/* Table features.  The codec does not decode this request, but
 * ovs-ofctl asks for it before most commands and insists on the eight
 * properties OpenFlow 1.3 requires, so the agent answers it by hand:
 * every instruction, action and OXM field the pipeline supports, in every
 * table. */
static void
tf_prop_begin(struct ofpbuf *b, uint16_t type, size_t *start)
{
    uint8_t *h = ofpbuf_put_zeros(b, 4);
    h[0] = type >> 8;
    h[1] = type;
    *start = b->size - 4;
}

static void
tf_prop_end(struct ofpbuf *b, size_t start)
{
    size_t len = b->size - start;
    uint8_t *h = ofpbuf_at(b, start);
    h[2] = len >> 8;
    h[3] = len;
    ofpbuf_pad(b, start, 8);
}

static void
tf_put16x2(struct ofpbuf *b, uint16_t type, uint16_t len)
{
    uint8_t *p = ofpbuf_put_uninit(b, 4);
    p[0] = type >> 8;
    p[1] = type;
    p[2] = len >> 8;
    p[3] = len;
}

static void
tf_oxms(struct ofpbuf *b, uint16_t type, bool masks, bool writable)
{
    size_t start;

    tf_prop_begin(b, type, &start);
    for (int f = 0; f < OFP_F_N; f++) {
        bool hm = masks && ofp_fields[f].maskable;
        if (writable && !ofp_field_settable(f)) {
            continue;               /* set-field: what it refuses */
        }
        tf_put16x2(b, OFPXMC_OPENFLOW_BASIC,
                   ofp_fields[f].oxm_field << 9 | hm << 8
                   | (ofp_fields[f].len * (hm ? 2 : 1)));
    }
    tf_prop_end(b, start);
}

static bool
send_table_features(struct ofagent *a, struct ofconn *c, const uint8_t *p,
                    size_t len)
{
    struct ofpbuf *b = &a->scratch;
    size_t start;

    if (len < 16 || p[1] != OFPT_MULTIPART_REQUEST
        || (p[8] << 8 | p[9]) != OFA_MP_TABLE_FEATURES) {
        return false;
    }
    ofpbuf_clear(b);
    for (unsigned t = 0; t < c->sw->n_tables; t++) {
        if (!b->size) {
            uint8_t *h = ofpbuf_put_zeros(b, 16);
            h[0] = OFP13_VERSION_WIRE;
            h[1] = OFPT_MULTIPART_REPLY;
            memcpy(h + 4, p + 4, 4);
            h[9] = OFA_MP_TABLE_FEATURES;
        }
        size_t tstart = b->size;
        uint8_t *e = ofpbuf_put_zeros(b, 64);
        e[2] = t;
        snprintf((char *) e + 8, 32, "table%u", t);
        memset(e + 40, 0xff, 16);           /* metadata match/write */
        e[61] = 0x03;                       /* max_entries: 200000 */
        e[62] = 0x0d;
        e[63] = 0x40;
        for (uint16_t miss = 0; miss < 2; miss++) {
            tf_prop_begin(b, 0 + miss, &start);      /* instructions */
            for (uint16_t i = 1; i <= 6; i++) {
                if (i != 1 || t + 1 < c->sw->n_tables) {
                    tf_put16x2(b, i, 4);
                }
            }
            tf_prop_end(b, start);
            tf_prop_begin(b, 2 + miss, &start);      /* next tables */
            for (unsigned n = t + 1; n < c->sw->n_tables; n++) {
                *(uint8_t *) ofpbuf_put_uninit(b, 1) = n;
            }
            tf_prop_end(b, start);
            for (uint16_t kind = 4; kind <= 6; kind += 2) { /* write, apply */
                tf_prop_begin(b, kind + miss, &start);
                for (size_t i = 0; i < ofpl_n_action_types; i++) {
                    tf_put16x2(b, ofpl_action_types[i], 4);
                }
                tf_prop_end(b, start);
            }
        }
        tf_oxms(b, 8, true, false);         /* match */
        tf_oxms(b, 10, false, false);       /* wildcards */
        tf_oxms(b, 12, false, true);        /* write set-field */
        tf_oxms(b, 14, false, true);        /* apply set-field */
        e = ofpbuf_at(b, tstart);
        e[0] = (b->size - tstart) >> 8;
        e[1] = b->size - tstart;
        bool last = t + 1 == c->sw->n_tables;
        if (last || b->size > 60000) {
            uint8_t *h = ofpbuf_at(b, 0);
            h[2] = b->size >> 8;
            h[3] = b->size;
            h[11] = last ? 0 : OFPMPF_MORE;
            ofconn_send(c, b->data, b->size, false);
            ofpbuf_clear(b);
        }
    }
    return true;
}

/* Packet-out: run the actions here on a copy, inject the results. */
struct po_aux {
    struct ofagent *a;
    struct ofsw *sw;
    uint16_t in_vport;
};

static void
send_packet_in(struct ofagent *a, struct ofsw *sw, const uint8_t *data, size_t len,
               size_t total_len, uint16_t in_vport, uint8_t reason, uint8_t table,
               uint64_t cookie)
{
    struct ofp_msg msg;

    ofp_msg_init(&msg, OFPT_PACKET_IN, 0);
    msg.packet_in.buffer_id = OFP13_NO_BUFFER;
    msg.packet_in.total_len = total_len;
    msg.packet_in.reason = reason;
    msg.packet_in.table_id = table;
    msg.packet_in.cookie = cookie;
    ofp_match_init(&msg.packet_in.match);
    ofp_match_set_u(&msg.packet_in.match, OFP_F_IN_PORT,
                    in_vport == OFPL_NO_PORT ? OFPP13_CONTROLLER : in_vport + 1u);
    msg.packet_in.data = data;
    msg.packet_in.data_len = len;
    ofsw_broadcast(a, sw, &msg, false, true);
    ofp_msg_free(&msg);
}

static void
po_emit(void *aux_, const struct ofpl_packet *pkt, const struct ofpl_out *o)
{
    struct po_aux *aux = aux_;
    struct ofsw *sw = aux->sw;
    uint16_t in = aux->in_vport == OFPL_NO_PORT ? DP_FP_DROP : aux->in_vport;
    struct dp_error err;
    int error = 0;

    switch (o->kind) {
    case OFPL_OUT_PORT:
        error = dp_vnode_inject(sw->slice, sw->sw, pkt->data, pkt->len, in, o->port, &err);
        break;
    case OFPL_OUT_FLOOD:
        error = dp_vnode_inject(sw->slice, sw->sw, pkt->data, pkt->len, in,
                                DP_FP_FLOOD, &err);
        break;
    case OFPL_OUT_CONTROLLER:
        if (o->reason == OFPL_REASON_TABLE) {
            if (aux->in_vport == OFPL_NO_PORT) {
                LOG_DBG(MOD, "%s/%s: packet-out to TABLE needs a real in_port",
                          sw->slice, sw->sw);
                return;
            }
            error = dp_vnode_inject(sw->slice, sw->sw, pkt->data, pkt->len, in,
                                    DP_INJECT_PIPELINE, &err);
        } else {
            size_t len = o->max_len < pkt->len ? o->max_len : pkt->len;
            send_packet_in(aux->a, sw, pkt->data, len, pkt->len, aux->in_vport,
                           OFPL_REASON_ACTION, 0xff, UINT64_MAX);
        }
        break;
    default:
        break;
    }
    if (error) {
        LOG_DBG(MOD, "%s/%s: packet-out: %s", sw->slice, sw->sw, err.msg);
    }
}

static void
handle_packet_out(struct ofagent *a, struct ofconn *c, const struct ofp_msg *msg,
                  uint64_t now)
{
    const struct ofp_packet_out_body *po = &msg->packet_out;
    struct ofsw *sw = c->sw;
    uint8_t buf[128 + 9216];
    struct ofp_error err;
    uint16_t in;

    if (po->buffer_id != OFP13_NO_BUFFER) {
        send_error(a, c, msg->raw, msg->raw_len,
                   OFP_ERROR(OFPET_BAD_REQUEST, OFPBRC_BUFFER_UNKNOWN));
        return;
    }
    if (po->in_port == OFPP13_CONTROLLER || po->in_port == OFPP13_ANY) {
        in = OFPL_NO_PORT;
    } else if (po->in_port >= 1 && po->in_port <= sw->n_ports
               && sw->ports[po->in_port - 1].present) {
        in = po->in_port - 1;
    } else {
        send_error(a, c, msg->raw, msg->raw_len,
                   OFP_ERROR(OFPET_BAD_REQUEST, OFPBRC_BAD_PORT));
        return;
    }
    if (ofpl_check_actions(sw->pl, po->actions.actions, po->actions.n, true, &err)) {
        send_error(a, c, msg->raw, msg->raw_len, err);
        return;
    }
    if (po->data_len < 14 || po->data_len > sizeof buf - 128) {
        send_error(a, c, msg->raw, msg->raw_len,
                   OFP_ERROR(OFPET_BAD_REQUEST, OFPBRC_BAD_PACKET));
        return;
    }
    memcpy(buf + 128, po->data, po->data_len);
    struct ofpl_packet pkt = { .data = buf + 128, .len = po->data_len, .headroom = 128 };
    struct po_aux aux = { .a = a, .sw = sw, .in_vport = in };
    struct ofpl_out last;
    ofpl_run_actions(sw->pl, &pkt, in, po->actions.actions, po->actions.n, now,
                     po_emit, &aux, &last);
    if (last.kind != OFPL_OUT_DROP) {
        po_emit(&aux, &pkt, &last);
    }
}

static void
handle_role(struct ofagent *a, struct ofconn *c, const struct ofp_msg *msg)
{
    struct ofsw *sw = c->sw;
    uint32_t role = msg->role.role;
    struct ofp_msg rep;

    if (role == OFA_ROLE_MASTER || role == OFA_ROLE_SLAVE) {
        if (sw->have_generation
            && (int64_t) (msg->role.generation_id - sw->generation_id) < 0) {
            send_error(a, c, msg->raw, msg->raw_len,
                       OFP_ERROR(OFPET_ROLE_REQUEST_FAILED, OFPRRFC_STALE));
            return;
        }
        sw->have_generation = true;
        sw->generation_id = msg->role.generation_id;
    }
    if (role == OFA_ROLE_MASTER) {
        for (size_t i = 0; i < sw->n_conns; i++) {
            if (sw->conns[i] != c && sw->conns[i]->role == OFA_ROLE_MASTER) {
                sw->conns[i]->role = OFA_ROLE_SLAVE;
            }
        }
    }
    if (role != OFA_ROLE_NOCHANGE) {
        c->role = role;
    }
    ofp_msg_init(&rep, OFPT_ROLE_REPLY, msg->xid);
    rep.role.role = c->role;
    rep.role.generation_id = sw->have_generation ? sw->generation_id : 0;
    ofconn_send_msg(c, a, &rep);
    ofp_msg_free(&rep);
}

/* Handles one complete message from 'c'.  '*paused' tells whether the
 * workers are already paused (set on the first message that needs it). */
static void
handle_msg(struct ofagent *a, struct ofconn *c, const uint8_t *p, size_t len,
           bool *paused)
{
    struct ofsw *sw = c->sw;
    struct ofp_error err;
    struct ofp_msg msg, rep;
    uint64_t now = fp_openflow_now_ns();

    if (ofp_decode(p, len, &msg, &err)) {
        if (!send_table_features(a, c, p, len)) {
            send_error(a, c, p, len, err);
        }
        ofp_msg_free(&msg);
        return;
    }
    if (!c->negotiated && msg.type != OFPT_HELLO) {
        /* A peer that skipped HELLO: treat its version as its hello. */
        if (msg.version != OFP13_VERSION_WIRE) {
            send_error(a, c, p, len, OFP_ERROR(OFPET_HELLO_FAILED, OFPHFC_INCOMPATIBLE));
            ofconn_kill(c, "no common OpenFlow version");
            ofp_msg_free(&msg);
            return;
        }
        c->negotiated = true;
    }
    bool is_write = msg.type == OFPT_FLOW_MOD || msg.type == OFPT_GROUP_MOD
                    || msg.type == OFPT_METER_MOD || msg.type == OFPT_PACKET_OUT;
    if (is_write && c->role == OFA_ROLE_SLAVE) {
        send_error(a, c, p, len, OFP_ERROR(OFPET_BAD_REQUEST, OFPBRC_IS_SLAVE));
        ofp_msg_free(&msg);
        return;
    }
    if (!*paused && (is_write || msg.type == OFPT_MULTIPART_REQUEST)) {
        dp_pause();
        *paused = true;
    }
    struct removed_aux raux = { a, sw };
    switch (msg.type) {
    case OFPT_HELLO: {
        uint8_t version;
        if (ofp_hello_negotiate(&msg.hello, msg.version, OFA_VERSIONS, &version, &err)) {
            send_error(a, c, p, len, err);
            ofconn_kill(c, "no common OpenFlow version (Lamina speaks 1.3)");
        } else {
            c->negotiated = true;
            if (c->active >= 0) {
                ofchan_backoff_success(&sw->actives[c->active].backoff);
            }
            LOG_INFO(MOD, "%s/%s: %s speaks OpenFlow 1.3", sw->slice, sw->sw, c->peer);
        }
        break;
    }
    case OFPT_ECHO_REQUEST:
        ofpbuf_clear(&a->scratch);
        ofp_encode_echo_reply(&a->scratch, &msg);
        ofconn_send(c, a->scratch.data, a->scratch.size, false);
        break;
    case OFPT_ECHO_REPLY:
        break;
    case OFPT_ERROR: {
        char name[96];
        LOG_INFO(MOD, "%s/%s: %s sent error %s", sw->slice, sw->sw, c->peer,
                 ofp_error_format(OFP_ERROR(msg.error.type, msg.error.code), name,
                                  sizeof name));
        break;
    }
    case OFPT_FEATURES_REQUEST:
        ofp_msg_init(&rep, OFPT_FEATURES_REPLY, msg.xid);
        rep.features.datapath_id = sw->dpid;
        rep.features.n_buffers = 0;
        rep.features.n_tables = sw->n_tables;
        rep.features.capabilities = OFA_CAPABILITIES;
        ofconn_send_msg(c, a, &rep);
        ofp_msg_free(&rep);
        break;
    case OFPT_GET_CONFIG_REQUEST:
        ofp_msg_init(&rep, OFPT_GET_CONFIG_REPLY, msg.xid);
        rep.config.flags = sw->config_flags;
        rep.config.miss_send_len = sw->miss_send_len;
        ofconn_send_msg(c, a, &rep);
        ofp_msg_free(&rep);
        break;
    case OFPT_SET_CONFIG:
        sw->config_flags = msg.config.flags;
        sw->miss_send_len = msg.config.miss_send_len;
        break;
    case OFPT_BARRIER_REQUEST:
        /* Everything before it is applied: messages run in order. */
        ofpbuf_clear(&a->scratch);
        ofp_encode_simple(&a->scratch, OFPT_BARRIER_REPLY, msg.xid);
        ofconn_send(c, a->scratch.data, a->scratch.size, false);
        break;
    case OFPT_FLOW_MOD:
        if (msg.flow_mod.buffer_id != OFP13_NO_BUFFER && msg.flow_mod.command <= 2) {
            /* No buffers: the flow is added, the buffer is unknown. */
            if (!ofpl_flow_mod(sw->pl, &msg.flow_mod, now, send_flow_removed, &raux, &err)) {
                err = OFP_ERROR(OFPET_BAD_REQUEST, OFPBRC_BUFFER_UNKNOWN);
            }
            send_error(a, c, p, len, err);
        } else if (ofpl_flow_mod(sw->pl, &msg.flow_mod, now, send_flow_removed,
                                 &raux, &err)) {
            send_error(a, c, p, len, err);
        }
        break;
    case OFPT_GROUP_MOD:
        if (ofpl_group_mod(sw->pl, &msg.group_mod, now, send_flow_removed, &raux, &err)) {
            send_error(a, c, p, len, err);
        }
        break;
    case OFPT_METER_MOD:
        if (ofpl_meter_mod(sw->pl, &msg.meter_mod, now, send_flow_removed, &raux, &err)) {
            send_error(a, c, p, len, err);
        }
        break;
    case OFPT_PACKET_OUT:
        handle_packet_out(a, c, &msg, now);
        break;
    case OFPT_MULTIPART_REQUEST:
        handle_multipart(a, c, &msg, now);
        break;
    case OFPT_ROLE_REQUEST:
        handle_role(a, c, &msg);
        break;
    default:
        send_error(a, c, p, len, OFP_ERROR(OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE));
        break;
    }
    ofp_msg_free(&msg);
}

/* Refuses 'c''s peer for its credential ('why'): HELLO_FAILED/EPERM, then
 * closed; counted, and logged once per source address. */
static void
ofconn_refuse(struct ofagent *a, struct ofconn *c, const uint8_t *p, size_t len,
              const char *why)
{
    struct ofsw *sw = c->sw;

    if (p) {
        send_error(a, c, p, len, OFP_ERROR(OFPET_HELLO_FAILED, OFPHFC_EPERM));
    }
    if (ofauth_failure(&sw->refused, c->peer)) {
        LOG_WARN(MOD, "%s/%s: %s refused: %s (%llu refused so far; this "
                 "source is not logged again for a while)", sw->slice, sw->sw,
                 c->peer, why, (unsigned long long) sw->refused.n);
    }
    c->dead = true;
}

/* Handles message 'p' from 'c' through the connection's gate: nothing but
 * HELLO is handled before the peer presented the listener's secret. */
static void
ofconn_handle(struct ofagent *a, struct ofconn *c, const uint8_t *p, size_t len,
              bool *paused)
{
    const char *why;
    struct ofpbuf held;

    switch (ofauth_gate_input(&c->gate, p, len, &why)) {
    case OFAUTH_PASS:
        handle_msg(a, c, p, len, paused);
        break;
    case OFAUTH_HELD:
        break;
    case OFAUTH_REFUSED:
        ofconn_refuse(a, c, p, len, why);
        break;
    case OFAUTH_ACCEPTED:
        ofpbuf_clear(&a->scratch);
        ofauth_encode_reply(&a->scratch, p, len);
        ofconn_send(c, a->scratch.data, a->scratch.size, false);
        LOG_INFO(MOD, "%s/%s: %s presented the secret", c->sw->slice, c->sw->sw,
                 c->peer);
        ofauth_gate_take_held(&c->gate, &held);
        const uint8_t *m;
        size_t ofs = 0, n;
        while (!c->dead && ofauth_held_next(&held, &ofs, &m, &n)) {
            handle_msg(a, c, m, n, paused);
        }
        ofpbuf_uninit(&held);
        break;
    }
}

static void
ofconn_read(struct ofagent *a, struct ofconn *c, bool *paused)
{
    /* Fairness: at most OFA_READ_MSGS per pass; what the channel then
     * holds makes ofagent_timeout_ms() return 0 (ofchan_wakeup_now()). */
    for (int n = 0; !c->dead && n < OFA_READ_MSGS; n++) {
        const uint8_t *msg;
        size_t len;
        int error = ofchan_recv(c->ch, &msg, &len);

        if (error == EAGAIN) {
            return;
        }
        if (error) {
            ofconn_kill(c, ofchan_error(c->ch));
            return;
        }
        ofconn_handle(a, c, msg, len, paused);
    }
}

/* ---- Punts ------------------------------------------------------------------ */

static void
ofagent_punts(struct ofagent *a)
{
    struct dp_punt punts[OFA_PUNT_BURST];
    unsigned n;
    uint8_t buf[9216];

    while ((n = dp_punt_receive(punts, OFA_PUNT_BURST))) {
        for (unsigned i = 0; i < n; i++) {
            struct rte_mbuf *m = punts[i].m;
            struct ofsw *sw = NULL;

            for (size_t k = 0; k < a->n_sws; k++) {
                if (a->sws[k]->fp_state == punts[i].fp_state) {
                    sw = a->sws[k];
                    break;
                }
            }
            if (sw) {
                uint32_t total = rte_pktmbuf_pkt_len(m), max = m->hash.usr, len;
                if (max == OFPL_MAX_LEN_MISS) {
                    max = sw->miss_send_len;
                }
                len = max == OFA_CML_NO_BUFFER || max > total ? total : max;
                if (len > sizeof buf) {
                    len = sizeof buf;
                }
                const uint8_t *data = rte_pktmbuf_read(m, 0, len, buf);
                if (data) {
                    send_packet_in(a, sw, data, len, total, punts[i].in_vport,
                                   punts[i].reason, punts[i].table, punts[i].cookie);
                }
            }
            rte_pktmbuf_free(m);
        }
        if (n < OFA_PUNT_BURST) {
            break;
        }
    }
}

/* ---- The loop ------------------------------------------------------------ */

static void
add_owner(struct ofagent *a, enum ofa_owner_kind kind, void *p)
{
    if (a->n_owners == a->alloc_owners) {
        a->alloc_owners = a->alloc_owners ? 2 * a->alloc_owners : 16;
        a->owners = xrealloc(a->owners, a->alloc_owners * sizeof *a->owners);
    }
    a->owners[a->n_owners++] = (struct ofa_owner) { kind, p };
}

size_t
ofagent_pollfds(struct ofagent *a, struct pollfd **pfds, size_t *cap, size_t n)
{
    size_t need = n + 1;

    for (size_t i = 0; i < a->n_sws; i++) {
        need += 1 + a->sws[i]->n_conns;
    }
    if (need > *cap) {
        *cap = need + 16;
        *pfds = xrealloc(*pfds, *cap * sizeof **pfds);
    }
    a->n_owners = 0;
    a->poll_epoch = a->epoch;
    (*pfds)[n++] = (struct pollfd) { .fd = dp_punt_fd(), .events = POLLIN };
    add_owner(a, OFA_PUNT, NULL);
    for (size_t i = 0; i < a->n_sws; i++) {
        struct ofsw *sw = a->sws[i];
        if (sw->listener && ofstream_listener_events(sw->listener)) {
            (*pfds)[n++] = (struct pollfd) { .fd = ofstream_listener_fd(sw->listener),
                                             .events = POLLIN };
            add_owner(a, OFA_LISTEN, sw);
        }
        for (size_t k = 0; k < sw->n_conns; k++) {
            struct ofconn *c = sw->conns[k];
            (*pfds)[n++] = (struct pollfd) { .fd = ofchan_fd(c->ch),
                                             .events = ofchan_events(c->ch) };
            add_owner(a, OFA_CONN, c);
        }
    }
    return n;
}

int
ofagent_timeout_ms(const struct ofagent *a)
{
    uint64_t now = time_ms();

    for (size_t i = 0; i < a->n_sws; i++) {
        for (size_t k = 0; k < a->sws[i]->n_conns; k++) {
            if (ofchan_wakeup_now(a->sws[i]->conns[k]->ch)) {
                return 0;
            }
        }
    }

    if (a->next_tick_ms <= now) {
        return 0;
    }
    return a->next_tick_ms - now > OFA_TICK_MS ? OFA_TICK_MS : a->next_tick_ms - now;
}

/* Accepts every pending connection of 'sw''s listener. */
static void
ofagent_accept(struct ofsw *sw)
{
    struct ofstream *stream;

    while (sw->listener && !ofstream_listener_accept(sw->listener, &stream)) {
        LOG_INFO(MOD, "%s/%s: accepted %s%s", sw->slice, sw->sw,
                 ofstream_peer(stream), sw->tls && !strncmp(sw->listen, "pssl:", 5)
                 ? " (TLS)" : "");
        ofconn_new(sw, ofchan_create(stream, &ofa_chan_limits), -1,
                   ofstream_peer(stream));
    }
}

static void
ofagent_tick(struct ofagent *a, uint64_t now_ms)
{
    bool paused = false;

    for (size_t i = 0; i < a->n_sws; i++) {
        struct ofsw *sw = a->sws[i];
        struct removed_aux raux = { a, sw };

        ofsw_try_listen(sw);
        for (size_t k = 0; k < sw->n_conns; k++) {
            struct ofconn *c = sw->conns[k];
            if (!c->dead && ofauth_gate_expired(&c->gate, now_ms)) {
                ofconn_refuse(a, c, NULL, 0, "no secret presented in time");
            }
        }
        for (unsigned k = 0; k < sw->n_actives; k++) {
            ofsw_try_connect(sw, k, now_ms);
        }
        if (!paused) {
            dp_pause();
            paused = true;
        }
        ofpl_expire(sw->pl, fp_openflow_now_ns(), send_flow_removed, &raux);
    }
    if (paused) {
        dp_resume();
    }
}

void
ofagent_run(struct ofagent *a, const struct pollfd *pfds, size_t n)
{
    bool paused = false;
    uint64_t now_ms;

    if (a->poll_epoch == a->epoch && n == a->n_owners) {
        for (size_t i = 0; i < n; i++) {
            const struct ofa_owner *o = &a->owners[i];
            if (!pfds[i].revents
                && !(o->kind == OFA_CONN
                     && ofchan_wakeup_now(((struct ofconn *) o->p)->ch))) {
                continue;
            }
            if (o->kind == OFA_PUNT) {
                ofagent_punts(a);
            } else if (o->kind == OFA_LISTEN) {
                ofagent_accept(o->p);
            } else {
                struct ofconn *c = o->p;
                /* Connect, handshake, flush; then read (TLS: a read may
                 * need POLLOUT, a write POLLIN; trying both costs a
                 * would-block at most). */
                ofconn_run(c);
                if (c->up) {
                    ofconn_read(a, c, &paused);
                }
            }
        }
    } else {
        ofagent_punts(a);
    }
    if (paused) {
        dp_resume();
    }
    now_ms = time_ms();
    if (now_ms >= a->next_tick_ms) {
        a->next_tick_ms = now_ms + OFA_TICK_MS;
        ofagent_tick(a, now_ms);
    }
    for (size_t i = 0; i < a->n_sws; i++) {
        ofsw_reap(a, a->sws[i], now_ms);
    }
}
