/*
 * `lamina topo ...`: emulated topologies (see docs/topologies.md).
 *
 *     lamina topo up FILE [--name N] [--netns-prefix P] [--slice MODE] ...
 *     lamina topo down [--name N]
 *     lamina topo status [--name N] [--json]
 *     lamina topo exec [--name N] HOST CMD...
 *     lamina topo link [--name N] A B down|up|set rate=R delay=D loss=L
 *     lamina topo path [--name N] HOST HOST [--json]
 *     lamina topo dot [FILE] [--name N] [--png OUT]
 *     lamina topo import FILE.gml [--rate R] [--host-per-switch] [-o OUT]
 *     lamina topo gen line N | ring N | fattree K [--rate R] [--delay D]
 *     lamina topo list
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "cli_runner.h"
#include "gml.h"
#include "graph.h"
#include "topo.h"
#include "topo_build.h"
#include "topo_part.h"
#include "topo_slice.h"
#include "units.h"
#include "util.h"

#define PROG "lamina topo"

static void
topo_usage(FILE *out)
{
    fprintf(out,
"usage: " PROG " COMMAND [OPTIONS]\n"
"\n"
"Emulated topologies: switches and links in one lamina-switchd, hosts in\n"
"network namespaces.\n"
"\n"
"commands:\n"
"  up FILE [--name N] [--netns-prefix P] [--slice auto|mesh|tree|none]\n"
"          [--rate R] [--hosts N] [--memory MB] [--quiet] [--keep-on-error]\n"
"          [--metrics ADDR:PORT]   (the switch's Prometheus metrics and\n"
"                           live view at http://ADDR:PORT/)\n"
"          [--machines FILE]  split over the running lamina-switchd of each\n"
"                           machine of FILE (lines: NAME socket=PATH\n"
"                           underlay=IF ip=ADDR [netns=NS]), cut links as\n"
"                           MPLS-in-UDP tunnels with BFD at 10 ms x 3\n"
"                           (--no-bfd: none) and backups for the default\n"
"                           slice's virtual links across them\n"
"                           bring a topology up (FILE: topology file or .gml)\n"
"  down [--name N]          remove everything it made\n"
"  status [--name N] [--json]   switches, links, hosts (namespace, address)\n"
"  exec [--name N] HOST CMD...  run CMD in HOST's namespace\n"
"  link [--name N] A B down|up|set [rate=R] [delay=D] [loss=L]\n"
"                           change a link (A B: two switches, or a host and\n"
"                           its switch) at runtime\n"
"  path [--name N] HOST HOST [--json]   the default slice's path and delay\n"
"  dot [FILE] [--name N] [--png OUT]    Graphviz DOT of a file or of a\n"
"                           topology that is up\n"
"  import FILE.gml [--rate R] [--host-per-switch | --hosts N] [--keep-parallel]\n"
"         [--default-delay D] [-o OUT]  Topology Zoo GML to a topology file\n"
"  gen line N | ring N | fattree K [--rate R] [--delay D] [-o OUT]\n"
"  list                     topologies that are up\n"
"  partition FILE --machines N [--json]   how FILE would be split over N\n"
"                           machines (METIS balanced minimum cut): the\n"
"                           switches and hosts of each, the links cut\n"
"\n"
"--name defaults to the only topology that is up; for up, to the file's\n"
"'topology' name or its base name.  See docs/topologies.md.\n");
}

static int
usage_error(const char *fmt, ...)
{
    va_list args;

    fprintf(stderr, PROG ": ");
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fprintf(stderr, "\n(" PROG " --help for the commands)\n");
    return 2;
}

static int
fail_msg(char *err)
{
    fprintf(stderr, PROG ": %s\n", err ? err : "failed");
    free(err);
    return 1;
}

static FILE *
open_out(const char *path)
{
    FILE *f = path && strcmp(path, "-") ? fopen(path, "w") : stdout;

    if (!f) {
        fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
    }
    return f;
}

static int
close_out(FILE *f)
{
    if (f != stdout) {
        return fclose(f) ? 1 : 0;
    }
    return fflush(f) ? 1 : 0;
}

/* A run name from a file name: its base name without extension,
 * lowercased, other characters turned to '-'. */
static char *
name_from_path(const char *path)
{
    const char *base = strrchr(path, '/');
    char *name = xstrdup(base ? base + 1 : path), *dot = strrchr(name, '.');

    if (dot && dot != name) {
        *dot = '\0';
    }
    for (char *c = name; *c; c++) {
        if (!(isalnum((unsigned char) *c) || *c == '_' || *c == '-'
              || *c == '.')) {
            *c = '-';
        }
        *c = tolower((unsigned char) *c);
    }
    if (strlen(name) > TOPO_NAME_MAX) {
        name[TOPO_NAME_MAX] = '\0';
    }
    return name;
}

/* ---- up / down / list ---------------------------------------------------- */

static int
cmd_up(int argc, char *argv[])
{
    static const struct option long_options[] = {
        { "name", required_argument, NULL, 'n' },
        { "netns-prefix", required_argument, NULL, 'P' },
        { "slice", required_argument, NULL, 's' },
        { "rate", required_argument, NULL, 'r' },
        { "memory", required_argument, NULL, 'm' },
        { "hosts", required_argument, NULL, 'H' },
        { "quiet", no_argument, NULL, 'q' },
        { "keep-on-error", no_argument, NULL, 'k' },
        { "metrics", required_argument, NULL, 'M' },
        { "machines", required_argument, NULL, 'X' },
        { "no-bfd", no_argument, NULL, 'B' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct topo_up_opts opts = { .progress = true, .summary = true };
    struct topo_machines machines = { 0 };
    const char *machines_file = NULL;
    struct topo_import_opts imp = { .host_per_switch = true,
                                    .max_hosts = topo_max_hosts() };
    struct topo *t;
    char *err = NULL, *name = NULL;
    int c, error;

    while ((c = getopt_long(argc, argv, "n:qh", long_options, NULL)) != -1) {
        switch (c) {
        case 'n': opts.name = optarg; break;
        case 'P': opts.netns_prefix = optarg; break;
        case 's':
            if (!topo_slice_mode_parse(optarg, &opts.slice)) {
                return usage_error("--slice %s: expected auto, mesh, tree "
                                   "or none", optarg);
            }
            break;
        case 'r':
            if (units_parse_rate(optarg, &imp.rate_bps)) {
                return usage_error("--rate %s: expected a rate like 1G",
                                   optarg);
            }
            break;
        case 'm': opts.memory_mb = strtoul(optarg, NULL, 10); break;
        case 'H':
            imp.host_per_switch = false;
            imp.n_hosts = strtoul(optarg, NULL, 10);
            break;
        case 'q': opts.progress = opts.summary = false; break;
        case 'k': opts.keep_on_error = true; break;
        case 'M': opts.metrics = optarg; break;
        case 'X': machines_file = optarg; break;
        case 'B': opts.no_bfd = true; break;
        case 'h': topo_usage(stdout); return 0;
        default: return 2;
        }
    }
    if (optind + 1 != argc) {
        return usage_error("up: expected one FILE");
    }
    opts.progress = opts.progress && isatty(STDERR_FILENO);
    if (opts.no_bfd && !machines_file) {
        return usage_error("--no-bfd: only with --machines (the tunnels' "
                           "sessions)");
    }
    if (machines_file) {
        if (opts.metrics) {
            return usage_error("--metrics: not with --machines (each "
                               "machine's daemon has its own)");
        }
        if (topo_machines_parse_file(machines_file, &machines, &err)) {
            return fail_msg(err);
        }
        opts.machines = &machines;
    }
    if ((error = topo_load(argv[optind], &imp, &t, &err))) {
        topo_machines_destroy(&machines);
        return fail_msg(err);
    }
    if (!opts.name) {
        name = t->name ? xstrdup(t->name) : name_from_path(argv[optind]);
        opts.name = name;
    }
    error = topo_up(t, &opts, &err);
    topo_destroy(t);
    topo_machines_destroy(&machines);
    free(name);
    if (error) {
        return fail_msg(err);
    }
    return 0;
}

/* Options of the commands that take only --name (and --json): returns
 * -1 to go on, or the exit status.  With max_args < 0 the options end at
 * the first argument (exec: the command's own options follow). */
static int
parse_name_only(int argc, char *argv[], const char **name, bool *json,
                int max_args)
{
    static const struct option long_options[] = {
        { "name", required_argument, NULL, 'n' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    while ((c = getopt_long(argc, argv, max_args < 0 ? "+n:h" : "n:h",
                            long_options, NULL)) != -1) {
        switch (c) {
        case 'n': *name = optarg; break;
        case 'j':
            if (!json) {
                return usage_error("%s: no --json", argv[0]);
            }
            *json = true;
            break;
        case 'h': topo_usage(stdout); return 0;
        default: return 2;
        }
    }
    if (max_args >= 0 && argc - optind > max_args) {
        return usage_error("%s: unexpected argument '%s'", argv[0],
                           argv[optind + max_args]);
    }
    return -1;
}

static int
cmd_down(int argc, char *argv[])
{
    const char *name = NULL;
    struct topo_run *run;
    char *err = NULL;
    int rc = parse_name_only(argc, argv, &name, NULL, 0);

    if (rc >= 0) {
        return rc;
    }
    if (!name) {
        /* The only one, as the record tells; a broken record still names
         * its directory. */
        char **names = topo_run_list();
        size_t n = 0;
        while (names[n]) {
            n++;
        }
        if (n != 1) {
            for (size_t i = 0; i < n; i++) {
                free(names[i]);
            }
            free(names);
            return fail_msg(xstrdup(n ? "several topologies are up: say "
                                    "which with --name (lamina topo list)"
                                    : "no topology is up"));
        }
        char *only = names[0];
        free(names);
        rc = topo_down(only, stderr, &err) ? fail_msg(err) : 0;
        free(only);
        return rc;
    }
    (void) run;
    return topo_down(name, stderr, &err) ? fail_msg(err) : 0;
}

static int
cmd_list(int argc, char *argv[])
{
    char **names = topo_run_list();

    (void) argc;
    (void) argv;
    for (size_t i = 0; names[i]; i++) {
        printf("%s\n", names[i]);
        free(names[i]);
    }
    free(names);
    return 0;
}

/* ---- status ---------------------------------------------------------------- */

static void
print_status(const json_t *st)
{
    const json_t *d = json_object_get(st, "daemon"), *s = json_object_get(st, "slice");
    size_t i;
    json_t *o;
    char r[32];

    printf("topology %s: lamina-switchd pid %" JSON_INTEGER_FORMAT " (%s), "
           "socket %s\n", json_string_value(json_object_get(st, "name")),
           json_integer_value(json_object_get(d, "pid")),
           json_is_true(json_object_get(d, "running")) ? "running"
           : "NOT RUNNING", json_string_value(json_object_get(d, "socket")));
    printf("default slice: %s, %" JSON_INTEGER_FORMAT " vnodes, %"
           JSON_INTEGER_FORMAT " virtual links%s\n",
           json_string_value(json_object_get(s, "mode")),
           json_integer_value(json_object_get(s, "vnodes")),
           json_integer_value(json_object_get(s, "vlinks")),
           json_is_true(json_object_get(s, "split_horizon"))
           ? ", split horizon" : "");
    printf("\n%-16s %-8s %s\n", "SWITCH", "CPU", "LABEL");
    json_array_foreach(json_object_get(st, "switches"), i, o) {
        const char *label = json_string_value(json_object_get(o, "label"));
        printf("%-16s %-8g %s\n", json_string_value(json_object_get(o, "name")),
               json_real_value(json_object_get(o, "cpu")), label ? label : "");
    }
    printf("\n%-24s %-12s %-12s %-8s %-10s %-8s %s\n", "LINK", "A", "B",
           "RATE", "DELAY_US", "LOSS_PPM", "UP");
    json_array_foreach(json_object_get(st, "links"), i, o) {
        printf("%-24s %-12s %-12s %-8s %-10" JSON_INTEGER_FORMAT " %-8"
               JSON_INTEGER_FORMAT " %s\n",
               json_string_value(json_object_get(o, "name")),
               json_string_value(json_object_get(o, "a")),
               json_string_value(json_object_get(o, "b")),
               units_format_rate(json_integer_value(json_object_get(o, "rate_bps")),
                                 r, sizeof r),
               json_integer_value(json_object_get(o, "delay_us")),
               json_integer_value(json_object_get(o, "loss_ppm")),
               json_is_true(json_object_get(o, "up")) ? "up" : "DOWN");
    }
    printf("\n%-12s %-12s %-16s %-18s %-18s %-16s %s\n", "HOST", "SWITCH",
           "NETNS", "IP", "MAC", "VETH", "RATE");
    json_array_foreach(json_object_get(st, "hosts"), i, o) {
        printf("%-12s %-12s %-16s %-18s %-18s %-16s %s\n",
               json_string_value(json_object_get(o, "name")),
               json_string_value(json_object_get(o, "switch")),
               json_string_value(json_object_get(o, "netns")),
               json_string_value(json_object_get(o, "ip")),
               json_string_value(json_object_get(o, "mac")),
               json_string_value(json_object_get(o, "veth")),
               units_format_rate(json_integer_value(json_object_get(o, "rate_bps")),
                                 r, sizeof r));
    }
}

static int
cmd_status(int argc, char *argv[])
{
    const char *name = NULL;
    bool json = false;
    struct topo_run *run;
    char *err = NULL;
    json_t *st;
    int rc = parse_name_only(argc, argv, &name, &json, 0);

    if (rc >= 0) {
        return rc;
    }
    if (topo_run_open(name, &run, &err)) {
        return fail_msg(err);
    }
    st = topo_run_status(run);
    if (json) {
        cli_print_json(stdout, st);
    } else {
        print_status(st);
    }
    rc = json_is_true(json_object_get(json_object_get(st, "daemon"),
                                      "running")) ? 0 : 1;
    json_decref(st);
    topo_run_close(run);
    return rc;
}

/* ---- exec -------------------------------------------------------------------- */

static int
cmd_exec(int argc, char *argv[])
{
    const char *name = NULL, *ns;
    struct topo_run *run;
    const json_t *h;
    char *err = NULL, **args;
    int rc = parse_name_only(argc, argv, &name, NULL, -1);

    if (rc >= 0) {
        return rc;
    }
    if (argc - optind < 2) {
        return usage_error("exec: expected HOST CMD...");
    }
    if (topo_run_open(name, &run, &err)) {
        return fail_msg(err);
    }
    h = topo_run_host(run, argv[optind]);
    if (!h) {
        fprintf(stderr, PROG ": topology %s has no host %s\n", run->name,
                argv[optind]);
        topo_run_close(run);
        return 1;
    }
    ns = json_string_value(json_object_get(h, "netns"));
    /* `ip netns exec` also gives the command the namespace's view of
     * /sys and /etc/netns/NAME, which tools such as ethtool expect. */
    args = xcalloc(argc - optind + 5, sizeof *args);
    args[0] = "ip";
    args[1] = "netns";
    args[2] = "exec";
    args[3] = xstrdup(ns);
    for (int i = optind + 1; i < argc; i++) {
        args[4 + i - optind - 1] = argv[i];
    }
    topo_run_close(run);
    execvp("ip", args);
    fprintf(stderr, PROG ": cannot run ip: %s\n", strerror(errno));
    return 1;
}

/* ---- link -------------------------------------------------------------------- */

/* The KEY=VALUE words of `link A B set`: the same names, params and
 * units as the options of `lamina link set`. */
static const struct cli_option link_set_options[] = {
    { "rate", "rate_bps", CLI_RATE },
    { "delay", "delay_us", CLI_DELAY },
    { "loss", "loss_ppm", CLI_LOSS },
};


static int
cmd_link(int argc, char *argv[])
{
    const char *name = NULL, *a, *b, *verb;
    struct topo_run *run;
    size_t sa, sb, host = SIZE_MAX, link = SIZE_MAX;
    json_t *params;
    char *err = NULL;
    int rc = parse_name_only(argc, argv, &name, NULL, -1);

    if (rc >= 0) {
        return rc;
    }
    if (argc - optind < 3) {
        return usage_error("link: expected A B down|up|set KEY=VALUE...");
    }
    a = argv[optind];
    b = argv[optind + 1];
    verb = argv[optind + 2];
    if (strcmp(verb, "down") && strcmp(verb, "up") && strcmp(verb, "set")) {
        return usage_error("link: '%s': expected down, up or set", verb);
    }
    if (strcmp(verb, "set") && argc - optind > 3) {
        return usage_error("link %s: no arguments after it", verb);
    }
    if (!strcmp(verb, "set") && argc - optind < 4) {
        return usage_error("link set: give rate=R, delay=D and/or loss=L");
    }
    if (topo_run_open(name, &run, &err)) {
        return fail_msg(err);
    }
    sa = topo_find_switch(run->t, a);
    sb = topo_find_switch(run->t, b);
    if (sa != SIZE_MAX && sb != SIZE_MAX) {
        link = topo_find_link(run->t, sa, sb);
        if (link == SIZE_MAX) {
            rc = fail_msg(xasprintf("topology %s has no link between %s and "
                                    "%s", run->name, a, b));
            goto out;
        }
        params = json_pack("{s:s}", "name", run->t->links[link].name);
    } else {
        /* A host link: a host and its switch, in either order. */
        const char *hn = sa == SIZE_MAX ? a : b;
        size_t sw = sa == SIZE_MAX ? sb : sa;
        host = topo_find_host(run->t, hn);
        if (host == SIZE_MAX || (sw != SIZE_MAX && run->t->hosts[host].sw != sw)
            || (sa == SIZE_MAX && sb == SIZE_MAX)) {
            rc = fail_msg(xasprintf("topology %s: %s %s is neither two "
                                    "switches with a link nor a host and its "
                                    "switch", run->name, a, b));
            goto out;
        }
        params = json_pack("{s:s, s:s}", "switch",
                           run->t->sw[run->t->hosts[host].sw].name,
                           "name", run->t->hosts[host].name);
    }
    if (!strcmp(verb, "set")) {
        for (int i = optind + 3; i < argc; i++) {
            char *eq = strchr(argv[i], '=');
            const char *val = eq ? eq + 1 : "";
            size_t klen = eq ? (size_t) (eq - argv[i]) : strlen(argv[i]);
            const struct cli_option *o = cli_option_find(
                link_set_options, ARRAY_SIZE(link_set_options), argv[i], klen);
            json_t *v;

            if (o && !cli_parse_value(o->type, o->name, val, &v, NULL, 0)) {
                json_object_set_new(params, o->param, v);
            } else {
                json_decref(params);
                rc = usage_error("link set: '%s': expected rate=R (1G), "
                                 "delay=D (2ms) or loss=L (0.5%%)", argv[i]);
                goto out;
            }
        }
    } else {
        json_object_set_new(params, "up", json_boolean(!strcmp(verb, "up")));
    }
    rc = topo_run_call(run, link != SIZE_MAX ? "link.set" : "port.set",
                       params, NULL, &err) ? fail_msg(err) : 0;
out:
    topo_run_close(run);
    return rc;
}

/* ---- path -------------------------------------------------------------------- */

static int
cmd_path(int argc, char *argv[])
{
    const char *name = NULL;
    bool json = false;
    struct topo_run *run;
    size_t ha, hb, *path, n;
    uint64_t delay = 0;
    char *err = NULL;
    int rc = parse_name_only(argc, argv, &name, &json, 2);

    if (rc >= 0) {
        return rc;
    }
    if (argc - optind != 2) {
        return usage_error("path: expected HOST HOST");
    }
    if (topo_run_open(name, &run, &err)) {
        return fail_msg(err);
    }
    ha = topo_find_host(run->t, argv[optind]);
    hb = topo_find_host(run->t, argv[optind + 1]);
    if (ha == SIZE_MAX || hb == SIZE_MAX) {
        rc = fail_msg(xasprintf("topology %s has no host %s", run->name,
                                argv[optind + (ha != SIZE_MAX)]));
        topo_run_close(run);
        return rc;
    }
    path = xmalloc(run->t->n_sw * sizeof *path);
    n = topo_slice_route(run->t, &run->plan, run->t->hosts[ha].sw,
                         run->t->hosts[hb].sw, path);
    if (!n) {
        rc = fail_msg(xasprintf("%s cannot reach %s in the default slice",
                                argv[optind], argv[optind + 1]));
    } else {
        json_t *sws = json_array(), *links = json_array();
        for (size_t i = 0; i < n; i++) {
            json_array_append_new(sws, json_string(run->t->sw[path[i]].name));
            if (i + 1 < n) {
                size_t l = topo_find_link(run->t, path[i], path[i + 1]);
                delay += run->t->links[l].props.delay_us;
                json_array_append_new(links,
                                      json_string(run->t->links[l].name));
            }
        }
        delay += run->t->hosts[ha].props.delay_us
                 + run->t->hosts[hb].props.delay_us;
        if (json) {
            json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:I, s:I}",
                                  "from", argv[optind], "to", argv[optind + 1],
                                  "switches", sws, "links", links,
                                  "delay_us", (json_int_t) delay,
                                  "rtt_us", (json_int_t) (2 * delay));
            cli_print_json(stdout, o);
            json_decref(o);
        } else {
            printf("%s", argv[optind]);
            for (size_t i = 0; i < n; i++) {
                printf(" %s", run->t->sw[path[i]].name);
            }
            printf(" %s\n%zu switches, one-way delay %" PRIu64 " us, "
                   "round trip %" PRIu64 " us\n", argv[optind + 1], n, delay,
                   2 * delay);
            json_decref(sws);
            json_decref(links);
        }
        rc = 0;
    }
    free(path);
    topo_run_close(run);
    return rc;
}

/* ---- dot ----------------------------------------------------------------------- */

static void
write_dot(const struct topo *t, const json_t *live_links, FILE *out)
{
    char r[32];

    fprintf(out, "graph \"%s\" {\n  graph [overlap=false, splines=true];\n"
            "  node [shape=box, style=filled, fillcolor=\"#dde8f5\", "
            "fontsize=10];\n  edge [fontsize=8];\n",
            t->name ? t->name : "topology");
    for (size_t i = 0; i < t->n_sw; i++) {
        const struct topo_switch *s = &t->sw[i];
        fprintf(out, "  \"%s\" [label=\"%s", s->name, s->name);
        if (s->label) {
            fputs("\\n", out);
            for (const char *c = s->label; *c; c++) {
                if (*c == '"' || *c == '\\') {
                    fputc('\\', out);
                }
                fputc(*c, out);
            }
        }
        fputs("\"];\n", out);
    }
    for (size_t i = 0; i < t->n_links; i++) {
        const struct topo_link *l = &t->links[i];
        bool up = true;
        size_t k;
        json_t *o;

        json_array_foreach(live_links, k, o) {
            if (!strcmp(json_string_value(json_object_get(o, "name")),
                        l->name)) {
                up = !json_is_false(json_object_get(o, "up"));
            }
        }
        fprintf(out, "  \"%s\" -- \"%s\" [label=\"%s %.1fms\"%s];\n",
                t->sw[l->a].name, t->sw[l->b].name,
                units_format_rate(l->props.rate_bps, r, sizeof r),
                l->props.delay_us / 1000.0,
                up ? "" : ", style=dashed, color=red");
    }
    for (size_t i = 0; i < t->n_hosts; i++) {
        const struct topo_host *h = &t->hosts[i];
        char ip[32];
        str_copy(ip, h->ip ? h->ip : "", sizeof ip);
        ip[strcspn(ip, "/")] = '\0';
        fprintf(out, "  \"%s\" [shape=ellipse, fillcolor=\"#f5ecd0\", "
                "label=\"%s\\n%s\"];\n  \"%s\" -- \"%s\";\n", h->name,
                h->name, ip, h->name, t->sw[h->sw].name);
    }
    fputs("}\n", out);
}

static int
cmd_dot(int argc, char *argv[])
{
    static const struct option long_options[] = {
        { "name", required_argument, NULL, 'n' },
        { "png", required_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *name = NULL, *png = NULL;
    struct topo_run *run = NULL;
    struct topo *t = NULL;
    json_t *links = NULL;
    char *err = NULL;
    int c, rc = 0;

    while ((c = getopt_long(argc, argv, "n:h", long_options, NULL)) != -1) {
        switch (c) {
        case 'n': name = optarg; break;
        case 'p': png = optarg; break;
        case 'h': topo_usage(stdout); return 0;
        default: return 2;
        }
    }
    if (argc - optind > 1) {
        return usage_error("dot: at most one FILE");
    }
    if (optind < argc) {
        if (topo_load(argv[optind], NULL, &t, &err)) {
            return fail_msg(err);
        }
    } else {
        if (topo_run_open(name, &run, &err)) {
            return fail_msg(err);
        }
        if (topo_run_call(run, "link.list", NULL, &links, &err)) {
            free(err);          /* the daemon is gone: draw the file */
            links = NULL;
        }
    }
    if (png) {
        char *dotf = xasprintf("%s.dot.tmp", png);
        FILE *f = fopen(dotf, "w");
        if (!f) {
            rc = fail_msg(xasprintf("%s: %s", dotf, strerror(errno)));
        } else {
            write_dot(run ? run->t : t, links, f);
            fclose(f);
            pid_t pid = fork();
            int status = 1;
            if (pid == 0) {
                execlp("dot", "dot", "-Tpng", "-o", png, dotf, (char *) NULL);
                fprintf(stderr, PROG ": cannot run dot (Graphviz): %s\n",
                        strerror(errno));
                _exit(127);
            }
            if (pid < 0 || waitpid(pid, &status, 0) < 0 || status) {
                rc = fail_msg(xasprintf("dot -Tpng failed"));
            }
            unlink(dotf);
        }
        free(dotf);
    } else {
        write_dot(run ? run->t : t, links, stdout);
    }
    json_decref(links);
    topo_run_close(run);
    topo_destroy(t);
    return rc;
}

/* ---- import / gen ------------------------------------------------------------- */

static int
cmd_import(int argc, char *argv[])
{
    static const struct option long_options[] = {
        { "rate", required_argument, NULL, 'r' },
        { "host-per-switch", no_argument, NULL, 'H' },
        { "keep-parallel", no_argument, NULL, 'K' },
        { "hosts", required_argument, NULL, 'N' },
        { "default-delay", required_argument, NULL, 'd' },
        { "name", required_argument, NULL, 'n' },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct topo_import_opts opts = { 0 };
    const char *out_path = NULL, *name = NULL;
    struct graph *g;
    struct topo *t;
    char *err = NULL, *auto_name;
    FILE *out;
    int c;

    while ((c = getopt_long(argc, argv, "o:h", long_options, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (units_parse_rate(optarg, &opts.rate_bps)) {
                return usage_error("--rate %s: expected a rate like 1G",
                                   optarg);
            }
            break;
        case 'H': opts.host_per_switch = true; break;
        case 'K': opts.keep_parallel = true; break;
        case 'N': opts.n_hosts = strtoul(optarg, NULL, 10); break;
        case 'd':
            if (units_parse_delay(optarg, &opts.default_delay_us)) {
                return usage_error("--default-delay %s: expected a delay "
                                   "like 1ms", optarg);
            }
            break;
        case 'n': name = optarg; break;
        case 'o': out_path = optarg; break;
        case 'h': topo_usage(stdout); return 0;
        default: return 2;
        }
    }
    if (optind + 1 != argc) {
        return usage_error("import: expected one FILE.gml");
    }
    if (gml_read_file(argv[optind], &g, &err)) {
        return fail_msg(err);
    }
    auto_name = name_from_path(argv[optind]);
    if (topo_from_graph(g, name ? name : auto_name, &opts, stderr, &t,
                        &err)) {
        graph_destroy(g);
        free(auto_name);
        return fail_msg(err);
    }
    graph_destroy(g);
    free(auto_name);
    out = open_out(out_path);
    if (!out) {
        topo_destroy(t);
        return 1;
    }
    fprintf(out, "# Imported from %s by lamina topo import: link delays "
            "from great-circle\n# distances at %.0f us/km (light in "
            "fibre).\n", argv[optind], TOPO_FIBRE_US_PER_KM);
    topo_write(t, out);
    topo_destroy(t);
    return close_out(out);
}

static int
cmd_gen(int argc, char *argv[])
{
    static const struct option long_options[] = {
        { "rate", required_argument, NULL, 'r' },
        { "delay", required_argument, NULL, 'd' },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct topo_props props = { .rate_bps = 1000000000, .delay_us = 100 };
    const char *out_path = NULL, *kind;
    struct topo *t;
    unsigned long n;
    char *end;
    FILE *out;
    int c;

    while ((c = getopt_long(argc, argv, "o:h", long_options, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (units_parse_rate(optarg, &props.rate_bps)) {
                return usage_error("--rate %s: expected a rate like 1G",
                                   optarg);
            }
            break;
        case 'd':
            if (units_parse_delay(optarg, &props.delay_us)) {
                return usage_error("--delay %s: expected a delay like 1ms",
                                   optarg);
            }
            break;
        case 'o': out_path = optarg; break;
        case 'h': topo_usage(stdout); return 0;
        default: return 2;
        }
    }
    if (argc - optind != 2) {
        return usage_error("gen: expected line N, ring N or fattree K");
    }
    kind = argv[optind];
    n = strtoul(argv[optind + 1], &end, 10);
    if (*end || end == argv[optind + 1]) {
        return usage_error("gen %s: '%s' is not a number", kind,
                           argv[optind + 1]);
    }
    if (!strcmp(kind, "line") && n >= 1 && n <= 4000) {
        t = topo_gen_line(n, &props);
    } else if (!strcmp(kind, "ring") && n >= 3 && n <= 4000) {
        t = topo_gen_ring(n, &props);
    } else if (!strcmp(kind, "fattree") && n >= 2 && n <= 16 && !(n & 1)) {
        t = topo_gen_fattree(n, &props);
    } else {
        return usage_error("gen: expected line N (1..4000), ring N "
                           "(3..4000) or fattree K (even, 2..16)");
    }
    out = open_out(out_path);
    if (!out) {
        topo_destroy(t);
        return 1;
    }
    fprintf(out, "# Generated by lamina topo gen %s %lu\n", kind, n);
    topo_write(t, out);
    topo_destroy(t);
    return close_out(out);
}

/* ---- partition ------------------------------------------------------------------- */

static int
cmd_partition(int argc, char *argv[])
{
    static const struct option long_options[] = {
        { "machines", required_argument, NULL, 'm' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    unsigned long n = 0;
    bool json = false;
    struct topo *t = NULL;
    char *err = NULL, *end;
    int c, rc = 0;

    while ((c = getopt_long(argc, argv, "m:jh", long_options, NULL)) != -1) {
        switch (c) {
        case 'm':
            n = strtoul(optarg, &end, 10);
            if (*end || !optarg[0] || !n || n > 1024) {
                return usage_error("partition: --machines wants 1..1024, not '%s'", optarg);
            }
            break;
        case 'j': json = true; break;
        case 'h': topo_usage(stdout); return 0;
        default: return 2;
        }
    }
    if (argc - optind != 1 || !n) {
        return usage_error("partition: expected FILE --machines N");
    }
    if (topo_load(argv[optind], NULL, &t, &err)) {
        return fail_msg(err);
    }
    int *part = xcalloc(t->n_sw ? t->n_sw : 1, sizeof *part);
    if (topo_partition(t, n, part, &err)) {
        rc = fail_msg(err);
    } else if (json) {
        json_t *machines = json_array(), *cut = json_array();
        for (unsigned long m = 0; m < n; m++) {
            json_t *sws = json_array(), *hosts = json_array();
            for (size_t i = 0; i < t->n_sw; i++) {
                if (part[i] == (int) m) {
                    json_array_append_new(sws, json_string(t->sw[i].name));
                }
            }
            for (size_t h = 0; h < t->n_hosts; h++) {
                if (part[t->hosts[h].sw] == (int) m) {
                    json_array_append_new(hosts, json_string(t->hosts[h].name));
                }
            }
            json_array_append_new(machines, json_pack("{s:I, s:o, s:o}", "machine",
                                  (json_int_t) m, "switches", sws, "hosts", hosts));
        }
        for (size_t l = 0; l < t->n_links; l++) {
            if (part[t->links[l].a] != part[t->links[l].b]) {
                json_array_append_new(cut, json_string(t->links[l].name));
            }
        }
        json_t *out = json_pack("{s:o, s:o}", "machines", machines, "cut_links", cut);
        json_dumpf(out, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(out);
    } else {
        for (unsigned long m = 0; m < n; m++) {
            size_t n_sw = 0, n_hosts = 0;
            for (size_t i = 0; i < t->n_sw; i++) {
                n_sw += part[i] == (int) m;
            }
            for (size_t h = 0; h < t->n_hosts; h++) {
                n_hosts += part[t->hosts[h].sw] == (int) m;
            }
            printf("machine %lu: %zu switches, %zu hosts:", m, n_sw, n_hosts);
            for (size_t i = 0; i < t->n_sw; i++) {
                if (part[i] == (int) m) {
                    printf(" %s", t->sw[i].name);
                }
            }
            putchar('\n');
        }
        printf("%zu of %zu links cut (tunnels):", topo_partition_cut(t, part), t->n_links);
        for (size_t l = 0; l < t->n_links; l++) {
            if (part[t->links[l].a] != part[t->links[l].b]) {
                printf(" %s", t->links[l].name);
            }
        }
        putchar('\n');
    }
    free(part);
    topo_destroy(t);
    return rc;
}

/* ---- The group ------------------------------------------------------------------ */

static int
topo_main(int argc, char *argv[])
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        { "up", cmd_up }, { "down", cmd_down }, { "status", cmd_status },
        { "exec", cmd_exec }, { "link", cmd_link }, { "path", cmd_path },
        { "dot", cmd_dot }, { "import", cmd_import }, { "gen", cmd_gen },
        { "list", cmd_list }, { "partition", cmd_partition },
    };

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")
        || !strcmp(argv[1], "help")) {
        topo_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
        if (!strcmp(argv[1], cmds[i].name)) {
            optind = 1;
            return cmds[i].fn(argc - 1, argv + 1);
        }
    }
    return usage_error("unknown command '%s'", argv[1]);
}

static const char *const topo_names[] = { "topo", NULL };

const struct cli_group topo_cli_group = {
    .names = topo_names,
    .summary = "emulated topologies: up, down, status, exec, link, import",
    .main = topo_main,
};
