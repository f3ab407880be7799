/*
 * vne_lp: the flow formulation that D-ViNE, R-ViNE and the exact MIP share,
 * built on GLPK.
 *
 * Variables
 *
 *   x[m][w]  virtual node m on substrate node w, for every candidate w of m
 *            (allowed, enough free CPU);
 *   f[i][a]  flow of virtual link i on directed substrate arc a (two arcs
 *            per link), only on arcs whose link has the bandwidth free.
 *
 * Constraints
 *
 *   every virtual node on exactly one candidate; every substrate node hosts
 *   at most one virtual node of the request; for every virtual link i and
 *   substrate node w, out-flow minus in-flow = x[src_i][w] - x[dst_i][w]
 *   (a unit of flow from one host to the other); the bandwidth of all
 *   virtual links on a substrate link within its free bandwidth.
 *
 *   With integral variables this is exactly the embedding problem (the
 *   flow of each virtual link is one path, plus possibly cycles, which the
 *   objective makes cost something).  Relaxed to [0, 1] it is the linear
 *   program that ViNE rounds.  It is the node-arc form of Chowdhury et
 *   al.'s augmented graph: the meta-edges of virtual node m are the x[m][w].
 */
#ifndef LAMINA_VNE_LP_H
#define LAMINA_VNE_LP_H 1

#include <glpk.h>
#include <stdbool.h>
#include <stdint.h>

#include "vne.h"

struct vne_lp {
    glp_prob *lp;
    const struct vne_substrate *sub;
    const struct vne_request *req;
    uint32_t n_cand;
    uint32_t *cand_vnode, *cand_snode;  /* candidate -> (m, w) */
    int *x_col;                         /* candidate -> column */
    int *f_col;                         /* i * 2m + arc -> column, 0 if none */
    uint32_t n_arcs;                    /* 2 x substrate links */
};

/* Objective weights. */
struct vne_lp_weights {
    /* Cost of one unit of virtual link i's flow on substrate link l:
     * 'bw_scale' x bw_i x (1 / (free_bw[l] + delta) if balance, else 1),
     * plus 'hop_eps' per arc used. */
    bool balance;
    double delta;
    double hop_eps;
    /* Cost of x[m][w]: cpu_m / (free_cpu[w] + delta) if balance, else 0. */
};

/* Builds the problem for 'req' in free capacities 'res'.  If 'integer',
 * variables are binary (the exact MIP), else continuous in [0, 1].
 * Returns 0, or ENOSPC with 'rej' set if some virtual node has no
 * candidate at all. */
int vne_lp_build(struct vne_lp *, const struct vne_residual *res,
                 const struct vne_request *req, bool integer,
                 const struct vne_lp_weights *, struct vne_reject *rej);

void vne_lp_destroy(struct vne_lp *);

/* After an integral solve: extracts the mapping into 'm' from the MIP
 * values.  Returns 0, or EPROTO if the values do not form paths. */
int vne_lp_extract(const struct vne_lp *, struct vne_mapping *m);

/* True if the last request the exact MIP embedded was solved to proven
 * optimality (false after a time-limited or failed solve). */
bool vne_algo_mip_was_optimal(const struct vne_algo *);

#endif /* LAMINA_VNE_LP_H */
