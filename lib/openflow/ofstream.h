/*
 * ofstream: the transport under every OpenFlow connection Lamina makes or
 * serves (TCP or TLS), in the spirit of Open vSwitch's stream/pstream.
 *
 * What?
 * =====
 *
 * Targets use Open vSwitch's syntax:
 *
 *     tcp:HOST[:PORT]      ssl:HOST[:PORT]       connect (active)
 *     ptcp:[PORT][:ADDR]   pssl:[PORT][:ADDR]    listen (passive)
 *
 * PORT defaults to 6653.  HOST and ADDR are a host name (resolved with
 * getaddrinfo(), an IPv4 address preferred when a name has both), an IPv4
 * literal or an IPv6 literal in brackets ("tcp:[::1]:6653").  A passive
 * target without ADDR binds the loopback address 127.0.0.1 only: opening a
 * listener beyond the machine takes an explicit address, and should take
 * pssl: (docs/security.md).
 *
 * TLS (OpenSSL, 1.2 or later) is mutual as in Open vSwitch: a context
 * (struct ofstream_tls) holds our private key and certificate and the CA
 * certificate that every peer's certificate must verify against, in both
 * directions.
 *
 * Everything is non-blocking: ofstream_open() starts a TCP connect,
 * ofstream_connect() takes the connect and then the TLS handshake as far as
 * they go; ofstream_events() says what poll() should wait for meanwhile.
 * After that, ofstream_send() and ofstream_recv() are the only difference
 * between TCP and TLS.  Host names are resolved synchronously when a
 * connection is opened.
 *
 * A listener (struct ofstream_listener) accepts in a loop until the
 * backlog is empty, keeps a cap on its live connections and on those from
 * one source address (the excess is accepted and closed at once, counted),
 * and when descriptors run out (EMFILE/ENFILE) pauses accepting for a
 * while instead of spinning, logging once per episode with a count.
 *
 * Event-loop agnostic: callers poll or epoll the descriptors with the
 * events these functions name (POLLIN/POLLOUT, equal to EPOLLIN/EPOLLOUT).
 */
#ifndef LAMINA_OFSTREAM_H
#define LAMINA_OFSTREAM_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define OFSTREAM_DEFAULT_PORT 6653
#define OFSTREAM_DEFAULT_BIND "127.0.0.1"

/* ---- Targets ------------------------------------------------------------- */

struct ofstream_target {
    bool passive;               /* ptcp:/pssl: */
    bool tls;                   /* ssl:/pssl: */
    uint16_t port;              /* passive: 0 lets the kernel choose */
    char host[256];             /* without brackets */
};

/* Parses 'target' into '*t'.  Returns 0, or EINVAL with a message in 'msg'
 * that names what is wrong (nothing stored in '*t' then). */
int ofstream_target_parse(const char *target, struct ofstream_target *t,
                          char *msg, size_t size);

/* True if 't''s host is a loopback address (127.0.0.0/8, ::1) or
 * "localhost": only processes on this machine can reach it.  A passive
 * target without an address binds loopback, so it is too. */
bool ofstream_target_is_loopback(const struct ofstream_target *t);

/* ---- TLS ----------------------------------------------------------------- */

struct ofstream_tls;

/* Loads our private key, our certificate (chain) and the CA certificate
 * peers must verify against.  Returns 0 and '*tlsp', or an errno with a
 * message naming the file that could not be used. */
int ofstream_tls_create(const char *private_key, const char *certificate,
                        const char *ca_cert, struct ofstream_tls **tlsp,
                        char *msg, size_t size);
/* Accepts NULL.  Streams made with it keep working. */
void ofstream_tls_destroy(struct ofstream_tls *);

/* ---- Streams ------------------------------------------------------------- */

struct ofstream;
struct ofstream_listener;

/* Starts connecting to active target 't' ('tls' is required for ssl:).
 * Returns 0 and '*sp' (then drive it with ofstream_connect()), or an
 * errno and a message. */
int ofstream_open(const struct ofstream_target *t, struct ofstream_tls *tls,
                  struct ofstream **sp, char *msg, size_t size);

/* Takes the TCP connect and the TLS handshake as far as they go without
 * blocking.  Returns 0 once the stream is open, EAGAIN while in progress
 * (wait for ofstream_events()), or another errno (ofstream_error() says
 * why; close the stream). */
int ofstream_connect(struct ofstream *);

/* Moves up to 'len' bytes.  Return the bytes moved, 0 from
 * ofstream_recv() at the end of the stream, or -1 with errno EAGAIN (wait
 * for ofstream_events()) or another errno (ofstream_error() says why). */
ssize_t ofstream_send(struct ofstream *, const void *, size_t len);
ssize_t ofstream_recv(struct ofstream *, void *, size_t len);

/* What poll() must wait for before the stream can make progress on its
 * own: POLLOUT while connecting, POLLIN or POLLOUT for TLS; 0 when open
 * with nothing pending (the caller adds POLLIN/POLLOUT as it needs). */
short ofstream_events(const struct ofstream *);

/* True if TLS holds decrypted bytes that poll() cannot see. */
bool ofstream_has_pending(const struct ofstream *);

bool ofstream_is_open(const struct ofstream *);
int ofstream_fd(const struct ofstream *);
/* The peer: "ADDR:PORT" if accepted, "tcp:HOST:PORT" or "ssl:HOST:PORT"
 * (as configured) if opened. */
const char *ofstream_peer(const struct ofstream *);
/* The last error's text, or "". */
const char *ofstream_error(const struct ofstream *);

/* The identity the peer proved: "sha256:" and the hex SHA-256 of its
 * certificate once a TLS handshake is done, or "" (plain TCP).  What a
 * caller binds an identity to (the slicer: a datapath id). */
const char *ofstream_peer_id(const struct ofstream *);

/* Closes and frees; a TLS stream sends close_notify if it can.  Accepts
 * NULL. */
void ofstream_close(struct ofstream *);

/* ---- Listeners ----------------------------------------------------------- */

struct ofstream_listener_limits {
    unsigned int max_conns;         /* live connections; 0: no cap */
    unsigned int max_per_source;    /* from one address; 0: no cap */
    unsigned int pause_ms;          /* after EMFILE/ENFILE */
};

/* Listens on passive target 't' ('tls' is required for pssl:).  'name'
 * prefixes log lines.  Returns 0 and '*lp', or an errno and a message. */
int ofstream_listener_open(const struct ofstream_target *t,
                           struct ofstream_tls *tls,
                           const struct ofstream_listener_limits *,
                           const char *name,
                           struct ofstream_listener **lp,
                           char *msg, size_t size);

/* Takes the next connection: returns 0 and '*sp' (a stream whose TLS
 * handshake ofstream_connect() runs), or EAGAIN when the backlog is empty
 * or accepting is paused.  Call it until EAGAIN. */
int ofstream_listener_accept(struct ofstream_listener *, struct ofstream **sp);

/* POLLIN, or 0 while accepting is paused. */
short ofstream_listener_events(const struct ofstream_listener *);
int ofstream_listener_fd(const struct ofstream_listener *);
/* The local port (useful with port 0). */
uint16_t ofstream_listener_port(const struct ofstream_listener *);
/* When a pause ends (time_ms() clock), or UINT64_MAX. */
uint64_t ofstream_listener_wakeup_ms(const struct ofstream_listener *);

struct ofstream_listener_stats {
    uint64_t accepted;
    uint64_t refused_cap;           /* over max_conns */
    uint64_t refused_source;        /* over max_per_source */
    uint64_t fd_exhausted;          /* EMFILE/ENFILE seen */
    unsigned int live;
};
void ofstream_listener_stats(const struct ofstream_listener *,
                             struct ofstream_listener_stats *);

/* Stops listening.  Streams it accepted stay open.  Accepts NULL. */
void ofstream_listener_close(struct ofstream_listener *);

#endif /* LAMINA_OFSTREAM_H */
