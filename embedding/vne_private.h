/*
 * vne_private: helpers the algorithm implementations share; not API.
 */
#ifndef LAMINA_VNE_PRIVATE_H
#define LAMINA_VNE_PRIVATE_H 1

#include <stddef.h>

#include "vne.h"
#include "vne_path.h"
#include "vne_rank.h"

#define CONTAINER_OF(PTR, TYPE, MEMBER) \
    ((TYPE *) (void *) ((char *) (PTR) - offsetof(TYPE, MEMBER)))

/* Maps every virtual link of 'req', in the order listed, onto the first of
 * its hosts' k shortest paths (of the full topology) that still has
 * enough free bandwidth, counting what earlier virtual links of the same
 * request took.  'm->host' must be complete.  Returns 0, or ENOSPC with
 * 'rej' set. */
int vne_map_links_ksp(struct vne_ksp *, const struct vne_residual *,
                      const struct vne_request *, struct vne_mapping *,
                      struct vne_reject *);

/* A ranking input built from arrays it owns. */
struct vne_rank_buf {
    struct vne_rank_graph g;
    double *cpu, *bw;
    uint32_t *eu, *ev;
};

/* The substrate with its free capacities / a request with its demands. */
void vne_rank_buf_residual(struct vne_rank_buf *, const struct vne_residual *);
void vne_rank_buf_request(struct vne_rank_buf *, const struct vne_request *);
void vne_rank_buf_clear(struct vne_rank_buf *);

/* splitmix64: a small, good, seedable generator; returns [0, 1). */
static inline double
vne_rand01(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (z >> 11) * 0x1.0p-53;
}

#endif /* LAMINA_VNE_PRIVATE_H */
