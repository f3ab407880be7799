/* Tests of lib/metrics: the text exposition and the /metrics endpoint. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "metrics.h"

static void
test_text_groups_families(void **state)
{
    struct metrics m;
    (void) state;

    metrics_init(&m);
    metrics_declare(&m, "lamina_a_total", METRICS_COUNTER, "A things.");
    metrics_declare(&m, "lamina_b", METRICS_GAUGE, "B now.");
    metrics_declare(&m, "lamina_a_total", METRICS_GAUGE, "ignored");
    metrics_add(&m, "lamina_a_total", 1, "slice", "red", (char *) NULL);
    metrics_add(&m, "lamina_b", 2.5, (char *) NULL);
    metrics_add(&m, "lamina_a_total", 12345678901.0, "slice", "blue",
                "switch", "s1", (char *) NULL);
    char *t = metrics_text(&m);
    assert_string_equal(t,
        "# HELP lamina_a_total A things.\n"
        "# TYPE lamina_a_total counter\n"
        "lamina_a_total{slice=\"red\"} 1\n"
        "lamina_a_total{slice=\"blue\",switch=\"s1\"} 12345678901\n"
        "# HELP lamina_b B now.\n"
        "# TYPE lamina_b gauge\n"
        "lamina_b 2.5\n");
    free(t);
    metrics_destroy(&m);
    metrics_destroy(NULL);
}

static void
test_text_escapes(void **state)
{
    struct metrics m;
    (void) state;

    metrics_init(&m);
    metrics_declare(&m, "x_total", METRICS_COUNTER, "back\\slash \"q\"\nnl");
    metrics_add(&m, "x_total", 0, "l", "a\"b\\c\nd", (char *) NULL);
    char *t = metrics_text(&m);
    assert_string_equal(t,
        "# HELP x_total back\\\\slash \"q\"\\nnl\n"
        "# TYPE x_total counter\n"
        "x_total{l=\"a\\\"b\\\\c\\nd\"} 0\n");
    free(t);
    metrics_destroy(&m);
}

static void
test_parse_listen(void **state)
{
    char addr[64], err[128];
    uint16_t port;
    (void) state;

    assert_int_equal(metrics_parse_listen("127.0.0.1:9100", addr, sizeof addr,
                                          &port, err, sizeof err), 0);
    assert_string_equal(addr, "127.0.0.1");
    assert_int_equal(port, 9100);
    assert_int_equal(metrics_parse_listen("[::1]:80", addr, sizeof addr,
                                          &port, err, sizeof err), 0);
    assert_string_equal(addr, "::1");
    assert_int_equal(metrics_parse_listen("9100", addr, sizeof addr,
                                          &port, err, sizeof err), EINVAL);
    assert_int_equal(metrics_parse_listen("a:70000", addr, sizeof addr,
                                          &port, err, sizeof err), EINVAL);
    assert_int_equal(metrics_parse_listen("a:-1", addr, sizeof addr,
                                          &port, err, sizeof err), EINVAL);
}

/* The "daemon": a thread that polls the endpoint's descriptor. */
static atomic_bool loop_stop;
static int n_collects;

static void
collect(struct metrics *m, void *aux)
{
    int *value = aux;
    n_collects++;
    metrics_declare(m, "lamina_test_total", METRICS_COUNTER, "Test.");
    metrics_add(m, "lamina_test_total", *value, "k", "v", (char *) NULL);
}

static void *
loop(void *s_)
{
    struct metrics_server *s = s_;
    while (!loop_stop) {
        struct pollfd p = { .fd = metrics_server_fd(s), .events = POLLIN };
        if (poll(&p, 1, 50) > 0) {
            metrics_server_run(s);
        }
    }
    return NULL;
}

/* GETs 'path' from 127.0.0.1:'port'; returns the whole answer. */
static char *
http_get(uint16_t port, const char *path)
{
    struct sockaddr_in sin = { .sin_family = AF_INET,
                               .sin_port = htons(port) };
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    char req[256], *buf = calloc(1, 65536);
    size_t len = 0;
    ssize_t n;

    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *) &sin, sizeof sin), 0);
    snprintf(req, sizeof req, "GET %s HTTP/1.0\r\n\r\n", path);
    assert_true(write(fd, req, strlen(req)) == (ssize_t) strlen(req));
    while ((n = read(fd, buf + len, 65535 - len)) > 0) {
        len += n;
    }
    close(fd);
    return buf;
}

static void
test_server(void **state)
{
    struct metrics_server *s;
    char err[256];
    int value = 42;
    pthread_t t;
    (void) state;

    assert_int_equal(metrics_server_start("127.0.0.1:0", collect, &value, &s,
                                          err, sizeof err), 0);
    uint16_t port = metrics_server_port(s);
    assert_true(port > 0);
    pthread_create(&t, NULL, loop, s);

    char *r = http_get(port, "/metrics");
    assert_non_null(strstr(r, " 200 "));
    assert_non_null(strstr(r, "text/plain; version=0.0.4"));
    assert_non_null(strstr(r, "lamina_test_total{k=\"v\"} 42\n"));
    free(r);
    value = 43;     /* a new scrape collects again */
    r = http_get(port, "/metrics");
    assert_non_null(strstr(r, "lamina_test_total{k=\"v\"} 43\n"));
    free(r);
    assert_true(n_collects >= 2);
    r = http_get(port, "/nothing");
    assert_non_null(strstr(r, " 404 "));
    free(r);

    loop_stop = true;
    pthread_join(t, NULL);
    metrics_server_stop(s);
    metrics_server_stop(NULL);

    assert_int_equal(metrics_server_start("nocolon", collect, &value, &s,
                                          err, sizeof err), EINVAL);
    assert_null(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_groups_families),
        cmocka_unit_test(test_text_escapes),
        cmocka_unit_test(test_parse_listen),
        cmocka_unit_test(test_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
