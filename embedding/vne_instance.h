/*
 * vne_instance: readers for embedding problems.
 *
 * What?
 *
 *   An instance ("format": "lamina-vne-instance/1", described in
 *   data/vne/README.md) is a substrate plus a stream of requests with
 *   arrival times and lifetimes: what the online simulator replays.  The
 *   same JSON shapes serve single problems for `lamina vne embed`: a
 *   substrate file is an instance, a bare {"nodes", "links"} object, or a
 *   Topology Zoo GML file (capacities from the caller); a request file is
 *   a bare request object or an instance (its first request).
 *
 * Location constraints (an extension of the shared format)
 *
 *   A virtual node may carry "allowed": [substrate node ids], and/or
 *   "x", "y", "max_dist": it may then only go to substrate nodes with
 *   coordinates within Euclidean distance max_dist of (x, y).  Both are
 *   resolved against the substrate when the request is read.
 *
 * Errors
 *
 *   Functions return 0 or a positive errno; '*errp' then holds a message
 *   for a person: "FILE:LINE:COLUMN: ..." for JSON syntax, "FILE:
 *   requests[12].links[3]: dst 9 is not a virtual node" for content.
 */
#ifndef LAMINA_VNE_INSTANCE_H
#define LAMINA_VNE_INSTANCE_H 1

#include <stdint.h>

#include "vne.h"

/* Largest "arrival" and "lifetime" accepted, in time units: far beyond any
 * real trace, small enough that sums and products of times, amounts and
 * counts stay finite. */
#define VNE_MAX_TIME 1e9

struct vne_instance {
    char *path;
    char *format;
    char *generator;
    struct vne_substrate *sub;
    struct vne_request *reqs;   /* requests[i].id == i, arrivals ascending */
    uint32_t n_reqs;
};

/* Reads instance file 'path'.  Returns 0 or a positive errno with
 * '*errp' set (the caller frees it). */
int vne_instance_read(const char *path, struct vne_instance **, char **errp);

/* Keeps only the first 'n' requests (no-op if there are fewer). */
void vne_instance_truncate(struct vne_instance *, uint32_t n);

void vne_instance_destroy(struct vne_instance *);

/* Reads a substrate from 'path': a topology file of `lamina topo` (name
 * ending in ".topo": CPU from each switch, bandwidth = link rate in
 * Mbit/s, through topo_to_graph()), JSON (an instance or
 * {"nodes","links"}) or GML (by content), with 'cpu'/'bw' as capacities
 * where the file has none (a GML file without "cpu"/"bw", a topology
 * link without a rate). */
int vne_substrate_read(const char *path, int32_t cpu, int32_t bw,
                       struct vne_substrate **, char **errp);

/* Reads one request from 'path' (a request object, or an instance whose
 * first request is taken) for substrate 'sub' into '*req'. */
int vne_request_read(const char *path, const struct vne_substrate *sub,
                     struct vne_request *req, char **errp);

#endif /* LAMINA_VNE_INSTANCE_H */
