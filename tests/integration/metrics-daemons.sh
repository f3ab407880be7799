#!/bin/bash
# metrics-daemons: lamina-slicer serves its per-slice counters at /metrics
# (--metrics): promtool accepts the exposition, a slice's messages,
# refusals and flow quota are there, and bad --metrics values are refused
# at start.
. "$(dirname "$0")/lib.sh"
lt_init metrics-daemons 60

command -v promtool >/dev/null || skip "promtool is not installed (prometheus)"
command -v curl >/dev/null || skip "curl is not installed"
EXE=$LT_BUILD/slicer/lamina-slicer
[ -x "$EXE" ] || skip "$EXE is not built"

"$EXE" --socket "$LT_DIR/bad.sock" --switches-open --metrics nonsense >"$LT_DIR/bad.log" 2>&1 &&
    fail "slicer started with --metrics nonsense"
grep -q "metrics: \"nonsense\" is not ADDR:PORT" "$LT_DIR/bad.log" ||
    fail "no reason for the bad --metrics: $(cat "$LT_DIR/bad.log")"

MPORT=$(lt_free_port)
OPORT=$(lt_free_port)
SOCK=$LT_DIR/slicer.sock
bg_start "$EXE" --socket "$SOCK" --state "$LT_DIR/slicer.state" \
    --listen "ptcp:$OPORT:127.0.0.1" --switches-open --metrics "127.0.0.1:$MPORT" \
    >"$LT_DIR/slicer.log" 2>&1
wait_for "[ -S '$SOCK' ]" 20 || fail "lamina-slicer did not start: $(cat "$LT_DIR/slicer.log")"
slicer() { "$LT_BUILD/cli/lamina" slicer --socket "$SOCK" "$@"; }
slicer slice add red --controller tcp:127.0.0.1:1 --switch 0xa:1,2 --max-flows 100 --open \
    >/dev/null || fail "slice add red"

URL=http://127.0.0.1:$MPORT/metrics
curl -sf -o "$LT_DIR/metrics.txt" "$URL" || fail "GET $URL"
promtool check metrics <"$LT_DIR/metrics.txt" >"$LT_DIR/promtool.out" 2>&1 ||
    fail "promtool refuses the exposition: $(head -5 "$LT_DIR/promtool.out")"
for m in 'lamina_slicer_slice_ctrl_msgs_total{slice="red"} 0' \
         'lamina_slicer_slice_quota_refused_total{slice="red"} 0' \
         'lamina_slicer_slice_flow_quota{slice="red"} 100' \
         'lamina_slicer_slice_flows{slice="red",dpid="0x000000000000000a"} 0' \
         'lamina_slicer_switch_connections 0'; do
    grep -qxF "$m" "$LT_DIR/metrics.txt" || fail "no sample '$m'"
done
pass
