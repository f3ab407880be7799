/*
 * dp_tunnel: MPLS-in-UDP tunnels over an IPv4 underlay (see dp_tunnel.h).
 *
 * Layout on the underlay (RFC 7510):
 *
 *   Ethernet | IPv4 (DF) | UDP sport=hash, dport=6635 | label | CW | inner
 *
 * The label and control word are those the frame carried as a labelled
 * frame on a link port; only its outer Ethernet header is replaced.  The
 * UDP checksum is zero, as RFC 7510 allows over IPv4.
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
#define TUN_UDP_HLEN 8
/* What the tunnel adds in front of the label: Ethernet, IPv4, UDP. */
#define TUN_ENCAP_HLEN (ETH_HLEN_ + TUN_IP4_HLEN + TUN_UDP_HLEN)
#define TUN_RX_RING 1024
#define TUN_MAX_PER_UNDERLAY 64
#define TUN_DEFAULT_MTU 1500

/* Neighbour timers (ns): retry an unanswered request, refresh an entry
 * that old, forget it when no answer came for that long. */
#define TUN_ARP_RETRY_NS (200ull * 1000 * 1000)
#define TUN_ARP_REFRESH_NS (10ull * 1000 * 1000 * 1000)
#define TUN_ARP_REFRESH_RETRY_NS (1000ull * 1000 * 1000)
#define TUN_ARP_STALE_NS (30ull * 1000 * 1000 * 1000)

#define ETHTYPE_IPV4 0x0800
#define ETHTYPE_ARP 0x0806
#define ETHTYPE_IPV6 0x86dd

/*    enum suffix        name in stats            what it counts */
#define DP_TUNNEL_COUNTERS(X)                                               \
    X(ENCAP,         "encapsulated",        "frames sent into the tunnel")  \
    X(DECAP,         "decapsulated",        "frames received from it")      \
    X(ARP_REQUESTS,  "arp_requests_sent",   "ARP requests for the next hop") \
    X(ARP_LEARNED,   "arp_learned",         "ARP messages that (re)confirmed the next hop") \
    X(ICMP_TOO_BIG,  "icmp_too_big_sent",   "ICMP too-big sent back to senders") \
    X(RX_FULL,       "rx_ring_full",        "decapsulated frames the tunnel's ring could not take")

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

struct dp_tunnel {
    struct dp_port *port;       /* the tunnel's own port (DP_PORT_TUN) */
    struct dp_port *underlay;
    uint32_t remote, nexthop;   /* IPv4, network order */
    uint16_t mtu;               /* underlay IP MTU */
    uint16_t inner_mtu;         /* largest inner IP packet */
    struct rte_ring *rx;        /* decapsulated frames: underlay -> port */

    /* The next hop's MAC (worker). */
    uint8_t nh_mac[6];
    bool resolved;
    uint64_t confirmed_ns;      /* last ARP message from the next hop */
    uint64_t next_req_ns;       /* when to ask again */

    uint64_t ctr[DP_TUNNEL_N_COUNTERS];
};

struct dp_underlay {
    uint8_t mac[6];
    uint32_t local;             /* IPv4, network order */
    struct dp_tunnel *tuns[TUN_MAX_PER_UNDERLAY];
    uint32_t n_tuns;
    uint64_t arp_answered;
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

/* ---- Configuration ---------------------------------------------------- */

/* Parses one IPv4 address option 'what' = 'val' into '*ip'. */
static int
tun_parse_ip(const struct dp_port *p, const char *what, const char *val,
             uint32_t *ip, struct dp_error *err)
{
    struct in_addr a;

    if (inet_pton(AF_INET, val, &a) != 1) {
        dp_err(err, "tunnel %s: %s \"%s\" is not an IPv4 address%s", p->name,
               what, val, strchr(val, ':') ? " (IPv6 underlays are not "
               "supported yet)" : "");
        return EINVAL;
    }
    if (!a.s_addr || a.s_addr == INADDR_BROADCAST || IN_MULTICAST(ntohl(a.s_addr))) {
        dp_err(err, "tunnel %s: %s %s is not a unicast address", p->name, what, val);
        return EINVAL;
    }
    *ip = a.s_addr;
    return 0;
}

/* The settings of a tunnel, as parsed from its devargs. */
struct tun_args {
    char underlay[DP_NAME_LEN];
    uint32_t local, remote, nexthop;
    unsigned long mtu;
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
            error = tun_parse_ip(p, "local", val, &ta->local, err);
        } else if (!strcmp(kv, "remote")) {
            error = tun_parse_ip(p, "remote", val, &ta->remote, err);
        } else if (!strcmp(kv, "nexthop")) {
            error = tun_parse_ip(p, "nexthop", val, &ta->nexthop, err);
        } else if (!strcmp(kv, "mtu")) {
            char *end;
            ta->mtu = strtoul(val, &end, 10);
            if (*end || !val[0] || ta->mtu < 576 || ta->mtu > 9000) {
                dp_err(err, "tunnel %s: mtu \"%s\" is not a number in 576..9000",
                       p->name, val);
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
                   "local, remote, nexthop, mtu, mac)", p->name, kv);
            error = EINVAL;
        }
    }
    free(copy);
    if (!error && (!ta->underlay[0] || !ta->local || !ta->remote)) {
        dp_err(err, "tunnel %s: underlay, local and remote are required "
               "(mplsudp:underlay=PORT,local=IP,remote=IP[,nexthop=IP][,mtu=N])",
               p->name);
        error = EINVAL;
    }
    if (!error && ta->local == ta->remote) {
        dp_err(err, "tunnel %s: local and remote are the same address", p->name);
        error = EINVAL;
    }
    if (!ta->nexthop) {
        ta->nexthop = ta->remote;
    }
    return error;
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
    u = dp_need_port(p->sw, ta.underlay, err);
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
    if (ul && ul->local != ta.local) {
        char have[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &ul->local, have, sizeof have);
        dp_err(err, "tunnel %s: underlay port %s already has local address %s",
               p->name, u->name, have);
        return EINVAL;
    }
    for (uint32_t i = 0; ul && i < ul->n_tuns; i++) {
        if (ul->tuns[i]->remote == ta.remote) {
            dp_err(err, "tunnel %s: port %s already tunnels to that remote "
                   "address over %s", p->name, ul->tuns[i]->port->name, u->name);
            return EEXIST;
        }
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
    t->mtu = ta.mtu;
    t->inner_mtu = ta.mtu - TUN_IP4_HLEN - TUN_UDP_HLEN - 8 - ETH_HLEN_;

    dp_pause();
    if (!ul) {
        ul = xzalloc(sizeof *ul);
        memcpy(ul->mac, mac, 6);
        ul->local = ta.local;
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
    if (!ul->n_tuns) {
        free(ul);
        u->ul = NULL;
    }
    p->tun = NULL;
    dp_resume();
    while (rte_ring_sc_dequeue(t->rx, (void **) &m) == 0) {
        rte_pktmbuf_free(m);
    }
    rte_ring_free(t->rx);
    free(t);
}

bool
dp_tunnel_is_underlay(const struct dp_port *p)
{
    return p->ul != NULL;
}

/* ---- Neighbour (ARP) ---------------------------------------------------- */

/* Writes an Ethernet+ARP message of 'op' into 60 bytes at 'f'. */
static void
tun_arp_fill(uint8_t *f, uint16_t op, const uint8_t *eth_dst, const uint8_t *sha,
             uint32_t spa, const uint8_t *tha, uint32_t tpa)
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
    memcpy(f + 28, &spa, 4);
    memcpy(f + 32, tha, 6);
    memcpy(f + 38, &tpa, 4);
}

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

/* Broadcasts an ARP request for the next hop of 't'. */
static void
tun_arp_request(struct dp_tunnel *t)
{
    static const uint8_t zero[6];
    struct dp_underlay *ul = t->underlay->ul;
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);
    uint8_t *f = m ? (uint8_t *) rte_pktmbuf_append(m, 60) : NULL;

    if (!f) {
        rte_pktmbuf_free(m);
        t->port->ctr.drops[DP_DROP_NO_MBUF]++;
        return;
    }
    tun_arp_fill(f, 1, tun_bcast, ul->mac, ul->local, zero, t->nexthop);
    t->ctr[DP_TUNNEL_ARP_REQUESTS]++;
    tun_underlay_send(t->underlay, m);
}

/* Keeps the next hop of 't' resolved: asks when it is unknown, refreshes
 * it before it goes stale, forgets it when the next hop stopped answering. */
static void
tun_neighbour_tick(struct dp_tunnel *t, uint64_t now)
{
    if (t->resolved && now - t->confirmed_ns > TUN_ARP_STALE_NS) {
        t->resolved = false;
    }
    if (!t->resolved) {
        tun_arp_request(t);
        t->next_req_ns = now + TUN_ARP_RETRY_NS;
    } else if (now - t->confirmed_ns >= TUN_ARP_REFRESH_NS) {
        tun_arp_request(t);
        t->next_req_ns = now + TUN_ARP_REFRESH_RETRY_NS;
    } else {
        t->next_req_ns = t->confirmed_ns + TUN_ARP_REFRESH_NS;
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
    uint32_t spa, tpa;
    uint16_t op;

    if (rte_pktmbuf_data_len(m) < 42 || tun_be16(f + 14) != 1
        || tun_be16(f + 16) != ETHTYPE_IPV4 || f[18] != 6 || f[19] != 4) {
        u->ctr.drops[DP_DROP_MALFORMED]++;
        rte_pktmbuf_free(m);
        return;
    }
    op = tun_be16(f + 20);
    memcpy(&spa, f + 28, 4);
    memcpy(&tpa, f + 38, 4);
    if (tpa != ul->local) {
        u->ctr.drops[DP_DROP_NOT_TUNNEL]++;
        rte_pktmbuf_free(m);
        return;
    }
    for (uint32_t i = 0; i < ul->n_tuns; i++) {
        struct dp_tunnel *t = ul->tuns[i];
        if (t->nexthop == spa && !rte_is_zero_ether_addr((void *) (f + 22))) {
            memcpy(t->nh_mac, f + 22, 6);
            t->resolved = true;
            t->confirmed_ns = now;
            t->next_req_ns = now + TUN_ARP_REFRESH_NS;
            t->ctr[DP_TUNNEL_ARP_LEARNED]++;
        }
    }
    if (op != 1) {
        rte_pktmbuf_free(m);    /* a reply: learned above */
        return;
    }
    uint8_t sha[6];
    memcpy(sha, f + 22, 6);
    if (rte_pktmbuf_data_len(m) < 60 && !rte_pktmbuf_append(m, 60 - rte_pktmbuf_data_len(m))) {
        rte_pktmbuf_free(m);
        return;
    }
    rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - 60);
    tun_arp_fill(f, 2, sha, ul->mac, ul->local, sha, spa);
    ul->arp_answered++;
    tun_underlay_send(u, m);
}

/* ---- Receive ------------------------------------------------------------ */

/* MPLS-in-UDP datagram 'm' (IPv4 header at 'ip', 'ihl' bytes): hands it
 * to the tunnel of its source address as a labelled frame. */
static void
tun_decap(struct dp_port *u, struct rte_mbuf *m, const uint8_t *ip, uint32_t ihl)
{
    struct dp_underlay *ul = u->ul;
    uint32_t src;
    struct dp_tunnel *t = NULL;

    memcpy(&src, ip + 12, 4);
    for (uint32_t i = 0; i < ul->n_tuns; i++) {
        if (ul->tuns[i]->remote == src) {
            t = ul->tuns[i];
            break;
        }
    }
    if (!t) {
        u->ctr.drops[DP_DROP_NOT_TUNNEL]++;
        rte_pktmbuf_free(m);
        return;
    }
    /* Drop the Ethernet padding, then the IP and UDP headers, keeping
     * room for the outer Ethernet header of a labelled frame. */
    uint32_t total = tun_be16(ip + 2);
    uint32_t have = rte_pktmbuf_pkt_len(m) - ETH_HLEN_;
    if (have > total) {
        rte_pktmbuf_trim(m, have - total);
    }
    uint8_t *h = (uint8_t *) rte_pktmbuf_adj(m, ihl + TUN_UDP_HLEN);
    h[0] = 0x02; h[1] = 0x4c; h[2] = 0x4d; h[3] = 0xff; h[4] = 0xff; h[5] = 0xff;
    h[6] = 0x02; h[7] = 0x4c; h[8] = 0x4d; h[9] = 0xfe;
    memcpy(h + 10, &src, 2);
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

void
dp_tunnel_underlay_input(struct dp_port *u, struct rte_mbuf **pkts, uint16_t n)
{
    struct dp_underlay *ul = u->ul;
    uint64_t now = dp.workers[u->sw->worker].now;

    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];
        const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
        uint32_t len = rte_pktmbuf_data_len(m);

        u->ctr.rx_bytes += rte_pktmbuf_pkt_len(m);
        if (len < ETH_HLEN_) {
            u->ctr.drops[DP_DROP_MALFORMED]++;
            rte_pktmbuf_free(m);
            continue;
        }
        uint16_t type = tun_be16(f + 12);
        if (type == ETHTYPE_ARP) {
            tun_arp_input(u, m, now);
            continue;
        }
        /* IPv4, to us, UDP to 6635, not a fragment. */
        const uint8_t *ip = f + ETH_HLEN_;
        uint32_t ihl = len >= ETH_HLEN_ + TUN_IP4_HLEN ? (ip[0] & 0xf) * 4u : 0;
        if (type != ETHTYPE_IPV4 || (ip[0] >> 4) != 4 || ihl < TUN_IP4_HLEN
            || len < ETH_HLEN_ + ihl + TUN_UDP_HLEN + 8 + ETH_HLEN_
            || ip[9] != IPPROTO_UDP || memcmp(ip + 16, &ul->local, 4)
            || (tun_be16(ip + 6) & 0x3fff)
            || tun_be16(ip + ihl + 2) != DP_TUNNEL_UDP_PORT
            || tun_be16(ip + 2) < ihl + TUN_UDP_HLEN + 8 + ETH_HLEN_
            || tun_be16(ip + 2) > len - ETH_HLEN_) {
            u->ctr.drops[DP_DROP_NOT_TUNNEL]++;
            rte_pktmbuf_free(m);
            continue;
        }
        tun_decap(u, m, ip, ihl);
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

/* ---- Transmit ----------------------------------------------------------- */

/* The UDP source port for inner frame 'in' ('len' bytes): a hash of its
 * addresses, and of its IP addresses, protocol and ports when it is
 * IPv4, in 49152..65535 (RFC 7510 section 3). */
static uint16_t
tun_entropy(const uint8_t *in, uint32_t len)
{
    uint32_t h = rte_jhash(in, 12, 0x4c4d);

    if (len >= ETH_HLEN_ + 20 && tun_be16(in + 12) == ETHTYPE_IPV4) {
        const uint8_t *ip = in + ETH_HLEN_;
        uint32_t ihl = (ip[0] & 0xf) * 4u;
        h = rte_jhash(ip + 12, 8, h ^ ip[9]);
        if ((ip[9] == IPPROTO_TCP || ip[9] == IPPROTO_UDP)
            && len >= ETH_HLEN_ + ihl + 4 && !(tun_be16(ip + 6) & 0x1fff)) {
            h = rte_jhash(ip + ihl, 4, h);
        }
    }
    return 0xc000 | (h & 0x3fff);
}

/* Answers inner IPv4 packet 'in' (at 'ip', DF set, too big for 't') with
 * an ICMP "fragmentation needed" sent back along the virtual link that
 * brought it: a labelled frame with the same label, put on the tunnel's
 * receive ring as if it had come from the far end.  'lbl' is the label
 * and control word of the frame. */
static bool
tun_icmp_too_big(struct dp_tunnel *t, const uint8_t *lbl, const uint8_t *in,
                 const uint8_t *ip, uint32_t ip_len)
{
    uint32_t ihl = (ip[0] & 0xf) * 4u;
    uint32_t quote = ihl + 8 < ip_len ? ihl + 8 : ip_len;
    uint32_t icmp_len = 8 + quote;
    uint32_t total = EOMPLS_HLEN + ETH_HLEN_ + 20 + icmp_len;
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);
    uint8_t *f = m ? (uint8_t *) rte_pktmbuf_append(m, total) : NULL;

    if (!f) {
        rte_pktmbuf_free(m);
        return false;
    }
    /* Outer Ethernet, the label (TTL 64), the control word. */
    memset(f, 0, ETH_HLEN_);
    f[0] = 0x02; f[1] = 0x4c; f[2] = 0x4d; f[3] = 0xff; f[4] = 0xff; f[5] = 0xff;
    f[6] = 0x02; f[7] = 0x4c; f[8] = 0x4d; f[9] = 0xfd;
    tun_put16(f + 12, ETHTYPE_MPLS);
    memcpy(f + ETH_HLEN_, lbl, 8);
    f[ETH_HLEN_ + 3] = 64;
    /* Inner Ethernet back to the sender. */
    uint8_t *e = f + EOMPLS_HLEN;
    memcpy(e, in + 6, 6);
    memcpy(e + 6, in, 6);
    tun_put16(e + 12, ETHTYPE_IPV4);
    /* IPv4 from the packet's destination to its sender: the pseudowire
     * has no address of its own in the slice, and the destination is one
     * the sender routes to (a source it has no route to would fail the
     * sender's reverse-path filter). */
    struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *) (e + ETH_HLEN_);
    memset(h, 0, sizeof *h);
    h->version_ihl = 0x45;
    h->total_length = htons(20 + icmp_len);
    h->time_to_live = 64;
    h->next_proto_id = IPPROTO_ICMP;
    memcpy(&h->src_addr, ip + 16, 4);
    memcpy(&h->dst_addr, ip + 12, 4);
    h->hdr_checksum = rte_ipv4_cksum(h);
    /* ICMP type 3 code 4 with the next-hop MTU, quoting the packet. */
    uint8_t *c = (uint8_t *) (h + 1);
    memset(c, 0, 8);
    c[0] = 3;
    c[1] = 4;
    tun_put16(c + 6, t->inner_mtu);
    memcpy(c + 8, ip, quote);
    uint16_t sum = ~rte_raw_cksum(c, icmp_len);  /* in memory order */
    memcpy(c + 2, &sum, 2);
    if (rte_ring_sp_enqueue(t->rx, m)) {
        rte_pktmbuf_free(m);
        t->ctr[DP_TUNNEL_RX_FULL]++;
        return false;
    }
    t->ctr[DP_TUNNEL_ICMP_TOO_BIG]++;
    return true;
}

/* Frame 'm' (labelled) is larger than the tunnel takes: says so to its
 * sender when it is IPv4 with DF set; drops it with the reason. */
static void
tun_too_big(struct dp_tunnel *t, struct rte_mbuf *m)
{
    const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
    const uint8_t *in = f + EOMPLS_HLEN;
    uint32_t in_len = rte_pktmbuf_data_len(m) - EOMPLS_HLEN;
    enum dp_drop why = DP_DROP_MTU;

    if (in_len >= ETH_HLEN_ + 20 && tun_be16(in + 12) == ETHTYPE_IPV4) {
        const uint8_t *ip = in + ETH_HLEN_;
        if ((ip[0] >> 4) == 4 && (ip[0] & 0xf) >= 5 && (tun_be16(ip + 6) & 0x4000)
            && tun_icmp_too_big(t, f + ETH_HLEN_, in, ip, in_len - ETH_HLEN_)) {
            why = DP_DROP_MTU_ICMP;
        }
    }
    t->port->ctr.drops[why]++;
    rte_pktmbuf_free(m);
}

/* Replaces the outer Ethernet header of labelled frame 'm' by the
 * tunnel's Ethernet/IPv4/UDP.  False if there is no headroom. */
static bool
tun_encap(struct dp_tunnel *t, struct rte_mbuf *m)
{
    const struct dp_underlay *ul = t->underlay->ul;
    uint32_t inner_len = rte_pktmbuf_pkt_len(m) - ETH_HLEN_;   /* label on */
    const uint8_t *in = rte_pktmbuf_mtod_offset(m, const uint8_t *, EOMPLS_HLEN);
    uint16_t sport = tun_entropy(in, rte_pktmbuf_data_len(m) - EOMPLS_HLEN);
    uint8_t *f = (uint8_t *) rte_pktmbuf_prepend(m, TUN_IP4_HLEN + TUN_UDP_HLEN);

    if (!f) {
        return false;
    }
    memcpy(f, t->nh_mac, 6);
    memcpy(f + 6, ul->mac, 6);
    tun_put16(f + 12, ETHTYPE_IPV4);
    struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *) (f + ETH_HLEN_);
    h->version_ihl = 0x45;
    h->type_of_service = 0;
    h->total_length = htons(TUN_IP4_HLEN + TUN_UDP_HLEN + inner_len);
    h->packet_id = 0;
    h->fragment_offset = htons(0x4000);        /* DF */
    h->time_to_live = 64;
    h->next_proto_id = IPPROTO_UDP;
    h->hdr_checksum = 0;
    h->src_addr = ul->local;
    h->dst_addr = t->remote;
    h->hdr_checksum = rte_ipv4_cksum(h);
    uint8_t *udp = f + ETH_HLEN_ + TUN_IP4_HLEN;
    tun_put16(udp, sport);
    tun_put16(udp + 2, DP_TUNNEL_UDP_PORT);
    tun_put16(udp + 4, TUN_UDP_HLEN + inner_len);
    tun_put16(udp + 6, 0);                      /* RFC 7510: zero over IPv4 */
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
tun_ip_json(uint32_t ip)
{
    char s[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &ip, s, sizeof s);
    return json_string(s);
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
    json_object_set_new(j, "local", tun_ip_json(ul->local));
    json_object_set_new(j, "remote", tun_ip_json(t->remote));
    json_object_set_new(j, "nexthop", tun_ip_json(t->nexthop));
    json_object_set_new(j, "mtu", json_integer(t->mtu));
    json_object_set_new(j, "inner_mtu", json_integer(t->inner_mtu));
    json_object_set_new(j, "underlay_mac", tun_mac_json(ul->mac));
    json_object_set_new(j, "underlay_arp_answered", json_integer(ul->arp_answered));
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
