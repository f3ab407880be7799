/* Tests of the shared graph model and the Topology Zoo GML reader. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gml.h"
#include "graph.h"
#include "vne.h"

#define ZOO LAMINA_SRCDIR "/data/topology-zoo/"

/* Every file of data/topology-zoo with the node and edge counts of its
 * README. */
static const struct { const char *file; size_t nodes, edges; } zoo[] = {
    {"Abilene.gml", 11, 14}, {"Sprint.gml", 11, 18}, {"Internet2.gml", 20, 26},
    {"AttMpls.gml", 25, 57}, {"Funet.gml", 26, 31}, {"Cesnet2.gml", 30, 42},
    {"Geant2012.gml", 40, 61}, {"Surfnet.gml", 50, 73},
    {"Bellsouth.gml", 51, 66}, {"GtsCe.gml", 149, 193},
    {"Cogentco.gml", 197, 245}, {"Kdl.gml", 754, 899},
};

static void
test_zoo_files_load(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof zoo / sizeof zoo[0]; i++) {
        char path[512];
        struct graph *g;
        char *err = NULL;
        snprintf(path, sizeof path, ZOO "%s", zoo[i].file);
        int error = gml_read_file(path, &g, &err);
        if (error) {
            fail_msg("%s: %s", path, err);
        }
        assert_int_equal(graph_n_nodes(g), zoo[i].nodes);
        assert_int_equal(graph_n_edges(g), zoo[i].edges);
        assert_non_null(graph_get_str(g, "Network"));

        /* As a substrate: parallel edges merge, capacities from options. */
        struct vne_substrate *sub;
        error = vne_substrate_from_graph(g, zoo[i].file, 100, 1000, &sub, &err);
        assert_int_equal(error, 0);
        assert_int_equal(sub->n_nodes, zoo[i].nodes);
        assert_true(sub->n_links <= zoo[i].edges);
        assert_int_equal(sub->cpu[0], 100);
        vne_substrate_destroy(sub);
        graph_destroy(g);
    }
}

static void
test_zoo_quirks(void **state)
{
    struct graph *g;
    char *err;
    double lat, lon, v;
    (void) state;

    /* AttMpls has parallel edges: both kept in the graph. */
    assert_int_equal(gml_read_file(ZOO "AttMpls.gml", &g, &err), 0);
    size_t parallel = 0;
    for (size_t e = 0; e < graph_n_edges(g); e++) {
        for (size_t f = 0; f < e; f++) {
            size_t a, b, c, d;
            graph_edge_ends(g, e, &a, &b);
            graph_edge_ends(g, f, &c, &d);
            parallel += (a == c && b == d) || (a == d && b == c);
        }
    }
    assert_true(parallel > 0);
    assert_string_equal(graph_node_label(g, 0), "NY54");
    assert_true(graph_node_coords(g, 0, &lat, &lon));
    assert_true(lat > 40.7 && lat < 40.8 && lon < -74 && lon > -74.1);
    assert_true(graph_node_get_num(g, 0, "Internal", &v) && v == 1);
    assert_string_equal(graph_node_get_str(g, 0, "Country"), "United States");
    graph_destroy(g);

    /* Geant2012: nodes without coordinates; edges with odd attributes. */
    assert_int_equal(gml_read_file(ZOO "Geant2012.gml", &g, &err), 0);
    size_t no_coords = 0;
    for (size_t n = 0; n < graph_n_nodes(g); n++) {
        no_coords += !graph_node_coords(g, n, &lat, &lon);
    }
    assert_true(no_coords > 0);
    bool speed = false;
    for (size_t e = 0; e < graph_n_edges(g); e++) {
        speed |= graph_edge_get_num(g, e, "LinkSpeedRaw", &v) && v > 0;
    }
    assert_true(speed);
    assert_true(graph_n_components(g) >= 1);
    graph_destroy(g);
}

/* Malformed text must fail with an error naming the given line. */
static void
expect_error(const char *text, int line, const char *words)
{
    struct graph *g = (struct graph *) 1;
    char *err = NULL;
    char want[64];
    int error = gml_read_string(text, "bad.gml", &g, &err);
    assert_int_equal(error, EINVAL);
    assert_null(g);
    assert_non_null(err);
    snprintf(want, sizeof want, "bad.gml:%d:", line);
    if (strncmp(err, want, strlen(want)) || !strstr(err, words)) {
        fail_msg("expected '%s ... %s', got '%s'", want, words, err);
    }
    free(err);
}

static void
test_malformed(void **state)
{
    (void) state;
    expect_error("graph [\n  node [\n    id 0\n    label \"x\n  ]\n]\n", 4,
                 "not terminated");
    expect_error("graph [\n  node [ id 0 ]\n  node [ id 1 ]\n", 1, "never closed");
    expect_error("graph [\n  node [ id 0 ]\n  edge [ source 0 target 7 ]\n]\n", 3,
                 "names no node");
    expect_error("graph [\n  node [ label \"a\" ]\n]\n", 2, "without a numeric id");
    expect_error("graph [\n node [ id 0 ]\n node [ id 0 ]\n]\n", 3, "duplicate node id");
    expect_error("graph [\n node [ id 0 ]\n\n edge [ source 0 ]\n]\n", 4, "without target");
    expect_error("graph [\n node [ id 1.5x ]\n]\n", 2, "malformed number");
    expect_error("graph [\n node [ id 0 @ ]\n]\n", 2, "unexpected character");
    expect_error("graph [\n  \"key\" 1\n]\n", 2, "expected a key");
    expect_error("Creator \"me\"\n", 2, "no 'graph");
    expect_error("graph [\n node [ id 0 ]\n]\n]\n", 4, "without a matching");
    /* Refused when read, not when a distance is computed later on. */
    expect_error("graph [\n node [ id 0\n  Latitude 1000 Longitude 0 ]\n]\n", 3,
                 "node Latitude 1000 is out of range [-90, 90]");
    expect_error("graph [\n node [ id 0 Latitude 0 Longitude -181 ]\n]\n", 2,
                 "node Longitude -181 is out of range");
    expect_error("Creator \"me\"\ngraph [\n  directed 0\n]\n", 2,
                 "the graph has no nodes");
}

static void
test_tolerant(void **state)
{
    struct graph *g;
    char *err;
    double v;
    (void) state;
    /* Comments, nested lists, edges before nodes, directed flag, UTF-8. */
    const char *text =
        "# a comment\n"
        "Creator \"x\"\n"
        "graph [\n"
        "  directed 1\n"
        "  edge [ source 5 target 7 LinkLabel \"<10 Gbps\" ]\n"
        "  node [ id 5 label \"Z\xc3\xbcrich\" graphics [ x 1.5 y -2 ] ]\n"
        "  node [ id 7 label \"B\" ]\n"
        "  edge [ source 7 target 5 ]\n"
        "]\n";
    assert_int_equal(gml_read_string(text, "ok.gml", &g, &err), 0);
    assert_int_equal(graph_n_nodes(g), 2);
    assert_int_equal(graph_n_edges(g), 2);
    assert_string_equal(graph_node_label(g, 0), "Z\xc3\xbcrich");
    assert_true(graph_node_get_num(g, 0, "graphics.x", &v) && v == 1.5);
    assert_int_equal(graph_find_node_by_id(g, 7), 1);
    assert_string_equal(graph_edge_get_str(g, 0, "LinkLabel"), "<10 Gbps");
    size_t n;
    const struct graph_adj *adj = graph_adj(g, 0, &n);
    assert_int_equal(n, 2);
    assert_int_equal(adj[0].neighbor, 1);
    graph_destroy(g);

    /* A missing file names the file and the system error. */
    assert_int_equal(gml_read_file("/nonexistent/x.gml", &g, &err), ENOENT);
    assert_non_null(strstr(err, "/nonexistent/x.gml"));
    free(err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zoo_files_load),
        cmocka_unit_test(test_zoo_quirks),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_tolerant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
