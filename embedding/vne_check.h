/*
 * vne_check: an independent referee for embedding results.
 *
 * What?
 *
 *   Given an instance and, per request, the mapping an algorithm chose
 *   (or none if rejected), replays the whole run on its own and checks
 *   everything the semantics demand: every virtual node on exactly one
 *   allowed substrate node, no two virtual nodes of one request on the
 *   same substrate node, every virtual link on one simple path of
 *   existing substrate links joining its two hosts, and the free CPU and
 *   bandwidth never negative at any moment.  It recomputes RAC, LRC and
 *   LAR from scratch.
 *
 * Why separate from the simulator?
 *
 *   The tests use it to judge the algorithms and the simulator, so it
 *   shares none of their code: not vne_residual_fits(), not the simulator's
 *   event order, not the link lookup.  It only reads the model structs.
 */
#ifndef LAMINA_VNE_CHECK_H
#define LAMINA_VNE_CHECK_H 1

#include <stdbool.h>
#include <stdint.h>

#include "vne.h"
#include "vne_instance.h"

struct vne_check_report {
    uint32_t n_errors;
    char *first_error;          /* NULL if none; freed by ..._clear() */
    uint32_t accepted, arrived;
    double rac, lrc, lar;
};

/* Replays 'inst' with 'maps[i]' the mapping of request i, or NULL when
 * it was rejected.  Fills 'rep'.  Returns true if there were no errors. */
bool vne_check_run(const struct vne_instance *inst,
                   const struct vne_mapping *const *maps,
                   struct vne_check_report *rep);

/* Checks a single mapping against full substrate capacities (for one-off
 * embeddings).  Returns true if valid; else stores a message in 'why'. */
bool vne_check_one(const struct vne_substrate *, const int32_t *free_cpu,
                   const int32_t *free_bw, const struct vne_request *,
                   const struct vne_mapping *, char *why, size_t why_size);

void vne_check_report_clear(struct vne_check_report *);

#endif /* LAMINA_VNE_CHECK_H */
