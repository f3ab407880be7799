/*
 * vne_rank: node rankings of the classic embedding heuristics.
 *
 * Each ranking scores the nodes of a graph given as node weights (CPU,
 * free or demanded) and weighted undirected edges (bandwidth): the
 * substrate with its free capacities, or a request with its demands.  The
 * greedy mappers then pair virtual nodes and substrate nodes in rank order.
 *
 *   - nrm (node resource, Yu et al. 2008): H(u) = cpu(u) x sum of the
 *     bandwidth of u's links.
 *   - grc (global resource capacity, Gong et al. 2014): the fixed point of
 *     r = (1 - d) c + d M r, with c the CPU normalised to sum 1 and
 *     M[u][v] = bw(u, v) / (sum of the bandwidth at v); d = 0.85.
 *   - rw (NodeRank, Cheng et al. 2011): the stationary distribution of a
 *     random walk that from node u jumps with probability 0.15 to any node
 *     v in proportion to H(v), or with probability 0.85 moves to a
 *     neighbour v in proportion to H(v); started from H normalised.
 *     A node without neighbours always jumps.
 *
 * The iterative ones stop when the L1 change falls under 1e-9 or after
 * 1000 rounds.
 */
#ifndef LAMINA_VNE_RANK_H
#define LAMINA_VNE_RANK_H 1

#include <stddef.h>
#include <stdint.h>

struct vne_rank_graph {
    uint32_t n;                 /* nodes */
    const double *cpu;          /* per node */
    uint32_t m;                 /* edges */
    const uint32_t *eu, *ev;    /* edge ends */
    const double *bw;           /* per edge */
};

/* Each writes one score per node into 'rank' (n entries); higher is more
 * attractive. */
void vne_rank_nrm(const struct vne_rank_graph *, double *rank);
void vne_rank_grc(const struct vne_rank_graph *, double d, double *rank);
void vne_rank_rw(const struct vne_rank_graph *, double p_jump, double *rank);

/* Sorts 'order' (n entries) as the indexes 0..n-1 by 'rank' descending,
 * ties by index. */
void vne_rank_order(const double *rank, uint32_t n, uint32_t *order);

#endif /* LAMINA_VNE_RANK_H */
