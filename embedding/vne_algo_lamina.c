/*
 * lamina: Lamina's own embedding algorithm (the default).
 *
 * The cost of an embedding is its CPU plus bandwidth x hops, and bandwidth
 * is the scarcer resource on the benchmark substrates, so what decides
 * both acceptance and revenue/cost is how few substrate hops the virtual
 * links take.  The classic two-stage heuristics place nodes first by a
 * global rank and only then look for paths, which scatters a request over
 * the substrate.  Lamina places and routes together:
 *
 *   1. Virtual nodes are taken in breadth-first order from the node with
 *      the largest demand (CPU plus adjacent bandwidth), heavier
 *      neighbours first, so every node after the first has at least one
 *      placed neighbour when its turn comes.
 *
 *   2. Several roots are tried: the substrate nodes that can host the first
 *      virtual node, best first by free CPU x free adjacent bandwidth (up
 *      to LAMINA_ROOTS of them).
 *
 *   3. From a root, each next virtual node goes to the substrate node that
 *      minimises sum over its already placed neighbours of bandwidth x
 *      hops (hop distances by breadth-first search over links that still
 *      have that bandwidth free, counting what this request took
 *      already), plus a small term that prefers hosts with much free CPU
 *      and free bandwidth around them.  Its virtual links are routed at
 *      once on fewest-hop paths with enough free bandwidth, choosing among
 *      equal-hop paths the one whose tightest link is least loaded.
 *
 *   4. Of the complete embeddings, the one with the least cost plus a
 *      penalty on links it leaves nearly full is kept.
 *
 *   5. Admission control: once the substrate's bandwidth is loaded (more
 *      than 'admit_load' of it in use), an embedding whose cost exceeds
 *      its revenue by more than 'max_stretch' is refused ("policy"): it
 *      would hold bandwidth on long paths that several cheaper requests
 *      could use.  On a lightly loaded substrate (and for a single
 *      request on an empty one) every feasible request is accepted.
 *
 * Each try costs a few breadth-first searches per virtual link, so a
 * request of 10 nodes on a 100-node substrate takes well under a
 * millisecond per root.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vne_private.h"

/* Tunables, measured on the shared Waxman instances (docs/embedding.md). */
struct lamina_params {
    unsigned roots;             /* roots tried per request */
    double node_weight;         /* weight of the host preference term */
    double full_penalty;        /* weight of the nearly-full-link penalty */
    double max_stretch;         /* refuse if cost > max_stretch x revenue */
    double admit_load;          /* ... and bandwidth in use > admit_load */
};

static struct lamina_params lamina_defaults = {
    .roots = 24,
    .node_weight = 2.0,
    .full_penalty = 0.0,
    .max_stretch = VNE_ADMIT_STRETCH,
    .admit_load = VNE_ADMIT_LOAD,
};

struct lamina_algo {
    struct vne_algo up;
    struct lamina_params p;
    struct vne_bfs bfs;
    uint32_t n, m;              /* substrate size */
    int32_t *cpu, *bw;          /* working free capacities of one try */
    double *score;
    uint8_t *bad;
    uint8_t *used;
    uint32_t *path;
    uint32_t *roots;
    double *root_rank;
    double *adj_bw;             /* free bandwidth around each node */
    struct vne_mapping cur, best;
};

/* Allocates the work arrays of one instance for 'sub'. */
static int
lamina_create(const struct vne_substrate *sub, const struct vne_algo_options *o,
              struct vne_algo **algop)
{
    struct lamina_algo *a = xzalloc(sizeof *a);
    uint32_t n = sub->n_nodes, m = sub->n_links;

    a->p = lamina_defaults;
    const char *tune = getenv("LAMINA_VNE_TUNE");
    if (tune) {
        /* For experiments: "roots,node_weight,full_penalty,max_stretch,admit_load". */
        sscanf(tune, "%u,%lf,%lf,%lf,%lf", &a->p.roots, &a->p.node_weight,
               &a->p.full_penalty, &a->p.max_stretch, &a->p.admit_load);
    }
    a->n = n;
    a->m = m;
    vne_bfs_init(&a->bfs, sub);
    a->cpu = xmalloc(n * sizeof *a->cpu);
    a->bw = xmalloc((m + 1) * sizeof *a->bw);
    a->score = xmalloc(n * sizeof *a->score);
    a->bad = xmalloc(n);
    a->used = xmalloc(n);
    a->path = xmalloc(n * sizeof *a->path);
    a->roots = xmalloc(n * sizeof *a->roots);
    a->root_rank = xmalloc(n * sizeof *a->root_rank);
    a->adj_bw = xmalloc(n * sizeof *a->adj_bw);
    *algop = &a->up;
    return 0;
}

/* Frees 'algo'. */
static void
lamina_destroy(struct vne_algo *algo)
{
    struct lamina_algo *a = CONTAINER_OF(algo, struct lamina_algo, up);
    vne_bfs_destroy(&a->bfs);
    free(a->cpu);
    free(a->bw);
    free(a->score);
    free(a->bad);
    free(a->used);
    free(a->path);
    free(a->roots);
    free(a->root_rank);
    free(a->adj_bw);
    free(a);
}

/* Breadth-first order of the virtual nodes of 'req' from its heaviest
 * node, heavier neighbours first; disconnected parts follow in turn. */
static void
lamina_vorder(const struct vne_request *req, uint32_t *order)
{
    uint32_t n = req->n_nodes;
    double *w = xcalloc(n, sizeof *w);
    bool *seen = xcalloc(n, sizeof *seen);
    uint32_t *nb = xmalloc(n * sizeof *nb);
    uint32_t head = 0, tail = 0;

    for (uint32_t v = 0; v < n; v++) {
        w[v] = req->nodes[v].cpu;
    }
    for (uint32_t l = 0; l < req->n_links; l++) {
        w[req->links[l].src] += req->links[l].bw;
        w[req->links[l].dst] += req->links[l].bw;
    }
    while (tail < n) {
        uint32_t start = UINT32_MAX;
        for (uint32_t v = 0; v < n; v++) {
            if (!seen[v] && (start == UINT32_MAX || w[v] > w[start])) {
                start = v;
            }
        }
        seen[start] = true;
        order[tail++] = start;
        while (head < tail) {
            uint32_t u = order[head++], k = 0;
            for (uint32_t l = 0; l < req->n_links; l++) {
                const struct vne_vlink *vl = &req->links[l];
                uint32_t other = vl->src == u ? vl->dst : vl->dst == u ? vl->src : UINT32_MAX;
                if (other != UINT32_MAX && !seen[other]) {
                    seen[other] = true;
                    nb[k++] = other;
                }
            }
            /* Insertion sort by weight, heaviest first (k <= 10 or so). */
            for (uint32_t i = 1; i < k; i++) {
                uint32_t x = nb[i], j = i;
                while (j > 0 && w[nb[j - 1]] < w[x]) {
                    nb[j] = nb[j - 1];
                    j--;
                }
                nb[j] = x;
            }
            for (uint32_t i = 0; i < k; i++) {
                order[tail++] = nb[i];
            }
        }
    }
    free(w);
    free(seen);
    free(nb);
}

/* One try from 'root'.  Fills a->cur and returns the objective, or
 * DBL_MAX if the try failed; then '*why' says which resource ran out. */
static double
lamina_try(struct lamina_algo *a, const struct vne_residual *res,
           const struct vne_request *req, const uint32_t *vorder,
           const uint32_t *pos, uint32_t root, enum vne_reject_kind *why)
{
    const struct vne_substrate *sub = res->sub;
    struct vne_mapping *m = &a->cur;
    uint32_t n = a->n;

    memcpy(a->cpu, res->cpu, n * sizeof *a->cpu);
    memcpy(a->bw, res->bw, a->m * sizeof *a->bw);
    memset(a->used, 0, n);
    for (uint32_t v = 0; v < req->n_nodes; v++) {
        m->host[v] = UINT32_MAX;
    }

    m->host[vorder[0]] = root;
    a->used[root] = 1;
    a->cpu[root] -= req->nodes[vorder[0]].cpu;

    for (uint32_t i = 1; i < req->n_nodes; i++) {
        uint32_t v = vorder[i];
        int32_t demand = req->nodes[v].cpu;

        for (uint32_t s = 0; s < n; s++) {
            a->score[s] = 0;
            a->bad[s] = 0;
        }
        for (uint32_t l = 0; l < req->n_links; l++) {
            const struct vne_vlink *vl = &req->links[l];
            uint32_t u = vl->src == v ? vl->dst : vl->dst == v ? vl->src : UINT32_MAX;
            if (u == UINT32_MAX || pos[u] > i) {
                continue;
            }
            vne_bfs_dist(&a->bfs, a->bw, vl->bw, m->host[u]);
            double weight = vl->bw > 0 ? vl->bw : 0.01;
            for (uint32_t s = 0; s < n; s++) {
                if (a->bfs.dist[s] == UINT32_MAX) {
                    a->bad[s] = 1;
                } else {
                    a->score[s] += weight * a->bfs.dist[s];
                }
            }
        }

        uint32_t best = UINT32_MAX;
        double best_score = DBL_MAX;
        bool cpu_short = false;
        for (uint32_t s = 0; s < n; s++) {
            if ((a->used[s] && !req->revisit) || a->bad[s]
                || !vne_node_allowed(req, v, s)) {
                continue;
            }
            if (a->cpu[s] < demand) {
                cpu_short = true;
                continue;
            }
            /* Prefer hosts that keep CPU and bandwidth to spare. */
            double spare = (double) (a->cpu[s] - demand) / (sub->cpu[s] + 1);
            double sc = a->score[s] + a->p.node_weight * (1.0 - spare);
            if (sc < best_score) {
                best_score = sc;
                best = s;
            }
        }
        if (best == UINT32_MAX) {
            *why = cpu_short ? VNE_REJECT_CPU : VNE_REJECT_BW;
            return DBL_MAX;
        }
        m->host[v] = best;
        a->used[best] = 1;
        a->cpu[best] -= demand;

        /* Route the links to already placed neighbours. */
        for (uint32_t l = 0; l < req->n_links; l++) {
            const struct vne_vlink *vl = &req->links[l];
            uint32_t u = vl->src == v ? vl->dst : vl->dst == v ? vl->src : UINT32_MAX;
            uint32_t len;
            if (u == UINT32_MAX || pos[u] > i) {
                continue;
            }
            if (m->host[vl->src] == m->host[vl->dst]) {
                a->path[0] = m->host[vl->src];  /* revisit: inside one node */
                len = 1;
            } else if (!vne_bfs_path(&a->bfs, a->bw, vl->bw, m->host[vl->src],
                                     m->host[vl->dst], a->path, &len)) {
                *why = VNE_REJECT_BW;
                return DBL_MAX;
            }
            vne_mapping_set_path(m, sub, l, a->path, len);
            for (uint32_t k = 0; k + 1 < len; k++) {
                a->bw[m->paths[l].links[k]] -= vl->bw;
            }
        }
    }

    double cost = vne_mapping_cost(req, m);
    double penalty = 0;
    if (a->p.full_penalty > 0) {
        for (uint32_t l = 0; l < req->n_links; l++) {
            const struct vne_path *p = &m->paths[l];
            for (uint32_t k = 0; k + 1 < p->len; k++) {
                uint32_t sl = p->links[k];
                double left = (double) a->bw[sl] / (sub->links[sl].bw + 1);
                penalty += req->links[l].bw * (1.0 - left) * (1.0 - left);
            }
        }
    }
    return cost + a->p.full_penalty * penalty;
}

/* Tries the best roots and keeps the cheapest complete embedding,
 * then applies admission control. */
static int
lamina_embed(struct vne_algo *algo, const struct vne_residual *res,
             const struct vne_request *req, struct vne_mapping *m,
             struct vne_reject *rej)
{
    struct lamina_algo *a = CONTAINER_OF(algo, struct lamina_algo, up);
    const struct vne_substrate *sub = res->sub;
    uint32_t *vorder = xmalloc(req->n_nodes * sizeof *vorder);
    uint32_t *pos = xmalloc(req->n_nodes * sizeof *pos);
    uint32_t n_roots = 0;
    enum vne_reject_kind why = VNE_REJECT_CPU;
    double best = DBL_MAX;
    int error = 0;

    lamina_vorder(req, vorder);
    for (uint32_t i = 0; i < req->n_nodes; i++) {
        pos[vorder[i]] = i;
    }

    /* Roots: hosts for the first virtual node, best resources first. */
    uint32_t first = vorder[0];
    bool any_allowed = false;
    for (uint32_t s = 0; s < a->n; s++) {
        a->adj_bw[s] = 0;
    }
    for (uint32_t l = 0; l < a->m; l++) {
        a->adj_bw[sub->links[l].u] += res->bw[l];
        a->adj_bw[sub->links[l].v] += res->bw[l];
    }
    for (uint32_t s = 0; s < a->n; s++) {
        a->root_rank[s] = -1;
        if (vne_node_allowed(req, first, s)) {
            any_allowed = true;
            if (res->cpu[s] >= req->nodes[first].cpu) {
                a->root_rank[s] = (double) res->cpu[s] * a->adj_bw[s];
                n_roots++;
            }
        }
    }
    vne_rank_order(a->root_rank, a->n, a->roots);
    if (!n_roots) {
        vne_reject_set(rej, any_allowed ? VNE_REJECT_CPU : VNE_REJECT_LOCATION,
                       "virtual node %u (cpu %d): no host", first,
                       req->nodes[first].cpu);
        error = ENOSPC;
        goto out;
    }
    n_roots = MIN(n_roots, a->p.roots);

    vne_mapping_init(&a->cur, req);
    for (uint32_t r = 0; r < n_roots; r++) {
        enum vne_reject_kind w = VNE_REJECT_NONE;
        double obj = lamina_try(a, res, req, vorder, pos, a->roots[r], &w);
        if (obj < best) {
            best = obj;
            vne_mapping_clear(m);
            vne_mapping_copy(m, &a->cur);
        } else if (obj == DBL_MAX && w == VNE_REJECT_BW) {
            why = VNE_REJECT_BW;
        }
    }
    vne_mapping_clear(&a->cur);

    if (best == DBL_MAX) {
        vne_reject_set(rej, why, "no placement from %u roots fits", n_roots);
        error = ENOSPC;
    } else if (!algo->opts.no_admission
               && vne_admission_refuses(res, req, m, a->p.max_stretch,
                                        a->p.admit_load, rej)) {
        error = ENOSPC;
    }
out:
    free(vorder);
    free(pos);
    return error;
}

const struct vne_algo_class vne_algo_lamina = {
    .name = "lamina",
    .summary = "joint placement and routing from several roots, least cost (Lamina)",
    .create = lamina_create,
    .embed = lamina_embed,
    .destroy = lamina_destroy,
};
