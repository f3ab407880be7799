/*
 * dp_tunnel: substrate links whose far end is in another lamina-switchd,
 * carried over an IPv4 or IPv6 underlay as MPLS-in-UDP (RFC 7510).
 *
 * What?  A tunnel is a port of a switch ("mplsudp:" devargs) that the rest
 * of the dataplane treats like the end of a substrate link: it carries
 * labelled frames (outer Ethernet, one MPLS label, control word, inner
 * frame), so border and transit virtual links (dp_vlink.c) cross it with
 * labels agreed with the other process, exactly as they cross a border
 * port on a veth.  On transmit the outer Ethernet header is replaced by
 * Ethernet/IP/UDP to port 6635 and the frame leaves on the tunnel's
 * underlay port; the UDP source port is a hash of the inner flow (RFC
 * 7510 section 3) so that underlay ECMP spreads the flows.  On receive
 * the underlay port hands each UDP 6635 datagram for its address to the
 * tunnel of its source address, which gives it back its outer Ethernet
 * header and receives it as a link port does.
 *
 *     mplsudp:underlay=PORT,local=IP,remote=IP[,nexthop=IP][,mtu=N][,mac=MAC]
 *
 * 'underlay' is another port of the same switch, or "SWITCH/PORT" of a
 * switch added before it and served by the same worker (any DPDK or
 * afpacket port), that then serves tunnels only: it answers ARP (IPv6: neighbour
 * solicitations) for 'local' itself, and resolves the next hop
 * ('nexthop', default 'remote') the same way, refreshing the entry while
 * the tunnel lives.  On an afpacket underlay the kernel's stack is kept
 * off the datagrams to 'local' (dp_afp_claim_addr()).  Several tunnels
 * share an underlay port (one local address per underlay port).  'mtu' is the
 * underlay's IP MTU (default 1500); 'mac' overrides the underlay port's
 * own address (needed for ports that have none, such as test rings).
 *
 * MTU: the largest inner IP packet is the underlay MTU minus IP, UDP,
 * label, control word and the inner Ethernet header (1450 for 1500 over
 * IPv4, 1430 over IPv6).  An inner IPv4 packet over it with DF set, or an
 * inner IPv6 packet, is answered by ICMP "fragmentation needed" / ICMPv6
 * "packet too big" carrying that MTU, sent back along the virtual link to
 * the sender; any other oversize frame is dropped and counted
 * ("mtu-exceeded").  Frames are never fragmented.
 *
 * Threads: the tunnel's state (neighbour, counters, its receive ring) is
 * written by the worker serving its switch only; the control thread
 * creates and destroys tunnels with the workers paused.
 */
#ifndef LAMINA_DP_TUNNEL_H
#define LAMINA_DP_TUNNEL_H 1

#include <stdint.h>

#include <jansson.h>

struct dp_port;
struct dp_error;
struct rte_mbuf;

#define DP_TUNNEL_UDP_PORT 6635
#define DP_TUNNEL_DEVARGS "mplsudp:"

/* Opens port 'p' as a tunnel from 'args' (what follows "mplsudp:"). */
int dp_tunnel_open(struct dp_port *p, const char *args, struct dp_error *);
/* Closes tunnel port 'p' and lets go of its underlay (workers running). */
void dp_tunnel_close(struct dp_port *p);

/* The tunnel port's burst functions (dp_port_rx_raw/dp_port_tx_raw):
 * receive what its underlay decapsulated for it; encapsulate and send on
 * the underlay (every frame is taken: what cannot go is a counted drop). */
uint16_t dp_tunnel_rx(struct dp_port *p, struct rte_mbuf **pkts, uint16_t n);
uint16_t dp_tunnel_tx(struct dp_port *p, struct rte_mbuf **pkts, uint16_t n);

/* A burst received on underlay port 'p': ARP is answered and learned,
 * MPLS-in-UDP goes to its tunnel, BFD (IPv4 UDP to 3784) from a tunnel's
 * remote address to that tunnel's BFD session if it has one, the rest is dropped ("not-tunnel"). */
void dp_tunnel_underlay_input(struct dp_port *p, struct rte_mbuf **pkts,
                              uint16_t n);

/* True if what comes for tunnel port 'p' wakes worker 'w' blocked on its
 * ports: its underlay is an AF_PACKET port that 'w' serves (the frames
 * arrive there, dp_worker.c blocks on its socket).  Lowers '*timeout_ns'
 * to when the tunnel next asks for its next hop's MAC ('now' in ns). */
bool dp_tunnel_can_block(const struct dp_port *p, unsigned w, uint64_t now,
                         uint64_t *timeout_ns);

/* True if 'p' is the underlay of a tunnel (it takes no vports then). */
bool dp_tunnel_is_underlay(const struct dp_port *p);

/* BFD over tunnel port 'p' (dp_bfd.c): its underlay's family ('*v6'),
 * addresses ('local', 'peer': 4 or 16 bytes, network order) and MAC as
 * the session's ends, and the UDP source port its packets must come from
 * (one per tunnel UDP port: several tunnels between two addresses each
 * run a session).  In the worker: the underlay port that carries the
 * session's packets, and the next hop's MAC (false while it is
 * unresolved). */
int dp_tunnel_bfd_addrs(const struct dp_port *p, bool *v6, uint8_t local[16],
                        uint8_t peer[16], uint8_t mac[6], uint16_t *src_port);
struct dp_port *dp_tunnel_underlay_port(const struct dp_port *p);
bool dp_tunnel_bfd_nexthop(const struct dp_port *p, uint8_t mac[6]);

/* The tunnel's settings, neighbour and counters, for stats and
 * tunnel.list ({"underlay","local","remote","nexthop","mtu","inner_mtu",
 * "underlay_kernel_off" (and "underlay_kernel_why" when false),
 * "neighbour": {"mac","resolved","age_ms"}, "counters": {...}}). */
json_t *dp_tunnel_to_json(const struct dp_port *p);

#endif /* LAMINA_DP_TUNNEL_H */
