#!/bin/bash
# vlink-mpls: a virtual link of slice "green" over the substrate path
# s1 - s2 - s3, where s2 has no vnode of green (it only swaps labels).
# Ping works end to end, and a capture on the substrate link s1 - s2 (a
# veth pair, so tcpdump can see it) shows MPLS-labelled frames carrying
# the label the virtual link was given.  The link s2 - s3 is an
# in-process ring pair.
. "$(dirname "$0")/lib.sh"
lt_init vlink-mpls 90

LABEL=1000
ns_add h1
ns_add h3
veth_add h1 eth0 h1 02:00:00:00:00:01 10.1.0.1/24
veth_add h3 eth0 h3 02:00:00:00:00:03 10.1.0.3/24

# The substrate link s1 - s2: a veth pair in the root namespace.
L1=$(rif l1)
L2=$(rif l2)
ip link add "$L1" type veth peer name "$L2" || fail "veth pair for the substrate link"
LT_LINKS+=("$L1")
for i in "$L1" "$L2"; do
    ip link set "$i" mtu 1600
    lt_if_prepare "" "$i"
done

start_switchd
for s in s1 s2 s3; do lamina switch add $s || fail "switch add $s"; done
lamina link add l12 s1:to-s2 s2:to-s1 \
    --devargs-a "$(af_packet_devargs l1)" --devargs-b "$(af_packet_devargs l2)" ||
    fail "link add l12 over the veth pair"
lamina link add l23 s2:to-s3 s3:to-s2 || fail "link add l23 (rings)"
lamina port add s1 h1 "$(af_packet_devargs h1)" || fail "port add h1"
lamina port add s3 h3 "$(af_packet_devargs h3)" || fail "port add h3"
lamina slice add green || fail "slice add"
lamina vnode add green s1 || fail "vnode add green s1"
lamina vnode add green s3 || fail "vnode add green s3"
lamina vport add green s1 h1 h1 || fail "vport add h1"
lamina vport add green s3 h3 h3 || fail "vport add h3"
lamina vlink add green wan --path s1,s2,s3 --label $LABEL || fail "vlink add"

# s2 carries green but has no vnode of it.
[ "$(lamina --json stats vnode green | json_get vnodes.1.switch)" = s3 ] ||
    fail "green should have vnodes on s1 and s3 only"

capture_start - "$L1" "$LT_DIR/substrate.pcap"
wait_for "nsx h1 ping -c 1 -W 1 10.1.0.3" 20 || fail "h1 cannot reach h3 over the virtual link"
nsx h1 ping -c 5 -i 0.2 -W 1 10.1.0.3 >/dev/null || fail "pings lost over the virtual link"
capture_stop

all=$(capture_count "$LT_DIR/substrate.pcap")
mpls=$(capture_count "$LT_DIR/substrate.pcap" mpls $LABEL)
plain=$(capture_count "$LT_DIR/substrate.pcap" not mpls)
info "substrate link: $all frames, $mpls with MPLS label $LABEL, $plain without MPLS"
[ "$mpls" -ge 12 ] || fail "only $mpls MPLS frames with label $LABEL on the substrate link"
[ "$plain" -eq 0 ] || fail "$plain frames without MPLS on the substrate link"
tcpdump -nr "$LT_DIR/substrate.pcap" -c 2 2>/dev/null | sed 's/^/    /' >&2

# The transit switch swapped labels: both its link ports carried frames.
stats=$(lamina --json stats link) || fail "stats link"
for l in 0 1; do
    for e in 0 1; do
        tx=$(echo "$stats" | json_get "links.$l.ends.$e.tx_packets")
        [ "$tx" -ge 6 ] || fail "link $l end $e sent only $tx frames"
    done
done
pass
