/*
 * The classic two-stage heuristics: rank the substrate nodes (on their
 * free capacities) and the virtual nodes (on their demands), map virtual
 * nodes in rank order each to the best-ranked free substrate node that
 * fits, then map the virtual links on k shortest paths.
 *
 *   greedy  node resource ranking, Yu et al. 2008 ("Rethinking virtual
 *           network embedding"), virne's nrm_rank
 *   grc     global resource capacity, Gong et al. 2014
 *   rw      random-walk NodeRank, Cheng et al. 2011 (RW-MaxMatch)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vne_private.h"

enum rank_kind { RANK_NRM, RANK_GRC, RANK_RW };

struct rank_algo {
    struct vne_algo up;
    enum rank_kind kind;
    struct vne_ksp *ksp;
};

void
vne_rank_buf_residual(struct vne_rank_buf *b, const struct vne_residual *res)
{
    const struct vne_substrate *sub = res->sub;
    b->cpu = xmalloc(sub->n_nodes * sizeof *b->cpu);
    b->bw = xmalloc((sub->n_links + 1) * sizeof *b->bw);
    b->eu = xmalloc((sub->n_links + 1) * sizeof *b->eu);
    b->ev = xmalloc((sub->n_links + 1) * sizeof *b->ev);
    for (uint32_t i = 0; i < sub->n_nodes; i++) {
        b->cpu[i] = res->cpu[i];
    }
    for (uint32_t l = 0; l < sub->n_links; l++) {
        b->bw[l] = res->bw[l];
        b->eu[l] = sub->links[l].u;
        b->ev[l] = sub->links[l].v;
    }
    b->g = (struct vne_rank_graph) { sub->n_nodes, b->cpu, sub->n_links,
                                     b->eu, b->ev, b->bw };
}

void
vne_rank_buf_request(struct vne_rank_buf *b, const struct vne_request *req)
{
    b->cpu = xmalloc(req->n_nodes * sizeof *b->cpu);
    b->bw = xmalloc((req->n_links + 1) * sizeof *b->bw);
    b->eu = xmalloc((req->n_links + 1) * sizeof *b->eu);
    b->ev = xmalloc((req->n_links + 1) * sizeof *b->ev);
    for (uint32_t i = 0; i < req->n_nodes; i++) {
        b->cpu[i] = req->nodes[i].cpu;
    }
    for (uint32_t l = 0; l < req->n_links; l++) {
        b->bw[l] = req->links[l].bw;
        b->eu[l] = req->links[l].src;
        b->ev[l] = req->links[l].dst;
    }
    b->g = (struct vne_rank_graph) { req->n_nodes, b->cpu, req->n_links,
                                     b->eu, b->ev, b->bw };
}

void
vne_rank_buf_clear(struct vne_rank_buf *b)
{
    free(b->cpu);
    free(b->bw);
    free(b->eu);
    free(b->ev);
}

int
vne_map_links_ksp(struct vne_ksp *ksp, const struct vne_residual *res,
                  const struct vne_request *req, struct vne_mapping *m,
                  struct vne_reject *rej)
{
    const struct vne_substrate *sub = res->sub;
    int32_t *bw = xmalloc((sub->n_links + 1) * sizeof *bw);
    int error = 0;

    memcpy(bw, res->bw, sub->n_links * sizeof *bw);
    for (uint32_t i = 0; i < req->n_links && !error; i++) {
        const struct vne_vlink *vl = &req->links[i];
        const struct vne_ksp_set *set = vne_ksp_get(ksp, m->host[vl->src],
                                                    m->host[vl->dst]);
        bool found = false;
        for (uint32_t p = 0; p < set->n && !found; p++) {
            const uint32_t *nodes = set->nodes + set->off[p];
            uint32_t len = vne_ksp_len(set, p);
            bool fits = true;
            for (uint32_t k = 0; k + 1 < len && fits; k++) {
                int32_t l = vne_substrate_link(sub, nodes[k], nodes[k + 1]);
                fits = bw[l] >= vl->bw;
            }
            if (fits) {
                vne_mapping_set_path(m, sub, i, nodes, len);
                for (uint32_t k = 0; k + 1 < len; k++) {
                    bw[m->paths[i].links[k]] -= vl->bw;
                }
                found = true;
            }
        }
        if (!found) {
            vne_reject_set(rej, VNE_REJECT_BW,
                           "virtual link %u-%u (bw %d): none of the %u shortest "
                           "paths between %u and %u has it free",
                           vl->src, vl->dst, vl->bw, set->n,
                           m->host[vl->src], m->host[vl->dst]);
            error = ENOSPC;
        }
    }
    free(bw);
    return error;
}

/* Creates a rank-based instance of 'kind' with its k-shortest-path cache. */
static int
rank_create(const struct vne_substrate *sub, const struct vne_algo_options *o,
            enum rank_kind kind, struct vne_algo **algop)
{
    struct rank_algo *a = xzalloc(sizeof *a);
    a->kind = kind;
    a->ksp = vne_ksp_create(sub, o->k_paths);
    *algop = &a->up;
    return 0;
}

/* Creates the node-resource (Yu et al.) variant. */
static int
greedy_create(const struct vne_substrate *sub, const struct vne_algo_options *o,
              struct vne_algo **algop)
{
    return rank_create(sub, o, RANK_NRM, algop);
}

/* Creates the GRC variant. */
static int
grc_create(const struct vne_substrate *sub, const struct vne_algo_options *o,
           struct vne_algo **algop)
{
    return rank_create(sub, o, RANK_GRC, algop);
}

/* Creates the random-walk NodeRank variant. */
static int
rw_create(const struct vne_substrate *sub, const struct vne_algo_options *o,
          struct vne_algo **algop)
{
    return rank_create(sub, o, RANK_RW, algop);
}

/* Frees 'algo' and its path cache. */
static void
rank_destroy(struct vne_algo *algo)
{
    struct rank_algo *a = CONTAINER_OF(algo, struct rank_algo, up);
    vne_ksp_destroy(a->ksp);
    free(a);
}

/* Ranks the nodes of 'g' by the ranking of 'kind'. */
static void
rank_compute(enum rank_kind kind, const struct vne_rank_graph *g, double *rank)
{
    switch (kind) {
    case RANK_NRM:
        vne_rank_nrm(g, rank);
        break;
    case RANK_GRC:
        vne_rank_grc(g, 0.85, rank);
        break;
    case RANK_RW:
        vne_rank_rw(g, 0.15, rank);
        break;
    }
}

/* Matches virtual to substrate nodes in rank order, then maps the
 * links on k shortest paths. */
static int
rank_embed(struct vne_algo *algo, const struct vne_residual *res,
           const struct vne_request *req, struct vne_mapping *m,
           struct vne_reject *rej)
{
    struct rank_algo *a = CONTAINER_OF(algo, struct rank_algo, up);
    const struct vne_substrate *sub = res->sub;
    struct vne_rank_buf sb, vb;
    double *srank = xmalloc(sub->n_nodes * sizeof *srank);
    double *vrank = xmalloc(req->n_nodes * sizeof *vrank);
    uint32_t *sorder = xmalloc(sub->n_nodes * sizeof *sorder);
    uint32_t *vorder = xmalloc(req->n_nodes * sizeof *vorder);
    bool *used = xcalloc(sub->n_nodes, sizeof *used);
    int error = 0;

    vne_rank_buf_residual(&sb, res);
    vne_rank_buf_request(&vb, req);
    rank_compute(a->kind, &sb.g, srank);
    rank_compute(a->kind, &vb.g, vrank);
    vne_rank_order(srank, sub->n_nodes, sorder);
    vne_rank_order(vrank, req->n_nodes, vorder);

    for (uint32_t i = 0; i < req->n_nodes && !error; i++) {
        uint32_t vn = vorder[i];
        bool placed = false, any_allowed = false;
        for (uint32_t j = 0; j < sub->n_nodes && !placed; j++) {
            uint32_t s = sorder[j];
            if (used[s] || !vne_node_allowed(req, vn, s)) {
                continue;
            }
            any_allowed = true;
            if (res->cpu[s] >= req->nodes[vn].cpu) {
                m->host[vn] = s;
                used[s] = true;
                placed = true;
            }
        }
        if (!placed) {
            vne_reject_set(rej, any_allowed ? VNE_REJECT_CPU : VNE_REJECT_LOCATION,
                           "virtual node %u (cpu %d)", vn, req->nodes[vn].cpu);
            error = ENOSPC;
        }
    }
    if (!error) {
        error = vne_map_links_ksp(a->ksp, res, req, m, rej);
    }

    vne_rank_buf_clear(&sb);
    vne_rank_buf_clear(&vb);
    free(srank);
    free(vrank);
    free(sorder);
    free(vorder);
    free(used);
    return error;
}

const struct vne_algo_class vne_algo_greedy = {
    .name = "greedy",
    .summary = "node resource ranking + k shortest paths (Yu et al. 2008)",
    .create = greedy_create,
    .embed = rank_embed,
    .destroy = rank_destroy,
};

const struct vne_algo_class vne_algo_grc = {
    .name = "grc",
    .summary = "global resource capacity ranking + k shortest paths (Gong et al. 2014)",
    .create = grc_create,
    .embed = rank_embed,
    .destroy = rank_destroy,
};

const struct vne_algo_class vne_algo_rw = {
    .name = "rw",
    .summary = "random-walk NodeRank + k shortest paths (Cheng et al. 2011)",
    .create = rw_create,
    .embed = rank_embed,
    .destroy = rank_destroy,
};
