/*
 * ofp-match: OpenFlow 1.3 OXM matches, decoded into plain fields.
 *
 * What?
 * -----
 * A flow match arrives as a list of OXM TLVs (class 0x8000, one TLV per
 * field, optionally with a mask).  The codec turns it into struct
 * ofp_match: every supported field has a slot for its value and one for its
 * mask, in host byte order (MAC and IPv6 addresses as bytes), plus two
 * bitmaps indexed by enum ofp_field: 'present' (the field is matched) and
 * 'masked' (the TLV carried a mask; otherwise the mask slot holds all ones,
 * so a user can always compute value & mask without looking at the bit).
 * Absent fields have value and mask zero.  The struct has no pointers: it
 * can be copied, hashed and compared with ofp_match_equal().
 *
 * Validation
 * ----------
 * Decoding enforces what the specification asks of a switch, with its
 * errors: unknown OXM class or field (OFPBMC_BAD_FIELD), wrong TLV length
 * (OFPBMC_BAD_LEN), a field twice (OFPBMC_DUP_FIELD), a mask on a field that
 * takes none (OFPBMC_BAD_MASK), value bits outside the mask
 * (OFPBMC_BAD_WILDCARDS), out-of-range values such as vlan_pcp 8
 * (OFPBMC_BAD_VALUE), and missing prerequisites such as ipv4_src without
 * eth_type=0x0800 (OFPBMC_BAD_PREREQ).  Prerequisites are checked on the
 * whole match, so their order among the TLVs does not matter (as in Open
 * vSwitch).
 *
 * Adding a field is one line in OFP_FIELDS.
 */
#ifndef LAMINA_OFP_MATCH_H
#define LAMINA_OFP_MATCH_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ofp-errors.h"

struct ofpbuf;

/* How a field's value is stored in struct ofp_match_fields. */
#define OFP_FS_U8(M)   uint8_t M;
#define OFP_FS_U16(M)  uint16_t M;
#define OFP_FS_U32(M)  uint32_t M;
#define OFP_FS_U64(M)  uint64_t M;
#define OFP_FS_MAC(M)  uint8_t M[6];
#define OFP_FS_IPV6(M) uint8_t M[16];

/* Prerequisites of a field (section 7.2.3.8 of the specification). */
enum ofp_prereq {
    OFP_PRE_NONE,
    OFP_PRE_VLAN,       /* vlan_vid present and not OFPVID_NONE. */
    OFP_PRE_IP,         /* eth_type 0x0800 or 0x86dd. */
    OFP_PRE_IPV4,       /* eth_type 0x0800. */
    OFP_PRE_IPV6,       /* eth_type 0x86dd. */
    OFP_PRE_ARP,        /* eth_type 0x0806. */
    OFP_PRE_MPLS,       /* eth_type 0x8847 or 0x8848. */
    OFP_PRE_TCP,        /* OFP_PRE_IP and ip_proto 6. */
    OFP_PRE_UDP,        /* OFP_PRE_IP and ip_proto 17. */
    OFP_PRE_SCTP,       /* OFP_PRE_IP and ip_proto 132. */
    OFP_PRE_ICMPV4,     /* OFP_PRE_IPV4 and ip_proto 1. */
    OFP_PRE_ICMPV6,     /* OFP_PRE_IPV6 and ip_proto 58. */
    OFP_PRE_ND,         /* OFP_PRE_ICMPV6 and icmpv6_type 135 or 136. */
    OFP_PRE_ND_NS,      /* OFP_PRE_ICMPV6 and icmpv6_type 135. */
    OFP_PRE_ND_NA,      /* OFP_PRE_ICMPV6 and icmpv6_type 136. */
};

/* X(ID, name, oxm_field, wire_len, maskable, storage, member, prereq, max)
 *
 * 'oxm_field' is the OFPXMT_OFB_* number in class OFPXMC_OPENFLOW_BASIC;
 * 'max' is the largest valid value of an integer field (0: any). */
#define OFP_FIELDS(X)                                                        \
    X(IN_PORT,      "in_port",      0,  4, false, U32,  in_port,      NONE,   0) \
    X(METADATA,     "metadata",     2,  8, true,  U64,  metadata,     NONE,   0) \
    X(ETH_DST,      "eth_dst",      3,  6, true,  MAC,  eth_dst,      NONE,   0) \
    X(ETH_SRC,      "eth_src",      4,  6, true,  MAC,  eth_src,      NONE,   0) \
    X(ETH_TYPE,     "eth_type",     5,  2, false, U16,  eth_type,     NONE,   0) \
    X(VLAN_VID,     "vlan_vid",     6,  2, true,  U16,  vlan_vid,     NONE,   0x1fff) \
    X(VLAN_PCP,     "vlan_pcp",     7,  1, false, U8,   vlan_pcp,     VLAN,   7) \
    X(IP_DSCP,      "ip_dscp",      8,  1, false, U8,   ip_dscp,      IP,     63) \
    X(IP_ECN,       "ip_ecn",       9,  1, false, U8,   ip_ecn,       IP,     3) \
    X(IP_PROTO,     "ip_proto",     10, 1, false, U8,   ip_proto,     IP,     0) \
    X(IPV4_SRC,     "ipv4_src",     11, 4, true,  U32,  ipv4_src,     IPV4,   0) \
    X(IPV4_DST,     "ipv4_dst",     12, 4, true,  U32,  ipv4_dst,     IPV4,   0) \
    X(TCP_SRC,      "tcp_src",      13, 2, false, U16,  tcp_src,      TCP,    0) \
    X(TCP_DST,      "tcp_dst",      14, 2, false, U16,  tcp_dst,      TCP,    0) \
    X(UDP_SRC,      "udp_src",      15, 2, false, U16,  udp_src,      UDP,    0) \
    X(UDP_DST,      "udp_dst",      16, 2, false, U16,  udp_dst,      UDP,    0) \
    X(SCTP_SRC,     "sctp_src",     17, 2, false, U16,  sctp_src,     SCTP,   0) \
    X(SCTP_DST,     "sctp_dst",     18, 2, false, U16,  sctp_dst,     SCTP,   0) \
    X(ICMPV4_TYPE,  "icmpv4_type",  19, 1, false, U8,   icmpv4_type,  ICMPV4, 0) \
    X(ICMPV4_CODE,  "icmpv4_code",  20, 1, false, U8,   icmpv4_code,  ICMPV4, 0) \
    X(ARP_OP,       "arp_op",       21, 2, false, U16,  arp_op,       ARP,    0) \
    X(ARP_SPA,      "arp_spa",      22, 4, true,  U32,  arp_spa,      ARP,    0) \
    X(ARP_TPA,      "arp_tpa",      23, 4, true,  U32,  arp_tpa,      ARP,    0) \
    X(ARP_SHA,      "arp_sha",      24, 6, true,  MAC,  arp_sha,      ARP,    0) \
    X(ARP_THA,      "arp_tha",      25, 6, true,  MAC,  arp_tha,      ARP,    0) \
    X(IPV6_SRC,     "ipv6_src",     26, 16, true, IPV6, ipv6_src,     IPV6,   0) \
    X(IPV6_DST,     "ipv6_dst",     27, 16, true, IPV6, ipv6_dst,     IPV6,   0) \
    X(IPV6_FLABEL,  "ipv6_flabel",  28, 4, true,  U32,  ipv6_flabel,  IPV6,   0xfffff) \
    X(ICMPV6_TYPE,  "icmpv6_type",  29, 1, false, U8,   icmpv6_type,  ICMPV6, 0) \
    X(ICMPV6_CODE,  "icmpv6_code",  30, 1, false, U8,   icmpv6_code,  ICMPV6, 0) \
    X(IPV6_ND_TARGET, "ipv6_nd_target", 31, 16, false, IPV6, ipv6_nd_target, ND, 0) \
    X(IPV6_ND_SLL,  "ipv6_nd_sll",  32, 6, false, MAC,  ipv6_nd_sll,  ND_NS,  0) \
    X(IPV6_ND_TLL,  "ipv6_nd_tll",  33, 6, false, MAC,  ipv6_nd_tll,  ND_NA,  0) \
    X(MPLS_LABEL,   "mpls_label",   34, 4, false, U32,  mpls_label,   MPLS,   0xfffff) \
    X(MPLS_TC,      "mpls_tc",      35, 1, false, U8,   mpls_tc,      MPLS,   7) \
    X(MPLS_BOS,     "mpls_bos",     36, 1, false, U8,   mpls_bos,     MPLS,   1) \
    X(TUNNEL_ID,    "tunnel_id",    38, 8, true,  U64,  tunnel_id,    NONE,   0)

enum ofp_field {
#define OFP_FIELD_ENUM(ID, NAME, OXM, LEN, MASKABLE, ST, MEMBER, PRE, MAX) \
    OFP_F_##ID,
    OFP_FIELDS(OFP_FIELD_ENUM)
#undef OFP_FIELD_ENUM
    OFP_F_N
};

#define OFPXMC_OPENFLOW_BASIC 0x8000u
#define OFPXMC_EXPERIMENTER   0xffffu
#define OFPVID_PRESENT        0x1000

/* One value (or one mask) of every field. */
struct ofp_match_fields {
#define OFP_FIELD_MEMBER(ID, NAME, OXM, LEN, MASKABLE, ST, MEMBER, PRE, MAX) \
    OFP_FS_##ST(MEMBER)
    OFP_FIELDS(OFP_FIELD_MEMBER)
#undef OFP_FIELD_MEMBER
};

struct ofp_match {
    uint64_t present;               /* 1 << OFP_F_*: field is matched. */
    uint64_t masked;                /* 1 << OFP_F_*: the TLV had a mask. */
    struct ofp_match_fields v;      /* Values (zero where absent). */
    struct ofp_match_fields m;      /* Masks (all ones if not 'masked'). */
};

/* The value of one field, for set-field actions and generic access.  Integer
 * fields use u8..u64 (by the width in OFP_FIELDS), addresses use bytes. */
union ofp_value {
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    uint8_t mac[6];
    uint8_t ipv6[16];
    uint8_t bytes[16];
};

/* Description of one field, from OFP_FIELDS. */
struct ofp_field_info {
    const char *name;
    uint8_t oxm_field;
    uint8_t len;                    /* Value length on the wire. */
    bool maskable;
    enum ofp_prereq prereq;
    uint32_t max;                   /* Largest valid integer value, 0: any. */
    uint16_t offset;                /* In struct ofp_match_fields. */
};

extern const struct ofp_field_info ofp_fields[OFP_F_N];

static inline bool
ofp_match_has(const struct ofp_match *m, enum ofp_field f)
{
    return (m->present >> f) & 1;
}

/* The storage of field 'f' in 'fs' (ofp_fields[f].len bytes: u8..u64 in
 * host order, or address bytes). */
static inline uint8_t *
ofp_field_ptr(struct ofp_match_fields *fs, enum ofp_field f)
{
    return (uint8_t *) fs + ofp_fields[f].offset;
}

static inline const uint8_t *
ofp_field_cptr(const struct ofp_match_fields *fs, enum ofp_field f)
{
    return (const uint8_t *) fs + ofp_fields[f].offset;
}

/* The integer form of value 'v' of field 'f': u8..u64 by the field's width,
 * a MAC address as its 48 bits; 0 for IPv6 addresses. */
static inline uint64_t
ofp_value_to_u64(enum ofp_field f, const union ofp_value *v)
{
    switch (ofp_fields[f].len) {
    case 1: return v->u8;
    case 2: return v->u16;
    case 4: return v->u32;
    case 6:
        return (uint64_t) v->mac[0] << 40 | (uint64_t) v->mac[1] << 32
               | (uint64_t) v->mac[2] << 24 | (uint64_t) v->mac[3] << 16
               | (uint64_t) v->mac[4] << 8 | v->mac[5];
    case 8: return v->u64;
    default: return 0;
    }
}

/* Stores the integer 'x' into 'v' as field 'f' (the inverse of
 * ofp_value_to_u64(); IPv6 addresses become zero). */
void ofp_value_from_u64(enum ofp_field f, uint64_t x, union ofp_value *v);

/* Looks up the field with OXM field number 'oxm_field' of the basic class;
 * returns OFP_F_N if Lamina does not support it. */
enum ofp_field ofp_field_from_oxm(uint8_t oxm_field);

/* True if a set-field action may write field 'f'.  Not: in_port and
 * metadata (not header fields, as the specification says), and eth_type
 * and ip_proto (rewriting them would leave the headers after them
 * meaningless: refused with OFPBAC_BAD_SET_TYPE, as Open vSwitch does). */
static inline bool
ofp_field_settable(enum ofp_field f)
{
    return f < OFP_F_N && f != OFP_F_IN_PORT && f != OFP_F_METADATA
           && f != OFP_F_ETH_TYPE && f != OFP_F_IP_PROTO;
}

/* Looks up a field by name ("ipv4_src"); OFP_F_N if unknown. */
enum ofp_field ofp_field_from_name(const char *name);

/* Initializes 'm' to match every packet. */
void ofp_match_init(struct ofp_match *m);

/* Sets field 'f' of 'm' to 'value', masked by 'mask' if it is nonnull (the
 * value is stored masked, as the wire requires).  No validation: encode and
 * decode again, or call ofp_match_validate(), to check. */
void ofp_match_set(struct ofp_match *m, enum ofp_field f,
                   const union ofp_value *value, const union ofp_value *mask);

/* Convenience setters for integer fields (host byte order). */
void ofp_match_set_u(struct ofp_match *m, enum ofp_field f, uint64_t value);
void ofp_match_set_masked_u(struct ofp_match *m, enum ofp_field f,
                            uint64_t value, uint64_t mask);

/* Copies field 'f' of 'm' into 'value' and 'mask' (either may be NULL);
 * returns false if 'm' does not match on 'f'. */
bool ofp_match_get(const struct ofp_match *m, enum ofp_field f,
                   union ofp_value *value, union ofp_value *mask);

/* Removes field 'f' from 'm'. */
void ofp_match_clear(struct ofp_match *m, enum ofp_field f);

bool ofp_match_equal(const struct ofp_match *a, const struct ofp_match *b);

/* Checks prerequisites, ranges and masks of 'm'; returns 0, or EPROTO with
 * the OpenFlow error in '*err'. */
int ofp_match_validate(const struct ofp_match *m, struct ofp_error *err);

/* True if 'm' satisfies prerequisite 'pre' (what a match on, or a
 * set-field of, a field with that prerequisite requires). */
bool ofp_match_prereq_ok(const struct ofp_match *m, enum ofp_prereq pre);

/* Decodes a struct ofp_match (header, OXM TLVs, padding) at 'p', of which
 * 'avail' bytes are readable.  On success returns 0 and stores in '*used'
 * the bytes taken including padding; otherwise returns EPROTO with the
 * error in '*err'. */
int ofp_match_decode(const uint8_t *p, size_t avail, struct ofp_match *m,
                     size_t *used, struct ofp_error *err);

/* Appends the OXM match 'm' (header, TLVs, padding to 8) to 'b'. */
void ofp_match_encode(const struct ofp_match *m, struct ofpbuf *b);

/* Returns the number of bytes ofp_match_encode() would append. */
size_t ofp_match_encoded_len(const struct ofp_match *m);

/* Appends 'm' as text, like "eth_type=0x800,ipv4_src=10.0.0.0/255.0.0.0";
 * an empty match prints nothing. */
void ofp_match_format(const struct ofp_match *m, struct ofpbuf *s);

/* Reads/writes one field value from/to 'len' wire bytes (network order);
 * used for OXM TLVs and set-field actions. */
void ofp_value_from_wire(enum ofp_field f, const uint8_t *wire,
                         union ofp_value *v);
void ofp_value_to_wire(enum ofp_field f, const union ofp_value *v,
                       uint8_t *wire);

/* Appends the text form of value 'v' of field 'f' ("10.0.0.1"). */
void ofp_value_format(enum ofp_field f, const union ofp_value *v,
                      struct ofpbuf *s);

#endif /* LAMINA_OFP_MATCH_H */
