#!/bin/bash
# tunnel-ipv6: an MPLS-in-UDP tunnel over an IPv6 underlay between two
# switchds on two "machines".  Checks: the hosts reach each other (IPv4
# and IPv6 inside); the capture decodes as MPLS-in-UDP over IPv6 with
# correct UDP checksums; each switch resolved its next hop by neighbour
# discovery (NS answered by NA, no kernel address on the underlay), and
# mb's kernel receives none of the datagrams (the switch's tc filter); the
# inner MTU is 1430 and too-big packets get ICMP frag-needed (inner
# IPv4 with DF) and ICMPv6 packet-too-big (inner IPv6) back; BFD on the
# tunnel runs over the IPv6 underlay (UDP to 3784, checksum right, hop
# limit 255), comes Up, goes Down on a cut and Up again.
. "$(dirname "$0")/lib.sh"
TUN_IP_A=2001:db8::1
TUN_IP_B=2001:db8::2
. "$(dirname "$0")/tunnel-lib.sh"
lt_init tunnel-ipv6 90

tun_two_machines_up
for h in ha:1 hb:2; do
    nsx "${h%:*}" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.eth0.disable_ipv6=0
    nsx "${h%:*}" ip -6 addr add "fd00::${h#*:}/64" dev eth0 nodad || fail "IPv6 address on ${h%:*}"
done
capture_start ma ul "$LT_DIR/underlay.pcap"
tun_two_machines_config
wait_for "nsx ha ping -c 1 -W 1 10.1.0.2" 20 || fail "ha cannot reach hb across the IPv6 tunnel"
nsx ha ping -c 3 -i 0.2 -W 1 10.1.0.2 >/dev/null || fail "IPv4 pings lost across the IPv6 tunnel"
wait_for "nsx ha ping -6 -c 1 -W 1 fd00::2" 10 || fail "no IPv6 inside the IPv6 tunnel"
capture_stop

f=$LT_DIR/underlay.pcap
udp=$(tun_pcap_count "$f" ip6 and udp dst port 6635)
mpls=$(tcpdump -r "$f" -n ip6 and udp dst port 6635 2>/dev/null | grep -c "^[0-9].*MPLS (label $TUN_LABEL")
sumok=$(tcpdump -vv -r "$f" -n ip6 and udp dst port 6635 2>/dev/null | grep -c "udp sum ok")
ns=$(tcpdump -r "$f" -n icmp6 2>/dev/null | grep -c "neighbor solicitation")
na=$(tcpdump -r "$f" -n icmp6 2>/dev/null | grep -c "neighbor advertisement")
other=$(tun_pcap_count "$f" not icmp6 and not udp dst port 6635)
info "underlay: $udp MPLS-in-UDP/IPv6 ($mpls label $TUN_LABEL, $sumok checksums ok), NS $ns, NA $na, $other other"
tcpdump -r "$f" -n -c 1 ip6 and udp dst port 6635 2>/dev/null | grep '^[0-9]' | sed 's/^/    /' >&2
[ "$udp" -ge 8 ] || fail "only $udp MPLS-in-UDP datagrams over IPv6"
[ "$mpls" -eq "$udp" ] || fail "$mpls of $udp datagrams decode as MPLS label $TUN_LABEL"
[ "$sumok" -eq "$udp" ] || fail "$sumok of $udp UDP checksums are right"
[ "$ns" -ge 1 ] && [ "$na" -ge 1 ] || fail "no neighbour solicitation/advertisement on the underlay"
[ "$other" -eq 0 ] || fail "$other frames on the underlay are neither ND nor the tunnel"
for m in ma mb; do
    [ "$(tun_stat $m tunnel.neighbour.resolved)" = True ] || fail "$m: next hop not resolved by ND"
done
[ "$(tun_stat ma tunnel.neighbour.mac)" = "$TUN_MAC_B" ] || fail "ma's neighbour is not mb's underlay"
[ "$(tun_stat mb tunnel.remote)" = "$TUN_IP_A" ] || fail "mb's remote is $(tun_stat mb tunnel.remote)"
# The kernel's IPv6 stack in mb receives none of the datagrams to mb's
# underlay address (the switch's tc filter, as over IPv4).
ip6_in() { nsx mb awk '$1 == "Ip6InReceives" {print $2}' /proc/net/snmp6; }
[ "$(tun_stat mb tunnel.underlay_kernel_off)" = True ] ||
    fail "mb: the kernel's stack still sees the underlay: $(tun_stat mb tunnel.underlay_kernel_why)"
k0=$(ip6_in)
nsx ha ping -c 50 -i 0.01 -W 1 -q 10.1.0.2 >/dev/null || fail "pings lost across the tunnel"
k1=$(ip6_in)
[ $((k1 - k0)) -lt 5 ] || fail "mb's kernel received $((k1 - k0)) IPv6 packets during 50 pings"

# MTU 1500 - 40 - 8 - 8 - 14.
[ "$(tun_stat ma tunnel.inner_mtu)" = 1430 ] || fail "inner MTU is $(tun_stat ma tunnel.inner_mtu), not 1430"
nsx ha ping -c 1 -W 1 -M do -s 1402 10.1.0.2 >/dev/null || fail "a 1430-byte IPv4 packet does not pass"
out=$(nsx ha ping -c 1 -W 2 -M do -s 1403 10.1.0.2 2>&1)
echo "$out" | grep -qi "frag needed.*mtu = 1430" || fail "no frag-needed with MTU 1430: $out"
nsx ha ping -6 -c 1 -W 1 -s 1382 fd00::2 >/dev/null || fail "a 1430-byte IPv6 packet does not pass"
out=$(nsx ha ping -6 -c 1 -W 2 -s 1383 fd00::2 2>&1)
echo "$out" | grep -qi "packet too big.*mtu=1430" || fail "no ICMPv6 packet-too-big with MTU 1430: $out"
[ "$(tun_stat ma tunnel.counters.icmp_too_big_sent)" -ge 2 ] || fail "too-big answers not counted"

# --- BFD between the tunnel's two IPv6 underlay addresses
capture_start ma ul "$LT_DIR/bfd.pcap"
for m in ma mb; do
    tunl $m port set s$m tun --bfd '{"tx_ms": 10, "rx_ms": 10, "multiplier": 3}' ||
        fail "$m: bfd on a tunnel over IPv6"
done
bfd_state() { tunl "$1" --json bfd list | json_get 0.state; }
both() { [ "$(bfd_state ma)" = "$1" ] && [ "$(bfd_state mb)" = "$1" ]; }
wait_for "both Up" 10 || fail "sessions over IPv6 not Up: $(tunl ma bfd list; tunl mb bfd list)"
[ "$(tunl ma --json bfd list | json_get 0.peer)" = "$TUN_IP_B" ] || fail "ma's session peer: $(tunl ma bfd list)"
capture_stop
f=$LT_DIR/bfd.pcap
n=$(tun_pcap_count "$f" ip6 and udp dst port 3784)
sumok=$(tcpdump -vv -r "$f" -n ip6 and udp dst port 3784 2>/dev/null | grep -c "udp sum ok")
hlim=$(tcpdump -v -r "$f" -n ip6 and udp dst port 3784 2>/dev/null | grep -c "hlim 255")
info "BFD over IPv6: $n packets, $sumok checksums ok, $hlim with hop limit 255"
[ "$n" -ge 4 ] || fail "only $n BFD packets over IPv6"
[ "$sumok" -eq "$n" ] && [ "$hlim" -eq "$n" ] || fail "BFD over IPv6: $sumok checksums ok, $hlim hop limit 255, of $n"
nsx mb ip link set ul down || fail "cut"
wait_for "both Down" 5 || fail "sessions not Down after the cut: $(tunl ma bfd list; tunl mb bfd list)"
nsx mb ip link set ul up || fail "uncut"
wait_for "both Up" 10 || fail "sessions not Up again: $(tunl ma bfd list; tunl mb bfd list)"
info "BFD over the IPv6 underlay: Up, Down on a cut, Up again"
pass
