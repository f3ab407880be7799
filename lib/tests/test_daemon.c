/*
 * Unit tests of lib/daemon (pidfiles, the pid check, the signalfd),
 * lib/dpdk_files (removal of a runtime directory) and util's mkdir_p().
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "dpdk_files.h"
#include "util.h"

static char dir[64];
static const char *argv0;       /* this test's own argv[0] */

static int
setup(void **state)
{
    (void) state;
    snprintf(dir, sizeof dir, "/tmp/lamina-test-daemon-%d", (int) getpid());
    return mkdir_p(dir, 0700);
}

static int
teardown(void **state)
{
    char *cmd = xasprintf("rm -rf %s", dir);
    int rc = system(cmd);

    (void) state;
    free(cmd);
    return rc;
}

static void
test_mkdir_p(void **state)
{
    char *deep = xasprintf("%s/a/b/c", dir);
    char *file = xasprintf("%s/x/y/file.json", dir);
    char *parent = xasprintf("%s/x/y", dir);
    char *blocked = xasprintf("%s/a/b/c/d", dir);
    struct stat st;
    FILE *f;

    (void) state;
    assert_int_equal(mkdir_p(deep, 0750), 0);
    assert_int_equal(mkdir_p(deep, 0750), 0);           /* idempotent */
    assert_int_equal(stat(deep, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(mkdir_parent(file, 0700), 0);
    assert_int_equal(stat(parent, &st), 0);
    assert_int_equal(stat(file, &st), -1);              /* only its dir */
    assert_int_equal(mkdir_p("", 0700), 0);
    assert_int_equal(mkdir_parent("relative-file", 0700), 0);   /* "." */

    /* A file in the way. */
    f = fopen(blocked, "w");
    assert_non_null(f);
    fclose(f);
    free(blocked);
    blocked = xasprintf("%s/a/b/c/d/e", dir);
    assert_int_equal(mkdir_p(blocked, 0700), ENOTDIR);

    free(deep);
    free(file);
    free(parent);
    free(blocked);
}

static void
test_pidfile(void **state)
{
    char *path = xasprintf("%s/run/daemon.pid", dir);
    char msg[512];
    char *bad;

    (void) state;
    /* No directory: an error naming the path; nothing to read. */
    assert_int_equal(daemon_pidfile_write(path, msg, sizeof msg), ENOENT);
    assert_non_null(strstr(msg, path));
    assert_int_equal(daemon_pidfile_read(path), 0);

    assert_int_equal(mkdir_parent(path, 0755), 0);
    assert_int_equal(daemon_pidfile_write(path, msg, sizeof msg), 0);
    assert_int_equal(daemon_pidfile_read(path), getpid());

    /* Garbage reads as no pid. */
    bad = xasprintf("%s/bad.pid", dir);
    FILE *f = fopen(bad, "w");
    assert_non_null(f);
    fputs("not a pid\n", f);
    fclose(f);
    assert_int_equal(daemon_pidfile_read(bad), 0);

    /* Is the pid ours?  This process has its argv[0] among its
     * arguments, and not a made-up one. */
    assert_true(daemon_pid_has_arg(getpid(), argv0));
    assert_false(daemon_pid_has_arg(getpid(), "--surely-not-an-argument"));
    assert_false(daemon_pid_has_arg(0, "x"));
    assert_false(daemon_pid_has_arg(-1, "x"));
    free(path);
    free(bad);
}

static void
test_signals(void **state)
{
    int fd = daemon_signals_open();

    (void) state;
    assert_true(fd >= 0);
    assert_int_equal(daemon_signals_read(fd), 0);       /* none pending */
    assert_int_equal(kill(getpid(), SIGHUP), 0);        /* blocked: queued */
    assert_int_equal(daemon_signals_read(fd), SIGHUP);
    assert_int_equal(raise(SIGTERM), 0);
    assert_int_equal(daemon_signals_read(fd), SIGTERM);
    assert_int_equal(raise(SIGPIPE), 0);                /* ignored */
    close(fd);
}

static void
test_dpdk_files(void **state)
{
    char *runtime = xasprintf("%s/dpdk/lt-prefix", dir);
    char *inner = xasprintf("%s/mp_socket", runtime);
    char *elsewhere = xasprintf("%s/not-dpdk", dir);
    struct stat st;
    FILE *f;

    (void) state;
    assert_int_equal(mkdir_p(runtime, 0700), 0);
    f = fopen(inner, "w");
    assert_non_null(f);
    fclose(f);
    dpdk_files_remove(runtime, "lt-prefix-that-has-no-hugepage-files");
    assert_int_equal(stat(runtime, &st), -1);

    /* A directory that is not a DPDK runtime directory is left alone. */
    assert_int_equal(mkdir_p(elsewhere, 0700), 0);
    dpdk_files_remove(elsewhere, NULL);
    assert_int_equal(stat(elsewhere, &st), 0);
    dpdk_files_remove(NULL, NULL);                      /* nothing to do */

    /* Probing hugepages never fails; 0 when none are mounted. */
    (void) dpdk_files_hugepages_free_mb();

    free(runtime);
    free(inner);
    free(elsewhere);
}

int
main(int argc, char *argv[])
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mkdir_p, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pidfile, setup, teardown),
        cmocka_unit_test(test_signals),
        cmocka_unit_test_setup_teardown(test_dpdk_files, setup, teardown),
    };
    (void) argc;
    argv0 = argv[0];
    return cmocka_run_group_tests(tests, NULL, NULL);
}
