/*
 * slicer_cli: `lamina slicer slice|flowspace|switch|stats|config ...`, a
 * thin client of lamina-slicer's JSON-RPC methods (slicer_rpc.c).
 *
 * Like vswitch/switch_cli.c it is table-driven: each row names the words,
 * the method, the positional parameters and the options it takes.  Rates
 * go through lib/units ("--bandwidth 10M").
 *
 * Global options, anywhere after "slicer":
 *   --socket PATH   the slicer's socket (else $LAMINA_SLICER_SOCKET, else
 *                   /run/lamina/slicer.sock)
 *   --json          print the answer as JSON
 *   --timeout SEC   wait at most SEC seconds (default 30)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jsonrpc.h"
#include "units.h"
#include "util.h"

#define SLICER_CLI_DEFAULT_SOCKET "/run/lamina/slicer.sock"

enum opt_type { OPT_STRING, OPT_UINT, OPT_RATE, OPT_TRUE, OPT_LIST };

struct opt {
    const char *name;
    const char *param;
    enum opt_type type;
};

static const struct opt opts[] = {
    { "controller", "controller", OPT_STRING },
    { "switch", "switches", OPT_LIST },         /* repeatable */
    { "secret", "secret", OPT_STRING },
    { "max-flows", "max_flows", OPT_UINT },
    { "rate", "rate", OPT_UINT },
    { "burst", "burst", OPT_UINT },
    { "queue", "queue", OPT_UINT },
    { "bandwidth", "bandwidth_bps", OPT_RATE },
    { "tag", "tag", OPT_UINT },
    { "dpid", "dpid", OPT_STRING },
    { "priority", "priority", OPT_UINT },
    { "allow-overlap", "allow_overlap", OPT_TRUE },
};

struct cmd {
    const char *noun, *verb, *method;
    const char *args;           /* positional params; '?' = optional */
    const char *options;
    const char *usage, *help;
};

static const struct cmd cmds[] = {
    { "slice", "add", "slice.add", "name",
      "controller switch secret max-flows rate burst queue bandwidth tag",
      "NAME --controller tcp:IP:PORT --switch DPID[/VDPID]:PORT[=VPORT],... "
      "[--switch ...] [--secret S] [--max-flows N] [--rate MSGS/S] "
      "[--burst N] [--queue Q --bandwidth RATE] [--tag N]",
      "add a slice: its switches and ports, controller and limits" },
    { "slice", "set", "slice.set", "name", "max-flows rate burst secret",
      "NAME [--max-flows N] [--rate MSGS/S] [--burst N] [--secret S]",
      "change a slice's limits or secret" },
    { "slice", "del", "slice.del", "name", "", "NAME",
      "delete a slice with its flowspace, and its flows on the switches" },
    { "slice", "list", "slice.list", "", "", "", "list slices" },
    { "flowspace", "add", "flowspace.add", "name slice match",
      "dpid priority allow-overlap",
      "NAME SLICE MATCH [--dpid DPID] [--priority P] [--allow-overlap]",
      "give SLICE the packets of MATCH, e.g. vlan_vid=10 or "
      "ipv4_dst=10.1.0.0/16 or tcp_dst=1000-1999" },
    { "flowspace", "del", "flowspace.del", "name", "", "NAME",
      "delete a flowspace entry (and the slice's flows inside it)" },
    { "flowspace", "list", "flowspace.list", "slice?", "", "[SLICE]",
      "list flowspace entries" },
    { "switch", "list", "switch.list", "", "", "", "list connected switches" },
    { "stats", NULL, "stats.get", "", "", "", "per-slice counters" },
    { "config", NULL, "config.get", "", "", "",
      "the configuration as saved in the state file" },
};

static void
usage(FILE *out)
{
    fprintf(out, "usage:\n");
    for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
        fprintf(out, "  lamina slicer %s%s%s %s\n      %s\n", cmds[i].noun,
                cmds[i].verb ? " " : "", cmds[i].verb ? cmds[i].verb : "",
                cmds[i].usage, cmds[i].help);
    }
    fprintf(out, "\nglobal options: --socket PATH (env LAMINA_SLICER_SOCKET, "
            "default " SLICER_CLI_DEFAULT_SOCKET "), --json, --timeout SEC\n");
}

static const struct opt *
find_opt(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
        if (!strcmp(opts[i].name, name)) {
            return &opts[i];
        }
    }
    return NULL;
}

static void
print_result(const struct cmd *c, json_t *result, bool as_json)
{
    if (as_json) {
        char *text = json_dumps(result, JSON_INDENT(2) | JSON_ENCODE_ANY);
        puts(text);
        free(text);
        return;
    }
    if (json_is_null(result)) {
        return;
    }
    /* Lists: one line per element, "key=value" pairs. */
    json_t *list = json_is_object(result) && json_object_size(result) == 1
                   ? json_object_iter_value(json_object_iter(result)) : NULL;
    if (json_is_array(list)) {
        size_t i;
        json_t *e;
        json_array_foreach(list, i, e) {
            const char *k;
            json_t *v;
            json_object_foreach(e, k, v) {
                char *t = json_is_string(v) ? xstrdup(json_string_value(v))
                          : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
                printf("%s=%s ", k, t);
                free(t);
            }
            printf("\n");
        }
        return;
    }
    char *text = json_dumps(result, JSON_INDENT(2) | JSON_ENCODE_ANY);
    puts(text);
    free(text);
    (void) c;
}

static int
slicer_cli_main(int argc, char *argv[])
{
    const char *socket_path = getenv("LAMINA_SLICER_SOCKET");
    const char *pos[16];
    int n_pos = 0, timeout_ms = 30000, rc = 1;
    bool as_json = false;
    const struct cmd *cmd = NULL;
    json_t *params = json_object(), *result = NULL;
    struct jsonrpc_client *client = NULL;
    struct jsonrpc_error err = { 0 };
    const char **opt_names = xcalloc(argc, sizeof *opt_names);
    const char **opt_vals = xcalloc(argc, sizeof *opt_vals);
    int n_opts = 0, error;

    if (!socket_path || !*socket_path) {
        socket_path = SLICER_CLI_DEFAULT_SOCKET;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            rc = 0;
            goto out;
        }
        if (!strncmp(a, "--", 2)) {
            const char *name = a + 2;
            const struct opt *o;
            if (!strcmp(name, "json")) {
                as_json = true;
                continue;
            }
            if (!strcmp(name, "socket") || !strcmp(name, "timeout")) {
                if (i + 1 >= argc) {
                    fprintf(stderr, "lamina slicer: --%s needs a value\n", name);
                    rc = 2;
                    goto out;
                }
                if (name[0] == 's') {
                    socket_path = argv[++i];
                } else {
                    timeout_ms = atoi(argv[++i]) * 1000;
                }
                continue;
            }
            o = find_opt(name);
            if (!o) {
                fprintf(stderr, "lamina slicer: unknown option --%s\n", name);
                rc = 2;
                goto out;
            }
            opt_names[n_opts] = name;
            if (o->type == OPT_TRUE) {
                opt_vals[n_opts++] = NULL;
            } else if (i + 1 < argc) {
                opt_vals[n_opts++] = argv[++i];
            } else {
                fprintf(stderr, "lamina slicer: --%s needs a value\n", name);
                rc = 2;
                goto out;
            }
            continue;
        }
        if (n_pos >= (int) ARRAY_SIZE(pos)) {
            fprintf(stderr, "lamina slicer: too many arguments\n");
            rc = 2;
            goto out;
        }
        pos[n_pos++] = a;
    }
    for (size_t i = 0; i < ARRAY_SIZE(cmds) && n_pos; i++) {
        if (!strcmp(cmds[i].noun, pos[0])
            && (!cmds[i].verb || (n_pos > 1 && !strcmp(cmds[i].verb, pos[1])))) {
            cmd = &cmds[i];
            break;
        }
    }
    if (!cmd) {
        fprintf(stderr, "lamina slicer: unknown command%s%s%s%s\n",
                n_pos ? " \"" : "", n_pos ? pos[0] : "",
                n_pos > 1 ? " " : "", n_pos > 1 ? pos[1] : "");
        if (n_pos) {
            fprintf(stderr, "\"\n");
        }
        usage(stderr);
        rc = 2;
        goto out;
    }
    /* Positional parameters. */
    {
        char *spec = xstrdup(cmd->args), *save = NULL;
        int k = cmd->verb ? 2 : 1;
        for (char *name = strtok_r(spec, " ", &save); name;
             name = strtok_r(NULL, " ", &save)) {
            size_t len = strlen(name);
            bool optional = name[len - 1] == '?';
            if (optional) {
                name[len - 1] = '\0';
            }
            if (k >= n_pos) {
                if (!optional) {
                    fprintf(stderr, "lamina slicer: missing %s\nusage: lamina "
                            "slicer %s %s %s\n", name, cmd->noun,
                            cmd->verb ? cmd->verb : "", cmd->usage);
                    free(spec);
                    rc = 2;
                    goto out;
                }
                break;
            }
            json_object_set_new(params, name, json_string(pos[k++]));
        }
        free(spec);
        if (k < n_pos) {
            fprintf(stderr, "lamina slicer: unexpected argument \"%s\"\n",
                    pos[k]);
            rc = 2;
            goto out;
        }
    }
    for (int i = 0; i < n_opts; i++) {
        const struct opt *o = find_opt(opt_names[i]);
        const char *v = opt_vals[i];
        uint64_t u;
        char *end;

        if (!str_has_word(cmd->options, o->name)) {
            fprintf(stderr, "lamina slicer: --%s does not apply to \"%s%s%s\"\n",
                    o->name, cmd->noun, cmd->verb ? " " : "",
                    cmd->verb ? cmd->verb : "");
            rc = 2;
            goto out;
        }
        switch (o->type) {
        case OPT_STRING:
            json_object_set_new(params, o->param, json_string(v));
            break;
        case OPT_UINT:
            errno = 0;
            u = strtoull(v, &end, 0);
            if (errno || *end || !*v || *v == '-') {
                fprintf(stderr, "lamina slicer: --%s: \"%s\" is not a "
                        "non-negative integer\n", o->name, v);
                rc = 2;
                goto out;
            }
            json_object_set_new(params, o->param, json_integer(u));
            break;
        case OPT_RATE:
            if (units_parse_rate(v, &u)) {
                fprintf(stderr, "lamina slicer: --%s: \"%s\" is not a rate "
                        "(bits/s, e.g. 10M)\n", o->name, v);
                rc = 2;
                goto out;
            }
            json_object_set_new(params, o->param, json_integer(u));
            break;
        case OPT_TRUE:
            json_object_set_new(params, o->param, json_true());
            break;
        case OPT_LIST: {
            json_t *a = json_object_get(params, o->param);
            if (!a) {
                a = json_array();
                json_object_set_new(params, o->param, a);
            }
            json_array_append_new(a, json_string(v));
            break;
        }
        }
    }
    error = jsonrpc_client_open(socket_path, &client);
    if (error) {
        fprintf(stderr, "lamina slicer: %s: %s (is lamina-slicer running?)\n",
                socket_path, strerror(error));
        goto out;
    }
    error = jsonrpc_client_call(client, cmd->method, params, timeout_ms,
                                &result, &err);
    if (error == EREMOTEIO) {
        json_t *field = err.data ? json_object_get(err.data, "field") : NULL;
        fprintf(stderr, "lamina slicer: %s%s%s%s\n", err.message,
                field ? " (" : "", field ? json_string_value(field) : "",
                field ? ")" : "");
        goto out;
    } else if (error) {
        fprintf(stderr, "lamina slicer: %s: %s\n", cmd->method,
                err.code ? err.message : strerror(error));
        goto out;
    }
    print_result(cmd, result, as_json);
    rc = 0;
out:
    jsonrpc_error_clear(&err);
    json_decref(result);
    json_decref(params);
    jsonrpc_client_close(client);
    free(opt_names);
    free(opt_vals);
    return rc;
}

static const char *const slicer_cli_names[] = { "slicer", NULL };

const struct cli_group slicer_cli_group = {
    .names = slicer_cli_names,
    .summary = "the OpenFlow slicer: slices, flowspace, stats",
    .main = slicer_cli_main,
};
