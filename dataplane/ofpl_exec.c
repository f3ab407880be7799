/*
 * ofpl: the OpenFlow 1.3 pipeline (see ofpl.h for the design).
 *
 * Cost on the fast path (1 forwarding core, 64-byte frames, measured with
 * scripts/bench-openflow.sh, docs/performance-openflow.md): a cache hit is
 * the parse, one CRC32 hash of the key, a 112-byte compare, the counters
 * and the actions; a miss adds one hash probe per tuple tried.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ofpl.h"
#include "ofp-extract.h"

#define OFPL_EMC_DEFAULT 4096
#define OFPL_EMC_STEPS 4
#define OFPL_ASET_MAX 32
#define OFPL_MAX_DEPTH 4            /* group chaining */
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

static inline uint64_t
key_get(const struct ofpl_key *key, enum ofp_field f)
{
    const struct ofpl_kfield *k = &ofpl_kf[f];
    return (key->w[k->word] & kf_mask(k)) >> k->shift;
}

/* Stores field 'f' = 'v' into 'key'. */
static void
key_put_value(struct ofpl_key *key, enum ofp_field f, const union ofp_value *v)
{
    if (ofpl_kf[f].bits == 128) {
        key->w[ofpl_kf[f].word] = ofp_rd64(v->ipv6);
        key->w[ofpl_kf[f].word + 1] = ofp_rd64(v->ipv6 + 8);
    } else {
        key_put(key, f, ofp_value_to_u64(f, v));
    }
}

/* The (value, mask) keys of match 'm'. */
static void
match_to_keys(const struct ofp_match *m, struct ofpl_key *val,
              struct ofpl_key *mask)
{
    memset(val, 0, sizeof *val);
    memset(mask, 0, sizeof *mask);
    for (int f = 0; f < OFP_F_N; f++) {
        union ofp_value v, mk;
        if (ofp_match_get(m, f, &v, &mk)) {
            key_put_value(val, f, &v);
            key_put_value(mask, f, &mk);
        }
    }
    for (int i = 0; i < OFPL_KEY_WORDS; i++) {
        val->w[i] &= mask->w[i];
    }
}

/* Offsets found while parsing, for actions that write the packet: the
 * shared parse's offsets, eth_type and ip_proto are what they use. */
struct ofpl_hdrs {
    uint16_t vlan;              /* outer tag's TPID, 0 if untagged */
    uint16_t l2_end;            /* the ethertype after all tags (12, 16..) */
    uint16_t mpls;              /* first label, 0 if none */
    uint16_t l3;                /* IP or ARP header, 0 if none */
    uint16_t l4;                /* TCP/UDP/SCTP/ICMP header, 0 if none */
    uint16_t eth_type;
    uint8_t ip_proto;
};

/* Parses the frame 'p' of 'len' bytes with the shared parse
 * (ofp-extract.h) and packs its fields into 'k' at the bit positions of
 * ofpl_kf (the caller zeroed every word but in_port, metadata and
 * tunnel_id); the offsets go to 'h'. */
static inline void
parse(const uint8_t *p, uint32_t len, struct ofpl_key *k, struct ofpl_hdrs *h)
{
    struct ofp_extract x;

    ofp_extract(p, len, &x);
    h->vlan = x.vlan;
    h->l2_end = x.l2_end;
    h->mpls = x.mpls;
    h->l3 = x.l3;
    h->l4 = x.l4;
    h->eth_type = x.eth_type;
    h->ip_proto = x.ip_proto;

    k->w[0] |= (uint64_t) x.eth_type << 32 | (uint64_t) x.vlan_vid << 48
               | (uint64_t) x.vlan_pcp << 61;
    k->w[1] = x.eth_dst | (uint64_t) x.ip_proto << 48
              | (uint64_t) x.ip_dscp << 56 | (uint64_t) x.ip_ecn << 62;
    k->w[2] = x.eth_src | (uint64_t) x.tp_src << 48;
    k->w[3] = x.nw_src | (uint64_t) x.nw_dst << 32;
    k->w[4] = x.tp_dst | (uint32_t) x.arp_op << 16
              | (uint64_t) x.mpls_label << 32 | (uint64_t) x.mpls_tc << 52
              | (uint64_t) x.mpls_bos << 55;
    k->w[6] = x.arp_sha;
    k->w[7] = x.arp_tha;
    k->w[8] = x.ipv6_flabel;
    k->w[9] = x.ipv6_src[0];
    k->w[10] = x.ipv6_src[1];
    k->w[11] = x.ipv6_dst[0];
    k->w[12] = x.ipv6_dst[1];
}

void
ofpl_parse(const struct ofpl_packet *pkt, uint16_t in_vport, struct ofpl_key *key)
{
    struct ofpl_hdrs h;

    memset(key, 0, sizeof *key);
    key->w[0] = (uint32_t) in_vport + 1;
    parse(pkt->data, pkt->len, key, &h);
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

static inline uint32_t
key_hash_all(const struct ofpl_key *k)
{
    uint32_t h = 0;
    for (int i = 0; i < OFPL_KEY_WORDS; i++) {
        h = crc64(h, k->w[i]);
    }
    return h;
}

/* ---- Tables --------------------------------------------------------------- */

struct ofpl_tuple;

struct ofpl_flow {
    /* Lookup: first cache line. */
    struct ofpl_flow *next;         /* in its tuple bucket, priority desc */
    uint32_t hash;
    uint16_t priority;
    uint8_t table_id;
    uint8_t dead;
    struct ofpl_key val;            /* masked value */

    /* Fast-path state. */
    uint64_t n_packets, n_bytes;
    uint64_t used_ns;

    struct ofpl_tuple *tuple;
    struct ofpl_flow *lnext, *lprev;    /* the table's list of flows */
    uint64_t cookie;
    uint64_t created_ns;
    uint16_t flags, idle_timeout, hard_timeout;
    struct ofp_instructions insts;  /* apply/write point into 'acts' */
    struct ofp_match match;
    struct ofp_action acts[];
};

struct ofpl_tuple {
    struct ofpl_key mask;
    uint8_t words[OFPL_KEY_WORDS];
    uint8_t n_words;
    uint16_t max_priority;
    uint32_t n_flows;
    uint32_t bucket_mask;
    struct ofpl_flow **buckets;
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
    uint32_t emc_mask;
    uint64_t emc_hits, emc_misses, train_hits;

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

struct ofpl_pipeline *
ofpl_create(const struct ofpl_params *params)
{
    struct ofpl_pipeline *pl = calloc(1, sizeof *pl);
    unsigned emc;

    if (!pl) {
        return NULL;
    }
    pl->params = *params;
    if (!pl->params.n_tables || pl->params.n_tables > OFPL_MAX_TABLES) {
        pl->params.n_tables = OFPL_DEFAULT_TABLES;
    }
    if (!pl->params.max_flows) {
        pl->params.max_flows = OFPL_DEFAULT_MAX_FLOWS;
    }
    emc = pl->params.emc_entries ? pl->params.emc_entries : OFPL_EMC_DEFAULT;
    while (emc & (emc - 1)) {
        emc &= emc - 1;
    }
    pl->gen = 1;
    pl->tables = calloc(pl->params.n_tables, sizeof *pl->tables);
    pl->emc = calloc(emc, sizeof *pl->emc);
    pl->emc_mask = emc - 1;
    if (!pl->tables || !pl->emc) {
        ofpl_destroy(pl);
        return NULL;
    }
    return pl;
}

unsigned
ofpl_n_tables(const struct ofpl_pipeline *pl)
{
    return pl->params.n_tables;
}

static void
tuple_free(struct ofpl_tuple *tu)
{
    if (tu) {
        free(tu->buckets);
        free(tu);
    }
}

void
ofpl_destroy(struct ofpl_pipeline *pl)
{
    if (!pl) {
        return;
    }
    for (unsigned t = 0; pl->tables && t < pl->params.n_tables; t++) {
        struct ofpl_table *tb = &pl->tables[t];
        for (struct ofpl_flow *f = tb->flows, *n; f; f = n) {
            n = f->lnext;
            free(f);
        }
        for (uint32_t i = 0; i < tb->n_tuples; i++) {
            tuple_free(tb->tuples[i]);
        }
        free(tb->tuples);
    }
    for (size_t i = 0; i < pl->n_groups; i++) {
        for (size_t b = 0; b < pl->groups[i]->n_buckets; b++) {
            free(pl->groups[i]->buckets[b].acts);
        }
        free(pl->groups[i]->buckets);
        free(pl->groups[i]);
    }
    for (size_t i = 0; i < pl->n_meters; i++) {
        free(pl->meters[i]);
    }
    free(pl->groups);
    free(pl->meters);
    free(pl->tables);
    free(pl->emc);
    free(pl);
}

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

static struct ofpl_flow *
table_lookup(const struct ofpl_table *tb, const struct ofpl_key *k)
{
    struct ofpl_flow *best = NULL;

    for (uint32_t i = 0; i < tb->n_tuples; i++) {
        const struct ofpl_tuple *tu = tb->tuples[i];
        if (best && tu->max_priority <= best->priority) {
            break;
        }
        uint32_t h = tuple_hash(tu, k);
        for (struct ofpl_flow *f = tu->buckets[h & tu->bucket_mask]; f; f = f->next) {
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

static void
tuple_sort(struct ofpl_table *tb)
{
    /* Insertion sort: few tuples, nearly sorted. */
    for (uint32_t i = 1; i < tb->n_tuples; i++) {
        struct ofpl_tuple *tu = tb->tuples[i];
        uint32_t j = i;
        while (j > 0 && tb->tuples[j - 1]->max_priority < tu->max_priority) {
            tb->tuples[j] = tb->tuples[j - 1];
            j--;
        }
        tb->tuples[j] = tu;
    }
}

static struct ofpl_tuple *
tuple_find_or_add(struct ofpl_table *tb, const struct ofpl_key *mask)
{
    struct ofpl_tuple *tu;

    for (uint32_t i = 0; i < tb->n_tuples; i++) {
        if (!memcmp(&tb->tuples[i]->mask, mask, sizeof *mask)) {
            return tb->tuples[i];
        }
    }
    if (tb->n_tuples == tb->alloc_tuples) {
        uint32_t n = tb->alloc_tuples ? 2 * tb->alloc_tuples : 8;
        struct ofpl_tuple **t = realloc(tb->tuples, n * sizeof *t);
        if (!t) {
            return NULL;
        }
        tb->tuples = t;
        tb->alloc_tuples = n;
    }
    tu = calloc(1, sizeof *tu);
    if (!tu || !(tu->buckets = calloc(16, sizeof *tu->buckets))) {
        free(tu);
        return NULL;
    }
    tu->mask = *mask;
    tu->bucket_mask = 15;
    for (int w = 0; w < OFPL_KEY_WORDS; w++) {
        if (mask->w[w]) {
            tu->words[tu->n_words++] = w;
        }
    }
    tb->tuples[tb->n_tuples++] = tu;
    return tu;
}

static void
bucket_insert(struct ofpl_flow **head, struct ofpl_flow *f)
{
    while (*head && (*head)->priority >= f->priority) {
        head = &(*head)->next;
    }
    f->next = *head;
    *head = f;
}

static void
tuple_grow(struct ofpl_tuple *tu)
{
    uint32_t n = (tu->bucket_mask + 1) * 2;
    struct ofpl_flow **b = calloc(n, sizeof *b);

    if (!b) {
        return;                     /* longer chains, still correct */
    }
    for (uint32_t i = 0; i <= tu->bucket_mask; i++) {
        for (struct ofpl_flow *f = tu->buckets[i], *next; f; f = next) {
            next = f->next;
            bucket_insert(&b[f->hash & (n - 1)], f);
        }
    }
    free(tu->buckets);
    tu->buckets = b;
    tu->bucket_mask = n - 1;
}

/* Inserts 'f' (val, priority set) with mask 'mask' into table 'tb'. */
static bool
table_insert(struct ofpl_table *tb, struct ofpl_flow *f, const struct ofpl_key *mask)
{
    struct ofpl_tuple *tu = tuple_find_or_add(tb, mask);

    if (!tu) {
        return false;
    }
    f->tuple = tu;
    f->hash = tuple_hash(tu, &f->val);
    if (tu->n_flows >= tu->bucket_mask + 1) {
        tuple_grow(tu);
    }
    bucket_insert(&tu->buckets[f->hash & tu->bucket_mask], f);
    if (!tu->n_flows++ || f->priority > tu->max_priority) {
        tu->max_priority = f->priority;
    }
    tuple_sort(tb);
    f->lprev = NULL;
    f->lnext = tb->flows;
    if (tb->flows) {
        tb->flows->lprev = f;
    }
    tb->flows = f;
    tb->n_flows++;
    return true;
}

/* Unlinks 'f' from its table (the flow is not freed). */
static void
table_remove(struct ofpl_table *tb, struct ofpl_flow *f)
{
    struct ofpl_tuple *tu = f->tuple;
    struct ofpl_flow **p = &tu->buckets[f->hash & tu->bucket_mask];

    while (*p != f) {
        p = &(*p)->next;
    }
    *p = f->next;
    if (f->lprev) {
        f->lprev->lnext = f->lnext;
    } else {
        tb->flows = f->lnext;
    }
    if (f->lnext) {
        f->lnext->lprev = f->lprev;
    }
    tb->n_flows--;
    if (--tu->n_flows == 0) {
        for (uint32_t i = 0; i < tb->n_tuples; i++) {
            if (tb->tuples[i] == tu) {
                memmove(&tb->tuples[i], &tb->tuples[i + 1],
                        (tb->n_tuples - i - 1) * sizeof *tb->tuples);
                tb->n_tuples--;
                break;
            }
        }
        tuple_free(tu);
    } else if (f->priority == tu->max_priority) {
        uint16_t max = 0;
        for (uint32_t i = 0; i <= tu->bucket_mask; i++) {
            if (tu->buckets[i] && tu->buckets[i]->priority > max) {
                max = tu->buckets[i]->priority;
            }
        }
        tu->max_priority = max;
        tuple_sort(tb);
    }
}

/* ---- Ports, groups, meters: lookups ------------------------------------- */

void
ofpl_set_port_live(struct ofpl_pipeline *pl, uint16_t vport, bool live)
{
    if (vport < OFPL_MAX_PORTS) {
        if (live) {
            pl->live[vport / 64] |= 1ull << (vport % 64);
        } else {
            pl->live[vport / 64] &= ~(1ull << (vport % 64));
        }
        pl->gen++;
    }
}

bool
ofpl_port_live(const struct ofpl_pipeline *pl, uint16_t vport)
{
    return vport < OFPL_MAX_PORTS && (pl->live[vport / 64] >> (vport % 64)) & 1;
}

/* Binary search in an array of pointers to structs whose first member is a
 * uint32_t id.  Returns the index of 'id' or where it would go. */
static size_t
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

static struct ofpl_group *
group_find(const struct ofpl_pipeline *pl, uint32_t id)
{
    bool found;
    size_t i = id_search((void *const *) pl->groups, pl->n_groups, id, &found);
    return found ? pl->groups[i] : NULL;
}

static struct ofpl_meter *
meter_find(const struct ofpl_pipeline *pl, uint32_t id)
{
    bool found;
    size_t i = id_search((void *const *) pl->meters, pl->n_meters, id, &found);
    return found ? pl->meters[i] : NULL;
}

/* ---- Execution -------------------------------------------------------------- */

struct ofpl_exec {
    struct ofpl_pipeline *pl;
    struct ofpl_packet *pkt;
    struct ofpl_key key;
    struct ofpl_hdrs h;
    uint16_t in_vport;
    uint8_t depth;
    bool stop;                      /* dropped (TTL, meter) */
    bool impure;                    /* more than counters happened */
    bool has_pending;
    uint64_t now_ns;
    ofpl_emit_fn *emit;
    void *aux;
    struct ofpl_out pending;
    uint32_t queue;
    uint8_t table;                  /* of the flow running */
    bool table_miss_flow;           /* the flow is priority 0, match all */
    uint64_t cookie;
    const struct ofp_action *aset[OFPL_ASET_MAX];
    uint8_t n_aset;
};

static void
exec_reparse(struct ofpl_exec *x)
{
    uint64_t w0 = x->key.w[0] & 0xffffffffull, meta = x->key.w[5];
    uint64_t tun = x->key.w[13];

    memset(&x->key, 0, sizeof x->key);
    x->key.w[0] = w0;
    x->key.w[5] = meta;
    x->key.w[13] = tun;
    parse(x->pkt->data, x->pkt->len, &x->key, &x->h);
}

/* The packet is about to change: a pending output must leave as it is. */
static inline void
exec_flush(struct ofpl_exec *x)
{
    x->impure = true;               /* called before every rewrite */
    if (x->has_pending) {
        x->has_pending = false;
        x->emit(x->aux, x->pkt, &x->pending);
    }
}

static inline void
exec_output(struct ofpl_exec *x, const struct ofpl_out *o)
{
    if (x->has_pending) {
        exec_flush(x);
    }
    x->pending = *o;
    x->has_pending = true;
}

static void
exec_output_port(struct ofpl_exec *x, uint32_t port, uint16_t max_len)
{
    struct ofpl_out o = { .queue = x->queue };

    if (port >= 1 && port <= OFPL_MAX_PORTS) {
        uint16_t v = port - 1;
        if (v == x->in_vport || !ofpl_port_live(x->pl, v)) {
            return;                 /* never back out of in_port unasked */
        }
        o.kind = OFPL_OUT_PORT;
        o.port = v;
    } else if (port == OFPP13_IN_PORT) {
        if (x->in_vport == OFPL_NO_PORT || !ofpl_port_live(x->pl, x->in_vport)) {
            return;
        }
        o.kind = OFPL_OUT_PORT;
        o.port = x->in_vport;
    } else if (port == OFPP13_FLOOD || port == OFPP13_ALL) {
        o.kind = OFPL_OUT_FLOOD;
        o.port = x->in_vport;
    } else if (port == OFPP13_CONTROLLER) {
        o.kind = OFPL_OUT_CONTROLLER;
        o.reason = x->table_miss_flow ? OFPL_REASON_NO_MATCH : OFPL_REASON_ACTION;
        o.table = x->table;
        o.cookie = x->cookie;
        o.max_len = max_len;
        o.port = x->in_vport;
    } else if (port == OFPP13_TABLE && x->table == OFPL_REASON_TABLE) {
        o.kind = OFPL_OUT_CONTROLLER;       /* packet-out only */
        o.reason = OFPL_REASON_TABLE;
        o.port = x->in_vport;
    } else {
        return;
    }
    exec_output(x, &o);
}

/* Internet checksum helpers (RFC 1624). */
static inline void
csum_replace16(uint8_t *csum, uint16_t old, uint16_t new)
{
    uint32_t s = (uint16_t) ~ofp_rd16(csum) + (uint16_t) ~old + new;
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    ofp_wr16(csum, (uint16_t) ~s);
}

static inline void
csum_replace32(uint8_t *csum, uint32_t old, uint32_t new)
{
    csum_replace16(csum, old >> 16, new >> 16);
    csum_replace16(csum, old & 0xffff, new & 0xffff);
}

/* The L4 checksum field of the packet, or NULL (none, or UDP without). */
static uint8_t *
l4_csum(struct ofpl_exec *x)
{
    uint8_t *l4 = x->pkt->data + x->h.l4;

    if (!x->h.l4) {
        return NULL;
    }
    if (x->h.ip_proto == 6 && x->pkt->len >= x->h.l4 + 18u) {
        return l4 + 16;
    }
    if (x->h.ip_proto == 17 && x->pkt->len >= x->h.l4 + 8u && ofp_rd16(l4 + 6)) {
        return l4 + 6;
    }
    return NULL;
}

static void
exec_set_ipv4_addr(struct ofpl_exec *x, uint8_t *addr, uint32_t v)
{
    uint32_t old = ofp_rd32(addr);
    uint8_t *csum = l4_csum(x);

    csum_replace32(x->pkt->data + x->h.l3 + 10, old, v);
    if (csum) {
        csum_replace32(csum, old, v);
    }
    ofp_wr32(addr, v);
}

static void
exec_set_ipv6_addr(struct ofpl_exec *x, uint8_t *addr, const uint8_t *v)
{
    uint8_t *csum = l4_csum(x);

    if (!csum && x->h.ip_proto == 58 && x->h.l4 && x->pkt->len >= x->h.l4 + 4u) {
        csum = x->pkt->data + x->h.l4 + 2;
    }
    for (int i = 0; csum && i < 16; i += 2) {
        csum_replace16(csum, ofp_rd16(addr + i), ofp_rd16(v + i));
    }
    memcpy(addr, v, 16);
}

/* set_field: the packet and the key. */
static void
exec_set_field(struct ofpl_exec *x, enum ofp_field f, const union ofp_value *v)
{
    uint8_t *p = x->pkt->data;
    uint8_t *l3 = p + x->h.l3, *l4 = p + x->h.l4;
    uint64_t u = ofpl_kf[f].bits == 128 ? 0 : ofp_value_to_u64(f, v);

    exec_flush(x);
    switch (f) {
    case OFP_F_METADATA:
    case OFP_F_TUNNEL_ID:
        break;
    case OFP_F_ETH_DST:
        if (x->pkt->len >= 14) {
            memcpy(p, v->mac, 6);
        }
        break;
    case OFP_F_ETH_SRC:
        if (x->pkt->len >= 14) {
            memcpy(p + 6, v->mac, 6);
        }
        break;
    case OFP_F_VLAN_VID:
        if (!x->h.vlan) {
            return;
        }
        ofp_wr16(p + 14, (ofp_rd16(p + 14) & 0xf000) | (u & 0xfff));
        u = 0x1000 | (u & 0xfff);
        break;
    case OFP_F_VLAN_PCP:
        if (!x->h.vlan) {
            return;
        }
        ofp_wr16(p + 14, (ofp_rd16(p + 14) & 0x1fff) | (u & 7) << 13);
        break;
    case OFP_F_IP_DSCP:
    case OFP_F_IP_ECN:
        if (x->h.eth_type == OFP_ETH_TYPE_IPV4 && x->h.l3) {
            uint8_t tos = l3[1];
            tos = f == OFP_F_IP_DSCP ? (tos & 3) | (u << 2) : (tos & 0xfc) | (u & 3);
            csum_replace16(l3 + 10, ofp_rd16(l3), (l3[0] << 8) | tos);
            l3[1] = tos;
        } else if (x->h.eth_type == OFP_ETH_TYPE_IPV6 && x->h.l3) {
            uint32_t vtf = ofp_rd32(l3);
            uint8_t tc = vtf >> 20;
            tc = f == OFP_F_IP_DSCP ? (tc & 3) | (u << 2) : (tc & 0xfc) | (u & 3);
            ofp_wr32(l3, (vtf & 0xf00fffff) | (uint32_t) tc << 20);
        } else {
            return;
        }
        break;
    case OFP_F_IPV4_SRC:
    case OFP_F_IPV4_DST:
        if (x->h.eth_type != OFP_ETH_TYPE_IPV4 || !x->h.l3) {
            return;
        }
        exec_set_ipv4_addr(x, l3 + (f == OFP_F_IPV4_SRC ? 12 : 16), u);
        break;
    case OFP_F_TCP_SRC: case OFP_F_UDP_SRC: case OFP_F_SCTP_SRC:
    case OFP_F_TCP_DST: case OFP_F_UDP_DST: case OFP_F_SCTP_DST: {
        if (!x->h.l4 || x->h.ip_proto == 1 || x->h.ip_proto == 58) {
            return;
        }
        bool src = f == OFP_F_TCP_SRC || f == OFP_F_UDP_SRC || f == OFP_F_SCTP_SRC;
        uint8_t *csum = l4_csum(x);
        if (csum) {
            csum_replace16(csum, ofp_rd16(l4 + (src ? 0 : 2)), u);
        }
        ofp_wr16(l4 + (src ? 0 : 2), u);
        break;
    }
    case OFP_F_ICMPV4_TYPE: case OFP_F_ICMPV4_CODE:
    case OFP_F_ICMPV6_TYPE: case OFP_F_ICMPV6_CODE: {
        if (!x->h.l4 || (x->h.ip_proto != 1 && x->h.ip_proto != 58)) {
            return;
        }
        bool type = f == OFP_F_ICMPV4_TYPE || f == OFP_F_ICMPV6_TYPE;
        uint16_t old = ofp_rd16(l4);
        l4[type ? 0 : 1] = u;
        csum_replace16(l4 + 2, old, ofp_rd16(l4));
        break;
    }
    case OFP_F_ARP_OP:
    case OFP_F_ARP_SPA: case OFP_F_ARP_TPA:
    case OFP_F_ARP_SHA: case OFP_F_ARP_THA:
        if (x->h.eth_type != OFP_ETH_TYPE_ARP || !x->h.l3) {
            return;
        }
        if (f == OFP_F_ARP_OP) {
            ofp_wr16(l3 + 6, u);
        } else if (f == OFP_F_ARP_SHA) {
            memcpy(l3 + 8, v->mac, 6);
        } else if (f == OFP_F_ARP_SPA) {
            ofp_wr32(l3 + 14, u);
        } else if (f == OFP_F_ARP_THA) {
            memcpy(l3 + 18, v->mac, 6);
        } else {
            ofp_wr32(l3 + 24, u);
        }
        break;
    case OFP_F_IPV6_SRC:
    case OFP_F_IPV6_DST:
        if (x->h.eth_type != OFP_ETH_TYPE_IPV6 || !x->h.l3) {
            return;
        }
        exec_set_ipv6_addr(x, l3 + (f == OFP_F_IPV6_SRC ? 8 : 24), v->ipv6);
        break;
    case OFP_F_IPV6_FLABEL:
        if (x->h.eth_type != OFP_ETH_TYPE_IPV6 || !x->h.l3) {
            return;
        }
        ofp_wr32(l3, (ofp_rd32(l3) & 0xfff00000) | (u & 0xfffff));
        break;
    case OFP_F_MPLS_LABEL:
    case OFP_F_MPLS_TC:
    case OFP_F_MPLS_BOS: {
        if (!x->h.mpls) {
            return;
        }
        uint8_t *m = p + x->h.mpls;
        uint32_t lse = ofp_rd32(m);
        if (f == OFP_F_MPLS_LABEL) {
            lse = (lse & 0xfff) | (uint32_t) (u & 0xfffff) << 12;
        } else if (f == OFP_F_MPLS_TC) {
            lse = (lse & ~0xe00u) | (uint32_t) (u & 7) << 9;
        } else {
            lse = (lse & ~0x100u) | (uint32_t) (u & 1) << 8;
        }
        ofp_wr32(m, lse);
        break;
    }
    default:
        return;                     /* in_port, eth_type: read-only */
    }
    if (ofpl_kf[f].bits == 128) {
        key_put_value(&x->key, f, v);
    } else {
        key_put(&x->key, f, u);
    }
}

/* Inserts 'n' bytes at offset 'at' of the packet, moving the bytes before
 * it forward into the headroom. */
static uint8_t *
pkt_insert(struct ofpl_packet *pkt, uint32_t at, uint32_t n)
{
    if (pkt->headroom < n || at > pkt->len) {
        return NULL;
    }
    memmove(pkt->data - n, pkt->data, at);
    pkt->data -= n;
    pkt->headroom -= n;
    pkt->len += n;
    return pkt->data + at;
}

static void
pkt_remove(struct ofpl_packet *pkt, uint32_t at, uint32_t n)
{
    memmove(pkt->data + n, pkt->data, at);
    pkt->data += n;
    pkt->headroom += n;
    pkt->len -= n;
}

static void
exec_push_vlan(struct ofpl_exec *x, uint16_t tpid)
{
    uint16_t tci = 0;
    uint8_t *t;

    if (x->pkt->len < 14) {
        return;
    }
    if (x->h.vlan) {
        tci = ofp_rd16(x->pkt->data + 14);      /* the spec: copy the outer tag */
    }
    exec_flush(x);
    t = pkt_insert(x->pkt, 12, 4);
    if (!t) {
        x->stop = true;
        return;
    }
    ofp_wr16(t, tpid);
    ofp_wr16(t + 2, tci);
    exec_reparse(x);
}

static void
exec_pop_vlan(struct ofpl_exec *x)
{
    if (!x->h.vlan) {
        return;
    }
    exec_flush(x);
    pkt_remove(x->pkt, 12, 4);
    exec_reparse(x);
}

static void
exec_push_mpls(struct ofpl_exec *x, uint16_t ethertype)
{
    uint32_t at = x->h.l2_end + 2;
    uint8_t ttl = 64, tc = 0;
    uint32_t label = 0;
    uint8_t *m;

    if (x->pkt->len < at) {
        return;
    }
    if (x->h.mpls) {
        uint32_t lse = ofp_rd32(x->pkt->data + x->h.mpls);
        label = lse >> 12;
        tc = (lse >> 9) & 7;
        ttl = lse & 0xff;
    } else if (x->h.eth_type == OFP_ETH_TYPE_IPV4 && x->h.l3) {
        ttl = x->pkt->data[x->h.l3 + 8];
    } else if (x->h.eth_type == OFP_ETH_TYPE_IPV6 && x->h.l3) {
        ttl = x->pkt->data[x->h.l3 + 7];
    }
    bool bos = !x->h.mpls;
    exec_flush(x);
    m = pkt_insert(x->pkt, at, 4);
    if (!m) {
        x->stop = true;
        return;
    }
    ofp_wr32(m, label << 12 | (uint32_t) tc << 9 | (uint32_t) bos << 8 | ttl);
    ofp_wr16(m - 2, ethertype);
    exec_reparse(x);
}

static void
exec_pop_mpls(struct ofpl_exec *x, uint16_t ethertype)
{
    if (!x->h.mpls) {
        return;
    }
    exec_flush(x);
    ofp_wr16(x->pkt->data + x->h.l2_end, ethertype);
    /* Remove the 4 bytes of the label: move the L2 header over it. */
    pkt_remove(x->pkt, x->h.mpls, 4);
    exec_reparse(x);
}

/* dec_nw_ttl / set_nw_ttl: false if the packet must be dropped. */
static bool
exec_nw_ttl(struct ofpl_exec *x, bool dec, uint8_t ttl)
{
    uint8_t *l3 = x->pkt->data + x->h.l3;

    if (!x->h.l3 || (x->h.eth_type != OFP_ETH_TYPE_IPV4 && x->h.eth_type != OFP_ETH_TYPE_IPV6)) {
        return true;
    }
    exec_flush(x);
    if (x->h.eth_type == OFP_ETH_TYPE_IPV4) {
        uint8_t old = l3[8];
        if (dec) {
            if (old <= 1) {
                return false;
            }
            ttl = old - 1;
        }
        csum_replace16(l3 + 10, old << 8 | l3[9], ttl << 8 | l3[9]);
        l3[8] = ttl;
    } else {
        if (dec) {
            if (l3[7] <= 1) {
                return false;
            }
            ttl = l3[7] - 1;
        }
        l3[7] = ttl;
    }
    return true;
}

static bool
exec_mpls_ttl(struct ofpl_exec *x, bool dec, uint8_t ttl)
{
    uint8_t *m = x->pkt->data + x->h.mpls;

    if (!x->h.mpls) {
        return true;
    }
    exec_flush(x);
    if (dec) {
        if (m[3] <= 1) {
            return false;
        }
        ttl = m[3] - 1;
    }
    m[3] = ttl;
    return true;
}

static void exec_group(struct ofpl_exec *, uint32_t group_id, bool last);

/* Runs one action. */
static void
exec_action(struct ofpl_exec *x, const struct ofp_action *a, bool last)
{
    switch (a->type) {
    case OFPAT_OUTPUT:
        exec_output_port(x, a->output.port, a->output.max_len);
        break;
    case OFPAT_SET_FIELD:
        exec_set_field(x, a->set_field.field, &a->set_field.value);
        break;
    case OFPAT_PUSH_VLAN:
        exec_push_vlan(x, a->ethertype);
        break;
    case OFPAT_POP_VLAN:
        exec_pop_vlan(x);
        break;
    case OFPAT_PUSH_MPLS:
        exec_push_mpls(x, a->ethertype);
        break;
    case OFPAT_POP_MPLS:
        exec_pop_mpls(x, a->ethertype);
        break;
    case OFPAT_DEC_NW_TTL:
    case OFPAT_SET_NW_TTL:
        if (!exec_nw_ttl(x, a->type == OFPAT_DEC_NW_TTL, a->ttl)) {
            x->stop = true;
        }
        break;
    case OFPAT_DEC_MPLS_TTL:
    case OFPAT_SET_MPLS_TTL:
        if (!exec_mpls_ttl(x, a->type == OFPAT_DEC_MPLS_TTL, a->ttl)) {
            x->stop = true;
        }
        break;
    case OFPAT_SET_QUEUE:
        x->queue = a->queue_id;
        break;
    case OFPAT_GROUP:
        exec_group(x, a->group_id, last);
        break;
    default:
        break;                      /* copy_ttl_in/out: no-ops here */
    }
}

static void
exec_actions(struct ofpl_exec *x, const struct ofp_action *acts, size_t n,
             bool last)
{
    for (size_t i = 0; i < n && !x->stop; i++) {
        exec_action(x, &acts[i], last && i == n - 1);
    }
}

/* Runs bucket 'b' on a copy of the packet (or on the packet itself when
 * nothing follows: 'in_place'). */
static void
exec_bucket(struct ofpl_exec *x, struct ofpl_bucket *b, bool in_place)
{
    b->n_packets++;
    b->n_bytes += x->pkt->len;
    if (in_place) {
        x->depth++;
        exec_actions(x, b->acts, b->n_acts, true);
        x->depth--;
        return;
    }
    if (x->depth >= OFPL_MAX_DEPTH || x->pkt->len > OFPL_SCRATCH_LEN) {
        return;
    }
    struct ofpl_exec y = *x;
    struct ofpl_packet copy;
    uint8_t *buf = x->pl->scratch[x->depth];

    copy.data = buf + OFPL_SCRATCH_HEADROOM;
    copy.len = x->pkt->len;
    copy.headroom = OFPL_SCRATCH_HEADROOM;
    copy.idx = x->pkt->idx;
    memcpy(copy.data, x->pkt->data, x->pkt->len);
    y.pkt = &copy;
    y.has_pending = false;
    y.stop = false;
    y.depth++;
    exec_actions(&y, b->acts, b->n_acts, true);
    exec_flush(&y);
}

static bool
bucket_live(const struct ofpl_pipeline *pl, const struct ofpl_bucket *b)
{
    if (b->watch_port != OFPP13_ANY
        && !(b->watch_port >= 1 && b->watch_port <= OFPL_MAX_PORTS
             && ofpl_port_live(pl, b->watch_port - 1))) {
        return false;
    }
    if (b->watch_group != OFPG_ANY && !group_find(pl, b->watch_group)) {
        return false;
    }
    return true;
}

static void
exec_group(struct ofpl_exec *x, uint32_t group_id, bool last)
{
    struct ofpl_group *g = group_find(x->pl, group_id);

    x->impure = true;
    if (!g || !g->n_buckets || x->depth >= OFPL_MAX_DEPTH) {
        return;
    }
    g->n_packets++;
    g->n_bytes += x->pkt->len;
    switch (g->type) {
    case OFPGT11_ALL:
        for (size_t i = 0; i < g->n_buckets && !x->stop; i++) {
            exec_bucket(x, &g->buckets[i], last && i == g->n_buckets - 1);
        }
        break;
    case OFPGT11_INDIRECT:
        exec_bucket(x, &g->buckets[0], last);
        break;
    case OFPGT11_SELECT: {
        uint32_t total = 0, pick;
        for (size_t i = 0; i < g->n_buckets; i++) {
            if (bucket_live(x->pl, &g->buckets[i])) {
                total += g->buckets[i].weight ? g->buckets[i].weight : 1;
            }
        }
        if (!total) {
            return;
        }
        pick = key_hash_all(&x->key) % total;
        for (size_t i = 0; i < g->n_buckets; i++) {
            struct ofpl_bucket *b = &g->buckets[i];
            uint32_t w = b->weight ? b->weight : 1;
            if (!bucket_live(x->pl, b)) {
                continue;
            }
            if (pick < w) {
                exec_bucket(x, b, last);
                return;
            }
            pick -= w;
        }
        break;
    }
    case OFPGT11_FF:
        for (size_t i = 0; i < g->n_buckets; i++) {
            if (bucket_live(x->pl, &g->buckets[i])) {
                exec_bucket(x, &g->buckets[i], last);
                return;
            }
        }
        break;
    }
}

/* Action set order (section 5.10 of the specification). */
static int
aset_rank(const struct ofp_action *a)
{
    switch (a->type) {
    case OFPAT_COPY_TTL_IN: return 0;
    case OFPAT_POP_VLAN: case OFPAT_POP_MPLS: return 1;
    case OFPAT_PUSH_MPLS: return 2;
    case OFPAT_PUSH_VLAN: return 3;
    case OFPAT_COPY_TTL_OUT: return 4;
    case OFPAT_DEC_NW_TTL: case OFPAT_DEC_MPLS_TTL: return 5;
    case OFPAT_SET_FIELD: case OFPAT_SET_NW_TTL: case OFPAT_SET_MPLS_TTL: return 6;
    case OFPAT_SET_QUEUE: return 7;
    case OFPAT_GROUP: return 8;
    default: return 9;              /* output */
    }
}

static bool
aset_same(const struct ofp_action *a, const struct ofp_action *b)
{
    if (a->type != b->type) {
        return false;
    }
    return a->type != OFPAT_SET_FIELD || a->set_field.field == b->set_field.field;
}

static void
aset_write(struct ofpl_exec *x, const struct ofp_action *acts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t j;
        for (j = 0; j < x->n_aset; j++) {
            if (aset_same(x->aset[j], &acts[i])) {
                break;
            }
        }
        if (j < x->n_aset) {
            x->aset[j] = &acts[i];
        } else if (x->n_aset < OFPL_ASET_MAX) {
            x->aset[x->n_aset++] = &acts[i];
        }
    }
}

static void
aset_execute(struct ofpl_exec *x)
{
    const struct ofp_action *sorted[OFPL_ASET_MAX];
    bool has_group = false;
    uint8_t n = 0;

    for (int rank = 0; rank <= 9; rank++) {
        for (uint8_t j = 0; j < x->n_aset; j++) {
            if (aset_rank(x->aset[j]) == rank) {
                sorted[n++] = x->aset[j];
                has_group |= rank == 8;
            }
        }
    }
    for (uint8_t j = 0; j < n && !x->stop; j++) {
        if (has_group && sorted[j]->type == OFPAT_OUTPUT) {
            break;                  /* a group in the set overrides output */
        }
        exec_action(x, sorted[j], j == n - 1);
    }
}

/* Token-bucket meter: false if a drop band says drop. */
static bool
meter_apply(struct ofpl_meter *m, uint32_t len, uint64_t now_ns)
{
    uint64_t dt = now_ns - m->last_ns;
    struct ofpl_band *hit = NULL;

    if (dt > 1000000000ull) {
        dt = 1000000000ull;
    }
    m->last_ns = now_ns;
    m->n_packets++;
    m->n_bytes += len;
    for (size_t i = 0; i < m->n_bands; i++) {
        struct ofpl_band *b = &m->bands[i];
        uint64_t cost = (m->flags & OFPMF13_PKTPS ? 1 : len) * 1000000ull;

        b->tokens += dt * b->per_s / 1000;
        if (b->tokens > b->capacity) {
            b->tokens = b->capacity;
        }
        if (b->tokens >= cost) {
            b->tokens -= cost;
        } else if (!hit || b->rate > hit->rate) {
            hit = b;
        }
    }
    if (!hit) {
        return true;
    }
    hit->n_packets++;
    hit->n_bytes += len;
    return hit->type != OFPMBT13_DROP;
}

/* Runs the instructions of flow 'f'.  Returns the next table, or -1. */
static int
exec_flow(struct ofpl_exec *x, struct ofpl_flow *f)
{
    const struct ofp_instructions *in = &f->insts;

    f->n_packets++;
    f->n_bytes += x->pkt->len;
    f->used_ns = x->now_ns;
    x->table = f->table_id;
    x->cookie = f->cookie;
    x->table_miss_flow = !f->priority && !f->tuple->n_words;
    if (in->present & (1u << OFPIT_METER)) {
        struct ofpl_meter *m = meter_find(x->pl, in->meter_id);
        x->impure = true;
        if (m && !meter_apply(m, x->pkt->len, x->now_ns)) {
            x->stop = true;
            return -1;
        }
    }
    if (in->apply.n) {
        exec_actions(x, in->apply.actions, in->apply.n, false);
        if (x->stop) {
            return -1;
        }
    }
    if (in->present & (1u << OFPIT_CLEAR_ACTIONS)) {
        x->n_aset = 0;
    }
    if (in->write.n) {
        aset_write(x, in->write.actions, in->write.n);
    }
    if (in->present & (1u << OFPIT_WRITE_METADATA)) {
        x->key.w[5] = (x->key.w[5] & ~in->metadata_mask)
                      | (in->metadata & in->metadata_mask);
    }
    if (in->present & (1u << OFPIT_GOTO_TABLE)) {
        return in->goto_table;
    }
    return -1;
}

static void
exec_miss(struct ofpl_exec *x, uint8_t table)
{
    if (x->pl->params.miss == OFPL_MISS_CONTROLLER) {
        struct ofpl_out o = {
            .kind = OFPL_OUT_CONTROLLER, .reason = OFPL_REASON_NO_MATCH,
            .table = table, .cookie = UINT64_MAX, .max_len = OFPL_MAX_LEN_MISS,
            .port = x->in_vport,
        };
        exec_output(x, &o);
    }
}

static void
exec_finish(struct ofpl_exec *x, struct ofpl_out *out)
{
    if (x->has_pending) {
        *out = x->pending;
    } else {
        memset(out, 0, sizeof *out);
        out->kind = OFPL_OUT_DROP;
    }
}

/* The bytes of the headers the key was parsed from. */
static inline uint32_t
hdrs_end(const struct ofpl_hdrs *h)
{
    if (h->l4) {
        return h->l4 + 4;
    }
    if (h->l3) {
        return h->l3 + (h->eth_type == OFP_ETH_TYPE_ARP ? 28 : h->eth_type == OFP_ETH_TYPE_IPV4 ? 20 : 40);
    }
    return h->mpls ? h->mpls + 4u : h->l2_end + 2u;
}

/* Does 'p' (at least OFPL_TRAIN_HDR bytes) start with the remembered
 * header bytes?  Eight words, no call. */
static inline bool
train_match(const struct ofpl_pipeline *pl, const uint8_t *p)
{
    uint64_t diff = 0;

    for (int i = 0; i < OFPL_TRAIN_HDR / 8; i++) {
        uint64_t a, h, m;
        memcpy(&a, p + 8 * i, 8);
        memcpy(&h, pl->last.hdr + 8 * i, 8);
        memcpy(&m, pl->train_mask + 8 * i, 8);
        diff |= (a & m) ^ h;
    }
    return !diff;
}

static void train_count(struct ofpl_pipeline *, uint32_t n, uint64_t bytes,
                        uint64_t now_ns);

/* Remembers the trip of a packet whose run changed only counters. */
static void
train_remember(struct ofpl_pipeline *pl, const struct ofpl_exec *x,
               struct ofpl_flow *const *steps, uint8_t n_steps, uint8_t miss_table,
               const struct ofpl_out *out)
{
    uint32_t end = hdrs_end(&x->h);

    if (x->impure || x->stop || end > OFPL_TRAIN_HDR || x->pkt->len < OFPL_TRAIN_HDR) {
        pl->last.gen = 0;
        return;
    }
    pl->last.gen = pl->gen;
    pl->last.in_vport = x->in_vport;
    pl->last.len = x->pkt->len;
    pl->last.n_steps = n_steps;
    pl->last.miss_table = miss_table;
    memcpy(pl->last.steps, steps, n_steps * sizeof *steps);
    pl->last.out = *out;
    memset(pl->train_mask, 0, OFPL_TRAIN_HDR);
    memset(pl->train_mask, 0xff, end);
    for (int i = 0; i < OFPL_TRAIN_HDR; i++) {
        pl->last.hdr[i] = x->pkt->data[i] & pl->train_mask[i];
    }
}

void
ofpl_run(struct ofpl_pipeline *pl, struct ofpl_packet *pkt, uint16_t in_vport,
         uint64_t now_ns, ofpl_emit_fn *emit, void *aux, struct ofpl_out *out)
{
    struct ofpl_exec x;
    struct ofpl_emc_entry *e;
    uint32_t h;

    /* A train: the same headers as the previous packet, whose trip only
     * counted.  Count again; nothing else to do. */
    if (pl->last.gen == pl->gen && pl->last.in_vport == in_vport
        && pl->last.len == pkt->len && train_match(pl, pkt->data)) {
        train_count(pl, 1, pkt->len, now_ns);
        *out = pl->last.out;
        return;
    }

    x.pl = pl;
    x.pkt = pkt;
    x.in_vport = in_vport;
    x.depth = 0;
    x.stop = false;
    x.impure = false;
    x.has_pending = false;
    x.now_ns = now_ns;
    x.emit = emit;
    x.aux = aux;
    x.queue = 0;
    x.table = 0;
    x.table_miss_flow = false;
    x.cookie = 0;
    x.n_aset = 0;
    memset(&x.key, 0, sizeof x.key);
    x.key.w[0] = (uint32_t) in_vport + 1;
    parse(pkt->data, pkt->len, &x.key, &x.h);

    h = key_hash_all(&x.key);
    e = &pl->emc[h & pl->emc_mask];
    if (likely(e->gen == pl->gen && !memcmp(&e->key, &x.key, sizeof x.key))) {
        int t = 0;
        pl->emc_hits++;
        for (uint8_t i = 0; i < e->n_steps && t >= 0 && !x.stop; i++) {
            struct ofpl_table *tb = &pl->tables[t];
            tb->lookups++;
            tb->matches++;
            t = exec_flow(&x, e->steps[i]);
        }
        if (t >= 0 && !x.stop && e->miss_table != 0xff) {
            pl->tables[e->miss_table].lookups++;
            exec_miss(&x, e->miss_table);
        } else if (!x.stop && t < 0) {
            aset_execute(&x);
        }
        exec_finish(&x, out);
        train_remember(pl, &x, e->steps, e->n_steps, e->miss_table, out);
        return;
    }

    /* Slow path: classify table by table, and remember the steps. */
    struct ofpl_key entry_key = x.key;
    struct ofpl_flow *steps[OFPL_EMC_STEPS];
    uint8_t n_steps = 0, miss_table = 0xff;
    bool cacheable = true;
    int t = 0;

    pl->emc_misses++;
    while (t >= 0 && !x.stop) {
        struct ofpl_table *tb = &pl->tables[t];
        struct ofpl_flow *f = table_lookup(tb, &x.key);
        tb->lookups++;
        if (!f) {
            miss_table = t;
            exec_miss(&x, t);
            break;
        }
        tb->matches++;
        if (n_steps < OFPL_EMC_STEPS) {
            steps[n_steps++] = f;
        } else {
            cacheable = false;
        }
        t = exec_flow(&x, f);
        if (t >= (int) pl->params.n_tables) {
            t = -1;                 /* checked at insertion; never here */
        }
    }
    if (t < 0 && !x.stop && miss_table == 0xff) {
        aset_execute(&x);
    }
    exec_finish(&x, out);
    if (cacheable && !x.stop) {
        e->key = entry_key;
        e->gen = pl->gen;
        e->n_steps = n_steps;
        e->miss_table = miss_table;
        memcpy(e->steps, steps, n_steps * sizeof *steps);
        train_remember(pl, &x, steps, n_steps, miss_table, out);
    } else {
        pl->last.gen = 0;
    }
}

/* Adds 'n' packets of 'bytes' to the counters of the remembered trip. */
static void
train_count(struct ofpl_pipeline *pl, uint32_t n, uint64_t bytes, uint64_t now_ns)
{
    for (uint8_t i = 0; i < pl->last.n_steps; i++) {
        struct ofpl_flow *f = pl->last.steps[i];
        f->n_packets += n;
        f->n_bytes += bytes;
        f->used_ns = now_ns;
        pl->tables[f->table_id].lookups += n;
        pl->tables[f->table_id].matches += n;
    }
    if (pl->last.miss_table != 0xff) {
        pl->tables[pl->last.miss_table].lookups += n;
    }
    pl->train_hits += n;
}

void
ofpl_run_burst(struct ofpl_pipeline *pl, struct ofpl_packet *pkts,
               const uint16_t *in_vports, uint16_t n, uint64_t now_ns,
               ofpl_emit_fn *emit, void *aux, struct ofpl_out *outs)
{
    uint32_t train = 0;
    uint64_t bytes = 0;

    for (uint16_t i = 0; i < n; i++) {
        struct ofpl_packet *pkt = &pkts[i];

        if (pl->last.gen == pl->gen && pl->last.in_vport == in_vports[i]
            && pl->last.len == pkt->len && train_match(pl, pkt->data)) {
            train++;
            bytes += pkt->len;
            outs[i] = pl->last.out;
            continue;
        }
        if (train) {
            train_count(pl, train, bytes, now_ns);
            train = 0;
            bytes = 0;
        }
        ofpl_run(pl, pkt, in_vports[i], now_ns, emit, aux, &outs[i]);
    }
    if (train) {
        train_count(pl, train, bytes, now_ns);
    }
}

void
ofpl_run_actions(struct ofpl_pipeline *pl, struct ofpl_packet *pkt,
                 uint16_t in_vport, const struct ofp_action *acts, size_t n,
                 uint64_t now_ns, ofpl_emit_fn *emit, void *aux,
                 struct ofpl_out *out)
{
    struct ofpl_exec x;

    memset(&x, 0, sizeof x);
    x.pl = pl;
    x.pkt = pkt;
    x.in_vport = in_vport;
    x.now_ns = now_ns;
    x.emit = emit;
    x.aux = aux;
    x.table = OFPL_REASON_TABLE;
    x.key.w[0] = in_vport == OFPL_NO_PORT ? OFPP13_CONTROLLER : (uint32_t) in_vport + 1;
    parse(pkt->data, pkt->len, &x.key, &x.h);
    exec_actions(&x, acts, n, true);
    exec_finish(&x, out);
}

/* ---- Flow mods ------------------------------------------------------------ */

static int
error(struct ofp_error *err, uint16_t type, uint16_t code)
{
    *err = OFP_ERROR(type, code);
    return EPROTO;
}

int
ofpl_check_actions(const struct ofpl_pipeline *pl, const struct ofp_action *acts,
                   size_t n, bool packet_out, struct ofp_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const struct ofp_action *a = &acts[i];
        if (a->type == OFPAT_OUTPUT) {
            uint32_t p = a->output.port;
            bool ok = (p >= 1 && p <= OFPL_MAX_PORTS) || p == OFPP13_IN_PORT
                      || p == OFPP13_FLOOD || p == OFPP13_ALL
                      || p == OFPP13_CONTROLLER
                      || (packet_out && p == OFPP13_TABLE);
            if (!ok) {
                return error(err, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT);
            }
        } else if (a->type == OFPAT_GROUP) {
            if (!group_find(pl, a->group_id)) {
                return error(err, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_GROUP);
            }
        }
    }
    return 0;
}

/* Does flow 'f' lie inside the (non-strict) match of 'val'/'mask'? */
static bool
flow_covered(const struct ofpl_flow *f, const struct ofpl_key *val,
             const struct ofpl_key *mask)
{
    const struct ofpl_key *fm = &f->tuple->mask;
    for (int i = 0; i < OFPL_KEY_WORDS; i++) {
        if ((mask->w[i] & ~fm->w[i]) || (f->val.w[i] & mask->w[i]) != val->w[i]) {
            return false;
        }
    }
    return true;
}

static bool
flow_same_match(const struct ofpl_flow *f, const struct ofpl_key *val,
                const struct ofpl_key *mask, uint16_t priority)
{
    return f->priority == priority && !memcmp(&f->tuple->mask, mask, sizeof *mask)
           && !memcmp(&f->val, val, sizeof *val);
}

static bool
acts_have_port(const struct ofp_action_list *l, uint32_t port)
{
    for (size_t i = 0; i < l->n; i++) {
        if (l->actions[i].type == OFPAT_OUTPUT && l->actions[i].output.port == port) {
            return true;
        }
    }
    return false;
}

static bool
acts_have_group(const struct ofp_action_list *l, uint32_t group)
{
    for (size_t i = 0; i < l->n; i++) {
        if (l->actions[i].type == OFPAT_GROUP && l->actions[i].group_id == group) {
            return true;
        }
    }
    return false;
}

/* The filters of a modify/delete/stats request besides the match. */
static bool
flow_selected(const struct ofpl_flow *f, uint64_t cookie, uint64_t cookie_mask,
              uint32_t out_port, uint32_t out_group)
{
    if ((f->cookie & cookie_mask) != (cookie & cookie_mask)) {
        return false;
    }
    if (out_port != OFPP13_ANY && !acts_have_port(&f->insts.apply, out_port)
        && !acts_have_port(&f->insts.write, out_port)) {
        return false;
    }
    if (out_group != OFPG_ANY && !acts_have_group(&f->insts.apply, out_group)
        && !acts_have_group(&f->insts.write, out_group)) {
        return false;
    }
    return true;
}

/* A new flow for 'fm' (instructions copied); NULL if out of memory. */
static struct ofpl_flow *
flow_new(const struct ofp_flow_mod_body *fm, const struct ofpl_key *val,
         uint64_t now_ns)
{
    size_t na = fm->insts.apply.n, nw = fm->insts.write.n;
    struct ofpl_flow *f = calloc(1, sizeof *f + (na + nw) * sizeof *f->acts);

    if (!f) {
        return NULL;
    }
    f->priority = fm->priority;
    f->table_id = fm->table_id;
    f->val = *val;
    f->cookie = fm->cookie;
    f->created_ns = f->used_ns = now_ns;
    f->flags = fm->flags;
    f->idle_timeout = fm->idle_timeout;
    f->hard_timeout = fm->hard_timeout;
    f->match = fm->match;
    f->insts = fm->insts;
    if (na) {
        memcpy(f->acts, fm->insts.apply.actions, na * sizeof *f->acts);
    }
    if (nw) {
        memcpy(f->acts + na, fm->insts.write.actions, nw * sizeof *f->acts);
    }
    f->insts.apply.actions = na ? f->acts : NULL;
    f->insts.write.actions = nw ? f->acts + na : NULL;
    return f;
}

static void
flow_report(const struct ofpl_flow *f, uint8_t reason, uint64_t now_ns,
            ofpl_removed_fn *removed, void *aux)
{
    if (removed && (f->flags & OFPFF_SEND_FLOW_REM)) {
        struct ofpl_removed r = {
            .match = &f->match, .cookie = f->cookie, .priority = f->priority,
            .reason = reason, .table_id = f->table_id,
            .duration_ns = now_ns - f->created_ns,
            .idle_timeout = f->idle_timeout, .hard_timeout = f->hard_timeout,
            .packet_count = f->n_packets, .byte_count = f->n_bytes,
        };
        removed(aux, &r);
    }
}

static void
flow_delete(struct ofpl_pipeline *pl, struct ofpl_flow *f, uint8_t reason,
            uint64_t now_ns, ofpl_removed_fn *removed, void *aux)
{
    flow_report(f, reason, now_ns, removed, aux);
    table_remove(&pl->tables[f->table_id], f);
    pl->n_flows--;
    pl->gen++;
    free(f);
}

static int
flow_check(const struct ofpl_pipeline *pl, const struct ofp_flow_mod_body *fm,
           struct ofp_error *err)
{
    const struct ofp_instructions *in = &fm->insts;

    if ((in->present & (1u << OFPIT_GOTO_TABLE))
        && (in->goto_table >= pl->params.n_tables || in->goto_table <= fm->table_id)) {
        return error(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_TABLE_ID);
    }
    if ((in->present & (1u << OFPIT_METER)) && !meter_find(pl, in->meter_id)) {
        return error(err, OFPET_METER_MOD_FAILED, OFPMMFC_UNKNOWN_METER);
    }
    if (ofpl_check_actions(pl, in->apply.actions, in->apply.n, false, err)
        || ofpl_check_actions(pl, in->write.actions, in->write.n, false, err)) {
        return EPROTO;
    }
    return 0;
}

static int
flow_add(struct ofpl_pipeline *pl, const struct ofp_flow_mod_body *fm,
         uint64_t now_ns, struct ofp_error *err)
{
    struct ofpl_table *tb = &pl->tables[fm->table_id];
    struct ofpl_key val, mask;
    struct ofpl_flow *old = NULL, *f;

    match_to_keys(&fm->match, &val, &mask);
    for (uint32_t i = 0; i < tb->n_tuples && !old; i++) {
        struct ofpl_tuple *tu = tb->tuples[i];
        if (memcmp(&tu->mask, &mask, sizeof mask)) {
            continue;
        }
        uint32_t h = tuple_hash(tu, &val);
        for (f = tu->buckets[h & tu->bucket_mask]; f; f = f->next) {
            if (f->hash == h && f->priority == fm->priority
                && !memcmp(&f->val, &val, sizeof val)) {
                old = f;
                break;
            }
        }
    }
    if (!old && (fm->flags & OFPFF_CHECK_OVERLAP)) {
        for (f = tb->flows; f; f = f->lnext) {
            if (f->priority != fm->priority) {
                continue;
            }
            bool overlap = true;
            for (int w = 0; w < OFPL_KEY_WORDS && overlap; w++) {
                uint64_t both = f->tuple->mask.w[w] & mask.w[w];
                overlap = !((f->val.w[w] ^ val.w[w]) & both);
            }
            if (overlap) {
                return error(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_OVERLAP);
            }
        }
    }
    if (!old && pl->n_flows >= pl->params.max_flows) {
        return error(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_TABLE_FULL);
    }
    f = flow_new(fm, &val, now_ns);
    if (!f) {
        return error(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_UNKNOWN);
    }
    if (old) {
        /* Same match and priority: the new flow replaces it; counters
         * stay unless OFPFF_RESET_COUNTS (as Open vSwitch does). */
        if (!(fm->flags & OFPFF12_RESET_COUNTS)) {
            f->n_packets = old->n_packets;
            f->n_bytes = old->n_bytes;
        }
        table_remove(tb, old);
        pl->n_flows--;
        free(old);
    }
    if (!table_insert(tb, f, &mask)) {
        free(f);
        pl->gen++;
        return error(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_UNKNOWN);
    }
    pl->n_flows++;
    pl->gen++;
    return 0;
}

/* Replaces the instructions of 'f' with those of 'fm'. */
static int
flow_modify(struct ofpl_pipeline *pl, struct ofpl_flow *f,
            const struct ofp_flow_mod_body *fm, uint64_t now_ns)
{
    struct ofpl_flow *n = flow_new(fm, &f->val, now_ns);
    struct ofpl_table *tb = &pl->tables[f->table_id];
    struct ofpl_key mask = f->tuple->mask;

    if (!n) {
        return ENOMEM;
    }
    n->priority = f->priority;
    n->match = f->match;
    n->cookie = f->cookie;
    n->created_ns = f->created_ns;
    n->flags = f->flags;
    n->idle_timeout = f->idle_timeout;
    n->hard_timeout = f->hard_timeout;
    if (!(fm->flags & OFPFF12_RESET_COUNTS)) {
        n->n_packets = f->n_packets;
        n->n_bytes = f->n_bytes;
    }
    n->used_ns = f->used_ns;
    table_remove(tb, f);
    free(f);
    table_insert(tb, n, &mask);
    pl->gen++;
    return 0;
}

int
ofpl_flow_mod(struct ofpl_pipeline *pl, const struct ofp_flow_mod_body *fm,
              uint64_t now_ns, ofpl_removed_fn *removed, void *aux,
              struct ofp_error *err)
{
    bool strict = fm->command == OFPFC_MODIFY_STRICT
                  || fm->command == OFPFC_DELETE_STRICT;
    bool del = fm->command == OFPFC_DELETE || fm->command == OFPFC_DELETE_STRICT;
    struct ofpl_key val, mask;
    unsigned t0, t1;

    if (fm->command > OFPFC_DELETE_STRICT) {
        return error(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_COMMAND);
    }
    if (fm->table_id == OFPTT_ALL && del) {
        t0 = 0;
        t1 = pl->params.n_tables;
    } else if (fm->table_id >= pl->params.n_tables) {
        return error(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_TABLE_ID);
    } else {
        t0 = fm->table_id;
        t1 = t0 + 1;
    }
    if (!del && flow_check(pl, fm, err)) {
        return EPROTO;
    }
    if (fm->command == OFPFC_ADD) {
        return flow_add(pl, fm, now_ns, err);
    }

    match_to_keys(&fm->match, &val, &mask);
    for (unsigned t = t0; t < t1; t++) {
        struct ofpl_table *tb = &pl->tables[t];
        struct ofpl_flow *f, *next;

        /* Collect first: modify re-inserts at the head of the list. */
        size_t n = 0, cap = tb->n_flows;
        struct ofpl_flow **sel = cap ? malloc(cap * sizeof *sel) : NULL;
        if (cap && !sel) {
            return error(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_UNKNOWN);
        }
        for (f = tb->flows; f; f = next) {
            next = f->lnext;
            bool hit = strict ? flow_same_match(f, &val, &mask, fm->priority)
                              : flow_covered(f, &val, &mask);
            if (hit && flow_selected(f, fm->cookie, fm->cookie_mask,
                                     del ? fm->out_port : OFPP13_ANY,
                                     del ? fm->out_group : OFPG_ANY)) {
                sel[n++] = f;
            }
        }
        for (size_t i = 0; i < n; i++) {
            if (del) {
                flow_delete(pl, sel[i], OFPRR_DELETE, now_ns, removed, aux);
            } else if (flow_modify(pl, sel[i], fm, now_ns)) {
                free(sel);
                return error(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_UNKNOWN);
            }
        }
        free(sel);
    }
    return 0;
}

unsigned
ofpl_expire(struct ofpl_pipeline *pl, uint64_t now_ns, ofpl_removed_fn *removed,
            void *aux)
{
    unsigned n = 0;

    for (unsigned t = 0; t < pl->params.n_tables; t++) {
        struct ofpl_flow *f, *next;
        for (f = pl->tables[t].flows; f; f = next) {
            next = f->lnext;
            if (f->hard_timeout
                && now_ns - f->created_ns >= f->hard_timeout * 1000000000ull) {
                flow_delete(pl, f, OFPRR_HARD_TIMEOUT, now_ns, removed, aux);
                n++;
            } else if (f->idle_timeout
                       && now_ns - f->used_ns >= f->idle_timeout * 1000000000ull) {
                flow_delete(pl, f, OFPRR_IDLE_TIMEOUT, now_ns, removed, aux);
                n++;
            }
        }
    }
    return n;
}

/* Removes the flows whose instructions use group 'group' (or meter
 * 'meter'), reporting 'reason'. */
static void
flows_delete_using(struct ofpl_pipeline *pl, uint32_t group, uint32_t meter,
                   uint8_t reason, uint64_t now_ns, ofpl_removed_fn *removed,
                   void *aux)
{
    for (unsigned t = 0; t < pl->params.n_tables; t++) {
        struct ofpl_flow *f, *next;
        for (f = pl->tables[t].flows; f; f = next) {
            next = f->lnext;
            bool uses = group != OFPG_ANY
                        ? acts_have_group(&f->insts.apply, group)
                          || acts_have_group(&f->insts.write, group)
                        : (f->insts.present & (1u << OFPIT_METER))
                          && f->insts.meter_id == meter;
            if (uses) {
                flow_delete(pl, f, reason, now_ns, removed, aux);
            }
        }
    }
}

/* ---- Groups ---------------------------------------------------------------- */

static void
group_free(struct ofpl_group *g)
{
    if (g) {
        for (size_t b = 0; b < g->n_buckets; b++) {
            free(g->buckets[b].acts);
        }
        free(g->buckets);
        free(g);
    }
}

static struct ofpl_group *
group_new(const struct ofp_group_mod_body *gm, uint64_t now_ns)
{
    struct ofpl_group *g = calloc(1, sizeof *g);

    if (!g || !(g->buckets = calloc(gm->n_buckets + 1, sizeof *g->buckets))) {
        free(g);
        return NULL;
    }
    g->id = gm->group_id;
    g->type = gm->type;
    g->created_ns = now_ns;
    g->n_buckets = gm->n_buckets;
    for (size_t i = 0; i < gm->n_buckets; i++) {
        const struct ofp_bucket *src = &gm->buckets[i];
        struct ofpl_bucket *b = &g->buckets[i];
        b->weight = src->weight;
        b->watch_port = src->watch_port;
        b->watch_group = src->watch_group;
        b->n_acts = src->actions.n;
        b->acts = calloc(src->actions.n + 1, sizeof *b->acts);
        if (!b->acts) {
            group_free(g);
            return NULL;
        }
        if (src->actions.n) {
            memcpy(b->acts, src->actions.actions, src->actions.n * sizeof *b->acts);
        }
    }
    return g;
}

static void
group_remove_at(struct ofpl_pipeline *pl, size_t i, uint64_t now_ns,
                ofpl_removed_fn *removed, void *aux)
{
    struct ofpl_group *g = pl->groups[i];

    memmove(&pl->groups[i], &pl->groups[i + 1],
            (pl->n_groups - i - 1) * sizeof *pl->groups);
    pl->n_groups--;
    flows_delete_using(pl, g->id, 0, OFPRR_GROUP_DELETE, now_ns, removed, aux);
    group_free(g);
    pl->gen++;
}

int
ofpl_group_mod(struct ofpl_pipeline *pl, const struct ofp_group_mod_body *gm,
               uint64_t now_ns, ofpl_removed_fn *removed, void *aux,
               struct ofp_error *err)
{
    bool found;
    size_t i;

    if (gm->command == OFPGC11_DELETE) {
        if (gm->group_id == OFPG_ALL) {
            while (pl->n_groups) {
                group_remove_at(pl, pl->n_groups - 1, now_ns, removed, aux);
            }
        } else {
            i = id_search((void *const *) pl->groups, pl->n_groups, gm->group_id, &found);
            if (found) {
                group_remove_at(pl, i, now_ns, removed, aux);
            }
        }
        return 0;
    }
    if (gm->command != OFPGC11_ADD && gm->command != OFPGC11_MODIFY) {
        return error(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_COMMAND);
    }
    if (gm->group_id > OFPG_MAX) {
        return error(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_INVALID_GROUP);
    }
    if (gm->type > OFPGT11_FF) {
        return error(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_TYPE);
    }
    if (gm->type == OFPGT11_INDIRECT && gm->n_buckets != 1) {
        return error(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_INVALID_GROUP);
    }
    for (size_t b = 0; b < gm->n_buckets; b++) {
        const struct ofp_action_list *l = &gm->buckets[b].actions;
        for (size_t k = 0; k < l->n; k++) {
            if (l->actions[k].type == OFPAT_GROUP && l->actions[k].group_id == gm->group_id) {
                return error(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_LOOP);
            }
        }
        if (ofpl_check_actions(pl, l->actions, l->n, false, err)) {
            return EPROTO;
        }
    }
    i = id_search((void *const *) pl->groups, pl->n_groups, gm->group_id, &found);
    if (gm->command == OFPGC11_ADD && found) {
        return error(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_GROUP_EXISTS);
    }
    if (gm->command == OFPGC11_MODIFY && !found) {
        return error(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_UNKNOWN_GROUP);
    }
    struct ofpl_group *g = group_new(gm, now_ns);
    if (!g) {
        return error(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_OUT_OF_GROUPS);
    }
    if (found) {
        g->created_ns = pl->groups[i]->created_ns;
        group_free(pl->groups[i]);
        pl->groups[i] = g;
    } else {
        if (pl->n_groups == pl->alloc_groups) {
            size_t n = pl->alloc_groups ? 2 * pl->alloc_groups : 16;
            struct ofpl_group **a = realloc(pl->groups, n * sizeof *a);
            if (!a) {
                group_free(g);
                return error(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_OUT_OF_GROUPS);
            }
            pl->groups = a;
            pl->alloc_groups = n;
        }
        memmove(&pl->groups[i + 1], &pl->groups[i],
                (pl->n_groups - i) * sizeof *pl->groups);
        pl->groups[i] = g;
        pl->n_groups++;
    }
    pl->gen++;
    return 0;
}

/* ---- Meters ---------------------------------------------------------------- */

static struct ofpl_meter *
meter_new(const struct ofp_meter_mod_body *mm, uint64_t now_ns)
{
    struct ofpl_meter *m = calloc(1, sizeof *m + mm->n_bands * sizeof m->bands[0]);

    if (!m) {
        return NULL;
    }
    m->id = mm->meter_id;
    m->flags = mm->flags;
    m->created_ns = m->last_ns = now_ns;
    m->n_bands = mm->n_bands;
    for (size_t i = 0; i < mm->n_bands; i++) {
        const struct ofp_meter_band *src = &mm->bands[i];
        struct ofpl_band *b = &m->bands[i];
        uint64_t burst;

        b->type = src->type;
        b->rate = src->rate;
        b->burst = src->burst_size;
        b->prec_level = src->prec_level;
        if (mm->flags & OFPMF13_PKTPS) {
            b->per_s = src->rate;
            burst = mm->flags & OFPMF13_BURST && src->burst_size
                    ? src->burst_size : (src->rate / 10 ? src->rate / 10 : 1);
        } else {
            b->per_s = (uint64_t) src->rate * 1000 / 8;        /* kbit/s */
            burst = mm->flags & OFPMF13_BURST && src->burst_size
                    ? (uint64_t) src->burst_size * 1000 / 8 : b->per_s / 10;
            if (burst < 1514) {
                burst = 1514;
            }
        }
        b->capacity = burst * 1000000ull;
        b->tokens = b->capacity;
    }
    return m;
}

int
ofpl_meter_mod(struct ofpl_pipeline *pl, const struct ofp_meter_mod_body *mm,
               uint64_t now_ns, ofpl_removed_fn *removed, void *aux,
               struct ofp_error *err)
{
    bool found;
    size_t i;

    if (mm->command == OFPMC13_DELETE) {
        for (i = pl->n_meters; i-- > 0;) {
            struct ofpl_meter *m = pl->meters[i];
            if (mm->meter_id == OFPM13_ALL || m->id == mm->meter_id) {
                memmove(&pl->meters[i], &pl->meters[i + 1],
                        (pl->n_meters - i - 1) * sizeof *pl->meters);
                pl->n_meters--;
                flows_delete_using(pl, OFPG_ANY, m->id, OFPRR_DELETE, now_ns,
                                   removed, aux);
                free(m);
                pl->gen++;
            }
        }
        return 0;
    }
    if (mm->command != OFPMC13_ADD && mm->command != OFPMC13_MODIFY) {
        return error(err, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_COMMAND);
    }
    if (!mm->meter_id || mm->meter_id > OFPM13_MAX) {
        return error(err, OFPET_METER_MOD_FAILED, OFPMMFC_INVALID_METER);
    }
    if ((mm->flags & OFPMF13_KBPS) && (mm->flags & OFPMF13_PKTPS)) {
        return error(err, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_FLAGS);
    }
    for (size_t b = 0; b < mm->n_bands; b++) {
        if (mm->bands[b].type != OFPMBT13_DROP
            && mm->bands[b].type != OFPMBT13_DSCP_REMARK) {
            return error(err, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_BAND);
        }
        if (!mm->bands[b].rate) {
            return error(err, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_RATE);
        }
    }
    i = id_search((void *const *) pl->meters, pl->n_meters, mm->meter_id, &found);
    if (mm->command == OFPMC13_ADD && found) {
        return error(err, OFPET_METER_MOD_FAILED, OFPMMFC_METER_EXISTS);
    }
    if (mm->command == OFPMC13_MODIFY && !found) {
        return error(err, OFPET_METER_MOD_FAILED, OFPMMFC_UNKNOWN_METER);
    }
    struct ofpl_meter *m = meter_new(mm, now_ns);
    if (!m) {
        return error(err, OFPET_METER_MOD_FAILED, OFPMMFC_OUT_OF_METERS);
    }
    if (found) {
        struct ofpl_meter *old = pl->meters[i];
        m->created_ns = old->created_ns;
        m->n_packets = old->n_packets;
        m->n_bytes = old->n_bytes;
        free(old);
        pl->meters[i] = m;
    } else {
        if (pl->n_meters == pl->alloc_meters) {
            size_t n = pl->alloc_meters ? 2 * pl->alloc_meters : 16;
            struct ofpl_meter **a = realloc(pl->meters, n * sizeof *a);
            if (!a) {
                free(m);
                return error(err, OFPET_METER_MOD_FAILED, OFPMMFC_OUT_OF_METERS);
            }
            pl->meters = a;
            pl->alloc_meters = n;
        }
        memmove(&pl->meters[i + 1], &pl->meters[i],
                (pl->n_meters - i) * sizeof *pl->meters);
        pl->meters[i] = m;
        pl->n_meters++;
    }
    pl->gen++;
    return 0;
}

/* ---- Statistics ---------------------------------------------------------------- */

static void
duration(uint64_t ns, uint32_t *sec, uint32_t *nsec)
{
    *sec = ns / 1000000000ull;
    *nsec = ns % 1000000000ull;
}

void
ofpl_flow_stats(const struct ofpl_pipeline *pl,
                const struct ofp_flow_stats_request *req, uint64_t now_ns,
                ofpl_flow_fn *cb, void *aux)
{
    unsigned t0 = 0, t1 = pl->params.n_tables;
    struct ofpl_key val, mask;

    if (req->table_id != OFPTT_ALL) {
        if (req->table_id >= t1) {
            return;
        }
        t0 = req->table_id;
        t1 = t0 + 1;
    }
    match_to_keys(&req->match, &val, &mask);
    for (unsigned t = t0; t < t1; t++) {
        for (const struct ofpl_flow *f = pl->tables[t].flows; f; f = f->lnext) {
            if (!flow_covered(f, &val, &mask)
                || !flow_selected(f, req->cookie, req->cookie_mask,
                                  req->out_port, req->out_group)) {
                continue;
            }
            struct ofp_flow_stats fs = {
                .table_id = t, .priority = f->priority,
                .idle_timeout = f->idle_timeout, .hard_timeout = f->hard_timeout,
                .flags = f->flags, .cookie = f->cookie,
                .packet_count = f->n_packets, .byte_count = f->n_bytes,
                .match = f->match, .insts = f->insts,
            };
            duration(now_ns - f->created_ns, &fs.duration_sec, &fs.duration_nsec);
            cb(aux, &fs);
        }
    }
}

void
ofpl_table_stats(const struct ofpl_pipeline *pl, uint8_t table_id,
                 struct ofp_table_stats *ts)
{
    const struct ofpl_table *tb = &pl->tables[table_id];

    ts->table_id = table_id;
    ts->active_count = tb->n_flows;
    ts->lookup_count = tb->lookups;
    ts->matched_count = tb->matches;
}

size_t
ofpl_n_groups(const struct ofpl_pipeline *pl)
{
    return pl->n_groups;
}

uint32_t
ofpl_group_id(const struct ofpl_pipeline *pl, size_t i)
{
    return pl->groups[i]->id;
}

static uint32_t
group_refs(const struct ofpl_pipeline *pl, uint32_t id)
{
    uint32_t n = 0;
    for (unsigned t = 0; t < pl->params.n_tables; t++) {
        for (const struct ofpl_flow *f = pl->tables[t].flows; f; f = f->lnext) {
            n += acts_have_group(&f->insts.apply, id) || acts_have_group(&f->insts.write, id);
        }
    }
    return n;
}

void
ofpl_group_stats(const struct ofpl_pipeline *pl, size_t i, uint64_t now_ns,
                 struct ofp_group_stats *gs, struct ofp_msg *msg)
{
    const struct ofpl_group *g = pl->groups[i];

    memset(gs, 0, sizeof *gs);
    gs->group_id = g->id;
    gs->ref_count = group_refs(pl, g->id);
    gs->packet_count = g->n_packets;
    gs->byte_count = g->n_bytes;
    duration(now_ns - g->created_ns, &gs->duration_sec, &gs->duration_nsec);
    gs->n_buckets = g->n_buckets;
    gs->buckets = ofp_msg_alloc(msg, (g->n_buckets + 1) * sizeof *gs->buckets);
    for (size_t b = 0; b < g->n_buckets; b++) {
        gs->buckets[b].packet_count = g->buckets[b].n_packets;
        gs->buckets[b].byte_count = g->buckets[b].n_bytes;
    }
}

void
ofpl_group_desc(const struct ofpl_pipeline *pl, size_t i,
                struct ofp_group_desc *gd, struct ofp_msg *msg)
{
    const struct ofpl_group *g = pl->groups[i];

    gd->type = g->type;
    gd->group_id = g->id;
    gd->n_buckets = g->n_buckets;
    gd->buckets = ofp_msg_alloc(msg, (g->n_buckets + 1) * sizeof *gd->buckets);
    for (size_t b = 0; b < g->n_buckets; b++) {
        gd->buckets[b] = (struct ofp_bucket) {
            .weight = g->buckets[b].weight,
            .watch_port = g->buckets[b].watch_port,
            .watch_group = g->buckets[b].watch_group,
            .actions = { g->buckets[b].acts, g->buckets[b].n_acts },
        };
    }
}

size_t
ofpl_n_meters(const struct ofpl_pipeline *pl)
{
    return pl->n_meters;
}

uint32_t
ofpl_meter_id(const struct ofpl_pipeline *pl, size_t i)
{
    return pl->meters[i]->id;
}

void
ofpl_meter_stats(const struct ofpl_pipeline *pl, size_t i, uint64_t now_ns,
                 struct ofp_meter_stats *ms, struct ofp_msg *msg)
{
    const struct ofpl_meter *m = pl->meters[i];
    uint32_t flows = 0;

    for (unsigned t = 0; t < pl->params.n_tables; t++) {
        for (const struct ofpl_flow *f = pl->tables[t].flows; f; f = f->lnext) {
            flows += (f->insts.present & (1u << OFPIT_METER)) && f->insts.meter_id == m->id;
        }
    }
    memset(ms, 0, sizeof *ms);
    ms->meter_id = m->id;
    ms->flow_count = flows;
    ms->packet_in_count = m->n_packets;
    ms->byte_in_count = m->n_bytes;
    duration(now_ns - m->created_ns, &ms->duration_sec, &ms->duration_nsec);
    ms->n_bands = m->n_bands;
    ms->bands = ofp_msg_alloc(msg, (m->n_bands + 1) * sizeof *ms->bands);
    for (size_t b = 0; b < m->n_bands; b++) {
        ms->bands[b].packet_count = m->bands[b].n_packets;
        ms->bands[b].byte_count = m->bands[b].n_bytes;
    }
}

void
ofpl_counts(const struct ofpl_pipeline *pl, struct ofpl_counts *c)
{
    memset(c, 0, sizeof *c);
    c->flows = pl->n_flows;
    for (unsigned t = 0; t < pl->params.n_tables; t++) {
        c->tuples += pl->tables[t].n_tuples;
    }
    c->groups = pl->n_groups;
    c->meters = pl->n_meters;
    c->emc_hits = pl->emc_hits + pl->train_hits;
    c->train_hits = pl->train_hits;
    c->emc_misses = pl->emc_misses;
    c->generation = pl->gen;
}
