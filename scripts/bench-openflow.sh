#!/bin/bash
# bench-openflow.sh: the `openflow` forwarding plane of a Lamina vnode
# against Open vSwitch's DPDK datapath, with the same OpenFlow rules, in
# one run on one machine (not a test; results in docs/performance-openflow.md).
#
#     scripts/bench-openflow.sh BUILD
#
# Setup as scripts/bench.sh (whose functions it reuses, scripts/bench-lib.sh):
# one forwarding core, two net_null ports (n0 = OpenFlow port 1, n1 = port
# 2), 64-byte all-zero frames in both directions, TX packets of both ports
# over a WINDOW after a WARMUP.
#
# Rule sets of N flows (N in $LAMINA_BENCH_RULES, default "2 1000 10000"):
# two that match, one per direction,
#     priority=1,in_port=1,dl_dst=00:00:00:00:00:00,actions=output:2
#     priority=1,in_port=2,dl_dst=00:00:00:00:00:00,actions=output:1
# and N-2 that never match the all-zero frames but must be looked at first:
# higher priorities, in_port plus dl_src with a nonzero value under one of
# 41 masks (8..48 leading one bits), so they spread over many tuples
# (Lamina) / subtables (OVS) and cannot collapse into one.  Lamina gets them
# through its OpenFlow agent (`ovs-ofctl -O OpenFlow13 add-flows` on the
# vnode's passive listener), OVS through `ovs-ofctl add-flows` on its bridge.
#
# With LAMINA_BENCH_FLOWS=K (scripts/bench-traffic.sh sets 65536), the
# ports replay lamina-pcapgen's traffic of K distinct IPv4/UDP flows per
# direction (1,024 MACs per side, 64 B; bench_traffic in bench-lib.sh)
# and the N rules are ones that this traffic spreads over (make_flows_spread):
# per direction, R (the largest power of 2 <= N/2) rules on in_port and an
# IPv4 source prefix that together cover all K sources (10.1.0.0/16 from
# port 1, 10.2.0.0/16 from port 2), and N/2 - R exact /32 rules above them,
# spread over the flows: every rule is hit, and a flow cache sees K flows.
#
# Each row gives both rates, their ratio, the ratio per CPU-second of each
# forwarding thread (steadier on a busy machine), and under it what each
# side's caches did: lamina's cache hits and misses (and its cycles per
# stage in a -Dstage_cycles=true build); OVS's megaflows, its dynamic flow
# limit, the shares of packets its EMC, SMC, megaflow classifier and
# upcalls answered over the window, and its cycles per packet (bench_ovs,
# ovs_summary in bench-lib.sh), so a change in either rate is explained by
# the bench itself.
#
# Prints a table and writes BUILD/bench-openflow.json.  Environment as
# bench.sh (LAMINA_BENCH_WARMUP, LAMINA_BENCH_WINDOW) plus
# LAMINA_BENCH_RULES, LAMINA_BENCH_FLOWS and LAMINA_BENCH_ONLY (subset of
# "lamina ovs").
. "$(dirname "$0")/bench-lib.sh"

RULES=${LAMINA_BENCH_RULES:-2 1000 10000}
ONLY=${LAMINA_BENCH_ONLY:-lamina ovs}
flows_file=""

# make_flows N FILE
make_flows() {
    awk -v n="$1" 'BEGIN {
        print "priority=1,in_port=1,dl_dst=00:00:00:00:00:00,actions=output:2"
        print "priority=1,in_port=2,dl_dst=00:00:00:00:00:00,actions=output:1"
        for (i = 0; i < n - 2; i++) {
            bits = 8 + i % 41
            # value: 02 in the first byte, i in the low bits, masked
            v[0] = 2; v[1] = int(i / 65536) % 256; v[2] = int(i / 256) % 256
            v[3] = i % 256; v[4] = (i * 7) % 256; v[5] = (i * 13) % 256
            val = ""; msk = ""
            for (b = 0; b < 6; b++) {
                k = bits - 8 * b; k = k > 8 ? 8 : (k < 0 ? 0 : k)
                mb = 256 - 2 ^ (8 - k)                  # k leading ones
                x = k ? v[b] - v[b] % 2 ^ (8 - k) : 0   # v[b] & mb
                val = val sprintf("%s%02x", b ? ":" : "", x)
                msk = msk sprintf("%s%02x", b ? ":" : "", mb)
            }
            printf "priority=%d,in_port=%d,dl_src=%s/%s,actions=output:%d\n",
                   100 + i, 1 + i % 2, val, msk, 2 - i % 2
        }
    }' >"$2"
}

# make_flows_spread N FILE: rules that traffic of 65,536 flows per
# direction spreads over (see the head of this file).
make_flows_spread() {
    awk -v n="$1" 'BEGIN {
        half = int(n / 2); r = 1; bits = 16
        while (r * 2 <= half) { r *= 2; bits++ }
        for (d = 1; d <= 2; d++) {
            for (j = 0; j < r; j++) {
                a = j * 65536 / r        # first source of the prefix
                printf "priority=10,ip,in_port=%d,nw_src=10.%d.%d.%d/%d,actions=output:%d\n",
                       d, d, int(a / 256), a % 256, bits, 3 - d
            }
            extra = half - r
            for (k = 0; k < extra; k++) {
                f = int(k * 65536 / extra)
                printf "priority=20,ip,in_port=%d,nw_src=10.%d.%d.%d,actions=output:%d\n",
                       d, d, int(f / 256), f % 256, 3 - d
            }
        }
    }' >"$2"
}

of_port=""
lamina_configure() {
    local l=$1
    of_port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    $l switch add s1 && $l port add s1 n0 "$port0" && $l port add s1 n1 "$port1" &&
    $l slice add red &&
    $l vnode add red s1 --fp openflow --config "{\"listen\": \"ptcp:$of_port:127.0.0.1\", \"open\": true}" &&
    $l vport add red s1 v0 n0 && $l vport add red s1 v1 n1 || return 1
    local t=tcp:127.0.0.1:$of_port deadline=$((SECONDS + 20))
    until ovs-ofctl -O OpenFlow13 show "$t" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || { echo "no OpenFlow listener on $t"; return 1; }
        sleep 0.1
    done
    local t0=$EPOCHREALTIME
    ovs-ofctl -O OpenFlow13 add-flows "$t" "$flows_file" || return 1
    local agg
    agg=$(ovs-ofctl -O OpenFlow13 dump-aggregate "$t")
    log "lamina: $(grep -c . "$flows_file") flow mods in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f", b - a}') s; $(echo "$agg" | grep -o 'flow_count=[0-9]*')"
}

# After lamina's window, while it still runs: what its caches did.
eval "bench_lib_$(declare -f measure)"
measure() {
    local rc
    bench_lib_measure "$@"; rc=$?
    if [ "$1" = lamina ]; then
        "$build/cli/lamina" --socket "$lamina_sock" --json vnode dump red s1 2>/dev/null |
            /usr/bin/python3 -c 'import json, sys
d = json.load(sys.stdin)
n = d["cache_hits"] + d["cache_misses"]
print("flows %d, tuples %d; since start: cache hits %.1f%% (trains %.1f%%), misses %.1f%%"
      % (d["flow_count"], d["tuples"], 100.0 * d["cache_hits"] / max(n, 1),
         100.0 * d["train_hits"] / max(n, 1), 100.0 * d["cache_misses"] / max(n, 1)))' \
            >"$work/measure.detail"
        sed 's/^/bench: lamina vnode: /' "$work/measure.detail" >&2
        grep -h "flow mods in" "$work/lamina.log" >&2
    fi
    return $rc
}

ovs_flows() {
    ofctl add-flows "$ovs_br" "$flows_file" || return 1
    log "ovs: $(ofctl dump-aggregate "$ovs_br" | grep -o 'flow_count=[0-9]*')"
}

# openflow_rules NAME: the rules of this row for contender NAME.
openflow_rules() {
    flows_file=$work/flows-$n.txt
    if [ -n "${LAMINA_BENCH_FLOWS:-}" ]; then
        make_flows_spread "$n" "$flows_file"
    else
        make_flows "$n" "$flows_file"
    fi
    log "$1 with $n rules"
}

log "memory: $memmode; warm-up ${WARMUP} s, window ${WINDOW} s; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
json_rows=""
if [ -n "${LAMINA_BENCH_FLOWS:-}" ]; then
    bench_traffic 1024 64 "$LAMINA_BENCH_FLOWS" "$LAMINA_BENCH_FLOWS" || exit 1
fi
printf -v table '%-8s %12s %12s %8s\n' rules "lamina Mpps" "ovs Mpps" ratio
for n in $RULES; do
    lamina=null ovs=null lamina_stages="" lamina_detail="" ovs_detail=""
    bench_contenders openflow_rules
    r=$(bench_ratio "$lamina" "$ovs")
    # Per CPU-second of each forwarding thread: what the load took from
    # each contender taken out (the steadier ratio on a busy machine).
    l_cpu=$(bench_per_cpu "$lamina" "${lamina_cpu:-null}")
    o_cpu=$(bench_per_cpu "$ovs" "${ovs_cpu:-null}")
    r_cpu=$(bench_ratio "$l_cpu" "$o_cpu")
    printf -v row '%-8s %12s %12s %8s  (per CPU-second %s / %s: %s; load %s)\n' "$n" "$lamina" "$ovs" "$r" \
        "$l_cpu" "$o_cpu" "$r_cpu" "$(cut -d' ' -f1-3 /proc/loadavg)"
    table+=$row
    # What each side's caches did: a change in a rate is explained here.
    [ -n "${lamina_detail:-}" ] && table+="         lamina: $lamina_detail${lamina_stages:+; $lamina_stages}"$'\n'
    [ -n "${ovs_detail:-}" ] && table+="         ovs: $ovs_detail"$'\n'
    json_rows+="${json_rows:+, }{\"rules\": $n, \"lamina_mpps\": $lamina, \"ovs_dpdk_mpps\": $ovs, \"ratio\": $r, \"ratio_per_cpu\": $r_cpu, \"lamina_cpu_pct\": ${lamina_cpu:-null}, \"ovs_cpu_pct\": ${ovs_cpu:-null}, \"lamina_caches\": \"${lamina_detail:-}\", \"ovs_datapath\": \"${ovs_detail:-}\"}"
done
printf '%s' "$table"
cat >"$build/bench-openflow.json" <<EOF
{"results": [$json_rows],
 "frame_bytes": 64, "forwarding_cores": 1, "warmup_s": $WARMUP, "window_s": $WINDOW,
 "memory": "$memmode", "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"}
EOF
log "wrote $build/bench-openflow.json"
