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

sw_ns_init
ns_add h1; ns_add h2; ns_add h3; ns_add h4; ns_add srv
veth_add h1 eth0 p1 02:00:00:00:00:01 10.1.0.1/24
veth_add h2 eth0 p2 02:00:00:00:00:02 10.1.0.2/24
veth_add h3 eth0 p3 02:00:00:00:00:03 10.2.0.3/24
veth_add h4 eth0 p4 02:00:00:00:00:04 10.2.0.4/24
veth_add srv eth0 p5 02:00:00:00:00:05 10.1.0.5/24
nsx srv ip addr add 10.2.0.5/24 dev eth0
for p in p1 p2 p3 p4 p5; do sw_port_add "$p"; done
mac_of() { echo "02:00:00:00:00:0${1#h}"; }

start_ovs br0 000000000000000a p1 p2 p3 p4 p5
start_slicer
slicer slice add red --controller tcp:127.0.0.1:6633 --switch 0xa:1,2,5 \
    --secret s3cret >/dev/null || fail "slice add red"
# Blue sees its ports as 1, 2, 3.
slicer slice add blue --controller tcp:127.0.0.1:6634 --switch 0xa:3=1,4=2,5=3 \
    >/dev/null || fail "slice add blue"
# A slice's packets: IPv4 and ARP between addresses of its prefix.
slicer flowspace add red-ip red ipv4_src=10.1.0.0/24,ipv4_dst=10.1.0.0/24 >/dev/null &&
slicer flowspace add red-arp red arp_spa=10.1.0.0/24,arp_tpa=10.1.0.0/24 >/dev/null ||
    fail "flowspace red"
slicer flowspace add blue-ip blue ipv4_src=10.2.0.0/24,ipv4_dst=10.2.0.0/24 >/dev/null &&
slicer flowspace add blue-arp blue arp_spa=10.2.0.0/24,arp_tpa=10.2.0.0/24 >/dev/null ||
    fail "flowspace blue"
# Overlapping flowspace is refused (on the shared port 5).
slicer flowspace add blue-steal blue ipv4_dst=10.1.0.5 2>/dev/null &&
    fail "overlapping flowspace accepted"
slicer flowspace list | grep -q blue-steal && fail "refused entry listed"

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
grep -v 'OFPST_FLOW\|^ *$' "$LT_DIR/flows.txt" | while read -r line; do
    case "$line" in
    *cookie=0x1000000000000,*_s*=10.1.0.0/24,*) echo "$line" | grep -Eq 'in_port="?[^,]*p[125]"?,|in_port=[125],' || echo "BAD $line";;
    *cookie=0x2000000000000,*_s*=10.2.0.0/24,*) echo "$line" | grep -Eq 'in_port="?[^,]*p[345]"?,|in_port=[345],' || echo "BAD $line";;
    *) echo "BAD $line";;
    esac
done >"$LT_DIR/bad-flows.txt"
[ -s "$LT_DIR/bad-flows.txt" ] && { cat "$LT_DIR/bad-flows.txt" >&2; fail "flows outside their slice"; }
[ "$(slicer_stat red packet_ins)" -gt 0 ] || fail "red got no PACKET_IN"
[ "$(slicer_stat blue packet_ins)" -gt 0 ] || fail "blue got no PACKET_IN"
grep -q 'datapath 0002' "$LT_DIR/osken-6634.log" || fail "blue did not see its virtual dpid"
pass
