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
#   (b) lamina-switchd, one slice, l2learn vnode with mac_table_size
#       4 x MACS (twice the stations: as a user would size it);
#   (c) Open vSwitch-DPDK, the NORMAL action (MAC learning, the same job;
#       mac-table-size the same, so that neither table thrashes).
#
# Each row runs ROUNDS rounds (LAMINA_BENCH_ROUNDS, default 3) of every
# contender in turn, and prints each contender's median Mpps and the
# medians of the rounds' ratios lamina/testpmd and lamina/ovs (each
# round's too): on this shared machine a contender's rate moves by 10-20%
# from one minute to the next, so one 10 s window each put the IMIX row
# anywhere between 3.6x and 4.5x OVS in runs of one afternoon.  Goals
# (issue 17): lamina >= 0.8 testpmd at 1,024 MACs, >= 0.7 at 65,536;
# >= 4x OVS NORMAL.
#
#   (d) the source alone ("source", bench-lib.sh): testpmd's io forwarding,
#       which touches no frame: the replay's own cost per frame (net_pcap
#       copies every frame on receive, so it grows with the frame size).
#       Each row also prints every contender's CPU time per frame net of
#       it, and lamina/ovs and lamina/testpmd on those: their own work.
#       The goals are judged on the Mpps ratios; the net ones show how
#       much of a ratio is the source (docs/performance.md, IMIX).
#
# Then many busy slices: SLICES slices (default 256) on the same two
# ports, one VLAN each (a vport per port with --vlan V, l2learn), the
# traffic spread over all their VLANs at once (1,024 MACs per side, 64 B,
# each station in one VLAN); the aggregate against one slice carrying the
# same traffic on one VLAN, measured in the same run.  Goal: >= 0.7.
#
# Then one switch served by one and by two workers (`switch add --workers
# 2`, EAL --lcores 0@0,1@0,2@1: a worker per CPU, the control lcore beside
# the first): n0 is one worker's port, n1 the other's, so every frame is
# received and decided by one worker and handed through the handoff ring to
# the other, which sends it (1,024 MACs, 64 B).  The ratio 2 / 1 workers of
# that run is the scaling of the worst case, all traffic crossing.  Then
# the best case: four ports (n2, n3 replay the same files), slice red on
# n0, n2 (one worker's) and blue on n1, n3 (the other's): nothing crosses.
#
# Then the OpenFlow plane against OVS with 1,000 and 10,000 rules that
# traffic of 65,536 flows spreads over (scripts/bench-openflow.sh with
# LAMINA_BENCH_FLOWS=65536).  Goal: >= 2x OVS.
#
# Writes BUILD/bench-traffic.json.  Environment: as bench.sh, plus
# LAMINA_BENCH_MACS (default "1024 65536"; empty skips those rows),
# LAMINA_BENCH_SIZES (default "64 imix"), LAMINA_BENCH_ROUNDS (default 3),
# LAMINA_BENCH_SLICES (default 256; 0 skips those rows),
# LAMINA_BENCH_WORKERS (default 1; 0 skips the 1-vs-2-workers row) and
# LAMINA_BENCH_OF_RULES (default "1000 10000"; empty skips those rows).
#
# A contender whose measurement fails (it did not start, forwarded nothing,
# or its forwarding thread ran less than LAMINA_BENCH_MIN_CPU, default 50,
# percent of the window: see measure in bench-lib.sh) has FAILED in its
# row instead of a rate, and the script ends with status 1.
. "$(dirname "$0")/bench-lib.sh"

MACS_LIST=${LAMINA_BENCH_MACS-1024 65536}
[ -n "${LAMINA_BENCH_ONLY:-}" ] || ONLY="testpmd lamina ovs source"
SIZES=${LAMINA_BENCH_SIZES:-64 imix}
ROUNDS=${LAMINA_BENCH_ROUNDS:-3}
L2_TABLE=4096

lamina_configure() {
    local l=$1
    $l switch add s1 && $l port add s1 n0 "$port0" && $l port add s1 n1 "$port1" &&
    $l slice add red && $l vnode add red s1 --fp l2learn --config "{\"mac_table_size\": $L2_TABLE}" &&
    $l vport add red s1 v0 n0 && $l vport add red s1 v1 n1
}

SLICES=${LAMINA_BENCH_SLICES:-256}
OF_RULES=${LAMINA_BENCH_OF_RULES-1000 10000}
n_slices=1

# The slices of the slice rows: one JSON-RPC batch on the socket (the CLI
# would take a process per call).
lamina_configure_slices() {
    local l=$1
    $l switch add s1 && $l port add s1 n0 "$port0" && $l port add s1 n1 "$port1" || return 1
    /usr/bin/python3 - "$lamina_sock" "$n_slices" <<'EOF'
import json, socket, sys
path, n = sys.argv[1], int(sys.argv[2])
calls = []
for v in range(1, n + 1):
    name = "vl%d" % v
    calls += [("slice.add", {"name": name}), ("vnode.add", {"slice": name, "switch": "s1"})]
    calls += [("vport.add", {"slice": name, "switch": "s1", "vport": vp, "port": port, "vlan": v})
              for vp, port in (("a", "n0"), ("b", "n1"))]
s = socket.socket(socket.AF_UNIX)
s.connect(path)
f = s.makefile("rwb")
f.write(json.dumps([{"jsonrpc": "2.0", "id": i, "method": m, "params": p}
                    for i, (m, p) in enumerate(calls)]).encode() + b"\n")
f.flush()
errors = [r["error"] for r in json.loads(f.readline()) if "error" in r]
sys.exit("slice configuration: %s" % errors[0] if errors else 0)
EOF
}

# The workers row: the switch with $n_workers workers.
WORKERS_ROW=${LAMINA_BENCH_WORKERS:-1}
n_workers=1
lamina_configure_workers() {
    local l=$1
    $l switch add s1 --workers $n_workers && $l port add s1 n0 "$port0" &&
    $l port add s1 n1 "$port1" && $l slice add red &&
    $l vnode add red s1 --fp l2learn --config "{\"mac_table_size\": 4096}" &&
    $l vport add red s1 v0 n0 && $l vport add red s1 v1 n1
}
lamina_configure_local() {
    local l=$1
    $l switch add s1 --workers $n_workers && $l port add s1 n0 "$port0" &&
    $l port add s1 n1 "$port1" && $l port add s1 n2 "${port0/net_pcap0/net_pcap2}" &&
    $l port add s1 n3 "${port1/net_pcap1/net_pcap3}" && $l slice add red && $l slice add blue &&
    $l vnode add red s1 --fp l2learn --config "{\"mac_table_size\": 4096}" &&
    $l vnode add blue s1 --fp l2learn --config "{\"mac_table_size\": 4096}" &&
    $l vport add red s1 v0 n0 && $l vport add red s1 v1 n2 &&
    $l vport add blue s1 v0 n1 && $l vport add blue s1 v1 n3
}

ovs_flows() {
    vsctl set Bridge "$ovs_br" other_config:mac-table-size=$L2_TABLE &&
    ofctl add-flow "$ovs_br" actions=NORMAL
}

# shown NAME VALUE: VALUE, or FAILED if contender NAME failed in this row
# (after n_failed earlier failures).
shown() {
    case " ${bench_failed[*]:$n_failed} " in
    *" $1 "*) echo FAILED ;;
    *) echo "$2" ;;
    esac
}
n_failed=0

# net_ns MPPS CPU: CPU ns per frame (at MPPS with CPU percent of a CPU)
# beyond the source's $src_ns, or null.
net_ns() {
    local r
    r=$(bench_per_cpu "$1" "$2")
    if [ "$r" = null ] || [ "$src_ns" = null ]; then echo null; return; fi
    awk -v r="$r" -v s="$src_ns" 'BEGIN { printf "%.2f\n", 1000 / r - s }'
}

log "memory: $memmode; warm-up ${WARMUP} s, window ${WINDOW} s; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
rows=()
lines=()
for macs in $MACS_LIST; do
    for size in $SIZES; do
        bench_traffic "$macs" "$size" || exit 1
        L2_TABLE=$((4 * macs))
        testpmd=null lamina=null ovs=null testpmd_cpu=null lamina_cpu=null ovs_cpu=null ovs_detail=""
        testpmd_ns=null lamina_ns=null ovs_ns=null source=null source_cpu=null
        n_failed=${#bench_failed[@]}
        # ROUNDS rounds of every contender in turn: each round's ratios
        # compare rates measured a minute apart at most, and the row shows
        # the medians (of the rates, and of the rounds' ratios).  The CPU
        # shares, the stage cycles and OVS's caches shown are the last
        # round's.
        all_tp=() all_lam=() all_ovs=() all_src=() rounds_tp=() rounds_ovs=()
        for ((round = 1; round <= ROUNDS; round++)); do
            bench_contenders
            all_tp+=("$testpmd") all_lam+=("$lamina") all_ovs+=("$ovs") all_src+=("$source")
            rounds_tp+=("$(bench_ratio "$lamina" "$testpmd")")
            rounds_ovs+=("$(bench_ratio "$lamina" "$ovs")")
        done
        testpmd=$(bench_median "${all_tp[@]}") lamina=$(bench_median "${all_lam[@]}")
        ovs=$(bench_median "${all_ovs[@]}") source=$(bench_median "${all_src[@]}")
        # The source's CPU ns per frame, and each contender's beyond it.
        src_ns=$(bench_per_cpu "$source" "$source_cpu")
        [ "$src_ns" = null ] || src_ns=$(awk -v r="$src_ns" 'BEGIN { printf "%.2f\n", 1000 / r }')
        net_tp=$(net_ns "$testpmd" "$testpmd_cpu")
        net_lam=$(net_ns "$lamina" "$lamina_cpu")
        net_ovs=$(net_ns "$ovs" "$ovs_cpu")
        r_net_ovs=$(bench_ratio "$net_ovs" "$net_lam")
        r_net_tp=$(bench_ratio "$net_tp" "$net_lam")
        srcline=""
        [ "$src_ns" != null ] &&
            srcline="source (testpmd io) $source Mpps, $src_ns CPU ns/frame; beyond it: testpmd $net_tp lamina $net_lam ovs $net_ovs ns/frame (lamina/ovs $r_net_ovs, lamina/testpmd $r_net_tp)"
        r_tp=$(bench_median "${rounds_tp[@]}")
        r_ovs=$(bench_median "${rounds_ovs[@]}")
        roundline=""
        [ "$ROUNDS" -gt 1 ] &&
            roundline="rounds: lamina/testpmd ${rounds_tp[*]}; lamina/ovs ${rounds_ovs[*]}"
        stages=$lamina_stages
        # Per CPU-second of the forwarding thread: what the load took from
        # each contender taken out (a steadier ratio on a busy machine).
        r_cpu=$(bench_ratio "$(bench_per_cpu "$lamina" "$lamina_cpu")" \
                            "$(bench_per_cpu "$testpmd" "$testpmd_cpu")")
        # With LAMINA_BENCH_PERF=stat: each thread's CPU time per packet.
        r_ns=$(bench_ratio "$testpmd_ns" "$lamina_ns")
        perfline=""
        [ "$lamina_ns" != null ] &&
            perfline="; CPU ns per packet: testpmd $testpmd_ns lamina $lamina_ns ovs $ovs_ns (testpmd/lamina $r_ns)"
        stages="forwarding thread's CPU: testpmd $testpmd_cpu% lamina $lamina_cpu% ovs $ovs_cpu%; lamina/testpmd per CPU-second $r_cpu$perfline${roundline:+
                  $roundline}${srcline:+
                  $srcline}${stages:+
                  lamina $stages}${ovs_detail:+
                  ovs: $ovs_detail}"
        lines+=("$(printf '%6s MACs %-4s  testpmd %6s  lamina %6s  ovs-normal %6s Mpps  lamina/testpmd %6s  lamina/ovs %6s' \
            "$macs" "$size" "$(shown testpmd "$testpmd")" "$(shown lamina "$lamina")" "$(shown ovs "$ovs")" "$r_tp" "$r_ovs")
                  $stages")
        rows+=("{\"macs\": $macs, \"size\": \"$size\", \"memory\": \"$memmode\", \"testpmd_mpps\": $testpmd, \"lamina_mpps\": $lamina, \"ovs_normal_mpps\": $ovs, \"lamina_over_testpmd\": $r_tp, \"lamina_over_testpmd_per_cpu\": $r_cpu, \"testpmd_cpu_pct\": $testpmd_cpu, \"lamina_cpu_pct\": $lamina_cpu, \"ovs_cpu_pct\": $ovs_cpu, \"lamina_over_ovs\": $r_ovs, \"testpmd_cpu_ns_per_packet\": $testpmd_ns, \"lamina_cpu_ns_per_packet\": $lamina_ns, \"ovs_cpu_ns_per_packet\": $ovs_ns, \"source_mpps\": $source, \"source_cpu_pct\": $source_cpu, \"source_cpu_ns_per_frame\": $src_ns, \"net_ns_per_frame\": {\"testpmd\": $net_tp, \"lamina\": $net_lam, \"ovs\": $net_ovs}, \"lamina_over_ovs_net\": $r_net_ovs, \"lamina_over_testpmd_net\": $r_net_tp, \"rounds\": $ROUNDS, \"lamina_over_testpmd_rounds\": [$(IFS=,; echo "${rounds_tp[*]}")], \"lamina_over_ovs_rounds\": [$(IFS=,; echo "${rounds_ovs[*]}")]}")
    done
done

slice_lines=()
if [ "$SLICES" -gt 0 ]; then
    lamina_configure() { lamina_configure_slices "$@"; }
    for n_slices in 1 "$SLICES"; do
        bench_traffic 1024 64 1024 "" "$n_slices" || exit 1
        ONLY=lamina bench_contenders
        printf -v "slices_$n_slices" '%s' "$lamina"
    done
    eval "s1=\$slices_1 sn=\$slices_$SLICES"
    r_sl=$(bench_ratio "$sn" "$s1")
    slice_lines+=("$(printf '%6s slices by VLAN %6s Mpps, 1 slice %6s Mpps: %s' "$SLICES" "$sn" "$s1" "$r_sl")")
    rows+=("{\"slices\": $SLICES, \"lamina_mpps\": $sn, \"one_slice_mpps\": $s1, \"ratio\": $r_sl}")
fi

worker_lines=()
if [ "$WORKERS_ROW" != 0 ]; then
    for how in crossing local; do
        if [ $how = crossing ]; then
            lamina_configure() { lamina_configure_workers "$@"; }
        else
            lamina_configure() { lamina_configure_local "$@"; }
        fi
        for n_workers in 1 2; do
            bench_traffic 1024 64 || exit 1
            # n2, n3 replay the files too: their frames need buffers.
            [ $how = local ] && bench_mbufs=$((2 * bench_mbufs))
            [ "$n_workers" = 2 ] && lamina_lcores="--lcores 0@0,1@0,2@1"
            ONLY=lamina bench_contenders
            printf -v "workers_$n_workers" '%s' "$lamina"
        done
        lamina_lcores="-l 0-1"
        # shellcheck disable=SC2154
        r_w=$(bench_ratio "$workers_2" "$workers_1")
        worker_lines+=("$(printf '  1 switch, 2 workers %6s Mpps, 1 worker %6s Mpps: %s (%s; load %s)' \
            "$workers_2" "$workers_1" "$r_w" \
            "$([ $how = crossing ] && echo "every frame handed over" || echo "no frame crosses")" \
            "$(cut -d' ' -f1-3 /proc/loadavg)")")
        rows+=("{\"workers\": 2, \"traffic\": \"$how\", \"lamina_mpps\": $workers_2, \"one_worker_mpps\": $workers_1, \"ratio\": $r_w}")
    done
fi

echo "l2learn under traffic of many addresses (1 forwarding core, net_pcap replay; load $(cut -d' ' -f1-3 /proc/loadavg)):"
printf '%s\n' "${lines[@]}"
[ ${#slice_lines[@]} -gt 0 ] && printf '%s\n' "${slice_lines[@]}"
[ ${#worker_lines[@]} -gt 0 ] && printf '%s\n' "${worker_lines[@]}"
{
    echo "{\"rows\": ["
    (IFS=,; echo "${rows[*]}")
    echo "], \"forwarding_cores\": 1, \"warmup_s\": $WARMUP, \"window_s\": $WINDOW,"
    echo " \"memory\": \"$memmode\", \"load\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}"
} >"$build/bench-traffic.json"
log "wrote $build/bench-traffic.json"

if [ -n "$OF_RULES" ]; then
    LAMINA_BENCH_FLOWS=65536 LAMINA_BENCH_RULES=$OF_RULES \
        "$srcdir/scripts/bench-openflow.sh" "$build" || bench_failed+=(openflow)
fi
bench_exit
