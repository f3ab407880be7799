/* Hostile: indexes the stack with a value the packet chooses. */
#include "lamina_bpf.h"
LAMINA_PROGRAM lamina_u64
prog(struct lamina_ctx *ctx)
{
    volatile lamina_u64 a[4];
    return a[ctx->pkt[0] & 3];
}
