/*
 * Unit tests of lib/jsonrpc: malformed and hostile input must never
 * crash the server and must get the right error; a round trip over a
 * socketpair and over a real Unix socket; the bounds on clients (idle
 * timeout, the cap, unread output, running out of descriptors).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "jsonrpc.h"
#include "util.h"

static atomic_int notified;

/* malloc() that never returns NULL (the compiler can see it). */
static void *
test_alloc(size_t size)
{
    void *p = malloc(size);
    if (!p) {
        abort();
    }
    return p;
}

static int
echo_handler(const json_t *params, json_t **result,
             struct jsonrpc_error *err, void *aux)
{
    *result = params ? json_deep_copy(params) : json_null();
    return 0;
}

static int
add_handler(const json_t *params, json_t **result,
            struct jsonrpc_error *err, void *aux)
{
    static const char *const allowed[] = { "a", "b", NULL };
    uint64_t a, b;

    if (jsonrpc_params_check(params, allowed, err)
        || jsonrpc_param_uint(params, "a", true, 0, 1000, &a, err)
        || jsonrpc_param_uint(params, "b", true, 0, 1000, &b, err)) {
        return EINVAL;
    }
    *result = json_integer(a + b);
    return 0;
}

static int
fail_handler(const json_t *params, json_t **result,
             struct jsonrpc_error *err, void *aux)
{
    jsonrpc_error_set_errno(err, EEXIST, "name", "switch \"s1\" already exists");
    return EEXIST;
}

static int
bare_fail_handler(const json_t *params, json_t **result,
                  struct jsonrpc_error *err, void *aux)
{
    return EIO;             /* forgets to fill 'err' */
}

static int
notify_handler(const json_t *params, json_t **result,
               struct jsonrpc_error *err, void *aux)
{
    notified++;
    return 0;
}

static const struct jsonrpc_method methods[] = {
    { "echo", echo_handler, "returns its params" },
    { "add", add_handler, "a + b" },
    { "fail", fail_handler, NULL },
    { "bare_fail", bare_fail_handler, NULL },
    { "notify", notify_handler, NULL },
    { NULL, NULL, NULL },
};

static int
setup(void **state)
{
    *state = jsonrpc_server_create(methods, NULL);
    notified = 0;
    return *state ? 0 : -1;
}

static int
teardown(void **state)
{
    jsonrpc_server_destroy(*state);
    return 0;
}

/* Handles 'len' bytes of 'text' and returns the answer (may be NULL). */
static json_t *
handle_n(void **state, const char *text, size_t len)
{
    return jsonrpc_server_handle(*state, text, len);
}

static json_t *
handle(void **state, const char *text)
{
    return handle_n(state, text, strlen(text));
}

/* Checks that 'answer' is an error with 'code' and id null (id < 0) or
 * the integer 'id'; frees it. */
static void
expect_error(json_t *answer, int code, long long id)
{
    json_t *error, *jid;

    assert_non_null(answer);
    assert_true(json_is_object(answer));
    assert_string_equal(json_string_value(json_object_get(answer, "jsonrpc")),
                        "2.0");
    error = json_object_get(answer, "error");
    assert_non_null(error);
    assert_null(json_object_get(answer, "result"));
    assert_int_equal(json_integer_value(json_object_get(error, "code")), code);
    assert_true(json_is_string(json_object_get(error, "message")));
    assert_true(strlen(json_string_value(json_object_get(error, "message"))) > 0);
    jid = json_object_get(answer, "id");
    assert_non_null(jid);
    if (id < 0) {
        assert_true(json_is_null(jid));
    } else {
        assert_int_equal(json_integer_value(jid), id);
    }
    json_decref(answer);
}

/* The error message of 'answer', which must contain 'needle'. */
static void
expect_message(json_t *answer, int code, const char *needle)
{
    const char *msg = json_string_value(
        json_object_get(json_object_get(answer, "error"), "message"));
    assert_non_null(msg);
    if (!strstr(msg, needle)) {
        fail_msg("message \"%s\" lacks \"%s\"", msg, needle);
    }
    expect_error(answer, code, 1);
}

static void
test_success(void **state)
{
    json_t *answer = handle(state, "{\"jsonrpc\":\"2.0\",\"method\":\"add\","
                            "\"params\":{\"a\":2,\"b\":3},\"id\":7}");

    assert_non_null(answer);
    assert_int_equal(json_integer_value(json_object_get(answer, "result")), 5);
    assert_int_equal(json_integer_value(json_object_get(answer, "id")), 7);
    assert_null(json_object_get(answer, "error"));
    json_decref(answer);

    /* String ids come back as they were; a null id is a request too. */
    answer = handle(state, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\","
                    "\"id\":\"abc\"}");
    assert_string_equal(json_string_value(json_object_get(answer, "id")), "abc");
    assert_true(json_is_null(json_object_get(answer, "result")));
    json_decref(answer);
    answer = handle(state, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\","
                    "\"params\":[1,2],\"id\":null}");
    assert_true(json_is_array(json_object_get(answer, "result")));
    json_decref(answer);

    answer = handle(state, "{\"jsonrpc\":\"2.0\",\"method\":\"rpc.methods\","
                    "\"id\":1}");
    assert_int_equal(json_array_size(json_object_get(answer, "result")), 5);
    json_decref(answer);
}

static void
test_parse_errors(void **state)
{
    static const char *const garbage[] = {
        "hello", "{", "}", "{\"jsonrpc\":\"2.0\",\"method\":\"echo\"",
        "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1,}", "[1,2,",
        "\"unterminated", "{'jsonrpc':'2.0'}", "nul", "01", "{\"a\" 1}",
        "\xff\xfe\xfd", "{\"jsonrpc\":\"2.0\",\"method\":\"\xc3\x28\",\"id\":1}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1,\"id\":2}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1e999999}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"echo\","
        "\"id\":123456789012345678901234567890}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"ec\\u0000ho\",\"id\":1}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1} trailing",
        "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":\"\\ud800\",\"id\":1}",
    };

    for (size_t i = 0; i < ARRAY_SIZE(garbage); i++) {
        expect_error(handle(state, garbage[i]), JSONRPC_PARSE_ERROR, -1);
    }

    /* Raw NUL bytes inside and around a message. */
    static const char nul_inside[] =
        "{\"jsonrpc\":\"2.0\",\"method\":\"ec\0ho\",\"id\":1}";
    expect_error(handle_n(state, nul_inside, sizeof nul_inside - 1),
                 JSONRPC_PARSE_ERROR, -1);
    expect_error(handle_n(state, "\0\0\0", 3), JSONRPC_PARSE_ERROR, -1);
    expect_error(handle_n(state, "", 0), JSONRPC_PARSE_ERROR, -1);
}

static void
test_deep_nesting(void **state)
{
    size_t depth = 100000;
    char *text = test_alloc(2 * depth + 64);
    size_t n;

    /* Bare nesting. */
    memset(text, '[', depth);
    memset(text + depth, ']', depth);
    expect_error(handle_n(state, text, 2 * depth), JSONRPC_PARSE_ERROR, -1);

    /* Nesting in params of a valid request. */
    sprintf(text, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1,"
            "\"params\":");
    n = strlen(text);
    memset(text + n, '[', depth);
    memset(text + n + depth, ']', depth);
    n += 2 * depth;
    text[n++] = '}';
    expect_error(handle_n(state, text, n), JSONRPC_PARSE_ERROR, -1);

    /* Unterminated nesting of objects. */
    for (n = 0; n + 5 < 2 * depth; n += 5) {
        memcpy(text + n, "{\"a\":", 5);
    }
    expect_error(handle_n(state, text, n), JSONRPC_PARSE_ERROR, -1);
    free(text);
}

static void
test_huge_string(void **state)
{
    size_t len = 900 * 1024;
    char *text = test_alloc(len + 128);
    size_t n;
    json_t *answer;

    sprintf(text, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\","
            "\"id\":1,\"params\":[\"");
    n = strlen(text);
    memset(text + n, 'x', len);
    n += len;
    n += sprintf(text + n, "\"]}");
    answer = handle_n(state, text, n);
    assert_int_equal(json_string_length(json_array_get(
        json_object_get(answer, "result"), 0)), len);
    json_decref(answer);

    /* The same string as a method name: not found, message bounded. */
    sprintf(text, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"");
    n = strlen(text);
    memset(text + n, 'y', len);
    n += len;
    n += sprintf(text + n, "\"}");
    answer = handle_n(state, text, n);
    assert_true(strlen(json_string_value(json_object_get(
        json_object_get(answer, "error"), "message"))) < JSONRPC_MSG_LEN);
    expect_error(answer, JSONRPC_METHOD_NOT_FOUND, 1);
    free(text);
}

static void
test_invalid_requests(void **state)
{
    /* Valid JSON that is no request: id null. */
    expect_error(handle(state, "42"), JSONRPC_INVALID_REQUEST, -1);
    expect_error(handle(state, "\"x\""), JSONRPC_INVALID_REQUEST, -1);
    expect_error(handle(state, "null"), JSONRPC_INVALID_REQUEST, -1);
    expect_error(handle(state, "{}"), JSONRPC_INVALID_REQUEST, -1);

    /* Wrong member types, with a valid id: the id comes back. */
    expect_error(handle(state, "{\"jsonrpc\":\"2.0\",\"method\":5,\"id\":1}"),
                 JSONRPC_INVALID_REQUEST, 1);
    expect_error(handle(state, "{\"jsonrpc\":\"2.0\",\"method\":null,\"id\":1}"),
                 JSONRPC_INVALID_REQUEST, 1);
    expect_error(handle(state, "{\"jsonrpc\":\"2.0\",\"id\":1}"),
                 JSONRPC_INVALID_REQUEST, 1);
    expect_error(handle(state, "{\"jsonrpc\":\"1.0\",\"method\":\"echo\",\"id\":1}"),
                 JSONRPC_INVALID_REQUEST, 1);
    expect_error(handle(state, "{\"jsonrpc\":2.0,\"method\":\"echo\",\"id\":1}"),
                 JSONRPC_INVALID_REQUEST, 1);
    expect_error(handle(state, "{\"method\":\"echo\",\"id\":1}"),
                 JSONRPC_INVALID_REQUEST, 1);
    expect_error(handle(state, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\","
                        "\"params\":\"x\",\"id\":1}"),
                 JSONRPC_INVALID_REQUEST, 1);
    expect_error(handle(state, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\","
                        "\"params\":5,\"id\":1}"),
                 JSONRPC_INVALID_REQUEST, 1);
    expect_error(handle(state, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\","
                        "\"params\":null,\"id\":1}"),
                 JSONRPC_INVALID_REQUEST, 1);
    expect_error(handle(state, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\","
                        "\"param\":{},\"id\":1}"),
                 JSONRPC_INVALID_REQUEST, 1);

    /* An id of the wrong type cannot be echoed: id null. */
    static const char *const bad_ids[] = {
        "{}", "[1]", "1.5", "true", "false", "[]",
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad_ids); i++) {
        char text[128];
        snprintf(text, sizeof text, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\","
                 "\"id\":%s}", bad_ids[i]);
        expect_error(handle(state, text), JSONRPC_INVALID_REQUEST, -1);
    }

    /* Unknown methods, notification or not. */
    expect_error(handle(state, "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":1}"),
                 JSONRPC_METHOD_NOT_FOUND, 1);
    assert_null(handle(state, "{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}"));
}

static void
test_invalid_params(void **state)
{
    expect_message(handle(state, "{\"jsonrpc\":\"2.0\",\"method\":\"add\","
                          "\"params\":[1,2],\"id\":1}"),
                   JSONRPC_INVALID_PARAMS, "object");
    expect_message(handle(state, "{\"jsonrpc\":\"2.0\",\"method\":\"add\","
                          "\"params\":{\"a\":1},\"id\":1}"),
                   JSONRPC_INVALID_PARAMS, "\"b\"");
    expect_message(handle(state, "{\"jsonrpc\":\"2.0\",\"method\":\"add\","
                          "\"params\":{\"a\":1,\"b\":\"2\"},\"id\":1}"),
                   JSONRPC_INVALID_PARAMS, "\"b\" must be an integer");
    expect_message(handle(state, "{\"jsonrpc\":\"2.0\",\"method\":\"add\","
                          "\"params\":{\"a\":1,\"b\":2.0},\"id\":1}"),
                   JSONRPC_INVALID_PARAMS, "\"b\" must be an integer");
    expect_message(handle(state, "{\"jsonrpc\":\"2.0\",\"method\":\"add\","
                          "\"params\":{\"a\":-1,\"b\":2},\"id\":1}"),
                   JSONRPC_INVALID_PARAMS, "out of range");
    expect_message(handle(state, "{\"jsonrpc\":\"2.0\",\"method\":\"add\","
                          "\"params\":{\"a\":1,\"b\":1001},\"id\":1}"),
                   JSONRPC_INVALID_PARAMS, "out of range");
    expect_message(handle(state, "{\"jsonrpc\":\"2.0\",\"method\":\"add\","
                          "\"params\":{\"a\":1,\"b\":2,\"c\":3},\"id\":1}"),
                   JSONRPC_INVALID_PARAMS, "unknown parameter \"c\"");
    expect_message(handle(state, "{\"jsonrpc\":\"2.0\",\"method\":\"rpc.methods\","
                          "\"params\":{\"x\":1},\"id\":1}"),
                   JSONRPC_INVALID_PARAMS, "\"x\"");
}

static void
test_app_errors(void **state)
{
    json_t *answer = handle(state, "{\"jsonrpc\":\"2.0\",\"method\":\"fail\","
                            "\"id\":1}");
    json_t *data = json_object_get(json_object_get(answer, "error"), "data");

    assert_string_equal(json_string_value(json_object_get(data, "errno")),
                        "EEXIST");
    assert_string_equal(json_string_value(json_object_get(data, "field")),
                        "name");
    expect_message(answer, JSONRPC_APP_ERROR, "already exists");

    expect_error(handle(state, "{\"jsonrpc\":\"2.0\",\"method\":\"bare_fail\","
                        "\"id\":1}"), JSONRPC_INTERNAL_ERROR, 1);
}

static void
test_batches(void **state)
{
    json_t *answer;
    char *text;
    size_t n;

    /* Empty batch: one error, not an array. */
    expect_error(handle(state, "[]"), JSONRPC_INVALID_REQUEST, -1);

    /* A batch of non-requests: one error each. */
    answer = handle(state, "[1,\"x\",null]");
    assert_true(json_is_array(answer));
    assert_int_equal(json_array_size(answer), 3);
    for (size_t i = 0; i < 3; i++) {
        expect_error(json_incref(json_array_get(answer, i)),
                     JSONRPC_INVALID_REQUEST, -1);
    }
    json_decref(answer);

    /* Mixed: notifications get no answer. */
    answer = handle(state, "["
                    "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":1,\"b\":2},\"id\":1},"
                    "{\"jsonrpc\":\"2.0\",\"method\":\"notify\"},"
                    "{\"foo\":\"boo\"},"
                    "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":\"5\"},"
                    "{\"jsonrpc\":\"2.0\",\"method\":\"fail\"}"
                    "]");
    assert_int_equal(json_array_size(answer), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(answer, 0),
                                                        "result")), 3);
    assert_int_equal(notified, 1);
    json_decref(answer);

    /* Only notifications: nothing at all. */
    assert_null(handle(state, "[{\"jsonrpc\":\"2.0\",\"method\":\"notify\"},"
                       "{\"jsonrpc\":\"2.0\",\"method\":\"notify\"}]"));
    assert_int_equal(notified, 3);

    /* Nested batches are not requests. */
    answer = handle(state, "[[]]");
    assert_int_equal(json_array_size(answer), 1);
    json_decref(answer);

    /* Too many. */
    text = test_alloc((JSONRPC_MAX_BATCH + 1) * 2 + 2);
    n = 0;
    text[n++] = '[';
    for (int i = 0; i <= JSONRPC_MAX_BATCH; i++) {
        text[n++] = '1';
        text[n++] = ',';
    }
    text[n - 1] = ']';
    expect_error(handle_n(state, text, n), JSONRPC_INVALID_REQUEST, -1);
    free(text);
}

/* Random bytes and mutations of a valid request: every answer must be a
 * well-formed JSON-RPC error or result (ASan checks the rest). */
static void
test_fuzz(void **state)
{
    static const char valid[] =
        "[{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":1,\"b\":2},"
        "\"id\":1},{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":\"x\"}]";
    static const char alphabet[] = "{}[]\":,0123456789.-+eE\\u\"ntrufalsx \0\xc3\xff";
    char buf[sizeof valid + 64];
    unsigned int seed = 12345;

    for (int round = 0; round < 20000; round++) {
        size_t len;
        json_t *answer;

        if (round % 2) {
            len = rand_r(&seed) % sizeof buf;
            for (size_t i = 0; i < len; i++) {
                buf[i] = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
            }
        } else {
            len = sizeof valid - 1;
            memcpy(buf, valid, len);
            for (int k = 1 + rand_r(&seed) % 4; k > 0; k--) {
                buf[rand_r(&seed) % len] = alphabet[rand_r(&seed)
                                                    % (sizeof alphabet - 1)];
            }
            len -= rand_r(&seed) % 3 ? 0 : rand_r(&seed) % len;
        }
        answer = handle_n(state, buf, len);
        if (answer) {
            char *text = json_dumps(answer, JSON_COMPACT);
            assert_non_null(text);
            assert_true(json_is_object(answer) || json_is_array(answer));
            free(text);
            json_decref(answer);
        }
    }
}

/* ---- Over sockets ---------------------------------------------------- */

struct server_thread {
    struct jsonrpc_server *server;
    pthread_t thread;
    atomic_bool stop;
    atomic_int runs;            /* jsonrpc_server_run() calls so far */
};

static void *
server_main(void *st_)
{
    struct server_thread *st = st_;

    while (!st->stop) {
        jsonrpc_server_run(st->server, 20);
        st->runs++;
    }
    return NULL;
}

static void
server_thread_start(struct server_thread *st, struct jsonrpc_server *server)
{
    st->server = server;
    st->stop = false;
    st->runs = 0;
    assert_int_equal(pthread_create(&st->thread, NULL, server_main, st), 0);
}

static void
server_thread_stop(struct server_thread *st)
{
    st->stop = true;
    pthread_join(st->thread, NULL);
}

/* Reads one line from 'fd' (blocking) into 'buf'. */
static ssize_t
read_line(int fd, char *buf, size_t size)
{
    size_t n = 0;

    while (n + 1 < size) {
        ssize_t r = read(fd, buf + n, 1);
        if (r <= 0) {
            return r < 0 ? -1 : (ssize_t) n;
        }
        if (buf[n] == '\n') {
            break;
        }
        n++;
    }
    buf[n] = '\0';
    return n;
}

static void
test_socketpair_round_trip(void **state)
{
    struct jsonrpc_server *server = *state;
    struct jsonrpc_error err = { 0 };
    struct server_thread st;
    struct jsonrpc_client *client;
    json_t *params, *result;
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(jsonrpc_server_add_fd(server, sv[0]), 0);
    client = jsonrpc_client_from_fd(sv[1]);
    server_thread_start(&st, server);

    params = json_pack("{s:i, s:i}", "a", 20, "b", 22);
    assert_int_equal(jsonrpc_client_call(client, "add", params, 5000, &result,
                                         &err), 0);
    assert_int_equal(json_integer_value(result), 42);
    json_decref(result);

    assert_int_equal(jsonrpc_client_call(client, "fail", NULL, 5000, &result,
                                         &err), EREMOTEIO);
    assert_int_equal(err.code, JSONRPC_APP_ERROR);
    assert_non_null(strstr(err.message, "already exists"));
    assert_string_equal(json_string_value(json_object_get(err.data, "errno")),
                        "EEXIST");
    jsonrpc_error_clear(&err);

    json_object_set_new(params, "c", json_true());
    assert_int_equal(jsonrpc_client_call(client, "add", params, 5000, &result,
                                         &err), EREMOTEIO);
    assert_int_equal(err.code, JSONRPC_INVALID_PARAMS);
    jsonrpc_error_clear(&err);
    json_decref(params);

    assert_int_equal(jsonrpc_client_notify(client, "notify", NULL), 0);
    assert_int_equal(jsonrpc_client_call(client, "echo", NULL, 5000, &result,
                                         &err), 0);
    assert_true(json_is_null(result));
    assert_int_equal(notified, 1);

    server_thread_stop(&st);
    jsonrpc_client_close(client);
}

static void
test_socket_framing(void **state)
{
    struct jsonrpc_server *server = *state;
    struct server_thread st;
    char line[4096];
    char *big;
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(jsonrpc_server_add_fd(server, sv[0]), 0);
    server_thread_start(&st, server);

    /* Two requests in one write, a blank line, CRLF, and a request split
     * over two writes. */
    static const char two[] =
        "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[1],\"id\":1}\n"
        "\r\n\n"
        "garbage\r\n"
        "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[2],\"id\":2}\n"
        "{\"jsonrpc\":\"2.0\",\"method\":";
    assert_int_equal(write(sv[1], two, sizeof two - 1), sizeof two - 1);
    assert_true(read_line(sv[1], line, sizeof line) > 0);
    assert_string_equal(line, "{\"jsonrpc\":\"2.0\",\"result\":[1],\"id\":1}");
    assert_true(read_line(sv[1], line, sizeof line) > 0);
    assert_non_null(strstr(line, "-32700"));
    assert_true(read_line(sv[1], line, sizeof line) > 0);
    assert_string_equal(line, "{\"jsonrpc\":\"2.0\",\"result\":[2],\"id\":2}");
    usleep(50000);
    assert_int_equal(write(sv[1], "\"echo\",\"id\":3}\n", 16), 16);
    assert_true(read_line(sv[1], line, sizeof line) > 0);
    assert_string_equal(line, "{\"jsonrpc\":\"2.0\",\"result\":null,\"id\":3}");

    /* An oversize message: one error, then the server hangs up. */
    big = test_alloc(JSONRPC_MAX_MESSAGE + 70000);
    memset(big, ' ', JSONRPC_MAX_MESSAGE + 70000);
    {
        size_t sent = 0;
        while (sent < (size_t) JSONRPC_MAX_MESSAGE + 70000) {
            ssize_t n = send(sv[1], big + sent,
                             JSONRPC_MAX_MESSAGE + 70000 - sent, MSG_NOSIGNAL);
            if (n <= 0) {
                break;      /* the server may hang up before we finish */
            }
            sent += n;
        }
    }
    free(big);
    assert_true(read_line(sv[1], line, sizeof line) > 0);
    assert_non_null(strstr(line, "-32600"));
    /* Then EOF (or a reset, as the rest of our line was never read). */
    assert_true(read_line(sv[1], line, sizeof line) <= 0);

    server_thread_stop(&st);
    assert_int_equal(jsonrpc_server_n_conns(server), 0);
    close(sv[1]);
}

static void
test_unix_socket(void **state)
{
    struct jsonrpc_server *server = *state;
    struct jsonrpc_server *other = jsonrpc_server_create(methods, NULL);
    struct jsonrpc_error err = { 0 };
    struct jsonrpc_client *clients[8];
    struct server_thread st;
    char path[108];
    json_t *result;
    struct stat sb;

    snprintf(path, sizeof path, "/tmp/lamina-test-jsonrpc-%d.sock", (int) getpid());
    unlink(path);
    assert_int_equal(jsonrpc_client_open(path, &clients[0]), ENOENT);

    /* A stale socket file is replaced. */
    {
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        strcpy(sun.sun_path, path);
        assert_int_equal(bind(fd, (struct sockaddr *) &sun, sizeof sun), 0);
        close(fd);
        assert_int_equal(jsonrpc_client_open(path, &clients[0]), ECONNREFUSED);
    }
    assert_int_equal(jsonrpc_server_listen(server, path), 0);
    /* A live one is not. */
    assert_int_equal(jsonrpc_server_listen(other, path), EADDRINUSE);
    jsonrpc_server_destroy(other);
    assert_int_equal(stat(path, &sb), 0);

    server_thread_start(&st, server);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(jsonrpc_client_open(path, &clients[i]), 0);
    }
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 8; i++) {
            json_t *params = json_pack("{s:i, s:i}", "a", i, "b", round);
            assert_int_equal(jsonrpc_client_call(clients[i], "add", params,
                                                 5000, &result, &err), 0);
            assert_int_equal(json_integer_value(result), i + round);
            json_decref(result);
            json_decref(params);
        }
    }
    for (int i = 0; i < 8; i++) {
        jsonrpc_client_close(clients[i]);
    }
    server_thread_stop(&st);
    jsonrpc_server_destroy(server);
    *state = NULL;
    assert_int_equal(stat(path, &sb), -1);     /* socket file removed */
}

static void
test_client_timeout(void **state)
{
    struct jsonrpc_error err = { 0 };
    struct jsonrpc_client *client;
    json_t *result;
    char line[256];
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    client = jsonrpc_client_from_fd(sv[1]);
    assert_int_equal(jsonrpc_client_call(client, "echo", NULL, 100, &result,
                                         &err), ETIMEDOUT);
    assert_true(read_line(sv[0], line, sizeof line) > 0);

    /* A late answer to the first call is skipped; a non-JSON answer is a
     * protocol error; a closed connection is reported. */
    static const char answers[] =
        "{\"jsonrpc\":\"2.0\",\"result\":1,\"id\":1}\n"
        "{\"jsonrpc\":\"2.0\",\"result\":2,\"id\":2}\n"
        "not json\n";
    assert_int_equal(write(sv[0], answers, sizeof answers - 1),
                     sizeof answers - 1);
    assert_int_equal(jsonrpc_client_call(client, "echo", NULL, 1000, &result,
                                         &err), 0);
    assert_int_equal(json_integer_value(result), 2);
    json_decref(result);
    assert_int_equal(jsonrpc_client_call(client, "echo", NULL, 1000, &result,
                                         &err), EPROTO);
    close(sv[0]);
    assert_int_not_equal(jsonrpc_client_call(client, "echo", NULL, 1000,
                                             &result, &err), 0);
    jsonrpc_client_close(client);
}


/* ---- Bounds on clients ------------------------------------------------ */

/* Waits up to 'ms' for 'fd' to see the server hang up (EOF or reset),
 * skipping any data.  Returns true if it did. */
static bool
wait_hangup(int fd, int ms)
{
    uint64_t deadline = time_ms() + ms;
    char buf[65536];

    while (time_ms() < deadline) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        if (poll(&pfd, 1, 50) > 0) {
            ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                return true;
            }
        }
    }
    return false;
}

/* Waits up to 'ms' for the server to close its end of 'fd', without
 * reading what it sent (POLLHUP comes with unread data too). */
static bool
wait_closed_unread(int fd, int ms)
{
    uint64_t deadline = time_ms() + ms;

    while (time_ms() < deadline) {
        struct pollfd pfd = { .fd = fd, .events = 0 };
        if (poll(&pfd, 1, 50) > 0 && pfd.revents & POLLHUP) {
            return true;
        }
    }
    return false;
}

static void
test_idle_timeout(void **state)
{
    struct jsonrpc_server *server = *state;
    struct jsonrpc_server_stats stats;
    struct jsonrpc_error err = { 0 };
    struct jsonrpc_client *busy;
    struct server_thread st;
    int idle[2], active[2];
    json_t *result;

    jsonrpc_server_set_limits(server, 600, 0, 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, idle), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, active), 0);
    assert_int_equal(jsonrpc_server_add_fd(server, idle[0]), 0);
    assert_int_equal(jsonrpc_server_add_fd(server, active[0]), 0);
    busy = jsonrpc_client_from_fd(active[1]);
    server_thread_start(&st, server);

    /* The silent client is closed; one that keeps talking is not. */
    for (int i = 0; i < 20; i++) {
        assert_int_equal(jsonrpc_client_call(busy, "echo", NULL, 5000,
                                             &result, &err), 0);
        json_decref(result);
        usleep(50000);
    }
    assert_true(wait_hangup(idle[1], 2000));
    assert_int_equal(jsonrpc_client_call(busy, "echo", NULL, 5000, &result,
                                         &err), 0);
    json_decref(result);

    server_thread_stop(&st);
    jsonrpc_server_get_stats(server, &stats);
    assert_int_equal(stats.closed_idle, 1);
    assert_int_equal(jsonrpc_server_n_conns(server), 1);
    close(idle[1]);
    jsonrpc_client_close(busy);
}

static void
test_busy(void **state)
{
    struct jsonrpc_server *server = *state;
    struct jsonrpc_client *clients[3];
    struct jsonrpc_server_stats stats;
    struct jsonrpc_error err = { 0 };
    struct server_thread st;
    char path[108];
    json_t *result;

    snprintf(path, sizeof path, "/tmp/lamina-test-jsonrpc-busy-%d.sock",
             (int) getpid());
    jsonrpc_server_set_limits(server, 0, 0, 2);
    assert_int_equal(jsonrpc_server_listen(server, path), 0);
    server_thread_start(&st, server);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(jsonrpc_client_open(path, &clients[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        assert_int_equal(jsonrpc_client_call(clients[i], "echo", NULL, 5000,
                                             &result, &err), 0);
        json_decref(result);
    }
    /* The third is told why, not just hung up on. */
    assert_int_equal(jsonrpc_client_call(clients[2], "echo", NULL, 5000,
                                         &result, &err), EREMOTEIO);
    assert_int_equal(err.code, JSONRPC_APP_ERROR);
    assert_non_null(strstr(err.message, "server busy: 2 clients"));
    assert_string_equal(json_string_value(json_object_get(err.data, "errno")),
                        "EBUSY");
    jsonrpc_error_clear(&err);

    /* Once one leaves, a new client is served; rpc.stats counts it all. */
    jsonrpc_client_close(clients[0]);
    jsonrpc_client_close(clients[2]);
    for (int tries = 0; ; tries++) {
        int error;
        assert_int_equal(jsonrpc_client_open(path, &clients[0]), 0);
        error = jsonrpc_client_call(clients[0], "rpc.stats", NULL, 5000,
                                    &result, &err);
        if (!error) {
            break;
        }
        /* The server may not have seen the first close yet. */
        assert_int_equal(error, EREMOTEIO);
        assert_true(tries < 50);
        jsonrpc_error_clear(&err);
        jsonrpc_client_close(clients[0]);
        usleep(20000);
    }
    assert_int_equal(json_integer_value(json_object_get(result, "clients")),
                     2);
    assert_int_equal(json_integer_value(json_object_get(result,
                                                        "max_clients")), 2);
    assert_true(json_integer_value(json_object_get(result,
                                                   "refused_busy")) >= 1);
    json_decref(result);
    server_thread_stop(&st);
    jsonrpc_server_get_stats(server, &stats);
    assert_true(stats.refused_busy >= 1);
    jsonrpc_client_close(clients[0]);
    jsonrpc_client_close(clients[1]);
}

static int
big_handler(const json_t *params, json_t **result,
            struct jsonrpc_error *err, void *aux)
{
    size_t n = 4 * 1024 * 1024;
    char *s = test_alloc(n + 1);

    memset(s, 'x', n);
    s[n] = '\0';
    *result = json_string(s);
    free(s);
    return 0;
}

static const struct jsonrpc_method big_methods[] = {
    { "echo", echo_handler, NULL },
    { "big", big_handler, NULL },
    { NULL, NULL, NULL },
};

static void
test_non_reading_client(void **state)
{
    static const char big_req[] = "{\"jsonrpc\":\"2.0\",\"method\":\"big\","
                                  "\"id\":1}\n";
    struct jsonrpc_server *server = jsonrpc_server_create(big_methods, NULL);
    struct jsonrpc_server_stats stats;
    struct server_thread st;
    int big[2], slow[2];
    char req[1200];
    int len;

    /* An answer the client leaves unread past the limit drops it at once;
     * a client that sends request after request but reads nothing stalls
     * and is dropped after the idle timeout. */
    jsonrpc_server_set_limits(server, 0, 256 * 1024, 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, big), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, slow), 0);
    assert_int_equal(jsonrpc_server_add_fd(server, big[0]), 0);
    assert_int_equal(jsonrpc_server_add_fd(server, slow[0]), 0);
    server_thread_start(&st, server);

    assert_int_equal(write(big[1], big_req, sizeof big_req - 1),
                     sizeof big_req - 1);
    len = snprintf(req, sizeof req, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\","
                   "\"params\":[\"%01000d\"],\"id\":2}\n", 0);
    for (int i = 0; i < 4000; i++) {
        if (send(slow[1], req, len, MSG_DONTWAIT | MSG_NOSIGNAL) != len) {
            break;              /* the server stopped reading */
        }
    }
    assert_true(wait_closed_unread(big[1], 3000));
    jsonrpc_server_get_stats(server, &stats);
    assert_int_equal(stats.dropped_output, 1);
    /* The slow one goes only once it stays silent for the timeout. */
    server_thread_stop(&st);
    assert_int_equal(jsonrpc_server_n_conns(server), 1);
    jsonrpc_server_set_limits(server, 400, 256 * 1024, 0);
    server_thread_start(&st, server);
    assert_true(wait_closed_unread(slow[1], 3000));
    server_thread_stop(&st);
    assert_int_equal(jsonrpc_server_n_conns(server), 0);
    jsonrpc_server_get_stats(server, &stats);
    assert_int_equal(stats.closed_idle, 1);
    jsonrpc_server_destroy(server);
    close(big[1]);
    close(slow[1]);
}

static void
test_out_of_descriptors(void **state)
{
    struct jsonrpc_server *server = *state;
    struct jsonrpc_server_stats stats;
    struct jsonrpc_error err = { 0 };
    struct jsonrpc_client *last;
    struct server_thread st;
    struct rlimit old, low;
    int fds[64], n_fds = 0, first_free;
    char path[108];
    json_t *result;

    snprintf(path, sizeof path, "/tmp/lamina-test-jsonrpc-emfile-%d.sock",
             (int) getpid());
    assert_int_equal(jsonrpc_server_listen(server, path), 0);

    /* Leave the process 8 descriptors and spend them all on clients, so
     * that the server cannot accept them. */
    first_free = dup(0);
    close(first_free);
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    low = old;
    low.rlim_cur = first_free + 8;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    for (;;) {
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0) {
            assert_int_equal(errno, EMFILE);
            break;
        }
        strcpy(sun.sun_path, path);
        assert_int_equal(connect(fd, (struct sockaddr *) &sun, sizeof sun),
                         0);
        fds[n_fds++] = fd;
    }
    assert_true(n_fds >= 4);

    /* The server fails to accept, but does not spin: the thread's loop
     * runs about once per 20 ms timeout, not thousands of times. */
    server_thread_start(&st, server);
    usleep(600000);
    assert_true(st.runs < 150);
    jsonrpc_server_get_stats(server, &stats);
    assert_true(stats.accept_failures >= 1);
    assert_true(stats.accept_failures <= 5);

    /* Descriptors come back: the waiting clients are served. */
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
    last = jsonrpc_client_from_fd(fds[--n_fds]);
    assert_int_equal(jsonrpc_client_call(last, "echo", NULL, 2000, &result,
                                         &err), 0);
    json_decref(result);
    server_thread_stop(&st);
    jsonrpc_client_close(last);
    while (n_fds) {
        close(fds[--n_fds]);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_success, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deep_nesting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_huge_string, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_app_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fuzz, setup, teardown),
        cmocka_unit_test_setup_teardown(test_socketpair_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_socket_framing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unix_socket, setup, teardown),
        cmocka_unit_test(test_client_timeout),
        cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy, setup, teardown),
        cmocka_unit_test(test_non_reading_client),
        cmocka_unit_test_setup_teardown(test_out_of_descriptors, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
