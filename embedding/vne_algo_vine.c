/*
 * D-ViNE and R-ViNE (Chowdhury, Rahman, Boutaba, "Virtual network
 * embedding with coordinated node and link mapping", INFOCOM 2009).
 *
 * Both solve the linear relaxation of the node-and-flow formulation
 * (vne_lp.h) with GLPK's simplex, weighting flow on a substrate link by
 * 1 / (its free bandwidth + 1) and CPU on a node by 1 / (its free CPU + 1)
 * (the load-balancing variant, alpha = beta = 1), then round the node
 * mapping: virtual node m goes to the not yet used candidate w with the
 * largest x[m][w] (D-ViNE, deterministic) or to one drawn with probability
 * proportional to x[m][w] (R-ViNE, randomised).  Virtual links are then
 * mapped on the k shortest paths, the unsplittable variant of the paper.
 *
 * Adaptation: the paper's candidate set is the substrate nodes within a
 * distance D of the virtual node's location; the shared instances carry
 * no virtual locations, so every substrate node with enough free CPU (and
 * allowed by a location constraint, if any) is a candidate.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vne_lp.h"
#include "vne_private.h"

struct vine_algo {
    struct vne_algo up;
    bool randomized;
    uint64_t rng;
    struct vne_ksp *ksp;
};

/* Creates a ViNE instance, deterministic or randomised. */
static int
vine_create_common(const struct vne_substrate *sub, const struct vne_algo_options *o,
                   bool randomized, struct vne_algo **algop)
{
    struct vine_algo *a = xzalloc(sizeof *a);
    a->randomized = randomized;
    a->rng = o->seed;
    a->ksp = vne_ksp_create(sub, o->k_paths);
    glp_term_out(GLP_OFF);
    *algop = &a->up;
    return 0;
}

/* Creates D-ViNE. */
static int
dvine_create(const struct vne_substrate *sub, const struct vne_algo_options *o,
             struct vne_algo **algop)
{
    return vine_create_common(sub, o, false, algop);
}

/* Creates R-ViNE. */
static int
rvine_create(const struct vne_substrate *sub, const struct vne_algo_options *o,
             struct vne_algo **algop)
{
    return vine_create_common(sub, o, true, algop);
}

/* Frees 'algo' and its path cache. */
static void
vine_destroy(struct vne_algo *algo)
{
    struct vine_algo *a = CONTAINER_OF(algo, struct vine_algo, up);
    vne_ksp_destroy(a->ksp);
    free(a);
}

/* Solves the relaxation, rounds the node mapping, maps the links. */
static int
vine_embed(struct vne_algo *algo, const struct vne_residual *res,
           const struct vne_request *req, struct vne_mapping *m,
           struct vne_reject *rej)
{
    struct vine_algo *a = CONTAINER_OF(algo, struct vine_algo, up);
    const struct vne_substrate *sub = res->sub;
    struct vne_lp p;
    struct vne_lp_weights w = { .balance = true, .delta = 1.0, .hop_eps = 0 };
    int error = vne_lp_build(&p, res, req, false, &w, rej);

    if (error) {
        vne_lp_destroy(&p);
        return error;
    }
    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    /* GLPK's LP presolver costs far more than it saves on these
     * problems (600 ms against 8 ms per Waxman-100 request); the dual
     * simplex from the standard basis is fastest. */
    parm.presolve = GLP_OFF;
    parm.meth = GLP_DUALP;
    int ret = glp_simplex(p.lp, &parm);
    if (ret || glp_get_status(p.lp) != GLP_OPT) {
        vne_reject_set(rej, VNE_REJECT_BW,
                       "linear relaxation infeasible: bandwidth short");
        vne_lp_destroy(&p);
        return ENOSPC;
    }

    bool *used = xcalloc(sub->n_nodes, sizeof *used);
    for (uint32_t v = 0; v < req->n_nodes && !error; v++) {
        double total = 0, best_x = -1;
        uint32_t best = UINT32_MAX, first_free = UINT32_MAX;
        for (uint32_t c = 0; c < p.n_cand; c++) {
            if (p.cand_vnode[c] != v || used[p.cand_snode[c]]) {
                continue;
            }
            double x = glp_get_col_prim(p.lp, p.x_col[c]);
            x = x > 0 ? x : 0;
            total += x;
            if (first_free == UINT32_MAX) {
                first_free = c;
            }
            if (x > best_x) {
                best_x = x;
                best = c;
            }
        }
        if (first_free == UINT32_MAX) {
            vne_reject_set(rej, VNE_REJECT_CPU, "virtual node %u: no free candidate left", v);
            error = ENOSPC;
            break;
        }
        if (a->randomized && total > 0) {
            double r = vne_rand01(&a->rng) * total;
            for (uint32_t c = 0; c < p.n_cand; c++) {
                if (p.cand_vnode[c] != v || used[p.cand_snode[c]]) {
                    continue;
                }
                double x = glp_get_col_prim(p.lp, p.x_col[c]);
                x = x > 0 ? x : 0;
                if (x > 0) {
                    best = c;
                    if (r < x) {
                        break;
                    }
                    r -= x;
                }
            }
        }
        if (best == UINT32_MAX) {
            best = first_free;
        }
        m->host[v] = p.cand_snode[best];
        used[m->host[v]] = true;
    }
    free(used);
    vne_lp_destroy(&p);
    if (!error) {
        error = vne_map_links_ksp(a->ksp, res, req, m, rej);
    }
    return error;
}

const struct vne_algo_class vne_algo_dvine = {
    .name = "d-vine",
    .summary = "LP relaxation (GLPK) + deterministic rounding + k shortest paths (Chowdhury et al. 2009)",
    .create = dvine_create,
    .embed = vine_embed,
    .destroy = vine_destroy,
};

const struct vne_algo_class vne_algo_rvine = {
    .name = "r-vine",
    .summary = "LP relaxation (GLPK) + randomised rounding + k shortest paths (Chowdhury et al. 2009)",
    .create = rvine_create,
    .embed = vine_embed,
    .destroy = vine_destroy,
};
