/*
 * lease_fsm: the lease state machine of the broker, published in one table.
 *
 * What?
 * =====
 *
 * A lease is an SP's claim on a virtual network, embedded across one or
 * more InPs, for an interval of time.  Its life is a small state machine.
 * The states and the transitions are declared ONCE, below, as X-macro
 * lists (LEASE_STATES and LEASE_TRANSITIONS); the enum, the names, the
 * transition check and the table in docs/broker.md all come from them (a
 * unit test checks that the doc lists every state and every transition).
 * Any transition not in the table is refused with an error that names
 * both ends.
 *
 * Stable and transitional states
 * ==============================
 *
 * A stable state ('deadline' 0 in the table) may last as long as the lease
 * does: scheduled, active, and the two final states ended and failed.  A
 * transitional state is a protocol phase in flight (a prepare, a commit, a
 * renew, a release, an abort) and has a deadline: entering it sets
 * 'deadline' = now + its timeout.  lease_fsm_overdue() lists the leases
 * past their deadline and the state each must become, so that no lease can
 * stay in a transitional state:
 *
 *   - requested (prepares in flight, nothing decided) -> aborting: an
 *     undecided prepare aborts;
 *   - held (every InP holds, commit not yet decided) -> aborting: the holds
 *     lapse on the InPs by themselves anyway (120 s by default);
 *   - committing (commit decided and written to the intent log) -> active
 *     (or scheduled when the start is still ahead): a decided commit rolls
 *     forward, the broker keeps retrying the InPs that have not confirmed;
 *   - renewing -> active: a renew that did not finish everywhere is not
 *     granted; the lease stays active until its old end;
 *   - releasing -> ended: a release is decided when it starts, so it rolls
 *     forward;
 *   - aborting -> failed: likewise for an abort.
 *
 * The same rules serve a broker that restarts: it reads its leases and
 * intent log back and applies lease_fsm_overdue() with the deadlines found.
 *
 * Times are seconds since the Unix epoch (UTC), as everywhere in the
 * broker.
 */
#ifndef LAMINA_LEASE_FSM_H
#define LAMINA_LEASE_FSM_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct brk_error;

/*    enum suffix  name          timeout(s)  when overdue  meaning */
#define LEASE_STATES(X)                                                   \
    X(REQUESTED,  "requested",   30,  ABORTING,                           \
      "accepted and embedded; prepares in flight on every InP involved")  \
    X(HELD,       "held",       120,  ABORTING,                           \
      "every InP holds its part; commit or abort not yet decided")        \
    X(COMMITTING, "committing",  30,  ACTIVE,                             \
      "commit decided and logged; InPs are being told to commit")         \
    X(SCHEDULED,  "scheduled",    0,  NONE,                               \
      "committed everywhere; the start is still ahead")                   \
    X(ACTIVE,     "active",       0,  NONE,                               \
      "committed everywhere and running until its end")                   \
    X(RENEWING,   "renewing",    30,  ACTIVE,                             \
      "a new end is being asked of every InP of the lease")               \
    X(RELEASING,  "releasing",   30,  ENDED,                              \
      "release decided (by the SP or at the end); InPs tear down")        \
    X(ABORTING,   "aborting",    30,  FAILED,                             \
      "abort decided; InPs drop their holds")                             \
    X(ENDED,      "ended",        0,  NONE,                               \
      "released everywhere; capacity returned (final)")                   \
    X(FAILED,     "failed",       0,  NONE,                               \
      "never became active; nothing held anywhere (final)")

/*    from        to          why */
#define LEASE_TRANSITIONS(X)                                              \
    X(REQUESTED,  HELD,       "every InP answered its prepare with a hold") \
    X(REQUESTED,  ABORTING,   "a prepare failed or its deadline passed")  \
    X(REQUESTED,  FAILED,     "nothing fits; no InP was asked to prepare") \
    X(HELD,       COMMITTING, "the broker decides to commit (logged first)") \
    X(HELD,       ABORTING,   "the SP cancels or the hold deadline passed") \
    X(COMMITTING, SCHEDULED,  "every InP committed; start in the future") \
    X(COMMITTING, ACTIVE,     "every InP committed; start reached")       \
    X(SCHEDULED,  ACTIVE,     "the start time is reached")                \
    X(SCHEDULED,  RELEASING,  "the SP releases before the start")         \
    X(ACTIVE,     RENEWING,   "the SP asks for a later end")              \
    X(ACTIVE,     RELEASING,  "the SP releases, or the end is reached")   \
    X(RENEWING,   ACTIVE,     "renew granted everywhere, or refused, or timed out") \
    X(RELEASING,  ENDED,      "every InP removed its part")               \
    X(ABORTING,   FAILED,     "every InP dropped its hold (or it lapsed)")

enum lease_state {
#define LEASE_STATE_ENUM(ENUM, NAME, TIMEOUT, OVERDUE, DOC) LEASE_##ENUM,
    LEASE_STATES(LEASE_STATE_ENUM)
#undef LEASE_STATE_ENUM
    LEASE_N_STATES,
    LEASE_NONE = LEASE_N_STATES     /* "no state": stable states' overdue */
};

/* Per-state facts from the table. */
const char *lease_state_name(enum lease_state);
const char *lease_state_doc(enum lease_state);
/* Parses a state name; returns 0 or EINVAL. */
int lease_state_from_name(const char *name, enum lease_state *);
/* True for states with a deadline. */
bool lease_state_is_transitional(enum lease_state);
/* True for ended and failed. */
bool lease_state_is_final(enum lease_state);

/* True if 'from' -> 'to' is in LEASE_TRANSITIONS. */
bool lease_transition_allowed(enum lease_state from, enum lease_state to);
/* The reason text of an allowed transition, or NULL. */
const char *lease_transition_doc(enum lease_state from, enum lease_state to);
/* Number of allowed transitions (the rows of LEASE_TRANSITIONS). */
size_t lease_n_transitions(void);

/* Timeouts of the transitional states, in seconds; index by state.  Stable
 * states have 0 and must keep it. */
struct lease_fsm_config {
    int64_t timeout[LEASE_N_STATES];
};

/* Fills 'cfg' with the timeouts of the table (held: 120 s, the default
 * hold lifetime on the InPs). */
void lease_fsm_config_default(struct lease_fsm_config *cfg);

/* The state-machine part of a lease. */
struct lease_fsm {
    enum lease_state state;
    int64_t deadline;           /* 0 in a stable state */
    int64_t start;              /* when the lease starts (for committing) */
};

/* Starts 'fsm' in 'requested' at time 'now' for a lease starting at
 * 'start'. */
void lease_fsm_init(struct lease_fsm *fsm, const struct lease_fsm_config *,
                    int64_t start, int64_t now);

/* Moves 'fsm' to 'to' at time 'now', setting the deadline of the new
 * state from 'cfg'.  Returns 0, or EPERM (and 'fsm' unchanged, 'err' names
 * "from -> to") if the table does not allow it. */
int lease_fsm_transition(struct lease_fsm *fsm, const struct lease_fsm_config *,
                         enum lease_state to, int64_t now,
                         struct brk_error *err);

/* One lease that passed the deadline of its transitional state. */
struct lease_overdue {
    size_t index;               /* into the array given */
    enum lease_state from;
    enum lease_state to;        /* what it must become */
    const char *action;         /* what the broker must do about it */
};

/* Scans 'n' leases 'fsms' at time 'now' and writes to 'out' (room for 'n')
 * every one whose deadline has passed, with the state it must become
 * (see the essay: undecided prepares abort, decided commits roll forward,
 * a failed renew goes back to active).  Returns how many it wrote. */
size_t lease_fsm_overdue(const struct lease_fsm *fsms, size_t n, int64_t now,
                         struct lease_overdue *out);

/* The two tables (states, transitions) as Markdown, exactly as
 * docs/broker.md must show them; the caller frees the string. */
char *lease_fsm_table_markdown(void);

#endif /* LAMINA_LEASE_FSM_H */
