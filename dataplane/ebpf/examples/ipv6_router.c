/* An IPv6 router for Lamina's "ebpf" forwarding plane.
 *
 * Tables (the vnode's config lists them in this order):
 *   0 "routes" (lpm):  prefix -> vport of the directly attached network
 *   1 "neigh"  (hash): IPv6 address -> MAC << 16 | vport (set by the SP)
 *   2 "iface"  (array): [vport] -> the router's MAC on that vport
 * A packet addressed to the router's MAC on its ingress vport is routed:
 * hop limit decremented, Ethernet addresses rewritten for the neighbour.
 * No route: dropped.  No neighbour or hop limit exhausted: punted to the
 * SP's controller (which resolves neighbours and sends ICMPv6 errors). */
#include "lamina_bpf.h"

#define ROUTES 0
#define NEIGH 1
#define IFACE 2

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
    if (p[21] <= 1) {
        ctx->meta[0] = 1;               /* reason: hop limit */
        return LAMINA_PUNT;
    }
    lamina_u64 d0 = lamina_be64(p + 38), d1 = lamina_be64(p + 46);
    lamina_u64 out = lamina_lookup(ROUTES, d0, d1);
    if (out == LAMINA_MISS) {
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
