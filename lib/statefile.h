/*
 * statefile: a daemon's configuration on disk, in the words of its RPC.
 *
 * What?
 * =====
 *
 * A daemon that is managed over JSON-RPC (lib/jsonrpc.h) keeps its
 * configuration in one JSON file, a "state document": an object with one
 * array per kind of object, each element holding exactly the params of
 * the method that creates it.  A table of sections names, in the order
 * they must be created, the member, the methods that add, delete and
 * change an element, and the members that name one:
 *
 *     {"slices": [{"name": "red", ...}], "flowspace": [...]}
 *
 * This module writes such a document durably, reads it back with precise
 * errors, restores it by replaying it through the daemon's own methods
 * (so a restored configuration passes exactly the checks a new one
 * would), and takes a running configuration back to an earlier document
 * (statefile_revert()), which is how a change that could not be saved is
 * undone.
 *
 * Durability
 * ==========
 *
 * statefile_write() writes "FILE.tmp" in FILE's own directory, fsyncs it,
 * renames it over FILE and fsyncs the directory, so a crash leaves either
 * the old or the new file, never half of one, and a write that returns 0
 * survives a power cut.  The temporary file is opened with O_CREAT |
 * O_EXCL | O_NOFOLLOW: a symbolic link (or anyone else's file) planted at
 * its name is refused, never followed; a regular file of our own left
 * there by a crash is removed first.  Every failure (open, write, fsync,
 * rename, the directory's fsync) is an error naming the path and the
 * errno text, and removes the temporary file.  The directory itself is
 * the daemon's to create at start (mkdir_p() in util.h).
 *
 * Restoring
 * =========
 *
 * statefile_restore() reads FILE (ENOENT when there is none: a first
 * start), checks its shape (an object whose known members are arrays of
 * objects; unknown members are ignored so that a newer daemon's file
 * still loads) and calls each element's "add" method in section order.
 * An element that is refused is logged with its reason and skipped; if
 * any was, the whole document is kept as "FILE.rejected" so nothing the
 * operator configured is lost.  A file that cannot be parsed is an error
 * with its line and column (jansson's), and the daemon should stop rather
 * than start empty and overwrite it at the next change.
 */
#ifndef LAMINA_STATEFILE_H
#define LAMINA_STATEFILE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

struct jsonrpc_server;

/* Largest state file read, in bytes. */
#define STATEFILE_MAX (256 * 1024 * 1024)

/* One kind of object of a state document. */
struct statefile_section {
    const char *key;            /* member of the document (an array) */
    const char *add;            /* method that creates one element */
    const char *del;            /* method that deletes one, given its 'id'
                                 * members; NULL if there is none */
    const char *set;            /* method that changes one in place, given
                                 * 'id' and 'set_keys'; NULL: delete, add */
    const char *const *id;      /* members that name an element */
    const char *const *set_keys;    /* what 'set' takes besides 'id' */
    const char *set_defaults;   /* JSON object: the value of a set_key that
                                 * an element leaves out; may be NULL */
};

/* How a daemon's documents are restored and reverted. */
struct statefile_schema {
    const char *what;           /* for messages, e.g. "state file" */
    const struct statefile_section *sections;  /* ends with key NULL */

    /* True if 'elem' of section 'key' of 'doc' is made by another element
     * (a link makes its end ports), so it is not added on its own.  May
     * be NULL. */
    bool (*is_derived)(const json_t *doc, const char *key,
                       const json_t *elem);

    /* The running configuration as a document (a new reference). */
    json_t *(*current)(void *aux);
};

/* Writes 'doc' to 'path' durably (see above), with permissions 'mode'.
 * Returns 0, or a positive errno with 'msg' naming the path and cause. */
int statefile_write(const char *path, const json_t *doc, mode_t mode,
                    char *msg, size_t msg_size);

/* The same for 'len' bytes of 'text' (for files that are not JSON). */
int statefile_write_text(const char *path, const char *text, size_t len,
                         mode_t mode, char *msg, size_t msg_size);

/* Checks that the directory of 'path' is the daemon's own: owned by this
 * user (or root) and writable by nobody else.  Returns 0, or a positive
 * errno with 'msg' saying what is wrong (EPERM: others could block or,
 * without the sticky bit, replace the file; the daemon should warn). */
int statefile_check_dir(const char *path, char *msg, size_t msg_size);

/* Reads 'path' into '*doc' (a new reference) and, if 'sections' is
 * nonnull, checks its shape.  Returns 0, ENOENT if there is no file, or
 * another positive errno with 'msg' saying "PATH:LINE:COLUMN: why" for a
 * JSON error, or naming the member of the wrong type. */
int statefile_read(const char *path, const struct statefile_section *,
                   json_t **doc, char *msg, size_t msg_size);

/* Checks the shape of 'doc' as statefile_read() does. */
int statefile_check(const json_t *doc, const struct statefile_section *,
                    char *msg, size_t msg_size);

/* Calls, in section order, each element's "add" method on 'server',
 * logging each one refused.  Stores the numbers applied and refused. */
void statefile_replay(struct jsonrpc_server *server,
                      const struct statefile_schema *, const json_t *doc,
                      unsigned int *n_applied, unsigned int *n_refused);

/* Reads 'path' and replays it; if something was refused, keeps 'doc' as
 * "PATH.rejected" (mode 'mode').  Returns 0, ENOENT (no file: nothing
 * done), or another errno with 'msg' when the file cannot be read (the
 * file is left as it is). */
int statefile_restore(struct jsonrpc_server *server,
                      const struct statefile_schema *, const char *path,
                      mode_t mode, char *msg, size_t msg_size);

/* Takes the running configuration back to 'before' through 'server''s
 * methods: elements that 'before' lacks are deleted (last section first),
 * elements it has are added or changed back (first section first), the
 * running configuration being read again ('schema->current(aux)') before
 * each section, since deleting or adding one element can delete or add
 * others.  Returns the number of steps that failed (each logged). */
unsigned int statefile_revert(struct jsonrpc_server *server,
                              const struct statefile_schema *,
                              const json_t *before, void *aux);

/* Acknowledges a change: writes 'doc' (taken over) to 'path' (NULL: no
 * file is kept) and makes it '*saved'.  If it cannot be written, takes
 * the running configuration back to '*saved' with statefile_revert(),
 * fills 'err' with an application error that says the state could not
 * be saved (the path and the errno text) and returns that errno; the
 * caller's commit hook returns it so that the client is told
 * (jsonrpc_server_set_hooks()). */
struct jsonrpc_error;
int statefile_commit(struct jsonrpc_server *server,
                     const struct statefile_schema *, const char *path,
                     mode_t mode, json_t *doc, json_t **saved, void *aux,
                     struct jsonrpc_error *err);

#endif /* LAMINA_STATEFILE_H */
