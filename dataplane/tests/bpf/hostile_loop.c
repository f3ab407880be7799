/* Hostile: loops over the packet (refused: rte_bpf forbids back edges). */
#include "lamina_bpf.h"
LAMINA_PROGRAM lamina_u64
prog(struct lamina_ctx *ctx)
{
    lamina_u64 sum = 0;
    for (volatile lamina_u32 i = 0; i < ctx->len; i++) {
        sum += i;
    }
    return sum;
}
