/*
 * dataplane: Lamina's DPDK fast path, carrying many isolated slices.
 *
 * What?
 * =====
 *
 * One process holds several substrate switches.  Each switch has ports
 * (any DPDK device given by devargs, or one end of an in-process link)
 * and carries slices.  A slice is present on a switch as a vnode; a vnode
 * has virtual ports (vports) and one forwarding plane behind the 'struct
 * dp_fp_class' vtable (dp_fp.h): "l2learn" (MAC learning), "openflow"
 * (an OpenFlow 1.3 pipeline driven by controllers, fp_openflow.h) or
 * "ebpf" (the SP's own eBPF program, fp_ebpf.h).  A vport is bound either
 * to an access port (untagged, one VLAN id on it with the tag removed, a
 * set of VLANs with their tags, or the whole port) or to
 * one end of a virtual link.  A virtual link joins two vnodes of a slice
 * along a path of substrate switches as an Ethernet-over-MPLS pseudowire:
 * the head pushes the label, transit switches swap it (they need no vnode
 * of the slice), the tail pops it and hands the frame to its vport.
 *
 * Slice membership is fixed at ingress: from the (port, VLAN) binding on
 * an access port, from the label on a link port.  A forwarding plane can
 * only output to its own vnode's vports, so no slice logic can move a
 * packet into another slice.
 *
 * Isolation
 * =========
 *
 * Every (slice, egress port) pair has its own queue.  A port's scheduler
 * serves first what each slice is guaranteed, then lends idle capacity up
 * to each slice's ceiling (work conserving).  On ingress, a slice has a
 * policer (token bucket), a packet budget per poll round and an mbuf
 * quota (packets it may hold in queues), so a flooding slice cannot take
 * CPU, buffers or bandwidth from another.
 *
 * Liveness and fast reroute
 * =========================
 *
 * A port or link may run BFD (dp_bfd.c, on lib/bfd.h) in the poll loop
 * of its worker; a virtual link may have a backup path, wired beside its
 * path, to which its head ends move while a link of the path is down or
 * its BFD session is not Up, and from which they come back after a
 * hold-down.
 *
 * Threads
 * =======
 *
 * The control thread (the daemon's RPC loop) calls every function here.
 * Forwarding runs on the EAL worker lcores; each switch is served by one
 * lcore, so per-switch state has a single writer and needs no locks.  A
 * change pauses the workers at a round boundary (they acknowledge within
 * about a millisecond even when idle), applies, and resumes them;
 * dp_pause()/dp_resume() nest, so a caller can batch many changes under
 * one pause.  A change that is one pointer store (an eBPF program swap)
 * needs no pause: the old object is freed after dp_quiesce().
 *
 * Errors
 * ======
 *
 * Functions return 0 or a positive errno value and, on error, fill 'err'
 * with a sentence naming what is wrong (the object and the field).  A
 * refused call changes nothing.
 */
#ifndef LAMINA_DATAPLANE_H
#define LAMINA_DATAPLANE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define DP_ERR_LEN 256

struct dp_error {
    char msg[DP_ERR_LEN];
};

/* Limits.  Names are 1..63 characters of [A-Za-z0-9_.-]. */
#define DP_NAME_LEN 64
#define DP_MAX_SWITCHES 4096
#define DP_MAX_SLICES 16384
#define DP_MAX_WORKERS 16
#define DP_MPLS_LABEL_MIN 16            /* 0..15 are reserved */
#define DP_MPLS_LABEL_MAX 0xfffff

/* Packet buffers in the pool when dp_params.n_mbufs is 0. */
#define DP_DEFAULT_MBUFS 32768

/* Process-wide parameters, given once to dp_init(). */
struct dp_params {
    unsigned int n_mbufs;               /* 0: a default sized for tests */
    unsigned int n_gso_mbufs;           /* 64 KiB super-frame buffers
                                         * (dp_gso.h), made with the first
                                         * "vnet-hdr" port; 0:
                                         * DP_DEFAULT_GSO_MBUFS */
    unsigned int mbuf_cache;            /* per-lcore mempool cache */
    unsigned int default_queue_len;     /* packets per (slice, port) queue */
    int worker_priority;                /* SCHED_FIFO priority of the
                                         * workers (1-99), 0: normal */
};

/* Initializes the dataplane after rte_eal_init().  Forwarding lcores are
 * the EAL worker lcores; there must be at least one. */
int dp_init(const struct dp_params *, struct dp_error *err);

/* Starts / stops forwarding on the worker lcores. */
int dp_start(struct dp_error *err);
void dp_stop(void);

/* Frees everything, closes every port.  Call after dp_stop(). */
void dp_destroy(void);

/* rte_eal_cleanup(), then removes the process's DPDK runtime directory
 * (/var/run/dpdk/<file-prefix>) so a clean exit leaves no files. */
void dp_eal_cleanup(void);

/* Pause the workers at a round boundary; nests. */
void dp_pause(void);
void dp_resume(void);

/* A batch of changes (lamina-switchd: one client message): the first
 * dp_pause() inside it holds the workers until dp_batch_end(), so a batch
 * applies under one pause, and a batch that changes nothing (reads, or an
 * eBPF program swap, which needs no pause) never stops forwarding. */
void dp_batch_begin(void);
void dp_batch_end(void);

/* Waits until every worker has passed a round boundary since the call
 * (a grace period, about a round; at once while paused): after it, no
 * worker still uses a pointer the caller replaced before the call.  For
 * changes made by one atomic pointer store without a pause. */
void dp_quiesce(void);

/* ---- Switches ------------------------------------------------------- */

int dp_switch_add(const char *name, struct dp_error *err);
/* Adds a switch served by 'n_workers' workers (1..the worker lcores of
 * the process): its ports are split among them, each port polled,
 * scheduled and sent by one (docs/design.md, "More than one worker per
 * switch").  dp_switch_add() is this with one worker. */
int dp_switch_add_workers(const char *name, unsigned n_workers,
                          struct dp_error *err);
/* Fails with EBUSY while the switch has ports, vnodes or label entries. */
int dp_switch_del(const char *name, struct dp_error *err);

/* ---- Ports ---------------------------------------------------------- */

struct dp_port_params {
    const char *sw;             /* switch name */
    const char *name;           /* port name, unique within the switch */
    const char *devargs;        /* DPDK devargs, e.g. "net_af_packet0,iface=veth1" */
    uint64_t rate_bps;          /* egress rate limit in bits/s; 0: the device's */
    uint32_t queue_len;         /* per-slice queue length; 0: default */
    uint32_t delay_us;          /* emulated one-way delay on egress */
    uint32_t loss_ppm;          /* emulated random loss on egress */
};

/* Adds a port backed by a DPDK device.  The devargs are checked by
 * probing the device; a bad one fails with EINVAL and DPDK's reason. */
int dp_port_add(const struct dp_port_params *, struct dp_error *err);

/* Adds a dummy port for tests (the pattern of Open vSwitch's dummy
 * netdev): two rings the caller owns; the switch receives what the caller
 * enqueues on 'rx' and transmits into 'tx'.  The rings must be
 * single-producer/single-consumer safe for one caller thread. */
struct rte_ring;
int dp_port_add_dummy(const char *sw, const char *name, struct rte_ring *rx,
                      struct rte_ring *tx, struct dp_error *err);

/* Changes a port's rate (bits/s, 0 = unlimited), delay and loss (all
 * three from 'pp'; devargs and queue_len are ignored). */
int dp_port_set(const struct dp_port_params *pp, struct dp_error *err);

/* Takes a port down (frames it receives and frames for it are dropped
 * as "link-down", what it holds is freed) or brings it up again; for a
 * port that is a link's end, set the link instead. */
int dp_port_set_up(const char *sw, const char *name, bool up,
                   struct dp_error *err);

/* Fails with EBUSY while a vport or a virtual link uses the port. */
int dp_port_del(const char *sw, const char *name, struct dp_error *err);

/* ---- In-process links ----------------------------------------------- */

struct dp_link_params {
    const char *name;           /* link name, unique in the process */
    const char *sw_a, *port_a;  /* creates port 'port_a' on switch 'sw_a' */
    const char *sw_b, *port_b;
    /* NULL: the link is a pair of in-process rings.  Else each end is a
     * DPDK device (e.g. af_packet on the two ends of a veth pair), so the
     * substrate link can be captured with tcpdump or span processes. */
    const char *devargs_a, *devargs_b;
    uint64_t rate_bps;          /* 0: unlimited */
    uint32_t delay_us;          /* one-way propagation delay */
    uint32_t loss_ppm;          /* random loss, parts per million */
};

/* Links two switches; each end becomes a port that carries labels. */
int dp_link_add(const struct dp_link_params *, struct dp_error *err);
int dp_link_set(const struct dp_link_params *, struct dp_error *err);
int dp_link_set_up(const char *name, bool up, struct dp_error *err);
int dp_link_del(const char *name, struct dp_error *err);

/* ---- BFD (dp_bfd.c) ------------------------------------------------- */

/* A BFD session (RFC 5880 asynchronous mode, RFC 5881 single hop: IPv4,
 * UDP 3784, TTL 255) run in the poll loop of the port's worker. */
struct dp_bfd_params {
    bool enable;                /* false: remove the session */
    const char *local;          /* our IPv4 address (a port: required) */
    const char *peer;           /* the peer's (a port: required) */
    uint32_t tx_us, rx_us;      /* desired min TX, required min RX; 0: 10 ms */
    uint8_t mult;               /* detect multiplier; 0: 3 */
};

/* Starts (or restarts, Down) or removes the session of port 'name' of
 * switch 'sw', which must not be a link's end.  The port answers ARP for
 * 'local' and takes the BFD frames for it out of what it receives. */
int dp_port_set_bfd(const char *sw, const char *name,
                    const struct dp_bfd_params *, struct dp_error *err);

/* The same for both ends of link 'name': 'local' is end a's address,
 * 'peer' end b's (default 169.254.13.1 and .2). */
int dp_link_set_bfd(const char *name, const struct dp_bfd_params *,
                    struct dp_error *err);

/* Every session: where, state, timers, counters, last detection time. */
json_t *dp_bfd_list(void);

/* ---- Slices --------------------------------------------------------- */

struct dp_slice_params {
    const char *name;
    uint64_t guarantee_bps;     /* default guarantee on each egress port */
    uint64_t ceiling_bps;       /* default ceiling; 0: the port's rate */
    uint64_t policer_bps;       /* ingress policer rate; 0: none */
    uint32_t policer_burst;     /* bytes; 0: a default */
    uint32_t budget;            /* packets per poll round per switch; 0: none */
    uint32_t mbuf_quota;        /* mbufs held in queues and on emulated
                                 * links' delay lines; 0: a fair default */
    uint32_t table_quota;       /* entries of the tables of the slice's
                                 * vnodes on one switch (ebpf tables);
                                 * 0: DP_SLICE_TABLE_QUOTA */
    uint32_t gso_quota;         /* super-frame buffers (dp_gso.h) held in
                                 * queues and on delay lines; 0: a fair
                                 * default */
};
#define DP_SLICE_TABLE_QUOTA (1u << 20)
/* Buffers of the super-frame pool (dp_gso.h) when dp_params.n_gso_mbufs
 * is 0.  A slice's gso_quota is at most the pool's size; its default
 * share is a quarter of it. */
#define DP_DEFAULT_GSO_MBUFS 2048

int dp_slice_add(const struct dp_slice_params *, struct dp_error *err);
/* Changes the limits of an existing slice (all fields applied). */
int dp_slice_set(const struct dp_slice_params *, struct dp_error *err);
/* Deletes a slice with all its vnodes, vports and virtual links. */
int dp_slice_del(const char *name, struct dp_error *err);

/* Overrides guarantee and ceiling of one (slice, egress port) queue. */
int dp_queue_set(const char *slice, const char *sw, const char *port,
                 uint64_t guarantee_bps, uint64_t ceiling_bps,
                 struct dp_error *err);

/* ---- Virtual nodes and ports ---------------------------------------- */

/* Adds the vnode of 'slice' on switch 'sw' with forwarding plane class
 * 'fp' ("l2learn" when NULL) and its class-specific 'config' (may be
 * NULL).  Wherever a function here names a vnode by 'sw', it takes a vnode
 * address: "SWITCH" for the slice's default vnode there, or "SWITCH/NAME"
 * for one of several named vnodes of the slice on that switch
 * (revisitation).  EDQUOT if the class's tables would take the slice past
 * its table quota on the switch (dp_slice_params.table_quota). */
int dp_vnode_add(const char *slice, const char *sw, const char *fp,
                 const json_t *config, struct dp_error *err);
int dp_vnode_del(const char *slice, const char *sw, struct dp_error *err);
/* Reconfigures the live forwarding plane of vnode (slice, sw) with
 * 'config' (e.g. the "ebpf" class's new program); EOPNOTSUPP for a class
 * that cannot change while it runs. */
int dp_vnode_set(const char *slice, const char *sw, const json_t *config,
                 struct dp_error *err);

/* Binds vport 'vport' of the vnode (slice, sw) to access port 'port',
 * untagged when vlan < 0, else to frames tagged with 'vlan' (1..4094,
 * tag removed on ingress, added on egress).  A (port, vlan) binding
 * belongs to one slice only: EEXIST otherwise. */
int dp_vport_add(const char *slice, const char *sw, const char *vport,
                 const char *port, int vlan, struct dp_error *err);

/* What frames of an access port a vport takes (dp_vport_bind):
 *   - DP_BIND_UNTAGGED: untagged (and priority-tagged) frames; frames leave
 *     as the vnode sends them;
 *   - DP_BIND_VLAN: frames tagged 'vlan', the tag removed on ingress and
 *     added on egress (dp_vport_add with vlan >= 0);
 *   - DP_BIND_VLANS: frames tagged with a VID in 'vlans' (a bitmap of 4096
 *     bits), delivered with their tag; a frame the vnode sends must carry
 *     an 802.1Q tag with a VID of the set, or it is dropped (not-owned-vlan);
 *   - DP_BIND_PORT: every frame of the port, tags as sent, both ways.
 * Each (port, VID) and the port's untagged frames belong to one vport at
 * most; a DP_BIND_PORT binding conflicts with any other on the port. */
enum dp_bind_kind { DP_BIND_UNTAGGED, DP_BIND_VLAN, DP_BIND_VLANS,
                    DP_BIND_PORT };
#define DP_VLAN_WORDS (4096 / 64)
struct dp_vport_binding {
    enum dp_bind_kind kind;
    int vlan;                               /* DP_BIND_VLAN */
    uint64_t vlans[DP_VLAN_WORDS];          /* DP_BIND_VLANS: VIDs 1..4094 */
};

/* Binds vport 'vport' of the vnode (slice, sw) to access port 'port' as
 * 'b' says.  Nothing changes on error (EEXIST for a binding taken by
 * another vport, naming it; EINVAL for a bad or empty set). */
int dp_vport_bind(const char *slice, const char *sw, const char *vport,
                  const char *port, const struct dp_vport_binding *b,
                  struct dp_error *err);
int dp_vport_del(const char *slice, const char *sw, const char *vport,
                 struct dp_error *err);

/* ---- Virtual links --------------------------------------------------- */

struct dp_vlink_params {
    const char *slice;
    const char *name;           /* unique within the slice */
    const char **path;          /* switch names, head first, tail last */
    size_t n_path;              /* >= 2 */
    uint32_t label;             /* 0: allocate; else used on every hop */
    /* A border virtual link (toward another InP) ends at port
     * 'border_port' of the tail switch path[n_path - 1] instead of at a
     * vnode: it leaves and enters there with 'border_label' (16..2^20-1,
     * required).  'path' may then be one switch.  NULL: an ordinary
     * vnode-to-vnode link. */
    const char *border_port;
    uint32_t border_label;
    /* A transit virtual link (border to border: this InP only carries it)
     * also begins at port 'border_in_port' of the head switch path[0],
     * with 'border_in_label'; it then needs 'border_port' too, and no
     * vnode on either end. */
    const char *border_in_port;
    uint32_t border_in_label;
    /* A backup path (fast reroute): switch names from path[0] to
     * path[n_path - 1] by other links, with a label of its own (chosen);
     * NULL: none.  The head ends send on the backup while a link of the
     * path is down (link or port set down, or its BFD session not Up) and
     * the backup's is not, and come back once the path has stayed up for
     * 'hold_ms' (0: 1000 ms).  A border virtual link's backup starts at
     * path[0] and ends at its own border, port 'backup_border_port' of
     * backup[n_backup - 1] (another port than 'border_port', e.g. a
     * second tunnel), with 'backup_border_label' agreed with the far side
     * as well; it may then be one switch.  Not with 'border_in_port'. */
    const char **backup;
    size_t n_backup;
    uint32_t hold_ms;
    const char *backup_border_port;
    uint32_t backup_border_label;
    /* End-to-end liveness (needs a backup): a BFD session between the
     * two head ends on each path, carried inside the pseudowire (VCCV,
     * an associated channel in the control word); the head also leaves
     * a path whose session is not Up.  'local' and 'peer' unused. */
    struct dp_bfd_params bfd;
};

/* Creates a bidirectional pseudowire between the slice's vnodes on
 * path[0] and path[n_path - 1] (vnode addresses; the switches between
 * are switch names), over the first in-process link between each pair of
 * consecutive switches; or, when the path is two vnodes of one switch
 * ("s1/a", "s1/b"), a link inside that switch: no label, frames handed
 * from one vnode to the other by the worker.  Each end appears as vport
 * "vl-<name>" of its vnode.  Labels are per receiving port: the same
 * label is used on every hop in both directions; EADDRINUSE if it is
 * taken on any of them.
 *
 * With 'border_port', the far end is that port of the tail switch (the
 * local end of an inter-domain link): frames from the head vnode leave it
 * with 'border_label', and frames arriving on it with 'border_label' are
 * carried back to the head vnode.  The port then carries labelled traffic
 * only (no access vports; EBUSY if it has some, EINVAL if it is an end of
 * a link inside the daemon); several border vlinks may share it, each
 * with its own border label (EADDRINUSE if taken on that port).  The
 * label used inside ('label') stays this switchd's choice.
 *
 * With 'border_in_port' as well, both ends are border ports: frames
 * arriving on the head's border with 'border_in_label' leave the tail's
 * border with 'border_label' and back, label swapped at every hop; no
 * vport is made and the slice needs no vnode on the path. */
int dp_vlink_add(const struct dp_vlink_params *, struct dp_error *err);
int dp_vlink_del(const char *slice, const char *name, struct dp_error *err);

/* ---- Forwarding planes with a control side ----------------------------- */

struct dp_punt;
struct dp_fp_class;

/* The state of the forwarding plane of vnode (slice, sw) and its class,
 * for the plane's own control side (e.g. the OpenFlow agent), which may
 * change it only between dp_pause() and dp_resume().  NULL if none. */
void *dp_vnode_fp_state(const char *slice, const char *sw,
                        const struct dp_fp_class **cls);

/* Packets forwarding planes punted (dp_fp_punt()): up to 'max' into
 * 'out'; returns how many.  Control thread only. */
unsigned dp_punt_receive(struct dp_punt *out, unsigned max);

/* A descriptor that becomes readable when punted packets wait (an
 * eventfd; dp_punt_receive() clears it). */
int dp_punt_fd(void);

/* Sends a frame from the control side into vnode (slice, sw): out of
 * vport 'out' (an index, or DP_FP_FLOOD for every vport but 'in_vport'),
 * or through the vnode's forwarding plane as if it had arrived on
 * 'in_vport' when 'out' is DP_INJECT_PIPELINE.  The frame is queued to
 * the vnode's worker; returns 0, ENOENT, EINVAL (bad vport or length) or
 * ENOBUFS. */
#define DP_INJECT_PIPELINE 0xfffb
int dp_vnode_inject(const char *slice, const char *sw, const void *frame,
                    size_t len, uint16_t in_vport, uint16_t out,
                    struct dp_error *err);

/* ---- Introspection ---------------------------------------------------- */

/* The whole configuration as JSON, in the shape the daemon's state file
 * and its "config.get" method use.  The caller owns the reference. */
json_t *dp_config_to_json(void);

/* Counters.  'kind' is one of "port", "slice", "vnode", "queue", "link"
 * or NULL for all; 'name' filters by object name (NULL: all).  Every
 * counter set has packets and bytes in each direction and drops by
 * reason (see DP_DROP_REASONS in dp_counters.h).  A slice's rx counts
 * frames that entered it from hosts (access ports), its tx frames it
 * delivered to hosts, wherever they crossed the substrate in between;
 * its drops count every drop on the way.  Queues and ports count every
 * hop. */
json_t *dp_stats_to_json(const char *kind, const char *name);

/* MAC table of a vnode (l2learn) or other forwarding-plane state. */
json_t *dp_vnode_dump(const char *slice, const char *sw, struct dp_error *err);

/* The path frame 'frame' ('len' bytes, 14..2048) would take if it
 * arrived on port 'port' of switch 'sw', stage by stage (port, slice
 * binding, VLAN, budget, policer, the forwarding plane's decision with
 * the entry or rule that matched, VLAN or label push, label swap or pop,
 * queue, output), following in-process links into the next switches,
 * without sending it or changing any state or counter (dp_trace.c).
 * Returns {"stages": [{"switch", "stage", "hop", "text"}...], "outputs",
 * "drops", "punts", "truncated"} or NULL with 'err' (unknown switch or
 * port, bad length). */
json_t *dp_trace_packet(const char *sw, const char *port, const void *frame,
                        size_t len, struct dp_error *err);

/* Capture (dp_capture.c): frames received and sent on a port, or on a
 * vport (its port filtered to its VLAN or label), written to a pcapng
 * file by the control thread. */
struct dp_capture_params {
    const char *sw;
    const char *port;           /* a port of 'sw', or NULL with: */
    const char *slice, *vport;  /* a vport of the vnode (slice, sw) */
    const char *file;           /* created (0600); not a symlink */
    uint32_t snaplen;           /* bytes kept per frame; 0: 65535 */
    uint64_t count;             /* stop after this many; 0: when stopped */
    /* Instead of a file: trace each frame received (dp_trace_packet())
     * as it is copied, keeping the traces in the capture's state
     * ("traces"); 'file' is then ignored and 'count' required. */
    bool trace;
};
/* Starts a capture; '*result' describes it ({"id", ...}).  EBUSY if the
 * port is captured already. */
int dp_capture_start(const struct dp_capture_params *, json_t **result,
                     struct dp_error *err);
/* Stops capture 'id', writing what is left; '*result' its final state. */
int dp_capture_stop(uint32_t id, json_t **result, struct dp_error *err);
/* Control thread, every few ms while it returns true: writes what the
 * workers copied; a capture that has its count stops copying. */
bool dp_capture_run(void);
/* The captures, running or done (until stopped). */
json_t *dp_capture_list(void);

/* Worker load: per lcore, rounds, busy rounds, sleeps. */
json_t *dp_workers_to_json(void);

#endif /* LAMINA_DATAPLANE_H */
