/*
 * mgmt: remote management over TLS with a token, relayed to a daemon's
 * JSON-RPC Unix socket; see mgmt.h.
 */
#include "mgmt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "jsonrpc.h"
#include "log.h"
#include "ofstream.h"
#include "util.h"

#define MOD "mgmt"
#define MGMT_LINE_MAX 4096

struct mgmt_server {
    struct ofstream_tls *tls;
    struct ofstream_listener *listener;
    char *unix_path;
    char *token;
    pthread_t thread;
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    unsigned int n_sessions;    /* session threads alive */
    bool stop;
};

struct mgmt_session {
    struct mgmt_server *server;
    struct ofstream *s;
};

static uint64_t
mgmt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static bool
mgmt_stopping(struct mgmt_server *srv)
{
    return srv && __atomic_load_n(&srv->stop, __ATOMIC_ACQUIRE);
}

/* Reads the token of file 'path' (its first line) into '*tokenp'. */
static int
mgmt_read_token(const char *path, char **tokenp, char *msg, size_t size)
{
    char buf[1024];
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    ssize_t n;

    if (fd < 0) {
        snprintf(msg, size, "token file %s: %s", path, strerror(errno));
        return errno;
    }
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        snprintf(msg, size, "token file %s: not a regular file", path);
        return EINVAL;
    }
    if (st.st_mode & 0007) {
        close(fd);
        snprintf(msg, size, "token file %s: readable by others (mode %04o); "
                 "chmod 600 it", path, (unsigned) (st.st_mode & 07777));
        return EPERM;
    }
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0) {
        snprintf(msg, size, "token file %s: %s", path, strerror(errno));
        return EIO;
    }
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    if (strlen(buf) < MGMT_TOKEN_MIN) {
        snprintf(msg, size, "token file %s: the token must have at least %d "
                 "characters", path, MGMT_TOKEN_MIN);
        explicit_bzero(buf, sizeof buf);
        return EINVAL;
    }
    *tokenp = xstrdup(buf);
    explicit_bzero(buf, sizeof buf);
    return 0;
}

/* Runs the TLS handshake of 's' until 'deadline' (mgmt_now_ms()). */
static int
mgmt_handshake(struct ofstream *s, uint64_t deadline, struct mgmt_server *srv)
{
    for (;;) {
        int error = ofstream_connect(s);
        if (error != EAGAIN) {
            return error;
        }
        uint64_t now = mgmt_now_ms();
        if (now >= deadline || mgmt_stopping(srv)) {
            return ETIMEDOUT;
        }
        struct pollfd p = { ofstream_fd(s), ofstream_events(s), 0 };
        poll(&p, 1, MIN(200, (int) (deadline - now)));
    }
}

/* Reads one line (up to '\n', which is replaced by a NUL) from 's' into
 * 'buf' until 'deadline'; bytes after it are left at buf + *used.  Returns
 * the line's length + 1 consumed in '*line_len'. */
static int
mgmt_read_line(struct ofstream *s, char *buf, size_t cap, size_t *used,
               size_t *line_len, uint64_t deadline, struct mgmt_server *srv)
{
    *used = 0;
    for (;;) {
        char *nl = memchr(buf, '\n', *used);
        if (nl) {
            *nl = '\0';
            *line_len = nl - buf + 1;
            return 0;
        }
        if (*used >= cap - 1) {
            return EMSGSIZE;
        }
        ssize_t n = ofstream_recv(s, buf + *used, cap - 1 - *used);
        if (n > 0) {
            *used += n;
            continue;
        } else if (n == 0) {
            return ECONNRESET;
        } else if (errno != EAGAIN) {
            return errno;
        }
        uint64_t now = mgmt_now_ms();
        if (now >= deadline || mgmt_stopping(srv)) {
            return ETIMEDOUT;
        }
        if (!ofstream_has_pending(s)) {
            struct pollfd p = { ofstream_fd(s), ofstream_events(s) | POLLIN, 0 };
            poll(&p, 1, MIN(200, (int) (deadline - now)));
        }
    }
}

/* Sends all of 'text' + '\n' on 's' until 'deadline'. */
static int
mgmt_send_line(struct ofstream *s, const char *text, uint64_t deadline)
{
    size_t len = strlen(text), ofs = 0;
    char *line = xasprintf("%s\n", text);
    int error = 0;

    len++;
    while (ofs < len) {
        ssize_t n = ofstream_send(s, line + ofs, len - ofs);
        if (n > 0) {
            ofs += n;
            continue;
        }
        if (n < 0 && errno != EAGAIN) {
            error = errno;
            break;
        }
        uint64_t now = mgmt_now_ms();
        if (now >= deadline) {
            error = ETIMEDOUT;
            break;
        }
        struct pollfd p = { ofstream_fd(s), ofstream_events(s) | POLLOUT, 0 };
        poll(&p, 1, MIN(200, (int) (deadline - now)));
    }
    free(line);
    return error;
}

/* Moves bytes between TLS stream 's' and local socket 'fd' until either
 * side ends (and what it sent is delivered), an error, or 'srv' stops.
 * 'pre' ('pre_len' bytes) was read from 's' already and goes first. */
static void
mgmt_relay(struct ofstream *s, int fd, const char *pre, size_t pre_len,
           struct mgmt_server *srv)
{
    char a[16384], b[16384];    /* a: from s to fd; b: from fd to s */
    size_t a_len = MIN(pre_len, sizeof a), a_off = 0, b_len = 0, b_off = 0;
    bool s_eof = false, fd_eof = false;

    if (a_len) {
        memcpy(a, pre, a_len);
    }
    while (!mgmt_stopping(srv)) {
        bool moved = false;
        ssize_t n;

        if (!a_len && !s_eof) {
            n = ofstream_recv(s, a, sizeof a);
            if (n > 0) {
                a_len = n, a_off = 0, moved = true;
            } else if (!n) {
                s_eof = true;
            } else if (errno != EAGAIN) {
                break;
            }
        }
        if (a_off < a_len) {
            n = send(fd, a + a_off, a_len - a_off, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) {
                a_off += n, moved = true;
                if (a_off == a_len) {
                    a_len = a_off = 0;
                }
            } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
                break;
            }
        }
        if (!b_len && !fd_eof) {
            n = recv(fd, b, sizeof b, MSG_DONTWAIT);
            if (n > 0) {
                b_len = n, b_off = 0, moved = true;
            } else if (!n) {
                fd_eof = true;
            } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
                break;
            }
        }
        if (b_off < b_len) {
            n = ofstream_send(s, b + b_off, b_len - b_off);
            if (n > 0) {
                b_off += n, moved = true;
                if (b_off == b_len) {
                    b_len = b_off = 0;
                }
            } else if (n < 0 && errno != EAGAIN) {
                break;
            }
        }
        if ((s_eof && !a_len) || (fd_eof && !b_len)) {
            break;
        }
        if (moved || ofstream_has_pending(s)) {
            continue;
        }
        struct pollfd p[2] = {
            { ofstream_fd(s), ofstream_events(s) | (!a_len && !s_eof ? POLLIN : 0)
                              | (b_len ? POLLOUT : 0), 0 },
            { fd, (!b_len && !fd_eof ? POLLIN : 0) | (a_len ? POLLOUT : 0), 0 },
        };
        poll(p, 2, 200);
    }
}

/* Connects to the Unix socket 'path'. */
static int
mgmt_unix_connect(const char *path)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof sun.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(sun.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *) &sun, sizeof sun)) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* Answers the auth line 'line' of session 'ss': 0 if its token is right. */
static int
mgmt_check_auth(struct mgmt_server *srv, const char *line, json_t **idp)
{
    json_t *req = json_loads(line, 0, NULL);
    const char *method = json_string_value(json_object_get(req, "method"));
    const char *token = json_string_value(json_object_get(
                                              json_object_get(req, "params"),
                                              "token"));
    int error = EACCES;

    *idp = json_incref(json_object_get(req, "id"));
    if (method && !strcmp(method, "mgmt.auth") && token
        && strlen(token) == strlen(srv->token)
        && !CRYPTO_memcmp(token, srv->token, strlen(token))) {
        error = 0;
    }
    json_decref(req);
    return error;
}

static void *
mgmt_session_main(void *ss_)
{
    struct mgmt_session *ss = ss_;
    struct mgmt_server *srv = ss->server;
    struct ofstream *s = ss->s;
    uint64_t deadline = mgmt_now_ms() + MGMT_AUTH_TIMEOUT_MS;
    char *buf = xmalloc(MGMT_LINE_MAX);
    size_t used = 0, line_len = 0;
    json_t *id = NULL;
    int fd = -1;

    int error = mgmt_handshake(s, deadline, srv);
    if (error) {
        LOG_WARN(MOD, "%s: TLS handshake failed: %s", ofstream_peer(s),
                 ofstream_error(s)[0] ? ofstream_error(s) : strerror(error));
        goto out;
    }
    error = mgmt_read_line(s, buf, MGMT_LINE_MAX, &used, &line_len, deadline, srv);
    if (error) {
        LOG_WARN(MOD, "%s: no token: %s", ofstream_peer(s), strerror(error));
        goto out;
    }
    if (mgmt_check_auth(srv, buf, &id)) {
        LOG_WARN(MOD, "%s (%s): wrong token, refused", ofstream_peer(s),
                 ofstream_peer_id(s));
        json_t *ans = json_pack("{s:s, s:O?, s:{s:i, s:s, s:{s:s}}}", "jsonrpc",
                                "2.0", "id", id, "error", "code", JSONRPC_APP_ERROR,
                                "message", "management: wrong or missing token",
                                "data", "errno", "EACCES");
        char *text = json_dumps(ans, JSON_COMPACT);
        mgmt_send_line(s, text, mgmt_now_ms() + 1000);
        free(text);
        json_decref(ans);
        goto out;
    }
    fd = mgmt_unix_connect(srv->unix_path);
    json_t *ans = fd >= 0
        ? json_pack("{s:s, s:O?, s:{s:b}}", "jsonrpc", "2.0", "id", id, "result",
                    "authenticated", true)
        : json_pack("{s:s, s:O?, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id,
                    "error", "code", JSONRPC_APP_ERROR, "message",
                    "management: the daemon's socket cannot be reached");
    char *text = json_dumps(ans, JSON_COMPACT);
    error = mgmt_send_line(s, text, deadline);
    free(text);
    json_decref(ans);
    if (fd >= 0 && !error) {
        LOG_INFO(MOD, "%s (%s): authenticated", ofstream_peer(s),
                 ofstream_peer_id(s));
        mgmt_relay(s, fd, buf + line_len, used - line_len, srv);
    }

out:
    if (fd >= 0) {
        close(fd);
    }
    json_decref(id);
    explicit_bzero(buf, MGMT_LINE_MAX);
    free(buf);
    free(ss);
    /* ofstream is single-threaded: closing updates the listener's counts,
     * which its thread reads while accepting. */
    pthread_mutex_lock(&srv->mutex);
    ofstream_close(s);
    srv->n_sessions--;
    pthread_cond_broadcast(&srv->cond);
    pthread_mutex_unlock(&srv->mutex);
    return NULL;
}

static void *
mgmt_listener_main(void *srv_)
{
    struct mgmt_server *srv = srv_;

    while (!mgmt_stopping(srv)) {
        struct ofstream *s;
        struct pollfd p = { ofstream_listener_fd(srv->listener),
                            ofstream_listener_events(srv->listener), 0 };
        poll(&p, 1, 200);
        for (;;) {
            pthread_mutex_lock(&srv->mutex);
            int error = ofstream_listener_accept(srv->listener, &s);
            srv->n_sessions += !error;
            pthread_mutex_unlock(&srv->mutex);
            if (error) {
                break;
            }
            struct mgmt_session *ss = xzalloc(sizeof *ss);
            pthread_attr_t attr;
            pthread_t t;

            ss->server = srv;
            ss->s = s;
            pthread_attr_init(&attr);
            pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
            if (pthread_create(&t, &attr, mgmt_session_main, ss)) {
                free(ss);
                pthread_mutex_lock(&srv->mutex);
                ofstream_close(s);
                srv->n_sessions--;
                pthread_mutex_unlock(&srv->mutex);
            }
            pthread_attr_destroy(&attr);
        }
    }
    return NULL;
}

int
mgmt_config_check(const struct mgmt_config *cfg, char *msg, size_t size)
{
    if (!cfg->listen) {
        if (!cfg->private_key && !cfg->certificate && !cfg->ca_cert
            && !cfg->token_file) {
            return 0;           /* off */
        }
        snprintf(msg, size, "management: TLS files or a token file given "
                 "without an address to listen on");
        return EINVAL;
    }
    if (!cfg->private_key || !cfg->certificate || !cfg->ca_cert
        || !cfg->token_file) {
        snprintf(msg, size, "management: refusing to listen on TCP %s without "
                 "TLS and a token (missing: %s%s%s%s)", cfg->listen,
                 cfg->certificate ? "" : "certificate ",
                 cfg->private_key ? "" : "private key ",
                 cfg->ca_cert ? "" : "CA certificate ",
                 cfg->token_file ? "" : "token file");
        return EINVAL;
    }
    return 0;
}

int
mgmt_server_start(const struct mgmt_config *cfg, const char *unix_path,
                  struct mgmt_server **sp, char *msg, size_t size)
{
    struct ofstream_target t;
    char target[300], m[256];
    int error;

    *sp = NULL;
    error = mgmt_config_check(cfg, msg, size);
    if (error) {
        return error;
    }
    if (!cfg->listen) {
        snprintf(msg, size, "management: no address to listen on");
        return EINVAL;
    }
    /* "ADDR:PORT" is pssl:PORT:ADDR; "[V6]:PORT" too. */
    const char *colon = strrchr(cfg->listen, ':');
    if (!colon || colon == cfg->listen || !colon[1]) {
        snprintf(msg, size, "management: \"%s\" is not ADDR:PORT", cfg->listen);
        return EINVAL;
    }
    snprintf(target, sizeof target, "pssl:%s:%.*s", colon + 1,
             (int) (colon - cfg->listen), cfg->listen);
    if (ofstream_target_parse(target, &t, m, sizeof m)) {
        snprintf(msg, size, "management: %s: %s", cfg->listen, m);
        return EINVAL;
    }
    struct mgmt_server *srv = xzalloc(sizeof *srv);
    error = mgmt_read_token(cfg->token_file, &srv->token, m, sizeof m);
    if (!error) {
        error = ofstream_tls_create(cfg->private_key, cfg->certificate,
                                    cfg->ca_cert, &srv->tls, m, sizeof m);
    }
    if (!error) {
        struct ofstream_listener_limits lim = {
            .max_conns = MGMT_MAX_CLIENTS, .max_per_source = MGMT_MAX_PER_SOURCE,
            .pause_ms = 250,
        };
        error = ofstream_listener_open(&t, srv->tls, &lim, "mgmt",
                                       &srv->listener, m, sizeof m);
    }
    if (error) {
        snprintf(msg, size, "management: %s", m);
        mgmt_server_stop(srv);
        return error;
    }
    srv->unix_path = xstrdup(unix_path);
    pthread_mutex_init(&srv->mutex, NULL);
    pthread_cond_init(&srv->cond, NULL);
    if (pthread_create(&srv->thread, NULL, mgmt_listener_main, srv)) {
        snprintf(msg, size, "management: cannot start a thread");
        pthread_mutex_destroy(&srv->mutex);
        pthread_cond_destroy(&srv->cond);
        srv->unix_path = (free(srv->unix_path), NULL);
        mgmt_server_stop(srv);
        return EAGAIN;
    }
    LOG_INFO(MOD, "listening on %s (TLS and token)", cfg->listen);
    *sp = srv;
    return 0;
}

uint16_t
mgmt_server_port(const struct mgmt_server *srv)
{
    return ofstream_listener_port(srv->listener);
}

void
mgmt_server_stop(struct mgmt_server *srv)
{
    if (!srv) {
        return;
    }
    if (srv->unix_path) {           /* started: stop the threads */
        __atomic_store_n(&srv->stop, true, __ATOMIC_RELEASE);
        pthread_join(srv->thread, NULL);
        pthread_mutex_lock(&srv->mutex);
        while (srv->n_sessions) {
            pthread_cond_wait(&srv->cond, &srv->mutex);
        }
        pthread_mutex_unlock(&srv->mutex);
        pthread_mutex_destroy(&srv->mutex);
        pthread_cond_destroy(&srv->cond);
        free(srv->unix_path);
    }
    ofstream_listener_close(srv->listener);
    ofstream_tls_destroy(srv->tls);
    if (srv->token) {
        explicit_bzero(srv->token, strlen(srv->token));
        free(srv->token);
    }
    free(srv);
}

/* ---- Client ---------------------------------------------------------------- */

struct mgmt_client {
    struct ofstream *s;
    struct ofstream_tls *tls;
    int fd;                     /* our end of the socketpair */
    pthread_t thread;
};

static void *
mgmt_client_main(void *c_)
{
    struct mgmt_client *c = c_;

    mgmt_relay(c->s, c->fd, NULL, 0, NULL);
    return NULL;
}

void
mgmt_client_close(struct mgmt_client *c)
{
    if (c) {
        pthread_join(c->thread, NULL);
        close(c->fd);
        ofstream_close(c->s);
        ofstream_tls_destroy(c->tls);
        free(c);
    }
}

int
mgmt_connect(const struct mgmt_config *cfg, struct mgmt_client **cp, int *fdp,
             char *msg, size_t size)
{
    struct ofstream_target t;
    struct ofstream_tls *tls = NULL;
    struct ofstream *s = NULL;
    char target[300], m[256], *token = NULL, *buf = NULL;
    int error, sv[2] = { -1, -1 };
    uint64_t deadline = mgmt_now_ms() + (cfg->timeout_ms > 0 ? cfg->timeout_ms
                                         : MGMT_AUTH_TIMEOUT_MS);

    *fdp = -1;
    *cp = NULL;
    snprintf(target, sizeof target, "ssl:%s", cfg->listen ? cfg->listen : "");
    if (!cfg->listen || ofstream_target_parse(target, &t, m, sizeof m)) {
        snprintf(msg, size, "--connect %s: %s", cfg->listen ? cfg->listen : "",
                 cfg->listen ? m : "give HOST:PORT");
        return EINVAL;
    }
    if (cfg->token) {
        token = xstrdup(cfg->token);
    } else if (!cfg->token_file) {
        snprintf(msg, size, "--connect needs a token: give --token-file FILE "
                 "or set LAMINA_MGMT_TOKEN");
        return EINVAL;
    } else if ((error = mgmt_read_token(cfg->token_file, &token, msg, size))) {
        return error;
    }
    error = ofstream_tls_create(cfg->private_key, cfg->certificate, cfg->ca_cert,
                                &tls, m, sizeof m);
    if (error) {
        snprintf(msg, size, "--connect %s: %s (--key, --cert, --ca-cert)",
                 cfg->listen, m);
        goto out;
    }
    error = ofstream_open(&t, tls, &s, m, sizeof m);
    if (error) {
        snprintf(msg, size, "--connect %s: %s", cfg->listen, m);
        goto out;
    }
    error = mgmt_handshake(s, deadline, NULL);
    if (error) {
        snprintf(msg, size, "--connect %s: %s", cfg->listen,
                 ofstream_error(s)[0] ? ofstream_error(s) : strerror(error));
        goto out;
    }
    json_t *req = json_pack("{s:s, s:i, s:s, s:{s:s}}", "jsonrpc", "2.0", "id", 0,
                            "method", "mgmt.auth", "params", "token", token);
    char *text = json_dumps(req, JSON_COMPACT);
    error = mgmt_send_line(s, text, deadline);
    explicit_bzero(text, strlen(text));
    free(text);
    json_decref(req);
    size_t used, line_len;
    buf = xmalloc(MGMT_LINE_MAX);
    if (!error) {
        error = mgmt_read_line(s, buf, MGMT_LINE_MAX, &used, &line_len, deadline,
                               NULL);
    }
    if (error) {
        snprintf(msg, size, "--connect %s: %s", cfg->listen,
                 error == ECONNRESET ? "the server closed the connection"
                 : ofstream_error(s)[0] ? ofstream_error(s) : strerror(error));
        goto out;
    }
    json_t *ans = json_loads(buf, 0, NULL);
    if (!json_is_true(json_object_get(json_object_get(ans, "result"),
                                      "authenticated"))) {
        const char *why = json_string_value(json_object_get(
                                                json_object_get(ans, "error"),
                                                "message"));
        snprintf(msg, size, "--connect %s: %s", cfg->listen,
                 why ? why : "not authenticated");
        json_decref(ans);
        error = EACCES;
        goto out;
    }
    json_decref(ans);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
        error = errno;
        snprintf(msg, size, "socketpair: %s", strerror(error));
        goto out;
    }
    struct mgmt_client *c = xzalloc(sizeof *c);
    c->s = s;
    c->tls = tls;
    c->fd = sv[1];
    error = pthread_create(&c->thread, NULL, mgmt_client_main, c);
    if (error) {
        free(c);
        snprintf(msg, size, "cannot start a thread");
        goto out;
    }
    *cp = c;
    *fdp = sv[0];
    s = NULL, tls = NULL, sv[0] = sv[1] = -1;

out:
    if (sv[0] >= 0) {
        close(sv[0]);
        close(sv[1]);
    }
    ofstream_close(s);
    ofstream_tls_destroy(tls);
    if (token) {
        explicit_bzero(token, strlen(token));
        free(token);
    }
    free(buf);
    return error;
}
