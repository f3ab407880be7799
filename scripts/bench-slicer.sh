#!/bin/bash
# bench-slicer.sh BUILD: what lamina-slicer adds to the control channel
# (not a test; `scripts/bench-slicer.sh build`, root for a private netns).
#
# The same OpenFlow peers (build/tools/of-peer: a controller and a fake
# switch on Lamina's codec) talk once directly and once through the slicer,
# on loopback inside a private network namespace:
#
#   direct:  of-peer switch ──────────────▶ of-peer controller
#   slicer:  of-peer switch ──▶ slicer ───▶ of-peer controller (one slice:
#            the switch's 4 ports, flowspace ipv4_src=10.1.0.0/24)
#
# Round trips, measured by the side that starts them, one message in flight:
#   echo      controller ECHO_REQUEST -> reply (the slicer answers it itself:
#             that is its job; direct, the switch answers)
#   barrier   controller BARRIER_REQUEST -> switch -> BARRIER_REPLY (through
#             the slicer: xid mapped both ways)
#   packet_in switch PACKET_IN -> controller PACKET_OUT back (through the
#             slicer: owner lookup by headers, in_port translation, the
#             PACKET_OUT's actions and data checked against the flowspace)
# Throughput: the controller sends N FLOW_MOD ADDs (distinct, in_port=1,
# in the flowspace) then a BARRIER; FLOW_MODs per second until the reply
# (through the slicer: intersect, check, tag, record, re-encode).
#
# Environment: SLICER_BENCH_RTT (round trips per kind, default 20000),
# SLICER_BENCH_FLOWS (FLOW_MODs, default 200000).  Writes
# BUILD/bench-slicer.json.
set -u
build=${1:-build}
build=$(cd "$build" && pwd)
RTT=${SLICER_BENCH_RTT:-20000}
FLOWS=${SLICER_BENCH_FLOWS:-200000}
peer=$build/tools/of-peer
slicerd=$build/slicer/lamina-slicer
cli=$build/cli/lamina
[ -x "$peer" ] && [ -x "$slicerd" ] || { echo "bench-slicer: build first" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench-slicer: needs root (private netns)" >&2; exit 1; }

ns=lbsl$$
work=$(mktemp -d "/tmp/lamina-bench-slicer.$$.XXXXXX")
# Every PID started (also from $(...) subshells) is written to $work/pids.
track() { echo "$1" >>"$work/pids"; }
cleanup() {
    local p
    for p in $(cat "$work/pids" 2>/dev/null); do kill "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$ns"
ip -n "$ns" link set lo up
# Background programs are started with `ip netns exec` directly (it execs
# them), so that $! is the program's own PID.
nx() { ip netns exec "$ns" "$@"; }

start_slicer() {
    rm -f "$work/s.sock" "$work/s.state"
    LAMINA_LOG=warn ip netns exec "$ns" "$slicerd" --socket "$work/s.sock" --listen ptcp:6653:127.0.0.1 \
        --switches-open >>"$work/slicer.log" 2>&1 &
    SPID=$!
    track "$SPID"
    for _ in $(seq 100); do [ -S "$work/s.sock" ] && break; sleep 0.05; done
    "$cli" slicer --socket "$work/s.sock" slice add bench --controller tcp:127.0.0.1:6633 --open \
        --switch 0x1:1,2,3,4 >/dev/null &&
    "$cli" slicer --socket "$work/s.sock" flowspace add bench-ip bench \
        ipv4_src=10.1.0.0/24 >/dev/null || { cat "$work/slicer.log"; exit 1; }
}
stop_slicer() { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }

# run VIA MODE [ARGS] -> one JSON line from the controller (or the switch).
run_ctrl() {
    local via=$1 mode=$2; shift 2
    local port=6633 sw
    [ "$via" = slicer ] && { start_slicer; port=6653; }
    ip netns exec "$ns" "$peer" controller --listen 6633 "$mode" "$@" >"$work/out" 2>>"$work/peer.log" &
    local c=$!
    track "$c"
    sleep 0.2
    ip netns exec "$ns" "$peer" switch --connect 127.0.0.1:$port --dpid 1 --ports 4 serve \
        >/dev/null 2>>"$work/peer.log" &
    sw=$!
    track "$sw"
    wait "$c"
    kill "$sw" 2>/dev/null; wait "$sw" 2>/dev/null
    [ "$via" = slicer ] && stop_slicer
    cat "$work/out"
}

run_packet_in() {
    local via=$1 port=6633
    [ "$via" = slicer ] && { start_slicer; port=6653; }
    ip netns exec "$ns" "$peer" controller --listen 6633 reactive --duration 600 >/dev/null 2>>"$work/peer.log" &
    local c=$!
    track "$c"
    sleep 0.2
    nx "$peer" switch --connect 127.0.0.1:$port --dpid 1 --ports 4 packetin \
        --count "$RTT" 2>>"$work/peer.log"
    kill "$c" 2>/dev/null; wait "$c" 2>/dev/null
    [ "$via" = slicer ] && stop_slicer
}

field() { /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1"; }

declare -A R
for via in direct slicer; do
    for kind in echo barrier; do
        j=$(run_ctrl "$via" "$kind" --count "$RTT")
        echo "bench-slicer: $via $j" >&2
        R[$via.$kind.median]=$(echo "$j" | field median_us)
        R[$via.$kind.p99]=$(echo "$j" | field p99_us)
    done
    j=$(run_packet_in "$via")
    echo "bench-slicer: $via $j" >&2
    R[$via.packet_in.median]=$(echo "$j" | field median_us)
    R[$via.packet_in.p99]=$(echo "$j" | field p99_us)
    j=$(run_ctrl "$via" flowmod --count "$FLOWS" --match in_port=1,ipv4_src=10.1.0.0/25)
    echo "bench-slicer: $via $j" >&2
    R[$via.flowmod]=$(echo "$j" | field per_second)
done

printf '%-10s %14s %14s %14s %14s %14s\n' "" "direct med" "direct p99" "slicer med" "slicer p99" "added med"
for kind in echo barrier packet_in; do
    printf '%-10s %12s us %12s us %12s us %12s us %12s us\n' "$kind" \
        "${R[direct.$kind.median]}" "${R[direct.$kind.p99]}" \
        "${R[slicer.$kind.median]}" "${R[slicer.$kind.p99]}" \
        "$(awk -v a="${R[slicer.$kind.median]}" -v b="${R[direct.$kind.median]}" 'BEGIN {printf "%.2f", a - b}')"
done
printf 'FLOW_MOD/s  direct %s  through the slicer %s\n' "${R[direct.flowmod]}" "${R[slicer.flowmod]}"

cat >"$build/bench-slicer.json" <<EOJ
{"round_trips": $RTT, "flow_mods": $FLOWS,
 "echo_us": {"direct_median": ${R[direct.echo.median]}, "direct_p99": ${R[direct.echo.p99]}, "slicer_median": ${R[slicer.echo.median]}, "slicer_p99": ${R[slicer.echo.p99]}},
 "barrier_us": {"direct_median": ${R[direct.barrier.median]}, "direct_p99": ${R[direct.barrier.p99]}, "slicer_median": ${R[slicer.barrier.median]}, "slicer_p99": ${R[slicer.barrier.p99]}},
 "packet_in_us": {"direct_median": ${R[direct.packet_in.median]}, "direct_p99": ${R[direct.packet_in.p99]}, "slicer_median": ${R[slicer.packet_in.median]}, "slicer_p99": ${R[slicer.packet_in.p99]}},
 "flow_mod_per_s": {"direct": ${R[direct.flowmod]}, "slicer": ${R[slicer.flowmod]}},
 "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"}
EOJ
