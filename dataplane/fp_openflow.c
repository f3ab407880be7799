/*
 * fp_openflow: the `openflow` forwarding plane (see fp_openflow.h).
 *
 * Per packet: wrap the mbuf's first segment as a struct ofpl_packet, run
 * the pipeline, write the (possibly pushed/popped) frame bounds back into
 * the mbuf and turn the last output into the verdict.  Outputs before the
 * last one (several output actions, flood from a group, a copy to the
 * controller) are copies: dp_fp_output_copy() / dp_fp_punt().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "fp_openflow.h"
#include "ofauth.h"
#include "ofpbuf.h"
#include "ofstream.h"

struct fp_openflow {
    struct ofpl_pipeline *pl;
    json_t *config_json;                /* as given, for config() */
    struct fp_openflow_config config;
    uint32_t max_flows;
};

/* ---- Clock -------------------------------------------------------------- */

/* The dataplane's clock, so flow ages, timeouts and meters agree with
 * the fast path's ctx->now_ns. */
uint64_t
fp_openflow_now_ns(void)
{
    return dp_now_ns();
}

/* ---- Config ------------------------------------------------------------- */

static int
of_err(struct dp_error *err, const char *msg, const char *key)
{
    snprintf(err->msg, sizeof err->msg, "openflow: \"%s\" %s", key, msg);
    return EINVAL;
}

/* True if 's' is a valid OpenFlow target of 'scheme' (ofstream.h). */
static bool
of_target_ok(const char *s, const char *scheme)
{
    struct ofstream_target t;
    size_t n = strlen(scheme);
    char msg[256];

    return !strncmp(s, scheme, n) && s[n] == ':' && s[n + 1]
           && !ofstream_target_parse(s, &t, msg, sizeof msg);
}

static int
of_parse_config(const json_t *config, struct fp_openflow_config *c,
                uint32_t *max_flows, struct dp_error *err)
{
    static const char *const known[] = { "datapath_id", "controller", "listen",
                                         "tables", "miss", "max_flows",
                                         "private_key", "certificate", "ca_cert",
                                         "secret", "switch_secret", "open" };
    const char *key;
    bool need_tls = false;
    json_t *v;

    memset(c, 0, sizeof *c);
    c->tables = OFPL_DEFAULT_TABLES;
    *max_flows = OFPL_DEFAULT_MAX_FLOWS;
    if (!config) {
        return 0;
    }
    if (!json_is_object(config)) {
        snprintf(err->msg, sizeof err->msg, "openflow: config must be an object");
        return EINVAL;
    }
    json_object_foreach((json_t *) config, key, v) {
        size_t i;
        for (i = 0; i < sizeof known / sizeof *known && strcmp(key, known[i]); i++) {
            continue;
        }
        if (i == sizeof known / sizeof *known) {
            snprintf(err->msg, sizeof err->msg, "openflow: unknown config key "
                     "\"%s\" (known: datapath_id, controller, listen, tables, "
                     "miss, max_flows, private_key, certificate, ca_cert, secret, "
                     "switch_secret, open)", key);
            return EINVAL;
        }
    }
    if ((v = json_object_get(config, "datapath_id"))) {
        if (json_is_integer(v) && json_integer_value(v) >= 0) {
            c->datapath_id = json_integer_value(v);
        } else if (json_is_string(v)) {
            char *end;
            errno = 0;
            c->datapath_id = strtoull(json_string_value(v), &end, 0);
            if (errno || *end || end == json_string_value(v)) {
                return of_err(err, "must be a number such as \"0x1\"", "datapath_id");
            }
        } else {
            return of_err(err, "must be a string (\"0x...\") or an integer",
                          "datapath_id");
        }
        c->has_datapath_id = true;
    }
    if ((v = json_object_get(config, "controller"))) {
        json_t *one;
        size_t i;
        if (json_is_string(v)) {
            c->controllers[c->n_controllers++] = json_string_value(v);
        } else if (json_is_array(v) && json_array_size(v) <= FP_OPENFLOW_MAX_CONTROLLERS) {
            json_array_foreach(v, i, one) {
                if (!json_is_string(one)) {
                    return of_err(err, "must hold strings", "controller");
                }
                c->controllers[c->n_controllers++] = json_string_value(one);
            }
        } else {
            return of_err(err, "must be \"tcp:HOST:PORT\", \"ssl:HOST:PORT\" or "
                          "a list of up to 8", "controller");
        }
        for (unsigned k = 0; k < c->n_controllers; k++) {
            if (of_target_ok(c->controllers[k], "ssl")) {
                need_tls = true;
            } else if (!of_target_ok(c->controllers[k], "tcp")) {
                return of_err(err, "entries must look like \"tcp:127.0.0.1:6653\" "
                              "or \"ssl:127.0.0.1:6653\"", "controller");
            }
        }
    }
    if ((v = json_object_get(config, "listen"))) {
        if (!json_is_string(v) || (!of_target_ok(json_string_value(v), "ptcp")
                                   && !of_target_ok(json_string_value(v), "pssl"))) {
            return of_err(err, "must look like \"ptcp:6634\", "
                          "\"ptcp:6634:127.0.0.1\" or \"pssl:6634[:ADDR]\"", "listen");
        }
        c->listen = json_string_value(v);
        need_tls |= of_target_ok(c->listen, "pssl");
    }
    /* Authentication (ofauth.h, docs/openflow-switch.md): a ptcp:
     * listener needs a "secret" that its peers present, unless the vnode
     * is declared "open"; only "open" lets it listen beyond loopback. */
    static const char *const secret_names[] = { "secret", "switch_secret" };
    const char **secrets[] = { &c->secret, &c->switch_secret };
    for (size_t k = 0; k < 2; k++) {
        char why[128];
        if (!(v = json_object_get(config, secret_names[k]))) {
            continue;
        }
        if (!json_is_string(v)
            || ofauth_secret_check(json_string_value(v), why, sizeof why)) {
            return of_err(err, json_is_string(v) ? why : "must be a string",
                          secret_names[k]);
        }
        *secrets[k] = json_string_value(v);
    }
    if ((v = json_object_get(config, "open"))) {
        if (!json_is_boolean(v)) {
            return of_err(err, "must be true or false", "open");
        }
        c->open = json_is_true(v);
    }
    if (c->listen && !c->open) {
        struct ofstream_target t;
        char msg[256];
        ofstream_target_parse(c->listen, &t, msg, sizeof msg);
        if (!t.tls && !ofstream_target_is_loopback(&t)) {
            return of_err(err, "ptcp: beyond loopback lets any host control "
                          "the vnode: use pssl: with certificates, or "
                          "\"open\": true to allow it", "listen");
        }
        if (!t.tls && !c->secret) {
            return of_err(err, "ptcp: needs a \"secret\" that peers present "
                          "(docs/openflow-switch.md), pssl: with certificates, "
                          "or \"open\": true to let any local user control "
                          "the vnode", "listen");
        }
    }
    /* TLS, as Open vSwitch's: the switch's key and certificate, and the CA
     * that must have signed the peer's certificate.  All three are needed
     * by ssl:/pssl: targets; the files must be readable now (their content
     * is loaded, and reported on, by the agent). */
    const char **tls_keys[] = { &c->private_key, &c->certificate, &c->ca_cert };
    static const char *const tls_names[] = { "private_key", "certificate", "ca_cert" };
    for (size_t k = 0; k < 3; k++) {
        v = json_object_get(config, tls_names[k]);
        if (!v) {
            if (need_tls) {
                return of_err(err, "is required by ssl:/pssl: targets (the file "
                              "of a PEM key, certificate or CA certificate)",
                              tls_names[k]);
            }
            continue;
        }
        if (!json_is_string(v) || !json_string_value(v)[0]) {
            return of_err(err, "must be a file name", tls_names[k]);
        }
        if (access(json_string_value(v), R_OK)) {
            snprintf(err->msg, sizeof err->msg, "openflow: \"%s\": cannot read %s: %s",
                     tls_names[k], json_string_value(v), strerror(errno));
            return EINVAL;
        }
        *tls_keys[k] = json_string_value(v);
    }
    if ((v = json_object_get(config, "tables"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 1
            || json_integer_value(v) > OFPL_MAX_TABLES) {
            return of_err(err, "must be an integer in 1..254", "tables");
        }
        c->tables = json_integer_value(v);
    }
    if ((v = json_object_get(config, "miss"))) {
        const char *s = json_is_string(v) ? json_string_value(v) : "";
        if (!strcmp(s, "controller")) {
            c->miss = OFPL_MISS_CONTROLLER;
        } else if (strcmp(s, "drop")) {
            return of_err(err, "must be \"drop\" or \"controller\"", "miss");
        }
    }
    if ((v = json_object_get(config, "max_flows"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 1
            || json_integer_value(v) > 10000000) {
            return of_err(err, "must be an integer in 1..10000000", "max_flows");
        }
        *max_flows = json_integer_value(v);
    }
    return 0;
}

static int
openflow_create(const json_t *config, void **statep, struct dp_error *err)
{
    struct fp_openflow *of = calloc(1, sizeof *of);
    int error;

    if (!of) {
        snprintf(err->msg, sizeof err->msg, "openflow: out of memory");
        return ENOMEM;
    }
    /* The strings of 'config' live in our own copy. */
    of->config_json = config ? json_deep_copy(config) : json_object();
    error = of_parse_config(of->config_json, &of->config, &of->max_flows, err);
    if (error) {
        json_decref(of->config_json);
        free(of);
        return error;
    }
    struct ofpl_params p = { .n_tables = of->config.tables, .miss = of->config.miss,
                             .max_flows = of->max_flows };
    of->pl = ofpl_create(&p);
    if (!of->pl) {
        json_decref(of->config_json);
        free(of);
        snprintf(err->msg, sizeof err->msg, "openflow: out of memory");
        return ENOMEM;
    }
    *statep = of;
    return 0;
}

static void
openflow_destroy(void *state)
{
    struct fp_openflow *of = state;

    if (of) {
        ofpl_destroy(of->pl);
        json_decref(of->config_json);
        free(of);
    }
}

const struct fp_openflow_config *
fp_openflow_config(const void *state)
{
    return &((const struct fp_openflow *) state)->config;
}

struct ofpl_pipeline *
fp_openflow_pipeline(void *state)
{
    return ((struct fp_openflow *) state)->pl;
}

/* ---- Fast path ------------------------------------------------------------ */

struct of_emit {
    const struct dp_fp_ctx *ctx;
    struct fp_openflow *of;
    struct rte_mbuf **pkts;
};

/* Writes the frame bounds of 'pkt' (which lives in 'm') back into 'm'. */
static inline void
of_sync(struct rte_mbuf *m, const struct ofpl_packet *pkt)
{
    int32_t delta = (int32_t) pkt->len - (int32_t) rte_pktmbuf_data_len(m);

    m->data_off = pkt->data - (uint8_t *) m->buf_addr;
    m->data_len = pkt->len;
    m->pkt_len += delta;
}

static bool
of_punt(const struct dp_fp_ctx *ctx, struct rte_mbuf *m, const struct ofpl_out *o)
{
    m->hash.usr = o->max_len;
    return dp_fp_punt(ctx, m, o->port, o->reason, o->table, o->cookie);
}

/* An output that is not the last one of a packet: a copy. */
static void
of_emit(void *aux_, const struct ofpl_packet *pkt, const struct ofpl_out *o)
{
    struct of_emit *aux = aux_;
    const struct dp_fp_ctx *ctx = aux->ctx;
    struct rte_mbuf *m = aux->pkts[pkt->idx], *tmp = NULL;
    uint8_t *buf = m->buf_addr;

    if (pkt->data >= buf && pkt->data < buf + m->buf_len) {
        of_sync(m, pkt);
    } else {
        /* A group bucket's private copy. */
        tmp = rte_pktmbuf_alloc(m->pool);
        char *d = tmp ? rte_pktmbuf_append(tmp, pkt->len) : NULL;
        if (!d) {
            rte_pktmbuf_free(tmp);
            return;
        }
        memcpy(d, pkt->data, pkt->len);
        m = tmp;
    }
    switch (o->kind) {
    case OFPL_OUT_PORT:
        if (o->port < ctx->n_vports) {
            dp_fp_output_copy(ctx, m, o->port);
        }
        break;
    case OFPL_OUT_FLOOD:
        for (uint16_t v = 0; v < ctx->n_vports; v++) {
            if (v != o->port && ofpl_port_live(aux->of->pl, v)) {
                dp_fp_output_copy(ctx, m, v);
            }
        }
        break;
    case OFPL_OUT_CONTROLLER:
        if (tmp) {
            of_punt(ctx, tmp, o);
            return;
        } else {
            struct rte_mbuf *c = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
            if (c) {
                of_punt(ctx, c, o);
            }
        }
        break;
    default:
        break;
    }
    rte_pktmbuf_free(tmp);
}

static void
openflow_process(void *state, struct rte_mbuf **pkts, const uint16_t *in_vports,
                 uint16_t *out, uint16_t n, const struct dp_fp_ctx *ctx)
{
    struct fp_openflow *of = state;
    struct of_emit aux = { .ctx = ctx, .of = of, .pkts = pkts };
    struct ofpl_packet p[n];
    struct ofpl_out o[n];

    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];
        p[i].data = rte_pktmbuf_mtod(m, uint8_t *);
        p[i].len = rte_pktmbuf_data_len(m);
        p[i].headroom = rte_pktmbuf_headroom(m);
        p[i].idx = i;
        rte_prefetch0(p[i].data);
    }
    ofpl_run_burst(of->pl, p, in_vports, n, ctx->now_ns, of_emit, &aux, o);
    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];

        if (unlikely(p[i].data != rte_pktmbuf_mtod(m, uint8_t *)
                     || p[i].len != rte_pktmbuf_data_len(m))) {
            of_sync(m, &p[i]);
        }
        switch (o[i].kind) {
        case OFPL_OUT_PORT:
            out[i] = o[i].port < ctx->n_vports ? o[i].port : DP_FP_DROP;
            break;
        case OFPL_OUT_FLOOD:
            out[i] = DP_FP_FLOOD;
            break;
        case OFPL_OUT_CONTROLLER:
            of_punt(ctx, m, &o[i]);
            out[i] = DP_FP_CONSUMED;
            break;
        default:
            out[i] = DP_FP_DROP;
            break;
        }
    }
}

static void
openflow_vport_removed(void *state, uint16_t vport)
{
    struct fp_openflow *of = state;
    ofpl_set_port_live(of->pl, vport, false);
}

static json_t *
openflow_config(const void *state)
{
    const struct fp_openflow *of = state;
    return json_deep_copy(of->config_json);
}

struct of_dump {
    json_t *flows;
    struct ofpbuf s;
};

static void
of_dump_flow(void *aux_, const struct ofp_flow_stats *fs)
{
    struct of_dump *aux = aux_;

    ofpbuf_clear(&aux->s);
    ofpbuf_printf(&aux->s, "table=%u priority=%u n_packets=%llu n_bytes=%llu ",
                  fs->table_id, fs->priority, (unsigned long long) fs->packet_count,
                  (unsigned long long) fs->byte_count);
    if (fs->cookie) {
        ofpbuf_printf(&aux->s, "cookie=0x%llx ", (unsigned long long) fs->cookie);
    }
    if (fs->idle_timeout || fs->hard_timeout) {
        ofpbuf_printf(&aux->s, "idle_timeout=%u hard_timeout=%u ",
                      fs->idle_timeout, fs->hard_timeout);
    }
    ofp_match_format(&fs->match, &aux->s);
    ofpbuf_printf(&aux->s, " ");
    ofp_insts_format(&fs->insts, &aux->s);
    json_array_append_new(aux->flows, json_string(ofpbuf_cstr(&aux->s)));
}

static json_t *
openflow_dump(const void *state, uint32_t now_s)
{
    const struct fp_openflow *of = state;
    struct ofp_flow_stats_request all = { .table_id = OFPTT_ALL, .out_port = OFPP13_ANY,
                                          .out_group = OFPG_ANY };
    struct of_dump aux = { .flows = json_array() };
    struct ofpl_counts c;
    json_t *tables = json_array();

    ofp_match_init(&all.match);
    ofpbuf_init(&aux.s, 256);
    ofpl_flow_stats(of->pl, &all, fp_openflow_now_ns(), of_dump_flow, &aux);
    ofpbuf_uninit(&aux.s);
    for (unsigned t = 0; t < ofpl_n_tables(of->pl); t++) {
        struct ofp_table_stats ts;
        ofpl_table_stats(of->pl, t, &ts);
        json_array_append_new(tables, json_pack("{s:i, s:i, s:I, s:I}", "table", t,
                                                "flows", ts.active_count,
                                                "lookups", (json_int_t) ts.lookup_count,
                                                "matched", (json_int_t) ts.matched_count));
    }
    ofpl_counts(of->pl, &c);
    return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "fp", "openflow",
                     "flow_count", (json_int_t) c.flows,
                     "tuples", (json_int_t) c.tuples,
                     "groups", (json_int_t) c.groups,
                     "meters", (json_int_t) c.meters,
                     "cache_hits", (json_int_t) c.emc_hits,
                     "cache_misses", (json_int_t) c.emc_misses,
                     "train_hits", (json_int_t) c.train_hits,
                     "tables", tables, "flows", aux.flows);
}

const struct dp_fp_class dp_fp_openflow = {
    .name = "openflow",
    .create = openflow_create,
    .destroy = openflow_destroy,
    .process = openflow_process,
    .vport_removed = openflow_vport_removed,
    .config = openflow_config,
    .dump = openflow_dump,
};
