/*
 * topo_slice: the default slice (see topo_slice.h).
 */
#include "topo_slice.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "topo.h"
#include "util.h"

const char *
topo_slice_mode_name(enum topo_slice_mode mode)
{
    switch (mode) {
    case TOPO_SLICE_AUTO: return "auto";
    case TOPO_SLICE_MESH: return "mesh";
    case TOPO_SLICE_TREE: return "tree";
    case TOPO_SLICE_NONE: return "none";
    }
    return "?";
}

bool
topo_slice_mode_parse(const char *s, enum topo_slice_mode *mode)
{
    for (int m = TOPO_SLICE_AUTO; m <= TOPO_SLICE_NONE; m++) {
        if (!strcmp(s, topo_slice_mode_name(m))) {
            *mode = m;
            return true;
        }
    }
    return false;
}

static void
plan_add_vlink(struct topo_slice_plan *plan, char *name, const size_t *path,
               size_t n)
{
    struct topo_vlink *v;

    plan->vlinks = xrealloc(plan->vlinks,
                            (plan->n_vlinks + 1) * sizeof *plan->vlinks);
    v = &plan->vlinks[plan->n_vlinks++];
    memset(v, 0, sizeof *v);
    v->name = name;
    v->n_path = n;
    v->path = xmalloc(n * sizeof *v->path);
    memcpy(v->path, path, n * sizeof *path);
}

static void
plan_mesh(const struct topo *t, const bool *has_host,
          struct topo_slice_plan *plan)
{
    uint64_t *dist = xmalloc(t->n_sw * sizeof *dist);
    size_t *prev = xmalloc(t->n_sw * sizeof *prev);
    size_t *path = xmalloc(t->n_sw * sizeof *path);

    for (size_t a = 0; a < t->n_sw; a++) {
        if (!has_host[a]) {
            continue;
        }
        topo_shortest_paths(t, a, NULL, dist, prev);
        for (size_t b = a + 1; b < t->n_sw; b++) {
            size_t n;
            if (!has_host[b] || !(n = topo_path_to(t, prev, a, b, path))) {
                continue;
            }
            plan_add_vlink(plan, xasprintf("pw-%zu-%zu", a, b), path, n);
        }
    }
    free(dist);
    free(prev);
    free(path);
}

/* The root of the tree of 'src''s component: the switch of least
 * eccentricity (by delay) on maps of up to 300 switches, else the switch
 * of highest degree (all-pairs shortest paths cost O(V^3) here). */
static size_t
tree_root(const struct topo *t, const uint64_t *dist_from_src, uint64_t *dist,
          size_t *prev)
{
    size_t best = SIZE_MAX;
    uint64_t best_ecc = UINT64_MAX;

    for (size_t v = 0; v < t->n_sw; v++) {
        uint64_t ecc = 0;
        size_t n_adj;

        if (dist_from_src[v] == UINT64_MAX) {
            continue;           /* another component */
        }
        if (t->n_sw > 300) {
            graph_adj(t->g, v, &n_adj);
            ecc = UINT64_MAX - n_adj;
        } else {
            topo_shortest_paths(t, v, NULL, dist, prev);
            for (size_t w = 0; w < t->n_sw; w++) {
                if (dist[w] != UINT64_MAX) {
                    ecc = MAX(ecc, dist[w]);
                }
            }
        }
        if (ecc < best_ecc) {
            best_ecc = ecc;
            best = v;
        }
    }
    return best;
}

static void
plan_tree(const struct topo *t, const bool *has_host,
          struct topo_slice_plan *plan)
{
    size_t n = t->n_sw;
    uint64_t *dist = xmalloc(n * sizeof *dist), *tmp = xmalloc(n * sizeof *tmp);
    size_t *prev = xmalloc(n * sizeof *prev), *tmp_prev = xmalloc(n * sizeof *prev);
    bool *seen = xcalloc(n, sizeof *seen);

    for (size_t s = 0; s < n; s++) {
        size_t root;

        if (seen[s] || !has_host[s]) {
            continue;
        }
        topo_shortest_paths(t, s, NULL, dist, prev);
        root = tree_root(t, dist, tmp, tmp_prev);
        topo_shortest_paths(t, root, NULL, dist, prev);
        for (size_t v = 0; v < n; v++) {
            if (dist[v] != UINT64_MAX) {
                seen[v] = true;
            }
        }
        /* Keep the tree paths from each host switch up to the root. */
        for (size_t v = 0; v < n; v++) {
            if (dist[v] == UINT64_MAX || !has_host[v]) {
                continue;
            }
            for (size_t w = v; !plan->vnode[w]; ) {
                plan->vnode[w] = true;
                plan->n_vnodes++;
                if (w == root) {
                    break;
                }
                const struct topo_link *l = &t->links[prev[w]];
                size_t up = l->a == w ? l->b : l->a, path[2] = { up, w };
                plan_add_vlink(plan, xasprintf("tr-%zu", prev[w]), path, 2);
                w = up;
            }
        }
    }
    free(dist);
    free(tmp);
    free(prev);
    free(tmp_prev);
    free(seen);
}

/* Gives each virtual link of 'plan' a backup path: the shortest by delay
 * that uses no link between two switches in a row on its path (the
 * dataplane carries a hop over the first link joining them, so a parallel
 * link would be no other way), when the map has one. */
static void
plan_backups(const struct topo *t, struct topo_slice_plan *plan)
{
    bool *usable = xmalloc(MAX(t->n_links, 1) * sizeof *usable);
    uint64_t *dist = xmalloc(t->n_sw * sizeof *dist);
    size_t *prev = xmalloc(t->n_sw * sizeof *prev);
    size_t *path = xmalloc(t->n_sw * sizeof *path);

    for (size_t i = 0; i < plan->n_vlinks; i++) {
        struct topo_vlink *v = &plan->vlinks[i];
        size_t head = v->path[0], tail = v->path[v->n_path - 1], n;

        for (size_t k = 0; k < t->n_links; k++) {
            const struct topo_link *l = &t->links[k];
            usable[k] = true;
            for (size_t j = 0; j + 1 < v->n_path && usable[k]; j++) {
                size_t a = v->path[j], b = v->path[j + 1];
                usable[k] = !((l->a == a && l->b == b) || (l->a == b && l->b == a));
            }
        }
        topo_shortest_paths(t, head, usable, dist, prev);
        n = topo_path_to(t, prev, head, tail, path);
        if (n >= 2) {
            v->backup = xmalloc(n * sizeof *v->backup);
            memcpy(v->backup, path, n * sizeof *path);
            v->n_backup = n;
        }
    }
    free(usable);
    free(dist);
    free(prev);
    free(path);
}

void
topo_slice_plan(const struct topo *t, enum topo_slice_mode mode,
                bool have_split_horizon, struct topo_slice_plan *plan)
{
    bool *has_host = xcalloc(t->n_sw, sizeof *has_host);
    size_t n_host_sw = 0;

    memset(plan, 0, sizeof *plan);
    for (size_t i = 0; i < t->n_hosts; i++) {
        if (!has_host[t->hosts[i].sw]) {
            has_host[t->hosts[i].sw] = true;
            n_host_sw++;
        }
    }
    if (mode == TOPO_SLICE_AUTO) {
        mode = have_split_horizon && n_host_sw <= TOPO_MESH_MAX
               ? TOPO_SLICE_MESH : TOPO_SLICE_TREE;
    }
    plan->mode = mode;
    plan->vnode = xcalloc(t->n_sw, sizeof *plan->vnode);
    if (mode == TOPO_SLICE_MESH) {
        plan->split_horizon = true;
        memcpy(plan->vnode, has_host, t->n_sw * sizeof *has_host);
        plan->n_vnodes = n_host_sw;
        plan_mesh(t, has_host, plan);
    } else if (mode == TOPO_SLICE_TREE) {
        plan_tree(t, has_host, plan);
    }
    plan_backups(t, plan);
    free(has_host);
}

void
topo_slice_plan_destroy(struct topo_slice_plan *plan)
{
    if (!plan) {
        return;
    }
    for (size_t i = 0; i < plan->n_vlinks; i++) {
        free(plan->vlinks[i].name);
        free(plan->vlinks[i].path);
        free(plan->vlinks[i].backup);
    }
    free(plan->vlinks);
    free(plan->vnode);
    memset(plan, 0, sizeof *plan);
}

size_t
topo_slice_route(const struct topo *t, const struct topo_slice_plan *plan,
                 size_t a, size_t b, size_t *path)
{
    size_t n = t->n_sw, *via = xmalloc(n * sizeof *via);
    size_t *queue = xmalloc(n * sizeof *queue), head = 0, tail = 0, len = 0;

    /* Breadth-first over the vnodes, the virtual links as edges: in a
     * mesh the direct virtual link, in a tree the tree path. */
    for (size_t i = 0; i < n; i++) {
        via[i] = SIZE_MAX;
    }
    if (!plan->vnode[a] || !plan->vnode[b]) {
        goto out;
    }
    via[a] = plan->n_vlinks;
    queue[tail++] = a;
    while (head < tail && via[b] == SIZE_MAX) {
        size_t u = queue[head++];
        for (size_t k = 0; k < plan->n_vlinks; k++) {
            const struct topo_vlink *v = &plan->vlinks[k];
            size_t h = v->path[0], e = v->path[v->n_path - 1];
            size_t w = h == u ? e : e == u ? h : SIZE_MAX;
            if (w != SIZE_MAX && via[w] == SIZE_MAX) {
                via[w] = k;
                queue[tail++] = w;
            }
        }
    }
    if (via[b] == SIZE_MAX) {
        goto out;
    }
    /* Walk back from b, writing each virtual link's switches reversed. */
    for (size_t w = b; w != a; ) {
        const struct topo_vlink *v = &plan->vlinks[via[w]];
        bool w_is_tail = v->path[v->n_path - 1] == w;
        for (size_t i = 0; i + 1 < v->n_path; i++) {
            path[len++] = w_is_tail ? v->path[v->n_path - 1 - i] : v->path[i];
        }
        w = w_is_tail ? v->path[0] : v->path[v->n_path - 1];
    }
    path[len++] = a;
    for (size_t i = 0; i < len / 2; i++) {
        size_t tmp = path[i];
        path[i] = path[len - 1 - i];
        path[len - 1 - i] = tmp;
    }
out:
    free(via);
    free(queue);
    return len;
}
