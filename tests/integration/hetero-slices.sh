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
# that each host sees its own slice's frames only.
. "$(dirname "$0")/lib.sh"
lt_init hetero-slices 150

SP="$LT_BUILD/sp-controller/lamina-sp"
OBJ=$LT_BUILD/dataplane
[ -x "$SP" ] || fail "lamina-sp is not built"
for p in ipv6_router xnet_router; do
    [ -f "$OBJ/$p.o" ] || skip "$OBJ/$p.o is not built"
done
free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
tables() { # NAME:TYPE:SIZE...
    local t out="" sep=""
    for t in "$@"; do
        IFS=: read -r n ty sz <<<"$t"
        out="$out$sep{\"name\":\"$n\",\"type\":\"$ty\",\"size\":$sz}"
        sep=,
    done
    echo "{\"tables\":[$out]}"
}

MAC_A=02:00:00:00:00:01
MAC_B=02:00:00:00:00:02
for s in v4 r6 xn; do
    ns_add $s-a; ns_add $s-b
done
veth_add v4-a eth0 4a "$MAC_A" 10.0.1.1/24
veth_add v4-b eth0 4b "$MAC_B" 10.0.2.1/24
veth_add r6-a eth0 6a "$MAC_A" 10.0.1.1/24
veth_add r6-b eth0 6b "$MAC_B" 10.0.2.1/24
veth_add xn-a eth0 xa "$MAC_A" -
veth_add xn-b eth0 xb "$MAC_B" -
nsx v4-a ip route add default via 10.0.1.254 || fail "route on v4-a"
nsx v4-b ip route add default via 10.0.2.254 || fail "route on v4-b"
for h in r6-a r6-b; do
    nsx "$h" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.eth0.disable_ipv6=0
done

start_switchd
lamina switch add s1 || fail "switch add"
for c in 4a 4b 6a 6b xa xb; do
    lamina port add s1 "p-$c" "$(af_packet_devargs "$c")" || fail "port add $c"
done

# ---- v4: lamina-sp's L3 app
PORT=$(free_port)
bg_start "$SP" --listen "ptcp:$PORT:127.0.0.1" openflow l3 \
    --gateway 10.0.1.254/24 --gateway 10.0.2.254/24 >"$LT_DIR/sp.log" 2>&1
lamina slice add v4 || fail "slice add v4"
lamina vnode add v4 s1 --fp openflow --config "{\"controller\": \"tcp:127.0.0.1:$PORT\"}" ||
    fail "vnode add v4"
lamina vport add v4 s1 a p-4a || fail "vport add v4 a"
lamina vport add v4 s1 b p-4b || fail "vport add v4 b"

# ---- r6: the IPv6 router program, the SP's tables
R6_MAC0=02:00:00:00:01:fe
R6_MAC1=02:00:00:00:02:fe
lamina slice add r6 || fail "slice add r6"
lamina vnode add r6 s1 --fp ebpf --program "$OBJ/ipv6_router.o" \
    --config "$(tables routes:lpm:64 neigh:hash:64 iface:array:8)" || fail "vnode add r6"
lamina vport add r6 s1 a p-6a || fail "vport add r6 a"
lamina vport add r6 s1 b p-6b || fail "vport add r6 b"
lamina vnode table set r6 s1 routes 2001:db8:1::/64 0 &&
    lamina vnode table set r6 s1 routes 2001:db8:2::/64 1 &&
    lamina vnode table set r6 s1 iface 0 "$R6_MAC0" &&
    lamina vnode table set r6 s1 iface 1 "$R6_MAC1" &&
    lamina vnode table set r6 s1 neigh 2001:db8:1::1 0x0200000000010000 &&
    lamina vnode table set r6 s1 neigh 2001:db8:2::1 0x0200000000020001 || fail "r6 tables"
nsx r6-a ip addr add 2001:db8:1::1/64 dev eth0 nodad
nsx r6-b ip addr add 2001:db8:2::1/64 dev eth0 nodad
nsx r6-a ip -6 neigh add 2001:db8:1::ff lladdr "$R6_MAC0" dev eth0 nud permanent
nsx r6-b ip -6 neigh add 2001:db8:2::ff lladdr "$R6_MAC1" dev eth0 nud permanent
nsx r6-a ip -6 route add default via 2001:db8:1::ff dev eth0
nsx r6-b ip -6 route add default via 2001:db8:2::ff dev eth0

# ---- xn: the xnet router program
XN_MAC0=02:00:00:00:03:fe
XN_MAC1=02:00:00:00:04:fe
lamina slice add xn || fail "slice add xn"
lamina vnode add xn s1 --fp ebpf --program "$OBJ/xnet_router.o" \
    --config "$(tables routes:lpm:64 neigh:hash:64 iface:array:8)" || fail "vnode add xn"
lamina vport add xn s1 a p-xa || fail "vport add xn a"
lamina vport add xn s1 b p-xb || fail "vport add xn b"
lamina vnode table set xn s1 routes 0.1.0.0/16 0 &&
    lamina vnode table set xn s1 routes 0.2.0.0/16 1 &&
    lamina vnode table set xn s1 iface 0 "$XN_MAC0" &&
    lamina vnode table set xn s1 iface 1 "$XN_MAC1" &&
    lamina vnode table set xn s1 neigh 0.2.0.1 0x0200000000020001 || fail "xn tables"
# dst 2.1, src 1.1, ttl 9, payload "xnet-hello".
frame="${XN_MAC0//:/}${MAC_A//:/}88b5""00020001""00010001""09""$(printf xnet-hello | od -An -tx1 | tr -d ' \n')"
send_xnet() {   # COUNT
    nsx xn-a python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
for i in range(int(sys.argv[2])):
    s.send(bytes.fromhex(sys.argv[1]).ljust(60, b"\0"))
    time.sleep(0.1)' "$frame" "$1"
}

# Each slice works on its own first.
wait_for "nsx v4-a ping -c 1 -W 1 10.0.2.1" 30 ||
    { tail -n 20 "$LT_DIR/sp.log" >&2; fail "v4: a cannot reach b through lamina-sp's L3 app"; }
wait_for "nsx r6-a ping -6 -c 1 -W 1 2001:db8:2::1" 20 || fail "r6: a cannot reach b"

# ---- All at once, captured on every host.
for h in v4-a v4-b r6-a r6-b xn-a xn-b; do
    capture_start "$h" eth0 "$LT_DIR/$h.pcap"
done
N=30
nsx v4-a ping -c $N -i 0.1 -W 1 10.0.2.1 >"$LT_DIR/v4.ping" 2>&1 &
P4=$!
nsx r6-a ping -6 -c $N -i 0.1 -W 1 2001:db8:2::1 >"$LT_DIR/r6.ping" 2>&1 &
P6=$!
send_xnet $N
wait $P4 || fail "v4: pings lost while the other slices ran: $(tail -n 2 "$LT_DIR/v4.ping")"
wait $P6 || fail "r6: pings lost while the other slices ran: $(tail -n 2 "$LT_DIR/r6.ping")"
sleep 0.3   # the last replies and frames in flight reach the captures
capture_stop

# Frames (tcpdump prints unknown ethertypes with hex lines under them).
count() { tcpdump -r "$LT_DIR/$1.pcap" -n "${@:2}" 2>/dev/null | grep -c '^[^[:space:]]'; }
v4b=$(count v4-b "icmp[icmptype] = icmp-echo and ip[8] = 63")
r6b=$(count r6-b "icmp6 and ip6[40] = 128 and ip6[7] = 63")
xnb=$(count xn-b "ether proto 0x88b5 and ether src $XN_MAC1 and ether[22] = 8")
info "routed at b: v4 $v4b echo requests (ttl 63), r6 $r6b (hop limit 63), xn $xnb xnet frames (ttl 8)"
[ "$v4b" -ge $N ] || fail "v4: only $v4b routed echo requests at b"
[ "$r6b" -ge $N ] || fail "r6: only $r6b routed echo requests at b"
[ "$xnb" -ge $N ] || fail "xn: only $xnb routed xnet frames at b"
# Nobody sees another slice's frames.
for h in v4-a v4-b; do
    n=$(count $h "ip6 or ether proto 0x88b5")
    [ "$n" -eq 0 ] || fail "$h saw $n IPv6 or xnet frames"
done
for h in r6-a r6-b; do
    n=$(count $h "ip or arp or ether proto 0x88b5 or ether proto 0x88b6")
    [ "$n" -eq 0 ] || fail "$h saw $n IPv4, ARP, xnet or probe frames"
done
for h in xn-a xn-b; do
    n=$(count $h "ip or ip6 or arp or ether proto 0x88b6")
    [ "$n" -eq 0 ] || fail "$h saw $n IPv4, IPv6, ARP or probe frames"
done
n=$(count xn-b "not ether proto 0x88b5")
[ "$n" -eq 0 ] || fail "xn-b saw $n frames that are not xnet"
info "captures on all six hosts: each saw its own slice's frames only"
pass
