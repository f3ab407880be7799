#!/bin/bash
# hetero-slices: three slices at once on one lamina-switchd, each with its
# own forwarding logic, and hosts with the same MAC addresses in all
# three (and the same IPv4 addresses in the two that carry them):
#   - v4: an openflow vnode driven by lamina-sp's L3 app (IPv4 routing
#     between 10.0.1.0/24 and 10.0.2.0/24);
#   - r6: an ebpf vnode running the ipv6_router example (2001:db8:1::/64
#     and 2001:db8:2::/64);
#   - xn: an ebpf vnode running the xnet_router example (a non-IP
#     protocol of ethertype 0x88b5).
# All three carry traffic at the same time; captures on every host show
# that each host sees its own slice's frames only.  The steps are in
# hetero-lib.sh, which `make demo` (scripts/demo.sh) shows as well.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hetero-lib.sh"
lt_init hetero-slices 150

hetero_setup
hetero_traffic 30
hetero_check 30
pass
