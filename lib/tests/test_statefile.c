/*
 * Unit tests of lib/statefile: the durable write (a link at the temporary
 * name refused, failures named, relative paths), reading with line and
 * column, and replaying and reverting a document through a real JSON-RPC
 * server whose methods keep a small configuration of items and their subs.
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

#include "jsonrpc.h"
#include "statefile.h"
#include "util.h"

static char dir[64];

static int
setup(void **state)
{
    (void) state;
    snprintf(dir, sizeof dir, "/tmp/lamina-test-statefile-%d", (int) getpid());
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

/* The whole content of 'path' (or NULL). */
static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *text = xzalloc(65536);

    if (!f) {
        free(text);
        return NULL;
    }
    if (fread(text, 1, 65535, f)) {
        /* what was read is in 'text' */
    }
    fclose(f);
    return text;
}

static void
test_write_read(void **state)
{
    json_t *doc = json_pack("{s:[{s:s, s:i}]}", "items", "name", "a",
                            "size", 1);
    char *path = xasprintf("%s/state.json", dir);
    char *tmp = xasprintf("%s.tmp", path);
    json_t *back;
    struct stat st;
    char msg[512];

    (void) state;
    assert_int_equal(statefile_write(path, doc, 0600, msg, sizeof msg), 0);
    assert_int_equal(stat(tmp, &st), -1);               /* renamed away */
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(statefile_read(path, NULL, &back, msg, sizeof msg), 0);
    assert_true(json_equal(doc, back));
    json_decref(back);

    /* A regular file of ours at the temporary name (a crash's leftover)
     * is replaced. */
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fputs("half a file", f);
    fclose(f);
    assert_int_equal(statefile_write(path, doc, 0600, msg, sizeof msg), 0);
    assert_int_equal(stat(tmp, &st), -1);

    /* A relative path: the directory fsync'd is ".". */
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(statefile_write("relative.json", doc, 0600, msg,
                                     sizeof msg), 0);
    assert_int_equal(chdir(cwd), 0);
    free(path);
    path = xasprintf("%s/relative.json", dir);
    assert_int_equal(statefile_read(path, NULL, &back, msg, sizeof msg), 0);
    assert_true(json_equal(doc, back));
    json_decref(back);

    json_decref(doc);
    free(path);
    free(tmp);
}

static void
test_write_refuses_link(void **state)
{
    json_t *doc = json_pack("{s:[]}", "items");
    char *path = xasprintf("%s/state.json", dir);
    char *tmp = xasprintf("%s.tmp", path);
    char *victim = xasprintf("%s/victim", dir);
    char *text;
    struct stat st;
    char msg[512];
    FILE *f;

    (void) state;
    f = fopen(victim, "w");
    assert_non_null(f);
    fputs("precious", f);
    fclose(f);
    assert_int_equal(symlink(victim, tmp), 0);
    assert_int_equal(statefile_write(path, doc, 0600, msg, sizeof msg),
                     EEXIST);
    if (!strstr(msg, tmp) || !strstr(msg, "symbolic link")) {
        fail_msg("message \"%s\" does not name the link", msg);
    }
    text = slurp(victim);
    assert_string_equal(text, "precious");              /* not written */
    free(text);
    assert_int_equal(stat(path, &st), -1);              /* nothing saved */
    assert_int_equal(lstat(tmp, &st), 0);               /* left alone */
    assert_true(S_ISLNK(st.st_mode));

    /* A dangling link is refused too (O_EXCL | O_NOFOLLOW). */
    unlink(tmp);
    assert_int_equal(symlink("/nonexistent/lamina-target", tmp), 0);
    assert_int_equal(statefile_write(path, doc, 0600, msg, sizeof msg),
                     EEXIST);
    assert_int_equal(stat("/nonexistent/lamina-target", &st), -1);

    json_decref(doc);
    free(path);
    free(tmp);
    free(victim);
}

static void
test_check_dir(void **state)
{
    char *path = xasprintf("%s/state.json", dir);
    char msg[512];

    (void) state;
    assert_int_equal(chmod(dir, 0700), 0);
    assert_int_equal(statefile_check_dir(path, msg, sizeof msg), 0);
    assert_int_equal(chmod(dir, 0777), 0);
    assert_int_equal(statefile_check_dir(path, msg, sizeof msg), EPERM);
    if (!strstr(msg, "everyone") || !strstr(msg, "replace")) {
        fail_msg("message \"%s\"", msg);
    }
    assert_int_equal(chmod(dir, 01777), 0);
    assert_int_equal(statefile_check_dir(path, msg, sizeof msg), EPERM);
    assert_null(strstr(msg, "replace"));        /* sticky: only block */
    assert_int_equal(chmod(dir, 0700), 0);
    free(path);
}

static void
test_write_failures(void **state)
{
    json_t *doc = json_pack("{s:[]}", "items");
    char *path = xasprintf("%s/nope/state.json", dir);
    char *tmp;
    struct stat st;
    char msg[512];

    (void) state;
    /* A directory that does not exist: the path and the errno text. */
    assert_int_equal(statefile_write(path, doc, 0600, msg, sizeof msg),
                     ENOENT);
    if (!strstr(msg, path) || !strstr(msg, strerror(ENOENT))) {
        fail_msg("message \"%s\" lacks the path or the cause", msg);
    }

    /* The rename fails (a directory where the file should be): the step
     * is named and the temporary file removed. */
    free(path);
    path = xasprintf("%s/isdir", dir);
    tmp = xasprintf("%s.tmp", path);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(statefile_write(path, doc, 0600, msg, sizeof msg),
                     EISDIR);
    if (!strstr(msg, "rename") || !strstr(msg, strerror(EISDIR))) {
        fail_msg("message \"%s\" does not name the rename", msg);
    }
    assert_int_equal(stat(tmp, &st), -1);

    json_decref(doc);
    free(path);
    free(tmp);
}

/* Writes 'text' to 'name' in 'dir'; returns its path. */
static char *
write_file(const char *name, const char *text)
{
    char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static const struct statefile_section sections[] = {
    { "items", "item.add", "item.del", "item.set",
      (const char *const[]) { "name", NULL },
      (const char *const[]) { "size", NULL }, "{\"size\": 0}" },
    { "subs", "sub.add", "sub.del", NULL,
      (const char *const[]) { "item", "name", NULL }, NULL, NULL },
    { NULL, NULL, NULL, NULL, NULL, NULL, NULL },
};

static void
expect_read_error(const char *text, const char *needle)
{
    char *path = write_file("bad.json", text);
    json_t *doc = (json_t *) 1;
    char msg[512] = "";

    assert_int_equal(statefile_read(path, sections, &doc, msg, sizeof msg),
                     EINVAL);
    assert_null(doc);
    if (!strstr(msg, needle)) {
        fail_msg("message \"%s\" lacks \"%s\"", msg, needle);
    }
    free(path);
}

static void
test_read_errors(void **state)
{
    char *path = xasprintf("%s/missing.json", dir);
    json_t *doc;
    char msg[512];

    (void) state;
    assert_int_equal(statefile_read(path, sections, &doc, msg, sizeof msg),
                     ENOENT);
    free(path);
    expect_read_error("{\n  \"items\": [\n    {\"name\": \"a\",}\n  ]\n}\n",
                      "bad.json:3:");
    expect_read_error("{\"items\": []}\ngarbage", "bad.json:2:");
    expect_read_error("{\"items\": [1]}", "element 0 of \"items\"");
    expect_read_error("{\"subs\": {}}", "\"subs\" must be an array");
    expect_read_error("{\"items\": [], \"items\": []}", "duplicate");
}

/* ---- Replay and revert through a real server ------------------------- */

static json_t *config;          /* what the toy methods keep */

static json_t *
current(void *aux)
{
    (void) aux;
    return json_deep_copy(config);
}

/* The index of the element of 'key' with member 'k1' = 'v1' (and 'k2' =
 * 'v2' if nonnull), or -1. */
static int
find(const char *key, const char *k1, const char *v1, const char *k2,
     const char *v2)
{
    size_t i;
    json_t *e;

    json_array_foreach(json_object_get(config, key), i, e) {
        const char *a = json_string_value(json_object_get(e, k1));
        const char *b = k2 ? json_string_value(json_object_get(e, k2)) : NULL;
        if (a && !strcmp(a, v1) && (!k2 || (b && !strcmp(b, v2)))) {
            return i;
        }
    }
    return -1;
}

static const char *
str(const json_t *params, const char *key)
{
    const char *s = json_string_value(json_object_get(params, key));
    return s ? s : "";
}

static int
item_add(const json_t *params, json_t **result, struct jsonrpc_error *err,
         void *aux)
{
    (void) result;
    (void) aux;
    if (find("items", "name", str(params, "name"), NULL, NULL) >= 0) {
        jsonrpc_error_set_errno(err, EEXIST, "name", "exists");
        return EEXIST;
    }
    json_array_append_new(json_object_get(config, "items"),
                          json_deep_copy(params));
    return 0;
}

static int
item_del(const json_t *params, json_t **result, struct jsonrpc_error *err,
         void *aux)
{
    int i = find("items", "name", str(params, "name"), NULL, NULL);
    int k;

    (void) result;
    (void) aux;
    if (i < 0) {
        jsonrpc_error_set_errno(err, ENOENT, "name", "no such item");
        return ENOENT;
    }
    json_array_remove(json_object_get(config, "items"), i);
    while ((k = find("subs", "item", str(params, "name"), NULL, NULL)) >= 0) {
        json_array_remove(json_object_get(config, "subs"), k);   /* cascade */
    }
    return 0;
}

static int
item_set(const json_t *params, json_t **result, struct jsonrpc_error *err,
         void *aux)
{
    static const char *const keys[] = { "name", "size", NULL };
    int i = find("items", "name", str(params, "name"), NULL, NULL);

    (void) result;
    (void) aux;
    if (jsonrpc_params_check(params, keys, err)) {
        return EINVAL;
    }
    if (i < 0) {
        jsonrpc_error_set_errno(err, ENOENT, "name", "no such item");
        return ENOENT;
    }
    json_object_set(json_array_get(json_object_get(config, "items"), i),
                    "size", json_object_get(params, "size"));
    return 0;
}

static int
sub_add(const json_t *params, json_t **result, struct jsonrpc_error *err,
        void *aux)
{
    (void) result;
    (void) aux;
    if (find("items", "name", str(params, "item"), NULL, NULL) < 0) {
        jsonrpc_error_set_errno(err, ENOENT, "item", "no such item");
        return ENOENT;
    }
    json_array_append_new(json_object_get(config, "subs"),
                          json_deep_copy(params));
    return 0;
}

static int
sub_del(const json_t *params, json_t **result, struct jsonrpc_error *err,
        void *aux)
{
    int i = find("subs", "item", str(params, "item"), "name",
                 str(params, "name"));

    (void) result;
    (void) aux;
    if (i < 0) {
        jsonrpc_error_set_errno(err, ENOENT, "name", "no such sub");
        return ENOENT;
    }
    json_array_remove(json_object_get(config, "subs"), i);
    return 0;
}

static const struct jsonrpc_method methods[] = {
    { "item.add", item_add, NULL },
    { "item.del", item_del, NULL },
    { "item.set", item_set, NULL },
    { "sub.add", sub_add, NULL },
    { "sub.del", sub_del, NULL },
    { NULL, NULL, NULL },
};

static const struct statefile_schema schema = {
    .what = "test", .sections = sections, .current = current,
};

/* Calls 'method' with the JSON 'params'; asserts success. */
static void
call(struct jsonrpc_server *server, const char *method, const char *params)
{
    struct jsonrpc_error err = { 0 };
    json_t *p = json_loads(params, 0, NULL), *result;

    assert_non_null(p);
    if (jsonrpc_server_call(server, method, p, &result, &err)) {
        fail_msg("%s %s: %s", method, params, err.message);
    }
    json_decref(result);
    json_decref(p);
}

static void
test_restore_and_revert(void **state)
{
    struct jsonrpc_server *server = jsonrpc_server_create(methods, NULL);
    static const char text[] =
        "{\"items\": [{\"name\": \"a\", \"size\": 1}, {\"name\": \"b\"}],\n"
        " \"subs\": [{\"item\": \"a\", \"name\": \"x\"},\n"
        "          {\"item\": \"b\", \"name\": \"y\"},\n"
        "          {\"item\": \"ghost\", \"name\": \"z\"}],\n"
        " \"future\": 1}\n";
    char *path = write_file("restore.json", text);
    char *rejected = xasprintf("%s.rejected", path);
    json_t *before, *kept, *now, *expected;
    char msg[512];

    (void) state;
    config = json_pack("{s:[], s:[]}", "items", "subs");
    assert_int_equal(statefile_restore(server, &schema, path, 0600, msg,
                                       sizeof msg), 0);
    /* Everything but the sub of a missing item, and the whole document
     * kept aside because of it. */
    expected = json_loads("{\"items\": [{\"name\": \"a\", \"size\": 1}, "
                          "{\"name\": \"b\"}], \"subs\": [{\"item\": \"a\", "
                          "\"name\": \"x\"}, {\"item\": \"b\", \"name\": "
                          "\"y\"}]}", 0, NULL);
    assert_true(json_equal(config, expected));
    assert_int_equal(statefile_read(rejected, sections, &kept, msg,
                                    sizeof msg), 0);
    assert_int_equal(json_array_size(json_object_get(kept, "subs")), 3);
    json_decref(kept);

    /* Changes of every kind, then back. */
    before = json_deep_copy(config);
    call(server, "item.del", "{\"name\": \"b\"}");     /* and sub y */
    call(server, "item.add", "{\"name\": \"c\", \"size\": 3}");
    call(server, "item.set", "{\"name\": \"a\", \"size\": 5}");
    call(server, "sub.add", "{\"item\": \"c\", \"name\": \"w\"}");
    call(server, "sub.del", "{\"item\": \"a\", \"name\": \"x\"}");
    call(server, "item.set", "{\"name\": \"a\", \"size\": 5}");
    assert_false(json_equal(config, before));
    assert_int_equal(statefile_revert(server, &schema, before, NULL), 0);
    now = current(NULL);
    if (!json_equal(now, before)) {
        char *a = json_dumps(now, JSON_COMPACT);
        char *b = json_dumps(before, JSON_COMPACT);
        fail_msg("after revert %s, expected %s", a, b);
    }
    json_decref(now);

    /* A member the document leaves out takes the declared default. */
    call(server, "item.set", "{\"name\": \"b\", \"size\": 9}");
    assert_int_equal(statefile_revert(server, &schema, before, NULL), 0);
    now = current(NULL);
    assert_int_equal(json_integer_value(json_object_get(
        json_array_get(json_object_get(now, "items"), 1), "size")), 0);
    json_decref(now);

    json_decref(before);
    json_decref(expected);
    json_decref(config);
    jsonrpc_server_destroy(server);
    free(path);
    free(rejected);
}

/* ---- A message that cannot be saved --------------------------------- */

struct toy_daemon {
    struct jsonrpc_server *server;
    const char *path;
    json_t *saved;
};

static int
toy_commit(void *aux, struct jsonrpc_error *err)
{
    struct toy_daemon *d = aux;

    return statefile_commit(d->server, &schema, d->path, 0600,
                            current(NULL), &d->saved, NULL, err);
}

/* Handles the request line 'text'; returns the answer. */
static json_t *
handle(struct toy_daemon *d, const char *text)
{
    return jsonrpc_server_handle(d->server, text, strlen(text));
}

static void
test_commit(void **state)
{
    struct toy_daemon d = { 0 };
    char *good = xasprintf("%s/toy.json", dir);
    char *bad = xasprintf("%s/missing-dir/toy.json", dir);
    json_t *answer, *on_disk, *acked;
    char msg[512];

    (void) state;
    config = json_pack("{s:[], s:[]}", "items", "subs");
    d.server = jsonrpc_server_create(methods, NULL);
    d.saved = current(NULL);
    jsonrpc_server_set_hooks(d.server, NULL, toy_commit, &d);

    /* Saved: acknowledged, on disk. */
    d.path = good;
    answer = handle(&d, "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": "
                    "\"item.add\", \"params\": {\"name\": \"a\"}}");
    assert_non_null(json_object_get(answer, "result"));
    json_decref(answer);
    assert_int_equal(statefile_read(good, sections, &on_disk, msg,
                                    sizeof msg), 0);
    assert_true(json_equal(on_disk, config));
    json_decref(on_disk);
    acked = json_deep_copy(config);

    /* Not saved: a batch of a success, a failure and another success.
     * Both successes are answered with the save error, the failure keeps
     * its own, and nothing of the batch is left applied. */
    d.path = bad;
    answer = handle(&d,
        "[{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"item.add\", "
        "\"params\": {\"name\": \"b\"}},"
        " {\"jsonrpc\": \"2.0\", \"id\": 2, \"method\": \"item.add\", "
        "\"params\": {\"name\": \"a\"}},"
        " {\"jsonrpc\": \"2.0\", \"id\": 3, \"method\": \"item.del\", "
        "\"params\": {\"name\": \"a\"}}]");
    assert_int_equal(json_array_size(answer), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *error = json_object_get(json_array_get(answer, i), "error");
        const char *message = json_string_value(json_object_get(error,
                                                                "message"));

        assert_non_null(message);
        assert_int_equal(json_integer_value(json_object_get(
            json_array_get(answer, i), "id")), i + 1);
        if (i == 1) {
            assert_string_equal(message, "exists");
        } else if (!strstr(message, "could not be saved")
                   || !strstr(message, bad)
                   || !strstr(message, strerror(ENOENT))) {
            fail_msg("answer %zu: \"%s\"", i, message);
        }
    }
    json_decref(answer);
    assert_true(json_equal(config, acked));
    assert_true(json_equal(d.saved, acked));

    json_decref(acked);
    json_decref(d.saved);
    json_decref(config);
    jsonrpc_server_destroy(d.server);
    free(good);
    free(bad);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_refuses_link, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_write_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_and_revert, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_commit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
