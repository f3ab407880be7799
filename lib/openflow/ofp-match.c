#include "ofp-match.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "ofpbuf.h"
#include "ofp-wire-pvt.h"

const struct ofp_field_info ofp_fields[OFP_F_N] = {
#define OFP_FIELD_INFO(ID, NAME, OXM, LEN, MASKABLE, ST, MEMBER, PRE, MAX) \
    [OFP_F_##ID] = { NAME, OXM, LEN, MASKABLE, OFP_PRE_##PRE, MAX,         \
                     offsetof(struct ofp_match_fields, MEMBER) },
    OFP_FIELDS(OFP_FIELD_INFO)
#undef OFP_FIELD_INFO
};

/* OXM field number -> enum ofp_field, OFP_F_N where unsupported.  Built on
 * first use; the table is small and read-only afterwards. */
static uint8_t oxm_to_field[128];
static int oxm_to_field_ready;

static void
oxm_table_init(void)
{
    if (!__atomic_load_n(&oxm_to_field_ready, __ATOMIC_ACQUIRE)) {
        uint8_t t[128];
        memset(t, OFP_F_N, sizeof t);
        for (int f = 0; f < OFP_F_N; f++) {
            t[ofp_fields[f].oxm_field] = f;
        }
        memcpy(oxm_to_field, t, sizeof t);
        __atomic_store_n(&oxm_to_field_ready, 1, __ATOMIC_RELEASE);
    }
}

enum ofp_field
ofp_field_from_oxm(uint8_t oxm_field)
{
    oxm_table_init();
    return oxm_field < 128 ? oxm_to_field[oxm_field] : OFP_F_N;
}

enum ofp_field
ofp_field_from_name(const char *name)
{
    for (int f = 0; f < OFP_F_N; f++) {
        if (!strcmp(ofp_fields[f].name, name)) {
            return f;
        }
    }
    return OFP_F_N;
}

void
ofp_match_init(struct ofp_match *m)
{
    memset(m, 0, sizeof *m);
}

/* The storage of every field is exactly its wire length (u8..u64, 6-byte
 * MAC, 16-byte IPv6), so a value moves between the union and the struct
 * with one memcpy of 'len' bytes. */
void
ofp_match_set(struct ofp_match *m, enum ofp_field f,
              const union ofp_value *value, const union ofp_value *mask)
{
    unsigned int len = ofp_fields[f].len;
    uint8_t *v = ofp_field_ptr(&m->v, f);
    uint8_t *mk = ofp_field_ptr(&m->m, f);

    if (mask) {
        memcpy(mk, mask, len);
        memcpy(v, value, len);
        for (unsigned int i = 0; i < len; i++) {
            v[i] &= mk[i];
        }
        m->masked |= UINT64_C(1) << f;
    } else {
        memcpy(v, value, len);
        memset(mk, 0xff, len);
        m->masked &= ~(UINT64_C(1) << f);
    }
    m->present |= UINT64_C(1) << f;
}

void
ofp_value_from_u64(enum ofp_field f, uint64_t x, union ofp_value *v)
{
    memset(v, 0, sizeof *v);
    switch (ofp_fields[f].len) {
    case 1: v->u8 = x; break;
    case 2: v->u16 = x; break;
    case 4: v->u32 = x; break;
    case 8: v->u64 = x; break;
    case 6:
        for (int i = 0; i < 6; i++) {
            v->mac[i] = x >> (40 - 8 * i);
        }
        break;
    default:
        break;
    }
}

void
ofp_match_set_u(struct ofp_match *m, enum ofp_field f, uint64_t value)
{
    union ofp_value v;
    ofp_value_from_u64(f, value, &v);
    ofp_match_set(m, f, &v, NULL);
}

void
ofp_match_set_masked_u(struct ofp_match *m, enum ofp_field f,
                       uint64_t value, uint64_t mask)
{
    union ofp_value v, mk;
    ofp_value_from_u64(f, value, &v);
    ofp_value_from_u64(f, mask, &mk);
    ofp_match_set(m, f, &v, &mk);
}

bool
ofp_match_get(const struct ofp_match *m, enum ofp_field f,
              union ofp_value *value, union ofp_value *mask)
{
    unsigned int len = ofp_fields[f].len;

    if (!ofp_match_has(m, f)) {
        return false;
    }
    if (value) {
        memset(value, 0, sizeof *value);
        memcpy(value, ofp_field_cptr(&m->v, f), len);
    }
    if (mask) {
        memset(mask, 0, sizeof *mask);
        memcpy(mask, ofp_field_cptr(&m->m, f), len);
    }
    return true;
}

void
ofp_match_clear(struct ofp_match *m, enum ofp_field f)
{
    unsigned int len = ofp_fields[f].len;
    memset(ofp_field_ptr(&m->v, f), 0, len);
    memset(ofp_field_ptr(&m->m, f), 0, len);
    m->present &= ~(UINT64_C(1) << f);
    m->masked &= ~(UINT64_C(1) << f);
}

bool
ofp_match_equal(const struct ofp_match *a, const struct ofp_match *b)
{
    return !memcmp(a, b, sizeof *a);
}

void
ofp_value_from_wire(enum ofp_field f, const uint8_t *w, union ofp_value *v)
{
    memset(v, 0, sizeof *v);
    switch (ofp_fields[f].len) {
    case 1: v->u8 = w[0]; break;
    case 2: v->u16 = get_be16(w); break;
    case 4: v->u32 = get_be32(w); break;
    case 8: v->u64 = get_be64(w); break;
    default: memcpy(v->bytes, w, ofp_fields[f].len); break;
    }
}

void
ofp_value_to_wire(enum ofp_field f, const union ofp_value *v, uint8_t *w)
{
    switch (ofp_fields[f].len) {
    case 1: w[0] = v->u8; break;
    case 2: put_be16(w, v->u16); break;
    case 4: put_be32(w, v->u32); break;
    case 8: put_be64(w, v->u64); break;
    default: memcpy(w, v->bytes, ofp_fields[f].len); break;
    }
}

/* Checks the value of one field against its range; 'masked' relaxes the
 * OFPVID_PRESENT rule (a masked VLAN match may test the bit alone). */
static bool
value_in_range(enum ofp_field f, const union ofp_value *v, bool masked)
{
    uint32_t max = ofp_fields[f].max;

    if (max && ofp_value_to_u64(f, v) > max) {
        return false;
    }
    if (f == OFP_F_VLAN_VID && !masked && v->u16
        && !(v->u16 & OFPVID_PRESENT)) {
        return false;       /* A VID without OFPVID_PRESENT is invalid. */
    }
    return true;
}

static bool
eth_type_is(const struct ofp_match *m, uint16_t type)
{
    return ofp_match_has(m, OFP_F_ETH_TYPE) && m->v.eth_type == type;
}

static bool
ip_proto_is(const struct ofp_match *m, uint8_t proto)
{
    return ofp_match_has(m, OFP_F_IP_PROTO) && m->v.ip_proto == proto;
}

static bool
icmpv6_type_is(const struct ofp_match *m, uint8_t type)
{
    return ofp_match_has(m, OFP_F_ICMPV6_TYPE) && m->v.icmpv6_type == type;
}

static bool
prereq_ok(const struct ofp_match *m, enum ofp_prereq pre)
{
    bool ip = eth_type_is(m, 0x0800) || eth_type_is(m, 0x86dd);

    switch (pre) {
    case OFP_PRE_NONE:
        return true;
    case OFP_PRE_VLAN:
        return ofp_match_has(m, OFP_F_VLAN_VID)
               && (m->v.vlan_vid & m->m.vlan_vid & OFPVID_PRESENT);
    case OFP_PRE_IP:
        return ip;
    case OFP_PRE_IPV4:
        return eth_type_is(m, 0x0800);
    case OFP_PRE_IPV6:
        return eth_type_is(m, 0x86dd);
    case OFP_PRE_ARP:
        return eth_type_is(m, 0x0806);
    case OFP_PRE_MPLS:
        return eth_type_is(m, 0x8847) || eth_type_is(m, 0x8848);
    case OFP_PRE_TCP:
        return ip && ip_proto_is(m, 6);
    case OFP_PRE_UDP:
        return ip && ip_proto_is(m, 17);
    case OFP_PRE_SCTP:
        return ip && ip_proto_is(m, 132);
    case OFP_PRE_ICMPV4:
        return eth_type_is(m, 0x0800) && ip_proto_is(m, 1);
    case OFP_PRE_ICMPV6:
        return eth_type_is(m, 0x86dd) && ip_proto_is(m, 58);
    case OFP_PRE_ND:
        return prereq_ok(m, OFP_PRE_ICMPV6)
               && (icmpv6_type_is(m, 135) || icmpv6_type_is(m, 136));
    case OFP_PRE_ND_NS:
        return prereq_ok(m, OFP_PRE_ICMPV6) && icmpv6_type_is(m, 135);
    case OFP_PRE_ND_NA:
        return prereq_ok(m, OFP_PRE_ICMPV6) && icmpv6_type_is(m, 136);
    }
    return false;
}

bool
ofp_match_prereq_ok(const struct ofp_match *m, enum ofp_prereq pre)
{
    return prereq_ok(m, pre);
}

int
ofp_match_validate(const struct ofp_match *m, struct ofp_error *err)
{
    uint64_t present = m->present;

    while (present) {
        enum ofp_field f = __builtin_ctzll(present);
        const struct ofp_field_info *fi = &ofp_fields[f];
        union ofp_value v, mk;
        bool masked = (m->masked >> f) & 1;

        present &= present - 1;
        if (f >= OFP_F_N) {
            return OFP_FAIL(err, OFPET_BAD_MATCH, OFPBMC_BAD_FIELD);
        }
        if (masked && !fi->maskable) {
            return OFP_FAIL(err, OFPET_BAD_MATCH, OFPBMC_BAD_MASK);
        }
        ofp_match_get(m, f, &v, &mk);
        for (unsigned int i = 0; i < fi->len; i++) {
            if (v.bytes[i] & ~mk.bytes[i]) {
                return OFP_FAIL(err, OFPET_BAD_MATCH, OFPBMC_BAD_WILDCARDS);
            }
        }
        if (!value_in_range(f, &v, masked)
            || (masked && !value_in_range(f, &mk, true))) {
            return OFP_FAIL(err, OFPET_BAD_MATCH, OFPBMC_BAD_VALUE);
        }
        if (!prereq_ok(m, fi->prereq)) {
            return OFP_FAIL(err, OFPET_BAD_MATCH, OFPBMC_BAD_PREREQ);
        }
    }
    return 0;
}

int
ofp_match_decode(const uint8_t *p, size_t avail, struct ofp_match *m,
                 size_t *used, struct ofp_error *err)
{
    const uint8_t *q, *end;
    uint16_t type, len;

    if (avail < 4) {
        return OFP_FAIL(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN);
    }
    type = get_be16(p);
    len = get_be16(p + 2);
    if (type != OFPMT_OXM) {
        return OFP_FAIL(err, OFPET_BAD_MATCH, OFPBMC_BAD_TYPE);
    }
    if (len < 4 || ROUND_UP8(len) > avail) {
        return OFP_FAIL(err, OFPET_BAD_MATCH, OFPBMC_BAD_LEN);
    }

    ofp_match_init(m);
    q = p + 4;
    end = p + len;
    while (q < end) {
        uint32_t hdr;
        unsigned int cls, oxm_field, has_mask, tlv_len;
        enum ofp_field f;
        const struct ofp_field_info *fi;
        union ofp_value v, mk;

        if (end - q < 4) {
            return OFP_FAIL(err, OFPET_BAD_MATCH, OFPBMC_BAD_LEN);
        }
        hdr = get_be32(q);
        cls = hdr >> 16;
        oxm_field = (hdr >> 9) & 0x7f;
        has_mask = (hdr >> 8) & 1;
        tlv_len = hdr & 0xff;
        if ((size_t) (end - q - 4) < tlv_len) {
            return OFP_FAIL(err, OFPET_BAD_MATCH, OFPBMC_BAD_LEN);
        }
        if (cls != OFPXMC_OPENFLOW_BASIC) {
            return OFP_FAIL(err, OFPET_BAD_MATCH, OFPBMC_BAD_FIELD);
        }
        f = ofp_field_from_oxm(oxm_field);
        if (f == OFP_F_N) {
            return OFP_FAIL(err, OFPET_BAD_MATCH, OFPBMC_BAD_FIELD);
        }
        fi = &ofp_fields[f];
        if (tlv_len != fi->len * (has_mask ? 2u : 1u)) {
            return OFP_FAIL(err, OFPET_BAD_MATCH, OFPBMC_BAD_LEN);
        }
        if (has_mask && !fi->maskable) {
            return OFP_FAIL(err, OFPET_BAD_MATCH, OFPBMC_BAD_MASK);
        }
        if (ofp_match_has(m, f)) {
            return OFP_FAIL(err, OFPET_BAD_MATCH, OFPBMC_DUP_FIELD);
        }
        ofp_value_from_wire(f, q + 4, &v);
        if (has_mask) {
            ofp_value_from_wire(f, q + 4 + fi->len, &mk);
            for (unsigned int i = 0; i < fi->len; i++) {
                if (v.bytes[i] & ~mk.bytes[i]) {
                    return OFP_FAIL(err, OFPET_BAD_MATCH,
                                    OFPBMC_BAD_WILDCARDS);
                }
            }
        }
        if (!value_in_range(f, &v, has_mask)
            || (has_mask && !value_in_range(f, &mk, true))) {
            return OFP_FAIL(err, OFPET_BAD_MATCH, OFPBMC_BAD_VALUE);
        }
        ofp_match_set(m, f, &v, has_mask ? &mk : NULL);
        q += 4 + tlv_len;
    }

    /* Ranges and masks were checked per TLV; only prerequisites remain. */
    for (uint64_t present = m->present; present; present &= present - 1) {
        enum ofp_field f = __builtin_ctzll(present);
        if (!prereq_ok(m, ofp_fields[f].prereq)) {
            return OFP_FAIL(err, OFPET_BAD_MATCH, OFPBMC_BAD_PREREQ);
        }
    }
    *used = ROUND_UP8(len);
    return 0;
}

size_t
ofp_match_encoded_len(const struct ofp_match *m)
{
    size_t len = 4;

    for (uint64_t present = m->present; present; present &= present - 1) {
        enum ofp_field f = __builtin_ctzll(present);
        len += 4 + ofp_fields[f].len * (((m->masked >> f) & 1) ? 2 : 1);
    }
    return len;
}

/* The order in which TLVs are written: Open vSwitch's (nx_put_raw()), so
 * that a match we re-encode is byte for byte what ovs-ofctl sent.  Decoding
 * accepts any order. */
static const uint8_t encode_order[OFP_F_N] = {
    OFP_F_IN_PORT,
    OFP_F_ETH_SRC, OFP_F_ETH_DST, OFP_F_ETH_TYPE,
    OFP_F_VLAN_VID, OFP_F_VLAN_PCP,
    OFP_F_MPLS_LABEL, OFP_F_MPLS_TC, OFP_F_MPLS_BOS,
    OFP_F_IPV4_SRC, OFP_F_IPV4_DST,
    OFP_F_IPV6_SRC, OFP_F_IPV6_DST, OFP_F_IPV6_FLABEL,
    OFP_F_IP_DSCP, OFP_F_IP_ECN, OFP_F_IP_PROTO,
    OFP_F_TCP_SRC, OFP_F_TCP_DST, OFP_F_UDP_SRC, OFP_F_UDP_DST,
    OFP_F_SCTP_SRC, OFP_F_SCTP_DST,
    OFP_F_ICMPV4_TYPE, OFP_F_ICMPV4_CODE,
    OFP_F_ICMPV6_TYPE, OFP_F_ICMPV6_CODE,
    OFP_F_IPV6_ND_TARGET, OFP_F_IPV6_ND_SLL, OFP_F_IPV6_ND_TLL,
    OFP_F_ARP_OP, OFP_F_ARP_SPA, OFP_F_ARP_TPA, OFP_F_ARP_SHA, OFP_F_ARP_THA,
    OFP_F_TUNNEL_ID, OFP_F_METADATA,
};

void
ofp_match_encode(const struct ofp_match *m, struct ofpbuf *b)
{
    size_t len = ofp_match_encoded_len(m);
    uint8_t *p = ofpbuf_put_zeros(b, ROUND_UP8(len));

    put_be16(p, OFPMT_OXM);
    put_be16(p + 2, len);
    p += 4;
    for (size_t i = 0; i < OFP_F_N && m->present; i++) {
        enum ofp_field f = encode_order[i];
        const struct ofp_field_info *fi = &ofp_fields[f];
        bool masked = (m->masked >> f) & 1;
        union ofp_value v, mk;

        if (!ofp_match_has(m, f)) {
            continue;
        }
        put_be32(p, (OFPXMC_OPENFLOW_BASIC << 16) | (fi->oxm_field << 9)
                    | (masked << 8) | (fi->len * (masked ? 2 : 1)));
        ofp_match_get(m, f, &v, &mk);
        ofp_value_to_wire(f, &v, p + 4);
        if (masked) {
            ofp_value_to_wire(f, &mk, p + 4 + fi->len);
        }
        p += 4 + fi->len * (masked ? 2 : 1);
    }
}

void
ofp_value_format(enum ofp_field f, const union ofp_value *v,
                 struct ofpbuf *s)
{
    char text[INET6_ADDRSTRLEN];

    switch (f) {
    case OFP_F_ETH_DST: case OFP_F_ETH_SRC:
    case OFP_F_ARP_SHA: case OFP_F_ARP_THA:
        ofpbuf_printf(s, "%02x:%02x:%02x:%02x:%02x:%02x", v->mac[0],
                      v->mac[1], v->mac[2], v->mac[3], v->mac[4], v->mac[5]);
        break;
    case OFP_F_IPV4_SRC: case OFP_F_IPV4_DST:
    case OFP_F_ARP_SPA: case OFP_F_ARP_TPA:
        ofpbuf_printf(s, "%u.%u.%u.%u", v->u32 >> 24, (v->u32 >> 16) & 0xff,
                      (v->u32 >> 8) & 0xff, v->u32 & 0xff);
        break;
    case OFP_F_IPV6_SRC: case OFP_F_IPV6_DST:
        inet_ntop(AF_INET6, v->ipv6, text, sizeof text);
        ofpbuf_printf(s, "%s", text);
        break;
    case OFP_F_ETH_TYPE: case OFP_F_VLAN_VID:
        ofpbuf_printf(s, "0x%04x", v->u16);
        break;
    case OFP_F_METADATA: case OFP_F_TUNNEL_ID:
        ofpbuf_printf(s, "0x%" PRIx64, v->u64);
        break;
    default:
        ofpbuf_printf(s, "%" PRIu64, ofp_value_to_u64(f, v));
        break;
    }
}

void
ofp_match_format(const struct ofp_match *m, struct ofpbuf *s)
{
    bool first = true;

    for (uint64_t present = m->present; present; present &= present - 1) {
        enum ofp_field f = __builtin_ctzll(present);
        union ofp_value v, mk;

        ofp_match_get(m, f, &v, &mk);
        ofpbuf_printf(s, "%s%s=", first ? "" : ",", ofp_fields[f].name);
        ofp_value_format(f, &v, s);
        if ((m->masked >> f) & 1) {
            ofpbuf_printf(s, "/");
            ofp_value_format(f, &mk, s);
        }
        first = false;
    }
    ofpbuf_cstr(s);
}
