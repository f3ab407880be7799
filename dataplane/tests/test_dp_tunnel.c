/*
 * MPLS-in-UDP tunnels (dp_tunnel.c) with the real fast path, on dummy
 * ports: an access port h1 and an underlay port ul whose rings stand for
 * the wire to the other machine.
 *
 *  - bad devargs are refused with the reason;
 *  - the switch asks for its next hop by ARP, answers ARP for its own
 *    underlay address and learns the next hop from the exchange;
 *  - a frame from the vnode leaves the underlay as Ethernet/IPv4/UDP to
 *    6635 with the agreed label, the control word and the frame intact,
 *    the source port in 49152..65535;
 *  - a datagram from the remote reaches the vnode; one from another
 *    address is a counted drop;
 *  - an inner IPv4 packet over the MTU with DF is answered with a valid
 *    ICMP frag-needed carrying 1450; without DF, or when it is an ICMP
 *    error itself, it is a counted drop;
 *  - the underlay is not deleted while the tunnel uses it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <arpa/inet.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane.h"
#include "dp_private.h"
#include "dp_test.h"

static struct rte_mempool *test_pool;

static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0xaa, 0x01 };
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0xbb, 0x01 };
static const uint8_t our_ip[4] = { 192, 0, 2, 1 };
static const uint8_t peer_ip[4] = { 192, 0, 2, 2 };

static void
enqueue(struct dummy *d, const uint8_t *frame, size_t len)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(test_pool);
    assert_non_null(m);
    uint8_t *p = (uint8_t *) rte_pktmbuf_append(m, len);
    assert_non_null(p);
    memcpy(p, frame, len);
    assert_int_equal(rte_ring_enqueue(d->rx, m), 0);
}

/* Waits up to 2 s for a frame out of 'd' that is not an ARP request of
 * the switch (those repeat while the next hop is unknown, unless
 * 'arp_request' asks for one); copies it into 'buf', returns its length
 * or -1. */
static int
next_frame(struct dummy *d, uint8_t *buf, size_t size, bool arp_request)
{
    struct rte_mbuf *m;

    for (int i = 0; i < 20000; i++) {
        if (rte_ring_dequeue(d->tx, (void **) &m)) {
            usleep(100);
            continue;
        }
        const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
        size_t len = rte_pktmbuf_data_len(m);
        bool is_req = len >= 22 && p[12] == 0x08 && p[13] == 0x06 && p[21] == 1;
        if (is_req != arp_request) {
            rte_pktmbuf_free(m);
            continue;
        }
        len = len < size ? len : size;
        memcpy(buf, p, len);
        rte_pktmbuf_free(m);
        return (int) len;
    }
    return -1;
}

/* An inner Ethernet/IPv4 frame of 'ip_len' bytes of IP, DF as given,
 * with 'marker' in the IP identification's low byte. */
static size_t
inner_frame(uint8_t *f, size_t ip_len, bool df, uint8_t marker)
{
    memset(f, 0, 14 + ip_len);
    f[0] = 0x02; f[5] = 0x02;            /* to 02:..:02 */
    f[6] = 0x02; f[11] = 0x01;           /* from 02:..:01 */
    f[12] = 0x08;
    uint8_t *ip = f + 14;
    ip[0] = 0x45;
    ip[2] = ip_len >> 8;
    ip[3] = ip_len;
    ip[5] = marker;
    ip[6] = df ? 0x40 : 0;
    ip[8] = 64;
    ip[9] = 17;
    ip[12] = 10; ip[15] = 1;             /* 10.0.0.1 -> 10.0.0.2 */
    ip[16] = 10; ip[19] = 2;
    ip[20] = 0x30; ip[21] = 0x39;        /* UDP 12345 -> 80 */
    ip[23] = 80;
    return 14 + ip_len;
}

static uint64_t
port_drops(const char *port, const char *reason)
{
    struct dp_error err;
    struct dp_port *p = dp_need_port(dp_switch_find("t1"), port, &err);
    for (int i = 0; i < DP_N_DROPS; i++) {
        if (!strcmp(dp_drop_names[i], reason)) {
            return p->ctr.drops[i];
        }
    }
    fail_msg("no drop reason %s", reason);
    return 0;
}

static void
test_tunnel(void **state)
{
    struct dp_slice_params sp = { .name = "green" };
    struct dp_port_params tp = {
        .sw = "t1", .name = "tun",
        .devargs = "mplsudp:underlay=ul,local=192.0.2.1,remote=192.0.2.2,"
                   "mac=02:00:00:00:aa:01" };
    const char *path[] = { "t1" };
    struct dp_vlink_params vl = { .slice = "green", .name = "wan", .path = path,
                                  .n_path = 1, .border_port = "tun",
                                  .border_label = 1000 };
    struct dummy h1, ul;
    struct dp_error err;
    uint8_t f[2048], g[2048];
    int n;
    (void) state;

    assert_int_equal(dp_switch_add("t1", &err), 0);
    dummy_add(&h1, "t1", "h1");
    dummy_add(&ul, "t1", "ul");

    /* Refusals name what is wrong. */
    struct dp_port_params bad = tp;
    bad.devargs = "mplsudp:underlay=ul,local=192.0.2.1,mac=02:00:00:00:aa:01";
    assert_int_equal(dp_port_add(&bad, &err), EINVAL);
    assert_non_null(strstr(err.msg, "required"));
    bad.devargs = "mplsudp:underlay=nope,local=192.0.2.1,remote=192.0.2.2";
    assert_int_equal(dp_port_add(&bad, &err), ENOENT);
    bad.devargs = "mplsudp:underlay=ul,local=192.0.2.1,remote=192.0.2.2";
    assert_int_equal(dp_port_add(&bad, &err), EINVAL);
    assert_non_null(strstr(err.msg, "mac="));
    bad.devargs = "mplsudp:underlay=ul,local=192.0.2.1,remote=2001:db8::2,mac=02:00:00:00:aa:01";
    assert_int_equal(dp_port_add(&bad, &err), EINVAL);
    assert_non_null(strstr(err.msg, "IPv4 or all IPv6"));
    assert_null(dp_port_find(dp_switch_find("t1"), "tun"));

    assert_int_equal(dp_port_add(&tp, &err), 0);

    /* The switch asks for its next hop. */
    n = next_frame(&ul, f, sizeof f, true);
    assert_int_equal(n, 60);
    assert_memory_equal(f + 6, our_mac, 6);
    assert_memory_equal(f + 28, our_ip, 4);
    assert_memory_equal(f + 38, peer_ip, 4);

    /* The peer asks for ours: answered, and the peer learned. */
    memset(f, 0, 60);
    memset(f, 0xff, 6);
    memcpy(f + 6, peer_mac, 6);
    f[12] = 0x08; f[13] = 0x06; f[15] = 1; f[16] = 0x08; f[18] = 6; f[19] = 4;
    f[21] = 1;
    memcpy(f + 22, peer_mac, 6);
    memcpy(f + 28, peer_ip, 4);
    memcpy(f + 38, our_ip, 4);
    enqueue(&ul, f, 60);
    n = next_frame(&ul, g, sizeof g, false);
    assert_int_equal(n, 60);
    assert_memory_equal(g, peer_mac, 6);
    assert_int_equal(g[21], 2);                 /* reply */
    assert_memory_equal(g + 22, our_mac, 6);
    assert_memory_equal(g + 28, our_ip, 4);
    assert_memory_equal(g + 32, peer_mac, 6);
    assert_memory_equal(g + 38, peer_ip, 4);

    /* The slice crosses the tunnel with label 1000. */
    assert_int_equal(dp_slice_add(&sp, &err), 0);
    assert_int_equal(dp_vnode_add("green", "t1", NULL, NULL, &err), 0);
    assert_int_equal(dp_vport_add("green", "t1", "h1", "h1", -1, &err), 0);
    assert_int_equal(dp_vport_add("green", "t1", "u", "ul", -1, &err), EINVAL);
    assert_int_equal(dp_vlink_add(&vl, &err), 0);

    /* Out: Ethernet/IPv4/UDP/label/CW/frame. */
    size_t in_len = inner_frame(f, 100, true, 41);
    enqueue(&h1, f, in_len);
    n = next_frame(&ul, g, sizeof g, false);
    assert_int_equal(n, 14 + 20 + 8 + 8 + (int) in_len);
    assert_memory_equal(g, peer_mac, 6);
    assert_memory_equal(g + 6, our_mac, 6);
    assert_int_equal(g[12] << 8 | g[13], 0x0800);
    const uint8_t *ip = g + 14;
    assert_int_equal(ip[0], 0x45);
    assert_int_equal(ip[2] << 8 | ip[3], n - 14);
    assert_int_equal(ip[6] & 0x40, 0x40);       /* DF */
    assert_int_equal(ip[9], 17);
    assert_memory_equal(ip + 12, our_ip, 4);
    assert_memory_equal(ip + 16, peer_ip, 4);
    assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
    const uint8_t *udp = ip + 20;
    assert_true((udp[0] << 8 | udp[1]) >= 49152);
    assert_int_equal(udp[2] << 8 | udp[3], 6635);
    assert_int_equal(udp[4] << 8 | udp[5], n - 34);
    const uint8_t *l = udp + 8;
    assert_int_equal((l[0] << 12 | l[1] << 4 | l[2] >> 4), 1000);
    assert_int_equal(l[2] & 1, 1);              /* bottom of stack */
    assert_int_equal(l[4] | l[5] | l[6] | l[7], 0);     /* control word */
    assert_memory_equal(l + 8, f, in_len);

    /* In: the same datagram from the peer, addressed to us, reaches h1. */
    int dg_len = n;
    memcpy(g, our_mac, 6);
    memcpy(g + 6, peer_mac, 6);
    memcpy(g + 14 + 12, peer_ip, 4);
    memcpy(g + 14 + 16, our_ip, 4);
    g[50 + 14 + 5] = 42;                        /* marker of the inner frame */
    enqueue(&ul, g, dg_len);
    n = next_frame(&h1, f, sizeof f, false);
    assert_int_equal(n, (int) in_len);
    assert_int_equal(f[14 + 5], 42);
    /* From an address that is no tunnel's: dropped and counted. */
    uint64_t nt = port_drops("ul", "not-tunnel");
    g[14 + 15] = 9;
    enqueue(&ul, g, dg_len);
    usleep(50000);
    assert_int_equal(port_drops("ul", "not-tunnel"), nt + 1);

    /* Over the MTU (1450) with DF: ICMP frag-needed back to h1. */
    in_len = inner_frame(f, 1451, true, 43);
    enqueue(&h1, f, in_len);
    n = next_frame(&h1, g, sizeof g, false);
    assert_true(n >= 14 + 20 + 8 + 28);
    assert_memory_equal(g, f + 6, 6);           /* to the sender */
    ip = g + 14;
    assert_int_equal(ip[9], 1);
    assert_memory_equal(ip + 12, f + 14 + 16, 4);       /* from the destination */
    assert_memory_equal(ip + 16, f + 14 + 12, 4);
    const uint8_t *icmp = ip + 20;
    assert_int_equal(icmp[0], 3);
    assert_int_equal(icmp[1], 4);
    assert_int_equal(icmp[6] << 8 | icmp[7], 1450);
    assert_int_equal(rte_raw_cksum(icmp, n - 34), 0xffff);
    assert_memory_equal(icmp + 8, f + 14, 28);  /* the header and 8 bytes */
    assert_int_equal(port_drops("tun", "mtu-icmp-sent"), 1);
    /* Without DF: a counted drop, nothing back. */
    in_len = inner_frame(f, 1451, false, 44);
    enqueue(&h1, f, in_len);
    usleep(50000);
    assert_int_equal(port_drops("tun", "mtu-exceeded"), 1);
    assert_int_equal(rte_ring_count(h1.tx), 0);
    /* Nor is an ICMP error answered with one. */
    in_len = inner_frame(f, 1451, true, 46);
    f[14 + 9] = 1;
    f[14 + 20] = 3;
    enqueue(&h1, f, in_len);
    usleep(50000);
    assert_int_equal(port_drops("tun", "mtu-exceeded"), 2);
    assert_int_equal(rte_ring_count(h1.tx), 0);
    /* Exactly the MTU passes. */
    in_len = inner_frame(f, 1450, true, 45);
    enqueue(&h1, f, in_len);
    n = next_frame(&ul, g, sizeof g, false);
    assert_int_equal(n, 50 + (int) in_len);

    /* The underlay stays while the tunnel uses it. */
    assert_int_equal(dp_port_del("t1", "ul", &err), EBUSY);
    assert_non_null(strstr(err.msg, "underlay"));
    assert_int_equal(dp_slice_del("green", &err), 0);
    assert_int_equal(dp_port_del("t1", "tun", &err), 0);
    assert_int_equal(dp_port_del("t1", "ul", &err), 0);
}

/* The tc filter of a tunnel underlay is refused an address the kernel
 * has: the loopback's are always there, a documentation address is not. */
static void
test_addr_owner(void **state)
{
    uint8_t a[16] = { 0 };
    char ifname[IF_NAMESIZE] = "";

    (void) state;
    inet_pton(AF_INET, "127.0.0.1", a);
    assert_true(dp_afp_addr_owner(false, a, ifname));
    assert_string_equal(ifname, "lo");
    inet_pton(AF_INET, "192.0.2.77", a);
    assert_false(dp_afp_addr_owner(false, a, ifname));
    inet_pton(AF_INET6, "2001:db8::77", a);
    assert_false(dp_afp_addr_owner(true, a, ifname));
}

int
main(int argc, char *argv[])
{
    (void) argc;
    if (dp_test_start(argv[0], "dptun", &test_pool)) {
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tunnel),
        cmocka_unit_test(test_addr_owner),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);

    dp_test_stop(test_pool);
    return failed;
}
