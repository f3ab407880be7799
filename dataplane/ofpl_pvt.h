/*
 * ofpl_pvt: internals shared by the files of the OpenFlow pipeline.
 *
 * ofpl.h says what the pipeline does; its code is in five files, along
 * the sections of the design:
 *
 *   ofpl_key.c     flow matches as (value, mask) keys; packets as keys
 *                  (the parse itself is lib/openflow/ofp-extract.h);
 *   ofpl_cls.c     the pipeline, its flow tables and their tuples;
 *   ofpl_exec.c    the fast path: the exact-match cache, trains, tables,
 *                  instructions, actions, groups, meters; port liveness;
 *   ofpl_mod.c     FLOW_MOD, GROUP_MOD, METER_MOD and timeouts;
 *   ofpl_stats.c   what the controller and people read back.
 *
 * What the fast path calls on every packet (the key layout, the parse,
 * the hash, the tuple lookup, the group and meter search) is static inline
 * here, so ofpl_exec.c compiles it into its own loop as when it was one
 * file.
 */
#ifndef LAMINA_OFPL_PVT_H
#define LAMINA_OFPL_PVT_H 1

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ofpl.h"
#include "ofp-extract.h"

#define OFPL_EMC_DEFAULT 4096
/* After this many cache misses in a row the cache is thrashing (more
 * flows than entries, each seen again only after the others): then only
 * one packet in OFPL_EMC_THRASH_PROBE probes the cache, and writes its
 * entry when it misses, so the others pay neither the hash of the whole
 * key nor a write of a whole entry; the first hit ends the run
 * (emc_probes(), ofpl_exec.c).  (Open vSwitch's EMC inserts 1 in 100
 * misses always, and probes for every packet.) */
#define OFPL_EMC_THRASH 64
#define OFPL_EMC_THRASH_PROBE 32
/* ofpl_run_burst() looks ahead while more than this share (in 256ths)
 * of the recent cache lookups missed: while most packets are new flows.
 * (A rare hit among thousands of misses, which ends the run of misses,
 * does not end the look-ahead.) */
#define OFPL_EMC_AHEAD_SHARE 192
#define OFPL_EMC_STEPS 4
#define OFPL_ASET_MAX 32
#define OFPL_MAX_DEPTH 4            /* group chaining */
#define OFPL_METER_MAX_BANDS 16     /* bands per meter (METER_FEATURES) */
#define OFPL_SCRATCH_HEADROOM 128
#define OFPL_SCRATCH_LEN 2048
#define OFPL_TRAIN_HDR 64           /* header bytes compared for trains */

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* ---- Keys --------------------------------------------------------------- */

/* Where each field lives in struct ofpl_key: word, first bit, width.  IPv6
 * addresses take two whole words (width 128). */
struct ofpl_kfield {
    uint8_t word, shift, bits;
};

static const struct ofpl_kfield ofpl_kf[OFP_F_N] = {
    [OFP_F_IN_PORT]     = { 0, 0, 32 },
    [OFP_F_ETH_TYPE]    = { 0, 32, 16 },
    [OFP_F_VLAN_VID]    = { 0, 48, 13 },
    [OFP_F_VLAN_PCP]    = { 0, 61, 3 },
    [OFP_F_ETH_DST]     = { 1, 0, 48 },
    [OFP_F_IP_PROTO]    = { 1, 48, 8 },
    [OFP_F_IP_DSCP]     = { 1, 56, 6 },
    [OFP_F_IP_ECN]      = { 1, 62, 2 },
    [OFP_F_ETH_SRC]     = { 2, 0, 48 },
    [OFP_F_TCP_SRC]     = { 2, 48, 16 },
    [OFP_F_UDP_SRC]     = { 2, 48, 16 },
    [OFP_F_SCTP_SRC]    = { 2, 48, 16 },
    [OFP_F_ICMPV4_TYPE] = { 2, 48, 16 },
    [OFP_F_ICMPV6_TYPE] = { 2, 48, 16 },
    [OFP_F_IPV4_SRC]    = { 3, 0, 32 },
    [OFP_F_ARP_SPA]     = { 3, 0, 32 },
    [OFP_F_IPV4_DST]    = { 3, 32, 32 },
    [OFP_F_ARP_TPA]     = { 3, 32, 32 },
    [OFP_F_TCP_DST]     = { 4, 0, 16 },
    [OFP_F_UDP_DST]     = { 4, 0, 16 },
    [OFP_F_SCTP_DST]    = { 4, 0, 16 },
    [OFP_F_ICMPV4_CODE] = { 4, 0, 16 },
    [OFP_F_ICMPV6_CODE] = { 4, 0, 16 },
    [OFP_F_ARP_OP]      = { 4, 16, 16 },
    [OFP_F_MPLS_LABEL]  = { 4, 32, 20 },
    [OFP_F_MPLS_TC]     = { 4, 52, 3 },
    [OFP_F_MPLS_BOS]    = { 4, 55, 1 },
    [OFP_F_METADATA]    = { 5, 0, 64 },
    [OFP_F_ARP_SHA]     = { 6, 0, 48 },
    [OFP_F_ARP_THA]     = { 7, 0, 48 },
    [OFP_F_IPV6_FLABEL] = { 8, 0, 20 },
    [OFP_F_IPV6_SRC]    = { 9, 0, 128 },
    [OFP_F_IPV6_DST]    = { 11, 0, 128 },
    [OFP_F_TUNNEL_ID]   = { 13, 0, 64 },
    /* IPv6 Neighbor Discovery: never with IPv4 or ARP, so in their words;
     * a solicitation has only a source, an advertisement only a target
     * link-layer address. */
    [OFP_F_IPV6_ND_TARGET] = { 6, 0, 128 },
    [OFP_F_IPV6_ND_SLL] = { 3, 0, 48 },
    [OFP_F_IPV6_ND_TLL] = { 3, 0, 48 },
};

static inline uint64_t
kf_mask(const struct ofpl_kfield *k)
{
    return (k->bits == 64 ? UINT64_MAX : ((1ull << k->bits) - 1)) << k->shift;
}

static inline void
key_put(struct ofpl_key *key, enum ofp_field f, uint64_t v)
{
    const struct ofpl_kfield *k = &ofpl_kf[f];
    uint64_t m = kf_mask(k);

    key->w[k->word] = (key->w[k->word] & ~m) | ((v << k->shift) & m);
}

/* Stores field 'f' = 'v' into 'key'. */
static inline void
key_put_value(struct ofpl_key *key, enum ofp_field f, const union ofp_value *v)
{
    if (ofpl_kf[f].bits == 128) {
        key->w[ofpl_kf[f].word] = ofp_rd64(v->ipv6);
        key->w[ofpl_kf[f].word + 1] = ofp_rd64(v->ipv6 + 8);
    } else {
        key_put(key, f, ofp_value_to_u64(f, v));
    }
}

/* Key fields: ORs 'value' into field 'f' of the key 'ctx' (whose bits
 * there are zero).  With 'f' a constant, this is one shift and one OR. */
static inline void
ofpl_key_put(void *ctx, enum ofp_field f, uint64_t value)
{
    struct ofpl_key *key = ctx;
    key->w[ofpl_kf[f].word] |= value << ofpl_kf[f].shift;
}

static inline void
ofpl_key_put128(void *ctx, enum ofp_field f, const uint8_t *bytes)
{
    struct ofpl_key *key = ctx;
    key->w[ofpl_kf[f].word] = ofp_rd64(bytes);
    key->w[ofpl_kf[f].word + 1] = ofp_rd64(bytes + 8);
}

/* Parses the frame 'p' of 'len' bytes into 'k' with the shared parse
 * (ofp-extract.h), its header offsets into 'h'.  The caller zeroed every
 * word of 'k' but in_port, metadata and tunnel_id. */
static inline void
ofpl_key_parse(const uint8_t *p, uint32_t len, struct ofpl_key *k,
               struct ofp_hdrs *h)
{
    ofp_extract(p, len, h, ofpl_key_put, ofpl_key_put128, k);
}

static inline uint32_t
crc64(uint32_t h, uint64_t v)
{
#ifdef __SSE4_2__
    return __builtin_ia32_crc32di(h, v);
#else
    v ^= h;
    v *= 0x9e3779b97f4a7c15ull;
    return (uint32_t) (v >> 32) ^ (uint32_t) v;
#endif
}

/* The hash of a whole key: four independent CRC chains over its words,
 * then folded (one chain of 14 dependent CRCs took 42 cycles of latency
 * per packet; four take about a third). */
static inline uint32_t
key_hash_all(const struct ofpl_key *k)
{
    uint32_t h[4] = { 0, 1, 2, 3 };

    for (int i = 0; i < OFPL_KEY_WORDS; i++) {
        h[i % 4] = crc64(h[i % 4], k->w[i]);
    }
    return crc64(h[0] ^ h[2] << 7, (uint64_t) h[1] << 32 | h[3]);
}

/* ---- Tables --------------------------------------------------------------- */

struct ofpl_tuple;

/* A flow.  Flows are allocated on a cache line (flow_new()), and what the
 * fast path reads of a flow that matches falls in four lines of it, which
 * a look-ahead prefetches (prefetch_flows()): the lookup's first line
 * (chain, hash, priority and the first six words of the value, where
 * IPv4, Ethernet and port fields live), the counters and what a run reads
 * besides (third line), the instructions (fourth), the first two actions
 * (a line of their own).  The match as the controller gave it lies
 * between them, read only by stats, modify and delete. */
struct ofpl_flow {
    /* Lookup: first cache line (and the second for the value's last
     * eight words: IPv6, ARP hardware addresses, tunnel). */
    struct ofpl_flow *next;         /* in its tuple bucket, priority desc */
    uint32_t hash;
    uint16_t priority;
    uint8_t table_id;
    uint8_t dead;
    struct ofpl_key val;            /* masked value */

    /* Fast-path state: third cache line. */
    uint64_t n_packets, n_bytes;
    uint64_t used_ns;
    struct ofpl_tuple *tuple;
    uint64_t cookie;
    struct ofpl_flow *lnext, *lprev;    /* the table's list of flows */
    uint16_t flags, idle_timeout, hard_timeout;
    uint16_t out_port;              /* 1..OFPL_MAX_PORTS when the
                                     * instructions are one apply-actions
                                     * output to that port and nothing
                                     * else (the short run,
                                     * ofpl_exec.c); 0 otherwise */

    /* Fourth line on. */
    struct ofp_instructions insts __attribute__((aligned(64)));
                                    /* apply/write point into 'acts' */
    uint64_t created_ns;
    struct ofp_match match;
    struct ofp_action acts[] __attribute__((aligned(64)));
};

/* A bucket of a tuple: its chain of flows (priority descending), with the
 * hash of the first one and the chain's length beside the pointer, so that
 * a lookup whose hash differs from the only flow's never loads the flow
 * (with many rules, a cache miss per tuple tried; ofpl_slot_update()
 * keeps them true). */
struct ofpl_slot {
    uint32_t hash;                  /* of 'flow' */
    uint32_t n;                     /* flows in the chain */
    struct ofpl_flow *flow;         /* the chain, through 'next' */
};

struct ofpl_tuple {
    struct ofpl_key mask;
    uint8_t words[OFPL_KEY_WORDS];
    uint8_t n_words;
    uint16_t max_priority;
    uint32_t n_flows;
    uint32_t bucket_mask;
    struct ofpl_slot *buckets;
};

struct ofpl_table {
    struct ofpl_tuple **tuples;     /* sorted by max_priority, desc */
    uint32_t n_tuples, alloc_tuples;
    struct ofpl_flow *flows;        /* list head */
    uint32_t n_flows;
    uint64_t lookups, matches;
};

struct ofpl_bucket {
    uint16_t weight;
    uint32_t watch_port, watch_group;
    uint64_t n_packets, n_bytes;
    struct ofp_action *acts;
    size_t n_acts;
};

struct ofpl_group {
    uint32_t id;
    uint8_t type;
    uint64_t created_ns;
    uint64_t n_packets, n_bytes;
    size_t n_buckets;
    struct ofpl_bucket *buckets;
};

struct ofpl_band {
    uint16_t type;
    uint32_t rate, burst;
    uint8_t prec_level;
    uint64_t capacity;              /* micro-units */
    uint64_t tokens;
    uint64_t per_s;                 /* units (bytes or packets) per second */
    uint64_t n_packets, n_bytes;
};

struct ofpl_meter {
    uint32_t id;
    uint16_t flags;
    uint64_t created_ns, last_ns;
    uint64_t n_packets, n_bytes;
    size_t n_bands;
    struct ofpl_band bands[];
};

struct ofpl_emc_entry {
    struct ofpl_key key;
    uint32_t gen;                   /* 0: empty */
    uint8_t n_steps;
    uint8_t miss_table;             /* 0xff: no miss at the end */
    struct ofpl_flow *steps[OFPL_EMC_STEPS];
};

struct ofpl_pipeline {
    struct ofpl_params params;
    uint32_t gen;
    uint32_t n_flows;
    struct ofpl_table *tables;

    struct ofpl_group **groups;     /* sorted by id */
    size_t n_groups, alloc_groups;
    struct ofpl_meter **meters;     /* sorted by id */
    size_t n_meters, alloc_meters;

    uint64_t live[OFPL_MAX_PORTS / 64];

    struct ofpl_emc_entry *emc;
    /* emc_sig[i]: the hash of emc[i]'s key (of any key, when emc[i] is
     * empty or stale).  A lookup reads its signature first and loads the
     * entry (three cache lines) only when the signature is its hash: the
     * signatures of 4,096 entries take 16 kB, which stay in the CPU's
     * caches, while the entries (608 kB) do not.  Under a thrashing cache
     * nearly every lookup misses, and would otherwise load three lines
     * for nothing. */
    uint32_t *emc_sig;
    uint32_t emc_mask;
    uint64_t emc_hits, emc_misses, train_hits;
    uint32_t emc_miss_run;          /* misses since the last hit */
    uint32_t emc_miss_share;        /* of recent lookups, in 256ths
                                     * (emc_count()) */

    /* The previous packet, when its trip changed nothing but counters
     * (no rewrite, meter, group or copy): a packet with the same header
     * bytes, from the same port, takes the same trip (see ofpl_run()). */
    struct {
        uint32_t gen;               /* 0: nothing remembered */
        uint32_t len;
        uint16_t in_vport;
        uint8_t n_steps;
        uint8_t miss_table;         /* 0xff: none */
        struct ofpl_flow *steps[OFPL_EMC_STEPS];
        struct ofpl_out out;
        uint8_t hdr[OFPL_TRAIN_HDR];
    } last;
    uint8_t train_mask[OFPL_TRAIN_HDR];

    /* Copies of the packet for group buckets, one per nesting level. */
    uint8_t scratch[OFPL_MAX_DEPTH][OFPL_SCRATCH_HEADROOM + OFPL_SCRATCH_LEN];
};

static inline uint32_t
tuple_hash(const struct ofpl_tuple *tu, const struct ofpl_key *k)
{
    uint32_t h = 0;
    for (uint8_t i = 0; i < tu->n_words; i++) {
        uint8_t w = tu->words[i];
        h = crc64(h, k->w[w] & tu->mask.w[w]);
    }
    return h;
}

static inline bool
tuple_match(const struct ofpl_tuple *tu, const struct ofpl_flow *f,
            const struct ofpl_key *k)
{
    for (uint8_t i = 0; i < tu->n_words; i++) {
        uint8_t w = tu->words[i];
        if ((k->w[w] & tu->mask.w[w]) != f->val.w[w]) {
            return false;
        }
    }
    return true;
}

/* The first flow of tuple 'tu''s bucket for hash 'h' that may have hash
 * 'h', or NULL when the bucket's only flow has another hash (read from
 * the slot, without loading the flow). */
static inline struct ofpl_flow *
tuple_chain(const struct ofpl_tuple *tu, uint32_t h)
{
    const struct ofpl_slot *s = &tu->buckets[h & tu->bucket_mask];

    return s->hash == h || s->n > 1 ? s->flow : NULL;
}

/* The highest-priority flow of table 'tb' that matches key 'k', or NULL.
 * 'hashes' may hold the hashes of 'k' in the table's first 'n_hashes'
 * tuples (computed by the caller ahead: the look-ahead of a burst). */
static inline struct ofpl_flow *
table_lookup_hashed(const struct ofpl_table *tb, const struct ofpl_key *k,
                    const uint32_t *hashes, uint32_t n_hashes)
{
    struct ofpl_flow *best = NULL;

    for (uint32_t i = 0; i < tb->n_tuples; i++) {
        const struct ofpl_tuple *tu = tb->tuples[i];
        if (best && tu->max_priority <= best->priority) {
            break;
        }
        uint32_t h = i < n_hashes ? hashes[i] : tuple_hash(tu, k);
        for (struct ofpl_flow *f = tuple_chain(tu, h); f; f = f->next) {
            if (f->hash == h && tuple_match(tu, f, k)) {
                if (!best || f->priority > best->priority) {
                    best = f;
                }
                break;
            }
        }
    }
    return best;
}

static inline struct ofpl_flow *
table_lookup(const struct ofpl_table *tb, const struct ofpl_key *k)
{
    return table_lookup_hashed(tb, k, NULL, 0);
}

/* Binary search in an array of pointers to structs whose first member is a
 * uint32_t id.  Returns the index of 'id' or where it would go. */
static inline size_t
id_search(void *const *arr, size_t n, uint32_t id, bool *found)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        uint32_t v = *(const uint32_t *) arr[mid];
        if (v == id) {
            *found = true;
            return mid;
        }
        if (v < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    *found = false;
    return lo;
}

static inline struct ofpl_group *
group_find(const struct ofpl_pipeline *pl, uint32_t id)
{
    bool found;
    size_t i = id_search((void *const *) pl->groups, pl->n_groups, id, &found);
    return found ? pl->groups[i] : NULL;
}

static inline struct ofpl_meter *
meter_find(const struct ofpl_pipeline *pl, uint32_t id)
{
    bool found;
    size_t i = id_search((void *const *) pl->meters, pl->n_meters, id, &found);
    return found ? pl->meters[i] : NULL;
}

/* ---- Across the files ------------------------------------------------ */

/* ofpl_key.c: the (value, mask) keys of match 'm'. */
void ofpl_match_to_keys(const struct ofp_match *m, struct ofpl_key *val,
                        struct ofpl_key *mask);

/* ofpl_cls.c: inserts 'f' (val, priority set) with mask 'mask' into table
 * 'tb'; false if out of memory.  Unlinks 'f' from its table (the flow is
 * not freed). */
bool ofpl_table_insert(struct ofpl_table *tb, struct ofpl_flow *f,
                       const struct ofpl_key *mask);
void ofpl_table_remove(struct ofpl_table *tb, struct ofpl_flow *f);

/* ofpl_mod.c, the filters of modify, delete and stats requests: does flow
 * 'f' lie inside the non-strict match 'val'/'mask'; does it pass the
 * cookie, out_port and out_group filters; does action list 'l' output to
 * group 'group'. */
bool ofpl_flow_covered(const struct ofpl_flow *f, const struct ofpl_key *val,
                       const struct ofpl_key *mask);
bool ofpl_flow_selected(const struct ofpl_flow *f, uint64_t cookie,
                        uint64_t cookie_mask, uint32_t out_port,
                        uint32_t out_group);
bool ofpl_acts_have_group(const struct ofp_action_list *l, uint32_t group);

#endif /* LAMINA_OFPL_PVT_H */
