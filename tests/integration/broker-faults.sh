#!/bin/bash
# broker-faults: the broker killed with SIGKILL at every step of its side of
# the protocol, and 32 concurrent SPs, with the real agents and switches of
# two InPs (broker-lib.sh).
#   - for each fault point of lamina-brokerd (LAMINA_BROKER_FAULT: after the
#     prepare intent, after one prepare, after all prepares, after the
#     commit intent, after the commits, after the renew calls, after the
#     release intent) the action that reaches it kills the broker; it is
#     restarted; then the outside check (tools/lease-check.py) finds every lease
#     committed on all its InPs or on none, with the same end everywhere, no
#     hold left, and each InP's free CPU equal to its total minus the
#     broker's active leases; a decided commit came back active, an
#     undecided prepare failed;
#   - 32 concurrent SP clients request, renew, release and dry-run; no InP
#     ever refuses what the broker admitted (no over-commit), and the
#     outside check passes.
. "$(dirname "$0")/lib.sh"
lt_init broker-faults 280
. "$(dirname "$0")/broker-lib.sh"
broker_two_inps
HERE=$(cd "$(dirname "$0")" && pwd)
ADMIN=$LAMINA_TOKEN
"$LT_BUILD/cli/lamina" --json principal add sp2 --role sp | json_get token >"$LT_DIR/sp2.tok" ||
    fail "principal sp2"
SP1=$(cat "$LT_DIR/sp1.tok")

# Requests without hosts (an access point carries one lease at a time, and
# each InP has one): a node on each InP, a link across.
req() {  # KEY CPU
    printf '{"idempotency_key": "%s", "nodes": [{"name": "left", "cpu": %s, "inp": "inp-a"}, {"name": "right", "cpu": 5, "inp": "inp-b"}], "links": [{"endpoints": ["left", "right"], "bandwidth": "1M"}], "time": {"start": "now", "duration": "30m"}}' "$1" "$2"
}
req template 5 >"$LT_DIR/req.json"
cat >"$LT_DIR/check.json" <<EOF
{"url": "$U", "admin": "$ADMIN", "sps": ["$SP1", "$(cat "$LT_DIR/sp2.tok")"],
 "inps": {"inp-a": {"url": "http://127.0.0.1:$PA", "token": "$(cat "$LT_DIR/inp-a.agent")", "switchd": "$SOCK_A"},
          "inp-b": {"url": "http://127.0.0.1:$PBB", "token": "$(cat "$LT_DIR/inp-b.agent")", "switchd": "$SOCK_B"}},
 "request": $(cat "$LT_DIR/req.json")}
EOF
check() { python3 "$LEASE_CHECK" check "$LT_DIR/check.json" >"$LT_DIR/check.out" 2>&1; }
post() {  # PATH BODY -> status; body in $LT_DIR/out
    curl -s -o "$LT_DIR/out" -w '%{http_code}' -X POST -H "Authorization: Bearer $SP1" \
        -H 'Content-Type: application/json' ${2:+--data-binary "$2"} "$U$1"
}
state_of() {
    curl -s -H "Authorization: Bearer $SP1" "$U/v1/leases/$1" | json_get state
}
lease_ids() {  # [STATE]
    curl -s -H "Authorization: Bearer $SP1" "$U/v1/leases${1:+?state=$1}" |
        python3 -c 'import json,sys; print(" ".join(sorted(l["id"] for l in json.load(sys.stdin)["leases"])))'
}
new_lease() {  # IDS-BEFORE -> the one lease not in it
    python3 -c 'import sys; new = set(sys.argv[2].split()) - set(sys.argv[1].split()); print(" ".join(new))' \
        "$1" "$(lease_ids)"
}

# An active lease for the renew and release points.
[ "$(post /v1/requests "$(req base 5)")" = 201 ] || fail "first lease: $(cat "$LT_DIR/out")"
n=0
for point in after-prepare-intent after-prepare-one after-prepare after-commit-intent \
             after-commit after-renew-calls after-release-intent; do
    n=$((n + 1))
    lt_stop_pid "$BRK_PID"
    start_broker LAMINA_BROKER_FAULT="$point"
    wait_for "inp_up inp-a && inp_up inp-b" 10 || fail "$point: the InPs are not up"
    target=""
    before=$(lease_ids)
    case $point in
    after-renew-calls|after-release-intent)
        target=$(lease_ids active | cut -d' ' -f1)
        [ "$(state_of "$target")" = active ] || fail "$point: no active lease to act on"
        if [ $point = after-renew-calls ]; then
            post "/v1/leases/$target/renew" '{"duration": "10m"}' >/dev/null
        else
            post "/v1/leases/$target/release" >/dev/null
        fi ;;
    *)
        post /v1/requests "$(req "k$n" 5)" >/dev/null ;;
    esac
    wait_for "! kill -0 $BRK_PID" 5 || fail "$point: the broker did not die there"
    wait "$BRK_PID" 2>/dev/null
    start_broker
    [ -n "$target" ] || target=$(new_lease "$before")
    [ -n "$target" ] && [ "${target// /}" = "$target" ] || fail "$point: the lease made is \"$target\""
    case $point in
    after-prepare*) want=failed ;;
    after-commit*|after-renew-calls) want=active ;;
    after-release-intent) want=ended ;;
    esac
    got=$(state_of "$target")
    [ "$got" = "$want" ] || fail "$point: lease $target is $got after the restart, expected $want"
    wait_for check 10 || { cat "$LT_DIR/check.out"; fail "$point: the outside check failed"; }
    info "$point: lease $target $got; $(tail -n 1 "$LT_DIR/check.out")"
    # Keep an active lease for the next points.
    [ "$want" = active ] || [ "$(post /v1/requests "$(req "again$n" 5)")" = 201 ] ||
        fail "$point: a new lease after recovery: $(cat "$LT_DIR/out")"
done

# 32 concurrent SPs.
wait_for "inp_up inp-a && inp_up inp-b" 10 || fail "storm: the InPs are not up"
python3 "$LEASE_CHECK" storm "$LT_DIR/check.json" 32 3 >"$LT_DIR/storm.out" 2>&1 ||
    { cat "$LT_DIR/storm.out"; fail "storm"; }
info "$(head -n 1 "$LT_DIR/storm.out")"
info "$(tail -n 1 "$LT_DIR/storm.out")"
pass
