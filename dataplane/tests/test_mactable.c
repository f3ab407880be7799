/* Unit tests: per-vnode MAC learning and aging. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "mactable.h"

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0x0b };
static const uint8_t mac_group[6] = { 0x01, 0, 0x5e, 0, 0, 1 };

static void
test_learn_and_lookup(void **state)
{
    struct mactable t;
    (void) state;

    assert_int_equal(mactable_init(&t, 64, 300), 0);
    assert_int_equal(mactable_lookup(&t, mactable_key(mac_a), 0), MACTABLE_NONE);
    mactable_learn(&t, mactable_key(mac_a), 1, 10);
    mactable_learn(&t, mactable_key(mac_b), 2, 10);
    assert_int_equal(mactable_lookup(&t, mactable_key(mac_a), 11), 1);
    assert_int_equal(mactable_lookup(&t, mactable_key(mac_b), 11), 2);
    /* A station that moves is found on its new port. */
    mactable_learn(&t, mactable_key(mac_a), 3, 12);
    assert_int_equal(mactable_lookup(&t, mactable_key(mac_a), 12), 3);
    assert_int_equal(mactable_count(&t, 12), 2);
    mactable_destroy(&t);
}

static void
test_group_never_learned(void **state)
{
    struct mactable t;
    (void) state;

    assert_int_equal(mactable_init(&t, 64, 300), 0);
    mactable_learn(&t, mactable_key(mac_group), 1, 0);
    assert_int_equal(mactable_lookup(&t, mactable_key(mac_group), 0), MACTABLE_NONE);
    assert_int_equal(mactable_count(&t, 0), 0);
    mactable_destroy(&t);
}

static void
test_aging(void **state)
{
    struct mactable t;
    (void) state;

    assert_int_equal(mactable_init(&t, 64, 5), 0);
    mactable_learn(&t, mactable_key(mac_a), 1, 100);
    assert_int_equal(mactable_lookup(&t, mactable_key(mac_a), 105), 1);
    assert_int_equal(mactable_lookup(&t, mactable_key(mac_a), 106), MACTABLE_NONE);
    /* Seen again: alive again. */
    mactable_learn(&t, mactable_key(mac_a), 2, 106);
    assert_int_equal(mactable_lookup(&t, mactable_key(mac_a), 110), 2);
    mactable_destroy(&t);
}

/* Two tables are two slices: the same MAC maps to different ports. */
static void
test_tables_are_independent(void **state)
{
    struct mactable red, blue;
    (void) state;

    assert_int_equal(mactable_init(&red, 64, 300), 0);
    assert_int_equal(mactable_init(&blue, 64, 300), 0);
    mactable_learn(&red, mactable_key(mac_a), 1, 0);
    mactable_learn(&blue, mactable_key(mac_a), 7, 0);
    assert_int_equal(mactable_lookup(&red, mactable_key(mac_a), 0), 1);
    assert_int_equal(mactable_lookup(&blue, mactable_key(mac_a), 0), 7);
    mactable_destroy(&red);
    mactable_destroy(&blue);
}

static void
test_flush_port(void **state)
{
    struct mactable t;
    (void) state;

    assert_int_equal(mactable_init(&t, 64, 300), 0);
    mactable_learn(&t, mactable_key(mac_a), 1, 0);
    mactable_learn(&t, mactable_key(mac_b), 2, 0);
    mactable_flush_port(&t, 1);
    assert_int_equal(mactable_lookup(&t, mactable_key(mac_a), 0), MACTABLE_NONE);
    assert_int_equal(mactable_lookup(&t, mactable_key(mac_b), 0), 2);
    mactable_destroy(&t);
}

/* A full table keeps learning: the stalest entry gives way. */
static void
test_full_table_evicts_stalest(void **state)
{
    struct mactable t;
    uint32_t now = 0;
    (void) state;

    assert_int_equal(mactable_init(&t, 8, 1000), 0);
    for (uint32_t i = 1; i <= 64; i++) {
        uint8_t mac[6] = { 0x02, 0, 0, 0, (uint8_t) (i >> 8), (uint8_t) i };
        mactable_learn(&t, mactable_key(mac), i % 4, now++);
        /* The newest entry is always found. */
        assert_int_equal(mactable_lookup(&t, mactable_key(mac), now), i % 4);
    }
    assert_true(t.n_evicted > 0);
    assert_true(mactable_count(&t, now) <= 8);
    mactable_destroy(&t);
}

/* The key of station 'i' of a bench-like population (02:0a:<32-bit i>,
 * as tools/lamina-pcapgen writes them). */
static uint64_t
station(uint32_t i)
{
    uint8_t mac[6] = { 0x02, 0x0a, i >> 24, i >> 16, i >> 8, i };
    return mactable_key(mac);
}

/* 65,536 stations in a table sized for twice as many (l2learn's
 * mac_table_size): every one is learned and found, nothing is evicted;
 * refreshed stations outlive the aging time and the others age out
 * together; a new population then takes the stale slots without evicting
 * a live entry; moves are seen at once, even in the same second. */
static void
test_many_stations_learn_and_age(void **state)
{
    enum { N = 65536 };
    struct mactable t;
    (void) state;

    assert_int_equal(mactable_init(&t, 2 * N, 300), 0);
    for (uint32_t i = 0; i < N; i++) {
        mactable_learn(&t, station(i), i % 4, 0);
    }
    /* Seen again in the same and in later seconds: no new entries. */
    for (uint32_t i = 0; i < N; i++) {
        mactable_learn(&t, station(i), i % 4, i % 2);
    }
    assert_int_equal(t.n_learned, N);
    assert_int_equal(t.n_evicted, 0);
    assert_int_equal(mactable_count(&t, 1), N);
    for (uint32_t i = 0; i < N; i++) {
        assert_int_equal(mactable_lookup(&t, station(i), 300), i % 4);
    }
    assert_int_equal(mactable_lookup(&t, station(N), 300), MACTABLE_NONE);

    /* The even half is seen at 200; at 350 the odd half (last seen at 1)
     * has aged out and the even half is still there. */
    for (uint32_t i = 0; i < N; i += 2) {
        mactable_learn(&t, station(i), i % 4, 200);
    }
    assert_int_equal(mactable_count(&t, 350), N / 2);
    for (uint32_t i = 0; i < N; i++) {
        assert_int_equal(mactable_lookup(&t, station(i), 350),
                         i % 2 ? MACTABLE_NONE : i % 4);
    }

    /* A second population of N / 2 moves into the stale slots. */
    for (uint32_t i = N; i < N + N / 2; i++) {
        mactable_learn(&t, station(i), 7, 350);
    }
    assert_int_equal(t.n_evicted, 0);
    assert_int_equal(mactable_count(&t, 350), N);
    for (uint32_t i = N; i < N + N / 2; i++) {
        assert_int_equal(mactable_lookup(&t, station(i), 350), 7);
    }

    /* Moves within one second are not hidden by the lazy refresh. */
    for (uint32_t i = 0; i < N; i += 2) {
        mactable_learn(&t, station(i), 9, 350);
    }
    for (uint32_t i = 0; i < N; i += 2) {
        assert_int_equal(mactable_lookup(&t, station(i), 350), 9);
    }
    assert_int_equal(t.n_learned, N + N / 2 + N / 2);
    mactable_destroy(&t);
}

/* 65,536 stations in a table of 65,536 slots: the probe window fills up
 * in places, so some are evicted, but the table stays useful (most
 * stations found) and the newest station is always found. */
static void
test_many_stations_full_table(void **state)
{
    enum { N = 65536 };
    struct mactable t;
    uint32_t found = 0;
    (void) state;

    assert_int_equal(mactable_init(&t, N, 300), 0);
    for (uint32_t i = 0; i < N; i++) {
        mactable_learn(&t, station(i), 1, i / 1024);
        assert_int_equal(mactable_lookup(&t, station(i), i / 1024), 1);
    }
    for (uint32_t i = 0; i < N; i++) {
        found += mactable_lookup(&t, station(i), 64) == 1;
    }
    assert_int_equal(found, mactable_count(&t, 64));
    assert_int_equal(found + t.n_evicted, N);
    assert_true(found > N * 9 / 10);
    mactable_destroy(&t);
}

/* 'n' stations whose keys share their first bucket in 't' (found by
 * search, from station 'from' on). */
static void
same_bucket(const struct mactable *t, uint32_t from, uint64_t *keys, int n)
{
    uint32_t b = mactable_bucket_index(t, mactable_hash(station(from)));
    int k = 0;

    for (uint32_t i = from; k < n; i++) {
        if (mactable_bucket_index(t, mactable_hash(station(i))) == b) {
            keys[k++] = station(i);
        }
    }
}

/* Buckets are cache lines, aligned, four ways each. */
static void
test_buckets_are_cache_lines(void **state)
{
    struct mactable t;
    (void) state;

    assert_int_equal(sizeof(struct mactable_entry) * MACTABLE_WAYS, 64);
    assert_int_equal(mactable_init(&t, 100, 300), 0);
    assert_int_equal(t.mask + 1, 128);
    assert_int_equal(t.bmask + 1, 128 / MACTABLE_WAYS);
    assert_int_equal((uintptr_t) t.slots % 64, 0);
    mactable_destroy(&t);
}

/* Keys colliding on their first bucket: four fit there, the next ones go
 * to their second buckets, and every one is found, updated (a move) and
 * aged out in either bucket; nothing is evicted. */
static void
test_collisions_use_second_bucket(void **state)
{
    struct mactable t;
    uint64_t keys[7];
    (void) state;

    assert_int_equal(mactable_init(&t, 1024, 10), 0);
    same_bucket(&t, 0, keys, 7);
    for (int i = 0; i < 7; i++) {
        mactable_learn(&t, keys[i], i, 100);
    }
    for (int i = 0; i < 7; i++) {
        assert_int_equal(mactable_lookup(&t, keys[i], 100), i);
    }
    struct mactable_entry *b1 = mactable_bucket(&t, mactable_hash(keys[0]));
    assert_int_equal(mactable_match(b1, keys[6]), 0);     /* not in the first */
    assert_int_equal(t.n_evicted, 0);
    assert_int_equal(mactable_count(&t, 100), 7);

    /* A move of a key in its second bucket is seen at once. */
    mactable_learn(&t, keys[5], 9, 100);
    assert_int_equal(mactable_lookup(&t, keys[5], 100), 9);
    assert_int_equal(t.n_learned, 8);
    assert_int_equal(mactable_count(&t, 100), 7);

    /* Refreshed at 105, key 6 outlives the others. */
    mactable_learn(&t, keys[6], 6, 105);
    assert_int_equal(mactable_lookup(&t, keys[6], 115), 6);
    assert_int_equal(mactable_lookup(&t, keys[5], 115), MACTABLE_NONE);
    assert_int_equal(mactable_lookup(&t, keys[0], 115), MACTABLE_NONE);
    assert_int_equal(mactable_count(&t, 115), 1);

    /* Emptied ways in the first bucket do not hide the second. */
    mactable_flush_port(&t, 0);
    mactable_flush_port(&t, 1);
    assert_int_equal(mactable_lookup(&t, keys[6], 115), 6);
    assert_int_equal(mactable_lookup(&t, keys[0], 100), MACTABLE_NONE);
    mactable_destroy(&t);
}

/* mactable_find() finds a key in any way of its bucket and nothing else
 * (not an age or a port word that happens to equal it);
 * mactable_seen_again() is true only for the same key, port and second,
 * and a learn it says nothing of changes nothing; mactable_where() tells
 * a key on the stamp's port from one on another and one not there. */
static void
test_find_and_seen_again(void **state)
{
    struct mactable t;
    uint64_t keys[4];
    (void) state;

    assert_int_equal(mactable_init(&t, 1024, 10), 0);
    same_bucket(&t, 0, keys, 4);
    for (int i = 0; i < 4; i++) {
        mactable_learn(&t, keys[i], i, 100 + i);
    }
    struct mactable_entry *b = mactable_bucket(&t, mactable_hash(keys[0]));
    for (int i = 0; i < 4; i++) {
        struct mactable_entry *e = mactable_find(b, keys[i]);

        assert_non_null(e);
        assert_true(e->mac == keys[i] && e->port == i && e->seen == 100u + i);
        assert_true(mactable_seen_again(b, keys[i], i, 100 + i));
        assert_false(mactable_seen_again(b, keys[i], i + 1, 100 + i));
        assert_false(mactable_seen_again(b, keys[i], i, 101 + i));
        /* mactable_where(): on the stamp's port (whatever its age), on
         * another, or not in the bucket. */
        const struct mactable_entry *w = NULL;
        assert_int_equal(mactable_where(b, keys[i], mactable_stamp_of(i, 7), &w),
                         MACTABLE_HERE);
        assert_ptr_equal(w, e);
        assert_int_equal(mactable_where(b, keys[i], mactable_stamp_of((i + 1) % 4, 100 + i),
                                        &w), MACTABLE_ELSEWHERE);
        assert_int_equal(mactable_where(b, keys[i] ^ 0x10000000000ull,
                                        mactable_stamp_of(i, 100 + i), &w), MACTABLE_ABSENT);
    }
    /* The age and port word of way 2 read as a key: not a match. */
    uint64_t word = (uint64_t) 2 << 32 | 102;
    assert_null(mactable_find(b, word));
    assert_false(mactable_seen_again(b, word, 2, 102));
    const struct mactable_entry *w = NULL;
    assert_int_equal(mactable_where(b, word, mactable_stamp_of(2, 102), &w), MACTABLE_ABSENT);
    assert_false(mactable_seen_again(b, keys[0] ^ 0x100, 0, 100));

    uint64_t learned = t.n_learned;
    mactable_learn(&t, keys[3], 3, 103);
    assert_int_equal(t.n_learned, learned);
    assert_int_equal(mactable_lookup(&t, keys[3], 103), 3);
    mactable_destroy(&t);
}

/* mactable_buckets8() gives each of eight keys the bucket that
 * mactable_bucket() of its hash gives, for several table sizes. */
static void
test_buckets8(void **state)
{
    (void) state;

    for (uint32_t size = 8; size <= (1u << 20); size <<= 3) {
        struct mactable t;
        uint64_t keys[8];
        struct mactable_entry *b[8];
        uint32_t on[8];

        assert_int_equal(mactable_init(&t, size, 10), 0);
        for (int r = 0; r < 64; r++) {
            for (int i = 0; i < 8; i++) {
                keys[i] = ((uint64_t) r * 0x10001 + i * 0x20000000001ull) & 0xffffffffffffull;
            }
            keys[r % 8] = 0;
            mactable_buckets8(&t, keys, b, on, r * 997);
            for (int i = 0; i < 8; i++) {
                assert_ptr_equal(b[i], mactable_bucket(&t, mactable_hash(keys[i])));
                assert_int_equal(on[i], mactable_on_bit(&t, mactable_hash(keys[i]), r * 997));
            }
        }
        mactable_destroy(&t);
    }
}

/* Whether the summary says 'maybe' of every entry of 't' on its port. */
static bool
summary_covers(const struct mactable *t)
{
    for (uint32_t i = 0; i <= t->mask; i++) {
        const struct mactable_entry *e = &t->slots[i];

        if (e->mac && !mactable_maybe_on(t, mactable_on_bit(t, mactable_hash(e->mac),
                                                               e->port))) {
            return false;
        }
    }
    return true;
}

/* The summary never says 'no' of a key on a port where the table has it:
 * not after new stations, moves from port to port, moves to a second
 * bucket, evictions, or the rebuilds that churn brings (a table of 256
 * entries sees 200,000 learns of 4,096 stations on 8 ports, checked after
 * each); and it still says 'no' of most keys on a port where they are
 * not, so it does not fill up. */
static void
test_summary(void **state)
{
    struct mactable t;
    uint64_t x = 0x243f6a8885a308d3ull;
    (void) state;

    assert_int_equal(mactable_init(&t, 256, 30), 0);
    for (int i = 0; i < 200000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t mac = (((x >> 20) & 0xfff) << 9) | 0x020000000000ull;
        uint16_t port = (x >> 40) & 7;

        mactable_learn(&t, mac, port, i / 1000);
        uint32_t bit = mactable_on_bit(&t, mactable_hash(mac), port);
        assert_true(mactable_maybe_on(&t, bit));
        if (i % 97 == 0 || i < 3000) {
            assert_true(summary_covers(&t));
        }
    }
    assert_true(summary_covers(&t));
    assert_true(t.n_rebuilt > 0);
    assert_true(t.on_set <= (t.on_mask + 1) / 4);

    /* Keys not in the table, on ports 0..7: mostly 'no'. */
    unsigned maybe = 0;
    for (uint32_t i = 0; i < 8192; i++) {
        uint64_t mac = ((uint64_t) i << 9) | 0x040000000000ull;
        maybe += mactable_maybe_on(&t, mactable_on_bit(&t, mactable_hash(mac), i & 7));
    }
    assert_true(maybe < 8192 / 4);

    /* A flushed port's bits stay (a 'maybe' is allowed); a new station
     * there is covered at once. */
    mactable_flush_port(&t, 3);
    mactable_learn(&t, 0x060000000200ull, 3, 500);
    assert_true(mactable_maybe_on(&t, mactable_on_bit(&t, mactable_hash(0x060000000200ull), 3)));
    assert_true(summary_covers(&t));
    mactable_destroy(&t);
}

/* mactable_keys2() makes of a header the keys that mactable_key8() makes
 * of its destination and source, at every alignment, with the bytes
 * around them (type, payload) left out. */
static void
test_keys2(void **state)
{
    uint8_t frame[64];
    (void) state;

    for (int i = 0; i < 64; i++) {
        frame[i] = 0xff - i * 7;
    }
    for (int off = 0; off < 32; off++) {
        uint64_t k[3] = { 0, 0, 0x5a5a5a5a5a5a5a5aull };

        mactable_keys2(frame + off, k);
        assert_true(k[0] == mactable_key(frame + off));
        assert_true(k[1] == mactable_key(frame + off + 6));
        assert_true(k[0] == mactable_key8(frame + off));
        assert_true(k[2] == 0x5a5a5a5a5a5a5a5aull);     /* nothing past the pair */
    }
}

/* Stale entries are reused before anything live is moved or evicted. */
static void
test_stale_ways_reused(void **state)
{
    struct mactable t;
    uint64_t keys[8];
    (void) state;

    assert_int_equal(mactable_init(&t, 1024, 10), 0);
    same_bucket(&t, 0, keys, 8);
    for (int i = 0; i < 4; i++) {
        mactable_learn(&t, keys[i], 1, 0);
    }
    for (int i = 4; i < 8; i++) {
        mactable_learn(&t, keys[i], 2, 20);       /* the first four are stale */
    }
    struct mactable_entry *b1 = mactable_bucket(&t, mactable_hash(keys[0]));
    for (int i = 4; i < 8; i++) {
        assert_int_not_equal(mactable_match(b1, keys[i]), 0);
        assert_int_equal(mactable_lookup(&t, keys[i], 20), 2);
    }
    assert_int_equal(t.n_evicted, 0);
    assert_int_equal(t.n_moved, 0);
    mactable_destroy(&t);
}

/* A full pair of buckets makes room by moving an entry to its own other
 * bucket (it stays found there); only when that is impossible does the
 * stalest of the eight give way.  The smallest table (two buckets, every
 * key's pair is the whole table) shows both. */
static void
test_full_buckets_move_then_evict(void **state)
{
    struct mactable t;
    uint64_t keys[64];
    (void) state;

    /* Moves: a new key whose two buckets are full of live entries takes
     * the way of an entry that moves to its own other bucket. */
    assert_int_equal(mactable_init(&t, 1024, 1000), 0);
    same_bucket(&t, 0, keys, 5);                    /* 4 fill B, 1 is new */
    for (int i = 0; i < 4; i++) {
        mactable_learn(&t, keys[i], 1, 10);
    }
    mactable_learn(&t, keys[4], 9, 10);             /* lands in its 2nd, C */
    uint32_t c = UINT32_MAX;
    for (uint32_t i = 0; i <= t.mask; i++) {
        if (t.slots[i].mac == keys[4]) {
            c = i / MACTABLE_WAYS;
        }
    }
    assert_int_not_equal(c, UINT32_MAX);
    assert_int_not_equal(c, mactable_bucket_index(&t, mactable_hash(keys[4])));
    mactable_flush_port(&t, 9);
    uint32_t k = 5;
    for (uint32_t i = 1000; k < 9; i++) {           /* 4 that fill C */
        if (mactable_bucket_index(&t, mactable_hash(station(i))) == c) {
            keys[k++] = station(i);
        }
    }
    for (int i = 5; i < 9; i++) {
        mactable_learn(&t, keys[i], 5, 11);
    }
    assert_int_equal(t.n_moved, 0);
    mactable_learn(&t, keys[4], 7, 12);
    assert_int_equal(t.n_moved, 1);
    assert_int_equal(t.n_evicted, 0);
    for (int i = 0; i < 9; i++) {
        assert_int_equal(mactable_lookup(&t, keys[i], 20),
                         i < 4 ? 1 : i == 4 ? 7 : 5);
    }
    assert_int_equal(mactable_count(&t, 20), 9);
    mactable_destroy(&t);

    /* Eviction: eight live keys fill the table of 8; the ninth evicts the
     * stalest (learned first, not refreshed). */
    assert_int_equal(mactable_init(&t, 8, 1000), 0);
    assert_int_equal(t.bmask, 1);
    for (uint32_t i = 0; i < 8; i++) {
        keys[i] = station(i + 1);
        mactable_learn(&t, keys[i], 1, 10 + i);
    }
    assert_int_equal(mactable_count(&t, 20), 8);
    assert_int_equal(t.n_evicted, 0);
    mactable_learn(&t, keys[0], 1, 30);             /* 0 is fresh again */
    keys[8] = station(100);
    mactable_learn(&t, keys[8], 2, 31);
    assert_int_equal(t.n_evicted, 1);
    assert_int_equal(mactable_lookup(&t, keys[8], 31), 2);
    assert_int_equal(mactable_lookup(&t, keys[1], 31), MACTABLE_NONE);
    for (uint32_t i = 2; i < 8; i++) {
        assert_int_equal(mactable_lookup(&t, keys[i], 31), 1);
    }
    assert_int_equal(mactable_lookup(&t, keys[0], 31), 1);
    assert_int_equal(mactable_count(&t, 31), 8);
    mactable_destroy(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learn_and_lookup),
        cmocka_unit_test(test_group_never_learned),
        cmocka_unit_test(test_aging),
        cmocka_unit_test(test_tables_are_independent),
        cmocka_unit_test(test_flush_port),
        cmocka_unit_test(test_full_table_evicts_stalest),
        cmocka_unit_test(test_many_stations_learn_and_age),
        cmocka_unit_test(test_many_stations_full_table),
        cmocka_unit_test(test_buckets_are_cache_lines),
        cmocka_unit_test(test_collisions_use_second_bucket),
        cmocka_unit_test(test_stale_ways_reused),
        cmocka_unit_test(test_find_and_seen_again),
        cmocka_unit_test(test_buckets8),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_keys2),
        cmocka_unit_test(test_full_buckets_move_then_evict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
