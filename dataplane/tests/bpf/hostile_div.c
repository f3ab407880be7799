/* Hostile: divides by a value the packet chooses (may be zero). */
#include "lamina_bpf.h"
LAMINA_PROGRAM lamina_u64
prog(struct lamina_ctx *ctx)
{
    return 1000 / ctx->pkt[0];
}
