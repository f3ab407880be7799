/*
 * pktdesc: a test frame from a short description, for `lamina trace`.
 *
 * Either a hex dump ("hex:0200..." or just hex digits, spaces and colons
 * allowed between bytes), or comma-separated fields, each optional:
 *
 *   eth_src=MAC  eth_dst=MAC   (02:00:00:00:00:01, 02:00:00:00:00:02)
 *   vlan=VID                   an 802.1Q tag (1..4094)
 *   eth_type=N                 (0x0800 with ip_*, else 0x88b5)
 *   ip_src=A.B.C.D ip_dst=A.B.C.D   an IPv4 header (10.0.0.1, 10.0.0.2)
 *   proto=icmp|tcp|udp|N       (icmp: an echo request)
 *   tp_src=N tp_dst=N          TCP or UDP ports
 *   len=N                      frame length without FCS (60..2048, at
 *                              least the headers; default 60)
 *
 * e.g. "eth_dst=ff:ff:ff:ff:ff:ff,vlan=10" or
 * "ip_src=10.0.0.1,ip_dst=10.0.0.2,proto=udp,tp_dst=53".
 */
#ifndef LAMINA_PKTDESC_H
#define LAMINA_PKTDESC_H 1

#include <stddef.h>
#include <stdint.h>

#define PKTDESC_MAX_LEN 2048

/* Builds the frame 'desc' describes into 'frame' (PKTDESC_MAX_LEN bytes)
 * and its length into '*len'.  Returns 0, or EINVAL with a message naming
 * the field in 'err'. */
int pktdesc_build(const char *desc, uint8_t *frame, size_t *len,
                  char *err, size_t errsize);

#endif /* LAMINA_PKTDESC_H */
