/* Valid: a bounded variable read, meta and a table update. */
#include "lamina_bpf.h"
LAMINA_PROGRAM lamina_u64
prog(struct lamina_ctx *ctx)
{
    lamina_u32 i = ctx->pkt[20];
    ctx->meta[0] = 7;
    if (i < 64) {
        ctx->pkt[i] ^= 0;
    }
    lamina_update(0, ctx->pkt[20], 0, ctx->in_vport);
    return ctx->pkt[20] == 0xee ? LAMINA_PUNT : ctx->pkt[21];
}
