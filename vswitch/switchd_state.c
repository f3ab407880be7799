/* switchd_state: reading and writing lamina-switchd's state file. */
#include "switchd_state.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* Largest state file read: a switch full of slices is a few MiB. */
#define SWITCHD_STATE_MAX (256 * 1024 * 1024)

const struct switchd_state_section switchd_state_sections[] = {
    { "switches", "switch.add" },
    { "ports",    "port.add" },
    { "links",    "link.add" },
    { "slices",   "slice.add" },
    { "queues",   "queue.set" },
    { "vnodes",   "vnode.add" },
    { "vports",   "vport.add" },
    { "vlinks",   "vlink.add" },
    { NULL, NULL },
};

int
switchd_state_check(const json_t *config, char *msg, size_t msg_size)
{
    if (!json_is_object(config)) {
        snprintf(msg, msg_size, "the top level must be an object");
        return EINVAL;
    }
    for (const struct switchd_state_section *s = switchd_state_sections;
         s->key; s++) {
        const json_t *array = json_object_get(config, s->key);
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
switchd_state_read(const char *path, json_t **config, char *msg,
                   size_t msg_size)
{
    json_error_t jerr;
    struct stat st;
    json_t *json;
    int error;

    *config = NULL;
    if (stat(path, &st) < 0) {
        error = errno;
        snprintf(msg, msg_size, "%s: %s", path, strerror(error));
        return error;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(msg, msg_size, "%s: not a regular file", path);
        return EINVAL;
    }
    if (st.st_size > SWITCHD_STATE_MAX) {
        snprintf(msg, msg_size, "%s: larger than %d bytes", path,
                 SWITCHD_STATE_MAX);
        return EFBIG;
    }
    json = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!json) {
        snprintf(msg, msg_size, "%s:%d:%d: %s", path, jerr.line, jerr.column,
                 jerr.text);
        return EINVAL;
    }
    error = switchd_state_check(json, msg + 0, msg_size);
    if (error) {
        char detail[256];
        str_copy(detail, msg, sizeof detail);
        snprintf(msg, msg_size, "%s: %s", path, detail);
        json_decref(json);
        return error;
    }
    *config = json;
    return 0;
}

/* fsyncs the directory that holds 'path'. */
static int
fsync_parent(const char *path)
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
switchd_state_write(const char *path, const json_t *config, char *msg,
                    size_t msg_size)
{
    char *tmp = xasprintf("%s.tmp", path);
    char *text = json_dumps(config, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    size_t len, ofs = 0;
    int fd, error = 0;

    if (!text) {
        snprintf(msg, msg_size, "%s: cannot serialize the configuration",
                 path);
        free(tmp);
        return ENOMEM;
    }
    len = strlen(text);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        error = errno;
        snprintf(msg, msg_size, "%s: %s", tmp, strerror(error));
        goto out;
    }
    while (ofs < len) {
        ssize_t n = write(fd, text + ofs, len - ofs);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            error = n < 0 ? errno : EIO;
            break;
        }
        ofs += n;
    }
    if (!error && (write(fd, "\n", 1) != 1 || fsync(fd) < 0)) {
        error = errno ? errno : EIO;
    }
    if (close(fd) < 0 && !error) {
        error = errno;
    }
    if (!error && rename(tmp, path) < 0) {
        error = errno;
    }
    if (error) {
        snprintf(msg, msg_size, "%s: %s", path, strerror(error));
        unlink(tmp);
        goto out;
    }
    fsync_parent(path);
out:
    free(text);
    free(tmp);
    return error;
}

int
switchd_mkdirs(const char *dir)
{
    char *copy = xstrdup(dir);
    int error = 0;

    for (char *p = copy + 1; ; p++) {
        if (*p == '/' || !*p) {
            char saved = *p;
            *p = '\0';
            if (mkdir(copy, 0755) < 0 && errno != EEXIST) {
                error = errno;
                break;
            }
            *p = saved;
            if (!saved) {
                break;
            }
        }
    }
    free(copy);
    return error;
}
