/*
 * TCP super-frames (dp_gso.c): marking from a virtio header, wire length,
 * software segmentation through tags and a pseudowire's label, and the
 * completion of partial checksums.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <linux/virtio_net.h>
#include <rte_ip.h>

#include "dp_test.h"
#include "dp_private.h"
#include "ofpl.h"
#include "openflow/ofp-actions.h"

static struct rte_mempool *pool;

#define PAYLOAD 10000
#define MSS 1448
#define TCP_HLEN 32             /* with a timestamp option */

/* The byte at offset 'i' of the test payload. */
static uint8_t
payload_byte(uint32_t i)
{
    return (uint8_t) (i * 7 + (i >> 8));
}

/* Builds a TCP super-frame in one buffer of the super-frame pool:
 * 'pre_len' bytes of 'pre' (outer headers, or nothing), then Ethernet,
 * IPv4 or IPv6 ('v6'), TCP (seq 1000, flags PSH|ACK|FIN|CWR) and PAYLOAD
 * bytes. */
static struct rte_mbuf *
super_frame(const uint8_t *pre, uint32_t pre_len, bool v6)
{
    uint32_t l3 = v6 ? 40 : 20;
    uint32_t len = pre_len + 14 + l3 + TCP_HLEN + PAYLOAD;
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp.gso_pool);
    uint8_t *f;

    assert_non_null(m);
    f = (uint8_t *) rte_pktmbuf_append(m, len);
    assert_non_null(f);
    memset(f, 0, len);
    if (pre_len) {
        memcpy(f, pre, pre_len);
    }
    uint8_t *e = f + pre_len, *ip = e + 14, *tcp = ip + l3;
    e[0] = 0x02; e[5] = 2; e[6] = 0x02; e[11] = 1;
    e[12] = v6 ? 0x86 : 0x08;
    e[13] = v6 ? 0xdd : 0x00;
    if (v6) {
        ip[0] = 0x60;
        ip[4] = (TCP_HLEN + PAYLOAD) >> 8;
        ip[5] = (TCP_HLEN + PAYLOAD) & 0xff;
        ip[6] = IPPROTO_TCP;
        ip[7] = 64;
        ip[8] = 0xfd; ip[23] = 1;
        ip[24] = 0xfd; ip[39] = 2;
    } else {
        ip[0] = 0x45;
        ip[2] = (20 + TCP_HLEN + PAYLOAD) >> 8;
        ip[3] = (20 + TCP_HLEN + PAYLOAD) & 0xff;
        ip[4] = 0x12; ip[5] = 0x34;
        ip[6] = 0x40;
        ip[8] = 64;
        ip[9] = IPPROTO_TCP;
        ip[12] = 10; ip[15] = 1;
        ip[16] = 10; ip[19] = 2;
    }
    tcp[1] = 80; tcp[3] = 81;
    tcp[6] = 1000 >> 8; tcp[7] = 1000 & 0xff;
    tcp[12] = (TCP_HLEN / 4) << 4;
    tcp[13] = 0x80 | 0x10 | 0x08 | 0x01;
    tcp[16] = 0xab; tcp[17] = 0xcd;     /* a partial checksum: ignored */
    for (uint32_t i = 0; i < PAYLOAD; i++) {
        tcp[TCP_HLEN + i] = payload_byte(i);
    }
    return m;
}

/* Whether the TCP checksum at 'tcp' (behind IP header 'ip') is right. */
static bool
tcp_ok(const void *ip, uint8_t *tcp, bool v6)
{
    uint16_t had, want;

    memcpy(&had, tcp + 16, 2);
    memset(tcp + 16, 0, 2);
    want = v6 ? rte_ipv6_udptcp_cksum(ip, tcp) : rte_ipv4_udptcp_cksum(ip, tcp);
    memcpy(tcp + 16, &had, 2);
    return had == want;
}

/* Marks 'm' from a virtio header as the kernel gives it, cuts it for an
 * interface of MTU 'mtu' (0: none; its segments fit), and checks every
 * segment behind 'pre_len' bytes of outer headers. */
static void
check_cut(struct rte_mbuf *m, uint32_t pre_len, bool v6, uint16_t mtu)
{
    struct virtio_net_hdr vh = {
        .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
        .gso_type = v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4,
        .gso_size = MSS,
    };
    uint32_t l3 = v6 ? 40 : 20, hdr = pre_len + 14 + l3 + TCP_HLEN;
    uint32_t seg = MSS, n_want = (PAYLOAD + seg - 1) / seg;
    struct rte_mbuf *segs[64];
    int why = -1;

    assert_int_equal(dp_gso_mark(m, &vh, 0), 0);
    assert_true(dp_gso_is_super(m));
    assert_int_equal(dp_pkt_wire_len(m), PAYLOAD + n_want * hdr);

    uint16_t n = dp_gso_segment(m, segs, 64, mtu, &why);
    assert_int_equal(n, n_want);
    for (uint32_t i = 0, off = 0; i < n; i++) {
        const uint8_t *f = rte_pktmbuf_mtod(segs[i], const uint8_t *);
        const uint8_t *ip = f + pre_len + 14, *tcp = ip + l3;
        uint32_t plen = i + 1 < n ? seg : PAYLOAD - (n - 1) * seg;

        assert_false(dp_gso_is_super(segs[i]));
        assert_int_equal(rte_pktmbuf_pkt_len(segs[i]), hdr + plen);
        assert_true(!mtu || rte_pktmbuf_pkt_len(segs[i]) <= mtu + 14u);
        if (v6) {
            assert_int_equal(ip[4] << 8 | ip[5], TCP_HLEN + plen);
            assert_true(tcp_ok(ip, (uint8_t *) tcp, true));
        } else {
            assert_int_equal(ip[2] << 8 | ip[3], 20 + TCP_HLEN + plen);
            assert_int_equal(ip[4] << 8 | ip[5], 0x1234 + i);
            assert_int_equal(rte_ipv4_cksum((const struct rte_ipv4_hdr *) ip), 0);
            assert_true(tcp_ok(ip, (uint8_t *) tcp, false));
        }
        uint32_t seq = (uint32_t) tcp[4] << 24 | tcp[5] << 16 | tcp[6] << 8 | tcp[7];
        assert_int_equal(seq, 1000 + off);
        /* CWR on the first only, FIN and PSH on the last only. */
        assert_int_equal(tcp[13], 0x10 | (i ? 0 : 0x80) | (i + 1 < n ? 0 : 0x09));
        for (uint32_t j = 0; j < plen; j++) {
            assert_int_equal(tcp[TCP_HLEN + j], payload_byte(off + j));
        }
        off += plen;
        rte_pktmbuf_free(segs[i]);
    }
}

static void
test_cut_ipv4(void **state)
{
    (void) state;
    check_cut(super_frame(NULL, 0, false), 0, false, 0);
    check_cut(super_frame(NULL, 0, false), 0, false, 1500);   /* fits */
}

static void
test_cut_ipv6(void **state)
{
    (void) state;
    check_cut(super_frame(NULL, 0, true), 0, true, 0);
}

/* On a substrate link: outer Ethernet, a label, the control word, then
 * the host's frame (found again by dp_gso_parse()). */
static void
test_cut_pseudowire(void **state)
{
    static const uint8_t pw[EOMPLS_HLEN] = {
        2, 0, 0, 0, 0, 9, 2, 0, 0, 0, 0, 8, 0x88, 0x47,
        0x00, 0x01, 0x01, 0x40,         /* label 16, bottom of stack */
        0, 0, 0, 0 };
    (void) state;
    check_cut(super_frame(pw, sizeof pw, false), sizeof pw, false, 0);
}

/* A super-frame whose segments would be over the interface's MTU is
 * not cut (the same frames from a sender without segmentation offload
 * would be over it too): refused as "over-mtu", the frame untouched.
 * Within it, even by the last byte, it is cut as usual. */
static void
test_cut_mtu(void **state)
{
    static const uint8_t pw[EOMPLS_HLEN] = {
        2, 0, 0, 0, 0, 9, 2, 0, 0, 0, 0, 8, 0x88, 0x47,
        0x00, 0x01, 0x01, 0x40, 0, 0, 0, 0 };
    struct virtio_net_hdr in = { .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
                                 .gso_size = MSS };
    struct rte_mbuf *segs[16];
    (void) state;

    /* 22 bytes of pseudowire in front of 1,514: 1,536, over 1500 + 14. */
    struct rte_mbuf *m = super_frame(pw, sizeof pw, false);
    int why = -1;
    assert_int_equal(dp_gso_mark(m, &in, 0), 0);
    assert_int_equal(dp_gso_segment(m, segs, 16, 1500, &why), 0);
    assert_int_equal(why, DP_DROP_OVER_MTU);
    assert_true(dp_gso_is_super(m));
    rte_pktmbuf_free(m);
    check_cut(super_frame(pw, sizeof pw, false), sizeof pw, false, 1522);

    m = super_frame(NULL, 0, true);
    in.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
    assert_int_equal(dp_gso_mark(m, &in, 0), 0);
    assert_int_equal(dp_gso_segment(m, segs, 16, 1280, &why), 0);
    assert_int_equal(why, DP_DROP_OVER_MTU);
    rte_pktmbuf_free(m);
    check_cut(super_frame(NULL, 0, true), 0, true, 40 + TCP_HLEN + MSS);
}

/* A super-frame sent on a "vnet-hdr" port gets its virtio header back. */
static void
test_vnet_hdr_out(void **state)
{
    struct virtio_net_hdr in = { .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
                                 .gso_size = MSS }, out;
    struct rte_mbuf *m = super_frame(NULL, 0, false);

    (void) state;
    assert_int_equal(dp_gso_mark(m, &in, 0), 0);
    dp_gso_vnet_hdr(m, &out);
    assert_int_equal(out.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
    assert_int_equal(out.gso_size, MSS);
    assert_int_equal(out.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
    assert_int_equal(out.csum_start, 14 + 20);
    assert_int_equal(out.csum_offset, 16);
    assert_int_equal(out.hdr_len, 14 + 20 + TCP_HLEN);
    rte_pktmbuf_free(m);
}

/* A UDP "super-frame" is refused; a frame of one segment is an ordinary
 * one; a partial checksum of an ordinary frame is completed. */
static void
test_refuse_and_complete(void **state)
{
    struct virtio_net_hdr udp = { .gso_type = VIRTIO_NET_HDR_GSO_UDP,
                                  .gso_size = MSS };
    struct virtio_net_hdr big = { .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
                                  .gso_size = PAYLOAD };
    struct rte_mbuf *m = super_frame(NULL, 0, false);

    (void) state;
    assert_int_equal(dp_gso_mark(m, &udp, 0), EPROTONOSUPPORT);
    assert_false(dp_gso_is_super(m));
    assert_int_equal(dp_gso_mark(m, &big, 0), 0);
    assert_false(dp_gso_is_super(m));
    assert_int_equal(dp_pkt_wire_len(m), rte_pktmbuf_pkt_len(m));
    rte_pktmbuf_free(m);

    /* A short TCP frame with the pseudo header's sum in its checksum, as
     * a kernel with checksum offload hands it over. */
    m = rte_pktmbuf_alloc(dp.pool);
    uint8_t *f = (uint8_t *) rte_pktmbuf_append(m, 14 + 20 + 20 + 100);
    memset(f, 0, 14 + 20 + 20 + 100);
    f[12] = 0x08;
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *) (f + 14);
    ip->version_ihl = 0x45;
    ip->total_length = rte_cpu_to_be_16(20 + 20 + 100);
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_TCP;
    ip->src_addr = rte_cpu_to_be_32(0x0a000001);
    ip->dst_addr = rte_cpu_to_be_32(0x0a000002);
    uint8_t *tcp = f + 34;
    tcp[12] = 5 << 4;
    for (int i = 0; i < 100; i++) {
        tcp[20 + i] = (uint8_t) i;
    }
    uint16_t phdr = rte_ipv4_phdr_cksum(ip, 0);
    memcpy(tcp + 16, &phdr, 2);
    struct virtio_net_hdr partial = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
                                      .csum_start = 34, .csum_offset = 16 };
    assert_false(tcp_ok(ip, tcp, false));
    assert_int_equal(dp_gso_mark(m, &partial, 0), 0);
    assert_true(tcp_ok(ip, tcp, false));
    /* Offsets outside the frame change nothing. */
    partial.csum_start = 200;
    assert_int_equal(dp_gso_mark(m, &partial, 0), EINVAL);
    assert_true(tcp_ok(ip, tcp, false));
    rte_pktmbuf_free(m);
}

/* OpenFlow set-field (the pipeline's own actions, as a packet-out runs
 * them) on a TCP super-frame's addresses and ports: the partial checksum
 * it leaves with on a "vnet-hdr" port is the pseudo header's sum of the
 * new addresses, so that the receiving kernel completes it to the right
 * TCP checksum. */
static void
test_set_field_partial(void **state)
{
    struct virtio_net_hdr in = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
                                 .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
                                 .gso_size = MSS, .csum_start = 34,
                                 .csum_offset = 16 }, out;
    struct ofp_action acts[] = {
        ofp_action_set_field_u(OFP_F_IPV4_SRC, 0xc0a80001),
        ofp_action_set_field_u(OFP_F_IPV4_DST, 0xc0a80102),
        ofp_action_set_field_u(OFP_F_TCP_DST, 8080),
        ofp_action_output(2, 0),       /* vport 1 */
    };
    struct ofpl_params params = { .n_tables = 1, .miss = OFPL_MISS_DROP };
    struct ofpl_pipeline *pl = ofpl_create(&params);
    struct rte_mbuf *m = super_frame(NULL, 0, false);
    uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *) (f + 14);
    uint8_t *tcp = f + 34;
    (void) state;

    assert_non_null(pl);
    ofpl_set_port_live(pl, 1, true);
    /* The pseudo header's sum, as the sending kernel leaves it. */
    uint16_t partial = rte_ipv4_phdr_cksum(ip, 0);
    memcpy(tcp + 16, &partial, 2);
    assert_int_equal(dp_gso_mark(m, &in, 0), 0);

    struct ofpl_packet pkt = { .data = f, .len = rte_pktmbuf_data_len(m),
                               .headroom = rte_pktmbuf_headroom(m) };
    struct ofpl_out o;
    ofpl_run_actions(pl, &pkt, 0, acts, ARRAY_SIZE(acts), 0, NULL, NULL, &o);
    assert_int_equal(o.kind, OFPL_OUT_PORT);
    assert_int_equal(ip->dst_addr, rte_cpu_to_be_32(0xc0a80102));
    assert_int_equal(tcp[2] << 8 | tcp[3], 8080);

    dp_gso_vnet_hdr(m, &out);
    partial = rte_ipv4_phdr_cksum(ip, 0);
    assert_memory_equal(tcp + 16, &partial, 2);
    /* Completed as the kernel does (NEEDS_CSUM): the sum from csum_start
     * to the end, the partial sum included, is the TCP checksum. */
    uint16_t done = ~rte_raw_cksum(tcp, rte_pktmbuf_data_len(m) - 34);
    memset(tcp + 16, 0, 2);
    assert_int_equal(done, rte_ipv4_udptcp_cksum(ip, tcp));
    ofpl_destroy(pl);
    rte_pktmbuf_free(m);
}

/* Sends 'n' marked super-frames into dummy port 'd'. */
static void
inject_supers(struct dummy *d, unsigned n)
{
    struct virtio_net_hdr vh = { .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
                                 .gso_size = MSS };

    for (unsigned i = 0; i < n; i++) {
        struct rte_mbuf *m = super_frame(NULL, 0, false);
        assert_int_equal(dp_gso_mark(m, &vh, 0), 0);
        assert_int_equal(rte_ring_enqueue(d->rx, m), 0);
    }
}

/* Frees what dummy port 'd' sent within 'wait_ms' of quiet; returns how
 * many of them were super-frames. */
static unsigned
drain_supers(struct dummy *d, int wait_ms)
{
    unsigned n = 0;
    struct rte_mbuf *m;

    for (int idle = 0; idle < wait_ms * 10; idle++) {
        if (!rte_ring_dequeue(d->tx, (void **) &m)) {
            n += dp_gso_is_super(m);
            rte_pktmbuf_free(m);
            idle = 0;
        }
        usleep(100);
    }
    return n;
}

/* Each slice holds at most its share of the super-frame buffers in its
 * queues: a slice over its share drops its own super-frames ("gso-quota")
 * and another slice's still pass; the count returns to 0 as the queue
 * drains; a share over the pool is refused. */
static void
test_gso_share(void **state)
{
    struct dp_slice_params hog = { .name = "hog", .gso_quota = 8 };
    struct dp_slice_params other = { .name = "other" };
    struct dp_slice_params bad = { .name = "hog",
                                   .gso_quota = DP_DEFAULT_GSO_MBUFS + 1 };
    struct dummy in[2], out[2];
    const char *names[2] = { "hog", "other" };
    struct dp_error err;
    (void) state;

    assert_int_equal(dp_switch_add("gs", &err), 0);
    assert_int_equal(dp_slice_add(&hog, &err), 0);
    assert_int_equal(dp_slice_add(&other, &err), 0);
    for (int i = 0; i < 2; i++) {
        char pi[16], po[16];
        snprintf(pi, sizeof pi, "gin%d", i);
        snprintf(po, sizeof po, "gout%d", i);
        dummy_add(&in[i], "gs", pi);
        dummy_add(&out[i], "gs", po);
        assert_int_equal(dp_vnode_add(names[i], "gs", NULL, NULL, &err), 0);
        assert_int_equal(dp_vport_add(names[i], "gs", "a", pi, -1, &err), 0);
        assert_int_equal(dp_vport_add(names[i], "gs", "b", po, -1, &err), 0);
    }
    /* hog's egress device is full (its ring holds 255 ordinary frames
     * nobody reads): its super-frames wait in its queue. */
    for (int i = 0; i < 255; i++) {
        dp_test_inject(pool, &in[0], 0xff, 1, 0);
    }
    for (int i = 0; i < 2000 && rte_ring_count(out[0].tx) < 255; i++) {
        usleep(1000);
    }
    assert_int_equal(rte_ring_count(out[0].tx), 255);

    inject_supers(&in[0], 40);
    for (int i = 0; i < 2000 && dp_test_drops_of("hog", "gso-quota") < 32; i++) {
        usleep(1000);
    }
    uint64_t over = dp_test_drops_of("hog", "gso-quota");
    uint64_t held = dp_test_slice_stat("hog", "gso_held");
    assert_true(held <= 8);
    assert_int_equal(over, 40 - 8);
    assert_int_equal(dp_test_drops_of("hog", "mbuf-quota"), 0);

    /* The other slice's super-frames pass whole, none dropped. */
    inject_supers(&in[1], 20);
    assert_int_equal(drain_supers(&out[1], 100), 20);
    assert_int_equal(dp_test_drops_of("other", "gso-quota"), 0);
    assert_int_equal(dp_test_slice_stat("other", "gso_held"), 0);

    /* A share larger than the pool is refused and changes nothing. */
    assert_int_equal(dp_slice_set(&bad, &err), EINVAL);
    assert_non_null(strstr(err.msg, "super-frame quota"));
    inject_supers(&in[0], 10);
    for (int i = 0; i < 2000 && dp_test_drops_of("hog", "gso-quota") < over + 10; i++) {
        usleep(1000);
    }
    assert_int_equal(dp_test_drops_of("hog", "gso-quota"), over + 10);

    /* The queue drains once the device takes frames again: nothing is
     * held any more. */
    assert_int_equal(drain_supers(&out[0], 100), 8);
    assert_int_equal(dp_test_slice_stat("hog", "gso_held"), 0);
}

/* Counts what dummy port 'd' sent within 'wait_ms' of quiet: ordinary
 * frames into '*frames' and super-frames into '*supers'. */
static void
drain_count(struct dummy *d, int wait_ms, unsigned *frames, unsigned *supers)
{
    struct rte_mbuf *m;

    *frames = *supers = 0;
    for (int idle = 0; idle < wait_ms * 10; idle++) {
        if (!rte_ring_dequeue(d->tx, (void **) &m)) {
            if (dp_gso_is_super(m)) {
                ++*supers;
            } else {
                ++*frames;
            }
            rte_pktmbuf_free(m);
            idle = 0;
        }
        usleep(100);
    }
}

/* An ingress policer charges a super-frame its bytes on the wire (its
 * seven segments' headers counted: 10,462 bytes, not its 10,066), and
 * one that its whole burst could never hold is policed as its segments:
 * those that fit pass as ordinary frames, the rest are dropped one by
 * one ("policer"), not the whole super-frame. */
static void
test_policer_cuts(void **state)
{
    /* 1,000 bytes a second: nothing refills within the test. */
    struct dp_slice_params fit = { .name = "pfit", .policer_bps = 8000,
                                   .policer_burst = 20500 };
    struct dp_slice_params cut = { .name = "pcut", .policer_bps = 8000,
                                   .policer_burst = 5000 };
    struct dp_slice_params *sp[2] = { &fit, &cut };
    struct dummy in[2], out[2];
    struct dp_error err;
    unsigned frames, supers;
    (void) state;

    assert_int_equal(dp_switch_add("pg", &err), 0);
    for (int i = 0; i < 2; i++) {
        char pi[16], po[16];
        snprintf(pi, sizeof pi, "pin%d", i);
        snprintf(po, sizeof po, "pout%d", i);
        assert_int_equal(dp_slice_add(sp[i], &err), 0);
        dummy_add(&in[i], "pg", pi);
        dummy_add(&out[i], "pg", po);
        assert_int_equal(dp_vnode_add(sp[i]->name, "pg", NULL, NULL, &err), 0);
        assert_int_equal(dp_vport_add(sp[i]->name, "pg", "a", pi, -1, &err), 0);
        assert_int_equal(dp_vport_add(sp[i]->name, "pg", "b", po, -1, &err), 0);
    }

    /* 20,500 bytes hold one super-frame on the wire and not two (at
     * 10,066 bytes each they would hold both): the first passes whole. */
    inject_supers(&in[0], 2);
    drain_count(&out[0], 100, &frames, &supers);
    assert_int_equal(supers, 1);
    assert_int_equal(frames, 0);
    assert_int_equal(dp_test_drops_of("pfit", "policer"), 1);

    /* 5,000 bytes never hold one: three segments of 1,514 bytes pass,
     * the other four are dropped. */
    inject_supers(&in[1], 1);
    drain_count(&out[1], 100, &frames, &supers);
    assert_int_equal(supers, 0);
    assert_int_equal(frames, 3);
    assert_int_equal(dp_test_drops_of("pcut", "policer"), 4);
    assert_int_equal(dp_test_drops_of("pcut", "gso"), 0);

    /* DP_BURST - 1 frames and a super-frame in one burst (put in while
     * the workers are paused), the policer refilled to 10,000 bytes: the
     * 63 frames (4,032 bytes) pass, then segments 1-3 (4,542); 4-6
     * (1,514 each) find 1,426 left and are dropped, and the last one
     * (1,378) fits: 67 frames of one burst for the plane, more than a
     * batch holds. */
    RTE_BUILD_BUG_ON(DP_BURST != 64);
    struct dp_slice_params more = cut;
    more.policer_burst = 10000;
    assert_int_equal(dp_slice_set(&more, &err), 0);
    dp_pause();
    for (int i = 0; i < DP_BURST - 1; i++) {
        dp_test_inject(pool, &in[1], 0xff, 1, (uint8_t) i);
    }
    inject_supers(&in[1], 1);
    dp_resume();
    drain_count(&out[1], 100, &frames, &supers);
    assert_int_equal(supers, 0);
    assert_int_equal(frames, DP_BURST - 1 + 4);
    assert_int_equal(dp_test_drops_of("pcut", "policer"), 4 + 3);
}

int
main(int argc, char **argv)
{
    (void) argc;
    if (dp_test_start(argv[0], "gso", &pool)) {
        return 1;
    }
    struct dp_error err;
    if (dp_gso_enable(&err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cut_ipv4),
        cmocka_unit_test(test_cut_ipv6),
        cmocka_unit_test(test_cut_pseudowire),
        cmocka_unit_test(test_cut_mtu),
        cmocka_unit_test(test_vnet_hdr_out),
        cmocka_unit_test(test_refuse_and_complete),
        cmocka_unit_test(test_gso_share),
        cmocka_unit_test(test_policer_cuts),
        cmocka_unit_test(test_set_field_partial),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    dp_test_stop(pool);
    return rc;
}
