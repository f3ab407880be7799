/*
 * Unit tests of lib/bfd: two sessions joined by a simulated wire (a 1 ms
 * clock) come Up through the three-way handshake, finish their Poll
 * sequences and send at the fast interval; silence takes one Down within
 * the detection time; a peer's Down takes the other Down; packets RFC 5880
 * says to discard change nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "bfd.h"

#define MS 1000000ull

/* Runs sessions 'a' and 'b' from '*now' for 'ms' milliseconds in 0.1 ms
 * steps; packets cross the wire at once unless 'cut'. */
static void
wire_run(struct bfd_session *a, struct bfd_session *b, uint64_t *now,
         unsigned ms, bool cut)
{
    uint8_t buf[BFD_PACKET_LEN];

    for (uint64_t end = *now + ms * MS; *now < end; *now += MS / 10) {
        if (bfd_session_run(a, *now)) {
            size_t n = bfd_session_build(a, buf, *now);
            if (!cut) {
                assert_int_equal(bfd_session_rx(b, buf, n, *now), 0);
            }
        }
        if (bfd_session_run(b, *now)) {
            size_t n = bfd_session_build(b, buf, *now);
            if (!cut) {
                assert_int_equal(bfd_session_rx(a, buf, n, *now), 0);
            }
        }
    }
}

static void
test_up_and_detect(void **state)
{
    struct bfd_config cfg = { .tx_us = 10000, .rx_us = 10000, .mult = 3 };
    struct bfd_session a, b;
    uint64_t now = 5 * MS;

    (void) state;
    bfd_session_init(&a, &cfg, 0x1111, now);
    bfd_session_init(&b, &cfg, 0x2222, now);
    assert_int_equal(a.state, BFD_DOWN);
    wire_run(&a, &b, &now, 50, false);
    assert_int_equal(a.state, BFD_UP);
    assert_int_equal(b.state, BFD_UP);
    assert_int_equal(a.remote_disc, 0x2222);
    assert_false(a.poll);       /* the Poll sequence ended with a Final */
    assert_false(b.poll);
    assert_int_equal(a.adv_tx_us, 10000);

    /* At the fast interval: 1 s brings 100..134 packets. */
    uint64_t tx0 = a.tx_packets;
    wire_run(&a, &b, &now, 1000, false);
    assert_in_range(a.tx_packets - tx0, 100, 134);
    assert_int_equal(bfd_session_detect_ns(&a), 30 * MS);
    assert_int_equal(a.n_down, 0);

    /* Cut: both Down within the detection time (30 ms, +1 step). */
    uint64_t cut_at = now;
    for (unsigned i = 0; i < 400 && (a.state == BFD_UP || b.state == BFD_UP); i++) {
        wire_run(&a, &b, &now, 0 + 1, true);
    }
    assert_int_equal(a.state, BFD_DOWN);
    assert_int_equal(b.state, BFD_DOWN);
    assert_int_equal(a.diag, BFD_DIAG_DETECT_EXPIRED);
    assert_true(now - cut_at <= 32 * MS);
    assert_true(a.last_detect_ns >= 30 * MS && a.last_detect_ns <= 31 * MS);
    assert_int_equal(a.remote_disc, 0);
    assert_int_equal(a.adv_tx_us, BFD_SLOW_US);

    /* The wire returns: Up again (slow packets: within ~2 s). */
    wire_run(&a, &b, &now, 2500, false);
    assert_int_equal(a.state, BFD_UP);
    assert_int_equal(b.state, BFD_UP);
    assert_int_equal(a.n_up, 2);
    assert_int_equal(a.n_down, 1);
}

static void
test_neighbor_down_and_discard(void **state)
{
    struct bfd_config cfg = { .tx_us = 10000, .rx_us = 10000, .mult = 3 };
    struct bfd_session a, b;
    uint8_t buf[BFD_PACKET_LEN], bad[BFD_PACKET_LEN];
    uint64_t now = MS;

    (void) state;
    bfd_session_init(&a, &cfg, 7, now);
    bfd_session_init(&b, &cfg, 9, now);
    wire_run(&a, &b, &now, 50, false);
    assert_int_equal(a.state, BFD_UP);

    /* What RFC 5880 section 6.8.6 discards leaves 'a' as it was. */
    bfd_session_build(&b, buf, now);
    struct bfd_session before = a;
    memcpy(bad, buf, sizeof bad);
    bad[0] = 2 << 5;                                    /* version 2 */
    assert_int_equal(bfd_session_rx(&a, bad, sizeof bad, now), EINVAL);
    memcpy(bad, buf, sizeof bad);
    bad[2] = 0;                                         /* multiplier 0 */
    assert_int_equal(bfd_session_rx(&a, bad, sizeof bad, now), EINVAL);
    memcpy(bad, buf, sizeof bad);
    bad[11] = 8;                                        /* your disc: not ours */
    assert_int_equal(bfd_session_rx(&a, bad, sizeof bad, now), EINVAL);
    memcpy(bad, buf, sizeof bad);
    bad[1] |= 0x04;                                     /* authenticated */
    bad[3] = 26;
    assert_int_equal(bfd_session_rx(&a, bad, sizeof bad, now), EINVAL);
    assert_int_equal(bfd_session_rx(&a, buf, 20, now), EINVAL);   /* short */
    assert_int_equal(a.rx_invalid, before.rx_invalid + 5);
    assert_int_equal(a.state, before.state);
    assert_int_equal(a.last_rx, before.last_rx);

    /* The peer says Down: Down at once with "neighbor signaled". */
    buf[1] = BFD_DOWN << 6;
    assert_int_equal(bfd_session_rx(&a, buf, sizeof buf, now), 0);
    assert_int_equal(a.state, BFD_DOWN);
    assert_int_equal(a.diag, BFD_DIAG_NEIGHBOR_DOWN);
    assert_true(bfd_session_run(&a, now));  /* tells the peer at once */
    assert_string_equal(bfd_state_name(a.state), "Down");
    assert_string_equal(bfd_diag_name(a.diag), "neighbor signaled session down");
}

static void
test_poll_answered_with_final(void **state)
{
    struct bfd_config cfg = { .tx_us = 20000, .rx_us = 20000, .mult = 5 };
    struct bfd_session a;
    uint8_t pkt[BFD_PACKET_LEN] = {
        1 << 5, BFD_DOWN << 6 | 0x20, 3, 24, 0, 0, 0, 42, 0, 0, 0, 0,
        0, 0x0f, 0x42, 0x40, 0, 0, 0x27, 0x10, 0, 0, 0, 0,
    };
    uint8_t out[BFD_PACKET_LEN];
    uint64_t now = MS;

    (void) state;
    bfd_session_init(&a, &cfg, 5, now);
    bfd_session_build(&a, out, now);
    now += MS;
    assert_false(bfd_session_run(&a, now));     /* slow: next in ~1 s */
    assert_int_equal(bfd_session_rx(&a, pkt, sizeof pkt, now), 0);
    assert_int_equal(a.state, BFD_INIT);
    assert_true(bfd_session_run(&a, now));
    bfd_session_build(&a, out, now);
    assert_int_equal(out[1] & 0x30, 0x10);      /* Final, no Poll */
    assert_int_equal(out[1] >> 6, BFD_INIT);
    assert_int_equal(out[11], 42);              /* your discriminator */
    assert_int_equal(out[2], 5);
}

/* Standby pacing: one end slows to 100 ms (a Poll sequence; it keeps
 * sending at 10 ms until the Final), both then send at 100 ms and detect
 * in 300 ms; speeding up again takes effect at once, and neither end
 * declares the other Down on the way, even with the Poll lost once. */
static void
test_set_intervals(void **state)
{
    struct bfd_config cfg = { .tx_us = 10000, .rx_us = 10000, .mult = 3 };
    struct bfd_session a, b;
    uint8_t buf[BFD_PACKET_LEN];
    uint64_t now = MS;

    (void) state;
    bfd_session_init(&a, &cfg, 0x31, now);
    bfd_session_init(&b, &cfg, 0x32, now);
    wire_run(&a, &b, &now, 50, false);
    assert_int_equal(a.state, BFD_UP);
    assert_false(a.poll);

    /* Slower: the first Poll is lost; a still sends at 10 ms meanwhile. */
    bfd_session_set_intervals(&a, 100000, 100000, now);
    assert_true(a.poll);
    assert_int_equal(a.adv_tx_us, 100000);
    assert_int_equal(bfd_session_detect_ns(&a), 300 * MS);  /* old rx kept */
    while (!bfd_session_run(&a, now)) {
        now += MS / 10;
    }
    uint64_t t0 = now;
    bfd_session_build(&a, buf, now);                       /* lost */
    while (!bfd_session_run(&a, now)) {
        now += MS / 10;
    }
    assert_true(now - t0 <= 10 * MS);
    assert_true(a.poll);
    wire_run(&a, &b, &now, 50, false);
    assert_false(a.poll);                                   /* Final came */
    assert_int_equal(bfd_session_detect_ns(&a), 300 * MS);
    assert_int_equal(bfd_session_detect_ns(&b), 300 * MS);
    uint64_t ta = a.tx_packets, tb = b.tx_packets;
    wire_run(&a, &b, &now, 1000, false);
    assert_in_range(a.tx_packets - ta, 10, 14);
    assert_in_range(b.tx_packets - tb, 10, 14);
    assert_int_equal(a.state, BFD_UP);
    assert_int_equal(b.state, BFD_UP);

    /* Faster again: at once, and Up throughout. */
    bfd_session_set_intervals(&a, 10000, 10000, now);
    wire_run(&a, &b, &now, 100, false);
    assert_false(a.poll);
    assert_int_equal(bfd_session_detect_ns(&a), 30 * MS);
    ta = a.tx_packets;
    wire_run(&a, &b, &now, 1000, false);
    assert_in_range(a.tx_packets - ta, 100, 134);
    assert_int_equal(a.n_down + b.n_down, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_up_and_detect),
        cmocka_unit_test(test_neighbor_down_and_discard),
        cmocka_unit_test(test_poll_answered_with_final),
        cmocka_unit_test(test_set_intervals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
