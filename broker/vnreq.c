#include "vnreq.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "brk_error.h"
#include "brk_time.h"
#include "inherit.h"
#include "units.h"
#include "util.h"

static const char *const plane_names[VNREQ_N_PLANES] = {
#define VNREQ_PLANE_NAME(ENUM, NAME) [VNREQ_##ENUM] = NAME,
    VNREQ_PLANES(VNREQ_PLANE_NAME)
#undef VNREQ_PLANE_NAME
};

const char *
vnreq_plane_name(enum vnreq_plane p)
{
    return (unsigned) p < VNREQ_N_PLANES ? plane_names[p] : "?";
}

/* ---- The validator ---- */

/* The state of one validation: where the first error was found. */
struct vctx {
    struct brk_error *err;
    char err_path[256];
    int64_t now;
};

/* Records the error 'fmt' at field 'path' and returns EINVAL. */
static int __attribute__((format(printf, 3, 4)))
fail(struct vctx *c, const char *path, const char *fmt, ...)
{
    char msg[BRK_ERR_LEN];
    va_list args;

    va_start(args, fmt);
    vsnprintf(msg, sizeof msg, fmt, args);
    va_end(args);
    str_copy(c->err_path, path, sizeof c->err_path);
    return brk_error_set(c->err, EINVAL, "%s: %s", path[0] ? path : "request",
                         msg);
}

/* The JSON type of 'j' in words, for error messages. */
static const char *
type_name(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "a list";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE: case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "?";
}

/* Describes the value 'j' for an error message: strings quoted,
 * numbers as written, other types by name. */
static const char *
describe(const json_t *j, char *buf, size_t size)
{
    if (json_is_string(j)) {
        snprintf(buf, size, "\"%.64s\"", json_string_value(j));
    } else if (json_is_integer(j)) {
        snprintf(buf, size, "%"JSON_INTEGER_FORMAT, json_integer_value(j));
    } else if (json_is_real(j)) {
        snprintf(buf, size, "%g", json_real_value(j));
    } else {
        snprintf(buf, size, "%s", type_name(j));
    }
    return buf;
}

/* Refuses any member of object 'obj' at 'path' not in the NULL-terminated
 * 'allowed'. */
static int
only_fields(struct vctx *c, const json_t *obj, const char *path,
            const char *const *allowed)
{
    const char *key;
    json_t *value;

    json_object_foreach((json_t *) obj, key, value) {
        bool ok = false;
        for (size_t i = 0; allowed[i]; i++) {
            ok |= !strcmp(key, allowed[i]);
        }
        if (!ok) {
            char list[256] = "";
            for (size_t i = 0; allowed[i]; i++) {
                strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
                strncat(list, allowed[i], sizeof list - strlen(list) - 1);
            }
            char p[300];
            snprintf(p, sizeof p, "%s%s%s", path, path[0] ? "." : "", key);
            return fail(c, p, "unknown field (expected one of: %s)", list);
        }
    }
    return 0;
}

/* Makes the path of member 'key' of 'path'. */
static const char *
member_path(char *buf, size_t size, const char *path, const char *key)
{
    snprintf(buf, size, "%s%s%s", path, path[0] ? "." : "", key);
    return buf;
}

/* Reads string member 'key' of 'obj' into a new copy '*out' (NULL if
 * absent and not 'required'), checking it with 'name_is_valid' if 'name'. */
static int
get_string(struct vctx *c, const json_t *obj, const char *path,
           const char *key, bool required, bool name, char **out)
{
    char p[300];
    char d[96];
    const json_t *v = json_object_get(obj, key);

    *out = NULL;
    member_path(p, sizeof p, path, key);
    if (!v) {
        return required ? fail(c, p, "missing") : 0;
    }
    if (!json_is_string(v)) {
        return fail(c, p, "must be a string, got %s", describe(v, d, sizeof d));
    }
    const char *s = json_string_value(v);
    if (name && !name_is_valid(s)) {
        return fail(c, p, "must be a name of 1..63 characters [A-Za-z0-9_.-] "
                    "starting with a letter or digit, got %s",
                    describe(v, d, sizeof d));
    }
    if (!name && (!s[0] || strlen(s) > 1024)) {
        return fail(c, p, "must be a string of 1..1024 characters");
    }
    *out = xstrdup(s);
    return 0;
}

/* Reads a time (RFC 3339 or "now") from member 'key'. */
static int
get_time(struct vctx *c, const json_t *obj, const char *path, const char *key,
         bool *present, int64_t *t)
{
    char p[300];
    char d[96];
    const json_t *v = json_object_get(obj, key);

    member_path(p, sizeof p, path, key);
    *present = v != NULL;
    if (!v) {
        return 0;
    }
    if (json_is_string(v) && !strcmp(json_string_value(v), "now")) {
        *t = c->now;
        return 0;
    }
    if (!json_is_string(v) || brk_time_parse(json_string_value(v), t)) {
        return fail(c, p, "must be \"now\" or an RFC 3339 time such as "
                    "\"2026-12-06T18:00:00Z\", got %s",
                    describe(v, d, sizeof d));
    }
    return 0;
}

/* Checks that a start 't' at 'p' is neither past nor too far ahead, and
 * makes a start within the slack "now". */
static int
check_start(struct vctx *c, const char *p, int64_t *t)
{
    char when[32], now[32];

    if (*t < c->now - VNREQ_PAST_SLACK) {
        return fail(c, p, "%s is in the past (now is %s)",
                    brk_time_format(*t, when, sizeof when),
                    brk_time_format(c->now, now, sizeof now));
    }
    if (*t > c->now + VNREQ_MAX_AHEAD) {
        return fail(c, p, "%s is more than %lld days ahead",
                    brk_time_format(*t, when, sizeof when),
                    VNREQ_MAX_AHEAD / 86400);
    }
    *t = MAX(*t, c->now);
    return 0;
}

/* Reads the duration member 'key'. */
static int
get_duration(struct vctx *c, const json_t *obj, const char *path,
             const char *key, bool *present, int64_t *secs)
{
    char p[300];
    char d[96];
    const json_t *v = json_object_get(obj, key);

    member_path(p, sizeof p, path, key);
    *present = v != NULL;
    if (!v) {
        return 0;
    }
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        *secs = json_integer_value(v);
    } else if (!json_is_string(v)
               || brk_duration_parse(json_string_value(v), secs)) {
        return fail(c, p, "must be a positive duration such as \"90s\", "
                    "\"30m\", \"2h\", \"1d12h\" or seconds, got %s",
                    describe(v, d, sizeof d));
    }
    if (*secs > VNREQ_MAX_DURATION) {
        return fail(c, p, "%s is longer than %lld days",
                    describe(v, d, sizeof d), VNREQ_MAX_DURATION / 86400);
    }
    return 0;
}

/* Checks "time" ("start" + "end" | "start" + "duration" | "window" +
 * "duration") and fills the timing of 'r'. */
static int
check_timing(struct vctx *c, const json_t *time, struct vnreq *r)
{
    static const char *const fields[] = {
        "start", "end", "duration", "window", NULL
    };
    static const char *const wfields[] = { "earliest", "latest", NULL };
    bool has_start, has_end, has_dur;
    int error;

    if (!time) {
        return fail(c, "time", "missing (give start and end, start and "
                    "duration, or window and duration)");
    }
    if (!json_is_object(time)) {
        return fail(c, "time", "must be an object, got %s", type_name(time));
    }
    if ((error = only_fields(c, time, "time", fields))
        || (error = get_time(c, time, "time", "start", &has_start, &r->start))
        || (error = get_time(c, time, "time", "end", &has_end, &r->end))
        || (error = get_duration(c, time, "time", "duration", &has_dur,
                                 &r->duration))) {
        return error;
    }
    const json_t *window = json_object_get(time, "window");
    if (window) {
        bool has_e, has_l;
        if (has_start || has_end) {
            return fail(c, "time.window", "give a window or a start/end, "
                        "not both");
        }
        if (!json_is_object(window)) {
            return fail(c, "time.window", "must be an object with earliest "
                        "and latest, got %s", type_name(window));
        }
        if ((error = only_fields(c, window, "time.window", wfields))
            || (error = get_time(c, window, "time.window", "earliest", &has_e,
                                 &r->earliest))
            || (error = get_time(c, window, "time.window", "latest", &has_l,
                                 &r->latest))) {
            return error;
        }
        if (!has_e || !has_l) {
            return fail(c, has_e ? "time.window.latest"
                               : "time.window.earliest", "missing");
        }
        if (!has_dur) {
            return fail(c, "time.duration", "missing (a window needs a "
                        "duration)");
        }
        if ((error = check_start(c, "time.window.earliest", &r->earliest))) {
            return error;
        }
        if (r->latest < r->earliest) {
            return fail(c, "time.window.latest", "is before earliest");
        }
        if (r->latest > c->now + VNREQ_MAX_AHEAD) {
            return fail(c, "time.window.latest", "is more than %lld days "
                        "ahead", VNREQ_MAX_AHEAD / 86400);
        }
        r->timing = VNREQ_WINDOW;
        return 0;
    }
    if (!has_start) {
        return fail(c, "time.start", "missing (or give a window)");
    }
    if ((error = check_start(c, "time.start", &r->start))) {
        return error;
    }
    if (has_end == has_dur) {
        return fail(c, has_end ? "time.duration" : "time.end",
                    has_end ? "give end or duration, not both"
                            : "missing (or give a duration)");
    }
    if (has_end) {
        if (r->end <= r->start) {
            return fail(c, "time.end", "must be after the start");
        }
        r->duration = r->end - r->start;
        if (r->duration > VNREQ_MAX_DURATION) {
            return fail(c, "time.end", "the lease would last more than "
                        "%lld days", VNREQ_MAX_DURATION / 86400);
        }
    } else {
        r->end = r->start + r->duration;
    }
    r->timing = VNREQ_FIXED;
    return 0;
}

/* Finds the node called 'name'; returns its index or -1. */
static ptrdiff_t
find_node(const struct vnreq *r, const char *name)
{
    for (size_t i = 0; i < r->n_nodes; i++) {
        if (!strcmp(r->nodes[i].name, name)) {
            return i;
        }
    }
    return -1;
}

/* Reads the array member 'key' of the request; 'max' items at most. */
static int
get_array(struct vctx *c, const json_t *root, const char *key, bool required,
          size_t max, const json_t **out)
{
    const json_t *v = json_object_get(root, key);

    *out = v;
    if (!v) {
        return required ? fail(c, key, "missing") : 0;
    }
    if (!json_is_array(v)) {
        return fail(c, key, "must be a list, got %s", type_name(v));
    }
    if (required && !json_array_size(v)) {
        return fail(c, key, "must not be empty");
    }
    if (json_array_size(v) > max) {
        return fail(c, key, "has %zu items, at most %zu", json_array_size(v),
                    max);
    }
    return 0;
}

/* Checks node object 'j' at 'path' into 'n' (names are unique among
 * the nodes of 'r' read so far). */
static int
check_node(struct vctx *c, const json_t *j, const char *path,
           struct vnreq *r, struct vnreq_node *n)
{
    static const char *const fields[] = {
        "name", "cpu", "inp", "location", "plane", "controller", "program",
        "limits", NULL
    };
    char p[300], d[96];
    int error;

    if (!json_is_object(j)) {
        return fail(c, path, "must be an object, got %s", type_name(j));
    }
    if ((error = only_fields(c, j, path, fields))
        || (error = get_string(c, j, path, "name", true, true, &n->name))) {
        return error;
    }
    if (find_node(r, n->name) >= 0) {
        return fail(c, member_path(p, sizeof p, path, "name"),
                    "duplicate node name \"%s\"", n->name);
    }
    const json_t *cpu = json_object_get(j, "cpu");
    member_path(p, sizeof p, path, "cpu");
    if (!cpu) {
        return fail(c, p, "missing");
    }
    if (!json_is_integer(cpu) || json_integer_value(cpu) <= 0
        || json_integer_value(cpu) > VNREQ_MAX_CPU) {
        return fail(c, p, "must be an integer in 1..%d, got %s",
                    VNREQ_MAX_CPU, describe(cpu, d, sizeof d));
    }
    n->cpu = json_integer_value(cpu);
    if ((error = get_string(c, j, path, "inp", false, true, &n->inp))
        || (error = get_string(c, j, path, "location", false, true,
                               &n->location))) {
        return error;
    }
    char *plane;
    if ((error = get_string(c, j, path, "plane", false, false, &plane))) {
        return error;
    }
    n->plane = VNREQ_L2LEARN;
    if (plane) {
        int i;
        for (i = 0; i < VNREQ_N_PLANES && strcmp(plane, plane_names[i]); i++) {
            continue;
        }
        if (i == VNREQ_N_PLANES) {
            error = fail(c, member_path(p, sizeof p, path, "plane"),
                         "must be l2learn, openflow or ebpf, got \"%s\"",
                         plane);
            free(plane);
            return error;
        }
        free(plane);
        n->plane = i;
    }
    if ((error = get_string(c, j, path, "controller", false, false,
                            &n->controller))
        || (error = get_string(c, j, path, "program", false, false,
                               &n->program))) {
        return error;
    }
    if (n->plane == VNREQ_OPENFLOW && !n->controller) {
        return fail(c, member_path(p, sizeof p, path, "controller"),
                    "missing (an openflow node needs its controller, e.g. "
                    "\"tcp:127.0.0.1:6653\")");
    }
    if (n->controller && n->plane != VNREQ_OPENFLOW) {
        return fail(c, member_path(p, sizeof p, path, "controller"),
                    "only an openflow node has a controller (plane is %s)",
                    plane_names[n->plane]);
    }
    if (n->controller && strncmp(n->controller, "tcp:", 4)
        && strncmp(n->controller, "unix:", 5)) {
        return fail(c, member_path(p, sizeof p, path, "controller"),
                    "must be tcp:HOST:PORT or unix:PATH, got \"%s\"",
                    n->controller);
    }
    const json_t *limits = json_object_get(j, "limits");
    if (limits) {
        const char *k;
        json_t *v;
        member_path(p, sizeof p, path, "limits");
        if (!json_is_object(limits)) {
            return fail(c, p, "must be an object, got %s", type_name(limits));
        }
        json_object_foreach((json_t *) limits, k, v) {
            char q[340];
            snprintf(q, sizeof q, "%s.%s", p, k);
            if (!inherit_is_limit(k)) {
                return fail(c, q, "unknown limit (flows, tables, "
                            "table_entries or program_bytes)");
            }
            if (!json_is_integer(v) || json_integer_value(v) < 1
                || json_integer_value(v) > INT32_MAX) {
                return fail(c, q, "must be an integer in 1..%d, got %s",
                            INT32_MAX, describe(v, d, sizeof d));
            }
        }
        n->limits = json_deep_copy(limits);
    }
    if (n->plane == VNREQ_EBPF && !n->program) {
        return fail(c, member_path(p, sizeof p, path, "program"),
                    "missing (an ebpf node needs its program)");
    }
    if (n->program && n->plane != VNREQ_EBPF) {
        return fail(c, member_path(p, sizeof p, path, "program"),
                    "only an ebpf node has a program (plane is %s)",
                    plane_names[n->plane]);
    }
    return 0;
}

/* Reads the node name at index 'k' of 'endpoints'. */
static int
get_endpoint(struct vctx *c, const json_t *eps, size_t k, const char *path,
             const struct vnreq *r, uint32_t *index)
{
    char p[300], d[96];
    const json_t *v = json_array_get(eps, k);

    snprintf(p, sizeof p, "%s.endpoints[%zu]", path, k);
    if (!json_is_string(v)) {
        return fail(c, p, "must be a node name, got %s",
                    describe(v, d, sizeof d));
    }
    ptrdiff_t i = find_node(r, json_string_value(v));
    if (i < 0) {
        return fail(c, p, "no node called \"%s\"", json_string_value(v));
    }
    *index = i;
    return 0;
}

/* Checks link object 'j' at 'path' into 'l', against the nodes and
 * links of 'r' read so far. */
static int
check_link(struct vctx *c, const json_t *j, const char *path,
           struct vnreq *r, struct vnreq_link *l)
{
    static const char *const fields[] = {
        "name", "endpoints", "bandwidth", NULL
    };
    char p[300], d[96];
    int error;

    if (!json_is_object(j)) {
        return fail(c, path, "must be an object, got %s", type_name(j));
    }
    if ((error = only_fields(c, j, path, fields))
        || (error = get_string(c, j, path, "name", false, true, &l->name))) {
        return error;
    }
    const json_t *eps = json_object_get(j, "endpoints");
    member_path(p, sizeof p, path, "endpoints");
    if (!eps) {
        return fail(c, p, "missing");
    }
    if (!json_is_array(eps) || json_array_size(eps) != 2) {
        return fail(c, p, "must be a list of two node names");
    }
    if ((error = get_endpoint(c, eps, 0, path, r, &l->a))
        || (error = get_endpoint(c, eps, 1, path, r, &l->b))) {
        return error;
    }
    if (l->a == l->b) {
        return fail(c, p, "a link joins two different nodes, both are "
                    "\"%s\"", r->nodes[l->a].name);
    }
    if (!l->name) {
        l->name = xasprintf("%s-%s", r->nodes[l->a].name,
                            r->nodes[l->b].name);
    }
    for (size_t i = 0; i < r->n_links; i++) {
        const struct vnreq_link *o = &r->links[i];
        if ((o->a == l->a && o->b == l->b) || (o->a == l->b && o->b == l->a)) {
            return fail(c, p, "links[%zu] already joins \"%s\" and \"%s\"",
                        i, r->nodes[l->a].name, r->nodes[l->b].name);
        }
        if (!strcmp(o->name, l->name)) {
            return fail(c, member_path(p, sizeof p, path, "name"),
                        "duplicate link name \"%s\"", l->name);
        }
    }
    const json_t *bw = json_object_get(j, "bandwidth");
    member_path(p, sizeof p, path, "bandwidth");
    if (!bw) {
        return fail(c, p, "missing");
    }
    if (json_is_integer(bw) && json_integer_value(bw) > 0) {
        l->bandwidth = json_integer_value(bw);
    } else if (!json_is_string(bw)
               || units_parse_rate(json_string_value(bw), &l->bandwidth)
               || !l->bandwidth) {
        return fail(c, p, "must be a positive rate such as \"10M\" or "
                    "\"1.5G\", got %s", describe(bw, d, sizeof d));
    }
    if (l->bandwidth > VNREQ_MAX_BPS) {
        return fail(c, p, "%s is more than 10 Tbit/s",
                    describe(bw, d, sizeof d));
    }
    return 0;
}

/* Checks access point object 'j' at 'path' into 'a'. */
static int
check_access(struct vctx *c, const json_t *j, const char *path,
             struct vnreq *r, struct vnreq_access *a)
{
    static const char *const fields[] = { "name", "node", "at", NULL };
    char p[300];
    char *node, *at;
    int error;

    if (!json_is_object(j)) {
        return fail(c, path, "must be an object, got %s", type_name(j));
    }
    if ((error = only_fields(c, j, path, fields))
        || (error = get_string(c, j, path, "name", true, true, &a->name))) {
        return error;
    }
    for (size_t i = 0; i < r->n_access; i++) {
        if (!strcmp(r->access[i].name, a->name)) {
            return fail(c, member_path(p, sizeof p, path, "name"),
                        "duplicate access point name \"%s\"", a->name);
        }
    }
    if ((error = get_string(c, j, path, "node", true, true, &node))) {
        return error;
    }
    ptrdiff_t i = find_node(r, node);
    if (i < 0) {
        error = fail(c, member_path(p, sizeof p, path, "node"),
                     "no node called \"%s\"", node);
        free(node);
        return error;
    }
    free(node);
    a->node = i;
    if ((error = get_string(c, j, path, "at", true, false, &at))) {
        return error;
    }
    char *slash = strchr(at, '/');
    if (slash) {
        *slash = '\0';
    }
    if (!slash || !name_is_valid(at) || !name_is_valid(slash + 1)) {
        if (slash) {
            *slash = '/';
        }
        error = fail(c, member_path(p, sizeof p, path, "at"),
                     "must be INP/ACCESS-POINT (two names), got \"%s\"", at);
        free(at);
        return error;
    }
    a->inp = xstrdup(at);
    a->point = xstrdup(slash + 1);
    free(at);
    return 0;
}

/* Checks the tree 'root' and builds the request. */
static int
validate(struct vctx *c, const json_t *root, struct vnreq **reqp)
{
    static const char *const fields[] = {
        "idempotency_key", "name", "nodes", "links", "access", "time",
        "revisit", NULL
    };
    struct vnreq *r = xzalloc(sizeof *r);
    const json_t *nodes, *links, *access;
    char p[64];
    int error;

    if (!json_is_object(root)) {
        error = fail(c, "", "must be an object (a mapping), got %s",
                     type_name(root));
        goto out;
    }
    if ((error = only_fields(c, root, "", fields))
        || (error = get_string(c, root, "", "idempotency_key", true, false,
                               &r->idempotency_key))) {
        goto out;
    }
    if (strlen(r->idempotency_key) > VNREQ_MAX_KEY) {
        error = fail(c, "idempotency_key", "longer than %d characters",
                     VNREQ_MAX_KEY);
        goto out;
    }
    for (const char *s = r->idempotency_key; *s; s++) {
        if (!isgraph((unsigned char) *s)) {
            error = fail(c, "idempotency_key", "must be printable characters "
                         "without spaces");
            goto out;
        }
    }
    const json_t *revisit = json_object_get(root, "revisit");
    if (revisit && !json_is_boolean(revisit)) {
        error = fail(c, "revisit", "must be true or false, got %s",
                     type_name(revisit));
        goto out;
    }
    r->revisit = json_is_true(revisit);
    if ((error = get_string(c, root, "", "name", false, true, &r->name))
        || (error = get_array(c, root, "nodes", true, VNREQ_MAX_NODES, &nodes))
        || (error = get_array(c, root, "links", false, VNREQ_MAX_LINKS,
                              &links))
        || (error = get_array(c, root, "access", false, VNREQ_MAX_ACCESS,
                              &access))) {
        goto out;
    }
    r->nodes = xcalloc(json_array_size(nodes), sizeof *r->nodes);
    for (size_t i = 0; i < json_array_size(nodes); i++) {
        snprintf(p, sizeof p, "nodes[%zu]", i);
        error = check_node(c, json_array_get(nodes, i), p, r, &r->nodes[i]);
        r->n_nodes++;           /* so that destroy frees its strings */
        if (error) {
            goto out;
        }
    }
    size_t n = links ? json_array_size(links) : 0;
    r->links = xcalloc(n ? n : 1, sizeof *r->links);
    for (size_t i = 0; i < n; i++) {
        snprintf(p, sizeof p, "links[%zu]", i);
        error = check_link(c, json_array_get(links, i), p, r, &r->links[i]);
        r->n_links++;
        if (error) {
            goto out;
        }
    }
    n = access ? json_array_size(access) : 0;
    r->access = xcalloc(n ? n : 1, sizeof *r->access);
    for (size_t i = 0; i < n; i++) {
        snprintf(p, sizeof p, "access[%zu]", i);
        error = check_access(c, json_array_get(access, i), p, r,
                             &r->access[i]);
        r->n_access++;
        if (error) {
            goto out;
        }
    }
    error = check_timing(c, json_object_get(root, "time"), r);

out:
    if (error) {
        vnreq_destroy(r);
        r = NULL;
    }
    *reqp = r;
    return error;
}

/* Checks the tree 'json'. */
int
vnreq_from_json(const json_t *json, int64_t now, struct vnreq **reqp,
                struct brk_error *err)
{
    struct vctx c = { .err = err, .now = now };
    return validate(&c, json, reqp);
}

/* Parses JSON text. */
int
vnreq_parse_json(const char *text, size_t len, int64_t now,
                 struct vnreq **reqp, struct brk_error *err)
{
    json_error_t jerr;

    *reqp = NULL;
    if (len > VNREQ_MAX_TEXT) {
        return brk_error_set(err, EFBIG, "request is %zu bytes, at most %d",
                             len, VNREQ_MAX_TEXT);
    }
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        return brk_error_set(err, EINVAL, "line %d, column %d: %s",
                             jerr.line, jerr.column, jerr.text);
    }
    int error = vnreq_from_json(root, now, reqp, err);
    json_decref(root);
    return error;
}

/* ---- YAML into the same tree, remembering lines ---- */

/* Where each field path starts in the YAML text. */
struct yaml_lines {
    char **paths;
    int *lines;
    size_t n, allocated;
};

static void
lines_add(struct yaml_lines *yl, const char *path, int line)
{
    if (yl->n == yl->allocated) {
        yl->allocated = yl->allocated ? 2 * yl->allocated : 64;
        yl->paths = xrealloc(yl->paths, yl->allocated * sizeof *yl->paths);
        yl->lines = xrealloc(yl->lines, yl->allocated * sizeof *yl->lines);
    }
    yl->paths[yl->n] = xstrdup(path);
    yl->lines[yl->n] = line;
    yl->n++;
}

/* The line of 'path', or of the nearest enclosing field; 0 if unknown. */
static int
lines_find(const struct yaml_lines *yl, const char *path)
{
    char p[300];

    str_copy(p, path, sizeof p);
    for (;;) {
        for (size_t i = 0; i < yl->n; i++) {
            if (!strcmp(yl->paths[i], p)) {
                return yl->lines[i];
            }
        }
        char *cut = strrchr(p, '.');
        char *br = strrchr(p, '[');
        if (br && (!cut || br > cut)) {
            cut = br;
        }
        if (!cut) {
            return 0;
        }
        *cut = '\0';
    }
}

static void
lines_free(struct yaml_lines *yl)
{
    for (size_t i = 0; i < yl->n; i++) {
        free(yl->paths[i]);
    }
    free(yl->paths);
    free(yl->lines);
}

/* True if 's' is a YAML core-schema integer / float we accept. */
static bool
yaml_int(const char *s, json_int_t *v)
{
    char *end;
    if (!*s || (!isdigit((unsigned char) *s) && !((*s == '-' || *s == '+')
                                                  && isdigit((unsigned char) s[1])))) {
        return false;
    }
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (*end || errno) {
        return false;
    }
    *v = x;
    return true;
}

static bool
yaml_float(const char *s, double *v)
{
    char *end;
    if (!*s || !(isdigit((unsigned char) *s) || *s == '-' || *s == '+'
                 || *s == '.')) {
        return false;
    }
    if (!strpbrk(s, ".eE")) {
        return false;
    }
    errno = 0;
    *v = strtod(s, &end);
    return !*end && !errno && (isdigit((unsigned char) end[-1]) || end[-1] == '.');
}

/* The state of one YAML conversion. */
struct yctx {
    yaml_document_t *doc;
    struct yaml_lines *lines;
    struct brk_error *err;
    size_t visits;
};

static json_t *yaml_to_json(struct yctx *, yaml_node_t *, const char *path);

/* Converts a YAML scalar by the core schema: quoted scalars are strings;
 * plain ones may be null, booleans, integers or numbers.  Tags other than
 * the core ones are refused. */
static json_t *
yaml_scalar(struct yctx *y, yaml_node_t *node, const char *path)
{
    const char *s = (const char *) node->data.scalar.value;
    const char *tag = (const char *) node->tag;

    if (tag && strcmp(tag, YAML_STR_TAG) && strcmp(tag, YAML_INT_TAG)
        && strcmp(tag, YAML_FLOAT_TAG) && strcmp(tag, YAML_BOOL_TAG)
        && strcmp(tag, YAML_NULL_TAG)) {
        brk_error_set(y->err, EINVAL, "line %zu: %s: tag %s is not allowed",
                      node->start_mark.line + 1, path[0] ? path : "request",
                      tag);
        return NULL;
    }
    if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
        return json_stringn(s, node->data.scalar.length);
    }
    json_int_t i;
    double d;
    if (!strcmp(s, "") || !strcmp(s, "~") || !strcmp(s, "null")
        || !strcmp(s, "Null") || !strcmp(s, "NULL")) {
        return json_null();
    } else if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
        return json_true();
    } else if (!strcmp(s, "false") || !strcmp(s, "False")
               || !strcmp(s, "FALSE")) {
        return json_false();
    } else if (yaml_int(s, &i)) {
        return json_integer(i);
    } else if (yaml_float(s, &d)) {
        return json_real(d);
    }
    return json_stringn(s, node->data.scalar.length);
}

/* Converts YAML 'node' at 'path' into JSON, recording lines. */
static json_t *
yaml_to_json(struct yctx *y, yaml_node_t *node, const char *path)
{
    char p[300];

    if (!node) {
        brk_error_set(y->err, EINVAL, "%s: broken YAML node", path);
        return NULL;
    }
    if (++y->visits > 200000) {
        brk_error_set(y->err, EINVAL, "request has too many YAML nodes");
        return NULL;
    }
    if (node->start_mark.line + 1 > 0) {
        lines_add(y->lines, path, node->start_mark.line + 1);
    }
    switch (node->type) {
    case YAML_SCALAR_NODE:
        return yaml_scalar(y, node, path);
    case YAML_SEQUENCE_NODE: {
        json_t *arr = json_array();
        size_t i = 0;
        for (yaml_node_item_t *it = node->data.sequence.items.start;
             it < node->data.sequence.items.top; it++, i++) {
            snprintf(p, sizeof p, "%s[%zu]", path, i);
            json_t *v = yaml_to_json(y, yaml_document_get_node(y->doc, *it), p);
            if (!v) {
                json_decref(arr);
                return NULL;
            }
            json_array_append_new(arr, v);
        }
        return arr;
    }
    case YAML_MAPPING_NODE: {
        json_t *obj = json_object();
        for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
             pair < node->data.mapping.pairs.top; pair++) {
            yaml_node_t *k = yaml_document_get_node(y->doc, pair->key);
            if (!k || k->type != YAML_SCALAR_NODE) {
                brk_error_set(y->err, EINVAL, "line %zu: %s: keys must be "
                              "plain names", node->start_mark.line + 1,
                              path[0] ? path : "request");
                json_decref(obj);
                return NULL;
            }
            const char *key = (const char *) k->data.scalar.value;
            member_path(p, sizeof p, path, key);
            if (json_object_get(obj, key)) {
                brk_error_set(y->err, EINVAL, "line %zu: %s: duplicate key",
                              k->start_mark.line + 1, p);
                json_decref(obj);
                return NULL;
            }
            /* The key's line is where the field is written. */
            lines_add(y->lines, p, k->start_mark.line + 1);
            json_t *v = yaml_to_json(y, yaml_document_get_node(y->doc,
                                                                pair->value), p);
            if (!v) {
                json_decref(obj);
                return NULL;
            }
            json_object_set_new(obj, key, v);
        }
        return obj;
    }
    case YAML_NO_NODE:
    default:
        brk_error_set(y->err, EINVAL, "%s: empty YAML node", path);
        return NULL;
    }
}

/* True if the YAML text uses anchors or aliases (refused: expansion
 * bombs, and a request has no need for them). */
static int
yaml_scan_aliases(const char *text, size_t len, struct brk_error *err)
{
    yaml_parser_t parser;
    yaml_token_t token;
    int error = 0;

    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *) text, len);
    for (;;) {
        if (!yaml_parser_scan(&parser, &token)) {
            break;              /* the loader reports syntax errors */
        }
        yaml_token_type_t type = token.type;
        size_t line = token.start_mark.line + 1;
        yaml_token_delete(&token);
        if (type == YAML_ANCHOR_TOKEN || type == YAML_ALIAS_TOKEN) {
            error = brk_error_set(err, EINVAL, "line %zu: YAML anchors and "
                                  "aliases are not allowed", line);
            break;
        }
        if (type == YAML_STREAM_END_TOKEN) {
            break;
        }
    }
    yaml_parser_delete(&parser);
    return error;
}

/* Parses YAML text. */
int
vnreq_parse_yaml(const char *text, size_t len, int64_t now,
                 struct vnreq **reqp, struct brk_error *err)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    struct yaml_lines lines = { 0 };
    int error;

    *reqp = NULL;
    if (len > VNREQ_MAX_TEXT) {
        return brk_error_set(err, EFBIG, "request is %zu bytes, at most %d",
                             len, VNREQ_MAX_TEXT);
    }
    if ((error = yaml_scan_aliases(text, len, err))) {
        return error;
    }
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *) text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        error = brk_error_set(err, EINVAL, "line %zu, column %zu: %s%s%s",
                              parser.problem_mark.line + 1,
                              parser.problem_mark.column + 1,
                              parser.problem ? parser.problem : "bad YAML",
                              parser.context ? " " : "",
                              parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return error;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        yaml_document_delete(&doc);
        yaml_parser_delete(&parser);
        return brk_error_set(err, EINVAL, "request is empty");
    }
    /* A second document is refused. */
    yaml_document_t doc2;
    if (yaml_parser_load(&parser, &doc2)) {
        bool more = yaml_document_get_root_node(&doc2) != NULL;
        yaml_document_delete(&doc2);
        if (more) {
            yaml_document_delete(&doc);
            yaml_parser_delete(&parser);
            return brk_error_set(err, EINVAL, "request has more than one "
                                 "YAML document");
        }
    }

    struct yctx y = { .doc = &doc, .lines = &lines, .err = err };
    json_t *json = yaml_to_json(&y, root, "");
    if (!json) {
        error = EINVAL;
    } else {
        struct vctx c = { .err = err, .now = now };
        error = validate(&c, json, reqp);
        if (error && err) {
            int line = lines_find(&lines, c.err_path);
            if (line > 0) {
                brk_error_prefix(err, "line %d", line);
            }
        }
        json_decref(json);
    }
    lines_free(&lines);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return error;
}

/* JSON or YAML, by the first non-blank character. */
int
vnreq_parse(const char *text, size_t len, int64_t now, struct vnreq **reqp,
            struct brk_error *err)
{
    size_t i = 0;
    while (i < len && isspace((unsigned char) text[i])) {
        i++;
    }
    return i < len && text[i] == '{'
           ? vnreq_parse_json(text, len, now, reqp, err)
           : vnreq_parse_yaml(text, len, now, reqp, err);
}

/* ---- Output ---- */

static void
set_time(json_t *obj, const char *key, int64_t t)
{
    char buf[32];
    json_object_set_new(obj, key, json_string(brk_time_format(t, buf,
                                                              sizeof buf)));
}

/* The canonical JSON of 'r'. */
json_t *
vnreq_to_json(const struct vnreq *r)
{
    json_t *root = json_object();
    json_t *nodes = json_array(), *links = json_array(), *access = json_array();
    json_t *time = json_object();

    json_object_set_new(root, "idempotency_key",
                        json_string(r->idempotency_key));
    if (r->name) {
        json_object_set_new(root, "name", json_string(r->name));
    }
    for (size_t i = 0; i < r->n_nodes; i++) {
        const struct vnreq_node *n = &r->nodes[i];
        json_t *o = json_pack("{s:s, s:i, s:s}", "name", n->name, "cpu",
                              (json_int_t) n->cpu, "plane",
                              plane_names[n->plane]);
        if (n->inp) {
            json_object_set_new(o, "inp", json_string(n->inp));
        }
        if (n->location) {
            json_object_set_new(o, "location", json_string(n->location));
        }
        if (n->controller) {
            json_object_set_new(o, "controller", json_string(n->controller));
        }
        if (n->program) {
            json_object_set_new(o, "program", json_string(n->program));
        }
        if (n->limits) {
            json_object_set_new(o, "limits", json_deep_copy(n->limits));
        }
        json_array_append_new(nodes, o);
    }
    for (size_t i = 0; i < r->n_links; i++) {
        const struct vnreq_link *l = &r->links[i];
        json_array_append_new(links, json_pack(
            "{s:s, s:[s, s], s:I}", "name", l->name, "endpoints",
            r->nodes[l->a].name, r->nodes[l->b].name, "bandwidth",
            (json_int_t) l->bandwidth));
    }
    for (size_t i = 0; i < r->n_access; i++) {
        const struct vnreq_access *a = &r->access[i];
        json_t *o = json_pack("{s:s, s:s}", "name", a->name, "node",
                              r->nodes[a->node].name);
        json_object_set_new(o, "at", json_sprintf("%s/%s", a->inp, a->point));
        json_array_append_new(access, o);
    }
    if (r->timing == VNREQ_FIXED) {
        set_time(time, "start", r->start);
        set_time(time, "end", r->end);
    } else {
        json_t *w = json_object();
        set_time(w, "earliest", r->earliest);
        set_time(w, "latest", r->latest);
        json_object_set_new(time, "window", w);
        json_object_set_new(time, "duration", json_integer(r->duration));
    }
    if (r->revisit) {
        json_object_set_new(root, "revisit", json_true());
    }
    json_object_set_new(root, "nodes", nodes);
    json_object_set_new(root, "links", links);
    json_object_set_new(root, "access", access);
    json_object_set_new(root, "time", time);
    return root;
}

/* Frees 'r'. */
void
vnreq_destroy(struct vnreq *r)
{
    if (!r) {
        return;
    }
    for (size_t i = 0; i < r->n_nodes; i++) {
        struct vnreq_node *n = &r->nodes[i];
        free(n->name);
        free(n->inp);
        free(n->location);
        free(n->controller);
        free(n->program);
        json_decref(n->limits);
    }
    for (size_t i = 0; i < r->n_links; i++) {
        free(r->links[i].name);
    }
    for (size_t i = 0; i < r->n_access; i++) {
        free(r->access[i].name);
        free(r->access[i].inp);
        free(r->access[i].point);
    }
    free(r->nodes);
    free(r->links);
    free(r->access);
    free(r->idempotency_key);
    free(r->name);
    free(r);
}

int64_t
vnreq_total_cpu(const struct vnreq *r)
{
    int64_t sum = 0;
    for (size_t i = 0; i < r->n_nodes; i++) {
        sum += r->nodes[i].cpu;
    }
    return sum;
}

uint64_t
vnreq_total_bandwidth(const struct vnreq *r)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < r->n_links; i++) {
        sum += r->links[i].bandwidth;
    }
    return sum;
}
