/*
 * flowspace: the algebra of OpenFlow matches that slicing rests on.
 *
 * What?
 * -----
 * A slice owns a *flowspace*: a set of packets, written as a list of OXM
 * matches (struct ofp_match, "vlan_vid=10" or "eth_type=0x800,
 * ipv4_dst=10.1.0.0/16"), on some switches and ports.  Everything the
 * slicer enforces reduces to three questions about matches, each answered
 * field by field on the value/mask slots of struct ofp_match:
 *
 *   fs_match_intersect(a, b)   the packets both match (a match, or empty):
 *                              a FLOW_MOD is narrowed to the flowspace by
 *                              intersecting it with each flowspace entry;
 *   fs_match_covers(a, b)      every packet of b is in a (b is at least as
 *                              specific on every field of a): the rule of
 *                              non-strict MODIFY/DELETE and of flow stats;
 *   fs_match_has_packet(a, p)  a packet's headers (parsed into an exact
 *                              match 'p' by fs_packet_parse()) are in a:
 *                              who owns a PACKET_IN, may a PACKET_OUT send
 *                              these bytes.
 *
 * Intersection is exact for the fields OpenFlow 1.3 matches on: two
 * constraints on one field agree iff their values agree on the bits both
 * masks care about; the result takes the union of the masks.  A field that
 * only one side constrains is copied.  Because both inputs carry their
 * prerequisites (ipv4_dst needs eth_type=0x0800), a conflict between
 * protocols shows up as a conflict on eth_type or ip_proto.
 *
 * Text
 * ----
 * fs_match_parse() reads the form ofp_match_format() prints, plus what
 * people type: "vlan_vid=10" (the VID; OFPVID_PRESENT is added),
 * "vlan_vid=none", prefixes "10.0.0.0/8", masks "/255.255.0.0",
 * "/0xff00", and integer ranges "tcp_dst=1000-1999", VLAN sets
 * "vlan_vid=100-199" (VIDs, the tag present) or IPv4 ranges
 * "10.0.0.5-10.0.0.20", which are expanded into the fewest prefixes (one
 * match per prefix; at most FS_MAX_EXPANSION).  Missing prerequisites are
 * added (ipv4_dst implies eth_type=0x0800, tcp_dst implies ip_proto=6),
 * and the result is checked with ofp_match_validate().
 */
#ifndef LAMINA_SLICER_FLOWSPACE_H
#define LAMINA_SLICER_FLOWSPACE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ofp-match.h"

#define FS_MAX_EXPANSION 256

/* Stores a ∩ b in '*out' (may alias neither) and returns true, or returns
 * false if no packet matches both. */
bool fs_match_intersect(const struct ofp_match *a, const struct ofp_match *b,
                        struct ofp_match *out);

/* True if some packet matches both 'a' and 'b'. */
bool fs_match_overlaps(const struct ofp_match *a, const struct ofp_match *b);

/* True if every packet that 'b' matches is matched by 'a' (field by field:
 * 'b' constrains every field 'a' does, at least as tightly). */
bool fs_match_covers(const struct ofp_match *a, const struct ofp_match *b);

/* True if the packet 'pkt' (an exact match from fs_packet_parse()) is in
 * 'a'.  Fields 'a' constrains but the packet does not have (no TCP header
 * for tcp_dst) do not match. */
bool fs_match_has_packet(const struct ofp_match *a,
                         const struct ofp_match *pkt);

/* Fills 'pkt' with the header fields of the Ethernet frame 'data' of 'len'
 * bytes (exact values, every field the frame has: Ethernet, one VLAN tag,
 * MPLS, ARP, IPv4, IPv6, TCP, UDP, SCTP, ICMP), plus in_port when
 * 'in_port' is nonzero.  A frame without a VLAN tag gets vlan_vid=0
 * (OFPVID_NONE), as OpenFlow matches it.  Truncated headers end the parse
 * quietly: what was read is kept. */
void fs_packet_parse(const void *data, size_t len, uint32_t in_port,
                     struct ofp_match *pkt);

/* True if the value of field 'f' (storage bytes, as in ofp_match) lies in
 * 'a''s constraint on 'f' (always true if 'a' does not constrain 'f'). */
bool fs_match_field_allows(const struct ofp_match *a, enum ofp_field f,
                           const union ofp_value *v);

/* Parses 'text' (comma-separated field=value[/mask], "" or "any" for the
 * whole space) into up to 'max' matches (ranges expand to several).
 * Returns the number of matches (>= 1), or -1 with 'msg' saying which
 * field is wrong and why. */
int fs_match_parse(const char *text, struct ofp_match *out, size_t max,
                   char *msg, size_t msg_size);

/* Adds the prerequisites that 'm''s fields need and it lacks. */
void fs_match_add_prereqs(struct ofp_match *m);

/* Expands the integer range [lo, hi] of a 'bits'-wide field into prefixes:
 * stores up to 'max' (value, mask) pairs and returns how many were needed
 * (which may exceed 'max': then only the first 'max' are stored). */
size_t fs_range_to_prefixes(uint64_t lo, uint64_t hi, unsigned int bits,
                            uint64_t *values, uint64_t *masks, size_t max);

/* Text of 'm' into a static-free caller buffer: "any" when empty. */
char *fs_match_to_string(const struct ofp_match *m);   /* free() it */

#endif /* LAMINA_SLICER_FLOWSPACE_H */
