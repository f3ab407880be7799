/* app_l3: lamina-sp's IPv4 router over the virtual topology (see spc.h).
 *
 * Topology: every second the app sends a probe frame (ethertype 0x88b6,
 * "lamina-sp" and the sending datapath and port) out of every live port
 * of every switch; a probe that comes back as a PACKET_IN on another
 * switch is a link.  A link not heard for 3.5 s, or whose port goes down
 * or away (PORT_STATUS), is gone.  Ports without links are edge ports,
 * where hosts are.
 *
 * Hosts: learned from their ARP and IPv4 frames on edge ports, if their
 * address is in one of the gateways' subnets.  The app answers ARP
 * requests for any address of those subnets with the gateway MAC (so all
 * IPv4 traffic, within a subnet too, is routed), and asks, from the
 * gateway address, for a destination it does not know yet.
 *
 * Routes: per known host, shortest paths (BFS, in hops) toward its switch
 * from every switch, installed as one flow per (switch, host): ipv4_dst
 * = host -> dec_nw_ttl, eth_src = gateway MAC, eth_dst = host MAC,
 * output toward it.  Any change of the topology recomputes every route. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ofp-extract.h"
#include "spc.h"
#include "util.h"

#define MOD "app_l3"
#define L3_MAX_GW 16
#define L3_MAX_HOSTS 256
#define L3_MAX_LINKS 256
#define L3_PROBE_TYPE 0x88b6
#define L3_PROBE_MS 1000
#define L3_LINK_TIMEOUT_MS 3500
#define L3_PRIORITY 100
#define L3_MAGIC "lamina-sp"

static const uint8_t l3_gw_mac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };
static const uint8_t l3_probe_dst[6] = { 0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e };

struct l3_gw {
    uint32_t ip, mask;
};

struct l3_host {
    uint32_t ip;
    uint8_t mac[6];
    uint64_t dpid;
    uint32_t port;
};

/* Frames sent out of (a, pa) arrive at (b, pb). */
struct l3_link {
    uint64_t a, b;
    uint32_t pa, pb;
    uint64_t seen_ms;
};

struct l3 {
    struct l3_gw gws[L3_MAX_GW];
    size_t n_gws;
    struct l3_host hosts[L3_MAX_HOSTS];
    size_t n_hosts;
    struct l3_link links[L3_MAX_LINKS];
    size_t n_links;
    uint64_t next_probe_ms;
    bool dirty;                 /* topology changed: recompute all routes */
};

static int
l3_init(struct spc *spc, int argc, char **argv, char *msg, size_t size)
{
    struct l3 *l3 = xzalloc(sizeof *l3);

    for (int i = 1; i < argc; i++) {
        char ip[64];
        unsigned int len = 32;
        struct in_addr a;
        if (strcmp(argv[i], "--gateway") || i + 1 >= argc) {
            snprintf(msg, size, "app l3: unexpected argument \"%s\" "
                     "(--gateway IP/LEN)", argv[i]);
            free(l3);
            return EINVAL;
        }
        const char *arg = argv[++i];
        if (sscanf(arg, "%63[0-9.]/%u", ip, &len) < 1 || len == 0 || len > 30
            || inet_pton(AF_INET, ip, &a) != 1 || l3->n_gws >= L3_MAX_GW) {
            snprintf(msg, size, "app l3: bad gateway \"%s\" (IP/LEN, LEN 1..30, "
                     "at most %d)", arg, L3_MAX_GW);
            free(l3);
            return EINVAL;
        }
        l3->gws[l3->n_gws].ip = ntohl(a.s_addr);
        l3->gws[l3->n_gws].mask = ~0u << (32 - len);
        l3->n_gws++;
    }
    if (!l3->n_gws) {
        snprintf(msg, size, "app l3: give at least one --gateway IP/LEN");
        free(l3);
        return EINVAL;
    }
    spc_set_app_state(spc, l3);
    return 0;
}

static void
l3_destroy(struct spc *spc)
{
    free(spc_app_state(spc));
}

/* The gateway whose subnet holds 'ip', or NULL. */
static const struct l3_gw *
l3_gw_for(const struct l3 *l3, uint32_t ip)
{
    for (size_t i = 0; i < l3->n_gws; i++) {
        if ((ip & l3->gws[i].mask) == (l3->gws[i].ip & l3->gws[i].mask)) {
            return &l3->gws[i];
        }
    }
    return NULL;
}

static bool
l3_is_link_port(const struct l3 *l3, uint64_t dpid, uint32_t port)
{
    for (size_t i = 0; i < l3->n_links; i++) {
        const struct l3_link *l = &l3->links[i];
        if ((l->a == dpid && l->pa == port) || (l->b == dpid && l->pb == port)) {
            return true;
        }
    }
    return false;
}

static struct spc_sw *
l3_switch_by_dpid(struct spc *spc, uint64_t dpid, size_t *idx)
{
    for (size_t i = 0; i < spc_n_switches(spc); i++) {
        struct spc_sw *sw = spc_switch(spc, i);
        if (sw->dpid == dpid) {
            if (idx) {
                *idx = i;
            }
            return sw;
        }
    }
    return NULL;
}

static bool
l3_port_live(struct spc *spc, uint64_t dpid, uint32_t port)
{
    struct spc_sw *sw = l3_switch_by_dpid(spc, dpid, NULL);
    struct spc_port *p = sw ? spc_port_find(sw, port) : NULL;
    return p && p->live;
}

static void
l3_host_match(struct ofp_match *m, const struct l3_host *h)
{
    ofp_match_init(m);
    ofp_match_set_u(m, OFP_F_ETH_TYPE, OFP_ETH_TYPE_IPV4);
    ofp_match_set_u(m, OFP_F_IPV4_DST, h->ip);
}

/* Installs (or removes, where it is unreachable) the route to 'h' on every
 * switch: BFS from the host's switch over the live links. */
static void
l3_route_host(struct spc *spc, struct l3 *l3, const struct l3_host *h)
{
    size_t n = spc_n_switches(spc);
    uint32_t next[SPC_MAX_PORTS * 4];
    bool seen[SPC_MAX_PORTS * 4] = { false };
    size_t queue[SPC_MAX_PORTS * 4], head = 0, tail = 0, root;

    if (n > ARRAY_SIZE(next) || !l3_switch_by_dpid(spc, h->dpid, &root)) {
        return;
    }
    seen[root] = true;
    next[root] = h->port;
    queue[tail++] = root;
    while (head < tail) {
        uint64_t u = spc_switch(spc, queue[head++])->dpid;
        for (size_t i = 0; i < l3->n_links; i++) {
            const struct l3_link *l = &l3->links[i];
            size_t ai;
            if (l->b != u || !l3_switch_by_dpid(spc, l->a, &ai) || seen[ai]
                || !l3_port_live(spc, l->a, l->pa)
                || !l3_port_live(spc, l->b, l->pb)) {
                continue;
            }
            seen[ai] = true;
            next[ai] = l->pa;
            queue[tail++] = ai;
        }
    }

    struct ofp_match m;
    l3_host_match(&m, h);
    for (size_t i = 0; i < n; i++) {
        struct spc_sw *sw = spc_switch(spc, i);
        if (!seen[i]) {
            spc_flow_del(sw, L3_PRIORITY, &m);
            continue;
        }
        struct ofp_action acts[4];
        acts[0] = (struct ofp_action) { .type = OFPAT_DEC_NW_TTL };
        acts[1] = ofp_action_set_field_u(OFP_F_ETH_SRC, ofp_rd48(l3_gw_mac));
        acts[2] = ofp_action_set_field_u(OFP_F_ETH_DST, ofp_rd48(h->mac));
        acts[3] = ofp_action_output(next[i], 0);
        spc_flow_add(sw, L3_PRIORITY, 0, &m, acts, 4);
    }
}

static void
l3_route_all(struct spc *spc, struct l3 *l3)
{
    for (size_t i = 0; i < l3->n_hosts; i++) {
        l3_route_host(spc, l3, &l3->hosts[i]);
    }
    l3->dirty = false;
}

static struct l3_host *
l3_host_find(struct l3 *l3, uint32_t ip)
{
    for (size_t i = 0; i < l3->n_hosts; i++) {
        if (l3->hosts[i].ip == ip) {
            return &l3->hosts[i];
        }
    }
    return NULL;
}

/* Learns that 'ip' is at 'mac' behind (sw, port); routes to it if new or
 * moved. */
static void
l3_learn(struct spc *spc, struct l3 *l3, struct spc_sw *sw, uint32_t port,
         uint32_t ip, const uint8_t mac[6])
{
    const struct l3_gw *gw = l3_gw_for(l3, ip);
    if (!gw || ip == gw->ip || (mac[0] & 1)
        || l3_is_link_port(l3, sw->dpid, port)) {
        return;
    }
    struct l3_host *h = l3_host_find(l3, ip);
    if (!h) {
        if (l3->n_hosts >= L3_MAX_HOSTS) {
            return;
        }
        h = &l3->hosts[l3->n_hosts++];
        h->ip = ip;
    } else if (h->dpid == sw->dpid && h->port == port && !memcmp(h->mac, mac, 6)) {
        return;
    }
    memcpy(h->mac, mac, 6);
    h->dpid = sw->dpid;
    h->port = port;
    LOG_INFO(MOD, "host %u.%u.%u.%u at dpid %016llx port %u", ip >> 24,
             (ip >> 16) & 255, (ip >> 8) & 255, ip & 255,
             (unsigned long long) sw->dpid, port);
    l3_route_host(spc, l3, h);
}

/* Writes an Ethernet/IPv4 ARP frame (42 bytes) into 'f'. */
static void
l3_arp_frame(uint8_t f[42], const uint8_t eth_dst[6], uint16_t op,
             const uint8_t sha[6], uint32_t spa, const uint8_t tha[6], uint32_t tpa)
{
    memcpy(f, eth_dst, 6);
    memcpy(f + 6, sha, 6);
    ofp_wr16(f + 12, OFP_ETH_TYPE_ARP);
    ofp_wr16(f + 14, 1);
    ofp_wr16(f + 16, OFP_ETH_TYPE_IPV4);
    f[18] = 6;
    f[19] = 4;
    ofp_wr16(f + 20, op);
    memcpy(f + 22, sha, 6);
    ofp_wr32(f + 28, spa);
    memcpy(f + 32, tha, 6);
    ofp_wr32(f + 38, tpa);
}

/* Asks every edge port of every switch, from the gateway, who has 'ip'. */
static void
l3_arp_query(struct spc *spc, struct l3 *l3, uint32_t ip)
{
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    static const uint8_t zero[6];
    const struct l3_gw *gw = l3_gw_for(l3, ip);
    uint8_t f[42];

    if (!gw) {
        return;
    }
    l3_arp_frame(f, bcast, 1, l3_gw_mac, gw->ip, zero, ip);
    for (size_t i = 0; i < spc_n_switches(spc); i++) {
        struct spc_sw *sw = spc_switch(spc, i);
        for (size_t j = 0; j < sw->n_ports; j++) {
            const struct spc_port *p = &sw->ports[j];
            if (p->live && !l3_is_link_port(l3, sw->dpid, p->port_no)) {
                struct ofp_action out = ofp_action_output(p->port_no, 0);
                spc_packet_out(sw, OFPP13_CONTROLLER, &out, 1, f, sizeof f);
            }
        }
    }
}

static void
l3_probe_in(struct spc *spc, struct l3 *l3, struct spc_sw *sw, uint32_t in_port,
            const uint8_t *p, size_t len)
{
    if (len < 14 + 9 + 12 || memcmp(p + 14, L3_MAGIC, 9)) {
        return;
    }
    uint64_t a = ofp_rd64(p + 23);
    uint32_t pa = ofp_rd32(p + 31);
    for (size_t i = 0; i < l3->n_links; i++) {
        struct l3_link *l = &l3->links[i];
        if (l->a == a && l->pa == pa && l->b == sw->dpid && l->pb == in_port) {
            l->seen_ms = time_ms();
            return;
        }
    }
    if (l3->n_links >= L3_MAX_LINKS) {
        return;
    }
    l3->links[l3->n_links++] = (struct l3_link) {
        .a = a, .pa = pa, .b = sw->dpid, .pb = in_port, .seen_ms = time_ms(),
    };
    LOG_INFO(MOD, "link %016llx:%u -> %016llx:%u", (unsigned long long) a, pa,
             (unsigned long long) sw->dpid, in_port);
    /* Hosts thought to be on that port were not. */
    for (size_t i = 0; i < l3->n_hosts; i++) {
        if (l3->hosts[i].dpid == sw->dpid && l3->hosts[i].port == in_port) {
            l3->hosts[i--] = l3->hosts[--l3->n_hosts];
        }
    }
    l3->dirty = true;
}

static void
l3_packet_in(struct spc *spc, struct spc_sw *sw, const struct ofp_msg *pin)
{
    struct l3 *l3 = spc_app_state(spc);
    const uint8_t *p = pin->packet_in.data;
    size_t len = pin->packet_in.data_len;
    union ofp_value v;

    if (len < 14 || !ofp_match_get(&pin->packet_in.match, OFP_F_IN_PORT, &v, NULL)) {
        return;
    }
    uint32_t in_port = v.u32;
    uint16_t type = ofp_rd16(p + 12);
    if (type == L3_PROBE_TYPE) {
        l3_probe_in(spc, l3, sw, in_port, p, len);
        return;
    }
    if (l3_is_link_port(l3, sw->dpid, in_port)) {
        return;
    }
    if (type == OFP_ETH_TYPE_ARP && len >= 42 && ofp_rd16(p + 14) == 1
        && ofp_rd16(p + 16) == OFP_ETH_TYPE_IPV4) {
        uint16_t op = ofp_rd16(p + 20);
        uint32_t spa = ofp_rd32(p + 28), tpa = ofp_rd32(p + 38);
        l3_learn(spc, l3, sw, in_port, spa, p + 22);
        if (op == 1 && tpa != spa && l3_gw_for(l3, tpa)) {
            uint8_t f[42];
            l3_arp_frame(f, p + 22, 2, l3_gw_mac, tpa, p + 22, spa);
            struct ofp_action out = ofp_action_output(in_port, 0);
            spc_packet_out(sw, OFPP13_CONTROLLER, &out, 1, f, sizeof f);
        }
        return;
    }
    if (type == OFP_ETH_TYPE_IPV4 && len >= 34) {
        uint32_t src = ofp_rd32(p + 26), dst = ofp_rd32(p + 30);
        l3_learn(spc, l3, sw, in_port, src, p + 6);
        if (l3_host_find(l3, dst)) {
            /* The route is there now: let the pipeline take the frame. */
            struct ofp_action out = ofp_action_output(OFPP13_TABLE, 0);
            spc_packet_out(sw, in_port, &out, 1, p, len);
        } else {
            l3_arp_query(spc, l3, dst);
        }
    }
}

/* Removes the links at (dpid, port), or at every port of 'dpid' if 'port'
 * is OFPP13_ANY. */
static void
l3_links_drop(struct l3 *l3, uint64_t dpid, uint32_t port)
{
    for (size_t i = 0; i < l3->n_links; i++) {
        struct l3_link *l = &l3->links[i];
        if ((l->a == dpid && (port == OFPP13_ANY || l->pa == port))
            || (l->b == dpid && (port == OFPP13_ANY || l->pb == port))) {
            LOG_INFO(MOD, "link %016llx:%u -> %016llx:%u down",
                     (unsigned long long) l->a, l->pa,
                     (unsigned long long) l->b, l->pb);
            l3->links[i--] = l3->links[--l3->n_links];
            l3->dirty = true;
        }
    }
}

static void
l3_switch_up(struct spc *spc, struct spc_sw *sw)
{
    struct l3 *l3 = spc_app_state(spc);
    spc_flow_miss_to_controller(sw);
    l3->next_probe_ms = 0;      /* probe the new switch's ports at once */
    l3->dirty = true;
}

static void
l3_switch_down(struct spc *spc, struct spc_sw *sw)
{
    struct l3 *l3 = spc_app_state(spc);
    l3_links_drop(l3, sw->dpid, OFPP13_ANY);
    for (size_t i = 0; i < l3->n_hosts; i++) {
        if (l3->hosts[i].dpid == sw->dpid) {
            l3->hosts[i--] = l3->hosts[--l3->n_hosts];
        }
    }
}

static void
l3_port_status(struct spc *spc, struct spc_sw *sw, const struct ofp_msg *ps)
{
    struct l3 *l3 = spc_app_state(spc);
    uint32_t port = ps->port_status.port.port_no;
    struct spc_port *p = spc_port_find(sw, port);

    if (!p || !p->live) {
        l3_links_drop(l3, sw->dpid, port);
    } else {
        l3->next_probe_ms = 0;
    }
}

/* Sends the probes, ages the links, recomputes routes after changes. */
static uint64_t
l3_run(struct spc *spc, uint64_t now)
{
    struct l3 *l3 = spc_app_state(spc);

    for (size_t i = 0; i < l3->n_links; i++) {
        struct l3_link *l = &l3->links[i];
        if (now - l->seen_ms > L3_LINK_TIMEOUT_MS) {
            LOG_INFO(MOD, "link %016llx:%u -> %016llx:%u timed out",
                     (unsigned long long) l->a, l->pa,
                     (unsigned long long) l->b, l->pb);
            l3->links[i--] = l3->links[--l3->n_links];
            l3->dirty = true;
        }
    }
    if (now >= l3->next_probe_ms) {
        uint8_t f[60] = { 0 };
        memcpy(f, l3_probe_dst, 6);
        memcpy(f + 6, l3_gw_mac, 6);
        ofp_wr16(f + 12, L3_PROBE_TYPE);
        memcpy(f + 14, L3_MAGIC, 9);
        for (size_t i = 0; i < spc_n_switches(spc); i++) {
            struct spc_sw *sw = spc_switch(spc, i);
            ofp_wr64(f + 23, sw->dpid);
            for (size_t j = 0; j < sw->n_ports; j++) {
                if (sw->ports[j].live) {
                    ofp_wr32(f + 31, sw->ports[j].port_no);
                    struct ofp_action out = ofp_action_output(sw->ports[j].port_no, 0);
                    spc_packet_out(sw, OFPP13_CONTROLLER, &out, 1, f, sizeof f);
                }
            }
        }
        l3->next_probe_ms = now + L3_PROBE_MS;
    }
    if (l3->dirty) {
        l3_route_all(spc, l3);
    }
    return l3->next_probe_ms;
}

const struct spc_app_class spc_app_l3 = {
    .name = "l3",
    .init = l3_init,
    .destroy = l3_destroy,
    .switch_up = l3_switch_up,
    .switch_down = l3_switch_down,
    .packet_in = l3_packet_in,
    .port_status = l3_port_status,
    .run = l3_run,
};
