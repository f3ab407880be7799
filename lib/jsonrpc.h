/*
 * jsonrpc: the one JSON-RPC 2.0 layer of Lamina, over Unix stream sockets.
 *
 * What?
 * =====
 *
 * Every daemon that is managed over a socket (lamina-switchd, the InP
 * agent, the broker, the topology builder) serves a table of methods
 * through a 'struct jsonrpc_server', and every client (the `lamina` CLI,
 * one daemon talking to another) calls them through a 'struct
 * jsonrpc_client'.  The wire format is JSON-RPC 2.0
 * (https://www.jsonrpc.org/specification): requests, notifications
 * (requests without "id", never answered) and batches (arrays).
 *
 * Framing
 * =======
 *
 * One message per line: a message is a JSON text terminated by '\n'.
 * Both sides write compact JSON, in which a newline can only appear
 * escaped inside strings, so a line is always a whole message.  Line
 * framing was chosen over streaming JSON (json_loadb with
 * JSON_DISABLE_EOF_CHECK) because a malformed message can then never
 * desynchronize the stream: the server answers -32700 and resumes at the
 * next line.  It also makes the protocol usable by hand (`socat -
 * UNIX-CONNECT:/run/lamina/switchd.sock`).  A line longer than
 * JSONRPC_MAX_MESSAGE bytes is answered with -32600 and the connection is
 * closed, since the rest of that line cannot be trusted.  Empty lines
 * (and a '\r' before the '\n') are ignored.
 *
 * Input that is refused
 * =====================
 *
 * Parse errors, NUL bytes (raw or as \u0000), nesting deeper than
 * jansson's limit (2048), invalid UTF-8: -32700 with id null.  A request
 * that is not an object, lacks "jsonrpc":"2.0" or a string "method", has
 * an id that is not a string, an integer or null, or has params that are
 * neither an array nor an object: -32600 (with its id when the id itself
 * was valid).  An empty batch: one -32600.  Batches of more than
 * JSONRPC_MAX_BATCH requests: one -32600.  Unknown method: -32601.  The
 * handlers answer -32602 for bad params (the helpers below name the field)
 * and JSONRPC_APP_ERROR with "data": {"errno": "EEXIST", ...} when the
 * request was well formed but could not be carried out.
 *
 * Threads and the event loop
 * ==========================
 *
 * A server is single-threaded and non-blocking: it owns an epoll
 * descriptor (jsonrpc_server_fd()) that the caller polls along with its
 * own descriptors, then calls jsonrpc_server_run() to accept, read,
 * dispatch and write.  Handlers run in that thread, one request at a
 * time.  While a connection has unwritten output, the server reads no
 * more requests from it, so a client that does not read its answers
 * costs at most one answer's memory.
 *
 * Bounds on clients
 * =================
 *
 * Anyone who may open the socket file (mode 0660: the daemon's user and
 * group) may connect, so the server bounds what one client can hold:
 *
 *   - At most JSONRPC_MAX_CONNS clients (or fewer, set per server).  A
 *     client over the cap is accepted, sent one error line (-32000,
 *     "server busy: N clients connected...", data {"errno": "EBUSY"})
 *     and closed, so that the CLI can say why instead of "Broken pipe".
 *
 *   - A client silent for the idle timeout (JSONRPC_IDLE_TIMEOUT_MS by
 *     default) is closed: it sent no byte and read no byte of a pending
 *     answer in that time.  Idle clients thus cannot hold the slots of
 *     the cap for long.  Clients open a connection per command or per
 *     batch, so a live client is never idle that long.
 *
 *   - An answer the client leaves unread beyond JSONRPC_MAX_OUTPUT bytes
 *     (after what the socket buffer takes) drops the client.
 *
 *   - Connections are accepted in a loop until the backlog is empty.  The
 *     server keeps one descriptor in reserve: when accept() fails for
 *     lack of descriptors (EMFILE, ENFILE), it gives the reserve up to
 *     accept one more client (so that an operator can still reach a
 *     daemon whose descriptors were taken by other peers) and takes it
 *     back as soon as a descriptor is free.  Without a reserve, the
 *     listening socket is left out of the poll set for 250 ms at a time
 *     instead of spinning on a backlog it cannot take: the clients
 *     already connected keep being served, and the shortage is logged
 *     at most once a minute, with the number of failed accepts.
 *
 * Each of these is counted; the built-in method "rpc.stats" answers the
 * counts, the limits and the number of clients.  The server arms a timer
 * in its epoll set for the idle timeouts and the pauses, so a caller that
 * polls jsonrpc_server_fd() needs no timeout of its own.
 */
#ifndef LAMINA_JSONRPC_H
#define LAMINA_JSONRPC_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Largest message accepted, in bytes, without its '\n'. */
#define JSONRPC_MAX_MESSAGE (1024 * 1024)
/* Most requests in one batch. */
#define JSONRPC_MAX_BATCH 1024
/* Most connections a server keeps open at once; more are refused. */
#define JSONRPC_MAX_CONNS 256
/* Default idle timeout of a client, in milliseconds. */
#define JSONRPC_IDLE_TIMEOUT_MS 30000
/* Default most bytes of answers a client may leave unread. */
#define JSONRPC_MAX_OUTPUT (64 * 1024 * 1024)
/* Longest error message kept, with its NUL. */
#define JSONRPC_MSG_LEN 512

/* The error codes, declared once: NAME, code, default message. */
#define JSONRPC_ERRORS(X)                                               \
    X(PARSE_ERROR,      -32700, "Parse error")                          \
    X(INVALID_REQUEST,  -32600, "Invalid Request")                      \
    X(METHOD_NOT_FOUND, -32601, "Method not found")                     \
    X(INVALID_PARAMS,   -32602, "Invalid params")                       \
    X(INTERNAL_ERROR,   -32603, "Internal error")                       \
    /* The request was valid but could not be carried out; "data"     \
     * holds {"errno": "ENOENT", ...}. */                               \
    X(APP_ERROR,        -32000, "Server error")

enum jsonrpc_code {
#define JSONRPC_ENUM(NAME, CODE, MSG) JSONRPC_##NAME = CODE,
    JSONRPC_ERRORS(JSONRPC_ENUM)
#undef JSONRPC_ENUM
};

/* The default message for 'code' ("Server error" for unknown codes). */
const char *jsonrpc_code_to_string(int code);

/* An error, as a handler reports it or as a client receives it.  'code'
 * is 0 when there is no error.  'data' (owned, may be NULL) is sent as
 * the error's "data" member. */
struct jsonrpc_error {
    int code;
    char message[JSONRPC_MSG_LEN];
    json_t *data;
};

/* Sets 'err' to 'code' with a printf-style message; replaces any data. */
void jsonrpc_error_set(struct jsonrpc_error *err, int code,
                       const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets 'err' to an application error for the positive errno 'error':
 * data becomes {"errno": "<EXXX>"} (plus "field": 'field' if nonnull). */
void jsonrpc_error_set_errno(struct jsonrpc_error *err, int error,
                             const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Frees the data of 'err' and marks it as no error.  Accepts NULL. */
void jsonrpc_error_clear(struct jsonrpc_error *err);

/* ---- Server ----------------------------------------------------------- */

/* A method handler.  'params' is what the request gave (an object, an
 * array, or NULL when absent), borrowed.  'aux' is the server's aux
 * pointer.  On success, returns 0 and sets '*result' to a new reference
 * (NULL answers null).  On failure, returns nonzero and fills 'err'
 * (a nonzero return with err->code 0 answers -32603). */
typedef int jsonrpc_handler(const json_t *params, json_t **result,
                            struct jsonrpc_error *err, void *aux);

struct jsonrpc_method {
    const char *name;           /* e.g. "switch.add" */
    jsonrpc_handler *handler;
    const char *help;           /* one line, for "rpc.methods"; may be NULL */
};

struct jsonrpc_server;

/* Creates a server for 'methods' (terminated by an entry with a NULL
 * name; must outlive the server), passing 'aux' to each handler.  Every
 * server also answers "rpc.methods" with the list of its methods and
 * "rpc.stats" with its clients and bounds. */
struct jsonrpc_server *jsonrpc_server_create(const struct jsonrpc_method *,
                                             void *aux);

/* Listens on the Unix socket 'path' (mode 0660 from its creation: only
 * its owner and group may connect).  A stale socket file
 * (nobody accepting on it) is removed first; a live one fails with
 * EADDRINUSE.  Returns 0 or a positive errno. */
int jsonrpc_server_listen(struct jsonrpc_server *, const char *path);

/* Serves an already connected stream socket 'fd' (e.g. one end of a
 * socketpair); the server takes ownership.  Returns 0, or EMFILE when the
 * server is full (the client is then told so and 'fd' closed). */
int jsonrpc_server_add_fd(struct jsonrpc_server *, int fd);

/* The descriptor to poll for readability before jsonrpc_server_run(). */
int jsonrpc_server_fd(const struct jsonrpc_server *);

/* Waits up to 'timeout_ms' (0: do not wait, -1: forever) for activity,
 * then accepts, reads, answers and writes what it can without blocking.
 * Returns 0, or EINTR if a signal interrupted the wait. */
int jsonrpc_server_run(struct jsonrpc_server *, int timeout_ms);

/* Hooks around each message a client sends (one request or a whole
 * batch): 'begin' runs before its first handler, 'commit' after its last
 * and before its answer is written, so a server can apply a batch as one
 * change and make it durable before anyone is told it succeeded.  When
 * 'commit' returns nonzero (the change could not be saved, and the server
 * has undone it), every request of the message that succeeded is answered
 * with the error 'commit' filled in instead of its result.  Either hook
 * may be NULL; both get 'aux'. */
typedef void jsonrpc_begin_hook(void *aux);
typedef int jsonrpc_commit_hook(void *aux, struct jsonrpc_error *err);
void jsonrpc_server_set_hooks(struct jsonrpc_server *,
                              jsonrpc_begin_hook *begin,
                              jsonrpc_commit_hook *commit, void *aux);

/* Number of open connections. */
size_t jsonrpc_server_n_conns(const struct jsonrpc_server *);

/* Sets the bounds on clients: 'idle_timeout_ms' (0: none), 'max_output'
 * (0: JSONRPC_MAX_OUTPUT) and 'max_conns' (0 or more than
 * JSONRPC_MAX_CONNS: JSONRPC_MAX_CONNS).  Takes effect for the clients
 * already connected too. */
void jsonrpc_server_set_limits(struct jsonrpc_server *, int idle_timeout_ms,
                               size_t max_output, size_t max_conns);

/* How often a server's bounds were hit, since it was created. */
struct jsonrpc_server_stats {
    uint64_t refused_busy;      /* clients over the cap, told busy */
    uint64_t closed_idle;       /* clients silent for the idle timeout */
    uint64_t dropped_output;    /* clients past the unread output limit */
    uint64_t accept_failures;   /* accepts failed (mostly: no descriptor) */
};

void jsonrpc_server_get_stats(const struct jsonrpc_server *,
                              struct jsonrpc_server_stats *);

/* Handles one message 'text' of 'len' bytes (without framing) as if it
 * came from a client.  Returns the answer, or NULL when none is due (only
 * notifications).  For tests and for replaying requests. */
json_t *jsonrpc_server_handle(struct jsonrpc_server *, const char *text,
                              size_t len);

/* Calls method 'name' directly with 'params', as a request would.
 * Returns 0 and '*result', or nonzero with 'err' filled. */
int jsonrpc_server_call(struct jsonrpc_server *, const char *name,
                        const json_t *params, json_t **result,
                        struct jsonrpc_error *err);

/* Closes every connection and the listening socket, and removes the
 * socket file.  Accepts NULL. */
void jsonrpc_server_destroy(struct jsonrpc_server *);

/* ---- Params: helpers for handlers ------------------------------------ */

/* Each helper checks one thing and, when it does not hold, fills 'err'
 * with -32602 and a message naming the field, and returns EINVAL. */

/* 'params' must be an object (NULL counts as an empty one) whose keys are
 * all in the NULL-terminated 'allowed'. */
int jsonrpc_params_check(const json_t *params, const char *const *allowed,
                         struct jsonrpc_error *err);

/* String member 'key' into '*out' (borrowed from 'params').  When absent:
 * EINVAL if 'required', else '*out' is left unchanged and 0 returned. */
int jsonrpc_param_string(const json_t *params, const char *key,
                         bool required, const char **out,
                         struct jsonrpc_error *err);

/* Like jsonrpc_param_string() and the value must satisfy name_is_valid(). */
int jsonrpc_param_name(const json_t *params, const char *key,
                       bool required, const char **out,
                       struct jsonrpc_error *err);

/* Integer member 'key' in [min, max] into '*out'. */
int jsonrpc_param_uint(const json_t *params, const char *key, bool required,
                       uint64_t min, uint64_t max, uint64_t *out,
                       struct jsonrpc_error *err);

/* Boolean member 'key' into '*out'. */
int jsonrpc_param_bool(const json_t *params, const char *key, bool required,
                       bool *out, struct jsonrpc_error *err);

/* ---- Client ----------------------------------------------------------- */

struct jsonrpc_client;

/* Connects to the Unix socket 'path'.  Returns 0 and '*clientp', or a
 * positive errno (ENOENT: no such socket, ECONNREFUSED: nobody there). */
int jsonrpc_client_open(const char *path, struct jsonrpc_client **clientp);

/* Wraps a connected stream socket 'fd' (the client takes ownership). */
struct jsonrpc_client *jsonrpc_client_from_fd(int fd);

/* Calls 'method' with 'params' (borrowed; NULL sends none) and waits up
 * to 'timeout_ms' (-1: forever) for the answer.  Returns:
 *   0          success, '*result' is a new reference (json null if the
 *              method returned nothing);
 *   EREMOTEIO  the server answered with an error, in 'err';
 *   ETIMEDOUT  no answer in time (the connection stays usable: a late
 *              answer is skipped by id);
 *   EPROTO     the answer was not valid JSON-RPC (message in 'err');
 *   another positive errno for a failure of the connection. */
int jsonrpc_client_call(struct jsonrpc_client *, const char *method,
                        const json_t *params, int timeout_ms,
                        json_t **result, struct jsonrpc_error *err);

/* Calls many methods in one JSON-RPC batch (one message each way), for
 * callers that make hundreds of changes at once (the topology builder).
 * 'calls' is an array of objects {"method": NAME, "params": PARAMS?}, at
 * most JSONRPC_MAX_BATCH of them.  On success returns 0 and '*answers', a
 * new array in the order of 'calls': for call i, the server's response
 * object ({"result": ...} or {"error": {"code", "message", "data"?}}).
 * Returns EINVAL for a bad 'calls', EREMOTEIO if the server refused the
 * batch as a whole (in 'err'), EPROTO for answers that do not match the
 * calls, ETIMEDOUT, or another errno of the connection. */
int jsonrpc_client_batch(struct jsonrpc_client *, const json_t *calls,
                         int timeout_ms, json_t **answers,
                         struct jsonrpc_error *err);

/* Sends a notification (no answer).  Returns 0 or a positive errno. */
int jsonrpc_client_notify(struct jsonrpc_client *, const char *method,
                          const json_t *params);

/* Closes the connection.  Accepts NULL. */
void jsonrpc_client_close(struct jsonrpc_client *);

#endif /* LAMINA_JSONRPC_H */
