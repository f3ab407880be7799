/* The PostgreSQL backend of the store, through libpq. */
#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "brk_error.h"
#include "util.h"

/* Notices ("relation already exists, skipping") are not for the user. */
static void
quiet(void *arg, const char *message)
{
}

static int
pg_open(const char *target, void **dbp, struct brk_error *err)
{
    PGconn *conn = PQconnectdb(target);

    if (!conn || PQstatus(conn) != CONNECTION_OK) {
        int error = brk_error_set(err, EIO, "postgresql: cannot connect: %s",
                                  conn ? PQerrorMessage(conn) : "no memory");
        PQfinish(conn);
        return error;
    }
    PQsetNoticeProcessor(conn, quiet, NULL);
    *dbp = conn;
    return 0;
}

static void
pg_close(void *conn)
{
    if (conn) {
        PQfinish(conn);
    }
}

/* The errno for SQLSTATE 'state'. */
static int
map_sqlstate(const char *state)
{
    if (!state) {
        return EIO;
    }
    if (!strcmp(state, "23505")) {
        return EEXIST;          /* unique_violation */
    }
    if (!strcmp(state, "23503")) {
        return ENOENT;          /* foreign_key_violation */
    }
    if (!strncmp(state, "23", 2)) {
        return EINVAL;          /* other integrity constraints */
    }
    if (!strcmp(state, "40001") || !strcmp(state, "40P01")) {
        return EAGAIN;          /* serialization failure, deadlock */
    }
    return EIO;
}

/* Runs 'sql' with text parameters (libpq infers their types from the
 * statement) and copies the result's cells. */
static int
pg_exec(void *conn, const char *sql, const struct store_val *params,
        size_t n, struct store_rows *rows, int64_t *changes,
        struct brk_error *err)
{
    const char *values[n ? n : 1];
    char ints[n ? n : 1][24];

    if (rows) {
        memset(rows, 0, sizeof *rows);
    }
    for (size_t i = 0; i < n; i++) {
        switch (params[i].type) {
        case STORE_NULL:
            values[i] = NULL;
            break;
        case STORE_INT:
            snprintf(ints[i], sizeof ints[i], "%"PRId64, params[i].i);
            values[i] = ints[i];
            break;
        case STORE_TEXT:
            values[i] = params[i].s;
            break;
        }
    }
    PGresult *res = PQexecParams(conn, sql, n, NULL, values, NULL, NULL, 0);
    ExecStatusType status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        int error = brk_error_set(err, map_sqlstate(state),
                                  "postgresql: %s",
                                  res ? PQresultErrorMessage(res)
                                      : PQerrorMessage(conn));
        PQclear(res);
        return error;
    }
    if (rows && status == PGRES_TUPLES_OK) {
        rows->n_rows = PQntuples(res);
        rows->n_cols = PQnfields(res);
        rows->cells = xcalloc(rows->n_rows * rows->n_cols + 1,
                              sizeof *rows->cells);
        for (size_t r = 0; r < rows->n_rows; r++) {
            for (size_t c = 0; c < rows->n_cols; c++) {
                rows->cells[r * rows->n_cols + c] =
                    PQgetisnull(res, r, c) ? NULL
                                           : xstrdup(PQgetvalue(res, r, c));
            }
        }
    }
    if (changes) {
        const char *t = PQcmdTuples(res);
        *changes = t && *t ? strtoll(t, NULL, 10) : 0;
    }
    PQclear(res);
    return 0;
}

const struct store_class store_pg_class = {
    .name = "postgresql",
    .serial_type = "BIGSERIAL PRIMARY KEY",
    .begin_sql = "BEGIN",
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
};
