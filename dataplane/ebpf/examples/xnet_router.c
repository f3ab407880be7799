/* A router for "xnet", a made-up non-IP protocol, for Lamina's "ebpf"
 * forwarding plane: it shows a slice carrying a network layer of its own.
 *
 * An xnet packet follows the Ethernet header with ethertype 0x88b5 (IEEE
 * local experimental):
 *   0  dst address (4 bytes: 16-bit network, 16-bit host, big-endian)
 *   4  src address (4 bytes)
 *   8  ttl (1 byte), then payload
 * Tables:
 *   0 "routes" (lpm):  address prefix (key a << 32) -> vport
 *   1 "neigh"  (hash): address -> MAC << 16 | vport (set by the SP)
 *   2 "iface"  (array): [vport] -> the router's MAC on that vport
 * Frames to the router's MAC are routed: ttl decremented (dropped at 0),
 * Ethernet addresses rewritten. */
#include "lamina_bpf.h"

#define XNET_TYPE 0x88b5
#define ROUTES 0
#define NEIGH 1
#define IFACE 2

LAMINA_PROGRAM lamina_u64
xnet_router(struct lamina_ctx *ctx)
{
    lamina_u8 *p = ctx->pkt;

    if (ctx->len < 23 || lamina_be16(p + 12) != XNET_TYPE) {
        return LAMINA_DROP;
    }
    lamina_u64 mine = lamina_lookup(IFACE, ctx->in_vport, 0);
    if (mine == LAMINA_MISS || lamina_be48(p) != mine) {
        return LAMINA_DROP;
    }
    if (p[22] <= 1) {
        return LAMINA_DROP;
    }
    lamina_u64 dst = (lamina_u64) lamina_be16(p + 14) << 16 | lamina_be16(p + 16);
    lamina_u64 out = lamina_lookup(ROUTES, dst << 32, 0);
    if (out == LAMINA_MISS) {
        return LAMINA_DROP;
    }
    lamina_u64 nb = lamina_lookup(NEIGH, dst << 32, 0);
    lamina_u64 src = lamina_lookup(IFACE, out, 0);
    if (nb == LAMINA_MISS || (nb & 0xffff) != out || src == LAMINA_MISS) {
        ctx->meta[0] = dst;
        return LAMINA_PUNT;
    }
    p[22]--;
    lamina_put_be48(p, nb >> 16);
    lamina_put_be48(p + 6, src);
    return out;
}
