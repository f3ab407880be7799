/* Valid: a bounded variable read, meta, a table update, and an action
 * chosen by the frame's marker byte (pkt[20]): 0xee punts (cookie 7),
 * 0xf0.. names no vport (bad action), else vport marker % 4. */
#include "lamina_bpf.h"
LAMINA_PROGRAM lamina_u64
prog(struct lamina_ctx *ctx)
{
    lamina_u32 i = ctx->pkt[21];
    lamina_u8 marker = ctx->pkt[20];

    ctx->meta[0] = 7;
    if (i < 64) {
        ctx->pkt[i] ^= 0;
    }
    lamina_update(0, marker, 0, ctx->in_vport);
    if (marker == 0xee) {
        return LAMINA_PUNT;
    }
    return marker >= 0xf0 ? 0x1234 : marker % 4;
}
