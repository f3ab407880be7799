/* The SQLite backend of the store: one file in WAL mode. */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "brk_error.h"
#include "util.h"

/* Creates the directory of 'path' if it is the default one and missing. */
static void
make_default_dir(const char *path)
{
    if (!strcmp(path, STORE_DEFAULT_PATH)) {
        mkdir("/var/lib/lamina", 0750);
    }
}

/* Runs 'sql' (no parameters, no rows) on 'db'. */
static int
simple(sqlite3 *db, const char *sql, struct brk_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        brk_error_set(err, EIO, "sqlite: %s: %s", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return EIO;
    }
    return 0;
}

/* Opens (creating) the file 'target', in WAL mode with foreign keys on. */
static int
sqlite_open(const char *target, void **dbp, struct brk_error *err)
{
    sqlite3 *db;
    const char *path = target ? target : STORE_DEFAULT_PATH;

    make_default_dir(path);
    int rc = sqlite3_open_v2(path, &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                             | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        brk_error_set(err, EIO, "sqlite: cannot open %s: %s", path,
                      db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return EIO;
    }
    sqlite3_busy_timeout(db, 5000);

    /* WAL: readers do not block the writer; the default synchronous=FULL
     * keeps each commit (and so each intent) durable. */
    sqlite3_stmt *st;
    bool wal = false;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL)
        == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) {
            wal = !strcmp((const char *) sqlite3_column_text(st, 0), "wal");
        }
        sqlite3_finalize(st);
    }
    int error = wal ? 0 : brk_error_set(err, EIO, "sqlite: %s: cannot use "
                                        "WAL mode", path);
    if (!error) {
        error = simple(db, "PRAGMA foreign_keys=ON", err);
    }
    if (error) {
        sqlite3_close(db);
        return error;
    }
    *dbp = db;
    return 0;
}

static void
sqlite_close(void *db)
{
    if (db) {
        sqlite3_close(db);
    }
}

/* The errno for SQLite result 'rc'. */
static int
map_error(sqlite3 *db, int rc)
{
    switch (rc) {
    case SQLITE_CONSTRAINT:
        switch (sqlite3_extended_errcode(db)) {
        case SQLITE_CONSTRAINT_UNIQUE:
        case SQLITE_CONSTRAINT_PRIMARYKEY:
            return EEXIST;
        case SQLITE_CONSTRAINT_FOREIGNKEY:
            return ENOENT;
        default:
            return EINVAL;
        }
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return EBUSY;
    default:
        return EIO;
    }
}

/* Prepares 'sql', binds $1..$n by name (SQLite reads "$1" as a named
 * parameter), steps through it and copies the rows. */
static int
sqlite_exec(void *db_, const char *sql, const struct store_val *params,
            size_t n, struct store_rows *rows, int64_t *changes,
            struct brk_error *err)
{
    sqlite3 *db = db_;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

    if (rows) {
        memset(rows, 0, sizeof *rows);
    }
    if (rc != SQLITE_OK) {
        return brk_error_set(err, EIO, "sqlite: %s in: %s",
                             sqlite3_errmsg(db), sql);
    }
    for (size_t i = 0; i < n; i++) {
        char name[24];
        snprintf(name, sizeof name, "$%zu", i + 1);
        int idx = sqlite3_bind_parameter_index(st, name);
        if (!idx) {
            continue;
        }
        switch (params[i].type) {
        case STORE_NULL:
            sqlite3_bind_null(st, idx);
            break;
        case STORE_INT:
            sqlite3_bind_int64(st, idx, params[i].i);
            break;
        case STORE_TEXT:
            sqlite3_bind_text(st, idx, params[i].s, -1, SQLITE_TRANSIENT);
            break;
        }
    }

    size_t n_cols = sqlite3_column_count(st), allocated = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!rows) {
            continue;
        }
        rows->n_cols = n_cols;
        if ((rows->n_rows + 1) * n_cols > allocated) {
            allocated = MAX(16, 2 * (rows->n_rows + 1) * n_cols);
            rows->cells = xrealloc(rows->cells, allocated * sizeof *rows->cells);
        }
        for (size_t c = 0; c < n_cols; c++) {
            const unsigned char *v = sqlite3_column_text(st, c);
            rows->cells[rows->n_rows * n_cols + c] =
                v ? xstrdup((const char *) v) : NULL;
        }
        rows->n_rows++;
    }
    int error = 0;
    if (rc != SQLITE_DONE) {
        error = brk_error_set(err, map_error(db, rc), "sqlite: %s",
                              sqlite3_errmsg(db));
        store_rows_clear(rows);
    } else if (changes) {
        *changes = sqlite3_changes(db);
    }
    sqlite3_finalize(st);
    return error;
}

const struct store_class store_sqlite_class = {
    .name = "sqlite",
    .serial_type = "INTEGER PRIMARY KEY AUTOINCREMENT",
    .begin_sql = "BEGIN IMMEDIATE",
    .open = sqlite_open,
    .close = sqlite_close,
    .exec = sqlite_exec,
};
