#!/bin/bash
# bench-topo.sh BUILD [MAP...]: the emulated-topology benchmark
# (docs/performance.md).
#
# For each Topology Zoo map (default: Abilene Geant2012 Cogentco Kdl),
# links at 10 Gbit/s so that the data path, not the emulated rate, is the
# limit, a host per switch:
#   up      wall time of `lamina topo up MAP.gml`
#   rss     VmRSS of lamina-switchd once up
#   cpu     its CPU use while idle, over 10 s, in % of one core
#   rtt     median of 20 pings between the farthest pair of hosts (by the
#           emulated delay of the default slice's path), and the emulated
#           round trip; the difference per switch crossed
#   tcp     iperf3 -t $TCP_SECS (default 8) between that pair, Mbit/s
#   retr%   the client's TCP segments retransmitted, in % of those sent
#           (/proc/net/snmp in its namespace)
#   kring   frames the host ports' AF_PACKET rings dropped (drop reason
#           kernel-ring, summed over the switch's ports)
#   sdrops  frames of the default slice dropped during the stream, any
#           reason (the JSON has them by reason: e.g. gso-quota, the
#           slice's share of the super-frame buffers); the links have no
#           loss and 10 Gbit/s, so every one is a drop the map did not
#           ask for
#   wk_cpu  CPU the worker thread got during the stream, in % of its time
#   ns/pkt  the worker's CPU time per frame it received (every hop counts),
#           in ns: what a change of the fast path does to the per-frame
#           cost, less moved by the machine's load than the rate is (a
#           host's TCP super-frame counts once, dataplane/dp_gso.h)
#   down    wall time of `lamina topo down`
# Then a chain of 10 emulated switches (no delay, no rate limit) against a
# chain of 10 Linux bridges (each in its own namespace), host to host at
# the two ends: ping median and iperf3.
#
# BENCH_TOPO_CHAIN=0 skips the chain; BENCH_TOPO_PAIR="HOST HOST" names
# the pair instead of searching for the farthest (a single map).  Root only.  Names are unique per run (bt<PID>...); everything is removed
# at the end, also on failure.
set -u
BUILD=$(cd "${1:-build}" && pwd)
shift
MAPS=("$@")
TCP_SECS=${TCP_SECS:-8}
[ ${#MAPS[@]} -gt 0 ] || MAPS=(Abilene Geant2012 Cogentco Kdl)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LAMINA=$BUILD/cli/lamina
TAG=bt$$
OUT=$BUILD/bench-topo.json
TMP=$(mktemp -d /tmp/bench-topo.XXXXXX)
UP_NAMES=()
BR_NS=()

cleanup() {
    for n in "${UP_NAMES[@]}"; do
        "$LAMINA" topo down --name "$n" >/dev/null 2>&1
    done
    for n in "${BR_NS[@]}"; do
        ip netns del "$n" 2>/dev/null
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f", b - a}'; }
jget() { python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v = v[int(k)] if isinstance(v, list) else v[k]
print(v)' "$1"; }

# CPU of 'pid' over 'secs' seconds, in % of one core.
cpu_pct() {
    local pid=$1 secs=$2 a b hz
    hz=$(getconf CLK_TCK)
    a=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    sleep "$secs"
    b=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    awk -v a="$a" -v b="$b" -v s="$secs" -v hz="$hz" 'BEGIN {printf "%.1f", (b - a) / hz / s * 100}'
}

median_ping_us() {      # NS IP: median RTT of 20 pings, us
    ip netns exec "$1" ping -c 20 -i 0.1 -W 2 "$2" 2>/dev/null |
        grep -o 'time=[0-9.]*' | cut -d= -f2 | sort -n |
        awk '{v[NR] = $1} END {if (NR) printf "%d", v[int((NR + 1) / 2)] * 1000; else print "nan"}'
}

# Segments the TCP of namespace $1 has sent and retransmitted so far.
tcp_segs() {
    ip netns exec "$1" awk '$1 == "Tcp:" && !h {for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next}
        $1 == "Tcp:" {print $c["OutSegs"], $c["RetransSegs"]}' /proc/net/snmp
}

# Prints "Mbit/s retransmitted-%" of one iperf3 stream.
iperf_mbps() {          # CLIENT_NS SERVER_NS SERVER_IP
    local pid r s0 s1
    ip netns exec "$2" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
    pid=$!
    sleep 0.5
    s0=$(tcp_segs "$1")
    r=$(ip netns exec "$1" timeout $((TCP_SECS + 15)) iperf3 -c "$3" -p 5201 -t "$TCP_SECS" -J 2>/dev/null |
        python3 -c 'import json,sys
try: print("%.0f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))
except Exception: print("nan")')
    s1=$(tcp_segs "$1")
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    echo "$r $(awk -v a="$s0" -v b="$s1" 'BEGIN {split(a, x); split(b, y); n = y[1] - x[1]
        printf "%.3f", (n > 0 ? 100 * (y[2] - x[2]) / n : 0)}')"
}

# CPU time so far of the rte-worker threads of process $1, in clock ticks.
worker_ticks() {
    awk '$2 ~ /^\(rte-worker/ {t += $14 + $15} END {print t + 0}' /proc/"$1"/task/*/stat
}

# Frames the workers of the daemon at socket $1 have received so far.
worker_pkts() {
    "$LAMINA" --socket "$1" --json switch workers 2>/dev/null | python3 -c 'import json,sys
try: print(sum(w["packets"] for w in json.load(sys.stdin)))
except Exception: print("nan")'
}

# Frames dropped for a full AF_PACKET ring, summed over every port.
kring_drops() {
    "$LAMINA" --socket "$1" --json stats port 2>/dev/null | python3 -c 'import json,sys
try: print(sum(p.get("drops", {}).get("kernel-ring", 0) for p in json.load(sys.stdin)["ports"]))
except Exception: print("nan")'
}

# The default slice's drops so far, as JSON {reason: frames}.
slice_drops() {
    "$LAMINA" --socket "$1" --json stats slice 2>/dev/null | python3 -c 'import json,sys
try: print(json.dumps(next(s for s in json.load(sys.stdin)["slices"] if s["name"] == "default").get("drops", {})))
except Exception: print("{}")'
}

# The drops of $2 not in $1 (both from slice_drops), as JSON, and their sum.
drops_since() {
    python3 -c 'import json,sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
d = {k: v - a.get(k, 0) for k, v in b.items() if v > a.get(k, 0)}
print(json.dumps(d, separators=(",", ":")), sum(d.values()))' "$1" "$2"
}

echo "[" >"$OUT"
first=1
printf "%-10s %5s %5s %5s %7s %8s %7s %11s %11s %8s %8s %7s %7s %7s %6s %6s %7s\n" map sw links hosts up_s rss_MB idle_cpu rtt_us emul_us us/hop tcp_Mbps retr% kring sdrops wk_cpu ns/pkt down_s
for m in "${MAPS[@]}"; do
    name=$TAG$(echo "$m" | tr 'A-Z' 'a-z' | cut -c1-6)
    t0=$(now)
    if ! "$LAMINA" topo up "$ROOT/data/topology-zoo/$m.gml" --rate 10G --name "$name" \
            --netns-prefix "$name-" --quiet 2>"$TMP/$m.warn"; then
        cat "$TMP/$m.warn" >&2
        continue
    fi
    up_s=$(since "$t0")
    UP_NAMES+=("$name")
    run=/run/lamina/topo-$name
    pid=$(cat "$run/switchd.pid")
    "$LAMINA" topo status --name "$name" --json >"$TMP/st.json"
    n_sw=$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["switches"]))' <"$TMP/st.json")
    n_links=$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["links"]))' <"$TMP/st.json")
    hosts=$(python3 -c 'import json,sys; print(" ".join(h["name"] for h in json.load(sys.stdin)["hosts"]))' <"$TMP/st.json")
    sleep 2
    rss_mb=$(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status")
    cpu=$(cpu_pct "$pid" 10)
    # The farthest pair: from the first host, the farthest; from that one, the farthest.
    far() {
        local from=$1 best="" bd=-1 h d
        for h in $hosts; do
            [ "$h" = "$from" ] && continue
            d=$("$LAMINA" topo path --name "$name" "$from" "$h" --json 2>/dev/null | jget rtt_us 2>/dev/null) || continue
            if [ "${d:-0}" -gt "$bd" ]; then bd=$d; best=$h; fi
        done
        echo "$best"
    }
    if [ -n "${BENCH_TOPO_PAIR:-}" ]; then
        read -r a b <<<"$BENCH_TOPO_PAIR"
    else
        set -- $hosts
        a=$(far "$1"); b=$(far "$a")
    fi
    "$LAMINA" topo path --name "$name" "$a" "$b" --json >"$TMP/path.json"
    emul=$(jget rtt_us <"$TMP/path.json")
    n_path=$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["switches"]))' <"$TMP/path.json")
    ip_b=$(python3 -c 'import json,sys; print([h["ip"] for h in json.load(sys.stdin)["hosts"] if h["name"] == sys.argv[1]][0].split("/")[0])' "$b" <"$TMP/st.json")
    ip netns exec "$name-$a" ping -c 3 -i 0.2 -W 2 "$ip_b" >/dev/null 2>&1
    rtt=$(median_ping_us "$name-$a" "$ip_b")
    per_hop=$(awk -v r="$rtt" -v e="$emul" -v n="$n_path" 'BEGIN {printf "%.0f", (r - e) / (2 * n)}')
    sock=$(jget daemon.socket <"$TMP/st.json")
    k0=$(kring_drops "$sock")
    d0=$(slice_drops "$sock")
    c0=$(worker_ticks "$pid") p0=$(worker_pkts "$sock") t0=$(now)
    read -r tcp retr < <(iperf_mbps "$name-$a" "$name-$b" "$ip_b")
    c1=$(worker_ticks "$pid") p1=$(worker_pkts "$sock")
    read -r wk_cpu ns_pkt < <(awk -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" \
        -v s="$(since "$t0")" -v a="$p0" -v b="$p1" 'BEGIN {
            printf "%.1f %s\n", 100 * c / hz / s, (b > a ? sprintf("%.0f", c / hz * 1e9 / (b - a)) : "nan")}')
    kring=$(awk -v a="$k0" -v b="$(kring_drops "$sock")" \
        'BEGIN {print (a ~ /^[0-9]+$/ && b ~ /^[0-9]+$/) ? b - a : "nan"}')
    read -r sdrops_json sdrops < <(drops_since "$d0" "$(slice_drops "$sock")")
    t0=$(now)
    "$LAMINA" topo down --name "$name" >/dev/null 2>&1
    down_s=$(since "$t0")
    UP_NAMES=("${UP_NAMES[@]/$name}")
    n_hosts=$(echo $hosts | wc -w)
    printf "%-10s %5s %5s %5s %7s %8s %7s %11s %11s %8s %8s %7s %7s %7s %6s %6s %7s   (%s-%s, %s switches)\n" "$m" "$n_sw" "$n_links" "$n_hosts" "$up_s" "$rss_mb" "$cpu" "$rtt" "$emul" "$per_hop" "$tcp" "$retr" "$kring" "$sdrops" "$wk_cpu" "$ns_pkt" "$down_s" "$a" "$b" "$n_path"
    [ $first = 1 ] || echo "," >>"$OUT"
    first=0
    printf '{"map": "%s", "switches": %s, "links": %s, "hosts": %s, "up_s": %s, "rss_mb": %s, "idle_cpu_pct": %s, "far_pair": ["%s", "%s"], "path_switches": %s, "rtt_us": %s, "emulated_rtt_us": %s, "tcp_mbps": "%s", "tcp_retrans_pct": %s, "kernel_ring_drops": %s, "slice_drops": %s, "worker_cpu_pct": %s, "worker_ns_per_pkt": %s, "down_s": %s}' \
        "$m" "$n_sw" "$n_links" "$n_hosts" "$up_s" "$rss_mb" "$cpu" "$a" "$b" "$n_path" "$rtt" "$emul" "$tcp" "${retr:-null}" "${kring/nan/null}" "$sdrops_json" "$wk_cpu" "${ns_pkt/nan/null}" "$down_s" >>"$OUT"
done

if [ "${BENCH_TOPO_CHAIN:-1}" = 0 ]; then
    echo "]" >>"$OUT"
    echo "results in $OUT"
    exit 0
fi

# ---- a chain of 10: Lamina switches against Linux bridges
"$LAMINA" topo gen line 10 --rate 0 --delay 0 -o "$TMP/line10.topo"
name=${TAG}line
"$LAMINA" topo up "$TMP/line10.topo" --name "$name" --netns-prefix "$name-" --quiet
UP_NAMES+=("$name")
"$LAMINA" topo exec --name "$name" h1 ping -c 3 -i 0.2 10.0.0.10 >/dev/null 2>&1
l_rtt=$(median_ping_us "$name-h1" 10.0.0.10)
read -r l_tcp _ < <(iperf_mbps "$name-h1" "$name-h10" 10.0.0.10)
"$LAMINA" topo down --name "$name" >/dev/null 2>&1
UP_NAMES=()

# Linux bridges: namespace bI holds bridge br0; veths join b1-b2-...-b10;
# hosts hA on b1 and hB on b10.
for i in $(seq 1 10); do
    ip netns add "$TAG-b$i"; BR_NS+=("$TAG-b$i")
    ip -n "$TAG-b$i" link add br0 type bridge
    ip -n "$TAG-b$i" link set br0 up
done
for i in $(seq 1 9); do
    j=$((i + 1))
    ip link add r$i netns "$TAG-b$i" type veth peer name l$j netns "$TAG-b$j"
    ip -n "$TAG-b$i" link set r$i master br0 up
    ip -n "$TAG-b$j" link set l$j master br0 up
done
for h in A B; do
    ip netns add "$TAG-h$h"; BR_NS+=("$TAG-h$h")
    ip -n "$TAG-h$h" link set lo up
done
ip link add eth0 netns "$TAG-hA" type veth peer name hA netns "$TAG-b1"
ip link add eth0 netns "$TAG-hB" type veth peer name hB netns "$TAG-b10"
ip -n "$TAG-b1" link set hA master br0 up
ip -n "$TAG-b10" link set hB master br0 up
ip -n "$TAG-hA" addr add 10.9.0.1/24 dev eth0; ip -n "$TAG-hA" link set eth0 up
ip -n "$TAG-hB" addr add 10.9.0.2/24 dev eth0; ip -n "$TAG-hB" link set eth0 up
ip netns exec "$TAG-hA" ping -c 3 -i 0.2 10.9.0.2 >/dev/null 2>&1
b_rtt=$(median_ping_us "$TAG-hA" 10.9.0.2)
read -r b_tcp _ < <(iperf_mbps "$TAG-hA" "$TAG-hB" 10.9.0.2)
echo
printf "%-28s %10s %10s\n" "chain of 10" "rtt_us" "tcp_Mbps"
printf "%-28s %10s %10s\n" "lamina (10 switches)" "$l_rtt" "$l_tcp"
printf "%-28s %10s %10s\n" "linux bridges (10)" "$b_rtt" "$b_tcp"
printf ',\n{"chain10": {"lamina_rtt_us": %s, "lamina_tcp_mbps": "%s", "bridge_rtt_us": %s, "bridge_tcp_mbps": "%s"}}\n]\n' \
    "$l_rtt" "$l_tcp" "$b_rtt" "$b_tcp" >>"$OUT"
echo "results in $OUT"
