/* Tests of the one conversion from a topology (`lamina topo` files) to an
 * embedding substrate: topo_to_graph() then vne_substrate_from_graph(),
 * as vne_substrate_read() does for a ".topo" file. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "graph.h"
#include "topo.h"
#include "vne.h"
#include "vne_instance.h"

#define EXAMPLES LAMINA_SRCDIR "/topologies/examples/"

/* The substrate of every example has the topology's switches (same
 * order, names as labels, CPU) and links (same ends, rate in Mbit/s). */
static void
test_examples_match(void **state)
{
    static const char *files[] = {
        "abilene.topo", "geant2012.topo", "dumbbell.topo", "fattree4.topo",
        "line4.topo", "ring6.topo", "cogentco.topo",
    };
    (void) state;
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[512];
        struct topo *t;
        struct vne_substrate *sub;
        char *err = NULL;

        snprintf(path, sizeof path, EXAMPLES "%s", files[f]);
        if (topo_parse_file(path, &t, &err)) {
            fail_msg("%s", err);
        }
        if (vne_substrate_read(path, 7, 77, &sub, &err)) {
            fail_msg("%s", err);
        }
        assert_int_equal(sub->n_nodes, t->n_sw);
        for (size_t i = 0; i < t->n_sw; i++) {
            assert_string_equal(sub->labels[i], t->sw[i].name);
            assert_int_equal(sub->cpu[i], (int32_t) (t->sw[i].cpu + 0.5));
            assert_int_equal(sub->has_xy[i], t->sw[i].has_coords);
            if (t->sw[i].has_coords) {
                assert_true(sub->x[i] == t->sw[i].lon);
                assert_true(sub->y[i] == t->sw[i].lat);
            }
        }
        /* No example has parallel links, so link j is substrate link j. */
        assert_int_equal(sub->n_links, t->n_links);
        for (size_t l = 0; l < t->n_links; l++) {
            const struct topo_link *k = &t->links[l];
            int32_t want = k->props.rate_bps
                           ? (int32_t) (k->props.rate_bps / 1000000) : 77;
            assert_int_equal(vne_substrate_link(sub, k->a, k->b), (int32_t) l);
            assert_int_equal(sub->links[l].bw, want);
        }
        vne_substrate_destroy(sub);
        topo_destroy(t);
    }
}

/* The values worked out by hand for two files. */
static void
test_hand_values(void **state)
{
    struct vne_substrate *sub;
    char *err = NULL;
    (void) state;

    assert_int_equal(vne_substrate_read(EXAMPLES "abilene.topo", 1, 1, &sub,
                                        &err), 0);
    assert_string_equal(sub->name, "abilene");
    assert_int_equal(sub->n_nodes, 11);
    assert_int_equal(sub->n_links, 14);
    assert_int_equal(sub->cpu[3], 100);
    assert_string_equal(sub->labels[3], "s3");
    assert_true(vne_substrate_link(sub, 3, 6) >= 0);        /* s3 s6 */
    assert_int_equal(sub->links[vne_substrate_link(sub, 3, 6)].bw, 1000);
    assert_true(vne_substrate_link(sub, 0, 3) < 0);
    vne_substrate_destroy(sub);

    /* dumbbell: cpu=200 at the edges, the format's default 100 inside;
     * 10G links and a 100M bottleneck. */
    assert_int_equal(vne_substrate_read(EXAMPLES "dumbbell.topo", 1, 1, &sub,
                                        &err), 0);
    assert_int_equal(sub->n_nodes, 4);
    assert_int_equal(sub->cpu[0], 200);
    assert_int_equal(sub->cpu[1], 100);
    assert_int_equal(sub->cpu[3], 200);
    assert_int_equal(sub->links[vne_substrate_link(sub, 0, 1)].bw, 10000);
    assert_int_equal(sub->links[vne_substrate_link(sub, 1, 2)].bw, 100);
    vne_substrate_destroy(sub);
}

/* The graph in between carries what the broker will read back. */
static void
test_graph_attributes(void **state)
{
    struct topo *t;
    char *err = NULL;
    double v;
    (void) state;

    assert_int_equal(topo_parse_string(
        "topology t\nswitch a cpu=12.6 label=\"Town\" lat=1.5 lon=2.5\n"
        "switch b\nlink a b rate=0 delay=3ms\nlink a b rate=2.5M\n"
        "host h a\n", "t.topo", &t, &err), 0);
    struct graph *g = topo_to_graph(t);
    assert_int_equal(graph_n_nodes(g), 2);
    assert_int_equal(graph_n_edges(g), 2);
    assert_string_equal(graph_get_str(g, "label"), "t");
    assert_string_equal(graph_node_label(g, 0), "a");
    assert_string_equal(graph_node_get_str(g, 0, "city"), "Town");
    assert_true(graph_node_get_num(g, 0, "cpu", &v) && v == 12.6);
    assert_true(graph_node_get_num(g, 0, "Latitude", &v) && v == 1.5);
    assert_false(graph_node_get_num(g, 1, "Latitude", &v));
    assert_false(graph_edge_get_num(g, 0, "bw", &v));       /* unlimited */
    assert_true(graph_edge_get_num(g, 0, "delay_us", &v) && v == 3000);
    assert_true(graph_edge_get_num(g, 1, "bw", &v) && v == 2.5);
    assert_string_equal(graph_edge_get_str(g, 1, "name"), "a-b.2");

    /* As a substrate: rounded CPU, the default for the unlimited link,
     * and the parallel link merged into the first. */
    struct vne_substrate *sub;
    assert_int_equal(vne_substrate_from_graph(g, "t", 5, 55, &sub, &err), 0);
    assert_int_equal(sub->cpu[0], 13);
    assert_int_equal(sub->n_links, 1);
    assert_int_equal(sub->links[0].bw, 55);
    vne_substrate_destroy(sub);

    /* A capacity past what the model holds is refused, naming the node. */
    graph_node_set_num(g, 1, "cpu", 5e9);
    assert_int_equal(vne_substrate_from_graph(g, "t", 5, 55, &sub, &err),
                     EINVAL);
    assert_null(sub);
    assert_non_null(strstr(err, "node 1 (b): cpu 5e+09 out of range"));
    free(err);
    graph_destroy(g);
    topo_destroy(t);
}

/* A bad topology file: the parser's message, nothing built. */
static void
test_bad_file(void **state)
{
    struct vne_substrate *sub;
    char *err = NULL;
    char path[] = "/tmp/lamina-vne-topoXXXXXX.topo";
    (void) state;

    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("switch a\nlink a nowhere\n", f);
    fclose(f);
    assert_int_equal(vne_substrate_read(path, 1, 1, &sub, &err), EINVAL);
    assert_null(sub);
    assert_non_null(strstr(err, ":2:"));
    free(err);
    unlink(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples_match),
        cmocka_unit_test(test_hand_values),
        cmocka_unit_test(test_graph_attributes),
        cmocka_unit_test(test_bad_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
