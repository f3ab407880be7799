/*
 * store: the broker's durable state, behind one small interface with two
 * backends.
 *
 * What?
 * =====
 *
 * Everything the broker must not forget lives here: the principals and
 * their hashed tokens, the InPs and their offers, the SPs' requests (with
 * their idempotency keys), the leases, the holds the InPs granted, the
 * intent log, the events an SP can read, and the charges.  The broker
 * calls the functions below; they are written once, in SQL that both
 * backends understand, on top of a backend vtable ('struct store_class')
 * that only knows how to open a database, run one statement with
 * parameters and return rows:
 *
 *   - SQLite (store_sqlite.c), the default: one file in WAL mode
 *     (/var/lib/lamina/broker.db unless told otherwise), for a broker on
 *     one machine;
 *   - PostgreSQL through libpq (store_pg.c), for a broker that outgrows
 *     one machine: the target is a libpq conninfo string or URI.
 *
 * store_open() chooses by the target: "postgresql://..." or
 * "postgres://..." or "pg:CONNINFO" is PostgreSQL; "sqlite:PATH", a plain
 * PATH, or NULL (the default path) is SQLite.
 *
 * Schema
 * ======
 *
 * The schema is versioned: table schema_version holds the version, and
 * store_open() applies the missing migrations (STORE_SCHEMA_VERSION is the
 * newest) in one transaction, or refuses a database newer than itself.
 * Times are seconds since the epoch (BIGINT); JSON is stored as text.
 * Tokens are never stored: only their SHA-256 (hex), so a stolen database
 * does not let anyone in; the token itself is never logged.
 *
 * Transactions and concurrency
 * ============================
 *
 * Every function is one transaction on its own, unless the caller wraps
 * several in store_begin() / store_commit() (or store_rollback()): then
 * they all take effect together or not at all.  Leases carry a version
 * for optimistic concurrency: store_lease_update() succeeds only if the
 * row still has the version the caller read (else ESTALE, and nothing
 * changes) and only along a transition that lease_fsm.h allows (else
 * EPERM).  Requests are unique per (SP, idempotency key): adding one a
 * second time returns the first, with its answer, and adds nothing.
 *
 * The intent log
 * ==============
 *
 * Before each phase of the two-phase protocol the broker writes an intent
 * (prepare, commit, abort, renew, release) for the lease, and marks it
 * done when the phase finished everywhere.  After a restart,
 * store_intent_pending() lists what was begun and not finished: a commit
 * intent rolls forward, a prepare without a commit intent is aborted.
 *
 * Errors: 0 or a positive errno; EEXIST for a duplicate, ENOENT for a
 * missing row, ESTALE, EPERM as above, EBUSY or EAGAIN when the database
 * could not serialize (retry), EIO for anything else; 'err' says more.
 * Not thread-safe: one 'struct store' per thread.
 */
#ifndef LAMINA_STORE_H
#define LAMINA_STORE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bill.h"
#include "lease_fsm.h"
#include "vnreq.h"

struct brk_error;

#define STORE_DEFAULT_PATH "/var/lib/lamina/broker.db"
#define STORE_SCHEMA_VERSION 1
#define STORE_ID_LEN 64                 /* ids: name_is_valid() names */

/* ---- The backend interface ---- */

/* A parameter of a statement: NULL, an integer or a string. */
enum store_val_type { STORE_NULL, STORE_INT, STORE_TEXT };
struct store_val {
    enum store_val_type type;
    int64_t i;
    const char *s;
};
/* An integer or a string (NULL for SQL NULL) as a parameter. */
static inline struct store_val
store_val_int(int64_t i)
{
    return (struct store_val) { .type = STORE_INT, .i = i };
}

static inline struct store_val
store_val_text(const char *s)
{
    return (struct store_val) { .type = s ? STORE_TEXT : STORE_NULL, .s = s };
}
#define STORE_I(V) store_val_int(V)
#define STORE_S(V) store_val_text(V)

/* The rows a query returned, every cell as text (NULL for SQL NULL). */
struct store_rows {
    size_t n_rows, n_cols;
    char **cells;               /* n_rows * n_cols */
};

/* A cell of 'rows', or NULL. */
const char *store_rows_get(const struct store_rows *, size_t row, size_t col);
/* Frees the cells of 'rows' (not 'rows' itself); accepts NULL. */
void store_rows_clear(struct store_rows *);

struct store_class {
    const char *name;           /* "sqlite", "postgresql" */
    /* Column type of a generated row id. */
    const char *serial_type;
    /* What starts a read-write transaction. */
    const char *begin_sql;

    /* Opens 'target' into '*db'. */
    int (*open)(const char *target, void **db, struct brk_error *);
    /* Closes 'db'; accepts NULL. */
    void (*close)(void *db);
    /* Runs one statement 'sql' whose parameters are written $1, $2, ...
     * with the 'n' values 'params'.  Fills 'rows' (if nonnull) with what
     * it returns and '*changes' (if nonnull) with the rows it changed. */
    int (*exec)(void *db, const char *sql, const struct store_val *params,
                size_t n, struct store_rows *rows, int64_t *changes,
                struct brk_error *);
};

extern const struct store_class store_sqlite_class;
extern const struct store_class store_pg_class;

/* ---- Opening ---- */

struct store;

/* Opens the store at 'target' (see the essay; NULL for the default),
 * creating or migrating its schema.  Returns 0 with '*sp', or an errno
 * with 'err' saying why. */
int store_open(const char *target, struct store **sp, struct brk_error *err);
/* Closes 's' (rolling back an open transaction); accepts NULL. */
void store_close(struct store *s);
/* "sqlite" or "postgresql". */
const char *store_backend(const struct store *s);
/* The schema version of the database. */
int store_schema_version(struct store *s);

/* Groups the calls until store_commit() / store_rollback() into one
 * transaction.  Nested begins are counted; only the outermost commits. */
int store_begin(struct store *s, struct brk_error *err);
int store_commit(struct store *s, struct brk_error *err);
void store_rollback(struct store *s);

/* Runs any statement (for tests and outside checks). */
int store_query(struct store *s, const char *sql, const struct store_val *,
                size_t n, struct store_rows *rows, struct brk_error *err);

/* ---- Principals ---- */

#define STORE_ROLES(X) X(ADMIN, "admin") X(INP, "inp") X(SP, "sp")
enum store_role {
#define STORE_ROLE_ENUM(ENUM, NAME) STORE_ROLE_##ENUM,
    STORE_ROLES(STORE_ROLE_ENUM)
#undef STORE_ROLE_ENUM
    STORE_N_ROLES
};
const char *store_role_name(enum store_role);

struct store_principal {
    char id[STORE_ID_LEN];
    enum store_role role;
};

/* Writes the SHA-256 of 'token' in hex (64 characters and a NUL). */
void store_token_hash(const char *token, char hex[65]);

/* Adds principal 'id' with 'role' and bearer 'token' (only its hash is
 * kept).  EEXIST if the id or the token is taken. */
int store_principal_add(struct store *s, const char *id, enum store_role,
                        const char *token, int64_t now, struct brk_error *err);
/* Finds the principal whose token is 'token'.  ENOENT if none. */
int store_principal_auth(struct store *s, const char *token,
                         struct store_principal *out, struct brk_error *err);

/* ---- InPs and their offers ---- */

struct store_inp {
    char id[STORE_ID_LEN];
    json_t *offer;              /* owned */
    int64_t offer_version;      /* 1 for the first offer, +1 per change */
    bool up;
    int64_t last_seen;
};

/* Stores (or replaces) the offer of InP 'id' (a principal with role
 * inp), marking it up and seen at 'now'. */
int store_inp_put(struct store *s, const char *id, const json_t *offer,
                  int64_t now, struct brk_error *err);
/* Records a heartbeat of 'id' at 'now' (and marks it up). */
int store_inp_heartbeat(struct store *s, const char *id, int64_t now,
                        struct brk_error *err);
/* Marks 'id' up or down. */
int store_inp_set_up(struct store *s, const char *id, bool up,
                     struct brk_error *err);
int store_inp_get(struct store *s, const char *id, struct store_inp *out,
                  struct brk_error *err);
/* All InPs, by id.  Free with store_inps_free(). */
int store_inp_list(struct store *s, struct store_inp **out, size_t *n,
                   struct brk_error *err);
void store_inps_free(struct store_inp *, size_t n);

/* ---- Requests ---- */

struct store_request {
    char id[STORE_ID_LEN];
    char sp[STORE_ID_LEN];
    char key[VNREQ_MAX_KEY + 1];  /* idempotency key */
    json_t *body;               /* owned */
    json_t *answer;             /* owned; NULL until answered */
    char lease[STORE_ID_LEN];   /* "" if none */
    int64_t created;
};

/* Adds request 'r' (id, sp, key, body, created).  If 'sp' already sent
 * 'key', changes nothing, fills 'r' with the first request (body, answer,
 * lease) and sets '*existed'. */
int store_request_add(struct store *s, struct store_request *r, bool *existed,
                      struct brk_error *err);
/* Records the answer given to request 'id' and the lease it made. */
int store_request_answer(struct store *s, const char *id, const json_t *answer,
                         const char *lease, struct brk_error *err);
int store_request_get(struct store *s, const char *id,
                      struct store_request *out, struct brk_error *err);
/* Frees what 'r' owns. */
void store_request_clear(struct store_request *r);

/* ---- Leases ---- */

struct store_lease {
    char id[STORE_ID_LEN];
    char sp[STORE_ID_LEN];
    char request[STORE_ID_LEN];
    enum lease_state state;
    int64_t start, end;
    int64_t deadline;           /* of a transitional state, else 0 */
    json_t *parts;              /* owned: per-InP parts */
    json_t *prices;             /* owned: prices at commit, or NULL */
    int64_t version;            /* set by the store */
};

/* Adds lease 'l' (its version becomes 1).  EEXIST if the id is taken. */
int store_lease_add(struct store *s, struct store_lease *l,
                    struct brk_error *err);
int store_lease_get(struct store *s, const char *id, struct store_lease *out,
                    struct brk_error *err);
/* Writes 'l' over the stored lease if the stored version is still
 * l->version (else ESTALE) and the state change is allowed (else EPERM);
 * then l->version is the new version. */
int store_lease_update(struct store *s, struct store_lease *l,
                       struct brk_error *err);
/* Leases of 'sp' (or all if NULL) in 'state' (or any if LEASE_NONE), by
 * id.  Free with store_leases_free(). */
int store_lease_list(struct store *s, const char *sp, enum lease_state state,
                     struct store_lease **out, size_t *n,
                     struct brk_error *err);
void store_lease_clear(struct store_lease *l);
void store_leases_free(struct store_lease *, size_t n);

/* ---- Holds ---- */

struct store_hold {
    char lease[STORE_ID_LEN];
    char inp[STORE_ID_LEN];
    char local_id[STORE_ID_LEN];    /* the InP's id of the hold */
    int64_t expires;
};

/* Records (or refreshes) the hold of 'h->inp' for 'h->lease'. */
int store_hold_put(struct store *s, const struct store_hold *h,
                   struct brk_error *err);
/* Forgets the hold of 'inp' for 'lease' (ENOENT if none). */
int store_hold_delete(struct store *s, const char *lease, const char *inp,
                      struct brk_error *err);
/* Holds of 'lease' (all if NULL).  Free with free(). */
int store_hold_list(struct store *s, const char *lease,
                    struct store_hold **out, size_t *n, struct brk_error *err);

/* ---- The intent log ---- */

#define STORE_PHASES(X)                 \
    X(PREPARE, "prepare")               \
    X(COMMIT,  "commit")                \
    X(ABORT,   "abort")                 \
    X(RENEW,   "renew")                 \
    X(RELEASE, "release")
enum store_phase {
#define STORE_PHASE_ENUM(ENUM, NAME) STORE_PHASE_##ENUM,
    STORE_PHASES(STORE_PHASE_ENUM)
#undef STORE_PHASE_ENUM
    STORE_N_PHASES
};
const char *store_phase_name(enum store_phase);

struct store_intent {
    int64_t id;                 /* increasing: the order they were written */
    char lease[STORE_ID_LEN];
    enum store_phase phase;
    json_t *detail;             /* owned, may be NULL */
    int64_t created;
};

/* Writes an intent to run 'phase' on 'lease' (durable when it returns),
 * with optional 'detail'; its id goes to '*id'. */
int store_intent_add(struct store *s, const char *lease, enum store_phase,
                     const json_t *detail, int64_t now, int64_t *id,
                     struct brk_error *err);
/* Marks intent 'id' done. */
int store_intent_done(struct store *s, int64_t id, struct brk_error *err);
/* Intents not done, oldest first.  Free with store_intents_free(). */
int store_intent_pending(struct store *s, struct store_intent **out,
                         size_t *n, struct brk_error *err);
void store_intents_free(struct store_intent *, size_t n);

/* ---- Events (what an SP is told: "lease L ends in 5 minutes") ---- */

struct store_event {
    int64_t id;
    char sp[STORE_ID_LEN];
    char lease[STORE_ID_LEN];
    char kind[32];
    int64_t at;
    char message[256];
};

int store_event_add(struct store *s, const struct store_event *e, int64_t *id,
                    struct brk_error *err);
/* Events of 'sp' with id > 'after', oldest first, at most 'max'.  Free
 * with free(). */
int store_event_list(struct store *s, const char *sp, int64_t after,
                     size_t max, struct store_event **out, size_t *n,
                     struct brk_error *err);

/* ---- Charges ---- */

/* A stored charge: a bill_part whose strings point into it. */
struct store_charge {
    char lease[STORE_ID_LEN];
    char sp[STORE_ID_LEN];
    char inp[STORE_ID_LEN];
    struct bill_part part;
};

/* Records (or replaces, e.g. after a renew) the part 'p'. */
int store_charge_put(struct store *s, const struct bill_part *p,
                     struct brk_error *err);
/* Stops the charges of 'lease' at 'when' (early release). */
int store_charge_release(struct store *s, const char *lease, int64_t when,
                         struct brk_error *err);
/* Charges of 'sp' and/or 'inp' (NULL: any), by lease and InP.  Free with
 * free(). */
int store_charge_list(struct store *s, const char *sp, const char *inp,
                      struct store_charge **out, size_t *n,
                      struct brk_error *err);

#endif /* LAMINA_STORE_H */
