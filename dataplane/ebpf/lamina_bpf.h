/*
 * lamina_bpf.h: what an SP's eBPF program for Lamina's "ebpf" forwarding
 * plane sees and may call.  Include it from BPF C (clang -O2 -target bpf);
 * it needs no DPDK and no kernel headers.  docs/ebpf.md is the guide.
 *
 * The program
 * ===========
 *
 * One function in ELF section "lamina" (LAMINA_PROGRAM), taking a
 * 'struct lamina_ctx *' and returning an action.  It runs once per packet
 * that enters the vnode on one of its vports.  Helpers must be inlined
 * (no BPF-to-BPF calls), there is no global data (use constants and
 * tables), loops are refused (unroll them), and the stack is 512 bytes.
 *
 * Context
 * =======
 *
 * The context is one buffer: a 64-byte header, then the first 'window'
 * bytes of the packet (default 128, set by the vnode's config).  Bytes
 * past the end of the packet read as zero; a program checks 'len' before
 * trusting them.  The program may rewrite packet bytes in place (e.g.
 * decrement a hop limit); the packet's length does not change.
 * 'meta' is scratch space for the program, zeroed before each packet;
 * meta[0] travels with a punted packet to the controller (its cookie).
 *
 * Actions
 * =======
 *
 * A vport index of the vnode (0..n_vports-1, see 'lamina vnode dump'; the
 * ingress vport itself drops: no reflection by mistake), LAMINA_FLOOD
 * (every vport but the ingress one), LAMINA_DROP, LAMINA_PUNT (to the
 * SP's controller), or LAMINA_REPLY: back out of the ingress vport, for
 * a packet the program turned into an answer (e.g. an ICMP error).  Any
 * other value drops the packet and counts as "bad_action": a program can
 * never reach another vnode.
 *
 * Length
 * ======
 *
 * The program may set 'len' to a new length, 14..'window' (from what it
 * wrote in pkt[]: e.g. an ICMP error quoting part of the packet): the
 * packet is cut or grown to it before it leaves.  Growing needs a packet
 * in one segment (always the case up to 2 KB today); a length outside
 * that range drops the packet ("bad_len").
 *
 * Tables
 * ======
 *
 * The vnode's tables are declared in its config ("tables": [{"name",
 * "type": "hash"|"array"|"lpm", "size"}]); the program names a table by
 * its index in that list.  Keys are 128 bits as two 64-bit words (k0 the
 * most significant: an LPM prefix starts at k0's top bit); values are
 * 64 bits, any but LAMINA_MISS.  Tables live with the vnode, so they
 * survive a program swap, and the SP's control plane can read and write
 * them (lamina vnode table ...).
 */
#ifndef LAMINA_BPF_H
#define LAMINA_BPF_H 1

#ifndef __LAMINA_BPF_TYPES
#define __LAMINA_BPF_TYPES 1
typedef unsigned char lamina_u8;
typedef unsigned short lamina_u16;
typedef unsigned int lamina_u32;
typedef unsigned long long lamina_u64;
#endif

#define LAMINA_CTX_HDR 64               /* bytes before pkt[] */
#define LAMINA_META_WORDS 4

struct lamina_ctx {
    lamina_u32 len;                     /* packet length in bytes */
    lamina_u32 window;                  /* bytes of pkt[] readable */
    lamina_u16 in_vport;                /* vport the packet entered on */
    lamina_u16 n_vports;                /* vport indexes are 0..n_vports-1 */
    lamina_u32 vnode_id;                /* stable id of this vnode */
    lamina_u64 now_ns;                  /* dataplane clock */
    lamina_u64 meta[LAMINA_META_WORDS]; /* scratch; meta[0]: punt cookie */
    lamina_u64 reserved;
    lamina_u8 pkt[];                    /* the packet, 'window' bytes */
};

/* Actions (anything else below 0xfff0 is a vport index). */
#define LAMINA_DROP  0xffffULL
#define LAMINA_FLOOD 0xfffeULL
#define LAMINA_PUNT  0xfff0ULL
#define LAMINA_REPLY 0xfff1ULL

/* A lookup that found nothing. */
#define LAMINA_MISS  0xffffffffffffffffULL

/* Table types, as in the config. */
#define LAMINA_TABLE_HASH  0
#define LAMINA_TABLE_ARRAY 1
#define LAMINA_TABLE_LPM   2

/* Helper indexes (the call's immediate; do not renumber). */
#define LAMINA_HELPER_LOOKUP     1
#define LAMINA_HELPER_UPDATE     2
#define LAMINA_HELPER_DELETE     3
#define LAMINA_HELPER_LPM_UPDATE 4
#define LAMINA_HELPER_LPM_DELETE 5
#define LAMINA_HELPER_MAX        5

#ifdef __bpf__
#define LAMINA_PROGRAM __attribute__((section("lamina"), used))
#define LAMINA_INLINE static inline __attribute__((always_inline))

/* Value of key (k0, k1) in 'table' (hash: exact key; array: index k0;
 * lpm: the longest prefix that covers the key), or LAMINA_MISS. */
static lamina_u64 (*lamina_lookup)(lamina_u64 table, lamina_u64 k0,
                                   lamina_u64 k1) = (void *) LAMINA_HELPER_LOOKUP;
/* Sets key (k0, k1) to 'value' (hash, array).  0, or a negative errno:
 * -ENOSPC when the table is full, -EINVAL for a bad table or value. */
static long long (*lamina_update)(lamina_u64 table, lamina_u64 k0, lamina_u64 k1,
                                  lamina_u64 value) = (void *) LAMINA_HELPER_UPDATE;
/* Removes key (k0, k1) (hash; array: sets LAMINA_MISS).  0 or -ENOENT. */
static long long (*lamina_delete)(lamina_u64 table, lamina_u64 k0,
                                  lamina_u64 k1) = (void *) LAMINA_HELPER_DELETE;
/* Sets prefix (k0, k1)/plen (0..128) of an lpm table to 'value'. */
static long long (*lamina_lpm_update)(lamina_u64 table, lamina_u64 k0, lamina_u64 k1,
                                      lamina_u64 plen, lamina_u64 value)
    = (void *) LAMINA_HELPER_LPM_UPDATE;
/* Removes prefix (k0, k1)/plen.  0 or -ENOENT. */
static long long (*lamina_lpm_delete)(lamina_u64 table, lamina_u64 k0, lamina_u64 k1,
                                      lamina_u64 plen) = (void *) LAMINA_HELPER_LPM_DELETE;

/* Big-endian loads from the packet (p must lie inside pkt[]). */
LAMINA_INLINE lamina_u16
lamina_be16(const lamina_u8 *p)
{
    return (lamina_u16) (p[0] << 8 | p[1]);
}

LAMINA_INLINE lamina_u64
lamina_be48(const lamina_u8 *p)
{
    return (lamina_u64) p[0] << 40 | (lamina_u64) p[1] << 32
           | (lamina_u64) p[2] << 24 | (lamina_u64) p[3] << 16
           | (lamina_u64) p[4] << 8 | p[5];
}

LAMINA_INLINE lamina_u64
lamina_be64(const lamina_u8 *p)
{
    return lamina_be48(p) << 16 | (lamina_u64) p[6] << 8 | p[7];
}

/* Writes the low 16 bits of 'v' big-endian at p. */
LAMINA_INLINE void
lamina_put_be16(lamina_u8 *p, lamina_u64 v)
{
    p[0] = v >> 8; p[1] = v;
}

/* Writes 'v' big-endian at p. */
LAMINA_INLINE void
lamina_put_be64(lamina_u8 *p, lamina_u64 v)
{
    p[0] = v >> 56; p[1] = v >> 48; p[2] = v >> 40; p[3] = v >> 32;
    p[4] = v >> 24; p[5] = v >> 16; p[6] = v >> 8; p[7] = v;
}

/* Writes the low 48 bits of 'v' big-endian at p (a MAC address). */
LAMINA_INLINE void
lamina_put_be48(lamina_u8 *p, lamina_u64 v)
{
    p[0] = v >> 40; p[1] = v >> 32; p[2] = v >> 24;
    p[3] = v >> 16; p[4] = v >> 8; p[5] = v;
}
#endif /* __bpf__ */

#endif /* LAMINA_BPF_H */
