/* Unit tests of the store, the same file for both backends:
 *
 *   test_store              SQLite, a fresh file per test in a temporary
 *                           directory;
 *   LAMINA_TEST_PG=CONNINFO test_store
 *                           PostgreSQL, a fresh database per test on the
 *                           server CONNINFO names (store-pg.sh starts a
 *                           private server and sets it).
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
#include <unistd.h>

#include "bill.h"
#include "brk_error.h"
#include "store.h"
#include "util.h"

static const char *pg_server;           /* conninfo, or NULL for SQLite */
static char tmpdir[64];

struct fixture {
    char target[512];
    struct store *s;
};

static int
setup(void **state)
{
    static int n;
    struct fixture *f = xzalloc(sizeof *f);
    struct brk_error err;

    n++;
    if (pg_server) {
        struct store *admin;
        char sql[128];
        /* The admin connection needs a store to run statements through;
         * a store on the maintenance database 'postgres' is fine: its
         * schema is created there once and left alone. */
        snprintf(f->target, sizeof f->target, "pg:%s", pg_server);
        if (store_open(f->target, &admin, &err)) {
            fail_msg("cannot reach the test server: %s", err.msg);
        }
        snprintf(sql, sizeof sql, "CREATE DATABASE lt_%d_%d", (int) getpid(), n);
        if (store_query(admin, sql, NULL, 0, NULL, &err)) {
            fail_msg("%s", err.msg);
        }
        store_close(admin);
        /* In a conninfo string the last dbname wins. */
        snprintf(f->target, sizeof f->target, "pg:%s dbname=lt_%d_%d",
                 pg_server, (int) getpid(), n);
    } else {
        snprintf(f->target, sizeof f->target, "sqlite:%s/t%d.db", tmpdir, n);
    }
    if (store_open(f->target, &f->s, &err)) {
        fail_msg("store_open %s: %s", f->target, err.msg);
    }
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    store_close(f->s);
    free(f);
    return 0;
}

/* Adds an admin, two SPs and two InPs. */
static void
add_principals(struct store *s)
{
    struct brk_error err;
    static const struct { const char *id; enum store_role role; } p[] = {
        { "admin", STORE_ROLE_ADMIN }, { "sp1", STORE_ROLE_SP },
        { "sp2", STORE_ROLE_SP }, { "inp1", STORE_ROLE_INP },
        { "inp2", STORE_ROLE_INP },
    };
    for (size_t i = 0; i < ARRAY_SIZE(p); i++) {
        char token[64];
        snprintf(token, sizeof token, "token-of-%s-0123456789", p[i].id);
        if (store_principal_add(s, p[i].id, p[i].role, token, 100, &err)) {
            fail_msg("%s", err.msg);
        }
    }
    json_t *offer = json_pack("{s:[s], s:{s:s}}", "nodes", "s1", "prices",
                              "cpu_hour", "0.5");
    assert_int_equal(store_inp_put(s, "inp1", offer, 100, &err), 0);
    assert_int_equal(store_inp_put(s, "inp2", offer, 100, &err), 0);
    json_decref(offer);
}

static void
test_schema(void **state)
{
    struct fixture *f = *state;
    struct brk_error err;
    struct store_rows rows;

    assert_int_equal(store_schema_version(f->s), STORE_SCHEMA_VERSION);
    assert_string_equal(store_backend(f->s), pg_server ? "postgresql"
                                                       : "sqlite");
    add_principals(f->s);
    if (!pg_server) {
        assert_int_equal(store_query(f->s, "PRAGMA journal_mode", NULL, 0,
                                     &rows, &err), 0);
        assert_string_equal(store_rows_get(&rows, 0, 0), "wal");
        store_rows_clear(&rows);
    }

    /* Reopening keeps the data and migrates nothing twice. */
    store_close(f->s);
    assert_int_equal(store_open(f->target, &f->s, &err), 0);
    struct store_principal who;
    assert_int_equal(store_principal_auth(f->s, "token-of-sp1-0123456789",
                                          &who, &err), 0);
    assert_string_equal(who.id, "sp1");

    /* A database from a newer broker is refused. */
    assert_int_equal(store_query(f->s, "UPDATE schema_version SET version = 99",
                                 NULL, 0, NULL, &err), 0);
    store_close(f->s);
    assert_int_equal(store_open(f->target, &f->s, &err), EPROTO);
    assert_null(f->s);
    assert_non_null(strstr(err.msg, "schema version 99"));
}

static void
test_principals(void **state)
{
    struct fixture *f = *state;
    struct brk_error err;
    struct store_principal who;
    struct store_rows rows;
    const char *token = "s3cret-token-of-sp9-xyz";
    char hex[65];

    assert_int_equal(store_principal_add(f->s, "sp9", STORE_ROLE_SP, token, 1,
                                         &err), 0);
    assert_int_equal(store_principal_auth(f->s, token, &who, &err), 0);
    assert_string_equal(who.id, "sp9");
    assert_int_equal(who.role, STORE_ROLE_SP);
    assert_int_equal(store_principal_auth(f->s, "s3cret-token-of-sp9-xyZ",
                                          &who, &err), ENOENT);
    assert_int_equal(store_principal_auth(f->s, "", &who, &err), ENOENT);

    /* Only the SHA-256 is stored. */
    assert_int_equal(store_query(f->s, "SELECT * FROM principals", NULL, 0,
                                 &rows, &err), 0);
    store_token_hash(token, hex);
    bool hash_found = false;
    for (size_t c = 0; c < rows.n_cols; c++) {
        const char *v = store_rows_get(&rows, 0, c);
        assert_true(!v || !strstr(v, token));
        hash_found |= v && !strcmp(v, hex);
    }
    assert_true(hash_found);
    store_rows_clear(&rows);
    /* "abc" is the FIPS 180-2 example. */
    store_token_hash("abc", hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
                             "b00361a396177a9cb410ff61f20015ad");

    assert_int_equal(store_principal_add(f->s, "sp9", STORE_ROLE_SP,
                                         "another-token-0123456", 1, &err),
                     EEXIST);
    assert_int_equal(store_principal_add(f->s, "sp10", STORE_ROLE_SP, token, 1,
                                         &err), EEXIST);
    assert_int_equal(store_principal_add(f->s, "sp11", STORE_ROLE_SP, "short",
                                         1, &err), EINVAL);
    assert_int_equal(store_principal_add(f->s, "bad id", STORE_ROLE_SP,
                                         "long-enough-token-123", 1, &err),
                     EINVAL);
}

static void
test_inps(void **state)
{
    struct fixture *f = *state;
    struct brk_error err;
    struct store_inp inp;

    add_principals(f->s);
    json_t *offer = json_pack("{s:i}", "cpu", 64);
    assert_int_equal(store_inp_put(f->s, "sp1", offer, 5, &err), EPERM);
    assert_int_equal(store_inp_put(f->s, "nobody", offer, 5, &err), ENOENT);
    assert_int_equal(store_inp_put(f->s, "inp1", offer, 200, &err), 0);
    assert_int_equal(store_inp_get(f->s, "inp1", &inp, &err), 0);
    assert_int_equal(inp.offer_version, 2);
    assert_true(json_equal(inp.offer, offer));
    assert_true(inp.up);
    assert_int_equal(inp.last_seen, 200);
    json_decref(inp.offer);

    assert_int_equal(store_inp_set_up(f->s, "inp1", false, &err), 0);
    assert_int_equal(store_inp_get(f->s, "inp1", &inp, &err), 0);
    assert_false(inp.up);
    json_decref(inp.offer);
    assert_int_equal(store_inp_heartbeat(f->s, "inp1", 300, &err), 0);
    assert_int_equal(store_inp_heartbeat(f->s, "inp7", 300, &err), ENOENT);

    struct store_inp *all;
    size_t n;
    assert_int_equal(store_inp_list(f->s, &all, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(all[0].id, "inp1");
    assert_true(all[0].up);
    assert_int_equal(all[0].last_seen, 300);
    store_inps_free(all, n);
    json_decref(offer);
}

static void
test_requests_idempotent(void **state)
{
    struct fixture *f = *state;
    struct brk_error err;
    bool existed;

    add_principals(f->s);
    struct store_request r = { .id = "r1", .sp = "sp1", .key = "k-1",
                               .body = json_pack("{s:i}", "n", 1),
                               .created = 10 };
    assert_int_equal(store_request_add(f->s, &r, &existed, &err), 0);
    assert_false(existed);
    json_t *answer = json_pack("{s:s}", "lease", "L1");
    assert_int_equal(store_request_answer(f->s, "r1", answer, NULL, &err), 0);

    /* The retry (another id, another body, same key) gets the first. */
    struct store_request again = { .id = "r2", .sp = "sp1", .key = "k-1",
                                   .body = json_pack("{s:i}", "n", 2),
                                   .created = 11 };
    assert_int_equal(store_request_add(f->s, &again, &existed, &err), 0);
    assert_true(existed);
    assert_string_equal(again.id, "r1");
    assert_int_equal(json_integer_value(json_object_get(again.body, "n")), 1);
    assert_true(json_equal(again.answer, answer));
    assert_int_equal(store_request_get(f->s, "r2", &r, &err), ENOENT);

    /* The same key from another SP is another request. */
    struct store_request other = { .id = "r3", .sp = "sp2", .key = "k-1",
                                   .body = json_object(), .created = 12 };
    assert_int_equal(store_request_add(f->s, &other, &existed, &err), 0);
    assert_false(existed);
    /* A duplicate id with a new key is an error, not a retry. */
    struct store_request dup = { .id = "r1", .sp = "sp1", .key = "k-2",
                                 .body = json_object(), .created = 13 };
    assert_int_equal(store_request_add(f->s, &dup, &existed, &err), EEXIST);

    struct store_request got;
    assert_int_equal(store_request_get(f->s, "r3", &got, &err), 0);
    assert_string_equal(got.sp, "sp2");
    assert_null(got.answer);
    store_request_clear(&got);
    store_request_clear(&r);
    store_request_clear(&again);
    store_request_clear(&other);
    store_request_clear(&dup);
    json_decref(answer);
}

static void
test_leases(void **state)
{
    struct fixture *f = *state;
    struct brk_error err;

    add_principals(f->s);
    struct store_lease l = {
        .id = "L1", .sp = "sp1", .state = LEASE_REQUESTED, .start = 1000,
        .end = 2000, .deadline = 130,
        .parts = json_pack("{s:{s:i}}", "inp1", "cpu", 2),
    };
    assert_int_equal(store_lease_add(f->s, &l, &err), 0);
    assert_int_equal(l.version, 1);
    assert_int_equal(store_lease_add(f->s, &l, &err), EEXIST);

    l.state = LEASE_HELD;
    assert_int_equal(store_lease_update(f->s, &l, &err), 0);
    assert_int_equal(l.version, 2);

    /* Someone holding version 1 loses. */
    struct store_lease stale;
    assert_int_equal(store_lease_get(f->s, "L1", &stale, &err), 0);
    stale.version = 1;
    stale.state = LEASE_ABORTING;
    assert_int_equal(store_lease_update(f->s, &stale, &err), ESTALE);
    store_lease_clear(&stale);

    /* A transition the table refuses is refused here too. */
    l.state = LEASE_ACTIVE;
    assert_int_equal(store_lease_update(f->s, &l, &err), EPERM);
    assert_non_null(strstr(err.msg, "held -> active"));
    l.state = LEASE_COMMITTING;
    l.prices = json_pack("{s:{s:i}}", "inp1", "cpu_hour", 500000);
    assert_int_equal(store_lease_update(f->s, &l, &err), 0);
    l.state = LEASE_ACTIVE;
    l.deadline = 0;
    assert_int_equal(store_lease_update(f->s, &l, &err), 0);
    assert_int_equal(l.version, 4);

    struct store_lease got;
    assert_int_equal(store_lease_get(f->s, "L1", &got, &err), 0);
    assert_int_equal(got.state, LEASE_ACTIVE);
    assert_int_equal(got.start, 1000);
    assert_int_equal(got.end, 2000);
    assert_int_equal(got.version, 4);
    assert_true(json_equal(got.parts, l.parts));
    assert_true(json_equal(got.prices, l.prices));
    store_lease_clear(&got);
    assert_int_equal(store_lease_get(f->s, "L9", &got, &err), ENOENT);

    struct store_lease l2 = { .id = "L2", .sp = "sp2",
                              .state = LEASE_REQUESTED };
    assert_int_equal(store_lease_add(f->s, &l2, &err), 0);
    struct store_lease *list;
    size_t n;
    assert_int_equal(store_lease_list(f->s, "sp1", LEASE_NONE, &list, &n,
                                      &err), 0);
    assert_int_equal(n, 1);
    store_leases_free(list, n);
    assert_int_equal(store_lease_list(f->s, NULL, LEASE_REQUESTED, &list, &n,
                                      &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, "L2");
    store_leases_free(list, n);
    assert_int_equal(store_lease_list(f->s, NULL, LEASE_NONE, &list, &n, &err),
                     0);
    assert_int_equal(n, 2);
    store_leases_free(list, n);
    /* A lease of an unknown SP is refused. */
    struct store_lease l3 = { .id = "L3", .sp = "ghost",
                              .state = LEASE_REQUESTED };
    assert_int_equal(store_lease_add(f->s, &l3, &err), ENOENT);
    store_lease_clear(&l);
}

/* Two connections to one database: optimistic concurrency between them. */
static void
test_two_connections(void **state)
{
    struct fixture *f = *state;
    struct brk_error err;
    struct store *other;

    add_principals(f->s);
    assert_int_equal(store_open(f->target, &other, &err), 0);
    struct store_lease l = { .id = "L1", .sp = "sp1",
                             .state = LEASE_REQUESTED };
    assert_int_equal(store_lease_add(f->s, &l, &err), 0);
    struct store_lease a, b;
    assert_int_equal(store_lease_get(f->s, "L1", &a, &err), 0);
    assert_int_equal(store_lease_get(other, "L1", &b, &err), 0);
    a.state = LEASE_HELD;
    b.state = LEASE_ABORTING;
    assert_int_equal(store_lease_update(f->s, &a, &err), 0);
    assert_int_equal(store_lease_update(other, &b, &err), ESTALE);
    store_lease_clear(&a);
    store_lease_clear(&b);
    assert_int_equal(store_lease_get(other, "L1", &b, &err), 0);
    assert_int_equal(b.state, LEASE_HELD);
    store_lease_clear(&b);
    store_close(other);
}

/* Several calls in one transaction: all or nothing. */
static void
test_transactions(void **state)
{
    struct fixture *f = *state;
    struct brk_error err;
    struct store_intent *pending;
    size_t n;

    add_principals(f->s);
    assert_int_equal(store_begin(f->s, &err), 0);
    struct store_lease l = { .id = "L1", .sp = "sp1",
                             .state = LEASE_REQUESTED };
    assert_int_equal(store_lease_add(f->s, &l, &err), 0);
    assert_int_equal(store_intent_add(f->s, "L1", STORE_PHASE_PREPARE, NULL,
                                      5, NULL, &err), 0);
    store_rollback(f->s);
    struct store_lease got;
    assert_int_equal(store_lease_get(f->s, "L1", &got, &err), ENOENT);
    assert_int_equal(store_intent_pending(f->s, &pending, &n, &err), 0);
    assert_int_equal(n, 0);
    store_intents_free(pending, n);

    assert_int_equal(store_begin(f->s, &err), 0);
    assert_int_equal(store_lease_add(f->s, &l, &err), 0);
    /* A nested operation (update begins its own) joins the outer one. */
    l.state = LEASE_HELD;
    assert_int_equal(store_lease_update(f->s, &l, &err), 0);
    assert_int_equal(store_intent_add(f->s, "L1", STORE_PHASE_PREPARE, NULL,
                                      5, NULL, &err), 0);
    assert_int_equal(store_commit(f->s, &err), 0);
    assert_int_equal(store_lease_get(f->s, "L1", &got, &err), 0);
    assert_int_equal(got.state, LEASE_HELD);
    store_lease_clear(&got);
    assert_int_equal(store_intent_pending(f->s, &pending, &n, &err), 0);
    assert_int_equal(n, 1);
    store_intents_free(pending, n);
    assert_int_equal(store_commit(f->s, &err), EINVAL);
}

/* The intent log, holds and events. */
static void
test_intents_holds_events(void **state)
{
    struct fixture *f = *state;
    struct brk_error err;

    add_principals(f->s);
    struct store_lease l = { .id = "L1", .sp = "sp1",
                             .state = LEASE_REQUESTED };
    assert_int_equal(store_lease_add(f->s, &l, &err), 0);

    int64_t prep, commit;
    json_t *detail = json_pack("{s:[s, s]}", "inps", "inp1", "inp2");
    assert_int_equal(store_intent_add(f->s, "L1", STORE_PHASE_PREPARE, detail,
                                      10, &prep, &err), 0);
    assert_int_equal(store_intent_add(f->s, "L1", STORE_PHASE_COMMIT, NULL, 11,
                                      &commit, &err), 0);
    assert_true(commit > prep);
    assert_int_equal(store_intent_add(f->s, "L7", STORE_PHASE_ABORT, NULL, 11,
                                      NULL, &err), ENOENT);
    assert_int_equal(store_intent_done(f->s, prep, &err), 0);
    assert_int_equal(store_intent_done(f->s, 999999, &err), ENOENT);
    struct store_intent *pending;
    size_t n;
    assert_int_equal(store_intent_pending(f->s, &pending, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(pending[0].id, commit);
    assert_int_equal(pending[0].phase, STORE_PHASE_COMMIT);
    assert_string_equal(pending[0].lease, "L1");
    store_intents_free(pending, n);
    json_decref(detail);

    struct store_hold h = { "L1", "inp1", "h-17", 130 };
    assert_int_equal(store_hold_put(f->s, &h, &err), 0);
    h.expires = 140;
    assert_int_equal(store_hold_put(f->s, &h, &err), 0);
    struct store_hold h2 = { "L1", "inp2", "h-3", 130 };
    assert_int_equal(store_hold_put(f->s, &h2, &err), 0);
    struct store_hold bad = { "L1", "inp9", "x", 1 };
    assert_int_equal(store_hold_put(f->s, &bad, &err), ENOENT);
    struct store_hold *holds;
    assert_int_equal(store_hold_list(f->s, "L1", &holds, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(holds[0].expires, 140);
    assert_string_equal(holds[1].local_id, "h-3");
    free(holds);
    assert_int_equal(store_hold_delete(f->s, "L1", "inp1", &err), 0);
    assert_int_equal(store_hold_delete(f->s, "L1", "inp1", &err), ENOENT);
    assert_int_equal(store_hold_list(f->s, NULL, &holds, &n, &err), 0);
    assert_int_equal(n, 1);
    free(holds);

    int64_t ids[3];
    for (int i = 0; i < 3; i++) {
        struct store_event e = { .sp = "sp1", .lease = "L1", .kind = "ending",
                                 .at = 100 + i };
        snprintf(e.message, sizeof e.message, "lease L1 ends in %d min",
                 5 - i);
        assert_int_equal(store_event_add(f->s, &e, &ids[i], &err), 0);
    }
    struct store_event other = { .sp = "sp2", .kind = "x", .at = 1,
                                 .message = "not yours" };
    assert_int_equal(store_event_add(f->s, &other, NULL, &err), 0);
    struct store_event *ev;
    assert_int_equal(store_event_list(f->s, "sp1", ids[0], 1, &ev, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].id, ids[1]);
    assert_string_equal(ev[0].message, "lease L1 ends in 4 min");
    free(ev);
    assert_int_equal(store_event_list(f->s, "sp1", 0, 100, &ev, &n, &err), 0);
    assert_int_equal(n, 3);
    free(ev);
}

/* Charges stored, released early, and billed (the figures of
 * test_bill.c's hand calculation). */
static void
test_charges(void **state)
{
    struct fixture *f = *state;
    struct brk_error err;
    const int64_t t0 = 36000, h = 3600;

    add_principals(f->s);
    struct store_lease l1 = { .id = "L1", .sp = "sp1", .state = LEASE_REQUESTED };
    struct store_lease l3 = { .id = "L3", .sp = "sp2", .state = LEASE_REQUESTED };
    assert_int_equal(store_lease_add(f->s, &l1, &err), 0);
    assert_int_equal(store_lease_add(f->s, &l3, &err), 0);
    struct bill_part parts[] = {
        { "L1", "sp1", "inp1", 2, 10000000, { 500000, 10000 }, t0, t0 + 3 * h, 0 },
        { "L1", "sp1", "inp2", 1, 10000000, { 1000000, 20000 }, t0, t0 + 3 * h, 0 },
        { "L3", "sp2", "inp1", 1, 100000000, { 400000, 20000 }, t0, t0 + 2 * h, 0 },
    };
    for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
        assert_int_equal(store_charge_put(f->s, &parts[i], &err), 0);
    }
    struct store_charge *c;
    size_t n;
    assert_int_equal(store_charge_list(f->s, "sp1", NULL, &c, &n, &err), 0);
    assert_int_equal(n, 2);
    free(c);
    /* Releasing the whole lease L1 at 11:30 stops both parts. */
    assert_int_equal(store_charge_release(f->s, "L1", t0 + 90 * 60, &err), 0);
    assert_int_equal(store_charge_release(f->s, "L9", t0, &err), ENOENT);

    assert_int_equal(store_charge_list(f->s, NULL, "inp1", &c, &n, &err), 0);
    assert_int_equal(n, 2);
    struct bill_part bp[2] = { c[0].part, c[1].part };
    json_t *rev = bill_report_inp(bp, n, "inp1", t0 + 24 * h);
    /* L1 on inp1 for 1.5 h: 2 x 0.5 x 1.5 + 10 x 0.01 x 1.5 = 1.65;
     * L3: 4.80. */
    assert_int_equal(json_integer_value(json_object_get(rev, "micro")), 6450000);
    json_decref(rev);
    free(c);

    assert_int_equal(store_charge_list(f->s, "sp1", "inp2", &c, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(c[0].part.released, t0 + 90 * 60);
    assert_int_equal(bill_part_charge(&c[0].part, t0 + 24 * h), 1800000);
    free(c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_principals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requests_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_connections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_intents_holds_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_charges, setup, teardown),
    };

    pg_server = getenv("LAMINA_TEST_PG");
    if (!pg_server) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/lamina-store.XXXXXX");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            return 1;
        }
    }
    int failed = cmocka_run_group_tests_name(pg_server ? "store-postgresql"
                                                       : "store-sqlite",
                                             tests, NULL, NULL);
    if (!pg_server) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd)) {
            fprintf(stderr, "could not remove %s\n", tmpdir);
        }
    }
    return failed;
}
