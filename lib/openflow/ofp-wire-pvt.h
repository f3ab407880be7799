/*
 * ofp-wire-pvt: internals shared by the codec's source files.
 *
 * The wire structs are Open vSwitch's (openflow/openflow-1.3.h and the
 * headers it includes).  OVS keeps a few OpenFlow 1.1+ wire structs in its
 * library rather than in include/openflow/ (the multipart header and the
 * action structs); those are declared here, with the same size assertions.
 *
 * Input bytes may sit at any alignment (a TCP stream buffer), so the codec
 * never reads a wire struct in place: it copies it to the stack with
 * WIRE_PULL() (the compiler turns this into plain loads) and reads fields
 * with the get_be*() helpers.  Encoders build a struct on the stack and
 * append it.
 */
#ifndef LAMINA_OFP_WIRE_PVT_H
#define LAMINA_OFP_WIRE_PVT_H 1

#include <endian.h>
#include <string.h>
#include <stdint.h>

#include <openflow/openflow-1.3.h>

/* Header of OFPT_MULTIPART_REQUEST and _REPLY, after struct ofp_header. */
struct ofp13_multipart_header {
    ovs_be16 type;              /* One of OFPMP_*. */
    ovs_be16 flags;             /* OFPMPF_REQ_MORE / OFPMPF_REPLY_MORE. */
    uint8_t pad[4];
};
OFP_ASSERT(sizeof(struct ofp13_multipart_header) == 8);

/* Generic action header. */
struct ofp13_action_header {
    ovs_be16 type;
    ovs_be16 len;
    uint8_t pad[4];
};
OFP_ASSERT(sizeof(struct ofp13_action_header) == 8);

struct ofp13_action_output {
    ovs_be16 type;              /* OFPAT_OUTPUT. */
    ovs_be16 len;               /* 16. */
    ovs_be32 port;
    ovs_be16 max_len;
    uint8_t pad[6];
};
OFP_ASSERT(sizeof(struct ofp13_action_output) == 16);

/* OFPAT_GROUP, OFPAT_SET_QUEUE: one 32-bit argument. */
struct ofp13_action_u32 {
    ovs_be16 type;
    ovs_be16 len;               /* 8. */
    ovs_be32 arg;
};
OFP_ASSERT(sizeof(struct ofp13_action_u32) == 8);

/* OFPAT_SET_MPLS_TTL, OFPAT_SET_NW_TTL. */
struct ofp13_action_ttl {
    ovs_be16 type;
    ovs_be16 len;               /* 8. */
    uint8_t ttl;
    uint8_t pad[3];
};
OFP_ASSERT(sizeof(struct ofp13_action_ttl) == 8);

/* OFPAT_PUSH_VLAN, OFPAT_PUSH_MPLS, OFPAT_POP_MPLS. */
struct ofp13_action_ethertype {
    ovs_be16 type;
    ovs_be16 len;               /* 8. */
    ovs_be16 ethertype;
    uint8_t pad[2];
};
OFP_ASSERT(sizeof(struct ofp13_action_ethertype) == 8);

/* OFPT_PACKET_IN of OpenFlow 1.3: ofp12_packet_in plus the cookie. */
struct ofp13_packet_in {
    struct ofp12_packet_in pi;
    ovs_be64 cookie;
};
OFP_ASSERT(sizeof(struct ofp13_packet_in) == 16);

#define WIRE_PULL(DST, SRC) memcpy(&(DST), (SRC), sizeof (DST))

static inline uint16_t get_be16(const void *p)
{
    uint16_t x; memcpy(&x, p, 2); return be16toh(x);
}
static inline uint32_t get_be32(const void *p)
{
    uint32_t x; memcpy(&x, p, 4); return be32toh(x);
}
static inline uint64_t get_be64(const void *p)
{
    uint64_t x; memcpy(&x, p, 8); return be64toh(x);
}
static inline void put_be16(void *p, uint16_t x)
{
    x = htobe16(x); memcpy(p, &x, 2);
}
static inline void put_be32(void *p, uint32_t x)
{
    x = htobe32(x); memcpy(p, &x, 4);
}
static inline void put_be64(void *p, uint64_t x)
{
    x = htobe64(x); memcpy(p, &x, 8);
}

#define ROUND_UP8(X) (((X) + 7) & ~(size_t) 7)

/* Sets '*err' and returns EPROTO: the error path of every decoder. */
#define OFP_FAIL(ERR, TYPE, CODE) \
    ((ERR)->type = (TYPE), (ERR)->code = (CODE), EPROTO)

#endif /* LAMINA_OFP_WIRE_PVT_H */
