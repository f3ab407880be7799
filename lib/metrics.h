/*
 * metrics: the Prometheus text exposition of a daemon's counters, and the
 * /metrics endpoint that serves it.
 *
 * What?
 * =====
 *
 * Every daemon (lamina-switchd, lamina-slicer, lamina-brokerd,
 * lamina-inpd) can serve its counters to Prometheus.  This module has the
 * two shared pieces:
 *
 *   - a builder (struct metrics) of the text format, version 0.0.4: a
 *     family is declared once with its type and help text
 *     (metrics_declare()), samples are added to it in any order
 *     (metrics_add(), labels as name/value pairs), and metrics_text()
 *     writes each family's "# HELP" and "# TYPE" lines followed by all of
 *     its samples, so the samples of a family are contiguous as the
 *     format requires.  Label values and help texts are escaped (\\, \"
 *     and \n).
 *
 *   - a server (struct metrics_server) answering GET /metrics on lib/http.
 *     The counters belong to the daemon's control thread, which may be
 *     changing its objects while the HTTP threads run, so the HTTP thread
 *     does not read them: it asks the control thread (an eventfd the
 *     daemon's poll loop watches; metrics_server_run()) to fill a builder
 *     through the daemon's collect callback, and waits for the text (at
 *     most a few seconds, else 503).  Scrapes that arrive together share
 *     one collection.
 *
 * Names follow Prometheus conventions: lamina_<object>_<what>_<unit>,
 * counters end in _total.
 */
#ifndef LAMINA_METRICS_H
#define LAMINA_METRICS_H 1

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum metrics_type {
    METRICS_COUNTER,
    METRICS_GAUGE,
};

struct metrics_family;

/* A text exposition being built. */
struct metrics {
    struct metrics_family *families;
    size_t n_families, alloc;
};

void metrics_init(struct metrics *);
void metrics_destroy(struct metrics *);

/* Declares family 'name' ([a-zA-Z_:][a-zA-Z0-9_:]*) of 'type' with 'help'.
 * Declaring it again keeps the first declaration. */
void metrics_declare(struct metrics *, const char *name,
                     enum metrics_type type, const char *help);

/* Adds a sample of family 'name' (declared before; else it is declared as
 * an untyped-looking gauge with no help) with 'value' and labels given as
 * name, value pairs ending with NULL (at most 16 pairs):
 *     metrics_add(&m, "lamina_port_rx_packets_total", n,
 *                 "switch", "s1", "port", "p0", (char *) NULL); */
void metrics_add(struct metrics *, const char *name, double value, ...)
    __attribute__((sentinel));
/* The same with the labels in an array: kv[0] = kv[1], kv[2] = kv[3]...,
 * 'n' pairs. */
void metrics_add_labels(struct metrics *, const char *name, double value,
                        const char *const *kv, size_t n);

/* The exposition (malloc'ed, NUL-terminated). */
char *metrics_text(const struct metrics *);

/* The Content-Type of the exposition. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* ---- The /metrics endpoint ---- */

struct metrics_server;

/* Fills 'm' with the daemon's counters; called on the daemon's thread
 * from metrics_server_run(). */
typedef void metrics_collect_func(struct metrics *m, void *aux);

/* The live view (optional): the daemon's picture as JSON, built on the
 * daemon's thread like the exposition, served as GET /view.json and as
 * server-sent events on GET /events (one "data:" event a second, each
 * holding the whole picture; a client computes rates from successive
 * counters).  The caller owns nothing of the result. */
typedef json_t *metrics_view_func(void *aux);

/* A static page served as is (the live view's HTML). */
struct metrics_page {
    const char *path;           /* "/" */
    const char *type;           /* "text/html; charset=utf-8" */
    const char *body;
};

struct metrics_server_options {
    const char *listen;         /* "ADDR:PORT" */
    metrics_collect_func *collect;
    metrics_view_func *view;    /* NULL: no /view.json nor /events */
    const struct metrics_page *pages;   /* must outlive the server */
    size_t n_pages;
    void *aux;                  /* for 'collect' and 'view' */
};

/* Parses "ADDR:PORT" ("[v6]:PORT" too) into 'addr' (size 'size') and
 * '*port'.  Returns 0 or EINVAL with a message in 'err'. */
int metrics_parse_listen(const char *s, char *addr, size_t size,
                         uint16_t *port, char *err, size_t errsize);

/* Starts serving GET /metrics on 'listen' ("ADDR:PORT"; loopback unless
 * told otherwise) with 'collect'.  Returns 0 with '*sp' or an errno with
 * a message in 'err'. */
int metrics_server_start(const char *listen, metrics_collect_func *collect,
                         void *aux, struct metrics_server **sp,
                         char *err, size_t errsize);
/* The same with the live view and pages. */
int metrics_server_open(const struct metrics_server_options *,
                        struct metrics_server **sp, char *err,
                        size_t errsize);
/* Stops 's' (answers waiting scrapes with 503); accepts NULL. */
void metrics_server_stop(struct metrics_server *s);
/* The TCP port 's' listens on. */
uint16_t metrics_server_port(const struct metrics_server *s);
/* The descriptor that becomes readable when a scrape waits; -1 for
 * NULL. */
int metrics_server_fd(const struct metrics_server *s);
/* On the daemon's thread: collects and answers the waiting scrapes, if
 * any.  Accepts NULL. */
void metrics_server_run(struct metrics_server *s);

#endif /* LAMINA_METRICS_H */
