/*
 * vne_path: path search on a substrate, for the embedding algorithms.
 *
 * Two tools:
 *
 *   - vne_bfs: the fewest-hop path between two substrate nodes, optionally
 *     only over links with at least 'min_bw' free and avoiding blocked
 *     nodes and links.  Breadth-first search visits neighbours in link
 *     order, so ties always break the same way.
 *
 *   - vne_ksp: the k fewest-hop simple paths between two nodes (Yen's
 *     algorithm over breadth-first search), on the full topology, ignoring
 *     free capacity: what the classic baselines walk through, taking the
 *     first path with enough bandwidth.  Paths are computed on first use
 *     and cached per ordered pair, since they depend on the topology only.
 *     Among paths of equal length, Yen's order (the order they are found)
 *     is kept.
 */
#ifndef LAMINA_VNE_PATH_H
#define LAMINA_VNE_PATH_H 1

#include <stdbool.h>
#include <stdint.h>

#include "vne.h"

/* Workspace for breadth-first searches on one substrate. */
struct vne_bfs {
    const struct vne_substrate *sub;
    uint32_t *queue;
    uint32_t *prev;             /* node we came from, UINT32_MAX if unseen */
    uint32_t *dist;             /* hops from the source of the last search */
    uint8_t *node_blocked;      /* set by the caller; cleared by reset */
    uint8_t *link_blocked;
};

void vne_bfs_init(struct vne_bfs *, const struct vne_substrate *);
void vne_bfs_destroy(struct vne_bfs *);
/* Unblocks every node and link. */
void vne_bfs_unblock(struct vne_bfs *);

/* Finds the fewest-hop path from 'src' to 'dst' that avoids blocked nodes
 * and links and, if 'free_bw' is not NULL, uses only links 'l' with
 * free_bw[l] >= min_bw.  Stores its nodes in 'path' (room for n_nodes
 * entries) and their number in '*len'.  Returns true if found. */
bool vne_bfs_path(struct vne_bfs *, const int32_t *free_bw, int32_t min_bw,
                  uint32_t src, uint32_t dst, uint32_t *path, uint32_t *len);

/* Computes hop distances from 'src' into bfs->dist (UINT32_MAX where
 * unreachable) under the same rules as vne_bfs_path(). */
void vne_bfs_dist(struct vne_bfs *, const int32_t *free_bw, int32_t min_bw,
                  uint32_t src);

/* The k shortest paths of one ordered pair. */
struct vne_ksp_set {
    uint32_t n;                 /* paths found, <= k */
    uint32_t *off;              /* path i: nodes[off[i]] .. nodes[off[i+1]-1] */
    uint32_t *nodes;
};

struct vne_ksp;

struct vne_ksp *vne_ksp_create(const struct vne_substrate *, unsigned k);
void vne_ksp_destroy(struct vne_ksp *);

/* Returns the k fewest-hop simple paths from 's' to 't' (s != t), fewest
 * hops first.  The set belongs to the cache. */
const struct vne_ksp_set *vne_ksp_get(struct vne_ksp *, uint32_t s, uint32_t t);

/* Length in nodes of path 'i' of 'set'. */
static inline uint32_t
vne_ksp_len(const struct vne_ksp_set *set, uint32_t i)
{
    return set->off[i + 1] - set->off[i];
}

#endif /* LAMINA_VNE_PATH_H */
