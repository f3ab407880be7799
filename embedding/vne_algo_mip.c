/*
 * mip: the exact embedding of one request, as an integer program solved by
 * GLPK's branch and cut (vne_lp.h) under a time limit per request.
 *
 * The objective is the cost itself (bandwidth x hops, the CPU part being
 * fixed), plus a tiny charge per arc used, smaller than one unit of cost
 * in total, so that zero-bandwidth virtual links also take shortest paths
 * and no flow circulates.  Paths may be any simple substrate paths, not
 * only the k shortest, so a proven optimum costs no more than any
 * heuristic's embedding of the same request in the same state.
 *
 * When the time limit strikes, the best embedding found so far is used;
 * if there is none the request is rejected as "timeout".  Meant for small
 * substrates and requests (tens of substrate nodes).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vne_lp.h"
#include "vne_private.h"

struct mip_algo {
    struct vne_algo up;
    bool optimal;
};

/* The MIP keeps no state between requests. */
static int
mip_create(const struct vne_substrate *sub, const struct vne_algo_options *o,
           struct vne_algo **algop)
{
    struct mip_algo *a = xzalloc(sizeof *a);
    glp_term_out(GLP_OFF);
    *algop = &a->up;
    return 0;
}

/* Frees 'algo'. */
static void
mip_destroy(struct vne_algo *algo)
{
    free(CONTAINER_OF(algo, struct mip_algo, up));
}

bool
vne_algo_mip_was_optimal(const struct vne_algo *algo)
{
    return algo->class == &vne_algo_mip
           && CONTAINER_OF(algo, struct mip_algo, up)->optimal;
}

/* Solves the integer program for 'req' within the time limit. */
static int
mip_embed(struct vne_algo *algo, const struct vne_residual *res,
          const struct vne_request *req, struct vne_mapping *m,
          struct vne_reject *rej)
{
    struct mip_algo *a = CONTAINER_OF(algo, struct mip_algo, up);
    struct vne_lp p;
    struct vne_lp_weights w = {
        .balance = false,
        .hop_eps = 1.0 / ((double) req->n_links * res->sub->n_nodes + 2),
    };
    int error;

    a->optimal = false;
    error = vne_lp_build(&p, res, req, true, &w, rej);
    if (error) {
        vne_lp_destroy(&p);
        return error;
    }

    /* The LP relaxation first, by dual simplex without presolve (GLPK's
     * presolver is slow on these problems), then branch and cut. */
    uint64_t t0 = time_ms();
    unsigned limit = algo->opts.mip_time_limit_ms ? algo->opts.mip_time_limit_ms : 1000;
    glp_smcp sparm;
    glp_init_smcp(&sparm);
    sparm.msg_lev = GLP_MSG_OFF;
    sparm.meth = GLP_DUALP;
    sparm.tm_lim = limit;
    int ret = glp_simplex(p.lp, &sparm);
    if (ret == 0 && glp_get_status(p.lp) != GLP_OPT) {
        vne_reject_set(rej, VNE_REJECT_BW, "no embedding has enough free bandwidth");
        vne_lp_destroy(&p);
        return ENOSPC;
    }
    glp_iocp parm;
    glp_init_iocp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    parm.presolve = GLP_OFF;
    uint64_t spent = time_ms() - t0;
    parm.tm_lim = spent < limit ? limit - spent : 1;
    if (ret == 0) {
        ret = glp_intopt(p.lp, &parm);
    } else {
        ret = GLP_ETMLIM;
    }
    int status = glp_mip_status(p.lp);

    if ((ret == 0 || ret == GLP_ETMLIM) && (status == GLP_OPT || status == GLP_FEAS)) {
        a->optimal = ret == 0 && status == GLP_OPT;
        if (vne_lp_extract(&p, m)) {
            vne_reject_set(rej, VNE_REJECT_SOLVER, "solution is not a set of paths");
            error = ENOSPC;
        }
    } else if (ret == GLP_ETMLIM) {
        vne_reject_set(rej, VNE_REJECT_TIMEOUT, "no embedding within %u ms",
                       parm.tm_lim);
        error = ENOSPC;
    } else {
        /* Infeasible: with candidates for every node, bandwidth is short. */
        vne_reject_set(rej, VNE_REJECT_BW, "no embedding has enough free bandwidth");
        error = ENOSPC;
    }
    vne_lp_destroy(&p);
    return error;
}

const struct vne_algo_class vne_algo_mip = {
    .name = "mip",
    .summary = "exact integer program on GLPK, time-limited per request (small instances)",
    .slow = true,
    .create = mip_create,
    .embed = mip_embed,
    .destroy = mip_destroy,
};
