/*
 * dp_tunnel: MPLS-in-UDP tunnels over an IPv4 or IPv6 underlay (see
 * dp_tunnel.h).
 *
 * Layout on the underlay (RFC 7510):
 *
 *   Ethernet | IPv4 (DF) or IPv6 | UDP sport=hash, dport=6635 | label | CW | inner
 *
 * The label and control word are those the frame carried as a labelled
 * frame on a link port; only its outer Ethernet header is replaced.  The
 * UDP checksum is zero over IPv4, as RFC 7510 allows, and computed over
 * IPv6 (a zero one there is only for tunnels that meet RFC 6936's
 * conditions, which a general underlay cannot promise); the IPv6 flow
 * label carries the same entropy as the source port (RFC 6438).
 *
 * Neighbours: ARP over IPv4 and neighbour discovery (RFC 4861: NS to the
 * solicited-node group, NA answered with the target link-layer address)
 * over IPv6, both answered for the underlay's address by the switch.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dp_private.h"
#include "util.h"

#define TUN_IP4_HLEN 20
#define TUN_IP6_HLEN 40
#define TUN_UDP_HLEN 8
#define TUN_RX_RING 1024
#define TUN_MAX_PER_UNDERLAY 64
#define TUN_DEFAULT_MTU 1500
#define TUN_IPV6_MIN_MTU 1280

/* Neighbour timers (ns): retry an unanswered request, refresh an entry
 * that old, forget it when no answer came for that long. */
#define TUN_NB_RETRY_NS (200ull * 1000 * 1000)
#define TUN_NB_REFRESH_NS (10ull * 1000 * 1000 * 1000)
#define TUN_NB_REFRESH_RETRY_NS (1000ull * 1000 * 1000)
#define TUN_NB_STALE_NS (30ull * 1000 * 1000 * 1000)

#define ETHTYPE_IPV4 0x0800
#define ETHTYPE_ARP 0x0806
#define ETHTYPE_IPV6 0x86dd
#define TUN_ICMP6 58
#define TUN_ND_NS 135
#define TUN_ND_NA 136

/*    enum suffix        name in stats            what it counts */
#define DP_TUNNEL_COUNTERS(X)                                               \
    X(ENCAP,         "encapsulated",        "frames sent into the tunnel")  \
    X(DECAP,         "decapsulated",        "frames received from it")      \
    X(NB_REQUESTS,   "neighbour_requests_sent",                             \
      "ARP requests or neighbour solicitations for the next hop")           \
    X(NB_LEARNED,    "neighbour_learned",                                   \
      "ARP or ND messages that (re)confirmed the next hop")                 \
    X(ICMP_TOO_BIG,  "icmp_too_big_sent",   "ICMP too-big sent back to senders") \
    X(RX_FULL,       "rx_ring_full",                                        \
      "decapsulated frames the tunnel's ring could not take")

enum dp_tunnel_counter {
#define DP_TUNNEL_ENUM(ENUM, NAME, DOC) DP_TUNNEL_##ENUM,
    DP_TUNNEL_COUNTERS(DP_TUNNEL_ENUM)
#undef DP_TUNNEL_ENUM
    DP_TUNNEL_N_COUNTERS
};

static const char *const dp_tunnel_counter_names[DP_TUNNEL_N_COUNTERS] = {
#define DP_TUNNEL_NAME(ENUM, NAME, DOC) NAME,
    DP_TUNNEL_COUNTERS(DP_TUNNEL_NAME)
#undef DP_TUNNEL_NAME
};

/* An IPv4 (first 4 bytes, the rest zero) or IPv6 address. */
struct tun_addr {
    uint8_t b[16];
};

struct dp_tunnel {
    struct dp_port *port;       /* the tunnel's own port (DP_PORT_TUN) */
    struct dp_port *underlay;
    struct tun_addr remote, nexthop;
    uint16_t dport;             /* UDP destination port, both ways */
    uint16_t mtu;               /* underlay IP MTU */
    uint16_t inner_mtu;         /* largest inner IP packet */
    struct rte_ring *rx;        /* decapsulated frames: underlay -> port */

    /* The next hop's MAC (worker). */
    uint8_t nh_mac[6];
    bool resolved;
    uint64_t confirmed_ns;      /* last ARP/ND message from the next hop */
    uint64_t next_req_ns;       /* when to ask again */

    uint64_t ctr[DP_TUNNEL_N_COUNTERS];
};

struct dp_underlay {
    uint8_t mac[6];
    bool v6;                    /* the family of every address below */
    struct tun_addr local;
    struct dp_tunnel *tuns[TUN_MAX_PER_UNDERLAY];
    uint32_t n_tuns;
    uint64_t answered;          /* ARP requests / solicitations answered */
    /* An afpacket underlay: whether the kernel's stack is kept off the
     * datagrams to 'local' (dp_afp_claim_addr()), else why not. */
    bool kernel_off;
    char kernel_why[DP_ERR_LEN];
};

static const uint8_t tun_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static inline uint16_t
tun_be16(const uint8_t *p)
{
    return (uint16_t) (p[0] << 8 | p[1]);
}

static inline void
tun_put16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

/* True if address 'a' (of family 'v6') is the one at 'bytes'. */
static inline bool
tun_addr_is(const struct tun_addr *a, const uint8_t *bytes, bool v6)
{
    return !memcmp(a->b, bytes, v6 ? 16 : 4);
}

/* The tunnel of underlay 'ul' from remote address 'bytes' on UDP port
 * 'dport' (several tunnels between two addresses differ by port). */
static struct dp_tunnel *
tun_find_port(const struct dp_underlay *ul, const uint8_t *bytes, uint16_t dport)
{
    for (uint32_t i = 0; i < ul->n_tuns; i++) {
        struct dp_tunnel *t = ul->tuns[i];
        if (t->dport == dport && tun_addr_is(&t->remote, bytes, ul->v6)) {
            return t;
        }
    }
    return NULL;
}

/* ---- Configuration ---------------------------------------------------- */

/* Parses address option 'what' = 'val' into '*a', its family into '*v6'. */
static int
tun_parse_ip(const struct dp_port *p, const char *what, const char *val,
             struct tun_addr *a, bool *v6, struct dp_error *err)
{
    memset(a, 0, sizeof *a);
    if (inet_pton(AF_INET, val, a->b) == 1) {
        uint32_t h = (uint32_t) a->b[0] << 24 | a->b[1] << 16 | a->b[2] << 8 | a->b[3];
        *v6 = false;
        if (!h || h == 0xffffffffu || IN_MULTICAST(h)) {
            dp_err(err, "tunnel %s: %s %s is not a unicast address", p->name, what, val);
            return EINVAL;
        }
        return 0;
    }
    if (inet_pton(AF_INET6, val, a->b) == 1) {
        static const uint8_t zero[16];
        *v6 = true;
        if (!memcmp(a->b, zero, 16) || a->b[0] == 0xff) {
            dp_err(err, "tunnel %s: %s %s is not a unicast address", p->name, what, val);
            return EINVAL;
        }
        return 0;
    }
    dp_err(err, "tunnel %s: %s \"%s\" is not an IPv4 or IPv6 address", p->name,
           what, val);
    return EINVAL;
}

/* The settings of a tunnel, as parsed from its devargs. */
struct tun_args {
    char underlay[DP_NAME_LEN];
    struct tun_addr local, remote, nexthop;
    bool has_local, has_remote, has_nexthop;
    bool v6[3];                 /* local, remote, nexthop */
    unsigned long mtu;
    unsigned long port;         /* UDP destination port */
    bool has_mac;
    uint8_t mac[6];
};

static int
tun_parse(const struct dp_port *p, const char *args, struct tun_args *ta,
          struct dp_error *err)
{
    char *copy = xstrdup(args), *save = NULL;
    int error = 0;

    memset(ta, 0, sizeof *ta);
    ta->mtu = TUN_DEFAULT_MTU;
    ta->port = DP_TUNNEL_UDP_PORT;
    for (char *kv = strtok_r(copy, ",", &save); kv && !error;
         kv = strtok_r(NULL, ",", &save)) {
        char *val = strchr(kv, '=');
        if (!val) {
            dp_err(err, "tunnel %s: option \"%s\" is not KEY=VALUE", p->name, kv);
            error = EINVAL;
            break;
        }
        *val++ = '\0';
        if (!strcmp(kv, "underlay")) {
            if (!str_copy(ta->underlay, val, sizeof ta->underlay) || !val[0]) {
                dp_err(err, "tunnel %s: underlay port name \"%s\" is empty or "
                       "too long", p->name, val);
                error = EINVAL;
            }
        } else if (!strcmp(kv, "local")) {
            error = tun_parse_ip(p, "local", val, &ta->local, &ta->v6[0], err);
            ta->has_local = true;
        } else if (!strcmp(kv, "remote")) {
            error = tun_parse_ip(p, "remote", val, &ta->remote, &ta->v6[1], err);
            ta->has_remote = true;
        } else if (!strcmp(kv, "nexthop")) {
            error = tun_parse_ip(p, "nexthop", val, &ta->nexthop, &ta->v6[2], err);
            ta->has_nexthop = true;
        } else if (!strcmp(kv, "mtu")) {
            char *end;
            ta->mtu = strtoul(val, &end, 10);
            if (*end || !val[0] || ta->mtu < 576 || ta->mtu > 9000) {
                dp_err(err, "tunnel %s: mtu \"%s\" is not a number in 576..9000",
                       p->name, val);
                error = EINVAL;
            }
        } else if (!strcmp(kv, "port")) {
            char *end;
            ta->port = strtoul(val, &end, 10);
            if (*end || !val[0] || ta->port < 1024 || ta->port > 65535
                || ta->port == BFD_UDP_PORT) {
                dp_err(err, "tunnel %s: port \"%s\" is not a UDP port in "
                       "1024..65535 other than BFD's %d", p->name, val, BFD_UDP_PORT);
                error = EINVAL;
            }
        } else if (!strcmp(kv, "mac")) {
            struct rte_ether_addr ea;
            if (rte_ether_unformat_addr(val, &ea) || rte_is_multicast_ether_addr(&ea)
                || rte_is_zero_ether_addr(&ea)) {
                dp_err(err, "tunnel %s: mac \"%s\" is not a unicast MAC address",
                       p->name, val);
                error = EINVAL;
            }
            memcpy(ta->mac, ea.addr_bytes, 6);
            ta->has_mac = true;
        } else {
            dp_err(err, "tunnel %s: unknown option \"%s\" (options: underlay, "
                   "local, remote, nexthop, mtu, port, mac)", p->name, kv);
            error = EINVAL;
        }
    }
    free(copy);
    if (error) {
        return error;
    }
    if (!ta->underlay[0] || !ta->has_local || !ta->has_remote) {
        dp_err(err, "tunnel %s: underlay, local and remote are required "
               "(mplsudp:underlay=PORT,local=IP,remote=IP[,nexthop=IP][,mtu=N][,port=N])",
               p->name);
        return EINVAL;
    }
    if (!ta->has_nexthop) {
        ta->nexthop = ta->remote;
        ta->v6[2] = ta->v6[1];
    }
    if (ta->v6[0] != ta->v6[1] || ta->v6[0] != ta->v6[2]) {
        dp_err(err, "tunnel %s: local, remote and nexthop must all be IPv4 or "
               "all IPv6", p->name);
        return EINVAL;
    }
    if (tun_addr_is(&ta->local, ta->remote.b, ta->v6[0])) {
        dp_err(err, "tunnel %s: local and remote are the same address", p->name);
        return EINVAL;
    }
    if (ta->v6[0] && ta->mtu < TUN_IPV6_MIN_MTU) {
        dp_err(err, "tunnel %s: mtu %lu is below IPv6's minimum of %d", p->name,
               ta->mtu, TUN_IPV6_MIN_MTU);
        return EINVAL;
    }
    return 0;
}

/* The MAC address of underlay port 'u', or the 'mac' option. */
static int
tun_underlay_mac(const struct dp_port *p, const struct dp_port *u,
                 const struct tun_args *ta, uint8_t mac[6], struct dp_error *err)
{
    if (ta->has_mac) {
        memcpy(mac, ta->mac, 6);
        return 0;
    }
    if (u->type == DP_PORT_AFP) {
        int error = dp_afp_mac(u, mac);
        if (error) {
            dp_err(err, "tunnel %s: cannot read the address of underlay port "
                   "%s: %s", p->name, u->name, strerror(error));
        }
        return error;
    }
    if (u->type == DP_PORT_ETH) {
        struct rte_ether_addr ea;
        int ret = rte_eth_macaddr_get(u->eth_port, &ea);
        if (ret) {
            dp_err(err, "tunnel %s: cannot read the address of underlay port "
                   "%s: %s", p->name, u->name, strerror(-ret));
            return -ret;
        }
        memcpy(mac, ea.addr_bytes, 6);
        return 0;
    }
    dp_err(err, "tunnel %s: underlay port %s has no MAC address of its own: "
           "give mac=", p->name, u->name);
    return EINVAL;
}

/* Writes address 'a' of family 'v6' as text into 's' (INET6_ADDRSTRLEN). */
static const char *
tun_addr_str(const struct tun_addr *a, bool v6, char *s)
{
    return inet_ntop(v6 ? AF_INET6 : AF_INET, a->b, s, INET6_ADDRSTRLEN);
}

/* The underlay state of port 'u' for its first tunnel ('ta', 'mac').
 * On an afpacket port the kernel's own stack is kept off the datagrams
 * to the local address (dp_afp_claim_addr()): without that it routes
 * each one, finds it is not its own, and drops it, which cost several
 * times the CPU per frame of the whole encapsulation and decapsulation
 * (docs/performance.md).  Where that cannot be done the tunnel works
 * as before; why is said on stderr and in tunnel.list. */
static struct dp_underlay *
tun_underlay_new(struct dp_port *u, const struct tun_args *ta, const uint8_t mac[6])
{
    struct dp_underlay *ul = xzalloc(sizeof *ul);
    struct dp_error e = { { 0 } };

    memcpy(ul->mac, mac, 6);
    ul->v6 = ta->v6[0];
    ul->local = ta->local;
    if (u->type != DP_PORT_AFP) {
        snprintf(ul->kernel_why, sizeof ul->kernel_why,
                 "not an afpacket port (the kernel does not see a DPDK device's frames)");
    } else if (dp_afp_claim_addr(u, ul->v6, ul->local.b, &e)) {
        str_copy(ul->kernel_why, e.msg, sizeof ul->kernel_why);
        fprintf(stderr, "lamina-switchd: underlay %s: the kernel's stack still "
                "sees the tunnel datagrams: %s\n", u->name, e.msg);
    } else {
        ul->kernel_off = true;
    }
    return ul;
}

int
dp_tunnel_open(struct dp_port *p, const char *args, struct dp_error *err)
{
    struct tun_args ta;
    struct dp_port *u;
    struct dp_underlay *ul;
    uint8_t mac[6];
    int error = tun_parse(p, args, &ta, err);

    if (error) {
        return error;
    }
    /* The underlay is a port of the tunnel's switch ("PORT") or of another
     * switch ("SWITCH/PORT") served by the same worker (which alone then
     * touches the tunnel, its underlay and its ring) and listed before it
     * (so the state file replays the underlay first). */
    struct dp_switch *usw = p->sw;
    char *slash = strchr(ta.underlay, '/');
    if (p->sw->n_workers > 1) {
        dp_err(err, "tunnel %s: a tunnel port is not yet on a switch with %u "
               "workers (%s)", p->name, p->sw->n_workers, p->sw->name);
        return EOPNOTSUPP;
    }
    if (slash) {
        *slash = '\0';
        usw = dp_need_switch(ta.underlay, err);
        if (!usw) {
            return ENOENT;
        }
        if (usw->n_workers > 1) {
            dp_err(err, "tunnel %s: underlay switch %s has %u workers: a tunnel "
                   "is not yet on a switch with several", p->name, usw->name,
                   usw->n_workers);
            return EOPNOTSUPP;
        }
        if (usw->worker != p->sw->worker) {
            dp_err(err, "tunnel %s: underlay switch %s is served by worker %u and "
                   "switch %s by worker %u: they must share one", p->name,
                   usw->name, usw->worker, p->sw->name, p->sw->worker);
            return EINVAL;
        }
        if (usw->idx > p->sw->idx) {
            dp_err(err, "tunnel %s: underlay switch %s must have been added before "
                   "switch %s", p->name, usw->name, p->sw->name);
            return EINVAL;
        }
    }
    u = dp_need_port(usw, slash ? slash + 1 : ta.underlay, err);
    if (!u) {
        return ENOENT;
    }
    if (u->type == DP_PORT_TUN) {
        dp_err(err, "tunnel %s: underlay port %s is itself a tunnel", p->name, u->name);
        return EINVAL;
    }
    if (u->is_link || u->link) {
        dp_err(err, "tunnel %s: underlay port %s carries labelled traffic (a link "
               "end or a border port)", p->name, u->name);
        return EBUSY;
    }
    ul = u->ul;
    if (!ul && u->n_users) {
        dp_err(err, "tunnel %s: underlay port %s has access vports; an underlay "
               "port carries only tunnels", p->name, u->name);
        return EBUSY;
    }
    if (ul && (ul->v6 != ta.v6[0] || !tun_addr_is(&ul->local, ta.local.b, ul->v6))) {
        char have[INET6_ADDRSTRLEN];
        dp_err(err, "tunnel %s: underlay port %s already has local address %s",
               p->name, u->name, tun_addr_str(&ul->local, ul->v6, have));
        return EINVAL;
    }
    struct dp_tunnel *same = ul ? tun_find_port(ul, ta.remote.b, ta.port) : NULL;
    if (same) {
        dp_err(err, "tunnel %s: port %s already tunnels to that remote address "
               "on UDP port %lu over %s (give another port=)", p->name,
               same->port->name, ta.port, u->name);
        return EEXIST;
    }
    if (ul && ul->n_tuns >= TUN_MAX_PER_UNDERLAY) {
        dp_err(err, "tunnel %s: underlay port %s has %d tunnels already",
               p->name, u->name, TUN_MAX_PER_UNDERLAY);
        return ENOSPC;
    }
    error = tun_underlay_mac(p, u, &ta, mac, err);
    if (error) {
        return error;
    }

    struct dp_tunnel *t = xzalloc(sizeof *t);
    char rname[RTE_RING_NAMESIZE];
    static unsigned ring_seq;

    snprintf(rname, sizeof rname, "tun%u", ring_seq++);
    t->rx = rte_ring_create(rname, TUN_RX_RING, SOCKET_ID_ANY,
                            RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (!t->rx) {
        dp_err(err, "tunnel %s: cannot create its receive ring: %s", p->name,
               rte_strerror(rte_errno));
        free(t);
        return ENOMEM;
    }
    t->port = p;
    t->underlay = u;
    t->remote = ta.remote;
    t->nexthop = ta.nexthop;
    t->dport = ta.port;
    t->mtu = ta.mtu;
    t->inner_mtu = ta.mtu - (ta.v6[0] ? TUN_IP6_HLEN : TUN_IP4_HLEN) - TUN_UDP_HLEN
                   - 8 - ETH_HLEN_;

    struct dp_underlay *new_ul = ul ? NULL : tun_underlay_new(u, &ta, mac);
    dp_pause();
    if (!ul) {
        ul = new_ul;
        u->ul = ul;
    }
    ul->tuns[ul->n_tuns++] = t;
    u->n_users++;
    p->tun = t;
    p->type = DP_PORT_TUN;
    p->is_link = false;         /* a border port: is_link while vlinks use it */
    dp_resume();
    return 0;
}

void
dp_tunnel_close(struct dp_port *p)
{
    struct dp_tunnel *t = p->tun;
    struct rte_mbuf *m;

    if (!t) {
        return;
    }
    dp_pause();
    struct dp_port *u = t->underlay;
    struct dp_underlay *ul = u->ul;
    for (uint32_t i = 0; i < ul->n_tuns; i++) {
        if (ul->tuns[i] == t) {
            ul->tuns[i] = ul->tuns[--ul->n_tuns];
            break;
        }
    }
    u->n_users--;
    bool last = !ul->n_tuns;
    if (last) {
        u->ul = NULL;
    }
    p->tun = NULL;
    dp_resume();
    if (last) {
        if (ul->kernel_off) {
            dp_afp_unclaim_addr(u);
        }
        free(ul);
    }
    while (rte_ring_sc_dequeue(t->rx, (void **) &m) == 0) {
        rte_pktmbuf_free(m);
    }
    rte_ring_free(t->rx);
    free(t);
}

/* The UDP source port of tunnel 't''s BFD packets: from its UDP port, so
 * that the far end tells apart the sessions of several tunnels between
 * the same two addresses before their discriminators are known. */
static uint16_t
tun_bfd_src_port(const struct dp_tunnel *t)
{
    return 49152 + t->dport % 16384;
}

int
dp_tunnel_bfd_addrs(const struct dp_port *p, bool *v6, uint8_t local[16],
                    uint8_t peer[16], uint8_t mac[6], uint16_t *src_port)
{
    const struct dp_tunnel *t = p->tun;
    const struct dp_underlay *ul = t->underlay->ul;

    *v6 = ul->v6;
    *src_port = tun_bfd_src_port(t);
    memcpy(local, ul->local.b, 16);
    memcpy(peer, t->remote.b, 16);
    memcpy(mac, ul->mac, 6);
    return 0;
}

struct dp_port *
dp_tunnel_underlay_port(const struct dp_port *p)
{
    return p->tun->underlay;
}

bool
dp_tunnel_bfd_nexthop(const struct dp_port *p, uint8_t mac[6])
{
    const struct dp_tunnel *t = p->tun;

    if (t->resolved) {
        memcpy(mac, t->nh_mac, 6);
    }
    return t->resolved;
}

bool
dp_tunnel_is_underlay(const struct dp_port *p)
{
    return p->ul != NULL;
}

/* ---- Neighbours (ARP, ND) ------------------------------------------------ */

/* Sends 'm' on underlay 'u' now, counting it; frees it if refused. */
static void
tun_underlay_send(struct dp_port *u, struct rte_mbuf *m)
{
    uint32_t len = rte_pktmbuf_pkt_len(m);

    if (dp_port_tx(u, &m, 1) == 1) {
        u->ctr.tx_packets++;
        u->ctr.tx_bytes += len;
    } else {
        u->ctr.drops[DP_DROP_TX_FULL]++;
        rte_pktmbuf_free(m);
    }
}

/* A new mbuf of 'len' bytes for the control plane of underlay 'u', data
 * zeroed; NULL (counted) if the pool is empty. */
static uint8_t *
tun_alloc(struct dp_port *u, uint32_t len, struct rte_mbuf **mp)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);
    uint8_t *f = m ? (uint8_t *) rte_pktmbuf_append(m, len) : NULL;

    if (!f) {
        rte_pktmbuf_free(m);
        u->ctr.drops[DP_DROP_NO_MBUF]++;
        return NULL;
    }
    memset(f, 0, len);
    *mp = m;
    return f;
}

/* Writes an Ethernet+ARP message of 'op' into 60 bytes at 'f'. */
static void
tun_arp_fill(uint8_t *f, uint16_t op, const uint8_t *eth_dst, const uint8_t *sha,
             const uint8_t *spa, const uint8_t *tha, const uint8_t *tpa)
{
    memset(f, 0, 60);
    memcpy(f, eth_dst, 6);
    memcpy(f + 6, sha, 6);
    tun_put16(f + 12, ETHTYPE_ARP);
    tun_put16(f + 14, 1);               /* Ethernet */
    tun_put16(f + 16, ETHTYPE_IPV4);
    f[18] = 6;
    f[19] = 4;
    tun_put16(f + 20, op);
    memcpy(f + 22, sha, 6);
    memcpy(f + 28, spa, 4);
    memcpy(f + 32, tha, 6);
    memcpy(f + 38, tpa, 4);
}

/* Writes an IPv6 header at 'h': 'plen' bytes of 'proto' follow. */
static void
tun_ip6_fill(uint8_t *h, uint32_t flow, uint16_t plen, uint8_t proto,
             uint8_t hops, const uint8_t *src, const uint8_t *dst)
{
    uint32_t vtc = htonl(6u << 28 | (flow & 0xfffff));
    memcpy(h, &vtc, 4);
    tun_put16(h + 4, plen);
    h[6] = proto;
    h[7] = hops;
    memcpy(h + 8, src, 16);
    memcpy(h + 24, dst, 16);
}

/* Sets the checksum of the ICMPv6 message after IPv6 header 'h'. */
static void
tun_icmp6_cksum(uint8_t *h)
{
    uint8_t *c = h + TUN_IP6_HLEN;
    c[2] = c[3] = 0;
    uint16_t sum = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *) h, c);
    memcpy(c + 2, &sum, 2);
}

/* Writes a neighbour solicitation (NS) or advertisement (NA) from the
 * underlay: 'f' has 14 + 40 + 32 bytes. */
static void
tun_nd_fill(uint8_t *f, uint8_t type, const struct dp_underlay *ul,
            const uint8_t *eth_dst, const uint8_t *ip_dst, const uint8_t *target)
{
    memcpy(f, eth_dst, 6);
    memcpy(f + 6, ul->mac, 6);
    tun_put16(f + 12, ETHTYPE_IPV6);
    uint8_t *h = f + ETH_HLEN_;
    tun_ip6_fill(h, 0, 32, TUN_ICMP6, 255, ul->local.b, ip_dst);
    uint8_t *c = h + TUN_IP6_HLEN;
    c[0] = type;
    if (type == TUN_ND_NA) {
        c[4] = 0x60;                    /* solicited, override */
    }
    memcpy(c + 8, target, 16);
    c[24] = type == TUN_ND_NS ? 1 : 2;  /* source / target link-layer address */
    c[25] = 1;
    memcpy(c + 26, ul->mac, 6);
    tun_icmp6_cksum(h);
}

/* Asks for the next hop of 't': a broadcast ARP request, or a neighbour
 * solicitation to its solicited-node group. */
static void
tun_neighbour_request(struct dp_tunnel *t)
{
    static const uint8_t zero[6];
    struct dp_underlay *ul = t->underlay->ul;
    struct rte_mbuf *m;
    uint8_t *f;

    if (!ul->v6) {
        f = tun_alloc(t->underlay, 60, &m);
        if (!f) {
            return;
        }
        tun_arp_fill(f, 1, tun_bcast, ul->mac, ul->local.b, zero, t->nexthop.b);
    } else {
        const uint8_t *n = t->nexthop.b;
        uint8_t mac[6] = { 0x33, 0x33, 0xff, n[13], n[14], n[15] };
        uint8_t group[16] = { 0xff, 0x02, [11] = 1, [12] = 0xff,
                              [13] = n[13], [14] = n[14], [15] = n[15] };
        f = tun_alloc(t->underlay, ETH_HLEN_ + TUN_IP6_HLEN + 32, &m);
        if (!f) {
            return;
        }
        tun_nd_fill(f, TUN_ND_NS, ul, mac, group, n);
    }
    t->ctr[DP_TUNNEL_NB_REQUESTS]++;
    tun_underlay_send(t->underlay, m);
}

/* Keeps the next hop of 't' resolved: asks when it is unknown, refreshes
 * it before it goes stale, forgets it when the next hop stopped answering. */
static void
tun_neighbour_tick(struct dp_tunnel *t, uint64_t now)
{
    if (t->resolved && now - t->confirmed_ns > TUN_NB_STALE_NS) {
        t->resolved = false;
    }
    if (!t->resolved) {
        tun_neighbour_request(t);
        t->next_req_ns = now + TUN_NB_RETRY_NS;
    } else if (now - t->confirmed_ns >= TUN_NB_REFRESH_NS) {
        tun_neighbour_request(t);
        t->next_req_ns = now + TUN_NB_REFRESH_RETRY_NS;
    } else {
        t->next_req_ns = t->confirmed_ns + TUN_NB_REFRESH_NS;
    }
}

/* The next hop at 'ip' has MAC 'mac': every tunnel of 'ul' through it
 * learns it. */
static void
tun_neighbour_learn(struct dp_underlay *ul, const uint8_t *ip, const uint8_t *mac,
                    uint64_t now)
{
    static const uint8_t zero[6];

    if (!memcmp(mac, zero, 6) || (mac[0] & 1)) {
        return;
    }
    for (uint32_t i = 0; i < ul->n_tuns; i++) {
        struct dp_tunnel *t = ul->tuns[i];
        if (tun_addr_is(&t->nexthop, ip, ul->v6)) {
            memcpy(t->nh_mac, mac, 6);
            t->resolved = true;
            t->confirmed_ns = now;
            t->next_req_ns = now + TUN_NB_REFRESH_NS;
            t->ctr[DP_TUNNEL_NB_LEARNED]++;
        }
    }
}

/* An ARP message on underlay 'u': learns the sender if it is a next hop
 * of a tunnel, answers a request for the underlay's address in place.
 * Consumes 'm'. */
static void
tun_arp_input(struct dp_port *u, struct rte_mbuf *m, uint64_t now)
{
    struct dp_underlay *ul = u->ul;
    uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);

    if (rte_pktmbuf_data_len(m) < 42 || tun_be16(f + 14) != 1
        || tun_be16(f + 16) != ETHTYPE_IPV4 || f[18] != 6 || f[19] != 4) {
        u->ctr.drops[DP_DROP_MALFORMED]++;
        rte_pktmbuf_free(m);
        return;
    }
    if (ul->v6 || !tun_addr_is(&ul->local, f + 38, false)) {
        u->ctr.drops[DP_DROP_NOT_TUNNEL]++;
        rte_pktmbuf_free(m);
        return;
    }
    tun_neighbour_learn(ul, f + 28, f + 22, now);
    if (tun_be16(f + 20) != 1) {
        rte_pktmbuf_free(m);    /* a reply: learned above */
        return;
    }
    uint8_t sha[6], spa[4];
    memcpy(sha, f + 22, 6);
    memcpy(spa, f + 28, 4);
    if (rte_pktmbuf_data_len(m) < 60 && !rte_pktmbuf_append(m, 60 - rte_pktmbuf_data_len(m))) {
        rte_pktmbuf_free(m);
        return;
    }
    rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - 60);
    tun_arp_fill(f, 2, sha, ul->mac, ul->local.b, sha, spa);
    ul->answered++;
    tun_underlay_send(u, m);
}

/* The link-layer address option of 'type' in the ND message at 'c'
 * ('len' bytes, options from 'off'), or NULL. */
static const uint8_t *
tun_nd_option(const uint8_t *c, uint32_t len, uint32_t off, uint8_t type)
{
    while (off + 8 <= len && c[off + 1]) {
        if (c[off] == type) {
            return c + off + 2;
        }
        off += c[off + 1] * 8u;
    }
    return NULL;
}

/* An ICMPv6 message on IPv6 underlay 'u' (IPv6 header at 'h', 'plen'
 * bytes after it): neighbour solicitations for the underlay's address
 * are answered and NS/NA from a next hop learned; anything else is
 * dropped.  Consumes 'm'. */
static void
tun_nd_input(struct dp_port *u, struct rte_mbuf *m, const uint8_t *h,
             uint32_t plen, uint64_t now)
{
    struct dp_underlay *ul = u->ul;
    const uint8_t *c = h + TUN_IP6_HLEN;
    const uint8_t *eth = rte_pktmbuf_mtod(m, const uint8_t *);
    static const uint8_t unspecified[16];

    if (plen < 24 || h[7] != 255 || (c[0] != TUN_ND_NS && c[0] != TUN_ND_NA)) {
        u->ctr.drops[DP_DROP_NOT_TUNNEL]++;
        rte_pktmbuf_free(m);
        return;
    }
    if (c[0] == TUN_ND_NA) {
        const uint8_t *lla = tun_nd_option(c, plen, 24, 2);
        tun_neighbour_learn(ul, c + 8, lla ? lla : eth + 6, now);
        rte_pktmbuf_free(m);
        return;
    }
    /* A solicitation: for our address, from an address (not DAD). */
    if (!tun_addr_is(&ul->local, c + 8, true) || !memcmp(h + 8, unspecified, 16)) {
        u->ctr.drops[DP_DROP_NOT_TUNNEL]++;
        rte_pktmbuf_free(m);
        return;
    }
    const uint8_t *sll = tun_nd_option(c, plen, 24, 1);
    uint8_t to_mac[6], to_ip[16];
    memcpy(to_mac, sll ? sll : eth + 6, 6);
    memcpy(to_ip, h + 8, 16);
    tun_neighbour_learn(ul, to_ip, to_mac, now);
    rte_pktmbuf_free(m);

    uint8_t *f = tun_alloc(u, ETH_HLEN_ + TUN_IP6_HLEN + 32, &m);
    if (f) {
        tun_nd_fill(f, TUN_ND_NA, ul, to_mac, to_ip, ul->local.b);
        ul->answered++;
        tun_underlay_send(u, m);
    }
}

/* ---- Receive ------------------------------------------------------------ */

/* UDP datagram 'm' from 'src' ('l3' bytes of IP header, 'total' bytes of
 * IP packet): hands it to the tunnel of its source address and
 * destination port as a labelled frame (none: a "not-tunnel" drop). */
static void
tun_decap(struct dp_port *u, struct rte_mbuf *m, const uint8_t *src,
          uint32_t l3, uint32_t total)
{
    const uint8_t *udp = rte_pktmbuf_mtod(m, const uint8_t *) + ETH_HLEN_ + l3;
    struct dp_tunnel *t = tun_find_port(u->ul, src, tun_be16(udp + 2));
    uint8_t tag[2];

    if (!t) {
        u->ctr.drops[DP_DROP_NOT_TUNNEL]++;
        rte_pktmbuf_free(m);
        return;
    }
    memcpy(tag, src, 2);
    /* Drop the Ethernet padding, then the IP and UDP headers, keeping
     * room for the outer Ethernet header of a labelled frame. */
    uint32_t have = rte_pktmbuf_pkt_len(m) - ETH_HLEN_;
    if (have > total) {
        rte_pktmbuf_trim(m, have - total);
    }
    uint8_t *h = (uint8_t *) rte_pktmbuf_adj(m, l3 + TUN_UDP_HLEN);
    h[0] = 0x02; h[1] = 0x4c; h[2] = 0x4d; h[3] = 0xff; h[4] = 0xff; h[5] = 0xff;
    h[6] = 0x02; h[7] = 0x4c; h[8] = 0x4d; h[9] = 0xfe;
    memcpy(h + 10, tag, 2);
    h[12] = ETHTYPE_MPLS >> 8;
    h[13] = ETHTYPE_MPLS & 0xff;
    if (rte_ring_sp_enqueue(t->rx, m)) {
        t->ctr[DP_TUNNEL_RX_FULL]++;
        t->port->ctr.drops[DP_DROP_QUEUE_FULL]++;
        rte_pktmbuf_free(m);
        return;
    }
    t->ctr[DP_TUNNEL_DECAP]++;
}

/* IPv4 or IPv6 (the underlay's family) frame 'm' on underlay 'u' (IP
 * header at 'ip'): if it is BFD (UDP to 3784, unfragmented IPv4, IPv6
 * without extension headers) from the remote address of a tunnel that
 * runs a session and is up, the session takes it and this returns true.
 * Of several such tunnels to one address, the packet's Your
 * Discriminator picks the session, or while that is 0 its UDP source port
 * (the far end's tun_bfd_src_port()); a lone session takes what comes. */
static bool
tun_bfd_input(struct dp_port *u, struct rte_mbuf *m, const uint8_t *ip,
              uint64_t now)
{
    bool v6 = u->ul->v6;
    uint32_t ihl = v6 ? TUN_IP6_HLEN : (ip[0] & 0xf) * 4u;
    uint32_t len = rte_pktmbuf_data_len(m);

    if (len < ETH_HLEN_ + TUN_IP4_HLEN + TUN_UDP_HLEN || (ip[0] >> 4) != (v6 ? 6 : 4)
        || ihl < TUN_IP4_HLEN || len < ETH_HLEN_ + ihl + TUN_UDP_HLEN
        || ip[v6 ? 6 : 9] != IPPROTO_UDP || (!v6 && (tun_be16(ip + 6) & 0x3fff))
        || tun_be16(ip + ihl + 2) != BFD_UDP_PORT) {
        return false;
    }
    const uint8_t *udp = ip + ihl;
    const uint8_t *src = ip + (v6 ? 8 : 12);
    uint32_t your_disc = len >= ETH_HLEN_ + ihl + TUN_UDP_HLEN + 12
                         ? (uint32_t) tun_be16(udp + TUN_UDP_HLEN + 8) << 16
                           | tun_be16(udp + TUN_UDP_HLEN + 10) : 0;
    struct dp_tunnel *t = NULL, *only = NULL;
    uint32_t n = 0;

    for (uint32_t i = 0; i < u->ul->n_tuns && !t; i++) {
        struct dp_tunnel *c = u->ul->tuns[i];
        if (!c->port->bfd || c->port->down
            || !tun_addr_is(&c->remote, src, v6)) {
            continue;
        }
        only = c;
        n++;
        if (your_disc ? your_disc == c->port->bfd->s.local_disc
                      : tun_be16(udp) == tun_bfd_src_port(c)) {
            t = c;
        }
    }
    if (!t && n == 1) {
        t = only;
    }
    if (!t) {
        return false;
    }
    return dp_bfd_input(t->port, m, now);
}

/* The smallest IP packet a tunnel datagram can be after an 'l3'-byte
 * header: UDP, label, control word, inner Ethernet. */
#define TUN_MIN_IP(L3) ((L3) + TUN_UDP_HLEN + 8 + ETH_HLEN_)

void
dp_tunnel_underlay_input(struct dp_port *u, struct rte_mbuf **pkts, uint16_t n)
{
    struct dp_underlay *ul = u->ul;
    uint64_t now = dp.workers[u->sw->worker].now;

    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];
        const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
        uint32_t len = rte_pktmbuf_data_len(m);
        const uint8_t *ip = f + ETH_HLEN_;
        uint16_t type = len >= ETH_HLEN_ ? tun_be16(f + 12) : 0;

        u->ctr.rx_bytes += rte_pktmbuf_pkt_len(m);
        if (type == ETHTYPE_ARP) {
            tun_arp_input(u, m, now);
        } else if (type == ETHTYPE_IPV4 && !ul->v6
                   && len >= ETH_HLEN_ + TUN_MIN_IP(TUN_IP4_HLEN) && (ip[0] >> 4) == 4
                   && (ip[0] & 0xf) * 4u >= TUN_IP4_HLEN
                   && ip[9] == IPPROTO_UDP && tun_addr_is(&ul->local, ip + 16, false)
                   && !(tun_be16(ip + 6) & 0x3fff)
                   && tun_be16(ip + 2) >= TUN_MIN_IP((ip[0] & 0xf) * 4u)
                   && tun_be16(ip + 2) <= len - ETH_HLEN_
                   && tun_be16(ip + (ip[0] & 0xf) * 4u + 2) != BFD_UDP_PORT) {
            tun_decap(u, m, ip + 12, (ip[0] & 0xf) * 4u, tun_be16(ip + 2));
        } else if (type == ETHTYPE_IPV4 && !ul->v6 && tun_bfd_input(u, m, ip, now)) {
            /* taken by the tunnel's BFD session */
        } else if (type == ETHTYPE_IPV6 && ul->v6
                   && len >= ETH_HLEN_ + TUN_IP6_HLEN + 24 && (ip[0] >> 4) == 6
                   && TUN_IP6_HLEN + (uint32_t) tun_be16(ip + 4) <= len - ETH_HLEN_) {
            uint32_t plen = tun_be16(ip + 4);
            if (ip[6] == TUN_ICMP6) {
                tun_nd_input(u, m, ip, plen, now);
            } else if (ip[6] == IPPROTO_UDP && tun_addr_is(&ul->local, ip + 24, true)
                       && TUN_IP6_HLEN + plen >= TUN_MIN_IP(TUN_IP6_HLEN)
                       && tun_be16(ip + TUN_IP6_HLEN + 2) != BFD_UDP_PORT) {
                tun_decap(u, m, ip + 8, TUN_IP6_HLEN, TUN_IP6_HLEN + plen);
            } else if (ip[6] == IPPROTO_UDP && tun_addr_is(&ul->local, ip + 24, true)
                       && tun_bfd_input(u, m, ip, now)) {
                /* taken by the tunnel's BFD session */
            } else {
                u->ctr.drops[DP_DROP_NOT_TUNNEL]++;
                rte_pktmbuf_free(m);
            }
        } else {
            u->ctr.drops[len < ETH_HLEN_ ? DP_DROP_MALFORMED : DP_DROP_NOT_TUNNEL]++;
            rte_pktmbuf_free(m);
        }
    }
}

uint16_t
dp_tunnel_rx(struct dp_port *p, struct rte_mbuf **pkts, uint16_t n)
{
    struct dp_tunnel *t = p->tun;
    uint64_t now = dp.workers[p->sw->worker].now;

    if (unlikely(now >= t->next_req_ns)) {
        tun_neighbour_tick(t, now);
    }
    return rte_ring_sc_dequeue_burst(t->rx, (void **) pkts, n, NULL);
}

bool
dp_tunnel_can_block(const struct dp_port *p, unsigned w, uint64_t now,
                    uint64_t *timeout_ns)
{
    const struct dp_tunnel *t = p->tun;
    const struct dp_port *u = t->underlay;

    if (!u || u->type != DP_PORT_AFP || u->worker != w
        || !rte_ring_empty(t->rx)) {
        return false;
    }
    uint64_t wait = t->next_req_ns > now ? t->next_req_ns - now : 0;
    *timeout_ns = wait < *timeout_ns ? wait : *timeout_ns;
    return true;
}

/* ---- Transmit ----------------------------------------------------------- */

/* A hash of inner frame 'in' ('len' bytes): its addresses, and its IP
 * addresses, protocol and ports when it is IPv4 or IPv6 (RFC 7510
 * section 3: the entropy of the flow for the UDP source port). */
static uint32_t
tun_entropy(const uint8_t *in, uint32_t len)
{
    /* The fields are copied into an aligned key: frames put the IP
     * header on a 2-byte boundary, and rte_jhash reads 32-bit words. */
    uint32_t key[13];
    uint8_t *k = (uint8_t *) key;
    uint32_t n = 12;
    const uint8_t *ip = in + ETH_HLEN_;
    uint16_t type = tun_be16(in + 12);
    const uint8_t *l4 = NULL;
    uint8_t proto = 0;

    memcpy(k, in, 12);
    if (type == ETHTYPE_IPV4 && len >= ETH_HLEN_ + TUN_IP4_HLEN) {
        proto = ip[9];
        memcpy(k + n, ip + 12, 8);
        n += 8;
        if (!(tun_be16(ip + 6) & 0x1fff)) {
            l4 = ip + (ip[0] & 0xf) * 4u;
        }
    } else if (type == ETHTYPE_IPV6 && len >= ETH_HLEN_ + TUN_IP6_HLEN) {
        proto = ip[6];
        memcpy(k + n, ip + 8, 32);
        n += 32;
        l4 = ip + TUN_IP6_HLEN;
    }
    if (l4 && (proto == IPPROTO_TCP || proto == IPPROTO_UDP) && l4 + 4 <= in + len) {
        memcpy(k + n, l4, 4);
        n += 4;
    }
    return rte_jhash(key, n, 0x4c4d ^ proto);
}

/* A frame back along the virtual link that brought 'in': the labelled
 * frame 'lbl' (label and control word) with an inner Ethernet header
 * back to the sender of 'in' and room for 'l3_len' bytes of 'ethertype'
 * at '*l3p'.  NULL if the pool is empty. */
static struct rte_mbuf *
tun_reply_alloc(struct dp_tunnel *t, const uint8_t *lbl, const uint8_t *in,
                uint16_t ethertype, uint32_t l3_len, uint8_t **l3p)
{
    struct rte_mbuf *m;
    uint8_t *f = tun_alloc(t->port, EOMPLS_HLEN + ETH_HLEN_ + l3_len, &m);

    if (!f) {
        return NULL;
    }
    /* Outer Ethernet, the label (TTL 64), the control word. */
    f[0] = 0x02; f[1] = 0x4c; f[2] = 0x4d; f[3] = 0xff; f[4] = 0xff; f[5] = 0xff;
    f[6] = 0x02; f[7] = 0x4c; f[8] = 0x4d; f[9] = 0xfd;
    tun_put16(f + 12, ETHTYPE_MPLS);
    memcpy(f + ETH_HLEN_, lbl, 8);
    f[ETH_HLEN_ + 3] = 64;
    uint8_t *e = f + EOMPLS_HLEN;
    memcpy(e, in + 6, 6);
    memcpy(e + 6, in, 6);
    tun_put16(e + 12, ethertype);
    *l3p = e + ETH_HLEN_;
    return m;
}

/* Answers inner IP packet 'ip' ('ip_len' bytes, from frame 'in' with
 * label and control word 'lbl') that is too big for 't' with an ICMP
 * "fragmentation needed" (IPv4) or ICMPv6 "packet too big", sent back
 * along the virtual link that brought it: put on the tunnel's receive
 * ring as if it had come from the far end, it goes the way a frame from
 * the far end goes.  Its source is the packet's destination: the
 * pseudowire has no address of its own in the slice, and the
 * destination is one the sender routes to (a source it has no route to
 * would fail the sender's reverse-path filter). */
static bool
tun_icmp_too_big(struct dp_tunnel *t, const uint8_t *lbl, const uint8_t *in,
                 const uint8_t *ip, uint32_t ip_len, bool v6)
{
    struct rte_mbuf *m;
    uint8_t *h;

    if (!v6) {
        uint32_t ihl = (ip[0] & 0xf) * 4u;
        uint32_t quote = ihl + 8 < ip_len ? ihl + 8 : ip_len;
        uint32_t icmp_len = 8 + quote;
        m = tun_reply_alloc(t, lbl, in, ETHTYPE_IPV4, TUN_IP4_HLEN + icmp_len, &h);
        if (!m) {
            return false;
        }
        struct rte_ipv4_hdr *h4 = (struct rte_ipv4_hdr *) h;
        h4->version_ihl = 0x45;
        h4->total_length = htons(TUN_IP4_HLEN + icmp_len);
        h4->time_to_live = 64;
        h4->next_proto_id = IPPROTO_ICMP;
        memcpy(&h4->src_addr, ip + 16, 4);
        memcpy(&h4->dst_addr, ip + 12, 4);
        h4->hdr_checksum = rte_ipv4_cksum(h4);
        uint8_t *c = h + TUN_IP4_HLEN;
        c[0] = 3;                       /* destination unreachable */
        c[1] = 4;                       /* fragmentation needed and DF set */
        tun_put16(c + 6, t->inner_mtu);
        memcpy(c + 8, ip, quote);
        uint16_t sum = ~rte_raw_cksum(c, icmp_len);     /* in memory order */
        memcpy(c + 2, &sum, 2);
    } else {
        /* As much of the packet as fits in IPv6's minimum MTU. */
        uint32_t room = TUN_IPV6_MIN_MTU - TUN_IP6_HLEN - 8;
        uint32_t quote = ip_len < room ? ip_len : room;
        m = tun_reply_alloc(t, lbl, in, ETHTYPE_IPV6, TUN_IP6_HLEN + 8 + quote, &h);
        if (!m) {
            return false;
        }
        tun_ip6_fill(h, 0, 8 + quote, TUN_ICMP6, 64, ip + 24, ip + 8);
        uint8_t *c = h + TUN_IP6_HLEN;
        c[0] = 2;                       /* packet too big */
        uint32_t mtu = htonl(t->inner_mtu);
        memcpy(c + 4, &mtu, 4);
        memcpy(c + 8, ip, quote);
        tun_icmp6_cksum(h);
    }
    if (rte_ring_sp_enqueue(t->rx, m)) {
        rte_pktmbuf_free(m);
        t->ctr[DP_TUNNEL_RX_FULL]++;
        return false;
    }
    t->ctr[DP_TUNNEL_ICMP_TOO_BIG]++;
    return true;
}

/* Frame 'm' (labelled) is larger than the tunnel takes: says so to its
 * sender when it is IPv4 with DF set or IPv6; drops it with the reason. */
static void
tun_too_big(struct dp_tunnel *t, struct rte_mbuf *m)
{
    const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
    const uint8_t *in = f + EOMPLS_HLEN;
    const uint8_t *ip = in + ETH_HLEN_;
    uint32_t ip_len = rte_pktmbuf_data_len(m) - EOMPLS_HLEN - ETH_HLEN_;
    uint16_t type = tun_be16(in + 12);
    enum dp_drop why = DP_DROP_MTU;

    /* Never about an ICMP error, nor to a group (RFC 1812 4.3.2.7, RFC
     * 4443 2.4). */
    if (type == ETHTYPE_IPV4 && ip_len >= TUN_IP4_HLEN + 8 && (ip[0] >> 4) == 4
        && (ip[0] & 0xf) >= 5 && (tun_be16(ip + 6) & 0x4000) && ip[16] < 224
        && !(ip[9] == IPPROTO_ICMP && ip[(ip[0] & 0xf) * 4u] != 0
             && ip[(ip[0] & 0xf) * 4u] != 8)
        && tun_icmp_too_big(t, f + ETH_HLEN_, in, ip, ip_len, false)) {
        why = DP_DROP_MTU_ICMP;
    } else if (type == ETHTYPE_IPV6 && ip_len >= TUN_IP6_HLEN + 8 && (ip[0] >> 4) == 6
               && ip[24] != 0xff && !(ip[6] == TUN_ICMP6 && ip[TUN_IP6_HLEN] < 128)
               && tun_icmp_too_big(t, f + ETH_HLEN_, in, ip, ip_len, true)) {
        why = DP_DROP_MTU_ICMP;
    }
    t->port->ctr.drops[why]++;
    rte_pktmbuf_free(m);
}

/* Replaces the outer Ethernet header of labelled frame 'm' by the
 * tunnel's Ethernet/IP/UDP.  False if there is no headroom. */
static bool
tun_encap(struct dp_tunnel *t, struct rte_mbuf *m)
{
    const struct dp_underlay *ul = t->underlay->ul;
    uint32_t inner_len = rte_pktmbuf_pkt_len(m) - ETH_HLEN_;   /* label on */
    const uint8_t *in = rte_pktmbuf_mtod_offset(m, const uint8_t *, EOMPLS_HLEN);
    uint32_t hash = tun_entropy(in, rte_pktmbuf_data_len(m) - EOMPLS_HLEN);
    uint32_t l3 = ul->v6 ? TUN_IP6_HLEN : TUN_IP4_HLEN;
    uint8_t *f = (uint8_t *) rte_pktmbuf_prepend(m, l3 + TUN_UDP_HLEN);

    if (!f) {
        return false;
    }
    memcpy(f, t->nh_mac, 6);
    memcpy(f + 6, ul->mac, 6);
    tun_put16(f + 12, ul->v6 ? ETHTYPE_IPV6 : ETHTYPE_IPV4);
    uint8_t *h = f + ETH_HLEN_;
    uint8_t *udp = h + l3;
    tun_put16(udp, 0xc000 | (hash & 0x3fff));   /* 49152..65535 */
    tun_put16(udp + 2, t->dport);
    tun_put16(udp + 4, TUN_UDP_HLEN + inner_len);
    udp[6] = udp[7] = 0;
    if (!ul->v6) {
        struct rte_ipv4_hdr *h4 = (struct rte_ipv4_hdr *) h;
        h4->version_ihl = 0x45;
        h4->type_of_service = 0;
        h4->total_length = htons(TUN_IP4_HLEN + TUN_UDP_HLEN + inner_len);
        h4->packet_id = 0;
        h4->fragment_offset = htons(0x4000);   /* DF */
        h4->time_to_live = 64;
        h4->next_proto_id = IPPROTO_UDP;
        h4->hdr_checksum = 0;
        memcpy(&h4->src_addr, ul->local.b, 4);
        memcpy(&h4->dst_addr, t->remote.b, 4);
        h4->hdr_checksum = rte_ipv4_cksum(h4);
    } else {
        tun_ip6_fill(h, hash >> 12, TUN_UDP_HLEN + inner_len, IPPROTO_UDP, 64,
                     ul->local.b, t->remote.b);
        uint16_t sum = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *) h, udp);
        memcpy(udp + 6, &sum, 2);
    }
    return true;
}

uint16_t
dp_tunnel_tx(struct dp_port *p, struct rte_mbuf **pkts, uint16_t n)
{
    struct dp_tunnel *t = p->tun;
    struct rte_mbuf *out[DP_BURST];
    uint16_t k = 0;

    n = n > DP_BURST ? DP_BURST : n;
    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];
        uint32_t len = rte_pktmbuf_pkt_len(m);

        if (unlikely(len < EOMPLS_HLEN + ETH_HLEN_ || m->nb_segs > 1)) {
            p->ctr.drops[DP_DROP_MALFORMED]++;
            rte_pktmbuf_free(m);
        } else if (unlikely(len - EOMPLS_HLEN - ETH_HLEN_ > t->inner_mtu)) {
            tun_too_big(t, m);
        } else if (unlikely(!t->resolved)) {
            p->ctr.drops[DP_DROP_NO_NEIGHBOUR]++;
            rte_pktmbuf_free(m);
        } else if (unlikely(!tun_encap(t, m))) {
            p->ctr.drops[DP_DROP_MALFORMED]++;
            rte_pktmbuf_free(m);
        } else {
            out[k++] = m;
        }
    }
    if (k) {
        uint64_t bytes = 0;
        uint16_t sent = dp_port_tx(t->underlay, out, k);
        for (uint16_t i = 0; i < sent; i++) {
            bytes += rte_pktmbuf_pkt_len(out[i]);
        }
        t->underlay->ctr.tx_packets += sent;
        t->underlay->ctr.tx_bytes += bytes;
        t->ctr[DP_TUNNEL_ENCAP] += sent;
        for (uint16_t i = sent; i < k; i++) {
            p->ctr.drops[DP_DROP_TX_FULL]++;
            rte_pktmbuf_free(out[i]);
        }
    }
    return n;
}

/* ---- Views -------------------------------------------------------------- */

static json_t *
tun_mac_json(const uint8_t *m)
{
    char s[18];
    snprintf(s, sizeof s, "%02x:%02x:%02x:%02x:%02x:%02x",
             m[0], m[1], m[2], m[3], m[4], m[5]);
    return json_string(s);
}

static json_t *
tun_ip_json(const struct tun_addr *a, bool v6)
{
    char s[INET6_ADDRSTRLEN];
    return json_string(tun_addr_str(a, v6, s));
}

json_t *
dp_tunnel_to_json(const struct dp_port *p)
{
    const struct dp_tunnel *t = p->tun;
    const struct dp_underlay *ul;
    json_t *j, *nb, *ctr;

    if (!t) {
        return json_null();
    }
    ul = t->underlay->ul;
    j = json_object();
    json_object_set_new(j, "underlay", json_string(t->underlay->name));
    json_object_set_new(j, "local", tun_ip_json(&ul->local, ul->v6));
    json_object_set_new(j, "remote", tun_ip_json(&t->remote, ul->v6));
    json_object_set_new(j, "nexthop", tun_ip_json(&t->nexthop, ul->v6));
    json_object_set_new(j, "mtu", json_integer(t->mtu));
    json_object_set_new(j, "port", json_integer(t->dport));
    json_object_set_new(j, "inner_mtu", json_integer(t->inner_mtu));
    json_object_set_new(j, "underlay_mac", tun_mac_json(ul->mac));
    json_object_set_new(j, "underlay_neighbour_answered", json_integer(ul->answered));
    json_object_set_new(j, "underlay_kernel_off", json_boolean(ul->kernel_off));
    if (!ul->kernel_off) {
        json_object_set_new(j, "underlay_kernel_why", json_string(ul->kernel_why));
    }
    nb = json_object();
    bool resolved = __atomic_load_n(&t->resolved, __ATOMIC_RELAXED);
    json_object_set_new(nb, "resolved", json_boolean(resolved));
    if (resolved) {
        json_object_set_new(nb, "mac", tun_mac_json(t->nh_mac));
        uint64_t now = dp_now_ns();
        uint64_t seen = t->confirmed_ns;
        json_object_set_new(nb, "age_ms", json_integer(now > seen ? (now - seen) / 1000000 : 0));
    }
    json_object_set_new(j, "neighbour", nb);
    ctr = json_object();
    for (int i = 0; i < DP_TUNNEL_N_COUNTERS; i++) {
        json_object_set_new(ctr, dp_tunnel_counter_names[i], json_integer(t->ctr[i]));
    }
    json_object_set_new(j, "counters", ctr);
    return j;
}
