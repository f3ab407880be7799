#!/bin/bash
# inpd: a real lamina-inpd beside a real lamina-switchd (switches s1, s2,
# hosts h1 on s1 and h2 on s2 in namespaces, a border port to-b on s2 over
# a veth), with the broker's side of the leasing protocol played by curl:
#   - a wrong token gets 401; a PART too big for the InP gets 409 naming
#     the resource; a prepare is idempotent by (lease, txn);
#   - prepare + abort, and a hold that lapses, leave nothing;
#   - prepare + commit: slice L<id> on switchd, h1 pings h2 through it, and
#     the border vlink sends the slice's frames out of to-b with label 1000;
#   - renew answers the end granted (capped by max_lease_s);
#   - kill -9 inpd, restart switchd empty: the new inpd rebuilds the slice,
#     removes an orphan lease slice and keeps a slice that is no lease's;
#   - switchd restarted under a running inpd: reconcile restores the slice;
#   - release removes the slice; a lease ends by itself at its end;
#   - a fault point kills inpd after the hold is saved: the retried prepare
#     gets the first answer; then every fault point in turn: killed there,
#     restarted, the retried calls finish the lease and nothing is left.
. "$(dirname "$0")/lib.sh"
lt_init inpd 200

INPD=$LT_BUILD/inp-agent/lamina-inpd
[ -x "$INPD" ] || skip "$INPD is not built"
PORT=$(lt_free_port)
URL=http://127.0.0.1:$PORT/v1
TOKEN=agent-token-$$-0123456789
echo "$TOKEN" >"$LT_DIR/agent.token"

ns_add h1
ns_add h2
veth_add h1 eth0 h1 02:00:00:00:01:01 10.9.0.1/24
veth_add h2 eth0 h2 02:00:00:00:01:02 10.9.0.2/24
# The border: to-b on s2 is one end of a veth pair; the other end (bx)
# stands for the peer InP's switch, where a capture sees what crosses.
BA=$(rif ba)
BX=$(rif bx)
ip link add "$BA" type veth peer name "$BX" || fail "veth pair for the border"
LT_LINKS+=("$BA")
for i in "$BA" "$BX"; do
    ip link set "$i" mtu 1600
    lt_if_prepare "" "$i"
done

# The substrate, built again after each empty restart of switchd.
substrate() {
    lamina switch add s1 && lamina switch add s2 &&
        lamina link add l12 s1:to-s2 s2:to-s1 &&
        lamina port add s1 h1 "$(af_packet_devargs h1)" &&
        lamina port add s2 h2 "$(af_packet_devargs h2)" &&
        lamina port add s2 to-b "$(af_packet_devargs ba)"
}
start_switchd
substrate || fail "substrate"

cat >"$LT_DIR/inpd.json" <<EOF
{"name": "inp-a", "switchd_socket": "$LT_SOCK", "listen": "127.0.0.1:$PORT",
 "agent_token_file": "$LT_DIR/agent.token", "state": "$LT_DIR/inpd.state",
 "max_lease_s": 600, "node_cpu": 100,
 "offer": {"access": [{"name": "a1", "node": "s1", "port": "h1"},
                      {"name": "a2", "node": "s2", "port": "h2"}],
           "borders": [{"name": "ab", "node": "s2", "port": "to-b", "peer_inp": "inp-b",
                        "peer_border": "ba", "bandwidth": "1G", "labels": [1000, 1999]}]}}
EOF

INPD_PID=
start_inpd() {
    rm -f "$LT_DIR/inpd.pid"
    LAMINA_LOG=debug bg_start env ${FAULT:+LAMINA_FAULT=$FAULT} "$INPD" \
        --config "$LT_DIR/inpd.json" --pidfile "$LT_DIR/inpd.pid" >>"$LT_DIR/inpd.log" 2>&1
    INPD_PID=$LT_LAST_PID
    wait_for "[ -s '$LT_DIR/inpd.pid' ] || ! kill -0 $INPD_PID" 20
    kill -0 "$INPD_PID" 2>/dev/null || { tail -n 20 "$LT_DIR/inpd.log" >&2; fail "lamina-inpd did not start"; }
    info "lamina-inpd pid $INPD_PID on $URL"
}

# call METHOD PATH [BODY]: prints the HTTP status, then the body (to $LT_DIR/reply).
call() {
    curl -s -o "$LT_DIR/reply" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' ${3:+--data "$3"} "$URL/$2"
}
reply() { json_get "$1" <"$LT_DIR/reply"; }
slices() { lamina --json slice list | jq -r '.[].name' | sort | tr '\n' ' '; }
has_slice() { lamina --json slice list | jq -e --arg s "$1" 'any(.[]; .name == $s)' >/dev/null; }

part() {    # part LEASE [CPU]
    cat <<EOF
{"slice": "L$1", "sp": "sp1",
 "vnodes": [{"name": "v1", "switch": "s1", "cpu": ${2:-10}, "fp": "l2learn", "config": {}},
            {"name": "v2", "switch": "s2", "cpu": 10, "fp": "l2learn", "config": {}}],
 "access": [{"vnode": "v1", "access": "a1", "name": "h1", "vlan": null},
            {"vnode": "v2", "access": "a2", "name": "h2", "vlan": null}],
 "vlinks": [{"name": "e1", "a": "v1", "b": "v2", "path": ["s1", "s2"], "bandwidth_bps": 10000000}],
 "border_vlinks": [{"name": "e2", "vnode": "v1", "path": ["s1", "s2"], "border": "ab",
                    "label": 1000, "bandwidth_bps": 10000000}]}
EOF
}
prepare() {     # prepare LEASE TXN START END [HOLD_S] [CPU]
    call POST prepare "{\"lease\": \"$1\", \"txn\": \"$2\", \"start\": $3, \"end\": $4,
                       \"hold_s\": ${5:-120}, \"part\": $(part "$1" "$6")}"
}

start_inpd
wait_for "[ \"\$(call GET capacity)\" = 200 ]" 10 || fail "capacity: $(cat "$LT_DIR/reply")"
[ "$(reply total.cpu:s1)" = 100 ] || fail "capacity: s1 should offer 100 CPU (derived from switchd)"

# Auth and bad input.
st=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer nope" "$URL/leases")
[ "$st" = 401 ] || fail "a wrong token got $st, not 401"
curl -sf -o "$LT_DIR/reply" -H "Authorization: Bearer $TOKEN" "${URL%/v1}/metrics" ||
    fail "GET /metrics"
grep -qx 'lamina_inpd_leases{inp="[^"]*",state="active"} 0' "$LT_DIR/reply" ||
    fail "/metrics: $(cat "$LT_DIR/reply")"
if command -v promtool >/dev/null; then
    promtool check metrics <"$LT_DIR/reply" || fail "promtool refuses the agent's metrics"
fi
now=$(date +%s)
st=$(prepare 2 t2 "$now" $((now + 60)) 120 1000)
[ "$st" = 409 ] || fail "a prepare asking 1000 CPU got $st"
[ "$(reply error.resource)" = cpu:s1 ] || fail "the refusal should name cpu:s1: $(cat "$LT_DIR/reply")"
info "refused: $(reply error.message)"
st=$(prepare 2 t2 "$now" $((now + 6000)))
[ "$st" = 422 ] || fail "a lease longer than max_lease_s got $st"

# Prepare, retried, then abort: nothing left.
[ "$(prepare 1 t1 "$now" $((now + 60)))" = 200 ] || fail "prepare 1: $(cat "$LT_DIR/reply")"
[ "$(reply held)" = True ] || fail "prepare 1 did not hold"
until1=$(reply hold_until)
[ "$(prepare 1 t1 "$now" $((now + 60)))" = 200 ] || fail "retried prepare 1"
[ "$(reply hold_until)" = "$until1" ] || fail "a retried prepare should answer the first answer"
[ "$(prepare 1 t9 "$now" $((now + 60)))" = 409 ] || fail "prepare 1 with another txn should conflict"
call GET capacity >/dev/null
[ "$(reply holds.0.lease)" = 1 ] || fail "capacity should list the hold of lease 1"
[ "$(reply free_now.cpu:s1)" = 90 ] || fail "the hold should take 10 CPU of s1 now"
[ "$(call POST abort '{"lease": "1", "txn": "t1"}')" = 200 ] || fail "abort 1"
[ "$(call POST commit '{"lease": "1", "txn": "t1"}')" = 409 ] || fail "commit after abort should be refused"
call GET capacity >/dev/null
[ "$(reply holds)" = "[]" ] || fail "holds left after abort: $(reply holds)"
has_slice L1 && fail "an aborted lease has a slice"

# A hold lapses by itself.
[ "$(prepare 3 t3 "$now" $((now + 60)) 1)" = 200 ] || fail "prepare 3"
wait_for "call GET capacity >/dev/null; [ \"\$(reply holds)\" = '[]' ]" 5 || fail "the hold of lease 3 did not lapse"
[ "$(call POST commit '{"lease": "3", "txn": "t3"}')" = 409 ] || fail "commit after a lapse should be refused"
info "abort and lapse leave nothing"

# Prepare + commit: the slice is built, the hosts ping, the border carries label 1000.
[ "$(prepare 4 t4 "$now" $((now + 300)))" = 200 ] || fail "prepare 4: $(cat "$LT_DIR/reply")"
[ "$(call POST commit '{"lease": "4", "txn": "t4"}')" = 200 ] || fail "commit 4: $(cat "$LT_DIR/reply")"
[ "$(reply state)" = committed ] || fail "commit 4 state"
[ "$(call POST commit '{"lease": "4", "txn": "t4"}')" = 200 ] || fail "a retried commit"
has_slice L4 || fail "no slice L4 after commit"
[ "$(lamina --json vlink list L4 | jq -r '.[] | select(.name == "e2") | .border.label')" = 1000 ] ||
    fail "the border vlink of L4 should carry label 1000 on to-b"
capture_start - "$BX" "$LT_DIR/border.pcap"
wait_for "nsx h1 ping -c 1 -W 1 10.9.0.2" 20 || fail "h1 cannot reach h2 in slice L4"
nsx h1 ping -c 3 -i 0.2 -W 1 10.9.0.2 >/dev/null || fail "pings lost in slice L4"
capture_stop
mpls=$(capture_count "$LT_DIR/border.pcap" mpls 1000)
[ "$mpls" -ge 1 ] || fail "no frame with label 1000 left the border port"
info "lease 4 active: ping h1 -> h2, $mpls frames with label 1000 on the border"
# The border label is taken on to-b: switchd refuses another user, by name.
out=$(lamina vlink add L4 extra --path s2 --border '{"port": "to-b", "label": 1000}' 2>&1) &&
    fail "a second border vlink with label 1000 on to-b was accepted"
echo "$out" | grep -q "border label 1000 is already in use on port s2/to-b (slice L4)" ||
    fail "the refusal should name the label, the port and the slice: $out"
out=$(lamina vlink add L4 extra --path s2 --border '{"port": "to-b"}' 2>&1) &&
    fail "a border without a label was accepted"
echo "$out" | grep -q label || fail "the refusal should name the missing label: $out"

# Renew: the end granted, capped by max_lease_s.
[ "$(call POST renew "{\"lease\": \"4\", \"end\": $((now + 100000))}")" = 200 ] || fail "renew 4"
[ "$(reply end)" = $((now + 600)) ] || fail "renew granted $(reply end), expected $((now + 600))"
call GET leases >/dev/null
[ "$(reply leases.0.end)" = $((now + 600)) ] || fail "the lease list should show the granted end"
info "renew granted the end allowed by max_lease_s"

# kill -9 inpd; switchd restarted empty; an orphan lease slice and a user slice.
lt_stop_pid "$INPD_PID" KILL
stop_switchd
start_switchd --no-restore
substrate || fail "substrate again"
lamina slice add L99 || fail "slice add L99"
lamina slice add red || fail "slice add red"
start_inpd
wait_for "has_slice L4 && ! has_slice L99" 10 || fail "reconcile at start: slices are $(slices)"
has_slice red || fail "reconcile removed slice red, which is no lease's"
wait_for "nsx h1 ping -c 1 -W 1 10.9.0.2" 20 || fail "h1 cannot reach h2 after reconcile"
info "after kill -9 and an empty switchd: $(slices)"

# switchd restarted under the running inpd.
stop_switchd
start_switchd --no-restore
substrate || fail "substrate a third time"
wait_for "has_slice L4" 10 || fail "inpd did not rebuild L4 after a switchd restart"
wait_for "nsx h1 ping -c 1 -W 1 10.9.0.2" 20 || fail "h1 cannot reach h2 after the switchd restart"
info "switchd restart: reconciled"

# Release.
[ "$(call POST release '{"lease": "4"}')" = 200 ] || fail "release 4"
has_slice L4 && fail "slice L4 still there after release"
[ "$(call POST release '{"lease": "4"}')" = 200 ] || fail "a retried release"
nsx h1 ping -c 1 -W 1 10.9.0.2 >/dev/null && fail "h1 still reaches h2 after release"

# A lease ends by itself at its end.
now=$(date +%s)
[ "$(prepare 5 t5 "$now" $((now + 3)))" = 200 ] || fail "prepare 5"
[ "$(call POST commit '{"lease": "5", "txn": "t5"}')" = 200 ] || fail "commit 5"
has_slice L5 || fail "no slice L5"
wait_for "! has_slice L5" 6 || fail "slice L5 outlived its end"
ended=$(date +%s)
[ "$ended" -le $((now + 5)) ] || fail "slice L5 removed only at $ended (end $((now + 3)))"
call GET capacity >/dev/null
[ "$(reply free_now.cpu:s1)" = 100 ] || fail "capacity did not come back after the end"
info "lease 5 ended by itself"

# A fault point: killed after the hold is saved; the retry gets the answer.
lt_stop_pid "$INPD_PID" TERM
FAULT=inpd:prepare:after-hold start_inpd
st=$(prepare 6 t6 "$now" $((now + 60)))
[ "$st" = 200 ] && fail "the fault point did not fire"
wait_for "! kill -0 $INPD_PID" 5 || fail "inpd survived its fault point"
FAULT= start_inpd
[ "$(prepare 6 t6 "$now" $((now + 60)))" = 200 ] || fail "retried prepare 6 after the crash"
[ "$(reply state)" = held ] || fail "lease 6 should be held"
[ "$(call POST abort '{"lease": "6", "txn": "t6"}')" = 200 ] || fail "abort 6"
lt_stop_pid "$INPD_PID" TERM

# Every fault point: inpd dies there; restarted, the broker's retries of the
# same calls (same lease and txn) finish the story, and nothing is left.
story() {   # LEASE abort|full: 0 if every call was answered 200, else the step
    local l=$1 t=$(date +%s)
    [ "$(prepare "$l" "t$l" "$t" $((t + 300)))" = 200 ] || { echo prepare; return 1; }
    if [ "$2" = abort ]; then
        [ "$(call POST abort "{\"lease\": \"$l\", \"txn\": \"t$l\"}")" = 200 ] || { echo abort; return 1; }
        return 0
    fi
    [ "$(call POST commit "{\"lease\": \"$l\", \"txn\": \"t$l\"}")" = 200 ] || { echo commit; return 1; }
    has_slice "L$l" || { echo "slice"; return 1; }
    [ "$(call POST renew "{\"lease\": \"$l\", \"end\": $((t + 400))}")" = 200 ] || { echo renew; return 1; }
    [ "$(call POST release "{\"lease\": \"$l\"}")" = 200 ] || { echo release; return 1; }
    ! has_slice "L$l" || { echo "slice after release"; return 1; }
}
n=10
for step in prepare:before-hold prepare:after-hold commit:after-record commit:after-apply \
            abort:after-record renew:after-record release:after-record reconcile:before-apply; do
    n=$((n + 1))
    mode=full
    [ "$step" = abort:after-record ] && mode=abort
    FAULT=inpd:$step start_inpd
    at=$(story $n $mode) && fail "fault point $step did not fire"
    wait_for "! kill -0 $INPD_PID" 5 || fail "inpd survived fault point $step"
    FAULT= start_inpd
    at2=$(story $n $mode) || fail "after a kill at $step (during $at), the retried story failed at $at2"
    call GET capacity >/dev/null
    [ "$(reply holds)" = "[]" ] || fail "after $step: holds left: $(reply holds)"
    [ "$(reply free_now.cpu:s1)" = 100 ] || fail "after $step: free CPU of s1 is $(reply free_now.cpu:s1)"
    case " $(slices)" in *" L"*) fail "after $step: lease slices left: $(slices)" ;; esac
    lt_stop_pid "$INPD_PID" TERM
    info "fault point $step (killed during $at): recovered"
done
pass