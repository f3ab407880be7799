/*
 * lamina-inpd: the InP agent (see inpd.h and docs/inpd.md).
 *
 *     lamina-inpd --config FILE [--pidfile FILE] [--detach]
 */
#include "inpd.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "daemon.h"
#include "fault.h"
#include "http.h"
#include "metrics.h"
#include "inherit.h"
#include "inpd_cap.h"
#include "inpd_plan.h"
#include "jsonrpc.h"
#include "log.h"
#include "statefile.h"
#include "util.h"

#define MOD "inpd"

/* How long a switchd call may take. */
#define INPD_SWITCHD_TIMEOUT_MS 10000
/* Reconcile at least this often (ms), even when nothing changed. */
#define INPD_RECONCILE_PERIOD_MS 3000
/* The main loop's tick (ms): lapses and ends are seen within it, and the
 * substrate links' state (link.list, bfd.list) is read at each tick. */
#define INPD_TICK_MS 100

struct inpd_config {
    char *name;
    char *switchd_socket;
    char *broker;               /* base URL, or NULL: no broker */
    char *token;                /* the InP's token at the broker */
    char *agent_token;          /* the broker's token here; NULL: random */
    char *listen_addr;
    uint16_t listen_port;
    char *endpoint;             /* what the broker calls */
    char *state_path;
    int64_t hold_s;
    int64_t max_lease_s;
    int64_t heartbeat_s;
    int64_t node_cpu;           /* for derived nodes */
    json_t *offer;              /* as configured (may lack nodes, links) */
};

struct inpd {
    struct inpd_config cfg;
    pthread_mutex_t mutex;
    char agent_token[128];
    json_t *offer;              /* effective offer, NULL until derived */
    json_t *leases;             /* lease id -> record (the state file's) */
    struct jsonrpc_client *sw;  /* NULL while disconnected */
    json_t *links;              /* switchd's links (link.list, then
                                 * config.get's at each reconcile) */
    json_t *health;             /* lease id -> inpd_plan_reroute()'s
                                 * report, for leases a failure touches
                                 * (only without a broker) */
    json_t *down;               /* the substrate links down now:
                                 * [{"name", "a", "b", "why"}] */
    char down_key[1024];        /* their names, to see a change */
    bool reconcile_due;
    char applied[4096];         /* slices wanted at the last reconcile */
    uint64_t last_reconcile_ms;
    bool registered;
    uint64_t last_heartbeat_ms;
};

static volatile bool force_quit;

/* ---- Fault points ------------------------------------------------------- */

/* Chaos runs (lib/fault.h): the probability of death at any step
 * (LAMINA_FAULT_PROB) and of a lost answer (LAMINA_FAULT_DROP_PROB). */
static double inpd_fault_prob, inpd_drop_prob;

/* Kills the agent with SIGKILL if LAMINA_FAULT names "inpd:'step'", or
 * with probability LAMINA_FAULT_PROB. */
static void
inpd_fault(const char *step)
{
    const char *env = getenv("LAMINA_FAULT");
    char want[128];

    if (fault_roll(inpd_fault_prob)) {
        LOG_WARN(MOD, "chaos fault: killed at inpd:%s", step);
        kill(getpid(), SIGKILL);
        _exit(137);
    }
    if (!env) {
        return;
    }
    snprintf(want, sizeof want, "inpd:%s", step);
    for (const char *p = env; (p = strstr(p, want)); p += strlen(want)) {
        char after = p[strlen(want)];
        if ((p == env || p[-1] == ',') && (after == '\0' || after == ',')) {
            LOG_WARN(MOD, "fault point %s reached: killing myself", want);
            kill(getpid(), SIGKILL);
            _exit(137);
        }
    }
}

/* ---- Configuration ---------------------------------------------------- */

/* Reads a token file: its first line. */
static char *
read_token(const char *path, char *msg, size_t msgsize)
{
    char buf[512];
    FILE *f = fopen(path, "r");

    if (!f) {
        snprintf(msg, msgsize, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (!fgets(buf, sizeof buf, f)) {
        snprintf(msg, msgsize, "%s: empty token file", path);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
    return xstrdup(buf);
}

static int
cfg_int(const json_t *doc, const char *key, int64_t min, int64_t max,
        int64_t dflt, int64_t *out, char *msg, size_t msgsize)
{
    const json_t *v = json_object_get(doc, key);

    *out = dflt;
    if (!v) {
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < min
        || json_integer_value(v) > max) {
        snprintf(msg, msgsize, "\"%s\": must be an integer in %"PRId64"..%"PRId64,
                 key, min, max);
        return EINVAL;
    }
    *out = json_integer_value(v);
    return 0;
}

static int
cfg_str(const json_t *doc, const char *key, bool required, char **out,
        char *msg, size_t msgsize)
{
    const json_t *v = json_object_get(doc, key);

    *out = NULL;
    if (!v && !required) {
        return 0;
    }
    if (!json_is_string(v) || !json_string_length(v)) {
        snprintf(msg, msgsize, "\"%s\": %s", key,
                 v ? "must be a non-empty string" : "missing");
        return EINVAL;
    }
    *out = xstrdup(json_string_value(v));
    return 0;
}

/* Reads the configuration file 'path' into 'cfg'. */
static int
inpd_config_read(const char *path, struct inpd_config *cfg, char *msg,
                 size_t msgsize)
{
    static const char *keys = "name switchd_socket broker token_file "
        "agent_token_file listen endpoint state hold_s max_lease_s heartbeat_s "
        "node_cpu offer";
    char m[400] = "";
    char *listen = NULL, *token_file = NULL, *agent_token_file = NULL;
    json_error_t jerr;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    const char *key;
    json_t *v;
    int error = EINVAL;

    memset(cfg, 0, sizeof *cfg);
    if (!doc) {
        snprintf(msg, msgsize, "%s:%d:%d: %s", path, jerr.line, jerr.column,
                 jerr.text);
        return EINVAL;
    }
    if (!json_is_object(doc)) {
        snprintf(m, sizeof m, "must be a JSON object");
        goto out;
    }
    json_object_foreach(doc, key, v) {
        if (!str_has_word(keys, key)) {
            snprintf(m, sizeof m, "unknown member \"%s\" (expected one of: %s)",
                     key, keys);
            goto out;
        }
    }
    if (cfg_str(doc, "name", true, &cfg->name, m, sizeof m)
        || cfg_str(doc, "switchd_socket", false, &cfg->switchd_socket, m, sizeof m)
        || cfg_str(doc, "broker", false, &cfg->broker, m, sizeof m)
        || cfg_str(doc, "token_file", false, &token_file, m, sizeof m)
        || cfg_str(doc, "agent_token_file", false, &agent_token_file, m,
                   sizeof m)
        || cfg_str(doc, "listen", false, &listen, m, sizeof m)
        || cfg_str(doc, "endpoint", false, &cfg->endpoint, m, sizeof m)
        || cfg_str(doc, "state", false, &cfg->state_path, m, sizeof m)
        || cfg_int(doc, "hold_s", 1, 86400, 120, &cfg->hold_s, m, sizeof m)
        || cfg_int(doc, "max_lease_s", 1, INT32_MAX, 86400, &cfg->max_lease_s,
                   m, sizeof m)
        || cfg_int(doc, "heartbeat_s", 1, 3600, 2, &cfg->heartbeat_s, m, sizeof m)
        || cfg_int(doc, "node_cpu", 0, INT32_MAX, 100, &cfg->node_cpu, m,
                   sizeof m)) {
        goto out;
    }
    if (!name_is_valid(cfg->name)) {
        snprintf(m, sizeof m, "\"name\": \"%s\" is not a valid name", cfg->name);
        goto out;
    }
    v = json_object_get(doc, "offer");
    if (v && !json_is_object(v)) {
        snprintf(m, sizeof m, "\"offer\": must be an object");
        goto out;
    }
    cfg->offer = v ? json_deep_copy(v) : json_object();
    if (!cfg->switchd_socket) {
        cfg->switchd_socket = xstrdup(getenv("LAMINA_SOCKET")
                                      ? getenv("LAMINA_SOCKET")
                                      : "/run/lamina/switchd.sock");
    }
    if (cfg->broker && !token_file) {
        snprintf(m, sizeof m, "\"token_file\": needed with \"broker\"");
        goto out;
    }
    if (token_file && !(cfg->token = read_token(token_file, m, sizeof m))) {
        goto out;
    }
    if (agent_token_file
        && !(cfg->agent_token = read_token(agent_token_file, m, sizeof m))) {
        goto out;
    }
    if (cfg->agent_token && strlen(cfg->agent_token) < 16) {
        snprintf(m, sizeof m, "\"agent_token_file\": the token must have at "
                 "least 16 characters");
        goto out;
    }
    {
        const char *l = listen ? listen : "127.0.0.1:8471";
        const char *colon = strrchr(l, ':');
        char *end;
        long port = colon ? strtol(colon + 1, &end, 10) : -1;
        if (!colon || colon == l || *end || port < 0 || port > 65535) {
            snprintf(m, sizeof m, "\"listen\": \"%s\" is not ADDRESS:PORT", l);
            goto out;
        }
        cfg->listen_addr = xasprintf("%.*s", (int) (colon - l), l);
        cfg->listen_port = port;
    }
    if (!cfg->state_path) {
        cfg->state_path = xasprintf("/var/lib/lamina/inpd-%s.json", cfg->name);
    }
    error = 0;
out:
    if (error) {
        snprintf(msg, msgsize, "%s: %s", path, m);
    }
    free(listen);
    free(token_file);
    free(agent_token_file);
    json_decref(doc);
    return error;
}

/* Frees what inpd_config_read() allocated in 'cfg'. */
static void
inpd_config_destroy(struct inpd_config *cfg)
{
    free(cfg->name);
    free(cfg->switchd_socket);
    free(cfg->broker);
    free(cfg->token);
    free(cfg->agent_token);
    free(cfg->listen_addr);
    free(cfg->endpoint);
    free(cfg->state_path);
    json_decref(cfg->offer);
    memset(cfg, 0, sizeof *cfg);
}

/* ---- State ------------------------------------------------------------ */

static int64_t
now_s(void)
{
    return time(NULL);
}

/* Writes the leases to the state file.  Returns 0 or an errno ('msg'). */
static int
inpd_save(struct inpd *d, char *msg, size_t msgsize)
{
    json_t *doc = json_pack("{s:i, s:O}", "version", 1, "leases", d->leases);
    int error = statefile_write(d->cfg.state_path, doc, 0600, msg, msgsize);

    json_decref(doc);
    if (error) {
        LOG_ERR(MOD, "cannot save the state: %s", msg);
    }
    return error;
}

/* The bookings (leases and live holds) of every lease but 'except'. */
static json_t *
inpd_bookings(const struct inpd *d, const char *except)
{
    json_t *out = json_array(), *rec;
    const char *id;

    json_object_foreach(d->leases, id, rec) {
        /* A child lease takes its share of its parent's, not of the InP. */
        if ((!except || strcmp(id, except))
            && !json_object_get(json_object_get(rec, "part"), "parent")) {
            json_array_append(out, rec);
            /* A re-embedding held for the broker counts too, until it
             * replaces the part or is dropped. */
            const json_t *re = json_object_get(rec, "reembed");
            if (re) {
                json_array_append_new(out, json_pack(
                    "{s:O, s:O, s:O}", "part", json_object_get(re, "part"),
                    "start", json_object_get(rec, "start"),
                    "end", json_object_get(rec, "end")));
            }
        }
    }
    return out;
}

/* The record of the lease whose slice is 'slice', or NULL. */
static json_t *
inpd_rec_of_slice(const struct inpd *d, const char *slice)
{
    const char *id;
    json_t *rec;

    json_object_foreach(d->leases, id, rec) {
        const char *s = json_string_value(json_object_get(
                                              json_object_get(rec, "part"), "slice"));
        if (slice && s && !strcmp(s, slice)) {
            return rec;
        }
    }
    return NULL;
}

/* The slice a lease's PART subleases from ("parent"), or NULL. */
static const char *
inpd_parent_of(const json_t *rec)
{
    return json_string_value(json_object_get(json_object_get(rec, "part"),
                                             "parent"));
}

/* Recursion: drops the child leases whose parent lease is no longer held
 * here (released, ended, lapsed), and theirs.  Returns true if any. */
static bool
inpd_drop_orphans(struct inpd *d)
{
    bool any = false, again = true;

    while (again) {
        const char *id;
        json_t *rec;
        void *tmp;
        again = false;
        json_object_foreach_safe(d->leases, tmp, id, rec) {
            const char *parent = inpd_parent_of(rec);
            const json_t *prec = parent ? inpd_rec_of_slice(d, parent) : NULL;
            if (parent && (!prec || strcmp(json_string_value(json_object_get(
                                                    prec, "state")), "committed"))) {
                LOG_INFO(MOD, "lease %s: ended with its parent %s", id, parent);
                json_object_del(d->leases, id);
                any = again = true;
            }
        }
    }
    return any;
}

static const char *
rec_str(const json_t *rec, const char *key)
{
    return json_string_value(json_object_get(rec, key));
}

static int64_t
rec_int(const json_t *rec, const char *key)
{
    return json_integer_value(json_object_get(rec, key));
}

/* ---- switchd ------------------------------------------------------------ */

/* Connects to switchd if not connected; a new connection asks for a
 * reconcile (switchd may have restarted).  Returns 0 or an errno. */
static int
inpd_switchd_connect(struct inpd *d)
{
    json_t *links = NULL;
    struct jsonrpc_error err = { 0 };
    int error;

    if (d->sw) {
        return 0;
    }
    error = jsonrpc_client_open(d->cfg.switchd_socket, &d->sw);
    if (error) {
        return error;
    }
    error = jsonrpc_client_call(d->sw, "link.list", NULL, INPD_SWITCHD_TIMEOUT_MS,
                                &links, &err);
    if (error) {
        jsonrpc_client_close(d->sw);
        d->sw = NULL;
        jsonrpc_error_clear(&err);
        return error;
    }
    json_decref(d->links);
    d->links = links;
    d->reconcile_due = true;
    LOG_INFO(MOD, "connected to switchd at %s", d->cfg.switchd_socket);
    return 0;
}

/* Calls 'method' on switchd.  Returns 0 with '*result' (if nonnull), or an
 * errno with 'msg'; a broken connection is closed to be reopened. */
static int
inpd_switchd_call(struct inpd *d, const char *method, const json_t *params,
                  json_t **result, char *msg, size_t msgsize)
{
    struct jsonrpc_error err = { 0 };
    json_t *res = NULL;
    int error = inpd_switchd_connect(d);

    if (error) {
        snprintf(msg, msgsize, "switchd at %s: %s", d->cfg.switchd_socket,
                 strerror(error));
        return error;
    }
    error = jsonrpc_client_call(d->sw, method, params, INPD_SWITCHD_TIMEOUT_MS,
                                &res, &err);
    if (error == EREMOTEIO) {
        snprintf(msg, msgsize, "switchd refused %s: %s", method, err.message);
    } else if (error) {
        snprintf(msg, msgsize, "switchd at %s: %s: %s", d->cfg.switchd_socket,
                 method, strerror(error));
        jsonrpc_client_close(d->sw);
        d->sw = NULL;
    }
    jsonrpc_error_clear(&err);
    if (result && !error) {
        *result = res;
    } else {
        json_decref(res);
    }
    return error;
}

/* Sends 'calls' to switchd as batches, in order.  Returns 0, or the errno
 * of the first refused call with 'msg' naming it. */
static int
inpd_switchd_apply(struct inpd *d, const json_t *calls, char *msg, size_t msgsize)
{
    const size_t chunk = 256;
    int first = 0;

    for (size_t at = 0; at < json_array_size(calls); at += chunk) {
        json_t *batch = json_array(), *answers = NULL;
        struct jsonrpc_error err = { 0 };
        int error = inpd_switchd_connect(d);

        for (size_t i = at; i < at + chunk && i < json_array_size(calls); i++) {
            json_array_append(batch, json_array_get(calls, i));
        }
        if (!error) {
            error = jsonrpc_client_batch(d->sw, batch, INPD_SWITCHD_TIMEOUT_MS,
                                         &answers, &err);
            if (error && error != EREMOTEIO) {
                jsonrpc_client_close(d->sw);
                d->sw = NULL;
            }
        }
        if (error) {
            snprintf(msg, msgsize, "switchd at %s: %s", d->cfg.switchd_socket,
                     error == EREMOTEIO ? err.message : strerror(error));
            jsonrpc_error_clear(&err);
            json_decref(batch);
            return error;
        }
        for (size_t i = 0; i < json_array_size(answers); i++) {
            const json_t *e = json_object_get(json_array_get(answers, i), "error");
            const json_t *c = json_array_get(batch, i);
            if (e) {
                const char *m = json_string_value(json_object_get(e, "message"));
                char *p = json_dumps(json_object_get(c, "params"), JSON_COMPACT);
                LOG_WARN(MOD, "switchd refused %s %s: %s", rec_str(c, "method"),
                         p ? p : "", m ? m : "?");
                free(p);
                if (!first) {
                    first = EIO;
                    snprintf(msg, msgsize, "switchd refused %s: %s",
                             rec_str(c, "method"), m ? m : "?");
                }
            }
        }
        json_decref(answers);
        json_decref(batch);
    }
    return first;
}

/* ---- Reconcile ---------------------------------------------------------- */

/* The slices wanted now: lease slice -> its calls. */
static json_t *
inpd_wanted(struct inpd *d, int64_t now)
{
    json_t *wanted = json_object(), *rec, *health = json_object();
    const char *id;

    json_object_foreach(d->leases, id, rec) {
        const json_t *part = json_object_get(rec, "part");
        json_t *calls;
        char msg[512];

        if (strcmp(rec_str(rec, "state"), "committed")
            || rec_int(rec, "start") > now || rec_int(rec, "end") <= now) {
            continue;
        }
        /* Without a broker, a vlink over a substrate link that is down
         * is re-embedded here on the links that are up (or the lease is
         * degraded).  With one, the broker decides and books the detour
         * (POST /v1/reembed): the agent only reports the links down. */
        json_t *moved = NULL;
        json_t *h = d->cfg.broker ? NULL
                    : inpd_plan_reroute(part, d->links, &moved);
        const json_t *old = json_object_get(d->health, id);
        if (h && (!old || !json_equal(old, h))) {
            LOG_WARN(MOD, "lease %s: %s after links down: %s", id,
                     rec_str(h, "state"), rec_str(h, "reason")
                     ? rec_str(h, "reason") : "re-embedded on links up");
        } else if (!h && old) {
            LOG_INFO(MOD, "lease %s: the links under it are up again", id);
        }
        if (h) {
            json_object_set_new(health, id, h);
        }
        int error = inpd_plan_commit(moved ? moved : part, d->offer, d->links,
                                     &calls, msg, sizeof msg);
        json_decref(moved);
        if (error) {
            LOG_ERR(MOD, "lease %s: cannot plan its slice: %s", id, msg);
            continue;
        }
        json_object_set_new(wanted, rec_str(part, "slice"), calls);
    }
    /* A child's queue guarantees come out of its parent's: the parent's
     * queue on each (switch, port) is lowered by what its running
     * children guarantee there (their own full guarantees, read before
     * any lowering), so the port holds no more than the parent had. */
    const char *slice;
    json_t *calls, *orig = json_deep_copy(wanted);
    json_object_foreach(orig, slice, calls) {
        const json_t *r = inpd_rec_of_slice(d, slice);
        json_t *pcalls = r && inpd_parent_of(r)
                         ? json_object_get(wanted, inpd_parent_of(r)) : NULL;
        size_t i, k;
        json_t *c, *pc;
        json_array_foreach(pcalls ? calls : NULL, i, c) {
            const json_t *q = json_object_get(c, "params");
            if (strcmp(rec_str(c, "method"), "queue.set")) {
                continue;
            }
            json_array_foreach(pcalls, k, pc) {
                json_t *pq = json_object_get(pc, "params");
                if (!strcmp(rec_str(pc, "method"), "queue.set")
                    && !strcmp(rec_str(pq, "switch"), rec_str(q, "switch"))
                    && !strcmp(rec_str(pq, "port"), rec_str(q, "port"))) {
                    int64_t g = rec_int(pq, "guarantee_bps")
                                - rec_int(q, "guarantee_bps");
                    json_object_set_new(pq, "guarantee_bps",
                                        json_integer(g > 0 ? g : 0));
                }
            }
        }
    }
    json_decref(orig);
    json_decref(d->health);
    d->health = health;

    /* An access port a child lease binds is lent to it: its ancestors'
     * slices go without that vport while the child runs. */
    json_object_foreach(wanted, slice, calls) {
        size_t i;
        json_t *c;
        json_array_foreach(calls, i, c) {
            const json_t *p = json_object_get(c, "params");
            if (strcmp(rec_str(c, "method"), "vport.add")) {
                continue;
            }
            const json_t *r = inpd_rec_of_slice(d, slice);
            for (int depth = 0; r && inpd_parent_of(r) && depth < 16; depth++) {
                const char *anc = inpd_parent_of(r);
                json_t *acalls = json_object_get(wanted, anc);
                for (size_t k = json_array_size(acalls); k-- > 0;) {
                    const json_t *ac = json_array_get(acalls, k);
                    const json_t *ap = json_object_get(ac, "params");
                    if (!strcmp(rec_str(ac, "method"), "vport.add")
                        && !strcmp(rec_str(ap, "switch"), rec_str(p, "switch"))
                        && !strcmp(rec_str(ap, "port"), rec_str(p, "port"))) {
                        json_array_remove(acalls, k);
                    }
                }
                r = inpd_rec_of_slice(d, anc);
            }
        }
    }
    return wanted;
}

/* Makes switchd hold exactly the slices of the active leases.  Returns 0
 * or an errno with 'msg'. */
static int
inpd_reconcile(struct inpd *d, char *msg, size_t msgsize)
{
    json_t *wanted, *actual = NULL, *calls = NULL;
    char keys[sizeof d->applied] = "";
    const char *slice;
    json_t *v;
    int error;

    if (!d->offer) {
        snprintf(msg, msgsize, "the offer is not known yet (switchd unreachable)");
        return EAGAIN;
    }
    error = inpd_switchd_call(d, "config.get", NULL, &actual, msg, msgsize);
    if (error) {
        return error;
    }
    json_t *links = json_object_get(actual, "links");
    if (json_is_array(links)) {     /* their state now, for the reroutes */
        json_decref(d->links);
        d->links = json_incref(links);
    }
    wanted = inpd_wanted(d, now_s());
    json_object_foreach(wanted, slice, v) {
        size_t len = strlen(keys);
        snprintf(keys + len, sizeof keys - len, "%s,", slice);
    }
    if (inpd_plan_reconcile(wanted, actual, &calls)) {
        LOG_INFO(MOD, "reconcile: %zu calls to switchd", json_array_size(calls));
        inpd_fault("reconcile:before-apply");
        error = inpd_switchd_apply(d, calls, msg, msgsize);
    }
    /* A failure is retried at the next period, not at every tick. */
    str_copy(d->applied, keys, sizeof d->applied);
    d->reconcile_due = false;
    d->last_reconcile_ms = time_ms();
    json_decref(calls);
    json_decref(actual);
    json_decref(wanted);
    return error;
}

/* Derives the effective offer from the configured one and switchd's
 * switches and links.  Returns 0 or an errno. */
static int
inpd_derive_offer(struct inpd *d)
{
    json_t *offer = json_deep_copy(d->cfg.offer), *sws = NULL;
    char msg[512];
    size_t i;
    json_t *e;
    int error = 0;

    if (!json_object_get(offer, "nodes")) {
        error = inpd_switchd_call(d, "switch.list", NULL, &sws, msg, sizeof msg);
        if (!error) {
            json_t *nodes = json_array();
            json_array_foreach(sws, i, e) {
                json_array_append_new(nodes, json_pack(
                    "{s:O, s:I, s:f}", "name", json_object_get(e, "name"),
                    "cpu", (json_int_t) d->cfg.node_cpu, "price_cpu_hour", 0.0));
            }
            json_object_set_new(offer, "nodes", nodes);
        }
    }
    if (!error && !json_object_get(offer, "links")) {
        error = inpd_switchd_connect(d);
        if (!error) {
            json_t *links = json_array();
            json_array_foreach(d->links, i, e) {
                json_int_t rate = json_integer_value(json_object_get(e, "rate_bps"));
                json_array_append_new(links, json_pack(
                    "{s:O, s:O, s:I, s:f}", "a", json_object_get(e, "sw_a"), "b",
                    json_object_get(e, "sw_b"), "bandwidth",
                    rate ? rate : (json_int_t) 10000000000LL,
                    "price_mbps_hour", 0.0));
            }
            json_object_set_new(offer, "links", links);
        }
    }
    json_decref(sws);
    if (error) {
        json_decref(offer);
        return error;
    }
    json_object_set_new(offer, "name", json_string(d->cfg.name));
    json_object_set_new(offer, "max_lease_s", json_integer(d->cfg.max_lease_s));
    if (!json_object_get(offer, "advertise")) {
        json_object_set_new(offer, "advertise", json_string("full"));
    }
    for (const char *const *k = (const char *const[]) { "access", "borders", NULL };
         *k; k++) {
        if (!json_object_get(offer, *k)) {
            json_object_set_new(offer, *k, json_array());
        }
    }
    d->offer = offer;
    LOG_INFO(MOD, "offer: %zu nodes, %zu links, %zu access points, %zu borders",
             json_array_size(json_object_get(offer, "nodes")),
             json_array_size(json_object_get(offer, "links")),
             json_array_size(json_object_get(offer, "access")),
             json_array_size(json_object_get(offer, "borders")));
    return 0;
}

/* ---- The broker's calls ------------------------------------------------ */

static bool
inpd_auth(struct http_request *req, void *aux, struct http_response *resp)
{
    struct inpd *d = aux;
    const char *t = req->token;
    size_t n = strlen(d->agent_token);
    unsigned char diff = 0;

    if (!t || strlen(t) != n) {
        http_error(resp, 401, "unauthorized", NULL, "a valid bearer token is "
                   "needed (the agent token this InP registered)");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        diff |= t[i] ^ d->agent_token[i];
    }
    if (diff) {
        http_error(resp, 401, "unauthorized", NULL, "wrong bearer token");
        return false;
    }
    return true;
}

/* Reads the body of 'req' as an object with exactly the string members
 * 'strs' (space separated, each required) and optional others in
 * 'allowed'. */
static json_t *
inpd_body(const struct http_request *req, const char *strs, const char *allowed,
          struct http_response *resp)
{
    json_t *body;
    const char *key;
    json_t *v;
    char buf[128];

    if (!http_body_json(req, &body, resp)) {
        return NULL;
    }
    json_object_foreach(body, key, v) {
        if (!str_has_word(strs, key) && !str_has_word(allowed, key)) {
            http_error(resp, 400, "invalid", key, "%s: unknown member", key);
            json_decref(body);
            return NULL;
        }
    }
    str_copy(buf, strs, sizeof buf);
    for (char *save = NULL, *k = strtok_r(buf, " ", &save); k;
         k = strtok_r(NULL, " ", &save)) {
        if (!json_is_string(json_object_get(body, k))
            || !json_string_length(json_object_get(body, k))) {
            http_error(resp, 400, "invalid", k, "%s: must be a non-empty string", k);
            json_decref(body);
            return NULL;
        }
    }
    return body;
}

/* Saves the state; on failure restores 'before' (a copy of the leases) and
 * fills 'resp' with 503.  Takes 'before'. */
static bool
inpd_commit_state(struct inpd *d, json_t *before, struct http_response *resp)
{
    char msg[512];

    if (inpd_save(d, msg, sizeof msg)) {
        json_decref(d->leases);
        d->leases = before;
        http_error(resp, 503, "unavailable", NULL, "the agent's state could not "
                   "be saved, so nothing changed: %s", msg);
        return false;
    }
    json_decref(before);
    return true;
}

/* Fills 'resp' with 409 for a shortage 'why' (inpd_cap_check()'s),
 * prefixed with the printf-style 'fmt': the error names the resource and
 * by how much it is short. */
static void __attribute__((format(printf, 3, 4)))
inpd_reply_short(struct http_response *resp, const json_t *why,
                 const char *fmt, ...)
{
    const char *m = rec_str(why, "message");
    char prefix[256];
    va_list args;
    json_t *eo;

    va_start(args, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, args);
    va_end(args);
    http_error(resp, 409, "insufficient", NULL, "%s: %s", prefix, m ? m : "short");
    eo = json_object_get(resp->body, "error");
    json_object_set(eo, "resource", json_object_get(why, "resource"));
    json_object_set(eo, "short_by", json_object_get(why, "short_by"));
}

static bool
inpd_ready(struct inpd *d, struct http_response *resp)
{
    if (!d->offer && inpd_derive_offer(d)) {
        http_error(resp, 503, "unavailable", NULL, "InP %s: switchd at %s is not "
                   "reachable yet", d->cfg.name, d->cfg.switchd_socket);
        return false;
    }
    return true;
}

/* Checks a child lease's 'part' (it names its "parent" slice) for
 * [start, end): the parent lease is committed here, covers the interval,
 * and the part fits inside it next to its other children (inherit.h).
 * Returns true, or false with the refusal in 'resp'. */
static bool
inpd_check_child(struct inpd *d, const char *lease, const json_t *part,
                 int64_t start, int64_t end, struct http_response *resp)
{
    const char *parent = rec_str(part, "parent");
    const json_t *prec = parent ? inpd_rec_of_slice(d, parent) : NULL;
    json_t *sibs = json_array(), *rec;
    const char *id;
    char msg[512];
    int error;

    if (!json_is_string(json_object_get(part, "parent"))) {
        http_error(resp, 422, "invalid", "part.parent", "part.parent: must be "
                   "the slice of the parent lease");
        json_decref(sibs);
        return false;
    }
    if (!prec || strcmp(rec_str(prec, "state"), "committed")) {
        http_error(resp, 409, "no_parent", "part.parent", "InP %s holds no "
                   "committed lease with slice %s to sublease from",
                   d->cfg.name, parent);
        json_decref(sibs);
        return false;
    }
    if (start < rec_int(prec, "start") || end > rec_int(prec, "end")) {
        http_error(resp, 409, "inheritance", "end", "InP %s: [%"PRId64", "
                   "%"PRId64") is outside parent slice %s's [%"PRId64", "
                   "%"PRId64")", d->cfg.name, start, end, parent,
                   rec_int(prec, "start"), rec_int(prec, "end"));
        json_decref(sibs);
        return false;
    }
    json_object_foreach(d->leases, id, rec) {
        const char *p = inpd_parent_of(rec);
        if (p && !strcmp(p, parent) && strcmp(id, lease)
            && rec_int(rec, "start") < end && start < rec_int(rec, "end")) {
            json_array_append(sibs, json_object_get(rec, "part"));
        }
    }
    error = inherit_check(json_object_get(prec, "part"), sibs, part, msg,
                          sizeof msg);
    json_decref(sibs);
    if (error) {
        http_error(resp, error == EPERM ? 409 : 422, error == EPERM
                   ? "inheritance" : "invalid", "part", "InP %s: over parent "
                   "slice %s: %s", d->cfg.name, parent, msg);
        return false;
    }
    return true;
}

/* Reads the optional "hold_s" of 'body' into '*hold_s' (the agent's
 * default when absent).  Returns true, or false with a 400 in 'resp'. */
static bool
inpd_hold_arg(const struct inpd *d, const json_t *body, int64_t *hold_s,
              struct http_response *resp)
{
    const json_t *jhold = json_object_get(body, "hold_s");

    *hold_s = d->cfg.hold_s;
    if (jhold && (!json_is_integer(jhold) || json_integer_value(jhold) < 1
                  || json_integer_value(jhold) > 86400)) {
        http_error(resp, 400, "invalid", "hold_s", "hold_s: must be 1..86400");
        return false;
    } else if (jhold) {
        *hold_s = json_integer_value(jhold);
    }
    return true;
}

/* Checks that lease 'lease''s 'part' can be built on this InP and fits over
 * [start, end): inside its parent's share for a child lease, otherwise
 * next to every other lease and hold ('lease' itself left out when
 * 'except_self').  'what' prefixes a refusal for want of room.  Returns
 * true, or false with the refusal (422 or 409) in 'resp'. */
static bool
inpd_check_part(struct inpd *d, const char *lease, const json_t *part,
                int64_t start, int64_t end, bool except_self, const char *what,
                struct http_response *resp)
{
    json_t *calls = NULL, *why = NULL, *bookings;
    char msg[512];
    int error;

    error = inpd_plan_commit(part, d->offer, NULL, &calls, msg, sizeof msg);
    json_decref(calls);
    if (error) {
        http_error(resp, 422, "invalid", "part", "InP %s cannot build this part: "
                   "%s", d->cfg.name, msg);
        return false;
    }
    if (json_object_get(part, "parent")) {
        /* Recursion: a child lease is carved out of its parent's share. */
        return inpd_check_child(d, lease, part, start, end, resp);
    }
    bookings = inpd_bookings(d, except_self ? lease : NULL);
    error = inpd_cap_check(d->offer, bookings, part, start, end, &why);
    json_decref(bookings);
    if (error == ENOSPC) {
        inpd_reply_short(resp, why, "%s", what);
    } else if (error) {
        const char *m = rec_str(why, "message");
        http_error(resp, 422, "invalid", "part", "InP %s: %s", d->cfg.name,
                   m ? m : "bad part");
    }
    json_decref(why);
    return !error;
}

static void
h_prepare(struct http_request *req, void *aux, struct http_response *resp)
{
    struct inpd *d = aux;
    json_t *body = inpd_body(req, "lease txn", "start end hold_s part", resp);
    const char *lease, *txn;
    const json_t *part, *jstart, *jend;
    int64_t now = now_s(), start, end, hold_s;
    char what[256], slice[160];
    json_t *rec;

    if (!body) {
        return;
    }
    pthread_mutex_lock(&d->mutex);
    if (!inpd_ready(d, resp)) {
        goto out;
    }
    lease = json_string_value(json_object_get(body, "lease"));
    txn = json_string_value(json_object_get(body, "txn"));
    part = json_object_get(body, "part");
    jstart = json_object_get(body, "start");
    jend = json_object_get(body, "end");
    rec = json_object_get(d->leases, lease);
    if (rec) {
        if (strcmp(rec_str(rec, "txn"), txn)) {
            http_error(resp, 409, "conflict", "txn", "lease %s is already "
                       "prepared by transaction %s", lease, rec_str(rec, "txn"));
        } else {
            /* A retry: the first answer again (once committed, the hold
             * became the lease: its state and end instead). */
            json_t *ans = json_pack("{s:b, s:s, s:I}", "held", 1, "state",
                                    rec_str(rec, "state"), "end",
                                    (json_int_t) rec_int(rec, "end"));
            if (json_object_get(rec, "hold_until")) {
                json_object_set(ans, "hold_until", json_object_get(rec, "hold_until"));
            }
            http_reply(resp, 200, ans);
        }
        goto out;
    }
    if (!json_is_integer(jstart) || !json_is_integer(jend)) {
        http_error(resp, 400, "invalid", !json_is_integer(jstart) ? "start" : "end",
                   "start and end: must be integers (seconds since the epoch)");
        goto out;
    }
    start = json_integer_value(jstart);
    end = json_integer_value(jend);
    if (end <= start || end <= now) {
        http_error(resp, 422, "invalid", "end", "end %"PRId64" must be after start "
                   "%"PRId64" and after now (%"PRId64")", end, start, now);
        goto out;
    }
    if (end - start > d->cfg.max_lease_s) {
        http_error(resp, 422, "too_long", "end", "InP %s leases at most %"PRId64
                   " s; %"PRId64" s asked", d->cfg.name, d->cfg.max_lease_s,
                   end - start);
        goto out;
    }
    if (!inpd_hold_arg(d, body, &hold_s, resp)) {
        goto out;
    }
    snprintf(slice, sizeof slice, "L%s", lease);
    if (!json_is_object(part) || !rec_str(part, "slice")
        || strcmp(rec_str(part, "slice"), slice)) {
        http_error(resp, 422, "invalid", "part.slice", "part.slice must be %s",
                   slice);
        goto out;
    }
    snprintf(what, sizeof what, "InP %s", d->cfg.name);
    if (!inpd_check_part(d, lease, part, start, end, false, what, resp)) {
        goto out;
    }
    inpd_fault("prepare:before-hold");
    json_t *before = json_deep_copy(d->leases);
    json_object_set_new(d->leases, lease, json_pack(
        "{s:s, s:s, s:s, s:I, s:I, s:I, s:O}", "lease", lease, "txn", txn,
        "state", "held", "start", (json_int_t) start, "end", (json_int_t) end,
        "hold_until", (json_int_t) (now + hold_s), "part", part));
    if (inpd_commit_state(d, before, resp)) {
        inpd_fault("prepare:after-hold");
        LOG_INFO(MOD, "lease %s: held until %"PRId64" (txn %s)", lease,
                 now + hold_s, txn);
        http_reply(resp, 200, json_pack("{s:b, s:I, s:s}", "held", 1, "hold_until",
                                        (json_int_t) (now + hold_s), "state",
                                        "held"));
    }
out:
    pthread_mutex_unlock(&d->mutex);
    json_decref(body);
}

static void
h_commit(struct http_request *req, void *aux, struct http_response *resp)
{
    struct inpd *d = aux;
    json_t *body = inpd_body(req, "lease txn", "", resp);
    const char *lease, *txn;
    json_t *rec;
    char msg[512];

    if (!body) {
        return;
    }
    lease = json_string_value(json_object_get(body, "lease"));
    txn = json_string_value(json_object_get(body, "txn"));
    pthread_mutex_lock(&d->mutex);
    rec = json_object_get(d->leases, lease);
    if (!rec || strcmp(rec_str(rec, "txn"), txn)) {
        http_error(resp, 409, "no_hold", "lease", "InP %s holds nothing for lease "
                   "%s transaction %s (never prepared, aborted or lapsed)",
                   d->cfg.name, lease, txn);
        goto out;
    }
    if (!strcmp(rec_str(rec, "state"), "held")) {
        if (rec_int(rec, "hold_until") <= now_s()) {
            http_error(resp, 409, "no_hold", "lease", "InP %s: the hold of lease "
                       "%s lapsed", d->cfg.name, lease);
            goto out;
        }
        json_t *before = json_deep_copy(d->leases);
        json_object_set_new(rec, "state", json_string("committed"));
        json_object_del(rec, "hold_until");
        if (!inpd_commit_state(d, before, resp)) {
            goto out;
        }
        LOG_INFO(MOD, "lease %s: committed (txn %s)", lease, txn);
        inpd_fault("commit:after-record");
    }
    /* Decided: the slice is built now (or at its start), and a failure
     * here is retried by reconcile; the broker may retry the commit. */
    if (rec_int(rec, "start") <= now_s() && inpd_reconcile(d, msg, sizeof msg)) {
        http_error(resp, 503, "switchd", NULL, "InP %s: lease %s is committed but "
                   "its slice L%s is not built yet: %s", d->cfg.name, lease, lease,
                   msg);
        goto out;
    }
    inpd_fault("commit:after-apply");
    http_reply(resp, 200, json_pack("{s:s, s:I}", "state", "committed", "end",
                                    (json_int_t) rec_int(rec, "end")));
out:
    pthread_mutex_unlock(&d->mutex);
    json_decref(body);
}

static void
h_abort(struct http_request *req, void *aux, struct http_response *resp)
{
    struct inpd *d = aux;
    json_t *body = inpd_body(req, "lease txn", "", resp);
    const char *lease, *txn;
    json_t *rec;

    if (!body) {
        return;
    }
    lease = json_string_value(json_object_get(body, "lease"));
    txn = json_string_value(json_object_get(body, "txn"));
    pthread_mutex_lock(&d->mutex);
    rec = json_object_get(d->leases, lease);
    if (rec && !strcmp(rec_str(rec, "state"), "committed")) {
        http_error(resp, 409, "committed", "lease", "InP %s: lease %s is committed; "
                   "release it instead", d->cfg.name, lease);
        goto out;
    }
    if (rec && !strcmp(rec_str(rec, "txn"), txn)) {
        json_t *before = json_deep_copy(d->leases);
        json_object_del(d->leases, lease);
        if (!inpd_commit_state(d, before, resp)) {
            goto out;
        }
        LOG_INFO(MOD, "lease %s: aborted (txn %s)", lease, txn);
        inpd_fault("abort:after-record");
    }
    http_reply(resp, 200, json_pack("{s:s}", "state", "aborted"));
out:
    pthread_mutex_unlock(&d->mutex);
    json_decref(body);
}

/* ---- Re-embedding after a substrate failure ---- */

/* POST /v1/reembed {"lease", "txn", "part"}: the broker's new PART for a
 * committed lease (its vlinks on other paths of this InP, after links
 * went down or came back).  The agent checks it as a prepare would (it
 * can be built; it fits over [now, end) next to every other lease and
 * hold, the lease's own part left out) and holds it beside the part in
 * force until /v1/reembed/commit puts it in its place or
 * /v1/reembed/abort (or the hold's lapse) drops it.  The same (lease,
 * txn) again: the first answer. */
static void
h_reembed(struct http_request *req, void *aux, struct http_response *resp)
{
    struct inpd *d = aux;
    json_t *body = inpd_body(req, "lease txn", "part hold_s", resp);
    const json_t *part, *re;
    const char *lease, *txn;
    int64_t now = now_s(), hold_s;
    char what[256], slice[160];
    json_t *rec;

    if (!body) {
        return;
    }
    lease = json_string_value(json_object_get(body, "lease"));
    txn = json_string_value(json_object_get(body, "txn"));
    part = json_object_get(body, "part");
    if (!inpd_hold_arg(d, body, &hold_s, resp)) {
        json_decref(body);
        return;
    }
    pthread_mutex_lock(&d->mutex);
    if (!inpd_ready(d, resp)) {
        goto out;
    }
    rec = json_object_get(d->leases, lease);
    if (!rec || strcmp(rec_str(rec, "state"), "committed")) {
        http_error(resp, 409, "not_committed", "lease", "InP %s has no committed "
                   "lease %s to re-embed", d->cfg.name, lease);
        goto out;
    }
    re = json_object_get(rec, "reembed");
    if ((re && !strcmp(rec_str(re, "txn"), txn))
        || (rec_str(rec, "reembed_done") && !strcmp(rec_str(rec, "reembed_done"),
                                                    txn))) {
        http_reply(resp, 200, json_pack("{s:b, s:s}", "held", 1, "state",
                                        re ? "held" : "committed"));
        goto out;
    }
    snprintf(slice, sizeof slice, "L%s", lease);
    if (!json_is_object(part) || !rec_str(part, "slice")
        || strcmp(rec_str(part, "slice"), slice)
        || json_object_get(part, "parent")) {
        http_error(resp, 422, "invalid", "part.slice", "part.slice must be %s "
                   "(a lease of its own, not a child lease)", slice);
        goto out;
    }
    snprintf(what, sizeof what, "InP %s: the re-embedding of lease %s",
             d->cfg.name, lease);
    if (!inpd_check_part(d, lease, part, MAX(now, rec_int(rec, "start")),
                         rec_int(rec, "end"), true, what, resp)) {
        goto out;
    }
    json_t *before = json_deep_copy(d->leases);
    json_object_set_new(rec, "reembed", json_pack(
        "{s:s, s:O, s:I}", "txn", txn, "part", part, "hold_until",
        (json_int_t) (now + hold_s)));
    if (inpd_commit_state(d, before, resp)) {
        inpd_fault("reembed:after-hold");
        LOG_INFO(MOD, "lease %s: re-embedding held (txn %s)", lease, txn);
        http_reply(resp, 200, json_pack("{s:b, s:s, s:I}", "held", 1, "state",
                                        "held", "hold_until",
                                        (json_int_t) (now + hold_s)));
    }
out:
    pthread_mutex_unlock(&d->mutex);
    json_decref(body);
}

/* POST /v1/reembed/commit {"lease", "txn"}: the held re-embedding becomes
 * the lease's part (saved, then the slice rebuilt by reconcile). */
static void
h_reembed_commit(struct http_request *req, void *aux, struct http_response *resp)
{
    struct inpd *d = aux;
    json_t *body = inpd_body(req, "lease txn", "", resp);
    const char *lease, *txn;
    const json_t *re;
    json_t *rec;
    char msg[512];

    if (!body) {
        return;
    }
    lease = json_string_value(json_object_get(body, "lease"));
    txn = json_string_value(json_object_get(body, "txn"));
    pthread_mutex_lock(&d->mutex);
    rec = json_object_get(d->leases, lease);
    re = rec ? json_object_get(rec, "reembed") : NULL;
    if (re && !strcmp(rec_str(re, "txn"), txn)) {
        json_t *before = json_deep_copy(d->leases);
        json_object_set(rec, "part", json_object_get(re, "part"));
        json_object_set_new(rec, "reembed_done", json_string(txn));
        json_object_del(rec, "reembed");
        if (!inpd_commit_state(d, before, resp)) {
            goto out;
        }
        LOG_INFO(MOD, "lease %s: re-embedded (txn %s)", lease, txn);
        inpd_fault("reembed:after-record");
    } else if (!rec || !rec_str(rec, "reembed_done")
               || strcmp(rec_str(rec, "reembed_done"), txn)) {
        http_error(resp, 409, "no_hold", "lease", "InP %s holds no re-embedding "
                   "of lease %s transaction %s (never asked, aborted or lapsed)",
                   d->cfg.name, lease, txn);
        goto out;
    }
    if (inpd_reconcile(d, msg, sizeof msg)) {
        http_error(resp, 503, "switchd", NULL, "InP %s: lease %s is re-embedded "
                   "but its slice is not rebuilt yet: %s", d->cfg.name, lease, msg);
        goto out;
    }
    http_reply(resp, 200, json_pack("{s:s}", "state", "committed"));
out:
    pthread_mutex_unlock(&d->mutex);
    json_decref(body);
}

/* POST /v1/reembed/abort {"lease", "txn"}: drops the held re-embedding
 * (200 also when there is none). */
static void
h_reembed_abort(struct http_request *req, void *aux, struct http_response *resp)
{
    struct inpd *d = aux;
    json_t *body = inpd_body(req, "lease txn", "", resp);
    const char *lease, *txn;
    const json_t *re;
    json_t *rec;

    if (!body) {
        return;
    }
    lease = json_string_value(json_object_get(body, "lease"));
    txn = json_string_value(json_object_get(body, "txn"));
    pthread_mutex_lock(&d->mutex);
    rec = json_object_get(d->leases, lease);
    re = rec ? json_object_get(rec, "reembed") : NULL;
    if (re && !strcmp(rec_str(re, "txn"), txn)) {
        json_t *before = json_deep_copy(d->leases);
        json_object_del(rec, "reembed");
        if (!inpd_commit_state(d, before, resp)) {
            goto out;
        }
        LOG_INFO(MOD, "lease %s: re-embedding dropped (txn %s)", lease, txn);
    }
    http_reply(resp, 200, json_pack("{s:s}", "state", "aborted"));
out:
    pthread_mutex_unlock(&d->mutex);
    json_decref(body);
}

static void
h_renew(struct http_request *req, void *aux, struct http_response *resp)
{
    struct inpd *d = aux;
    json_t *body = inpd_body(req, "lease", "end", resp);
    const json_t *jend;
    const char *lease;
    json_t *rec, *why = NULL;
    int64_t now = now_s(), start, end, granted;

    if (!body) {
        return;
    }
    lease = json_string_value(json_object_get(body, "lease"));
    jend = json_object_get(body, "end");
    pthread_mutex_lock(&d->mutex);
    rec = json_object_get(d->leases, lease);
    if (!json_is_integer(jend)) {
        http_error(resp, 400, "invalid", "end", "end: must be an integer (seconds "
                   "since the epoch)");
        goto out;
    }
    if (!rec || strcmp(rec_str(rec, "state"), "committed")) {
        http_error(resp, 409, "not_active", "lease", "InP %s has no committed "
                   "lease %s", d->cfg.name, lease);
        goto out;
    }
    start = rec_int(rec, "start");
    end = json_integer_value(jend);
    granted = end < start + d->cfg.max_lease_s ? end : start + d->cfg.max_lease_s;
    if (granted <= now) {
        http_error(resp, 422, "invalid", "end", "end %"PRId64" is not in the "
                   "future", end);
        goto out;
    }
    const json_t *prec = inpd_parent_of(rec)
                         ? inpd_rec_of_slice(d, inpd_parent_of(rec)) : NULL;
    if (prec && granted > rec_int(prec, "end")) {
        /* A child never outlives its parent. */
        granted = rec_int(prec, "end");
    } else if (inpd_parent_of(rec)) {
        /* Within the parent's interval: nothing more to count. */
    } else if (granted > rec_int(rec, "end")) {
        json_t *bookings = inpd_bookings(d, lease);
        int error = inpd_cap_check(d->offer, bookings, json_object_get(rec, "part"),
                                   rec_int(rec, "end"), granted, &why);
        json_decref(bookings);
        if (error) {
            inpd_reply_short(resp, why, "InP %s cannot extend lease %s",
                             d->cfg.name, lease);
            goto out;
        }
    }
    if (granted != rec_int(rec, "end")) {
        json_t *before = json_deep_copy(d->leases);
        json_object_set_new(rec, "end", json_integer(granted));
        if (!inpd_commit_state(d, before, resp)) {
            goto out;
        }
        LOG_INFO(MOD, "lease %s: end %"PRId64" (asked %"PRId64")", lease, granted,
                 end);
        inpd_fault("renew:after-record");
    }
    http_reply(resp, 200, json_pack("{s:I}", "end", (json_int_t) granted));
out:
    pthread_mutex_unlock(&d->mutex);
    json_decref(why);
    json_decref(body);
}

static void
h_release(struct http_request *req, void *aux, struct http_response *resp)
{
    struct inpd *d = aux;
    json_t *body = inpd_body(req, "lease", "", resp);
    const char *lease;
    char msg[512];

    if (!body) {
        return;
    }
    lease = json_string_value(json_object_get(body, "lease"));
    pthread_mutex_lock(&d->mutex);
    if (json_object_get(d->leases, lease)) {
        json_t *before = json_deep_copy(d->leases);
        json_object_del(d->leases, lease);
        inpd_drop_orphans(d);
        if (!inpd_commit_state(d, before, resp)) {
            goto out;
        }
        LOG_INFO(MOD, "lease %s: released", lease);
        inpd_fault("release:after-record");
        if (inpd_reconcile(d, msg, sizeof msg)) {
            /* Gone from the state: reconcile removes it when it can. */
            LOG_WARN(MOD, "lease %s: slice not removed yet: %s", lease, msg);
        }
    }
    http_reply(resp, 200, json_pack("{s:s}", "state", "released"));
out:
    pthread_mutex_unlock(&d->mutex);
    json_decref(body);
}

static void
h_leases(struct http_request *req, void *aux, struct http_response *resp)
{
    struct inpd *d = aux;
    json_t *list = json_array(), *rec;
    int64_t now = now_s();
    const char *id;

    pthread_mutex_lock(&d->mutex);
    json_object_foreach(d->leases, id, rec) {
        const char *state = rec_str(rec, "state");
        json_t *e = json_pack("{s:s, s:O, s:s, s:I, s:I}", "lease", id, "slice",
                              json_object_get(json_object_get(rec, "part"), "slice"),
                              "state", !strcmp(state, "held") ? "held"
                              : rec_int(rec, "start") > now ? "scheduled" : "active",
                              "start", (json_int_t) rec_int(rec, "start"),
                              "end", (json_int_t) rec_int(rec, "end"));
        if (json_object_get(rec, "hold_until")) {
            json_object_set(e, "hold_until", json_object_get(rec, "hold_until"));
        }
        json_array_append_new(list, e);
    }
    pthread_mutex_unlock(&d->mutex);
    http_reply(resp, 200, json_pack("{s:s, s:o}", "inp", d->cfg.name, "leases", list));
}

/* The capacity report; the caller holds the mutex. */
static json_t *
inpd_capacity(struct inpd *d)
{
    json_t *bookings = inpd_bookings(d, NULL), *holds = json_array(), *rec;
    json_t *report;
    const char *id;

    report = inpd_cap_report(d->offer, bookings, now_s());
    json_object_foreach(d->leases, id, rec) {
        if (!strcmp(rec_str(rec, "state"), "held")) {
            json_array_append_new(holds, json_pack("{s:s, s:I}", "lease", id,
                                                   "hold_until", (json_int_t)
                                                   rec_int(rec, "hold_until")));
        }
        const json_t *re = json_object_get(rec, "reembed");
        if (re) {
            json_array_append_new(holds, json_pack(
                "{s:s, s:I, s:b}", "lease", id, "hold_until",
                (json_int_t) rec_int(re, "hold_until"), "reembed", 1));
        }
    }
    json_object_set_new(report, "holds", holds);
    json_decref(bookings);
    return report;
}

static void
h_capacity(struct http_request *req, void *aux, struct http_response *resp)
{
    struct inpd *d = aux;

    pthread_mutex_lock(&d->mutex);
    if (inpd_ready(d, resp)) {
        http_reply(resp, 200, inpd_capacity(d));
    }
    pthread_mutex_unlock(&d->mutex);
}

/* GET /metrics: the agent's leases by state for Prometheus
 * (lib/metrics.h); a token is needed as for every route. */
static void
h_metrics(struct http_request *req, void *aux, struct http_response *resp)
{
    static const char *const states[] = { "held", "scheduled", "active" };
    struct inpd *d = aux;
    size_t count[3] = { 0, 0, 0 };
    int64_t now = now_s();
    struct metrics m;
    const char *id;
    json_t *rec;

    (void) req;
    pthread_mutex_lock(&d->mutex);
    json_object_foreach(d->leases, id, rec) {
        const char *state = rec_str(rec, "state");
        count[!strcmp(state, "held") ? 0
              : rec_int(rec, "start") > now ? 1 : 2]++;
    }
    pthread_mutex_unlock(&d->mutex);

    metrics_init(&m);
    metrics_declare(&m, "lamina_inpd_leases", METRICS_GAUGE,
                    "Lease parts the agent holds, by state.");
    for (size_t i = 0; i < ARRAY_SIZE(states); i++) {
        metrics_add(&m, "lamina_inpd_leases", count[i], "inp", d->cfg.name,
                    "state", states[i], (char *) NULL);
    }
    resp->status = 200;
    resp->text = metrics_text(&m);
    resp->text_type = METRICS_CONTENT_TYPE;
    metrics_destroy(&m);
}

/* Chaos runs: the broker's call 'step' was carried out, but with
 * probability LAMINA_FAULT_DROP_PROB its answer is lost (a 503 instead). */
static void
inpd_drop_answer(const char *step, struct http_response *resp)
{
    if (fault_roll(inpd_drop_prob)) {
        LOG_WARN(MOD, "chaos fault: answer of %s (HTTP %d) lost", step,
                 resp->status);
        http_error(resp, 503, "unavailable", NULL, "answer lost (fault "
                   "injected)");
    }
}

#define INPD_DROPPING(STEP)                                                 \
    static void                                                             \
    h_##STEP##_chaos(struct http_request *req, void *aux,                   \
                     struct http_response *resp)                            \
    {                                                                       \
        h_##STEP(req, aux, resp);                                           \
        inpd_drop_answer(#STEP, resp);                                      \
    }
INPD_DROPPING(prepare)
INPD_DROPPING(commit)
INPD_DROPPING(abort)
INPD_DROPPING(renew)
INPD_DROPPING(release)


/* The largest eBPF program an SP may push (bytes of the ELF object). */
#define INPD_PROGRAM_MAX (512 * 1024)

/* POST /v1/program {"lease", "vnode", "program": BASE64, "config"?: {tables,
 * window}}: the broker
 * passes on an SP's eBPF program for one ebpf vnode of its lease.  The
 * object is written under the state file's directory and swapped in with
 * switchd's vnode.set; the lease's record then names it, so that a
 * rebuilt slice runs it too.  A refused program changes nothing. */
static void
h_program(struct http_request *req, void *aux, struct http_response *resp)
{
    struct inpd *d = aux;
    json_t *body = inpd_body(req, "lease vnode program", "config", resp);
    json_t *vn = NULL, *rec, *v;
    char *dir = NULL, *path = NULL;
    void *bytes = NULL;
    size_t n = 0, i;
    char msg[512];

    if (!body) {
        return;
    }
    const char *lease = json_string_value(json_object_get(body, "lease"));
    const char *vname = json_string_value(json_object_get(body, "vnode"));
    pthread_mutex_lock(&d->mutex);
    rec = json_object_get(d->leases, lease);
    if (!rec || strcmp(rec_str(rec, "state"), "committed")) {
        http_error(resp, 404, "not_found", "lease", "no committed lease %s here",
                   lease);
        goto out;
    }
    json_array_foreach(json_object_get(json_object_get(rec, "part"), "vnodes"), i, v) {
        if (!strcmp(rec_str(v, "name"), vname)) {
            vn = v;
        }
    }
    if (!vn) {
        http_error(resp, 404, "not_found", "vnode", "lease %s has no vnode %s here",
                   lease, vname);
        goto out;
    }
    if (strcmp(rec_str(vn, "fp"), "ebpf")) {
        http_error(resp, 422, "invalid", "vnode", "vnode %s of lease %s is not an "
                   "ebpf vnode (fp %s)", vname, lease, rec_str(vn, "fp"));
        goto out;
    }
    if (base64_decode(json_string_value(json_object_get(body, "program")),
                      &bytes, &n) || !n) {
        http_error(resp, 400, "invalid", "program", "program: must be an ELF "
                   "object in base64");
        goto out;
    }
    if (n > INPD_PROGRAM_MAX) {
        http_error(resp, 413, "too_large", "program", "program: %zu bytes, at "
                   "most %d", n, INPD_PROGRAM_MAX);
        goto out;
    }
    /* The vnode's limits (inherited by a child lease): the new tables,
     * else the ones it runs. */
    const json_t *tconf = json_object_get(json_object_get(body, "config"), "tables")
                          ? json_object_get(body, "config")
                          : json_object_get(vn, "config");
    if (inherit_program_check(json_object_get(vn, "limits"), n, tconf, msg,
                              sizeof msg)) {
        http_error(resp, 422, "inheritance", "program", "vnode %s of lease %s: %s",
                   vname, lease, msg);
        goto out;
    }
    char *state = xstrdup(d->cfg.state_path);
    char *slash = strrchr(state, '/');
    dir = xasprintf("%s/programs", slash ? (*slash = '\0', state[0] ? state : "/") : ".");
    free(state);
    path = xasprintf("%s/%s-%s-%" PRIu64 ".o", dir, rec_str(json_object_get(rec, "part"), "slice"),
                     vname, time_ns());
    FILE *f = NULL;
    if (mkdir_p(dir, 0700) || !(f = fopen(path, "wx"))
        || fwrite(bytes, 1, n, f) != n || fclose(f)) {
        http_error(resp, 503, "unavailable", NULL, "cannot store the program in %s: %s",
                   dir, strerror(errno));
        goto out;
    }
    json_t *newconf = json_object_get(body, "config");
    if (newconf && !json_is_object(newconf)) {
        http_error(resp, 400, "invalid", "config", "config: must be an object");
        unlink(path);
        goto out;
    }
    json_t *params = json_pack("{s:O, s:s, s:s}", "slice",
                               json_object_get(json_object_get(rec, "part"), "slice"),
                               "switch", rec_str(vn, "switch"), "program", path);
    if (newconf) {
        json_object_set(params, "config", newconf);
    }
    int error = inpd_switchd_call(d, "vnode.set", params, NULL, msg, sizeof msg);
    json_decref(params);
    if (error) {
        unlink(path);
        http_error(resp, error == EREMOTEIO ? 422 : 503,
                   error == EREMOTEIO ? "refused" : "unavailable", "program", "%s", msg);
        goto out;
    }
    json_t *before = json_deep_copy(d->leases);
    json_t *config = json_object_get(vn, "config");
    if (!json_is_object(config)) {
        config = json_object();
        json_object_set_new(vn, "config", config);
    }
    if (newconf) {
        json_object_update(config, newconf);
    }
    const char *old = json_string_value(json_object_get(config, "program"));
    char *old_path = old && !strncmp(old, dir, strlen(dir)) ? xstrdup(old) : NULL;
    json_object_set_new(config, "program", json_string(path));
    if (inpd_commit_state(d, before, resp)) {
        if (old_path) {
            unlink(old_path);
        }
        LOG_INFO(MOD, "lease %s: vnode %s runs a new program (%zu bytes)", lease,
                 vname, n);
        http_reply(resp, 200, json_pack("{s:s, s:s, s:s, s:I}", "lease", lease,
                                         "vnode", vname, "switch", rec_str(vn, "switch"),
                                         "bytes", (json_int_t) n));
    }
    free(old_path);
out:
    pthread_mutex_unlock(&d->mutex);
    free(bytes);
    free(path);
    free(dir);
    json_decref(body);
}

static const struct http_route inpd_routes[] = {
    { "GET", "/metrics", h_metrics, true },
    { "POST", "/v1/prepare", h_prepare_chaos, true },
    { "POST", "/v1/commit", h_commit_chaos, true },
    { "POST", "/v1/abort", h_abort_chaos, true },
    { "POST", "/v1/renew", h_renew_chaos, true },
    { "POST", "/v1/release", h_release_chaos, true },
    { "GET", "/v1/leases", h_leases, true },
    { "GET", "/v1/capacity", h_capacity, true },
    { "POST", "/v1/program", h_program, true },
    { "POST", "/v1/reembed", h_reembed, true },
    { "POST", "/v1/reembed/commit", h_reembed_commit, true },
    { "POST", "/v1/reembed/abort", h_reembed_abort, true },
};

/* ---- Timers ------------------------------------------------------------- */

/* Reads the substrate links' state from switchd (link.list, bfd.list): a
 * link is down when switchd shows it "up": false, or when a BFD session
 * on it that has been Up is Down or Init again (a session that never came
 * Up says nothing).  When the set of links down changes, the links are
 * kept for the reroutes and the broker is told at once (the heartbeat is
 * sent at this tick).  The caller holds the mutex. */
static void
inpd_poll_links(struct inpd *d)
{
    json_t *links = NULL, *bfd = NULL, *down, *l, *s;
    char msg[256], key[sizeof d->down_key] = "";
    size_t i, k;

    if (!d->sw || inpd_switchd_call(d, "link.list", NULL, &links, msg, sizeof msg)
        || !json_is_array(links)) {
        json_decref(links);
        return;
    }
    if (inpd_switchd_call(d, "bfd.list", NULL, &bfd, msg, sizeof msg)) {
        bfd = NULL;             /* an older switchd: link state only */
    }
    down = json_array();
    json_array_foreach(links, i, l) {
        const char *why = json_is_false(json_object_get(l, "up"))
                          ? "down on switchd" : NULL;
        json_array_foreach(json_is_array(bfd) ? bfd : NULL, k, s) {
            const char *st = rec_str(s, "state");
            if (!why && rec_str(s, "link") && rec_str(l, "name")
                && !strcmp(rec_str(s, "link"), rec_str(l, "name"))
                && rec_int(s, "ups") > 0 && st
                && (!strcmp(st, "Down") || !strcmp(st, "Init"))) {
                why = "its BFD session is down";
                json_object_set_new(l, "up", json_false());
            }
        }
        if (why) {
            size_t len = strlen(key);
            snprintf(key + len, sizeof key - len, "%s (%s), ", rec_str(l, "name"),
                     why);
            json_array_append_new(down, json_pack(
                "{s:s, s:s, s:s, s:s}", "name", rec_str(l, "name"),
                "a", rec_str(l, "sw_a"), "b", rec_str(l, "sw_b"), "why", why));
        }
    }
    if (strcmp(key, d->down_key)) {
        LOG_WARN(MOD, "substrate links down: %s", key[0] ? key : "none");
        str_copy(d->down_key, key, sizeof d->down_key);
        d->last_heartbeat_ms = 0;       /* tell the broker now */
        d->reconcile_due = true;
    }
    json_decref(d->down);
    d->down = down;
    json_decref(d->links);
    d->links = links;
    json_decref(bfd);
}

/* Lapses holds and ends leases whose time has come; reconciles when the
 * wanted slices changed, when asked, or periodically. */
static void
inpd_tick(struct inpd *d)
{
    json_t *before = NULL, *rec, *wanted;
    int64_t now = now_s();
    bool changed = false;
    char msg[512], keys[sizeof d->applied] = "";
    const char *id, *slice;
    void *tmp;
    json_t *v;

    json_object_foreach_safe(d->leases, tmp, id, rec) {
        const char *state = rec_str(rec, "state");
        bool lapsed = !strcmp(state, "held") && rec_int(rec, "hold_until") <= now;
        bool ended = !strcmp(state, "committed") && rec_int(rec, "end") <= now;
        const json_t *re = json_object_get(rec, "reembed");

        if (re && !ended && rec_int(re, "hold_until") <= now) {
            if (!before) {
                before = json_deep_copy(d->leases);
            }
            LOG_INFO(MOD, "lease %s: the re-embedding hold lapsed", id);
            json_object_del(rec, "reembed");
            changed = true;
        }

        if (lapsed || ended) {
            if (!before) {
                before = json_deep_copy(d->leases);
            }
            LOG_INFO(MOD, "lease %s: %s", id, lapsed ? "the hold lapsed" : "ended");
            json_object_del(d->leases, id);
            changed = true;
        }
    }
    if (changed) {
        inpd_drop_orphans(d);
    }
    if (changed && inpd_save(d, msg, sizeof msg)) {
        json_decref(d->leases);         /* try again at the next tick */
        d->leases = before;
        return;
    }
    json_decref(before);
    if (!d->offer && inpd_derive_offer(d)) {
        return;
    }
    wanted = inpd_wanted(d, now);
    json_object_foreach(wanted, slice, v) {
        size_t len = strlen(keys);
        snprintf(keys + len, sizeof keys - len, "%s,", slice);
    }
    json_decref(wanted);
    if (!d->sw && !inpd_switchd_connect(d)) {
        d->reconcile_due = true;
    }
    inpd_poll_links(d);
    if (changed || d->reconcile_due || strcmp(keys, d->applied)
        || time_ms() - d->last_reconcile_ms >= INPD_RECONCILE_PERIOD_MS) {
        if (inpd_reconcile(d, msg, sizeof msg)) {
            LOG_DBG(MOD, "reconcile: %s", msg);
        }
    }
}

/* Registers with the broker or heartbeats, without the mutex held during
 * the call. */
static void
inpd_broker_tick(struct inpd *d)
{
    struct http_client_opts opts = { .token = d->cfg.token, .timeout_ms = 3000 };
    json_t *body, *reply = NULL;
    char *url, *errmsg = NULL;
    bool registering;
    long status = 0;
    int error;

    if (!d->cfg.broker
        || time_ms() - d->last_heartbeat_ms < (uint64_t) d->cfg.heartbeat_s * 1000) {
        return;
    }
    d->last_heartbeat_ms = time_ms();
    pthread_mutex_lock(&d->mutex);
    if (!d->offer) {
        pthread_mutex_unlock(&d->mutex);
        return;
    }
    registering = !d->registered;
    if (registering) {
        url = xasprintf("%s/v1/inps", d->cfg.broker);
        body = json_pack("{s:s, s:s, s:s, s:O}", "name", d->cfg.name, "endpoint",
                         d->cfg.endpoint, "agent_token", d->agent_token, "offer",
                         d->offer);
    } else {
        url = xasprintf("%s/v1/inps/%s/heartbeat", d->cfg.broker, d->cfg.name);
        json_t *cap = inpd_capacity(d);
        body = json_pack("{s:O, s:o}", "free", json_object_get(cap, "free_now"),
                         "links_down", d->down ? json_deep_copy(d->down)
                                               : json_array());
        json_decref(cap);
    }
    pthread_mutex_unlock(&d->mutex);

    error = http_client_json("POST", url, &opts, body, &status, &reply, &errmsg);
    if (error) {
        LOG_WARN(MOD, "broker %s: %s", d->cfg.broker, errmsg ? errmsg : strerror(error));
    } else if (status >= 200 && status < 300) {
        if (registering) {
            LOG_INFO(MOD, "registered with the broker %s as %s", d->cfg.broker,
                     d->cfg.name);
        }
        d->registered = true;
    } else {
        const char *m = http_error_message(reply);
        LOG_WARN(MOD, "broker %s answered %ld to %s: %s", d->cfg.broker, status,
                 registering ? "the registration" : "the heartbeat", m ? m : "");
        if (!registering && status == 404) {
            d->registered = false;      /* the broker forgot us */
        }
    }
    free(errmsg);
    free(url);
    json_decref(reply);
    json_decref(body);
}

/* ---- Main --------------------------------------------------------------- */

static void
usage(FILE *out)
{
    fprintf(out,
            "usage: lamina-inpd --config FILE [--pidfile FILE] [--detach]\n"
            "The InP agent beside lamina-switchd; see docs/inpd.md.\n");
}

/* A fresh random agent token (hex) into 'buf' (65 bytes). */
static int
make_token(char *buf)
{
    unsigned char raw[32];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

    if (fd < 0 || read(fd, raw, sizeof raw) != (ssize_t) sizeof raw) {
        if (fd >= 0) {
            close(fd);
        }
        return errno ? errno : EIO;
    }
    close(fd);
    for (size_t i = 0; i < sizeof raw; i++) {
        snprintf(buf + 2 * i, 3, "%02x", raw[i]);
    }
    return 0;
}

/* Loads the state file into d->leases (none: empty). */
static int
inpd_load(struct inpd *d, char *msg, size_t msgsize)
{
    json_t *doc = NULL;
    int error = statefile_read(d->cfg.state_path, NULL, &doc, msg, msgsize);

    if (error == ENOENT) {
        d->leases = json_object();
        return 0;
    }
    if (error) {
        return error;
    }
    if (!json_is_object(json_object_get(doc, "leases"))) {
        snprintf(msg, msgsize, "%s: member \"leases\" must be an object",
                 d->cfg.state_path);
        json_decref(doc);
        return EINVAL;
    }
    d->leases = json_incref(json_object_get(doc, "leases"));
    json_decref(doc);
    LOG_INFO(MOD, "state %s: %zu leases and holds", d->cfg.state_path,
             json_object_size(d->leases));
    return 0;
}

int
main(int argc, char *argv[])
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "pidfile", required_argument, NULL, 'p' },
        { "detach", no_argument, NULL, 'd' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = NULL, *pidfile = NULL;
    struct http_server *server = NULL;
    struct inpd d = { .mutex = PTHREAD_MUTEX_INITIALIZER };
    bool detach = false;
    int notify_fd = -1, sfd, c, status = 1;
    char msg[1024];

    log_init("lamina-inpd");
    fault_init();
    inpd_fault_prob = fault_prob("LAMINA_FAULT_PROB");
    inpd_drop_prob = fault_prob("LAMINA_FAULT_DROP_PROB");
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'p': pidfile = optarg; break;
        case 'd': detach = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!config || optind != argc) {
        usage(stderr);
        return 2;
    }
    if (inpd_config_read(config, &d.cfg, msg, sizeof msg)) {
        LOG_ERR(MOD, "%s", msg);
        inpd_config_destroy(&d.cfg);
        return 1;
    }
    if (mkdir_parent(d.cfg.state_path, 0750)) {
        LOG_ERR(MOD, "cannot create the directory of %s: %s", d.cfg.state_path,
                strerror(errno));
        goto out;
    }
    if (statefile_check_dir(d.cfg.state_path, msg, sizeof msg)) {
        LOG_WARN(MOD, "%s", msg);
    }
    if (inpd_load(&d, msg, sizeof msg)) {
        LOG_ERR(MOD, "refusing to start: %s", msg);
        goto out;
    }
    if (d.cfg.agent_token) {
        str_copy(d.agent_token, d.cfg.agent_token, sizeof d.agent_token);
    } else if (make_token(d.agent_token)) {
        LOG_ERR(MOD, "cannot read /dev/urandom");
        goto out;
    }
    if (!d.cfg.endpoint) {
        d.cfg.endpoint = xasprintf("http://%s:%u", d.cfg.listen_addr,
                                   d.cfg.listen_port);
    }
    if (detach) {
        daemon_detach_start(&notify_fd);
    }
    sfd = daemon_signals_open();
    if (sfd < 0) {
        LOG_ERR(MOD, "signalfd: %s", strerror(errno));
        goto out;
    }

    /* Reconcile before serving: switchd holds what the leases say. */
    pthread_mutex_lock(&d.mutex);
    if (inpd_derive_offer(&d)) {
        LOG_WARN(MOD, "switchd at %s is not reachable yet; retrying",
                 d.cfg.switchd_socket);
    } else if (inpd_reconcile(&d, msg, sizeof msg)) {
        LOG_WARN(MOD, "reconcile at start: %s", msg);
    }
    pthread_mutex_unlock(&d.mutex);

    struct http_server_config hc = {
        .address = d.cfg.listen_addr, .port = d.cfg.listen_port,
        .routes = inpd_routes, .n_routes = ARRAY_SIZE(inpd_routes),
        .auth = inpd_auth, .aux = &d, .threads = 2,
    };
    if (http_server_start(&hc, &server, msg, sizeof msg)) {
        LOG_ERR(MOD, "cannot listen on %s:%u: %s", d.cfg.listen_addr,
                d.cfg.listen_port, msg);
        goto out;
    }
    if (pidfile && daemon_pidfile_write(pidfile, msg, sizeof msg)) {
        LOG_WARN(MOD, "cannot write the pidfile: %s", msg);
    }
    LOG_INFO(MOD, "InP %s: serving the broker on %s (switchd %s, state %s)",
             d.cfg.name, d.cfg.endpoint, d.cfg.switchd_socket, d.cfg.state_path);
    daemon_detach_finish(&notify_fd, 0);

    while (!force_quit) {
        struct pollfd pfd = { .fd = sfd, .events = POLLIN };
        if (poll(&pfd, 1, INPD_TICK_MS) > 0 && daemon_signals_read(sfd)) {
            LOG_INFO(MOD, "signal received, shutting down");
            force_quit = true;
            break;
        }
        pthread_mutex_lock(&d.mutex);
        inpd_tick(&d);
        pthread_mutex_unlock(&d.mutex);
        inpd_broker_tick(&d);
    }
    status = 0;

out:
    daemon_detach_finish(&notify_fd, 1);
    http_server_stop(server);
    if (pidfile && !status) {
        unlink(pidfile);
    }
    jsonrpc_client_close(d.sw);
    json_decref(d.links);
    json_decref(d.health);
    json_decref(d.down);
    json_decref(d.offer);
    json_decref(d.leases);
    inpd_config_destroy(&d.cfg);
    return status;
}
