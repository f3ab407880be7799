#include "vne_instance.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gml.h"
#include "graph.h"
#include "topo.h"
#include "util.h"

#define VNE_FORMAT "lamina-vne-instance/1"

struct reader {
    const char *file;
    char *err;
};

/* Records the first error as "FILE: WHERE: message". */
static void __attribute__((format(printf, 3, 4)))
rd_error(struct reader *rd, const char *where, const char *fmt, ...)
{
    if (rd->err) {
        return;
    }
    va_list args;
    char *msg;
    va_start(args, fmt);
    if (vasprintf(&msg, fmt, args) < 0) {
        msg = NULL;
    }
    va_end(args);
    rd->err = xasprintf("%s: %s%s%s", rd->file, where, *where ? ": " : "",
                        msg ? msg : "error");
    free(msg);
}

/* Reads integer member 'key' of 'obj' into '*out', in [0, VNE_MAX_AMOUNT]. */
static bool
rd_amount(struct reader *rd, const char *where, json_t *obj, const char *key,
          int32_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        rd_error(rd, where, "missing \"%s\"", key);
        return false;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0
        || json_integer_value(v) > VNE_MAX_AMOUNT) {
        rd_error(rd, where, "\"%s\" must be an integer from 0 to %d", key,
                 VNE_MAX_AMOUNT);
        return false;
    }
    *out = json_integer_value(v);
    return true;
}

/* Reads node-link arrays common to substrates and requests: checks that
 * node ids run 0..n-1 and links join distinct existing nodes, once. */
static bool
rd_graph_shape(struct reader *rd, const char *where, json_t *obj,
               json_t **nodes, json_t **links)
{
    *nodes = json_object_get(obj, "nodes");
    *links = json_object_get(obj, "links");
    if (!json_is_array(*nodes) || !json_is_array(*links)) {
        rd_error(rd, where, "needs arrays \"nodes\" and \"links\"");
        return false;
    }
    if (json_array_size(*nodes) == 0) {
        rd_error(rd, where, "no nodes");
        return false;
    }
    if (json_array_size(*nodes) > 1000000) {
        rd_error(rd, where, "too many nodes");
        return false;
    }
    size_t i;
    json_t *n;
    json_array_foreach(*nodes, i, n) {
        json_t *id = json_object_get(n, "id");
        if (!json_is_integer(id) || json_integer_value(id) != (json_int_t) i) {
            char *w = xasprintf("%s%snodes[%zu]", where, *where ? "." : "", i);
            rd_error(rd, w, "\"id\" must be %zu (ids run 0..n-1 in order)", i);
            free(w);
            return false;
        }
    }
    return true;
}

/* Reads link 'l' (at 'w') between 'n_nodes' nodes into u, v, amount. */
static bool
rd_link(struct reader *rd, const char *w, json_t *l, uint32_t n_nodes,
        const char *amount_key, uint32_t *u, uint32_t *v, int32_t *amount)
{
    json_t *src = json_object_get(l, "src"), *dst = json_object_get(l, "dst");
    if (!json_is_integer(src) || !json_is_integer(dst)) {
        rd_error(rd, w, "needs integer \"src\" and \"dst\"");
        return false;
    }
    json_int_t s = json_integer_value(src), d = json_integer_value(dst);
    if (s < 0 || s >= n_nodes || d < 0 || d >= n_nodes) {
        rd_error(rd, w, "%s %lld is not a node",
                 s < 0 || s >= n_nodes ? "src" : "dst",
                 (long long) (s < 0 || s >= n_nodes ? s : d));
        return false;
    }
    if (s == d) {
        rd_error(rd, w, "self loop on node %lld", (long long) s);
        return false;
    }
    *u = s;
    *v = d;
    return rd_amount(rd, w, l, amount_key, amount);
}

/* Reads substrate object 'obj' (at 'where'); NULL on error. */
static struct vne_substrate *
rd_substrate(struct reader *rd, json_t *obj, const char *where)
{
    json_t *nodes, *links;
    if (!json_is_object(obj)) {
        rd_error(rd, where, "must be an object");
        return NULL;
    }
    if (!rd_graph_shape(rd, where, obj, &nodes, &links)) {
        return NULL;
    }
    json_t *name = json_object_get(obj, "name");
    uint32_t n = json_array_size(nodes);
    struct vne_substrate *sub =
        vne_substrate_create(json_is_string(name) ? json_string_value(name) : "substrate",
                             n, NULL);
    for (uint32_t i = 0; i < n; i++) {
        json_t *node = json_array_get(nodes, i);
        char *w = xasprintf("%s.nodes[%u]", where, i);
        bool ok = rd_amount(rd, w, node, "cpu", &sub->cpu[i]);
        json_t *x = json_object_get(node, "x"), *y = json_object_get(node, "y");
        if (ok && (x || y)) {
            if (!json_is_number(x) || !json_is_number(y)) {
                rd_error(rd, w, "coordinates need numeric \"x\" and \"y\"");
                ok = false;
            } else {
                sub->has_xy[i] = true;
                sub->x[i] = json_number_value(x);
                sub->y[i] = json_number_value(y);
            }
        }
        free(w);
        if (!ok) {
            vne_substrate_destroy(sub);
            return NULL;
        }
    }
    size_t i;
    json_t *l;
    json_array_foreach(links, i, l) {
        uint32_t u, v;
        int32_t bw;
        char *w = xasprintf("%s.links[%zu]", where, i);
        bool ok = rd_link(rd, w, l, n, "bw", &u, &v, &bw);
        if (ok) {
            vne_substrate_add_link(sub, u, v, bw);
        }
        free(w);
        if (!ok) {
            vne_substrate_destroy(sub);
            return NULL;
        }
    }
    vne_substrate_finish(sub);
    /* Duplicates: each link's endpoints must be unique as an unordered pair. */
    for (uint32_t k = 0; k < sub->n_links; k++) {
        if (vne_substrate_link(sub, sub->links[k].u, sub->links[k].v) != (int32_t) k) {
            char *w = xasprintf("%s.links[%u]", where, k);
            rd_error(rd, w, "link %u-%u listed twice (links are undirected)",
                     sub->links[k].u, sub->links[k].v);
            free(w);
            vne_substrate_destroy(sub);
            return NULL;
        }
    }
    return sub;
}

/* qsort() order of uint32_t. */
static int
cmp_u32(const void *a_, const void *b_)
{
    uint32_t a = *(const uint32_t *) a_, b = *(const uint32_t *) b_;
    return a < b ? -1 : a > b;
}

/* Reads the location constraint of virtual node 'node' into 'vn'. */
static bool
rd_location(struct reader *rd, const char *w, json_t *node,
            const struct vne_substrate *sub, struct vne_vnode *vn)
{
    json_t *allowed = json_object_get(node, "allowed");
    json_t *md = json_object_get(node, "max_dist");
    bool *ok_host = NULL;

    if (!allowed && !md) {
        return true;
    }
    ok_host = xmalloc(sub->n_nodes * sizeof *ok_host);
    for (uint32_t s = 0; s < sub->n_nodes; s++) {
        ok_host[s] = !allowed;
    }
    if (allowed) {
        size_t i;
        json_t *a;
        if (!json_is_array(allowed)) {
            rd_error(rd, w, "\"allowed\" must be an array of substrate node ids");
            goto fail;
        }
        json_array_foreach(allowed, i, a) {
            if (!json_is_integer(a) || json_integer_value(a) < 0
                || json_integer_value(a) >= sub->n_nodes) {
                rd_error(rd, w, "allowed[%zu] is not a substrate node", i);
                goto fail;
            }
            ok_host[json_integer_value(a)] = true;
        }
    }
    if (md) {
        json_t *x = json_object_get(node, "x"), *y = json_object_get(node, "y");
        if (!json_is_number(md) || !json_is_number(x) || !json_is_number(y)) {
            rd_error(rd, w, "\"max_dist\" needs numeric \"max_dist\", \"x\" and \"y\"");
            goto fail;
        }
        double d = json_number_value(md);
        for (uint32_t s = 0; s < sub->n_nodes; s++) {
            double dx = sub->x[s] - json_number_value(x);
            double dy = sub->y[s] - json_number_value(y);
            if (!sub->has_xy[s] || sqrt(dx * dx + dy * dy) > d) {
                ok_host[s] = false;
            }
        }
    }
    vn->allowed = xmalloc(sub->n_nodes * sizeof *vn->allowed);
    vn->n_allowed = 0;
    for (uint32_t s = 0; s < sub->n_nodes; s++) {
        if (ok_host[s]) {
            vn->allowed[vn->n_allowed++] = s;
        }
    }
    qsort(vn->allowed, vn->n_allowed, sizeof *vn->allowed, cmp_u32);
    if (!vn->n_allowed) {
        rd_error(rd, w, "location constraint allows no substrate node");
        goto fail;
    }
    free(ok_host);
    return true;

fail:
    free(ok_host);
    return false;
}

/* Reads request object 'obj' (at 'where') for 'sub' into '*req'. */
static bool
rd_request(struct reader *rd, json_t *obj, const char *where,
           const struct vne_substrate *sub, uint32_t index,
           struct vne_request *req)
{
    json_t *nodes, *links;

    memset(req, 0, sizeof *req);
    if (!json_is_object(obj)) {
        rd_error(rd, where, "must be an object");
        return false;
    }
    if (!rd_graph_shape(rd, where, obj, &nodes, &links)) {
        return false;
    }
    json_t *id = json_object_get(obj, "id");
    json_t *arrival = json_object_get(obj, "arrival");
    json_t *lifetime = json_object_get(obj, "lifetime");
    req->id = json_is_integer(id) ? json_integer_value(id) : index;
    req->arrival = json_is_number(arrival) ? json_number_value(arrival) : 0;
    req->lifetime = json_is_number(lifetime) ? json_number_value(lifetime) : 1;
    if ((arrival && !json_is_number(arrival)) || (lifetime && !json_is_number(lifetime))
        || req->arrival < 0 || !(req->lifetime > 0) || !isfinite(req->arrival)
        || !isfinite(req->lifetime)) {
        rd_error(rd, where, "\"arrival\" must be >= 0 and \"lifetime\" > 0");
        return false;
    }
    json_t *revisit = json_object_get(obj, "revisit");
    if (revisit && !json_is_boolean(revisit)) {
        rd_error(rd, where, "\"revisit\" must be true or false");
        return false;
    }
    req->revisit = json_is_true(revisit);
    /* Revenue x lifetime and arrival + lifetime must stay finite. */
    if (req->arrival > VNE_MAX_TIME || req->lifetime > VNE_MAX_TIME) {
        rd_error(rd, where, "\"%s\" %g is larger than %g, the longest time "
                 "an instance may use", req->arrival > VNE_MAX_TIME
                 ? "arrival" : "lifetime", req->arrival > VNE_MAX_TIME
                 ? req->arrival : req->lifetime, VNE_MAX_TIME);
        return false;
    }
    req->n_nodes = json_array_size(nodes);
    req->nodes = xcalloc(req->n_nodes, sizeof *req->nodes);
    for (uint32_t i = 0; i < req->n_nodes; i++) {
        json_t *node = json_array_get(nodes, i);
        char *w = xasprintf("%s.nodes[%u]", where, i);
        bool ok = rd_amount(rd, w, node, "cpu", &req->nodes[i].cpu)
                  && rd_location(rd, w, node, sub, &req->nodes[i]);
        free(w);
        if (!ok) {
            return false;
        }
    }
    req->n_links = json_array_size(links);
    req->links = xcalloc(req->n_links, sizeof *req->links);
    for (uint32_t i = 0; i < req->n_links; i++) {
        struct vne_vlink *vl = &req->links[i];
        char *w = xasprintf("%s.links[%u]", where, i);
        bool ok = rd_link(rd, w, json_array_get(links, i), req->n_nodes, "bw",
                          &vl->src, &vl->dst, &vl->bw);
        for (uint32_t k = 0; ok && k < i; k++) {
            const struct vne_vlink *o = &req->links[k];
            if ((o->src == vl->src && o->dst == vl->dst)
                || (o->src == vl->dst && o->dst == vl->src)) {
                rd_error(rd, w, "virtual link %u-%u listed twice", vl->src, vl->dst);
                ok = false;
            }
        }
        free(w);
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* Parses file 'path'; NULL with the position of a syntax error. */
static json_t *
rd_load_json(struct reader *rd, const char *path)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        FILE *f = fopen(path, "r");
        if (!f) {
            rd->err = xasprintf("%s: %s", path, strerror(errno));
            return NULL;
        }
        fclose(f);
        rd->err = xasprintf("%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
    }
    return root;
}

int
vne_instance_read(const char *path, struct vne_instance **instp, char **errp)
{
    struct reader rd = { .file = path };
    struct vne_instance *inst = NULL;
    json_t *root = rd_load_json(&rd, path);

    *instp = NULL;
    if (!root) {
        goto fail;
    }
    if (!json_is_object(root)) {
        rd_error(&rd, "", "top level must be an object");
        goto fail;
    }
    json_t *format = json_object_get(root, "format");
    if (!json_is_string(format) || strcmp(json_string_value(format), VNE_FORMAT)) {
        rd_error(&rd, "format", "must be \"%s\"", VNE_FORMAT);
        goto fail;
    }
    inst = xzalloc(sizeof *inst);
    inst->path = xstrdup(path);
    inst->format = xstrdup(VNE_FORMAT);
    json_t *gen = json_object_get(root, "generator");
    inst->generator = xstrdup(json_is_string(gen) ? json_string_value(gen) : "");
    inst->sub = rd_substrate(&rd, json_object_get(root, "substrate"), "substrate");
    if (!inst->sub) {
        goto fail;
    }
    json_t *reqs = json_object_get(root, "requests");
    if (!json_is_array(reqs)) {
        rd_error(&rd, "requests", "must be an array");
        goto fail;
    }
    inst->reqs = xcalloc(json_array_size(reqs), sizeof *inst->reqs);
    for (size_t i = 0; i < json_array_size(reqs); i++) {
        char *w = xasprintf("requests[%zu]", i);
        bool ok = rd_request(&rd, json_array_get(reqs, i), w, inst->sub, i,
                             &inst->reqs[i]);
        inst->n_reqs = i + 1;
        if (ok && inst->reqs[i].id != i) {
            rd_error(&rd, w, "\"id\" must be %zu (ids run 0..m-1 in order)", i);
            ok = false;
        }
        if (ok && i && inst->reqs[i].arrival < inst->reqs[i - 1].arrival) {
            rd_error(&rd, w, "arrival %g before the previous request's %g",
                     inst->reqs[i].arrival, inst->reqs[i - 1].arrival);
            ok = false;
        }
        free(w);
        if (!ok) {
            goto fail;
        }
    }
    json_decref(root);
    *instp = inst;
    *errp = NULL;
    return 0;

fail:
    json_decref(root);
    vne_instance_destroy(inst);
    *errp = rd.err ? rd.err : xasprintf("%s: unreadable", path);
    return rd.err && strstr(rd.err, strerror(ENOENT)) ? ENOENT : EINVAL;
}

void
vne_instance_truncate(struct vne_instance *inst, uint32_t n)
{
    while (inst->n_reqs > n) {
        vne_request_clear(&inst->reqs[--inst->n_reqs]);
    }
}

void
vne_instance_destroy(struct vne_instance *inst)
{
    if (!inst) {
        return;
    }
    for (uint32_t i = 0; i < inst->n_reqs; i++) {
        vne_request_clear(&inst->reqs[i]);
    }
    free(inst->reqs);
    vne_substrate_destroy(inst->sub);
    free(inst->path);
    free(inst->format);
    free(inst->generator);
    free(inst);
}

/* True if the file starts (after blanks) with '{' or '['. */
static bool
file_looks_json(const char *path)
{
    FILE *f = fopen(path, "r");
    int c = EOF;
    if (!f) {
        return true;            /* let the JSON reader report the error */
    }
    do {
        c = fgetc(f);
    } while (c == ' ' || c == '\t' || c == '\n' || c == '\r');
    fclose(f);
    return c == '{' || c == '[';
}

int
vne_substrate_read(const char *path, int32_t cpu, int32_t bw,
                   struct vne_substrate **subp, char **errp)
{
    *subp = NULL;
    size_t len = strlen(path);
    if (len > 5 && !strcmp(path + len - 5, ".topo")) {
        struct topo *t;
        int error = topo_parse_file(path, &t, errp);
        if (error) {
            return error;
        }
        struct graph *g = topo_to_graph(t);
        error = vne_substrate_from_graph(g, t->name ? t->name : path, cpu, bw,
                                         subp, errp);
        graph_destroy(g);
        topo_destroy(t);
        return error;
    }
    if (!file_looks_json(path)) {
        struct graph *g;
        int error = gml_read_file(path, &g, errp);
        if (error) {
            return error;
        }
        const char *label = graph_get_str(g, "label");
        error = vne_substrate_from_graph(g, label ? label : path, cpu, bw, subp, errp);
        graph_destroy(g);
        return error;
    }

    struct reader rd = { .file = path };
    json_t *root = rd_load_json(&rd, path);
    if (root) {
        json_t *s = json_object_get(root, "substrate");
        *subp = rd_substrate(&rd, s ? s : root, s ? "substrate" : "");
        json_decref(root);
    }
    if (!*subp) {
        *errp = rd.err ? rd.err : xasprintf("%s: unreadable", path);
        return EINVAL;
    }
    *errp = NULL;
    return 0;
}

int
vne_request_read(const char *path, const struct vne_substrate *sub,
                 struct vne_request *req, char **errp)
{
    struct reader rd = { .file = path };
    json_t *root = rd_load_json(&rd, path);
    bool ok = false;

    memset(req, 0, sizeof *req);
    if (root) {
        json_t *reqs = json_object_get(root, "requests");
        if (json_is_array(reqs)) {
            ok = rd_request(&rd, json_array_get(reqs, 0), "requests[0]", sub, 0, req);
        } else {
            ok = rd_request(&rd, root, "", sub, 0, req);
        }
        json_decref(root);
    }
    if (!ok) {
        vne_request_clear(req);
        *errp = rd.err ? rd.err : xasprintf("%s: unreadable", path);
        return EINVAL;
    }
    *errp = NULL;
    return 0;
}
