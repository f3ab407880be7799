/* The lease life of the broker daemon: two-phase commit across the InPs,
 * renew, release, expiry, warnings, heartbeats, recovery; see bkd.h. */
#include "bkd.h"

#include <errno.h>
#include <pthread.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "bill.h"
#include "brk_time.h"
#include "http.h"
#include "fault.h"
#include "log.h"
#include "util.h"

#define MOD "broker"

void
bkd_fault(struct bkd *b, const char *point)
{
    if (b->cfg.fault && !strcmp(b->cfg.fault, point)) {
        LOG_WARN(MOD, "fault point %s reached: killing myself", point);
        kill(getpid(), SIGKILL);
    }
    if (fault_roll(b->cfg.fault_prob)) {
        LOG_WARN(MOD, "chaos fault: killed at %s", point);
        kill(getpid(), SIGKILL);
    }
}

/* A new random id with 'prefix' ("R", "L"): prefix + 10 hex digits. */
static void
new_id(const char *prefix, char id[STORE_ID_LEN])
{
    uint8_t r[5];
    if (getrandom(r, sizeof r, 0) != sizeof r) {
        uint64_t t = time_ns();
        memcpy(r, &t, sizeof r);
    }
    snprintf(id, STORE_ID_LEN, "%s%02x%02x%02x%02x%02x", prefix, r[0], r[1],
             r[2], r[3], r[4]);
}

json_t *
bkd_lease_json(const struct store_lease *l)
{
    char s[32], e[32];
    json_t *parts = json_object_get(l->parts, "parts");
    json_t *inps = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(parts, k, v) {
        json_array_append_new(inps, json_string(k));
    }
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:O*}",
                          "id", l->id, "sp", l->sp, "request", l->request,
                          "state", lease_state_name(l->state),
                          "start", brk_time_format(l->start, s, sizeof s),
                          "start_ts", (json_int_t) l->start,
                          "end_ts", (json_int_t) l->end,
                          "inps", inps, "parts", parts);
    json_object_set_new(j, "end", json_string(brk_time_format(l->end, e,
                                                              sizeof e)));
    json_t *why = json_object_get(l->parts, "failure");
    if (why) {
        json_object_set(j, "failure", why);
    }
    return j;
}

void
bkd_event(struct bkd *b, const struct store_lease *l, const char *kind,
          const char *fmt, ...)
{
    struct store_event e;
    va_list args;
    int64_t id;

    memset(&e, 0, sizeof e);
    str_copy(e.sp, l->sp, sizeof e.sp);
    str_copy(e.lease, l->id, sizeof e.lease);
    str_copy(e.kind, kind, sizeof e.kind);
    e.at = brk_time_now();
    va_start(args, fmt);
    vsnprintf(e.message, sizeof e.message, fmt, args);
    va_end(args);
    struct brk_error err;
    if (store_event_add(b->store, &e, &id, &err)) {
        LOG_WARN(MOD, "lease %s: cannot record event: %s", l->id, err.msg);
    }
    pthread_cond_broadcast(&b->events_cond);
}

/* ---- Substrate failures reported by the InPs ---- */

/* The names of JSON array 'a' of strings, comma-separated, in 'buf'. */
static const char *
health_names(const json_t *a, char *buf, size_t size)
{
    size_t i;
    json_t *v;

    buf[0] = '\0';
    json_array_foreach(a, i, v) {
        size_t len = strlen(buf);
        snprintf(buf + len, size - len, "%s%s", i ? "," : "",
                 json_is_string(v) ? json_string_value(v) : "?");
    }
    return buf;
}

/* The events of lease 'l' on InP 'inp' whose report went from 'old' to
 * 'new' (either NULL: healthy there). */
static void
health_events(struct bkd *b, const struct store_lease *l, const char *inp,
              const json_t *old, const json_t *new)
{
    const char *os = old ? json_string_value(json_object_get(old, "state")) : NULL;
    const char *ns = new ? json_string_value(json_object_get(new, "state")) : NULL;
    char down[256], moved[512] = "";
    size_t i;
    json_t *r;

    if (new) {
        health_names(json_object_get(new, "down"), down, sizeof down);
        json_array_foreach(json_object_get(new, "rerouted"), i, r) {
            char path[256];
            size_t len = strlen(moved);
            snprintf(moved + len, sizeof moved - len, "%s%s on %s", i ? "; " : "",
                     json_string_value(json_object_get(r, "vlink")),
                     health_names(json_object_get(r, "path"), path, sizeof path));
        }
    }
    if (!old && new) {
        bkd_event(b, l, "lease.degraded", "InP %s: substrate link(s) %s down "
                  "under the lease", inp, down);
    }
    if (ns && !strcmp(ns, "degraded") && (!os || strcmp(os, "degraded"))) {
        const char *why = json_string_value(json_object_get(new, "reason"));
        bkd_event(b, l, "lease.degraded", "the broker cannot re-embed the lease "
                  "on InP %s: %s", inp, why ? why : "no reason given");
    } else if (ns && !strcmp(ns, "rerouted") && (!os || strcmp(os, "rerouted")
                                                 || !json_equal(old, new))) {
        bkd_event(b, l, "lease.healthy", "the broker re-embedded the lease on "
                  "InP %s%s%s, its bandwidth booked there: %s", inp,
                  down[0] ? " avoiding " : "", down, moved);
    } else if (old && !new) {
        bkd_event(b, l, "lease.healthy", "InP %s: the substrate links under the "
                  "lease are up again; it is back on its own paths (the "
                  "detours' booking released)", inp);
    }
}

void
bkd_lease_health(struct bkd *b, const char *inp, const json_t *health)
{
    const char *id;
    void *tmp;
    json_t *per, *rep;

    /* Leases that were touched on 'inp' and are no longer. */
    json_object_foreach_safe(b->health, tmp, id, per) {
        json_t *old = json_object_get(per, inp);
        if (!old || json_object_get(health, id)) {
            continue;
        }
        struct store_lease l;
        struct brk_error err;
        if (!store_lease_get(b->store, id, &l, &err)) {
            if (!lease_state_is_final(l.state) && l.state != LEASE_RELEASING) {
                health_events(b, &l, inp, old, NULL);
            }
            store_lease_clear(&l);
        }
        json_object_del(per, inp);
        if (!json_object_size(per)) {
            json_object_del(b->health, id);
        }
    }
    json_object_foreach((json_t *) health, id, rep) {
        struct store_lease l;
        struct brk_error err;
        const char *st = json_string_value(json_object_get(rep, "state"));

        /* Only a known state, about a lease this InP carries. */
        if (!st || (strcmp(st, "rerouted") && strcmp(st, "degraded"))
            || store_lease_get(b->store, id, &l, &err)) {
            continue;
        }
        if (json_object_get(json_object_get(l.parts, "parts"), inp)
            && !lease_state_is_final(l.state)) {
            per = json_object_get(b->health, id);
            if (!per) {
                per = json_object();
                json_object_set_new(b->health, id, per);
            }
            json_t *old = json_object_get(per, inp);
            if (!old || !json_equal(old, rep)) {
                if (old) {
                    json_incref(old);
                }
                health_events(b, &l, inp, old, rep);
                json_object_set_new(per, inp, json_deep_copy(rep));
                json_decref(old);
            }
        }
        store_lease_clear(&l);
    }
}

void
bkd_lease_health_json(const struct bkd *b, const char *id, json_t *j)
{
    const json_t *per = json_object_get(b->health, id);
    const char *inp;
    json_t *rep;
    bool degraded = false;

    json_object_foreach((json_t *) per, inp, rep) {
        degraded = degraded || !strcmp(json_string_value(json_object_get(rep, "state")),
                                       "degraded");
    }
    json_object_set_new(j, "health", json_string(degraded ? "degraded" : "healthy"));
    if (per) {
        json_object_set_new(j, "health_detail", json_deep_copy(per));
    } else {
        json_object_del(j, "health_detail");
    }
}

/* ---- Calls to the InPs ---- */

/* Where and how to call one InP: read from the store under the mutex, used
 * without it. */
struct inp_target {
    char *url_base;             /* the agent's endpoint */
    char *token;                /* its agent token, or NULL */
    char *ca_file;              /* or NULL */
};

static void
inp_target_clear(struct inp_target *t)
{
    free(t->url_base);
    free(t->token);
    free(t->ca_file);
    memset(t, 0, sizeof *t);
}

/* Fills 't' for InP 'inp' (under the mutex).  Returns 0, or EIO with
 * 'why'. */
static int
inp_target_get(struct bkd *b, const char *inp, struct inp_target *t,
               char *why, size_t why_size)
{
    struct store_inp si;
    struct brk_error err;

    memset(t, 0, sizeof *t);
    if (store_inp_get(b->store, inp, &si, &err)) {
        snprintf(why, why_size, "InP %s: %.400s", inp, err.msg);
        return EIO;
    }
    const char *endpoint = json_string_value(json_object_get(si.offer,
                                                             "endpoint"));
    const char *token = json_string_value(json_object_get(si.offer,
                                                          "agent_token"));
    const char *ca = json_string_value(json_object_get(si.offer, "ca_file"));
    t->url_base = xstrdup(endpoint ? endpoint : "");
    t->token = token ? xstrdup(token) : NULL;
    t->ca_file = ca ? xstrdup(ca) : NULL;
    json_decref(si.offer);
    return 0;
}

/* Calls 'path' of InP 'inp' at 't' with 'body' (taken); needs no mutex.
 * Returns 0 with '*reply' on a 2xx answer; on a refusal or failure returns
 * 409 (the InP refused: 'why' says what), or EIO/ETIMEDOUT
 * (unreachable). */
static int
inp_post(struct bkd *b, const char *inp, const struct inp_target *t,
         const char *path, json_t *body, json_t **reply, char *why,
         size_t why_size)
{
    long status = 0;
    char *msg = NULL;
    int error;

    if (reply) {
        *reply = NULL;
    }
    struct http_client_opts o = {
        .token = t->token,
        .ca_file = t->ca_file,
        .timeout_ms = b->cfg.call_timeout_ms,
    };
    char *url = xasprintf("%s/v1/%s", t->url_base, path);
    json_t *r = NULL;
    /* Chaos runs: the call is lost before it is sent, or its answer is. */
    int lost = fault_roll(b->cfg.call_fault_prob) ? 1 + fault_below(2) : 0;
    if (lost == 1) {
        LOG_WARN(MOD, "chaos fault: call %s to InP %s lost", path, inp);
        error = EIO;
        msg = xasprintf("call lost (fault injected)");
    } else {
        error = http_client_json("POST", url, &o, body, &status, &r, &msg);
    }
    if (!error && lost == 2) {
        LOG_WARN(MOD, "chaos fault: answer of %s from InP %s lost", path, inp);
        json_decref(r);
        r = NULL;
        error = EIO;
        msg = xasprintf("answer lost (fault injected)");
    }
    free(url);
    json_decref(body);
    if (error) {
        snprintf(why, why_size, "InP %s: %s", inp, msg ? msg : strerror(error));
        free(msg);
        return error == ETIMEDOUT ? ETIMEDOUT : EIO;
    }
    if (status < 200 || status > 299) {
        const char *m = http_error_message(r);
        json_t *e = json_object_get(r, "error");
        const char *res = json_string_value(json_object_get(e, "resource"));
        snprintf(why, why_size, "InP %s refused %s (HTTP %ld): %s%s%s", inp,
                 path, status, m ? m : "no reason given",
                 res ? "; resource " : "", res ? res : "");
        json_decref(r);
        /* 409 (short) and 422 (e.g. past its maximum lease) are the InP's
         * refusals; anything else is a failure of the call. */
        return status == 409 || status == 422 ? 409 : EIO;
    }
    if (reply) {
        *reply = r;
    } else {
        json_decref(r);
    }
    return 0;
}

/* Calls 'path' of InP 'inp' with 'body' (taken), under the mutex; see
 * inp_post() for the result. */
static int
inp_call(struct bkd *b, const char *inp, const char *path, json_t *body,
         json_t **reply, char *why, size_t why_size)
{
    struct inp_target t;
    int error = inp_target_get(b, inp, &t, why, why_size);
    if (error) {
        json_decref(body);
        if (reply) {
            *reply = NULL;
        }
        return error;
    }
    error = inp_post(b, inp, &t, path, body, reply, why, why_size);
    inp_target_clear(&t);
    return error;
}

/* One call of a fan-out (fanout()). */
struct fan_call {
    struct bkd *b;
    const char *inp;
    const char *path;
    struct inp_target t;
    json_t *body;               /* taken by the call */
    json_t *reply;
    int error;
    char why[512];
    pthread_t thread;
    bool started;
};

static void *
fan_call_run(void *c_)
{
    struct fan_call *c = c_;
    c->error = inp_post(c->b, c->inp, &c->t, c->path, c->body, &c->reply,
                        c->why, sizeof c->why);
    c->body = NULL;
    return NULL;
}

/* Runs the calls 'c[0..n-1]' (bodies set) to their InPs in parallel,
 * without the mutex (held on entry and on return): the lease 'id' is
 * marked busy meanwhile, so that the tick leaves it alone; its state in
 * the store guards it against the API (no transition of the state table
 * starts from requested or committing on an SP's or InP's call).  Each
 * call's result is in c[i].error, .reply, .why. */
static void
fanout(struct bkd *b, const char *id, struct fan_call *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        c[i].b = b;
        c[i].error = inp_target_get(b, c[i].inp, &c[i].t, c[i].why,
                                    sizeof c[i].why);
    }
    json_object_set_new(b->busy, id, json_true());
    pthread_mutex_unlock(&b->mutex);
    for (size_t i = 0; i < n; i++) {
        if (c[i].error) {
            continue;
        }
        /* The last one (or a thread that cannot start) on this thread. */
        c[i].started = (i + 1 < n
                        && !pthread_create(&c[i].thread, NULL, fan_call_run,
                                           &c[i]));
        if (!c[i].started) {
            fan_call_run(&c[i]);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (c[i].started) {
            pthread_join(c[i].thread, NULL);
        }
    }
    pthread_mutex_lock(&b->mutex);
    json_object_del(b->busy, id);
    for (size_t i = 0; i < n; i++) {
        json_decref(c[i].body);     /* left by a call never made */
        c[i].body = NULL;
        inp_target_clear(&c[i].t);
    }
}

/* ---- Saving ---- */

/* Moves 'l' to 'to' at 'now' (deadline from the table) and writes it. */
static int
lease_save(struct bkd *b, struct store_lease *l, enum lease_state to,
           int64_t now, struct brk_error *err)
{
    int64_t old_deadline = l->deadline;
    enum lease_state old = l->state;
    if (to != l->state) {
        l->deadline = b->fsm.timeout[to] ? now + b->fsm.timeout[to] : 0;
    }
    l->state = to;
    int error = store_lease_update(b->store, l, err);
    if (error) {
        l->state = old;
        l->deadline = old_deadline;
        LOG_ERR(MOD, "lease %s: %s", l->id, err->msg);
    }
    return error;
}

/* Marks the pending intents of lease 'id' in 'phase' (or all if
 * STORE_N_PHASES) done. */
static void
intents_done(struct bkd *b, const char *id, enum store_phase phase)
{
    struct store_intent *in;
    size_t n;
    struct brk_error err;

    if (store_intent_pending(b->store, &in, &n, &err)) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(in[i].lease, id)
            && (phase == STORE_N_PHASES || in[i].phase == phase)) {
            store_intent_done(b->store, in[i].id, &err);
        }
    }
    store_intents_free(in, n);
}

/* Writes an intent of 'phase' for 'l'. */
static int
intent(struct bkd *b, const struct store_lease *l, enum store_phase phase,
       json_t *detail, int64_t now, struct brk_error *err)
{
    int64_t id;
    int error = store_intent_add(b->store, l->id, phase, detail, now, &id,
                                 err);
    json_decref(detail);
    return error;
}

/* The set of InPs that confirmed 'phase' of 'l'. */
static json_t *
done_set(struct store_lease *l, const char *phase)
{
    json_t *done = json_object_get(l->parts, "done");
    if (!done) {
        done = json_object();
        json_object_set_new(l->parts, "done", done);
    }
    json_t *set = json_object_get(done, phase);
    if (!set) {
        set = json_object();
        json_object_set_new(done, phase, set);
    }
    return set;
}

/* Records the charges of 'l' (one part per InP) at the commit prices. */
static void
charges_put(struct bkd *b, const struct store_lease *l)
{
    const char *inp;
    json_t *bl;
    struct brk_error err;

    json_object_foreach(json_object_get(l->parts, "bills"), inp, bl) {
        struct bill_part p = {
            .lease = l->id, .sp = l->sp, .inp = inp,
            .cpu = json_integer_value(json_object_get(bl, "cpu")),
            .bandwidth = json_integer_value(json_object_get(bl, "bps")),
            .prices = {
                .cpu_hour = json_integer_value(json_object_get(bl, "cpu_hour")),
                .mbps_hour = json_integer_value(json_object_get(bl,
                                                                "mbps_hour")),
            },
            .start = l->start, .end = l->end,
        };
        if (store_charge_put(b->store, &p, &err)) {
            LOG_ERR(MOD, "lease %s: cannot record its charge on %s: %s",
                    l->id, inp, err.msg);
        }
    }
}

/* Gives back what 'l' booked from 'from' on. */
static void
unbook_from(struct bkd *b, const struct store_lease *l, int64_t from)
{
    struct brk_error err;
    int64_t s = MAX(from, l->start);
    if (bkd_book(b, l->id, json_object_get(l->parts, "demands"),
                 json_object_get(l->parts, "labels"), s, l->end, -1, &err)) {
        LOG_WARN(MOD, "lease %s: giving back its capacity: %s", l->id,
                 err.msg);
    }
}

/* Runs 'phase' ("commit", "abort", "release") of 'l' on every InP that has
 * not confirmed it.  Returns true when all have; 'why' names the first
 * failure. */
static bool
phase_run(struct bkd *b, struct store_lease *l, const char *phase,
          char *why, size_t why_size)
{
    json_t *set = done_set(l, phase);
    const char *inp;
    json_t *part;
    bool all = true;
    char txn[STORE_ID_LEN + 8];

    snprintf(txn, sizeof txn, "%s.1", l->id);
    json_object_foreach(json_object_get(l->parts, "parts"), inp, part) {
        if (json_object_get(set, inp)) {
            continue;
        }
        char w[512];
        json_t *body = (!strcmp(phase, "release")
                        ? json_pack("{s:s}", "lease", l->id)
                        : json_pack("{s:s, s:s}", "lease", l->id, "txn", txn));
        int error = inp_call(b, inp, phase, body, NULL, w, sizeof w);
        if (error && strcmp(phase, "commit") && error == 409) {
            /* Nothing to abort or release there: it is gone already. */
            error = 0;
        }
        if (error) {
            LOG_WARN(MOD, "lease %s: %s: %s", l->id, phase, w);
            if (all) {
                snprintf(why, why_size, "%s", w);
            }
            all = false;
            continue;
        }
        json_object_set_new(set, inp, json_true());
        struct brk_error err;
        store_hold_delete(b->store, l->id, inp, &err);
    }
    return all;
}

/* Drives 'l' (in a transitional state) one step: runs its phase on the
 * InPs that have not confirmed it and moves it on when all have, or when
 * its deadline passed (see lease_fsm.h).  Returns true if 'l' left its
 * transitional state. */
static bool
lease_drive(struct bkd *b, struct store_lease *l, int64_t now)
{
    char why[512] = "";
    struct brk_error err;
    bool overdue = l->deadline && now >= l->deadline;

    switch (l->state) {
    case LEASE_REQUESTED:
    case LEASE_HELD:
        /* Undecided: abort. */
        intent(b, l, STORE_PHASE_ABORT, NULL, now, &err);
        if (lease_save(b, l, LEASE_ABORTING, now, &err)) {
            return false;
        }
        /* fall through */
    case LEASE_ABORTING:
        if (phase_run(b, l, "abort", why, sizeof why) || overdue) {
            if (!lease_save(b, l, LEASE_FAILED, now, &err)) {
                unbook_from(b, l, l->start);
                intents_done(b, l->id, STORE_N_PHASES);
                bkd_event(b, l, "failed", "lease %s failed%s%s", l->id,
                          why[0] ? ": " : "", why);
                return true;
            }
        }
        return false;
    case LEASE_COMMITTING:
        if (phase_run(b, l, "commit", why, sizeof why) || overdue) {
            if (why[0]) {
                LOG_ERR(MOD, "lease %s: commit not confirmed everywhere "
                        "before its deadline: %s", l->id, why);
            }
            enum lease_state to = l->start > now ? LEASE_SCHEDULED
                                                 : LEASE_ACTIVE;
            if (!lease_save(b, l, to, now, &err)) {
                charges_put(b, l);
                intents_done(b, l->id, STORE_N_PHASES);
                char t[32];
                bkd_event(b, l, lease_state_name(to), "lease %s is %s until "
                          "%s", l->id, lease_state_name(to),
                          brk_time_format(l->end, t, sizeof t));
                return true;
            }
        }
        return false;
    case LEASE_RENEWING: {
        /* A renew that did not finish: back to the old end everywhere. */
        const char *inp;
        json_t *part;
        bool all = true;
        json_object_foreach(json_object_get(l->parts, "parts"), inp, part) {
            char w[512];
            if (inp_call(b, inp, "renew", json_pack("{s:s, s:I}", "lease",
                                                    l->id, "end",
                                                    (json_int_t) l->end),
                         NULL, w, sizeof w)) {
                all = false;
            }
        }
        if ((all || overdue) && !lease_save(b, l, LEASE_ACTIVE, now, &err)) {
            intents_done(b, l->id, STORE_N_PHASES);
            return true;
        }
        return false;
    }
    case LEASE_RELEASING:
        if (phase_run(b, l, "release", why, sizeof why) || overdue) {
            if (why[0]) {
                LOG_ERR(MOD, "lease %s: release not confirmed everywhere "
                        "before its deadline: %s", l->id, why);
            }
            if (!lease_save(b, l, LEASE_ENDED, now, &err)) {
                /* Released early: what it booked past now is free only
                 * now that the InPs let it go (a rebuilt model books a
                 * releasing lease whole, and so must this one). */
                if (now < l->end) {
                    unbook_from(b, l, now);
                }
                intents_done(b, l->id, STORE_N_PHASES);
                bkd_event(b, l, "ended", "lease %s ended", l->id);
                return true;
            }
        }
        return false;
    default:
        return true;
    }
}

static int64_t inp_max_end(struct bkd *, const char *inp, int64_t start);

/* The id of the lease 'l' subleases from (it was placed on a sub-InP
 * offering that lease), or NULL. */
static const char *
lease_parent(const struct store_lease *l)
{
    return json_string_value(json_object_get(l->parts, "parent_lease"));
}

/* ---- Create ---- */

/* Sums the CPU and bandwidth of the bills of 'parts'. */
static void
lease_totals(const json_t *parts, int64_t *cpu, uint64_t *bps)
{
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(parts, "bills"), k, v) {
        *cpu += json_integer_value(json_object_get(v, "cpu"));
    }
    /* Bandwidth: the request's, once (not per InP). */
    *bps += json_integer_value(json_object_get(parts, "bps"));
}

/* Checks the quotas of 'sp' for a new lease of 'cpu' and 'bps'. */
static int
quota_check(struct bkd *b, const char *sp, int64_t cpu, uint64_t bps,
            char *field, struct brk_error *err)
{
    struct store_lease *ls;
    size_t n;
    int64_t n_live = 0, used_cpu = 0;
    uint64_t used_bps = 0;

    int error = store_lease_list(b->store, sp, LEASE_NONE, &ls, &n, err);
    if (error) {
        return error;
    }
    for (size_t i = 0; i < n; i++) {
        if (!lease_state_is_final(ls[i].state)) {
            n_live++;
            lease_totals(ls[i].parts, &used_cpu, &used_bps);
        }
    }
    store_leases_free(ls, n);
    if (b->cfg.quota_leases && n_live + 1 > b->cfg.quota_leases) {
        strcpy(field, "quota.leases");
        return brk_error_set(err, EDQUOT, "SP %s has %"PRId64" leases, its "
                             "quota is %"PRId64, sp, n_live,
                             b->cfg.quota_leases);
    }
    if (b->cfg.quota_cpu && used_cpu + cpu > b->cfg.quota_cpu) {
        strcpy(field, "quota.cpu");
        return brk_error_set(err, EDQUOT, "SP %s would hold %"PRId64" CPU "
                             "units, its quota is %"PRId64, sp,
                             used_cpu + cpu, b->cfg.quota_cpu);
    }
    if (b->cfg.quota_bps && used_bps + bps > b->cfg.quota_bps) {
        strcpy(field, "quota.bandwidth");
        return brk_error_set(err, EDQUOT, "SP %s would hold %"PRIu64" bit/s, "
                             "its quota is %"PRIu64" bit/s", sp,
                             used_bps + bps, b->cfg.quota_bps);
    }
    return 0;
}

/* The error answer of a placement failure. */
static void
place_error(struct http_response *resp, int error, const char *field,
            const struct brk_error *err)
{
    if (error == EINVAL) {
        http_error(resp, 422, "impossible", field[0] ? field : NULL, "%s",
                   err->msg);
    } else if (error == ENOSPC) {
        http_error(resp, 409, "insufficient", NULL, "does not fit: %s",
                   err->msg);
    } else if (error == EDQUOT) {
        http_error(resp, 403, "quota", field, "%s", err->msg);
    } else if (error == EPERM) {
        http_error(resp, 409, "inheritance", field[0] ? field : NULL,
                   "over the parent lease: %s", err->msg);
    } else {
        http_error(resp, 503, "unavailable", NULL, "%s", err->msg);
    }
}

void
bkd_lease_dry_run(struct bkd *b, const struct bkd_principal *who,
                  const struct vnreq *req, struct http_response *resp)
{
    struct bkd_placement pl;
    struct brk_error err;
    char field[64] = "";
    int64_t now = brk_time_now();

    int error = quota_check(b, who->id, vnreq_total_cpu(req),
                            vnreq_total_bandwidth(req), field, &err);
    if (!error) {
        error = bkd_place(b, req, "dryrun", who->id, now, &pl, field, &err);
    }
    if (error == ENOSPC) {
        http_reply(resp, 200, json_pack("{s:b, s:s}", "fits", false,
                                        "short", err.msg));
        return;
    } else if (error) {
        place_error(resp, error, field, &err);
        return;
    }
    char s[32], e[32];
    http_reply(resp, 200, json_pack(
        "{s:b, s:s, s:s, s:O, s:f}", "fits", true,
        "start", brk_time_format(pl.start, s, sizeof s),
        "end", brk_time_format(pl.end, e, sizeof e), "parts", pl.parts,
        "price_hour", pl.price_hour));
    bkd_placement_clear(&pl);
}

void
bkd_lease_create(struct bkd *b, const struct bkd_principal *who,
                 const struct vnreq *req, const char *key,
                 const json_t *body, struct http_response *resp)
{
    struct store_request r;
    struct store_lease l;
    struct bkd_placement pl;
    struct brk_error err;
    char field[64] = "";
    bool existed;
    int64_t now = brk_time_now();
    int error;

    /* A retry gets the first answer. */
    memset(&r, 0, sizeof r);
    new_id("R", r.id);
    str_copy(r.sp, who->id, sizeof r.sp);
    str_copy(r.key, key, sizeof r.key);
    r.body = json_deep_copy(body);
    r.created = now;

    memset(&l, 0, sizeof l);
    new_id("", l.id);

    /* The request first, in the transaction that will hold the lease: a
     * retried key gets the first answer before anything is evaluated
     * again (its own lease holds what it needs). */
    error = store_begin(b->store, &err);
    if (!error) {
        error = store_request_add(b->store, &r, &existed, &err);
    }
    if (error) {
        store_rollback(b->store);
        http_error(resp, 503, "store", NULL, "%s", err.msg);
        store_request_clear(&r);
        return;
    }
    if (existed) {
        store_commit(b->store, &err);
        struct store_lease old;
        if (r.answer) {
            http_reply(resp, 200, json_incref(r.answer));
        } else if (r.lease[0]
                   && !store_lease_get(b->store, r.lease, &old, &err)) {
            http_reply(resp, 200, bkd_lease_json(&old));
            store_lease_clear(&old);
        } else {
            http_error(resp, 409, "in_progress", "Idempotency-Key",
                       "request %s with this key is still being handled",
                       r.id);
        }
        store_request_clear(&r);
        return;
    }
    error = quota_check(b, who->id, vnreq_total_cpu(req),
                        vnreq_total_bandwidth(req), field, &err);
    if (!error) {
        error = bkd_place(b, req, l.id, who->id, now, &pl, field, &err);
    }
    if (error) {
        /* Refusals are not recorded: a retry is evaluated again. */
        store_rollback(b->store);
        store_request_clear(&r);
        place_error(resp, error, field, &err);
        return;
    }

    /* Every InP of the placement must allow a lease that long. */
    const char *pinp;
    json_t *pv;
    json_object_foreach(pl.parts, pinp, pv) {
        int64_t max = inp_max_end(b, pinp, pl.start);
        if (pl.end > max) {
            store_rollback(b->store);
            http_error(resp, 422, "too_long", "time", "time: the lease would "
                       "run %"PRId64" s, longer than InP %s allows (%"PRId64
                       " s)", pl.end - pl.start, pinp, max - pl.start);
            bkd_placement_clear(&pl);
            store_request_clear(&r);
            return;
        }
    }
    str_copy(l.sp, who->id, sizeof l.sp);
    str_copy(l.request, r.id, sizeof l.request);
    l.state = LEASE_REQUESTED;
    l.start = pl.start;
    l.end = pl.end;
    l.deadline = now + b->fsm.timeout[LEASE_REQUESTED];
    l.parts = json_pack("{s:O, s:O, s:O, s:O, s:I, s:f}", "parts", pl.parts,
                        "demands", pl.demands, "labels", pl.labels,
                        "bills", pl.bills, "bps",
                        (json_int_t) vnreq_total_bandwidth(req),
                        "price_hour", pl.price_hour);
    if (pl.parent_lease[0]) {
        json_object_set_new(l.parts, "parent_lease",
                            json_string(pl.parent_lease));
    }
    bkd_placement_clear(&pl);

    if (!error) {
        error = store_lease_add(b->store, &l, &err);
    }
    if (!error) {
        error = store_request_answer(b->store, r.id, NULL, l.id, &err);
    }
    if (!error) {
        error = intent(b, &l, STORE_PHASE_PREPARE,
                       json_pack("{s:O}", "inps", json_object_get(l.parts,
                                                                  "parts")),
                       now, &err);
    }
    if (!error) {
        error = store_commit(b->store, &err);
    } else {
        store_rollback(b->store);
    }
    if (error) {
        http_error(resp, 503, "store", NULL, "cannot record the lease: %s",
                   err.msg);
        store_request_clear(&r);
        store_lease_clear(&l);
        return;
    }
    bkd_book(b, l.id, json_object_get(l.parts, "demands"),
             json_object_get(l.parts, "labels"), l.start, l.end, +1, &err);
    bkd_fault(b, "after-prepare-intent");

    /* Phase 1: prepare everywhere. */
    char why[512] = "";
    char txn[STORE_ID_LEN + 8];
    snprintf(txn, sizeof txn, "%s.1", l.id);
    const char *inp;
    json_t *part;
    int perr = 0;
    size_t nparts = json_object_size(json_object_get(l.parts, "parts")), k = 0;
    struct fan_call *calls = xcalloc(nparts ? nparts : 1, sizeof *calls);
    json_object_foreach(json_object_get(l.parts, "parts"), inp, part) {
        calls[k].inp = inp;
        calls[k].path = "prepare";
        calls[k++].body = json_pack("{s:s, s:s, s:I, s:I, s:I, s:O}", "lease",
                                    l.id, "txn", txn, "start",
                                    (json_int_t) l.start, "end",
                                    (json_int_t) l.end, "hold_s",
                                    (json_int_t) b->cfg.hold_s, "part", part);
    }
    fanout(b, l.id, calls, nparts);
    for (k = 0; k < nparts; k++) {
        if (calls[k].error) {
            /* The first failure names the InP; a refusal wins over an
             * unreachable InP in the answer's status. */
            if (!perr || (calls[k].error == 409 && perr != 409)) {
                perr = calls[k].error;
                snprintf(why, sizeof why, "%s", calls[k].why);
            }
            continue;
        }
        struct store_hold h;
        memset(&h, 0, sizeof h);
        str_copy(h.lease, l.id, sizeof h.lease);
        str_copy(h.inp, calls[k].inp, sizeof h.inp);
        str_copy(h.local_id, txn, sizeof h.local_id);
        h.expires = now + b->cfg.hold_s;
        store_hold_put(b->store, &h, &err);
        json_decref(calls[k].reply);
        bkd_fault(b, "after-prepare-one");
    }
    free(calls);
    now = brk_time_now();
    bkd_fault(b, "after-prepare");

    if (perr) {
        LOG_INFO(MOD, "lease %s: prepare failed, aborting: %s", l.id, why);
        json_object_set_new(l.parts, "failure", json_string(why));
        lease_drive(b, &l, now);        /* requested -> aborting -> failed */
        if (perr == 409) {
            http_error(resp, 409, "refused", NULL, "%s", why);
        } else {
            http_error(resp, 503, "inp_unavailable", NULL, "%s", why);
        }
        json_t *answer = json_pack("{s:s, s:s}", "lease", l.id, "failure",
                                   why);
        store_request_answer(b->store, r.id, answer, l.id, &err);
        json_decref(answer);
        store_request_clear(&r);
        store_lease_clear(&l);
        return;
    }

    /* Decide: held, then the commit intent and committing, together. */
    error = lease_save(b, &l, LEASE_HELD, now, &err);
    if (!error) {
        error = store_begin(b->store, &err);
        if (!error) {
            error = intent(b, &l, STORE_PHASE_COMMIT, NULL, now, &err);
        }
        if (!error) {
            error = lease_save(b, &l, LEASE_COMMITTING, now, &err);
        }
        if (!error) {
            error = store_commit(b->store, &err);
        } else {
            store_rollback(b->store);
        }
    }
    if (error) {
        /* Undecided: the tick or a restart aborts it. */
        http_error(resp, 503, "store", NULL, "cannot record the commit "
                   "decision: %s", err.msg);
        store_request_clear(&r);
        store_lease_clear(&l);
        return;
    }
    intents_done(b, l.id, STORE_PHASE_PREPARE);
    bkd_fault(b, "after-commit-intent");

    /* Phase 2: commit everywhere, in parallel; when all confirmed,
     * lease_drive() moves it on. */
    json_t *set = done_set(&l, "commit");
    nparts = json_object_size(json_object_get(l.parts, "parts"));
    calls = xcalloc(nparts ? nparts : 1, sizeof *calls);
    k = 0;
    json_object_foreach(json_object_get(l.parts, "parts"), inp, part) {
        calls[k].inp = inp;
        calls[k].path = "commit";
        calls[k++].body = json_pack("{s:s, s:s}", "lease", l.id, "txn", txn);
    }
    fanout(b, l.id, calls, nparts);
    bool committed = true;
    for (k = 0; k < nparts; k++) {
        if (calls[k].error) {
            LOG_WARN(MOD, "lease %s: commit: %s", l.id, calls[k].why);
            committed = false;
            continue;
        }
        json_decref(calls[k].reply);
        json_object_set_new(set, calls[k].inp, json_true());
        store_hold_delete(b->store, l.id, calls[k].inp, &err);
    }
    free(calls);
    now = brk_time_now();
    if (committed) {
        lease_drive(b, &l, now);        /* committing -> active|scheduled */
    }
    /* Else left committing: the tick retries every 2 s (commits are
     * idempotent by txn), not here under the mutex. */
    bkd_fault(b, "after-commit");
    json_t *answer = bkd_lease_json(&l);
    store_request_answer(b->store, r.id, answer, l.id, &err);
    char ts[32], te[32];
    LOG_INFO(MOD, "lease %s of %s: %s, %s to %s", l.id, l.sp,
             lease_state_name(l.state), brk_time_format(l.start, ts, sizeof ts),
             brk_time_format(l.end, te, sizeof te));
    http_reply(resp, 201, answer);
    store_request_clear(&r);
    store_lease_clear(&l);
}

/* ---- Renew, release ---- */

/* The latest end InP 'inp' allows for a lease starting at 'start'. */
static int64_t
inp_max_end(struct bkd *b, const char *inp, int64_t start)
{
    struct store_inp si;
    struct brk_error err;
    int64_t max = VNREQ_MAX_DURATION;
    if (!store_inp_get(b->store, inp, &si, &err)) {
        json_t *m = json_object_get(json_object_get(si.offer, "offer"),
                                    "max_lease_s");
        if (m) {
            max = json_integer_value(m);
        }
        json_decref(si.offer);
    }
    return start + max;
}

void
bkd_lease_renew(struct bkd *b, struct store_lease *l, int64_t end,
                struct http_response *resp)
{
    struct brk_error err;
    int64_t now = brk_time_now();
    int64_t old_end = l->end;
    const char *inp;
    json_t *part;
    char w[512];

    if (l->state != LEASE_ACTIVE) {
        http_error(resp, 409, "state", NULL, "lease %s is %s: only an active "
                   "lease can be renewed", l->id, lease_state_name(l->state));
        return;
    }
    struct store_lease pl;
    if (lease_parent(l) && !store_lease_get(b->store, lease_parent(l), &pl,
                                            &err)) {
        int64_t pend = pl.end;
        store_lease_clear(&pl);
        if (end > pend) {
            char t[32];
            http_error(resp, 422, "too_long", "end", "end: past the end of "
                       "lease %s that this lease subleases from (%s)",
                       lease_parent(l), brk_time_format(pend, t, sizeof t));
            return;
        }
    }
    json_object_foreach(json_object_get(l->parts, "parts"), inp, part) {
        int64_t max = inp_max_end(b, inp, l->start);
        if (end > max) {
            char t[32];
            http_error(resp, 422, "too_long", "end", "end: past InP %s's "
                       "maximum lease length (the latest end it allows is "
                       "%s)", inp, brk_time_format(max, t, sizeof t));
            return;
        }
    }
    if (bkd_check_extend(b, l->id, json_object_get(l->parts, "demands"),
                         json_object_get(l->parts, "labels"), old_end, end,
                         &err)) {
        http_error(resp, 409, "insufficient", NULL, "cannot extend lease %s: "
                   "%s", l->id, err.msg);
        return;
    }
    intent(b, l, STORE_PHASE_RENEW, json_pack("{s:I}", "end",
                                              (json_int_t) end), now, &err);
    if (lease_save(b, l, LEASE_RENEWING, now, &err)) {
        http_error(resp, 503, "store", NULL, "%s", err.msg);
        return;
    }
    /* Ask every InP; the end granted is the minimum. */
    int64_t granted = end;
    json_t *got = json_object();
    bool failed = false;
    json_object_foreach(json_object_get(l->parts, "parts"), inp, part) {
        json_t *reply;
        if (inp_call(b, inp, "renew", json_pack("{s:s, s:I}", "lease", l->id,
                                                "end", (json_int_t) end),
                     &reply, w, sizeof w)) {
            failed = true;
            break;
        }
        int64_t g = json_integer_value(json_object_get(reply, "end"));
        json_decref(reply);
        json_object_set_new(got, inp, json_integer(g));
        granted = MIN(granted, g);
    }
    bkd_fault(b, "after-renew-calls");
    if (!failed && granted > old_end) {
        /* The same end on every InP. */
        json_t *g;
        json_object_foreach(got, inp, g) {
            if (json_integer_value(g) != granted
                && inp_call(b, inp, "renew",
                            json_pack("{s:s, s:I}", "lease", l->id, "end",
                                      (json_int_t) granted), NULL, w,
                            sizeof w)) {
                failed = true;
                break;
            }
        }
    } else if (!failed) {
        snprintf(w, sizeof w, "the InPs grant no end later than %"PRId64,
                 old_end);
        failed = true;
    }
    json_decref(got);
    if (failed) {
        /* lease_drive puts the old end back everywhere. */
        LOG_INFO(MOD, "lease %s: renew failed: %s", l->id, w);
        lease_drive(b, l, now);
        http_error(resp, 409, "renew_failed", NULL, "lease %s keeps its end: "
                   "%s", l->id, w);
        return;
    }
    bkd_book(b, l->id, json_object_get(l->parts, "demands"),
             json_object_get(l->parts, "labels"), old_end, granted, +1, &err);
    l->end = granted;
    if (lease_save(b, l, LEASE_ACTIVE, now, &err)) {
        http_error(resp, 503, "store", NULL, "%s", err.msg);
        return;
    }
    charges_put(b, l);
    intents_done(b, l->id, STORE_N_PHASES);
    char t[32];
    bkd_event(b, l, "renewed", "lease %s renewed until %s", l->id,
              brk_time_format(granted, t, sizeof t));
    json_t *j = bkd_lease_json(l);
    json_object_set_new(j, "granted", json_string(t));
    http_reply(resp, 200, j);
}

static void release(struct bkd *, struct store_lease *, int64_t now,
                    bool early);

/* Recursion: ends the children of 'l' (the leases placed on a sub-InP
 * offering 'l'), each after its own children, deepest first, each told
 * first with a "parent_ended" event.  Returns true if 'l' was offered as
 * a sub-InP (the model must then be rebuilt once 'l' is over). */
static bool
release_children(struct bkd *b, const struct store_lease *l, int64_t now)
{
    struct store_lease *ls;
    struct store_inp *inps;
    struct brk_error err;
    size_t n;
    bool offered = false;

    if (!store_inp_list(b->store, &inps, &n, &err)) {
        for (size_t i = 0; i < n; i++) {
            const char *p = json_string_value(json_object_get(inps[i].offer,
                                                              "parent_lease"));
            if (p && !strcmp(p, l->id)) {
                /* Its sub-InPs take no new lease from now on. */
                offered = true;
                store_inp_set_up(b->store, inps[i].id, false, &err);
            }
        }
        store_inps_free(inps, n);
    }
    if (!offered || store_lease_list(b->store, NULL, LEASE_NONE, &ls, &n,
                                     &err)) {
        return offered;
    }
    for (size_t i = 0; i < n; i++) {
        const char *p = lease_parent(&ls[i]);
        if (!p || strcmp(p, l->id)
            || (ls[i].state != LEASE_ACTIVE && ls[i].state != LEASE_SCHEDULED)) {
            continue;
        }
        LOG_INFO(MOD, "lease %s: ended before its parent lease %s", ls[i].id,
                 l->id);
        bkd_event(b, &ls[i], "parent_ended", "lease %s ends now: the lease "
                  "it subleases from (%s) is ending", ls[i].id, l->id);
        release(b, &ls[i], now, true);
    }
    store_leases_free(ls, n);
    return offered;
}

/* Releases 'l' ("by the SP" or at its end), after its children. */
static void
release(struct bkd *b, struct store_lease *l, int64_t now, bool early)
{
    struct brk_error err;
    struct store_lease cur;

    /* The tick works on copies read before: a child ended by its
     * parent's release in the same tick is not released again. */
    if (!store_lease_get(b->store, l->id, &cur, &err)) {
        bool stale = cur.version != l->version;
        store_lease_clear(&cur);
        if (stale) {
            return;
        }
    }
    bool offered = release_children(b, l, now);

    intent(b, l, STORE_PHASE_RELEASE, NULL, now, &err);
    if (lease_save(b, l, LEASE_RELEASING, now, &err)) {
        return;
    }
    if (early) {
        store_charge_release(b->store, l->id, MAX(now, l->start), &err);
    }
    bkd_fault(b, "after-release-intent");
    lease_drive(b, l, now);
    if (offered) {
        bkd_model_rebuild(b, &err);
    }
}

void
bkd_lease_release(struct bkd *b, struct store_lease *l,
                  struct http_response *resp)
{
    if (l->state != LEASE_ACTIVE && l->state != LEASE_SCHEDULED) {
        http_error(resp, 409, "state", NULL, "lease %s is %s: only an active "
                   "or scheduled lease can be released", l->id,
                   lease_state_name(l->state));
        return;
    }
    release(b, l, brk_time_now(), true);
    http_reply(resp, 200, bkd_lease_json(l));
}

/* ---- Timers ---- */

/* Tells the SPs whose leases touch InP 'inp' that it went down. */
static void
inp_down_events(struct bkd *b, const char *inp)
{
    struct store_lease *ls;
    size_t n;
    struct brk_error err;

    if (store_lease_list(b->store, NULL, LEASE_NONE, &ls, &n, &err)) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (!lease_state_is_final(ls[i].state)
            && json_object_get(json_object_get(ls[i].parts, "parts"), inp)) {
            bkd_event(b, &ls[i], "inp_down", "InP %s of lease %s stopped "
                      "sending heartbeats and is marked down", inp, ls[i].id);
        }
    }
    store_leases_free(ls, n);
}

/* ---- Re-embedding after a substrate failure ---- */

void
bkd_lease_links_down(struct bkd *b, const char *inp, const json_t *down)
{
    json_t *st = json_object_get(b->substrate, inp);
    if (!b->substrate || !json_is_array(down)) {
        return;
    }
    if (!st) {
        st = json_pack("{s:[], s:b, s:I}", "down", "changed", 1, "t", 0);
        json_object_set_new(b->substrate, inp, st);
    }
    json_t *clean = json_array();
    size_t i;
    json_t *d;
    json_array_foreach(down, i, d) {
        const char *n = json_string_value(json_object_get(d, "name"));
        const char *a = json_string_value(json_object_get(d, "a"));
        const char *z = json_string_value(json_object_get(d, "b"));
        if (n && a && z) {
            json_array_append_new(clean, json_pack("{s:s, s:s, s:s}", "name", n,
                                                   "a", a, "b", z));
        }
    }
    if (!json_equal(clean, json_object_get(st, "down"))) {
        LOG_WARN(MOD, "InP %s reports %zu substrate link(s) down", inp,
                 json_array_size(clean));
        json_object_set_new(st, "down", clean);
        json_object_set_new(st, "changed", json_true());
    } else {
        json_decref(clean);
    }
}

/* 'demands' without one entry equal to each of 'minus', with 'plus'
 * added: a new array. */
static json_t *
demands_moved(const json_t *demands, const json_t *minus, const json_t *plus)
{
    json_t *out = json_deep_copy(demands ? demands : json_array());
    size_t i, k;
    json_t *d, *o;
    json_array_foreach(minus, i, d) {
        json_array_foreach(out, k, o) {
            if (json_equal(o, d)) {
                json_array_remove(out, k);
                break;
            }
        }
    }
    json_array_extend(out, (json_t *) plus);
    return out;
}

/* Drives the re-embedding of 'l' left in flight (l->parts "reembed"):
 * decided, it is committed on its InP (retried until it is); undecided,
 * it is aborted there.  Returns true when nothing is left in flight. */
static bool
reembed_finish(struct bkd *b, struct store_lease *l)
{
    json_t *re = json_object_get(l->parts, "reembed");
    const char *inp = json_string_value(json_object_get(re, "inp"));
    const char *txn = json_string_value(json_object_get(re, "txn"));
    bool decided = json_is_true(json_object_get(re, "decided"));
    struct brk_error err;
    char w[512];

    if (!re) {
        return true;
    }
    int error = inp_call(b, inp ? inp : "", decided ? "reembed/commit"
                         : "reembed/abort", json_pack("{s:s, s:s}", "lease",
                                                      l->id, "txn", txn ? txn : ""),
                         NULL, w, sizeof w);
    if (error == 409 && !decided) {
        error = 0;
    }
    if (error) {
        LOG_WARN(MOD, "lease %s: re-embedding %s on %s: %s", l->id,
                 decided ? "commit" : "abort", inp, w);
        return false;
    }
    json_object_del(l->parts, "reembed");
    return !lease_save(b, l, l->state, brk_time_now(), &err);
}

/* Looks at lease 'l' (active) on InP 'inp' whose links 'down' are down:
 * plans its part there (bkd_reembed_plan()) and, when that differs from
 * the part in force, moves it by a two-phase change with the InP
 * (POST /v1/reembed, the decision written, then /v1/reembed/commit) and
 * moves its booking with it.  Returns its health report there (NULL:
 * healthy on its own paths). */
static json_t *
lease_reembed(struct bkd *b, struct store_lease *l, const char *inp,
              const json_t *down, int64_t now)
{
    json_t *parts = json_object_get(l->parts, "parts");
    json_t *part = json_object_get(parts, inp);
    json_t *own = json_object_get(json_object_get(l->parts, "own"), inp);
    json_t *target = NULL, *report, *old;
    struct brk_error err;
    char txn[STORE_ID_LEN + 16], w[512];

    old = json_object_get(json_object_get(b->health, l->id), inp);
    if (json_object_get(l->parts, "reembed") && !reembed_finish(b, l)) {
        return old ? json_deep_copy(old) : NULL;
    }
    part = json_object_get(json_object_get(l->parts, "parts"), inp);
    own = json_object_get(json_object_get(l->parts, "own"), inp);
    report = bkd_reembed_plan(b, inp, part, own ? own : part, down, now, l->end,
                              &target);
    if (json_equal(target, part)) {
        json_decref(target);
        return report;
    }

    /* Phase 1: the intent, then the InP holds the new part. */
    int64_t k = json_integer_value(json_object_get(l->parts, "reembeds")) + 1;
    snprintf(txn, sizeof txn, "%s.r%"PRId64, l->id, k);
    json_t *cur_d = bkd_part_link_demands(b, inp, part);
    json_t *new_d = bkd_part_link_demands(b, inp, target);
    json_t *demands = demands_moved(json_object_get(l->parts, "demands"), cur_d,
                                    new_d);
    json_object_set_new(l->parts, "reembeds", json_integer(k));
    json_object_set_new(l->parts, "reembed", json_pack(
        "{s:s, s:s, s:b}", "inp", inp, "txn", txn, "decided", 0));
    if (lease_save(b, l, l->state, now, &err)) {
        goto out;
    }
    bkd_fault(b, "after-reembed-intent");
    int error = inp_call(b, inp, "reembed", json_pack(
                             "{s:s, s:s, s:O, s:I}", "lease", l->id, "txn", txn,
                             "part", target, "hold_s",
                             (json_int_t) b->cfg.hold_s), NULL, w, sizeof w);
    if (error) {
        LOG_WARN(MOD, "lease %s: re-embedding on %s: %s", l->id, inp, w);
        reembed_finish(b, l);
        json_t *was = report;
        const json_t *dn = json_object_get(was ? was : old, "down");
        report = error == 409
                 ? json_pack("{s:s, s:o, s:[], s:s}", "state", "degraded", "down",
                             dn ? json_deep_copy(dn) : json_array(), "rerouted",
                             "reason", w)
                 : (old ? json_deep_copy(old) : NULL);
        json_decref(was);
        goto out;
    }
    bkd_fault(b, "after-reembed-prepare");

    /* Phase 2: the decision, with the booking moved, then the commit. */
    bkd_book(b, l->id, cur_d, NULL, now, l->end, -1, &err);
    if (bkd_book(b, l->id, new_d, NULL, now, l->end, +1, &err)) {
        /* Cannot happen under the mutex: the plan checked the room. */
        LOG_ERR(MOD, "lease %s: the re-embedding no longer fits: %s", l->id,
                err.msg);
        bkd_book(b, l->id, cur_d, NULL, now, l->end, +1, &err);
        reembed_finish(b, l);
        goto out;
    }
    json_t *before = json_deep_copy(l->parts);
    json_t *owns = json_object_get(l->parts, "own");
    if (!owns) {
        owns = json_object();
        json_object_set_new(l->parts, "own", owns);
    }
    if (!json_object_get(owns, inp)) {
        json_object_set(owns, inp, part);
    }
    if (json_equal(target, json_object_get(owns, inp))) {
        json_object_del(owns, inp);     /* back on its own paths */
    }
    json_object_set(parts, inp, target);
    json_object_set(l->parts, "demands", demands);
    json_object_set_new(json_object_get(l->parts, "reembed"), "decided",
                        json_true());
    if (lease_save(b, l, l->state, now, &err)) {
        /* Not decided: the booking back; the undecided record left in
         * the store is aborted at the next look. */
        bkd_book(b, l->id, new_d, NULL, now, l->end, -1, &err);
        bkd_book(b, l->id, cur_d, NULL, now, l->end, +1, &err);
        json_decref(l->parts);
        l->parts = before;
        goto out;
    }
    json_decref(before);
    LOG_INFO(MOD, "lease %s: re-embedded on InP %s (txn %s)", l->id, inp, txn);
    bkd_fault(b, "after-reembed-decide");
    reembed_finish(b, l);
out:
    json_decref(cur_d);
    json_decref(new_d);
    json_decref(demands);
    json_decref(target);
    return report;
}

/* Every 2 s, and at once when an InP reports other links down: the
 * active leases on InPs with links down, or not on their own paths, are
 * re-embedded (or back on their own paths), and their health recorded
 * (bkd_lease_health()).  'ls' are the leases not final. */
static void
substrate_tick(struct bkd *b, struct store_lease *ls, size_t n, int64_t now)
{
    const char *inp;
    json_t *st;

    json_object_foreach(b->substrate, inp, st) {
        const json_t *down = json_object_get(st, "down");
        bool watch = json_array_size(down) > 0;
        if (!json_is_true(json_object_get(st, "changed"))
            && now - json_integer_value(json_object_get(st, "t")) < 2) {
            continue;
        }
        json_t *reports = json_object();
        for (size_t i = 0; i < n; i++) {
            struct store_lease *l = &ls[i];
            if (l->state != LEASE_ACTIVE || l->end <= now
                || json_object_get(b->busy, l->id) || lease_parent(l)
                || !json_object_get(json_object_get(l->parts, "parts"), inp)) {
                continue;
            }
            bool pending = json_object_get(json_object_get(l->parts, "own"), inp)
                           || json_object_get(l->parts, "reembed");
            if (!watch && !pending
                && !json_object_get(json_object_get(b->health, l->id), inp)) {
                continue;
            }
            json_t *rep = lease_reembed(b, l, inp, down, now);
            if (rep) {
                json_object_set_new(reports, l->id, rep);
            }
        }
        bkd_lease_health(b, inp, reports);
        json_decref(reports);
        json_object_set_new(st, "changed", json_false());
        json_object_set_new(st, "t", json_integer(now));
    }
}

void
bkd_tick(struct bkd *b, int64_t now)
{
    struct store_lease *ls = NULL;
    size_t n = 0;
    struct brk_error err;

    /* The leases not final (the ended and failed ones, the many, are not
     * read at all). */
    for (int s = 0; s < LEASE_N_STATES; s++) {
        struct store_lease *part;
        size_t np;
        if (lease_state_is_final(s)
            || store_lease_list(b->store, NULL, s, &part, &np, &err)) {
            continue;
        }
        ls = xrealloc(ls, (n + np + 1) * sizeof *ls);
        memcpy(ls + n, part, np * sizeof *part);
        n += np;
        free(part);
    }
    json_t *live = json_object();
    for (size_t i = 0; i < n; i++) {
        json_object_set_new(live, ls[i].id, json_true());
    }
    const char *key;
    json_t *v, *tmp;
    json_object_foreach_safe(b->warned, tmp, key, v) {
        if (!json_object_get(live, key)) {
            json_object_del(b->warned, key);
        }
    }
    json_object_foreach_safe(b->retried, tmp, key, v) {
        if (!json_object_get(live, key)) {
            json_object_del(b->retried, key);
        }
    }
    json_decref(live);
    for (size_t i = 0; i < n; i++) {
        struct store_lease *l = &ls[i];
        if (json_object_get(b->busy, l->id)) {
            /* A handler is calling its InPs without the mutex. */
            continue;
        }
        if (lease_state_is_transitional(l->state)) {
            /* Not in flight (not busy): it was left behind (an InP
             * failed).  Retried every 2 s, not at every tick, so that an
             * unreachable InP does not stall the API. */
            json_t *last = json_object_get(b->retried, l->id);
            if (!last || now - json_integer_value(last) >= 2
                || (l->deadline && now >= l->deadline)) {
                json_object_set_new(b->retried, l->id, json_integer(now));
                lease_drive(b, l, now);
            }
        } else if (l->state == LEASE_SCHEDULED && l->start <= now) {
            if (!lease_save(b, l, LEASE_ACTIVE, now, &err)) {
                bkd_event(b, l, "active", "lease %s is active", l->id);
            }
        }
        if (l->state == LEASE_ACTIVE && l->end <= now) {
            LOG_INFO(MOD, "lease %s reached its end", l->id);
            release(b, l, now, false);
        } else if (l->state == LEASE_ACTIVE && l->end - now <= b->cfg.warn_s) {
            json_t *w = json_object_get(b->warned, l->id);
            if (!w || json_integer_value(w) != l->end) {
                json_object_set_new(b->warned, l->id, json_integer(l->end));
                char t[32];
                bkd_event(b, l, "ending_soon", "lease %s ends in %"PRId64
                          " s (at %s)", l->id, l->end - now,
                          brk_time_format(l->end, t, sizeof t));
            }
        }
    }
    substrate_tick(b, ls, n, now);
    store_leases_free(ls, n);

    /* Heartbeats. */
    struct store_inp *inps;
    if (store_inp_list(b->store, &inps, &n, &err)) {
        return;
    }
    bool changed = false;
    for (size_t i = 0; i < n; i++) {
        /* A broker that just started gives every InP a full period to be
         * heard again: it was not listening before. */
        int64_t limit = b->cfg.heartbeat_s * b->cfg.missed_heartbeats;
        int64_t seen = MAX(inps[i].last_seen, b->started);
        if (json_object_get(inps[i].offer, "parent_lease")) {
            continue;           /* a sub-InP: up while its lease is active */
        }
        if (inps[i].up && now - seen > limit) {
            LOG_WARN(MOD, "InP %s: no heartbeat for %"PRId64" s: marked down",
                     inps[i].id, now - inps[i].last_seen);
            store_inp_set_up(b->store, inps[i].id, false, &err);
            changed = true;
            inp_down_events(b, inps[i].id);
        }
    }
    store_inps_free(inps, n);
    if (changed) {
        bkd_model_rebuild(b, &err);
    }
}

void
bkd_recover(struct bkd *b, int64_t now)
{
    struct store_lease *ls;
    size_t n;
    struct brk_error err;

    if (store_lease_list(b->store, NULL, LEASE_NONE, &ls, &n, &err)) {
        LOG_ERR(MOD, "recovery: %s", err.msg);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (lease_state_is_transitional(ls[i].state)) {
            LOG_INFO(MOD, "recovery: lease %s was %s", ls[i].id,
                     lease_state_name(ls[i].state));
            lease_drive(b, &ls[i], now);
        } else if (lease_state_is_final(ls[i].state)) {
            intents_done(b, ls[i].id, STORE_N_PHASES);
        }
    }
    store_leases_free(ls, n);
}

/* ---- Programs ---- */

/* The largest program passed on (the InP agents take as much). */
#define BKD_PROGRAM_MAX (512 * 1024)

/* Finds the InP whose part of 'l' holds 'vnode' and passes it 'program'. */
void
bkd_lease_program(struct bkd *b, const struct store_lease *l, const char *vnode,
                  const json_t *push, struct http_response *resp)
{
    const char *inp, *found = NULL;
    const json_t *part;
    char why[600];

    const json_t *program = json_object_get(push, "program");
    if (json_string_length(program) > BKD_PROGRAM_MAX / 3 * 4 + 4) {
        http_error(resp, 413, "too_large", "program", "program: at most %d "
                   "bytes", BKD_PROGRAM_MAX);
        return;
    }
    if (l->state != LEASE_ACTIVE) {
        http_error(resp, 409, "conflict", NULL, "lease %s is %s: programs go to "
                   "active leases", l->id, lease_state_name(l->state));
        return;
    }
    json_object_foreach(json_object_get(l->parts, "parts"), inp, part) {
        size_t i;
        const json_t *v;
        json_array_foreach(json_object_get(part, "vnodes"), i, v) {
            const char *name = json_string_value(json_object_get(v, "name"));
            if (name && !strcmp(name, vnode)) {
                found = inp;
            }
        }
    }
    if (!found) {
        http_error(resp, 404, "not_found", "vnode", "lease %s has no vnode %s",
                   l->id, vnode);
        return;
    }
    json_t *reply = NULL;
    json_t *call = json_deep_copy(push);
    json_object_set_new(call, "lease", json_string(l->id));
    json_object_set_new(call, "vnode", json_string(vnode));
    int error = inp_call(b, found, "program", call, &reply, why, sizeof why);
    if (error) {
        http_error(resp, error == 409 ? 422 : 503,
                   error == 409 ? "refused" : "unavailable", "program", "%s", why);
        return;
    }
    json_object_set_new(reply, "inp", json_string(found));
    http_reply(resp, 200, reply);
}
