/*
 * inpd: lamina-inpd, the InP agent: one per infrastructure provider,
 * beside its lamina-switchd.
 *
 * What?
 * =====
 *
 * The agent turns the broker's leases into switch configuration.  It
 * registers the InP's OFFER with lamina-brokerd (POST /v1/inps) and
 * heartbeats; it serves the broker's two-phase calls under /v1 (prepare,
 * commit, abort, renew, release; docs/inpd.md and the leasing contract):
 * a prepare checks the PART against the capacity over the lease's
 * interval (inpd_cap.h, on broker/admit) and holds it; a commit builds the
 * slice on switchd through its JSON-RPC socket (the calls of inpd_plan.h);
 * a hold lapses by itself after its lifetime, a lease ends by itself at
 * its end.
 *
 * It reads switchd's link and BFD state every 100 ms and reports the
 * substrate links down to the broker at once (heartbeat "links_down");
 * the broker's re-embedding of a lease over them arrives as a two-phase
 * change of its part (POST /v1/reembed, then /v1/reembed/commit or
 * /v1/reembed/abort), checked against the capacity like a prepare.
 *
 * Durable state
 * =============
 *
 * Leases and holds, with the (lease, txn) that made them, are kept in one
 * JSON state file (lib/statefile.h) written before any answer: a retried
 * call finds what the first one did and gets the same answer.  The
 * switches are not the truth: reconcile (inpd_plan_reconcile()) makes
 * switchd hold exactly the slices of the active leases, at start, after
 * every change, when the switchd connection comes back, and every few
 * seconds.
 *
 * Threads
 * =======
 *
 * lib/http's handlers run on its worker threads; the main thread runs the
 * timers (lapses, ends, starts, reconcile, heartbeats) and the signals.
 * One mutex guards the state and the switchd connection; calls to the
 * broker are made without it.
 *
 * Fault points
 * ============
 *
 * LAMINA_FAULT=inpd:STEP[,inpd:STEP...] makes the agent kill itself with
 * SIGKILL when it reaches STEP (for the crash tests): the steps are listed
 * once, in INPD_FAULTS below, and in docs/inpd.md.  For chaos runs
 * (lib/fault.h), LAMINA_FAULT_PROB=P kills it at any step with probability
 * P, and LAMINA_FAULT_DROP_PROB=P loses the answer of a prepare, commit,
 * abort, renew or release it carried out (503) with probability P.
 */
#ifndef LAMINA_INPD_H
#define LAMINA_INPD_H 1

#define INPD_FAULTS(X)                                                    \
    X("prepare:before-hold", "the PART fits; nothing held yet")          \
    X("prepare:after-hold", "the hold is saved; no answer sent")         \
    X("commit:after-record", "the commit is saved; switchd not called")  \
    X("commit:after-apply", "the slice is on switchd; no answer sent")   \
    X("abort:after-record", "the hold is gone from the state file")      \
    X("renew:after-record", "the new end is saved; no answer sent")      \
    X("release:after-record", "the lease is gone from the state file; "  \
      "its slice not yet removed")                                       \
    X("reconcile:before-apply", "the repair is computed; not applied")  \
    X("reembed:after-hold", "the new part is held beside the old; "     \
      "no answer sent")                                                  \
    X("reembed:after-record", "the new part replaced the old in the "    \
      "state file; the slice not yet rebuilt")

#endif /* LAMINA_INPD_H */
