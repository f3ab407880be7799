#!/bin/bash
# bench-mininet.sh BUILD [MAP...]: Lamina and Mininet side by side on the
# same Topology Zoo maps, in the same run (docs/performance.md, "Mininet
# side by side").  Default maps: Abilene Geant2012 Cogentco (Kdl works too,
# slowly in Mininet).
#
# 1. The Lamina side: scripts/bench-topo.sh BUILD MAP... (up, down, far-pair
#    RTT against the emulated one, TCP, and the chain of 10 Lamina switches
#    against 10 Linux bridges), its JSON in BUILD/bench-topo.json.
# 2. A private Open vSwitch: ovsdb-server and ovs-vswitchd (package
#    openvswitch-switch) with their own database, sockets and logs in a
#    temporary directory (OVS_RUNDIR/OVS_DBDIR/OVS_LOGDIR); Mininet's
#    ovs-vsctl and ovs-ofctl reach it through OVS_RUNDIR.
# 3. For each map, the same topology (`lamina topo import MAP.gml --rate 10G
#    --host-per-switch`: the same switches, links, hosts, IPs and MACs) in
#    Mininet through scripts/bench-mininet.py: OVSSwitch datapath='user',
#    static shortest-path flows (failMode=secure, no controller), TX offload
#    off in the hosts; the same far pair of hosts as Lamina's.  Mininet's
#    links have no emulated delay: TCLink's delay needs netem, which this
#    kernel lacks.  So what compares is the RTT beyond the emulated delay
#    (Lamina) against Mininet's whole RTT, both per switch crossed.
# 4. A chain of 10 switches in Mininet (a host on each, as Mininet's
#    LinearTopo(10); the same file as Lamina's `topo gen line 10`), h1 to h10.
# Writes BUILD/bench-mininet.json and prints the table.  Mininet is
# Debian's (/usr/bin/python3, not a python3 earlier in PATH).
#
# BENCH_TOPO_JSON=FILE skips step 1 and takes the Lamina side from FILE (a
# bench-topo.json of an earlier run; not the same run then).
#
# Root only.  Names are unique per run (m + the PID in 5 base-36 digits); everything
# the script starts is stopped by PID, every interface and bridge it made
# is removed, also on failure; `mn -c` is never run.  Each Mininet run is
# bounded (MN_TIMEOUT seconds, default 600).
set -u
BUILD=$(cd "${1:-build}" && pwd)
shift
MAPS=("$@")
[ ${#MAPS[@]} -gt 0 ] || MAPS=(Abilene Geant2012 Cogentco)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LAMINA=$BUILD/cli/lamina
OUT=$BUILD/bench-mininet.json
MN_TIMEOUT=${MN_TIMEOUT:-600}
TAG=m$(python3 -c 'import sys; n=int(sys.argv[1]); s=""
while n: n, r = divmod(n, 36); s = "0123456789abcdefghijklmnopqrstuvwxyz"[r] + s
print(s.rjust(5, "0"))' $$)
TMP=$(mktemp -d /tmp/bench-mininet.XXXXXX)
OVS=$TMP/ovs
PIDS=()

log() { echo "bench-mininet: $*" >&2; }

# Kill PID (TERM, then KILL after 10 s) if it is alive.
stop_pid() {
    local p=$1 i
    kill -0 "$p" 2>/dev/null || return 0
    kill -TERM "$p" 2>/dev/null
    for i in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
}

# Leftovers of an interrupted Mininet run: its node shells (by the PIDs it
# recorded, only if still Mininet's), then interfaces named with our tag.
mn_leftovers() {
    local p
    if [ -f "$TMP/nodes.pid" ]; then
        while read -r p; do
            { tr "\0" " " <"/proc/$p/cmdline"; } 2>/dev/null | grep -q mininet && kill -KILL "$p" 2>/dev/null
        done <"$TMP/nodes.pid"
        rm -f "$TMP/nodes.pid"
    fi
    for p in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^$TAG"); do
        ip link del "$p" 2>/dev/null
    done
}

cleanup() {
    local i
    mn_leftovers
    if [ -S "$OVS/db.sock" ]; then
        for b in $(ovs_env ovs-vsctl --timeout=10 list-br 2>/dev/null); do
            ovs_env ovs-vsctl --timeout=10 --if-exists del-br "$b"
        done
    fi
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[$i]}"; done
    mn_leftovers
    rm -rf "$TMP"
}
MN_PID=""
# On INT/TERM, the Mininet run gets TERM (bench-mininet.py then stops its
# network with net.stop()) and is waited for before the cleanup.
on_signal() {
    if [ -n "$MN_PID" ] && kill -0 "$MN_PID" 2>/dev/null; then
        log "stopping the Mininet run (pid $MN_PID)"
        kill -TERM "$MN_PID" 2>/dev/null
        wait "$MN_PID" 2>/dev/null
    fi
    exit 1
}
trap cleanup EXIT
trap on_signal INT TERM

ovs_env() { env OVS_RUNDIR="$OVS" OVS_DBDIR="$OVS" OVS_LOGDIR="$OVS" "$@"; }

/usr/bin/python3 -c "import mininet" 2>/dev/null || { log "Mininet missing (Debian package mininet)"; exit 1; }

# ---- 1. Lamina
if [ -n "${BENCH_TOPO_JSON:-}" ]; then
    log "Lamina side from $BENCH_TOPO_JSON (not measured in this run)"
    cp "$BENCH_TOPO_JSON" "$TMP/lamina.json" || exit 1
else
    log "Lamina side: scripts/bench-topo.sh $BUILD ${MAPS[*]}"
    # -t 5 as on the Mininet side (bench-mininet.py)
    TCP_SECS=5 "$ROOT/scripts/bench-topo.sh" "$BUILD" "${MAPS[@]}" || log "bench-topo.sh failed"
    cp "$BUILD/bench-topo.json" "$TMP/lamina.json" 2>/dev/null || echo "[]" >"$TMP/lamina.json"
fi

# ---- 2. a private Open vSwitch
mkdir -p "$OVS"
ovsdb-tool create "$OVS/conf.db" /usr/share/openvswitch/vswitch.ovsschema || exit 1
env OVS_RUNDIR="$OVS" OVS_DBDIR="$OVS" OVS_LOGDIR="$OVS" \
    ovsdb-server "$OVS/conf.db" --remote="punix:$OVS/db.sock" \
    --unixctl="$OVS/ovsdb-server.ctl" --pidfile="$OVS/ovsdb-server.pid" \
    --log-file="$OVS/ovsdb-server.log" 2>>"$OVS/ovsdb-server.err" &
PIDS+=($!)
deadline=$((SECONDS + 30))
until [ -S "$OVS/db.sock" ]; do
    [ $SECONDS -lt $deadline ] || { log "ovsdb-server did not start"; exit 1; }
    sleep 0.1
done
ovs_env ovs-vsctl --no-wait init || exit 1
env OVS_RUNDIR="$OVS" OVS_DBDIR="$OVS" OVS_LOGDIR="$OVS" \
    ovs-vswitchd "unix:$OVS/db.sock" --unixctl="$OVS/ovs-vswitchd.ctl" \
    --pidfile="$OVS/ovs-vswitchd.pid" --log-file="$OVS/ovs-vswitchd.log" \
    2>>"$OVS/ovs-vswitchd.err" &
PIDS+=($!)
deadline=$((SECONDS + 30))
until ovs_env ovs-vsctl --timeout=2 show >/dev/null 2>&1 && [ -S "$OVS/ovs-vswitchd.ctl" ]; do
    [ $SECONDS -lt $deadline ] || { log "ovs-vswitchd did not start"; exit 1; }
    sleep 0.1
done

# One Mininet run: mn_run TOPO A B -> JSON in $TMP/mn.json.  In the
# background and waited for, so that a signal reaches the trap at once.
mn_run() {
    local r
    env OVS_RUNDIR="$OVS" OVS_DBDIR="$OVS" OVS_LOGDIR="$OVS" \
        timeout -k 30 "$MN_TIMEOUT" /usr/bin/python3 "$ROOT/scripts/bench-mininet.py" \
        "$1" "$TAG" "$2" "$3" "$TMP/nodes.pid" >"$TMP/mn.out" 2>"$TMP/mn.err" &
    MN_PID=$!
    wait "$MN_PID"
    MN_PID=""
    r=$(tail -n 1 "$TMP/mn.out")
    mn_leftovers
    if ! echo "$r" | python3 -c 'import json,sys; json.load(sys.stdin)' 2>/dev/null; then
        log "Mininet run failed:"; tail -n 20 "$TMP/mn.err" >&2
        r='{"error": "mininet run failed"}'
    fi
    [ -s "$TMP/mn.err" ] && grep -v '^$' "$TMP/mn.err" | tail -n 5 | sed 's/^/bench-mininet: mininet: /' >&2
    echo "$r" >"$TMP/mn.json"
}

# ---- 3. the maps in Mininet
: >"$TMP/mn.jsonl"
for m in "${MAPS[@]}"; do
    pair=$(python3 -c 'import json,sys
for r in json.load(open(sys.argv[1])):
    if r.get("map") == sys.argv[2]: print(*r["far_pair"])' "$TMP/lamina.json" "$m")
    if [ -z "$pair" ]; then log "$m: no Lamina result, no far pair"; continue; fi
    "$LAMINA" topo import "$ROOT/data/topology-zoo/$m.gml" --rate 10G --host-per-switch \
        -o "$TMP/$m.topo" 2>/dev/null || { log "$m: import failed"; continue; }
    log "$m in Mininet (pair $pair)"
    mn_run "$TMP/$m.topo" $pair
    echo "{\"map\": \"$m\", \"mininet\": $(cat "$TMP/mn.json")}" >>"$TMP/mn.jsonl"
done

# ---- 4. a chain of 10 in Mininet
"$LAMINA" topo gen line 10 --rate 0 --delay 0 -o "$TMP/line10.topo"
log "chain of 10 in Mininet"
mn_run "$TMP/line10.topo" h1 h10
echo "{\"map\": \"chain10\", \"mininet\": $(cat "$TMP/mn.json")}" >>"$TMP/mn.jsonl"

# ---- the table
python3 - "$TMP/lamina.json" "$TMP/mn.jsonl" "$OUT" <<'EOF'
import json, sys
lam = {r["map"]: r for r in json.load(open(sys.argv[1])) if "map" in r}
chain = next((r["chain10"] for r in json.load(open(sys.argv[1])) if "chain10" in r), {})
mn = [json.loads(l) for l in open(sys.argv[2])]
rows = []
def num(x):
    try: return float(x)
    except (TypeError, ValueError): return None
for e in mn:
    m, r = e["map"], e["mininet"]
    if m == "chain10":
        continue
    l = lam.get(m, {})
    n = l.get("path_switches")
    lb = (l["rtt_us"] - l["emulated_rtt_us"]) / (2 * n) if n and l.get("rtt_us") else None
    mb = r["rtt_us"] / (2 * r["path_switches"]) if r.get("rtt_us") and r.get("path_switches") else None
    rows.append({"map": m, "switches": l.get("switches", r.get("switches")),
                 "links": l.get("links", r.get("links")), "hosts": l.get("hosts", r.get("hosts")),
                 "far_pair": l.get("far_pair"),
                 "lamina": {"up_s": l.get("up_s"), "down_s": l.get("down_s"),
                            "path_switches": n, "rtt_us": l.get("rtt_us"),
                            "emulated_rtt_us": l.get("emulated_rtt_us"),
                            "beyond_emulated_us_per_switch": round(lb, 1) if lb is not None else None,
                            "tcp_mbps": num(l.get("tcp_mbps"))},
                 "mininet": dict(r, us_per_switch=round(mb, 1) if mb is not None else None,
                                 emulated_delay="none (no netem)")})
c = next((e["mininet"] for e in mn if e["map"] == "chain10"), {})
ch = {"lamina_rtt_us": chain.get("lamina_rtt_us"), "lamina_tcp_mbps": num(chain.get("lamina_tcp_mbps")),
      "bridge_rtt_us": chain.get("bridge_rtt_us"), "bridge_tcp_mbps": num(chain.get("bridge_tcp_mbps")),
      "mininet_rtt_us": c.get("rtt_us"), "mininet_tcp_mbps": c.get("tcp_mbps"),
      "mininet_up_s": c.get("up_s"), "mininet_down_s": c.get("down_s")}
json.dump({"maps": rows, "chain10": ch}, open(sys.argv[3], "w"), indent=1)
def f(x, fmt="%s"):
    return "-" if x is None else fmt % x
print()
print("%-10s %-7s %8s %8s %8s %9s %12s %10s %9s" % ("map", "", "up_s", "flows_s", "down_s", "rtt_us",
      "us/switch", "tcp_Mbps", "switches"))
for r in rows:
    l, m = r["lamina"], r["mininet"]
    print("%-10s %-7s %8s %8s %8s %9s %12s %10s %9s" % (r["map"], "lamina", f(l["up_s"]), "-", f(l["down_s"]),
          f(l["rtt_us"]), f(l["beyond_emulated_us_per_switch"]), f(l["tcp_mbps"], "%.0f"), f(l["path_switches"])))
    print("%-10s %-7s %8s %8s %8s %9s %12s %10s %9s%s" % ("", "mininet", f(m.get("up_s")), f(m.get("flows_s")),
          f(m.get("down_s")), f(m.get("rtt_us")), f(m.get("us_per_switch")), f(m.get("tcp_mbps")),
          f(m.get("path_switches")), ("  ERROR " + m["error"]) if "error" in m else ""))
print()
print("%-28s %10s %10s" % ("chain of 10", "rtt_us", "tcp_Mbps"))
print("%-28s %10s %10s" % ("lamina (10 switches)", f(ch["lamina_rtt_us"]), f(ch["lamina_tcp_mbps"], "%.0f")))
print("%-28s %10s %10s" % ("mininet (10 OVS, userspace)", f(ch["mininet_rtt_us"]), f(ch["mininet_tcp_mbps"])))
print("%-28s %10s %10s" % ("linux bridges (10)", f(ch["bridge_rtt_us"]), f(ch["bridge_tcp_mbps"], "%.0f")))
EOF
log "results in $OUT (Lamina side also in $BUILD/bench-topo.json)"
