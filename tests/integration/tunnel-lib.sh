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
    tunl "$m" port add "$sw" tun "mplsudp:underlay=ul,local=$local,remote=$remote" ||
        fail "$m: port add tun (MPLS-in-UDP)"
    tunl "$m" slice add green || fail "$m: slice add"
    tunl "$m" vnode add green "$sw" || fail "$m: vnode add"
    tunl "$m" vport add green "$sw" host host || fail "$m: vport add"
    tunl "$m" vlink add green wan --path "$sw" >/dev/null \
        --border "{\"port\":\"tun\",\"label\":$TUN_LABEL}" || fail "$m: border vlink over the tunnel"
}

# tun_two_machines_up: the namespaces, veths and daemons; then
# tun_two_machines_config: the switches, tunnels and slice.
tun_two_machines_up() {
    local m
    for m in ma mb ha hb; do ns_add "$m"; done
    veth_link ma ul $TUN_MAC_A - mb ul $TUN_MAC_B -
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
