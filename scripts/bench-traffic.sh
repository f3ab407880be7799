#!/bin/bash
# bench-traffic.sh: forwarding under traffic of many addresses (issue 17),
# in one run on one machine (`make bench` runs it as
# scripts/bench-traffic.sh BUILD).
#
# The setup of scripts/bench.sh (one forwarding core, two ports, both
# directions), but the ports are net_pcap ports replaying the files of
# tools/lamina-pcapgen in a loop (bench_traffic in bench-lib.sh), the same
# frames for every contender: MACS distinct source addresses per side,
# every frame addressed to a station of the other side, 64-byte frames or
# the simple IMIX.  For each traffic:
#
#   (a) dpdk-testpmd, mac forwarding: the ceiling (it learns nothing);
#   (b) lamina-switchd, one slice, l2learn vnode (MAC table of 262,144);
#   (c) Open vSwitch-DPDK, the NORMAL action (MAC learning, the same job;
#       mac-table-size 262,144 so that neither table thrashes).
#
# Each row prints Mpps and the ratios lamina/testpmd and lamina/ovs of that
# run.  Goals (issue 17): lamina >= 0.8 testpmd at 1,024 MACs, >= 0.7 at
# 65,536; >= 4x OVS NORMAL.  Writes BUILD/bench-traffic.json.
# Environment: as bench.sh, plus LAMINA_BENCH_MACS (default "1024 65536")
# and LAMINA_BENCH_SIZES (default "64 imix").
. "$(dirname "$0")/bench-lib.sh"

MACS_LIST=${LAMINA_BENCH_MACS:-1024 65536}
SIZES=${LAMINA_BENCH_SIZES:-64 imix}
L2_TABLE=262144

lamina_configure() {
    local l=$1
    $l switch add s1 && $l port add s1 n0 "$port0" && $l port add s1 n1 "$port1" &&
    $l slice add red && $l vnode add red s1 --fp l2learn --config "{\"mac_table_size\": $L2_TABLE}" &&
    $l vport add red s1 v0 n0 && $l vport add red s1 v1 n1
}

ovs_flows() {
    vsctl set Bridge "$ovs_br" other_config:mac-table-size=$L2_TABLE &&
    ofctl add-flow "$ovs_br" actions=NORMAL
}

log "memory: $memmode; warm-up ${WARMUP} s, window ${WINDOW} s; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
rows=()
lines=()
for macs in $MACS_LIST; do
    for size in $SIZES; do
        bench_traffic "$macs" "$size" || exit 1
        testpmd=null lamina=null ovs=null
        bench_contenders
        r_tp=$(bench_ratio "$lamina" "$testpmd")
        r_ovs=$(bench_ratio "$lamina" "$ovs")
        lines+=("$(printf '%6s MACs %-4s  testpmd %6s  lamina %6s  ovs-normal %6s Mpps  lamina/testpmd %6s  lamina/ovs %6s' \
            "$macs" "$size" "$testpmd" "$lamina" "$ovs" "$r_tp" "$r_ovs")")
        rows+=("{\"macs\": $macs, \"size\": \"$size\", \"testpmd_mpps\": $testpmd, \"lamina_mpps\": $lamina, \"ovs_normal_mpps\": $ovs, \"lamina_over_testpmd\": $r_tp, \"lamina_over_ovs\": $r_ovs}")
    done
done

echo "l2learn under traffic of many addresses (1 forwarding core, net_pcap replay; load $(cut -d' ' -f1-3 /proc/loadavg)):"
printf '%s\n' "${lines[@]}"
{
    echo "{\"rows\": ["
    (IFS=,; echo "${rows[*]}")
    echo "], \"forwarding_cores\": 1, \"warmup_s\": $WARMUP, \"window_s\": $WINDOW,"
    echo " \"memory\": \"$memmode\", \"load\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}"
} >"$build/bench-traffic.json"
log "wrote $build/bench-traffic.json"
