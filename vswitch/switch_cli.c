/*
 * switch_cli: `lamina switch|port|link|slice|vnode|vport|vlink|queue|stats`.
 * See switch_cli.h.
 */
#include "switch_cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jsonrpc.h"
#include "units.h"
#include "util.h"

/* How an option's value becomes a parameter. */
enum cli_opt_type {
    CLI_OPT_RATE,       /* "1.5G" -> 1500000000 */
    CLI_OPT_DELAY,      /* "10ms" -> 10000 (us) */
    CLI_OPT_LOSS,       /* "0.1%" -> 1000 (ppm) */
    CLI_OPT_UINT,       /* decimal */
    CLI_OPT_STRING,
    CLI_OPT_JSON,       /* a JSON object */
    CLI_OPT_LIST,       /* "a,b,c" -> ["a","b","c"] */
    CLI_OPT_TRUE,       /* a flag that sets true */
    CLI_OPT_FALSE,      /* a flag that sets false */
};

struct cli_opt {
    const char *name;           /* without "--" */
    const char *param;          /* the RPC parameter it sets */
    enum cli_opt_type type;
};

static const struct cli_opt cli_opts[] = {
    { "rate", "rate_bps", CLI_OPT_RATE },
    { "queue-len", "queue_len", CLI_OPT_UINT },
    { "delay", "delay_us", CLI_OPT_DELAY },
    { "loss", "loss_ppm", CLI_OPT_LOSS },
    { "up", "up", CLI_OPT_TRUE },
    { "down", "up", CLI_OPT_FALSE },
    { "guarantee", "guarantee_bps", CLI_OPT_RATE },
    { "ceiling", "ceiling_bps", CLI_OPT_RATE },
    { "policer", "policer_bps", CLI_OPT_RATE },
    { "policer-burst", "policer_burst", CLI_OPT_UINT },
    { "budget", "budget", CLI_OPT_UINT },
    { "mbuf-quota", "mbuf_quota", CLI_OPT_UINT },
    { "fp", "fp", CLI_OPT_STRING },
    { "devargs-a", "devargs_a", CLI_OPT_STRING },
    { "devargs-b", "devargs_b", CLI_OPT_STRING },
    { "config", "config", CLI_OPT_JSON },
    { "vlan", "vlan", CLI_OPT_UINT },
    { "path", "path", CLI_OPT_LIST },
    { "label", "label", CLI_OPT_UINT },
};

/* One command.  'args' names the positional parameters in order: a
 * trailing '?' makes one optional, "@a" is "SW:PORT" for sw_a/port_a. */
struct cli_cmd {
    const char *group;
    const char *verb;           /* NULL: the group takes no verb (stats) */
    const char *method;
    const char *args;
    const char *options;        /* allowed options, space separated */
    const char *usage;
    const char *help;
};

static const struct cli_cmd cli_cmds[] = {
    { "switch", "add", "switch.add", "name", "", "NAME",
      "add a substrate switch" },
    { "switch", "del", "switch.del", "name", "", "NAME",
      "delete a switch (it must have no ports, vnodes or labels)" },
    { "switch", "list", "switch.list", "", "", "", "list switches" },
    { "switch", "config", "config.get", "", "", "",
      "print the whole configuration (as saved in the state file)" },
    { "switch", "workers", "workers.get", "", "", "",
      "print the load of the forwarding lcores" },
    { "switch", "version", "daemon.version", "", "", "",
      "print the daemon's version, pid and paths" },

    { "port", "add", "port.add", "switch name devargs",
      "rate queue-len delay loss",
      "SWITCH NAME DEVARGS [--rate RATE] [--delay D] [--loss L] [--queue-len N]",
      "add a DPDK port, e.g. net_af_packet0,iface=veth1 or net_null0" },
    { "port", "del", "port.del", "switch name", "", "SWITCH NAME",
      "delete a port" },
    { "port", "set", "port.set", "switch name", "rate delay loss up down",
      "SWITCH NAME [--rate RATE] [--delay D] [--loss L] [--up|--down]",
      "set a port's emulated egress rate (0: unlimited), delay, loss or state" },
    { "port", "list", "port.list", "switch?", "", "[SWITCH]", "list ports" },

    { "link", "add", "link.add", "name @a @b",
      "rate delay loss down devargs-a devargs-b",
      "NAME SW_A:PORT SW_B:PORT [--rate RATE] [--delay D] [--loss L] [--down]"
      " [--devargs-a DEVARGS --devargs-b DEVARGS]",
      "link two switches of the daemon; each end becomes a port (rings "
      "inside the process, or the two given DPDK devices, e.g. af_packet "
      "on a veth pair)" },
    { "link", "set", "link.set", "name", "rate delay loss up down",
      "NAME [--rate RATE] [--delay D] [--loss L] [--up|--down]",
      "change a link's emulated rate, delay, loss or state" },
    { "link", "del", "link.del", "name", "", "NAME", "delete a link" },
    { "link", "list", "link.list", "", "", "", "list links" },

    { "slice", "add", "slice.add", "name",
      "guarantee ceiling policer policer-burst budget mbuf-quota",
      "NAME [--guarantee RATE] [--ceiling RATE] [--policer RATE] "
      "[--policer-burst BYTES] [--budget PKTS] [--mbuf-quota N]",
      "add a slice with its default limits" },
    { "slice", "set", "slice.set", "name",
      "guarantee ceiling policer policer-burst budget mbuf-quota",
      "NAME [--guarantee RATE] [--ceiling RATE] [--policer RATE] "
      "[--policer-burst BYTES] [--budget PKTS] [--mbuf-quota N]",
      "change a slice's limits (others keep their value)" },
    { "slice", "del", "slice.del", "name", "", "NAME",
      "delete a slice with its vnodes, vports and virtual links" },
    { "slice", "list", "slice.list", "", "", "", "list slices" },

    { "vnode", "add", "vnode.add", "slice switch", "fp config",
      "SLICE SWITCH [--fp l2learn] [--config JSON]",
      "add the slice's vnode on a switch" },
    { "vnode", "del", "vnode.del", "slice switch", "", "SLICE SWITCH",
      "delete a vnode" },
    { "vnode", "list", "vnode.list", "slice?", "", "[SLICE]", "list vnodes" },
    { "vnode", "dump", "vnode.dump", "slice switch", "", "SLICE SWITCH",
      "print a vnode's forwarding state (MAC table)" },

    { "vport", "add", "vport.add", "slice switch vport port", "vlan",
      "SLICE SWITCH VPORT PORT [--vlan N]",
      "bind a vport of the slice's vnode to an access port (or one VLAN)" },
    { "vport", "del", "vport.del", "slice switch vport", "",
      "SLICE SWITCH VPORT", "delete a vport" },
    { "vport", "list", "vport.list", "slice?", "", "[SLICE]", "list vports" },

    { "vlink", "add", "vlink.add", "slice name", "path label",
      "SLICE NAME --path SW1,SW2[,...] [--label N]",
      "add a virtual link between the vnodes on the first and last switch" },
    { "vlink", "del", "vlink.del", "slice name", "", "SLICE NAME",
      "delete a virtual link" },
    { "vlink", "list", "vlink.list", "slice?", "", "[SLICE]",
      "list virtual links" },

    { "queue", "set", "queue.set", "slice switch port", "guarantee ceiling",
      "SLICE SWITCH PORT --guarantee RATE [--ceiling RATE]",
      "set the guarantee and ceiling of one (slice, port) queue" },
    { "queue", "list", "queue.list", "slice?", "", "[SLICE]",
      "list queue settings" },

    { "stats", NULL, "stats.get", "kind? name?", "",
      "[port|slice|vnode|queue|link] [NAME]", "print counters" },
};

static const char *const cli_group_names[] = {
    "switch", "port", "link", "slice", "vnode", "vport", "vlink", "queue",
    "stats", NULL,
};

static int __attribute__((format(printf, 3, 4)))
usage_error(char *msg, size_t size, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    vsnprintf(msg, size, fmt, args);
    va_end(args);
    return 2;
}

static const struct cli_opt *
find_opt(const char *name, size_t len)
{
    for (size_t i = 0; i < ARRAY_SIZE(cli_opts); i++) {
        if (strlen(cli_opts[i].name) == len
            && !strncmp(cli_opts[i].name, name, len)) {
            return &cli_opts[i];
        }
    }
    return NULL;
}

/* Parses a decimal unsigned integer, all of 's'. */
static bool
parse_uint(const char *s, uint64_t *out)
{
    char *end;

    if (!s || *s < '0' || *s > '9') {
        return false;
    }
    errno = 0;
    *out = strtoull(s, &end, 10);
    return !errno && !*end;
}

/* Converts option 'opt' with 'value' into params member. */
static int
set_option(const struct cli_opt *opt, const char *value, json_t *params,
           char *msg, size_t size)
{
    uint64_t u;
    uint32_t u32;
    json_t *v = NULL;

    switch (opt->type) {
    case CLI_OPT_RATE:
        if (units_parse_rate(value, &u)) {
            return usage_error(msg, size, "--%s: \"%s\" is not a rate (bits/s, "
                               "e.g. 100k, 10M, 1.5G)", opt->name, value);
        }
        v = json_integer(u);
        break;
    case CLI_OPT_DELAY:
        if (units_parse_delay(value, &u32)) {
            return usage_error(msg, size, "--%s: \"%s\" is not a delay (e.g. "
                               "500us, 10ms, 1s)", opt->name, value);
        }
        v = json_integer(u32);
        break;
    case CLI_OPT_LOSS:
        if (units_parse_loss(value, &u32)) {
            return usage_error(msg, size, "--%s: \"%s\" is not a loss (a "
                               "percentage 0..100, e.g. 0.5%%, or 500ppm)",
                               opt->name, value);
        }
        v = json_integer(u32);
        break;
    case CLI_OPT_UINT:
        if (!parse_uint(value, &u) || u > INT64_MAX) {
            return usage_error(msg, size, "--%s: \"%s\" is not a "
                               "non-negative integer", opt->name, value);
        }
        v = json_integer(u);
        break;
    case CLI_OPT_STRING:
        v = json_string(value);
        break;
    case CLI_OPT_JSON: {
        json_error_t jerr;
        v = json_loads(value, 0, &jerr);
        if (!json_is_object(v)) {
            json_decref(v);
            return usage_error(msg, size, "--%s: not a JSON object: %s",
                               opt->name, v ? "" : jerr.text);
        }
        break;
    }
    case CLI_OPT_LIST: {
        char *copy = xstrdup(value), *save = NULL;
        v = json_array();
        for (char *tok = strtok_r(copy, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            json_array_append_new(v, json_string(tok));
        }
        free(copy);
        break;
    }
    case CLI_OPT_TRUE:
    case CLI_OPT_FALSE:
        v = json_boolean(opt->type == CLI_OPT_TRUE);
        break;
    }
    if (!v) {
        return usage_error(msg, size, "--%s: \"%s\" is not valid text",
                           opt->name, value);
    }
    if (json_object_get(params, opt->param)) {
        json_decref(v);
        return usage_error(msg, size, "--%s: given twice (or with its "
                           "opposite)", opt->name);
    }
    json_object_set_new(params, opt->param, v);
    return 0;
}

/* Sets the positional parameters of 'cmd' from 'pos'. */
static int
set_positionals(const struct cli_cmd *cmd, char **pos, int n_pos,
                json_t *params, char *msg, size_t size)
{
    char *spec = xstrdup(cmd->args), *save = NULL;
    int i = 0, error = 0;

    for (char *name = strtok_r(spec, " ", &save); name;
         name = strtok_r(NULL, " ", &save)) {
        size_t len = strlen(name);
        bool optional = name[len - 1] == '?';

        if (optional) {
            name[len - 1] = '\0';
        }
        if (i >= n_pos) {
            if (!optional) {
                error = usage_error(msg, size, "missing %s", name[0] == '@'
                                    ? "SWITCH:PORT" : name);
            }
            break;
        }
        if (name[0] == '@') {
            /* SW:PORT for one end of a link. */
            char *colon = strchr(pos[i], ':');
            char key[16];
            if (!colon || colon == pos[i] || !colon[1]) {
                error = usage_error(msg, size, "\"%s\" is not SWITCH:PORT",
                                    pos[i]);
                break;
            }
            snprintf(key, sizeof key, "sw_%s", name + 1);
            json_object_set_new(params, key, json_stringn(pos[i],
                                                          colon - pos[i]));
            snprintf(key, sizeof key, "port_%s", name + 1);
            json_object_set_new(params, key, json_string(colon + 1));
        } else {
            json_t *v = json_string(pos[i]);
            if (!v) {
                error = usage_error(msg, size, "%s is not valid text", name);
                break;
            }
            json_object_set_new(params, name, v);
        }
        i++;
    }
    free(spec);
    if (!error && i < n_pos) {
        error = usage_error(msg, size, "unexpected argument \"%s\"", pos[i]);
    }
    return error;
}

void
switch_cli_request_uninit(struct switch_cli_request *req)
{
    json_decref(req->params);
    req->params = NULL;
}

int
switch_cli_parse(int argc, char *argv[], struct switch_cli_request *req,
                 char *msg, size_t size)
{
    const struct cli_cmd *cmd = NULL;
    char **pos = xcalloc(argc + 1, sizeof *pos);
    /* Options are kept until the command is known. */
    const struct cli_opt **opts = xcalloc(argc + 1, sizeof *opts);
    const char **values = xcalloc(argc + 1, sizeof *values);
    int n_pos = 0, n_opts = 0, error = 0, first;
    const char *timeout = NULL;

    memset(req, 0, sizeof *req);
    req->group = argv[0];
    req->socket_path = getenv("LAMINA_SOCKET");
    if (!req->socket_path || !*req->socket_path) {
        req->socket_path = SWITCH_CLI_DEFAULT_SOCKET;
    }
    req->timeout_ms = 30000;

    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        const char *name, *value = NULL, *eq;
        size_t len;

        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            req->help = true;
            continue;
        }
        if (strncmp(arg, "--", 2) || !arg[2]) {
            pos[n_pos++] = arg;
            continue;
        }
        name = arg + 2;
        eq = strchr(name, '=');
        len = eq ? (size_t) (eq - name) : strlen(name);
        if (eq) {
            value = eq + 1;
        }
        if (len == 4 && !strncmp(name, "json", 4) && !eq) {
            req->json = true;
            continue;
        }
        if ((len == 6 && !strncmp(name, "socket", 6))
            || (len == 7 && !strncmp(name, "timeout", 7))) {
            if (!value) {
                if (i + 1 >= argc) {
                    error = usage_error(msg, size, "--%.*s needs a value",
                                        (int) len, name);
                    goto out;
                }
                value = argv[++i];
            }
            if (len == 6) {
                req->socket_path = value;
            } else {
                timeout = value;
            }
            continue;
        }
        opts[n_opts] = find_opt(name, len);
        if (!opts[n_opts]) {
            error = usage_error(msg, size, "unknown option --%.*s", (int) len,
                                name);
            goto out;
        }
        if (opts[n_opts]->type == CLI_OPT_TRUE
            || opts[n_opts]->type == CLI_OPT_FALSE) {
            if (value) {
                error = usage_error(msg, size, "--%.*s takes no value",
                                    (int) len, name);
                goto out;
            }
        } else if (!value) {
            if (i + 1 >= argc) {
                error = usage_error(msg, size, "--%.*s needs a value",
                                    (int) len, name);
                goto out;
            }
            value = argv[++i];
        }
        values[n_opts++] = value;
    }
    if (timeout) {
        uint64_t sec;
        if (!parse_uint(timeout, &sec) || !sec || sec > 3600) {
            error = usage_error(msg, size, "--timeout: \"%s\" is not a number "
                                "of seconds (1..3600)", timeout);
            goto out;
        }
        req->timeout_ms = sec * 1000;
    }

    /* The command: the group and, if it has verbs, the first word. */
    for (size_t i = 0; i < ARRAY_SIZE(cli_cmds); i++) {
        if (strcmp(cli_cmds[i].group, argv[0])) {
            continue;
        }
        if (!cli_cmds[i].verb
            || (n_pos && !strcmp(cli_cmds[i].verb, pos[0]))) {
            cmd = &cli_cmds[i];
            break;
        }
    }
    if (!cmd) {
        if (req->help) {
            goto out;          /* the group's usage */
        }
        error = n_pos ? usage_error(msg, size, "unknown command \"%s %s\"",
                                    argv[0], pos[0])
                      : usage_error(msg, size, "missing command after \"%s\"",
                                    argv[0]);
        goto out;
    }
    req->verb = cmd->verb;
    req->method = cmd->method;
    if (req->help) {
        goto out;
    }
    first = cmd->verb ? 1 : 0;
    req->params = json_object();
    for (int i = 0; i < n_opts; i++) {
        if (!str_has_word(cmd->options, opts[i]->name)) {
            error = usage_error(msg, size, "option --%s does not apply to "
                                "\"%s%s%s\"", opts[i]->name, cmd->group,
                                cmd->verb ? " " : "",
                                cmd->verb ? cmd->verb : "");
            goto out;
        }
        error = set_option(opts[i], values[i], req->params, msg, size);
        if (error) {
            goto out;
        }
    }
    error = set_positionals(cmd, pos + first, n_pos - first, req->params,
                            msg, size);
    if (error) {
        goto out;
    }
    /* Options the command cannot do without. */
    if (!strcmp(cmd->method, "port.set")
        && !json_object_get(req->params, "rate_bps")
        && !json_object_get(req->params, "delay_us")
        && !json_object_get(req->params, "loss_ppm")
        && !json_object_get(req->params, "up")) {
        error = usage_error(msg, size, "nothing to set: give --rate, --delay, "
                            "--loss, --up or --down");
    } else if (!strcmp(cmd->method, "vlink.add")
               && !json_object_get(req->params, "path")) {
        error = usage_error(msg, size, "missing --path");
    } else if (!strcmp(cmd->method, "queue.set")
               && !json_object_get(req->params, "guarantee_bps")) {
        error = usage_error(msg, size, "missing --guarantee");
    }

out:
    if (error) {
        switch_cli_request_uninit(req);
    }
    free(pos);
    free(opts);
    free(values);
    return error;
}

/* ---- Output ------------------------------------------------------------- */

static void
group_usage(FILE *out, const char *group)
{
    fprintf(out, "usage:\n");
    for (size_t i = 0; i < ARRAY_SIZE(cli_cmds); i++) {
        const struct cli_cmd *c = &cli_cmds[i];
        if (!group || !strcmp(c->group, group)) {
            fprintf(out, "  lamina %s%s%s %s\n      %s\n", c->group,
                    c->verb ? " " : "", c->verb ? c->verb : "", c->usage,
                    c->help);
        }
    }
    fprintf(out,
"\nglobal options (anywhere after the command):\n"
"  --socket PATH  lamina-switchd's socket (env LAMINA_SOCKET, default\n"
"                 " SWITCH_CLI_DEFAULT_SOCKET ")\n"
"  --json         print the daemon's answer as JSON\n"
"  --timeout SEC  wait at most SEC seconds for the answer (default 30)\n"
"  -h, --help     this help\n"
"\nRATE is bits/s with an optional SI suffix: 100k, 10M, 1.5G, 2T (powers\n"
"of 1000; \"bps\" may follow).  D is a delay: 500us, 10ms, 1s (plain:\n"
"microseconds).  L is a loss: a percentage 0..100 (0.5 or 0.5%%) or NNNppm.\n");
}

static void
cmd_usage(FILE *out, const struct switch_cli_request *req)
{
    for (size_t i = 0; i < ARRAY_SIZE(cli_cmds); i++) {
        const struct cli_cmd *c = &cli_cmds[i];
        if (!strcmp(c->group, req->group) && c->method == req->method) {
            fprintf(out, "usage: lamina %s%s%s %s\n  %s (RPC method %s)\n",
                    c->group, c->verb ? " " : "", c->verb ? c->verb : "",
                    c->usage, c->help, c->method);
            fprintf(out, "\nRATE: bits/s, e.g. 100k, 10M, 1.5G.  D: 500us, "
                    "10ms, 1s.  L: 0.5%% or 500ppm.\n"
                    "Global options: --socket PATH, --json, --timeout SEC.\n");
        }
    }
}

/* Formats a scalar cell; rates ("..._bps") get SI suffixes. */
static char *
format_cell(const char *key, const json_t *v)
{
    char buf[32];

    if (json_is_string(v)) {
        return xstrdup(json_string_value(v));
    }
    if (json_is_integer(v) && key && strlen(key) > 4
        && !strcmp(key + strlen(key) - 4, "_bps")
        && json_integer_value(v) > 0) {
        return xstrdup(units_format_rate(json_integer_value(v), buf,
                                         sizeof buf));
    }
    if (json_is_null(v)) {
        return xstrdup("-");
    }
    if (json_is_array(v)) {
        size_t i, len = 0;
        json_t *e;
        char *out = xstrdup("");
        json_array_foreach(v, i, e) {
            char *cell = json_is_string(e) || json_is_number(e)
                         ? format_cell(NULL, e) : json_dumps(e, JSON_COMPACT);
            out = xrealloc(out, len + strlen(cell) + 2);
            len += sprintf(out + len, "%s%s", i ? "," : "", cell);
            free(cell);
        }
        return out;
    }
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Adds the scalar members of 'obj' to 'row' under dotted keys. */
static void
flatten(const char *prefix, const json_t *obj, json_t *row)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *) obj, key, v) {
        char *name = prefix ? xasprintf("%s.%s", prefix, key) : xstrdup(key);
        if (json_is_object(v) && json_object_size(v)) {
            flatten(name, v, row);
        } else if (json_is_array(v) && json_is_object(json_array_get(v, 0))) {
            /* A list of objects gets its own table (print_subtables). */
        } else {
            json_object_set(row, name, v);
        }
        free(name);
    }
}

static void print_table(FILE *out, const json_t *rows);

/* Prints the lists of objects inside each row of 'rows' (the vports of
 * each vnode) as tables of their own, titled by the row's identity. */
static void
print_subtables(FILE *out, const json_t *rows)
{
    static const char *const ids[] = { "slice", "switch", "name" };
    size_t i;
    json_t *row;

    json_array_foreach(rows, i, row) {
        const char *key;
        json_t *v;

        if (!json_is_object(row)) {
            continue;
        }
        json_object_foreach(row, key, v) {
            if (json_is_array(v) && json_is_object(json_array_get(v, 0))) {
                fprintf(out, "\n%s of", key);
                for (size_t k = 0; k < ARRAY_SIZE(ids); k++) {
                    const char *id = json_string_value(json_object_get(row,
                                                                       ids[k]));
                    if (id) {
                        fprintf(out, " %s %s", ids[k], id);
                    }
                }
                fprintf(out, ":\n");
                print_table(out, v);
            }
        }
    }
}

/* Prints an array of objects as a table, one column per member. */
static void
print_table(FILE *out, const json_t *rows)
{
    json_t *flat = json_array(), *columns = json_array();
    size_t i, n_cols, *width;
    json_t *row;

    json_array_foreach(rows, i, row) {
        json_t *f = json_object();
        const char *key;
        json_t *v;

        if (json_is_object(row)) {
            flatten(NULL, row, f);
        } else {
            json_object_set(f, "value", row);
        }
        json_object_foreach(f, key, v) {
            bool seen = false;
            size_t j;
            json_t *c;
            json_array_foreach(columns, j, c) {
                seen |= !strcmp(json_string_value(c), key);
            }
            if (!seen) {
                json_array_append_new(columns, json_string(key));
            }
        }
        json_array_append_new(flat, f);
    }
    /* Identifying columns first, in this order; the rest as they came. */
    {
        static const char *const first[] = { "slice", "switch", "name",
                                             "port", "vport", "lcore" };
        json_t *ordered = json_array();
        json_t *c;
        size_t j;

        for (size_t k = 0; k < ARRAY_SIZE(first); k++) {
            json_array_foreach(columns, j, c) {
                if (!strcmp(json_string_value(c), first[k])) {
                    json_array_append(ordered, c);
                }
            }
        }
        json_array_foreach(columns, j, c) {
            bool is_first = false;
            for (size_t k = 0; k < ARRAY_SIZE(first); k++) {
                is_first |= !strcmp(json_string_value(c), first[k]);
            }
            if (!is_first) {
                json_array_append(ordered, c);
            }
        }
        json_decref(columns);
        columns = ordered;
    }
    n_cols = json_array_size(columns);
    width = xcalloc(n_cols + 1, sizeof *width);
    for (size_t c = 0; c < n_cols; c++) {
        const char *key = json_string_value(json_array_get(columns, c));
        width[c] = strlen(key);
        json_array_foreach(flat, i, row) {
            const json_t *v = json_object_get(row, key);
            char *cell = v ? format_cell(key, v) : xstrdup("");
            width[c] = MAX(width[c], strlen(cell));
            free(cell);
        }
    }
    for (size_t c = 0; c < n_cols; c++) {
        fprintf(out, "%-*s%s", (int) width[c],
                json_string_value(json_array_get(columns, c)),
                c + 1 < n_cols ? "  " : "\n");
    }
    json_array_foreach(flat, i, row) {
        for (size_t c = 0; c < n_cols; c++) {
            const char *key = json_string_value(json_array_get(columns, c));
            const json_t *v = json_object_get(row, key);
            char *cell = v ? format_cell(key, v) : xstrdup("");
            fprintf(out, "%-*s%s", (int) width[c], cell,
                    c + 1 < n_cols ? "  " : "\n");
            free(cell);
        }
    }
    if (!json_array_size(rows)) {
        fprintf(out, "(none)\n");
    }
    print_subtables(out, rows);
    free(width);
    json_decref(flat);
    json_decref(columns);
}

/* Prints an answer for people: tables for lists, "key: value" lines for
 * objects (a table per member that is a list), nothing for null. */
static void
print_human(FILE *out, const json_t *result)
{
    if (json_is_array(result)) {
        print_table(out, result);
    } else if (json_is_object(result)) {
        const char *key;
        json_t *v;
        bool first = true;

        json_object_foreach((json_t *) result, key, v) {
            if (json_is_array(v) && (!json_array_size(v)
                                     || json_is_object(json_array_get(v, 0)))) {
                fprintf(out, "%s%s:\n", first ? "" : "\n", key);
                print_table(out, v);
            } else if (json_is_object(v)) {
                json_t *row = json_array();
                json_array_append(row, v);
                fprintf(out, "%s%s:\n", first ? "" : "\n", key);
                print_table(out, row);
                json_decref(row);
            } else {
                char *cell = format_cell(key, v);
                fprintf(out, "%s: %s\n", key, cell);
                free(cell);
            }
            first = false;
        }
    } else if (result && !json_is_null(result)) {
        char *text = json_dumps(result, JSON_ENCODE_ANY);
        fprintf(out, "%s\n", text ? text : "");
        free(text);
    }
}

static int
switch_cli_main(int argc, char *argv[])
{
    struct switch_cli_request req;
    struct jsonrpc_error err = { 0 };
    struct jsonrpc_client *client;
    json_t *result = NULL;
    char msg[512];
    int error;

    if (switch_cli_parse(argc, argv, &req, msg, sizeof msg)) {
        fprintf(stderr, "lamina: %s\n", msg);
        fprintf(stderr, "Run 'lamina %s --help' for usage.\n", argv[0]);
        return 2;
    }
    if (req.help) {
        if (req.method) {
            cmd_usage(stdout, &req);
        } else {
            group_usage(stdout, argv[0]);
        }
        switch_cli_request_uninit(&req);
        return 0;
    }
    error = jsonrpc_client_open(req.socket_path, &client);
    if (error) {
        fprintf(stderr, "lamina: cannot connect to lamina-switchd at %s: %s%s\n",
                req.socket_path, strerror(error),
                error == ENOENT || error == ECONNREFUSED
                ? " (is lamina-switchd running? use --socket PATH or "
                  "LAMINA_SOCKET)" : "");
        switch_cli_request_uninit(&req);
        return 1;
    }
    error = jsonrpc_client_call(client, req.method, req.params,
                                req.timeout_ms, &result, &err);
    jsonrpc_client_close(client);
    if (error == EREMOTEIO || error == EPROTO) {
        if (req.json && err.data) {
            char *data = json_dumps(err.data, JSON_COMPACT);
            fprintf(stderr, "lamina: %s %s\n", err.message, data ? data : "");
            free(data);
        } else {
            fprintf(stderr, "lamina: %s\n", err.message);
        }
    } else if (error) {
        fprintf(stderr, "lamina: %s from lamina-switchd at %s: %s\n",
                req.method, req.socket_path,
                error == ETIMEDOUT ? "no answer in time" : strerror(error));
    } else if (req.json) {
        char *text = json_dumps(result, JSON_INDENT(2) | JSON_ENCODE_ANY
                                | JSON_PRESERVE_ORDER);
        printf("%s\n", text ? text : "null");
        free(text);
    } else {
        print_human(stdout, result);
    }
    json_decref(result);
    jsonrpc_error_clear(&err);
    switch_cli_request_uninit(&req);
    return error ? 1 : 0;
}

const struct cli_group switch_cli_group = {
    .names = cli_group_names,
    .summary = "manage lamina-switchd (lamina NAME --help)",
    .main = switch_cli_main,
};
