#!/bin/bash
# bench-multi.sh BUILD: a tunnel between two lamina-switchd processes
# against the same path inside one process, measured in the same run
# (docs/performance.md, "Across machines").
#
#   one process   hosts pa - sa ==veth== sb - pb: one lamina-switchd, the
#                 virtual link crossing a substrate link on a veth pair
#   tunnel        hosts ha - sma ==veth underlay, MPLS-in-UDP== smb - hb:
#                 two lamina-switchd, each in its own namespace ("machine"),
#                 border virtual links over tunnel ports
#                 (tests/integration/tunnel-lib.sh)
#
# Measured for each: 64-byte frames per second received (lamina-gen,
# offered at RATE, default 1M frames/s, for SEC seconds) and TCP
# throughput with 1500-byte packets (iperf3 -t SEC; the tunnel's underlay
# has MTU 1550, BENCH_TUN_UNDERLAY_MTU, so that they cross whole); then the ratios
# tunnel / one process (goals: 0.85 for 64 B, 0.9 for TCP).  The load
# average of the run is printed with them: on a shared machine the
# figures are noisy, the ratios less so.  Every daemon of this comparison
# runs with EAL -l 0,BENCH_WORKER_CPU (default 1): one worker lcore each,
# all on the same CPU, checked on the running threads.
#
# Before that, maps over namespaced switchds ("machines" ka..kd on one
# bridge underlay, tests/integration/tunnel-lib.sh): the split of Kdl
# (754 switches) by `lamina topo partition` (METIS): time, links cut,
# smallest and largest machine; then `lamina topo up Kdl --machines` over
# 2 and 4 switchds (8 and 19 cut links; several between one pair of
# machines, each its own tunnel on UDP 6635, 6636...).  If `up` refuses
# Kdl, the refusal is recorded and the bench falls back to a line of 754
# switches (`topo gen line 754 --delay 1ms`, one cut link between
# neighbouring pieces); the line also runs in one lamina-switchd as the
# reference.  For each: up and down time, the
# farthest pair's RTT (the two hosts farthest apart by the links' delays;
# median of 5 pings after one that resolves ARP) against `topo path`'s
# emulated one (goal: within 10%), 41 pairs (the farthest and 40 seeded
# at random) pinged in parallel, a failed pair once more alone, every
# host pinged from the first of the farthest pair, and whether `down`
# left every daemon empty and no namespace.
# BENCH_MULTI_MAPS_ONLY=1 stops after the maps; BENCH_MULTI_RATES_ONLY=1 skips them.
# To separate what delays the farthest pair (docs/performance.md):
# BENCH_MULTI_SPLITS="2 4" the machine counts to run Kdl over;
# BENCH_MULTI_NO_BFD=1 ups the maps with --no-bfd; BENCH_MULTI_SPREAD=1
# puts machine i's worker on CPU i mod the CPU count (default: all on
# CPU 1); BENCH_MULTI_LINE=0 skips the line754 reference in one switchd;
# BENCH_MULTI_ALL=0 skips the ping of every host.  Around the farthest
# pair's pings, each machine's delay lines report how late their frames
# left (`lamina switch workers`, "delay_late"): printed per machine.
#
# Root only; everything is removed at the end.  Results also in
# BUILD/bench-multi.json.
set -u
BUILD=$(cd "${1:-build}" && pwd)
export LAMINA_BUILD=$BUILD
SEC=${LAMINA_BENCH_SECONDS:-5}
RATE=${LAMINA_BENCH_RATE:-1M}
. "$(dirname "$0")/../tests/integration/lib.sh"
. "$(dirname "$0")/../tests/integration/tunnel-lib.sh"
lt_init bench-multi 1200
# Every daemon of the rate comparison gets the same EAL -l: its control
# thread on CPU 0 and ONE worker lcore on CPU $BENCH_WORKER_CPU (default
# 1), so the one-process case and the two tunnel daemons forward on the
# same single worker core (the two tunnel workers share it); checked on
# the running threads below.
BENCH_WORKER_CPU=${BENCH_WORKER_CPU:-1}
export LT_EAL_LCORES=0,$BENCH_WORKER_CPU
[ "$BENCH_WORKER_CPU" = 0 ] && LT_EAL_LCORES=0

# worker_cpus PID...: the CPUs the daemons' rte-worker threads may run on.
worker_cpus() {
    local p t
    for p in "$@"; do
        for t in /proc/"$p"/task/*; do
            grep -q '^rte-worker' "$t/comm" 2>/dev/null && taskset -pc "${t##*/}" | sed 's/.*: //'
        done
    done | sort -u | paste -sd' '
}
command -v iperf3 >/dev/null || skip "iperf3 is not installed"

# worker_ticks PID...: CPU time (clock ticks, user + system) used so far by
# the daemons' rte-worker threads.  Taken around each measurement, it gives
# the rate per core actually used: two daemons sharing one CPU pay for
# each other's scheduling in the wall-clock rate, not in this one.
worker_ticks() {
    local p t sum=0 f
    for p in "$@"; do
        for t in /proc/"$p"/task/*; do
            grep -q '^rte-worker' "$t/comm" 2>/dev/null || continue
            read -ra f <"$t/stat"
            # comm has no spaces here: utime and stime are fields 14 and 15.
            sum=$((sum + f[13] + f[14]))
        done
    done
    echo "$sum"
}

# frames_per_s SRC_NS DST_NS DST_MAC SRC_MAC: 64-byte frames/s received.
frames_per_s() {
    local out
    nsx "$2" "$BUILD/tools/lamina-gen" recv --iface eth0 --duration $((SEC + 2)) \
        --json >"$LT_DIR/recv.json" &
    local rpid=$!
    LT_PIDS+=("$rpid")
    sleep 0.5
    nsx "$1" "$BUILD/tools/lamina-gen" send --iface eth0 --src-mac "$4" --dst-mac "$3" \
        --rate "$RATE" --size 64 --duration "$SEC" >/dev/null ||
        fail "lamina-gen send in $1"
    wait "$rpid"
    out=$(json_get packets <"$LT_DIR/recv.json") || { cat "$LT_DIR/recv.json" >&2; fail "lamina-gen recv in $2"; }
    echo $((out / SEC))
}

# tcp_mbps SRC_NS DST_NS DST_IP: iperf3 throughput in Mbit/s.
tcp_mbps() {
    nsx "$2" iperf3 -s -1 -B "$3" >/dev/null 2>&1 &
    local spid=$!
    LT_PIDS+=("$spid")
    wait_for "nsx $2 ss -ltn | grep -q ':5201'" 10 || fail "iperf3 server in $2"
    nsx "$1" iperf3 -c "$3" -t "$SEC" -J >"$LT_DIR/iperf.json" 2>/dev/null ||
        fail "iperf3 from $1"
    wait "$spid"
    python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e6))' \
        "$LT_DIR/iperf.json"
}

# --- Kdl (or the fallback map) up over 2 and 4 namespaced switchds.
if [ "${BENCH_MULTI_RATES_ONLY:-0}" != 1 ]; then
KDL=$(dirname "$0")/../data/topology-zoo/Kdl.gml
for n in 2 4; do
    t0=$(date +%s.%N)
    "$BUILD/cli/lamina" topo partition "$KDL" --machines $n --json >"$LT_DIR/kdl$n.json" 2>/dev/null ||
        fail "partitioning Kdl over $n"
    t1=$(date +%s.%N)
    python3 - "$LT_DIR/kdl$n.json" "$t0" "$t1" "$n" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
sizes = [len(m["switches"]) for m in p["machines"]]
print("bench-multi: Kdl over %s machines: %.2f s, %d links cut, switches per machine %d..%d"
      % (sys.argv[4], float(sys.argv[3]) - float(sys.argv[2]), len(p["cut_links"]),
         min(sizes), max(sizes)))
PY
done

MACHINES=(ka kb kc kd)
MAP_PIDS=()
for m in "${MACHINES[@]}" net; do ns_add "$m"; done
tun_bridge_underlay "${MACHINES[@]}"
# shellcheck disable=SC2046
NCPU=$(nproc)
i=0
for m in "${MACHINES[@]}"; do
    eal=(-l 0-1)
    [ "${BENCH_MULTI_SPREAD:-0}" = 1 ] && eal=(--lcores "0@0,1@$((i % NCPU))")
    i=$((i + 1))
    # Worker priority as `lamina topo up` starts its own daemon with
    # (LAMINA_TOPO_WORKER_PRIORITY, docs/design.md "Real-time workers"):
    # the one-switchd reference and the machines then wait for a CPU alike.
    lt_switchd_spawn "$m" "$LT_DIR/$m.sock" "$LT_DIR/$m.state" "$LT_DIR/$m.log" \
        --worker-priority "${LAMINA_TOPO_WORKER_PRIORITY:-0}" \
        -- "${eal[@]}" --no-pci --file-prefix "${LT_PREFIX}sw$m" --no-huge -m 1024
    MAP_PIDS+=("$LT_LAST_PID")
done
TOPO_UP=()
trap 'rc=$?; for t in "${TOPO_UP[@]}"; do "$BUILD/cli/lamina" topo down --name "$t" >/dev/null 2>&1; done; (exit $rc); lt_cleanup' EXIT

# map_run LABEL MAP N: MAP up over the first N machines (N = 0: in one
# lamina-switchd of its own); appends one JSON line of figures to
# $MAPRUNS.
map_run() {
    local label=$1 map=$2 n=$3 name=${LT_PREFIX}k$3 t0 up down i far want got ok=0 tried=0
    local args=(--name "$name" --netns-prefix "${LT_PREFIX}k$3-" --quiet)
    if [ "$n" -gt 0 ]; then
        for ((i = 0; i < n; i++)); do
            echo "${MACHINES[$i]} socket=$LT_DIR/${MACHINES[$i]}.sock underlay=ul ip=192.0.2.$((i + 1)) netns=$(ns "${MACHINES[$i]}")"
        done >"$LT_DIR/machines$n"
        args+=(--machines "$LT_DIR/machines$n")
        [ "${BENCH_MULTI_NO_BFD:-0}" = 1 ] && args+=(--no-bfd)
    else
        args+=(--memory 1024)
    fi
    t0=$EPOCHREALTIME
    "$BUILD/cli/lamina" topo up "$map" "${args[@]}" >"$LT_DIR/up-$label.log" 2>&1 || return 1
    up=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f", b - a}')
    TOPO_UP+=("$name")
    # Hosts in the map's order (name, address without the prefix), and the
    # farthest pair: the two hosts whose switches are farthest apart by the
    # links' delays (Dijkstra from every switch; the hosts' own links
    # added), printed first; `topo path` then gives the emulated round
    # trip of the default slice's own path between them.
    "$BUILD/cli/lamina" topo status --name "$name" --json >"$LT_DIR/status-$label.json" ||
        fail "$label: topo status"
    python3 - "$LT_DIR/status-$label.json" "$LT_DIR/hosts-$label" >"$LT_DIR/farthest-$label" <<'PY'
import heapq, json, sys
st = json.load(open(sys.argv[1]))
h = [(x["name"], x["ip"].split("/")[0], x["switch"], x.get("delay_us", 0)) for x in st["hosts"]]
h.sort(key=lambda x: int("".join(c for c in x[0] if c.isdigit()) or 0))
with open(sys.argv[2], "w") as f:
    for n, ip, _, _ in h:
        print(n, ip, file=f)
adj = {}
for l in st["links"]:
    adj.setdefault(l["a"], []).append((l["b"], l["delay_us"]))
    adj.setdefault(l["b"], []).append((l["a"], l["delay_us"]))
def dist(src):
    d = {src: 0}
    q = [(0, src)]
    while q:
        c, u = heapq.heappop(q)
        if c > d[u]:
            continue
        for v, w in adj.get(u, ()):
            if c + w < d.get(v, 1 << 62):
                d[v] = c + w
                heapq.heappush(q, (c + w, v))
    return d
best = (-1, 0, len(h) - 1)
by_sw = {}
for i, x in enumerate(h):
    by_sw.setdefault(x[2], i)
for sw, i in by_sw.items():
    d = dist(sw)
    for sw2, j in by_sw.items():
        if sw2 in d:
            c = d[sw2] + h[i][3] + h[j][3]
            if c > best[0]:
                best = (c, i, j)
_, i, j = best
print(h[i][0], h[i][1])
print(h[j][0], h[j][1])
PY
    local first last
    first=$(head -1 "$LT_DIR/farthest-$label"); last=$(tail -1 "$LT_DIR/farthest-$label")
    want=$("$BUILD/cli/lamina" topo path --name "$name" "${first% *}" "${last% *}" --json | json_get rtt_us) ||
        fail "$label: topo path"
    # One ping first, alone, to resolve ARP along the path (pings sent
    # before that wait in the kernel and all come back at once); then
    # the median of 5.
    "$BUILD/cli/lamina" topo exec --name "$name" "${first% *}" ping -c 1 -W 30 "${last#* }" \
        >"$LT_DIR/far-$label.txt" 2>&1
    for ((i = 0; i < n; i++)); do
        tunl "${MACHINES[$i]}" --json switch workers >"$LT_DIR/late0-$label-$i.json"
    done
    local c0=0 c1=0 w0=$EPOCHREALTIME cpu_pct=0
    [ "$n" -gt 0 ] && c0=$(worker_ticks "${MAP_PIDS[@]:0:n}")
    "$BUILD/cli/lamina" topo exec --name "$name" "${first% *}" ping -c 5 -i 0.5 -W 10 "${last#* }" \
        >>"$LT_DIR/far-$label.txt" 2>&1
    local late="{}"
    if [ "$n" -gt 0 ]; then
        # CPU time of the machines' workers over these pings, in % of one core.
        c1=$(worker_ticks "${MAP_PIDS[@]:0:n}")
        cpu_pct=$(awk -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" -v a="$w0" -v b="$EPOCHREALTIME" \
            'BEGIN {printf "%.0f", 100 * c / hz / (b - a)}')
        for ((i = 0; i < n; i++)); do
            tunl "${MACHINES[$i]}" --json switch workers >"$LT_DIR/late1-$label-$i.json"
        done
        late=$(late_delta "$LT_DIR" "$label" "$n")
    fi
    got=$(grep -o 'time=[0-9.]*' "$LT_DIR/far-$label.txt" | cut -d= -f2 | tail -n +2 | sort -n |
          awk '{v[NR] = $1} END {if (NR) printf "%d", v[int((NR + 1) / 2)] * 1000; else print 0}')
    # A sample of pairs: the two ends and 40 more (seeded), pinged in
    # parallel (a round trip may cross the whole map).
    python3 - "$LT_DIR/hosts-$label" >"$LT_DIR/pairs-$label" <<'PY'
import random, sys
h = [l.split() for l in open(sys.argv[1])]
r = random.Random(13)
pairs = {(0, len(h) - 1)} | {tuple(r.sample(range(len(h)), 2)) for _ in range(40)}
for a, b in sorted(pairs):
    print(h[a][0], h[b][1])
PY
    local pids=() a b
    while read -r a b; do
        "$BUILD/cli/lamina" topo exec --name "$name" "$a" ping -c 3 -i 0.5 -W 10 "$b" >/dev/null 2>&1 &
        pids+=($!)
    done <"$LT_DIR/pairs-$label"
    local k=0 retry=0 failed="" all_ok=0 all_n=0
    mapfile -t plist <"$LT_DIR/pairs-$label"
    for i in "${pids[@]}"; do
        tried=$((tried + 1))
        if wait "$i"; then
            ok=$((ok + 1))
        else
            # Once more alone (41 floods of ARP at once over a long map
            # can outlast a ping's wait): counted as reached on retry.
            set -- ${plist[$k]}
            if "$BUILD/cli/lamina" topo exec --name "$name" "$1" ping -c 3 -i 0.5 -W 10 "$2" >/dev/null 2>&1; then
                ok=$((ok + 1)); retry=$((retry + 1))
            else
                failed="$failed $1>$2"
            fi
        fi
        k=$((k + 1))
    done
    # Every host from the first one (32 pings at a time, 3 tries each):
    # on the default slice's tree (large maps) every pair's path is part of
    # the two hosts' paths to it, so this reaches every pair.
    local h0=${first% *}
    all_n=$(($(wc -l <"$LT_DIR/hosts-$label") - 1))
    [ "${BENCH_MULTI_ALL:-1}" = 0 ] || all_ok=$(grep -v "^$h0 " "$LT_DIR/hosts-$label" | cut -d' ' -f2 |
        xargs -P 32 -I{} sh -c '"$1" topo exec --name "$2" "$3" ping -c 3 -i 0.3 -W 5 -q {} >/dev/null 2>&1 && echo ok' \
            - "$BUILD/cli/lamina" "$name" "$h0" | grep -c ok)
    t0=$EPOCHREALTIME
    "$BUILD/cli/lamina" topo down --name "$name" >"$LT_DIR/down-$label.log" 2>&1 || fail "$label: topo down"
    down=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f", b - a}')
    TOPO_UP=("${TOPO_UP[@]/$name}")
    local clean=true m
    for ((i = 0; i < n; i++)); do
        m=${MACHINES[$i]}
        [ "$(tunl "$m" --json switch list)" = "[]" ] || clean=false
    done
    ip netns list | grep -q "^${LT_PREFIX}k$n-" && clean=false
    echo >>"$MAPRUNS" "{\"run\": \"$label\", \"machines\": $n, \"up_s\": $up, \"down_s\": $down, \"far_pair\": \"${first% *}-${last% *}\", \"rtt_us\": $got, \"emulated_rtt_us\": $want, \"pairs_ok\": $ok, \"pairs_tried\": $tried, \"pairs_ok_on_retry\": $retry, \"pairs_failed\": \"${failed# }\", \"all_from_first\": $all_ok, \"all_hosts\": $all_n, \"down_clean\": $clean, \"worker_cpu_pct\": $cpu_pct, \"late\": $late, \"loadavg\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
}

# late_delta DIR LABEL N: what the N machines' delay lines counted between
# late0-LABEL-i.json and late1-LABEL-i.json (`switch workers`), as JSON:
# per machine, frames, mean and largest lateness (us; the largest since
# the daemon started) and the histogram's growth.
late_delta() {
    python3 - "$@" <<'PY'
import json, sys
d, label, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
out = {}
for i in range(n):
    a = json.load(open("%s/late0-%s-%d.json" % (d, label, i)))
    b = json.load(open("%s/late1-%s-%d.json" % (d, label, i)))
    f = t = mx = 0
    h = None
    for wa, wb in zip(a, b):
        la, lb = wa["delay_late"], wb["delay_late"]
        f += lb["frames"] - la["frames"]
        t += lb["total_ns"] - la["total_ns"]
        dh = [y - x for x, y in zip(la["hist"], lb["hist"])]
        h = dh if h is None else [x + y for x, y in zip(h, dh)]
        mx = max(mx, lb["max_ns"])
    out[str(i)] = {"frames": f, "mean_us": round(t / f / 1e3, 1) if f else 0,
                   "max_us": round(mx / 1e3, 1), "hist": h,
                   "below_us": b[0]["delay_late"]["below_us"]}
print(json.dumps(out))
PY
}

# Kdl first; if `up` refuses it, the fallback: a line of as many switches
# (one cut link between neighbouring pieces).
MAPRUNS=$LT_DIR/maps.jsonl
: >"$MAPRUNS"
LINE=$LT_DIR/line754.topo
"$BUILD/cli/lamina" topo gen line 754 --delay 1ms -o "$LINE" || fail "topo gen line 754"
for n in ${BENCH_MULTI_SPLITS:-2 4}; do
    if map_run "Kdl-$n" "$KDL" "$n"; then
        continue
    fi
    why=$(grep -m1 -i 'cut\|error' "$LT_DIR/up-Kdl-$n.log" 2>/dev/null || tail -1 "$LT_DIR/up-Kdl-$n.log")
    info "Kdl over $n switchds refused: $why"
    echo "{\"run\": \"Kdl-$n\", \"machines\": $n, \"refused\": $(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$why")}" >>"$MAPRUNS"
    map_run "line754-$n" "$LINE" "$n" || fail "line754 over $n: $(tail -3 "$LT_DIR/up-line754-$n.log")"
done
[ "${BENCH_MULTI_LINE:-1}" = 0 ] || map_run "line754-1" "$LINE" 0 || fail "line754 in one switchd: $(tail -3 "$LT_DIR/up-line754-1.log")"
python3 - "$MAPRUNS" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "refused" in r:
        print("bench-multi: %s: refused: %s" % (r["run"], r["refused"]))
        continue
    print("bench-multi: %-11s up %6.2f s  down %6.2f s  farthest %s RTT %.1f / emulated %.1f ms (%+.1f%%)  pairs %d/%d (%d on retry) %s all from %s %d/%d  clean %s"
          % (r["run"], r["up_s"], r["down_s"], r["far_pair"], r["rtt_us"] / 1e3,
             r["emulated_rtt_us"] / 1e3, 100.0 * (r["rtt_us"] / r["emulated_rtt_us"] - 1) if r["emulated_rtt_us"] else 0,
             r["pairs_ok"], r["pairs_tried"], r["pairs_ok_on_retry"], r["pairs_failed"],
             r["far_pair"].split("-")[0], r["all_from_first"], r["all_hosts"], r["down_clean"]))
    print("bench-multi:   workers of the machines used %s%% of a core during the farthest pings; load average %s"
          % (r.get("worker_cpu_pct", "-"), r.get("loadavg", "-")))
    for m, l in sorted(r.get("late", {}).items()):
        print("bench-multi:   machine %s delay lines over the farthest pings: %d frames, late by %.1f us on average, %.1f us at most (since start); by range below %s us: %s"
              % (m, l["frames"], l["mean_us"], l["max_us"], l["below_us"], l["hist"]))
PY
[ "${BENCH_MULTI_MAPS_ONLY:-0}" = 1 ] && pass
for p in "${MAP_PIDS[@]}"; do kill "$p"; wait "$p"; done
fi

# --- One process: sa and sb joined by a substrate link on a veth pair.
ns_add pa
ns_add pb
veth_add pa eth0 pa 02:00:00:00:03:01 10.2.0.1/24
veth_add pb eth0 pb 02:00:00:00:03:02 10.2.0.2/24
veth_pair la lb
start_switchd
lamina switch add sa && lamina switch add sb || fail "switches"
lamina link add ab sa:to-b sb:to-a --devargs-a "afpacket:$(rif la)" \
    --devargs-b "afpacket:$(rif lb)" || fail "link over the veth pair"
lamina port add sa host afpacket:"$(rif pa)" && lamina port add sb host afpacket:"$(rif pb)" ||
    fail "host ports"
lamina slice add green && lamina vnode add green sa && lamina vnode add green sb || fail "slice"
lamina vport add green sa h host && lamina vport add green sb h host || fail "vports"
lamina vlink add green wan --path sa,sb >/dev/null || fail "vlink"
wait_for "nsx pa ping -c 1 -W 1 10.2.0.2" 20 || fail "one process: no path"
ref_cpus=$(worker_cpus "$LT_SWITCHD_PID")
[ "$ref_cpus" = "$BENCH_WORKER_CPU" ] || fail "one process: worker lcores on CPUs '$ref_cpus', not $BENCH_WORKER_CPU"
c0=$(worker_ticks "$LT_SWITCHD_PID")
ref_fps=$(frames_per_s pa pb 02:00:00:00:03:02 02:00:00:00:03:01)
c1=$(worker_ticks "$LT_SWITCHD_PID")
ref_tcp=$(tcp_mbps pa pb 10.2.0.2)
c2=$(worker_ticks "$LT_SWITCHD_PID")
ref_cpu_fps=$((c1 - c0)) ref_cpu_tcp=$((c2 - c1))
info "one process: $ref_fps frames/s of 64 B, TCP $ref_tcp Mbit/s"
stop_switchd

# --- Tunnel: two switchds, MPLS-in-UDP over a veth underlay.  The
# underlay's MTU is 1550 (the tunnel's inner MTU then 1500): TCP crosses
# in the same 1500-byte packets as in one process, not in the 1450-byte
# ones path MTU discovery would give it over a 1500-byte underlay.
# Each case forwards a frame through two switches (two vnodes, a label
# pushed at one and popped at the other), reads it from two afpacket
# ports and writes it to two; the tunnel adds its encapsulation, the
# decapsulation and its ring hop inside the receiving daemon.
export TUN_UNDERLAY_MTU=${BENCH_TUN_UNDERLAY_MTU:-1550}
tun_two_machines_up
tun_two_machines_config
wait_for "nsx ha ping -c 1 -W 1 10.1.0.2" 20 || fail "tunnel: no path"
tun_cpus=$(worker_cpus "$TUN_PID_ma" "$TUN_PID_mb")
[ "$tun_cpus" = "$ref_cpus" ] || fail "tunnel: worker lcores on CPUs '$tun_cpus', one process on '$ref_cpus'"
info "worker lcores: one per daemon, all on CPU $tun_cpus (one process and tunnel)"
c0=$(worker_ticks "$TUN_PID_ma" "$TUN_PID_mb")
tun_fps=$(frames_per_s ha hb 02:00:00:00:02:01 02:00:00:00:01:01)
c1=$(worker_ticks "$TUN_PID_ma" "$TUN_PID_mb")
tun_tcp=$(tcp_mbps ha hb 10.1.0.2)
c2=$(worker_ticks "$TUN_PID_ma" "$TUN_PID_mb")
tun_cpu_fps=$((c1 - c0)) tun_cpu_tcp=$((c2 - c1))
info "tunnel: $tun_fps frames/s of 64 B, TCP $tun_tcp Mbit/s"

load=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$ref_fps" "$tun_fps" "$ref_tcp" "$tun_tcp" "$load" "$BUILD/bench-multi.json" "$tun_cpus" \
    "$ref_cpu_fps" "$tun_cpu_fps" "$ref_cpu_tcp" "$tun_cpu_tcp" "$(getconf CLK_TCK)" "$SEC" <<'PY'
import json, sys
rf, tf, rt, tt = (float(x) for x in sys.argv[1:5])
rcf, tcf, rct, tct, hz, sec = (float(x) for x in sys.argv[8:14])

def per_core(rate, ticks):
    # rate over 'sec' seconds; ticks of worker CPU over the measurement.
    return rate * sec / (ticks / hz) if ticks else None

def ratio(a, b):
    return round(a / b, 3) if a and b else None

pc = {"one_process": {"fps_64": per_core(rf, rcf), "tcp_mbps": per_core(rt, rct)},
      "tunnel": {"fps_64": per_core(tf, tcf), "tcp_mbps": per_core(tt, tct)}}
r = {"one_process": {"fps_64": rf, "tcp_mbps": rt,
                     "worker_cpu_s": {"fps_64": rcf / hz, "tcp": rct / hz}},
     "tunnel": {"fps_64": tf, "tcp_mbps": tt,
                "worker_cpu_s": {"fps_64": tcf / hz, "tcp": tct / hz}},
     "ratio_fps_64": ratio(tf, rf), "ratio_tcp": ratio(tt, rt),
     "per_core": pc,
     "ratio_fps_64_per_core": ratio(pc["tunnel"]["fps_64"], pc["one_process"]["fps_64"]),
     "ratio_tcp_per_core": ratio(pc["tunnel"]["tcp_mbps"], pc["one_process"]["tcp_mbps"]),
     "goals": {"ratio_fps_64": 0.85, "ratio_tcp": 0.9},
     # A worker that got under a second of CPU in a measurement was
     # starved by the rest of the machine: its per-core figure is noise.
     "per_core_reliable": min(rcf, tcf, rct, tct) / hz >= 1.0,
     "worker_cpu": sys.argv[7],
     "loadavg": sys.argv[5]}
json.dump(r, open(sys.argv[6], "w"), indent=2)
f = lambda v: "%.0f" % v if v else "-"
print("bench-multi: 64 B frames/s  one process %.0f  tunnel %.0f  ratio %s (goal 0.85)"
      % (rf, tf, r["ratio_fps_64"]))
print("bench-multi: TCP Mbit/s     one process %.0f  tunnel %.0f  ratio %s (goal 0.9)"
      % (rt, tt, r["ratio_tcp"]))
print("bench-multi: per core of worker CPU used (worker seconds: one process %.2f / %.2f, tunnel %.2f / %.2f):"
      % (rcf / hz, rct / hz, tcf / hz, tct / hz))
print("bench-multi:   64 B frames/s per core  one process %s  tunnel %s  ratio %s (goal 0.85)"
      % (f(pc["one_process"]["fps_64"]), f(pc["tunnel"]["fps_64"]), r["ratio_fps_64_per_core"]))
print("bench-multi:   TCP Mbit/s per core     one process %s  tunnel %s  ratio %s (goal 0.9)"
      % (f(pc["one_process"]["tcp_mbps"]), f(pc["tunnel"]["tcp_mbps"]), r["ratio_tcp_per_core"]))
print("bench-multi: worker core: CPU %s in both cases; load average %s" % (sys.argv[7], sys.argv[5]))
if not r["per_core_reliable"]:
    print("bench-multi: NOT RELIABLE: a case's workers got under 1 s of CPU (starved by the machine's load)")
PY
pass
