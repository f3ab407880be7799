/*
 * ofchan: one OpenFlow channel, a stream (ofstream.h) cut into messages
 * with a bounded output queue; and the backoff that reconnects active
 * channels.  In the spirit of Open vSwitch's vconn and reconnect.
 *
 * What?
 * =====
 *
 * A channel owns a stream, a framer (ofp-framer.h) for what it reads and a
 * queue for what it writes.  Both lamina-switchd's OpenFlow agent and
 * lamina-slicer keep their connections as channels; the protocol (HELLO,
 * ECHO, roles, slicing) stays with them.
 *
 * Bounded output
 * ==============
 *
 * A peer that sends requests and does not read the replies must not grow
 * the daemon without limit.  Each channel has two limits on its queued,
 * unsent bytes:
 *
 *   - the soft limit: above it the channel stops reading from the peer
 *     (ofchan_recv() hands out nothing and ofchan_events() leaves out
 *     POLLIN) until the queue drains below it, and
 *     ofchan_may_send_droppable() says no, so that callers drop what may be
 *     dropped (packet-ins) and count it;
 *   - the hard limit: a message that would take the queue past it kills the
 *     channel (ENOBUFS), counted in ofchan_n_overflows().
 *
 * Use
 * ===
 *
 * Event-loop agnostic.  Per pass: poll ofchan_fd() for ofchan_events();
 * after an event (or when ofchan_wakeup_now() says so) call ofchan_run()
 * (connects, handshakes, flushes) and then ofchan_recv() until EAGAIN or
 * until the caller's per-pass budget is spent.  Any call that returns an
 * error other than EAGAIN means the channel is dead: ofchan_error() says
 * why; destroy it (an active one reconnects after ofchan_backoff_failed()).
 */
#ifndef LAMINA_OFCHAN_H
#define LAMINA_OFCHAN_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ofstream.h"

#define OFCHAN_DEFAULT_SOFT_LIMIT (8u << 20)
#define OFCHAN_DEFAULT_HARD_LIMIT (64u << 20)

struct ofchan_limits {
    size_t soft_limit;          /* bytes queued: stop reading above */
    size_t hard_limit;          /* bytes queued: drop the channel above */
    bool keep_reading;          /* read past the soft limit too: for a peer
                                 * that is itself waiting for its replies
                                 * to be read (a switch under a slicer),
                                 * where pausing both sides would deadlock */
};

struct ofchan;

/* A channel over 'stream' (taken over; connecting, handshaking or open).
 * 'limits' NULL: the defaults. */
struct ofchan *ofchan_create(struct ofstream *stream, const struct ofchan_limits *);

/* Parses active 'target' and starts connecting ('tls' for ssl:).  Returns
 * 0 and '*chp', or an errno and a message. */
int ofchan_open(const char *target, struct ofstream_tls *tls,
                const struct ofchan_limits *, struct ofchan **chp,
                char *msg, size_t size);

/* Closes the stream; accepts NULL. */
void ofchan_destroy(struct ofchan *);

/* Takes connect and handshake forward and writes what the queue holds.
 * Returns 0 or an errno (dead). */
int ofchan_run(struct ofchan *);

/* Takes the next complete message: 0 with '*msg', '*len' (valid until the
 * next call), EAGAIN (nothing yet, or reading paused above the soft
 * limit), or an errno (dead: EPIPE for the peer's end of stream, EBADMSG
 * for a stream that is not OpenFlow). */
int ofchan_recv(struct ofchan *, const uint8_t **msg, size_t *len);

/* Queues 'len' bytes of encoded messages and writes what it can.  Returns
 * 0, or an errno if the channel is dead (ENOBUFS: past the hard limit). */
int ofchan_send(struct ofchan *, const void *, size_t len);

/* Queues without writing (the caller flushes once per pass). */
int ofchan_queue(struct ofchan *, const void *, size_t len);

/* Writes what the queue holds.  Returns 0 or an errno (dead). */
int ofchan_flush(struct ofchan *);

/* Bytes queued and not yet written. */
size_t ofchan_backlog(const struct ofchan *);

/* False above the soft limit (or before the channel is open): drop what
 * may be dropped. */
bool ofchan_may_send_droppable(const struct ofchan *);

/* True once connected (and, for TLS, after the handshake). */
bool ofchan_is_connected(const struct ofchan *);
bool ofchan_is_dead(const struct ofchan *);

/* The descriptor and the poll events the channel waits for: POLLOUT while
 * connecting or with output queued, POLLIN unless reading is paused. */
int ofchan_fd(const struct ofchan *);
short ofchan_events(const struct ofchan *);

/* True if work is pending that poll() cannot see (TLS records already
 * decrypted, complete messages held in the framer): run again at once. */
bool ofchan_wakeup_now(const struct ofchan *);

const char *ofchan_peer(const struct ofchan *);
/* ofstream_peer_id() of the channel's stream. */
const char *ofchan_peer_id(const struct ofchan *);
const char *ofchan_error(const struct ofchan *);

/* Times reading was paused on this channel at the soft limit. */
uint64_t ofchan_n_read_pauses(const struct ofchan *);

/* Channels dropped past their hard limit, in this process. */
uint64_t ofchan_n_overflows(void);

/* ---- Reconnection backoff ------------------------------------------------ */

/* For an active channel: when to try again after a failure, doubling from
 * 'min_ms' to 'max_ms', back to 'min_ms' once the peer spoke OpenFlow. */
struct ofchan_backoff {
    unsigned int min_ms, max_ms;
    unsigned int backoff_ms;    /* the next wait */
    uint64_t next_try_ms;       /* time_ms() clock; 0: now */
};

void ofchan_backoff_init(struct ofchan_backoff *, unsigned int min_ms,
                         unsigned int max_ms);
/* True if an attempt is due at 'now_ms'; schedules the one after it. */
bool ofchan_backoff_due(struct ofchan_backoff *, uint64_t now_ms);
/* A connection attempt failed or a connection ended at 'now_ms'. */
void ofchan_backoff_failed(struct ofchan_backoff *, uint64_t now_ms);
/* The peer answered: the next failure waits 'min_ms' again. */
void ofchan_backoff_success(struct ofchan_backoff *);
/* Never try again (e.g. a bad target). */
void ofchan_backoff_disable(struct ofchan_backoff *);

#endif /* LAMINA_OFCHAN_H */
