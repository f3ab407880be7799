/*
 * graph: the one graph model that every Lamina part shares.
 *
 * What?
 *
 *   An undirected multigraph whose nodes and edges carry attributes.  The
 *   Topology Zoo reader (gml.h) fills it from a file, the embedding library
 *   turns it into a substrate, the topology builder turns it into switches
 *   and links.  Nodes and edges are numbered densely from 0 in the order
 *   they were added; those indexes are what the API takes and returns.
 *
 * Attributes
 *
 *   Each node, each edge and the graph itself hold a list of key/value
 *   attributes, each value a number or a string (GML's two scalar kinds).
 *   A few keys have helpers because every user wants them: a node's
 *   "label", its external "id" (the number a file gave it), "Latitude" and
 *   "Longitude".  Any other key (LinkSpeed, Country, hyperedge...) is kept
 *   verbatim and can be read back by name.  Setting a key that exists
 *   replaces its value.
 *
 * Parallel edges and adjacency
 *
 *   Two edges may join the same pair of nodes; both are kept, each with its
 *   own attributes.  Self loops are stored too (the reader decides whether
 *   to refuse them).  graph_adj() gives a node's incident edges, each with
 *   the neighbour on the other end, in insertion order.
 *
 * Thread safety: none; a graph belongs to one thread at a time.
 */
#ifndef LAMINA_GRAPH_H
#define LAMINA_GRAPH_H 1

#include <stdbool.h>
#include <stddef.h>

struct graph;

enum graph_attr_type { GRAPH_ATTR_NUM, GRAPH_ATTR_STR };

/* One attribute, as returned by graph_*_attr_at(). */
struct graph_attr {
    const char *key;
    enum graph_attr_type type;
    double num;                 /* valid when type == GRAPH_ATTR_NUM */
    const char *str;            /* valid when type == GRAPH_ATTR_STR */
};

/* One entry of a node's adjacency: the edge and the node at its far end. */
struct graph_adj {
    size_t edge;
    size_t neighbor;
};

/* Creates an empty graph. */
struct graph *graph_create(void);

/* Frees 'g' and everything it holds.  Accepts NULL. */
void graph_destroy(struct graph *g);

size_t graph_n_nodes(const struct graph *g);
size_t graph_n_edges(const struct graph *g);

/* Adds a node and returns its index.  'label' may be NULL. */
size_t graph_add_node(struct graph *g, const char *label);

/* Adds an undirected edge between existing nodes 'u' and 'v' and returns
 * its index. */
size_t graph_add_edge(struct graph *g, size_t u, size_t v);

/* Stores the ends of 'edge' in '*u' and '*v' (in the order added). */
void graph_edge_ends(const struct graph *g, size_t edge, size_t *u, size_t *v);

/* Returns the incident edges of 'node' and stores their number in '*n'.
 * The array stays valid until the next graph_add_edge(). */
const struct graph_adj *graph_adj(const struct graph *g, size_t node, size_t *n);

/* Returns the index of the node whose "id" attribute is 'id', or
 * SIZE_MAX if none has it. */
size_t graph_find_node_by_id(const struct graph *g, long id);

/* The node's label, or NULL if it has none. */
const char *graph_node_label(const struct graph *g, size_t node);

/* Stores the node's Latitude/Longitude in '*lat'/'*lon' and returns true,
 * or returns false if either is missing. */
bool graph_node_coords(const struct graph *g, size_t node,
                       double *lat, double *lon);

/* Attribute setters: 'key' and 'str' are copied. */
void graph_set_num(struct graph *g, const char *key, double);
void graph_set_str(struct graph *g, const char *key, const char *);
void graph_node_set_num(struct graph *g, size_t node, const char *key, double);
void graph_node_set_str(struct graph *g, size_t node, const char *key,
                        const char *);
void graph_edge_set_num(struct graph *g, size_t edge, const char *key, double);
void graph_edge_set_str(struct graph *g, size_t edge, const char *key,
                        const char *);

/* Attribute getters.  The *_num functions return true and store the value
 * if 'key' exists and is a number; the *_str functions return the string,
 * or NULL if 'key' is missing or not a string. */
bool graph_get_num(const struct graph *g, const char *key, double *);
const char *graph_get_str(const struct graph *g, const char *key);
bool graph_node_get_num(const struct graph *g, size_t node, const char *key,
                        double *);
const char *graph_node_get_str(const struct graph *g, size_t node,
                               const char *key);
bool graph_edge_get_num(const struct graph *g, size_t edge, const char *key,
                        double *);
const char *graph_edge_get_str(const struct graph *g, size_t edge,
                               const char *key);

/* Iteration over every attribute of a node / edge, in insertion order:
 * returns false when 'i' is past the end. */
bool graph_node_attr_at(const struct graph *g, size_t node, size_t i,
                        struct graph_attr *);
bool graph_edge_attr_at(const struct graph *g, size_t edge, size_t i,
                        struct graph_attr *);

/* Number of connected components (isolated nodes count as components). */
size_t graph_n_components(const struct graph *g);

#endif /* LAMINA_GRAPH_H */
