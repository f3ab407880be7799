/*
 * Unit tests of topologies/: the file format (good files, malformed ones
 * naming the line), the Topology Zoo import (every map of
 * data/topology-zoo, malformed GML, great-circle delays, odd files), the
 * generators, shortest paths and the default slice's plan.
 */
#include <errno.h>
#include <glob.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gml.h"
#include "graph.h"
#include "topo.h"
#include "topo_part.h"
#include "topo_slice.h"

static struct topo *
parse_ok(const char *text)
{
    struct topo *t = NULL;
    char *err = NULL;
    int error = topo_parse_string(text, "t.topo", &t, &err);

    if (error) {
        fail_msg("unexpected parse error: %s", err);
    }
    assert_null(err);
    return t;
}

/* Parses 'text', expects failure, and checks the message holds 'want'. */
static void
parse_bad(const char *text, const char *want)
{
    struct topo *t = NULL;
    char *err = NULL;
    int error = topo_parse_string(text, "t.topo", &t, &err);

    assert_int_not_equal(error, 0);
    assert_null(t);
    assert_non_null(err);
    if (!strstr(err, want)) {
        fail_msg("message \"%s\" lacks \"%s\"", err, want);
    }
    free(err);
}

static void
test_parse_good(void **state)
{
    (void) state;
    struct topo *t = parse_ok(
        "# a comment\n"
        "topology demo\n"
        "defaults link rate=10G delay=100us\n"
        "defaults host rate=1G\n"
        "switch a cpu=200 label=\"New York # not a comment\" lat=40.7 lon=-74\n"
        "switch b   # trailing comment\n"
        "\n"
        "link a b\n"
        "link a b rate=100M delay=2.5ms loss=0.5% queue=64 name=slow\n"
        "host h1 a ip=10.1.0.1/24 mac=02:00:00:00:00:aa\n"
        "host h2 b delay=1ms loss=1000ppm\n");

    assert_string_equal(t->name, "demo");
    assert_int_equal(t->n_sw, 2);
    assert_string_equal(t->sw[0].label, "New York # not a comment");
    assert_true(t->sw[0].cpu == 200);
    assert_true(t->sw[1].cpu == 100);
    assert_true(t->sw[0].has_coords);
    assert_false(t->sw[1].has_coords);
    assert_int_equal(t->n_links, 2);
    assert_string_equal(t->links[0].name, "a-b");
    assert_int_equal(t->links[0].props.rate_bps, 10000000000ull);
    assert_int_equal(t->links[0].props.delay_us, 100);
    assert_string_equal(t->links[1].name, "slow");
    assert_int_equal(t->links[1].props.rate_bps, 100000000);
    assert_int_equal(t->links[1].props.delay_us, 2500);
    assert_int_equal(t->links[1].props.loss_ppm, 5000);
    assert_int_equal(t->links[1].props.queue, 64);
    assert_int_equal(t->n_hosts, 2);
    assert_string_equal(t->hosts[0].ip, "10.1.0.1/24");
    assert_string_equal(t->hosts[0].mac, "02:00:00:00:00:aa");
    assert_int_equal(t->hosts[0].props.rate_bps, 1000000000);
    /* An address and a MAC are given to hosts without one. */
    assert_string_equal(t->hosts[1].ip, "10.0.0.1/16");
    assert_non_null(t->hosts[1].mac);
    assert_int_equal(t->hosts[1].props.delay_us, 1000);
    assert_int_equal(t->hosts[1].props.loss_ppm, 1000);
    assert_int_equal(graph_n_edges(t->g), 2);
    topo_destroy(t);
}

static void
test_parse_bad(void **state)
{
    (void) state;
    parse_bad("switch a\nswitch b\nrouter c\n",
              "t.topo:3: unknown keyword \"router\"");
    parse_bad("switch a\nswitch b\nlink a b rate=fast\n",
              "t.topo:3: link a b: rate \"fast\"");
    parse_bad("switch a\nlink a b\n", "t.topo:2: link a b: no switch \"b\"");
    parse_bad("switch a\nswitch a\n", "t.topo:2: switch a: declared twice");
    parse_bad("switch a label=\"open\n", "t.topo:1: unterminated string");
    parse_bad("switch a lat=10\n", "t.topo:1: switch a: give both lat");
    parse_bad("switch a\nlink a a\n", "t.topo:2: link a a: both ends");
    parse_bad("switch a\n\nhost h1 a ip=10.0.0.1\nhost h2 a ip=10.0.0.1/8\n",
              "t.topo:4: host h2: ip 10.0.0.1 is also host h1's");
    parse_bad("switch a\nhost h1 a ip=10.0.0.300\n", "t.topo:2: host h1: ip");
    parse_bad("switch a\nhost h1 a mac=01:00:00:00:00:01\n",
              "t.topo:2: host h1: mac");
    /* A MAC the file gives is not given again to a host without one. */
    {
        struct topo *t;
        char *err = NULL;
        assert_int_equal(topo_parse_string("switch a\n"
                                           "host h1 a mac=02:00:00:00:00:02\n"
                                           "host h2 a\n", "t.topo", &t, &err), 0);
        assert_string_equal(t->hosts[0].mac, "02:00:00:00:00:02");
        assert_string_equal(t->hosts[1].mac, "02:00:00:00:00:03");
        topo_destroy(t);
    }
    /* A key given twice on a line used to take the last value silently. */
    parse_bad("switch a\nswitch b\nlink a b rate=1G delay=1ms rate=10M\n",
              "t.topo:3: link a b: key \"rate\" given twice");
    parse_bad("switch a cpu=1 cpu=2\n", "t.topo:1: switch a: key \"cpu\" given twice");
    parse_bad("switch a\nhost h1 a ip=10.0.0.1/24 ip=10.0.0.2/24\n",
              "t.topo:2: host h1: key \"ip\" given twice");
    parse_bad("defaults link delay=1ms delay=2ms\n",
              "t.topo:1: defaults: key \"delay\" given twice");
    parse_bad("switch a\nhost h1 a colour=red\n",
              "t.topo:2: host h1: unknown key \"colour\"");
    parse_bad("switch a\nswitch b\nlink a b delay=-1ms\n",
              "t.topo:3: link a b: delay");
    parse_bad("switch a\nswitch b\nlink a b loss=200%\n",
              "t.topo:3: link a b: loss");
    parse_bad("switch a\nswitch b\nlink a b queue=x\n",
              "t.topo:3: link a b: queue");
    parse_bad("switch bad/name\n", "t.topo:1: switch name \"bad/name\"");
    parse_bad("switch a\nhost a a\n", "t.topo:2: host a: a switch has that name");
    parse_bad("defaults link speed=1G\n", "t.topo:1: defaults link: unknown key");
    parse_bad("switch a\nswitch b\nlink a b rate\n",
              "t.topo:3: link a b: \"rate\": expected key=value");
    parse_bad("# nothing\n", "no switch");
}

/* Writing a topology and parsing it back gives the same topology. */
static void
test_write_roundtrip(void **state)
{
    (void) state;
    struct topo *t = parse_ok(
        "topology rt\nswitch a label=\"Saint-Étienne \\\"x\\\"\" lat=45.4 lon=4.39\n"
        "switch b\nlink a b rate=1.5G delay=7us loss=1ppm queue=9\n"
        "link b a name=back\nhost h a delay=3ms\n");
    struct topo *u;
    char *text, *err;
    size_t len;
    FILE *f = open_memstream(&text, &len);

    topo_write(t, f);
    fclose(f);
    assert_int_equal(topo_parse_string(text, "w", &u, &err), 0);
    assert_string_equal(u->name, "rt");
    assert_string_equal(u->sw[0].label, t->sw[0].label);
    assert_true(fabs(u->sw[0].lat - 45.4) < 1e-4);
    assert_int_equal(u->n_links, 2);
    assert_int_equal(u->links[0].props.rate_bps, 1500000000);
    assert_int_equal(u->links[0].props.delay_us, 7);
    assert_int_equal(u->links[0].props.loss_ppm, 1);
    assert_int_equal(u->links[0].props.queue, 9);
    assert_string_equal(u->links[1].name, "back");
    assert_string_equal(u->hosts[0].ip, t->hosts[0].ip);
    assert_string_equal(u->hosts[0].mac, t->hosts[0].mac);
    assert_int_equal(u->hosts[0].props.delay_us, 3000);
    free(text);
    topo_destroy(t);
    topo_destroy(u);
}

static void
test_great_circle(void **state)
{
    (void) state;
    /* London - Paris: 343.5 km; New York - Chicago: about 1145 km. */
    double km = topo_great_circle_km(51.5074, -0.1278, 48.8566, 2.3522);
    assert_true(km > 341 && km < 346);
    km = topo_great_circle_km(40.71427, -74.00597, 41.85003, -87.65005);
    assert_true(km > 1140 && km < 1150);
    assert_true(topo_great_circle_km(10, 20, 10, 20) == 0);
}

static void
test_import_every_map(void **state)
{
    (void) state;
    glob_t g;
    size_t n_maps = 0;

    assert_int_equal(glob(TOPO_DATADIR "/*.gml", 0, NULL, &g), 0);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct topo_import_opts opts = { .rate_bps = 1000000000,
                                         .host_per_switch = true };
        struct graph *gr;
        struct topo *t, *u;
        char *err = NULL, *text;
        size_t len;
        FILE *warn = fopen("/dev/null", "w"), *f;

        if (gml_read_file(g.gl_pathv[i], &gr, &err)) {
            fail_msg("%s: %s", g.gl_pathv[i], err);
        }
        if (topo_from_graph(gr, "map", &opts, warn, &t, &err)) {
            fail_msg("%s: %s", g.gl_pathv[i], err);
        }
        fclose(warn);
        assert_int_equal(t->n_sw, graph_n_nodes(gr));
        assert_int_equal(t->n_hosts, t->n_sw);
        assert_true(t->n_links > 0 && t->n_links <= graph_n_edges(gr));
        /* What the import writes, the parser reads. */
        f = open_memstream(&text, &len);
        topo_write(t, f);
        fclose(f);
        if (topo_parse_string(text, g.gl_pathv[i], &u, &err)) {
            fail_msg("%s written back: %s", g.gl_pathv[i], err);
        }
        assert_int_equal(u->n_links, t->n_links);
        free(text);
        topo_destroy(u);
        topo_destroy(t);
        graph_destroy(gr);
        n_maps++;
    }
    globfree(&g);
    assert_true(n_maps >= 3);
}

static void
test_import_abilene_delay(void **state)
{
    (void) state;
    struct topo_import_opts opts = { .rate_bps = 1000000000 };
    struct graph *gr;
    struct topo *t;
    char *err;
    size_t l;

    assert_int_equal(gml_read_file(TOPO_DATADIR "/Abilene.gml", &gr, &err), 0);
    assert_int_equal(topo_from_graph(gr, "abilene", &opts, NULL, &t, &err), 0);
    l = SIZE_MAX;
    for (size_t i = 0; i < t->n_links; i++) {
        if (!strcmp(t->links[i].name, "s0-s1")) {
            l = i;
        }
    }
    assert_true(l != SIZE_MAX);
    /* New York - Chicago, 1145.8 km at 5 us/km. */
    assert_true(t->links[l].props.delay_us >= 5700
                && t->links[l].props.delay_us <= 5760);
    assert_int_equal(t->links[l].props.rate_bps, 1000000000);
    assert_int_equal(t->n_hosts, 0);
    topo_destroy(t);
    graph_destroy(gr);
}

static void
test_import_odd_graph(void **state)
{
    (void) state;
    const char *gml =
        "graph [\n"
        "  node [ id 0 label \"A\" Latitude 0 Longitude 0 ]\n"
        "  node [ id 1 label \"B\" Latitude 0 Longitude 1 ]\n"
        "  node [ id 7 label \"nowhere\" ]\n"
        "  edge [ source 0 target 1 ]\n"
        "  edge [ source 1 target 0 LinkLabel \"again\" ]\n"
        "  edge [ source 1 target 7 ]\n"
        "  edge [ source 7 target 7 ]\n"
        "]\n";
    struct topo_import_opts opts = { .default_delay_us = 777 };
    struct graph *gr;
    struct topo *t;
    char *err, *warnings;
    size_t len;
    FILE *warn = open_memstream(&warnings, &len);

    assert_int_equal(gml_read_string(gml, "odd.gml", &gr, &err), 0);
    assert_int_equal(topo_from_graph(gr, "odd", &opts, warn, &t, &err), 0);
    fclose(warn);
    assert_non_null(strstr(warnings, "parallel"));
    assert_non_null(strstr(warnings, "merged"));
    assert_non_null(strstr(warnings, "7 (nowhere) has no coordinates"));
    assert_non_null(strstr(warnings, "loop"));
    /* 1 degree of longitude on the equator: 111.2 km, 556 us. */
    assert_int_equal(t->n_links, 2);
    assert_true(t->links[0].props.delay_us >= 550
                && t->links[0].props.delay_us <= 560);
    assert_int_equal(t->links[1].props.delay_us, 777);
    assert_string_equal(t->sw[2].name, "s7");
    free(warnings);
    topo_destroy(t);

    /* Kept rather than merged. */
    opts.keep_parallel = true;
    assert_int_equal(topo_from_graph(gr, "odd", &opts, NULL, &t, &err), 0);
    assert_int_equal(t->n_links, 3);
    assert_string_equal(t->links[1].name, "s1-s0");
    topo_destroy(t);

    /* Hosts spread over the map: the two ends first. */
    opts.keep_parallel = false;
    opts.n_hosts = 2;
    assert_int_equal(topo_from_graph(gr, "odd", &opts, NULL, &t, &err), 0);
    assert_int_equal(t->n_hosts, 2);
    topo_destroy(t);
    graph_destroy(gr);
}

static void
test_import_malformed_gml(void **state)
{
    (void) state;
    struct graph *gr = NULL;
    char *err = NULL;

    assert_int_not_equal(gml_read_string("graph [\n  node [ id 0 ]\n"
                                         "  edge [ source 0 target 9 ]\n]\n",
                                         "bad.gml", &gr, &err), 0);
    assert_null(gr);
    assert_non_null(strstr(err, "bad.gml:3"));
    free(err);
    assert_int_not_equal(gml_read_string("graph [\n  node [ id 0\n",
                                         "cut.gml", &gr, &err), 0);
    assert_non_null(strstr(err, "cut.gml:"));
    free(err);
}

/* topo_partition(): METIS's balanced minimum cut on maps whose best
 * split is known, a map from the examples, and bad machine counts. */
static void
test_partition(void **state)
{
    (void) state;
    struct topo_props p = { .rate_bps = 1000000000, .delay_us = 10 };
    struct topo *t = topo_gen_ring(8, &p);
    int part[64], count[4] = { 0 };
    char *err = NULL;

    /* A ring in two: two cut links, four switches each. */
    assert_int_equal(topo_partition(t, 2, part, &err), 0);
    assert_int_equal(topo_partition_cut(t, part), 2);
    for (size_t i = 0; i < t->n_sw; i++) {
        count[part[i]]++;
    }
    assert_int_equal(count[0], 4);
    assert_int_equal(count[1], 4);
    /* One machine: nothing cut. */
    assert_int_equal(topo_partition(t, 1, part, &err), 0);
    assert_int_equal(topo_partition_cut(t, part), 0);
    /* More machines than switches: refused with the numbers. */
    assert_int_equal(topo_partition(t, 9, part, &err), EINVAL);
    assert_non_null(strstr(err, "8 switches"));
    free(err);
    topo_destroy(t);

    /* A line of 10 in two: one cut link. */
    t = topo_gen_line(10, &p);
    assert_int_equal(topo_partition(t, 2, part, &err), 0);
    assert_int_equal(topo_partition_cut(t, part), 1);
    topo_destroy(t);

    /* Abilene (11 switches, 14 links) over three machines: each gets
     * switches, the cut is small, and the split is the same every time. */
    assert_int_equal(topo_parse_file(TOPO_EXAMPLES "/examples/abilene.topo", &t, &err), 0);
    int again[64];
    memset(count, 0, sizeof count);
    assert_int_equal(topo_partition(t, 3, part, &err), 0);
    assert_int_equal(topo_partition(t, 3, again, &err), 0);
    assert_memory_equal(part, again, t->n_sw * sizeof *part);
    for (size_t i = 0; i < t->n_sw; i++) {
        assert_in_range(part[i], 0, 2);
        count[part[i]]++;
    }
    for (int i = 0; i < 3; i++) {
        assert_in_range(count[i], 2, 6);
    }
    assert_in_range(topo_partition_cut(t, part), 2, 6);
    topo_destroy(t);
}

static void
test_generators(void **state)
{
    (void) state;
    struct topo_props p = { .rate_bps = 1000000000, .delay_us = 10 };
    struct topo *t = topo_gen_fattree(4, &p);

    assert_int_equal(t->n_sw, 20);
    assert_int_equal(t->n_links, 32);
    assert_int_equal(t->n_hosts, 16);
    assert_int_equal(graph_n_components(t->g), 1);
    topo_destroy(t);
    t = topo_gen_ring(5, &p);
    assert_int_equal(t->n_links, 5);
    assert_int_equal(t->n_hosts, 5);
    topo_destroy(t);
    t = topo_gen_line(3, &p);
    assert_int_equal(t->n_links, 2);
    topo_destroy(t);
}

static void
test_shortest_paths(void **state)
{
    (void) state;
    struct topo *t = parse_ok("switch a\nswitch b\nswitch c\nswitch d\n"
                              "link a b delay=1ms\nlink b c delay=1ms\n"
                              "link a d delay=5ms\nlink d c delay=1ms\n");
    uint64_t dist[4];
    size_t prev[4], path[4], n;

    topo_shortest_paths(t, 0, NULL, dist, prev);
    assert_int_equal(dist[2], 2000);
    assert_int_equal(dist[3], 3000);            /* a b c d, not a d */
    n = topo_path_to(t, prev, 0, 3, path);
    assert_int_equal(n, 4);
    assert_int_equal(path[1], 1);
    assert_int_equal(path[3], 3);
    topo_destroy(t);
}

static void
test_slice_plan(void **state)
{
    (void) state;
    struct topo_props p = { .delay_us = 100 };
    struct topo *t = topo_gen_ring(6, &p);
    struct topo_slice_plan plan;
    size_t path[6], n;

    topo_slice_plan(t, TOPO_SLICE_AUTO, true, &plan);
    assert_int_equal(plan.mode, TOPO_SLICE_MESH);
    assert_true(plan.split_horizon);
    assert_int_equal(plan.n_vnodes, 6);
    assert_int_equal(plan.n_vlinks, 15);
    n = topo_slice_route(t, &plan, 0, 3, path);
    assert_int_equal(n, 4);                     /* three hops either way */
    n = topo_slice_route(t, &plan, 0, 5, path);
    assert_int_equal(n, 2);
    /* Each virtual link has a backup: the other way round the ring, which
     * shares no link with its path. */
    for (size_t i = 0; i < plan.n_vlinks; i++) {
        const struct topo_vlink *v = &plan.vlinks[i];
        assert_int_equal(v->n_path - 1 + v->n_backup - 1, 6);
        assert_int_equal(v->backup[0], v->path[0]);
        assert_int_equal(v->backup[v->n_backup - 1], v->path[v->n_path - 1]);
        for (size_t j = 0; j + 1 < v->n_backup; j++) {
            for (size_t k = 0; k + 1 < v->n_path; k++) {
                size_t a = v->backup[j], b = v->backup[j + 1];
                assert_false((a == v->path[k] && b == v->path[k + 1])
                             || (b == v->path[k] && a == v->path[k + 1]));
            }
        }
    }
    topo_slice_plan_destroy(&plan);

    /* Without split horizon: a tree, one virtual link per tree edge. */
    topo_slice_plan(t, TOPO_SLICE_AUTO, false, &plan);
    assert_int_equal(plan.mode, TOPO_SLICE_TREE);
    assert_false(plan.split_horizon);
    assert_int_equal(plan.n_vnodes, 6);
    assert_int_equal(plan.n_vlinks, 5);
    for (size_t i = 0; i < plan.n_vlinks; i++) {
        /* A tree edge's backup: the rest of the ring. */
        assert_int_equal(plan.vlinks[i].n_backup, 6);
    }
    for (size_t a = 0; a < 6; a++) {
        for (size_t b = 0; b < 6; b++) {
            assert_true(topo_slice_route(t, &plan, a, b, path) > 0);
        }
    }
    topo_slice_plan_destroy(&plan);
    topo_destroy(t);
}

static void
test_examples_parse(void **state)
{
    (void) state;
    glob_t g;

    assert_int_equal(glob(TOPO_EXAMPLES "/examples/*.topo", 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 6);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct topo *t;
        char *err;
        if (topo_parse_file(g.gl_pathv[i], &t, &err)) {
            fail_msg("%s", err);
        }
        assert_true(t->n_sw > 0);
        topo_destroy(t);
    }
    globfree(&g);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_write_roundtrip),
        cmocka_unit_test(test_great_circle),
        cmocka_unit_test(test_import_every_map),
        cmocka_unit_test(test_import_abilene_delay),
        cmocka_unit_test(test_import_odd_graph),
        cmocka_unit_test(test_import_malformed_gml),
        cmocka_unit_test(test_generators),
        cmocka_unit_test(test_partition),
        cmocka_unit_test(test_shortest_paths),
        cmocka_unit_test(test_slice_plan),
        cmocka_unit_test(test_examples_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
