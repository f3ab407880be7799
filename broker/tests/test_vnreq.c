/* Unit tests of the request format: the examples parse, JSON and YAML give
 * the same request, and every kind of bad input is refused with the field
 * path (and the YAML line). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brk_error.h"
#include "brk_time.h"
#include "vnreq.h"

/* 2029-12-31T12:00:00Z: before every absolute time in the examples. */
static int64_t
now(void)
{
    int64_t t;
    assert_int_equal(brk_time_parse("2029-12-31T12:00:00Z", &t), 0);
    return t;
}

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&buf, &size);
    char chunk[4096];
    size_t n;

    if (!f) {
        fail_msg("cannot open %s", path);
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        fwrite(chunk, 1, n, mem);
    }
    fclose(f);
    fclose(mem);
    *len = size;
    return buf;
}

/* Every file in broker/examples parses. */
static void
test_examples(void **state)
{
    const char *dir = LAMINA_SRCDIR "/broker/examples";
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    (void) state;
    assert_non_null(d);
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') {
            continue;
        }
        char path[512];
        size_t len;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        char *text = slurp(path, &len);
        struct vnreq *r;
        struct brk_error err = { "" };
        int error = vnreq_parse(text, len, now(), &r, &err);
        if (error) {
            fail_msg("%s: %s", de->d_name, err.msg);
        }
        vnreq_destroy(r);
        free(text);
        n++;
    }
    closedir(d);
    assert_true(n >= 4);
}

/* The triangle example, field by field. */
static void
test_triangle(void **state)
{
    size_t len;
    char *text = slurp(LAMINA_SRCDIR "/broker/examples/openflow-triangle.yaml",
                       &len);
    struct vnreq *r;
    struct brk_error err;
    int64_t start;

    (void) state;
    assert_int_equal(vnreq_parse(text, len, now(), &r, &err), 0);
    assert_string_equal(r->idempotency_key, "sp2-triangle-7");
    assert_int_equal(r->n_nodes, 3);
    assert_int_equal(r->nodes[0].plane, VNREQ_OPENFLOW);
    assert_string_equal(r->nodes[0].controller, "tcp:127.0.0.1:6653");
    assert_int_equal(r->nodes[1].plane, VNREQ_EBPF);
    assert_int_equal(r->nodes[2].plane, VNREQ_L2LEARN);
    assert_string_equal(r->nodes[2].location, "s3");
    assert_int_equal(r->n_links, 3);
    assert_string_equal(r->links[0].name, "ab");
    assert_string_equal(r->links[1].name, "b-c");
    assert_true(r->links[1].bandwidth == 1500000000ULL);
    assert_true(r->links[2].bandwidth == 50000000ULL);
    assert_int_equal(r->links[2].a, 2);
    assert_int_equal(r->links[2].b, 0);
    assert_int_equal(r->n_access, 1);
    assert_string_equal(r->access[0].inp, "inp1");
    assert_string_equal(r->access[0].point, "ap2");
    assert_int_equal(r->timing, VNREQ_FIXED);
    brk_time_parse("2030-01-01T08:00:00Z", &start);
    assert_int_equal(r->start, start);
    assert_int_equal(r->duration, 12 * 3600);
    assert_int_equal(vnreq_total_cpu(r), 7);

    /* The canonical JSON reads back to the same request. */
    json_t *j = vnreq_to_json(r);
    struct vnreq *back;
    assert_int_equal(vnreq_from_json(j, now(), &back, &err), 0);
    json_t *j2 = vnreq_to_json(back);
    assert_true(json_equal(j, j2));
    json_decref(j);
    json_decref(j2);
    vnreq_destroy(back);
    vnreq_destroy(r);
    free(text);
}

/* JSON and YAML of the same request give the same result; a window. */
static void
test_json_yaml_and_window(void **state)
{
    static const char yaml[] =
        "idempotency_key: k1\n"
        "nodes: [{name: a, cpu: 1}, {name: b, cpu: 1}]\n"
        "links: [{endpoints: [a, b], bandwidth: 1M}]\n"
        "time: {window: {earliest: now, latest: \"2030-01-01T00:00:00Z\"}, "
        "duration: 1h30m}\n";
    static const char json[] =
        "{\"idempotency_key\": \"k1\", \"nodes\": [{\"name\": \"a\", \"cpu\": 1},"
        " {\"name\": \"b\", \"cpu\": 1}], \"links\": [{\"endpoints\": [\"a\", \"b\"],"
        " \"bandwidth\": 1000000}], \"time\": {\"window\": {\"earliest\": \"now\","
        " \"latest\": \"2030-01-01T00:00:00Z\"}, \"duration\": 5400}}";
    struct vnreq *a, *b;
    struct brk_error err;

    (void) state;
    assert_int_equal(vnreq_parse(yaml, strlen(yaml), now(), &a, &err), 0);
    assert_int_equal(vnreq_parse(json, strlen(json), now(), &b, &err), 0);
    json_t *ja = vnreq_to_json(a), *jb = vnreq_to_json(b);
    assert_true(json_equal(ja, jb));
    assert_int_equal(a->timing, VNREQ_WINDOW);
    assert_int_equal(a->earliest, now());
    assert_int_equal(a->latest, now() + 12 * 3600);
    assert_int_equal(a->duration, 5400);
    json_decref(ja);
    json_decref(jb);
    vnreq_destroy(a);
    vnreq_destroy(b);
}

/* A valid request, to which one line is appended or changed. */
#define HEAD "idempotency_key: k1\n"                    /* line 1 */ \
             "nodes:\n"                                  /* line 2 */ \
             "  - {name: a, cpu: 2}\n"                   /* line 3 */ \
             "  - {name: b, cpu: 2}\n"                   /* line 4 */
#define LINKS "links:\n"                                 /* line 5 */ \
              "  - {endpoints: [a, b], bandwidth: 10M}\n" /* line 6 */
#define TIME "time: {start: now, duration: 1h}\n"

static void
test_bad_input(void **state)
{
    static const struct {
        const char *text;
        const char *want;       /* substring of the error */
    } bad[] = {
        /* The example of the brief: a negative rate on the third link. */
        { HEAD "  - {name: c, cpu: 1}\n" "links:\n"
          "  - {endpoints: [a, b], bandwidth: 10M}\n"
          "  - {endpoints: [b, c], bandwidth: 10M}\n"
          "  - {endpoints: [c, a], bandwidth: -5M}\n" TIME,
          "line 9: links[2].bandwidth: must be a positive rate such as "
          "\"10M\" or \"1.5G\", got \"-5M\"" },
        { HEAD LINKS TIME "colour: red\n",
          "line 8: colour: unknown field (expected one of: idempotency_key" },
        { HEAD LINKS TIME "revisit: yes\n",
          "line 8: revisit: must be true or false, got a string" },
        { HEAD LINKS TIME "revisit: 1\n",
          "revisit: must be true or false, got an integer" },
        { HEAD "  - {name: c, cpu: 2, cpus: 3}\n" LINKS TIME,
          "line 5: nodes[2].cpus: unknown field" },
        { HEAD "  - {name: c, cpu: \"2\"}\n" LINKS TIME,
          "line 5: nodes[2].cpu: must be an integer in 1..1000000, got \"2\"" },
        { HEAD "  - {name: c, cpu: -1}\n" LINKS TIME,
          "nodes[2].cpu: must be an integer in 1..1000000, got -1" },
        { HEAD "  - {name: c, cpu: 99999999}\n" LINKS TIME,
          "nodes[2].cpu: must be an integer in 1..1000000, got 99999999" },
        { HEAD "  - {name: a, cpu: 1}\n" LINKS TIME,
          "line 5: nodes[2].name: duplicate node name \"a\"" },
        { HEAD "  - {name: c, cpu: 1, limits: {flows: 0}}\n" LINKS TIME,
          "line 5: nodes[2].limits.flows: must be an integer in 1..2147483647, got 0" },
        { HEAD "  - {name: c, cpu: 1, limits: {colour: 3}}\n" LINKS TIME,
          "nodes[2].limits.colour: unknown limit (flows, tables, table_entries "
          "or program_bytes)" },
        { HEAD "  - {name: c, cpu: 1, limits: 5}\n" LINKS TIME,
          "nodes[2].limits: must be an object" },
        { HEAD "links:\n  - {endpoints: [a, z], bandwidth: 1M}\n" TIME,
          "line 6: links[0].endpoints[1]: no node called \"z\"" },
        { HEAD "links:\n  - {endpoints: [a, a], bandwidth: 1M}\n" TIME,
          "links[0].endpoints: a link joins two different nodes" },
        { HEAD LINKS "  - {endpoints: [b, a], bandwidth: 1M}\n" TIME,
          "line 7: links[1].endpoints: links[0] already joins" },
        { HEAD "links:\n  - {endpoints: [a, b], bandwidth: 20T}\n" TIME,
          "links[0].bandwidth: \"20T\" is more than 10 Tbit/s" },
        { HEAD "links:\n  - {endpoints: [a, b]}\n" TIME,
          "line 6: links[0].bandwidth: missing" },
        { HEAD LINKS "time: {start: \"2020-01-01T00:00:00Z\", duration: 1h}\n",
          "line 7: time.start: 2020-01-01T00:00:00Z is in the past" },
        { HEAD LINKS "time: {start: now, end: \"2029-12-31T11:00:00Z\"}\n",
          "time.end: must be after the start" },
        { HEAD LINKS "time: {start: now, end: \"2029-12-31T13:00:00Z\", "
          "duration: 1h}\n", "time.duration: give end or duration, not both" },
        { HEAD LINKS "time: {start: now}\n",
          "time.end: missing (or give a duration)" },
        { HEAD LINKS "time: {start: now, duration: 400d}\n",
          "time.duration: \"400d\" is longer than 366 days" },
        { HEAD LINKS "time: {start: now, duration: 1x}\n",
          "time.duration: must be a positive duration" },
        { HEAD LINKS "time: {start: \"tomorrow\", duration: 1h}\n",
          "time.start: must be \"now\" or an RFC 3339 time" },
        { HEAD LINKS "time: {window: {earliest: now}, duration: 1h}\n",
          "time.window.latest: missing" },
        { HEAD LINKS "time: {start: now, window: {earliest: now, latest: now},"
          " duration: 1h}\n", "time.window: give a window or a start/end" },
        { HEAD LINKS, "time: missing" },
        { HEAD "  - {name: c, cpu: 1, plane: p4}\n" LINKS TIME,
          "nodes[2].plane: must be l2learn, openflow or ebpf, got \"p4\"" },
        { HEAD "  - {name: c, cpu: 1, plane: openflow}\n" LINKS TIME,
          "nodes[2].controller: missing" },
        { HEAD "  - {name: c, cpu: 1, controller: \"tcp:1.2.3.4:6653\"}\n"
          LINKS TIME, "nodes[2].controller: only an openflow node" },
        { HEAD "  - {name: c, cpu: 1, plane: ebpf}\n" LINKS TIME,
          "nodes[2].program: missing" },
        { HEAD LINKS "access:\n  - {name: h1, node: q, at: inp1/ap1}\n" TIME,
          "line 8: access[0].node: no node called \"q\"" },
        { HEAD LINKS "access:\n  - {name: h1, node: a, at: ap1}\n" TIME,
          "access[0].at: must be INP/ACCESS-POINT" },
        { HEAD LINKS "access:\n  - {name: h1, node: a, at: i/a}\n"
          "  - {name: h1, node: b, at: i/b}\n" TIME,
          "line 9: access[1].name: duplicate access point name" },
        { "nodes:\n  - {name: a, cpu: 1}\n" TIME,
          "idempotency_key: missing" },
        { "idempotency_key: k\nnodes: []\n" TIME, "nodes: must not be empty" },
        { "idempotency_key: k\nnodes: {a: 1}\n" TIME,
          "nodes: must be a list, got an object" },
        { HEAD "  - {name: \"bad name\", cpu: 1}\n" LINKS TIME,
          "nodes[2].name: must be a name" },
        { "idempotency_key: k\nidempotency_key: j\n", "duplicate key" },
        { "- 1\n- 2\n", "request: must be an object" },
        { HEAD "  - &x {name: c, cpu: 1}\n  - *x\n" LINKS TIME,
          "line 5: YAML anchors and aliases are not allowed" },
        { HEAD "  - {name: c, cpu: 1\n", "line 6, column 1" },
        { HEAD LINKS TIME "---\nidempotency_key: k2\n",
          "more than one YAML document" },
        { "", "request is empty" },
        { "{\"idempotency_key\": \"k\", \"nodes\": [{\"name\": \"a\", "
          "\"cpu\": 1, \"cpu\": 2}]}", "line 1, column" },
        { "{\"idempotency_key\": \"k\", \"nodes\": [{\"name\": \"a\", "
          "\"cpu\": 1.5}], \"time\": {\"start\": \"now\", \"duration\": 60}}",
          "nodes[0].cpu: must be an integer in 1..1000000, got 1.5" },
        { "{\"idempotency_key\": \"has space\", \"nodes\": []}",
          "idempotency_key: must be printable characters without spaces" },
    };

    (void) state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct vnreq *r = (void *) 1;
        struct brk_error err = { "" };
        int error = vnreq_parse(bad[i].text, strlen(bad[i].text), now(), &r,
                                &err);
        if (error != EINVAL || r || !strstr(err.msg, bad[i].want)) {
            fail_msg("case %zu: got %d \"%s\", want EINVAL with \"%s\"",
                     i, error, err.msg, bad[i].want);
        }
    }

    /* Oversized input. */
    size_t big = VNREQ_MAX_TEXT + 1;
    char *text = malloc(big);
    memset(text, ' ', big);
    struct vnreq *r;
    struct brk_error err;
    assert_int_equal(vnreq_parse(text, big, now(), &r, &err), EFBIG);
    free(text);
}

/* A node's limits (inherit.h) are read and written back. */
static void
test_limits(void **state)
{
    (void) state;
    static const char text[] =
        "{\"idempotency_key\": \"k\", \"nodes\": [{\"name\": \"a\", \"cpu\": 1,"
        " \"limits\": {\"flows\": 1000, \"program_bytes\": 4096}}],"
        " \"time\": {\"start\": \"2030-01-01T00:00:00Z\", \"duration\": \"1h\"}}";
    struct vnreq *r, *back;
    struct brk_error err;

    assert_int_equal(vnreq_parse(text, strlen(text), now(), &r, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(r->nodes[0].limits,
                                                        "flows")), 1000);
    json_t *j = vnreq_to_json(r);
    assert_int_equal(vnreq_from_json(j, now(), &back, &err), 0);
    assert_true(json_equal(back->nodes[0].limits, r->nodes[0].limits));
    json_decref(j);
    vnreq_destroy(back);
    vnreq_destroy(r);
}

/* "revisit: true" is read, kept by vnreq_to_json() and read back; absent,
 * it is false and not written. */
static void
test_revisit(void **state)
{
    static const char yaml[] = HEAD LINKS TIME "revisit: true\n";
    static const char plain[] = HEAD LINKS TIME;
    struct vnreq *r, *back;
    struct brk_error err;

    (void) state;
    assert_int_equal(vnreq_parse(yaml, strlen(yaml), now(), &r, &err), 0);
    assert_true(r->revisit);
    json_t *j = vnreq_to_json(r);
    assert_true(json_is_true(json_object_get(j, "revisit")));
    assert_int_equal(vnreq_from_json(j, now(), &back, &err), 0);
    assert_true(back->revisit);
    json_decref(j);
    vnreq_destroy(back);
    vnreq_destroy(r);

    assert_int_equal(vnreq_parse(plain, strlen(plain), now(), &r, &err), 0);
    assert_false(r->revisit);
    j = vnreq_to_json(r);
    assert_null(json_object_get(j, "revisit"));
    json_decref(j);
    vnreq_destroy(r);
}

/* A start a few seconds in the past (clock skew) counts as now. */
static void
test_start_slack(void **state)
{
    static const char yaml[] = HEAD LINKS
        "time: {start: \"2029-12-31T11:59:30Z\", duration: 1h}\n";
    struct vnreq *r;
    struct brk_error err;

    (void) state;
    assert_int_equal(vnreq_parse(yaml, strlen(yaml), now(), &r, &err), 0);
    assert_int_equal(r->start, now());
    assert_int_equal(r->end, now() + 3600);
    vnreq_destroy(r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples),
        cmocka_unit_test(test_triangle),
        cmocka_unit_test(test_json_yaml_and_window),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_start_slack),
        cmocka_unit_test(test_revisit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
