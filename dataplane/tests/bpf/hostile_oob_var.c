/* Hostile: writes at an offset the packet chooses (unbounded). */
#include "lamina_bpf.h"
LAMINA_PROGRAM lamina_u64
prog(struct lamina_ctx *ctx)
{
    ctx->pkt[ctx->len] = 1;
    return LAMINA_DROP;
}
