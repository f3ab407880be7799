/*
 * dp_gso: TCP super-frames carried through the switch whole.
 *
 * Why: across an emulated map the fast path's cost is per frame (about
 * 400 ns per frame per hop), not per byte.  A host's kernel can hand over
 * a TCP stream in super-frames of up to 64 KiB (GSO/TSO) that stand for
 * up to 45 wire segments each; carried whole, a frame's cost is paid once
 * for all of them.
 *
 * Where super-frames come from: an afpacket port opened with "vnet-hdr"
 * (dp_afpacket.c) reads each frame with the struct virtio_net_hdr the
 * kernel puts before it (PACKET_VNET_HDR).  A TCP super-frame becomes one
 * mbuf, from a pool of 64 KiB buffers (dp.gso_pool) when it does not fit a
 * normal one, marked with RTE_MBUF_F_TX_TCP_SEG and its segment size in
 * 'tso_segsz'.  Each slice may hold a share of that pool in its queues
 * (dp_slice_params.gso_quota), as of the packet buffers.  Its TCP
 * checksum is the kernel's partial one (pseudo header only); planes that
 * rewrite addresses or ports update it as a full checksum, so it is
 * written again from the headers where the super-frame leaves whole
 * (dp_gso_vnet_hdr()).  A frame that is not a super-frame but whose
 * checksum is partial (VIRTIO_NET_HDR_F_NEEDS_CSUM) has it completed on
 * receipt, so that every other frame in the switch is an ordinary one.
 *
 * Nothing in between needs to know: forwarding planes read headers, which
 * are whole in the first buffer; labels and tags are pushed and popped in
 * front.  The positions of the IP and TCP headers are not stored: they are
 * found again, through VLAN tags and an Ethernet pseudowire's label and
 * control word, by dp_gso_parse(), where they are needed.
 *
 * Where super-frames leave: a port that takes them (an afpacket port with
 * "vnet-hdr": the virtio header goes back in front, and the receiving
 * kernel segments it if it must; an in-process link's ring) gets them
 * whole.  Every other port (ethdev, tunnel, an afpacket port without
 * "vnet-hdr") gets the segments, cut in software by dp_gso_segment() with
 * their IP and TCP checksums computed, before a capture or the driver sees
 * them (dp_port_tx()).  What cannot be cut is dropped and counted with the
 * reason.  A super-frame whose segments (as its sender sized them) would
 * be over the MTU of the port's interface (afpacket, ethdev) leaves as
 * nothing, counted "over-mtu", whole or cut: the same segments from a
 * sender without offload would be over it too.
 *
 * Emulated links charge what the wire would carry: dp_pkt_wire_len() is a
 * super-frame's length plus the headers of every segment after its first,
 * for the shaper and every port's byte counters (tx_bytes; tx_packets
 * counts a super-frame once).  A super-frame longer on the wire than a
 * rate bucket on its way can ever hold (a slow port or queue ceiling) is
 * queued as its segments (dp_queue_gso_cut() in dp_worker.c).  Emulated loss applies to
 * each segment: a port with loss cuts super-frames too, and drops
 * segments as the loss rate says (a whole super-frame lost would be one
 * loss event for up to 45 segments, which TCP takes far more lightly).
 * The hops after a lossy link carry the segments.
 */
#ifndef LAMINA_DP_GSO_H
#define LAMINA_DP_GSO_H 1

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

struct dp_port;
struct dp_error;
struct virtio_net_hdr;

/* Buffers of the super-frame pool: dp_params.n_gso_mbufs of 64 KiB
 * (by default 2,048, 128 MiB), made when the first "vnet-hdr" port
 * opens.  Each slice may
 * hold a share of them in its queues (dp_slice_params.gso_quota), as it
 * may hold a share of the packet buffers. */
#define DP_GSO_DATA_ROOM UINT16_MAX
#define DP_GSO_MAX_SEGS 128     /* segments of one super-frame, at most */

/* Where the headers of a TCP frame are, counted from the frame's start. */
struct dp_gso_hdrs {
    uint16_t l3_off;            /* IPv4 or IPv6 header */
    uint16_t l4_off;            /* TCP header */
    uint16_t hdr_len;           /* up to the end of the TCP header */
    bool v6;
};

/* Whether 'm' is a TCP super-frame (dp_gso_mark() made it one). */
static inline bool
dp_gso_is_super(const struct rte_mbuf *m)
{
    return (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) != 0;
}

int dp_gso_enable(struct dp_error *);
bool dp_gso_parse(const struct rte_mbuf *, struct dp_gso_hdrs *);
int dp_gso_mark(struct rte_mbuf *, const struct virtio_net_hdr *,
                uint16_t tag_len);
void dp_gso_vnet_hdr(struct rte_mbuf *, struct virtio_net_hdr *);
uint32_t dp_gso_wire_len(const struct rte_mbuf *);
uint16_t dp_gso_segment(struct rte_mbuf *, struct rte_mbuf **out,
                        uint16_t max, uint16_t mtu, int *why);
uint16_t dp_gso_tx(struct dp_port *, struct rte_mbuf **pkts, uint16_t n);

/* The bytes frame 'm' stands for on a wire: its length, or a
 * super-frame's segments with their headers. */
static inline uint32_t
dp_pkt_wire_len(const struct rte_mbuf *m)
{
    return unlikely(dp_gso_is_super(m)) ? dp_gso_wire_len(m)
                                        : rte_pktmbuf_pkt_len(m);
}

#endif /* LAMINA_DP_GSO_H */
