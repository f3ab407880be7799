/*
 * slicer_cli: `lamina slicer slice|flowspace|switch|stats|config ...`, a
 * thin client of lamina-slicer's JSON-RPC methods (slicer_rpc.c).
 *
 * The group is a table for the runner (cli/runner/cli_runner.h).  Rates
 * go through lib/units ("--bandwidth 10M"); --switch may repeat.  Its
 * answers are printed as "key=value" lines (cli_print_pairs()), which
 * scripts grep.
 *
 * Global options, anywhere after "slicer":
 *   --socket PATH   the slicer's socket (else $LAMINA_SLICER_SOCKET, else
 *                   /run/lamina/slicer.sock)
 *   --json          print the answer as JSON
 *   --timeout SEC   wait at most SEC seconds (default 30)
 *   -h, --help      usage of the group or of one command
 */
#include "cli.h"
#include "cli_runner.h"
#include "util.h"

#define SLICER_CLI_DEFAULT_SOCKET "/run/lamina/slicer.sock"

static const struct cli_option slicer_cli_options[] = {
    { "controller", "controller", CLI_STRING },
    { "switch", "switches", CLI_REPEAT },
    { "secret", "secret", CLI_STRING },
    { "open", "open", CLI_TRUE },
    { "max-flows", "max_flows", CLI_UINT },
    { "rate", "rate", CLI_UINT },
    { "burst", "burst", CLI_UINT },
    { "queue", "queue", CLI_UINT },
    { "bandwidth", "bandwidth_bps", CLI_RATE },
    { "tag", "tag", CLI_UINT },
    { "dpid", "dpid", CLI_STRING },
    { "priority", "priority", CLI_UINT },
    { "allow-overlap", "allow_overlap", CLI_TRUE },
};

static const struct cli_command slicer_cli_commands[] = {
    { "slicer slice add", "slice.add", "name",
      "controller switch secret open max-flows rate burst queue bandwidth tag",
      "NAME --controller tcp:IP:PORT --switch DPID[/VDPID]:PORT[=VPORT],... "
      "[--switch ...] (--secret S | --open) [--max-flows N] [--rate MSGS/S] "
      "[--burst N] [--queue Q --bandwidth RATE] [--tag N]",
      "add a slice: its switches and ports, controller and limits" },
    { "slicer slice set", "slice.set", "name", "max-flows rate burst secret",
      "NAME [--max-flows N] [--rate MSGS/S] [--burst N] [--secret S]",
      "change a slice's limits or secret" },
    { "slicer slice del", "slice.del", "name", "", "NAME",
      "delete a slice with its flowspace, and its flows on the switches" },
    { "slicer slice list", "slice.list", "", "", "", "list slices" },
    { "slicer flowspace add", "flowspace.add", "name slice match",
      "dpid priority allow-overlap",
      "NAME SLICE MATCH [--dpid DPID] [--priority P] [--allow-overlap]",
      "give SLICE the packets of MATCH, e.g. vlan_vid=10 or "
      "ipv4_dst=10.1.0.0/16 or tcp_dst=1000-1999" },
    { "slicer flowspace del", "flowspace.del", "name", "", "NAME",
      "delete a flowspace entry (and the slice's flows inside it)" },
    { "slicer flowspace list", "flowspace.list", "slice?", "", "[SLICE]",
      "list flowspace entries" },
    { "slicer binding list", "binding.list", "", "", "",
      "datapath ids and the credential each is bound to" },
    { "slicer binding del", "binding.del", "dpid", "", "DPID",
      "forget the credential of a datapath id (a switch replaced for good)" },
    { "slicer switch list", "switch.list", "", "", "",
      "list connected switches" },
    { "slicer stats", "stats.get", "", "", "", "per-slice counters" },
    { "slicer config", "config.get", "", "", "",
      "the configuration as saved in the state file" },
};

static const struct cli_table slicer_cli_table = {
    .prog = "lamina slicer",
    .daemon = "lamina-slicer",
    .socket_env = "LAMINA_SLICER_SOCKET",
    .default_socket = SLICER_CLI_DEFAULT_SOCKET,
    .options = slicer_cli_options,
    .n_options = ARRAY_SIZE(slicer_cli_options),
    .commands = slicer_cli_commands,
    .n_commands = ARRAY_SIZE(slicer_cli_commands),
    .print = cli_print_pairs,
};

static int
slicer_cli_main(int argc, char *argv[])
{
    return cli_run(&slicer_cli_table, argc, argv);
}

static const char *const slicer_cli_names[] = { "slicer", NULL };

const struct cli_group slicer_cli_group = {
    .names = slicer_cli_names,
    .summary = "the OpenFlow slicer: slices, flowspace, stats",
    .main = slicer_cli_main,
};
