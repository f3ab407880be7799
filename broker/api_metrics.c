/*
 * api_metrics: GET /metrics of lamina-brokerd, the Prometheus exposition
 * (lib/metrics.h) of what the broker holds: each InP up or down, leases
 * by state, overall and per InP they have a part at.  The route needs a
 * token like every other one (Prometheus: `authorization: credentials`);
 * the store is read under the broker's mutex, as the other handlers do.
 */
#include "api.h"

#include <pthread.h>
#include <stdlib.h>

#include "http.h"
#include "lease_fsm.h"
#include "metrics.h"
#include "store.h"
#include "util.h"

void
api_metrics(struct http_request *req, void *aux, struct http_response *resp)
{
    struct bkd *b = aux;
    struct store_inp *inps;
    struct store_lease *ls;
    struct brk_error err;
    struct metrics m;
    size_t n, nl;

    (void) req;
    metrics_init(&m);
    metrics_declare(&m, "lamina_broker_inp_up", METRICS_GAUGE,
                    "1 if the InP's agent is up (heartbeats), 0 if not.");
    metrics_declare(&m, "lamina_broker_leases", METRICS_GAUGE,
                    "Leases in each state.");
    metrics_declare(&m, "lamina_broker_inp_leases", METRICS_GAUGE,
                    "Leases in each state with a part at the InP.");

    pthread_mutex_lock(&b->mutex);
    if (store_inp_list(b->store, &inps, &n, &err)) {
        pthread_mutex_unlock(&b->mutex);
        metrics_destroy(&m);
        http_error(resp, 503, "store", NULL, "%s", err.msg);
        return;
    }
    if (store_lease_list(b->store, NULL, LEASE_NONE, &ls, &nl, &err)) {
        pthread_mutex_unlock(&b->mutex);
        store_inps_free(inps, n);
        metrics_destroy(&m);
        http_error(resp, 503, "store", NULL, "%s", err.msg);
        return;
    }
    pthread_mutex_unlock(&b->mutex);

    for (size_t i = 0; i < n; i++) {
        metrics_add(&m, "lamina_broker_inp_up", inps[i].up,
                    "inp", inps[i].id, (char *) NULL);
    }
    for (int s = 0; s < LEASE_N_STATES; s++) {
        size_t count = 0;
        for (size_t k = 0; k < nl; k++) {
            count += ls[k].state == (enum lease_state) s;
        }
        metrics_add(&m, "lamina_broker_leases", count,
                    "state", lease_state_name(s), (char *) NULL);
        for (size_t i = 0; i < n; i++) {
            size_t at = 0;
            for (size_t k = 0; k < nl; k++) {
                at += ls[k].state == (enum lease_state) s
                      && json_object_get(json_object_get(ls[k].parts,
                                                         "parts"),
                                         inps[i].id);
            }
            metrics_add(&m, "lamina_broker_inp_leases", at, "inp",
                        inps[i].id, "state", lease_state_name(s),
                        (char *) NULL);
        }
    }
    store_inps_free(inps, n);
    store_leases_free(ls, nl);
    resp->status = 200;
    resp->text = metrics_text(&m);
    resp->text_type = METRICS_CONTENT_TYPE;
    metrics_destroy(&m);
}
