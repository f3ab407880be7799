/*
 * ofpl: the OpenFlow 1.3 pipeline of an `openflow` vnode.
 *
 * What?
 * =====
 *
 * A pipeline is N flow tables (8 by default), a group table and a meter
 * table.  A packet enters table 0 with its in_port; each table picks its
 * highest-priority matching flow, whose instructions may meter the packet,
 * apply actions at once, change the action set (write/clear), write
 * metadata and go on to a later table.  When no goto remains, the action
 * set runs.  A table that matches nothing drops the packet, or sends it to
 * the controller when the pipeline was made with OFPL_MISS_CONTROLLER
 * (a controller's own priority-0 match-all flow is an ordinary flow).
 *
 * The module is pure C on byte buffers: no DPDK.  fp_openflow.c wraps it
 * as a forwarding-plane class (mbufs in, vport verdicts out); the unit
 * tests drive it directly with a fake clock.  Time is always an argument
 * (nanoseconds on any monotonic clock, the same one for every call).
 *
 * Keys
 * ====
 *
 * Each packet is parsed once into a struct ofpl_key: 14 64-bit words that
 * hold every OXM field the codec decodes, at fixed bit positions (fields
 * that can never occur together share bits, as in Open vSwitch: TCP, UDP,
 * SCTP ports and ICMP type/code use the same two slots; ARP addresses use
 * the IPv4 ones).  A flow's match becomes a (value, mask) pair of keys, so
 * matching is ((key & mask) == value) word by word.  Actions that change
 * a field update the packet and the key together; push/pop re-parse.
 *
 * Classifier
 * ==========
 *
 * Tuple-space search: inside a table, flows with the same mask share a
 * tuple, a hash table on the masked key.  Tuples are kept sorted by the
 * highest priority they hold, so a lookup stops at the first tuple whose
 * best priority cannot beat the match already found.  A tuple hashes only
 * the words its mask touches (one word for in_port rules).  Its buckets
 * (at least two per flow) hold the hash of their first flow and the
 * chain's length beside the pointer, so a probe whose hash differs is
 * answered without loading a flow.
 *
 * In front of it sits an exact-match cache per pipeline: the whole key at
 * pipeline entry -> the flows that the tables chose, step by step.  The
 * steps are a function of the key and the flow tables only (actions are
 * deterministic, select groups hash the key), so a cache hit skips every
 * lookup; counters, meters and actions still run.  Any change of flows,
 * groups or port liveness bumps a generation number, which invalidates
 * the whole cache at once.  When the cache thrashes (more flows than
 * entries), only one packet in 32 probes it, and a burst is parsed and
 * hashed first and each packet's buckets and likely flows are prefetched
 * a few packets ahead of its run (ofpl_run_burst()), so that their cache
 * misses overlap.  A
 * packet whose only flow is one apply-actions output to a port takes a
 * short run: the counters and the output, without the instruction and
 * action interpreters (same result, same counters).
 *
 * Threads
 * =======
 *
 * ofpl_run() is the fast path (one worker thread per pipeline); it never
 * allocates.  Every other function changes or reads the tables and must
 * run with the worker paused (dp_pause()) — the fast path holds no locks.
 */
#ifndef LAMINA_OFPL_H
#define LAMINA_OFPL_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ofp-msg.h"

#define OFPL_KEY_WORDS 14
#define OFPL_MAX_TABLES 254
#define OFPL_DEFAULT_TABLES 8
#define OFPL_MAX_PORTS 4096             /* vports (dp's DP_MAX_VPORTS) */
#define OFPL_DEFAULT_MAX_FLOWS 200000   /* per pipeline */

struct ofpl_key {
    uint64_t w[OFPL_KEY_WORDS];
};

/* A frame being processed: 'data' may move back by up to 'headroom' bytes
 * (push_vlan/push_mpls) and 'len' change; the caller copies both back
 * into its buffer descriptor. */
struct ofpl_packet {
    uint8_t *data;
    uint32_t len;
    uint16_t headroom;
    uint16_t idx;               /* the caller's, e.g. index in a burst */
};

/* Where a packet goes. */
enum ofpl_out_kind {
    OFPL_OUT_DROP,
    OFPL_OUT_PORT,              /* 'port' is a vport index */
    OFPL_OUT_FLOOD,             /* every live vport but the ingress one */
    OFPL_OUT_CONTROLLER,        /* packet-in */
};

/* Packet-in reasons (OFPR_*). */
#define OFPL_REASON_NO_MATCH 0
#define OFPL_REASON_ACTION 1
#define OFPL_REASON_INVALID_TTL 2

/* max_len of a miss sent by the pipeline's own miss rule: the agent
 * replaces it with the switch's miss_send_len. */
#define OFPL_MAX_LEN_MISS 0x10000u

struct ofpl_out {
    uint8_t kind;               /* enum ofpl_out_kind */
    uint8_t reason;             /* CONTROLLER: OFPL_REASON_* */
    uint8_t table;              /* CONTROLLER: table of the flow */
    uint16_t port;              /* PORT: vport index */
    uint32_t max_len;           /* CONTROLLER: bytes to send (0xffff: all) */
    uint32_t queue;             /* set_queue (accepted, unused) */
    uint64_t cookie;            /* CONTROLLER: cookie of the flow */
};

/* Called for every output but the last one of a packet, with the packet as
 * it is at that point (the callee copies it if it wants it). */
typedef void ofpl_emit_fn(void *aux, const struct ofpl_packet *,
                          const struct ofpl_out *);

enum ofpl_miss {
    OFPL_MISS_DROP,             /* OpenFlow 1.3's default */
    OFPL_MISS_CONTROLLER,
};

struct ofpl_params {
    unsigned n_tables;          /* 1..OFPL_MAX_TABLES; 0: default */
    enum ofpl_miss miss;
    uint32_t max_flows;         /* 0: OFPL_DEFAULT_MAX_FLOWS */
    unsigned emc_entries;       /* power of 2; 0: default, 1: no cache */
};

struct ofpl_pipeline;

/* Creates an empty pipeline; NULL if out of memory. */
struct ofpl_pipeline *ofpl_create(const struct ofpl_params *);
/* Frees it; accepts NULL. */
void ofpl_destroy(struct ofpl_pipeline *);

unsigned ofpl_n_tables(const struct ofpl_pipeline *);

/* ---- Fast path ------------------------------------------------------- */

/* Parses 'pkt' (which entered on vport 'in_vport') into 'key'. */
void ofpl_parse(const struct ofpl_packet *pkt, uint16_t in_vport,
                struct ofpl_key *key);

/* Runs 'pkt', which entered on vport 'in_vport', through the pipeline at
 * time 'now_ns'.  Outputs before the last go to 'emit'; the last one (or
 * DROP) is stored in '*out'. */
void ofpl_run(struct ofpl_pipeline *, struct ofpl_packet *pkt,
              uint16_t in_vport, uint64_t now_ns, ofpl_emit_fn *emit,
              void *aux, struct ofpl_out *out);

/* The same for a burst of 'n' packets (outs[i] for pkts[i]); consecutive
 * packets with the same headers as the one before, whose trip only
 * counted, are handled together ("trains").  'emit' gets the packet it
 * copies from, so 'aux' can tell which of the burst it is. */
void ofpl_run_burst(struct ofpl_pipeline *, struct ofpl_packet *pkts,
                    const uint16_t *in_vports, uint16_t n, uint64_t now_ns,
                    ofpl_emit_fn *emit, void *aux, struct ofpl_out *outs);

/* ---- Ports ----------------------------------------------------------- */

/* Marks vport 'vport' live or not: outputs to a port that is not live are
 * dropped, and fast-failover buckets watch liveness. */
void ofpl_set_port_live(struct ofpl_pipeline *, uint16_t vport, bool live);
bool ofpl_port_live(const struct ofpl_pipeline *, uint16_t vport);

/* ---- Flow table changes (worker paused) ------------------------------ */

/* A flow that leaves the table, for FLOW_REMOVED (called only for flows
 * with OFPFF_SEND_FLOW_REM). */
struct ofpl_removed {
    const struct ofp_match *match;
    uint64_t cookie;
    uint16_t priority;
    uint8_t reason;             /* OFPRR_IDLE_TIMEOUT 0, HARD 1, DELETE 2,
                                 * GROUP_DELETE 3, METER_DELETE 4 */
    uint8_t table_id;
    uint64_t duration_ns;
    uint16_t idle_timeout, hard_timeout;
    uint64_t packet_count, byte_count;
};
typedef void ofpl_removed_fn(void *aux, const struct ofpl_removed *);

/* Applies FLOW_MOD 'fm' at 'now_ns'.  Returns 0, or EPROTO with the
 * OpenFlow error in '*err' (nothing changed then).  Deleted flows with
 * OFPFF_SEND_FLOW_REM are reported to 'removed' (may be NULL). */
int ofpl_flow_mod(struct ofpl_pipeline *, const struct ofp_flow_mod_body *fm,
                  uint64_t now_ns, ofpl_removed_fn *removed, void *aux,
                  struct ofp_error *err);

/* GROUP_MOD and METER_MOD, same conventions.  Deleting a group or a meter
 * removes the flows that use it. */
int ofpl_group_mod(struct ofpl_pipeline *, const struct ofp_group_mod_body *,
                   uint64_t now_ns, ofpl_removed_fn *removed, void *aux,
                   struct ofp_error *err);
int ofpl_meter_mod(struct ofpl_pipeline *, const struct ofp_meter_mod_body *,
                   uint64_t now_ns, ofpl_removed_fn *removed, void *aux,
                   struct ofp_error *err);

/* Removes flows whose idle or hard timeout passed at 'now_ns'.  Returns
 * how many. */
unsigned ofpl_expire(struct ofpl_pipeline *, uint64_t now_ns,
                     ofpl_removed_fn *removed, void *aux);

/* ---- Statistics (worker paused) -------------------------------------- */

/* Calls 'cb' for every flow that matches a flow-stats request 'req'
 * (table, out_port, out_group, cookie/mask, non-strict match). */
typedef void ofpl_flow_fn(void *aux, const struct ofp_flow_stats *);
void ofpl_flow_stats(const struct ofpl_pipeline *,
                     const struct ofp_flow_stats_request *req,
                     uint64_t now_ns, ofpl_flow_fn *cb, void *aux);

void ofpl_table_stats(const struct ofpl_pipeline *, uint8_t table_id,
                      struct ofp_table_stats *);

/* Groups and meters: 'n' answers how many there are; the i-th is filled
 * into the caller's structure (arrays from 'msg''s arena). */
size_t ofpl_n_groups(const struct ofpl_pipeline *);
void ofpl_group_stats(const struct ofpl_pipeline *, size_t i, uint64_t now_ns,
                      struct ofp_group_stats *, struct ofp_msg *msg);
void ofpl_group_desc(const struct ofpl_pipeline *, size_t i,
                     struct ofp_group_desc *, struct ofp_msg *msg);
uint32_t ofpl_group_id(const struct ofpl_pipeline *, size_t i);
size_t ofpl_n_meters(const struct ofpl_pipeline *);
uint32_t ofpl_meter_id(const struct ofpl_pipeline *, size_t i);
void ofpl_meter_stats(const struct ofpl_pipeline *, size_t i, uint64_t now_ns,
                      struct ofp_meter_stats *, struct ofp_msg *msg);
/* The configuration of the i-th meter as METER_MOD gave it (bands in
 * 'msg''s memory). */
void ofpl_meter_config(const struct ofpl_pipeline *, size_t i,
                       struct ofp_meter_config *, struct ofp_msg *msg);
/* What meters the pipeline supports (METER_FEATURES). */
void ofpl_meter_features(struct ofp_meter_features *);
/* What groups the pipeline supports (GROUP_FEATURES). */
void ofpl_group_features(struct ofp_group_features *);

/* The action types (OFPAT_*) the pipeline executes, for the feature
 * replies (table features, group features). */
extern const uint16_t ofpl_action_types[];
extern const size_t ofpl_n_action_types;

/* Counts for people (vnode.dump). */
struct ofpl_counts {
    uint64_t flows, tuples, groups, meters;
    uint64_t emc_hits, emc_misses, generation;
    uint64_t train_hits;            /* of emc_hits: same as the previous packet */
};
void ofpl_counts(const struct ofpl_pipeline *, struct ofpl_counts *);

/* Checks the actions of a PACKET_OUT against the pipeline (ports, groups);
 * 0 or EPROTO with '*err'. */
int ofpl_check_actions(const struct ofpl_pipeline *, const struct ofp_action *,
                       size_t n, bool packet_out, struct ofp_error *err);

/* Runs the action list 'acts' on 'pkt' (which entered on 'in_vport', or
 * OFPL_NO_PORT) as a PACKET_OUT does; outputs to OFPP_TABLE come out as
 * OFPL_OUT_CONTROLLER with reason 0xff (the caller re-injects those into
 * the pipeline).  Same conventions as ofpl_run(). */
#define OFPL_NO_PORT 0xffff
#define OFPL_REASON_TABLE 0xff
void ofpl_run_actions(struct ofpl_pipeline *, struct ofpl_packet *pkt,
                      uint16_t in_vport, const struct ofp_action *acts,
                      size_t n, uint64_t now_ns, ofpl_emit_fn *emit,
                      void *aux, struct ofpl_out *out);

/* ---- Trace (worker paused; ofpl_trace.c) ------------------------------ */

struct ofpbuf;

/* Walks the tables for the frame 'data' ('len' bytes) entering on vport
 * 'in_vport' as ofpl_run() would choose flows, without running anything:
 * no counter, meter, cache or frame changes.  Writes a line per table
 * into 's' (the flow that matched: table, priority, cookie, match and
 * instructions; or the miss and what it does) and fills 'outs' (up to
 * 'max') with where the output actions of the chosen flows send it (apply
 * actions in order, then the action set's output).  Set-field actions are
 * not applied to the key of later tables; write-metadata is.  Returns how
 * many outputs. */
unsigned ofpl_trace(const struct ofpl_pipeline *, const uint8_t *data,
                    uint32_t len, uint16_t in_vport, struct ofpbuf *s,
                    struct ofpl_out *outs, unsigned max);

#endif /* LAMINA_OFPL_H */
