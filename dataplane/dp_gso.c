/*
 * dp_gso: TCP super-frames carried through the switch whole (dp_gso.h).
 */
#include <errno.h>
#include <string.h>
#include <linux/virtio_net.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_mbuf.h>

#include "dp_gso.h"
#include "dp_private.h"
#include "util.h"


/* Writes 'v' at 'p' in network order. */
static inline void
gso_put16(uint8_t *p, uint16_t v)
{
    rte_be16_t be = rte_cpu_to_be_16(v);
    memcpy(p, &be, sizeof be);
}

/* Makes the pool of super-frame buffers, once (control thread).  Returns
 * 0 or an errno, with the reason in 'err'. */
int
dp_gso_enable(struct dp_error *err)
{
    if (dp.gso_pool) {
        return 0;
    }
    dp.gso_pool = rte_pktmbuf_pool_create("lamina_gso", dp.params.n_gso_mbufs,
                                          32, 0, DP_GSO_DATA_ROOM,
                                          rte_socket_id());
    if (!dp.gso_pool) {
        dp_err(err, "cannot create the pool of %u super-frame buffers of 64 "
               "KiB: %s (give EAL more memory, -m, or fewer buffers, "
               "--gso-buffers)", dp.params.n_gso_mbufs,
               rte_strerror(rte_errno));
        return ENOMEM;
    }
    return 0;
}

/* Finds the IP and TCP headers of frame 'm' (in its first buffer), past
 * VLAN tags and an Ethernet pseudowire's labels and control word.  False
 * if it is not TCP over IPv4 or IPv6 (without IPv6 extension headers). */
bool
dp_gso_parse(const struct rte_mbuf *m, struct dp_gso_hdrs *h)
{
    const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
    uint32_t len = rte_pktmbuf_data_len(m), off = 12, l4;
    uint16_t type;

    for (;;) {
        if (off + 2 > len) {
            return false;
        }
        type = classify_be16(f + off);
        if (type == ETHTYPE_VLAN || type == RTE_ETHER_TYPE_QINQ) {
            off += 4;
        } else if (type == ETHTYPE_MPLS || type == RTE_ETHER_TYPE_MPLSM) {
            bool bos = false;
            for (off += 2; !bos; off += 4) {
                if (off + 4 > len) {
                    return false;
                }
                bos = f[off + 2] & 1;
            }
            if (off >= len) {
                return false;
            }
            off += (f[off] >> 4) == 0 ? 4 : 0;      /* control word */
            off += 12;                              /* inner addresses */
        } else {
            break;
        }
    }
    off += 2;
    if (type == RTE_ETHER_TYPE_IPV4) {
        if (off + 20 > len || (f[off] >> 4) != 4 || f[off + 9] != IPPROTO_TCP) {
            return false;
        }
        l4 = off + (f[off] & 0xf) * 4u;
    } else if (type == RTE_ETHER_TYPE_IPV6) {
        if (off + 40 > len || (f[off] >> 4) != 6 || f[off + 6] != IPPROTO_TCP) {
            return false;
        }
        l4 = off + 40;
    } else {
        return false;
    }
    if (l4 + 20 > len || (f[l4 + 12] >> 4) < 5 || l4 + (f[l4 + 12] >> 4) * 4u > len) {
        return false;
    }
    h->l3_off = off;
    h->l4_off = l4;
    h->hdr_len = l4 + (f[l4 + 12] >> 4) * 4u;
    h->v6 = type == RTE_ETHER_TYPE_IPV6;
    return true;
}

/* Takes the virtio header 'vh' that came with frame 'm' (in one buffer,
 * 'tag_len' bytes of VLAN tag put back in after the addresses): a TCP
 * super-frame is marked as one, a partial checksum is completed.  Returns
 * 0, or EPROTONOSUPPORT for a super-frame that is not TCP, EINVAL for
 * offsets outside the frame. */
int
dp_gso_mark(struct rte_mbuf *m, const struct virtio_net_hdr *vh, uint16_t tag_len)
{
    uint8_t gso = vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;

    if (gso != VIRTIO_NET_HDR_GSO_NONE) {
        struct dp_gso_hdrs h;

        if ((gso != VIRTIO_NET_HDR_GSO_TCPV4 && gso != VIRTIO_NET_HDR_GSO_TCPV6)
            || !vh->gso_size || !dp_gso_parse(m, &h)) {
            return EPROTONOSUPPORT;
        }
        if (rte_pktmbuf_pkt_len(m) <= h.hdr_len + vh->gso_size) {
            /* One segment: an ordinary frame after all. */
            return (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
                   ? dp_gso_mark(m, &(struct virtio_net_hdr) {
                         .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
                         .csum_start = vh->csum_start,
                         .csum_offset = vh->csum_offset }, tag_len)
                   : 0;
        }
        m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG
                       | (h.v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4);
        m->tso_segsz = vh->gso_size;
        return 0;
    }
    if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        uint32_t start = vh->csum_start + tag_len, at = start + vh->csum_offset;
        uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);

        if (m->nb_segs > 1 || at + 2 > rte_pktmbuf_data_len(m)) {
            return EINVAL;
        }
        uint16_t sum = ~rte_raw_cksum(f + start, rte_pktmbuf_data_len(m) - start);
        if (!sum && vh->csum_offset == 6) {
            sum = 0xffff;       /* UDP: 0 would mean "no checksum" */
        }
        memcpy(f + at, &sum, 2);
    }
    return 0;
}

/* Whether the segments of super-frame 'm' (headers 'h'), as its sender
 * asked them cut, fit an interface that carries IP packets of up to
 * 'mtu' bytes (0: no limit known): a frame may be 'mtu' bytes past its
 * Ethernet header, 4 more with a VLAN tag, as Linux sends them. */
static bool
gso_fits(const struct rte_mbuf *m, const struct dp_gso_hdrs *h, uint16_t mtu)
{
    const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);

    return !mtu || h->hdr_len + m->tso_segsz
                   <= mtu + RTE_ETHER_HDR_LEN
                      + (classify_be16(f + 12) == ETHTYPE_VLAN ? 4u : 0u);
}

/* The virtio header to send frame 'm' with on a "vnet-hdr" port: a
 * super-frame's segment size and partial checksum, else nothing to do.
 * The partial checksum (the pseudo header's sum, which the receiving
 * kernel completes) is written again from the IP header as it is now: a
 * plane may have rewritten the addresses (OpenFlow set-field, eBPF), and
 * an incremental update made for a full checksum is wrong for it. */
void
dp_gso_vnet_hdr(struct rte_mbuf *m, struct virtio_net_hdr *vh)
{
    struct dp_gso_hdrs h;

    memset(vh, 0, sizeof *vh);
    if (dp_gso_is_super(m) && dp_gso_parse(m, &h)) {
        uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
        uint16_t sum = h.v6 ? rte_ipv6_phdr_cksum((const struct rte_ipv6_hdr *)
                                                  (f + h.l3_off), 0)
                            : rte_ipv4_phdr_cksum((const struct rte_ipv4_hdr *)
                                                  (f + h.l3_off), 0);

        memcpy(f + h.l4_off + 16, &sum, 2);
        vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
        vh->gso_type = h.v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
        vh->gso_size = m->tso_segsz;
        vh->hdr_len = h.hdr_len;
        vh->csum_start = h.l4_off;
        vh->csum_offset = 16;
    }
}

/* Super-frame 'm''s bytes on a wire: every segment with its headers. */
uint32_t
dp_gso_wire_len(const struct rte_mbuf *m)
{
    uint32_t len = rte_pktmbuf_pkt_len(m);
    struct dp_gso_hdrs h;

    if (!m->tso_segsz || !dp_gso_parse(m, &h) || len <= h.hdr_len) {
        return len;
    }
    uint32_t segs = (len - h.hdr_len + m->tso_segsz - 1) / m->tso_segsz;
    return len + (segs - 1) * h.hdr_len;
}

/* Cuts super-frame 'm' into ordinary frames in 'out' (at most 'max'),
 * with their IP lengths, IPv4 ids, TCP sequence numbers, flags and
 * checksums as the sender's kernel would have made them, and frees 'm'.
 * Returns their number, or 0 with 'm' untouched and the drop reason in
 * '*why': "over-mtu" if they would be over interface MTU 'mtu' (0: none
 * known), as the same frames from a sender without segmentation offload
 * would be. */
uint16_t
dp_gso_segment(struct rte_mbuf *m, struct rte_mbuf **out, uint16_t max,
               uint16_t mtu, int *why)
{
    uint32_t len = rte_pktmbuf_pkt_len(m), seg = m->tso_segsz;
    struct dp_gso_hdrs h;

    if (!seg || !dp_gso_parse(m, &h) || len <= h.hdr_len) {
        *why = DP_DROP_GSO;
        return 0;
    }
    if (!gso_fits(m, &h, mtu)) {
        *why = DP_DROP_OVER_MTU;
        return 0;
    }
    uint32_t payload = len - h.hdr_len, n = (payload + seg - 1) / seg;
    if (n > max || h.hdr_len + seg > (uint32_t) rte_pktmbuf_data_room_size(dp.pool)
                                      - RTE_PKTMBUF_HEADROOM) {
        *why = DP_DROP_GSO;
        return 0;
    }
    if (rte_pktmbuf_alloc_bulk(dp.pool, out, n)) {
        *why = DP_DROP_NO_MBUF;
        return 0;
    }
    const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
    uint32_t seq0, l3_hlen = h.l4_off - h.l3_off;
    uint16_t id0 = classify_be16(f + h.l3_off + 4);
    uint8_t flags0 = f[h.l4_off + 13];

    memcpy(&seq0, f + h.l4_off + 4, 4);
    seq0 = rte_be_to_cpu_32(seq0);
    for (uint32_t i = 0; i < n; i++) {
        struct rte_mbuf *s = out[i];
        uint32_t plen = RTE_MIN(seg, payload - i * seg);
        uint8_t *d = (uint8_t *) rte_pktmbuf_append(s, h.hdr_len + plen);
        const void *src;

        memcpy(d, f, h.hdr_len);
        src = rte_pktmbuf_read(m, h.hdr_len + i * seg, plen, d + h.hdr_len);
        if (src != d + h.hdr_len) {
            memcpy(d + h.hdr_len, src, plen);
        }
        uint8_t *ip = d + h.l3_off, *tcp = d + h.l4_off;
        if (h.v6) {
            gso_put16(ip + 4, l3_hlen - 40 + (h.hdr_len - h.l4_off) + plen);
        } else {
            struct rte_ipv4_hdr *ip4 = (struct rte_ipv4_hdr *) ip;
            gso_put16(ip + 2, h.hdr_len - h.l3_off + plen);
            gso_put16(ip + 4, id0 + i);
            ip4->hdr_checksum = 0;
            ip4->hdr_checksum = rte_ipv4_cksum(ip4);
        }
        uint32_t seq = rte_cpu_to_be_32(seq0 + i * seg);
        memcpy(tcp + 4, &seq, 4);
        tcp[13] = flags0 & ~((i + 1 < n ? RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG : 0)
                             | (i ? RTE_TCP_CWR_FLAG : 0));
        tcp[16] = tcp[17] = 0;
        uint16_t sum = h.v6 ? rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *) ip, tcp)
                            : rte_ipv4_udptcp_cksum((const struct rte_ipv4_hdr *) ip, tcp);
        memcpy(tcp + 16, &sum, 2);
        s->port = m->port;
        s->hash = m->hash;
    }
    rte_pktmbuf_free(m);
    return n;
}

/* Emulated loss on port 'p' for each of the 'n' segments of a super-frame
 * in 'segs' (dp_tx_port() leaves super-frames to this): drops and counts
 * the lost ones, keeps the others in order.  Returns how many are left. */
static uint16_t
gso_lose(struct dp_port *p, struct rte_mbuf **segs, uint16_t n)
{
    uint16_t k = 0;

    if (!p->loss_ppm) {
        return n;
    }
    for (uint16_t i = 0; i < n; i++) {
        if (util_xorshift64(&p->rng) % 1000000 < p->loss_ppm) {
            p->ctr.drops[DP_DROP_LINK_LOSS]++;
            rte_pktmbuf_free(segs[i]);
        } else {
            segs[k++] = segs[i];
        }
    }
    return k;
}

/* Whether frame 'm' leaves port 'p' as it is: not a super-frame, or
 * one that 'p' takes whole (no emulated loss) with segments within its
 * MTU. */
static bool
gso_whole(const struct dp_port *p, const struct rte_mbuf *m)
{
    struct dp_gso_hdrs h;
    uint16_t mtu = dp_port_mtu(p);

    if (!dp_gso_is_super(m)) {
        return true;
    }
    return (p->takes_gso || p->type == DP_PORT_RING) && !p->loss_ppm
           && (!mtu || (dp_gso_parse(m, &h) && gso_fits(m, &h, mtu)));
}

/* dp_port_tx() for a port that does not take super-frames, has emulated
 * loss, or knows its MTU: sends 'pkts' in order, each super-frame whole
 * if the port takes it (gso_whole()), else as its segments.  Returns how
 * many of 'pkts' it took (sent, or dropped and counted on 'p'); like a
 * driver, it may take fewer than 'n' when the device is full before a
 * super-frame, and the caller keeps the rest. */
uint16_t
dp_gso_tx(struct dp_port *p, struct rte_mbuf **pkts, uint16_t n)
{
    uint16_t done = 0;

    while (done < n) {
        uint16_t k = done;

        while (k < n && gso_whole(p, pkts[k])) {
            k++;
        }
        if (k > done) {
            uint16_t sent = dp_port_tx_whole(p, pkts + done, k - done);
            done += sent;
            if (done < k) {
                return done;
            }
        }
        if (k == n) {
            break;
        }
        /* pkts[k] is a super-frame to cut: its segments go now, or those
         * the device refuses are dropped (it took the first ones: the
         * super-frame cannot wait whole any more); over the MTU, none
         * go. */
        struct rte_mbuf *segs[DP_GSO_MAX_SEGS];
        int why = DP_DROP_GSO;
        uint16_t ns = dp_gso_segment(pkts[k], segs, DP_GSO_MAX_SEGS,
                                     dp_port_mtu(p), &why);

        if (!ns) {
            p->ctr.drops[why]++;
            rte_pktmbuf_free(pkts[k]);
        } else {
            ns = gso_lose(p, segs, ns);
            uint16_t sent = 0;
            for (unsigned tries = 0; sent < ns && tries < 4; tries++) {
                sent += dp_port_tx_whole(p, segs + sent, ns - sent);
            }
            for (uint16_t i = sent; i < ns; i++) {
                p->ctr.drops[DP_DROP_TX_FULL]++;
                rte_pktmbuf_free(segs[i]);
            }
        }
        done = k + 1;
    }
    return done;
}
