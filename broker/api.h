/*
 * api: the REST API of lamina-brokerd under /v1, as route handlers on
 * lib/http (docs/broker-api.yaml describes it; docs/broker.md explains it).
 *
 * Every route needs a bearer token (the auth hook maps it to a principal
 * through the store, which keeps only its hash; tokens are never logged).
 * Roles: admin (everything; adds principals), inp (registers its own
 * offer, sends its own heartbeats, sees only the leases and parts on its
 * resources), sp (requests, renews and releases its own leases, sees only
 * them).  A lease another SP owns answers 404, as one that does not
 * exist.  Each handler takes the broker's mutex for its whole run.
 */
#ifndef LAMINA_BROKER_API_H
#define LAMINA_BROKER_API_H 1

#include "bkd.h"

struct http_server_config;

/* Sets the routes, auth hook and aux of 'cfg' for broker 'b'. */
void api_configure(struct http_server_config *cfg, struct bkd *b);

struct http_request;
struct http_response;
/* GET /metrics: the broker's InPs and leases for Prometheus
 * (api_metrics.c). */
void api_metrics(struct http_request *req, void *aux,
                 struct http_response *resp);

/* GET /view (the live view's page, no token) and GET /v1/view (its
 * picture: InPs, their links, leases; api_view.c). */
void api_view_page(struct http_request *req, void *aux,
                   struct http_response *resp);
void api_view(struct http_request *req, void *aux, struct http_response *resp);

/* Writes a new random bearer token (64 hex digits and a NUL). */
void api_new_token(char token[65]);

#endif /* LAMINA_BROKER_API_H */
