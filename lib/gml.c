#include "gml.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "util.h"

/* Lists nest at most this deep; deeper input is refused rather than
 * risking the stack. */
#define GML_MAX_DEPTH 32

enum tok_type { TOK_EOF, TOK_KEY, TOK_NUM, TOK_STR, TOK_OPEN, TOK_CLOSE };

struct gml_parser {
    const char *name;           /* file name for messages */
    int graph_line;             /* line of "graph [" */
    const char *p;              /* next character */
    int line;                   /* line of 'p' */
    char *err;                  /* first error, "FILE:LINE: msg" */

    /* The current token. */
    enum tok_type tok;
    int tok_line;
    char *text;                 /* key or string contents */
    size_t text_len, text_cap;
    double num;

    struct graph *g;
    struct pending_edge *edges; /* resolved once every node is known */
    size_t n_edges, cap_edges;
};

/* An edge as read, before its ends are resolved to node indexes. */
struct pending_edge {
    int line;
    bool has_source, has_target;
    double source, target;
    struct attr_kv *attrs;
    size_t n_attrs, cap_attrs;
};

struct attr_kv {
    char *key;
    bool is_num;
    double num;
    char *str;
};

/* Records the first error, as "FILE:LINE: message"; later ones are dropped. */
static void __attribute__((format(printf, 3, 4)))
gml_error(struct gml_parser *ps, int line, const char *fmt, ...)
{
    if (ps->err) {
        return;
    }
    va_list args;
    char *msg;

    va_start(args, fmt);
    if (vasprintf(&msg, fmt, args) < 0) {
        msg = NULL;
    }
    va_end(args);
    ps->err = xasprintf("%s:%d: %s", ps->name, line, msg ? msg : "error");
    free(msg);
}

/* Empties the token text buffer of 'ps'. */
static void
text_reset(struct gml_parser *ps)
{
    ps->text_len = 0;
    if (!ps->text) {
        ps->text_cap = 64;
        ps->text = xmalloc(ps->text_cap);
    }
    ps->text[0] = '\0';
}

/* Appends 'c' to the token text of 'ps'. */
static void
text_add(struct gml_parser *ps, char c)
{
    if (ps->text_len + 2 > ps->text_cap) {
        ps->text_cap *= 2;
        ps->text = xrealloc(ps->text, ps->text_cap);
    }
    ps->text[ps->text_len++] = c;
    ps->text[ps->text_len] = '\0';
}

/* Reads the next token into 'ps'.  Returns false after an error. */
static bool
gml_next(struct gml_parser *ps)
{
    for (;;) {
        while (*ps->p && isspace((unsigned char) *ps->p)) {
            if (*ps->p == '\n') {
                ps->line++;
            }
            ps->p++;
        }
        if (*ps->p == '#') {
            while (*ps->p && *ps->p != '\n') {
                ps->p++;
            }
            continue;
        }
        break;
    }
    ps->tok_line = ps->line;
    text_reset(ps);

    char c = *ps->p;
    if (!c) {
        ps->tok = TOK_EOF;
    } else if (c == '[') {
        ps->p++;
        ps->tok = TOK_OPEN;
    } else if (c == ']') {
        ps->p++;
        ps->tok = TOK_CLOSE;
    } else if (c == '"') {
        ps->p++;
        while (*ps->p && *ps->p != '"') {
            if (*ps->p == '\n') {
                ps->line++;
            }
            text_add(ps, *ps->p++);
        }
        if (!*ps->p) {
            gml_error(ps, ps->tok_line, "string not terminated (opening quote here)");
            return false;
        }
        ps->p++;
        ps->tok = TOK_STR;
    } else if (isalpha((unsigned char) c) || c == '_') {
        while (isalnum((unsigned char) *ps->p) || *ps->p == '_') {
            text_add(ps, *ps->p++);
        }
        ps->tok = TOK_KEY;
    } else if (isdigit((unsigned char) c) || c == '-' || c == '+' || c == '.') {
        char *end;
        errno = 0;
        ps->num = strtod(ps->p, &end);
        if (end == ps->p || errno == ERANGE || !isfinite(ps->num)
            || (*end && !isspace((unsigned char) *end) && *end != ']'
                && *end != '[')) {
            gml_error(ps, ps->tok_line, "malformed number");
            return false;
        }
        ps->p = end;
        ps->tok = TOK_NUM;
    } else {
        gml_error(ps, ps->tok_line, "unexpected character '%c'", c);
        return false;
    }
    return true;
}

/* Skips a bracketed list whose '[' was just read. */
static bool
gml_skip_list(struct gml_parser *ps, int depth)
{
    int open_line = ps->tok_line;

    if (depth > GML_MAX_DEPTH) {
        gml_error(ps, ps->tok_line, "lists nested deeper than %d", GML_MAX_DEPTH);
        return false;
    }
    for (;;) {
        if (!gml_next(ps)) {
            return false;
        }
        if (ps->tok == TOK_CLOSE) {
            return true;
        }
        if (ps->tok == TOK_EOF) {
            gml_error(ps, open_line, "list opened here is never closed");
            return false;
        }
        if (ps->tok == TOK_OPEN && !gml_skip_list(ps, depth + 1)) {
            return false;
        }
    }
}

/* Where the scalars of the list being read go. */
struct gml_sink {
    enum { SINK_GRAPH, SINK_NODE, SINK_EDGE } kind;
    size_t node;
    struct pending_edge *edge;
};

/* Stores scalar 'key' = number 'num' or string 'str' in 'sink'.
 * An edge's source and target are kept aside for gml_resolve_edges(). */
static void
sink_set(struct gml_parser *ps, struct gml_sink *sink, const char *key,
         bool is_num, double num, const char *str)
{
    switch (sink->kind) {
    case SINK_GRAPH:
        if (!ps->g) {
            break;              /* top-level keys outside "graph": ignored */
        }
        if (is_num) {
            graph_set_num(ps->g, key, num);
        } else {
            graph_set_str(ps->g, key, str);
        }
        break;
    case SINK_NODE:
        if (is_num && (!strcmp(key, "Latitude") || !strcmp(key, "Longitude"))) {
            /* Checked here, with the line, rather than when a later
             * reader of the graph computes a distance. */
            double max = key[1] == 'a' ? 90 : 180;
            if (!(num >= -max && num <= max)) {
                gml_error(ps, ps->tok_line, "node %s %g is out of range "
                          "[%g, %g]", key, num, -max, max);
                return;
            }
        }
        if (is_num) {
            graph_node_set_num(ps->g, sink->node, key, num);
        } else {
            graph_node_set_str(ps->g, sink->node, key, str);
        }
        break;
    case SINK_EDGE: {
        struct pending_edge *e = sink->edge;
        if (!strcmp(key, "source") || !strcmp(key, "target")) {
            bool is_source = key[0] == 's';
            if (!is_num) {
                gml_error(ps, ps->tok_line, "edge %s must be a node id (a number)", key);
                return;
            }
            if (is_source) {
                e->has_source = true;
                e->source = num;
            } else {
                e->has_target = true;
                e->target = num;
            }
            return;
        }
        if (e->n_attrs == e->cap_attrs) {
            e->cap_attrs = e->cap_attrs ? 2 * e->cap_attrs : 4;
            e->attrs = xrealloc(e->attrs, e->cap_attrs * sizeof *e->attrs);
        }
        struct attr_kv *kv = &e->attrs[e->n_attrs++];
        kv->key = xstrdup(key);
        kv->is_num = is_num;
        kv->num = num;
        kv->str = is_num ? NULL : xstrdup(str);
        break;
    }
    }
}

static bool gml_read_list(struct gml_parser *ps, struct gml_sink *sink,
                          const char *prefix, int depth);

/* Reads "node [ ... ]" after its '['. */
static bool
gml_read_node(struct gml_parser *ps, int depth)
{
    int line = ps->tok_line;
    struct gml_sink sink = { .kind = SINK_NODE };
    double id;

    sink.node = graph_add_node(ps->g, NULL);
    if (!gml_read_list(ps, &sink, "", depth + 1)) {
        return false;
    }
    if (!graph_node_get_num(ps->g, sink.node, "id", &id)) {
        gml_error(ps, line, "node without a numeric id");
        return false;
    }
    if (id != floor(id)) {
        gml_error(ps, line, "node id %g is not an integer", id);
        return false;
    }
    for (size_t i = 0; i < sink.node; i++) {
        double other;
        if (graph_node_get_num(ps->g, i, "id", &other) && other == id) {
            gml_error(ps, line, "duplicate node id %.0f", id);
            return false;
        }
    }
    return true;
}

/* Reads "edge [ ... ]" after its '['. */
static bool
gml_read_edge(struct gml_parser *ps, int depth)
{
    if (ps->n_edges == ps->cap_edges) {
        ps->cap_edges = ps->cap_edges ? 2 * ps->cap_edges : 64;
        ps->edges = xrealloc(ps->edges, ps->cap_edges * sizeof *ps->edges);
    }
    struct pending_edge *e = &ps->edges[ps->n_edges++];
    memset(e, 0, sizeof *e);
    e->line = ps->tok_line;

    struct gml_sink sink = { .kind = SINK_EDGE, .edge = e };
    if (!gml_read_list(ps, &sink, "", depth + 1)) {
        return false;
    }
    if (!e->has_source || !e->has_target) {
        gml_error(ps, e->line, "edge without %s", e->has_source ? "target" : "source");
        return false;
    }
    return true;
}

/* Reads "key value" pairs until the ']' that closes the list (or the end
 * of input at depth 0).  Scalars go to 'sink' under 'prefix' + key. */
static bool
gml_read_list(struct gml_parser *ps, struct gml_sink *sink,
              const char *prefix, int depth)
{
    int open_line = ps->tok_line;

    if (depth > GML_MAX_DEPTH) {
        gml_error(ps, ps->tok_line, "lists nested deeper than %d", GML_MAX_DEPTH);
        return false;
    }
    for (;;) {
        if (!gml_next(ps)) {
            return false;
        }
        if (ps->tok == TOK_CLOSE) {
            if (depth == 0) {
                gml_error(ps, ps->tok_line, "']' without a matching '['");
                return false;
            }
            return true;
        }
        if (ps->tok == TOK_EOF) {
            if (depth == 0) {
                return true;
            }
            gml_error(ps, open_line, "list opened here is never closed");
            return false;
        }
        if (ps->tok != TOK_KEY) {
            gml_error(ps, ps->tok_line, "expected a key, found %s",
                      ps->tok == TOK_OPEN ? "'['"
                      : ps->tok == TOK_STR ? "a string" : "a number");
            return false;
        }
        char *key = xasprintf("%s%s", prefix, ps->text);
        int key_line = ps->tok_line;
        if (!gml_next(ps)) {
            free(key);
            return false;
        }
        bool ok = true;
        switch (ps->tok) {
        case TOK_NUM:
            sink_set(ps, sink, key, true, ps->num, NULL);
            ok = !ps->err;
            break;
        case TOK_STR:
            sink_set(ps, sink, key, false, 0, ps->text);
            ok = !ps->err;
            break;
        case TOK_OPEN:
            if (sink->kind == SINK_GRAPH && ps->g && !*prefix
                && !strcmp(key, "node")) {
                ok = gml_read_node(ps, depth);
            } else if (sink->kind == SINK_GRAPH && ps->g && !*prefix
                       && !strcmp(key, "edge")) {
                ok = gml_read_edge(ps, depth);
            } else if (sink->kind == SINK_GRAPH && !ps->g && !strcmp(key, "graph")) {
                ps->g = graph_create();
                ps->graph_line = key_line;
                ok = gml_read_list(ps, sink, "", depth + 1);
            } else if (sink->kind == SINK_GRAPH && !ps->g) {
                ok = gml_skip_list(ps, depth + 1);  /* e.g. a "Creator" list */
            } else {
                char *inner = xasprintf("%s.", key);
                ok = gml_read_list(ps, sink, inner, depth + 1);
                free(inner);
            }
            break;
        case TOK_EOF:
            gml_error(ps, key_line, "key '%s' without a value", key);
            ok = false;
            break;
        default:
            gml_error(ps, ps->tok_line, "key '%s' followed by ']' instead of a value", key);
            ok = false;
            break;
        }
        free(key);
        if (!ok) {
            return false;
        }
    }
}

/* Turns the pending edges into graph edges. */
static bool
gml_resolve_edges(struct gml_parser *ps)
{
    size_t n = graph_n_nodes(ps->g);
    struct { double id; size_t index; } *ids = xmalloc((n ? n : 1) * sizeof *ids);
    for (size_t i = 0; i < n; i++) {
        graph_node_get_num(ps->g, i, "id", &ids[i].id);
        ids[i].index = i;
    }
    bool ok = true;
    for (size_t i = 0; i < ps->n_edges && ok; i++) {
        struct pending_edge *pe = &ps->edges[i];
        size_t u = SIZE_MAX, v = SIZE_MAX;
        /* Linear lookup is fine: Topology Zoo ids are 0..n-1, tried first. */
        if (pe->source >= 0 && pe->source < n && ids[(size_t) pe->source].id == pe->source) {
            u = (size_t) pe->source;
        }
        if (pe->target >= 0 && pe->target < n && ids[(size_t) pe->target].id == pe->target) {
            v = (size_t) pe->target;
        }
        for (size_t j = 0; j < n && (u == SIZE_MAX || v == SIZE_MAX); j++) {
            if (u == SIZE_MAX && ids[j].id == pe->source) {
                u = j;
            }
            if (v == SIZE_MAX && ids[j].id == pe->target) {
                v = j;
            }
        }
        if (u == SIZE_MAX || v == SIZE_MAX) {
            gml_error(ps, pe->line, "edge %s %g names no node",
                      u == SIZE_MAX ? "source" : "target",
                      u == SIZE_MAX ? pe->source : pe->target);
            ok = false;
            break;
        }
        size_t e = graph_add_edge(ps->g, u, v);
        for (size_t k = 0; k < pe->n_attrs; k++) {
            if (pe->attrs[k].is_num) {
                graph_edge_set_num(ps->g, e, pe->attrs[k].key, pe->attrs[k].num);
            } else {
                graph_edge_set_str(ps->g, e, pe->attrs[k].key, pe->attrs[k].str);
            }
        }
    }
    free(ids);
    return ok;
}

int
gml_read_string(const char *text, const char *name, struct graph **gp,
                char **errp)
{
    struct gml_parser ps = { .name = name, .p = text, .line = 1 };
    struct gml_sink top = { .kind = SINK_GRAPH };
    bool ok = gml_read_list(&ps, &top, "", 0);

    if (ok && !ps.g) {
        gml_error(&ps, ps.line, "no 'graph [ ... ]' in the file");
        ok = false;
    } else if (ok && !graph_n_nodes(ps.g)) {
        gml_error(&ps, ps.graph_line, "the graph has no nodes");
        ok = false;
    }
    if (ok) {
        ok = gml_resolve_edges(&ps);
    }
    for (size_t i = 0; i < ps.n_edges; i++) {
        for (size_t k = 0; k < ps.edges[i].n_attrs; k++) {
            free(ps.edges[i].attrs[k].key);
            free(ps.edges[i].attrs[k].str);
        }
        free(ps.edges[i].attrs);
    }
    free(ps.edges);
    free(ps.text);
    if (!ok) {
        graph_destroy(ps.g);
        *gp = NULL;
        *errp = ps.err ? ps.err : xasprintf("%s: malformed", name);
        return EINVAL;
    }
    *gp = ps.g;
    *errp = NULL;
    return 0;
}

int
gml_read_file(const char *path, struct graph **gp, char **errp)
{
    FILE *f = fopen(path, "rb");
    *gp = NULL;
    if (!f) {
        int error = errno;
        *errp = xasprintf("%s: %s", path, strerror(error));
        return error;
    }
    size_t len = 0, cap = 65536;
    char *buf = xmalloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (len + 1 == cap) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
    }
    int error = ferror(f) ? EIO : 0;
    fclose(f);
    if (error) {
        free(buf);
        *errp = xasprintf("%s: %s", path, strerror(error));
        return error;
    }
    buf[len] = '\0';
    if (strlen(buf) != len) {
        free(buf);
        *errp = xasprintf("%s: contains a NUL byte: not a GML text file", path);
        return EINVAL;
    }
    error = gml_read_string(buf, path, gp, errp);
    free(buf);
    return error;
}
