/*
 * Unit tests of the plain-TCP credential (ofauth.h): the wire form, the
 * constant-time check, the gate (hold, accept, refuse, time out), the
 * once-per-source logging of refusals, and which targets are loopback.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ofauth.h"
#include "ofp-msg.h"
#include "ofpbuf.h"
#include "ofstream.h"

/* The credential decodes as an ordinary ECHO_REQUEST with our data. */
static void
test_credential_wire(void **state)
{
    struct ofpbuf b = OFPBUF_INITIALIZER;
    const uint8_t *secret;
    struct ofp_msg m;
    struct ofp_error err;
    size_t n;

    (void) state;
    ofauth_encode_credential(&b, 7, "s3cret");
    assert_int_equal(b.size, 8 + strlen("lamina-secret:s3cret"));
    assert_int_equal(ofp_decode(b.data, b.size, &m, &err), 0);
    assert_int_equal(m.type, OFPT_ECHO_REQUEST);
    assert_int_equal(m.xid, 7);
    assert_int_equal(m.echo.len, strlen("lamina-secret:s3cret"));
    assert_memory_equal(m.echo.data, "lamina-secret:s3cret", m.echo.len);
    ofp_msg_free(&m);

    assert_true(ofauth_parse_credential(b.data, b.size, &secret, &n));
    assert_int_equal(n, 6);
    assert_true(ofauth_secret_equal("s3cret", secret, n));
    assert_false(ofauth_secret_equal("s3cre", secret, n));
    assert_false(ofauth_secret_equal("s3cret!", secret, n));
    assert_false(ofauth_secret_equal("S3cret", secret, n));

    /* A plain echo is not a credential. */
    ofpbuf_clear(&b);
    ofp_msg_init(&m, OFPT_ECHO_REQUEST, 1);
    ofp_encode(&m, &b);
    assert_false(ofauth_parse_credential(b.data, b.size, &secret, &n));
    ofpbuf_uninit(&b);
}

static void
test_secret_check(void **state)
{
    char msg[128], long_secret[OFAUTH_SECRET_MAX + 2];

    (void) state;
    assert_int_equal(ofauth_secret_check("abc-123_XYZ", msg, sizeof msg), 0);
    assert_int_equal(ofauth_secret_check("", msg, sizeof msg), EINVAL);
    assert_non_null(strstr(msg, "1 to 128"));
    assert_int_equal(ofauth_secret_check("a b", msg, sizeof msg), EINVAL);
    assert_non_null(strstr(msg, "character 2"));
    memset(long_secret, 'x', sizeof long_secret - 1);
    long_secret[sizeof long_secret - 1] = '\0';
    assert_int_equal(ofauth_secret_check(long_secret, msg, sizeof msg), EINVAL);
    long_secret[OFAUTH_SECRET_MAX] = '\0';
    assert_int_equal(ofauth_secret_check(long_secret, msg, sizeof msg), 0);
}

static void
test_credential_id(void **state)
{
    char a[OFAUTH_ID_LEN], b[OFAUTH_ID_LEN];

    (void) state;
    ofauth_credential_id((const uint8_t *) "abc", 3, a);
    /* SHA-256("abc"). */
    assert_string_equal(a, "secret-sha256:ba7816bf8f01cfea414140de5dae2223"
                        "b00361a396177a9cb410ff61f20015ad");
    ofauth_credential_id((const uint8_t *) "abd", 3, b);
    assert_string_not_equal(a, b);
}

/* Encodes message 'type' with no body into 'b'. */
static void
put_msg(struct ofpbuf *b, uint8_t type, uint32_t xid)
{
    struct ofp_msg m;

    ofp_msg_init(&m, type, xid);
    ofp_encode(&m, b);
    ofp_msg_free(&m);
}

/* HELLO passes, the rest is held, the credential opens the gate and the
 * held messages come back in order. */
static void
test_gate_accept(void **state)
{
    struct ofpbuf hello = OFPBUF_INITIALIZER, feat = OFPBUF_INITIALIZER;
    struct ofpbuf cred = OFPBUF_INITIALIZER, echo = OFPBUF_INITIALIZER;
    struct ofpbuf held, reply = OFPBUF_INITIALIZER;
    struct ofauth_gate g;
    const char *why;

    (void) state;
    put_msg(&hello, OFPT_HELLO, 1);
    put_msg(&feat, OFPT_FEATURES_REQUEST, 2);
    put_msg(&echo, OFPT_ECHO_REQUEST, 3);
    ofauth_encode_credential(&cred, 4, "red");

    ofauth_gate_init(&g, "red", 1000);
    assert_false(g.open);
    assert_int_equal(ofauth_gate_input(&g, hello.data, hello.size, &why), OFAUTH_PASS);
    assert_int_equal(ofauth_gate_input(&g, feat.data, feat.size, &why), OFAUTH_HELD);
    assert_int_equal(ofauth_gate_input(&g, echo.data, echo.size, &why), OFAUTH_HELD);
    assert_false(ofauth_gate_expired(&g, 1000 + OFAUTH_TIMEOUT_MS - 1));
    assert_true(ofauth_gate_expired(&g, 1000 + OFAUTH_TIMEOUT_MS));
    assert_int_equal(ofauth_gate_input(&g, cred.data, cred.size, &why), OFAUTH_ACCEPTED);
    assert_true(g.open);
    assert_false(ofauth_gate_expired(&g, 1000 + OFAUTH_TIMEOUT_MS));
    assert_string_equal(g.id, "secret-sha256:"
                        "b1f51a511f1da0cd348b8f8598db32e61cb963e5fc69e2b41485bf99590ed75a");

    ofauth_gate_take_held(&g, &held);
    assert_int_equal(held.size, feat.size + echo.size);
    const uint8_t *m;
    size_t ofs = 0, n;
    assert_true(ofauth_held_next(&held, &ofs, &m, &n));
    assert_int_equal(n, feat.size);
    assert_memory_equal(m, feat.data, feat.size);
    assert_true(ofauth_held_next(&held, &ofs, &m, &n));
    assert_int_equal(n, echo.size);
    assert_memory_equal(m, echo.data, echo.size);
    assert_false(ofauth_held_next(&held, &ofs, &m, &n));
    ofpbuf_uninit(&held);
    ofauth_gate_take_held(&g, &held);
    assert_int_equal(held.size, 0);
    ofpbuf_uninit(&held);

    /* Open: everything passes, even a wrong credential (it is an echo). */
    assert_int_equal(ofauth_gate_input(&g, feat.data, feat.size, &why), OFAUTH_PASS);

    ofauth_encode_reply(&reply, cred.data, cred.size);
    assert_int_equal(((uint8_t *) reply.data)[1], OFPT_ECHO_REPLY);
    assert_memory_equal((uint8_t *) reply.data + 2, (uint8_t *) cred.data + 2,
                        cred.size - 2);

    ofauth_gate_destroy(&g);
    ofpbuf_uninit(&hello);
    ofpbuf_uninit(&feat);
    ofpbuf_uninit(&cred);
    ofpbuf_uninit(&echo);
    ofpbuf_uninit(&reply);
}

static void
test_gate_refuse(void **state)
{
    struct ofpbuf cred = OFPBUF_INITIALIZER, big = OFPBUF_INITIALIZER;
    struct ofauth_gate g;
    const char *why;

    (void) state;
    ofauth_encode_credential(&cred, 4, "blue");
    ofauth_gate_init(&g, "red", 0);
    assert_int_equal(ofauth_gate_input(&g, cred.data, cred.size, &why), OFAUTH_REFUSED);
    assert_string_equal(why, "wrong secret");
    assert_false(g.open);
    ofauth_gate_destroy(&g);

    /* Too much held before the credential. */
    ofauth_gate_init(&g, "red", 0);
    struct ofp_msg m;
    ofp_msg_init(&m, OFPT_ECHO_REQUEST, 9);
    static uint8_t data[60000];
    m.echo.data = data;
    m.echo.len = sizeof data;
    ofp_encode(&m, &big);
    enum ofauth_verdict v = OFAUTH_HELD;
    int i;
    for (i = 0; i < 10 && v == OFAUTH_HELD; i++) {
        v = ofauth_gate_input(&g, big.data, big.size, &why);
    }
    assert_int_equal(v, OFAUTH_REFUSED);
    assert_int_equal(i, OFAUTH_HOLD_MAX / big.size + 1);
    assert_non_null(strstr(why, "too much"));
    assert_true(g.held.size <= OFAUTH_HOLD_MAX);
    ofauth_gate_destroy(&g);

    /* No secret: open from the start. */
    ofauth_gate_init(&g, "", 0);
    assert_true(g.open);
    assert_int_equal(ofauth_gate_input(&g, big.data, big.size, &why), OFAUTH_PASS);
    ofauth_gate_destroy(&g);
    ofpbuf_uninit(&cred);
    ofpbuf_uninit(&big);
}

static void
test_failures_once_per_source(void **state)
{
    struct ofauth_failures f;

    (void) state;
    memset(&f, 0, sizeof f);
    assert_true(ofauth_failure(&f, "127.0.0.1:4000"));
    assert_false(ofauth_failure(&f, "127.0.0.1:4001"));
    assert_true(ofauth_failure(&f, "127.0.0.2:4001"));
    assert_true(ofauth_failure(&f, "[::1]:4001"));
    assert_false(ofauth_failure(&f, "[::1]:4002"));
    assert_int_equal(f.n, 5);
    /* Forgotten after OFAUTH_RECENT others. */
    char peer[64];
    for (int i = 0; i < OFAUTH_RECENT; i++) {
        snprintf(peer, sizeof peer, "10.0.0.%d:1", i);
        assert_true(ofauth_failure(&f, peer));
    }
    assert_true(ofauth_failure(&f, "127.0.0.1:4000"));
}

/* Which passive targets only this machine can reach: what a ptcp:
 * listener without "open" is held to. */
static void
test_loopback(void **state)
{
    static const struct { const char *target; bool loopback; } cases[] = {
        { "ptcp:6634", true }, { "ptcp:6634:127.0.0.1", true },
        { "ptcp:6634:127.1.2.3", true }, { "ptcp:6634:[::1]", true },
        { "ptcp:6634:localhost", true }, { "ptcp:6634:0.0.0.0", false },
        { "ptcp:6634:192.0.2.1", false }, { "ptcp:6634:[::]", false },
        { "pssl:6634:10.0.0.1", false }, { "ptcp:6634:128.0.0.1", false },
    };
    (void) state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct ofstream_target t;
        char msg[256];
        assert_int_equal(ofstream_target_parse(cases[i].target, &t, msg, sizeof msg), 0);
        if (ofstream_target_is_loopback(&t) != cases[i].loopback) {
            fail_msg("%s: loopback should be %d", cases[i].target, cases[i].loopback);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_credential_wire),
        cmocka_unit_test(test_secret_check),
        cmocka_unit_test(test_credential_id),
        cmocka_unit_test(test_gate_accept),
        cmocka_unit_test(test_gate_refuse),
        cmocka_unit_test(test_failures_once_per_source),
        cmocka_unit_test(test_loopback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
