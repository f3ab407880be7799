#!/bin/bash
# openflow-vlan: tagged frames through a real lamina-switchd, compared byte
# for byte.  The kernel here has no 802.1Q devices, so hosts send tagged
# frames with a raw AF_PACKET socket (vlan_frames.py) and tcpdump captures
# what arrives (libpcap puts back the tag the kernel hands over beside the
# frame).
#
#   openflow vnode "red", flows from ovs-ofctl: v1 owns port p1 whole
#   (net_af_packet, DPDK's AF_PACKET device), v2 owns VLANs 10 and
#   100-199 of port p2 with their tags (Lamina's own afpacket port):
#     - a VID 10 frame is matched on vlan_vid and arrives as sent;
#     - an untagged one gets push_vlan + set_field vlan_vid 100;
#     - VID 20 PCP 1 gets set_field vlan_vid 150, vlan_pcp 5;
#     - VID 100 from h2 gets pop_vlan towards h1;
#     - an IPv6 Neighbor Solicitation gets set_field nd_target and nd_sll,
#       an SCTP packet set_field sctp_dst (checksums recomputed);
#     - a flow sending VID 30 out of v2 (not its VLAN) is dropped there
#       (not-owned-vlan), and VID 20 from h2 belongs to no one (no-binding);
#   l2learn vnode "blue" owning ports p3 and p4 whole: tagged and
#   double-tagged frames are carried transparently;
#   the bindings are in the state file and come back after a restart.
. "$(dirname "$0")/lib.sh"
lt_init openflow-vlan 90

command -v ovs-ofctl >/dev/null || skip "ovs-ofctl is not installed (openvswitch-common)"
command -v tcpdump >/dev/null || skip "tcpdump is not installed"
VF=$(dirname "$0")/vlan_frames.py

free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT=$(free_port)
T=tcp:127.0.0.1:$PORT
ofctl() { timeout 10 ovs-ofctl -O OpenFlow13 "$@" "$T"; }
ofctl_args() { local cmd=$1; shift; timeout 10 ovs-ofctl -O OpenFlow13 "$cmd" "$T" "$@"; }
send() { local h=$1; shift; nsx "$h" /usr/bin/python3 "$VF" send eth0 "$@" || fail "send from $h"; }
expect() { local f=$1; shift; /usr/bin/python3 "$VF" expect "$f" "$@" >&2 || fail "capture $f differs"; }
# drops KIND NAME PATH: one drop counter from `lamina stats`.
drops() { lamina --json stats "$1" "$2" | json_get "$3"; }

for h in 1 2 3 4; do
    ns_add "h$h"
    veth_add "h$h" eth0 "p$h" "02:00:00:00:00:0$h" -
done

start_switchd
lamina switch add s1 >/dev/null || fail "switch add"
lamina port add s1 p1 "$(af_packet_devargs p1)" || fail "port add p1"
lamina port add s1 p2 "afpacket:$(rif p2)" || fail "port add p2"
lamina port add s1 p3 "afpacket:$(rif p3)" || fail "port add p3"
lamina port add s1 p4 "$(af_packet_devargs p4)" || fail "port add p4"
lamina slice add red >/dev/null && lamina slice add blue >/dev/null || fail "slices"
lamina vnode add red s1 --fp openflow \
    --config "{\"listen\": \"ptcp:$PORT:127.0.0.1\", \"open\": true}" || fail "vnode add (openflow)"
lamina vnode add blue s1 >/dev/null || fail "vnode add (l2learn)"
lamina vport add red s1 v1 p1 --vlans all || fail "vport v1 (whole port)"
lamina vport add red s1 v2 p2 --vlans 10,100-199 --keep-tag || fail "vport v2 (VLAN set)"
lamina vport add blue s1 a p3 --vlans all && lamina vport add blue s1 b p4 --vlans all ||
    fail "vports blue"

# Refusals name the owner and change nothing.
lamina vport add blue s1 x p2 --vlan 150 2>"$LT_DIR/err" && fail "VLAN 150 of p2 bound twice"
grep -q "VLAN 150 on port s1/p2 is already bound to slice red" "$LT_DIR/err" ||
    fail "unclear error: $(cat "$LT_DIR/err")"
lamina vport add blue s1 x p1 2>"$LT_DIR/err" && fail "untagged binding on a whole port"
grep -q "bound whole" "$LT_DIR/err" || fail "unclear error: $(cat "$LT_DIR/err")"
lamina vport add blue s1 x p2 --vlans 5,6 2>"$LT_DIR/err" && fail "a set without --keep-tag"
grep -q "keep_tag" "$LT_DIR/err" || fail "unclear error: $(cat "$LT_DIR/err")"
lamina --json vport list red | grep -q '"100-199"' || fail "vport list: $(lamina --json vport list red)"

wait_for "ofctl show" 10 || fail "ovs-ofctl cannot reach the vnode on $T"
ofctl_args add-flow "priority=10,in_port=1,dl_vlan=10,actions=output:2" || fail "flow vid 10"
ofctl_args add-flow "priority=10,in_port=1,vlan_tci=0x0000/0x1fff,actions=push_vlan:0x8100,set_field:4196->vlan_vid,output:2" ||
    fail "flow push"
ofctl_args add-flow "priority=10,in_port=1,dl_vlan=20,actions=set_field:4246->vlan_vid,set_field:5->vlan_pcp,output:2" ||
    fail "flow set vid/pcp"
ofctl_args add-flow "priority=10,in_port=1,dl_vlan=30,actions=output:2" || fail "flow vid 30"
ofctl_args add-flow "priority=10,in_port=2,dl_vlan=100,actions=pop_vlan,output:1" || fail "flow pop"
# Layer 3/4 rewrites on tagged frames, checksums recomputed (ICMPv6 for
# the ND fields, CRC-32C for SCTP): compared byte for byte too.
ofctl_args add-flow "priority=20,in_port=1,dl_vlan=10,icmp6,icmp_type=135,nd_target=2001:db8::7,actions=set_field:2001:db8::9->nd_target,set_field:02:00:00:00:00:0a->nd_sll,output:2" ||
    fail "flow nd"
ofctl_args add-flow "priority=20,in_port=1,dl_vlan=10,sctp,sctp_dst=2000,actions=set_field:3000->sctp_dst,output:2" ||
    fail "flow sctp"

# Table features: the ND fields match and set; eth_type and ip_proto
# match but are not settable (the codec refuses them with
# OFPBAC_BAD_SET_TYPE: test_ofp.c; ovs-ofctl will not even send them).
ofctl dump-table-features >"$LT_DIR/tf.txt" 2>&1 || fail "dump-table-features: $(cat "$LT_DIR/tf.txt")"
setf=$(grep -m1 "supported on Set-Field" "$LT_DIR/tf.txt")
echo "$setf" | grep -q "nd_{target,sll,tll}" || fail "set-field features: $setf"
echo "$setf" | grep -Eq "eth_type|nw_proto" && fail "set-field features list eth_type/ip_proto: $setf"
grep -m1 "exact match or wildcard" "$LT_DIR/tf.txt" | grep -q "nd_{target,sll,tll}" ||
    fail "match features: $(cat "$LT_DIR/tf.txt")"
capture_start h1 eth0 "$LT_DIR/h1.pcap"
capture_start h2 eth0 "$LT_DIR/h2.pcap"
capture_start h3 eth0 "$LT_DIR/h3.pcap"
capture_start h4 eth0 "$LT_DIR/h4.pcap"
send h1 1-2-1-10.3 1-2-2- 1-2-3-20.1 1-2-4-30.0 1-2-11-10.0-nd=7.5 1-2-12-10.0-sctp=1000.2000
send h2 2-1-5-100.6 2-1-6-20.0
send h3 3-4-7-10.3 3-4-8-300.2,20.5 3-4-9-
send h4 4-3-10-4000.7
wait_for "[ \$(capture_count '$LT_DIR/h2.pcap' ether src 02:00:00:00:00:01) -ge 5 ] &&
          [ \$(capture_count '$LT_DIR/h1.pcap' ether src 02:00:00:00:00:02) -ge 1 ] &&
          [ \$(capture_count '$LT_DIR/h4.pcap' ether src 02:00:00:00:00:03) -ge 3 ] &&
          [ \$(capture_count '$LT_DIR/h3.pcap' ether src 02:00:00:00:00:04) -ge 1 ]" 10 ||
    info "not every frame arrived within 10 s"
wait_for "[ \"\$(drops port p2 ports.0.drops.no-binding)\" = 1 ]" 5 ||
    fail "VID 20 into p2 was not dropped as no-binding: $(lamina --json stats port p2)"
capture_stop

# h2 sees its own two frames go out, then what the flows made of h1's.
expect "$LT_DIR/h2.pcap" 2-1-5-100.6 2-1-6-20.0 1-2-1-10.3 1-2-2-100.0 1-2-3-150.5 \
    1-2-11-10.0-nd=9.10 1-2-12-10.0-sctp=1000.3000
expect "$LT_DIR/h1.pcap" 1-2-1-10.3 1-2-2- 1-2-3-20.1 1-2-4-30.0 2-1-5- \
    1-2-11-10.0-nd=7.5 1-2-12-10.0-sctp=1000.2000
expect "$LT_DIR/h4.pcap" 4-3-10-4000.7 3-4-7-10.3 3-4-8-300.2,20.5 3-4-9-
expect "$LT_DIR/h3.pcap" 3-4-7-10.3 3-4-8-300.2,20.5 3-4-9- 4-3-10-4000.7

# l2learn learned h3 per (VLAN, MAC): in VLAN 10, in VLAN 300 (the outer
# of two tags) and untagged, three entries.
lamina --json vnode dump blue s1 | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
d = d.get("dump", d)
got = sorted(e.get("vlan", -1) for e in d["macs"] if e["mac"] == "02:00:00:00:00:03")
sys.exit(0 if got == [-1, 10, 300] else "h3 learned in VLANs %s, want untagged, 10, 300" % got)' ||
    fail "l2learn per-VLAN entries: $(lamina --json vnode dump blue s1)"
n=$(lamina --json stats vnode red | json_get vnodes.0.vports.1.drops.not-owned-vlan)
[ "$n" = 1 ] || fail "VID 30 out of v2: not-owned-vlan $n: $(lamina --json stats vnode red)"
flows=$(ofctl dump-flows)
for f in "dl_vlan=10" "vlan_tci=0x0000/0x1fff" "dl_vlan=20" "dl_vlan=100"; do
    echo "$flows" | grep "$f" | grep -q "n_packets=1" || fail "flow $f did not count 1: $flows"
done
info "tagged frames matched, pushed, rewritten, popped and carried byte for byte"

# The bindings survive a restart: the state file replays them as given.
before=$(lamina --json switch config)
stop_switchd KILL
start_switchd
after=$(lamina --json switch config)
[ "$before" = "$after" ] || fail "configuration differs after the restart: $after"
echo "$after" | grep -q '"100-199"' || fail "the VLAN set is not in the configuration"
pass
