/*
 * Unit tests of lamina-switchd's state file (lib/statefile with the
 * sections of vswitch/switchd_state)
 * and of the `lamina switch|port|...` command-line translation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "switch_cli.h"
#include "switchd_state.h"
#include "util.h"

static char dir[64];

static int
setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/lamina-test-state-%d", (int) getpid());
    return mkdir_p(dir, 0755);
}

static int
teardown(void **state)
{
    char *cmd = xasprintf("rm -rf %s", dir);
    int rc = system(cmd);
    free(cmd);
    return rc;
}

/* Writes 'len' bytes of 'text' to a file in 'dir' and returns its path. */
static char *
write_file(const char *name, const char *text, size_t len)
{
    char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
    return path;
}

/* Reads 'text' as a state file; returns the error, and 'msg'. */
static int
read_text(const char *text, size_t len, char *msg, size_t size)
{
    char *path = write_file("state.json", text, len);
    json_t *config = (json_t *) 1;
    int error = statefile_read(path, switchd_state_sections, &config, msg,
                               size);

    if (error) {
        assert_null(config);
    } else {
        json_decref(config);
    }
    free(path);
    return error;
}

static void
expect_refused(const char *text, const char *needle)
{
    char msg[512] = "";

    assert_int_equal(read_text(text, strlen(text), msg, sizeof msg), EINVAL);
    if (!strstr(msg, needle)) {
        fail_msg("message \"%s\" lacks \"%s\"", msg, needle);
    }
}

static void
test_state_malformed(void **state)
{
    char msg[512];
    json_t *config;
    char *path;

    /* No file: ENOENT, which the daemon takes as a first start. */
    path = xasprintf("%s/missing.json", dir);
    assert_int_equal(statefile_read(path, switchd_state_sections, &config, msg,
                                    sizeof msg),
                     ENOENT);
    free(path);

    /* A directory is not a state file. */
    assert_int_equal(statefile_read(dir, switchd_state_sections, &config, msg,
                                    sizeof msg),
                     EINVAL);

    expect_refused("", "state.json:");
    expect_refused("{\"switches\": [{\"name\": \"s1\"", "state.json:");
    expect_refused("garbage", "state.json:1:");
    expect_refused("[]", "top level must be an object");
    expect_refused("42", "state.json");
    expect_refused("{\"ports\": 5}", "\"ports\" must be an array");
    expect_refused("{\"slices\": {\"name\": \"red\"}}",
                   "\"slices\" must be an array");
    expect_refused("{\"vnodes\": [{\"slice\": \"red\"}, 7]}",
                   "element 1 of \"vnodes\"");
    expect_refused("{\"switches\": [], \"switches\": []}", "duplicate");
    expect_refused("{\"switches\": [{\"name\": \"a\\u0000b\"}]}", "state.json");
    assert_int_equal(read_text("{\"switches\": [\0]}", 16, msg, sizeof msg),
                     EINVAL);
    assert_int_equal(read_text("\xff\xfe{}", 4, msg, sizeof msg), EINVAL);

    /* Accepted: empty, partial, unknown members. */
    assert_int_equal(read_text("{}", 2, msg, sizeof msg), 0);
    {
        static const char future[] = "{\"switches\": [{\"name\": \"s1\"}], "
                                     "\"future\": 1}";
        assert_int_equal(read_text(future, strlen(future), msg, sizeof msg), 0);
    }
}

static void
test_state_write_read(void **state)
{
    json_t *config = json_pack("{s:[{s:s}], s:[{s:s, s:s, s:s, s:i}]}",
                               "switches", "name", "s1",
                               "ports", "switch", "s1", "name", "p1",
                               "devargs", "net_null0", "rate_bps", 1000);
    char *path = xasprintf("%s/sub/dir/state.json", dir);
    char *tmp = xasprintf("%s.tmp", path);
    char *subdir = xasprintf("%s/sub/dir", dir);
    json_t *back;
    struct stat st;
    char msg[512];

    assert_int_equal(mkdir_p(subdir, 0755), 0);
    assert_int_equal(mkdir_p(subdir, 0755), 0);        /* idempotent */
    assert_int_equal(statefile_write(path, config, 0640, msg, sizeof msg), 0);
    assert_int_equal(stat(tmp, &st), -1);               /* renamed away */
    assert_int_equal(statefile_read(path, switchd_state_sections, &back, msg,
                                    sizeof msg), 0);
    assert_true(json_equal(config, back));
    json_decref(back);

    /* A directory that does not exist: an error naming the path. */
    free(path);
    path = xasprintf("%s/nope/state.json", dir);
    assert_int_not_equal(statefile_write(path, config, 0640, msg, sizeof msg), 0);
    assert_non_null(strstr(msg, "nope"));

    json_decref(config);
    free(path);
    free(tmp);
    free(subdir);
}

/* ---- The command line ------------------------------------------------- */

static void
expect_request(const char *line, const char *expected)
{
    char msg[512];

    unsetenv("LAMINA_SOCKET");
    if (cli_parse_line(&switch_cli_table, line, msg, sizeof msg)) {
        fail_msg("\"%s\" refused: %s", line, msg);
    }
    assert_string_equal(msg, expected);
}

static void
expect_usage_error(const char *line, const char *needle)
{
    char msg[512];

    assert_int_equal(cli_parse_line(&switch_cli_table, line, msg, sizeof msg),
                     2);
    if (!strstr(msg, needle)) {
        fail_msg("\"%s\": message \"%s\" lacks \"%s\"", line, msg, needle);
    }
}

static void
test_cli_requests(void **state)
{
    expect_request("switch add s1", "switch.add {\"name\":\"s1\"}");
    expect_request("switch list", "switch.list {}");
    expect_request("port add s1 p1 net_null0 --rate 1.5G",
                   "port.add {\"devargs\":\"net_null0\",\"name\":\"p1\","
                   "\"rate_bps\":1500000000,\"switch\":\"s1\"}");
    expect_request("port add --rate=100k s1 p1 net_null0 --queue-len 64",
                   "port.add {\"devargs\":\"net_null0\",\"name\":\"p1\","
                   "\"queue_len\":64,\"rate_bps\":100000,\"switch\":\"s1\"}");
    expect_request("link add l1 s1:p1 s2:p2 --rate 10M --delay 5ms --loss 0.1%",
                   "link.add {\"delay_us\":5000,\"loss_ppm\":1000,"
                   "\"name\":\"l1\",\"port_a\":\"p1\",\"port_b\":\"p2\","
                   "\"rate_bps\":10000000,\"sw_a\":\"s1\",\"sw_b\":\"s2\"}");
    expect_request("link set l1 --down", "link.set {\"name\":\"l1\",\"up\":false}");
    expect_request("slice add red --guarantee 10M --ceiling 1G --budget 64",
                   "slice.add {\"budget\":64,\"ceiling_bps\":1000000000,"
                   "\"guarantee_bps\":10000000,\"name\":\"red\"}");
    expect_request("vnode add red s1 --fp l2learn",
                   "vnode.add {\"fp\":\"l2learn\",\"slice\":\"red\","
                   "\"switch\":\"s1\"}");
    expect_request("vnode add red s1 --fp ebpf --program /p/l2.o",
                   "vnode.add {\"fp\":\"ebpf\",\"program\":\"/p/l2.o\","
                   "\"slice\":\"red\",\"switch\":\"s1\"}");
    expect_request("vnode set red s1 --program /p/new.o",
                   "vnode.set {\"program\":\"/p/new.o\",\"slice\":\"red\","
                   "\"switch\":\"s1\"}");
    expect_request("vnode table dump red s1",
                   "vnode.table.dump {\"slice\":\"red\",\"switch\":\"s1\"}");
    expect_request("vnode table set red s1 routes 2001:db8::/64 1",
                   "vnode.table.set {\"key\":\"2001:db8::/64\",\"slice\":\"red\","
                   "\"switch\":\"s1\",\"table\":\"routes\",\"value\":\"1\"}");
    expect_request("vnode table del red s1 macs 02:00:00:00:00:01",
                   "vnode.table.del {\"key\":\"02:00:00:00:00:01\",\"slice\":\"red\","
                   "\"switch\":\"s1\",\"table\":\"macs\"}");
    expect_request("vport add red s1 h1 p1 --vlan 10",
                   "vport.add {\"port\":\"p1\",\"slice\":\"red\","
                   "\"switch\":\"s1\",\"vlan\":10,\"vport\":\"h1\"}");
    expect_request("vlink add red v1 --path s1,s2,s3 --label 100",
                   "vlink.add {\"label\":100,\"name\":\"v1\","
                   "\"path\":[\"s1\",\"s2\",\"s3\"],\"slice\":\"red\"}");
    expect_request("queue set red s1 p1 --guarantee 5M --ceiling 20M --json",
                   "queue.set {\"ceiling_bps\":20000000,\"guarantee_bps\":5000000,"
                   "\"port\":\"p1\",\"slice\":\"red\",\"switch\":\"s1\"}");
    expect_request("stats", "stats.get {}");
    expect_request("stats slice red", "stats.get {\"kind\":\"slice\",\"name\":\"red\"}");
    expect_request("vlink list red", "vlink.list {\"slice\":\"red\"}");
    expect_request("switch del s1 --socket /x/y.sock", "switch.del {\"name\":\"s1\"}");
}

static void
test_cli_errors(void **state)
{
    expect_usage_error("switch", "missing command");
    expect_usage_error("switch frob", "unknown command \"switch frob\"");
    expect_usage_error("switch add", "missing name");
    expect_usage_error("switch add a b", "unexpected argument \"b\"");
    expect_usage_error("port add s1 p1 net_null0 --rate 10X", "not a rate");
    expect_usage_error("port add s1 p1 net_null0 --rate -5M", "not a rate");
    expect_usage_error("port add s1 p1 net_null0 --rate", "needs a value");
    expect_usage_error("port add s1 p1 net_null0 --vlan 5", "does not apply");
    expect_usage_error("port add s1 p1 net_null0 --bogus 5", "unknown option --bogus");
    expect_usage_error("port set s1 p1", "nothing to set");
    expect_usage_error("link add l1 s1 s2:p2", "not SWITCH:PORT");
    expect_usage_error("link add l1 s1:p1 :p2", "not SWITCH:PORT");
    expect_usage_error("link add l1 s1:p1 s2:p2 --delay 5 --loss 200",
                       "not a loss");
    expect_usage_error("link set l1 --up --down", "given twice");
    expect_usage_error("vlink add red v1", "missing --path");
    expect_usage_error("vnode add red s1 --config [1]", "not a JSON object");
    expect_usage_error("vnode set red s1", "nothing to set");
    expect_usage_error("vnode table set red s1 macs 1", "missing value");
    expect_usage_error("queue set red s1 p1 --ceiling 5M", "missing --guarantee");
    expect_usage_error("switch list --timeout 0", "--timeout");
    expect_usage_error("slice add red --budget x", "non-negative integer");
}

static void
test_cli_globals(void **state)
{
    char *argv[] = { "port", "--json", "list", "--socket=/tmp/x.sock", NULL };
    char *help[] = { "vlink", "add", "--help", NULL };
    char *group_help[] = { "vlink", "-h", NULL };
    struct cli_request req;
    char msg[256];

    setenv("LAMINA_SOCKET", "/tmp/env.sock", 1);
    assert_int_equal(switch_cli_parse(4, argv, &req, msg, sizeof msg), 0);
    assert_true(req.json);
    assert_string_equal(req.socket_path, "/tmp/x.sock");
    assert_string_equal(req.method, "port.list");
    cli_request_uninit(&req);

    assert_int_equal(switch_cli_parse(3, help, &req, msg, sizeof msg), 0);
    assert_true(req.help);
    assert_string_equal(req.socket_path, "/tmp/env.sock");
    assert_string_equal(req.method, "vlink.add");
    cli_request_uninit(&req);

    assert_int_equal(switch_cli_parse(2, group_help, &req, msg, sizeof msg), 0);
    assert_true(req.help);
    assert_null(req.method);
    cli_request_uninit(&req);
    unsetenv("LAMINA_SOCKET");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_state_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_write_read, setup, teardown),
        cmocka_unit_test(test_cli_requests),
        cmocka_unit_test(test_cli_errors),
        cmocka_unit_test(test_cli_globals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
