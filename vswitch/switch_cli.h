/*
 * switch_cli: the `lamina switch|port|link|slice|vnode|vport|vlink|queue|
 * stats` commands, a thin client of lamina-switchd's JSON-RPC methods.
 *
 * The group is a table for the runner (cli/runner/cli_runner.h): the
 * words after the group pick the method ("lamina port add" ->
 * "port.add"), positional arguments and options become its params, with
 * rates, delays and losses parsed by lib/units.h ("--rate 1.5G" ->
 * "rate_bps": 1500000000).  Its special cases are table fields: "port set"
 * needs one of its options, "vlink add" needs --path, "queue set" needs
 * --guarantee, "link add" takes its ends as SWITCH:PORT.
 *
 * Global options, accepted anywhere after the group name:
 *   --socket PATH   the daemon's socket (else $LAMINA_SOCKET, else
 *                   /run/lamina/switchd.sock)
 *   --json          print the daemon's answer as JSON (for scripts)
 *   --timeout SEC   how long to wait for the answer (default 30)
 *   -h, --help      usage of the group or of one command
 */
#ifndef LAMINA_SWITCH_CLI_H
#define LAMINA_SWITCH_CLI_H 1

#include <stddef.h>

#include "cli_runner.h"

#define SWITCH_CLI_DEFAULT_SOCKET "/run/lamina/switchd.sock"

/* The group's commands and options. */
extern const struct cli_table switch_cli_table;

/* Translates a command line ('argv[0]' is the group name) into 'req':
 * cli_parse() with switch_cli_table.  Returns 0, or 2 (usage error) with
 * 'msg' saying what is wrong. */
int switch_cli_parse(int argc, char *argv[], struct cli_request *req,
                     char *msg, size_t msg_size);

#endif /* LAMINA_SWITCH_CLI_H */
