/*
 * ofchan: an OpenFlow channel with a bounded output queue (see ofchan.h).
 */
#include "ofchan.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ofp-framer.h"
#include "ofpbuf.h"
#include "util.h"

#define MOD "ofchan"
#define OFCHAN_READ_SIZE 65536

struct ofchan {
    struct ofstream *stream;
    struct ofchan_limits limits;
    struct ofp_framer in;
    struct ofpbuf out;
    size_t out_ofs;             /* first unsent byte of 'out' */
    bool connected;
    bool dead;
    bool read_paused;
    uint64_t n_read_pauses;
    char error[256];
};

static uint64_t n_overflows;

struct ofchan *
ofchan_create(struct ofstream *stream, const struct ofchan_limits *limits)
{
    struct ofchan *ch = xzalloc(sizeof *ch);

    ch->stream = stream;
    if (limits) {
        ch->limits = *limits;
    } else {
        ch->limits.soft_limit = OFCHAN_DEFAULT_SOFT_LIMIT;
        ch->limits.hard_limit = OFCHAN_DEFAULT_HARD_LIMIT;
    }
    if (ch->limits.hard_limit < ch->limits.soft_limit) {
        ch->limits.hard_limit = ch->limits.soft_limit;
    }
    ofp_framer_init(&ch->in);
    ofpbuf_init(&ch->out, 4096);
    ch->connected = ofstream_is_open(stream);
    return ch;
}

int
ofchan_open(const char *target, struct ofstream_tls *tls,
            const struct ofchan_limits *limits, struct ofchan **chp,
            char *msg, size_t size)
{
    struct ofstream_target t;
    struct ofstream *s;
    int error;

    *chp = NULL;
    error = ofstream_target_parse(target, &t, msg, size);
    if (!error && t.passive) {
        snprintf(msg, size, "\"%s\": a passive target cannot be connected to",
                 target);
        error = EINVAL;
    }
    if (!error) {
        error = ofstream_open(&t, tls, &s, msg, size);
    }
    if (!error) {
        *chp = ofchan_create(s, limits);
    }
    return error;
}

void
ofchan_destroy(struct ofchan *ch)
{
    if (ch) {
        ofstream_close(ch->stream);
        ofp_framer_destroy(&ch->in);
        ofpbuf_uninit(&ch->out);
        free(ch);
    }
}

/* Marks 'ch' dead with 'error' and the reason 'why'; returns 'error'. */
static int
chan_kill(struct ofchan *ch, int error, const char *why)
{
    if (!ch->dead) {
        ch->dead = true;
        str_copy(ch->error, why && *why ? why : strerror(error), sizeof ch->error);
    }
    return error;
}

size_t
ofchan_backlog(const struct ofchan *ch)
{
    return ch->out.size - ch->out_ofs;
}

int
ofchan_flush(struct ofchan *ch)
{
    if (ch->dead) {
        return EPIPE;
    }
    while (ch->connected && ofchan_backlog(ch)) {
        ssize_t n = ofstream_send(ch->stream, (uint8_t *) ch->out.data + ch->out_ofs,
                                  ofchan_backlog(ch));
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                break;
            }
            return chan_kill(ch, errno, ofstream_error(ch->stream));
        }
        if (n == 0) {
            return chan_kill(ch, EPIPE, "closed by peer");
        }
        ch->out_ofs += n;
    }
    if (!ofchan_backlog(ch)) {
        ofpbuf_clear(&ch->out);
        ch->out_ofs = 0;
    }
    return 0;
}

int
ofchan_run(struct ofchan *ch)
{
    if (ch->dead) {
        return EPIPE;
    }
    if (!ch->connected) {
        int error = ofstream_connect(ch->stream);
        if (error == EAGAIN) {
            return 0;
        }
        if (error) {
            return chan_kill(ch, error, ofstream_error(ch->stream));
        }
        ch->connected = true;
    }
    return ofchan_flush(ch);
}

int
ofchan_queue(struct ofchan *ch, const void *p, size_t len)
{
    if (ch->dead) {
        return EPIPE;
    }
    if (ofchan_backlog(ch) + len > ch->limits.hard_limit) {
        char why[128];
        n_overflows++;
        snprintf(why, sizeof why, "output queue past its hard limit of %zu "
                 "bytes: the peer does not read", ch->limits.hard_limit);
        LOG_WARN(MOD, "%s: %s (%llu channels dropped so far)",
                 ofstream_peer(ch->stream), why, (unsigned long long) n_overflows);
        return chan_kill(ch, ENOBUFS, why);
    }
    if (ch->out_ofs > (1u << 20) && ch->out_ofs * 2 > ch->out.size) {
        /* Compact the sent prefix away. */
        memmove(ch->out.data, (uint8_t *) ch->out.data + ch->out_ofs,
                ofchan_backlog(ch));
        ch->out.size -= ch->out_ofs;
        ch->out_ofs = 0;
    }
    ofpbuf_put(&ch->out, p, len);
    return 0;
}

int
ofchan_send(struct ofchan *ch, const void *p, size_t len)
{
    int error = ofchan_queue(ch, p, len);
    return error ? error : ofchan_flush(ch);
}

/* True if reading is paused: the peer's replies are not being drained. */
static bool
chan_read_paused(struct ofchan *ch)
{
    bool paused = !ch->limits.keep_reading
                  && ofchan_backlog(ch) > ch->limits.soft_limit;

    if (paused && !ch->read_paused) {
        ch->n_read_pauses++;
        LOG_INFO(MOD, "%s: %zu bytes queued (soft limit %zu): not reading from "
                 "it until it reads", ofstream_peer(ch->stream), ofchan_backlog(ch),
                 ch->limits.soft_limit);
    }
    ch->read_paused = paused;
    return paused;
}

int
ofchan_recv(struct ofchan *ch, const uint8_t **msg, size_t *len)
{
    if (ch->dead) {
        return EPIPE;
    }
    if (!ch->connected || chan_read_paused(ch)) {
        return EAGAIN;
    }
    for (;;) {
        int error = ofp_framer_next(&ch->in, msg, len);
        if (!error) {
            return 0;
        }
        if (error == EBADMSG) {
            return chan_kill(ch, EBADMSG, "not an OpenFlow stream");
        }
        void *space = ofp_framer_space(&ch->in, OFCHAN_READ_SIZE);
        ssize_t n = ofstream_recv(ch->stream, space, OFCHAN_READ_SIZE);
        if (n == 0) {
            return chan_kill(ch, EPIPE, "closed by peer");
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                return EAGAIN;
            }
            return chan_kill(ch, errno, ofstream_error(ch->stream));
        }
        ofp_framer_commit(&ch->in, n);
    }
}

bool
ofchan_may_send_droppable(const struct ofchan *ch)
{
    return !ch->dead && ch->connected && ofchan_backlog(ch) <= ch->limits.soft_limit;
}

bool
ofchan_is_connected(const struct ofchan *ch)
{
    return ch->connected && !ch->dead;
}

bool
ofchan_is_dead(const struct ofchan *ch)
{
    return ch->dead;
}

int
ofchan_fd(const struct ofchan *ch)
{
    return ofstream_fd(ch->stream);
}

short
ofchan_events(const struct ofchan *ch)
{
    short ev = ofstream_events(ch->stream);

    if (ch->dead) {
        return 0;
    }
    if (!ch->connected) {
        return ev;
    }
    if (ofchan_backlog(ch)) {
        ev |= POLLOUT;
    }
    if (ch->limits.keep_reading || ofchan_backlog(ch) <= ch->limits.soft_limit) {
        ev |= POLLIN;
    }
    return ev;
}

bool
ofchan_wakeup_now(const struct ofchan *ch)
{
    if (ch->dead || !ch->connected
        || (!ch->limits.keep_reading && ofchan_backlog(ch) > ch->limits.soft_limit)) {
        return false;
    }
    return ofstream_has_pending(ch->stream)
           || (ofp_framer_pending(&ch->in)
               && ofp_frame_len(ch->in.buf + ch->in.start,
                                ofp_framer_pending(&ch->in)) != 0);
}

const char *
ofchan_peer(const struct ofchan *ch)
{
    return ofstream_peer(ch->stream);
}

const char *
ofchan_peer_id(const struct ofchan *ch)
{
    return ofstream_peer_id(ch->stream);
}

const char *
ofchan_error(const struct ofchan *ch)
{
    return ch->error;
}

uint64_t
ofchan_n_read_pauses(const struct ofchan *ch)
{
    return ch->n_read_pauses;
}

uint64_t
ofchan_n_overflows(void)
{
    return n_overflows;
}

/* ---- Reconnection backoff ------------------------------------------------ */

void
ofchan_backoff_init(struct ofchan_backoff *b, unsigned int min_ms,
                    unsigned int max_ms)
{
    b->min_ms = min_ms;
    b->max_ms = max_ms < min_ms ? min_ms : max_ms;
    b->backoff_ms = min_ms;
    b->next_try_ms = 0;
}

bool
ofchan_backoff_due(struct ofchan_backoff *b, uint64_t now_ms)
{
    if (now_ms < b->next_try_ms) {
        return false;
    }
    b->next_try_ms = now_ms + b->backoff_ms;
    return true;
}

void
ofchan_backoff_failed(struct ofchan_backoff *b, uint64_t now_ms)
{
    if (b->next_try_ms == UINT64_MAX) {
        return;
    }
    b->next_try_ms = now_ms + b->backoff_ms;
    b->backoff_ms = b->backoff_ms * 2 > b->max_ms ? b->max_ms : b->backoff_ms * 2;
}

void
ofchan_backoff_success(struct ofchan_backoff *b)
{
    b->backoff_ms = b->min_ms;
}

void
ofchan_backoff_disable(struct ofchan_backoff *b)
{
    b->next_try_ms = UINT64_MAX;
}
