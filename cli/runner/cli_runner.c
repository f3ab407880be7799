/*
 * cli_runner: the table-driven runner of the `lamina` command groups.
 * See cli_runner.h.
 */
#include "cli_runner.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "jsonrpc.h"
#include "log.h"
#include "mgmt.h"
#include "units.h"
#include "util.h"

#define CLI_DEFAULT_TIMEOUT_MS 30000

static int __attribute__((format(printf, 3, 4)))
usage_error(char *msg, size_t size, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    vsnprintf(msg, size, fmt, args);
    va_end(args);
    return 2;
}

bool
cli_parse_uint(const char *s, uint64_t *out)
{
    char *end;
    int base = 10;

    if (!s || *s < '0' || *s > '9') {
        return false;
    }
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        if (!*s || *s == '-' || *s == '+') {
            return false;
        }
    }
    errno = 0;
    *out = strtoull(s, &end, base);
    return !errno && !*end && end != s && *out <= INT64_MAX;
}

const struct cli_option *
cli_option_find(const struct cli_option *options, size_t n_options,
                const char *name, size_t len)
{
    for (size_t i = 0; i < n_options; i++) {
        if (strlen(options[i].name) == len
            && !strncmp(options[i].name, name, len)) {
            return &options[i];
        }
    }
    return NULL;
}

/* Finds option 'name' (the first 'len' bytes) of 'table'. */
static const struct cli_option *
find_option(const struct cli_table *table, const char *name, size_t len)
{
    return cli_option_find(table->options, table->n_options, name, len);
}

static bool
is_flag(const struct cli_option *opt)
{
    return opt->type == CLI_TRUE || opt->type == CLI_FALSE;
}

int
cli_parse_value(enum cli_type type, const char *name, const char *value,
                json_t **out, char *msg, size_t size)
{
    json_t *v = NULL;
    uint64_t u;
    uint32_t u32;

    *out = NULL;
    switch (type) {
    case CLI_RATE:
        if (units_parse_rate(value, &u)) {
            return usage_error(msg, size, "--%s: \"%s\" is not a rate (bits/s, "
                               "e.g. 100k, 10M, 1.5G)", name, value);
        }
        v = json_integer(u);
        break;
    case CLI_DELAY:
        if (units_parse_delay(value, &u32)) {
            return usage_error(msg, size, "--%s: \"%s\" is not a delay (e.g. "
                               "500us, 10ms, 1s)", name, value);
        }
        v = json_integer(u32);
        break;
    case CLI_LOSS:
        if (units_parse_loss(value, &u32)) {
            return usage_error(msg, size, "--%s: \"%s\" is not a loss (a "
                               "percentage 0..100, e.g. 0.5%%, or 500ppm)",
                               name, value);
        }
        v = json_integer(u32);
        break;
    case CLI_UINT:
        if (!cli_parse_uint(value, &u)) {
            return usage_error(msg, size, "--%s: \"%s\" is not a "
                               "non-negative integer", name, value);
        }
        v = json_integer(u);
        break;
    case CLI_STRING:
    case CLI_REPEAT:
        v = json_string(value);
        break;
    case CLI_JSON: {
        json_error_t jerr;
        v = json_loads(value, 0, &jerr);
        if (!json_is_object(v)) {
            json_decref(v);
            return usage_error(msg, size, "--%s: not a JSON object: %s",
                               name, v ? "" : jerr.text);
        }
        break;
    }
    case CLI_LIST: {
        char *copy = xstrdup(value), *save = NULL;
        v = json_array();
        for (char *tok = strtok_r(copy, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            json_array_append_new(v, json_string(tok));
        }
        free(copy);
        break;
    }
    case CLI_TRUE:
    case CLI_FALSE:
        v = json_boolean(type == CLI_TRUE);
        break;
    }
    if (!v) {
        return usage_error(msg, size, "--%s: \"%s\" is not valid text",
                           name, value);
    }
    *out = v;
    return 0;
}

/* Converts option 'opt' with 'value' into a member of 'params'. */
static int
set_option(const struct cli_option *opt, const char *value, json_t *params,
           char *msg, size_t size)
{
    json_t *v, *old = json_object_get(params, opt->param);
    int error = cli_parse_value(opt->type, opt->name, value, &v, msg, size);

    if (error) {
        return error;
    }
    if (opt->type == CLI_REPEAT) {
        if (!old) {
            old = json_array();
            json_object_set_new(params, opt->param, old);
        }
        json_array_append_new(old, v);
        return 0;
    }
    if (old) {
        json_decref(v);
        return usage_error(msg, size, "--%s: given twice (or with its "
                           "opposite)", opt->name);
    }
    json_object_set_new(params, opt->param, v);
    return 0;
}

/* Sets the positional parameters of 'cmd' from 'pos'. */
static int
set_positionals(const struct cli_command *cmd, char **pos, int n_pos,
                json_t *params, char *msg, size_t size)
{
    char *spec = xstrdup(cmd->args), *save = NULL;
    int i = 0, error = 0;

    for (char *name = strtok_r(spec, " ", &save); name;
         name = strtok_r(NULL, " ", &save)) {
        size_t len = strlen(name);
        bool optional = name[len - 1] == '?';
        char *label, *second;

        if (optional) {
            name[len - 1] = '\0';
        }
        label = strchr(name, '=');
        if (label) {
            *label++ = '\0';
        } else {
            label = name;
        }
        second = strchr(name, ':');
        if (i >= n_pos) {
            if (!optional) {
                error = usage_error(msg, size, "missing %s", label);
            }
            break;
        }
        if (second) {
            /* "A:B" split into two params. */
            char *colon = strchr(pos[i], ':');

            *second++ = '\0';
            if (!colon || colon == pos[i] || !colon[1]) {
                error = usage_error(msg, size, "\"%s\" is not %s", pos[i],
                                    label);
                break;
            }
            json_object_set_new(params, name,
                                json_stringn(pos[i], colon - pos[i]));
            json_object_set_new(params, second, json_string(colon + 1));
        } else {
            json_t *v = json_string(pos[i]);
            if (!v) {
                error = usage_error(msg, size, "%s is not valid text", label);
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

/* How many of the words of 'cmd' begin 'line' (n_line words); sets
 * '*all' if all of them do. */
static int
match_words(const struct cli_command *cmd, char **line, int n_line,
            bool *all)
{
    const char *w = cmd->words;
    int n = 0;

    *all = false;
    while (*w) {
        size_t len = strcspn(w, " ");
        if (n >= n_line || strlen(line[n]) != len
            || strncmp(line[n], w, len)) {
            return n;
        }
        n++;
        w += len;
        w += strspn(w, " ");
    }
    *all = true;
    return n;
}

/* Joins the first 'n' words of 'line' into 'buf'. */
static void
join_words(char **line, int n, char *buf, size_t size)
{
    size_t len = 0;

    buf[0] = '\0';
    for (int i = 0; i < n && len < size; i++) {
        len += snprintf(buf + len, size - len, "%s%s", i ? " " : "", line[i]);
    }
}

/* Checks the options 'cmd' needs once 'params' holds what was given. */
static int
check_required(const struct cli_command *cmd, const struct cli_table *table,
               const json_t *params, int n_opts, char *msg, size_t size)
{
    if (cmd->required) {
        char *list = xstrdup(cmd->required), *save = NULL;
        for (char *name = strtok_r(list, " ", &save); name;
             name = strtok_r(NULL, " ", &save)) {
            const struct cli_option *opt = find_option(table, name,
                                                       strlen(name));
            if (!opt || !json_object_get(params, opt->param)) {
                usage_error(msg, size, "missing --%s", name);
                free(list);
                return 2;
            }
        }
        free(list);
    }
    if (cmd->need_option && !n_opts) {
        /* "give --a, --b or --c" */
        char *list = xstrdup(cmd->options), *save = NULL, *prev = NULL;
        size_t len = snprintf(msg, size, "nothing to set: give");
        int n = 0;

        for (char *name = strtok_r(list, " ", &save); name;
             name = strtok_r(NULL, " ", &save)) {
            if (prev && len < size) {
                len += snprintf(msg + len, size - len, "%s --%s",
                                n++ ? "," : "", prev);
            }
            prev = name;
        }
        if (prev && len < size) {
            snprintf(msg + len, size - len, "%s --%s", n ? " or" : "", prev);
        }
        free(list);
        return 2;
    }
    return 0;
}

void
cli_request_uninit(struct cli_request *req)
{
    json_decref(req->params);
    req->params = NULL;
}

int
cli_parse(const struct cli_table *table, int argc, char *argv[],
          struct cli_request *req, char *msg, size_t size)
{
    /* The words and positional arguments, argv[0] first. */
    char **line = xcalloc(argc + 1, sizeof *line);
    /* Options are kept until the command is known. */
    const struct cli_option **opts = xcalloc(argc + 1, sizeof *opts);
    const char **values = xcalloc(argc + 1, sizeof *values);
    int n_line = 0, n_opts = 0, error = 0, best = 0;
    const char *timeout = NULL;

    memset(req, 0, sizeof *req);
    req->socket_path = table->socket_env ? getenv(table->socket_env) : NULL;
    if (!req->socket_path || !*req->socket_path) {
        req->socket_path = table->default_socket;
    }
    req->timeout_ms = CLI_DEFAULT_TIMEOUT_MS;
    if (!table->default_url) {
        req->connect = getenv("LAMINA_CONNECT");
        req->connect = req->connect && *req->connect ? req->connect : NULL;
        req->ca_cert = getenv("LAMINA_CA_CERT");
        req->cert = getenv("LAMINA_CERT");
        req->key = getenv("LAMINA_KEY");
    }
    if (table->default_url) {
        req->url = getenv(table->url_env);
        if (!req->url || !*req->url) {
            req->url = table->default_url;
        }
    }
    line[n_line++] = argv[0];

    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        const char *name, *value = NULL, *eq;
        size_t len;

        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            req->help = true;
            continue;
        }
        if (strncmp(arg, "--", 2) || !arg[2]) {
            line[n_line++] = arg;
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
        opts[n_opts] = find_option(table, name, len);
        bool is_url = (table->default_url && len == strlen(table->url_option)
                       && !strncmp(name, table->url_option, len));
        bool is_token = (len == 10 && !strncmp(name, "token-file", 10));
        const char **remote = NULL;     /* --connect and its TLS files */
        if (!table->default_url && !opts[n_opts]) {
            remote = len == 7 && !strncmp(name, "connect", 7) ? &req->connect
                     : len == 7 && !strncmp(name, "ca-cert", 7) ? &req->ca_cert
                     : len == 4 && !strncmp(name, "cert", 4) ? &req->cert
                     : len == 3 && !strncmp(name, "key", 3) ? &req->key : NULL;
        }
        if (!opts[n_opts] && !is_url && !is_token && !remote
            && !(len == 6 && !strncmp(name, "socket", 6) && !table->default_url)
            && !(len == 7 && !strncmp(name, "timeout", 7))) {
            error = usage_error(msg, size, "unknown option --%.*s", (int) len,
                                name);
            goto out;
        }
        if (opts[n_opts] && is_flag(opts[n_opts])) {
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
        if (opts[n_opts]) {
            values[n_opts++] = value;
        } else if (remote) {
            *remote = value;
        } else if (is_url) {
            req->url = value;
        } else if (is_token) {
            req->token_file = value;
        } else if (len == 6) {
            req->socket_path = value;
        } else {
            timeout = value;
        }
    }
    if (timeout) {
        uint64_t sec;
        if (!cli_parse_uint(timeout, &sec) || !sec || sec > 3600) {
            error = usage_error(msg, size, "--timeout: \"%s\" is not a number "
                                "of seconds (1..3600)", timeout);
            goto out;
        }
        req->timeout_ms = sec * 1000;
    }

    /* The command: the first whose words begin the line. */
    for (size_t i = 0; i < table->n_commands; i++) {
        bool all;
        int n = match_words(&table->commands[i], line, n_line, &all);
        if (all) {
            req->cmd = &table->commands[i];
            best = n;
            break;
        }
        best = MAX(best, n);
    }
    join_words(line, MAX(best, 1), req->words, sizeof req->words);
    if (!req->cmd) {
        if (req->help) {
            goto out;          /* the usage of the words so far */
        }
        if (best < n_line) {
            char words[sizeof req->words];
            join_words(line, best + 1, words, sizeof words);
            error = usage_error(msg, size, "unknown command \"%s\"", words);
        } else {
            error = usage_error(msg, size, "missing command after \"%s\"",
                                req->words);
        }
        goto out;
    }
    req->method = req->cmd->method;
    if (req->help) {
        goto out;
    }
    req->params = json_object();
    for (int i = 0; i < n_opts; i++) {
        if (!str_has_word(req->cmd->options, opts[i]->name)) {
            error = usage_error(msg, size, "option --%s does not apply to "
                                "\"%s\"", opts[i]->name, req->words);
            goto out;
        }
        error = set_option(opts[i], values[i], req->params, msg, size);
        if (error) {
            goto out;
        }
    }
    error = set_positionals(req->cmd, line + best, n_line - best,
                            req->params, msg, size);
    if (!error) {
        error = check_required(req->cmd, table, req->params, n_opts, msg,
                               size);
    }

out:
    if (error) {
        cli_request_uninit(req);
    }
    free(line);
    free(opts);
    free(values);
    return error;
}

int
cli_parse_line(const struct cli_table *table, const char *line, char *msg,
               size_t size)
{
    char *copy = xstrdup(line), *save = NULL;
    char **argv = xcalloc(strlen(line) / 2 + 2, sizeof *argv);
    struct cli_request req;
    int argc = 0, rc;

    for (char *t = strtok_r(copy, " ", &save); t;
         t = strtok_r(NULL, " ", &save)) {
        argv[argc++] = t;
    }
    rc = cli_parse(table, argc, argv, &req, msg, size);
    if (!rc && req.help) {
        snprintf(msg, size, "help %s", req.method ? req.method : req.words);
    } else if (!rc) {
        char *text = json_dumps(req.params, JSON_COMPACT | JSON_SORT_KEYS);
        snprintf(msg, size, "%s %s", req.method, text ? text : "null");
        free(text);
    }
    cli_request_uninit(&req);
    free(argv);
    free(copy);
    return rc;
}

/* ---- Usage ---------------------------------------------------------------- */

/* Whether a command of 'table' whose words begin with 'words' (or the
 * command 'only') has an option of 'type'. */
static bool
uses_type(const struct cli_table *table, const char *words,
          const struct cli_command *only, enum cli_type type)
{
    for (size_t i = 0; i < table->n_commands; i++) {
        const struct cli_command *c = &table->commands[i];
        if (only ? c != only : strncmp(c->words, words, strlen(words))) {
            continue;
        }
        for (size_t k = 0; k < table->n_options; k++) {
            if (table->options[k].type == type
                && str_has_word(c->options, table->options[k].name)) {
                return true;
            }
        }
    }
    return false;
}

/* What the values of the option types mean, for the commands shown,
 * after a blank line if there is anything to say. */
static void
units_usage(FILE *out, const struct cli_table *table, const char *words,
            const struct cli_command *only)
{
    if (uses_type(table, words, only, CLI_RATE)
        || uses_type(table, words, only, CLI_DELAY)
        || uses_type(table, words, only, CLI_LOSS)) {
        fputc('\n', out);
    }
    if (uses_type(table, words, only, CLI_RATE)) {
        fprintf(out, "RATE is bits/s with an optional SI suffix: 100k, 10M, "
                "1.5G, 2T (powers\nof 1000; \"bps\" may follow).\n");
    }
    if (uses_type(table, words, only, CLI_DELAY)) {
        fprintf(out, "D is a delay: 500us, 10ms, 1s (plain: microseconds).\n");
    }
    if (uses_type(table, words, only, CLI_LOSS)) {
        fprintf(out, "L is a loss: a percentage 0..100 (0.5 or 0.5%%) or "
                "NNNppm.\n");
    }
}

static void
global_usage(FILE *out, const struct cli_table *table)
{
    if (table->default_url) {
        fprintf(out,
"\nglobal options (anywhere after the command):\n"
"  --%s URL  %s's URL (env %s, default %s)\n"
"  --token-file FILE  the bearer token (else env %s)\n"
"  --json         print the daemon's answer as JSON\n"
"  --timeout SEC  wait at most SEC seconds for the answer (default 30)\n"
"  -h, --help     this help\n", table->url_option, table->daemon,
                table->url_env, table->default_url, table->token_env);
        return;
    }
    fprintf(out,
"\nglobal options (anywhere after the command):\n"
"  --socket PATH  %s's socket (env %s, default\n"
"                 %s)\n"
"  --connect HOST:PORT  a remote daemon's management listener (env\n"
"                 LAMINA_CONNECT), with TLS: --ca-cert F --cert F --key F\n"
"                 (env LAMINA_CA_CERT, LAMINA_CERT, LAMINA_KEY) and a token:\n"
"                 --token-file F (else env LAMINA_MGMT_TOKEN)\n"
"  --json         print the daemon's answer as JSON\n"
"  --timeout SEC  wait at most SEC seconds for the answer (default 30)\n"
"  -h, --help     this help\n", table->daemon, table->socket_env,
            table->default_socket);
}

void
cli_usage(FILE *out, const struct cli_table *table, const char *words)
{
    size_t wlen = strlen(words);

    fprintf(out, "usage:\n");
    for (size_t i = 0; i < table->n_commands; i++) {
        const struct cli_command *c = &table->commands[i];
        if (!strncmp(c->words, words, wlen)
            && (!c->words[wlen] || c->words[wlen] == ' ')) {
            fprintf(out, "  lamina %s%s%s\n      %s\n", c->words,
                    *c->usage ? " " : "", c->usage, c->help);
        }
    }
    global_usage(out, table);
    units_usage(out, table, words, NULL);
}

/* The usage of one command. */
static void
command_usage(FILE *out, const struct cli_table *table,
              const struct cli_command *c)
{
    fprintf(out, "usage: lamina %s%s%s\n  %s (%s %s)\n", c->words,
            *c->usage ? " " : "", c->usage, c->help,
            table->default_url ? "HTTP" : "RPC method", c->method);
    units_usage(out, table, NULL, c);
    if (table->default_url) {
        fprintf(out, "Global options: --%s URL, --token-file FILE, --json, "
                "--timeout SEC.\n", table->url_option);
    } else {
        fprintf(out, "Global options: --socket PATH, --json, --timeout "
                "SEC.\n");
    }
}

/* ---- Output ------------------------------------------------------------- */

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

/* The column names of the flattened rows 'flat', identifying columns
 * first in a fixed order, the rest as they came. */
static json_t *
table_columns(const json_t *flat)
{
    static const char *const first[] = { "slice", "switch", "name",
                                         "port", "vport", "lcore" };
    json_t *columns = json_array(), *ordered = json_array();
    size_t i, j;
    json_t *row, *c;

    json_array_foreach(flat, i, row) {
        const char *key;
        json_t *v;

        json_object_foreach((json_t *) row, key, v) {
            bool seen = false;
            json_array_foreach(columns, j, c) {
                seen |= !strcmp(json_string_value(c), key);
            }
            if (!seen) {
                json_array_append_new(columns, json_string(key));
            }
        }
    }
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
    return ordered;
}

/* Prints an array of objects as a table, one column per member. */
static void
print_table(FILE *out, const json_t *rows)
{
    json_t *flat = json_array(), *columns;
    size_t i, n_cols, *width;
    json_t *row;

    json_array_foreach(rows, i, row) {
        json_t *f = json_object();
        if (json_is_object(row)) {
            flatten(NULL, row, f);
        } else {
            json_object_set(f, "value", row);
        }
        json_array_append_new(flat, f);
    }
    columns = table_columns(flat);
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

void
cli_print_json(FILE *out, const json_t *result)
{
    char *text = json_dumps(result, JSON_INDENT(2) | JSON_ENCODE_ANY
                            | JSON_PRESERVE_ORDER);
    fprintf(out, "%s\n", text ? text : "null");
    free(text);
}

void
cli_print_tables(FILE *out, const struct cli_command *cmd,
                 const json_t *result)
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

void
cli_print_pairs(FILE *out, const struct cli_command *cmd,
                const json_t *result)
{
    json_t *list = json_is_object(result) && json_object_size(result) == 1
                   ? json_object_iter_value(json_object_iter((json_t *) result))
                   : NULL;

    if (!result || json_is_null(result)) {
        return;
    }
    if (!json_is_array(list)) {
        cli_print_json(out, result);
        return;
    }
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        const char *k;
        json_t *v;
        json_object_foreach(e, k, v) {
            char *t = json_is_string(v) ? xstrdup(json_string_value(v))
                      : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            fprintf(out, "%s=%s ", k, t);
            free(t);
        }
        fprintf(out, "\n");
    }
}

/* ---- The run ------------------------------------------------------------ */

/* Prints the daemon's refusal: its message, with --json its data, else
 * the field it names. */
static void
print_refusal(const struct cli_table *table, const struct cli_request *req,
              const struct jsonrpc_error *err)
{
    const char *field = json_string_value(json_object_get(err->data, "field"));

    if (req->json && err->data) {
        char *data = json_dumps(err->data, JSON_COMPACT);
        fprintf(stderr, "%s: %s %s\n", table->prog, err->message,
                data ? data : "");
        free(data);
    } else if (field) {
        fprintf(stderr, "%s: %s (%s)\n", table->prog, err->message, field);
    } else {
        fprintf(stderr, "%s: %s\n", table->prog, err->message);
    }
}

/* Reads the whole file 'path' (at most 1 MiB) into '*out'.  Returns 0 or
 * an errno. */
static int
read_small_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        return errno;
    }
    size_t cap = 4096, n = 0, got;
    char *buf = xmalloc(cap);
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n > 1024 * 1024) {
            fclose(f);
            free(buf);
            return EFBIG;
        }
        if (cap - n < 2) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
    }
    fclose(f);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

/* The bearer token: --token-file, else $token_env.  NULL if none. */
static char *
http_token(const struct cli_table *table, const struct cli_request *req,
           char *msg, size_t size)
{
    if (req->token_file) {
        char *t;
        size_t len;
        int error = read_small_file(req->token_file, &t, &len);
        if (error) {
            snprintf(msg, size, "--token-file %s: %s", req->token_file,
                     strerror(error));
            return NULL;
        }
        t[strcspn(t, " \r\n")] = '\0';
        return t;
    }
    const char *e = getenv(table->token_env);
    if (!e || !*e) {
        snprintf(msg, size, "no token: give --token-file FILE or set %s",
                 table->token_env);
        return NULL;
    }
    return xstrdup(e);
}

/* Appends 'key=value' (value URL-escaped) to the query in 'q'. */
static void
query_add(char **q, const char *key, const json_t *v)
{
    char *text = (json_is_string(v) ? xstrdup(json_string_value(v))
                  : json_is_true(v) ? xstrdup("1")
                  : json_is_false(v) ? xstrdup("0")
                  : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY));
    size_t len = strlen(*q) + strlen(key) + 3 * strlen(text) + 3;
    char *out = xmalloc(len);
    char *p = out + sprintf(out, "%s%c%s=", *q, **q ? '&' : '?', key);
    for (const unsigned char *c = (const unsigned char *) text; *c; c++) {
        if (isalnum(*c) || strchr("-._~:", *c)) {
            *p++ = *c;
        } else {
            p += sprintf(p, "%%%02X", *c);
        }
    }
    *p = '\0';
    free(text);
    free(*q);
    *q = out;
}

/* Sends 'req' to the HTTP daemon of 'table'; fills '*result' or prints
 * the refusal.  Returns the exit status. */
static int
http_run(const struct cli_table *table, struct cli_request *req,
         json_t **result)
{
    char msg[512];
    char *token = http_token(table, req, msg, sizeof msg);
    if (!token) {
        fprintf(stderr, "%s: %s\n", table->prog, msg);
        return 2;
    }
    /* "VERB /path/{param}" */
    const char *sp = strchr(req->method, ' ');
    char verb[8];
    snprintf(verb, sizeof verb, "%.*s", (int) (sp - req->method), req->method);
    char *path = xstrdup("");
    for (const char *p = sp + 1; *p;) {
        const char *open = strchr(p, '{');
        if (!open) {
            char *np = xasprintf("%s%s", path, p);
            free(path);
            path = np;
            break;
        }
        const char *close = strchr(open, '}');
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int) (close - open - 1), open + 1);
        const char *v = json_string_value(json_object_get(req->params, name));
        char *np = xasprintf("%s%.*s%s", path, (int) (open - p), p, v ? v : "");
        free(path);
        path = np;
        if (v && strchr(v, '/')) {
            fprintf(stderr, "%s: \"%s\" is not a valid %s\n", table->prog, v,
                    name);
            free(path);
            free(token);
            return 2;
        }
        json_object_del(req->params, name);
        p = close + 1;
    }
    char *query = xstrdup("");
    char *body = NULL;
    size_t body_len = 0;
    const char *ctype = NULL;
    const char *key;
    json_t *v, *tmp;
    int status = 0;
    if (req->cmd->body_file) {
        const char *file = json_string_value(json_object_get(
                                                 req->params,
                                                 req->cmd->body_file));
        int error = read_small_file(file, &body, &body_len);
        if (error) {
            fprintf(stderr, "%s: %s: %s\n", table->prog, file,
                    error == EFBIG ? "larger than 1 MiB" : strerror(error));
            status = 1;
            goto out;
        }
        const char *c = body + strspn(body, " \t\r\n");
        ctype = *c == '{' ? "application/json" : "application/yaml";
        json_object_del(req->params, req->cmd->body_file);
    }
    json_object_foreach_safe(req->params, tmp, key, v) {
        if (!strcmp(verb, "GET") || (req->cmd->query
                                     && str_has_word(req->cmd->query, key))) {
            query_add(&query, key, v);
            json_object_del(req->params, key);
        }
    }
    if (!body && strcmp(verb, "GET")) {
        body = json_dumps(req->params, JSON_COMPACT);
        body_len = strlen(body);
    }
    char *url = xasprintf("%s%s%s", req->url, path, query);
    struct http_client_opts o = {
        .token = token, .timeout_ms = req->timeout_ms, .content_type = ctype,
    };
    long code = 0;
    char *err = NULL;
    int error = http_client_call(verb, url, &o, body, body_len, &code, result,
                                 &err);
    if (error) {
        fprintf(stderr, "%s: cannot reach %s at %s: %s%s%s\n", table->prog,
                table->daemon, req->url, err ? err : strerror(error),
                error == ECONNREFUSED ? " (is it running? use --" : "",
                error == ECONNREFUSED ? table->url_option : "");
        if (error == ECONNREFUSED) {
            fprintf(stderr, "  URL or %s)\n", table->url_env);
        }
        status = 1;
    } else if (code < 200 || code > 299) {
        json_t *e = json_object_get(*result, "error");
        const char *m = json_string_value(json_object_get(e, "message"));
        const char *f = json_string_value(json_object_get(e, "field"));
        if (req->json && *result) {
            cli_print_json(stderr, *result);
        }
        fprintf(stderr, "%s: %s%s%s%s (HTTP %ld)\n", table->prog,
                m ? m : "refused", f ? " (" : "", f ? f : "", f ? ")" : "",
                code);
        status = 1;
    }
    free(url);
    free(err);
out:
    explicit_bzero(token, strlen(token));
    free(token);
    free(path);
    free(query);
    free(body);
    return status;
}

int
cli_run(const struct cli_table *table, int argc, char *argv[])
{
    struct jsonrpc_error err = { 0 };
    struct jsonrpc_client *client;
    struct mgmt_client *remote = NULL;
    struct cli_request req;
    json_t *result = NULL;
    char msg[512];
    int error;

    if (cli_parse(table, argc, argv, &req, msg, sizeof msg)) {
        fprintf(stderr, "%s: %s\n", table->prog, msg);
        fprintf(stderr, "Run 'lamina %s --help' for usage.\n", argv[0]);
        return 2;
    }
    if (req.help) {
        if (req.cmd) {
            command_usage(stdout, table, req.cmd);
        } else {
            cli_usage(stdout, table, req.words);
        }
        cli_request_uninit(&req);
        return 0;
    }
    if (table->default_url) {
        int status = http_run(table, &req, &result);
        if (!status) {
            if (req.json) {
                cli_print_json(stdout, result);
            } else {
                (table->print ? table->print : cli_print_tables)(stdout,
                                                                  req.cmd,
                                                                  result);
            }
        }
        json_decref(result);
        cli_request_uninit(&req);
        return status;
    }
    if (req.connect) {
        struct mgmt_config mc = {
            .listen = req.connect, .private_key = req.key,
            .certificate = req.cert, .ca_cert = req.ca_cert,
            .token_file = req.token_file,
            .token = req.token_file ? NULL : getenv("LAMINA_MGMT_TOKEN"),
            .timeout_ms = req.timeout_ms,
        };
        int fd;
        log_set_level(LOG_LVL_WARN);    /* not the TLS session's details */
        error = mgmt_connect(&mc, &remote, &fd, msg, sizeof msg);
        if (error) {
            fprintf(stderr, "%s: cannot reach %s: %s\n", table->prog,
                    table->daemon, msg);
            cli_request_uninit(&req);
            return 1;
        }
        client = jsonrpc_client_from_fd(fd);
        req.socket_path = req.connect;
    } else if ((error = jsonrpc_client_open(req.socket_path, &client))) {
        fprintf(stderr, "%s: cannot connect to %s at %s: %s", table->prog,
                table->daemon, req.socket_path, strerror(error));
        if (error == ENOENT || error == ECONNREFUSED) {
            fprintf(stderr, " (is %s running? use --socket PATH or %s)",
                    table->daemon, table->socket_env);
        }
        fputc('\n', stderr);
        cli_request_uninit(&req);
        return 1;
    }
    error = jsonrpc_client_call(client, req.method, req.params,
                                req.timeout_ms, &result, &err);
    jsonrpc_client_close(client);
    mgmt_client_close(remote);
    if (error == EREMOTEIO || error == EPROTO) {
        print_refusal(table, &req, &err);
    } else if (error) {
        fprintf(stderr, "%s: %s from %s at %s: %s\n", table->prog, req.method,
                table->daemon, req.socket_path,
                error == ETIMEDOUT ? "no answer in time" : strerror(error));
    } else if (req.json) {
        cli_print_json(stdout, result);
    } else {
        (table->print ? table->print : cli_print_tables)(stdout, req.cmd,
                                                          result);
    }
    json_decref(result);
    jsonrpc_error_clear(&err);
    cli_request_uninit(&req);
    return error ? 1 : 0;
}
