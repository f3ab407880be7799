#!/bin/bash
# make demo: Lamina in two minutes.
#
# One lamina-switchd holds three substrate switches, s1 - s2 - s3, linked
# inside the process.  Two slices, red and blue, each have two hosts
# (network namespaces on veths) that use the SAME MAC and IP addresses in
# both slices.  Each slice has a vnode on s1 and s3 and a virtual link
# between them over s2, which only switches labels.  We ping in both
# slices, let blue flood, and show from the switch's counters and from a
# capture on every host that each slice reached only its own hosts.
#
# usage: scripts/demo.sh [BUILD_DIR]     (as root; everything is removed at the end)
set -u
BUILD=$(cd "${1:-build}" && pwd)
export LAMINA_BUILD=$BUILD
. "$(dirname "$0")/../tests/integration/lib.sh"

if [ -t 1 ]; then
    bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
    bold() { printf '\n== %s\n' "$*"; }
fi
say() { printf '   %s\n' "$*"; }
show() { printf '   $ lamina %s\n' "$*"; lamina "$@" | sed 's/^/     /'; }

lt_init demo 180

bold "The substrate: three switches in one lamina-switchd, linked inside the process"
start_switchd
for s in s1 s2 s3; do lamina switch add $s >/dev/null || fail "switch add $s"; done
lamina link add l12 s1:to-s2 s2:to-s1 --rate 1G --delay 100us >/dev/null || fail "link l12"
lamina link add l23 s2:to-s3 s3:to-s2 --rate 1G --delay 100us >/dev/null || fail "link l23"
show link list

bold "Hosts: red and blue use the same addresses"
MAC1=02:00:00:00:00:01 MAC2=02:00:00:00:00:02
printf '   %-8s %-18s %-12s %s\n' host MAC IP "attached to"
for slice in red blue; do
    c=${slice:0:1}
    ns_add "$slice-h1"
    ns_add "$slice-h2"
    veth_add "$slice-h1" eth0 "${c}1" $MAC1 10.0.0.1/24
    veth_add "$slice-h2" eth0 "${c}2" $MAC2 10.0.0.2/24
    lamina port add s1 "$slice-h1" "$(af_packet_devargs "${c}1")" >/dev/null || fail "port"
    lamina port add s3 "$slice-h2" "$(af_packet_devargs "${c}2")" >/dev/null || fail "port"
    printf '   %-8s %-18s %-12s %s\n' "$slice-h1" $MAC1 10.0.0.1 "s1 port $slice-h1" \
        "$slice-h2" $MAC2 10.0.0.2 "s3 port $slice-h2"
done
say "(network namespaces $(ns red-h1), $(ns blue-h1), ...)"

bold "Slices: a vnode on s1 and s3 each, a virtual link s1 -> s2 -> s3"
lamina slice add red --guarantee 100M >/dev/null || fail "slice red"
lamina slice add blue --guarantee 100M --policer 200M >/dev/null || fail "slice blue"
for slice in red blue; do
    for s in s1 s3; do lamina vnode add $slice $s >/dev/null || fail "vnode"; done
    lamina vport add $slice s1 h1 "$slice-h1" >/dev/null || fail "vport"
    lamina vport add $slice s3 h2 "$slice-h2" >/dev/null || fail "vport"
    lamina vlink add $slice wan --path s1,s2,s3 >/dev/null || fail "vlink"
done
show slice list
show vlink list
say "s2 has no vnode: it only swaps MPLS labels (Ethernet over MPLS)."

for h in red-h1 red-h2 blue-h1 blue-h2; do
    capture_start "$h" eth0 "$LT_DIR/$h.pcap"
done

bold "Traffic: ping in each slice (payload aa.. in red, bb.. in blue)"
for slice in red blue; do
    p=$([ $slice = red ] && echo aa || echo bb)
    wait_for "nsx $slice-h1 ping -c 1 -W 1 -p $p 10.0.0.2" 20 || fail "$slice: no reply"
    printf '   %s-h1 -> 10.0.0.2: ' $slice
    nsx "$slice-h1" ping -c 5 -i 0.2 -W 1 -p $p 10.0.0.2 | grep -E 'packets transmitted|rtt' |
        tr '\n' ' '
    echo
done

bold "Blue floods its far host for 3 s at 300 Mbit/s, over its 200 Mbit/s policer; red pings on"
bg_start ip netns exec "$(ns blue-h1)" "$BUILD/tools/lamina-gen" send --iface eth0 \
    --src-mac $MAC1 --dst-mac $MAC2 --bps 300M --size 1000 --duration 3
FLOOD=$LT_LAST_PID
printf '   red-h1 -> 10.0.0.2 meanwhile: '
nsx red-h1 ping -c 10 -i 0.2 -W 1 -p aa 10.0.0.2 | grep -E 'packets transmitted|rtt' | tr '\n' ' '
echo
wait "$FLOOD" 2>/dev/null
capture_stop

bold "Per-slice counters from the switch (rx: from the slice's hosts, tx: to them)"
show stats slice
say "Blue's excess was dropped by its own policer, on its own ingress port." 
bold "Per-vport counters: each slice's frames left only by its own hosts' ports"
for slice in red blue; do
    lamina --json stats vnode $slice | /usr/bin/python3 -c '
import json, sys
for vn in json.load(sys.stdin)["vnodes"]:
    for vp in vn["vports"]:
        print("   %-5s %-3s %-8s port %-8s rx %7d  tx %7d" % (vn["slice"], vn["switch"],
              vp["name"], vp["port"], vp["rx_packets"], vp["tx_packets"]))'
done

bold "What every host captured (ICMP by payload pattern)"
RED='icmp and icmp[24:4] = 0xaaaaaaaa'
BLUE='icmp and icmp[24:4] = 0xbbbbbbbb'
ok=1
for h in red-h1 red-h2 blue-h1 blue-h2; do
    r=$(capture_count "$LT_DIR/$h.pcap" "$RED")
    b=$(capture_count "$LT_DIR/$h.pcap" "$BLUE")
    printf '   %-8s red ICMP %3d   blue ICMP %3d\n' "$h" "$r" "$b"
    case $h in
    red-*) [ "$b" -eq 0 ] && [ "$r" -gt 0 ] || ok=0 ;;
    blue-*) [ "$r" -eq 0 ] && [ "$b" -gt 0 ] || ok=0 ;;
    esac
done
[ $ok = 1 ] || fail "a host saw another slice's packets"

bold "Done"
say "Same addresses, one substrate, no packet crossed between red and blue."
say "Next: README.md (the CLI), docs/design.md, make test, make bench."
pass "everything it made is being removed"
