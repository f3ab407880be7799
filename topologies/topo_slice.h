/*
 * topo_slice: the default slice, which puts every host of a topology in
 * one Ethernet network without a forwarding loop, on any map.
 *
 * Why not one l2learn vnode per switch, joined like the links?
 * ================================================================
 *
 * Real maps have cycles; learning switches joined in a cycle flood a
 * broadcast around it forever.  Two loop-free shapes are used instead:
 *
 * - mesh (the VPLS pattern): an l2learn vnode on each switch that has
 *   hosts, and a virtual link (an MPLS pseudowire) between every pair of
 *   them, each along the shortest path by delay.  Transit switches only
 *   swap labels.  With split horizon in the vnodes (a frame received from
 *   a virtual link is never sent to another virtual link) there is no
 *   loop, and every pair of hosts talks along its shortest path.  It
 *   costs H(H-1)/2 virtual links for H switches with hosts, and a label
 *   entry on every hop of each.
 *
 * - tree: the shortest-path tree (by delay) from a central switch of
 *   each connected component, pruned of branches without hosts; an
 *   l2learn vnode on each tree switch and a one-hop virtual link along
 *   each tree edge.  A tree has no cycle, so no split horizon is needed;
 *   it costs one virtual link per tree edge, so it scales to any map, but
 *   hosts talk along the tree, not always along their shortest path.
 *
 * The automatic choice is mesh when the daemon supports split horizon
 * and there are at most TOPO_MESH_MAX switches with hosts, else tree.
 *
 * Failures
 * ========
 *
 * Each virtual link also gets a backup path, the shortest that shares no
 * link with its path, where the map has one; the switches move its
 * traffic there while a link of the path is down and back after a
 * hold-down (fast reroute, docs/switchd.md), so taking a link down cuts
 * only hosts that the map itself no longer joins.  Still loop-free: a
 * virtual link is one pseudowire whichever path carries it.
 */
#ifndef LAMINA_TOPO_SLICE_H
#define LAMINA_TOPO_SLICE_H 1

#include <stdbool.h>
#include <stddef.h>

struct topo;

#define TOPO_SLICE_NAME "default"
/* The super-frame pool of the daemon `lamina topo up` starts
 * (lamina-switchd --gso-buffers; 64 KiB each, 256 MiB) and the default
 * slice's share of it (`gso_quota`, docs/switchd.md): half, not the
 * quarter a slice gets by default, and twice a daemon's default pool.
 * A slice's super-frames on the emulated links' delay lines count in
 * its share, and one TCP stream across a long map holds most of its
 * window there: across Cogentco (h56-h190, 158 ms) a share of 512 held
 * one stream to 1.7 Gbit/s with 10% of its segments retransmitted, and
 * a share of 1,024 to 2.1-3.0 Gbit/s with 2-6% on a machine whose host
 * ports run faster (docs/performance.md); 2,048 lets it through without
 * loss (with host rings that grow in time, dp_afpacket.c).  The other
 * half is left for the experiment's own slices. */
#define TOPO_GSO_BUFFERS 4096
#define TOPO_SLICE_GSO_QUOTA (TOPO_GSO_BUFFERS / 2)
/* Across machines the daemons are the operator's, with their own pools
 * (by default 2,048): the slice takes half of a default pool. */
#define TOPO_MACHINES_SLICE_GSO_QUOTA 1024
#define TOPO_MESH_MAX 64

enum topo_slice_mode {
    TOPO_SLICE_AUTO,
    TOPO_SLICE_MESH,
    TOPO_SLICE_TREE,
    TOPO_SLICE_NONE,
};

const char *topo_slice_mode_name(enum topo_slice_mode);
/* Returns true and '*mode' for "auto", "mesh", "tree" or "none". */
bool topo_slice_mode_parse(const char *s, enum topo_slice_mode *mode);

struct topo_vlink {
    char *name;
    size_t *path;               /* switch indexes, head first */
    size_t n_path;
    size_t *backup;             /* a link-disjoint backup path, or NULL */
    size_t n_backup;
};

/* What the default slice is made of. */
struct topo_slice_plan {
    enum topo_slice_mode mode;  /* MESH, TREE or NONE, never AUTO */
    bool split_horizon;         /* the vnodes need it (mesh) */
    bool *vnode;                /* per switch: has a vnode */
    size_t n_vnodes;
    struct topo_vlink *vlinks;
    size_t n_vlinks;
};

/* Plans the default slice of 't' in 'mode' (AUTO as described above,
 * with 'have_split_horizon' telling whether the daemon has it). */
void topo_slice_plan(const struct topo *t, enum topo_slice_mode mode,
                     bool have_split_horizon, struct topo_slice_plan *plan);
void topo_slice_plan_destroy(struct topo_slice_plan *plan);

/* The switches a frame crosses from switch 'a' to switch 'b' in the
 * default slice (following its virtual links), head first, into 'path'
 * (room for t->n_sw entries); returns their number, 0 if 'b' is not
 * reachable. */
size_t topo_slice_route(const struct topo *t,
                        const struct topo_slice_plan *plan, size_t a,
                        size_t b, size_t *path);

#endif /* LAMINA_TOPO_SLICE_H */
