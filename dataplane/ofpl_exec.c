/*
 * ofpl_exec: the fast path of the OpenFlow 1.3 pipeline (see ofpl.h for
 * the design, ofpl_pvt.h for how the files share it): port liveness, the
 * exact-match cache, trains, tables, instructions, actions, groups, meters.
 *
 * Cost on the fast path (1 forwarding core, 64-byte frames, measured with
 * scripts/bench-openflow.sh, docs/performance-openflow.md): a cache hit is
 * the parse, one CRC32 hash of the key, a 112-byte compare, the counters
 * and the actions; a miss adds one hash probe per tuple tried.  With more
 * flows than cache entries (65,536 per direction, 10,000 rules in two
 * tuples) a packet costs about 107 cycles in tools/ofpl-bench (140 before
 * the short run, 225 before the look-ahead of ofpl_run_burst()); see
 * docs/performance.md for the switch's fp stage.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ofpl_pvt.h"
#include "crc32c.h"
#include "util.h"

/* ---- Ports ---------------------------------------------------------------- */

void
ofpl_set_port_live(struct ofpl_pipeline *pl, uint16_t vport, bool live)
{
    if (vport < OFPL_MAX_PORTS) {
        if (live) {
            pl->live[vport / 64] |= 1ull << (vport % 64);
        } else {
            pl->live[vport / 64] &= ~(1ull << (vport % 64));
        }
        pl->gen++;
    }
}

bool
ofpl_port_live(const struct ofpl_pipeline *pl, uint16_t vport)
{
    return vport < OFPL_MAX_PORTS && (pl->live[vport / 64] >> (vport % 64)) & 1;
}

/* ---- Execution -------------------------------------------------------------- */

struct ofpl_exec {
    struct ofpl_pipeline *pl;
    struct ofpl_packet *pkt;
    struct ofpl_key key;
    struct ofp_hdrs h;
    uint16_t in_vport;
    uint8_t depth;
    bool stop;                      /* dropped (TTL, meter) */
    bool impure;                    /* more than counters happened */
    bool has_pending;
    uint64_t now_ns;
    ofpl_emit_fn *emit;
    void *aux;
    struct ofpl_out pending;
    uint32_t queue;
    uint8_t table;                  /* of the flow running */
    bool table_miss_flow;           /* the flow is priority 0, match all */
    uint64_t cookie;
    const struct ofp_action *aset[OFPL_ASET_MAX];
    uint8_t n_aset;
};

static void
exec_reparse(struct ofpl_exec *x)
{
    uint64_t w0 = x->key.w[0] & 0xffffffffull, meta = x->key.w[5];
    uint64_t tun = x->key.w[13];

    memset(&x->key, 0, sizeof x->key);
    x->key.w[0] = w0;
    x->key.w[5] = meta;
    x->key.w[13] = tun;
    ofpl_key_parse(x->pkt->data, x->pkt->len, &x->key, &x->h);
}

/* The packet is about to change: a pending output must leave as it is. */
static inline void
exec_flush(struct ofpl_exec *x)
{
    x->impure = true;               /* called before every rewrite */
    if (x->has_pending) {
        x->has_pending = false;
        x->emit(x->aux, x->pkt, &x->pending);
    }
}

static inline void
exec_output(struct ofpl_exec *x, const struct ofpl_out *o)
{
    if (x->has_pending) {
        exec_flush(x);
    }
    x->pending = *o;
    x->has_pending = true;
}

static void
exec_output_port(struct ofpl_exec *x, uint32_t port, uint16_t max_len)
{
    struct ofpl_out o = { .queue = x->queue };

    if (port >= 1 && port <= OFPL_MAX_PORTS) {
        uint16_t v = port - 1;
        if (v == x->in_vport || !ofpl_port_live(x->pl, v)) {
            return;                 /* never back out of in_port unasked */
        }
        o.kind = OFPL_OUT_PORT;
        o.port = v;
    } else if (port == OFPP13_IN_PORT) {
        if (x->in_vport == OFPL_NO_PORT || !ofpl_port_live(x->pl, x->in_vport)) {
            return;
        }
        o.kind = OFPL_OUT_PORT;
        o.port = x->in_vport;
    } else if (port == OFPP13_FLOOD || port == OFPP13_ALL) {
        o.kind = OFPL_OUT_FLOOD;
        o.port = x->in_vport;
    } else if (port == OFPP13_CONTROLLER) {
        o.kind = OFPL_OUT_CONTROLLER;
        o.reason = x->table_miss_flow ? OFPL_REASON_NO_MATCH : OFPL_REASON_ACTION;
        o.table = x->table;
        o.cookie = x->cookie;
        o.max_len = max_len;
        o.port = x->in_vport;
    } else if (port == OFPP13_TABLE && x->table == OFPL_REASON_TABLE) {
        o.kind = OFPL_OUT_CONTROLLER;       /* packet-out only */
        o.reason = OFPL_REASON_TABLE;
        o.port = x->in_vport;
    } else {
        return;
    }
    exec_output(x, &o);
}

/* Internet checksum helpers (RFC 1624). */
static inline void
csum_replace16(uint8_t *csum, uint16_t old, uint16_t new)
{
    uint32_t s = (uint16_t) ~ofp_rd16(csum) + (uint16_t) ~old + new;
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    ofp_wr16(csum, (uint16_t) ~s);
}

static inline void
csum_replace32(uint8_t *csum, uint32_t old, uint32_t new)
{
    csum_replace16(csum, old >> 16, new >> 16);
    csum_replace16(csum, old & 0xffff, new & 0xffff);
}

/* The L4 checksum field of the packet, or NULL (none, or UDP without). */
static uint8_t *
l4_csum(struct ofpl_exec *x)
{
    uint8_t *l4 = x->pkt->data + x->h.l4;

    if (!x->h.l4) {
        return NULL;
    }
    if (x->h.ip_proto == 6 && x->pkt->len >= x->h.l4 + 18u) {
        return l4 + 16;
    }
    if (x->h.ip_proto == 17 && x->pkt->len >= x->h.l4 + 8u && ofp_rd16(l4 + 6)) {
        return l4 + 6;
    }
    return NULL;
}

/* Recomputes the SCTP checksum (CRC-32C over the whole SCTP packet, the
 * checksum field zero, stored least significant byte first: RFC 4960
 * appendix B).  Not for a fragment: the CRC covers bytes it lacks. */
static void
sctp_csum_update(struct ofpl_exec *x)
{
    const uint8_t *l3 = x->pkt->data + x->h.l3;
    uint8_t *l4 = x->pkt->data + x->h.l4;
    uint32_t end = x->pkt->len;

    if (x->h.eth_type == OFP_ETH_TYPE_IPV4) {
        if (ofp_rd16(l3 + 6) & 0x2000) {
            return;                 /* more fragments follow */
        }
        end = MIN(end, x->h.l3 + (uint32_t) ofp_rd16(l3 + 2));
    } else if (x->h.eth_type == OFP_ETH_TYPE_IPV6) {
        end = MIN(end, x->h.l3 + 40u + ofp_rd16(l3 + 4));
    }
    if (end < x->h.l4 + 12u) {
        return;
    }
    memset(l4 + 8, 0, 4);
    uint32_t c = crc32c(0, l4, end - x->h.l4);
    l4[8] = c;
    l4[9] = c >> 8;
    l4[10] = c >> 16;
    l4[11] = c >> 24;
}

static void
exec_set_ipv4_addr(struct ofpl_exec *x, uint8_t *addr, uint32_t v)
{
    uint32_t old = ofp_rd32(addr);
    uint8_t *csum = l4_csum(x);

    csum_replace32(x->pkt->data + x->h.l3 + 10, old, v);
    if (csum) {
        csum_replace32(csum, old, v);
    }
    ofp_wr32(addr, v);
}

static void
exec_set_ipv6_addr(struct ofpl_exec *x, uint8_t *addr, const uint8_t *v)
{
    uint8_t *csum = l4_csum(x);

    if (!csum && x->h.ip_proto == 58 && x->h.l4 && x->pkt->len >= x->h.l4 + 4u) {
        csum = x->pkt->data + x->h.l4 + 2;
    }
    for (int i = 0; csum && i < 16; i += 2) {
        csum_replace16(csum, ofp_rd16(addr + i), ofp_rd16(v + i));
    }
    memcpy(addr, v, 16);
}

/* set_field: the packet and the key. */
static void
exec_set_field(struct ofpl_exec *x, enum ofp_field f, const union ofp_value *v)
{
    uint8_t *p = x->pkt->data;
    uint8_t *l3 = p + x->h.l3, *l4 = p + x->h.l4;
    uint64_t u = ofpl_kf[f].bits == 128 ? 0 : ofp_value_to_u64(f, v);

    exec_flush(x);
    switch (f) {
    case OFP_F_METADATA:
    case OFP_F_TUNNEL_ID:
        break;
    case OFP_F_ETH_DST:
        if (x->pkt->len >= 14) {
            memcpy(p, v->mac, 6);
        }
        break;
    case OFP_F_ETH_SRC:
        if (x->pkt->len >= 14) {
            memcpy(p + 6, v->mac, 6);
        }
        break;
    case OFP_F_VLAN_VID:
        if (!x->h.vlan) {
            return;
        }
        ofp_wr16(p + 14, (ofp_rd16(p + 14) & 0xf000) | (u & 0xfff));
        u = 0x1000 | (u & 0xfff);
        break;
    case OFP_F_VLAN_PCP:
        if (!x->h.vlan) {
            return;
        }
        ofp_wr16(p + 14, (ofp_rd16(p + 14) & 0x1fff) | (u & 7) << 13);
        break;
    case OFP_F_IP_DSCP:
    case OFP_F_IP_ECN:
        if (x->h.eth_type == OFP_ETH_TYPE_IPV4 && x->h.l3) {
            uint8_t tos = l3[1];
            tos = f == OFP_F_IP_DSCP ? (tos & 3) | (u << 2) : (tos & 0xfc) | (u & 3);
            csum_replace16(l3 + 10, ofp_rd16(l3), (l3[0] << 8) | tos);
            l3[1] = tos;
        } else if (x->h.eth_type == OFP_ETH_TYPE_IPV6 && x->h.l3) {
            uint32_t vtf = ofp_rd32(l3);
            uint8_t tc = vtf >> 20;
            tc = f == OFP_F_IP_DSCP ? (tc & 3) | (u << 2) : (tc & 0xfc) | (u & 3);
            ofp_wr32(l3, (vtf & 0xf00fffff) | (uint32_t) tc << 20);
        } else {
            return;
        }
        break;
    case OFP_F_IPV4_SRC:
    case OFP_F_IPV4_DST:
        if (x->h.eth_type != OFP_ETH_TYPE_IPV4 || !x->h.l3) {
            return;
        }
        exec_set_ipv4_addr(x, l3 + (f == OFP_F_IPV4_SRC ? 12 : 16), u);
        break;
    case OFP_F_TCP_SRC: case OFP_F_UDP_SRC: case OFP_F_SCTP_SRC:
    case OFP_F_TCP_DST: case OFP_F_UDP_DST: case OFP_F_SCTP_DST: {
        if (!x->h.l4 || x->h.ip_proto == 1 || x->h.ip_proto == 58) {
            return;
        }
        bool src = f == OFP_F_TCP_SRC || f == OFP_F_UDP_SRC || f == OFP_F_SCTP_SRC;
        uint8_t *csum = l4_csum(x);
        if (csum) {
            csum_replace16(csum, ofp_rd16(l4 + (src ? 0 : 2)), u);
        }
        ofp_wr16(l4 + (src ? 0 : 2), u);
        if (x->h.ip_proto == OFP_IPPROTO_SCTP) {
            sctp_csum_update(x);
        }
        break;
    }
    case OFP_F_ICMPV4_TYPE: case OFP_F_ICMPV4_CODE:
    case OFP_F_ICMPV6_TYPE: case OFP_F_ICMPV6_CODE: {
        if (!x->h.l4 || (x->h.ip_proto != 1 && x->h.ip_proto != 58)) {
            return;
        }
        bool type = f == OFP_F_ICMPV4_TYPE || f == OFP_F_ICMPV6_TYPE;
        uint16_t old = ofp_rd16(l4);
        l4[type ? 0 : 1] = u;
        csum_replace16(l4 + 2, old, ofp_rd16(l4));
        break;
    }
    case OFP_F_ARP_OP:
    case OFP_F_ARP_SPA: case OFP_F_ARP_TPA:
    case OFP_F_ARP_SHA: case OFP_F_ARP_THA:
        if (x->h.eth_type != OFP_ETH_TYPE_ARP || !x->h.l3) {
            return;
        }
        if (f == OFP_F_ARP_OP) {
            ofp_wr16(l3 + 6, u);
        } else if (f == OFP_F_ARP_SHA) {
            memcpy(l3 + 8, v->mac, 6);
        } else if (f == OFP_F_ARP_SPA) {
            ofp_wr32(l3 + 14, u);
        } else if (f == OFP_F_ARP_THA) {
            memcpy(l3 + 18, v->mac, 6);
        } else {
            ofp_wr32(l3 + 24, u);
        }
        break;
    case OFP_F_IPV6_SRC:
    case OFP_F_IPV6_DST:
        if (x->h.eth_type != OFP_ETH_TYPE_IPV6 || !x->h.l3) {
            return;
        }
        exec_set_ipv6_addr(x, l3 + (f == OFP_F_IPV6_SRC ? 8 : 24), v->ipv6);
        break;
    case OFP_F_IPV6_ND_TARGET:
    case OFP_F_IPV6_ND_SLL:
    case OFP_F_IPV6_ND_TLL: {
        if (x->h.ip_proto != OFP_IPPROTO_ICMPV6 || !x->h.l4
            || !ofp_nd_is(p, x->pkt->len, x->h.l4)
            || (f == OFP_F_IPV6_ND_SLL && l4[0] != OFP_ND_NS)
            || (f == OFP_F_IPV6_ND_TLL && l4[0] != OFP_ND_NA)) {
            return;
        }
        uint8_t new[16];
        uint8_t *at;
        size_t n;
        if (f == OFP_F_IPV6_ND_TARGET) {
            at = l4 + 8;
            n = 16;
            memcpy(new, v->ipv6, 16);
        } else {
            uint32_t lla = ofp_nd_lla(p, x->pkt->len, x->h.l4);
            if (!lla) {
                return;             /* no such option to rewrite */
            }
            at = p + lla;
            n = 6;
            memcpy(new, v->mac, 6);
        }
        for (size_t i = 0; i < n; i += 2) {
            csum_replace16(l4 + 2, ofp_rd16(at + i), ofp_rd16(new + i));
        }
        memcpy(at, new, n);
        break;
    }
    case OFP_F_IPV6_FLABEL:
        if (x->h.eth_type != OFP_ETH_TYPE_IPV6 || !x->h.l3) {
            return;
        }
        ofp_wr32(l3, (ofp_rd32(l3) & 0xfff00000) | (u & 0xfffff));
        break;
    case OFP_F_MPLS_LABEL:
    case OFP_F_MPLS_TC:
    case OFP_F_MPLS_BOS: {
        if (!x->h.mpls) {
            return;
        }
        uint8_t *m = p + x->h.mpls;
        uint32_t lse = ofp_rd32(m);
        if (f == OFP_F_MPLS_LABEL) {
            lse = (lse & 0xfff) | (uint32_t) (u & 0xfffff) << 12;
        } else if (f == OFP_F_MPLS_TC) {
            lse = (lse & ~0xe00u) | (uint32_t) (u & 7) << 9;
        } else {
            lse = (lse & ~0x100u) | (uint32_t) (u & 1) << 8;
        }
        ofp_wr32(m, lse);
        break;
    }
    default:
        return;                     /* in_port, eth_type: read-only */
    }
    if (ofpl_kf[f].bits == 128) {
        key_put_value(&x->key, f, v);
    } else {
        key_put(&x->key, f, u);
    }
}

/* Inserts 'n' bytes at offset 'at' of the packet, moving the bytes before
 * it forward into the headroom. */
static uint8_t *
pkt_insert(struct ofpl_packet *pkt, uint32_t at, uint32_t n)
{
    if (pkt->headroom < n || at > pkt->len) {
        return NULL;
    }
    memmove(pkt->data - n, pkt->data, at);
    pkt->data -= n;
    pkt->headroom -= n;
    pkt->len += n;
    return pkt->data + at;
}

static void
pkt_remove(struct ofpl_packet *pkt, uint32_t at, uint32_t n)
{
    memmove(pkt->data + n, pkt->data, at);
    pkt->data += n;
    pkt->headroom += n;
    pkt->len -= n;
}

static void
exec_push_vlan(struct ofpl_exec *x, uint16_t tpid)
{
    uint16_t tci = 0;
    uint8_t *t;

    if (x->pkt->len < 14) {
        return;
    }
    if (x->h.vlan) {
        tci = ofp_rd16(x->pkt->data + 14);      /* the spec: copy the outer tag */
    }
    exec_flush(x);
    t = pkt_insert(x->pkt, 12, 4);
    if (!t) {
        x->stop = true;
        return;
    }
    ofp_wr16(t, tpid);
    ofp_wr16(t + 2, tci);
    exec_reparse(x);
}

static void
exec_pop_vlan(struct ofpl_exec *x)
{
    if (!x->h.vlan) {
        return;
    }
    exec_flush(x);
    pkt_remove(x->pkt, 12, 4);
    exec_reparse(x);
}

static void
exec_push_mpls(struct ofpl_exec *x, uint16_t ethertype)
{
    uint32_t at = x->h.l2_end + 2;
    uint8_t ttl = 64, tc = 0;
    uint32_t label = 0;
    uint8_t *m;

    if (x->pkt->len < at) {
        return;
    }
    if (x->h.mpls) {
        uint32_t lse = ofp_rd32(x->pkt->data + x->h.mpls);
        label = lse >> 12;
        tc = (lse >> 9) & 7;
        ttl = lse & 0xff;
    } else if (x->h.eth_type == OFP_ETH_TYPE_IPV4 && x->h.l3) {
        ttl = x->pkt->data[x->h.l3 + 8];
    } else if (x->h.eth_type == OFP_ETH_TYPE_IPV6 && x->h.l3) {
        ttl = x->pkt->data[x->h.l3 + 7];
    }
    bool bos = !x->h.mpls;
    exec_flush(x);
    m = pkt_insert(x->pkt, at, 4);
    if (!m) {
        x->stop = true;
        return;
    }
    ofp_wr32(m, label << 12 | (uint32_t) tc << 9 | (uint32_t) bos << 8 | ttl);
    ofp_wr16(m - 2, ethertype);
    exec_reparse(x);
}

static void
exec_pop_mpls(struct ofpl_exec *x, uint16_t ethertype)
{
    if (!x->h.mpls) {
        return;
    }
    exec_flush(x);
    ofp_wr16(x->pkt->data + x->h.l2_end, ethertype);
    /* Remove the 4 bytes of the label: move the L2 header over it. */
    pkt_remove(x->pkt, x->h.mpls, 4);
    exec_reparse(x);
}

/* dec_nw_ttl / set_nw_ttl: false if the packet must be dropped. */
static bool
exec_nw_ttl(struct ofpl_exec *x, bool dec, uint8_t ttl)
{
    uint8_t *l3 = x->pkt->data + x->h.l3;

    if (!x->h.l3 || (x->h.eth_type != OFP_ETH_TYPE_IPV4 && x->h.eth_type != OFP_ETH_TYPE_IPV6)) {
        return true;
    }
    exec_flush(x);
    if (x->h.eth_type == OFP_ETH_TYPE_IPV4) {
        uint8_t old = l3[8];
        if (dec) {
            if (old <= 1) {
                return false;
            }
            ttl = old - 1;
        }
        csum_replace16(l3 + 10, old << 8 | l3[9], ttl << 8 | l3[9]);
        l3[8] = ttl;
    } else {
        if (dec) {
            if (l3[7] <= 1) {
                return false;
            }
            ttl = l3[7] - 1;
        }
        l3[7] = ttl;
    }
    return true;
}

static bool
exec_mpls_ttl(struct ofpl_exec *x, bool dec, uint8_t ttl)
{
    uint8_t *m = x->pkt->data + x->h.mpls;

    if (!x->h.mpls) {
        return true;
    }
    exec_flush(x);
    if (dec) {
        if (m[3] <= 1) {
            return false;
        }
        ttl = m[3] - 1;
    }
    m[3] = ttl;
    return true;
}

/* The TTL of the header under the outermost MPLS label: the next label,
 * or an IPv4 or IPv6 header after the bottom of the stack (told by its
 * version nibble, as the label does not say).  NULL if none. */
static uint8_t *
mpls_inner_ttl(struct ofpl_exec *x, bool *ipv4)
{
    uint8_t *m = x->pkt->data + x->h.mpls;
    uint32_t next = x->h.mpls + 4;

    *ipv4 = false;
    if (!(m[2] & 1)) {
        return x->pkt->len >= next + 4 ? m + 7 : NULL;
    }
    if (x->pkt->len >= next + 20 && m[4] >> 4 == 4) {
        *ipv4 = true;
        return m + 4 + 8;
    }
    if (x->pkt->len >= next + 40 && m[4] >> 4 == 6) {
        return m + 4 + 7;
    }
    return NULL;
}

/* copy_ttl_out (inner -> outermost) and copy_ttl_in (outermost -> the
 * next header) between an MPLS label and what it carries.  Without MPLS
 * the outermost header with a TTL is IP, and Lamina does not parse
 * IP-in-IP: nothing to copy. */
static void
exec_copy_ttl(struct ofpl_exec *x, bool out)
{
    bool ipv4;
    uint8_t *m = x->pkt->data + x->h.mpls;
    uint8_t *inner = x->h.mpls ? mpls_inner_ttl(x, &ipv4) : NULL;

    if (!inner) {
        return;
    }
    exec_flush(x);
    if (out) {
        m[3] = *inner;
    } else {
        if (ipv4) {
            uint8_t *ip = inner - 8;
            csum_replace16(ip + 10, inner[0] << 8 | inner[1], m[3] << 8 | inner[1]);
        }
        *inner = m[3];
    }
}

static void exec_group(struct ofpl_exec *, uint32_t group_id, bool last);

/* Runs one action. */
static void
exec_action(struct ofpl_exec *x, const struct ofp_action *a, bool last)
{
    switch (a->type) {
    case OFPAT_OUTPUT:
        exec_output_port(x, a->output.port, a->output.max_len);
        break;
    case OFPAT_SET_FIELD:
        exec_set_field(x, a->set_field.field, &a->set_field.value);
        break;
    case OFPAT_PUSH_VLAN:
        exec_push_vlan(x, a->ethertype);
        break;
    case OFPAT_POP_VLAN:
        exec_pop_vlan(x);
        break;
    case OFPAT_PUSH_MPLS:
        exec_push_mpls(x, a->ethertype);
        break;
    case OFPAT_POP_MPLS:
        exec_pop_mpls(x, a->ethertype);
        break;
    case OFPAT_DEC_NW_TTL:
    case OFPAT_SET_NW_TTL:
        if (!exec_nw_ttl(x, a->type == OFPAT_DEC_NW_TTL, a->ttl)) {
            x->stop = true;
        }
        break;
    case OFPAT_DEC_MPLS_TTL:
    case OFPAT_SET_MPLS_TTL:
        if (!exec_mpls_ttl(x, a->type == OFPAT_DEC_MPLS_TTL, a->ttl)) {
            x->stop = true;
        }
        break;
    case OFPAT_SET_QUEUE:
        x->queue = a->queue_id;
        break;
    case OFPAT_GROUP:
        exec_group(x, a->group_id, last);
        break;
    case OFPAT_COPY_TTL_OUT:
    case OFPAT_COPY_TTL_IN:
        exec_copy_ttl(x, a->type == OFPAT_COPY_TTL_OUT);
        break;
    default:
        break;
    }
}

static void
exec_actions(struct ofpl_exec *x, const struct ofp_action *acts, size_t n,
             bool last)
{
    for (size_t i = 0; i < n && !x->stop; i++) {
        exec_action(x, &acts[i], last && i == n - 1);
    }
}

/* Runs bucket 'b' on a copy of the packet (or on the packet itself when
 * nothing follows: 'in_place'). */
static void
exec_bucket(struct ofpl_exec *x, struct ofpl_bucket *b, bool in_place)
{
    b->n_packets++;
    b->n_bytes += x->pkt->len;
    if (in_place) {
        x->depth++;
        exec_actions(x, b->acts, b->n_acts, true);
        x->depth--;
        return;
    }
    if (x->depth >= OFPL_MAX_DEPTH || x->pkt->len > OFPL_SCRATCH_LEN) {
        return;
    }
    struct ofpl_exec y = *x;
    struct ofpl_packet copy;
    uint8_t *buf = x->pl->scratch[x->depth];

    copy.data = buf + OFPL_SCRATCH_HEADROOM;
    copy.len = x->pkt->len;
    copy.headroom = OFPL_SCRATCH_HEADROOM;
    copy.idx = x->pkt->idx;
    memcpy(copy.data, x->pkt->data, x->pkt->len);
    y.pkt = &copy;
    y.has_pending = false;
    y.stop = false;
    y.depth++;
    exec_actions(&y, b->acts, b->n_acts, true);
    exec_flush(&y);
}

static bool
bucket_live(const struct ofpl_pipeline *pl, const struct ofpl_bucket *b)
{
    if (b->watch_port != OFPP13_ANY
        && !(b->watch_port >= 1 && b->watch_port <= OFPL_MAX_PORTS
             && ofpl_port_live(pl, b->watch_port - 1))) {
        return false;
    }
    if (b->watch_group != OFPG_ANY && !group_find(pl, b->watch_group)) {
        return false;
    }
    return true;
}

static void
exec_group(struct ofpl_exec *x, uint32_t group_id, bool last)
{
    struct ofpl_group *g = group_find(x->pl, group_id);

    x->impure = true;
    if (!g || !g->n_buckets || x->depth >= OFPL_MAX_DEPTH) {
        return;
    }
    g->n_packets++;
    g->n_bytes += x->pkt->len;
    switch (g->type) {
    case OFPGT11_ALL:
        for (size_t i = 0; i < g->n_buckets && !x->stop; i++) {
            exec_bucket(x, &g->buckets[i], last && i == g->n_buckets - 1);
        }
        break;
    case OFPGT11_INDIRECT:
        exec_bucket(x, &g->buckets[0], last);
        break;
    case OFPGT11_SELECT: {
        uint32_t total = 0, pick;
        for (size_t i = 0; i < g->n_buckets; i++) {
            if (bucket_live(x->pl, &g->buckets[i])) {
                total += g->buckets[i].weight ? g->buckets[i].weight : 1;
            }
        }
        if (!total) {
            return;
        }
        pick = key_hash_all(&x->key) % total;
        for (size_t i = 0; i < g->n_buckets; i++) {
            struct ofpl_bucket *b = &g->buckets[i];
            uint32_t w = b->weight ? b->weight : 1;
            if (!bucket_live(x->pl, b)) {
                continue;
            }
            if (pick < w) {
                exec_bucket(x, b, last);
                return;
            }
            pick -= w;
        }
        break;
    }
    case OFPGT11_FF:
        for (size_t i = 0; i < g->n_buckets; i++) {
            if (bucket_live(x->pl, &g->buckets[i])) {
                exec_bucket(x, &g->buckets[i], last);
                return;
            }
        }
        break;
    }
}

/* Action set order (section 5.10 of the specification). */
static int
aset_rank(const struct ofp_action *a)
{
    switch (a->type) {
    case OFPAT_COPY_TTL_IN: return 0;
    case OFPAT_POP_VLAN: case OFPAT_POP_MPLS: return 1;
    case OFPAT_PUSH_MPLS: return 2;
    case OFPAT_PUSH_VLAN: return 3;
    case OFPAT_COPY_TTL_OUT: return 4;
    case OFPAT_DEC_NW_TTL: case OFPAT_DEC_MPLS_TTL: return 5;
    case OFPAT_SET_FIELD: case OFPAT_SET_NW_TTL: case OFPAT_SET_MPLS_TTL: return 6;
    case OFPAT_SET_QUEUE: return 7;
    case OFPAT_GROUP: return 8;
    default: return 9;              /* output */
    }
}

static bool
aset_same(const struct ofp_action *a, const struct ofp_action *b)
{
    if (a->type != b->type) {
        return false;
    }
    return a->type != OFPAT_SET_FIELD || a->set_field.field == b->set_field.field;
}

static void
aset_write(struct ofpl_exec *x, const struct ofp_action *acts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t j;
        for (j = 0; j < x->n_aset; j++) {
            if (aset_same(x->aset[j], &acts[i])) {
                break;
            }
        }
        if (j < x->n_aset) {
            x->aset[j] = &acts[i];
        } else if (x->n_aset < OFPL_ASET_MAX) {
            x->aset[x->n_aset++] = &acts[i];
        }
    }
}

static void
aset_execute(struct ofpl_exec *x)
{
    const struct ofp_action *sorted[OFPL_ASET_MAX];
    bool has_group = false;
    uint8_t n = 0;

    if (!x->n_aset) {
        return;                     /* apply-actions only: the usual case */
    }
    for (int rank = 0; rank <= 9; rank++) {
        for (uint8_t j = 0; j < x->n_aset; j++) {
            if (aset_rank(x->aset[j]) == rank) {
                sorted[n++] = x->aset[j];
                has_group |= rank == 8;
            }
        }
    }
    for (uint8_t j = 0; j < n && !x->stop; j++) {
        if (has_group && sorted[j]->type == OFPAT_OUTPUT) {
            break;                  /* a group in the set overrides output */
        }
        exec_action(x, sorted[j], j == n - 1);
    }
}

/* A DSCP-remark band: raises the drop precedence of the packet's DSCP (the
 * 'y' of an AFxy class, bits 1-2) by 'prec_level', at most to 3, as
 * RFC 2597 and the reference switch do; the IPv4 checksum follows. */
static void
exec_dscp_remark(struct ofpl_exec *x, uint8_t prec_level)
{
    const uint8_t *l3 = x->pkt->data + x->h.l3;
    uint8_t dscp;

    if (x->h.eth_type == OFP_ETH_TYPE_IPV4 && x->h.l3) {
        dscp = l3[1] >> 2;
    } else if (x->h.eth_type == OFP_ETH_TYPE_IPV6 && x->h.l3) {
        dscp = (ofp_rd16(l3) >> 6) & 0x3f;
    } else {
        return;
    }
    unsigned dp = ((dscp >> 1) & 3) + prec_level;
    union ofp_value v = { .u8 = (dscp & ~6u) | (dp > 3 ? 3 : dp) << 1 };
    exec_set_field(x, OFP_F_IP_DSCP, &v);
}

/* Token-bucket meter: false if a drop band says drop; a DSCP-remark band
 * remarks the packet. */
static bool
meter_apply(struct ofpl_exec *x, struct ofpl_meter *m, uint32_t len,
            uint64_t now_ns)
{
    uint64_t dt = now_ns - m->last_ns;
    struct ofpl_band *hit = NULL;

    if (dt > 1000000000ull) {
        dt = 1000000000ull;
    }
    m->last_ns = now_ns;
    m->n_packets++;
    m->n_bytes += len;
    for (size_t i = 0; i < m->n_bands; i++) {
        struct ofpl_band *b = &m->bands[i];
        uint64_t cost = (m->flags & OFPMF13_PKTPS ? 1 : len) * 1000000ull;

        b->tokens += dt * b->per_s / 1000;
        if (b->tokens > b->capacity) {
            b->tokens = b->capacity;
        }
        if (b->tokens >= cost) {
            b->tokens -= cost;
        } else if (!hit || b->rate > hit->rate) {
            hit = b;
        }
    }
    if (!hit) {
        return true;
    }
    hit->n_packets++;
    hit->n_bytes += len;
    if (hit->type == OFPMBT13_DSCP_REMARK) {
        exec_dscp_remark(x, hit->prec_level);
    }
    return hit->type != OFPMBT13_DROP;
}

/* Counts a packet of 'len' bytes at 'now_ns' on flow 'f'. */
static inline void
flow_count(struct ofpl_flow *f, uint32_t len, uint64_t now_ns)
{
    f->n_packets++;
    f->n_bytes += len;
    f->used_ns = now_ns;
}

/* Runs the instructions of flow 'f'.  Returns the next table, or -1. */
static int
exec_flow(struct ofpl_exec *x, struct ofpl_flow *f)
{
    const struct ofp_instructions *in = &f->insts;

    flow_count(f, x->pkt->len, x->now_ns);
    x->table = f->table_id;
    x->cookie = f->cookie;
    x->table_miss_flow = !f->priority && !f->tuple->n_words;
    if (in->present & (1u << OFPIT_METER)) {
        struct ofpl_meter *m = meter_find(x->pl, in->meter_id);
        x->impure = true;
        if (m && !meter_apply(x, m, x->pkt->len, x->now_ns)) {
            x->stop = true;
            return -1;
        }
    }
    if (in->apply.n) {
        exec_actions(x, in->apply.actions, in->apply.n, false);
        if (x->stop) {
            return -1;
        }
    }
    if (in->present & (1u << OFPIT_CLEAR_ACTIONS)) {
        x->n_aset = 0;
    }
    if (in->write.n) {
        aset_write(x, in->write.actions, in->write.n);
    }
    if (in->present & (1u << OFPIT_WRITE_METADATA)) {
        x->key.w[5] = (x->key.w[5] & ~in->metadata_mask)
                      | (in->metadata & in->metadata_mask);
    }
    if (in->present & (1u << OFPIT_GOTO_TABLE)) {
        return in->goto_table;
    }
    return -1;
}

static void
exec_miss(struct ofpl_exec *x, uint8_t table)
{
    if (x->pl->params.miss == OFPL_MISS_CONTROLLER) {
        struct ofpl_out o = {
            .kind = OFPL_OUT_CONTROLLER, .reason = OFPL_REASON_NO_MATCH,
            .table = table, .cookie = UINT64_MAX, .max_len = OFPL_MAX_LEN_MISS,
            .port = x->in_vport,
        };
        exec_output(x, &o);
    }
}

static void
exec_finish(struct ofpl_exec *x, struct ofpl_out *out)
{
    if (x->has_pending) {
        *out = x->pending;
    } else {
        memset(out, 0, sizeof *out);
        out->kind = OFPL_OUT_DROP;
    }
}

/* The bytes of the headers the key was parsed from. */
static inline uint32_t
hdrs_end(const struct ofp_hdrs *h)
{
    if (h->l4) {
        return h->l4 + 4;
    }
    if (h->l3) {
        return h->l3 + (h->eth_type == OFP_ETH_TYPE_ARP ? 28 : h->eth_type == OFP_ETH_TYPE_IPV4 ? 20 : 40);
    }
    return h->mpls ? h->mpls + 4u : h->l2_end + 2u;
}

/* Does 'p' (at least OFPL_TRAIN_HDR bytes) start with the remembered
 * header bytes?  Eight words, no call. */
static inline bool
train_match(const struct ofpl_pipeline *pl, const uint8_t *p)
{
    uint64_t diff = 0;

    for (int i = 0; i < OFPL_TRAIN_HDR / 8; i++) {
        uint64_t a, h, m;
        memcpy(&a, p + 8 * i, 8);
        memcpy(&h, pl->last.hdr + 8 * i, 8);
        memcpy(&m, pl->train_mask + 8 * i, 8);
        diff |= (a & m) ^ h;
    }
    return !diff;
}

static void train_count(struct ofpl_pipeline *, uint32_t n, uint64_t bytes,
                        uint64_t now_ns);

/* Remembers the trip of packet 'pkt' from 'in_vport', whose headers 'h'
 * the key was parsed from, when its run changed only counters ('pure'). */
static void
train_remember(struct ofpl_pipeline *pl, const struct ofpl_packet *pkt,
               uint16_t in_vport, const struct ofp_hdrs *h, bool pure,
               struct ofpl_flow *const *steps, uint8_t n_steps, uint8_t miss_table,
               const struct ofpl_out *out)
{
    uint32_t end = hdrs_end(h);

    if (!pure || end > OFPL_TRAIN_HDR || pkt->len < OFPL_TRAIN_HDR) {
        pl->last.gen = 0;
        return;
    }
    pl->last.gen = pl->gen;
    pl->last.in_vport = in_vport;
    pl->last.len = pkt->len;
    pl->last.n_steps = n_steps;
    pl->last.miss_table = miss_table;
    memcpy(pl->last.steps, steps, n_steps * sizeof *steps);
    pl->last.out = *out;
    /* The mask: 'end' bytes of ones, then zeros; the header through it,
     * a word at a time (this runs for every packet that misses the cache:
     * with many flows, nearly all). */
    static const uint8_t ramp[2 * OFPL_TRAIN_HDR] = {
        [0 ... OFPL_TRAIN_HDR - 1] = 0xff,
    };
    memcpy(pl->train_mask, ramp + OFPL_TRAIN_HDR - end, OFPL_TRAIN_HDR);
    for (int i = 0; i < OFPL_TRAIN_HDR / 8; i++) {
        uint64_t a, m;
        memcpy(&a, pkt->data + 8 * i, 8);
        memcpy(&m, pl->train_mask + 8 * i, 8);
        a &= m;
        memcpy(pl->last.hdr + 8 * i, &a, 8);
    }
}

#define OFPL_AHEAD 8                /* packets (see ofpl_run_burst(); docs/design.md) */
#define OFPL_AHEAD_TUPLES 4         /* of the first table, best first */

/* A packet parsed ahead of its run (ofpl_run_burst() while the cache
 * thrashes): its key, header offsets and, unless the cache thrashed
 * when it was parsed, the key's hash. */
struct ofpl_parsed {
    struct ofpl_key key;
    struct ofp_hdrs h;
    bool hashed;                    /* 'hash' is the key's */
    uint32_t hash;
    bool remember;                  /* false: the next packet is no train
                                     * of this one (train_remember() would
                                     * be wasted) */
    uint8_t n_th;                   /* hashes in 'th' */
    uint32_t th[OFPL_AHEAD_TUPLES]; /* the key's in the first table's
                                     * first tuples */
};

/* Parses 'pkt', which entered on 'in_vport', into 'pp', and hashes its
 * key if 'hash' (else run_parsed() does, if it probes the cache). */
static inline void
run_parse(const struct ofpl_packet *pkt, uint16_t in_vport, bool hash,
          struct ofpl_parsed *pp)
{
    memset(&pp->key, 0, sizeof pp->key);
    pp->key.w[0] = (uint32_t) in_vport + 1;
    ofpl_key_parse(pkt->data, pkt->len, &pp->key, &pp->h);
    pp->hashed = hash;
    pp->hash = hash ? key_hash_all(&pp->key) : 0;
    pp->remember = true;
    pp->n_th = 0;
}

/* Does the next packet that is no train probe the cache?  Every one does,
 * until OFPL_EMC_THRASH misses ran in a row; then one in
 * OFPL_EMC_THRASH_PROBE (a probe that misses writes its entry; the first
 * hit ends the run).  Decided as each packet runs, from the run of
 * misses alone, so that a burst and the same packets one by one probe
 * the same packets. */
static inline bool
emc_probes(const struct ofpl_pipeline *pl)
{
    return pl->emc_miss_run < OFPL_EMC_THRASH
           || (pl->emc_miss_run + 1) % OFPL_EMC_THRASH_PROBE == 0;
}

/* Counts a cache hit or a 'miss': the counters, the run of misses (which
 * the first hit ends) and the share of misses among the last lookups,
 * 'emc_miss_share' (256ths, a moving average over about 16 lookups). */
static inline void
emc_count(struct ofpl_pipeline *pl, bool miss)
{
    if (miss) {
        pl->emc_misses++;
        pl->emc_miss_run++;
        pl->emc_miss_share += (256 - pl->emc_miss_share) / 16;
    } else {
        pl->emc_hits++;
        pl->emc_miss_run = 0;
        pl->emc_miss_share -= pl->emc_miss_share / 16;
    }
}

/* Stores the trip of 'n_steps' flows 'steps' (then a miss in table
 * 'miss_table', or 0xff) of the packet with key 'key' and hash 'h' in its
 * cache entry 'e' (a probe that missed: see emc_probes()). */
static inline void
emc_insert(struct ofpl_pipeline *pl, struct ofpl_emc_entry *e, uint32_t h,
           const struct ofpl_key *key, struct ofpl_flow *const *steps,
           uint8_t n_steps, uint8_t miss_table)
{
    e->key = *key;
    e->gen = pl->gen;
    pl->emc_sig[h & pl->emc_mask] = h;
    e->n_steps = n_steps;
    e->miss_table = miss_table;
    memcpy(e->steps, steps, n_steps * sizeof *steps);
}

/* The short run of packet 'pkt', from 'in_vport', whose trip is flow 'f'
 * of table 0 alone, a flow with 'out_port' (its instructions: one
 * apply-actions output to that port): the counters of the flow and the
 * table, then that output, as exec_flow() and exec_output_port() would
 * give (nothing back out of the ingress port, nothing to a port that is
 * not live), without setting up the executor (struct ofpl_exec) that
 * other flows need.  In the usual OpenFlow rule sets (match, forward)
 * this is every packet.  The caller counts the cache and remembers the
 * train. */
static inline void
run_short(struct ofpl_pipeline *pl, struct ofpl_flow *f,
          const struct ofpl_packet *pkt, uint16_t in_vport, uint64_t now_ns,
          struct ofpl_out *out)
{
    uint16_t v = f->out_port - 1;

    flow_count(f, pkt->len, now_ns);
    pl->tables[0].lookups++;
    pl->tables[0].matches++;
    memset(out, 0, sizeof *out);
    if (v != in_vport && (pl->live[v / 64] >> (v % 64)) & 1) {
        out->kind = OFPL_OUT_PORT;
        out->port = v;
    } else {
        out->kind = OFPL_OUT_DROP;
    }
}

static inline void run_parsed(struct ofpl_pipeline *, struct ofpl_packet *,
                              uint16_t in_vport, const struct ofpl_parsed *,
                              uint64_t now_ns, ofpl_emit_fn *, void *aux,
                              struct ofpl_out *);

void
ofpl_run(struct ofpl_pipeline *pl, struct ofpl_packet *pkt, uint16_t in_vport,
         uint64_t now_ns, ofpl_emit_fn *emit, void *aux, struct ofpl_out *out)
{
    struct ofpl_parsed pp;

    /* A train: the same headers as the previous packet, whose trip only
     * counted.  Count again; nothing else to do. */
    if (pl->last.gen == pl->gen && pl->last.in_vport == in_vport
        && pl->last.len == pkt->len && train_match(pl, pkt->data)) {
        train_count(pl, 1, pkt->len, now_ns);
        *out = pl->last.out;
        return;
    }
    run_parse(pkt, in_vport, false, &pp);
    run_parsed(pl, pkt, in_vport, &pp, now_ns, emit, aux, out);
}

/* What the first step of a run (run_first()) found, for the rest
 * (run_full()). */
struct ofpl_first {
    bool probe;                     /* the cache was probed: 'h', 'e' */
    bool hit;                       /* and it answered */
    bool looked;                    /* table 0 was looked up: 'f0' */
    uint32_t h;                     /* the key's hash */
    struct ofpl_emc_entry *e;       /* its cache entry */
    struct ofpl_flow *f0;           /* table 0's answer */
};

/* The first step of the run of 'pkt' (no train), parsed into 'pp': the
 * cache, else table 0; then, if the packet's only flow is a plain output
 * to a port, the short run (run_short()), which ends the run: true.
 * Otherwise false, with what it found in 'fi'.  Inline in the callers'
 * loops, so that the usual packet does not pay the call and the frame of
 * the full run. */
static inline bool
run_first(struct ofpl_pipeline *pl, struct ofpl_packet *pkt, uint16_t in_vport,
          const struct ofpl_parsed *pp, uint64_t now_ns, struct ofpl_out *out,
          struct ofpl_first *fi)
{
    bool probe = emc_probes(pl);
    uint32_t h = !probe ? 0 : pp->hashed ? pp->hash : key_hash_all(&pp->key);
    struct ofpl_emc_entry *e = &pl->emc[h & pl->emc_mask];
    /* The cache: the signature, then the entry (see emc_sig). */
    bool hit = probe && pl->emc_sig[h & pl->emc_mask] == h
               && likely(e->gen == pl->gen
                         && !memcmp(&e->key, &pp->key, sizeof pp->key));
    struct ofpl_flow *f0 = NULL;    /* table 0's answer, when looked up */
    bool looked = false;

    /* The short run (see run_short()): the packet's only flow, from the
     * cache or table 0, is a plain output to a port. */
    if (hit) {
        f0 = e->n_steps == 1 && e->miss_table == 0xff ? e->steps[0] : NULL;
    } else {
        f0 = table_lookup_hashed(&pl->tables[0], &pp->key, pp->th, pp->n_th);
        looked = true;
    }
    if (f0 && f0->out_port) {
        run_short(pl, f0, pkt, in_vport, now_ns, out);
        if (hit) {
            emc_count(pl, false);
        } else {
            emc_count(pl, true);
            if (probe) {
                emc_insert(pl, e, h, &pp->key, &f0, 1, 0xff);
            }
        }
        if (pp->remember) {
            train_remember(pl, pkt, in_vport, &pp->h, true, &f0, 1, 0xff, out);
        } else {
            pl->last.gen = 0;
        }
        return true;
    }
    fi->probe = probe;
    fi->hit = hit;
    fi->looked = looked;
    fi->h = h;
    fi->e = e;
    fi->f0 = f0;
    return false;
}

/* The rest of the run of 'pkt' after run_first() found 'fi': the steps
 * of a cache hit, else the tables one by one, with the instruction and
 * action interpreters. */
static void
run_full(struct ofpl_pipeline *pl, struct ofpl_packet *pkt, uint16_t in_vport,
         const struct ofpl_parsed *pp, const struct ofpl_first *fi,
         uint64_t now_ns, ofpl_emit_fn *emit, void *aux, struct ofpl_out *out)
{
    struct ofpl_exec x;
    bool probe = fi->probe, hit = fi->hit, looked = fi->looked;
    uint32_t h = fi->h;
    struct ofpl_emc_entry *e = fi->e;
    struct ofpl_flow *f0 = fi->f0;

    x.pl = pl;
    x.pkt = pkt;
    x.in_vport = in_vport;
    x.depth = 0;
    x.stop = false;
    x.impure = false;
    x.has_pending = false;
    x.now_ns = now_ns;
    x.emit = emit;
    x.aux = aux;
    x.queue = 0;
    x.table = 0;
    x.table_miss_flow = false;
    x.cookie = 0;
    x.n_aset = 0;
    x.key = pp->key;
    x.h = pp->h;

    if (hit) {
        int t = 0;
        emc_count(pl, false);
        for (uint8_t i = 0; i < e->n_steps && t >= 0 && !x.stop; i++) {
            struct ofpl_table *tb = &pl->tables[t];
            tb->lookups++;
            tb->matches++;
            t = exec_flow(&x, e->steps[i]);
        }
        if (t >= 0 && !x.stop && e->miss_table != 0xff) {
            pl->tables[e->miss_table].lookups++;
            exec_miss(&x, e->miss_table);
        } else if (!x.stop && t < 0) {
            aset_execute(&x);
        }
        exec_finish(&x, out);
        if (pp->remember) {
            train_remember(pl, pkt, in_vport, &x.h, !x.impure && !x.stop,
                           e->steps, e->n_steps, e->miss_table, out);
        } else {
            pl->last.gen = 0;
        }
        return;
    }

    /* Slow path: classify table by table, and remember the steps. */
    const struct ofpl_key *entry_key = &pp->key;
    struct ofpl_flow *steps[OFPL_EMC_STEPS];
    uint8_t n_steps = 0, miss_table = 0xff;
    bool cacheable = true;
    int t = 0;

    emc_count(pl, true);
    while (t >= 0 && !x.stop) {
        struct ofpl_table *tb = &pl->tables[t];
        /* In table 0 the key is still the parsed one, whose hashes in
         * the first tuples a look-ahead computed. */
        struct ofpl_flow *f = t ? table_lookup(tb, &x.key)
                              : looked ? f0
                              : table_lookup_hashed(tb, &x.key, pp->th, pp->n_th);
        tb->lookups++;
        if (!f) {
            miss_table = t;
            exec_miss(&x, t);
            break;
        }
        tb->matches++;
        if (n_steps < OFPL_EMC_STEPS) {
            steps[n_steps++] = f;
        } else {
            cacheable = false;
        }
        t = exec_flow(&x, f);
        if (t >= (int) pl->params.n_tables) {
            t = -1;                 /* checked at insertion; never here */
        }
    }
    if (t < 0 && !x.stop && miss_table == 0xff) {
        aset_execute(&x);
    }
    exec_finish(&x, out);
    if (cacheable && !x.stop && probe) {
        emc_insert(pl, e, h, entry_key, steps, n_steps, miss_table);
    }
    if (cacheable && !x.stop && pp->remember) {
        train_remember(pl, pkt, in_vport, &x.h, !x.impure && !x.stop,
                       steps, n_steps, miss_table, out);
    } else {
        pl->last.gen = 0;
    }
}

/* Runs 'pkt' (no train), parsed into 'pp', through the pipeline: the
 * cache, else the tables.  As ofpl_run() otherwise. */
static inline void
run_parsed(struct ofpl_pipeline *pl, struct ofpl_packet *pkt, uint16_t in_vport,
           const struct ofpl_parsed *pp, uint64_t now_ns, ofpl_emit_fn *emit,
           void *aux, struct ofpl_out *out)
{
    struct ofpl_first fi;

    if (!run_first(pl, pkt, in_vport, pp, now_ns, out, &fi)) {
        run_full(pl, pkt, in_vport, pp, &fi, now_ns, emit, aux, out);
    }
}

/* Adds 'n' packets of 'bytes' to the counters of the remembered trip. */
static void
train_count(struct ofpl_pipeline *pl, uint32_t n, uint64_t bytes, uint64_t now_ns)
{
    for (uint8_t i = 0; i < pl->last.n_steps; i++) {
        struct ofpl_flow *f = pl->last.steps[i];
        f->n_packets += n;
        f->n_bytes += bytes;
        f->used_ns = now_ns;
        pl->tables[f->table_id].lookups += n;
        pl->tables[f->table_id].matches += n;
    }
    if (pl->last.miss_table != 0xff) {
        pl->tables[pl->last.miss_table].lookups += n;
    }
    pl->train_hits += n;
}

/* While the cache thrashes (every packet a new flow), ofpl_run_burst()
 * looks ahead, in the manner of DPDK's bulk hash lookups: it parses and
 * hashes the whole burst first, prefetching each packet's buckets in the
 * first table's best tuples and its cache entry (unless a run of misses
 * says that few packets will probe the cache: emc_probes()); then,
 * running packet i,
 * it prefetches the flows that packet i + OFPL_AHEAD will most likely
 * match (a bucket's first flow whose hash is the packet's: the lines that
 * the lookup and the flow's instructions read).  The loads that each cost
 * a cache miss per packet when the cache entries and flows outnumber the
 * CPU's caches then overlap the work on the packets before.  Few flows
 * keep the plain loop: their packets are mostly trains, which need no
 * parse.  Prefetches change no result: tests check that bursts give the
 * outputs and counters of one-by-one runs. */

/* Prefetches the 'n' bytes at 'p' (every cache line they touch). */
static inline void
prefetch_lines(const void *p, size_t n)
{
    for (size_t off = 0; off < n; off += 64) {
        __builtin_prefetch((const char *) p + off);
    }
    __builtin_prefetch((const char *) p + n - 1);
}

/* Hashes 'pp''s key in the first table's best tuples, into pp->th, and
 * prefetches those buckets. */
static inline void
prefetch_buckets(const struct ofpl_table *tb, struct ofpl_parsed *pp)
{
    uint32_t i;

    for (i = 0; i < tb->n_tuples && i < OFPL_AHEAD_TUPLES; i++) {
        const struct ofpl_tuple *tu = tb->tuples[i];
        pp->th[i] = tuple_hash(tu, &pp->key);
        __builtin_prefetch(&tu->buckets[pp->th[i] & tu->bucket_mask]);
    }
    pp->n_th = i;
}

/* For 'pp''s key, prefetches in each of the first table's best tuples the
 * flow it most likely matches (the bucket's first flow, when its hash is
 * the key's or the chain is longer): the lines its lookup and its run
 * read (first line, counters, instructions, first actions). */
static inline void
prefetch_flows(const struct ofpl_table *tb, const struct ofpl_parsed *pp)
{
    for (uint32_t i = 0; i < pp->n_th; i++) {
        const struct ofpl_tuple *tu = tb->tuples[i];
        uint32_t h = pp->th[i];
        const struct ofpl_slot *s = &tu->buckets[h & tu->bucket_mask];
        if ((s->hash == h || s->n > 1) && s->flow) {
            const char *f = (const char *) s->flow;
            __builtin_prefetch(f);
            __builtin_prefetch(f + offsetof(struct ofpl_flow, n_packets));
            __builtin_prefetch(f + offsetof(struct ofpl_flow, insts));
            __builtin_prefetch(f + offsetof(struct ofpl_flow, acts));
        }
    }
}

/* The first pass of a look-ahead burst: parses 'n' packets into 'pp',
 * hashes them for the cache and prefetches their entries (unless the
 * cache thrashes), prefetches their buckets and the first packets' flows,
 * and marks which packets the next cannot be a train of. */
static void
parse_ahead(const struct ofpl_pipeline *pl, const struct ofpl_packet *pkts,
            const uint16_t *in_vports, uint16_t n, struct ofpl_parsed *pp)
{
    /* While the cache thrashes few of these packets will probe it (see
     * emc_probes()): they hash their keys when they run. */
    bool hash = pl->emc_miss_run < OFPL_EMC_THRASH;

    for (uint16_t i = 0; i < n; i++) {
        run_parse(&pkts[i], in_vports[i], hash, &pp[i]);
        if (hash) {
            __builtin_prefetch(&pl->emc_sig[pp[i].hash & pl->emc_mask]);
        }
        prefetch_buckets(&pl->tables[0], &pp[i]);
    }
    for (uint16_t i = 0; i < n && i < OFPL_AHEAD; i++) {
        prefetch_flows(&pl->tables[0], &pp[i]);
    }
    /* The signatures were prefetched above: only an entry whose
     * signature is the packet's hash may answer it, and is worth loading. */
    for (uint16_t i = 0; hash && i < n; i++) {
        uint32_t slot = pp[i].hash & pl->emc_mask;
        if (pl->emc_sig[slot] == pp[i].hash) {
            prefetch_lines(&pl->emc[slot], sizeof *pl->emc);
        }
    }
    /* A packet is a train of the one before only if their keys are equal
     * (the same header bytes, length and port parse to the same key):
     * otherwise the one before need not be remembered. */
    for (uint16_t i = 0; i + 1 < n; i++) {
        pp[i].remember = in_vports[i + 1] == in_vports[i]
                         && pkts[i + 1].len == pkts[i].len
                         && !memcmp(&pp[i + 1].key, &pp[i].key, sizeof pp[i].key);
    }
}

void
ofpl_run_burst(struct ofpl_pipeline *pl, struct ofpl_packet *pkts,
               const uint16_t *in_vports, uint16_t n, uint64_t now_ns,
               ofpl_emit_fn *emit, void *aux, struct ofpl_out *outs)
{
    bool ahead = n > 1 && pl->emc_miss_share > OFPL_EMC_AHEAD_SHARE;
    struct ofpl_parsed pp[ahead ? n : 1];
    uint32_t train = 0;
    uint64_t bytes = 0;

    if (ahead) {
        parse_ahead(pl, pkts, in_vports, n, pp);
    }
    for (uint16_t i = 0; i < n; i++) {
        struct ofpl_packet *pkt = &pkts[i];

        if (pl->last.gen == pl->gen && pl->last.in_vport == in_vports[i]
            && pl->last.len == pkt->len && train_match(pl, pkt->data)) {
            train++;
            bytes += pkt->len;
            outs[i] = pl->last.out;
            continue;
        }
        if (train) {
            train_count(pl, train, bytes, now_ns);
            train = 0;
            bytes = 0;
        }
        if (ahead) {
            if (i + OFPL_AHEAD < n) {
                prefetch_flows(&pl->tables[0], &pp[i + OFPL_AHEAD]);
            }
            run_parsed(pl, pkt, in_vports[i], &pp[i], now_ns, emit, aux, &outs[i]);
        } else {
            ofpl_run(pl, pkt, in_vports[i], now_ns, emit, aux, &outs[i]);
        }
    }
    if (train) {
        train_count(pl, train, bytes, now_ns);
    }
}

void
ofpl_run_actions(struct ofpl_pipeline *pl, struct ofpl_packet *pkt,
                 uint16_t in_vport, const struct ofp_action *acts, size_t n,
                 uint64_t now_ns, ofpl_emit_fn *emit, void *aux,
                 struct ofpl_out *out)
{
    struct ofpl_exec x;

    memset(&x, 0, sizeof x);
    x.pl = pl;
    x.pkt = pkt;
    x.in_vport = in_vport;
    x.now_ns = now_ns;
    x.emit = emit;
    x.aux = aux;
    x.table = OFPL_REASON_TABLE;
    x.key.w[0] = in_vport == OFPL_NO_PORT ? OFPP13_CONTROLLER : (uint32_t) in_vport + 1;
    ofpl_key_parse(pkt->data, pkt->len, &x.key, &x.h);
    exec_actions(&x, acts, n, true);
    exec_finish(&x, out);
}
