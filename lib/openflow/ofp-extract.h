/*
 * ofp-extract: one parse of an Ethernet frame into its OpenFlow 1.3 match
 * fields.
 *
 * What?
 * -----
 * ofp_extract() reads the headers of a frame (Ethernet, VLAN tags, MPLS,
 * ARP, IPv4, IPv6, TCP, UDP, SCTP, ICMP) and stores, in a struct
 * ofp_extract, every header field the OXM match knows, in host byte order,
 * plus the offset of each header it found.  Both users of a packet's
 * fields parse through it:
 *
 *   - the OpenFlow pipeline of the switch (dataplane/ofpl), which packs the
 *     fields into its flow key and keeps the offsets for actions that
 *     rewrite the packet;
 *   - the slicer's flowspace (slicer/flowspace), which turns them into an
 *     exact struct ofp_match with ofp_extract_to_match() to decide who owns
 *     a PACKET_IN and what a PACKET_OUT may send.
 *
 * The parse is a static inline function with no allocation and no call,
 * so the pipeline's fast path compiles it into its own loop: a caller that
 * never reads 'present' or an offset pays nothing for it.
 *
 * What a frame yields
 * -------------------
 * - Fewer than 14 bytes: nothing.
 * - eth_dst, eth_src always; vlan_vid always (0, OFPVID_NONE, if untagged;
 *   OFPVID_PRESENT | VID for the outer tag), vlan_pcp if tagged.  Inner tags
 *   (0x8100 or 0x88a8) are skipped: eth_type is the type after all tags.  A
 *   frame that ends inside its outer tag yields the addresses only.
 * - IPv4 (version 4, at least 20 bytes): ip_dscp, ip_ecn, ip_proto,
 *   ipv4_src, ipv4_dst; layer 4 only for a first fragment with a valid IHL.
 * - IPv6 (40 bytes): ip_dscp, ip_ecn, ipv6_flabel, ip_proto (the next
 *   header; extension headers are not walked), ipv6_src, ipv6_dst.
 * - Layer 4 needs 4 bytes: tcp/udp/sctp ports, or ICMPv4 (IPv4 only) or
 *   ICMPv6 (IPv6 only) type and code.  The l4 offset is set for any of
 *   them, so rewriting actions may touch the first 4 bytes.
 * - ARP for Ethernet/IPv4 (htype 1, ptype 0x0800, 6/4, 28 bytes): arp_op,
 *   arp_sha, arp_spa, arp_tha, arp_tpa.
 * - MPLS (0x8847, 0x8848; 4 bytes): mpls_label, mpls_tc, mpls_bos of the
 *   first label.
 * Truncated headers end the parse quietly: what was read is kept.
 */
#ifndef LAMINA_OFP_EXTRACT_H
#define LAMINA_OFP_EXTRACT_H 1

#include <stdint.h>
#include <string.h>

#include "ofp-match.h"

/* Ethertypes the parse knows. */
#define OFP_ETH_TYPE_IPV4 0x0800
#define OFP_ETH_TYPE_ARP 0x0806
#define OFP_ETH_TYPE_VLAN 0x8100
#define OFP_ETH_TYPE_QINQ 0x88a8
#define OFP_ETH_TYPE_IPV6 0x86dd
#define OFP_ETH_TYPE_MPLS 0x8847
#define OFP_ETH_TYPE_MPLS_MC 0x8848

/* IP protocol numbers the parse knows. */
#define OFP_IPPROTO_ICMP 1
#define OFP_IPPROTO_TCP 6
#define OFP_IPPROTO_UDP 17
#define OFP_IPPROTO_ICMPV6 58
#define OFP_IPPROTO_SCTP 132

struct ofp_extract {
    uint64_t present;           /* 1 << OFP_F_*: fields the frame has. */

    /* Offsets of headers from the start of the frame, 0 where absent. */
    uint16_t vlan;              /* The outer tag's TPID. */
    uint16_t l2_end;            /* The ethertype after all tags (12, 16..). */
    uint16_t mpls;              /* The first label. */
    uint16_t l3;                /* IP or ARP header. */
    uint16_t l4;                /* TCP/UDP/SCTP/ICMP header. */

    /* Field values in host byte order, zero where absent.  Fields that
     * never occur together share a slot, as in the OXM match. */
    uint16_t eth_type;
    uint16_t vlan_vid;          /* OFPVID_PRESENT | VID, or 0. */
    uint8_t vlan_pcp;
    uint8_t ip_proto;
    uint8_t ip_dscp;
    uint8_t ip_ecn;
    uint64_t eth_dst;           /* 48 bits. */
    uint64_t eth_src;
    uint32_t nw_src;            /* ipv4_src or arp_spa. */
    uint32_t nw_dst;            /* ipv4_dst or arp_tpa. */
    uint16_t tp_src;            /* tcp/udp/sctp_src or icmpv4/6_type. */
    uint16_t tp_dst;            /* tcp/udp/sctp_dst or icmpv4/6_code. */
    uint16_t arp_op;
    uint64_t arp_sha;           /* 48 bits. */
    uint64_t arp_tha;
    uint32_t ipv6_flabel;
    uint64_t ipv6_src[2];       /* High 64 bits first. */
    uint64_t ipv6_dst[2];
    uint32_t mpls_label;
    uint8_t mpls_tc;
    uint8_t mpls_bos;
};

/* Big-endian reads and writes of unaligned packet bytes. */
static inline uint16_t
ofp_rd16(const uint8_t *p)
{
    return (uint16_t) (p[0] << 8 | p[1]);
}

static inline uint32_t
ofp_rd32(const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}

static inline uint64_t
ofp_rd48(const uint8_t *p)
{
    return (uint64_t) ofp_rd16(p) << 32 | ofp_rd32(p + 2);
}

static inline uint64_t
ofp_rd64(const uint8_t *p)
{
    return (uint64_t) ofp_rd32(p) << 32 | ofp_rd32(p + 4);
}

static inline void
ofp_wr16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static inline void
ofp_wr32(uint8_t *p, uint32_t v)
{
    ofp_wr16(p, v >> 16);
    ofp_wr16(p + 2, v);
}

static inline void
ofp_wr48(uint8_t *p, uint64_t v)
{
    ofp_wr16(p, v >> 32);
    ofp_wr32(p + 2, v);
}

static inline void
ofp_wr64(uint8_t *p, uint64_t v)
{
    ofp_wr32(p, v >> 32);
    ofp_wr32(p + 4, v);
}

#define OFP_X_BIT(F) (UINT64_C(1) << OFP_F_##F)

/* Layer 4 of a packet whose IP header ended at 'off'. */
static inline void
ofp_extract_l4(const uint8_t *p, uint32_t len, uint32_t off, bool ipv6,
               struct ofp_extract *x)
{
    const uint8_t *l4 = p + off;

    if (len < off + 4) {
        return;
    }
    switch (x->ip_proto) {
    case OFP_IPPROTO_TCP:
        x->present |= OFP_X_BIT(TCP_SRC) | OFP_X_BIT(TCP_DST);
        break;
    case OFP_IPPROTO_UDP:
        x->present |= OFP_X_BIT(UDP_SRC) | OFP_X_BIT(UDP_DST);
        break;
    case OFP_IPPROTO_SCTP:
        x->present |= OFP_X_BIT(SCTP_SRC) | OFP_X_BIT(SCTP_DST);
        break;
    case OFP_IPPROTO_ICMP:
    case OFP_IPPROTO_ICMPV6:
        if (ipv6 != (x->ip_proto == OFP_IPPROTO_ICMPV6)) {
            return;                 /* ICMPv4 only in IPv4, ICMPv6 in IPv6 */
        }
        x->l4 = off;
        x->present |= ipv6 ? OFP_X_BIT(ICMPV6_TYPE) | OFP_X_BIT(ICMPV6_CODE)
                           : OFP_X_BIT(ICMPV4_TYPE) | OFP_X_BIT(ICMPV4_CODE);
        x->tp_src = l4[0];
        x->tp_dst = l4[1];
        return;
    default:
        return;
    }
    x->l4 = off;
    x->tp_src = ofp_rd16(l4);
    x->tp_dst = ofp_rd16(l4 + 2);
}

/* Parses the 'len'-byte frame 'p' into '*x' (see the top of this file). */
static inline void
ofp_extract(const uint8_t *p, uint32_t len, struct ofp_extract *x)
{
    uint32_t off;
    uint16_t type;

    memset(x, 0, sizeof *x);
    if (__builtin_expect(len < 14, 0)) {
        return;
    }
    x->eth_dst = ofp_rd48(p);
    x->eth_src = ofp_rd48(p + 6);
    x->present = OFP_X_BIT(ETH_DST) | OFP_X_BIT(ETH_SRC) | OFP_X_BIT(VLAN_VID);
    off = 12;
    type = ofp_rd16(p + 12);
    if (type == OFP_ETH_TYPE_VLAN || type == OFP_ETH_TYPE_QINQ) {
        if (len < 18) {
            x->present &= ~OFP_X_BIT(VLAN_VID);
            return;
        }
        uint16_t tci = ofp_rd16(p + 14);
        x->vlan = 12;
        x->vlan_vid = OFPVID_PRESENT | (tci & 0xfff);
        x->vlan_pcp = tci >> 13;
        x->present |= OFP_X_BIT(VLAN_PCP);
        off = 16;
        type = ofp_rd16(p + 16);
        while ((type == OFP_ETH_TYPE_VLAN || type == OFP_ETH_TYPE_QINQ)
               && len >= off + 6) {
            off += 4;
            type = ofp_rd16(p + off);
        }
    }
    x->l2_end = off;
    x->eth_type = type;
    x->present |= OFP_X_BIT(ETH_TYPE);
    off += 2;

    if (type == OFP_ETH_TYPE_IPV4) {
        const uint8_t *ip = p + off;
        if (len < off + 20 || (ip[0] >> 4) != 4) {
            return;
        }
        uint32_t ihl = (ip[0] & 0x0f) * 4;
        x->l3 = off;
        x->ip_proto = ip[9];
        x->ip_dscp = ip[1] >> 2;
        x->ip_ecn = ip[1] & 3;
        x->nw_src = ofp_rd32(ip + 12);
        x->nw_dst = ofp_rd32(ip + 16);
        x->present |= OFP_X_BIT(IP_DSCP) | OFP_X_BIT(IP_ECN)
                      | OFP_X_BIT(IP_PROTO) | OFP_X_BIT(IPV4_SRC)
                      | OFP_X_BIT(IPV4_DST);
        if (ihl < 20 || (ofp_rd16(ip + 6) & 0x1fff)) {
            return;                 /* bad header or a later fragment */
        }
        ofp_extract_l4(p, len, off + ihl, false, x);
    } else if (type == OFP_ETH_TYPE_IPV6) {
        if (len < off + 40) {
            return;
        }
        const uint8_t *ip = p + off;
        uint32_t vtf = ofp_rd32(ip);
        uint8_t tc = vtf >> 20;
        x->l3 = off;
        x->ip_proto = ip[6];
        x->ip_dscp = tc >> 2;
        x->ip_ecn = tc & 3;
        x->ipv6_flabel = vtf & 0xfffff;
        x->ipv6_src[0] = ofp_rd64(ip + 8);
        x->ipv6_src[1] = ofp_rd64(ip + 16);
        x->ipv6_dst[0] = ofp_rd64(ip + 24);
        x->ipv6_dst[1] = ofp_rd64(ip + 32);
        x->present |= OFP_X_BIT(IP_DSCP) | OFP_X_BIT(IP_ECN)
                      | OFP_X_BIT(IP_PROTO) | OFP_X_BIT(IPV6_FLABEL)
                      | OFP_X_BIT(IPV6_SRC) | OFP_X_BIT(IPV6_DST);
        ofp_extract_l4(p, len, off + 40, true, x);
    } else if (type == OFP_ETH_TYPE_ARP) {
        const uint8_t *a = p + off;
        if (len >= off + 28 && ofp_rd16(a) == 1
            && ofp_rd16(a + 2) == OFP_ETH_TYPE_IPV4 && a[4] == 6 && a[5] == 4) {
            x->l3 = off;
            x->arp_op = ofp_rd16(a + 6);
            x->arp_sha = ofp_rd48(a + 8);
            x->nw_src = ofp_rd32(a + 14);
            x->arp_tha = ofp_rd48(a + 18);
            x->nw_dst = ofp_rd32(a + 24);
            x->present |= OFP_X_BIT(ARP_OP) | OFP_X_BIT(ARP_SHA)
                          | OFP_X_BIT(ARP_SPA) | OFP_X_BIT(ARP_THA)
                          | OFP_X_BIT(ARP_TPA);
        }
    } else if (type == OFP_ETH_TYPE_MPLS || type == OFP_ETH_TYPE_MPLS_MC) {
        if (len >= off + 4) {
            uint32_t lse = ofp_rd32(p + off);
            x->mpls = off;
            x->mpls_label = lse >> 12;
            x->mpls_tc = (lse >> 9) & 7;
            x->mpls_bos = (lse >> 8) & 1;
            x->present |= OFP_X_BIT(MPLS_LABEL) | OFP_X_BIT(MPLS_TC)
                          | OFP_X_BIT(MPLS_BOS);
        }
    }
}

/* Stores the fields of 'x' into 'm' as an exact match (ofp_match_init()
 * first; in_port is the caller's). */
void ofp_extract_to_match(const struct ofp_extract *x, struct ofp_match *m);

#endif /* LAMINA_OFP_EXTRACT_H */
