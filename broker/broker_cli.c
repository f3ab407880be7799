/*
 * broker_cli: the `lamina lease|inp|broker|principal` command groups, a
 * table for the runner (cli/runner) talking HTTP to lamina-brokerd.
 *
 *     lamina lease request FILE [--dry-run]    a request (YAML or JSON)
 *     lamina lease list [--state S] | show ID | renew ID --duration D
 *     lamina lease release ID | events ID [--after N] [--wait S] | bill
 *     lamina lease offer ID NAME               an active lease as sub-InP NAME
 *     lamina inp list | show NAME
 *     lamina broker status
 *     lamina principal add NAME --role sp|inp|admin     (admin)
 *
 * The broker's URL: --broker URL, else $LAMINA_BROKER, else
 * http://127.0.0.1:8470; the token: --token-file FILE, else $LAMINA_TOKEN.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_runner.h"
#include "util.h"

static const struct cli_option broker_cli_options[] = {
    { "dry-run", "dry_run", CLI_TRUE },
    { "state", "state", CLI_STRING },
    { "duration", "duration", CLI_STRING },
    { "end", "end", CLI_STRING },
    { "after", "after", CLI_UINT },
    { "wait", "wait", CLI_UINT },
    { "role", "role", CLI_STRING },
};

static const struct cli_command broker_cli_commands[] = {
    { "lease request", "POST /v1/requests", "file", "dry-run",
      "FILE [--dry-run]", "request a virtual network (FILE: YAML or JSON); "
      "--dry-run: would it fit, where, or what is short",
      .query = "dry_run", .body_file = "file" },
    { "lease list", "GET /v1/leases", "", "state", "[--state STATE]",
      "list the leases you may see" },
    { "lease show", "GET /v1/leases/{id}", "id", "", "ID",
      "show a lease and its parts on each InP" },
    { "lease renew", "POST /v1/leases/{id}/renew", "id", "duration end",
      "ID --duration D | --end TIME", "ask for a later end; prints the end "
      "granted (the same on every InP)", .need_option = true },
    { "lease release", "POST /v1/leases/{id}/release", "id", "", "ID",
      "release a lease now (its slices are removed on every InP)" },
    { "lease offer", "POST /v1/leases/{id}/offer", "id name", "", "ID NAME",
      "offer an active lease to the market as sub-InP NAME (recursion: "
      "its leases are carved out of yours); prints its token once" },
    { "lease events", "GET /v1/leases/{id}/events", "id", "after wait",
      "ID [--after N] [--wait SEC]", "the events of a lease (warnings "
      "before the end, state changes); --wait: long poll" },
    { "lease bill", "GET /v1/bills", "", "", "",
      "an SP's bill per lease and InP, an InP's revenue (admin: all)" },
    { "inp list", "GET /v1/inps", "", "", "", "list the InPs, up or down" },
    { "inp show", "GET /v1/inps/{name}", "name", "", "NAME",
      "show an InP's offer and the leases touching it" },
    { "broker status", "GET /v1/status", "", "", "",
      "InPs up and down, leases per state" },
    { "principal add", "POST /v1/principals", "name", "role",
      "NAME --role sp|inp|admin", "add a principal (admin); prints its "
      "token once", .required = "role" },
};

static const struct cli_table broker_cli_table = {
    .prog = "lamina",
    .daemon = "lamina-brokerd",
    .default_url = "http://127.0.0.1:8470",
    .url_env = "LAMINA_BROKER",
    .url_option = "broker",
    .token_env = "LAMINA_TOKEN",
    .options = broker_cli_options,
    .n_options = ARRAY_SIZE(broker_cli_options),
    .commands = broker_cli_commands,
    .n_commands = ARRAY_SIZE(broker_cli_commands),
};

/* Leases as a table: one row per lease, its parts left out (they are in
 * `lamina lease show`). */
static void
broker_cli_print(FILE *out, const struct cli_command *cmd, const json_t *r)
{
    json_t *leases = json_object_get(r, "leases");
    if (!strcmp(cmd->words, "lease list") && json_is_array(leases)) {
        json_t *rows = json_array();
        size_t i;
        json_t *l;
        json_array_foreach(leases, i, l) {
            json_t *row = json_deep_copy(l);
            json_object_del(row, "parts");
            json_object_del(row, "start_ts");
            json_object_del(row, "end_ts");
            json_array_append_new(rows, row);
        }
        json_t *o = json_pack("{s:o}", "leases", rows);
        cli_print_tables(out, cmd, o);
        json_decref(o);
        return;
    }
    json_t *parts = json_object_get(r, "parts");
    if (json_is_object(parts)) {
        /* A lease or a dry run: its fields, then one line per InP. */
        json_t *top = json_deep_copy(r);
        json_object_del(top, "parts");
        json_object_del(top, "start_ts");
        json_object_del(top, "end_ts");
        json_object_del(top, "health_detail");
        cli_print_tables(out, cmd, top);
        json_decref(top);
        const char *inp;
        json_t *part;
        json_object_foreach(parts, inp, part) {
            fprintf(out, "%s (slice %s):\n", inp, json_string_value(
                        json_object_get(part, "slice")));
            size_t i;
            json_t *v;
            /* A substrate failure under it there (docs/broker.md). */
            const json_t *h = json_object_get(json_object_get(r, "health_detail"),
                                              inp);
            if (h) {
                char *down = json_dumps(json_object_get(h, "down"), 0);
                const char *why = json_string_value(json_object_get(h, "reason"));
                fprintf(out, "  health: %s, links down %s%s%s\n",
                        json_string_value(json_object_get(h, "state")),
                        down ? down : "[]", why ? ": " : "", why ? why : "");
                free(down);
            }
            json_array_foreach(json_object_get(part, "vnodes"), i, v) {
                fprintf(out, "  vnode %s on %s, cpu %lld, %s\n",
                        json_string_value(json_object_get(v, "name")),
                        json_string_value(json_object_get(v, "switch")),
                        json_integer_value(json_object_get(v, "cpu")),
                        json_string_value(json_object_get(v, "fp")));
            }
            json_array_foreach(json_object_get(part, "access"), i, v) {
                fprintf(out, "  access %s: vnode %s at %s\n",
                        json_string_value(json_object_get(v, "name")),
                        json_string_value(json_object_get(v, "vnode")),
                        json_string_value(json_object_get(v, "access")));
            }
            json_array_foreach(json_object_get(part, "vlinks"), i, v) {
                char *path = json_dumps(json_object_get(v, "path"), 0);
                fprintf(out, "  vlink %s: %s-%s over %s, %lld bit/s\n",
                        json_string_value(json_object_get(v, "name")),
                        json_string_value(json_object_get(v, "a")),
                        json_string_value(json_object_get(v, "b")), path,
                        json_integer_value(json_object_get(v,
                                                           "bandwidth_bps")));
                free(path);
            }
            json_array_foreach(json_object_get(part, "border_vlinks"), i, v) {
                char *path = json_dumps(json_object_get(v, "path"), 0);
                fprintf(out, "  border vlink %s: %s over %s to border %s, "
                        "label %lld, %lld bit/s\n",
                        json_string_value(json_object_get(v, "name")),
                        json_string_value(json_object_get(v, "vnode")), path,
                        json_string_value(json_object_get(v, "border")),
                        json_integer_value(json_object_get(v, "label")),
                        json_integer_value(json_object_get(v,
                                                           "bandwidth_bps")));
                free(path);
            }
            json_array_foreach(json_object_get(part, "transit_vlinks"), i, v) {
                char *path = json_dumps(json_object_get(v, "path"), 0);
                fprintf(out, "  transit vlink %s: from border %s (label %lld) "
                        "over %s to border %s (label %lld), %lld bit/s\n",
                        json_string_value(json_object_get(v, "name")),
                        json_string_value(json_object_get(v, "border_in")),
                        json_integer_value(json_object_get(v, "label_in")), path,
                        json_string_value(json_object_get(v, "border_out")),
                        json_integer_value(json_object_get(v, "label_out")),
                        json_integer_value(json_object_get(v,
                                                           "bandwidth_bps")));
                free(path);
            }
        }
        return;
    }
    cli_print_tables(out, cmd, r);
}

static int
broker_cli_main(int argc, char *argv[])
{
    struct cli_table t = broker_cli_table;
    t.print = broker_cli_print;
    return cli_run(&t, argc, argv);
}

static const char *const broker_cli_names[] = { "lease", "inp", "broker",
                                                "principal", NULL };

const struct cli_group broker_cli_group = {
    .names = broker_cli_names,
    .summary = "lamina-brokerd: leases, InPs, bills (lamina NAME --help)",
    .main = broker_cli_main,
};
