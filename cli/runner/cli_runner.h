/*
 * cli_runner: the one table-driven runner behind every `lamina` command
 * group that talks to a daemon over JSON-RPC.
 *
 * What?
 *
 *     A group (lamina switch|port|..., lamina slicer, later lamina lease,
 *     inp, sp) is a 'struct cli_table': its commands, its options, the
 *     daemon's default socket and environment variable.  cli_run() turns
 *     a command line into one JSON-RPC request, sends it over the Unix
 *     socket (lib/jsonrpc.h), and prints the answer as tables, as
 *     "key=value" lines, or as JSON (--json).  The group's code is the
 *     table and its special cases, nothing else.  cli/cli.h says how to
 *     add a group.
 *
 * Words and positional arguments.
 *
 *     A command is named by its words, the group's name first ("port
 *     add", "slicer flowspace add", "stats").  The first command whose
 *     words begin the command line wins; the positional arguments that
 *     follow the words fill 'args' in order:
 *
 *         "switch name devargs"          three strings
 *         "slice?"                       '?': optional (only at the end)
 *         "sw_a:port_a=SWITCH:PORT"      one argument "s1:p1" split at
 *                                        its first ':' into two params;
 *                                        '=' gives the label that error
 *                                        messages use ("missing SWITCH:PORT")
 *
 * Options.
 *
 *     The group lists its options once (struct cli_option: name, the
 *     param it sets, its type); each command says which of them it takes,
 *     which it cannot do without ('required': "missing --path"), and
 *     whether it needs at least one ('need_option': "nothing to set: give
 *     --rate, --delay or --loss").  "--opt value" and "--opt=value" both
 *     work, anywhere after the group's name.  An option given twice is an
 *     error unless it is CLI_REPEAT.  Every group also has:
 *
 *       --socket PATH   the daemon's socket (else $<socket_env>, else
 *                       <default_socket>)
 *       --json          print the daemon's answer as JSON
 *       --timeout SEC   how long to wait for the answer (1..3600, default 30)
 *       -h, --help      the group's usage, or one command's
 *
 * Exit status: 0 success, 1 failure (no daemon, refused request), 2
 * usage error.  Usage errors name the word that is wrong ("unknown option
 * --bogus", "missing name", "--rate: \"10X\" is not a rate ...").
 *
 * HTTP daemons.
 *
 *     A table with 'default_url' talks to an HTTP daemon (lamina-brokerd)
 *     through lib/http's client instead of a socket: a command's 'method'
 *     is "VERB /path/{param}", the {param}s taken from the parameters;
 *     the other parameters go in the query string for GET and in a JSON
 *     body otherwise (those listed in the command's 'query' go in the
 *     query string anyway, flags as "=1").  A command with 'body_file'
 *     sends that file as the body instead (YAML, or JSON when it starts
 *     with '{').  The bearer token comes from --token-file FILE, else
 *     $<token_env>; the URL from --<url_option> URL, else $<url_env>,
 *     else 'default_url'.  An error answer {"error": {"message",
 *     "field"}} is printed like a JSON-RPC refusal.
 *
 * Parsing (cli_parse()) is kept apart from the socket so that tables can
 * be tested without a daemon.
 */
#ifndef LAMINA_CLI_RUNNER_H
#define LAMINA_CLI_RUNNER_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* How a value on the command line becomes a parameter. */
enum cli_type {
    CLI_STRING,         /* as given */
    CLI_UINT,           /* decimal or 0x hex, 0..INT64_MAX */
    CLI_RATE,           /* bits/s: "1.5G" -> 1500000000 (lib/units.h) */
    CLI_DELAY,          /* "10ms" -> 10000 (microseconds) */
    CLI_LOSS,           /* "0.1%" -> 1000 (ppm) */
    CLI_JSON,           /* a JSON object */
    CLI_LIST,           /* "a,b,c" -> ["a","b","c"] */
    CLI_REPEAT,         /* may repeat: each value appended to an array */
    CLI_TRUE,           /* a flag that sets true */
    CLI_FALSE,          /* a flag that sets false */
};

/* One option of a group. */
struct cli_option {
    const char *name;           /* without "--" */
    const char *param;          /* the JSON-RPC parameter it sets */
    enum cli_type type;
};

/* One command: words -> method. */
struct cli_command {
    const char *words;          /* "port add"; the group's name first */
    const char *method;         /* "port.add" */
    const char *args;           /* positional params, see above; "" none */
    const char *options;        /* the options it takes, space separated */
    const char *usage;          /* "SWITCH NAME [--rate RATE]" */
    const char *help;           /* one line */
    const char *required;       /* options it cannot do without, or NULL */
    bool need_option;           /* at least one of 'options' must be given */
    /* HTTP tables only: params sent in the query string even for a body,
     * and the param naming a file to send as the body (or NULL). */
    const char *query;
    const char *body_file;
};

/* A command group. */
struct cli_table {
    const char *prog;           /* prefix of messages: "lamina" */
    const char *daemon;         /* "lamina-switchd" */
    const char *socket_env;     /* "LAMINA_SOCKET" */
    const char *default_socket; /* "/run/lamina/switchd.sock" */
    const struct cli_option *options;
    size_t n_options;
    const struct cli_command *commands;
    size_t n_commands;

    /* HTTP daemons (see above); NULL 'default_url' for JSON-RPC. */
    const char *default_url;    /* "http://127.0.0.1:8470" */
    const char *url_env;        /* "LAMINA_BROKER" */
    const char *url_option;     /* "broker": --broker URL */
    const char *token_env;      /* "LAMINA_TOKEN" */

    /* Prints a successful answer for people; NULL: cli_print_tables(). */
    void (*print)(FILE *, const struct cli_command *, const json_t *result);
};

/* A parsed command line. */
struct cli_request {
    const struct cli_command *cmd;  /* NULL with 'help': the group's usage */
    const char *method;         /* cmd->method, or NULL */
    json_t *params;             /* owned; NULL with 'help' */
    const char *socket_path;    /* where to send it */
    bool json;                  /* --json */
    bool help;                  /* --help: print usage, send nothing */
    int timeout_ms;
    char words[64];             /* the words recognized, for usage */
    const char *url;            /* HTTP tables: the daemon's base URL */
    const char *token_file;     /* HTTP tables and --connect: --token-file */
    /* Socket tables: a remote daemon's management listener (lib/mgmt.h)
     * instead of the socket: --connect HOST:PORT (env LAMINA_CONNECT) with
     * --ca-cert, --cert, --key (env LAMINA_CA_CERT, LAMINA_CERT,
     * LAMINA_KEY) and --token-file (else env LAMINA_MGMT_TOKEN). */
    const char *connect;
    const char *ca_cert, *cert, *key;
};

/* Translates a command line ('argv[0]' is the group's name) into 'req'
 * with the commands of 'table'.  Returns 0, or 2 (usage error) with 'msg'
 * saying what is wrong; 'req' then holds nothing to free. */
int cli_parse(const struct cli_table *table, int argc, char *argv[],
              struct cli_request *req, char *msg, size_t msg_size);

/* For tests of a table: parses the space-separated 'line' (the group's
 * name first) like cli_parse() and, on success, writes to 'msg' what the
 * line asks: "METHOD {PARAMS}" with the params' keys sorted, or "help
 * METHOD" or "help WORDS" for --help.  Returns 0 or 2 as cli_parse(). */
int cli_parse_line(const struct cli_table *table, const char *line,
                   char *msg, size_t msg_size);

/* Frees what cli_parse() allocated in 'req'. */
void cli_request_uninit(struct cli_request *req);

/* Parses, calls the daemon and prints the answer: a group's main().
 * Returns the exit status (0, 1 or 2). */
int cli_run(const struct cli_table *table, int argc, char *argv[]);

/* Prints the usage of the commands of 'table' whose words begin with
 * 'words' (all of them for the group's name), then the global options. */
void cli_usage(FILE *out, const struct cli_table *table, const char *words);

/* Pieces for groups that parse some words themselves (`lamina topo link
 * A B set rate=R`). */

/* Parses a whole non-negative integer, decimal or 0x hex, into '*out'.
 * Returns false if 's' is not one or is above INT64_MAX. */
bool cli_parse_uint(const char *s, uint64_t *out);

/* Converts 'value' of 'type' into a new JSON value in '*out' (flags:
 * true or false, whatever 'value').  Returns 0, or 2 with '*out' NULL and
 * 'msg' (may be NULL with 'msg_size' 0) naming option 'name'. */
int cli_parse_value(enum cli_type type, const char *name, const char *value,
                    json_t **out, char *msg, size_t msg_size);

/* The option called 'name' (its first 'len' bytes) among 'options', or
 * NULL. */
const struct cli_option *cli_option_find(const struct cli_option *options,
                                         size_t n_options, const char *name,
                                         size_t len);

/* Prints 'result' as indented JSON and a newline ("null" for NULL), as
 * --json does. */
void cli_print_json(FILE *out, const json_t *result);

/* Answer printers for cli_table.print. */

/* Tables for lists of objects, "key: value" lines for objects (a table
 * per member that is a list), nothing for null.  Members named "*_bps"
 * are printed with SI suffixes ("10M"). */
void cli_print_tables(FILE *out, const struct cli_command *cmd,
                      const json_t *result);

/* An object with one list member: one line per element, "key=value "
 * pairs; anything else as indented JSON; nothing for null. */
void cli_print_pairs(FILE *out, const struct cli_command *cmd,
                     const json_t *result);

#endif /* LAMINA_CLI_RUNNER_H */
