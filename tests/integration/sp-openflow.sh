#!/bin/bash
# sp-openflow: lamina-sp's built-in OpenFlow 1.3 controller apps drive
# openflow vnodes of lamina-switchd, beside a third-party controller.
#
#   - slice red: one vnode on s1 whose controller target is lamina-sp's
#     listener, app l2 (learning switch): h1 and h2 (10.0.0.0/24) ping.
#   - slice green: vnodes on s1, s2, s3 joined in a triangle of vlinks;
#     lamina-sp connects to their ptcp: listeners presenting the slice's
#     secret, app l3 with gateways 10.0.1.254/24 and 10.0.2.254/24: h3
#     (10.0.1.1, on s1) pings h4 (10.0.2.1, on s3) across the subnets;
#     the direct vlink s1-s3 is deleted and the app re-routes over s2.
#   - slice blue: a vnode on s2 driven by os-ken (osken-manager with
#     osken_learning_switch.py): h5 and h6 ping at the same time as red.
#   - through lamina-slicer: a vnode on s3 (h7, h8) whose controller is
#     the slicer; the slicer's slice "purple" (10.3.0.0/24) has lamina-sp
#     (app l2) as its controller, which presents the slice's secret.
. "$(dirname "$0")/lib.sh"
lt_init sp-openflow 180

SP="$LT_BUILD/sp-controller/lamina-sp"
[ -x "$SP" ] || fail "lamina-sp is not built ($SP)"
/usr/bin/python3 -c 'import os_ken' 2>/dev/null || skip "os-ken is not installed (python3-os-ken)"

free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

for i in 1 2 3 4 5 6 7 8; do ns_add h$i; done
veth_add h1 eth0 p1 02:00:00:00:00:01 10.0.0.1/24
veth_add h2 eth0 p2 02:00:00:00:00:02 10.0.0.2/24
veth_add h3 eth0 p3 02:00:00:00:00:03 10.0.1.1/24
veth_add h4 eth0 p4 02:00:00:00:00:04 10.0.2.1/24
veth_add h5 eth0 p5 02:00:00:00:00:05 10.0.0.1/24
veth_add h6 eth0 p6 02:00:00:00:00:06 10.0.0.2/24
veth_add h7 eth0 p7 02:00:00:00:00:07 10.3.0.7/24
veth_add h8 eth0 p8 02:00:00:00:00:08 10.3.0.8/24
nsx h3 ip route add default via 10.0.1.254 || fail "route on h3"
nsx h4 ip route add default via 10.0.2.254 || fail "route on h4"

start_switchd
for s in s1 s2 s3; do lamina switch add $s || fail "switch add $s"; done
lamina link add l12 s1:to-s2 s2:to-s1 || fail "link add l12"
lamina link add l23 s2:to-s3 s3:to-s2 || fail "link add l23"
lamina link add l13 s1:to-s3 s3:to-s1 || fail "link add l13"
for i in 1 2 3 5 6; do
    sw=s1; [ $i -ge 5 ] && sw=s2
    lamina port add $sw p$i "$(af_packet_devargs p$i)" || fail "port add p$i"
done
for i in 4 7 8; do
    lamina port add s3 p$i "$(af_packet_devargs p$i)" || fail "port add p$i"
done

# ---- red: lamina-sp listens, app l2
RED_PORT=$(free_port)
bg_start "$SP" --listen "ptcp:$RED_PORT:127.0.0.1" openflow l2 >"$LT_DIR/sp-red.log" 2>&1
lamina slice add red || fail "slice add red"
lamina vnode add red s1 --fp openflow \
    --config "{\"controller\": \"tcp:127.0.0.1:$RED_PORT\"}" || fail "vnode add red"
lamina vport add red s1 v1 p1 || fail "vport add red v1"
lamina vport add red s1 v2 p2 || fail "vport add red v2"
wait_for "nsx h1 ping -c 1 -W 1 10.0.0.2" 30 ||
    { tail -n 20 "$LT_DIR/sp-red.log" >&2; fail "l2: h1 cannot reach h2"; }
nsx h1 ping -c 5 -i 0.2 -W 1 10.0.0.2 >/dev/null || fail "l2: pings lost"
n=$(lamina --json vnode dump red s1 | json_get flow_count)
info "l2 app: ping ok, $n flows in the vnode"
[ "$n" -ge 3 ] || fail "l2 app installed only $n flows (table miss + 2 learned)"
grep -q "switch up" "$LT_DIR/sp-red.log" || fail "lamina-sp logged no switch"
# A peer that speaks only OpenFlow 1.0 is answered HELLO_FAILED and closed.
/usr/bin/python3 - "$RED_PORT" <<'PY' || fail "an OpenFlow 1.0 peer was not refused"
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(struct.pack("!BBHI", 1, 0, 8, 1))
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
types = []
while len(data) >= 8:
    v, t, n, x = struct.unpack("!BBHI", data[:8])
    types.append((t, struct.unpack("!H", data[8:10])[0] if t == 1 else None))
    data = data[n:]
sys.exit(0 if (1, 0) in types else 1)   # ERROR of type HELLO_FAILED, then EOF
PY

# ---- green: lamina-sp connects to the vnodes' listeners with the secret, app l3
SECRET=green-$RANDOM$RANDOM
echo "$SECRET" >"$LT_DIR/green.secret"
lamina slice add green || fail "slice add green"
CONNECTS=()
for s in s1 s2 s3; do
    P=$(free_port)
    lamina vnode add green $s --fp openflow \
        --config "{\"listen\": \"ptcp:$P:127.0.0.1\", \"secret\": \"$SECRET\"}" ||
        fail "vnode add green $s"
    CONNECTS+=(--connect "tcp:127.0.0.1:$P")
done
lamina vport add green s1 v3 p3 || fail "vport add green v3"
lamina vport add green s3 v4 p4 || fail "vport add green v4"
lamina vlink add green g12 --path s1,s2 || fail "vlink g12"
lamina vlink add green g23 --path s2,s3 || fail "vlink g23"
lamina vlink add green g13 --path s1,s3 || fail "vlink g13"

# A wrong secret gets nowhere.
echo "wrong-$SECRET" >"$LT_DIR/wrong.secret"
bg_start "$SP" --secret-file "$LT_DIR/wrong.secret" "${CONNECTS[@]:0:2}" \
    openflow l2 >"$LT_DIR/sp-wrong.log" 2>&1
WRONG_PID=$LT_LAST_PID

bg_start "$SP" --secret-file "$LT_DIR/green.secret" "${CONNECTS[@]}" \
    openflow l3 --gateway 10.0.1.254/24 --gateway 10.0.2.254/24 >"$LT_DIR/sp-green.log" 2>&1
wait_for "[ \$(grep -c 'switch up' '$LT_DIR/sp-green.log') -ge 3 ]" 20 ||
    { tail -n 20 "$LT_DIR/sp-green.log" >&2; fail "l3: lamina-sp did not get its 3 switches"; }
wait_for "[ \$(grep -c ' link ' '$LT_DIR/sp-green.log') -ge 6 ]" 20 ||
    { tail -n 20 "$LT_DIR/sp-green.log" >&2; fail "l3: the 3 vlinks were not discovered"; }
wait_for "nsx h3 ping -c 1 -W 1 10.0.2.1" 30 ||
    { tail -n 20 "$LT_DIR/sp-green.log" >&2; fail "l3: h3 cannot reach h4"; }
nsx h3 ping -c 5 -i 0.2 -W 1 10.0.2.1 >/dev/null || fail "l3: pings lost"
ttl=$(nsx h3 ping -c 1 -W 1 10.0.2.1 | sed -n 's/.*ttl=\([0-9]*\).*/\1/p')
info "l3 app: h3 -> h4 over the direct vlink, reply ttl $ttl"
[ "$ttl" = 62 ] || fail "l3: expected ttl 62 over two routers (s3, s1), got '$ttl'"
# The gateway answers ARP.
nsx h3 ip neigh show 10.0.1.254 | grep -q 02:00:5e:10:00:01 || fail "l3: no ARP answer for the gateway"
grep -q "switch up" "$LT_DIR/sp-wrong.log" && fail "a wrong secret got a switch"
lt_stop_pid "$WRONG_PID"

# The direct vlink goes away: routes move to s1 - s2 - s3.
lamina vlink del green g13 || fail "vlink del g13"
wait_for "grep -q 'down' '$LT_DIR/sp-green.log'" 10 || fail "l3: the link loss was not seen"
wait_for "nsx h3 ping -c 1 -W 1 10.0.2.1" 20 || fail "l3: no re-route after the vlink went down"
ttl=$(nsx h3 ping -c 1 -W 1 10.0.2.1 | sed -n 's/.*ttl=\([0-9]*\).*/\1/p')
info "l3 app: re-routed over s2, reply ttl $ttl"
[ "$ttl" = 61 ] || fail "l3: expected ttl 61 over three routers, got '$ttl'"

# ---- blue: os-ken beside lamina-sp, both pinging at once
BLUE_PORT=$(free_port)
lamina slice add blue || fail "slice add blue"
lamina vnode add blue s2 --fp openflow \
    --config "{\"controller\": \"tcp:127.0.0.1:$BLUE_PORT\"}" || fail "vnode add blue"
lamina vport add blue s2 v5 p5 || fail "vport add blue v5"
lamina vport add blue s2 v6 p6 || fail "vport add blue v6"
bg_start /usr/bin/python3 -m os_ken.cmd.manager --ofp-listen-host 127.0.0.1 \
    --ofp-tcp-listen-port "$BLUE_PORT" "$(dirname "$0")/osken_learning_switch.py" \
    >"$LT_DIR/osken.log" 2>&1
wait_for "nsx h5 ping -c 1 -W 1 10.0.0.2" 40 ||
    { tail -n 20 "$LT_DIR/osken.log" >&2; fail "os-ken: h5 cannot reach h6"; }
nsx h1 ping -c 20 -i 0.1 -W 1 10.0.0.2 >"$LT_DIR/red.ping" 2>&1 &
RP=$!
nsx h5 ping -c 20 -i 0.1 -W 1 10.0.0.2 >"$LT_DIR/blue.ping" 2>&1 &
BP=$!
nsx h3 ping -c 20 -i 0.1 -W 1 10.0.2.1 >"$LT_DIR/green.ping" 2>&1 || fail "green: pings lost beside red and blue"
wait $RP || fail "red (lamina-sp l2): pings lost beside blue (os-ken)"
wait $BP || fail "blue (os-ken): pings lost beside red (lamina-sp)"
grep -q "packet in" "$LT_DIR/osken.log" || fail "os-ken saw no packet-in"
info "red (lamina-sp l2), green (lamina-sp l3) and blue (os-ken) ping at once"

# ---- purple: lamina-sp behind lamina-slicer, with the slice's secret
[ -x "$LT_BUILD/slicer/lamina-slicer" ] || skip "lamina-slicer is not built"
SLICER_PORT=$(free_port)
PURPLE_PORT=$(free_port)
SLICER_SOCK=$LT_DIR/slicer.sock
(umask 077; echo "sw-$$-secret" >"$LT_DIR/switch.secret"; echo "purple-$$-secret" >"$LT_DIR/purple.secret")
bg_start "$LT_BUILD/slicer/lamina-slicer" --socket "$SLICER_SOCK" \
    --state "$LT_DIR/slicer.state" --listen "ptcp:$SLICER_PORT:127.0.0.1" \
    --switch-secret-file "$LT_DIR/switch.secret" >"$LT_DIR/slicer.log" 2>&1
wait_for "[ -S '$SLICER_SOCK' ]" 20 || fail "lamina-slicer did not start"
slicer() { "$LT_BUILD/cli/lamina" slicer --socket "$SLICER_SOCK" "$@"; }
slicer slice add purple --controller "tcp:127.0.0.1:$PURPLE_PORT" --switch 0xc:1,2 \
    --secret "purple-$$-secret" >/dev/null || fail "slicer: slice purple"
slicer flowspace add purple-ip purple "ipv4_src=10.3.0.0/24,ipv4_dst=10.3.0.0/24" >/dev/null &&
    slicer flowspace add purple-arp purple "arp_spa=10.3.0.0/24,arp_tpa=10.3.0.0/24" >/dev/null ||
    fail "slicer: flowspace purple"
lamina slice add sub || fail "slice add sub"
lamina vnode add sub s3 --fp openflow --config "{\"controller\": \"tcp:127.0.0.1:$SLICER_PORT\", \"datapath_id\": \"0xc\", \"switch_secret\": \"sw-$$-secret\"}" ||
    fail "vnode add sub"
lamina vport add sub s3 v7 p7 && lamina vport add sub s3 v8 p8 || fail "vports of sub"
bg_start "$SP" --listen "ptcp:$PURPLE_PORT:127.0.0.1" --secret-file "$LT_DIR/purple.secret" \
    openflow l2 >"$LT_DIR/sp-purple.log" 2>&1
wait_for "nsx h7 ping -c 1 -W 1 10.3.0.8" 40 ||
    { tail -n 20 "$LT_DIR/sp-purple.log" "$LT_DIR/slicer.log" >&2; fail "purple: h7 cannot reach h8 through the slicer"; }
nsx h7 ping -c 5 -i 0.2 -W 1 10.3.0.8 >/dev/null || fail "purple: pings lost"
grep -q "switch up, dpid [0-9a-f]*00c, 2 ports" "$LT_DIR/sp-purple.log" ||
    fail "lamina-sp did not see the slicer's 2-port view of datapath 0xc"
info "purple: lamina-sp's l2 app drives its slice through lamina-slicer"
pass
