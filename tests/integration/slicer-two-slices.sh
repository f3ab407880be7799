#!/bin/bash
# Two slices by IP prefix on one stock Open vSwitch bridge, each driven by
# its own os-ken controller through lamina-slicer: hosts ping within their
# slice, never across (captures), ports are renumbered in blue's view, the
# red controller authenticates with its secret, and every flow on the
# bridge carries its slice's tag and stays inside its flowspace.
#
#   h1 10.1.0.1 (red)  ─ p1 ┐                 ┌ p3 ─ h3 10.2.0.3 (blue)
#   h2 10.1.0.2 (red)  ─ p2 ┤  OVS br0 (0xa)  ├ p4 ─ h4 10.2.0.4 (blue)
#                           └────── p5 ───────┘
#              srv: shared, 10.1.0.5 (red) and 10.2.0.5 (blue) on eth0
#
# (The kernel here has no 802.1Q devices, so hosts cannot tag: the slices
# are IP-defined.  VLAN-defined slices are covered by the unit tests.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slicer-lib.sh"
lt_init slicer-two-slices 150

slicer_world s3cret
# The secret is kept in the state file but never shown to a client.
slicer config --json | grep -q s3cret && fail "config.get shows the secret"
[ "$(slicer config --json | json_get slices.0.secret)" = "(set)" ] ||
    fail "config.get does not say red has a secret"
grep -q s3cret "$LT_DIR/slicer.state" || fail "the state file lost the secret"

start_osken 6633 LAMINA_SLICE_SECRET=s3cret
start_osken 6634
wait_for "[ \"\$(slicer_stat red switches.0.controller)\" = up ] &&
          [ \"\$(slicer_stat blue switches.0.controller)\" = up ]" 60 ||
    { cat "$LT_DIR/slicer.log" >&2; fail "controllers did not come up"; }
info "both controllers up"

for h in h1 h2 h3 h4 srv; do
    capture_start "$h" eth0 "$LT_DIR/$h.pcap"
done
wait_for "nsx h1 ping -c 1 -W 1 10.1.0.2" 30 || fail "red: h1 cannot reach h2"
wait_for "nsx h1 ping -c 1 -W 1 10.1.0.5" 20 || fail "red: h1 cannot reach srv"
wait_for "nsx h3 ping -c 1 -W 1 10.2.0.4" 30 || fail "blue: h3 cannot reach h4"
wait_for "nsx h4 ping -c 1 -W 1 10.2.0.5" 20 || fail "blue: h4 cannot reach srv"
nsx h2 ping -c 3 -i 0.2 -W 1 10.1.0.1 >/dev/null || fail "red: h2 -> h1"
nsx h4 ping -c 3 -i 0.2 -W 1 10.2.0.3 >/dev/null || fail "blue: h4 -> h3"
# Across: red's h1 routes blue's prefix onto its link; the packets lie in
# no slice's flowspace, so nobody gets them.
nsx h1 ip route add 10.2.0.0/24 dev eth0
nsx h1 ping -c 2 -W 1 10.2.0.3 >/dev/null 2>&1 && fail "red reached blue's h3"
capture_stop

# (Each host's own frames are in its capture too: count the others'.)
for h in h1 h2; do
    n=$(capture_count "$LT_DIR/$h.pcap" net 10.2.0.0/24 and not ether src "$(mac_of "$h")")
    [ "$n" -eq 0 ] || fail "$h (red) received $n frames of blue"
done
for h in h3 h4; do
    n=$(capture_count "$LT_DIR/$h.pcap" net 10.1.0.0/24 and not ether src "$(mac_of "$h")")
    [ "$n" -eq 0 ] || fail "$h (blue) received $n frames of red"
done
[ "$(capture_count "$LT_DIR/h3.pcap" icmp)" -ge 3 ] ||
    fail "h3 saw no ICMP of its own slice"

# Every flow on the bridge belongs to a slice (cookie tag) and stays in
# that slice's flowspace and ports.
ofctl dump-flows br0 >"$LT_DIR/flows.txt"
cat "$LT_DIR/flows.txt" >&2
red=$(grep -c 'cookie=0x1' "$LT_DIR/flows.txt")
blue=$(grep -c 'cookie=0x2' "$LT_DIR/flows.txt")
[ "$red" -ge 3 ] && [ "$blue" -ge 3 ] || fail "expected flows of both slices ($red, $blue)"
check_flows_in_slices >"$LT_DIR/bad-flows.txt"
[ -s "$LT_DIR/bad-flows.txt" ] && { cat "$LT_DIR/bad-flows.txt" >&2; fail "flows outside their slice"; }
[ "$(slicer_stat red packet_ins)" -gt 0 ] || fail "red got no PACKET_IN"
[ "$(slicer_stat blue packet_ins)" -gt 0 ] || fail "blue got no PACKET_IN"
grep -q 'datapath 0002' "$LT_DIR/osken-6634.log" || fail "blue did not see its virtual dpid"
pass
