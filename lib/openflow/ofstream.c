/*
 * ofstream: TCP and TLS transport for OpenFlow (see ofstream.h).
 */
#include "ofstream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "log.h"
#include "util.h"

#define MOD "ofstream"

struct ofstream_tls {
    SSL_CTX *ctx;
};

enum ofstream_state { OFS_CONNECTING, OFS_HANDSHAKE, OFS_OPEN };

struct ofstream {
    int fd;
    enum ofstream_state state;
    SSL *ssl;                       /* NULL: plain TCP */
    bool want_write;                /* TLS needs POLLOUT to go on */
    bool tls_broken;                /* no close_notify on close */
    struct ofstream_listener *listener;     /* accepted from it, or NULL */
    size_t source;                  /* index in listener->sources */
    char peer[300];
    char error[256];
    char peer_id[8 + 2 * EVP_MAX_MD_SIZE + 1];  /* "sha256:HEX" or "" */
};

struct ofstream_source {
    struct sockaddr_storage addr;   /* port zeroed */
    unsigned int n;
};

struct ofstream_listener {
    int fd;                         /* -1 once closed */
    unsigned int refs;              /* 1 while open + accepted streams */
    struct ofstream_tls *tls;       /* borrowed */
    struct ofstream_listener_limits limits;
    char *name;
    uint16_t port;
    uint64_t paused_until_ms;
    uint64_t episode_fd_exhausted;  /* EMFILE count in this episode */
    struct ofstream_source *sources;
    size_t n_sources;
    struct ofstream_listener_stats stats;
};

/* ---- Targets ------------------------------------------------------------- */

static int
target_error(char *msg, size_t size, const char *target, const char *why)
{
    snprintf(msg, size, "\"%s\": %s (expected tcp:HOST[:PORT], ssl:HOST[:PORT], "
             "ptcp:[PORT][:ADDR] or pssl:[PORT][:ADDR])", target, why);
    return EINVAL;
}

/* Parses a decimal port 'p' (all of it). */
static bool
parse_port(const char *p, bool allow_zero, uint16_t *port)
{
    char *end;
    unsigned long v;

    if (!*p || *p < '0' || *p > '9') {
        return false;
    }
    errno = 0;
    v = strtoul(p, &end, 10);
    if (errno || *end || v > 65535 || (!v && !allow_zero)) {
        return false;
    }
    *port = v;
    return true;
}

/* Copies a host at 'p' (up to 'end') into 't->host': "[v6]" or a name or
 * an IPv4 address; returns false if it is malformed. */
static bool
parse_host(const char *p, size_t len, struct ofstream_target *t)
{
    if (len && p[0] == '[') {
        struct in6_addr a;
        if (len < 3 || p[len - 1] != ']' || len - 2 >= sizeof t->host) {
            return false;
        }
        memcpy(t->host, p + 1, len - 2);
        t->host[len - 2] = '\0';
        return inet_pton(AF_INET6, t->host, &a) == 1;
    }
    if (!len || len >= sizeof t->host) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_')) {
            return false;
        }
    }
    memcpy(t->host, p, len);
    t->host[len] = '\0';
    return true;
}

int
ofstream_target_parse(const char *target, struct ofstream_target *out,
                      char *msg, size_t size)
{
    struct ofstream_target t;
    const char *rest;

    memset(&t, 0, sizeof t);
    t.port = OFSTREAM_DEFAULT_PORT;
    if (!target || !*target) {
        return target_error(msg, size, target ? target : "", "empty target");
    }
    if (!strncmp(target, "tcp:", 4) || !strncmp(target, "ssl:", 4)) {
        t.tls = target[0] == 's';
        rest = target + 4;
    } else if (!strncmp(target, "ptcp:", 5) || !strncmp(target, "pssl:", 5)) {
        t.passive = true;
        t.tls = target[1] == 's';
        rest = target + 5;
    } else {
        return target_error(msg, size, target, "unknown method");
    }

    if (!t.passive) {
        /* HOST[:PORT], HOST being "[v6]" or without ':'. */
        const char *port = NULL, *host_end;
        if (rest[0] == '[') {
            const char *rb = strchr(rest, ']');
            if (!rb) {
                return target_error(msg, size, target, "\"[\" without \"]\"");
            }
            host_end = rb + 1;
            if (*host_end == ':') {
                port = host_end + 1;
            } else if (*host_end) {
                return target_error(msg, size, target, "junk after \"]\"");
            }
        } else {
            const char *colon = strchr(rest, ':');
            host_end = colon ? colon : rest + strlen(rest);
            port = colon ? colon + 1 : NULL;
            if (colon && strchr(colon + 1, ':')) {
                return target_error(msg, size, target, "an IPv6 address must be "
                                    "in brackets, as [::1]");
            }
        }
        if (host_end == rest) {
            return target_error(msg, size, target, "no host");
        }
        if (!parse_host(rest, host_end - rest, &t)) {
            return target_error(msg, size, target, "bad host");
        }
        if (port && !parse_port(port, false, &t.port)) {
            return target_error(msg, size, target, "bad port (1..65535)");
        }
    } else {
        /* [PORT][:ADDR] */
        const char *colon = strchr(rest, ':');
        size_t plen = colon ? (size_t) (colon - rest) : strlen(rest);
        char pbuf[8];
        if (plen) {
            if (plen >= sizeof pbuf) {
                return target_error(msg, size, target, "bad port (0..65535)");
            }
            memcpy(pbuf, rest, plen);
            pbuf[plen] = '\0';
            if (!parse_port(pbuf, true, &t.port)) {
                return target_error(msg, size, target, "bad port (0..65535)");
            }
        }
        if (colon) {
            const char *addr = colon + 1;
            if (!parse_host(addr, strlen(addr), &t)) {
                return target_error(msg, size, target, "bad address");
            }
        } else {
            strcpy(t.host, OFSTREAM_DEFAULT_BIND);
        }
    }
    *out = t;
    return 0;
}

/* Resolves 'host' and 'port' into '*ss'.  An IPv4 address is preferred
 * when a name has both kinds. */
static int
resolve(const char *host, uint16_t port, bool passive,
        struct sockaddr_storage *ss, socklen_t *len, char *msg, size_t size)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
                              .ai_flags = passive ? AI_PASSIVE : 0 };
    struct addrinfo *res, *pick = NULL;
    char pbuf[8];
    int e;

    snprintf(pbuf, sizeof pbuf, "%u", port);
    hints.ai_flags |= AI_NUMERICSERV;
    e = getaddrinfo(host, pbuf, &hints, &res);
    if (e) {
        snprintf(msg, size, "cannot resolve \"%s\": %s", host, gai_strerror(e));
        return ENOENT;
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET) {
            pick = ai;
            break;
        }
        if (!pick && ai->ai_family == AF_INET6) {
            pick = ai;
        }
    }
    if (!pick) {
        freeaddrinfo(res);
        snprintf(msg, size, "\"%s\" has no IPv4 or IPv6 address", host);
        return ENOENT;
    }
    memcpy(ss, pick->ai_addr, pick->ai_addrlen);
    *len = pick->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static void
format_addr(const struct sockaddr_storage *ss, char *buf, size_t size)
{
    char ip[INET6_ADDRSTRLEN] = "?";

    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const void *) ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
        snprintf(buf, size, "[%s]:%u", ip, ntohs(s6->sin6_port));
    } else {
        const struct sockaddr_in *s4 = (const void *) ss;
        inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
        snprintf(buf, size, "%s:%u", ip, ntohs(s4->sin_port));
    }
}

bool
ofstream_target_is_loopback(const struct ofstream_target *t)
{
    struct in_addr a4;
    struct in6_addr a6;

    if (!t->host[0] || !strcmp(t->host, "localhost")) {
        return true;
    }
    if (inet_pton(AF_INET, t->host, &a4) == 1) {
        return (ntohl(a4.s_addr) >> 24) == 127;
    }
    return inet_pton(AF_INET6, t->host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* ---- TLS ----------------------------------------------------------------- */

static const char *
tls_error_string(unsigned long e, char *buf, size_t size)
{
    if (!e) {
        return "TLS error";
    }
    ERR_error_string_n(e, buf, size);
    return buf;
}

int
ofstream_tls_create(const char *private_key, const char *certificate,
                    const char *ca_cert, struct ofstream_tls **tlsp,
                    char *msg, size_t size)
{
    char ebuf[256];
    const char *what, *file;
    SSL_CTX *ctx;

    *tlsp = NULL;
    if (!private_key || !certificate || !ca_cert) {
        snprintf(msg, size, "TLS needs a private key, a certificate and a CA "
                 "certificate (missing: %s)", !private_key ? "private key"
                 : !certificate ? "certificate" : "CA certificate");
        return EINVAL;
    }
    ctx = SSL_CTX_new(TLS_method());
    if (!ctx) {
        snprintf(msg, size, "TLS: cannot make a context");
        return ENOMEM;
    }
    ERR_clear_error();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE
                     | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    if (SSL_CTX_use_PrivateKey_file(ctx, private_key, SSL_FILETYPE_PEM) != 1) {
        what = "private_key", file = private_key;
    } else if (SSL_CTX_use_certificate_chain_file(ctx, certificate) != 1) {
        what = "certificate", file = certificate;
    } else if (SSL_CTX_check_private_key(ctx) != 1) {
        what = "certificate (does not match private_key)", file = certificate;
    } else if (SSL_CTX_load_verify_locations(ctx, ca_cert, NULL) != 1) {
        what = "ca_cert", file = ca_cert;
    } else {
        STACK_OF(X509_NAME) *cas = SSL_load_client_CA_file(ca_cert);
        if (cas) {
            SSL_CTX_set_client_CA_list(ctx, cas);
        }
        *tlsp = xzalloc(sizeof **tlsp);
        (*tlsp)->ctx = ctx;
        return 0;
    }
    snprintf(msg, size, "TLS: cannot use %s %s: %s", what, file,
             tls_error_string(ERR_peek_last_error(), ebuf, sizeof ebuf));
    ERR_clear_error();
    SSL_CTX_free(ctx);
    return EINVAL;
}

void
ofstream_tls_destroy(struct ofstream_tls *tls)
{
    if (tls) {
        SSL_CTX_free(tls->ctx);     /* SSL objects keep their own reference */
        free(tls);
    }
}

/* ---- Streams ------------------------------------------------------------- */

static struct ofstream *
stream_new(int fd, SSL *ssl, enum ofstream_state state, const char *peer)
{
    struct ofstream *s = xzalloc(sizeof *s);
    int one = 1;

    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    s->fd = fd;
    s->ssl = ssl;
    s->state = state;
    str_copy(s->peer, peer, sizeof s->peer);
    return s;
}

/* Sets up TLS on 'fd'; NULL on failure (with 'msg'). */
static SSL *
tls_attach(struct ofstream_tls *tls, int fd, bool client, char *msg, size_t size)
{
    SSL *ssl = SSL_new(tls->ctx);

    if (!ssl || !SSL_set_fd(ssl, fd)) {
        snprintf(msg, size, "TLS: cannot set up a connection");
        SSL_free(ssl);
        return NULL;
    }
    if (client) {
        SSL_set_connect_state(ssl);
    } else {
        SSL_set_accept_state(ssl);
    }
    return ssl;
}

int
ofstream_open(const struct ofstream_target *t, struct ofstream_tls *tls,
              struct ofstream **sp, char *msg, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t len;
    SSL *ssl = NULL;
    char peer[300];
    int fd, error;

    *sp = NULL;
    if (t->passive) {
        snprintf(msg, size, "cannot connect to a passive target");
        return EINVAL;
    }
    if (t->tls && !tls) {
        snprintf(msg, size, "ssl: needs a private key, certificate and CA certificate");
        return EINVAL;
    }
    error = resolve(t->host, t->port, false, &ss, &len, msg, size);
    if (error) {
        return error;
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        error = errno;
        snprintf(msg, size, "socket: %s", strerror(error));
        return error;
    }
    if (connect(fd, (struct sockaddr *) &ss, len) < 0 && errno != EINPROGRESS) {
        error = errno;
        snprintf(msg, size, "connect to %s: %s", t->host, strerror(error));
        close(fd);
        return error;
    }
    if (t->tls && !(ssl = tls_attach(tls, fd, true, msg, size))) {
        close(fd);
        return ENOMEM;
    }
    /* Named as the target, so that logs match the configuration. */
    snprintf(peer, sizeof peer, "%s:%s%s%s:%u", t->tls ? "ssl" : "tcp",
             strchr(t->host, ':') ? "[" : "", t->host,
             strchr(t->host, ':') ? "]" : "", t->port);
    *sp = stream_new(fd, ssl, OFS_CONNECTING, peer);
    return 0;
}

/* Maps an OpenSSL result 'r' to the stream API: bytes, 0 (end), or -1 with
 * errno EAGAIN or another errno and s->error set. */
static ssize_t
tls_result(struct ofstream *s, int r)
{
    int e = SSL_get_error(s->ssl, r);
    char ebuf[256];

    s->want_write = false;
    if (e == SSL_ERROR_WANT_READ) {
        errno = EAGAIN;
        return -1;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
        s->want_write = true;
        errno = EAGAIN;
        return -1;
    }
    if (e == SSL_ERROR_ZERO_RETURN) {
        return 0;
    }
    s->tls_broken = true;
    if (e == SSL_ERROR_SYSCALL) {
        unsigned long q = ERR_get_error();
        if (q) {
            str_copy(s->error, tls_error_string(q, ebuf, sizeof ebuf), sizeof s->error);
        } else if (errno) {
            str_copy(s->error, strerror(errno), sizeof s->error);
        } else {
            return 0;               /* EOF without close_notify */
        }
    } else {
        str_copy(s->error, tls_error_string(ERR_get_error(), ebuf, sizeof ebuf),
                 sizeof s->error);
    }
    errno = EPROTO;
    return -1;
}

static int
stream_handshake(struct ofstream *s)
{
    ERR_clear_error();
    errno = 0;
    int r = SSL_do_handshake(s->ssl);
    if (r != 1) {
        ssize_t n = tls_result(s, r);
        long v;
        if (n < 0 && errno == EAGAIN) {
            return EAGAIN;
        }
        s->tls_broken = true;
        v = SSL_get_verify_result(s->ssl);
        if (v != X509_V_OK) {
            snprintf(s->error, sizeof s->error, "TLS handshake failed: peer "
                     "certificate: %s", X509_verify_cert_error_string(v));
        } else {
            char why[200];
            str_copy(why, n == 0 ? "closed by peer during the TLS handshake"
                     : s->error[0] ? s->error : "handshake failed", sizeof why);
            snprintf(s->error, sizeof s->error, "TLS handshake failed: %s", why);
        }
        return EPROTO;
    }
    s->state = OFS_OPEN;
    s->want_write = false;

    char subject[256] = "?";
    X509 *cert = SSL_get1_peer_certificate(s->ssl);
    if (cert) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;

        X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject);
        if (X509_digest(cert, EVP_sha256(), md, &n) == 1) {
            char *p = s->peer_id + sprintf(s->peer_id, "sha256:");
            for (unsigned int i = 0; i < n; i++) {
                p += sprintf(p, "%02x", md[i]);
            }
        }
        X509_free(cert);
    }
    LOG_INFO(MOD, "TLS with %s established (%s, %s), peer %s", s->peer,
             SSL_get_version(s->ssl), SSL_get_cipher_name(s->ssl), subject);
    return 0;
}

int
ofstream_connect(struct ofstream *s)
{
    if (s->state == OFS_CONNECTING) {
        struct pollfd p = { .fd = s->fd, .events = POLLOUT };
        int soerr = 0;
        socklen_t slen = sizeof soerr;

        if (poll(&p, 1, 0) <= 0) {
            return EAGAIN;
        }
        getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &slen);
        if (soerr) {
            str_copy(s->error, strerror(soerr), sizeof s->error);
            return soerr;
        }
        s->state = s->ssl ? OFS_HANDSHAKE : OFS_OPEN;
    }
    if (s->state == OFS_HANDSHAKE) {
        return stream_handshake(s);
    }
    return 0;
}

ssize_t
ofstream_send(struct ofstream *s, const void *p, size_t len)
{
    if (s->state != OFS_OPEN) {
        errno = EAGAIN;
        return -1;
    }
    if (!s->ssl) {
        ssize_t n = send(s->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            str_copy(s->error, strerror(errno), sizeof s->error);
        } else if (n < 0) {
            errno = EAGAIN;
        }
        return n;
    }
    ERR_clear_error();
    errno = 0;
    int r = SSL_write(s->ssl, p, len > INT32_MAX ? INT32_MAX : (int) len);
    if (r > 0) {
        s->want_write = false;
        return r;
    }
    return tls_result(s, r);
}

ssize_t
ofstream_recv(struct ofstream *s, void *p, size_t len)
{
    if (s->state != OFS_OPEN) {
        errno = EAGAIN;
        return -1;
    }
    if (!s->ssl) {
        ssize_t n = recv(s->fd, p, len, MSG_DONTWAIT);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            str_copy(s->error, strerror(errno), sizeof s->error);
        } else if (n < 0) {
            errno = EAGAIN;
        }
        return n;
    }
    ERR_clear_error();
    errno = 0;
    int r = SSL_read(s->ssl, p, len > INT32_MAX ? INT32_MAX : (int) len);
    if (r > 0) {
        s->want_write = false;
        return r;
    }
    return tls_result(s, r);
}

short
ofstream_events(const struct ofstream *s)
{
    switch (s->state) {
    case OFS_CONNECTING:
        return POLLOUT;
    case OFS_HANDSHAKE:
        return s->want_write ? POLLOUT : POLLIN;
    case OFS_OPEN:
    default:
        return s->want_write ? POLLOUT : 0;
    }
}

bool
ofstream_has_pending(const struct ofstream *s)
{
    return s->ssl && s->state == OFS_OPEN && SSL_has_pending(s->ssl);
}

bool
ofstream_is_open(const struct ofstream *s)
{
    return s->state == OFS_OPEN;
}

int
ofstream_fd(const struct ofstream *s)
{
    return s->fd;
}

const char *
ofstream_peer(const struct ofstream *s)
{
    return s->peer;
}

const char *
ofstream_error(const struct ofstream *s)
{
    return s->error;
}

const char *
ofstream_peer_id(const struct ofstream *s)
{
    return s->peer_id;
}

static void listener_unref(struct ofstream_listener *);

void
ofstream_close(struct ofstream *s)
{
    if (!s) {
        return;
    }
    if (s->ssl) {
        if (s->state == OFS_OPEN && !s->tls_broken) {
            ERR_clear_error();
            SSL_shutdown(s->ssl);   /* close_notify, not waiting for the peer's */
        }
        SSL_free(s->ssl);
        ERR_clear_error();
    }
    close(s->fd);
    if (s->listener) {
        struct ofstream_listener *l = s->listener;
        l->sources[s->source].n--;
        l->stats.live--;
        listener_unref(l);
    }
    free(s);
}

/* ---- Listeners ----------------------------------------------------------- */

int
ofstream_listener_open(const struct ofstream_target *t, struct ofstream_tls *tls,
                       const struct ofstream_listener_limits *limits,
                       const char *name, struct ofstream_listener **lp,
                       char *msg, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd, one = 1, error;

    *lp = NULL;
    if (!t->passive) {
        snprintf(msg, size, "cannot listen on an active target");
        return EINVAL;
    }
    if (t->tls && !tls) {
        snprintf(msg, size, "pssl: needs a private key, certificate and CA certificate");
        return EINVAL;
    }
    error = resolve(t->host, t->port, true, &ss, &len, msg, size);
    if (error) {
        return error;
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        error = errno;
        snprintf(msg, size, "socket: %s", strerror(error));
        return error;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *) &ss, len) < 0 || listen(fd, 128) < 0) {
        char where[INET6_ADDRSTRLEN + 16];
        error = errno;
        format_addr(&ss, where, sizeof where);
        snprintf(msg, size, "cannot listen on %s: %s", where, strerror(error));
        close(fd);
        return error;
    }
    len = sizeof ss;
    getsockname(fd, (struct sockaddr *) &ss, &len);

    struct ofstream_listener *l = xzalloc(sizeof *l);
    l->fd = fd;
    l->refs = 1;
    l->tls = tls;
    l->limits = *limits;
    l->name = xstrdup(name ? name : MOD);
    l->port = ntohs(ss.ss_family == AF_INET6
                    ? ((struct sockaddr_in6 *) &ss)->sin6_port
                    : ((struct sockaddr_in *) &ss)->sin_port);
    *lp = l;
    return 0;
}

/* The slot of source address 'ss' (port ignored), made if new. */
static size_t
listener_source(struct ofstream_listener *l, const struct sockaddr_storage *ss)
{
    struct sockaddr_storage key;
    size_t free_slot = SIZE_MAX;

    memset(&key, 0, sizeof key);
    key.ss_family = ss->ss_family;
    if (ss->ss_family == AF_INET6) {
        ((struct sockaddr_in6 *) &key)->sin6_addr
            = ((const struct sockaddr_in6 *) ss)->sin6_addr;
    } else {
        ((struct sockaddr_in *) &key)->sin_addr
            = ((const struct sockaddr_in *) ss)->sin_addr;
    }
    for (size_t i = 0; i < l->n_sources; i++) {
        if (!memcmp(&l->sources[i].addr, &key, sizeof key)) {
            return i;
        }
        if (!l->sources[i].n && free_slot == SIZE_MAX) {
            free_slot = i;
        }
    }
    if (free_slot == SIZE_MAX) {
        l->sources = xrealloc(l->sources, (l->n_sources + 1) * sizeof *l->sources);
        free_slot = l->n_sources++;
    }
    l->sources[free_slot].addr = key;
    l->sources[free_slot].n = 0;
    return free_slot;
}

/* Logs a refusal on the first one and then at powers of two, so that a
 * flood leaves a few lines with counts rather than one per connection. */
static void
log_refusal(const struct ofstream_listener *l, uint64_t count, const char *why,
            const char *peer)
{
    if (!(count & (count - 1))) {
        LOG_WARN(MOD, "%s: refused %s: %s (%llu refused so far)", l->name, peer,
                 why, (unsigned long long) count);
    }
}

int
ofstream_listener_accept(struct ofstream_listener *l, struct ofstream **sp)
{
    *sp = NULL;
    while (l->fd >= 0) {
        struct sockaddr_storage ss;
        socklen_t slen = sizeof ss;
        char peer[INET6_ADDRSTRLEN + 16], msg[256];
        uint64_t now = time_ms();

        if (l->paused_until_ms > now) {
            return EAGAIN;
        }
        if (l->paused_until_ms) {
            LOG_INFO(MOD, "%s: accepting again (descriptors ran out %llu times "
                     "while paused)", l->name,
                     (unsigned long long) l->episode_fd_exhausted);
            l->paused_until_ms = 0;
            l->episode_fd_exhausted = 0;
        }
        int fd = accept4(l->fd, (struct sockaddr *) &ss, &slen,
                         SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS
                || errno == ENOMEM) {
                l->stats.fd_exhausted++;
                l->episode_fd_exhausted++;
                l->paused_until_ms = now + (l->limits.pause_ms ? l->limits.pause_ms
                                            : 1000);
                LOG_WARN(MOD, "%s: cannot accept: %s: accepting paused for %u ms "
                         "(%llu times so far)", l->name, strerror(errno),
                         l->limits.pause_ms ? l->limits.pause_ms : 1000,
                         (unsigned long long) l->stats.fd_exhausted);
                return EAGAIN;
            }
            return EAGAIN;          /* EAGAIN or a transient error */
        }
        format_addr(&ss, peer, sizeof peer);
        size_t src = listener_source(l, &ss);
        if (l->limits.max_conns && l->stats.live >= l->limits.max_conns) {
            close(fd);
            log_refusal(l, ++l->stats.refused_cap, "too many connections", peer);
            continue;
        }
        if (l->limits.max_per_source
            && l->sources[src].n >= l->limits.max_per_source) {
            close(fd);
            log_refusal(l, ++l->stats.refused_source,
                        "too many connections from its address", peer);
            continue;
        }
        SSL *ssl = NULL;
        if (l->tls && !(ssl = tls_attach(l->tls, fd, false, msg, sizeof msg))) {
            LOG_ERR(MOD, "%s: %s", l->name, msg);
            close(fd);
            continue;
        }
        struct ofstream *s = stream_new(fd, ssl, ssl ? OFS_HANDSHAKE : OFS_OPEN, peer);
        s->listener = l;
        s->source = src;
        l->sources[src].n++;
        l->refs++;
        l->stats.live++;
        l->stats.accepted++;
        *sp = s;
        return 0;
    }
    return EAGAIN;
}

short
ofstream_listener_events(const struct ofstream_listener *l)
{
    return l->fd >= 0 && l->paused_until_ms <= time_ms() ? POLLIN : 0;
}

int
ofstream_listener_fd(const struct ofstream_listener *l)
{
    return l->fd;
}

uint16_t
ofstream_listener_port(const struct ofstream_listener *l)
{
    return l->port;
}

uint64_t
ofstream_listener_wakeup_ms(const struct ofstream_listener *l)
{
    return l->paused_until_ms ? l->paused_until_ms : UINT64_MAX;
}

void
ofstream_listener_stats(const struct ofstream_listener *l,
                        struct ofstream_listener_stats *st)
{
    *st = l->stats;
}

static void
listener_unref(struct ofstream_listener *l)
{
    if (!--l->refs) {
        free(l->sources);
        free(l->name);
        free(l);
    }
}

void
ofstream_listener_close(struct ofstream_listener *l)
{
    if (l) {
        close(l->fd);
        l->fd = -1;
        l->tls = NULL;
        listener_unref(l);
    }
}
