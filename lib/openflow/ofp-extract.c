/*
 * ofp-extract: a parsed frame as an exact OXM match.  The parse itself is
 * inline in ofp-extract.h.
 */
#include "ofp-extract.h"

/* Sets integer field 'f' of 'm' exactly, if the frame had it. */
static void
set_u(struct ofp_match *m, const struct ofp_extract *x, enum ofp_field f,
      uint64_t value)
{
    if ((x->present >> f) & 1) {
        ofp_match_set_u(m, f, value);
    }
}

/* Sets IPv6 address field 'f' of 'm' from its two 64-bit halves. */
static void
set_ipv6(struct ofp_match *m, const struct ofp_extract *x, enum ofp_field f,
         const uint64_t addr[2])
{
    union ofp_value v;

    if ((x->present >> f) & 1) {
        memset(&v, 0, sizeof v);
        ofp_wr64(v.ipv6, addr[0]);
        ofp_wr64(v.ipv6 + 8, addr[1]);
        ofp_match_set(m, f, &v, NULL);
    }
}

void
ofp_extract_to_match(const struct ofp_extract *x, struct ofp_match *m)
{
    set_u(m, x, OFP_F_ETH_DST, x->eth_dst);
    set_u(m, x, OFP_F_ETH_SRC, x->eth_src);
    set_u(m, x, OFP_F_VLAN_VID, x->vlan_vid);
    set_u(m, x, OFP_F_VLAN_PCP, x->vlan_pcp);
    set_u(m, x, OFP_F_ETH_TYPE, x->eth_type);
    set_u(m, x, OFP_F_IP_DSCP, x->ip_dscp);
    set_u(m, x, OFP_F_IP_ECN, x->ip_ecn);
    set_u(m, x, OFP_F_IP_PROTO, x->ip_proto);
    set_u(m, x, OFP_F_IPV4_SRC, x->nw_src);
    set_u(m, x, OFP_F_IPV4_DST, x->nw_dst);
    set_u(m, x, OFP_F_IPV6_FLABEL, x->ipv6_flabel);
    set_ipv6(m, x, OFP_F_IPV6_SRC, x->ipv6_src);
    set_ipv6(m, x, OFP_F_IPV6_DST, x->ipv6_dst);
    set_u(m, x, OFP_F_TCP_SRC, x->tp_src);
    set_u(m, x, OFP_F_TCP_DST, x->tp_dst);
    set_u(m, x, OFP_F_UDP_SRC, x->tp_src);
    set_u(m, x, OFP_F_UDP_DST, x->tp_dst);
    set_u(m, x, OFP_F_SCTP_SRC, x->tp_src);
    set_u(m, x, OFP_F_SCTP_DST, x->tp_dst);
    set_u(m, x, OFP_F_ICMPV4_TYPE, x->tp_src);
    set_u(m, x, OFP_F_ICMPV4_CODE, x->tp_dst);
    set_u(m, x, OFP_F_ICMPV6_TYPE, x->tp_src);
    set_u(m, x, OFP_F_ICMPV6_CODE, x->tp_dst);
    set_u(m, x, OFP_F_ARP_OP, x->arp_op);
    set_u(m, x, OFP_F_ARP_SHA, x->arp_sha);
    set_u(m, x, OFP_F_ARP_SPA, x->nw_src);
    set_u(m, x, OFP_F_ARP_THA, x->arp_tha);
    set_u(m, x, OFP_F_ARP_TPA, x->nw_dst);
    set_u(m, x, OFP_F_MPLS_LABEL, x->mpls_label);
    set_u(m, x, OFP_F_MPLS_TC, x->mpls_tc);
    set_u(m, x, OFP_F_MPLS_BOS, x->mpls_bos);
}
