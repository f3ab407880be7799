/*
 * topo: an emulated topology, its file format, and its sources.
 *
 * What?
 * =====
 *
 * A topology is what `lamina topo up` builds: substrate switches (with a
 * CPU capacity for the embedding), links between them (rate, delay, loss,
 * queue length), and hosts, each attached to one switch by a host link
 * that has the same four properties.  The structure (who is linked to
 * whom) is a struct graph (lib/graph.h, the one graph model of the
 * project): switch i is graph node i, link j is graph edge j.  The typed
 * properties live in arrays beside it, indexed the same way, because the
 * builder reads them for every element and wants them checked once, at
 * parse time, rather than looked up by key each time.
 *
 * Sources
 * =======
 *
 * - The project's own text format (topologies/README.md), parsed by
 *   topo_parse_file() and written back by topo_write(): one element per
 *   line, "keyword NAME... key=value...", '#' comments.  Every error
 *   names the file, the line and the field.
 * - Topology Zoo GML through lib/gml.h, turned into a topology by
 *   topo_from_graph(): link delays from the great-circle distance between
 *   the ends' coordinates.
 * - Generators: a line, a ring, a k-ary fat tree.
 *
 * Errors: functions return 0 or a positive errno; on error '*errp' gets a
 * malloc'd sentence ("FILE:LINE: field: what is wrong") the caller frees.
 */
#ifndef LAMINA_TOPO_H
#define LAMINA_TOPO_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct graph;

/* Names are object names of the dataplane (1..63 of [A-Za-z0-9_.-]); the
 * builder derives port and link names from them, so they are kept
 * shorter. */
#define TOPO_NAME_MAX 28

/* The emulated properties of a link or a host link. */
struct topo_props {
    uint64_t rate_bps;          /* 0: unlimited */
    uint32_t delay_us;          /* one way */
    uint32_t loss_ppm;
    uint32_t queue;             /* packets per queue; 0: the daemon's default */
};

struct topo_switch {
    char *name;
    char *label;                /* e.g. the city; NULL if none */
    double cpu;                 /* CPU capacity for the embedding */
    bool has_coords;
    double lat, lon;
    int line;                   /* in the file it came from; 0 if none */
};

struct topo_link {
    size_t a, b;                /* switch indexes (= graph nodes) */
    char *name;                 /* unique; "A-B", "A-B.2" for a parallel one */
    struct topo_props props;
    int line;
};

struct topo_host {
    char *name;
    size_t sw;                  /* the switch it is attached to */
    char *ip;                   /* "10.0.0.1/16"; NULL: none */
    char *mac;                  /* "02:00:00:00:00:01"; NULL: automatic */
    struct topo_props props;
    int line;
};

struct topo {
    char *name;                 /* NULL if the file gave none */
    struct graph *g;            /* switches = nodes, links = edges */
    struct topo_switch *sw;
    size_t n_sw;
    struct topo_link *links;
    size_t n_links;
    struct topo_host *hosts;
    size_t n_hosts;
    size_t cap_sw, cap_links, cap_hosts;
};

/* An empty topology named 'name' (may be NULL). */
struct topo *topo_create(const char *name);
/* Frees 't'.  Accepts NULL. */
void topo_destroy(struct topo *t);

/* Adders: names are copied; return the new index.  They do not check
 * names (the parser and the importer do). */
size_t topo_add_switch(struct topo *t, const char *name, double cpu);
size_t topo_add_link(struct topo *t, size_t a, size_t b,
                     const struct topo_props *);
size_t topo_add_host(struct topo *t, const char *name, size_t sw,
                     const char *ip, const struct topo_props *);

/* Index of the switch / host named 'name', or SIZE_MAX. */
size_t topo_find_switch(const struct topo *t, const char *name);
size_t topo_find_host(const struct topo *t, const char *name);
/* Index of the first link between switches 'a' and 'b', or SIZE_MAX. */
size_t topo_find_link(const struct topo *t, size_t a, size_t b);

/* Gives every link without a name its "A-B" name ("A-B.2", ... for
 * parallel links). */
void topo_name_links(struct topo *t);

/* topo_name_links(), then gives every host without an address one of
 * 10.0.x.y/16 (by host number, skipping addresses taken) and every host
 * without a MAC 02:00:00:xx:yy:zz.  The parser and the generators call
 * it; a program that builds a topology with the adders calls it last. */
void topo_finish(struct topo *t);

/* ---- The text format -------------------------------------------------- */

/* Parses the text format from file 'path' / from 'text' ('fname' names
 * it in messages).  Returns 0 and '*tp', or EINVAL with '*errp' naming
 * the line and the field (or the errno of reading the file). */
int topo_parse_file(const char *path, struct topo **tp, char **errp);
int topo_parse_string(const char *text, const char *fname, struct topo **tp,
                      char **errp);

/* Writes 't' in the text format. */
void topo_write(const struct topo *t, FILE *out);

/* Reads 'path' in the text format, or as Topology Zoo GML when its name
 * ends in ".gml" (imported with 'import', see below; warnings go to
 * stderr).  The convenience behind every command that takes a FILE. */
struct topo_import_opts;
int topo_load(const char *path, const struct topo_import_opts *import,
              struct topo **tp, char **errp);

/* ---- Topology Zoo import ----------------------------------------------- */

#define TOPO_FIBRE_US_PER_KM 5.0        /* light in fibre: ~200,000 km/s */
#define TOPO_DEFAULT_DELAY_US 1000      /* a link with an end without coordinates */

struct topo_import_opts {
    uint64_t rate_bps;          /* every link's rate (0: unlimited) */
    bool host_per_switch;       /* one host h<id> on each switch s<id> */
    unsigned int n_hosts;       /* else: hosts on this many switches, spread
                                 * out (farthest-point sampling by delay) */
    unsigned int max_hosts;     /* host_per_switch on a larger map: this
                                 * many, spread out, with a warning; 0: no
                                 * limit */
    bool keep_parallel;         /* keep parallel edges (else merge them) */
    uint32_t default_delay_us;  /* 0: TOPO_DEFAULT_DELAY_US */
};

/* Turns a Topology Zoo graph (gml.h) into a topology: switch "s<id>" per
 * node (label and coordinates kept), a link per edge with the fibre
 * delay of the great-circle distance between its ends, hosts
 * "h<id>" with addresses 10.0.x.y/16 if 'host_per_switch'.  Self loops
 * are dropped.  Every oddity (a node without coordinates, a parallel
 * edge, a self loop) is written as a warning line to 'warn' (may be
 * NULL).  Returns 0, or EINVAL for a graph without nodes. */
int topo_from_graph(const struct graph *g, const char *name,
                    const struct topo_import_opts *, FILE *warn,
                    struct topo **tp, char **errp);

/* The reverse, for the embedding (libvne's substrate readers): a new
 * graph with node i = switch i labelled with its name and carrying
 * "cpu" (its capacity), "city" (its label, if any) and Latitude /
 * Longitude (if known), and edge j = link j carrying "name", "delay_us"
 * and "bw", the rate in Mbit/s (absent for an unlimited link: the
 * reader's default applies).  Hosts are left out: they are end points,
 * not substrate.  The caller destroys the graph. */
struct graph *topo_to_graph(const struct topo *t);

/* Picks 'n' switches of 't' spread over the map: the one of highest
 * degree, then repeatedly the one farthest (by delay) from those picked;
 * unreachable switches last.  Sets chosen[i] for each; returns how many
 * were picked (at most n_sw). */
size_t topo_spread_switches(const struct topo *t, size_t n, bool *chosen);

/* Great-circle distance in km between two points given in degrees
 * (haversine, mean Earth radius 6371 km). */
double topo_great_circle_km(double lat1, double lon1, double lat2,
                            double lon2);

/* ---- Generators --------------------------------------------------------- */

/* A line / a ring of 'n' switches s1..sn, one host hI on each. */
struct topo *topo_gen_line(unsigned n, const struct topo_props *link);
struct topo *topo_gen_ring(unsigned n, const struct topo_props *link);
/* A k-ary fat tree (k even, 2..16): (k/2)^2 core switches, k pods of k/2
 * aggregation and k/2 edge switches, k/2 hosts on each edge switch
 * (k^3/4 hosts). */
struct topo *topo_gen_fattree(unsigned k, const struct topo_props *link);

/* ---- Paths ----------------------------------------------------------------- */

/* Shortest paths by delay from switch 'src' (Dijkstra; ties broken by
 * fewer hops, then by link order, so results are stable).  Only links
 * for which 'usable' is NULL or usable[link] is true are used.  Fills
 * dist_us[node] (UINT64_MAX: unreachable), prev_link[node] (SIZE_MAX at
 * the source and where unreachable); both arrays hold n_sw entries. */
void topo_shortest_paths(const struct topo *t, size_t src, const bool *usable,
                         uint64_t *dist_us, size_t *prev_link);

/* The switch path from 'src' to 'dst' following 'prev_link' computed
 * from 'src': stores up to n_sw switch indexes, head first, in 'path'
 * and returns their number (0 if unreachable). */
size_t topo_path_to(const struct topo *t, const size_t *prev_link,
                    size_t src, size_t dst, size_t *path);

#endif /* LAMINA_TOPO_H */
