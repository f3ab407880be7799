/*
 * dp_fp: the forwarding-plane classes a vnode can run.
 *
 * A vnode's forwarding plane decides, for each packet that enters the
 * vnode on one of its vports, which of the vnode's vports it leaves by.
 * It never sees another vnode and can name nothing but its own vport
 * indexes, so no logic inside a slice can send a packet out of it.
 *
 * Classes (in the pattern of Open vSwitch's dpif_class), one file each:
 * "l2learn" (fp_l2learn.c: MAC learning per vnode), "openflow"
 * (fp_openflow.c: an OpenFlow 1.3 pipeline, dataplane/ofpl.h, whose
 * controllers reach it through lamina-switchd's agent) and "ebpf"
 * (fp_ebpf.c: the SP's own eBPF program, fp_ebpf.h).  A class's state
 * is private; the dataplane calls it only from the worker that serves the
 * vnode's switch (process) or from the control thread while workers are
 * paused (everything else).
 */
#ifndef LAMINA_DP_FP_H
#define LAMINA_DP_FP_H 1

#include <stdint.h>
#include <jansson.h>

#include "dataplane.h"

struct rte_mbuf;
struct dp_vnode;

/* Verdicts a class writes per packet besides a vport index. */
#define DP_FP_DROP  0xffff
#define DP_FP_FLOOD 0xfffe
/* Flood to access vports only: split horizon, so a frame that came over
 * a virtual link never goes back onto another one (the VPLS rule that
 * keeps a full mesh of virtual links loop-free). */
#define DP_FP_FLOOD_ACCESS 0xfffd

/* Verdict: the class handed the packet over with dp_fp_punt() or freed it
 * itself; the dataplane does nothing more with it. */
#define DP_FP_CONSUMED 0xfffc

/* What the dataplane tells a class about the round in progress. */
struct dp_fp_ctx {
    uint32_t now_s;                 /* coarse clock, seconds */
    uint64_t now_ns;                /* fine clock, ns since start */
    uint16_t n_vports;              /* vport indexes are 0..n_vports-1 */
    const uint8_t *is_vlink;        /* [n_vports]: 1 for virtual-link ends */
    struct dp_vnode *vn;            /* for dp_fp_punt() / dp_fp_output() */
    unsigned worker;
};

/* A packet a forwarding plane sent to its control side (an OpenFlow
 * packet-in, a BPF program's report): what dp_punt_receive() returns.  The
 * receiver owns 'm' and frees it with rte_pktmbuf_free(). */
struct dp_punt {
    struct rte_mbuf *m;
    void *fp_state;                 /* the vnode's plane, as create() made it */
    uint16_t in_vport;
    uint8_t reason;                 /* class-defined */
    uint8_t table;                  /* class-defined */
    uint32_t pad;
    uint64_t cookie;                /* class-defined */
};

/* Fast path: hands 'm' to the control thread.  Returns true if queued;
 * false if the punt queue is full (then 'm' is freed and counted as a
 * drop of the vnode).  Use with the DP_FP_CONSUMED verdict. */
bool dp_fp_punt(const struct dp_fp_ctx *, struct rte_mbuf *m, uint16_t in_vport,
                uint8_t reason, uint8_t table, uint64_t cookie);

/* Fast path: sends a copy of 'm' out of vport 'vport' (a class that
 * outputs one packet to several vports, e.g. an OpenFlow group).  The
 * caller keeps 'm'. */
void dp_fp_output_copy(const struct dp_fp_ctx *, struct rte_mbuf *m, uint16_t vport);

struct dp_fp_class {
    const char *name;

    /* Creates the plane's state for a new vnode from 'config' (may be
     * NULL).  Returns 0 or a positive errno with 'err' filled. */
    int (*create)(const json_t *config, void **state, struct dp_error *err);

    /* Frees the state; accepts NULL. */
    void (*destroy)(void *state);

    /* Decides for each of 'n' packets, which entered on vport
     * in_vports[i], where it goes: out[i] is a vport index, DP_FP_FLOOD
     * (every vport but the one it came in on), DP_FP_FLOOD_ACCESS (every
     * access vport but that one: split horizon), DP_FP_DROP, or
     * DP_FP_CONSUMED (the class punted the packet with dp_fp_punt() or
     * freed it; the dataplane no longer owns it).  Extra copies go out
     * with dp_fp_output_copy() during the call. */
    void (*process)(void *state, struct rte_mbuf **pkts,
                    const uint16_t *in_vports, uint16_t *out, uint16_t n,
                    const struct dp_fp_ctx *ctx);

    /* Vport 'vport' was removed; forget anything pointing to it. */
    void (*vport_removed)(void *state, uint16_t vport);

    /* The plane's configuration as given to create() (for the state
     * file), and a dump of its state (for people). */
    json_t *(*config)(const void *state);
    json_t *(*dump)(const void *state, uint32_t now_s);

    /* Optional (NULL: the class cannot change while it runs): applies a
     * new 'config' to a live plane, e.g. a new program.  Control thread,
     * workers running: the class pauses them for its swap.  Refusing
     * changes nothing. */
    int (*set)(void *state, const json_t *config, struct dp_error *err);

    /* Optional (NULL: none): the table entries a plane made from 'config'
     * holds, counted against its slice's table quota on the switch
     * (dp_slice_params.table_quota).  0 for a config create() or set()
     * would refuse anyway. */
    uint64_t (*table_entries)(const json_t *config);

    /* For `lamina trace` (dp_trace.c), optional: decides like process()
     * for the one frame 'frame' ('len' bytes) that entered on 'in_vport',
     * without changing the state or any counter (no learning, no
     * packet-in; the workers are paused).  Fills 'outs' (up to 'max')
     * with vport indexes or DP_FP_* values (DP_FP_CONSUMED: to the
     * control side), returns how many (0: dropped), and writes what
     * decided (the table entry or rule that matched) into 'text'. */
    unsigned (*trace)(const void *state, const uint8_t *frame, uint32_t len,
                      uint16_t in_vport, const struct dp_fp_ctx *ctx,
                      uint16_t *outs, unsigned max, char *text, size_t size);

    /* A switch with several workers runs one plane per worker, made by
     * create() from the same config, each written only by its worker.
     * 'per_worker' says the class may run so: its state written per
     * packet is only what learn() also writes, so that the planes agree
     * once each has seen the same frames.  A class without it is refused
     * on such a switch. */
    bool per_worker;

    /* With 'per_worker': learns from 'n' frames another worker's plane
     * decided (they entered on in_vports[i] and now leave through a port
     * this worker owns), as process() would, without deciding anything. */
    void (*learn)(void *state, struct rte_mbuf **pkts, const uint16_t *in_vports,
                  uint16_t n, const struct dp_fp_ctx *ctx);

    /* Optional (NULL: the dataplane always calls process()), for the
     * cut-through pair (dp_worker.c, dp_rx_access_pair()): 'n' frames
     * (at most DP_FP_PAIR_MAX) of one received burst that all entered on
     * access vport 'in' of a vnode whose only other vport is an access
     * vport, so that every verdict but a drop means that other vport.
     * Decides them as process() would, in one call: moves the frames that
     * go out to the front of 'pkts' (in their order), the dropped ones
     * behind them, and returns how many go out; sets *bytes_in to the
     * bytes of all 'n' and *bytes_out to those of the frames that go out.
     * Returns DP_FP_PAIR_DECLINED, having changed nothing (no state, no
     * order), when a frame is one it does not decide this way (e.g. a
     * tagged one): the caller then takes the general path. */
    uint16_t (*pair)(void *state, struct rte_mbuf **pkts, uint16_t n,
                     uint16_t in, const struct dp_fp_ctx *ctx,
                     uint64_t *bytes_in, uint64_t *bytes_out);
};

/* What a class's pair() takes and declines (see above). */
#define DP_FP_PAIR_MAX 64
#define DP_FP_PAIR_DECLINED 0xffff

/* The dataplane's clock: ns since it started (what ctx->now_ns holds on
 * the fast path; for a class's control side). */
uint64_t dp_now_ns(void);

/* Looks up a class by name; NULL if none. */
const struct dp_fp_class *dp_fp_class_find(const char *name);

/* Names of all classes, comma separated (for error messages). */
const char *dp_fp_class_names(void);

extern const struct dp_fp_class dp_fp_l2learn;
extern const struct dp_fp_class dp_fp_openflow;     /* fp_openflow.h */
extern const struct dp_fp_class dp_fp_ebpf;         /* fp_ebpf.h */

#endif /* LAMINA_DP_FP_H */
