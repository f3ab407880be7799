/* Unit tests of lib/http: a real server on loopback, called by the real
 * client. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "http.h"
#include "util.h"

/* GET /v1/items/{id}: echoes the id, the query "x" and the principal. */
static void
h_item(struct http_request *req, void *aux, struct http_response *resp)
{
    const char *x = http_query(req, "x");
    http_reply(resp, 200, json_pack("{s:s, s:s?, s:s?}", "id", req->params[0],
                                    "x", x, "who", (char *) req->principal));
}

/* POST /v1/items: echoes the JSON body and the Idempotency-Key. */
static void
h_post(struct http_request *req, void *aux, struct http_response *resp)
{
    json_t *body;
    if (!http_body_json(req, &body, resp)) {
        return;
    }
    json_object_set_new(body, "key",
                        json_string(http_header(req, "Idempotency-Key")));
    http_reply(resp, 201, body);
}

/* GET /v1/slow: answers after 1.5 s. */
static void
h_slow(struct http_request *req, void *aux, struct http_response *resp)
{
    usleep(1500 * 1000);
    http_reply(resp, 200, json_object());
}

/* POST /v1/items/{id}/sub/{sub}: two parameters, no auth. */
static void
h_sub(struct http_request *req, void *aux, struct http_response *resp)
{
    http_reply(resp, 200, json_pack("{s:s, s:s, s:i}", "id", req->params[0],
                                    "sub", req->params[1],
                                    "n", (int) req->n_params));
}

/* Token "good" is principal "alice"; "readonly" is refused with 403. */
static bool
auth(struct http_request *req, void *aux, struct http_response *resp)
{
    if (!req->token || (strcmp(req->token, "good")
                        && strcmp(req->token, "readonly"))) {
        http_error(resp, 401, "unauthorized", NULL, "bad token");
        return false;
    }
    if (!strcmp(req->token, "readonly")) {
        http_error(resp, 403, "forbidden", NULL, "not allowed");
        return false;
    }
    req->principal = "alice";
    return true;
}

static const struct http_route routes[] = {
    { "GET", "/v1/items/{id}", h_item, true },
    { "POST", "/v1/items", h_post, false },
    { "POST", "/v1/items/{id}/sub/{sub}", h_sub, false },
    { "GET", "/v1/slow", h_slow, false },
};

struct fixture {
    struct http_server *srv;
    char base[64];
};

static int
setup(void **state)
{
    struct fixture *f = xzalloc(sizeof *f);
    struct http_server_config cfg = {
        .routes = routes, .n_routes = ARRAY_SIZE(routes),
        .auth = auth, .body_max = 4096,
    };
    char err[256];

    assert_int_equal(http_server_start(&cfg, &f->srv, err, sizeof err), 0);
    assert_true(http_server_port(f->srv) > 0);
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u",
             http_server_port(f->srv));
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    http_server_stop(f->srv);
    free(f);
    return 0;
}

/* Calls 'method' on base+'path'; returns the status, '*reply' set. */
static long
call(struct fixture *f, const char *method, const char *path,
     const struct http_client_opts *o, const char *body, json_t **reply)
{
    char *url = xasprintf("%s%s", f->base, path);
    long status = 0;
    char *msg = NULL;
    int error = http_client_call(method, url, o, body, body ? strlen(body) : 0,
                                 &status, reply, &msg);
    if (error) {
        fail_msg("%s", msg);
    }
    free(url);
    return status;
}

static const char *
err_code(const json_t *reply)
{
    return json_string_value(json_object_get(json_object_get(reply, "error"),
                                             "code"));
}

static void
test_route_params_query_auth(void **state)
{
    struct fixture *f = *state;
    struct http_client_opts o = { .token = "good" };
    json_t *r;

    assert_int_equal(call(f, "GET", "/v1/items/L7?x=42", &o, NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r, "id")), "L7");
    assert_string_equal(json_string_value(json_object_get(r, "x")), "42");
    assert_string_equal(json_string_value(json_object_get(r, "who")), "alice");
    json_decref(r);

    assert_int_equal(call(f, "POST", "/v1/items/a/sub/b", NULL, "", &r), 200);
    assert_string_equal(json_string_value(json_object_get(r, "sub")), "b");
    assert_int_equal(json_integer_value(json_object_get(r, "n")), 2);
    json_decref(r);
}

static void
test_auth_refusals(void **state)
{
    struct fixture *f = *state;
    struct http_client_opts bad = { .token = "wrong" };
    struct http_client_opts ro = { .token = "readonly" };
    json_t *r;

    assert_int_equal(call(f, "GET", "/v1/items/L7", NULL, NULL, &r), 401);
    assert_string_equal(err_code(r), "unauthorized");
    json_decref(r);
    assert_int_equal(call(f, "GET", "/v1/items/L7", &bad, NULL, &r), 401);
    json_decref(r);
    assert_int_equal(call(f, "GET", "/v1/items/L7", &ro, NULL, &r), 403);
    assert_string_equal(err_code(r), "forbidden");
    json_decref(r);
}

static void
test_not_found_and_method(void **state)
{
    struct fixture *f = *state;
    json_t *r;

    assert_int_equal(call(f, "GET", "/v1/nothing", NULL, NULL, &r), 404);
    assert_string_equal(err_code(r), "not_found");
    json_decref(r);
    assert_int_equal(call(f, "GET", "/v1/items", NULL, NULL, &r), 405);
    json_decref(r);
    /* An empty {id} segment does not match. */
    assert_int_equal(call(f, "GET", "/v1/items/", NULL, NULL, &r), 404);
    json_decref(r);
}

static void
test_json_body(void **state)
{
    struct fixture *f = *state;
    struct http_client_opts o = { .idempotency_key = "k1" };
    json_t *r;

    assert_int_equal(call(f, "POST", "/v1/items", &o, "{\"a\": 1}", &r), 201);
    assert_int_equal(json_integer_value(json_object_get(r, "a")), 1);
    assert_string_equal(json_string_value(json_object_get(r, "key")), "k1");
    json_decref(r);

    assert_int_equal(call(f, "POST", "/v1/items", NULL, "{\"a\": ", &r), 400);
    assert_string_equal(err_code(r), "bad_request");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(r, "error"), "field")), "body");
    json_decref(r);
    assert_int_equal(call(f, "POST", "/v1/items", NULL, "[1]", &r), 400);
    json_decref(r);
    assert_int_equal(call(f, "POST", "/v1/items", NULL, "", &r), 400);
    json_decref(r);
}

static void
test_body_limit(void **state)
{
    struct fixture *f = *state;
    json_t *r;
    char *big = xmalloc(5000);

    memset(big, ' ', 4999);
    big[0] = '{';
    big[4997] = '}';
    big[4999] = '\0';
    assert_int_equal(call(f, "POST", "/v1/items", NULL, big, &r), 413);
    assert_string_equal(err_code(r), "too_large");
    json_decref(r);
    big[4000] = '\0';
    big[3999] = '}';
    assert_int_equal(call(f, "POST", "/v1/items", NULL, big, &r), 201);
    json_decref(r);
    free(big);
}

static void
test_client_deadline_and_refused(void **state)
{
    struct fixture *f = *state;
    struct http_client_opts o = { .timeout_ms = 300 };
    char *url = xasprintf("%s/v1/slow", f->base);
    char *msg = NULL;
    long status;
    uint64_t t0 = time_ms();

    assert_int_equal(http_client_call("GET", url, &o, NULL, 0, &status, NULL,
                                      &msg), ETIMEDOUT);
    assert_true(time_ms() - t0 < 1200);
    assert_non_null(strstr(msg, "300 ms"));
    free(msg);
    free(url);

    /* A port nobody listens on (the server's, after it stopped). */
    struct http_server_config cfg = { .routes = routes, .n_routes = 1 };
    struct http_server *s;
    char err[128];
    assert_int_equal(http_server_start(&cfg, &s, err, sizeof err), 0);
    url = xasprintf("http://127.0.0.1:%u/v1/items/x", http_server_port(s));
    http_server_stop(s);
    assert_int_equal(http_client_call("GET", url, NULL, NULL, 0, &status, NULL,
                                      &msg), ECONNREFUSED);
    free(msg);
    free(url);
}

static void
test_bad_config(void **state)
{
    struct http_server_config cfg = { .address = "not-an-address" };
    struct http_server *s;
    char err[128];

    assert_int_equal(http_server_start(&cfg, &s, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "not-an-address"));
    cfg.address = NULL;
    cfg.tls_cert = "/nonexistent.pem";
    assert_int_equal(http_server_start(&cfg, &s, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "both"));
    cfg.tls_key = "/nonexistent.key";
    assert_int_equal(http_server_start(&cfg, &s, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "/nonexistent.pem"));
    http_server_stop(NULL);
}

/* TLS: a self-signed certificate made with the openssl command; the
 * client trusts it through ca_file, and refuses the server without it. */
static void
test_tls(void **state)
{
    char dir[] = "/tmp/test-http-tls.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *cmd = xasprintf("openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
                          "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
                          "-keyout %s/key.pem -out %s/cert.pem >/dev/null 2>&1",
                          dir, dir);
    if (system(cmd)) {
        free(cmd);
        skip();
    }
    free(cmd);
    char *cert = xasprintf("%s/cert.pem", dir);
    char *key = xasprintf("%s/key.pem", dir);
    struct http_server_config cfg = {
        .routes = routes, .n_routes = ARRAY_SIZE(routes), .auth = auth,
        .tls_cert = cert, .tls_key = key,
    };
    struct http_server *s;
    char err[256];
    assert_int_equal(http_server_start(&cfg, &s, err, sizeof err), 0);

    char *url = xasprintf("https://127.0.0.1:%u/v1/items/T1",
                          http_server_port(s));
    struct http_client_opts o = { .token = "good", .ca_file = cert };
    long status;
    json_t *r;
    char *msg = NULL;
    assert_int_equal(http_client_call("GET", url, &o, NULL, 0, &status, &r,
                                      &msg), 0);
    assert_int_equal(status, 200);
    assert_string_equal(json_string_value(json_object_get(r, "id")), "T1");
    json_decref(r);
    /* Without the CA: the certificate is not trusted. */
    o.ca_file = "/dev/null";
    assert_int_not_equal(http_client_call("GET", url, &o, NULL, 0, &status,
                                          NULL, &msg), 0);
    assert_non_null(msg);
    free(msg);
    /* Plain HTTP on the TLS port gets no answer. */
    char *plain = xasprintf("http://127.0.0.1:%u/v1/items/T1",
                            http_server_port(s));
    struct http_client_opts p = { .token = "good", .timeout_ms = 1000 };
    msg = NULL;
    int error = http_client_call("GET", plain, &p, NULL, 0, &status, NULL,
                                 &msg);
    assert_true(error || status != 200);
    free(msg);
    free(plain);
    http_server_stop(s);
    free(url);
    cmd = xasprintf("rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(cert);
    free(key);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_route_params_query_auth, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_auth_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_found_and_method, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_json_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_body_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_deadline_and_refused,
                                        setup, teardown),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_tls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
