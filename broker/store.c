/* The store's operations, written once over the backend vtable. */
#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "brk_error.h"
#include "util.h"

struct store {
    const struct store_class *class;
    void *db;
    int depth;                  /* nesting of store_begin() */
};

/* ---- Rows ---- */

const char *
store_rows_get(const struct store_rows *rows, size_t row, size_t col)
{
    if (row >= rows->n_rows || col >= rows->n_cols) {
        return NULL;
    }
    return rows->cells[row * rows->n_cols + col];
}

void
store_rows_clear(struct store_rows *rows)
{
    if (!rows) {
        return;
    }
    for (size_t i = 0; i < rows->n_rows * rows->n_cols; i++) {
        free(rows->cells[i]);
    }
    free(rows->cells);
    memset(rows, 0, sizeof *rows);
}

static int64_t
cell_int(const struct store_rows *rows, size_t r, size_t c)
{
    const char *v = store_rows_get(rows, r, c);
    return v ? strtoll(v, NULL, 10) : 0;
}

static void
cell_copy(char *dst, size_t size, const struct store_rows *rows, size_t r,
          size_t c)
{
    const char *v = store_rows_get(rows, r, c);
    str_copy(dst, v ? v : "", size);
}

static json_t *
cell_json(const struct store_rows *rows, size_t r, size_t c)
{
    const char *v = store_rows_get(rows, r, c);
    return v ? json_loads(v, JSON_DECODE_ANY, NULL) : NULL;
}

/* JSON as stored: compact, keys sorted (so equal values compare equal as
 * text too).  The caller frees. */
static char *
json_text(const json_t *j)
{
    return j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)
             : NULL;
}

/* ---- Statements and transactions ---- */

/* Runs one statement through the backend. */
static int
run(struct store *s, const char *sql, const struct store_val *params,
    size_t n, struct store_rows *rows, int64_t *changes,
    struct brk_error *err)
{
    return s->class->exec(s->db, sql, params, n, rows, changes, err);
}

/* Runs any statement. */
int
store_query(struct store *s, const char *sql, const struct store_val *params,
            size_t n, struct store_rows *rows, struct brk_error *err)
{
    return run(s, sql, params, n, rows, NULL, err);
}

/* Starts (or joins) a transaction. */
int
store_begin(struct store *s, struct brk_error *err)
{
    if (s->depth++ > 0) {
        return 0;
    }
    int error = run(s, s->class->begin_sql, NULL, 0, NULL, NULL, err);
    if (error) {
        s->depth = 0;
    }
    return error;
}

/* Ends a level of transaction; the outermost commits. */
int
store_commit(struct store *s, struct brk_error *err)
{
    if (s->depth <= 0) {
        return brk_error_set(err, EINVAL, "commit without a transaction");
    }
    if (--s->depth > 0) {
        return 0;
    }
    int error = run(s, "COMMIT", NULL, 0, NULL, NULL, err);
    if (error) {
        run(s, "ROLLBACK", NULL, 0, NULL, NULL, NULL);
    }
    return error;
}

/* Abandons the whole transaction, however deeply nested. */
void
store_rollback(struct store *s)
{
    if (s->depth > 0) {
        s->depth = 0;
        run(s, "ROLLBACK", NULL, 0, NULL, NULL, NULL);
    }
}

/* Ends the transaction an operation began: commits on success, rolls
 * back on failure if the operation was not part of a caller's. */
static int
finish(struct store *s, int error, struct brk_error *err)
{
    if (error) {
        if (s->depth == 1) {
            store_rollback(s);
        } else if (s->depth > 1) {
            s->depth--;
        }
        return error;
    }
    return store_commit(s, err);
}

/* ---- Schema ---- */

/* Migration N brings the schema from version N - 1 to N.  '%1$s' is the
 * backend's generated-id column type. */
static const char *const migration_1[] = {
    "CREATE TABLE principals ("
    " id TEXT PRIMARY KEY,"
    " role TEXT NOT NULL CHECK (role IN ('admin', 'inp', 'sp')),"
    " token_sha256 TEXT NOT NULL UNIQUE,"
    " created BIGINT NOT NULL)",
    "CREATE TABLE inps ("
    " id TEXT PRIMARY KEY REFERENCES principals (id),"
    " offer TEXT NOT NULL,"
    " offer_version BIGINT NOT NULL,"
    " up INTEGER NOT NULL,"
    " last_seen BIGINT NOT NULL)",
    "CREATE TABLE requests ("
    " id TEXT PRIMARY KEY,"
    " sp TEXT NOT NULL REFERENCES principals (id),"
    " idem_key TEXT NOT NULL,"
    " body TEXT NOT NULL,"
    " answer TEXT,"
    " lease TEXT,"
    " created BIGINT NOT NULL,"
    " UNIQUE (sp, idem_key))",
    "CREATE TABLE leases ("
    " id TEXT PRIMARY KEY,"
    " sp TEXT NOT NULL REFERENCES principals (id),"
    " request TEXT,"
    " state TEXT NOT NULL,"
    " start_time BIGINT NOT NULL,"
    " end_time BIGINT NOT NULL,"
    " deadline BIGINT NOT NULL,"
    " parts TEXT NOT NULL,"
    " prices TEXT,"
    " version BIGINT NOT NULL)",
    "CREATE INDEX leases_sp ON leases (sp)",
    "CREATE INDEX leases_state ON leases (state)",
    "CREATE TABLE holds ("
    " lease TEXT NOT NULL REFERENCES leases (id),"
    " inp TEXT NOT NULL REFERENCES inps (id),"
    " local_id TEXT NOT NULL,"
    " expires BIGINT NOT NULL,"
    " PRIMARY KEY (lease, inp))",
    "CREATE TABLE intents ("
    " id %1$s,"
    " lease TEXT NOT NULL REFERENCES leases (id),"
    " phase TEXT NOT NULL CHECK (phase IN"
    "  ('prepare', 'commit', 'abort', 'renew', 'release')),"
    " detail TEXT,"
    " created BIGINT NOT NULL,"
    " done INTEGER NOT NULL DEFAULT 0)",
    "CREATE INDEX intents_pending ON intents (done, id)",
    "CREATE TABLE events ("
    " id %1$s,"
    " sp TEXT NOT NULL REFERENCES principals (id),"
    " lease TEXT,"
    " kind TEXT NOT NULL,"
    " at BIGINT NOT NULL,"
    " message TEXT NOT NULL)",
    "CREATE INDEX events_sp ON events (sp, id)",
    "CREATE TABLE charges ("
    " lease TEXT NOT NULL REFERENCES leases (id),"
    " inp TEXT NOT NULL REFERENCES inps (id),"
    " sp TEXT NOT NULL REFERENCES principals (id),"
    " cpu BIGINT NOT NULL,"
    " bandwidth BIGINT NOT NULL,"
    " cpu_hour BIGINT NOT NULL,"
    " mbps_hour BIGINT NOT NULL,"
    " start_time BIGINT NOT NULL,"
    " end_time BIGINT NOT NULL,"
    " released BIGINT NOT NULL DEFAULT 0,"
    " PRIMARY KEY (lease, inp))",
    NULL
};

static const char *const *const migrations[STORE_SCHEMA_VERSION] = {
    migration_1,
};

/* The version recorded in the database (0 for a new one). */
int
store_schema_version(struct store *s)
{
    struct store_rows rows;
    int version = 0;

    if (!run(s, "SELECT version FROM schema_version", NULL, 0, &rows, NULL,
             NULL)) {
        version = rows.n_rows ? cell_int(&rows, 0, 0) : 0;
        store_rows_clear(&rows);
    }
    return version;
}

/* Brings the schema to STORE_SCHEMA_VERSION. */
static int
migrate(struct store *s, struct brk_error *err)
{
    int error = store_begin(s, err);
    if (error) {
        return error;
    }
    error = run(s, "CREATE TABLE IF NOT EXISTS schema_version "
                "(version INTEGER NOT NULL)", NULL, 0, NULL, NULL, err);
    int version = error ? 0 : store_schema_version(s);
    if (!error && version > STORE_SCHEMA_VERSION) {
        error = brk_error_set(err, EPROTO, "the database has schema version "
                              "%d, newer than this broker's %d", version,
                              STORE_SCHEMA_VERSION);
    }
    for (int v = version; !error && v < STORE_SCHEMA_VERSION; v++) {
        for (const char *const *sql = migrations[v]; !error && *sql; sql++) {
            char *text = xasprintf(*sql, s->class->serial_type);
            error = run(s, text, NULL, 0, NULL, NULL, err);
            free(text);
        }
        if (!error) {
            struct store_val p = STORE_I(v + 1);
            error = run(s, "DELETE FROM schema_version", NULL, 0, NULL, NULL,
                        err);
            if (!error) {
                error = run(s, "INSERT INTO schema_version (version) "
                            "VALUES ($1)", &p, 1, NULL, NULL, err);
            }
        }
    }
    if (error) {
        brk_error_prefix(err, "schema migration");
    }
    return finish(s, error, err);
}

/* ---- Opening ---- */

/* The backend and its target for 'target'. */
static const struct store_class *
choose(const char *target, const char **rest)
{
    if (!target) {
        *rest = NULL;
        return &store_sqlite_class;
    }
    if (!strncmp(target, "postgresql://", 13) || !strncmp(target, "postgres://", 11)) {
        *rest = target;
        return &store_pg_class;
    }
    if (!strncmp(target, "pg:", 3)) {
        *rest = target + 3;
        return &store_pg_class;
    }
    *rest = !strncmp(target, "sqlite:", 7) ? target + 7 : target;
    return &store_sqlite_class;
}

int
store_open(const char *target, struct store **sp, struct brk_error *err)
{
    const char *rest;
    const struct store_class *class = choose(target, &rest);
    struct store *s = xzalloc(sizeof *s);

    s->class = class;
    int error = class->open(rest, &s->db, err);
    if (!error) {
        error = migrate(s, err);
    }
    if (error) {
        store_close(s);
        s = NULL;
    }
    *sp = s;
    return error;
}

void
store_close(struct store *s)
{
    if (!s) {
        return;
    }
    if (s->db) {
        store_rollback(s);
        s->class->close(s->db);
    }
    free(s);
}

const char *
store_backend(const struct store *s)
{
    return s->class->name;
}

/* ---- Principals ---- */

static const char *const role_names[STORE_N_ROLES] = {
#define STORE_ROLE_NAME(ENUM, NAME) [STORE_ROLE_##ENUM] = NAME,
    STORE_ROLES(STORE_ROLE_NAME)
#undef STORE_ROLE_NAME
};

const char *
store_role_name(enum store_role r)
{
    return (unsigned) r < STORE_N_ROLES ? role_names[r] : "?";
}

/* SHA-256 of 'token' in hex. */
void
store_token_hash(const char *token, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    EVP_Digest(token, strlen(token), md, &len, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < len && i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    }
    hex[64] = '\0';
}

int
store_principal_add(struct store *s, const char *id, enum store_role role,
                    const char *token, int64_t now, struct brk_error *err)
{
    char hex[65];

    if (!name_is_valid(id)) {
        return brk_error_set(err, EINVAL, "principal id \"%s\" is not a "
                             "valid name", id);
    }
    if ((unsigned) role >= STORE_N_ROLES) {
        return brk_error_set(err, EINVAL, "principal %s: bad role", id);
    }
    if (!token || strlen(token) < 16) {
        return brk_error_set(err, EINVAL, "principal %s: a token must have "
                             "at least 16 characters", id);
    }
    store_token_hash(token, hex);
    struct store_val p[] = {
        STORE_S(id), STORE_S(role_names[role]), STORE_S(hex), STORE_I(now),
    };
    int error = run(s, "INSERT INTO principals (id, role, token_sha256, "
                    "created) VALUES ($1, $2, $3, $4)", p, 4, NULL, NULL, err);
    if (error == EEXIST) {
        brk_error_set(err, EEXIST, "principal %s: the id or the token is "
                      "already in use", id);
    }
    return error;
}

int
store_principal_auth(struct store *s, const char *token,
                     struct store_principal *out, struct brk_error *err)
{
    char hex[65];
    struct store_rows rows;

    store_token_hash(token ? token : "", hex);
    struct store_val p = STORE_S(hex);
    int error = run(s, "SELECT id, role FROM principals WHERE "
                    "token_sha256 = $1", &p, 1, &rows, NULL, err);
    if (error) {
        return error;
    }
    if (!rows.n_rows) {
        error = brk_error_set(err, ENOENT, "unknown token");
    } else {
        cell_copy(out->id, sizeof out->id, &rows, 0, 0);
        const char *role = store_rows_get(&rows, 0, 1);
        out->role = STORE_ROLE_SP;
        for (int i = 0; i < STORE_N_ROLES; i++) {
            if (role && !strcmp(role, role_names[i])) {
                out->role = i;
            }
        }
    }
    store_rows_clear(&rows);
    return error;
}

/* ---- InPs ---- */

/* Fails unless 'id' is a principal with role 'role'. */
static int
check_role(struct store *s, const char *id, enum store_role role,
           struct brk_error *err)
{
    struct store_rows rows;
    struct store_val p = STORE_S(id);
    int error = run(s, "SELECT role FROM principals WHERE id = $1", &p, 1,
                    &rows, NULL, err);
    if (error) {
        return error;
    }
    if (!rows.n_rows) {
        error = brk_error_set(err, ENOENT, "no principal %s", id);
    } else if (strcmp(store_rows_get(&rows, 0, 0), role_names[role])) {
        error = brk_error_set(err, EPERM, "principal %s is a %s, not an %s",
                              id, store_rows_get(&rows, 0, 0),
                              role_names[role]);
    }
    store_rows_clear(&rows);
    return error;
}

int
store_inp_put(struct store *s, const char *id, const json_t *offer,
              int64_t now, struct brk_error *err)
{
    int error = store_begin(s, err);
    if (error) {
        return error;
    }
    error = check_role(s, id, STORE_ROLE_INP, err);
    if (!error) {
        char *text = json_text(offer);
        struct store_val p[] = { STORE_S(id), STORE_S(text), STORE_I(now) };
        error = run(s, "INSERT INTO inps (id, offer, offer_version, up, "
                    "last_seen) VALUES ($1, $2, 1, 1, $3) "
                    "ON CONFLICT (id) DO UPDATE SET offer = excluded.offer, "
                    "offer_version = inps.offer_version + 1, up = 1, "
                    "last_seen = excluded.last_seen", p, 3, NULL, NULL, err);
        free(text);
    }
    return finish(s, error, err);
}

/* Runs an UPDATE of one row; ENOENT if it changed none. */
static int
update_one(struct store *s, const char *sql, const struct store_val *p,
           size_t n, const char *what, struct brk_error *err)
{
    int64_t changes = 0;
    int error = run(s, sql, p, n, NULL, &changes, err);
    if (!error && !changes) {
        error = brk_error_set(err, ENOENT, "no %s", what);
    }
    return error;
}

int
store_inp_heartbeat(struct store *s, const char *id, int64_t now,
                    struct brk_error *err)
{
    struct store_val p[] = { STORE_S(id), STORE_I(now) };
    char what[96];
    snprintf(what, sizeof what, "InP %s", id);
    return update_one(s, "UPDATE inps SET last_seen = $2, up = 1 "
                      "WHERE id = $1", p, 2, what, err);
}

int
store_inp_set_up(struct store *s, const char *id, bool up,
                 struct brk_error *err)
{
    struct store_val p[] = { STORE_S(id), STORE_I(up) };
    char what[96];
    snprintf(what, sizeof what, "InP %s", id);
    return update_one(s, "UPDATE inps SET up = $2 WHERE id = $1", p, 2, what,
                      err);
}

#define INP_COLUMNS "id, offer, offer_version, up, last_seen"

/* Reads row 'r' of INP_COLUMNS into 'out'. */
static void
inp_from_row(const struct store_rows *rows, size_t r, struct store_inp *out)
{
    cell_copy(out->id, sizeof out->id, rows, r, 0);
    out->offer = cell_json(rows, r, 1);
    out->offer_version = cell_int(rows, r, 2);
    out->up = cell_int(rows, r, 3) != 0;
    out->last_seen = cell_int(rows, r, 4);
}

int
store_inp_get(struct store *s, const char *id, struct store_inp *out,
              struct brk_error *err)
{
    struct store_rows rows;
    struct store_val p = STORE_S(id);
    int error = run(s, "SELECT " INP_COLUMNS " FROM inps WHERE id = $1", &p,
                    1, &rows, NULL, err);
    if (error) {
        return error;
    }
    if (!rows.n_rows) {
        error = brk_error_set(err, ENOENT, "no InP %s", id);
    } else {
        inp_from_row(&rows, 0, out);
    }
    store_rows_clear(&rows);
    return error;
}

int
store_inp_list(struct store *s, struct store_inp **out, size_t *n,
               struct brk_error *err)
{
    struct store_rows rows;
    int error = run(s, "SELECT " INP_COLUMNS " FROM inps ORDER BY id", NULL,
                    0, &rows, NULL, err);

    *out = NULL;
    *n = 0;
    if (error) {
        return error;
    }
    *out = xcalloc(rows.n_rows + 1, sizeof **out);
    for (size_t r = 0; r < rows.n_rows; r++) {
        inp_from_row(&rows, r, &(*out)[r]);
    }
    *n = rows.n_rows;
    store_rows_clear(&rows);
    return 0;
}

void
store_inps_free(struct store_inp *inps, size_t n)
{
    for (size_t i = 0; inps && i < n; i++) {
        json_decref(inps[i].offer);
    }
    free(inps);
}

/* ---- Requests ---- */

#define REQUEST_COLUMNS "id, sp, idem_key, body, answer, lease, created"

/* Reads row 'r' of REQUEST_COLUMNS into 'out'. */
static void
request_from_row(const struct store_rows *rows, size_t r,
                 struct store_request *out)
{
    cell_copy(out->id, sizeof out->id, rows, r, 0);
    cell_copy(out->sp, sizeof out->sp, rows, r, 1);
    cell_copy(out->key, sizeof out->key, rows, r, 2);
    out->body = cell_json(rows, r, 3);
    out->answer = cell_json(rows, r, 4);
    cell_copy(out->lease, sizeof out->lease, rows, r, 5);
    out->created = cell_int(rows, r, 6);
}

/* Inserts unless (sp, key) exists; then reads back the first request. */
int
store_request_add(struct store *s, struct store_request *r, bool *existed,
                  struct brk_error *err)
{
    int64_t changes = 0;
    struct store_rows rows;

    *existed = false;
    int error = store_begin(s, err);
    if (error) {
        return error;
    }
    char *body = json_text(r->body);
    struct store_val p[] = {
        STORE_S(r->id), STORE_S(r->sp), STORE_S(r->key), STORE_S(body),
        STORE_I(r->created),
    };
    error = run(s, "INSERT INTO requests (id, sp, idem_key, body, created) "
                "VALUES ($1, $2, $3, $4, $5) "
                "ON CONFLICT (sp, idem_key) DO NOTHING", p, 5, NULL, &changes,
                err);
    free(body);
    if (!error && !changes) {
        struct store_val q[] = { STORE_S(r->sp), STORE_S(r->key) };
        error = run(s, "SELECT " REQUEST_COLUMNS " FROM requests "
                    "WHERE sp = $1 AND idem_key = $2", q, 2, &rows, NULL, err);
        if (!error && rows.n_rows) {
            json_decref(r->body);
            json_decref(r->answer);
            request_from_row(&rows, 0, r);
            *existed = true;
        } else if (!error) {
            error = brk_error_set(err, EIO, "request %s vanished", r->key);
        }
        if (!error || rows.cells) {
            store_rows_clear(&rows);
        }
    }
    return finish(s, error, err);
}

int
store_request_answer(struct store *s, const char *id, const json_t *answer,
                     const char *lease, struct brk_error *err)
{
    char *text = json_text(answer);
    struct store_val p[] = { STORE_S(id), STORE_S(text), STORE_S(lease) };
    char what[96];

    snprintf(what, sizeof what, "request %s", id);
    int error = update_one(s, "UPDATE requests SET answer = $2, lease = $3 "
                           "WHERE id = $1", p, 3, what, err);
    free(text);
    return error;
}

int
store_request_get(struct store *s, const char *id, struct store_request *out,
                  struct brk_error *err)
{
    struct store_rows rows;
    struct store_val p = STORE_S(id);
    int error = run(s, "SELECT " REQUEST_COLUMNS " FROM requests "
                    "WHERE id = $1", &p, 1, &rows, NULL, err);
    if (error) {
        return error;
    }
    if (!rows.n_rows) {
        error = brk_error_set(err, ENOENT, "no request %s", id);
    } else {
        request_from_row(&rows, 0, out);
    }
    store_rows_clear(&rows);
    return error;
}

void
store_request_clear(struct store_request *r)
{
    if (r) {
        json_decref(r->body);
        json_decref(r->answer);
        r->body = r->answer = NULL;
    }
}

/* ---- Leases ---- */

#define LEASE_COLUMNS "id, sp, request, state, start_time, end_time, " \
                      "deadline, parts, prices, version"

/* Reads row 'r' of LEASE_COLUMNS into 'out'. */
static void
lease_from_row(const struct store_rows *rows, size_t r,
               struct store_lease *out)
{
    cell_copy(out->id, sizeof out->id, rows, r, 0);
    cell_copy(out->sp, sizeof out->sp, rows, r, 1);
    cell_copy(out->request, sizeof out->request, rows, r, 2);
    const char *state = store_rows_get(rows, r, 3);
    if (!state || lease_state_from_name(state, &out->state)) {
        out->state = LEASE_FAILED;      /* unreadable: never a live state */
    }
    out->start = cell_int(rows, r, 4);
    out->end = cell_int(rows, r, 5);
    out->deadline = cell_int(rows, r, 6);
    out->parts = cell_json(rows, r, 7);
    out->prices = cell_json(rows, r, 8);
    out->version = cell_int(rows, r, 9);
}

int
store_lease_add(struct store *s, struct store_lease *l, struct brk_error *err)
{
    if (!name_is_valid(l->id)) {
        return brk_error_set(err, EINVAL, "lease id \"%s\" is not a valid "
                             "name", l->id);
    }
    char *parts = l->parts ? json_text(l->parts) : xstrdup("{}");
    char *prices = json_text(l->prices);
    struct store_val p[] = {
        STORE_S(l->id), STORE_S(l->sp), STORE_S(l->request[0] ? l->request
                                                             : NULL),
        STORE_S(lease_state_name(l->state)), STORE_I(l->start),
        STORE_I(l->end), STORE_I(l->deadline), STORE_S(parts),
        STORE_S(prices),
    };
    int error = run(s, "INSERT INTO leases (" LEASE_COLUMNS ") VALUES "
                    "($1, $2, $3, $4, $5, $6, $7, $8, $9, 1)", p, 9, NULL,
                    NULL, err);
    free(parts);
    free(prices);
    if (!error) {
        l->version = 1;
    } else if (error == EEXIST) {
        brk_error_set(err, EEXIST, "lease %s exists", l->id);
    }
    return error;
}

int
store_lease_get(struct store *s, const char *id, struct store_lease *out,
                struct brk_error *err)
{
    struct store_rows rows;
    struct store_val p = STORE_S(id);
    int error = run(s, "SELECT " LEASE_COLUMNS " FROM leases WHERE id = $1",
                    &p, 1, &rows, NULL, err);
    if (error) {
        return error;
    }
    if (!rows.n_rows) {
        error = brk_error_set(err, ENOENT, "no lease %s", id);
    } else {
        lease_from_row(&rows, 0, out);
    }
    store_rows_clear(&rows);
    return error;
}

/* Optimistic update: read state and version, check both, then write
 * guarded by the version, all in one transaction. */
int
store_lease_update(struct store *s, struct store_lease *l,
                   struct brk_error *err)
{
    struct store_rows rows;
    int error = store_begin(s, err);
    if (error) {
        return error;
    }
    struct store_val id = STORE_S(l->id);
    error = run(s, "SELECT state, version FROM leases WHERE id = $1", &id, 1,
                &rows, NULL, err);
    if (error) {
        return finish(s, error, err);
    }
    if (!rows.n_rows) {
        error = brk_error_set(err, ENOENT, "no lease %s", l->id);
    } else {
        enum lease_state old;
        int64_t version = cell_int(&rows, 0, 1);
        if (lease_state_from_name(store_rows_get(&rows, 0, 0), &old)) {
            error = brk_error_set(err, EIO, "lease %s: unreadable state",
                                  l->id);
        } else if (version != l->version) {
            error = brk_error_set(err, ESTALE, "lease %s changed since it "
                                  "was read (version %"PRId64", now %"PRId64
                                  ")", l->id, l->version, version);
        } else if (old != l->state && !lease_transition_allowed(old, l->state)) {
            error = brk_error_set(err, EPERM, "lease %s: transition %s -> %s "
                                  "is not allowed", l->id,
                                  lease_state_name(old),
                                  lease_state_name(l->state));
        }
    }
    store_rows_clear(&rows);
    if (!error) {
        char *parts = l->parts ? json_text(l->parts) : xstrdup("{}");
        char *prices = json_text(l->prices);
        struct store_val p[] = {
            STORE_S(l->id), STORE_I(l->version),
            STORE_S(lease_state_name(l->state)), STORE_I(l->start),
            STORE_I(l->end), STORE_I(l->deadline), STORE_S(parts),
            STORE_S(prices),
        };
        int64_t changes = 0;
        error = run(s, "UPDATE leases SET state = $3, start_time = $4, "
                    "end_time = $5, deadline = $6, parts = $7, prices = $8, "
                    "version = version + 1 WHERE id = $1 AND version = $2",
                    p, 8, NULL, &changes, err);
        if (!error && !changes) {
            error = brk_error_set(err, ESTALE, "lease %s changed since it "
                                  "was read", l->id);
        }
        free(parts);
        free(prices);
    }
    error = finish(s, error, err);
    if (!error) {
        l->version++;
    }
    return error;
}

int
store_lease_list(struct store *s, const char *sp, enum lease_state state,
                 struct store_lease **out, size_t *n, struct brk_error *err)
{
    struct store_val p[2];
    size_t np = 0;
    char sql[256] = "SELECT " LEASE_COLUMNS " FROM leases WHERE 1 = 1";
    struct store_rows rows;

    *out = NULL;
    *n = 0;
    if (sp) {
        p[np++] = STORE_S(sp);
        snprintf(sql + strlen(sql), sizeof sql - strlen(sql),
                 " AND sp = $%zu", np);
    }
    if (state != LEASE_NONE) {
        p[np++] = STORE_S(lease_state_name(state));
        snprintf(sql + strlen(sql), sizeof sql - strlen(sql),
                 " AND state = $%zu", np);
    }
    strncat(sql, " ORDER BY id", sizeof sql - strlen(sql) - 1);
    int error = run(s, sql, p, np, &rows, NULL, err);
    if (error) {
        return error;
    }
    *out = xcalloc(rows.n_rows + 1, sizeof **out);
    for (size_t r = 0; r < rows.n_rows; r++) {
        lease_from_row(&rows, r, &(*out)[r]);
    }
    *n = rows.n_rows;
    store_rows_clear(&rows);
    return 0;
}

void
store_lease_clear(struct store_lease *l)
{
    if (l) {
        json_decref(l->parts);
        json_decref(l->prices);
        l->parts = l->prices = NULL;
    }
}

void
store_leases_free(struct store_lease *leases, size_t n)
{
    for (size_t i = 0; leases && i < n; i++) {
        store_lease_clear(&leases[i]);
    }
    free(leases);
}

/* ---- Holds ---- */

int
store_hold_put(struct store *s, const struct store_hold *h,
               struct brk_error *err)
{
    struct store_val p[] = {
        STORE_S(h->lease), STORE_S(h->inp), STORE_S(h->local_id),
        STORE_I(h->expires),
    };
    return run(s, "INSERT INTO holds (lease, inp, local_id, expires) "
               "VALUES ($1, $2, $3, $4) ON CONFLICT (lease, inp) DO UPDATE "
               "SET local_id = excluded.local_id, expires = excluded.expires",
               p, 4, NULL, NULL, err);
}

int
store_hold_delete(struct store *s, const char *lease, const char *inp,
                  struct brk_error *err)
{
    struct store_val p[] = { STORE_S(lease), STORE_S(inp) };
    char what[160];
    int64_t changes = 0;

    snprintf(what, sizeof what, "hold of %s on %s", lease, inp);
    int error = run(s, "DELETE FROM holds WHERE lease = $1 AND inp = $2", p,
                    2, NULL, &changes, err);
    if (!error && !changes) {
        error = brk_error_set(err, ENOENT, "no %s", what);
    }
    return error;
}

int
store_hold_list(struct store *s, const char *lease, struct store_hold **out,
                size_t *n, struct brk_error *err)
{
    struct store_rows rows;
    struct store_val p = STORE_S(lease);
    int error = run(s, lease
                    ? "SELECT lease, inp, local_id, expires FROM holds "
                      "WHERE lease = $1 ORDER BY lease, inp"
                    : "SELECT lease, inp, local_id, expires FROM holds "
                      "ORDER BY lease, inp", &p, lease ? 1 : 0, &rows, NULL,
                    err);
    *out = NULL;
    *n = 0;
    if (error) {
        return error;
    }
    *out = xcalloc(rows.n_rows + 1, sizeof **out);
    for (size_t r = 0; r < rows.n_rows; r++) {
        struct store_hold *h = &(*out)[r];
        cell_copy(h->lease, sizeof h->lease, &rows, r, 0);
        cell_copy(h->inp, sizeof h->inp, &rows, r, 1);
        cell_copy(h->local_id, sizeof h->local_id, &rows, r, 2);
        h->expires = cell_int(&rows, r, 3);
    }
    *n = rows.n_rows;
    store_rows_clear(&rows);
    return 0;
}

/* ---- Intents ---- */

static const char *const phase_names[STORE_N_PHASES] = {
#define STORE_PHASE_NAME(ENUM, NAME) [STORE_PHASE_##ENUM] = NAME,
    STORE_PHASES(STORE_PHASE_NAME)
#undef STORE_PHASE_NAME
};

const char *
store_phase_name(enum store_phase p)
{
    return (unsigned) p < STORE_N_PHASES ? phase_names[p] : "?";
}

int
store_intent_add(struct store *s, const char *lease, enum store_phase phase,
                 const json_t *detail, int64_t now, int64_t *id,
                 struct brk_error *err)
{
    if ((unsigned) phase >= STORE_N_PHASES) {
        return brk_error_set(err, EINVAL, "bad phase");
    }
    char *text = json_text(detail);
    struct store_val p[] = {
        STORE_S(lease), STORE_S(phase_names[phase]), STORE_S(text),
        STORE_I(now),
    };
    struct store_rows rows;
    int error = run(s, "INSERT INTO intents (lease, phase, detail, created) "
                    "VALUES ($1, $2, $3, $4) RETURNING id", p, 4, &rows, NULL,
                    err);
    free(text);
    if (!error) {
        if (id) {
            *id = cell_int(&rows, 0, 0);
        }
        store_rows_clear(&rows);
    }
    return error;
}

int
store_intent_done(struct store *s, int64_t id, struct brk_error *err)
{
    struct store_val p = STORE_I(id);
    char what[64];
    snprintf(what, sizeof what, "intent %"PRId64, id);
    return update_one(s, "UPDATE intents SET done = 1 WHERE id = $1", &p, 1,
                      what, err);
}

int
store_intent_pending(struct store *s, struct store_intent **out, size_t *n,
                     struct brk_error *err)
{
    struct store_rows rows;
    int error = run(s, "SELECT id, lease, phase, detail, created FROM intents "
                    "WHERE done = 0 ORDER BY id", NULL, 0, &rows, NULL, err);
    *out = NULL;
    *n = 0;
    if (error) {
        return error;
    }
    *out = xcalloc(rows.n_rows + 1, sizeof **out);
    for (size_t r = 0; r < rows.n_rows; r++) {
        struct store_intent *in = &(*out)[r];
        in->id = cell_int(&rows, r, 0);
        cell_copy(in->lease, sizeof in->lease, &rows, r, 1);
        const char *phase = store_rows_get(&rows, r, 2);
        for (int i = 0; i < STORE_N_PHASES; i++) {
            if (phase && !strcmp(phase, phase_names[i])) {
                in->phase = i;
            }
        }
        in->detail = cell_json(&rows, r, 3);
        in->created = cell_int(&rows, r, 4);
    }
    *n = rows.n_rows;
    store_rows_clear(&rows);
    return 0;
}

void
store_intents_free(struct store_intent *intents, size_t n)
{
    for (size_t i = 0; intents && i < n; i++) {
        json_decref(intents[i].detail);
    }
    free(intents);
}

/* ---- Events ---- */

int
store_event_add(struct store *s, const struct store_event *e, int64_t *id,
                struct brk_error *err)
{
    struct store_val p[] = {
        STORE_S(e->sp), STORE_S(e->lease[0] ? e->lease : NULL),
        STORE_S(e->kind), STORE_I(e->at), STORE_S(e->message),
    };
    struct store_rows rows;
    int error = run(s, "INSERT INTO events (sp, lease, kind, at, message) "
                    "VALUES ($1, $2, $3, $4, $5) RETURNING id", p, 5, &rows,
                    NULL, err);
    if (!error) {
        if (id) {
            *id = cell_int(&rows, 0, 0);
        }
        store_rows_clear(&rows);
    }
    return error;
}

int
store_event_list(struct store *s, const char *sp, int64_t after, size_t max,
                 struct store_event **out, size_t *n, struct brk_error *err)
{
    struct store_rows rows;
    struct store_val p[] = { STORE_S(sp), STORE_I(after), STORE_I(max) };
    int error = run(s, "SELECT id, sp, lease, kind, at, message FROM events "
                    "WHERE sp = $1 AND id > $2 ORDER BY id LIMIT $3", p, 3,
                    &rows, NULL, err);
    *out = NULL;
    *n = 0;
    if (error) {
        return error;
    }
    *out = xcalloc(rows.n_rows + 1, sizeof **out);
    for (size_t r = 0; r < rows.n_rows; r++) {
        struct store_event *e = &(*out)[r];
        e->id = cell_int(&rows, r, 0);
        cell_copy(e->sp, sizeof e->sp, &rows, r, 1);
        cell_copy(e->lease, sizeof e->lease, &rows, r, 2);
        cell_copy(e->kind, sizeof e->kind, &rows, r, 3);
        e->at = cell_int(&rows, r, 4);
        cell_copy(e->message, sizeof e->message, &rows, r, 5);
    }
    *n = rows.n_rows;
    store_rows_clear(&rows);
    return 0;
}

/* ---- Charges ---- */

int
store_charge_put(struct store *s, const struct bill_part *c,
                 struct brk_error *err)
{
    struct store_val p[] = {
        STORE_S(c->lease), STORE_S(c->inp), STORE_S(c->sp), STORE_I(c->cpu),
        STORE_I((int64_t) c->bandwidth), STORE_I(c->prices.cpu_hour),
        STORE_I(c->prices.mbps_hour), STORE_I(c->start), STORE_I(c->end),
        STORE_I(c->released),
    };
    return run(s, "INSERT INTO charges (lease, inp, sp, cpu, bandwidth, "
               "cpu_hour, mbps_hour, start_time, end_time, released) VALUES "
               "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
               "ON CONFLICT (lease, inp) DO UPDATE SET sp = excluded.sp, "
               "cpu = excluded.cpu, bandwidth = excluded.bandwidth, "
               "cpu_hour = excluded.cpu_hour, mbps_hour = excluded.mbps_hour, "
               "start_time = excluded.start_time, end_time = excluded.end_time, "
               "released = excluded.released", p, 10, NULL, NULL, err);
}

int
store_charge_release(struct store *s, const char *lease, int64_t when,
                     struct brk_error *err)
{
    struct store_val p[] = { STORE_S(lease), STORE_I(when) };
    char what[96];
    snprintf(what, sizeof what, "charge of lease %s", lease);
    return update_one(s, "UPDATE charges SET released = $2 WHERE lease = $1",
                      p, 2, what, err);
}

int
store_charge_list(struct store *s, const char *sp, const char *inp,
                  struct store_charge **out, size_t *n, struct brk_error *err)
{
    struct store_val p[2];
    size_t np = 0;
    char sql[320] = "SELECT lease, sp, inp, cpu, bandwidth, cpu_hour, "
                    "mbps_hour, start_time, end_time, released FROM charges "
                    "WHERE 1 = 1";
    struct store_rows rows;

    *out = NULL;
    *n = 0;
    if (sp) {
        p[np++] = STORE_S(sp);
        snprintf(sql + strlen(sql), sizeof sql - strlen(sql),
                 " AND sp = $%zu", np);
    }
    if (inp) {
        p[np++] = STORE_S(inp);
        snprintf(sql + strlen(sql), sizeof sql - strlen(sql),
                 " AND inp = $%zu", np);
    }
    strncat(sql, " ORDER BY lease, inp", sizeof sql - strlen(sql) - 1);
    int error = run(s, sql, p, np, &rows, NULL, err);
    if (error) {
        return error;
    }
    *out = xcalloc(rows.n_rows + 1, sizeof **out);
    for (size_t r = 0; r < rows.n_rows; r++) {
        struct store_charge *c = &(*out)[r];
        cell_copy(c->lease, sizeof c->lease, &rows, r, 0);
        cell_copy(c->sp, sizeof c->sp, &rows, r, 1);
        cell_copy(c->inp, sizeof c->inp, &rows, r, 2);
        c->part = (struct bill_part) {
            .lease = c->lease, .sp = c->sp, .inp = c->inp,
            .cpu = cell_int(&rows, r, 3),
            .bandwidth = (uint64_t) cell_int(&rows, r, 4),
            .prices = { cell_int(&rows, r, 5), cell_int(&rows, r, 6) },
            .start = cell_int(&rows, r, 7), .end = cell_int(&rows, r, 8),
            .released = cell_int(&rows, r, 9),
        };
    }
    *n = rows.n_rows;
    store_rows_clear(&rows);
    return 0;
}
