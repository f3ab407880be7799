/* Unit tests of the broker daemon's model and placement (bkd_model.c) on a
 * real store (SQLite in a temporary directory): offers checked field by
 * field, a request placed across two InPs with its border label taken from
 * both pools, admission over time (a future lease counts only where it
 * overlaps), labels per interval, a down InP gets nothing, the earliest
 * start in a window, a lease placed on a sub-InP (recursion), the health
 * an InP reports for a lease (events as it changes, "health" shown), two
 * virtual nodes on a one-switch InP only with "revisit" (revisitation),
 * the re-embedding of a vlink over a link down (bkd_reembed_plan()): a
 * detour with room, none when the room is booked (the reason naming the
 * links), back on its own path, and no bandwidth for placement on a link
 * down. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bkd.h"
#include "brk_time.h"
#include "util.h"

static const char *offer_a =
    "{\"name\": \"inp-a\", \"max_lease_s\": 86400,"
    " \"nodes\": [{\"name\": \"s1\", \"cpu\": 100, \"price_cpu_hour\": 0.05},"
    "             {\"name\": \"s2\", \"cpu\": 100}],"
    " \"links\": [{\"a\": \"s1\", \"b\": \"s2\", \"bandwidth\": \"1G\"}],"
    " \"access\": [{\"name\": \"a1\", \"node\": \"s1\", \"port\": \"h1\"},"
    "            {\"name\": \"a2\", \"node\": \"s1\", \"port\": \"h2\"}],"
    " \"borders\": [{\"name\": \"ab\", \"node\": \"s2\", \"port\": \"to-b\","
    "   \"peer_inp\": \"inp-b\", \"peer_border\": \"ba\", \"bandwidth\": \"1G\","
    "   \"labels\": [1000, 1999]}]}";
static const char *offer_b =
    "{\"name\": \"inp-b\", \"advertise\": \"abstract\","
    " \"nodes\": [{\"name\": \"t1\", \"cpu\": 100}, {\"name\": \"t2\", \"cpu\": 100}],"
    " \"links\": [{\"a\": \"t1\", \"b\": \"t2\", \"bandwidth\": 1000000000}],"
    " \"access\": [{\"name\": \"b1\", \"node\": \"t1\"}, {\"name\": \"b2\", \"node\": \"t1\"}],"
    " \"borders\": [{\"name\": \"ba\", \"node\": \"t2\", \"peer_inp\": \"inp-a\","
    "   \"peer_border\": \"ab\", \"bandwidth\": \"100M\", \"labels\": [1500, 2999]}]}";

struct fixture {
    char dir[64];
    struct bkd b;
};

/* Stores InP 'name' with 'offer' (text). */
static void
put_inp(struct fixture *f, const char *name, const char *offer)
{
    struct brk_error err;
    json_t *o = json_loads(offer, 0, NULL);
    assert_non_null(o);
    char field[64];
    if (bkd_offer_check(o, name, field, &err)) {
        fail_msg("%s", err.msg);
    }
    json_t *rec = json_pack("{s:s, s:s, s:o}", "endpoint", "http://127.0.0.1:1",
                            "agent_token", "x", "offer", o);
    char token[32];
    snprintf(token, sizeof token, "token-of-inp-%s", name);
    if (store_principal_add(f->b.store, name, STORE_ROLE_INP, token, 0, &err)
        || store_inp_put(f->b.store, name, rec, brk_time_now(), &err)) {
        fail_msg("%s", err.msg);
    }
    json_decref(rec);
}

static int
setup(void **state)
{
    struct fixture *f = xzalloc(sizeof *f);
    struct brk_error err;

    strcpy(f->dir, "/tmp/test-bkd.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char *db = xasprintf("%s/b.db", f->dir);
    assert_int_equal(store_open(db, &f->b.store, &err), 0);
    free(db);
    lease_fsm_config_default(&f->b.fsm);
    put_inp(f, "inp-a", offer_a);
    put_inp(f, "inp-b", offer_b);
    assert_int_equal(bkd_model_rebuild(&f->b, &err), 0);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    bkd_model_destroy(f->b.model);
    store_close(f->b.store);
    char *cmd = xasprintf("rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(f);
    return 0;
}

/* The access points requests use: a<ap> and b<ap>. */
static int ap = 1;

/* A request: left (cpu L) at inp-a/a<ap>, right (cpu 10) at inp-b/b<ap>,
 * a 10M link, from 'start' for 'dur' seconds. */
static struct vnreq *
request(int cpu_left, const char *bw, int64_t start, int64_t dur)
{
    char s[32];
    char *text = xasprintf(
        "{\"idempotency_key\": \"k\", \"nodes\": [{\"name\": \"left\", \"cpu\": %d},"
        " {\"name\": \"right\", \"cpu\": 10}], \"links\": [{\"endpoints\":"
        " [\"left\", \"right\"], \"bandwidth\": \"%s\"}], \"access\": [{\"name\":"
        " \"h1\", \"node\": \"left\", \"at\": \"inp-a/a%d\"}, {\"name\": \"h2\","
        " \"node\": \"right\", \"at\": \"inp-b/b%d\"}], \"time\": {\"start\": \"%s\","
        " \"duration\": \"%llds\"}}", cpu_left, bw, ap, ap,
        brk_time_format(start, s, sizeof s), (long long) dur);
    struct vnreq *r;
    struct brk_error err;
    if (vnreq_parse_json(text, strlen(text), brk_time_now(), &r, &err)) {
        fail_msg("%s", err.msg);
    }
    free(text);
    return r;
}

/* Places and books a request; returns the placement (to clear). */
static int
place(struct fixture *f, struct vnreq *r, const char *lease,
      struct bkd_placement *p, char *msg)
{
    struct brk_error err;
    char field[64];
    int error = bkd_place(&f->b, r, lease, "sp1", brk_time_now(), p, field,
                          &err);
    if (msg) {
        strcpy(msg, error ? err.msg : "");
    }
    return error;
}

static int64_t
label_of(const struct bkd_placement *p, const char *inp)
{
    return json_integer_value(json_object_get(json_array_get(json_object_get(
        json_object_get(p->parts, inp), "border_vlinks"), 0), "label"));
}

static void
test_offer_check(void **state)
{
    static const struct { const char *offer, *field; } bad[] = {
        { "{\"name\": \"inp-a\", \"nodes\": [{\"name\": \"s1\", \"cpu\": -1}]}",
          "offer.nodes[0].cpu" },
        { "{\"name\": \"inp-a\", \"nodes\": [{\"name\": \"s1\", \"cpu\": 1, \"x\": 1}]}",
          "offer.nodes[0].x" },
        { "{\"name\": \"inp-z\", \"nodes\": [{\"name\": \"s1\", \"cpu\": 1}]}",
          "offer.name" },
        { "{\"name\": \"inp-a\", \"nodes\": []}", "offer.nodes" },
        { "{\"name\": \"inp-a\", \"nodes\": [{\"name\": \"s1\", \"cpu\": 1}],"
          " \"links\": [{\"a\": \"s1\", \"b\": \"s9\", \"bandwidth\": \"1G\"}]}",
          "offer.links[0].b" },
        { "{\"name\": \"inp-a\", \"nodes\": [{\"name\": \"s1\", \"cpu\": 1},"
          " {\"name\": \"s2\", \"cpu\": 1}], \"links\": [{\"a\": \"s1\", \"b\":"
          " \"s2\", \"bandwidth\": \"-1G\"}]}", "offer.links[0].bandwidth" },
        { "{\"name\": \"inp-a\", \"nodes\": [{\"name\": \"s1\", \"cpu\": 1}],"
          " \"borders\": [{\"name\": \"ab\", \"node\": \"s1\", \"peer_inp\": \"b\","
          " \"peer_border\": \"ba\", \"bandwidth\": \"1G\", \"labels\": [9, 5]}]}",
          "offer.borders[0].labels" },
        { "{\"name\": \"inp-a\", \"advertise\": \"some\", \"nodes\": "
          "[{\"name\": \"s1\", \"cpu\": 1}]}", "offer.advertise" },
    };
    struct brk_error err;
    char field[64];

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        json_t *o = json_loads(bad[i].offer, 0, NULL);
        assert_non_null(o);
        assert_int_equal(bkd_offer_check(o, "inp-a", field, &err), EINVAL);
        assert_string_equal(field, bad[i].field);
        assert_non_null(strstr(err.msg, bad[i].field));
        json_decref(o);
    }
}

static void
test_place_across(void **state)
{
    struct fixture *f = *state;
    struct bkd_placement p;
    char msg[512];
    int64_t now = brk_time_now();
    struct vnreq *r = request(10, "10M", now, 3600);

    assert_int_equal(place(f, r, "L1", &p, msg), 0);
    json_t *a = json_object_get(p.parts, "inp-a");
    json_t *b = json_object_get(p.parts, "inp-b");
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(json_string_value(json_object_get(a, "slice")), "LL1");
    assert_string_equal(json_string_value(json_object_get(json_array_get(
        json_object_get(a, "vnodes"), 0), "switch")), "s1");
    assert_string_equal(json_string_value(json_object_get(json_array_get(
        json_object_get(b, "vnodes"), 0), "switch")), "t1");
    /* The label comes from both pools: [1000,1999] and [1500,2999]. */
    assert_int_equal(label_of(&p, "inp-a"), 1500);
    assert_int_equal(label_of(&p, "inp-b"), 1500);
    /* The far side's path runs from its vnode to its border. */
    json_t *bv = json_array_get(json_object_get(b, "border_vlinks"), 0);
    assert_string_equal(json_string_value(json_array_get(
        json_object_get(bv, "path"), 0)), "t1");
    assert_string_equal(json_string_value(json_object_get(bv, "border")), "ba");
    /* Bills: inp-a's CPU at 0.05/h. */
    assert_int_equal(json_integer_value(json_object_get(json_object_get(
        p.bills, "inp-a"), "cpu_hour")), 50000);

    /* Booked, the same access points are taken over its interval; an
     * overlapping request on other points gets the next label; one after
     * it the same label again. */
    assert_int_equal(bkd_book(&f->b, "L1", p.demands, p.labels, p.start,
                              p.end, +1, NULL), 0);
    struct bkd_placement q;
    assert_int_equal(place(f, r, "L2", &q, msg), ENOSPC);
    assert_non_null(strstr(msg, "inp-a access point a1"));
    ap = 2;
    struct vnreq *r2 = request(10, "10M", now, 3600);
    ap = 1;
    assert_int_equal(place(f, r2, "L2", &q, msg), 0);
    assert_int_equal(label_of(&q, "inp-a"), 1501);
    bkd_placement_clear(&q);
    vnreq_destroy(r2);
    struct vnreq *later = request(10, "10M", now + 7200, 3600);
    assert_int_equal(place(f, later, "L3", &q, msg), 0);
    assert_int_equal(label_of(&q, "inp-a"), 1500);
    bkd_placement_clear(&q);
    vnreq_destroy(later);

    /* Given back, the capacity and the label return. */
    assert_int_equal(bkd_book(&f->b, "L1", p.demands, p.labels, p.start,
                              p.end, -1, NULL), 0);
    assert_int_equal(place(f, r, "L4", &q, msg), 0);
    assert_int_equal(label_of(&q, "inp-a"), 1500);
    bkd_placement_clear(&q);
    bkd_placement_clear(&p);
    vnreq_destroy(r);
}

static void
test_admission_over_time(void **state)
{
    struct fixture *f = *state;
    struct bkd_placement p, q;
    char msg[512];
    int64_t now = brk_time_now();

    /* Tomorrow, s1 is full. */
    struct vnreq *tomorrow = request(100, "10M", now + 86400, 3600);
    assert_int_equal(place(f, tomorrow, "F1", &p, msg), 0);
    assert_int_equal(bkd_book(&f->b, "F1", p.demands, p.labels, p.start,
                              p.end, +1, NULL), 0);
    /* Today it is not: a future lease does not count now. */
    struct vnreq *today = request(60, "10M", now, 3600);
    assert_int_equal(place(f, today, "T1", &q, msg), 0);
    bkd_placement_clear(&q);
    /* Overlapping it, it does, and the refusal names the InP. */
    struct vnreq *overlap = request(60, "10M", now + 86400 - 1800, 3600);
    assert_int_equal(place(f, overlap, "O1", &q, msg), ENOSPC);
    assert_non_null(strstr(msg, "inp-a"));
    /* More bandwidth than the border has (100M): refused. */
    struct vnreq *fat = request(10, "200M", now, 3600);
    assert_int_equal(place(f, fat, "B1", &q, msg), ENOSPC);
    /* The extension of tomorrow's lease over itself is fine, over today's
     * booked one is not. */
    assert_int_equal(bkd_check_extend(&f->b, "F1", p.demands, p.labels,
                                      now + 86400 + 3600, now + 86400 + 7200,
                                      NULL), 0);
    bkd_placement_clear(&p);
    vnreq_destroy(tomorrow);
    vnreq_destroy(today);
    vnreq_destroy(overlap);
    vnreq_destroy(fat);
}

static void
test_down_inp_and_window(void **state)
{
    struct fixture *f = *state;
    struct bkd_placement p;
    struct brk_error err;
    char msg[512];
    int64_t now = brk_time_now();
    struct vnreq *r = request(100, "10M", now, 3600);

    /* Window: the earliest start after a lease that fills s1 for 1 h. */
    assert_int_equal(place(f, r, "W0", &p, msg), 0);
    assert_int_equal(bkd_book(&f->b, "W0", p.demands, p.labels, p.start,
                              p.end, +1, NULL), 0);
    bkd_placement_clear(&p);
    r->timing = VNREQ_WINDOW;
    r->earliest = now;
    r->latest = now + 86400;
    r->duration = 600;
    assert_int_equal(place(f, r, "W1", &p, msg), 0);
    assert_true(p.start >= now + 3600);
    assert_true(p.start <= now + 3601);
    assert_int_equal(p.end - p.start, 600);
    bkd_placement_clear(&p);

    /* inp-b down: nothing is placed on it. */
    assert_int_equal(store_inp_set_up(f->b.store, "inp-b", false, &err), 0);
    assert_int_equal(bkd_model_rebuild(&f->b, &err), 0);
    r->timing = VNREQ_FIXED;
    r->start = now + 7200;
    r->end = now + 9000;
    assert_int_equal(place(f, r, "D1", &p, msg), ENOSPC);
    vnreq_destroy(r);
}

/* Places 'fmt' (a child request: its first node's CPU and extra
 * members, its duration) and expects EPERM with 'want' in the message. */
static void
sub_refused(struct fixture *f, const char *fmt, int cpu, const char *extra,
            const char *dur, const char *want)
{
    struct bkd_placement p;
    struct brk_error err;
    struct vnreq *r;
    char msg[512];
    char *text = xasprintf(fmt, cpu, extra, dur);

    assert_int_equal(vnreq_parse_json(text, strlen(text), brk_time_now(), &r,
                                      &err), 0);
    free(text);
    assert_int_equal(place(f, r, "C2", &p, msg), EPERM);
    if (!strstr(msg, want)) {
        fail_msg("refusal \"%s\" does not say \"%s\"", msg, want);
    }
    vnreq_destroy(r);
}

/* Recursion: an active lease on inp-a offered as sub-InP "sub-p"; a
 * request placed on it becomes a PART for inp-a inside the parent's
 * (real switches, access point and path, "parent"), with the parent's
 * limits inherited; more than the parent holds, or a later end, is
 * refused naming the limit. */
/* Revisitation: on a one-switch InP, two virtual nodes fit only with
 * "revisit": true; both are then on s9 and the link between them has the
 * path ["s9"]. */
static void
test_revisit(void **state)
{
    static const char *offer_c =
        "{\"name\": \"inp-c\", \"nodes\": [{\"name\": \"s9\", \"cpu\": 100}],"
        " \"links\": [],"
        " \"access\": [{\"name\": \"c1\", \"node\": \"s9\", \"port\": \"h1\"},"
        "            {\"name\": \"c2\", \"node\": \"s9\", \"port\": \"h2\"}]}";
    static const char *req =
        "{\"idempotency_key\": \"r\",%s \"nodes\": [{\"name\": \"x\", \"cpu\": 5,"
        " \"inp\": \"inp-c\"}, {\"name\": \"y\", \"cpu\": 5, \"inp\": \"inp-c\"}],"
        " \"links\": [{\"endpoints\": [\"x\", \"y\"], \"bandwidth\": \"4M\"}],"
        " \"access\": [{\"name\": \"hx\", \"node\": \"x\", \"at\": \"inp-c/c1\"},"
        "             {\"name\": \"hy\", \"node\": \"y\", \"at\": \"inp-c/c2\"}],"
        " \"time\": {\"start\": \"now\", \"duration\": \"30m\"}}";
    struct fixture *f = *state;
    struct brk_error err;
    struct bkd_placement p;
    struct vnreq *r;
    char msg[512];
    int64_t now = brk_time_now();

    put_inp(f, "inp-c", offer_c);
    assert_int_equal(bkd_model_rebuild(&f->b, &err), 0);

    char *text = xasprintf(req, "");
    assert_int_equal(vnreq_parse_json(text, strlen(text), now, &r, &err), 0);
    free(text);
    assert_int_equal(place(f, r, "R1", &p, msg), ENOSPC);
    vnreq_destroy(r);

    text = xasprintf(req, " \"revisit\": true,");
    assert_int_equal(vnreq_parse_json(text, strlen(text), now, &r, &err), 0);
    free(text);
    if (place(f, r, "R2", &p, msg)) {
        fail_msg("placement with revisit refused: %s", msg);
    }
    vnreq_destroy(r);
    json_t *c = json_object_get(p.parts, "inp-c");
    assert_non_null(c);
    assert_int_equal(json_object_size(p.parts), 1);
    json_t *vn = json_object_get(c, "vnodes");
    assert_int_equal(json_array_size(vn), 2);
    for (size_t i = 0; i < 2; i++) {
        assert_string_equal(json_string_value(json_object_get(
            json_array_get(vn, i), "switch")), "s9");
    }
    json_t *vl = json_array_get(json_object_get(c, "vlinks"), 0);
    json_t *want = json_loads("[\"s9\"]", 0, NULL);
    assert_true(json_equal(json_object_get(vl, "path"), want));
    json_decref(want);
    bkd_placement_clear(&p);
}

static void
test_sub_inp(void **state)
{
    struct fixture *f = *state;
    struct brk_error err;
    struct store_lease pl;
    char field[64], msg[512];
    int64_t now = brk_time_now();

    memset(&pl, 0, sizeof pl);
    str_copy(pl.id, "P1", sizeof pl.id);
    str_copy(pl.sp, "sp1", sizeof pl.sp);
    pl.state = LEASE_ACTIVE;
    pl.start = now - 10;
    pl.end = now + 3600;
    pl.parts = json_loads(
        "{\"parts\": {\"inp-a\": {\"slice\": \"LP1\", \"sp\": \"sp1\","
        " \"vnodes\": [{\"name\": \"left\", \"switch\": \"s1\", \"cpu\": 20,"
        "               \"limits\": {\"flows\": 100}},"
        "              {\"name\": \"right\", \"switch\": \"s2\", \"cpu\": 20}],"
        " \"access\": [{\"vnode\": \"left\", \"access\": \"a1\", \"name\": \"h1\", \"vlan\": null}],"
        " \"vlinks\": [{\"name\": \"e\", \"a\": \"left\", \"b\": \"right\","
        "              \"path\": [\"s1\", \"s2\"], \"bandwidth_bps\": 10000000}],"
        " \"border_vlinks\": []}}, \"demands\": [], \"labels\": []}", 0, NULL);
    assert_non_null(pl.parts);
    assert_int_equal(store_principal_add(f->b.store, "sp1", STORE_ROLE_SP, "token-of-sp-sp1-0123",
                                         0, &err), 0);
    assert_int_equal(store_lease_add(f->b.store, &pl, &err), 0);

    json_t *rec;
    assert_int_equal(bkd_sub_offer(&pl, "sub-p", &rec, field, &err), 0);
    json_t *offer = json_object_get(rec, "offer");
    assert_int_equal(json_array_size(json_object_get(offer, "nodes")), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(
        json_object_get(offer, "access"), 0), "name")), "h1");
    assert_string_equal(json_string_value(json_object_get(rec, "real_inp")), "inp-a");
    assert_int_equal(store_principal_add(f->b.store, "sub-p", STORE_ROLE_INP,
                                         "token-of-inp-sub-p", 0, &err), 0);
    assert_int_equal(store_inp_put(f->b.store, "sub-p", rec, now, &err), 0);
    json_decref(rec);
    assert_int_equal(bkd_model_rebuild(&f->b, &err), 0);

    /* A child: x (5 CPU) at sub-p/h1, y (5 CPU), a 4M link. */
    static const char *child =
        "{\"idempotency_key\": \"c\", \"nodes\": [{\"name\": \"x\", \"cpu\": %d,"
        " \"inp\": \"sub-p\"%s}, {\"name\": \"y\", \"cpu\": 5, \"inp\": \"sub-p\"}],"
        " \"links\": [{\"endpoints\": [\"x\", \"y\"], \"bandwidth\": \"4M\"}],"
        " \"access\": [{\"name\": \"hx\", \"node\": \"x\", \"at\": \"sub-p/h1\"}],"
        " \"time\": {\"start\": \"now\", \"duration\": \"%s\"}}";
    struct bkd_placement p;
    struct vnreq *r;
    char *text = xasprintf(child, 5, "", "30m");
    assert_int_equal(vnreq_parse_json(text, strlen(text), now, &r, &err), 0);
    free(text);
    assert_int_equal(place(f, r, "C1", &p, msg), 0);
    vnreq_destroy(r);
    json_t *want = json_loads(
        "{\"inp-a\": {\"slice\": \"LC1\", \"sp\": \"sp1\", \"parent\": \"LP1\","
        " \"vnodes\": [{\"name\": \"x\", \"switch\": \"s1\", \"cpu\": 5, \"fp\": \"l2learn\","
        "               \"config\": {}, \"limits\": {\"flows\": 100}},"
        "              {\"name\": \"y\", \"switch\": \"s2\", \"cpu\": 5, \"fp\": \"l2learn\","
        "               \"config\": {}}],"
        " \"access\": [{\"vnode\": \"x\", \"access\": \"a1\", \"name\": \"hx\", \"vlan\": null}],"
        " \"vlinks\": [{\"name\": \"x-y\", \"a\": \"x\", \"b\": \"y\", \"path\": [\"s1\", \"s2\"],"
        "              \"bandwidth_bps\": 4000000}],"
        " \"border_vlinks\": []}}", 0, NULL);
    if (!json_equal(p.parts, want)) {
        char *got = json_dumps(p.parts, JSON_SORT_KEYS);
        fail_msg("parts: %s", got);
    }
    json_decref(want);
    assert_string_equal(p.parent_lease, "P1");
    bkd_placement_clear(&p);

    /* Over the parent: flows, CPU, a later end. */
    sub_refused(f, child, 5, ", \"limits\": {\"flows\": 101}", "30m",
                "vnodes[0].limits.flows: 101 over the parent's 100");
    sub_refused(f, child, 21, "", "30m", "nodes[0].cpu: 21 over the parent's 20");
    sub_refused(f, child, 5, "", "2h", "time: the lease would end after lease P1");
    store_lease_clear(&pl);
}

/* The kinds of sp1's events after 'after', space-separated, in 'buf'. */
static const char *
event_kinds(struct fixture *f, int64_t after, char *buf, size_t size)
{
    struct store_event *ev;
    struct brk_error err;
    size_t n;

    assert_int_equal(store_event_list(f->b.store, "sp1", after, 100, &ev, &n, &err), 0);
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(buf);
        snprintf(buf + len, size - len, "%s%s", i ? " " : "", ev[i].kind);
    }
    free(ev);
    return buf;
}

/* Health reports of inp-a on lease H1: rerouted (degraded then healthy
 * events), degraded with the reason, back (healthy), and reports about a
 * lease the InP does not carry are ignored. */
static void
test_health(void **state)
{
    struct fixture *f = *state;
    struct brk_error err;
    struct store_lease l = { .id = "H1", .sp = "sp1", .state = LEASE_ACTIVE };
    char kinds[256];

    l.start = brk_time_now() - 10;
    l.end = l.start + 3600;
    l.parts = json_pack("{s:{s:{s:s}}}", "parts", "inp-a", "slice", "LH1");
    assert_int_equal(store_principal_add(f->b.store, "sp1", STORE_ROLE_SP,
                                         "token-of-sp-sp1-0123", 0, &err), 0);
    assert_int_equal(store_lease_add(f->b.store, &l, &err), 0);
    f->b.health = json_object();

    json_t *j = json_object();
    bkd_lease_health_json(&f->b, "H1", j);
    assert_string_equal(json_string_value(json_object_get(j, "health")), "healthy");
    assert_null(json_object_get(j, "health_detail"));

    json_t *rep = json_loads(
        "{\"H1\": {\"state\": \"rerouted\", \"down\": [\"l13\"],"
        "  \"rerouted\": [{\"vlink\": \"e\", \"path\": [\"s1\", \"s2\", \"s3\"]}]},"
        " \"nope\": {\"state\": \"degraded\"}}", 0, NULL);
    assert_non_null(rep);
    bkd_lease_health(&f->b, "inp-a", rep);
    assert_string_equal(event_kinds(f, 0, kinds, sizeof kinds),
                        "lease.degraded lease.healthy");
    bkd_lease_health(&f->b, "inp-a", rep);          /* the same: no event */
    bkd_lease_health(&f->b, "inp-b", rep);          /* not its lease */
    assert_string_equal(event_kinds(f, 0, kinds, sizeof kinds),
                        "lease.degraded lease.healthy");
    bkd_lease_health_json(&f->b, "H1", j);
    assert_string_equal(json_string_value(json_object_get(j, "health")), "healthy");
    assert_non_null(json_object_get(json_object_get(j, "health_detail"), "inp-a"));
    assert_null(json_object_get(f->b.health, "nope"));
    json_decref(rep);

    rep = json_loads("{\"H1\": {\"state\": \"degraded\", \"down\": [\"l13\", \"l12\"],"
                     " \"rerouted\": [], \"reason\": \"no path from s1 to s3\"}}", 0, NULL);
    bkd_lease_health(&f->b, "inp-a", rep);
    assert_string_equal(event_kinds(f, 0, kinds, sizeof kinds),
                        "lease.degraded lease.healthy lease.degraded");
    bkd_lease_health_json(&f->b, "H1", j);
    assert_string_equal(json_string_value(json_object_get(j, "health")), "degraded");
    json_decref(rep);

    bkd_lease_health(&f->b, "inp-a", NULL);         /* the links are back */
    assert_string_equal(event_kinds(f, 0, kinds, sizeof kinds),
                        "lease.degraded lease.healthy lease.degraded lease.healthy");
    assert_int_equal(json_object_size(f->b.health), 0);
    bkd_lease_health_json(&f->b, "H1", j);
    assert_string_equal(json_string_value(json_object_get(j, "health")), "healthy");
    assert_null(json_object_get(j, "health_detail"));
    json_decref(j);
    json_decref(f->b.health);
    f->b.health = NULL;
    store_lease_clear(&l);
}

/* A triangle InP for the re-embedding: c1 - c2 (30M), c2 - c3, c1 - c3
 * (1G each). */
static const char *offer_c =
    "{\"name\": \"inp-c\","
    " \"nodes\": [{\"name\": \"c1\", \"cpu\": 100}, {\"name\": \"c2\", \"cpu\": 100},"
    "             {\"name\": \"c3\", \"cpu\": 100}],"
    " \"links\": [{\"a\": \"c1\", \"b\": \"c2\", \"bandwidth\": \"30M\"},"
    "           {\"a\": \"c2\", \"b\": \"c3\", \"bandwidth\": \"1G\"},"
    "           {\"a\": \"c1\", \"b\": \"c3\", \"bandwidth\": \"1G\"}],"
    " \"access\": [{\"name\": \"ap1\", \"node\": \"c1\"}]}";

/* The path of the first vlink of 'part', as text. */
static const char *
first_path(const json_t *part, char *buf, size_t size)
{
    char *t = json_dumps(json_object_get(json_array_get(json_object_get(part,
                                                                        "vlinks"),
                                                        0), "path"),
                         JSON_COMPACT);
    snprintf(buf, size, "%s", t ? t : "?");
    free(t);
    return buf;
}

/* bkd_reembed_plan(): l13 down under a 20M vlink on c1-c3: a detour by
 * c2 (l12 has room), then, with 20M of l12 booked by another lease, none
 * (degraded, the reason naming l13 and l12's free bandwidth); links back:
 * its own path.  Placement gives a link down no bandwidth. */
static void
test_reembed_plan(void **state)
{
    struct fixture *f = *state;
    struct brk_error err;
    int64_t now = brk_time_now(), end = now + 3600;
    char buf[128];
    json_t *target, *rep;

    put_inp(f, "inp-c", offer_c);
    f->b.substrate = json_object();
    assert_int_equal(bkd_model_rebuild(&f->b, &err), 0);
    json_t *part = json_loads(
        "{\"slice\": \"LR1\", \"vnodes\": [], \"access\": [], \"border_vlinks\": [],"
        " \"vlinks\": [{\"name\": \"e\", \"a\": \"x\", \"b\": \"y\","
        "   \"path\": [\"c1\", \"c3\"], \"bandwidth_bps\": 20000000}]}", 0, NULL);
    assert_non_null(part);
    json_t *own_d = bkd_part_link_demands(&f->b, "inp-c", part);
    assert_int_equal(json_array_size(own_d), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(own_d, 0),
                                                          "r")), "inp-c link c1-c3");
    assert_int_equal(bkd_book(&f->b, "R1", own_d, NULL, now, end, +1, &err), 0);
    json_t *down = json_loads("[{\"name\": \"l13\", \"a\": \"c3\", \"b\": \"c1\"}]",
                              0, NULL);

    /* Nothing down: healthy, on its own path. */
    json_t *none = json_array();
    assert_null(bkd_reembed_plan(&f->b, "inp-c", part, part, none, now, end,
                                 &target));
    assert_true(json_equal(target, part));
    json_decref(target);

    /* l13 down: by c2, l12 has room. */
    rep = bkd_reembed_plan(&f->b, "inp-c", part, part, down, now, end, &target);
    assert_non_null(rep);
    assert_string_equal(json_string_value(json_object_get(rep, "state")), "rerouted");
    assert_string_equal(first_path(target, buf, sizeof buf), "[\"c1\",\"c2\",\"c3\"]");
    assert_string_equal(json_string_value(json_array_get(json_object_get(rep, "down"), 0)),
                        "l13");
    json_t *det_d = bkd_part_link_demands(&f->b, "inp-c", target);
    assert_int_equal(json_array_size(det_d), 2);
    json_decref(rep);

    /* On the detour with l13 back: its own path again (the detour's
     * booking counts as its own). */
    assert_int_equal(bkd_book(&f->b, "R1", own_d, NULL, now, end, -1, &err), 0);
    assert_int_equal(bkd_book(&f->b, "R1", det_d, NULL, now, end, +1, &err), 0);
    json_t *t2;
    assert_null(bkd_reembed_plan(&f->b, "inp-c", target, part, none, now, end, &t2));
    assert_true(json_equal(t2, part));
    json_decref(t2);
    /* Still down: it stays where it is. */
    rep = bkd_reembed_plan(&f->b, "inp-c", target, part, down, now, end, &t2);
    assert_true(json_equal(t2, target));
    json_decref(t2);
    json_decref(rep);
    assert_int_equal(bkd_book(&f->b, "R1", det_d, NULL, now, end, -1, &err), 0);
    assert_int_equal(bkd_book(&f->b, "R1", own_d, NULL, now, end, +1, &err), 0);
    json_decref(target);

    /* Another lease takes 20M of l12: no room for the detour. */
    json_t *other = json_loads("[{\"r\": \"inp-c link c1-c2\", \"n\": 20000000}]",
                               0, NULL);
    assert_int_equal(bkd_book(&f->b, "R2", other, NULL, now, end, +1, &err), 0);
    rep = bkd_reembed_plan(&f->b, "inp-c", part, part, down, now, end, &target);
    assert_non_null(rep);
    assert_string_equal(json_string_value(json_object_get(rep, "state")), "degraded");
    const char *why = json_string_value(json_object_get(rep, "reason"));
    assert_non_null(strstr(why, "vlink e (20M)"));
    assert_non_null(strstr(why, "l13 (c1-c3) down"));
    assert_non_null(strstr(why, "c1-c2 has 10M free of 30M"));
    assert_true(json_equal(target, part));
    json_decref(target);
    json_decref(rep);

    /* A border vlink (from its vnode on c1 to a border on c3) and a
     * transit vlink are re-embedded the same way: same ends, other path
     * (here with l12 short too: the 5M ones still fit its 10M). */
    json_t *bpart = json_loads(
        "{\"slice\": \"LR4\", \"vnodes\": [], \"access\": [], \"vlinks\": [],"
        " \"border_vlinks\": [{\"name\": \"b\", \"vnode\": \"x\", \"path\": [\"c1\", \"c3\"],"
        "   \"border\": \"cb\", \"label\": 1000, \"bandwidth_bps\": 5000000}],"
        " \"transit_vlinks\": [{\"name\": \"t\", \"path\": [\"c3\", \"c1\"],"
        "   \"border_in\": \"cb\", \"label_in\": 1001, \"border_out\": \"ca\","
        "   \"label_out\": 1002, \"bandwidth_bps\": 5000000}]}", 0, NULL);
    assert_non_null(bpart);
    rep = bkd_reembed_plan(&f->b, "inp-c", bpart, bpart, down, now, end, &target);
    assert_non_null(rep);
    assert_string_equal(json_string_value(json_object_get(rep, "state")), "rerouted");
    assert_int_equal(json_array_size(json_object_get(rep, "rerouted")), 2);
    char *bp = json_dumps(json_object_get(json_array_get(json_object_get(
        target, "border_vlinks"), 0), "path"), JSON_COMPACT);
    assert_string_equal(bp, "[\"c1\",\"c2\",\"c3\"]");
    free(bp);
    bp = json_dumps(json_object_get(json_array_get(json_object_get(
        target, "transit_vlinks"), 0), "path"), JSON_COMPACT);
    assert_string_equal(bp, "[\"c3\",\"c2\",\"c1\"]");
    free(bp);
    json_decref(target);
    json_decref(rep);
    json_decref(bpart);

    /* Placement: with l13 down and l12 short, 20M from c1 to c3 does not
     * fit; with l13 up it does. */
    assert_false(bkd_link_down(&f->b, "inp-c", "c1", "c3"));
    json_object_set_new(f->b.substrate, "inp-c", json_pack("{s:O}", "down", down));
    assert_true(bkd_link_down(&f->b, "inp-c", "c3", "c1"));
    const char *rq =
        "{\"idempotency_key\": \"k\", \"nodes\": [{\"name\": \"x\", \"cpu\": 1,"
        " \"location\": \"c1\", \"inp\": \"inp-c\"}, {\"name\": \"y\", \"cpu\": 1,"
        " \"location\": \"c3\", \"inp\": \"inp-c\"}], \"links\": [{\"endpoints\":"
        " [\"x\", \"y\"], \"bandwidth\": \"20M\"}], \"time\": {\"start\": \"now\","
        " \"duration\": \"1h\"}}";
    struct vnreq *r;
    assert_int_equal(vnreq_parse_json(rq, strlen(rq), now, &r, &err), 0);
    struct bkd_placement pl;
    assert_int_equal(place(f, r, "R3", &pl, NULL), ENOSPC);
    json_object_del(f->b.substrate, "inp-c");
    assert_int_equal(place(f, r, "R3", &pl, NULL), 0);
    bkd_placement_clear(&pl);
    vnreq_destroy(r);

    json_decref(other);
    json_decref(own_d);
    json_decref(det_d);
    json_decref(none);
    json_decref(down);
    json_decref(part);
    json_decref(f->b.substrate);
    f->b.substrate = NULL;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offer_check),
        cmocka_unit_test_setup_teardown(test_place_across, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admission_over_time, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sub_inp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_health, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reembed_plan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revisit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_down_inp_and_window, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
