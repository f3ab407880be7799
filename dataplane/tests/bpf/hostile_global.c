/* Hostile: uses global data (Lamina has no eBPF maps). */
#include "lamina_bpf.h"
lamina_u64 counter;
LAMINA_PROGRAM lamina_u64
prog(struct lamina_ctx *ctx)
{
    (void) ctx;
    return counter++;
}
