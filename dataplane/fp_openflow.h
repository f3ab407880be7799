/*
 * fp_openflow: the `openflow` forwarding-plane class (dp_fp.h) and what
 * its control side, the OpenFlow agent (vswitch/ofagent.h), reaches
 * through dp_vnode_fp_state().
 *
 * The class wraps an OpenFlow 1.3 pipeline (ofpl.h) around a vnode: frames
 * are parsed and matched in the worker, outputs become vport verdicts,
 * output:CONTROLLER (and table misses when "miss" is "controller") become
 * dp_fp_punt() with reason, table and cookie; the max_len of the output
 * action rides in the mbuf's hash.usr field (OFPL_MAX_LEN_MISS: use the
 * switch's miss_send_len).
 *
 * Config (vnode.add "config"), every key optional:
 *   "datapath_id": "0x..." or integer (default: derived from slice+switch)
 *   "controller":  "tcp:HOST:PORT" / "ssl:HOST:PORT" or a list of them
 *                  (active connections)
 *   "listen":      "ptcp:PORT[:ADDR]" or "pssl:PORT[:ADDR]" (passive, like
 *                  ovs-ofctl's target)
 *   "private_key", "certificate", "ca_cert": PEM files, all three required
 *                  by ssl:/pssl: (mutual TLS, peers verified against ca_cert)
 *   "secret":      what a peer of the listener must present first
 *                  (lib/openflow/ofauth.h); a ptcp: listener needs it
 *                  unless "open"
 *   "switch_secret": presented to the active targets after HELLO (e.g. the
 *                  switch secret of a lamina-slicer)
 *   "open":        true: a ptcp: listener without secret, on any address
 *                  (anyone who reaches it controls the vnode; logged)
 *   "tables":      1..254 (default 8)
 *   "miss":        "drop" (default, as OpenFlow 1.3) or "controller"
 *   "max_flows":   flow entries per vnode (default 200000)
 * The plane itself uses tables/miss/max_flows; the agent the rest.
 */
#ifndef LAMINA_FP_OPENFLOW_H
#define LAMINA_FP_OPENFLOW_H 1

#include <stdbool.h>
#include <stdint.h>

#include "dp_fp.h"
#include "ofpl.h"

#define FP_OPENFLOW_MAX_CONTROLLERS 8

struct fp_openflow_config {
    uint64_t datapath_id;
    bool has_datapath_id;
    const char *controllers[FP_OPENFLOW_MAX_CONTROLLERS];
    unsigned n_controllers;
    const char *listen;                 /* NULL: none */
    const char *private_key;            /* TLS files, NULL when not given */
    const char *certificate;
    const char *ca_cert;
    const char *secret;                 /* peers of the listener present it */
    const char *switch_secret;          /* presented to active targets */
    bool open;                          /* no credential; any address */
    unsigned tables;
    enum ofpl_miss miss;
};

/* The plane's parsed config and its pipeline ('state' as returned by
 * dp_vnode_fp_state() for a vnode of class dp_fp_openflow).  Change the
 * pipeline only between dp_pause() and dp_resume(). */
const struct fp_openflow_config *fp_openflow_config(const void *state);
struct ofpl_pipeline *fp_openflow_pipeline(void *state);

/* The clock of every openflow plane (ns, monotonic, TSC based): the agent
 * passes it to the pipeline's control functions. */
uint64_t fp_openflow_now_ns(void);

#endif /* LAMINA_FP_OPENFLOW_H */
