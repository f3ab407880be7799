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
# throughput with 1500-byte frames (iperf3 -t SEC); then the ratios
# tunnel / one process (goals: 0.85 for 64 B, 0.9 for TCP).  The load
# average of the run is printed with them: on a shared machine the
# figures are noisy, the ratios less so.  Also: the split of Kdl (754
# switches) over 2 and 4 machines by `lamina topo partition` (METIS):
# time, links cut, largest and smallest machine.  Not measured yet: Kdl
# up over 2 and 4 switchds (needs `lamina topo up --machines`).
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
lt_init bench-multi 600
command -v iperf3 >/dev/null || skip "iperf3 is not installed"

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

# --- The split of Kdl over 2 and 4 machines.
KDL=$(dirname "$0")/../data/topology-zoo/Kdl.gml
for n in 2 4; do
    t0=$(date +%s.%N)
    "$BUILD/cli/lamina" topo partition "$KDL" --machines $n --json >"$LT_DIR/kdl$n.json" ||
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
ref_fps=$(frames_per_s pa pb 02:00:00:00:03:02 02:00:00:00:03:01)
ref_tcp=$(tcp_mbps pa pb 10.2.0.2)
info "one process: $ref_fps frames/s of 64 B, TCP $ref_tcp Mbit/s"
stop_switchd

# --- Tunnel: two switchds, MPLS-in-UDP over a veth underlay.
tun_two_machines_up
tun_two_machines_config
wait_for "nsx ha ping -c 1 -W 1 10.1.0.2" 20 || fail "tunnel: no path"
tun_fps=$(frames_per_s ha hb 02:00:00:00:02:01 02:00:00:00:01:01)
tun_tcp=$(tcp_mbps ha hb 10.1.0.2)
info "tunnel: $tun_fps frames/s of 64 B, TCP $tun_tcp Mbit/s"

load=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$ref_fps" "$tun_fps" "$ref_tcp" "$tun_tcp" "$load" "$BUILD/bench-multi.json" <<'PY'
import json, sys
rf, tf, rt, tt = (float(x) for x in sys.argv[1:5])
r = {"one_process": {"fps_64": rf, "tcp_mbps": rt},
     "tunnel": {"fps_64": tf, "tcp_mbps": tt},
     "ratio_fps_64": round(tf / rf, 3) if rf else None,
     "ratio_tcp": round(tt / rt, 3) if rt else None,
     "goals": {"ratio_fps_64": 0.85, "ratio_tcp": 0.9},
     "loadavg": sys.argv[5]}
json.dump(r, open(sys.argv[6], "w"), indent=2)
print("bench-multi: 64 B frames/s  one process %.0f  tunnel %.0f  ratio %s (goal 0.85)"
      % (rf, tf, r["ratio_fps_64"]))
print("bench-multi: TCP Mbit/s     one process %.0f  tunnel %.0f  ratio %s (goal 0.9)"
      % (rt, tt, r["ratio_tcp"]))
print("bench-multi: load average %s" % sys.argv[5])
PY
pass
