/*
 * vne_md: multi-domain embedding, a virtual network across several
 * infrastructure providers (InPs).
 *
 * What?
 *
 *   A multi-domain substrate ('struct vne_md') is k InPs, each with its
 *   own substrate (nodes numbered locally, CPU and links with bandwidth),
 *   its prices (per CPU unit-hour and per bandwidth unit-hour on each
 *   link: Mbit/s-hour for a topology), its border nodes, and
 *   inter-domain links, each joining a border node of one InP to a
 *   border node of another, with a bandwidth and a price.  Put together
 *   they make the merged substrate: the real network, where a final
 *   mapping is checked with the single-domain tools (vne_residual_fits(),
 *   vne_check).  Offline, vne_md_split() cuts one substrate (a shared
 *   instance's) into k InPs, so merged node numbers are the original ones
 *   and requests (with their location constraints) read unchanged.
 *
 * Advertisements
 *
 *   The broker does not see the InPs' substrates: each InP advertises
 *   ('struct vne_md_adv', made by vne_md_advertise() from its free
 *   capacities) either
 *   - its full topology (VNE_MD_FULL): every node's free CPU and every
 *     link's free bandwidth, so the broker can plan on the topology itself,
 *     check CPU exactly and estimate path lengths; or
 *   - an abstraction (VNE_MD_ABSTRACT): aggregated CPU (number of nodes,
 *     total and largest free CPU) and a full mesh between its border
 *     nodes, each pair with the largest bottleneck bandwidth of a path
 *     between them (and that path's hops).
 *   Both carry the mesh and the prices.  Location constraints name merged
 *   nodes; which InP owns a node is public (its access points).
 *
 * The algorithm (cost-aware, in two stages)
 *
 *   0. With full advertisements, the broker first embeds the request on
 *      the advertised topologies joined by the inter-domain links
 *      (vne_md_plan_view()) and reads a plan off it, hosts included.
 *   1. The broker (vne_md_plan()) splits the request: it places virtual
 *      nodes on InPs in breadth-first order from the heaviest, each on
 *      the InP that adds the least estimated price: CPU x price_cpu, plus
 *      for each virtual link to a placed neighbour either bandwidth x
 *      (estimated intra hops) x price_bw inside one InP, or the cheapest
 *      route across InPs (Dijkstra over border nodes: access hops in the
 *      first InP, inter-domain links with enough free bandwidth at their
 *      price, transit through an InP's mesh, access hops in the last;
 *      no InP twice).  One plan per root InP of the first virtual node,
 *      cheapest estimate first.
 *   2. vne_md_parts_build() turns a plan into one part per InP involved:
 *      the request's nodes placed there and the virtual links between
 *      them, in the InP's own node numbers.  Each InP embeds its part on
 *      its real free capacities with a single-domain algorithm
 *      (vne_algo_embed(), nothing new).  vne_md_join() then routes each
 *      cross-domain virtual link through the InPs of its planned route,
 *      in order: each InP extends the fewest-hop path over its own free
 *      links from the entry points the previous InP reached (per-domain
 *      path computation), choosing the inter-domain links on the way;
 *      if that fails, directly, then through one other InP.
 *   vne_md_embed() keeps the plan of step 0 if every InP could embed its
 *   part, else runs stage 2 for each plan of step 1 and keeps the
 *   cheapest (in price) that every InP could embed.  If none could,
 *   every InP that refused a part gets at most half the request nodes it
 *   refused and the broker plans again (a few rounds).
 *   vne_md_algo_create() then applies the admission control of the
 *   "lamina" algorithm to the merged mapping.
 *
 *   vne_md_algo_create() wraps all this as a 'struct vne_algo' on the
 *   merged substrate, so the simulator, the checker and the embeddings
 *   writer run it unchanged: `lamina vne simulate --inps K`.
 *
 * Rejections name the short resource and where: 'struct vne_md_reject'
 * has the kind, the InP (or -1 when the broker found no split) and a
 * sentence ("inp2: bw: no placement from 3 roots fits (its part: ...)").
 *
 * Thread safety: as vne.h.
 */
#ifndef LAMINA_VNE_MD_H
#define LAMINA_VNE_MD_H 1

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "vne.h"

/* ---- The multi-domain substrate ---- */

struct vne_md_inp {
    char name[16];              /* "inp0", ... */
    struct vne_substrate *sub;  /* own substrate, local node numbers */
    uint32_t *global;           /* local node -> merged node */
    uint32_t *link_global;      /* local link -> merged link */
    double price_cpu;           /* per CPU unit-hour */
    double price_bw;            /* per bandwidth unit-hour, per link */
    uint32_t n_border;
    uint32_t *border;           /* local node numbers, ascending */
};

struct vne_md_ilink {
    uint32_t inp[2];            /* the two InPs, inp[0] < inp[1] */
    uint32_t node[2];           /* their border nodes (local numbers) */
    uint32_t merged;            /* the link in the merged substrate */
    double price;               /* per bandwidth unit-hour */
};

struct vne_md {
    const struct vne_substrate *merged;     /* not owned */
    uint32_t n_inps;
    struct vne_md_inp *inps;
    uint32_t n_ilinks;
    struct vne_md_ilink *ilinks;
    uint32_t *inp_of;           /* merged node -> InP */
    uint32_t *local_of;         /* merged node -> local node */
    uint32_t *ilink_of;         /* merged link -> inter-domain link, or
                                 * UINT32_MAX for a link inside an InP */
};

/* Splits 'sub' into 'k' regions, deterministically: k seeds spread out
 * (the node of highest degree, then each time the node farthest in hops
 * from the seeds chosen), grown breadth-first in turn one node at a time,
 * so regions are connected and of similar size; nodes no region reaches
 * join the smallest.  Stores the region of node i in part[i].  Returns 0,
 * or EINVAL if k is 0 or larger than the number of nodes. */
int vne_md_partition(const struct vne_substrate *sub, uint32_t k,
                     uint32_t *part);

/* Builds the multi-domain substrate of 'merged' cut along 'part' (region
 * per node, 0..k-1, each region non-empty): InP i's substrate is region
 * i with the links inside it; links across regions become inter-domain
 * links and their ends border nodes.  Default prices: InP i costs
 * 1 + 0.5 (i mod 3) per CPU unit and 1 + 0.5 ((i + 1) mod 3) per
 * bandwidth unit and link; an inter-domain link 2.  'merged' must
 * outlive the result.  Returns 0, or EINVAL with '*errp' set. */
int vne_md_create(const struct vne_substrate *merged, const uint32_t *part,
                  uint32_t k, struct vne_md **, char **errp);
/* vne_md_partition() then vne_md_create(). */
int vne_md_split(const struct vne_substrate *merged, uint32_t k,
                 struct vne_md **, char **errp);
void vne_md_destroy(struct vne_md *);

/* Restricts virtual node 'vn' of 'req' to InP 'inp' (an "InP
 * constraint" of a request): its allowed hosts become those of its
 * current ones (any, if none) that InP 'inp' owns.  Returns 0, or EINVAL
 * (nothing changed) if that leaves none or 'inp' is out of range. */
int vne_md_constrain_inp(const struct vne_md *, struct vne_request *req,
                         uint32_t vn, uint32_t inp);

/* Sets 'out' (to clear with vne_residual_clear()) to InP 'inp''s share
 * of the merged free capacities 'res'. */
void vne_md_inp_residual(const struct vne_md *, uint32_t inp,
                         const struct vne_residual *res,
                         struct vne_residual *out);

/* ---- Advertisements ---- */

enum vne_md_adv_kind { VNE_MD_FULL, VNE_MD_ABSTRACT };

/* Returns "full" or "abstract"; parses them (false if neither). */
const char *vne_md_adv_kind_name(enum vne_md_adv_kind);
bool vne_md_adv_kind_parse(const char *, enum vne_md_adv_kind *);

struct vne_md_adv {
    uint32_t inp;
    enum vne_md_adv_kind kind;
    double price_cpu, price_bw;
    /* Aggregates (both kinds). */
    uint32_t n_nodes;
    int64_t cpu_total;          /* free CPU summed over the nodes */
    int32_t cpu_max;            /* largest free CPU of one node */
    /* Border mesh (both kinds), n_border x n_border, row-major. */
    uint32_t n_border;
    uint32_t *border;           /* local node numbers */
    int32_t *mesh_bw;           /* widest path's bottleneck (0: none) */
    uint32_t *mesh_hops;        /* that path's hops */
    /* Estimates for the broker: hops of an intra-InP virtual link and
     * from a node to each border node (full: mean hop distances; abstract:
     * 1, the InP says nothing about its inside). */
    double intra_hops;
    double *access_hops;        /* per border node */
    /* Full only (NULL for abstract): every node's and link's free
     * capacity (local numbers), and the nodes' free CPU, descending. */
    uint32_t n_links;           /* entries of 'bw' */
    int32_t *cpu, *bw;
    int32_t *cpu_sorted;
};

/* InP 'inp' of 'md' advertises its free capacities 'inp_res' (its own
 * substrate's, from vne_md_inp_residual()) as 'kind' into 'adv'. */
void vne_md_advertise(const struct vne_md *, uint32_t inp,
                      enum vne_md_adv_kind kind,
                      const struct vne_residual *inp_res,
                      struct vne_md_adv *adv);
/* Frees what 'adv' holds.  Accepts NULL. */
void vne_md_adv_clear(struct vne_md_adv *adv);

/* An advertisement as JSON, what an InP agent sends the broker:
 *   {"inp": 0, "kind": "full"|"abstract", "price_cpu": 1, "price_bw": 1.5,
 *    "nodes": 4, "cpu_total": 85, "cpu_max": 30, "border": [1, 2],
 *    "mesh": [[0, 1, 60, 3], ...],        (border indexes, bw, hops; bw > 0)
 *    "intra_hops": 1.33, "access_hops": [1.67, 1.33],
 *    "cpu": [10, 20, 30, 25], "bw": [100, 40, 60, 60]}   (full only)
 * The reader checks every field (types, ranges, lengths, no unknown
 * field) and on error leaves '*adv' untouched and sets '*errp' to a
 * sentence naming the field.  Returns 0 or EINVAL. */
json_t *vne_md_adv_to_json(const struct vne_md_adv *);
int vne_md_adv_from_json(const json_t *, struct vne_md_adv *adv, char **errp);

/* ---- Plans, parts, results ---- */

/* Why a multi-domain request was rejected, and where. */
struct vne_md_reject {
    enum vne_reject_kind kind;
    int32_t inp;                /* InP where it was short; -1: the split */
    char detail[224];
};

/* The broker's split of one request. */
struct vne_md_plan {
    uint32_t *inp;              /* per virtual node: its InP */
    uint32_t *host;             /* per virtual node: the merged node the
                                 * broker chose (full advertisements), or
                                 * NULL: each InP chooses */
    /* Per virtual link l: the inter-domain links it crosses, in order from
     * its src side: route[route_off[l]] .. route[route_off[l + 1] - 1]. */
    uint32_t *route_off;
    uint32_t *route;
    double est_price;           /* the broker's estimate */
};

void vne_md_plan_clear(struct vne_md_plan *);

/* Broker, stage 1: up to one plan per InP that can host the first
 * virtual node, cheapest estimate first, from the advertisements
 * 'advs' (one per InP, index = InP), the free bandwidth of each
 * inter-domain link 'ilink_free' and, if not NULL, the most request
 * nodes each InP may get 'max_nodes'.  Returns 0 with '*plans' (the
 * caller clears each and frees the array) and '*n_plans' >= 1, or ENOSPC
 * with 'rej' naming the short resource. */
int vne_md_plan(const struct vne_md *, const struct vne_md_adv *advs,
                const int32_t *ilink_free, const uint32_t *max_nodes,
                const struct vne_request *req, struct vne_md_plan **plans,
                uint32_t *n_plans, struct vne_md_reject *rej);

/* Broker, stage 1 with full advertisements: embeds 'req' with
 * 'view_algo' (made for md->merged) on the advertised free capacities
 * (the InPs' topologies joined by the inter-domain links) and reads the
 * plan off it: each node's InP, each cross link's inter-domain links.
 * Returns 0, ENOSPC with 'rej' set (also when a path enters an InP
 * twice), or EINVAL if an InP advertised no full topology. */
int vne_md_plan_view(const struct vne_md *, const struct vne_md_adv *advs,
                     const int32_t *ilink_free, struct vne_algo *view_algo,
                     const struct vne_request *req, struct vne_md_plan *plan,
                     struct vne_md_reject *rej);

/* What one InP is asked to embed: the request's nodes placed there and
 * the virtual links between them, in its own node numbers. */
struct vne_md_part {
    uint32_t inp;
    struct vne_request req;     /* local node numbers */
    uint32_t *vnode;            /* part node -> request node */
    uint32_t *vlink;            /* part link -> request link */
};

struct vne_md_parts {
    uint32_t n_parts;
    struct vne_md_part *parts;
    uint32_t *part_of;          /* per InP: index in 'parts' or UINT32_MAX */
};

/* Broker, stage 2: the per-InP parts of 'plan'. */
void vne_md_parts_build(const struct vne_md *, const struct vne_md_plan *,
                        const struct vne_request *, struct vne_md_parts *);
void vne_md_parts_clear(struct vne_md_parts *);

/* Joins the InPs' mappings of their parts ('maps[i]' for parts->parts[i],
 * in local numbers) into 'm' (uninitialised) on the merged substrate,
 * then routes each cross-domain virtual link (widest first) on the
 * fewest-hop path with its bandwidth free in 'res' (less what the
 * parts and the earlier links took) that crosses the InPs of its planned
 * route in order, each InP on its own links (if there is none: directly
 * between the two InPs, then through one other); plan->route is set to
 * the inter-domain links actually used.  Returns 0, or ENOSPC with 'rej'
 * naming the virtual link and the InPs. */
int vne_md_join(const struct vne_md *, struct vne_md_plan *plan,
                const struct vne_md_parts *, const struct vne_mapping *maps,
                const struct vne_residual *res, const struct vne_request *,
                struct vne_mapping *m, struct vne_md_reject *rej);

/* Price per hour of 'm' (on the merged substrate) for 'req': CPU x the
 * host InP's price_cpu, bandwidth x each link's price (its InP's
 * price_bw, or the inter-domain link's price). */
double vne_md_price(const struct vne_md *, const struct vne_request *,
                    const struct vne_mapping *m);

/* ---- All together ---- */

struct vne_md_result {
    struct vne_mapping m;       /* on the merged substrate */
    struct vne_md_plan plan;
    struct vne_md_parts parts;
    struct vne_mapping *part_maps;      /* per part, local numbers */
    double price;
};

void vne_md_result_clear(struct vne_md_result *);

/* Embeds 'req' across the InPs of 'md' whose real free capacities are
 * 'res' (merged), each InP advertising as 'kind' and embedding its part
 * with 'part_algos[i]' (made for md->inps[i].sub, ideally with
 * 'no_admission').  With full advertisements and 'view_algo' (made for
 * md->merged; may be NULL) the plan of vne_md_plan_view() is tried
 * first.  Returns 0 with 'out' filled (the caller clears it), ENOSPC
 * with 'rej' set, or another errno if an algorithm failed. */
int vne_md_embed(const struct vne_md *, enum vne_md_adv_kind kind,
                 struct vne_algo *const *part_algos, struct vne_algo *view_algo,
                 const struct vne_residual *res, const struct vne_request *req,
                 struct vne_md_result *out, struct vne_md_reject *rej);

/* A 'struct vne_algo' on md->merged that runs vne_md_embed() with InP
 * algorithms of class 'part_class' (with admission control at the merged
 * level, as "lamina" does).  'md' must outlive it.  Its rejection detail
 * is the multi-domain one, starting with the InP. */
int vne_md_algo_create(const struct vne_md *, enum vne_md_adv_kind kind,
                       const struct vne_algo_class *part_class,
                       const struct vne_algo_options *, struct vne_algo **);

/* Price of what the algorithm accepted so far (sum of vne_md_price()). */
double vne_md_algo_price(const struct vne_algo *);

#endif /* LAMINA_VNE_MD_H */
