#include "lease_fsm.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brk_error.h"
#include "util.h"

static const struct {
    const char *name;
    int64_t timeout;
    enum lease_state overdue;
    const char *doc;
} states[LEASE_N_STATES] = {
#define LEASE_STATE_ROW(ENUM, NAME, TIMEOUT, OVERDUE, DOC) \
    [LEASE_##ENUM] = { NAME, TIMEOUT, LEASE_##OVERDUE, DOC },
    LEASE_STATES(LEASE_STATE_ROW)
#undef LEASE_STATE_ROW
};

static const struct {
    enum lease_state from, to;
    const char *doc;
} transitions[] = {
#define LEASE_TRANSITION_ROW(FROM, TO, DOC) { LEASE_##FROM, LEASE_##TO, DOC },
    LEASE_TRANSITIONS(LEASE_TRANSITION_ROW)
#undef LEASE_TRANSITION_ROW
};

/* Returns the name of 's', or "?" for a value outside the table. */
const char *
lease_state_name(enum lease_state s)
{
    return (unsigned) s < LEASE_N_STATES ? states[s].name : "?";
}

/* Returns the one-line meaning of 's' from the table. */
const char *
lease_state_doc(enum lease_state s)
{
    return (unsigned) s < LEASE_N_STATES ? states[s].doc : "";
}

/* Parses state 'name' into '*s'. */
int
lease_state_from_name(const char *name, enum lease_state *s)
{
    for (int i = 0; i < LEASE_N_STATES; i++) {
        if (!strcmp(states[i].name, name)) {
            *s = i;
            return 0;
        }
    }
    return EINVAL;
}

/* A state with a deadline. */
bool
lease_state_is_transitional(enum lease_state s)
{
    return (unsigned) s < LEASE_N_STATES && states[s].timeout > 0;
}

/* No transition leaves a final state. */
bool
lease_state_is_final(enum lease_state s)
{
    return s == LEASE_ENDED || s == LEASE_FAILED;
}

/* The reason of transition 'from' -> 'to', or NULL if it is not allowed. */
const char *
lease_transition_doc(enum lease_state from, enum lease_state to)
{
    for (size_t i = 0; i < sizeof transitions / sizeof transitions[0]; i++) {
        if (transitions[i].from == from && transitions[i].to == to) {
            return transitions[i].doc;
        }
    }
    return NULL;
}

/* True if 'from' -> 'to' is in the table. */
bool
lease_transition_allowed(enum lease_state from, enum lease_state to)
{
    return lease_transition_doc(from, to) != NULL;
}

/* The number of rows of LEASE_TRANSITIONS. */
size_t
lease_n_transitions(void)
{
    return sizeof transitions / sizeof transitions[0];
}

/* The timeouts of the table into 'cfg'. */
void
lease_fsm_config_default(struct lease_fsm_config *cfg)
{
    for (int i = 0; i < LEASE_N_STATES; i++) {
        cfg->timeout[i] = states[i].timeout;
    }
}

/* Deadline of state 's' entered at 'now'. */
static int64_t
deadline_of(const struct lease_fsm_config *cfg, enum lease_state s,
            int64_t now)
{
    int64_t t = cfg ? cfg->timeout[s] : states[s].timeout;
    return states[s].timeout > 0 ? now + (t > 0 ? t : states[s].timeout) : 0;
}

/* A new lease 'fsm' in 'requested' at 'now', starting at 'start'. */
void
lease_fsm_init(struct lease_fsm *fsm, const struct lease_fsm_config *cfg,
               int64_t start, int64_t now)
{
    fsm->state = LEASE_REQUESTED;
    fsm->deadline = deadline_of(cfg, LEASE_REQUESTED, now);
    fsm->start = start;
}

/* Moves 'fsm' to 'to' at 'now' if the table allows it. */
int
lease_fsm_transition(struct lease_fsm *fsm, const struct lease_fsm_config *cfg,
                     enum lease_state to, int64_t now, struct brk_error *err)
{
    if ((unsigned) to >= LEASE_N_STATES
        || !lease_transition_allowed(fsm->state, to)) {
        return brk_error_set(err, EPERM,
                             "transition %s -> %s is not allowed",
                             lease_state_name(fsm->state),
                             lease_state_name(to));
    }
    fsm->state = to;
    fsm->deadline = deadline_of(cfg, to, now);
    return 0;
}

/* The leases of 'fsms' past their deadline at 'now', and what each must
 * become. */
size_t
lease_fsm_overdue(const struct lease_fsm *fsms, size_t n, int64_t now,
                  struct lease_overdue *out)
{
    size_t n_out = 0;

    for (size_t i = 0; i < n; i++) {
        const struct lease_fsm *f = &fsms[i];
        if (!lease_state_is_transitional(f->state) || f->deadline > now) {
            continue;
        }
        struct lease_overdue *o = &out[n_out++];
        o->index = i;
        o->from = f->state;
        o->to = states[f->state].overdue;
        switch (f->state) {
        case LEASE_REQUESTED:
            o->action = "abort: the prepare was never decided; "
                        "tell every InP asked to drop its hold";
            break;
        case LEASE_HELD:
            o->action = "abort: commit was not decided in time; "
                        "the holds lapse on the InPs anyway";
            break;
        case LEASE_COMMITTING:
            if (f->start > now) {
                o->to = LEASE_SCHEDULED;
            }
            o->action = "roll forward: the commit is decided; "
                        "retry the InPs that have not confirmed";
            break;
        case LEASE_RENEWING:
            o->action = "keep the old end: the renew was not granted "
                        "everywhere; undo it on the InPs that granted";
            break;
        case LEASE_RELEASING:
            o->action = "roll forward: the release is decided; "
                        "retry the InPs that still hold a part";
            break;
        case LEASE_ABORTING:
            o->action = "roll forward: the abort is decided; "
                        "retry the InPs that still hold";
            break;
        default:
            o->action = "";
            break;
        }
    }
    return n_out;
}

/* Appends the printf-style text to the growing string '*s' of length
 * '*len'. */
static void __attribute__((format(printf, 3, 4)))
append(char **s, size_t *len, const char *fmt, ...)
{
    va_list args;
    char *piece;

    va_start(args, fmt);
    int n = vasprintf(&piece, fmt, args);
    va_end(args);
    if (n < 0) {
        abort();
    }
    *s = xrealloc(*s, *len + n + 1);
    memcpy(*s + *len, piece, n + 1);
    *len += n;
    free(piece);
}

/* The states and transitions tables in Markdown. */
char *
lease_fsm_table_markdown(void)
{
    char *s = NULL;
    size_t len = 0;

    append(&s, &len, "| state | kind | deadline (s) | when overdue | meaning |\n"
                     "|---|---|---|---|---|\n");
    for (int i = 0; i < LEASE_N_STATES; i++) {
        bool tr = lease_state_is_transitional(i);
        char deadline[24] = "-";
        char overdue[32] = "-";
        if (tr) {
            snprintf(deadline, sizeof deadline, "%lld",
                     (long long) states[i].timeout);
            snprintf(overdue, sizeof overdue, "`%s`",
                     lease_state_name(states[i].overdue));
        }
        append(&s, &len, "| `%s` | %s | %s | %s | %s |\n", states[i].name,
               tr ? "transitional" : lease_state_is_final(i) ? "final"
                                                             : "stable",
               deadline, overdue, states[i].doc);
    }
    append(&s, &len, "\n| from | to | when |\n|---|---|---|\n");
    for (size_t i = 0; i < lease_n_transitions(); i++) {
        append(&s, &len, "| `%s` | `%s` | %s |\n",
               lease_state_name(transitions[i].from),
               lease_state_name(transitions[i].to), transitions[i].doc);
    }
    return s;
}
