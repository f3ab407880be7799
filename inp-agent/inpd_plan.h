/*
 * inpd_plan: what lamina-inpd asks of its lamina-switchd, as pure
 * functions of JSON (no socket, no clock), so that they can be tested on
 * their own.
 *
 * What?
 * =====
 *
 * The broker hands an InP a PART of a lease (docs/leasing: the slice name
 * "L<lease id>", vnodes on switches, accesses, virtual links inside the
 * InP with their switch paths, border virtual links ending at a border
 * port with the label both InPs agreed).  inpd turns it into the
 * JSON-RPC calls that build the slice on switchd, in order:
 *
 *     slice.add   {name, guarantee_bps: the largest vlink bandwidth}
 *     vnode.add   per vnode {slice, switch, fp, config}
 *     vport.add   per access {slice, switch, vport, port, vlan?}
 *     vlink.add   per vlink {slice, name, path}
 *     vlink.add   per border vlink {slice, name, path, border: {port, label}}
 *     queue.set   per (switch, egress port) the slice's vlinks cross,
 *                 guarantee = the sum of their bandwidths
 *
 * inpd_plan_commit() checks the PART against the InP's OFFER (switch
 * names, access points, borders and their label pools) and names the
 * field at fault; prepare runs it to refuse a PART that could not be
 * built, before anything is held.  The queue guarantees need switchd's
 * link.list (which ports join two switches); without it (NULL) they are
 * left out.
 *
 * Reconcile
 * =========
 *
 * inpd_plan_reconcile() compares the slices inpd's leases want (slice
 * name -> the calls of inpd_plan_commit()) with switchd's configuration
 * (config.get) and returns the calls that repair the difference: a
 * wanted slice that is missing, or that lacks one of its vnodes, vports
 * or vlinks, is deleted (if present) and built again; a slice named like
 * a lease ("L" then a digit or letter) that no lease wants is deleted;
 * an access vport of a complete wanted slice that its calls do not
 * create (an access port lent to a child lease) is deleted.
 * Slices with other names belong to people, not to inpd, and are never
 * touched.  A vlink whose path differs from switchd's counts as missing.
 *
 * Substrate failures
 * ==================
 *
 * inpd_plan_reroute() re-embeds, inside this InP, the vlinks of a PART
 * whose path crosses a substrate link that switchd reports down (its
 * "up" false): each such vlink gets the shortest path between the same
 * two switches over links that are up (hop count), or, when there is
 * none, keeps its path and the lease is "degraded" with the reason.
 * When the links come back, the PART's own paths are wanted again.  An
 * agent uses it only without a broker: with one, the broker chooses and
 * books the detour (docs/broker.md, "Substrate failures").
 */
#ifndef LAMINA_INPD_PLAN_H
#define LAMINA_INPD_PLAN_H 1

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Builds in '*calls' (a new array of {"method", "params"}) the switchd
 * calls that create 'part' on an InP advertising 'offer'.  'links' is
 * switchd's link.list answer or NULL (then no queue.set).  Returns 0, or
 * EINVAL with a message naming the field of 'part' in 'err'. */
int inpd_plan_commit(const json_t *part, const json_t *offer,
                     const json_t *links, json_t **calls,
                     char *err, size_t errsize);

/* True if 'slice' is named like a lease's slice ("L" + more). */
bool inpd_plan_is_lease_slice(const char *slice);

/* Builds in '*calls' the repair of switchd's configuration 'actual'
 * (config.get's answer) toward 'wanted' (an object: slice name -> its
 * commit calls).  Returns the number of calls (0: nothing to do). */
size_t inpd_plan_reconcile(const json_t *wanted, const json_t *actual,
                           json_t **calls);

/* Re-embeds the vlinks (plain, border and transit) of 'part' that cross
 * a link of 'links' (config.get's or link.list's, with "up") that is
 * down.  Returns NULL when no vlink crosses a down link; otherwise a
 * health report {"state": "rerouted" | "degraded", "down": [link names],
 * "rerouted": [{"vlink", "path"}], "reason"?} and, in '*new_part' (a new
 * reference), 'part' with the new paths. */
json_t *inpd_plan_reroute(const json_t *part, const json_t *links,
                          json_t **new_part);

#endif /* LAMINA_INPD_PLAN_H */
