/*
 * Lamina's stand-in for Open vSwitch's <openvswitch/types.h>.
 *
 * The OpenFlow wire structs come unchanged from Open vSwitch's
 * include/openflow/ headers (extracted at configure time from the
 * openvswitch-source package).  Those headers need a handful of types from
 * OVS; this file defines exactly those, written for Lamina, so that no other
 * OVS code is pulled in.  Values of the ovs_be* types are in network byte
 * order; the codec never dereferences them in place (see ofp-wire.h).
 */
#ifndef LAMINA_OPENVSWITCH_TYPES_COMPAT_H
#define LAMINA_OPENVSWITCH_TYPES_COMPAT_H 1

#include <stdint.h>

typedef uint16_t ovs_be16;
typedef uint32_t ovs_be32;
typedef uint64_t ovs_be64;

/* A 64-bit big-endian value that the wire only aligns on 32 bits: the high
 * word comes first in memory, as on the wire. */
typedef struct {
    ovs_be32 hi, lo;
} ovs_32aligned_be64;

/* OpenFlow 1.0 port numbers (16 bit) and 1.1+ port numbers (32 bit). */
typedef uint16_t ofp_port_t;
typedef uint32_t ofp11_port_t;
#define OFP_PORT_C(X) ((ofp_port_t) (X))
#define OFP11_PORT_C(X) ((ofp11_port_t) (X))

/* An Ethernet address as it sits in a wire struct. */
struct eth_addr {
    union {
        uint8_t ea[6];
        ovs_be16 be16[3];
    };
};

#endif /* LAMINA_OPENVSWITCH_TYPES_COMPAT_H */
