/*
 * vne: virtual network embedding, the model and the algorithm interface.
 *
 * What?
 *
 *   A substrate network has nodes with CPU capacity and undirected links
 *   with bandwidth capacity.  A request (a virtual network) has virtual
 *   nodes with CPU demand, each optionally restricted to a set of allowed
 *   substrate nodes, and virtual links with bandwidth demand.  Embedding a
 *   request maps every virtual node to a distinct substrate node (or, for
 *   a request that allows revisitation, to any allowed one) with
 *   enough free CPU and every virtual link to one simple substrate path
 *   between the two hosts with enough free bandwidth on every link (virtual
 *   links of one request add up where they share a substrate link).  Or it
 *   rejects the request and says which resource was short.
 *
 * Free resources
 *
 *   Algorithms never see the history: they get a 'struct vne_residual'
 *   (the capacity still free on every node and link) and must return a
 *   mapping that fits it.  The simulator (vne_sim.h) owns the residual,
 *   subtracts an accepted mapping and adds it back when the request
 *   leaves.  vne_residual_fits() is the one capacity test (demand <= free,
 *   equality allowed), so every part agrees on it.
 *
 * Algorithms
 *
 *   Every algorithm is a 'struct vne_algo_class' (the pattern of Open
 *   vSwitch's dpif_class): a name, a one-line summary, and create / embed /
 *   destroy.  An instance ('struct vne_algo') is made for one substrate and
 *   may precompute and cache what depends on the substrate alone (k
 *   shortest paths, for example).  vne_algo_classes[] lists them all; the
 *   first, "lamina", is the default.
 *
 * Metrics (the definitions of ../shared/data/vne/README.md)
 *
 *   revenue = sum of virtual CPU + sum of virtual bandwidth;
 *   cost = sum of virtual CPU + sum over virtual links of bandwidth x hops.
 *
 * Thread safety: an algorithm instance belongs to one thread at a time;
 * the substrate and requests are read-only once built.
 */
#ifndef LAMINA_VNE_H
#define LAMINA_VNE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Substrate ---- */

/* Largest capacity or demand accepted: sums over a whole substrate must
 * stay far from int32 overflow. */
#define VNE_MAX_AMOUNT 1000000000

struct vne_link {
    uint32_t u, v;              /* u < v is not required */
    int32_t bw;                 /* capacity */
};

/* Adjacency entry: the neighbour and the link that leads there. */
struct vne_adj {
    uint32_t node;
    uint32_t link;
};

struct vne_substrate {
    char *name;
    uint32_t n_nodes;
    uint32_t n_links;
    int32_t *cpu;               /* capacity, per node */
    bool *has_xy;               /* coordinates known, per node */
    double *x, *y;              /* coordinates (longitude, latitude for GML) */
    char **labels;              /* per node, may be NULL entries; may be NULL */
    struct vne_link *links;
    /* Adjacency in CSR form: neighbours of 'u' are
     * adj[adj_start[u]] .. adj[adj_start[u + 1] - 1], in link order. */
    uint32_t *adj_start;
    struct vne_adj *adj;
};

/* Creates a substrate of 'n_nodes' nodes with 'cpu' capacities (copied)
 * and no links; add links with vne_substrate_add_link() and then call
 * vne_substrate_finish(). */
struct vne_substrate *vne_substrate_create(const char *name, uint32_t n_nodes,
                                           const int32_t *cpu);
void vne_substrate_add_link(struct vne_substrate *, uint32_t u, uint32_t v,
                            int32_t bw);
/* Builds the adjacency; call once after the last link is added. */
void vne_substrate_finish(struct vne_substrate *);
void vne_substrate_destroy(struct vne_substrate *);

/* Returns the index of the link between 'u' and 'v', or -1. */
int32_t vne_substrate_link(const struct vne_substrate *, uint32_t u,
                           uint32_t v);

/* Builds a substrate from a graph (lib/graph.h, e.g. read from Topology
 * Zoo GML): every node gets 'cpu', every link 'bw', unless the node or
 * edge has a numeric "cpu" / "bw" attribute (rounded to the nearest
 * integer; 0..VNE_MAX_AMOUNT).  Parallel edges become one link (capacity
 * of the first), self loops are dropped, and coordinates come from
 * Longitude/Latitude.  Returns 0, or EINVAL with '*errp' set. */
struct graph;
int vne_substrate_from_graph(const struct graph *, const char *name,
                             int32_t cpu, int32_t bw,
                             struct vne_substrate **, char **errp);

/* ---- Requests ---- */

struct vne_vnode {
    int32_t cpu;
    uint32_t n_allowed;         /* 0: any substrate node */
    uint32_t *allowed;          /* sorted substrate node indexes */
};

struct vne_vlink {
    uint32_t src, dst;          /* virtual node indexes */
    int32_t bw;
};

struct vne_request {
    uint32_t id;
    double arrival;
    double lifetime;
    /* Revisitation: several virtual nodes of this request may share a
     * substrate node (Lamina hosts them as named vnodes of one switch);
     * a virtual link between two of them then has a path of that one
     * node, no substrate link and no bandwidth.  False: every virtual
     * node on a distinct substrate node.  Only "lamina" uses the freedom;
     * the others still place them apart, which is allowed too. */
    bool revisit;
    uint32_t n_nodes;
    uint32_t n_links;
    struct vne_vnode *nodes;
    struct vne_vlink *links;
};

/* Frees what 'req' points to (not 'req' itself).  Accepts NULL. */
void vne_request_clear(struct vne_request *req);

/* True if virtual node 'vn' of 'req' may be hosted on substrate node 's'. */
bool vne_node_allowed(const struct vne_request *req, uint32_t vn, uint32_t s);

/* Revenue of 'req': sum of virtual CPU + sum of virtual bandwidth. */
int64_t vne_request_revenue(const struct vne_request *req);

/* ---- Mappings ---- */

struct vne_path {
    uint32_t len;               /* nodes in the path; hops = len - 1 */
    uint32_t *nodes;            /* substrate nodes, first = host of src */
    uint32_t *links;            /* len - 1 substrate links */
};

struct vne_mapping {
    uint32_t n_nodes, n_links;
    uint32_t *host;             /* per virtual node: substrate node */
    struct vne_path *paths;     /* per virtual link */
};

/* Sizes 'm' for 'req', every host unset (UINT32_MAX), every path empty. */
void vne_mapping_init(struct vne_mapping *m, const struct vne_request *req);
/* Frees what 'm' points to.  Accepts NULL. */
void vne_mapping_clear(struct vne_mapping *m);
/* Deep copy of 'src' into uninitialised 'dst'. */
void vne_mapping_copy(struct vne_mapping *dst, const struct vne_mapping *src);
/* Sets path 'i' of 'm' to 'n' nodes (copied); links are looked up in
 * 'sub'.  Returns 0, or EINVAL if two consecutive nodes are not linked. */
int vne_mapping_set_path(struct vne_mapping *m, const struct vne_substrate *sub,
                         uint32_t i, const uint32_t *nodes, uint32_t n);
/* Cost of 'm' for 'req': sum of virtual CPU + sum of bandwidth x hops. */
int64_t vne_mapping_cost(const struct vne_request *req,
                         const struct vne_mapping *m);

/* ---- Rejections ---- */

/* Why a request was rejected: X(ENUM, short name, description). */
#define VNE_REJECT_LIST                                                   \
    X(NONE,     "none",     "accepted")                                  \
    X(CPU,      "cpu",      "no substrate node with enough free CPU")     \
    X(BW,       "bw",       "no substrate path with enough free bandwidth") \
    X(LOCATION, "location", "location constraint leaves no host")         \
    X(SIZE,     "size",     "request has more nodes than the substrate")  \
    X(TIMEOUT,  "timeout",  "solver time limit reached without a solution") \
    X(SOLVER,   "solver",   "solver found no feasible solution")          \
    X(POLICY,   "policy",   "refused by admission control: too costly now")

enum vne_reject_kind {
#define X(ENUM, NAME, DESC) VNE_REJECT_##ENUM,
    VNE_REJECT_LIST
#undef X
    VNE_N_REJECT
};

const char *vne_reject_name(enum vne_reject_kind);

struct vne_reject {
    enum vne_reject_kind kind;
    char detail[160];           /* e.g. "virtual link 2-5 (bw 40)" */
};

/* Fills 'r'; 'fmt' describes which element was short. */
void vne_reject_set(struct vne_reject *r, enum vne_reject_kind,
                    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- Residual capacities ---- */

struct vne_residual {
    const struct vne_substrate *sub;
    int32_t *cpu;               /* free CPU per node */
    int32_t *bw;                /* free bandwidth per link */
};

/* Sets 'res' to the full capacities of 'sub'. */
void vne_residual_init(struct vne_residual *res, const struct vne_substrate *sub);
void vne_residual_clear(struct vne_residual *res);
void vne_residual_copy(struct vne_residual *dst, const struct vne_residual *src);

/* Checks that 'm' is a complete, valid embedding of 'req' that fits 'res':
 * injective hosts that allow their virtual nodes, simple paths joining
 * the right hosts over existing links, and free capacity for the sum of
 * all demands.  Returns 0, or EINVAL (malformed) / ENOSPC (over capacity)
 * with a message in 'why' (if not NULL, 'why_size' bytes). */
int vne_residual_fits(const struct vne_residual *res,
                      const struct vne_request *req,
                      const struct vne_mapping *m, char *why, size_t why_size);

/* Subtracts ('sign' = -1) or returns ('sign' = +1) the resources of 'm'. */
void vne_residual_apply(struct vne_residual *res, const struct vne_request *req,
                        const struct vne_mapping *m, int sign);

/* ---- Algorithms ---- */

struct vne_algo_options {
    uint64_t seed;              /* for randomised algorithms */
    unsigned k_paths;           /* k of k-shortest paths, default 10 */
    unsigned mip_time_limit_ms; /* per request, default 1000 */
    bool no_admission;          /* "lamina": no admission control (the
                                 * caller applies it, as vne_md does) */
};

/* The admission control of "lamina": once more than VNE_ADMIT_LOAD of
 * the bandwidth is in use, refuse an embedding that costs more than
 * VNE_ADMIT_STRETCH times its revenue.  Returns true (with 'rej' set to
 * VNE_REJECT_POLICY) if 'm' is refused on 'res'. */
#define VNE_ADMIT_STRETCH 1.8
#define VNE_ADMIT_LOAD 0.3
bool vne_admission_refuses(const struct vne_residual *res,
                           const struct vne_request *req,
                           const struct vne_mapping *m, double max_stretch,
                           double admit_load, struct vne_reject *rej);

void vne_algo_options_init(struct vne_algo_options *);

struct vne_algo;

struct vne_algo_class {
    const char *name;
    const char *summary;
    /* Too slow for whole instances on large substrates (the exact MIP):
     * `lamina vne compare` runs it only when named. */
    bool slow;

    /* Creates an instance for 'sub' (which must outlive it) into '*algop'.
     * Returns 0 or a positive errno. */
    int (*create)(const struct vne_substrate *sub,
                  const struct vne_algo_options *, struct vne_algo **algop);

    /* Embeds 'req' into the free capacities 'res' (read-only).  On success
     * returns 0 with 'm' (already vne_mapping_init()'ed) filled in; on
     * rejection returns ENOSPC with 'rej' filled in; any other value is a
     * failure of the algorithm itself. */
    int (*embed)(struct vne_algo *, const struct vne_residual *res,
                 const struct vne_request *req, struct vne_mapping *m,
                 struct vne_reject *rej);

    void (*destroy)(struct vne_algo *);
};

/* The part every instance starts with. */
struct vne_algo {
    const struct vne_algo_class *class;
    const struct vne_substrate *sub;
    struct vne_algo_options opts;
};

/* All algorithms, NULL-terminated; the first is the default. */
extern const struct vne_algo_class *const vne_algo_classes[];

/* Returns the class named 'name', or NULL. */
const struct vne_algo_class *vne_algo_find(const char *name);

/* Creates an instance of 'class' for 'sub' (options may be NULL). */
int vne_algo_create(const struct vne_algo_class *class,
                    const struct vne_substrate *sub,
                    const struct vne_algo_options *, struct vne_algo **);
/* Embeds 'req'; initialises 'm' and 'rej' itself.  On a return other than
 * 0, 'm' holds nothing to free beyond vne_mapping_clear(). */
int vne_algo_embed(struct vne_algo *, const struct vne_residual *,
                   const struct vne_request *, struct vne_mapping *m,
                   struct vne_reject *rej);
void vne_algo_destroy(struct vne_algo *);

extern const struct vne_algo_class vne_algo_lamina;
extern const struct vne_algo_class vne_algo_greedy;
extern const struct vne_algo_class vne_algo_grc;
extern const struct vne_algo_class vne_algo_rw;
extern const struct vne_algo_class vne_algo_dvine;
extern const struct vne_algo_class vne_algo_rvine;
extern const struct vne_algo_class vne_algo_mip;

#endif /* LAMINA_VNE_H */
