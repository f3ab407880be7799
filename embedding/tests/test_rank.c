/* Node rankings against values worked out by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vne_rank.h"

static void
test_nrm(void **state)
{
    /* Path a-b-c, cpu 2, 3, 4, bandwidth 5 (a-b) and 7 (b-c):
     * H = 2*5, 3*(5+7), 4*7 = 10, 36, 28. */
    double cpu[3] = { 2, 3, 4 }, bw[2] = { 5, 7 }, r[3];
    uint32_t eu[2] = { 0, 1 }, ev[2] = { 1, 2 }, order[3];
    struct vne_rank_graph g = { 3, cpu, 2, eu, ev, bw };
    (void) state;
    vne_rank_nrm(&g, r);
    assert_true(r[0] == 10 && r[1] == 36 && r[2] == 28);
    vne_rank_order(r, 3, order);
    assert_true(order[0] == 1 && order[1] == 2 && order[2] == 0);
}

static void
test_grc_two_nodes(void **state)
{
    /* Two nodes, one link: M = [[0,1],[1,0]], c = (0.75, 0.25).
     * r_a = (1-d) c_a + d r_b and r_b = (1-d) c_b + d r_a give
     * r_a = (c_a + d c_b) / (1 + d) = (0.75 + 0.2125) / 1.85 = 0.5202703,
     * r_b = (c_b + d c_a) / (1 + d) = (0.25 + 0.6375) / 1.85 = 0.4797297. */
    double cpu[2] = { 60, 20 }, bw[1] = { 9 }, r[2];
    uint32_t eu[1] = { 0 }, ev[1] = { 1 };
    struct vne_rank_graph g = { 2, cpu, 1, eu, ev, bw };
    (void) state;
    vne_rank_grc(&g, 0.85, r);
    assert_float_equal(r[0], 0.9625 / 1.85, 1e-7);
    assert_float_equal(r[1], 0.8875 / 1.85, 1e-7);
}

static void
test_grc_star(void **state)
{
    /* Star: centre 0 with leaves 1 (bw 1) and 2 (bw 3), cpu all equal
     * (c = 1/3 each).  Column sums: at 0: 4, at 1: 1, at 2: 3.
     * r1 = (1-d)/3 + d * (1/4) r0,  r2 = (1-d)/3 + d * (3/4) r0,
     * r0 = (1-d)/3 + d (r1 + r2)   (M[0][1] = 1/1, M[0][2] = 3/3).
     * With d = 0.5: r1 = 1/6 + r0/8, r2 = 1/6 + 3 r0/8,
     * r0 = 1/6 + 0.5 (1/3 + r0/2) = 1/3 + r0/4  ->  r0 = 4/9,
     * r1 = 1/6 + 1/18 = 2/9, r2 = 1/6 + 1/6 = 1/3. */
    double cpu[3] = { 5, 5, 5 }, bw[2] = { 1, 3 }, r[3];
    uint32_t eu[2] = { 0, 0 }, ev[2] = { 1, 2 };
    struct vne_rank_graph g = { 3, cpu, 2, eu, ev, bw };
    (void) state;
    vne_rank_grc(&g, 0.5, r);
    assert_float_equal(r[0], 4.0 / 9, 1e-7);
    assert_float_equal(r[1], 2.0 / 9, 1e-7);
    assert_float_equal(r[2], 3.0 / 9, 1e-7);
}

static void
test_rw_path(void **state)
{
    /* Path a-b-c with H normalised to h = (0.5, 0.3, 0.2): cpu 5, 1, 4 and
     * bandwidth 1 on each link gives H = 5, 2, 4 ... so choose cpu so that
     * H = cpu x sum bw is 5, 3, 2: cpu a = 5 (bw 1), b = 1.5 (bw 2),
     * c = 2 (bw 1).
     * Forward moves: a -> b, c -> b, b -> a w.p. 0.5/0.7, b -> c w.p. 0.2/0.7.
     * NR_b = 0.15 h_b + 0.85 (NR_a + NR_c) = 0.15 h_b + 0.85 (1 - NR_b)
     *      -> NR_b = (0.045 + 0.85) / 1.85 = 0.4837838,
     * NR_a = 0.15 * 0.5 + 0.85 NR_b * 5/7 = 0.3687259,
     * NR_c = 0.15 * 0.2 + 0.85 NR_b * 2/7 = 0.1474903. */
    double cpu[3] = { 5, 1.5, 2 }, bw[2] = { 1, 1 }, r[3];
    uint32_t eu[2] = { 0, 1 }, ev[2] = { 1, 2 };
    struct vne_rank_graph g = { 3, cpu, 2, eu, ev, bw };
    (void) state;
    vne_rank_rw(&g, 0.15, r);
    double nrb = 0.895 / 1.85;
    assert_float_equal(r[1], nrb, 1e-7);
    assert_float_equal(r[0], 0.075 + 0.85 * nrb * 5 / 7, 1e-7);
    assert_float_equal(r[2], 0.03 + 0.85 * nrb * 2 / 7, 1e-7);
    assert_float_equal(r[0] + r[1] + r[2], 1.0, 1e-9);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nrm),
        cmocka_unit_test(test_grc_two_nodes),
        cmocka_unit_test(test_grc_star),
        cmocka_unit_test(test_rw_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
