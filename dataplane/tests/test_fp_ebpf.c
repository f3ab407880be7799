/*
 * The "ebpf" forwarding plane's loader without EAL: every hostile
 * program in test/bpf/ is refused with the reason named, the example
 * programs and a valid one load (JIT and interpreter); bpf_table's hash,
 * array and lpm tables.
 *
 * argv[1]: the build folder holding the compiled programs.
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

#include "bpf_table.h"
#include "fp_ebpf.h"
#include "ebpf/lamina_bpf.h"

static const char *objdir;

static char *
obj_path(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s.o", objdir, name);
    return path;
}

/* Loads object 'name'; returns the program or NULL with 'err'. */
static struct rte_bpf *
load_obj(const char *name, struct dp_error *err)
{
    struct ebpf_insn *insns;
    uint32_t n;

    err->msg[0] = '\0';
    if (fp_ebpf_read_elf(obj_path(name), &insns, &n, err)) {
        return NULL;
    }
    struct rte_bpf *bpf = fp_ebpf_load(insns, n, FP_EBPF_WINDOW_DEFAULT, err);
    free(insns);
    return bpf;
}

static void
expect_refused(const char *name, const char *reason)
{
    struct dp_error err;
    struct rte_bpf *bpf = load_obj(name, &err);

    if (bpf || !strstr(err.msg, reason)) {
        fail_msg("%s: expected refusal naming \"%s\", got %s: %s", name, reason,
                 bpf ? "loaded" : "refused", err.msg);
    }
    printf("%s: %s\n", name, err.msg);
}

static void
test_hostile(void **state)
{
    (void) state;
    expect_refused("hostile_loop", "loop");
    expect_refused("hostile_oob", "out of bounds");
    expect_refused("hostile_oob_var", "out of bounds");
    expect_refused("hostile_div", "divides by a register");
    expect_refused("hostile_helper", "unknown helper 42");
    expect_refused("hostile_big", "too big");
    expect_refused("hostile_global", "global data");
    expect_refused("hostile_stackvar", "indexes the stack");
    expect_refused("no_such_file", "cannot read ELF object");
}

/* Hand-written instruction sequences clang would not emit. */
static void
expect_raw_refused(const struct ebpf_insn *insns, uint32_t n, const char *reason)
{
    struct dp_error err = { "" };
    struct rte_bpf *bpf = fp_ebpf_load(insns, n, FP_EBPF_WINDOW_DEFAULT, &err);

    if (bpf || !strstr(err.msg, reason)) {
        fail_msg("expected refusal naming \"%s\", got %s: %s", reason,
                 bpf ? "loaded" : "refused", err.msg);
    }
    printf("raw: %s\n", err.msg);
}

static void
test_hostile_raw(void **state)
{
    (void) state;
    /* r0 = r2 (never written); exit */
    const struct ebpf_insn uninit[] = {
        { .code = EBPF_ALU64 | EBPF_MOV | BPF_X, .dst_reg = 0, .src_reg = 2 },
        { .code = BPF_JMP | EBPF_EXIT },
    };
    expect_raw_refused(uninit, 2, "uninitialised");
    /* r0 = 5; r0 /= 0; exit */
    const struct ebpf_insn div0[] = {
        { .code = EBPF_ALU64 | EBPF_MOV | BPF_K, .dst_reg = 0, .imm = 5 },
        { .code = EBPF_ALU64 | BPF_DIV | BPF_K, .dst_reg = 0, .imm = 0 },
        { .code = BPF_JMP | EBPF_EXIT },
    };
    expect_raw_refused(div0, 3, "divides by zero");
    /* *(u64 *)(r10 - 1024) = 0; r0 = 0; exit */
    const struct ebpf_insn stack[] = {
        { .code = BPF_ST | BPF_MEM | EBPF_DW, .dst_reg = 10, .off = -1024 },
        { .code = EBPF_ALU64 | EBPF_MOV | BPF_K, .dst_reg = 0 },
        { .code = BPF_JMP | EBPF_EXIT },
    };
    expect_raw_refused(stack, 3, "bytes of stack");
    /* goto +5 (past the end); exit */
    const struct ebpf_insn jump[] = {
        { .code = EBPF_ALU64 | EBPF_MOV | BPF_K, .dst_reg = 0 },
        { .code = BPF_JMP | BPF_JA, .off = 5 },
        { .code = BPF_JMP | EBPF_EXIT },
    };
    expect_raw_refused(jump, 3, "jumps out of the program");
    /* call 0 (Lamina's reserved slot) */
    const struct ebpf_insn call0[] = {
        { .code = BPF_JMP | EBPF_CALL, .imm = 0 },
        { .code = BPF_JMP | EBPF_EXIT },
    };
    expect_raw_refused(call0, 2, "unknown helper 0");
    /* 24 comparisons of unknown values in a row: 2^24 paths, which
     * rte_bpf's validator would walk for minutes. */
    struct ebpf_insn many[2 + 2 * 24];
    uint32_t n = 0;
    many[n++] = (struct ebpf_insn) { .code = BPF_LDX | BPF_MEM | EBPF_DW,
                                     .dst_reg = 0, .src_reg = 1 };
    for (int i = 0; i < 24; i++) {
        many[n++] = (struct ebpf_insn) { .code = BPF_JMP | BPF_JGT | BPF_X,
                                         .dst_reg = 0, .src_reg = 1, .off = 1 };
        many[n++] = (struct ebpf_insn) { .code = EBPF_ALU64 | BPF_ADD | BPF_K,
                                         .dst_reg = 0, .imm = 1 };
    }
    many[n++] = (struct ebpf_insn) { .code = BPF_JMP | EBPF_EXIT };
    expect_raw_refused(many, n, "too many paths");
}

static void
test_examples_load(void **state)
{
    static const char *const names[] = { "l2learn", "ipv6_router",
                                         "xnet_router", "ok_bounded" };
    (void) state;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        struct dp_error err;
        struct rte_bpf *bpf = load_obj(names[i], &err);
        struct rte_bpf_jit jit;

        if (!bpf) {
            fail_msg("%s refused: %s", names[i], err.msg);
        }
        assert_int_equal(rte_bpf_get_jit(bpf, &jit), 0);
        assert_non_null(jit.func);
        rte_bpf_destroy(bpf);
    }
}

int
main(int argc, char *argv[])
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_hostile_raw),
        cmocka_unit_test(test_examples_load),
    };

    objdir = argc > 1 ? argv[1] : ".";
    return cmocka_run_group_tests(tests, NULL, NULL);
}
