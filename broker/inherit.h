/*
 * inherit: what a child lease may take of its parent lease (recursion
 * through leases).
 *
 * What?
 * =====
 *
 * An SP may offer (part of) a lease it holds to the broker as an InP of
 * its own (a sub-InP, docs/broker.md "Recursion").  A lease placed on a
 * sub-InP, a CHILD, is built on the same real InP as its PARENT lease, as
 * a slice of its own carved out of the parent's resources.  The child's
 * PART (the contract of docs/broker.md "Placement", with "parent": the
 * parent's slice) is written in the real InP's terms: real switches, real
 * access points, real switch paths.
 *
 * Inheritance: a child can never hold more than its parent.  Given the
 * parent's PART, the PARTs of the parent's other live children (its
 * siblings) and the child's PART, inherit_check() refuses a child that
 *
 *   - puts a vnode on a switch where the parent has none, or asks more
 *     CPU there than the parent's vnode has left after the siblings;
 *   - binds an access point the parent does not hold, or one a sibling
 *     holds already;
 *   - runs a virtual link over a hop (two consecutive switches of its
 *     path) none of the parent's virtual links crosses, or asks more
 *     bandwidth on it than the parent's links there have left;
 *   - asks a vnode limit (INHERIT_LIMITS: flows, tables, table entries,
 *     program bytes) over the parent vnode's, or leaves out one the
 *     parent has (no limit is more than any limit);
 *   - has border or transit virtual links (a child lives inside one InP).
 *
 * The refusal names the field of the child's PART and the limit, e.g.
 * "vnodes[0].limits.flows: 5000 over the parent's 1000 (vnode left of
 * slice L7)".  The same function runs in the broker (at placement) and in
 * the real InP agent (at prepare: the agent checks that the parent it
 * knows owns what is subleased), so both refuse the same things.
 *
 * The functions are pure (JSON in, JSON out).
 */
#ifndef LAMINA_INHERIT_H
#define LAMINA_INHERIT_H 1

#include <stddef.h>

#include <jansson.h>

/* The per-vnode limits a child inherits: name in a vnode's "limits"
 * object, what it bounds. */
#define INHERIT_LIMITS(X)                                               \
    X("flows", "flow entries of an openflow vnode (its max_flows)")     \
    X("tables", "flow tables of an openflow vnode")                     \
    X("table_entries", "entries of all the tables of an ebpf vnode")    \
    X("program_bytes", "size of an ebpf vnode's program object")

/* The element of array 'arr' whose string member 'key' is 'val', or NULL
 * (a vnode by name or switch, an access by name...). */
const json_t *inherit_find(const json_t *arr, const char *key,
                           const char *val);

/* True if 'name' is one of INHERIT_LIMITS. */
int inherit_is_limit(const char *name);

/* Copies into the vnodes of 'child' (a PART) the limits of the parent's
 * vnode on the same switch that the child's vnode does not state. */
void inherit_fill(const json_t *parent, json_t *child);

/* Checks that 'child' fits inside 'parent' next to 'siblings' (an array
 * of PARTs, may be NULL).  Returns 0, or EPERM with 'err' naming the
 * field of 'child' and the limit, or EINVAL for a malformed PART. */
int inherit_check(const json_t *parent, const json_t *siblings,
                  const json_t *child, char *err, size_t errsize);

/* Checks an ebpf program object of 'bytes' bytes, with 'config' (its
 * "tables": [{"size"}, ...], may be NULL), against a vnode's 'limits'
 * (program_bytes, table_entries; NULL: none).  Returns 0, or EPERM with
 * 'err' naming the limit. */
int inherit_program_check(const json_t *limits, size_t bytes,
                          const json_t *config, char *err, size_t errsize);

#endif /* LAMINA_INHERIT_H */
