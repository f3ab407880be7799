/* Fuzzing target: JSON-RPC requests as a management client sends them
 * (lib/jsonrpc).  Each input is handled as one message, then fed through
 * a real connection (line framing, batches, the end of the stream): every
 * answer must be JSON, and the server must close the connection once the
 * client stops sending.  See fuzz.h. */
#include "fuzz.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "jsonrpc.h"
#include "log.h"

static int
echo_handler(const json_t *params, json_t **result,
             struct jsonrpc_error *err, void *aux)
{
    *result = params ? json_deep_copy(params) : json_null();
    return 0;
}

/* Uses every params helper, as the daemons' handlers do. */
static int
params_handler(const json_t *params, json_t **result,
               struct jsonrpc_error *err, void *aux)
{
    static const char *const allowed[] = { "name", "n", "flag", "s", NULL };
    const char *name = NULL, *s = NULL;
    uint64_t n = 0;
    bool flag = false;

    if (jsonrpc_params_check(params, allowed, err)
        || jsonrpc_param_name(params, "name", true, &name, err)
        || jsonrpc_param_uint(params, "n", false, 1, 4094, &n, err)
        || jsonrpc_param_bool(params, "flag", false, &flag, err)
        || jsonrpc_param_string(params, "s", false, &s, err)) {
        return EINVAL;
    }
    if (flag) {
        jsonrpc_error_set_errno(err, EEXIST, "name", "\"%s\" exists", name);
        return EEXIST;
    }
    *result = json_pack("{s:s, s:I}", "name", name, "n", (json_int_t) n);
    return 0;
}

static const struct jsonrpc_method methods[] = {
    { "echo", echo_handler, NULL },
    { "thing.add", params_handler, NULL },
    { NULL, NULL, NULL },
};

const char *const fuzz_tokens[] = {
    "{\"jsonrpc\":\"2.0\",\"method\":\"thing.add\",\"params\":{\"name\":\"a\"},\"id\":1}\n",
    "\"jsonrpc\"", "\"2.0\"", "\"method\"", "\"params\"", "\"id\"", "\"echo\"",
    "\"thing.add\"", "\"rpc.methods\"", "\"rpc.stats\"", "\"name\"", "\"n\"",
    "\"flag\"", "true", "false", "null", "[", "]", "{", "}", "\\u0000",
    "\\ud800", "1e999", "-1", "9223372036854775808", "\n", "\r\n", NULL,
};

/* Checks that 'answer' (stolen) encodes as JSON. */
static void
check_answer(json_t *answer)
{
    char *text;

    if (!answer) {
        return;
    }
    text = json_dumps(answer, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) {
        abort();
    }
    free(text);
    json_decref(answer);
}

/* Sends 'data' over a connection to 'server' and reads every answer line
 * until the server hangs up. */
static void
run_connection(struct jsonrpc_server *server, const uint8_t *data,
               size_t size)
{
    size_t sent = 0;
    char buf[65536];
    bool shut = false;
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || jsonrpc_server_add_fd(server, sv[0])) {
        abort();
    }
    for (int rounds = 0; ; rounds++) {
        ssize_t n;

        if (rounds > 100000) {
            abort();            /* the server never hung up */
        }
        if (sent < size) {
            n = send(sv[1], data + sent, size - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
            sent += n > 0 ? (size_t) n : 0;
        }
        if (sent == size && !shut) {
            shutdown(sv[1], SHUT_WR);
            shut = true;
        }
        jsonrpc_server_run(server, 0);
        n = recv(sv[1], buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            break;
        }
    }
    close(sv[1]);
    while (jsonrpc_server_n_conns(server)) {
        jsonrpc_server_run(server, 0);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct jsonrpc_server *server;

    if (!server) {
        log_set_level(LOG_LVL_ERR);
        server = jsonrpc_server_create(methods, NULL);
        if (!server) {
            abort();
        }
    }
    check_answer(jsonrpc_server_handle(server, (const char *) data, size));
    run_connection(server, data, size);
    return 0;
}
