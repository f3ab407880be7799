/*
 * switchd_state: lamina-switchd's configuration on disk.
 *
 * The state file holds exactly what dp_config_to_json() returns: an
 * object with one array per kind of object, in the order they must be
 * created again (a port needs its switch, a vport its vnode and port, a
 * virtual link its vnodes and links):
 *
 *     {"switches": [...], "ports": [...], "links": [...], "slices": [...],
 *      "queues": [...], "vnodes": [...], "vports": [...], "vlinks": [...]}
 *
 * Each element has the same members as the params of the RPC method that
 * creates it (switchd_state_sections[] pairs them), so restoring the file
 * is replaying those requests through the daemon's own validation; see
 * switchd_rpc_replay().
 *
 * The file is written after every successful change: to "FILE.tmp",
 * fsync'd, renamed over FILE, and the directory fsync'd, so a crash
 * leaves either the old or the new file, never half of one.
 *
 * Reading checks the shape only (an object whose known members are arrays
 * of objects); members are checked one by one when they are replayed.
 * Unknown top-level members are ignored so that a newer daemon's file
 * still loads.
 */
#ifndef LAMINA_SWITCHD_STATE_H
#define LAMINA_SWITCHD_STATE_H 1

#include <stddef.h>

#include <jansson.h>

struct switchd_state_section {
    const char *key;            /* member of the state file */
    const char *method;         /* RPC method that creates one element */
};

/* The sections in replay order, terminated by { NULL, NULL }. */
extern const struct switchd_state_section switchd_state_sections[];

/* Reads the state file 'path' into '*config' (a new reference).
 * Returns 0, ENOENT if there is no file (not an error for a first
 * start), or another positive errno with 'msg' naming the problem (the
 * line and column of a JSON error, or the member of the wrong type). */
int switchd_state_read(const char *path, json_t **config, char *msg,
                       size_t msg_size);

/* Checks the shape of 'config' as switchd_state_read() does. */
int switchd_state_check(const json_t *config, char *msg, size_t msg_size);

/* Writes 'config' to 'path' atomically.  Returns 0 or a positive errno
 * with 'msg' filled. */
int switchd_state_write(const char *path, const json_t *config, char *msg,
                        size_t msg_size);

/* Creates directory 'dir' and its parents (mode 0755) as needed. */
int switchd_mkdirs(const char *dir);

#endif /* LAMINA_SWITCHD_STATE_H */
