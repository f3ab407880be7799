#!/bin/bash
# slicer-fd-limits: connections pile up on the slicer's switch listener
# with few descriptors (issue 10, item 4).  lamina-slicer runs with a
# limit of 64 open files; a local process opens 150 connections to its
# switch port and holds them.  The listener takes at most half the limit
# (the rest is refused at once, counted, logged a few times, not once per
# connection), the daemon does not spin, and management keeps answering
# within a second.
. "$(dirname "$0")/lib.sh"
lt_init slicer-fd-limits 60

[ -x "$LT_BUILD/slicer/lamina-slicer" ] || skip "lamina-slicer is not built"
command -v prlimit >/dev/null || skip "prlimit is not installed (util-linux)"

free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
SLICER_PORT=$(free_port)
SLICER_SOCK=$LT_DIR/slicer.sock
bg_start prlimit --nofile=64 "$LT_BUILD/slicer/lamina-slicer" --socket "$SLICER_SOCK" \
    --listen "ptcp:$SLICER_PORT" --switches-open >"$LT_DIR/slicer.log" 2>&1
SLICER_PID=$LT_LAST_PID
wait_for "[ -S '$SLICER_SOCK' ] || ! kill -0 $SLICER_PID" 20
kill -0 "$SLICER_PID" 2>/dev/null || { cat "$LT_DIR/slicer.log" >&2; fail "lamina-slicer did not start"; }
slicer() { "$LT_BUILD/cli/lamina" slicer --socket "$SLICER_SOCK" "$@"; }

# 150 connections, held open.
/usr/bin/python3 - "$SLICER_PORT" >"$LT_DIR/flood.out" 2>&1 <<'EOF' &
import socket, sys, time
conns = []
for i in range(150):
    try:
        conns.append(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2))
    except OSError as e:
        print("connect", i, e, flush=True)
print("opened", len(conns), flush=True)
time.sleep(40)
EOF
FLOOD=$!
LT_PIDS+=("$FLOOD")
wait_for "grep -q opened '$LT_DIR/flood.out'" 20 || fail "the flood did not finish"

cpu() { awk '{ print $14 + $15 }' "/proc/$SLICER_PID/stat"; }
c0=$(cpu)
stats=""
wait_for "stats=\$(slicer stats --json) && echo \"\$stats\" | json_get switch_listener.refused_cap | grep -q '^[1-9]'" 10 ||
    { tail -n 20 "$LT_DIR/slicer.log" >&2; fail "no refusal counted: $stats"; }
sleep 2
c1=$(cpu)
t0=$(date +%s%N)
stats=$(slicer stats --json) || fail "management does not answer with its listener full"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
live=$(echo "$stats" | json_get switch_listener.live)
refused=$(echo "$stats" | json_get switch_listener.refused_cap)
ticks=$((c1 - c0))
lines=$(grep -c "refused 127.0.0.1" "$LT_DIR/slicer.log")
info "$(cat "$LT_DIR/flood.out" | tail -n 1); listener: $live live, $refused refused, $lines log lines; management in $ms ms; $ticks CPU ticks in 2 s"
[ "$live" -le 32 ] || fail "$live connections taken with 64 descriptors (cap: 32)"
[ "$refused" -ge 100 ] || fail "only $refused connections refused"
[ "$ms" -lt 1000 ] || fail "management took $ms ms"
[ "$lines" -le 10 ] || fail "$lines log lines for $refused refusals"
[ "$ticks" -lt 50 ] || fail "the slicer used $ticks CPU ticks in 2 s while idle (spinning?)"
lt_stop_pid "$FLOOD"
pass
