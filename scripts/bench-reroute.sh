#!/bin/bash
# bench-reroute.sh: BFD detection time and fast-reroute loss over repeated
# cuts (`make bench` runs it as scripts/bench-reroute.sh BUILD; needs root,
# like the integration tests whose setup it shares: tests/integration/
# lib.sh and reroute-lib.sh).
#
# On the reroute test's substrate (virtual link s1 - s3, backup s1 - s2 -
# s3, BFD at 10 ms x 3 on every link), LAMINA_BENCH_CUTS (20) times: frames
# h1 -> h3 at RATE (5000/s), a silent cut of s1 - s3 (an emulated loss of
# 100%: only BFD sees it), the link back 1 s later, and the wait for the
# move back (BFD Up again, hold-down 500 ms).  Per cut: the detection time
# of s1's session (last packet heard -> Down) and the frames lost, as the
# time without traffic.  Prints median and worst of each, the detection
# time as a ratio to the configured one (30 ms, the reference of the same
# run), and the load average; writes BUILD/bench-reroute.json.
#
# scripts/bench-reroute.sh BUILD tunnel: the same across machines, on the
# tunnel-reroute test's setup (tunnel-lib.sh tun_reroute_setup: two
# switchds, tunnels tun and tun2 on two underlays, BFD 10 ms x 3 on both,
# border vlink over tun with its backup over tun2): each cut takes ma's
# underlay port off the bridge (silent), the detection time is ma's tun
# session's; writes BUILD/bench-reroute-tunnel.json.
export LAMINA_BUILD=$(cd "${1:-build}" && pwd)
VARIANT=${2:-link}
case $VARIANT in link|tunnel) ;; *) echo "usage: $0 BUILD [link|tunnel]" >&2; exit 2;; esac
. "$(dirname "$0")/../tests/integration/lib.sh"
. "$(dirname "$0")/../tests/integration/tunnel-lib.sh"
CUTS=${LAMINA_BENCH_CUTS:-20}
lt_init bench-reroute$([ "$VARIANT" = tunnel ] && echo -tunnel) $((60 + CUTS * 15))
. "$(dirname "$0")/../tests/integration/reroute-lib.sh"
RATE=${LAMINA_BENCH_RATE:-5000}
RR_MIN_SENT_PCT=50          # a loaded box slows the generator: loss is counted either way
HOLD_MS=500
CONFIGURED_US=30000
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print NR ? a[int((NR + 1) / 2)] : "null"}'; }
worst() { printf '%s\n' "$@" | sort -n | tail -1; }

if [ "$VARIANT" = tunnel ]; then
    HEAD=sma HEAD_PORT=tun CLI="tunl ma" OUT=bench-reroute-tunnel
    cut_path() { nsx net ip link set uma nomaster; }
    restore_path() { nsx net ip link set uma master br0; }
    setup() { tun_reroute_setup; }
    sessions_up() { tun_all_up; }
else
    HEAD=s1 HEAD_PORT=to-s3 CLI=lamina OUT=bench-reroute
    cut_path() { lamina link set l13 --loss 100%; }
    restore_path() { lamina link set l13 --loss 0; }
    setup() { reroute_setup; }
    sessions_up() { all_up; }
fi
# The state and last detection time of the head's session on the cut path.
head_bfd() {
    $CLI --json bfd list | /usr/bin/python3 -c '
import json, sys
print([s for s in json.load(sys.stdin) if s["switch"] == sys.argv[2] and s["port"] == sys.argv[3]][0][sys.argv[1]])' "$1" "$HEAD" "$HEAD_PORT"
}
# The cut, then the detection time of that cut (not of a later flap).
cut_and_read() {
    cut_path || return 1
    wait_for '[ "$(head_bfd state)" = Down ]' 1 && head_bfd last_detect_us >"$LT_DIR/detect"
}
load0=$(cut -d' ' -f1 /proc/loadavg)
setup
base=$(reroutes "$HEAD")
detect=() lossms=()
for i in $(seq "$CUTS"); do
    wait_for sessions_up 20 || fail "cut $i: BFD sessions not all Up: $($CLI bfd list)"
    rm -f "$LT_DIR/detect"
    lost=$(run_traffic 3 "cut_and_read" "restore_path") || exit 1
    [ -s "$LT_DIR/detect" ] || fail "cut $i: $HEAD's session did not go Down: $($CLI bfd list)"
    d=$(cat "$LT_DIR/detect")
    detect+=("$d")
    lossms+=($((lost * 1000 / RATE)))
    info "cut $i: detection $((d / 1000)) ms, $lost frames lost ($((lost * 1000 / RATE)) ms)"
    wait_for "back $((base + i))" 15 || fail "cut $i: not back on the primary: $(fr "$HEAD")"
done
load1=$(cut -d' ' -f1 /proc/loadavg)
dmed=$(median "${detect[@]}"); dmax=$(worst "${detect[@]}")
lmed=$(median "${lossms[@]}"); lmax=$(worst "${lossms[@]}")
ratio=$(awk -v m="$dmed" -v c="$CONFIGURED_US" 'BEGIN {printf "%.2f", m / c}')
echo "bench-reroute ($VARIANT): $CUTS silent cuts, BFD 10 ms x 3 (detection $((CONFIGURED_US / 1000)) ms configured), $RATE frames/s, load $load0 -> $load1 on $(nproc) cores"
echo "  BFD detection: median $((dmed / 1000)) ms, worst $((dmax / 1000)) ms (median / configured: $ratio)"
echo "  traffic lost:  median $lmed ms, worst $lmax ms"
cat >"$LAMINA_BUILD/$OUT.json" <<EOF
{"variant": "$VARIANT", "cuts": $CUTS, "rate_pps": $RATE, "configured_detect_us": $CONFIGURED_US,
 "detect_us": {"median": $dmed, "worst": $dmax, "all": [$(IFS=,; echo "${detect[*]}")]},
 "lost_ms": {"median": $lmed, "worst": $lmax, "all": [$(IFS=,; echo "${lossms[*]}")]},
 "detect_ratio": $ratio, "load": [$load0, $load1]}
EOF
pass "detection median $((dmed / 1000)) ms worst $((dmax / 1000)) ms; lost median $lmed ms worst $lmax ms"
