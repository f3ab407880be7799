/* Hostile: too many instructions (straight-line, 5000+). */
#include "lamina_bpf.h"
#define A(n) x = x * 3 + ctx->pkt[(n) % 64];
#define B(n) A(n) A(n + 1) A(n + 2) A(n + 3) A(n + 4) A(n + 5) A(n + 6) A(n + 7) A(n + 8) A(n + 9)
#define C(n) B(n) B(n + 10) B(n + 20) B(n + 30) B(n + 40) B(n + 50) B(n + 60) B(n + 70) B(n + 80) B(n + 90)
LAMINA_PROGRAM lamina_u64
prog(struct lamina_ctx *ctx)
{
    volatile lamina_u64 x = 0;
    C(0) C(100) C(200) C(300) C(400) C(500) C(600) C(700) C(800) C(900)
    C(1000) C(1100)
    return x;
}
