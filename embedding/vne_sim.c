#include "vne_sim.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct sim_ev {
    double time;
    uint32_t departure;         /* 0 arrival, 1 departure: arrivals first */
    uint32_t req;
};

/* Event order: time, then arrivals before departures, then request id. */
static int
sim_ev_cmp(const void *a_, const void *b_)
{
    const struct sim_ev *a = a_, *b = b_;
    if (a->time != b->time) {
        return a->time < b->time ? -1 : 1;
    }
    if (a->departure != b->departure) {
        return a->departure < b->departure ? -1 : 1;
    }
    return a->req < b->req ? -1 : a->req > b->req;
}

int
vne_sim_run(const struct vne_instance *inst, struct vne_algo *algo,
            const struct vne_sim_options *opts, struct vne_sim_result *r,
            char **errp)
{
    static const struct vne_sim_options no_opts;
    const struct vne_substrate *sub = inst->sub;
    uint32_t n = inst->n_reqs;
    struct sim_ev *ev = xmalloc((2 * (size_t) n + 1) * sizeof *ev);
    struct vne_residual res;
    int64_t cpu_total = 0, bw_total = 0, cpu_used = 0, bw_used = 0;
    int error = 0;

    opts = opts ? opts : &no_opts;
    *errp = NULL;
    memset(r, 0, sizeof *r);
    r->n_reqs = n;
    r->maps = xcalloc(n + 1, sizeof *r->maps);
    r->accepted_flags = xcalloc(n + 1, sizeof *r->accepted_flags);
    for (uint32_t i = 0; i < n; i++) {
        ev[2 * i] = (struct sim_ev) { inst->reqs[i].arrival, 0, i };
        ev[2 * i + 1] = (struct sim_ev) {
            inst->reqs[i].arrival + inst->reqs[i].lifetime, 1, i };
    }
    qsort(ev, 2 * (size_t) n, sizeof *ev, sim_ev_cmp);
    vne_residual_init(&res, sub);
    for (uint32_t s = 0; s < sub->n_nodes; s++) {
        cpu_total += sub->cpu[s];
    }
    for (uint32_t l = 0; l < sub->n_links; l++) {
        bw_total += sub->links[l].bw;
    }

    for (size_t e = 0; e < 2 * (size_t) n && !error; e++) {
        const struct vne_request *req = &inst->reqs[ev[e].req];
        struct vne_mapping *m = &r->maps[req->id];
        struct vne_reject rej = { .kind = VNE_REJECT_NONE };
        struct vne_sim_event out = { .time = ev[e].time, .req = req->id };
        int64_t rev = vne_request_revenue(req);

        if (!ev[e].departure) {
            uint64_t t0 = time_ns();
            int ret = vne_algo_embed(algo, &res, req, m, &rej);
            r->embed_ns += time_ns() - t0;
            r->arrived++;
            if (!ret) {
                char why[200];
                int fit = vne_residual_fits(&res, req, m, why, sizeof why);
                if (fit) {
                    *errp = xasprintf("algorithm %s returned an invalid embedding "
                                      "for request %u: %s", algo->class->name,
                                      req->id, why);
                    error = fit;
                    break;
                }
                vne_residual_apply(&res, req, m, -1);
                int64_t cost = vne_mapping_cost(req, m);
                r->accepted++;
                r->accepted_flags[req->id] = true;
                r->revenue_sum += rev;
                r->cost_sum += cost;
                r->time_revenue += rev * req->lifetime;
                r->time_cost += cost * req->lifetime;
                out.revenue = rev;
                out.cost = cost;
                for (uint32_t i = 0; i < req->n_nodes; i++) {
                    cpu_used += req->nodes[i].cpu;
                }
                for (uint32_t i = 0; i < req->n_links; i++) {
                    bw_used += (int64_t) req->links[i].bw * (m->paths[i].len - 1);
                }
            } else if (ret == ENOSPC) {
                vne_mapping_clear(m);
                r->rejects[rej.kind < VNE_N_REJECT ? rej.kind : VNE_REJECT_SOLVER]++;
            } else {
                *errp = xasprintf("algorithm %s failed on request %u: %s",
                                  algo->class->name, req->id, strerror(ret));
                error = ret;
                break;
            }
            out.arrival = true;
            out.reject = &rej;
            out.accepted = !ret;
        } else if (r->accepted_flags[req->id]) {
            vne_residual_apply(&res, req, m, +1);
            for (uint32_t i = 0; i < req->n_nodes; i++) {
                cpu_used -= req->nodes[i].cpu;
            }
            for (uint32_t i = 0; i < req->n_links; i++) {
                bw_used -= (int64_t) req->links[i].bw * (m->paths[i].len - 1);
            }
            out.accepted = true;
            out.revenue = rev;
            out.cost = vne_mapping_cost(req, m);
        }
        out.arrived = r->arrived;
        out.accepted_total = r->accepted;
        out.rac = r->arrived ? (double) r->accepted / r->arrived : 0;
        out.time_revenue = r->time_revenue;
        out.cpu_used = cpu_total ? (double) cpu_used / cpu_total : 0;
        out.bw_used = bw_total ? (double) bw_used / bw_total : 0;
        if (opts->on_event) {
            opts->on_event(&out, opts->aux);
        }
        if (opts->on_progress && (e % 64 == 0 || e + 1 == 2 * (size_t) n)) {
            opts->on_progress(e + 1, 2 * n, opts->aux);
        }
    }

    if (!error) {
        /* Everything must be back once the last request has left. */
        for (uint32_t s = 0; s < sub->n_nodes && !error; s++) {
            if (res.cpu[s] != sub->cpu[s]) {
                *errp = xasprintf("node %u: CPU not fully returned", s);
                error = EPROTO;
            }
        }
        for (uint32_t l = 0; l < sub->n_links && !error; l++) {
            if (res.bw[l] != sub->links[l].bw) {
                *errp = xasprintf("link %u: bandwidth not fully returned", l);
                error = EPROTO;
            }
        }
    }
    if (!error && n) {
        r->rac = (double) r->accepted / r->arrived;
        r->lrc = r->time_cost > 0 ? r->time_revenue / r->time_cost : 0;
        r->T = inst->reqs[ev[2 * (size_t) n - 1].req].arrival;
        r->lar = r->T > 0 ? r->time_revenue / r->T : 0;
        r->ms_per_request = r->embed_ns / 1e6 / r->arrived;
    }
    vne_residual_clear(&res);
    free(ev);
    return error;
}

void
vne_sim_result_clear(struct vne_sim_result *r)
{
    if (!r) {
        return;
    }
    if (r->maps) {
        for (uint32_t i = 0; i < r->n_reqs; i++) {
            vne_mapping_clear(&r->maps[i]);
        }
    }
    free(r->maps);
    free(r->accepted_flags);
    memset(r, 0, sizeof *r);
}

int
vne_sim_write_embeddings(const char *path, const struct vne_instance *inst,
                         const struct vne_sim_result *r, char **errp)
{
    json_t *root = json_object();
    json_t *acc = json_object();

    for (uint32_t i = 0; i < r->n_reqs; i++) {
        if (!r->accepted_flags[i]) {
            continue;
        }
        const struct vne_request *req = &inst->reqs[i];
        const struct vne_mapping *m = &r->maps[i];
        json_t *e = json_object(), *nodes = json_object(), *links = json_array();
        for (uint32_t v = 0; v < m->n_nodes; v++) {
            char key[16];
            snprintf(key, sizeof key, "%u", v);
            json_object_set_new(nodes, key, json_integer(m->host[v]));
        }
        for (uint32_t l = 0; l < m->n_links; l++) {
            json_t *p = json_array();
            for (uint32_t k = 0; k < m->paths[l].len; k++) {
                json_array_append_new(p, json_integer(m->paths[l].nodes[k]));
            }
            json_array_append_new(links, json_pack("{s:i, s:i, s:o}",
                                                   "src", (int) req->links[l].src,
                                                   "dst", (int) req->links[l].dst,
                                                   "path", p));
        }
        json_object_set_new(e, "nodes", nodes);
        json_object_set_new(e, "links", links);
        json_object_set_new(e, "revenue", json_integer(vne_request_revenue(req)));
        json_object_set_new(e, "cost", json_integer(vne_mapping_cost(req, m)));
        char key[16];
        snprintf(key, sizeof key, "%u", i);
        json_object_set_new(acc, key, e);
    }
    json_object_set_new(root, "accepted", acc);
    json_object_set_new(root, "metrics",
                        json_pack("{s:f, s:f, s:f, s:i, s:i}",
                                  "rac", r->rac, "lrc", r->lrc, "lar", r->lar,
                                  "accepted", (int) r->accepted,
                                  "arrived", (int) r->arrived));
    int ret = json_dump_file(root, path, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (ret) {
        int error = errno ? errno : EIO;
        *errp = xasprintf("%s: cannot write: %s", path, strerror(error));
        return error;
    }
    *errp = NULL;
    return 0;
}
