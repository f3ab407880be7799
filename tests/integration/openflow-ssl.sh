#!/bin/bash
# openflow-ssl: the OpenFlow channel over TLS (ssl:/pssl:), mutual and
# verified against a CA, as Open vSwitch does it.  A CA and certificates
# are made with `openssl` in $LT_DIR (nothing is written elsewhere):
#   - config: ssl:/pssl: without one of private_key/certificate/ca_cert
#     is refused by vnode.add with the key's name, and nothing is created;
#   - active: ovs-testcontroller on pssl: drives a vnode whose controller
#     is ssl:127.0.0.1:PORT; two hosts ping through it;
#   - passive: a pssl: vnode answers `ovs-ofctl ... ssl:127.0.0.1:PORT`
#     (show, add-flow, dump-flows);
#   - refused: a controller, then an ovs-ofctl, whose certificate is not
#     signed by the CA never get an OpenFlow session.
. "$(dirname "$0")/lib.sh"
lt_init openflow-ssl 90

command -v openssl >/dev/null || skip "openssl is not installed"
command -v ovs-testcontroller >/dev/null ||
    skip "ovs-testcontroller is not installed (openvswitch-testcontroller)"
command -v ovs-ofctl >/dev/null || skip "ovs-ofctl is not installed (openvswitch-common)"

free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- PKI, all in $LT_DIR/pki (lib.sh: pki_*)
PKI=$LT_DIR/pki
pki_ca ca
pki_ca rogueca
pki_cert switch ca 1
pki_cert ctl ca 2
pki_cert rogue rogueca 3
tls_args() { pki_ovs_args "$1"; }
SW_TLS="\"private_key\": \"$PKI/switch-key.pem\", \"certificate\": \"$PKI/switch-cert.pem\", \"ca_cert\": \"$PKI/ca-cert.pem\""

ns_add h1
ns_add h2
veth_add h1 eth0 p1 02:00:00:00:00:01 10.0.0.1/24
veth_add h2 eth0 p2 02:00:00:00:00:02 10.0.0.2/24

start_switchd
lamina switch add s1 || fail "switch add"
lamina port add s1 p1 "$(af_packet_devargs p1)" || fail "port add p1"
lamina port add s1 p2 "$(af_packet_devargs p2)" || fail "port add p2"

# ---- config: each of the three files is required by ssl:/pssl:
lamina slice add red || fail "slice add red"
for missing in private_key certificate ca_cert; do
    cfg=$(/usr/bin/python3 -c '
import json, sys
c = json.loads("{" + sys.argv[1] + "}")
del c[sys.argv[2]]
c[sys.argv[3]] = sys.argv[4]
print(json.dumps(c))' "$SW_TLS" "$missing" controller ssl:127.0.0.1:1)
    err=$(lamina vnode add red s1 --fp openflow --config "$cfg" 2>&1) &&
        fail "ssl: without $missing was accepted"
    echo "$err" | grep -q "\"$missing\"" || fail "error does not name $missing: $err"
done
err=$(lamina vnode add red s1 --fp openflow --config \
    "{\"listen\": \"pssl:1:127.0.0.1\", \"private_key\": \"$PKI/switch-key.pem\", \"certificate\": \"$PKI/switch-cert.pem\"}" 2>&1) &&
    fail "pssl: without ca_cert was accepted"
echo "$err" | grep -q '"ca_cert"' || fail "error does not name ca_cert: $err"
err=$(lamina vnode add red s1 --fp openflow --config \
    "{\"controller\": \"ssl:127.0.0.1:1\", $(echo "$SW_TLS" | sed "s|ca-cert.pem|nosuch.pem|")}" 2>&1) &&
    fail "an unreadable ca_cert was accepted"
echo "$err" | grep -q '"ca_cert".*nosuch.pem' || fail "unreadable ca_cert: $err"
info "refused: $err"
[ -z "$(lamina vnode list red 2>&1 | grep s1)" ] || fail "a refused vnode.add left a vnode"
lamina slice del red || fail "slice del red"

# vnode_up SLICE CONTROLLER: an openflow vnode with the switch's identity.
vnode_up() {
    lamina slice add "$1" || fail "slice add $1"
    lamina vnode add "$1" s1 --fp openflow \
        --config "{\"controller\": \"$2\", $SW_TLS}" || fail "vnode add $1"
    lamina vport add "$1" s1 v1 p1 || fail "vport add $1 v1"
    lamina vport add "$1" s1 v2 p2 || fail "vport add $1 v2"
}
flow_count() {
    lamina --json vnode dump "$1" s1 | json_get flow_count
}
# testcontroller NAME PORT IDENTITY: ovs-testcontroller on pssl:PORT.
testcontroller() {
    # shellcheck disable=SC2046
    bg_start ovs-testcontroller -O OpenFlow13 "pssl:$2:127.0.0.1" $(tls_args "$3") \
        --log-file="$LT_DIR/$1.log" -vconsole:off --unixctl="$LT_DIR/$1.ctl"
}

# ---- refused controller: its certificate is signed by another CA
PORT=$(free_port)
testcontroller rogue-controller "$PORT" rogue
ROGUE_PID=$LT_LAST_PID
vnode_up green "ssl:127.0.0.1:$PORT"
wait_for "grep -q 'ssl:127.0.0.1:$PORT closed: TLS handshake failed' '$LT_DIR/switchd.log'" 15 ||
    { tail -n 20 "$LT_DIR/switchd.log" >&2; fail "no TLS failure with the rogue controller"; }
info "rogue controller: $(grep "ssl:127.0.0.1:$PORT closed" "$LT_DIR/switchd.log" | head -n 1 | sed 's/.*closed: //')"
nsx h1 ping -c 2 -i 0.3 -W 1 10.0.0.2 >/dev/null && fail "ping through the rogue controller"
grep -q "ssl:127.0.0.1:$PORT speaks OpenFlow" "$LT_DIR/switchd.log" &&
    fail "the vnode spoke OpenFlow with the rogue controller"
[ "$(flow_count green)" -eq 0 ] || fail "the rogue controller installed flows"
lt_stop_pid "$ROGUE_PID"
lamina slice del green || fail "slice del green"

# ---- active: ovs-testcontroller over TLS, started after the vnode
PORT=$(free_port)
vnode_up red "ssl:127.0.0.1:$PORT"
sleep 1.2       # a failed attempt first: reconnection over TLS is tested too
testcontroller testcontroller "$PORT" ctl
TC_PID=$LT_LAST_PID
wait_for "nsx h1 ping -c 1 -W 1 10.0.0.2" 30 ||
    { tail -n 20 "$LT_DIR/switchd.log" >&2; tail -n 20 "$LT_DIR/testcontroller.log" >&2
      fail "testcontroller over TLS: h1 cannot reach h2"; }
nsx h1 ping -c 5 -i 0.2 -W 1 10.0.0.2 >/dev/null || fail "testcontroller: pings lost"
n=$(flow_count red)
[ "$n" -ge 3 ] || fail "testcontroller installed only $n flows"
grep -q "TLS with ssl:127.0.0.1:$PORT established (TLSv1.[23]" "$LT_DIR/switchd.log" ||
    fail "no TLS session logged"
info "ovs-testcontroller over TLS: ping ok, $n flows; $(grep "TLS with ssl:127.0.0.1:$PORT" "$LT_DIR/switchd.log" | head -n 1 | sed 's/.*: TLS/TLS/')"
lt_stop_pid "$TC_PID"
lamina slice del red || fail "slice del red"

# ---- passive: ovs-ofctl over TLS
PORT=$(free_port)
lamina slice add blue || fail "slice add blue"
lamina vnode add blue s1 --fp openflow \
    --config "{\"listen\": \"pssl:$PORT:127.0.0.1\", \"datapath_id\": \"0xabc\", $SW_TLS}" ||
    fail "vnode add blue (pssl)"
lamina vport add blue s1 v1 p1 || fail "vport add blue v1"
lamina vport add blue s1 v2 p2 || fail "vport add blue v2"
T=ssl:127.0.0.1:$PORT
# shellcheck disable=SC2046
ofctl() { local cmd=$1 id=$2; shift 2; timeout 10 ovs-ofctl -O OpenFlow13 $(tls_args "$id") "$cmd" "$T" "$@"; }
wait_for "ofctl show ctl" 10 || fail "ovs-ofctl cannot reach the pssl: vnode on $T"
ofctl show ctl | grep -q "dpid:0000000000000abc" || fail "show: $(ofctl show ctl 2>&1)"
ofctl add-flow ctl "priority=10,in_port=1,actions=output:2" || fail "add-flow 1"
ofctl add-flow ctl "priority=10,in_port=2,actions=output:1" || fail "add-flow 2"
wait_for "nsx h1 ping -c 1 -W 1 10.0.0.2" 10 || fail "h1 cannot reach h2 through the flows"
flows=$(ofctl dump-flows ctl) || fail "dump-flows"
info "dump-flows over TLS: $(echo "$flows" | grep -c priority=10) flows"
echo "$flows" | grep "in_port=1" | grep -q "n_packets=[1-9]" || fail "dump-flows: $flows"

# ---- refused ovs-ofctl: its certificate is signed by another CA
if err=$(ofctl dump-flows rogue 2>&1); then
    fail "ovs-ofctl with a rogue certificate was served: $err"
fi
wait_for "grep -q 'blue/s1: connection 127.0.0.1:[0-9]* closed: TLS handshake failed' '$LT_DIR/switchd.log'" 5 ||
    fail "no TLS failure logged for the rogue ovs-ofctl"
info "rogue ovs-ofctl refused: $(grep 'blue/s1: connection .* closed: TLS' "$LT_DIR/switchd.log" | tail -n 1 | sed 's/.*closed: //')"
# The switch still serves the right peer.
ofctl dump-flows ctl >/dev/null || fail "dump-flows after the rogue attempt"
pass
