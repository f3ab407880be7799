/*
 * vne_md: multi-domain embedding.  See vne_md.h.
 */
#include "vne_md.h"

#include <errno.h>
#include <float.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vne_path.h"
#include "vne_private.h"

/* Planning rounds per request (see vne_md_embed()). */
#define VNE_MD_MAX_ROUNDS 8


/* A copy of 'n' bytes at 'p'. */
static void *
md_memdup(const void *p, size_t n)
{
    void *q = xmalloc(n ? n : 1);
    memcpy(q, p, n);
    return q;
}

/* ---- Partition ---- */

/* Hop distances from every node in 'src' (n_src of them) into 'dist'. */
static void
md_multi_bfs(const struct vne_substrate *sub, const uint32_t *src,
             uint32_t n_src, uint32_t *dist, uint32_t *queue)
{
    uint32_t head = 0, tail = 0;
    for (uint32_t i = 0; i < sub->n_nodes; i++) {
        dist[i] = UINT32_MAX;
    }
    for (uint32_t i = 0; i < n_src; i++) {
        dist[src[i]] = 0;
        queue[tail++] = src[i];
    }
    while (head < tail) {
        uint32_t u = queue[head++];
        for (uint32_t a = sub->adj_start[u]; a < sub->adj_start[u + 1]; a++) {
            uint32_t v = sub->adj[a].node;
            if (dist[v] == UINT32_MAX) {
                dist[v] = dist[u] + 1;
                queue[tail++] = v;
            }
        }
    }
}

int
vne_md_partition(const struct vne_substrate *sub, uint32_t k, uint32_t *part)
{
    uint32_t n = sub->n_nodes;
    if (!k || k > n) {
        return EINVAL;
    }
    uint32_t *seeds = xmalloc(k * sizeof *seeds);
    uint32_t *dist = xmalloc(n * sizeof *dist);
    uint32_t *queue = xmalloc(n * sizeof *queue);

    /* Seeds: highest degree first, then farthest from those chosen
     * (unreachable counts as farthest; ties: lowest number). */
    uint32_t best = 0;
    for (uint32_t u = 1; u < n; u++) {
        if (sub->adj_start[u + 1] - sub->adj_start[u]
            > sub->adj_start[best + 1] - sub->adj_start[best]) {
            best = u;
        }
    }
    seeds[0] = best;
    for (uint32_t s = 1; s < k; s++) {
        md_multi_bfs(sub, seeds, s, dist, queue);
        best = UINT32_MAX;
        for (uint32_t u = 0; u < n; u++) {
            if (dist[u] && (best == UINT32_MAX || dist[u] > dist[best])) {
                best = u;
            }
        }
        seeds[s] = best;
    }

    /* Grow each region breadth-first, one node per turn. */
    uint32_t **q = xmalloc(k * sizeof *q);
    uint32_t *qh = xcalloc(k, sizeof *qh), *qt = xcalloc(k, sizeof *qt);
    uint32_t *size = xcalloc(k, sizeof *size);
    for (uint32_t u = 0; u < n; u++) {
        part[u] = UINT32_MAX;
    }
    for (uint32_t r = 0; r < k; r++) {
        q[r] = xmalloc((sub->n_links * 2 + 1) * sizeof **q);
        part[seeds[r]] = r;
        size[r] = 1;
        q[r][qt[r]++] = seeds[r];
    }
    for (bool grew = true; grew;) {
        grew = false;
        for (uint32_t r = 0; r < k; r++) {
            /* Pops nodes whose neighbours are all taken; claims the next
             * free neighbour of the oldest node that has one. */
            while (qh[r] < qt[r]) {
                uint32_t u = q[r][qh[r]];
                uint32_t claim = UINT32_MAX;
                for (uint32_t a = sub->adj_start[u]; a < sub->adj_start[u + 1]; a++) {
                    if (part[sub->adj[a].node] == UINT32_MAX) {
                        claim = sub->adj[a].node;
                        break;
                    }
                }
                if (claim == UINT32_MAX) {
                    qh[r]++;
                    continue;
                }
                part[claim] = r;
                size[r]++;
                q[r][qt[r]++] = claim;
                grew = true;
                break;
            }
        }
    }
    for (uint32_t u = 0; u < n; u++) {
        if (part[u] == UINT32_MAX) {
            uint32_t small = 0;
            for (uint32_t r = 1; r < k; r++) {
                small = size[r] < size[small] ? r : small;
            }
            part[u] = small;
            size[small]++;
        }
    }
    for (uint32_t r = 0; r < k; r++) {
        free(q[r]);
    }
    free(q);
    free(qh);
    free(qt);
    free(size);
    free(seeds);
    free(dist);
    free(queue);
    return 0;
}

/* ---- The multi-domain substrate ---- */

/* Appends 'x' to the sorted set 'set' of '*n' entries (room assumed). */
static void
set_add(uint32_t *set, uint32_t *n, uint32_t x)
{
    uint32_t i = *n;
    for (uint32_t j = 0; j < *n; j++) {
        if (set[j] == x) {
            return;
        }
    }
    while (i > 0 && set[i - 1] > x) {
        set[i] = set[i - 1];
        i--;
    }
    set[i] = x;
    (*n)++;
}

int
vne_md_create(const struct vne_substrate *merged, const uint32_t *part,
              uint32_t k, struct vne_md **mdp, char **errp)
{
    uint32_t n = merged->n_nodes;
    *mdp = NULL;
    *errp = NULL;
    if (!k) {
        *errp = xasprintf("%s: no InPs", merged->name);
        return EINVAL;
    }
    uint32_t *count = xcalloc(k, sizeof *count);
    for (uint32_t u = 0; u < n; u++) {
        if (part[u] >= k) {
            *errp = xasprintf("%s: node %u: InP %u out of range 0..%u",
                              merged->name, u, part[u], k - 1);
            free(count);
            return EINVAL;
        }
        count[part[u]]++;
    }
    for (uint32_t i = 0; i < k; i++) {
        if (!count[i]) {
            *errp = xasprintf("%s: InP %u has no nodes", merged->name, i);
            free(count);
            return EINVAL;
        }
    }

    struct vne_md *md = xzalloc(sizeof *md);
    md->merged = merged;
    md->n_inps = k;
    md->inps = xcalloc(k, sizeof *md->inps);
    md->inp_of = xmalloc(n * sizeof *md->inp_of);
    md->local_of = xmalloc(n * sizeof *md->local_of);
    md->ilink_of = xmalloc((merged->n_links + 1) * sizeof *md->ilink_of);
    md->ilinks = xcalloc(merged->n_links + 1, sizeof *md->ilinks);

    for (uint32_t i = 0; i < k; i++) {
        struct vne_md_inp *p = &md->inps[i];
        snprintf(p->name, sizeof p->name, "inp%u", i);
        p->price_cpu = 1 + 0.5 * (i % 3);
        p->price_bw = 1 + 0.5 * ((i + 1) % 3);
        p->global = xmalloc(count[i] * sizeof *p->global);
        p->border = xmalloc(count[i] * sizeof *p->border);
        count[i] = 0;
    }
    for (uint32_t u = 0; u < n; u++) {
        struct vne_md_inp *p = &md->inps[part[u]];
        md->inp_of[u] = part[u];
        md->local_of[u] = count[part[u]];
        p->global[count[part[u]]++] = u;
    }
    for (uint32_t i = 0; i < k; i++) {
        struct vne_md_inp *p = &md->inps[i];
        int32_t *cpu = xmalloc(count[i] * sizeof *cpu);
        for (uint32_t l = 0; l < count[i]; l++) {
            cpu[l] = merged->cpu[p->global[l]];
        }
        char name[64];
        snprintf(name, sizeof name, "%s/%s", merged->name ? merged->name : "", p->name);
        p->sub = vne_substrate_create(name, count[i], cpu);
        free(cpu);
        p->link_global = xmalloc((merged->n_links + 1) * sizeof *p->link_global);
    }
    for (uint32_t l = 0; l < merged->n_links; l++) {
        uint32_t u = merged->links[l].u, v = merged->links[l].v;
        uint32_t a = part[u], b = part[v];
        if (a == b) {
            struct vne_md_inp *p = &md->inps[a];
            p->link_global[p->sub->n_links] = l;
            vne_substrate_add_link(p->sub, md->local_of[u], md->local_of[v],
                                   merged->links[l].bw);
            md->ilink_of[l] = UINT32_MAX;
            continue;
        }
        struct vne_md_ilink *il = &md->ilinks[md->n_ilinks];
        if (a > b) {
            uint32_t t = a; a = b; b = t;
            t = u; u = v; v = t;
        }
        il->inp[0] = a;
        il->inp[1] = b;
        il->node[0] = md->local_of[u];
        il->node[1] = md->local_of[v];
        il->merged = l;
        il->price = 2.0;
        md->ilink_of[l] = md->n_ilinks++;
        set_add(md->inps[a].border, &md->inps[a].n_border, il->node[0]);
        set_add(md->inps[b].border, &md->inps[b].n_border, il->node[1]);
    }
    for (uint32_t i = 0; i < k; i++) {
        vne_substrate_finish(md->inps[i].sub);
        for (uint32_t l = 0; l < md->inps[i].sub->n_nodes; l++) {
            uint32_t g = md->inps[i].global[l];
            md->inps[i].sub->has_xy[l] = merged->has_xy[g];
            md->inps[i].sub->x[l] = merged->x[g];
            md->inps[i].sub->y[l] = merged->y[g];
        }
    }
    free(count);
    *mdp = md;
    return 0;
}

int
vne_md_split(const struct vne_substrate *merged, uint32_t k,
             struct vne_md **mdp, char **errp)
{
    uint32_t *part = xmalloc((merged->n_nodes + 1) * sizeof *part);
    *mdp = NULL;
    if (vne_md_partition(merged, k, part)) {
        *errp = xasprintf("%s: cannot split %u nodes across %u InPs",
                          merged->name, merged->n_nodes, k);
        free(part);
        return EINVAL;
    }
    int error = vne_md_create(merged, part, k, mdp, errp);
    free(part);
    return error;
}

void
vne_md_destroy(struct vne_md *md)
{
    if (!md) {
        return;
    }
    for (uint32_t i = 0; i < md->n_inps; i++) {
        vne_substrate_destroy(md->inps[i].sub);
        free(md->inps[i].global);
        free(md->inps[i].link_global);
        free(md->inps[i].border);
    }
    free(md->inps);
    free(md->ilinks);
    free(md->inp_of);
    free(md->local_of);
    free(md->ilink_of);
    free(md);
}

int
vne_md_constrain_inp(const struct vne_md *md, struct vne_request *req,
                     uint32_t vn, uint32_t inp)
{
    if (inp >= md->n_inps || vn >= req->n_nodes) {
        return EINVAL;
    }
    const struct vne_md_inp *p = &md->inps[inp];
    struct vne_vnode *v = &req->nodes[vn];
    uint32_t *allowed = xmalloc(p->sub->n_nodes * sizeof *allowed), n = 0;
    for (uint32_t l = 0; l < p->sub->n_nodes; l++) {
        if (vne_node_allowed(req, vn, p->global[l])) {
            allowed[n++] = p->global[l];        /* ascending: global[] is */
        }
    }
    if (!n) {
        free(allowed);
        return EINVAL;
    }
    free(v->allowed);
    v->allowed = allowed;
    v->n_allowed = n;
    return 0;
}

void
vne_md_inp_residual(const struct vne_md *md, uint32_t inp,
                    const struct vne_residual *res, struct vne_residual *out)
{
    const struct vne_md_inp *p = &md->inps[inp];
    vne_residual_init(out, p->sub);
    for (uint32_t l = 0; l < p->sub->n_nodes; l++) {
        out->cpu[l] = res->cpu[p->global[l]];
    }
    for (uint32_t l = 0; l < p->sub->n_links; l++) {
        out->bw[l] = res->bw[p->link_global[l]];
    }
}

/* ---- Advertisements ---- */

const char *
vne_md_adv_kind_name(enum vne_md_adv_kind kind)
{
    return kind == VNE_MD_FULL ? "full" : "abstract";
}

bool
vne_md_adv_kind_parse(const char *s, enum vne_md_adv_kind *kind)
{
    if (!strcmp(s, "full")) {
        *kind = VNE_MD_FULL;
    } else if (!strcmp(s, "abstract")) {
        *kind = VNE_MD_ABSTRACT;
    } else {
        return false;
    }
    return true;
}

/* Widest paths from 'src' over the free bandwidth 'bw': bottleneck in
 * 'width' (INT32_MAX at src, -1 unreachable), hops of the widest path with
 * fewest hops in 'hops'.  O(n^2), fine for one InP. */
static void
md_widest(const struct vne_substrate *sub, const int32_t *bw, uint32_t src,
          int32_t *width, uint32_t *hops, uint8_t *done)
{
    uint32_t n = sub->n_nodes;
    for (uint32_t u = 0; u < n; u++) {
        width[u] = -1;
        hops[u] = UINT32_MAX;
        done[u] = 0;
    }
    width[src] = INT32_MAX;
    hops[src] = 0;
    for (;;) {
        uint32_t u = UINT32_MAX;
        for (uint32_t v = 0; v < n; v++) {
            if (!done[v] && width[v] >= 0
                && (u == UINT32_MAX || width[v] > width[u]
                    || (width[v] == width[u] && hops[v] < hops[u]))) {
                u = v;
            }
        }
        if (u == UINT32_MAX) {
            return;
        }
        done[u] = 1;
        for (uint32_t a = sub->adj_start[u]; a < sub->adj_start[u + 1]; a++) {
            uint32_t v = sub->adj[a].node;
            int32_t w = MIN(width[u], bw[sub->adj[a].link]);
            if (!done[v] && (w > width[v] || (w == width[v] && hops[u] + 1 < hops[v]))) {
                width[v] = w;
                hops[v] = hops[u] + 1;
            }
        }
    }
}

/* Descending order for qsort(). */
static int
cmp_i32_desc(const void *a_, const void *b_)
{
    int32_t a = *(const int32_t *) a_, b = *(const int32_t *) b_;
    return a < b ? 1 : a > b ? -1 : 0;
}

void
vne_md_advertise(const struct vne_md *md, uint32_t inp,
                 enum vne_md_adv_kind kind, const struct vne_residual *res,
                 struct vne_md_adv *adv)
{
    const struct vne_md_inp *p = &md->inps[inp];
    const struct vne_substrate *sub = p->sub;
    uint32_t n = sub->n_nodes, nb = p->n_border;

    memset(adv, 0, sizeof *adv);
    adv->inp = inp;
    adv->kind = kind;
    adv->price_cpu = p->price_cpu;
    adv->price_bw = p->price_bw;
    adv->n_nodes = n;
    for (uint32_t u = 0; u < n; u++) {
        adv->cpu_total += res->cpu[u];
        adv->cpu_max = MAX(adv->cpu_max, res->cpu[u]);
    }
    adv->n_border = nb;
    adv->border = md_memdup(p->border, nb * sizeof *p->border);
    adv->mesh_bw = xcalloc(nb * nb + 1, sizeof *adv->mesh_bw);
    adv->mesh_hops = xcalloc(nb * nb + 1, sizeof *adv->mesh_hops);
    adv->access_hops = xcalloc(nb + 1, sizeof *adv->access_hops);

    int32_t *width = xmalloc(n * sizeof *width);
    uint32_t *hops = xmalloc(n * sizeof *hops);
    uint8_t *done = xmalloc(n);
    for (uint32_t i = 0; i < nb; i++) {
        md_widest(sub, res->bw, p->border[i], width, hops, done);
        for (uint32_t j = 0; j < nb; j++) {
            uint32_t b = p->border[j];
            if (j != i && width[b] >= 0) {
                adv->mesh_bw[i * nb + j] = width[b];
                adv->mesh_hops[i * nb + j] = hops[b];
            }
        }
    }
    free(width);
    free(hops);
    free(done);

    adv->intra_hops = 1;
    for (uint32_t i = 0; i < nb; i++) {
        adv->access_hops[i] = 1;
    }
    if (kind == VNE_MD_FULL) {
        /* Mean hop distances on the full topology. */
        uint32_t *dist = xmalloc(n * sizeof *dist), *queue = xmalloc(n * sizeof *queue);
        double sum = 0;
        uint64_t pairs = 0;
        for (uint32_t u = 0; u < n; u++) {
            md_multi_bfs(sub, &u, 1, dist, queue);
            for (uint32_t v = 0; v < n; v++) {
                if (v != u && dist[v] != UINT32_MAX) {
                    sum += dist[v];
                    pairs++;
                }
            }
        }
        adv->intra_hops = pairs ? sum / pairs : 1;
        for (uint32_t i = 0; i < nb; i++) {
            md_multi_bfs(sub, &p->border[i], 1, dist, queue);
            double s = 0;
            uint32_t c = 0;
            for (uint32_t v = 0; v < n; v++) {
                if (v != p->border[i] && dist[v] != UINT32_MAX) {
                    s += dist[v];
                    c++;
                }
            }
            adv->access_hops[i] = c ? s / c : 1;
        }
        free(dist);
        free(queue);
        adv->cpu = md_memdup(res->cpu, n * sizeof *res->cpu);
        adv->bw = md_memdup(res->bw, sub->n_links * sizeof *res->bw);
        adv->n_links = sub->n_links;
        adv->cpu_sorted = md_memdup(res->cpu, n * sizeof *res->cpu);
        qsort(adv->cpu_sorted, n, sizeof *adv->cpu_sorted, cmp_i32_desc);
    }
}

void
vne_md_adv_clear(struct vne_md_adv *adv)
{
    if (adv) {
        free(adv->border);
        free(adv->mesh_bw);
        free(adv->mesh_hops);
        free(adv->access_hops);
        free(adv->cpu_sorted);
        free(adv->cpu);
        free(adv->bw);
        memset(adv, 0, sizeof *adv);
    }
}

/* ---- Advertisements as JSON ---- */

json_t *
vne_md_adv_to_json(const struct vne_md_adv *adv)
{
    json_t *mesh = json_array(), *border = json_array(), *access = json_array();
    uint32_t nb = adv->n_border;
    for (uint32_t i = 0; i < nb; i++) {
        json_array_append_new(border, json_integer(adv->border[i]));
        json_array_append_new(access, json_real(adv->access_hops[i]));
        for (uint32_t j = 0; j < nb; j++) {
            if (adv->mesh_bw[i * nb + j] > 0) {
                json_array_append_new(mesh, json_pack("[i, i, i, i]", (int) i, (int) j,
                                                      (int) adv->mesh_bw[i * nb + j],
                                                      (int) adv->mesh_hops[i * nb + j]));
            }
        }
    }
    json_t *o = json_pack("{s:i, s:s, s:f, s:f, s:i, s:I, s:i, s:o, s:o, s:f, s:o}",
                          "inp", (int) adv->inp,
                          "kind", vne_md_adv_kind_name(adv->kind),
                          "price_cpu", adv->price_cpu, "price_bw", adv->price_bw,
                          "nodes", (int) adv->n_nodes,
                          "cpu_total", (json_int_t) adv->cpu_total,
                          "cpu_max", (int) adv->cpu_max,
                          "border", border, "mesh", mesh,
                          "intra_hops", adv->intra_hops, "access_hops", access);
    if (adv->kind == VNE_MD_FULL) {
        json_t *cpu = json_array(), *bw = json_array();
        for (uint32_t i = 0; i < adv->n_nodes; i++) {
            json_array_append_new(cpu, json_integer(adv->cpu[i]));
        }
        for (uint32_t i = 0; i < adv->n_links; i++) {
            json_array_append_new(bw, json_integer(adv->bw[i]));
        }
        json_object_set_new(o, "cpu", cpu);
        json_object_set_new(o, "bw", bw);
    }
    return o;
}

/* Reads integer 'key' of 'o' in [lo, hi] into '*out'; false with '*errp'
 * set if missing or out of range. */
static bool
adv_int(const json_t *o, const char *key, long long lo, long long hi,
        long long *out, char **errp)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < lo
        || json_integer_value(v) > hi) {
        *errp = xasprintf("advertisement: \"%s\" must be an integer from %lld "
                          "to %lld", key, lo, hi);
        return false;
    }
    *out = json_integer_value(v);
    return true;
}

/* Reads number 'key' of 'o' in [lo, hi]; as adv_int(). */
static bool
adv_num(const json_t *o, const char *key, double lo, double hi, double *out,
        char **errp)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_number(v) || !(json_number_value(v) >= lo)
        || !(json_number_value(v) <= hi)) {
        *errp = xasprintf("advertisement: \"%s\" must be a number from %g to %g",
                          key, lo, hi);
        return false;
    }
    *out = json_number_value(v);
    return true;
}

/* Reads array 'key' of 'o' of exactly 'n' integers in [0, hi] into a new
 * array '*out'; as adv_int(). */
static bool
adv_int_array(const json_t *o, const char *key, size_t n, long long hi,
              int32_t **out, char **errp)
{
    const json_t *a = json_object_get(o, key);
    if (!json_is_array(a) || json_array_size(a) != n) {
        *errp = xasprintf("advertisement: \"%s\" must be an array of %zu integers",
                          key, n);
        return false;
    }
    int32_t *v = xmalloc((n + 1) * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        const json_t *x = json_array_get(a, i);
        if (!json_is_integer(x) || json_integer_value(x) < 0
            || json_integer_value(x) > hi) {
            *errp = xasprintf("advertisement: %s[%zu] must be an integer from 0 "
                              "to %lld", key, i, hi);
            free(v);
            return false;
        }
        v[i] = json_integer_value(x);
    }
    *out = v;
    return true;
}

int
vne_md_adv_from_json(const json_t *o, struct vne_md_adv *out, char **errp)
{
    static const char *const known[] = {
        "inp", "kind", "price_cpu", "price_bw", "nodes", "cpu_total", "cpu_max",
        "border", "mesh", "intra_hops", "access_hops", "cpu", "bw", NULL,
    };
    struct vne_md_adv a;
    long long v;
    const char *key;
    json_t *val;

    *errp = NULL;
    memset(&a, 0, sizeof a);
    if (!json_is_object(o)) {
        *errp = xstrdup("advertisement: must be an object");
        return EINVAL;
    }
    json_object_foreach((json_t *) o, key, val) {
        size_t i = 0;
        while (known[i] && strcmp(known[i], key)) {
            i++;
        }
        if (!known[i]) {
            *errp = xasprintf("advertisement: unknown field \"%s\"", key);
            return EINVAL;
        }
    }
    const json_t *kind = json_object_get(o, "kind");
    if (!json_is_string(kind) || !vne_md_adv_kind_parse(json_string_value(kind), &a.kind)) {
        *errp = xstrdup("advertisement: \"kind\" must be \"full\" or \"abstract\"");
        return EINVAL;
    }
    if (!adv_int(o, "inp", 0, 65535, &v, errp)) {
        return EINVAL;
    }
    a.inp = v;
    if (!adv_num(o, "price_cpu", 0, 1e9, &a.price_cpu, errp)
        || !adv_num(o, "price_bw", 0, 1e9, &a.price_bw, errp)
        || !adv_num(o, "intra_hops", 0, 1e6, &a.intra_hops, errp)) {
        return EINVAL;
    }
    if (!adv_int(o, "nodes", 1, UINT32_MAX / 2, &v, errp)) {
        return EINVAL;
    }
    a.n_nodes = v;
    if (!adv_int(o, "cpu_total", 0, (long long) VNE_MAX_AMOUNT * a.n_nodes, &v, errp)) {
        return EINVAL;
    }
    a.cpu_total = v;
    if (!adv_int(o, "cpu_max", 0, VNE_MAX_AMOUNT, &v, errp)) {
        return EINVAL;
    }
    a.cpu_max = v;
    const json_t *border = json_object_get(o, "border");
    if (!json_is_array(border) || json_array_size(border) > a.n_nodes) {
        *errp = xstrdup("advertisement: \"border\" must be an array of node "
                        "numbers, at most one per node");
        return EINVAL;
    }
    uint32_t nb = a.n_border = json_array_size(border);
    int32_t *b32 = NULL;
    if (!adv_int_array(o, "border", nb, a.n_nodes - 1, &b32, errp)) {
        return EINVAL;
    }
    a.border = xmalloc((nb + 1) * sizeof *a.border);
    for (uint32_t i = 0; i < nb; i++) {
        a.border[i] = b32[i];
    }
    free(b32);
    a.mesh_bw = xcalloc((size_t) nb * nb + 1, sizeof *a.mesh_bw);
    a.mesh_hops = xcalloc((size_t) nb * nb + 1, sizeof *a.mesh_hops);
    a.access_hops = xcalloc(nb + 1, sizeof *a.access_hops);

    int error = EINVAL;
    const json_t *mesh = json_object_get(o, "mesh"), *e;
    size_t idx;
    if (!json_is_array(mesh)) {
        *errp = xstrdup("advertisement: \"mesh\" must be an array of "
                        "[from, to, bw, hops]");
        goto out;
    }
    json_array_foreach(mesh, idx, e) {
        json_int_t f, t, w, h;
        if (json_unpack((json_t *) e, "[IIII]", &f, &t, &w, &h) || f < 0 || t < 0
            || f >= nb || t >= nb || f == t || w < 0 || w > VNE_MAX_AMOUNT
            || h < 1 || h > a.n_nodes) {
            *errp = xasprintf("advertisement: mesh[%zu] must be [from, to, bw, hops] "
                              "with two distinct border indexes below %u, bw from "
                              "0 to %d and hops from 1 to %u", idx, nb,
                              VNE_MAX_AMOUNT, a.n_nodes);
            goto out;
        }
        a.mesh_bw[f * nb + t] = w;
        a.mesh_hops[f * nb + t] = h;
    }
    const json_t *acc = json_object_get(o, "access_hops");
    if (!json_is_array(acc) || json_array_size(acc) != nb) {
        *errp = xasprintf("advertisement: \"access_hops\" must be an array of %u "
                          "numbers (one per border node)", nb);
        goto out;
    }
    json_array_foreach(acc, idx, e) {
        if (!json_is_number(e) || !(json_number_value(e) >= 0)
            || !(json_number_value(e) <= 1e6)) {
            *errp = xasprintf("advertisement: access_hops[%zu] must be a number "
                              "from 0 to 1e6", idx);
            goto out;
        }
        a.access_hops[idx] = json_number_value(e);
    }
    if (a.kind == VNE_MD_FULL) {
        const json_t *bw = json_object_get(o, "bw");
        if (!adv_int_array(o, "cpu", a.n_nodes, VNE_MAX_AMOUNT, &a.cpu, errp)
            || !adv_int_array(o, "bw", json_is_array(bw) ? json_array_size(bw) : 0,
                              VNE_MAX_AMOUNT, &a.bw, errp)) {
            goto out;
        }
        a.n_links = json_array_size(bw);
        a.cpu_sorted = md_memdup(a.cpu, a.n_nodes * sizeof *a.cpu);
        qsort(a.cpu_sorted, a.n_nodes, sizeof *a.cpu_sorted, cmp_i32_desc);
    } else if (json_object_get(o, "cpu") || json_object_get(o, "bw")) {
        *errp = xstrdup("advertisement: an abstract advertisement has no "
                        "\"cpu\" or \"bw\"");
        goto out;
    }
    error = 0;
out:
    if (error) {
        vne_md_adv_clear(&a);
    } else {
        *out = a;
    }
    return error;
}

/* ---- Stage 1: the broker's plans ---- */

/* One plan under construction. */
struct planner {
    const struct vne_md *md;
    const struct vne_md_adv *advs;
    const struct vne_request *req;
    const uint32_t *max_nodes;  /* per InP: most request nodes, or NULL */
    uint32_t k, nb;             /* InPs; border nodes over all InPs */
    uint32_t *bnode_inp;        /* per global border index: InP */
    uint32_t *bnode_idx;        /* ... its index in that InP's adv */
    uint32_t *bnode_base;       /* per InP: its first global border index */
    int32_t *ilink_free;        /* free minus what this plan took */
    /* Per InP: what this plan put there. */
    uint32_t *n_placed;
    int64_t *cpu_placed;
    int32_t **demands;          /* per InP, descending (full check) */
    /* Dijkstra work space over border nodes. */
    double *dist;
    uint32_t *prev_ilink;       /* ilink that reached the node, or UINT32_MAX */
    uint32_t *prev_node;        /* previous border node (transit), or UINT32_MAX */
    uint8_t *done;
    /* Best route to each InP of the last search. */
    double *to_cost;
    uint32_t *to_node;
};

/* Can InP 'i' host virtual node 'v' on top of what the plan put there?
 * Sets '*why' to the short resource if not. */
static bool
pl_fits(struct planner *pl, uint32_t i, uint32_t v, enum vne_reject_kind *why)
{
    const struct vne_md_adv *a = &pl->advs[i];
    const struct vne_request *req = pl->req;
    int32_t cpu = req->nodes[v].cpu;

    if (req->nodes[v].n_allowed) {
        bool any = false;
        for (uint32_t j = 0; j < req->nodes[v].n_allowed && !any; j++) {
            any = pl->md->inp_of[req->nodes[v].allowed[j]] == i;
        }
        if (!any) {
            *why = VNE_REJECT_LOCATION;
            return false;
        }
    }
    if ((pl->n_placed[i] + 1 > a->n_nodes && !req->revisit)
        || (pl->max_nodes && pl->n_placed[i] + 1 > pl->max_nodes[i])) {
        *why = VNE_REJECT_SIZE;
        return false;
    }
    if (cpu > a->cpu_max || pl->cpu_placed[i] + cpu > a->cpu_total) {
        *why = VNE_REJECT_CPU;
        return false;
    }
    if (a->cpu_sorted && !req->revisit) {
        /* Exactly: the demands, largest first, fit the largest free (one
         * node each; with revisitation nodes may share, so the totals
         * above are the test and the part's embedding decides). */
        uint32_t m = pl->n_placed[i];
        int32_t *d = pl->demands[i];
        uint32_t j = 0, pos = m;
        while (pos > 0 && d[pos - 1] < cpu) {
            pos--;
        }
        for (j = 0; j <= m; j++) {
            int32_t want = j < pos ? d[j] : j == pos ? cpu : d[j - 1];
            if (want > a->cpu_sorted[j]) {
                *why = VNE_REJECT_CPU;
                return false;
            }
        }
    }
    return true;
}

/* Records virtual node 'v' on InP 'i'. */
static void
pl_place(struct planner *pl, uint32_t i, uint32_t v)
{
    int32_t cpu = pl->req->nodes[v].cpu;
    int32_t *d = pl->demands[i];
    uint32_t pos = pl->n_placed[i];
    while (pos > 0 && d[pos - 1] < cpu) {
        d[pos] = d[pos - 1];
        pos--;
    }
    d[pos] = cpu;
    pl->n_placed[i]++;
    pl->cpu_placed[i] += cpu;
}

/* Cheapest routes for 'bw' from InP 'src' to every other InP (Dijkstra
 * over border nodes): fills pl->to_cost / pl->to_node (the border node
 * where the route arrives), DBL_MAX where none. */
static void
pl_routes(struct planner *pl, uint32_t src, int32_t bw)
{
    const struct vne_md *md = pl->md;
    const struct vne_md_adv *as = &pl->advs[src];

    for (uint32_t x = 0; x < pl->nb; x++) {
        pl->dist[x] = DBL_MAX;
        pl->prev_ilink[x] = pl->prev_node[x] = UINT32_MAX;
        pl->done[x] = 0;
    }
    for (uint32_t i = 0; i < pl->k; i++) {
        pl->to_cost[i] = DBL_MAX;
        pl->to_node[i] = UINT32_MAX;
    }
    /* Leaving 'src': to each border node, then across an ilink. */
    for (uint32_t b = 0; b < as->n_border; b++) {
        uint32_t x = pl->bnode_base[src] + b;
        pl->dist[x] = (double) bw * as->access_hops[b] * as->price_bw;
    }
    for (;;) {
        uint32_t x = UINT32_MAX;
        for (uint32_t y = 0; y < pl->nb; y++) {
            if (!pl->done[y] && pl->dist[y] < DBL_MAX
                && (x == UINT32_MAX || pl->dist[y] < pl->dist[x])) {
                x = y;
            }
        }
        if (x == UINT32_MAX) {
            break;
        }
        pl->done[x] = 1;
        uint32_t i = pl->bnode_inp[x], bi = pl->bnode_idx[x];
        const struct vne_md_adv *a = &pl->advs[i];
        uint32_t local = a->border[bi];
        bool arrived = pl->prev_ilink[x] != UINT32_MAX;

        if (arrived && i != src) {
            double c = pl->dist[x] + (double) bw * a->access_hops[bi] * a->price_bw;
            if (c < pl->to_cost[i]) {
                pl->to_cost[i] = c;
                pl->to_node[i] = x;
            }
            /* Transit through InP i to its other border nodes. */
            for (uint32_t bj = 0; bj < a->n_border; bj++) {
                int32_t w = a->mesh_bw[bi * a->n_border + bj];
                uint32_t y = pl->bnode_base[i] + bj;
                if (bj == bi || w < bw || pl->done[y]) {
                    continue;
                }
                double c2 = pl->dist[x]
                            + (double) bw * a->mesh_hops[bi * a->n_border + bj] * a->price_bw;
                if (c2 < pl->dist[y]) {
                    pl->dist[y] = c2;
                    pl->prev_node[y] = x;
                    pl->prev_ilink[y] = UINT32_MAX;
                }
            }
        }
        /* Leave InP i across its inter-domain links (not back to src). */
        if (arrived && i == src) {
            continue;
        }
        for (uint32_t l = 0; l < md->n_ilinks; l++) {
            const struct vne_md_ilink *il = &md->ilinks[l];
            int side = il->inp[0] == i && il->node[0] == local ? 0
                       : il->inp[1] == i && il->node[1] == local ? 1 : -1;
            if (side < 0 || pl->ilink_free[l] < bw || il->inp[!side] == src) {
                continue;
            }
            const struct vne_md_adv *o = &pl->advs[il->inp[!side]];
            uint32_t oj = 0;
            while (o->border[oj] != il->node[!side]) {
                oj++;
            }
            uint32_t y = pl->bnode_base[il->inp[!side]] + oj;
            double c = pl->dist[x] + (double) bw * il->price;
            if (!pl->done[y] && c < pl->dist[y]) {
                pl->dist[y] = c;
                pl->prev_ilink[y] = l;
                pl->prev_node[y] = x;
            }
        }
    }
}

/* The ilinks of the route that arrives at border node 'x', in order from
 * the source, into 'out' (room for k); returns how many, or UINT32_MAX if
 * the route visits an InP twice. */
static uint32_t
pl_route_links(struct planner *pl, uint32_t x, uint32_t *out)
{
    uint32_t n = 0;
    uint8_t *seen = xcalloc(pl->k, 1);
    uint32_t last_inp = UINT32_MAX;
    bool twice = false;
    while (x != UINT32_MAX) {
        uint32_t i = pl->bnode_inp[x];
        if (i != last_inp) {
            twice |= seen[i];
            seen[i] = 1;
            last_inp = i;
        }
        if (pl->prev_ilink[x] != UINT32_MAX) {
            if (n >= pl->k) {
                twice = true;
                break;
            }
            out[n++] = pl->prev_ilink[x];
        }
        x = pl->prev_node[x];
    }
    free(seen);
    for (uint32_t a = 0, b = n ? n - 1 : 0; a < b; a++, b--) {
        uint32_t t = out[a]; out[a] = out[b]; out[b] = t;
    }
    return twice ? UINT32_MAX : n;
}

/* Breadth-first order of the virtual nodes from the heaviest (CPU plus
 * adjacent bandwidth); lowest number first among equals. */
static void
md_vorder(const struct vne_request *req, uint32_t *order)
{
    uint32_t n = req->n_nodes, head = 0, tail = 0;
    double *w = xcalloc(n, sizeof *w);
    uint8_t *seen = xcalloc(n, 1);
    for (uint32_t v = 0; v < n; v++) {
        w[v] += req->nodes[v].cpu;
    }
    for (uint32_t l = 0; l < req->n_links; l++) {
        w[req->links[l].src] += req->links[l].bw;
        w[req->links[l].dst] += req->links[l].bw;
    }
    while (tail < n) {
        uint32_t start = UINT32_MAX;
        for (uint32_t v = 0; v < n; v++) {
            if (!seen[v] && (start == UINT32_MAX || w[v] > w[start])) {
                start = v;
            }
        }
        seen[start] = 1;
        order[tail++] = start;
        while (head < tail) {
            uint32_t u = order[head++];
            for (;;) {
                uint32_t best = UINT32_MAX;
                for (uint32_t l = 0; l < req->n_links; l++) {
                    const struct vne_vlink *vl = &req->links[l];
                    uint32_t o = vl->src == u ? vl->dst : vl->dst == u ? vl->src : UINT32_MAX;
                    if (o != UINT32_MAX && !seen[o]
                        && (best == UINT32_MAX || w[o] > w[best])) {
                        best = o;
                    }
                }
                if (best == UINT32_MAX) {
                    break;
                }
                seen[best] = 1;
                order[tail++] = best;
            }
        }
    }
    free(w);
    free(seen);
}

void
vne_md_plan_clear(struct vne_md_plan *p)
{
    if (p) {
        free(p->inp);
        free(p->host);
        free(p->route_off);
        free(p->route);
        memset(p, 0, sizeof *p);
    }
}

/* Builds the plan whose first virtual node goes to InP 'root'.  Returns
 * true with 'out' filled, or false with 'rej' set and '*placed' the
 * number of virtual nodes placed before it failed. */
static bool
pl_build(struct planner *pl, const int32_t *ilink_free, const uint32_t *vorder,
         uint32_t root, struct vne_md_plan *out, struct vne_md_reject *rej,
         uint32_t *placed)
{
    const struct vne_request *req = pl->req;
    uint32_t k = pl->k;
    uint32_t *inp = xmalloc(req->n_nodes * sizeof *inp);
    uint32_t **route = xcalloc(req->n_links + 1, sizeof *route);
    uint32_t *route_n = xcalloc(req->n_links + 1, sizeof *route_n);
    uint32_t *tmp = xmalloc((k + 1) * sizeof *tmp);
    double *cost = xmalloc(k * sizeof *cost);
    uint32_t **cand = xcalloc(k, sizeof *cand);      /* per InP: route per vlink */
    uint32_t *cand_n = xcalloc(k * (req->n_links + 1), sizeof *cand_n);
    double est = 0;
    bool ok = true;

    memcpy(pl->ilink_free, ilink_free, pl->md->n_ilinks * sizeof *ilink_free);
    for (uint32_t i = 0; i < k; i++) {
        pl->n_placed[i] = 0;
        pl->cpu_placed[i] = 0;
        cand[i] = xmalloc((req->n_links + 1) * (k + 1) * sizeof **cand);
    }
    for (uint32_t v = 0; v < req->n_nodes; v++) {
        inp[v] = UINT32_MAX;
    }
    for (uint32_t o = 0; o < req->n_nodes && ok; o++) {
        uint32_t v = vorder[o];
        enum vne_reject_kind why = VNE_REJECT_LOCATION;
        uint32_t why_inp = UINT32_MAX;
        for (uint32_t i = 0; i < k; i++) {
            enum vne_reject_kind w;
            cost[i] = DBL_MAX;
            if (o == 0 && i != root) {
                continue;               /* the root takes the first node */
            }
            if (!pl_fits(pl, i, v, &w)) {
                if (why == VNE_REJECT_LOCATION) {
                    why = w;            /* the first short resource */
                    why_inp = i;
                }
                continue;
            }
            cost[i] = (double) req->nodes[v].cpu * pl->advs[i].price_cpu;
        }
        /* Links to placed neighbours. */
        for (uint32_t l = 0; l < req->n_links; l++) {
            const struct vne_vlink *vl = &req->links[l];
            uint32_t u = vl->src == v ? vl->dst : vl->dst == v ? vl->src : UINT32_MAX;
            if (u == UINT32_MAX || u == v || inp[u] == UINT32_MAX) {
                continue;
            }
            pl_routes(pl, inp[u], vl->bw);
            for (uint32_t i = 0; i < k; i++) {
                if (cost[i] == DBL_MAX) {
                    continue;
                }
                if (i == inp[u]) {
                    const struct vne_md_adv *a = &pl->advs[i];
                    cost[i] += (double) vl->bw * a->intra_hops * a->price_bw;
                    cand_n[i * (req->n_links + 1) + l] = 0;
                    continue;
                }
                uint32_t n = pl->to_cost[i] == DBL_MAX ? UINT32_MAX
                             : pl_route_links(pl, pl->to_node[i], tmp);
                if (n == UINT32_MAX) {
                    cost[i] = DBL_MAX;
                    why = VNE_REJECT_BW;
                    why_inp = i;
                    continue;
                }
                cost[i] += pl->to_cost[i];
                /* Stored from u's side; reversed below if u is the dst. */
                memcpy(&cand[i][l * (k + 1)], tmp, n * sizeof *tmp);
                cand_n[i * (req->n_links + 1) + l] = n;
            }
        }
        uint32_t best = UINT32_MAX;
        for (uint32_t i = 0; i < k; i++) {
            if (cost[i] < DBL_MAX && (best == UINT32_MAX || cost[i] < cost[best])) {
                best = i;
            }
        }
        if (best == UINT32_MAX) {
            ok = false;
            *placed = o;
            rej->kind = why;
            rej->inp = -1;
            if (why == VNE_REJECT_BW) {
                snprintf(rej->detail, sizeof rej->detail,
                         "virtual node %u: no inter-domain route with enough "
                         "bandwidth to inp%u from its neighbours' InPs", v, why_inp);
            } else if (why == VNE_REJECT_LOCATION) {
                snprintf(rej->detail, sizeof rej->detail,
                         "virtual node %u: its location constraint allows no "
                         "InP that could host it", v);
            } else {
                snprintf(rej->detail, sizeof rej->detail,
                         "virtual node %u (cpu %d): %s short on every InP "
                         "allowed (e.g. inp%u: largest free cpu %d, total %lld)",
                         v, req->nodes[v].cpu,
                         why == VNE_REJECT_SIZE ? "nodes" : "cpu",
                         why_inp == UINT32_MAX ? 0 : why_inp,
                         why_inp == UINT32_MAX ? 0 : pl->advs[why_inp].cpu_max,
                         why_inp == UINT32_MAX ? 0LL
                         : (long long) pl->advs[why_inp].cpu_total);
            }
            break;
        }
        inp[v] = best;
        est += cost[best];
        pl_place(pl, best, v);
        for (uint32_t l = 0; l < req->n_links; l++) {
            const struct vne_vlink *vl = &req->links[l];
            uint32_t u = vl->src == v ? vl->dst : vl->dst == v ? vl->src : UINT32_MAX;
            if (u == UINT32_MAX || u == v || inp[u] == UINT32_MAX || route[l]
                || (vl->src == vl->dst)) {
                continue;
            }
            uint32_t n = inp[u] == best ? 0 : cand_n[best * (req->n_links + 1) + l];
            route[l] = xmalloc((n + 1) * sizeof **route);
            route_n[l] = n;
            for (uint32_t j = 0; j < n; j++) {
                /* cand is from u to v; the plan stores from src to dst. */
                uint32_t il = cand[best][l * (k + 1) + (u == vl->src ? j : n - 1 - j)];
                route[l][j] = il;
                pl->ilink_free[il] -= vl->bw;
            }
        }
    }
    if (ok) {
        out->inp = inp;
        out->route_off = xmalloc((req->n_links + 1) * sizeof *out->route_off);
        uint32_t total = 0;
        for (uint32_t l = 0; l < req->n_links; l++) {
            out->route_off[l] = total;
            total += route_n[l];
        }
        out->route_off[req->n_links] = total;
        out->route = xmalloc((total + 1) * sizeof *out->route);
        for (uint32_t l = 0; l < req->n_links; l++) {
            if (route_n[l]) {
                memcpy(&out->route[out->route_off[l]], route[l],
                       route_n[l] * sizeof **route);
            }
        }
        out->est_price = est;
    } else {
        free(inp);
    }
    for (uint32_t l = 0; l < req->n_links; l++) {
        free(route[l]);
    }
    for (uint32_t i = 0; i < k; i++) {
        free(cand[i]);
    }
    free(cand);
    free(cand_n);
    free(route);
    free(route_n);
    free(tmp);
    free(cost);
    return ok;
}

/* True if 'a' and 'b' place and route the same way. */
static bool
plan_equal(const struct vne_md_plan *a, const struct vne_md_plan *b,
           const struct vne_request *req)
{
    if (memcmp(a->inp, b->inp, req->n_nodes * sizeof *a->inp)
        || memcmp(a->route_off, b->route_off, (req->n_links + 1) * sizeof *a->route_off)) {
        return false;
    }
    return !memcmp(a->route, b->route, a->route_off[req->n_links] * sizeof *a->route);
}

/* For qsort(): cheaper estimate first. */
static int
cmp_plan(const void *a_, const void *b_)
{
    const struct vne_md_plan *a = a_, *b = b_;
    return a->est_price < b->est_price ? -1 : a->est_price > b->est_price;
}

int
vne_md_plan(const struct vne_md *md, const struct vne_md_adv *advs,
            const int32_t *ilink_free, const uint32_t *max_nodes,
            const struct vne_request *req, struct vne_md_plan **plansp,
            uint32_t *n_plansp, struct vne_md_reject *rej)
{
    uint32_t k = md->n_inps;
    struct planner pl = { .md = md, .advs = advs, .req = req, .k = k,
                          .max_nodes = max_nodes };

    rej->kind = VNE_REJECT_NONE;
    rej->inp = -1;
    rej->detail[0] = '\0';
    *plansp = NULL;
    *n_plansp = 0;

    pl.bnode_base = xmalloc((k + 1) * sizeof *pl.bnode_base);
    for (uint32_t i = 0; i < k; i++) {
        pl.bnode_base[i] = pl.nb;
        pl.nb += advs[i].n_border;
    }
    pl.bnode_base[k] = pl.nb;
    pl.bnode_inp = xmalloc((pl.nb + 1) * sizeof *pl.bnode_inp);
    pl.bnode_idx = xmalloc((pl.nb + 1) * sizeof *pl.bnode_idx);
    for (uint32_t i = 0; i < k; i++) {
        for (uint32_t b = 0; b < advs[i].n_border; b++) {
            pl.bnode_inp[pl.bnode_base[i] + b] = i;
            pl.bnode_idx[pl.bnode_base[i] + b] = b;
        }
    }
    pl.ilink_free = xmalloc((md->n_ilinks + 1) * sizeof *pl.ilink_free);
    pl.n_placed = xcalloc(k, sizeof *pl.n_placed);
    pl.cpu_placed = xcalloc(k, sizeof *pl.cpu_placed);
    pl.demands = xcalloc(k, sizeof *pl.demands);
    for (uint32_t i = 0; i < k; i++) {
        pl.demands[i] = xmalloc((req->n_nodes + 1) * sizeof **pl.demands);
    }
    pl.dist = xmalloc((pl.nb + 1) * sizeof *pl.dist);
    pl.prev_ilink = xmalloc((pl.nb + 1) * sizeof *pl.prev_ilink);
    pl.prev_node = xmalloc((pl.nb + 1) * sizeof *pl.prev_node);
    pl.done = xmalloc(pl.nb + 1);
    pl.to_cost = xmalloc(k * sizeof *pl.to_cost);
    pl.to_node = xmalloc(k * sizeof *pl.to_node);

    uint32_t *vorder = xmalloc((req->n_nodes + 1) * sizeof *vorder);
    struct vne_md_plan *plans = xcalloc(k, sizeof *plans);
    uint32_t n = 0;
    if (req->n_nodes) {
        md_vorder(req, vorder);
    }
    uint32_t most_placed = 0;
    for (uint32_t r = 0; r < k && req->n_nodes; r++) {
        struct vne_md_reject r_rej = { .kind = VNE_REJECT_NONE, .inp = -1 };
        uint32_t placed = 0;
        if (!pl_build(&pl, ilink_free, vorder, r, &plans[n], &r_rej, &placed)) {
            /* The most telling reason: from the root that got furthest
             * (the first virtual node fails on most roots by design). */
            if (rej->kind == VNE_REJECT_NONE || placed > most_placed) {
                *rej = r_rej;
                most_placed = placed;
            }
            continue;
        }
        bool dup = false;
        for (uint32_t j = 0; j < n && !dup; j++) {
            dup = plan_equal(&plans[j], &plans[n], req);
        }
        if (dup) {
            vne_md_plan_clear(&plans[n]);
        } else {
            n++;
        }
    }
    qsort(plans, n, sizeof *plans, cmp_plan);

    free(vorder);
    free(pl.bnode_base);
    free(pl.bnode_inp);
    free(pl.bnode_idx);
    free(pl.ilink_free);
    free(pl.n_placed);
    free(pl.cpu_placed);
    for (uint32_t i = 0; i < k; i++) {
        free(pl.demands[i]);
    }
    free(pl.demands);
    free(pl.dist);
    free(pl.prev_ilink);
    free(pl.prev_node);
    free(pl.done);
    free(pl.to_cost);
    free(pl.to_node);
    if (!n) {
        free(plans);
        if (rej->kind == VNE_REJECT_NONE) {
            vne_reject_set((struct vne_reject *) rej, VNE_REJECT_SIZE, "empty request");
            rej->inp = -1;
        }
        return ENOSPC;
    }
    rej->kind = VNE_REJECT_NONE;
    rej->detail[0] = '\0';
    *plansp = plans;
    *n_plansp = n;
    return 0;
}

int
vne_md_plan_view(const struct vne_md *md, const struct vne_md_adv *advs,
                 const int32_t *ilink_free, struct vne_algo *view_algo,
                 const struct vne_request *req, struct vne_md_plan *plan,
                 struct vne_md_reject *rej)
{
    const struct vne_substrate *sub = md->merged;
    struct vne_residual view;
    struct vne_mapping m;
    struct vne_reject vrej;

    memset(plan, 0, sizeof *plan);
    vne_residual_init(&view, sub);
    for (uint32_t i = 0; i < md->n_inps; i++) {
        const struct vne_md_inp *p = &md->inps[i];
        if (!advs[i].cpu) {
            vne_residual_clear(&view);
            vne_reject_set((struct vne_reject *) rej, VNE_REJECT_SIZE,
                           "%s advertises no full topology", p->name);
            rej->inp = i;
            return EINVAL;
        }
        for (uint32_t l = 0; l < p->sub->n_nodes; l++) {
            view.cpu[p->global[l]] = advs[i].cpu[l];
        }
        for (uint32_t l = 0; l < p->sub->n_links; l++) {
            view.bw[p->link_global[l]] = advs[i].bw[l];
        }
    }
    for (uint32_t l = 0; l < md->n_ilinks; l++) {
        view.bw[md->ilinks[l].merged] = ilink_free[l];
    }
    int error = vne_algo_embed(view_algo, &view, req, &m, &vrej);
    vne_residual_clear(&view);
    if (error) {
        rej->kind = vrej.kind;
        rej->inp = -1;
        snprintf(rej->detail, sizeof rej->detail, "on the InPs' advertised "
                 "topologies: %s: %s", vne_reject_name(vrej.kind), vrej.detail);
        vne_mapping_clear(&m);
        return error;
    }

    /* Each node's InP; each cross link's inter-domain links in order, as
     * long as its path enters no InP twice. */
    uint8_t *seen = xcalloc(md->n_inps, 1);
    plan->inp = xmalloc((req->n_nodes + 1) * sizeof *plan->inp);
    plan->route_off = xmalloc((req->n_links + 1) * sizeof *plan->route_off);
    plan->route = xmalloc((req->n_links * md->n_inps + 1) * sizeof *plan->route);
    plan->host = xmalloc((req->n_nodes + 1) * sizeof *plan->host);
    for (uint32_t v = 0; v < req->n_nodes; v++) {
        plan->inp[v] = md->inp_of[m.host[v]];
        plan->host[v] = m.host[v];
    }
    uint32_t n = 0;
    for (uint32_t l = 0; l < req->n_links && !error; l++) {
        const struct vne_path *pp = &m.paths[l];
        plan->route_off[l] = n;
        if (plan->inp[req->links[l].src] == plan->inp[req->links[l].dst]) {
            continue;
        }
        memset(seen, 0, md->n_inps);
        seen[plan->inp[req->links[l].src]] = 1;
        for (uint32_t j = 0; j + 1 < pp->len; j++) {
            uint32_t il = md->ilink_of[pp->links[j]];
            if (il == UINT32_MAX) {
                continue;
            }
            uint32_t to = md->inp_of[pp->nodes[j + 1]];
            if (seen[to]) {
                error = ENOSPC;
                break;
            }
            seen[to] = 1;
            plan->route[n++] = il;
        }
    }
    plan->route_off[req->n_links] = n;
    plan->est_price = vne_md_price(md, req, &m);
    free(seen);
    vne_mapping_clear(&m);
    if (error) {
        vne_md_plan_clear(plan);
        rej->kind = VNE_REJECT_BW;
        rej->inp = -1;
        snprintf(rej->detail, sizeof rej->detail, "on the InPs' advertised "
                 "topologies: a path enters an InP twice");
    }
    return error;
}

/* ---- Stage 2: parts, then the cross-domain links ---- */

void
vne_md_parts_build(const struct vne_md *md, const struct vne_md_plan *plan,
                   const struct vne_request *req, struct vne_md_parts *ps)
{
    uint32_t k = md->n_inps;
    memset(ps, 0, sizeof *ps);
    ps->parts = xcalloc(k, sizeof *ps->parts);
    ps->part_of = xmalloc(k * sizeof *ps->part_of);
    for (uint32_t i = 0; i < k; i++) {
        ps->part_of[i] = UINT32_MAX;
    }
    uint32_t *pnode = xmalloc((req->n_nodes + 1) * sizeof *pnode);

    /* Request nodes, in request order, with their location constraints
     * in local numbers (which keep the merged order within one InP). */
    for (uint32_t v = 0; v < req->n_nodes; v++) {
        uint32_t i = plan->inp[v];
        if (ps->part_of[i] == UINT32_MAX) {
            ps->part_of[i] = ps->n_parts;
            struct vne_md_part *p = &ps->parts[ps->n_parts++];
            p->inp = i;
            p->req.id = req->id;
            p->req.arrival = req->arrival;
            p->req.lifetime = req->lifetime;
            p->req.revisit = req->revisit;
            p->req.nodes = xcalloc(req->n_nodes, sizeof *p->req.nodes);
            p->req.links = xcalloc(req->n_links + 1, sizeof *p->req.links);
            p->vnode = xmalloc(req->n_nodes * sizeof *p->vnode);
            p->vlink = xmalloc((req->n_links + 1) * sizeof *p->vlink);
        }
        struct vne_md_part *p = &ps->parts[ps->part_of[i]];
        const struct vne_vnode *vn = &req->nodes[v];
        struct vne_vnode *q = &p->req.nodes[p->req.n_nodes];
        pnode[v] = p->req.n_nodes;
        p->vnode[p->req.n_nodes++] = v;
        q->cpu = vn->cpu;
        if (plan->host) {
            q->allowed = xmalloc(sizeof *q->allowed);
            q->allowed[q->n_allowed++] = md->local_of[plan->host[v]];
        } else if (vn->n_allowed) {
            q->allowed = xmalloc(vn->n_allowed * sizeof *q->allowed);
            for (uint32_t j = 0; j < vn->n_allowed; j++) {
                if (md->inp_of[vn->allowed[j]] == i) {
                    q->allowed[q->n_allowed++] = md->local_of[vn->allowed[j]];
                }
            }
        }
    }
    /* Virtual links with both ends in one InP. */
    for (uint32_t l = 0; l < req->n_links; l++) {
        const struct vne_vlink *vl = &req->links[l];
        if (plan->inp[vl->src] != plan->inp[vl->dst]) {
            continue;
        }
        struct vne_md_part *p = &ps->parts[ps->part_of[plan->inp[vl->src]]];
        struct vne_vlink *q = &p->req.links[p->req.n_links];
        q->src = pnode[vl->src];
        q->dst = pnode[vl->dst];
        q->bw = vl->bw;
        p->vlink[p->req.n_links++] = l;
    }
    free(pnode);
}

void
vne_md_parts_clear(struct vne_md_parts *ps)
{
    if (!ps) {
        return;
    }
    for (uint32_t i = 0; i < ps->n_parts; i++) {
        vne_request_clear(&ps->parts[i].req);
        free(ps->parts[i].vnode);
        free(ps->parts[i].vlink);
    }
    free(ps->parts);
    free(ps->part_of);
    memset(ps, 0, sizeof *ps);
}

/* The fewest-hop path on the merged substrate from 'src' to 'dst' over
 * links with at least 'bw' free in 'free_bw' that crosses the InPs 'seq'
 * (n_seq of them, distinct) in that order: inside an InP it follows its
 * own links, and it leaves InP seq[j] only over an inter-domain link to
 * seq[j + 1].  This is what the InPs compute in turn, each over its own
 * free capacities, from the entry points the previous one reached (per-
 * domain path computation); one search gives the same answer.  Stores
 * the nodes in 'path' and returns their number, or 0 if there is none. */
static uint32_t
md_stitch_path(const struct vne_md *md, const int32_t *free_bw, int32_t bw,
               const uint32_t *seq, uint32_t n_seq, uint32_t src,
               uint32_t dst, uint32_t *path)
{
    const struct vne_substrate *sub = md->merged;
    uint32_t n = sub->n_nodes, head = 0, tail = 0;
    uint32_t *layer = xmalloc(md->n_inps * sizeof *layer);
    uint32_t *prev = xmalloc(n * sizeof *prev);
    uint32_t *queue = xmalloc(n * sizeof *queue);
    uint32_t len = 0;

    for (uint32_t i = 0; i < md->n_inps; i++) {
        layer[i] = UINT32_MAX;
    }
    for (uint32_t j = 0; j < n_seq; j++) {
        layer[seq[j]] = j;
    }
    for (uint32_t u = 0; u < n; u++) {
        prev[u] = UINT32_MAX;
    }
    prev[src] = src;
    queue[tail++] = src;
    while (head < tail && prev[dst] == UINT32_MAX) {
        uint32_t u = queue[head++];
        uint32_t lu = layer[md->inp_of[u]];
        for (uint32_t a = sub->adj_start[u]; a < sub->adj_start[u + 1]; a++) {
            uint32_t v = sub->adj[a].node;
            uint32_t lv = layer[md->inp_of[v]];
            if (prev[v] != UINT32_MAX || free_bw[sub->adj[a].link] < bw
                || lv == UINT32_MAX || (lv != lu && lv != lu + 1)) {
                continue;
            }
            prev[v] = u;
            queue[tail++] = v;
        }
    }
    if (prev[dst] != UINT32_MAX) {
        for (uint32_t u = dst; ; u = prev[u]) {
            queue[len++] = u;
            if (u == src) {
                break;
            }
        }
        for (uint32_t j = 0; j < len; j++) {
            path[j] = queue[len - 1 - j];
        }
    }
    free(layer);
    free(prev);
    free(queue);
    return len;
}

int
vne_md_join(const struct vne_md *md, struct vne_md_plan *plan,
            const struct vne_md_parts *ps, const struct vne_mapping *maps,
            const struct vne_residual *res, const struct vne_request *req,
            struct vne_mapping *m, struct vne_md_reject *rej)
{
    const struct vne_substrate *sub = md->merged;
    int32_t *free_bw = md_memdup(res->bw, sub->n_links * sizeof *res->bw);
    uint32_t *nodes = xmalloc((sub->n_nodes + 1) * sizeof *nodes);
    uint32_t *seq = xmalloc((md->n_inps + 1) * sizeof *seq);
    int error = 0;

    vne_mapping_init(m, req);
    for (uint32_t pi = 0; pi < ps->n_parts; pi++) {
        const struct vne_md_part *p = &ps->parts[pi];
        const struct vne_md_inp *inp = &md->inps[p->inp];
        for (uint32_t i = 0; i < p->req.n_nodes; i++) {
            m->host[p->vnode[i]] = inp->global[maps[pi].host[i]];
        }
        for (uint32_t l = 0; l < p->req.n_links && !error; l++) {
            const struct vne_path *pp = &maps[pi].paths[l];
            for (uint32_t j = 0; j < pp->len; j++) {
                nodes[j] = inp->global[pp->nodes[j]];
            }
            for (uint32_t j = 0; j + 1 < pp->len; j++) {
                free_bw[inp->link_global[pp->links[j]]] -= p->req.links[l].bw;
            }
            error = vne_mapping_set_path(m, sub, p->vlink[l], nodes, pp->len);
        }
    }

    /* Cross-domain links, widest first, through the InPs the plan chose. */
    uint32_t *order = xmalloc((req->n_links + 1) * sizeof *order), n_cross = 0;
    for (uint32_t l = 0; l < req->n_links; l++) {
        if (plan->inp[req->links[l].src] != plan->inp[req->links[l].dst]) {
            uint32_t j = n_cross++;
            while (j > 0 && req->links[order[j - 1]].bw < req->links[l].bw) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = l;
        }
    }
    for (uint32_t c = 0; c < n_cross && !error; c++) {
        uint32_t l = order[c];
        const struct vne_vlink *vl = &req->links[l];
        uint32_t h = plan->route_off[l + 1] - plan->route_off[l];
        uint32_t *r = &plan->route[plan->route_off[l]];
        uint32_t cur = plan->inp[vl->src];

        seq[0] = cur;
        for (uint32_t j = 0; j < h; j++) {
            const struct vne_md_ilink *il = &md->ilinks[r[j]];
            cur = il->inp[0] == cur ? il->inp[1] : il->inp[0];
            seq[j + 1] = cur;
        }
        uint32_t len = md_stitch_path(md, free_bw, vl->bw, seq, h + 1,
                                      m->host[vl->src], m->host[vl->dst], nodes);
        /* Else the direct sequence, then through one other InP. */
        uint32_t a = plan->inp[vl->src], b = plan->inp[vl->dst];
        for (uint32_t x = 0; !len && x <= md->n_inps; x++) {
            uint32_t alt[3] = { a, x, b }, n_alt = 3;
            if (x == md->n_inps) {
                alt[1] = b;
                n_alt = 2;
            } else if (x == a || x == b) {
                continue;
            }
            if (n_alt == h + 1 && !memcmp(alt, seq, n_alt * sizeof *alt)) {
                continue;               /* the planned one, tried */
            }
            len = md_stitch_path(md, free_bw, vl->bw, alt, n_alt,
                                 m->host[vl->src], m->host[vl->dst], nodes);
        }
        if (!len) {
            rej->kind = VNE_REJECT_BW;
            rej->inp = -1;
            int w = snprintf(rej->detail, sizeof rej->detail,
                             "virtual link %u-%u (bw %d): no path with the "
                             "bandwidth free through", vl->src, vl->dst, vl->bw);
            for (uint32_t j = 0; j <= h && w > 0 && (size_t) w < sizeof rej->detail; j++) {
                w += snprintf(rej->detail + w, sizeof rej->detail - w, " %s",
                              md->inps[seq[j]].name);
            }
            if (w > 0 && (size_t) w < sizeof rej->detail) {
                snprintf(rej->detail + w, sizeof rej->detail - w,
                         " (nor directly, nor through one other InP)");
            }
            error = ENOSPC;
            break;
        }
        error = vne_mapping_set_path(m, sub, l, nodes, len);
        for (uint32_t j = 0; !error && j + 1 < len; j++) {
            free_bw[m->paths[l].links[j]] -= vl->bw;
        }
    }
    if (!error) {
        /* The inter-domain links actually used, in path order. */
        uint32_t n = 0;
        free(plan->route);
        plan->route = xmalloc((req->n_links * md->n_inps + 1) * sizeof *plan->route);
        for (uint32_t l = 0; l < req->n_links; l++) {
            plan->route_off[l] = n;
            for (uint32_t j = 0; j + 1 < m->paths[l].len; j++) {
                uint32_t il = md->ilink_of[m->paths[l].links[j]];
                if (il != UINT32_MAX) {
                    plan->route[n++] = il;
                }
            }
        }
        plan->route_off[req->n_links] = n;
    }
    free(order);
    free(free_bw);
    free(nodes);
    free(seq);
    if (error && error != ENOSPC) {
        rej->kind = VNE_REJECT_BW;
        rej->inp = -1;
        snprintf(rej->detail, sizeof rej->detail, "the InPs' paths do not chain");
        error = ENOSPC;
    }
    return error;
}

double
vne_md_price(const struct vne_md *md, const struct vne_request *req,
             const struct vne_mapping *m)
{
    double price = 0;
    for (uint32_t v = 0; v < req->n_nodes; v++) {
        price += req->nodes[v].cpu * md->inps[md->inp_of[m->host[v]]].price_cpu;
    }
    for (uint32_t l = 0; l < req->n_links; l++) {
        const struct vne_path *p = &m->paths[l];
        for (uint32_t j = 0; j + 1 < p->len; j++) {
            uint32_t il = md->ilink_of[p->links[j]];
            price += (double) req->links[l].bw
                     * (il != UINT32_MAX ? md->ilinks[il].price
                        : md->inps[md->inp_of[p->nodes[j]]].price_bw);
        }
    }
    return price;
}

/* ---- All together ---- */

void
vne_md_result_clear(struct vne_md_result *r)
{
    if (!r) {
        return;
    }
    for (uint32_t i = 0; i < r->parts.n_parts; i++) {
        vne_mapping_clear(&r->part_maps[i]);
    }
    free(r->part_maps);
    vne_md_parts_clear(&r->parts);
    vne_md_plan_clear(&r->plan);
    vne_mapping_clear(&r->m);
    memset(r, 0, sizeof *r);
}

/* Stage 2 for one plan (moved into 'r->plan'): each InP embeds its part
 * on 'inp_res', then the cross-domain links are routed and everything
 * is checked on 'res'.  Returns 0 with 'r' complete; ENOSPC with 'rej'
 * set and, if an InP refused its part, '*refused' = that InP and
 * '*refused_nodes' = the request nodes it was given; or the errno of a
 * failed algorithm. */
static int
md_try_plan(const struct vne_md *md, struct vne_algo *const *part_algos,
            const struct vne_residual *inp_res, const struct vne_residual *res,
            const struct vne_request *req, struct vne_md_result *r,
            struct vne_md_reject *rej, uint32_t *refused,
            uint32_t *refused_nodes)
{
    *refused = UINT32_MAX;
    *refused_nodes = 0;
    vne_md_parts_build(md, &r->plan, req, &r->parts);
    r->part_maps = xcalloc(r->parts.n_parts + 1, sizeof *r->part_maps);
    for (uint32_t j = 0; j < r->parts.n_parts; j++) {
        const struct vne_md_part *p = &r->parts.parts[j];
        struct vne_reject prej;
        int e = vne_algo_embed(part_algos[p->inp], &inp_res[p->inp], &p->req,
                               &r->part_maps[j], &prej);
        if (e == ENOSPC) {
            *refused = p->inp;
            *refused_nodes = p->req.n_nodes;
            rej->kind = prej.kind;
            rej->inp = p->inp;
            snprintf(rej->detail, sizeof rej->detail, "%s: %s: %s (its part: %u "
                     "nodes, %u links)", md->inps[p->inp].name,
                     vne_reject_name(prej.kind), prej.detail,
                     p->req.n_nodes, p->req.n_links);
        }
        if (e) {
            return e;
        }
    }
    int error = vne_md_join(md, &r->plan, &r->parts, r->part_maps, res, req,
                            &r->m, rej);
    char why[160];
    if (!error && vne_residual_fits(res, req, &r->m, why, sizeof why)) {
        rej->kind = VNE_REJECT_BW;      /* cannot happen: a bug if it does */
        rej->inp = -1;
        snprintf(rej->detail, sizeof rej->detail,
                 "the joined mapping does not fit: %s", why);
        return EIO;
    }
    if (!error) {
        r->price = vne_md_price(md, req, &r->m);
    }
    return error;
}

int
vne_md_embed(const struct vne_md *md, enum vne_md_adv_kind kind,
             struct vne_algo *const *part_algos, struct vne_algo *view_algo,
             const struct vne_residual *res, const struct vne_request *req,
             struct vne_md_result *out, struct vne_md_reject *rej)
{
    uint32_t k = md->n_inps;
    struct vne_residual *inp_res = xcalloc(k, sizeof *inp_res);
    struct vne_md_adv *advs = xcalloc(k, sizeof *advs);
    int32_t *ilink_free = xmalloc((md->n_ilinks + 1) * sizeof *ilink_free);
    uint32_t *max_nodes = xmalloc(k * sizeof *max_nodes);
    uint32_t *new_max = xmalloc(k * sizeof *new_max);
    bool found = false;
    int error = 0;

    memset(out, 0, sizeof *out);
    for (uint32_t i = 0; i < k; i++) {
        vne_md_inp_residual(md, i, res, &inp_res[i]);
        vne_md_advertise(md, i, kind, &inp_res[i], &advs[i]);
        max_nodes[i] = new_max[i] = req->n_nodes;
    }
    for (uint32_t l = 0; l < md->n_ilinks; l++) {
        ilink_free[l] = res->bw[md->ilinks[l].merged];
    }

    /* With full advertisements, the plan read off an embedding on the
     * advertised topologies comes first. */
    if (kind == VNE_MD_FULL && view_algo) {
        struct vne_md_result r;
        struct vne_md_reject vrej;
        uint32_t ref, ref_nodes;
        memset(&r, 0, sizeof r);
        error = vne_md_plan_view(md, advs, ilink_free, view_algo, req, &r.plan, &vrej);
        if (!error) {
            error = md_try_plan(md, part_algos, inp_res, res, req, &r, &vrej,
                                &ref, &ref_nodes);
        }
        if (!error) {
            *out = r;
            found = true;
        } else {
            vne_md_result_clear(&r);
        }
        error = error == ENOSPC ? 0 : error;
    }

    /* Rounds: when no plan's parts all fit, every InP that refused a part
     * is given at most half the request nodes it refused and the broker
     * plans again (as a broker does with a "no" from an InP).  The reason
     * reported is the first round's (its cheapest plan's). */
    for (uint32_t round = 0; round < VNE_MD_MAX_ROUNDS && !found && !error;
         round++) {
        struct vne_md_reject round_rej;
        struct vne_md_reject *rr = round ? &round_rej : rej;
        struct vne_md_plan *plans;
        uint32_t n_plans;
        bool shrunk = false;

        error = vne_md_plan(md, advs, ilink_free, max_nodes, req, &plans,
                            &n_plans, rr);
        if (error) {
            error = error == ENOSPC ? 0 : error;
            break;
        }
        for (uint32_t pi = 0; pi < n_plans; pi++) {
            struct vne_md_result r = { .plan = plans[pi] };
            struct vne_md_reject prej;
            uint32_t ref, ref_nodes;

            memset(&plans[pi], 0, sizeof plans[pi]);
            int e = error ? error : md_try_plan(md, part_algos, inp_res, res, req,
                                                &r, &prej, &ref, &ref_nodes);
            if (!e && (!found || r.price < out->price)) {
                vne_md_result_clear(out);
                *out = r;
                found = true;
                continue;
            } else if (e == ENOSPC && pi == 0) {
                *rr = prej;
            } else if (e && e != ENOSPC) {
                error = e;
            }
            if (e == ENOSPC && ref != UINT32_MAX && ref_nodes
                && ref_nodes - 1 < new_max[ref]) {
                new_max[ref] = ref_nodes / 2;
                shrunk = true;
            }
            vne_md_result_clear(&r);
        }
        free(plans);
        if (!shrunk) {
            break;
        }
        memcpy(max_nodes, new_max, k * sizeof *max_nodes);
    }
    if (!error && !found) {
        error = ENOSPC;
    }
    if (!error) {
        rej->kind = VNE_REJECT_NONE;
        rej->inp = -1;
        rej->detail[0] = '\0';
    } else {
        vne_md_result_clear(out);
    }
    for (uint32_t i = 0; i < k; i++) {
        vne_md_adv_clear(&advs[i]);
        vne_residual_clear(&inp_res[i]);
    }
    free(advs);
    free(inp_res);
    free(ilink_free);
    free(max_nodes);
    free(new_max);
    return error;
}

/* ---- As an algorithm ---- */

struct md_algo {
    struct vne_algo up;
    const struct vne_md *md;
    enum vne_md_adv_kind kind;
    struct vne_algo **parts;
    struct vne_algo *view;      /* on md->merged, for full advertisements */
    double price;
};

static int
md_algo_embed(struct vne_algo *algo, const struct vne_residual *res,
              const struct vne_request *req, struct vne_mapping *m,
              struct vne_reject *rej)
{
    struct md_algo *a = CONTAINER_OF(algo, struct md_algo, up);
    struct vne_md_result r;
    struct vne_md_reject mrej;
    int error = vne_md_embed(a->md, a->kind, a->parts, a->view, res, req, &r,
                             &mrej);
    if (error == ENOSPC) {
        vne_reject_set(rej, mrej.kind, "%s", mrej.detail);
        return error;
    } else if (error) {
        return error;
    }
    if (vne_admission_refuses(res, req, &r.m, VNE_ADMIT_STRETCH, VNE_ADMIT_LOAD, rej)) {
        vne_md_result_clear(&r);
        return ENOSPC;
    }
    vne_mapping_clear(m);
    *m = r.m;
    memset(&r.m, 0, sizeof r.m);
    a->price += r.price;
    vne_md_result_clear(&r);
    return 0;
}

static void
md_algo_destroy(struct vne_algo *algo)
{
    struct md_algo *a = CONTAINER_OF(algo, struct md_algo, up);
    for (uint32_t i = 0; i < a->md->n_inps; i++) {
        vne_algo_destroy(a->parts[i]);
    }
    vne_algo_destroy(a->view);
    free(a->parts);
    free(a);
}

static int
md_algo_create_unused(const struct vne_substrate *sub,
                      const struct vne_algo_options *o, struct vne_algo **algop)
{
    (void) sub;
    (void) o;
    *algop = NULL;
    return EINVAL;              /* made by vne_md_algo_create() only */
}

static const struct vne_algo_class vne_algo_md = {
    .name = "md",
    .summary = "multi-domain: broker split over InP advertisements, "
               "each part by a single-domain algorithm",
    .create = md_algo_create_unused,
    .embed = md_algo_embed,
    .destroy = md_algo_destroy,
};

int
vne_md_algo_create(const struct vne_md *md, enum vne_md_adv_kind kind,
                   const struct vne_algo_class *part_class,
                   const struct vne_algo_options *opts, struct vne_algo **algop)
{
    struct vne_algo_options o;
    if (opts) {
        o = *opts;
    } else {
        vne_algo_options_init(&o);
    }
    struct md_algo *a = xzalloc(sizeof *a);
    a->md = md;
    a->kind = kind;
    a->parts = xcalloc(md->n_inps, sizeof *a->parts);
    struct vne_algo_options po = o;
    po.no_admission = true;
    for (uint32_t i = 0; i < md->n_inps; i++) {
        int error = vne_algo_create(part_class, md->inps[i].sub, &po, &a->parts[i]);
        if (error) {
            for (uint32_t j = 0; j < i; j++) {
                vne_algo_destroy(a->parts[j]);
            }
            free(a->parts);
            free(a);
            return error;
        }
    }
    if (kind == VNE_MD_FULL) {
        int error = vne_algo_create(part_class, md->merged, &po, &a->view);
        if (error) {
            a->up.class = &vne_algo_md;
            md_algo_destroy(&a->up);
            return error;
        }
    }
    a->up.class = &vne_algo_md;
    a->up.sub = md->merged;
    a->up.opts = o;
    *algop = &a->up;
    return 0;
}

double
vne_md_algo_price(const struct vne_algo *algo)
{
    const struct md_algo *a = CONTAINER_OF(algo, const struct md_algo, up);
    return a->price;
}
