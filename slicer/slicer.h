/*
 * slicer: lamina-slicer, the OpenFlow 1.3 network hypervisor.
 *
 * What?
 * -----
 * Switches connect to the slicer as to their controller; for every slice
 * that has ports on a switch, the slicer dials the slice's controller and
 * shows it a *virtual switch*: its own datapath id, only the slice's ports
 * (renumbered as the slice sees them), only the slice's flows, groups and
 * meters.  Every message from a controller is checked and translated on
 * its way down (slicer_xlate.c); every message from a switch is routed to
 * the one slice it concerns, translated back, or kept (slicer.c).
 *
 *     switch ──ptcp:6653──▶ slicer ──tcp:CTRL──▶ controller of slice A
 *          (or pssl:)               └─ssl:CTRL──▶ controller of slice B
 *
 * The ideas a reader needs
 * ------------------------
 * - A slice (struct slice) = switches, ports on each (struct slice_dp,
 *   with the physical↔virtual port map), limits, a controller address and
 *   an optional secret.  Its *flowspace* is a list of struct fs_entry,
 *   each a list of matches (ranges expand to several), on one switch or on
 *   all of the slice's switches.  A packet belongs to slice S on switch D
 *   iff it arrived on one of S's ports on D and its headers are in one of
 *   S's flowspace matches for D.
 * - Ownership on the switch is written into every flow's cookie: the 16
 *   bits at 'tag_shift' (default 48) hold the slice's tag, the bits below
 *   are the controller's.  MODIFY, DELETE and flow statistics always carry
 *   a cookie mask on the tag, so a slice can never reach another slice's
 *   flows, whatever its match says; FLOW_REMOVED and PACKET_IN (whose
 *   cookie names the flow that sent it) are routed by the tag.  A slicer
 *   below another one uses a lower 'tag_shift' (recursion).
 * - Group and meter ids are per switch, so each slice gets its own range:
 *   physical id = tag << 20 | virtual id (groups), tag << 16 | id
 *   (meters).
 * - The slicer keeps, per slice and switch, the flows it installed (as
 *   the translated FLOW_MOD it sent): for the flow quota, and to push them
 *   again when a switch comes back.
 */
#ifndef LAMINA_SLICER_H
#define LAMINA_SLICER_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ofauth.h"
#include "ofp-msg.h"

#define SLICER_DEFAULT_SOCKET "/run/lamina/slicer.sock"
#define SLICER_DEFAULT_LISTEN "ptcp:6653:127.0.0.1"

#define SLICE_TAG_MAX 0xfff         /* tags 1..4095 */
#define SLICE_GROUP_MAX 0xfffff     /* virtual group ids 0..2^20-1 */
#define SLICE_METER_MAX 0xffff      /* virtual meter ids 1..65535 */
#define SLICE_MAX_PIECES 4096       /* physical flows per FLOW_MOD */
#define SLICE_BUFFER_RING 256       /* buffer ids remembered per slice */

struct slicer;
struct ctrl_conn;

/* ---- Installed flows (per slice and switch) ---------------------------- */

/* One flow the slicer installed: the physical FLOW_MOD (command ADD) it
 * sent, keyed by (table, priority, encoded match). */
struct flow_rec {
    struct flow_rec *next;
    uint64_t hash;
    uint8_t table_id;
    uint16_t priority;
    uint16_t ctrl_flags;        /* the flags the controller asked for */
    uint32_t key_len;           /* encoded match bytes */
    uint32_t msg_len;
    uint8_t data[];             /* key, then the message */
};

struct flow_table {
    struct flow_rec **buckets;
    size_t n_buckets;
    size_t n;
};

void flow_table_init(struct flow_table *);
void flow_table_destroy(struct flow_table *);
struct flow_rec *flow_table_find(const struct flow_table *, uint8_t table_id,
                                 uint16_t priority, const uint8_t *key,
                                 size_t key_len, uint64_t hash);
uint64_t flow_key_hash(uint8_t table_id, uint16_t priority,
                       const uint8_t *key, size_t key_len);
/* Inserts or replaces; takes 'msg' bytes by copy. */
void flow_table_put(struct flow_table *, uint8_t table_id, uint16_t priority,
                    uint16_t ctrl_flags, const uint8_t *key, size_t key_len,
                    const uint8_t *msg, size_t msg_len);
void flow_table_remove(struct flow_table *, struct flow_rec *);

/* ---- Slices ------------------------------------------------------------- */

struct slice_port {
    uint32_t phys;
    uint32_t virt;
};

/* A slice's part of one switch: configuration and runtime. */
struct slice_dp {
    uint64_t dpid;
    uint64_t vdpid;
    struct slice_port *ports;
    size_t n_ports;

    struct flow_table flows;    /* what this slice installed there */
    uint32_t *groups;           /* virtual group ids it created */
    size_t n_groups, groups_cap;
    uint32_t *meters;           /* virtual meter ids it created */
    size_t n_meters, meters_cap;
    uint32_t buffers[SLICE_BUFFER_RING];  /* buffer ids it was given */
    unsigned int buffer_next;
    struct ctrl_conn *conn;     /* to the controller, for this switch */
    uint16_t miss_send_len;     /* as the controller set it */
    uint16_t config_flags;
};

struct token_bucket {
    double tokens;
    double rate;                /* per second; 0: unlimited */
    double burst;
    uint64_t last_ns;
};

void token_bucket_init(struct token_bucket *, double rate, double burst,
                       uint64_t now_ns);
/* Takes one token; false if none is left. */
bool token_bucket_take(struct token_bucket *, uint64_t now_ns);

/* Counters of one slice (JSON member name, C member). */
#define SLICE_COUNTERS(X)                                               \
    X(ctrl_msgs, "messages from the controller")                        \
    X(rate_limited, "messages refused by the rate limit")               \
    X(refused, "messages refused with an OpenFlow error")               \
    X(flow_mods, "FLOW_MODs accepted")                                  \
    X(flows_sent, "physical FLOW_MODs sent to switches")                \
    X(quota_refused, "FLOW_MODs refused by the flow quota")             \
    X(packet_ins, "PACKET_INs delivered")                               \
    X(packet_ins_dropped, "PACKET_INs dropped (controller backlog)")    \
    X(packet_outs, "PACKET_OUTs accepted")                              \
    X(errors_from_switch, "errors from switches for this slice")

struct slice_counters {
#define SLICE_COUNTER_MEMBER(NAME, HELP) uint64_t NAME;
    SLICE_COUNTERS(SLICE_COUNTER_MEMBER)
#undef SLICE_COUNTER_MEMBER
};

struct slice {
    char name[64];
    uint16_t tag;
    char controller[128];       /* "tcp:HOST[:PORT]" or "ssl:HOST[:PORT]" */
    char secret[OFAUTH_SECRET_MAX + 1]; /* "" when none */
    bool open;                  /* no secret, and so declared */
    uint32_t max_flows;         /* per switch; 0: unlimited */
    uint32_t rate;              /* control messages per second; 0: none */
    uint32_t burst;
    bool has_queue;
    uint32_t queue_id;          /* forced set_queue (bandwidth guarantee) */
    uint64_t bandwidth_bps;     /* documentation of the queue's min-rate */
    struct slice_dp *dps;
    size_t n_dps;
    struct token_bucket bucket;
    struct slice_counters c;
    json_t *spec;               /* the params it was created with */
};

/* One flowspace entry: matches owned by a slice. */
struct fs_entry {
    char name[64];
    struct slice *slice;
    uint64_t dpid;              /* 0: every switch of the slice */
    uint16_t priority;
    bool allow_overlap;
    struct ofp_match *matches;
    size_t n_matches;
    json_t *spec;
};

/* ---- The slicer's configuration (no sockets: unit-testable) ----------- */

struct slicer_config {
    struct slice **slices;
    size_t n_slices;
    struct fs_entry **fs;
    size_t n_fs;
    unsigned int tag_shift;     /* cookie bit where the 16-bit tag starts */
};

void slicer_config_init(struct slicer_config *);
void slicer_config_destroy(struct slicer_config *);

/* Creates a slice from JSON-RPC params (see docs/slicer.md):
 *   {"name", "controller": "tcp:HOST:PORT", "switches": ["DPID[/VDPID]:P[=V],..."],
 *    "secret"?, "max_flows"?, "rate"?, "burst"?, "queue"?, "bandwidth_bps"?,
 *    "tag"?}
 * Returns 0 with '*slicep', or a positive errno with 'msg' naming the
 * field (EINVAL, EEXIST, ENOSPC). */
int slicer_slice_add(struct slicer_config *, const json_t *params,
                     struct slice **slicep, char *msg, size_t msg_size,
                     const char **field);
struct slice *slicer_slice_find(const struct slicer_config *, const char *name);
struct slice *slicer_slice_by_tag(const struct slicer_config *, uint16_t tag);
/* Removes 'slice' and its flowspace entries, and frees it. */
void slicer_slice_remove(struct slicer_config *, struct slice *);

/* Creates a flowspace entry:
 *   {"name", "slice", "match": "vlan_vid=10,...", "dpid"?, "priority"?,
 *    "allow_overlap"?}
 * Refuses (ENOENT) a slice that does not exist, (EINVAL) a bad match or a
 * dpid that is not the slice's, (EEXIST) a name in use, and (EBUSY) an
 * overlap with another slice's flowspace on a shared switch and port unless
 * either entry allows it. */
int slicer_fs_add(struct slicer_config *, const json_t *params,
                  struct fs_entry **entryp, char *msg, size_t msg_size,
                  const char **field);
struct fs_entry *slicer_fs_find(const struct slicer_config *, const char *name);
void slicer_fs_remove(struct slicer_config *, struct fs_entry *);

struct slice_dp *slice_dp_find(const struct slice *, uint64_t dpid);
struct slice_dp *slice_dp_find_virtual(const struct slice *, uint64_t vdpid);
/* Physical port of virtual 'virt', or 0. */
uint32_t slice_dp_phys_port(const struct slice_dp *, uint32_t virt);
/* Virtual port of physical 'phys', or 0. */
uint32_t slice_dp_virt_port(const struct slice_dp *, uint32_t phys);

/* Parses "0x1a", "26" or "00:00:00:00:00:00:00:1a". */
bool slicer_parse_dpid(const char *s, uint64_t *dpid);

/* ---- Translation (slicer_xlate.c) ------------------------------------- */

/* The slice and switch a controller message is being translated for. */
struct xlate_ctx {
    const struct slicer_config *cfg;
    struct slice *slice;
    struct slice_dp *dp;
};

/* Checks and translates the FLOW_MOD 'in' of the slice into the physical
 * FLOW_MODs to send: '*pieces' (from 'arena') and '*n_pieces' (0 is
 * possible for MODIFY/DELETE that touch nothing of the slice).  Returns 0,
 * or EPROTO with the OpenFlow error for the controller in '*err'. */
int xlate_flow_mod(const struct xlate_ctx *, const struct ofp_flow_mod_body *in,
                   struct ofp_arena *arena, struct ofp_flow_mod_body **pieces,
                   size_t *n_pieces, struct ofp_error *err);

/* Checks and translates a PACKET_OUT body in place (actions re-allocated
 * from 'arena'). */
int xlate_packet_out(const struct xlate_ctx *, struct ofp_packet_out_body *,
                     struct ofp_arena *arena, struct ofp_error *err);

/* Checks and translates a GROUP_MOD body in place. */
int xlate_group_mod(const struct xlate_ctx *, struct ofp_group_mod_body *,
                    struct ofp_arena *arena, struct ofp_error *err);

/* Checks and translates a METER_MOD body in place. */
int xlate_meter_mod(const struct xlate_ctx *, struct ofp_meter_mod_body *,
                    struct ofp_error *err);

/* Checks and translates an action list for a flow piece whose packets lie
 * in flowspace match 'fs' (NULL: unknown, every defining field of the
 * slice is then protected) and came in on physical port 'in_port' (0:
 * unknown). */
int xlate_actions(const struct xlate_ctx *, const struct ofp_match *fs,
                  uint32_t in_port, bool packet_out,
                  const struct ofp_action_list *in, struct ofp_arena *arena,
                  struct ofp_action_list *out, struct ofp_error *err);

/* Back to the slice's view (for flow stats and group desc): physical ports,
 * groups and meters become virtual ones, in place. */
void xlate_actions_back(const struct xlate_ctx *, struct ofp_action_list *);
void xlate_insts_back(const struct xlate_ctx *, struct ofp_instructions *);
/* A match back to the slice's view (in_port); false if it is not the
 * slice's (in_port not one of its ports). */
bool xlate_match_back(const struct xlate_ctx *, struct ofp_match *);

/* The slice that owns a PACKET_IN on switch 'dpid': by the cookie's tag
 * when a slice's flow sent it, otherwise by in_port and headers against
 * the flowspace (highest priority entry first).  NULL if nobody. */
struct slice *xlate_packet_in_owner(const struct slicer_config *,
                                    uint64_t dpid, uint32_t in_port,
                                    uint64_t cookie, const void *data,
                                    size_t len);

/* Cookie helpers. */
uint64_t xlate_cookie_tag_mask(const struct slicer_config *);
uint64_t xlate_cookie_ctrl_mask(const struct slicer_config *);
uint64_t xlate_cookie_miss_bit(const struct slicer_config *);
uint16_t xlate_cookie_tag(const struct slicer_config *, uint64_t cookie);

static inline uint32_t
xlate_group_to_phys(const struct slice *s, uint32_t g)
{
    return ((uint32_t) s->tag << 20) | g;
}

static inline uint32_t
xlate_meter_to_phys(const struct slice *s, uint32_t m)
{
    return ((uint32_t) s->tag << 16) | m;
}

#endif /* LAMINA_SLICER_H */
