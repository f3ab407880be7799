/* The broker's market model and placement; see bkd.h. */
#include "bkd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "units.h"
#include "util.h"
#include "brk_time.h"
#include "inherit.h"
#include "vne.h"
#include "vne_md.h"

#define MOD "broker"

struct model_inp {
    char name[STORE_ID_LEN];
    json_t *offer;              /* borrowed from 'recs' */
    bool up, full;
    uint32_t idx;               /* index in vne_md (only InPs with nodes) */
    bool in_md;
};

struct model_node {
    uint32_t inp;               /* index in model->inps */
    const char *name;
    uint32_t res;               /* admit resource of its CPU */
    int64_t price_cpu;          /* micro-units per CPU-unit-hour */
};

struct model_link {
    int32_t inp;                /* -1: an inter-domain link */
    int32_t ilink;              /* index in model->ilinks, or -1 */
    uint32_t res;               /* admit resource of its bandwidth */
    int64_t price_mbps;         /* micro-units per Mbit/s-hour */
};

struct model_ilink {
    char name[160];
    uint32_t inp[2];            /* model->inps indexes */
    const char *border[2];      /* each side's border name */
    uint32_t node[2];           /* merged nodes */
    int64_t price_mbps[2];      /* each side's price */
    int64_t lo, hi;             /* label pool (intersection) */
};

struct bkd_model {
    json_t *recs;               /* the InPs' records, owned */
    struct admit *admit;
    json_t *res_index;          /* resource name -> index */
    uint32_t n_inps;
    struct model_inp *inps;
    uint32_t n_nodes;
    struct model_node *nodes;   /* merged node order */
    json_t *node_index;         /* "inp/node" -> merged index */
    struct model_link *links;   /* merged link order */
    uint32_t n_ilinks;
    struct model_ilink *ilinks;
    struct vne_substrate *merged;
    struct vne_md *md;
    uint32_t *md_inp;           /* vne_md InP -> model InP */
    struct vne_algo **part_algos;
    struct vne_algo *view_algo;
    bool all_full;
    /* Labels in use: ilink name -> [{"lease", "start", "end", "label"}]. */
    json_t *labels_used;
    const json_t *substrate;    /* bkd->substrate (links down), borrowed */
};

void
bkd_model_destroy(struct bkd_model *m)
{
    if (!m) {
        return;
    }
    if (m->md) {
        for (uint32_t i = 0; i < m->md->n_inps; i++) {
            vne_algo_destroy(m->part_algos[i]);
        }
    }
    free(m->part_algos);
    vne_algo_destroy(m->view_algo);
    vne_md_destroy(m->md);
    vne_substrate_destroy(m->merged);
    free(m->md_inp);
    admit_destroy(m->admit);
    json_decref(m->res_index);
    json_decref(m->node_index);
    json_decref(m->labels_used);
    json_decref(m->recs);
    free(m->inps);
    free(m->nodes);
    free(m->links);
    free(m->ilinks);
    free(m);
}

/* ---- Offers ---- */

/* A rate: "1G", "10M" or a number of bits/s. */
static bool
rate_of(const json_t *j, uint64_t *bps)
{
    if (json_is_integer(j) && json_integer_value(j) > 0) {
        *bps = json_integer_value(j);
        return true;
    }
    return json_is_string(j) && !units_parse_rate(json_string_value(j), bps)
           && *bps > 0;
}

/* Money per hour as micro-units (a number >= 0). */
static int64_t
price_of(const json_t *j)
{
    return j ? llround(json_number_value(j) * 1e6) : 0;
}

/* Checks that 'obj' has only the keys in the NULL-terminated 'allowed'
 * and the 'required' ones (a space-separated list). */
static int
check_keys(const json_t *obj, const char *path, const char *const *allowed,
           const char *required, char *field, struct brk_error *err)
{
    const char *key;
    json_t *v;

    if (!json_is_object(obj)) {
        snprintf(field, 64, "%s", path);
        return brk_error_set(err, EINVAL, "%s: must be an object", path);
    }
    json_object_foreach((json_t *) obj, key, v) {
        bool ok = false;
        for (const char *const *a = allowed; *a; a++) {
            ok = ok || !strcmp(*a, key);
        }
        if (!ok) {
            snprintf(field, 64, "%s.%s", path, key);
            return brk_error_set(err, EINVAL, "%s.%s: unknown field", path,
                                 key);
        }
    }
    for (const char *const *a = allowed; *a; a++) {
        if (str_has_word(required, *a) && !json_object_get(obj, *a)) {
            snprintf(field, 64, "%s.%s", path, *a);
            return brk_error_set(err, EINVAL, "%s.%s: required", path, *a);
        }
    }
    return 0;
}

/* Refuses field 'path' ('field' gets it) with 'why'. */
#define OFFER_BAD(WHY, ...)                                         \
    (snprintf(field, 64, __VA_ARGS__),                              \
     brk_error_set(err, EINVAL, "%s: %s", field, WHY))

/* Checks the name member 'key' of 'o' (a valid name). */
static bool
name_ok(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s && name_is_valid(s) && strlen(s) < 48;
}

static bool
price_ok(const json_t *o, const char *key)
{
    json_t *p = json_object_get(o, key);
    return !p || (json_is_number(p) && json_number_value(p) >= 0
                  && json_number_value(p) < 1e9);
}

int
bkd_offer_check(const json_t *offer, const char *name, char *field,
                struct brk_error *err)
{
    static const char *const top[] = { "name", "advertise", "max_lease_s",
        "nodes", "links", "access", "borders", NULL };
    static const char *const node_k[] = { "name", "cpu", "price_cpu_hour",
                                          NULL };
    static const char *const link_k[] = { "a", "b", "bandwidth",
                                          "price_mbps_hour", NULL };
    static const char *const acc_k[] = { "name", "node", "port", NULL };
    static const char *const bor_k[] = { "name", "node", "port", "peer_inp",
        "peer_border", "bandwidth", "price_mbps_hour", "labels", NULL };
    size_t i;
    json_t *v;
    int error;

    if ((error = check_keys(offer, "offer", top, "name nodes", field, err))) {
        return error;
    }
    const char *oname = json_string_value(json_object_get(offer, "name"));
    if (!oname || strcmp(oname, name)) {
        return OFFER_BAD("must be the InP's own name", "offer.name");
    }
    const char *adv = json_string_value(json_object_get(offer, "advertise"));
    if (json_object_get(offer, "advertise")
        && (!adv || (strcmp(adv, "full") && strcmp(adv, "abstract")))) {
        return OFFER_BAD("must be \"full\" or \"abstract\"", "offer.advertise");
    }
    json_t *mls = json_object_get(offer, "max_lease_s");
    if (mls && (!json_is_integer(mls) || json_integer_value(mls) <= 0
                || json_integer_value(mls) > VNREQ_MAX_DURATION)) {
        return OFFER_BAD("must be a number of seconds, 1..31622400",
                         "offer.max_lease_s");
    }
    json_t *nodes = json_object_get(offer, "nodes");
    if (!json_is_array(nodes) || !json_array_size(nodes)
        || json_array_size(nodes) > 4096) {
        return OFFER_BAD("must be a list of 1..4096 nodes", "offer.nodes");
    }
    json_t *seen = json_object();
    char path[40];
    json_array_foreach(nodes, i, v) {
        snprintf(path, sizeof path, "offer.nodes[%zu]", i);
        if ((error = check_keys(v, path, node_k, "name cpu", field, err))) {
            goto out;
        }
        json_t *cpu = json_object_get(v, "cpu");
        if (!name_ok(v, "name")) {
            error = OFFER_BAD("must be a name of [A-Za-z0-9_.-]",
                              "%s.name", path);
        } else if (json_object_get(seen, json_string_value(
                                       json_object_get(v, "name")))) {
            error = OFFER_BAD("duplicate node name", "%s.name", path);
        } else if (!json_is_integer(cpu) || json_integer_value(cpu) < 0
                   || json_integer_value(cpu) > VNE_MAX_AMOUNT) {
            error = OFFER_BAD("must be a CPU count 0..1000000000", "%s.cpu",
                              path);
        } else if (!price_ok(v, "price_cpu_hour")) {
            error = OFFER_BAD("must be a price >= 0", "%s.price_cpu_hour",
                              path);
        }
        if (error) {
            goto out;
        }
        json_object_set_new(seen, json_string_value(json_object_get(v, "name")),
                            json_true());
    }
    uint64_t bps;
    json_array_foreach(json_object_get(offer, "links"), i, v) {
        snprintf(path, sizeof path, "offer.links[%zu]", i);
        if ((error = check_keys(v, path, link_k, "a b bandwidth", field,
                                err))) {
            goto out;
        }
        const char *a = json_string_value(json_object_get(v, "a"));
        const char *b = json_string_value(json_object_get(v, "b"));
        if (!a || !json_object_get(seen, a)) {
            error = OFFER_BAD("must name a node of the offer", "%s.a", path);
        } else if (!b || !json_object_get(seen, b) || !strcmp(a, b)) {
            error = OFFER_BAD("must name another node of the offer", "%s.b",
                              path);
        } else if (!rate_of(json_object_get(v, "bandwidth"), &bps)
                   || bps / 1000000 > VNE_MAX_AMOUNT) {
            error = OFFER_BAD("must be a positive rate such as \"1G\"",
                              "%s.bandwidth", path);
        } else if (!price_ok(v, "price_mbps_hour")) {
            error = OFFER_BAD("must be a price >= 0", "%s.price_mbps_hour",
                              path);
        }
        if (error) {
            goto out;
        }
    }
    json_array_foreach(json_object_get(offer, "access"), i, v) {
        snprintf(path, sizeof path, "offer.access[%zu]", i);
        if ((error = check_keys(v, path, acc_k, "name node", field, err))) {
            goto out;
        }
        if (!name_ok(v, "name")) {
            error = OFFER_BAD("must be a name", "%s.name", path);
        } else if (!json_object_get(seen, json_string_value(
                                        json_object_get(v, "node")) ?: "")) {
            error = OFFER_BAD("must name a node of the offer", "%s.node", path);
        }
        if (error) {
            goto out;
        }
    }
    json_array_foreach(json_object_get(offer, "borders"), i, v) {
        snprintf(path, sizeof path, "offer.borders[%zu]", i);
        if ((error = check_keys(v, path, bor_k, "name node peer_inp "
                                "peer_border bandwidth labels", field, err))) {
            goto out;
        }
        json_t *labels = json_object_get(v, "labels");
        json_int_t lo = json_integer_value(json_array_get(labels, 0));
        json_int_t hi = json_integer_value(json_array_get(labels, 1));
        if (!name_ok(v, "name")) {
            error = OFFER_BAD("must be a name", "%s.name", path);
        } else if (!json_object_get(seen, json_string_value(
                                        json_object_get(v, "node")) ?: "")) {
            error = OFFER_BAD("must name a node of the offer", "%s.node", path);
        } else if (!name_ok(v, "peer_inp") || !name_ok(v, "peer_border")) {
            error = OFFER_BAD("peer_inp and peer_border must be names",
                              "%s.peer_inp", path);
        } else if (!rate_of(json_object_get(v, "bandwidth"), &bps)
                   || bps / 1000000 > VNE_MAX_AMOUNT) {
            error = OFFER_BAD("must be a positive rate such as \"1G\"",
                              "%s.bandwidth", path);
        } else if (!json_is_array(labels) || json_array_size(labels) != 2
                   || lo < 16 || hi < lo || hi >= (1 << 20)) {
            error = OFFER_BAD("must be [first, last] with 16 <= first <= "
                              "last < 1048576", "%s.labels", path);
        } else if (!price_ok(v, "price_mbps_hour")) {
            error = OFFER_BAD("must be a price >= 0", "%s.price_mbps_hour",
                              path);
        }
        if (error) {
            goto out;
        }
    }
    if (json_object_get(offer, "links")
        && !json_is_array(json_object_get(offer, "links"))) {
        error = OFFER_BAD("must be a list", "offer.links");
    }
out:
    json_decref(seen);
    return error;
}

/* ---- Building ---- */

/* Adds resource 'name' to the model. */
static uint32_t
add_resource(struct bkd_model *m, enum admit_kind kind, int64_t cap,
             const char *fmt, ...)
{
    char name[256];
    va_list args;
    uint32_t idx;

    va_start(args, fmt);
    vsnprintf(name, sizeof name, fmt, args);
    va_end(args);
    json_t *old = json_object_get(m->res_index, name);
    if (old) {
        return json_integer_value(old);
    }
    admit_add_resource(m->admit, name, kind, cap < 0 ? 0 : cap, &idx);
    json_object_set_new(m->res_index, name, json_integer(idx));
    return idx;
}

/* The merged index of node 'node' of InP 'inp', or -1. */
static int64_t
node_of(const struct bkd_model *m, const char *inp, const char *node)
{
    char key[128];
    snprintf(key, sizeof key, "%s/%s", inp, node);
    json_t *j = json_object_get(m->node_index, key);
    return j ? json_integer_value(j) : -1;
}

/* The border 'name' in 'offer', or NULL. */
static json_t *
border_of(const json_t *offer, const char *name)
{
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(offer, "borders"), i, b) {
        if (!strcmp(json_string_value(json_object_get(b, "name")), name)) {
            return b;
        }
    }
    return NULL;
}

/* Builds the model's InPs, nodes, links, inter-domain links and
 * substrates from the records in m->recs. */
static void
model_build(struct bkd_model *m)
{
    size_t n_recs = json_array_size(m->recs);
    m->inps = xcalloc(n_recs + 1, sizeof *m->inps);
    m->all_full = true;

    /* Nodes. */
    uint32_t cap_nodes = 16;
    m->nodes = xcalloc(cap_nodes, sizeof *m->nodes);
    int32_t *cpu = xcalloc(cap_nodes, sizeof *cpu);
    for (size_t r = 0; r < n_recs; r++) {
        json_t *rec = json_array_get(m->recs, r);
        struct model_inp *mi = &m->inps[m->n_inps];
        str_copy(mi->name, json_string_value(json_object_get(rec, "name")),
                 sizeof mi->name);
        mi->offer = json_object_get(json_object_get(rec, "rec"), "offer");
        mi->up = json_is_true(json_object_get(rec, "up"));
        const char *adv = json_string_value(json_object_get(mi->offer,
                                                            "advertise"));
        mi->full = !adv || !strcmp(adv, "full");
        m->all_full = m->all_full && mi->full;
        size_t i;
        json_t *n;
        json_array_foreach(json_object_get(mi->offer, "nodes"), i, n) {
            if (m->n_nodes == cap_nodes) {
                cap_nodes *= 2;
                m->nodes = xrealloc(m->nodes, cap_nodes * sizeof *m->nodes);
                cpu = xrealloc(cpu, cap_nodes * sizeof *cpu);
            }
            struct model_node *mn = &m->nodes[m->n_nodes];
            mn->inp = m->n_inps;
            mn->name = json_string_value(json_object_get(n, "name"));
            int64_t c = json_integer_value(json_object_get(n, "cpu"));
            mn->res = add_resource(m, ADMIT_CPU, c, "%s node %s cpu",
                                   mi->name, mn->name);
            mn->price_cpu = price_of(json_object_get(n, "price_cpu_hour"));
            cpu[m->n_nodes] = c;
            char key[128];
            snprintf(key, sizeof key, "%s/%s", mi->name, mn->name);
            json_object_set_new(m->node_index, key, json_integer(m->n_nodes));
            m->n_nodes++;
        }
        /* An access point carries one lease at a time: the SP's host
         * port is bound untagged to one slice. */
        json_array_foreach(json_object_get(mi->offer, "access"), i, n) {
            add_resource(m, ADMIT_LABELS, 1, "%s access point %s", mi->name,
                         json_string_value(json_object_get(n, "name")));
        }
        m->n_inps++;
    }
    m->merged = vne_substrate_create("broker", m->n_nodes, cpu);
    free(cpu);

    /* Links inside each InP, then the inter-domain links. */
    size_t cap_links = 16, n_links = 0;
    m->links = xcalloc(cap_links, sizeof *m->links);
    m->ilinks = xcalloc(16, sizeof *m->ilinks);
    size_t cap_ilinks = 16;
    for (uint32_t p = 0; p < m->n_inps; p++) {
        struct model_inp *mi = &m->inps[p];
        size_t i;
        json_t *l;
        json_array_foreach(json_object_get(mi->offer, "links"), i, l) {
            const char *a = json_string_value(json_object_get(l, "a"));
            const char *b = json_string_value(json_object_get(l, "b"));
            int64_t u = node_of(m, mi->name, a), v = node_of(m, mi->name, b);
            uint64_t bps;
            rate_of(json_object_get(l, "bandwidth"), &bps);
            if (vne_substrate_link(m->merged, u, v) >= 0) {
                continue;
            }
            if (n_links == cap_links) {
                cap_links *= 2;
                m->links = xrealloc(m->links, cap_links * sizeof *m->links);
            }
            vne_substrate_add_link(m->merged, u, v, bps / 1000000);
            m->links[n_links++] = (struct model_link) {
                .inp = p, .ilink = -1,
                .res = add_resource(m, ADMIT_BANDWIDTH, bps, "%s link %s-%s",
                                    mi->name, a, b),
                .price_mbps = price_of(json_object_get(l, "price_mbps_hour")),
            };
        }
    }
    for (uint32_t p = 0; p < m->n_inps; p++) {
        struct model_inp *mi = &m->inps[p];
        size_t i;
        json_t *b;
        json_array_foreach(json_object_get(mi->offer, "borders"), i, b) {
            const char *peer = json_string_value(json_object_get(b, "peer_inp"));
            uint32_t q;
            for (q = 0; q < m->n_inps; q++) {
                if (!strcmp(m->inps[q].name, peer)) {
                    break;
                }
            }
            if (q == m->n_inps || q <= p) {
                continue;       /* unknown peer, or seen from the other side */
            }
            json_t *pb = border_of(m->inps[q].offer, json_string_value(
                                       json_object_get(b, "peer_border")));
            const char *bname = json_string_value(json_object_get(b, "name"));
            if (!pb || strcmp(json_string_value(json_object_get(pb, "peer_inp")),
                              mi->name)
                || strcmp(json_string_value(json_object_get(pb, "peer_border")),
                          bname)) {
                continue;       /* not declared by both sides */
            }
            int64_t u = node_of(m, mi->name, json_string_value(
                                    json_object_get(b, "node")));
            int64_t v = node_of(m, m->inps[q].name, json_string_value(
                                    json_object_get(pb, "node")));
            json_t *la = json_object_get(b, "labels");
            json_t *lb = json_object_get(pb, "labels");
            int64_t lo = MAX(json_integer_value(json_array_get(la, 0)),
                             json_integer_value(json_array_get(lb, 0)));
            int64_t hi = MIN(json_integer_value(json_array_get(la, 1)),
                             json_integer_value(json_array_get(lb, 1)));
            uint64_t ba, bb;
            rate_of(json_object_get(b, "bandwidth"), &ba);
            rate_of(json_object_get(pb, "bandwidth"), &bb);
            if (lo > hi || vne_substrate_link(m->merged, u, v) >= 0) {
                LOG_WARN(MOD, "inter-domain link %s.%s - %s.%s skipped: %s",
                         mi->name, bname, m->inps[q].name,
                         json_string_value(json_object_get(pb, "name")),
                         lo > hi ? "the label pools do not overlap"
                                 : "a second link between the same nodes");
                continue;
            }
            if (m->n_ilinks == cap_ilinks) {
                cap_ilinks *= 2;
                m->ilinks = xrealloc(m->ilinks, cap_ilinks * sizeof *m->ilinks);
            }
            struct model_ilink *il = &m->ilinks[m->n_ilinks];
            snprintf(il->name, sizeof il->name, "%s.%s-%s.%s", mi->name,
                     bname, m->inps[q].name,
                     json_string_value(json_object_get(pb, "name")));
            il->inp[0] = p;
            il->inp[1] = q;
            il->border[0] = bname;
            il->border[1] = json_string_value(json_object_get(pb, "name"));
            il->node[0] = u;
            il->node[1] = v;
            il->price_mbps[0] = price_of(json_object_get(b, "price_mbps_hour"));
            il->price_mbps[1] = price_of(json_object_get(pb, "price_mbps_hour"));
            il->lo = lo;
            il->hi = hi;
            if (n_links == cap_links) {
                cap_links *= 2;
                m->links = xrealloc(m->links, cap_links * sizeof *m->links);
            }
            uint64_t bps = MIN(ba, bb);
            vne_substrate_add_link(m->merged, u, v, bps / 1000000);
            m->links[n_links++] = (struct model_link) {
                .inp = -1, .ilink = m->n_ilinks,
                .res = add_resource(m, ADMIT_BANDWIDTH, bps,
                                    "inter-domain link %s", il->name),
            };
            m->n_ilinks++;
        }
    }
    vne_substrate_finish(m->merged);

    /* The multi-domain view: InPs with nodes only. */
    uint32_t *part = xcalloc(m->n_nodes + 1, sizeof *part);
    uint32_t k = 0;
    m->md_inp = xcalloc(m->n_inps + 1, sizeof *m->md_inp);
    for (uint32_t p = 0; p < m->n_inps; p++) {
        m->inps[p].in_md = true;
        m->inps[p].idx = k;
        m->md_inp[k++] = p;
    }
    for (uint32_t u = 0; u < m->n_nodes; u++) {
        part[u] = m->inps[m->nodes[u].inp].idx;
    }
    char *msg = NULL;
    if (k && vne_md_create(m->merged, part, k, &m->md, &msg)) {
        LOG_ERR(MOD, "multi-domain model: %s", msg);
        free(msg);
        m->md = NULL;
    }
    free(part);
    if (m->md) {
        struct vne_algo_options o;
        vne_algo_options_init(&o);
        o.no_admission = true;
        m->part_algos = xcalloc(k, sizeof *m->part_algos);
        for (uint32_t i = 0; i < k; i++) {
            struct model_inp *mi = &m->inps[m->md_inp[i]];
            vne_algo_create(&vne_algo_lamina, m->md->inps[i].sub, &o,
                            &m->part_algos[i]);
            /* Mean prices of the InP for the planner's estimates. */
            double cpu_p = 0, bw_p = 0;
            uint32_t nn = 0, nl = 0;
            for (uint32_t u = 0; u < m->n_nodes; u++) {
                if (m->nodes[u].inp == m->md_inp[i]) {
                    cpu_p += m->nodes[u].price_cpu / 1e6, nn++;
                }
            }
            for (uint32_t l = 0; l < m->merged->n_links; l++) {
                if (m->links[l].inp == (int32_t) m->md_inp[i]) {
                    bw_p += m->links[l].price_mbps / 1e6, nl++;
                }
            }
            m->md->inps[i].price_cpu = nn ? cpu_p / nn : 0;
            m->md->inps[i].price_bw = nl ? bw_p / nl : 0;
            (void) mi;
        }
        for (uint32_t j = 0; j < m->md->n_ilinks; j++) {
            const struct model_link *ml = &m->links[m->md->ilinks[j].merged];
            if (ml->ilink >= 0) {
                const struct model_ilink *il = &m->ilinks[ml->ilink];
                m->md->ilinks[j].price = (il->price_mbps[0]
                                          + il->price_mbps[1]) / 1e6;
            }
        }
        if (m->all_full) {
            vne_algo_create(&vne_algo_lamina, m->merged, &o, &m->view_algo);
        }
    }
}

/* Resolves 'demands' ([{"r", "n"}]) to admit demands; returns how many
 * (unknown resources are skipped when 'skip', else -1). */
static ssize_t
demands_resolve(const struct bkd_model *m, const json_t *demands,
                struct admit_demand **out, bool skip)
{
    size_t i, n = 0;
    json_t *d;

    *out = xcalloc(json_array_size(demands) + 1, sizeof **out);
    json_array_foreach(demands, i, d) {
        json_t *idx = json_object_get(m->res_index, json_string_value(
                                          json_object_get(d, "r")) ?: "");
        if (!idx) {
            if (skip) {
                continue;
            }
            free(*out);
            *out = NULL;
            return -1;
        }
        (*out)[n].resource = json_integer_value(idx);
        (*out)[n].amount = json_integer_value(json_object_get(d, "n"));
        n++;
    }
    return n;
}

int
bkd_book(struct bkd *b, const char *lease, const json_t *demands,
         const json_t *labels, int64_t start, int64_t end, int sign,
         struct brk_error *err)
{
    struct bkd_model *m = b->model;
    struct admit_demand *d;
    struct admit_shortage sh;
    int error = 0;

    if (!m || start >= end) {
        return 0;
    }
    ssize_t n = demands_resolve(m, demands, &d, true);
    if (n > 0) {
        error = (sign > 0
                 ? admit_book(m->admit, d, n, start, end, &sh, err)
                 : admit_unbook(m->admit, d, n, start, end, err));
        if (error == ENOSPC) {
            char buf[256];
            brk_error_set(err, ENOSPC, "%s",
                          admit_shortage_format(m->admit, &sh, buf, sizeof buf));
        }
    }
    free(d);
    if (error) {
        return error;
    }
    size_t i;
    json_t *l;
    json_array_foreach(labels, i, l) {
        const char *il = json_string_value(json_object_get(l, "ilink"));
        json_t *used = json_object_get(m->labels_used, il);
        if (!used) {
            used = json_array();
            json_object_set_new(m->labels_used, il, used);
        }
        if (sign > 0) {
            json_array_append_new(used, json_pack(
                "{s:s, s:I, s:I, s:O}", "lease", lease, "start",
                (json_int_t) start, "end", (json_int_t) end, "label",
                json_object_get(l, "label")));
            continue;
        }
        for (size_t k = json_array_size(used); k-- > 0;) {
            json_t *u = json_array_get(used, k);
            if (strcmp(json_string_value(json_object_get(u, "lease")), lease)) {
                continue;
            }
            if (start <= json_integer_value(json_object_get(u, "start"))) {
                json_array_remove(used, k);
            } else {
                json_object_set_new(u, "end", json_integer(start));
            }
        }
    }
    return 0;
}

int
bkd_check_extend(struct bkd *b, const char *lease, const json_t *demands,
                 const json_t *labels, int64_t from, int64_t to,
                 struct brk_error *err)
{
    struct bkd_model *m = b->model;
    struct admit_demand *d;
    struct admit_shortage sh;

    if (!m) {
        return brk_error_set(err, ENOSPC, "no InP is registered");
    }
    ssize_t n = demands_resolve(m, demands, &d, false);
    if (n < 0) {
        return brk_error_set(err, ENOSPC, "an InP of the lease changed its "
                             "offer: a resource of the lease is gone");
    }
    int error = n ? admit_check(m->admit, d, n, from, to, &sh, err) : 0;
    free(d);
    if (error == ENOSPC) {
        char buf[256];
        return brk_error_set(err, ENOSPC, "%s",
                             admit_shortage_format(m->admit, &sh, buf,
                                                   sizeof buf));
    }
    /* The lease keeps its labels: no other lease may use one of them on
     * the same inter-domain link over the extension. */
    size_t i, k;
    json_t *l, *u;
    json_array_foreach(labels, i, l) {
        const char *il = json_string_value(json_object_get(l, "ilink"));
        json_int_t lab = json_integer_value(json_object_get(l, "label"));
        json_array_foreach(json_object_get(m->labels_used, il ? il : ""), k,
                           u) {
            if (json_integer_value(json_object_get(u, "label")) == lab
                && strcmp(json_string_value(json_object_get(u, "lease")),
                          lease)
                && json_integer_value(json_object_get(u, "start")) < to
                && from < json_integer_value(json_object_get(u, "end"))) {
                return brk_error_set(err, ENOSPC, "label %lld of "
                                     "inter-domain link %s is booked by "
                                     "another lease over that time",
                                     (long long) lab, il);
            }
        }
    }
    return error;
}

int
bkd_model_rebuild(struct bkd *b, struct brk_error *err)
{
    struct store_inp *inps;
    size_t n;
    int error = store_inp_list(b->store, &inps, &n, err);
    if (error) {
        return error;
    }
    struct bkd_model *m = xzalloc(sizeof *m);
    m->recs = json_array();
    m->admit = admit_create();
    m->res_index = json_object();
    m->node_index = json_object();
    m->labels_used = json_object();
    for (size_t i = 0; i < n; i++) {
        /* A sub-InP is up while the lease it offers is active and the
         * real InP under it is up. */
        const char *parent = json_string_value(json_object_get(
                                                   inps[i].offer, "parent_lease"));
        const char *real = json_string_value(json_object_get(inps[i].offer,
                                                             "real_inp"));
        bool up = inps[i].up;
        if (parent) {
            struct store_lease pl;
            struct brk_error e;
            up = false;
            if (!store_lease_get(b->store, parent, &pl, &e)) {
                up = pl.state == LEASE_ACTIVE;
                store_lease_clear(&pl);
            }
            for (size_t k = 0; k < n && up; k++) {
                if (real && !strcmp(inps[k].id, real)) {
                    up = inps[k].up;
                }
            }
        }
        json_array_append_new(m->recs, json_pack(
            "{s:s, s:O, s:b}", "name", inps[i].id, "rec", inps[i].offer,
            "up", up));
    }
    store_inps_free(inps, n);
    model_build(m);
    m->substrate = b->substrate;
    bkd_model_destroy(b->model);
    b->model = m;

    /* Book the leases that hold capacity. */
    struct store_lease *ls;
    if (!store_lease_list(b->store, NULL, LEASE_NONE, &ls, &n, err)) {
        for (size_t i = 0; i < n; i++) {
            if (lease_state_is_final(ls[i].state)) {
                continue;
            }
            struct brk_error e;
            if (bkd_book(b, ls[i].id, json_object_get(ls[i].parts, "demands"),
                         json_object_get(ls[i].parts, "labels"), ls[i].start,
                         ls[i].end, +1, &e)) {
                LOG_WARN(MOD, "lease %s no longer fits the offers: %s",
                         ls[i].id, e.msg);
            }
        }
        store_leases_free(ls, n);
    }
    return 0;
}

/* ---- Placement ---- */

void
bkd_placement_clear(struct bkd_placement *p)
{
    json_decref(p->parts);
    json_decref(p->demands);
    json_decref(p->labels);
    json_decref(p->bills);
    memset(p, 0, sizeof *p);
}

static const char *hop_down(const json_t *down, const char *x, const char *y);

/* The free capacities over [s, e) in vne units (CPU, Mbit/s); down InPs
 * have none.  'ignore_bookings' gives the capacities. */
static void
residual_over(const struct bkd_model *m, int64_t s, int64_t e,
              bool ignore_bookings, struct vne_residual *res)
{
    vne_residual_init(res, m->merged);
    for (uint32_t u = 0; u < m->n_nodes; u++) {
        uint32_t r = m->nodes[u].res;
        int64_t free_ = admit_capacity(m->admit, r)
                        - (ignore_bookings ? 0 : admit_peak(m->admit, r, s, e,
                                                            NULL));
        res->cpu[u] = m->inps[m->nodes[u].inp].up ? MAX(free_, 0) : 0;
    }
    for (uint32_t l = 0; l < m->merged->n_links; l++) {
        const struct model_link *ml = &m->links[l];
        uint32_t r = ml->res;
        int64_t free_ = admit_capacity(m->admit, r)
                        - (ignore_bookings ? 0 : admit_peak(m->admit, r, s, e,
                                                            NULL));
        bool up = (ml->inp >= 0 ? m->inps[ml->inp].up
                   : m->inps[m->ilinks[ml->ilink].inp[0]].up
                     && m->inps[m->ilinks[ml->ilink].inp[1]].up);
        /* A link its InP reports down carries nothing new. */
        if (ml->inp >= 0 && m->substrate
            && hop_down(json_object_get(json_object_get(m->substrate,
                                                        m->inps[ml->inp].name),
                                        "down"),
                        m->nodes[m->merged->links[l].u].name,
                        m->nodes[m->merged->links[l].v].name)) {
            up = false;
        }
        res->bw[l] = up ? MAX(free_, 0) / 1000000 : 0;
    }
}

/* Adds substrate node 'u' to the allowed set of a vnode ('allowed' is a
 * JSON object used as a set, NULL: not constrained yet), intersecting. */
static json_t *
allowed_intersect(json_t *allowed, json_t *set)
{
    if (!allowed) {
        return set;
    }
    const char *key;
    json_t *v, *out = json_object();
    json_object_foreach(allowed, key, v) {
        if (json_object_get(set, key)) {
            json_object_set(out, key, v);
        }
    }
    json_decref(allowed);
    json_decref(set);
    return out;
}

/* Adds node 'u' to the set 'set' (a JSON object keyed by the number). */
static void
set_add(json_t *set, uint32_t u)
{
    char key[16];
    snprintf(key, sizeof key, "%"PRIu32, u);
    json_object_set_new(set, key, json_true());
}

static int
cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
    return x < y ? -1 : x > y;
}

/* Builds the vne request of 'req' (with its constraints) into 'vr'. */
static int
request_build(const struct bkd_model *m, const struct vnreq *req,
              struct vne_request *vr, char *field, struct brk_error *err)
{
    memset(vr, 0, sizeof *vr);
    vr->revisit = req->revisit;
    vr->n_nodes = req->n_nodes;
    vr->n_links = req->n_links;
    vr->nodes = xcalloc(req->n_nodes + 1, sizeof *vr->nodes);
    vr->links = xcalloc(req->n_links + 1, sizeof *vr->links);
    json_t **allowed = xcalloc(req->n_nodes + 1, sizeof *allowed);
    int error = 0;

    for (size_t i = 0; i < req->n_nodes && !error; i++) {
        const struct vnreq_node *n = &req->nodes[i];
        vr->nodes[i].cpu = n->cpu;
        if (n->inp) {
            json_t *set = json_object();
            for (uint32_t u = 0; u < m->n_nodes; u++) {
                if (!strcmp(m->inps[m->nodes[u].inp].name, n->inp)) {
                    set_add(set, u);
                }
            }
            if (!json_object_size(set)) {
                json_decref(set);
                snprintf(field, 64, "nodes[%zu].inp", i);
                error = brk_error_set(err, EINVAL, "nodes[%zu].inp: no InP "
                                      "\"%s\" is registered", i, n->inp);
                break;
            }
            allowed[i] = allowed_intersect(allowed[i], set);
        }
        if (n->location) {
            json_t *set = json_object();
            for (uint32_t u = 0; u < m->n_nodes; u++) {
                if (!strcmp(m->nodes[u].name, n->location)) {
                    set_add(set, u);
                }
            }
            allowed[i] = allowed_intersect(allowed[i], set);
            if (!json_object_size(allowed[i])) {
                snprintf(field, 64, "nodes[%zu].location", i);
                error = brk_error_set(err, EINVAL, "nodes[%zu].location: no "
                                      "substrate node \"%s\"%s%s", i,
                                      n->location, n->inp ? " on InP " : "",
                                      n->inp ? n->inp : "");
            }
        }
    }
    for (size_t j = 0; j < req->n_access && !error; j++) {
        const struct vnreq_access *a = &req->access[j];
        const struct model_inp *mi = NULL;
        for (uint32_t p = 0; p < m->n_inps; p++) {
            if (!strcmp(m->inps[p].name, a->inp)) {
                mi = &m->inps[p];
            }
        }
        const json_t *ap = NULL;
        size_t k;
        json_t *v;
        json_array_foreach(mi ? json_object_get(mi->offer, "access") : NULL,
                           k, v) {
            if (!strcmp(json_string_value(json_object_get(v, "name")),
                        a->point)) {
                ap = v;
            }
        }
        snprintf(field, 64, "access[%zu].at", j);
        if (!ap) {
            error = brk_error_set(err, EINVAL, "access[%zu].at: %s has no "
                                  "access point \"%s\"%s", j,
                                  mi ? a->inp : "no InP", a->point,
                                  mi ? "" : " (unknown InP)");
            break;
        }
        int64_t u = node_of(m, a->inp, json_string_value(
                                json_object_get(ap, "node")));
        json_t *set = json_object();
        set_add(set, u);
        allowed[a->node] = allowed_intersect(allowed[a->node], set);
        if (!json_object_size(allowed[a->node])) {
            error = brk_error_set(err, EINVAL, "access[%zu].at: node %s "
                                  "cannot be on %s/%s and meet its other "
                                  "constraints", j, req->nodes[a->node].name,
                                  a->inp, a->point);
        }
    }
    for (size_t i = 0; i < req->n_nodes; i++) {
        if (allowed[i] && !error) {
            struct vne_vnode *vn = &vr->nodes[i];
            vn->allowed = xcalloc(json_object_size(allowed[i]) + 1,
                                  sizeof *vn->allowed);
            const char *key;
            json_t *v;
            json_object_foreach(allowed[i], key, v) {
                vn->allowed[vn->n_allowed++] = strtoul(key, NULL, 10);
            }
            qsort(vn->allowed, vn->n_allowed, sizeof *vn->allowed, cmp_u32);
        }
        json_decref(allowed[i]);
    }
    free(allowed);
    if (!error) {
        for (size_t l = 0; l < req->n_links; l++) {
            vr->links[l].src = req->links[l].a;
            vr->links[l].dst = req->links[l].b;
            vr->links[l].bw = MAX(1, (req->links[l].bandwidth + 999999)
                                     / 1000000);
        }
    }
    if (!error) {
        field[0] = '\0';
    }
    return error;
}

/* Micro-units: weighted average price accumulator. */
struct price_acc {
    int64_t cpu, cpu_money;     /* CPU units; sum of cpu x price */
    uint64_t bps;
    double bw_money;            /* sum of Mbit/s x price */
};

/* Records 'amount' of resource 'res' in 'demands'. */
static void
demand_add(const struct bkd_model *m, json_t *demands, uint32_t res,
           int64_t amount)
{
    json_array_append_new(demands, json_pack(
        "{s:s, s:I}", "r", admit_resource_name(m->admit, res),
        "n", (json_int_t) amount));
}

/* The lowest label of inter-domain link 'il' free over [s, e) and not in
 * 'taken' (labels of this placement), or -1. */
static int64_t
label_pick(const struct bkd_model *m, const struct model_ilink *il,
           int64_t s, int64_t e, const json_t *taken)
{
    json_t *used = json_object_get(m->labels_used, il->name);
    for (int64_t lab = il->lo; lab <= il->hi; lab++) {
        bool busy = false;
        size_t i;
        json_t *u;
        json_array_foreach(used, i, u) {
            if (json_integer_value(json_object_get(u, "label")) == lab
                && json_integer_value(json_object_get(u, "start")) < e
                && s < json_integer_value(json_object_get(u, "end"))) {
                busy = true;
                break;
            }
        }
        json_array_foreach(taken, i, u) {
            if (!strcmp(json_string_value(json_object_get(u, "ilink")),
                        il->name)
                && json_integer_value(json_object_get(u, "label")) == lab) {
                busy = true;
            }
        }
        if (!busy) {
            return lab;
        }
    }
    return -1;
}

/* The PART of model InP 'p' in 'parts', created if needed. */
static json_t *
part_get(const struct bkd_model *m, json_t *parts, uint32_t p,
         const char *lease, const char *sp)
{
    json_t *part = json_object_get(parts, m->inps[p].name);
    if (!part) {
        char slice[STORE_ID_LEN + 1];
        snprintf(slice, sizeof slice, "L%s", lease);
        part = json_pack("{s:s, s:s, s:[], s:[], s:[], s:[]}", "slice", slice,
                         "sp", sp, "vnodes", "access", "vlinks",
                         "border_vlinks");
        json_object_set_new(parts, m->inps[p].name, part);
    }
    return part;
}

/* Turns the mapping 'vm' of 'req' into 'out' (parts, demands, labels,
 * bills).  ENOSPC if a label pool is exhausted. */
static int
placement_build(const struct bkd_model *m, const struct vnreq *req,
                const struct vne_mapping *vm, const char *lease,
                const char *sp, struct bkd_placement *out,
                struct brk_error *err)
{
    struct price_acc *acc = xcalloc(m->n_inps, sizeof *acc);
    out->parts = json_object();
    out->demands = json_array();
    out->labels = json_array();
    out->bills = json_object();
    int error = 0;

    for (size_t i = 0; i < req->n_nodes; i++) {
        const struct vnreq_node *n = &req->nodes[i];
        const struct model_node *mn = &m->nodes[vm->host[i]];
        json_t *part = part_get(m, out->parts, mn->inp, lease, sp);
        json_t *config = json_object();
        if (n->controller) {
            json_object_set_new(config, "controller",
                                json_string(n->controller));
        }
        if (n->program) {
            json_object_set_new(config, "program", json_string(n->program));
        }
        json_t *vn = json_pack(
            "{s:s, s:s, s:i, s:s, s:o}", "name", n->name, "switch", mn->name,
            "cpu", n->cpu, "fp", vnreq_plane_name(n->plane), "config",
            config);
        if (n->limits) {
            json_object_set_new(vn, "limits", json_deep_copy(n->limits));
        }
        json_array_append_new(json_object_get(part, "vnodes"), vn);
        demand_add(m, out->demands, mn->res, n->cpu);
        acc[mn->inp].cpu += n->cpu;
        acc[mn->inp].cpu_money += n->cpu * mn->price_cpu;
    }
    for (size_t j = 0; j < req->n_access; j++) {
        const struct vnreq_access *a = &req->access[j];
        const struct model_node *mn = &m->nodes[vm->host[a->node]];
        json_t *part = part_get(m, out->parts, mn->inp, lease, sp);
        json_array_append_new(json_object_get(part, "access"), json_pack(
            "{s:s, s:s, s:s, s:n}", "vnode", req->nodes[a->node].name,
            "access", a->point, "name", a->name, "vlan"));
        char rname[256];
        snprintf(rname, sizeof rname, "%s access point %s", a->inp, a->point);
        json_t *ridx = json_object_get(m->res_index, rname);
        if (ridx) {
            demand_add(m, out->demands, json_integer_value(ridx), 1);
        }
    }
    for (size_t l = 0; l < req->n_links && !error; l++) {
        const struct vnreq_link *vl = &req->links[l];
        const struct vne_path *path = &vm->paths[l];
        uint64_t bps = vl->bandwidth;
        /* Walk the path, cutting it at the inter-domain links. */
        json_t *seg = json_array();
        int64_t seg_inp = m->nodes[path->nodes[0]].inp;
        const char *seg_vnode = req->nodes[vl->a].name;
        const char *in_border = NULL;
        int64_t in_label = -1;
        json_array_append_new(seg, json_string(m->nodes[path->nodes[0]].name));
        for (uint32_t h = 0; h + 1 < path->len && !error; h++) {
            const struct model_link *ml = &m->links[path->links[h]];
            demand_add(m, out->demands, ml->res, bps);
            if (ml->ilink < 0) {
                json_array_append_new(seg, json_string(
                    m->nodes[path->nodes[h + 1]].name));
                acc[ml->inp].bps += bps;
                acc[ml->inp].bw_money += bps / 1e6 * ml->price_mbps;
                continue;
            }
            const struct model_ilink *il = &m->ilinks[ml->ilink];
            int side = il->inp[0] == seg_inp ? 0 : 1;
            int64_t label = label_pick(m, il, out->start, out->end,
                                       out->labels);
            if (label < 0) {
                error = brk_error_set(err, ENOSPC, "inter-domain link %s: no "
                                      "free label in %"PRId64"..%"PRId64,
                                      il->name, il->lo, il->hi);
                break;
            }
            json_array_append_new(out->labels, json_pack(
                "{s:s, s:I}", "ilink", il->name, "label", (json_int_t) label));
            for (int s2 = 0; s2 < 2; s2++) {
                acc[il->inp[s2]].bps += bps;
                acc[il->inp[s2]].bw_money += bps / 1e6 * il->price_mbps[s2];
            }
            /* Close the segment on this side. */
            json_t *part = part_get(m, out->parts, seg_inp, lease, sp);
            char name[160];
            snprintf(name, sizeof name, "%s", vl->name);
            if (seg_vnode) {
                json_array_append_new(json_object_get(part, "border_vlinks"),
                    json_pack("{s:s, s:s, s:O, s:s, s:I, s:I}", "name", name,
                              "vnode", seg_vnode, "path", seg, "border",
                              il->border[side], "label", (json_int_t) label,
                              "bandwidth_bps", (json_int_t) bps));
            } else {
                json_t *tv = json_object_get(part, "transit_vlinks");
                if (!tv) {
                    tv = json_array();
                    json_object_set_new(part, "transit_vlinks", tv);
                }
                json_array_append_new(tv, json_pack(
                    "{s:s, s:O, s:s, s:I, s:s, s:I, s:I}", "name", name,
                    "path", seg, "border_in", in_border, "label_in",
                    (json_int_t) in_label, "border_out", il->border[side],
                    "label_out", (json_int_t) label,
                    "bandwidth_bps", (json_int_t) bps));
            }
            json_decref(seg);
            seg = json_array();
            seg_inp = il->inp[1 - side];
            seg_vnode = NULL;
            in_border = il->border[1 - side];
            in_label = label;
            json_array_append_new(seg, json_string(
                m->nodes[path->nodes[h + 1]].name));
        }
        if (!error) {
            json_t *part = part_get(m, out->parts, seg_inp, lease, sp);
            if (!in_border) {
                json_array_append_new(json_object_get(part, "vlinks"), json_pack(
                    "{s:s, s:s, s:s, s:O, s:I}", "name", vl->name,
                    "a", req->nodes[vl->a].name, "b", req->nodes[vl->b].name,
                    "path", seg, "bandwidth_bps", (json_int_t) bps));
            } else {
                /* The last segment, from the far vnode to its border. */
                json_t *rev = json_array();
                for (size_t k = json_array_size(seg); k-- > 0;) {
                    json_array_append(rev, json_array_get(seg, k));
                }
                json_array_append_new(json_object_get(part, "border_vlinks"),
                    json_pack("{s:s, s:s, s:o, s:s, s:I, s:I}", "name",
                              vl->name, "vnode", req->nodes[vl->b].name,
                              "path", rev, "border", in_border, "label",
                              (json_int_t) in_label, "bandwidth_bps",
                              (json_int_t) bps));
            }
        }
        json_decref(seg);
    }
    for (uint32_t p = 0; p < m->n_inps && !error; p++) {
        if (!json_object_get(out->parts, m->inps[p].name)) {
            continue;
        }
        const struct price_acc *a = &acc[p];
        double mbps = a->bps / 1e6;
        json_object_set_new(out->bills, m->inps[p].name, json_pack(
            "{s:I, s:I, s:I, s:I}", "cpu", (json_int_t) a->cpu,
            "bps", (json_int_t) a->bps,
            "cpu_hour", (json_int_t) (a->cpu ? a->cpu_money / a->cpu : 0),
            "mbps_hour", (json_int_t) (mbps > 0 ? llround(a->bw_money / mbps)
                                       : 0)));
    }
    free(acc);
    return error;
}

/* ---- Recursion: sub-InPs ---- */

/* The one real PART of lease 'l' and its InP, or NULL. */
static const json_t *
sub_real_part(const struct store_lease *l, const char **inp)
{
    const json_t *parts = json_object_get(l->parts, "parts");
    if (json_object_size(parts) != 1) {
        return NULL;
    }
    void *it = json_object_iter((json_t *) parts);
    *inp = json_object_iter_key(it);
    return json_object_iter_value(it);
}

int
bkd_sub_offer(const struct store_lease *parent, const char *name,
              json_t **rec, char *field, struct brk_error *err)
{
    const char *inp;
    const json_t *part = sub_real_part(parent, &inp);
    size_t i;
    json_t *v;

    str_copy(field, "lease", 64);
    if (!part) {
        return brk_error_set(err, EINVAL, "lease %s spans %zu InPs: only a "
                             "lease on one InP can be offered (recursion "
                             "inside one InP)", parent->id,
                             json_object_size(json_object_get(parent->parts,
                                                              "parts")));
    }
    if (json_array_size(json_object_get(part, "border_vlinks"))
        || json_array_size(json_object_get(part, "transit_vlinks"))) {
        return brk_error_set(err, EINVAL, "lease %s has border or transit "
                             "virtual links: only a lease inside one InP can "
                             "be offered", parent->id);
    }
    json_t *offer = json_pack("{s:s, s:s, s:[], s:[], s:[]}", "name", name,
                              "advertise", "full", "nodes", "links", "access");
    json_array_foreach(json_object_get(part, "vnodes"), i, v) {
        json_t *n = json_pack("{s:s, s:O, s:i}", "name",
                              json_string_value(json_object_get(v, "name")),
                              "cpu", json_object_get(v, "cpu"),
                              "price_cpu_hour", 0);
        if (json_object_get(v, "limits")) {
            json_object_set(n, "limits", json_object_get(v, "limits"));
        }
        json_array_append_new(json_object_get(offer, "nodes"), n);
    }
    json_array_foreach(json_object_get(part, "vlinks"), i, v) {
        json_array_append_new(json_object_get(offer, "links"), json_pack(
            "{s:O, s:O, s:O, s:i}", "a", json_object_get(v, "a"),
            "b", json_object_get(v, "b"),
            "bandwidth", json_object_get(v, "bandwidth_bps"),
            "price_mbps_hour", 0));
    }
    json_array_foreach(json_object_get(part, "access"), i, v) {
        json_array_append_new(json_object_get(offer, "access"), json_pack(
            "{s:O, s:O, s:O}", "name", json_object_get(v, "name"),
            "node", json_object_get(v, "vnode"),
            "port", json_object_get(v, "name")));
    }
    field[0] = '\0';
    *rec = json_pack("{s:o, s:s, s:s, s:s}", "offer", offer,
                     "parent_lease", parent->id, "owner", parent->sp,
                     "real_inp", inp);
    return 0;
}

/* The path of the parent's vlink between vnodes 'x' and 'y', from x. */
static json_t *
sub_hop_path(const json_t *ppart, const char *x, const char *y)
{
    size_t i;
    json_t *vl;

    json_array_foreach(json_object_get(ppart, "vlinks"), i, vl) {
        const char *a = json_string_value(json_object_get(vl, "a"));
        const char *b = json_string_value(json_object_get(vl, "b"));
        const json_t *path = json_object_get(vl, "path");
        if (a && b && !strcmp(a, x) && !strcmp(b, y)) {
            return json_deep_copy(path);
        } else if (a && b && !strcmp(a, y) && !strcmp(b, x)) {
            json_t *rev = json_array();
            for (size_t k = json_array_size(path); k-- > 0;) {
                json_array_append(rev, json_array_get(path, k));
            }
            return rev;
        }
    }
    return NULL;
}

/* Turns 'sub' (a PART on a sub-InP, in the terms of the parent lease's
 * vnodes, vlinks and accesses) into the PART on the real InP, inside the
 * parent's real part 'ppart'.  Returns a new PART, or NULL with 'err'. */
static json_t *
sub_part_real(const json_t *sub, const json_t *ppart, struct brk_error *err)
{
    json_t *real = json_pack("{s:O, s:O, s:O, s:[], s:[], s:[], s:[]}",
                             "slice", json_object_get(sub, "slice"),
                             "sp", json_object_get(sub, "sp"),
                             "parent", json_object_get(ppart, "slice"),
                             "vnodes", "access", "vlinks", "border_vlinks");
    size_t i;
    json_t *v;

    json_array_foreach(json_object_get(sub, "vnodes"), i, v) {
        const json_t *pv = inherit_find(json_object_get(ppart, "vnodes"), "name",
                                    json_string_value(json_object_get(v, "switch")));
        json_t *rv = json_deep_copy(v);
        json_object_set(rv, "switch", json_object_get(pv, "switch"));
        json_array_append_new(json_object_get(real, "vnodes"), rv);
    }
    json_array_foreach(json_object_get(sub, "access"), i, v) {
        const json_t *pa = inherit_find(json_object_get(ppart, "access"), "name",
                                    json_string_value(json_object_get(v, "access")));
        json_t *ra = json_deep_copy(v);
        json_object_set(ra, "access", json_object_get(pa, "access"));
        json_object_set(ra, "vlan", json_object_get(pa, "vlan"));
        json_array_append_new(json_object_get(real, "access"), ra);
    }
    json_array_foreach(json_object_get(sub, "vlinks"), i, v) {
        const json_t *path = json_object_get(v, "path");
        json_t *rpath = json_array();
        for (size_t h = 0; h + 1 < json_array_size(path); h++) {
            const char *x = json_string_value(json_array_get(path, h));
            const char *y = json_string_value(json_array_get(path, h + 1));
            json_t *seg = sub_hop_path(ppart, x, y);
            if (!seg) {
                brk_error_set(err, EINVAL, "links: no virtual link %s-%s in "
                              "the parent lease", x, y);
                json_decref(rpath);
                json_decref(real);
                return NULL;
            }
            for (size_t k = h ? 1 : 0; k < json_array_size(seg); k++) {
                json_array_append(rpath, json_array_get(seg, k));
            }
            json_decref(seg);
        }
        json_t *rv = json_deep_copy(v);
        json_object_set_new(rv, "path", rpath);
        json_array_append_new(json_object_get(real, "vlinks"), rv);
    }
    return real;
}

/* The record of sub-InP 'name' in the model, or NULL (no such InP, or
 * not a sub-InP). */
static const json_t *
sub_rec(const struct bkd_model *m, const char *name)
{
    for (uint32_t p = 0; name && p < m->n_inps; p++) {
        if (!strcmp(m->inps[p].name, name)) {
            const json_t *rec = json_object_get(json_array_get(m->recs, p),
                                                "rec");
            return json_object_get(rec, "parent_lease") ? rec : NULL;
        }
    }
    return NULL;
}

/* Refuses, naming the limit, a node or a link pinned to a sub-InP that
 * asks more than the whole lease it offers holds on any node or link:
 * the embedding would only say that nothing fits.  Returns 0 or EPERM
 * with 'field' and 'err'. */
static int
sub_precheck(const struct bkd_model *m, const struct vnreq *req, char *field,
             struct brk_error *err)
{
    for (size_t i = 0; i < req->n_nodes; i++) {
        const json_t *rec = sub_rec(m, req->nodes[i].inp);
        json_int_t most = 0;
        size_t k;
        json_t *n;
        json_array_foreach(json_object_get(json_object_get(rec, "offer"),
                                           "nodes"), k, n) {
            most = MAX(most, json_integer_value(json_object_get(n, "cpu")));
        }
        if (rec && req->nodes[i].cpu > most) {
            snprintf(field, 64, "nodes[%zu].cpu", i);
            return brk_error_set(err, EPERM, "nodes[%zu].cpu: %"PRId32" over "
                                 "the parent's %"JSON_INTEGER_FORMAT" (the most "
                                 "CPU of a vnode of lease %s, offered as %s)",
                                 i, req->nodes[i].cpu, most,
                                 json_string_value(json_object_get(rec,
                                                                   "parent_lease")),
                                 req->nodes[i].inp);
        }
    }
    for (size_t l = 0; l < req->n_links; l++) {
        const struct vnreq_link *vl = &req->links[l];
        const json_t *rec = sub_rec(m, req->nodes[vl->a].inp);
        if (!rec || !req->nodes[vl->b].inp
            || strcmp(req->nodes[vl->a].inp, req->nodes[vl->b].inp)) {
            continue;
        }
        json_int_t most = 0;
        size_t k;
        json_t *n;
        json_array_foreach(json_object_get(json_object_get(rec, "offer"),
                                           "links"), k, n) {
            most = MAX(most, json_integer_value(json_object_get(n,
                                                                "bandwidth")));
        }
        if ((json_int_t) vl->bandwidth > most) {
            snprintf(field, 64, "links[%zu].bandwidth", l);
            return brk_error_set(err, EPERM, "links[%zu].bandwidth: %"PRIu64
                                 " bit/s over the parent's %"JSON_INTEGER_FORMAT
                                 " bit/s (the widest virtual link of lease %s, "
                                 "offered as %s)", l, vl->bandwidth, most,
                                 json_string_value(json_object_get(rec,
                                                                   "parent_lease")),
                                 req->nodes[vl->a].inp);
        }
    }
    return 0;
}

/* Puts the parts of 'out' placed on sub-InPs onto their real InPs (each
 * inside its parent lease's part, checked by inherit_check() against the
 * parent's other live children).  Returns 0, or EPERM/EINVAL/ENOSPC with
 * 'field' and 'err'. */
static int
sub_translate(struct bkd *b, struct bkd_placement *out, char *field,
              struct brk_error *err)
{
    const struct bkd_model *m = b->model;
    json_t *parts = json_object();
    const char *inp;
    json_t *part;
    int error = 0;

    json_object_foreach(out->parts, inp, part) {
        const json_t *rec = NULL;
        for (uint32_t p = 0; p < m->n_inps; p++) {
            if (!strcmp(m->inps[p].name, inp)) {
                rec = json_object_get(json_array_get(m->recs, p), "rec");
            }
        }
        const char *parent = json_string_value(json_object_get(rec,
                                                               "parent_lease"));
        if (!parent) {
            if (json_object_get(parts, inp)) {
                error = brk_error_set(err, EINVAL, "a lease cannot use InP %s "
                                      "both directly and through a sub-InP",
                                      inp);
                break;
            }
            json_object_set(parts, inp, part);
            continue;
        }
        struct store_lease pl;
        const char *rinp;
        if (store_lease_get(b->store, parent, &pl, err)) {
            error = ENOSPC;
            break;
        }
        const json_t *ppart = sub_real_part(&pl, &rinp);
        json_t *real = ppart ? sub_part_real(part, ppart, err) : NULL;
        if (!ppart) {
            error = brk_error_set(err, EINVAL, "sub-InP %s: its lease %s is "
                                  "not on one InP", inp, parent);
        } else if (!real) {
            error = EINVAL;
        } else if (out->end > pl.end) {
            char t[32];
            str_copy(field, "time", 64);
            error = brk_error_set(err, EPERM, "time: the lease would end after "
                                  "lease %s that sub-InP %s offers (%s)",
                                  parent, inp,
                                  brk_time_format(pl.end, t, sizeof t));
        } else if (json_object_get(parts, rinp) || out->parent_lease[0]) {
            error = brk_error_set(err, EINVAL, "a lease cannot use InP %s "
                                  "twice (directly and through sub-InP %s, or "
                                  "through two sub-InPs)", rinp, inp);
        }
        if (!error) {
            /* Siblings: the parent's other children not final that
             * overlap this lease. */
            json_t *sibs = json_array();
            struct store_lease *ls;
            size_t n;
            if (!store_lease_list(b->store, NULL, LEASE_NONE, &ls, &n, err)) {
                for (size_t i = 0; i < n; i++) {
                    const char *pp = json_string_value(json_object_get(
                                                           ls[i].parts, "parent_lease"));
                    if (pp && !strcmp(pp, parent)
                        && !lease_state_is_final(ls[i].state)
                        && ls[i].start < out->end && out->start < ls[i].end) {
                        json_t *sp = json_object_get(json_object_get(
                                                         ls[i].parts, "parts"), rinp);
                        if (sp) {
                            json_array_append(sibs, sp);
                        }
                    }
                }
                store_leases_free(ls, n);
            }
            char msg[512];
            inherit_fill(ppart, real);
            error = inherit_check(ppart, sibs, real, msg, sizeof msg);
            if (error) {
                str_copy(field, "nodes", 64);
                brk_error_set(err, error, "sub-InP %s (lease %s): %s", inp,
                              parent, msg);
            }
            json_decref(sibs);
        }
        if (!error) {
            json_object_set_new(parts, rinp, real);
            str_copy(out->parent_lease, parent, sizeof out->parent_lease);
        } else {
            json_decref(real);
        }
        store_lease_clear(&pl);
        if (error) {
            break;
        }
    }
    if (!error) {
        json_decref(out->parts);
        out->parts = parts;
    } else {
        json_decref(parts);
    }
    return error;
}

/* Copies vne_md's message 'in' to 'out', its InP names ("inp0") turned
 * into the InPs' own. */
static void
md_names(const struct bkd_model *m, const char *in, char *out, size_t size)
{
    size_t n = 0;
    while (*in && n + 1 < size) {
        char *end;
        if (!strncmp(in, "inp", 3) && in[3] >= '0' && in[3] <= '9') {
            unsigned long k = strtoul(in + 3, &end, 10);
            if (k < m->md->n_inps) {
                n += snprintf(out + n, size - n, "%s",
                              m->inps[m->md_inp[k]].name);
                in = end;
                continue;
            }
        }
        out[n++] = *in++;
    }
    out[MIN(n, size - 1)] = '\0';
}

/* Embeds 'vr' on the free capacities over [s, e) ('ignore_bookings': on
 * the capacities).  Returns 0 with 'vm', or ENOSPC with 'err'. */
static int
embed_over(const struct bkd_model *m, const struct vne_request *vr,
           int64_t s, int64_t e, bool ignore_bookings, struct vne_mapping *vm,
           struct brk_error *err)
{
    struct vne_residual res;
    struct vne_md_result r;
    struct vne_md_reject rej;

    residual_over(m, s, e, ignore_bookings, &res);
    int error = vne_md_embed(m->md, m->all_full ? VNE_MD_FULL : VNE_MD_ABSTRACT,
                             m->part_algos, m->view_algo, &res, vr, &r, &rej);
    vne_residual_clear(&res);
    if (error == ENOSPC) {
        char d[512];
        md_names(m, rej.detail, d, sizeof d);
        return brk_error_set(err, ENOSPC, "%s", d);
    } else if (error) {
        return brk_error_set(err, error, "embedding failed: %s",
                             strerror(error));
    }
    *vm = r.m;
    memset(&r.m, 0, sizeof r.m);
    vne_md_result_clear(&r);
    return 0;
}

int
bkd_place(struct bkd *b, const struct vnreq *req, const char *lease,
          const char *sp, int64_t now, struct bkd_placement *out,
          char *field, struct brk_error *err)
{
    const struct bkd_model *m = b->model;
    struct vne_request vr;
    struct vne_mapping vm;
    int error;

    memset(out, 0, sizeof *out);
    field[0] = '\0';
    if (!m || !m->md) {
        return brk_error_set(err, ENOSPC, "no InP is registered");
    }
    if ((error = sub_precheck(m, req, field, err))) {
        return error;
    }
    if ((error = request_build(m, req, &vr, field, err))) {
        vne_request_clear(&vr);
        return error;
    }
    int64_t s, e;
    if (req->timing == VNREQ_FIXED) {
        s = MAX(req->start, now);
        e = req->end;
        error = embed_over(m, &vr, s, e, false, &vm, err);
    } else {
        s = MAX(req->earliest, now);
        e = s + req->duration;
        error = embed_over(m, &vr, s, e, false, &vm, err);
        if (error == ENOSPC) {
            /* Where would it go on an empty market, and when is that
             * free? */
            struct brk_error e2;
            if (!embed_over(m, &vr, s, e, true, &vm, &e2)) {
                struct bkd_placement tmp = { .start = s, .end = e };
                if (!placement_build(m, req, &vm, lease, sp, &tmp, &e2)) {
                    struct admit_demand *d;
                    ssize_t n = demands_resolve(m, tmp.demands, &d, false);
                    int64_t t;
                    struct admit_shortage sh;
                    if (n > 0 && !admit_earliest(m->admit, d, n, s,
                                                 MAX(req->latest, s),
                                                 req->duration, &t, &sh,
                                                 &e2)) {
                        s = t;
                        e = t + req->duration;
                        error = 0;
                    }
                    free(d);
                }
                bkd_placement_clear(&tmp);
                if (error) {
                    vne_mapping_clear(&vm);
                }
            }
            if (!error) {
                vne_mapping_clear(&vm);
                error = embed_over(m, &vr, s, e, false, &vm, err);
            }
        }
    }
    if (error) {
        vne_request_clear(&vr);
        return error;
    }
    out->start = s;
    out->end = e;
    out->price_hour = 0;
    error = placement_build(m, req, &vm, lease, sp, out, err);
    if (!error) {
        /* The exact check (vne works in whole Mbit/s). */
        struct admit_demand *d;
        struct admit_shortage sh;
        ssize_t n = demands_resolve(m, out->demands, &d, false);
        error = n > 0 ? admit_check(m->admit, d, n, s, e, &sh, err) : 0;
        if (error == ENOSPC) {
            char buf[256];
            brk_error_set(err, ENOSPC, "%s",
                          admit_shortage_format(m->admit, &sh, buf, sizeof buf));
        }
        free(d);
        out->price_hour = vne_md_price(m->md, &vr, &vm);
    }
    if (!error) {
        error = sub_translate(b, out, field, err);
    }
    if (error) {
        bkd_placement_clear(out);
    }
    vne_mapping_clear(&vm);
    vne_request_clear(&vr);
    return error;
}

/* ---- Re-embedding after a substrate failure ---- */

/* The index in the model of InP 'inp', or -1. */
static int64_t
inp_index(const struct bkd_model *m, const char *inp)
{
    for (uint32_t p = 0; p < m->n_inps; p++) {
        if (!strcmp(m->inps[p].name, inp)) {
            return p;
        }
    }
    return -1;
}

/* The merged link between switches 'x' and 'y' of InP 'inp', or -1. */
static int64_t
hop_link(const struct bkd_model *m, const char *inp, const char *x,
         const char *y)
{
    int64_t u = node_of(m, inp, x), v = node_of(m, inp, y);
    return u < 0 || v < 0 ? -1 : vne_substrate_link(m->merged, u, v);
}

/* The name of the link of 'down' ([{"name", "a", "b"}]) between 'x' and
 * 'y', or NULL when that hop is up. */
static const char *
hop_down(const json_t *down, const char *x, const char *y)
{
    size_t i;
    json_t *d;
    json_array_foreach(down, i, d) {
        const char *a = json_string_value(json_object_get(d, "a"));
        const char *b = json_string_value(json_object_get(d, "b"));
        const char *n = json_string_value(json_object_get(d, "name"));
        if (a && b && ((!strcmp(a, x) && !strcmp(b, y))
                       || (!strcmp(a, y) && !strcmp(b, x)))) {
            return n ? n : "?";
        }
    }
    return NULL;
}

/* The bandwidth of merged link 'l' free over [from, to). */
static int64_t
link_free(const struct bkd_model *m, uint32_t l, int64_t from, int64_t to)
{
    uint32_t r = m->links[l].res;
    return admit_capacity(m->admit, r) - admit_peak(m->admit, r, from, to, NULL);
}

bool
bkd_link_down(const struct bkd *b, const char *inp, const char *x,
              const char *y)
{
    return hop_down(json_object_get(json_object_get(b->substrate, inp), "down"),
                    x, y) != NULL;
}

/* The members of a part that list vlinks: plain, border, transit. */
static const char *const part_vlink_kinds[] = { "vlinks", "border_vlinks",
                                                "transit_vlinks" };

/* Calls 'cb' on every vlink (plain, border, transit) of 'part'. */
static void
part_vlinks(const json_t *part, void (*cb)(json_t *vl, void *aux), void *aux)
{
    for (size_t k = 0; k < ARRAY_SIZE(part_vlink_kinds); k++) {
        size_t i;
        json_t *vl;
        json_array_foreach(json_object_get(part, part_vlink_kinds[k]), i, vl) {
            cb(vl, aux);
        }
    }
}

struct link_demands_aux {
    const struct bkd_model *m;
    const char *inp;
    json_t *demands;
};

static void
link_demands_cb(json_t *vl, void *aux_)
{
    struct link_demands_aux *aux = aux_;
    const json_t *path = json_object_get(vl, "path");
    json_int_t bps = json_integer_value(json_object_get(vl, "bandwidth_bps"));
    for (size_t h = 0; h + 1 < json_array_size(path); h++) {
        int64_t l = hop_link(aux->m, aux->inp,
                             json_string_value(json_array_get(path, h)),
                             json_string_value(json_array_get(path, h + 1)));
        if (l >= 0) {
            demand_add(aux->m, aux->demands, aux->m->links[l].res, bps);
        }
    }
}

json_t *
bkd_part_link_demands(const struct bkd *b, const char *inp,
                      const json_t *part)
{
    struct link_demands_aux aux = { b->model, inp, json_array() };
    if (b->model) {
        part_vlinks(part, link_demands_cb, &aux);
    }
    return aux.demands;
}

/* The shortest path (hops) from 'src' to 'dst' inside model InP 'p' over
 * links that are up and have 'bps' free over [from, to), as a new array
 * of switch names, or NULL with 'why' naming the links that refuse it. */
static json_t *
detour(const struct bkd_model *m, uint32_t p, const char *src,
       const char *dst, int64_t bps, const json_t *down, int64_t from,
       int64_t to, char *why, size_t why_size)
{
    const char *inp = m->inps[p].name;
    int64_t s = node_of(m, inp, src), t = node_of(m, inp, dst);
    const struct vne_substrate *g = m->merged;
    int32_t *prev = xmalloc(g->n_nodes * sizeof *prev);
    uint32_t *queue = xmalloc(g->n_nodes * sizeof *queue);
    json_t *path = NULL;
    size_t head = 0, tail = 0;

    for (uint32_t u = 0; u < g->n_nodes; u++) {
        prev[u] = -2;
    }
    if (s >= 0 && t >= 0) {
        prev[s] = -1;
        queue[tail++] = s;
    }
    while (head < tail && prev[t] == -2) {
        uint32_t u = queue[head++];
        for (uint32_t k = g->adj_start[u]; k < g->adj_start[u + 1]; k++) {
            uint32_t v = g->adj[k].node, l = g->adj[k].link;
            if (prev[v] != -2 || m->links[l].inp != (int32_t) p
                || hop_down(down, m->nodes[u].name, m->nodes[v].name)
                || link_free(m, l, from, to) < bps) {
                continue;
            }
            prev[v] = u;
            queue[tail++] = v;
        }
    }
    if (t >= 0 && prev[t] != -2) {
        path = json_array();
        for (int64_t u = t; u >= 0; u = prev[u]) {
            json_array_insert_new(path, 0, json_string(m->nodes[u].name));
        }
    } else {
        /* Name what refuses it: the links down and those too narrow. */
        char rate[32], cap[32];
        int n = snprintf(why, why_size, "no path from %s to %s with %s free "
                         "on InP %s:", src, dst,
                         units_format_rate(bps, rate, sizeof rate), inp);
        for (uint32_t l = 0; l < g->n_links && n > 0 && (size_t) n < why_size;
             l++) {
            const char *x = m->nodes[g->links[l].u].name;
            const char *y = m->nodes[g->links[l].v].name;
            const char *dn = hop_down(down, x, y);
            int64_t f = link_free(m, l, from, to);
            if (m->links[l].inp != (int32_t) p) {
                continue;
            } else if (dn) {
                n += snprintf(why + n, why_size - n, " %s (%s-%s) down;", dn, x,
                              y);
            } else if (f < bps) {
                n += snprintf(why + n, why_size - n, " link %s-%s has %s free "
                              "of %s;", x, y,
                              units_format_rate(MAX(f, 0), rate, sizeof rate),
                              units_format_rate(admit_capacity(
                                  m->admit, m->links[l].res), cap, sizeof cap));
            }
        }
        if (n > 0 && (size_t) n < why_size && why[n - 1] == ';') {
            why[n - 1] = '\0';
        }
    }
    free(prev);
    free(queue);
    return path;
}

/* Books (+1) or gives back (-1) 'bps' on every hop of 'path' over
 * [from, to). */
static void
path_book(const struct bkd_model *m, const char *inp, const json_t *path,
          int64_t bps, int64_t from, int64_t to, int sign)
{
    struct brk_error err;
    for (size_t h = 0; h + 1 < json_array_size(path); h++) {
        int64_t l = hop_link(m, inp, json_string_value(json_array_get(path, h)),
                             json_string_value(json_array_get(path, h + 1)));
        if (l >= 0) {
            struct admit_demand d = { m->links[l].res, bps };
            struct admit_shortage sh;
            if (sign > 0) {
                admit_book(m->admit, &d, 1, from, to, &sh, &err);
            } else {
                admit_unbook(m->admit, &d, 1, from, to, &err);
            }
        }
    }
}

/* The name of the first link of 'path' that is in 'down', or NULL. */
static const char *
path_down(const json_t *path, const json_t *down)
{
    for (size_t h = 0; h + 1 < json_array_size(path); h++) {
        const char *n = hop_down(down,
                                 json_string_value(json_array_get(path, h)),
                                 json_string_value(json_array_get(path, h + 1)));
        if (n) {
            return n;
        }
    }
    return NULL;
}

/* The vlink named 'name' of the same kind in 'part', or NULL. */
static json_t *
vlink_named(const json_t *part, const char *name)
{
    for (size_t k = 0; k < ARRAY_SIZE(part_vlink_kinds); k++) {
        size_t i;
        json_t *vl;
        json_array_foreach(json_object_get(part, part_vlink_kinds[k]), i, vl) {
            if (!strcmp(json_string_value(json_object_get(vl, "name")), name)) {
                return vl;
            }
        }
    }
    return NULL;
}

struct plan_aux {
    const struct bkd_model *m;
    uint32_t p;
    const json_t *part, *down;
    int64_t from, to;
    json_t *booked;             /* [[path, bps]] booked while planning */
    json_t *down_names, *rerouted;
    char reason[1024];
};

/* Adds 'name' to the array of strings 'a' if it is not there. */
static void
names_add(json_t *a, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        if (!strcmp(json_string_value(v), name)) {
            return;
        }
    }
    json_array_append_new(a, json_string(name));
}

/* Plans one vlink of the lease's own part: its own path when that is up
 * and has room, else the path in force when that is up, else a detour. */
static void
plan_cb(json_t *vl, void *aux_)
{
    struct plan_aux *a = aux_;
    const char *inp = a->m->inps[a->p].name;
    const char *name = json_string_value(json_object_get(vl, "name"));
    json_t *own = json_object_get(vl, "path");
    const json_t *cur_vl = vlink_named(a->part, name);
    const json_t *cur = cur_vl ? json_object_get(cur_vl, "path") : own;
    int64_t bps = json_integer_value(json_object_get(vl, "bandwidth_bps"));
    const char *dn = path_down(own, a->down);
    json_t *path = NULL;

    if (json_array_size(own) < 2) {
        return;                 /* one switch: no link under it */
    }
    if (dn) {
        names_add(a->down_names, dn);
    }
    if (!dn) {
        /* Back on its own path, if its links have room (the path in force
         * is given back first: it is this lease's). */
        bool fits = true;
        for (size_t h = 0; h + 1 < json_array_size(own) && !json_equal(own, cur);
             h++) {
            int64_t l = hop_link(a->m, inp, json_string_value(json_array_get(own, h)),
                                 json_string_value(json_array_get(own, h + 1)));
            fits = fits && l >= 0 && link_free(a->m, l, a->from, a->to) >= bps;
        }
        path = fits ? json_incref(own) : NULL;
    }
    if (!path && !path_down(cur, a->down) && !json_equal(cur, own)) {
        path = json_deep_copy(cur);     /* stays on its detour for now */
    }
    if (!path) {
        char why[512];
        path = detour(a->m, a->p, json_string_value(json_array_get(own, 0)),
                      json_string_value(json_array_get(own, json_array_size(own) - 1)),
                      bps, a->down, a->from, a->to, why, sizeof why);
        if (!path) {
            size_t len = strlen(a->reason);
            char rate[32];
            snprintf(a->reason + len, sizeof a->reason - len,
                     "%svlink %s (%s): %s", len ? "; " : "", name,
                     units_format_rate(bps, rate, sizeof rate), why);
            return;             /* keeps its own path, degraded */
        }
    }
    path_book(a->m, inp, path, bps, a->from, a->to, +1);
    json_array_append_new(a->booked, json_pack("[O, I]", path, (json_int_t) bps));
    if (!json_equal(path, own)) {
        json_array_append_new(a->rerouted, json_pack("{s:s, s:O}", "vlink", name,
                                                     "path", path));
    }
    json_object_set_new(vl, "path", path);
}

json_t *
bkd_reembed_plan(struct bkd *b, const char *inp, const json_t *part,
                 const json_t *own, const json_t *down, int64_t from,
                 int64_t to, json_t **target)
{
    const struct bkd_model *m = b->model;
    int64_t p = m ? inp_index(m, inp) : -1;
    json_t *report = NULL;

    *target = json_deep_copy(own);
    if (p < 0 || from >= to) {
        return NULL;
    }
    /* The paths in force are this lease's: given back while planning, so
     * that a detour may reuse their links, and booked again after. */
    json_t *cur = bkd_part_link_demands(b, inp, part);
    struct brk_error err;
    bkd_book(b, "", cur, NULL, from, to, -1, &err);
    struct plan_aux a = {
        .m = m, .p = p, .part = part, .down = down, .from = from, .to = to,
        .booked = json_array(), .down_names = json_array(),
        .rerouted = json_array(),
    };
    part_vlinks(*target, plan_cb, &a);
    size_t i;
    json_t *bk;
    json_array_foreach(a.booked, i, bk) {
        path_book(m, inp, json_array_get(bk, 0),
                  json_integer_value(json_array_get(bk, 1)), from, to, -1);
    }
    bkd_book(b, "", cur, NULL, from, to, +1, &err);
    json_decref(cur);
    json_decref(a.booked);

    if (a.reason[0]) {
        report = json_pack("{s:s, s:O, s:O, s:s}", "state", "degraded", "down",
                           a.down_names, "rerouted", a.rerouted, "reason",
                           a.reason);
    } else if (json_array_size(a.rerouted) || json_array_size(a.down_names)) {
        report = json_pack("{s:s, s:O, s:O}", "state", "rerouted", "down",
                           a.down_names, "rerouted", a.rerouted);
    }
    json_decref(a.down_names);
    json_decref(a.rerouted);
    return report;
}
