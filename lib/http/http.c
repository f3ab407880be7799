/* The HTTP server (libmicrohttpd) and client (libcurl); see http.h. */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "log.h"
#include "util.h"

struct http_server {
    struct MHD_Daemon *mhd;
    struct http_server_config cfg;
    char *cert_pem, *key_pem;
    uint16_t port;
};

/* What one request collects across the calls MHD makes for it. */
struct http_conn_ctx {
    char *body;
    size_t len, cap;
    bool too_large;
};

/* Fills 'resp' with 'status' and 'body' (taking the reference). */
void
http_reply(struct http_response *resp, int status, json_t *body)
{
    json_decref(resp->body);
    free(resp->text);
    resp->text = NULL;
    resp->status = status;
    resp->body = body;
}

/* Fills 'resp' with a JSON error; see http.h. */
void
http_error(struct http_response *resp, int status, const char *code,
           const char *field, const char *fmt, ...)
{
    char msg[1024];
    va_list args;

    va_start(args, fmt);
    vsnprintf(msg, sizeof msg, fmt, args);
    va_end(args);

    json_t *e = json_pack("{s:s, s:s}", "code", code, "message", msg);
    if (field) {
        json_object_set_new(e, "field", json_string(field));
    }
    http_reply(resp, status, json_pack("{s:o}", "error", e));
}

const char *
http_query(const struct http_request *req, const char *key)
{
    return MHD_lookup_connection_value(req->conn_, MHD_GET_ARGUMENT_KIND, key);
}

const char *
http_header(const struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn_, MHD_HEADER_KIND, name);
}

/* Parses the body as a JSON object; see http.h. */
bool
http_body_json(const struct http_request *req, json_t **out,
               struct http_response *resp)
{
    json_error_t jerr;

    *out = NULL;
    if (!req->body_len) {
        http_error(resp, 400, "bad_request", "body",
                   "a JSON object is required");
        return false;
    }
    json_t *j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES,
                           &jerr);
    if (!j) {
        http_error(resp, 400, "bad_request", "body",
                   "malformed JSON at line %d column %d: %s",
                   jerr.line, jerr.column, jerr.text);
        return false;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        http_error(resp, 400, "bad_request", "body",
                   "must be a JSON object");
        return false;
    }
    *out = j;
    return true;
}

/* A stream's state for MHD's content reader. */
struct http_stream {
    ssize_t (*fn)(void *aux, char *buf, size_t max);
    void (*free)(void *aux);
    void *aux;
};

static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct http_stream *st = cls;
    ssize_t n = st->fn(st->aux, buf, max);

    (void) pos;
    return n > 0 ? n : MHD_CONTENT_READER_END_OF_STREAM;
}

static void
stream_done(void *cls)
{
    struct http_stream *st = cls;

    if (st->free) {
        st->free(st->aux);
    }
    free(st);
}

/* Sends 'resp' on 'conn'. */
static enum MHD_Result
send_response(struct MHD_Connection *conn, struct http_response *resp)
{
    char *text = resp->body && !resp->text && !resp->stream
                 ? json_dumps(resp->body, JSON_COMPACT) : NULL;
    struct MHD_Response *r;

    if (resp->stream) {
        struct http_stream *st = xmalloc(sizeof *st);
        *st = (struct http_stream) { resp->stream, resp->stream_free,
                                     resp->stream_aux };
        resp->stream = NULL;
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
                                              stream_read, st, stream_done);
        MHD_add_response_header(r, "Content-Type", resp->text_type
                                ? resp->text_type : "text/event-stream");
        MHD_add_response_header(r, "Cache-Control", "no-cache");
    } else if (resp->text) {
        r = MHD_create_response_from_buffer(strlen(resp->text), resp->text,
                                            MHD_RESPMEM_MUST_FREE);
        resp->text = NULL;
        MHD_add_response_header(r, "Content-Type", resp->text_type
                                ? resp->text_type : "text/plain");
    } else if (text) {
        size_t len = strlen(text);
        text = xrealloc(text, len + 2);
        text[len] = '\n';
        text[len + 1] = '\0';
        r = MHD_create_response_from_buffer(len + 1, text,
                                            MHD_RESPMEM_MUST_FREE);
        MHD_add_response_header(r, "Content-Type", "application/json");
    } else {
        r = MHD_create_response_from_buffer(0, (void *) "",
                                            MHD_RESPMEM_PERSISTENT);
    }
    enum MHD_Result ret = MHD_queue_response(conn, resp->status, r);
    MHD_destroy_response(r);
    json_decref(resp->body);
    resp->body = NULL;
    return ret;
}

/* Does 'path' match 'pattern'?  Copies 'path' into 'buf' (size 'size')
 * and points req->params at its {name} segments. */
static bool
route_match(const char *pattern, const char *path, char *buf, size_t size,
            struct http_request *req)
{
    const char *p = pattern, *q = path;
    char *out = buf;
    size_t n = 0;

    if (strlen(path) >= size) {
        return false;
    }
    while (*p && *q) {
        if (*p != '/' || *q != '/') {
            return false;
        }
        p++, q++;
        const char *pe = strchrnul(p, '/');
        const char *qe = strchrnul(q, '/');
        if (*p == '{') {
            if (qe == q || n >= HTTP_MAX_PARAMS) {
                return false;
            }
            memcpy(out, q, qe - q);
            out[qe - q] = '\0';
            req->params[n++] = out;
            out += qe - q + 1;
        } else if (pe - p != qe - q || memcmp(p, q, pe - p)) {
            return false;
        }
        p = pe, q = qe;
    }
    if (*p || *q) {
        return false;
    }
    req->n_params = n;
    return true;
}

/* Finds the route for the request and runs it (auth hook first). */
static void
dispatch(struct http_server *s, struct http_request *req,
         struct http_response *resp)
{
    char buf[1024];
    bool path_known = false;

    for (size_t i = 0; i < s->cfg.n_routes; i++) {
        const struct http_route *r = &s->cfg.routes[i];
        struct http_request tmp = *req;
        if (!route_match(r->pattern, req->path, buf, sizeof buf, &tmp)) {
            continue;
        }
        path_known = true;
        if (strcmp(r->method, req->method)) {
            continue;
        }
        *req = tmp;
        if (r->auth && s->cfg.auth && !s->cfg.auth(req, s->cfg.aux, resp)) {
            if (!resp->status) {
                http_error(resp, 401, "unauthorized", NULL,
                           "a valid bearer token is required");
            }
            return;
        }
        r->handler(req, s->cfg.aux, resp);
        if (!resp->status) {
            http_error(resp, 500, "internal", NULL, "no answer");
        }
        return;
    }
    if (path_known) {
        http_error(resp, 405, "method_not_allowed", NULL,
                   "%s is not allowed on %s", req->method, req->path);
    } else {
        http_error(resp, 404, "not_found", NULL, "no such resource: %s",
                   req->path);
    }
}

/* The bearer token of the Authorization header, or NULL. */
static const char *
bearer_token(struct MHD_Connection *conn)
{
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                "Authorization");
    if (h && !strncasecmp(h, "Bearer ", 7)) {
        h += 7;
        while (*h == ' ') {
            h++;
        }
        return *h ? h : NULL;
    }
    return NULL;
}

/* MHD's access handler: collects the body, then dispatches. */
static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *conn, const char *url,
          const char *method, const char *version, const char *upload_data,
          size_t *upload_data_size, void **con_cls)
{
    struct http_server *s = cls;
    struct http_conn_ctx *ctx = *con_cls;
    struct http_response resp = { 0, NULL };

    if (!ctx) {
        ctx = xzalloc(sizeof *ctx);
        *con_cls = ctx;
        const char *cl = MHD_lookup_connection_value(
            conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        /* Far too large: refuse at once (the client may not read the
         * answer before it has sent everything).  Somewhat too large: read
         * and drop the body, then answer 413. */
        if (cl && strtoull(cl, NULL, 10) > 16 * (uint64_t) s->cfg.body_max) {
            http_error(&resp, 413, "too_large", "body",
                       "the body is larger than %zu bytes", s->cfg.body_max);
            return send_response(conn, &resp);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        if (!ctx->too_large && ctx->len + n > s->cfg.body_max) {
            ctx->too_large = true;
            free(ctx->body);
            ctx->body = NULL;
            ctx->len = ctx->cap = 0;
        }
        if (!ctx->too_large) {
            if (ctx->len + n + 1 > ctx->cap) {
                ctx->cap = (ctx->len + n + 1) * 2;
                if (ctx->cap > s->cfg.body_max + 1) {
                    ctx->cap = s->cfg.body_max + 1;
                }
                ctx->body = xrealloc(ctx->body, ctx->cap);
            }
            memcpy(ctx->body + ctx->len, upload_data, n);
            ctx->len += n;
            ctx->body[ctx->len] = '\0';
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (ctx->too_large) {
        http_error(&resp, 413, "too_large", "body",
                   "the body is larger than %zu bytes", s->cfg.body_max);
        return send_response(conn, &resp);
    }

    char remote[INET6_ADDRSTRLEN] = "?";
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET) {
            inet_ntop(AF_INET, &((const struct sockaddr_in *) sa)->sin_addr,
                      remote, sizeof remote);
        } else if (sa->sa_family == AF_INET6) {
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) sa)->sin6_addr,
                      remote, sizeof remote);
        }
    }

    char path[1024];
    size_t plen = strcspn(url, "?");
    if (plen >= sizeof path) {
        http_error(&resp, 404, "not_found", NULL, "path too long");
        return send_response(conn, &resp);
    }
    memcpy(path, url, plen);
    path[plen] = '\0';

    struct http_request req = {
        .method = method,
        .path = path,
        .body = ctx->body ? ctx->body : "",
        .body_len = ctx->len,
        .content_type = MHD_lookup_connection_value(
            conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
        .token = bearer_token(conn),
        .remote = remote,
        .conn_ = conn,
    };
    dispatch(s, &req, &resp);
    return send_response(conn, &resp);
}

/* MHD's completion callback: frees what access_cb collected. */
static void
completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    struct http_conn_ctx *ctx = *con_cls;

    if (ctx) {
        free(ctx->body);
        free(ctx);
        *con_cls = NULL;
    }
}

/* Reads the whole file 'path' into a new string. */
static char *
read_file(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = xmalloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
    }
    buf[len] = '\0';
    fclose(f);
    return buf;
}

int
http_server_start(const struct http_server_config *cfg_,
                  struct http_server **sp, char *err, size_t errsize)
{
    struct http_server *s = xzalloc(sizeof *s);
    struct sockaddr_storage ss;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;

    *sp = NULL;
    s->cfg = *cfg_;
    struct http_server_config *cfg = &s->cfg;
    if (!cfg->address) {
        cfg->address = "127.0.0.1";
    }
    if (!cfg->body_max) {
        cfg->body_max = HTTP_BODY_MAX_DEFAULT;
    }
    if (!cfg->max_conns) {
        cfg->max_conns = 64;
    }
    if (!cfg->max_conns_per_ip) {
        cfg->max_conns_per_ip = 16;
    }
    if (!cfg->timeout_s) {
        cfg->timeout_s = 60;
    }
    if (!cfg->threads) {
        cfg->threads = 4;
    }

    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *sin = (struct sockaddr_in *) &ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &ss;
    if (inet_pton(AF_INET, cfg->address, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons(cfg->port);
    } else if (inet_pton(AF_INET6, cfg->address, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(cfg->port);
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(err, errsize, "listen address \"%s\" is not an IPv4 or "
                 "IPv6 address", cfg->address);
        free(s);
        return EINVAL;
    }

    if (!cfg->tls_cert != !cfg->tls_key) {
        snprintf(err, errsize, "TLS needs both a certificate and a key");
        free(s);
        return EINVAL;
    }
    if (cfg->tls_cert) {
        s->cert_pem = read_file(cfg->tls_cert);
        s->key_pem = read_file(cfg->tls_key);
        if (!s->cert_pem || !s->key_pem) {
            snprintf(err, errsize, "cannot read %s: %s",
                     s->cert_pem ? cfg->tls_key : cfg->tls_cert,
                     strerror(errno));
            free(s->cert_pem);
            free(s->key_pem);
            free(s);
            return EINVAL;
        }
        flags |= MHD_USE_TLS;
    }

    s->mhd = MHD_start_daemon(
        flags, cfg->port, NULL, NULL, access_cb, s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &ss,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int) cfg->max_conns,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned int) cfg->max_conns_per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) cfg->timeout_s,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int) cfg->threads,
        MHD_OPTION_NOTIFY_COMPLETED, completed_cb, s,
        cfg->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
        s->cert_pem,
        MHD_OPTION_HTTPS_MEM_KEY, s->key_pem,
        MHD_OPTION_END);
    if (!s->mhd) {
        int error = errno ? errno : EADDRINUSE;
        snprintf(err, errsize, "cannot listen on %s port %u: %s",
                 cfg->address, cfg->port, strerror(error));
        free(s->cert_pem);
        free(s->key_pem);
        free(s);
        return error;
    }
    const union MHD_DaemonInfo *di =
        MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : cfg->port;
    *sp = s;
    return 0;
}

void
http_server_stop(struct http_server *s)
{
    if (s) {
        MHD_stop_daemon(s->mhd);
        free(s->cert_pem);
        free(s->key_pem);
        free(s);
    }
}

uint16_t
http_server_port(const struct http_server *s)
{
    return s->port;
}

/* ---- Client ---- */

#define HTTP_REPLY_MAX (16 * 1024 * 1024)

struct reply_buf {
    char *data;
    size_t len;
    bool too_large;
};

/* libcurl's write callback: appends to a reply_buf, bounded. */
static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *aux)
{
    struct reply_buf *b = aux;
    size_t n = size * nmemb;

    if (b->len + n > HTTP_REPLY_MAX) {
        b->too_large = true;
        return 0;
    }
    b->data = xrealloc(b->data, b->len + n + 1);
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

/* Initializes libcurl once per process. */
static void
curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
}

int
http_client_call(const char *method, const char *url,
                 const struct http_client_opts *opts_,
                 const char *body, size_t len,
                 long *status, json_t **reply, char **errmsg)
{
    struct http_client_opts opts = opts_ ? *opts_ : (struct http_client_opts) {0};
    struct curl_slist *hdrs = NULL;
    struct reply_buf buf = { NULL, 0, false };
    char *h;
    int error = 0;

    if (reply) {
        *reply = NULL;
    }
    if (errmsg) {
        *errmsg = NULL;
    }
    *status = 0;
    if (!opts.timeout_ms) {
        opts.timeout_ms = 5000;
    }
    pthread_once(&curl_once, curl_init_once);

    CURL *c = curl_easy_init();
    if (!c) {
        if (errmsg) {
            *errmsg = xstrdup("cannot initialize libcurl");
        }
        return ENOMEM;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long) opts.timeout_ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &buf);
    if (opts.ca_file) {
        curl_easy_setopt(c, CURLOPT_CAINFO, opts.ca_file);
    }
    if (!strcmp(method, "GET")) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
    } else {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t) (body ? len : 0));
    }
    h = xasprintf("Content-Type: %s",
                  opts.content_type ? opts.content_type : "application/json");
    hdrs = curl_slist_append(hdrs, h);
    free(h);
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    hdrs = curl_slist_append(hdrs, "Expect:");
    if (opts.token) {
        h = xasprintf("Authorization: Bearer %s", opts.token);
        hdrs = curl_slist_append(hdrs, h);
        explicit_bzero(h, strlen(h));
        free(h);
    }
    if (opts.idempotency_key) {
        h = xasprintf("Idempotency-Key: %s", opts.idempotency_key);
        hdrs = curl_slist_append(hdrs, h);
        free(h);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        error = (rc == CURLE_OPERATION_TIMEDOUT ? ETIMEDOUT
                 : rc == CURLE_COULDNT_CONNECT ? ECONNREFUSED : EIO);
        if (errmsg) {
            *errmsg = (rc == CURLE_OPERATION_TIMEDOUT
                       ? xasprintf("%s %s: no answer within %d ms", method,
                                   url, opts.timeout_ms)
                       : xasprintf("%s %s: %s", method, url,
                                   buf.too_large ? "answer too large"
                                   : curl_easy_strerror(rc)));
        }
    } else {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
        if (reply && buf.len) {
            *reply = json_loadb(buf.data, buf.len, 0, NULL);
        }
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    free(buf.data);
    return error;
}

int
http_client_json(const char *method, const char *url,
                 const struct http_client_opts *opts, const json_t *body,
                 long *status, json_t **reply, char **errmsg)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    int error = http_client_call(method, url, opts, text,
                                 text ? strlen(text) : 0, status, reply,
                                 errmsg);
    free(text);
    return error;
}

const char *
http_error_message(const json_t *reply)
{
    json_t *e = json_object_get(reply, "error");
    return json_string_value(json_object_get(e, "message"));
}
