/*
 * mgmt: remote management of a daemon's JSON-RPC service (lib/jsonrpc.h)
 * over TCP, never without mutual TLS and a bearer token.
 *
 * The JSON-RPC service listens on a Unix socket whose file mode decides who
 * may manage the daemon.  A daemon on another machine is reached through
 * a management listener in front of that socket:
 *
 *   - mgmt_server_start() listens on ADDR:PORT with TLS (lib/openflow's
 *     ofstream: TLS 1.2 or later, mutual as in Open vSwitch: the server's
 *     key and certificate, and the CA every client's certificate must
 *     verify against) and refuses to start without all three and a token
 *     file (at least 16 characters, not readable by others).
 *
 *   - A client's first line must be the request
 *       {"jsonrpc": "2.0", "id": 0, "method": "mgmt.auth",
 *        "params": {"token": "..."}}
 *     answered {"result": {"authenticated": true}}; a wrong or missing
 *     token is answered with an error (-32000, data {"errno": "EACCES"})
 *     and the connection closed.  Each side has 10 s for the handshake and
 *     the token.  The token is compared in constant time and never
 *     logged.
 *
 *   - Then the connection is relayed byte for byte to the daemon's own
 *     Unix socket, as a local client: the JSON-RPC server itself stays
 *     single-threaded and unchanged, and its bounds (clients, idle
 *     timeout, unread output) apply to remote clients too.
 *
 * The listener runs in its own thread, one more thread per client (at
 * most MGMT_MAX_CLIENTS, MGMT_MAX_PER_SOURCE from one address; the
 * excess is accepted and closed at once).
 *
 * mgmt_connect() is the client side (the `lamina` CLI's --connect): it
 * opens the TLS connection, authenticates, and returns a local descriptor
 * (one end of a socketpair) relayed to it by a thread, for
 * jsonrpc_client_from_fd().
 */
#ifndef LAMINA_MGMT_H
#define LAMINA_MGMT_H 1

#include <stddef.h>
#include <stdint.h>

#define MGMT_MAX_CLIENTS 16
#define MGMT_MAX_PER_SOURCE 8
#define MGMT_TOKEN_MIN 16
#define MGMT_AUTH_TIMEOUT_MS 10000

struct mgmt_config {
    const char *listen;         /* "ADDR:PORT" (server) or "HOST:PORT" */
    const char *private_key;    /* PEM files */
    const char *certificate;
    const char *ca_cert;
    const char *token_file;     /* server: required; client: or 'token' */
    const char *token;          /* client: the token itself */
    int timeout_ms;             /* client: connect + TLS + auth; 0: 10 s */
};

struct mgmt_server;

/* Checks server config 'cfg' before anything starts: all unset is "off"
 * (0); else it needs an address, TLS (key, certificate, CA) and a token
 * file.  Returns 0 or EINVAL with 'msg' naming what is missing. */
int mgmt_config_check(const struct mgmt_config *cfg, char *msg, size_t size);

/* Starts a listener for the JSON-RPC service on Unix socket 'unix_path'
 * with 'cfg'.  Returns 0 and '*sp', or an errno with 'msg' saying what is
 * missing or wrong (nothing started). */
int mgmt_server_start(const struct mgmt_config *cfg, const char *unix_path,
                      struct mgmt_server **sp, char *msg, size_t size);

/* The port listened on (useful with port 0). */
uint16_t mgmt_server_port(const struct mgmt_server *);

/* Stops listening, closes every client and waits for their threads.
 * Accepts NULL. */
void mgmt_server_stop(struct mgmt_server *);

struct mgmt_client;

/* Connects to the management listener cfg->listen ("HOST:PORT") with
 * TLS (cfg's key, certificate and CA) and authenticates with cfg->token
 * (or the contents of cfg->token_file).  Returns 0, '*fdp' (a local
 * stream socket relayed to the daemon's JSON-RPC service, the caller's to
 * close) and '*cp', or an errno with 'msg' (EACCES: the token was
 * refused). */
int mgmt_connect(const struct mgmt_config *cfg, struct mgmt_client **cp,
                 int *fdp, char *msg, size_t size);

/* After the caller closed '*fdp': waits for the relay to end, closes the
 * TLS connection and frees.  Accepts NULL. */
void mgmt_client_close(struct mgmt_client *);

#endif /* LAMINA_MGMT_H */
