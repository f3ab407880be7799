#include "graph.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct attr {
    char *key;
    enum graph_attr_type type;
    double num;
    char *str;
};

struct attrs {
    struct attr *v;
    size_t n, cap;
};

struct gnode {
    struct attrs attrs;
    struct graph_adj *adj;
    size_t n_adj, cap_adj;
};

struct gedge {
    size_t u, v;
    struct attrs attrs;
};

struct graph {
    struct attrs attrs;
    struct gnode *nodes;
    size_t n_nodes, cap_nodes;
    struct gedge *edges;
    size_t n_edges, cap_edges;
};

/* Frees every key and string of 'a'. */
static void
attrs_destroy(struct attrs *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->v[i].key);
        free(a->v[i].str);
    }
    free(a->v);
}

/* Returns the attribute named 'key' in 'a', or NULL. */
static const struct attr *
attrs_find(const struct attrs *a, const char *key)
{
    for (size_t i = 0; i < a->n; i++) {
        if (!strcmp(a->v[i].key, key)) {
            return &a->v[i];
        }
    }
    return NULL;
}

/* Returns the slot for 'key', created if missing, with its old string
 * value freed. */
static struct attr *
attrs_slot(struct attrs *a, const char *key)
{
    struct attr *at = (struct attr *) attrs_find(a, key);

    if (at) {
        free(at->str);
        at->str = NULL;
        return at;
    }
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 4;
        a->v = xrealloc(a->v, a->cap * sizeof *a->v);
    }
    at = &a->v[a->n++];
    at->key = xstrdup(key);
    at->str = NULL;
    at->num = 0;
    return at;
}

/* Sets 'key' in 'a' to the number 'num'. */
static void
attrs_set_num(struct attrs *a, const char *key, double num)
{
    struct attr *at = attrs_slot(a, key);
    at->type = GRAPH_ATTR_NUM;
    at->num = num;
}

/* Sets 'key' in 'a' to a copy of 'str'. */
static void
attrs_set_str(struct attrs *a, const char *key, const char *str)
{
    struct attr *at = attrs_slot(a, key);
    at->type = GRAPH_ATTR_STR;
    at->str = xstrdup(str);
}

/* Stores the number under 'key' in '*num'; false if absent or a string. */
static bool
attrs_get_num(const struct attrs *a, const char *key, double *num)
{
    const struct attr *at = attrs_find(a, key);
    if (!at || at->type != GRAPH_ATTR_NUM) {
        return false;
    }
    *num = at->num;
    return true;
}

/* Returns the string under 'key', or NULL if absent or a number. */
static const char *
attrs_get_str(const struct attrs *a, const char *key)
{
    const struct attr *at = attrs_find(a, key);
    return at && at->type == GRAPH_ATTR_STR ? at->str : NULL;
}

/* Describes attribute 'i' of 'a' in '*out'; false past the end. */
static bool
attrs_at(const struct attrs *a, size_t i, struct graph_attr *out)
{
    if (i >= a->n) {
        return false;
    }
    out->key = a->v[i].key;
    out->type = a->v[i].type;
    out->num = a->v[i].num;
    out->str = a->v[i].str;
    return true;
}

struct graph *
graph_create(void)
{
    return xzalloc(sizeof(struct graph));
}

void
graph_destroy(struct graph *g)
{
    if (!g) {
        return;
    }
    attrs_destroy(&g->attrs);
    for (size_t i = 0; i < g->n_nodes; i++) {
        attrs_destroy(&g->nodes[i].attrs);
        free(g->nodes[i].adj);
    }
    for (size_t i = 0; i < g->n_edges; i++) {
        attrs_destroy(&g->edges[i].attrs);
    }
    free(g->nodes);
    free(g->edges);
    free(g);
}

size_t
graph_n_nodes(const struct graph *g)
{
    return g->n_nodes;
}

size_t
graph_n_edges(const struct graph *g)
{
    return g->n_edges;
}

size_t
graph_add_node(struct graph *g, const char *label)
{
    if (g->n_nodes == g->cap_nodes) {
        g->cap_nodes = g->cap_nodes ? 2 * g->cap_nodes : 16;
        g->nodes = xrealloc(g->nodes, g->cap_nodes * sizeof *g->nodes);
    }
    struct gnode *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    if (label) {
        attrs_set_str(&n->attrs, "label", label);
    }
    return g->n_nodes++;
}

/* Appends (edge, neighbor) to the adjacency of 'n'. */
static void
node_add_adj(struct gnode *n, size_t edge, size_t neighbor)
{
    if (n->n_adj == n->cap_adj) {
        n->cap_adj = n->cap_adj ? 2 * n->cap_adj : 4;
        n->adj = xrealloc(n->adj, n->cap_adj * sizeof *n->adj);
    }
    n->adj[n->n_adj].edge = edge;
    n->adj[n->n_adj].neighbor = neighbor;
    n->n_adj++;
}

size_t
graph_add_edge(struct graph *g, size_t u, size_t v)
{
    if (g->n_edges == g->cap_edges) {
        g->cap_edges = g->cap_edges ? 2 * g->cap_edges : 16;
        g->edges = xrealloc(g->edges, g->cap_edges * sizeof *g->edges);
    }
    size_t e = g->n_edges++;
    memset(&g->edges[e], 0, sizeof g->edges[e]);
    g->edges[e].u = u;
    g->edges[e].v = v;
    node_add_adj(&g->nodes[u], e, v);
    if (u != v) {
        node_add_adj(&g->nodes[v], e, u);
    }
    return e;
}

void
graph_edge_ends(const struct graph *g, size_t edge, size_t *u, size_t *v)
{
    *u = g->edges[edge].u;
    *v = g->edges[edge].v;
}

const struct graph_adj *
graph_adj(const struct graph *g, size_t node, size_t *n)
{
    *n = g->nodes[node].n_adj;
    return g->nodes[node].adj;
}

size_t
graph_find_node_by_id(const struct graph *g, long id)
{
    for (size_t i = 0; i < g->n_nodes; i++) {
        double v;
        if (attrs_get_num(&g->nodes[i].attrs, "id", &v) && v == (double) id) {
            return i;
        }
    }
    return SIZE_MAX;
}

const char *
graph_node_label(const struct graph *g, size_t node)
{
    return attrs_get_str(&g->nodes[node].attrs, "label");
}

bool
graph_node_coords(const struct graph *g, size_t node, double *lat, double *lon)
{
    return attrs_get_num(&g->nodes[node].attrs, "Latitude", lat)
           && attrs_get_num(&g->nodes[node].attrs, "Longitude", lon);
}

void
graph_set_num(struct graph *g, const char *key, double num)
{
    attrs_set_num(&g->attrs, key, num);
}

void
graph_set_str(struct graph *g, const char *key, const char *str)
{
    attrs_set_str(&g->attrs, key, str);
}

void
graph_node_set_num(struct graph *g, size_t node, const char *key, double num)
{
    attrs_set_num(&g->nodes[node].attrs, key, num);
}

void
graph_node_set_str(struct graph *g, size_t node, const char *key,
                   const char *str)
{
    attrs_set_str(&g->nodes[node].attrs, key, str);
}

void
graph_edge_set_num(struct graph *g, size_t edge, const char *key, double num)
{
    attrs_set_num(&g->edges[edge].attrs, key, num);
}

void
graph_edge_set_str(struct graph *g, size_t edge, const char *key,
                   const char *str)
{
    attrs_set_str(&g->edges[edge].attrs, key, str);
}

bool
graph_get_num(const struct graph *g, const char *key, double *num)
{
    return attrs_get_num(&g->attrs, key, num);
}

const char *
graph_get_str(const struct graph *g, const char *key)
{
    return attrs_get_str(&g->attrs, key);
}

bool
graph_node_get_num(const struct graph *g, size_t node, const char *key,
                   double *num)
{
    return attrs_get_num(&g->nodes[node].attrs, key, num);
}

const char *
graph_node_get_str(const struct graph *g, size_t node, const char *key)
{
    return attrs_get_str(&g->nodes[node].attrs, key);
}

bool
graph_edge_get_num(const struct graph *g, size_t edge, const char *key,
                   double *num)
{
    return attrs_get_num(&g->edges[edge].attrs, key, num);
}

const char *
graph_edge_get_str(const struct graph *g, size_t edge, const char *key)
{
    return attrs_get_str(&g->edges[edge].attrs, key);
}

bool
graph_node_attr_at(const struct graph *g, size_t node, size_t i,
                   struct graph_attr *out)
{
    return attrs_at(&g->nodes[node].attrs, i, out);
}

bool
graph_edge_attr_at(const struct graph *g, size_t edge, size_t i,
                   struct graph_attr *out)
{
    return attrs_at(&g->edges[edge].attrs, i, out);
}

size_t
graph_n_components(const struct graph *g)
{
    size_t n = g->n_nodes, comps = 0;
    bool *seen = xcalloc(n, sizeof *seen);
    size_t *stack = xmalloc(n * sizeof *stack);

    for (size_t s = 0; s < n; s++) {
        if (seen[s]) {
            continue;
        }
        comps++;
        size_t top = 0;
        stack[top++] = s;
        seen[s] = true;
        while (top) {
            size_t u = stack[--top];
            for (size_t i = 0; i < g->nodes[u].n_adj; i++) {
                size_t w = g->nodes[u].adj[i].neighbor;
                if (!seen[w]) {
                    seen[w] = true;
                    stack[top++] = w;
                }
            }
        }
    }
    free(seen);
    free(stack);
    return comps;
}
