#!/bin/bash
# leasing-reembed: a substrate failure under a lease, with the real broker,
# agent and switchd.  One InP (inp-a: a triangle s1 - s2 - s3 - s1, l12 of
# 30 Mbit/s, l23 and l13 of 1 Gbit/s; host h1 on s1 at ap1, h2 on s3 at
# ap2).  An SP leases two nodes and a 20 Mbit/s link; the broker embeds
# the vlink on the direct link l13 (no backup path).
#  (a) Cutting l13 (100% loss: only its BFD session at 10 ms x 3 sees it):
#      lamina-inpd sees it at its next poll of switchd's BFD state (every
#      100 ms) and tells the broker at once; the broker marks the lease
#      degraded, re-embeds the vlink by s2 against l12's capacity (a
#      two-phase change with the agent: reembed, then commit) and marks it
#      healthy; h1 pings h2 over s2; the lease's part shows the new path,
#      and the detour's 20 Mbit/s are booked on l12: a second lease of
#      20 Mbit/s between s1 and s2, which fits l12 only without them, is
#      refused.  lease-check.py agrees with the agent's capacity.
#  (c) l13 back: healthy on its own path, the detour's booking released:
#      the second lease now fits (and takes 20 of l12's 30 Mbit/s).
#  (b) Cutting l13 again (link set --down): the detour needs 20 Mbit/s of l12, which has 10
#      left: refused; the lease stays degraded, the reason naming the
#      vlink, l13 down and l12's free bandwidth.  l13 back: healthy.
#  (d) The broker killed at after-reembed-prepare, then at
#      after-reembed-decide: restarted, it finishes the re-embedding; no
#      hold left, lease-check agrees.
#  (e) The agent killed at reembed:after-record: restarted, the lease is
#      on its new part and the broker's retried commit is answered.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/broker-lib.sh"
lt_init leasing-reembed 60
broker_one_inp_hosts 0d 10.13.0
for s in s1 s2 s3; do sw "$SOCK" switch add $s || fail "switch add $s"; done
sw "$SOCK" link add l12 s1:to-s2 s2:to-s1 --rate 30M &&
    sw "$SOCK" link add l23 s2:to-s3 s3:to-s2 --rate 1G &&
    sw "$SOCK" link add l13 s1:to-s3 s3:to-s1 --rate 1G \
        --bfd '{"tx_ms": 10, "rx_ms": 10, "multiplier": 3}' &&
    sw "$SOCK" port add s1 h1 "$(afpacket_devargs h1)" &&
    sw "$SOCK" port add s3 h2 "$(afpacket_devargs h2)" || fail "the substrate of inp-a"

broker_one_inp s1 s3 sp1:sp
INPD_PID=$LT_LAST_PID

code() {    # METHOD PATH [BODY] -> status (as sp1); the body in $LT_DIR/out
    curl -s -o "$LT_DIR/out" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $(cat "$LT_DIR/sp1.tok")" \
        -H 'Content-Type: application/json' ${3:+--data-binary "$3"} "$U$2"
}
health() { code GET "/v1/leases/$ID" >/dev/null; jq -r .health out; }
# events KIND: how many events of KIND the lease has.
events() { code GET "/v1/leases/$ID/events?after=0" >/dev/null
           jq --arg k "$1" '[.events[] | select(.kind == $k)] | length' out; }
vpath() { sw "$SOCK" --json vlink list "L$ID" | jq -c '[.[0].path[]]'; }
# The path of the lease's vlink in the broker's part of inp-a.
bpath() { code GET "/v1/leases/$ID" >/dev/null; jq -c '.parts["inp-a"].vlinks[0].path' out; }
now_ms() { date +%s%3N; }
cat >check.json <<EOF
{"url": "$U", "admin": "$ADMIN", "sps": [],
 "inps": {"inp-a": {"url": "http://127.0.0.1:$PA", "token": "$(cat inp-a.agent)", "switchd": "$SOCK"}},
 "request": {}}
EOF

REQ='{"idempotency_key": "reembed-1",
      "nodes": [{"name": "left", "cpu": 10, "inp": "inp-a"}, {"name": "right", "cpu": 10, "inp": "inp-a"}],
      "links": [{"endpoints": ["left", "right"], "bandwidth": "20M"}],
      "access": [{"name": "h1", "node": "left", "at": "inp-a/ap1"},
                 {"name": "h2", "node": "right", "at": "inp-a/ap2"}],
      "time": {"start": "now", "duration": "10m"}}'
# The second lease: 20 Mbit/s between s1 and s2 (l12 has 30).
REQ2='{"idempotency_key": "KEY",
      "nodes": [{"name": "x", "cpu": 10, "inp": "inp-a", "location": "s1"},
                {"name": "y", "cpu": 10, "inp": "inp-a", "location": "s2"}],
      "links": [{"endpoints": ["x", "y"], "bandwidth": "20M"}],
      "time": {"start": "now", "duration": "10m"}}'
st=$(code POST /v1/requests "$REQ")
[ "$st" = 201 ] || fail "lease request: HTTP $st: $(cat out)"
ID=$(json_get id <out)
[ "$(json_get state <out)" = active ] || fail "lease $ID is $(json_get state <out), not active"
wait_for "has_slice $SOCK L$ID" 10 || fail "no slice L$ID on inp-a"
P0=$(vpath)
[ "$P0" = '["s1","s3"]' ] || [ "$P0" = '["s3","s1"]' ] || fail "the vlink is embedded on $P0, not on l13"
B0=$(bpath)
wait_for "nsx h1 ping -c 1 -W 1 10.13.0.2" 20 || fail "h1 cannot reach h2 in lease $ID"
[ "$(health)" = healthy ] || fail "a fresh lease is $(health)"
info "lease $ID active on $P0, healthy"
# The agent checks a re-embedding against its own capacity, as a prepare:
# a part wider than l13 is refused, naming the link, and nothing is held.
big=$(jq -c '.parts["inp-a"] | .vlinks[0].bandwidth_bps = 2000000000' out)
st=$(curl -s -o agent.out -w '%{http_code}' -X POST -H "Authorization: Bearer $(cat inp-a.agent)" \
    -H 'Content-Type: application/json' \
    --data-binary "{\"lease\": \"$ID\", \"txn\": \"t-big\", \"part\": $big}" "http://127.0.0.1:$PA/v1/reembed")
[ "$st" = 409 ] && jq -e '.error.resource == "bw:s1-s3"' agent.out >/dev/null ||
    fail "inp-a took a re-embedding wider than l13: HTTP $st: $(cat agent.out)"
grep -q '"reembed"' inp-a.state.json && fail "a refused re-embedding is held by inp-a"

# (a) Cut l13 so that only its BFD session sees it (all frames lost, the
# link still "up" on switchd): degraded, re-embedded by s2 by the broker,
# healthy, traffic passes again; the detour is booked.
wait_for "sw $SOCK --json bfd list | jq -e '[.[] | select(.link == \"l13\" and .state == \"Up\")] | length == 2' >/dev/null" 10 ||
    fail "the BFD sessions of l13 are not Up: $(sw "$SOCK" --json bfd list)"
t0=$(now_ms)
sw "$SOCK" link set l13 --loss 100% || fail "link set l13 --loss 100%"
wait_for "[ \"\$(events lease.healthy)\" -ge 1 ]" 10 ||
    fail "no lease.healthy after l13 went down: $(cat out)"
dt=$(( $(now_ms) - t0 ))
[ "$(events lease.degraded)" -ge 1 ] || fail "no lease.degraded event before healthy: $(cat out)"
jq -r '.events[] | select(.kind | startswith("lease.")) | "\(.kind): \(.message)"' out >&2
jq -e '[.events[] | select(.kind == "lease.degraded")][0].message | test("l13")' out >/dev/null ||
    fail "the lease.degraded event does not name l13: $(cat out)"
# Seen, decided, booked and applied well within the 3 s reconcile period
# and the 1 s heartbeat of this test (the client polls, too).
[ "$dt" -lt 2500 ] || fail "re-embedded $dt ms after the cut: the report waited"
grep -q "l13 (its BFD session is down)" inp-a.log || fail "inp-a did not see l13 down by BFD: $(grep 'links down' inp-a.log)"
P1=$(vpath)
[ "$P1" = '["s1","s2","s3"]' ] || [ "$P1" = '["s3","s2","s1"]' ] || fail "re-embedded on $P1, not by s2"
B1=$(bpath)
[ "$B1" = '["s1","s2","s3"]' ] || [ "$B1" = '["s3","s2","s1"]' ] || fail "the broker's part shows $B1, not the detour"
[ "$(health)" = healthy ] || fail "the lease is $(health) after the re-embedding"
jq -e '.health_detail["inp-a"].down == ["l13"] and .health_detail["inp-a"].state == "rerouted"' out >/dev/null ||
    fail "health_detail: $(cat out)"
wait_for "nsx h1 ping -c 1 -W 1 10.13.0.2" 15 || fail "h1 cannot reach h2 after the re-embedding"
nsx h1 ping -c 5 -i 0.2 -W 1 10.13.0.2 >/dev/null || fail "pings lost on the new path"
st=$(code POST /v1/requests "${REQ2/KEY/reembed-2a}")
[ "$st" = 409 ] || fail "a second 20M lease over l12 while the detour holds 20M of its 30M: HTTP $st: $(cat out)"
info "second lease refused: $(jq -r .error.message out)"
python3 "$LEASE_CHECK" check check.json || fail "lease-check with the lease on its detour"
info "l13 down: lease $ID re-embedded on $P1 in $dt ms (booked), healthy, h1 reaches h2"

# (c) l13 back: healthy on its own path; the detour's booking released.
n=$(events lease.healthy)
sw "$SOCK" link set l13 --loss 0 || fail "link set l13 --loss 0"
wait_for "[ \"\$(health)\" = healthy ] && [ \"\$(events lease.healthy)\" -gt $n ]" 10 ||
    fail "the lease is $(health) with l13 back: $(cat out)"
wait_for "[ \"\$(vpath)\" = '$P0' ]" 10 || fail "the vlink stays on $(vpath), not back on $P0"
[ "$(bpath)" = "$B0" ] || fail "the broker's part shows $(bpath), not $B0"
wait_for "nsx h1 ping -c 1 -W 1 10.13.0.2" 15 || fail "h1 cannot reach h2 with l13 back"
st=$(code POST /v1/requests "${REQ2/KEY/reembed-2b}")
[ "$st" = 201 ] || fail "the second lease with the detour released: HTTP $st: $(cat out)"
ID2=$(json_get id <out)
info "l13 back: healthy on $P0; the second lease $ID2 now fits l12"

# (b) Cut l13 again: the detour does not fit l12 (10 Mbit/s left):
# refused, degraded with the reason.
n=$(events lease.degraded)
sw "$SOCK" link set l13 --down || fail "link set l13 --down (again)"
wait_for "[ \"\$(health)\" = degraded ]" 10 || fail "the lease is $(health) with no room for a detour"
why=$(jq -r '.health_detail["inp-a"].reason' out)
echo "$why" | grep -q "vlink left-right" && echo "$why" | grep -q "l13" &&
    echo "$why" | grep -q "s1-s2 has 10M free of 30M" || fail "degraded without the reason: $why"
[ "$(bpath)" = "$B0" ] || fail "the refused detour moved the broker's part to $(bpath)"
[ "$(events lease.degraded)" -gt "$n" ] || fail "no new lease.degraded event"
code GET "/v1/leases/$ID/events?after=0" >/dev/null
jq -r '.events[] | select(.kind == "lease.degraded") | .message' out | grep -q "cannot re-embed" ||
    fail "no lease.degraded event naming why: $(cat out)"
python3 "$LEASE_CHECK" check check.json || fail "lease-check with the lease degraded"
"$LT_BUILD/cli/lamina" lease show "$ID" >show.out || fail "lamina lease show $ID"
grep -q "health: degraded, links down \[\"l13\"\]: vlink left-right" show.out ||
    fail "lamina lease show does not say why: $(cat show.out)"
info "l13 down, no room: degraded: $why"

# l13 back: healthy on its own path.
n=$(events lease.healthy)
sw "$SOCK" link set l13 --up || fail "link set l13 --up (again)"
wait_for "[ \"\$(health)\" = healthy ] && [ \"\$(events lease.healthy)\" -gt $n ]" 10 ||
    fail "the lease is $(health) with l13 back"
wait_for "nsx h1 ping -c 1 -W 1 10.13.0.2" 15 || fail "h1 cannot reach h2 with l13 back"

# (d) The broker killed in the middle of a re-embedding (the agent holds
# the new part; or the decision is written, the agent not told): started
# again, it finishes like any two-phase step (abort and redo, or commit),
# with no hold left and the bookings equal on both sides.
code POST "/v1/leases/$ID2/release" >/dev/null
for point in after-reembed-prepare after-reembed-decide; do
    lt_stop_pid "$BRK_PID"
    start_broker LAMINA_BROKER_FAULT="$point"
    wait_for "inp_up inp-a" 10 || fail "$point: inp-a not up at the broker"
    sw "$SOCK" link set l13 --down || fail "$point: link set l13 --down"
    wait_for "! kill -0 $BRK_PID" 10 || fail "$point: the broker did not die there"
    wait "$BRK_PID" 2>/dev/null
    start_broker
    wait_for "[ \"\$(health)\" = healthy ] && [ \"\$(vpath)\" = '$P1' ] && [ \"\$(bpath)\" = '$B1' ]" 15 ||
        fail "$point: after the restart the lease is $(health) on $(vpath) (broker: $(bpath))"
    wait_for "python3 $LEASE_CHECK check check.json >check.out 2>&1" 10 ||
        fail "$point: lease-check: $(cat check.out)"
    grep -q '"reembed"' inp-a.state.json && fail "$point: a re-embedding is still held by inp-a"
    sw "$SOCK" link set l13 --up || fail "$point: link set l13 --up"
    wait_for "[ \"\$(vpath)\" = '$P0' ] && [ \"\$(bpath)\" = '$B0' ]" 10 ||
        fail "$point: not back on $P0 with l13 up"
    info "broker killed at $point: recovered, re-embedded on $P1, then back on $P0"
done

# (e) The agent killed once the new part replaced the old in its state
# file, before it answered: restarted, it builds the slice on the new
# part, and the broker's retried commit gets its answer.
lt_stop_pid "$INPD_PID"
bg_start env LAMINA_FAULT=inpd:reembed:after-record "$INPD" --config "$LT_DIR/inp-a.json" >>inp-a.log 2>&1
INPD_PID=$LT_LAST_PID
wait_for "curl -s -o /dev/null http://127.0.0.1:$PA/v1/leases" 10 || fail "inp-a did not start again"
sw "$SOCK" link set l13 --down || fail "inpd fault: link set l13 --down"
wait_for "! kill -0 $INPD_PID" 10 || fail "the agent did not die at reembed:after-record"
wait "$INPD_PID" 2>/dev/null
bg_start "$INPD" --config "$LT_DIR/inp-a.json" >>inp-a.log 2>&1
INPD_PID=$LT_LAST_PID
wait_for "[ \"\$(health)\" = healthy ] && [ \"\$(vpath)\" = '$P1' ] && [ \"\$(bpath)\" = '$B1' ]" 15 ||
    fail "agent restarted: the lease is $(health) on $(vpath) (broker: $(bpath))"
wait_for "python3 $LEASE_CHECK check check.json >check.out 2>&1" 10 ||
    fail "agent restarted: lease-check: $(cat check.out)"
sw "$SOCK" link set l13 --up || fail "inpd fault: link set l13 --up"
wait_for "[ \"\$(vpath)\" = '$P0' ] && [ \"\$(bpath)\" = '$B0' ]" 10 || fail "not back on $P0 after the agent's restart"
info "agent killed at reembed:after-record: restarted on the new part, the broker's commit answered"
pass "l13 cut: re-embedded by the broker on s2 in $dt ms, booked (a second lease refused); back: own path, booking released; no room: degraded with the reason; back: healthy; broker and agent crashes mid-way recovered"
