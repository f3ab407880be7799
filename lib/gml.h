/*
 * gml: a reader for GML graph files as the Internet Topology Zoo writes them.
 *
 * What?
 *
 *   GML is a nested list of "key value" pairs; a value is an integer, a
 *   real, a double-quoted string, or a bracketed list.  A file holds one
 *   "graph [ ... ]" whose "node [ ... ]" and "edge [ ... ]" lists become
 *   the nodes and edges of a struct graph (graph.h).
 *
 * What the reader keeps
 *
 *   Every scalar inside a node or edge becomes an attribute under its own
 *   key (id, label, Latitude, Longitude, LinkSpeed, ...); scalars of a
 *   nested list are kept as "outer.inner" (e.g. "graphics.x").  Scalars of
 *   the graph itself become graph attributes.  Strings are kept as bytes,
 *   so labels with non-ASCII characters survive.  Edges refer to nodes by
 *   their "id"; edges may come before the nodes they name.
 *
 * What it copes with (all of it occurs in the Zoo)
 *
 *   Nodes without coordinates, parallel edges (each kept with its own
 *   attributes), attribute values of any kind, graphs that are not
 *   connected, "#" comment lines, and a "directed" flag (read, but edges
 *   stay undirected).
 *
 * Errors
 *
 *   Functions return 0 or a positive errno value: the errno of the failed
 *   system call, or EINVAL for a malformed file.  On EINVAL, '*errp' gets a
 *   message "FILE:LINE: what is wrong", which the caller frees; on a
 *   system error it gets "FILE: strerror".  Malformed means: a syntax error,
 *   an unterminated string or list, no graph, a graph without nodes, a
 *   node without a numeric id or with a duplicate id, a node Latitude
 *   outside [-90, 90] or Longitude outside [-180, 180], an edge without
 *   source or target or naming a node that does not exist.
 */
#ifndef LAMINA_GML_H
#define LAMINA_GML_H 1

struct graph;

/* Reads GML file 'path' into a new graph stored in '*gp' (the caller
 * destroys it with graph_destroy()).  On error '*gp' is NULL and '*errp'
 * holds a message.  Returns 0 or a positive errno. */
int gml_read_file(const char *path, struct graph **gp, char **errp);

/* Same as gml_read_file(), from the NUL-terminated 'text'; 'name' is the
 * file name shown in messages. */
int gml_read_string(const char *text, const char *name, struct graph **gp,
                    char **errp);

#endif /* LAMINA_GML_H */
