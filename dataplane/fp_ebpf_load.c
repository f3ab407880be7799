/*
 * fp_ebpf_load: reading an SP's eBPF program from its ELF object with
 * libbpf, Lamina's own checks, and loading it with rte_bpf (validator,
 * JIT), with the reasons of a refusal in plain words (see fp_ebpf.h).
 */
#include "fp_ebpf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <rte_bpf.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "dp_private.h"
#include "ebpf/lamina_bpf.h"
#include "util.h"

static char fpe_libbpf_msg[DP_ERR_LEN];

static int
fpe_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    if (level != LIBBPF_DEBUG) {
        char line[DP_ERR_LEN];
        vsnprintf(line, sizeof line, fmt, ap);
        line[strcspn(line, "\n")] = '\0';
        if (line[0]) {
            const char *p = !strncmp(line, "libbpf: ", 8) ? line + 8 : line;
            str_copy(fpe_libbpf_msg, p, sizeof fpe_libbpf_msg);
        }
    }
    return 0;
}

int
fp_ebpf_read_elf(const char *path, struct ebpf_insn **insnsp, uint32_t *np,
                 struct dp_error *err)
{
    struct bpf_object *obj;
    struct bpf_program *prog, *found = NULL;
    int error = 0;

    fpe_libbpf_msg[0] = '\0';
    libbpf_print_fn_t old = libbpf_set_print(fpe_libbpf_print);
    obj = bpf_object__open_file(path, NULL);
    error = obj ? 0 : errno;
    libbpf_set_print(old);
    if (!obj) {
        dp_err(err, "ebpf: cannot read ELF object %s: %s%s%s", path,
               strerror(error), fpe_libbpf_msg[0] ? " (libbpf: " : "",
               fpe_libbpf_msg[0] ? fpe_libbpf_msg : "");
        if (fpe_libbpf_msg[0]) {
            strncat(err->msg, ")", sizeof err->msg - strlen(err->msg) - 1);
        }
        return error ? error : EINVAL;
    }
    struct bpf_map *map = bpf_object__next_map(obj, NULL);
    if (map) {
        dp_err(err, "ebpf: %s uses map or global data \"%s\": Lamina has no "
               "eBPF maps; use constants and the vnode's tables", path,
               bpf_map__name(map));
        error = EINVAL;
        goto out;
    }
    bpf_object__for_each_program(prog, obj) {
        if (!strcmp(bpf_program__section_name(prog), "lamina")) {
            if (found) {
                dp_err(err, "ebpf: %s has more than one program in section "
                       "\"lamina\"", path);
                error = EINVAL;
                goto out;
            }
            found = prog;
        }
    }
    if (!found) {
        dp_err(err, "ebpf: %s has no program in section \"lamina\" "
               "(mark it LAMINA_PROGRAM)", path);
        error = EINVAL;
        goto out;
    }
    size_t n = bpf_program__insn_cnt(found);
    if (n > FP_EBPF_MAX_INSNS) {
        dp_err(err, "ebpf: %s is too big: %zu instructions, the limit is %d",
               path, n, FP_EBPF_MAX_INSNS);
        error = E2BIG;
        goto out;
    }
    *insnsp = xmalloc(n * sizeof **insnsp);
    memcpy(*insnsp, bpf_program__insns(found), n * sizeof **insnsp);
    *np = n;
out:
    bpf_object__close(obj);
    return error;
}

/* rte_bpf's validator evaluates each instruction once per path that
 * reaches it, so a program with many branches in a row would hold the
 * control thread for minutes (20 unknown comparisons in a row: 7 s).
 * Count those evaluations (the program is a DAG once loops are refused;
 * backward jumps are left to the validator) and refuse too many. */
static int
fpe_check_paths(const struct ebpf_insn *insns, uint32_t n, struct dp_error *err)
{
    uint64_t *paths = xcalloc(n + 2, sizeof *paths);
    uint64_t visits = 0;
    int error = 0;

    paths[0] = 1;
    for (uint32_t i = 0; i < n && visits <= FP_EBPF_MAX_VISITS; i++) {
        const struct ebpf_insn *in = &insns[i];
        uint64_t p = paths[i];

        if (!p) {
            continue;
        }
        visits += p;
        if (in->code == (BPF_LD | BPF_IMM | EBPF_DW)) {
            paths[i + 2 <= n ? i + 2 : n] += p;
        } else if (BPF_CLASS(in->code) == BPF_JMP && BPF_OP(in->code) == EBPF_EXIT) {
            continue;
        } else if (BPF_CLASS(in->code) == BPF_JMP && BPF_OP(in->code) != EBPF_CALL) {
            int64_t to = (int64_t) i + 1 + in->off;
            if (to > i && to <= n) {
                paths[to] += p;
            }
            if (BPF_OP(in->code) != BPF_JA) {
                paths[i + 1] += p;
            }
        } else {
            paths[i + 1] += p;
        }
    }
    if (visits > FP_EBPF_MAX_VISITS) {
        dp_err(err, "ebpf: too many paths through the program to validate "
               "(over %d instruction evaluations): branch less", FP_EBPF_MAX_VISITS);
        error = E2BIG;
    }
    free(paths);
    return error;
}

int
fp_ebpf_check(const struct ebpf_insn *insns, uint32_t n, struct dp_error *err)
{
    if (!n) {
        dp_err(err, "ebpf: the program is empty");
        return EINVAL;
    }
    if (n > FP_EBPF_MAX_INSNS) {
        dp_err(err, "ebpf: the program is too big: %u instructions, the limit "
               "is %d", n, FP_EBPF_MAX_INSNS);
        return E2BIG;
    }
    int error = fpe_check_paths(insns, n, err);
    if (error) {
        return error;
    }
    for (uint32_t i = 0; i < n; i++) {
        const struct ebpf_insn *in = &insns[i];
        uint8_t cls = BPF_CLASS(in->code);

        if (in->code == (BPF_JMP | EBPF_CALL)) {
            if (in->src_reg) {
                dp_err(err, "ebpf: instruction %u calls a BPF function; "
                       "inline it (__always_inline)", i);
                return EINVAL;
            }
            if (in->imm < 1 || in->imm > LAMINA_HELPER_MAX) {
                dp_err(err, "ebpf: instruction %u calls unknown helper %d "
                       "(Lamina's are 1..%d, lamina_bpf.h)", i, in->imm,
                       LAMINA_HELPER_MAX);
                return EINVAL;
            }
        } else if (in->code == (BPF_LD | BPF_IMM | EBPF_DW) && in->src_reg) {
            dp_err(err, "ebpf: instruction %u loads a map or global data "
                   "reference; Lamina has no eBPF maps", i);
            return EINVAL;
        } else if (cls == BPF_LD && BPF_MODE(in->code) != BPF_IMM) {
            dp_err(err, "ebpf: instruction %u is a legacy packet load "
                   "(BPF_ABS/BPF_IND); read ctx->pkt instead", i);
            return EINVAL;
        } else if ((cls == BPF_ALU || cls == EBPF_ALU64)
                   && (BPF_OP(in->code) == BPF_DIV || BPF_OP(in->code) == BPF_MOD)) {
            if (BPF_SRC(in->code) == BPF_X) {
                dp_err(err, "ebpf: instruction %u divides by a register, which "
                       "may be zero; divide by nonzero constants only", i);
                return EINVAL;
            }
            if (!in->imm) {
                dp_err(err, "ebpf: instruction %u divides by zero", i);
                return EINVAL;
            }
        } else if ((cls == BPF_STX || cls == BPF_ST) && in->dst_reg == EBPF_REG_10
                   && in->off < -FP_EBPF_MAX_STACK) {
            dp_err(err, "ebpf: instruction %u uses more than %d bytes of stack",
                   i, FP_EBPF_MAX_STACK);
            return EINVAL;
        }
        if (cls == BPF_LD && in->code == (BPF_LD | BPF_IMM | EBPF_DW)) {
            i++;                        /* the second half of lddw */
        }
    }
    return 0;
}

bool
fp_ebpf_jit_safe(const struct ebpf_insn *insns, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (insns[i].code == (BPF_JMP | BPF_JSET | BPF_K)) {
            return false;
        }
    }
    return true;
}

struct rte_bpf *
fp_ebpf_load(const struct ebpf_insn *insns, uint32_t n, uint32_t window,
             struct dp_error *err)
{
    return fp_ebpf_load_with(insns, n, window, fp_ebpf_helpers, err);
}

/* Loads with the helper table 'helpers' (see fp_ebpf.h). */
struct rte_bpf *
fp_ebpf_load_with(const struct ebpf_insn *insns, uint32_t n, uint32_t window,
                  const struct rte_bpf_xsym *helpers, struct dp_error *err)
{
    struct rte_bpf_prm prm = {
        .ins = insns,
        .nb_ins = n,
        .xsym = helpers,
        .nb_xsym = LAMINA_HELPER_MAX + 1,
        .prog_arg = { .type = RTE_BPF_ARG_PTR, .size = LAMINA_CTX_HDR + window },
    };
    char *log = NULL;
    size_t log_len = 0;
    struct rte_bpf *bpf;

    if (fp_ebpf_check(insns, n, err)) {
        return NULL;
    }
    /* DPDK 22.11's interpreter leaves the upper bits of a 16 or 32-bit
     * "to little endian" alone on x86 while its JIT clears them (as the
     * eBPF spec says): found by test_bpf_diff.  Spell these as the
     * equivalent AND / 32-bit move, so both run the spec's meaning. */
    struct ebpf_insn *copy = xmalloc(n * sizeof *copy);
    memcpy(copy, insns, n * sizeof *copy);
    for (uint32_t i = 0; i < n; i++) {
        struct ebpf_insn *in = &copy[i];
        if (in->code == (BPF_ALU | EBPF_END | EBPF_TO_LE) && in->imm == 16) {
            *in = (struct ebpf_insn) { .code = EBPF_ALU64 | BPF_AND | BPF_K,
                                       .dst_reg = in->dst_reg, .imm = 0xffff };
        } else if (in->code == (BPF_ALU | EBPF_END | EBPF_TO_LE) && in->imm == 32) {
            *in = (struct ebpf_insn) { .code = BPF_ALU | EBPF_MOV | BPF_X,
                                       .dst_reg = in->dst_reg, .src_reg = in->dst_reg };
        }
    }
    prm.ins = copy;
    /* rte_bpf says why it refuses only in its log: catch it there. */
    FILE *old = rte_log_get_stream();
    FILE *mem = open_memstream(&log, &log_len);
    if (mem) {
        rte_openlog_stream(mem);
    }
    rte_errno = 0;
    bpf = rte_bpf_load(&prm);
    int error = rte_errno;
    if (mem) {
        rte_openlog_stream(old == stderr ? NULL : old);
        fclose(mem);
    }
    if (!bpf) {
        /* The validator's last line names the instruction and the reason. */
        char *reason = NULL;
        for (char *line = log ? strtok(log, "\n") : NULL; line;
             line = strtok(NULL, "\n")) {
            reason = line;
        }
        if (reason) {
            char *p = strstr(reason, "BPF: ");
            reason = p ? p + 5 : reason;
        }
        /* Say in plain words what the validator's terms mean. */
        static const char *const plain[][2] = {
            { "loop", "it loops (unroll loops)" },
            { "memory boundary", "it reads or writes out of bounds" },
            { "undefined", "it uses an uninitialised register or stack" },
            { "uninitialized", "it uses an uninitialised register or stack" },
            { "division by 0", "it divides by zero" },
            { "invalid external", "it calls an unknown helper" },
            { "variable offset", "it indexes the stack with a variable" },
            { "stack", "it uses too much stack" },
            { "program boundary", "it jumps out of the program" },
        };
        const char *what = "it is not valid eBPF";
        for (size_t i = 0; reason && i < ARRAY_SIZE(plain); i++) {
            if (strstr(reason, plain[i][0])) {
                what = plain[i][1];
                break;
            }
        }
        dp_err(err, "ebpf: refused: %s (rte_bpf validator: %.160s)", what,
               reason ? reason : strerror(error ? error : EINVAL));
    }
    free(log);
    free(copy);
    return bpf;
}

