#!/bin/bash
# openflow-controllers: two hosts ping each other through an openflow vnode
# driven by a real controller, first Open vSwitch's ovs-testcontroller
# (a learning switch), then an os-ken (Ryu) learning-switch app
# (osken_learning_switch.py, the shape of Ryu's simple_switch_13).  In both
# cases the vnode is created before its controller runs, so the switch
# also shows that it keeps reconnecting (with backoff) until the
# controller is there.  The controllers learn through PACKET_IN (table
# miss), answer with PACKET_OUT and install flows with FLOW_MOD; the test
# checks the pings and the flows the vnode ends up with.
. "$(dirname "$0")/lib.sh"
lt_init openflow-controllers 120

command -v ovs-testcontroller >/dev/null ||
    skip "ovs-testcontroller is not installed (openvswitch-testcontroller)"
/usr/bin/python3 -c 'import os_ken' 2>/dev/null || skip "os-ken is not installed (python3-os-ken)"

free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

ns_add h1
ns_add h2
veth_add h1 eth0 p1 02:00:00:00:00:01 10.0.0.1/24
veth_add h2 eth0 p2 02:00:00:00:00:02 10.0.0.2/24

start_switchd
lamina switch add s1 || fail "switch add"
lamina port add s1 p1 "$(af_packet_devargs p1)" || fail "port add p1"
lamina port add s1 p2 "$(af_packet_devargs p2)" || fail "port add p2"

# vnode_up SLICE PORT: an openflow vnode whose controller is on PORT.
vnode_up() {
    lamina slice add "$1" || fail "slice add $1"
    lamina vnode add "$1" s1 --fp openflow \
        --config "{\"controller\": \"tcp:127.0.0.1:$2\"}" || fail "vnode add $1"
    lamina vport add "$1" s1 v1 p1 || fail "vport add $1 v1"
    lamina vport add "$1" s1 v2 p2 || fail "vport add $1 v2"
}

flow_count() {
    lamina --json vnode dump "$1" s1 | json_get flow_count
}

# ---- ovs-testcontroller
PORT=$(free_port)
vnode_up red "$PORT"
sleep 1.5       # let a connection attempt or two fail: reconnection is tested
bg_start ovs-testcontroller -O OpenFlow13 "ptcp:$PORT:127.0.0.1" \
    --log-file="$LT_DIR/testcontroller.log" -vconsole:off \
    --unixctl="$LT_DIR/testcontroller.ctl"
TC_PID=$LT_LAST_PID
wait_for "nsx h1 ping -c 1 -W 1 10.0.0.2" 30 ||
    { tail -n 20 "$LT_DIR/switchd.log" >&2; fail "testcontroller: h1 cannot reach h2"; }
nsx h1 ping -c 5 -i 0.2 -W 1 10.0.0.2 >/dev/null || fail "testcontroller: pings lost"
n=$(flow_count red)
info "ovs-testcontroller: ping ok, $n flows in the vnode"
[ "$n" -ge 3 ] || fail "testcontroller installed only $n flows"
grep -q "connected to tcp:127.0.0.1:$PORT" "$LT_DIR/switchd.log" || fail "no connection logged"
lt_stop_pid "$TC_PID"
lamina slice del red || fail "slice del red"

# ---- os-ken learning switch
PORT=$(free_port)
vnode_up blue "$PORT"
bg_start /usr/bin/python3 -m os_ken.cmd.manager --ofp-listen-host 127.0.0.1 \
    --ofp-tcp-listen-port "$PORT" "$(dirname "$0")/osken_learning_switch.py" \
    >"$LT_DIR/osken.log" 2>&1
wait_for "nsx h1 ping -c 1 -W 1 10.0.0.2" 40 ||
    { tail -n 20 "$LT_DIR/osken.log" >&2; fail "os-ken: h1 cannot reach h2"; }
nsx h1 ping -c 5 -i 0.2 -W 1 10.0.0.2 >/dev/null || fail "os-ken: pings lost"
n=$(flow_count blue)
info "os-ken learning switch: ping ok, $n flows in the vnode"
# The table-miss flow plus one per direction learned.
[ "$n" -ge 3 ] || fail "os-ken installed only $n flows"
grep -q "packet in" "$LT_DIR/osken.log" || fail "os-ken saw no packet-in"
pass
