#include "vne.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "util.h"

/* ---- Substrate ---- */

struct vne_substrate *
vne_substrate_create(const char *name, uint32_t n_nodes, const int32_t *cpu)
{
    struct vne_substrate *sub = xzalloc(sizeof *sub);

    sub->name = xstrdup(name ? name : "substrate");
    sub->n_nodes = n_nodes;
    sub->cpu = xcalloc(n_nodes, sizeof *sub->cpu);
    if (cpu) {
        memcpy(sub->cpu, cpu, n_nodes * sizeof *sub->cpu);
    }
    sub->has_xy = xcalloc(n_nodes, sizeof *sub->has_xy);
    sub->x = xcalloc(n_nodes, sizeof *sub->x);
    sub->y = xcalloc(n_nodes, sizeof *sub->y);
    sub->adj_start = xcalloc(n_nodes + 1, sizeof *sub->adj_start);
    return sub;
}

void
vne_substrate_add_link(struct vne_substrate *sub, uint32_t u, uint32_t v,
                       int32_t bw)
{
    /* Grow by doubling: capacity is the next power of two of n_links. */
    uint32_t n = sub->n_links;
    if ((n & (n - 1)) == 0) {
        sub->links = xrealloc(sub->links, (n ? 2 * n : 1) * sizeof *sub->links);
    }
    sub->links[n].u = u;
    sub->links[n].v = v;
    sub->links[n].bw = bw;
    sub->n_links = n + 1;
}

void
vne_substrate_finish(struct vne_substrate *sub)
{
    uint32_t n = sub->n_nodes;
    uint32_t *fill = xcalloc(n + 1, sizeof *fill);

    memset(sub->adj_start, 0, (n + 1) * sizeof *sub->adj_start);
    for (uint32_t i = 0; i < sub->n_links; i++) {
        sub->adj_start[sub->links[i].u + 1]++;
        sub->adj_start[sub->links[i].v + 1]++;
    }
    for (uint32_t u = 0; u < n; u++) {
        sub->adj_start[u + 1] += sub->adj_start[u];
    }
    free(sub->adj);
    sub->adj = xmalloc((2 * (size_t) sub->n_links + 1) * sizeof *sub->adj);
    for (uint32_t i = 0; i < sub->n_links; i++) {
        const struct vne_link *l = &sub->links[i];
        struct vne_adj *a = &sub->adj[sub->adj_start[l->u] + fill[l->u]++];
        a->node = l->v;
        a->link = i;
        a = &sub->adj[sub->adj_start[l->v] + fill[l->v]++];
        a->node = l->u;
        a->link = i;
    }
    free(fill);
}

void
vne_substrate_destroy(struct vne_substrate *sub)
{
    if (!sub) {
        return;
    }
    if (sub->labels) {
        for (uint32_t i = 0; i < sub->n_nodes; i++) {
            free(sub->labels[i]);
        }
        free(sub->labels);
    }
    free(sub->name);
    free(sub->cpu);
    free(sub->has_xy);
    free(sub->x);
    free(sub->y);
    free(sub->links);
    free(sub->adj_start);
    free(sub->adj);
    free(sub);
}

int32_t
vne_substrate_link(const struct vne_substrate *sub, uint32_t u, uint32_t v)
{
    if (u >= sub->n_nodes || v >= sub->n_nodes) {
        return -1;
    }
    for (uint32_t i = sub->adj_start[u]; i < sub->adj_start[u + 1]; i++) {
        if (sub->adj[i].node == v) {
            return sub->adj[i].link;
        }
    }
    return -1;
}

int
vne_substrate_from_graph(const struct graph *g, const char *name,
                         int32_t cpu, int32_t bw,
                         struct vne_substrate **subp, char **errp)
{
    size_t n = graph_n_nodes(g);
    *subp = NULL;
    *errp = NULL;
    if (n == 0) {
        *errp = xasprintf("%s: graph has no nodes", name);
        return EINVAL;
    }
    if (n > UINT32_MAX / 2) {
        *errp = xasprintf("%s: graph too large", name);
        return EINVAL;
    }

    struct vne_substrate *sub = vne_substrate_create(name, n, NULL);
    sub->labels = xcalloc(n, sizeof *sub->labels);
    for (size_t i = 0; i < n; i++) {
        double v, lat, lon;
        sub->cpu[i] = cpu;
        if (graph_node_get_num(g, i, "cpu", &v)) {
            if (!(v >= 0 && v <= VNE_MAX_AMOUNT)) {
                const char *l = graph_node_label(g, i);
                *errp = xasprintf("%s: node %zu (%s): cpu %g out of range "
                                  "0..%d", name, i, l ? l : "no label", v,
                                  VNE_MAX_AMOUNT);
                vne_substrate_destroy(sub);
                return EINVAL;
            }
            sub->cpu[i] = (int32_t) lround(v);
        }
        if (graph_node_coords(g, i, &lat, &lon)) {
            sub->has_xy[i] = true;
            sub->x[i] = lon;
            sub->y[i] = lat;
        }
        const char *label = graph_node_label(g, i);
        sub->labels[i] = label ? xstrdup(label) : NULL;
    }
    for (size_t e = 0; e < graph_n_edges(g); e++) {
        size_t u, v;
        double b;
        graph_edge_ends(g, e, &u, &v);
        if (u == v) {
            continue;
        }
        vne_substrate_finish(sub);      /* keeps the duplicate test exact */
        if (vne_substrate_link(sub, u, v) >= 0) {
            continue;                   /* parallel edge: one link */
        }
        int32_t cap = bw;
        if (graph_edge_get_num(g, e, "bw", &b)) {
            if (!(b >= 0 && b <= VNE_MAX_AMOUNT)) {
                *errp = xasprintf("%s: edge %zu (nodes %zu-%zu): bw %g out of "
                                  "range 0..%d", name, e, u, v, b, VNE_MAX_AMOUNT);
                vne_substrate_destroy(sub);
                return EINVAL;
            }
            cap = (int32_t) lround(b);
        }
        vne_substrate_add_link(sub, u, v, cap);
    }
    vne_substrate_finish(sub);
    *subp = sub;
    return 0;
}

/* ---- Requests ---- */

void
vne_request_clear(struct vne_request *req)
{
    if (!req) {
        return;
    }
    for (uint32_t i = 0; i < req->n_nodes; i++) {
        free(req->nodes[i].allowed);
    }
    free(req->nodes);
    free(req->links);
    memset(req, 0, sizeof *req);
}

bool
vne_node_allowed(const struct vne_request *req, uint32_t vn, uint32_t s)
{
    const struct vne_vnode *v = &req->nodes[vn];
    if (!v->n_allowed) {
        return true;
    }
    uint32_t lo = 0, hi = v->n_allowed;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (v->allowed[mid] < s) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < v->n_allowed && v->allowed[lo] == s;
}

int64_t
vne_request_revenue(const struct vne_request *req)
{
    int64_t rev = 0;
    for (uint32_t i = 0; i < req->n_nodes; i++) {
        rev += req->nodes[i].cpu;
    }
    for (uint32_t i = 0; i < req->n_links; i++) {
        rev += req->links[i].bw;
    }
    return rev;
}

/* ---- Mappings ---- */

void
vne_mapping_init(struct vne_mapping *m, const struct vne_request *req)
{
    m->n_nodes = req->n_nodes;
    m->n_links = req->n_links;
    m->host = xmalloc(req->n_nodes * sizeof *m->host);
    for (uint32_t i = 0; i < req->n_nodes; i++) {
        m->host[i] = UINT32_MAX;
    }
    m->paths = xcalloc(req->n_links, sizeof *m->paths);
}

void
vne_mapping_clear(struct vne_mapping *m)
{
    if (!m) {
        return;
    }
    if (m->paths) {
        for (uint32_t i = 0; i < m->n_links; i++) {
            free(m->paths[i].nodes);
            free(m->paths[i].links);
        }
    }
    free(m->paths);
    free(m->host);
    memset(m, 0, sizeof *m);
}

void
vne_mapping_copy(struct vne_mapping *dst, const struct vne_mapping *src)
{
    dst->n_nodes = src->n_nodes;
    dst->n_links = src->n_links;
    dst->host = xmalloc(src->n_nodes * sizeof *dst->host);
    memcpy(dst->host, src->host, src->n_nodes * sizeof *dst->host);
    dst->paths = xcalloc(src->n_links, sizeof *dst->paths);
    for (uint32_t i = 0; i < src->n_links; i++) {
        const struct vne_path *p = &src->paths[i];
        dst->paths[i].len = p->len;
        if (p->len) {
            dst->paths[i].nodes = xmalloc(p->len * sizeof *p->nodes);
            memcpy(dst->paths[i].nodes, p->nodes, p->len * sizeof *p->nodes);
            dst->paths[i].links = xmalloc(p->len * sizeof *p->links);
            memcpy(dst->paths[i].links, p->links, (p->len - 1) * sizeof *p->links);
        }
    }
}

int
vne_mapping_set_path(struct vne_mapping *m, const struct vne_substrate *sub,
                     uint32_t i, const uint32_t *nodes, uint32_t n)
{
    struct vne_path *p = &m->paths[i];

    free(p->nodes);
    free(p->links);
    p->len = n;
    p->nodes = xmalloc((n ? n : 1) * sizeof *p->nodes);
    p->links = xmalloc((n ? n : 1) * sizeof *p->links);
    memcpy(p->nodes, nodes, n * sizeof *nodes);
    for (uint32_t k = 0; k + 1 < n; k++) {
        int32_t l = vne_substrate_link(sub, nodes[k], nodes[k + 1]);
        if (l < 0) {
            return EINVAL;
        }
        p->links[k] = l;
    }
    return 0;
}

int64_t
vne_mapping_cost(const struct vne_request *req, const struct vne_mapping *m)
{
    int64_t cost = 0;
    for (uint32_t i = 0; i < req->n_nodes; i++) {
        cost += req->nodes[i].cpu;
    }
    for (uint32_t i = 0; i < req->n_links; i++) {
        cost += (int64_t) req->links[i].bw * (m->paths[i].len - 1);
    }
    return cost;
}

/* ---- Rejections ---- */

const char *
vne_reject_name(enum vne_reject_kind kind)
{
    static const char *const names[] = {
#define X(ENUM, NAME, DESC) NAME,
        VNE_REJECT_LIST
#undef X
    };
    return kind < VNE_N_REJECT ? names[kind] : "?";
}

void
vne_reject_set(struct vne_reject *r, enum vne_reject_kind kind,
               const char *fmt, ...)
{
    va_list args;

    r->kind = kind;
    va_start(args, fmt);
    vsnprintf(r->detail, sizeof r->detail, fmt, args);
    va_end(args);
}

/* ---- Residual capacities ---- */

void
vne_residual_init(struct vne_residual *res, const struct vne_substrate *sub)
{
    res->sub = sub;
    res->cpu = xmalloc(sub->n_nodes * sizeof *res->cpu);
    memcpy(res->cpu, sub->cpu, sub->n_nodes * sizeof *res->cpu);
    res->bw = xmalloc((sub->n_links ? sub->n_links : 1) * sizeof *res->bw);
    for (uint32_t i = 0; i < sub->n_links; i++) {
        res->bw[i] = sub->links[i].bw;
    }
}

void
vne_residual_clear(struct vne_residual *res)
{
    if (res) {
        free(res->cpu);
        free(res->bw);
        res->cpu = res->bw = NULL;
    }
}

void
vne_residual_copy(struct vne_residual *dst, const struct vne_residual *src)
{
    const struct vne_substrate *sub = src->sub;
    dst->sub = sub;
    dst->cpu = xmalloc(sub->n_nodes * sizeof *dst->cpu);
    memcpy(dst->cpu, src->cpu, sub->n_nodes * sizeof *dst->cpu);
    dst->bw = xmalloc((sub->n_links ? sub->n_links : 1) * sizeof *dst->bw);
    memcpy(dst->bw, src->bw, sub->n_links * sizeof *dst->bw);
}

#define FAIL(ERR, ...) do {                                  \
        if (why) {                                           \
            snprintf(why, why_size, __VA_ARGS__);           \
        }                                                    \
        error = ERR;                                         \
        goto out;                                            \
    } while (0)

int
vne_residual_fits(const struct vne_residual *res, const struct vne_request *req,
                  const struct vne_mapping *m, char *why, size_t why_size)
{
    const struct vne_substrate *sub = res->sub;
    int64_t *cpu = xcalloc(sub->n_nodes, sizeof *cpu);
    int64_t *bw = xcalloc(sub->n_links ? sub->n_links : 1, sizeof *bw);
    uint32_t *owner = xmalloc(sub->n_nodes * sizeof *owner);
    uint32_t *seen = xcalloc(sub->n_nodes, sizeof *seen);
    int error = 0;

    for (uint32_t s = 0; s < sub->n_nodes; s++) {
        owner[s] = UINT32_MAX;
    }
    if (m->n_nodes != req->n_nodes || m->n_links != req->n_links) {
        FAIL(EINVAL, "mapping sized for another request");
    }
    for (uint32_t i = 0; i < req->n_nodes; i++) {
        uint32_t s = m->host[i];
        if (s >= sub->n_nodes) {
            FAIL(EINVAL, "virtual node %u has no host", i);
        }
        if (owner[s] != UINT32_MAX && !req->revisit) {
            FAIL(EINVAL, "virtual nodes %u and %u share substrate node %u",
                 owner[s], i, s);
        }
        if (!vne_node_allowed(req, i, s)) {
            FAIL(EINVAL, "virtual node %u not allowed on substrate node %u", i, s);
        }
        owner[s] = i;
        cpu[s] += req->nodes[i].cpu;
    }
    for (uint32_t i = 0; i < req->n_links; i++) {
        const struct vne_path *p = &m->paths[i];
        const struct vne_vlink *vl = &req->links[i];
        if (p->len < (m->host[vl->src] == m->host[vl->dst] ? 1 : 2)
            || p->nodes[0] != m->host[vl->src]
            || p->nodes[p->len - 1] != m->host[vl->dst]) {
            FAIL(EINVAL, "path of virtual link %u-%u does not join its hosts",
                 vl->src, vl->dst);
        }
        for (uint32_t k = 0; k < p->len; k++) {
            if (p->nodes[k] >= sub->n_nodes) {
                FAIL(EINVAL, "path of virtual link %u-%u: no node %u",
                     vl->src, vl->dst, p->nodes[k]);
            }
            if (seen[p->nodes[k]] == i + 1) {
                FAIL(EINVAL, "path of virtual link %u-%u is not simple",
                     vl->src, vl->dst);
            }
            seen[p->nodes[k]] = i + 1;
            if (k + 1 < p->len) {
                uint32_t l = p->links[k];
                const struct vne_link *sl = l < sub->n_links ? &sub->links[l] : NULL;
                if (!sl
                    || !((sl->u == p->nodes[k] && sl->v == p->nodes[k + 1])
                         || (sl->v == p->nodes[k] && sl->u == p->nodes[k + 1]))) {
                    FAIL(EINVAL, "path of virtual link %u-%u: %u-%u is not a link",
                         vl->src, vl->dst, p->nodes[k], p->nodes[k + 1]);
                }
                bw[l] += vl->bw;
            }
        }
    }
    for (uint32_t s = 0; s < sub->n_nodes; s++) {
        if (cpu[s] > res->cpu[s]) {
            FAIL(ENOSPC, "substrate node %u: CPU %lld > free %d", s,
                 (long long) cpu[s], res->cpu[s]);
        }
    }
    for (uint32_t l = 0; l < sub->n_links; l++) {
        if (bw[l] > res->bw[l]) {
            FAIL(ENOSPC, "substrate link %u-%u: bandwidth %lld > free %d",
                 sub->links[l].u, sub->links[l].v, (long long) bw[l], res->bw[l]);
        }
    }
out:
    free(cpu);
    free(bw);
    free(owner);
    free(seen);
    return error;
}

void
vne_residual_apply(struct vne_residual *res, const struct vne_request *req,
                   const struct vne_mapping *m, int sign)
{
    for (uint32_t i = 0; i < req->n_nodes; i++) {
        res->cpu[m->host[i]] += sign * req->nodes[i].cpu;
    }
    for (uint32_t i = 0; i < req->n_links; i++) {
        const struct vne_path *p = &m->paths[i];
        for (uint32_t k = 0; k + 1 < p->len; k++) {
            res->bw[p->links[k]] += sign * req->links[i].bw;
        }
    }
}

/* ---- Algorithms ---- */

const struct vne_algo_class *const vne_algo_classes[] = {
    &vne_algo_lamina,
    &vne_algo_greedy,
    &vne_algo_grc,
    &vne_algo_rw,
    &vne_algo_dvine,
    &vne_algo_rvine,
    &vne_algo_mip,
    NULL,
};

void
vne_algo_options_init(struct vne_algo_options *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->k_paths = 10;
    o->mip_time_limit_ms = 1000;
}

bool
vne_admission_refuses(const struct vne_residual *res,
                      const struct vne_request *req,
                      const struct vne_mapping *m, double max_stretch,
                      double admit_load, struct vne_reject *rej)
{
    int64_t cost = vne_mapping_cost(req, m);
    int64_t revenue = vne_request_revenue(req);
    if (cost <= max_stretch * revenue) {
        return false;
    }
    int64_t cap = 0, free_bw = 0;
    for (uint32_t l = 0; l < res->sub->n_links; l++) {
        cap += res->sub->links[l].bw;
        free_bw += res->bw[l];
    }
    double load = cap ? 1.0 - (double) free_bw / cap : 0;
    if (load <= admit_load) {
        return false;
    }
    vne_reject_set(rej, VNE_REJECT_POLICY,
                   "cheapest embedding costs %lld for revenue %lld "
                   "with %.0f%% of the bandwidth in use",
                   (long long) cost, (long long) revenue, 100 * load);
    return true;
}

const struct vne_algo_class *
vne_algo_find(const char *name)
{
    for (const struct vne_algo_class *const *c = vne_algo_classes; *c; c++) {
        if (!strcmp((*c)->name, name)) {
            return *c;
        }
    }
    return NULL;
}

int
vne_algo_create(const struct vne_algo_class *class,
                const struct vne_substrate *sub,
                const struct vne_algo_options *opts, struct vne_algo **algop)
{
    struct vne_algo_options defaults;
    if (!opts) {
        vne_algo_options_init(&defaults);
        opts = &defaults;
    }
    int error = class->create(sub, opts, algop);
    if (!error) {
        (*algop)->class = class;
        (*algop)->sub = sub;
        (*algop)->opts = *opts;
    }
    return error;
}

int
vne_algo_embed(struct vne_algo *algo, const struct vne_residual *res,
               const struct vne_request *req, struct vne_mapping *m,
               struct vne_reject *rej)
{
    vne_mapping_init(m, req);
    rej->kind = VNE_REJECT_NONE;
    rej->detail[0] = '\0';
    if (req->n_nodes > algo->sub->n_nodes && !req->revisit) {
        vne_reject_set(rej, VNE_REJECT_SIZE, "%u virtual nodes, %u substrate nodes",
                       req->n_nodes, algo->sub->n_nodes);
        return ENOSPC;
    }
    return algo->class->embed(algo, res, req, m, rej);
}

void
vne_algo_destroy(struct vne_algo *algo)
{
    if (algo) {
        algo->class->destroy(algo);
    }
}
