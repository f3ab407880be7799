#!/bin/bash
# tunnel-mplsudp: two lamina-switchd processes on two "machines" (network
# namespaces) joined by a veth underlay carry slice green between a host
# on each, over an MPLS-in-UDP tunnel (RFC 7510).  Checks: the hosts ping
# each other; a capture on the underlay decodes as MPLS-in-UDP (UDP to
# 6635, label 1000, source ports in 49152..65535) and holds nothing but
# the tunnel and ARP; each switch resolved its next hop by ARP (the
# neighbour has the peer's underlay MAC) and answered the peer's ARP
# itself (the underlay interfaces have no kernel address); the kernel's
# IP stack in mb sees none of the datagrams to mb's underlay address (the
# switch's tc ingress filter drops them after its packet socket has them)
# and the filter goes with the last tunnel, and is not put on an address
# the kernel owns; refusals; mb's switchd restarts from its state file
# with the tunnel.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tunnel-lib.sh"
lt_init tunnel-mplsudp 90

tun_two_machines_up
capture_start ma ul "$LT_DIR/underlay.pcap"
tun_two_machines_config
wait_for "nsx ha ping -c 1 -W 1 10.1.0.2" 20 || {
    tunl ma --json stats port >&2
    fail "ha cannot reach hb across the tunnel"
}
nsx ha ping -c 5 -i 0.2 -W 1 10.1.0.2 >/dev/null || fail "pings lost across the tunnel"
# A few TCP-like flows of different ports: entropy in the source port.
for p in 5001 5002 5003 5004; do
    nsx ha bash -c "echo x >/dev/udp/10.1.0.2/$p" 2>/dev/null
done
capture_stop

f=$LT_DIR/underlay.pcap
all=$(tun_pcap_count "$f")
udp=$(tun_pcap_count "$f" udp dst port 6635)
mpls=$(tcpdump -r "$f" -n udp dst port 6635 2>/dev/null | grep -c "^[0-9].*MPLS (label $TUN_LABEL")
arp=$(tun_pcap_count "$f" arp)
other=$(tun_pcap_count "$f" not arp and not udp dst port 6635)
info "underlay: $all frames, $udp UDP/6635, $mpls decoded as MPLS label $TUN_LABEL, $arp ARP, $other other"
tcpdump -r "$f" -n -c 2 udp dst port 6635 2>/dev/null | grep '^[0-9]' | sed 's/^/    /' >&2
[ "$udp" -ge 12 ] || fail "only $udp MPLS-in-UDP datagrams on the underlay"
[ "$mpls" -eq "$udp" ] || fail "$mpls of $udp datagrams to 6635 decode as MPLS label $TUN_LABEL"
[ "$other" -eq 0 ] || fail "$other frames on the underlay are neither ARP nor the tunnel"
bad=$(tcpdump -r "$f" -n udp dst port 6635 2>/dev/null | grep '^[0-9]' |
      awk '{split($3, a, "."); if (a[5] < 49152) n++} END {print n + 0}')
[ "$bad" -eq 0 ] || fail "$bad datagrams have a UDP source port below 49152"
ports=$(tcpdump -r "$f" -n udp dst port 6635 2>/dev/null | grep '^[0-9]' |
        awk '{split($3, a, "."); print a[5]}' | sort -u | wc -l)
[ "$ports" -ge 2 ] || fail "every flow has the same UDP source port ($ports distinct)"

# ARP: each switch resolved the other's underlay MAC and answered ARP.
for m in ma mb; do
    [ "$(tun_stat $m tunnel.neighbour.resolved)" = True ] || fail "$m: next hop not resolved"
    [ "$(tun_stat $m tunnel.counters.neighbour_learned)" -ge 1 ] || fail "$m: learned no ARP"
done
# The first switch to ask learns from the other's answer; the other may
# have learned from that request already and never need to ask.
asked=$(( $(tun_stat ma tunnel.counters.neighbour_requests_sent) + $(tun_stat mb tunnel.counters.neighbour_requests_sent) ))
[ "$asked" -ge 1 ] || fail "no switch sent an ARP request for its next hop"
answered=$(( $(tun_stat ma tunnel.underlay_neighbour_answered) + $(tun_stat mb tunnel.underlay_neighbour_answered) ))
[ "$answered" -ge 1 ] || fail "no switch answered an ARP request for its underlay address"
[ "$(tun_stat ma tunnel.neighbour.mac)" = "$TUN_MAC_B" ] ||
    fail "ma's neighbour is $(tun_stat ma tunnel.neighbour.mac), not mb's underlay $TUN_MAC_B"
[ "$(tun_stat mb tunnel.neighbour.mac)" = "$TUN_MAC_A" ] || fail "mb's neighbour is not ma's underlay"
replies=$(tcpdump -r "$f" -n arp 2>/dev/null | grep -c "is-at")
[ "$replies" -ge 1 ] || fail "no ARP reply on the underlay"
tunl ma stats port tun >"$LT_DIR/stats.txt" || fail "lamina stats port tun"
sed 's/^/    /' "$LT_DIR/stats.txt" >&2
ip -n "$(ns ma)" -4 addr show dev ul | grep -q inet && fail "the underlay has a kernel address"

# The datagrams to mb's underlay address are the switch's alone: mb's
# kernel receives no IP packet while 50 more cross (before, it routed
# each one and dropped it).
ip_in() { nsx mb cat /proc/net/snmp | awk '/^Ip: [0-9]/ {print $4}'; }
for m in ma mb; do
    [ "$(tun_stat $m tunnel.underlay_kernel_off)" = True ] ||
        fail "$m: the kernel's stack still sees the underlay: $(tun_stat $m tunnel.underlay_kernel_why)"
done
k0=$(ip_in) d0=$(tun_stat mb tunnel.counters.decapsulated)
nsx ha ping -c 50 -i 0.01 -W 1 -q 10.1.0.2 >/dev/null || fail "pings lost across the tunnel"
k1=$(ip_in) d1=$(tun_stat mb tunnel.counters.decapsulated)
info "mb: $((d1 - d0)) frames decapsulated, kernel IP InReceives +$((k1 - k0))"
[ $((d1 - d0)) -ge 50 ] || fail "mb decapsulated only $((d1 - d0)) of 50 pings"
[ $((k1 - k0)) -lt 5 ] || fail "mb's kernel received $((k1 - k0)) IP packets on the underlay"

# The tunnel port is a border port: a vport on it or its underlay is refused.
tunl ma vport add green sma bad ul 2>/dev/null && fail "vport add on the underlay accepted"
tunl ma port del sma ul 2>/dev/null && fail "the underlay of a tunnel was deleted"
tunl ma port add sma tun2 "mplsudp:underlay=ul,local=$TUN_IP_A,remote=$TUN_IP_B" 2>/dev/null &&
    fail "a second tunnel to the same remote accepted"
err=$(tunl ma port add sma tun3 "mplsudp:underlay=ul,local=$TUN_IP_A" 2>&1) &&
    fail "a tunnel without a remote accepted"
echo "$err" | grep -q "remote" || fail "the refusal does not name what is missing: $err"

# The tunnel is in the state file: mb restarts with it and ha reaches hb.
lt_stop_pid "$TUN_PID_mb"
tun_switchd mb
[ "$(tunl mb --json port list | json_get 2.devargs)" = \
  "mplsudp:underlay=ul,local=$TUN_IP_B,remote=$TUN_IP_A" ] || fail "mb's tunnel not restored"
wait_for "nsx ha ping -c 1 -W 1 10.1.0.2" 20 || fail "ha cannot reach hb after mb restarted"

# The filter goes with the underlay's last tunnel (and the clsact qdisc
# the switch added for it).
tc -n "$(ns ma)" filter show dev ul ingress | grep -q lamina_claim || fail "no tc filter on ma's underlay"
tunl ma vlink del green wan && tunl ma port del sma tun || fail "ma: deleting the tunnel"
tc -n "$(ns ma)" qdisc show dev ul | grep -q clsact && fail "ma's underlay keeps the clsact qdisc"

# An address the kernel owns is not taken from it: the tunnel works as
# before, without the filter, and says why.
ip -n "$(ns ma)" addr add "$TUN_IP_A/24" dev ul || fail "ma: adding a kernel address"
tunl ma port add sma tun "mplsudp:underlay=ul,local=$TUN_IP_A,remote=$TUN_IP_B" ||
    fail "ma: a tunnel from the kernel's own address refused"
why=$(tun_stat ma tunnel.underlay_kernel_why)
[ "$(tun_stat ma tunnel.underlay_kernel_off)" = False ] || fail "ma: the kernel's own address was claimed"
echo "$why" | grep -q "kernel owns $TUN_IP_A" || fail "ma: the reason does not say the kernel owns it: $why"
tc -n "$(ns ma)" filter show dev ul ingress 2>/dev/null | grep -q lamina_claim &&
    fail "a tc filter on the kernel's own address"
pass
