# hetero-lib.sh: the heterogeneous scene, three slices at once on one
# lamina-switchd, each with its own forwarding logic, and hosts with the
# same MAC addresses in all three (and the same IPv4 addresses in the two
# that carry them).  Shared by tests/integration/hetero-slices.sh and
# scripts/demo.sh (scene 2); source lib.sh first.
#   - v4: an openflow vnode driven by lamina-sp's L3 app (IPv4 routing
#     between 10.0.1.0/24 and 10.0.2.0/24);
#   - r6: an ebpf vnode running the ipv6_router example (2001:db8:1::/64
#     and 2001:db8:2::/64);
#   - xn: an ebpf vnode running the xnet_router example (a non-IP
#     protocol of ethertype 0x88b5).
#
#   hetero_setup        hosts, lamina-switchd (start_switchd), switch s1,
#                       lamina-sp (pid $HETERO_SP_PID), the three slices
#                       with their tables; waits until v4 and r6 carry a
#                       ping
#   hetero_r6 [EXTRA...], hetero_xn
#                       the r6 and xn slices alone (ebpf-programs.sh)
#   hetero_send_xnet N  N xnet frames from xn-a to xn-b, 0.1 s apart
#   hetero_traffic N    N pings (v4, r6) and N xnet frames at the same
#                       time, captured on all six hosts
#   hetero_check N      from the captures: each slice's N packets routed
#                       at its host b, and no host saw another slice's
#                       frames; fails otherwise
# HETERO_SAY (default info) prints what they do.

HETERO_OBJ=$LT_BUILD/dataplane
HETERO_SAY=${HETERO_SAY:-info}
MAC_A=02:00:00:00:00:01
MAC_B=02:00:00:00:00:02
R6_MAC0=02:00:00:00:01:fe
R6_MAC1=02:00:00:00:02:fe
XN_MAC0=02:00:00:00:03:fe
XN_MAC1=02:00:00:00:04:fe

hetero_tables() { # NAME:TYPE:SIZE...
    local t n ty sz out="" sep=""
    for t in "$@"; do
        IFS=: read -r n ty sz <<<"$t"
        out="$out$sep{\"name\":\"$n\",\"type\":\"$ty\",\"size\":$sz}"
        sep=,
    done
    echo "{\"tables\":[$out]}"
}

hetero_setup() {
    local sp=$LT_BUILD/sp-controller/lamina-sp s c port p
    [ -x "$sp" ] || fail "lamina-sp is not built"
    for p in ipv6_router xnet_router; do
        [ -f "$HETERO_OBJ/$p.o" ] || skip "$HETERO_OBJ/$p.o is not built"
    done
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
    for s in r6-a r6-b; do
        nsx "$s" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.eth0.disable_ipv6=0
    done

    start_switchd
    lamina switch add s1 >/dev/null || fail "switch add"
    for c in 4a 4b 6a 6b xa xb; do
        lamina port add s1 "p-$c" "$(af_packet_devargs "$c")" >/dev/null || fail "port add $c"
    done

    $HETERO_SAY "v4: an openflow vnode, driven by lamina-sp's L3 app (IPv4 routing)"
    port=$(lt_free_port)
    bg_start "$sp" --listen "ptcp:$port:127.0.0.1" openflow l3 \
        --gateway 10.0.1.254/24 --gateway 10.0.2.254/24 >"$LT_DIR/sp.log" 2>&1
    HETERO_SP_PID=$LT_LAST_PID
    lamina slice add v4 >/dev/null || fail "slice add v4"
    lamina vnode add v4 s1 --fp openflow \
        --config "{\"controller\": \"tcp:127.0.0.1:$port\"}" >/dev/null || fail "vnode add v4"
    lamina vport add v4 s1 a p-4a >/dev/null || fail "vport add v4 a"
    lamina vport add v4 s1 b p-4b >/dev/null || fail "vport add v4 b"

    $HETERO_SAY "r6: an ebpf vnode running the IPv6 router program, its tables set by the SP"
    hetero_r6
    $HETERO_SAY "xn: an ebpf vnode running the router of xnet, a made-up non-IP protocol (0x88b5)"
    hetero_xn

    # Each slice works on its own first.
    wait_for "nsx v4-a ping -c 1 -W 1 10.0.2.1" 30 ||
        { tail -n 20 "$LT_DIR/sp.log" >&2; fail "v4: a cannot reach b through lamina-sp's L3 app"; }
    wait_for "nsx r6-a ping -6 -c 1 -W 1 2001:db8:2::1" 20 || fail "r6: a cannot reach b"
}

# Slice r6: the IPv6 router program on s1 between ports p-6a (vport 0)
# and p-6b (vport 1), with its tables (and the tables EXTRA... as
# NAME:TYPE:SIZE) and the SP's routes, MACs and neighbours (MAC << 16 |
# vport); hosts r6-a 2001:db8:1::1 and r6-b 2001:db8:2::1 routed through
# the router's 2001:db8:{1,2}::ff.
hetero_r6() {   # [EXTRA...]
    lamina slice add r6 >/dev/null || fail "slice add r6"
    lamina vnode add r6 s1 --fp ebpf --program "$HETERO_OBJ/ipv6_router.o" \
        --config "$(hetero_tables routes:lpm:64 neigh:hash:64 iface:array:8 "$@")" >/dev/null ||
        fail "vnode add r6"
    lamina vport add r6 s1 a p-6a >/dev/null || fail "vport add r6 a"
    lamina vport add r6 s1 b p-6b >/dev/null || fail "vport add r6 b"
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
}

# Slice xn: the xnet router program on s1 between p-xa and p-xb.  xnet
# addresses are 16-bit network . 16-bit host; a key is the address
# written as an IPv4 dotted quad (network 1 = 0.1.x.x).
hetero_xn() {
    lamina slice add xn >/dev/null || fail "slice add xn"
    lamina vnode add xn s1 --fp ebpf --program "$HETERO_OBJ/xnet_router.o" \
        --config "$(hetero_tables routes:lpm:64 neigh:hash:64 iface:array:8)" >/dev/null ||
        fail "vnode add xn"
    lamina vport add xn s1 a p-xa >/dev/null || fail "vport add xn a"
    lamina vport add xn s1 b p-xb >/dev/null || fail "vport add xn b"
    lamina vnode table set xn s1 routes 0.1.0.0/16 0 &&
        lamina vnode table set xn s1 routes 0.2.0.0/16 1 &&
        lamina vnode table set xn s1 iface 0 "$XN_MAC0" &&
        lamina vnode table set xn s1 iface 1 "$XN_MAC1" &&
        lamina vnode table set xn s1 neigh 0.2.0.1 0x0200000000020001 || fail "xn tables"
}

# xnet frames from xn-a to xn-b (dst 2.1, src 1.1, ttl 9, "xnet-hello").
hetero_send_xnet() {   # COUNT
    local frame
    frame="${XN_MAC0//:/}${MAC_A//:/}88b5""00020001""00010001""09""$(printf xnet-hello | od -An -tx1 | tr -d ' \n')"
    nsx xn-a python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
for i in range(int(sys.argv[2])):
    s.send(bytes.fromhex(sys.argv[1]).ljust(60, b"\0"))
    time.sleep(0.1)' "$frame" "$1"
}

hetero_traffic() {  # N
    local h p4 p6
    for h in v4-a v4-b r6-a r6-b xn-a xn-b; do
        capture_start "$h" eth0 "$LT_DIR/$h.pcap"
    done
    $HETERO_SAY "all three at once: $1 IPv4 pings, $1 IPv6 pings, $1 xnet frames from a to b"
    nsx v4-a ping -c "$1" -i 0.1 -W 1 10.0.2.1 >"$LT_DIR/v4.ping" 2>&1 &
    p4=$!
    nsx r6-a ping -6 -c "$1" -i 0.1 -W 1 2001:db8:2::1 >"$LT_DIR/r6.ping" 2>&1 &
    p6=$!
    hetero_send_xnet "$1"
    wait $p4 || fail "v4: pings lost while the other slices ran: $(tail -n 2 "$LT_DIR/v4.ping")"
    wait $p6 || fail "r6: pings lost while the other slices ran: $(tail -n 2 "$LT_DIR/r6.ping")"
    sleep 0.3   # the last replies and frames in flight reach the captures
    capture_stop
}

# Frames in a host's capture (tcpdump prints unknown ethertypes with hex
# lines under them).
hetero_count() { tcpdump -r "$LT_DIR/$1.pcap" -n "${@:2}" 2>/dev/null | grep -c '^[^[:space:]]'; }

hetero_check() {    # N
    local v4b r6b xnb h n
    v4b=$(hetero_count v4-b "icmp[icmptype] = icmp-echo and ip[8] = 63")
    r6b=$(hetero_count r6-b "icmp6 and ip6[40] = 128 and ip6[7] = 63")
    xnb=$(hetero_count xn-b "ether proto 0x88b5 and ether src $XN_MAC1 and ether[22] = 8")
    $HETERO_SAY "routed at b: v4 $v4b echo requests (ttl 63), r6 $r6b (hop limit 63), xn $xnb xnet frames (ttl 8)"
    [ "$v4b" -ge "$1" ] || fail "v4: only $v4b routed echo requests at b"
    [ "$r6b" -ge "$1" ] || fail "r6: only $r6b routed echo requests at b"
    [ "$xnb" -ge "$1" ] || fail "xn: only $xnb routed xnet frames at b"
    # Nobody sees another slice's frames.
    for h in v4-a v4-b; do
        n=$(hetero_count $h "ip6 or ether proto 0x88b5")
        [ "$n" -eq 0 ] || fail "$h saw $n IPv6 or xnet frames"
    done
    for h in r6-a r6-b; do
        n=$(hetero_count $h "ip or arp or ether proto 0x88b5 or ether proto 0x88b6")
        [ "$n" -eq 0 ] || fail "$h saw $n IPv4, ARP, xnet or probe frames"
    done
    for h in xn-a xn-b; do
        n=$(hetero_count $h "ip or ip6 or arp or ether proto 0x88b6")
        [ "$n" -eq 0 ] || fail "$h saw $n IPv4, IPv6, ARP or probe frames"
    done
    n=$(hetero_count xn-b "not ether proto 0x88b5")
    [ "$n" -eq 0 ] || fail "xn-b saw $n frames that are not xnet"
    $HETERO_SAY "captures on all six hosts: each saw its own slice's frames only"
}
