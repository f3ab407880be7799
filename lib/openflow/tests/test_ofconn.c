/*
 * Unit tests of the OpenFlow connection layer: target parsing
 * (ofstream.h), the output limits of a channel (ofchan.h) over a real
 * loopback TCP connection, the listener's caps, the backoff.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "ofchan.h"
#include "ofp-msg.h"
#include "ofpbuf.h"
#include "ofstream.h"
#include "util.h"

/* ---- Targets ------------------------------------------------------------- */

static void
check_good(const char *s, bool passive, bool tls, const char *host, unsigned port)
{
    struct ofstream_target t;
    char msg[256] = "";

    int error = ofstream_target_parse(s, &t, msg, sizeof msg);
    if (error) {
        fail_msg("%s: %s", s, msg);
    }
    assert_int_equal(t.passive, passive);
    assert_int_equal(t.tls, tls);
    assert_string_equal(t.host, host);
    assert_int_equal(t.port, port);
}

static void
check_bad(const char *s, const char *why)
{
    struct ofstream_target t;
    char msg[256] = "";

    memset(&t, 0x5a, sizeof t);
    assert_int_equal(ofstream_target_parse(s, &t, msg, sizeof msg), EINVAL);
    if (!strstr(msg, why)) {
        fail_msg("%s: message \"%s\" does not say \"%s\"", s, msg, why);
    }
    /* Bad input changes nothing. */
    assert_int_equal(t.port, 0x5a5a);
}

static void
test_target_good(void **state)
{
    (void) state;
    check_good("tcp:127.0.0.1:6653", false, false, "127.0.0.1", 6653);
    check_good("tcp:localhost", false, false, "localhost", 6653);
    check_good("ssl:ctl.example.org:6640", false, true, "ctl.example.org", 6640);
    check_good("ssl:[::1]:6640", false, true, "::1", 6640);
    check_good("tcp:[fe80::1]", false, false, "fe80::1", 6653);
    check_good("ptcp:6634", true, false, "127.0.0.1", 6634);   /* loopback */
    check_good("ptcp:", true, false, "127.0.0.1", 6653);
    check_good("ptcp:0:0.0.0.0", true, false, "0.0.0.0", 0);
    check_good("pssl:6634:[::1]", true, true, "::1", 6634);
    check_good("pssl::localhost", true, true, "localhost", 6653);
}

static void
test_target_bad(void **state)
{
    (void) state;
    check_bad("", "empty target");
    check_bad("udp:1.2.3.4:1", "unknown method");
    check_bad("TCP:1.2.3.4:1", "unknown method");
    check_bad("tcp:", "no host");
    check_bad("tcp::6653", "no host");
    check_bad("tcp:1.2.3.4:0", "bad port (1..65535)");
    check_bad("tcp:1.2.3.4:65536", "bad port");
    check_bad("tcp:1.2.3.4:+1", "bad port");
    check_bad("tcp:1.2.3.4:", "bad port");
    check_bad("tcp:::1:6653", "must be in brackets");
    check_bad("tcp:[::1", "without \"]\"");
    check_bad("tcp:[::1]x", "junk after");
    check_bad("tcp:[not-v6]:1", "bad host");
    check_bad("tcp:host name:1", "bad host");
    check_bad("ptcp:abc", "bad port (0..65535)");
    check_bad("ptcp:123456", "bad port");
    check_bad("ptcp:6653:", "bad address");
    check_bad("pssl:6653:[::1", "bad address");
}

/* ---- Channels ------------------------------------------------------------ */

struct pair {
    struct ofstream_listener *l;
    struct ofchan *client;      /* ours: the one under test */
    struct ofchan *server;      /* the peer */
};

/* A connected channel pair over loopback TCP; 'limits' for the client. */
static void
pair_open(struct pair *p, const struct ofchan_limits *limits)
{
    static const struct ofstream_listener_limits ll = { 0, 0, 100 };
    struct ofstream_target t;
    struct ofstream *s = NULL;
    char msg[256], target[64];

    assert_int_equal(ofstream_target_parse("ptcp:0", &t, msg, sizeof msg), 0);
    assert_int_equal(ofstream_listener_open(&t, NULL, &ll, "test", &p->l, msg,
                                            sizeof msg), 0);
    snprintf(target, sizeof target, "tcp:127.0.0.1:%u", ofstream_listener_port(p->l));
    assert_int_equal(ofchan_open(target, NULL, limits, &p->client, msg, sizeof msg), 0);
    for (int i = 0; i < 1000 && ofstream_listener_accept(p->l, &s); i++) {
        usleep(1000);
    }
    assert_non_null(s);
    p->server = ofchan_create(s, NULL);
    for (int i = 0; i < 1000 && !ofchan_is_connected(p->client); i++) {
        assert_int_equal(ofchan_run(p->client), 0);
        usleep(1000);
    }
    assert_true(ofchan_is_connected(p->client));
    assert_true(ofchan_is_connected(p->server));
}

static void
pair_close(struct pair *p)
{
    ofchan_destroy(p->client);
    ofchan_destroy(p->server);
    ofstream_listener_close(p->l);
}

/* Waits for one message on 'ch'. */
static int
recv_wait(struct ofchan *ch, const uint8_t **msg, size_t *len)
{
    int error = EAGAIN;

    for (int i = 0; i < 1000 && error == EAGAIN; i++) {
        error = ofchan_recv(ch, msg, len);
        if (error == EAGAIN) {
            usleep(1000);
        }
    }
    return error;
}

static void
send_hello(struct ofchan *ch)
{
    struct ofpbuf b = OFPBUF_INITIALIZER;

    ofp_encode_hello(&b, 7, 1u << OFP13_VERSION_WIRE);
    assert_int_equal(ofchan_send(ch, b.data, b.size), 0);
    ofpbuf_uninit(&b);
}

/* Queues 1 KiB messages (ECHO_REPLY-shaped) without writing them until
 * the backlog passes 'bytes'; returns the last ofchan_queue() result. */
static int
queue_until(struct ofchan *ch, size_t bytes)
{
    uint8_t m[1024] = { OFP13_VERSION_WIRE, 3, 1024 >> 8, 1024 & 0xff };
    int error = 0;

    while (!error && ofchan_backlog(ch) <= bytes) {
        error = ofchan_queue(ch, m, sizeof m);
    }
    return error;
}

static void
test_soft_limit_pauses_reading(void **state)
{
    static const struct ofchan_limits limits = { 16 << 10, 64 << 10, false };
    const uint8_t *msg;
    size_t len;
    struct pair p;

    (void) state;
    pair_open(&p, &limits);
    send_hello(p.server);
    assert_int_equal(recv_wait(p.client, &msg, &len), 0);
    assert_int_equal(msg[1], 0);                    /* HELLO */
    assert_true(ofchan_may_send_droppable(p.client));
    assert_true(ofchan_events(p.client) & POLLIN);

    /* Past the soft limit: nothing is read, droppables are refused. */
    assert_int_equal(queue_until(p.client, 16 << 10), 0);
    send_hello(p.server);
    usleep(20000);
    assert_int_equal(ofchan_recv(p.client, &msg, &len), EAGAIN);
    assert_false(ofchan_may_send_droppable(p.client));
    assert_false(ofchan_events(p.client) & POLLIN);
    assert_true(ofchan_events(p.client) & POLLOUT);
    assert_int_equal(ofchan_n_read_pauses(p.client), 1);

    /* The peer reads: the queue drains, reading resumes. */
    for (int i = 0; i < 1000 && ofchan_backlog(p.client); i++) {
        assert_int_equal(ofchan_flush(p.client), 0);
        while (!ofchan_recv(p.server, &msg, &len)) {
            continue;
        }
    }
    assert_int_equal(ofchan_backlog(p.client), 0);
    assert_int_equal(recv_wait(p.client, &msg, &len), 0);
    assert_int_equal(msg[1], 0);
    assert_true(ofchan_may_send_droppable(p.client));
    assert_int_equal(ofchan_n_read_pauses(p.client), 1);
    pair_close(&p);
}

static void
test_hard_limit_drops(void **state)
{
    static const struct ofchan_limits limits = { 16 << 10, 64 << 10, false };
    uint64_t before = ofchan_n_overflows();
    uint8_t m[8] = { OFP13_VERSION_WIRE, 2, 0, 8 };
    struct pair p;

    (void) state;
    pair_open(&p, &limits);
    /* The peer never reads; nothing is written either. */
    assert_int_equal(queue_until(p.client, 64 << 10), ENOBUFS);
    assert_true(ofchan_backlog(p.client) <= 64 << 10);
    assert_true(ofchan_is_dead(p.client));
    assert_non_null(strstr(ofchan_error(p.client), "hard limit of 65536 bytes"));
    assert_int_equal(ofchan_n_overflows(), before + 1);
    /* A dead channel takes nothing more and says so. */
    assert_int_equal(ofchan_send(p.client, m, sizeof m), EPIPE);
    assert_int_equal(ofchan_run(p.client), EPIPE);
    assert_int_equal(ofchan_events(p.client), 0);
    assert_int_equal(ofchan_n_overflows(), before + 1);
    pair_close(&p);
}

static void
test_keep_reading(void **state)
{
    static const struct ofchan_limits limits = { 16 << 10, 64 << 10, true };
    const uint8_t *msg;
    size_t len;
    struct pair p;

    (void) state;
    pair_open(&p, &limits);
    assert_int_equal(queue_until(p.client, 16 << 10), 0);
    send_hello(p.server);
    assert_int_equal(recv_wait(p.client, &msg, &len), 0);
    assert_false(ofchan_may_send_droppable(p.client));
    assert_true(ofchan_events(p.client) & POLLIN);
    assert_int_equal(ofchan_n_read_pauses(p.client), 0);
    pair_close(&p);
}

static void
test_peer_close_and_garbage(void **state)
{
    uint8_t junk[8] = { 4, 0, 0, 2 };       /* length 2 < 8: not OpenFlow */
    const uint8_t *msg;
    size_t len;
    struct pair p;

    (void) state;
    pair_open(&p, NULL);
    assert_int_equal(ofchan_send(p.server, junk, sizeof junk), 0);
    assert_int_equal(recv_wait(p.client, &msg, &len), EBADMSG);
    assert_string_equal(ofchan_error(p.client), "not an OpenFlow stream");
    pair_close(&p);

    pair_open(&p, NULL);
    ofchan_destroy(p.server);
    p.server = NULL;
    assert_int_equal(recv_wait(p.client, &msg, &len), EPIPE);
    assert_string_equal(ofchan_error(p.client), "closed by peer");
    pair_close(&p);
}

/* ---- Listener caps ------------------------------------------------------- */

static void
test_listener_caps(void **state)
{
    static const struct ofstream_listener_limits ll = {
        .max_conns = 3, .max_per_source = 2, .pause_ms = 100,
    };
    struct ofstream_listener_stats st;
    struct ofstream_listener *l;
    struct ofstream_target t;
    struct ofstream *acc[4] = { NULL };
    struct ofchan *cl[4];
    char msg[256], target[64];
    size_t n = 0;

    (void) state;
    assert_int_equal(ofstream_target_parse("ptcp:0:127.0.0.1", &t, msg, sizeof msg), 0);
    assert_int_equal(ofstream_listener_open(&t, NULL, &ll, "caps", &l, msg, sizeof msg), 0);
    assert_int_equal(ofstream_listener_events(l), POLLIN);
    snprintf(target, sizeof target, "tcp:127.0.0.1:%u", ofstream_listener_port(l));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ofchan_open(target, NULL, NULL, &cl[i], msg, sizeof msg), 0);
    }
    /* Accepting loops until the backlog is empty: two taken, one refused. */
    for (int i = 0; i < 1000; i++) {
        struct ofstream *s;
        while (!ofstream_listener_accept(l, &s)) {
            assert_true(n < 2);
            acc[n++] = s;
        }
        ofstream_listener_stats(l, &st);
        if (n + st.refused_source == 3) {
            break;
        }
        usleep(1000);
    }
    ofstream_listener_stats(l, &st);
    assert_int_equal(n, 2);
    assert_int_equal(st.refused_source, 1);
    assert_int_equal(st.live, 2);
    assert_int_equal(st.accepted, 2);

    /* One closes: the address may connect again. */
    ofstream_close(acc[0]);
    ofstream_listener_stats(l, &st);
    assert_int_equal(st.live, 1);
    assert_int_equal(ofchan_open(target, NULL, NULL, &cl[3], msg, sizeof msg), 0);
    for (int i = 0; i < 1000 && ofstream_listener_accept(l, &acc[0]); i++) {
        usleep(1000);
    }
    assert_non_null(acc[0]);
    ofstream_listener_stats(l, &st);
    assert_int_equal(st.live, 2);

    /* Streams outlive their listener. */
    ofstream_listener_close(l);
    for (size_t i = 0; i < 2; i++) {
        ofstream_close(acc[i]);
    }
    for (int i = 0; i < 4; i++) {
        ofchan_destroy(cl[i]);
    }
}

/* Descriptors run out: the listener pauses (no POLLIN, a wakeup time)
 * instead of spinning, counts it, and accepts again after the pause. */
static void
test_listener_fd_exhaustion(void **state)
{
    static const struct ofstream_listener_limits ll = { .pause_ms = 50 };
    struct ofstream_listener_stats st;
    struct ofstream_listener *l;
    struct ofstream_target t;
    struct ofstream *s = NULL;
    struct ofchan *cl;
    struct rlimit old, low;
    char msg[256], target[64];
    int probe;

    (void) state;
    assert_int_equal(ofstream_target_parse("ptcp:0", &t, msg, sizeof msg), 0);
    assert_int_equal(ofstream_listener_open(&t, NULL, &ll, "fds", &l, msg, sizeof msg), 0);
    snprintf(target, sizeof target, "tcp:127.0.0.1:%u", ofstream_listener_port(l));
    assert_int_equal(ofchan_open(target, NULL, NULL, &cl, msg, sizeof msg), 0);
    usleep(20000);                      /* the connection waits in the backlog */

    /* No descriptor left above the ones open now. */
    probe = dup(0);
    assert_true(probe >= 0);
    close(probe);
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    low = old;
    low.rlim_cur = probe;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    assert_int_equal(ofstream_listener_accept(l, &s), EAGAIN);
    assert_int_equal(ofstream_listener_accept(l, &s), EAGAIN);    /* paused */
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
    assert_null(s);
    ofstream_listener_stats(l, &st);
    assert_int_equal(st.fd_exhausted, 1);   /* the second call did not retry */
    assert_int_equal(ofstream_listener_events(l), 0);
    assert_true(ofstream_listener_wakeup_ms(l) != UINT64_MAX);

    /* After the pause: accepted. */
    usleep(60000);
    assert_int_equal(ofstream_listener_events(l), POLLIN);
    assert_int_equal(ofstream_listener_accept(l, &s), 0);
    assert_non_null(s);
    assert_int_equal(ofstream_listener_wakeup_ms(l), UINT64_MAX);
    ofstream_close(s);
    ofchan_destroy(cl);
    ofstream_listener_close(l);
}

static void
test_listen_errors(void **state)
{
    struct ofstream_listener_limits ll = { 0, 0, 0 };
    struct ofstream_listener *l;
    struct ofstream_target t;
    struct ofchan *ch;
    char msg[256];

    (void) state;
    assert_int_equal(ofstream_target_parse("pssl:0", &t, msg, sizeof msg), 0);
    assert_int_equal(ofstream_listener_open(&t, NULL, &ll, "x", &l, msg, sizeof msg),
                     EINVAL);
    assert_non_null(strstr(msg, "pssl: needs"));
    assert_int_equal(ofchan_open("ssl:127.0.0.1:1", NULL, NULL, &ch, msg, sizeof msg),
                     EINVAL);
    assert_non_null(strstr(msg, "ssl: needs"));
    assert_int_equal(ofchan_open("ptcp:1", NULL, NULL, &ch, msg, sizeof msg), EINVAL);
    assert_non_null(strstr(msg, "passive target"));
    assert_int_equal(ofchan_open("tcp:no-such-host.invalid:1", NULL, NULL, &ch, msg,
                                 sizeof msg), ENOENT);
    assert_non_null(strstr(msg, "cannot resolve \"no-such-host.invalid\""));
    assert_null(ch);
}

static void
test_tls_files(void **state)
{
    struct ofstream_tls *tls;
    char msg[512];

    (void) state;
    assert_int_equal(ofstream_tls_create("/nonexistent/key.pem", "/nonexistent/c.pem",
                                         "/nonexistent/ca.pem", &tls, msg, sizeof msg),
                     EINVAL);
    assert_null(tls);
    assert_non_null(strstr(msg, "cannot use private_key /nonexistent/key.pem"));
    assert_int_equal(ofstream_tls_create("k", NULL, "ca", &tls, msg, sizeof msg), EINVAL);
    assert_non_null(strstr(msg, "missing: certificate"));
    ofstream_tls_destroy(NULL);
}

/* ---- Backoff ------------------------------------------------------------- */

static void
test_backoff(void **state)
{
    struct ofchan_backoff b;

    (void) state;
    ofchan_backoff_init(&b, 100, 400);
    assert_true(ofchan_backoff_due(&b, 1000));      /* at once */
    assert_false(ofchan_backoff_due(&b, 1050));
    ofchan_backoff_failed(&b, 1050);                /* next at +100 */
    assert_false(ofchan_backoff_due(&b, 1149));
    assert_true(ofchan_backoff_due(&b, 1150));
    ofchan_backoff_failed(&b, 1200);                /* +200 */
    assert_false(ofchan_backoff_due(&b, 1399));
    ofchan_backoff_failed(&b, 2000);                /* +400 */
    ofchan_backoff_failed(&b, 3000);                /* capped at 400 */
    assert_false(ofchan_backoff_due(&b, 3399));
    assert_true(ofchan_backoff_due(&b, 3400));
    ofchan_backoff_success(&b);
    ofchan_backoff_failed(&b, 4000);                /* +100 again */
    assert_true(ofchan_backoff_due(&b, 4100));
    ofchan_backoff_disable(&b);
    ofchan_backoff_failed(&b, 5000);
    assert_false(ofchan_backoff_due(&b, UINT64_MAX - 1));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_target_good),
        cmocka_unit_test(test_target_bad),
        cmocka_unit_test(test_soft_limit_pauses_reading),
        cmocka_unit_test(test_hard_limit_drops),
        cmocka_unit_test(test_keep_reading),
        cmocka_unit_test(test_peer_close_and_garbage),
        cmocka_unit_test(test_listener_caps),
        cmocka_unit_test(test_listener_fd_exhaustion),
        cmocka_unit_test(test_listen_errors),
        cmocka_unit_test(test_tls_files),
        cmocka_unit_test(test_backoff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
