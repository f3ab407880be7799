/*
 * inpd_cap: the capacity an InP agent can still promise, over time.
 *
 * What?
 * =====
 *
 * A prepare asks whether a PART fits on this InP for [start, end) and, if
 * it does, holds it.  Leases may be booked for later (advance
 * reservations), so the question is asked per resource over the interval,
 * with the broker's own admission module (broker/admit.h): every lease and
 * hold counts only where its interval overlaps the one asked about.
 *
 * The resources, all from the OFFER: "cpu:NODE" (the node's CPU units),
 * "bw:A-B" (a link's bits/s; A and B sorted), "bw:border:NAME" (a
 * border's bits/s).  A vnode asks its CPU of its switch; a vlink asks its
 * bandwidth of every link of its path, a border vlink also of its border.
 * Border labels are not counted but owned: a label of a border is held by
 * at most one lease at a time.
 *
 * The functions are pure: they rebuild the timelines from the list of
 * bookings they are given (the agent's leases and live holds, a few
 * hundred at most), so the agent's durable state is the only truth and
 * nothing has to be unbooked.
 */
#ifndef LAMINA_INPD_CAP_H
#define LAMINA_INPD_CAP_H 1

#include <stdint.h>
#include <stddef.h>

#include <jansson.h>

/* Would 'part' fit over [start, end) on an InP advertising 'offer', with
 * 'bookings' (an array of {"part", "start", "end"}) already there?
 * Returns 0, or ENOSPC with '*why' (a new object {"resource", "short_by",
 * "message"}), or EINVAL with '*why' {"message"} for a PART that asks for
 * resources the offer lacks. */
int inpd_cap_check(const json_t *offer, const json_t *bookings,
                   const json_t *part, int64_t start, int64_t end,
                   json_t **why);

/* The capacity report at time 'now': {"total": {RESOURCE: N},
 * "free_now": {RESOURCE: N}}. */
json_t *inpd_cap_report(const json_t *offer, const json_t *bookings,
                        int64_t now);

#endif /* LAMINA_INPD_CAP_H */
