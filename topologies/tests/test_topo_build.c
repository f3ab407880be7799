/*
 * Unit tests of topo_build's machines file (`lamina topo up --machines`).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "topo_build.h"

/* Writes 'text' to a temporary file; returns its path (free and unlink). */
static char *
write_tmp(const char *text)
{
    char *path = strdup("/tmp/test_topo_build.XXXXXX");
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    close(fd);
    return path;
}

/* Parses 'text'; returns the error, '*errp' the message. */
static int
parse(const char *text, struct topo_machines *ms, char **errp)
{
    char *path = write_tmp(text);
    int error = topo_machines_parse_file(path, ms, errp);

    unlink(path);
    free(path);
    return error;
}

static void
test_machines_good(void **state)
{
    struct topo_machines ms;
    char *err = NULL;

    (void) state;
    assert_int_equal(parse("# three machines\n"
                           "ma socket=/run/a.sock underlay=ul ip=192.0.2.1 "
                           "netns=na  # the first\n"
                           "\n"
                           "mb socket=/run/b.sock underlay=eth1 "
                           "ip=2001:db8::2\n", &ms, &err), 0);
    assert_null(err);
    assert_int_equal(ms.n, 2);
    assert_string_equal(ms.m[0].name, "ma");
    assert_string_equal(ms.m[0].socket, "/run/a.sock");
    assert_string_equal(ms.m[0].underlay, "ul");
    assert_string_equal(ms.m[0].ip, "192.0.2.1");
    assert_string_equal(ms.m[0].netns, "na");
    assert_string_equal(ms.m[1].ip, "2001:db8::2");
    assert_null(ms.m[1].netns);
    topo_machines_destroy(&ms);
    topo_machines_destroy(NULL);
}

static void
test_machines_bad(void **state)
{
    static const struct {
        const char *text, *msg;
    } cases[] = {
        { "", "no machine" },
        { "ma socket=/a underlay=ul\n", "ip= are required" },
        { "ma socket=/a underlay=ul ip=1.2.3.4 color=red\n", "color=red" },
        { "ma socket=/a underlay=ul ip=1.2.3.4 netns\n", "KEY=VALUE" },
        { "ma socket=/a underlay=ul ip=1.2.3.4\n"
          "mb socket=/b underlay=ul ip=1.2.3.4\n", ":2: machine mb" },
        { "ma socket=/a underlay=ul ip=1.2.3.4\n"
          "ma socket=/b underlay=ul ip=1.2.3.5\n", "also machine ma" },
        { "m/a socket=/a underlay=ul ip=1.2.3.4\n", "not valid" },
    };

    (void) state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct topo_machines ms = { .n = 99 };
        char *err = NULL;

        assert_int_not_equal(parse(cases[i].text, &ms, &err), 0);
        assert_non_null(err);
        if (!strstr(err, cases[i].msg)) {
            fail_msg("case %zu: \"%s\" does not say \"%s\"", i, err,
                     cases[i].msg);
        }
        assert_int_equal(ms.n, 0);
        assert_null(ms.m);
        free(err);
    }
}

static void
test_machines_no_file(void **state)
{
    struct topo_machines ms;
    char *err = NULL;

    (void) state;
    assert_int_not_equal(topo_machines_parse_file("/nonexistent/machines",
                                                  &ms, &err), 0);
    assert_non_null(strstr(err, "/nonexistent/machines"));
    free(err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_machines_good),
        cmocka_unit_test(test_machines_bad),
        cmocka_unit_test(test_machines_no_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
