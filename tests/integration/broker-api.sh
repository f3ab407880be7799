#!/bin/bash
# broker-api: lamina-brokerd end to end on loopback, on one store backend.
#
#   broker-api.sh [sqlite|pg]
#
# A real lamina-brokerd with two InP peers (broker-fake-inp.py: the
# broker -> inpd contract without switches; the real lamina-inpd is not on
# this branch yet) and the `lamina` CLI.  It checks: auth boundaries (no
# or wrong token 401, wrong role 403, SP A cannot see or touch SP B's
# lease, an InP only its part), bad input (named field, nothing stored),
# a lease across both InPs committed on both, idempotent retry, dry run
# with the short resource named, an InP's refusal aborting everywhere,
# renew (the same end on every InP; past the maximum refused), quotas,
# release, expiry within a second with a warning event before it, a
# silent InP marked down with its leases listed, the bill against a hand
# calculation, SIGKILL at protocol fault points with recovery (a decided
# commit rolls forward, an undecided prepare aborts), and the OpenAPI
# file (broker-openapi-check.py).
set -u
. "$(dirname "$0")/lib.sh"
BACKEND=${1:-sqlite}
lt_init "broker-api-$BACKEND" 150
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BRK=$LT_BUILD/broker/lamina-brokerd
LAMINA=$LT_BUILD/cli/lamina
[ -x "$BRK" ] || skip "lamina-brokerd is not built"
python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed"

PGDIR=""
pg_stop() { [ -n "$PGDIR" ] && "$SRC/scripts/pg-test-cluster.sh" stop "$PGDIR" >/dev/null 2>&1; PGDIR=""; }
trap 'rc=$?; pg_stop; (exit $rc); lt_cleanup' EXIT
if [ "$BACKEND" = pg ]; then
    PGDIR=$(mktemp -d /tmp/lamina-pg.XXXXXX)
    conninfo=$("$SRC/scripts/pg-test-cluster.sh" start "$PGDIR")
    rc=$?
    [ $rc -eq 77 ] && skip "PostgreSQL is not installed"
    [ $rc -eq 0 ] || fail "the PostgreSQL test server did not start"
    DB="pg:$conninfo"
else
    DB=$LT_DIR/broker.db
fi

# Ports free now, below the ephemeral range (lib.sh lt_free_port_range).
BASE=$(lt_free_port_range 10)
PB=$BASE; PA=$((BASE + 1)); PBB=$((BASE + 2))
U=http://127.0.0.1:$PB
export LAMINA_BROKER=$U
cd "$LT_DIR" || exit 1

# ---- Offers: inp-a (s1 - s2) and inp-b (t1 - t2) joined by ab/ba. ----
cat >offer-a.json <<'EOF'
{"name": "inp-a", "advertise": "full", "max_lease_s": 86400,
 "nodes": [{"name": "s1", "cpu": 100, "price_cpu_hour": 0.05},
           {"name": "s2", "cpu": 100, "price_cpu_hour": 0.05}],
 "links": [{"a": "s1", "b": "s2", "bandwidth": "1G", "price_mbps_hour": 0.001}],
 "access": [{"name": "a1", "node": "s1", "port": "h1"}, {"name": "a2", "node": "s1", "port": "h2"},
            {"name": "a3", "node": "s1", "port": "h3"}, {"name": "a4", "node": "s1", "port": "h4"},
            {"name": "a5", "node": "s1", "port": "h5"}, {"name": "a6", "node": "s1", "port": "h6"}],
 "borders": [{"name": "ab", "node": "s2", "port": "to-b", "peer_inp": "inp-b",
              "peer_border": "ba", "bandwidth": "1G", "price_mbps_hour": 0.002,
              "labels": [1000, 1999]}]}
EOF
cat >offer-b.json <<'EOF'
{"name": "inp-b", "advertise": "full", "max_lease_s": 86400,
 "nodes": [{"name": "t1", "cpu": 100, "price_cpu_hour": 0.04},
           {"name": "t2", "cpu": 100, "price_cpu_hour": 0.04}],
 "links": [{"a": "t1", "b": "t2", "bandwidth": "1G", "price_mbps_hour": 0.001}],
 "access": [{"name": "b1", "node": "t1", "port": "h1"}, {"name": "b2", "node": "t1", "port": "h2"},
            {"name": "b3", "node": "t1", "port": "h3"}, {"name": "b4", "node": "t1", "port": "h4"},
            {"name": "b5", "node": "t1", "port": "h5"}, {"name": "b6", "node": "t1", "port": "h6"}],
 "borders": [{"name": "ba", "node": "t2", "port": "to-a", "peer_inp": "inp-a",
              "peer_border": "ab", "bandwidth": "1G", "price_mbps_hour": 0.002,
              "labels": [1500, 2999]}]}
EOF
# A request across both: left on inp-a (access aN), right on inp-b (bN),
# N = $AP (default 1): an access point carries one lease at a time.
req() {  # KEY CPU_LEFT DURATION [extra JSON members]
    printf '{"idempotency_key": "%s", "nodes": [{"name": "left", "cpu": %s}, {"name": "right", "cpu": 10}], "links": [{"endpoints": ["left", "right"], "bandwidth": "10M"}], "access": [{"name": "h1", "node": "left", "at": "inp-a/a%s"}, {"name": "h2", "node": "right", "at": "inp-b/b%s"}], "time": {"start": "now", "duration": "%s"}%s}' "$1" "$2" "${AP:-1}" "${AP:-1}" "$3" "${4:-}"
}

start_fake() {  # NAME PORT TOKEN
    bg_start python3 "$HERE/broker-fake-inp.py" "$2" "$3" "offer-${1#inp-}.json" "$LT_DIR/refuse-$1"
    wait_for "curl -sf -H 'Authorization: Bearer $3' http://127.0.0.1:$2/v1/leases" 10 \
        || fail "fake InP $1 did not start"
}
BRK_PID=""
start_broker() {  # [ENV...]
    env "$@" "$BRK" --listen "127.0.0.1:$PB" --db "$DB" --admin-token-file "$LT_DIR/admin.tok" \
        --heartbeat 1 --missed 3 --warn 2 --quota-leases 3 --call-timeout 2000 \
        >>"$LT_DIR/brokerd.log" 2>&1 &
    BRK_PID=$!
    LT_PIDS+=("$BRK_PID")
    wait_for "curl -s -o /dev/null $U/v1/status" 10 || { cat brokerd.log; fail "brokerd did not start"; }
}
# HTTP: code METHOD PATH TOKEN [BODY] -> prints the status, body in $LT_DIR/out
code() {
    local m=$1 p=$2 t=$3
    shift 3
    curl -s -o "$LT_DIR/out" -w '%{http_code}' -X "$m" ${t:+-H "Authorization: Bearer $t"} \
        -H 'Content-Type: application/json' ${1:+--data-binary "$1"} "$U$p"
}
expect() {  # WANT METHOD PATH TOKEN [BODY]
    local want=$1 got
    shift
    got=$(code "$@")
    [ "$got" = "$want" ] || fail "$1 $2: HTTP $got, expected $want: $(cat "$LT_DIR/out")"
}
out() { json_get "$1" <"$LT_DIR/out"; }
fake() {  # NAME PATH -> JSON of the fake InP
    local port=$PA tok=agent-a
    [ "$1" = inp-b ] && port=$PBB tok=agent-b
    curl -s -H "Authorization: Bearer $tok" "http://127.0.0.1:$port$2"
}
fake_state() {  # NAME LEASE -> committed|held|"" (absent)
    fake "$1" /v1/leases | python3 -c '
import json, sys
print("".join(l["state"] for l in json.load(sys.stdin)["leases"] if l["lease"] == sys.argv[1]))' "$2"
}
fake_end() {
    fake "$1" /v1/leases | python3 -c '
import json, sys
print("".join(str(l["end"]) for l in json.load(sys.stdin)["leases"] if l["lease"] == sys.argv[1]))' "$2"
}
lease_field() {  # ID FIELD (as sp1)
    curl -s -H "Authorization: Bearer $SP1" "$U/v1/leases/$1" | json_get "$2"
}

start_fake inp-a "$PA" agent-a
start_fake inp-b "$PBB" agent-b
start_broker
ADMIN=$(cat admin.tok)
[ "$(stat -c %a admin.tok)" = 600 ] || fail "the admin token file is not 0600"

# ---- Principals and auth boundaries ----
for p in inp-a:inp inp-b:inp sp1:sp sp2:sp; do
    expect 201 POST /v1/principals "$ADMIN" "{\"name\": \"${p%%:*}\", \"role\": \"${p##*:}\"}"
    out token >"${p%%:*}.tok"
done
SP1=$(cat sp1.tok) SP2=$(cat sp2.tok) IA=$(cat inp-a.tok) IB=$(cat inp-b.tok)
expect 401 GET /v1/leases ""
expect 401 GET /v1/leases "wrong-token"
expect 403 POST /v1/principals "$SP1" '{"name": "evil", "role": "admin"}'
grep -q "$SP1\|$ADMIN" brokerd.log && fail "a token appears in the broker's log"

# ---- Registration: bad offers change nothing ----
reg() {  # NAME PORT TOKEN [OFFER-FILE]
    python3 -c 'import json,sys; print(json.dumps({"name": sys.argv[1], "endpoint": "http://127.0.0.1:" + sys.argv[2], "agent_token": sys.argv[3], "offer": json.load(open(sys.argv[4]))}))' \
        "$1" "$2" "$3" "${4:-offer-${1#inp-}.json}"
}
reg inp-a "$PA" agent-a >reg-a.json
reg inp-b "$PBB" agent-b >reg-b.json
expect 403 POST /v1/inps "$IA" "$(cat reg-b.json)"       # not itself
expect 403 POST /v1/inps "$SP1" "$(cat reg-a.json)"      # not an InP
sed 's/"cpu": 100/"cpu": -5/' offer-a.json >bad-offer.json
expect 422 POST /v1/inps "$IA" "$(reg inp-a "$PA" agent-a bad-offer.json)"
[ "$(out error.field)" = "offer.nodes[0].cpu" ] || fail "bad offer: field $(out error.field)"
sed 's/"port": "h1"}/"port": "h1", "colour": "red"}/' offer-a.json >bad-offer.json
expect 422 POST /v1/inps "$IA" "$(reg inp-a "$PA" agent-a bad-offer.json)"
[ "$(out error.field)" = "offer.access[0].colour" ] || fail "unknown field: $(out error.field)"
expect 200 GET /v1/inps "$ADMIN"
[ "$(out inps)" = "[]" ] || fail "a refused offer was stored: $(cat out)"
expect 200 POST /v1/inps "$IA" "$(cat reg-a.json)"
expect 200 POST /v1/inps "$IB" "$(cat reg-b.json)"
grep -q agent-a out && fail "the agent token is shown"
# Heartbeats every 0.5 s, each InP its own loop (a test stops inp-b's).
hb() { while :; do curl -s -o /dev/null -X POST -H "Authorization: Bearer $2" "$U/v1/inps/$1/heartbeat"; sleep 0.5; done; }
hb inp-a "$IA" & LT_PIDS+=($!)
hb inp-b "$IB" & HB_B=$!; LT_PIDS+=($HB_B)

# ---- Bad requests: named field, nothing stored ----
expect 422 POST /v1/requests "$SP1" "$(req bad-1 10 1h ', "colour": 1')"
[ "$(out error.field)" = "colour" ] || fail "unknown field: $(cat out)"
expect 422 POST /v1/requests "$SP1" "$(req bad-2 -3 1h)"
[ "$(out error.field)" = "nodes[0].cpu" ] || fail "negative cpu: $(cat out)"
expect 400 POST /v1/requests "$SP1" '{"nodes": '
expect 422 POST /v1/requests "$SP1" "$(req bad-3 10 1h | sed 's/"start": "now"/"start": "2020-01-01T00:00:00Z"/')"
[ "$(out error.field)" = "time.start" ] || fail "past start: $(cat out)"
expect 422 POST /v1/requests "$SP1" "$(req bad-4 10 1h | sed 's|inp-a/a1|inp-a/zz|')"
[ "$(out error.field)" = "access[0].at" ] || fail "unknown access point: $(cat out)"
expect 403 POST /v1/requests "$IA" "$(req bad-5 10 1h)"
expect 200 GET /v1/leases "$ADMIN"
[ "$(out leases)" = "[]" ] || fail "a refused request left a lease: $(cat out)"

# ---- Dry run: fits / short, nothing changes ----
expect 200 POST '/v1/requests?dry_run=1' "$SP1" "$(req dry-1 10 1h)"
[ "$(out fits)" = True ] || [ "$(out fits)" = true ] || fail "dry run: $(cat out)"
expect 200 POST '/v1/requests?dry_run=1' "$SP1" "$(req dry-2 150 1h)"
case "$(out short)" in *inp-a*cpu*|*InP\ inp-a*) ;; *) fail "dry run short: $(cat out)";; esac
[ "$(fake inp-a /v1/capacity | json_get calls)" = "[]" ] || fail "a dry run called an InP"

# ---- A lease across both InPs, via the CLI ----
req sp1-1 10 1h >r1.json
LAMINA_TOKEN=$SP1 "$LAMINA" --json lease request r1.json >l1.json || fail "lamina lease request failed"
L1=$(json_get id <l1.json)
[ "$(json_get state <l1.json)" = active ] || fail "lease not active: $(cat l1.json)"
[ "$(fake_state inp-a "$L1")" = committed ] || fail "not committed on inp-a"
[ "$(fake_state inp-b "$L1")" = committed ] || fail "not committed on inp-b"
label_a=$(json_get parts.inp-a.border_vlinks.0.label <l1.json)
label_b=$(json_get parts.inp-b.border_vlinks.0.label <l1.json)
[ "$label_a" = 1500 ] && [ "$label_b" = 1500 ] || fail "border label $label_a/$label_b, expected 1500 (pool intersection)"
# Retry: the first answer, nothing twice.
LAMINA_TOKEN=$SP1 "$LAMINA" --json lease request r1.json >l1b.json || fail "retry failed"
[ "$(json_get id <l1b.json)" = "$L1" ] || fail "a retry made another lease"
n=$(fake inp-a /v1/capacity | python3 -c 'import json,sys; print(sum(1 for c in json.load(sys.stdin)["calls"] if c[0] == "prepare"))')
[ "$n" = 1 ] || fail "a retry prepared again ($n prepares)"
LAMINA_TOKEN=$SP1 "$LAMINA" lease list | grep -q "$L1" || fail "lamina lease list"
LAMINA_TOKEN=$ADMIN "$LAMINA" broker status | grep -q "inps_up: 2" || fail "lamina broker status"
# /metrics for Prometheus: InPs and leases, behind a token like the API.
[ "$(curl -s -o /dev/null -w '%{http_code}' "$U/metrics")" = 401 ] || fail "/metrics answered without a token"
curl -sf -H "Authorization: Bearer $ADMIN" "$U/metrics" >metrics.txt || fail "GET /metrics"
if command -v promtool >/dev/null; then
    promtool check metrics <metrics.txt || fail "promtool refuses the broker's metrics"
fi
grep -qx 'lamina_broker_inp_up{inp="inp-a"} 1' metrics.txt || fail "no inp-a up in /metrics: $(cat metrics.txt)"
grep -q '^lamina_broker_leases{state="active"} [1-9]' metrics.txt || fail "no active lease in /metrics"

# ---- Tenants: SP2 sees nothing of SP1's, an InP only its part ----
expect 404 GET "/v1/leases/$L1" "$SP2"
expect 404 POST "/v1/leases/$L1/release" "$SP2"
expect 404 POST "/v1/leases/$L1/renew" "$SP2" '{"duration": "1h"}'
# An eBPF program goes to the InP of the vnode, for the lease's SP only.
expect 404 POST "/v1/leases/$L1/vnodes/left/program" "$SP2" '{"program": "AAAA"}'
expect 200 POST "/v1/leases/$L1/vnodes/left/program" "$SP1" '{"program": "AAAA"}'
[ "$(out inp)" = inp-a ] || fail "the program of left went to $(out inp), not inp-a"
expect 404 POST "/v1/leases/$L1/vnodes/nowhere/program" "$SP1" '{"program": "AAAA"}'
expect 200 GET /v1/leases "$SP2"
[ "$(out leases)" = "[]" ] || fail "SP2 sees SP1's leases"
[ "$(lease_field "$L1" state)" = active ] || fail "SP2 changed SP1's lease"
expect 200 GET "/v1/leases/$L1" "$IA"
[ "$(out inps)" = '["inp-a"]' ] || fail "inp-a sees other parts: $(out inps)"
LAMINA_TOKEN=$SP2 "$LAMINA" lease show "$L1" 2>/dev/null && fail "lamina lease show of another SP's lease succeeded"

# ---- An access point carries one lease at a time ----
expect 409 POST /v1/requests "$SP2" "$(req sp2-same-ap 5 1h)"
case "$(out error.message)" in *"inp-a access point a1"*) ;; *) fail "shared access point: $(cat out)";; esac

# ---- Refusal by an InP: aborted everywhere, nothing held ----
touch refuse-inp-b
expect 409 POST /v1/requests "$SP1" "$(AP=2 req sp1-2 10 1h)"
case "$(out error.message)" in *inp-b*) ;; *) fail "refusal does not name the InP: $(cat out)";; esac
rm -f refuse-inp-b
for i in inp-a inp-b; do
    [ "$(fake $i /v1/capacity | json_get holds)" = "[]" ] || fail "a hold is left on $i"
done
expect 200 GET '/v1/leases?state=failed' "$SP1"
[ "$(out leases.0.state)" = failed ] || fail "the refused lease is not failed"

# ---- Renew: the same end everywhere; past the maximum refused ----
old_end=$(lease_field "$L1" end_ts)
# A long poll waiting on the lease's events returns with the renew.
expect 200 GET "/v1/leases/$L1/events?after=0" "$SP1"
next=$(out next)
t0=$(date +%s%N)
curl -s -H "Authorization: Bearer $SP1" "$U/v1/leases/$L1/events?after=$next&wait=20" >poll.json &
POLL=$!
sleep 0.3
LAMINA_TOKEN=$SP1 "$LAMINA" --json lease renew "$L1" --duration 30m >renew.json || fail "renew failed"
wait "$POLL"
t1=$(date +%s%N)
[ "$(json_get events.0.kind <poll.json)" = renewed ] || fail "the long poll did not return the renew: $(cat poll.json)"
[ $(((t1 - t0) / 1000000)) -lt 10000 ] || fail "the long poll waited $(((t1 - t0) / 1000000)) ms"
new_end=$(json_get end_ts <renew.json)
[ "$new_end" = $((old_end + 1800)) ] || fail "renew granted $new_end, expected $((old_end + 1800))"
[ "$(fake_end inp-a "$L1")" = "$new_end" ] && [ "$(fake_end inp-b "$L1")" = "$new_end" ] \
    || fail "ends differ per InP: $(fake_end inp-a "$L1") $(fake_end inp-b "$L1") broker $new_end"
expect 422 POST "/v1/leases/$L1/renew" "$SP1" '{"duration": "2d"}'
[ "$(out error.field)" = end ] || fail "renew past max: $(cat out)"
[ "$(lease_field "$L1" end_ts)" = "$new_end" ] || fail "a refused renew changed the end"

# ---- Quota (3 live leases per SP) ----
expect 201 POST /v1/requests "$SP1" "$(AP=2 req sp1-3 10 1h)"
L3=$(out id)
expect 201 POST /v1/requests "$SP1" "$(AP=3 req sp1-4 10 1h)"
expect 403 POST /v1/requests "$SP1" "$(AP=5 req sp1-5 10 1h)"
[ "$(out error.field)" = quota.leases ] || fail "quota: $(cat out)"

# ---- Release: gone on both InPs, capacity back ----
expect 200 POST "/v1/leases/$L3/release" "$SP1"
[ "$(out state)" = ended ] || fail "release: $(cat out)"
[ -z "$(fake_state inp-a "$L3")$(fake_state inp-b "$L3")" ] || fail "released lease still on an InP"
expect 409 POST "/v1/leases/$L3/release" "$SP1"

# ---- Expiry: a warning, then gone everywhere within a second ----
expect 201 POST /v1/requests "$SP2" "$(AP=4 req sp2-1 10 4s)"
L5=$(out id); end5=$(out end_ts)
expect 200 GET "/v1/leases/$L5/events?after=0&wait=10" "$SP2"
after=$(out next)
wait_for "code GET '/v1/leases/$L5/events?after=0' '$SP2' >/dev/null; grep -q ending_soon '$LT_DIR/out'" 8 \
    || fail "no warning before the end: $(cat out)"
wait_for "[ -z \"\$(fake_state inp-a $L5)\$(fake_state inp-b $L5)\" ]" 8 || fail "the lease did not expire on the InPs"
now=$(date +%s)
[ "$now" -le $((end5 + 2)) ] || fail "expired at $now, end was $end5"
expect 200 GET "/v1/leases/$L5" "$SP2"
[ "$(out state)" = ended ] || fail "expired lease is $(out state)"

# ---- Bill: hand calculation for L3 (released early) ----
expect 200 GET /v1/bills "$SP1"
python3 - "$LT_DIR/out" "$L3" <<'EOF' || fail "bill does not match the hand calculation"
import json, sys
bill = json.load(open(sys.argv[1]))
lease = [l for l in bill["leases"] if l["lease"] == sys.argv[2]][0]
for p in lease["parts"]:
    s = p["seconds"]
    # inp-a: 10 CPU at 0.05/h; 10M on s1-s2 at 0.001 and 10M on the border at 0.002:
    #   20 Mbit/s at the weighted price 0.0015/h.   inp-b: 10 CPU at 0.04/h, same links.
    cpu_price = {"inp-a": 50000, "inp-b": 40000}[p["inp"]]
    want = (10 * cpu_price + 20 * 1500) * s // 3600
    assert p["micro"] == want, (p, want)
assert lease["micro"] == sum(p["micro"] for p in lease["parts"])
assert bill["micro"] == sum(l["micro"] for l in bill["leases"])
EOF
LAMINA_TOKEN=$SP1 "$LAMINA" lease bill | grep -q "$L3" || fail "lamina lease bill"

# ---- A silent InP is marked down; its leases are listed ----
kill "$HB_B"; wait "$HB_B" 2>/dev/null
wait_for "code GET /v1/inps/inp-b '$ADMIN' >/dev/null; [ \"\$(out up)\" = False ] || [ \"\$(out up)\" = false ]" 8 \
    || fail "inp-b not marked down"
grep -q "$L1" out || fail "inp-b's leases not listed: $(cat out)"
expect 409 POST /v1/requests "$SP2" "$(AP=4 req sp2-2 10 1h)"
hb inp-b "$IB" & LT_PIDS+=($!)
wait_for "code GET /v1/inps/inp-b '$ADMIN' >/dev/null; [ \"\$(out up)\" = True ] || [ \"\$(out up)\" = true ]" 5 \
    || fail "inp-b not up again"

# ---- SIGKILL at fault points, then recovery ----
crash_at() {  # POINT KEY -> the lease id the crashed request made
    lt_stop_pid "$BRK_PID"
    start_broker LAMINA_BROKER_FAULT="$1"
    code POST /v1/requests "$SP2" "$(req "$2" 5 1h)" >/dev/null
    wait_for "! kill -0 $BRK_PID" 5 || fail "brokerd did not die at $1"
    wait "$BRK_PID" 2>/dev/null
    start_broker
}
AP=5 crash_at after-commit-intent sp2-k1
expect 200 GET '/v1/leases' "$SP2"
Lk=$(python3 -c 'import json,sys; print([l["id"] for l in json.load(open(sys.argv[1]))["leases"] if l["state"] not in ("ended",)][-1])' out)
expect 200 GET "/v1/leases/$Lk" "$SP2"
[ "$(out state)" = active ] || fail "after a crash past the commit decision the lease is $(out state)"
[ "$(fake_state inp-a "$Lk")" = committed ] && [ "$(fake_state inp-b "$Lk")" = committed ] \
    || fail "decided commit not rolled forward on every InP"
expect 200 POST "/v1/leases/$Lk/release" "$SP2"
AP=6 crash_at after-prepare sp2-k2
expect 200 GET '/v1/leases?state=failed' "$SP2"
[ "$(out leases.0.state)" = failed ] || fail "an undecided prepare was not aborted: $(cat out)"
for i in inp-a inp-b; do
    [ "$(fake $i /v1/capacity | json_get holds)" = "[]" ] || fail "a hold is left on $i after recovery"
done

# ---- The API as docs/broker-api.yaml says ----
req chk 5 1h >chk-req.json
cat >chk.json <<EOF
{"url": "$U", "admin": "$ADMIN", "sp": "$SP1", "sp2": "$SP2", "inp": "$IA",
 "inp_name": "inp-a", "reg_file": "$LT_DIR/reg-a.json", "request_file": "$LT_DIR/chk-req.json"}
EOF
expect 200 POST "/v1/leases/$L1/release" "$SP1"   # room under the quota
python3 "$HERE/broker-openapi-check.py" "$SRC/docs/broker-api.yaml" chk.json || fail "the API differs from docs/broker-api.yaml"
grep -q "$SP1\|$SP2\|$ADMIN\|$IA" brokerd.log && fail "a token appears in the broker's log"
pass "on $BACKEND"
