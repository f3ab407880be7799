/*
 * api_view: lamina-brokerd's live view, the page lamina-switchd serves
 * (vswitch/web/view.html, compiled in) drawn from what the broker knows:
 * each InP's offered nodes as a group of switches ("INP/NODE"), the links
 * of each offer, the inter-InP links (a border and its peer border), the
 * access points as hosts, and each lease that is not over as a coloured
 * overlay (its vnodes' nodes and its virtual links' paths, across InPs).
 *
 * GET /view is the page itself and needs no token (it holds no data);
 * GET /v1/view is the picture as JSON, behind the bearer token like every
 * other /v1 route: an SP sees its own leases, an InP those touching it,
 * the admin all.  The page reads the token from its URL's fragment
 * (/view#token=...: never sent to the server nor logged) and polls
 * /v1/view once a second.  The broker has no packet counters: its leases
 * carry their state, not rates.
 */
#include "api.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "lease_fsm.h"
#include "store.h"
#include "util.h"

/* The page (scripts/embed-text.py). */
extern const char broker_view_html[];

/* GET /view: the page. */
void
api_view_page(struct http_request *req, void *aux, struct http_response *resp)
{
    (void) req;
    (void) aux;
    resp->status = 200;
    resp->text = xstrdup(broker_view_html);
    resp->text_type = "text/html; charset=utf-8";
}

/* "INP/NAME", the view's name of node NAME of InP 'inp'. */
static json_t *
node_name(const char *inp, const char *name)
{
    char buf[2 * STORE_ID_LEN + 160];
    snprintf(buf, sizeof buf, "%s/%s", inp, name ? name : "?");
    return json_string(buf);
}

/* The offer of InP 'si' (its record holds the endpoint and the offer). */
static const json_t *
inp_offer(const struct store_inp *si)
{
    return json_object_get(si->offer, "offer");
}

/* Border 'border' of the offer of InP 'inp' among 'inps', or NULL. */
static const json_t *
border_find(const struct store_inp *inps, size_t n, const char *inp,
            const char *border)
{
    for (size_t i = 0; i < n && inp && border; i++) {
        if (strcmp(inps[i].id, inp)) {
            continue;
        }
        size_t k;
        json_t *b;
        json_array_foreach(json_object_get(inp_offer(&inps[i]), "borders"), k, b) {
            const char *name = json_string_value(json_object_get(b, "name"));
            if (name && !strcmp(name, border)) {
                return b;
            }
        }
    }
    return NULL;
}

/* The node of that border, or NULL. */
static const char *
border_node(const struct store_inp *inps, size_t n, const char *inp,
            const char *border)
{
    return json_string_value(json_object_get(border_find(inps, n, inp, border),
                                             "node"));
}

/* The substrate: InPs' nodes, links, inter-InP links and access points. */
static void
view_substrate(const struct store_inp *inps, size_t n, json_t *v)
{
    json_t *sws = json_object_get(v, "switches");
    json_t *links = json_object_get(v, "links");
    json_t *hosts = json_object_get(v, "hosts");
    json_t *groups = json_object_get(v, "inps");

    for (size_t i = 0; i < n; i++) {
        const char *inp = inps[i].id;
        const json_t *offer = inp_offer(&inps[i]);
        json_t *members = json_array();
        size_t k;
        json_t *o;

        json_array_foreach(json_object_get(offer, "nodes"), k, o) {
            const char *node = json_string_value(json_object_get(o, "name"));
            json_t *name = node_name(inp, node);
            json_array_append(members, name);
            json_array_append_new(sws, json_pack("{s:o, s:s, s:s}", "name", name,
                                                 "label", node ? node : "?",
                                                 "inp", inp));
        }
        json_array_append_new(groups, json_pack("{s:s, s:b, s:o}", "name", inp,
                                                "up", inps[i].up,
                                                "switches", members));
        json_array_foreach(json_object_get(offer, "links"), k, o) {
            const char *a = json_string_value(json_object_get(o, "a"));
            const char *b = json_string_value(json_object_get(o, "b"));
            char name[2 * STORE_ID_LEN + 160];
            snprintf(name, sizeof name, "%s/%s-%s", inp, a ? a : "?", b ? b : "?");
            json_array_append_new(links, json_pack(
                "{s:s, s:o, s:o, s:b, s:I, s:I}", "name", name,
                "a", node_name(inp, a), "b", node_name(inp, b), "up", inps[i].up,
                "tx_bytes", (json_int_t) 0, "rx_bytes", (json_int_t) 0));
        }
        json_array_foreach(json_object_get(offer, "access"), k, o) {
            const char *node = json_string_value(json_object_get(o, "node"));
            const char *ap = json_string_value(json_object_get(o, "name"));
            json_array_append_new(hosts, json_pack("{s:o, s:s}", "switch",
                                                   node_name(inp, node),
                                                   "port", ap ? ap : "?"));
        }
        /* Each inter-InP link once: from the InP whose name sorts first. */
        json_array_foreach(json_object_get(offer, "borders"), k, o) {
            const char *peer = json_string_value(json_object_get(o, "peer_inp"));
            const char *pb = json_string_value(json_object_get(o, "peer_border"));
            const char *bname = json_string_value(json_object_get(o, "name"));
            const char *pnode = peer ? border_node(inps, n, peer, pb) : NULL;
            bool peer_up = false;
            if (!pnode || strcmp(inp, peer) > 0) {
                continue;
            }
            for (size_t p = 0; p < n; p++) {
                peer_up |= !strcmp(inps[p].id, peer) && inps[p].up;
            }
            char name[2 * STORE_ID_LEN + 160];
            snprintf(name, sizeof name, "%s:%s~%s:%s", inp, bname ? bname : "?",
                     peer, pb ? pb : "?");
            json_array_append_new(links, json_pack(
                "{s:s, s:o, s:o, s:b, s:b, s:I, s:I}", "name", name,
                "a", node_name(inp, json_string_value(json_object_get(o, "node"))),
                "b", node_name(peer, pnode), "up", inps[i].up && peer_up,
                "inter", true, "tx_bytes", (json_int_t) 0,
                "rx_bytes", (json_int_t) 0));
        }
    }
}

/* Appends the path 'path' (node names of InP 'inp') to 'vlinks' as
 * "INP/NODE" names, named 'name'. */
static void
view_path(json_t *vlinks, const char *name, const char *inp, const json_t *path)
{
    json_t *p = json_array();
    size_t k;
    json_t *hop;

    json_array_foreach(path, k, hop) {
        json_array_append_new(p, node_name(inp, json_string_value(hop)));
    }
    json_array_append_new(vlinks, json_pack("{s:s, s:o}", "name", name ? name : "",
                                            "path", p));
}

/* Appends to 'vlinks' the hop of virtual link 'name' over the inter-InP
 * link of border 'border' of InP 'inp', from the side whose InP name
 * sorts first (the other side names the same link). */
static void
view_hop(json_t *vlinks, const char *name, const struct store_inp *inps,
         size_t n, const char *inp, const char *border)
{
    const json_t *bo = border_find(inps, n, inp, border);
    const char *peer = json_string_value(json_object_get(bo, "peer_inp"));
    const char *pnode = border_node(inps, n, peer, json_string_value(
                                        json_object_get(bo, "peer_border")));

    if (pnode && strcmp(inp, peer) < 0) {
        json_array_append_new(vlinks, json_pack(
            "{s:s, s:[o, o]}", "name", name ? name : "", "path",
            node_name(inp, json_string_value(json_object_get(bo, "node"))),
            node_name(peer, pnode)));
    }
}

/* One lease as a "slice" of the view: its nodes and paths, its state;
 * only the part at InP 'only' when not NULL (what an InP may see of a
 * lease, as GET /v1/leases shows it). */
static json_t *
view_lease(const struct store_lease *l, const struct store_inp *inps, size_t n,
           const char *only)
{
    json_t *sws = json_array(), *vlinks = json_array();
    const char *inp;
    json_t *part;

    json_object_foreach(json_object_get(l->parts, "parts"), inp, part) {
        size_t k;
        json_t *o;
        if (only && strcmp(only, inp)) {
            continue;
        }
        json_array_foreach(json_object_get(part, "vnodes"), k, o) {
            json_array_append_new(sws, node_name(inp, json_string_value(
                                                     json_object_get(o, "switch"))));
        }
        json_array_foreach(json_object_get(part, "vlinks"), k, o) {
            view_path(vlinks, json_string_value(json_object_get(o, "name")), inp,
                      json_object_get(o, "path"));
        }
        json_array_foreach(json_object_get(part, "transit_vlinks"), k, o) {
            const char *name = json_string_value(json_object_get(o, "name"));
            view_path(vlinks, name, inp, json_object_get(o, "path"));
            view_hop(vlinks, name, inps, n, inp,
                     json_string_value(json_object_get(o, "border_in")));
            view_hop(vlinks, name, inps, n, inp,
                     json_string_value(json_object_get(o, "border_out")));
        }
        json_array_foreach(json_object_get(part, "border_vlinks"), k, o) {
            const char *name = json_string_value(json_object_get(o, "name"));
            view_path(vlinks, name, inp, json_object_get(o, "path"));
            view_hop(vlinks, name, inps, n, inp,
                     json_string_value(json_object_get(o, "border")));
        }
    }
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:I, s:I}",
                     "name", l->id, "sp", l->sp, "state",
                     lease_state_name(l->state), "switches", sws, "vlinks", vlinks,
                     "rx_packets", (json_int_t) 0, "tx_packets", (json_int_t) 0,
                     "rx_bytes", (json_int_t) 0, "dropped", (json_int_t) 0,
                     "time_ms", (json_int_t) 0);
}

/* GET /v1/view: the picture (see the top of this file). */
void
api_view(struct http_request *req, void *aux, struct http_response *resp)
{
    const struct bkd_principal *who = req->principal;
    struct bkd *b = aux;
    struct store_inp *inps;
    struct store_lease *ls;
    struct brk_error err;
    size_t n, nl;

    pthread_mutex_lock(&b->mutex);
    if (store_inp_list(b->store, &inps, &n, &err)) {
        pthread_mutex_unlock(&b->mutex);
        http_error(resp, 503, "store", NULL, "%s", err.msg);
        return;
    }
    if (store_lease_list(b->store, who->role == STORE_ROLE_SP ? who->id : NULL,
                         LEASE_NONE, &ls, &nl, &err)) {
        pthread_mutex_unlock(&b->mutex);
        store_inps_free(inps, n);
        http_error(resp, 503, "store", NULL, "%s", err.msg);
        return;
    }
    pthread_mutex_unlock(&b->mutex);

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    json_t *v = json_pack("{s:s, s:I, s:[], s:[], s:[], s:[], s:[]}",
                          "kind", "broker",
                          "time_ms", (json_int_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
                          "switches", "links", "hosts", "inps", "slices");
    view_substrate(inps, n, v);
    for (size_t i = 0; i < nl; i++) {
        if (lease_state_is_final(ls[i].state)
            || (who->role == STORE_ROLE_INP
                && !json_object_get(json_object_get(ls[i].parts, "parts"),
                                    who->id))) {
            continue;
        }
        json_array_append_new(json_object_get(v, "slices"),
                              view_lease(&ls[i], inps, n,
                                         who->role == STORE_ROLE_INP
                                         ? who->id : NULL));
    }
    store_inps_free(inps, n);
    store_leases_free(ls, nl);
    http_reply(resp, 200, v);
}
