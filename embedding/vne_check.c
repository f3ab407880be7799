#include "vne_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* The link joining 'a' and 'b', by a scan of the link list (deliberately
 * not the adjacency the algorithms use), or -1. */
static int64_t
check_find_link(const struct vne_substrate *sub, uint32_t a, uint32_t b)
{
    for (uint32_t l = 0; l < sub->n_links; l++) {
        if ((sub->links[l].u == a && sub->links[l].v == b)
            || (sub->links[l].u == b && sub->links[l].v == a)) {
            return l;
        }
    }
    return -1;
}

struct checker {
    const struct vne_substrate *sub;
    int64_t *cpu, *bw;          /* free */
    int64_t *link_of;           /* n x n link index or -1 */
    uint32_t n_errors;
    char *first_error;
};

/* Counts an error and keeps the message of the first. */
static void __attribute__((format(printf, 2, 3)))
check_fail(struct checker *c, const char *fmt, ...)
{
    c->n_errors++;
    if (!c->first_error) {
        va_list args;
        va_start(args, fmt);
        if (vasprintf(&c->first_error, fmt, args) < 0) {
            c->first_error = NULL;
        }
        va_end(args);
    }
}

/* Starts a replay from free capacities 'cpu'/'bw' (NULL: all free). */
static void
checker_init(struct checker *c, const struct vne_substrate *sub,
             const int32_t *cpu, const int32_t *bw)
{
    uint32_t n = sub->n_nodes;
    memset(c, 0, sizeof *c);
    c->sub = sub;
    c->cpu = xmalloc(n * sizeof *c->cpu);
    c->bw = xmalloc((sub->n_links + 1) * sizeof *c->bw);
    for (uint32_t s = 0; s < n; s++) {
        c->cpu[s] = cpu ? cpu[s] : sub->cpu[s];
    }
    for (uint32_t l = 0; l < sub->n_links; l++) {
        c->bw[l] = bw ? bw[l] : sub->links[l].bw;
    }
    if ((size_t) n * n <= 4u << 20) {
        c->link_of = xmalloc((size_t) n * n * sizeof *c->link_of);
        for (size_t i = 0; i < (size_t) n * n; i++) {
            c->link_of[i] = -1;
        }
        for (uint32_t l = 0; l < sub->n_links; l++) {
            c->link_of[(size_t) sub->links[l].u * n + sub->links[l].v] = l;
            c->link_of[(size_t) sub->links[l].v * n + sub->links[l].u] = l;
        }
    }
}

/* Frees what checker_init() allocated. */
static void
checker_destroy(struct checker *c)
{
    free(c->cpu);
    free(c->bw);
    free(c->link_of);
}

/* The link joining 'a' and 'b', or -1. */
static int64_t
checker_link(const struct checker *c, uint32_t a, uint32_t b)
{
    uint32_t n = c->sub->n_nodes;
    if (a >= n || b >= n) {
        return -1;
    }
    return c->link_of ? c->link_of[(size_t) a * n + b] : check_find_link(c->sub, a, b);
}

/* Takes ('sign' -1) or returns (+1) the resources of 'm'; when taking,
 * verifies the mapping and that nothing goes negative.  Returns true if
 * the mapping is valid. */
static bool
checker_take(struct checker *c, const struct vne_request *req,
             const struct vne_mapping *m, int sign)
{
    const struct vne_substrate *sub = c->sub;
    uint32_t before = c->n_errors;

    if (sign < 0) {
        if (m->n_nodes != req->n_nodes || m->n_links != req->n_links) {
            check_fail(c, "request %u: mapping covers %u nodes and %u links, "
                       "the request has %u and %u", req->id, m->n_nodes,
                       m->n_links, req->n_nodes, req->n_links);
            return false;
        }
        for (uint32_t i = 0; i < req->n_nodes; i++) {
            if (m->host[i] >= sub->n_nodes) {
                check_fail(c, "request %u: virtual node %u unmapped", req->id, i);
                return false;
            }
            for (uint32_t j = 0; j < i; j++) {
                if (m->host[j] == m->host[i] && !req->revisit) {
                    check_fail(c, "request %u: virtual nodes %u and %u both on %u",
                               req->id, j, i, m->host[i]);
                }
            }
            const struct vne_vnode *vn = &req->nodes[i];
            if (vn->n_allowed) {
                bool ok = false;
                for (uint32_t k = 0; k < vn->n_allowed; k++) {
                    ok |= vn->allowed[k] == m->host[i];
                }
                if (!ok) {
                    check_fail(c, "request %u: virtual node %u on %u breaks its "
                               "location constraint", req->id, i, m->host[i]);
                }
            }
        }
        for (uint32_t i = 0; i < req->n_links; i++) {
            const struct vne_path *p = &m->paths[i];
            const struct vne_vlink *vl = &req->links[i];
            if (p->len < (m->host[vl->src] == m->host[vl->dst] ? 1 : 2) || !p->nodes) {
                check_fail(c, "request %u: virtual link %u has no path", req->id, i);
                return false;
            }
            if (p->nodes[0] != m->host[vl->src]
                || p->nodes[p->len - 1] != m->host[vl->dst]) {
                check_fail(c, "request %u: path of virtual link %u-%u runs %u..%u, "
                           "hosts are %u and %u", req->id, vl->src, vl->dst,
                           p->nodes[0], p->nodes[p->len - 1],
                           m->host[vl->src], m->host[vl->dst]);
            }
            for (uint32_t a = 0; a < p->len; a++) {
                for (uint32_t b = a + 1; b < p->len; b++) {
                    if (p->nodes[a] == p->nodes[b]) {
                        check_fail(c, "request %u: path of virtual link %u-%u "
                                   "visits %u twice", req->id, vl->src, vl->dst,
                                   p->nodes[a]);
                    }
                }
                if (a + 1 < p->len && checker_link(c, p->nodes[a], p->nodes[a + 1]) < 0) {
                    check_fail(c, "request %u: path of virtual link %u-%u uses "
                               "%u-%u, which is not a substrate link",
                               req->id, vl->src, vl->dst, p->nodes[a], p->nodes[a + 1]);
                    return false;
                }
            }
        }
        if (c->n_errors != before) {
            return false;
        }
    }
    for (uint32_t i = 0; i < req->n_nodes; i++) {
        c->cpu[m->host[i]] += sign * (int64_t) req->nodes[i].cpu;
    }
    for (uint32_t i = 0; i < req->n_links; i++) {
        const struct vne_path *p = &m->paths[i];
        for (uint32_t a = 0; a + 1 < p->len; a++) {
            c->bw[checker_link(c, p->nodes[a], p->nodes[a + 1])]
                += sign * (int64_t) req->links[i].bw;
        }
    }
    if (sign < 0) {
        for (uint32_t s = 0; s < sub->n_nodes; s++) {
            if (c->cpu[s] < 0) {
                check_fail(c, "request %u: substrate node %u over its CPU by %lld",
                           req->id, s, (long long) -c->cpu[s]);
            }
        }
        for (uint32_t l = 0; l < sub->n_links; l++) {
            if (c->bw[l] < 0) {
                check_fail(c, "request %u: substrate link %u-%u over its bandwidth "
                           "by %lld", req->id, sub->links[l].u, sub->links[l].v,
                           (long long) -c->bw[l]);
            }
        }
    }
    return c->n_errors == before;
}

struct check_ev {
    double t;
    int kind;                   /* 0 arrival, 1 departure */
    uint32_t req;
};

/* Event order: time, then arrivals before departures, then request id. */
static int
check_ev_cmp(const void *a_, const void *b_)
{
    const struct check_ev *a = a_, *b = b_;
    return a->t < b->t ? -1 : a->t > b->t ? 1
           : a->kind != b->kind ? a->kind - b->kind
           : (a->req > b->req) - (a->req < b->req);
}

bool
vne_check_run(const struct vne_instance *inst,
              const struct vne_mapping *const *maps,
              struct vne_check_report *rep)
{
    struct checker c;
    uint32_t n = inst->n_reqs;
    struct check_ev *ev = xmalloc((2 * (size_t) n + 1) * sizeof *ev);
    bool *held = xcalloc(n + 1, sizeof *held);
    double trev = 0, tcost = 0;

    memset(rep, 0, sizeof *rep);
    checker_init(&c, inst->sub, NULL, NULL);
    for (uint32_t i = 0; i < n; i++) {
        const struct vne_request *r = &inst->reqs[i];
        ev[i] = (struct check_ev) { r->arrival, 0, i };
        ev[n + i] = (struct check_ev) { r->arrival + r->lifetime, 1, i };
    }
    qsort(ev, 2 * (size_t) n, sizeof *ev, check_ev_cmp);
    for (size_t e = 0; e < 2 * (size_t) n; e++) {
        const struct vne_request *r = &inst->reqs[ev[e].req];
        const struct vne_mapping *m = maps[ev[e].req];
        if (ev[e].kind == 1) {
            if (held[r->id]) {
                checker_take(&c, r, m, +1);
                held[r->id] = false;
            }
            continue;
        }
        rep->arrived++;
        if (!m) {
            continue;
        }
        /* Count it as accepted even if invalid: the error is reported. */
        rep->accepted++;
        double rev = 0, cost = 0;
        for (uint32_t i = 0; i < r->n_nodes; i++) {
            rev += r->nodes[i].cpu;
            cost += r->nodes[i].cpu;
        }
        for (uint32_t i = 0; i < r->n_links; i++) {
            rev += r->links[i].bw;
            if (i < m->n_links && m->paths[i].len) {
                cost += (double) r->links[i].bw * (m->paths[i].len - 1);
            }
        }
        trev += rev * r->lifetime;
        tcost += cost * r->lifetime;
        held[r->id] = checker_take(&c, r, m, -1);
    }
    for (uint32_t s = 0; s < inst->sub->n_nodes; s++) {
        if (c.cpu[s] != inst->sub->cpu[s]) {
            check_fail(&c, "substrate node %u: CPU not restored at the end", s);
        }
    }
    if (n) {
        rep->rac = (double) rep->accepted / n;
        rep->lrc = tcost > 0 ? trev / tcost : 0;
        double T = inst->reqs[ev[2 * (size_t) n - 1].req].arrival;
        rep->lar = T > 0 ? trev / T : 0;
    }
    rep->n_errors = c.n_errors;
    rep->first_error = c.first_error;
    checker_destroy(&c);
    free(ev);
    free(held);
    return rep->n_errors == 0;
}

bool
vne_check_one(const struct vne_substrate *sub, const int32_t *free_cpu,
              const int32_t *free_bw, const struct vne_request *req,
              const struct vne_mapping *m, char *why, size_t why_size)
{
    struct checker c;
    checker_init(&c, sub, free_cpu, free_bw);
    bool ok = checker_take(&c, req, m, -1);
    if (!ok && why) {
        snprintf(why, why_size, "%s", c.first_error ? c.first_error : "invalid");
    }
    free(c.first_error);
    checker_destroy(&c);
    return ok;
}

void
vne_check_report_clear(struct vne_check_report *rep)
{
    if (rep) {
        free(rep->first_error);
        rep->first_error = NULL;
    }
}
