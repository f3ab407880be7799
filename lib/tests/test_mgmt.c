/*
 * Tests of lib/mgmt's refusals, which must come before anything listens:
 * a TCP listener without TLS or without a token, TLS files or a token
 * without an address, a token file that is missing, readable by others or
 * too short, a bad address.  (The TLS round trip, the token check on the
 * wire and the relay are tests/integration/mgmt-remote.sh's, against the
 * real daemons.)
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "mgmt.h"

static char dir[] = "/tmp/lamina-test-mgmt.XXXXXX";

/* Writes 'text' to file 'name' in the test's directory with 'mode';
 * returns its path (static). */
static const char *
file(const char *name, const char *text, mode_t mode)
{
    static char path[4][256];
    static int next;
    char *p = path[next++ % 4];

    snprintf(p, 256, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(p, mode), 0);
    return p;
}

static void
test_config_check(void **state)
{
    struct mgmt_config c = { NULL };
    char msg[512] = "";
    (void) state;

    assert_int_equal(mgmt_config_check(&c, msg, sizeof msg), 0);   /* off */
    c.token_file = "t";
    assert_int_equal(mgmt_config_check(&c, msg, sizeof msg), EINVAL);
    assert_non_null(strstr(msg, "without an address to listen on"));
    c.listen = "127.0.0.1:1";
    assert_int_equal(mgmt_config_check(&c, msg, sizeof msg), EINVAL);
    assert_non_null(strstr(msg, "without TLS and a token (missing: certificate "
                               "private key CA certificate )"));
    c.certificate = "c";
    c.private_key = "k";
    c.ca_cert = "ca";
    c.token_file = NULL;
    assert_int_equal(mgmt_config_check(&c, msg, sizeof msg), EINVAL);
    assert_non_null(strstr(msg, "(missing: token file)"));
    c.token_file = "t";
    assert_int_equal(mgmt_config_check(&c, msg, sizeof msg), 0);
}

static void
test_start_refusals(void **state)
{
    struct mgmt_config c = {
        .listen = "127.0.0.1:0", .certificate = "/nonexistent/c.pem",
        .private_key = "/nonexistent/k.pem", .ca_cert = "/nonexistent/ca.pem",
    };
    struct mgmt_server *srv = (void *) 1;
    char msg[512] = "";
    (void) state;

    c.token_file = file("open.token", "0123456789abcdef0123\n", 0644);
    assert_int_equal(mgmt_server_start(&c, "/nonexistent.sock", &srv, msg,
                                       sizeof msg), EPERM);
    assert_null(srv);
    assert_non_null(strstr(msg, "readable by others"));

    c.token_file = file("short.token", "short\n", 0600);
    assert_int_equal(mgmt_server_start(&c, "/x.sock", &srv, msg, sizeof msg),
                     EINVAL);
    assert_non_null(strstr(msg, "at least 16 characters"));

    char missing[300];
    snprintf(missing, sizeof missing, "%s/none.token", dir);
    c.token_file = missing;
    assert_int_equal(mgmt_server_start(&c, "/x.sock", &srv, msg, sizeof msg),
                     ENOENT);
    assert_non_null(strstr(msg, "none.token"));

    /* A good token: the TLS files are next, and they name themselves. */
    c.token_file = file("good.token", "0123456789abcdef0123\n", 0600);
    assert_int_equal(mgmt_server_start(&c, "/x.sock", &srv, msg, sizeof msg),
                     EINVAL);
    assert_non_null(strstr(msg, "/nonexistent/k.pem"));
    assert_null(srv);

    c.listen = "no-port";
    assert_int_equal(mgmt_server_start(&c, "/x.sock", &srv, msg, sizeof msg),
                     EINVAL);
    assert_non_null(strstr(msg, "is not ADDR:PORT"));
}

static void
test_connect_refusals(void **state)
{
    struct mgmt_config c = { .listen = "127.0.0.1:1" };
    char msg[512] = "";
    struct mgmt_client *mc = (void *) 1;
    int fd = 7;
    (void) state;

    assert_int_equal(mgmt_connect(&c, &mc, &fd, msg, sizeof msg), EINVAL);
    assert_int_equal(fd, -1);
    assert_null(mc);
    assert_non_null(strstr(msg, "needs a token"));
    c.token = "0123456789abcdef0123";
    assert_int_equal(mgmt_connect(&c, &mc, &fd, msg, sizeof msg), EINVAL);
    assert_non_null(strstr(msg, "--key, --cert, --ca-cert"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_check),
        cmocka_unit_test(test_start_refusals),
        cmocka_unit_test(test_connect_refusals),
    };
    if (!mkdtemp(dir)) {
        return 1;
    }
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    (void) !system(cmd);
    return failed;
}
