#!/bin/bash
# bench-ebpf.sh: the `ebpf` forwarding plane running the example L2
# learning program (build/dataplane/l2learn.o) beside the built-in
# `l2learn` plane, the `openflow` plane and dpdk-testpmd, in one run on
# one machine (docs/performance.md).
#
#     scripts/bench-ebpf.sh BUILD
#
# Setup as scripts/bench.sh (scripts/bench-lib.sh): one forwarding core,
# two ports, both directions, TX packets of both ports over a WINDOW after
# a WARMUP.  Two traffics, each for every contender:
#   - "same": net_null ports, 64-byte all-zero frames (neither L2 plane
#     learns the zero address: both send each frame to the other port);
#   - "1024": net_pcap ports replaying lamina-pcapgen's files (bench_traffic),
#     1,024 source MACs per side, 64-byte frames, every frame addressed to
#     a station of the other side: the tables are looked up and learned.
# Contenders: testpmd (mac forwarding, the ceiling), lamina `l2learn`,
# lamina `ebpf` with l2learn.o (both with a 65,536-entry MAC table), and
# lamina `openflow` with two rules in_port=1 -> 2, in_port=2 -> 1.
# The goal: ebpf/l2learn >= 0.8.
#
# Then, under the 1,024-MAC traffic with the ebpf plane: ten swaps
# (`lamina vnode set`, as the CLI sees it), the slice's drops during them
# against the same time without swaps (packets lost by a swap), and the
# time to read, check, validate and JIT each example program (the
# "load_ns" of `lamina vnode dump`).
#
# Prints a table and writes BUILD/bench-ebpf.json.  Environment as
# bench.sh (LAMINA_BENCH_WARMUP, LAMINA_BENCH_WINDOW), plus
# LAMINA_BENCH_ONLY (subset of "testpmd l2learn ebpf openflow") and
# LAMINA_BENCH_TRAFFIC (subset of "same 1024").
. "$(dirname "$0")/bench-lib.sh"

ONLY=${LAMINA_BENCH_ONLY:-testpmd l2learn ebpf openflow}
TRAFFIC=${LAMINA_BENCH_TRAFFIC:-same 1024}
MACTABLE=65536
FP=l2learn
traffic=same
obj=$build/dataplane
swap_file=$build/.bench-ebpf-swap

lamina_configure() {
    local l=$1 fp
    case $FP in
    ebpf) fp=(--fp ebpf --program "$obj/l2learn.o" --config
              "{\"tables\": [{\"name\": \"macs\", \"type\": \"hash\", \"size\": $MACTABLE}]}") ;;
    openflow)
        of_port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        fp=(--fp openflow --config "{\"listen\": \"ptcp:$of_port:127.0.0.1\", \"open\": true}") ;;
    *) fp=(--fp l2learn --config "{\"mac_table_size\": $MACTABLE}") ;;
    esac
    $l switch add s1 && $l port add s1 n0 "$port0" && $l port add s1 n1 "$port1" &&
    $l slice add red && $l vnode add red s1 "${fp[@]}" &&
    $l vport add red s1 v0 n0 && $l vport add red s1 v1 n1 || return 1
    if [ "$FP" = openflow ]; then
        local t=tcp:127.0.0.1:$of_port deadline=$((SECONDS + 20))
        until ovs-ofctl -O OpenFlow13 show "$t" >/dev/null 2>&1; do
            [ $SECONDS -lt $deadline ] || { echo "no OpenFlow listener on $t"; return 1; }
            sleep 0.1
        done
        ovs-ofctl -O OpenFlow13 add-flow "$t" in_port=1,actions=output:2 &&
            ovs-ofctl -O OpenFlow13 add-flow "$t" in_port=2,actions=output:1
    fi
}
bench_l2learn() { FP=l2learn; bench_lamina; }
bench_ebpf() { FP=ebpf; bench_lamina; }
bench_openflow() { FP=openflow; bench_lamina; }

# The slice's drops so far (every reason).
slice_drops() {
    "$build/cli/lamina" --socket "$lamina_sock" --json stats slice red |
        /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["slices"][0]["dropped"])'
}

# After the ebpf window under many addresses, while it still forwards:
# swaps, their losses, load times (measure runs in a subshell: the
# results go through a file).
eval "bench_lib_$(declare -f measure)"
measure() {
    local rc l="$build/cli/lamina --socket $lamina_sock"
    bench_lib_measure "$@"; rc=$?
    if [ "$FP" = ebpf ] && [ "$traffic" = 1024 ] && [ $rc -eq 0 ]; then
        local t0 t1 t2 d0 d1 d2
        d0=$(slice_drops); t0=$EPOCHREALTIME
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            $l vnode set red s1 --program "$obj/l2learn.o" >/dev/null || return 1
        done
        d1=$(slice_drops); t1=$EPOCHREALTIME
        sleep "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')"
        d2=$(slice_drops); t2=$EPOCHREALTIME
        awk -v t0="$t0" -v t1="$t1" -v t2="$t2" -v d0="$d0" -v d1="$d1" -v d2="$d2" 'BEGIN {
            printf "%.2f %d %d %.3f\n", (t1 - t0) * 100, d1 - d0, d2 - d1, t1 - t0 }' >"$swap_file"
        for p in l2learn ipv6_router xnet_router; do
            $l vnode set red s1 --program "$obj/$p.o" --config \
                "{\"tables\": [{\"name\": \"macs\", \"type\": \"hash\", \"size\": $MACTABLE}, {\"name\": \"t1\", \"type\": \"hash\", \"size\": 16}, {\"name\": \"t2\", \"type\": \"array\", \"size\": 16}]}" >/dev/null ||
                return 1
            $l --json vnode dump red s1 | /usr/bin/python3 -c 'import json, sys
p = json.load(sys.stdin)["program"]
print("%s %d %.0f %s" % (sys.argv[1], p["instructions"], p["load_ns"] / 1e3, p["jit"]))' "$p" \
                >>"$swap_file.load"
        done
    fi
    return $rc
}

log "memory: $memmode; warm-up ${WARMUP} s, window ${WINDOW} s; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
rm -f "$swap_file" "$swap_file.load"
lines=() rows=()
for traffic in $TRAFFIC; do
    if [ "$traffic" = same ]; then
        port0=net_null0 port1=net_null1 bench_mbufs=32768
    else
        bench_traffic "$traffic" 64 || exit 1
    fi
    testpmd=null l2learn=null ebpf=null openflow=null
    bench_contenders
    r=$(bench_ratio "$ebpf" "$l2learn")
    lines+=("$(printf '%-6s testpmd %6s  l2learn %6s  ebpf %6s  openflow %6s Mpps  ebpf/l2learn %6s  l2learn/testpmd %6s' \
        "$traffic" "$testpmd" "$l2learn" "$ebpf" "$openflow" "$r" "$(bench_ratio "$l2learn" "$testpmd")")")
    rows+=("{\"traffic\": \"$traffic\", \"testpmd_mpps\": $testpmd, \"l2learn_mpps\": $l2learn, \"ebpf_l2learn_mpps\": $ebpf, \"openflow_mpps\": $openflow, \"ebpf_over_l2learn\": $r}")
done

swap_ms=null swap_lost=null ref_lost=null
if [ -s "$swap_file" ]; then
    read -r swap_ms swap_lost ref_lost swap_s <"$swap_file"
fi
echo "ebpf l2learn.o against the others (64-byte frames, 1 forwarding core; load $(cut -d' ' -f1-3 /proc/loadavg)):"
printf '%s\n' "${lines[@]}"
echo "swap under 1,024-MAC traffic: $swap_ms ms each (vnode set, CLI round trip); slice drops during 10 swaps $swap_lost, during as long without $ref_lost"
loads=""
if [ -s "$swap_file.load" ]; then
    while read -r p n us jit; do
        printf 'load+check+validate+JIT %-12s %4d instructions %6s us  jit %s\n' "$p" "$n" "$us" "$jit"
        loads+="${loads:+, }{\"program\": \"$p\", \"instructions\": $n, \"load_us\": $us, \"jit\": $([ "$jit" = True ] && echo true || echo false)}"
    done <"$swap_file.load"
fi
rm -f "$swap_file" "$swap_file.load"
{
    echo "{\"rows\": ["
    (IFS=,; echo "${rows[*]}")
    echo "], \"swap_ms\": $swap_ms, \"swap_lost\": $swap_lost, \"no_swap_lost\": $ref_lost,"
    echo " \"loads\": [$loads],"
    echo " \"frame_bytes\": 64, \"forwarding_cores\": 1, \"warmup_s\": $WARMUP, \"window_s\": $WINDOW,"
    echo " \"memory\": \"$memmode\", \"load\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}"
} >"$build/bench-ebpf.json"
log "wrote $build/bench-ebpf.json"
[ "$ebpf" != null ]
