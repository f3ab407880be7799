/*
 * topo: the topology model, its text format, generators and shortest
 * paths.  See topo.h and topologies/README.md (the format).
 */
#include "topo.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "gml.h"
#include "graph.h"
#include "units.h"
#include "util.h"

static void topo_finish_hosts(struct topo *t);

/* ---- The model ---------------------------------------------------------- */

struct topo *
topo_create(const char *name)
{
    struct topo *t = xzalloc(sizeof *t);

    t->name = name ? xstrdup(name) : NULL;
    t->g = graph_create();
    return t;
}

void
topo_destroy(struct topo *t)
{
    if (!t) {
        return;
    }
    for (size_t i = 0; i < t->n_sw; i++) {
        free(t->sw[i].name);
        free(t->sw[i].label);
    }
    for (size_t i = 0; i < t->n_links; i++) {
        free(t->links[i].name);
    }
    for (size_t i = 0; i < t->n_hosts; i++) {
        free(t->hosts[i].name);
        free(t->hosts[i].ip);
        free(t->hosts[i].mac);
    }
    free(t->sw);
    free(t->links);
    free(t->hosts);
    graph_destroy(t->g);
    free(t->name);
    free(t);
}

/* Makes room for one more element in '*arrayp' of '*capp' elements. */
static void
grow(void **arrayp, size_t n, size_t *capp, size_t elem)
{
    if (n >= *capp) {
        *capp = *capp ? *capp * 2 : 16;
        *arrayp = xrealloc(*arrayp, *capp * elem);
    }
}

size_t
topo_add_switch(struct topo *t, const char *name, double cpu)
{
    grow((void **) &t->sw, t->n_sw, &t->cap_sw, sizeof *t->sw);
    struct topo_switch *s = &t->sw[t->n_sw];

    memset(s, 0, sizeof *s);
    s->name = xstrdup(name);
    s->cpu = cpu;
    graph_add_node(t->g, name);
    return t->n_sw++;
}

size_t
topo_add_link(struct topo *t, size_t a, size_t b,
              const struct topo_props *props)
{
    grow((void **) &t->links, t->n_links, &t->cap_links, sizeof *t->links);
    struct topo_link *l = &t->links[t->n_links];

    memset(l, 0, sizeof *l);
    l->a = a;
    l->b = b;
    l->props = *props;
    graph_add_edge(t->g, a, b);
    return t->n_links++;
}

size_t
topo_add_host(struct topo *t, const char *name, size_t sw, const char *ip,
              const struct topo_props *props)
{
    grow((void **) &t->hosts, t->n_hosts, &t->cap_hosts, sizeof *t->hosts);
    struct topo_host *h = &t->hosts[t->n_hosts];

    memset(h, 0, sizeof *h);
    h->name = xstrdup(name);
    h->sw = sw;
    h->ip = ip ? xstrdup(ip) : NULL;
    h->props = *props;
    return t->n_hosts++;
}

size_t
topo_find_switch(const struct topo *t, const char *name)
{
    for (size_t i = 0; i < t->n_sw; i++) {
        if (!strcmp(t->sw[i].name, name)) {
            return i;
        }
    }
    return SIZE_MAX;
}

size_t
topo_find_host(const struct topo *t, const char *name)
{
    for (size_t i = 0; i < t->n_hosts; i++) {
        if (!strcmp(t->hosts[i].name, name)) {
            return i;
        }
    }
    return SIZE_MAX;
}

size_t
topo_find_link(const struct topo *t, size_t a, size_t b)
{
    for (size_t i = 0; i < t->n_links; i++) {
        const struct topo_link *l = &t->links[i];
        if ((l->a == a && l->b == b) || (l->a == b && l->b == a)) {
            return i;
        }
    }
    return SIZE_MAX;
}

static bool
link_name_taken(const struct topo *t, const char *name)
{
    for (size_t i = 0; i < t->n_links; i++) {
        if (t->links[i].name && !strcmp(t->links[i].name, name)) {
            return true;
        }
    }
    return false;
}

void
topo_name_links(struct topo *t)
{
    for (size_t i = 0; i < t->n_links; i++) {
        struct topo_link *l = &t->links[i];
        char *name;

        if (l->name) {
            continue;
        }
        name = xasprintf("%s-%s", t->sw[l->a].name, t->sw[l->b].name);
        for (int k = 2; link_name_taken(t, name); k++) {
            free(name);
            name = xasprintf("%s-%s.%d", t->sw[l->a].name,
                             t->sw[l->b].name, k);
        }
        l->name = name;
    }
}

/* Gives hosts without an address 10.0.x.y/16 (by host number, skipping
 * addresses the file gave) and every host without a MAC 02:00:00:xx:yy:zz
 * (likewise). */
void
topo_finish(struct topo *t)
{
    topo_name_links(t);
    topo_finish_hosts(t);
}

static void
topo_finish_hosts(struct topo *t)
{
    uint32_t k = 0;

    for (size_t i = 0; i < t->n_hosts; i++) {
        struct topo_host *h = &t->hosts[i];

        while (!h->ip) {
            char *ip;
            bool taken = false;

            k++;
            ip = xasprintf("10.0.%u.%u/16", (k >> 8) & 0xff, k & 0xff);
            for (size_t j = 0; j < t->n_hosts && !taken; j++) {
                const char *o = t->hosts[j].ip;
                size_t n = strcspn(ip, "/");
                taken = o && !strncmp(o, ip, n) && (o[n] == '/' || !o[n]);
            }
            if (taken || (k & 0xff) == 0 || (k & 0xff) == 0xff) {
                free(ip);
            } else {
                h->ip = ip;
            }
        }
        /* By host number, skipping the MACs the file gave (to others). */
        for (size_t m = i + 1; !h->mac; m++) {
            char *mac = xasprintf("02:00:00:%02x:%02x:%02x",
                                  (unsigned) (m >> 16) & 0xff,
                                  (unsigned) (m >> 8) & 0xff,
                                  (unsigned) m & 0xff);
            bool taken = false;

            for (size_t j = 0; j < t->n_hosts && !taken; j++) {
                taken = t->hosts[j].mac && !strcasecmp(t->hosts[j].mac, mac);
            }
            if (taken) {
                free(mac);
            } else {
                h->mac = mac;
            }
        }
    }
}

/* ---- The text format: parsing --------------------------------------------- */

struct topo_parser {
    const char *fname;
    int line;
    char *err;
    struct topo *t;
    struct topo_props link_defaults, host_defaults;
    double cpu_default;
};

static int __attribute__((format(printf, 2, 3)))
perr(struct topo_parser *ps, const char *fmt, ...)
{
    va_list args;
    char *msg;

    if (!ps->err) {
        va_start(args, fmt);
        if (vasprintf(&msg, fmt, args) < 0) {
            msg = NULL;
        }
        va_end(args);
        ps->err = xasprintf("%s:%d: %s", ps->fname, ps->line,
                            msg ? msg : "error");
        free(msg);
    }
    return EINVAL;
}

#define MAX_WORDS 32

/* Splits 'line' (modified in place) into words: blanks separate, '#'
 * outside quotes starts a comment, "..." quotes (with \" and \\) may
 * appear anywhere in a word (label="New York"). */
static int
split_words(struct topo_parser *ps, char *line, char **words, int *n)
{
    char *r = line, *w = line;

    *n = 0;
    for (;;) {
        while (*r == ' ' || *r == '\t' || *r == '\r') {
            r++;
        }
        if (!*r || *r == '#') {
            return 0;
        }
        if (*n == MAX_WORDS) {
            return perr(ps, "more than %d words on one line", MAX_WORDS);
        }
        words[(*n)++] = w;
        while (*r && *r != ' ' && *r != '\t' && *r != '\r') {
            if (*r == '"') {
                r++;
                while (*r && *r != '"') {
                    if (*r == '\\' && (r[1] == '"' || r[1] == '\\')) {
                        r++;
                    }
                    *w++ = *r++;
                }
                if (!*r) {
                    return perr(ps, "unterminated string (a \" is missing)");
                }
                r++;
            } else if (*r == '#' ) {
                break;
            } else {
                *w++ = *r++;
            }
        }
        bool end = !*r || *r == '#';
        if (*r && !end) {
            r++;
        }
        *w++ = '\0';
        if (end) {
            return 0;
        }
    }
}

static int
check_name(struct topo_parser *ps, const char *what, const char *name)
{
    if (!name_is_valid(name) || strlen(name) > TOPO_NAME_MAX) {
        return perr(ps, "%s name \"%s\": use 1..%d characters of "
                    "[A-Za-z0-9_.-], starting with a letter or digit",
                    what, name, TOPO_NAME_MAX);
    }
    return 0;
}

/* Applies "key=value" 'kv' to 'props' if it is one of rate, delay, loss,
 * queue.  Returns 0 if applied, ENOENT if the key is not one of them, or
 * EINVAL (message set) for a bad value. */
static int
parse_prop(struct topo_parser *ps, const char *what, const char *key,
           const char *val, struct topo_props *props)
{
    int error;

    if (!strcmp(key, "rate")) {
        error = units_parse_rate(val, &props->rate_bps);
        if (error) {
            return perr(ps, "%s: rate \"%s\": expected bits/s like 100M, "
                        "1.5G or 10Mbps", what, val);
        }
    } else if (!strcmp(key, "delay")) {
        error = units_parse_delay(val, &props->delay_us);
        if (error || props->delay_us > 10000000) {
            return perr(ps, "%s: delay \"%s\": expected a delay up to 10 s "
                        "like 250us, 2.5ms or 1s", what, val);
        }
    } else if (!strcmp(key, "loss")) {
        error = units_parse_loss(val, &props->loss_ppm);
        if (error) {
            return perr(ps, "%s: loss \"%s\": expected a percentage 0..100 "
                        "like 0.5%% or parts per million like 5000ppm",
                        what, val);
        }
    } else if (!strcmp(key, "queue")) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(val, &end, 10);
        if (errno || end == val || *end || v > (1u << 20)) {
            return perr(ps, "%s: queue \"%s\": expected a number of packets "
                        "0..1048576", what, val);
        }
        props->queue = v;
    } else {
        return ENOENT;
    }
    return 0;
}

static int
parse_double(struct topo_parser *ps, const char *what, const char *key,
             const char *val, double min, double max, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(val, &end);
    if (errno || end == val || *end || !(v >= min && v <= max)) {
        return perr(ps, "%s: %s \"%s\": expected a number %g..%g", what, key,
                    val, min, max);
    }
    *out = v;
    return 0;
}

/* Splits word w[i] at its '=' into '*key' and '*val'.  The words
 * w[first..i-1] were split before (each is now its key): a key given
 * twice on one line is refused, rather than silently taking one value. */
static int
split_kv(struct topo_parser *ps, const char *what, char **w, int i,
         int first, char **key, char **val)
{
    char *eq = strchr(w[i], '=');

    *key = *val = NULL;
    if (!eq || eq == w[i]) {
        return perr(ps, "%s: \"%s\": expected key=value", what, w[i]);
    }
    *eq = '\0';
    for (int j = first; j < i; j++) {
        if (!strcmp(w[j], w[i])) {
            return perr(ps, "%s: key \"%s\" given twice", what, w[i]);
        }
    }
    *key = w[i];
    *val = eq + 1;
    return 0;
}

static int
parse_defaults(struct topo_parser *ps, char **w, int n)
{
    struct topo_props *props;

    if (n < 2) {
        return perr(ps, "defaults: expected \"defaults link|host|switch "
                    "key=value...\"");
    }
    if (!strcmp(w[1], "link")) {
        props = &ps->link_defaults;
    } else if (!strcmp(w[1], "host")) {
        props = &ps->host_defaults;
    } else if (!strcmp(w[1], "switch")) {
        props = NULL;
    } else {
        return perr(ps, "defaults: \"%s\": expected link, host or switch",
                    w[1]);
    }
    for (int i = 2; i < n; i++) {
        char *key, *val;
        int error = split_kv(ps, "defaults", w, i, 2, &key, &val);

        if (error) {
            return error;
        }
        if (!props) {
            if (strcmp(key, "cpu")) {
                return perr(ps, "defaults switch: unknown key \"%s\" "
                            "(known: cpu)", key);
            }
            error = parse_double(ps, "defaults switch", key, val, 0, 1e12,
                                 &ps->cpu_default);
        } else {
            error = parse_prop(ps, "defaults", key, val, props);
            if (error == ENOENT) {
                return perr(ps, "defaults %s: unknown key \"%s\" (known: "
                            "rate, delay, loss, queue)", w[1], key);
            }
        }
        if (error) {
            return error;
        }
    }
    return 0;
}

static int
parse_switch(struct topo_parser *ps, char **w, int n)
{
    struct topo *t = ps->t;
    struct topo_switch *s;
    bool has_lat = false, has_lon = false;
    size_t idx;
    int error;

    if (n < 2) {
        return perr(ps, "switch: expected \"switch NAME [cpu=N] "
                    "[label=TEXT] [lat=DEG lon=DEG]\"");
    }
    if ((error = check_name(ps, "switch", w[1]))) {
        return error;
    }
    if (topo_find_switch(t, w[1]) != SIZE_MAX) {
        return perr(ps, "switch %s: declared twice", w[1]);
    }
    if (topo_find_host(t, w[1]) != SIZE_MAX) {
        return perr(ps, "switch %s: a host has that name", w[1]);
    }
    idx = topo_add_switch(t, w[1], ps->cpu_default);
    s = &t->sw[idx];
    s->line = ps->line;
    for (int i = 2; i < n; i++) {
        char *key, *val, what[80];

        snprintf(what, sizeof what, "switch %s", w[1]);
        if ((error = split_kv(ps, what, w, i, 2, &key, &val))) {
            return error;
        }
        if (!strcmp(key, "cpu")) {
            error = parse_double(ps, what, key, val, 0, 1e12, &s->cpu);
        } else if (!strcmp(key, "label")) {
            free(s->label);
            s->label = xstrdup(val);
        } else if (!strcmp(key, "lat")) {
            error = parse_double(ps, what, key, val, -90, 90, &s->lat);
            has_lat = true;
        } else if (!strcmp(key, "lon")) {
            error = parse_double(ps, what, key, val, -180, 180, &s->lon);
            has_lon = true;
        } else {
            return perr(ps, "%s: unknown key \"%s\" (known: cpu, label, "
                        "lat, lon)", what, key);
        }
        if (error) {
            return error;
        }
    }
    if (has_lat != has_lon) {
        return perr(ps, "switch %s: give both lat and lon, or neither",
                    w[1]);
    }
    s->has_coords = has_lat;
    return 0;
}

static int
find_switch_or_complain(struct topo_parser *ps, const char *what,
                        const char *name, size_t *idx)
{
    *idx = topo_find_switch(ps->t, name);
    if (*idx == SIZE_MAX) {
        return perr(ps, "%s: no switch \"%s\" (declare it with \"switch %s\" "
                    "on an earlier line)", what, name, name);
    }
    return 0;
}

static int
parse_link(struct topo_parser *ps, char **w, int n)
{
    struct topo *t = ps->t;
    struct topo_props props = ps->link_defaults;
    char what[80], *name = NULL;
    size_t a, b, idx;
    int error;

    if (n < 3) {
        return perr(ps, "link: expected \"link SWITCH SWITCH [rate=R] "
                    "[delay=D] [loss=L] [queue=N] [name=NAME]\"");
    }
    snprintf(what, sizeof what, "link %s %s", w[1], w[2]);
    if ((error = find_switch_or_complain(ps, what, w[1], &a))
        || (error = find_switch_or_complain(ps, what, w[2], &b))) {
        return error;
    }
    if (a == b) {
        return perr(ps, "%s: both ends are the same switch", what);
    }
    for (int i = 3; i < n; i++) {
        char *key, *val;

        if ((error = split_kv(ps, what, w, i, 3, &key, &val))) {
            return error;
        }
        if (!strcmp(key, "name")) {
            if (!name_is_valid(val) || strlen(val) > 2 * TOPO_NAME_MAX + 4) {
                return perr(ps, "%s: name \"%s\": use 1..%d characters of "
                            "[A-Za-z0-9_.-]", what, val, 2 * TOPO_NAME_MAX + 4);
            }
            if (link_name_taken(t, val)) {
                return perr(ps, "%s: name \"%s\" is taken by another link",
                            what, val);
            }
            name = val;
            continue;
        }
        error = parse_prop(ps, what, key, val, &props);
        if (error == ENOENT) {
            return perr(ps, "%s: unknown key \"%s\" (known: rate, delay, "
                        "loss, queue, name)", what, key);
        }
        if (error) {
            return error;
        }
    }
    idx = topo_add_link(t, a, b, &props);
    t->links[idx].line = ps->line;
    t->links[idx].name = name ? xstrdup(name) : NULL;
    return 0;
}

static bool
mac_is_valid(const char *s)
{
    unsigned int b[6];
    char c;

    return sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
                  &b[4], &b[5], &c) == 6 && strlen(s) == 17 && !(b[0] & 1);
}

/* "A.B.C.D" or "A.B.C.D/LEN"; stores the address with its prefix length
 * (default 16) in '*out'. */
static bool
ip_parse(const char *s, char **out)
{
    char addr[INET_ADDRSTRLEN + 1];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t) (slash - s) : strlen(s);
    struct in_addr in;
    long len = 16;

    if (n >= sizeof addr) {
        return false;
    }
    memcpy(addr, s, n);
    addr[n] = '\0';
    if (inet_pton(AF_INET, addr, &in) != 1) {
        return false;
    }
    if (slash) {
        char *end;
        len = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end || len < 1 || len > 32) {
            return false;
        }
    }
    *out = xasprintf("%s/%ld", addr, len);
    return true;
}

static int
parse_host(struct topo_parser *ps, char **w, int n)
{
    struct topo *t = ps->t;
    struct topo_props props = ps->host_defaults;
    char what[80], *ip = NULL, *mac = NULL;
    size_t sw, idx;
    int error;

    if (n < 3) {
        return perr(ps, "host: expected \"host NAME SWITCH [ip=A.B.C.D/LEN] "
                    "[mac=MAC] [rate=R] [delay=D] [loss=L] [queue=N]\"");
    }
    if ((error = check_name(ps, "host", w[1]))) {
        return error;
    }
    snprintf(what, sizeof what, "host %s", w[1]);
    if (topo_find_host(t, w[1]) != SIZE_MAX) {
        return perr(ps, "%s: declared twice", what);
    }
    if (topo_find_switch(t, w[1]) != SIZE_MAX) {
        return perr(ps, "%s: a switch has that name", what);
    }
    if ((error = find_switch_or_complain(ps, what, w[2], &sw))) {
        return error;
    }
    for (int i = 3; i < n; i++) {
        char *key, *val;

        if ((error = split_kv(ps, what, w, i, 3, &key, &val))) {
            goto out;
        }
        if (!strcmp(key, "ip")) {
            free(ip);
            ip = NULL;
            if (!ip_parse(val, &ip)) {
                error = perr(ps, "%s: ip \"%s\": expected an IPv4 address "
                             "with an optional prefix length, like "
                             "10.0.0.1/24", what, val);
                goto out;
            }
        } else if (!strcmp(key, "mac")) {
            if (!mac_is_valid(val)) {
                error = perr(ps, "%s: mac \"%s\": expected a unicast MAC "
                             "like 02:00:00:00:00:01", what, val);
                goto out;
            }
            free(mac);
            mac = xstrdup(val);
        } else {
            error = parse_prop(ps, what, key, val, &props);
            if (error == ENOENT) {
                error = perr(ps, "%s: unknown key \"%s\" (known: ip, mac, "
                             "rate, delay, loss, queue)", what, key);
            }
            if (error) {
                goto out;
            }
        }
    }
    idx = topo_add_host(t, w[1], sw, ip, &props);
    t->hosts[idx].mac = mac;
    t->hosts[idx].line = ps->line;
    mac = NULL;
out:
    free(ip);
    free(mac);
    return error;
}

static int
parse_line(struct topo_parser *ps, char *line)
{
    char *w[MAX_WORDS];
    int n, error;

    if ((error = split_words(ps, line, w, &n)) || !n) {
        return error;
    }
    if (!strcmp(w[0], "topology")) {
        if (n != 2 || !name_is_valid(w[1]) || strlen(w[1]) > TOPO_NAME_MAX) {
            return perr(ps, "topology: expected \"topology NAME\" (1..%d "
                        "characters of [A-Za-z0-9_.-])", TOPO_NAME_MAX);
        }
        free(ps->t->name);
        ps->t->name = xstrdup(w[1]);
        return 0;
    } else if (!strcmp(w[0], "defaults")) {
        return parse_defaults(ps, w, n);
    } else if (!strcmp(w[0], "switch")) {
        return parse_switch(ps, w, n);
    } else if (!strcmp(w[0], "link")) {
        return parse_link(ps, w, n);
    } else if (!strcmp(w[0], "host")) {
        return parse_host(ps, w, n);
    }
    return perr(ps, "unknown keyword \"%s\" (known: topology, defaults, "
                "switch, link, host)", w[0]);
}

/* Checks what only the whole file can tell. */
static int
topo_check(struct topo_parser *ps)
{
    struct topo *t = ps->t;

    for (size_t i = 0; i < t->n_hosts; i++) {
        for (size_t j = 0; j < i; j++) {
            const char *a = t->hosts[i].ip, *b = t->hosts[j].ip;
            size_t n;

            if (!a || !b) {
                continue;
            }
            n = strcspn(a, "/");
            if (n == strcspn(b, "/") && !strncmp(a, b, n)) {
                ps->line = t->hosts[i].line;
                return perr(ps, "host %s: ip %.*s is also host %s's",
                            t->hosts[i].name, (int) n, a, t->hosts[j].name);
            }
            if (t->hosts[i].mac && t->hosts[j].mac
                && !strcasecmp(t->hosts[i].mac, t->hosts[j].mac)) {
                ps->line = t->hosts[i].line;
                return perr(ps, "host %s: mac %s is also host %s's",
                            t->hosts[i].name, t->hosts[i].mac,
                            t->hosts[j].name);
            }
        }
    }
    return 0;
}

int
topo_parse_string(const char *text, const char *fname, struct topo **tp,
                  char **errp)
{
    struct topo_parser ps = {
        .fname = fname ? fname : "<string>",
        .t = topo_create(NULL),
        .cpu_default = 100,
    };
    const char *p = text;
    int error = 0;

    *tp = NULL;
    *errp = NULL;
    while (*p && !error) {
        size_t n = strcspn(p, "\n");
        char *line = xmalloc(n + 1);

        memcpy(line, p, n);
        line[n] = '\0';
        ps.line++;
        if (memchr(p, '\0', n)) {
            error = perr(&ps, "NUL byte");
        } else {
            error = parse_line(&ps, line);
        }
        free(line);
        p += n + (p[n] == '\n');
    }
    if (!error && !ps.t->n_sw) {
        ps.line = MAX(ps.line, 1);
        error = perr(&ps, "no switch: a topology needs at least one "
                     "\"switch NAME\" line");
    }
    if (!error) {
        error = topo_check(&ps);
    }
    if (error) {
        topo_destroy(ps.t);
        *errp = ps.err ? ps.err : xstrdup("error");
        return error;
    }
    topo_name_links(ps.t);
    topo_finish_hosts(ps.t);
    *tp = ps.t;
    return 0;
}

static int
read_whole_file(const char *path, char **textp, char **errp)
{
    FILE *f = fopen(path, "r");
    char *text = NULL;
    size_t len = 0, cap = 0, n;

    *textp = NULL;
    if (!f) {
        int error = errno;
        *errp = xasprintf("%s: %s", path, strerror(error));
        return error;
    }
    do {
        if (cap - len < 65536) {
            cap = cap * 2 + 65536;
            text = xrealloc(text, cap + 1);
        }
        n = fread(text + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    if (ferror(f)) {
        int error = errno ? errno : EIO;
        fclose(f);
        free(text);
        *errp = xasprintf("%s: %s", path, strerror(error));
        return error;
    }
    fclose(f);
    text[len] = '\0';
    if (strlen(text) != len) {
        free(text);
        *errp = xasprintf("%s: holds a NUL byte: not a topology file", path);
        return EINVAL;
    }
    *textp = text;
    return 0;
}

int
topo_parse_file(const char *path, struct topo **tp, char **errp)
{
    char *text;
    int error;

    *tp = NULL;
    error = read_whole_file(path, &text, errp);
    if (!error) {
        error = topo_parse_string(text, path, tp, errp);
        free(text);
    }
    return error;
}

static bool
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcasecmp(s + n - m, suffix);
}

int
topo_load(const char *path, const struct topo_import_opts *import,
          struct topo **tp, char **errp)
{
    struct topo_import_opts defaults = { .host_per_switch = true };
    struct graph *g;
    char *base, *dot;
    int error;

    if (!ends_with(path, ".gml")) {
        return topo_parse_file(path, tp, errp);
    }
    error = gml_read_file(path, &g, errp);
    if (error) {
        *tp = NULL;
        return error;
    }
    base = strrchr(path, '/');
    base = xstrdup(base ? base + 1 : path);
    dot = strrchr(base, '.');
    *dot = '\0';
    for (char *c = base; *c; c++) {
        *c = isalnum((unsigned char) *c) || *c == '_' || *c == '.'
             ? tolower((unsigned char) *c) : '-';
    }
    error = topo_from_graph(g, name_is_valid(base) ? base : "zoo",
                            import ? import : &defaults, stderr, tp, errp);
    free(base);
    graph_destroy(g);
    return error;
}

/* ---- The text format: writing ------------------------------------------ */

/* Writes " key=value" for each property that differs from 'ref'. */
static void
write_props(FILE *out, const struct topo_props *p,
            const struct topo_props *ref)
{
    char buf[32];

    if (!ref || p->rate_bps != ref->rate_bps) {
        fprintf(out, " rate=%s", units_format_rate(p->rate_bps, buf,
                                                     sizeof buf));
    }
    if (!ref || p->delay_us != ref->delay_us) {
        fprintf(out, " delay=%" PRIu32 "us", p->delay_us);
    }
    if (ref ? p->loss_ppm != ref->loss_ppm : p->loss_ppm != 0) {
        fprintf(out, " loss=%" PRIu32 "ppm", p->loss_ppm);
    }
    if (ref ? p->queue != ref->queue : p->queue != 0) {
        fprintf(out, " queue=%" PRIu32, p->queue);
    }
}

/* Writes 's' quoted if it holds blanks, line breaks, quotes or '#' (a
 * line break, which a quoted value cannot hold, becomes a blank). */
static void
write_value(FILE *out, const char *s)
{
    if (*s && !strpbrk(s, " \t\r\n\"#\\=")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') {
            fputc('\\', out);
        }
        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, out);
    }
    fputc('"', out);
}

void
topo_write(const struct topo *t, FILE *out)
{
    static const struct topo_props zero;

    if (t->name) {
        fprintf(out, "topology %s\n\n", t->name);
    }
    for (size_t i = 0; i < t->n_sw; i++) {
        const struct topo_switch *s = &t->sw[i];

        fprintf(out, "switch %s cpu=%g", s->name, s->cpu);
        if (s->label) {
            fputs(" label=", out);
            write_value(out, s->label);
        }
        if (s->has_coords) {
            fprintf(out, " lat=%.5f lon=%.5f", s->lat, s->lon);
        }
        fputc('\n', out);
    }
    if (t->n_links) {
        fputc('\n', out);
    }
    for (size_t i = 0; i < t->n_links; i++) {
        const struct topo_link *l = &t->links[i];
        char *auto_name = xasprintf("%s-%s", t->sw[l->a].name,
                                    t->sw[l->b].name);

        fprintf(out, "link %s %s", t->sw[l->a].name, t->sw[l->b].name);
        write_props(out, &l->props, NULL);
        if (l->name && strcmp(l->name, auto_name)) {
            fprintf(out, " name=%s", l->name);
        }
        free(auto_name);
        fputc('\n', out);
    }
    if (t->n_hosts) {
        fputc('\n', out);
    }
    for (size_t i = 0; i < t->n_hosts; i++) {
        const struct topo_host *h = &t->hosts[i];

        fprintf(out, "host %s %s", h->name, t->sw[h->sw].name);
        if (h->ip) {
            fprintf(out, " ip=%s", h->ip);
        }
        if (h->mac) {
            fprintf(out, " mac=%s", h->mac);
        }
        write_props(out, &h->props, &zero);
        fputc('\n', out);
    }
}

/* ---- Generators ------------------------------------------------------------ */

static void
add_host_on(struct topo *t, const char *name, size_t sw)
{
    static const struct topo_props none;
    topo_add_host(t, name, sw, NULL, &none);
}

struct topo *
topo_gen_line(unsigned n, const struct topo_props *link)
{
    char *name = xasprintf("line%u", n);
    struct topo *t = topo_create(name);

    free(name);
    for (unsigned i = 1; i <= n; i++) {
        char sw[16], h[16];

        snprintf(sw, sizeof sw, "s%u", i);
        snprintf(h, sizeof h, "h%u", i);
        topo_add_switch(t, sw, 100);
        add_host_on(t, h, i - 1);
        if (i > 1) {
            topo_add_link(t, i - 2, i - 1, link);
        }
    }
    topo_name_links(t);
    topo_finish_hosts(t);
    return t;
}

struct topo *
topo_gen_ring(unsigned n, const struct topo_props *link)
{
    struct topo *t = topo_gen_line(n, link);
    char *name = xasprintf("ring%u", n);

    free(t->name);
    t->name = name;
    if (n > 2) {
        topo_add_link(t, n - 1, 0, link);
        topo_name_links(t);
    }
    return t;
}

struct topo *
topo_gen_fattree(unsigned k, const struct topo_props *link)
{
    char *name = xasprintf("fattree%u", k);
    struct topo *t = topo_create(name);
    unsigned half = k / 2;
    size_t core0, n_host = 0;

    free(name);
    core0 = t->n_sw;
    for (unsigned c = 0; c < half * half; c++) {
        char sw[16];
        snprintf(sw, sizeof sw, "c%u", c + 1);
        topo_add_switch(t, sw, 100);
    }
    for (unsigned p = 0; p < k; p++) {
        size_t agg0 = t->n_sw, edge0;

        for (unsigned a = 0; a < half; a++) {
            char sw[32];
            snprintf(sw, sizeof sw, "p%ua%u", p + 1, a + 1);
            topo_add_switch(t, sw, 100);
            /* Aggregation switch a reaches core switches a*half .. +half-1. */
            for (unsigned c = 0; c < half; c++) {
                topo_add_link(t, core0 + a * half + c, agg0 + a, link);
            }
        }
        edge0 = t->n_sw;
        for (unsigned e = 0; e < half; e++) {
            char sw[32];
            snprintf(sw, sizeof sw, "p%ue%u", p + 1, e + 1);
            topo_add_switch(t, sw, 100);
            for (unsigned a = 0; a < half; a++) {
                topo_add_link(t, agg0 + a, edge0 + e, link);
            }
            for (unsigned h = 0; h < half; h++) {
                char hn[16];
                snprintf(hn, sizeof hn, "h%zu", ++n_host);
                add_host_on(t, hn, edge0 + e);
            }
        }
    }
    topo_name_links(t);
    topo_finish_hosts(t);
    return t;
}

/* ---- Shortest paths ----------------------------------------------------------- */

void
topo_shortest_paths(const struct topo *t, size_t src, const bool *usable,
                    uint64_t *dist_us, size_t *prev_link)
{
    size_t n = t->n_sw;
    uint32_t *hops = xcalloc(n, sizeof *hops);
    bool *done = xcalloc(n, sizeof *done);
    /* A binary heap of (distance, hops, node) would be O(E log V); the
     * maps here have under a thousand nodes, where the O(V^2) scan is
     * about a millisecond and has no ties to get wrong. */
    for (size_t i = 0; i < n; i++) {
        dist_us[i] = UINT64_MAX;
        prev_link[i] = SIZE_MAX;
    }
    dist_us[src] = 0;
    for (;;) {
        size_t u = SIZE_MAX, n_adj;
        const struct graph_adj *adj;

        for (size_t i = 0; i < n; i++) {
            if (!done[i] && dist_us[i] != UINT64_MAX
                && (u == SIZE_MAX || dist_us[i] < dist_us[u]
                    || (dist_us[i] == dist_us[u] && hops[i] < hops[u]))) {
                u = i;
            }
        }
        if (u == SIZE_MAX) {
            break;
        }
        done[u] = true;
        adj = graph_adj(t->g, u, &n_adj);
        for (size_t j = 0; j < n_adj; j++) {
            size_t e = adj[j].edge, v = adj[j].neighbor;
            uint64_t d;

            if (done[v] || (usable && !usable[e])) {
                continue;
            }
            d = dist_us[u] + t->links[e].props.delay_us;
            if (d < dist_us[v] || (d == dist_us[v] && hops[u] + 1 < hops[v])) {
                dist_us[v] = d;
                hops[v] = hops[u] + 1;
                prev_link[v] = e;
            }
        }
    }
    free(hops);
    free(done);
}

size_t
topo_path_to(const struct topo *t, const size_t *prev_link, size_t src,
             size_t dst, size_t *path)
{
    size_t n = 0, v = dst;

    if (src != dst && prev_link[dst] == SIZE_MAX) {
        return 0;
    }
    while (v != src) {
        const struct topo_link *l = &t->links[prev_link[v]];
        path[n++] = v;
        v = l->a == v ? l->b : l->a;
    }
    path[n++] = src;
    for (size_t i = 0; i < n / 2; i++) {
        size_t tmp = path[i];
        path[i] = path[n - 1 - i];
        path[n - 1 - i] = tmp;
    }
    return n;
}
