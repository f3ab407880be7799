/* Valid, and rude: whatever enters on vport 1 goes back out of it
 * (LAMINA_REPLY), whatever enters elsewhere goes out of vport 1.  Two
 * vnodes running it, joined by a virtual link inside one switch at
 * vport 1 of each, toss a frame back and forth: the dataplane must stop
 * that (test_dp.c, test_vnodes_loop). */
#include "lamina_bpf.h"
LAMINA_PROGRAM lamina_u64
prog(struct lamina_ctx *ctx)
{
    return ctx->in_vport == 1 ? LAMINA_REPLY : 1;
}
