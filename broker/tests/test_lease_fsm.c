/* Unit tests of the lease state machine: every transition in the table is
 * accepted, every other pair of states is refused with both names in the
 * error, overdue leases go where the essay says, and docs/broker.md shows
 * the table exactly as the code declares it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brk_error.h"
#include "lease_fsm.h"

/* Every (from, to) pair: allowed ones move the lease, others are refused
 * and leave it unchanged. */
static void
test_exhaustive(void **state)
{
    struct lease_fsm_config cfg;
    size_t n_allowed = 0;

    (void) state;
    lease_fsm_config_default(&cfg);
    for (int from = 0; from < LEASE_N_STATES; from++) {
        for (int to = 0; to < LEASE_N_STATES; to++) {
            struct lease_fsm f = { .state = from, .deadline = 77, .start = 0 };
            struct brk_error err = { "" };
            int error = lease_fsm_transition(&f, &cfg, to, 1000, &err);
            if (lease_transition_allowed(from, to)) {
                n_allowed++;
                assert_int_equal(error, 0);
                assert_int_equal(f.state, to);
                assert_int_equal(f.deadline,
                                 lease_state_is_transitional(to)
                                 ? 1000 + cfg.timeout[to] : 0);
            } else {
                char want[128];
                snprintf(want, sizeof want, "%s -> %s",
                         lease_state_name(from), lease_state_name(to));
                assert_int_equal(error, EPERM);
                assert_int_equal(f.state, from);
                assert_int_equal(f.deadline, 77);
                assert_non_null(strstr(err.msg, want));
            }
        }
    }
    assert_int_equal(n_allowed, lease_n_transitions());
    /* Out-of-range targets are refused too. */
    struct lease_fsm f = { .state = LEASE_ACTIVE };
    assert_int_equal(lease_fsm_transition(&f, &cfg, LEASE_N_STATES, 0, NULL),
                     EPERM);
    assert_int_equal(lease_fsm_transition(&f, &cfg, -1, 0, NULL), EPERM);
}

/* Final states have no way out; every other state has one; every state is
 * reachable from 'requested'; names round-trip. */
static void
test_shape(void **state)
{
    bool reached[LEASE_N_STATES] = { [LEASE_REQUESTED] = true };

    (void) state;
    for (int s = 0; s < LEASE_N_STATES; s++) {
        int out = 0;
        for (int t = 0; t < LEASE_N_STATES; t++) {
            out += lease_transition_allowed(s, t);
        }
        assert_true(lease_state_is_final(s) ? out == 0 : out > 0);
        enum lease_state back;
        assert_int_equal(lease_state_from_name(lease_state_name(s), &back), 0);
        assert_int_equal(back, s);
    }
    for (int round = 0; round < LEASE_N_STATES; round++) {
        for (int s = 0; s < LEASE_N_STATES; s++) {
            for (int t = 0; t < LEASE_N_STATES; t++) {
                if (reached[s] && lease_transition_allowed(s, t)) {
                    reached[t] = true;
                }
            }
        }
    }
    for (int s = 0; s < LEASE_N_STATES; s++) {
        assert_true(reached[s]);
    }
    enum lease_state x;
    assert_int_equal(lease_state_from_name("actve", &x), EINVAL);
}

/* Each transitional state, past its deadline, must become the state the
 * table names, through an allowed transition. */
static void
test_overdue(void **state)
{
    struct lease_fsm_config cfg;
    struct lease_fsm f[LEASE_N_STATES + 1];
    struct lease_overdue out[LEASE_N_STATES + 1];

    (void) state;
    lease_fsm_config_default(&cfg);
    cfg.timeout[LEASE_HELD] = 5;        /* a configured hold lifetime */
    for (int s = 0; s < LEASE_N_STATES; s++) {
        f[s].state = s;
        f[s].deadline = lease_state_is_transitional(s) ? 100 : 0;
        f[s].start = 50;
    }
    /* A commit whose lease starts later rolls forward to scheduled. */
    f[LEASE_N_STATES] = (struct lease_fsm) { LEASE_COMMITTING, 100, 500 };

    /* Nothing is overdue before the deadline. */
    assert_int_equal(lease_fsm_overdue(f, LEASE_N_STATES + 1, 99, out), 0);

    size_t n = lease_fsm_overdue(f, LEASE_N_STATES + 1, 100, out);
    assert_int_equal(n, 7);
    for (size_t i = 0; i < n; i++) {
        assert_true(lease_transition_allowed(out[i].from, out[i].to));
        assert_true(strlen(out[i].action) > 0);
        switch (out[i].from) {
        case LEASE_REQUESTED: case LEASE_HELD:
            assert_int_equal(out[i].to, LEASE_ABORTING);
            break;
        case LEASE_COMMITTING:
            assert_int_equal(out[i].to, out[i].index == LEASE_N_STATES
                             ? LEASE_SCHEDULED : LEASE_ACTIVE);
            break;
        case LEASE_RENEWING:
            assert_int_equal(out[i].to, LEASE_ACTIVE);
            break;
        case LEASE_RELEASING:
            assert_int_equal(out[i].to, LEASE_ENDED);
            break;
        case LEASE_ABORTING:
            assert_int_equal(out[i].to, LEASE_FAILED);
            break;
        default:
            fail_msg("stable state %s reported overdue",
                     lease_state_name(out[i].from));
        }
    }

    /* The configured hold lifetime sets the deadline of 'held'. */
    struct lease_fsm g;
    lease_fsm_init(&g, &cfg, 10, 1000);
    assert_int_equal(g.state, LEASE_REQUESTED);
    assert_int_equal(g.deadline, 1030);
    assert_int_equal(lease_fsm_transition(&g, &cfg, LEASE_HELD, 1001, NULL), 0);
    assert_int_equal(g.deadline, 1006);
    assert_int_equal(lease_fsm_overdue(&g, 1, 1005, out), 0);
    assert_int_equal(lease_fsm_overdue(&g, 1, 1006, out), 1);
}

/* docs/broker.md carries the tables exactly as generated. */
static void
test_doc_lists_every_state(void **state)
{
    const char *path = LAMINA_SRCDIR "/docs/broker.md";
    FILE *f = fopen(path, "r");
    char *doc = NULL;
    size_t size = 0;

    (void) state;
    if (!f) {
        fail_msg("cannot open %s", path);
    }
    FILE *mem = open_memstream(&doc, &size);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        fwrite(buf, 1, n, mem);
    }
    fclose(f);
    fclose(mem);

    char *table = lease_fsm_table_markdown();
    if (!strstr(doc, table)) {
        fail_msg("docs/broker.md does not carry the state table as the "
                 "code declares it; paste this:\n%s", table);
    }
    free(table);
    free(doc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exhaustive),
        cmocka_unit_test(test_shape),
        cmocka_unit_test(test_overdue),
        cmocka_unit_test(test_doc_lists_every_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
