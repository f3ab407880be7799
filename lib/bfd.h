/*
 * bfd: Bidirectional Forwarding Detection, asynchronous mode (RFC 5880),
 * as a session state machine on byte buffers and a clock given by the
 * caller, with no I/O of its own.
 *
 * What?
 * =====
 *
 * Two systems that share a path each send a BFD control packet every few
 * milliseconds; each one declares the path down when it has heard nothing
 * from the other for the detection time (the peer's multiplier times the
 * agreed receive interval: 3 x 10 ms = 30 ms by default here).  The
 * session goes Down -> Init -> Up with the three-way handshake of RFC 5880
 * section 6.2, and back to Down on a detection timeout (diagnostic 1) or
 * when the peer says it is down (diagnostic 3).
 *
 * Whoever owns a session (lamina-switchd's poll loop, dataplane/dp_bfd.c,
 * for a port or a link; a tunnel's end) feeds it every control packet it
 * receives (the UDP payload, bfd_session_rx()) and calls bfd_session_run()
 * at least as often as bfd_session_next() asks: that call expires the
 * detection timer and says when a packet is due, which bfd_session_build()
 * then writes.  Encapsulation (RFC 5881: IPv4/UDP 3784, TTL 255) is the
 * owner's.  Times are nanoseconds of any monotonic clock.
 *
 * Timers follow the RFC: while a session is not Up it advertises and
 * sends at one packet per second at most; once Up it changes to its
 * configured intervals with a Poll sequence (P bit until the peer answers
 * with F); a Poll from the peer is answered at once with Final; each
 * interval is jittered down by 0..25% (0..10% with a multiplier of 1).
 * Authentication and demand mode are not implemented: a packet with the A
 * bit is discarded (counted), a peer in demand mode is sent packets
 * anyway.
 */
#ifndef LAMINA_BFD_H
#define LAMINA_BFD_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BFD_UDP_PORT 3784           /* RFC 5881 single hop */
#define BFD_PACKET_LEN 24           /* a control packet without auth */
#define BFD_SLOW_US 1000000         /* the interval while not Up */

enum bfd_state {
    BFD_ADMIN_DOWN = 0,
    BFD_DOWN = 1,
    BFD_INIT = 2,
    BFD_UP = 3,
};

/* Diagnostic codes (RFC 5880 section 4.1). */
enum bfd_diag {
    BFD_DIAG_NONE = 0,
    BFD_DIAG_DETECT_EXPIRED = 1,
    BFD_DIAG_ECHO_FAILED = 2,
    BFD_DIAG_NEIGHBOR_DOWN = 3,
    BFD_DIAG_FWD_RESET = 4,
    BFD_DIAG_PATH_DOWN = 5,
    BFD_DIAG_CONCAT_DOWN = 6,
    BFD_DIAG_ADMIN_DOWN = 7,
};

struct bfd_config {
    uint32_t tx_us;             /* desired min TX interval once Up */
    uint32_t rx_us;             /* required min RX interval */
    uint8_t mult;               /* detect multiplier, 1..255 */
};

struct bfd_session {
    struct bfd_config cfg;
    uint8_t state, diag;
    uint8_t remote_state, remote_diag, remote_mult;
    uint32_t local_disc, remote_disc;
    uint32_t remote_min_rx_us;  /* the peer's required min RX */
    uint32_t remote_min_tx_us;  /* the peer's desired min TX */
    uint32_t adv_tx_us;         /* desired min TX we advertise now */
    bool poll;                  /* a Poll sequence of ours is under way */
    /* While that Poll announces slower intervals (bfd_session_set_
     * intervals()): the transmit interval still kept and the receive
     * interval the detection time still allows for; 0: none. */
    uint32_t held_tx_us, held_rx_us;
    bool final;                 /* answer the peer's Poll in the next packet */
    uint64_t next_tx;           /* ns: when the next packet is due */
    uint64_t last_rx;           /* ns: last valid packet; 0: none */
    uint64_t rng;

    /* What happened, for counters and views. */
    uint64_t rx_packets, tx_packets, rx_invalid;
    uint64_t n_up, n_down;      /* transitions to Up and from Up to Down */
    uint64_t last_change;       /* ns */
    uint64_t last_detect_ns;    /* last timeout: its time since last_rx */
};

/* Starts 'S' Down with configuration 'cfg' and discriminator 'local_disc'
 * (nonzero, unique among the owner's sessions) at time 'now'. */
void bfd_session_init(struct bfd_session *s, const struct bfd_config *cfg,
                      uint32_t local_disc, uint64_t now);

/* Processes control packet 'pkt' ('len' bytes, the UDP payload) received
 * at 'now'.  Returns 0, or EINVAL for a packet RFC 5880 section 6.8.6
 * says to discard (counted in rx_invalid; the session is unchanged). */
int bfd_session_rx(struct bfd_session *s, const uint8_t *pkt, size_t len,
                   uint64_t now);

/* Expires the detection timer at 'now'.  Returns true if a control
 * packet is due (bfd_session_build() then writes it). */
bool bfd_session_run(struct bfd_session *s, uint64_t now);

/* Writes the next control packet into 'buf' (BFD_PACKET_LEN bytes) and
 * schedules the one after it.  Returns the length written. */
size_t bfd_session_build(struct bfd_session *s, uint8_t *buf, uint64_t now);

/* Changes 'S''s desired transmit and required receive intervals (once
 * Up) to 'tx_us' and 'rx_us' at 'now'.  While Up, a Poll sequence
 * announces them (RFC 5880 section 6.8.3): a faster interval applies at
 * once, a slower transmit interval only once the peer has answered with
 * Final, and until then the detection time also allows for packets at
 * the old receive interval. */
void bfd_session_set_intervals(struct bfd_session *s, uint32_t tx_us,
                               uint32_t rx_us, uint64_t now);

/* The time (ns) by which bfd_session_run() must be called next. */
uint64_t bfd_session_next(const struct bfd_session *s);

/* The detection time (ns) in force: 0 while no packet keeps it. */
uint64_t bfd_session_detect_ns(const struct bfd_session *s);

/* "AdminDown", "Down", "Init", "Up"; the diagnostic as a short phrase. */
const char *bfd_state_name(unsigned state);
const char *bfd_diag_name(unsigned diag);

#endif /* LAMINA_BFD_H */
