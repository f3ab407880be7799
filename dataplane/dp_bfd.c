/*
 * dp_bfd: BFD sessions (lib/bfd.h) on ports and links, run in the poll
 * loop of the worker that serves the port, so detection does not wait on
 * the control thread.
 *
 * A port with a session carries RFC 5881 single-hop BFD: IPv4, UDP to
 * port 3784 from a fixed source port in 49152..65535, TTL 255 (a packet
 * received with another TTL is discarded, the GTSM check).  The port
 * answers ARP requests for its BFD address and resolves the peer's MAC
 * with ARP requests of its own, so a router (FRRouting's bfdd) on the
 * far side of a veth talks to it as to any neighbour.  On a link of the
 * daemon both ends get a session, addressed 169.254.13.1 (end a) and
 * 169.254.13.2 (end b) unless given, with each other's MAC known.
 *
 * A tunnel port (dp_tunnel.c) with a session runs it between the two
 * underlay addresses of the tunnel, IPv4 UDP to port 3784 over the
 * underlay port to the tunnel's next hop (resolved by the tunnel): BFD
 * over UDP between the tunnel's two ends.  The underlay input
 * hands the session what comes from the tunnel's remote address (of
 * several tunnels to one address, the discriminator or the source port
 * picks the session, dp_tunnel.c).  The TTL is sent as 255 but not
 * checked there (a routed underlay lowers it).
 *
 * Frames of the session (BFD to the local address, ARP for it) are taken
 * out of the burst before classification; everything else goes on to the
 * slices.  Control packets go straight to the device, beside the slices'
 * queues and the link's emulated delay, but suffer its emulated loss, and
 * are never sent while the port or link is down: a cut (or a loss of
 * 100%) is seen by the peer as a silence.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dp_private.h"
#include "util.h"

#define DP_BFD_FRAME_LEN (RTE_ETHER_HDR_LEN + 20 + 8 + BFD_PACKET_LEN)
#define DP_BFD_FRAME6_LEN (RTE_ETHER_HDR_LEN + 40 + 8 + BFD_PACKET_LEN)
#define DP_BFD_ARP_RETRY_NS 200000000ull

static uint32_t dp_bfd_next_disc;

/* The MAC address of port 'p' as the session's source: the device's for
 * a DPDK port, else a locally administered one naming switch and port. */
static void
dp_bfd_port_mac(const struct dp_port *p, struct rte_ether_addr *mac)
{
    if (p->type == DP_PORT_ETH && !rte_eth_macaddr_get(p->eth_port, mac)
        && !rte_is_zero_ether_addr(mac)) {
        return;
    }
    uint8_t a[6] = { 0x02, 0x4c, 0x42, p->sw->idx >> 8, p->sw->idx,
                     p->uid };
    memcpy(mac->addr_bytes, a, 6);
}

/* ---- Fast path (the port's worker) ------------------------------------ */

/* Sends frame 'm' of the session straight to the device of 'p'. */
static void
dp_bfd_send(struct dp_port *p, struct rte_mbuf *m)
{
    uint32_t len = rte_pktmbuf_pkt_len(m);

    /* A lossy link loses control packets too: a 100% loss is a silent
     * cut that only BFD can see. */
    if (p->loss_ppm && util_xorshift64(&p->rng) % 1000000 < p->loss_ppm) {
        rte_pktmbuf_free(m);
        p->ctr.drops[DP_DROP_LINK_LOSS]++;
        return;
    }
    struct dp_port *out = p->type == DP_PORT_TUN ? dp_tunnel_underlay_port(p) : p;
    if (dp_port_tx(out, &m, 1) == 1) {
        out->ctr.tx_packets++;
        out->ctr.tx_bytes += len;
    } else {
        rte_pktmbuf_free(m);
        p->bfd->tx_failed++;
    }
}

/* Turns ARP request 'm' for our address into its reply and sends it. */
static void
dp_bfd_arp_reply(struct dp_port *p, struct rte_mbuf *m)
{
    struct dp_bfd *b = p->bfd;
    struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
    struct rte_arp_hdr *arp = (struct rte_arp_hdr *) (eth + 1);

    rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
    rte_ether_addr_copy(&b->mac, &eth->src_addr);
    arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
    arp->arp_data.arp_tip = arp->arp_data.arp_sip;
    rte_ether_addr_copy(&arp->arp_data.arp_sha, &arp->arp_data.arp_tha);
    arp->arp_data.arp_sip = b->local_ip;
    rte_ether_addr_copy(&b->mac, &arp->arp_data.arp_sha);
    b->arp_tx++;
    dp_bfd_send(p, m);
}

/* Hands control packet 'pl' ('len' bytes) to the session of 'p', or
 * counts it invalid if 'valid' is false (not from the peer, not single
 * hop, a bad checksum); the peer's MAC from frame 'f'. */
static void
dp_bfd_deliver(struct dp_port *p, const uint8_t *f, const uint8_t *pl,
               size_t len, bool valid, uint64_t now)
{
    struct dp_bfd *b = p->bfd;
    uint8_t was = b->s.state;

    if (!valid) {
        b->s.rx_invalid++;
    } else if (!bfd_session_rx(&b->s, pl, len, now)) {
        const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *) f;
        rte_ether_addr_copy(&eth->src_addr, &b->peer_mac);
        b->peer_mac_known = true;
    }
    if (b->s.state != was) {
        b->changes++;
        dp_live_changed();      /* vlink ends recheck their paths */
    }
}

/* dp_bfd_take() for a tunnel over IPv6: BFD in IPv6 UDP to 3784 (no
 * extension header) for our address, from the peer's, with a correct
 * UDP checksum (mandatory over IPv6). */
static bool
dp_bfd_take6(struct dp_port *p, struct rte_mbuf *m, uint64_t now)
{
    struct dp_bfd *b = p->bfd;
    uint32_t len = rte_pktmbuf_data_len(m);
    const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
    struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *) (f + RTE_ETHER_HDR_LEN);

    if (len < RTE_ETHER_HDR_LEN + 40 + 8 || f[12] != 0x86 || f[13] != 0xdd
        || ip->proto != IPPROTO_UDP
        || memcmp(f + RTE_ETHER_HDR_LEN + 24, b->local6, 16)) {
        return false;
    }
    struct rte_udp_hdr *udp = (struct rte_udp_hdr *) (ip + 1);
    uint32_t plen = rte_be_to_cpu_16(ip->payload_len);
    uint16_t udp_len = rte_be_to_cpu_16(udp->dgram_len);
    if (udp->dst_port != rte_cpu_to_be_16(BFD_UDP_PORT)) {
        return false;
    }
    bool valid = plen <= len - RTE_ETHER_HDR_LEN - 40 && udp_len >= 8
                 && udp_len <= plen
                 && !memcmp(f + RTE_ETHER_HDR_LEN + 8, b->peer6, 16);
    if (valid) {
        uint16_t sum = udp->dgram_cksum;
        udp->dgram_cksum = 0;   /* the frame is ours: recompute to check */
        valid = sum && rte_ipv6_udptcp_cksum(ip, udp) == sum;
    }
    dp_bfd_deliver(p, f, (const uint8_t *) (udp + 1), valid ? udp_len - 8u : 0,
                   valid, now);
    rte_pktmbuf_free(m);
    return true;
}

/* True if 'm' belongs to the session of 'p' (and is used or freed). */
static bool
dp_bfd_take(struct dp_port *p, struct rte_mbuf *m, uint64_t now)
{
    struct dp_bfd *b = p->bfd;
    uint32_t len = rte_pktmbuf_data_len(m);
    uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);

    if (len < RTE_ETHER_HDR_LEN + 20) {
        return false;
    }
    if (f[12] == 0x08 && f[13] == 0x06
        && len >= RTE_ETHER_HDR_LEN + sizeof(struct rte_arp_hdr)) {
        struct rte_arp_hdr *arp = (struct rte_arp_hdr *) (f + RTE_ETHER_HDR_LEN);
        uint16_t op = rte_be_to_cpu_16(arp->arp_opcode);

        if (arp->arp_hlen != 6 || arp->arp_plen != 4
            || arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
            return false;
        }
        if (arp->arp_data.arp_sip == b->peer_ip && b->peer_ip) {
            rte_ether_addr_copy(&arp->arp_data.arp_sha, &b->peer_mac);
            b->peer_mac_known = true;
        }
        if (op == RTE_ARP_OP_REQUEST && arp->arp_data.arp_tip == b->local_ip) {
            b->arp_rx++;
            dp_bfd_arp_reply(p, m);
            return true;
        }
        if (op == RTE_ARP_OP_REPLY && arp->arp_data.arp_tip == b->local_ip
            && arp->arp_data.arp_sip == b->peer_ip) {
            b->arp_rx++;
            rte_pktmbuf_free(m);
            return true;
        }
        return false;
    }
    if (b->v6) {
        return dp_bfd_take6(p, m, now);
    }
    if (f[12] != 0x08 || f[13] != 0x00) {
        return false;
    }
    const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *) (f + RTE_ETHER_HDR_LEN);
    uint32_t ihl = (ip->version_ihl & 0xf) * 4;
    if (ip->next_proto_id != IPPROTO_UDP || ihl < 20
        || len < RTE_ETHER_HDR_LEN + ihl + 8
        || (b->local_ip && ip->dst_addr != b->local_ip)) {
        return false;
    }
    const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *) ((const uint8_t *) ip + ihl);
    if (udp->dst_port != rte_cpu_to_be_16(BFD_UDP_PORT)) {
        return false;
    }
    const uint8_t *pl = (const uint8_t *) (udp + 1);
    size_t pl_len = len - RTE_ETHER_HDR_LEN - ihl - 8;
    uint16_t udp_len = rte_be_to_cpu_16(udp->dgram_len);
    if (udp_len >= 8 && udp_len - 8u < pl_len) {
        pl_len = udp_len - 8u;  /* Ethernet padding is not BFD */
    }
    /* RFC 5881 section 5: single hop (TTL 255) but over a tunnel */
    dp_bfd_deliver(p, f, pl, pl_len,
                   (ip->time_to_live == 255 || p->type == DP_PORT_TUN)
                   && (!b->peer_ip || ip->src_addr == b->peer_ip), now);
    rte_pktmbuf_free(m);
    return true;
}

bool
dp_bfd_input(struct dp_port *p, struct rte_mbuf *m, uint64_t now)
{
    return dp_bfd_take(p, m, now);
}

uint16_t
dp_bfd_rx(struct dp_port *p, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
    uint16_t k = 0;

    if (p->type == DP_PORT_TUN) {
        return n;               /* its session's packets come from the underlay */
    }
    for (uint16_t i = 0; i < n; i++) {
        if (!dp_bfd_take(p, pkts[i], now)) {
            pkts[k++] = pkts[i];
        }
    }
    return k;
}

/* Sends "who has the peer's address" (the peer's MAC is not known). */
static void
dp_bfd_arp_request(struct dp_port *p)
{
    struct dp_bfd *b = p->bfd;
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);
    struct rte_ether_hdr *eth;
    struct rte_arp_hdr *arp;

    if (!m || !(eth = (struct rte_ether_hdr *) rte_pktmbuf_append(
                    m, RTE_ETHER_HDR_LEN + sizeof *arp))) {
        rte_pktmbuf_free(m);
        b->tx_failed++;
        return;
    }
    arp = (struct rte_arp_hdr *) (eth + 1);
    memset(&eth->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
    rte_ether_addr_copy(&b->mac, &eth->src_addr);
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
    arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
    arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    arp->arp_hlen = 6;
    arp->arp_plen = 4;
    arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
    rte_ether_addr_copy(&b->mac, &arp->arp_data.arp_sha);
    arp->arp_data.arp_sip = b->local_ip;
    memset(&arp->arp_data.arp_tha, 0, RTE_ETHER_ADDR_LEN);
    arp->arp_data.arp_tip = b->peer_ip;
    b->arp_tx++;
    dp_bfd_send(p, m);
}

/* Fills frame 'm' (its Ethernet addresses written) of the session of
 * tunnel port 'p' over IPv6 with control packet 'pkt' and sends it: UDP
 * to 3784 with its checksum, hop limit 255, traffic class CS6. */
static void
dp_bfd_control6(struct dp_port *p, struct rte_mbuf *m,
                const uint8_t pkt[BFD_PACKET_LEN])
{
    struct dp_bfd *b = p->bfd;
    struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

    if (!rte_pktmbuf_append(m, DP_BFD_FRAME6_LEN - DP_BFD_FRAME_LEN)) {
        rte_pktmbuf_free(m);
        b->tx_failed++;
        return;
    }
    struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *) (eth + 1);
    struct rte_udp_hdr *udp = (struct rte_udp_hdr *) (ip + 1);

    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
    ip->vtc_flow = rte_cpu_to_be_32(6u << 28 | 0xc0u << 20);
    ip->payload_len = rte_cpu_to_be_16(8 + BFD_PACKET_LEN);
    ip->proto = IPPROTO_UDP;
    ip->hop_limits = 255;
    memcpy((uint8_t *) ip + 8, b->local6, 16);
    memcpy((uint8_t *) ip + 24, b->peer6, 16);
    udp->src_port = rte_cpu_to_be_16(b->src_port);
    udp->dst_port = rte_cpu_to_be_16(BFD_UDP_PORT);
    udp->dgram_len = rte_cpu_to_be_16(8 + BFD_PACKET_LEN);
    udp->dgram_cksum = 0;
    memcpy(udp + 1, pkt, BFD_PACKET_LEN);
    udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip, udp);
    dp_bfd_send(p, m);
}

/* Writes the session's next control packet into a new frame and sends it. */
static void
dp_bfd_control(struct dp_port *p, uint64_t now)
{
    struct dp_bfd *b = p->bfd;
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);
    uint8_t *f = m ? (uint8_t *) rte_pktmbuf_append(m, DP_BFD_FRAME_LEN) : NULL;
    uint8_t pkt[BFD_PACKET_LEN];

    bfd_session_build(&b->s, pkt, now);
    if (!f) {
        rte_pktmbuf_free(m);
        b->tx_failed++;
        return;
    }
    struct rte_ether_hdr *eth = (struct rte_ether_hdr *) f;
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *) (eth + 1);
    struct rte_udp_hdr *udp = (struct rte_udp_hdr *) (ip + 1);

    rte_ether_addr_copy(&b->peer_mac, &eth->dst_addr);
    rte_ether_addr_copy(&b->mac, &eth->src_addr);
    if (b->v6) {
        dp_bfd_control6(p, m, pkt);
        return;
    }
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    memset(ip, 0, sizeof *ip);
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->type_of_service = 0xc0;     /* CS6: network control */
    ip->total_length = rte_cpu_to_be_16(20 + 8 + BFD_PACKET_LEN);
    ip->packet_id = rte_cpu_to_be_16((uint16_t) b->s.tx_packets);
    ip->time_to_live = 255;
    ip->next_proto_id = IPPROTO_UDP;
    ip->src_addr = b->local_ip;
    ip->dst_addr = b->peer_ip;
    udp->src_port = rte_cpu_to_be_16(b->src_port);
    udp->dst_port = rte_cpu_to_be_16(BFD_UDP_PORT);
    udp->dgram_len = rte_cpu_to_be_16(8 + BFD_PACKET_LEN);
    udp->dgram_cksum = 0;
    memcpy(udp + 1, pkt, BFD_PACKET_LEN);
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
    dp_bfd_send(p, m);
}

uint64_t
dp_bfd_run(struct dp_port *p, uint64_t now)
{
    struct dp_bfd *b = p->bfd;
    uint8_t was = b->s.state;

    if (bfd_session_run(&b->s, now)) {
        if (p->down) {
            uint8_t pkt[BFD_PACKET_LEN];
            bfd_session_build(&b->s, pkt, now);     /* silence on the cut */
            b->s.tx_packets--;
        } else if (p->type == DP_PORT_TUN) {
            /* The tunnel resolves its next hop; no packet until then. */
            b->peer_mac_known = dp_tunnel_bfd_nexthop(p, b->peer_mac.addr_bytes);
            if (b->peer_mac_known) {
                dp_bfd_control(p, now);
            } else {
                b->s.next_tx = now + DP_BFD_ARP_RETRY_NS;
            }
        } else if (!b->peer_mac_known) {
            dp_bfd_arp_request(p);
            b->s.next_tx = now + DP_BFD_ARP_RETRY_NS;
        } else {
            dp_bfd_control(p, now);
        }
    }
    if (b->s.state != was) {
        b->changes++;
        dp_live_changed();
    }
    uint64_t next = bfd_session_next(&b->s);
    return next > now ? next - now : 0;
}

/* ---- Control side ------------------------------------------------------ */

/* Parses IPv4 address 's' (member 'key' of 'what''s bfd) into '*ip'. */
static int
dp_bfd_addr(const char *what, const char *key, const char *s, uint32_t *ip,
            struct dp_error *err)
{
    struct in_addr a;

    if (!s || inet_pton(AF_INET, s, &a) != 1 || !a.s_addr) {
        dp_err(err, "%s: bfd \"%s\" must be an IPv4 address, not \"%s\"",
               what, key, s ? s : "");
        return EINVAL;
    }
    *ip = a.s_addr;
    return 0;
}

uint32_t
dp_bfd_new_disc(void)
{
    if (!dp_bfd_next_disc) {
        dp_bfd_next_disc = (uint32_t) (rte_rdtsc() & 0xffff) << 16 | 1;
    }
    uint32_t disc = dp_bfd_next_disc++;
    return disc ? disc : dp_bfd_next_disc++;
}

int
dp_bfd_check_params(const char *what, const struct dp_bfd_params *bp,
                    struct dp_error *err)
{
    uint32_t tx_us = bp->tx_us ? bp->tx_us : 10000;
    uint32_t rx_us = bp->rx_us ? bp->rx_us : 10000;

    if (tx_us < 1000 || tx_us > 60000000 || rx_us < 1000 || rx_us > 60000000) {
        dp_err(err, "%s: bfd intervals must be 1 ms..60 s", what);
        return EINVAL;
    }
    return 0;
}

/* Checks 'bp' and makes the session it describes for port 'p', with
 * addresses 'local' and 'peer' (network order). */
static int
dp_bfd_new(struct dp_port *p, const struct dp_bfd_params *bp, uint32_t local,
           uint32_t peer, struct dp_bfd **out, struct dp_error *err)
{
    char what[2 * DP_NAME_LEN + 8];

    snprintf(what, sizeof what, "port %s/%s", p->sw->name, p->name);
    int error = dp_bfd_check_params(what, bp, err);
    if (error) {
        return error;
    }
    struct dp_bfd *b = xzalloc(sizeof *b);
    struct bfd_config cfg = { .tx_us = bp->tx_us ? bp->tx_us : 10000,
                              .rx_us = bp->rx_us ? bp->rx_us : 10000,
                              .mult = bp->mult ? bp->mult : 3 };
    uint32_t disc = dp_bfd_new_disc();
    bfd_session_init(&b->s, &cfg, disc, dp_now_ns());
    b->local_ip = local;
    b->peer_ip = peer;
    b->src_port = 49152 + disc % 16384;
    dp_bfd_port_mac(p, &b->mac);
    *out = b;
    return 0;
}

/* Installs 'b' (NULL: none) on 'p' with the workers paused. */
static void
dp_bfd_install(struct dp_port *p, struct dp_bfd *b)
{
    dp_pause();
    struct dp_bfd *old = p->bfd;
    p->bfd = b;
    dp_live_changed();
    dp_resume();
    free(old);
}

void
dp_bfd_free(struct dp_port *p)
{
    free(p->bfd);
    p->bfd = NULL;
}

int
dp_port_set_bfd(const char *swname, const char *name,
                const struct dp_bfd_params *bp, struct dp_error *err)
{
    struct dp_switch *sw = dp_need_switch(swname, err);
    struct dp_port *p = sw ? dp_need_port(sw, name, err) : NULL;
    char what[2 * DP_NAME_LEN + 8];
    uint32_t local, peer;
    struct dp_bfd *b = NULL;
    int error;

    if (!p) {
        return ENOENT;
    }
    if (p->link) {
        dp_err(err, "port %s/%s is an end of link %s: set the link's bfd instead",
               swname, name, p->link->name);
        return EINVAL;
    }
    snprintf(what, sizeof what, "port %s/%s", swname, name);
    if (bp && bp->enable && p->type == DP_PORT_TUN) {
        uint8_t mac[6], l[16], r[16];
        uint16_t src_port;
        bool v6;
        if (bp->local || bp->peer) {
            dp_err(err, "%s: a tunnel's bfd runs between its underlay addresses: "
                   "give no \"local\" or \"peer\"", what);
            return EINVAL;
        }
        dp_tunnel_bfd_addrs(p, &v6, l, r, mac, &src_port);
        memcpy(&local, l, 4);
        memcpy(&peer, r, 4);
        if ((error = dp_bfd_new(p, bp, v6 ? 0 : local, v6 ? 0 : peer, &b, err))) {
            return error;
        }
        b->v6 = v6;
        if (v6) {
            memcpy(b->local6, l, 16);
            memcpy(b->peer6, r, 16);
        }
        memcpy(b->mac.addr_bytes, mac, 6);
        b->src_port = src_port;
    } else if (bp && bp->enable) {
        if ((error = dp_bfd_addr(what, "local", bp->local, &local, err))
            || (error = dp_bfd_addr(what, "peer", bp->peer, &peer, err))
            || (error = dp_bfd_new(p, bp, local, peer, &b, err))) {
            return error;
        }
    }
    dp_bfd_install(p, b);
    return 0;
}

int
dp_link_set_bfd(const char *name, const struct dp_bfd_params *bp,
                struct dp_error *err)
{
    struct dp_link *l = dp_link_find(name);
    struct dp_bfd *b[2] = { NULL, NULL };
    char what[DP_NAME_LEN + 8];
    uint32_t ip[2] = { htonl(0xa9fe0d01), htonl(0xa9fe0d02) };
    int error;

    if (!l) {
        dp_err(err, "no link named \"%s\"", name ? name : "");
        return ENOENT;
    }
    snprintf(what, sizeof what, "link %s", name);
    if (bp && bp->enable) {
        if ((bp->local && (error = dp_bfd_addr(what, "local", bp->local, &ip[0], err)))
            || (bp->peer && (error = dp_bfd_addr(what, "peer", bp->peer, &ip[1], err)))) {
            return error;
        }
        for (int i = 0; i < 2; i++) {
            error = dp_bfd_new(l->ends[i], bp, ip[i], ip[!i], &b[i], err);
            if (error) {
                free(b[0]);
                return error;
            }
        }
        for (int i = 0; i < 2; i++) {
            b[i]->peer_mac = b[!i]->mac;
            b[i]->peer_mac_known = true;
        }
    }
    dp_pause();
    for (int i = 0; i < 2; i++) {
        dp_bfd_install(l->ends[i], b[i]);
    }
    dp_resume();
    return 0;
}

/* 'ip' (network order) as a JSON string. */
static json_t *
dp_bfd_ip_json(uint32_t ip)
{
    char s[INET_ADDRSTRLEN];
    return json_string(inet_ntop(AF_INET, &ip, s, sizeof s) ? s : "");
}

json_t *
dp_bfd_timers_json(const struct bfd_config *c)
{
    json_t *j = json_pack("{s:i, s:i, s:i}", "tx_ms", c->tx_us / 1000,
                          "rx_ms", c->rx_us / 1000, "multiplier", c->mult);
    if (c->tx_us % 1000 || c->rx_us % 1000) {
        json_object_set_new(j, "tx_us", json_integer(c->tx_us));
        json_object_set_new(j, "rx_us", json_integer(c->rx_us));
        json_object_del(j, "tx_ms");
        json_object_del(j, "rx_ms");
    }
    return j;
}

json_t *
dp_bfd_config_json(const struct dp_port *p, bool addresses)
{
    const struct dp_bfd *b = p->bfd;
    json_t *j = dp_bfd_timers_json(&b->s.cfg);

    if (addresses) {
        json_object_set_new(j, "local", dp_bfd_ip_json(b->local_ip));
        json_object_set_new(j, "peer", dp_bfd_ip_json(b->peer_ip));
    }
    return j;
}

json_t *
dp_bfd_session_json(const struct bfd_session *s, uint64_t tx_failed)
{
    uint64_t now = dp_now_ns();
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now_ms = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    int64_t since_ms = (int64_t) ((now - s->last_change) / 1000000);
    return json_pack(
        "{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
        " s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
        "state", bfd_state_name(s->state),
        "remote_state", bfd_state_name(s->remote_state),
        "diag", bfd_diag_name(s->diag),
        "local_disc", (json_int_t) s->local_disc,
        "remote_disc", (json_int_t) s->remote_disc,
        "detect_us", (json_int_t) (bfd_session_detect_ns(s) / 1000),
        "tx_interval_us", (json_int_t) s->adv_tx_us,
        "remote_min_tx_us", (json_int_t) s->remote_min_tx_us,
        "remote_min_rx_us", (json_int_t) s->remote_min_rx_us,
        "remote_multiplier", (json_int_t) s->remote_mult,
        "rx_packets", (json_int_t) s->rx_packets,
        "tx_packets", (json_int_t) s->tx_packets,
        "rx_invalid", (json_int_t) s->rx_invalid,
        "tx_failed", (json_int_t) tx_failed,
        "ups", (json_int_t) s->n_up, "downs", (json_int_t) s->n_down,
        "last_detect_us", (json_int_t) (s->last_detect_ns / 1000),
        "since_ms", (json_int_t) since_ms,
        "last_change_unix_ms", (json_int_t) (now_ms - since_ms));
}

json_t *
dp_bfd_state_json(const struct dp_port *p)
{
    const struct dp_bfd *b = p->bfd;
    char mac[RTE_ETHER_ADDR_FMT_SIZE] = "";

    if (b->peer_mac_known) {
        rte_ether_format_addr(mac, sizeof mac, &b->peer_mac);
    }
    json_t *j = dp_bfd_session_json(&b->s, b->tx_failed);
    json_object_set_new(j, "switch", json_string(p->sw->name));
    json_object_set_new(j, "port", json_string(p->name));
    json_object_set_new(j, "peer_mac", json_string(mac));
    if (b->v6) {
        char a[INET6_ADDRSTRLEN];
        json_object_set_new(j, "local", json_string(
            inet_ntop(AF_INET6, b->local6, a, sizeof a) ? a : ""));
        json_object_set_new(j, "peer", json_string(
            inet_ntop(AF_INET6, b->peer6, a, sizeof a) ? a : ""));
    } else {
        json_object_set_new(j, "local", dp_bfd_ip_json(b->local_ip));
        json_object_set_new(j, "peer", dp_bfd_ip_json(b->peer_ip));
    }
    json_object_set_new(j, "arp_rx", json_integer(b->arp_rx));
    json_object_set_new(j, "arp_tx", json_integer(b->arp_tx));
    if (p->link) {
        json_object_set_new(j, "link", json_string(p->link->name));
    }
    return j;
}

json_t *
dp_bfd_list(void)
{
    json_t *list = json_array();

    for (uint32_t i = 0; i < dp.n_switches; i++) {
        struct dp_switch *sw = dp.switches[i];
        for (uint16_t k = 0; k < sw->n_ports; k++) {
            if (sw->ports[k]->bfd) {
                json_array_append_new(list, dp_bfd_state_json(sw->ports[k]));
            }
        }
    }
    dp_vccv_list(list);
    return list;
}
