/*
 * dp_private: the dataplane's objects, shared by its control side (dp.c:
 * lifecycle and lookups; dp_switch.c: switches, ports, links; dp_slice.c:
 * slices and queues; dp_vnode.c: vnodes and vports; dp_vlink.c: virtual
 * links), its fast path (dp_worker.c), its ports (dp_port.c) and its JSON
 * views (dp_json.c).  Nothing outside dataplane/ includes this.
 *
 * Ownership: the control thread creates and destroys everything while the
 * workers are paused; a worker reads the objects of the switches it
 * serves and is the only writer of their fast-path state (MAC tables,
 * queues, buckets, counters).  Slices span switches, so a slice's
 * counters and buffer count are kept per worker.  A switch served by
 * several workers splits its ports among them (dp_port.worker, the only
 * one touching the port and its queues); what several of them write per
 * packet (vnode, vport and slice counters, policer, budget, the plane's
 * tables) is kept per worker there.
 */
#ifndef LAMINA_DP_PRIVATE_H
#define LAMINA_DP_PRIVATE_H 1

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "bfd.h"
#include "classify.h"
#include "dataplane.h"
#include "dp_counters.h"
#include "dp_fp.h"
#include "dp_gso.h"
#include "dp_tunnel.h"
#include "label_table.h"
#include "qsched.h"

/* Frames a worker receives from a port at a time, and the most that go
 * through the rest of the path together (classification, a plane, the
 * transmit).  64 rather than DPDK's usual 32: the costs paid per burst
 * (the round, the plane's call, the transmit call) then spread over twice
 * the frames; measured on 64-byte frames, 55 -> 52-54 TSC cycles per frame
 * in the stage build and no change with IMIX (docs/design.md). */
#define DP_BURST 64
#define DP_STAGED_PORTS 64          /* ports staged per burst before a flush */
#define DP_DEFAULT_QUEUE_LEN 1024
#define DP_LINK_RING_SIZE 2048
#define DP_DELAY_LINE_MIN 1024
#define DP_MAX_VPORTS 4096
#define DP_PUNT_RING_SIZE 4096
#define DP_INJECT_RING_SIZE 1024

struct dp_switch;
struct dp_slice;
struct dp_vnode;
struct dp_vport;
struct dp_link;
struct dp_capture;

/* A packet held back by a port's delay line until 'due' (ns), still
 * counted in what its slice holds ('s'; NULL once the slice is gone), so
 * that a slice's buffer and super-frame shares bound its frames on an
 * emulated link's delay as in its queues. */
struct dp_delayed {
    struct rte_mbuf *m;
    uint64_t due;
    struct dp_slice *s;
};

/* The per-(slice, egress port) queue: a ring of mbuf pointers. */
struct dp_queue {
    struct dp_slice *slice;
    struct dp_port *port;
    struct rte_mbuf **ring;
    uint32_t mask;              /* capacity - 1 */
    uint32_t head, count;
    bool active;                /* in the port's backlog list */
    bool explicit_rates;        /* set by dp_queue_set() */
    bool shaped;                /* has a guarantee or a ceiling */
    uint32_t refs;              /* vports and label entries using it */
    uint64_t guarantee_bps, ceiling_bps;
    struct qsched_queue sched;
    struct dp_counters ctr;     /* rx: enqueued, tx: sent */
    struct dp_counters *sctr;   /* the slice's on the port's switch */
};

enum dp_port_type { DP_PORT_ETH, DP_PORT_RING, DP_PORT_AFP, DP_PORT_TUN };

struct dp_afp;
struct dp_tunnel;
struct dp_underlay;

/* A port's BFD session (dp_bfd.c): lib/bfd's state machine, run by the
 * port's worker, with the RFC 5881 addressing around it. */
struct dp_bfd {
    struct bfd_session s;
    uint32_t local_ip, peer_ip;     /* network order */
    bool v6;                        /* a tunnel's over IPv6: these instead */
    uint8_t local6[16], peer6[16];
    struct rte_ether_addr mac, peer_mac;
    bool peer_mac_known;
    uint16_t src_port;
    uint64_t arp_rx, arp_tx, tx_failed;
    uint64_t changes;               /* state changes seen by the worker */
};

/* The cut-through pair of an access port (dp_worker.c,
 * dp_rx_access_pair()): the port's untagged binding 'vp' and the other
 * vport 'o' of its vnode, when the two make a bridge the pair path may
 * take (else 'vp' is NULL).  Worked out from the configuration by
 * dp_worker_publish(), with the workers paused, so that a burst reads it
 * from the port instead of walking the vnode, its plane, its slice, the
 * other vport and its port each time. */
struct dp_pair {
    struct dp_vport *vp, *o;
};

struct dp_port {
    /* What every round of its worker reads of the port, idle or not,
     * first: one cache line (a worker serving hundreds of switches walks
     * thousands of ports per round, docs/design.md "... cheap rounds"). */
    enum dp_port_type type;
    unsigned worker;            /* its owner: the one worker that polls,
                                 * schedules and transmits it (one of its
                                 * switch's workers, never changed) */
    uint32_t n_backlog;
    uint32_t dl_count;          /* frames on the delay line */
    bool down;
    bool is_link;               /* carries labels (a substrate link end) */
    bool takes_gso;             /* DP_PORT_AFP with "vnet-hdr": super-frames
                                 * leave whole (dp_gso.h) */
    uint16_t mtu;               /* the interface's MTU (IP bytes): segments
                                 * of super-frames fit it; 0: unknown.  Read
                                 * when the port opens (afpacket, ethdev),
                                 * and for afpacket again at every change
                                 * the kernel announces (dp_afpacket.c's
                                 * grower thread; read it with
                                 * dp_port_mtu()) */
    /* DP_PORT_RING of a link: its peer sent into 'rx_ring' since the
     * last poll (atomic; dp_port_rx_raw() skips the ring otherwise). */
    bool rx_pending;
    /* In its worker's list of ports to poll in a sparse round (the peer
     * sent, or its socket polled readable: dp_worker.c, "Sparse
     * rounds"). */
    bool rx_listed;
    /* Polls in a row that found nothing, up to DP_COLD_POLLS: a port
     * there is cold, polled one round in DP_COLD_EVERY (dp_worker.c,
     * dp_port_poll_due()); the sender into an in-process link zeroes it
     * for the link's other end (dp_port_tx_raw()). */
    uint32_t rx_empty;
    struct rte_ring *rx_ring;
    struct dp_link *link;
    struct dp_capture *capture; /* dp_capture.c; NULL: not captured */
    struct dp_bfd *bfd;         /* dp_bfd.c; NULL: no BFD session */
    struct dp_pair pair;        /* access port: its cut-through pair */

    char name[DP_NAME_LEN];
    struct dp_switch *sw;
    uint16_t idx;               /* index in sw->ports (shifts on delete) */
    uint32_t uid;               /* stable id in the switch: label keys */

    /* DP_PORT_ETH */
    char *devargs;
    char dev_name[DP_NAME_LEN];
    uint16_t eth_port;
    bool eth_rxq_intr;          /* configured with receive interrupts */
    bool eth_strips;            /* the device may hand a VLAN tag over
                                 * beside the frame (it lists the
                                 * VLAN_STRIP offload: net_af_packet, NICs) */
    bool eth_intr_armed;        /* enabled by dp_port_eth_arm() (worker) */
    int eth_ep;                 /* epoll set of the queue's interrupt fd */
    int eth_intr_fd;            /* the fd in it, -1: none yet */
    uint64_t eth_intr_retry_ns; /* no fd: dp_port_eth_arm() waits until */

    /* DP_PORT_AFP: an AF_PACKET socket (dp_afpacket.c) */
    struct dp_afp *afp;

    /* DP_PORT_TUN: an MPLS-in-UDP tunnel (dp_tunnel.c) */
    struct dp_tunnel *tun;
    /* Any type: the port is the underlay of tunnels (dp_tunnel.c) */
    struct dp_underlay *ul;

    /* DP_PORT_RING: one end of an in-process link ('link', 'rx_ring'
     * above) */
    struct rte_ring *tx_ring;

    uint64_t rate_bps;
    uint32_t queue_len;

    /* Ingress bindings of an access port. */
    struct classify_port bindings;
    uint32_t n_users;           /* vports and vlinks using the port */
    uint32_t n_border;          /* border vlinks ending here (is_link while > 0) */

    /* Egress: queues by slice index (lazily allocated), the backlog. */
    struct dp_queue **queues;
    uint32_t n_queues_alloc;
    struct dp_queue **backlog;  /* 'n_backlog' above */
    uint32_t n_queues;
    uint32_t n_shaped;          /* queues with a guarantee or ceiling */
    struct qsched_port sched;

    /* Emulated link: loss and delay after the scheduler. */
    uint32_t delay_us;
    uint32_t loss_ppm;
    struct dp_delayed *delay_line;
    uint32_t dl_mask, dl_head;  /* 'dl_count' above */
    uint64_t rng;

    /* Cut-through frames staged while a received burst is processed,
     * with the queue each was for; sent once at the end of the burst
     * (dp_worker.c, dp_port_flush()). */
    struct rte_mbuf *stage[DP_BURST];
    struct dp_queue *stage_q[DP_BURST];
    uint16_t n_stage;
    bool stage_listed;          /* in its worker's 'staged' list */

    struct dp_counters ctr;

    /* Sparse rounds (dp_worker.c): */
    bool tx_listed;             /* in its worker's list of ports with a
                                 * backlog or a delay line to serve */
    bool ep_watched;            /* DP_PORT_AFP: its socket is being
                                 * replaced, polled every sparse round */
    int ep_fd;                  /* DP_PORT_AFP: the descriptor in its
                                 * worker's epoll set, -1: none */
};

struct dp_link {
    char name[DP_NAME_LEN];
    struct dp_port *ends[2];
    struct rte_ring *rings[2];  /* rings[i]: ends[i] transmits into it */
    uint64_t rate_bps;
    uint32_t delay_us, loss_ppm;
    bool up;
};

struct dp_switch {
    char name[DP_NAME_LEN];
    uint32_t idx;
    unsigned worker;            /* index in dp.workers: the first (or only)
                                 * worker serving it; its control-side
                                 * work (injects, fast reroute) runs there */
    /* The workers serving it (worker, worker + 1, ... modulo
     * dp.n_workers), each owning some of its ports (dp_port.worker). */
    unsigned n_workers;
    unsigned workers[DP_MAX_WORKERS];
    uint16_t worker_ports[DP_MAX_WORKERS];  /* ports each owns, by index */
    struct dp_port **ports;
    uint16_t n_ports;
    uint32_t next_port_uid;
    struct label_table labels;
    struct dp_vnode **vnodes;   /* by slice index, grown on demand: the
                                 * first vnode of the slice here, the
                                 * others chained by dp_vnode.next */
    uint32_t n_vnodes_alloc;
    uint32_t n_vnodes;
    struct dp_vport **fr_vports;    /* vlink ends here with a backup path */
    uint32_t n_fr;
    struct dp_vport **vccv_vports;  /* of them, those with VCCV BFD (the
                                     * worker runs these each round) */
    uint32_t n_vccv;
    uint32_t n_fr_backup;           /* of them, on their backup now */
    uint32_t fr_gen;                /* dp.live_gen they were checked at */
};

/* On a switch with more than one worker, what a worker writes per packet
 * for an object several workers reach (a vnode, a vport, a slice on the
 * switch) is kept per worker: 'w' of an array of dp.n_workers, NULL on a
 * switch with one worker, where the object's own field is used. */
static inline struct dp_counters *
dp_wctr(struct dp_counters *own, struct dp_counters *per_worker, unsigned w)
{
    return per_worker ? &per_worker[w] : own;
}

/* Adds the per-worker counters 'per_worker' (NULL: none) to 'sum'. */
void dp_wctr_sum(struct dp_counters *sum, const struct dp_counters *per_worker);

struct dp_slice {
    char name[DP_NAME_LEN];
    uint32_t idx;
    uint64_t guarantee_bps, ceiling_bps;
    uint64_t policer_bps;
    uint32_t policer_burst;
    uint32_t budget;
    uint32_t mbuf_quota;        /* configured; 0: default */
    uint32_t table_quota;       /* configured; 0: DP_SLICE_TABLE_QUOTA */
    uint32_t quota;             /* in effect per worker */
    uint32_t *held;             /* [n_workers] mbufs in queues and on
                                 * delay lines (dp_delayed) */
    uint32_t gso_quota;         /* configured; 0: default */
    uint32_t gso_share;         /* in effect per worker */
    uint32_t *gso_held;         /* [n_workers] super-frames in queues and
                                 * on delay lines, counted in 'held' too */
    /* Counters per switch, each written only by the worker serving its
     * switch (dp_slice_sw_ctr()); the slice's total is their sum plus
     * 'gone', what switches deleted since had counted. */
    struct dp_slice_sw **sws;
    uint32_t n_sws;
    struct dp_counters gone;
    struct dp_vlink **vlinks;
    uint32_t n_vlinks;
};

enum dp_vport_type { DP_VPORT_ACCESS, DP_VPORT_VLINK };

/* A vnode's ingress isolation state kept by one worker. */
struct dp_vnode_iso {
    struct qsched_tb policer;
    uint64_t budget_round;
    uint32_t budget_used;
};

struct dp_vport {
    char name[DP_NAME_LEN];
    struct dp_vnode *vn;
    uint16_t idx;               /* index in vn->vports */
    enum dp_vport_type type;
    struct dp_port *port;       /* ACCESS: the port; VLINK: first hop
                                 * (NULL for a vlink inside the switch) */
    int vlan;                   /* ACCESS: VID or -1 */
    enum dp_bind_kind bind;     /* ACCESS: what frames of the port */
    uint64_t *vlans;            /* DP_BIND_VLANS: [DP_VLAN_WORDS] bitmap */
    uint32_t label;             /* VLINK: label pushed on egress */
    struct dp_vlink *vlink;
    struct dp_vport *peer;      /* VLINK inside the switch: the other end,
                                 * frames handed to it directly */
    struct dp_vlink_fr *fr;     /* VLINK with a backup path; else NULL */
    struct dp_queue *queue;     /* (slice, port); NULL with 'peer' */
    struct dp_counters ctr;     /* rx: into the vnode, tx: out of it */
    struct dp_counters *wctr;   /* per worker on a multi-worker switch */
};

struct dp_vnode {
    struct dp_slice *slice;
    struct dp_switch *sw;
    char name[DP_NAME_LEN];     /* "" for the slice's default vnode here */
    struct dp_vnode *next;      /* next vnode of the slice on 'sw' */
    const struct dp_fp_class *fp;
    void *fp_state;
    /* On a switch with several workers, a plane per worker (a class with
     * 'per_worker'), [dp.n_workers], the switch's first worker's being
     * 'fp_state'; NULL on a switch with one worker. */
    void **wfp_state;
    struct dp_vport **vports;
    uint16_t n_vports;          /* high-water mark; holes are NULL */
    uint16_t n_live;            /* vports that exist */
    uint8_t *is_vlink;          /* [n_vports]: vport is a virtual-link end */

    /* Ingress isolation state of the slice on this switch. */
    struct qsched_tb policer;
    uint64_t budget_round;
    uint32_t budget_used;
    /* The same per worker on a switch with several workers
     * ([dp.n_workers]; NULL with one): each worker polices with its share
     * of the rate and counts its own budget. */
    struct dp_vnode_iso *wiso;

    struct dp_counters *sctr;   /* the slice's on this switch */
    struct dp_counters *wsctr;  /* the same per worker, or NULL */
    struct dp_counters ctr;
    struct dp_counters *wctr;   /* per worker, or NULL */
};

/* Fast reroute at one end of a virtual link with a backup path: the
 * end's worker checks the links of the path it sends on once per round
 * (dp_vlink_fr_check(), for each of sw->fr_vports) and swaps the vport's
 * port, queue and label with the other path's when it must. */
struct dp_vlink_fr {
    struct dp_port **paths[2];  /* [0] primary, [1] backup: ports sent on */
    uint32_t n_paths[2];
    struct dp_port *alt_port;   /* the path not in use: */
    struct dp_queue *alt_queue;
    uint32_t alt_label;
    bool on_backup;
    uint64_t hold_ns;
    uint64_t up_since;          /* primary seen live since (ns); 0: not */
    uint64_t reroutes, reverts, last_change;
    struct dp_vccv *vccv;       /* end-to-end BFD of each path; NULL: none */
};

/* End-to-end liveness of a virtual link (dp_vccv.c): a BFD session per
 * path ([0] primary, [1] backup) between the two head ends, carried in
 * the pseudowire itself (VCCV, RFC 5885) on that path's labels.  Run by
 * the worker of the end's switch. */
struct dp_vccv {
    struct bfd_session s[2];
    struct bfd_config cfg;      /* the intervals of the path in use */
    bool standby[2];            /* s[k] runs at the standby intervals */
    uint64_t tx_failed[2];
    uint64_t rx_other;          /* ACH frames that are not BFD control */
};

/* A port that may carry traffic: not down, and its BFD session (if any)
 * Up. */
static inline bool
dp_port_live(const struct dp_port *p)
{
    return !p->down && (!p->bfd || p->bfd->s.state == BFD_UP);
}

struct dp_label_entry;

/* dp_vlink.c, in the worker of vlink end 'vp' (vp->fr set). */
void dp_vlink_fr_check(struct dp_vport *vp, uint64_t now);

/* dp_vccv.c.  In the worker of vlink end 'vp' (vp->fr->vccv set): runs
 * the timers of both paths' sessions and sends what is due (returns the
 * ns until it must run again).  In the worker of the switch where a label
 * entry 'e' pops: takes frame 'm' whose control word is an associated
 * channel header (first nibble 0001), used or freed.  Control side: the
 * sessions of an end (checked 'bp'), their configuration and state. */
uint64_t dp_vccv_run(struct dp_vport *vp, uint64_t now);
void dp_vccv_input(const struct dp_label_entry *e, struct rte_mbuf *m,
                   uint64_t now);
int dp_vccv_new(const char *what, const struct dp_bfd_params *bp,
                struct dp_vccv **out, struct dp_error *err);
void dp_vccv_list(json_t *list);
json_t *dp_vccv_state_json(const struct dp_vport *vp, int path);

/* The outer header of a labelled frame that vport 'sw_idx' sends: outer
 * Ethernet naming the switch, 'label' (bottom of stack, TTL 64) and the
 * control word 'cw' (0 for a frame of the vnode; an associated channel
 * header for VCCV). */
static inline void
dp_eompls_header(uint8_t *h, uint32_t sw, uint32_t label, uint32_t cw)
{
    h[0] = 0x02; h[1] = 0x4c; h[2] = 0x4d; h[3] = 0xff; h[4] = 0xff; h[5] = 0xff;
    h[6] = 0x02; h[7] = 0x4c; h[8] = 0x4d;
    h[9] = sw >> 16; h[10] = sw >> 8; h[11] = sw;
    h[12] = ETHTYPE_MPLS >> 8;
    h[13] = ETHTYPE_MPLS & 0xff;
    classify_put_label(h + 14, label, 64);
    h[18] = cw >> 24; h[19] = cw >> 16; h[20] = cw >> 8; h[21] = cw;
}

/* A label entry: what a switch does with (port, label). */
enum dp_label_op { DP_LABEL_SWAP, DP_LABEL_POP };

struct dp_label_entry {
    enum dp_label_op op;
    struct dp_slice *slice;
    struct dp_queue *queue;     /* SWAP: (slice, next port) */
    struct dp_vport *vport;     /* POP: deliver here */
    uint32_t out_label;         /* SWAP */
    bool backup;                /* POP: the end of a vlink's backup path */
};

/* One direction of a virtual link at one switch. */
struct dp_vlink_hop {
    struct dp_switch *sw;
    struct dp_port *in_port;    /* where the label arrives; NULL at head */
    struct dp_port *out_port;   /* where it leaves; NULL at tail */
    uint32_t in_label;          /* the label it arrives with */
    struct dp_label_entry *entry;
};

struct dp_vlink {
    char name[DP_NAME_LEN];
    struct dp_slice *slice;
    uint32_t label;
    char **path;
    size_t n_path;
    struct dp_vport *ends[2];   /* vports at path[0] and path[n-1]; a
                                 * border vlink has only ends[0] */
    char border_port[DP_NAME_LEN];  /* "" unless a border vlink */
    uint32_t border_label;
    struct dp_port *border;     /* set once the border port counts it */
    char border_in_port[DP_NAME_LEN];   /* "" unless a transit vlink */
    uint32_t border_in_label;
    struct dp_port *border_in;  /* at path[0]; set once the port counts it */
    /* hops[d][i]: direction d (0: head->tail), i-th switch on the path */
    struct dp_vlink_hop *hops[2];
    /* The backup path (n_backup == 0: none), its label and hops. */
    char **backup;
    size_t n_backup;
    uint32_t backup_label;
    uint32_t hold_ms;
    struct dp_vlink_hop *bhops[2];
    /* A border vlink's backup ends at its own border ("": none). */
    char backup_border_port[DP_NAME_LEN];
    uint32_t backup_border_label;
    struct dp_port *backup_border;  /* set once the port counts it */
    /* End-to-end BFD on both paths (dp_vccv.c), with these timers. */
    bool vccv;
    struct bfd_config vccv_cfg;
};

/* A frame the control thread injects into a vnode. */
struct dp_inject {
    struct rte_mbuf *m;
    struct dp_vnode *vn;
    uint16_t in_vport;
    uint16_t out;
    uint32_t pad;
};

/* Cycles a worker spent per fast path stage, summed over its rounds; only
 * a build with -Dstage_cycles=true counts them (DP_STAGE_CYCLES), the
 * normal fast path reads no clock for them.  rx: the drivers' receive;
 * classify: from a received burst to its slice queues (classify, police,
 * counters, encapsulation, enqueue), without fp and tx; fp: the vnodes'
 * forwarding planes; sched: serving the backlogs (queues and scheduler,
 * loss, delay line), without tx; tx: the drivers' transmit. */
struct dp_stage_cycles {
    uint64_t rx, classify, fp, sched, tx;
};

/* A received burst whose stages took more cycles than this (about 75 us
 * at 2.6 GHz; a burst of 32 takes 3,000 to 40,000) was preempted. */
#define DP_STAGE_CALM_MAX 200000
#define DP_STAGE_WINDOW 65536

#ifdef DP_STAGE_CYCLES
#define DP_STAGE_TSC() rte_rdtsc()
#define DP_STAGE_ADD(W, FIELD, CYCLES) (dp.workers[W].stage.FIELD += (CYCLES))
#else
#define DP_STAGE_TSC() UINT64_C(0)
#define DP_STAGE_ADD(W, FIELD, CYCLES) ((void) (CYCLES))
#endif

/* A frame one worker hands to another, the owner of the port it leaves
 * by (a switch with several workers): for vport 'to' (DP_HANDOFF_VPORT,
 * the owner outputs it there, after learning its source on 'in_vport'
 * of the vport's vnode unless DP_HANDOFF_NO_LEARN) or queue 'to'
 * (DP_HANDOFF_QUEUE: a label switched frame). */
struct dp_handoff {
    struct rte_mbuf *m;
    void *to;
    uint16_t in_vport;
    uint16_t kind;
    uint32_t pad;
};
enum { DP_HANDOFF_VPORT, DP_HANDOFF_QUEUE };
#define DP_HANDOFF_NO_LEARN 0xffff
#define DP_HANDOFF_RING_SIZE 4096
#define DP_HANDOFF_DRAIN_BURSTS 8     /* per ring per round, at most */
#define DP_HANDOFF_HOLD (8 * DP_BURST) /* room under which a sender holds rx */

/* Ranges of a delayed frame's lateness: below 20 us, 100 us, 500 us,
 * 2 ms, and more. */
#define DP_LATE_BUCKETS 5
extern const uint64_t dp_late_bounds_ns[DP_LATE_BUCKETS - 1];

struct dp_worker {
    unsigned lcore;
    struct rte_ring *inject;    /* struct dp_inject, control -> worker */
    struct dp_switch **switches;
    uint32_t n_switches;
    volatile bool running;
    bool punted;                /* signal dp.punt_fd at the end of the round */
    uint8_t handovers;          /* nesting of vlinks inside a switch */
    uint64_t now;               /* ns, read once at the start of the round */
    uint64_t rounds, busy_rounds, sleeps, sleep_ns;
    uint64_t pkts;
    /* Delay lines: how late their frames left, against their due time
     * (the round's clock minus the due time), in total, at most, and by
     * DP_LATE_BUCKETS ranges (dp_late_bounds_ns[]). */
    uint64_t late_frames, late_ns, late_max_ns;
    uint64_t late_hist[DP_LATE_BUCKETS];
    struct dp_stage_cycles stage;
    /* The same for received bursts that took under DP_STAGE_CALM_MAX
     * cycles from receive to transmit, with their packets, and how many
     * bursts took longer (the thread was preempted or interrupted: on a
     * shared CPU those cycles are the machine's load, not the path's). */
    struct dp_stage_cycles calm;
    uint64_t calm_pkts, calm_left_out;
    /* Of those that sent frames, the current window of DP_STAGE_WINDOW
     * packets and the window with the fewest cycles per packet so far (a
     * CPU shared with other work, or an SMT sibling's, slows whole
     * windows: the best one is the path's own cost, the figure to compare
     * builds by). */
    struct dp_stage_cycles win, best;
    uint64_t win_pkts, best_pkts;
    /* Ports with cut-through frames staged in the current burst. */
    struct dp_port *staged[DP_STAGED_PORTS];
    uint16_t n_staged;
    /* Idle: a worker whose ports can all wake it blocks in ppoll() on
     * them and on 'kick_fd' (dp_worker_block()); 'blocked' says so to
     * whoever has work for it (dp_worker_kick()). */
    int kick_fd;                /* eventfd */
    int blocked;                /* atomic */
    bool eth_armed;             /* ethdev receive interrupts are armed */
    uint64_t blocks;
    struct pollfd *pfds;
    unsigned pfds_cap;
    /* Handoff (switches with several workers): to[b], the single-producer
     * single-consumer ring to worker b (NULL for itself), filled from
     * 'ho' once per received burst (dp_worker_flush()); 'from' lists the
     * rings others fill for it. */
    struct rte_ring *to[DP_MAX_WORKERS];
    struct rte_ring *from[DP_MAX_WORKERS];
    unsigned n_from;
    struct dp_handoff ho[DP_MAX_WORKERS][DP_BURST];
    uint16_t n_ho[DP_MAX_WORKERS];
    uint64_t handoff_out, handoff_in, handoff_drops;
    uint64_t handoff_holds;     /* rounds it received nothing: a ring full */
    /* Sparse rounds (dp_worker.c): a worker whose ports can all tell it
     * they have work (afpacket sockets in its epoll set 'epfd', in-process
     * links it serves both ends of, tunnels on such an underlay) serves,
     * while not busy, only its lists: 'rxl' ports to poll, 'txl' ports
     * with a backlog or delay line, 'watch' afpacket ports whose socket
     * is being replaced, 'always' tunnel ports, 'bfdl' ports with BFD,
     * 'frsw' switches with vlink ends to check; each list holds at most
     * 'cap' (dp_worker_publish() rebuilds them). */
    bool sparse_ok;
    bool lists_lost;            /* a list overflowed: next round is full */
    int epfd;
    struct dp_port **rxl, **txl, **watch, **always, **bfdl;
    uint32_t n_rxl, n_txl, n_watch, n_always, n_bfdl, cap;
    struct dp_switch **frsw;
    uint32_t n_frsw;
    uint64_t last_full_ns;
    uint64_t sparse_rounds;
};

struct dp {
    struct rte_mempool *pool;
    struct rte_mempool *gso_pool;   /* super-frames (dp_gso.h); NULL: none */
    struct dp_params params;
    unsigned n_workers;
    struct dp_worker workers[DP_MAX_WORKERS];

    struct dp_switch **switches;
    uint32_t n_switches;
    struct dp_slice **slices;   /* by index; NULL holes */
    uint32_t n_slices_alloc;
    uint32_t n_slices;
    struct dp_link **links;
    uint32_t n_links;

    struct rte_ring *punt;      /* struct dp_punt, workers -> control */
    int punt_fd;                /* eventfd: punted packets wait */
    unsigned next_vdev;
    double ns_per_tsc;
    uint64_t start_tsc;
    bool started;
    unsigned pause_depth;
    /* Bumped when a port's liveness may have changed (up/down, a BFD
     * session's state, a new backup path): vlink ends recheck their
     * paths only then, or while on a backup (the hold-down). */
    uint32_t live_gen;
};


extern struct dp dp;

/* The index of port 'p''s owner among its switch's workers. */
static inline unsigned
dp_port_worker_slot(const struct dp_port *p)
{
    return (p->worker + dp.n_workers - p->sw->worker) % dp.n_workers;
}

/* Says that a port's liveness may have changed (any thread). */
static inline void
dp_live_changed(void)
{
    __atomic_fetch_add(&dp.live_gen, 1, __ATOMIC_RELEASE);
}

/* Fast path (dp_worker.c). */
int dp_worker_main(void *arg);
void dp_worker_publish(void);          /* rebuild per-worker lists */
/* Frees a worker's lists and epoll set for sparse rounds (paused). */
void dp_worker_sparse_free(struct dp_worker *wk);
bool dp_worker_pause_requested(void);
/* Puts port 'p' on its worker's list of ports to poll in the next
 * sparse round (its worker only). */
void dp_worker_list_rx(struct dp_port *p);
/* Wakes worker 'wk' if it is blocked waiting for traffic (any thread). */
void dp_worker_kick(struct dp_worker *wk);
uint64_t dp_now_ns(void);

/* Queues (dp_slice.c). */
struct dp_queue *dp_queue_ref(struct dp_slice *, struct dp_port *, struct dp_error *);

/* The counters of slice 's' on switch 'sw' (rx: frames from hosts at that
 * switch, tx: frames to hosts there, drops there), created on first use
 * (control thread); they live until the slice or the switch is deleted. */
struct dp_slice_sw {
    struct dp_switch *sw;
    struct dp_counters ctr;
    struct dp_counters *wctr;   /* per worker on a multi-worker switch: a
                                 * queue writes its port owner's, a vnode
                                 * the receiving worker's */
};
/* The per-worker counters of slice 's' on 'sw' (NULL if 'sw' has one
 * worker); created with dp_slice_sw_ctr(). */
struct dp_counters *dp_slice_sw_wctr(struct dp_slice *s, struct dp_switch *sw);
struct dp_counters *dp_slice_sw_ctr(struct dp_slice *s, struct dp_switch *sw);

/* Switch 'sw' is being deleted: each slice folds its counters there into
 * its total and forgets them (workers paused). */
void dp_slice_sw_forget(struct dp_switch *sw);
void dp_queue_unref(struct dp_queue *);
void dp_queue_flush(struct dp_queue *, unsigned worker);
/* Recomputes the ceiling and guarantee of 'q' from its port's rate. */
void dp_queue_rates(struct dp_queue *);

/* Switch ports (dp_switch.c): the sum of the guarantees of the queues on
 * a port, leaving out 'skip'. */
uint64_t dp_port_guaranteed(const struct dp_port *, const struct dp_queue *skip);

/* Vnodes (dp_vnode.c): (re)starts the vnode's policer from its slice's
 * budget; finds a vport by name; adds a vport to its vnode in the first
 * free slot, or removes it leaving a hole (workers paused). */
void dp_vnode_policer_init(struct dp_vnode *);
/* Starts token bucket 'tb' as one of 'n' that share 'rate_bps' and a
 * burst of 'burst_bytes' (0: the default), each with 1/n of both. */
void dp_policer_split(struct qsched_tb *tb, uint64_t rate_bps,
                      uint32_t burst_bytes, unsigned n, uint64_t now);
/* Table entries the vnodes of slice 's' on switch 'sw' hold, leaving out
 * 'skip' (dp_fp_class.table_entries); the slice's quota in effect. */
uint64_t dp_slice_table_use(const struct dp_slice *, const struct dp_switch *,
                            const struct dp_vnode *skip);
uint32_t dp_slice_table_quota(const struct dp_slice *);
struct dp_vport *dp_vport_find(const struct dp_vnode *, const char *name);
int dp_vport_attach(struct dp_vport *, struct dp_error *);
void dp_vport_detach(struct dp_vport *);

/* Lifecycle (dp.c): frees what waits in the punt and inject rings for
 * vnode 'vn' (all of it when NULL); workers are paused. */
void dp_rings_forget(const struct dp_vnode *vn);
/* Frees the frames handed between workers for vport or queue 'to' (all
 * of them when NULL); workers are paused.  Creates the handoff rings
 * between the workers of a new multi-worker switch (control thread,
 * before it is published). */
void dp_handoff_forget(const void *to);
int dp_handoff_rings(const struct dp_switch *, struct dp_error *);

/* Ports (dp_port.c). */
/* Opens a port from its devargs: "afpacket:IFNAME" (dp_afpacket.c) or
 * any DPDK devargs (an ethdev); closes it again. */
int dp_port_open(struct dp_port *, const char *devargs, struct dp_error *);
void dp_port_close(struct dp_port *);
int dp_port_eth_open(struct dp_port *, const char *devargs, struct dp_error *);
void dp_port_eth_close(struct dp_port *);
/* Receive interrupts of an ethdev port around a worker's block: arm
 * returns a descriptor to poll, or -1 if the port cannot wake the worker
 * now; disarm undoes it and takes what it raised (worker). */
int dp_port_eth_arm(struct dp_port *, uint64_t now);
void dp_port_eth_disarm(struct dp_port *);
int dp_port_afp_open(struct dp_port *, const char *ifname, struct dp_error *);
void dp_port_afp_close(struct dp_port *);
uint16_t dp_afp_rx(struct dp_port *, struct rte_mbuf **, uint16_t);
/* Frames the kernel dropped for a full ring so far (control thread). */
uint64_t dp_afp_kernel_drops(struct dp_port *);
/* Frames the port's receive ring holds now; '*grows', how many times it
 * has grown. */
unsigned dp_afp_ring_frames(const struct dp_port *, unsigned *grows);
/* The descriptor that polls readable when the port has a frame, or -1
 * while its ring is being replaced (worker). */
int dp_afp_poll_fd(const struct dp_port *);
uint16_t dp_afp_tx(struct dp_port *, struct rte_mbuf **, uint16_t);
/* The interface address of an afpacket port into 'mac'. */
int dp_afp_mac(const struct dp_port *, uint8_t mac[6]);
/* Keeps the kernel's own stack off the frames to IP address 'addr' (4 or
 * 16 bytes, network order) on afpacket port 'p''s interface, which the
 * port alone consumes (a tunnel underlay's local address): a tc ingress
 * eBPF program drops them after the packet sockets (the port's ring
 * among them) got their copy, so that the kernel spends no route lookup
 * on them, nor answers them.  Replaces an earlier claim of 'p'.
 * _unclaim_ removes it (and the clsact qdisc if the claim added it);
 * _claimed tells whether one is in place.  Control thread. */
int dp_afp_claim_addr(struct dp_port *p, bool v6, const uint8_t addr[16],
                      struct dp_error *);
void dp_afp_unclaim_addr(struct dp_port *p);
bool dp_afp_claimed(const struct dp_port *p);

/* Whether the kernel of this network namespace has IP address 'addr' (4
 * or 16 bytes per 'v6') on an interface, whose name then goes to
 * 'ifname'.  dp_afp_claim_addr() refuses such an address. */
bool dp_afp_addr_owner(bool v6, const uint8_t addr[16], char ifname[IF_NAMESIZE]);
void dp_port_init_egress(struct dp_port *, uint64_t rate_bps, uint32_t delay_us,
                         uint32_t loss_ppm);
int dp_port_set_delay(struct dp_port *, uint32_t delay_us, struct dp_error *);

/* Lookup helpers (dp.c).  The dp_need_*() ones set 'err' when the object
 * does not exist; dp_check_name() refuses an empty or too long name. */
struct dp_switch *dp_switch_find(const char *);
struct dp_port *dp_port_find(const struct dp_switch *, const char *);
struct dp_slice *dp_slice_find(const char *);
/* Vnodes have addresses "SWITCH" (the slice's default vnode there) or
 * "SWITCH/NAME" (a named one, for an embedding that places several
 * virtual nodes of a slice on one switch).  dp_vnode_find() finds the
 * vnode 'name' ("" or NULL: the default one); dp_need_vnode_switch()
 * splits 'addr' into its switch (setting 'err' if there is none or the
 * name is not valid) and '*name'; dp_vnode_lookup() resolves a whole
 * address quietly; dp_vnode_addr() writes a vnode's address. */
struct dp_vnode *dp_vnode_find(const struct dp_slice *, const struct dp_switch *,
                               const char *name);
struct dp_switch *dp_need_vnode_switch(const char *addr, const char **name,
                                       struct dp_error *);
struct dp_vnode *dp_vnode_lookup(const char *slice, const char *addr);
const char *dp_vnode_addr(const struct dp_vnode *, char buf[2 * DP_NAME_LEN]);
struct dp_link *dp_link_find(const char *);
int dp_check_name(const char *what, const char *name, struct dp_error *);
struct dp_switch *dp_need_switch(const char *name, struct dp_error *);
struct dp_slice *dp_need_slice(const char *name, struct dp_error *);
struct dp_port *dp_need_port(const struct dp_switch *, const char *name,
                             struct dp_error *);

void dp_err(struct dp_error *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline uint16_t
dp_port_rx_raw(struct dp_port *p, struct rte_mbuf **pkts, uint16_t n)
{
    if (p->type == DP_PORT_RING) {
        if (p->link) {
            /* Only when the peer sent (the exchange is a full barrier: a
             * send after it sets the flag again, one before it is seen by
             * the dequeue). */
            if (!__atomic_load_n(&p->rx_pending, __ATOMIC_ACQUIRE)
                || !__atomic_exchange_n(&p->rx_pending, false, __ATOMIC_SEQ_CST)) {
                return 0;
            }
            uint16_t got = rte_ring_dequeue_burst(p->rx_ring, (void **) pkts, n, NULL);
            if (got == n) {
                __atomic_store_n(&p->rx_pending, true, __ATOMIC_RELEASE);  /* more */
            }
            return got;
        }
        return rte_ring_dequeue_burst(p->rx_ring, (void **) pkts, n, NULL);
    }
    if (unlikely(p->type == DP_PORT_AFP)) {
        return dp_afp_rx(p, pkts, n);
    }
    if (unlikely(p->type == DP_PORT_TUN)) {
        return dp_tunnel_rx(p, pkts, n);
    }
    uint16_t got = rte_eth_rx_burst(p->eth_port, 0, pkts, n);
    uint16_t k = 0;
    if (!p->eth_strips) {
        return got;             /* a device without the offload never does */
    }
    for (uint16_t i = 0; i < got; i++) {
        /* A device that hands the tag over beside the frame (net_af_packet
         * on a kernel that strips it, a NIC with the offload on): put it
         * back, so classification sees the frame as it was on the wire
         * (rte_vlan_insert() clears the flag).  A frame it cannot be put
         * back into is dropped, never taken for an untagged one. */
        if (unlikely(pkts[i]->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED)
            && unlikely(rte_vlan_insert(&pkts[i]))) {
            rte_pktmbuf_free(pkts[i]);
            p->ctr.drops[DP_DROP_MALFORMED]++;
            continue;
        }
        pkts[k++] = pkts[i];
    }
    return k;
}

static inline uint16_t
dp_port_tx_raw(struct dp_port *p, struct rte_mbuf **pkts, uint16_t n)
{
    if (p->type == DP_PORT_RING) {
        uint16_t sent = rte_ring_enqueue_burst(p->tx_ring, (void **) pkts, n, NULL);
        if (sent && p->link) {
            /* The other end polls at once, cold or not (its owner may
             * be another worker: a lost store of 'rx_empty' only delays
             * the frames to its next cold round). */
            struct dp_port *peer = p->link->ends[p->link->ends[0] == p];
            __atomic_store_n(&peer->rx_pending, true, __ATOMIC_SEQ_CST);
            if (!peer->rx_listed && peer->worker == p->worker) {
                dp_worker_list_rx(peer);        /* its owner is the caller */
            }
            if (peer->rx_empty) {
                __atomic_store_n(&peer->rx_empty, 0, __ATOMIC_RELAXED);
            }
        }
        return sent;
    }
    if (unlikely(p->type == DP_PORT_AFP)) {
        return dp_afp_tx(p, pkts, n);
    }
    if (unlikely(p->type == DP_PORT_TUN)) {
        return dp_tunnel_tx(p, pkts, n);
    }
    return rte_eth_tx_burst(p->eth_port, 0, pkts, n);
}

/* The MTU of port 'p' (its 'mtu'), which another thread may change. */
static inline uint16_t
dp_port_mtu(const struct dp_port *p)
{
    return __atomic_load_n(&p->mtu, __ATOMIC_RELAXED);
}

/* Adds 'sign' (1 or -1) times packet 'm' to what slice 's' holds on
 * worker 'w' (its buffer and, for a super-frame, its super-frame): the
 * shares' count of a frame entering or leaving one of its queues or an
 * emulated link's delay line. */
static inline void
dp_slice_hold(struct dp_slice *s, unsigned w, const struct rte_mbuf *m, int sign)
{
    s->held[w] += sign;
    s->gso_held[w] += sign * (int) dp_gso_is_super(m);
}

/* dp_slice_hold() for delayed packet 'd', if its slice is still there. */
static inline void
dp_delayed_hold(const struct dp_delayed *d, unsigned w, int sign)
{
    if (d->s) {
        dp_slice_hold(d->s, w, d->m, sign);
    }
}

/* dp_bfd.c: a new local discriminator; checks the intervals of 'bp'
 * (EINVAL naming 'what'). */
uint32_t dp_bfd_new_disc(void);
int dp_bfd_check_params(const char *what, const struct dp_bfd_params *bp,
                        struct dp_error *err);

/* dp_bfd.c.  In the port's worker: takes the session's frames out of a
 * received burst (returns how many are left in 'pkts'); runs the timers
 * and sends what is due (returns the ns until it needs to run again).
 * Control side: the port's BFD configuration (with the addresses, for a
 * port) and state as JSON; frees the session of a port going away. */
uint16_t dp_bfd_rx(struct dp_port *, struct rte_mbuf **pkts, uint16_t n,
                   uint64_t now);
uint64_t dp_bfd_run(struct dp_port *, uint64_t now);
/* Frame 'm' received for the session of tunnel port 'p' (BFD to UDP 3784
 * on the underlay, from the tunnel's underlay input): true if it was the
 * session's (used and freed), false if the caller keeps it. */
bool dp_bfd_input(struct dp_port *p, struct rte_mbuf *m, uint64_t now);
json_t *dp_bfd_config_json(const struct dp_port *, bool addresses);
/* The timers of a configuration; a session's state and counters (with
 * 'tx_failed'), the members every kind of session shows. */
json_t *dp_bfd_timers_json(const struct bfd_config *);
json_t *dp_bfd_session_json(const struct bfd_session *, uint64_t tx_failed);
json_t *dp_bfd_state_json(const struct dp_port *);
void dp_bfd_free(struct dp_port *);

/* dp_capture.c: a captured port's bursts (p->capture set). */
void dp_capture_rx(struct dp_port *, struct rte_mbuf **pkts, uint16_t n);
uint16_t dp_capture_tx(struct dp_port *, struct rte_mbuf **pkts, uint16_t n);
void dp_capture_port_gone(struct dp_port *);
void dp_capture_stop_all(void);

/* Receives a burst from 'p' (and copies it for a capture). */
static inline uint16_t
dp_port_rx(struct dp_port *p, struct rte_mbuf **pkts, uint16_t n)
{
    n = dp_port_rx_raw(p, pkts, n);
    if (unlikely(p->capture != NULL) && n) {
        dp_capture_rx(p, pkts, n);
    }
    return n;
}

/* Sends a burst on 'p' as it is (copying what it took for a capture). */
static inline uint16_t
dp_port_tx_whole(struct dp_port *p, struct rte_mbuf **pkts, uint16_t n)
{
    if (unlikely(p->capture != NULL)) {
        return dp_capture_tx(p, pkts, n);
    }
    return dp_port_tx_raw(p, pkts, n);
}

/* Sends a burst on 'p', super-frames cut into segments first unless 'p'
 * takes them whole and has no emulated loss, which then applies to each
 * segment; those whose segments are over the port's MTU are dropped
 * (dp_gso.h). */
static inline uint16_t
dp_port_tx(struct dp_port *p, struct rte_mbuf **pkts, uint16_t n)
{
    if (unlikely(dp.gso_pool != NULL) && (p->type != DP_PORT_RING || p->loss_ppm)) {
        return dp_gso_tx(p, pkts, n);
    }
    return dp_port_tx_whole(p, pkts, n);
}

#endif /* LAMINA_DP_PRIVATE_H */
