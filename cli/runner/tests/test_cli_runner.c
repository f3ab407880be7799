/*
 * Unit tests of cli_runner: a toy table's command lines become requests
 * (each option type, positional forms, the errors that name the word),
 * --help, the printers, and one run against a real JSON-RPC server.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_runner.h"
#include "jsonrpc.h"
#include "util.h"

static const struct cli_option toy_options[] = {
    { "rate", "rate_bps", CLI_RATE },
    { "delay", "delay_us", CLI_DELAY },
    { "loss", "loss_ppm", CLI_LOSS },
    { "count", "count", CLI_UINT },
    { "color", "color", CLI_STRING },
    { "config", "config", CLI_JSON },
    { "path", "path", CLI_LIST },
    { "member", "members", CLI_REPEAT },
    { "on", "on", CLI_TRUE },
    { "off", "on", CLI_FALSE },
};

static const struct cli_command toy_commands[] = {
    { "toy add", "toy.add", "name", "rate delay loss count color config path "
      "member on off", "NAME [--rate RATE] ...", "add a toy" },
    { "toy set", "toy.set", "name", "rate color on off", "NAME [--rate RATE]",
      "change a toy", .need_option = true },
    { "toy join", "toy.join", "name a:b=LEFT:RIGHT", "path", "NAME L:R --path P",
      "join a toy", .required = "path" },
    { "toy list", "toy.list", "owner?", "", "[OWNER]", "list toys" },
    { "toy box open", "box.open", "", "", "", "open the box" },
    { "toy refuse", "toy.refuse", "", "", "", "always refused" },
    { "count", "count.get", "kind? name?", "", "[KIND] [NAME]", "count" },
};

static const struct cli_table toy_table = {
    .prog = "lamina toy",
    .daemon = "toyd",
    .socket_env = "TOY_SOCKET",
    .default_socket = "/run/toy.sock",
    .options = toy_options,
    .n_options = ARRAY_SIZE(toy_options),
    .commands = toy_commands,
    .n_commands = ARRAY_SIZE(toy_commands),
};

static void
expect_request(const char *line, const char *expected)
{
    char msg[512];

    if (cli_parse_line(&toy_table, line, msg, sizeof msg)) {
        fail_msg("\"%s\" refused: %s", line, msg);
    }
    assert_string_equal(msg, expected);
}

static void
expect_usage_error(const char *line, const char *needle)
{
    char msg[512];

    assert_int_equal(cli_parse_line(&toy_table, line, msg, sizeof msg), 2);
    if (!strstr(msg, needle)) {
        fail_msg("\"%s\": message \"%s\" lacks \"%s\"", line, msg, needle);
    }
}

/* Each option type. */
static void
test_option_types(void **state)
{
    expect_request("toy add t --rate 1.5G", "toy.add {\"name\":\"t\","
                   "\"rate_bps\":1500000000}");
    expect_request("toy add t --delay 10ms", "toy.add {\"delay_us\":10000,"
                   "\"name\":\"t\"}");
    expect_request("toy add t --loss 0.1%", "toy.add {\"loss_ppm\":1000,"
                   "\"name\":\"t\"}");
    expect_request("toy add t --count 42", "toy.add {\"count\":42,"
                   "\"name\":\"t\"}");
    expect_request("toy add t --count 0x10", "toy.add {\"count\":16,"
                   "\"name\":\"t\"}");
    expect_request("toy add t --color red", "toy.add {\"color\":\"red\","
                   "\"name\":\"t\"}");
    expect_request("toy add t --config {\"a\":1}", "toy.add {\"config\":"
                   "{\"a\":1},\"name\":\"t\"}");
    expect_request("toy add t --path a,b,c", "toy.add {\"name\":\"t\","
                   "\"path\":[\"a\",\"b\",\"c\"]}");
    expect_request("toy add t --member x --member y", "toy.add {\"members\":"
                   "[\"x\",\"y\"],\"name\":\"t\"}");
    expect_request("toy add t --on", "toy.add {\"name\":\"t\",\"on\":true}");
    expect_request("toy add t --off", "toy.add {\"name\":\"t\",\"on\":false}");
    /* --opt=value, options before the words. */
    expect_request("toy --rate=100k add t", "toy.add {\"name\":\"t\","
                   "\"rate_bps\":100000}");

    expect_usage_error("toy add t --rate 10X", "--rate: \"10X\" is not a rate");
    expect_usage_error("toy add t --delay soon", "--delay: \"soon\" is not a delay");
    expect_usage_error("toy add t --loss 200", "--loss: \"200\" is not a loss");
    expect_usage_error("toy add t --count -1", "--count: \"-1\" is not a "
                       "non-negative integer");
    expect_usage_error("toy add t --count 0x", "not a non-negative integer");
    expect_usage_error("toy add t --count 99999999999999999999",
                       "not a non-negative integer");
    expect_usage_error("toy add t --config [1]", "--config: not a JSON object");
    expect_usage_error("toy add t --on=yes", "--on takes no value");
    expect_usage_error("toy add t --color a --color b", "--color: given twice");
    expect_usage_error("toy add t --on --off", "--off: given twice");
}

/* The pieces that local groups use on their own. */
static void
test_values(void **state)
{
    const struct cli_option *o;
    char msg[128];
    json_t *v;

    o = cli_option_find(toy_options, ARRAY_SIZE(toy_options), "delayed", 5);
    assert_ptr_equal(o, &toy_options[1]);
    assert_null(cli_option_find(toy_options, ARRAY_SIZE(toy_options), "de", 2));
    assert_int_equal(cli_parse_value(CLI_DELAY, "delay", "2ms", &v, msg,
                                     sizeof msg), 0);
    assert_int_equal(json_integer_value(v), 2000);
    json_decref(v);
    assert_int_equal(cli_parse_value(CLI_RATE, "rate", "fast", &v, msg,
                                     sizeof msg), 2);
    assert_null(v);
    assert_string_equal(msg, "--rate: \"fast\" is not a rate (bits/s, e.g. "
                        "100k, 10M, 1.5G)");
    assert_int_equal(cli_parse_value(CLI_LOSS, "loss", "x", &v, NULL, 0), 2);
    assert_int_equal(cli_parse_value(CLI_FALSE, "off", NULL, &v, NULL, 0), 0);
    assert_true(json_is_false(v));
    json_decref(v);
}

/* Words, positional arguments and the errors that name them. */
static void
test_words_and_positionals(void **state)
{
    expect_request("toy list", "toy.list {}");
    expect_request("toy list me", "toy.list {\"owner\":\"me\"}");
    expect_request("toy box open", "box.open {}");
    expect_request("count", "count.get {}");
    expect_request("count toy t", "count.get {\"kind\":\"toy\",\"name\":\"t\"}");
    expect_request("toy join j l:r --path a", "toy.join {\"a\":\"l\",\"b\":\"r\","
                   "\"name\":\"j\",\"path\":[\"a\"]}");
    expect_request("toy join j l:r:x --path a", "toy.join {\"a\":\"l\","
                   "\"b\":\"r:x\",\"name\":\"j\",\"path\":[\"a\"]}");
    expect_request("toy set t --on", "toy.set {\"name\":\"t\",\"on\":true}");

    expect_usage_error("toy", "missing command after \"toy\"");
    expect_usage_error("toy frob", "unknown command \"toy frob\"");
    expect_usage_error("toy box", "missing command after \"toy box\"");
    expect_usage_error("toy box shut", "unknown command \"toy box shut\"");
    expect_usage_error("toy add", "missing name");
    expect_usage_error("toy add a b", "unexpected argument \"b\"");
    expect_usage_error("toy list a b", "unexpected argument \"b\"");
    expect_usage_error("toy join j --path a", "missing LEFT:RIGHT");
    expect_usage_error("toy join j l --path a", "\"l\" is not LEFT:RIGHT");
    expect_usage_error("toy join j :r --path a", "\":r\" is not LEFT:RIGHT");
    expect_usage_error("toy join j l: --path a", "\"l:\" is not LEFT:RIGHT");
    expect_usage_error("toy join j l:r", "missing --path");
    expect_usage_error("toy set t", "nothing to set: give --rate, --color, "
                       "--on or --off");
    expect_usage_error("toy add t --bogus 5", "unknown option --bogus");
    expect_usage_error("toy add t --bogus=5", "unknown option --bogus");
    expect_usage_error("toy add t --rate", "--rate needs a value");
    expect_usage_error("toy list --rate 1G", "option --rate does not apply "
                       "to \"toy list\"");
}

/* --socket, --timeout, --json, --help. */
static void
test_globals(void **state)
{
    char *line[] = { "toy", "--json", "list", "--socket=/tmp/x.sock",
                     "--timeout", "5", NULL };
    char *help[] = { "toy", "join", "--help", NULL };
    char *group_help[] = { "toy", "-h", NULL };
    char *bad_help[] = { "toy", "frob", "--help", NULL };
    struct cli_request req;
    char msg[256];

    setenv("TOY_SOCKET", "/tmp/env.sock", 1);
    assert_int_equal(cli_parse(&toy_table, 6, line, &req, msg, sizeof msg), 0);
    assert_true(req.json);
    assert_false(req.help);
    assert_string_equal(req.socket_path, "/tmp/x.sock");
    assert_int_equal(req.timeout_ms, 5000);
    assert_string_equal(req.method, "toy.list");
    cli_request_uninit(&req);

    assert_int_equal(cli_parse(&toy_table, 3, help, &req, msg, sizeof msg), 0);
    assert_true(req.help);
    assert_string_equal(req.socket_path, "/tmp/env.sock");
    assert_int_equal(req.timeout_ms, 30000);
    assert_string_equal(req.method, "toy.join");
    assert_ptr_equal(req.cmd, &toy_commands[2]);
    cli_request_uninit(&req);

    assert_int_equal(cli_parse(&toy_table, 2, group_help, &req, msg,
                               sizeof msg), 0);
    assert_true(req.help);
    assert_null(req.method);
    assert_string_equal(req.words, "toy");
    cli_request_uninit(&req);

    /* Help for words that name no command: the usage of what matched. */
    assert_int_equal(cli_parse(&toy_table, 3, bad_help, &req, msg,
                               sizeof msg), 0);
    assert_true(req.help);
    assert_null(req.method);
    cli_request_uninit(&req);

    unsetenv("TOY_SOCKET");
    expect_request("toy list", "toy.list {}");
    {
        char *plain[] = { "toy", "list", NULL };
        assert_int_equal(cli_parse(&toy_table, 2, plain, &req, msg,
                                   sizeof msg), 0);
        assert_string_equal(req.socket_path, "/run/toy.sock");
        cli_request_uninit(&req);
    }
    expect_request("toy join --help", "help toy.join");
    expect_request("toy box -h", "help toy box");
    expect_usage_error("toy list --timeout 0", "--timeout: \"0\"");
    expect_usage_error("toy list --timeout 3601", "--timeout");
    expect_usage_error("toy list --socket", "--socket needs a value");
}

/* Runs 'fn' with 'out' as a memory stream; returns what it wrote. */
static char *
capture(void (*fn)(FILE *, const void *), const void *arg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);

    assert_non_null(out);
    fn(out, arg);
    fclose(out);
    return text;
}

static void
usage_toy(FILE *out, const void *words)
{
    cli_usage(out, &toy_table, words);
}

static void
tables_of(FILE *out, const void *text)
{
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    cli_print_tables(out, NULL, j);
    json_decref(j);
}

static void
pairs_of(FILE *out, const void *text)
{
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    assert_non_null(j);
    cli_print_pairs(out, NULL, j);
    json_decref(j);
}

static void
test_usage(void **state)
{
    char *all = capture(usage_toy, "toy"), *box = capture(usage_toy, "toy box");

    assert_non_null(strstr(all, "lamina toy add NAME [--rate RATE] ..."));
    assert_non_null(strstr(all, "lamina toy box open\n      open the box"));
    assert_null(strstr(all, "lamina count"));
    assert_non_null(strstr(all, "--socket PATH  toyd's socket (env TOY_SOCKET"));
    assert_non_null(strstr(all, "RATE is bits/s"));
    assert_non_null(strstr(all, "D is a delay"));
    assert_non_null(strstr(box, "lamina toy box open"));
    assert_null(strstr(box, "toy add"));
    assert_null(strstr(box, "RATE is bits/s"));
    free(all);
    free(box);
}

static void
test_printers(void **state)
{
    char *t = capture(tables_of, "[{\"rate_bps\": 10000000, \"x\": 1, "
                      "\"name\": \"a\"}, {\"name\": \"bb\", \"x\": null}]");
    assert_string_equal(t, "name  rate_bps  x\n"
                           "a     10M       1\n"
                           "bb              -\n");
    free(t);
    t = capture(tables_of, "{\"n\": 2, \"toys\": []}");
    assert_string_equal(t, "n: 2\n\ntoys:\n(none)\n");
    free(t);
    t = capture(pairs_of, "{\"toys\": [{\"name\": \"a\", \"n\": 1}, "
                "{\"name\": \"b\", \"n\": [2]}]}");
    assert_string_equal(t, "name=a n=1 \nname=b n=[2] \n");
    free(t);
    t = capture(pairs_of, "{\"a\": 1, \"b\": 2}");
    assert_string_equal(t, "{\n  \"a\": 1,\n  \"b\": 2\n}\n");
    free(t);
    t = capture(pairs_of, "null");
    assert_string_equal(t, "");
    free(t);
}

/* ---- A run against a real server ------------------------------------- */

static int
toy_add(const json_t *params, json_t **result, struct jsonrpc_error *err,
        void *aux)
{
    *result = json_pack("{s:[O]}", "toys", params);
    return 0;
}

static int
toy_refuse(const json_t *params, json_t **result, struct jsonrpc_error *err,
           void *aux)
{
    jsonrpc_error_set_errno(err, EEXIST, "name", "toy \"t\" exists");
    return EEXIST;
}

static const struct jsonrpc_method toy_methods[] = {
    { "toy.add", toy_add, NULL },
    { "toy.refuse", toy_refuse, NULL },
    { NULL, NULL, NULL },
};

struct server_thread {
    struct jsonrpc_server *server;
    volatile bool stop;
};

static void *
server_main(void *st_)
{
    struct server_thread *st = st_;
    while (!st->stop) {
        jsonrpc_server_run(st->server, 20);
    }
    return NULL;
}

/* Runs 'argv' through cli_run() with stdout and stderr in files; returns
 * the exit status and what each got. */
static int
run_captured(int argc, char *argv[], char **out, char **err)
{
    char out_path[] = "/tmp/test_cli_runner_outXXXXXX";
    char err_path[] = "/tmp/test_cli_runner_errXXXXXX";
    int out_fd = mkstemp(out_path), err_fd = mkstemp(err_path);
    int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
    int rc;

    fflush(stdout);
    fflush(stderr);
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    rc = cli_run(&toy_table, argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, STDOUT_FILENO);
    dup2(saved_err, STDERR_FILENO);
    close(saved_out);
    close(saved_err);
    for (int k = 0; k < 2; k++) {
        int fd = k ? err_fd : out_fd;
        off_t len = lseek(fd, 0, SEEK_END);
        char *text = xzalloc(len + 1);
        assert_int_equal(pread(fd, text, len, 0), len);
        *(k ? err : out) = text;
        close(fd);
        unlink(k ? err_path : out_path);
    }
    return rc;
}

static void
test_run(void **state)
{
    char dir[] = "/tmp/test_cli_runnerXXXXXX";
    struct server_thread st = { 0 };
    pthread_t thread;
    char *path, *out, *err;

    assert_non_null(mkdtemp(dir));
    path = xasprintf("%s/toy.sock", dir);
    st.server = jsonrpc_server_create(toy_methods, NULL);
    assert_int_equal(jsonrpc_server_listen(st.server, path), 0);
    assert_int_equal(pthread_create(&thread, NULL, server_main, &st), 0);
    setenv("TOY_SOCKET", path, 1);

    {
        char *argv[] = { "toy", "add", "t", "--rate", "1G", NULL };
        assert_int_equal(run_captured(5, argv, &out, &err), 0);
        assert_string_equal(out, "toys:\nname  rate_bps\nt     1G      \n");
        assert_string_equal(err, "");
        free(out);
        free(err);
    }
    {
        char *argv[] = { "toy", "add", "t", "--json", NULL };
        assert_int_equal(run_captured(4, argv, &out, &err), 0);
        assert_string_equal(out, "{\n  \"toys\": [\n    {\n      \"name\": "
                            "\"t\"\n    }\n  ]\n}\n");
        free(out);
        free(err);
    }
    {
        char *argv[] = { "toy", "refuse", NULL };
        assert_int_equal(run_captured(2, argv, &out, &err), 1);
        assert_string_equal(out, "");
        assert_string_equal(err, "lamina toy: toy \"t\" exists (name)\n");
        free(out);
        free(err);
    }
    {
        char *argv[] = { "toy", "add", NULL };
        assert_int_equal(run_captured(2, argv, &out, &err), 2);
        assert_non_null(strstr(err, "lamina toy: missing name\n"));
        free(out);
        free(err);
    }
    {
        char *argv[] = { "toy", "add", "--help", NULL };
        assert_int_equal(run_captured(3, argv, &out, &err), 0);
        assert_non_null(strstr(out, "usage: lamina toy add NAME"));
        assert_non_null(strstr(out, "(RPC method toy.add)"));
        free(out);
        free(err);
    }
    st.stop = true;
    pthread_join(thread, NULL);
    jsonrpc_server_destroy(st.server);
    {
        /* Nobody there: 1, and the message names the socket. */
        char *argv[] = { "toy", "list", NULL };
        assert_int_equal(run_captured(2, argv, &out, &err), 1);
        assert_non_null(strstr(err, "cannot connect to toyd at "));
        assert_non_null(strstr(err, path));
        free(out);
        free(err);
    }
    unsetenv("TOY_SOCKET");
    rmdir(dir);
    free(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_option_types),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_words_and_positionals),
        cmocka_unit_test(test_globals),
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_printers),
        cmocka_unit_test(test_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
