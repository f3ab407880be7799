# bench-lib.sh: what the forwarding benchmarks share (sourced by
# scripts/bench.sh and scripts/bench-openflow.sh, which take the build
# directory as $1): the temporary directory and cleanup of every process
# started (by PID), the measurement (TX counters of both ports over a
# window after a warm-up), and the three contenders on two net_null ports
# with one forwarding core: dpdk-testpmd (bench_testpmd), lamina-switchd
# (bench_lamina; its configuration is lamina_configure) and Open vSwitch's
# DPDK datapath (bench_ovs; its flows are ovs_flows).  Each bench_* sets
# $result to Mpps and returns 0, 2 if skipped, else 1.
#
# The two ports are $port0 and $port1 (EAL device arguments), net_null by
# default.  bench_traffic MACS SIZE [FRAMES] [FLOWS] [VLANS] makes them
# net_pcap ports that replay lamina-pcapgen's files in a loop instead
# (rx_pcap=FILE,infinite_rx=1; transmitted packets are dropped by the
# driver), the same files for every contender: traffic of many distinct
# addresses rather than net_null's one all-zero frame.
set -u

build=${1:-build}
WARMUP=${LAMINA_BENCH_WARMUP:-3}
WINDOW=${LAMINA_BENCH_WINDOW:-10}
ONLY=${LAMINA_BENCH_ONLY:-testpmd lamina ovs}
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/scripts/dpdk-files.sh"
[ -d "$build" ] || { echo "bench: no build directory '$build'" >&2; exit 1; }
build=$(cd "$build" && pwd)

tag=lb$$
work=$(mktemp -d "/tmp/lamina-bench.$tag.XXXXXX")
pids=()
netns=""
prefixes=()
port0=net_null0
port1=net_null1
# Packet buffers each contender needs: the pcap driver holds one per frame
# of its file for the whole run.
bench_mbufs=32768
trafdir=""
# The contenders that failed (bench_contenders): a script ends with a
# non-zero status if any did (bench_exit).
bench_failed=()

log() { echo "bench: $*" >&2; }

# Stop one PID we started: TERM, up to 5 s grace, then KILL.
stop_pid() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

cleanup() {
    local p
    { exec 3>&-; } 2>/dev/null
    for ((p = ${#pids[@]} - 1; p >= 0; p--)); do
        stop_pid "${pids[p]}"
    done
    pids=()
    [ -n "$netns" ] && ip netns del "$netns" 2>/dev/null
    netns=""
    for p in "${prefixes[@]}"; do
        dpdk_files_remove "$p"
    done
    prefixes=()
    rm -rf "$work"
}
trap 'cleanup; [ -n "$trafdir" ] && rm -rf "$trafdir"' EXIT
trap 'exit 130' INT TERM

# Memory: hugepages if scripts/hugepages.sh could reserve enough, otherwise
# --no-huge (slower: 4 KiB pages cost TLB misses; reported in the JSON).
huge_free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if [ "${huge_free:-0}" -ge 512 ] && grep -qs ' hugetlbfs ' /proc/mounts; then
    memmode=hugepages
    eal_mem=""
else
    memmode=no-huge
    eal_mem="--no-huge -m 1024"
fi

memmode0=$memmode
eal_mem0=$eal_mem

now() { echo "$EPOCHREALTIME"; }

# Steal and busy time of the whole machine between two reads of /proc/stat,
# to tell a noisy run when one sees it.
cpu_snapshot() { awk '/^cpu / {print $2+$3+$4+$7+$8, $9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }

# thread_cpu_ns PID: "TID NS" per thread of PID, one a line: the time it
# ran on a CPU (the scheduler's own count, /proc/.../schedstat; the ticks
# of /proc/.../stat are sampled and miscount a thread that shares its CPU).
thread_cpu_ns() {
    local f t
    for f in /proc/"$1"/task/*/schedstat; do
        t=${f%/schedstat}
        read -r ns _ <"$f" 2>/dev/null && echo "${t##*/} $ns"
    done
}

# The forwarding process of the contender being measured (each bench_*
# sets it before measure): its busiest thread's CPU time over the window
# says whether the rate is the contender's or the machine's load.
bench_pid=""
# The least share of a CPU (percent) the busiest thread must have had over
# the window for its rate to count (below: the contender failed, loudly).
MIN_CPU=${LAMINA_BENCH_MIN_CPU:-50}

# LAMINA_BENCH_PERF=stat: the window runs under `perf stat -e
# cycles,instructions,task-clock` of the contender's forwarding thread
# (the busiest over the warm-up), and each contender prints them per
# packet, so that two programs' own work per packet is compared in the
# same run (the rate alone mixes it with the load).  In a VM without
# hardware counters only task-clock counts: it is printed as ns and as
# cycles at the CPU's nominal rate (/proc/cpuinfo; the thread's own CPU
# time, not the load's).
# LAMINA_BENCH_PERF=record: `perf record` of that thread instead, into
# $LAMINA_BENCH_PERF_DIR (default /tmp) /perf-NAME.data, for `perf report
# -i FILE`.
PERF=${LAMINA_BENCH_PERF:-}
PERF_DIR=${LAMINA_BENCH_PERF_DIR:-/tmp}
case $PERF in
""|stat|record) ;;
*) echo "bench: LAMINA_BENCH_PERF must be stat or record, not '$PERF'" >&2; exit 1 ;;
esac
if [ -n "$PERF" ] && ! command -v perf >/dev/null; then
    echo "bench: LAMINA_BENCH_PERF=$PERF but no perf (package linux-perf)" >&2
    exit 1
fi

# busiest_tid BEFORE AFTER: the thread (of thread_cpu_ns lists) that ran
# the most between the two.
busiest_tid() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        k = split(a, u, "\n"); for (i = 1; i <= k; i++) { split(u[i], f, " "); t[f[1]] = f[2] }
        k = split(b, u, "\n"); best = -1
        for (i = 1; i <= k; i++) { split(u[i], f, " ")
            if ((f[1] in t) && f[2] - t[f[1]] > best) { best = f[2] - t[f[1]]; id = f[1] } }
        if (best >= 0) print id }'
}

# perf_window NAME BEFORE AFTER: waits WINDOW seconds, under perf (see
# PERF) of the busiest thread between the thread lists BEFORE and AFTER.
perf_tid=""
perf_window() {
    perf_tid=""
    [ -n "$PERF" ] && [ -n "$2" ] && perf_tid=$(busiest_tid "$2" "$3")
    if [ -z "$perf_tid" ]; then
        sleep "$WINDOW"
    elif [ "$PERF" = record ]; then
        perf record -q -t "$perf_tid" -o "$PERF_DIR/perf-$1.data" -- sleep "$WINDOW" 2>/dev/null
    else
        perf stat -x, -e cycles,instructions,task-clock -t "$perf_tid" -o "$work/perf.stat" -- sleep "$WINDOW" 2>/dev/null
    fi
}

# perf_per_packet NAME C0 C1 DT: prints the perf stat counts of the
# window per packet forwarded in it (C1 - C0 packets were counted over DT
# seconds, a little more than the WINDOW seconds perf counted).
perf_per_packet() {
    [ -n "$perf_tid" ] || { log "$1: perf: no forwarding thread found"; return 0; }
    if [ "$PERF" = record ]; then
        log "$1: perf record of thread $perf_tid in $PERF_DIR/perf-$1.data"
        return 0
    fi
    local mhz
    mhz=$(awk -F': *' '/^cpu MHz/ { print $2; exit }' /proc/cpuinfo)
    awk -F, -v n="$1" -v p=$(($3 - $2)) -v dt="$4" -v w="$WINDOW" -v mhz="${mhz:-0}" '
        BEGIN { if (dt > 0) p = p * w / dt }
        $3 == "cycles" && $1 ~ /^[0-9]/ { c = $1 }
        $3 == "instructions" && $1 ~ /^[0-9]/ { i = $1 }
        $3 == "task-clock" && $1 ~ /^[0-9]/ { t = $1 * 1e6 }  # msec -> ns
        END {
            if (p <= 0) { printf "bench: %s: perf: no packets\n", n > "/dev/stderr"; exit }
            out = ""
            if (c > 0) out = sprintf("%.1f cycles, %.1f instructions (IPC %.2f), ", c / p, i / p, i / c)
            if (t > 0) out = out sprintf("CPU %.2f ns = %.1f cycles at %.0f MHz", t / p, t / p * mhz / 1000, mhz)
            printf "bench: %s: perf per packet: %s\n", n, (out == "" ? "no counts" : out) > "/dev/stderr"
            if (t > 0) printf "%.2f\n", t / p
        }' "$work/perf.stat" >"$work/measure.perf"
}

# A command measure runs right after the window's first read (bench_ovs:
# clear the pmd's statistics, so that they cover the window only).
measure_start_hook=""

# measure NAME READER: waits WARMUP, reads, waits WINDOW, reads; prints Mpps.
# READER prints the sum of both ports' TX packets.  Fails, naming the
# cause, when the counters did not move or the forwarding thread of
# $bench_pid ran less than MIN_CPU % of the window (a real-time or busy
# thread of another process on its CPU: the 0.16 Mpps that testpmd "did"
# in one run of 2026-12-07), rather than print a rate that is not the
# contender's.
measure() {
    local name=$1 reader=$2 a0 b0 c0 a1 b1 c1 s0 s1 t0="" t1="" tw="" out
    [ -n "$PERF" ] && [ -n "$bench_pid" ] && tw=$(thread_cpu_ns "$bench_pid")
    sleep "$WARMUP"
    s0=$(cpu_snapshot)
    [ -n "$bench_pid" ] && t0=$(thread_cpu_ns "$bench_pid")
    a0=$(now); c0=$($reader) || return 1; b0=$(now)
    [ -n "$measure_start_hook" ] && $measure_start_hook
    perf_window "$name" "$tw" "$t0"
    a1=$(now); c1=$($reader) || return 1; b1=$(now)
    [ -n "$PERF" ] && perf_per_packet "$name" "$c0" "$c1" \
        "$(awk -v a0="$a0" -v b0="$b0" -v a1="$a1" -v b1="$b1" 'BEGIN { print (a1 + b1) / 2 - (a0 + b0) / 2 }')"
    [ -n "$bench_pid" ] && t1=$(thread_cpu_ns "$bench_pid")
    s1=$(cpu_snapshot)
    [ -n "$c0" ] && [ -n "$c1" ] || { log "$name: no counters"; return 1; }
    out=$(awk -v a0="$a0" -v b0="$b0" -v a1="$a1" -v b1="$b1" -v c0="$c0" -v c1="$c1" \
        -v s0="$s0" -v s1="$s1" -v n="$name" -v t0="$t0" -v t1="$t1" \
        -v min="$MIN_CPU" 'BEGIN {
        dt = (a1 + b1) / 2 - (a0 + b0) / 2
        split(s0, x); split(s1, y)
        tot = y[3] - x[3]
        # The busiest thread: the most CPU time between the two reads.
        k = split(t0, u, "\n"); for (i = 1; i <= k; i++) { split(u[i], f, " "); before[f[1]] = f[2] }
        k = split(t1, u, "\n"); best = -1
        for (i = 1; i <= k; i++) {
            split(u[i], f, " ")
            if ((f[1] in before) && f[2] - before[f[1]] > best) best = f[2] - before[f[1]]
        }
        cpu = (best >= 0 && dt > 0) ? 100 * best / 1e9 / dt : -1
        printf "bench: %s: %d packets in %.3f s; machine busy %.0f%%, steal %.1f%%%s\n",
            n, c1 - c0, dt, tot ? 100 * (y[1] - x[1]) / tot : 0,
            tot ? 100 * (y[2] - x[2]) / tot : 0,
            (cpu >= 0 ? sprintf("; forwarding thread %.0f%% of a CPU", cpu) : "") > "/dev/stderr"
        if (c1 - c0 <= 0) {
            printf "bench: %s: FAILED: no packet forwarded in the window\n", n > "/dev/stderr"
            exit 1
        }
        if (cpu >= 0 && cpu < min) {
            printf "bench: %s: FAILED: its forwarding thread ran only %.0f%% of the window " \
                "(LAMINA_BENCH_MIN_CPU=%d): the rate would be the load%s, not the contender%s\n",
                n, cpu, min, "\047s", "\047s" > "/dev/stderr"
            exit 1
        }
        printf "%.2f %s\n", (c1 - c0) / dt / 1e6, (cpu >= 0 ? sprintf("%.0f", cpu) : "null") }') || {
        log "$name: real-time threads on the machine: $(ps -eLo pid=,cls=,rtprio=,comm= |
            awk '$2 != "TS" && $2 != "IDL" && $4 !~ /^(migration|watchdogd|irq|rcu|idle_inject|cpuhp)/ {printf "%s %s/%s; ", $4, $2, $3; n++} END {if (!n) print "none"}')"
        return 1
    }
    # (Run in $(...): the share goes through a file, bench_contenders'.)
    echo "${out#* }" >"$work/measure.cpu"
    echo "${out% *}"
}

# wait_for_file_text FILE REGEX SECONDS
wait_for_text() {
    local file=$1 re=$2 deadline=$((SECONDS + $3))
    while [ $SECONDS -lt $deadline ]; do
        grep -Eq "$re" "$file" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# bench_traffic MACS SIZE [FRAMES] [FLOWS] [VLANS]: writes the two sides'
# pcaps (SIZE 64, imix or bytes; see tools/lamina-pcapgen.c) and points
# $port0 / $port1 at them.  Prints the generator's JSON line on stderr.
bench_traffic() {
    local macs=$1 size=$2 frames=${3:-$1} flows=${4:-} vlans=${5:-} gen=$build/tools/lamina-pcapgen
    local args=(--macs "$macs" --frames "$frames" --size "$size")
    [ -x "$gen" ] || { log "no $gen (build first)"; return 1; }
    [ -n "$flows" ] && args+=(--flows "$flows")
    [ -n "$vlans" ] && args+=(--vlans "$vlans")
    [ -n "$trafdir" ] || trafdir=$(mktemp -d "/tmp/lamina-traffic.$tag.XXXXXX")
    "$gen" --out-a "$trafdir/a.pcap" --out-b "$trafdir/b.pcap" "${args[@]}" |
        sed 's/^/bench: traffic: /' >&2 || return 1
    port0="net_pcap0,rx_pcap=$trafdir/a.pcap,infinite_rx=1"
    port1="net_pcap1,rx_pcap=$trafdir/b.pcap,infinite_rx=1"
    bench_mbufs=$((2 * frames + 32768))
    # Open vSwitch's shared mempool has 262,144 mbufs at most, halved
    # until it fits: with large files it must fit whole, so every
    # contender gets 2 GB (without hugepages: the machine's 1 GB of them
    # is shared with other users).
    if [ "$frames" -gt 16384 ]; then
        eal_mem="--no-huge -m 2048"
        memmode=no-huge-2g
    else
        eal_mem=$eal_mem0
        memmode=$memmode0
    fi
}

# bench_contenders [HOOK]: runs each contender of $ONLY in turn, each in a
# fresh $work (HOOK NAME, if given, runs first, e.g. to write the rules
# into $work); sets the variable named after it ($testpmd, $lamina, $ovs)
# to its Mpps, or to null when it was skipped or failed, and NAME_cpu to
# the percent of a CPU its forwarding thread had (null: not measured),
# and NAME_detail to what the contender wrote into $work/measure.detail
# (OVS: its datapath caches over the window, ovs_summary).
bench_contenders() {
    local hook=${1:-} b rc bench_cpu bench_ns
    for b in $ONLY; do
        printf -v "$b" '%s' null
        printf -v "${b}_cpu" '%s' null
        printf -v "${b}_ns" '%s' null
        [ -n "$hook" ] && "$hook" "$b"
        result=""
        bench_pid=""
        bench_"$b"; rc=$?
        bench_cpu=$(cat "$work/measure.cpu" 2>/dev/null)
        bench_ns=$(cat "$work/measure.perf" 2>/dev/null)
        printf -v "${b}_detail" '%s' "$(cat "$work/measure.detail" 2>/dev/null)"
        cleanup; work=$(mktemp -d "/tmp/lamina-bench.$tag.XXXXXX")
        case $rc in
        0) printf -v "$b" '%s' "$result"
           printf -v "${b}_cpu" '%s' "${bench_cpu:-null}"
           printf -v "${b}_ns" '%s' "${bench_ns:-null}" ;;
        2) ;;
        *) log "$b: FAILED (no rate, no ratio)"; bench_failed+=("$b") ;;
        esac
    done
}

# bench_exit: the script's end: status 1, naming them, if a contender
# failed (a row then has null where its rate should be), else 0.
bench_exit() {
    if [ ${#bench_failed[@]} -gt 0 ]; then
        log "FAILED: ${#bench_failed[@]} measurement(s) gave no rate (${bench_failed[*]}); see above"
        exit 1
    fi
    exit 0
}

# bench_per_cpu MPPS CPU: MPPS at a whole CPU (MPPS * 100 / CPU percent),
# or null.
bench_per_cpu() {
    if [ "$1" = null ] || [ "$2" = null ]; then echo null; return; fi
    awk -v a="$1" -v c="$2" 'BEGIN { if (c > 0) printf "%.2f\n", a * 100 / c; else print "null" }'
}

# bench_ratio A B: A / B with 3 decimals, or null when either is null or B
# is 0.
bench_ratio() {
    if [ "$1" = null ] || [ "$2" = null ]; then echo null; return; fi
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f\n", a / b; else print "null" }'
}

# bench_median V...: the median of the values that are not null (the mean
# of the middle two of an even count), or null when none is.
bench_median() {
    printf '%s\n' "$@" | grep -v '^null$' | sort -g |
        awk '{ v[NR] = $1 } END { if (!NR) print "null"; else if (NR % 2) print v[(NR + 1) / 2];
                                  else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ---------------------------------------------------------------- testpmd
# Interactive testpmd driven through a fifo: we send commands and read the
# answers from its log, so the counters are read at the moment we choose.
testpmd_read_tx() {
    local want deadline=$((SECONDS + 10))
    want=$(($(grep -c 'Tx-pps' "$work/testpmd.log") + 2))
    echo "show port stats all" >&3
    while [ $SECONDS -lt $deadline ]; do
        if [ "$(grep -c 'Tx-pps' "$work/testpmd.log")" -ge $want ]; then
            # The last block: TX-packets of port 0 and port 1.
            grep -o 'TX-packets: *[0-9]*' "$work/testpmd.log" | tail -n 2 |
                awk '{s += $2} END {print s}'
            return 0
        fi
        sleep 0.02
    done
    log "testpmd: no answer to 'show port stats all'"
    return 1
}

# bench_testpmd [NAME]: testpmd's mac forwarding (the default), or the
# forwarding mode in $testpmd_fwd, measured as NAME.
bench_testpmd() {
    local name=${1:-testpmd} prefix=$tag-tpmd
    command -v dpdk-testpmd >/dev/null || { log "dpdk-testpmd missing (package dpdk)"; return 1; }
    prefixes+=("$prefix")
    mkfifo "$work/testpmd.in"
    # shellcheck disable=SC2086
    # The same as lamina-switchd's: bursts of 64 (DP_BURST), 1,024
    # descriptors per queue (dp_port.c), a mempool cache of 256 (dp.c), the
    # default mbuf size, lcore 1 forwarding (lamina's one worker).
    stdbuf -oL dpdk-testpmd -l 0-1 --no-pci --file-prefix "$prefix" $eal_mem \
        --vdev "$port0" --vdev "$port1" -- \
        -i --nb-cores=1 --forward-mode="${testpmd_fwd:-mac}" --no-mlockall \
        --burst=64 --rxd=1024 --txd=1024 --mbcache=256 \
        --total-num-mbufs="$bench_mbufs" \
        <"$work/testpmd.in" >"$work/testpmd.log" 2>&1 &
    pids+=($!)
    local pid=$!
    bench_pid=$pid
    exec 3>"$work/testpmd.in"
    if ! wait_for_text "$work/testpmd.log" 'testpmd> ' 60; then
        log "testpmd did not start:"; tail -n 20 "$work/testpmd.log" >&2
        return 1
    fi
    echo "start" >&3
    result=$(measure "$name" testpmd_read_tx) || { tail -n 20 "$work/testpmd.log" >&2; return 1; }
    echo "stop" >&3
    echo "quit" >&3
    exec 3>&-
    stop_pid "$pid"
}

# The source alone (contender "source"): testpmd's io forwarding, which
# sends each received burst back out as it is, reading and writing no
# frame.  What it costs per frame is the replay's (net_pcap copies each
# frame into a new buffer on receive and frees it on transmit), which
# every contender pays the same; bench-traffic.sh takes it out of each
# contender's cost to compare their own work.
bench_source() {
    testpmd_fwd=io bench_testpmd source
}

# ---------------------------------------------------------------- lamina
lamina_sock=""
# lamina-switchd's EAL lcores: the control lcore and one worker by default
# (LAMINA_BENCH_LCORES, e.g. "--lcores 0@1,1@0" to put the worker on CPU 0
# when other sessions' DPDK workers crowd CPU 1: for lamina-only runs,
# the other contenders stay on CPU 1).
lamina_lcores=${LAMINA_BENCH_LCORES:--l 0-1}

# lamina_configure CLI: the switch between the two net_null ports (a
# script that sources this file may redefine it; CLI is the lamina command
# with its --socket).
lamina_configure() {
    local l=$1
    $l switch add s1 && $l port add s1 n0 "$port0" && $l port add s1 n1 "$port1" &&
    $l slice add red && $l vnode add red s1 &&
    $l vport add red s1 v0 n0 && $l vport add red s1 v1 n1
}
lamina_read_tx() {
    # {"ports": [{"name": "n0", "tx_packets": N, …}, …], …}: the ports only
    # (n0, n1, and n2, n3 of a configuration with four), so that queue or
    # slice counters are never added in.
    "$build/cli/lamina" --socket "$lamina_sock" stats port --json |
        /usr/bin/python3 -c 'import json, sys
d = json.load(sys.stdin)
print(sum(p["tx_packets"] for p in d["ports"] if p.get("name") in ("n0", "n1", "n2", "n3")))'
}

# lamina_stage_cycles: in a build with -Dstage_cycles=true, prints the
# forwarding worker's cycles per packet per stage since it started (warm-up
# included) and keeps them in $lamina_stages; otherwise sets it empty.
lamina_stages=""
lamina_stage_cycles() {
    lamina_stages=$("$build/cli/lamina" --socket "$lamina_sock" --json switch workers |
        /usr/bin/python3 -c 'import json, sys
for w in json.load(sys.stdin):
    c = w.get("stage_cycles")
    if c and w["packets"]:
        n = w["packets"]
        print("cycles/packet: rx %.0f classify %.0f fp %.0f sched %.0f tx %.0f (sum %.0f)" % (
            c["rx"] / n, c["classify"] / n, c["fp"] / n, c["sched"] / n, c["tx"] / n,
            sum(c.values()) / n))
    c = w.get("stage_cycles_calm")
    if c and c["packets"]:
        n = c["packets"]
        s = ("rx", "classify", "fp", "tx")
        print("; bursts not preempted: rx %.0f classify %.0f fp %.0f tx %.0f (sum %.0f; %d bursts left out)" % (
            tuple(c[k] / n for k in s) + (sum(c[k] for k in s) / n, c["bursts_left_out"])))
    c = w.get("stage_cycles_best")
    if c and c["packets"]:
        n = c["packets"]
        print("; best window of %d: rx %.0f classify %.0f fp %.0f tx %.0f (sum %.0f)" % (
            (n,) + tuple(c[k] / n for k in s) + (sum(c[k] for k in s) / n,)))' |
        tr -d '\n') || lamina_stages=""
    [ -n "$lamina_stages" ] && log "lamina: $lamina_stages"
    return 0
}

bench_lamina() {
    local prefix=$tag-lam daemon=$build/vswitch/lamina-switchd cli=$build/cli/lamina
    if [ ! -x "$daemon" ]; then
        log "lamina: $daemon not built yet: skipped"
        return 2
    fi
    prefixes+=("$prefix")
    lamina_sock=$work/lamina.sock
    # shellcheck disable=SC2086
    "$daemon" --socket "$lamina_sock" --state "$work/lamina.state" --no-restore \
        --mbufs "$bench_mbufs" -- \
        $lamina_lcores --no-pci --file-prefix "$prefix" $eal_mem \
        >"$work/lamina.log" 2>&1 &
    pids+=($!)
    local pid=$! deadline=$((SECONDS + 60))
    bench_pid=$pid
    while [ ! -S "$lamina_sock" ]; do
        if [ $SECONDS -ge $deadline ] || ! kill -0 "$pid" 2>/dev/null; then
            log "lamina-switchd did not start:"; tail -n 20 "$work/lamina.log" >&2
            return 1
        fi
        sleep 0.1
    done
    local l="$cli --socket $lamina_sock"
    if ! lamina_configure "$l" >>"$work/lamina.log" 2>&1; then
        log "lamina: configuration failed:"; tail -n 20 "$work/lamina.log" >&2
        return 1
    fi
    result=$(measure lamina lamina_read_tx) || return 1
    lamina_stage_cycles
    stop_pid "$pid"
}

# ---------------------------------------------------------------- OVS
ovs_dir=""
ovs_br=""
ovs_env() { env OVS_RUNDIR="$ovs_dir" OVS_DBDIR="$ovs_dir" OVS_LOGDIR="$ovs_dir" "$@"; }
vsctl() { ovs_env ovs-vsctl --db="unix:$ovs_dir/db.sock" --timeout=30 "$@"; }
ofctl() { ovs_env ovs-ofctl "$@"; }

# ovs_flows: the bridge's flows (a script that sources this file may
# redefine it).
ovs_flows() {
    ofctl add-flow "$ovs_br" in_port=1,actions=output:2 &&
    ofctl add-flow "$ovs_br" in_port=2,actions=output:1
}

ovs_read_tx() {
    ofctl dump-ports "$ovs_br" 2>/dev/null |
        awk '/^ *port  *[0-9]+:/ {p = 1; next}
             /^ *port / {p = 0}
             p && /tx pkts=/ {sub(/.*tx pkts=/, ""); sub(/,.*/, ""); s += $0; p = 0}
             END {print s + 0}'
}

ovs_appctl() { ovs_env ovs-appctl -t "$ovs_dir/vswitchd.ctl" "$@"; }

# ovs_coverage NAME: the total of OVS's coverage counter NAME (0 if unset).
ovs_coverage() {
    ovs_appctl coverage/read-counter "$1" 2>/dev/null || echo 0
}

# The window's datapath statistics start from zero.
ovs_clear_stats() { ovs_appctl dpif-netdev/pmd-stats-clear >/dev/null 2>&1; }

# ovs_upcall_show: "FLOWS LIMIT DUMP_MS" of the userspace datapath
# (upcall/show: its megaflows, the revalidators' dynamic flow limit and
# how long their last dump of the flows took).
ovs_upcall_show() {
    ovs_appctl upcall/show 2>/dev/null | awk '
        /flows *:/ { for (i = 1; i <= NF; i++) {
                         if ($i == "(current") c = $(i + 1) + 0
                         if ($i == "(limit") l = $(i + 1) + 0 } }
        /dump duration/ { d = $NF + 0 }
        END { print c + 0, l + 0, d + 0 }'
}

# ovs_settle: waits (at most LAMINA_BENCH_OVS_SETTLE seconds, default 20)
# until OVS's megaflows stop changing: the same count within 1% over a
# second, and its dynamic flow limit above that count.  The limit starts
# at 10,000 megaflows and grows by 1,000 per revalidator round (every
# 500 ms at best; it shrinks when a dump of the flows takes over 1.3 s):
# while the megaflows that the traffic needs exceed it, each packet of the
# flows left out is an upcall, and OVS's rate depends on how far the limit
# had grown when the window started (2.43 against 4.25 Mpps in two quiet
# runs of 10,000 rules).  Sets ovs_settled to the seconds it took, or
# "unsettled after N s".
ovs_settled=""
ovs_settle() {
    local max=${LAMINA_BENCH_OVS_SETTLE:-20} t0=$SECONDS prev="" cur=0 lim=0 d=0
    ovs_settled="unsettled after $max s"
    while [ $((SECONDS - t0)) -lt "$max" ]; do
        sleep 1
        read -r cur lim d < <(ovs_upcall_show)
        if [ -n "$prev" ] && [ "$cur" -gt 0 ] && [ "$lim" -gt "$cur" ] &&
           [ $((cur > prev ? cur - prev : prev - cur)) -le $((cur / 100)) ]; then
            ovs_settled="$((SECONDS - t0)) s"
            break
        fi
        prev=$cur
    done
    log "ovs: megaflows settled: $ovs_settled ($cur megaflows, flow limit $lim, dump ${d} ms)"
}

# ovs_summary: what OVS's datapath did over the window, in $ovs_detail
# (printed in the benches' rows): its megaflows and flow limit, the share
# of packets each cache answered (EMC, SMC, megaflow classifier, upcalls),
# its cycles per packet, and the cache settings.
ovs_detail=""
ovs_summary() {
    local cfg emc_prob smc flows lim d hits
    read -r flows lim d < <(ovs_upcall_show)
    hits=$(( $(ovs_coverage upcall_flow_limit_hit) - ${ovs_limit_hits0:-0} ))
    cfg=$(vsctl get Open_vSwitch . other_config 2>/dev/null)
    emc_prob=$(echo "$cfg" | grep -o 'emc-insert-inv-prob="*[0-9]*' | grep -o '[0-9]*$')
    smc=$(echo "$cfg" | grep -o 'smc-enable="*[a-z]*' | grep -o '[a-z]*$')
    ovs_detail="$(ovs_appctl dpif-netdev/pmd-stats-show 2>/dev/null | awk \
        -v flows="$flows" -v lim="$lim" -v d="$d" -v hits="$hits" \
        -v prob="${emc_prob:-100}" -v smc="${smc:-false}" -v settled="$ovs_settled" '
        /^pmd thread/ { pmd = 1 } /^main thread/ { pmd = 0 }
        !pmd { next }
        /packets received:/ { rx += $NF }
        /emc hits:/ { emc += $NF }
        /smc hits:/ { smcn += $NF }
        /megaflow hits:/ { mf += $NF }
        /simple match hits:/ { sm += $NF }
        /miss with success upcall:/ { up += $NF }
        /miss with failed upcall:/ { fail += $NF }
        /avg. subtable lookups per megaflow hit:/ { sub_ = $NF }
        /avg processing cycles per packet:/ { cyc = $(NF - 1) ~ /^[0-9.]+$/ ? $(NF - 1) : $NF }
        function pct(x) { return rx ? sprintf("%.1f%%", 100 * x / rx) : "-" }
        END {
            printf "megaflows %d (limit %d, dump %d ms, settled %s); window: emc %s smc %s megaflow %s", \
                flows, lim, d, settled, pct(emc), pct(smcn), pct(mf)
            if (sm) printf " simple %s", pct(sm)
            printf " upcall %s (failed %d, over the flow limit %d); %.2f subtables per megaflow hit; %s cycles/packet; emc-insert-inv-prob %d, smc %s", \
                pct(up + fail), fail, hits, sub_, cyc, prob, smc
        }')"
    log "ovs: $ovs_detail"
    echo "$ovs_detail" >"$work/measure.detail"
}

bench_ovs() {
    local vswitchd=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
    ovs_detail=""
    [ -x "$vswitchd" ] || { log "ovs: $vswitchd missing (package openvswitch-switch-dpdk)"; return 1; }
    ovs_dir=$work/ovs
    ovs_br=${tag}br
    mkdir -p "$ovs_dir"
    netns=${tag}ovs
    ip netns add "$netns" || return 1
    local prefix=$tag-ovs
    prefixes+=("$prefix")
    # OVS adds --in-memory unless it sees --legacy-mem, and --in-memory
    # refuses --no-huge (which implies legacy memory anyway).
    local ovs_mem=$eal_mem
    [ -n "$eal_mem" ] && ovs_mem="$eal_mem --legacy-mem"

    ovsdb-tool create "$ovs_dir/conf.db" /usr/share/openvswitch/vswitch.ovsschema || return 1
    # Started through env(1), never through a shell function, so that $!
    # is the daemon's own PID.
    env OVS_RUNDIR="$ovs_dir" OVS_DBDIR="$ovs_dir" OVS_LOGDIR="$ovs_dir" \
        ovsdb-server "$ovs_dir/conf.db" --remote="punix:$ovs_dir/db.sock" \
        --unixctl="$ovs_dir/ovsdb-server.ctl" --pidfile="$ovs_dir/ovsdb-server.pid" \
        --log-file="$ovs_dir/ovsdb-server.log" 2>>"$ovs_dir/ovsdb-server.err" &
    pids+=($!)
    local deadline=$((SECONDS + 30))
    until [ -S "$ovs_dir/db.sock" ]; do
        [ $SECONDS -lt $deadline ] || { log "ovsdb-server did not start"; return 1; }
        sleep 0.1
    done
    vsctl --no-wait init || return 1
    vsctl --no-wait set Open_vSwitch . \
        other_config:dpdk-init=true \
        "other_config:dpdk-extra=--no-pci --file-prefix=$prefix $ovs_mem" \
        other_config:dpdk-lcore-mask=0x1 \
        other_config:pmd-cpu-mask=0x2 || return 1
    # Datapath cache settings to try (e.g. "other_config:smc-enable=true
    # other_config:emc-insert-inv-prob=1"); the rows say which were used.
    if [ -n "${LAMINA_BENCH_OVS_CONFIG:-}" ]; then
        # shellcheck disable=SC2086
        vsctl --no-wait set Open_vSwitch . $LAMINA_BENCH_OVS_CONFIG || return 1
    fi

    ip netns exec "$netns" env OVS_RUNDIR="$ovs_dir" OVS_DBDIR="$ovs_dir" OVS_LOGDIR="$ovs_dir" \
        "$vswitchd" "unix:$ovs_dir/db.sock" --unixctl="$ovs_dir/vswitchd.ctl" \
        --pidfile="$ovs_dir/vswitchd.pid" --log-file="$ovs_dir/vswitchd.log" \
        2>>"$ovs_dir/vswitchd.err" &
    pids+=($!)
    local pid=$!
    bench_pid=$pid

    if ! vsctl add-br "$ovs_br" -- set Bridge "$ovs_br" datapath_type=netdev \
            -- add-port "$ovs_br" n0 -- set Interface n0 type=dpdk \
               "options:dpdk-devargs=\"$port0\"" ofport_request=1 \
            -- add-port "$ovs_br" n1 -- set Interface n1 type=dpdk \
               "options:dpdk-devargs=\"$port1\"" ofport_request=2; then
        log "ovs: bridge setup failed:"; tail -n 20 "$ovs_dir/vswitchd.log" >&2
        return 1
    fi
    # Flows in place before traffic: the pmd starts polling the ports as
    # soon as they exist, and the default NORMAL flow would learn and flood.
    ofctl del-flows "$ovs_br" && ovs_flows || { log "ovs: flows failed"; return 1; }
    local err
    err=$(vsctl get Interface n0 error; vsctl get Interface n1 error)
    if echo "$err" | grep -qv '^\[\]$'; then
        log "ovs: port errors: $err"; tail -n 20 "$ovs_dir/vswitchd.log" >&2
        return 1
    fi
    # Counters start from the flows, not from the NORMAL flow's floods: the
    # warm-up lets the datapath caches settle on the new rules; ovs_settle
    # first waits for the megaflows themselves (see there).
    ovs_settle
    ovs_limit_hits0=$(ovs_coverage upcall_flow_limit_hit)
    measure_start_hook=ovs_clear_stats
    result=$(measure ovs-dpdk ovs_read_tx) || { measure_start_hook=""; return 1; }
    measure_start_hook=""
    ovs_summary
    # Show that the packets went through the bridge's flows (not NORMAL).
    ofctl dump-flows "$ovs_br" 2>/dev/null | grep -o 'n_packets=[0-9]*.*actions=.*' | head -n 8 |
        sed 's/^/bench: ovs flow: /' >&2
    ovs_appctl dpctl/dump-flows 2>/dev/null | head -n 4 | sed 's/^/bench: ovs megaflow: /' >&2
    vsctl --if-exists del-br "$ovs_br"
    stop_pid "$pid"
}

