/*
 * sp_lease: lamina-sp's side of the broker (docs/sp.md): from a virtual
 * network file, lease it, wait until it is active, deploy each virtual
 * node's forwarding logic, and release it at the end.
 *
 * The VN file is the broker's request (docs/broker.md, broker/vnreq) in
 * JSON with a few members of lamina-sp's own, taken out before the
 * request is sent:
 *
 *   - per node "fp" (an alias of the broker's "plane"),
 *   - per ebpf node "program": the ELF object's path; lamina-sp reads it
 *     and pushes its bytes through the broker to the InP that runs the
 *     vnode (POST /v1/leases/{id}/vnodes/{vnode}/program) with the
 *     node's "tables" and "window" (docs/ebpf.md); the broker's request
 *     keeps "program", which the InP's switchd loads first when the lease
 *     starts (so it must be a path the InP can read too);
 *   - per openflow node "app" ("l2" or "l3") and, for l3, "gateways"
 *     (["10.0.1.254/24", ...]): lamina-sp listens on the node's
 *     "controller" target and runs the app for every such node (one app
 *     for all of them).
 */
#ifndef LAMINA_SP_LEASE_H
#define LAMINA_SP_LEASE_H 1

#include <stdbool.h>

#include <jansson.h>

/* Runs 'vn_file' at broker 'broker' with 'token' until '*stop' is set
 * (the caller's signal handling), then releases the lease.  Returns 0 or
 * an exit status with the reason printed. */
int sp_lease_run(const char *broker, const char *token, const char *vn_file,
                 int signal_fd);

/* Pushes program file 'path' (with 'config', {"tables", "window"}, or
 * NULL) to vnode 'vnode' of lease 'lease'.  Returns 0, or the HTTP status
 * / errno with the reason printed. */
int sp_lease_push(const char *broker, const char *token, const char *lease,
                  const char *vnode, const char *path, const json_t *config);

#endif /* LAMINA_SP_LEASE_H */
