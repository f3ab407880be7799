/* Unit tests of the shared packet parse (ofp-extract.h): every kind of
 * frame the OXM match knows, tags, labels and truncated frames, read as an
 * exact struct ofp_match (ofp_extract_match()) and header offsets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ofp-extract.h"

#define BIT(F) (UINT64_C(1) << OFP_F_##F)
#define L2_BITS (BIT(ETH_DST) | BIT(ETH_SRC) | BIT(VLAN_VID) | BIT(ETH_TYPE))
#define IPV4_BITS (BIT(IP_DSCP) | BIT(IP_ECN) | BIT(IP_PROTO) \
                   | BIT(IPV4_SRC) | BIT(IPV4_DST))
#define IPV6_BITS (BIT(IP_DSCP) | BIT(IP_ECN) | BIT(IP_PROTO) \
                   | BIT(IPV6_FLABEL) | BIT(IPV6_SRC) | BIT(IPV6_DST))

static const uint8_t eth_hdr[12] = {
    0x02, 0, 0, 0, 0, 2,            /* dst */
    0x02, 0, 0, 0, 0, 1,            /* src */
};

/* Builds a frame: the Ethernet addresses, then 'n' bytes of 'rest'. */
static size_t
frame(uint8_t *buf, const uint8_t *rest, size_t n)
{
    memcpy(buf, eth_hdr, 12);
    memcpy(buf + 12, rest, n);
    return 12 + n;
}

/* Parses the first 'len' bytes of 'buf' from a heap copy of exactly that
 * size, so that AddressSanitizer sees a read past the end. */
static void
extract(const uint8_t *buf, size_t len, struct ofp_match *m,
        struct ofp_hdrs *h)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, buf, len);
    ofp_match_init(m);
    ofp_extract_match(copy, len, m, h);
    free(copy);
}

/* IPv4 header (20 bytes) with protocol 'proto', TOS 0xb9 (DSCP 46, ECN 1),
 * 10.1.0.1 -> 10.1.0.2, fragment field 'frag'. */
static size_t
ipv4(uint8_t *p, uint8_t proto, uint16_t frag)
{
    static const uint8_t hdr[20] = {
        0x45, 0xb9, 0, 40, 0, 0, 0, 0, 64, 0, 0, 0,
        10, 1, 0, 1, 10, 1, 0, 2,
    };
    memcpy(p, hdr, 20);
    p[9] = proto;
    ofp_wr16(p + 6, frag);
    return 20;
}

static void
test_ipv4_tcp_udp_sctp(void **state)
{
    static const uint8_t protos[] = { 6, 17, 132 };
    static const enum ofp_field src_f[] = {
        OFP_F_TCP_SRC, OFP_F_UDP_SRC, OFP_F_SCTP_SRC,
    };
    (void) state;

    for (size_t i = 0; i < 3; i++) {
        uint8_t rest[64] = { 0x08, 0x00 }, buf[128];
        size_t n = 2 + ipv4(rest + 2, protos[i], 0);
        rest[n++] = 0x30; rest[n++] = 0x39;         /* 12345 */
        rest[n++] = 0x00; rest[n++] = 0x50;         /* 80 */
        size_t len = frame(buf, rest, n);
        struct ofp_hdrs h;
        struct ofp_match m;

        extract(buf, len, &m, &h);
        assert_memory_equal(m.v.eth_dst, eth_hdr, 6);
        assert_memory_equal(m.v.eth_src, eth_hdr + 6, 6);
        assert_int_equal(h.eth_type, 0x0800);
        assert_int_equal(m.v.vlan_vid, 0);
        assert_int_equal(h.l2_end, 12);
        assert_int_equal(h.l3, 14);
        assert_int_equal(h.l4, 34);
        assert_int_equal(h.ip_proto, protos[i]);
        assert_int_equal(m.v.ip_dscp, 46);
        assert_int_equal(m.v.ip_ecn, 1);
        assert_int_equal(m.v.ipv4_src, 0x0a010001);
        assert_int_equal(m.v.ipv4_dst, 0x0a010002);
        assert_int_equal(m.present, L2_BITS | IPV4_BITS
                         | UINT64_C(1) << src_f[i]
                         | UINT64_C(1) << (src_f[i] + 1));

        assert_int_equal(m.present, m.present);
        assert_int_equal(m.masked, 0);
        assert_int_equal(m.v.ipv4_dst, 0x0a010002);
        assert_int_equal(m.v.vlan_vid, 0);
        union ofp_value v;
        assert_true(ofp_match_get(&m, src_f[i], &v, NULL));
        assert_int_equal(v.u16, 12345);
        assert_memory_equal(m.v.eth_dst, eth_hdr, 6);

        /* A later fragment has no layer 4. */
        ofp_wr16(buf + 14 + 6, 0x0010);
        extract(buf, len, &m, &h);
        assert_int_equal(m.present, L2_BITS | IPV4_BITS);
        assert_int_equal(h.l4, 0);
    }
}

static void
test_ipv4_icmp(void **state)
{
    uint8_t rest[64] = { 0x08, 0x00 }, buf[128];
    size_t n = 2 + ipv4(rest + 2, 1, 0);
    struct ofp_hdrs h;
    struct ofp_match m;
    (void) state;

    rest[n++] = 8; rest[n++] = 0; rest[n++] = 0xf7; rest[n++] = 0xff;
    size_t len = frame(buf, rest, n);
    extract(buf, len, &m, &h);
    assert_int_equal(m.present, L2_BITS | IPV4_BITS | BIT(ICMPV4_TYPE)
                     | BIT(ICMPV4_CODE));
    assert_int_equal(m.v.icmpv4_type, 8);
    assert_int_equal(m.v.icmpv4_code, 0);
    assert_int_equal(h.l4, 34);
    assert_int_equal(m.v.icmpv4_type, 8);
    assert_false(ofp_match_has(&m, OFP_F_ICMPV6_TYPE));

    /* Protocol 58 under IPv4 is no ICMPv6. */
    buf[14 + 9] = 58;
    extract(buf, len, &m, &h);
    assert_int_equal(m.present, L2_BITS | IPV4_BITS);
    assert_int_equal(h.l4, 0);
}

static void
test_ipv6(void **state)
{
    uint8_t rest[80] = { 0x86, 0xdd }, buf[128];
    struct ofp_hdrs h;
    struct ofp_match m;
    (void) state;

    /* Version 6, TC 0xb9, flow label 0x12345, next header TCP. */
    uint8_t *ip = rest + 2;
    ofp_wr32(ip, 0x6b912345);
    ip[6] = 6;
    ip[7] = 64;
    for (int i = 0; i < 16; i++) {
        ip[8 + i] = 0x20 + i;
        ip[24 + i] = 0x40 + i;
    }
    ofp_wr16(ip + 40, 1000);
    ofp_wr16(ip + 42, 2000);
    size_t len = frame(buf, rest, 2 + 44);

    extract(buf, len, &m, &h);
    assert_int_equal(h.eth_type, 0x86dd);
    assert_int_equal(m.v.ip_dscp, 46);
    assert_int_equal(m.v.ip_ecn, 1);
    assert_int_equal(m.v.ipv6_flabel, 0x12345);
    assert_int_equal(h.ip_proto, 6);
    assert_int_equal(m.v.ipv6_src[0], 0x20);
    assert_int_equal(m.v.ipv6_dst[15], 0x4f);
    assert_int_equal(h.l3, 14);
    assert_int_equal(h.l4, 54);
    assert_int_equal(m.v.tcp_src, 1000);
    assert_int_equal(m.present, L2_BITS | IPV6_BITS | BIT(TCP_SRC)
                     | BIT(TCP_DST));
    assert_memory_equal(m.v.ipv6_src, ip + 8, 16);
    assert_memory_equal(m.v.ipv6_dst, ip + 24, 16);
    assert_int_equal(m.v.tcp_dst, 2000);

    /* ICMPv6 only under IPv6. */
    buf[14 + 6] = 58;
    extract(buf, len, &m, &h);
    assert_int_equal(m.present, L2_BITS | IPV6_BITS | BIT(ICMPV6_TYPE)
                     | BIT(ICMPV6_CODE));
    assert_int_equal(m.v.icmpv6_type, 0x03);
    assert_int_equal(m.v.icmpv6_code, 0xe8);
    buf[14 + 6] = 1;
    extract(buf, len, &m, &h);
    assert_int_equal(m.present, L2_BITS | IPV6_BITS);

    /* 39 bytes of IPv6 header: Ethernet only. */
    extract(buf, 14 + 39, &m, &h);
    assert_int_equal(m.present, L2_BITS);
    assert_int_equal(h.l3, 0);
}

static void
test_arp(void **state)
{
    static const uint8_t arp[] = {
        0x08, 0x06,
        0, 1, 0x08, 0x00, 6, 4, 0, 2,
        0x02, 0, 0, 0, 0, 1, 10, 0, 0, 1,
        0x02, 0, 0, 0, 0, 2, 10, 0, 0, 2,
    };
    uint8_t buf[64];
    struct ofp_hdrs h;
    struct ofp_match m;
    (void) state;

    size_t len = frame(buf, arp, sizeof arp);
    extract(buf, len, &m, &h);
    assert_int_equal(m.present, L2_BITS | BIT(ARP_OP) | BIT(ARP_SHA)
                     | BIT(ARP_SPA) | BIT(ARP_THA) | BIT(ARP_TPA));
    assert_int_equal(m.v.arp_op, 2);
    assert_memory_equal(m.v.arp_sha, arp + 10, 6);
    assert_int_equal(m.v.arp_tpa, 0x0a000002);
    assert_int_equal(h.l3, 14);
    assert_int_equal(m.v.arp_spa, 0x0a000001);
    assert_memory_equal(m.v.arp_tha, arp + 20, 6);
    assert_false(ofp_match_has(&m, OFP_F_IPV4_SRC));

    /* One byte short, or not Ethernet/IPv4: no ARP fields. */
    extract(buf, len - 1, &m, &h);
    assert_int_equal(m.present, L2_BITS);
    buf[14 + 1] = 6;
    extract(buf, len, &m, &h);
    assert_int_equal(m.present, L2_BITS);
    assert_int_equal(h.l3, 0);
}

static void
test_vlan(void **state)
{
    uint8_t rest[80] = { 0x81, 0x00, 0x20, 0x0a, 0x08, 0x00 }, buf[128];
    struct ofp_hdrs h;
    struct ofp_match m;
    (void) state;

    size_t n = 6 + ipv4(rest + 6, 17, 0);
    rest[n++] = 0; rest[n++] = 53; rest[n++] = 0; rest[n++] = 54;
    size_t len = frame(buf, rest, n);
    extract(buf, len, &m, &h);
    assert_int_equal(h.vlan, 12);
    assert_int_equal(m.v.vlan_vid, OFPVID_PRESENT | 10);
    assert_int_equal(m.v.vlan_pcp, 1);
    assert_int_equal(h.eth_type, 0x0800);
    assert_int_equal(h.l2_end, 16);
    assert_int_equal(h.l3, 18);
    assert_int_equal(m.v.udp_src, 53);
    assert_int_equal(m.present, L2_BITS | BIT(VLAN_PCP) | IPV4_BITS
                     | BIT(UDP_SRC) | BIT(UDP_DST));
    assert_int_equal(m.v.vlan_vid, 0x100a);
    assert_int_equal(m.v.vlan_pcp, 1);
    assert_int_equal(m.v.udp_dst, 54);

    /* Two tags (802.1ad outside): the outer VID, the type after both. */
    static const uint8_t qinq[] = {
        0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0x0a, 0x86, 0xdd,
    };
    len = frame(buf, qinq, sizeof qinq);
    extract(buf, len, &m, &h);
    assert_int_equal(m.v.vlan_vid, OFPVID_PRESENT | 100);
    assert_int_equal(h.eth_type, 0x86dd);
    assert_int_equal(h.l2_end, 20);
    assert_int_equal(m.present, L2_BITS | BIT(VLAN_PCP));

    /* A frame that ends inside its tag: the addresses only. */
    extract(buf, 17, &m, &h);
    assert_int_equal(m.present, BIT(ETH_DST) | BIT(ETH_SRC));
    assert_int_equal(h.eth_type, 0);
    assert_int_equal(h.vlan, 0);
}

static void
test_mpls(void **state)
{
    /* Label 1000, TC 5, bottom of stack, TTL 64. */
    static const uint8_t mpls[] = { 0x88, 0x47, 0x00, 0x3e, 0x8b, 0x40 };
    uint8_t buf[64];
    struct ofp_hdrs h;
    struct ofp_match m;
    (void) state;

    size_t len = frame(buf, mpls, sizeof mpls);
    extract(buf, len, &m, &h);
    assert_int_equal(h.eth_type, 0x8847);
    assert_int_equal(h.mpls, 14);
    assert_int_equal(m.v.mpls_label, 1000);
    assert_int_equal(m.v.mpls_tc, 5);
    assert_int_equal(m.v.mpls_bos, 1);
    assert_int_equal(m.present, L2_BITS | BIT(MPLS_LABEL) | BIT(MPLS_TC)
                     | BIT(MPLS_BOS));
    assert_int_equal(m.v.mpls_label, 1000);
    assert_int_equal(m.v.mpls_tc, 5);

    extract(buf, len - 1, &m, &h);
    assert_int_equal(m.present, L2_BITS);
    assert_int_equal(h.mpls, 0);
}

static void
test_truncated(void **state)
{
    uint8_t rest[64] = { 0x08, 0x00 }, buf[128];
    struct ofp_hdrs h;
    struct ofp_match m;
    (void) state;

    size_t n = 2 + ipv4(rest + 2, 6, 0);
    rest[n++] = 0; rest[n++] = 1; rest[n++] = 0; rest[n++] = 2;
    size_t len = frame(buf, rest, n);

    /* Every length from 0 to the whole frame parses without reading past
     * the end; the fields come in as their headers complete. */
    for (size_t cut = 0; cut <= len; cut++) {
        extract(buf, cut, &m, &h);
        if (cut < 14) {
            assert_int_equal(m.present, 0);
        } else if (cut < 34) {
            assert_int_equal(m.present, L2_BITS);
        } else if (cut < 38) {
            assert_int_equal(m.present, L2_BITS | IPV4_BITS);
            assert_int_equal(h.l4, 0);
        } else {
            assert_int_equal(m.present, L2_BITS | IPV4_BITS | BIT(TCP_SRC)
                             | BIT(TCP_DST));
        }
    }

    /* Not version 4, or an IHL below 5: no IP fields / no layer 4. */
    buf[14] = 0x65;
    extract(buf, len, &m, &h);
    assert_int_equal(m.present, L2_BITS);
    buf[14] = 0x44;
    extract(buf, len, &m, &h);
    assert_int_equal(m.present, L2_BITS | IPV4_BITS);

    /* An unknown ethertype: layer 2 only. */
    buf[12] = 0x88;
    buf[13] = 0xcc;
    extract(buf, len, &m, &h);
    assert_int_equal(m.present, L2_BITS);
    assert_int_equal(h.eth_type, 0x88cc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_tcp_udp_sctp),
        cmocka_unit_test(test_ipv4_icmp),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_arp),
        cmocka_unit_test(test_vlan),
        cmocka_unit_test(test_mpls),
        cmocka_unit_test(test_truncated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
