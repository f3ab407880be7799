/* statefile: writing, reading, replaying and reverting state documents. */
#include "statefile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonrpc.h"
#include "log.h"
#include "util.h"

#define MOD "statefile"

/* Opens 'tmp' for writing, refusing to follow a link.  A regular file of
 * ours already there is what a crash between open and rename leaves: it
 * is removed and the open tried again, once. */
static int
statefile_open_tmp(const char *tmp, mode_t mode, int *fdp)
{
    const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;

    for (int attempt = 0; attempt < 2; attempt++) {
        struct stat st;
        int fd = open(tmp, flags, mode);

        if (fd >= 0) {
            *fdp = fd;
            return 0;
        }
        if (errno != EEXIST || attempt) {
            return errno;
        }
        if (lstat(tmp, &st) < 0) {
            return errno;
        }
        if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()
            || st.st_nlink != 1) {
            return EEXIST;      /* a link, or not ours: never follow it */
        }
        if (unlink(tmp) < 0 && errno != ENOENT) {
            return errno;
        }
    }
    return EEXIST;
}

/* fsyncs the directory that holds 'path'. */
static int
statefile_fsync_dir(const char *path)
{
    char *copy = xstrdup(path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int error = 0;

    if (fd < 0 || fsync(fd) < 0) {
        error = errno;
    }
    if (fd >= 0) {
        close(fd);
    }
    free(copy);
    return error;
}

int
statefile_write_text(const char *path, const char *text, size_t len,
                     mode_t mode, char *msg, size_t msg_size)
{
    char *tmp = xasprintf("%s.tmp", path);
    const char *where = tmp;
    const char *step = "open";
    size_t ofs = 0;
    int fd = -1, error;

    error = statefile_open_tmp(tmp, mode, &fd);
    if (error == EEXIST) {
        snprintf(msg, msg_size, "%s: exists and is not a regular file of "
                 "ours (a symbolic link?): refusing to write through it",
                 tmp);
        goto out;
    }
    while (!error && ofs < len) {
        ssize_t n = write(fd, text + ofs, len - ofs);

        step = "write";
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            error = n < 0 ? errno : EIO;
        } else {
            ofs += n;
        }
    }
    if (!error && fsync(fd) < 0) {
        step = "fsync";
        error = errno;
    }
    if (fd >= 0 && close(fd) < 0 && !error) {
        step = "close";
        error = errno;
    }
    if (!error && rename(tmp, path) < 0) {
        step = "rename";
        where = path;
        error = errno;
    }
    if (!error) {
        step = "fsync of the directory";
        where = path;
        error = statefile_fsync_dir(path);
    }
    if (error) {
        snprintf(msg, msg_size, "%s: %s: %s", where, step, strerror(error));
        if (fd >= 0) {
            unlink(tmp);
        }
    }
out:
    free(tmp);
    return error;
}

int
statefile_check_dir(const char *path, char *msg, size_t msg_size)
{
    char *copy = xstrdup(path);
    const char *dir = dirname(copy);
    struct stat st;
    int error = 0;

    if (stat(dir, &st) < 0) {
        error = errno;
        snprintf(msg, msg_size, "%s: %s", dir, strerror(error));
    } else if (st.st_uid != geteuid() && st.st_uid != 0) {
        error = EPERM;
        snprintf(msg, msg_size, "%s: owned by uid %u, not by this daemon "
                 "(uid %u)", dir, (unsigned int) st.st_uid,
                 (unsigned int) geteuid());
    } else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        error = EPERM;
        snprintf(msg, msg_size, "%s: writable by %s (mode %04o): they can "
                 "block saving the state%s", dir,
                 st.st_mode & S_IWOTH ? "everyone" : "its group",
                 (unsigned int) (st.st_mode & 07777),
                 st.st_mode & S_ISVTX ? "" : " or replace the file");
    }
    free(copy);
    return error;
}

int
statefile_write(const char *path, const json_t *doc, mode_t mode,
                char *msg, size_t msg_size)
{
    char *text = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    int error;

    if (!text) {
        snprintf(msg, msg_size, "%s: cannot serialize the configuration",
                 path);
        return ENOMEM;
    }
    text = xrealloc(text, strlen(text) + 2);
    strcat(text, "\n");
    error = statefile_write_text(path, text, strlen(text), mode, msg,
                                 msg_size);
    free(text);
    return error;
}

int
statefile_check(const json_t *doc, const struct statefile_section *sections,
                char *msg, size_t msg_size)
{
    if (!json_is_object(doc)) {
        snprintf(msg, msg_size, "the top level must be an object");
        return EINVAL;
    }
    for (const struct statefile_section *s = sections; s && s->key; s++) {
        const json_t *array = json_object_get(doc, s->key);
        size_t i;
        json_t *elem;

        if (!array) {
            continue;
        }
        if (!json_is_array(array)) {
            snprintf(msg, msg_size, "member \"%s\" must be an array", s->key);
            return EINVAL;
        }
        json_array_foreach(array, i, elem) {
            if (!json_is_object(elem)) {
                snprintf(msg, msg_size, "element %zu of \"%s\" must be an "
                         "object", i, s->key);
                return EINVAL;
            }
        }
    }
    return 0;
}

int
statefile_read(const char *path, const struct statefile_section *sections,
               json_t **docp, char *msg, size_t msg_size)
{
    json_error_t jerr;
    struct stat st;
    json_t *doc;
    int error;

    *docp = NULL;
    if (stat(path, &st) < 0) {
        error = errno;
        snprintf(msg, msg_size, "%s: %s", path, strerror(error));
        return error;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(msg, msg_size, "%s: not a regular file", path);
        return EINVAL;
    }
    if (st.st_size > STATEFILE_MAX) {
        snprintf(msg, msg_size, "%s: larger than %d bytes", path,
                 STATEFILE_MAX);
        return EFBIG;
    }
    doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        snprintf(msg, msg_size, "%s:%d:%d: %s", path, jerr.line, jerr.column,
                 jerr.text);
        return EINVAL;
    }
    if (sections) {
        char detail[256];

        error = statefile_check(doc, sections, detail, sizeof detail);
        if (error) {
            snprintf(msg, msg_size, "%s: %s", path, detail);
            json_decref(doc);
            return error;
        }
    }
    *docp = doc;
    return 0;
}

/* ---- Replay --------------------------------------------------------------- */

/* Calls 'method' with 'params'; on failure logs 'verb' with the reason. */
static int
statefile_call(struct jsonrpc_server *server, const char *what,
               const char *key, size_t i, const char *method,
               const json_t *params, const char *verb)
{
    struct jsonrpc_error err = { 0 };
    json_t *result;
    int error = jsonrpc_server_call(server, method, params, &result, &err);

    if (error) {
        char *text = json_dumps(params, JSON_COMPACT);
        LOG_WARN(MOD, "%s: %s[%zu] %s NOT %s: %s", what, key, i,
                 text ? text : "", verb, err.message);
        free(text);
        jsonrpc_error_clear(&err);
    }
    json_decref(result);
    return error;
}

void
statefile_replay(struct jsonrpc_server *server,
                 const struct statefile_schema *schema, const json_t *doc,
                 unsigned int *n_applied, unsigned int *n_refused)
{
    *n_applied = *n_refused = 0;
    for (const struct statefile_section *s = schema->sections; s->key; s++) {
        size_t i;
        json_t *elem;

        json_array_foreach(json_object_get(doc, s->key), i, elem) {
            if (schema->is_derived && schema->is_derived(doc, s->key, elem)) {
                continue;
            }
            if (statefile_call(server, schema->what, s->key, i, s->add, elem,
                               "restored")) {
                (*n_refused)++;
            } else {
                (*n_applied)++;
            }
        }
    }
}

int
statefile_restore(struct jsonrpc_server *server,
                  const struct statefile_schema *schema, const char *path,
                  mode_t mode, char *msg, size_t msg_size)
{
    unsigned int n_applied, n_refused;
    json_t *doc;
    int error;

    error = statefile_read(path, schema->sections, &doc, msg, msg_size);
    if (error) {
        return error;
    }
    statefile_replay(server, schema, doc, &n_applied, &n_refused);
    if (n_refused) {
        char *keep = xasprintf("%s.rejected", path);
        char wmsg[512];

        LOG_WARN(MOD, "%s %s: %u objects restored, %u NOT restored "
                 "(reasons above); the original is kept as %s",
                 schema->what, path, n_applied, n_refused, keep);
        if (statefile_write(keep, doc, mode, wmsg, sizeof wmsg)) {
            LOG_WARN(MOD, "%s", wmsg);
        }
        free(keep);
    } else {
        LOG_INFO(MOD, "restored %u objects from %s", n_applied, path);
    }
    json_decref(doc);
    return 0;
}

/* ---- Revert --------------------------------------------------------------- */

/* True if 'a' and 'b' agree on every member of 'id'. */
static bool
statefile_same_id(const struct statefile_section *s, const json_t *a,
                  const json_t *b)
{
    for (const char *const *m = s->id; *m; m++) {
        if (!json_equal(json_object_get(a, *m), json_object_get(b, *m))) {
            return false;
        }
    }
    return true;
}

/* The element of 'array' with the same id as 'elem', or NULL. */
static const json_t *
statefile_find(const struct statefile_section *s, const json_t *array,
               const json_t *elem)
{
    size_t i;
    json_t *other;

    json_array_foreach(array, i, other) {
        if (statefile_same_id(s, other, elem)) {
            return other;
        }
    }
    return NULL;
}

/* The params that name 'elem': its 'id' members. */
static json_t *
statefile_id_params(const struct statefile_section *s, const json_t *elem)
{
    json_t *params = json_object();

    for (const char *const *m = s->id; *m; m++) {
        json_t *v = json_object_get(elem, *m);
        if (v) {
            json_object_set(params, *m, v);
        }
    }
    return params;
}

/* The params that change 'now' back into 'before' through s->set, or NULL
 * if 'set' cannot (no such method, or they differ in a member it does not
 * take, or in one whose default is not known). */
static json_t *
statefile_set_params(const struct statefile_section *s, const json_t *now,
                     const json_t *before)
{
    json_t *defaults = s->set_defaults
                       ? json_loads(s->set_defaults, 0, NULL) : NULL;
    json_t *params = NULL;
    const char *key;
    json_t *v;

    if (!s->set) {
        goto out;
    }
    /* Every member that differs must be settable. */
    for (int pass = 0; pass < 2; pass++) {
        const json_t *a = pass ? before : now, *b = pass ? now : before;
        json_object_foreach((json_t *) a, key, v) {
            bool settable = false;
            if (json_equal(v, json_object_get(b, key))) {
                continue;
            }
            for (const char *const *m = s->set_keys; m && *m; m++) {
                settable |= !strcmp(*m, key);
            }
            if (!settable) {
                goto out;
            }
        }
    }
    params = statefile_id_params(s, before);
    for (const char *const *m = s->set_keys; m && *m; m++) {
        v = json_object_get(before, *m);
        if (!v) {
            v = json_object_get(defaults, *m);
        }
        if (v) {
            json_object_set(params, *m, v);
        } else if (json_object_get(now, *m)) {
            json_decref(params);        /* no way to say "as by default" */
            params = NULL;
            goto out;
        }
    }
out:
    json_decref(defaults);
    return params;
}

unsigned int
statefile_revert(struct jsonrpc_server *server,
                 const struct statefile_schema *schema, const json_t *before,
                 void *aux)
{
    const struct statefile_section *sections = schema->sections;
    unsigned int n_failed = 0;
    size_t n_sections = 0;
    const char *what = "undo";

    while (sections[n_sections].key) {
        n_sections++;
    }

    /* Delete what 'before' lacks, and what only a delete can change back:
     * last section first, since a vport needs its vnode. */
    for (size_t k = n_sections; k-- > 0; ) {
        const struct statefile_section *s = &sections[k];
        json_t *now = schema->current(aux);
        const json_t *old = json_object_get(before, s->key);
        size_t i;
        json_t *elem;

        json_array_foreach(json_object_get(now, s->key), i, elem) {
            const json_t *prev = statefile_find(s, old, elem);
            json_t *params;

            if (prev && json_equal(prev, elem)) {
                continue;
            }
            if (prev && (params = statefile_set_params(s, elem, prev))) {
                json_decref(params);        /* changed back below */
                continue;
            }
            if (!s->del) {
                LOG_ERR(MOD, "%s: %s[%zu] cannot be deleted (there is no "
                        "method for it)", what, s->key, i);
                n_failed++;
                continue;
            }
            params = statefile_id_params(s, elem);
            /* An element made by another one may be gone already. */
            if (statefile_call(server, what, s->key, i, s->del, params,
                               "deleted")) {
                n_failed++;
            }
            json_decref(params);
        }
        json_decref(now);
    }

    /* Add back what is missing and change back what changed. */
    for (size_t k = 0; k < n_sections; k++) {
        const struct statefile_section *s = &sections[k];
        json_t *now = schema->current(aux);
        size_t i;
        json_t *elem;

        json_array_foreach(json_object_get(before, s->key), i, elem) {
            const json_t *cur = statefile_find(s, json_object_get(now, s->key),
                                               elem);
            json_t *params;

            if (cur && json_equal(cur, elem)) {
                continue;
            }
            if (cur) {
                params = statefile_set_params(s, cur, elem);
                if (!params || statefile_call(server, what, s->key, i, s->set,
                                              params, "changed back")) {
                    n_failed++;
                }
                json_decref(params);
            } else if (!schema->is_derived
                       || !schema->is_derived(before, s->key, elem)) {
                if (statefile_call(server, what, s->key, i, s->add, elem,
                                   "added back")) {
                    n_failed++;
                }
            }
        }
        json_decref(now);
    }
    return n_failed;
}

int
statefile_commit(struct jsonrpc_server *server,
                 const struct statefile_schema *schema, const char *path,
                 mode_t mode, json_t *doc, json_t **saved, void *aux,
                 struct jsonrpc_error *err)
{
    unsigned int n_failed;
    char msg[512];
    int error = 0;

    if (!doc) {
        snprintf(msg, sizeof msg, "no configuration to save");
        error = ENOMEM;
    } else if (path) {
        error = statefile_write(path, doc, mode, msg, sizeof msg);
    }
    if (!error) {
        json_decref(*saved);
        *saved = doc;
        return 0;
    }
    json_decref(doc);
    LOG_ERR(MOD, "cannot save the state, undoing the change: %s", msg);
    n_failed = statefile_revert(server, schema, *saved, aux);
    jsonrpc_error_set_errno(err, error, NULL, "the state could not be saved, "
                            "so the change was undone: %s%s", msg, n_failed
                            ? " (and the undo failed in part: see the "
                              "daemon's log)" : "");
    return error;
}
