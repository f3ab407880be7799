/*
 * http: the HTTP layer of the broker and the InP agent, server and client,
 * with JSON bodies.
 *
 * What?
 * =====
 *
 * lamina-brokerd serves a REST API under /v1 and calls the InP agents'
 * APIs; lamina-inpd serves the agent API and calls the broker; the CLI
 * calls the broker.  All of them speak HTTP/1.1 with JSON bodies and
 * bearer tokens, through this module:
 *
 *   - the server (http_server_*) runs on libmicrohttpd.  It takes a table
 *     of routes (method + path pattern such as "/v1/leases/{id}"), reads
 *     the body up to a limit (1 MiB by default; more is refused with 413
 *     before the handler runs), calls an optional authentication hook
 *     for the routes that need it, then the route's handler, and sends its
 *     JSON answer.  Errors are JSON:
 *         {"error": {"code": "...", "message": "...", "field": "..."}}
 *     with the HTTP status that fits (400, 401, 403, 404, 405, 409, 413,
 *     422, 503).
 *   - the client (http_client_*) runs on libcurl: one call, one total
 *     deadline, an optional bearer token, JSON in and out, an optional CA
 *     file for TLS.
 *
 * Threads
 * =======
 *
 * The server uses MHD's internal polling thread with a small pool of
 * worker threads (MHD_USE_INTERNAL_POLLING_THREAD + THREAD_POOL_SIZE):
 * handlers may block (a broker handler runs a two-phase commit across
 * InPs with deadlines, or waits in a long poll) without stopping the
 * other connections, and the daemon's main thread stays free for its
 * signals and timers.  Handlers therefore run on several threads at once:
 * the caller serializes access to its own state (the broker takes one
 * mutex).
 *
 * Bounds (issue 10)
 * =================
 *
 * Every listener has a connection cap, a per-source-address cap and an
 * idle timeout; it binds to loopback unless told otherwise; TLS (cert and
 * key files) is an option.  A body larger than the limit is refused with
 * 413 without being stored.  Tokens are never logged by this module.
 */
#ifndef LAMINA_HTTP_H
#define LAMINA_HTTP_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define HTTP_BODY_MAX_DEFAULT (1024 * 1024)
#define HTTP_MAX_PARAMS 4

struct http_server;
struct MHD_Connection;

/* One request as a handler sees it.  Every pointer is valid until the
 * handler returns. */
struct http_request {
    const char *method;         /* "GET", "POST", ... */
    const char *path;           /* "/v1/leases/L7" (no query string) */
    /* Values of the {name} parts of the route's pattern, in order. */
    const char *params[HTTP_MAX_PARAMS];
    size_t n_params;
    const char *body;           /* NUL-terminated; "" if none */
    size_t body_len;
    const char *content_type;   /* or NULL */
    const char *token;          /* bearer token, or NULL */
    const char *remote;         /* the peer's address, e.g. "127.0.0.1" */
    void *principal;            /* set by the auth hook for the handler */
    struct MHD_Connection *conn_;   /* private */
};

/* What a handler answers: a status and a JSON body (owned, may be NULL
 * for an empty body), or instead a text body (malloc'ed, owned; sent when
 * not NULL, with Content-Type 'text_type') such as the Prometheus
 * exposition of /metrics. */
struct http_response {
    int status;
    json_t *body;
    char *text;
    const char *text_type;
    /* Or a stream of unknown length (server-sent events), sent with
     * Content-Type 'text_type': 'stream' is called on an HTTP thread for
     * more bytes; it may block a while (it holds one of the server's
     * threads), writes up to 'max' bytes into 'buf' and returns how many
     * (never 0), or -1 to end the stream.  'stream_free' (may be NULL)
     * frees 'stream_aux' when the connection ends. */
    ssize_t (*stream)(void *aux, char *buf, size_t max);
    void (*stream_free)(void *aux);
    void *stream_aux;
};

/* A route's handler: fills 'resp' (status and body).  'aux' is the
 * server's. */
typedef void http_handler_func(struct http_request *req, void *aux,
                               struct http_response *resp);

/* The authentication hook: called before the handler of each route with
 * 'auth' set.  Returns true to go on (and may set req->principal), or
 * fills 'resp' with the refusal (401, 403) and returns false. */
typedef bool http_auth_func(struct http_request *req, void *aux,
                            struct http_response *resp);

struct http_route {
    const char *method;
    const char *pattern;        /* "/v1/leases/{id}/renew" */
    http_handler_func *handler;
    bool auth;                  /* call the auth hook first */
};

struct http_server_config {
    const char *address;        /* bind address; NULL: "127.0.0.1" */
    uint16_t port;              /* 0: any (see http_server_port()) */
    const char *tls_cert;       /* PEM files; both or neither */
    const char *tls_key;
    size_t body_max;            /* 0: HTTP_BODY_MAX_DEFAULT */
    unsigned int max_conns;     /* 0: 64 */
    unsigned int max_conns_per_ip;  /* 0: 16 */
    unsigned int timeout_s;     /* idle connection timeout; 0: 60 */
    unsigned int threads;       /* worker threads; 0: 4 */
    const struct http_route *routes;
    size_t n_routes;
    http_auth_func *auth;       /* may be NULL: no route needs auth */
    void *aux;                  /* passed to handlers and to 'auth' */
};

/* Starts a server with 'cfg' (the routes must outlive it).  Returns 0 with
 * '*sp', or an errno with a message in 'err' (size 'errsize'). */
int http_server_start(const struct http_server_config *cfg,
                      struct http_server **sp, char *err, size_t errsize);
/* Stops 's' (waits for the handlers in flight); accepts NULL. */
void http_server_stop(struct http_server *s);
/* The TCP port 's' listens on. */
uint16_t http_server_port(const struct http_server *s);

/* The value of query argument 'key' of 'req', or NULL. */
const char *http_query(const struct http_request *req, const char *key);
/* The value of request header 'name', or NULL. */
const char *http_header(const struct http_request *req, const char *name);

/* Fills 'resp' with an error: 'status', a machine 'code' ("bad_request",
 * "unauthorized", ...), the 'field' it is about (or NULL), and a message.
 * Any previous body is freed. */
void http_error(struct http_response *resp, int status, const char *code,
                const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Fills 'resp' with 'status' and 'body' (taking the reference). */
void http_reply(struct http_response *resp, int status, json_t *body);

/* Parses the body of 'req' as a JSON object into '*out'.  On a malformed
 * body, fills 'resp' with 400 and returns false. */
bool http_body_json(const struct http_request *req, json_t **out,
                    struct http_response *resp);

/* ---- Client ---- */

struct http_client_opts {
    const char *token;          /* bearer token, or NULL */
    const char *ca_file;        /* CA bundle for https, or NULL */
    int timeout_ms;             /* total deadline of the call; 0: 5000 */
    const char *content_type;   /* of the body; NULL: application/json */
    const char *idempotency_key;/* Idempotency-Key header, or NULL */
};

/* Calls 'method' 'url' with 'body' ('len' bytes, may be NULL) and waits at
 * most opts->timeout_ms.  On an HTTP answer (any status) returns 0 with
 * '*status' and '*reply' (the JSON answer, or NULL if the body is empty
 * or not JSON).  On a transport failure (refused, timed out, TLS) returns
 * an errno (ETIMEDOUT, ECONNREFUSED, EIO) with '*errmsg' (malloc'ed)
 * saying what happened.  'reply' and 'errmsg' may be NULL. */
int http_client_call(const char *method, const char *url,
                     const struct http_client_opts *opts,
                     const char *body, size_t len,
                     long *status, json_t **reply, char **errmsg);
/* The same with a JSON body ('body' may be NULL). */
int http_client_json(const char *method, const char *url,
                     const struct http_client_opts *opts, const json_t *body,
                     long *status, json_t **reply, char **errmsg);
/* The message of a JSON error answer {"error": {"message": ...}}, or
 * NULL. */
const char *http_error_message(const json_t *reply);

#endif /* LAMINA_HTTP_H */
