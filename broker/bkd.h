/*
 * bkd: the state and the work of the broker daemon, lamina-brokerd.
 *
 * What?
 * =====
 *
 * lamina-brokerd (brokerd.c) serves the REST API of api.c on lib/http and
 * runs, on the broker core (store, lease_fsm, admit, vnreq, bill):
 *
 *   - the market model (bkd_model.c): the InPs' offers turned into
 *     admission resources (each node's CPU, each link's and each
 *     inter-domain link's bandwidth, each inter-domain link's label pool)
 *     and into a multi-domain substrate for libvne's vne_md; the leases
 *     not final are booked on the resources over their intervals, so a
 *     request is placed on what is free over ITS interval;
 *   - placement (bkd_model.c): a request embedded with vne_md_embed() on
 *     those free capacities, turned into one PART per InP (the contract in
 *     docs/broker.md) and the demands to book;
 *   - the lease life (bkd_lease.c): two-phase commit across the InPs
 *     (prepare everywhere, then commit or abort, the intent written to the
 *     store before each phase), renew (the end granted is the minimum over
 *     the InPs, then the same end is set on every InP), release, expiry at
 *     the end, warnings before it, heartbeats, recovery after a restart;
 *   - substrate failures (bkd_model.c, bkd_lease.c): an InP reports its
 *     links down (heartbeat "links_down"); the leases whose vlinks cross
 *     them are re-embedded on that InP over links up with room
 *     (bkd_reembed_plan()), the part and its booking moved together by a
 *     two-phase change with the InP (/v1/reembed, the decision written
 *     in the lease, /v1/reembed/commit), and back on their own paths when
 *     the links return; or they are degraded with the reason.
 *
 * Threads: the HTTP server's worker threads and the daemon's main thread
 * (timers) share one 'struct bkd'; every entry point takes bkd->mutex for
 * its whole run (the store is used by one thread at a time).  Admission
 * and booking are serialized, so no link or node is over-committed.  The
 * prepares and the commits of a new lease are the exception: they run in
 * parallel, one thread per InP, with the mutex released (the lease is
 * booked already and marked in 'busy', which the tick skips; no API call
 * may change a lease that is requested or committing).  Other calls to
 * the InPs (renew, release, abort, the tick's retries) happen under the
 * mutex, each with a deadline.
 */
#ifndef LAMINA_BKD_H
#define LAMINA_BKD_H 1

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "admit.h"
#include "brk_error.h"
#include "lease_fsm.h"
#include "store.h"
#include "vnreq.h"

struct http_response;
struct bkd_model;

/* Settings from the command line. */
struct bkd_config {
    int call_timeout_ms;        /* deadline of each call to an inpd (5000) */
    int64_t hold_s;             /* hold lifetime asked of the InPs (120) */
    int64_t heartbeat_s;        /* expected heartbeat period (2) */
    int missed_heartbeats;      /* down after this many missed (3) */
    int64_t warn_s;             /* warn an SP this long before the end (300) */
    /* Per-SP quotas over its leases not final; 0: no limit. */
    int64_t quota_leases;
    int64_t quota_cpu;
    uint64_t quota_bps;
    const char *fault;          /* fault point (LAMINA_BROKER_FAULT), or NULL */
    double fault_prob;          /* death at any fault point (chaos tests) */
    double call_fault_prob;     /* a call to an InP lost (chaos tests) */
};

struct bkd {
    pthread_mutex_t mutex;
    pthread_cond_t events_cond; /* broadcast when an event is added */
    struct store *store;
    struct bkd_config cfg;
    struct lease_fsm_config fsm;
    struct bkd_model *model;    /* rebuilt when an offer changes */
    json_t *warned;             /* lease id -> end warned about */
    json_t *retried;            /* lease id -> last retry by the tick */
    json_t *busy;               /* lease id -> true while a handler calls
                                 * its InPs without the mutex (the tick
                                 * leaves it alone) */
    json_t *substrate;          /* InP -> {"down": [{"name", "a", "b"}]
                                 * its links down as it last reported them,
                                 * "changed": a report changed them, "t":
                                 * when its leases were last looked at};
                                 * in memory, the InPs report again */
    json_t *health;             /* lease id -> {inp: its last report} for
                                 * leases a substrate failure touches
                                 * (bkd_lease_health()); in memory, the
                                 * InPs report again at each heartbeat */
    bool stopping;              /* the daemon is stopping: end long polls */
    int64_t started;            /* when this run started (heartbeat grace) */
};

/* The authenticated caller of a request. */
struct bkd_principal {
    char id[STORE_ID_LEN];
    enum store_role role;
};

/* ---- bkd_model.c ---- */

/* Builds the model from the InPs in the store and books the leases that
 * are not final.  Replaces bkd->model.  Returns 0 or an errno ('err'). */
int bkd_model_rebuild(struct bkd *, struct brk_error *err);
void bkd_model_destroy(struct bkd_model *);

/* Checks an InP's offer (the "offer" member of POST /v1/inps) for InP
 * 'name'.  Returns 0, or EINVAL with 'field' (size 64) and 'err' saying
 * what is wrong. */
int bkd_offer_check(const json_t *offer, const char *name, char *field,
                    struct brk_error *err);

/* A placement: for each InP involved its PART, the demands to book, the
 * prices to bill, and the interval. */
struct bkd_placement {
    json_t *parts;              /* {inp: PART} */
    json_t *demands;            /* [{"r": resource, "n": amount}] */
    json_t *labels;             /* [{"ilink": name, "label": N}] */
    json_t *bills;              /* {inp: {"cpu", "bps", "cpu_hour",
                                 *        "mbps_hour"}} */
    int64_t start, end;
    double price_hour;          /* vne_md's estimate per hour */
    char parent_lease[STORE_ID_LEN]; /* placed on a sub-InP offering this
                                      * lease, or "" */
};

/* Places 'req' for lease 'lease' of 'sp' on the free capacities over its
 * interval (the earliest start that fits, for a window).  Returns 0 with
 * 'out' filled (clear with bkd_placement_clear()), ENOSPC with 'err'
 * naming the short resource and where, or EINVAL for impossible
 * constraints (with 'field'). */
int bkd_place(struct bkd *, const struct vnreq *req, const char *lease,
              const char *sp, int64_t now, struct bkd_placement *out,
              char *field, struct brk_error *err);
void bkd_placement_clear(struct bkd_placement *);

/* Builds the record of a sub-InP called 'name' offering lease 'parent'
 * (active, on one InP, no border or transit vlinks): {"offer": {nodes
 * from its vnodes, links from its vlinks, access points from its
 * accesses}, "parent_lease", "owner", "real_inp"}.
 * Returns 0 with '*rec', or EINVAL with 'field' (size 64) and 'err'. */
int bkd_sub_offer(const struct store_lease *parent, const char *name,
                  json_t **rec, char *field, struct brk_error *err);

/* Books (sign +1) or gives back (-1) the demands 'demands' over [start,
 * end) and the labels they hold.  Giving back never fails. */
int bkd_book(struct bkd *, const char *lease, const json_t *demands,
             const json_t *labels, int64_t start, int64_t end, int sign,
             struct brk_error *err);
/* Can lease 'lease' keep its demands and labels over [from, to)?  0 or
 * ENOSPC ('err' names the resource or the label). */
int bkd_check_extend(struct bkd *, const char *lease, const json_t *demands,
                     const json_t *labels, int64_t from, int64_t to,
                     struct brk_error *err);

/* Is the link between switches 'x' and 'y' of InP 'inp' down, as the InP
 * last reported?  (Placement gives such a link no bandwidth.) */
bool bkd_link_down(const struct bkd *, const char *inp, const char *x,
                   const char *y);
/* The bandwidth demands ([{"r", "n"}]) of the paths of 'part' on InP
 * 'inp': each vlink's bits/s on every link of its path. */
json_t *bkd_part_link_demands(const struct bkd *, const char *inp,
                              const json_t *part);
/* Re-embedding after a substrate failure: the part lease should have on
 * InP 'inp' over [from, to) given 'down' (the InP's links down,
 * [{"name", "a", "b"}]), 'part' (the part in force) and 'own' (the part
 * it was placed with).  Each vlink of 'own' takes its own path when that
 * is up and has room, else stays on the path in force when that is up,
 * else the shortest path (hops) over links that are up and have its
 * bandwidth free next to every other lease's booking (this lease's paths
 * in force count as free).  Returns the report, NULL when the lease is
 * healthy on its own paths: {"state": "rerouted" | "degraded", "down":
 * [links under its own paths], "rerouted": [{"vlink", "path"}],
 * "reason"?: each vlink without a path and the links that refuse it}.
 * '*target' (a new reference) is the part to put in force.  Books
 * nothing. */
json_t *bkd_reembed_plan(struct bkd *, const char *inp, const json_t *part,
                         const json_t *own, const json_t *down, int64_t from,
                         int64_t to, json_t **target);

/* ---- bkd_lease.c ---- */

/* Creates the lease for 'req' of 'sp' (request id 'rid') and runs the
 * two-phase commit.  Fills 'resp' with 201 and the lease, or an error. */
void bkd_lease_create(struct bkd *, const struct bkd_principal *,
                      const struct vnreq *req, const char *key,
                      const json_t *body, struct http_response *resp);
/* Answers a dry run of 'req'. */
void bkd_lease_dry_run(struct bkd *, const struct bkd_principal *,
                       const struct vnreq *req, struct http_response *resp);
/* Renews lease 'l' to 'end' (already checked to be after its end). */
void bkd_lease_renew(struct bkd *, struct store_lease *l, int64_t end,
                     struct http_response *resp);
/* Releases lease 'l'. */
void bkd_lease_release(struct bkd *, struct store_lease *l,
                       struct http_response *resp);
/* Passes 'push' ({"program": base64, "config"?}) for vnode 'vnode' of
 * lease 'l' to the InP that runs it. */
void bkd_lease_program(struct bkd *, const struct store_lease *l,
                       const char *vnode, const json_t *push,
                       struct http_response *resp);
/* The lease as the API shows it. */
json_t *bkd_lease_json(const struct store_lease *l);
/* Adds an event for the SP of 'l' and wakes the long polls. */
void bkd_event(struct bkd *, const struct store_lease *l, const char *kind,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Takes InP 'inp''s heartbeat report 'health' (lease id -> {"state":
 * "rerouted" | "degraded", "down", "rerouted", "reason"?}; NULL: none),
 * records it for its leases and adds the events "lease.degraded" and
 * "lease.healthy" as their health changes.  A lease not in the report is
 * healthy on that InP.  Call with the mutex held. */
void bkd_lease_health(struct bkd *, const char *inp, const json_t *health);
/* Takes InP 'inp''s report of its substrate links down ([{"name", "a",
 * "b"}]): when they changed, its leases are looked at, at the next tick,
 * for a re-embedding (docs/broker.md "Substrate failures").  Call with
 * the mutex held. */
void bkd_lease_links_down(struct bkd *, const char *inp, const json_t *down);
/* Adds "health" ("healthy" or "degraded") and, when a failure touches
 * lease 'id', "health_detail" {inp: report} to 'j'. */
void bkd_lease_health_json(const struct bkd *, const char *id, json_t *j);
/* The timers: starts, ends, warnings, heartbeats, overdue states.  Call
 * with the mutex held, a few times per second. */
void bkd_tick(struct bkd *, int64_t now);
/* Finishes what a previous run left in flight (intent log, transitional
 * states).  Call once at start. */
void bkd_recover(struct bkd *, int64_t now);

/* The fault point: exits the process with SIGKILL when 'point' is the
 * configured one (for the tests of recovery). */
void bkd_fault(struct bkd *, const char *point);

#endif /* LAMINA_BKD_H */
