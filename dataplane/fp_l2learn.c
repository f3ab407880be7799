/*
 * fp_l2learn: the default forwarding plane, a MAC-learning bridge per
 * vnode.  Each vnode learns in its own table (mactable.h), so two slices
 * can use the same MAC addresses without ever meeting.
 *
 * Config: {"mac_table_size": N (default 1024), "aging_s": S (default 300),
 *          "split_horizon": true|false (default false)}.
 *
 * VLANs: where the slice owns a whole port or a VLAN set with its tags,
 * tagged frames reach the vnode as sent and leave as they came (the
 * bridge never touches a tag), and addresses are learned per (VLAN, MAC):
 * the outer tag's VID (0x1000 | VID; 0 untagged) is the top 16 bits of the
 * table's key, so one station in two VLANs is two entries, and a frame is
 * sent where its destination was seen in its own VLAN, else flooded.
 *
 * Split horizon: a frame that entered over a virtual link is flooded only
 * to access vports.  With it, a full mesh of virtual links between the
 * vnodes of a slice is loop-free on any substrate (as in VPLS).
 *
 * Cost (measured with the bench in docs/performance.md): the lookup and
 * the learn are one cache line each in the common case; a burst's lines
 * are prefetched before any is used, so with many stations (a table
 * larger than the cache) the misses overlap instead of adding up.  A
 * vnode that is a two-port bridge on untagged access ports is decided by
 * pair() (the dataplane's cut-through pair, docs/design.md): one pass
 * over the headers, no verdict array, no write for a station seen again,
 * and for most destinations one bit of the table's summary instead of
 * their bucket.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "dp_fp.h"
#include "mactable.h"

#define L2LEARN_DEFAULT_SIZE 1024
#define L2LEARN_DEFAULT_AGING 300
#define L2LEARN_AHEAD 8             /* frames whose buckets load ahead */
#define L2LEARN_CHUNK 32            /* frames decided in one pass */
/* pair()'s slots per burst: the frames, then L2LEARN_PAD slots cleared
 * for the look-ahead (whose buckets are made eight keys, four frames, at
 * a time). */
#define L2LEARN_PAD 16
#define L2LEARN_SLOTS (DP_FP_PAIR_MAX + L2LEARN_PAD)

struct l2learn {
    struct mactable table;
    uint32_t size;
    uint32_t aging;
    bool split_horizon;
};

/* The VLAN part of the table's keys for the frame at 'eth' ('len'
 * bytes): 0x1000 | VID of its outer 802.1Q or 802.1ad tag, in the top 16
 * bits of a key; 0 when untagged. */
static inline uint64_t
l2learn_vlan(const uint8_t *eth, uint32_t len)
{
    if (len >= 18 && ((eth[12] == 0x81 && eth[13] == 0x00)
                      || (eth[12] == 0x88 && eth[13] == 0xa8))) {
        return (uint64_t) (0x1000 | ((eth[14] & 0x0f) << 8 | eth[15])) << 48;
    }
    return 0;
}

static int
l2learn_get_uint(const json_t *config, const char *key, uint32_t min,
                 uint32_t max, uint32_t *value, struct dp_error *err)
{
    const json_t *v = config ? json_object_get(config, key) : NULL;

    if (!v) {
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < min
        || json_integer_value(v) > max) {
        snprintf(err->msg, sizeof err->msg,
                 "l2learn: \"%s\" must be an integer in %u..%u", key, min, max);
        return EINVAL;
    }
    *value = json_integer_value(v);
    return 0;
}

static int
l2learn_create(const json_t *config, void **statep, struct dp_error *err)
{
    uint32_t size = L2LEARN_DEFAULT_SIZE, aging = L2LEARN_DEFAULT_AGING;
    const char *key;
    json_t *value;
    int error;

    if (config && !json_is_object(config)) {
        snprintf(err->msg, sizeof err->msg, "l2learn: config must be an object");
        return EINVAL;
    }
    json_object_foreach((json_t *) config, key, value) {
        if (strcmp(key, "mac_table_size") && strcmp(key, "aging_s")
            && strcmp(key, "split_horizon")) {
            snprintf(err->msg, sizeof err->msg,
                     "l2learn: unknown config key \"%s\" (known: mac_table_size, "
                     "aging_s, split_horizon)", key);
            return EINVAL;
        }
    }
    const json_t *sh = config ? json_object_get(config, "split_horizon") : NULL;
    if (sh && !json_is_boolean(sh)) {
        snprintf(err->msg, sizeof err->msg, "l2learn: \"split_horizon\" must be true or false");
        return EINVAL;
    }
    error = l2learn_get_uint(config, "mac_table_size", 8, 1u << 20, &size, err);
    if (!error) {
        error = l2learn_get_uint(config, "aging_s", 1, 86400, &aging, err);
    }
    if (error) {
        return error;
    }

    struct l2learn *l2 = calloc(1, sizeof *l2);
    if (!l2 || mactable_init(&l2->table, size, aging)) {
        free(l2);
        snprintf(err->msg, sizeof err->msg, "l2learn: out of memory");
        return ENOMEM;
    }
    l2->size = size;
    l2->aging = aging;
    l2->split_horizon = json_is_true(sh);
    *statep = l2;
    return 0;
}

static void
l2learn_destroy(void *state)
{
    struct l2learn *l2 = state;

    if (l2) {
        mactable_destroy(&l2->table);
        free(l2);
    }
}

/* Learns the sources of 'n' frames and decides each one's vport.  Two
 * passes over the burst: the first reads each frame's addresses once and
 * hashes them, the second learns and looks up, prefetching the buckets of
 * the frame L2LEARN_AHEAD places on (a window of a few misses in flight:
 * all of a burst's 64 at once overflow the core's miss buffers and stall
 * the prefetches themselves). */
static void
l2learn_process(void *state, struct rte_mbuf **pkts, const uint16_t *in_vports,
                uint16_t *out, uint16_t n, const struct dp_fp_ctx *ctx)
{
    struct l2learn *l2 = state;
    struct mactable *t = &l2->table;
    const uint32_t now = ctx->now_s;
    uint64_t last_src = UINT64_MAX, last_dst = UINT64_MAX;
    uint16_t last_in = 0, last_port = MACTABLE_NONE;
    uint64_t dsts[L2LEARN_CHUNK], srcs[L2LEARN_CHUNK];
    uint32_t hdsts[L2LEARN_CHUNK], hsrcs[L2LEARN_CHUNK];

    if (unlikely(n > L2LEARN_CHUNK)) {  /* never from the dataplane's bursts */
        for (uint16_t k = 0; k < n; k += L2LEARN_CHUNK) {
            l2learn_process(state, pkts + k, in_vports + k, out + k,
                            n - k < L2LEARN_CHUNK ? n - k : L2LEARN_CHUNK, ctx);
        }
        return;
    }
    for (uint16_t j = 0; j < n; j++) {
        const uint8_t *e = rte_pktmbuf_mtod(pkts[j], const uint8_t *);
        uint64_t vlan = l2learn_vlan(e, rte_pktmbuf_data_len(pkts[j]));

        dsts[j] = mactable_key8(e) | vlan;
        srcs[j] = mactable_key8(e + 6) | vlan;
        hsrcs[j] = mactable_hash(srcs[j]);
        hdsts[j] = mactable_hash(dsts[j]);
        if (j < L2LEARN_AHEAD) {
            mactable_prefetch_h(t, hsrcs[j]);
            mactable_prefetch_h(t, hdsts[j]);
        }
    }
    for (uint16_t i = 0; i < n; i++) {
        uint64_t dst = dsts[i], src = srcs[i];
        uint16_t in = in_vports[i], port;

        if (i + L2LEARN_AHEAD < n) {
            mactable_prefetch_h(t, hsrcs[i + L2LEARN_AHEAD]);
            mactable_prefetch_h(t, hdsts[i + L2LEARN_AHEAD]);
        }
        /* Frames of one flow come in trains: learn each source once. */
        if (src != last_src || in != last_in) {
            mactable_learn_h(t, src, hsrcs[i], in, now);
            last_src = src;
            last_in = in;
            last_dst = UINT64_MAX;      /* the table changed */
        }
        /* ... and go to few destinations: look each up once. */
        if (dst != last_dst) {
            last_dst = dst;
            last_port = mactable_lookup_h(t, dst, hdsts[i], now);
        }
        port = last_port;
        if ((dst & 1) || port == MACTABLE_NONE) {     /* group bit */
            out[i] = l2->split_horizon && ctx->is_vlink[in]
                     ? DP_FP_FLOOD_ACCESS : DP_FP_FLOOD;
        } else if (port == in) {
            out[i] = DP_FP_DROP;        /* never back where it came from */
        } else {
            out[i] = port;
        }
    }
}

/* Nonzero if the frame whose ethertype (as read little-endian) is 'type'
 * and whose first buffer holds 'len' bytes is shorter than a header or
 * tagged (0x8100 or 0x88a8, read as 0x0081 and 0xa888): three compares
 * without a branch, ORed over a burst by pair().  (A vector check of the
 * burst's stored types and lengths was slower on Intel: its load waits
 * for the 2-byte stores it cannot take forwarded.) */
static inline unsigned
l2learn_declines(uint16_t type, uint16_t len)
{
    return (unsigned) (len < 14) | (unsigned) (type == 0x0081)
           | (unsigned) (type == 0xa888);
}

/* True if 'dst', whose first bucket is 'b', is a live station on port
 * 'in' (that of stamp 's'): the pair's drop, read from the buckets when
 * the table's summary could not rule it out. */
static bool
l2learn_on(const struct mactable *t, const struct mactable_entry *b,
           uint64_t dst, mactable_stamp s, uint16_t in, uint32_t now)
{
    const struct mactable_entry *e = NULL;

    switch (mactable_where(b, dst, s, &e)) {
    case MACTABLE_HERE:
        return mactable_live(t, e, now);
    case MACTABLE_ELSEWHERE:
        return false;
    case MACTABLE_ABSENT:
    default:
        return mactable_lookup__(t, dst, mactable_hash(dst), now) == in;
    }
}

/* The cut-through pair (dp_fp.h, pair()): 'n' frames that all entered on
 * access vport 'in' of a vnode with one other vport.  The same table
 * work as l2learn_process() (learn each source, look each destination
 * up), but the only verdict left to decide is a drop (the destination was
 * learned on 'in' itself: flooding, a group address or the other vport
 * all mean the other vport), so there is no verdict array and no
 * split-horizon test; the table's summary (mactable_maybe_on()) rules
 * that drop out for nearly every frame without its destination's bucket
 * being read, so only the sources' buckets are prefetched (L2LEARN_AHEAD
 * frames ahead) and a destination's is read only when the summary says
 * "maybe" (for the stations on 'in', and for about one other in 16 with
 * the table half full); and the
 * first pass, which reads every header anyway, also sums the bytes and
 * tells, without a branch per frame (l2learn_declines()), whether every
 * frame is one this path may take: at least 14 bytes and no 802.1Q or
 * 802.1ad tag (those are keyed by VLAN, and an 802.1Q one may be the
 * access port's to strip: the general path takes them). */
static uint16_t
l2learn_pair(void *state, struct rte_mbuf **pkts, uint16_t n, uint16_t in,
             const struct dp_fp_ctx *ctx, uint64_t *bytes_in,
             uint64_t *bytes_out)
{
    struct l2learn *l2 = state;
    struct mactable *t = &l2->table;
    /* The table's geometry in registers, not reloaded after each store
     * into the burst's arrays (which the compiler cannot tell apart). */
    const struct mactable geo = *t;
    const uint32_t now = ctx->now_s;
    /* The (age, port) a learn leaves, made once for the burst. */
    const mactable_stamp stamp = mactable_stamp_of(in, now);
    /* Per frame its keys (destination, source: key[2i], key[2i + 1]),
     * their first buckets (b[2i], b[2i + 1]) and summary bits on 'in'
     * (on[2i] is the one used), computed once for the prefetch and the
     * use, eight keys at a time (mactable_buckets8()); the slots past the
     * burst hold key 0, whose bucket is the table's first, so the
     * look-ahead needs no test.  One object, so that one base register
     * reaches the three arrays. */
    struct {
        uint64_t key[2 * L2LEARN_SLOTS];
        struct mactable_entry *b[2 * L2LEARN_SLOTS];
        uint32_t on[2 * L2LEARN_SLOTS];
    } a;
    struct rte_mbuf *dropped[DP_FP_PAIR_MAX];
    uint64_t last_src = UINT64_MAX, last_dst = UINT64_MAX, bytes = 0, bytes_drop = 0;
    uint16_t k = 0, nd = 0;
    unsigned declines = 0;
    bool last_drop = false;     /* the frames to 'last_dst' go nowhere */

    if (unlikely(n > DP_FP_PAIR_MAX)) {
        return DP_FP_PAIR_DECLINED;
    }
    /* The keys, two per header in one shuffle (mactable_keys2()); whether
     * any frame is one to decline, ORed over the burst
     * (l2learn_declines()). */
    for (uint16_t j = 0; j < n; j++) {
        const uint8_t *e = rte_pktmbuf_mtod(pkts[j], const uint8_t *);
        uint16_t type;

        mactable_keys2(e, &a.key[2 * j]);
        memcpy(&type, e + 12, 2);
        declines |= l2learn_declines(type, rte_pktmbuf_data_len(pkts[j]));
        bytes += rte_pktmbuf_pkt_len(pkts[j]);
    }
    if (unlikely(declines)) {
        return DP_FP_PAIR_DECLINED;
    }
    uint16_t end = (2 * (n + L2LEARN_AHEAD) + 7) & ~7;
    /* The keys up to 'end' (at most 2 * L2LEARN_AHEAD + 7 past the
     * burst's): a fixed size, which the compiler writes as a few stores
     * rather than calling memset() with the registers spilled around the
     * call. */
    RTE_BUILD_BUG_ON(2 * L2LEARN_AHEAD + 7 > 2 * L2LEARN_PAD);
    memset(&a.key[2 * n], 0, 2 * L2LEARN_PAD * sizeof a.key[0]);
    for (uint16_t j = 0; j < end; j += 8) {
        mactable_buckets8(&geo, a.key + j, a.b + j, a.on + j, in);
    }
    for (uint16_t j = 0; j < L2LEARN_AHEAD; j++) {
        mactable_prefetch_b(a.b[2 * j + 1]);
    }
    for (uint16_t i = 0; i < n; i++) {
        uint64_t dst = a.key[2 * i], src = a.key[2 * i + 1];
        struct mactable_entry *bdst = a.b[2 * i], *bsrc = a.b[2 * i + 1];
        struct rte_mbuf *m = pkts[i];

        mactable_prefetch_b(a.b[2 * (i + L2LEARN_AHEAD) + 1]);
        /* Learn: nothing to write when the station is known where it
         * is and was seen this second already, the common case. */
        if (src != last_src) {
            if (unlikely(!mactable_seen_again_s(bsrc, src, stamp))) {
                mactable_learn_b(t, bsrc, src, in, now);
                last_dst = UINT64_MAX;  /* the table changed */
            }
            last_src = src;
        }
        /* Look up: only whether the destination is a live station on
         * 'in' matters: one bit of the summary, then (rarely) one compare
         * of the bucket's keys and ports (l2learn_on()).  A group
         * destination goes out whatever the table says. */
        if (likely(!(dst & 1))) {
            if (dst != last_dst) {
                last_dst = dst;
                last_drop = unlikely(mactable_maybe_on(&geo, a.on[2 * i]))
                            && l2learn_on(t, bdst, dst, stamp, in, now);
            }
            if (unlikely(last_drop)) {
                dropped[nd++] = m;      /* never back where it came from */
                bytes_drop += rte_pktmbuf_pkt_len(m);
                continue;
            }
        }
        pkts[k++] = m;
    }
    for (uint16_t i = 0; i < nd; i++) {
        pkts[k + i] = dropped[i];
    }
    *bytes_in = bytes;
    *bytes_out = bytes - bytes_drop;
    return k;
}

/* Learns the sources of frames another worker's table decided (a switch
 * with several workers keeps one table per worker, each with one
 * writer). */
static void
l2learn_learn(void *state, struct rte_mbuf **pkts, const uint16_t *in_vports,
              uint16_t n, const struct dp_fp_ctx *ctx)
{
    struct l2learn *l2 = state;
    uint64_t last_src = UINT64_MAX;
    uint16_t last_in = 0;

    for (uint16_t i = 0; i < n; i++) {
        const uint8_t *e = rte_pktmbuf_mtod(pkts[i], const uint8_t *);
        uint64_t src = mactable_key8(e + 6)
                       | l2learn_vlan(e, rte_pktmbuf_data_len(pkts[i]));

        if (src != last_src || in_vports[i] != last_in) {
            mactable_learn(&l2->table, src, in_vports[i], ctx->now_s);
            last_src = src;
            last_in = in_vports[i];
        }
    }
}

static void
l2learn_vport_removed(void *state, uint16_t vport)
{
    struct l2learn *l2 = state;
    mactable_flush_port(&l2->table, vport);
}

static json_t *
l2learn_config(const void *state)
{
    const struct l2learn *l2 = state;
    json_t *config = json_object();

    if (l2->size != L2LEARN_DEFAULT_SIZE) {
        json_object_set_new(config, "mac_table_size", json_integer(l2->size));
    }
    if (l2->aging != L2LEARN_DEFAULT_AGING) {
        json_object_set_new(config, "aging_s", json_integer(l2->aging));
    }
    if (l2->split_horizon) {
        json_object_set_new(config, "split_horizon", json_true());
    }
    return config;
}

static json_t *
l2learn_dump(const void *state, uint32_t now_s)
{
    const struct l2learn *l2 = state;
    const struct mactable *t = &l2->table;
    json_t *macs = json_array();

    for (uint32_t i = 0; i <= t->mask; i++) {
        const struct mactable_entry *e = &t->slots[i];
        char mac[18];

        if (!e->mac || now_s - e->seen > t->aging) {
            continue;
        }
        snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x",
                 mactable_key_byte(e->mac, 0), mactable_key_byte(e->mac, 1),
                 mactable_key_byte(e->mac, 2), mactable_key_byte(e->mac, 3),
                 mactable_key_byte(e->mac, 4), mactable_key_byte(e->mac, 5));
        json_t *entry = json_pack("{s:s, s:i, s:i}", "mac", mac, "vport", e->port,
                                  "age_s", now_s - e->seen);
        if (e->mac >> 48) {
            json_object_set_new(entry, "vlan", json_integer((e->mac >> 48) & 0xfff));
        }
        json_array_append_new(macs, entry);
    }
    return json_pack("{s:s, s:i, s:i, s:I, s:I, s:I, s:o}", "fp", "l2learn",
                     "mac_table_size", t->mask + 1, "aging_s", t->aging,
                     "learned", (json_int_t) t->n_learned,
                     "evicted", (json_int_t) t->n_evicted,
                     "summary_rebuilds", (json_int_t) t->n_rebuilt,
                     "macs", macs);
}

/* Formats the MAC address at 'p'. */
static void
l2learn_mac(const uint8_t *p, char mac[18])
{
    snprintf(mac, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
             p[0], p[1], p[2], p[3], p[4], p[5]);
}

/* What l2learn_process() would decide for one frame; see dp_fp.h. */
static unsigned
l2learn_trace(const void *state, const uint8_t *eth, uint32_t len,
              uint16_t in_vport, const struct dp_fp_ctx *ctx, uint16_t *outs,
              unsigned max, char *text, size_t size)
{
    const struct l2learn *l2 = state;
    char dst[18], src[18];
    uint16_t port;

    if (len < 14 || !max) {
        snprintf(text, size, "frame too short for Ethernet");
        return 0;
    }
    l2learn_mac(eth, dst);
    l2learn_mac(eth + 6, src);
    port = mactable_lookup(&l2->table, mactable_key8(eth) | l2learn_vlan(eth, len),
                           ctx->now_s);
    if ((eth[0] & 1) || port == MACTABLE_NONE) {
        outs[0] = l2->split_horizon && ctx->is_vlink[in_vport]
                  ? DP_FP_FLOOD_ACCESS : DP_FP_FLOOD;
        snprintf(text, size, "mac table: dst %s %s -> flood%s; src %s "
                 "would be learned on vport %u", dst,
                 (eth[0] & 1) ? "is multicast" : "not learned",
                 outs[0] == DP_FP_FLOOD_ACCESS
                 ? " to access vports (split horizon)" : "", src, in_vport);
        return 1;
    }
    if (port == in_vport) {
        snprintf(text, size, "mac table: dst %s learned on vport %u, where "
                 "the frame came in -> drop", dst, port);
        return 0;
    }
    outs[0] = port;
    snprintf(text, size, "mac table: dst %s learned on vport %u -> output; "
             "src %s would be learned on vport %u", dst, port, src, in_vport);
    return 1;
}

const struct dp_fp_class dp_fp_l2learn = {
    .trace = l2learn_trace,
    .name = "l2learn",
    .create = l2learn_create,
    .destroy = l2learn_destroy,
    .process = l2learn_process,
    .vport_removed = l2learn_vport_removed,
    .config = l2learn_config,
    .dump = l2learn_dump,
    .per_worker = true,
    .learn = l2learn_learn,
    .pair = l2learn_pair,
};
