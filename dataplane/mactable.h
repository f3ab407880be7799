/*
 * mactable: the MAC learning table of one l2learn vnode.
 *
 * Every vnode has its own table, so slices may reuse the same addresses:
 * a MAC learned in "red" is invisible to "blue".  The table is a fixed
 * array sized at creation (no allocation on the fast path) of buckets of
 * four entries, one cache line each; a key has two candidate buckets (two
 * hashes) and almost always sits in its first, so a known station costs
 * one cache line and four compares without a branch (one AVX-512 compare
 * of the line where the machine has it, mactable_find()).  When both buckets
 * are full, an entry moves to its other bucket if that has room, else the
 * stalest of the eight gives way.  Entries age out lazily: a lookup
 * ignores an entry not seen for 'aging' seconds, so no sweeper is needed.
 *
 * A key is a 48-bit address; its caller may put more in the top 16 bits
 * (l2learn puts the frame's VLAN there, so that it learns per (VLAN, MAC)):
 * the table hashes and compares all 64.
 *
 * Beside the buckets, a summary of where keys are: a bit per (key, port)
 * hash, 8 per entry, set whenever an entry takes a port.  A caller that
 * only asks "is this key on that port?" (fp_l2learn's pair, of a frame's
 * destination and its own port) reads one bit, in an array a sixteenth
 * of the table's size, instead of a bucket, unless the bit says "maybe".
 *
 * Time is a coarse seconds counter supplied by the caller (the worker
 * updates it once per poll round), which keeps the module testable.
 * Single writer: only the worker that serves the vnode's switch.
 */
#ifndef LAMINA_MACTABLE_H
#define LAMINA_MACTABLE_H 1

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#if defined __AVX512F__ || defined __SSSE3__
#include <immintrin.h>
#endif

#define MACTABLE_WAYS 4             /* entries per bucket: one cache line */
#define MACTABLE_PROBE 8            /* candidate slots: two buckets */
#define MACTABLE_NONE 0xffff
#define MACTABLE_HASH_MUL 0x9e3779b97f4a7c15ull    /* mactable_hash() */
#define MACTABLE_PORT_MUL 0x9e3779b9u             /* mactable_on_bit() */

struct mactable_entry {
    uint64_t mac;                   /* key (address, caller's top bits); 0: empty */
    uint32_t seen;                  /* seconds, caller's clock */
    uint16_t port;                  /* vport index */
    uint16_t pad;                   /* always 0 (mactable_seen_again()) */
};

/* The table: 'slots' is an array of buckets of MACTABLE_WAYS entries,
 * each bucket one aligned cache line.  A key lives in its first bucket
 * (mactable_hash()) or, when that was full, in its second
 * (mactable_hash2()); a full pair makes room by moving an entry to its own
 * other bucket, else by evicting the stalest of the eight. */
struct mactable {
    struct mactable_entry *slots;   /* 64-byte aligned */
    uint32_t mask;                  /* capacity - 1, capacity a power of 2 */
    uint32_t bmask;                 /* number of buckets - 1 */
    uint32_t bshift;                /* 32 - log2(number of buckets) */
    uint32_t aging;                 /* seconds */
    uint64_t n_learned;             /* new entries or moves */
    uint64_t n_evicted;             /* live entries replaced for room */
    uint64_t n_moved;               /* entries moved to their other bucket */
    /* Where keys are, in summary (mactable_maybe_on()): bit
     * mactable_on_bit() of every (key, port) in the table is set. */
    uint64_t *on;
    uint32_t on_mask;               /* its bits - 1 */
    uint32_t on_set;                /* bits set, by the last rebuild and since */
    uint64_t n_rebuilt;             /* times it was rebuilt */
};

/* The summary's bits per entry: with a table half full, one bit in 16
 * set, so 'no' for all but ~6% of the keys not on a port. */
#define MACTABLE_ON_BITS 8

/* Creates a table with room for at least 'capacity' entries (8 or more)
 * that ages entries after 'aging' seconds.  Returns 0 or ENOMEM. */
int mactable_init(struct mactable *, uint32_t capacity, uint32_t aging);
void mactable_destroy(struct mactable *);

/* The table's key for the 6 bytes at 'mac': the bytes in memory order,
 * read as a little-endian number (byte 0 is the low byte, so the group
 * bit is bit 0).  One load where 8 bytes may be read (inside a frame
 * header) is mactable_key8(). */
static inline uint64_t
mactable_key(const uint8_t *mac)
{
    uint64_t k = 0;
    memcpy(&k, mac, 6);
    return k;
}

/* The same key from 8 readable bytes at 'p' (e.g. a frame's dst or src). */
static inline uint64_t
mactable_key8(const uint8_t *p)
{
    uint64_t k;
    memcpy(&k, p, 8);
    return k & 0xffffffffffffull;
}

/* The keys of the destination and source addresses of the Ethernet
 * header at 'eth' (16 readable bytes) into k[0] and k[1], as
 * mactable_key8() makes them: with SSSE3 one 16-byte load, one shuffle
 * that drops the rest and one store (fp_l2learn's pair() keeps a burst's
 * keys in pairs). */
static inline void
mactable_keys2(const uint8_t *eth, uint64_t k[2])
{
#ifdef __SSSE3__
    const __m128i pick = _mm_setr_epi8(0, 1, 2, 3, 4, 5, -1, -1,
                                       6, 7, 8, 9, 10, 11, -1, -1);

    _mm_storeu_si128((__m128i *) k,
                     _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *) eth), pick));
#else
    k[0] = mactable_key8(eth);
    k[1] = mactable_key8(eth + 6);
#endif
}

/* The address byte 'i' (0..5) of a key, for printing. */
static inline uint8_t
mactable_key_byte(uint64_t key, int i)
{
    return key >> (8 * i);
}

/* The hash of 'mac' that picks its first bucket.  A caller that learns or
 * looks up the same key more than once (fp_l2learn prefetches, then
 * learns and looks up) computes it once and passes it to the _h
 * functions. */
static inline uint32_t
mactable_hash(uint64_t mac)
{
    /* Fibonacci hashing: the low bits of MACs are often sequential. */
    return (uint32_t) ((mac * MACTABLE_HASH_MUL) >> 32);
}

/* The number of the bucket of hash 'h': its top bits (Fibonacci hashing
 * puts the mixing in the top bits; the low bits of a product depend only
 * on the key's low bits, and stations often differ only in their last
 * bytes, the key's top bits). */
static inline uint32_t
mactable_bucket_index(const struct mactable *t, uint32_t h)
{
    return h >> t->bshift;
}

/* The first bucket of a key of hash 'h'. */
static inline struct mactable_entry *
mactable_bucket(const struct mactable *t, uint32_t h)
{
    return &t->slots[(size_t) mactable_bucket_index(t, h) * MACTABLE_WAYS];
}

/* The summary's bit for a key of hash 'h' on 'port': other bits of the
 * hash than the bucket's top ones, the port added in (so one array serves
 * every port). */
static inline uint32_t
mactable_on_bit(const struct mactable *t, uint32_t h, uint16_t port)
{
    return (h + port * MACTABLE_PORT_MUL) & t->on_mask;
}

/* The first buckets of the eight keys at 'keys' into 'b' (as
 * mactable_bucket(t, mactable_hash(keys[i]))) and their summary bits on
 * 'port' into 'on' (mactable_on_bit()): with AVX-512 one multiply, shift
 * and add for all eight, so that a burst's keys are hashed in a few
 * instructions each (fp_l2learn's pair()). */
static inline void
mactable_buckets8(const struct mactable *t, const uint64_t *keys,
                  struct mactable_entry **b, uint32_t *on, uint16_t port)
{
#if defined __AVX512F__ && defined __AVX512DQ__
    _Static_assert(sizeof(struct mactable_entry) * MACTABLE_WAYS == 64,
                   "a bucket is 64 bytes");
    __m512i h = _mm512_srli_epi64(_mm512_mullo_epi64(_mm512_loadu_si512(keys),
                                                     _mm512_set1_epi64((long long) MACTABLE_HASH_MUL)),
                                  32);
    __m512i idx = _mm512_srl_epi64(h, _mm_cvtsi32_si128((int) t->bshift));
    __m512i bit = _mm512_and_si512(_mm512_add_epi64(h, _mm512_set1_epi64(port * MACTABLE_PORT_MUL)),
                                   _mm512_set1_epi64(t->on_mask));

    _mm512_storeu_si512(b, _mm512_add_epi64(_mm512_set1_epi64((long long) (uintptr_t) t->slots),
                                            _mm512_slli_epi64(idx, 6)));
    _mm256_storeu_si256((__m256i *) on, _mm512_cvtepi64_epi32(bit));
#else
    for (int i = 0; i < 8; i++) {
        uint32_t h = mactable_hash(keys[i]);

        b[i] = mactable_bucket(t, h);
        on[i] = mactable_on_bit(t, h, port);
    }
#endif
}

/* A bit mask of the ways of bucket 'b' that hold 'mac', computed without
 * a branch (the compares become flags, not jumps). */
static inline unsigned
mactable_match(const struct mactable_entry *b, uint64_t mac)
{
    return (unsigned) (b[0].mac == mac) | (unsigned) (b[1].mac == mac) << 1
           | (unsigned) (b[2].mac == mac) << 2 | (unsigned) (b[3].mac == mac) << 3;
}

static inline bool
mactable_live(const struct mactable *t, const struct mactable_entry *e,
              uint32_t now)
{
    return e->mac && now - e->seen <= t->aging;
}

/* Records that 'mac' (of hash 'h') was seen on 'port' at time 'now', the
 * slow way: a key in its second bucket, a new entry, a move, or room made
 * (mactable_learn() tries the fast way). */
void mactable_learn__(struct mactable *, uint64_t mac, uint32_t h,
                      uint16_t port, uint32_t now);

/* Returns the port of 'mac' (of hash 'h') found in its second bucket, or
 * MACTABLE_NONE: the rare half of mactable_lookup(). */
uint16_t mactable_lookup__(const struct mactable *, uint64_t mac, uint32_t h,
                           uint32_t now);

/* The entry of bucket 'b' whose key is 'mac', or NULL.  With AVX-512 one
 * compare of the bucket's whole line (the keys are its even 8-byte words;
 * the odd ones, age and port, are masked out), else four compares without
 * a branch (mactable_match()).  For a 'mac' of 0 it may return an empty
 * entry. */
static inline struct mactable_entry *
mactable_find(const struct mactable_entry *b, uint64_t mac)
{
#ifdef __AVX512F__
    __m512i line = _mm512_load_si512((const void *) b);
    unsigned k = _mm512_cmpeq_epi64_mask(line, _mm512_set1_epi64((long long) mac))
                 & 0x55;

    return k ? (struct mactable_entry *) &b[__builtin_ctz(k) >> 1] : NULL;
#else
    unsigned m = mactable_match(b, mac);

    return m ? (struct mactable_entry *) &b[__builtin_ctz(m)] : NULL;
#endif
}

/* What learning on 'port' at 'now' leaves beside a key (its age and
 * port), made once for a burst of frames from one port: with AVX-512 the
 * (age, port) word in the odd lanes of a whole bucket's line, so that
 * mactable_seen_again_s() and mactable_where() put the key into the even
 * lanes (mactable_want()) and compare the bucket at once. */
#ifdef __AVX512F__
typedef __m512i mactable_stamp;
#else
typedef struct { uint32_t now; uint16_t port; } mactable_stamp;
#endif

static inline mactable_stamp
mactable_stamp_of(uint16_t port, uint32_t now)
{
#ifdef __AVX512F__
    return _mm512_set1_epi64((long long) ((uint64_t) port << 32 | now));
#else
    return (mactable_stamp) { .now = now, .port = port };
#endif
}

#ifdef __AVX512F__
/* A bucket's line as it would be if every entry were 'mac' learned at
 * stamp 's': each 128-bit lane (one entry) takes its low word from the
 * key and its high word from the stamp, two instructions without a mask
 * register. */
static inline __m512i
mactable_want(uint64_t mac, mactable_stamp s)
{
    return _mm512_unpacklo_epi64(_mm512_set1_epi64((long long) mac), s);
}
#endif

/* True if bucket 'b' holds 'mac' as seen at stamp 's' already (its port,
 * this second), so that learning it again would change nothing: the
 * common case of a learn, decided without a write.  With AVX-512 one
 * compare of the whole bucket against the entry that learning would leave
 * (key; age and port, the pad always 0), else mactable_find() and two
 * compares.  (For a 'mac' of 0 it may say true of an empty entry: a 0 is
 * never learned anyway.) */
static inline bool
mactable_seen_again_s(const struct mactable_entry *b, uint64_t mac,
                      mactable_stamp s)
{
#ifdef __AVX512F__
    /* The line XOR the wanted entries: an entry is the one wanted when
     * both its words are 0, so each word ORed with its entry's other
     * (the 128-bit lanes' qwords swapped) tests it whole. */
    __m512i x = _mm512_xor_si512(_mm512_load_si512((const void *) b),
                                 mactable_want(mac, s));

    x = _mm512_or_si512(x, _mm512_shuffle_epi32(x, _MM_PERM_BADC));
    return _mm512_testn_epi64_mask(x, x) != 0;
#else
    const struct mactable_entry *e = mactable_find(b, mac);

    return e && e->port == s.port && e->seen == s.now;
#endif
}

/* mactable_seen_again_s() with the stamp of 'port' and 'now'. */
static inline bool
mactable_seen_again(const struct mactable_entry *b, uint64_t mac,
                    uint16_t port, uint32_t now)
{
    return mactable_seen_again_s(b, mac, mactable_stamp_of(port, now));
}

/* Where 'mac' is in bucket 'b' against the port of stamp 's' (its age
 * ignored), mactable_where(). */
enum mactable_where {
    MACTABLE_ABSENT,            /* not in 'b' (maybe in its second bucket) */
    MACTABLE_ELSEWHERE,         /* in 'b', on another port */
    MACTABLE_HERE,              /* in 'b', on the stamp's port: '*e' */
};

/* Finds 'mac' in bucket 'b' and tells whether it is on the port of stamp
 * 's', setting '*e' to its entry when it is (the caller then checks that
 * it is live).  With AVX-512 one compare of the bucket's keys and ports
 * (32-bit lanes: the key's two, the port's; the age's masked out), so the
 * port needs no second load after the key is found.  For a 'mac' of 0 an
 * empty entry may be "found" (mactable_live() says it is not live). */
static inline enum mactable_where
mactable_where(const struct mactable_entry *b, uint64_t mac, mactable_stamp s,
               const struct mactable_entry **e)
{
#ifdef __AVX512F__
    unsigned k = _mm512_mask_cmpeq_epi32_mask(0xbbbb, _mm512_load_si512((const void *) b),
                                              mactable_want(mac, s));
    unsigned key = k & k >> 1 & 0x1111;
    unsigned here = key & k >> 3;

    if (here) {
        *e = &b[__builtin_ctz(here) >> 2];
        return MACTABLE_HERE;
    }
    return key ? MACTABLE_ELSEWHERE : MACTABLE_ABSENT;
#else
    const struct mactable_entry *f = mactable_find(b, mac);

    if (!f) {
        return MACTABLE_ABSENT;
    }
    *e = f;
    return f->port == s.port ? MACTABLE_HERE : MACTABLE_ELSEWHERE;
#endif
}

/* mactable_learn() for a key whose first bucket 'b' the caller already
 * has (fp_l2learn computes a burst's buckets once, to prefetch and then
 * use them). */
static inline void
mactable_learn_b(struct mactable *t, struct mactable_entry *b, uint64_t mac,
                 uint16_t port, uint32_t now)
{
    struct mactable_entry *e = mactable_find(b, mac);

    if (__builtin_expect(e != NULL && mac != 0, 1) && e->port == port) {
        if (e->seen != now) {
            e->seen = now;          /* read before write: once a second */
        }
        return;
    }
    mactable_learn__(t, mac, mactable_hash(mac), port, now);
}

/* mactable_learn() for a key whose hash 'h' the caller already has. */
static inline void
mactable_learn_h(struct mactable *t, uint64_t mac, uint32_t h, uint16_t port,
                 uint32_t now)
{
    mactable_learn_b(t, mactable_bucket(t, h), mac, port, now);
}

/* Records that 'mac' was seen on 'port' at time 'now'.  Group addresses
 * are never learned.
 *
 * A known station seen again where it was is found in its first bucket
 * (one cache line, four compares without a branch) without a call, and
 * its age is refreshed lazily: 'seen' is written only when the second
 * changed, so a station's cache line is dirtied at most once a second,
 * not once a packet (a table larger than the cache would otherwise write
 * every line it reads back to memory). */
static inline void
mactable_learn(struct mactable *t, uint64_t mac, uint16_t port, uint32_t now)
{
    mactable_learn_h(t, mac, mactable_hash(mac), port, now);
}

/* False if no key whose summary bit is 'bit' (mactable_on_bit()) is in
 * the table on the port that bit was made for: then a lookup of such a
 * key needs no bucket read to tell it is not on that port.  True may be
 * wrong (two keys share a bit; an entry was flushed, or moved, since the
 * summary was last rebuilt), false never is: every learn that gives an
 * entry its port sets the bit first. */
static inline bool
mactable_maybe_on(const struct mactable *t, uint32_t bit)
{
    return t->on[bit >> 6] >> (bit & 63) & 1;
}

/* Starts loading the first bucket of a key of hash 'h', for a lookup or a
 * learn a few packets later (fp_l2learn prefetches a whole burst first). */
static inline void
mactable_prefetch_h(const struct mactable *t, uint32_t h)
{
    __builtin_prefetch(mactable_bucket(t, h), 0, 3);
}

/* Starts loading bucket 'b' (a key's first, mactable_bucket()). */
static inline void
mactable_prefetch_b(const struct mactable_entry *b)
{
    __builtin_prefetch(b, 0, 3);
}

/* mactable_prefetch_h() by key. */
static inline void
mactable_prefetch(const struct mactable *t, uint64_t mac)
{
    mactable_prefetch_h(t, mactable_hash(mac));
}

/* mactable_lookup() for a key whose first bucket 'b' the caller already
 * has. */
static inline uint16_t
mactable_lookup_b(const struct mactable *t, const struct mactable_entry *b,
                  uint64_t mac, uint32_t now)
{
    const struct mactable_entry *e = mactable_find(b, mac);

    if (__builtin_expect(e != NULL, 1)) {
        return mactable_live(t, e, now) ? e->port : MACTABLE_NONE;
    }
    return mactable_lookup__(t, mac, mactable_hash(mac), now);
}

/* mactable_lookup() for a key whose hash 'h' the caller already has. */
static inline uint16_t
mactable_lookup_h(const struct mactable *t, uint64_t mac, uint32_t h,
                  uint32_t now)
{
    return mactable_lookup_b(t, mactable_bucket(t, h), mac, now);
}

/* Returns the port 'mac' was last seen on, or MACTABLE_NONE when unknown
 * or aged out. */
static inline uint16_t
mactable_lookup(const struct mactable *t, uint64_t mac, uint32_t now)
{
    return mactable_lookup_h(t, mac, mactable_hash(mac), now);
}

/* Forgets every entry pointing to 'port' (the port went away). */
void mactable_flush_port(struct mactable *, uint16_t port);

/* Number of live entries at 'now' (control path: scans the table). */
uint32_t mactable_count(const struct mactable *, uint32_t now);

#endif /* LAMINA_MACTABLE_H */
