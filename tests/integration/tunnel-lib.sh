#!/bin/bash
# tunnel-lib: two "machines" (network namespaces ma and mb), each with its
# own lamina-switchd and switch, joined by a veth underlay (interface "ul"
# in each, no kernel address: the switches answer ARP themselves), and a
# host on each (ha 10.1.0.1, hb 10.1.0.2).  Slice green joins the hosts
# with a border virtual link over an MPLS-in-UDP tunnel port "tun" on
# each switch, label 1000 agreed on both sides.  Sourced by the tunnel-*
# tests after lib.sh.

TUN_LABEL=1000
TUN_IP_A=${TUN_IP_A:-192.0.2.1}
TUN_IP_B=${TUN_IP_B:-192.0.2.2}
TUN_MAC_A=02:00:00:00:aa:01
TUN_MAC_B=02:00:00:00:bb:01

# tun_switchd M: starts a lamina-switchd inside machine M's namespace,
# managed on $LT_DIR/M.sock.
# Its PID in TUN_PID_M.
tun_switchd() {
    lt_switchd_spawn "$1" "$LT_DIR/$1.sock" "$LT_DIR/$1.state" "$LT_DIR/$1.log"
    printf -v "TUN_PID_$1" %s "$LT_LAST_PID"
}

# tunl M ARGS...: the lamina CLI on machine M's switchd.
tunl() {
    local m=$1; shift
    "$LT_BUILD/cli/lamina" --socket "$LT_DIR/$m.sock" "$@"
}

# tun_bridge_underlay M...: machine M's interface "ul" (MAC
# 02:00:00:00:0<i>:aa for the i-th machine, from 1) on bridge br0 in
# namespace net (the namespaces exist already).
tun_bridge_underlay() {
    local m i=1
    for m in "$@"; do
        veth_link "$m" ul "02:00:00:00:0$i:aa" - net "u$m" "02:00:00:00:0$i:bb" -
        i=$((i + 1))
    done
    nsx net ip link add br0 type bridge || fail "bridge"
    for m in "$@"; do nsx net ip link set "u$m" master br0 || fail "bridge port u$m"; done
    nsx net ip link set br0 up
}

# tun_machine M LOCAL REMOTE: switch sM with host port, underlay, tunnel,
# and slice green's vnode, access vport and border vlink.
tun_machine() {
    local m=$1 local=$2 remote=$3 sw=s$1
    tunl "$m" switch add "$sw" || fail "$m: switch add"
    tunl "$m" port add "$sw" host afpacket:host || fail "$m: port add host"
    tunl "$m" port add "$sw" ul afpacket:ul || fail "$m: port add ul (underlay)"
    tunl "$m" port add "$sw" tun "mplsudp:underlay=ul,local=$local,remote=$remote${TUN_UNDERLAY_MTU:+,mtu=$TUN_UNDERLAY_MTU}" ||
        fail "$m: port add tun (MPLS-in-UDP)"
    tunl "$m" slice add green || fail "$m: slice add"
    tunl "$m" vnode add green "$sw" || fail "$m: vnode add"
    tunl "$m" vport add green "$sw" host host || fail "$m: vport add"
    tunl "$m" vlink add green wan --path "$sw" >/dev/null \
        --border "{\"port\":\"tun\",\"label\":$TUN_LABEL}" || fail "$m: border vlink over the tunnel"
}

# tun_two_machines_up: the namespaces, veths and daemons; then
# tun_two_machines_config: the switches, tunnels and slice.  With
# TUN_UNDERLAY_MTU set, the underlay veths and the tunnels get that MTU
# (1550: the hosts' 1500-byte packets cross whole).
tun_two_machines_up() {
    local m
    for m in ma mb ha hb; do ns_add "$m"; done
    veth_link ma ul $TUN_MAC_A - mb ul $TUN_MAC_B -
    if [ -n "${TUN_UNDERLAY_MTU:-}" ]; then
        for m in ma mb; do nsx $m ip link set ul mtu "$TUN_UNDERLAY_MTU" || fail "$m: underlay MTU"; done
    fi
    veth_link ha eth0 02:00:00:00:01:01 10.1.0.1/24 ma host 02:00:00:00:01:fe -
    veth_link hb eth0 02:00:00:00:02:01 10.1.0.2/24 mb host 02:00:00:00:02:fe -
    for m in ma mb; do tun_switchd "$m"; done
}

tun_two_machines_config() {
    tun_machine ma $TUN_IP_A $TUN_IP_B
    tun_machine mb $TUN_IP_B $TUN_IP_A
}

# tun_stat M PATH: a member of the tunnel port's stats on machine M.
tun_stat() {
    tunl "$1" --json stats port tun | json_get "ports.0.$2"
}

# tun_pcap_count FILE FILTER...: packets (not lines) tcpdump shows.
tun_pcap_count() {
    local f=$1; shift
    tcpdump -r "$f" -n "$@" 2>/dev/null | grep -c '^[0-9]'
}

# tun_reroute_setup: fast reroute across two machines (tunnel-reroute.sh,
# scripts/bench-reroute.sh tunnel; after reroute-lib.sh, HOLD_MS set).
# ma's and mb's "ul" on bridge br0 in namespace net (tunnel tun,
# 192.0.2.1 - .2), a second underlay veth ul2 (tunnel tun2, 198.51.100.1 -
# .2), BFD at 10 ms x 3 on both; slice green's border vlink wan leaves by
# tun with label 1000, its backup by tun2 with label 2000, on both sides.
# A silent cut is "nsx net ip link set uma nomaster" (ma's port off the
# bridge: every interface stays up).  Sets RR_* for run_traffic (ha ->
# hb) and fr; waits for the four sessions Up, both ends on the primary
# and a ping across.  tun_all_up: the four sessions Up.
tun_all_up() {
    [ "$(tunl ma --json bfd list | grep -o '"Up"' | wc -l)" -ge 2 ] &&
        [ "$(tunl mb --json bfd list | grep -o '"Up"' | wc -l)" -ge 2 ]
}

tun_reroute_setup() {
    local m t l r bfd='{"tx_ms": 10, "rx_ms": 10, "multiplier": 3}'

    RR_TX=ha RR_RX=hb RR_TX_MAC=02:00:00:00:01:01 RR_RX_MAC=02:00:00:00:02:01
    RR_LAMINA="tunl ma" RR_HEAD=sma
    for m in ma mb ha hb net; do ns_add "$m"; done
    tun_bridge_underlay ma mb
    veth_link ha eth0 $RR_TX_MAC 10.1.0.1/24 ma host 02:00:00:00:01:fe -
    veth_link hb eth0 $RR_RX_MAC 10.1.0.2/24 mb host 02:00:00:00:02:fe -
    veth_link ma ul2 02:00:00:00:aa:02 - mb ul2 02:00:00:00:bb:02 -
    for m in ma mb; do tun_switchd "$m"; done
    tun_two_machines_config
    for m in ma mb; do
        if [ $m = ma ]; then l=198.51.100.1 r=198.51.100.2; else l=198.51.100.2 r=198.51.100.1; fi
        tunl $m port add s$m ul2 afpacket:ul2 || fail "$m: port add ul2"
        tunl $m port add s$m tun2 "mplsudp:underlay=ul2,local=$l,remote=$r" || fail "$m: port add tun2"
        for t in tun tun2; do tunl $m port set s$m $t --bfd "$bfd" || fail "$m: bfd on $t"; done
        tunl $m vlink del green wan || fail "$m: vlink del"
        # The backup may not leave by the path's own tunnel.
        tunl $m vlink add green wan --path s$m --border '{"port":"tun","label":1000}' \
            --backup s$m --backup-border '{"port":"tun","label":2000}' 2>/dev/null &&
            fail "$m: a backup out of the path's own tunnel accepted"
        tunl $m vlink add green wan --path s$m --border '{"port":"tun","label":1000}' >/dev/null \
            --backup s$m --backup-border '{"port":"tun2","label":2000}' --hold "$HOLD_MS" ||
            fail "$m: border vlink with a backup over tun2"
    done
    wait_for tun_all_up 15 || fail "sessions not Up: $(tunl ma --json bfd list)"
    wait_for 'back 0' 10 || fail "ma's end not on the primary: $(fr sma)"
    wait_for "nsx ha ping -c 1 -W 1 10.1.0.2" 20 || fail "ha cannot reach hb"
}
