#!/bin/bash
# leasing-reembed: a substrate failure under a lease, with the real broker,
# agent and switchd.  One InP (inp-a: a triangle s1 - s2 - s3 - s1, host
# h1 on s1 at ap1, h2 on s3 at ap2).  An SP leases two nodes and a link;
# the broker embeds the vlink on the direct link l13 (no backup path).
# Cutting l13 (link set --down): lamina-inpd notices it at its reconcile,
# re-embeds the vlink by s2 and tells the broker with its heartbeat; the
# broker records a lease.degraded event, then lease.healthy, and h1 pings
# h2 again over s2.  Cutting l12 as well leaves no path: the lease stays
# degraded, the broker naming the reason.  The links back up: healthy
# again, on its own path.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/broker-lib.sh"
lt_init leasing-reembed 90
broker_one_inp_hosts 0d 10.13.0
for s in s1 s2 s3; do sw "$SOCK" switch add $s || fail "switch add $s"; done
sw "$SOCK" link add l12 s1:to-s2 s2:to-s1 --rate 1G &&
    sw "$SOCK" link add l23 s2:to-s3 s3:to-s2 --rate 1G &&
    sw "$SOCK" link add l13 s1:to-s3 s3:to-s1 --rate 1G &&
    sw "$SOCK" port add s1 h1 "$(afpacket_devargs h1)" &&
    sw "$SOCK" port add s3 h2 "$(afpacket_devargs h2)" || fail "the substrate of inp-a"

broker_one_inp s1 s3 sp1:sp

code() {    # METHOD PATH [BODY] -> status (as sp1); the body in $LT_DIR/out
    curl -s -o "$LT_DIR/out" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $(cat "$LT_DIR/sp1.tok")" \
        -H 'Content-Type: application/json' ${3:+--data-binary "$3"} "$U$2"
}
health() { code GET "/v1/leases/$ID" >/dev/null; jq -r .health out; }
# events KIND: how many events of KIND the lease has.
events() { code GET "/v1/leases/$ID/events?after=0" >/dev/null
           jq --arg k "$1" '[.events[] | select(.kind == $k)] | length' out; }
vpath() { sw "$SOCK" --json vlink list "L$ID" | jq -c '[.[0].path[]]'; }

REQ='{"idempotency_key": "reembed-1",
      "nodes": [{"name": "left", "cpu": 10, "inp": "inp-a"}, {"name": "right", "cpu": 10, "inp": "inp-a"}],
      "links": [{"endpoints": ["left", "right"], "bandwidth": "10M"}],
      "access": [{"name": "h1", "node": "left", "at": "inp-a/ap1"},
                 {"name": "h2", "node": "right", "at": "inp-a/ap2"}],
      "time": {"start": "now", "duration": "10m"}}'
st=$(code POST /v1/requests "$REQ")
[ "$st" = 201 ] || fail "lease request: HTTP $st: $(cat out)"
ID=$(json_get id <out)
[ "$(json_get state <out)" = active ] || fail "lease $ID is $(json_get state <out), not active"
wait_for "has_slice $SOCK L$ID" 10 || fail "no slice L$ID on inp-a"
P0=$(vpath)
[ "$P0" = '["s1","s3"]' ] || [ "$P0" = '["s3","s1"]' ] || fail "the vlink is embedded on $P0, not on l13"
wait_for "nsx h1 ping -c 1 -W 1 10.13.0.2" 20 || fail "h1 cannot reach h2 in lease $ID"
[ "$(health)" = healthy ] || fail "a fresh lease is $(health)"
info "lease $ID active on $P0, healthy"

# Cut l13: degraded, re-embedded by s2, healthy, traffic passes again.
sw "$SOCK" link set l13 --down || fail "link set l13 --down"
wait_for "[ \"\$(events lease.healthy)\" -ge 1 ]" 15 ||
    fail "no lease.healthy after l13 went down: $(cat out)"
[ "$(events lease.degraded)" -ge 1 ] || fail "no lease.degraded event before healthy: $(cat out)"
jq -r '.events[] | select(.kind | startswith("lease.")) | "\(.kind): \(.message)"' out | grep -E "degraded|healthy" >&2
P1=$(vpath)
[ "$P1" = '["s1","s2","s3"]' ] || [ "$P1" = '["s3","s2","s1"]' ] || fail "re-embedded on $P1, not by s2"
[ "$(health)" = healthy ] || fail "the lease is $(health) after the re-embedding"
jq -e '.health_detail["inp-a"].down == ["l13"]' out >/dev/null || fail "health_detail: $(cat out)"
wait_for "nsx h1 ping -c 1 -W 1 10.13.0.2" 15 || fail "h1 cannot reach h2 after the re-embedding"
nsx h1 ping -c 5 -i 0.2 -W 1 10.13.0.2 >/dev/null || fail "pings lost on the new path"
info "l13 down: lease $ID re-embedded on $P1, healthy, h1 reaches h2"

# Cut l12 too: no path left; degraded with the reason.
sw "$SOCK" link set l12 --down || fail "link set l12 --down"
wait_for "[ \"\$(health)\" = degraded ]" 15 || fail "the lease is $(health) with no path left"
why=$(jq -r '.health_detail["inp-a"].reason' out)
echo "$why" | grep -q "no path from s[13] to s[13]" || fail "degraded without the reason: $why"
code GET "/v1/leases/$ID/events?after=0" >/dev/null
jq -r '.events[] | select(.kind == "lease.degraded") | .message' out | grep -q "cannot re-embed" ||
    fail "no lease.degraded event naming why: $(cat out)"
nsx h1 ping -c 1 -W 1 10.13.0.2 >/dev/null && fail "h1 reaches h2 with l12 and l13 down"
info "l12 and l13 down: degraded: $why"

# The links back: healthy on its own path again.
n=$(events lease.healthy)
sw "$SOCK" link set l12 --up && sw "$SOCK" link set l13 --up || fail "link set --up"
wait_for "[ \"\$(health)\" = healthy ] && [ \"\$(events lease.healthy)\" -gt $n ]" 15 ||
    fail "the lease is $(health) with the links back"
wait_for "[ \"\$(vpath)\" = '$P0' ]" 10 || fail "the vlink stays on $(vpath), not back on $P0"
wait_for "nsx h1 ping -c 1 -W 1 10.13.0.2" 15 || fail "h1 cannot reach h2 with the links back"
info "links back: healthy on $P0"
pass "l13 cut: degraded then re-embedded by s2 and healthy; no path left: degraded with the reason; links back: healthy"
