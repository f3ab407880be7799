#include "vne_path.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

void
vne_bfs_init(struct vne_bfs *b, const struct vne_substrate *sub)
{
    uint32_t n = sub->n_nodes;
    b->sub = sub;
    b->queue = xmalloc(n * sizeof *b->queue);
    b->prev = xmalloc(n * sizeof *b->prev);
    b->dist = xmalloc(n * sizeof *b->dist);
    b->node_blocked = xcalloc(n, 1);
    b->link_blocked = xcalloc(sub->n_links ? sub->n_links : 1, 1);
}

void
vne_bfs_destroy(struct vne_bfs *b)
{
    free(b->queue);
    free(b->prev);
    free(b->dist);
    free(b->node_blocked);
    free(b->link_blocked);
}

void
vne_bfs_unblock(struct vne_bfs *b)
{
    memset(b->node_blocked, 0, b->sub->n_nodes);
    memset(b->link_blocked, 0, b->sub->n_links);
}

/* Breadth-first search from 'src', stopping early once 'dst' is reached
 * (dst == UINT32_MAX: never). */
static void
bfs_run(struct vne_bfs *b, const int32_t *free_bw, int32_t min_bw,
        uint32_t src, uint32_t dst)
{
    const struct vne_substrate *sub = b->sub;
    uint32_t head = 0, tail = 0;

    for (uint32_t i = 0; i < sub->n_nodes; i++) {
        b->dist[i] = UINT32_MAX;
    }
    if (b->node_blocked[src]) {
        return;
    }
    b->dist[src] = 0;
    b->prev[src] = UINT32_MAX;
    b->queue[tail++] = src;
    while (head < tail) {
        uint32_t u = b->queue[head++];
        for (uint32_t i = sub->adj_start[u]; i < sub->adj_start[u + 1]; i++) {
            const struct vne_adj *a = &sub->adj[i];
            if (b->dist[a->node] != UINT32_MAX || b->node_blocked[a->node]
                || b->link_blocked[a->link]
                || (free_bw && free_bw[a->link] < min_bw)) {
                continue;
            }
            b->dist[a->node] = b->dist[u] + 1;
            b->prev[a->node] = u;
            if (a->node == dst) {
                return;
            }
            b->queue[tail++] = a->node;
        }
    }
}

bool
vne_bfs_path(struct vne_bfs *b, const int32_t *free_bw, int32_t min_bw,
             uint32_t src, uint32_t dst, uint32_t *path, uint32_t *len)
{
    if (src == dst) {
        return false;
    }
    bfs_run(b, free_bw, min_bw, src, dst);
    if (b->dist[dst] == UINT32_MAX) {
        return false;
    }
    uint32_t n = b->dist[dst] + 1;
    uint32_t u = dst;
    for (uint32_t i = n; i-- > 0;) {
        path[i] = u;
        u = b->prev[u];
    }
    *len = n;
    return true;
}

void
vne_bfs_dist(struct vne_bfs *b, const int32_t *free_bw, int32_t min_bw,
             uint32_t src)
{
    bfs_run(b, free_bw, min_bw, src, UINT32_MAX);
}

/* ---- Yen's k shortest simple paths ---- */

struct vne_ksp {
    const struct vne_substrate *sub;
    unsigned k;
    struct vne_ksp_set **sets;  /* n x n, computed on first use */
    struct vne_bfs bfs;
    uint32_t *tmp;
};

struct vne_ksp *
vne_ksp_create(const struct vne_substrate *sub, unsigned k)
{
    struct vne_ksp *ksp = xzalloc(sizeof *ksp);
    ksp->sub = sub;
    ksp->k = k ? k : 1;
    ksp->sets = xcalloc((size_t) sub->n_nodes * sub->n_nodes, sizeof *ksp->sets);
    vne_bfs_init(&ksp->bfs, sub);
    ksp->tmp = xmalloc(sub->n_nodes * sizeof *ksp->tmp);
    return ksp;
}

void
vne_ksp_destroy(struct vne_ksp *ksp)
{
    if (!ksp) {
        return;
    }
    size_t n = (size_t) ksp->sub->n_nodes * ksp->sub->n_nodes;
    for (size_t i = 0; i < n; i++) {
        if (ksp->sets[i]) {
            free(ksp->sets[i]->off);
            free(ksp->sets[i]->nodes);
            free(ksp->sets[i]);
        }
    }
    free(ksp->sets);
    vne_bfs_destroy(&ksp->bfs);
    free(ksp->tmp);
    free(ksp);
}

struct yen_path {
    uint32_t len;
    uint32_t *nodes;
};

/* True if path 'a' is the 'len' nodes 'nodes'. */
static bool
yen_same(const struct yen_path *a, const uint32_t *nodes, uint32_t len)
{
    return a->len == len && !memcmp(a->nodes, nodes, len * sizeof *nodes);
}

/* Yen's algorithm: the k fewest-hop simple paths from 's' to 't'. */
static void
yen_compute(struct vne_ksp *ksp, uint32_t s, uint32_t t, struct vne_ksp_set *set)
{
    const struct vne_substrate *sub = ksp->sub;
    struct vne_bfs *b = &ksp->bfs;
    uint32_t n = sub->n_nodes;
    struct yen_path *A = xcalloc(ksp->k, sizeof *A);
    struct yen_path *B = NULL;
    size_t nA = 0, nB = 0, capB = 0;
    uint32_t *cand = xmalloc(n * sizeof *cand);
    uint32_t len;

    vne_bfs_unblock(b);
    if (vne_bfs_path(b, NULL, 0, s, t, ksp->tmp, &len)) {
        A[0].len = len;
        A[0].nodes = xmalloc(len * sizeof *A[0].nodes);
        memcpy(A[0].nodes, ksp->tmp, len * sizeof *ksp->tmp);
        nA = 1;
    }
    while (nA > 0 && nA < ksp->k) {
        const struct yen_path *last = &A[nA - 1];
        for (uint32_t i = 0; i + 1 < last->len; i++) {
            uint32_t spur = last->nodes[i];
            vne_bfs_unblock(b);
            /* Block the next link of every known path sharing this root. */
            for (size_t j = 0; j < nA; j++) {
                if (A[j].len > i + 1
                    && !memcmp(A[j].nodes, last->nodes, (i + 1) * sizeof *cand)) {
                    int32_t l = vne_substrate_link(sub, A[j].nodes[i], A[j].nodes[i + 1]);
                    b->link_blocked[l] = 1;
                }
            }
            for (uint32_t r = 0; r < i; r++) {
                b->node_blocked[last->nodes[r]] = 1;
            }
            if (!vne_bfs_path(b, NULL, 0, spur, t, ksp->tmp, &len)) {
                continue;
            }
            memcpy(cand, last->nodes, i * sizeof *cand);
            memcpy(cand + i, ksp->tmp, len * sizeof *cand);
            uint32_t clen = i + len;
            bool dup = false;
            for (size_t j = 0; j < nB && !dup; j++) {
                dup = yen_same(&B[j], cand, clen);
            }
            for (size_t j = 0; j < nA && !dup; j++) {
                dup = yen_same(&A[j], cand, clen);
            }
            if (dup) {
                continue;
            }
            if (nB == capB) {
                capB = capB ? 2 * capB : 16;
                B = xrealloc(B, capB * sizeof *B);
            }
            B[nB].len = clen;
            B[nB].nodes = xmalloc(clen * sizeof *cand);
            memcpy(B[nB].nodes, cand, clen * sizeof *cand);
            nB++;
        }
        if (!nB) {
            break;
        }
        /* Move the shortest candidate (first found among equals) to A. */
        size_t best = 0;
        for (size_t j = 1; j < nB; j++) {
            if (B[j].len < B[best].len) {
                best = j;
            }
        }
        A[nA++] = B[best];
        memmove(&B[best], &B[best + 1], (nB - best - 1) * sizeof *B);
        nB--;
    }

    size_t total = 0;
    for (size_t j = 0; j < nA; j++) {
        total += A[j].len;
    }
    set->n = nA;
    set->off = xmalloc((nA + 1) * sizeof *set->off);
    set->nodes = xmalloc((total ? total : 1) * sizeof *set->nodes);
    set->off[0] = 0;
    for (size_t j = 0; j < nA; j++) {
        memcpy(set->nodes + set->off[j], A[j].nodes, A[j].len * sizeof *cand);
        set->off[j + 1] = set->off[j] + A[j].len;
        free(A[j].nodes);
    }
    for (size_t j = 0; j < nB; j++) {
        free(B[j].nodes);
    }
    vne_bfs_unblock(b);
    free(A);
    free(B);
    free(cand);
}

const struct vne_ksp_set *
vne_ksp_get(struct vne_ksp *ksp, uint32_t s, uint32_t t)
{
    struct vne_ksp_set **slot = &ksp->sets[(size_t) s * ksp->sub->n_nodes + t];
    if (!*slot) {
        *slot = xzalloc(sizeof **slot);
        yen_compute(ksp, s, t, *slot);
    }
    return *slot;
}
