#!/bin/bash
# leasing-recursion: recursion through leases, two levels deep, with the
# real broker, agent and switchd.  One InP (inp-a: switches s1 - s2, host
# h1 on s1 at ap1, h2 on s2 at ap2).  SP a leases two nodes and a 20M link
# with h1 and h2 (limits: 1000 flows on its left node) through lamina-sp,
# which offers the lease as sub-InP sub-a.  SP b leases from sub-a and offers that as sub-b; SP c
# leases from sub-b: three slices on one switchd, each child inside its
# parent (same switches, the access ports lent down to the deepest), and
# h1 - h2 traffic passes in c's slice.  Refused, naming the limit: c
# asking more CPU, more bandwidth, more flows or a later end than b holds,
# and a prepare sent straight to the agent for more than b's share.  The
# outside checker (tools/lease-check.py) passes.  A child released on its
# own gives the ports back.  Then a's lamina-sp stops and releases: c ends
# first, then b, then a (event order), each child told with a
# parent_ended event, every slice gone, the checker passes again.  A
# parent reaching its end takes its child along, child first.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/broker-lib.sh"
lt_init leasing-recursion 120
broker_one_inp_hosts 0c 10.12.0
sw "$SOCK" switch add s1 && sw "$SOCK" switch add s2 &&
    sw "$SOCK" link add l12 s1:to-s2 s2:to-s1 --rate 1G &&
    sw "$SOCK" port add s1 h1 "$(af_packet_devargs h1)" &&
    sw "$SOCK" port add s2 h2 "$(af_packet_devargs h2)" || fail "the substrate of inp-a"
broker_one_inp s1 s2 sp-a:sp sp-b:sp sp-c:sp

code() {    # METHOD PATH TOKEN-FILE [BODY] -> status; the body in $LT_DIR/out
    curl -s -o "$LT_DIR/out" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $(cat "$LT_DIR/$3")" \
        -H 'Content-Type: application/json' ${4:+--data-binary "$4"} "$U$2"
}
out() { json_get "$1" <"$LT_DIR/out"; }
vn() {      # KEY INP-OR-SUB CPU BW DURATION [LIMITS-OF-LEFT]: a request, access at INP/POINTs
    local at1=ap1 at2=ap2
    case $2 in sub-*) at1=h1 at2=h2 ;; esac
    echo "{\"idempotency_key\": \"$1\",
      \"nodes\": [{\"name\": \"left\", \"cpu\": $3, \"inp\": \"$2\"${6:+, \"limits\": $6}},
                  {\"name\": \"right\", \"cpu\": $3, \"inp\": \"$2\"}],
      \"links\": [{\"endpoints\": [\"left\", \"right\"], \"bandwidth\": \"$4\"}],
      \"access\": [{\"name\": \"h1\", \"node\": \"left\", \"at\": \"$2/$at1\"},
                   {\"name\": \"h2\", \"node\": \"right\", \"at\": \"$2/$at2\"}],
      \"time\": {\"start\": \"now\", \"duration\": \"$5\"}}"
}
lease() {   # SP-TOKEN-FILE REQUEST -> the lease id, active
    local st
    st=$(code POST /v1/requests "$1" "$2")
    [ "$st" = 201 ] && [ "$(out state)" = active ] || fail "request of $1: HTTP $st: $(cat out)"
    out id
}
vports() { sw "$SOCK" --json vport list "$1" | jq -r '[.[] | select(.vport | startswith("vl-") | not) | .vport] | sort | join(",")'; }

# Level 0: sp-a runs lamina-sp, which leases from inp-a and offers the
# lease as sub-a (the VN file's "offer").
vn a-1 inp-a 40 20M 10m '{"flows": 1000}' | jq '. + {offer: "sub-a"}' >vn-a.json
bg_start "$LT_BUILD/sp-controller/lamina-sp" --broker "$U" --token-file "$LT_DIR/sp-a.tok" \
    run "$LT_DIR/vn-a.json" >sp-a.out 2>>sp-a.log
SPA=$LT_LAST_PID
wait_for "grep -q '^offered sub-a token ' sp-a.out" 30 || fail "lamina-sp did not offer: $(cat sp-a.out sp-a.log)"
A=$(sed -n 's/^lease //p' sp-a.out)
[ "$(code POST "/v1/leases/$A/offer" sp-b.tok '{"name": "sub-x"}')" = 404 ] ||
    fail "sp-b offered sp-a's lease: $(cat out)"
code GET /v1/inps/sub-a sp-b.tok >/dev/null
[ "$(out real_inp)" = inp-a ] && [ "$(out parent_lease)" = "$A" ] &&
    [ "$(out offer.nodes.0.limits.flows)" = 1000 ] ||
    fail "sub-a's offer: $(cat out)"
wait_for "inp_up sub-a" 5 || fail "sub-a is not up"
info "sp-a: lamina-sp leased $A on inp-a and offered it as sub-a"

# Level 1: sp-b leases from sub-a (its left node inherits 1000 flows) and offers it.
B=$(lease sp-b.tok "$(vn b-1 sub-a 20 10M 8m)")
code GET /v1/inps/sub-a sp-a.tok >/dev/null
[ "$(out leases.0.id)" = "$B" ] && [ "$(out leases.0.sp)" = sp-b ] ||
    fail "sp-a does not see lease $B on its sub-InP: $(cat out)"
code GET "/v1/leases/$B" sp-b.tok >/dev/null
[ "$(out parts.inp-a.parent)" = "L$A" ] && [ "$(out parts.inp-a.vnodes.0.switch)" = s1 ] &&
    [ "$(out parts.inp-a.vnodes.0.limits.flows)" = 1000 ] &&
    [ "$(out parts.inp-a.access.0.access)" = ap1 ] || fail "lease $B's part on inp-a: $(cat out)"
LAMINA_TOKEN=$(cat sp-b.tok) "$LT_BUILD/cli/lamina" --json lease offer "$B" sub-b >out ||
    fail "lamina lease offer $B sub-b: $(cat out)"
[ "$(out parent_lease)" = "$B" ] || fail "offer of $B: $(cat out)"
wait_for "inp_up sub-b" 5 || fail "sub-b is not up"
info "sp-b: lease $B on sub-a (slice L$B inside L$A on inp-a), offered as sub-b"

# Level 2: over b's limits, refused and naming the limit.
refused() {  # WHAT REQUEST PATTERN
    local st
    st=$(code POST /v1/requests sp-c.tok "$2")
    [ "$st" = 409 ] || [ "$st" = 422 ] || fail "$1: HTTP $st, not refused: $(cat out)"
    grep -q -- "$3" out || fail "$1: the refusal does not name $3: $(cat out)"
    info "refused, $1: $(out error.message)"
}
refused "more CPU than b holds" "$(vn c-x1 sub-b 25 5M 4m)" "nodes\[0\].cpu: 25 over the parent's 20"
refused "more bandwidth than b holds" "$(vn c-x2 sub-b 10 11M 4m)" "links\[0\].bandwidth: 11000000 bit/s over the parent's 10000000"
refused "more flows than b may have" "$(vn c-x3 sub-b 10 5M 4m '{"flows": 5000}')" \
    "limits.flows: 5000 over the parent's 1000"
refused "a later end than b's" "$(vn c-x4 sub-b 10 5M 9m)" "after lease $B"
# The agent checks on its own: a prepare for more than b's share.
AG="Authorization: Bearer $(cat inp-a.agent)"
st=$(curl -s -o out -w '%{http_code}' -H "$AG" -H 'Content-Type: application/json' \
    --data-binary "{\"lease\": \"X1\", \"txn\": \"X1.1\", \"start\": $(date +%s), \"end\": $(($(date +%s) + 60)),
      \"part\": {\"slice\": \"LX1\", \"sp\": \"sp-c\", \"parent\": \"L$B\",
                 \"vnodes\": [{\"name\": \"v\", \"switch\": \"s1\", \"cpu\": 21, \"limits\": {\"flows\": 10}}],
                 \"access\": [], \"vlinks\": [], \"border_vlinks\": []}}" "http://127.0.0.1:$PA/v1/prepare")
[ "$st" = 409 ] && grep -q "vnodes\[0\].cpu: 21 over the parent's 20 left" out ||
    fail "the agent took a child over its parent: HTTP $st: $(cat out)"
info "the agent refuses on its own: $(out error.message)"

# Level 2: sp-c leases from sub-b; traffic passes in its slice.
C=$(lease sp-c.tok "$(vn c-1 sub-b 10 5M 4m)")
code GET "/v1/leases/$C" sp-c.tok >/dev/null
[ "$(out parts.inp-a.parent)" = "L$B" ] || fail "lease $C's part: $(cat out)"
for s in "L$A" "L$B" "L$C"; do has_slice "$SOCK" "$s" || fail "no slice $s on inp-a"; done
wait_for "[ \"\$(vports L$C)\" = h1,h2 ] && [ -z \"\$(vports L$B)\" ] && [ -z \"\$(vports L$A)\" ]" 10 ||
    fail "access ports not lent to the deepest slice: L$A [$(vports "L$A")], L$B [$(vports "L$B")], L$C [$(vports "L$C")]"
wait_for "nsx h1 ping -c 1 -W 1 10.12.0.2" 20 || fail "h1 cannot reach h2 in slice L$C"
nsx h1 ping -c 5 -i 0.2 -W 1 10.12.0.2 >/dev/null || fail "pings lost in slice L$C"
info "sp-c: lease $C on sub-b; h1 <-> h2 in slice L$C, inside L$B inside L$A"

# A child released on its own gives the ports back to its parent.
[ "$(code POST "/v1/leases/$C/release" sp-c.tok)" = 200 ] || fail "release of $C: $(cat out)"
wait_for "! has_slice $SOCK L$C && [ \"\$(vports L$B)\" = h1,h2 ]" 10 ||
    fail "the ports did not come back to L$B: [$(vports "L$B")]"
wait_for "nsx h1 ping -c 1 -W 1 10.12.0.2" 20 || fail "h1 cannot reach h2 in slice L$B"
C=$(lease sp-c.tok "$(vn c-2 sub-b 10 5M 4m)")
wait_for "[ \"\$(vports L$C)\" = h1,h2 ] && [ -z \"\$(vports L$B)\" ]" 10 ||
    fail "the ports did not go to L$C again"
wait_for "nsx h1 ping -c 1 -W 1 10.12.0.2" 20 || fail "h1 cannot reach h2 in slice L$C again"
info "released on its own, $C gave h1 and h2 back to L$B; a new lease $C took them"
# The guarantees on s1:to-s2 come out of the parents': 20M in all.
qg() { sw "$SOCK" --json queue list "$1" | jq -r '.[] | select(.switch == "s1" and .port == "to-s2") | .guarantee_bps'; }
wait_for "[ \"\$(qg L$A)\" = 10000000 ] && [ \"\$(qg L$B)\" = 5000000 ] && [ \"\$(qg L$C)\" = 5000000 ]" 10 ||
    fail "guarantees on s1:to-s2 not carved from the parents': L$A $(qg "L$A"), L$B $(qg "L$B"), L$C $(qg "L$C")"

cat >check.json <<EOF
{"url": "$U", "admin": "$ADMIN", "sps": [],
 "inps": {"inp-a": {"url": "http://127.0.0.1:$PA", "token": "$(cat inp-a.agent)", "switchd": "$SOCK"}},
 "request": {}}
EOF
python3 "$LEASE_CHECK" check check.json || fail "lease-check with three nested leases"

# The parent's release (lamina-sp stopped) ends its descendants first,
# deepest first.
kill -TERM "$SPA"
wait_for "! kill -0 $SPA 2>/dev/null" 20 || fail "lamina-sp of sp-a did not stop"
for l in "$A:sp-a" "$B:sp-b" "$C:sp-c"; do
    code GET "/v1/leases/${l%%:*}" "${l##*:}.tok" >/dev/null
    [ "$(out state)" = ended ] || fail "lease ${l%%:*} is $(out state) after its ancestor's release"
done
ev() {  # LEASE TOKEN-FILE KIND -> the event's id
    code GET "/v1/leases/$1/events?after=0" "$2" >/dev/null
    jq -r --arg k "$3" '[.events[] | select(.kind == $k) | .id][0] // empty' out
}
EA=$(ev "$A" sp-a.tok ended) EB=$(ev "$B" sp-b.tok ended) EC=$(ev "$C" sp-c.tok ended)
NB=$(ev "$B" sp-b.tok parent_ended) NC=$(ev "$C" sp-c.tok parent_ended)
[ -n "$NB" ] && [ -n "$NC" ] || fail "no parent_ended notice: b [$NB], c [$NC]"
[ -n "$EC" ] && [ -n "$EB" ] && [ -n "$EA" ] && [ "$NC" -lt "$EC" ] && [ "$EC" -lt "$EB" ] &&
    [ "$EB" -lt "$EA" ] || fail "not ended deepest first: c $EC, b $EB, a $EA (notices b $NB, c $NC)"
for s in "L$A" "L$B" "L$C"; do
    wait_for "! has_slice $SOCK $s" 5 || fail "slice $s still on inp-a"
done
wait_for "! inp_up sub-a && ! inp_up sub-b" 5 || fail "the sub-InPs are still up"
python3 "$LEASE_CHECK" check check.json || fail "lease-check after the release"

# Expiry: a parent reaching its end takes its child along, child first.
one() { echo "{\"idempotency_key\": \"$1\", \"nodes\": [{\"name\": \"n\", \"cpu\": 5, \"inp\": \"$2\"}],
               \"time\": {\"start\": \"now\", $3}}"; }
A2=$(lease sp-a.tok "$(one a-2 inp-a '"duration": "10s"')")
code GET "/v1/leases/$A2" sp-a.tok >/dev/null
END2=$(out end)
[ "$(code POST "/v1/leases/$A2/offer" sp-a.tok '{"name": "sub-a"}')" = 201 ] || fail "offer of $A2: $(cat out)"
[ -z "$(out token)" ] || fail "a second offer under the same name gave a new token"
wait_for "inp_up sub-a" 5 || fail "sub-a is not up again"
B2=$(lease sp-b.tok "$(one b-2 sub-a "\"end\": \"$END2\"")")
has_slice "$SOCK" "L$B2" || fail "no slice L$B2"
wait_for "code GET /v1/leases/$A2 sp-a.tok >/dev/null && [ \"\$(out state)\" = ended ]" 20 ||
    fail "lease $A2 did not end at $END2"
code GET "/v1/leases/$B2" sp-b.tok >/dev/null
[ "$(out state)" = ended ] || fail "child $B2 is $(out state) after its parent's end"
EA=$(ev "$A2" sp-a.tok ended) EB=$(ev "$B2" sp-b.tok ended)
[ -n "$EA" ] && [ -n "$EB" ] && [ "$EB" -lt "$EA" ] || fail "at the end, child $EB not before parent $EA"
for s in "L$A2" "L$B2"; do
    wait_for "! has_slice $SOCK $s" 5 || fail "slice $s still on inp-a after the end"
done
python3 "$LEASE_CHECK" check check.json || fail "lease-check after the end"
pass "three nested leases, limits inherited, the parent's release ends c, then b, then a; its end too"
