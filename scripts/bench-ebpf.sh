#!/bin/bash
# bench-ebpf.sh: the `ebpf` forwarding plane running the example L2
# learning program (build/dataplane/l2learn.o) beside the built-in
# `l2learn` plane, in one run on one machine (docs/performance.md).
#
#     scripts/bench-ebpf.sh BUILD
#
# Setup as scripts/bench.sh (its functions, scripts/bench-lib.sh): one
# forwarding core, two net_null ports, 64-byte all-zero frames in both
# directions, TX packets of both ports over a WINDOW after a WARMUP (the
# frames are all zero: neither plane learns the zero address, both send
# each frame to the other port).  Then
# the time to read, check, validate and JIT each example program (the
# "load_ns" of `lamina vnode dump`) and of a swap (`lamina vnode set`, as
# the CLI sees it) while the L2 program forwards at full rate.
#
# Prints a table and writes BUILD/bench-ebpf.json.  Environment as
# bench.sh (LAMINA_BENCH_WARMUP, LAMINA_BENCH_WINDOW).
. "$(dirname "$0")/bench-lib.sh"

FP=l2learn
obj=$build/dataplane
swap_ms=null
lamina_configure() {
    local l=$1 fp=(--fp l2learn)
    if [ "$FP" = ebpf ]; then
        fp=(--fp ebpf --program "$obj/l2learn.o"
            --config '{"tables": [{"name": "macs", "type": "hash", "size": 1024}]}')
    fi
    $l switch add s1 && $l port add s1 n0 net_null0 && $l port add s1 n1 net_null1 &&
    $l slice add red && $l vnode add red s1 "${fp[@]}" &&
    $l vport add red s1 v0 n0 && $l vport add red s1 v1 n1
}

# After the ebpf window, while it still forwards: swaps and load times.
eval "bench_lib_$(declare -f measure)"
measure() {
    local rc l="$build/cli/lamina --socket $lamina_sock"
    bench_lib_measure "$@"; rc=$?
    if [ "$FP" = ebpf ]; then
        local t0=$EPOCHREALTIME
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            $l vnode set red s1 --program "$obj/l2learn.o" >/dev/null || return 1
        done
        # (measure runs in a subshell: the result goes through a file)
        awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f\n", (b - a) * 100}' \
            >"$build/.bench-ebpf-swap-ms"
        for p in l2learn ipv6_router xnet_router; do
            $l vnode set red s1 --program "$obj/$p.o" --config \
                '{"tables": [{"name": "macs", "type": "hash", "size": 1024}, {"name": "t1", "type": "hash", "size": 16}, {"name": "t2", "type": "array", "size": 16}]}' >/dev/null ||
                return 1
            $l --json vnode dump red s1 | /usr/bin/python3 -c 'import json, sys
p = json.load(sys.stdin)["program"]
print("bench: %s: %d instructions, load (read+check+validate+JIT) %.0f us, jit %s"
      % (sys.argv[1], p["instructions"], p["load_ns"] / 1e3, p["jit"]))' "$p" >&2
        done
    fi
    return $rc
}

log "memory: $memmode; warm-up ${WARMUP} s, window ${WINDOW} s; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
for FP in l2learn ebpf; do
    result=""
    bench_lamina; rc=$?
    cleanup; work=$(mktemp -d "/tmp/lamina-bench.$tag.XXXXXX")
    [ $rc -eq 0 ] || { log "$FP: failed"; result=null; }
    printf -v "mpps_$FP" '%s' "$result"
done
swap_ms=$(cat "$build/.bench-ebpf-swap-ms" 2>/dev/null || echo null)
rm -f "$build/.bench-ebpf-swap-ms"
ratio=$(awk -v a="$mpps_ebpf" -v b="$mpps_l2learn" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "null" }')
printf '%-36s %8s Mpps\n' "lamina l2learn plane" "$mpps_l2learn" \
    "lamina ebpf plane (l2learn.o)" "$mpps_ebpf"
printf 'ebpf/l2learn %s   swap (vnode set, CLI round trip) %s ms\n' "$ratio" "$swap_ms"
cat >"$build/bench-ebpf.json" <<EOF2
{"l2learn_mpps": $mpps_l2learn, "ebpf_l2learn_mpps": $mpps_ebpf,
 "ebpf_over_l2learn": $ratio, "swap_ms": $swap_ms,
 "frame_bytes": 64, "forwarding_cores": 1, "warmup_s": $WARMUP, "window_s": $WINDOW,
 "memory": "$memmode", "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"}
EOF2
log "wrote $build/bench-ebpf.json"
[ "$mpps_ebpf" != null ]
