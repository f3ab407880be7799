/*
 * jsonrpc: JSON-RPC 2.0 over Unix stream sockets, one message per line.
 * The design is in jsonrpc.h.
 */
#include "jsonrpc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define MOD "jsonrpc"

/* Bytes read from a socket at a time. */
#define JSONRPC_READ_CHUNK 65536
/* Largest answer a client accepts: answers (a whole configuration) may be
 * much larger than requests. */
#define JSONRPC_CLIENT_MAX_MESSAGE (256 * 1024 * 1024)
/* How long accepting pauses when the process is out of descriptors. */
#define JSONRPC_ACCEPT_PAUSE_MS 250
/* How often a shortage of descriptors, or of client slots, is logged at
 * most. */
#define JSONRPC_SHORTAGE_LOG_MS 60000

static const int jsonrpc_json_flags = JSON_DECODE_ANY | JSON_REJECT_DUPLICATES;

const char *
jsonrpc_code_to_string(int code)
{
    switch (code) {
#define JSONRPC_CASE(NAME, CODE, MSG) case CODE: return MSG;
    JSONRPC_ERRORS(JSONRPC_CASE)
#undef JSONRPC_CASE
    default:
        return "Server error";
    }
}

static void
jsonrpc_error_vset(struct jsonrpc_error *err, int code, const char *fmt,
                   va_list args)
{
    json_decref(err->data);
    err->data = NULL;
    err->code = code;
    vsnprintf(err->message, sizeof err->message, fmt, args);
}

void
jsonrpc_error_set(struct jsonrpc_error *err, int code, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    jsonrpc_error_vset(err, code, fmt, args);
    va_end(args);
}

/* The symbolic name of errno 'error' ("EEXIST"), or NULL. */
static const char *
errno_name(int error)
{
    switch (error) {
#define E(X) case X: return #X;
    E(EPERM) E(ENOENT) E(EIO) E(E2BIG) E(EBADF) E(EAGAIN) E(ENOMEM)
    E(EACCES) E(EBUSY) E(EEXIST) E(ENODEV) E(EINVAL) E(ENFILE) E(EMFILE)
    E(ENOSPC) E(ERANGE) E(ENOSYS) E(ENOTSUP) E(EADDRINUSE)
    E(EADDRNOTAVAIL) E(ENOBUFS) E(ETIMEDOUT) E(ECONNREFUSED) E(EALREADY)
    E(EOVERFLOW) E(ENOTEMPTY) E(EPROTO) E(ENXIO) E(ELOOP) E(ENOTCONN)
    E(EDQUOT) E(EROFS)
#undef E
    default:
        return NULL;
    }
}

void
jsonrpc_error_set_errno(struct jsonrpc_error *err, int error,
                        const char *field, const char *fmt, ...)
{
    const char *name = errno_name(error);
    va_list args;

    va_start(args, fmt);
    jsonrpc_error_vset(err, JSONRPC_APP_ERROR, fmt, args);
    va_end(args);
    err->data = json_pack("{s:s, s:i}", "errno",
                          name ? name : "EUNKNOWN", "errno_value", error);
    if (err->data && field) {
        json_object_set_new(err->data, "field", json_string(field));
    }
}

void
jsonrpc_error_clear(struct jsonrpc_error *err)
{
    if (err) {
        json_decref(err->data);
        err->data = NULL;
        err->code = 0;
        err->message[0] = '\0';
    }
}

/* ---- Messages ----------------------------------------------------------- */

/* An error answer; 'id' is borrowed (NULL answers id null); steals
 * 'data'. */
static json_t *
jsonrpc_error_answer(const json_t *id, int code, const char *message,
                     json_t *data)
{
    json_t *error = json_pack("{s:i, s:s}", "code", code, "message",
                              message && *message
                              ? message : jsonrpc_code_to_string(code));

    if (data) {
        json_object_set_new(error, "data", data);
    }
    return json_pack("{s:s, s:o, s:O}", "jsonrpc", "2.0", "error", error,
                     "id", id ? id : json_null());
}

static json_t * __attribute__((format(printf, 3, 4)))
jsonrpc_error_answerf(const json_t *id, int code, const char *fmt, ...)
{
    char message[JSONRPC_MSG_LEN];
    va_list args;

    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    return jsonrpc_error_answer(id, code, message, NULL);
}

/* ---- Server ------------------------------------------------------------- */

struct jsonrpc_conn {
    int fd;
    char *in;                   /* bytes read, not yet handled */
    size_t in_len, in_cap;
    char *out;                  /* answers not yet written */
    size_t out_len, out_ofs;
    bool eof;                   /* peer will send nothing more */
    bool closing;               /* close once 'out' is written */
    bool want_out;              /* registered for EPOLLOUT, not EPOLLIN */
    uint64_t last_active;       /* time_ms() of the last byte in or out */
};

struct jsonrpc_server {
    const struct jsonrpc_method *methods;
    void *aux;
    int epfd;
    int listen_fd;
    char *path;                 /* socket file to remove, or NULL */
    struct jsonrpc_conn *conns[JSONRPC_MAX_CONNS];
    size_t n_conns;
    jsonrpc_begin_hook *begin;
    jsonrpc_commit_hook *commit;
    void *hooks_aux;

    /* Bounds (jsonrpc_server_set_limits()). */
    int idle_timeout_ms;        /* 0: clients may stay silent forever */
    size_t max_output;
    size_t max_conns;

    /* Accepting pauses while the process is out of descriptors. */
    int timer_fd;               /* timerfd in 'epfd': idle sweeps, resume */
    int reserve_fd;             /* /dev/null, closed to accept one client
                                 * when the process runs out, or -1 */
    bool accept_paused;
    uint64_t accept_resume;     /* time_ms() to try accepting again */
    uint64_t next_shortage_log; /* time_ms() before which a shortage of
                                 * descriptors is not logged again */
    uint64_t next_busy_log;     /* time_ms() before which refusals of
                                 * clients over the cap are not logged */

    struct jsonrpc_server_stats stats;
};

void
jsonrpc_server_set_hooks(struct jsonrpc_server *server,
                         jsonrpc_begin_hook *begin, jsonrpc_commit_hook *commit,
                         void *aux)
{
    server->begin = begin;
    server->commit = commit;
    server->hooks_aux = aux;
}

/* The epoll tags of the listening socket and of the timer (connections
 * use their pointer). */
static char jsonrpc_listen_tag;
static char jsonrpc_timer_tag;

static int rpc_methods_handler(const json_t *, json_t **,
                               struct jsonrpc_error *, void *);

static int rpc_stats_handler(const json_t *, json_t **,
                             struct jsonrpc_error *, void *);

/* Methods every server answers, with the server as their aux. */
static const struct jsonrpc_method jsonrpc_builtin_methods[] = {
    { "rpc.methods", rpc_methods_handler, "the methods this server answers" },
    { "rpc.stats", rpc_stats_handler,
      "clients connected, the limits and how often each one was hit" },
    { NULL, NULL, NULL },
};

/* Answers "rpc.methods". */
static int
rpc_methods_handler(const json_t *params, json_t **result,
                    struct jsonrpc_error *err, void *server_)
{
    struct jsonrpc_server *server = server_;
    json_t *list = json_array();

    if (jsonrpc_params_check(params, (const char *const[]) { NULL }, err)) {
        json_decref(list);
        return EINVAL;
    }
    for (const struct jsonrpc_method *m = server->methods; m->name; m++) {
        json_array_append_new(list, json_pack("{s:s, s:s}", "name", m->name,
                                              "help", m->help ? m->help : ""));
    }
    *result = list;
    return 0;
}

/* Answers "rpc.stats". */
static int
rpc_stats_handler(const json_t *params, json_t **result,
                  struct jsonrpc_error *err, void *server_)
{
    struct jsonrpc_server *server = server_;
    const struct jsonrpc_server_stats *st = &server->stats;

    if (jsonrpc_params_check(params, (const char *const[]) { NULL }, err)) {
        return EINVAL;
    }
    *result = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                        "clients", (json_int_t) server->n_conns,
                        "max_clients", (json_int_t) server->max_conns,
                        "idle_timeout_ms",
                        (json_int_t) server->idle_timeout_ms,
                        "max_output", (json_int_t) server->max_output,
                        "refused_busy", (json_int_t) st->refused_busy,
                        "closed_idle", (json_int_t) st->closed_idle,
                        "dropped_output", (json_int_t) st->dropped_output,
                        "accept_failures",
                        (json_int_t) st->accept_failures);
    return 0;
}

struct jsonrpc_server *
jsonrpc_server_create(const struct jsonrpc_method *methods, void *aux)
{
    struct jsonrpc_server *server = xzalloc(sizeof *server);

    server->methods = methods;
    server->aux = aux;
    server->listen_fd = -1;
    server->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    server->idle_timeout_ms = JSONRPC_IDLE_TIMEOUT_MS;
    server->max_output = JSONRPC_MAX_OUTPUT;
    server->max_conns = JSONRPC_MAX_CONNS;
    server->epfd = epoll_create1(EPOLL_CLOEXEC);
    server->timer_fd = timerfd_create(CLOCK_MONOTONIC,
                                      TFD_NONBLOCK | TFD_CLOEXEC);
    if (server->epfd < 0 || server->timer_fd < 0) {
        LOG_ERR(MOD, "%s: %s", server->epfd < 0 ? "epoll_create1"
                : "timerfd_create", strerror(errno));
        goto error;
    }
    struct epoll_event ev = { .events = EPOLLIN,
                              .data.ptr = &jsonrpc_timer_tag };
    if (epoll_ctl(server->epfd, EPOLL_CTL_ADD, server->timer_fd, &ev)) {
        LOG_ERR(MOD, "epoll_ctl: %s", strerror(errno));
        goto error;
    }
    return server;

error:
    if (server->reserve_fd >= 0) {
        close(server->reserve_fd);
    }
    if (server->epfd >= 0) {
        close(server->epfd);
    }
    if (server->timer_fd >= 0) {
        close(server->timer_fd);
    }
    free(server);
    return NULL;
}

void
jsonrpc_server_set_limits(struct jsonrpc_server *server, int idle_timeout_ms,
                          size_t max_output, size_t max_conns)
{
    server->idle_timeout_ms = MAX(idle_timeout_ms, 0);
    server->max_output = max_output ? max_output : JSONRPC_MAX_OUTPUT;
    server->max_conns = max_conns && max_conns <= JSONRPC_MAX_CONNS
                        ? max_conns : JSONRPC_MAX_CONNS;
}

void
jsonrpc_server_get_stats(const struct jsonrpc_server *server,
                         struct jsonrpc_server_stats *stats)
{
    *stats = server->stats;
}

int
jsonrpc_server_fd(const struct jsonrpc_server *server)
{
    return server->epfd;
}

size_t
jsonrpc_server_n_conns(const struct jsonrpc_server *server)
{
    return server->n_conns;
}

/* Fills 'sun' with 'path'; ENAMETOOLONG if it does not fit. */
static int
jsonrpc_sockaddr(const char *path, struct sockaddr_un *sun)
{
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    return str_copy(sun->sun_path, path, sizeof sun->sun_path)
           ? 0 : ENAMETOOLONG;
}

/* Binds 'fd' to 'sun' with a file no one but the owner and group can
 * connect to from the start (no window before the chmod below). */
static int
jsonrpc_bind_private(int fd, const struct sockaddr_un *sun)
{
    mode_t old = umask(0117);
    int r = bind(fd, (const struct sockaddr *) sun, sizeof *sun);

    umask(old);
    return r;
}

int
jsonrpc_server_listen(struct jsonrpc_server *server, const char *path)
{
    struct epoll_event ev = { .events = EPOLLIN,
                              .data.ptr = &jsonrpc_listen_tag };
    struct sockaddr_un sun;
    int fd, error;

    error = jsonrpc_sockaddr(path, &sun);
    if (error) {
        return error;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return errno;
    }
    if (jsonrpc_bind_private(fd, &sun) < 0) {
        /* Someone answering there is alive; otherwise the file is stale. */
        int probe;
        bool alive;

        if (errno != EADDRINUSE) {
            error = errno;
            close(fd);
            return error;
        }
        probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        alive = probe >= 0
                && !connect(probe, (struct sockaddr *) &sun, sizeof sun);
        if (probe >= 0) {
            close(probe);
        }
        if (alive) {
            close(fd);
            return EADDRINUSE;
        }
        unlink(path);
        if (jsonrpc_bind_private(fd, &sun) < 0) {
            error = errno;
            close(fd);
            return error;
        }
    }
    chmod(path, 0660);
    if (listen(fd, 64) < 0 || epoll_ctl(server->epfd, EPOLL_CTL_ADD, fd, &ev)) {
        error = errno;
        close(fd);
        unlink(path);
        return error;
    }
    server->listen_fd = fd;
    free(server->path);
    server->path = xstrdup(path);
    return 0;
}

static void
jsonrpc_conn_close(struct jsonrpc_server *server, size_t idx)
{
    struct jsonrpc_conn *conn = server->conns[idx];

    epoll_ctl(server->epfd, EPOLL_CTL_DEL, conn->fd, NULL);
    close(conn->fd);
    free(conn->in);
    free(conn->out);
    free(conn);
    server->conns[idx] = server->conns[--server->n_conns];
}

/* Tells the client on 'fd' that the server is full, and closes it.  The
 * answer is one short line on a fresh socket, so it fits in the socket
 * buffer: the client reads it even after the close.  Logged at most once
 * a minute, with the count. */
static void
jsonrpc_server_refuse(struct jsonrpc_server *server, int fd)
{
    char message[JSONRPC_MSG_LEN];
    json_t *answer, *data;
    char *text;

    snprintf(message, sizeof message, "server busy: %zu clients connected, "
             "the most it serves%s; try again later", server->n_conns,
             server->idle_timeout_ms ? " (silent clients are closed)" : "");
    data = json_pack("{s:s, s:i, s:I, s:I}", "errno", "EBUSY",
                     "errno_value", EBUSY,
                     "clients", (json_int_t) server->n_conns,
                     "max_clients", (json_int_t) server->max_conns);
    answer = jsonrpc_error_answer(NULL, JSONRPC_APP_ERROR, message, data);
    text = json_dumps(answer, JSON_COMPACT);
    json_decref(answer);
    if (text) {
        size_t len = strlen(text);
        text[len] = '\n';      /* json_dumps() leaves room for the NUL */
        (void) !send(fd, text, len + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        free(text);
    }
    close(fd);
    server->stats.refused_busy++;
    if (time_ms() >= server->next_busy_log) {
        LOG_WARN(MOD, "%s: %zu clients connected, the most it serves: "
                 "refusing more (%"PRIu64" refused so far; logged again in "
                 "a minute at the earliest)",
                 server->path ? server->path : "server", server->n_conns,
                 server->stats.refused_busy);
        server->next_busy_log = time_ms() + JSONRPC_SHORTAGE_LOG_MS;
    }
}

int
jsonrpc_server_add_fd(struct jsonrpc_server *server, int fd)
{
    struct jsonrpc_conn *conn;
    struct epoll_event ev = { .events = EPOLLIN };
    int flags = fcntl(fd, F_GETFL);

    if (server->n_conns >= server->max_conns) {
        jsonrpc_server_refuse(server, fd);
        return EMFILE;
    }
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        int error = errno;
        close(fd);
        return error;
    }
    conn = xzalloc(sizeof *conn);
    conn->fd = fd;
    conn->last_active = time_ms();
    ev.data.ptr = conn;
    if (epoll_ctl(server->epfd, EPOLL_CTL_ADD, fd, &ev)) {
        int error = errno;
        close(fd);
        free(conn);
        return error;
    }
    server->conns[server->n_conns++] = conn;
    return 0;
}

/* Runs method 'name'; fills 'err' when it fails. */
int
jsonrpc_server_call(struct jsonrpc_server *server, const char *name,
                    const json_t *params, json_t **result,
                    struct jsonrpc_error *err)
{
    const struct jsonrpc_method *method = NULL;
    void *aux = server->aux;
    int error;

    *result = NULL;
    for (const struct jsonrpc_method *m = jsonrpc_builtin_methods; m->name;
         m++) {
        if (!strcmp(m->name, name)) {
            method = m;
            aux = server;
        }
    }
    if (!method) {
        for (const struct jsonrpc_method *m = server->methods; m->name; m++) {
            if (!strcmp(m->name, name)) {
                method = m;
                break;
            }
        }
    }
    if (!method) {
        jsonrpc_error_set(err, JSONRPC_METHOD_NOT_FOUND,
                          "Method not found: '%.200s'", name);
        return ENOENT;
    }
    error = method->handler(params, result, err, aux);
    if (error) {
        json_decref(*result);
        *result = NULL;
        if (!err->code) {
            jsonrpc_error_set(err, JSONRPC_INTERNAL_ERROR,
                              "%s failed: %s", name, strerror(error));
        }
    }
    return error;
}

/* True if 'id' is a usable request id: a string, an integer or null. */
static bool
jsonrpc_id_is_valid(const json_t *id)
{
    return json_is_string(id) || json_is_integer(id) || json_is_null(id);
}

/* Handles one request object (or anything that should have been one).
 * Returns its answer, or NULL for a notification. */
static json_t *
jsonrpc_handle_one(struct jsonrpc_server *server, const json_t *req)
{
    static const char *const members[] = { "jsonrpc", "method", "params",
                                           "id", NULL };
    const json_t *id, *version, *method, *params;
    struct jsonrpc_error err = { 0 };
    json_t *result, *answer;
    const char *key;
    json_t *value;

    if (!json_is_object(req)) {
        return jsonrpc_error_answerf(NULL, JSONRPC_INVALID_REQUEST,
                                     "Invalid Request: a request must be "
                                     "an object");
    }
    id = json_object_get(req, "id");
    if (id && !jsonrpc_id_is_valid(id)) {
        return jsonrpc_error_answerf(NULL, JSONRPC_INVALID_REQUEST,
                                     "Invalid Request: \"id\" must be a "
                                     "string, an integer or null");
    }
    json_object_foreach((json_t *) req, key, value) {
        bool known = false;
        for (size_t i = 0; members[i]; i++) {
            known |= !strcmp(key, members[i]);
        }
        if (!known) {
            return jsonrpc_error_answerf(id, JSONRPC_INVALID_REQUEST,
                                         "Invalid Request: unknown member "
                                         "\"%.100s\"", key);
        }
    }
    version = json_object_get(req, "jsonrpc");
    if (!json_is_string(version) || strcmp(json_string_value(version), "2.0")) {
        return jsonrpc_error_answerf(id, JSONRPC_INVALID_REQUEST,
                                     "Invalid Request: \"jsonrpc\" must be "
                                     "\"2.0\"");
    }
    method = json_object_get(req, "method");
    if (!json_is_string(method)) {
        return jsonrpc_error_answerf(id, JSONRPC_INVALID_REQUEST,
                                     "Invalid Request: \"method\" must be "
                                     "a string");
    }
    params = json_object_get(req, "params");
    if (params && !json_is_object(params) && !json_is_array(params)) {
        return jsonrpc_error_answerf(id, JSONRPC_INVALID_REQUEST,
                                     "Invalid Request: \"params\" must be "
                                     "an object or an array");
    }

    if (jsonrpc_server_call(server, json_string_value(method), params,
                            &result, &err)) {
        answer = id ? jsonrpc_error_answer(id, err.code, err.message,
                                           err.data)
                    : NULL;
        if (!id) {
            json_decref(err.data);
        }
        return answer;
    }
    if (!id) {
        json_decref(result);
        return NULL;
    }
    return json_pack("{s:s, s:o, s:O}", "jsonrpc", "2.0",
                     "result", result ? result : json_null(), "id", id);
}

/* Replaces each successful answer in 'answer' (one answer, an array of
 * them, or NULL) by the error 'err': the message's changes were undone. */
static json_t *
jsonrpc_answers_failed(json_t *answer, const struct jsonrpc_error *err)
{
    int code = err->code ? err->code : JSONRPC_APP_ERROR;
    size_t i;
    json_t *one;

    if (json_is_object(answer)) {
        if (json_object_get(answer, "result")) {
            json_t *failed = jsonrpc_error_answer(json_object_get(answer, "id"),
                                                  code, err->message,
                                                  json_incref(err->data));
            json_decref(answer);
            answer = failed;
        }
        return answer;
    }
    json_array_foreach(answer, i, one) {
        json_array_set_new(answer, i, jsonrpc_answers_failed(json_incref(one),
                                                             err));
    }
    return answer;
}

json_t *
jsonrpc_server_handle(struct jsonrpc_server *server, const char *text,
                      size_t len)
{
    json_error_t jerr;
    json_t *msg, *answer;

    msg = json_loadb(text, len, jsonrpc_json_flags, &jerr);
    if (!msg) {
        return jsonrpc_error_answerf(NULL, JSONRPC_PARSE_ERROR,
                                     "Parse error: %s (at byte %d)",
                                     jerr.text, jerr.position);
    }
    if (server->begin) {
        server->begin(server->hooks_aux);
    }
    if (!json_is_array(msg)) {
        answer = jsonrpc_handle_one(server, msg);
    } else if (json_array_size(msg) == 0) {
        answer = jsonrpc_error_answerf(NULL, JSONRPC_INVALID_REQUEST,
                                       "Invalid Request: empty batch");
    } else if (json_array_size(msg) > JSONRPC_MAX_BATCH) {
        answer = jsonrpc_error_answerf(NULL, JSONRPC_INVALID_REQUEST,
                                       "Invalid Request: a batch holds at "
                                       "most %d requests", JSONRPC_MAX_BATCH);
    } else {
        size_t i;
        json_t *req;

        answer = json_array();
        json_array_foreach(msg, i, req) {
            json_t *one = jsonrpc_handle_one(server, req);
            if (one) {
                json_array_append_new(answer, one);
            }
        }
        if (!json_array_size(answer)) {
            json_decref(answer);
            answer = NULL;
        }
    }
    if (server->commit) {
        struct jsonrpc_error err = { 0 };

        if (server->commit(server->hooks_aux, &err)) {
            answer = jsonrpc_answers_failed(answer, &err);
        }
        jsonrpc_error_clear(&err);
    }
    json_decref(msg);
    return answer;
}

/* Appends 'answer' (stolen) to the connection's output, as one line. */
static void
jsonrpc_conn_queue(struct jsonrpc_conn *conn, json_t *answer)
{
    char *text = json_dumps(answer, JSON_COMPACT);
    size_t n;

    json_decref(answer);
    if (!text) {
        /* Only when out of memory (or a non-UTF-8 string slipped into an
         * answer): dropping the connection is the honest outcome. */
        conn->closing = true;
        return;
    }
    n = strlen(text);
    conn->out = xrealloc(conn->out, conn->out_len + n + 1);
    memcpy(conn->out + conn->out_len, text, n);
    conn->out[conn->out_len + n] = '\n';
    conn->out_len += n + 1;
    free(text);
}

/* Writes what the socket takes.  Returns false if the connection failed. */
static bool
jsonrpc_conn_flush(struct jsonrpc_conn *conn)
{
    while (conn->out_ofs < conn->out_len) {
        ssize_t n = send(conn->fd, conn->out + conn->out_ofs,
                         conn->out_len - conn->out_ofs,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        conn->out_ofs += n;
        conn->last_active = time_ms();
    }
    free(conn->out);
    conn->out = NULL;
    conn->out_len = conn->out_ofs = 0;
    return true;
}

/* Handles the complete lines in the input buffer, as long as the output
 * drains (a client that does not read stops being served). */
static void
jsonrpc_conn_process(struct jsonrpc_server *server, struct jsonrpc_conn *conn)
{
    size_t start = 0;

    while (!conn->closing && !conn->out_len) {
        char *line = conn->in + start;
        size_t avail = conn->in_len - start;
        char *nl = avail ? memchr(line, '\n', avail) : NULL;
        size_t len;
        json_t *answer;

        if (!nl) {
            if (avail > JSONRPC_MAX_MESSAGE) {
                jsonrpc_conn_queue(conn, jsonrpc_error_answerf(
                        NULL, JSONRPC_INVALID_REQUEST,
                        "Invalid Request: message longer than %d bytes",
                        JSONRPC_MAX_MESSAGE));
                conn->closing = true;
                break;
            }
            if (!conn->eof || !avail) {
                break;
            }
            len = avail;        /* the last line may lack its newline */
            start = conn->in_len;
        } else {
            len = nl - line;
            start += len + 1;
        }
        if (len > JSONRPC_MAX_MESSAGE) {
            answer = jsonrpc_error_answerf(
                NULL, JSONRPC_INVALID_REQUEST,
                "Invalid Request: message longer than %d bytes",
                JSONRPC_MAX_MESSAGE);
        } else {
            if (len && line[len - 1] == '\r') {
                len--;
            }
            if (!len) {
                continue;
            }
            answer = jsonrpc_server_handle(server, line, len);
        }
        if (answer) {
            jsonrpc_conn_queue(conn, answer);
            if (!jsonrpc_conn_flush(conn)) {
                conn->closing = true;
                conn->out_len = conn->out_ofs = 0;
            } else if (conn->out_len - conn->out_ofs > server->max_output) {
                /* The client is not reading what it asked for: keeping
                 * the rest would let it grow the daemon at will. */
                server->stats.dropped_output++;
                LOG_WARN(MOD, "%s: dropping a client that leaves %zu bytes "
                         "of answers unread (limit %zu; %"PRIu64" dropped "
                         "so far)", server->path ? server->path : "server",
                         conn->out_len - conn->out_ofs, server->max_output,
                         server->stats.dropped_output);
                conn->closing = true;
                conn->out_len = conn->out_ofs = 0;
            }
        }
    }
    if (start) {
        memmove(conn->in, conn->in + start, conn->in_len - start);
        conn->in_len -= start;
    }
    if (conn->eof && !conn->out_len && !conn->closing) {
        /* Nothing more will come; any unterminated tail was handled. */
        conn->closing = true;
    }
}

/* Reads once from 'conn'.  Returns false on EOF or error. */
static bool
jsonrpc_conn_read(struct jsonrpc_conn *conn)
{
    ssize_t n;

    if (conn->in_cap - conn->in_len < JSONRPC_READ_CHUNK) {
        conn->in_cap = conn->in_len + JSONRPC_READ_CHUNK;
        conn->in = xrealloc(conn->in, conn->in_cap);
    }
    n = recv(conn->fd, conn->in + conn->in_len, conn->in_cap - conn->in_len,
             MSG_DONTWAIT);
    if (n < 0) {
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    }
    if (n == 0) {
        conn->eof = true;
        return false;
    }
    conn->in_len += n;
    conn->last_active = time_ms();
    return true;
}

/* Registers 'conn' for reading or, while it has output, for writing. */
static void
jsonrpc_conn_update(struct jsonrpc_server *server, struct jsonrpc_conn *conn)
{
    bool want_out = conn->out_len > 0;

    if (want_out != conn->want_out) {
        struct epoll_event ev = { .events = want_out ? EPOLLOUT : EPOLLIN,
                                  .data.ptr = conn };
        epoll_ctl(server->epfd, EPOLL_CTL_MOD, conn->fd, &ev);
        conn->want_out = want_out;
    }
}

/* Called when accept() failed with 'error' (mostly: no descriptor or
 * memory left).  For EMFILE or ENFILE, the first time, gives up the
 * reserve descriptor so that one management client can still be served
 * (returns true: accept again).  Otherwise stops polling the listening
 * socket for JSONRPC_ACCEPT_PAUSE_MS: the pending connection stays in the
 * backlog, so polling on would spin.  Logged at most once a minute, with
 * the count of failures. */
static bool
jsonrpc_server_accept_failed(struct jsonrpc_server *server, int error)
{
    uint64_t now = time_ms();

    server->stats.accept_failures++;
    if (now >= server->next_shortage_log) {
        LOG_WARN(MOD, "accept on %s: %s with %zu clients connected "
                 "(%"PRIu64" failed accepts so far); accepting again every "
                 "%d ms, logged again in a minute at the earliest",
                 server->path, strerror(error), server->n_conns,
                 server->stats.accept_failures, JSONRPC_ACCEPT_PAUSE_MS);
        server->next_shortage_log = now + JSONRPC_SHORTAGE_LOG_MS;
    }
    if (server->reserve_fd >= 0 && (error == EMFILE || error == ENFILE)) {
        close(server->reserve_fd);
        server->reserve_fd = -1;
        return true;
    }
    if (!server->accept_paused) {
        epoll_ctl(server->epfd, EPOLL_CTL_DEL, server->listen_fd, NULL);
        server->accept_paused = true;
    }
    server->accept_resume = time_ms() + JSONRPC_ACCEPT_PAUSE_MS;
    return false;
}

/* Polls the listening socket again once its pause is over. */
static void
jsonrpc_server_resume_accept(struct jsonrpc_server *server, uint64_t now)
{
    struct epoll_event ev = { .events = EPOLLIN,
                              .data.ptr = &jsonrpc_listen_tag };

    if (server->accept_paused && now >= server->accept_resume
        && !epoll_ctl(server->epfd, EPOLL_CTL_ADD, server->listen_fd, &ev)) {
        server->accept_paused = false;
    }
}

/* Accepts pending connections until the backlog is empty (at most
 * JSONRPC_MAX_CONNS at a time, so a flood of connections cannot keep the
 * loop from serving the clients it has); those over the cap are told the
 * server is busy. */
static void
jsonrpc_server_accept(struct jsonrpc_server *server)
{
    for (int i = 0; i < JSONRPC_MAX_CONNS; i++) {
        int fd = accept4(server->listen_fd, NULL, NULL,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            int error = errno;

            if (error == EINTR || error == ECONNABORTED) {
                continue;
            } else if (error == EAGAIN || error == EWOULDBLOCK) {
                return;
            } else if (jsonrpc_server_accept_failed(server, error)) {
                continue;
            }
            return;
        }
        jsonrpc_server_add_fd(server, fd);
    }
}

/* Closes the clients silent for longer than the idle timeout (those that
 * sent nothing, and those that read nothing of a pending answer), resumes
 * accepting when due, and arms the timer for the next of these events. */
static void
jsonrpc_server_sweep(struct jsonrpc_server *server)
{
    uint64_t now = time_ms(), next = UINT64_MAX;
    struct itimerspec its = { { 0, 0 }, { 0, 0 } };

    for (size_t i = 0; i < server->n_conns; ) {
        struct jsonrpc_conn *conn = server->conns[i];
        uint64_t expiry = conn->last_active + server->idle_timeout_ms;

        if (server->idle_timeout_ms && now >= expiry) {
            server->stats.closed_idle++;
            LOG_DBG(MOD, "%s: closing a client silent for %d ms%s",
                    server->path ? server->path : "server",
                    server->idle_timeout_ms,
                    conn->out_len ? " with an unread answer" : "");
            jsonrpc_conn_close(server, i);
            continue;
        }
        if (server->idle_timeout_ms) {
            next = MIN(next, expiry);
        }
        i++;
    }
    if (server->reserve_fd < 0) {
        server->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    jsonrpc_server_resume_accept(server, now);
    if (server->accept_paused) {
        next = MIN(next, server->accept_resume);
    }
    if (next != UINT64_MAX) {
        uint64_t ms = next > now ? next - now : 1;
        its.it_value.tv_sec = ms / 1000;
        its.it_value.tv_nsec = (ms % 1000) * 1000000;
    }
    timerfd_settime(server->timer_fd, 0, &its, NULL);
}

/* Index of 'conn' in the server's table, or SIZE_MAX once it is closed. */
static size_t
jsonrpc_conn_index(const struct jsonrpc_server *server,
                   const struct jsonrpc_conn *conn)
{
    for (size_t i = 0; i < server->n_conns; i++) {
        if (server->conns[i] == conn) {
            return i;
        }
    }
    return SIZE_MAX;
}

int
jsonrpc_server_run(struct jsonrpc_server *server, int timeout_ms)
{
    struct epoll_event events[32];
    int n = epoll_wait(server->epfd, events, ARRAY_SIZE(events), timeout_ms);

    if (n < 0) {
        return errno == EINTR ? EINTR : errno;
    }
    for (int i = 0; i < n; i++) {
        struct jsonrpc_conn *conn = events[i].data.ptr;
        size_t idx;

        if (events[i].data.ptr == &jsonrpc_listen_tag) {
            jsonrpc_server_accept(server);
            continue;
        }
        if (events[i].data.ptr == &jsonrpc_timer_tag) {
            uint64_t expirations;
            (void) !read(server->timer_fd, &expirations, sizeof expirations);
            continue;
        }
        idx = jsonrpc_conn_index(server, conn);
        if (idx == SIZE_MAX) {
            continue;
        }
        if (conn->out_len && !jsonrpc_conn_flush(conn)) {
            jsonrpc_conn_close(server, idx);
            continue;
        }
        if (!conn->out_len && !conn->closing && !conn->eof
            && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
            if (!jsonrpc_conn_read(conn) && !conn->eof) {
                jsonrpc_conn_close(server, idx);
                continue;
            }
        }
        jsonrpc_conn_process(server, conn);
        if (conn->closing) {
            /* Close once the last answer (if any) is written. */
            if (!jsonrpc_conn_flush(conn) || !conn->out_len) {
                jsonrpc_conn_close(server, idx);
                continue;
            }
        }
        jsonrpc_conn_update(server, conn);
    }
    jsonrpc_server_sweep(server);
    return 0;
}

void
jsonrpc_server_destroy(struct jsonrpc_server *server)
{
    if (!server) {
        return;
    }
    while (server->n_conns) {
        jsonrpc_conn_close(server, server->n_conns - 1);
    }
    if (server->listen_fd >= 0) {
        close(server->listen_fd);
    }
    if (server->path) {
        unlink(server->path);
        free(server->path);
    }
    close(server->epfd);
    close(server->timer_fd);
    if (server->reserve_fd >= 0) {
        close(server->reserve_fd);
    }
    free(server);
}

/* ---- Params ------------------------------------------------------------- */

static int __attribute__((format(printf, 2, 3)))
jsonrpc_bad_param(struct jsonrpc_error *err, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    jsonrpc_error_vset(err, JSONRPC_INVALID_PARAMS, fmt, args);
    va_end(args);
    return EINVAL;
}

int
jsonrpc_params_check(const json_t *params, const char *const *allowed,
                     struct jsonrpc_error *err)
{
    const char *key;
    json_t *value;

    if (!params) {
        return 0;
    }
    if (!json_is_object(params)) {
        return jsonrpc_bad_param(err, "params must be an object with named "
                                 "members");
    }
    json_object_foreach((json_t *) params, key, value) {
        bool known = false;
        for (size_t i = 0; allowed[i]; i++) {
            known |= !strcmp(key, allowed[i]);
        }
        if (!known) {
            char list[256] = "";
            size_t len = 0;
            for (size_t i = 0; allowed[i] && len < sizeof list; i++) {
                len += snprintf(list + len, sizeof list - len, "%s%s",
                                i ? ", " : "", allowed[i]);
            }
            return jsonrpc_bad_param(err, "unknown parameter \"%.64s\" "
                                     "(expected: %s)", key,
                                     *list ? list : "none");
        }
    }
    return 0;
}

/* The member 'key' of 'params', or NULL when absent (or when 'params' is
 * not an object, which jsonrpc_params_check() reports). */
static const json_t *
jsonrpc_param_get(const json_t *params, const char *key)
{
    return json_is_object(params) ? json_object_get(params, key) : NULL;
}

int
jsonrpc_param_string(const json_t *params, const char *key, bool required,
                     const char **out, struct jsonrpc_error *err)
{
    const json_t *v = jsonrpc_param_get(params, key);

    if (!v) {
        return required ? jsonrpc_bad_param(err, "missing parameter \"%s\"",
                                            key) : 0;
    }
    if (!json_is_string(v)) {
        return jsonrpc_bad_param(err, "parameter \"%s\" must be a string",
                                 key);
    }
    *out = json_string_value(v);
    return 0;
}

int
jsonrpc_param_name(const json_t *params, const char *key, bool required,
                   const char **out, struct jsonrpc_error *err)
{
    const char *s = NULL;
    int error = jsonrpc_param_string(params, key, required, &s, err);

    if (error || !s) {
        return error;
    }
    if (!name_is_valid(s)) {
        return jsonrpc_bad_param(err, "parameter \"%s\": \"%.80s\" is not a "
                                 "valid name (1..63 characters of "
                                 "[A-Za-z0-9_.-], starting with a letter "
                                 "or digit)", key, s);
    }
    *out = s;
    return 0;
}

int
jsonrpc_param_uint(const json_t *params, const char *key, bool required,
                   uint64_t min, uint64_t max, uint64_t *out,
                   struct jsonrpc_error *err)
{
    const json_t *v = jsonrpc_param_get(params, key);
    json_int_t i;

    if (!v) {
        return required ? jsonrpc_bad_param(err, "missing parameter \"%s\"",
                                            key) : 0;
    }
    if (!json_is_integer(v)) {
        return jsonrpc_bad_param(err, "parameter \"%s\" must be an integer",
                                 key);
    }
    i = json_integer_value(v);
    if (i < 0 || (uint64_t) i < min || (uint64_t) i > max) {
        return jsonrpc_bad_param(err, "parameter \"%s\": %lld is out of "
                                 "range [%llu, %llu]", key, (long long) i,
                                 (unsigned long long) min,
                                 (unsigned long long) max);
    }
    *out = i;
    return 0;
}

int
jsonrpc_param_bool(const json_t *params, const char *key, bool required,
                   bool *out, struct jsonrpc_error *err)
{
    const json_t *v = jsonrpc_param_get(params, key);

    if (!v) {
        return required ? jsonrpc_bad_param(err, "missing parameter \"%s\"",
                                            key) : 0;
    }
    if (!json_is_boolean(v)) {
        return jsonrpc_bad_param(err, "parameter \"%s\" must be true or "
                                 "false", key);
    }
    *out = json_is_true(v);
    return 0;
}

/* ---- Client ------------------------------------------------------------- */

struct jsonrpc_client {
    int fd;
    json_int_t next_id;
    char *in;
    size_t in_len, in_cap;
};

struct jsonrpc_client *
jsonrpc_client_from_fd(int fd)
{
    struct jsonrpc_client *client = xzalloc(sizeof *client);

    client->fd = fd;
    client->next_id = 1;
    return client;
}

int
jsonrpc_client_open(const char *path, struct jsonrpc_client **clientp)
{
    struct sockaddr_un sun;
    int fd, error;

    *clientp = NULL;
    error = jsonrpc_sockaddr(path, &sun);
    if (error) {
        return error;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return errno;
    }
    if (connect(fd, (struct sockaddr *) &sun, sizeof sun) < 0) {
        error = errno;
        close(fd);
        return error;
    }
    *clientp = jsonrpc_client_from_fd(fd);
    return 0;
}

void
jsonrpc_client_close(struct jsonrpc_client *client)
{
    if (client) {
        close(client->fd);
        free(client->in);
        free(client);
    }
}

/* Milliseconds left until 'deadline' (time_ms()), or -1 for none. */
static int
jsonrpc_remaining(uint64_t deadline)
{
    uint64_t now = time_ms();

    if (deadline == UINT64_MAX) {
        return -1;
    }
    return now >= deadline ? 0 : (int) MIN(deadline - now, (uint64_t) INT32_MAX);
}

/* Sends all of 'text' and a newline before 'deadline'. */
static int
jsonrpc_client_send(struct jsonrpc_client *client, const char *text,
                    uint64_t deadline)
{
    size_t len = strlen(text), ofs = 0;
    char *line = xmalloc(len + 1);
    int error = 0;

    memcpy(line, text, len);
    line[len++] = '\n';
    while (ofs < len) {
        struct pollfd pfd = { .fd = client->fd, .events = POLLOUT };
        ssize_t n = send(client->fd, line + ofs, len - ofs,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) {
            ofs += n;
            continue;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            error = errno;
            break;
        }
        n = poll(&pfd, 1, jsonrpc_remaining(deadline));
        if (n == 0) {
            error = ETIMEDOUT;
            break;
        }
        if (n < 0 && errno != EINTR) {
            error = errno;
            break;
        }
    }
    free(line);
    return error;
}

/* Receives one line before 'deadline' into '*linep' (malloc'd, NUL
 * terminated, without the newline). */
static int
jsonrpc_client_recv_line(struct jsonrpc_client *client, char **linep,
                         size_t *lenp, uint64_t deadline)
{
    size_t scanned = 0;

    for (;;) {
        char *nl = client->in_len > scanned
                   ? memchr(client->in + scanned, '\n',
                            client->in_len - scanned)
                   : NULL;
        struct pollfd pfd = { .fd = client->fd, .events = POLLIN };
        ssize_t n;

        if (nl) {
            size_t len = nl - client->in;
            *linep = xmalloc(len + 1);
            memcpy(*linep, client->in, len);
            (*linep)[len] = '\0';
            *lenp = len;
            memmove(client->in, nl + 1, client->in_len - len - 1);
            client->in_len -= len + 1;
            return 0;
        }
        scanned = client->in_len;
        if (client->in_len > JSONRPC_CLIENT_MAX_MESSAGE) {
            return EMSGSIZE;
        }
        if (client->in_cap - client->in_len < JSONRPC_READ_CHUNK) {
            client->in_cap = client->in_cap * 2 + JSONRPC_READ_CHUNK;
            client->in = xrealloc(client->in, client->in_cap);
        }
        n = poll(&pfd, 1, jsonrpc_remaining(deadline));
        if (n == 0) {
            return ETIMEDOUT;
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno;
        }
        n = recv(client->fd, client->in + client->in_len,
                 client->in_cap - client->in_len, MSG_DONTWAIT);
        if (n == 0) {
            return ECONNRESET;
        }
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
                continue;
            }
            return errno;
        }
        client->in_len += n;
    }
}

/* Sends one message built from 'method', 'params' and 'id' (NULL for a
 * notification). */
static int
jsonrpc_client_send_request(struct jsonrpc_client *client, const char *method,
                            const json_t *params, json_t *id,
                            uint64_t deadline)
{
    json_t *req = json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method", method);
    char *text;
    int error;

    if (params) {
        json_object_set(req, "params", (json_t *) params);
    }
    if (id) {
        json_object_set_new(req, "id", id);
    }
    text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (!text) {
        return EINVAL;
    }
    error = jsonrpc_client_send(client, text, deadline);
    free(text);
    return error;
}

/* After sending failed with 'error' because the server hung up, reads the
 * line it may have left before closing (a server that is full says so)
 * into 'err' and returns EREMOTEIO; otherwise returns 'error'. */
static int
jsonrpc_client_refusal(struct jsonrpc_client *client, int error,
                       struct jsonrpc_error *err)
{
    const json_t *e, *code, *message;
    json_error_t jerr;
    size_t len = 0;
    char *line = NULL;
    json_t *answer;

    if ((error != EPIPE && error != ECONNRESET)
        || jsonrpc_client_recv_line(client, &line, &len, time_ms())) {
        return error;
    }
    answer = json_loadb(line, len, jsonrpc_json_flags, &jerr);
    free(line);
    e = json_object_get(answer, "error");
    code = json_object_get(e, "code");
    message = json_object_get(e, "message");
    if (!json_is_integer(code) || !json_is_string(message)) {
        json_decref(answer);
        return error;
    }
    jsonrpc_error_set(err, json_integer_value(code), "%s",
                      json_string_value(message));
    err->data = json_incref(json_object_get(e, "data"));
    json_decref(answer);
    return EREMOTEIO;
}

int
jsonrpc_client_notify(struct jsonrpc_client *client, const char *method,
                      const json_t *params)
{
    return jsonrpc_client_send_request(client, method, params, NULL,
                                       time_ms() + 5000);
}

int
jsonrpc_client_call(struct jsonrpc_client *client, const char *method,
                    const json_t *params, int timeout_ms, json_t **result,
                    struct jsonrpc_error *err)
{
    uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : time_ms() + timeout_ms;
    json_int_t id = client->next_id++;
    int error;

    *result = NULL;
    error = jsonrpc_client_send_request(client, method, params,
                                        json_integer(id), deadline);
    if (error) {
        return jsonrpc_client_refusal(client, error, err);
    }
    for (;;) {
        json_t *answer, *answer_id, *error_obj;
        json_error_t jerr;
        size_t len = 0;
        char *line = NULL;

        error = jsonrpc_client_recv_line(client, &line, &len, deadline);
        if (error) {
            return error;
        }
        answer = json_loadb(line, len, jsonrpc_json_flags, &jerr);
        free(line);
        if (!json_is_object(answer)) {
            json_decref(answer);
            jsonrpc_error_set(err, JSONRPC_PARSE_ERROR,
                              "the server's answer is not a JSON object");
            return EPROTO;
        }
        answer_id = json_object_get(answer, "id");
        error_obj = json_object_get(answer, "error");
        if (json_is_integer(answer_id)
            && json_integer_value(answer_id) == id) {
            /* Ours. */
        } else if (json_is_null(answer_id) && error_obj) {
            /* The server could not tell our id: it is about our request. */
        } else {
            json_decref(answer);  /* a late answer to an earlier call */
            continue;
        }
        if (error_obj) {
            const json_t *code = json_object_get(error_obj, "code");
            const json_t *message = json_object_get(error_obj, "message");
            jsonrpc_error_set(err, json_is_integer(code)
                              ? (int) json_integer_value(code)
                              : JSONRPC_INTERNAL_ERROR, "%s",
                              json_is_string(message)
                              ? json_string_value(message)
                              : "error without a message");
            err->data = json_incref(json_object_get(error_obj, "data"));
            json_decref(answer);
            return EREMOTEIO;
        }
        *result = json_incref(json_object_get(answer, "result"));
        json_decref(answer);
        if (!*result) {
            jsonrpc_error_set(err, JSONRPC_INVALID_REQUEST,
                              "the server's answer has neither result nor "
                              "error");
            return EPROTO;
        }
        return 0;
    }
}

int
jsonrpc_client_batch(struct jsonrpc_client *client, const json_t *calls,
                     int timeout_ms, json_t **answers,
                     struct jsonrpc_error *err)
{
    uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : time_ms() + timeout_ms;
    size_t n = json_array_size(calls), i;
    json_int_t first_id = client->next_id;
    json_t *batch, *call, *answer = NULL;
    int error;
    char *text;

    *answers = NULL;
    if (!json_is_array(calls) || !n || n > JSONRPC_MAX_BATCH) {
        return EINVAL;
    }
    batch = json_array();
    json_array_foreach(calls, i, call) {
        const json_t *method = json_object_get(call, "method");
        const json_t *params = json_object_get(call, "params");
        json_t *req;

        if (!json_is_string(method)) {
            json_decref(batch);
            return EINVAL;
        }
        req = json_pack("{s:s, s:O, s:I}", "jsonrpc", "2.0", "method",
                        method, "id", (json_int_t) (first_id + i));
        if (params) {
            json_object_set(req, "params", (json_t *) params);
        }
        json_array_append_new(batch, req);
    }
    client->next_id += n;
    text = json_dumps(batch, JSON_COMPACT);
    json_decref(batch);
    if (!text) {
        return EINVAL;
    }
    error = jsonrpc_client_send(client, text, deadline);
    free(text);
    if (error) {
        return jsonrpc_client_refusal(client, error, err);
    }
    while (!error) {
        json_error_t jerr;
        size_t len = 0;
        char *line = NULL;

        error = jsonrpc_client_recv_line(client, &line, &len, deadline);
        if (error) {
            break;
        }
        answer = json_loadb(line, len, jsonrpc_json_flags, &jerr);
        free(line);
        if (json_is_array(answer)) {
            break;
        }
        if (json_is_object(answer) && json_object_get(answer, "error")
            && json_is_null(json_object_get(answer, "id"))) {
            /* The batch as a whole was refused. */
            const json_t *e = json_object_get(answer, "error");
            const json_t *code = json_object_get(e, "code");
            const json_t *message = json_object_get(e, "message");
            jsonrpc_error_set(err, json_is_integer(code)
                              ? (int) json_integer_value(code)
                              : JSONRPC_INTERNAL_ERROR, "%s",
                              json_is_string(message)
                              ? json_string_value(message) : "batch refused");
            json_decref(answer);
            return EREMOTEIO;
        }
        if (!json_is_object(answer)) {
            json_decref(answer);
            jsonrpc_error_set(err, JSONRPC_PARSE_ERROR,
                              "the server's answer is not JSON-RPC");
            return EPROTO;
        }
        json_decref(answer);    /* a late answer to an earlier call */
        answer = NULL;
    }
    if (error) {
        return error;
    }
    *answers = json_array();
    for (i = 0; i < n; i++) {
        json_array_append_new(*answers, json_null());
    }
    json_array_foreach(answer, i, call) {
        const json_t *id = json_object_get(call, "id");
        json_int_t k = json_is_integer(id) ? json_integer_value(id) - first_id
                                           : -1;
        if (k >= 0 && (size_t) k < n) {
            json_array_set(*answers, k, call);
        }
    }
    json_decref(answer);
    json_array_foreach(*answers, i, call) {
        if (json_is_null(call)) {
            json_decref(*answers);
            *answers = NULL;
            jsonrpc_error_set(err, JSONRPC_INVALID_REQUEST,
                              "the server's batch answer lacks call %zu", i);
            return EPROTO;
        }
    }
    return 0;
}
