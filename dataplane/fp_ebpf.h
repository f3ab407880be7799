/*
 * fp_ebpf: the `ebpf` forwarding-plane class (dp_fp.h): a vnode runs its
 * SP's eBPF program, JIT-compiled by DPDK's rte_bpf (its interpreter
 * where the JIT is not available).  What a program sees and may call is
 * dataplane/ebpf/lamina_bpf.h; docs/ebpf.md is the guide for an SP.
 *
 * Loading
 * =======
 *
 * The ELF object is read with libbpf (the program in section "lamina"),
 * checked against Lamina's limits (fp_ebpf_check(): instruction count,
 * known helpers only, no BPF-to-BPF calls, no maps or global data, no
 * division by a register, stack depth, paths through the program: the
 * validator walks each one, FP_EBPF_MAX_VISITS), then by rte_bpf's validator
 * (loops, out-of-bounds context accesses, uninitialised registers).  A
 * refused program changes nothing and the error says why.
 *
 * Config (vnode.add / vnode.set "config"):
 *   "program": path of the ELF object (required; read by the daemon)
 *   "window":  packet bytes the program sees (64..1536, default 128)
 *   "tables":  [{"name": N, "type": "hash"|"array"|"lpm", "size": S}]
 *              (at most FP_EBPF_MAX_TABLES, total size at most
 *              FP_EBPF_TABLE_QUOTA entries per vnode)
 * vnode.set loads a new program (and may add tables) while the old one
 * runs, then swaps one pointer without stopping the worker: a packet runs
 * all of one program or all of the other (the worker reads the pointer
 * once per burst), none is lost, and the old program is freed after
 * dp_quiesce().  Tables are kept.
 *
 * Context placement: the 64-byte context header is written into the
 * mbuf's headroom right before the packet, so the program's one
 * argument (header + window) is contiguous without a copy; bytes of the
 * window past the packet's first segment are zeroed, so a program never
 * sees a previous packet's bytes.
 */
#ifndef LAMINA_FP_EBPF_H
#define LAMINA_FP_EBPF_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "dp_fp.h"

#define FP_EBPF_MAX_INSNS 4096
#define FP_EBPF_MAX_STACK 512
#define FP_EBPF_MAX_VISITS (1 << 20)    /* rte_bpf validates each path */
#define FP_EBPF_MAX_TABLES 16
#define FP_EBPF_TABLE_QUOTA (1u << 18)
#define FP_EBPF_WINDOW_DEFAULT 128
#define FP_EBPF_WINDOW_MIN 64
#define FP_EBPF_WINDOW_MAX 1536

extern const struct dp_fp_class dp_fp_ebpf;

struct ebpf_insn;
struct rte_bpf;
struct rte_bpf_xsym;

/* The LAMINA_HELPER_MAX + 1 helpers a program may call, indexed by the
 * call's immediate (LAMINA_HELPER_* in ebpf/lamina_bpf.h; 0 is reserved). */
extern const struct rte_bpf_xsym *const fp_ebpf_helpers;

/* Reads the program of ELF object 'path' (section "lamina") into a new
 * array '*insns' of '*n' instructions (free() it).  Returns 0 or an errno
 * with 'err' naming the reason. */
int fp_ebpf_read_elf(const char *path, struct ebpf_insn **insns, uint32_t *n,
                     struct dp_error *err);

/* Lamina's own limits on 'n' instructions.  0 or EINVAL with 'err'. */
int fp_ebpf_check(const struct ebpf_insn *, uint32_t n, struct dp_error *err);

/* Checks and loads 'n' instructions for a context window of 'window'
 * bytes with Lamina's helpers; rte_bpf's validator's reason lands in
 * 'err'.  Returns the program or NULL. */
struct rte_bpf *fp_ebpf_load(const struct ebpf_insn *, uint32_t n,
                             uint32_t window, struct dp_error *err);

/* The same with another table of LAMINA_HELPER_MAX + 1 helpers of the
 * same names and signatures (the trace's, which record and change
 * nothing). */
struct rte_bpf *fp_ebpf_load_with(const struct ebpf_insn *, uint32_t n,
                                  uint32_t window,
                                  const struct rte_bpf_xsym *helpers,
                                  struct dp_error *err);

/* Whether rte_bpf's JIT runs these instructions right.  DPDK 22.11's x86
 * JIT miscompiles "jump if dst & imm" (BPF_JSET with an immediate: wrong
 * branches, even crashes; found by test_bpf_diff), so a program with one
 * runs in the interpreter.  clang writes "r &= imm; if r != 0" for C's
 * "if (x & imm)", so compiled C rarely has one. */
bool fp_ebpf_jit_safe(const struct ebpf_insn *, uint32_t n);

/* Control side, on the state of a vnode of class dp_fp_ebpf (from
 * dp_vnode_fp_state()); each pauses the workers itself.
 *
 * Keys and values are JSON: an integer, a "0x..." hex string of up to 32
 * digits (k0 its high 64 bits), an IPv6 or IPv4 address (an IPv4 address
 * a goes to k0 = a << 32, prefix aligned) or a MAC address (k0 = its 48
 * bits); an lpm key carries "/LEN".  Returns 0 or an errno with 'err'. */
int fp_ebpf_table_set(void *state, const char *table, const json_t *key,
                      const json_t *value, struct dp_error *err);
int fp_ebpf_table_del(void *state, const char *table, const json_t *key,
                      struct dp_error *err);
/* The entries of 'table' (all tables when NULL), or NULL with 'err'. */
json_t *fp_ebpf_table_dump(void *state, const char *table, struct dp_error *err);

#endif /* LAMINA_FP_EBPF_H */
