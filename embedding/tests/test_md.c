/* Multi-domain embedding: the split, the advertisements, the algorithm on
 * a hand-made two-InP substrate with known answers and rejections, and
 * whole runs on a shared instance judged by the independent checker, and
 * revisitation (several virtual nodes on one substrate node of an InP). */
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
#include "vne_md.h"
#include "vne_sim.h"

#define GEANT LAMINA_SRCDIR "/data/vne/instances/geant-l016-s0.json"
#define WAXMAN LAMINA_SRCDIR "/data/vne/instances/wx100-l016-s0.json"

/* The hand-made substrate:
 *
 *   InP 0 (A): a0..a3 = merged 0..3, CPU 10, 20, 30, 40
 *       a0-a1 100, a1-a2 40, a0-a3 60, a3-a2 60
 *   InP 1 (B): b0..b2 = merged 4..6, CPU 50, 5, 15
 *       b0-b2 100, b1-b2 100, b0-b1 20
 *   inter-domain: a2-b0 50, a1-b1 30
 *
 * Border nodes: a1, a2 in A; b0, b1 in B.  Widest paths between the
 * borders: a1-a0-a3-a2 (bottleneck 60, 3 hops) beats a1-a2 (40);
 * b0-b2-b1 (100, 2 hops) beats b0-b1 (20).  Prices by default: A 1 per
 * CPU and 1.5 per bandwidth, B 1.5 and 2, inter-domain links 2. */
static struct vne_substrate *
hand_substrate(void)
{
    static const int32_t cpu[] = { 10, 20, 30, 40, 50, 5, 15 };
    struct vne_substrate *sub = vne_substrate_create("hand", 7, cpu);
    vne_substrate_add_link(sub, 0, 1, 100);
    vne_substrate_add_link(sub, 1, 2, 40);
    vne_substrate_add_link(sub, 0, 3, 60);
    vne_substrate_add_link(sub, 3, 2, 60);
    vne_substrate_add_link(sub, 4, 6, 100);
    vne_substrate_add_link(sub, 5, 6, 100);
    vne_substrate_add_link(sub, 4, 5, 20);
    vne_substrate_add_link(sub, 2, 4, 50);
    vne_substrate_add_link(sub, 1, 5, 30);
    vne_substrate_finish(sub);
    return sub;
}

static const uint32_t hand_part[] = { 0, 0, 0, 0, 1, 1, 1 };

static struct vne_md *
hand_md(const struct vne_substrate *sub)
{
    struct vne_md *md;
    char *err = NULL;
    assert_int_equal(vne_md_create(sub, hand_part, 2, &md, &err), 0);
    return md;
}

/* A request of 'n' nodes (cpu[i], allowed[i] = a merged node or -1) and
 * links src-dst with bw. */
static void
make_req(struct vne_request *req, uint32_t n, const int32_t *cpu,
         const int *allowed, uint32_t n_links, const uint32_t (*links)[3])
{
    memset(req, 0, sizeof *req);
    req->n_nodes = n;
    req->nodes = calloc(n, sizeof *req->nodes);
    for (uint32_t i = 0; i < n; i++) {
        req->nodes[i].cpu = cpu[i];
        if (allowed && allowed[i] >= 0) {
            req->nodes[i].n_allowed = 1;
            req->nodes[i].allowed = malloc(sizeof *req->nodes[i].allowed);
            req->nodes[i].allowed[0] = allowed[i];
        }
    }
    req->n_links = n_links;
    req->links = calloc(n_links + 1, sizeof *req->links);
    for (uint32_t l = 0; l < n_links; l++) {
        req->links[l].src = links[l][0];
        req->links[l].dst = links[l][1];
        req->links[l].bw = links[l][2];
    }
}

/* True if every node of 'sub' in region r is reachable from the others
 * of r over links inside r. */
static bool
regions_connected(const struct vne_substrate *sub, const uint32_t *part,
                  uint32_t k)
{
    uint32_t n = sub->n_nodes;
    uint32_t *queue = malloc(n * sizeof *queue);
    bool *seen = calloc(n, sizeof *seen);
    bool ok = true;
    for (uint32_t r = 0; r < k && ok; r++) {
        uint32_t start = UINT32_MAX, head = 0, tail = 0, size = 0, reached = 0;
        for (uint32_t u = 0; u < n; u++) {
            if (part[u] == r) {
                size++;
                start = start == UINT32_MAX ? u : start;
            }
        }
        ok = size > 0;
        if (!ok) {
            break;
        }
        seen[start] = true;
        queue[tail++] = start;
        while (head < tail) {
            uint32_t u = queue[head++];
            reached++;
            for (uint32_t a = sub->adj_start[u]; a < sub->adj_start[u + 1]; a++) {
                uint32_t v = sub->adj[a].node;
                if (part[v] == r && !seen[v]) {
                    seen[v] = true;
                    queue[tail++] = v;
                }
            }
        }
        ok = reached == size;
    }
    free(queue);
    free(seen);
    return ok;
}

/* The split: deterministic, connected regions of similar size, every
 * link either inside an InP or inter-domain. */
static void
test_split(void **state)
{
    (void) state;
    struct vne_substrate *hand = hand_substrate();
    uint32_t part[7];
    assert_int_equal(vne_md_partition(hand, 0, part), EINVAL);
    assert_int_equal(vne_md_partition(hand, 8, part), EINVAL);
    assert_int_equal(vne_md_partition(hand, 2, part), 0);
    /* Seeds: a1 (degree 3, the first of the highest), then the first of
     * those farthest from it: a3 (2 hops).  Growth alternates, each
     * region taking the first free neighbour (in link order) of its
     * oldest node that has one: a1 takes a0, a3 takes a2, a1 takes b1,
     * a3 (via a2) takes b0, a1 (via b1) takes b2.  The split ignores
     * who owns what in the hand-made example: it only sees the graph. */
    static const uint32_t want[] = { 0, 0, 1, 1, 1, 0, 0 };
    assert_memory_equal(part, want, sizeof want);
    vne_substrate_destroy(hand);

    const char *files[] = { GEANT, WAXMAN };
    for (size_t f = 0; f < 2; f++) {
        struct vne_instance *inst;
        char *err;
        assert_int_equal(vne_instance_read(files[f], &inst, &err), 0);
        const struct vne_substrate *sub = inst->sub;
        for (uint32_t k = 1; k <= 4; k++) {
            uint32_t *p1 = malloc(sub->n_nodes * sizeof *p1);
            uint32_t *p2 = malloc(sub->n_nodes * sizeof *p2);
            assert_int_equal(vne_md_partition(sub, k, p1), 0);
            assert_int_equal(vne_md_partition(sub, k, p2), 0);
            assert_memory_equal(p1, p2, sub->n_nodes * sizeof *p1);
            assert_true(regions_connected(sub, p1, k));

            struct vne_md *md;
            assert_int_equal(vne_md_create(sub, p1, k, &md, &err), 0);
            uint32_t nodes = 0, links = 0, cross = 0, smallest = UINT32_MAX,
                     largest = 0;
            for (uint32_t i = 0; i < k; i++) {
                const struct vne_md_inp *inp = &md->inps[i];
                nodes += inp->sub->n_nodes;
                links += inp->sub->n_links;
                smallest = inp->sub->n_nodes < smallest ? inp->sub->n_nodes : smallest;
                largest = inp->sub->n_nodes > largest ? inp->sub->n_nodes : largest;
                for (uint32_t l = 0; l < inp->sub->n_nodes; l++) {
                    uint32_t g = inp->global[l];
                    assert_int_equal(md->inp_of[g], i);
                    assert_int_equal(md->local_of[g], l);
                    assert_int_equal(inp->sub->cpu[l], sub->cpu[g]);
                }
                for (uint32_t l = 0; l < inp->sub->n_links; l++) {
                    const struct vne_link *a = &inp->sub->links[l];
                    const struct vne_link *b = &sub->links[inp->link_global[l]];
                    assert_int_equal(a->bw, b->bw);
                    assert_int_equal(inp->global[a->u], b->u);
                    assert_int_equal(inp->global[a->v], b->v);
                }
            }
            for (uint32_t l = 0; l < sub->n_links; l++) {
                cross += p1[sub->links[l].u] != p1[sub->links[l].v];
            }
            assert_int_equal(nodes, sub->n_nodes);
            assert_int_equal(md->n_ilinks, cross);
            assert_int_equal(links + cross, sub->n_links);
            /* No tiny region: breadth-first growth gets stuck in
             * GEANT's corners (18, 6, 6, 10 nodes for k = 4), Waxman's
             * regions are equal (25 each). */
            assert_true(smallest * 4 * k >= sub->n_nodes);
            assert_true(largest - smallest <= (f == 1 ? 1 : sub->n_nodes / 2));
            for (uint32_t l = 0; l < md->n_ilinks; l++) {
                const struct vne_md_ilink *il = &md->ilinks[l];
                assert_true(il->inp[0] < il->inp[1]);
                assert_int_equal(md->ilink_of[il->merged], l);
            }
            vne_md_destroy(md);
            free(p1);
            free(p2);
        }
        vne_instance_destroy(inst);
    }
}

/* The advertisements of the hand-made substrate, full and abstract. */
static void
test_advertise(void **state)
{
    (void) state;
    struct vne_substrate *sub = hand_substrate();
    struct vne_md *md = hand_md(sub);
    struct vne_residual res, a_res, b_res;

    assert_int_equal(md->n_ilinks, 2);
    assert_int_equal(md->inps[0].n_border, 2);
    assert_int_equal(md->inps[0].border[0], 1);         /* a1 */
    assert_int_equal(md->inps[0].border[1], 2);         /* a2 */
    assert_int_equal(md->inps[1].border[0], 0);         /* b0 */
    assert_int_equal(md->inps[1].border[1], 1);         /* b1 */

    vne_residual_init(&res, sub);
    res.cpu[3] = 25;                                    /* a3 partly used */
    vne_md_inp_residual(md, 0, &res, &a_res);
    vne_md_inp_residual(md, 1, &res, &b_res);
    assert_int_equal(a_res.cpu[3], 25);
    assert_int_equal(b_res.cpu[0], 50);

    for (int kind = VNE_MD_FULL; kind <= VNE_MD_ABSTRACT; kind++) {
        struct vne_md_adv a, b;
        vne_md_advertise(md, 0, kind, &a_res, &a);
        vne_md_advertise(md, 1, kind, &b_res, &b);
        assert_int_equal(a.n_nodes, 4);
        assert_int_equal(a.cpu_total, 10 + 20 + 30 + 25);
        assert_int_equal(a.cpu_max, 30);
        assert_int_equal(b.cpu_total, 70);
        assert_int_equal(b.cpu_max, 50);
        assert_true(a.price_cpu == 1.0 && a.price_bw == 1.5);
        assert_true(b.price_cpu == 1.5 && b.price_bw == 2.0);
        /* Border mesh: widest path and its hops, both directions. */
        assert_int_equal(a.mesh_bw[0 * 2 + 1], 60);
        assert_int_equal(a.mesh_hops[0 * 2 + 1], 3);
        assert_int_equal(a.mesh_bw[1 * 2 + 0], 60);
        assert_int_equal(b.mesh_bw[0 * 2 + 1], 100);
        assert_int_equal(b.mesh_hops[0 * 2 + 1], 2);
        assert_int_equal(a.mesh_bw[0], 0);
        if (kind == VNE_MD_FULL) {
            assert_non_null(a.cpu);
            assert_int_equal(a.cpu_sorted[0], 30);
            assert_int_equal(a.cpu_sorted[3], 10);
            /* Mean hops in A: pairs at 1 hop: 4, at 2 hops: 2 (a0-a2,
             * a1-a3); (4 + 4) / 6, counted both ways. */
            assert_true(a.intra_hops > 1.333 && a.intra_hops < 1.334);
        } else {
            assert_null(a.cpu);
            assert_null(a.cpu_sorted);
            assert_true(a.intra_hops == 1.0);
        }
        vne_md_adv_clear(&a);
        vne_md_adv_clear(&b);
    }
    /* Less free bandwidth lowers the mesh. */
    res.bw[vne_substrate_link(sub, 0, 3)] = 35;
    vne_residual_clear(&a_res);
    vne_md_inp_residual(md, 0, &res, &a_res);
    struct vne_md_adv a;
    vne_md_advertise(md, 0, VNE_MD_ABSTRACT, &a_res, &a);
    assert_int_equal(a.mesh_bw[1], 40);                 /* now a1-a2 direct */
    assert_int_equal(a.mesh_hops[1], 1);
    vne_md_adv_clear(&a);

    vne_residual_clear(&a_res);
    vne_residual_clear(&b_res);
    vne_residual_clear(&res);
    vne_md_destroy(md);
    vne_substrate_destroy(sub);
}

/* Advertisements as JSON: written and read back the same; every bad
 * field named, and nothing changed on error. */
static void
test_adv_json(void **state)
{
    (void) state;
    struct vne_substrate *sub = hand_substrate();
    struct vne_md *md = hand_md(sub);
    struct vne_residual res, a_res;
    vne_residual_init(&res, sub);
    vne_md_inp_residual(md, 0, &res, &a_res);

    for (int kind = VNE_MD_FULL; kind <= VNE_MD_ABSTRACT; kind++) {
        struct vne_md_adv a, b;
        char *err;
        vne_md_advertise(md, 0, kind, &a_res, &a);
        json_t *j = vne_md_adv_to_json(&a);
        assert_int_equal(vne_md_adv_from_json(j, &b, &err), 0);
        assert_int_equal(b.kind, a.kind);
        assert_int_equal(b.n_nodes, 4);
        assert_int_equal(b.cpu_total, a.cpu_total);
        assert_int_equal(b.cpu_max, a.cpu_max);
        assert_int_equal(b.n_border, 2);
        assert_memory_equal(b.border, a.border, 2 * sizeof *a.border);
        assert_memory_equal(b.mesh_bw, a.mesh_bw, 4 * sizeof *a.mesh_bw);
        assert_memory_equal(b.mesh_hops, a.mesh_hops, 4 * sizeof *a.mesh_hops);
        assert_true(b.intra_hops == a.intra_hops);
        assert_true(b.access_hops[1] == a.access_hops[1]);
        if (kind == VNE_MD_FULL) {
            assert_int_equal(b.n_links, 4);
            assert_memory_equal(b.cpu, a.cpu, 4 * sizeof *a.cpu);
            assert_memory_equal(b.bw, a.bw, 4 * sizeof *a.bw);
            assert_memory_equal(b.cpu_sorted, a.cpu_sorted, 4 * sizeof *a.cpu);
        } else {
            assert_null(b.cpu);
        }

        /* Bad input: the message names the field; 'b' is left as it was. */
        static const struct { const char *key, *value, *want; } bad[] = {
            { "colour", "1", "unknown field \"colour\"" },
            { "kind", "\"partial\"", "\"kind\" must be" },
            { "cpu_max", "-1", "\"cpu_max\" must be an integer" },
            { "price_bw", "\"cheap\"", "\"price_bw\" must be a number" },
            { "mesh", "[[0, 2, 10, 1]]", "mesh[0] must be" },
            { "mesh", "[[0, 0, 10, 1]]", "mesh[0] must be" },
            { "border", "[1, 9]", "border[1] must be" },
            { "access_hops", "[1]", "\"access_hops\" must be an array of 2" },
            { "cpu", "[1, 2, 3]", "\"cpu\" must be an array of 4" },
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            if (!strcmp(bad[i].key, "cpu") && kind != VNE_MD_FULL) {
                continue;
            }
            json_t *c = json_deep_copy(j);
            json_object_set_new(c, bad[i].key, json_loads(bad[i].value, JSON_DECODE_ANY, NULL));
            uint32_t before = b.n_border;
            assert_int_equal(vne_md_adv_from_json(c, &b, &err), EINVAL);
            if (!strstr(err, bad[i].want)) {
                fail_msg("%s=%s: got \"%s\"", bad[i].key, bad[i].value, err);
            }
            assert_int_equal(b.n_border, before);
            free(err);
            json_decref(c);
        }
        json_decref(j);
        vne_md_adv_clear(&a);
        vne_md_adv_clear(&b);
    }
    vne_residual_clear(&a_res);
    vne_residual_clear(&res);
    vne_md_destroy(md);
    vne_substrate_destroy(sub);
}

/* Embeds 'req' on the hand substrate with advertisements 'kind'; returns
 * the error and leaves the result in 'r' / 'rej'. */
static int
hand_embed(const struct vne_substrate *sub, const struct vne_md *md,
           enum vne_md_adv_kind kind, const struct vne_request *req,
           struct vne_md_result *r, struct vne_md_reject *rej)
{
    struct vne_algo_options o;
    struct vne_algo *parts[2], *view;
    struct vne_residual res;
    vne_algo_options_init(&o);
    o.no_admission = true;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(vne_algo_create(&vne_algo_lamina, md->inps[i].sub, &o,
                                         &parts[i]), 0);
    }
    assert_int_equal(vne_algo_create(&vne_algo_lamina, sub, &o, &view), 0);
    vne_residual_init(&res, sub);
    int error = vne_md_embed(md, kind, parts, view, &res, req, r, rej);
    if (!error) {
        char why[200];
        assert_true(vne_check_one(sub, res.cpu, res.bw, req, &r->m, why, sizeof why));
    }
    vne_residual_clear(&res);
    vne_algo_destroy(parts[0]);
    vne_algo_destroy(parts[1]);
    vne_algo_destroy(view);
    return error;
}

/* The known answer: v0 (cpu 45) fits only b0; v1 (cpu 35, constrained to
 * a3); their link (bw 45) can cross only a2-b0 (a1-b1 has 30), so the
 * path is b0-a2-a3.  Price: 45 x 1.5 + 35 x 1 + 45 x (2 + 1.5) = 260. */
static void
test_known_answer(void **state)
{
    (void) state;
    struct vne_substrate *sub = hand_substrate();
    struct vne_md *md = hand_md(sub);
    static const int32_t cpu[] = { 45, 35 };
    static const int allowed[] = { -1, 3 };
    static const uint32_t links[][3] = { { 0, 1, 45 } };
    struct vne_request req;
    make_req(&req, 2, cpu, allowed, 1, links);

    for (int kind = VNE_MD_FULL; kind <= VNE_MD_ABSTRACT; kind++) {
        struct vne_md_result r;
        struct vne_md_reject rej;
        assert_int_equal(hand_embed(sub, md, kind, &req, &r, &rej), 0);
        assert_int_equal(r.m.host[0], 4);
        assert_int_equal(r.m.host[1], 3);
        assert_int_equal(r.m.paths[0].len, 3);
        assert_int_equal(r.m.paths[0].nodes[1], 2);
        assert_int_equal(r.plan.inp[0], 1);
        assert_int_equal(r.plan.inp[1], 0);
        assert_int_equal(r.plan.route_off[1] - r.plan.route_off[0], 1);
        assert_int_equal(md->ilinks[r.plan.route[0]].merged,
                         (uint32_t) vne_substrate_link(sub, 2, 4));
        assert_int_equal(r.parts.n_parts, 2);
        assert_true(r.price == 260.0);
        assert_true(vne_md_price(md, &req, &r.m) == 260.0);
        vne_md_result_clear(&r);
    }
    vne_request_clear(&req);
    vne_md_destroy(md);
    vne_substrate_destroy(sub);
}

/* Abstract advertisements hide that only a3 can take 35: the broker puts
 * both nodes in A (cheaper), A refuses its part, and the next round moves
 * one to B (b0).  With full advertisements the broker knows at once. */
static void
test_refusal_then_split(void **state)
{
    (void) state;
    struct vne_substrate *sub = hand_substrate();
    struct vne_md *md = hand_md(sub);
    static const int32_t cpu[] = { 35, 35 };
    static const uint32_t links[][3] = { { 0, 1, 10 } };
    struct vne_request req;
    make_req(&req, 2, cpu, NULL, 1, links);

    for (int kind = VNE_MD_FULL; kind <= VNE_MD_ABSTRACT; kind++) {
        struct vne_md_result r;
        struct vne_md_reject rej;
        assert_int_equal(hand_embed(sub, md, kind, &req, &r, &rej), 0);
        uint32_t h0 = r.m.host[0], h1 = r.m.host[1];
        assert_true((h0 == 3 && h1 == 4) || (h0 == 4 && h1 == 3));
        assert_int_equal(r.parts.n_parts, 2);
        vne_md_result_clear(&r);
    }
    vne_request_clear(&req);
    vne_md_destroy(md);
    vne_substrate_destroy(sub);
}

/* An InP constraint: v0 (cpu 5) may go only to InP 1, v1 only to a0. */
static void
test_inp_constraint(void **state)
{
    (void) state;
    struct vne_substrate *sub = hand_substrate();
    struct vne_md *md = hand_md(sub);
    static const int32_t cpu[] = { 5, 5 };
    static const int allowed[] = { -1, 0 };
    static const uint32_t links[][3] = { { 0, 1, 20 } };
    struct vne_request req;
    make_req(&req, 2, cpu, allowed, 1, links);

    assert_int_equal(vne_md_constrain_inp(md, &req, 0, 2), EINVAL);
    assert_int_equal(vne_md_constrain_inp(md, &req, 1, 1), EINVAL);  /* a0 is A's */
    assert_int_equal(req.nodes[1].n_allowed, 1);                      /* unchanged */
    assert_int_equal(vne_md_constrain_inp(md, &req, 0, 1), 0);
    assert_int_equal(req.nodes[0].n_allowed, 3);
    assert_int_equal(req.nodes[0].allowed[0], 4);
    assert_int_equal(req.nodes[0].allowed[2], 6);
    for (int kind = VNE_MD_FULL; kind <= VNE_MD_ABSTRACT; kind++) {
        struct vne_md_result r;
        struct vne_md_reject rej;
        assert_int_equal(hand_embed(sub, md, kind, &req, &r, &rej), 0);
        assert_int_equal(md->inp_of[r.m.host[0]], 1);
        assert_int_equal(r.m.host[1], 0);
        vne_md_result_clear(&r);
    }
    vne_request_clear(&req);
    vne_md_destroy(md);
    vne_substrate_destroy(sub);
}

/* Revisitation: four virtual nodes (cpu 5) on InP B, which has three
 * substrate nodes, in a ring of links: refused without "revisit"; with
 * it, placed on B with at least two nodes sharing one, and a link between
 * two nodes of one substrate node has a path of that node alone. */
static void
test_revisit(void **state)
{
    (void) state;
    struct vne_substrate *sub = hand_substrate();
    struct vne_md *md = hand_md(sub);
    static const int32_t cpu[] = { 5, 5, 5, 5 };
    static const uint32_t links[][3] = { { 0, 1, 5 }, { 1, 2, 5 }, { 2, 3, 5 },
                                         { 3, 0, 5 } };
    struct vne_request req;
    make_req(&req, 4, cpu, NULL, 4, links);
    for (uint32_t v = 0; v < 4; v++) {
        assert_int_equal(vne_md_constrain_inp(md, &req, v, 1), 0);
    }

    for (int kind = VNE_MD_FULL; kind <= VNE_MD_ABSTRACT; kind++) {
        struct vne_md_result r;
        struct vne_md_reject rej;
        req.revisit = false;
        assert_int_equal(hand_embed(sub, md, kind, &req, &r, &rej), ENOSPC);
        req.revisit = true;
        assert_int_equal(hand_embed(sub, md, kind, &req, &r, &rej), 0);
        bool shared = false;
        for (uint32_t v = 0; v < 4; v++) {
            assert_int_equal(md->inp_of[r.m.host[v]], 1);
            for (uint32_t w = 0; w < v; w++) {
                shared = shared || r.m.host[v] == r.m.host[w];
            }
        }
        assert_true(shared);
        for (uint32_t l = 0; l < 4; l++) {
            if (r.m.host[links[l][0]] == r.m.host[links[l][1]]) {
                assert_int_equal(r.m.paths[l].len, 1);
            }
        }
        vne_md_result_clear(&r);
    }
    vne_request_clear(&req);
    vne_md_destroy(md);
    vne_substrate_destroy(sub);
}

/* Rejections name the short resource and where. */
static void
test_rejections(void **state)
{
    (void) state;
    struct vne_substrate *sub = hand_substrate();
    struct vne_md *md = hand_md(sub);

    for (int kind = VNE_MD_FULL; kind <= VNE_MD_ABSTRACT; kind++) {
        struct vne_md_result r;
        struct vne_md_reject rej;
        struct vne_request req;

        /* CPU: no node anywhere has 60. */
        static const int32_t cpu1[] = { 60, 5 };
        static const uint32_t l1[][3] = { { 0, 1, 5 } };
        make_req(&req, 2, cpu1, NULL, 1, l1);
        assert_int_equal(hand_embed(sub, md, kind, &req, &r, &rej), ENOSPC);
        assert_int_equal(rej.kind, VNE_REJECT_CPU);
        assert_int_equal(rej.inp, -1);
        assert_non_null(strstr(rej.detail, "virtual node 0 (cpu 60)"));
        vne_request_clear(&req);

        /* Bandwidth between the InPs: v0 needs b0 (cpu 45), v1 is held
         * to a3; 55 is more than either inter-domain link. */
        static const int32_t cpu2[] = { 45, 5 };
        static const int al2[] = { -1, 3 };
        static const uint32_t l2[][3] = { { 0, 1, 55 } };
        make_req(&req, 2, cpu2, al2, 1, l2);
        assert_int_equal(hand_embed(sub, md, kind, &req, &r, &rej), ENOSPC);
        assert_int_equal(rej.kind, VNE_REJECT_BW);
        assert_non_null(strstr(rej.detail, "inter-domain"));
        vne_request_clear(&req);

        /* Bandwidth inside an InP: a0 and a2 are joined by at most 60
         * (a0-a3-a2); 70 does not fit, and InP 0 says so. */
        static const int32_t cpu3[] = { 5, 5 };
        static const int al3[] = { 0, 2 };
        static const uint32_t l3[][3] = { { 0, 1, 70 } };
        make_req(&req, 2, cpu3, al3, 1, l3);
        assert_int_equal(hand_embed(sub, md, kind, &req, &r, &rej), ENOSPC);
        assert_int_equal(rej.kind, VNE_REJECT_BW);
        assert_int_equal(rej.inp, 0);
        assert_non_null(strstr(rej.detail, "inp0: bw:"));
        vne_request_clear(&req);
    }
    vne_md_destroy(md);
    vne_substrate_destroy(sub);
}

/* One InP is the merged substrate: the same run as "lamina" itself. */
static void
test_one_inp_is_merged(void **state)
{
    (void) state;
    struct vne_instance *inst;
    char *err;
    assert_int_equal(vne_instance_read(GEANT, &inst, &err), 0);
    vne_instance_truncate(inst, 300);

    struct vne_md *md;
    struct vne_algo *algo, *md_algo;
    struct vne_sim_options so = { 0 };
    struct vne_sim_result a, b;
    assert_int_equal(vne_md_split(inst->sub, 1, &md, &err), 0);
    assert_int_equal(vne_algo_create(&vne_algo_lamina, inst->sub, NULL, &algo), 0);
    for (int kind = VNE_MD_FULL; kind <= VNE_MD_ABSTRACT; kind++) {
        assert_int_equal(vne_md_algo_create(md, kind, &vne_algo_lamina, NULL,
                                            &md_algo), 0);
        assert_int_equal(vne_sim_run(inst, algo, &so, &a, &err), 0);
        assert_int_equal(vne_sim_run(inst, md_algo, &so, &b, &err), 0);
        assert_int_equal(a.accepted, b.accepted);
        assert_true(a.lrc == b.lrc);
        vne_sim_result_clear(&a);
        vne_sim_result_clear(&b);
        vne_algo_destroy(md_algo);
    }
    vne_algo_destroy(algo);
    vne_md_destroy(md);
    vne_instance_destroy(inst);
}

/* Whole runs split across 2..4 InPs: the independent checker accepts
 * every mapping on the merged substrate and agrees on the metrics; with
 * full advertisements the acceptance is within 10% of the merged run. */
static void
test_runs_checked(void **state)
{
    (void) state;
    struct vne_instance *inst;
    char *err;
    assert_int_equal(vne_instance_read(GEANT, &inst, &err), 0);
    vne_instance_truncate(inst, 400);

    struct vne_algo *algo;
    struct vne_sim_options so = { 0 };
    struct vne_sim_result merged;
    assert_int_equal(vne_algo_create(&vne_algo_lamina, inst->sub, NULL, &algo), 0);
    assert_int_equal(vne_sim_run(inst, algo, &so, &merged, &err), 0);

    for (uint32_t k = 2; k <= 4; k++) {
        struct vne_md *md;
        assert_int_equal(vne_md_split(inst->sub, k, &md, &err), 0);
        for (int kind = VNE_MD_FULL; kind <= VNE_MD_ABSTRACT; kind++) {
            struct vne_algo *md_algo;
            struct vne_sim_result r;
            assert_int_equal(vne_md_algo_create(md, kind, &vne_algo_lamina, NULL,
                                                &md_algo), 0);
            assert_int_equal(vne_sim_run(inst, md_algo, &so, &r, &err), 0);

            const struct vne_mapping **maps = calloc(inst->n_reqs, sizeof *maps);
            for (uint32_t i = 0; i < inst->n_reqs; i++) {
                maps[i] = r.accepted_flags[i] ? &r.maps[i] : NULL;
            }
            struct vne_check_report rep;
            if (!vne_check_run(inst, maps, &rep)) {
                fail_msg("k=%u %s: %s", k, vne_md_adv_kind_name(kind), rep.first_error);
            }
            assert_int_equal(rep.accepted, r.accepted);
            assert_true(r.accepted > 0);
            assert_true(vne_md_algo_price(md_algo) > 0);
            if (kind == VNE_MD_FULL) {
                assert_true(r.rac >= 0.9 * merged.rac);
            }
            vne_check_report_clear(&rep);
            free(maps);
            vne_sim_result_clear(&r);
            vne_algo_destroy(md_algo);
        }
        vne_md_destroy(md);
    }
    vne_sim_result_clear(&merged);
    vne_algo_destroy(algo);
    vne_instance_destroy(inst);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_advertise),
        cmocka_unit_test(test_adv_json),
        cmocka_unit_test(test_known_answer),
        cmocka_unit_test(test_refusal_then_split),
        cmocka_unit_test(test_inp_constraint),
        cmocka_unit_test(test_revisit),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_one_inp_is_merged),
        cmocka_unit_test(test_runs_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
