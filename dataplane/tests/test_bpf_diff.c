/*
 * Differential test of rte_bpf's interpreter against its JIT, as the
 * "ebpf" forwarding plane loads programs (fp_ebpf_load(): Lamina's limits
 * and rte_bpf's validator).  Random valid programs -- ALU and ALU32
 * operations, byte swaps, loads and stores on the context, forward
 * branches -- run on the same random context through both; the return
 * value and the context afterwards must agree.
 *
 * argv[1] (optional): the number of programs (default 1000).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rte_bpf.h>

#include "fp_ebpf.h"
#include "ebpf/lamina_bpf.h"

#define CTX_SIZE (LAMINA_CTX_HDR + FP_EBPF_WINDOW_DEFAULT)
#define MAX_INSNS 256

static unsigned n_programs = 1000;
static uint64_t rng = 0x853c49e6748fea9bULL;

static uint32_t
rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t) (rng >> 16);
}

/* Data registers: everything but r1 (argument), r6 (the context) and r10. */
static const uint8_t data_regs[] = { 0, 2, 3, 4, 5, 7, 8, 9 };

static uint8_t
rnd_reg(void)
{
    return data_regs[rnd() % sizeof data_regs];
}

static int32_t
rnd_imm(void)
{
    switch (rnd() % 4) {
    case 0: return (int32_t) (rnd() % 16);
    case 1: return -(int32_t) (rnd() % 16);
    case 2: return (int32_t) rnd();
    default: return INT32_MIN + (int32_t) (rnd() % 4);
    }
}

/* Fills 'p' with a random valid program; returns its length. */
static uint32_t
gen_program(struct ebpf_insn *p)
{
    static const uint8_t sizes[] = { BPF_B, BPF_H, BPF_W, EBPF_DW };
    static const uint8_t size_bytes[] = { 1, 2, 4, 8 };
    static const uint8_t alu_ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_OR, BPF_AND,
                                       BPF_XOR, EBPF_MOV, BPF_DIV, BPF_MOD, BPF_LSH,
                                       BPF_RSH, EBPF_ARSH, BPF_NEG };
    static const uint8_t jmp_ops[] = { BPF_JEQ, EBPF_JNE, BPF_JGT, BPF_JGE,
                                       EBPF_JLT, EBPF_JLE, EBPF_JSGT, EBPF_JSGE,
                                       EBPF_JSLT, EBPF_JSLE, BPF_JSET };
    uint32_t n = 0, body = 8 + rnd() % (MAX_INSNS - 32);

    p[n++] = (struct ebpf_insn) { .code = EBPF_ALU64 | EBPF_MOV | BPF_X,
                                  .dst_reg = 6, .src_reg = 1 };
    for (size_t i = 0; i < sizeof data_regs; i++) {
        p[n++] = (struct ebpf_insn) { .code = BPF_LDX | BPF_MEM | EBPF_DW,
                                      .dst_reg = data_regs[i], .src_reg = 6,
                                      .off = (int16_t) (8 * (rnd() % (CTX_SIZE / 8))) };
    }
    uint32_t end = n + body, branches = 0;
    while (n < end) {
        uint32_t kind = rnd() % 10;
        if (kind >= 8 && ++branches > 10) {
            kind = rnd() % 8;           /* the validator walks every path */
        }
        struct ebpf_insn in = { .dst_reg = rnd_reg() };

        if (kind < 5) {
            bool is64 = rnd() & 1;
            uint8_t op = alu_ops[rnd() % sizeof alu_ops];
            if (op == EBPF_ARSH && !is64) {
                op = BPF_RSH;           /* rte_bpf has no 32-bit ARSH */
            }
            bool x = (rnd() & 1) && op != BPF_DIV && op != BPF_MOD && op != BPF_NEG
                     && op != BPF_LSH && op != BPF_RSH && op != EBPF_ARSH;
            in.code = (is64 ? EBPF_ALU64 : BPF_ALU) | op | (x ? BPF_X : BPF_K);
            if (x) {
                in.src_reg = rnd_reg();
            } else if (op == BPF_LSH || op == BPF_RSH || op == EBPF_ARSH) {
                in.imm = rnd() % (is64 ? 64 : 32);
            } else if (op == BPF_DIV || op == BPF_MOD) {
                in.imm = 1 + rnd() % 1000;
            } else if (op != BPF_NEG) {
                in.imm = rnd_imm();
            }
        } else if (kind == 5) {
            static const int widths[] = { 16, 32, 64 };
            in.code = BPF_ALU | EBPF_END | ((rnd() & 1) ? EBPF_TO_BE : EBPF_TO_LE);
            in.imm = widths[rnd() % 3];
        } else if (kind == 6) {
            unsigned s = rnd() % 4;
            in.code = BPF_LDX | BPF_MEM | sizes[s];
            in.src_reg = 6;
            in.off = (int16_t) (size_bytes[s] * (rnd() % (CTX_SIZE / size_bytes[s])));
        } else if (kind == 7) {
            unsigned s = rnd() % 4;
            bool imm = rnd() & 1;
            in.code = (imm ? BPF_ST : BPF_STX) | BPF_MEM | sizes[s];
            in.dst_reg = 6;
            in.src_reg = imm ? 0 : rnd_reg();
            in.imm = imm ? rnd_imm() : 0;
            in.off = (int16_t) (size_bytes[s] * (rnd() % (CTX_SIZE / size_bytes[s])));
        } else {
            bool x = rnd() & 1;
            uint32_t left = end - n - 1;
            unsigned jo = rnd() % sizeof jmp_ops;
            if (jmp_ops[jo] == BPF_JSET && (rnd() % 4)) {
                x = true;               /* JSET imm: see fp_ebpf_jit_safe() */
            }
            in.code = BPF_JMP | jmp_ops[jo] | (x ? BPF_X : BPF_K);
            in.src_reg = x ? rnd_reg() : 0;
            in.imm = x ? 0 : rnd_imm();
            in.off = (int16_t) (left ? 1 + rnd() % (left < 6 ? left : 6) : 0);
        }
        p[n++] = in;
    }
    p[n++] = (struct ebpf_insn) { .code = BPF_JMP | EBPF_EXIT };
    return n;
}

static void
test_differential(void **state)
{
    struct ebpf_insn prog[MAX_INSNS + 16];
    uint8_t ctx0[CTX_SIZE], ctx_i[CTX_SIZE], ctx_j[CTX_SIZE];
    unsigned interpreted = 0;
    (void) state;

    for (unsigned k = 0; k < n_programs; k++) {
        uint32_t n = gen_program(prog);
        struct dp_error err = { "" };
        struct rte_bpf *bpf = fp_ebpf_load(prog, n, FP_EBPF_WINDOW_DEFAULT, &err);
        struct rte_bpf_jit jit;

        if (!bpf) {
            /* The generator writes only valid programs. */
            unsigned pc = 0;
            const char *at = strstr(err.msg, "pc: ");
            if (at) {
                pc = atoi(at + 4);
            }
            fail_msg("program %u (%u insns) refused: %s (code %#x imm %d)", k, n,
                     err.msg, pc < n ? prog[pc].code : 0, pc < n ? prog[pc].imm : 0);
        }
        assert_int_equal(rte_bpf_get_jit(bpf, &jit), 0);
        assert_non_null(jit.func);
        if (!fp_ebpf_jit_safe(prog, n)) {
            /* Lamina runs it in the interpreter (fp_ebpf.h). */
            interpreted++;
            rte_bpf_destroy(bpf);
            continue;
        }
        for (int run = 0; run < 4; run++) {
            for (size_t i = 0; i < sizeof ctx0; i++) {
                ctx0[i] = run == 0 ? 0 : run == 1 ? 0xff : (uint8_t) rnd();
            }
            memcpy(ctx_i, ctx0, sizeof ctx0);
            memcpy(ctx_j, ctx0, sizeof ctx0);
            uint64_t ri = rte_bpf_exec(bpf, ctx_i);
            uint64_t rj = jit.func(ctx_j);
            if (ri != rj || memcmp(ctx_i, ctx_j, sizeof ctx_i)) {
                for (size_t i = 0; i < sizeof ctx_i; i++) {
                    if (ctx_i[i] != ctx_j[i]) {
                        fprintf(stderr, "byte %zu: was %#x, interpreter %#x, JIT %#x\n",
                                i, ctx0[i], ctx_i[i], ctx_j[i]);
                    }
                }
                for (uint32_t i = 0; i < n; i++) {
                    uint8_t cls = BPF_CLASS(prog[i].code);
                    if (cls == BPF_ST || cls == BPF_STX) {
                        fprintf(stderr, "pc %u: code %#x src r%u off %d imm %d\n", i,
                                prog[i].code, prog[i].src_reg, prog[i].off, prog[i].imm);
                    }
                }
                fail_msg("program %u run %d: interpreter %#llx, JIT %#llx%s", k,
                         run, (unsigned long long) ri, (unsigned long long) rj,
                         memcmp(ctx_i, ctx_j, sizeof ctx_i) ? ", contexts differ" : "");
            }
        }
        rte_bpf_destroy(bpf);
    }
    printf("%u random programs agree between interpreter and JIT (%u more "
           "with JSET imm, which Lamina does not JIT)\n", n_programs - interpreted,
           interpreted);
    assert_true(interpreted < n_programs / 2);
}

int
main(int argc, char *argv[])
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_differential),
    };

    if (argc > 1) {
        n_programs = atoi(argv[1]);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
