#!/bin/bash
# restart: the switch's configuration survives its daemon.  Two slices
# with a virtual link each carry traffic; lamina-switchd is killed (KILL,
# no chance to save anything more) and started again on the same state
# file; without any configuration the slices carry traffic again.
. "$(dirname "$0")/lib.sh"
lt_init restart 120

for slice in red blue; do
    ns_add "$slice-1"
    ns_add "$slice-2"
    veth_add "$slice-1" eth0 "${slice:0:1}1" 02:00:00:00:00:01 10.0.0.1/24
    veth_add "$slice-2" eth0 "${slice:0:1}2" 02:00:00:00:00:02 10.0.0.2/24
done

start_switchd
lamina switch add s1 || fail "switch add s1"
lamina switch add s2 || fail "switch add s2"
lamina link add l12 s1:to-s2 s2:to-s1 || fail "link add"
for slice in red blue; do
    c=${slice:0:1}
    lamina port add s1 "p${c}1" "$(af_packet_devargs "${c}1")" || fail "port ${c}1"
    lamina port add s2 "p${c}2" "$(af_packet_devargs "${c}2")" || fail "port ${c}2"
    lamina slice add "$slice" --guarantee 1M || fail "slice $slice"
    lamina vnode add "$slice" s1 || fail "vnode $slice s1"
    lamina vnode add "$slice" s2 || fail "vnode $slice s2"
    lamina vport add "$slice" s1 h "p${c}1" || fail "vport $slice s1"
    lamina vport add "$slice" s2 h "p${c}2" || fail "vport $slice s2"
    lamina vlink add "$slice" v12 --path s1,s2 || fail "vlink $slice"
done

check_traffic() {
    for slice in red blue; do
        wait_for "nsx $slice-1 ping -c 1 -W 1 10.0.0.2" 20 || fail "$slice: no traffic $1"
    done
}
# A port taken down stays down across the restart.
lamina port add s1 spare net_null0 || fail "port add spare"
lamina port set s1 spare --down || fail "port set spare --down"
check_traffic "before the restart"
before=$(lamina --json switch config)
echo "$before" | grep -q '"up": false' || fail "the down port is not in the configuration"

stop_switchd KILL
info "lamina-switchd killed"
start_switchd
after=$(lamina --json switch config)
[ "$before" = "$after" ] || fail "configuration differs after the restart"
check_traffic "after the restart"

# A clean stop leaves no DPDK runtime files behind.
stop_switchd TERM
[ ! -e "/var/run/dpdk/${LT_PREFIX}sw" ] || fail "DPDK runtime files left after SIGTERM"
[ ! -e "$LT_SOCK" ] || fail "socket left after SIGTERM"
pass
