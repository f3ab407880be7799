/* An L2 learning switch for Lamina's "ebpf" forwarding plane.
 * Tables: 0 "macs" (hash): MAC -> vport it was last seen on.
 * Like the built-in l2learn plane it never learns a group address or the
 * all-zero address (not a station's). */
#include "lamina_bpf.h"

#define MACS 0

LAMINA_PROGRAM lamina_u64
l2learn(struct lamina_ctx *ctx)
{
    if (ctx->len < 14) {
        return LAMINA_DROP;
    }
    lamina_u64 dst = lamina_be48(ctx->pkt);
    lamina_u64 src = lamina_be48(ctx->pkt + 6);

    if (src && !(ctx->pkt[6] & 1) && lamina_lookup(MACS, src, 0) != ctx->in_vport) {
        lamina_update(MACS, src, 0, ctx->in_vport);
    }
    if (ctx->pkt[0] & 1) {
        return LAMINA_FLOOD;
    }
    lamina_u64 port = lamina_lookup(MACS, dst, 0);
    return port == LAMINA_MISS ? LAMINA_FLOOD : port;
}
