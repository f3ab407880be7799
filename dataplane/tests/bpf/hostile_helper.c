/* Hostile: calls a helper Lamina does not have (a kernel one). */
#include "lamina_bpf.h"
static lamina_u64 (*kernel_helper)(lamina_u64) = (void *) 42;
LAMINA_PROGRAM lamina_u64
prog(struct lamina_ctx *ctx)
{
    return kernel_helper(ctx->len);
}
