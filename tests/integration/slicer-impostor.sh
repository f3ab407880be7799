#!/bin/bash
# slicer-impostor (issue 10, item 2): lamina-slicer cannot be fooled from
# the switch side or the controller side over plain TCP.
#   - A ptcp: switch listener needs --switch-secret-file (or
#     --switches-open); beyond loopback only --switches-open.
#   - The real switch (a Lamina openflow vnode, datapath 0xb, presenting
#     the switch secret as its "switch_secret") registers and is bound to
#     that credential; the binding is in the state file and survives a
#     restart of the slicer.
#   - Impostors claiming 0xb (no secret, a wrong secret) are refused
#     (HELLO_FAILED/EPERM, counted), the real switch keeps its connection
#     and the slice's flows, and nothing is pushed to the impostors.
#   - A slice without a secret is refused unless --open (or an ssl:
#     controller); its secret cannot be taken away.
. "$(dirname "$0")/lib.sh"
lt_init slicer-impostor 120

SLICER_EXE=$LT_BUILD/slicer/lamina-slicer
[ -x "$SLICER_EXE" ] || skip "lamina-slicer is not built"
free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
SLICER_PORT=$(free_port)
RED_PORT=$(free_port)
SLICER_SOCK=$LT_DIR/slicer.sock
SECRET_FILE=$LT_DIR/switch.secret
(umask 077; echo "switches-$$" >"$SECRET_FILE")
slicer() { "$LT_BUILD/cli/lamina" slicer --socket "$SLICER_SOCK" "$@"; }
client() { /usr/bin/python3 "$LT_LIB_DIR/of-auth-client.py" "$@"; }

# ---- Listeners that are refused -----------------------------------------
out=$(timeout 10 "$SLICER_EXE" --socket "$SLICER_SOCK" \
      --listen "ptcp:$SLICER_PORT:127.0.0.1" 2>&1) && fail "ptcp: without a switch secret started"
echo "$out" | grep -q "switch-secret-file" || fail "ptcp: without secret: $out"
out=$(timeout 10 "$SLICER_EXE" --socket "$SLICER_SOCK" --switch-secret-file "$SECRET_FILE" \
      --listen "ptcp:$SLICER_PORT:0.0.0.0" 2>&1) && fail "ptcp: beyond loopback started"
echo "$out" | grep -q "beyond loopback" || fail "ptcp: beyond loopback: $out"

start_slicer() {
    rm -f "$SLICER_SOCK"
    bg_start "$SLICER_EXE" --socket "$SLICER_SOCK" --state "$LT_DIR/slicer.state" \
        --listen "ptcp:$SLICER_PORT:127.0.0.1" --switch-secret-file "$SECRET_FILE" \
        >>"$LT_DIR/slicer.log" 2>&1
    SLICER_PID=$LT_LAST_PID
    # Answering, not only bound (the socket exists a moment before it listens).
    wait_for "slicer slice list >/dev/null 2>&1 || ! kill -0 $SLICER_PID" 20
    kill -0 "$SLICER_PID" 2>/dev/null || { cat "$LT_DIR/slicer.log" >&2; fail "lamina-slicer did not start"; }
}
start_slicer

# ---- Slices: a secret, or said to be open -----------------------------------
out=$(slicer slice add nosecret --controller "tcp:127.0.0.1:$RED_PORT" --switch 0xb:1 2>&1) &&
    fail "a slice without secret was created"
echo "$out" | grep -q -- "--open" || fail "slice without secret: $out"
slicer slice list | grep -q "name=nosecret" && fail "the refused slice exists"
slicer slice add red --controller "tcp:127.0.0.1:$RED_PORT" --switch 0xb:1,2 \
    --secret "red-$$" >/dev/null || fail "slice red (secret)"
slicer slice add spare --controller "tcp:127.0.0.1:1" --switch 0xc:1 --open >/dev/null ||
    fail "slice spare (--open)"
slicer slice list --json | grep -q '"open": true' || fail "the open slice is not shown open"
out=$(slicer slice set red --secret "" 2>&1) && fail "red's secret was taken away"
slicer flowspace add red-ip red ipv4_src=10.1.0.0/24 >/dev/null || fail "flowspace red"

# ---- The real switch: a Lamina vnode presenting the switch secret --------------
ns_add h1; ns_add h2
veth_add h1 eth0 p1 02:00:00:00:00:01 10.1.0.1/24
veth_add h2 eth0 p2 02:00:00:00:00:02 10.1.0.2/24
start_switchd
lamina switch add s1 >/dev/null || fail "switch add"
for i in 1 2; do
    lamina port add s1 "p$i" "$(af_packet_devargs "p$i")" >/dev/null || fail "port p$i"
done
lamina slice add sub >/dev/null || fail "slice add"
lamina vnode add sub s1 --fp openflow --config "{\"controller\": \"tcp:127.0.0.1:$SLICER_PORT\", \
\"datapath_id\": \"0xb\", \"switch_secret\": \"switches-$$\"}" >/dev/null || fail "vnode add"
for i in 1 2; do
    lamina vport add sub s1 "v$i" "p$i" >/dev/null || fail "vport v$i"
done
wait_for "slicer switch list | grep -q 000000000000000b" 20 || fail "the vnode did not register: $(tail -n 5 "$LT_DIR/slicer.log")"
slicer binding list | grep -q "secret-sha256:" || fail "0xb not bound: $(slicer binding list)"

# Red's controller (presenting red's secret) installs 5 flows.
"$LT_BUILD/tools/of-peer" controller --listen "$RED_PORT" --secret "red-$$" quota --count 5 \
    --match ipv4_src=10.1.0.0/24 >"$LT_DIR/red.out" 2>&1 &
LT_PIDS+=("$!")
vnode_flows() { lamina --json vnode dump sub s1 | json_get flow_count; }
wait_for "[ \"\$(vnode_flows)\" -ge 5 ]" 20 || fail "red's flows did not reach the vnode: $(lamina vnode dump sub s1)"
before=$(vnode_flows)
since=$(slicer switch list --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["switches"][0]["peer"])')

# ---- Impostors claiming 0xb ----------------------------------------------------
r=$(client switch "$SLICER_PORT" --dpid 0xb --secret wrong --wait 3) || fail "impostor: $r"
info "impostor, wrong secret: $r"
echo "$r" | grep -q '"errors": \[\[0, 1\]\]' || fail "wrong switch secret not answered EPERM: $r"
echo "$r" | grep -q '"closed": true' || fail "wrong switch secret: not closed: $r"
r=$(client switch "$SLICER_PORT" --dpid 0xb --wait 13) || fail "impostor: $r"
info "impostor, no secret: $r"
echo "$r" | grep -q '"closed": true' || fail "an impostor without secret was kept: $r"
# Neither got a flow (FLOW_MOD is type 14) nor more than HELLO/FEATURES_REQUEST/ERROR.
echo "$r" | grep -q '"types": \[[0-9, ]*14' && fail "flows pushed to an impostor: $r"

# The real switch is still there, with the same connection and its flows.
after=$(slicer switch list --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["switches"][0]["peer"])')
[ "$since" = "$after" ] || fail "the real switch's connection changed: $since -> $after"
[ "$(vnode_flows)" -eq "$before" ] || fail "the vnode's flows changed: $before -> $(vnode_flows)"
grep -q "reconnected from" "$LT_DIR/slicer.log" && fail "an impostor replaced the switch"
refused=$(slicer stats --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["switches_refused_credential"])')
[ "$refused" -ge 2 ] || fail "refused impostors counted $refused"

# ---- The binding survives a restart ---------------------------------------------
bound=$(slicer binding list --json)
lt_stop_pid "$SLICER_PID" KILL
start_slicer
[ "$(slicer binding list --json)" = "$bound" ] || fail "binding after restart: $(slicer binding list) (was $bound)"
slicer slice list | grep -q "name=red" || fail "red not restored"
wait_for "slicer switch list | grep -q 000000000000000b" 20 || fail "the real switch did not come back"
pass
