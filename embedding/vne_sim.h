/*
 * vne_sim: the event-driven online simulator.
 *
 * What?
 *
 *   Replays an instance (vne_instance.h) through one algorithm the way
 *   virne's simulator does, so the numbers compare with the published
 *   ones (data/vne/README.md):
 *
 *   - events are arrivals (at 'arrival') and departures (at arrival +
 *     lifetime), sorted by time; at equal times arrivals come first, and
 *     within one kind lower request ids first;
 *   - an arrival is embedded at once against the free capacities or
 *     rejected and dropped; an accepted request holds exactly its mapping's
 *     CPU and bandwidth until its departure returns them;
 *   - the simulator re-checks every mapping an algorithm returns
 *     (vne_residual_fits()) and stops with an error if one does not fit:
 *     an algorithm can never overbook the substrate.
 *
 * Metrics
 *
 *   RAC = accepted / arrived;  LRC = sum(revenue x lifetime) /
 *   sum(cost x lifetime) over accepted requests;  LAR = sum(revenue x
 *   lifetime) / T with T the arrival time of the request whose departure is
 *   the last event; ms per request = time spent inside the algorithm's
 *   embed() / arrivals.
 */
#ifndef LAMINA_VNE_SIM_H
#define LAMINA_VNE_SIM_H 1

#include <stdbool.h>
#include <stdint.h>

#include "vne.h"
#include "vne_instance.h"

/* What the per-event callback sees. */
struct vne_sim_event {
    double time;
    bool arrival;               /* else a departure */
    uint32_t req;
    bool accepted;              /* the request is (or was) embedded */
    const struct vne_reject *reject;    /* arrivals only */
    int64_t revenue, cost;      /* of this request's embedding, 0 if none */
    uint32_t arrived, accepted_total;
    double rac;                 /* so far */
    double time_revenue;        /* sum of revenue x lifetime so far */
    double cpu_used, bw_used;   /* fraction of all capacity in use */
};

struct vne_sim_options {
    void (*on_event)(const struct vne_sim_event *, void *aux);
    void (*on_progress)(uint32_t done, uint32_t total, void *aux);
    void *aux;
};

struct vne_sim_result {
    uint32_t arrived, accepted;
    double rac, lrc, lar, T;
    double revenue_sum, cost_sum;       /* plain sums over accepted */
    double time_revenue, time_cost;     /* weighted by lifetime */
    uint64_t embed_ns;
    double ms_per_request;
    uint32_t rejects[VNE_N_REJECT];     /* count per reason */
    /* Per request (n_reqs entries): its mapping if accepted, else empty
     * (n_nodes == 0 and host == NULL). */
    uint32_t n_reqs;
    struct vne_mapping *maps;
    bool *accepted_flags;
};

/* Runs 'inst' through 'algo' (made for inst->sub).  Returns 0, or a
 * positive errno with '*errp' set if the algorithm failed or returned a
 * mapping that does not fit. */
int vne_sim_run(const struct vne_instance *inst, struct vne_algo *algo,
                const struct vne_sim_options *, struct vne_sim_result *,
                char **errp);

void vne_sim_result_clear(struct vne_sim_result *);

/* Writes the accepted embeddings and the metrics of 'r' to 'path' in the
 * result format of check_embeddings.py.  Returns 0 or a positive errno
 * with '*errp' set. */
int vne_sim_write_embeddings(const char *path, const struct vne_instance *,
                             const struct vne_sim_result *, char **errp);

#endif /* LAMINA_VNE_SIM_H */
