/*
 * switch_cli: the `lamina switch|port|link|slice|vnode|vport|vlink|queue|
 * stats` commands, a thin client of lamina-switchd's JSON-RPC methods.
 *
 * Each command line becomes one request: the words after the group pick
 * the method ("lamina port add" -> "port.add"), positional arguments and
 * options become its params, with rates, delays and losses parsed by
 * lib/units.h ("--rate 1.5G" -> "rate_bps": 1500000000).  Translation is
 * kept apart from the socket (switch_cli_parse()) so it can be tested
 * without a daemon.
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

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define SWITCH_CLI_DEFAULT_SOCKET "/run/lamina/switchd.sock"

struct switch_cli_request {
    const char *method;         /* e.g. "port.add" */
    json_t *params;             /* owned; NULL for none */
    const char *socket_path;    /* where to send it */
    bool json;                  /* --json */
    bool help;                  /* --help: print usage, send nothing */
    int timeout_ms;
    const char *group, *verb;   /* as recognized, for usage messages */
};

/* Translates a command line ('argv[0]' is the group name) into 'req'.
 * Returns 0, or 2 (usage error) with 'msg' saying what is wrong. */
int switch_cli_parse(int argc, char *argv[], struct switch_cli_request *req,
                     char *msg, size_t msg_size);

/* Frees what switch_cli_parse() allocated in 'req'. */
void switch_cli_request_uninit(struct switch_cli_request *req);

#endif /* LAMINA_SWITCH_CLI_H */
