/* The REST API of lamina-brokerd under /v1 (see docs/broker.md and
 * docs/broker-api.yaml): the route handlers, on lib/http. */
#include "api.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "bill.h"
#include "brk_time.h"
#include "http.h"
#include "log.h"
#include "util.h"

#define MOD "broker"

/* The caller of the request in flight on this thread. */
static __thread struct bkd_principal tls_principal;

/* Bearer token -> principal (the token is never logged). */
static bool
api_auth(struct http_request *req, void *aux, struct http_response *resp)
{
    struct bkd *b = aux;
    struct store_principal p;
    struct brk_error err;

    if (!req->token) {
        http_error(resp, 401, "unauthorized", NULL,
                   "an Authorization: Bearer token is required");
        return false;
    }
    pthread_mutex_lock(&b->mutex);
    int error = store_principal_auth(b->store, req->token, &p, &err);
    pthread_mutex_unlock(&b->mutex);
    if (error) {
        LOG_INFO(MOD, "%s %s from %s: refused: unknown token", req->method,
                 req->path, req->remote);
        http_error(resp, 401, "unauthorized", NULL, "the token is not valid");
        return false;
    }
    str_copy(tls_principal.id, p.id, sizeof tls_principal.id);
    tls_principal.role = p.role;
    req->principal = &tls_principal;
    return true;
}

/* Refuses (403) unless the caller has 'role'. */
static bool
need_role(struct http_request *req, enum store_role role,
          struct http_response *resp)
{
    const struct bkd_principal *who = req->principal;
    if (who->role != role) {
        http_error(resp, 403, "forbidden", NULL, "%s %s is for the %s role; "
                   "%s is %s", req->method, req->path, store_role_name(role),
                   who->id, store_role_name(who->role));
        return false;
    }
    return true;
}

/* ---- Principals ---- */

/* A new bearer token: 32 random bytes in hex. */
void
api_new_token(char token[65])
{
    uint8_t r[32];
    if (getrandom(r, sizeof r, 0) != sizeof r) {
        abort();
    }
    for (size_t i = 0; i < sizeof r; i++) {
        snprintf(token + 2 * i, 3, "%02x", r[i]);
    }
}

/* POST /v1/principals {"name", "role"} (admin): the token, once. */
static void
h_principal_add(struct http_request *req, void *aux, struct http_response *resp)
{
    struct bkd *b = aux;
    json_t *body;
    struct brk_error err;

    if (!need_role(req, STORE_ROLE_ADMIN, resp)
        || !http_body_json(req, &body, resp)) {
        return;
    }
    const char *name = json_string_value(json_object_get(body, "name"));
    const char *role = json_string_value(json_object_get(body, "role"));
    const char *key;
    json_t *v;
    enum store_role r = STORE_N_ROLES;
    json_object_foreach(body, key, v) {
        if (strcmp(key, "name") && strcmp(key, "role")) {
            http_error(resp, 400, "invalid", key, "%s: unknown field "
                       "(expected name, role)", key);
            goto out;
        }
    }
    for (int i = 0; i < STORE_N_ROLES && role; i++) {
        if (!strcmp(role, store_role_name(i))) {
            r = i;
        }
    }
    if (!name || !name_is_valid(name) || strlen(name) > 47) {
        http_error(resp, 400, "invalid", "name", "name: must be 1..47 of "
                   "[A-Za-z0-9_.-]");
    } else if (r == STORE_N_ROLES) {
        http_error(resp, 400, "invalid", "role", "role: must be sp, inp or "
                   "admin");
    } else {
        char token[65];
        api_new_token(token);
        pthread_mutex_lock(&b->mutex);
        int error = store_principal_add(b->store, name, r, token,
                                        brk_time_now(), &err);
        pthread_mutex_unlock(&b->mutex);
        if (error == EEXIST) {
            http_error(resp, 409, "exists", "name", "principal %s exists",
                       name);
        } else if (error) {
            http_error(resp, 503, "store", NULL, "%s", err.msg);
        } else {
            LOG_INFO(MOD, "principal %s (%s) added by %s", name, role,
                     ((struct bkd_principal *) req->principal)->id);
            http_reply(resp, 201, json_pack("{s:s, s:s, s:s}", "name", name,
                                            "role", role, "token", token));
        }
        explicit_bzero(token, sizeof token);
    }
out:
    json_decref(body);
}

/* ---- InPs ---- */

/* The leases (not final) that touch InP 'inp' and that 'who' may see.  A
 * lease placed on a sub-InP touches it too (it is billed there), and the
 * SP that offers a sub-InP ('owner') sees the leases on it. */
static json_t *
leases_touching(struct bkd *b, const char *inp, const char *owner,
                const struct bkd_principal *who)
{
    struct store_lease *ls;
    size_t n;
    struct brk_error err;
    json_t *out = json_array();
    bool all = who->role != STORE_ROLE_SP || (owner && !strcmp(owner, who->id));

    if (who->role == STORE_ROLE_INP && strcmp(who->id, inp)) {
        return out;             /* another InP's leases are not its business */
    }
    if (store_lease_list(b->store, all ? NULL : who->id, LEASE_NONE, &ls, &n,
                         &err)) {
        return out;
    }
    for (size_t i = 0; i < n; i++) {
        if (!lease_state_is_final(ls[i].state)
            && (json_object_get(json_object_get(ls[i].parts, "parts"), inp)
                || json_object_get(json_object_get(ls[i].parts, "bills"),
                                   inp))) {
            json_array_append_new(out, json_pack(
                "{s:s, s:s, s:s}", "id", ls[i].id, "sp", ls[i].sp,
                "state", lease_state_name(ls[i].state)));
        }
    }
    store_leases_free(ls, n);
    return out;
}

/* An InP as the API shows it (never its agent token). */
static json_t *
inp_json(const struct store_inp *si)
{
    char t[32];
    return json_pack("{s:s, s:b, s:s, s:I, s:O*, s:O*, s:O*, s:O*}", "name",
                     si->id, "up", si->up, "last_seen",
                     brk_time_format(si->last_seen, t, sizeof t),
                     "offer_version", (json_int_t) si->offer_version,
                     "endpoint", json_object_get(si->offer, "endpoint"),
                     "offer", json_object_get(si->offer, "offer"),
                     "parent_lease", json_object_get(si->offer, "parent_lease"),
                     "real_inp", json_object_get(si->offer, "real_inp"));
}

/* POST /v1/inps (inp): registers or re-registers the caller's offer. */
static void
h_inp_register(struct http_request *req, void *aux, struct http_response *resp)
{
    struct bkd *b = aux;
    const struct bkd_principal *who = req->principal;
    json_t *body;
    struct brk_error err;
    char field[64] = "";

    if (!need_role(req, STORE_ROLE_INP, resp)
        || !http_body_json(req, &body, resp)) {
        return;
    }
    const char *name = json_string_value(json_object_get(body, "name"));
    const char *ep = json_string_value(json_object_get(body, "endpoint"));
    json_t *tok = json_object_get(body, "agent_token");
    json_t *offer = json_object_get(body, "offer");
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        if (!str_has_word("name endpoint agent_token offer ca_file", key)) {
            http_error(resp, 400, "invalid", key, "%s: unknown field "
                       "(expected name, endpoint, agent_token, offer, "
                       "ca_file)", key);
            goto out;
        }
    }
    if (!name) {
        http_error(resp, 400, "invalid", "name", "name: required");
    } else if (strcmp(name, who->id)) {
        http_error(resp, 403, "forbidden", "name", "name: %s may register "
                   "only itself, not %s", who->id, name);
    } else if (!ep || (strncmp(ep, "http://", 7) && strncmp(ep, "https://", 8))
               || strlen(ep) > 200) {
        http_error(resp, 400, "invalid", "endpoint", "endpoint: must be an "
                   "http:// or https:// URL");
    } else if (!json_is_string(tok) || !json_string_length(tok)
               || json_string_length(tok) > 256) {
        http_error(resp, 400, "invalid", "agent_token", "agent_token: must "
                   "be the token the broker presents to the agent");
    } else if (bkd_offer_check(offer, name, field, &err)) {
        http_error(resp, 422, "invalid", field, "%s", err.msg);
    } else {
        pthread_mutex_lock(&b->mutex);
        json_t *rec = json_deep_copy(body);
        json_object_del(rec, "name");
        int error = store_inp_put(b->store, name, rec, brk_time_now(), &err);
        json_decref(rec);
        struct store_inp si;
        if (!error) {
            error = bkd_model_rebuild(b, &err);
        }
        if (!error) {
            error = store_inp_get(b->store, name, &si, &err);
        }
        if (!error) {
            LOG_INFO(MOD, "InP %s registered (offer version %"PRId64", %s)",
                     name, si.offer_version, ep);
            http_reply(resp, 200, inp_json(&si));
            json_decref(si.offer);
        } else {
            http_error(resp, 503, "store", NULL, "%s", err.msg);
        }
        pthread_mutex_unlock(&b->mutex);
    }
out:
    json_decref(body);
}

/* POST /v1/inps/{name}/heartbeat (the InP itself). */
static void
h_inp_heartbeat(struct http_request *req, void *aux, struct http_response *resp)
{
    struct bkd *b = aux;
    const struct bkd_principal *who = req->principal;
    struct brk_error err;
    struct store_inp si;

    if (!need_role(req, STORE_ROLE_INP, resp)) {
        return;
    }
    if (strcmp(req->params[0], who->id)) {
        http_error(resp, 403, "forbidden", NULL, "%s may send heartbeats "
                   "only for itself", who->id);
        return;
    }
    memset(&si, 0, sizeof si);
    pthread_mutex_lock(&b->mutex);
    int error = store_inp_get(b->store, who->id, &si, &err);
    if (error == ENOENT) {
        http_error(resp, 404, "not_found", NULL, "InP %s is not registered "
                   "(POST /v1/inps first)", who->id);
    } else if (error
               || (error = store_inp_heartbeat(b->store, who->id,
                                               brk_time_now(), &err))) {
        http_error(resp, 503, "store", NULL, "%s", err.msg);
    } else {
        if (!si.up) {
            LOG_INFO(MOD, "InP %s is up again", who->id);
            bkd_model_rebuild(b, &err);
        }
        /* Substrate failures under its leases (docs/broker.md). */
        json_t *body = req->body_len ? json_loadb(req->body, req->body_len, 0, NULL)
                                     : NULL;
        bkd_lease_links_down(b, who->id, json_object_get(body, "links_down"));
        json_decref(body);
        http_reply(resp, 200, json_pack("{s:b, s:I}", "up", true,
                                        "heartbeat_s",
                                        (json_int_t) b->cfg.heartbeat_s));
    }
    json_decref(si.offer);
    pthread_mutex_unlock(&b->mutex);
}

/* GET /v1/inps */
static void
h_inp_list(struct http_request *req, void *aux, struct http_response *resp)
{
    struct bkd *b = aux;
    struct store_inp *inps;
    size_t n;
    struct brk_error err;

    pthread_mutex_lock(&b->mutex);
    if (store_inp_list(b->store, &inps, &n, &err)) {
        http_error(resp, 503, "store", NULL, "%s", err.msg);
    } else {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *j = inp_json(&inps[i]);
            json_t *ls = leases_touching(
                b, inps[i].id, json_string_value(json_object_get(
                                   inps[i].offer, "owner")), req->principal);
            json_object_set_new(j, "leases", json_integer(json_array_size(ls)));
            json_decref(ls);
            json_array_append_new(a, j);
        }
        store_inps_free(inps, n);
        http_reply(resp, 200, json_pack("{s:o}", "inps", a));
    }
    pthread_mutex_unlock(&b->mutex);
}

/* GET /v1/inps/{name}: the InP and the leases touching it. */
static void
h_inp_show(struct http_request *req, void *aux, struct http_response *resp)
{
    struct bkd *b = aux;
    struct store_inp si;
    struct brk_error err;

    pthread_mutex_lock(&b->mutex);
    int error = store_inp_get(b->store, req->params[0], &si, &err);
    if (error == ENOENT) {
        http_error(resp, 404, "not_found", NULL, "no InP %s", req->params[0]);
    } else if (error) {
        http_error(resp, 503, "store", NULL, "%s", err.msg);
    } else {
        json_t *j = inp_json(&si);
        json_object_set_new(j, "leases", leases_touching(
                                b, si.id, json_string_value(json_object_get(
                                              si.offer, "owner")),
                                req->principal));
        json_decref(si.offer);
        http_reply(resp, 200, j);
    }
    pthread_mutex_unlock(&b->mutex);
}

/* ---- Requests and leases ---- */

/* The field named at the start of a vnreq error ("line 9: links[2].x: ..."). */
static void
error_field(const char *msg, char *field, size_t size)
{
    if (!strncmp(msg, "line ", 5)) {
        const char *c = strstr(msg, ": ");
        msg = c ? c + 2 : msg;
    }
    size_t n = strcspn(msg, ": ");
    snprintf(field, size, "%.*s", (int) MIN(n, size - 1), msg);
}

/* POST /v1/requests[?dry_run=1] (sp) */
static void
h_request(struct http_request *req, void *aux, struct http_response *resp)
{
    struct bkd *b = aux;
    const struct bkd_principal *who = req->principal;
    struct vnreq *vr = NULL;
    struct brk_error err;
    const char *key = http_header(req, "Idempotency-Key");
    const char *dry = http_query(req, "dry_run");
    bool dry_run = dry && strcmp(dry, "0") && strcmp(dry, "false");
    int64_t now = brk_time_now();
    int error;

    if (!need_role(req, STORE_ROLE_SP, resp)) {
        return;
    }
    if (!req->body_len) {
        http_error(resp, 400, "invalid", "body", "body: a request (JSON or "
                   "YAML) is required");
        return;
    }
    bool yaml = req->content_type
                && (strstr(req->content_type, "yaml")
                    || strstr(req->content_type, "YAML"));
    if (yaml) {
        error = vnreq_parse_yaml(req->body, req->body_len, now, &vr, &err);
    } else {
        json_error_t jerr;
        json_t *j = json_loadb(req->body, req->body_len,
                               JSON_REJECT_DUPLICATES, &jerr);
        if (!j) {
            http_error(resp, 400, "invalid", "body", "body: malformed JSON at "
                       "line %d column %d: %s", jerr.line, jerr.column,
                       jerr.text);
            return;
        }
        if (key && json_is_object(j)
            && !json_object_get(j, "idempotency_key")) {
            json_object_set_new(j, "idempotency_key", json_string(key));
        }
        error = vnreq_from_json(j, now, &vr, &err);
        json_decref(j);
    }
    if (error) {
        char field[64];
        error_field(err.msg, field, sizeof field);
        http_error(resp, 422, "invalid", field, "%s", err.msg);
        return;
    }
    if (key && strcmp(key, vr->idempotency_key)) {
        http_error(resp, 422, "invalid", "Idempotency-Key", "the "
                   "Idempotency-Key header (%s) and idempotency_key of the "
                   "body (%s) differ", key, vr->idempotency_key);
        vnreq_destroy(vr);
        return;
    }
    pthread_mutex_lock(&b->mutex);
    if (dry_run) {
        bkd_lease_dry_run(b, who, vr, resp);
    } else {
        json_t *canon = vnreq_to_json(vr);
        bkd_lease_create(b, who, vr, vr->idempotency_key, canon, resp);
        json_decref(canon);
    }
    pthread_mutex_unlock(&b->mutex);
    vnreq_destroy(vr);
}

/* The lease 'id' if 'who' may see it (an SP: its own; an InP: one that
 * touches it; admin: any), else a 404 in 'resp'.  Mutex held. */
static bool
lease_visible(struct bkd *b, const struct bkd_principal *who, const char *id,
              struct store_lease *l, struct http_response *resp)
{
    struct brk_error err;
    int error = store_lease_get(b->store, id, l, &err);
    if (error && error != ENOENT) {
        http_error(resp, 503, "store", NULL, "%s", err.msg);
        return false;
    }
    if (!error
        && ((who->role == STORE_ROLE_SP && strcmp(l->sp, who->id))
            || (who->role == STORE_ROLE_INP
                && !json_object_get(json_object_get(l->parts, "parts"),
                                    who->id)))) {
        store_lease_clear(l);
        error = ENOENT;
    }
    if (error) {
        http_error(resp, 404, "not_found", NULL, "no lease %s", id);
        return false;
    }
    return true;
}

/* The lease as 'who' may see it: an InP sees only its own part. */
static json_t *
lease_view(const struct bkd *b, const struct store_lease *l,
           const struct bkd_principal *who)
{
    json_t *j = bkd_lease_json(l);
    bkd_lease_health_json(b, l->id, j);
    if (who->role == STORE_ROLE_INP) {
        json_t *mine = json_object_get(json_object_get(l->parts, "parts"),
                                       who->id);
        json_object_set_new(j, "parts", json_pack("{s:O}", who->id, mine));
        json_object_set_new(j, "inps", json_pack("[s]", who->id));
    }
    return j;
}

/* GET /v1/leases[?state=S] */
static void
h_lease_list(struct http_request *req, void *aux, struct http_response *resp)
{
    struct bkd *b = aux;
    const struct bkd_principal *who = req->principal;
    struct store_lease *ls;
    size_t n;
    struct brk_error err;
    enum lease_state state = LEASE_NONE;
    const char *st = http_query(req, "state");

    if (st && lease_state_from_name(st, &state)) {
        http_error(resp, 400, "invalid", "state", "state: no lease state "
                   "\"%s\"", st);
        return;
    }
    pthread_mutex_lock(&b->mutex);
    if (store_lease_list(b->store, who->role == STORE_ROLE_SP ? who->id : NULL,
                         state, &ls, &n, &err)) {
        http_error(resp, 503, "store", NULL, "%s", err.msg);
    } else {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++) {
            if (who->role == STORE_ROLE_INP
                && !json_object_get(json_object_get(ls[i].parts, "parts"),
                                    who->id)) {
                continue;
            }
            json_array_append_new(a, lease_view(b, &ls[i], who));
        }
        store_leases_free(ls, n);
        http_reply(resp, 200, json_pack("{s:o}", "leases", a));
    }
    pthread_mutex_unlock(&b->mutex);
}

/* GET /v1/leases/{id} */
static void
h_lease_show(struct http_request *req, void *aux, struct http_response *resp)
{
    struct bkd *b = aux;
    struct store_lease l;

    pthread_mutex_lock(&b->mutex);
    if (lease_visible(b, req->principal, req->params[0], &l, resp)) {
        http_reply(resp, 200, lease_view(b, &l, req->principal));
        store_lease_clear(&l);
    }
    pthread_mutex_unlock(&b->mutex);
}

/* POST /v1/leases/{id}/renew {"end" | "duration"} (its SP) */
static void
h_lease_renew(struct http_request *req, void *aux, struct http_response *resp)
{
    struct bkd *b = aux;
    struct store_lease l;
    json_t *body;
    int64_t end = 0, d;

    if (!need_role(req, STORE_ROLE_SP, resp)
        || !http_body_json(req, &body, resp)) {
        return;
    }
    const char *e = json_string_value(json_object_get(body, "end"));
    const char *du = json_string_value(json_object_get(body, "duration"));
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        if (strcmp(key, "end") && strcmp(key, "duration")) {
            http_error(resp, 400, "invalid", key, "%s: unknown field "
                       "(expected end or duration)", key);
            json_decref(body);
            return;
        }
    }
    if (!e == !du) {
        http_error(resp, 400, "invalid", "end", "give one of end (RFC 3339) "
                   "or duration (\"1h\")");
        json_decref(body);
        return;
    }
    if (e && brk_time_parse(e, &end)) {
        http_error(resp, 400, "invalid", "end", "end: not a time: \"%s\"", e);
        json_decref(body);
        return;
    }
    if (du && (brk_duration_parse(du, &d) || d <= 0
               || d > VNREQ_MAX_DURATION)) {
        http_error(resp, 400, "invalid", "duration", "duration: must be a "
                   "positive duration such as \"30m\" or \"2h\", at most "
                   "366 days, got \"%s\"", du);
        json_decref(body);
        return;
    }
    pthread_mutex_lock(&b->mutex);
    if (lease_visible(b, req->principal, req->params[0], &l, resp)) {
        if (du) {
            end = l.end + d;
        }
        if (end <= l.end) {
            char t[32];
            http_error(resp, 422, "invalid", "end", "end: must be after the "
                       "lease's end %s", brk_time_format(l.end, t, sizeof t));
        } else {
            bkd_lease_renew(b, &l, end, resp);
        }
        store_lease_clear(&l);
    }
    pthread_mutex_unlock(&b->mutex);
    json_decref(body);
}

/* POST /v1/leases/{id}/release (its SP or admin) */
static void
h_lease_release(struct http_request *req, void *aux, struct http_response *resp)
{
    struct bkd *b = aux;
    const struct bkd_principal *who = req->principal;
    struct store_lease l;

    if (who->role == STORE_ROLE_INP) {
        http_error(resp, 403, "forbidden", NULL, "an InP cannot release a "
                   "lease");
        return;
    }
    pthread_mutex_lock(&b->mutex);
    if (lease_visible(b, who, req->params[0], &l, resp)) {
        bkd_lease_release(b, &l, resp);
        store_lease_clear(&l);
    }
    pthread_mutex_unlock(&b->mutex);
}

/* GET /v1/leases/{id}/events?after=N&wait=S (long poll, at most 30 s) */
/* POST /v1/leases/{id}/offer {"name"}: the SP offers its active lease
 * to the market as a sub-InP called 'name' (recursion, docs/broker.md).
 * A new name becomes a principal of role inp whose token is answered
 * once; the SP may offer again under the same name (the offer is
 * replaced). */
static void
h_lease_offer(struct http_request *req, void *aux, struct http_response *resp)
{
    struct bkd *b = aux;
    const struct bkd_principal *who = req->principal;
    struct store_lease l;
    struct store_inp si;
    struct brk_error err;
    json_t *body, *rec = NULL;
    char field[64] = "";
    char token[65] = "";

    if (!need_role(req, STORE_ROLE_SP, resp)
        || !http_body_json(req, &body, resp)) {
        return;
    }
    const char *name = json_string_value(json_object_get(body, "name"));
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        if (strcmp(key, "name")) {
            http_error(resp, 400, "invalid", key, "%s: unknown field "
                       "(expected name)", key);
            json_decref(body);
            return;
        }
    }
    if (!name || !name_is_valid(name) || strlen(name) > 47) {
        http_error(resp, 400, "invalid", "name", "name: must be 1..47 of "
                   "[A-Za-z0-9_.-]");
        json_decref(body);
        return;
    }
    pthread_mutex_lock(&b->mutex);
    if (!lease_visible(b, who, req->params[0], &l, resp)) {
        goto out;
    }
    if (l.state != LEASE_ACTIVE) {
        http_error(resp, 409, "state", NULL, "lease %s is %s: only an active "
                   "lease can be offered", l.id, lease_state_name(l.state));
    } else if (bkd_sub_offer(&l, name, &rec, field, &err)) {
        http_error(resp, 422, "invalid", field, "%s", err.msg);
    } else if (!store_inp_get(b->store, name, &si, &err)) {
        const char *owner = json_string_value(json_object_get(si.offer,
                                                              "owner"));
        const char *was = json_string_value(json_object_get(si.offer,
                                                            "parent_lease"));
        struct store_lease pl;
        bool live = false;
        if (was && strcmp(was, l.id)
            && !store_lease_get(b->store, was, &pl, &err)) {
            live = !lease_state_is_final(pl.state);
            store_lease_clear(&pl);
        }
        if (!owner || strcmp(owner, who->id)) {
            http_error(resp, 409, "exists", "name", "InP %s exists and is not "
                       "a sub-InP of %s", name, who->id);
            json_decref(rec);
            rec = NULL;
        } else if (live) {
            http_error(resp, 409, "exists", "name", "sub-InP %s still offers "
                       "lease %s", name, was);
            json_decref(rec);
            rec = NULL;
        }
        json_decref(si.offer);
    } else {
        api_new_token(token);
        if (store_principal_add(b->store, name, STORE_ROLE_INP, token,
                                brk_time_now(), &err)) {
            http_error(resp, 409, "exists", "name", "principal %s exists",
                       name);
            json_decref(rec);
            rec = NULL;
        }
    }
    if (rec) {
        int error = store_inp_put(b->store, name, rec, brk_time_now(), &err);
        if (!error) {
            error = bkd_model_rebuild(b, &err);
        }
        if (error) {
            http_error(resp, 503, "store", NULL, "%s", err.msg);
        } else {
            LOG_INFO(MOD, "lease %s offered by %s as sub-InP %s", l.id,
                     who->id, name);
            json_t *j = json_pack("{s:s, s:s, s:O, s:O}", "name", name,
                                  "parent_lease", l.id, "real_inp",
                                  json_object_get(rec, "real_inp"), "offer",
                                  json_object_get(rec, "offer"));
            if (token[0]) {
                json_object_set_new(j, "token", json_string(token));
            }
            http_reply(resp, 201, j);
        }
    }
    json_decref(rec);
    store_lease_clear(&l);
out:
    pthread_mutex_unlock(&b->mutex);
    explicit_bzero(token, sizeof token);
    json_decref(body);
}

static void
h_lease_events(struct http_request *req, void *aux, struct http_response *resp)
{
    struct bkd *b = aux;
    struct store_lease l;
    const char *a = http_query(req, "after");
    const char *w = http_query(req, "wait");
    char *end;
    long long after = a ? strtoll(a, &end, 10) : 0;

    if (a && (*end || after < 0)) {
        http_error(resp, 400, "invalid", "after", "after: must be an event "
                   "number >= 0");
        return;
    }
    double wait = w ? strtod(w, &end) : 0;
    if (w && (*end || !(wait >= 0) || wait > 30)) {
        http_error(resp, 400, "invalid", "wait", "wait: must be 0..30 "
                   "seconds");
        return;
    }
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += (time_t) wait;
    deadline.tv_nsec += (long) ((wait - (time_t) wait) * 1e9);
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }

    pthread_mutex_lock(&b->mutex);
    if (lease_visible(b, req->principal, req->params[0], &l, resp)) {
        json_t *list = json_array();
        for (;;) {
            struct store_event *ev;
            size_t n;
            struct brk_error err;
            if (store_event_list(b->store, l.sp, after, 1000, &ev, &n, &err)) {
                break;
            }
            for (size_t i = 0; i < n; i++) {
                after = ev[i].id;
                if (strcmp(ev[i].lease, l.id)) {
                    continue;
                }
                char t[32];
                json_array_append_new(list, json_pack(
                    "{s:I, s:s, s:s, s:s}", "id", (json_int_t) ev[i].id,
                    "kind", ev[i].kind, "at", brk_time_format(ev[i].at, t,
                                                              sizeof t),
                    "message", ev[i].message));
            }
            free(ev);
            if (n == 1000) {
                continue;
            }
            if (json_array_size(list) || b->stopping) {
                break;
            }
            if (pthread_cond_timedwait(&b->events_cond, &b->mutex,
                                       &deadline)) {
                break;
            }
        }
        http_reply(resp, 200, json_pack("{s:o, s:I}", "events", list,
                                         "next", (json_int_t) after));
        store_lease_clear(&l);
    }
    pthread_mutex_unlock(&b->mutex);
}

/* GET /v1/bills: an SP's bill, an InP's revenue, or (admin) both for
 * everyone. */
static void
h_bills(struct http_request *req, void *aux, struct http_response *resp)
{
    struct bkd *b = aux;
    const struct bkd_principal *who = req->principal;
    struct store_charge *cs;
    size_t n;
    struct brk_error err;
    int64_t now = brk_time_now();

    pthread_mutex_lock(&b->mutex);
    int error = store_charge_list(b->store,
                                  who->role == STORE_ROLE_SP ? who->id : NULL,
                                  who->role == STORE_ROLE_INP ? who->id : NULL,
                                  &cs, &n, &err);
    pthread_mutex_unlock(&b->mutex);
    if (error) {
        http_error(resp, 503, "store", NULL, "%s", err.msg);
        return;
    }
    struct bill_part *parts = xcalloc(n + 1, sizeof *parts);
    json_t *sps = json_object(), *inps = json_object();
    for (size_t i = 0; i < n; i++) {
        parts[i] = cs[i].part;
        json_object_set_new(sps, cs[i].sp, json_true());
        json_object_set_new(inps, cs[i].inp, json_true());
    }
    if (who->role == STORE_ROLE_SP) {
        http_reply(resp, 200, bill_report_sp(parts, n, who->id, now));
    } else if (who->role == STORE_ROLE_INP) {
        http_reply(resp, 200, bill_report_inp(parts, n, who->id, now));
    } else {
        json_t *a = json_array(), *r = json_array();
        const char *k;
        json_t *v;
        json_object_foreach(sps, k, v) {
            json_array_append_new(a, bill_report_sp(parts, n, k, now));
        }
        json_object_foreach(inps, k, v) {
            json_array_append_new(r, bill_report_inp(parts, n, k, now));
        }
        http_reply(resp, 200, json_pack("{s:o, s:o}", "sps", a, "inps", r));
    }
    json_decref(sps);
    json_decref(inps);
    free(parts);
    free(cs);
}

/* GET /v1/status */
static void
h_status(struct http_request *req, void *aux, struct http_response *resp)
{
    struct bkd *b = aux;
    struct store_inp *inps;
    struct store_lease *ls;
    size_t n, nl;
    struct brk_error err;

    pthread_mutex_lock(&b->mutex);
    if (store_inp_list(b->store, &inps, &n, &err)) {
        pthread_mutex_unlock(&b->mutex);
        http_error(resp, 503, "store", NULL, "%s", err.msg);
        return;
    }
    json_t *ia = json_array();
    int up = 0;
    for (size_t i = 0; i < n; i++) {
        up += inps[i].up;
        json_array_append_new(ia, json_pack("{s:s, s:b}", "name", inps[i].id,
                                            "up", inps[i].up));
    }
    store_inps_free(inps, n);
    json_t *states = json_object();
    for (int s = 0; s < LEASE_N_STATES; s++) {
        json_object_set_new(states, lease_state_name(s), json_integer(0));
    }
    const struct bkd_principal *who = req->principal;
    if (!store_lease_list(b->store, who->role == STORE_ROLE_SP ? who->id : NULL,
                          LEASE_NONE, &ls, &nl, &err)) {
        for (size_t i = 0; i < nl; i++) {
            const char *s = lease_state_name(ls[i].state);
            json_object_set_new(states, s, json_integer(
                json_integer_value(json_object_get(states, s)) + 1));
        }
        store_leases_free(ls, nl);
    }
    http_reply(resp, 200, json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:i, s:i, s:o}", "broker", "lamina-brokerd",
        "version", LAMINA_VERSION, "store", store_backend(b->store),
        "principal", who->id, "inps", ia, "inps_up", up, "inps_down",
        (int) n - up, "leases", states));
    pthread_mutex_unlock(&b->mutex);
}

/* POST /v1/leases/{id}/vnodes/{vnode}/program {"program": BASE64,
 * "config"?: {"tables", "window"}} (its
 * SP; the lease active): passes the SP's eBPF program on to the InP that
 * runs that vnode (its POST /v1/program), which checks and swaps it in. */
static void
h_lease_program(struct http_request *req, void *aux, struct http_response *resp)
{
    struct bkd *b = aux;
    struct store_lease l;
    json_t *body;

    if (!need_role(req, STORE_ROLE_SP, resp)
        || !http_body_json(req, &body, resp)) {
        return;
    }
    json_t *config = json_object_get(body, "config");
    if (!json_is_string(json_object_get(body, "program"))
        || (config && !json_is_object(config))
        || json_object_size(body) != 1u + !!config) {
        http_error(resp, 400, "invalid", "program", "the body must be "
                   "{\"program\": BASE64 of an ELF object, \"config\"?: "
                   "{\"tables\", \"window\"}}");
        json_decref(body);
        return;
    }
    pthread_mutex_lock(&b->mutex);
    if (lease_visible(b, req->principal, req->params[0], &l, resp)) {
        bkd_lease_program(b, &l, req->params[1], body, resp);
        store_lease_clear(&l);
    }
    pthread_mutex_unlock(&b->mutex);
    json_decref(body);
}

static const struct http_route api_routes[] = {
    { "GET",  "/v1/status", h_status, true },
    { "POST", "/v1/principals", h_principal_add, true },
    { "POST", "/v1/inps", h_inp_register, true },
    { "GET",  "/v1/inps", h_inp_list, true },
    { "GET",  "/v1/inps/{name}", h_inp_show, true },
    { "POST", "/v1/inps/{name}/heartbeat", h_inp_heartbeat, true },
    { "POST", "/v1/requests", h_request, true },
    { "GET",  "/v1/leases", h_lease_list, true },
    { "GET",  "/v1/leases/{id}", h_lease_show, true },
    { "POST", "/v1/leases/{id}/renew", h_lease_renew, true },
    { "POST", "/v1/leases/{id}/release", h_lease_release, true },
    { "GET",  "/v1/leases/{id}/events", h_lease_events, true },
    { "POST", "/v1/leases/{id}/offer", h_lease_offer, true },
    { "POST", "/v1/leases/{id}/vnodes/{vnode}/program", h_lease_program, true },
    { "GET",  "/v1/bills", h_bills, true },
    { "GET",  "/metrics", api_metrics, true },
    { "GET",  "/v1/view", api_view, true },
    { "GET",  "/view", api_view_page, false },
};

void
api_configure(struct http_server_config *cfg, struct bkd *b)
{
    cfg->routes = api_routes;
    cfg->n_routes = ARRAY_SIZE(api_routes);
    cfg->auth = api_auth;
    cfg->aux = b;
}
