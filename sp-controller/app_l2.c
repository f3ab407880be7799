/* app_l2: lamina-sp's learning switch (see spc.h).
 *
 * Per switch: a table of source MACs and the port each was last seen on.
 * Everything the switch does not know goes to the controller (table-miss
 * flow); a frame to a known MAC gets a flow (eth_dst -> port, 60 s idle)
 * and is sent on, one to an unknown or group MAC is flooded. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ofp-extract.h"
#include "spc.h"
#include "util.h"

#define L2_MAX_MACS 1024
#define L2_PRIORITY 10
#define L2_IDLE_S 60

struct l2_entry {
    uint8_t mac[6];
    uint32_t port;
};

struct l2_sw {
    struct l2_entry macs[L2_MAX_MACS];
    size_t n;
};

static struct l2_entry *
l2_lookup(struct l2_sw *t, const uint8_t mac[6])
{
    for (size_t i = 0; i < t->n; i++) {
        if (!memcmp(t->macs[i].mac, mac, 6)) {
            return &t->macs[i];
        }
    }
    return NULL;
}

static void
l2_switch_up(struct spc *spc, struct spc_sw *sw)
{
    free(sw->app_data);
    sw->app_data = xzalloc(sizeof(struct l2_sw));
    spc_flow_miss_to_controller(sw);
}

static void
l2_switch_down(struct spc *spc, struct spc_sw *sw)
{
    free(sw->app_data);
    sw->app_data = NULL;
}

/* Learns the source, forwards or floods the frame. */
static void
l2_packet_in(struct spc *spc, struct spc_sw *sw, const struct ofp_msg *pin)
{
    struct l2_sw *t = sw->app_data;
    const uint8_t *p = pin->packet_in.data;
    union ofp_value v;
    uint32_t in_port;

    if (!t || pin->packet_in.data_len < 14
        || !ofp_match_get(&pin->packet_in.match, OFP_F_IN_PORT, &v, NULL)) {
        return;
    }
    in_port = v.u32;
    const uint8_t *dst = p, *src = p + 6;
    if (!(src[0] & 1)) {
        struct l2_entry *e = l2_lookup(t, src);
        if (!e && t->n < L2_MAX_MACS) {
            e = &t->macs[t->n++];
            memcpy(e->mac, src, 6);
        }
        if (e && e->port != in_port) {
            /* New or moved: flows toward it are stale. */
            e->port = in_port;
            struct ofp_match m;
            ofp_match_init(&m);
            ofp_match_set_u(&m, OFP_F_ETH_DST, ofp_rd48(src));
            spc_flow_del(sw, L2_PRIORITY, &m);
        }
    }

    struct l2_entry *d = dst[0] & 1 ? NULL : l2_lookup(t, dst);
    struct ofp_action out;
    if (d && d->port != in_port) {
        struct ofp_match m;
        ofp_match_init(&m);
        ofp_match_set_u(&m, OFP_F_ETH_DST, ofp_rd48(dst));
        out = ofp_action_output(d->port, 0);
        spc_flow_add(sw, L2_PRIORITY, L2_IDLE_S, &m, &out, 1);
    } else if (d) {
        return;                 /* hairpin: drop */
    } else {
        out = ofp_action_output(OFPP13_FLOOD, 0);
    }
    spc_packet_out(sw, in_port, &out, 1, p, pin->packet_in.data_len);
}

/* A port went away: forget the MACs learned on it. */
static void
l2_port_status(struct spc *spc, struct spc_sw *sw, const struct ofp_msg *ps)
{
    struct l2_sw *t = sw->app_data;
    struct spc_port *p = spc_port_find(sw, ps->port_status.port.port_no);
    if (!t || (p && p->live)) {
        return;
    }
    for (size_t i = 0; i < t->n; i++) {
        if (t->macs[i].port == ps->port_status.port.port_no) {
            struct ofp_match m;
            ofp_match_init(&m);
            ofp_match_set_u(&m, OFP_F_ETH_DST, ofp_rd48(t->macs[i].mac));
            spc_flow_del(sw, L2_PRIORITY, &m);
            t->macs[i--] = t->macs[--t->n];
        }
    }
}

const struct spc_app_class spc_app_l2 = {
    .name = "l2",
    .switch_up = l2_switch_up,
    .switch_down = l2_switch_down,
    .packet_in = l2_packet_in,
    .port_status = l2_port_status,
};
