#!/bin/bash
# openflow-ofctl: an openflow vnode listens passively (ptcp on 127.0.0.1,
# a port free for this run) and `ovs-ofctl -O OpenFlow13` drives it like
# an Open vSwitch bridge: show, add-flow, dump-flows (counters move),
# dump-ports, dump-tables, add-group/dump-groups, add-meter/dump-meters,
# del-flows; two hosts ping through the flows it installs, and stop
# pinging once the flows are gone.  A flow mod the switch must refuse
# comes back as the specification's OpenFlow error.
. "$(dirname "$0")/lib.sh"
lt_init openflow-ofctl 90

command -v ovs-ofctl >/dev/null || skip "ovs-ofctl is not installed (openvswitch-common)"

free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT=$(free_port)
T=tcp:127.0.0.1:$PORT
ofctl() { timeout 10 ovs-ofctl -O OpenFlow13 "$@" "$T"; }
ofctl_args() { local cmd=$1; shift; timeout 10 ovs-ofctl -O OpenFlow13 "$cmd" "$T" "$@"; }

ns_add h1
ns_add h2
veth_add h1 eth0 p1 02:00:00:00:00:01 10.0.0.1/24
veth_add h2 eth0 p2 02:00:00:00:00:02 10.0.0.2/24

start_switchd
lamina switch add s1 || fail "switch add"
lamina port add s1 p1 "$(af_packet_devargs p1)" || fail "port add p1"
lamina port add s1 p2 "$(af_packet_devargs p2)" || fail "port add p2"
lamina slice add red || fail "slice add"
lamina vnode add red s1 --fp openflow \
    --config "{\"listen\": \"ptcp:$PORT:127.0.0.1\", \"open\": true, \"datapath_id\": \"0xabc\"}" ||
    fail "vnode add (openflow)"
lamina vport add red s1 v1 p1 || fail "vport add v1"
lamina vport add red s1 v2 p2 || fail "vport add v2"

wait_for "ofctl show" 10 || fail "ovs-ofctl cannot reach the passive vnode on $T"
show=$(ofctl show)
info "show: $(echo "$show" | head -n 3 | tr '\n' ' ')"
echo "$show" | grep -q "dpid:0000000000000abc" || fail "datapath id: $show"
echo "$show" | grep -q "1(v1)" || fail "port 1 (v1) missing: $show"
echo "$show" | grep -q "2(v2)" || fail "port 2 (v2) missing: $show"

# No flows: OpenFlow 1.3 drops on a table miss.
nsx h1 ping -c 1 -W 1 10.0.0.2 >/dev/null && fail "ping without flows"

ofctl_args add-flow "priority=10,in_port=1,actions=output:2" || fail "add-flow 1"
ofctl_args add-flow "priority=10,in_port=2,actions=output:1" || fail "add-flow 2"
wait_for "nsx h1 ping -c 1 -W 1 10.0.0.2" 10 || fail "h1 cannot reach h2 through the flows"
nsx h1 ping -c 3 -i 0.2 -W 1 10.0.0.2 >/dev/null || fail "pings lost"

flows=$(ofctl dump-flows)
info "flows: $(echo "$flows" | tr '\n' ' ')"
n=$(echo "$flows" | grep "in_port=1" | sed -n 's/.*n_packets=\([0-9]*\).*/\1/p')
[ "${n:-0}" -ge 4 ] || fail "in_port=1 flow counted ${n:-nothing}: $flows"
ofctl dump-ports | grep -q "port  *1: rx pkts=[1-9]" || fail "dump-ports: $(ofctl dump-ports)"
ofctl dump-tables | grep -q "table 0:" || ofctl dump-tables | grep -q "  0:" ||
    fail "dump-tables: $(ofctl dump-tables)"
ofctl dump-aggregate | grep -q "flow_count=2" || fail "aggregate: $(ofctl dump-aggregate)"

# Groups and meters: h1's traffic goes through group 1 (all -> port 2),
# metered by meter 1.
ofctl_args add-group "group_id=1,type=all,bucket=output:2" || fail "add-group"
ofctl_args add-meter "meter=1,pktps,band=type=drop,rate=1000" || fail "add-meter"
ofctl_args add-flow "priority=20,in_port=1,actions=meter:1,group:1" || fail "add-flow group"
nsx h1 ping -c 3 -i 0.2 -W 1 10.0.0.2 >/dev/null || fail "pings through group 1 lost"
groups=$(ofctl dump-group-stats)
info "groups: $(echo "$groups" | tr '\n' ' ')"
echo "$groups" | grep -q "group_id=1.*packet_count=[1-9]" || fail "group stats: $groups"
ofctl dump-groups | grep -q "group_id=1,type=all,bucket=.*output:2" ||
    fail "dump-groups: $(ofctl dump-groups)"
meters=$(ofctl meter-stats)
info "meters: $(echo "$meters" | tr '\n' ' ')"
echo "$meters" | grep -q "meter:1 flow_count:1 packet_in_count:[1-9]" ||
    fail "meter stats: $meters"
# The meter reads back as installed (METER_CONFIG), and the features say
# what meters can do (METER_FEATURES).
ofctl dump-meters | tr '\n' ' ' | grep -q "meter=1 pktps bands= *type=drop rate=1000" ||
    fail "dump-meters: $(ofctl dump-meters)"
features=$(ofctl meter-features | tr '\n' ' ')
info "meter features: $features"
echo "$features" | grep -q "max_bands:16" && echo "$features" | grep -q "drop dscp_remark" ||
    fail "meter-features: $features"

# The switch refuses what needs state it does not have.
err=$(ofctl_args add-flow "priority=5,in_port=1,actions=group:77" 2>&1) &&
    fail "a flow to a missing group was accepted"
echo "$err" | grep -qi "OFPBAC_BAD_OUT_GROUP" || fail "wrong error for a missing group: $err"
err=$(ofctl_args add-group "group_id=1,type=all,bucket=output:1" 2>&1) &&
    fail "a duplicate group was accepted"
echo "$err" | grep -qi "OFPGMFC_GROUP_EXISTS" || fail "wrong error for a duplicate group: $err"

# del-flows: everything goes, the hosts are cut off again.
ofctl del-flows || fail "del-flows"
[ "$(ofctl dump-flows | grep -c priority)" -eq 0 ] || fail "flows left after del-flows"
nsx h1 ping -c 1 -W 1 10.0.0.2 >/dev/null && fail "ping after del-flows"

lamina vnode dump red s1 >/dev/null || fail "vnode dump"
pass
