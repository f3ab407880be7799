/*
 * cli: how a part plugs a command group into the `lamina` front end.
 *
 * A part defines one 'struct cli_group' and its meson.build declares
 * '<part>_cli_dep'; cli/meson.build links it and sets HAVE_<PART>_CLI.
 * main() receives argv starting at the group's own name (argv[0] is
 * "vne" for `lamina vne simulate ...`) and returns the exit status:
 * 0 success, 1 failure, 2 usage error.
 *
 * A group that drives a daemon is a table.
 *
 *     Groups whose commands are JSON-RPC calls to a daemon (`lamina
 *     switch|port|...`, `lamina slicer`, and `lamina lease`, `inp`, `sp`
 *     to come) do not parse anything themselves: they declare a 'struct
 *     cli_table' for the runner in cli/runner/cli_runner.h, which parses
 *     the words, positional arguments and typed options, answers --help,
 *     sends the request over the socket and prints the answer (tables,
 *     "key=value" lines, or --json).  Groups that work locally (`lamina
 *     vne`, `lamina topo`: files, namespaces, subprocesses) keep their
 *     own main().
 *
 * Adding a group, e.g. `lamina lease` for lamina-brokerd:
 *
 *     1. In the part's folder, lease_cli.c:
 *
 *            static const struct cli_option lease_cli_options[] = {
 *                { "bandwidth", "bandwidth_bps", CLI_RATE },
 *                { "until", "until", CLI_STRING },
 *            };
 *            static const struct cli_command lease_cli_commands[] = {
 *                { "lease add", "lease.add", "name slice", "bandwidth until",
 *                  "NAME SLICE [--bandwidth RATE] [--until TIME]",
 *                  "lease a slice", .required = "bandwidth" },
 *                { "lease list", "lease.list", "slice?", "", "[SLICE]",
 *                  "list leases" },
 *            };
 *            static const struct cli_table lease_cli_table = {
 *                .prog = "lamina lease", .daemon = "lamina-brokerd",
 *                .socket_env = "LAMINA_BROKER_SOCKET",
 *                .default_socket = "/run/lamina/brokerd.sock",
 *                .options = lease_cli_options,
 *                .n_options = ARRAY_SIZE(lease_cli_options),
 *                .commands = lease_cli_commands,
 *                .n_commands = ARRAY_SIZE(lease_cli_commands),
 *            };
 *            static int lease_cli_main(int argc, char *argv[])
 *            { return cli_run(&lease_cli_table, argc, argv); }
 *            static const char *const lease_cli_names[] = { "lease", NULL };
 *            const struct cli_group lease_cli_group = {
 *                .names = lease_cli_names, .summary = "...",
 *                .main = lease_cli_main,
 *            };
 *
 *        The words of each command begin with the group's name; what
 *        the table cannot say (a check across options) is a few lines
 *        before cli_run(), or a field added to the runner for all.
 *
 *     2. The part's meson.build: a static library of lease_cli.c with
 *        include_directories : cli_inc and dependencies : [cli_runner_dep],
 *        and 'lease_cli_dep' declared from it.
 *
 *     3. Here: "extern const struct cli_group lease_cli_group;"; in
 *        cli/lamina.c its '#ifdef HAVE_LEASE_CLI' row; in cli/meson.build
 *        "lease" in the list of groups.
 *
 *     4. Tests: cli_parse() with the table turns command lines into
 *        requests without a daemon (see vswitch/switch_cli.c and
 *        vswitch/tests/test_switchd_state.c); the integration tests call
 *        `lamina lease ...` against the real daemon.
 */
#ifndef LAMINA_CLI_H
#define LAMINA_CLI_H 1

struct cli_group {
    const char *const *names;   /* NULL-terminated; e.g. {"vne", NULL} */
    const char *summary;        /* one line for `lamina --help` */
    int (*main)(int argc, char *argv[]);
};

extern const struct cli_group switch_cli_group;
extern const struct cli_group vne_cli_group;
extern const struct cli_group topo_cli_group;
extern const struct cli_group slicer_cli_group;
extern const struct cli_group broker_cli_group;

#endif /* LAMINA_CLI_H */
