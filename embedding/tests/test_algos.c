/* Every algorithm on small random problems: the checker accepts every
 * embedding, and the exact MIP's optimum costs no more than any
 * heuristic's embedding of the same request in the same state. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vne.h"
#include "vne_check.h"
#include "vne_instance.h"
#include "vne_lp.h"
#include "vne_private.h"
#include "vne_sim.h"

static uint32_t
rand_int(uint64_t *rng, uint32_t lo, uint32_t hi)
{
    return lo + (uint32_t) (vne_rand01(rng) * (hi - lo + 1));
}

/* A connected random graph: a random spanning tree plus extra links. */
static void
random_links(uint64_t *rng, uint32_t n, double p, void (*add)(void *, uint32_t, uint32_t),
             void *aux)
{
    bool *link = calloc((size_t) n * n, sizeof *link);
    for (uint32_t v = 1; v < n; v++) {
        uint32_t u = rand_int(rng, 0, v - 1);
        link[u * n + v] = true;
    }
    for (uint32_t u = 0; u < n; u++) {
        for (uint32_t v = u + 1; v < n; v++) {
            if (link[u * n + v] || vne_rand01(rng) < p) {
                add(aux, u, v);
            }
        }
    }
    free(link);
}

struct sub_ctx {
    struct vne_substrate *sub;
    uint64_t *rng;
};

static void
add_sub_link(void *aux, uint32_t u, uint32_t v)
{
    struct sub_ctx *c = aux;
    vne_substrate_add_link(c->sub, u, v, rand_int(c->rng, 20, 100));
}

static struct vne_substrate *
random_substrate(uint64_t *rng, uint32_t n)
{
    int32_t cpu[64];
    for (uint32_t i = 0; i < n; i++) {
        cpu[i] = rand_int(rng, 20, 100);
    }
    struct vne_substrate *sub = vne_substrate_create("random", n, cpu);
    struct sub_ctx c = { sub, rng };
    random_links(rng, n, 0.3, add_sub_link, &c);
    vne_substrate_finish(sub);
    return sub;
}

struct req_ctx {
    struct vne_request *req;
    uint64_t *rng;
};

static void
add_req_link(void *aux, uint32_t u, uint32_t v)
{
    struct req_ctx *c = aux;
    struct vne_request *r = c->req;
    r->links = realloc(r->links, (r->n_links + 1) * sizeof *r->links);
    r->links[r->n_links].src = u;
    r->links[r->n_links].dst = v;
    r->links[r->n_links].bw = rand_int(c->rng, 0, 40);
    r->n_links++;
}

static void
random_request(uint64_t *rng, uint32_t id, uint32_t n, uint32_t n_sub,
               struct vne_request *r)
{
    memset(r, 0, sizeof *r);
    r->id = id;
    r->n_nodes = n;
    r->nodes = calloc(n, sizeof *r->nodes);
    for (uint32_t i = 0; i < n; i++) {
        r->nodes[i].cpu = rand_int(rng, 0, 25);
        /* Now and then a location constraint. */
        if (vne_rand01(rng) < 0.15) {
            r->nodes[i].allowed = malloc(n_sub * sizeof(uint32_t));
            for (uint32_t s = 0; s < n_sub; s++) {
                if (vne_rand01(rng) < 0.5) {
                    r->nodes[i].allowed[r->nodes[i].n_allowed++] = s;
                }
            }
            if (!r->nodes[i].n_allowed) {
                r->nodes[i].allowed[r->nodes[i].n_allowed++] = 0;
            }
        }
    }
    struct req_ctx c = { r, rng };
    random_links(rng, n, 0.5, add_req_link, &c);
}

static void
test_mip_is_cheapest_and_all_check(void **state)
{
    uint64_t rng = 777;
    unsigned n_optimal = 0, n_compared = 0;
    (void) state;

    for (int round = 0; round < 40; round++) {
        struct vne_substrate *sub = random_substrate(&rng, rand_int(&rng, 6, 10));
        struct vne_algo *algos[16];
        size_t n_algos = 0;
        for (const struct vne_algo_class *const *c = vne_algo_classes; *c; c++) {
            struct vne_algo_options o;
            vne_algo_options_init(&o);
            o.mip_time_limit_ms = 5000;
            assert_int_equal(vne_algo_create(*c, sub, &o, &algos[n_algos]), 0);
            n_algos++;
        }
        /* Load the substrate partly, so free capacities are uneven. */
        struct vne_residual res;
        vne_residual_init(&res, sub);
        for (uint32_t s = 0; s < sub->n_nodes; s++) {
            res.cpu[s] -= rand_int(&rng, 0, res.cpu[s] / 2);
        }
        for (uint32_t l = 0; l < sub->n_links; l++) {
            res.bw[l] -= rand_int(&rng, 0, res.bw[l] / 2);
        }
        for (int k = 0; k < 3; k++) {
            struct vne_request req;
            random_request(&rng, k, rand_int(&rng, 2, 5), sub->n_nodes, &req);
            int64_t cost[16];
            bool ok[16];
            int mip = -1;
            for (size_t a = 0; a < n_algos; a++) {
                struct vne_mapping m;
                struct vne_reject rej;
                int error = vne_algo_embed(algos[a], &res, &req, &m, &rej);
                char why[256];
                ok[a] = !error;
                if (error && error != ENOSPC) {
                    fail_msg("%s failed: %d", algos[a]->class->name, error);
                }
                if (!error) {
                    if (!vne_check_one(sub, res.cpu, res.bw, &req, &m, why, sizeof why)) {
                        fail_msg("%s: invalid embedding: %s", algos[a]->class->name, why);
                    }
                    cost[a] = vne_mapping_cost(&req, &m);
                } else {
                    assert_int_not_equal(rej.kind, VNE_REJECT_NONE);
                }
                if (algos[a]->class == &vne_algo_mip) {
                    mip = vne_algo_mip_was_optimal(algos[a]) || !ok[a] ? (int) a : -1;
                    if (rej.kind == VNE_REJECT_TIMEOUT) {
                        mip = -1;
                    }
                }
                vne_mapping_clear(&m);
            }
            if (mip >= 0) {
                n_optimal++;
                for (size_t a = 0; a < n_algos; a++) {
                    if (!ok[a]) {
                        continue;
                    }
                    /* A heuristic found one, so the exact solver must. */
                    if (!ok[mip]) {
                        fail_msg("mip rejected what %s embedded", algos[a]->class->name);
                    }
                    if (cost[mip] > cost[a]) {
                        fail_msg("mip cost %lld > %s cost %lld", (long long) cost[mip],
                                 algos[a]->class->name, (long long) cost[a]);
                    }
                    n_compared++;
                }
            }
            vne_request_clear(&req);
        }
        vne_residual_clear(&res);
        for (size_t a = 0; a < n_algos; a++) {
            vne_algo_destroy(algos[a]);
        }
        vne_substrate_destroy(sub);
    }
    /* The test must have compared something. */
    assert_true(n_optimal >= 60);
    assert_true(n_compared >= 200);
}

/* Whole online runs on random instances: the simulator's result passes
 * the independent checker with the same metrics, for every algorithm. */
static void
test_online_runs_check(void **state)
{
    uint64_t rng = 4242;
    (void) state;

    for (int round = 0; round < 4; round++) {
        struct vne_instance inst = { 0 };
        inst.sub = random_substrate(&rng, rand_int(&rng, 8, 12));
        inst.n_reqs = 40;
        inst.reqs = calloc(inst.n_reqs, sizeof *inst.reqs);
        double t = 0;
        for (uint32_t i = 0; i < inst.n_reqs; i++) {
            random_request(&rng, i, rand_int(&rng, 2, 5), inst.sub->n_nodes, &inst.reqs[i]);
            t += (double) rand_int(&rng, 0, 3);     /* equal arrivals occur */
            inst.reqs[i].arrival = t;
            inst.reqs[i].lifetime = (double) rand_int(&rng, 1, 20);
        }
        for (const struct vne_algo_class *const *c = vne_algo_classes; *c; c++) {
            struct vne_algo_options o;
            vne_algo_options_init(&o);
            o.mip_time_limit_ms = 2000;
            struct vne_algo *algo;
            struct vne_sim_result r;
            char *err;
            assert_int_equal(vne_algo_create(*c, inst.sub, &o, &algo), 0);
            if (vne_sim_run(&inst, algo, NULL, &r, &err)) {
                fail_msg("%s: %s", (*c)->name, err);
            }
            const struct vne_mapping **maps = calloc(inst.n_reqs, sizeof *maps);
            for (uint32_t i = 0; i < inst.n_reqs; i++) {
                maps[i] = r.accepted_flags[i] ? &r.maps[i] : NULL;
            }
            struct vne_check_report rep;
            if (!vne_check_run(&inst, maps, &rep)) {
                fail_msg("%s: checker: %s", (*c)->name, rep.first_error);
            }
            assert_int_equal(rep.accepted, r.accepted);
            assert_float_equal(rep.rac, r.rac, 1e-12);
            assert_float_equal(rep.lrc, r.lrc, 1e-9);
            assert_float_equal(rep.lar, r.lar, 1e-9 * (r.lar + 1));
            vne_check_report_clear(&rep);
            free(maps);
            vne_sim_result_clear(&r);
            vne_algo_destroy(algo);
        }
        for (uint32_t i = 0; i < inst.n_reqs; i++) {
            vne_request_clear(&inst.reqs[i]);
        }
        free(inst.reqs);
        vne_substrate_destroy(inst.sub);
    }
}

/* Revisitation: two virtual nodes that may live only on substrate node 0
 * are refused without it, and with it share node 0, the virtual link
 * between them a path of that one node; the capacity test and the
 * checker accept it, and refuse it for a request that did not ask. */
static void
test_revisit(void **state)
{
    int32_t cpu[3] = { 100, 100, 100 };
    struct vne_substrate *sub = vne_substrate_create("line", 3, cpu);
    uint32_t only0 = 0, only2 = 2;
    struct vne_vnode nodes[3] = { { 10, 1, &only0 }, { 20, 1, &only0 },
                                  { 5, 1, &only2 } };
    struct vne_vlink links[2] = { { 0, 1, 30 }, { 1, 2, 10 } };
    struct vne_request req = { .id = 0, .lifetime = 1, .n_nodes = 3, .n_links = 2,
                               .nodes = nodes, .links = links };
    struct vne_residual res;
    struct vne_mapping m;
    struct vne_reject rej;
    struct vne_algo *algo;
    char why[200];
    (void) state;

    vne_substrate_add_link(sub, 0, 1, 50);
    vne_substrate_add_link(sub, 1, 2, 50);
    vne_substrate_finish(sub);
    vne_residual_init(&res, sub);
    assert_int_equal(vne_algo_create(vne_algo_find("lamina"), sub, NULL, &algo), 0);

    assert_int_equal(vne_algo_embed(algo, &res, &req, &m, &rej), ENOSPC);
    vne_mapping_clear(&m);

    req.revisit = true;
    assert_int_equal(vne_algo_embed(algo, &res, &req, &m, &rej), 0);
    assert_int_equal(m.host[0], 0);
    assert_int_equal(m.host[1], 0);
    assert_int_equal(m.host[2], 2);
    assert_int_equal(m.paths[0].len, 1);        /* inside node 0 */
    assert_int_equal(m.paths[1].len, 3);
    assert_int_equal(vne_residual_fits(&res, &req, &m, why, sizeof why), 0);
    vne_residual_apply(&res, &req, &m, -1);
    assert_int_equal(res.cpu[0], 70);           /* both demands */
    assert_int_equal(res.bw[0], 40);            /* only the 1-2 link's 10 */

    struct vne_instance inst = { .sub = sub, .n_reqs = 1, .reqs = &req };
    const struct vne_mapping *maps[1] = { &m };
    struct vne_check_report rep;
    assert_true(vne_check_run(&inst, maps, &rep));
    vne_check_report_clear(&rep);
    req.revisit = false;
    assert_false(vne_check_run(&inst, maps, &rep));
    assert_non_null(strstr(rep.first_error, "both on 0"));
    vne_check_report_clear(&rep);
    vne_residual_apply(&res, &req, &m, 1);
    assert_int_not_equal(vne_residual_fits(&res, &req, &m, why, sizeof why), 0);
    assert_non_null(strstr(why, "share substrate node 0"));

    vne_mapping_clear(&m);
    vne_algo_destroy(algo);
    vne_residual_clear(&res);
    vne_substrate_destroy(sub);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mip_is_cheapest_and_all_check),
        cmocka_unit_test(test_online_runs_check),
        cmocka_unit_test(test_revisit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
