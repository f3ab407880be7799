#include "vne_rank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define RANK_EPS 1e-9
#define RANK_MAX_ROUNDS 1000

void
vne_rank_nrm(const struct vne_rank_graph *g, double *rank)
{
    double *sum = xcalloc(g->n, sizeof *sum);
    for (uint32_t e = 0; e < g->m; e++) {
        sum[g->eu[e]] += g->bw[e];
        sum[g->ev[e]] += g->bw[e];
    }
    for (uint32_t u = 0; u < g->n; u++) {
        rank[u] = g->cpu[u] * sum[u];
    }
    free(sum);
}

void
vne_rank_grc(const struct vne_rank_graph *g, double d, double *rank)
{
    uint32_t n = g->n;
    double *c = xmalloc(n * sizeof *c);
    double *sum = xcalloc(n, sizeof *sum);
    double *next = xmalloc(n * sizeof *next);
    double total = 0;

    for (uint32_t u = 0; u < n; u++) {
        total += g->cpu[u];
    }
    for (uint32_t u = 0; u < n; u++) {
        c[u] = total > 0 ? g->cpu[u] / total : 1.0 / n;
        rank[u] = c[u];
    }
    for (uint32_t e = 0; e < g->m; e++) {
        sum[g->eu[e]] += g->bw[e];
        sum[g->ev[e]] += g->bw[e];
    }
    for (int round = 0; round < RANK_MAX_ROUNDS; round++) {
        for (uint32_t u = 0; u < n; u++) {
            next[u] = (1 - d) * c[u];
        }
        /* (M r)[u] = sum over edges (u, v) of bw / sum[v] * r[v]. */
        for (uint32_t e = 0; e < g->m; e++) {
            uint32_t u = g->eu[e], v = g->ev[e];
            if (sum[v] > 0) {
                next[u] += d * g->bw[e] / sum[v] * rank[v];
            }
            if (sum[u] > 0) {
                next[v] += d * g->bw[e] / sum[u] * rank[u];
            }
        }
        double delta = 0;
        for (uint32_t u = 0; u < n; u++) {
            delta += fabs(next[u] - rank[u]);
            rank[u] = next[u];
        }
        if (delta < RANK_EPS) {
            break;
        }
    }
    free(c);
    free(sum);
    free(next);
}

void
vne_rank_rw(const struct vne_rank_graph *g, double p_jump, double *rank)
{
    uint32_t n = g->n;
    double *h = xmalloc(n * sizeof *h);
    double *nsum = xcalloc(n, sizeof *nsum);   /* sum of H over neighbours */
    double *next = xmalloc(n * sizeof *next);
    double total = 0;

    vne_rank_nrm(g, h);
    for (uint32_t u = 0; u < n; u++) {
        total += h[u];
    }
    for (uint32_t u = 0; u < n; u++) {
        h[u] = total > 0 ? h[u] / total : 1.0 / n;
        rank[u] = h[u];
    }
    for (uint32_t e = 0; e < g->m; e++) {
        nsum[g->eu[e]] += h[g->ev[e]];
        nsum[g->ev[e]] += h[g->eu[e]];
    }
    for (int round = 0; round < RANK_MAX_ROUNDS; round++) {
        double jump_mass = 0;
        for (uint32_t u = 0; u < n; u++) {
            jump_mass += (nsum[u] > 0 ? p_jump : 1.0) * rank[u];
        }
        for (uint32_t u = 0; u < n; u++) {
            next[u] = jump_mass * h[u];
        }
        for (uint32_t e = 0; e < g->m; e++) {
            uint32_t u = g->eu[e], v = g->ev[e];
            if (nsum[u] > 0) {
                next[v] += (1 - p_jump) * rank[u] * h[v] / nsum[u];
            }
            if (nsum[v] > 0) {
                next[u] += (1 - p_jump) * rank[v] * h[u] / nsum[v];
            }
        }
        double delta = 0;
        for (uint32_t u = 0; u < n; u++) {
            delta += fabs(next[u] - rank[u]);
            rank[u] = next[u];
        }
        if (delta < RANK_EPS) {
            break;
        }
    }
    free(h);
    free(nsum);
    free(next);
}

/* qsort_r() order: rank descending, then index. */
static int
cmp_rank(const void *a_, const void *b_, void *rank_)
{
    const double *sort_rank = rank_;
    uint32_t a = *(const uint32_t *) a_, b = *(const uint32_t *) b_;
    if (sort_rank[a] != sort_rank[b]) {
        return sort_rank[a] > sort_rank[b] ? -1 : 1;
    }
    return a < b ? -1 : a > b;
}

void
vne_rank_order(const double *rank, uint32_t n, uint32_t *order)
{
    for (uint32_t i = 0; i < n; i++) {
        order[i] = i;
    }
    qsort_r(order, n, sizeof *order, cmp_rank, (void *) rank);
}
