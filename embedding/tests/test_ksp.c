/* k shortest simple paths (Yen) against brute-force enumeration. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vne.h"
#include "vne_path.h"
#include "vne_private.h"

#define MAX_N 9

/* Every simple path from s to t, collected by depth-first search. */
struct brute {
    const struct vne_substrate *sub;
    uint32_t t;
    bool on[MAX_N];
    uint32_t stack[MAX_N];
    uint32_t n_paths;
    uint32_t lens[100000];
    uint32_t paths[100000][MAX_N];
};

static void
brute_dfs(struct brute *b, uint32_t u, uint32_t depth)
{
    b->stack[depth] = u;
    if (u == b->t) {
        b->lens[b->n_paths] = depth + 1;
        memcpy(b->paths[b->n_paths], b->stack, (depth + 1) * sizeof(uint32_t));
        b->n_paths++;
        return;
    }
    b->on[u] = true;
    const struct vne_substrate *sub = b->sub;
    for (uint32_t i = sub->adj_start[u]; i < sub->adj_start[u + 1]; i++) {
        if (!b->on[sub->adj[i].node]) {
            brute_dfs(b, sub->adj[i].node, depth + 1);
        }
    }
    b->on[u] = false;
}

static int
cmp_u32(const void *a, const void *b)
{
    return (int) *(const uint32_t *) a - (int) *(const uint32_t *) b;
}

static struct vne_substrate *
random_graph(uint64_t *rng, uint32_t n, double p)
{
    int32_t cpu[MAX_N];
    for (uint32_t i = 0; i < n; i++) {
        cpu[i] = 50;
    }
    struct vne_substrate *sub = vne_substrate_create("rand", n, cpu);
    for (uint32_t u = 0; u < n; u++) {
        for (uint32_t v = u + 1; v < n; v++) {
            if (vne_rand01(rng) < p) {
                vne_substrate_add_link(sub, u, v, 10);
            }
        }
    }
    vne_substrate_finish(sub);
    return sub;
}

static void
test_ksp_vs_brute_force(void **state)
{
    uint64_t rng = 12345;
    struct brute *b = malloc(sizeof *b);
    (void) state;

    for (int round = 0; round < 60; round++) {
        uint32_t n = 4 + round % (MAX_N - 3);
        struct vne_substrate *sub = random_graph(&rng, n, 0.3 + 0.5 * vne_rand01(&rng));
        unsigned k = 1 + round % 12;
        struct vne_ksp *ksp = vne_ksp_create(sub, k);
        for (uint32_t s = 0; s < n; s++) {
            for (uint32_t t = 0; t < n; t++) {
                if (s == t) {
                    continue;
                }
                memset(b, 0, offsetof(struct brute, lens));
                b->sub = sub;
                b->t = t;
                brute_dfs(b, s, 0);
                const struct vne_ksp_set *set = vne_ksp_get(ksp, s, t);

                /* As many paths as exist, up to k. */
                assert_int_equal(set->n, b->n_paths < k ? b->n_paths : k);
                /* Their lengths are the k smallest of all simple paths. */
                uint32_t *want = malloc((b->n_paths + 1) * sizeof *want);
                memcpy(want, b->lens, b->n_paths * sizeof *want);
                qsort(want, b->n_paths, sizeof *want, cmp_u32);
                for (uint32_t i = 0; i < set->n; i++) {
                    assert_int_equal(vne_ksp_len(set, i), want[i]);
                    /* Each is one of the simple paths, and distinct. */
                    const uint32_t *p = set->nodes + set->off[i];
                    bool found = false;
                    for (uint32_t j = 0; j < b->n_paths && !found; j++) {
                        found = b->lens[j] == vne_ksp_len(set, i)
                                && !memcmp(b->paths[j], p, b->lens[j] * sizeof *p);
                    }
                    assert_true(found);
                    for (uint32_t j = 0; j < i; j++) {
                        assert_false(vne_ksp_len(set, j) == vne_ksp_len(set, i)
                                     && !memcmp(set->nodes + set->off[j], p,
                                                vne_ksp_len(set, i) * sizeof *p));
                    }
                }
                free(want);
            }
        }
        vne_ksp_destroy(ksp);
        vne_substrate_destroy(sub);
    }
    free(b);
}

static void
test_bfs_bandwidth_filter(void **state)
{
    /* Square 0-1-2-3-0 plus chord 0-2 with little bandwidth. */
    int32_t cpu[4] = { 1, 1, 1, 1 };
    struct vne_substrate *sub = vne_substrate_create("sq", 4, cpu);
    struct vne_bfs bfs;
    uint32_t path[4], len;
    int32_t bw[5] = { 10, 10, 10, 10, 1 };
    (void) state;

    vne_substrate_add_link(sub, 0, 1, 10);
    vne_substrate_add_link(sub, 1, 2, 10);
    vne_substrate_add_link(sub, 2, 3, 10);
    vne_substrate_add_link(sub, 3, 0, 10);
    vne_substrate_add_link(sub, 0, 2, 1);
    vne_substrate_finish(sub);
    vne_bfs_init(&bfs, sub);
    assert_true(vne_bfs_path(&bfs, bw, 1, 0, 2, path, &len));
    assert_int_equal(len, 2);
    assert_true(vne_bfs_path(&bfs, bw, 5, 0, 2, path, &len));
    assert_int_equal(len, 3);
    assert_int_equal(path[1], 1);
    assert_false(vne_bfs_path(&bfs, bw, 11, 0, 2, path, &len));
    vne_bfs_destroy(&bfs);
    vne_substrate_destroy(sub);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ksp_vs_brute_force),
        cmocka_unit_test(test_bfs_bandwidth_filter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
