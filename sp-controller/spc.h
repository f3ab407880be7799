/*
 * spc: the OpenFlow 1.3 controller inside lamina-sp, and the vtable of its
 * built-in apps.
 *
 * What?
 * =====
 *
 * An SP that rents openflow vnodes drives them with a controller.  lamina-sp
 * carries one, small and in C, over the project's codec (lib/openflow) and
 * connection layer (ofchan, ofauth): it keeps one channel per switch (a
 * vnode of the SP's slice, or the slicer's view of the slice), says HELLO,
 * presents the slice's secret as ofauth's "lamina-secret:" ECHO_REQUEST
 * when it has one, answers ECHO_REQUEST, asks FEATURES and the port
 * descriptions, and hands the switch and what it sends (PACKET_IN,
 * PORT_STATUS) to one app:
 *
 *   - "l2" (app_l2.c): a learning switch per datapath;
 *   - "l3" (app_l3.c): shortest-path IPv4 routing over the virtual topology
 *     it discovers (probe frames between its switches), with gateway
 *     addresses it answers ARP for, re-routing when a link goes away.
 *
 * Channels are either accepted on a listener (switches whose controller
 * target points at lamina-sp) or opened to targets (a vnode's ptcp:
 * listener, or the slicer's), reconnecting with backoff.
 *
 * Use: spc_create(), spc_listen() and/or spc_connect(), then spc_run()
 * until the caller stops; spc_destroy().
 */
#ifndef LAMINA_SPC_H
#define LAMINA_SPC_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ofp-msg.h"

#define SPC_MAX_PORTS 64

struct spc;

/* One port of a switch, as its port descriptions and PORT_STATUS say. */
struct spc_port {
    uint32_t port_no;
    uint8_t hw_addr[6];
    char name[16];
    bool live;
};

/* One switch (datapath) the controller talks to. */
struct spc_sw {
    struct spc *spc;
    uint64_t dpid;
    bool up;                    /* features and ports known: the app knows it */
    struct spc_port ports[SPC_MAX_PORTS];
    size_t n_ports;
    void *app_data;             /* the app's, per switch */
};

/* A built-in app.  Every member but 'name' may be NULL. */
struct spc_app_class {
    const char *name;
    /* Parses the app's arguments ("--gateway 10.0.1.254/24", ... as
     * 'argv'); returns 0 or an errno with a message. */
    int (*init)(struct spc *, int argc, char **argv, char *msg, size_t size);
    void (*destroy)(struct spc *);
    /* 'sw' is up (its ports known), or is going away. */
    void (*switch_up)(struct spc *, struct spc_sw *);
    void (*switch_down)(struct spc *, struct spc_sw *);
    void (*packet_in)(struct spc *, struct spc_sw *, const struct ofp_msg *);
    /* After 'sw''s port table changed (already updated). */
    void (*port_status)(struct spc *, struct spc_sw *, const struct ofp_msg *);
    /* Called every pass; returns the next time (time_ms()) it wants to run. */
    uint64_t (*run)(struct spc *, uint64_t now_ms);
};

/* The apps: "l2", "l3".  NULL if 'name' is none of them. */
const struct spc_app_class *spc_app_find(const char *name);

int spc_create(const struct spc_app_class *, int argc, char **argv,
               struct spc **spcp, char *msg, size_t size);
void spc_destroy(struct spc *);

/* The app's state (set by its init). */
void *spc_app_state(const struct spc *);
void spc_set_app_state(struct spc *, void *);

/* Accepts switches on passive 'target' (ptcp:PORT[:ADDR]); 'secret' (NULL
 * or "") is what lamina-sp presents to them. */
int spc_listen(struct spc *, const char *target, const char *secret,
               char *msg, size_t size);
/* Connects to active 'target' (tcp:HOST:PORT), reconnecting, presenting
 * 'secret' (NULL or "": none). */
int spc_connect(struct spc *, const char *target, const char *secret,
                char *msg, size_t size);

/* One pass of the event loop: polls at most 'timeout_ms'. */
void spc_run(struct spc *, int timeout_ms);

/* The switches up now. */
size_t spc_n_switches(const struct spc *);
struct spc_sw *spc_switch(const struct spc *, size_t i);

/* ---- For the apps ---------------------------------------------------- */

/* Sends 'msg' to 'sw' (xid set by the caller or 0: a fresh one). */
void spc_send(struct spc_sw *, struct ofp_msg *);

/* FLOW_MOD ADD in table 0 of 'sw': 'match', apply-actions 'acts'. */
void spc_flow_add(struct spc_sw *, uint16_t priority, uint16_t idle_timeout,
                  const struct ofp_match *, const struct ofp_action *acts,
                  size_t n_acts);
/* FLOW_MOD DELETE_STRICT of the flow with 'match' and 'priority'. */
void spc_flow_del(struct spc_sw *, uint16_t priority, const struct ofp_match *);
/* PACKET_OUT of 'len' bytes with 'acts', as if received on 'in_port'
 * (OFPP13_CONTROLLER for frames the controller makes). */
void spc_packet_out(struct spc_sw *, uint32_t in_port,
                    const struct ofp_action *acts, size_t n_acts,
                    const void *data, size_t len);
/* The table-miss flow that sends everything to the controller. */
void spc_flow_miss_to_controller(struct spc_sw *);

/* The port of 'sw' numbered 'port_no', or NULL. */
struct spc_port *spc_port_find(struct spc_sw *, uint32_t port_no);

#endif /* LAMINA_SPC_H */
