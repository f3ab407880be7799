#!/bin/bash
# bench-leasing.sh: the leasing stack's figures end to end with the real
# daemons (`make bench` runs it as scripts/bench-leasing.sh BUILD; needs
# root, like the integration tests whose setup it shares:
# tests/integration/lib.sh and broker-lib.sh).
#
#   1. leases per second, request to active, for 1, 8 and 32 concurrent SP
#      clients, each requesting a lease (a node on each of two InPs, a
#      1 Mbit/s link across) and releasing it in a loop for
#      LAMINA_BENCH_WINDOW seconds (default 10): tools/lease-check.py rate;
#   2. the time from a request (with the SP's hosts h1 on inp-a and h2 on
#      inp-b) to the first ping reply between the hosts across both InPs
#      (ping every 10 ms, timestamped; static neighbour entries), over
#      LAMINA_BENCH_RUNS runs (5);
#   3. a commit across 4 InPs: two more lamina-switchd + lamina-inpd (one
#      switch each) join; a lease with a node on each of the four InPs, the
#      time of the request (prepare and commit on all four) as curl sees it,
#      median over LAMINA_BENCH_RUNS * 4 runs.
# Prints each figure and writes BUILD/bench-leasing.json.
#   4. with inp-d stopped (SIGSTOP) and a lease on it waiting for the call
#      deadline, the time of leases on inp-a and inp-b meanwhile (the
#      broker's mutex is not held across a lease's InP calls).
# LAMINA_BENCH_PARTS: a subset of "rate first four slow" (default all);
# LAMINA_BROKERD: another lamina-brokerd binary (for before/after figures).
export LAMINA_BUILD=$(cd "${1:-build}" && pwd)
. "$(dirname "$0")/../tests/integration/lib.sh"
lt_init bench-leasing 290
. "$(dirname "$0")/../tests/integration/broker-lib.sh"
WINDOW=${LAMINA_BENCH_WINDOW:-10}
RUNS=${LAMINA_BENCH_RUNS:-5}
PARTS=${LAMINA_BENCH_PARTS:-rate first four slow}
part() { [[ " $PARTS " == *" $1 "* ]]; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print NR ? a[int((NR + 1) / 2)] : "null"}'; }
broker_two_inps
"$LT_BUILD/cli/lamina" --json principal add sp2 --role sp | json_get token >"$LT_DIR/sp2.tok" ||
    fail "principal sp2"
SP1=$(cat "$LT_DIR/sp1.tok")
info "$(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"

# 1. Leases per second.
cat >"$LT_DIR/rate.json" <<JSON
{"url": "$U", "admin": "$LAMINA_TOKEN", "sps": ["$SP1", "$(cat "$LT_DIR/sp2.tok")"], "inps": {},
 "request": {"nodes": [{"name": "left", "cpu": 1, "inp": "inp-a"}, {"name": "right", "cpu": 1, "inp": "inp-b"}],
             "links": [{"endpoints": ["left", "right"], "bandwidth": "1M"}],
             "time": {"start": "now", "duration": "10m"}}}
JSON
rates=()
part rate && for c in 1 8 32; do
    r=$(python3 "$LEASE_CHECK" rate "$LT_DIR/rate.json" "$c" "$WINDOW") || fail "rate with $c clients"
    info "leases per second, $c SP(s): $r"
    rates+=("$r")
done

# 2. Request to the first packet between the SP's hosts.
post() {  # BODY -> the lease id
    curl -s -X POST -H "Authorization: Bearer $SP1" -H 'Content-Type: application/json' \
        --data-binary "$1" "$U/v1/requests" | json_get id
}
# Static neighbours: the figure is the leasing stack's, not the kernel's
# ARP retry timer (1 s) after a first request lost before the slice exists.
nsx h1 ip neigh replace 10.9.0.2 lladdr 02:00:00:00:02:02 dev eth0
nsx h2 ip neigh replace 10.9.0.1 lladdr 02:00:00:00:02:01 dev eth0
firsts=()
part first && for i in $(seq "$RUNS"); do
    ip netns exec "$(ns h1)" ping -D -n -i 0.01 -w 30 10.9.0.2 >"$LT_DIR/ping.out" 2>&1 &
    ping=$!
    LT_PIDS+=("$ping")
    t0=$EPOCHREALTIME
    id=$(post '{"idempotency_key": "first-'$i'", "nodes": [{"name": "left", "cpu": 1}, {"name": "right", "cpu": 1}],
        "links": [{"endpoints": ["left", "right"], "bandwidth": "10M"}],
        "access": [{"name": "h1", "node": "left", "at": "inp-a/ap1"}, {"name": "h2", "node": "right", "at": "inp-b/ap1"}],
        "time": {"start": "now", "duration": "10m"}}')
    [ -n "$id" ] || fail "request with hosts, run $i"
    wait_for "grep -aq 'bytes from' '$LT_DIR/ping.out'" 30 || fail "no reply across the InPs, run $i"
    kill "$ping" 2>/dev/null; wait "$ping" 2>/dev/null
    t1=$(grep -a -m1 'bytes from' "$LT_DIR/ping.out" | sed 's/^\[\([0-9.]*\)\].*/\1/')
    ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", (b - a) * 1000}')
    info "request to first packet, run $i: $ms ms"
    firsts+=("$ms")
    curl -s -o /dev/null -X POST -H "Authorization: Bearer $SP1" "$U/v1/leases/$id/release"
    wait_for "! has_slice '$SOCK_A' L$id && ! has_slice '$SOCK_B' L$id" 10 || fail "release of $id"
done

# 3. Commit across four InPs.
commits=()
part four && for n in c d; do
    sock=$LT_DIR/$n.sock
    switchd "$n"
    sw "$sock" switch add "${n}1" || fail "switch of inp-$n"
    "$LT_BUILD/cli/lamina" --json principal add "inp-$n" --role inp | json_get token \
        >"$LT_DIR/inp-$n.tok" || fail "principal inp-$n"
    echo "agent-inp-$n-token-0123456789abcdef" >"$LT_DIR/inp-$n.agent"
    [ $n = c ] && port=$((PB + 3)) || port=$((PB + 4))
    cat >"$LT_DIR/inp-$n.json" <<JSON
{"name": "inp-$n", "switchd_socket": "$sock", "listen": "127.0.0.1:$port",
 "broker": "$U", "token_file": "$LT_DIR/inp-$n.tok", "heartbeat_s": 1,
 "agent_token_file": "$LT_DIR/inp-$n.agent", "state": "$LT_DIR/inp-$n.state.json",
 "node_cpu": 100, "offer": {}}
JSON
    bg_start "$INPD" --config "$LT_DIR/inp-$n.json" >>"$LT_DIR/inp-$n.log" 2>&1
    PID_D=$LT_LAST_PID
done
part four && ! wait_for "inp_up inp-c && inp_up inp-d" 20 && { tail -n 5 "$LT_DIR/inp-c.log" "$LT_DIR/brokerd.log" >&2; fail "inp-c and inp-d did not come up"; }
part four && for i in $(seq $((RUNS * 4))); do
    body='{"idempotency_key": "four-'$i'", "nodes": [{"name": "a", "cpu": 1, "inp": "inp-a"},
        {"name": "b", "cpu": 1, "inp": "inp-b"}, {"name": "c", "cpu": 1, "inp": "inp-c"},
        {"name": "d", "cpu": 1, "inp": "inp-d"}], "links": [], "time": {"start": "now", "duration": "10m"}}'
    out=$(curl -s -w '\n%{http_code} %{time_total}' -X POST -H "Authorization: Bearer $SP1" \
        -H 'Content-Type: application/json' --data-binary "$body" "$U/v1/requests")
    read -r code secs <<<"$(tail -n 1 <<<"$out")"
    [ "$code" = 201 ] || fail "four-InP lease, run $i: HTTP $code: $(head -n 1 <<<"$out")"
    id=$(head -n 1 <<<"$out" | json_get id)
    commits+=("$(awk -v s="$secs" 'BEGIN {printf "%.1f", s * 1000}')")
    curl -s -o /dev/null -X POST -H "Authorization: Bearer $SP1" "$U/v1/leases/$id/release"
done
# 4. A slow InP: inp-d stopped (SIGSTOP) while a lease on it waits for the
# broker's call deadline (5 s); meanwhile leases on inp-a and inp-b, timed.
slows=()
if part four && part slow; then
    kill -STOP "$PID_D"
    curl -s -o /dev/null -X POST -H "Authorization: Bearer $SP1" -H 'Content-Type: application/json' \
        --data-binary '{"idempotency_key": "stuck", "nodes": [{"name": "c", "cpu": 1, "inp": "inp-c"},
        {"name": "d", "cpu": 1, "inp": "inp-d"}], "links": [], "time": {"start": "now", "duration": "10m"}}' \
        "$U/v1/requests" &
    stuck=$!
    sleep 0.3   # the stuck request reaches the broker
    for i in $(seq "$RUNS"); do
        out=$(curl -s -w '\n%{http_code} %{time_total}' -X POST -H "Authorization: Bearer $SP1" \
            -H 'Content-Type: application/json' --data-binary '{"idempotency_key": "beside-'$i'",
            "nodes": [{"name": "a", "cpu": 1, "inp": "inp-a"}, {"name": "b", "cpu": 1, "inp": "inp-b"}],
            "links": [], "time": {"start": "now", "duration": "10m"}}' "$U/v1/requests")
        read -r code secs <<<"$(tail -n 1 <<<"$out")"
        [ "$code" = 201 ] || fail "lease beside the slow InP, run $i: HTTP $code"
        slows+=("$(awk -v s="$secs" 'BEGIN {printf "%.1f", s * 1000}')")
    done
    kill -CONT "$PID_D"
    wait "$stuck"
    info "leases on inp-a + inp-b while inp-d is stopped (ms): ${slows[*]}; median $(median "${slows[@]}")"
fi
info "request to first packet (ms): ${firsts[*]}; median $(median "${firsts[@]}")"
info "lease across 4 InPs, request to active (ms): ${commits[*]}; median $(median "${commits[@]}")"
cat >"$LT_BUILD/bench-leasing.json" <<JSON
{"rate": [$(IFS=,; echo "${rates[*]}")],
 "first_packet_ms": {"runs": [$(IFS=,; echo "${firsts[*]}")], "median": $(median "${firsts[@]}")},
 "four_inps_ms": {"runs": [$(IFS=,; echo "${commits[*]}")], "median": $(median "${commits[@]}")},
 "beside_slow_inp_ms": {"runs": [$(IFS=,; echo "${slows[*]}")], "median": $(median "${slows[@]}")}}
JSON
pass "figures in $LT_BUILD/bench-leasing.json"
