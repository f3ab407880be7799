/*
 * dp_counters: the counters every dataplane object keeps, and the reasons
 * a packet can be dropped, declared once (X-macro) so the enum and the
 * names in stats output cannot drift apart.
 */
#ifndef LAMINA_DP_COUNTERS_H
#define LAMINA_DP_COUNTERS_H 1

#include <stdint.h>

/*    enum suffix   name in stats     what happened */
#define DP_DROP_REASONS(X)                                                  \
    X(NO_BINDING,  "no-binding",  "no slice bound to the port or VLAN")     \
    X(MALFORMED,   "malformed",   "frame too short or bad header")          \
    X(NOT_MPLS,    "not-mpls",    "frame on a link port is not one label")  \
    X(NO_LABEL,    "no-label",    "label unknown on the receiving port")    \
    X(TTL,         "ttl",         "MPLS TTL expired")                        \
    X(POLICER,     "policer",     "over the slice's ingress rate")          \
    X(BUDGET,      "budget",      "over the slice's packets per round")     \
    X(MBUF_QUOTA,  "mbuf-quota",  "slice already holds its buffer quota")   \
    X(QUEUE_FULL,  "queue-full",  "egress queue of the slice is full")      \
    X(FP_DROP,     "fp-drop",     "the forwarding plane dropped it")        \
    X(NO_MBUF,     "no-mbuf",     "no buffer to copy a flooded frame")      \
    X(LINK_DOWN,   "link-down",   "link is down")                           \
    X(LINK_LOSS,   "link-loss",   "emulated loss on the link")              \
    X(TX_FULL,     "tx-full",     "device or link would not take it")     \
    X(PUNT_FULL,   "punt-full",   "the control side's queue was full")    \
    X(KERNEL_RING, "kernel-ring", "an AF_PACKET port's ring was full")  \
    X(GSO,         "gso-refused",                                           \
      "a super-frame not TCP, too big, or not cut to this port's segments") \
    X(VLAN_NOT_OWNED, "not-owned-vlan",                                     \
      "sent on a VLAN the vport does not own")                              \
    X(NO_NEIGHBOUR, "no-neighbour",                                         \
      "a tunnel's underlay next hop is not resolved (yet)")                 \
    X(MTU_ICMP,    "mtu-icmp-sent",                                         \
      "over a tunnel's MTU; ICMP too-big sent back to the sender")          \
    X(MTU,         "mtu-exceeded",                                          \
      "over a tunnel's MTU and not IPv4 with DF: cannot say too-big")       \
    X(NOT_TUNNEL,  "not-tunnel",                                            \
      "on an underlay port: not ARP nor MPLS-in-UDP for a tunnel of it")    \
    X(GSO_QUOTA,   "gso-quota",                                             \
      "slice already holds its share of super-frame buffers")               \
    X(OVER_MTU,    "over-mtu",                                              \
      "over the port's MTU (a super-frame: its segments)")

enum dp_drop {
#define DP_DROP_ENUM(ENUM, NAME, DOC) DP_DROP_##ENUM,
    DP_DROP_REASONS(DP_DROP_ENUM)
#undef DP_DROP_ENUM
    DP_N_DROPS
};

extern const char *const dp_drop_names[DP_N_DROPS];

/* One counter set; objects keep one per worker where several workers may
 * touch them (slices), one otherwise. */
struct dp_counters {
    uint64_t rx_packets;
    uint64_t rx_bytes;
    uint64_t tx_packets;
    uint64_t tx_bytes;
    uint64_t drops[DP_N_DROPS];
};

static inline void
dp_counters_add(struct dp_counters *dst, const struct dp_counters *src)
{
    dst->rx_packets += src->rx_packets;
    dst->rx_bytes += src->rx_bytes;
    dst->tx_packets += src->tx_packets;
    dst->tx_bytes += src->tx_bytes;
    for (int i = 0; i < DP_N_DROPS; i++) {
        dst->drops[i] += src->drops[i];
    }
}

#endif /* LAMINA_DP_COUNTERS_H */
