/* The simulator's metrics on a tiny hand-made instance, and the reader's
 * errors. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <unistd.h>

#include "vne.h"
#include "vne_check.h"
#include "vne_instance.h"
#include "vne_sim.h"

#define TINY LAMINA_SRCDIR "/embedding/tests/tiny-hand.json"

/* tiny-hand.json: substrate 0 - 1 - 2, CPU 10, 0, 10, bandwidth 10 on
 * both links.  Node 1 has no CPU, so a two-node request must sit on 0 and
 * 2, its link on the 2-hop path: every correct algorithm does the same.
 *
 *   req  arrival life  demand                 outcome
 *   0    0       10    cpu 4+4, bw 6         accepted: rev 14, cost 8+12 = 20
 *   1    2       4     cpu 6+6, bw 4         accepted (exactly fits): rev 16, cost 12+8 = 20
 *   2    3       5     cpu 1                  rejected: no CPU left anywhere
 *   3    6       1     cpu 6                  rejected: arrives before 1 leaves at 6
 *   4    10      2     cpu 10+10, bw 10       rejected: arrives before 0 leaves at 10
 *   5    10.5    3     cpu 10+10, bw 10       accepted: rev 30, cost 20+20 = 40
 *
 * RAC = 3/6 = 0.5.
 * sum rev x life = 14*10 + 16*4 + 30*3 = 294; sum cost x life = 20*10 +
 * 20*4 + 40*3 = 400; LRC = 294/400 = 0.735.
 * Departures: 0 at 10, 1 at 6, 2 at 8, 3 at 7, 4 at 12, 5 at 13.5; the last
 * event is request 5's departure, so T = its arrival 10.5, LAR = 294/10.5
 * = 28. */
static void
test_tiny_metrics(void **state)
{
    struct vne_instance *inst;
    char *err;
    (void) state;

    if (vne_instance_read(TINY, &inst, &err)) {
        fail_msg("%s", err);
    }
    for (const struct vne_algo_class *const *c = vne_algo_classes; *c; c++) {
        struct vne_algo *algo;
        struct vne_sim_result r;
        assert_int_equal(vne_algo_create(*c, inst->sub, NULL, &algo), 0);
        if (vne_sim_run(inst, algo, NULL, &r, &err)) {
            fail_msg("%s: %s", (*c)->name, err);
        }
        if (r.accepted != 3 || !r.accepted_flags[0] || !r.accepted_flags[1]
            || !r.accepted_flags[5]) {
            fail_msg("%s accepted %u", (*c)->name, r.accepted);
        }
        assert_int_equal(r.arrived, 6);
        assert_float_equal(r.rac, 0.5, 1e-12);
        assert_float_equal(r.lrc, 0.735, 1e-12);
        assert_float_equal(r.T, 10.5, 1e-12);
        assert_float_equal(r.lar, 28.0, 1e-12);
        assert_float_equal(r.revenue_sum, 60, 1e-12);
        assert_float_equal(r.cost_sum, 80, 1e-12);
        assert_int_equal(r.rejects[VNE_REJECT_CPU], 3);

        /* The checker agrees. */
        const struct vne_mapping *maps[6];
        for (int i = 0; i < 6; i++) {
            maps[i] = r.accepted_flags[i] ? &r.maps[i] : NULL;
        }
        struct vne_check_report rep;
        assert_true(vne_check_run(inst, maps, &rep));
        assert_float_equal(rep.rac, 0.5, 1e-12);
        assert_float_equal(rep.lrc, 0.735, 1e-12);
        assert_float_equal(rep.lar, 28.0, 1e-12);
        vne_check_report_clear(&rep);

        vne_sim_result_clear(&r);
        vne_algo_destroy(algo);
    }
    vne_instance_destroy(inst);
}

/* The checker catches what the semantics forbid. */
static void
test_checker_catches(void **state)
{
    struct vne_instance *inst;
    char *err;
    (void) state;
    assert_int_equal(vne_instance_read(TINY, &inst, &err), 0);

    struct vne_mapping m0, m1;
    uint32_t path[3] = { 0, 1, 2 };
    vne_mapping_init(&m0, &inst->reqs[0]);
    m0.host[0] = 0;
    m0.host[1] = 2;
    vne_mapping_set_path(&m0, inst->sub, 0, path, 3);
    /* Request 1 also accepted, but on the same substrate node twice. */
    vne_mapping_init(&m1, &inst->reqs[1]);
    m1.host[0] = 0;
    m1.host[1] = 0;
    vne_mapping_set_path(&m1, inst->sub, 0, path, 3);

    const struct vne_mapping *maps[6] = { &m0, &m1, NULL, NULL, NULL, NULL };
    struct vne_check_report rep;
    assert_false(vne_check_run(inst, maps, &rep));
    assert_non_null(strstr(rep.first_error, "both on"));
    vne_check_report_clear(&rep);

    /* Over capacity: request 2 (cpu 1) while 0 and 1 fill nodes 0 and 2. */
    m1.host[1] = 2;
    struct vne_mapping m2;
    vne_mapping_init(&m2, &inst->reqs[2]);
    m2.host[0] = 2;
    const struct vne_mapping *maps2[6] = { &m0, &m1, &m2, NULL, NULL, NULL };
    assert_false(vne_check_run(inst, maps2, &rep));
    assert_non_null(strstr(rep.first_error, "over its CPU"));
    vne_check_report_clear(&rep);

    /* A path that does not end at the host. */
    uint32_t short_path[2] = { 0, 1 };
    vne_mapping_set_path(&m1, inst->sub, 0, short_path, 2);
    const struct vne_mapping *maps3[6] = { NULL, &m1, NULL, NULL, NULL, NULL };
    assert_false(vne_check_run(inst, maps3, &rep));
    assert_non_null(strstr(rep.first_error, "hosts are"));
    vne_check_report_clear(&rep);

    vne_mapping_clear(&m0);
    vne_mapping_clear(&m1);
    vne_mapping_clear(&m2);
    vne_instance_destroy(inst);
}

static void
expect_reader_error(const char *json, const char *words)
{
    char path[] = "/tmp/vne-test-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs(json, f);
    fclose(f);
    struct vne_instance *inst;
    char *err = NULL;
    assert_int_not_equal(vne_instance_read(path, &inst, &err), 0);
    if (!err || !strstr(err, words)) {
        fail_msg("expected '%s', got '%s'", words, err ? err : "(null)");
    }
    free(err);
    unlink(path);
}

static void
test_reader_errors(void **state)
{
    (void) state;
    expect_reader_error("{\"format\": \"lamina-vne-instance/1\",\n \"substrate\": {\n",
                        ":3:");
    expect_reader_error("{\"format\": \"other\"}", "format");
    expect_reader_error("{\"format\": \"lamina-vne-instance/1\", \"substrate\": "
                        "{\"nodes\": [{\"id\": 0, \"cpu\": 5}, {\"id\": 1, \"cpu\": 5}], "
                        "\"links\": [{\"src\": 0, \"dst\": 2, \"bw\": 1}]}, \"requests\": []}",
                        "substrate.links[0]: dst 2 is not a node");
    expect_reader_error("{\"format\": \"lamina-vne-instance/1\", \"substrate\": "
                        "{\"nodes\": [{\"id\": 0, \"cpu\": 5}, {\"id\": 1, \"cpu\": 5}], "
                        "\"links\": [{\"src\": 0, \"dst\": 1, \"bw\": 1}]}, \"requests\": "
                        "[{\"id\": 0, \"arrival\": 1.0, \"lifetime\": 2.0, \"nodes\": "
                        "[{\"id\": 0, \"cpu\": -1}], \"links\": []}]}",
                        "requests[0].nodes[0]: \"cpu\" must be an integer");
    expect_reader_error("{\"format\": \"lamina-vne-instance/1\", \"substrate\": "
                        "{\"nodes\": [{\"id\": 0, \"cpu\": 5}, {\"id\": 1, \"cpu\": 5}], "
                        "\"links\": [{\"src\": 0, \"dst\": 1, \"bw\": 1}, "
                        "{\"src\": 1, \"dst\": 0, \"bw\": 1}]}, \"requests\": []}",
                        "listed twice");
    /* A lifetime of 1e308 made revenue x lifetime infinite. */
    expect_reader_error("{\"format\": \"lamina-vne-instance/1\", \"substrate\": "
                        "{\"nodes\": [{\"id\": 0, \"cpu\": 5}], \"links\": []}, "
                        "\"requests\": [{\"id\": 0, \"arrival\": 1.0, "
                        "\"lifetime\": 1e308, \"nodes\": [{\"id\": 0, "
                        "\"cpu\": 1}], \"links\": []}]}",
                        "requests[0]: \"lifetime\" 1e+308 is larger than 1e+09");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiny_metrics),
        cmocka_unit_test(test_checker_catches),
        cmocka_unit_test(test_reader_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
