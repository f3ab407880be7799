/* An IPv6 router for Lamina's "ebpf" forwarding plane.
 *
 * Tables (the vnode's config lists them in this order):
 *   0 "routes" (lpm):  prefix -> vport of the directly attached network
 *   1 "neigh"  (hash): IPv6 address -> MAC << 16 | vport (set by the SP)
 *   2 "iface"  (array): [vport] -> the router's MAC on that vport
 *   3 "addr"   (array, optional): [2 * vport] and [2 * vport + 1] -> the
 *      high and low 64 bits of the router's IPv6 address on that vport
 * A packet addressed to the router's MAC on its ingress vport is routed:
 * hop limit decremented, Ethernet addresses rewritten for the neighbour.
 * When the hop limit runs out, or there is no route, the router answers
 * with an ICMPv6 error (time exceeded, destination unreachable: no route;
 * RFC 4443) from its address on the ingress vport, quoting the start of
 * the packet; without an "addr" entry for that vport it punts the first
 * case to the SP's controller and drops the second.  No neighbour: punted
 * (the controller resolves it).  Needs a window of at least 128 bytes
 * (the default). */
#include "lamina_bpf.h"

#define ROUTES 0
#define NEIGH 1
#define IFACE 2
#define ADDR 3

#define ICMP6_DST_UNREACH 1
#define ICMP6_TIME_EXCEEDED 3

/* Quoted bytes of the packet in an error: what a 128-byte window holds
 * after the new Ethernet, IPv6 and ICMPv6 headers (14 + 40 + 8). */
#define QUOTE (128 - 62)

/* Turns the packet in 'ctx' into ICMPv6 error 'type' (code 0) from
 * 'mine' (the router's MAC) and address (a0, a1), back to its sender.
 * Returns the action. */
LAMINA_INLINE lamina_u64
icmp6_error(struct lamina_ctx *ctx, lamina_u64 mine, lamina_u64 a0, lamina_u64 a1,
            lamina_u8 type)
{
    lamina_u8 *p = ctx->pkt;
    lamina_u64 mac = lamina_be48(p + 6);
    lamina_u64 s0 = lamina_be64(p + 22), s1 = lamina_be64(p + 30);
    lamina_u32 q = ctx->len - 14 < QUOTE ? ctx->len - 14 : QUOTE;
    lamina_u64 sum;

    /* Never about an ICMPv6 error, nor to a multicast or unspecified
     * source (RFC 4443 2.4 e). */
    if ((p[20] == 58 && p[54] < 128) || p[22] == 0xff || (s0 == 0 && s1 == 0)) {
        return LAMINA_DROP;
    }
    /* Move the packet's start (from its IPv6 header) behind the new
     * headers, last byte first: bytes past its end read as zero. */
#pragma unroll
    for (int k = QUOTE - 1; k >= 0; k--) {
        p[62 + k] = p[14 + k];
    }
    lamina_put_be48(p, mac);
    lamina_put_be48(p + 6, mine);
    p[14] = 0x60; p[15] = 0; p[16] = 0; p[17] = 0;
    lamina_put_be16(p + 18, 8 + q);
    p[20] = 58;                         /* next header: ICMPv6 */
    p[21] = 64;
    lamina_put_be64(p + 22, a0);
    lamina_put_be64(p + 30, a1);
    lamina_put_be64(p + 38, s0);
    lamina_put_be64(p + 46, s1);
    p[54] = type; p[55] = 0; p[56] = 0; p[57] = 0;
    p[58] = 0; p[59] = 0; p[60] = 0; p[61] = 0;

    /* Checksum: the pseudo-header, then the message (zeros past its end
     * add nothing). */
    sum = 8 + q + 58;
#pragma unroll
    for (int k = 22; k < 128; k += 2) {
        sum += lamina_be16(p + k);
    }
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    lamina_put_be16(p + 56, ~sum);
    ctx->len = 62 + q;
    return LAMINA_REPLY;
}

LAMINA_PROGRAM lamina_u64
ipv6_router(struct lamina_ctx *ctx)
{
    lamina_u8 *p = ctx->pkt;

    if (ctx->len < 54 || lamina_be16(p + 12) != 0x86dd || (p[14] >> 4) != 6) {
        return LAMINA_DROP;
    }
    lamina_u64 mine = lamina_lookup(IFACE, ctx->in_vport, 0);
    if (mine == LAMINA_MISS || lamina_be48(p) != mine) {
        return LAMINA_DROP;             /* not for us (multicast: ND) */
    }
    lamina_u64 a0 = lamina_lookup(ADDR, 2 * ctx->in_vport, 0);
    lamina_u64 a1 = lamina_lookup(ADDR, 2 * ctx->in_vport + 1, 0);
    lamina_u8 have_addr = a0 != LAMINA_MISS && a1 != LAMINA_MISS;
    if (p[21] <= 1) {
        if (have_addr) {
            return icmp6_error(ctx, mine, a0, a1, ICMP6_TIME_EXCEEDED);
        }
        ctx->meta[0] = 1;               /* reason: hop limit */
        return LAMINA_PUNT;
    }
    lamina_u64 d0 = lamina_be64(p + 38), d1 = lamina_be64(p + 46);
    lamina_u64 out = lamina_lookup(ROUTES, d0, d1);
    if (out == LAMINA_MISS) {
        if (have_addr) {
            return icmp6_error(ctx, mine, a0, a1, ICMP6_DST_UNREACH);
        }
        return LAMINA_DROP;
    }
    lamina_u64 nb = lamina_lookup(NEIGH, d0, d1);
    if (nb == LAMINA_MISS || (nb & 0xffff) != out) {
        ctx->meta[0] = 2;               /* reason: no neighbour */
        return LAMINA_PUNT;
    }
    lamina_u64 src = lamina_lookup(IFACE, out, 0);
    if (src == LAMINA_MISS) {
        return LAMINA_DROP;
    }
    p[21]--;
    lamina_put_be48(p, nb >> 16);
    lamina_put_be48(p + 6, src);
    return out;
}
