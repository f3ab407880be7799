/*
 * slicer_pvt: the daemon's runtime state, shared by slicer.c (connections
 * and the proxy) and slicer_rpc.c (management).  Not an API.
 */
#ifndef LAMINA_SLICER_PVT_H
#define LAMINA_SLICER_PVT_H 1

#include <stdbool.h>
#include <stdint.h>

#include "jsonrpc.h"
#include "ofchan.h"
#include "ofp-msg.h"
#include "ofpbuf.h"
#include "ofstream.h"
#include "slicer.h"
#include "statefile.h"

#define XID_MAP_SIZE 65536              /* in-flight requests per switch */
#define CONN_HIGH_WATER (8u << 20)      /* pause/drop above this backlog */
#define CONN_LOW_WATER (1u << 20)

enum conn_kind { CONN_LISTEN, CONN_RPC, CONN_SWITCH, CONN_CTRL, CONN_SIGNAL };

struct conn {
    enum conn_kind kind;
    int fd;                     /* registered with epoll, or -1 */
    struct ofchan *ch;          /* switch and controller connections */
    uint32_t events;            /* registered with epoll */
    bool dirty;                 /* has output to flush */
    bool paused;                /* not reading: the other side is behind */
    bool dead;                  /* closed; freed at the end of the loop turn */
    char peer[160];
};

/* A request forwarded to a switch, waiting for its answer. */
struct xid_ent {
    uint32_t phys_xid;
    uint32_t ctrl_xid;
    uint32_t cc_serial;         /* the controller connection it came on */
    uint16_t tag;               /* slice; 0: the slicer's own request */
    uint8_t type;               /* request type */
    uint8_t internal;           /* enum internal_req when tag is 0 */
};

enum internal_req { INT_NONE, INT_FEATURES, INT_PORT_DESC, INT_FLOW_DUMP,
                    INT_REPUSH, INT_CLEANUP };

enum sw_state { SW_HELLO, SW_FEATURES, SW_UP };

struct sw_conn {
    struct conn c;
    struct sw_conn *next;
    enum sw_state state;
    uint64_t dpid;
    struct ofp_features features;
    struct ofp_port_info *ports;
    size_t n_ports;
    struct xid_ent *xids;
    uint32_t next_xid;
    uint64_t connected_ms;
    uint64_t msgs_in, msgs_out, packet_ins_unowned;
    struct ofauth_gate gate;    /* the switch secret, on plain TCP */
};

enum cc_state { CC_WAIT, CC_CONNECTING, CC_HELLO, CC_AUTH, CC_UP };

struct ctrl_conn {
    struct conn c;
    struct ctrl_conn *next;
    struct slice *slice;
    struct slice_dp *dp;
    struct sw_conn *sw;
    enum cc_state state;
    uint32_t serial;
    struct ofchan_backoff backoff;
    struct ofauth_gate gate;    /* the slice's secret (ofauth.h) */
    uint64_t connects;          /* successful connections */
};

/* A datapath id bound to the identity of the switch that first claimed it
 * over TLS (ofstream_peer_id()): a connection claiming it with another
 * identity, or without one, is refused. */
struct dpid_binding {
    uint64_t dpid;
    char id[160];
};

struct slicer {
    struct slicer_config cfg;
    int epfd;
    struct conn listen;
    struct ofstream_listener *listener;     /* switches connect here */
    struct ofstream_tls *tls;   /* for pssl: and ssl: controllers, or NULL */
    struct conn rpc_conn;       /* the JSON-RPC server's epoll fd */
    struct conn signals;        /* a signalfd (daemon.h), or fd -1 */
    struct jsonrpc_server *rpc;
    char *state_path;
    char *listen_spec;
    struct sw_conn *switches;
    struct ctrl_conn *ctrls;
    uint32_t next_serial;
    bool changed;               /* configuration changed in this request */
    bool replaying;             /* restoring or undoing: not a client */
    json_t *saved;              /* configuration last saved (or restored) */
    volatile int quit;
    struct ofp_msg msg;         /* scratch: the message being handled */
    struct ofp_msg out;         /* scratch: one being built */
    struct ofpbuf buf;          /* scratch encoding buffer */
    uint64_t packet_ins_unowned;
    struct dpid_binding *bindings;  /* datapath id → the credential it
                                     * first registered with (a certificate
                                     * or the switch secret) */
    size_t n_bindings;
    uint64_t switches_refused_identity;
    char switch_secret[OFAUTH_SECRET_MAX + 1];  /* "" if none */
    bool listen_tls;            /* pssl: switch listener */
    struct ofauth_failures switches_refused;    /* for their credential */
};

/* How switches authenticate on a ptcp: listener. */
struct slicer_switch_auth {
    const char *secret;         /* every switch presents it; NULL: none */
    bool open;                  /* allowed without secret, and beyond
                                 * loopback */
};

/* slicer.c: the daemon. */
struct slicer *slicer_create(const char *listen_spec,
                             const char *const tls_files[3],
                             const char *socket_path, const char *state_path,
                             unsigned int tag_shift, bool restore,
                             const struct slicer_switch_auth *,
                             char *msg, size_t size);
int slicer_loop(struct slicer *);
void slicer_watch_signals(struct slicer *, int signal_fd);
void slicer_destroy(struct slicer *);

/* slicer.c, for slicer_rpc.c. */
void slicer_slice_added(struct slicer *, struct slice *);
void slicer_slice_removing(struct slicer *, struct slice *);
void slicer_fs_removing(struct slicer *, struct fs_entry *);
json_t *slicer_stats_json(struct slicer *);
json_t *slicer_switches_json(struct slicer *);
json_t *slicer_config_json(struct slicer *);
/* Datapath id bindings (saved with the configuration, section
 * "bindings"): the credential 'dpid' is bound to, or NULL; binds it
 * (0, or EEXIST if bound to another credential); forgets it (false if it
 * was not bound). */
const char *slicer_binding_find(const struct slicer *, uint64_t dpid);
int slicer_binding_add(struct slicer *, uint64_t dpid, const char *id);
bool slicer_binding_del(struct slicer *, uint64_t dpid);

/* slicer_rpc.c */
extern const struct jsonrpc_method slicer_rpc_methods[];
/* How the state file is replayed and reverted (lib/statefile.h). */
extern const struct statefile_schema slicer_state_schema;

#endif /* LAMINA_SLICER_PVT_H */
