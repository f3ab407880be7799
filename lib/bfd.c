/*
 * bfd: RFC 5880 asynchronous-mode sessions.  See bfd.h.
 */
#include "bfd.h"

#include <errno.h>
#include <string.h>

#include "util.h"

#define BFD_VERSION 1
#define BFD_F_POLL 0x20
#define BFD_F_FINAL 0x10
#define BFD_F_AUTH 0x04
#define BFD_F_DEMAND 0x02
#define BFD_F_MULTIPOINT 0x01

static uint32_t
bfd_get32(const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static void
bfd_put32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

static uint64_t
bfd_rand(struct bfd_session *s)
{
    return util_xorshift64(&s->rng);
}

static uint32_t
bfd_slow(uint32_t us)
{
    return us > BFD_SLOW_US ? us : BFD_SLOW_US;
}

/* Moves 'S' to 'state' at 'now' with diagnostic 'diag', adjusting what
 * it advertises: the configured interval once Up (announced with a Poll
 * sequence, RFC 5880 section 6.8.3), one second at least otherwise. */
static void
bfd_set_state(struct bfd_session *s, uint8_t state, uint8_t diag, uint64_t now)
{
    if (s->state == state) {
        return;
    }
    if (state == BFD_UP) {
        s->n_up++;
        s->diag = BFD_DIAG_NONE;
        s->held_tx_us = s->held_rx_us = 0;
        if (s->adv_tx_us != s->cfg.tx_us) {
            s->adv_tx_us = s->cfg.tx_us;
            s->poll = true;
        }
    } else {
        if (s->state == BFD_UP) {
            s->n_down++;
        }
        s->diag = diag;
        s->adv_tx_us = bfd_slow(s->cfg.tx_us);
        s->poll = false;
    }
    s->state = state;
    s->last_change = now;
    /* Tell the peer at once rather than at the next interval. */
    s->next_tx = now;
}

void
bfd_session_init(struct bfd_session *s, const struct bfd_config *cfg,
                 uint32_t local_disc, uint64_t now)
{
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    if (!s->cfg.mult) {
        s->cfg.mult = 3;
    }
    s->state = BFD_DOWN;
    s->remote_state = BFD_DOWN;
    s->local_disc = local_disc;
    s->remote_min_rx_us = 1;    /* RFC 5880 section 6.8.1 */
    s->adv_tx_us = bfd_slow(cfg->tx_us);
    s->rng = (local_disc | 1ull) * 0x9e3779b97f4a7c15ull ^ now;
    s->next_tx = now;
    s->last_change = now;
}

int
bfd_session_rx(struct bfd_session *s, const uint8_t *pkt, size_t len,
               uint64_t now)
{
    /* The discard rules of RFC 5880 section 6.8.6, in order. */
    if (len < BFD_PACKET_LEN || pkt[0] >> 5 != BFD_VERSION
        || pkt[3] < BFD_PACKET_LEN || pkt[3] > len
        || ((pkt[1] & BFD_F_AUTH) && pkt[3] < 26)
        || !pkt[2] || (pkt[1] & BFD_F_MULTIPOINT)
        || (pkt[1] & (BFD_F_POLL | BFD_F_FINAL)) == (BFD_F_POLL | BFD_F_FINAL)) {
        s->rx_invalid++;
        return EINVAL;
    }
    uint8_t rstate = pkt[1] >> 6;
    uint32_t my_disc = bfd_get32(pkt + 4), your_disc = bfd_get32(pkt + 8);
    if (!my_disc
        || (!your_disc && rstate != BFD_DOWN && rstate != BFD_ADMIN_DOWN)
        || (your_disc && your_disc != s->local_disc)
        || (pkt[1] & BFD_F_AUTH)) {
        s->rx_invalid++;
        return EINVAL;
    }

    s->rx_packets++;
    s->remote_disc = my_disc;
    s->remote_state = rstate;
    s->remote_diag = pkt[0] & 0x1f;
    s->remote_mult = pkt[2];
    s->remote_min_tx_us = bfd_get32(pkt + 12);
    uint32_t old_min_rx = s->remote_min_rx_us;
    s->remote_min_rx_us = bfd_get32(pkt + 16);
    if ((pkt[1] & BFD_F_FINAL) && s->poll) {
        s->poll = false;
    }
    s->last_rx = now;
    if (old_min_rx > s->remote_min_rx_us && s->next_tx > now) {
        /* The peer wants packets sooner: do not wait a long interval. */
        s->next_tx = now;
    }

    if (s->state == BFD_ADMIN_DOWN) {
        return 0;
    }
    if (rstate == BFD_ADMIN_DOWN) {
        if (s->state != BFD_DOWN) {
            bfd_set_state(s, BFD_DOWN, BFD_DIAG_NEIGHBOR_DOWN, now);
        }
    } else if (s->state == BFD_DOWN) {
        if (rstate == BFD_DOWN) {
            bfd_set_state(s, BFD_INIT, BFD_DIAG_NONE, now);
        } else if (rstate == BFD_INIT) {
            bfd_set_state(s, BFD_UP, BFD_DIAG_NONE, now);
        }
    } else if (s->state == BFD_INIT) {
        if (rstate == BFD_INIT || rstate == BFD_UP) {
            bfd_set_state(s, BFD_UP, BFD_DIAG_NONE, now);
        }
    } else if (rstate == BFD_DOWN) {
        bfd_set_state(s, BFD_DOWN, BFD_DIAG_NEIGHBOR_DOWN, now);
    }
    if (pkt[1] & BFD_F_POLL) {
        s->final = true;
        s->next_tx = now;
    }
    return 0;
}

uint64_t
bfd_session_detect_ns(const struct bfd_session *s)
{
    if ((s->state != BFD_INIT && s->state != BFD_UP) || !s->last_rx) {
        return 0;
    }
    uint32_t rx = s->cfg.rx_us;

    if (s->poll && s->held_rx_us > rx) {
        rx = s->held_rx_us;     /* the peer may not know the new one yet */
    }
    rx = rx > s->remote_min_tx_us ? rx : s->remote_min_tx_us;
    return (uint64_t) s->remote_mult * rx * 1000;
}

bool
bfd_session_run(struct bfd_session *s, uint64_t now)
{
    uint64_t detect = bfd_session_detect_ns(s);

    if (detect && now >= s->last_rx + detect) {
        s->last_detect_ns = now - s->last_rx;
        bfd_set_state(s, BFD_DOWN, BFD_DIAG_DETECT_EXPIRED, now);
        s->remote_disc = 0;     /* RFC 5880 section 6.8.1 */
    }
    return now >= s->next_tx;
}

size_t
bfd_session_build(struct bfd_session *s, uint8_t *buf, uint64_t now)
{
    uint8_t flags = s->final ? BFD_F_FINAL : s->poll ? BFD_F_POLL : 0;

    buf[0] = BFD_VERSION << 5 | (s->diag & 0x1f);
    buf[1] = s->state << 6 | flags;
    buf[2] = s->cfg.mult;
    buf[3] = BFD_PACKET_LEN;
    bfd_put32(buf + 4, s->local_disc);
    bfd_put32(buf + 8, s->remote_disc);
    bfd_put32(buf + 12, s->adv_tx_us);
    bfd_put32(buf + 16, s->cfg.rx_us);
    bfd_put32(buf + 20, 0);     /* no echo */
    s->final = false;
    s->tx_packets++;

    /* RFC 5880 section 6.8.7: the larger of our desired interval and the
     * peer's required one, less 0..25% of jitter (0..10% when the
     * multiplier is 1); none while the peer asks for none. */
    if (!s->remote_min_rx_us) {
        s->next_tx = UINT64_MAX;
    } else {
        uint32_t tx = s->adv_tx_us;
        if (s->poll && s->held_tx_us && s->held_tx_us < tx) {
            tx = s->held_tx_us;     /* slower only once the peer knows */
        }
        uint64_t iv = tx > s->remote_min_rx_us ? tx : s->remote_min_rx_us;
        uint64_t cut = s->cfg.mult == 1 ? 10 + bfd_rand(s) % 16
                                        : bfd_rand(s) % 26;
        s->next_tx = now + iv * 1000 * (100 - cut) / 100;
    }
    return BFD_PACKET_LEN;
}

void
bfd_session_set_intervals(struct bfd_session *s, uint32_t tx_us,
                          uint32_t rx_us, uint64_t now)
{
    if (tx_us == s->cfg.tx_us && rx_us == s->cfg.rx_us) {
        return;
    }
    if (s->state == BFD_UP) {
        /* What the peer may still go by: the fastest transmit and the
         * slowest receive interval announced since its last Final. */
        uint32_t tx = s->poll && s->held_tx_us && s->held_tx_us < s->adv_tx_us
                      ? s->held_tx_us : s->adv_tx_us;
        uint32_t rx = s->poll && s->held_rx_us > s->cfg.rx_us
                      ? s->held_rx_us : s->cfg.rx_us;
        s->held_tx_us = tx;
        s->held_rx_us = rx;
        s->adv_tx_us = tx_us;
        s->poll = true;
        if (tx_us < tx || rx_us < rx) {
            s->next_tx = now;   /* tell the peer at once */
        }
    }
    s->cfg.tx_us = tx_us;
    s->cfg.rx_us = rx_us;
}

uint64_t
bfd_session_next(const struct bfd_session *s)
{
    uint64_t detect = bfd_session_detect_ns(s);
    uint64_t t = s->next_tx;

    if (detect && s->last_rx + detect < t) {
        t = s->last_rx + detect;
    }
    return t;
}

const char *
bfd_state_name(unsigned state)
{
    static const char *const names[] = { "AdminDown", "Down", "Init", "Up" };
    return state < 4 ? names[state] : "?";
}

const char *
bfd_diag_name(unsigned diag)
{
    static const char *const names[] = {
        "none", "control detection time expired", "echo function failed",
        "neighbor signaled session down", "forwarding plane reset",
        "path down", "concatenated path down", "administratively down",
        "reverse concatenated path down",
    };
    return diag < sizeof names / sizeof names[0] ? names[diag] : "?";
}
