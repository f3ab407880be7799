#!/bin/bash
# bench-scale.sh: how many slices one switch holds with every one of them
# forwarding, what a slice costs in memory, and what an idle switch costs
# in CPU (`make bench` runs it after bench.sh).
#
# One lamina-switchd, one switch s1 with two pairs of ports on veths
# (in0 -> out0, in1 -> out1): Lamina's own afpacket: ports, DPDK's
# net_af_packet ethdevs with BENCH_SCALE_PORTS=ethdev (no receive
# interrupts: the idle worker sleeps in short steps), or DPDK net_tap
# devices moved into the namespaces with BENCH_SCALE_PORTS=tap (ethdevs
# with receive interrupts: the idle worker blocks on them).  N slices (default 4096), each an
# l2learn vnode with two vports: slice i is VLAN (i mod 2048) + 1 on
# pair i / 2048.  Slices are configured over JSON-RPC in batches.  A
# generator in each "in" namespace then sends frames cycling over the
# pair's VLANs, and we count the slices whose counters show frames
# delivered.  Memory per slice is the daemon's RSS growth over N; idle
# CPU is the daemon's CPU time over 10 s without traffic.  Wake-up: one
# more slice joins hosts wa and wb (untagged, own ports); the median of
# 10 pings 0.5 s apart (the worker is asleep when each arrives) against
# the median of 50 pings 2 ms apart (it is awake).
#
# usage: scripts/bench-scale.sh BUILD [N]
set -u
BUILD=$(cd "${1:-build}" && pwd)
N=${2:-${LAMINA_BENCH_SLICES:-4096}}
PORTS=${BENCH_SCALE_PORTS:-afpacket}
export LAMINA_BUILD=$BUILD
. "$(dirname "$0")/../tests/integration/lib.sh"
lt_init bench-scale 600

PER_PAIR=2048
PAIRS=$(((N + PER_PAIR - 1) / PER_PAIR))

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$LT_SWITCHD_PID/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$LT_SWITCHD_PID/stat"; }

# host NS PORT ROOTIF MAC IP: namespace NS on switch port PORT, through a
# veth (root end ROOTIF) or a tap.
host() {
    if [ "$PORTS" = tap ]; then
        tap_add s1 "$2" "$1" "$4" "$5"
        return
    fi
    veth_add "$1" eth0 "$3" "$4" "$5"
    local devargs
    if [ "$PORTS" = ethdev ]; then devargs=$(af_packet_devargs "$3"); else devargs=$(afpacket_devargs "$3"); fi
    lamina port add s1 "$2" "$devargs" >/dev/null || fail "port $2"
}
start_switchd
lamina switch add s1 >/dev/null || fail "switch add"
for p in $(seq 0 $((PAIRS - 1))); do
    ns_add "gen$p"
    ns_add "sink$p"
    host "gen$p" "in$p" "i$p" 02:00:00:00:01:0$p -
    host "sink$p" "out$p" "o$p" 02:00:00:00:02:0$p -
done
ns_add wa; ns_add wb
host wa wa wa 02:00:00:00:03:01 10.31.0.1/24
host wb wb wb 02:00:00:00:03:02 10.31.0.2/24
rss0=$(rss_kb)

t0=$(date +%s.%N)
/usr/bin/python3 - "$LT_SOCK" "$N" "$PER_PAIR" <<'EOF' || fail "configuring the slices"
import json, socket, sys
sock_path, n, per_pair = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_UNIX)
s.connect(sock_path)
f = s.makefile("rwb")
rid = 0
def batch(calls):
    global rid
    reqs = []
    for method, params in calls:
        rid += 1
        reqs.append({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
    f.write(json.dumps(reqs).encode() + b"\n")
    f.flush()
    for r in json.loads(f.readline()):
        if "error" in r:
            sys.exit("error: %s" % r["error"])
step = 256
for first in range(0, n, step):
    calls = []
    for i in range(first, min(n, first + step)):
        pair, vlan = i // per_pair, i % per_pair + 1
        name = "sl%d" % i
        calls += [("slice.add", {"name": name}),
                  ("vnode.add", {"slice": name, "switch": "s1"}),
                  ("vport.add", {"slice": name, "switch": "s1", "vport": "a",
                                 "port": "in%d" % pair, "vlan": vlan}),
                  ("vport.add", {"slice": name, "switch": "s1", "vport": "b",
                                 "port": "out%d" % pair, "vlan": vlan})]
    batch(calls)
    print("\r  configured %d/%d slices" % (min(n, first + step), n), end="", file=sys.stderr)
print(file=sys.stderr)
EOF
t1=$(date +%s.%N)
rss1=$(rss_kb)

# Traffic: every VLAN of every pair several times over.
gens=()
for p in $(seq 0 $((PAIRS - 1))); do
    count=$((N - p * PER_PAIR)); [ $count -gt $PER_PAIR ] && count=$PER_PAIR
    bg_start ip netns exec "$(ns "gen$p")" "$BUILD/tools/lamina-gen" send --iface eth0 \
        --src-mac 02:00:00:00:01:0$p --dst-mac 02:00:00:00:02:0$p --vlan "1-$count" \
        --rate 100k --size 64 --duration 3
    gens+=("$LT_LAST_PID")
done
wait "${gens[@]}"
sleep 0.5
forwarding=$(lamina --json stats slice | /usr/bin/python3 -c '
import json, sys
print(sum(1 for s in json.load(sys.stdin)["slices"] if s["tx_packets"] > 0))')

# Idle CPU: no traffic, every slice configured.
c0=$(cpu_ticks); sleep 10; c1=$(cpu_ticks)
hz=$(getconf CLK_TCK)
idle=$(/usr/bin/python3 -c "print(round(100.0 * ($c1 - $c0) / $hz / 10, 2))")
per_slice=$(/usr/bin/python3 -c "print(round(($rss1 - $rss0) / $N, 1))")

# Wake-up latency: pings that find the worker asleep against pings that
# keep it awake.
lamina slice add wake >/dev/null && lamina vnode add wake s1 >/dev/null &&
    lamina vport add wake s1 a wa >/dev/null && lamina vport add wake s1 b wb >/dev/null ||
    fail "slice wake"
wait_for "nsx wa ping -c 1 -W 1 10.31.0.2" 20 || fail "no ping between wa and wb"
median_ping_us() {  # INTERVAL COUNT
    nsx wa ping -c "$2" -i "$1" -W 2 10.31.0.2 2>/dev/null | grep -o 'time=[0-9.]*' |
        cut -d= -f2 | sort -n | awk '{v[NR] = $1} END {printf "%d", v[int((NR + 1) / 2)] * 1000}'
}
wake_us=$(median_ping_us 0.5 10)
busy_us=$(median_ping_us 0.002 50)
setup=$(/usr/bin/python3 -c "print(round($t1 - $t0, 2))")

echo "slices configured             $N (in $setup s over JSON-RPC)"
echo "slices forwarding             $forwarding of $N"
echo "memory per slice              $per_slice KiB (RSS $rss0 -> $rss1 KiB)"
echo "idle CPU of lamina-switchd    $idle % of one core ($PORTS ports)"
echo "ping RTT, worker asleep       $wake_us us (median of 10, 0.5 s apart)"
echo "ping RTT, worker awake        $busy_us us (median of 50, 2 ms apart)"
cat >"$BUILD/bench-scale.json" <<JSON
{"slices": $N, "slices_forwarding": $forwarding, "setup_s": $setup,
 "kib_per_slice": $per_slice, "idle_cpu_percent": $idle, "ports": "$PORTS",
 "ping_asleep_us": $wake_us, "ping_awake_us": $busy_us}
JSON
[ "$forwarding" -eq "$N" ] || fail "only $forwarding of $N slices forwarded"
pass "wrote $BUILD/bench-scale.json"
