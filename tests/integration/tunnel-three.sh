#!/bin/bash
# tunnel-three: three lamina-switchd "machines" (namespaces ma, mb, mc) on
# one underlay, a Linux bridge in namespace net.  Slice green has hosts on
# ma and mc only; mb carries its virtual link as a transit vlink from one
# tunnel to another (border_in on to-a with label 1000, border on to-c
# with label 2000) over two switches sb - sb2 joined inside mb; both
# tunnels use mb's one underlay port, on sb (to-c from sb2, as
# "sb/ul").  Checks: ha reaches hc; mb resolved both next hops and
# decapsulated on both tunnels; the underlay carries only ARP and
# MPLS-in-UDP; an underlay on a switch added later is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tunnel-lib.sh"
lt_init tunnel-three 90

for n in ma mb mc ha hc net; do ns_add "$n"; done
tun_bridge_underlay ma mb mc
veth_link ha eth0 02:00:00:00:01:01 10.1.0.1/24 ma host 02:00:00:00:01:fe -
veth_link hc eth0 02:00:00:00:03:01 10.1.0.3/24 mc host 02:00:00:00:03:fe -
for m in ma mb mc; do tun_switchd "$m"; done

ip_of() { case $1 in a) echo 192.0.2.1;; b) echo 192.0.2.2;; c) echo 192.0.2.3;; esac; }
for m in a b c; do
    tunl "m$m" switch add "s$m" && tunl "m$m" port add "s$m" ul afpacket:ul ||
        fail "m$m: switch and underlay"
    tunl "m$m" slice add green >/dev/null || fail "m$m: slice"
done
tun_port() {   # tun_port M PEER
    tunl "m$1" port add "s$1" "to-$2" \
        "mplsudp:underlay=ul,local=$(ip_of "$1"),remote=$(ip_of "$2")" || fail "m$1: tunnel to $2"
}
tun_port a b; tun_port b a; tun_port c b
tunl mb switch add sb2 && tunl mb link add b-b2 sb:to-b2 sb2:to-b ||
    fail "mb: second switch and its link"
tunl mb port add sb2 to-c "mplsudp:underlay=sb/ul,local=$(ip_of b),remote=$(ip_of c)" ||
    fail "mb: tunnel to c from sb2 over sb's underlay"
tunl mb port add sb2 ul2 afpacket:lo || fail "mb: port ul2"
err=$(tunl mb port add sb bad "mplsudp:underlay=sb2/ul2,local=192.0.2.9,remote=192.0.2.8" 2>&1) &&
    fail "an underlay on a switch added after the tunnel's was accepted"
echo "$err" | grep -q "added before" || fail "unclear refusal: $err"
tunl mb port del sb2 ul2 || fail "mb: port del ul2"
for m in a c; do
    tunl "m$m" port add "s$m" host afpacket:host && tunl "m$m" vnode add green "s$m" &&
        tunl "m$m" vport add green "s$m" h host || fail "m$m: host, vnode, vport"
done
tunl ma vlink add green wan --path sa --border '{"port":"to-b","label":1000}' >/dev/null ||
    fail "ma: border vlink"
tunl mb vlink add green wan --path sb,sb2 --border-in '{"port":"to-a","label":1000}' \
    --border '{"port":"to-c","label":2000}' >/dev/null || fail "mb: transit vlink over two tunnels"
tunl mc vlink add green wan --path sc --border '{"port":"to-b","label":2000}' >/dev/null ||
    fail "mc: border vlink"

capture_start net br0 "$LT_DIR/underlay.pcap"
wait_for "nsx ha ping -c 1 -W 1 10.1.0.3" 20 || fail "ha cannot reach hc through mb"
nsx ha ping -c 5 -i 0.2 -W 1 10.1.0.3 >/dev/null || fail "pings lost through mb"
capture_stop

stat() { tunl "$1" --json stats port "$2" | json_get "ports.0.$3"; }
for p in to-a to-c; do
    [ "$(stat mb $p tunnel.neighbour.resolved)" = True ] || fail "mb: $p's next hop not resolved"
    [ "$(stat mb $p tunnel.counters.decapsulated)" -ge 6 ] || fail "mb: little decapsulated on $p"
    [ "$(stat mb $p tunnel.counters.encapsulated)" -ge 6 ] || fail "mb: little encapsulated on $p"
done
[ "$(stat mb to-c tunnel.neighbour.mac)" = 02:00:00:00:03:aa ] || fail "mb: to-c's neighbour is not mc"
other=$(tun_pcap_count "$LT_DIR/underlay.pcap" not arp and not udp dst port 6635)
l1000=$(tcpdump -r "$LT_DIR/underlay.pcap" -n udp dst port 6635 2>/dev/null | grep -c "^[0-9].*MPLS (label 1000")
l2000=$(tcpdump -r "$LT_DIR/underlay.pcap" -n udp dst port 6635 2>/dev/null | grep -c "^[0-9].*MPLS (label 2000")
info "underlay bridge: $l1000 datagrams with label 1000 (a-b), $l2000 with 2000 (b-c), $other other"
[ "$l1000" -ge 12 ] && [ "$l2000" -ge 12 ] || fail "labels 1000/2000: $l1000/$l2000 datagrams"
[ "$other" -eq 0 ] ||
    fail "$other frames on the underlay are neither ARP nor the tunnels: $(tcpdump -r "$LT_DIR/underlay.pcap" -nev not arp and not udp dst port 6635 2>/dev/null | head -4)"
pass
