/* Hostile: reads past the context window. */
#include "lamina_bpf.h"
LAMINA_PROGRAM lamina_u64
prog(struct lamina_ctx *ctx)
{
    return ctx->pkt[4000];
}
