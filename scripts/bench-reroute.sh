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
export LAMINA_BUILD=$(cd "${1:-build}" && pwd)
. "$(dirname "$0")/../tests/integration/lib.sh"
CUTS=${LAMINA_BENCH_CUTS:-20}
lt_init bench-reroute $((60 + CUTS * 15))
. "$(dirname "$0")/../tests/integration/reroute-lib.sh"
RATE=${LAMINA_BENCH_RATE:-5000}
RR_MIN_SENT_PCT=50          # a loaded box slows the generator: loss is counted either way
HOLD_MS=500
CONFIGURED_US=30000
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print NR ? a[int((NR + 1) / 2)] : "null"}'; }
worst() { printf '%s\n' "$@" | sort -n | tail -1; }

# The state and last detection time of s1's session on the cut link.
s1_bfd() {
    lamina --json bfd list | /usr/bin/python3 -c '
import json, sys
print([s for s in json.load(sys.stdin) if s["switch"] == "s1" and s["port"] == "to-s3"][0][sys.argv[1]])' "$1"
}
# The cut, then the detection time of that cut (not of a later flap).
cut_and_read() {
    lamina link set l13 --loss 100% || return 1
    wait_for '[ "$(s1_bfd state)" = Down ]' 1 && s1_bfd last_detect_us >"$LT_DIR/detect"
}
load0=$(cut -d' ' -f1 /proc/loadavg)
reroute_setup
base=$(reroutes s1)
detect=() lossms=()
for i in $(seq "$CUTS"); do
    wait_for all_up 20 || fail "cut $i: BFD sessions not all Up: $(sessions)"
    rm -f "$LT_DIR/detect"
    lost=$(run_traffic 3 "cut_and_read" "lamina link set l13 --loss 0") || exit 1
    [ -s "$LT_DIR/detect" ] || fail "cut $i: s1's session did not go Down: $(sessions)"
    d=$(cat "$LT_DIR/detect")
    detect+=("$d")
    lossms+=($((lost * 1000 / RATE)))
    info "cut $i: detection $((d / 1000)) ms, $lost frames lost ($((lost * 1000 / RATE)) ms)"
    wait_for "back $((base + i))" 15 || fail "cut $i: not back on the primary: $(fr s1)"
done
load1=$(cut -d' ' -f1 /proc/loadavg)
dmed=$(median "${detect[@]}"); dmax=$(worst "${detect[@]}")
lmed=$(median "${lossms[@]}"); lmax=$(worst "${lossms[@]}")
ratio=$(awk -v m="$dmed" -v c="$CONFIGURED_US" 'BEGIN {printf "%.2f", m / c}')
echo "bench-reroute: $CUTS silent cuts, BFD 10 ms x 3 (detection $((CONFIGURED_US / 1000)) ms configured), $RATE frames/s, load $load0 -> $load1 on $(nproc) cores"
echo "  BFD detection: median $((dmed / 1000)) ms, worst $((dmax / 1000)) ms (median / configured: $ratio)"
echo "  traffic lost:  median $lmed ms, worst $lmax ms"
cat >"$LAMINA_BUILD/bench-reroute.json" <<EOF
{"cuts": $CUTS, "rate_pps": $RATE, "configured_detect_us": $CONFIGURED_US,
 "detect_us": {"median": $dmed, "worst": $dmax, "all": [$(IFS=,; echo "${detect[*]}")]},
 "lost_ms": {"median": $lmed, "worst": $lmax, "all": [$(IFS=,; echo "${lossms[*]}")]},
 "detect_ratio": $ratio, "load": [$load0, $load1]}
EOF
pass "detection median $((dmed / 1000)) ms worst $((dmax / 1000)) ms; lost median $lmed ms worst $lmax ms"
