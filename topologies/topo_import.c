/*
 * topo_import: Topology Zoo GML (read by lib/gml.c into a struct graph)
 * to a topology, and a topology back to an attributed graph (the
 * embedding substrate).  See topo.h.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "topo.h"
#include "util.h"

#define EARTH_RADIUS_KM 6371.0

double
topo_great_circle_km(double lat1, double lon1, double lat2, double lon2)
{
    double rad = M_PI / 180.0;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double a = sin(dlat / 2) * sin(dlat / 2)
               + cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);

    return 2 * EARTH_RADIUS_KM * asin(MIN(1.0, sqrt(a)));
}

/* "12 (Chicago)" or "12" for messages. */
static char *
node_desc(const struct graph *g, size_t node)
{
    const char *label = graph_node_label(g, node);
    double id = node;

    graph_node_get_num(g, node, "id", &id);
    return label ? xasprintf("%.0f (%s)", id, label) : xasprintf("%.0f", id);
}

int
topo_from_graph(const struct graph *g, const char *name,
                const struct topo_import_opts *opts, FILE *warn,
                struct topo **tp, char **errp)
{
    uint32_t default_delay = opts->default_delay_us
                             ? opts->default_delay_us : TOPO_DEFAULT_DELAY_US;
    size_t n = graph_n_nodes(g);
    struct topo *t;
    bool *warned;

    *tp = NULL;
    if (!n) {
        *errp = xasprintf("%s: the graph has no nodes", name);
        return EINVAL;
    }
    t = topo_create(name);
    warned = xcalloc(n, sizeof *warned);
    for (size_t i = 0; i < n; i++) {
        double id = i;
        char sw[32];
        size_t idx;

        graph_node_get_num(g, i, "id", &id);
        snprintf(sw, sizeof sw, "s%.0f", id);
        idx = topo_add_switch(t, sw, 100);
        if (graph_node_label(g, i)) {
            t->sw[idx].label = xstrdup(graph_node_label(g, i));
        }
        t->sw[idx].has_coords = graph_node_coords(g, i, &t->sw[idx].lat,
                                                  &t->sw[idx].lon);
    }
    for (size_t e = 0; e < graph_n_edges(g); e++) {
        struct topo_props props = { .rate_bps = opts->rate_bps };
        size_t u, v, dup = SIZE_MAX;

        graph_edge_ends(g, e, &u, &v);
        if (u == v) {
            if (warn) {
                char *d = node_desc(g, u);
                fprintf(warn, "%s: warning: edge %zu is a loop on node %s: "
                        "dropped\n", name, e, d);
                free(d);
            }
            continue;
        }
        for (size_t l = 0; l < t->n_links; l++) {
            if ((t->links[l].a == u && t->links[l].b == v)
                || (t->links[l].a == v && t->links[l].b == u)) {
                dup = l;
                break;
            }
        }
        if (dup != SIZE_MAX && warn) {
            char *du = node_desc(g, u), *dv = node_desc(g, v);
            fprintf(warn, "%s: warning: edge %zu is parallel to another "
                    "between nodes %s and %s: %s\n", name, e, du, dv,
                    opts->keep_parallel ? "kept as a link of its own"
                    : "merged into the first");
            free(du);
            free(dv);
        }
        if (dup != SIZE_MAX && !opts->keep_parallel) {
            continue;
        }
        if (t->sw[u].has_coords && t->sw[v].has_coords) {
            double km = topo_great_circle_km(t->sw[u].lat, t->sw[u].lon,
                                             t->sw[v].lat, t->sw[v].lon);
            props.delay_us = (uint32_t) lround(km * TOPO_FIBRE_US_PER_KM);
        } else {
            props.delay_us = default_delay;
            for (int k = 0; k < 2; k++) {
                size_t x = k ? v : u;
                if (!t->sw[x].has_coords && !warned[x] && warn) {
                    char *d = node_desc(g, x);
                    fprintf(warn, "%s: warning: node %s has no coordinates: "
                            "its links get the default delay of %u us\n",
                            name, d, default_delay);
                    free(d);
                }
                warned[x] |= !t->sw[x].has_coords;
            }
        }
        topo_add_link(t, u, v, &props);
    }
    free(warned);
    if (opts->host_per_switch || opts->n_hosts) {
        static const struct topo_props none;
        bool *chosen = xcalloc(n, sizeof *chosen);

        if (opts->host_per_switch
            && (!opts->max_hosts || n <= opts->max_hosts)) {
            memset(chosen, 1, n * sizeof *chosen);
        } else if (opts->host_per_switch) {
            if (warn) {
                fprintf(warn, "%s: warning: %zu switches, but at most %u "
                        "hosts can be attached: hosts on %u switches spread "
                        "over the map\n", name, n, opts->max_hosts,
                        opts->max_hosts);
            }
            topo_spread_switches(t, opts->max_hosts, chosen);
        } else {
            topo_spread_switches(t, opts->n_hosts, chosen);
        }
        for (size_t i = 0; i < n; i++) {
            if (!chosen[i]) {
                continue;
            }
            char h[32];
            snprintf(h, sizeof h, "h%s", t->sw[i].name + 1);
            topo_add_host(t, h, i, NULL, &none);
        }
        free(chosen);
    }
    if (graph_n_components(g) > 1 && warn) {
        fprintf(warn, "%s: warning: the graph has %zu connected components: "
                "hosts in different components cannot reach each other\n",
                name, graph_n_components(g));
    }
    topo_finish(t);
    *tp = t;
    return 0;
}

size_t
topo_spread_switches(const struct topo *t, size_t n, bool *chosen)
{
    uint64_t *near = xmalloc(t->n_sw * sizeof *near);
    uint64_t *dist = xmalloc(t->n_sw * sizeof *dist);
    size_t *prev = xmalloc(t->n_sw * sizeof *prev), k = 0, best = 0, best_deg = 0;

    memset(chosen, 0, t->n_sw * sizeof *chosen);
    for (size_t i = 0; i < t->n_sw; i++) {
        size_t deg;
        graph_adj(t->g, i, &deg);
        if (deg > best_deg) {
            best_deg = deg;
            best = i;
        }
        near[i] = UINT64_MAX;
    }
    while (k < n && k < t->n_sw) {
        chosen[best] = true;
        k++;
        topo_shortest_paths(t, best, NULL, dist, prev);
        for (size_t i = 0; i < t->n_sw; i++) {
            near[i] = MIN(near[i], dist[i]);
        }
        /* Next: the farthest reachable switch not chosen; once all
         * reachable ones are, any other (another component). */
        size_t far = SIZE_MAX;
        for (size_t i = 0; i < t->n_sw; i++) {
            if (chosen[i]) {
                continue;
            }
            if (far == SIZE_MAX
                || (near[i] != UINT64_MAX && (near[far] == UINT64_MAX
                                              || near[i] > near[far]))) {
                far = i;
            }
        }
        if (far == SIZE_MAX) {
            break;
        }
        best = far;
    }
    free(near);
    free(dist);
    free(prev);
    return k;
}

struct graph *
topo_to_graph(const struct topo *t)
{
    struct graph *g = graph_create();

    if (t->name) {
        graph_set_str(g, "label", t->name);
    }
    for (size_t i = 0; i < t->n_sw; i++) {
        const struct topo_switch *s = &t->sw[i];
        size_t node = graph_add_node(g, s->name);

        graph_node_set_num(g, node, "id", i);
        graph_node_set_num(g, node, "cpu", s->cpu);
        if (s->label) {
            graph_node_set_str(g, node, "city", s->label);
        }
        if (s->has_coords) {
            graph_node_set_num(g, node, "Latitude", s->lat);
            graph_node_set_num(g, node, "Longitude", s->lon);
        }
    }
    for (size_t l = 0; l < t->n_links; l++) {
        const struct topo_link *k = &t->links[l];
        size_t e = graph_add_edge(g, k->a, k->b);

        if (k->name) {
            graph_edge_set_str(g, e, "name", k->name);
        }
        if (k->props.rate_bps) {
            graph_edge_set_num(g, e, "bw", k->props.rate_bps / 1e6);
        }
        graph_edge_set_num(g, e, "delay_us", k->props.delay_us);
    }
    return g;
}
